//! Key material of an IKE SA and its Child SAs, on top of the crypto module: the key schedule
//! is [`crate::crypto::keys`], SK payload protection [`SkCipher`], prf+ [`crate::crypto::prf`].
//! What stays here is the keying of ESP algorithms (key material lengths and ICV sizes of
//! ESP-only transforms such as AES-CTR or AES-GCM-8/12 that IKE itself never uses); the
//! kernel's names for them belong to the data plane, which maps the IANA ids.

use crate::api::{EspCipher, IkeError, SecretBytes};
use crate::crypto::keys::{IkeSaKeyInputs, IkeSaKeys, Role};
use crate::crypto::prf::prf_plus;
use crate::crypto::{
    CryptoProvider, Encr, IkeSuite, Integ, KeGroup, KeyExchange, Prf, Secret, SharedSecret,
    SkCipher,
};
use crate::ctx::Ctx;
use crate::proposal::registry::{self, TransformKind};
use crate::proposal::Proposal;
use crate::wire::{emit_encrypted, EncryptedLayout, Fragment, Header};

/// The crypto provider used by the engine.
pub(crate) fn provider() -> &'static dyn CryptoProvider {
    crate::crypto::default_provider()
}

/// A key exchange in progress.
pub(crate) struct KePrivate(pub Box<dyn KeyExchange>);

impl core::fmt::Debug for KePrivate {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("KePrivate(..)")
    }
}

/// Starts a key exchange; returns it and our public value.
pub(crate) fn ke_start(ctx: &mut Ctx<'_>, group: u16) -> Result<(KePrivate, Vec<u8>), IkeError> {
    let g = KeGroup::from_iana(group)
        .ok_or_else(|| IkeError::state(format!("unsupported KE group {group}")))?;
    let ke = provider().start_ke(g, ctx.rng())?;
    let public = ke.public_value().to_vec();
    Ok((KePrivate(ke), public))
}

/// Completes a key exchange with the peer's public value (a bad value is the peer's fault).
pub(crate) fn ke_finish(ke: &KePrivate, peer: &[u8]) -> Result<SharedSecret, IkeError> {
    ke.0.complete(peer).map_err(IkeError::from_peer_ke)
}

/// The IKE SA algorithms of a chosen proposal (checked against our own configuration during
/// negotiation, so a suite we cannot key is our fault).
fn suite_of(p: &Proposal) -> Result<IkeSuite, IkeError> {
    let bad = IkeError::state;
    let e = p.encr.first().ok_or_else(|| bad("no ENCR"))?;
    let encr = Encr::from_iana(e.id, e.key_bits).ok_or_else(|| bad("unsupported ENCR"))?;
    let prf_id = *p.prf.first().ok_or_else(|| bad("no PRF"))?;
    let prf = Prf::from_iana(prf_id)
        .ok_or_else(|| IkeError::state(format!("unsupported PRF {prf_id}")))?;
    let integ = match p.integ.first() {
        Some(&i) if i != crate::ids::integ::NONE => {
            Some(Integ::from_iana(i).ok_or_else(|| bad("unsupported INTEG"))?)
        }
        _ => None,
    };
    let suite = IkeSuite { encr, prf, integ };
    if !suite.is_valid() {
        return Err(bad("AEAD/INTEG mismatch"));
    }
    Ok(suite)
}

/// SK_* keys of an IKE SA with its two SK ciphers.
#[derive(Debug)]
pub(crate) struct IkeKeys {
    pub suite: IkeSuite,
    pub sk: IkeSaKeys,
    i_to_r: SkCipher,
    r_to_i: SkCipher,
}

impl IkeKeys {
    fn new(suite: IkeSuite, sk: IkeSaKeys) -> Result<Self, IkeError> {
        let (i_to_r, r_to_i) = sk.sk_ciphers(provider(), &suite, Role::Initiator)?;
        Ok(IkeKeys {
            suite,
            sk,
            i_to_r,
            r_to_i,
        })
    }
}

fn inputs<'a>(ni: &'a [u8], nr: &'a [u8], spi_i: &[u8; 8], spi_r: &[u8; 8]) -> IkeSaKeyInputs<'a> {
    IkeSaKeyInputs {
        ni,
        nr,
        spi_i: *spi_i,
        spi_r: *spi_r,
    }
}

/// SKEYSEED and SK_* for a new IKE SA.
pub(crate) fn derive_ike(
    p: &Proposal,
    ni: &[u8],
    nr: &[u8],
    shared: &SharedSecret,
    spi_i: &[u8; 8],
    spi_r: &[u8; 8],
) -> Result<IkeKeys, IkeError> {
    let suite = suite_of(p)?;
    let inputs = inputs(ni, nr, spi_i, spi_r);
    let sk = IkeSaKeys::derive_initial(provider(), &suite, shared, &inputs)?;
    IkeKeys::new(suite, sk)
}

impl IkeKeys {
    /// Bytes added by encryption (IV, ICV, worst-case padding).
    pub fn overhead(&self) -> usize {
        self.i_to_r.layout().max_overhead()
    }

