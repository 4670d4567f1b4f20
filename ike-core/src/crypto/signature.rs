//! Signature schemes, private keys for signing and public key verification (aws-lc-rs).
//!
//! What aws-lc-rs can do, and therefore what this module offers:
//! - Signing: RSASSA-PKCS1-v1_5 with SHA-256/384/512; RSASSA-PSS with SHA-256/384/512, MGF1
//!   with the same hash and salt length = hash length (strongSwan's and Libreswan's default);
//!   ECDSA P-256/SHA-256, P-384/SHA-384, P-521/SHA-512; Ed25519. RSA keys 2048-8192 bits.
//!   **Not possible**: RSA with SHA-1 (auth method 1 signing), PSS with other salt lengths.
//! - Verification: RSASSA-PKCS1-v1_5 with SHA-1 (auth method 1) and SHA-256/384/512;
//!   RSASSA-PSS with SHA-256/384/512, any salt length up to 1024 bytes; ECDSA on P-256/384/521
//!   with SHA-256/384/512 (DER or, for the RFC 4754 pairs, fixed r||s); Ed25519. RSA keys of
//!   2048-8192 bits.
//!
//! ECDSA nonces come from aws-lc-rs' own RNG: its signing API takes no caller randomness.

use core::fmt;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    self as sig, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair, RsaPssSaltLength,
    VerificationAlgorithm,
};

use super::algorithms::HashAlg;
use super::asn1_alg_id::{pkcs8_key_type, spki_key_type, MAX_PSS_SALT_LEN};
use super::der::ecdsa_der_to_fixed;
use super::error::CryptoError;
use super::pem::pem_to_der;
use super::provider::CryptoProvider;

/// NIST curves for ECDSA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EcCurve {
    /// P-256 (secp256r1).
    P256,
    /// P-384 (secp384r1).
    P384,
    /// P-521 (secp521r1).
    P521,
}

impl EcCurve {
    /// Length of a scalar / coordinate in bytes (one half of a fixed r||s signature).
    pub fn scalar_len(self) -> usize {
        match self {
            EcCurve::P256 => 32,
            EcCurve::P384 => 48,
            EcCurve::P521 => 66,
        }
    }

    /// The hash RFC 4754 pairs with the curve (auth methods 9/10/11).
    pub fn rfc4754_hash(self) -> HashAlg {
        match self {
            EcCurve::P256 => HashAlg::Sha256,
            EcCurve::P384 => HashAlg::Sha384,
            EcCurve::P521 => HashAlg::Sha512,
        }
    }
}

/// The type of a public (or private) key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PublicKeyType {
    /// RSA (rsaEncryption or id-RSASSA-PSS keys).
    Rsa,
    /// ECDSA on a NIST curve.
    Ec(EcCurve),
    /// Ed25519.
    Ed25519,
}

/// A signature scheme: algorithm, hash and encoding of the signature value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignatureScheme {
    /// RSASSA-PKCS1-v1_5 with the given hash (SHA-1 for verification only).
    RsaPkcs1(HashAlg),
    /// RSASSA-PSS, MGF1 with the same hash, trailer field 1.
    RsaPss {
        /// Message hash (SHA-256/384/512).
        hash: HashAlg,
        /// Salt length in bytes.
        salt_len: u16,
    },
    /// ECDSA with a DER ECDSA-Sig-Value (RFC 7427); the curve is the key's.
    Ecdsa(HashAlg),
    /// ECDSA with the fixed-width r||s value of RFC 4754 (auth methods 9/10/11).
    EcdsaFixed(HashAlg),
    /// Ed25519 (RFC 8420), over the message itself.
    Ed25519,
}

impl SignatureScheme {
    /// RSASSA-PSS with salt length = hash length, the only PSS variant we sign with.
    pub fn rsa_pss(hash: HashAlg) -> Self {
        SignatureScheme::RsaPss {
            hash,
            salt_len: hash.output_len() as u16,
        }
    }

    /// The RFC 7427 hash algorithm number to look for in the peer's
    /// SIGNATURE_HASH_ALGORITHMS notify (Identity for Ed25519).
    pub fn hash_iana_id(self) -> u16 {
        match self {
            SignatureScheme::RsaPkcs1(h)
            | SignatureScheme::RsaPss { hash: h, .. }
            | SignatureScheme::Ecdsa(h)
            | SignatureScheme::EcdsaFixed(h) => h.iana_id(),
            SignatureScheme::Ed25519 => crate::ids::hash_alg::IDENTITY,
        }
    }
}

