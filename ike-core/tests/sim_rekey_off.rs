//! `rekey = false`: we never rekey our SAs; the IKE SA ends at its lifetime with
//! `Failure::IkeLifetimeExpired { rekey_disabled: true }`, a Child SA at its hard kernel
//! expiry (with a Delete to the peer); the peer's rekeys are still answered.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use crate::common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::{established, initiator_conn, responder_cfg, sim, Sim};
use ike_core::engine::*;

fn setup(seed: u64, ike_lifetime: u64) -> Sim {
    let mut r = responder_cfg("secret");
    // The gateway's own lifetime is long: it does not rekey within the tests.
    r.ike_lifetime = Duration::from_secs(100_000);
    let mut c = initiator_conn("secret");
    c.rekey = false;
    c.ike_lifetime = Duration::from_secs(ike_lifetime);
    let mut s = sim(seed, r);
    s.nodes[0].engine.initiate(s.now, c).unwrap();
    assert!(s.run_until(Duration::from_secs(10), established));
    s
}

fn live_children(s: &Sim, i: usize) -> BTreeSet<u32> {
    let mut live = BTreeSet::new();
    for e in s.events(i) {
        match e {
            Event::ChildSaUp { spi_in, .. } => {
                live.insert(*spi_in);
            }
            Event::ChildSaDown { spi_in, .. } => {
                live.remove(spi_in);
            }
            _ => {}
        }
    }
    live
}

fn expire(s: &mut Sim, i: usize, hard: bool) -> u32 {
    let spi = *live_children(s, i).first().unwrap();
    let now = s.now;
    s.nodes[i]
        .engine
        .handle_kernel_event(now, KernelEvent::SaExpired { spi, hard });
    spi
}

#[test]
fn ike_sa_without_rekey_ends_at_its_lifetime() {
    let mut s = setup(1, 600);
    let h = s.ike_up(0).unwrap();
    let spis = s.nodes[0].engine.ike_sa_spis(h).unwrap();
    let up = s.now;
    s.run_for(Duration::from_secs(599));
    // Never rekeyed (no rekey at 90 %), still up.
    assert_eq!(s.nodes[0].engine.ike_sa_spis(h), Some(spis));
    assert!(!s.has_event(0, |e| matches!(e, Event::Failed { .. })));
    s.run_for(Duration::from_secs(10));
    let (at, failure) = s.nodes[0]
        .events
        .iter()
        .find_map(|(t, e)| match e {
            Event::Failed { failure, .. } => Some((*t, failure.clone())),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        failure,
        Failure::IkeLifetimeExpired {
            rekey_disabled: true
        }
    );
    let after = at.saturating_since(up).as_secs_f64();
    assert!((599.9..=600.1).contains(&after), "{after}");
    assert!(s.has_event(0, |e| matches!(e, Event::IkeSaDown { .. })));
    // The gateway was told.
    assert!(s.has_event(1, |e| matches!(
        e,
        Event::IkeSaDown {
            reason: DownReason::DeletedByPeer,
            ..
        }
    )));
    assert_eq!((s.nodes[0].engine.ike_sa_count(), 1), (0, 1));
}

#[test]
fn soft_child_expiry_starts_no_rekey_and_hard_expiry_deletes() {
    let mut s = setup(2, 28800);
    let before = live_children(&s, 0);
    let sent = s.nodes[0].sent.len();
    expire(&mut s, 0, false);
    s.run_for(Duration::from_secs(30));
    assert_eq!(
        s.nodes[0].sent.len(),
        sent,
        "nothing sent for a soft expiry"
    );
    assert_eq!(live_children(&s, 0), before);
    let allocations = |s: &Sim| {
        s.nodes[0]
            .ops
            .iter()
            .filter(|o| matches!(o, KernelOp::AllocateSpi { .. }))
            .count()
    };
    assert_eq!(allocations(&s), 1, "only the first Child SA's SPI");
    let spi = expire(&mut s, 0, true);
    s.run_for(Duration::from_secs(5));
    assert!(s.has_event(0, |e| matches!(
        e,
        Event::ChildSaDown { spi_in, rekeyed: false, .. } if *spi_in == spi
    )));
    // The peer was told with a Delete and removed its side.
    assert!(live_children(&s, 1).is_empty(), "{:?}", s.events(1));
    assert!(s.nodes[1]
        .ops
        .iter()
        .any(|o| matches!(o, KernelOp::DeleteSa { .. })));
    // The IKE SA stays.
    for i in 0..2 {
        assert!(!s.has_event(i, |e| matches!(
            e,
            Event::Failed { .. } | Event::IkeSaDown { .. }
        )));
    }
}

#[test]
fn peer_rekeys_are_still_answered() {
    let mut s = setup(3, 28800);
    // The gateway rekeys the Child SA, then the IKE SA.
    let before = live_children(&s, 0);
    expire(&mut s, 1, false);
    s.run_for(Duration::from_secs(10));
    let after = live_children(&s, 0);
    assert_eq!(after.len(), 1);
    assert_ne!(after, before, "{:?}", s.events(0));
    let h0 = s.ike_up(0).unwrap();
    let h1 = s.ike_up(1).unwrap();
    let spis = s.nodes[0].engine.ike_sa_spis(h0).unwrap();
    let now = s.now;
    s.nodes[1].engine.rekey_ike(now, h1);
    s.run_for(Duration::from_secs(10));
    let new = s.nodes[0].engine.ike_sa_spis(h0).unwrap();
    assert_ne!(new, spis);
    assert_eq!(s.nodes[1].engine.ike_sa_spis(h1), Some(new));
    for i in 0..2 {
        assert!(!s.has_event(i, |e| matches!(
            e,
            Event::Failed { .. } | Event::IkeSaDown { .. } | Event::ExchangeFailed { .. }
        )));
    }
}

#[test]
fn hard_child_expiry_with_rekey_on_also_tells_the_peer() {
    let mut r = responder_cfg("secret");
    r.ike_lifetime = Duration::from_secs(100_000);
    let mut s = sim(4, r);
    s.nodes[0]
        .engine
        .initiate(s.now, initiator_conn("secret"))
        .unwrap();
    assert!(s.run_until(Duration::from_secs(10), established));
    expire(&mut s, 0, true);
    s.run_for(Duration::from_secs(5));
    assert!(live_children(&s, 0).is_empty());
    assert!(live_children(&s, 1).is_empty());
}
