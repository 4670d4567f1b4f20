//! The IKEv2 key schedule: SKEYSEED and SK_* (RFC 7296 §2.14), IKE SA rekey (§2.18) and Child
//! SA KEYMAT (§2.17).

use core::fmt;

use super::algorithms::{EspSuite, IkeSuite, Prf};
use super::error::CryptoError;
use super::prf::{prf, prf_plus};
use super::provider::CryptoProvider;
use super::secret::{Secret, SharedSecret};
use super::sk_cipher::SkCipher;

/// Which end of the IKE SA we are (the original initiator of the IKE SA, not of an exchange).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// We sent the IKE_SA_INIT request that created this IKE SA.
    Initiator,
    /// We answered it.
    Responder,
}

/// The exchange values mixed into SK_* derivation: nonces without payload headers and the
/// SPIs of the IKE SA being keyed (for a rekey, the new SPIs and nonces).
#[derive(Clone, Copy)]
pub struct IkeSaKeyInputs<'a> {
    /// Ni.
    pub ni: &'a [u8],
    /// Nr.
    pub nr: &'a [u8],
    /// SPIi (8 octets, as on the wire).
    pub spi_i: [u8; 8],
    /// SPIr (8 octets, as on the wire).
    pub spi_r: [u8; 8],
}

impl fmt::Debug for IkeSaKeyInputs<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IkeSaKeyInputs")
            .field("ni_len", &self.ni.len())
            .field("nr_len", &self.nr.len())
            .field("spi_i", &u64::from_be_bytes(self.spi_i))
            .field("spi_r", &u64::from_be_bytes(self.spi_r))
            .finish()
    }
}

/// SKEYSEED = prf(Ni | Nr, g^ir) (RFC 7296 §2.14). For HMAC PRFs the full nonces form the key.
///
/// # Errors
/// Provider errors.
pub fn skeyseed(
    provider: &dyn CryptoProvider,
    alg: Prf,
    ni: &[u8],
    nr: &[u8],
    shared: &SharedSecret,
) -> Result<Secret, CryptoError> {
    let mut key = Vec::with_capacity(ni.len() + nr.len());
    key.extend_from_slice(ni);
    key.extend_from_slice(nr);
    prf(provider, alg, &key, &[shared.as_bytes()])
}

/// SKEYSEED for a rekeyed IKE SA: prf(SK_d (old), g^ir (new) | Ni | Nr), computed with the
/// **old** IKE SA's PRF (RFC 7296 §2.18).
///
/// # Errors
/// Provider errors.
pub fn rekey_skeyseed(
    provider: &dyn CryptoProvider,
    old_prf: Prf,
    old_sk_d: &Secret,
    shared: &SharedSecret,
    ni: &[u8],
    nr: &[u8],
) -> Result<Secret, CryptoError> {
    prf(
        provider,
        old_prf,
        old_sk_d.as_bytes(),
        &[shared.as_bytes(), ni, nr],
    )
}

/// The seven IKE SA secrets. `Debug` shows lengths only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IkeSaKeys {
    /// SK_d: derives Child SA keys and the next SKEYSEED.
    pub sk_d: Secret,
    /// SK_ai: integrity key, initiator to responder (empty for AEAD).
    pub sk_ai: Secret,
    /// SK_ar: integrity key, responder to initiator (empty for AEAD).
    pub sk_ar: Secret,
    /// SK_ei: encryption key (|| salt for AEAD), initiator to responder.
    pub sk_ei: Secret,
    /// SK_er: encryption key (|| salt for AEAD), responder to initiator.
    pub sk_er: Secret,
    /// SK_pi: for the initiator's AUTH (and MACedIDForI).
    pub sk_pi: Secret,
    /// SK_pr: for the responder's AUTH (and MACedIDForR).
    pub sk_pr: Secret,
}

