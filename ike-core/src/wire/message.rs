//! Whole messages and payload chains.

use super::error::WireError;
use super::header::Header;
use super::payload::Payload;
use super::reader::{len_u16, Reader};
use super::sk::{EncryptedLayout, Fragment, SkfPayload};
use super::MAX_PAYLOADS;
use crate::ids::payload as pt;

/// Length of the generic payload header.
const GENERIC_LEN: usize = 4;
/// The critical bit in the generic payload header.
const CRITICAL: u8 = 0x80;

/// An IKEv2 message: the header and its payloads in wire order.
///
/// For a protected message the last payload is [`Payload::Sk`] or [`Payload::Skf`], whose
/// `next_payload` names the first inner payload; after decryption the inner payloads are
/// parsed with [`parse_payload_chain`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Message {
    /// The IKE header. On emit, `next_payload` and `length` are recomputed.
    pub header: Header,
    /// Payloads in wire order (non-critical unknown payloads included as
    /// [`Payload::Unknown`]).
    pub payloads: Vec<Payload>,
}

/// Which chain is being walked: a message's own payloads may end with SK/SKF, a decrypted
/// inner chain may not contain them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chain {
    Outer,
    Inner,
}

impl Message {
    /// A message from a header and payloads.
    pub fn new(header: Header, payloads: Vec<Payload>) -> Self {
        Self { header, payloads }
    }

    /// Parses one IKEv2 message (a UDP payload without the non-ESP marker).
    ///
    /// Checks: major version 2 ([`WireError::BadVersion`]), header length equal to
    /// `bytes.len()` ([`WireError::LengthMismatch`]), every payload length within bounds, at
    /// most [`MAX_PAYLOADS`] payloads, no bytes after the last payload, SK/SKF only last,
    /// unknown critical payloads rejected ([`WireError::UnsupportedCritical`]).
    pub fn parse(bytes: &[u8]) -> Result<Self, WireError> {
        let header = Header::parse(bytes)?;
        if header.major_version != 2 {
            return Err(WireError::BadVersion {
                major: header.major_version,
                minor: header.minor_version,
            });
        }
        if usize::try_from(header.length).ok() != Some(bytes.len()) {
            return Err(WireError::LengthMismatch {
                header: header.length,
                datagram: bytes.len(),
            });
        }
        let body = bytes.get(Header::LEN..).unwrap_or_default();
        let payloads = parse_chain(header.next_payload, body, Chain::Outer)?;
        Ok(Self { header, payloads })
    }

    /// Encodes the message, computing the header's Next Payload and Length and every
    /// payload's Next Payload and Payload Length.
    ///
    /// Fails with [`WireError::Unencodable`] for values that do not fit their fields and
    /// with [`WireError::EncryptedNotLast`] if SK/SKF is not the last payload.
    pub fn emit(&self) -> Result<Vec<u8>, WireError> {
        let (first, chain) = emit_chain(&self.payloads, Chain::Outer)?;
        let total = chain.len().saturating_add(Header::LEN);
        let mut h = self.header.clone();
        h.next_payload = first;
        h.length = u32::try_from(total).map_err(|_| WireError::Unencodable("message too long"))?;
        let mut out = Vec::with_capacity(total);
        h.emit(&mut out);
        out.extend_from_slice(&chain);
        Ok(out)
    }

    /// The layout of the SK/SKF payload if it is the last payload.
    ///
    /// Offsets refer to the octets this message was parsed from (whose length is
    /// `header.length`, as [`Message::parse`] guarantees). For a message being built, use
    /// [`super::emit_encrypted`] instead.
    pub fn encrypted_layout(&self) -> Option<EncryptedLayout> {
        let len = usize::try_from(self.header.length).ok()?;
        let (inner_first_type, fragment, body_len) = match self.payloads.last()? {
            Payload::Sk(sk) => (sk.next_payload, None, sk.body.len()),
            Payload::Skf(skf) => (
                skf.next_payload,
                Some(Fragment {
                    number: skf.fragment_number,
                    total: skf.total_fragments,
                }),
                skf.body.len(),
            ),
            _ => return None,
        };
        let body_start = len.checked_sub(body_len)?;
        // The SK header (and SKF fields) must fit between the IKE header and the body.
        let min = Header::LEN
            + GENERIC_LEN
            + if fragment.is_some() {
                SkfPayload::FRAGMENT_FIELDS_LEN
            } else {
                0
            };
        if body_start < min {
            return None;
        }
        Some(EncryptedLayout {
            inner_first_type,
            fragment,
            body_start,
            len,
        })
    }
}

