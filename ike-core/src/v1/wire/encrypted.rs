//! Framing of encrypted messages (RFC 2408 §3.1, RFC 2409 Appendix B).
//!
//! With the E flag set, everything after the 28-octet header is CBC ciphertext: the payload
//! chain followed by padding up to the cipher's block size. There is no IV, no integrity
//! check value and no pad-length octet in the message: the IV comes from the chain of
//! [`crate::v1::iv_chain`], integrity from the HASH payloads inside.
//!
//! Sending: [`emit_payload_chain`](super::emit_payload_chain), [`pad_plaintext`], encrypt,
//! then a [`Message`](super::Message) with [`Body::Encrypted`](super::Body::Encrypted).
//! Receiving: [`split_encrypted`], decrypt, [`parse_decrypted`](super::parse_decrypted).

use super::header::Header;
use crate::wire::WireError;

/// Where the ciphertext of an encrypted message starts: right after the header.
pub const ENCRYPTED_OFFSET: usize = Header::LEN;

/// The two parts of an encrypted message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncryptedParts<'a> {
    /// The 28 header octets (not encrypted, not otherwise authenticated).
    pub header: &'a [u8],
    /// The ciphertext: `datagram[ENCRYPTED_OFFSET..]`.
    pub ciphertext: &'a [u8],
}

impl EncryptedParts<'_> {
    /// The last ciphertext block: the IV of the next message in the same exchange
    /// (RFC 2409 Appendix B).
    pub fn last_block(&self, block_size: usize) -> Option<&[u8]> {
        let start = self.ciphertext.len().checked_sub(block_size)?;
        self.ciphertext.get(start..)
    }
}

/// Splits an encrypted ISAKMP message into header and ciphertext.
///
/// Checks the header (version 1, length equal to `datagram.len()`, E flag set) and that the
/// ciphertext is a non-empty whole number of `block_size` blocks.
pub fn split_encrypted(
    datagram: &[u8],
    block_size: usize,
) -> Result<EncryptedParts<'_>, WireError> {
    let header = Header::parse(datagram)?;
    if header.major_version != 1 {
        return Err(WireError::BadVersion {
            major: header.major_version,
            minor: header.minor_version,
        });
    }
    if usize::try_from(header.length).ok() != Some(datagram.len()) {
        return Err(WireError::LengthMismatch {
            header: header.length,
            datagram: datagram.len(),
        });
    }
    if !header.flags.encryption {
        return Err(WireError::Malformed {
            payload: header.next_payload,
            reason: "message is not encrypted (E flag clear)",
        });
    }
    let (head, ciphertext) =
        datagram
            .split_at_checked(ENCRYPTED_OFFSET)
            .ok_or(WireError::Truncated {
                need: ENCRYPTED_OFFSET,
                have: datagram.len(),
            })?;
    if block_size == 0 || ciphertext.is_empty() || !ciphertext.len().is_multiple_of(block_size) {
        return Err(WireError::Malformed {
            payload: header.next_payload,
            reason: "ciphertext is not a whole number of cipher blocks",
        });
    }
    Ok(EncryptedParts {
        header: head,
        ciphertext,
    })
}

/// Pads a payload chain with zero octets up to a multiple of `block_size` (nothing when it
/// already is one, as Libreswan does); returns the number of octets added.
///
/// RFC 2409 defines no pad-length octet; receivers take the payload lengths and ignore the
/// rest. strongSwan also pads with zeros but always adds at least one octet (a whole block
/// when the chain is aligned); both forms are accepted by [`parse_decrypted`](super::parse_decrypted)
/// and by both daemons.
pub fn pad_plaintext(plaintext: &mut Vec<u8>, block_size: usize) -> Result<usize, WireError> {
    if block_size == 0 {
        return Err(WireError::Unencodable("block size 0"));
    }
    let rem = plaintext.len() % block_size;
    let pad = if rem == 0 { 0 } else { block_size - rem };
    plaintext.resize(plaintext.len().saturating_add(pad), 0);
    Ok(pad)
}
