//! `rightcrl` and `crl-strict`: the CRL file (PEM with several `X509 CRL` blocks, or one DER
//! CRL) reaches the engine's `Revocation` as DER, with the strictness; the settings refuse
//! `crl-strict=yes` without CRLs and both keys with a pre-shared key. (The engine's checks are
//! in ike-core's `sim_revocation`; a real gateway in the lab scenario `auth-revoked-cert`.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use ike_core::engine::{RemoteAuth, Revocation};
use nm_plugin::driver::files::FileAccess;
use nm_plugin::driver::profile::connection_config;
use nm_plugin::settings::Settings;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn data(dir: &str, name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(dir).join(name)
}

fn engine_crl(name: &str) -> PathBuf {
    data("../ike-core/tests/data/crl", name)
}

fn settings(extra: &[(&str, &str)]) -> Result<Settings, String> {
    let ca = data("tests/data/pkcs12", "ca.crt");
    let p12 = data("tests/data/pkcs12", "client-aes.p12");
    let mut d = BTreeMap::new();
    let mut pairs = vec![
        ("right", "192.0.2.2"),
        ("authby", "cert"),
        ("leftpkcs12", p12.to_str().unwrap()),
        ("rightca", ca.to_str().unwrap()),
    ];
    pairs.extend_from_slice(extra);
    for (k, v) in pairs {
        d.insert(k.to_string(), v.to_string());
    }
    let mut s = BTreeMap::new();
    s.insert(
        "leftkey-password".to_string(),
        "p12-test-password".to_string(),
    );
    Settings::from_maps(&d, &s).map_err(|e| format!("{e:?}"))
}

fn revocation(extra: &[(&str, &str)]) -> Result<Revocation, String> {
    let conn = connection_config(
        "cert",
        &settings(extra)?,
        "192.0.2.2:500".parse().unwrap(),
        "192.0.2.1".parse().unwrap(),
        &FileAccess::Direct,
    )?;
    match conn.remote_auth {
        RemoteAuth::Certificate { revocation, .. } => Ok(revocation),
        _ => panic!("not certificate authentication"),
    }
}

#[test]
fn without_rightcrl_nothing_is_checked() {
    let r = revocation(&[]).unwrap();
    assert!(r.crls.is_empty());
    assert!(!r.strict);
}

#[test]
fn every_crl_of_a_pem_file_reaches_the_engine() {
    let pem = data("tests/data/crl", "two.pem");
    let r = revocation(&[("rightcrl", pem.to_str().unwrap())]).unwrap();
    let want = [
        std::fs::read(engine_crl("crl_revoked.der")).unwrap(),
        std::fs::read(engine_crl("crl_empty.der")).unwrap(),
    ];
    assert_eq!(r.crls, want);
    assert!(!r.strict, "crl-strict defaults to no");
}

#[test]
fn a_der_crl_and_strictness() {
    let der = engine_crl("crl_revoked.der");
    let r = revocation(&[("rightcrl", der.to_str().unwrap()), ("crl-strict", "yes")]).unwrap();
    assert_eq!(r.crls, [std::fs::read(&der).unwrap()]);
    assert!(r.strict);
}

#[test]
fn a_file_without_crls_is_refused_naming_the_key() {
    let cert = data("tests/data/pkcs12", "ca.crt");
    let e = revocation(&[("rightcrl", cert.to_str().unwrap())]).unwrap_err();
    assert!(e.contains("rightcrl") && e.contains("no CRL"), "{e}");
    let missing = revocation(&[("rightcrl", "/nonexistent/crl.pem")]).unwrap_err();
    assert!(missing.contains("rightcrl"), "{missing}");
}

#[test]
fn strict_needs_crls_and_both_need_certificates() {
    let e = settings(&[("crl-strict", "yes")]).unwrap_err();
    assert!(e.contains("crl-strict") && e.contains("rightcrl"), "{e}");
    assert!(settings(&[("crl-strict", "maybe")]).is_err());
    let der = engine_crl("crl_revoked.der");
    for (k, v) in [("rightcrl", der.to_str().unwrap()), ("crl-strict", "no")] {
        let mut d = BTreeMap::new();
        d.insert("right".to_string(), "192.0.2.2".to_string());
        d.insert(k.to_string(), v.to_string());
        let mut s = BTreeMap::new();
        s.insert(
            "pskvalue".to_string(),
            "a-psk-of-at-least-20-chars".to_string(),
        );
        let e = format!("{:?}", Settings::from_maps(&d, &s).unwrap_err());
        assert!(e.contains(k) && e.contains("certificate"), "{e}");
    }
}