    fn cipher(&self, from_initiator: bool) -> &SkCipher {
        if from_initiator {
            &self.i_to_r
        } else {
            &self.r_to_i
        }
    }

    /// Encrypts `inner` into a complete SK/SKF message.
    pub fn seal(
        &self,
        ctx: &mut Ctx<'_>,
        from_initiator: bool,
        header: &Header,
        first: u8,
        frag: Option<Fragment>,
        inner: &[u8],
    ) -> Result<Vec<u8>, IkeError> {
        let c = self.cipher(from_initiator);
        let (mut buf, layout) = emit_encrypted(header, first, frag, c.body_len(inner.len()))
            .map_err(IkeError::state)?;
        let aad = buf
            .get(layout.aad())
            .ok_or_else(|| IkeError::state("encrypted layout"))?
            .to_vec();
        let body = c.encrypt(&aad, inner, ctx.rng())?;
        let dst = buf
            .get_mut(layout.body())
            .ok_or_else(|| IkeError::state("encrypted layout"))?;
        if dst.len() != body.len() {
            return Err(IkeError::crypto("encrypted body length"));
        }
        dst.copy_from_slice(&body);
        Ok(buf)
    }

    /// Verifies and decrypts a received SK/SKF message; returns the unpadded plaintext. Every
    /// failure is the peer's (a message that does not verify is dropped).
    pub fn open(
        &self,
        from_initiator: bool,
        raw: &[u8],
        layout: &EncryptedLayout,
    ) -> Result<Vec<u8>, IkeError> {
        let aad = raw
            .get(layout.aad())
            .ok_or_else(|| IkeError::syntax("truncated"))?;
        let body = raw
            .get(layout.body())
            .ok_or_else(|| IkeError::syntax("truncated"))?;
        self.cipher(from_initiator)
            .decrypt(aad, body)
            .map(|p| p.to_vec())
            .map_err(|e| IkeError::syntax(e.to_string()))
    }

    /// Keys of the IKE SA replacing this one (RFC 7296 §2.18), also the keys after an
    /// IKE_INTERMEDIATE key exchange (RFC 9370 §2.2.2, the same formula).
    pub fn rekeyed(
        &self,
        p: &Proposal,
        shared: &SharedSecret,
        ni: &[u8],
        nr: &[u8],
        spi_i: &[u8; 8],
        spi_r: &[u8; 8],
    ) -> Result<IkeKeys, IkeError> {
        self.rekeyed_additional(p, (shared, &[]), ni, nr, spi_i, spi_r)
    }

    /// Keys of the IKE SA a rekey with RFC 9370 additional key exchanges creates:
    /// `prf(SK_d, SK(0) | Ni | Nr | SK(1) | ... | SK(n))` (§2.2.4).
    pub fn rekeyed_additional(
        &self,
        p: &Proposal,
        (shared, additional): (&SharedSecret, &[SharedSecret]),
        ni: &[u8],
        nr: &[u8],
        spi_i: &[u8; 8],
        spi_r: &[u8; 8],
    ) -> Result<IkeKeys, IkeError> {
        let suite = suite_of(p)?;
        let inputs = inputs(ni, nr, spi_i, spi_r);
        let sk = IkeSaKeys::derive_rekey_additional(
            provider(),
            self.suite.prf,
            &self.sk.sk_d,
            &suite,
            shared,
            additional,
            &inputs,
        )?;
        IkeKeys::new(suite, sk)
    }

    /// SK_pi or SK_pr.
    pub fn sk_p(&self, initiator_side: bool) -> &Secret {
        if initiator_side {
            &self.sk.sk_pi
        } else {
            &self.sk.sk_pr
        }
    }

    /// Child SA keying material: prf+(SK_d, [g^ir] | Ni | Nr), split for the kernel.
    pub fn child_keys(
        &self,
        esp: &Proposal,
        shared: Option<&SharedSecret>,
        ni: &[u8],
        nr: &[u8],
    ) -> Result<ChildKeys, IkeError> {
        self.child_keys_additional(esp, shared, ni, nr, &[])
    }

