//! CREATE_CHILD_SA: Child SA rekeys from either side (with and without PFS, with loss), IKE SA
//! rekeys (explicit and by lifetime), and rekey collisions.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs,
    dead_code,
    clippy::needless_range_loop
)]

use crate::common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::{assert_matching_keys, established, initiator_conn, responder_cfg, sim};
use ike_core::engine::*;
use ike_core::proposal::{parse_strongswan, Protocol};

use common::{Impairments, Sim};

fn props(s: &str, p: Protocol) -> Vec<ike_core::proposal::Proposal> {
    parse_strongswan(p, s).unwrap().0
}

/// Inbound SPIs of the Child SAs node `i` has up (up events minus down events).
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

/// The outbound SPI of node `i`'s Child SA with inbound SPI `spi_in`.
fn spi_out(s: &Sim, i: usize, spi_in: u32) -> u32 {
    s.events(i)
        .into_iter()
        .find_map(|e| match e {
            Event::ChildSaUp {
                spi_in: x, spi_out, ..
            } if *x == spi_in => Some(*spi_out),
            _ => None,
        })
        .unwrap()
}

/// Both nodes have exactly one Child SA up, and they pair up.
fn one_consistent_child(s: &Sim) -> bool {
    let a = live_children(s, 0);
    let b = live_children(s, 1);
    if a.len() != 1 || b.len() != 1 {
        return false;
    }
    let (ai, bi) = (*a.first().unwrap(), *b.first().unwrap());
    spi_out(s, 0, ai) == bi && spi_out(s, 1, bi) == ai
}

fn soft_expire(s: &mut Sim, i: usize) {
    let spi = *live_children(s, i).first().unwrap();
    let now = s.now;
    s.nodes[i]
        .engine
        .handle_kernel_event(now, KernelEvent::SaExpired { spi, hard: false });
}

fn reqids(ops: &[KernelOp]) -> BTreeSet<u32> {
    ops.iter()
        .filter_map(|o| match o {
            KernelOp::InstallSa { reqid, .. } | KernelOp::InstallPolicy { reqid, .. } => {
                Some(*reqid)
            }
            _ => None,
        })
        .collect()
}

fn count<F: Fn(&KernelOp) -> bool>(ops: &[KernelOp], f: F) -> usize {
    ops.iter().filter(|o| f(o)).count()
}

fn setup(seed: u64, esp: Option<&str>) -> Sim {
    let mut r = responder_cfg("secret");
    let mut c = initiator_conn("secret");
    if let Some(e) = esp {
        r.esp_proposals = props(e, Protocol::Esp);
        c.esp_proposals = props(e, Protocol::Esp);
    }
    let mut s = sim(seed, r);
    s.nodes[0].engine.initiate(s.now, c).unwrap();
    assert!(s.run_until(Duration::from_secs(10), established));
    s
}

fn check_child_rekey(s: &mut Sim, who: usize) {
    let before: Vec<BTreeSet<u32>> = (0..2).map(|i| live_children(s, i)).collect();
    soft_expire(s, who);
    assert!(
        s.run_until(Duration::from_secs(30), |s| {
            one_consistent_child(s) && live_children(s, 0) != before[0]
        }),
        "rekey by node {who}: {:?} / {:?}",
        s.events(0),
        s.events(1)
    );
    s.run_for(Duration::from_secs(2));
    assert!(one_consistent_child(s));
    assert_matching_keys(s);
    for i in 0..2 {
        // One reqid: policies stay, only SAs are replaced.
        assert_eq!(reqids(&s.nodes[i].ops).len(), 1, "node {i}");
        assert_eq!(
            count(&s.nodes[i].ops, |o| matches!(
                o,
                KernelOp::DeletePolicy { .. }
            )),
            0
        );
        let old = *before[i].first().unwrap();
        assert!(s.has_event(i, |e| matches!(
            e,
            Event::ChildSaDown { spi_in, rekeyed: true, .. } if *spi_in == old
        )));
        assert!(s.nodes[i]
            .ops
            .iter()
            .any(|o| matches!(o, KernelOp::DeleteSa { spi, .. } if *spi == old)));
        assert!(!s.has_event(i, |e| matches!(e, Event::Failed { .. })));
    }
}

