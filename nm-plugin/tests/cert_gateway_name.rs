//! Certificate authentication of the gateway: without `rightid` its certificate must name
//! `right` (a DNS name or an IP address, carried to the engine as a typed [`PeerName`]); with
//! `rightid` the engine checks that identity instead; `require-id-on-certificate=no` is only
//! allowed with our own CA (`rightca`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use ike_core::engine::{PeerName, RemoteAuth};
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

fn remote_auth(extra: &[(&str, &str)], with_ca: bool) -> Result<RemoteAuth, String> {
    let ca = data("ca.crt");
    let p12 = data("client-aes.p12");
    let mut d = BTreeMap::new();
    let mut pairs = vec![("authby", "cert"), ("leftpkcs12", p12.to_str().unwrap())];
    if with_ca {
        pairs.push(("rightca", ca.to_str().unwrap()));
    }
    pairs.extend_from_slice(extra);
    for (k, v) in pairs {
        d.insert(k.to_string(), v.to_string());
    }
    let mut s = BTreeMap::new();
    s.insert(
        "leftkey-password".to_string(),
        "p12-test-password".to_string(),
    );
    let settings = Settings::from_maps(&d, &s).map_err(|e| format!("{e:?}"))?;
    let conn = connection_config(
        "cert",
        &settings,
        "192.0.2.2:500".parse().unwrap(),
        "192.0.2.1".parse().unwrap(),
        &FileAccess::Direct,
    )?;
    Ok(conn.remote_auth)
}

fn peer_name(extra: &[(&str, &str)]) -> Option<PeerName> {
    match remote_auth(extra, true).unwrap() {
        RemoteAuth::Certificate { peer_name, .. } => peer_name,
        _ => panic!("not certificate authentication"),
    }
}

#[test]
fn without_rightid_the_certificate_must_name_right() {
    assert_eq!(
        peer_name(&[("right", "VPN.example.com")]),
        Some(PeerName::Fqdn("vpn.example.com".into()))
    );
    assert_eq!(
        peer_name(&[("right", "192.0.2.2")]),
        Some(PeerName::Ip("192.0.2.2".parse().unwrap()))
    );
    assert_eq!(
        peer_name(&[("right", "2001:db8::2")]),
        Some(PeerName::Ip("2001:db8::2".parse().unwrap()))
    );
}

#[test]
fn with_rightid_the_identity_is_checked_instead() {
    assert_eq!(
        peer_name(&[("right", "192.0.2.2"), ("rightid", "@vpn.example.com")]),
        None
    );
    match remote_auth(
        &[("right", "192.0.2.2"), ("rightid", "@vpn.example.com")],
        true,
    )
    .unwrap()
    {
        RemoteAuth::Certificate {
            require_id_match, ..
        } => assert!(require_id_match),
        _ => panic!("not certificate authentication"),
    }
}

#[test]
fn no_id_check_needs_our_own_ca() {
    let e = remote_auth(
        &[
            ("right", "192.0.2.2"),
            ("rightid", "@vpn.example.com"),
            ("require-id-on-certificate", "no"),
        ],
        false,
    )
    .unwrap_err();
    assert!(
        e.contains("require-id-on-certificate=no needs rightca"),
        "{e}"
    );
    // With rightca it is the user's choice.
    assert!(remote_auth(
        &[
            ("right", "192.0.2.2"),
            ("rightid", "@vpn.example.com"),
            ("require-id-on-certificate", "no"),
        ],
        true,
    )
    .is_ok());
}

#[test]
fn eap_checks_the_gateway_certificate_the_same_way() {
    let ca = data("ca.crt");
    let d: BTreeMap<String, String> = [
        ("right", "VPN.example.com"),
        ("leftauth", "eap-mschapv2"),
        ("leftusername", "carol"),
        ("rightca", ca.to_str().unwrap()),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let s: BTreeMap<String, String> = [("password".to_string(), "pw".to_string())].into();
    let settings = Settings::from_maps(&d, &s).unwrap();
    let conn = connection_config(
        "eap",
        &settings,
        "192.0.2.2:500".parse().unwrap(),
        "192.0.2.1".parse().unwrap(),
        &FileAccess::Direct,
    )
    .unwrap();
    match &conn.local_auth {
        ike_core::engine::LocalAuth::Eap(c) => {
            assert_eq!(c.user, "carol");
            assert_eq!(c.method, ike_core::engine::EapMethod::MsChapV2);
            assert!(c.password.ct_eq(b"pw"));
        }
        other => panic!("{other:?}"),
    }
    match &conn.remote_auth {
        RemoteAuth::Certificate {
            peer_name,
            trust_anchors,
            ..
        } => {
            assert_eq!(peer_name, &Some(PeerName::Fqdn("vpn.example.com".into())));
            assert!(!trust_anchors.is_empty());
        }
        other => panic!("{other:?}"),
    }
    // Without the password (not given by an agent) the connection is refused, not tried.
    let none = Settings::from_maps(&d, &BTreeMap::new()).unwrap();
    let e = connection_config(
        "eap",
        &none,
        "192.0.2.2:500".parse().unwrap(),
        "192.0.2.1".parse().unwrap(),
        &FileAccess::Direct,
    )
    .unwrap_err();
    assert!(e.starts_with("password: "), "{e}");
}
