//! Simultaneous IKE SA rekeys (RFC 7296 §2.8.2), forced hundreds of times on a virtual clock:
//! both engines call `rekey_ike` at the same instant; each round ends with one IKE SA on each
//! side with the same SPIs, the Child SAs untouched, and nothing failed.
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

use common::{assert_matching_keys, established, initiator_conn, responder_cfg, sim, Sim};
use ike_core::engine::*;

fn setup(seed: u64) -> Sim {
    let mut s = sim(seed, responder_cfg("secret"));
    s.nodes[0]
        .engine
        .initiate(s.now, initiator_conn("secret"))
        .unwrap();
    assert!(s.run_until(Duration::from_secs(10), established));
    s
}

fn child_ops(s: &Sim, i: usize) -> usize {
    s.nodes[i]
        .ops
        .iter()
        .filter(|o| {
            matches!(
                o,
                KernelOp::InstallSa { .. }
                    | KernelOp::DeleteSa { .. }
                    | KernelOp::DeletePolicy { .. }
            )
        })
        .count()
}

fn bad(e: &Event) -> bool {
    matches!(
        e,
        Event::Failed { .. }
            | Event::IkeSaDown { .. }
            | Event::ChildSaDown { .. }
            | Event::ExchangeFailed { .. }
    )
}

/// `rounds` forced collisions, each given `settle` to complete; the old and redundant IKE
/// SAs must be gone by then when `gone`. Each round is reported once on each side with the
/// surviving SPIs, as made by exactly one of the two, and as a collision (by both sides
/// unless reordered). Returns the distinct IKE SPIs seen.
fn collide(
    s: &mut Sim,
    rounds: usize,
    settle: Duration,
    gone: bool,
) -> BTreeSet<([u8; 8], [u8; 8])> {
    let h = [s.ike_up(0).unwrap(), s.ike_up(1).unwrap()];
    let ops = [child_ops(s, 0), child_ops(s, 1)];
    let mut seen = BTreeSet::new();
    let mut spis = s.nodes[0].engine.ike_sa_spis(h[0]).unwrap();
    seen.insert(spis);
    let base = [s.ike_rekeys(0).len(), s.ike_rekeys(1).len()];
    for round in 0..rounds {
        let now = s.now;
        s.nodes[0].engine.rekey_ike(now, h[0]);
        s.nodes[1].engine.rekey_ike(now, h[1]);
        s.run_for(settle);
        let counts = (
            s.nodes[0].engine.ike_sa_count(),
            s.nodes[1].engine.ike_sa_count(),
        );
        if gone {
            assert_eq!(counts, (1, 1), "round {round}");
        }
        let a = s.nodes[0].engine.ike_sa_spis(h[0]).unwrap();
        let b = s.nodes[1].engine.ike_sa_spis(h[1]).unwrap();
        assert_eq!(a, b, "round {round}");
        assert_ne!(a, spis, "round {round}: not rekeyed");
        let reported = [s.ike_rekeys(0), s.ike_rekeys(1)];
        let last = [reported[0].last(), reported[1].last()];
        assert_eq!(reported[0].len(), base[0] + round + 1, "round {round}");
        assert_eq!(reported[1].len(), base[1] + round + 1, "round {round}");
        let (Some(&(s0, i0, c0)), Some(&(s1, i1, c1))) = (last[0], last[1]) else {
            panic!("round {round}: no rekey reported");
        };
        assert_eq!((s0, s1), (a, a), "round {round}");
        // Reordered, one side may see its own rekey answered before the peer's request
        // arrives: it reports a plain rekey, the other side the collision.
        if s.imp.jitter_ms == 0 {
            assert!(c0 && c1, "round {round}: not reported as a collision");
        } else {
            assert!(c0 || c1, "round {round}: reported as a collision nowhere");
        }
        assert_ne!(
            i0, i1,
            "round {round}: both claim (or disclaim) the survivor"
        );
        spis = a;
        seen.insert(a);
        for (i, &before) in ops.iter().enumerate() {
            assert!(
                !s.has_event(i, bad),
                "round {round} node {i}: {:?}",
                s.events(i)
                    .into_iter()
                    .filter(|e| bad(e))
                    .collect::<Vec<_>>()
            );
            // The Child SAs were neither reinstalled nor removed.
            assert_eq!(child_ops(s, i), before, "round {round} node {i}");
        }
    }
    seen
}

#[test]
fn hundreds_of_simultaneous_ike_rekeys_leave_one_ike_sa() {
    let mut s = setup(1);
    // The redundant and old IKE SAs are deleted right away.
    let seen = collide(&mut s, 300, Duration::from_secs(15), true);
    assert_eq!(seen.len(), 301);
    // The surviving IKE SA works: a Child SA rekey on it, then a clean close.
    let spi = s
        .events(0)
        .into_iter()
        .find_map(|e| match e {
            Event::ChildSaUp { spi_in, .. } => Some(*spi_in),
            _ => None,
        })
        .unwrap();
    let now = s.now;
    s.nodes[0]
        .engine
        .handle_kernel_event(now, KernelEvent::SaExpired { spi, hard: false });
    s.run_for(Duration::from_secs(10));
    assert_eq!(s.child_up_count(0), 2);
    assert_matching_keys(&s);
    let now = s.now;
    let h = s.ike_up(0).unwrap();
    s.nodes[0].engine.close(now, h);
    s.run_for(Duration::from_secs(10));
    assert!(s.has_event(1, |e| matches!(
        e,
        Event::IkeSaDown {
            reason: DownReason::DeletedByPeer,
            ..
        }
    )));
}

#[test]
fn simultaneous_ike_rekeys_with_reordering() {
    for seed in 0..4 {
        let mut s = setup(100 + seed);
        s.imp = common::Impairments {
            loss: 0.0,
            dup: 0.0,
            jitter_ms: 60,
        };
        // Reordered, a redundant IKE SA may have to expire (a minute) rather than be deleted.
        collide(&mut s, 50, Duration::from_secs(70), true);
    }
}

#[test]
fn a_collision_takes_no_retry() {
    // Without the RFC's resolution both requests were refused with TEMPORARY_FAILURE and
    // retried seconds later; now the collision settles within a second.
    let mut s = setup(2);
    collide(&mut s, 20, Duration::from_millis(1100), false);
    s.run_for(Duration::from_secs(15));
    let counts = (
        s.nodes[0].engine.ike_sa_count(),
        s.nodes[1].engine.ike_sa_count(),
    );
    assert_eq!(counts, (1, 1));
}
