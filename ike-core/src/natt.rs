//! NAT traversal helpers (RFC 7296 §2.23, RFC 3948): NAT_DETECTION_*_IP hashes and the
//! non-ESP marker on port 4500.

use std::net::{IpAddr, SocketAddr};

use aws_lc_rs::digest;

/// The IKE port.
pub const IKE_PORT: u16 = 500;
/// The NAT-T port (UDP encapsulation, RFC 3948).
pub const NATT_PORT: u16 = 4500;
/// The non-ESP marker prepended to IKE messages on port 4500.
pub const NON_ESP_MARKER: [u8; 4] = [0; 4];

/// SHA-1(SPIi | SPIr | IP | port): the NAT_DETECTION_SOURCE_IP / _DESTINATION_IP data.
pub fn nat_hash(spi_i: &[u8; 8], spi_r: &[u8; 8], addr: SocketAddr) -> Vec<u8> {
    let mut ctx = digest::Context::new(&digest::SHA1_FOR_LEGACY_USE_ONLY);
    ctx.update(spi_i);
    ctx.update(spi_r);
    match addr.ip() {
        IpAddr::V4(a) => ctx.update(&a.octets()),
        IpAddr::V6(a) => ctx.update(&a.octets()),
    }
    ctx.update(&addr.port().to_be_bytes());
    ctx.finish().as_ref().to_vec()
}

/// Strips the non-ESP marker from a datagram received on port 4500. Returns `None` for
/// ESP packets (non-zero first four bytes), keepalives and runts.
pub fn strip_marker(data: &[u8]) -> Option<&[u8]> {
    match data.split_first_chunk::<4>() {
        Some((m, rest)) if *m == NON_ESP_MARKER && !rest.is_empty() => Some(rest),
        _ => None,
    }
}

/// Prepends the non-ESP marker.
pub fn add_marker(data: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(data.len().saturating_add(4));
    v.extend_from_slice(&NON_ESP_MARKER);
    v.extend_from_slice(data);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marker() {
        assert_eq!(strip_marker(&[0, 0, 0, 0, 1]), Some(&[1u8][..]));
        assert_eq!(strip_marker(&[0, 0, 0, 1, 1]), None);
        assert_eq!(strip_marker(&[0xff]), None);
        assert_eq!(add_marker(&[7]), vec![0, 0, 0, 0, 7]);
    }

    #[test]
    fn hash_depends_on_port() {
        let a = nat_hash(&[1; 8], &[2; 8], "192.0.2.1:500".parse().unwrap());
        let b = nat_hash(&[1; 8], &[2; 8], "192.0.2.1:4500".parse().unwrap());
        assert_eq!(a.len(), 20);
        assert_ne!(a, b);
    }
}
