//! UDP encapsulation on port 4500 (RFC 3948, RFC 7296 §2.23).
//!
//! IKE messages sent to or from port 4500 are prefixed with a 4-octet non-ESP marker (zero,
//! where ESP would carry its non-zero SPI). A single 0xFF octet is a NAT-keepalive.

use super::error::WireError;

/// The non-ESP marker that precedes IKE messages on port 4500.
pub const NON_ESP_MARKER: [u8; 4] = [0; 4];

/// The NAT-keepalive datagram (RFC 3948 §2.3).
pub const NAT_KEEPALIVE: [u8; 1] = [0xFF];

/// What a datagram received on port 4500 holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Udp4500<'a> {
    /// An IKE message (the marker removed).
    Ike(&'a [u8]),
    /// An ESP packet (starting with its SPI), for the kernel.
    Esp(&'a [u8]),
    /// A NAT-keepalive, to be ignored.
    Keepalive,
}

/// Classifies a port-4500 datagram: marker + IKE, NAT-keepalive, or ESP (which needs at
/// least SPI and sequence number, 8 octets).
pub fn classify_udp_4500(datagram: &[u8]) -> Result<Udp4500<'_>, WireError> {
    if datagram == NAT_KEEPALIVE {
        return Ok(Udp4500::Keepalive);
    }
    if let Some(ike) = strip_non_esp_marker(datagram) {
        return Ok(Udp4500::Ike(ike));
    }
    if datagram.len() >= 8 {
        return Ok(Udp4500::Esp(datagram));
    }
    Err(WireError::BadUdpEncapsulation(datagram.len()))
}

/// The IKE message after the non-ESP marker, or `None` if `datagram` does not start with it.
pub fn strip_non_esp_marker(datagram: &[u8]) -> Option<&[u8]> {
    datagram.strip_prefix(&NON_ESP_MARKER[..])
}

/// `message` prefixed with the non-ESP marker, for sending on port 4500.
pub fn add_non_esp_marker(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len().saturating_add(NON_ESP_MARKER.len()));
    out.extend_from_slice(&NON_ESP_MARKER);
    out.extend_from_slice(message);
    out
}

/// True for a NAT-keepalive datagram (a single 0xFF octet).
pub fn is_nat_keepalive(datagram: &[u8]) -> bool {
    datagram == NAT_KEEPALIVE
}
