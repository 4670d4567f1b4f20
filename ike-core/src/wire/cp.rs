//! Configuration payload (RFC 7296 §3.15, RFC 8598 attributes).

use std::net::{Ipv4Addr, Ipv6Addr};

use super::error::WireError;
use super::reader::{len_u16, put_u16, Reader};
use super::MAX_CFG_ATTRIBUTES;

/// One configuration attribute. The value is kept as octets; helpers decode the common
/// address formats.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CfgAttribute {
    /// Attribute type (15 bits, [`crate::ids::cfg_attr`]); the reserved top bit is dropped.
    pub attr_type: u16,
    /// Value octets (empty in a request for "any value").
    pub value: Vec<u8>,
}

impl CfgAttribute {
    /// An attribute with an empty value (how a CFG_REQUEST asks for it).
    pub fn request(attr_type: u16) -> Self {
        Self {
            attr_type,
            value: Vec::new(),
        }
    }

    /// The value as one IPv4 address (INTERNAL_IP4_ADDRESS, _NETMASK, _DNS, _NBNS, _DHCP).
    pub fn ipv4(&self) -> Option<Ipv4Addr> {
        <[u8; 4]>::try_from(self.value.as_slice())
            .ok()
            .map(Ipv4Addr::from)
    }

    /// The value as IPv4 address and netmask (INTERNAL_IP4_SUBNET).
    pub fn ipv4_subnet(&self) -> Option<(Ipv4Addr, Ipv4Addr)> {
        let v = <[u8; 8]>::try_from(self.value.as_slice()).ok()?;
        let (a, m) = v.split_at(4);
        Some((
            Ipv4Addr::from(<[u8; 4]>::try_from(a).ok()?),
            Ipv4Addr::from(<[u8; 4]>::try_from(m).ok()?),
        ))
    }

    /// The value as one IPv6 address (INTERNAL_IP6_DNS, _DHCP).
    pub fn ipv6(&self) -> Option<Ipv6Addr> {
        <[u8; 16]>::try_from(self.value.as_slice())
            .ok()
            .map(Ipv6Addr::from)
    }

    /// The value as IPv6 address and prefix length (INTERNAL_IP6_ADDRESS, _SUBNET); `None`
    /// for a prefix length over 128.
    pub fn ipv6_prefix(&self) -> Option<(Ipv6Addr, u8)> {
        let v = <[u8; 17]>::try_from(self.value.as_slice()).ok()?;
        let (a, p) = v.split_at(16);
        let prefix = *p.first()?;
        if prefix > 128 {
            return None;
        }
        Some((Ipv6Addr::from(<[u8; 16]>::try_from(a).ok()?), prefix))
    }
}

/// Configuration payload body.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CpPayload {
    /// CFG type ([`crate::ids::cfg_type`]).
    pub cfg_type: u8,
    /// Attributes, in wire order.
    pub attrs: Vec<CfgAttribute>,
}

impl CpPayload {
    /// Parses the payload body (after the generic payload header).
    pub fn parse(body: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(body);
        let cfg_type = r.u8()?;
        let _reserved = r.take(3)?;
        let mut attrs = Vec::new();
        while !r.is_empty() {
            if attrs.len() >= MAX_CFG_ATTRIBUTES {
                return Err(WireError::TooMany {
                    what: "configuration attributes",
                    limit: MAX_CFG_ATTRIBUTES,
                });
            }
            let attr_type = r.u16()? & 0x7fff;
            let len = usize::from(r.u16()?);
            let value = r.take(len)?.to_vec();
            attrs.push(CfgAttribute { attr_type, value });
        }
        Ok(Self { cfg_type, attrs })
    }

    /// Appends the payload body.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        out.push(self.cfg_type);
        out.extend_from_slice(&[0, 0, 0]);
        for a in &self.attrs {
            if a.attr_type & 0x8000 != 0 {
                return Err(WireError::Unencodable(
                    "CP attribute type wider than 15 bits",
                ));
            }
            put_u16(out, a.attr_type);
            put_u16(
                out,
                len_u16(a.value.len(), "CP attribute over 65535 octets")?,
            );
            out.extend_from_slice(&a.value);
        }
        Ok(())
    }
}
