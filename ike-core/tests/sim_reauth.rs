//! Reauthentication when the gateway sets an authentication lifetime (AUTH_LIFETIME,
//! RFC 4478): our responder sends it (`ResponderConfig::auth_lifetime`), the initiator sets
//! up a new IKE SA before it ends, make-before-break (its Child SA installed before the old
//! one's SAs are deleted, the policies never), keeps its handle and virtual address; a
//! reauthentication the gateway does not answer keeps the old IKE SA, is retried, and the
//! connection ends when the lifetime does, with `Failure::AuthLifetimeExpired`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use crate::common;

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::time::Duration;

use common::{established, initiator_conn, responder_cfg, sim, Sim};
use ike_core::engine::*;

const LIFETIME: u64 = 60;

fn setup(seed: u64, gateway_max_sas: Option<usize>) -> (Sim, IkeSaHandle) {
    let mut r = responder_cfg("secret");
    r.ike_lifetime = Duration::from_secs(100_000);
    r.auth_lifetime = Some(Duration::from_secs(LIFETIME));
    let mut s = sim(seed, r.clone());
    if let Some(max) = gateway_max_sas {
        // A gateway that turns new IKE SAs away once it holds `max`.
        let cfg = EngineConfig {
            responders: vec![r],
            max_ike_sas: max,
            ..EngineConfig::default()
        };
        s.nodes[1].engine = Engine::new(cfg, common::test_rng(seed ^ 0x55));
    }
    let mut c = initiator_conn("secret");
    c.request_config.ipv4 = true;
    c.ike_lifetime = Duration::from_secs(100_000);
    c.retransmit = RetransmitConfig {
        initial: Duration::from_secs(1),
        factor: 1.0,
        tries: 2,
        max_total: Duration::from_secs(4),
    };
    let h = s.nodes[0].engine.initiate(s.now, c).unwrap();
    assert!(s.run_until(Duration::from_secs(10), established));
    (s, h)
}

/// IKE SPIs (initiator's, responder's).
type Spis = ([u8; 8], [u8; 8]);

/// The reauthentications node 0 reported: when, the old SPIs, the new ones.
fn reauths(s: &Sim) -> Vec<(Time, Spis, Spis)> {
    s.nodes[0]
        .events
        .iter()
        .filter_map(|(t, e)| match e {
            Event::IkeSaReauthenticated { old_spis, spis, .. } => Some((*t, *old_spis, *spis)),
            _ => None,
        })
        .collect()
}

fn assigned(s: &Sim) -> Vec<IpAddr> {
    s.nodes[0]
        .events
        .iter()
        .filter_map(|(_, e)| match e {
            Event::ConfigReceived { config, .. } => Some(config.addresses_v4[0].addr),
            _ => None,
        })
        .collect()
}

/// Replays node `i`'s kernel operations: the inbound and outbound SAs alive after each one,
/// and the policies installed and deleted.
struct Kernel {
    min_in: usize,
    min_out: usize,
    live: BTreeSet<(u32, bool)>,
    policies_installed: usize,
    policies_deleted: usize,
}

fn replay(s: &Sim, i: usize) -> Kernel {
    let mut k = Kernel {
        min_in: usize::MAX,
        min_out: usize::MAX,
        live: BTreeSet::new(),
        policies_installed: 0,
        policies_deleted: 0,
    };
    let mut seen_first = false;
    for op in &s.nodes[i].ops {
        match op {
            KernelOp::InstallSa { spi, direction, .. } => {
                k.live.insert((*spi, *direction == Direction::In));
            }
            KernelOp::DeleteSa { spi, .. } => {
                let dir_in = k.live.contains(&(*spi, true));
                k.live.remove(&(*spi, dir_in));
            }
            KernelOp::InstallPolicy { .. } => {
                k.policies_installed += 1;
                seen_first = true;
            }
            KernelOp::DeletePolicy { .. } => k.policies_deleted += 1,
            KernelOp::AllocateSpi { .. } | KernelOp::MigrateSa { .. } => {}
        }
        if seen_first {
            k.min_in = k.min_in.min(k.live.iter().filter(|(_, d)| *d).count());
            k.min_out = k.min_out.min(k.live.iter().filter(|(_, d)| !*d).count());
        }
    }
    k
}

