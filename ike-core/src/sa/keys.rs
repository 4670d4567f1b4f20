//! Key material of an IKE SA and Child SAs, composed from the crypto provider's primitives:
//! prf, prf+, SKEYSEED and SK_* (RFC 7296 §2.13-2.14), SK payload protection, PSK AUTH
//! (§2.15) and Child SA KEYMAT (§2.17).

use crate::crypto::{
    algorithms::{Encr, Integ, KeGroup, Prf},
    CryptoProvider, KeyExchange, Secret, SharedSecret,
};
use crate::engine::ctx::Ctx;
use crate::engine::{EspCipher, SecretBytes};
use crate::proposal::Proposal;
use crate::wire::{emit_encrypted, sk_pad, sk_unpad, EncryptedLayout, Fragment, Header};

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
pub(crate) fn ke_start(ctx: &mut Ctx<'_>, group: u16) -> Result<(KePrivate, Vec<u8>), String> {
    let g = KeGroup::from_iana(group).ok_or_else(|| format!("unsupported KE group {group}"))?;
    let ke = provider()
        .start_ke(g, &mut *ctx.rng)
        .map_err(|e| e.to_string())?;
    let public = ke.public_value().to_vec();
    Ok((KePrivate(ke), public))
}

/// Completes a key exchange with the peer's public value.
pub(crate) fn ke_finish(ke: &KePrivate, peer: &[u8]) -> Result<SharedSecret, String> {
    ke.0.complete(peer).map_err(|e| e.to_string())
}

fn prf_alg(id: u16) -> Result<Prf, String> {
    Prf::from_iana(id).ok_or_else(|| format!("unsupported PRF {id}"))
}

/// prf(key, data...).
pub(crate) fn prf(alg: Prf, key: &[u8], data: &[&[u8]]) -> Result<Secret, String> {
    Ok(provider()
        .hmac(alg.hash(), key)
        .map_err(|e| e.to_string())?
        .sign(data))
}

/// prf+(key, seed) truncated to `len` bytes.
pub(crate) fn prf_plus(alg: Prf, key: &[u8], seed: &[u8], len: usize) -> Result<Secret, String> {
    let h = provider()
        .hmac(alg.hash(), key)
        .map_err(|e| e.to_string())?;
    let mut out: Vec<u8> = Vec::with_capacity(len + 64);
    let mut prev: Vec<u8> = Vec::new();
    let mut n: u8 = 1;
    while out.len() < len {
        let t = h.sign(&[&prev, seed, &[n]]);
        prev = t.as_bytes().to_vec();
        out.extend_from_slice(&prev);
        n = n.checked_add(1).ok_or("prf+ output too long")?;
    }
    out.truncate(len);
    prev.iter_mut().for_each(|b| *b = 0);
    Ok(Secret::new(out))
}

/// Negotiated IKE SA algorithms.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Suite {
    pub encr: Encr,
    pub prf: Prf,
    pub integ: Option<Integ>,
}

impl Suite {
    pub fn from_proposal(p: &Proposal) -> Result<Self, String> {
        let e = p.encr.first().ok_or("no ENCR")?;
        let encr = Encr::from_iana(e.id, e.key_bits).ok_or("unsupported ENCR")?;
        let prf = prf_alg(*p.prf.first().ok_or("no PRF")?)?;
        let integ = match p.integ.first() {
            Some(&i) if i != crate::ids::integ::NONE => {
                Some(Integ::from_iana(i).ok_or("unsupported INTEG")?)
            }
            _ => None,
        };
        if encr.is_aead() == integ.is_some() {
            return Err("AEAD/INTEG mismatch".into());
        }
        Ok(Suite { encr, prf, integ })
    }
}

/// SK_* keys of an IKE SA.
#[derive(Debug)]
pub(crate) struct IkeKeys {
    pub suite: Suite,
    pub sk_d: Secret,
    pub sk_ai: Secret,
    pub sk_ar: Secret,
    pub sk_ei: Secret,
    pub sk_er: Secret,
    pub sk_pi: Secret,
    pub sk_pr: Secret,
}

fn split_keys(suite: Suite, keymat: &Secret) -> Result<IkeKeys, String> {
    let plen = suite.prf.preferred_key_len();
    let alen = suite.integ.map_or(0, Integ::key_len);
    let elen = suite.encr.keymat_len();
    let mut off = 0usize;
    let mut take = |n: usize| {
        let s = keymat.slice(off, n);
        off += n;
        s.ok_or_else(|| "short keymat".to_string())
    };
    Ok(IkeKeys {
        suite,
        sk_d: take(plen)?,
        sk_ai: take(alen)?,
        sk_ar: take(alen)?,
        sk_ei: take(elen)?,
        sk_er: take(elen)?,
        sk_pi: take(plen)?,
        sk_pr: take(plen)?,
    })
}

fn keymat_len(suite: Suite) -> usize {
    3 * suite.prf.preferred_key_len()
        + 2 * suite.integ.map_or(0, Integ::key_len)
        + 2 * suite.encr.keymat_len()
}