impl IkeSaKeys {
    /// {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} = prf+(SKEYSEED, Ni | Nr | SPIi |
    /// SPIr), with SK_d/SK_p of the PRF's preferred key length, SK_a of the INTEG key length
    /// (none for AEAD) and SK_e of the cipher key length plus salt (RFC 5282 §7.1, RFC 7634 §3).
    ///
    /// # Errors
    /// [`CryptoError::Unsupported`] for an inconsistent suite, provider errors.
    pub fn derive(
        provider: &dyn CryptoProvider,
        suite: &IkeSuite,
        skeyseed: &Secret,
        inputs: &IkeSaKeyInputs<'_>,
    ) -> Result<Self, CryptoError> {
        if !suite.is_valid() {
            return Err(CryptoError::Unsupported {
                what: "ENCR/INTEG combination",
                id: u32::from(suite.encr.iana_id()),
            });
        }
        let d_len = suite.prf.preferred_key_len();
        let a_len = suite.integ.map_or(0, |i| i.key_len());
        let e_len = suite.encr.keymat_len();
        let total = 3 * d_len + 2 * a_len + 2 * e_len;
        let keymat = prf_plus(
            provider,
            suite.prf,
            skeyseed.as_bytes(),
            &[inputs.ni, inputs.nr, &inputs.spi_i, &inputs.spi_r],
            total,
        )?;
        let mut at = 0usize;
        let mut take = |len: usize| -> Result<Secret, CryptoError> {
            let s = keymat.slice(at, len).ok_or(CryptoError::Internal)?;
            at += len;
            Ok(s)
        };
        Ok(IkeSaKeys {
            sk_d: take(d_len)?,
            sk_ai: take(a_len)?,
            sk_ar: take(a_len)?,
            sk_ei: take(e_len)?,
            sk_er: take(e_len)?,
            sk_pi: take(d_len)?,
            sk_pr: take(d_len)?,
        })
    }

    /// SKEYSEED from the IKE_SA_INIT exchange, then [`IkeSaKeys::derive`].
    ///
    /// # Errors
    /// As [`IkeSaKeys::derive`].
    pub fn derive_initial(
        provider: &dyn CryptoProvider,
        suite: &IkeSuite,
        shared: &SharedSecret,
        inputs: &IkeSaKeyInputs<'_>,
    ) -> Result<Self, CryptoError> {
        let seed = skeyseed(provider, suite.prf, inputs.ni, inputs.nr, shared)?;
        Self::derive(provider, suite, &seed, inputs)
    }

    /// Keys of a new IKE SA created by rekeying: SKEYSEED with the old PRF and old SK_d, then
    /// prf+ with the new suite's PRF over the new nonces and SPIs (RFC 7296 §2.18).
    ///
    /// # Errors
    /// As [`IkeSaKeys::derive`].
    pub fn derive_rekey(
        provider: &dyn CryptoProvider,
        old_prf: Prf,
        old_sk_d: &Secret,
        new_suite: &IkeSuite,
        shared: &SharedSecret,
        inputs: &IkeSaKeyInputs<'_>,
    ) -> Result<Self, CryptoError> {
        let seed = rekey_skeyseed(provider, old_prf, old_sk_d, shared, inputs.ni, inputs.nr)?;
        Self::derive(provider, new_suite, &seed, inputs)
    }

    /// As [`IkeSaKeys::derive_rekey`] after RFC 9370 additional key exchanges (§2.2.4):
    /// `SKEYSEED = prf(SK_d (old), SK(0) | Ni | Nr | SK(1) | ... | SK(n))`, the additional
    /// shared secrets after the nonces.
    ///
    /// # Errors
    /// As [`IkeSaKeys::derive`].
    pub fn derive_rekey_additional(
        provider: &dyn CryptoProvider,
        old_prf: Prf,
        old_sk_d: &Secret,
        new_suite: &IkeSuite,
        shared: &SharedSecret,
        additional: &[SharedSecret],
        inputs: &IkeSaKeyInputs<'_>,
    ) -> Result<Self, CryptoError> {
        let mut parts: Vec<&[u8]> = vec![shared.as_bytes(), inputs.ni, inputs.nr];
        parts.extend(additional.iter().map(SharedSecret::as_bytes));
        let seed = prf(provider, old_prf, old_sk_d.as_bytes(), &parts)?;
        Self::derive(provider, new_suite, &seed, inputs)
    }

    /// Our SK_p (for our AUTH): SK_pi as initiator, SK_pr as responder.
    pub fn own_sk_p(&self, role: Role) -> &Secret {
        match role {
            Role::Initiator => &self.sk_pi,
            Role::Responder => &self.sk_pr,
        }
    }

