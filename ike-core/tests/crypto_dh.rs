//! Key exchange known-answer and negative tests: X25519 (RFC 7748), ECP with the IKEv2 x||y
//! encoding (RFC 5903 §8, RFC 5114), MODP (RFC 3526 primes, Python `pow()` values) and
//! Wycheproof.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use ike_core::crypto::{
    default_provider, modp_prime, CryptoError, DeterministicRng, KeGroup, KeyExchange,
};
use serde_json::Value;

fn h(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

fn ke(group: KeGroup, private: &str) -> Box<dyn KeyExchange> {
    default_provider()
        .ke_from_private(group, &h(private))
        .unwrap()
}

fn wycheproof(name: &str) -> Value {
    let path = format!(
        "{}/tests/vectors/wycheproof/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn rfc7748_x25519_scalar_multiplication() {
    // RFC 7748 §5.2.
    let cases = [
        (
            "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
            "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
            "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552",
        ),
        (
            "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
            "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
            "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957",
        ),
    ];
    for (scalar, u, out) in cases {
        let shared = ke(KeGroup::Curve25519, scalar).complete(&h(u)).unwrap();
        assert_eq!(hex::encode(shared.as_bytes()), out);
    }
}

#[test]
fn rfc7748_x25519_diffie_hellman() {
    // RFC 7748 §6.1.
    let alice = ke(
        KeGroup::Curve25519,
        "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
    );
    let bob = ke(
        KeGroup::Curve25519,
        "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
    );
    assert_eq!(
        hex::encode(alice.public_value()),
        "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"
    );
    assert_eq!(
        hex::encode(bob.public_value()),
        "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"
    );
    let k = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
    assert_eq!(
        hex::encode(alice.complete(bob.public_value()).unwrap().as_bytes()),
        k
    );
    assert_eq!(
        hex::encode(bob.complete(alice.public_value()).unwrap().as_bytes()),
        k
    );
}

#[test]
fn x25519_rejects_low_order_points() {
    // RFC 8031 §2.3: all-zero output must be rejected. u = 0 and u = 1 are of low order.
    let a = ke(
        KeGroup::Curve25519,
        "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
    );
    let mut one = [0u8; 32];
    one[0] = 1;
    for u in [[0u8; 32], one] {
        assert!(a.complete(&u).is_err());
    }
}

/// (group, i, gi = x||y, r, gr, g^ir x) from RFC 5903 §8.1 (P-256) and §8.2 (P-384), and the
/// P-521 vector of RFC 5114 Appendix A (as used by strongSwan's test vectors); the P-521 values
/// were cross-checked with Python `cryptography`.
const ECP_VECTORS: [(KeGroup, &str, &str, &str, &str, &str); 3] = [
    (
        KeGroup::Ecp256,
        "c88f01f510d9ac3f70a292daa2316de544e9aab8afe84049c62a9c57862d1433",
        "dad0b65394221cf9b051e1feca5787d098dfe637fc90b9ef945d0c37725811805271a0461cdb8252d61f1c456fa3e59ab1f45b33accf5f58389e0577b8990bb3",
        "c6ef9c5d78ae012a011164acb397ce2088685d8f06bf9be0b283ab46476bee53",
        "d12dfb5289c8d4f81208b70270398c342296970a0bccb74c736fc7554494bf6356fbf3ca366cc23e8157854c13c58d6aac23f046ada30f8353e74f33039872ab",
        "d6840f6b42f6edafd13116e0e12565202fef8e9ece7dce03812464d04b9442de",
    ),
    (
        KeGroup::Ecp384,
        "099f3c7034d4a2c699884d73a375a67f7624ef7c6b3c0f160647b67414dce655e35b538041e649ee3faef896783ab194",
        "667842d7d180ac2cde6f74f37551f55755c7645c20ef73e31634fe72b4c55ee6de3ac808acb4bdb4c88732aee95f41aa9482ed1fc0eeb9cafc4984625ccfc23f65032149e0e144ada024181535a0f38eeb9fcff3c2c947dae69b4c634573a81c",
        "41cb0779b4bdb85d47846725fbec3c9430fab46cc8dc5060855cc9bda0aa2942e0308312916b8ed2960e4bd55a7448fc",
        "e558dbef53eecde3d3fccfc1aea08a89a987475d12fd950d83cfa41732bc509d0d1ac43a0336def96fda41d0774a3571dcfbec7aacf3196472169e838430367f66eebe3c6e70c416dd5f0c68759dd1fff83fa40142209dff5eaad96db9e6386c",
        "11187331c279962d93d604243fd592cb9d0a926f422e47187521287e7156c5c4d603135569b9e9d09cf5d4a270f59746",
    ),
    (
        KeGroup::Ecp521,
        "0113f82da825735e3d97276683b2b74277bad27335ea71664af2430cc4f33459b9669ee78b3ffb9b8683015d344dcbfef6fb9af4c6c470be254516cd3c1a1fb47362",
        "01ebb34dd75721abf8adc9dbed17889cbb9765d90a7c60f2cef007bb0f2b26e14881fd4442e689d61cb2dd046ee30e3ffd20f9a45bbdf6413d583a2dbf59924fd35c00f6b632d194c0388e22d8437e558c552ae195adfd153f92d74908351b2f8c4eda94edb0916d1b53c020b5eecaed1a5fc38a233e4830587bb2ee3489b3b42a5a86a4",
        "00cee3480d8645a17d249f2776d28bae616952d1791fdb4b70f7c3378732aa1b22928448bcd1dc2496d435b01048066ebe4f72903c361b1a9dc1193dc2c9d0891b96",
        "010ebfafc6e85e08d24bfffcc1a4511db0e634beeb1b6dec8c5939ae44766201af6200430ba97c8ac6a0e9f08b33ce7e9feeb5ba4ee5e0d81510c24295b8a08d023500a4a6ec300df9e257b0372b5e7abfef093436719a77887ebb0b18cf8099b9f4212b6e30a1419c18e029d36863cc9d448f4dba4d2a0e60711be572915fbd4fef2695",
        "00cdea89621cfa46b132f9e4cfe2261cde2d4368eb5656634c7cc98c7a00cde54ed1866a0dd3e6126c9d2f845daff82ceb1da08f5d87521bb0ebeca77911169c20cc",
    ),
];

#[test]
fn ecp_vectors_with_ikev2_encoding() {
    for (group, i, gi, r, gr, gir) in ECP_VECTORS {
        let ini = ke(group, i);
        let res = ke(group, r);
        assert_eq!(hex::encode(ini.public_value()), gi, "{group} gi");
        assert_eq!(hex::encode(res.public_value()), gr, "{group} gr");
        assert_eq!(ini.public_value().len(), group.public_value_len());
        assert_eq!(hex::encode(ini.complete(&h(gr)).unwrap().as_bytes()), gir);
        assert_eq!(hex::encode(res.complete(&h(gi)).unwrap().as_bytes()), gir);
    }
}

#[test]
fn ecp_rejects_bad_public_values() {
    let (group, i, gi, ..) = ECP_VECTORS[0];
    let k = ke(group, i);
    let good = h(gi);
    // With the SEC1 prefix (65 bytes): wrong length for IKEv2.
    let mut prefixed = vec![4u8];
    prefixed.extend_from_slice(&good);
    assert_eq!(
        k.complete(&prefixed).unwrap_err(),
        CryptoError::InvalidPublicValue("wrong length")
    );
    // Oversized (CVE-2023-41913 style) and truncated.
    assert!(k.complete(&vec![0x41; 4096]).is_err());
    assert!(k.complete(&good[..63]).is_err());
    assert!(k.complete(&[]).is_err());
    // Not on the curve.
    let mut off = good.clone();
    off[63] ^= 1;
    assert_eq!(
        k.complete(&off).unwrap_err(),
        CryptoError::InvalidPublicValue("not a valid point")
    );
    // The point at infinity / all zero.
    assert!(k.complete(&[0u8; 64]).is_err());
}

#[test]
fn every_group_agrees_and_uses_the_injected_rng() {
    let p = default_provider();
    for group in KeGroup::ALL {
        let a = p
            .start_ke(group, &mut DeterministicRng::from_u64(1))
            .unwrap();
        let a_again = p
            .start_ke(group, &mut DeterministicRng::from_u64(1))
            .unwrap();
        let b = p
            .start_ke(group, &mut DeterministicRng::from_u64(2))
            .unwrap();
        assert_eq!(a.group(), group);
        assert_eq!(
            a.public_value(),
            a_again.public_value(),
            "{group}: deterministic"
        );
        assert_ne!(a.public_value(), b.public_value(), "{group}");
        assert_eq!(a.public_value().len(), group.public_value_len(), "{group}");
        let s1 = a.complete(b.public_value()).unwrap();
        let s2 = b.complete(a.public_value()).unwrap();
        assert_eq!(s1, s2, "{group}");
        assert_eq!(s1.len(), group.shared_secret_len(), "{group}");
        assert!(!format!("{s1:?}").contains(&hex::encode(&s1.as_bytes()[..4])));
        // Wrong length is always rejected before any arithmetic.
        let mut long = b.public_value().to_vec();
        long.push(0);
        assert!(matches!(
            a.complete(&long),
            Err(CryptoError::InvalidPublicValue(_))
        ));
        assert!(a.complete(&long[..long.len() - 2]).is_err());
    }
}

fn kat() -> Value {
    serde_json::from_str(include_str!("vectors/ike_kat.json")).unwrap()
}

#[test]
fn modp_known_answers_from_python_pow() {
    // x_a, x_b: SHA-512 of fixed strings; y = pow(2, x, p); shared = pow(y_b, x_a, p); see
    // tests/vectors/gen_ike_kat.py.
    for case in kat()["modp"].as_array().unwrap() {
        let group = match case["group"].as_u64().unwrap() {
            1536 => KeGroup::Modp1536,
            2048 => KeGroup::Modp2048,
            other => panic!("group {other}"),
        };
        let a = ke(group, case["x_a"].as_str().unwrap());
        let b = ke(group, case["x_b"].as_str().unwrap());
        assert_eq!(hex::encode(a.public_value()), case["y_a"].as_str().unwrap());
        assert_eq!(hex::encode(b.public_value()), case["y_b"].as_str().unwrap());
        let shared = a.complete(b.public_value()).unwrap();
        assert_eq!(
            hex::encode(shared.as_bytes()),
            case["shared"].as_str().unwrap()
        );
        assert_eq!(b.complete(a.public_value()).unwrap(), shared);
    }
}

#[test]
fn modp_primes_match_rfc3526() {
    let primes: Value = serde_json::from_str(include_str!("vectors/modp_primes.json")).unwrap();
    for (group, bits) in [
        (KeGroup::Modp1024, "1024"),
        (KeGroup::Modp1536, "1536"),
        (KeGroup::Modp2048, "2048"),
        (KeGroup::Modp3072, "3072"),
        (KeGroup::Modp4096, "4096"),
    ] {
        assert_eq!(
            hex::encode_upper(modp_prime(group).unwrap()),
            primes[bits].as_str().unwrap()
        );
    }
    assert!(modp_prime(KeGroup::Ecp256).is_none());
}

fn be_add(bytes: &[u8], delta: i32) -> Vec<u8> {
    // Adds a small signed delta to a big-endian number.
    let mut out = bytes.to_vec();
    let mut carry = delta;
    for b in out.iter_mut().rev() {
        let v = i32::from(*b) + carry;
        *b = v.rem_euclid(256) as u8;
        carry = v.div_euclid(256);
        if carry == 0 {
            break;
        }
    }
    out
}

#[test]
fn modp_public_value_range_checks() {
    let p = default_provider();
    for group in [KeGroup::Modp1536, KeGroup::Modp2048] {
        let kx = p
            .start_ke(group, &mut DeterministicRng::from_u64(7))
            .unwrap();
        let prime = modp_prime(group).unwrap();
        let n = prime.len();
        let mut one = vec![0u8; n];
        one[n - 1] = 1;
        let mut two = vec![0u8; n];
        two[n - 1] = 2;
        let p_minus_1 = be_add(&prime, -1);
        let p_minus_2 = be_add(&prime, -2);
        for (what, y) in [
            ("0", vec![0u8; n]),
            ("1", one),
            ("p-1", p_minus_1),
            ("p", prime.clone()),
            ("all ones", vec![0xff; n]),
        ] {
            assert_eq!(
                kx.complete(&y).unwrap_err(),
                CryptoError::InvalidPublicValue("MODP value outside 1 < y < p-1"),
                "{group}: y = {what}"
            );
        }
        // The boundaries inside the range are accepted.
        assert!(kx.complete(&two).is_ok());
        assert!(kx.complete(&p_minus_2).is_ok());
        // Length must be exactly the prime length (no leading-zero stripping, no extra byte).
        let mut short = two.clone();
        short.remove(0);
        assert!(kx.complete(&short).is_err());
        let mut long = vec![0u8];
        long.extend_from_slice(&two);
        assert!(kx.complete(&long).is_err());
        assert!(kx.complete(&vec![1u8; 1 << 16]).is_err());
    }
}

#[test]
fn private_values_are_validated() {
    let p = default_provider();
    assert!(p.ke_from_private(KeGroup::Modp2048, &[]).is_err());
    assert!(p.ke_from_private(KeGroup::Modp2048, &[1]).is_err());
    assert!(p.ke_from_private(KeGroup::Modp2048, &[0; 65]).is_err());
    assert!(p.ke_from_private(KeGroup::Ecp256, &[0; 32]).is_err());
    assert!(p.ke_from_private(KeGroup::Ecp256, &[0xff; 32]).is_err()); // >= n
    assert!(p.ke_from_private(KeGroup::Ecp256, &[1; 31]).is_err());
    assert!(p.ke_from_private(KeGroup::Curve25519, &[1; 33]).is_err());
}

#[test]
fn wycheproof_x25519() {
    let data = wycheproof("x25519_test.json");
    let mut checked = 0;
    for group in data["testGroups"].as_array().unwrap() {
        for t in group["tests"].as_array().unwrap() {
            let id = t["tcId"].as_u64().unwrap();
            let result = t["result"].as_str().unwrap();
            let shared = h(t["shared"].as_str().unwrap());
            let kx = ke(KeGroup::Curve25519, t["private"].as_str().unwrap());
            let ours = kx.complete(&h(t["public"].as_str().unwrap()));
            match (result, ours) {
                ("valid", Ok(s)) => assert_eq!(s.as_bytes(), &shared[..], "tc {id}"),
                ("valid", Err(e)) => panic!("tc {id}: valid case rejected: {e}"),
                ("acceptable", Ok(s)) => {
                    assert_eq!(s.as_bytes(), &shared[..], "tc {id}");
                    assert!(
                        shared.iter().any(|&b| b != 0),
                        "tc {id}: zero secret accepted"
                    );
                }
                ("acceptable", Err(_)) => {
                    // Only low-order / zero results may be refused.
                    assert!(
                        shared.iter().all(|&b| b == 0),
                        "tc {id}: refused non-zero case"
                    );
                }
                (_, Ok(_)) => panic!("tc {id}: invalid case accepted"),
                (_, Err(_)) => {}
            }
            checked += 1;
        }
    }
    assert!(checked > 50);
}

#[test]
fn wycheproof_ecdh_p256() {
    let data = wycheproof("ecdh_secp256r1_ecpoint_test.json");
    let mut checked = 0;
    for group in data["testGroups"].as_array().unwrap() {
        for t in group["tests"].as_array().unwrap() {
            let id = t["tcId"].as_u64().unwrap();
            let result = t["result"].as_str().unwrap();
            let public = h(t["public"].as_str().unwrap());
            // Private keys are encoded as (possibly zero-prefixed) integers.
            let mut private = h(t["private"].as_str().unwrap());
            while private.len() > 32 && private[0] == 0 {
                private.remove(0);
            }
            let mut padded = vec![0u8; 32usize.saturating_sub(private.len())];
            padded.extend_from_slice(&private);
            let Ok(kx) = default_provider().ke_from_private(KeGroup::Ecp256, &padded) else {
                assert_ne!(result, "valid", "tc {id}: private key rejected");
                continue;
            };
            // IKEv2 carries x||y: only uncompressed 65-byte SEC1 points can be expressed.
            let ike_value = match public.split_first() {
                Some((4, xy)) if public.len() == 65 => xy.to_vec(),
                _ => {
                    // Compressed or garbage encodings: also refused when passed verbatim.
                    assert!(kx.complete(&public).is_err(), "tc {id}");
                    continue;
                }
            };
            let ours = kx.complete(&ike_value);
            match result {
                "valid" => assert_eq!(
                    hex::encode(ours.unwrap().as_bytes()),
                    t["shared"].as_str().unwrap(),
                    "tc {id}"
                ),
                "invalid" => assert!(ours.is_err(), "tc {id}: invalid point accepted"),
                _ => {}
            }
            checked += 1;
        }
    }
    assert!(checked > 10);
}
