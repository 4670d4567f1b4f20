//! Certificate authentication between two engines: RSA, ECDSA and Ed25519 keys, RFC 7427 and
//! classic signature methods, chains with an intermediate CA, and the failures users meet
//! (untrusted CA, identity not in the certificate, expired, wrong key usage).
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

fn local(ee: &str, with_int: bool) -> LocalAuth {
    let mut chain = vec![der(&format!("{ee}.der"))];
    if with_int {
        chain.push(der("int.der"));
    }
    LocalAuth::Certificate {
        chain,
        key: SecretBytes::from_slice(&der(&format!("{ee}.key.der"))),
    }
}

fn trust(cas: &[&str], require_id_match: bool) -> RemoteAuth {
    RemoteAuth::Certificate {
        trust_anchors: cas.iter().map(|c| der(&format!("{c}.der"))).collect(),
        require_id_match,
        peer_name: None,
        revocation: Revocation::default(),
    }
}

struct Setup {
    server: LocalAuth,
    server_trusts: RemoteAuth,
    client: LocalAuth,
    client_trusts: RemoteAuth,
    client_id: &'static str,
    server_id: &'static str,
    hashes: (bool, bool),
    pss: (bool, bool),
    /// Whether the server's engine is given a wall clock.
    server_clock: bool,
}

impl Default for Setup {
    fn default() -> Self {
        Setup {
            server: local("server_rsa", false),
            server_trusts: trust(&["ca"], true),
            client: local("client_p256", true),
            client_trusts: trust(&["ca"], true),
            client_id: "client@example",
            server_id: "@server.example",
            hashes: (true, true),
            pss: (false, false),
            server_clock: true,
        }
    }
}

fn ecfg(hashes: bool, pss: bool) -> EngineConfig {
    EngineConfig {
        // The simulation starts at 1000 s of engine time.
        wall_clock_at_zero: Some(WALL - 1000),
        send_signature_hashes: hashes,
        prefer_rsa_pss: pss,
        ..EngineConfig::default()
    }
}

fn run(seed: u64, s: Setup) -> Sim {
    run_with(seed, s, |_| {})
}

/// [`run`], with `prepare` applied to the simulation before the client initiates.
fn run_with(seed: u64, s: Setup, prepare: impl FnOnce(&mut Sim)) -> Sim {
    let mut r = responder_cfg("unused");
    r.local_id = Identity::parse(s.server_id).unwrap();
    r.local_auth = s.server;
    r.remote_auth = s.server_trusts;
    let mut rcfg = ecfg(s.hashes.1, s.pss.1);
    rcfg.responders = vec![r];
    if !s.server_clock {
        rcfg.wall_clock_at_zero = None;
    }
    let icfg = ecfg(s.hashes.0, s.pss.0);
    let ip = |x: &str| x.parse::<IpAddr>().unwrap();
    let mut sim = Sim::new(seed, (ip(A), icfg), (ip(B), rcfg));
    let mut c = initiator_conn("unused");
    c.local_id = Identity::parse(s.client_id).unwrap();
    c.remote_id = Some(Identity::parse(s.server_id).unwrap());
    c.local_auth = s.client;
    c.remote_auth = s.client_trusts;
    prepare(&mut sim);
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
        Event::IkeSaUp { remote_id, .. } if remote_id == "client@example"
    )));
}

/// Node `i` rejected the peer (AUTHENTICATION_FAILED by us) with `what` in the detail; the
/// other node learned it was rejected.
fn assert_rejected_by(s: &Sim, i: usize, what: &str) {
    assert!(
        s.has_event(i, |e| matches!(
            e,
            Event::Failed {
                failure: Failure::AuthenticationFailed { by: AuthBy::Us, detail },
                ..
            } if detail.contains(what)
        )),
        "node {i}: {:?}",
        s.events(i)
    );
    let peer = 1 - i;
    assert!(
        s.has_event(peer, |e| matches!(
            e,
            Event::Failed {
                failure: Failure::AuthenticationFailed {
                    by: AuthBy::Peer,
                    ..
                },
                ..
            }
        )),
        "node {peer}: {:?}",
        s.events(peer)
    );
    // Nothing stays up: no Child SA on the initiator, the responder's (if any) removed.
    assert_eq!(s.child_up_count(0), 0);
    assert!(s.has_event(1, |e| matches!(e, Event::IkeSaDown { .. })));
    assert_eq!(
        s.nodes[1]
            .ops
            .iter()
            .filter(|o| matches!(o, KernelOp::InstallSa { .. }))
            .count(),
        s.nodes[1]
            .ops
            .iter()
            .filter(|o| matches!(o, KernelOp::DeleteSa { .. }))
            .count()
    );
}

