//! strongSwan swanctl.conf parsing and mapping must never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(imp) = nm_plugin::import::swanctl::import_str(text, None, None) {
            let _ = nm_plugin::import::export::to_swanctl(&imp.name, &imp.data, &imp.secrets);
            let _ = nm_plugin::import::export::to_ipsec_conf(&imp.name, &imp.data, &imp.secrets);
        }
    }
});
