//! The receive path of a protected message, up to and after decryption:
//! port-4500 demux (non-ESP marker) -> `Message::parse` -> SK/SKF layout, AAD / IV /
//! ciphertext / ICV / integrity ranges for the usual IV and ICV sizes -> [decryption] ->
//! `sk_unpad` -> `parse_payload_chain` on the inner payloads. Also checks that
//! `emit_encrypted` rebuilds the same outer framing.
//!
//! Decryption is real: the SK/SKF body is opened with the IKE SA keys of the two captured
//! strongSwan exchanges the seed corpus comes from (AES-GCM-16-128 and AES-CBC-256 with
//! HMAC-SHA2-256-128, see tests/data/swan-capture/*-keys.txt), in the direction the header's
//! initiator flag names, so mutated ciphertexts, ICVs, IVs and paddings all reach the crypto
//! layer and whatever decrypts reaches the inner payload parser. A null cipher runs as well,
//! so the inner parser also sees arbitrary plaintext.
#![no_main]

use ike_core::wire::{
    classify_udp_4500, emit_encrypted, emit_payload_chain, parse_payload_chain, sk_unpad,
    Message, Udp4500,
};
use ike_core::crypto::sk_cipher::SkCipher;
use ike_core::crypto::{default_provider, AesKeySize, Encr, Integ};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// (cipher for messages from the initiator, cipher for messages from the responder), per
/// captured exchange.
fn ciphers() -> &'static [(SkCipher, SkCipher)] {
    static C: OnceLock<Vec<(SkCipher, SkCipher)>> = OnceLock::new();
    C.get_or_init(|| {
        let p = default_provider();
        let gcm = Encr::AesGcm16(AesKeySize::Aes128);
        let cbc = Encr::AesCbc(AesKeySize::Aes256);
        let sha = Some(Integ::HmacSha256_128);
        let mk = |e, i, ke: &str, ka: &str| {
            SkCipher::new(p, e, i, &unhex(ke), &unhex(ka)).expect("capture keys fit")
        };
        vec![
            (
                mk(gcm, None, "1f54045bc3142a6e8f60b8b34d3f8a5508027d26", ""),
                mk(gcm, None, "23e78449476b9ad41602b7e63c0417ad4f68fe40", ""),
            ),
            (
                mk(
                    cbc,
                    sha,
                    "9cbfd7fca7760277d459d322194a05dbe65733e3fbed21c59718b5a9c3d92892",
                    "04b7db7580cf91c56b88bbc3ea035997aaeb4b6c8c78f570d8d85de18fc250b1",
                ),
                mk(
                    cbc,
                    sha,
                    "32b55b95f6280f554527d65e02057581d726ac96a353a7d92623b950ce54ca8b",
                    "416db2c6d6f014426262ea9a512bb58b7d1770b2ecd0435c450395b724267f72",
                ),
            ),
        ]
    })
}

/// Parses a decrypted inner payload chain and checks it re-encodes identically.
fn check_inner(first_type: u8, inner: &[u8]) {
    let Ok(chain) = parse_payload_chain(first_type, inner) else { return };
    let (first, bytes) = match emit_payload_chain(&chain) {
        Ok(x) => x,
        Err(e) => panic!("parsed inner chain does not re-encode: {e}"),
    };
    assert_eq!(bytes.len(), inner.len());
    if !chain.is_empty() {
        assert_eq!(first, first_type);
    }
    assert_eq!(parse_payload_chain(first, &bytes).ok(), Some(chain));
}

/// (IV length, ICV length) of the suites the engine supports: AES-GCM / ChaCha20-Poly1305
/// (8, 16), AES-CBC with HMAC-SHA1-96 (16, 12), HMAC-SHA2-256-128 (16, 16),
/// HMAC-SHA2-384-192 (16, 24), HMAC-SHA2-512-256 (16, 32).
const SUITES: [(usize, usize); 5] = [(8, 16), (16, 12), (16, 16), (16, 24), (16, 32)];

fuzz_target!(|data: &[u8]| {
    // Datagrams with the non-ESP marker are port-4500 IKE; anything else is treated as a
    // port-500 datagram (ESP and keepalives would go elsewhere, but parsing them is fine).
    let ike = match classify_udp_4500(data) {
        Ok(Udp4500::Ike(m)) => m,
        _ => data,
    };
    let Ok(msg) = Message::parse(ike) else { return };
    let Some(layout) = msg.encrypted_layout() else { return };
    assert_eq!(layout.len, ike.len());
    assert!(layout.body_start <= layout.len);
    assert_eq!(&ike[layout.body()].len(), &(layout.len - layout.body_start));

    // Rebuilding the framing from the parsed header gives the same message back.
    if msg.payloads.len() == 1 {
        let body_len = layout.len - layout.body_start;
        let (mut buf, built) =
            match emit_encrypted(&msg.header, layout.inner_first_type, layout.fragment, body_len) {
                Ok(x) => x,
                Err(e) => panic!("cannot rebuild framing: {e}"),
            };
        assert_eq!(built, layout);
        buf[built.body()].copy_from_slice(&ike[layout.body()]);
        assert_eq!(Message::parse(&buf).ok(), Some(msg.clone()));
    }

    // Real decryption with the capture keys (decrypt strips the padding itself).
    for (from_initiator, from_responder) in ciphers() {
        let cipher = if msg.header.flags.initiator { from_initiator } else { from_responder };
        if let Ok(plain) = cipher.decrypt(&ike[layout.aad()], &ike[layout.body()]) {
            check_inner(layout.inner_first_type, &plain);
        }
    }

    for (iv_len, icv_len) in SUITES {
        let Ok(sections) = layout.sections(iv_len, icv_len) else { continue };
        let parts = match layout.split(ike, iv_len, icv_len) {
            Ok(p) => p,
            Err(e) => panic!("sections fit but split failed: {e}"),
        };
        assert_eq!(parts.aad, &ike[sections.aad.clone()]);
        assert_eq!(
            parts.aad.len() + parts.iv.len() + parts.ciphertext.len() + parts.icv.len(),
            ike.len()
        );
        assert_eq!(parts.integrity.len(), ike.len() - icv_len);
        assert_eq!(sections.integrity.end, sections.icv.start);

        // Null cipher: the ciphertext taken as the padded plaintext.
        let Ok(inner) = sk_unpad(parts.ciphertext) else { continue };
        check_inner(layout.inner_first_type, inner);
    }
});