/// SKEYSEED and SK_* for a new IKE SA.
pub(crate) fn derive_ike(
    p: &Proposal,
    ni: &[u8],
    nr: &[u8],
    shared: &SharedSecret,
    spi_i: &[u8; 8],
    spi_r: &[u8; 8],
) -> Result<IkeKeys, String> {
    let suite = Suite::from_proposal(p)?;
    let key = nonce_key(suite.prf, ni, nr);
    let skeyseed = prf(suite.prf, &key, &[shared.as_bytes()])?;
    let seed = [ni, nr, spi_i, spi_r].concat();
    let km = prf_plus(suite.prf, skeyseed.as_bytes(), &seed, keymat_len(suite))?;
    split_keys(suite, &km)
}

/// AES-XCBC style PRFs take a fixed-size key from the nonces; HMAC takes Ni | Nr.
fn nonce_key(_prf: Prf, ni: &[u8], nr: &[u8]) -> Vec<u8> {
    [ni, nr].concat()
}

impl IkeKeys {
    /// Bytes added by encryption (IV, ICV, worst-case padding).
    pub fn overhead(&self) -> usize {
        let e = self.suite.encr;
        e.iv_len() + e.icv_len() + self.suite.integ.map_or(0, Integ::icv_len) + e.pad_alignment()
    }

    fn icv_len(&self) -> usize {
        self.suite.encr.icv_len() + self.suite.integ.map_or(0, Integ::icv_len)
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
    ) -> Result<Vec<u8>, String> {
        let e = self.suite.encr;
        let (ek, ak) = if from_initiator {
            (&self.sk_ei, &self.sk_ai)
        } else {
            (&self.sk_er, &self.sk_ar)
        };
        let mut plain = inner.to_vec();
        sk_pad(&mut plain, u8::try_from(e.pad_alignment()).unwrap_or(16));
        let iv = ctx.random(e.iv_len())?;
        let body_len = iv.len() + plain.len() + self.icv_len();
        let (mut buf, layout) =
            emit_encrypted(header, first, frag, body_len).map_err(|e| e.to_string())?;
        let aad = buf.get(layout.aad()).ok_or("layout")?.to_vec();
        let body: Vec<u8> = if e.is_aead() {
            let aead = provider()
                .aead(e, ek.as_bytes())
                .map_err(|e| e.to_string())?;
            let ct = aead.seal(&iv, &aad, &plain).map_err(|e| e.to_string())?;
            [iv.as_slice(), ct.as_slice()].concat()
        } else {
            let integ = self.suite.integ.ok_or("no integ")?;
            let cbc = provider()
                .cbc(e, ek.as_bytes())
                .map_err(|e| e.to_string())?;
            cbc.encrypt(&iv, &mut plain).map_err(|e| e.to_string())?;
            let mut body = [iv.as_slice(), plain.as_slice()].concat();
            let mac = provider()
                .hmac(integ.hash(), ak.as_bytes())
                .map_err(|e| e.to_string())?;
            let tag = mac.sign(&[&aad, &body]);
            body.extend_from_slice(tag.as_bytes().get(..integ.icv_len()).ok_or("icv")?);
            body
        };
        let dst = buf.get_mut(layout.body()).ok_or("layout")?;
        if dst.len() != body.len() {
            return Err("body length".into());
        }
        dst.copy_from_slice(&body);
        Ok(buf)
    }

    /// Verifies and decrypts a received SK/SKF message; returns the unpadded plaintext.
    pub fn open(
        &self,
        from_initiator: bool,
        raw: &[u8],
        layout: &EncryptedLayout,
    ) -> Result<Vec<u8>, String> {
        let e = self.suite.encr;
        let (ek, ak) = if from_initiator {
            (&self.sk_ei, &self.sk_ai)
        } else {
            (&self.sk_er, &self.sk_ar)
        };
        let parts = layout
            .split(raw, e.iv_len(), self.icv_len())
            .map_err(|e| e.to_string())?;
        let plain = if e.is_aead() {
            let aead = provider()
                .aead(e, ek.as_bytes())
                .map_err(|e| e.to_string())?;
            let ct_tag = [parts.ciphertext, parts.icv].concat();
            let p = aead
                .open(parts.iv, parts.aad, &ct_tag)
                .map_err(|e| e.to_string())?;
            p.to_vec()
        } else {
            let integ = self.suite.integ.ok_or("no integ")?;
            let mac = provider()
                .hmac(integ.hash(), ak.as_bytes())
                .map_err(|e| e.to_string())?;
            let tag = mac.sign(&[parts.integrity]);
            let expected = tag.as_bytes().get(..integ.icv_len()).ok_or("icv")?;
            use subtle::ConstantTimeEq;
            if !bool::from(expected.ct_eq(parts.icv)) {
                return Err("integrity check failed".into());
            }
            let cbc = provider()
                .cbc(e, ek.as_bytes())
                .map_err(|e| e.to_string())?;
            let mut buf = parts.ciphertext.to_vec();
            cbc.decrypt(parts.iv, &mut buf).map_err(|e| e.to_string())?;
            buf
        };
        sk_unpad(&plain)
            .map(<[u8]>::to_vec)
            .map_err(|e| e.to_string())
    }