/// Parses a chain of payloads whose first payload has type `first_type`, e.g. the
/// decrypted content of an SK payload (after [`super::sk_unpad`]) with the SK payload's
/// Next Payload as `first_type`.
///
/// The chain must end with Next Payload 0 exactly at the end of `bytes`; SK/SKF inside are
/// rejected ([`WireError::NestedEncrypted`]). A `first_type` of 0 requires empty `bytes`.
pub fn parse_payload_chain(first_type: u8, bytes: &[u8]) -> Result<Vec<Payload>, WireError> {
    parse_chain(first_type, bytes, Chain::Inner)
}

/// Encodes a chain of payloads (e.g. the inner payloads of an SK payload before padding and
/// encryption), returning the type of the first payload (0 if none) and the octets.
pub fn emit_payload_chain(payloads: &[Payload]) -> Result<(u8, Vec<u8>), WireError> {
    emit_chain(payloads, Chain::Inner)
}

fn parse_chain(first: u8, bytes: &[u8], chain: Chain) -> Result<Vec<Payload>, WireError> {
    let mut r = Reader::new(bytes);
    let mut next = first;
    let mut out = Vec::new();
    while next != pt::NONE {
        if out.len() >= MAX_PAYLOADS {
            return Err(WireError::TooManyPayloads(MAX_PAYLOADS));
        }
        let ptype = next;
        let this_next = r.u8()?;
        let flags = r.u8()?;
        let len = usize::from(r.u16()?);
        let body_len = len
            .checked_sub(GENERIC_LEN)
            .filter(|b| *b <= r.remaining())
            .ok_or(WireError::BadLength {
                payload: ptype,
                len,
            })?;
        let body = r.take(body_len)?;
        let p = Payload::parse(ptype, this_next, flags & CRITICAL != 0, body)?;
        let encrypted = p.is_encrypted();
        out.push(p);
        if encrypted {
            if chain == Chain::Inner {
                return Err(WireError::NestedEncrypted(ptype));
            }
            // SK/SKF must be last; its Next Payload names the inner chain, not a sibling.
            if !r.is_empty() {
                return Err(WireError::EncryptedNotLast(ptype));
            }
            return Ok(out);
        }
        next = this_next;
    }
    r.finish()?;
    Ok(out)
}

fn emit_chain(payloads: &[Payload], chain: Chain) -> Result<(u8, Vec<u8>), WireError> {
    let mut out = Vec::new();
    let count = payloads.len();
    for (i, p) in payloads.iter().enumerate() {
        let is_last = i.saturating_add(1) == count;
        let next = match p {
            Payload::Sk(_) | Payload::Skf(_) if chain == Chain::Inner => {
                return Err(WireError::NestedEncrypted(p.payload_type()))
            }
            Payload::Sk(_) | Payload::Skf(_) if !is_last => {
                return Err(WireError::EncryptedNotLast(p.payload_type()))
            }
            Payload::Sk(sk) => sk.next_payload,
            Payload::Skf(skf) => skf.next_payload,
            _ => payloads
                .get(i.saturating_add(1))
                .map_or(pt::NONE, Payload::payload_type),
        };
        if let Payload::Unknown(u) = p {
            // type 0 would end the chain, SK/SKF would be parsed as encrypted payloads
            if matches!(u.payload_type, pt::NONE | pt::SK | pt::SKF) {
                return Err(WireError::Unencodable(
                    "unknown payload with type 0, SK or SKF",
                ));
            }
        }
        let start = out.len();
        out.extend_from_slice(&[next, if p.critical() { CRITICAL } else { 0 }, 0, 0]);
        p.emit_body(&mut out)?;
        let len = len_u16(out.len().saturating_sub(start), "payload over 65535 octets")?;
        if let Some(slot) = out.get_mut(start.saturating_add(2)..start.saturating_add(4)) {
            slot.copy_from_slice(&len.to_be_bytes());
        }
    }
    let first = payloads.first().map_or(pt::NONE, Payload::payload_type);
    Ok((first, out))
}
