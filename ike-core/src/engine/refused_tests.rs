//! Rekeys refused by a peer that cannot be made to refuse in a simulation of two honest
//! engines (TS_UNACCEPTABLE, an INVALID_KE_PAYLOAD for a group nobody offered, an IKE SA rekey
//! refused): the refusing side's answer is encrypted with its real keys by calling into its
//! IKE SA directly. In every case the rekey fails with `Event::ExchangeFailed` and the SAs stay.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::net::{IpAddr, SocketAddr};

use super::*;
use crate::crypto::DeterministicRng;
use crate::ids::{exchange as xt, notify, protocol};
use crate::sa::ReqKind;
use crate::wire::{NoncePayload, NotifyPayload, Payload, TrafficSelector, TsPayload};
use core::time::Duration;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn ts(a: &str, b: &str) -> TrafficSelector {
    TrafficSelector::from_range(ip(a), ip(b))
}

fn psk() -> SecretBytes {
    SecretBytes::from_slice(b"refused")
}

fn responder() -> ResponderConfig {
    ResponderConfig {
        name: "gw".into(),
        local_id: Identity::parse("@gw.example").unwrap(),
        remote_id: None,
        local_auth: LocalAuth::Psk(psk()),
        remote_auth: RemoteAuth::Psk(psk()),
        ike_proposals: Vec::new(),
        esp_proposals: Vec::new(),
        local_ts: vec![ts("10.1.0.0", "10.1.255.255")],
        remote_ts: vec![ts("0.0.0.0", "255.255.255.255")],
        allow_transport: false,
        serve: ServeConfig::default(),
        ike_lifetime: Duration::from_secs(28800),
        child_lifetime: Duration::from_secs(3600),
        fragmentation: Fragmentation::Yes,
        fragment_size: 1280,
        dpd_delay: None,
        retransmit: RetransmitConfig::default(),
        auth_lifetime: None,
        mobike: false,
    }
}

fn client(gw: IpAddr, me: IpAddr) -> ConnectionConfig {
    let mut c = ConnectionConfig::new(
        "client",
        SocketAddr::new(gw, 500),
        Identity::parse("client@example").unwrap(),
        LocalAuth::Psk(psk()),
        RemoteAuth::Psk(psk()),
    );
    c.local_addr = Some(me);
    c.children = vec![ChildConfig {
        name: "net".into(),
        local_ts: vec![ts("0.0.0.0", "255.255.255.255")],
        remote_ts: vec![ts("10.1.0.0", "10.1.255.255")],
        mode: Mode::Tunnel,
    }];
    c
}

/// Two engines wired back to back: 0 is the client, 1 the gateway.
struct Pair {
    e: [Engine; 2],
    ip: [IpAddr; 2],
    now: Time,
    next_spi: u32,
    events: [Vec<Event>; 2],
}

impl Pair {
    fn new() -> Pair {
        Pair::with(|_| {})
    }

    /// A pair whose client connection is edited by `edit` first.
    fn with(edit: impl FnOnce(&mut ConnectionConfig)) -> Pair {
        let ip = [ip("192.0.2.10"), ip("198.51.100.20")];
        let gw = EngineConfig {
            responders: vec![responder()],
            ..EngineConfig::default()
        };
        let mut p = Pair {
            e: [
                Engine::new(
                    EngineConfig::default(),
                    Box::new(DeterministicRng::from_u64(11)),
                ),
                Engine::new(gw, Box::new(DeterministicRng::from_u64(12))),
            ],
            ip,
            now: Time::from_millis(1000),
            next_spi: 0xc000_0000,
            events: [Vec::new(), Vec::new()],
        };
        let now = p.now;
        let mut conn = client(ip[1], ip[0]);
        edit(&mut conn);
        p.e[0].initiate(now, conn).unwrap();
        p.pump(&mut |_, _| false);
        for i in 0..2 {
            assert!(
                p.events[i]
                    .iter()
                    .any(|e| matches!(e, Event::ChildSaUp { .. })),
                "{:?}",
                p.events[i]
            );
        }
        p
    }