/// DER-encoded private key input.
#[derive(Clone, Copy)]
pub enum PrivateKeyDer<'a> {
    /// PKCS#8 PrivateKeyInfo / OneAsymmetricKey ("PRIVATE KEY"), unencrypted.
    Pkcs8(&'a [u8]),
    /// PKCS#1 RSAPrivateKey ("RSA PRIVATE KEY").
    Pkcs1Rsa(&'a [u8]),
    /// SEC1 ECPrivateKey ("EC PRIVATE KEY").
    Sec1Ec(&'a [u8]),
}

impl fmt::Debug for PrivateKeyDer<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (kind, len) = match self {
            PrivateKeyDer::Pkcs8(d) => ("Pkcs8", d.len()),
            PrivateKeyDer::Pkcs1Rsa(d) => ("Pkcs1Rsa", d.len()),
            PrivateKeyDer::Sec1Ec(d) => ("Sec1Ec", d.len()),
        };
        write!(f, "PrivateKeyDer::{kind}(<{len} bytes redacted>)")
    }
}

/// A private key that can produce signatures.
pub trait SigningKey: Send + Sync + fmt::Debug {
    /// The key type.
    fn key_type(&self) -> PublicKeyType;

    /// Whether `sign` accepts `scheme`.
    fn supports(&self, scheme: SignatureScheme) -> bool;

    /// Signs `message` (the signed octets; hashing is part of the scheme).
    ///
    /// # Errors
    /// [`CryptoError::Unsupported`] if the scheme is not supported by this key,
    /// [`CryptoError::Internal`].
    fn sign(&self, scheme: SignatureScheme, message: &[u8]) -> Result<Vec<u8>, CryptoError>;

    /// The public key as DER SubjectPublicKeyInfo (to match against a certificate).
    ///
    /// # Errors
    /// [`CryptoError::Internal`].
    fn public_key_spki(&self) -> Result<Vec<u8>, CryptoError>;
}

/// Decodes a PEM private key ("PRIVATE KEY", "RSA PRIVATE KEY" or "EC PRIVATE KEY") and
/// loads it with `provider`. Encrypted keys are not supported.
///
/// # Errors
/// [`CryptoError::InvalidPem`], [`CryptoError::InvalidPrivateKey`].
pub fn load_private_key_pem(
    provider: &dyn CryptoProvider,
    pem: &str,
) -> Result<Box<dyn SigningKey>, CryptoError> {
    let block = pem_to_der(pem)?;
    let der = match block.label.as_str() {
        "PRIVATE KEY" => PrivateKeyDer::Pkcs8(&block.der),
        "RSA PRIVATE KEY" => PrivateKeyDer::Pkcs1Rsa(&block.der),
        "EC PRIVATE KEY" => PrivateKeyDer::Sec1Ec(&block.der),
        "ENCRYPTED PRIVATE KEY" => {
            return Err(CryptoError::InvalidPrivateKey(
                "encrypted private keys are not supported",
            ))
        }
        _ => return Err(CryptoError::InvalidPem("not a private key")),
    };
    provider.load_private_key(der)
}

fn unsupported_scheme() -> CryptoError {
    CryptoError::Unsupported {
        what: "signature scheme for this key",
        id: 0,
    }
}

struct RsaSigner(RsaKeyPair);

impl fmt::Debug for RsaSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RsaSigner({} bits)", self.0.public_modulus_len() * 8)
    }
}

fn rsa_encoding(scheme: SignatureScheme) -> Option<&'static sig::RsaSignatureEncoding> {
    match scheme {
        SignatureScheme::RsaPkcs1(HashAlg::Sha256) => Some(&sig::RSA_PKCS1_SHA256),
        SignatureScheme::RsaPkcs1(HashAlg::Sha384) => Some(&sig::RSA_PKCS1_SHA384),
        SignatureScheme::RsaPkcs1(HashAlg::Sha512) => Some(&sig::RSA_PKCS1_SHA512),
        SignatureScheme::RsaPss { hash, salt_len }
            if usize::from(salt_len) == hash.output_len() =>
        {
            match hash {
                HashAlg::Sha256 => Some(&sig::RSA_PSS_SHA256),
                HashAlg::Sha384 => Some(&sig::RSA_PSS_SHA384),
                HashAlg::Sha512 => Some(&sig::RSA_PSS_SHA512),
                HashAlg::Sha1 => None,
            }
        }
        _ => None,
    }
}

impl SigningKey for RsaSigner {
    fn key_type(&self) -> PublicKeyType {
        PublicKeyType::Rsa
    }

    fn supports(&self, scheme: SignatureScheme) -> bool {
        rsa_encoding(scheme).is_some()
    }

