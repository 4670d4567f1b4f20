//! EAP inside IKE_AUTH (RFC 7296 §2.16) between two engines: our initiator answers with a user
//! name and password (EAP-MSCHAPv2, EAP-GTC), our responder is the EAP server and proves
//! itself with its certificate. Right and wrong passwords, unknown users, a method the server
//! does not offer, a gateway whose certificate is not trusted.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs,
    dead_code
)]

use crate::common;

use std::net::IpAddr;
use std::time::Duration;

use common::Sim;
use common::{assert_matching_keys, established, initiator_conn, responder_cfg, A, B};
use ike_core::engine::*;

use common::certs::{der, WALL};

struct Setup {
    client_method: EapMethod,
    server_method: EapMethod,
    user: &'static str,
    password: &'static str,
    trust: &'static str,
}

impl Default for Setup {
    fn default() -> Self {
        Setup {
            client_method: EapMethod::MsChapV2,
            server_method: EapMethod::MsChapV2,
            user: "carol",
            password: "Correct horse, battery staple ✓",
            trust: "ca",
        }
    }
}

fn run(seed: u64, s: Setup) -> Sim {
    let mut r = responder_cfg("unused");
    r.local_id = Identity::parse("@server.example").unwrap();
    r.remote_id = None;
    r.local_auth = LocalAuth::Certificate {
        chain: vec![der("server_rsa.der")],
        key: SecretBytes::from_slice(&der("server_rsa.key.der")),
    };
    r.remote_auth = RemoteAuth::Eap(EapServer {
        method: s.server_method,
        users: vec![
            (
                "carol".into(),
                SecretBytes::from_slice("Correct horse, battery staple ✓".as_bytes()),
            ),
            ("dave".into(), SecretBytes::from_slice(b"other")),
        ],
    });
    let cfg = || EngineConfig {
        wall_clock_at_zero: Some(WALL - 1000),
        ..EngineConfig::default()
    };
    let mut rcfg = cfg();
    rcfg.responders = vec![r];
    let ip = |x: &str| x.parse::<IpAddr>().unwrap();
    let mut sim = Sim::new(seed, (ip(A), cfg()), (ip(B), rcfg));
    let mut c = initiator_conn("unused");
    // The IKE identity is not the EAP identity.
    c.local_id = Identity::parse("@laptop.example").unwrap();
    c.remote_id = Some(Identity::parse("@server.example").unwrap());
    c.local_auth = LocalAuth::Eap(EapCredentials {
        method: s.client_method,
        user: s.user.into(),
        password: SecretBytes::from_slice(s.password.as_bytes()),
    });
    c.remote_auth = RemoteAuth::Certificate {
        trust_anchors: vec![der(&format!("{}.der", s.trust))],
        require_id_match: true,
        peer_name: None,
        revocation: Default::default(),
    };
    sim.nodes[0].engine.initiate(sim.now, c).unwrap();
    sim.run_until(Duration::from_secs(10), established);
    sim.run_for(Duration::from_secs(1));
    sim
}

fn assert_up(s: &Sim) {
    assert!(
        established(s),
        "not established: {:?}\n{:?}",
        s.events(0),
        s.events(1)
    );
    assert_matching_keys(s);
    assert!(s.has_event(0, |e| matches!(
        e,
        Event::IkeSaUp { remote_id, .. } if remote_id == "server.example"
    )));
    assert!(s.has_event(1, |e| matches!(
        e,
        Event::IkeSaUp { remote_id, .. } if remote_id == "laptop.example"
    )));
}

