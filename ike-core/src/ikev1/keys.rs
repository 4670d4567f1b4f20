//! IKEv1 key material (RFC 2409 §5, §5.5, Appendix B) over the crypto provider.
//!
//! - [`skeyid_psk`]: `SKEYID = prf(pre-shared-key, Ni_b | Nr_b)`.
//! - [`Phase1Keys::derive`]: `SKEYID_d`, `SKEYID_a`, `SKEYID_e` and the encryption key
//!   expanded to the cipher's key length (Appendix B).
//! - [`hash_i`] / [`hash_r`]: the Main Mode authentication hashes.
//! - [`quick_hash1`], [`quick_hash2`], [`quick_hash3`], [`info_hash`]: the Phase 2 hashes.
//! - [`keymat`]: the Quick Mode KEYMAT of one SA direction (§5.5), expanded.
//!
//! The PRF is the HMAC of the negotiated Phase 1 hash algorithm. Every secret is a
//! [`Secret`] (zeroized on drop); hashes are compared by the caller in constant time.

use crate::crypto::prf::prf;
use crate::crypto::{CryptoError, CryptoProvider, Prf, Secret};

/// `SKEYID = prf(pre-shared-key, Ni_b | Nr_b)` (RFC 2409 §5, pre-shared key authentication).
///
/// # Errors
/// Provider errors.
pub fn skeyid_psk(
    p: &dyn CryptoProvider,
    alg: Prf,
    psk: &[u8],
    ni: &[u8],
    nr: &[u8],
) -> Result<Secret, CryptoError> {
    prf(p, alg, psk, &[ni, nr])
}

/// The Phase 1 keys derived from `SKEYID` and the Diffie-Hellman secret.
#[derive(Debug)]
pub struct Phase1Keys {
    /// `SKEYID`, the key of `HASH_I` / `HASH_R`.
    pub skeyid: Secret,
    /// `SKEYID_d`: Phase 2 key material is derived from it.
    pub skeyid_d: Secret,
    /// `SKEYID_a`: the key of the Phase 2 and Informational hashes.
    pub skeyid_a: Secret,
    /// `SKEYID_e` expanded (or cut) to the cipher's key length: the ISAKMP encryption key.
    pub enc_key: Secret,
}

impl Phase1Keys {
    /// Derives the keys (RFC 2409 §5):
    /// `SKEYID_d = prf(SKEYID, g^xy | CKY-I | CKY-R | 0)`,
    /// `SKEYID_a = prf(SKEYID, SKEYID_d | g^xy | CKY-I | CKY-R | 1)`,
    /// `SKEYID_e = prf(SKEYID, SKEYID_a | g^xy | CKY-I | CKY-R | 2)`,
    /// then the encryption key of `enc_key_len` octets from `SKEYID_e` (Appendix B: when
    /// `SKEYID_e` is too short, `Ka = K1 | K2 | ...` with `K1 = prf(SKEYID_e, 0)` and
    /// `Kn = prf(SKEYID_e, Kn-1)`).
    ///
    /// # Errors
    /// Provider errors.
    pub fn derive(
        p: &dyn CryptoProvider,
        alg: Prf,
        skeyid: Secret,
        gxy: &[u8],
        cky_i: &[u8; 8],
        cky_r: &[u8; 8],
        enc_key_len: usize,
    ) -> Result<Self, CryptoError> {
        let k = skeyid.as_bytes();
        let d = prf(p, alg, k, &[gxy, cky_i, cky_r, &[0]])?;
        let a = prf(p, alg, k, &[d.as_bytes(), gxy, cky_i, cky_r, &[1]])?;
        let e = prf(p, alg, k, &[a.as_bytes(), gxy, cky_i, cky_r, &[2]])?;
        let enc_key = expand_enc_key(p, alg, &e, enc_key_len)?;
        Ok(Phase1Keys {
            skeyid,
            skeyid_d: d,
            skeyid_a: a,
            enc_key,
        })
    }
}