#[test]
fn child_rekey_by_initiator_without_pfs() {
    let mut s = setup(100, None);
    check_child_rekey(&mut s, 0);
    // And again, on the new Child SA.
    check_child_rekey(&mut s, 0);
}

#[test]
fn child_rekey_by_responder_without_pfs() {
    let mut s = setup(101, None);
    check_child_rekey(&mut s, 1);
    check_child_rekey(&mut s, 0);
}

#[test]
fn child_rekey_with_pfs_groups() {
    for (i, esp) in [
        "aes256gcm16-x25519",
        "aes128-sha256-ecp256",
        "aes256-sha384-ecp384",
        "aes128gcm16-modp2048",
        "aes128-sha1-modp1024",
    ]
    .iter()
    .enumerate()
    {
        let mut s = setup(110 + i as u64, Some(esp));
        check_child_rekey(&mut s, i % 2);
        let pfs_group_in_offer = s.nodes[0].sent.len();
        assert!(pfs_group_in_offer > 0);
    }
}

#[test]
fn child_rekey_pfs_mismatch_keeps_old_child() {
    let mut r = responder_cfg("secret");
    r.esp_proposals = props("aes256gcm16-ecp384", Protocol::Esp);
    let mut c = initiator_conn("secret");
    c.esp_proposals = props("aes256gcm16-x25519", Protocol::Esp);
    let mut s = sim(120, r);
    s.nodes[0].engine.initiate(s.now, c).unwrap();
    assert!(s.run_until(Duration::from_secs(10), established));
    let before = live_children(&s, 0);
    soft_expire(&mut s, 0);
    s.run_for(Duration::from_secs(10));
    // No common PFS group: the rekey fails, the old SA stays, nothing is fatal.
    assert_eq!(live_children(&s, 0), before);
    for i in 0..2 {
        assert!(!s.has_event(i, |e| matches!(
            e,
            Event::Failed { .. } | Event::IkeSaDown { .. }
        )));
    }
    assert!(s.has_event(0, |e| matches!(
        e,
        Event::ExchangeFailed {
            failure: Failure::NoProposalChosen {
                phase: Phase::Child,
                ..
            },
            ..
        }
    )));
    assert!(s.has_event(1, |e| matches!(
        e,
        Event::ExchangeFailed {
            failure: Failure::NoProposalChosen {
                phase: Phase::Child,
                theirs: Some(_),
                ..
            },
            ..
        }
    )));
}

#[test]
fn child_rekey_invalid_ke_retry() {
    let mut r = responder_cfg("secret");
    r.esp_proposals = props("aes256gcm16-ecp384", Protocol::Esp);
    let mut c = initiator_conn("secret");
    c.esp_proposals = props("aes256gcm16-x25519-ecp384", Protocol::Esp);
    let mut s = sim(121, r);
    s.nodes[0].engine.initiate(s.now, c).unwrap();
    assert!(s.run_until(Duration::from_secs(10), established));
    let before = live_children(&s, 0);
    soft_expire(&mut s, 0);
    assert!(
        s.run_until(Duration::from_secs(10), |s| one_consistent_child(s)
            && live_children(s, 0) != before)
    );
    assert_matching_keys(&s);
}

#[test]
fn child_rekey_with_loss() {
    let mut ok = 0;
    for seed in 0..25 {
        let mut s = setup(200 + seed, Some("aes256gcm16-ecp256"));
        s.imp = Impairments {
            loss: 0.2,
            dup: 0.1,
            jitter_ms: 200,
        };
        let before = live_children(&s, 0);
        soft_expire(&mut s, (seed % 2) as usize);
        if s.run_until(Duration::from_secs(60), |s| {
            one_consistent_child(s) && live_children(s, 0) != before
        }) {
            ok += 1;
            assert_matching_keys(&s);
        }
        // Whatever happened, no node may end up with zero or a mismatched Child SA unless
        // the IKE SA itself failed.
        s.imp = Impairments::default();
        s.run_for(Duration::from_secs(60));
        let failed = s.has_event(0, |e| matches!(e, Event::IkeSaDown { .. }))
            || s.has_event(1, |e| matches!(e, Event::IkeSaDown { .. }));
        assert!(failed || one_consistent_child(&s), "seed {seed}");
    }
    assert!(ok >= 18, "only {ok} of 25 rekeys completed");
}

