//! The negotiated PRF and prf+ (RFC 7296 §2.13).

use super::algorithms::Prf;
use super::error::CryptoError;
use super::provider::CryptoProvider;
use super::secret::Secret;

/// Maximum number of prf+ blocks: the counter octet runs from 0x01 to 0xff.
pub const PRF_PLUS_MAX_BLOCKS: usize = 255;

/// prf(key, data) where `data` is the concatenation of the parts.
///
/// # Errors
/// Provider errors ([`CryptoError::Unsupported`]).
pub fn prf(
    provider: &dyn CryptoProvider,
    alg: Prf,
    key: &[u8],
    data: &[&[u8]],
) -> Result<Secret, CryptoError> {
    Ok(provider.hmac(alg.hash(), key)?.sign(data))
}

/// prf+(K, S) = T1 | T2 | ... truncated to `len` bytes, where T1 = prf(K, S | 0x01) and
/// Tn = prf(K, Tn-1 | S | n). `seed` parts are concatenated to form S.
///
/// # Errors
/// [`CryptoError::PrfPlusTooLong`] when `len` needs more than 255 blocks.
pub fn prf_plus(
    provider: &dyn CryptoProvider,
    alg: Prf,
    key: &[u8],
    seed: &[&[u8]],
    len: usize,
) -> Result<Secret, CryptoError> {
    let block = alg.output_len();
    let max = PRF_PLUS_MAX_BLOCKS * block;
    if len > max {
        return Err(CryptoError::PrfPlusTooLong {
            requested: len,
            max,
        });
    }
    let hmac = provider.hmac(alg.hash(), key)?;
    let mut out = Vec::with_capacity(len + block);
    let mut previous = Secret::default();
    let mut counter: u8 = 1;
    while out.len() < len {
        let mut parts: Vec<&[u8]> = Vec::with_capacity(seed.len() + 2);
        parts.push(previous.as_bytes());
        parts.extend_from_slice(seed);
        let n = [counter];
        parts.push(&n);
        let t = hmac.sign(&parts);
        out.extend_from_slice(t.as_bytes());
        previous = t;
        counter = counter.wrapping_add(1);
    }
    out.truncate(len);
    Ok(Secret::new(out))
}
