//! The IKEv2 key schedule against an independent Python computation
//! (tests/vectors/gen_ike_kat.py, Python's hmac module, written from RFC 7296 §2.13-2.18).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use ike_core::crypto::keys::{rekey_skeyseed, skeyseed};
use ike_core::crypto::{
    default_provider, AesKeySize, ChildSaKeys, CryptoError, DeterministicRng, Encr, EspSuite,
    IkeSaKeyInputs, IkeSaKeys, IkeSuite, Integ, Prf, Role, Secret, SharedSecret,
};
use serde_json::Value;

fn h(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

fn kat() -> Value {
    serde_json::from_str(include_str!("vectors/ike_kat.json")).unwrap()
}

fn suite(name: &str) -> IkeSuite {
    match name {
        "aes256gcm16-prfsha384" => IkeSuite {
            encr: Encr::AesGcm16(AesKeySize::Aes256),
            prf: Prf::HmacSha384,
            integ: None,
        },
        "aes128-sha1-sha1_96" => IkeSuite {
            encr: Encr::AesCbc(AesKeySize::Aes128),
            prf: Prf::HmacSha1,
            integ: Some(Integ::HmacSha1_96),
        },
        "chacha20poly1305-prfsha256" => IkeSuite {
            encr: Encr::ChaCha20Poly1305,
            prf: Prf::HmacSha256,
            integ: None,
        },
        "aes256-prfsha512-sha256_128" => IkeSuite {
            encr: Encr::AesCbc(AesKeySize::Aes256),
            prf: Prf::HmacSha512,
            integ: Some(Integ::HmacSha256_128),
        },
        other => panic!("unknown suite {other}"),
    }
}

fn spi(v: &Value) -> [u8; 8] {
    h(v.as_str().unwrap()).try_into().unwrap()
}

fn assert_keys(keys: &IkeSaKeys, exp: &Value, what: &str) {
    for (name, got) in [
        ("sk_d", &keys.sk_d),
        ("sk_ai", &keys.sk_ai),
        ("sk_ar", &keys.sk_ar),
        ("sk_ei", &keys.sk_ei),
        ("sk_er", &keys.sk_er),
        ("sk_pi", &keys.sk_pi),
        ("sk_pr", &keys.sk_pr),
    ] {
        assert_eq!(
            hex::encode(got.as_bytes()),
            exp[name].as_str().unwrap(),
            "{what} {name}"
        );
    }
}

#[test]
fn ike_sa_keys_match_python() {
    let p = default_provider();
    let k = kat();
    let inp = &k["inputs"];
    let (ni, nr) = (
        h(inp["ni"].as_str().unwrap()),
        h(inp["nr"].as_str().unwrap()),
    );
    let shared = SharedSecret::from_slice(&h(inp["g_ir"].as_str().unwrap()));
    let inputs = IkeSaKeyInputs {
        ni: &ni,
        nr: &nr,
        spi_i: spi(&inp["spi_i"]),
        spi_r: spi(&inp["spi_r"]),
    };
    let suites = k["ike_sa"].as_object().unwrap();
    assert_eq!(suites.len(), 4);
    for (name, exp) in suites {
        let s = suite(name);
        let seed = skeyseed(p, s.prf, &ni, &nr, &shared).unwrap();
        assert_eq!(
            hex::encode(seed.as_bytes()),
            exp["skeyseed"].as_str().unwrap(),
            "{name}"
        );
        let keys = IkeSaKeys::derive_initial(p, &s, &shared, &inputs).unwrap();
        assert_keys(&keys, exp, name);
        assert_eq!(keys.sk_ei.len(), s.encr.keymat_len());
        assert_eq!(keys.sk_d.len(), s.prf.preferred_key_len());
    }
}

#[test]
fn ike_sa_rekey_matches_python() {
    let p = default_provider();
    let k = kat();
    let old = &k["ike_sa"]["aes256gcm16-prfsha384"];
    let rk = &k["ike_rekey"];
    let old_sk_d = Secret::from_slice(&h(old["sk_d"].as_str().unwrap()));
    let (ni, nr) = (h(rk["ni"].as_str().unwrap()), h(rk["nr"].as_str().unwrap()));
    let shared = SharedSecret::from_slice(&h(rk["g_ir"].as_str().unwrap()));
    let seed = rekey_skeyseed(p, Prf::HmacSha384, &old_sk_d, &shared, &ni, &nr).unwrap();
    assert_eq!(
        hex::encode(seed.as_bytes()),
        rk["skeyseed"].as_str().unwrap()
    );
    let inputs = IkeSaKeyInputs {
        ni: &ni,
        nr: &nr,
        spi_i: spi(&rk["spi_i"]),
        spi_r: spi(&rk["spi_r"]),
    };
    let keys = IkeSaKeys::derive_rekey(
        p,
        Prf::HmacSha384,
        &old_sk_d,
        &suite("aes128-sha1-sha1_96"),
        &shared,
        &inputs,
    )
    .unwrap();
    assert_keys(&keys, rk, "rekey");
}

#[test]
fn child_sa_keymat_matches_python() {
    let p = default_provider();
    let k = kat();
    let sk_d = Secret::from_slice(&h(k["ike_sa"]["aes256gcm16-prfsha384"]["sk_d"]
        .as_str()
        .unwrap()));
    let rk = &k["ike_rekey"];
    let (ni, nr) = (h(rk["ni"].as_str().unwrap()), h(rk["nr"].as_str().unwrap()));
    let shared = SharedSecret::from_slice(&h(rk["g_ir"].as_str().unwrap()));
    for case in k["child_sa"].as_array().unwrap() {
        let esp = match case["esp"].as_str().unwrap() {
            "aes128gcm16" => EspSuite {
                encr: Encr::AesGcm16(AesKeySize::Aes128),
                integ: None,
            },
            "aes256-sha256_128" => EspSuite {
                encr: Encr::AesCbc(AesKeySize::Aes256),
                integ: Some(Integ::HmacSha256_128),
            },
            "chacha20poly1305" => EspSuite {
                encr: Encr::ChaCha20Poly1305,
                integ: None,
            },
            other => panic!("{other}"),
        };
        let pfs = case["pfs"].as_bool().unwrap();
        let keys = ChildSaKeys::derive(
            p,
            Prf::HmacSha384,
            &sk_d,
            &esp,
            pfs.then_some(&shared),
            &ni,
            &nr,
        )
        .unwrap();
        let what = format!("{} pfs={pfs}", case["esp"]);
        let i = &keys.initiator_to_responder;
        let r = &keys.responder_to_initiator;
        assert_eq!(
            hex::encode(i.encr.as_bytes()),
            case["encr_i"].as_str().unwrap(),
            "{what}"
        );
        assert_eq!(
            hex::encode(i.integ.as_bytes()),
            case["integ_i"].as_str().unwrap(),
            "{what}"
        );
        assert_eq!(
            hex::encode(r.encr.as_bytes()),
            case["encr_r"].as_str().unwrap(),
            "{what}"
        );
        assert_eq!(
            hex::encode(r.integ.as_bytes()),
            case["integ_r"].as_str().unwrap(),
            "{what}"
        );
        assert_eq!(i.encr.len(), esp.encr_key_len());
        assert_eq!(
            keys.outbound(Role::Initiator),
            keys.inbound(Role::Responder)
        );
        assert_eq!(
            keys.outbound(Role::Responder),
            keys.inbound(Role::Initiator)
        );
    }
}

#[test]
fn esp_key_lengths() {
    let gcm = EspSuite {
        encr: Encr::AesGcm16(AesKeySize::Aes256),
        integ: None,
    };
    assert_eq!(gcm.encr_key_len(), 36);
    assert_eq!(gcm.integ_key_len(), 0);
    let chacha = EspSuite {
        encr: Encr::ChaCha20Poly1305,
        integ: None,
    };
    assert_eq!(chacha.encr_key_len(), 36);
    let cbc = EspSuite {
        encr: Encr::AesCbc(AesKeySize::Aes128),
        integ: Some(Integ::HmacSha1_96),
    };
    assert_eq!((cbc.encr_key_len(), cbc.integ_key_len()), (16, 20));
}

#[test]
fn inconsistent_suites_are_refused() {
    let p = default_provider();
    let bad = IkeSuite {
        encr: Encr::AesGcm16(AesKeySize::Aes128),
        prf: Prf::HmacSha256,
        integ: Some(Integ::HmacSha256_128),
    };
    let inputs = IkeSaKeyInputs {
        ni: &[1; 32],
        nr: &[2; 32],
        spi_i: [3; 8],
        spi_r: [4; 8],
    };
    let shared = SharedSecret::from_slice(&[5; 32]);
    assert!(matches!(
        IkeSaKeys::derive_initial(p, &bad, &shared, &inputs),
        Err(CryptoError::Unsupported { .. })
    ));
    let bad_esp = EspSuite {
        encr: Encr::AesCbc(AesKeySize::Aes128),
        integ: None,
    };
    assert!(ChildSaKeys::derive(
        p,
        Prf::HmacSha256,
        &Secret::from_slice(&[1; 32]),
        &bad_esp,
        None,
        &[1],
        &[2]
    )
    .is_err());
}

#[test]
fn both_ends_derive_matching_sk_ciphers() {
    let p = default_provider();
    let mut rng = DeterministicRng::from_u64(11);
    let inputs = IkeSaKeyInputs {
        ni: &[1; 32],
        nr: &[2; 32],
        spi_i: [3; 8],
        spi_r: [4; 8],
    };
    for name in [
        "aes256gcm16-prfsha384",
        "aes128-sha1-sha1_96",
        "chacha20poly1305-prfsha256",
        "aes256-prfsha512-sha256_128",
    ] {
        let s = suite(name);
        // Both ends run the key exchange and derive independently.
        let a = p
            .start_ke(ike_core::crypto::KeGroup::Curve25519, &mut rng)
            .unwrap();
        let b = p
            .start_ke(ike_core::crypto::KeGroup::Curve25519, &mut rng)
            .unwrap();
        let ki = IkeSaKeys::derive_initial(p, &s, &a.complete(b.public_value()).unwrap(), &inputs)
            .unwrap();
        let kr = IkeSaKeys::derive_initial(p, &s, &b.complete(a.public_value()).unwrap(), &inputs)
            .unwrap();
        assert_eq!(ki, kr);
        let (i_out, i_in) = ki.sk_ciphers(p, &s, Role::Initiator).unwrap();
        let (r_out, r_in) = kr.sk_ciphers(p, &s, Role::Responder).unwrap();
        let m1 = i_out
            .encrypt(b"hdr", b"IDi AUTH SA TSi TSr", &mut rng)
            .unwrap();
        assert_eq!(
            &r_in.decrypt(b"hdr", &m1).unwrap()[..],
            b"IDi AUTH SA TSi TSr"
        );
        let m2 = r_out.encrypt(b"hdr", b"IDr AUTH", &mut rng).unwrap();
        assert_eq!(&i_in.decrypt(b"hdr", &m2).unwrap()[..], b"IDr AUTH");
        // A message never decrypts with the key of its own direction's opposite.
        assert!(i_in.decrypt(b"hdr", &m1).is_err());
        assert_eq!(ki.own_sk_p(Role::Initiator), kr.peer_sk_p(Role::Responder));
        // Debug output carries no key bytes.
        let dbg = format!("{ki:?}");
        assert!(
            !dbg.contains(&hex::encode(&ki.sk_d.as_bytes()[..6])),
            "{name}"
        );
    }
}
