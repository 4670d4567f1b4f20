//! Strangers cannot decide: unsolicited IKE_SA_INIT requests reach no responder path on an
//! engine without responder configuration (issue #11 item 3), and unprotected error notifies
//! answering IKE_SA_INIT end the attempt only when they answer two transmissions in a row
//! (RFC 7296 §2.21.1, item 5).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs,
    dead_code
)]

use crate::common;

use std::net::SocketAddr;
use std::time::Duration;

use common::{established, initiator_conn, responder_cfg, sim, A, B};
use common::{test_rng, Sim};
use ike_core::engine::*;
use ike_core::ids::{exchange, notify};
use ike_core::proposal::{parse_strongswan, Protocol};
use ike_core::wire::{Flags, Header, Message, NotifyPayload, Payload};

const STRANGER: &str = "203.0.113.66";

fn sock(ip: &str, port: u16) -> SocketAddr {
    SocketAddr::new(ip.parse().unwrap(), port)
}

/// A well-formed IKE_SA_INIT request (SA, KE, Nonce, NAT detection) from a third engine.
fn stranger_init(seed: u64, to: SocketAddr) -> Vec<u8> {
    let mut e = Engine::new(EngineConfig::default(), test_rng(seed));
    let mut c = initiator_conn("other");
    c.remote = to;
    c.local_addr = Some(STRANGER.parse().unwrap());
    e.initiate(Time::from_millis(0), c).unwrap();
    e.poll_transmit().unwrap().payload
}