    /// The peer's SK_p (to check the peer's AUTH).
    pub fn peer_sk_p(&self, role: Role) -> &Secret {
        match role {
            Role::Initiator => &self.sk_pr,
            Role::Responder => &self.sk_pi,
        }
    }

    /// Builds the (outbound, inbound) SK ciphers for our role.
    ///
    /// # Errors
    /// [`CryptoError::InvalidKeyLength`] if the keys were derived for another suite.
    pub fn sk_ciphers(
        &self,
        provider: &dyn CryptoProvider,
        suite: &IkeSuite,
        role: Role,
    ) -> Result<(SkCipher, SkCipher), CryptoError> {
        let i_to_r = SkCipher::new(
            provider,
            suite.encr,
            suite.integ,
            self.sk_ei.as_bytes(),
            self.sk_ai.as_bytes(),
        )?;
        let r_to_i = SkCipher::new(
            provider,
            suite.encr,
            suite.integ,
            self.sk_er.as_bytes(),
            self.sk_ar.as_bytes(),
        )?;
        Ok(match role {
            Role::Initiator => (i_to_r, r_to_i),
            Role::Responder => (r_to_i, i_to_r),
        })
    }
}

/// Keys of one direction of a Child SA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectionalKeys {
    /// Encryption key (key || salt for AES-GCM and ChaCha20-Poly1305, as XFRM wants it).
    pub encr: Secret,
    /// Integrity key (empty for AEAD).
    pub integ: Secret,
}

/// Child SA keys (RFC 7296 §2.17).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildSaKeys {
    /// For the SA carrying traffic from the IKE SA initiator to the responder.
    pub initiator_to_responder: DirectionalKeys,
    /// For the SA carrying traffic from the responder to the initiator.
    pub responder_to_initiator: DirectionalKeys,
}

impl ChildSaKeys {
    /// KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr), split as encr_i, integ_i, encr_r, integ_r
    /// (initiator-to-responder keys first, encryption before integrity). `prf` is the IKE SA's
    /// PRF; `shared` is the PFS key exchange result of a CREATE_CHILD_SA, `None` otherwise; the
    /// nonces are those of the exchange that creates the Child SA (IKE_SA_INIT's for the
    /// first Child SA).
    ///
    /// # Errors
    /// [`CryptoError::Unsupported`] for an inconsistent suite, provider errors.
    pub fn derive(
        provider: &dyn CryptoProvider,
        prf_alg: Prf,
        sk_d: &Secret,
        suite: &EspSuite,
        shared: Option<&SharedSecret>,
        ni: &[u8],
        nr: &[u8],
    ) -> Result<Self, CryptoError> {
        if !suite.is_valid() {
            return Err(CryptoError::Unsupported {
                what: "ENCR/INTEG combination",
                id: u32::from(suite.encr.iana_id()),
            });
        }
        let e_len = suite.encr_key_len();
        let a_len = suite.integ_key_len();
        let mut seed: Vec<&[u8]> = Vec::with_capacity(3);
        if let Some(s) = shared {
            seed.push(s.as_bytes());
        }
        seed.push(ni);
        seed.push(nr);
        let keymat = prf_plus(
            provider,
            prf_alg,
            sk_d.as_bytes(),
            &seed,
            2 * (e_len + a_len),
        )?;
        let part = |start: usize, len: usize| keymat.slice(start, len).ok_or(CryptoError::Internal);
        Ok(ChildSaKeys {
            initiator_to_responder: DirectionalKeys {
                encr: part(0, e_len)?,
                integ: part(e_len, a_len)?,
            },
            responder_to_initiator: DirectionalKeys {
                encr: part(e_len + a_len, e_len)?,
                integ: part(2 * e_len + a_len, a_len)?,
            },
        })
    }

    /// Keys for the SA we send on.
    pub fn outbound(&self, role: Role) -> &DirectionalKeys {
        match role {
            Role::Initiator => &self.initiator_to_responder,
            Role::Responder => &self.responder_to_initiator,
        }
    }

    /// Keys for the SA we receive on.
    pub fn inbound(&self, role: Role) -> &DirectionalKeys {
        match role {
            Role::Initiator => &self.responder_to_initiator,
            Role::Responder => &self.initiator_to_responder,
        }
    }
}
