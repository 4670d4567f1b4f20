//! DER AlgorithmIdentifiers for RFC 7427 signature authentication, and the key type found in
//! a SubjectPublicKeyInfo or PKCS#8 PrivateKeyInfo.
//!
//! Emitted encodings are the usual X.509 ones (also what strongSwan and Libreswan send, and
//! Libreswan compares them byte for byte): `sha{256,384,512}WithRSAEncryption` with NULL
//! parameters, `ecdsa-with-SHA{256,384,512}` and `id-Ed25519` without parameters, and
//! `id-RSASSA-PSS` with explicit hash (NULL parameters), MGF1 with the same hash, the salt
//! length and the default trailer field omitted (RFC 4055 §3.1).
//!
//! Parsing is strict about what matters for security: RSASSA-PSS parameters must name MGF1
//! with a hash (CVE-2018-6459: parameters without the MGF1 hash crashed strongSwan), the salt
//! length must be sane (CVE-2021-41990: huge salt lengths overflowed), the trailer field must be
//! 1, and no bytes may trail the structure.

use super::algorithms::HashAlg;
use super::der::{
    self, small_unsigned, tag_context, tlv, write_tlv, Reader, TAG_BIT_STRING, TAG_INTEGER,
    TAG_NULL, TAG_OID, TAG_SEQUENCE,
};
use super::error::CryptoError;
use super::signature::{EcCurve, PublicKeyType, SignatureScheme};

// OID contents (the bytes after tag and length).
const OID_RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const OID_SHA1_WITH_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05];
const OID_MGF1: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08];
const OID_RSASSA_PSS: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a];
const OID_SHA256_WITH_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b];
const OID_SHA384_WITH_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c];
const OID_SHA512_WITH_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d];
const OID_SHA1: &[u8] = &[0x2b, 0x0e, 0x03, 0x02, 0x1a];
const OID_SHA256: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];
const OID_SHA384: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02];
const OID_SHA512: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03];
const OID_EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const OID_PRIME256V1: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const OID_SECP384R1: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
const OID_SECP521R1: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x23];
const OID_ECDSA_SHA256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];
const OID_ECDSA_SHA384: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03];
const OID_ECDSA_SHA512: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04];
const OID_ED25519: &[u8] = &[0x2b, 0x65, 0x70];

/// Largest RSASSA-PSS salt accepted: emLen - hLen - 2 can never exceed this for the largest
/// RSA modulus aws-lc-rs verifies (8192 bits = 1024 bytes).
pub const MAX_PSS_SALT_LEN: u16 = 1024;

fn malformed(what: &'static str) -> CryptoError {
    CryptoError::MalformedDer(what)
}

fn unsupported_alg() -> CryptoError {
    CryptoError::Unsupported {
        what: "signature algorithm",
        id: 0,
    }
}

fn hash_oid(hash: HashAlg) -> &'static [u8] {
    match hash {
        HashAlg::Sha1 => OID_SHA1,
        HashAlg::Sha256 => OID_SHA256,
        HashAlg::Sha384 => OID_SHA384,
        HashAlg::Sha512 => OID_SHA512,
    }
}

fn hash_from_oid(oid: &[u8]) -> Option<HashAlg> {
    [
        HashAlg::Sha1,
        HashAlg::Sha256,
        HashAlg::Sha384,
        HashAlg::Sha512,
    ]
    .into_iter()
    .find(|h| hash_oid(*h) == oid)
}

/// AlgorithmIdentifier { oid, params } with raw params TLV bytes (may be empty).
fn alg_id(oid: &[u8], params: &[u8]) -> Vec<u8> {
    let mut body = tlv(TAG_OID, oid);
    body.extend_from_slice(params);
    tlv(TAG_SEQUENCE, &body)
}

fn null() -> Vec<u8> {
    tlv(TAG_NULL, &[])
}

/// Encodes the AlgorithmIdentifier that RFC 7427 puts in front of a signature.
///
/// # Errors
/// [`CryptoError::Unsupported`] for schemes that have no RFC 7427 encoding here
/// ([`SignatureScheme::EcdsaFixed`], ECDSA with SHA-1).
pub fn encode_signature_algorithm(scheme: SignatureScheme) -> Result<Vec<u8>, CryptoError> {
    match scheme {
        SignatureScheme::RsaPkcs1(hash) => {
            let oid = match hash {
                HashAlg::Sha1 => OID_SHA1_WITH_RSA,
                HashAlg::Sha256 => OID_SHA256_WITH_RSA,
                HashAlg::Sha384 => OID_SHA384_WITH_RSA,
                HashAlg::Sha512 => OID_SHA512_WITH_RSA,
            };
            Ok(alg_id(oid, &null()))
        }
        SignatureScheme::RsaPss { hash, salt_len } => {
            let hash_alg = alg_id(hash_oid(hash), &null());
            let mut params = Vec::with_capacity(64);
            write_tlv(&mut params, tag_context(0), &hash_alg);
            write_tlv(&mut params, tag_context(1), &alg_id(OID_MGF1, &hash_alg));
            let salt = der::unsigned_integer_content(&salt_len.to_be_bytes());
            write_tlv(&mut params, tag_context(2), &tlv(TAG_INTEGER, &salt));
            Ok(alg_id(OID_RSASSA_PSS, &tlv(TAG_SEQUENCE, &params)))
        }
        SignatureScheme::Ecdsa(hash) => {
            let oid = match hash {
                HashAlg::Sha256 => OID_ECDSA_SHA256,
                HashAlg::Sha384 => OID_ECDSA_SHA384,
                HashAlg::Sha512 => OID_ECDSA_SHA512,
                HashAlg::Sha1 => return Err(unsupported_alg()),
            };
            Ok(alg_id(oid, &[]))
        }
        SignatureScheme::Ed25519 => Ok(alg_id(OID_ED25519, &[])),
        SignatureScheme::EcdsaFixed(_) => Err(unsupported_alg()),
    }
}