/// The inbound SPIs of node `i`'s live Child SAs.
fn live_spis(s: &Sim, i: usize) -> Vec<u32> {
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

#[test]
fn initiator_ignores_unsolicited_ike_sa_init() {
    let mut s = sim(400, responder_cfg("k"));
    s.nodes[0]
        .engine
        .initiate(s.now, initiator_conn("k"))
        .unwrap();
    assert!(s.run_until(Duration::from_secs(10), established));
    s.run_for(Duration::from_secs(1));
    let spis = live_spis(&s, 0);
    let (events, sent, ops) = (
        s.nodes[0].events.len(),
        s.nodes[0].sent.len(),
        s.nodes[0].ops.len(),
    );
    let me = sock(A, 500);
    let req = stranger_init(1, me);
    let now = s.now;
    let e = &mut s.nodes[0].engine;
    // From a stranger, and spoofed as the gateway, on both IKE ports.
    for from in [sock(STRANGER, 500), sock(B, 500), sock(B, 4500)] {
        e.handle_datagram(now, me, from, &req);
        let mut marked = vec![0u8; 4];
        marked.extend_from_slice(&req);
        e.handle_datagram(now, sock(A, 4500), from, &marked);
    }
    assert!(e.poll_transmit().is_none(), "answered a stranger");
    assert!(e.poll_event().is_none(), "event for a stranger's request");
    assert!(e.poll_kernel_op().is_none());
    assert_eq!(e.ike_sa_count(), 1);
    s.run_for(Duration::from_secs(30));
    assert_eq!(s.nodes[0].events.len(), events, "{:?}", s.events(0));
    assert_eq!(s.nodes[0].sent.len(), sent);
    assert_eq!(s.nodes[0].ops.len(), ops);
    assert_eq!(live_spis(&s, 0), spis);
    assert!(established(&s));
}

#[test]
fn responder_failure_for_unmatched_request_names_no_existing_sa() {
    let mut r = responder_cfg("k");
    r.ike_proposals = parse_strongswan(Protocol::Ike, "aes256gcm16-prfsha384-ecp384")
        .unwrap()
        .0;
    let mut s = sim(401, r);
    let mut c = initiator_conn("k");
    c.ike_proposals = parse_strongswan(Protocol::Ike, "aes256gcm16-prfsha384-ecp384")
        .unwrap()
        .0;
    s.nodes[0].engine.initiate(s.now, c).unwrap();
    assert!(s.run_until(Duration::from_secs(10), established));
    let live = s.ike_up(1).unwrap();
    let before = s.nodes[1].events.len();
    // The stranger offers the default proposals, which this responder does not accept.
    let req = stranger_init(2, sock(B, 500));
    let now = s.now;
    s.nodes[1]
        .engine
        .handle_datagram(now, sock(B, 500), sock(STRANGER, 500), &req);
    s.run_for(Duration::from_secs(5));
    let new: Vec<&Event> = s.nodes[1].events[before..].iter().map(|(_, e)| e).collect();
    for e in &new {
        let sa = e.sa();
        assert_ne!(sa, live, "event attributed to the live SA: {e:?}");
    }
    assert_eq!(s.nodes[1].engine.ike_sa_count(), 1);
    assert!(established(&s));
}

/// An unprotected IKE_SA_INIT response from "the gateway" carrying only `payloads`.
fn forged_answer(request: &[u8], payloads: Vec<Payload>) -> Vec<u8> {
    let m = Message::parse(request).unwrap();
    let h = Header::new(
        m.header.spi_i,
        [0; 8],
        exchange::IKE_SA_INIT,
        Flags {
            initiator: false,
            version: false,
            response: true,
        },
        0,
    );
    Message::new(h, payloads).emit().unwrap()
}

fn notify_only(ty: u16) -> Vec<Payload> {
    vec![Payload::Notify(NotifyPayload::new(ty, Vec::new()))]
}

/// Node 0 starts; its first IKE_SA_INIT is taken off the wire and returned.
fn start_and_take_request(s: &mut Sim) -> Vec<u8> {
    s.nodes[0]
        .engine
        .initiate(s.now, initiator_conn("k"))
        .unwrap();
    s.nodes[0].engine.poll_transmit().unwrap().payload
}

#[test]
fn forged_error_before_the_real_answer_does_not_decide() {
    for forged in [
        notify_only(notify::NO_PROPOSAL_CHOSEN),
        notify_only(notify::AUTHENTICATION_FAILED),
        // INVALID_KE_PAYLOAD for a group we do not allow.
        vec![Payload::Notify(NotifyPayload::new(
            notify::INVALID_KE_PAYLOAD,
            999u16.to_be_bytes().to_vec(),
        ))],
        // A "response" without SA, KE and nonce.
        Vec::new(),
    ] {
        let mut s = sim(402, responder_cfg("k"));
        let req = start_and_take_request(&mut s);
        let now = s.now;
        let fake = forged_answer(&req, forged.clone());
        s.nodes[0]
            .engine
            .handle_datagram(now, sock(A, 500), sock(B, 500), &fake);
        // Then the real request reaches the gateway, whose answer follows.
        s.nodes[1]
            .engine
            .handle_datagram(now, sock(B, 500), sock(A, 500), &req);
        assert!(
            s.run_until(Duration::from_secs(10), established),
            "{forged:?}: {:?}",
            s.events(0)
        );
        assert!(!s.has_event(0, |e| matches!(e, Event::Failed { .. })));
    }
}

#[test]
fn refusing_gateway_is_reported_after_its_second_answer() {
    let mut r = responder_cfg("k");
    r.ike_proposals = parse_strongswan(Protocol::Ike, "aes256gcm16-prfsha384-ecp384")
        .unwrap()
        .0;
    let mut s = sim(403, r);
    let mut c = initiator_conn("k");
    c.ike_proposals = parse_strongswan(Protocol::Ike, "aes128-sha256-x25519")
        .unwrap()
        .0;
    let start = s.now;
    s.nodes[0].engine.initiate(s.now, c).unwrap();
    assert!(s.run_until(Duration::from_secs(5), |s| s
        .has_event(0, |e| matches!(e, Event::Failed { .. }))));
    let (at, f) = s.nodes[0]
        .events
        .iter()
        .find_map(|(t, e)| match e {
            Event::Failed { failure, .. } => Some((*t, failure.clone())),
            _ => None,
        })
        .unwrap();
    assert!(
        matches!(
            f,
            Failure::NoProposalChosen {
                phase: Phase::Ike,
                ..
            }
        ),
        "{f:?}"
    );
    // Two transmissions, both answered with NO_PROPOSAL_CHOSEN, within about a second.
    assert_eq!(s.nodes[0].sent.len(), 2, "{:?}", s.nodes[0].sent);
    assert_eq!(
        s.events(1)
            .iter()
            .filter(|e| matches!(e, Event::Failed { .. }))
            .count(),
        2
    );
    assert!(at.saturating_since(start) <= Duration::from_secs(2));
}

#[test]
fn lone_forged_error_is_named_when_no_valid_answer_comes() {
    let mut s = sim(404, responder_cfg("k"));
    s.blackhole = Some(1);
    let req = start_and_take_request(&mut s);
    let start = s.now;
    let fake = forged_answer(&req, notify_only(notify::NO_PROPOSAL_CHOSEN));
    s.nodes[0]
        .engine
        .handle_datagram(start, sock(A, 500), sock(B, 500), &fake);
    s.run_for(Duration::from_secs(30));
    let (at, f) = s.nodes[0]
        .events
        .iter()
        .find_map(|(t, e)| match e {
            Event::Failed { failure, .. } => Some((*t, failure.clone())),
            _ => None,
        })
        .expect("the attempt ends when the retransmissions run out");
    // Not decided by the forged datagram: every retransmission went out first.
    assert!(
        at.saturating_since(start) >= Duration::from_secs(5),
        "{at:?}"
    );
    assert_eq!(s.nodes[0].sent.len() + 1, 4);
    assert!(
        matches!(
            f,
            Failure::NoProposalChosen {
                phase: Phase::Ike,
                ..
            }
        ),
        "{f:?}"
    );
}
