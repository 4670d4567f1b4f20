//! Data attributes (RFC 2408 §3.3): the SA attributes of a Transform payload and the Mode
//! Config attributes of an ATTR payload share this encoding.
//!
//! An attribute is basic (TV: AF bit set, a 2-octet value) or variable (TLV: AF bit clear, a
//! 2-octet length and that many octets). Variable attributes that carry integers, such as a
//! Life Duration over 65535 seconds, hold a big-endian number of any length up to 8 octets
//! here ([`Attribute::integer`], [`Attribute::as_integer`]).

use crate::wire::{len_u16, put_u16, Reader, WireError};

/// The attribute format bit: set for TV (basic), clear for TLV (variable).
const AF_TV: u16 = 0x8000;

/// The value of a data attribute.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AttributeValue {
    /// Basic (TV, AF = 1): a 2-octet value.
    Basic(u16),
    /// Variable (TLV, AF = 0): any number of octets up to 65535.
    Variable(Vec<u8>),
}

/// A data attribute: a 15-bit class (type) and a basic or variable value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Attribute {
    /// Attribute class or type (15 bits; [`crate::v1::ids::oakley_attr`],
    /// [`crate::v1::ids::ipsec_attr`] or a Mode Config attribute type).
    pub attr_type: u16,
    /// The value, which also selects the basic or the variable format.
    pub value: AttributeValue,
}

impl Attribute {
    /// A basic (TV) attribute.
    pub fn basic(attr_type: u16, value: u16) -> Self {
        Self {
            attr_type,
            value: AttributeValue::Basic(value),
        }
    }

    /// A variable (TLV) attribute.
    pub fn variable(attr_type: u16, value: Vec<u8>) -> Self {
        Self {
            attr_type,
            value: AttributeValue::Variable(value),
        }
    }

    /// An integer attribute in the shortest form implementations send: basic when `value`
    /// fits 16 bits, else variable with 4 octets (or 8 above `u32::MAX`).
    pub fn integer(attr_type: u16, value: u64) -> Self {
        if let Ok(v) = u16::try_from(value) {
            return Self::basic(attr_type, v);
        }
        let bytes = match u32::try_from(value) {
            Ok(v) => v.to_be_bytes().to_vec(),
            Err(_) => value.to_be_bytes().to_vec(),
        };
        Self::variable(attr_type, bytes)
    }

    /// The value as an integer: a basic value, or a variable value of 1 to 8 octets read big
    /// endian. `None` for an empty or longer variable value.
    pub fn as_integer(&self) -> Option<u64> {
        match &self.value {
            AttributeValue::Basic(v) => Some(u64::from(*v)),
            AttributeValue::Variable(b) if !b.is_empty() && b.len() <= 8 => {
                Some(b.iter().fold(0u64, |acc, x| (acc << 8) | u64::from(*x)))
            }
            AttributeValue::Variable(_) => None,
        }
    }

    /// The octets the attribute takes on the wire.
    pub fn wire_len(&self) -> usize {
        match &self.value {
            AttributeValue::Basic(_) => 4,
            AttributeValue::Variable(v) => v.len().saturating_add(4),
        }
    }

    /// Reads one attribute.
    pub(crate) fn parse(r: &mut Reader<'_>) -> Result<Self, WireError> {
        let t = r.u16()?;
        let attr_type = t & !AF_TV;
        let value = if t & AF_TV != 0 {
            AttributeValue::Basic(r.u16()?)
        } else {
            let len = r.u16()?;
            AttributeValue::Variable(r.take(usize::from(len))?.to_vec())
        };
        Ok(Self { attr_type, value })
    }

    /// Appends the attribute.
    pub(crate) fn emit(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        if self.attr_type & AF_TV != 0 {
            return Err(WireError::Unencodable("attribute type wider than 15 bits"));
        }
        match &self.value {
            AttributeValue::Basic(v) => {
                put_u16(out, self.attr_type | AF_TV);
                put_u16(out, *v);
            }
            AttributeValue::Variable(v) => {
                put_u16(out, self.attr_type);
                put_u16(out, len_u16(v.len(), "attribute value over 65535 octets")?);
                out.extend_from_slice(v);
            }
        }
        Ok(())
    }
}

/// Reads attributes until `body` is consumed, at most `limit` of them.
pub(crate) fn parse_attributes(
    body: &[u8],
    limit: usize,
    what: &'static str,
) -> Result<Vec<Attribute>, WireError> {
    let mut r = Reader::new(body);
    let mut attrs = Vec::new();
    while !r.is_empty() {
        if attrs.len() >= limit {
            return Err(WireError::TooMany { what, limit });
        }
        attrs.push(Attribute::parse(&mut r)?);
    }
    Ok(attrs)
}