/// Reads `SEQUENCE { OID, params }` and returns (oid, raw params TLVs, possibly empty).
fn read_alg_id<'a>(reader: &mut Reader<'a>) -> Result<(&'a [u8], &'a [u8]), CryptoError> {
    let seq = reader.read(TAG_SEQUENCE)?;
    let mut inner = Reader::new(seq);
    let oid = inner.read(TAG_OID)?;
    Ok((oid, inner.rest()))
}

/// Parameters must be absent or a NULL.
fn expect_null_or_absent(params: &[u8]) -> Result<(), CryptoError> {
    if params.is_empty() {
        return Ok(());
    }
    let mut r = Reader::new(params);
    let v = r.read(TAG_NULL)?;
    if !v.is_empty() {
        return Err(malformed("NULL with content"));
    }
    r.finish()
}

fn expect_absent(params: &[u8]) -> Result<(), CryptoError> {
    if params.is_empty() {
        Ok(())
    } else {
        Err(malformed("unexpected algorithm parameters"))
    }
}

/// Parses a hash AlgorithmIdentifier (parameters NULL or absent).
fn parse_hash_alg_id(der_bytes: &[u8]) -> Result<HashAlg, CryptoError> {
    let mut r = Reader::new(der_bytes);
    let (oid, params) = read_alg_id(&mut r)?;
    r.finish()?;
    expect_null_or_absent(params)?;
    hash_from_oid(oid).ok_or_else(unsupported_alg)
}

fn parse_pss_params(params: &[u8]) -> Result<SignatureScheme, CryptoError> {
    if params.is_empty() {
        // All defaults: SHA-1, MGF1-SHA-1, salt 20. Not supported.
        return Err(unsupported_alg());
    }
    let mut outer = Reader::new(params);
    let seq = outer.read(TAG_SEQUENCE)?;
    outer.finish()?;
    let mut r = Reader::new(seq);

    let hash = match r.read_optional(tag_context(0))? {
        Some(h) => parse_hash_alg_id(h)?,
        None => HashAlg::Sha1,
    };
    let mgf_hash = match r.read_optional(tag_context(1))? {
        Some(m) => {
            let mut mr = Reader::new(m);
            let (oid, mgf_params) = read_alg_id(&mut mr)?;
            mr.finish()?;
            if oid != OID_MGF1 {
                return Err(unsupported_alg());
            }
            if mgf_params.is_empty() {
                return Err(CryptoError::PssMissingMgf1);
            }
            match parse_hash_alg_id(mgf_params) {
                Ok(h) => h,
                Err(CryptoError::MalformedDer(_)) => return Err(CryptoError::PssMissingMgf1),
                Err(e) => return Err(e),
            }
        }
        None => HashAlg::Sha1,
    };
    let salt_len = match r.read_optional(tag_context(2))? {
        Some(s) => {
            let mut sr = Reader::new(s);
            let v = sr.read(TAG_INTEGER)?;
            sr.finish()?;
            let n = small_unsigned(v).map_err(|e| match e {
                CryptoError::MalformedDer("INTEGER too large") => CryptoError::PssSaltTooLarge,
                other => other,
            })?;
            if n > u64::from(MAX_PSS_SALT_LEN) {
                return Err(CryptoError::PssSaltTooLarge);
            }
            u16::try_from(n).map_err(|_| CryptoError::PssSaltTooLarge)?
        }
        None => 20,
    };
    if let Some(t) = r.read_optional(tag_context(3))? {
        let mut tr = Reader::new(t);
        let v = tr.read(TAG_INTEGER)?;
        tr.finish()?;
        if small_unsigned(v)? != 1 {
            return Err(CryptoError::PssBadTrailerField);
        }
    }
    r.finish()?;
    if hash != mgf_hash {
        return Err(CryptoError::PssMgf1HashMismatch);
    }
    if hash == HashAlg::Sha1 {
        return Err(unsupported_alg());
    }
    Ok(SignatureScheme::RsaPss { hash, salt_len })
}