#[test]
fn rsa_server_ecdsa_client_via_intermediate() {
    assert_up(&run(1, Setup::default()));
}

#[test]
fn rsa_pss_both_ways() {
    assert_up(&run(
        2,
        Setup {
            client: local("client_rsa", true),
            pss: (true, true),
            ..Setup::default()
        },
    ));
}

#[test]
fn classic_methods_without_signature_hash_notify() {
    // No RFC 7427 announcement: ECDSA signs with RFC 4754 methods 9 (P-256) and 10 (P-384).
    assert_up(&run(
        3,
        Setup {
            server: local("server_p384", true),
            hashes: (false, false),
            ..Setup::default()
        },
    ));
    // One side only announces.
    assert_up(&run(
        4,
        Setup {
            server: local("server_p384", true),
            hashes: (true, false),
            ..Setup::default()
        },
    ));
}

#[test]
fn ed25519_client_and_p384_server() {
    assert_up(&run(
        5,
        Setup {
            server: local("server_p384", true),
            client: local("client_ed25519", false),
            ..Setup::default()
        },
    ));
}

#[test]
fn server_identified_by_ip_address() {
    let mut s = Setup {
        server: local("server_p384", true),
        server_id: "198.51.100.20",
        ..Setup::default()
    };
    s.client_trusts = trust(&["ca"], true);
    let sim = run(6, s);
    assert!(established(&sim));
}

#[test]
fn untrusted_client_ca() {
    let s = run(
        10,
        Setup {
            client: local("untrusted", false),
            ..Setup::default()
        },
    );
    assert_rejected_by(&s, 1, "not issued by a trusted certificate authority");
    assert!(s.has_event(0, |e| matches!(
        e,
        Event::Failed {
            failure: Failure::AuthenticationFailed {
                by: AuthBy::Peer,
                ..
            },
            ..
        }
    )));
}

#[test]
fn untrusted_server() {
    let s = run(
        11,
        Setup {
            client_trusts: trust(&["other_ca"], true),
            ..Setup::default()
        },
    );
    assert_rejected_by(&s, 0, "not issued by a trusted certificate authority");
}

#[test]
fn missing_intermediate() {
    let s = run(
        12,
        Setup {
            client: local("client_p256", false),
            ..Setup::default()
        },
    );
    assert_rejected_by(&s, 1, "trusted");
}

#[test]
fn identity_not_in_certificate() {
    let s = run(
        13,
        Setup {
            client: local("wrong_san", true),
            ..Setup::default()
        },
    );
    assert_rejected_by(&s, 1, "is not contained in its certificate");
    // The same certificate is accepted when the ID check is off.
    let s = run(
        14,
        Setup {
            client: local("wrong_san", true),
            server_trusts: trust(&["ca"], false),
            ..Setup::default()
        },
    );
    assert!(established(&s));
}

#[test]
fn server_identity_not_in_certificate() {
    let s = run(
        15,
        Setup {
            server_id: "@vpn.example",
            ..Setup::default()
        },
    );
    assert_rejected_by(&s, 0, "is not contained in its certificate");
}

#[test]
fn expired_certificate() {
    let s = run(
        16,
        Setup {
            client: local("expired", true),
            ..Setup::default()
        },
    );
    assert_rejected_by(&s, 1, "expired");
}

#[test]
fn wrong_extended_key_usage() {
    let s = run(
        17,
        Setup {
            client: local("codesign", true),
            ..Setup::default()
        },
    );
    assert_rejected_by(&s, 1, "extended key usage");
}

