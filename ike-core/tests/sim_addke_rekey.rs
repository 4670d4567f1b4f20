//! RFC 9370 additional key exchanges in CREATE_CHILD_SA, continued with IKE_FOLLOWUP_KE
//! (§2.2.4): Child SA rekeys with ML-KEM from either side, IKE SA rekeys with ML-KEM from
//! either side (then a Child SA rekey over the new IKE SA shows both derived the same keys),
//! with loss, and an ESP peer without the additional key exchange refused by name.
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

use common::*;
use ike_core::engine::*;
use ike_core::proposal::{parse, Protocol};

const IKE: &str = "aes256gcm16-prfsha384-x25519-ke1_mlkem768";
const ESP: &str = "aes256gcm16-x25519-ke1_mlkem768";

fn setup(seed: u64, ike: &str, esp: &str, esp_peer: &str) -> Sim {
    let mut r = responder_cfg("secret");
    r.ike_proposals = parse(Protocol::Ike, ike).unwrap().0;
    r.esp_proposals = parse(Protocol::Esp, esp_peer).unwrap().0;
    let mut c = initiator_conn("secret");
    c.ike_proposals = parse(Protocol::Ike, ike).unwrap().0;
    c.esp_proposals = parse(Protocol::Esp, esp).unwrap().0;
    let mut s = sim(seed, r);
    s.nodes[0].engine.initiate(s.now, c).unwrap();
    assert!(s.run_until(Duration::from_secs(10), established));
    s
}

fn live(s: &Sim, i: usize) -> BTreeSet<u32> {
    let mut set = BTreeSet::new();
    for e in s.events(i) {
        match e {
            Event::ChildSaUp { spi_in, .. } => {
                set.insert(*spi_in);
            }
            Event::ChildSaDown { spi_in, .. } => {
                set.remove(spi_in);
            }
            _ => {}
        }
    }
    set
}

fn child_proposals(s: &Sim, i: usize) -> Vec<String> {
    s.events(i)
        .into_iter()
        .filter_map(|e| match e {
            Event::ChildSaUp { proposal, .. } => Some(proposal.clone()),
            _ => None,
        })
        .collect()
}

fn no_failure(s: &Sim) {
    for i in 0..2 {
        assert!(
            !s.has_event(i, |e| matches!(
                e,
                Event::Failed { .. } | Event::ExchangeFailed { .. } | Event::IkeSaDown { .. }
            )),
            "node {i}: {:?}",
            s.events(i)
        );
    }
}

/// Node `who` rekeys the Child SA; both end with one new Child SA whose keys agree.
fn rekey_child(s: &mut Sim, who: usize) {
    let before = live(s, 0);
    let spi = *live(s, who).first().unwrap();
    let now = s.now;
    s.nodes[who]
        .engine
        .handle_kernel_event(now, KernelEvent::SaExpired { spi, hard: false });
    assert!(
        s.run_until(Duration::from_secs(60), |s| {
            let (a, b) = (live(s, 0), live(s, 1));
            a.len() == 1 && b.len() == 1 && a != before
        }),
        "rekey by node {who}: {:?} / {:?}",
        s.events(0),
        s.events(1)
    );
    assert_matching_keys(s);
}

#[test]
fn child_sa_rekey_with_mlkem_from_either_side() {
    for who in 0..2 {
        let mut s = setup(20 + who as u64, IKE, ESP, ESP);
        rekey_child(&mut s, who);
        no_failure(&s);
        for i in 0..2 {
            let p = child_proposals(&s, i);
            // The first Child SA (IKE_AUTH) has no key exchange; the rekeyed one has both.
            assert!(!p[0].contains("x25519"), "{p:?}");
            assert!(p[1].contains("x25519-ke1_mlkem768"), "{p:?}");
        }
        // And once more, now from the other side.
        rekey_child(&mut s, 1 - who);
        no_failure(&s);
    }
}