/// Parses the AlgorithmIdentifier of an RFC 7427 AUTH payload.
///
/// # Errors
/// [`CryptoError::MalformedDer`], [`CryptoError::Unsupported`], and the RSASSA-PSS specific
/// [`CryptoError::PssMissingMgf1`], [`CryptoError::PssMgf1HashMismatch`],
/// [`CryptoError::PssSaltTooLarge`], [`CryptoError::PssBadTrailerField`].
pub fn parse_signature_algorithm(der_bytes: &[u8]) -> Result<SignatureScheme, CryptoError> {
    let mut r = Reader::new(der_bytes);
    let (oid, params) = read_alg_id(&mut r)?;
    r.finish()?;
    let rsa = |hash| -> Result<SignatureScheme, CryptoError> {
        expect_null_or_absent(params)?;
        Ok(SignatureScheme::RsaPkcs1(hash))
    };
    let ecdsa = |hash| -> Result<SignatureScheme, CryptoError> {
        // RFC 5758 §3.2 says absent; tolerate NULL as some encoders emit it.
        expect_null_or_absent(params)?;
        Ok(SignatureScheme::Ecdsa(hash))
    };
    match oid {
        OID_SHA1_WITH_RSA => rsa(HashAlg::Sha1),
        OID_SHA256_WITH_RSA => rsa(HashAlg::Sha256),
        OID_SHA384_WITH_RSA => rsa(HashAlg::Sha384),
        OID_SHA512_WITH_RSA => rsa(HashAlg::Sha512),
        OID_RSASSA_PSS => parse_pss_params(params),
        OID_ECDSA_SHA256 => ecdsa(HashAlg::Sha256),
        OID_ECDSA_SHA384 => ecdsa(HashAlg::Sha384),
        OID_ECDSA_SHA512 => ecdsa(HashAlg::Sha512),
        OID_ED25519 => {
            expect_absent(params)?;
            Ok(SignatureScheme::Ed25519)
        }
        _ => Err(unsupported_alg()),
    }
}

/// Maps a public key AlgorithmIdentifier (from SPKI or PKCS#8) to a key type.
fn key_type_from_alg_id(oid: &[u8], params: &[u8]) -> Result<PublicKeyType, CryptoError> {
    match oid {
        OID_RSA_ENCRYPTION | OID_RSASSA_PSS => Ok(PublicKeyType::Rsa),
        OID_EC_PUBLIC_KEY => {
            let mut r = Reader::new(params);
            let curve = r.read(TAG_OID)?;
            r.finish()?;
            let curve = match curve {
                OID_PRIME256V1 => EcCurve::P256,
                OID_SECP384R1 => EcCurve::P384,
                OID_SECP521R1 => EcCurve::P521,
                _ => {
                    return Err(CryptoError::Unsupported {
                        what: "elliptic curve",
                        id: 0,
                    })
                }
            };
            Ok(PublicKeyType::Ec(curve))
        }
        OID_ED25519 => Ok(PublicKeyType::Ed25519),
        _ => Err(CryptoError::Unsupported {
            what: "public key algorithm",
            id: 0,
        }),
    }
}

/// The key type of a DER SubjectPublicKeyInfo.
///
/// # Errors
/// [`CryptoError::MalformedDer`], [`CryptoError::Unsupported`].
pub fn spki_key_type(spki: &[u8]) -> Result<PublicKeyType, CryptoError> {
    let mut outer = Reader::new(spki);
    let seq = outer.read(TAG_SEQUENCE)?;
    outer.finish()?;
    let mut r = Reader::new(seq);
    let (oid, params) = read_alg_id(&mut r)?;
    r.read(TAG_BIT_STRING)?;
    r.finish()?;
    key_type_from_alg_id(oid, params)
}

/// The key type of a DER PKCS#8 PrivateKeyInfo / OneAsymmetricKey.
///
/// # Errors
/// [`CryptoError::MalformedDer`], [`CryptoError::Unsupported`].
pub fn pkcs8_key_type(pkcs8: &[u8]) -> Result<PublicKeyType, CryptoError> {
    let mut outer = Reader::new(pkcs8);
    let seq = outer.read(TAG_SEQUENCE)?;
    let mut r = Reader::new(seq);
    r.read(TAG_INTEGER)?;
    let (oid, params) = read_alg_id(&mut r)?;
    key_type_from_alg_id(oid, params)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pss_sha256_matches_the_x509_encoding() {
        let expected = [
            0x30, 0x41, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a, 0x30,
            0x34, 0xa0, 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04,
            0x02, 0x01, 0x05, 0x00, 0xa1, 0x1c, 0x30, 0x1a, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
            0xf7, 0x0d, 0x01, 0x01, 0x08, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65,
            0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0xa2, 0x03, 0x02, 0x01, 0x20,
        ];
        let scheme = SignatureScheme::RsaPss {
            hash: HashAlg::Sha256,
            salt_len: 32,
        };
        assert_eq!(encode_signature_algorithm(scheme).unwrap(), expected);
        assert_eq!(parse_signature_algorithm(&expected).unwrap(), scheme);
    }
}