#[test]
fn child_rekey_collision_resolves_to_one_child() {
    for seed in 0..20 {
        let mut s = setup(300 + seed, Some("aes128gcm16-x25519"));
        if seed % 2 == 1 {
            s.imp = Impairments {
                loss: 0.0,
                dup: 0.0,
                jitter_ms: 40,
            };
        }
        let before = live_children(&s, 0);
        soft_expire(&mut s, 0);
        soft_expire(&mut s, 1);
        assert!(
            s.run_until(Duration::from_secs(60), |s| one_consistent_child(s)
                && live_children(s, 0) != before),
            "seed {seed}: {:?}\n{:?}",
            s.events(0),
            s.events(1)
        );
        s.run_for(Duration::from_secs(30));
        assert!(one_consistent_child(&s), "seed {seed}");
        assert_matching_keys(&s);
        if seed % 2 == 0 {
            // Without jitter both requests cross: each node created two new Child SAs and one
            // of them was deleted as redundant.
            for i in 0..2 {
                assert_eq!(s.child_up_count(i), 3, "seed {seed} node {i}");
            }
        }
        for i in 0..2 {
            assert_eq!(
                count(&s.nodes[i].ops, |o| matches!(
                    o,
                    KernelOp::DeletePolicy { .. }
                )),
                0
            );
            assert!(!s.has_event(i, |e| matches!(e, Event::Failed { .. })));
        }
    }
}

fn ike_sa_counts(s: &Sim) -> (usize, usize) {
    (
        s.nodes[0].engine.ike_sa_count(),
        s.nodes[1].engine.ike_sa_count(),
    )
}

#[test]
fn ike_rekey_explicit_from_either_side() {
    for who in 0..2 {
        let mut s = setup(400 + who as u64, None);
        let h = s.ike_up(who).unwrap();
        let sent_before = s.nodes[who].sent.len();
        let now = s.now;
        s.nodes[who].engine.rekey_ike(now, h);
        s.run_for(Duration::from_secs(15));
        assert!(s.nodes[who].sent.len() >= sent_before + 2);
        // The old IKE SA is gone on both sides, nothing went down.
        assert_eq!(ike_sa_counts(&s), (1, 1));
        // Both sides report the rekey once, with the new SPIs, as made by `who`, no collision.
        let spis = s.nodes[who].engine.ike_sa_spis(h).unwrap();
        for i in 0..2 {
            let rekeys = s.ike_rekeys(i);
            assert_eq!(rekeys, vec![(spis, i == who, false)], "node {i}");
        }
        for i in 0..2 {
            assert!(!s.has_event(i, |e| matches!(
                e,
                Event::IkeSaDown { .. } | Event::ChildSaDown { .. } | Event::Failed { .. }
            )));
        }
        // The new IKE SA works: a Child SA rekey and a DPD on it, then a clean close.
        check_child_rekey(&mut s, 1 - who);
        let now = s.now;
        let h = s.ike_up(0).unwrap();
        s.nodes[0].engine.close(now, h);
        s.run_for(Duration::from_secs(15));
        assert!(s.has_event(1, |e| matches!(
            e,
            Event::IkeSaDown {
                reason: DownReason::DeletedByPeer,
                ..
            }
        )));
        assert_eq!(ike_sa_counts(&s), (0, 0));
    }
}

#[test]
fn ike_rekey_by_lifetime_with_pfs_change_of_prf() {
    let mut r = responder_cfg("secret");
    r.ike_lifetime = Duration::from_secs(3000);
    let mut c = initiator_conn("secret");
    c.ike_lifetime = Duration::from_secs(600);
    c.ike_proposals = props("aes256-sha384-modp2048", Protocol::Ike);
    r.ike_proposals = props("aes256-sha384-modp2048", Protocol::Ike);
    c.dpd_delay = Some(Duration::from_secs(100));
    let mut s = sim(410, r);
    s.nodes[0].engine.initiate(s.now, c).unwrap();
    assert!(s.run_until(Duration::from_secs(10), established));
    // Three lifetimes: three rekeys, never a hard expiry.
    s.run_for(Duration::from_secs(1800));
    assert_eq!(ike_sa_counts(&s), (1, 1));
    for i in 0..2 {
        assert!(
            !s.has_event(i, |e| matches!(
                e,
                Event::IkeSaDown { .. } | Event::Failed { .. }
            )),
            "{:?}",
            s.events(i)
        );
    }
    check_child_rekey(&mut s, 0);
}