#[test]
fn psk_peer_when_certificate_required() {
    let s = run(
        18,
        Setup {
            client: LocalAuth::Psk(SecretBytes::from_slice(b"guess")),
            ..Setup::default()
        },
    );
    assert_rejected_by(&s, 1, "certificate is required");
}

#[test]
fn key_not_matching_certificate_is_a_config_error() {
    let mut c = initiator_conn("x");
    c.local_auth = LocalAuth::Certificate {
        chain: vec![der("client_p256.der")],
        key: SecretBytes::from_slice(&der("wrong_san.key.der")),
    };
    let mut e = Engine::new(ecfg(true, false), common::test_rng(1));
    assert!(matches!(
        e.initiate(Time::from_millis(0), c),
        Err(ConfigError::BadCredential(_))
    ));
}

#[test]
fn pem_helper_reads_every_certificate() {
    let dir = format!("{}/tests/vectors/certs", env!("CARGO_MANIFEST_DIR"));
    let text = [
        std::fs::read_to_string(format!("{dir}/int.pem")).unwrap(),
        std::fs::read_to_string(format!("{dir}/client_p256.key.pem")).unwrap(),
        std::fs::read_to_string(format!("{dir}/ca.pem")).unwrap(),
    ]
    .concat();
    let certs = load_pem_certs(&text).unwrap();
    assert_eq!(certs, vec![der("int.der"), der("ca.der")]);
    assert!(load_pem_certs("nothing here").is_err());
}

#[test]
fn distinguished_name_identity() {
    use x509_cert::der::{Decode, Encode};
    let subject = x509_cert::Certificate::from_der(&der("client_p256.der"))
        .unwrap()
        .tbs_certificate
        .subject
        .to_der()
        .unwrap();
    let mut r = responder_cfg("unused");
    r.local_auth = local("server_rsa", false);
    r.remote_auth = trust(&["ca"], true);
    r.remote_id = Some(Identity::DerDn(subject.clone()));
    let mut rcfg = ecfg(true, false);
    rcfg.responders = vec![r];
    let ip = |x: &str| x.parse::<IpAddr>().unwrap();
    let mut sim = Sim::new(30, (ip(A), ecfg(true, false)), (ip(B), rcfg));
    let mut c = initiator_conn("unused");
    c.local_id = Identity::DerDn(subject);
    c.local_auth = local("client_p256", true);
    c.remote_auth = trust_name(&["ca"], "server.example");
    sim.nodes[0].engine.initiate(sim.now, c).unwrap();
    assert!(sim.run_until(Duration::from_secs(10), established));
    assert_matching_keys(&sim);
}

// ---- the gateway's certificate must name the gateway (no rightid) ------------------------

/// Trust `cas` for a gateway reached as `right` without a configured identity.
fn trust_name(cas: &[&str], right: &str) -> RemoteAuth {
    RemoteAuth::Certificate {
        trust_anchors: cas.iter().map(|c| der(&format!("{c}.der"))).collect(),
        require_id_match: true,
        peer_name: Some(PeerName::parse(right).unwrap()),
        revocation: Revocation::default(),
    }
}

/// The client connects without `remote_id`, checking the server's certificate with
/// `client_trusts`; the server identifies itself as `server_id`.
fn run_without_rightid(seed: u64, server: LocalAuth, server_id: &str, trusts: RemoteAuth) -> Sim {
    let mut r = responder_cfg("unused");
    r.local_id = Identity::parse(server_id).unwrap();
    r.local_auth = server;
    r.remote_auth = trust(&["ca"], true);
    let mut rcfg = ecfg(true, false);
    rcfg.responders = vec![r];
    let ip = |x: &str| x.parse::<IpAddr>().unwrap();
    let mut sim = Sim::new(seed, (ip(A), ecfg(true, false)), (ip(B), rcfg));
    let mut c = initiator_conn("unused");
    c.local_id = Identity::parse("client@example").unwrap();
    c.remote_id = None;
    c.local_auth = local("client_p256", true);
    c.remote_auth = trusts;
    sim.nodes[0].engine.initiate(sim.now, c).unwrap();
    sim.run_until(Duration::from_secs(10), established);
    sim.run_for(Duration::from_secs(1));
    sim
}

