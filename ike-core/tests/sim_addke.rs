//! RFC 9370 additional key exchanges over IKE_INTERMEDIATE (RFC 9242) between two engines:
//! ML-KEM hybrids with x25519, INVALID_KE_PAYLOAD for the first key exchange, fragmented
//! IKE_INTERMEDIATE messages (ML-KEM-1024's keys are larger than a datagram), several
//! additional key exchanges, an optional one, and the mismatches named.
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
use ike_core::proposal::{parse, Protocol};

fn ike(s: &str) -> Vec<ike_core::proposal::Proposal> {
    parse(Protocol::Ike, s).unwrap().0
}

/// A simulation whose initiator offers `ours` and whose responder accepts `theirs`.
fn pair(seed: u64, ours: &str, theirs: &str) -> (Sim, ConnectionConfig) {
    let mut r = responder_cfg("secret");
    r.ike_proposals = ike(theirs);
    let s = sim(seed, r);
    let mut c = initiator_conn("secret");
    c.ike_proposals = ike(ours);
    (s, c)
}

fn ike_up_proposal(s: &Sim, i: usize) -> Option<String> {
    s.events(i).into_iter().find_map(|e| match e {
        Event::IkeSaUp { proposal, .. } => Some(proposal.clone()),
        _ => None,
    })
}

#[test]
fn mlkem768_hybrid_with_x25519_establishes() {
    let p = "aes256gcm16-prfsha384-x25519-ke1_mlkem768";
    let (mut s, c) = pair(1, p, p);
    s.nodes[0].engine.initiate(s.now, c).unwrap();
    assert!(s.run_until(Duration::from_secs(10), established));
    assert_matching_keys(&s);
    for i in 0..2 {
        let up = ike_up_proposal(&s, i).unwrap();
        assert!(up.contains("x25519") && up.contains("ke1_mlkem768"), "{up}");
    }
    // The initiator's KE payloads: x25519 in IKE_SA_INIT, the 1184-octet ML-KEM-768
    // encapsulation key in IKE_INTERMEDIATE, so one datagram is larger than that.
    assert!(s.nodes[0].sent.iter().any(|(_, _, len)| *len > 1184));
    // The responder's ciphertext (1088 octets) likewise.
    assert!(s.nodes[1].sent.iter().any(|(_, _, len)| *len > 1088));
}

#[test]
fn two_additional_key_exchanges_in_order() {
    let p = "aes256gcm16-prfsha256-ecp256-ke1_ecp384-ke2_mlkem512";
    let (mut s, c) = pair(2, p, p);
    s.nodes[0].engine.initiate(s.now, c).unwrap();
    assert!(s.run_until(Duration::from_secs(10), established));
    assert_matching_keys(&s);
    let up = ike_up_proposal(&s, 1).unwrap();
    assert!(up.ends_with("ecp256-ke1_ecp384-ke2_mlkem512"), "{up}");
}

#[test]
fn invalid_ke_payload_retry_keeps_the_additional_key_exchange() {
    let (mut s, c) = pair(
        3,
        "aes256gcm16-prfsha384-x25519-ecp256-ke1_mlkem768",
        "aes256gcm16-prfsha384-ecp256-ke1_mlkem768",
    );
    s.nodes[0].engine.initiate(s.now, c).unwrap();
    assert!(s.run_until(Duration::from_secs(20), established));
    assert_matching_keys(&s);
    let up = ike_up_proposal(&s, 0).unwrap();
    assert!(up.contains("ecp256-ke1_mlkem768"), "{up}");
}

#[test]
fn mlkem1024_intermediate_is_fragmented() {
    let p = "aes256gcm16-prfsha512-x25519-ke1_mlkem1024";
    let (mut s, mut c) = pair(4, p, p);
    c.fragment_size = 1000;
    s.nodes[0].engine.initiate(s.now, c).unwrap();
    assert!(s.run_until(Duration::from_secs(10), established));
    assert_matching_keys(&s);
    // The 1568-octet encapsulation key went in fragments of at most 1000 octets.
    let biggest = s.nodes[0].sent.iter().map(|(_, _, l)| *l).max().unwrap();
    assert!(biggest <= 1000, "initiator sent a {biggest}-octet datagram");
    // The responder (fragment size 1280) fragmented its 1568-octet ciphertext too.
    let biggest = s.nodes[1].sent.iter().map(|(_, _, l)| *l).max().unwrap();
    assert!(biggest <= 1280, "responder sent a {biggest}-octet datagram");
}