#[test]
fn ike_lifetime_enforced_when_rekey_impossible() {
    let mut c = initiator_conn("secret");
    c.ike_lifetime = Duration::from_secs(300);
    let mut s = sim(420, responder_cfg("secret"));
    s.nodes[0].engine.initiate(s.now, c).unwrap();
    assert!(s.run_until(Duration::from_secs(10), established));
    // The peer goes silent for good: the rekey gets no answer, the SA fails.
    s.blackhole = Some(1);
    s.run_for(Duration::from_secs(400));
    assert!(s.has_event(0, |e| matches!(e, Event::IkeSaDown { .. })));
}

#[test]
fn ike_rekey_collision_settles() {
    for seed in 0..10 {
        let mut s = setup(500 + seed, None);
        let now = s.now;
        let h0 = s.ike_up(0).unwrap();
        let h1 = s.ike_up(1).unwrap();
        s.nodes[0].engine.rekey_ike(now, h0);
        s.nodes[1].engine.rekey_ike(now, h1);
        s.run_for(Duration::from_secs(90));
        assert_eq!(ike_sa_counts(&s), (1, 1), "seed {seed}");
        for i in 0..2 {
            assert!(!s.has_event(i, |e| matches!(
                e,
                Event::IkeSaDown { .. } | Event::Failed { .. }
            )));
        }
        check_child_rekey(&mut s, 0);
    }
}

#[test]
fn ike_and_child_rekey_at_once() {
    for seed in 0..10 {
        let mut s = setup(600 + seed, Some("aes256gcm16-x25519"));
        let now = s.now;
        let h0 = s.ike_up(0).unwrap();
        s.nodes[0].engine.rekey_ike(now, h0);
        soft_expire(&mut s, 1);
        s.run_for(Duration::from_secs(90));
        assert_eq!(ike_sa_counts(&s), (1, 1), "seed {seed}");
        assert!(one_consistent_child(&s), "seed {seed}");
        assert_matching_keys(&s);
    }
}

#[test]
fn ike_rekey_with_loss() {
    let mut ok = 0;
    for seed in 0..20 {
        let mut s = setup(700 + seed, Some("aes128gcm16-ecp256"));
        s.imp = Impairments {
            loss: 0.2,
            dup: 0.1,
            jitter_ms: 200,
        };
        let who = (seed % 2) as usize;
        let h = s.ike_up(who).unwrap();
        let now = s.now;
        s.nodes[who].engine.rekey_ike(now, h);
        s.run_for(Duration::from_secs(60));
        s.imp = Impairments::default();
        s.run_for(Duration::from_secs(60));
        let down = (0..2).any(|i| s.has_event(i, |e| matches!(e, Event::IkeSaDown { .. })));
        if down {
            continue;
        }
        ok += 1;
        assert_eq!(ike_sa_counts(&s), (1, 1), "seed {seed}");
        check_child_rekey(&mut s, 1 - who);
    }
    assert!(ok >= 15, "only {ok} of 20 survived");
}

#[test]
fn traffic_limits_reach_the_kernel_and_survive_a_rekey() {
    let mut c = initiator_conn("secret");
    c.child_max_bytes = 1 << 30;
    c.child_max_packets = 1000;
    let mut s = sim(900, responder_cfg("secret"));
    s.nodes[0].engine.initiate(s.now, c).unwrap();
    assert!(s.run_until(Duration::from_secs(10), established));
    // A soft expiry (which the kernel raises at the soft packet limit) rekeys the Child SA.
    check_child_rekey(&mut s, 0);
    let limits: Vec<Lifetime> = s.nodes[0]
        .ops
        .iter()
        .filter_map(|o| match o {
            KernelOp::InstallSa { lifetime, .. } => Some(*lifetime),
            _ => None,
        })
        .collect();
    assert_eq!(limits.len(), 4, "two SAs, then two after the rekey");
    for l in &limits {
        assert_eq!((l.hard_bytes, l.hard_packets), (1 << 30, 1000));
        // Soft limits at 85-90 % of the hard ones (jittered).
        assert!((850..=900).contains(&l.soft_packets), "{l:?}");
        assert!(l.soft_bytes <= (1 << 30) / 10 * 9 && l.soft_bytes >= (1 << 30) / 100 * 85);
        assert_eq!(l.hard_secs, 3600);
    }
    // The responder has no limits of its own.
    assert!(s.nodes[1].ops.iter().all(|o| match o {
        KernelOp::InstallSa { lifetime, .. } => lifetime.hard_packets == 0,
        _ => true,
    }));
}

