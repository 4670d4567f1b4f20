//! The Attribute payload of Mode Config (draft-dukes-ike-mode-cfg-02 §3.2), payload type 14.
//!
//! ```text
//! Type (REQUEST 1, REPLY 2, SET 3, ACK 4) | RESERVED | Identifier (2) | Attributes
//! ```
//!
//! The attributes use the data-attribute encoding of RFC 2408 §3.3 (basic TV or variable
//! TLV; [`Attribute`]). Mode Config attributes (INTERNAL_IP4_ADDRESS 1, ..._NETMASK 2,
//! ..._DNS 3, ...) are variable; XAUTH attributes (16520 and up) may be basic.

use super::attr::{parse_attributes, Attribute};
use super::MAX_CFG_ATTRIBUTES;
use crate::wire::{put_u16, Reader, WireError};

/// Attribute payload (Mode Config / XAUTH transactions).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AttrPayload {
    /// ISAKMP_CFG_REQUEST / REPLY / SET / ACK ([`crate::v1::ids::cfg`]).
    pub cfg_type: u8,
    /// Identifier: pairs a REPLY with its REQUEST and an ACK with its SET.
    pub identifier: u16,
    /// Attributes in wire order.
    pub attrs: Vec<Attribute>,
}

impl AttrPayload {
    /// Parses the payload body (after the generic payload header).
    pub fn parse(body: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(body);
        let cfg_type = r.u8()?;
        let _reserved = r.u8()?;
        let identifier = r.u16()?;
        let attrs = parse_attributes(r.rest(), MAX_CFG_ATTRIBUTES, "configuration attributes")?;
        Ok(Self {
            cfg_type,
            identifier,
            attrs,
        })
    }

    /// Appends the payload body.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        out.push(self.cfg_type);
        out.push(0);
        put_u16(out, self.identifier);
        for a in &self.attrs {
            a.emit(out)?;
        }
        Ok(())
    }
}