    /// Moves datagrams, SPI allocations and events until nothing happens; datagrams for which
    /// `hold(sender, payload)` is true are kept back and returned.
    fn pump(&mut self, hold: &mut dyn FnMut(usize, &[u8]) -> bool) -> Vec<(usize, Transmit)> {
        let mut held = Vec::new();
        loop {
            let mut progress = false;
            for i in 0..2 {
                while let Some(op) = self.e[i].poll_kernel_op() {
                    progress = true;
                    if let KernelOp::AllocateSpi { request, .. } = op {
                        self.next_spi += 1;
                        let spi = self.next_spi;
                        self.e[i].handle_kernel_event(
                            self.now,
                            KernelEvent::SpiAllocated { request, spi },
                        );
                    }
                }
                while let Some(ev) = self.e[i].poll_event() {
                    progress = true;
                    self.events[i].push(ev);
                }
                while let Some(t) = self.e[i].poll_transmit() {
                    progress = true;
                    if hold(i, &t.payload) {
                        held.push((i, t));
                        continue;
                    }
                    self.deliver(i, &t);
                }
            }
            if !progress {
                return held;
            }
        }
    }

    fn deliver(&mut self, from: usize, t: &Transmit) {
        let to = 1 - from;
        let src = SocketAddr::new(self.ip[from], t.local_port);
        self.e[to].handle_datagram(self.now, t.remote, src, &t.payload);
    }

    fn advance(&mut self, d: Duration) {
        let end = self.now + d;
        loop {
            let next = (0..2).filter_map(|i| self.e[i].poll_timeout()).min();
            match next {
                Some(t) if t <= end => {
                    self.now = self.now.max(t);
                    for i in 0..2 {
                        self.e[i].handle_timeout(self.now);
                    }
                    self.pump(&mut |_, _| false);
                }
                _ => break,
            }
        }
        self.now = end;
    }

    /// The live, established (non-shell) IKE SA of engine `i`.
    fn sa(&mut self, i: usize) -> &mut crate::sa::IkeSa {
        self.e[i]
            .sas
            .values_mut()
            .find(|s| !s.shell && s.state == IkeState::Established)
            .unwrap()
    }