/// Where in node `i`'s kernel operations the outbound SA with SPI `spi` was installed.
fn out_install_at(s: &Sim, i: usize, spi: u32) -> Option<usize> {
    s.nodes[i].ops.iter().position(
        |o| matches!(o, KernelOp::InstallSa { spi: x, direction: Direction::Out, .. } if *x == spi),
    )
}

/// Node 0 rekeys the Child SA; runs until node 0 has the new one (the answer arrived) and
/// returns node 0's new inbound SPI (node 1's new outbound SPI) and node 1's old inbound SPI.
fn rekey_by_node_0(s: &mut Sim) -> (u32, u32) {
    let before = live_children(s, 0);
    let old_1 = *live_children(s, 1).first().unwrap();
    soft_expire(s, 0);
    assert!(s.run_until(Duration::from_secs(10), |s| live_children(s, 0)
        .iter()
        .any(|x| !before.contains(x))));
    let new_0 = *live_children(s, 0)
        .iter()
        .find(|x| !before.contains(x))
        .unwrap();
    (new_0, old_1)
}

#[test]
fn the_peer_s_rekey_keeps_our_traffic_on_the_old_sa_until_it_deletes_it() {
    let mut held_seen = 0;
    for seed in 0..20 {
        let mut s = setup(300 + seed, None);
        let (new_out_1, old_in_1) = rekey_by_node_0(&mut s);
        // Node 1 answered: its new inbound SA is in, its new outbound SA not yet (node 0's
        // Delete of the old SA is still on its way).
        let in_ops = |s: &Sim| {
            s.nodes[1].ops.iter().any(|o| {
                matches!(o, KernelOp::InstallSa { direction: Direction::In, reqid, .. } if *reqid > 0)
            })
        };
        assert!(in_ops(&s));
        if live_children(&s, 1).contains(&old_in_1) {
            assert_eq!(out_install_at(&s, 1, new_out_1), None, "seed {seed}");
            held_seen += 1;
        }
        s.run_for(Duration::from_secs(2));
        assert!(!live_children(&s, 1).contains(&old_in_1));
        // Installed when the old SA went: just before the old outbound SA is deleted.
        let at = out_install_at(&s, 1, new_out_1).expect("new outbound SA installed");
        let old_out_1 = spi_out(&s, 1, old_in_1);
        let del = s.nodes[1]
            .ops
            .iter()
            .position(|o| matches!(o, KernelOp::DeleteSa { spi, .. } if *spi == old_out_1))
            .unwrap();
        assert_eq!(at + 1, del, "seed {seed}");
        assert!(one_consistent_child(&s));
        assert_matching_keys(&s);
    }
    assert!(held_seen > 0, "the Delete always arrived before the check");
}

#[test]
fn a_peer_that_never_deletes_the_old_sa_gets_our_traffic_on_the_new_one_after_5_s() {
    let mut s = setup(330, None);
    let (new_out_1, old_in_1) = rekey_by_node_0(&mut s);
    // Node 0's Delete (and everything else it sends) is lost.
    s.drop_in_flight(0);
    s.blackhole = Some(0);
    s.run_for(Duration::from_secs(4));
    assert_eq!(out_install_at(&s, 1, new_out_1), None);
    assert!(live_children(&s, 1).contains(&old_in_1));
    s.run_for(Duration::from_secs(2));
    assert!(out_install_at(&s, 1, new_out_1).is_some());
    // The old SA stays until the peer deletes it or it expires.
    assert!(live_children(&s, 1).contains(&old_in_1));
}