#[test]
fn the_initiator_reauthenticates_before_each_lifetime_ends_without_a_gap() {
    let (mut s, h) = setup(7, None);
    let first_up = s.now;
    let first_spis = s.nodes[0].engine.ike_sa_spis(h).unwrap();
    let addr = assigned(&s);
    assert_eq!(addr.len(), 1, "one virtual address at the start");
    const ROUNDS: usize = 5;
    let mut last_up = first_up;
    for n in 1..=ROUNDS {
        assert!(
            s.run_until(Duration::from_secs(LIFETIME + 5), |s| reauths(s).len() >= n),
            "reauthentication {n} did not happen: {:?}",
            s.nodes[0].events
        );
        let (at, old, new) = *reauths(&s).last().unwrap();
        // Before the lifetime ends, about its margin (10 s) before it.
        let since = at.saturating_since(last_up);
        assert!(
            since >= Duration::from_secs(LIFETIME - 11) && since < Duration::from_secs(LIFETIME),
            "reauthentication {n} came {since:?} after the previous IKE SA"
        );
        assert_ne!(old, new);
        // The handle is the connection's and now names the new IKE SA.
        assert_eq!(s.nodes[0].engine.ike_sa_spis(h), Some(new));
        last_up = at;
    }
    // Long enough for the deleted IKE SAs to be forgotten (kept 10 s for retransmissions).
    s.run_for(Duration::from_secs(11));
    let all = reauths(&s);
    assert_eq!(all[0].1, first_spis);
    for w in all.windows(2) {
        assert_eq!(
            w[0].2, w[1].1,
            "each reauthentication replaces the previous IKE SA"
        );
    }
    // Nothing ended the connection, nothing failed, and the events name the connection.
    assert!(!s.has_event(0, |e| matches!(
        e,
        Event::Failed { .. } | Event::ExchangeFailed { .. } | Event::IkeSaDown { .. }
    )));
    assert!(s.nodes[0].events.iter().all(|(_, e)| e.sa() == h));
    assert!(!s.has_event(1, |e| matches!(e, Event::Failed { .. })));
    // Exactly one ChildSaUp and one replaced ChildSaDown per reauthentication.
    assert_eq!(s.child_up_count(0), 1 + ROUNDS);
    let replaced = s
        .events(0)
        .into_iter()
        .filter(|e| matches!(e, Event::ChildSaDown { rekeyed: true, .. }))
        .count();
    assert_eq!(replaced, ROUNDS);
    // No gap: from the first install on, an inbound and an outbound SA always existed; the
    // policies were installed once and never deleted; old SAs are gone.
    let k = replay(&s, 0);
    assert!(k.min_in >= 1 && k.min_out >= 1, "a moment without SAs");
    assert_eq!(k.policies_deleted, 0);
    assert_eq!(k.policies_installed, 3, "one policy set (out, in, fwd)");
    assert_eq!(k.live.len(), 2, "only the current SAs: {:?}", k.live);
    let gw = replay(&s, 1);
    assert_eq!(gw.live.len(), 2, "the gateway holds only the current SAs");
    // One IKE SA on each side at the end: the old ones were deleted.
    assert_eq!(s.nodes[0].engine.ike_sa_count(), 1);
    assert_eq!(s.nodes[1].engine.ike_sa_count(), 1);
    // The virtual address stayed: asked for again and given again (the gateway moved its
    // lease to the new IKE SA of the same identity), so nothing new was reported.
    assert_eq!(assigned(&s), addr);
    common::assert_matching_keys(&s);
}

#[test]
fn an_unanswered_reauthentication_keeps_the_old_sa_and_the_connection_ends_at_the_lifetime() {
    // The gateway holds one IKE SA at most: the new IKE SA's IKE_SA_INIT is never answered.
    let (mut s, h) = setup(11, Some(1));
    let up = s.now;
    let spis = s.nodes[0].engine.ike_sa_spis(h).unwrap();
    s.run_for(Duration::from_secs(LIFETIME - 1));
    // Tried (and retried) meanwhile, the old IKE SA and its Child SA untouched.
    let tries = s
        .events(0)
        .into_iter()
        .filter(|e| {
            matches!(
                e,
                Event::ExchangeFailed {
                    failure: Failure::ReauthFailed { .. },
                    ..
                }
            )
        })
        .count();
    assert!(tries >= 2, "reauthentication tried {tries} time(s)");
    assert_eq!(s.nodes[0].engine.ike_sa_spis(h), Some(spis));
    assert!(!s.has_event(0, |e| matches!(
        e,
        Event::ChildSaDown { .. } | Event::Failed { .. }
    )));
    assert_eq!(replay(&s, 0).live.len(), 2);
    s.run_for(Duration::from_secs(3));
    let (at, failure) = s.nodes[0]
        .events
        .iter()
        .find_map(|(t, e)| match e {
            Event::Failed { sa, failure } if *sa == h => Some((*t, failure.clone())),
            _ => None,
        })
        .expect("the connection failed at the end of the lifetime");
    let after = at.saturating_since(up);
    assert!(
        after >= Duration::from_secs(LIFETIME) && after < Duration::from_secs(LIFETIME + 1),
        "failed {after:?} after it came up"
    );
    match &failure {
        Failure::AuthLifetimeExpired { attempts, last } => {
            assert!(*attempts >= 2);
            assert!(matches!(last.as_deref(), Some(Failure::NoResponse { .. })));
        }
        f => panic!("unexpected failure {f:?}"),
    }
    assert!(failure.to_string().contains("reauthenticated"));
    assert!(s.has_event(0, |e| matches!(
        e,
        Event::ChildSaDown { rekeyed: false, .. }
    )));
    // Every SA of ours is gone: the old one's and every abandoned attempt's.
    s.run_for(Duration::from_secs(40));
    assert!(replay(&s, 0).live.is_empty());
    assert_eq!(s.nodes[0].engine.ike_sa_count(), 0);
}