#[test]
fn lossy_network_still_agrees() {
    let p = "aes256gcm16-prfsha384-x25519-ke1_mlkem768";
    let (mut s, c) = pair(5, p, p);
    s.imp = Impairments {
        loss: 0.2,
        dup: 0.2,
        jitter_ms: 30,
    };
    s.nodes[0].engine.initiate(s.now, c).unwrap();
    assert!(s.run_until(Duration::from_secs(120), established));
    assert_matching_keys(&s);
}

#[test]
fn optional_additional_key_exchange_is_skipped_by_a_classic_peer() {
    let (mut s, c) = pair(
        6,
        "aes256gcm16-prfsha384-x25519-ke1_mlkem768-ke1_none",
        "aes256gcm16-prfsha384-x25519",
    );
    s.nodes[0].engine.initiate(s.now, c).unwrap();
    assert!(s.run_until(Duration::from_secs(10), established));
    assert_matching_keys(&s);
    let up = ike_up_proposal(&s, 0).unwrap();
    assert!(!up.contains("mlkem"), "{up}");
}

fn responder_no_proposal(s: &Sim) -> (Vec<String>, Vec<String>) {
    s.events(1)
        .into_iter()
        .find_map(|e| match e {
            Event::Failed {
                failure:
                    Failure::NoProposalChosen {
                        ours,
                        theirs: Some(theirs),
                        ..
                    },
                ..
            } => Some((ours.clone(), theirs.clone())),
            _ => None,
        })
        .unwrap_or_else(|| {
            panic!(
                "responder reports NO_PROPOSAL_CHOSEN: {:?} / {:?}",
                s.events(1),
                s.events(0)
            )
        })
}

#[test]
fn peer_without_the_additional_key_exchange_is_a_named_mismatch() {
    let (mut s, c) = pair(
        7,
        "aes256gcm16-prfsha384-x25519",
        "aes256gcm16-prfsha384-x25519-ke1_mlkem768",
    );
    s.nodes[0].engine.initiate(s.now, c).unwrap();
    s.run_for(Duration::from_secs(40));
    assert_eq!(s.child_up_count(0), 0);
    let (ours, theirs) = responder_no_proposal(&s);
    assert!(ours.iter().any(|p| p.contains("ke1_mlkem768")), "{ours:?}");
    assert!(theirs.iter().all(|p| !p.contains("ke1_")), "{theirs:?}");
    assert!(s.has_event(0, |e| matches!(
        e,
        Event::Failed {
            failure: Failure::NoProposalChosen {
                phase: Phase::Ike,
                ..
            },
            ..
        }
    )));

    // The other way round: we require ML-KEM, the gateway does not do it.
    let (mut s, c) = pair(
        8,
        "aes256gcm16-prfsha384-x25519-ke1_mlkem768",
        "aes256gcm16-prfsha384-x25519",
    );
    s.nodes[0].engine.initiate(s.now, c).unwrap();
    s.run_for(Duration::from_secs(40));
    assert_eq!(s.child_up_count(0), 0);
    let (_, theirs) = responder_no_proposal(&s);
    assert!(
        theirs.iter().all(|p| p.contains("ke1_mlkem768")),
        "{theirs:?}"
    );
    // The mismatch names the additional key exchange type.
    let err = ike_core::proposal::select_ike(
        &parse(Protocol::Ike, "aes256gcm16-prfsha384-x25519").unwrap(),
        &[ike_core::proposal::OfferedProposal::from_proposal(
            1,
            Vec::new(),
            &ike("aes256gcm16-prfsha384-x25519-ke1_mlkem768")[0],
        )],
        &ike_core::proposal::NegotiateOptions::default(),
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("additional key exchange 1"),
        "{err}"
    );
}
