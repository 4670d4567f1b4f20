//! Encrypted (SK, RFC 7296 §3.14) and Encrypted Fragment (SKF, RFC 7383 §2.5) payloads.
//!
//! The codec handles only the outer structure. The body after the generic payload header
//! (and, for SKF, after Fragment Number / Total Fragments) is opaque here:
//!
//! ```text
//! | IKE header | [other payloads] | SK hdr [| frag#, total] | IV | ciphertext | ICV |
//! |<----------------- AAD (AEAD, RFC 5282/7383) ----------->|<------ body ------->|
//! |<----------- integrity (non-AEAD: everything before the ICV) ---------->|
//! ```
//!
//! where ciphertext = E(inner payloads | padding | pad length). [`EncryptedLayout`] gives
//! these ranges for a received datagram ([`crate::wire::Message::encrypted_layout`]) and for
//! a message being built ([`emit_encrypted`]); the crypto layer supplies the IV and ICV
//! lengths of the negotiated algorithms.

use std::ops::Range;

use super::error::WireError;
use super::header::Header;
use super::reader::{len_u16, put_u16, Reader};
use crate::ids::payload;

/// Length of the generic payload header.
const GENERIC_LEN: usize = 4;

/// Fragment Number and Total Fragments of an SKF payload (both 1-based, number <= total).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fragment {
    /// Fragment Number (1..=total).
    pub number: u16,
    /// Total Fragments (>= 1).
    pub total: u16,
}

impl Fragment {
    /// Checks RFC 7383 §2.5: neither field zero, number not above total.
    pub fn validate(self) -> Result<Self, WireError> {
        if self.number == 0 || self.total == 0 || self.number > self.total {
            return Err(WireError::BadFragment {
                number: self.number,
                total: self.total,
            });
        }
        Ok(self)
    }
}

/// Encrypted payload (SK).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SkPayload {
    /// The SK payload's Next Payload field: the type of the first inner payload.
    pub next_payload: u8,
    /// Opaque body: IV | ciphertext | ICV.
    pub body: Vec<u8>,
}

impl SkPayload {
    /// Parses the payload body; `next_payload` is the generic header's Next Payload field.
    pub fn parse(next_payload: u8, body: &[u8]) -> Result<Self, WireError> {
        Ok(Self {
            next_payload,
            body: body.to_vec(),
        })
    }

    /// Appends the payload body.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        out.extend_from_slice(&self.body);
        Ok(())
    }
}

/// Encrypted Fragment payload (SKF).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SkfPayload {
    /// Next Payload field: the first inner payload's type in fragment 1, zero in the others.
    pub next_payload: u8,
    /// Fragment Number.
    pub fragment_number: u16,
    /// Total Fragments.
    pub total_fragments: u16,
    /// Opaque body: IV | ciphertext | ICV.
    pub body: Vec<u8>,
}

impl SkfPayload {
    /// Length of Fragment Number + Total Fragments.
    pub const FRAGMENT_FIELDS_LEN: usize = 4;

    /// The fragment fields.
    pub fn fragment(&self) -> Fragment {
        Fragment {
            number: self.fragment_number,
            total: self.total_fragments,
        }
    }

    /// Parses the payload body; `next_payload` is the generic header's Next Payload field.
    pub fn parse(next_payload: u8, body: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(body);
        let frag = Fragment {
            number: r.u16()?,
            total: r.u16()?,
        }
        .validate()?;
        Ok(Self {
            next_payload,
            fragment_number: frag.number,
            total_fragments: frag.total,
            body: r.rest().to_vec(),
        })
    }

    /// Appends the payload body.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        self.fragment()
            .validate()
            .map_err(|_| WireError::Unencodable("bad fragment number or total"))?;
        put_u16(out, self.fragment_number);
        put_u16(out, self.total_fragments);
        out.extend_from_slice(&self.body);
        Ok(())
    }
}

/// Where the parts of an SK- or SKF-protected message lie, as offsets into the message
/// octets (for a received message: the datagram given to
/// [`crate::wire::Message::parse`], after removing any non-ESP marker).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EncryptedLayout {
    /// Type of the first inner payload (the SK/SKF Next Payload field; zero in SKF fragments
    /// other than the first).
    pub inner_first_type: u8,
    /// Fragment fields for SKF, `None` for SK.
    pub fragment: Option<Fragment>,
    /// Offset of the opaque body (IV | ciphertext | ICV): everything before it is the AEAD
    /// associated data.
    pub body_start: usize,
    /// Total message length (end of the body).
    pub len: usize,
}

