//! Security Association payload with its Proposal and Transform payloads (RFC 2408 §3.4-§3.6,
//! RFC 2407 §4.6.1).
//!
//! ```text
//! SA body:        DOI (4) | Situation (4) | Proposal payloads
//! Proposal:       Next (2 or 0) | RESERVED | Length (2) | Proposal # | Protocol-Id | SPI Size
//!                 | # of Transforms | SPI | Transform payloads
//! Transform:      Next (3 or 0) | RESERVED | Length (2) | Transform # | Transform-Id
//!                 | RESERVED2 (2) | SA attributes
//! ```
//!
//! Unlike IKEv2, the proposals and transforms are chained with the generic payload header's
//! Next Payload field (2 = Proposal, 3 = Transform, 0 = last).

use super::attr::{parse_attributes, Attribute};
use super::{MAX_PROPOSALS, MAX_TRANSFORMS, MAX_TRANSFORM_ATTRIBUTES};
use crate::v1::ids::{doi, payload, situation};
use crate::wire::{len_u16, len_u8, put_u16, put_u32, Reader, WireError};

fn malformed(reason: &'static str) -> WireError {
    WireError::Malformed {
        payload: payload::SA,
        reason,
    }
}

/// Reads one substructure header (next, reserved, length) and returns its next-payload value
/// and its body (length minus the 4 header octets, at least `min_body`).
fn substructure<'a>(
    r: &mut Reader<'a>,
    min_body: usize,
    short: &'static str,
) -> Result<(u8, &'a [u8]), WireError> {
    let next = r.u8()?;
    let _reserved = r.u8()?;
    let len = usize::from(r.u16()?);
    let body_len = len
        .checked_sub(4)
        .filter(|l| *l >= min_body)
        .ok_or(malformed(short))?;
    Ok((next, r.take(body_len)?))
}

/// A Transform payload (RFC 2408 §3.6).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Transform {
    /// Transform number within its proposal (a response echoes the chosen one).
    pub num: u8,
    /// Transform id: `KEY_IKE` (1) in Phase 1, the ESP/AH/IPCOMP transform in Phase 2.
    pub id: u8,
    /// SA attributes in wire order (basic or variable).
    pub attrs: Vec<Attribute>,
}

impl Transform {
    fn parse_body(body: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(body);
        let num = r.u8()?;
        let id = r.u8()?;
        let _reserved = r.u16()?;
        let attrs = parse_attributes(r.rest(), MAX_TRANSFORM_ATTRIBUTES, "transform attributes")?;
        Ok(Self { num, id, attrs })
    }

    /// The first attribute of class `attr_type`.
    pub fn attr(&self, attr_type: u16) -> Option<&Attribute> {
        self.attrs.iter().find(|a| a.attr_type == attr_type)
    }

    fn emit(&self, last: bool, out: &mut Vec<u8>) -> Result<(), WireError> {
        let mut body = Vec::new();
        for a in &self.attrs {
            a.emit(&mut body)?;
        }
        out.push(if last { 0 } else { payload::TRANSFORM });
        out.push(0);
        put_u16(
            out,
            len_u16(body.len().saturating_add(8), "transform over 65535 octets")?,
        );
        out.push(self.num);
        out.push(self.id);
        put_u16(out, 0);
        out.extend_from_slice(&body);
        Ok(())
    }
}

/// A Proposal payload (RFC 2408 §3.5).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Proposal {
    /// Proposal number; proposals sharing a number form one AND-ed offer (e.g. ESP with
    /// IPCOMP).
    pub num: u8,
    /// Protocol id ([`crate::v1::ids::protocol`]).
    pub protocol_id: u8,
    /// SPI: empty (or the cookies, 16 octets) in Phase 1, 4 octets for ESP/AH, 2 for IPCOMP.
    pub spi: Vec<u8>,
    /// Transforms, in wire order.
    pub transforms: Vec<Transform>,
}

impl Proposal {
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
        if count == 0 {
            return Err(malformed("proposal without transforms"));
        }
        let spi = r.take(usize::from(spi_size))?.to_vec();
        let mut transforms = Vec::new();
        for i in 0..count {
            let (next, tbody) = substructure(&mut r, 4, "transform length below 8")?;
            let is_last = i.saturating_add(1) == count;
            match (next, is_last) {
                (0, true) | (payload::TRANSFORM, false) => {}
                _ => {
                    return Err(malformed(
                        "transform next-payload inconsistent with the count",
                    ))
                }
            }
            transforms.push(Transform::parse_body(tbody)?);
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
        let count = self.transforms.len();
        if count == 0 {
            return Err(WireError::Unencodable("proposal without transforms"));
        }
        let mut body = Vec::new();
        for (i, t) in self.transforms.iter().enumerate() {
            t.emit(i.saturating_add(1) == count, &mut body)?;
        }
        let len = body.len().saturating_add(8).saturating_add(self.spi.len());
        out.push(if last { 0 } else { payload::PROPOSAL });
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

/// Security Association payload (RFC 2408 §3.4): DOI, situation and proposals.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SaPayload {
    /// Domain of Interpretation ([`crate::v1::ids::doi`]).
    pub doi: u32,
    /// Situation (4 octets; SIT_IDENTITY_ONLY in practice).
    pub situation: u32,
    /// Proposals in preference order.
    pub proposals: Vec<Proposal>,
}

impl SaPayload {
    /// Parses the payload body (after the generic payload header).
    ///
    /// The Next Payload chaining of proposals and transforms must agree with the counts, every
    /// substructure must exactly fill its declared length, and at least one proposal must be
    /// present. An IPsec-DOI situation with the labeled-domain bits (SIT_SECRECY,
    /// SIT_INTEGRITY), whose extra fields nobody sends, is refused as malformed.
    pub fn parse(body: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(body);
        let doi_v = r.u32()?;
        let situation_v = r.u32()?;
        if doi_v == doi::IPSEC && situation_v & (situation::SECRECY | situation::INTEGRITY) != 0 {
            return Err(malformed("labeled-domain situation is not supported"));
        }
        if r.is_empty() {
            return Err(malformed("SA payload without proposals"));
        }
        let mut proposals = Vec::new();
        loop {
            if proposals.len() >= MAX_PROPOSALS {
                return Err(WireError::TooMany {
                    what: "proposals",
                    limit: MAX_PROPOSALS,
                });
            }
            let (next, pbody) = substructure(&mut r, 4, "proposal length below 8")?;
            proposals.push(Proposal::parse_body(pbody)?);
            match (next, r.is_empty()) {
                (0, true) => break,
                (payload::PROPOSAL, false) => {}
                (0, false) => return Err(malformed("data after the last proposal")),
                (payload::PROPOSAL, true) => return Err(malformed("missing proposal")),
                _ => return Err(malformed("proposal next-payload is neither 2 nor 0")),
            }
        }
        Ok(Self {
            doi: doi_v,
            situation: situation_v,
            proposals,
        })
    }

    /// Appends the payload body.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        let count = self.proposals.len();
        if count == 0 {
            return Err(WireError::Unencodable("SA payload without proposals"));
        }
        if self.doi == doi::IPSEC
            && self.situation & (situation::SECRECY | situation::INTEGRITY) != 0
        {
            return Err(WireError::Unencodable("labeled-domain situation"));
        }
        put_u32(out, self.doi);
        put_u32(out, self.situation);
        for (i, p) in self.proposals.iter().enumerate() {
            p.emit(i.saturating_add(1) == count, out)?;
        }
        Ok(())
    }
}