#[test]
fn a_responder_deletes_an_ike_sa_that_is_not_reauthenticated() {
    // Nothing the initiator sends reaches the gateway any more (neither its
    // reauthentication nor its Delete): the gateway deletes the IKE SA after the lifetime
    // plus its grace (a tenth of it, at least 10 s).
    let (mut s, _) = setup(13, None);
    s.blackhole = Some(0);
    let up = s.now;
    s.run_for(Duration::from_secs(LIFETIME + 12));
    let (at, failure) = s.nodes[1]
        .events
        .iter()
        .find_map(|(t, e)| match e {
            Event::Failed { failure, .. } => Some((*t, failure.clone())),
            _ => None,
        })
        .expect("the gateway ended the IKE SA");
    assert_eq!(
        failure,
        Failure::AuthLifetimeExpired {
            attempts: 0,
            last: None
        }
    );
    let after = at.saturating_since(up);
    assert!(
        after >= Duration::from_millis((LIFETIME + 10) * 1000 - 100),
        "{after:?}"
    );
}

/// Whether a datagram is an IKE_SA_INIT request (a new IKE SA).
fn is_init_request(bytes: &[u8]) -> bool {
    ike_core::wire::Message::parse(bytes).is_ok_and(|m| {
        m.header.exchange_type == ike_core::ids::exchange::IKE_SA_INIT && !m.header.flags.response
    })
}

#[test]
fn an_auth_lifetime_in_an_informational_request_is_answered_and_schedules_the_reauthentication() {
    use crate::forge::{chain_with_raw, Pair};
    use ike_core::ids::exchange;
    use ike_core::wire::{NotifyPayload, Payload};
    let mut p = Pair::established(21);
    let h = p.handle(0).unwrap();
    // A malformed one (three octets) is answered, reported and ignored.
    let bad = Payload::Notify(NotifyPayload::new(
        ike_core::ids::notify::AUTH_LIFETIME,
        vec![0, 0, 30],
    ));
    let (first, chain) = chain_with_raw(&[bad], &[]);
    let req = p
        .forge(0, exchange::INFORMATIONAL, false, 0, first, &chain)
        .unwrap();
    p.queue.clear();
    p.inject(0, &req);
    assert_eq!(p.queue.len(), 1, "the request is answered");
    assert!(p.events[0].iter().any(|e| matches!(
        e,
        Event::ExchangeFailed { failure: Failure::ProtocolError(m), .. } if m.contains("AUTH_LIFETIME")
    )));
    // The gateway asks for a reauthentication within 30 s: it starts 10 s before the end.
    let (first, chain) = chain_with_raw(&[Payload::Notify(NotifyPayload::auth_lifetime(30))], &[]);
    let req = p
        .forge(0, exchange::INFORMATIONAL, false, 1, first, &chain)
        .unwrap();
    p.queue.clear();
    p.inject(0, &req);
    assert_eq!(p.queue.len(), 1, "the request is answered");
    p.queue.clear();
    p.advance(Duration::from_secs(19));
    assert!(!p.queue.iter().any(|(_, b)| is_init_request(b)));
    p.advance(Duration::from_secs(2));
    assert!(
        p.queue.iter().any(|(_, b)| is_init_request(b)),
        "no reauthentication started"
    );
    p.pump(64, |_, _, _| true);
    assert!(
        p.events[0]
            .iter()
            .any(|e| matches!(e, Event::IkeSaReauthenticated { sa, .. } if *sa == h)),
        "{:?}",
        p.events[0]
    );
    assert!(p.events[0].iter().all(|e| e.sa() == h));
}
