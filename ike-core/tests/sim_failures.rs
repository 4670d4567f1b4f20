//! Failure paths and protocol features: proposal mismatch, TS mismatch, INVALID_KE, COOKIE,
//! fragmentation, deletes from the responder.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs,
    dead_code
)]

use crate::common;

use std::time::Duration;

use common::{assert_matching_keys, established, initiator_conn, responder_cfg, sim};
use ike_core::engine::*;
use ike_core::proposal::{parse_strongswan, Protocol};
use ike_core::wire::TrafficSelector;

fn props(s: &str, p: Protocol) -> Vec<ike_core::proposal::Proposal> {
    parse_strongswan(p, s).unwrap().0
}

#[test]
fn ike_proposal_mismatch() {
    let mut r = responder_cfg("k");
    r.ike_proposals = props("aes256gcm16-prfsha384-ecp384", Protocol::Ike);
    let mut s = sim(10, r);
    let mut c = initiator_conn("k");
    c.ike_proposals = props("aes128-sha256-x25519", Protocol::Ike);
    s.nodes[0].engine.initiate(s.now, c).unwrap();
    s.run_for(Duration::from_secs(5));
    assert!(s.has_event(0, |e| matches!(e, Event::Failed { failure: Failure::NoProposalChosen { phase: Phase::Ike, theirs: None, ours }, .. } if !ours.is_empty())), "{:?}", s.events(0));
    assert!(s.has_event(1, |e| matches!(e, Event::Failed { failure: Failure::NoProposalChosen { phase: Phase::Ike, theirs: Some(t), .. }, .. } if !t.is_empty())), "{:?}", s.events(1));
}

#[test]
fn esp_proposal_mismatch() {
    let mut r = responder_cfg("k");
    r.esp_proposals = props("aes256gcm16", Protocol::Esp);
    let mut s = sim(11, r);
    let mut c = initiator_conn("k");
    c.esp_proposals = props("aes128-sha256", Protocol::Esp);
    s.nodes[0].engine.initiate(s.now, c).unwrap();
    s.run_for(Duration::from_secs(5));
    assert!(
        s.has_event(0, |e| matches!(
            e,
            Event::Failed {
                failure: Failure::NoProposalChosen {
                    phase: Phase::Child,
                    ..
                },
                ..
            }
        )),
        "{:?}",
        s.events(0)
    );
    assert!(
        s.has_event(1, |e| matches!(
            e,
            Event::ExchangeFailed {
                failure: Failure::NoProposalChosen {
                    phase: Phase::Child,
                    theirs: Some(_),
                    ..
                },
                ..
            }
        )),
        "{:?}",
        s.events(1)
    );
}

#[test]
fn ts_mismatch() {
    let mut r = responder_cfg("k");
    r.local_ts = vec![TrafficSelector::from_range(
        "10.9.0.0".parse().unwrap(),
        "10.9.0.255".parse().unwrap(),
    )];
    let mut s = sim(12, r);
    s.nodes[0]
        .engine
        .initiate(s.now, initiator_conn("k"))
        .unwrap();
    s.run_for(Duration::from_secs(5));
    assert!(
        s.has_event(0, |e| matches!(
            e,
            Event::Failed {
                failure: Failure::TsUnacceptable,
                ..
            }
        )),
        "{:?}",
        s.events(0)
    );
    assert!(
        s.has_event(1, |e| matches!(
            e,
            Event::ExchangeFailed {
                failure: Failure::TsUnacceptable,
                ..
            }
        )),
        "{:?}",
        s.events(1)
    );
}

#[test]
fn address_pool_missing_is_internal_address_failure() {
    let mut r = responder_cfg("k");
    r.serve.pool_v4 = None;
    let mut s = sim(13, r);
    let mut c = initiator_conn("k");
    c.request_config.ipv4 = true;
    s.nodes[0].engine.initiate(s.now, c).unwrap();
    s.run_for(Duration::from_secs(5));
    assert!(
        s.has_event(0, |e| matches!(
            e,
            Event::Failed {
                failure: Failure::InternalAddressFailure,
                ..
            }
        )),
        "{:?}",
        s.events(0)
    );
}

#[test]
fn invalid_ke_retry_succeeds() {
    let mut r = responder_cfg("k");
    r.ike_proposals = props("aes256gcm16-prfsha256-ecp256", Protocol::Ike);
    let mut s = sim(14, r);
    let mut c = initiator_conn("k");
    c.ike_proposals = props("aes256gcm16-prfsha256-x25519-ecp256", Protocol::Ike);
    s.nodes[0].engine.initiate(s.now, c).unwrap();
    assert!(
        s.run_until(Duration::from_secs(10), established),
        "{:?}",
        s.events(0)
    );
    assert_matching_keys(&s);
}

