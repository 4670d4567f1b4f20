//! The [`CryptoProvider`] trait: every primitive the engine needs, behind one object
//! (in the style of rustls' `CryptoProvider`). Protocol logic (prf+, key schedule, SK payload
//! framing, AUTH) is written once on top of it in the sibling modules.

use core::fmt;

use zeroize::Zeroizing;

use super::algorithms::{Encr, HashAlg, KeGroup};
use super::dh::KeyExchange;
use super::error::CryptoError;
use super::rng::Rng;
use super::secret::{Secret, SharedSecret};
use super::signature::{PrivateKeyDer, SignatureScheme, SigningKey};

/// A keyed HMAC instance.
pub trait HmacKey: Send + Sync + fmt::Debug {
    /// The hash function.
    fn hash(&self) -> HashAlg;

    /// HMAC over the concatenation of `data` (full, untruncated output).
    fn sign(&self, data: &[&[u8]]) -> Secret;
}

/// A keyed AEAD (AES-GCM-16 or ChaCha20-Poly1305) in the IKEv2/ESP construction:
/// nonce = 4-byte salt (from the keying material) || 8-byte explicit IV, 16-byte tag.
pub trait Aead: Send + Sync + fmt::Debug {
    /// The cipher.
    fn encr(&self) -> Encr;

    /// Encrypts `plaintext`; returns ciphertext || tag.
    ///
    /// # Errors
    /// [`CryptoError::InvalidKeyLength`] if `iv` is not 8 bytes; [`CryptoError::Internal`].
    fn seal(&self, iv: &[u8], aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, CryptoError>;

    /// Verifies and decrypts ciphertext || tag.
    ///
    /// # Errors
    /// [`CryptoError::IntegrityCheckFailed`] when the tag does not verify,
    /// [`CryptoError::TooShort`] when the input is shorter than the tag.
    fn open(
        &self,
        iv: &[u8],
        aad: &[u8],
        ciphertext_and_tag: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError>;
}

/// A keyed block cipher in CBC mode without padding.
pub trait CbcCipher: Send + Sync + fmt::Debug {
    /// The cipher.
    fn encr(&self) -> Encr;

    /// Encrypts `buf` in place; `buf.len()` must be a multiple of the block size.
    ///
    /// # Errors
    /// [`CryptoError::MisalignedCiphertext`], [`CryptoError::Internal`].
    fn encrypt(&self, iv: &[u8], buf: &mut [u8]) -> Result<(), CryptoError>;

    /// Decrypts `buf` in place; `buf.len()` must be a multiple of the block size.
    ///
    /// # Errors
    /// [`CryptoError::MisalignedCiphertext`], [`CryptoError::Internal`].
    fn decrypt(&self, iv: &[u8], buf: &mut [u8]) -> Result<(), CryptoError>;
}

/// Every primitive the IKE engine uses.
pub trait CryptoProvider: Send + Sync + fmt::Debug {
    /// A short name for logs ("aws-lc-rs").
    fn name(&self) -> &'static str;

    /// Whether the provider runs in FIPS mode (then MODP groups are refused).
    fn is_fips(&self) -> bool;

    /// Whether `start_ke` works for `group`.
    fn supports_ke(&self, group: KeGroup) -> bool;

    /// Generates a key exchange private value from `rng` and returns the in-progress exchange.
    ///
    /// # Errors
    /// [`CryptoError::Unsupported`], [`CryptoError::ModpRefusedInFips`],
    /// [`CryptoError::RngFailure`].
    fn start_ke(
        &self,
        group: KeGroup,
        rng: &mut dyn Rng,
    ) -> Result<Box<dyn KeyExchange>, CryptoError>;

    /// The responder's side of a key exchange: our KE payload data and the shared secret,
    /// from the initiator's value. For Diffie-Hellman groups that is a fresh key pair and the
    /// agreement; for ML-KEM the encapsulation (ciphertext) to the initiator's key.
    ///
    /// # Errors
    /// The errors of `start_ke` and [`KeyExchange::complete`].
    fn respond_ke(
        &self,
        group: KeGroup,
        peer_public: &[u8],
        rng: &mut dyn Rng,
    ) -> Result<(Vec<u8>, SharedSecret), CryptoError> {
        let ke = self.start_ke(group, rng)?;
        let shared = ke.complete(peer_public)?;
        Ok((ke.public_value().to_vec(), shared))
    }

    /// Builds a key exchange from a known private value (for known-answer tests): the X25519
    /// scalar (32 bytes), the ECP private scalar (big-endian, field length), the MODP
    /// exponent (big-endian, 1..=64 bytes), or the ML-KEM decapsulation key (FIPS 203 `dk`).
    ///
    /// # Errors
    /// [`CryptoError::InvalidPrivateKey`] and the errors of `start_ke`.
    fn ke_from_private(
        &self,
        group: KeGroup,
        private: &[u8],
    ) -> Result<Box<dyn KeyExchange>, CryptoError>;

    /// Hashes the concatenation of `data`.
    ///
    /// # Errors
    /// [`CryptoError::Internal`].
    fn hash(&self, alg: HashAlg, data: &[&[u8]]) -> Result<Vec<u8>, CryptoError>;

    /// Creates an HMAC key (any key length).
    ///
    /// # Errors
    /// [`CryptoError::Unsupported`].
    fn hmac(&self, alg: HashAlg, key: &[u8]) -> Result<Box<dyn HmacKey>, CryptoError>;

    /// Creates an AEAD from keying material (key || 4-byte salt).
    ///
    /// # Errors
    /// [`CryptoError::Unsupported`] for non-AEAD `encr`, [`CryptoError::InvalidKeyLength`].
    fn aead(&self, encr: Encr, keymat: &[u8]) -> Result<Box<dyn Aead>, CryptoError>;

    /// Creates a CBC cipher.
    ///
    /// # Errors
    /// [`CryptoError::Unsupported`] for AEAD `encr`, [`CryptoError::InvalidKeyLength`].
    fn cbc(&self, encr: Encr, key: &[u8]) -> Result<Box<dyn CbcCipher>, CryptoError>;

    /// Loads a private key for signing.
    ///
    /// # Errors
    /// [`CryptoError::InvalidPrivateKey`].
    fn load_private_key(&self, key: PrivateKeyDer<'_>) -> Result<Box<dyn SigningKey>, CryptoError>;

    /// Verifies `signature` over `message` with the key in `spki` (DER SubjectPublicKeyInfo).
    ///
    /// # Errors
    /// [`CryptoError::AuthenticationFailed`] if the signature does not verify,
    /// [`CryptoError::InvalidPublicKey`] / [`CryptoError::KeyTypeMismatch`] if the key does not
    /// fit, [`CryptoError::Unsupported`].
    fn verify_signature(
        &self,
        scheme: SignatureScheme,
        spki: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), CryptoError>;
}