/// The ranges of an encrypted message once the IV and ICV lengths are known.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EncryptedSections {
    /// AEAD associated data (RFC 5282 §5.1, RFC 7383 §2.5): the IKE header through the end
    /// of the SK payload header (for SKF including Fragment Number and Total Fragments).
    pub aad: Range<usize>,
    /// Initialization vector.
    pub iv: Range<usize>,
    /// Encrypted inner payloads, padding and pad length.
    pub ciphertext: Range<usize>,
    /// Integrity checksum / AEAD tag.
    pub icv: Range<usize>,
    /// What a non-AEAD integrity algorithm covers (RFC 7296 §3.14): the whole message up to
    /// the ICV, i.e. `aad`, `iv` and `ciphertext`.
    pub integrity: Range<usize>,
}

/// Borrowed parts of a received encrypted message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncryptedParts<'a> {
    /// AEAD associated data.
    pub aad: &'a [u8],
    /// Initialization vector.
    pub iv: &'a [u8],
    /// Ciphertext (inner payloads, padding and pad length, encrypted).
    pub ciphertext: &'a [u8],
    /// Integrity checksum / AEAD tag.
    pub icv: &'a [u8],
    /// Bytes a non-AEAD integrity algorithm covers (everything before the ICV).
    pub integrity: &'a [u8],
}

/// Mutable parts of a message being built by [`emit_encrypted`], for in-place encryption.
#[derive(Debug, PartialEq, Eq)]
pub struct EncryptedPartsMut<'a> {
    /// AEAD associated data (already final).
    pub aad: &'a [u8],
    /// Initialization vector, to fill.
    pub iv: &'a mut [u8],
    /// Ciphertext, to fill.
    pub ciphertext: &'a mut [u8],
    /// ICV, to fill (for non-AEAD, compute it over `&buf[sections.integrity]` after the IV
    /// and ciphertext are written).
    pub icv: &'a mut [u8],
}

impl EncryptedLayout {
    /// AEAD associated data range: `0..body_start`.
    pub fn aad(&self) -> Range<usize> {
        0..self.body_start
    }

    /// Opaque body range: `body_start..len`.
    pub fn body(&self) -> Range<usize> {
        self.body_start..self.len
    }

    /// Splits the body into IV, ciphertext and ICV; fails with [`WireError::Truncated`] if
    /// the body is shorter than `iv_len + icv_len`.
    pub fn sections(&self, iv_len: usize, icv_len: usize) -> Result<EncryptedSections, WireError> {
        let body_len = self.len.saturating_sub(self.body_start);
        let need = iv_len.saturating_add(icv_len);
        if body_len < need || self.body_start > self.len {
            return Err(WireError::Truncated {
                need,
                have: body_len,
            });
        }
        let iv_end = self.body_start.saturating_add(iv_len);
        let icv_start = self.len.saturating_sub(icv_len);
        Ok(EncryptedSections {
            aad: 0..self.body_start,
            iv: self.body_start..iv_end,
            ciphertext: iv_end..icv_start,
            icv: icv_start..self.len,
            integrity: 0..icv_start,
        })
    }

    /// Borrows the parts from `message` (the octets this layout was computed for).
    pub fn split<'a>(
        &self,
        message: &'a [u8],
        iv_len: usize,
        icv_len: usize,
    ) -> Result<EncryptedParts<'a>, WireError> {
        let s = self.sections(iv_len, icv_len)?;
        let short = WireError::Truncated {
            need: self.len,
            have: message.len(),
        };
        if message.len() != self.len {
            return Err(short);
        }
        Ok(EncryptedParts {
            aad: message.get(s.aad).ok_or(short.clone())?,
            iv: message.get(s.iv).ok_or(short.clone())?,
            ciphertext: message.get(s.ciphertext).ok_or(short.clone())?,
            icv: message.get(s.icv).ok_or(short.clone())?,
            integrity: message.get(s.integrity).ok_or(short)?,
        })
    }

    /// Mutably splits `buf` (from [`emit_encrypted`]) for in-place encryption.
    pub fn split_mut<'a>(
        &self,
        buf: &'a mut [u8],
        iv_len: usize,
        icv_len: usize,
    ) -> Result<EncryptedPartsMut<'a>, WireError> {
        let s = self.sections(iv_len, icv_len)?;
        let short = WireError::Truncated {
            need: self.len,
            have: buf.len(),
        };
        if buf.len() != self.len {
            return Err(short);
        }
        let (aad, body) = buf.split_at_mut_checked(s.aad.end).ok_or(short.clone())?;
        let (iv, rest) = body.split_at_mut_checked(iv_len).ok_or(short.clone())?;
        let ct_len = s.ciphertext.end.saturating_sub(s.ciphertext.start);
        let (ciphertext, icv) = rest.split_at_mut_checked(ct_len).ok_or(short)?;
        Ok(EncryptedPartsMut {
            aad,
            iv,
            ciphertext,
            icv,
        })
    }
}

