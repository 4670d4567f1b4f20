//! Libreswan ipsec.conf / ipsec.secrets parsing and mapping must never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = nm_plugin::import::ipsec_conf::import_str(text, None, None);
        let _ = nm_plugin::import::ipsec_conf::parse_secrets(text, "<fuzz>", None, 0);
        if let Ok(config) = nm_plugin::import::ipsec_conf::parse_str(text, None) {
            for name in config.conn_names() {
                let _ = nm_plugin::import::ipsec_conf::import_str(text, None, Some(&name));
            }
        }
    }
});