    fn sign(&self, scheme: SignatureScheme, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let encoding = rsa_encoding(scheme).ok_or_else(unsupported_scheme)?;
        let mut out = vec![0u8; self.0.public_modulus_len()];
        // aws-lc-rs ignores this argument (PSS salts come from AWS-LC's own DRBG) and its
        // `SecureRandom` is sealed, so the engine's injected RNG cannot be passed here.
        self.0
            .sign(encoding, &SystemRandom::new(), message, &mut out)?;
        Ok(out)
    }

    fn public_key_spki(&self) -> Result<Vec<u8>, CryptoError> {
        Ok(self.0.public_key().as_der()?.as_ref().to_vec())
    }
}

struct EcdsaSigner {
    key: EcdsaKeyPair,
    curve: EcCurve,
}

impl fmt::Debug for EcdsaSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EcdsaSigner({:?})", self.curve)
    }
}

impl SigningKey for EcdsaSigner {
    fn key_type(&self) -> PublicKeyType {
        PublicKeyType::Ec(self.curve)
    }

    fn supports(&self, scheme: SignatureScheme) -> bool {
        let h = self.curve.rfc4754_hash();
        scheme == SignatureScheme::Ecdsa(h) || scheme == SignatureScheme::EcdsaFixed(h)
    }

    fn sign(&self, scheme: SignatureScheme, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if !self.supports(scheme) {
            return Err(unsupported_scheme());
        }
        // Ignored by aws-lc-rs (ECDSA nonces come from AWS-LC's own DRBG); see the RSA case.
        let der = self.key.sign(&SystemRandom::new(), message)?;
        match scheme {
            SignatureScheme::EcdsaFixed(_) => {
                ecdsa_der_to_fixed(der.as_ref(), self.curve.scalar_len())
            }
            _ => Ok(der.as_ref().to_vec()),
        }
    }

    fn public_key_spki(&self) -> Result<Vec<u8>, CryptoError> {
        Ok(self.key.public_key().as_der()?.as_ref().to_vec())
    }
}

struct Ed25519Signer(Ed25519KeyPair);

impl fmt::Debug for Ed25519Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Ed25519Signer")
    }
}

impl SigningKey for Ed25519Signer {
    fn key_type(&self) -> PublicKeyType {
        PublicKeyType::Ed25519
    }

    fn supports(&self, scheme: SignatureScheme) -> bool {
        scheme == SignatureScheme::Ed25519
    }

    fn sign(&self, scheme: SignatureScheme, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if scheme != SignatureScheme::Ed25519 {
            return Err(unsupported_scheme());
        }
        Ok(self.0.try_sign(message)?.as_ref().to_vec())
    }

    fn public_key_spki(&self) -> Result<Vec<u8>, CryptoError> {
        Ok(self.0.public_key().as_der()?.as_ref().to_vec())
    }
}

fn ecdsa_signing_alg(curve: EcCurve) -> &'static sig::EcdsaSigningAlgorithm {
    match curve {
        EcCurve::P256 => &sig::ECDSA_P256_SHA256_ASN1_SIGNING,
        EcCurve::P384 => &sig::ECDSA_P384_SHA384_ASN1_SIGNING,
        EcCurve::P521 => &sig::ECDSA_P521_SHA512_ASN1_SIGNING,
    }
}

const CURVES: [EcCurve; 3] = [EcCurve::P256, EcCurve::P384, EcCurve::P521];

/// aws-lc-rs implementation of `CryptoProvider::load_private_key`.
pub(crate) fn load_private_key(key: PrivateKeyDer<'_>) -> Result<Box<dyn SigningKey>, CryptoError> {
    let rejected = |_| CryptoError::InvalidPrivateKey("rejected by aws-lc-rs");
    match key {
        PrivateKeyDer::Pkcs8(der) => match pkcs8_key_type(der)? {
            PublicKeyType::Rsa => Ok(Box::new(RsaSigner(
                RsaKeyPair::from_pkcs8(der).map_err(rejected)?,
            ))),
            PublicKeyType::Ec(curve) => Ok(Box::new(EcdsaSigner {
                key: EcdsaKeyPair::from_pkcs8(ecdsa_signing_alg(curve), der).map_err(rejected)?,
                curve,
            })),
            PublicKeyType::Ed25519 => Ok(Box::new(Ed25519Signer(
                Ed25519KeyPair::from_pkcs8_maybe_unchecked(der).map_err(rejected)?,
            ))),
        },
        PrivateKeyDer::Pkcs1Rsa(der) => Ok(Box::new(RsaSigner(
            RsaKeyPair::from_der(der).map_err(rejected)?,
        ))),
        PrivateKeyDer::Sec1Ec(der) => {
            for curve in CURVES {
                if let Ok(key) = EcdsaKeyPair::from_private_key_der(ecdsa_signing_alg(curve), der) {
                    return Ok(Box::new(EcdsaSigner { key, curve }));
                }
            }
            Err(CryptoError::InvalidPrivateKey("unsupported SEC1 EC key"))
        }
    }
}

