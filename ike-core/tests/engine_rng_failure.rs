//! The engine never runs on zeros when its RNG fails (issue #11 item 11): no COOKIE from a zero
//! secret, no SA from zero SPIs or nonces; the operation fails instead (`initiate` returns an
//! error, a responder drops the request, a rekey is reported with `ExchangeFailed` and the old
//! SAs stay).
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
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::{established, initiator_conn, responder_cfg, sim, A, B};
use common::{test_rng, Sim};
use ike_core::cookie::CookieJar;
use ike_core::crypto::{CryptoError, DeterministicRng, Rng};
use ike_core::engine::*;
use ike_core::ids::notify;
use ike_core::wire::{Message, Payload};

/// Fails while `fail` is non-zero (counting down when `countdown`), else deterministic bytes.
struct FlakyRng {
    inner: DeterministicRng,
    fail: Arc<AtomicU32>,
    countdown: bool,
}

impl Rng for FlakyRng {
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), CryptoError> {
        let n = self.fail.load(Ordering::SeqCst);
        if n > 0 {
            if self.countdown {
                self.fail.store(n - 1, Ordering::SeqCst);
            }
            return Err(CryptoError::RngFailure);
        }
        self.inner.fill(buf)
    }
}

fn flaky(seed: u64, fail: &Arc<AtomicU32>, countdown: bool) -> Box<dyn Rng + Send> {
    Box::new(FlakyRng {
        inner: DeterministicRng::from_u64(seed),
        fail: fail.clone(),
        countdown,
    })
}

fn sock(ip: &str, port: u16) -> SocketAddr {
    SocketAddr::new(ip.parse().unwrap(), port)
}

fn client_request(seed: u64) -> Vec<u8> {
    let mut e = Engine::new(EngineConfig::default(), test_rng(seed));
    e.initiate(Time::from_millis(0), initiator_conn("k"))
        .unwrap();
    e.poll_transmit().unwrap().payload
}

fn cookie_responder(rng: Box<dyn Rng + Send>) -> Engine {
    let cfg = EngineConfig {
        responders: vec![responder_cfg("k")],
        cookie_threshold: 0,
        ..EngineConfig::default()
    };
    Engine::new(cfg, rng)
}