    /// Child SA keying material after RFC 9370 additional key exchanges:
    /// prf+(SK_d, SK(0) | Ni | Nr | SK(1) | ... | SK(n)) (§2.2.4).
    pub fn child_keys_additional(
        &self,
        esp: &Proposal,
        shared: Option<&SharedSecret>,
        ni: &[u8],
        nr: &[u8],
        additional: &[SharedSecret],
    ) -> Result<ChildKeys, IkeError> {
        let bad = IkeError::state;
        let e = esp.encr.first().ok_or_else(|| bad("no ESP ENCR"))?;
        let encr = esp_encr(e.id, e.key_bits).ok_or_else(|| bad("unsupported ESP ENCR"))?;
        let integ = match esp.integ.first() {
            Some(&i) if i != crate::ids::integ::NONE => {
                Some(esp_integ(i).ok_or_else(|| bad("unsupported ESP INTEG"))?)
            }
            _ => None,
        };
        let elen = encr.keymat_len;
        let alen = integ.map_or(0, |i| i.key_len);
        let mut seed: Vec<&[u8]> = Vec::with_capacity(3);
        if let Some(s) = shared {
            seed.push(s.as_bytes());
        }
        seed.push(ni);
        seed.push(nr);
        seed.extend(additional.iter().map(SharedSecret::as_bytes));
        let km = prf_plus(
            provider(),
            self.suite.prf,
            self.sk.sk_d.as_bytes(),
            &seed,
            2 * (elen + alen),
        )?;
        let g = |o: usize, n: usize| {
            km.slice(o, n)
                .map(|s| SecretBytes::from_slice(s.as_bytes()))
                .ok_or_else(|| IkeError::crypto("short keymat"))
        };
        Ok(ChildKeys {
            encr,
            integ,
            ei: g(0, elen)?,
            ai: g(elen, alen)?,
            er: g(elen + alen, elen)?,
            ar: g(2 * elen + alen, alen)?,
            initiator: true,
        })
    }
}

/// An ESP encryption algorithm's keying: its id, key material length and ICV.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EspEncr {
    pub id: u16,
    pub keymat_len: usize,
    /// ICV bits for AEADs, 0 otherwise.
    pub icv_bits: u32,
}

/// An ESP integrity algorithm's keying: its id, key length and truncation.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EspInteg {
    pub id: u16,
    pub key_len: usize,
    pub trunc_bits: u32,
}

/// The keying of a negotiated ESP cipher, from the transform registry (the one table of what
/// we support).
pub(crate) fn esp_encr(id: u16, key_bits: Option<u16>) -> Option<EspEncr> {
    let k = registry::lookup(TransformKind::Encr, id, key_bits)?.esp_keying()?;
    Some(EspEncr {
        id,
        keymat_len: k.key_octets,
        icv_bits: k.icv_bits,
    })
}

/// The keying of a negotiated ESP integrity algorithm, from the transform registry.
pub(crate) fn esp_integ(id: u16) -> Option<EspInteg> {
    let k = registry::lookup(TransformKind::Integ, id, None)?.esp_keying()?;
    Some(EspInteg {
        id,
        key_len: k.key_octets,
        trunc_bits: k.icv_bits,
    })
}

/// ESP keys of a Child SA.
#[derive(Debug, Clone)]
pub(crate) struct ChildKeys {
    pub encr: EspEncr,
    pub integ: Option<EspInteg>,
    pub ei: SecretBytes,
    pub ai: SecretBytes,
    pub er: SecretBytes,
    pub ar: SecretBytes,
    /// Whether we are the initiator of the exchange that created the Child SA.
    pub initiator: bool,
}

impl ChildKeys {
    /// The kernel cipher description for one direction.
    pub fn cipher(&self, _p: &Proposal, outbound: bool) -> EspCipher {
        // Initiator's outbound = i keys; responder's outbound = r keys.
        let use_i = outbound == self.initiator;
        let (ek, ak) = if use_i {
            (&self.ei, &self.ai)
        } else {
            (&self.er, &self.ar)
        };
        match self.integ {
            None => EspCipher::Aead {
                transform_id: self.encr.id,
                key: ek.clone(),
                icv_bits: self.encr.icv_bits,
            },
            Some(i) => EspCipher::Separate {
                encr_id: self.encr.id,
                encr_key: ek.clone(),
                integ_id: i.id,
                integ_key: ak.clone(),
                trunc_bits: i.trunc_bits,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every encryption and integrity transform of the registry keys ESP, so a proposal we
    /// can negotiate is one we can key.
    #[test]
    fn every_registry_cipher_and_integrity_keys_esp() {
        for a in registry::SUPPORTED {
            match a.kind {
                TransformKind::Encr => assert!(esp_encr(a.id, a.key_bits).is_some(), "{a:?}"),
                TransformKind::Integ => assert!(esp_integ(a.id).is_some(), "{a:?}"),
                _ => {}
            }
        }
        // What the registry does not support is not keyed either (AES-CTR, HMAC-MD5).
        assert!(esp_encr(crate::ids::encr::AES_CTR, Some(128)).is_none());
        assert!(esp_integ(crate::ids::integ::HMAC_MD5_96).is_none());
    }

    /// Key material lengths: AES-GCM-16 with a 256-bit key takes 36 octets (key and salt),
    /// AES-CBC-128 16, HMAC-SHA2-256-128 32 with a 128-bit ICV.
    #[test]
    fn esp_keymat_lengths() {
        use crate::ids::{encr, integ};
        let gcm = esp_encr(encr::AES_GCM_16, Some(256)).unwrap();
        assert_eq!((gcm.keymat_len, gcm.icv_bits), (36, 128));
        assert_eq!(esp_encr(encr::AES_CBC, Some(128)).unwrap().keymat_len, 16);
        let sha = esp_integ(integ::HMAC_SHA2_256_128).unwrap();
        assert_eq!((sha.key_len, sha.trunc_bits), (32, 128));
    }
}
