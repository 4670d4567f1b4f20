//! AUTH payloads: PSK (against Python), RFC 7427 / RFC 4754 signatures with OpenSSL-made keys
//! and signatures, AlgorithmIdentifier parsing including the strongSwan CVE cases, and
//! Wycheproof signature vectors.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use ike_core::crypto::asn1_alg_id::{
    encode_signature_algorithm, parse_signature_algorithm, spki_key_type,
};
use ike_core::crypto::auth::{
    choose_signature_scheme, psk_auth, sign_auth, signed_octets, verify_auth, verify_psk_auth,
    KEY_PAD,
};
use ike_core::crypto::signature::load_private_key_pem;
use ike_core::crypto::{
    default_provider, CryptoError, EcCurve, HashAlg, Prf, PrivateKeyDer, PublicKeyType, Secret,
    SignatureAuth, SignatureScheme, SigningKey,
};
use ike_core::ids::{auth_method, hash_alg};
use serde_json::Value;

fn h(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

fn vector(path: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/vectors/{path}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn json(path: &str) -> Value {
    serde_json::from_slice(&vector(path)).unwrap()
}

fn key(name: &str) -> Box<dyn SigningKey> {
    default_provider()
        .load_private_key(PrivateKeyDer::Pkcs8(&vector(&format!(
            "keys/{name}.pkcs8.der"
        ))))
        .unwrap()
}

fn spki(name: &str) -> Vec<u8> {
    vector(&format!("keys/{name}.spki.der"))
}

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    assert!(content.len() < 128);
    let mut v = vec![tag, content.len() as u8];
    v.extend_from_slice(content);
    v
}

#[test]
fn psk_auth_matches_python() {
    // Values from tests/vectors/gen_ike_kat.py (Python hmac).
    let p = default_provider();
    let k = json("ike_kat.json");
    let c = &k["psk_auth"];
    let sk_p = Secret::from_slice(&h(c["sk_p"].as_str().unwrap()));
    let octets = signed_octets(
        p,
        Prf::HmacSha256,
        &h(c["real_message"].as_str().unwrap()),
        &h(c["peer_nonce"].as_str().unwrap()),
        &sk_p,
        &h(c["rest_of_id"].as_str().unwrap()),
    )
    .unwrap();
    assert_eq!(hex::encode(&octets), c["signed_octets"].as_str().unwrap());
    let psk = h(c["psk"].as_str().unwrap());
    let auth = psk_auth(p, Prf::HmacSha256, &psk, &octets).unwrap();
    assert_eq!(hex::encode(auth.as_bytes()), c["auth"].as_str().unwrap());
    assert!(verify_psk_auth(p, Prf::HmacSha256, &psk, &octets, auth.as_bytes()).is_ok());
    assert_eq!(
        verify_psk_auth(p, Prf::HmacSha256, b"wrong psk", &octets, auth.as_bytes()),
        Err(CryptoError::AuthenticationFailed)
    );
    assert_eq!(
        verify_psk_auth(p, Prf::HmacSha256, &psk, &octets, &auth.as_bytes()[..31]),
        Err(CryptoError::AuthenticationFailed)
    );
    let mut other = octets.clone();
    other[0] ^= 1;
    assert!(verify_psk_auth(p, Prf::HmacSha256, &psk, &other, auth.as_bytes()).is_err());
    assert_eq!(KEY_PAD.len(), 17);
}

#[test]
fn rfc7427_algorithm_identifier_encodings() {
    let cases = [
        (
            SignatureScheme::RsaPkcs1(HashAlg::Sha256),
            "300d06092a864886f70d01010b0500",
        ),
        (
            SignatureScheme::RsaPkcs1(HashAlg::Sha384),
            "300d06092a864886f70d01010c0500",
        ),
        (
            SignatureScheme::RsaPkcs1(HashAlg::Sha512),
            "300d06092a864886f70d01010d0500",
        ),
        (SignatureScheme::Ecdsa(HashAlg::Sha256), "300a06082a8648ce3d040302"),
        (SignatureScheme::Ecdsa(HashAlg::Sha384), "300a06082a8648ce3d040303"),
        (SignatureScheme::Ecdsa(HashAlg::Sha512), "300a06082a8648ce3d040304"),
        (SignatureScheme::Ed25519, "300506032b6570"),
        (
            SignatureScheme::rsa_pss(HashAlg::Sha384),
            "304106092a864886f70d01010a3034a00f300d06096086480165030402020500a11c301a06092a864886f70d010108300d06096086480165030402020500a203020130",
        ),
        (
            SignatureScheme::rsa_pss(HashAlg::Sha512),
            "304106092a864886f70d01010a3034a00f300d06096086480165030402030500a11c301a06092a864886f70d010108300d06096086480165030402030500a203020140",
        ),
    ];
    for (scheme, der) in cases {
        assert_eq!(
            hex::encode(encode_signature_algorithm(scheme).unwrap()),
            der
        );
        assert_eq!(parse_signature_algorithm(&h(der)).unwrap(), scheme);
    }
    // Encoders that omit NULL for RSA or add it for ECDSA are tolerated.
    assert_eq!(
        parse_signature_algorithm(&h("300b06092a864886f70d01010b")).unwrap(),
        SignatureScheme::RsaPkcs1(HashAlg::Sha256)
    );
    assert_eq!(
        parse_signature_algorithm(&h("300c06082a8648ce3d0403020500")).unwrap(),
        SignatureScheme::Ecdsa(HashAlg::Sha256)
    );
    assert!(encode_signature_algorithm(SignatureScheme::EcdsaFixed(HashAlg::Sha256)).is_err());
}

/// RSASSA-PSS AlgorithmIdentifier with the given raw parameter fields.
fn pss_alg_id(fields: &[Vec<u8>]) -> Vec<u8> {
    let params = tlv(0x30, &fields.concat());
    let mut body = tlv(0x06, &h("2a864886f70d01010a"));
    body.extend_from_slice(&params);
    tlv(0x30, &body)
}

fn hash_alg_id(oid: &str) -> Vec<u8> {
    let mut v = tlv(0x06, &h(oid));
    v.extend_from_slice(&[0x05, 0x00]);
    tlv(0x30, &v)
}

const SHA256: &str = "608648016503040201";
const SHA1: &str = "2b0e03021a";
const MGF1: &str = "2a864886f70d010108";

fn mgf1(hash_oid: Option<&str>) -> Vec<u8> {
    let mut v = tlv(0x06, &h(MGF1));
    if let Some(oid) = hash_oid {
        v.extend_from_slice(&hash_alg_id(oid));
    }
    tlv(0xa1, &tlv(0x30, &v))
}

fn salt(int_content: &[u8]) -> Vec<u8> {
    tlv(0xa2, &tlv(0x02, int_content))
}

#[test]
fn pss_parameter_attacks_are_rejected() {
    let hash = tlv(0xa0, &hash_alg_id(SHA256));
    // Sanity: the well-formed variant parses, with an explicit default trailer too.
    let ok = pss_alg_id(&[hash.clone(), mgf1(Some(SHA256)), salt(&[32])]);
    assert_eq!(
        parse_signature_algorithm(&ok).unwrap(),
        SignatureScheme::rsa_pss(HashAlg::Sha256)
    );
    let with_trailer = pss_alg_id(&[
        hash.clone(),
        mgf1(Some(SHA256)),
        salt(&[32]),
        tlv(0xa3, &tlv(0x02, &[1])),
    ]);
    assert!(parse_signature_algorithm(&with_trailer).is_ok());

    // CVE-2018-6459: MGF1 without its hash parameter.
    let no_mgf_hash = pss_alg_id(&[hash.clone(), mgf1(None), salt(&[32])]);
    assert_eq!(
        parse_signature_algorithm(&no_mgf_hash),
        Err(CryptoError::PssMissingMgf1)
    );
    // CVE-2021-41990: absurd salt lengths.
    for s in [
        vec![0x7f, 0xff, 0xff, 0xff],
        vec![0x04, 0x01],
        vec![0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
    ] {
        let huge = pss_alg_id(&[hash.clone(), mgf1(Some(SHA256)), salt(&s)]);
        assert_eq!(
            parse_signature_algorithm(&huge),
            Err(CryptoError::PssSaltTooLarge),
            "salt {s:02x?}"
        );
    }
    let negative = pss_alg_id(&[hash.clone(), mgf1(Some(SHA256)), salt(&[0x80])]);
    assert!(matches!(
        parse_signature_algorithm(&negative),
        Err(CryptoError::MalformedDer(_))
    ));
    let trailer2 = pss_alg_id(&[
        hash.clone(),
        mgf1(Some(SHA256)),
        salt(&[32]),
        tlv(0xa3, &tlv(0x02, &[2])),
    ]);
    assert_eq!(
        parse_signature_algorithm(&trailer2),
        Err(CryptoError::PssBadTrailerField)
    );
    let mismatch = pss_alg_id(&[hash.clone(), mgf1(Some(SHA1)), salt(&[32])]);
    assert_eq!(
        parse_signature_algorithm(&mismatch),
        Err(CryptoError::PssMgf1HashMismatch)
    );
    // Missing MGF field entirely means MGF1-SHA1 by default: mismatch with SHA-256.
    let default_mgf = pss_alg_id(&[hash.clone(), salt(&[32])]);
    assert_eq!(
        parse_signature_algorithm(&default_mgf),
        Err(CryptoError::PssMgf1HashMismatch)
    );
    // No parameters at all (all SHA-1 defaults) and SHA-1 PSS are not supported.
    let bare = tlv(0x30, &tlv(0x06, &h("2a864886f70d01010a")));
    assert!(matches!(
        parse_signature_algorithm(&bare),
        Err(CryptoError::Unsupported { .. })
    ));
    // Trailing garbage, truncation, wrong order.
    let mut trailing = ok.clone();
    trailing.push(0);
    assert!(parse_signature_algorithm(&trailing).is_err());
    for cut in 0..ok.len() {
        assert!(parse_signature_algorithm(&ok[..cut]).is_err(), "cut {cut}");
    }
    let reordered = pss_alg_id(&[mgf1(Some(SHA256)), hash.clone(), salt(&[32])]);
    assert!(parse_signature_algorithm(&reordered).is_err());

    // The same attacks through a full AUTH payload with a real RSA key: typed errors, never
    // a panic or a successful verification.
    let p = default_provider();
    let rsa = spki("rsa2048");
    for alg in [
        no_mgf_hash,
        pss_alg_id(&[hash, mgf1(Some(SHA256)), salt(&[0x7f, 0xff])]),
    ] {
        let mut data = vec![alg.len() as u8];
        data.extend_from_slice(&alg);
        data.extend_from_slice(&[0x55; 256]);
        assert!(verify_auth(p, auth_method::DIGITAL_SIGNATURE, &data, &rsa, b"octets").is_err());
    }
}

#[test]
fn sign_and_verify_round_trips() {
    let p = default_provider();
    let octets = b"InitiatorSignedOctets: message | Nr | prf(SK_pi, IDi')";
    let cases: Vec<(&str, SignatureAuth, u8)> = vec![
        (
            "rsa2048",
            SignatureAuth::DigitalSignature(SignatureScheme::RsaPkcs1(HashAlg::Sha256)),
            14,
        ),
        (
            "rsa2048",
            SignatureAuth::DigitalSignature(SignatureScheme::RsaPkcs1(HashAlg::Sha384)),
            14,
        ),
        (
            "rsa2048",
            SignatureAuth::DigitalSignature(SignatureScheme::RsaPkcs1(HashAlg::Sha512)),
            14,
        ),
        (
            "rsa2048",
            SignatureAuth::DigitalSignature(SignatureScheme::rsa_pss(HashAlg::Sha256)),
            14,
        ),
        (
            "rsa2048",
            SignatureAuth::DigitalSignature(SignatureScheme::rsa_pss(HashAlg::Sha384)),
            14,
        ),
        (
            "rsa2048",
            SignatureAuth::DigitalSignature(SignatureScheme::rsa_pss(HashAlg::Sha512)),
            14,
        ),
        (
            "ecdsa_p256",
            SignatureAuth::Rfc4754Ecdsa,
            auth_method::ECDSA_256,
        ),
        (
            "ecdsa_p384",
            SignatureAuth::Rfc4754Ecdsa,
            auth_method::ECDSA_384,
        ),
        (
            "ecdsa_p521",
            SignatureAuth::Rfc4754Ecdsa,
            auth_method::ECDSA_521,
        ),
        (
            "ecdsa_p256",
            SignatureAuth::DigitalSignature(SignatureScheme::Ecdsa(HashAlg::Sha256)),
            14,
        ),
        (
            "ecdsa_p384",
            SignatureAuth::DigitalSignature(SignatureScheme::Ecdsa(HashAlg::Sha384)),
            14,
        ),
        (
            "ecdsa_p521",
            SignatureAuth::DigitalSignature(SignatureScheme::Ecdsa(HashAlg::Sha512)),
            14,
        ),
        (
            "ed25519",
            SignatureAuth::DigitalSignature(SignatureScheme::Ed25519),
            14,
        ),
    ];
    for (name, how, method) in cases {
        let k = key(name);
        let public = spki(name);
        assert_eq!(k.public_key_spki().unwrap(), public, "{name}");
        assert_eq!(spki_key_type(&public).unwrap(), k.key_type());
        let auth = sign_auth(k.as_ref(), how, octets).unwrap();
        assert_eq!(auth.method, method, "{name} {how:?}");
        let scheme = verify_auth(p, auth.method, &auth.data, &public, octets).unwrap();
        if let SignatureAuth::DigitalSignature(s) = how {
            assert_eq!(scheme, s);
        }
        // Tampered signature, tampered octets.
        let mut bad = auth.data.clone();
        *bad.last_mut().unwrap() ^= 0x01;
        assert!(
            verify_auth(p, auth.method, &bad, &public, octets).is_err(),
            "{name} {how:?}: tampered signature accepted"
        );
        assert_eq!(
            verify_auth(p, auth.method, &auth.data, &public, b"other octets"),
            Err(CryptoError::AuthenticationFailed),
            "{name}"
        );
        // Truncated AUTH data never panics.
        for cut in 0..auth.data.len().min(80) {
            assert!(verify_auth(p, auth.method, &auth.data[..cut], &public, octets).is_err());
        }
    }
}

#[test]
fn keys_and_methods_must_match() {
    let p = default_provider();
    let octets = b"octets";
    let p256 = key("ecdsa_p256");
    let auth = sign_auth(p256.as_ref(), SignatureAuth::Rfc4754Ecdsa, octets).unwrap();
    // Method 9 data checked against a P-384 key, an RSA key, an Ed25519 key.
    for other in ["ecdsa_p384", "rsa2048", "ed25519"] {
        assert_eq!(
            verify_auth(p, auth.method, &auth.data, &spki(other), octets),
            Err(CryptoError::KeyTypeMismatch),
            "{other}"
        );
    }
    // RFC 7427 ECDSA against an RSA key.
    let auth = sign_auth(
        p256.as_ref(),
        SignatureAuth::DigitalSignature(SignatureScheme::Ecdsa(HashAlg::Sha256)),
        octets,
    )
    .unwrap();
    assert_eq!(
        verify_auth(p, auth.method, &auth.data, &spki("rsa2048"), octets),
        Err(CryptoError::KeyTypeMismatch)
    );
    // Schemes the key cannot make.
    let rsa = key("rsa2048");
    assert!(sign_auth(rsa.as_ref(), SignatureAuth::Rfc4754Ecdsa, octets).is_err());
    assert!(rsa
        .sign(SignatureScheme::RsaPkcs1(HashAlg::Sha1), octets)
        .is_err());
    assert!(rsa
        .sign(
            SignatureScheme::RsaPss {
                hash: HashAlg::Sha256,
                salt_len: 20
            },
            octets
        )
        .is_err());
    assert!(p256
        .sign(SignatureScheme::Ecdsa(HashAlg::Sha384), octets)
        .is_err());
    // PSK and unknown methods are not signature methods.
    assert!(matches!(
        verify_auth(p, auth_method::PSK, &[1; 32], &spki("rsa2048"), octets),
        Err(CryptoError::Unsupported { .. })
    ));
    // RFC 7427 length byte pointing past the end.
    assert_eq!(
        verify_auth(p, 14, &[200, 0x30, 0x00], &spki("rsa2048"), octets),
        Err(CryptoError::MalformedAuthData(
            "AlgorithmIdentifier past the end"
        ))
    );
    assert!(verify_auth(p, 14, &[], &spki("rsa2048"), octets).is_err());
    // Garbage SPKI.
    assert!(verify_auth(
        p,
        14,
        &[7, 0x30, 5, 6, 3, 0x2b, 0x65, 0x70, 1],
        b"\x30\x00",
        octets
    )
    .is_err());
}

#[test]
fn openssl_signatures_verify() {
    // Signatures produced by the openssl command line (see tests/vectors/keys/README.md).
    let p = default_provider();
    let msg = vector("keys/msg.bin");
    let cases = [
        (
            "rsa2048",
            SignatureScheme::RsaPkcs1(HashAlg::Sha256),
            "rsa2048_pkcs1_sha256.sig",
        ),
        (
            "rsa2048",
            SignatureScheme::RsaPkcs1(HashAlg::Sha1),
            "rsa2048_pkcs1_sha1.sig",
        ),
        (
            "rsa2048",
            SignatureScheme::rsa_pss(HashAlg::Sha256),
            "rsa2048_pss_sha256_salt32.sig",
        ),
        (
            "rsa2048",
            SignatureScheme::RsaPss {
                hash: HashAlg::Sha256,
                salt_len: 20,
            },
            "rsa2048_pss_sha256_salt20.sig",
        ),
        (
            "ecdsa_p256",
            SignatureScheme::Ecdsa(HashAlg::Sha256),
            "ecdsa_p256_sha256.der.sig",
        ),
        (
            "ecdsa_p384",
            SignatureScheme::Ecdsa(HashAlg::Sha384),
            "ecdsa_p384_sha384.der.sig",
        ),
        ("ed25519", SignatureScheme::Ed25519, "ed25519.sig"),
    ];
    for (k, scheme, file) in cases {
        let sig = vector(&format!("keys/{file}"));
        p.verify_signature(scheme, &spki(k), &msg, &sig).unwrap();
        let mut bad = sig.clone();
        bad[10] ^= 0x40;
        assert_eq!(
            p.verify_signature(scheme, &spki(k), &msg, &bad),
            Err(CryptoError::AuthenticationFailed),
            "{file}"
        );
    }
    // The salt length is enforced: a salt-20 signature does not verify as salt-32.
    let sig20 = vector("keys/rsa2048_pss_sha256_salt20.sig");
    assert!(p
        .verify_signature(
            SignatureScheme::rsa_pss(HashAlg::Sha256),
            &spki("rsa2048"),
            &msg,
            &sig20
        )
        .is_err());
    // Classic RSA method 1 (PKCS#1 v1.5 with SHA-1) through verify_auth.
    let sha1 = vector("keys/rsa2048_pkcs1_sha1.sig");
    assert_eq!(
        verify_auth(p, auth_method::RSA_SIG, &sha1, &spki("rsa2048"), &msg).unwrap(),
        SignatureScheme::RsaPkcs1(HashAlg::Sha1)
    );
    // An RFC 7427 AUTH payload assembled from the OpenSSL PSS signature.
    let pss = vector("keys/rsa2048_pss_sha256_salt20.sig");
    let alg = encode_signature_algorithm(SignatureScheme::RsaPss {
        hash: HashAlg::Sha256,
        salt_len: 20,
    })
    .unwrap();
    let mut data = vec![alg.len() as u8];
    data.extend_from_slice(&alg);
    data.extend_from_slice(&pss);
    assert!(verify_auth(p, 14, &data, &spki("rsa2048"), &msg).is_ok());
}

#[test]
fn pem_keys_load() {
    let p = default_provider();
    let read = |f: &str| String::from_utf8(vector(&format!("keys/{f}"))).unwrap();
    for (file, spki_name, kt) in [
        ("rsa2048.pem", "rsa2048", PublicKeyType::Rsa),
        ("rsa2048.pkcs1.pem", "rsa2048", PublicKeyType::Rsa),
        (
            "ecdsa_p256.pem",
            "ecdsa_p256",
            PublicKeyType::Ec(EcCurve::P256),
        ),
        (
            "ecdsa_p256.sec1.pem",
            "ecdsa_p256",
            PublicKeyType::Ec(EcCurve::P256),
        ),
        (
            "ecdsa_p521.pem",
            "ecdsa_p521",
            PublicKeyType::Ec(EcCurve::P521),
        ),
        ("ed25519.pem", "ed25519", PublicKeyType::Ed25519),
    ] {
        let k = load_private_key_pem(p, &read(file)).unwrap();
        assert_eq!(k.key_type(), kt, "{file}");
        assert_eq!(k.public_key_spki().unwrap(), spki(spki_name), "{file}");
        let dbg = format!("{k:?}");
        assert!(dbg.len() < 40, "{file}: {dbg}");
    }
    assert!(load_private_key_pem(
        p,
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
    )
    .is_err());
    assert!(load_private_key_pem(
        p,
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n"
    )
    .is_err());
    assert!(p
        .load_private_key(PrivateKeyDer::Pkcs8(b"\x30\x03\x02\x01\x00"))
        .is_err());
}

#[test]
fn scheme_choice_follows_the_peer() {
    use PublicKeyType::*;
    assert_eq!(
        choose_signature_scheme(Rsa, &[hash_alg::SHA2_384, hash_alg::SHA2_512], true),
        Some(SignatureScheme::rsa_pss(HashAlg::Sha384))
    );
    assert_eq!(
        choose_signature_scheme(Rsa, &[], false),
        Some(SignatureScheme::RsaPkcs1(HashAlg::Sha256))
    );
    assert_eq!(
        choose_signature_scheme(Ed25519, &[hash_alg::SHA2_256], true),
        None
    );
    assert_eq!(
        choose_signature_scheme(Ec(EcCurve::P384), &[hash_alg::SHA2_384], false),
        Some(SignatureScheme::Ecdsa(HashAlg::Sha384))
    );
    assert_eq!(
        choose_signature_scheme(Ec(EcCurve::P256), &[hash_alg::SHA1], false),
        None
    );
}

fn run_wycheproof_sig(file: &str, scheme_for: impl Fn(&Value) -> Option<SignatureScheme>) {
    let p = default_provider();
    let data = json(&format!("wycheproof/{file}"));
    let mut checked = 0;
    for group in data["testGroups"].as_array().unwrap() {
        let Some(scheme) = scheme_for(group) else {
            continue;
        };
        let public = h(group["publicKeyDer"].as_str().unwrap());
        for t in group["tests"].as_array().unwrap() {
            let id = t["tcId"].as_u64().unwrap();
            let msg = h(t["msg"].as_str().unwrap());
            let sig = h(t["sig"].as_str().unwrap());
            let ours = p.verify_signature(scheme, &public, &msg, &sig);
            match t["result"].as_str().unwrap() {
                "valid" => assert!(ours.is_ok(), "{file} tc {id}: {ours:?}"),
                "invalid" => assert!(ours.is_err(), "{file} tc {id}: invalid accepted"),
                _ => {}
            }
            checked += 1;
        }
    }
    assert!(checked >= 18, "{file}: {checked}");
}

fn sha(v: &Value) -> Option<HashAlg> {
    match v.as_str()? {
        "SHA-256" => Some(HashAlg::Sha256),
        "SHA-384" => Some(HashAlg::Sha384),
        "SHA-512" => Some(HashAlg::Sha512),
        _ => None,
    }
}

#[test]
fn wycheproof_ecdsa_p256_fixed() {
    run_wycheproof_sig("ecdsa_secp256r1_sha256_p1363_test.json", |_| {
        Some(SignatureScheme::EcdsaFixed(HashAlg::Sha256))
    });
}

#[test]
fn wycheproof_ecdsa_p256_der() {
    run_wycheproof_sig("ecdsa_secp256r1_sha256_test.json", |_| {
        Some(SignatureScheme::Ecdsa(HashAlg::Sha256))
    });
}

#[test]
fn wycheproof_ed25519() {
    run_wycheproof_sig("ed25519_test.json", |_| Some(SignatureScheme::Ed25519));
}

#[test]
fn wycheproof_rsa_pss() {
    let pss = |g: &Value| {
        Some(SignatureScheme::RsaPss {
            hash: sha(&g["sha"])?,
            salt_len: u16::try_from(g["sLen"].as_u64()?).ok()?,
        })
    };
    run_wycheproof_sig("rsa_pss_2048_sha256_mgf1_32_test.json", pss);
    run_wycheproof_sig("rsa_pss_misc_test.json", pss);
}
