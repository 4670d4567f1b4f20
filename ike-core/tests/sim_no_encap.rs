//! `no_encap = true`: NAT detection still runs, and a NAT on the path ends the attempt with
//! `Failure::NatWithoutEncapsulation` instead of moving to port 4500; `force_encap` with it is
//! a configuration error.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use crate::common;

use std::time::Duration;

use common::{established, initiator_conn, ip, responder_cfg, sim, Nat, Sim, A, B};
use ike_core::engine::*;

fn failure(s: &Sim, i: usize) -> Option<Failure> {
    s.events(i).into_iter().find_map(|e| match e {
        Event::Failed { failure, .. } => Some(failure.clone()),
        _ => None,
    })
}

/// Node 0 behind a NAT.
fn client_behind_nat(seed: u64, no_encap: bool) -> Sim {
    let mut s = sim(seed, responder_cfg("secret"));
    s.nodes[0].addr = ip("10.0.0.2");
    s.nat = Some(Nat::new(ip("10.0.0.2"), ip(A)));
    let mut conn = initiator_conn("secret");
    conn.local_addr = Some(ip("10.0.0.2"));
    conn.no_encap = no_encap;
    s.nodes[0].engine.initiate(s.now, conn).unwrap();
    s
}

#[test]
fn nat_in_front_of_us_fails_without_encapsulation() {
    let mut s = client_behind_nat(1, true);
    s.run_for(Duration::from_secs(60));
    assert_eq!(
        failure(&s, 0),
        Some(Failure::NatWithoutEncapsulation { local_behind: true })
    );
    assert!(s.has_event(0, |e| matches!(e, Event::IkeSaDown { .. })));
    // IKE_SA_INIT only: nothing on port 4500, no IKE_AUTH, no kernel state.
    assert_eq!(s.nodes[0].sent.len(), 1, "{:?}", s.nodes[0].sent);
    assert!(s.nodes[0]
        .sent
        .iter()
        .all(|(f, t, _)| f.port() == 500 && t.port() == 500));
    assert!(s.nodes[0].ops.is_empty(), "{:?}", s.nodes[0].ops);
    assert!(s.nodes[1].ops.is_empty(), "{:?}", s.nodes[1].ops);
    assert_eq!(s.nodes[0].engine.ike_sa_count(), 0);
}

#[test]
fn same_nat_with_encapsulation_allowed_floats() {
    let mut s = client_behind_nat(2, false);
    assert!(s.run_until(Duration::from_secs(10), established));
    assert!(failure(&s, 0).is_none());
}

#[test]
fn nat_in_front_of_the_peer_fails_without_encapsulation() {
    // The gateway sits behind a NAT that forwards port 500 to it.
    let mut s = sim(3, responder_cfg("secret"));
    s.nodes[1].addr = ip("10.9.0.2");
    let mut nat = Nat::new(ip("10.9.0.2"), ip(B));
    nat.forward(500);
    s.nat = Some(nat);
    let mut conn = initiator_conn("secret");
    conn.no_encap = true;
    s.nodes[0].engine.initiate(s.now, conn).unwrap();
    s.run_for(Duration::from_secs(60));
    assert_eq!(
        failure(&s, 0),
        Some(Failure::NatWithoutEncapsulation {
            local_behind: false
        })
    );
    assert_eq!(s.nodes[0].sent.len(), 1);
    assert!(s.nodes[0].ops.is_empty());
}

#[test]
fn no_nat_no_encapsulation_works() {
    let mut s = sim(4, responder_cfg("secret"));
    let mut conn = initiator_conn("secret");
    conn.no_encap = true;
    s.nodes[0].engine.initiate(s.now, conn).unwrap();
    assert!(s.run_until(Duration::from_secs(10), established));
    assert!(s.has_event(0, |e| matches!(
        e,
        Event::ChildSaUp {
            udp_encap: None,
            ..
        }
    )));
}

#[test]
fn forced_and_no_encapsulation_together_are_refused() {
    let mut s = sim(5, responder_cfg("secret"));
    let mut conn = initiator_conn("secret");
    conn.no_encap = true;
    conn.force_encap = true;
    let r = s.nodes[0].engine.initiate(s.now, conn);
    assert!(matches!(r, Err(ConfigError::Invalid(_))), "{r:?}");
    assert!(s.nodes[0].engine.poll_transmit().is_none());
    assert_eq!(s.nodes[0].engine.ike_sa_count(), 0);
}