#[test]
fn initiate_fails_without_randomness() {
    let fail = Arc::new(AtomicU32::new(1));
    let mut e = Engine::new(EngineConfig::default(), flaky(1, &fail, false));
    // Our own fault, reported as such (not as a configuration or protocol error).
    let err = e
        .initiate(Time::from_millis(0), initiator_conn("k"))
        .unwrap_err();
    assert!(
        matches!(
            err,
            ConfigError::Local {
                fault: LocalFault::Rng,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(e.poll_transmit().is_none());
    assert_eq!(e.ike_sa_count(), 0);
}

#[test]
fn no_cookie_from_a_zero_secret() {
    let req = client_request(2);
    let m = Message::parse(&req).unwrap();
    let ni = m
        .payloads
        .iter()
        .find_map(|p| match p {
            Payload::Nonce(n) => Some(n.data.clone()),
            _ => None,
        })
        .unwrap();
    let from = sock(A, 500);
    let zero = CookieJar::new([0; 32]).make(&ni, from, &m.header.spi_i);

    // The RNG fails for good: no cookie at all (the request is dropped).
    let fail = Arc::new(AtomicU32::new(1));
    let mut e = cookie_responder(flaky(3, &fail, false));
    e.handle_datagram(Time::from_millis(0), sock(B, 500), from, &req);
    assert!(
        e.poll_transmit().is_none(),
        "answered without a cookie secret"
    );
    assert!(e.poll_event().is_none());
    assert_eq!(e.ike_sa_count(), 0);

    // The RNG fails only when the engine is made: the secret is drawn when first needed.
    let fail = Arc::new(AtomicU32::new(1));
    let mut e = cookie_responder(flaky(4, &fail, true));
    e.handle_datagram(Time::from_millis(0), sock(B, 500), from, &req);
    let t = e.poll_transmit().expect("a COOKIE answer");
    let ans = Message::parse(&t.payload).unwrap();
    let cookie = ans
        .payloads
        .iter()
        .find_map(|p| match p {
            Payload::Notify(n) if n.notify_type == notify::COOKIE => Some(n.data.clone()),
            _ => None,
        })
        .unwrap();
    assert_ne!(cookie, zero, "cookie from a zero secret");
}

#[test]
fn responder_drops_requests_while_the_rng_fails() {
    let fail = Arc::new(AtomicU32::new(1));
    let cfg = EngineConfig {
        responders: vec![responder_cfg("k")],
        ..EngineConfig::default()
    };
    let mut e = Engine::new(cfg, flaky(5, &fail, false));
    let req = client_request(6);
    e.handle_datagram(Time::from_millis(0), sock(B, 500), sock(A, 500), &req);
    assert!(e.poll_transmit().is_none());
    assert!(e.poll_event().is_none());
    assert_eq!(e.ike_sa_count(), 0);
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

/// An established pair whose client's RNG can be switched off.
fn pair(seed: u64) -> (Sim, Arc<AtomicU32>) {
    let fail = Arc::new(AtomicU32::new(0));
    let mut s = sim(seed, responder_cfg("k"));
    s.nodes[0].engine = Engine::new(EngineConfig::default(), flaky(seed, &fail, false));
    s.nodes[0]
        .engine
        .initiate(s.now, initiator_conn("k"))
        .unwrap();
    assert!(s.run_until(Duration::from_secs(10), established));
    (s, fail)
}

fn rng_exchange_failures(s: &Sim) -> usize {
    s.events(0)
        .iter()
        .filter(|e| {
            // Our RNG's fault: reported as what it is, never as the peer's protocol error.
            matches!(
                e,
                Event::ExchangeFailed {
                    failure: Failure::Local {
                        fault: LocalFault::Rng,
                        ..
                    },
                    ..
                }
            )
        })
        .count()
}

#[test]
fn child_rekey_without_randomness_fails_the_rekey_only() {
    let (mut s, fail) = pair(7);
    let spi = live(&s, 0)[0];
    fail.store(1, Ordering::SeqCst);
    let now = s.now;
    s.nodes[0]
        .engine
        .handle_kernel_event(now, KernelEvent::SaExpired { spi, hard: false });
    s.run_for(Duration::from_secs(5));
    assert_eq!(rng_exchange_failures(&s), 1, "{:?}", s.events(0));
    assert_eq!(live(&s, 0), vec![spi]);
    assert!(!s.has_event(0, |e| matches!(
        e,
        Event::Failed { .. } | Event::IkeSaDown { .. }
    )));
    // The RNG recovers: the retry rekeys the Child SA.
    fail.store(0, Ordering::SeqCst);
    assert!(
        s.run_until(Duration::from_secs(200), |s| live(s, 0).len() == 1
            && live(s, 0) != vec![spi]),
        "{:?}",
        s.events(0)
    );
    assert!(s.has_event(0, |e| matches!(
        e,
        Event::ChildSaDown { spi_in, rekeyed: true, .. } if *spi_in == spi
    )));
}

#[test]
fn ike_rekey_without_randomness_fails_the_rekey_only() {
    let (mut s, fail) = pair(8);
    let h = s.ike_up(0).unwrap();
    fail.store(1, Ordering::SeqCst);
    let now = s.now;
    s.nodes[0].engine.rekey_ike(now, h);
    s.run_for(Duration::from_secs(5));
    assert_eq!(rng_exchange_failures(&s), 1, "{:?}", s.events(0));
    assert!(!s.has_event(0, |e| matches!(
        e,
        Event::Failed { .. } | Event::IkeSaDown { .. }
    )));
    assert_eq!(s.nodes[0].engine.ike_sa_count(), 1);
}

#[test]
fn responder_without_randomness_reports_its_own_fault_not_the_peers() {
    let fail = Arc::new(AtomicU32::new(0));
    let mut s = sim(9, responder_cfg("k"));
    let ecfg = EngineConfig {
        responders: vec![responder_cfg("k")],
        ..EngineConfig::default()
    };
    s.nodes[1].engine = Engine::new(ecfg, flaky(9, &fail, false));
    s.nodes[0]
        .engine
        .initiate(s.now, initiator_conn("k"))
        .unwrap();
    assert!(s.run_until(Duration::from_secs(10), established));
    let spi = live(&s, 0)[0];
    // The gateway's RNG fails while the client rekeys its Child SA.
    fail.store(1, Ordering::SeqCst);
    let now = s.now;
    s.nodes[0]
        .engine
        .handle_kernel_event(now, KernelEvent::SaExpired { spi, hard: false });
    s.run_for(Duration::from_secs(5));
    let ours = |e: &Event| {
        matches!(
            e,
            Event::ExchangeFailed {
                failure: Failure::Local {
                    fault: LocalFault::Rng,
                    ..
                },
                ..
            }
        )
    };
    assert!(s.has_event(1, ours), "{:?}", s.events(1));
    // Never blamed on the peer, never fatal to the IKE SA.
    assert!(!s.has_event(1, |e| matches!(
        e,
        Event::ExchangeFailed {
            failure: Failure::ProtocolError(_) | Failure::NoProposalChosen { .. },
            ..
        } | Event::Failed { .. }
            | Event::IkeSaDown { .. }
    )));
}
