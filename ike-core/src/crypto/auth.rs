//! AUTH payload computation and verification (RFC 7296 §2.15, RFC 7427, RFC 4754).
//!
//! Which inputs go where:
//! - Our AUTH: `real_message` = the first message we sent (IKE_SA_INIT request as initiator,
//!   response as responder; for IKE_INTERMEDIATE add the RFC 9242 IntAuth yourself),
//!   `peer_nonce` = the peer's nonce data, `sk_p` = our SK_p ([`super::IkeSaKeys::own_sk_p`]),
//!   `rest_of_id` = our ID payload body.
//! - The peer's AUTH: the peer's first message, **our** nonce, the peer's SK_p and the peer's
//!   ID payload body.
//!
//! `rest_of_id` is the ID payload without its 4-byte generic header: ID Type, 3 reserved octets,
//! Identification Data.
//!
//! Shared key MIC (auth method 2) is also how EAP (key = MSK, RFC 7296 §2.16) and NULL
//! authentication (key = SK_pi / SK_pr, RFC 7619 §3) compute AUTH: pass that key as `psk`.

use subtle::ConstantTimeEq;

use super::algorithms::{HashAlg, Prf};
use super::asn1_alg_id::{encode_signature_algorithm, parse_signature_algorithm, spki_key_type};
use super::error::CryptoError;
use super::prf::prf;
use super::provider::CryptoProvider;
use super::secret::Secret;
use super::signature::{EcCurve, PublicKeyType, SignatureScheme, SigningKey};
use crate::ids::{auth_method, hash_alg};

/// The 17 ASCII octets of RFC 7296 §2.15, without a terminating NUL.
pub const KEY_PAD: &[u8] = b"Key Pad for IKEv2";

/// The hash algorithms we announce in SIGNATURE_HASH_ALGORITHMS (RFC 7427 §4).
pub const SUPPORTED_SIGNATURE_HASHES: [u16; 4] = [
    hash_alg::SHA2_256,
    hash_alg::SHA2_384,
    hash_alg::SHA2_512,
    hash_alg::IDENTITY,
];

/// InitiatorSignedOctets / ResponderSignedOctets =
/// RealMessage | NonceData(peer) | prf(SK_p, RestOfIDPayload).
///
/// # Errors
/// Provider errors.
pub fn signed_octets(
    provider: &dyn CryptoProvider,
    prf_alg: Prf,
    real_message: &[u8],
    peer_nonce: &[u8],
    sk_p: &Secret,
    rest_of_id: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let maced_id = prf(provider, prf_alg, sk_p.as_bytes(), &[rest_of_id])?;
    let mut out = Vec::with_capacity(real_message.len() + peer_nonce.len() + maced_id.len());
    out.extend_from_slice(real_message);
    out.extend_from_slice(peer_nonce);
    out.extend_from_slice(maced_id.as_bytes());
    Ok(out)
}

/// AUTH = prf(prf(Shared Secret, "Key Pad for IKEv2"), `<signed octets>`).
///
/// # Errors
/// Provider errors.
pub fn psk_auth(
    provider: &dyn CryptoProvider,
    prf_alg: Prf,
    psk: &[u8],
    signed_octets: &[u8],
) -> Result<Secret, CryptoError> {
    let key = prf(provider, prf_alg, psk, &[KEY_PAD])?;
    prf(provider, prf_alg, key.as_bytes(), &[signed_octets])
}

/// Checks a received shared-key AUTH value in constant time.
///
/// # Errors
/// [`CryptoError::AuthenticationFailed`] on mismatch (including a wrong length).
pub fn verify_psk_auth(
    provider: &dyn CryptoProvider,
    prf_alg: Prf,
    psk: &[u8],
    signed_octets: &[u8],
    received: &[u8],
) -> Result<(), CryptoError> {
    let expected = psk_auth(provider, prf_alg, psk, signed_octets)?;
    if bool::from(expected.as_bytes().ct_eq(received)) {
        Ok(())
    } else {
        Err(CryptoError::AuthenticationFailed)
    }
}

/// Method and data of an AUTH payload (the data is what follows the 4-octet Auth Method +
/// RESERVED header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthData {
    /// Auth Method (`ids::auth_method`).
    pub method: u8,
    /// Authentication Data.
    pub data: Vec<u8>,
}

/// How to encode a signature AUTH payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureAuth {
    /// RFC 4754 ECDSA methods 9/10/11, chosen by the key's curve (fixed r||s value).
    Rfc4754Ecdsa,
    /// RFC 7427 Digital Signature (method 14) with the given scheme.
    DigitalSignature(SignatureScheme),
}