/// The client refused the server's certificate as not naming `expected`, listing `presented`;
/// the server learned it was rejected and nothing stays up.
fn assert_wrong_name(s: &Sim, expected: &str, presented: &[&str]) {
    assert!(
        s.has_event(0, |e| matches!(
            e,
            Event::Failed {
                failure: Failure::CertificateNameMismatch { expected: x, presented: p },
                ..
            } if x == expected && p == presented
        )),
        "{:?}",
        s.events(0)
    );
    let text = s
        .events(0)
        .iter()
        .find_map(|e| match e {
            Event::Failed { failure, .. } => Some(failure.to_string()),
            _ => None,
        })
        .unwrap();
    assert!(
        text.contains(&format!("not valid for \"{expected}\"")) && text.contains(presented[0]),
        "{text}"
    );
    assert!(s.has_event(1, |e| matches!(
        e,
        Event::Failed {
            failure: Failure::AuthenticationFailed {
                by: AuthBy::Peer,
                ..
            },
            ..
        }
    )));
    assert_eq!(s.child_up_count(0), 0);
    assert!(!established(s));
}

#[test]
fn gateway_certificate_for_another_name_is_refused() {
    // A certificate from the trusted CA, for server.example, offered by "vpn.example.com".
    let s = run_without_rightid(
        40,
        local("server_rsa", false),
        "@server.example",
        trust_name(&["ca"], "vpn.example.com"),
    );
    assert_wrong_name(&s, "vpn.example.com", &["DNS:server.example"]);
}

#[test]
fn gateway_certificate_naming_the_gateway_is_accepted() {
    let s = run_without_rightid(
        41,
        local("server_rsa", false),
        "@server.example",
        trust_name(&["ca"], "Server.Example"),
    );
    assert!(established(&s), "{:?}", s.events(0));
    assert_matching_keys(&s);
    // By address: an IP subjectAltName.
    let s = run_without_rightid(
        42,
        local("server_p384", true),
        "@server.example",
        trust_name(&["ca"], "198.51.100.20"),
    );
    assert!(established(&s), "{:?}", s.events(0));
}

#[test]
fn gateway_identity_is_informational_without_rightid() {
    // The gateway sends an identity its certificate does not contain: the name decides.
    let s = run_without_rightid(
        43,
        local("server_p384", true),
        "@elsewhere.example",
        trust_name(&["ca"], "server.example"),
    );
    assert!(established(&s), "{:?}", s.events(0));
}

#[test]
fn gateway_by_address_with_only_a_dns_name_is_refused() {
    let s = run_without_rightid(
        44,
        local("server_rsa", false),
        "@server.example",
        trust_name(&["ca"], "198.51.100.20"),
    );
    assert_wrong_name(&s, "198.51.100.20", &["DNS:server.example"]);
    // And the other way round: a host name against a certificate with the address too.
    let s = run_without_rightid(
        45,
        local("server_p384", true),
        "@server.example",
        trust_name(&["ca"], "vpn.example.com"),
    );
    assert_wrong_name(
        &s,
        "vpn.example.com",
        &["DNS:server.example", "IP:198.51.100.20"],
    );
}

#[test]
fn neither_identity_nor_name_trusts_no_certificate() {
    // Any certificate from a trusted CA would do: refused.
    let s = run_without_rightid(
        46,
        local("server_rsa", false),
        "@server.example",
        trust(&["ca"], true),
    );
    assert!(!established(&s));
    assert!(
        s.has_event(0, |e| matches!(
            e,
            Event::Failed {
                failure: Failure::AuthenticationFailed { by: AuthBy::Us, detail },
                ..
            } if detail.contains("cannot be checked")
        )),
        "{:?}",
        s.events(0)
    );
}

