//! Liveness of established IKE SAs on a virtual clock: NAT-keepalives (RFC 3948 §2.3) behind
//! a NAT only, every `nat_keepalive` of idleness; liveness checks bounded by `dpd_timeout`
//! ending in `Failure::PeerDead`; answered checks keeping the SA up for hours.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use crate::common;

use std::time::Duration;

use common::{established, initiator_conn, ip, responder_cfg, sim, Impairments, Nat, Sim};
use ike_core::engine::*;

const PRIVATE: &str = "10.0.0.2";

/// An established IKE SA; node 0 behind a NAT when `nat`.
fn setup(seed: u64, nat: bool, edit: impl FnOnce(&mut ConnectionConfig)) -> Sim {
    let mut s = sim(seed, responder_cfg("secret"));
    let mut conn = initiator_conn("secret");
    if nat {
        s.nodes[0].addr = ip(PRIVATE);
        s.nat = Some(Nat::new(ip(PRIVATE), ip(common::A)));
        conn.local_addr = Some(ip(PRIVATE));
    }
    edit(&mut conn);
    s.nodes[0].engine.initiate(s.now, conn).unwrap();
    assert!(s.run_until(Duration::from_secs(10), established));
    s
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

fn keepalive_times(s: &Sim, i: usize) -> Vec<Time> {
    s.nodes[i].keepalives.iter().map(|(t, _, _)| *t).collect()
}

#[test]
fn keepalives_every_20_s_behind_a_nat() {
    let mut s = setup(1, true, |_| {});
    let up = s.now;
    s.run_for(Duration::from_secs(201));
    let times = keepalive_times(&s, 0);
    assert_eq!(times.len(), 10, "{times:?}");
    // The first 20 s after the last IKE datagram (IKE_AUTH, sent just before `up`).
    let first = secs(times[0].saturating_since(up));
    assert!((19.9..=20.0).contains(&first), "{first}");
    for w in times.windows(2) {
        assert_eq!(w[1].saturating_since(w[0]), Duration::from_secs(20));
    }
    for (_, from, to) in &s.nodes[0].keepalives {
        assert_eq!((from.port(), to.port()), (4500, 4500));
        assert_eq!(to.ip(), ip(common::B));
    }
    // The gateway is not behind a NAT: it sends none.
    assert!(s.nodes[1].keepalives.is_empty());
    // The gateway ignores them; nothing failed.
    for i in 0..2 {
        assert!(!s.has_event(i, |e| matches!(e, Event::Failed { .. })));
    }
}

#[test]
fn no_keepalives_without_a_nat() {
    let mut s = setup(2, false, |_| {});
    s.run_for(Duration::from_secs(300));
    assert_eq!(keepalive_times(&s, 0), vec![]);
    assert_eq!(keepalive_times(&s, 1), vec![]);
    // Not even when an idle SA is all there is: nothing is sent at all.
    let sent = s.nodes[0].sent.len();
    s.run_for(Duration::from_secs(300));
    assert_eq!(s.nodes[0].sent.len(), sent);
}

#[test]
fn no_keepalives_when_turned_off() {
    let mut s = setup(3, true, |c| c.nat_keepalive = None);
    s.run_for(Duration::from_secs(300));
    assert_eq!(keepalive_times(&s, 0), vec![]);
}

#[test]
fn keepalives_wake_the_driver() {
    let s = setup(4, true, |_| {});
    let next = s.nodes[0].engine.poll_timeout().unwrap();
    let wait = secs(next.saturating_since(s.now));
    assert!((19.9..=20.0).contains(&wait), "{wait}");
}

#[test]
fn an_ike_exchange_resets_the_idle_clock() {
    let mut s = setup(5, true, |_| {});
    s.run_for(Duration::from_secs(15));
    assert!(keepalive_times(&s, 0).is_empty());
    let h = s.ike_up(0).unwrap();
    let rekeyed_at = s.now;
    s.nodes[0].engine.rekey_ike(rekeyed_at, h);
    s.run_for(Duration::from_secs(30));
    let times = keepalive_times(&s, 0);
    assert_eq!(times.len(), 1, "{times:?}");
    // 20 s after the rekey's last datagram (the Delete of the old IKE SA), not 20 s after
    // the IKE SA came up.
    let after = secs(times[0].saturating_since(rekeyed_at));
    assert!((20.0..=20.1).contains(&after), "{after}");
}

#[test]
fn liveness_checks_keep_the_idle_clock_from_running_out() {
    // Checks every 15 s send a datagram before 20 s of idleness: no keepalive is needed.
    let mut s = setup(6, true, |c| c.dpd_delay = Some(Duration::from_secs(15)));
    s.run_for(Duration::from_secs(300));
    assert!(keepalive_times(&s, 0).is_empty());
    assert!(!s.has_event(0, |e| matches!(e, Event::Failed { .. })));
}

fn failed_at(s: &Sim, i: usize) -> Option<(Time, Failure)> {
    s.nodes[i].events.iter().find_map(|(t, e)| match e {
        Event::Failed { failure, .. } => Some((*t, failure.clone())),
        _ => None,
    })
}

/// The peer goes silent right after establishment; node 0 checks after `delay` of silence
/// and gives up `timeout` later.
fn peer_dead_after(seed: u64, delay: u64, timeout: u64) {
    let mut s = setup(seed, false, |c| {
        c.dpd_delay = Some(Duration::from_secs(delay));
        c.dpd_timeout = Some(Duration::from_secs(timeout));
    });
    let up = s.now;
    s.blackhole = Some(1);
    s.run_for(Duration::from_secs(delay + timeout + 30));
    let (at, failure) = failed_at(&s, 0).expect("the peer counts as dead");
    let expect = (delay + timeout) as f64;
    let after = secs(at.saturating_since(up));
    let step = (timeout as f64 / 5.0).max(1.0);
    assert!(
        after >= expect - 0.1 && after <= expect + step,
        "failed {after} s after up, expected {expect} s"
    );
    match failure {
        Failure::PeerDead { silent_for } => {
            assert!((secs(silent_for) - after).abs() < 0.1, "{silent_for:?}");
        }
        f => panic!("{f:?}"),
    }
    // The check was retransmitted within the timeout, on its own schedule.
    let checks = s.nodes[0].sent.len() - 2;
    assert!(checks >= 2, "{checks} liveness check transmissions");
    assert!(s.has_event(0, |e| matches!(
        e,
        Event::IkeSaDown {
            reason: DownReason::Failed(Failure::PeerDead { .. }),
            ..
        }
    )));
    assert!(s.has_event(0, |e| matches!(e, Event::ChildSaDown { .. })));
    let deleted = s.nodes[0]
        .ops
        .iter()
        .filter(|o| matches!(o, KernelOp::DeleteSa { .. }))
        .count();
    assert_eq!(deleted, 2, "both kernel SAs of the Child SA");
    assert_eq!(s.nodes[0].engine.ike_sa_count(), 0);
}

#[test]
fn silent_peer_is_dead_after_dpd_delay_plus_dpd_timeout() {
    peer_dead_after(10, 30, 20);
}

#[test]
fn dpd_timeout_may_be_shorter_than_dpd_delay() {
    peer_dead_after(11, 60, 5);
}

#[test]
fn silent_peer_without_dpd_timeout_is_dead_too() {
    let mut s = setup(12, false, |c| c.dpd_delay = Some(Duration::from_secs(30)));
    s.blackhole = Some(1);
    s.run_for(Duration::from_secs(120));
    let (_, failure) = failed_at(&s, 0).unwrap();
    assert!(matches!(failure, Failure::PeerDead { .. }), "{failure:?}");
}

#[test]
fn answering_peer_keeps_the_sa_up_for_hours() {
    let mut s = setup(13, true, |c| {
        c.dpd_delay = Some(Duration::from_secs(30));
        c.dpd_timeout = Some(Duration::from_secs(10));
    });
    s.imp = Impairments {
        loss: 0.05,
        dup: 0.0,
        jitter_ms: 50,
    };
    let sent = s.nodes[0].sent.len();
    s.run_for(Duration::from_secs(5 * 3600));
    // About one check every 30 s, some retransmitted.
    let checks = s.nodes[0].sent.len() - sent;
    assert!(checks >= 5 * 120, "{checks} datagrams");
    for i in 0..2 {
        assert!(
            !s.has_event(i, |e| matches!(
                e,
                Event::Failed { .. } | Event::IkeSaDown { .. } | Event::ChildSaDown { .. }
            )),
            "node {i}: {:?}",
            failed_at(&s, i)
        );
    }
    assert_eq!(s.nodes[0].engine.ike_sa_count(), 1);
}

#[test]
fn a_gateway_behind_a_nat_sends_keepalives_every_20_s() {
    // The responder's profile: keepalives every 20 s when it is the one behind a NAT.
    let mut s = sim(20, responder_cfg("secret"));
    s.nodes[1].addr = ip("10.9.0.2");
    let mut nat = Nat::new(ip("10.9.0.2"), ip(common::B));
    nat.forward(500);
    nat.forward(4500);
    s.nat = Some(nat);
    s.nodes[0]
        .engine
        .initiate(s.now, initiator_conn("secret"))
        .unwrap();
    assert!(s.run_until(Duration::from_secs(10), established));
    s.run_for(Duration::from_secs(101));
    let times = keepalive_times(&s, 1);
    assert_eq!(times.len(), 5, "{times:?}");
    for w in times.windows(2) {
        assert_eq!(w[1].saturating_since(w[0]), Duration::from_secs(20));
    }
    // The client is not behind a NAT.
    assert!(keepalive_times(&s, 0).is_empty());
}
