//! Two engines establish IKE + Child SAs over a simulated network.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use crate::common;

use std::time::Duration;

use common::*;
use ike_core::engine::*;
use ike_core::wire::TrafficSelector;

#[test]
fn psk_establishes_ike_and_child() {
    let mut s = sim(1, responder_cfg("secret"));
    let mut conn = initiator_conn("secret");
    conn.request_config = RequestConfig {
        ipv4: true,
        ipv6: false,
        dns: true,
        ..RequestConfig::default()
    };
    s.nodes[0].engine.initiate(s.now, conn).unwrap();
    assert!(s.run_until(Duration::from_secs(10), established));
    assert_matching_keys(&s);
    let ev = s.events(0);
    assert!(matches!(ev[0], Event::IkeSaUp { .. }), "{ev:?}");
    assert!(matches!(ev[1], Event::ConfigReceived { .. }), "{ev:?}");
    assert!(matches!(ev[2], Event::ChildSaUp { .. }), "{ev:?}");
    if let Event::ConfigReceived { config, .. } = ev[1] {
        assert_eq!(config.addresses_v4[0].addr, ip("100.64.0.10"));
        assert_eq!(config.dns_v4, vec![ip("10.1.0.53")]);
        assert_eq!(config.domains, vec!["corp.example".to_string()]);
    }
    let ev = s.events(1);
    assert!(matches!(ev[0], Event::IkeSaUp { .. }));
    assert!(matches!(ev[1], Event::ChildSaUp { .. }));
}

