//! Whole messages and payload chains.

use super::header::Header;
use super::payload::Payload;
use super::MAX_PAYLOADS;
use crate::wire::{len_u16, Reader, WireError};

/// Length of the generic payload header (Next Payload, RESERVED, Payload Length).
const GENERIC_LEN: usize = 4;
/// Most zero octets accepted after the last payload of a message in the clear.
pub const MAX_CLEAR_PADDING: usize = 3;

/// What follows the ISAKMP header.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Body {
    /// The payloads of a message sent in the clear (E flag clear).
    Clear(Vec<Payload>),
    /// An encrypted message (E flag set): everything after the header is CBC ciphertext of
    /// the payload chain and its padding (RFC 2408 §3.1, RFC 2409 Appendix B). Decrypt it
    /// and read the chain with [`parse_decrypted`].
    Encrypted {
        /// The header's Next Payload: the type of the first encrypted payload.
        first_payload: u8,
        /// The ciphertext (a whole number of cipher blocks when well formed; see
        /// [`crate::v1::wire::split_encrypted`]).
        ciphertext: Vec<u8>,
    },
}

/// An ISAKMP message: the header and its body.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Message {
    /// The ISAKMP header. On emit, `length`, the E flag and (for [`Body::Clear`])
    /// `next_payload` are computed from the body.
    pub header: Header,
    /// The payloads, or the ciphertext.
    pub body: Body,
    /// Zero octets after the last payload of a message in the clear, kept so that the message
    /// emits byte-identical: Libreswan pads every message it sends to a multiple of 4 octets
    /// (counted in the header length). 0 to [`MAX_CLEAR_PADDING`]; always 0 when encrypted.
    pub padding: usize,
}

/// A decrypted payload chain ([`parse_decrypted`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DecryptedChain {
    /// The payloads in wire order.
    pub payloads: Vec<Payload>,
    /// Octets after the last payload: the padding, whatever its content.
    pub padding: usize,
}

impl Message {
    /// A message without padding.
    pub fn new(header: Header, body: Body) -> Self {
        Self {
            header,
            body,
            padding: 0,
        }
    }