fn expand_enc_key(
    p: &dyn CryptoProvider,
    alg: Prf,
    skeyid_e: &Secret,
    len: usize,
) -> Result<Secret, CryptoError> {
    if skeyid_e.len() >= len {
        return Ok(Secret::from_slice(
            skeyid_e.as_bytes().get(..len).unwrap_or_default(),
        ));
    }
    let mut out = Vec::with_capacity(len + alg.output_len());
    let mut k = prf(p, alg, skeyid_e.as_bytes(), &[&[0]])?;
    while out.len() < len {
        out.extend_from_slice(k.as_bytes());
        k = prf(p, alg, skeyid_e.as_bytes(), &[k.as_bytes()])?;
    }
    out.truncate(len);
    Ok(Secret::new(out))
}

/// What Main Mode's HASH_I and HASH_R are computed over besides the identity (RFC 2409 §5):
/// both public values, both cookies and the initiator's SA payload body.
pub struct MainModeHashInput<'a> {
    /// The initiator's public value g^xi.
    pub gxi: &'a [u8],
    /// The responder's public value g^xr.
    pub gxr: &'a [u8],
    /// The initiator's cookie.
    pub cky_i: &'a [u8; 8],
    /// The responder's cookie.
    pub cky_r: &'a [u8; 8],
    /// The initiator's SA payload body, without its generic header.
    pub sa_i_b: &'a [u8],
}

/// `HASH_I = prf(SKEYID, g^xi | g^xr | CKY-I | CKY-R | SAi_b | IDii_b)` when `of_initiator`,
/// else `HASH_R = prf(SKEYID, g^xr | g^xi | CKY-R | CKY-I | SAi_b | IDir_b)`; `id_b` is the
/// sender's ID payload body without its generic header.
///
/// # Errors
/// Provider errors.
pub fn main_mode_hash(
    p: &dyn CryptoProvider,
    alg: Prf,
    skeyid: &Secret,
    x: &MainModeHashInput<'_>,
    of_initiator: bool,
    id_b: &[u8],
) -> Result<Secret, CryptoError> {
    let (g1, g2, c1, c2) = if of_initiator {
        (x.gxi, x.gxr, x.cky_i, x.cky_r)
    } else {
        (x.gxr, x.gxi, x.cky_r, x.cky_i)
    };
    prf(p, alg, skeyid.as_bytes(), &[g1, g2, c1, c2, x.sa_i_b, id_b])
}

/// `HASH(1) = prf(SKEYID_a, M-ID | rest)` of a Quick Mode request, where `rest` is every
/// payload after the HASH payload, generic headers included (RFC 2409 §5.5). Informational
/// messages use the same form ([`info_hash`]).
///
/// # Errors
/// Provider errors.
pub fn quick_hash1(
    p: &dyn CryptoProvider,
    alg: Prf,
    skeyid_a: &Secret,
    message_id: u32,
    rest: &[u8],
) -> Result<Secret, CryptoError> {
    prf(
        p,
        alg,
        skeyid_a.as_bytes(),
        &[&message_id.to_be_bytes(), rest],
    )
}

/// `HASH(2) = prf(SKEYID_a, M-ID | Ni_b | rest)` of the Quick Mode answer.
///
/// # Errors
/// Provider errors.
pub fn quick_hash2(
    p: &dyn CryptoProvider,
    alg: Prf,
    skeyid_a: &Secret,
    message_id: u32,
    ni_b: &[u8],
    rest: &[u8],
) -> Result<Secret, CryptoError> {
    prf(
        p,
        alg,
        skeyid_a.as_bytes(),
        &[&message_id.to_be_bytes(), ni_b, rest],
    )
}

/// `HASH(3) = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b)`, the Quick Mode acknowledgement.
///
/// # Errors
/// Provider errors.
pub fn quick_hash3(
    p: &dyn CryptoProvider,
    alg: Prf,
    skeyid_a: &Secret,
    message_id: u32,
    ni_b: &[u8],
    nr_b: &[u8],
) -> Result<Secret, CryptoError> {
    prf(
        p,
        alg,
        skeyid_a.as_bytes(),
        &[&[0], &message_id.to_be_bytes(), ni_b, nr_b],
    )
}

