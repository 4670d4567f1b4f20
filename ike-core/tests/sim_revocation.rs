//! Certificate revocation between two engines: the responder (gateway) presents a certificate
//! of `tests/data/crl`, the initiator checks it against that CA's CRLs. A revoked certificate
//! is refused with a message naming it and nothing is installed; the same CA's other
//! certificate connects; an expired CRL fails a strict check and is reported otherwise.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use crate::common;

use std::net::IpAddr;
use std::time::Duration;

use common::Sim;
use common::{established, initiator_conn, responder_cfg, A, B};
use ike_core::engine::*;

fn crl_data(name: &str) -> Vec<u8> {
    let p = format!("{}/tests/data/crl/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&p).unwrap_or_else(|e| panic!("{p}: {e}"))
}

fn vectors(name: &str) -> Vec<u8> {
    let p = format!("{}/tests/vectors/certs/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&p).unwrap_or_else(|e| panic!("{p}: {e}"))
}

/// A day after the CRL data was made (its CRLs current, `crl_expired.der` expired).
fn wall() -> u64 {
    let t = String::from_utf8(crl_data("made.time")).unwrap();
    t.trim().parse::<u64>().unwrap() + 86_400
}

/// The client (node 0) connects to a gateway presenting `gw_<gateway>` and checks it with
/// `crls` (`strict` or not).
fn run(seed: u64, gateway: &str, crls: &[&str], strict: bool) -> Sim {
    let ecfg = || EngineConfig {
        wall_clock_at_zero: Some(wall() - 1000),
        ..EngineConfig::default()
    };
    let mut r = responder_cfg("unused");
    r.local_id = Identity::parse("@gw.example.org").unwrap();
    r.local_auth = LocalAuth::Certificate {
        chain: vec![crl_data(&format!("gw_{gateway}.der"))],
        key: SecretBytes::from_slice(&crl_data(&format!("gw_{gateway}.key.der"))),
    };
    r.remote_auth = RemoteAuth::Certificate {
        trust_anchors: vec![vectors("ca.der")],
        require_id_match: true,
        peer_name: None,
        revocation: Revocation::default(),
    };
    let mut rcfg = ecfg();
    rcfg.responders = vec![r];
    let ip = |x: &str| x.parse::<IpAddr>().unwrap();
    let mut sim = Sim::new(seed, (ip(A), ecfg()), (ip(B), rcfg));
    let mut c = initiator_conn("unused");
    c.local_id = Identity::parse("client@example").unwrap();
    c.remote_id = Some(Identity::parse("@gw.example.org").unwrap());
    c.local_auth = LocalAuth::Certificate {
        chain: vec![vectors("client_p256.der"), vectors("int.der")],
        key: SecretBytes::from_slice(&vectors("client_p256.key.der")),
    };
    c.remote_auth = RemoteAuth::Certificate {
        trust_anchors: vec![crl_data("ca.der")],
        require_id_match: true,
        peer_name: None,
        revocation: Revocation {
            crls: crls.iter().map(|n| crl_data(n)).collect(),
            strict,
        },
    };
    sim.nodes[0].engine.initiate(sim.now, c).unwrap();
    sim.run_until(Duration::from_secs(10), established);
    sim.run_for(Duration::from_secs(1));
    sim
}

fn installed(s: &Sim, i: usize) -> usize {
    s.nodes[i]
        .ops
        .iter()
        .filter(|o| matches!(o, KernelOp::InstallSa { .. }))
        .count()
}

fn unchecked(s: &Sim) -> Vec<String> {
    s.events(0)
        .into_iter()
        .filter_map(|e| match e {
            Event::RevocationUnchecked { detail, .. } => Some(detail.clone()),
            _ => None,
        })
        .collect()
}

/// The client refused the gateway with `what` in the detail; nothing of the client's is in
/// the kernel and the gateway's SAs are gone.
fn assert_refused(s: &Sim, what: &[&str]) {
    assert!(
        s.has_event(0, |e| matches!(
            e,
            Event::Failed {
                failure: f @ (Failure::AuthenticationFailed { by: AuthBy::Us, .. }
                    | Failure::CertificateRevoked { .. }),
                ..
            } if what.iter().all(|w| f.to_string().contains(w))
        )),
        "{:?}",
        s.events(0)
    );
    assert!(!established(s));
    assert_eq!(installed(s, 0), 0, "the client installed an SA");
    assert!(s.has_event(1, |e| matches!(e, Event::IkeSaDown { .. })));
}

#[test]
fn a_revoked_gateway_certificate_is_refused_and_named() {
    for strict in [false, true] {
        let s = run(91, "revoked", &["crl_revoked.der"], strict);
        assert_refused(
            &s,
            &[
                "CN=gw-revoked.example.org",
                "serial 1002",
                "is revoked",
                "key compromise",
            ],
        );
        assert!(s.has_event(0, |e| matches!(
            e,
            Event::Failed { failure: Failure::CertificateRevoked { serial, .. }, .. } if serial == "1002"
        )));
        // The gateway was told (AUTHENTICATION_FAILED).
        assert!(
            s.has_event(1, |e| matches!(
                e,
                Event::Failed {
                    failure: Failure::AuthenticationFailed {
                        by: AuthBy::Peer,
                        ..
                    },
                    ..
                }
            )),
            "{:?}",
            s.events(1)
        );
    }
}

#[test]
fn the_same_ca_s_other_certificate_connects() {
    let s = run(92, "good", &["crl_revoked.der"], true);
    assert!(established(&s), "{:?}", s.events(0));
    assert!(installed(&s, 0) > 0);
    assert!(unchecked(&s).is_empty());
}

#[test]
fn an_expired_crl_is_reported_or_fails_strict() {
    let s = run(93, "good", &["crl_expired.der"], false);
    assert!(established(&s), "{:?}", s.events(0));
    let u = unchecked(&s);
    assert_eq!(u.len(), 1, "{u:?}");
    assert!(u[0].contains("expired at"), "{u:?}");
    // Reported before the IKE SA is up.
    let ev = s.events(0);
    let warn = ev
        .iter()
        .position(|e| matches!(e, Event::RevocationUnchecked { .. }));
    let up = ev.iter().position(|e| matches!(e, Event::IkeSaUp { .. }));
    assert!(warn < up, "{ev:?}");

    let s = run(94, "good", &["crl_expired.der"], true);
    assert_refused(&s, &["revocation cannot be checked", "expired"]);
    // Even a relaxed check refuses what an expired CRL lists.
    let s = run(95, "revoked", &["crl_expired.der"], false);
    assert_refused(&s, &["serial 1002"]);
}

#[test]
fn unusable_crls_are_refused_when_initiating() {
    let mut c = initiator_conn("unused");
    c.remote_auth = RemoteAuth::Certificate {
        trust_anchors: vec![crl_data("ca.der")],
        require_id_match: true,
        peer_name: None,
        revocation: Revocation {
            crls: vec![b"junk".to_vec()],
            strict: false,
        },
    };
    let mut e = Engine::new(EngineConfig::default(), common::test_rng(1));
    assert!(matches!(
        e.initiate(Time::ZERO, c),
        Err(ConfigError::BadCredential(_))
    ));
}
