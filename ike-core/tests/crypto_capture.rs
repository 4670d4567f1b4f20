//! The SK payload cipher opens real strongSwan messages: the captured exchanges in
//! tests/data/swan-capture decrypt with the IKE SA keys charon logged, and their inner payloads
//! parse. (The decrypt_path fuzz target uses the same keys.)
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use ike_core::crypto::sk_cipher::SkCipher;
use ike_core::crypto::{default_provider, AesKeySize, Encr, Integ};
use ike_core::wire::{classify_udp_4500, parse_payload_chain, Message, Payload, Udp4500};

fn capture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/data/swan-capture/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let data = std::fs::read(&path).unwrap();
    match classify_udp_4500(&data) {
        Ok(Udp4500::Ike(m)) => m.to_vec(),
        _ => data,
    }
}

fn key(name: &str, which: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/data/swan-capture/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(path).unwrap();
    let line = text.lines().find(|l| l.starts_with(which)).unwrap();
    hex::decode(line.split_whitespace().nth(1).unwrap()).unwrap()
}

fn open(cipher: &SkCipher, datagram: &[u8]) -> Vec<Payload> {
    let msg = Message::parse(datagram).unwrap();
    let layout = msg.encrypted_layout().unwrap();
    let plain = cipher
        .decrypt(&datagram[layout.aad()], &datagram[layout.body()])
        .unwrap();
    parse_payload_chain(layout.inner_first_type, &plain).unwrap()
}

#[test]
fn gcm_ike_auth_decrypts_and_parses() {
    let p = default_provider();
    let gcm = Encr::AesGcm16(AesKeySize::Aes128);
    let ei = SkCipher::new(p, gcm, None, &key("gcm-keys.txt", "Sk_ei"), &[]).unwrap();
    let er = SkCipher::new(p, gcm, None, &key("gcm-keys.txt", "Sk_er"), &[]).unwrap();
    let req = open(&ei, &capture("gcm-02-ike_auth-req-4500.bin"));
    assert!(req.iter().any(|p| matches!(p, Payload::IdI(_))), "{req:?}");
    assert!(req.iter().any(|p| matches!(p, Payload::Auth(_))));
    assert!(req.iter().any(|p| matches!(p, Payload::Cp(_))));
    let resp = open(&er, &capture("gcm-03-ike_auth-resp-4500.bin"));
    assert!(
        resp.iter().any(|p| matches!(p, Payload::IdR(_))),
        "{resp:?}"
    );
    // The wrong direction's key does not open it, and a flipped ICV bit is caught.
    let dgram = capture("gcm-03-ike_auth-resp-4500.bin");
    let msg = Message::parse(&dgram).unwrap();
    let layout = msg.encrypted_layout().unwrap();
    assert!(ei
        .decrypt(&dgram[layout.aad()], &dgram[layout.body()])
        .is_err());
    let mut bad = dgram.clone();
    *bad.last_mut().unwrap() ^= 1;
    assert!(er.decrypt(&bad[layout.aad()], &bad[layout.body()]).is_err());
}

#[test]
fn cbc_hmac_fragments_decrypt() {
    let p = default_provider();
    let cbc = Encr::AesCbc(AesKeySize::Aes256);
    let ei = SkCipher::new(
        p,
        cbc,
        Some(Integ::HmacSha256_128),
        &key("frag-keys.txt", "Sk_ei"),
        &key("frag-keys.txt", "Sk_ai"),
    )
    .unwrap();
    for frag in [
        "frag-02-ike_auth-req-4500.bin",
        "frag-03-ike_auth-req-4500.bin",
    ] {
        let dgram = capture(frag);
        let msg = Message::parse(&dgram).unwrap();
        let layout = msg.encrypted_layout().unwrap();
        assert!(layout.fragment.is_some(), "{frag} is not an SKF fragment");
        let plain = ei
            .decrypt(&dgram[layout.aad()], &dgram[layout.body()])
            .unwrap();
        assert!(!plain.is_empty());
    }
}
