//! Key Exchange (RFC 7296 §3.4), Nonce (§3.9), Vendor ID (§3.12), EAP (§3.16) and unknown
//! payloads.

use super::error::WireError;
use super::reader::{len_u16, put_u16, Reader};
use crate::ids::payload;

/// Key Exchange payload body.
///
/// The data length is whatever the payload carries; checking it against the group is the
/// key exchange's job (a group 1025 with a huge length is just data here).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KePayload {
    /// Key exchange method / D-H group ([`crate::ids::ke`]).
    pub group: u16,
    /// Public value.
    pub data: Vec<u8>,
}

impl KePayload {
    /// Parses the payload body (after the generic payload header).
    pub fn parse(body: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(body);
        let group = r.u16()?;
        let _reserved = r.u16()?;
        Ok(Self {
            group,
            data: r.rest().to_vec(),
        })
    }

    /// Appends the payload body.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        put_u16(out, self.group);
        put_u16(out, 0);
        out.extend_from_slice(&self.data);
        Ok(())
    }
}

/// Nonce payload body. RFC 7296 §2.10 wants 16 to 256 octets; the engine enforces that
/// ([`NoncePayload::has_valid_length`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NoncePayload {
    /// Nonce data.
    pub data: Vec<u8>,
}

impl NoncePayload {
    /// Shortest nonce RFC 7296 §3.9 allows.
    pub const MIN_LEN: usize = 16;
    /// Longest nonce RFC 7296 §3.9 allows.
    pub const MAX_LEN: usize = 256;

    /// Parses the payload body (after the generic payload header).
    pub fn parse(body: &[u8]) -> Result<Self, WireError> {
        Ok(Self {
            data: body.to_vec(),
        })
    }

    /// Appends the payload body.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        out.extend_from_slice(&self.data);
        Ok(())
    }

    /// True if the nonce is 16..=256 octets long.
    pub fn has_valid_length(&self) -> bool {
        (Self::MIN_LEN..=Self::MAX_LEN).contains(&self.data.len())
    }
}

/// Vendor ID payload body.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VendorIdPayload {
    /// Vendor ID data.
    pub data: Vec<u8>,
}

impl VendorIdPayload {
    /// Parses the payload body (after the generic payload header).
    pub fn parse(body: &[u8]) -> Result<Self, WireError> {
        Ok(Self {
            data: body.to_vec(),
        })
    }

    /// Appends the payload body.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        out.extend_from_slice(&self.data);
        Ok(())
    }
}

/// EAP payload body: one EAP message (RFC 3748 §4), otherwise opaque.
///
/// The EAP Length field must equal the payload body length; it is recomputed on emit.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EapPayload {
    /// EAP Code (1 Request, 2 Response, 3 Success, 4 Failure, ...).
    pub code: u8,
    /// EAP Identifier.
    pub identifier: u8,
    /// EAP Type, present for Request and Response (which require it).
    pub eap_type: Option<u8>,
    /// Type-Data (or, for other codes, everything after the 4-octet EAP header).
    pub data: Vec<u8>,
}

impl EapPayload {
    /// EAP Request code.
    pub const REQUEST: u8 = 1;
    /// EAP Response code.
    pub const RESPONSE: u8 = 2;

    /// Parses the payload body (after the generic payload header).
    pub fn parse(body: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(body);
        let code = r.u8()?;
        let identifier = r.u8()?;
        let len = usize::from(r.u16()?);
        if len != body.len() {
            return Err(WireError::Malformed {
                payload: payload::EAP,
                reason: "EAP length differs from the payload length",
            });
        }
        let eap_type = if code == Self::REQUEST || code == Self::RESPONSE {
            Some(r.u8()?)
        } else {
            None
        };
        Ok(Self {
            code,
            identifier,
            eap_type,
            data: r.rest().to_vec(),
        })
    }

    /// Appends the payload body.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        let is_req_resp = self.code == Self::REQUEST || self.code == Self::RESPONSE;
        if is_req_resp != self.eap_type.is_some() {
            return Err(WireError::Unencodable(
                "EAP type must be present exactly for Request and Response",
            ));
        }
        let len = self
            .data
            .len()
            .saturating_add(4)
            .saturating_add(usize::from(self.eap_type.is_some()));
        out.push(self.code);
        out.push(self.identifier);
        put_u16(out, len_u16(len, "EAP message over 65535 octets")?);
        if let Some(t) = self.eap_type {
            out.push(t);
        }
        out.extend_from_slice(&self.data);
        Ok(())
    }
}

/// A payload of a type this codec does not know (including IKEv1 types 1..=13).
///
/// The message parser rejects unknown payloads with the critical bit set
/// ([`WireError::UnsupportedCritical`]); non-critical ones are kept here, in order, so the
/// engine can ignore them and a re-emitted message stays byte-identical.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UnknownPayload {
    /// Payload type.
    pub payload_type: u8,
    /// Critical bit (always false after parsing; settable for emitting).
    pub critical: bool,
    /// Raw body after the generic payload header.
    pub body: Vec<u8>,
}