    /// Parses one ISAKMP message (a UDP payload without the non-ESP marker).
    ///
    /// Checks: major version 1 ([`WireError::BadVersion`]; the minor version is kept but not
    /// checked), header length equal to `bytes.len()` ([`WireError::LengthMismatch`]), and for
    /// a message in the clear every payload length within bounds, at most [`MAX_PAYLOADS`]
    /// payloads and after the last payload nothing but up to [`MAX_CLEAR_PADDING`] zero
    /// octets (else [`WireError::TrailingData`]). An encrypted message keeps its
    /// ciphertext; its length against the block size is checked by
    /// [`crate::v1::wire::split_encrypted`].
    pub fn parse(bytes: &[u8]) -> Result<Self, WireError> {
        let header = Header::parse(bytes)?;
        if header.major_version != 1 {
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
        let rest = bytes.get(Header::LEN..).unwrap_or_default();
        if header.flags.encryption {
            let body = Body::Encrypted {
                first_payload: header.next_payload,
                ciphertext: rest.to_vec(),
            };
            return Ok(Self::new(header, body));
        }
        let (payloads, left) = walk(header.next_payload, rest)?;
        let tail = rest
            .get(rest.len().saturating_sub(left)..)
            .unwrap_or_default();
        if left > MAX_CLEAR_PADDING || tail.iter().any(|b| *b != 0) {
            return Err(WireError::TrailingData { len: left });
        }
        Ok(Self {
            header,
            body: Body::Clear(payloads),
            padding: left,
        })
    }

    /// Encodes the message, computing the header's Length, E flag and (for a message in the
    /// clear) Next Payload, and every payload's Next Payload and Payload Length; `padding` zero
    /// octets follow the payloads of a message in the clear.
    ///
    /// Fails with [`WireError::Unencodable`] for values that do not fit their fields.
    pub fn emit(&self) -> Result<Vec<u8>, WireError> {
        let mut h = self.header.clone();
        let (first, rest) = match &self.body {
            Body::Clear(payloads) => {
                if self.padding > MAX_CLEAR_PADDING {
                    return Err(WireError::Unencodable("more than 3 octets of padding"));
                }
                h.flags.encryption = false;
                let (first, mut chain) = emit_payload_chain(payloads)?;
                chain.resize(chain.len().saturating_add(self.padding), 0);
                (first, chain)
            }
            Body::Encrypted {
                first_payload,
                ciphertext,
            } => {
                if self.padding != 0 {
                    return Err(WireError::Unencodable("padding outside the ciphertext"));
                }
                h.flags.encryption = true;
                (*first_payload, ciphertext.clone())
            }
        };
        let total = rest.len().saturating_add(Header::LEN);
        h.next_payload = first;
        h.length = u32::try_from(total).map_err(|_| WireError::Unencodable("message too long"))?;
        let mut out = Vec::with_capacity(total);
        h.emit(&mut out);
        out.extend_from_slice(&rest);
        Ok(out)
    }

    /// The payloads of a message in the clear (`None` when encrypted).
    pub fn payloads(&self) -> Option<&[Payload]> {
        match &self.body {
            Body::Clear(p) => Some(p),
            Body::Encrypted { .. } => None,
        }
    }

    /// True when the header's E flag is set.
    pub fn is_encrypted(&self) -> bool {
        matches!(self.body, Body::Encrypted { .. })
    }
}

/// Walks a payload chain starting with type `first`; returns the payloads and the number of
/// octets after the last one.
fn walk(first: u8, bytes: &[u8]) -> Result<(Vec<Payload>, usize), WireError> {
    let mut r = Reader::new(bytes);
    let mut payloads = Vec::new();
    let mut next = first;
    while next != 0 {
        if payloads.len() >= MAX_PAYLOADS {
            return Err(WireError::TooManyPayloads(MAX_PAYLOADS));
        }
        let ptype = next;
        let have = r.remaining();
        if have < GENERIC_LEN {
            return Err(WireError::BadLength {
                payload: ptype,
                len: have,
            });
        }
        next = r.u8()?;
        let _reserved = r.u8()?;
        let len = usize::from(r.u16()?);
        if len < GENERIC_LEN || len > have {
            return Err(WireError::BadLength {
                payload: ptype,
                len,
            });
        }
        let body = r.take(len.saturating_sub(GENERIC_LEN))?;
        payloads.push(Payload::parse(ptype, body)?);
    }
    Ok((payloads, r.remaining()))
}

/// Parses a payload chain in the clear starting with type `first` (the header's Next
/// Payload); no octet may follow the last payload ([`WireError::TrailingData`]).
pub fn parse_payload_chain(first: u8, bytes: &[u8]) -> Result<Vec<Payload>, WireError> {
    let (payloads, left) = walk(first, bytes)?;
    if left != 0 {
        return Err(WireError::TrailingData { len: left });
    }
    Ok(payloads)
}

/// Parses a decrypted payload chain starting with type `first` (the header's Next Payload).
///
/// The declared payload lengths bound the content; whatever follows the last payload is
/// padding and is accepted with any length and content (RFC 2409 has no pad-length octet:
/// Libreswan pads with 0 to block-1 zero octets, strongSwan with 1 to block zero octets,
/// other implementations differ).
pub fn parse_decrypted(first: u8, plaintext: &[u8]) -> Result<DecryptedChain, WireError> {
    let (payloads, padding) = walk(first, plaintext)?;
    Ok(DecryptedChain { payloads, padding })
}

/// Encodes a payload chain, computing every Next Payload and Payload Length. Returns the
/// type of the first payload (for the header's Next Payload; 0 for an empty chain) and the
/// octets.
pub fn emit_payload_chain(payloads: &[Payload]) -> Result<(u8, Vec<u8>), WireError> {
    if payloads.len() > MAX_PAYLOADS {
        return Err(WireError::TooManyPayloads(MAX_PAYLOADS));
    }
    let mut out = Vec::new();
    let mut iter = payloads.iter().peekable();
    while let Some(p) = iter.next() {
        let next = iter.peek().map_or(0, |n| n.payload_type());
        let mut body = Vec::new();
        p.emit_body(&mut body)?;
        out.push(next);
        out.push(0);
        let len = len_u16(
            body.len().saturating_add(GENERIC_LEN),
            "payload over 65535 octets",
        )?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&body);
    }
    let first = payloads.first().map_or(0, Payload::payload_type);
    Ok((first, out))
}
