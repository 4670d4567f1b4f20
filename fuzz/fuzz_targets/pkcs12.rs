//! PKCS#12 loading (`leftpkcs12`, as the reader child of a private profile and the direct path
//! do it) must never panic, hang or leak: any bytes give a chain and key or an error. The
//! password is the one of the seed files, so mutations of them reach the decrypted contents.
#![no_main]
use libfuzzer_sys::fuzz_target;
use nm_plugin::driver::filetypes::{self, FileKind};

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = filetypes::parse(FileKind::Pkcs12, data, "p12-test-password") {
        assert!(!p.certs.is_empty() && p.key.is_some());
        // What the child sends the service decodes to the same DER.
        let back = filetypes::decode(&filetypes::encode(&p)).expect("own framing");
        assert_eq!(back.certs, p.certs);
    }
});