#[test]
fn ike_sa_rekey_with_mlkem_from_either_side() {
    for who in 0..2 {
        let mut s = setup(30 + who as u64, IKE, ESP, ESP);
        let h = s.ike_up(who).unwrap();
        let now = s.now;
        s.nodes[who].engine.rekey_ike(now, h);
        s.run_for(Duration::from_secs(15));
        no_failure(&s);
        assert_eq!(
            (
                s.nodes[0].engine.ike_sa_count(),
                s.nodes[1].engine.ike_sa_count()
            ),
            (1, 1)
        );
        let spis = s.nodes[who].engine.ike_sa_spis(h).unwrap();
        for i in 0..2 {
            assert_eq!(s.ike_rekeys(i), vec![(spis, i == who, false)], "node {i}");
        }
        // The new IKE SA's keys agree: a Child SA rekey over it (ML-KEM again) works.
        rekey_child(&mut s, 1 - who);
        no_failure(&s);
    }
}

#[test]
fn rekeys_with_followups_survive_loss() {
    let mut s = setup(40, IKE, ESP, ESP);
    s.imp = Impairments {
        loss: 0.2,
        dup: 0.2,
        jitter_ms: 20,
    };
    rekey_child(&mut s, 0);
    let h = s.ike_up(1).unwrap();
    let now = s.now;
    s.nodes[1].engine.rekey_ike(now, h);
    assert!(
        s.run_until(Duration::from_secs(120), |s| s.ike_rekeys(0).len() == 1
            && s.ike_rekeys(1).len() == 1)
    );
    s.imp = Impairments::default();
    rekey_child(&mut s, 1);
}

#[test]
fn esp_peer_without_the_additional_key_exchange_refuses_the_rekey_by_name() {
    let mut s = setup(50, IKE, ESP, "aes256gcm16-x25519");
    let spi = *live(&s, 0).first().unwrap();
    let now = s.now;
    s.nodes[0]
        .engine
        .handle_kernel_event(now, KernelEvent::SaExpired { spi, hard: false });
    s.run_for(Duration::from_secs(10));
    // The gateway names what it got and what it wants; the old Child SA stays.
    let refused = s.events(1).into_iter().find_map(|e| match e {
        Event::ExchangeFailed {
            failure:
                Failure::NoProposalChosen {
                    phase: Phase::Child,
                    ours,
                    theirs: Some(theirs),
                },
            ..
        } => Some((ours.clone(), theirs.clone())),
        _ => None,
    });
    let (ours, theirs) = refused.expect("NO_PROPOSAL_CHOSEN at the gateway");
    assert!(
        theirs.iter().all(|p| p.contains("ke1_mlkem768")),
        "{theirs:?}"
    );
    assert!(ours.iter().all(|p| !p.contains("ke1_")), "{ours:?}");
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
    assert_eq!(live(&s, 0), BTreeSet::from([spi]));
}

#[test]
fn a_rekey_whose_followup_never_comes_is_dropped_by_the_responder() {
    let mut s = setup(60, IKE, ESP, ESP);
    let old = live(&s, 1);
    let spi = *live(&s, 0).first().unwrap();
    let now = s.now;
    s.nodes[0]
        .engine
        .handle_kernel_event(now, KernelEvent::SaExpired { spi, hard: false });
    // The CREATE_CHILD_SA goes and is answered (5 ms each way); then node 0 is cut off
    // before its IKE_FOLLOWUP_KE arrives.
    s.run_for(Duration::from_millis(12));
    s.drop_in_flight(0);
    s.blackhole = Some(0);
    // The responder gives up after 20 s (node 0, cut off, gives up on its own after 15 s).
    s.run_for(Duration::from_secs(21));
    assert!(
        s.has_event(1, |e| matches!(
            e,
            Event::ExchangeFailed {
                failure: Failure::ProtocolError(t),
                ..
            } if t.contains("IKE_FOLLOWUP_KE")
        )),
        "{:?}",
        s.events(1)
    );
    // Nothing was created at the gateway; the old Child SA is still there.
    assert_eq!(live(&s, 1), old);
    // The gateway's IKE SA and old Child SA stay.
    assert!(!s.has_event(1, |e| matches!(
        e,
        Event::IkeSaDown { .. } | Event::ChildSaDown { .. }
    )));
}
