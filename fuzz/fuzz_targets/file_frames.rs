//! Certificate and key files (PEM or DER, parsed by the reader child) and the framing the
//! service decodes from the child must never panic on any bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;
use nm_plugin::driver::filetypes::{self, FileKind};

fuzz_target!(|data: &[u8]| {
    let _ = filetypes::decode(data);
    for kind in [FileKind::Certs, FileKind::Key] {
        if let Ok(p) = filetypes::parse(kind, data, "") {
            let back = filetypes::decode(&filetypes::encode(&p)).expect("own framing");
            assert_eq!(back.certs, p.certs);
        }
    }
});
