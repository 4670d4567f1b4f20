//! `leftpkcs12`: our certificate chain and key from a PKCS#12 file (modern AES/PBKDF2 and legacy
//! 3DES/RC2 encryption, as `openssl pkcs12 -export` and `-legacy` write them), its password from
//! `leftkey-password`; a wrong password or a missing file is a clear error naming the key.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use ike_core::engine::LocalAuth;
use nm_plugin::driver::files::FileAccess;
use nm_plugin::driver::profile::connection_config;
use nm_plugin::settings::Settings;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/pkcs12")
        .join(name)
}

fn der_of_pem(path: &Path) -> Vec<u8> {
    let text = std::fs::read_to_string(path).unwrap();
    ike_core::crypto::pem::pem_to_der(&text)
        .unwrap()
        .der
        .to_vec()
}

fn profile(p12: &str, password: Option<&str>) -> Result<LocalAuth, String> {
    let mut d = BTreeMap::new();
    for (k, v) in [
        ("right", "192.0.2.2"),
        ("authby", "cert"),
        ("rightca", data("ca.crt").to_str().unwrap()),
        ("leftpkcs12", data(p12).to_str().unwrap()),
    ] {
        d.insert(k.to_string(), v.to_string());
    }
    let mut s = BTreeMap::new();
    if let Some(pw) = password {
        s.insert("leftkey-password".to_string(), pw.to_string());
    }
    let settings = Settings::from_maps(&d, &s).map_err(|e| format!("{e:?}"))?;
    let conn = connection_config(
        "p12",
        &settings,
        "192.0.2.2:500".parse().unwrap(),
        "192.0.2.1".parse().unwrap(),
        &FileAccess::Direct,
    )?;
    Ok(conn.local_auth)
}

#[test]
fn chain_and_key_come_from_modern_and_legacy_pkcs12() {
    let cert = der_of_pem(&data("client.crt"));
    let ca = der_of_pem(&data("ca.crt"));
    let key = std::fs::read(data("client.key.der")).unwrap();
    for file in ["client-aes.p12", "client-legacy.p12"] {
        match profile(file, Some("p12-test-password")).unwrap() {
            LocalAuth::Certificate { chain, key: k } => {
                assert_eq!(chain.first(), Some(&cert), "{file}: leaf first");
                assert!(chain.contains(&ca), "{file}: the CA travels along");
                assert_eq!(k.expose(), key.as_slice(), "{file}: the PKCS#8 key");
            }
            _ => panic!("{file}: not a certificate"),
        }
    }
}

#[test]
fn wrong_password_and_missing_file_are_clear_errors() {
    let e = profile("client-aes.p12", Some("wrong")).unwrap_err();
    // The file is named, the password is suspected (the wording is the parser's, see
    // driver/filetypes.rs, since the reader child parses PKCS#12 files).
    assert!(
        e.starts_with("leftpkcs12: ")
            && e.contains("client-aes.p12")
            && e.contains("leftkey-password"),
        "{e}"
    );
    let e = profile("client-aes.p12", None).unwrap_err();
    assert!(
        e.starts_with("leftpkcs12: ") && e.contains("leftkey-password"),
        "{e}"
    );
    assert!(!e.contains("p12-test-password"));
    let e = profile("missing.p12", Some("x")).unwrap_err();
    assert!(e.starts_with("leftpkcs12: cannot read"), "{e}");
}
