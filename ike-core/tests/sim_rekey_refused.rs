//! A refused rekey keeps the tunnel (issue #11 item 4, the CVE-2023-38710 pattern): when a
//! CREATE_CHILD_SA rekey is refused in either direction, both ends report a non-fatal
//! `ExchangeFailed` naming the proposals, the old Child SA stays, the rekey is retried a
//! bounded number of times, and the Child SA goes only at its hard lifetime.
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

use std::time::Duration;

use common::Sim;
use common::{established, initiator_conn, responder_cfg, sim};
use ike_core::engine::*;
use ike_core::proposal::{parse_strongswan, Protocol};

fn props(s: &str, p: Protocol) -> Vec<ike_core::proposal::Proposal> {
    parse_strongswan(p, s).unwrap().0
}

fn live(s: &Sim, i: usize) -> Vec<u32> {
    let mut v = Vec::new();
    for e in s.events(i) {
        match e {
            Event::ChildSaUp { spi_in, .. } => v.push(*spi_in),
            Event::ChildSaDown { spi_in, .. } => v.retain(|x| x != spi_in),
            _ => {}
        }
    }
    v
}

fn exchange_failures(s: &Sim, i: usize) -> Vec<Failure> {
    s.events(i)
        .into_iter()
        .filter_map(|e| match e {
            Event::ExchangeFailed { failure, .. } => Some(failure.clone()),
            _ => None,
        })
        .collect()
}

fn nothing_fatal(s: &Sim) {
    for i in 0..2 {
        assert!(
            !s.has_event(i, |e| matches!(
                e,
                Event::Failed { .. } | Event::IkeSaDown { .. }
            )),
            "node {i}: {:?}",
            s.events(i)
        );
    }
}

/// The client accepts only x25519 for PFS, the gateway only ecp384: the first Child SA (made
/// in IKE_AUTH, without a key exchange) comes up, every rekey is refused.
fn pfs_mismatch(seed: u64) -> Sim {
    let mut r = responder_cfg("secret");
    r.esp_proposals = props("aes256gcm16-ecp384", Protocol::Esp);
    let mut c = initiator_conn("secret");
    c.esp_proposals = props("aes256gcm16-x25519", Protocol::Esp);
    let mut s = sim(seed, r);
    s.nodes[0].engine.initiate(s.now, c).unwrap();
    assert!(s.run_until(Duration::from_secs(10), established));
    s
}

fn refused_rekey_keeps_child(who: usize, seed: u64) {
    let mut s = pfs_mismatch(seed);
    let before: Vec<Vec<u32>> = (0..2).map(|i| live(&s, i)).collect();
    let spi = before[who][0];
    let now = s.now;
    s.nodes[who]
        .engine
        .handle_kernel_event(now, KernelEvent::SaExpired { spi, hard: false });
    s.run_for(Duration::from_secs(10));
    for i in 0..2 {
        assert_eq!(live(&s, i), before[i], "node {i}");
    }
    nothing_fatal(&s);
    // The rekey initiator names what it offered, the refusing side both.
    let mine = exchange_failures(&s, who);
    assert_eq!(mine.len(), 1, "{mine:?}");
    assert!(
        matches!(&mine[0], Failure::NoProposalChosen { phase: Phase::Child, ours, .. }
            if !ours.is_empty()),
        "{mine:?}"
    );
    let theirs = exchange_failures(&s, 1 - who);
    assert!(
        matches!(
            theirs.first(),
            Some(Failure::NoProposalChosen {
                phase: Phase::Child,
                theirs: Some(t),
                ..
            }) if !t.is_empty()
        ),
        "{theirs:?}"
    );
    // Retried later (2.5 % of the 3600 s lifetime apart), a bounded number of times.
    s.run_for(Duration::from_secs(100));
    assert_eq!(exchange_failures(&s, who).len(), 2);
    s.run_for(Duration::from_secs(3600));
    let n = exchange_failures(&s, who).len();
    assert!((2..=4).contains(&n), "{n} rekey attempts");
    for i in 0..2 {
        assert_eq!(live(&s, i), before[i], "node {i}");
    }
    nothing_fatal(&s);
    // At its hard lifetime the Child SA goes, as before.
    let now = s.now;
    s.nodes[who]
        .engine
        .handle_kernel_event(now, KernelEvent::SaExpired { spi, hard: true });
    s.run_for(Duration::from_secs(1));
    assert!(s.has_event(who, |e| matches!(
        e,
        Event::ChildSaDown { spi_in, rekeyed: false, .. } if *spi_in == spi
    )));
}

#[test]
fn refused_child_rekey_by_client_keeps_child() {
    refused_rekey_keeps_child(0, 500);
}

#[test]
fn refused_child_rekey_by_gateway_keeps_child() {
    refused_rekey_keeps_child(1, 501);
}