/// The HASH of an Informational exchange: `prf(SKEYID_a, M-ID | N/D)` (RFC 2409 §5.7).
///
/// # Errors
/// Provider errors.
pub fn info_hash(
    p: &dyn CryptoProvider,
    alg: Prf,
    skeyid_a: &Secret,
    message_id: u32,
    rest: &[u8],
) -> Result<Secret, CryptoError> {
    quick_hash1(p, alg, skeyid_a, message_id, rest)
}

/// The KEYMAT of one IPsec SA (RFC 2409 §5.5):
/// `K1 = prf(SKEYID_d, [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b)`,
/// `Kn = prf(SKEYID_d, Kn-1 | [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b)`,
/// `KEYMAT = K1 | K2 | ...` cut to `len`. `spi` is the SPI of the SA the keys are for (its
/// receiver chose it); `gqm` is the Quick Mode Diffie-Hellman secret with PFS.
///
/// # Errors
/// Provider errors.
#[allow(clippy::too_many_arguments)]
pub fn keymat(
    p: &dyn CryptoProvider,
    alg: Prf,
    skeyid_d: &Secret,
    gqm: Option<&[u8]>,
    protocol: u8,
    spi: u32,
    ni_b: &[u8],
    nr_b: &[u8],
    len: usize,
) -> Result<Secret, CryptoError> {
    let hmac = p.hmac(alg.hash(), skeyid_d.as_bytes())?;
    let spi = spi.to_be_bytes();
    let proto = [protocol];
    let g = gqm.unwrap_or_default();
    let mut out = Vec::with_capacity(len + alg.output_len());
    let mut prev = Secret::default();
    while out.len() < len {
        let k = hmac.sign(&[prev.as_bytes(), g, &proto, &spi, ni_b, nr_b]);
        out.extend_from_slice(k.as_bytes());
        prev = k;
    }
    out.truncate(len);
    Ok(Secret::new(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::AWS_LC_PROVIDER;

    #[test]
    fn keymat_blocks_chain_on_the_previous_block() {
        let p = &AWS_LC_PROVIDER;
        let d = Secret::from_slice(&[7; 20]);
        let k = keymat(p, Prf::HmacSha1, &d, None, 3, 0x0102_0304, b"ni", b"nr", 52).unwrap();
        let k1 = prf(
            p,
            Prf::HmacSha1,
            &[7; 20],
            &[&[3], &[1, 2, 3, 4], b"ni", b"nr"],
        )
        .unwrap();
        let k2 = prf(
            p,
            Prf::HmacSha1,
            &[7; 20],
            &[k1.as_bytes(), &[3], &[1, 2, 3, 4], b"ni", b"nr"],
        )
        .unwrap();
        assert_eq!(k.len(), 52);
        assert_eq!(k.as_bytes().get(..20), Some(k1.as_bytes()));
        assert_eq!(k.as_bytes().get(20..40), Some(k2.as_bytes()));
    }

    #[test]
    fn short_skeyid_e_is_expanded_from_a_zero_octet() {
        let p = &AWS_LC_PROVIDER;
        let e = Secret::from_slice(&[9; 20]);
        let key = expand_enc_key(p, Prf::HmacSha1, &e, 32).unwrap();
        let k1 = prf(p, Prf::HmacSha1, &[9; 20], &[&[0]]).unwrap();
        let k2 = prf(p, Prf::HmacSha1, &[9; 20], &[k1.as_bytes()]).unwrap();
        assert_eq!(key.as_bytes().get(..20), Some(k1.as_bytes()));
        assert_eq!(key.as_bytes().get(20..32), k2.as_bytes().get(..12));
        // Long enough: the first octets.
        let key = expand_enc_key(p, Prf::HmacSha1, &e, 16).unwrap();
        assert_eq!(key.as_bytes(), &[9; 16]);
    }
}