/// Slow peers answer retransmissions too: a second INVALID_KE_PAYLOAD for the group we already
/// switched to (here: every datagram is duplicated) must not abort the retry.
#[test]
fn invalid_ke_retry_survives_duplicate_answers() {
    let mut r = responder_cfg("k");
    r.ike_proposals = props("aes256gcm16-prfsha256-ecp256", Protocol::Ike);
    let mut s = sim(17, r);
    s.imp.dup = 1.0;
    let mut c = initiator_conn("k");
    c.ike_proposals = props("aes256gcm16-prfsha256-x25519-ecp256", Protocol::Ike);
    s.nodes[0].engine.initiate(s.now, c).unwrap();
    assert!(
        s.run_until(Duration::from_secs(10), established),
        "{:?}",
        s.events(0)
    );
    assert_matching_keys(&s);
}

#[test]
fn invalid_ke_without_allowed_group_fails() {
    let mut r = responder_cfg("k");
    r.ike_proposals = props("aes256gcm16-prfsha256-ecp256-x25519", Protocol::Ike);
    let mut s = sim(15, r);
    let mut c = initiator_conn("k");
    c.ike_proposals = props("aes256gcm16-prfsha256-ecp384", Protocol::Ike);
    s.nodes[0].engine.initiate(s.now, c).unwrap();
    s.run_for(Duration::from_secs(5));
    assert!(
        s.has_event(0, |e| matches!(
            e,
            Event::Failed {
                failure: Failure::NoProposalChosen { .. } | Failure::InvalidKe { .. },
                ..
            }
        )),
        "{:?}",
        s.events(0)
    );
}

#[test]
fn cookie_path_succeeds() {
    let r = responder_cfg("k");
    let ecfg = EngineConfig {
        responders: vec![r],
        cookie_threshold: 0,
        ..EngineConfig::default()
    };
    let mut s = common::Sim::new(
        16,
        ("192.0.2.10".parse().unwrap(), EngineConfig::default()),
        ("198.51.100.20".parse().unwrap(), ecfg),
    );
    s.nodes[0]
        .engine
        .initiate(s.now, initiator_conn("k"))
        .unwrap();
    assert!(s.run_until(Duration::from_secs(10), established));
    assert_matching_keys(&s);
    // three IKE_SA_INIT-sized sends at least: request, request with cookie
    assert!(s.nodes[0].sent.len() >= 3);
}

#[test]
fn fragmentation_small_size() {
    let mut r = responder_cfg("k");
    r.fragment_size = 160;
    let mut s = sim(17, r);
    let mut c = initiator_conn("k");
    c.fragment_size = 160;
    c.request_config = RequestConfig {
        ipv4: true,
        ipv6: false,
        dns: true,
        ..RequestConfig::default()
    };
    s.nodes[0].engine.initiate(s.now, c).unwrap();
    assert!(
        s.run_until(Duration::from_secs(10), established),
        "{:?}",
        s.events(0)
    );
    assert_matching_keys(&s);
    // IKE_AUTH request and response went out in several fragments.
    for i in 0..2 {
        let small = s.nodes[i]
            .sent
            .iter()
            .filter(|(_, _, len)| *len <= 160)
            .count();
        assert!(small >= 2, "node {i}: {:?}", s.nodes[i].sent);
    }
}

#[test]
fn forced_encapsulation() {
    let mut s = sim(18, responder_cfg("k"));
    let mut c = initiator_conn("k");
    c.force_encap = true;
    s.nodes[0].engine.initiate(s.now, c).unwrap();
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
}

#[test]
fn delete_from_responder() {
    let mut s = sim(19, responder_cfg("k"));
    s.nodes[0]
        .engine
        .initiate(s.now, initiator_conn("k"))
        .unwrap();
    assert!(s.run_until(Duration::from_secs(10), established));
    let h = s.ike_up(1).unwrap();
    let now = s.now;
    s.nodes[1].engine.close(now, h);
    s.run_for(Duration::from_secs(5));
    assert!(s.has_event(0, |e| matches!(
        e,
        Event::IkeSaDown {
            reason: DownReason::DeletedByPeer,
            ..
        }
    )));
    assert!(s.has_event(0, |e| matches!(e, Event::ChildSaDown { .. })));
}

#[test]
fn transport_mode() {
    let mut s = sim(20, responder_cfg("k"));
    let mut c = initiator_conn("k");
    c.children[0].mode = Mode::Transport;
    s.nodes[0].engine.initiate(s.now, c).unwrap();
    assert!(s.run_until(Duration::from_secs(10), established));
    assert!(s.has_event(1, |e| matches!(
        e,
        Event::ChildSaUp {
            mode: Mode::Transport,
            ..
        }
    )));
}