#[test]
fn with_rightid_the_identity_must_match_and_be_in_the_certificate() {
    // rightid set: the gateway's IDr must be rightid...
    let mut r = responder_cfg("unused");
    r.local_id = Identity::parse("@server.example").unwrap();
    r.local_auth = local("server_rsa", false);
    r.remote_auth = trust(&["ca"], true);
    let mut rcfg = ecfg(true, false);
    rcfg.responders = vec![r];
    let ip = |x: &str| x.parse::<IpAddr>().unwrap();
    let mut sim = Sim::new(47, (ip(A), ecfg(true, false)), (ip(B), rcfg));
    let mut c = initiator_conn("unused");
    c.local_id = Identity::parse("client@example").unwrap();
    c.remote_id = Some(Identity::parse("@other.example").unwrap());
    c.local_auth = local("client_p256", true);
    c.remote_auth = trust(&["ca"], true);
    sim.nodes[0].engine.initiate(sim.now, c).unwrap();
    sim.run_until(Duration::from_secs(10), established);
    assert!(!established(&sim));
    assert!(
        sim.has_event(0, |e| matches!(
            e,
            Event::Failed {
                failure: Failure::AuthenticationFailed { by: AuthBy::Us, detail },
                ..
            } if detail.contains("does not match other.example")
        )),
        "{:?}",
        sim.events(0)
    );
    // ... and in its certificate (server_identity_not_in_certificate above).
}

/// The client engine without a configured wall clock.
fn clockless_client(sim: &mut Sim) {
    sim.nodes[0].engine = Engine::new(
        EngineConfig {
            send_signature_hashes: true,
            ..EngineConfig::default()
        },
        common::test_rng(77),
    );
}

#[test]
fn without_a_wall_clock_certificates_are_not_checked_and_it_is_our_fault() {
    // The engine reads no system clock: without one, the server's certificate cannot be
    // checked, and the failure names our missing clock (not the peer, not INVALID_SYNTAX).
    let s = run_with(31, Setup::default(), clockless_client);
    assert!(
        s.has_event(0, |e| matches!(
            e,
            Event::Failed {
                failure: Failure::Local {
                    fault: LocalFault::State,
                    detail,
                },
                ..
            } if detail.contains("wall clock")
        )),
        "{:?}",
        s.events(0)
    );
    assert_eq!(s.child_up_count(0), 0);
}

#[test]
fn set_wall_clock_gives_the_engine_the_time_for_certificates() {
    let s = run_with(32, Setup::default(), |sim| {
        clockless_client(sim);
        let now = sim.now;
        sim.nodes[0].engine.set_wall_clock(now, WALL);
    });
    assert_up(&s);
    // In 2001 the same certificates were not valid yet: the time given is the one used.
    let s = run_with(33, Setup::default(), |sim| {
        clockless_client(sim);
        let now = sim.now;
        sim.nodes[0].engine.set_wall_clock(now, 1_000_000_000);
    });
    assert_rejected_by(&s, 0, "not valid yet");
}

#[test]
fn a_server_without_wall_clock_does_not_blame_the_client() {
    let s = run(
        34,
        Setup {
            server_clock: false,
            ..Setup::default()
        },
    );
    assert!(
        s.has_event(1, |e| matches!(
            e,
            Event::Failed {
                failure: Failure::Local {
                    fault: LocalFault::State,
                    ..
                },
                ..
            }
        )),
        "{:?}",
        s.events(1)
    );
    // Our fault is not sent as the client's: no AUTHENTICATION_FAILED reaches it.
    assert!(!s.has_event(0, |e| matches!(
        e,
        Event::Failed {
            failure: Failure::AuthenticationFailed { .. } | Failure::PeerNotify { .. },
            ..
        }
    )));
    assert_eq!(s.child_up_count(0), 0);
}

#[test]
fn unusable_trust_anchors_are_our_fault_not_the_peers() {
    let s = run(
        35,
        Setup {
            server_trusts: RemoteAuth::Certificate {
                trust_anchors: vec![vec![0x30, 0x00]],
                require_id_match: true,
                peer_name: None,
                revocation: Revocation::default(),
            },
            ..Setup::default()
        },
    );
    assert!(
        s.has_event(1, |e| matches!(
            e,
            Event::Failed {
                failure: Failure::Local {
                    fault: LocalFault::State,
                    detail,
                },
                ..
            } if detail.contains("trust anchor")
        )),
        "{:?}",
        s.events(1)
    );
    assert!(!s.has_event(0, |e| matches!(
        e,
        Event::Failed {
            failure: Failure::AuthenticationFailed { .. },
            ..
        }
    )));
}
