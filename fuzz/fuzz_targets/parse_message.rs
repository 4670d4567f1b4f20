//! `Message::parse` on arbitrary bytes: never panics, and whatever parses re-encodes to a
//! message of the same length that parses back equal.
#![no_main]

use ike_core::wire::Message;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(msg) = Message::parse(data) {
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
    }
});
