//! SK payload protection: the RFC 7634 IKEv2 example, Wycheproof AEAD vectors through the
//! provider's `Aead`, round trips, tamper detection and malformed input for every cipher.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use ike_core::crypto::{
    default_provider, AesKeySize, CryptoError, DeterministicRng, Encr, FixedRng, Integ, SkCipher,
    SkLayout,
};
use serde_json::Value;

fn h(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

fn wycheproof(name: &str) -> Value {
    let path = format!(
        "{}/tests/vectors/wycheproof/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Every ENCR/INTEG pair we support for IKE.
fn suites() -> Vec<(Encr, Option<Integ>)> {
    let mut v = Vec::new();
    for encr in Encr::ALL {
        if encr.is_aead() {
            v.push((encr, None));
        } else {
            for integ in Integ::ALL {
                v.push((encr, Some(integ)));
            }
        }
    }
    v
}

fn cipher(encr: Encr, integ: Option<Integ>, seed: u8) -> SkCipher {
    let ek: Vec<u8> = (0..encr.keymat_len()).map(|i| seed ^ i as u8).collect();
    let ak: Vec<u8> = (0..integ.map_or(0, Integ::key_len))
        .map(|i| seed.wrapping_add(0x80) ^ i as u8)
        .collect();
    SkCipher::new(default_provider(), encr, integ, &ek, &ak).unwrap()
}

#[test]
fn rfc7634_appendix_b_ikev2_example() {
    // RFC 7634 Appendix B: INFORMATIONAL message with one SET_WINDOW_SIZE notify, KEYMAT
    // 80..9f + salt a0a1a2a3, IV 1011121314151617 (the same vector strongSwan's
    // test_message_chapoly.c checks).
    let keymat = h("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3");
    let sk = SkCipher::new(
        default_provider(),
        Encr::ChaCha20Poly1305,
        None,
        &keymat,
        &[],
    )
    .unwrap();
    let header = h("c0c1c2c3c4c5c6c7d0d1d2d3d4d5d6d72e2025000000000900000045");
    let sk_header = h("29000029");
    let mut aad = header.clone();
    aad.extend_from_slice(&sk_header);
    // Notify payload: next 0, len 12, protocol 0, SPI size 0, type 16385, data 10.
    let plaintext = h("0000000c000040010000000a");
    assert_eq!(sk.body_len(plaintext.len()), 0x29 - 4);
    let mut rng = FixedRng::new(&h("1011121314151617"));
    let body = sk.encrypt(&aad, &plaintext, &mut rng).unwrap();
    // IV | ciphertext (13 bytes: notify + pad length 0) | Poly1305 tag.
    assert_eq!(
        hex::encode(&body),
        concat!(
            "1011121314151617",
            "610394701f8d017f7c12924889",
            "6b71bfe25236efd7cdc67066906315b2"
        )
    );
    let decrypted = sk.decrypt(&aad, &body).unwrap();
    assert_eq!(&decrypted[..], &plaintext[..]);
}

#[test]
fn layout_lengths() {
    let cbc = SkLayout::new(
        Encr::AesCbc(AesKeySize::Aes128),
        Some(Integ::HmacSha256_128),
    )
    .unwrap();
    for pt in 0..64 {
        let body = cbc.body_len(pt);
        assert_eq!((body - 16 - 16) % 16, 0);
        assert!(cbc.ciphertext_len(pt) > pt);
        assert!(cbc.padding_len(pt) < 16);
        assert!(cbc.max_plaintext_len(body) >= pt);
        assert_eq!(cbc.body_len(cbc.max_plaintext_len(body)), body);
    }
    let gcm = SkLayout::new(Encr::AesGcm16(AesKeySize::Aes256), None).unwrap();
    assert_eq!(gcm.body_len(10), 8 + 10 + 1 + 16);
    assert_eq!(gcm.max_plaintext_len(8 + 11 + 16), 10);
    assert!(SkLayout::new(Encr::ChaCha20Poly1305, Some(Integ::HmacSha1_96)).is_err());
    assert!(SkLayout::new(Encr::AesCbc(AesKeySize::Aes256), None).is_err());
}

#[test]
fn round_trip_every_suite_and_length() {
    let mut rng = DeterministicRng::from_u64(42);
    for (encr, integ) in suites() {
        let sender = cipher(encr, integ, 1);
        let receiver = cipher(encr, integ, 1);
        for len in [0usize, 1, 14, 15, 16, 17, 31, 100, 1000] {
            let plaintext: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
            let aad = b"IKE header and SK generic header";
            let body = sender.encrypt(aad, &plaintext, &mut rng).unwrap();
            assert_eq!(body.len(), sender.body_len(len), "{encr} {integ:?} {len}");
            let out = receiver.decrypt(aad, &body).unwrap();
            assert_eq!(&out[..], &plaintext[..], "{encr} {integ:?} {len}");
            // Fresh IVs: encrypting again gives a different body.
            let body2 = sender.encrypt(aad, &plaintext, &mut rng).unwrap();
            assert_ne!(body, body2);
        }
    }
}

#[test]
fn every_flipped_bit_is_detected() {
    let mut rng = DeterministicRng::from_u64(3);
    for (encr, integ) in suites() {
        let c = cipher(encr, integ, 9);
        let aad = b"0123456789abcdef0123456789ab\x2e\x20\x23\x08";
        let body = c.encrypt(aad, b"inner payloads", &mut rng).unwrap();
        for i in 0..body.len() {
            let mut t = body.clone();
            t[i] ^= 0x01;
            assert_eq!(
                c.decrypt(aad, &t).unwrap_err(),
                CryptoError::IntegrityCheckFailed,
                "{encr} {integ:?} byte {i}"
            );
        }
        for i in 0..aad.len() {
            let mut a = aad.to_vec();
            a[i] ^= 0x80;
            assert_eq!(
                c.decrypt(&a, &body).unwrap_err(),
                CryptoError::IntegrityCheckFailed
            );
        }
        // The other direction's key does not open it.
        let other = cipher(encr, integ, 10);
        assert!(other.decrypt(aad, &body).is_err());
    }
}

#[test]
fn short_and_malformed_bodies_are_typed_errors() {
    let mut rng = DeterministicRng::from_u64(4);
    for (encr, integ) in suites() {
        let c = cipher(encr, integ, 5);
        let min = c.layout().min_body_len();
        for len in 0..min {
            let body = vec![0u8; len];
            assert!(
                matches!(c.decrypt(b"", &body), Err(CryptoError::TooShort { .. })),
                "{encr} {integ:?} len {len}"
            );
        }
        // Random garbage of many lengths never panics.
        for len in min..min + 40 {
            let body: Vec<u8> = (0..len).map(|i| (i * 31 + 7) as u8).collect();
            assert!(c.decrypt(b"aad", &body).is_err());
        }
        if !encr.is_aead() {
            // A CBC body whose ciphertext is not whole blocks.
            let mut body = c.encrypt(b"a", b"x", &mut rng).unwrap();
            body.insert(20, 0);
            assert_eq!(
                c.decrypt(b"a", &body).unwrap_err(),
                CryptoError::MisalignedCiphertext
            );
        }
    }
}

#[test]
fn bad_pad_length_is_rejected_after_authentication() {
    // Build an authentic AEAD body whose last plaintext byte claims more padding than exists.
    let p = default_provider();
    let encr = Encr::AesGcm16(AesKeySize::Aes128);
    let keymat = [7u8; 20];
    let aead = p.aead(encr, &keymat).unwrap();
    let iv = [1u8; 8];
    let ct = aead.seal(&iv, b"aad", &[0xaa, 0xbb, 5]).unwrap();
    let mut body = iv.to_vec();
    body.extend_from_slice(&ct);
    let sk = SkCipher::new(p, encr, None, &keymat, &[]).unwrap();
    assert_eq!(
        sk.decrypt(b"aad", &body).unwrap_err(),
        CryptoError::InvalidPadding
    );
}

#[test]
fn wrong_key_lengths_are_refused() {
    let p = default_provider();
    let gcm = Encr::AesGcm16(AesKeySize::Aes256);
    assert!(SkCipher::new(p, gcm, None, &[0; 32], &[]).is_err()); // salt missing
    assert!(SkCipher::new(p, gcm, None, &[0; 36], &[0; 32]).is_err()); // integ key with AEAD
    let cbc = Encr::AesCbc(AesKeySize::Aes128);
    assert!(SkCipher::new(p, cbc, Some(Integ::HmacSha256_128), &[0; 16], &[0; 16]).is_err());
    assert!(SkCipher::new(p, cbc, Some(Integ::HmacSha256_128), &[0; 20], &[0; 32]).is_err());
    assert!(SkCipher::new(p, cbc, Some(Integ::HmacSha256_128), &[0; 16], &[0; 32]).is_ok());
}

fn run_wycheproof_aead(file: &str, encr_for: impl Fn(usize) -> Encr) {
    let data = wycheproof(file);
    let p = default_provider();
    let mut checked = 0;
    for group in data["testGroups"].as_array().unwrap() {
        for t in group["tests"].as_array().unwrap() {
            let id = t["tcId"].as_u64().unwrap();
            let key = h(t["key"].as_str().unwrap());
            let iv = h(t["iv"].as_str().unwrap());
            assert_eq!(iv.len(), 12);
            // IKEv2 nonce = salt (end of keymat) || 8-byte explicit IV.
            let mut keymat = key.clone();
            keymat.extend_from_slice(&iv[..4]);
            let aead = p.aead(encr_for(key.len()), &keymat).unwrap();
            let aad = h(t["aad"].as_str().unwrap());
            let msg = h(t["msg"].as_str().unwrap());
            let mut ct_tag = h(t["ct"].as_str().unwrap());
            ct_tag.extend_from_slice(&h(t["tag"].as_str().unwrap()));
            let opened = aead.open(&iv[4..], &aad, &ct_tag);
            match t["result"].as_str().unwrap() {
                "valid" => {
                    assert_eq!(&opened.unwrap()[..], &msg[..], "tc {id}");
                    assert_eq!(aead.seal(&iv[4..], &aad, &msg).unwrap(), ct_tag, "tc {id}");
                }
                "invalid" => assert!(opened.is_err(), "tc {id} accepted"),
                _ => {}
            }
            checked += 1;
        }
    }
    assert!(checked > 40, "{file}: {checked}");
}

#[test]
fn wycheproof_aes_gcm() {
    run_wycheproof_aead("aes_gcm_test.json", |len| {
        Encr::AesGcm16(AesKeySize::from_bits(u16::try_from(len * 8).unwrap()).unwrap())
    });
}

#[test]
fn wycheproof_chacha20_poly1305() {
    run_wycheproof_aead("chacha20_poly1305_test.json", |_| Encr::ChaCha20Poly1305);
}
