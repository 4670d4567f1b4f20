//! Security Association payload (RFC 7296 §3.3): proposals, transforms, attributes.

use super::error::WireError;
use super::reader::{len_u16, len_u8, put_u16, Reader};
use super::{MAX_PROPOSALS, MAX_TRANSFORMS, MAX_TRANSFORM_ATTRIBUTES};
use crate::ids::{payload, transform_attr};

/// "Last Substruc" value of a proposal followed by another one.
const MORE_PROPOSALS: u8 = 2;
/// "Last Substruc" value of a transform followed by another one.
const MORE_TRANSFORMS: u8 = 3;
/// The attribute format bit: set for TV (2-octet value), clear for TLV.
const AF_TV: u16 = 0x8000;

fn malformed(reason: &'static str) -> WireError {
    WireError::Malformed {
        payload: payload::SA,
        reason,
    }
}

/// The value of a transform attribute (RFC 7296 §3.3.5).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AttributeValue {
    /// Type/Value format (AF = 1): a 2-octet value, e.g. the key length.
    Tv(u16),
    /// Type/Length/Value format (AF = 0).
    Tlv(Vec<u8>),
}

/// A transform attribute.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Attribute {
    /// Attribute type (15 bits, [`crate::ids::transform_attr`]).
    pub attr_type: u16,
    /// The value, which also selects the TV or TLV format.
    pub value: AttributeValue,
}

impl Attribute {
    /// The Key Length attribute (type 14, TV) with `bits`.
    pub fn key_length(bits: u16) -> Self {
        Self {
            attr_type: transform_attr::KEY_LENGTH,
            value: AttributeValue::Tv(bits),
        }
    }

    fn parse(r: &mut Reader<'_>) -> Result<Self, WireError> {
        let t = r.u16()?;
        let attr_type = t & !AF_TV;
        let value = if t & AF_TV != 0 {
            AttributeValue::Tv(r.u16()?)
        } else {
            let len = r.u16()?;
            AttributeValue::Tlv(r.take(usize::from(len))?.to_vec())
        };
        Ok(Self { attr_type, value })
    }

    fn emit(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        if self.attr_type & AF_TV != 0 {
            return Err(WireError::Unencodable("attribute type wider than 15 bits"));
        }
        match &self.value {
            AttributeValue::Tv(v) => {
                put_u16(out, self.attr_type | AF_TV);
                put_u16(out, *v);
            }
            AttributeValue::Tlv(v) => {
                put_u16(out, self.attr_type);
                put_u16(out, len_u16(v.len(), "attribute value over 65535 octets")?);
                out.extend_from_slice(v);
            }
        }
        Ok(())
    }
}

/// A transform substructure (RFC 7296 §3.3.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Transform {
    /// Transform type ([`crate::ids::transform_type`]).
    pub ttype: u8,
    /// Transform id within its type (e.g. [`crate::ids::encr`]).
    pub id: u16,
    /// Attributes (usually none, or a key length).
    pub attrs: Vec<Attribute>,
}

impl Transform {
    /// A transform without attributes.
    pub fn new(ttype: u8, id: u16) -> Self {
        Self {
            ttype,
            id,
            attrs: Vec::new(),
        }
    }

    /// A transform with a Key Length attribute of `bits`.
    pub fn with_key_length(ttype: u8, id: u16, bits: u16) -> Self {
        Self {
            ttype,
            id,
            attrs: vec![Attribute::key_length(bits)],
        }
    }

    /// The Key Length attribute (TV, type 14), if present.
    pub fn key_length(&self) -> Option<u16> {
        self.attrs.iter().find_map(|a| match a.value {
            AttributeValue::Tv(v) if a.attr_type == transform_attr::KEY_LENGTH => Some(v),
            _ => None,
        })
    }

    /// Parses the transform body after its 4-octet prefix (last flag, reserved, length).
    fn parse_body(body: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(body);
        let ttype = r.u8()?;
        let _reserved = r.u8()?;
        let id = r.u16()?;
        let mut attrs = Vec::new();
        while !r.is_empty() {
            if attrs.len() >= MAX_TRANSFORM_ATTRIBUTES {
                return Err(WireError::TooMany {
                    what: "transform attributes",
                    limit: MAX_TRANSFORM_ATTRIBUTES,
                });
            }
            attrs.push(Attribute::parse(&mut r)?);
        }
        Ok(Self { ttype, id, attrs })
    }

    fn emit(&self, last: bool, out: &mut Vec<u8>) -> Result<(), WireError> {
        let mut body = Vec::new();
        for a in &self.attrs {
            a.emit(&mut body)?;
        }
        out.push(if last { 0 } else { MORE_TRANSFORMS });
        out.push(0);
        put_u16(
            out,
            len_u16(body.len().saturating_add(8), "transform over 65535 octets")?,
        );
        out.push(self.ttype);
        out.push(0);
        put_u16(out, self.id);
        out.extend_from_slice(&body);
        Ok(())
    }
}

