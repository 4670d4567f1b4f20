//! The one error type of the crypto layer.

/// Everything that can go wrong in the crypto layer.
///
/// Mapping for the engine:
/// - [`CryptoError::InvalidPublicValue`] in a KE payload: reject the message (INVALID_SYNTAX
///   in IKE_SA_INIT responses, or treat the exchange as failed).
/// - [`CryptoError::IntegrityCheckFailed`], [`CryptoError::TooShort`],
///   [`CryptoError::MisalignedCiphertext`], [`CryptoError::InvalidPadding`] while decrypting an
///   SK payload: drop the message silently (RFC 7296 §2.21.2/§3.14).
/// - [`CryptoError::AuthenticationFailed`] and every signature/AlgorithmIdentifier error while
///   checking AUTH: AUTHENTICATION_FAILED.
/// - [`CryptoError::Unsupported`] / [`CryptoError::ModpRefusedInFips`]: a configuration or
///   negotiation problem (NO_PROPOSAL_CHOSEN when it comes from a proposal).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// The algorithm, group or parameter is not implemented by this provider.
    #[error("unsupported {what} ({id})")]
    Unsupported {
        /// What kind of thing was asked for ("ENCR", "PRF", "KE", "auth method", ...).
        what: &'static str,
        /// The IANA number or other identifying value.
        id: u32,
    },
    /// MODP (finite-field) Diffie-Hellman groups are refused in FIPS builds.
    #[error("MODP Diffie-Hellman group {0} is not available in FIPS mode")]
    ModpRefusedInFips(u16),
    /// A key or key material had the wrong length.
    #[error("invalid key length: expected {expected} bytes, got {actual}")]
    InvalidKeyLength {
        /// The length the algorithm needs.
        expected: usize,
        /// The length that was supplied.
        actual: usize,
    },
    /// The peer's key exchange public value is malformed or out of range.
    #[error("invalid key exchange public value: {0}")]
    InvalidPublicValue(&'static str),
    /// The key exchange produced an unusable shared secret (e.g. all-zero X25519 output).
    #[error("key exchange produced an invalid shared secret")]
    InvalidSharedSecret,
    /// The random number generator failed.
    #[error("random number generator failure")]
    RngFailure,
    /// prf+ was asked for more than 255 blocks of output (RFC 7296 §2.13).
    #[error("prf+ output of {requested} bytes exceeds the maximum of {max}")]
    PrfPlusTooLong {
        /// Requested number of bytes.
        requested: usize,
        /// Maximum for this PRF (255 × output length).
        max: usize,
    },
    /// An SK payload body (or AEAD input) is shorter than IV + ICV (+ one block).
    #[error("encrypted payload too short: {len} bytes, at least {min} needed")]
    TooShort {
        /// Actual length.
        len: usize,
        /// Minimal length.
        min: usize,
    },
    /// CBC ciphertext is not a whole number of blocks.
    #[error("ciphertext is not a multiple of the cipher block size")]
    MisalignedCiphertext,
    /// The ICV / AEAD tag did not verify.
    #[error("integrity check failed")]
    IntegrityCheckFailed,
    /// The decrypted Pad Length byte points outside the plaintext.
    #[error("invalid padding in encrypted payload")]
    InvalidPadding,
    /// AUTH payload did not verify (wrong PSK, bad signature, wrong key).
    #[error("authentication failed")]
    AuthenticationFailed,
    /// AUTH payload data is malformed (e.g. RFC 7427 length byte past the end).
    #[error("malformed AUTH data: {0}")]
    MalformedAuthData(&'static str),
    /// DER input (AlgorithmIdentifier, SubjectPublicKeyInfo, ECDSA signature) is malformed.
    #[error("malformed DER: {0}")]
    MalformedDer(&'static str),
    /// RSASSA-PSS parameters without a usable MGF1 hash (CVE-2018-6459).
    #[error("RSASSA-PSS parameters lack the MGF1 hash algorithm")]
    PssMissingMgf1,
    /// RSASSA-PSS with a mask generation hash different from the message hash.
    #[error("RSASSA-PSS with an MGF1 hash different from the signature hash is not supported")]
    PssMgf1HashMismatch,
    /// RSASSA-PSS salt length beyond any sane value (CVE-2021-41990).
    #[error("RSASSA-PSS salt length too large")]
    PssSaltTooLarge,
    /// RSASSA-PSS trailer field other than 1.
    #[error("RSASSA-PSS trailer field must be 1")]
    PssBadTrailerField,
    /// The signature scheme does not fit the key (e.g. ECDSA with an RSA key).
    #[error("signature scheme does not match the key type")]
    KeyTypeMismatch,
    /// A private key could not be parsed or is unacceptable.
    #[error("invalid private key: {0}")]
    InvalidPrivateKey(&'static str),
    /// A public key (SubjectPublicKeyInfo) could not be parsed or is unacceptable.
    #[error("invalid public key: {0}")]
    InvalidPublicKey(&'static str),
    /// PEM input could not be decoded.
    #[error("invalid PEM: {0}")]
    InvalidPem(&'static str),
    /// An input of an authentication method is unusable (an EAP password that is not UTF-8).
    #[error("invalid input: {0}")]
    InvalidInput(&'static str),
    /// An internal failure of the crypto library.
    #[error("internal crypto library failure")]
    Internal,
}

impl From<aws_lc_rs::error::Unspecified> for CryptoError {
    fn from(_: aws_lc_rs::error::Unspecified) -> Self {
        CryptoError::Internal
    }
}