    /// prf(SK_px, ID') for the AUTH computation.
    pub fn id_mac(&self, initiator_side: bool, id_octets: &[u8]) -> Result<Secret, String> {
        let k = if initiator_side {
            &self.sk_pi
        } else {
            &self.sk_pr
        };
        prf(self.suite.prf, k.as_bytes(), &[id_octets])
    }

    /// PSK AUTH value: prf(prf(PSK, "Key Pad for IKEv2"), signed octets).
    pub fn psk_auth(&self, psk: &[u8], signed: &[&[u8]]) -> Result<Secret, String> {
        let k = prf(self.suite.prf, psk, &[b"Key Pad for IKEv2"])?;
        prf(self.suite.prf, k.as_bytes(), signed)
    }

    /// Child SA keying material: prf+(SK_d, [g^ir] | Ni | Nr).
    pub fn child_keys(
        &self,
        esp: &Proposal,
        shared: Option<&SharedSecret>,
        ni: &[u8],
        nr: &[u8],
    ) -> Result<ChildKeys, String> {
        let e = esp.encr.first().ok_or("no ENCR")?;
        let encr = esp_encr(e.id, e.key_bits).ok_or("unsupported ESP ENCR")?;
        let integ = match esp.integ.first() {
            Some(&i) if i != crate::ids::integ::NONE => {
                Some(esp_integ(i).ok_or("unsupported ESP INTEG")?)
            }
            _ => None,
        };
        let elen = encr.keymat_len;
        let alen = integ.map_or(0, |i| i.key_len);
        let mut seed = Vec::new();
        if let Some(s) = shared {
            seed.extend_from_slice(s.as_bytes());
        }
        seed.extend_from_slice(ni);
        seed.extend_from_slice(nr);
        let km = prf_plus(
            self.suite.prf,
            self.sk_d.as_bytes(),
            &seed,
            2 * (elen + alen),
        )?;
        let g = |o: usize, n: usize| {
            km.slice(o, n)
                .map(|s| SecretBytes::from_slice(s.as_bytes()))
                .ok_or("short keymat")
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

/// An ESP encryption algorithm as the kernel needs it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EspEncr {
    pub id: u16,
    pub name: &'static str,
    pub keymat_len: usize,
    /// ICV bits for AEADs, 0 otherwise.
    pub icv_bits: u32,
}

/// An ESP integrity algorithm as the kernel needs it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EspInteg {
    pub id: u16,
    pub name: &'static str,
    pub key_len: usize,
    pub trunc_bits: u32,
}

fn esp_encr(id: u16, key_bits: Option<u16>) -> Option<EspEncr> {
    use crate::ids::encr;
    let kb = |d: u16| usize::from(key_bits.unwrap_or(d) / 8);
    let (name, keymat_len, icv_bits) = match id {
        encr::AES_GCM_16 => ("rfc4106(gcm(aes))", kb(128) + 4, 128),
        encr::AES_GCM_12 => ("rfc4106(gcm(aes))", kb(128) + 4, 96),
        encr::AES_GCM_8 => ("rfc4106(gcm(aes))", kb(128) + 4, 64),
        encr::CHACHA20_POLY1305 => ("rfc7539esp(chacha20,poly1305)", 36, 128),
        encr::AES_CBC => ("cbc(aes)", kb(128), 0),
        encr::AES_CTR => ("rfc3686(ctr(aes))", kb(128) + 4, 0),
        encr::DES3 => ("cbc(des3_ede)", 24, 0),
        _ => return None,
    };
    Some(EspEncr {
        id,
        name,
        keymat_len,
        icv_bits,
    })
}

fn esp_integ(id: u16) -> Option<EspInteg> {
    use crate::ids::integ;
    let (name, key_len, trunc_bits) = match id {
        integ::HMAC_MD5_96 => ("hmac(md5)", 16, 96),
        integ::HMAC_SHA1_96 => ("hmac(sha1)", 20, 96),
        integ::AES_XCBC_96 => ("xcbc(aes)", 16, 96),
        integ::HMAC_SHA2_256_128 => ("hmac(sha256)", 32, 128),
        integ::HMAC_SHA2_384_192 => ("hmac(sha384)", 48, 192),
        integ::HMAC_SHA2_512_256 => ("hmac(sha512)", 64, 256),
        _ => return None,
    };
    Some(EspInteg {
        id,
        name,
        key_len,
        trunc_bits,
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
                name: self.encr.name,
                key: ek.clone(),
                icv_bits: self.encr.icv_bits,
            },
            Some(i) => EspCipher::Separate {
                encr_id: self.encr.id,
                encr_name: self.encr.name,
                encr_key: ek.clone(),
                integ_id: i.id,
                integ_name: i.name,
                integ_key: ak.clone(),
                trunc_bits: i.trunc_bits,
            },
        }
    }
}