/// The client failed with `client`, the server refused the user, and nothing is up.
fn assert_refused(s: &Sim, client: impl Fn(&Failure) -> bool) {
    assert!(
        s.has_event(
            0,
            |e| matches!(e, Event::Failed { failure, .. } if client(failure))
        ),
        "client: {:?}",
        s.events(0)
    );
    assert!(
        s.has_event(1, |e| matches!(
            e,
            Event::Failed {
                failure: Failure::AuthenticationFailed { by: AuthBy::Us, .. },
                ..
            }
        )),
        "server: {:?}",
        s.events(1)
    );
    assert_eq!(s.child_up_count(0), 0);
    assert_eq!(s.child_up_count(1), 0);
    assert!(!s.has_event(0, |e| matches!(e, Event::IkeSaUp { .. })));
    assert!(!s.has_event(1, |e| matches!(e, Event::IkeSaUp { .. })));
}

#[test]
fn mschapv2_right_password() {
    let s = run(1, Setup::default());
    assert_up(&s);
    assert_eq!(s.child_up_count(0), 1);
}

#[test]
fn mschapv2_wrong_password_names_the_cause() {
    let s = run(
        2,
        Setup {
            password: "wrong",
            ..Setup::default()
        },
    );
    assert_refused(&s, |f| {
        matches!(f, Failure::EapRefused { method: "eap-mschapv2", detail } if detail.contains("691"))
            && f.to_string().contains("refused the user name or password")
    });
}

#[test]
fn mschapv2_unknown_user() {
    let s = run(
        3,
        Setup {
            user: "mallory",
            ..Setup::default()
        },
    );
    assert_refused(&s, |f| matches!(f, Failure::EapRefused { .. }));
}

#[test]
fn gtc_right_and_wrong_password() {
    let gtc = || Setup {
        client_method: EapMethod::Gtc,
        server_method: EapMethod::Gtc,
        ..Setup::default()
    };
    assert_up(&run(4, gtc()));
    let s = run(
        5,
        Setup {
            password: "nope",
            ..gtc()
        },
    );
    assert_refused(&s, |f| {
        matches!(
            f,
            Failure::EapRefused {
                method: "eap-gtc",
                ..
            }
        )
    });
}

#[test]
fn method_the_server_does_not_offer_is_refused() {
    // The server asks for GTC; the client answers with a Nak for MS-CHAPv2 and never sends
    // its password in the clear.
    let s = run(
        6,
        Setup {
            server_method: EapMethod::Gtc,
            ..Setup::default()
        },
    );
    assert_refused(&s, |f| matches!(f, Failure::EapRefused { .. }));
}

#[test]
fn untrusted_gateway_gets_no_eap_answer() {
    // The client does not trust the gateway's CA: it fails on the gateway's AUTH, before
    // answering any EAP request.
    let s = run(
        7,
        Setup {
            trust: "other_ca",
            ..Setup::default()
        },
    );
    assert!(
        s.has_event(0, |e| matches!(
            e,
            Event::Failed {
                failure: Failure::AuthenticationFailed { by: AuthBy::Us, .. },
                ..
            }
        )),
        "{:?}",
        s.events(0)
    );
    assert!(!established(&s));
    assert_eq!(s.child_up_count(1), 0);
}

#[test]
fn eap_client_needs_a_certificate_gateway() {
    let mut c = initiator_conn("k");
    c.local_auth = LocalAuth::Eap(EapCredentials {
        method: EapMethod::MsChapV2,
        user: "carol".into(),
        password: SecretBytes::from_slice(b"x"),
    });
    let mut e = Engine::new(EngineConfig::default(), common::test_rng(1));
    let r = e.initiate(Time::from_millis(0), c);
    assert!(
        matches!(&r, Err(ConfigError::Invalid(m)) if m.contains("certificate")),
        "{r:?}"
    );
}

#[test]
fn md5_right_and_wrong_password() {
    let md5 = || Setup {
        client_method: EapMethod::Md5,
        server_method: EapMethod::Md5,
        ..Setup::default()
    };
    assert_up(&run(8, md5()));
    let s = run(
        9,
        Setup {
            password: "nope",
            ..md5()
        },
    );
    assert_refused(&s, |f| {
        matches!(
            f,
            Failure::EapRefused {
                method: "eap-md5",
                ..
            }
        )
    });
}