fn rsa_pkcs1_params(hash: HashAlg) -> &'static sig::RsaParameters {
    match hash {
        HashAlg::Sha1 => &sig::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
        HashAlg::Sha256 => &sig::RSA_PKCS1_2048_8192_SHA256,
        HashAlg::Sha384 => &sig::RSA_PKCS1_2048_8192_SHA384,
        HashAlg::Sha512 => &sig::RSA_PKCS1_2048_8192_SHA512,
    }
}

fn ecdsa_verify_alg(
    curve: EcCurve,
    hash: HashAlg,
    fixed: bool,
) -> Option<&'static sig::EcdsaVerificationAlgorithm> {
    use EcCurve::*;
    use HashAlg::*;
    match (fixed, curve, hash) {
        (false, P256, Sha256) => Some(&sig::ECDSA_P256_SHA256_ASN1),
        (false, P256, Sha384) => Some(&sig::ECDSA_P256_SHA384_ASN1),
        (false, P256, Sha512) => Some(&sig::ECDSA_P256_SHA512_ASN1),
        (false, P384, Sha256) => Some(&sig::ECDSA_P384_SHA256_ASN1),
        (false, P384, Sha384) => Some(&sig::ECDSA_P384_SHA384_ASN1),
        (false, P384, Sha512) => Some(&sig::ECDSA_P384_SHA512_ASN1),
        (false, P521, Sha256) => Some(&sig::ECDSA_P521_SHA256_ASN1),
        (false, P521, Sha384) => Some(&sig::ECDSA_P521_SHA384_ASN1),
        (false, P521, Sha512) => Some(&sig::ECDSA_P521_SHA512_ASN1),
        (true, P256, Sha256) => Some(&sig::ECDSA_P256_SHA256_FIXED),
        (true, P384, Sha384) => Some(&sig::ECDSA_P384_SHA384_FIXED),
        (true, P521, Sha512) => Some(&sig::ECDSA_P521_SHA512_FIXED),
        _ => None,
    }
}

/// aws-lc-rs implementation of `CryptoProvider::verify_signature`.
pub(crate) fn verify_signature(
    scheme: SignatureScheme,
    spki: &[u8],
    message: &[u8],
    signature: &[u8],
) -> Result<(), CryptoError> {
    let key_type = spki_key_type(spki)
        .map_err(|_| CryptoError::InvalidPublicKey("bad SubjectPublicKeyInfo"))?;
    let bad_sig = |_| CryptoError::AuthenticationFailed;
    match (scheme, key_type) {
        (SignatureScheme::RsaPkcs1(hash), PublicKeyType::Rsa) => rsa_pkcs1_params(hash)
            .verify_sig(spki, message, signature)
            .map_err(bad_sig),
        (SignatureScheme::RsaPss { hash, salt_len }, PublicKeyType::Rsa) => {
            if salt_len > MAX_PSS_SALT_LEN {
                return Err(CryptoError::PssSaltTooLarge);
            }
            let salt = RsaPssSaltLength::Custom(salt_len);
            let params = match hash {
                HashAlg::Sha256 => sig::RSA_PSS_2048_8192_SHA256.with_pss_salt_length(salt),
                HashAlg::Sha384 => sig::RSA_PSS_2048_8192_SHA384.with_pss_salt_length(salt),
                HashAlg::Sha512 => sig::RSA_PSS_2048_8192_SHA512.with_pss_salt_length(salt),
                HashAlg::Sha1 => return Err(unsupported_scheme()),
            };
            params.verify_sig(spki, message, signature).map_err(bad_sig)
        }
        (SignatureScheme::Ecdsa(hash), PublicKeyType::Ec(curve)) => {
            ecdsa_verify_alg(curve, hash, false)
                .ok_or_else(unsupported_scheme)?
                .verify_sig(spki, message, signature)
                .map_err(bad_sig)
        }
        (SignatureScheme::EcdsaFixed(hash), PublicKeyType::Ec(curve)) => {
            if signature.len() != 2 * curve.scalar_len() {
                return Err(CryptoError::AuthenticationFailed);
            }
            ecdsa_verify_alg(curve, hash, true)
                .ok_or_else(unsupported_scheme)?
                .verify_sig(spki, message, signature)
                .map_err(bad_sig)
        }
        (SignatureScheme::Ed25519, PublicKeyType::Ed25519) => sig::ED25519
            .verify_sig(spki, message, signature)
            .map_err(bad_sig),
        _ => Err(CryptoError::KeyTypeMismatch),
    }
}
