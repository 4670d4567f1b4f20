//! NAT traversal helpers (RFC 7296 §2.23, RFC 3948): ports and NAT_DETECTION_*_IP hashes. The
//! non-ESP marker on port 4500 is [`crate::wire`]'s ([`crate::wire::classify_udp_4500`]).

use std::net::{IpAddr, SocketAddr};

use aws_lc_rs::digest;

/// The IKE port.
pub const IKE_PORT: u16 = 500;
/// The NAT-T port (UDP encapsulation, RFC 3948).
pub const NATT_PORT: u16 = 4500;
/// The payload of a NAT-keepalive packet (RFC 3948 §2.3): this single octet.
pub const NAT_KEEPALIVE: u8 = 0xFF;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_depends_on_port() {
        let a = nat_hash(&[1; 8], &[2; 8], "192.0.2.1:500".parse().unwrap());
        let b = nat_hash(&[1; 8], &[2; 8], "192.0.2.1:4500".parse().unwrap());
        assert_eq!(a.len(), 20);
        assert_ne!(a, b);
    }
}
