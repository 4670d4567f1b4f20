//! CRL checks on the data of `tests/data/crl` (made by its `make.sh` with openssl): a CA, a
//! good and a revoked gateway certificate, and CRLs listing it, listing nothing, expired, and
//! forged under the CA's name with another key.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use crate::api::{AuthBy, Failure, Revocation};
use crate::exchange::cert::validate;

fn file(name: &str) -> Vec<u8> {
    let p = format!("{}/tests/data/crl/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(p).unwrap()
}

/// A day after the data was made: the CRLs are current, `crl_expired.der` has expired.
fn now() -> u64 {
    let t = String::from_utf8(file("made.time")).unwrap();
    t.trim().parse::<u64>().unwrap() + 86_400
}

fn check(cert: &str, crls: &[&str], strict: bool) -> Result<Option<String>, Failure> {
    let rev = Revocation {
        crls: crls.iter().map(|c| file(c)).collect(),
        strict,
    };
    let ee = file(cert);
    validate(&[ee.as_slice()], &[file("ca.der")], &rev, now()).map(|(_, u)| u)
}

fn peer_detail(r: Result<Option<String>, Failure>) -> String {
    match r {
        Err(Failure::AuthenticationFailed {
            by: AuthBy::Us,
            detail,
        }) => detail,
        Err(f @ Failure::CertificateRevoked { .. }) => f.to_string(),
        other => panic!("not the peer's fault: {other:?}"),
    }
}

fn local_detail(r: Result<Option<String>, Failure>) -> String {
    match r {
        Err(Failure::Local { detail, .. }) => detail,
        other => panic!("not our fault: {other:?}"),
    }
}

#[test]
fn without_crls_nothing_is_checked() {
    assert_eq!(check("gw_revoked.der", &[], false).unwrap(), None);
}

#[test]
fn a_listed_certificate_is_refused_and_named() {
    for strict in [false, true] {
        let Err(Failure::CertificateRevoked {
            subject,
            serial,
            issuer,
            revoked_at,
            reason,
        }) = check("gw_revoked.der", &["crl_revoked.der"], strict)
        else {
            panic!("not refused as revoked");
        };
        assert_eq!(subject, "CN=gw-revoked.example.org,O=NM-ike test,C=XX");
        assert_eq!(serial, "1002");
        assert_eq!(issuer, "CN=Revocation Test CA,O=NM-ike test,C=XX");
        assert!(
            revoked_at.ends_with('Z') && revoked_at.contains('T'),
            "{revoked_at}"
        );
        assert_eq!(reason.as_deref(), Some("key compromise"));
        let d = peer_detail(check("gw_revoked.der", &["crl_revoked.der"], strict));
        assert!(d.contains("CN=gw-revoked.example.org"), "{d}");
        assert!(d.contains("serial 1002"), "{d}");
        assert!(d.contains("key compromise"), "{d}");
        assert!(d.contains("CN=Revocation Test CA"), "{d}");
        assert!(d.contains("is revoked"), "{d}");
        // The same CA's other certificate is not on the list.
        assert_eq!(
            check("gw_good.der", &["crl_revoked.der"], strict).unwrap(),
            None
        );
    }
}

#[test]
fn a_crl_not_listing_the_certificate_lets_it_pass() {
    assert_eq!(
        check("gw_revoked.der", &["crl_empty.der"], true).unwrap(),
        None
    );
}

#[test]
fn an_expired_crl_fails_strict_and_warns_otherwise() {
    let d = peer_detail(check("gw_good.der", &["crl_expired.der"], true));
    assert!(d.contains("expired"), "{d}");
    let w = check("gw_good.der", &["crl_expired.der"], false)
        .unwrap()
        .expect("a warning");
    assert!(w.contains("expired at"), "{w}");
    // An expired CRL still revokes what it lists (Libreswan's crl-strict=no).
    let d = peer_detail(check("gw_revoked.der", &["crl_expired.der"], false));
    assert!(d.contains("serial 1002"), "{d}");
}

#[test]
fn a_missing_crl_fails_strict_and_warns_otherwise() {
    // CRLs of our CA say nothing about certificates of the other test CA.
    let rev = |strict| Revocation {
        crls: vec![file("crl_revoked.der")],
        strict,
    };
    let vectors = |n: &str| {
        std::fs::read(format!(
            "{}/tests/vectors/certs/{n}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    };
    let ee = vectors("server_rsa.der");
    let anchors = [vectors("ca.der")];
    let r = validate(&[ee.as_slice()], &anchors, &rev(true), now()).map(|(_, u)| u);
    assert!(peer_detail(r).contains("no certificate revocation list"));
    let w = validate(&[ee.as_slice()], &anchors, &rev(false), now())
        .unwrap()
        .1
        .expect("a warning");
    assert!(
        w.contains("no certificate revocation list of its issuer"),
        "{w}"
    );
}

#[test]
fn a_crl_signed_by_another_key_is_our_fault() {
    for strict in [false, true] {
        let d = local_detail(check("gw_good.der", &["crl_forged.der"], strict));
        assert!(d.contains("not signed by the CA it names"), "{d}");
    }
}

#[test]
fn unusable_crl_configurations_are_refused() {
    let bad = Revocation {
        crls: vec![b"not a CRL".to_vec()],
        strict: false,
    };
    assert!(super::parse(&bad).is_err());
    let none = Revocation {
        crls: Vec::new(),
        strict: true,
    };
    let e = super::parse(&none).err().unwrap();
    assert!(local_detail(Err(e.into())).contains("without any"));
}

#[test]
fn pem_crls_are_loaded() {
    let pem = "-----BEGIN X509 CRL-----\nMAA=\n-----END X509 CRL-----\n\
               -----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n";
    assert_eq!(crate::api::load_pem_crls(pem).unwrap(), vec![vec![0x30, 0]]);
    assert!(crate::api::load_pem_crls(
        "-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n"
    )
    .is_err());
}

#[test]
fn serials_print_like_openssl() {
    assert_eq!(super::serial_hex(&[0x00, 0x8a, 0x01]), "8A01");
    assert_eq!(super::serial_hex(&[0x00]), "00");
    assert_eq!(super::serial_hex(&[0x10, 0x02]), "1002");
}
