//! IKEv1: `v1::wire::Message::parse` on arbitrary bytes never panics, and whatever parses
//! re-encodes to a message of the same length (a message in the clear keeps its 0-3 octets of
//! padding) that parses back equal. The body of an
//! encrypted message is also read as if it were already decrypted (a null cipher), so the
//! fuzzer reaches the payload parsers behind the E flag: `parse_decrypted` never panics, and
//! its chain re-encodes to the same octets minus the padding. `split_encrypted` is exercised
//! with the DES and AES block sizes.
#![no_main]

use ike_core::v1::wire::{
    emit_payload_chain, parse_decrypted, parse_payload_chain, split_encrypted, Body, Message,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(msg) = Message::parse(data) else {
        return;
    };
    let bytes = match msg.emit() {
        Ok(b) => b,
        Err(e) => panic!("parsed message does not re-encode: {e}"),
    };
    // parsers are strict, so lengths are canonical
    assert_eq!(bytes.len(), data.len());
    match Message::parse(&bytes) {
        Ok(again) => assert_eq!(again, msg),
        Err(e) => panic!("re-encoded message does not parse: {e}"),
    }
    if let Body::Encrypted {
        first_payload,
        ciphertext,
    } = &msg.body
    {
        for block in [8, 16] {
            if let Ok(parts) = split_encrypted(data, block) {
                assert_eq!(parts.ciphertext, ciphertext.as_slice());
                assert_eq!(parts.last_block(block).map(<[u8]>::len), Some(block));
            }
        }
        if let Ok(chain) = parse_decrypted(*first_payload, ciphertext) {
            let (first, out) = match emit_payload_chain(&chain.payloads) {
                Ok(x) => x,
                Err(e) => panic!("decrypted chain does not re-encode: {e}"),
            };
            // reserved octets are not kept, so only the length is canonical
            assert_eq!(out.len() + chain.padding, ciphertext.len());
            match parse_payload_chain(first, &out) {
                Ok(again) => assert_eq!(again, chain.payloads),
                Err(e) => panic!("re-encoded chain does not parse: {e}"),
            }
        }
    }
});