/// Builds an encrypted message with `body_len` zero octets reserved for IV | ciphertext |
/// ICV, all lengths final, and returns it with its layout.
///
/// The message is `header` (with `next_payload` set to SK or SKF and `length` computed; the
/// values in `header` are ignored), the SK or SKF payload header whose Next Payload is
/// `inner_first_type`, the fragment fields when `fragment` is given, then the body. The
/// crypto layer then fills the body in place: AEAD seals with `&buf[layout.aad()]` as
/// associated data; CBC+HMAC encrypts and MACs `&buf[sections.integrity]`
/// ([`EncryptedLayout::split_mut`] hands out the pieces).
pub fn emit_encrypted(
    header: &Header,
    inner_first_type: u8,
    fragment: Option<Fragment>,
    body_len: usize,
) -> Result<(Vec<u8>, EncryptedLayout), WireError> {
    let (ptype, extra) = match fragment {
        None => (payload::SK, 0),
        Some(f) => {
            f.validate()
                .map_err(|_| WireError::Unencodable("bad fragment number or total"))?;
            (payload::SKF, SkfPayload::FRAGMENT_FIELDS_LEN)
        }
    };
    let payload_len = body_len
        .checked_add(GENERIC_LEN + extra)
        .ok_or(WireError::Unencodable("encrypted payload too long"))?;
    let payload_len16 = len_u16(payload_len, "encrypted payload over 65535 octets")?;
    let total = payload_len.saturating_add(Header::LEN);
    let mut h = header.clone();
    h.next_payload = ptype;
    h.length = u32::try_from(total).map_err(|_| WireError::Unencodable("message too long"))?;
    let mut out = Vec::with_capacity(total);
    h.emit(&mut out);
    out.push(inner_first_type);
    out.push(0);
    put_u16(&mut out, payload_len16);
    if let Some(f) = fragment {
        put_u16(&mut out, f.number);
        put_u16(&mut out, f.total);
    }
    let body_start = out.len();
    out.resize(total, 0);
    Ok((
        out,
        EncryptedLayout {
            inner_first_type,
            fragment,
            body_start,
            len: total,
        },
    ))
}

/// Appends RFC 7296 §3.14 padding (zero octets) and the Pad Length octet to the inner
/// payloads so their length becomes a multiple of `block_size` (use 1 for AEAD and stream
/// ciphers, which then get only the Pad Length octet 0).
pub fn sk_pad(plain: &mut Vec<u8>, block_size: u8) {
    let block = usize::from(block_size.max(1));
    let rem = plain.len().saturating_add(1) % block;
    let pad = if rem == 0 { 0 } else { block - rem };
    plain.resize(plain.len().saturating_add(pad), 0);
    // pad < block <= 255, so it fits the octet.
    plain.push(u8::try_from(pad).unwrap_or(0));
}

/// Strips padding and the Pad Length octet from decrypted SK content, returning the inner
/// payloads (for [`crate::wire::parse_payload_chain`]). Any pad length that fits is
/// accepted (RFC 7296 §3.14); checking block alignment is the cipher's business.
pub fn sk_unpad(decrypted: &[u8]) -> Result<&[u8], WireError> {
    let (pad_len, rest) = decrypted
        .split_last()
        .ok_or(WireError::BadPadding { pad: 0, len: 0 })?;
    let pad = usize::from(*pad_len);
    let keep = rest.len().checked_sub(pad).ok_or(WireError::BadPadding {
        pad,
        len: decrypted.len(),
    })?;
    rest.get(..keep).ok_or(WireError::BadPadding {
        pad,
        len: decrypted.len(),
    })
}
