//! The CBC IV chain of IKEv1 (RFC 2409 Appendix B), as pure functions.
//!
//! ISAKMP messages carry no IV. Both peers derive it:
//! - Phase 1 (Main or Aggressive Mode): the first encrypted message uses
//!   `hash(g^xi | g^xr)` cut to the cipher's block size, where `g^xi` / `g^xr` are the
//!   initiator's and responder's KE payload data and `hash` is the negotiated Hash Algorithm
//!   (Phase 1 attribute class 2), a plain hash, not the HMAC PRF.
//! - Every later message of the same exchange uses the last ciphertext block of the previous
//!   message ([`next_iv`]), whichever peer sent it.
//! - The first message of a Phase 2 exchange (Quick Mode, Informational, Transaction) uses
//!   `hash(last Phase 1 IV | M-ID)` cut to the block size, where the last Phase 1 IV is the
//!   last ciphertext block of the last Phase 1 message and M-ID the new exchange's message id
//!   in network order ([`phase2_iv`]); each exchange then chains on its own.
//!
//! This module is sans-IO and imports no crypto: the hash is a closure the caller builds over
//! its crypto provider, e.g.
//! `|parts| provider.hash(HashAlg::Sha256, parts)` with
//! [`CryptoProvider::hash`](crate::crypto::CryptoProvider::hash). IVs are not secret (they
//! are derived from public values or are ciphertext), so they are plain `Vec<u8>`.

use thiserror::Error;

/// Why an IV could not be derived.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IvError<E> {
    /// The hash closure failed.
    #[error("hash failed: {0}")]
    Hash(E),
    /// The hash output is shorter than the cipher block.
    #[error("hash output of {hash} octets is shorter than the {block}-octet cipher block")]
    HashTooShort {
        /// Hash output length.
        hash: usize,
        /// Block size asked for.
        block: usize,
    },
    /// A block size of 0.
    #[error("cipher block size 0")]
    ZeroBlockSize,
    /// A ciphertext shorter than one block or not a whole number of blocks.
    #[error("ciphertext of {len} octets is not a whole number of {block}-octet blocks")]
    BadCiphertext {
        /// Ciphertext length.
        len: usize,
        /// Block size.
        block: usize,
    },
}

fn truncate<E>(mut digest: Vec<u8>, block_size: usize) -> Result<Vec<u8>, IvError<E>> {
    if block_size == 0 {
        return Err(IvError::ZeroBlockSize);
    }
    if digest.len() < block_size {
        return Err(IvError::HashTooShort {
            hash: digest.len(),
            block: block_size,
        });
    }
    digest.truncate(block_size);
    Ok(digest)
}

/// The IV of the first encrypted Phase 1 message: `hash(ke_i | ke_r)` cut to `block_size`.
///
/// `ke_i` / `ke_r` are the KE payload data of the initiator and the responder (in that order,
/// whichever side computes it).
pub fn phase1_iv<E>(
    hash: impl FnOnce(&[&[u8]]) -> Result<Vec<u8>, E>,
    ke_i: &[u8],
    ke_r: &[u8],
    block_size: usize,
) -> Result<Vec<u8>, IvError<E>> {
    truncate(hash(&[ke_i, ke_r]).map_err(IvError::Hash)?, block_size)
}

/// The IV of the first message of a Phase 2 / Informational / Transaction exchange with
/// message id `message_id`: `hash(last_phase1_iv | message_id)` cut to `block_size`.
pub fn phase2_iv<E>(
    hash: impl FnOnce(&[&[u8]]) -> Result<Vec<u8>, E>,
    last_phase1_iv: &[u8],
    message_id: u32,
    block_size: usize,
) -> Result<Vec<u8>, IvError<E>> {
    let mid = message_id.to_be_bytes();
    truncate(
        hash(&[last_phase1_iv, &mid]).map_err(IvError::Hash)?,
        block_size,
    )
}

/// The IV of the next message in the same exchange: the last `block_size` octets of this
/// message's ciphertext (sent or received).
pub fn next_iv<E>(ciphertext: &[u8], block_size: usize) -> Result<Vec<u8>, IvError<E>> {
    if block_size == 0 {
        return Err(IvError::ZeroBlockSize);
    }
    let bad = IvError::BadCiphertext {
        len: ciphertext.len(),
        block: block_size,
    };
    if !ciphertext.len().is_multiple_of(block_size) {
        return Err(bad);
    }
    let start = ciphertext.len().checked_sub(block_size).ok_or(bad)?;
    Ok(ciphertext.get(start..).unwrap_or_default().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A toy "hash" that concatenates and repeats its input: enough to check what goes in
    /// and in which order (the real-hash known answers are in tests/v1_wire.rs).
    fn cat(parts: &[&[u8]]) -> Result<Vec<u8>, ()> {
        Ok(parts.concat())
    }

    #[test]
    fn phase1_iv_hashes_ke_i_then_ke_r_and_truncates() {
        assert_eq!(
            phase1_iv(cat, &[1, 2, 3], &[4, 5, 6], 4),
            Ok(vec![1, 2, 3, 4])
        );
        assert_eq!(
            phase1_iv(cat, &[1], &[2], 8),
            Err(IvError::HashTooShort { hash: 2, block: 8 })
        );
        assert_eq!(phase1_iv(cat, &[1], &[2], 0), Err(IvError::ZeroBlockSize));
        assert_eq!(
            phase1_iv(|_| Err::<Vec<u8>, _>("no"), &[1], &[2], 1),
            Err(IvError::Hash("no"))
        );
    }

    #[test]
    fn phase2_iv_appends_the_message_id_in_network_order() {
        assert_eq!(
            phase2_iv(cat, &[9, 9], 0x0102_0304, 6),
            Ok(vec![9, 9, 1, 2, 3, 4])
        );
    }

    #[test]
    fn next_iv_is_the_last_block() {
        let ct: Vec<u8> = (0..32).collect();
        assert_eq!(next_iv::<()>(&ct, 16), Ok((16..32).collect::<Vec<u8>>()));
        assert_eq!(next_iv::<()>(&ct, 8), Ok((24..32).collect::<Vec<u8>>()));
        assert_eq!(
            next_iv::<()>(&ct[..20], 16),
            Err(IvError::BadCiphertext { len: 20, block: 16 })
        );
        assert_eq!(
            next_iv::<()>(&[], 16),
            Err(IvError::BadCiphertext { len: 0, block: 16 })
        );
        assert_eq!(next_iv::<()>(&ct, 0), Err(IvError::ZeroBlockSize));
    }
}