#[test]
fn wrong_psk_fails_on_both_sides() {
    let mut s = sim(2, responder_cfg("secret"));
    s.nodes[0]
        .engine
        .initiate(s.now, initiator_conn("wrong"))
        .unwrap();
    s.run_for(Duration::from_secs(30));
    assert!(s.has_event(1, |e| matches!(
        e,
        Event::Failed {
            failure: Failure::AuthenticationFailed { by: AuthBy::Us, .. },
            ..
        }
    )));
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
fn no_responder_reports_no_response() {
    let mut s = sim(3, responder_cfg("secret"));
    s.blackhole = Some(1);
    let t0 = s.now;
    s.nodes[0]
        .engine
        .initiate(s.now, initiator_conn("secret"))
        .unwrap();
    s.run_for(Duration::from_secs(60));
    let (t, f) = s.nodes[0]
        .events
        .iter()
        .find_map(|(t, e)| match e {
            Event::Failed { failure, .. } => Some((*t, failure.clone())),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        f,
        Failure::NoResponse {
            tries: 4,
            last_port: 500
        }
    );
    assert!(t - t0 <= Duration::from_secs(16), "{:?}", t - t0);
}

#[test]
fn lossy_network_many_seeds() {
    for seed in 0..40 {
        let mut s = sim(seed, responder_cfg("secret"));
        s.imp = Impairments {
            loss: 0.2,
            dup: 0.2,
            jitter_ms: 300,
        };
        s.nodes[0]
            .engine
            .initiate(s.now, initiator_conn("secret"))
            .unwrap();
        if s.run_until(Duration::from_secs(14), established) {
            assert_matching_keys(&s);
        }
    }
}

#[test]
fn nat_box_floats_to_4500() {
    let mut s = sim(4, responder_cfg("secret"));
    s.nodes[0].addr = ip("10.0.0.2");
    s.nat = Some(Nat::new(ip("10.0.0.2"), ip(A)));
    let mut conn = initiator_conn("secret");
    conn.local_addr = Some(ip("10.0.0.2"));
    s.nodes[0].engine.initiate(s.now, conn).unwrap();
    assert!(s.run_until(Duration::from_secs(10), established));
    for i in 0..2 {
        assert!(
            s.has_event(i, |e| matches!(
                e,
                Event::ChildSaUp {
                    udp_encap: Some(_),
                    ..
                }
            )),
            "node {i}"
        );
    }
    assert!(s.nodes[0]
        .sent
        .iter()
        .any(|(f, t, _)| f.port() == 4500 && t.port() == 4500));
}

#[test]
fn delete_from_initiator() {
    let mut s = sim(5, responder_cfg("secret"));
    let h = s.nodes[0]
        .engine
        .initiate(s.now, initiator_conn("secret"))
        .unwrap();
    assert!(s.run_until(Duration::from_secs(10), established));
    let now = s.now;
    s.nodes[0].engine.close(now, h);
    s.run_for(Duration::from_secs(5));
    assert!(s.has_event(0, |e| matches!(
        e,
        Event::IkeSaDown {
            reason: DownReason::Closed,
            ..
        }
    )));
    assert!(s.has_event(1, |e| matches!(
        e,
        Event::IkeSaDown {
            reason: DownReason::DeletedByPeer,
            ..
        }
    )));
    assert!(s.nodes[1]
        .ops
        .iter()
        .any(|o| matches!(o, KernelOp::DeleteSa { .. })));
    assert_eq!(s.nodes[0].engine.ike_sa_count(), 0);
}

#[test]
fn dpd_liveness_keeps_sa() {
    let mut s = sim(6, responder_cfg("secret"));
    let mut conn = initiator_conn("secret");
    conn.dpd_delay = Some(Duration::from_secs(10));
    s.nodes[0].engine.initiate(s.now, conn).unwrap();
    assert!(s.run_until(Duration::from_secs(10), established));
    let before = s.nodes[0].sent.len();
    s.run_for(Duration::from_secs(35));
    assert!(s.nodes[0].sent.len() >= before + 3, "DPD requests sent");
    assert!(!s.has_event(0, |e| matches!(e, Event::Failed { .. })));
    // Peer disappears: the liveness check goes unanswered, the peer counts as dead.
    s.blackhole = Some(1);
    s.run_for(Duration::from_secs(40));
    assert!(s.has_event(0, |e| matches!(
        e,
        Event::Failed {
            failure: Failure::PeerDead { .. },
            ..
        }
    )));
}

fn policies(ops: &[KernelOp]) -> Vec<(Direction, TrafficSelector, TrafficSelector)> {
    ops.iter()
        .filter_map(|o| match o {
            KernelOp::InstallPolicy {
                dir,
                src_ts,
                dst_ts,
                ..
            } => Some((*dir, *src_ts, *dst_ts)),
            _ => None,
        })
        .collect()
}

#[test]
fn virtual_address_narrows_tsi_to_host() {
    let mut s = sim(11, responder_cfg("secret"));
    let mut conn = initiator_conn("secret");
    conn.request_config = RequestConfig {
        ipv4: true,
        ipv6: false,
        dns: false,
        ..RequestConfig::default()
    };
    s.nodes[0].engine.initiate(s.now, conn).unwrap();
    assert!(s.run_until(Duration::from_secs(10), established));
    let vip = ts("100.64.0.10", "100.64.0.10");
    let net = ts("10.1.0.0", "10.1.255.255");
    let up = |i: usize| {
        s.events(i)
            .into_iter()
            .find_map(|e| match e {
                Event::ChildSaUp {
                    local_ts,
                    remote_ts,
                    ..
                } => Some((local_ts.clone(), remote_ts.clone())),
                _ => None,
            })
            .unwrap()
    };
    assert_eq!(up(0), (vec![vip], vec![net]));
    assert_eq!(up(1), (vec![net], vec![vip]));
    let p0 = policies(&s.nodes[0].ops);
    assert!(p0.contains(&(Direction::Out, vip, net)), "{p0:?}");
    assert!(p0.contains(&(Direction::In, net, vip)), "{p0:?}");
    let p1 = policies(&s.nodes[1].ops);
    assert!(p1.contains(&(Direction::Out, net, vip)), "{p1:?}");
    assert!(p1.contains(&(Direction::In, vip, net)), "{p1:?}");
    assert!(p1.contains(&(Direction::Fwd, vip, net)), "{p1:?}");
    for (_, a, b) in p0.iter().chain(&p1) {
        assert!(!a.start_addr.is_unspecified() && !b.start_addr.is_unspecified());
    }
}