/// A proposal substructure (RFC 7296 §3.3.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Proposal {
    /// Proposal number (1 for the first; a response echoes the accepted one).
    pub num: u8,
    /// Protocol id ([`crate::ids::protocol`]).
    pub protocol_id: u8,
    /// SPI: empty in the initial IKE SA proposal, 8 octets for IKE rekeying, 4 for ESP/AH.
    pub spi: Vec<u8>,
    /// Transforms, in wire order.
    pub transforms: Vec<Transform>,
}

impl Proposal {
    /// Parses the proposal body after its 4-octet prefix (last flag, reserved, length).
    fn parse_body(body: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(body);
        let num = r.u8()?;
        let protocol_id = r.u8()?;
        let spi_size = r.u8()?;
        let count = usize::from(r.u8()?);
        if count > MAX_TRANSFORMS {
            return Err(WireError::TooMany {
                what: "transforms in a proposal",
                limit: MAX_TRANSFORMS,
            });
        }
        let spi = r.take(usize::from(spi_size))?.to_vec();
        let mut transforms = Vec::new();
        for i in 0..count {
            let last = r.u8()?;
            let _reserved = r.u8()?;
            let len = usize::from(r.u16()?);
            let body_len = len
                .checked_sub(4)
                .filter(|l| *l >= 4)
                .ok_or(malformed("transform length below 8"))?;
            let is_last = i.saturating_add(1) == count;
            match (last, is_last) {
                (0, true) | (MORE_TRANSFORMS, false) => {}
                _ => return Err(malformed("transform last-substructure flag inconsistent")),
            }
            transforms.push(Transform::parse_body(r.take(body_len)?)?);
        }
        if !r.is_empty() {
            return Err(malformed("data after the last transform of a proposal"));
        }
        Ok(Self {
            num,
            protocol_id,
            spi,
            transforms,
        })
    }

    fn emit(&self, last: bool, out: &mut Vec<u8>) -> Result<(), WireError> {
        let mut body = Vec::new();
        let count = self.transforms.len();
        for (i, t) in self.transforms.iter().enumerate() {
            t.emit(i.saturating_add(1) == count, &mut body)?;
        }
        let len = body.len().saturating_add(8).saturating_add(self.spi.len());
        out.push(if last { 0 } else { MORE_PROPOSALS });
        out.push(0);
        put_u16(out, len_u16(len, "proposal over 65535 octets")?);
        out.push(self.num);
        out.push(self.protocol_id);
        out.push(len_u8(self.spi.len(), "SPI over 255 octets")?);
        out.push(len_u8(count, "more than 255 transforms")?);
        out.extend_from_slice(&self.spi);
        out.extend_from_slice(&body);
        Ok(())
    }
}

/// Security Association payload: one or more proposals.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SaPayload {
    /// Proposals in preference order.
    pub proposals: Vec<Proposal>,
}

impl SaPayload {
    /// Parses the payload body (after the generic payload header).
    ///
    /// The proposal and transform "last substructure" flags and counts must be consistent,
    /// and every substructure must exactly fill its declared length.
    pub fn parse(body: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(body);
        let mut proposals = Vec::new();
        if r.is_empty() {
            return Err(malformed("SA payload without proposals"));
        }
        loop {
            if proposals.len() >= MAX_PROPOSALS {
                return Err(WireError::TooMany {
                    what: "proposals",
                    limit: MAX_PROPOSALS,
                });
            }
            let last = r.u8()?;
            let _reserved = r.u8()?;
            let len = usize::from(r.u16()?);
            let body_len = len
                .checked_sub(4)
                .filter(|l| *l >= 4)
                .ok_or(malformed("proposal length below 8"))?;
            proposals.push(Proposal::parse_body(r.take(body_len)?)?);
            match (last, r.is_empty()) {
                (0, true) => break,
                (MORE_PROPOSALS, false) => {}
                (0, false) => return Err(malformed("data after the last proposal")),
                (MORE_PROPOSALS, true) => return Err(malformed("missing proposal")),
                _ => return Err(malformed("bad proposal last-substructure value")),
            }
        }
        Ok(Self { proposals })
    }

    /// Appends the payload body.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        let count = self.proposals.len();
        if count == 0 {
            return Err(WireError::Unencodable("SA payload without proposals"));
        }
        for (i, p) in self.proposals.iter().enumerate() {
            p.emit(i.saturating_add(1) == count, out)?;
        }
        Ok(())
    }
}