/// Chooses an RFC 7427 scheme for `key_type` that the peer accepts.
///
/// `peer_hashes` are the values of the peer's SIGNATURE_HASH_ALGORITHMS notify (empty if it
/// sent none: then the strongest default is returned and the caller may prefer RFC 4754).
/// RSA keys get RSASSA-PSS when `prefer_pss` (Libreswan's default), PKCS#1 v1.5 otherwise
/// (strongSwan's default).
pub fn choose_signature_scheme(
    key_type: PublicKeyType,
    peer_hashes: &[u16],
    prefer_pss: bool,
) -> Option<SignatureScheme> {
    let accepts = |h: u16| peer_hashes.is_empty() || peer_hashes.contains(&h);
    match key_type {
        PublicKeyType::Ed25519 => accepts(hash_alg::IDENTITY).then_some(SignatureScheme::Ed25519),
        PublicKeyType::Ec(curve) => {
            let h = curve.rfc4754_hash();
            accepts(h.iana_id()).then_some(SignatureScheme::Ecdsa(h))
        }
        PublicKeyType::Rsa => [HashAlg::Sha256, HashAlg::Sha384, HashAlg::Sha512]
            .into_iter()
            .find(|h| accepts(h.iana_id()))
            .map(|h| {
                if prefer_pss {
                    SignatureScheme::rsa_pss(h)
                } else {
                    SignatureScheme::RsaPkcs1(h)
                }
            }),
    }
}

fn rfc4754_method(curve: EcCurve) -> u8 {
    match curve {
        EcCurve::P256 => auth_method::ECDSA_256,
        EcCurve::P384 => auth_method::ECDSA_384,
        EcCurve::P521 => auth_method::ECDSA_521,
    }
}

/// Signs `signed_octets` and encodes the AUTH payload data.
///
/// # Errors
/// [`CryptoError::KeyTypeMismatch`] (RFC 4754 with a non-ECDSA key),
/// [`CryptoError::Unsupported`] (scheme the key cannot produce), provider errors.
pub fn sign_auth(
    key: &dyn SigningKey,
    how: SignatureAuth,
    signed_octets: &[u8],
) -> Result<AuthData, CryptoError> {
    match how {
        SignatureAuth::Rfc4754Ecdsa => {
            let PublicKeyType::Ec(curve) = key.key_type() else {
                return Err(CryptoError::KeyTypeMismatch);
            };
            let data = key.sign(
                SignatureScheme::EcdsaFixed(curve.rfc4754_hash()),
                signed_octets,
            )?;
            Ok(AuthData {
                method: rfc4754_method(curve),
                data,
            })
        }
        SignatureAuth::DigitalSignature(scheme) => {
            let alg_id = encode_signature_algorithm(scheme)?;
            let len = u8::try_from(alg_id.len()).map_err(|_| CryptoError::Internal)?;
            let signature = key.sign(scheme, signed_octets)?;
            let mut data = Vec::with_capacity(1 + alg_id.len() + signature.len());
            data.push(len);
            data.extend_from_slice(&alg_id);
            data.extend_from_slice(&signature);
            Ok(AuthData {
                method: auth_method::DIGITAL_SIGNATURE,
                data,
            })
        }
    }
}

/// Verifies a signature AUTH payload (methods 1, 9, 10, 11, 14) against the public key of the
/// peer's certificate (`spki`, DER SubjectPublicKeyInfo). Returns the scheme that verified, so
/// the caller can apply policy (e.g. refuse SHA-1).
///
/// # Errors
/// [`CryptoError::AuthenticationFailed`] for a bad signature,
/// [`CryptoError::MalformedAuthData`] / [`CryptoError::MalformedDer`] / the RSASSA-PSS errors
/// for malformed data, [`CryptoError::KeyTypeMismatch`] when method and key disagree,
/// [`CryptoError::Unsupported`] for other methods (PSK is checked with [`verify_psk_auth`]).
pub fn verify_auth(
    provider: &dyn CryptoProvider,
    method: u8,
    data: &[u8],
    spki: &[u8],
    signed_octets: &[u8],
) -> Result<SignatureScheme, CryptoError> {
    let (scheme, signature) =
        match method {
            auth_method::RSA_SIG => (SignatureScheme::RsaPkcs1(HashAlg::Sha1), data),
            auth_method::ECDSA_256 | auth_method::ECDSA_384 | auth_method::ECDSA_521 => {
                let curve = match method {
                    auth_method::ECDSA_256 => EcCurve::P256,
                    auth_method::ECDSA_384 => EcCurve::P384,
                    _ => EcCurve::P521,
                };
                let key_type = spki_key_type(spki)
                    .map_err(|_| CryptoError::InvalidPublicKey("bad SubjectPublicKeyInfo"))?;
                if key_type != PublicKeyType::Ec(curve) {
                    return Err(CryptoError::KeyTypeMismatch);
                }
                (SignatureScheme::EcdsaFixed(curve.rfc4754_hash()), data)
            }
            auth_method::DIGITAL_SIGNATURE => {
                let (&len, rest) = data
                    .split_first()
                    .ok_or(CryptoError::MalformedAuthData("empty"))?;
                let (alg_id, signature) = rest.split_at_checked(usize::from(len)).ok_or(
                    CryptoError::MalformedAuthData("AlgorithmIdentifier past the end"),
                )?;
                (parse_signature_algorithm(alg_id)?, signature)
            }
            other => {
                return Err(CryptoError::Unsupported {
                    what: "auth method",
                    id: u32::from(other),
                })
            }
        };
    if signature.is_empty() {
        return Err(CryptoError::MalformedAuthData("empty signature"));
    }
    provider.verify_signature(scheme, spki, signed_octets, signature)?;
    Ok(scheme)
}
