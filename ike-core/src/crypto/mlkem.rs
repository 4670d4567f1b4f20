//! ML-KEM (FIPS 203) as an IKEv2 key exchange method (RFC 9370, draft-ietf-ipsecme-ikev2-mlkem):
//! ML-KEM-512/768/1024 are key exchange methods 35/36/37.
//!
//! The initiator generates a decapsulation key and sends the encapsulation key in its KE
//! payload ([`MlKemKeyExchange`], whose [`KeyExchange::complete`] decapsulates the responder's
//! ciphertext); the responder encapsulates to it ([`encapsulate`]) and sends the ciphertext.
//! Both end with the same 32-octet shared secret.
//!
//! aws-lc-rs draws the randomness of key generation and encapsulation from its own generator,
//! not from the injected [`super::Rng`] (as it does for signature nonces).

use core::fmt;

use aws_lc_rs::kem::{
    Algorithm, AlgorithmId, Ciphertext, DecapsulationKey, EncapsulationKey, ML_KEM_1024,
    ML_KEM_512, ML_KEM_768,
};

use super::algorithms::KeGroup;
use super::dh::KeyExchange;
use super::error::CryptoError;
use super::secret::SharedSecret;

fn algorithm(group: KeGroup) -> Result<&'static Algorithm<AlgorithmId>, CryptoError> {
    match group {
        KeGroup::MlKem512 => Ok(&ML_KEM_512),
        KeGroup::MlKem768 => Ok(&ML_KEM_768),
        KeGroup::MlKem1024 => Ok(&ML_KEM_1024),
        other => Err(CryptoError::Unsupported {
            what: "ML-KEM parameter set",
            id: u32::from(other.iana_id()),
        }),
    }
}

/// The initiator's side of an ML-KEM exchange: the decapsulation key and the encapsulation
/// key it sends.
pub(crate) struct MlKemKeyExchange {
    group: KeGroup,
    key: DecapsulationKey<AlgorithmId>,
    public: Vec<u8>,
}

impl fmt::Debug for MlKemKeyExchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MlKemKeyExchange")
            .field("group", &self.group)
            .finish_non_exhaustive()
    }
}

impl MlKemKeyExchange {
    /// Generates a fresh key pair.
    pub(crate) fn generate(group: KeGroup) -> Result<Self, CryptoError> {
        let key =
            DecapsulationKey::generate(algorithm(group)?).map_err(|_| CryptoError::Internal)?;
        Self::with_key(group, key)
    }

    /// From a known decapsulation key (FIPS 203 `dk`, for known-answer tests). aws-lc keeps
    /// no encapsulation key for a key made from bytes; FIPS 203 §7.1 puts it inside `dk`
    /// (`dk_PKE || ek || H(ek) || z`), where we take it from.
    pub(crate) fn from_private(group: KeGroup, dk: &[u8]) -> Result<Self, CryptoError> {
        let bad = CryptoError::InvalidPrivateKey("not an ML-KEM decapsulation key");
        let key = DecapsulationKey::new(algorithm(group)?, dk).map_err(|_| bad.clone())?;
        let pke = pke_len(group);
        let public = dk
            .get(pke..pke + group.public_value_len())
            .ok_or(bad)?
            .to_vec();
        Ok(Self { group, key, public })
    }

    fn with_key(group: KeGroup, key: DecapsulationKey<AlgorithmId>) -> Result<Self, CryptoError> {
        let ek = key.encapsulation_key().map_err(|_| CryptoError::Internal)?;
        let public = ek
            .key_bytes()
            .map_err(|_| CryptoError::Internal)?
            .as_ref()
            .to_vec();
        if public.len() != group.public_value_len() {
            return Err(CryptoError::Internal);
        }
        Ok(Self { group, key, public })
    }
}

impl KeyExchange for MlKemKeyExchange {
    fn group(&self) -> KeGroup {
        self.group
    }

    fn public_value(&self) -> &[u8] {
        &self.public
    }

    /// Decapsulates the responder's ciphertext (exactly the parameter set's length).
    fn complete(&self, peer_public: &[u8]) -> Result<SharedSecret, CryptoError> {
        if peer_public.len() != self.group.responder_value_len() {
            return Err(CryptoError::InvalidPublicValue("wrong length"));
        }
        let shared = self
            .key
            .decapsulate(Ciphertext::from(peer_public))
            .map_err(|_| CryptoError::InvalidPublicValue("not a valid ciphertext"))?;
        Ok(SharedSecret::from_slice(shared.as_ref()))
    }
}

/// The length of the PKE decryption key at the start of `dk`: 384·k octets.
fn pke_len(group: KeGroup) -> usize {
    group.public_value_len() - 32
}

/// FIPS 203 §7.2 "modulus check" of an encapsulation key: every 12-bit coefficient of its
/// first 384·k octets is below q = 3329 (aws-lc does not check it when parsing a raw key).
fn modulus_check(group: KeGroup, ek: &[u8]) -> bool {
    const Q: u16 = 3329;
    ek.get(..pke_len(group)).is_some_and(|t| {
        t.chunks_exact(3).all(|c| {
            let &[b0, b1, b2] = c else {
                return false;
            };
            let (b0, b1, b2) = (u16::from(b0), u16::from(b1), u16::from(b2));
            let lo = b0 | ((b1 & 0x0f) << 8);
            let hi = (b1 >> 4) | (b2 << 4);
            lo < Q && hi < Q
        })
    })
}

/// The responder's side: encapsulates to the initiator's encapsulation key (exactly the
/// parameter set's length; FIPS 203 §7.2 checks it, which aws-lc performs when parsing).
/// Returns the ciphertext to send and the shared secret.
///
/// # Errors
/// [`CryptoError::InvalidPublicValue`] for a key of the wrong length or that does not parse.
pub fn encapsulate(
    group: KeGroup,
    peer_key: &[u8],
) -> Result<(Vec<u8>, SharedSecret), CryptoError> {
    if peer_key.len() != group.public_value_len() {
        return Err(CryptoError::InvalidPublicValue("wrong length"));
    }
    if !modulus_check(group, peer_key) {
        return Err(CryptoError::InvalidPublicValue(
            "encapsulation key coefficients not reduced modulo q",
        ));
    }
    let ek = EncapsulationKey::new(algorithm(group)?, peer_key)
        .map_err(|_| CryptoError::InvalidPublicValue("not a valid encapsulation key"))?;
    let (ct, shared) = ek.encapsulate().map_err(|_| CryptoError::Internal)?;
    Ok((
        ct.as_ref().to_vec(),
        SharedSecret::from_slice(shared.as_ref()),
    ))
}
