//! Identification, Certificate, Certificate Request (RFC 2408 §3.8-§3.10, RFC 2407 §4.6.2)
//! and NAT Original Address (RFC 3947 §5.2) payloads.

use crate::v1::ids::{id_type, payload};
use crate::wire::{put_u16, Reader, WireError};

/// Identification payload in the IPsec DOI (RFC 2407 §4.6.2).
///
/// Phase 1 IDs usually carry protocol 0 / port 0 (or UDP / 500); Quick Mode client IDs carry
/// the selector's protocol and port.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdPayload {
    /// ID type ([`crate::v1::ids::id_type`]).
    pub id_type: u8,
    /// IP protocol (0 for any).
    pub protocol_id: u8,
    /// Port (0 for any).
    pub port: u16,
    /// Identification data (address, name, DN, key id, ...).
    pub data: Vec<u8>,
}

impl IdPayload {
    /// Parses the payload body (after the generic payload header).
    pub fn parse(body: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(body);
        let id_type = r.u8()?;
        let protocol_id = r.u8()?;
        let port = r.u16()?;
        Ok(Self {
            id_type,
            protocol_id,
            port,
            data: r.rest().to_vec(),
        })
    }

    /// Appends the payload body.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        out.push(self.id_type);
        out.push(self.protocol_id);
        put_u16(out, self.port);
        out.extend_from_slice(&self.data);
        Ok(())
    }
}

/// Certificate payload (RFC 2408 §3.9).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CertPayload {
    /// Certificate encoding (4 = X.509 signature, 7 = CRL, ...).
    pub encoding: u8,
    /// Certificate data.
    pub data: Vec<u8>,
}

impl CertPayload {
    /// Parses the payload body (after the generic payload header).
    pub fn parse(body: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(body);
        let encoding = r.u8()?;
        Ok(Self {
            encoding,
            data: r.rest().to_vec(),
        })
    }

    /// Appends the payload body.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        out.push(self.encoding);
        out.extend_from_slice(&self.data);
        Ok(())
    }
}

/// Certificate Request payload (RFC 2408 §3.10).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CertReqPayload {
    /// Certificate type asked for.
    pub cert_type: u8,
    /// Certificate authority (a DER distinguished name, or empty for any).
    pub authority: Vec<u8>,
}

impl CertReqPayload {
    /// Parses the payload body (after the generic payload header).
    pub fn parse(body: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(body);
        let cert_type = r.u8()?;
        Ok(Self {
            cert_type,
            authority: r.rest().to_vec(),
        })
    }

    /// Appends the payload body.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        out.push(self.cert_type);
        out.extend_from_slice(&self.authority);
        Ok(())
    }
}

/// NAT Original Address payload (RFC 3947 §5.2): ID type (ID_IPV4_ADDR or ID_IPV6_ADDR),
/// three reserved octets, and the address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NatOaPayload {
    /// [`id_type::IPV4_ADDR`] or [`id_type::IPV6_ADDR`].
    pub id_type: u8,
    /// The address: 4 octets for IPv4, 16 for IPv6.
    pub address: Vec<u8>,
}

impl NatOaPayload {
    fn address_len(id: u8) -> Option<usize> {
        match id {
            id_type::IPV4_ADDR => Some(4),
            id_type::IPV6_ADDR => Some(16),
            _ => None,
        }
    }

    /// Parses the payload body (after the generic payload header).
    pub fn parse(body: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(body);
        let id = r.u8()?;
        let _reserved = r.take(3)?;
        let len = Self::address_len(id).ok_or(WireError::Malformed {
            payload: payload::NAT_OA,
            reason: "ID type is neither ID_IPV4_ADDR nor ID_IPV6_ADDR",
        })?;
        let address = r.take(len)?.to_vec();
        r.finish()?;
        Ok(Self {
            id_type: id,
            address,
        })
    }

    /// Appends the payload body.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        if Self::address_len(self.id_type) != Some(self.address.len()) {
            return Err(WireError::Unencodable(
                "NAT-OA address does not match its ID type",
            ));
        }
        out.push(self.id_type);
        out.extend_from_slice(&[0, 0, 0]);
        out.extend_from_slice(&self.address);
        Ok(())
    }
}
