//! Our strict DER reader through everything built on it: the RFC 7427 AlgorithmIdentifier
//! parser (`parse_signature_algorithm`, with RSASSA-PSS parameters), SubjectPublicKeyInfo and
//! PKCS#8 key types, and the AUTH payload data of the signature methods (RFC 7427 length +
//! AlgorithmIdentifier + signature, RFC 4754 fixed r||s, RSA method 1), verified against
//! real keys of the test PKI (ECDSA signatures go through the DER <-> r||s conversion).
//!
//! Input: byte 0 chooses the use (AlgorithmIdentifier / SPKI / PKCS#8 / AUTH data with one of
//! the auth methods and keys); the rest is the data. Invariants: no panic; an
//! AlgorithmIdentifier that parses re-encodes to one that parses to the same scheme.
#![no_main]

use ike_core::crypto::asn1_alg_id::{
    encode_signature_algorithm, parse_signature_algorithm, pkcs8_key_type, spki_key_type,
};
use ike_core::crypto::auth::verify_auth;
use ike_core::crypto::{default_provider, PrivateKeyDer};
use ike_core::ids::auth_method;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

/// SubjectPublicKeyInfos of the test keys (RSA-2048, P-256, P-384, Ed25519).
fn spkis() -> &'static [Vec<u8>] {
    static S: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    S.get_or_init(|| {
        let keys: [&[u8]; 4] = [
            include_bytes!("../../ike-core/tests/vectors/certs/server_rsa.key.der"),
            include_bytes!("../../ike-core/tests/vectors/certs/client_p256.key.der"),
            include_bytes!("../../ike-core/tests/vectors/certs/server_p384.key.der"),
            include_bytes!("../../ike-core/tests/vectors/certs/client_ed25519.key.der"),
        ];
        keys.iter()
            .map(|k| {
                default_provider()
                    .load_private_key(PrivateKeyDer::Pkcs8(k))
                    .expect("test key loads")
                    .public_key_spki()
                    .expect("test key has an SPKI")
            })
            .collect()
    })
}

const METHODS: [u8; 5] = [
    auth_method::DIGITAL_SIGNATURE,
    auth_method::RSA_SIG,
    auth_method::ECDSA_256,
    auth_method::ECDSA_384,
    auth_method::ECDSA_521,
];

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    match sel % 4 {
        0 => {
            if let Ok(scheme) = parse_signature_algorithm(rest) {
                let again = encode_signature_algorithm(scheme)
                    .unwrap_or_else(|e| panic!("{scheme:?} parsed but does not encode: {e}"));
                assert_eq!(parse_signature_algorithm(&again).ok(), Some(scheme));
            }
        }
        1 => {
            let _ = spki_key_type(rest);
        }
        2 => {
            let _ = pkcs8_key_type(rest);
            let _ = default_provider().load_private_key(PrivateKeyDer::Pkcs8(rest));
        }
        _ => {
            let method = METHODS[usize::from(sel / 4) % METHODS.len()];
            let key = &spkis()[usize::from(sel / 32) % 4];
            // A forged signature over a fixed message must never verify.
            let ok = verify_auth(default_provider(), method, rest, key, b"signed octets").is_ok();
            assert!(!ok, "a fuzzed AUTH verified");
            let _ = verify_auth(default_provider(), method, rest, rest, b"signed octets");
        }
    }
});