    /// Runs `f` on engine `i`'s IKE SA with a context of that engine.
    fn with_sa<R>(
        &mut self,
        i: usize,
        f: impl FnOnce(&mut crate::sa::IkeSa, &mut Ctx<'_>) -> R,
    ) -> R {
        let now = self.now;
        let e = &mut self.e[i];
        let sa = e
            .sas
            .values_mut()
            .find(|s| !s.shell && s.state == IkeState::Established)
            .unwrap();
        let mut ctx = Ctx::new(now, &mut *e.rng, &mut e.out, &e.cfg, &mut e.leases);
        f(sa, &mut ctx)
    }

    fn child_spis(&mut self, i: usize) -> Vec<(u32, u32)> {
        self.sa(i)
            .children
            .iter()
            .map(|c| (c.spi_in, c.spi_out))
            .collect()
    }

    fn fatal(&self, i: usize) -> bool {
        self.events[i]
            .iter()
            .any(|e| matches!(e, Event::Failed { .. } | Event::IkeSaDown { .. }))
    }

    fn exchange_failures(&self, i: usize) -> Vec<Failure> {
        self.events[i]
            .iter()
            .filter_map(|e| match e {
                Event::ExchangeFailed { failure, .. } => Some(failure.clone()),
                _ => None,
            })
            .collect()
    }
}

fn is_create_child(p: &[u8]) -> bool {
    crate::wire::Message::parse(p)
        .is_ok_and(|m| m.header.exchange_type == xt::CREATE_CHILD_SA && !m.header.flags.response)
}

/// Engine `rekeyer` rekeys its Child SA; the other engine answers with `answer` instead of
/// processing the request. Returns the pair afterwards and the Child SAs before.
fn refuse_child_rekey(rekeyer: usize, answer: Payload) -> (Pair, Vec<(u32, u32)>) {
    let mut p = Pair::new();
    let before = p.child_spis(rekeyer);
    let spi = before[0].0;
    let now = p.now;
    p.e[rekeyer].handle_kernel_event(now, KernelEvent::SaExpired { spi, hard: false });
    let held = p.pump(&mut |from, d| from == rekeyer && is_create_child(d));
    assert_eq!(held.len(), 1);
    let msg_id = crate::wire::Message::parse(&held[0].1.payload)
        .unwrap()
        .header
        .message_id;
    let other = 1 - rekeyer;
    p.with_sa(other, |sa, ctx| {
        sa.peer_next = msg_id.wrapping_add(1);
        sa.respond(ctx, xt::CREATE_CHILD_SA, msg_id, &[answer])
            .unwrap();
    });
    p.pump(&mut |_, _| false);
    (p, before)
}

fn check_child_kept(p: &mut Pair, rekeyer: usize, before: &[(u32, u32)], expect: &Failure) {
    assert_eq!(&p.exchange_failures(rekeyer), std::slice::from_ref(expect));
    assert!(!p.fatal(0) && !p.fatal(1), "{:?}", p.events);
    assert_eq!(p.child_spis(rekeyer), before);
    // A retry is scheduled before the hard lifetime.
    let retry = p.sa(rekeyer).retry.clone();
    assert!(
        retry
            .iter()
            .any(|(at, k)| matches!(k, ReqKind::RekeyChild { old_spi_in, .. } if *old_spi_in == before[0].0)
                && *at <= p.now + Duration::from_secs(3600)),
        "{retry:?}"
    );
}

#[test]
fn child_rekey_refused_with_ts_unacceptable_both_directions() {
    for rekeyer in 0..2 {
        let n = Payload::Notify(NotifyPayload::new(notify::TS_UNACCEPTABLE, Vec::new()));
        let (mut p, before) = refuse_child_rekey(rekeyer, n);
        check_child_kept(&mut p, rekeyer, &before, &Failure::TsUnacceptable);
    }
}

#[test]
fn child_rekey_with_unsatisfiable_invalid_ke_both_directions() {
    for rekeyer in 0..2 {
        let n = Payload::Notify(NotifyPayload::new(
            notify::INVALID_KE_PAYLOAD,
            1234u16.to_be_bytes().to_vec(),
        ));
        let (mut p, before) = refuse_child_rekey(rekeyer, n);
        check_child_kept(
            &mut p,
            rekeyer,
            &before,
            &Failure::InvalidKe { requested: 1234 },
        );
    }
}

#[test]
fn ike_rekey_refused_keeps_the_ike_sa_and_retries() {
    let mut p = Pair::new();
    let h = p.events[0]
        .iter()
        .find_map(|e| match e {
            Event::IkeSaUp { sa, .. } => Some(*sa),
            _ => None,
        })
        .unwrap();
    let spi_before = p.sa(0).spi_i;
    let now = p.now;
    p.e[0].rekey_ike(now, h);
    let held = p.pump(&mut |from, d| from == 0 && is_create_child(d));
    assert_eq!(held.len(), 1);
    let msg_id = crate::wire::Message::parse(&held[0].1.payload)
        .unwrap()
        .header
        .message_id;
    p.with_sa(1, |sa, ctx| {
        sa.peer_next = msg_id.wrapping_add(1);
        let n = Payload::Notify(NotifyPayload::new(notify::NO_PROPOSAL_CHOSEN, Vec::new()));
        sa.respond(ctx, xt::CREATE_CHILD_SA, msg_id, &[n]).unwrap();
    });
    p.pump(&mut |_, _| false);
    let f = p.exchange_failures(0);
    assert!(
        matches!(f.as_slice(), [Failure::NoProposalChosen { phase: Phase::Ike, ours, .. }] if !ours.is_empty()),
        "{f:?}"
    );
    assert!(!p.fatal(0) && !p.fatal(1));
    assert_eq!(p.sa(0).spi_i, spi_before);
    assert_eq!(p.child_spis(0).len(), 1);
    // Retried before the hard lifetime; the gateway now accepts.
    p.advance(Duration::from_secs(400));
    let spi_after = p.sa(0).spi_i;
    assert_ne!(spi_after, spi_before, "{:?}", p.events[0]);
    assert!(!p.fatal(0) && !p.fatal(1), "{:?}", p.events);
}

#[test]
fn peer_rekey_with_unacceptable_selectors_is_refused_and_the_child_stays() {
    let mut p = Pair::new();
    let before = p.child_spis(0);
    let spi_out = before[0].1;
    // The gateway asks to rekey with selectors outside the Child SA's.
    p.with_sa(1, |sa, ctx| {
        let payloads = vec![
            Payload::Notify(NotifyPayload {
                protocol_id: protocol::ESP,
                spi: spi_out.to_be_bytes().to_vec(),
                notify_type: notify::REKEY_SA,
                data: Vec::new(),
            }),
            Payload::Sa(crate::exchange::nego::to_wire(
                &sa.profile.esp_proposals,
                &0x1234_5678u32.to_be_bytes(),
                true,
            )),
            Payload::Nonce(NoncePayload { data: vec![7; 32] }),
            Payload::TsI(TsPayload {
                selectors: vec![ts("192.168.77.0", "192.168.77.255")],
            }),
            Payload::TsR(TsPayload {
                selectors: vec![ts("192.168.78.0", "192.168.78.255")],
            }),
        ];
        sa.start_request(ctx, ReqKind::Dpd, xt::CREATE_CHILD_SA, &payloads)
            .unwrap();
    });
    p.pump(&mut |_, _| false);
    assert_eq!(p.exchange_failures(0), vec![Failure::TsUnacceptable]);
    assert!(!p.fatal(0) && !p.fatal(1));
    assert_eq!(p.child_spis(0), before);
}

#[test]
fn ike_rekeys_refused_until_the_lifetime_ends_report_lifetime_expired() {
    let mut p = Pair::with(|c| c.ike_lifetime = Duration::from_secs(600));
    let start = p.now;
    let mut refused = 0;
    while p.now < start + Duration::from_secs(700) && !p.fatal(0) {
        let next = (0..2).filter_map(|i| p.e[i].poll_timeout()).min();
        let Some(t) = next.filter(|t| *t <= start + Duration::from_secs(700)) else {
            break;
        };
        p.now = p.now.max(t);
        for i in 0..2 {
            let now = p.now;
            p.e[i].handle_timeout(now);
        }
        // Every IKE SA rekey request of the client is refused by the gateway.
        for (_, held) in p.pump(&mut |from, d| from == 0 && is_create_child(d)) {
            let msg_id = crate::wire::Message::parse(&held.payload)
                .unwrap()
                .header
                .message_id;
            p.with_sa(1, |sa, ctx| {
                sa.peer_next = msg_id.wrapping_add(1);
                let n = Payload::Notify(NotifyPayload::new(notify::NO_PROPOSAL_CHOSEN, Vec::new()));
                sa.respond(ctx, xt::CREATE_CHILD_SA, msg_id, &[n]).unwrap();
            });
            refused += 1;
            p.pump(&mut |_, _| false);
        }
    }
    assert!(refused >= 2, "{refused} refused rekeys");
    let failed: Vec<&Failure> = p.events[0]
        .iter()
        .filter_map(|e| match e {
            Event::Failed { failure, .. } => Some(failure),
            _ => None,
        })
        .collect();
    assert_eq!(
        failed,
        vec![&Failure::IkeLifetimeExpired {
            rekey_disabled: false
        }]
    );
    let ended = p.now.saturating_since(start).as_secs();
    assert!((599..=601).contains(&ended), "{ended}");
}
