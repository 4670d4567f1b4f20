//! A two-engine harness that can forge protected messages under the real SK keys (through the
//! `fuzzing` feature's `Engine::fuzzing_sk_ciphers`). Shared by tests/cve_regressions.rs and
//! the `engine_sequence` fuzz target (which includes this file by path), so it depends on
//! nothing but ike-core and std.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use ike_core::crypto::DeterministicRng;
use ike_core::engine::{
    ChildConfig, ConnectionConfig, Engine, EngineConfig, Event, Identity, IkeSaHandle, KernelEvent,
    KernelOp, LocalAuth, Mode, RemoteAuth, ResponderConfig, SecretBytes, ServeConfig, Time,
};
use ike_core::ids::{exchange, payload};
use ike_core::wire::{
    emit_encrypted, emit_payload_chain, parse_payload_chain, Flags, Header, Message, Payload,
    TrafficSelector,
};

/// A fuzz target's input, read front to back (the sequence targets' steps).
pub struct Input<'a>(pub &'a [u8]);

impl<'a> Input<'a> {
    /// The next byte, if any.
    pub fn u8(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }

    /// The next `n` bytes, or as many as are left.
    pub fn bytes(&mut self, n: usize) -> &'a [u8] {
        let n = n.min(self.0.len());
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        a
    }
}

/// The initiator's address (engine 0).
pub const A: SocketAddr = SocketAddr::new(IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 10)), 500);
/// The responder's address (engine 1).
pub const B: SocketAddr =
    SocketAddr::new(IpAddr::V4(std::net::Ipv4Addr::new(198, 51, 100, 20)), 500);

fn ts(a: [u8; 4], b: [u8; 4]) -> TrafficSelector {
    TrafficSelector::from_range(IpAddr::from(a), IpAddr::from(b))
}

fn psk() -> SecretBytes {
    SecretBytes::from_slice(b"forge-test-psk")
}

/// A PSK responder serving 10.1.0.0/16.
pub fn responder() -> ResponderConfig {
    ResponderConfig {
        name: "server".into(),
        local_id: Identity::parse("@server.example").unwrap(),
        remote_id: None,
        local_auth: LocalAuth::Psk(psk()),
        remote_auth: RemoteAuth::Psk(psk()),
        ike_proposals: Vec::new(),
        esp_proposals: Vec::new(),
        local_ts: vec![ts([10, 1, 0, 0], [10, 1, 255, 255])],
        remote_ts: vec![ts([0, 0, 0, 0], [255, 255, 255, 255])],
        allow_transport: true,
        serve: ServeConfig::default(),
        ike_lifetime: Duration::from_secs(3600),
        child_lifetime: Duration::from_secs(1200),
        fragmentation: ike_core::engine::Fragmentation::Yes,
        fragment_size: 1280,
        dpd_delay: None,
        retransmit: ike_core::engine::RetransmitConfig::default(),
        auth_lifetime: None,
        mobike: false,
    }
}

/// The matching PSK initiator connection.
pub fn initiator() -> ConnectionConfig {
    let mut c = ConnectionConfig::new(
        "client",
        B,
        Identity::parse("client@example").unwrap(),
        LocalAuth::Psk(psk()),
        RemoteAuth::Psk(psk()),
    );
    c.local_addr = Some(A.ip());
    c.remote_id = Some(Identity::parse("@server.example").unwrap());
    c.children = vec![ChildConfig {
        name: "net".into(),
        local_ts: vec![ts([0, 0, 0, 0], [255, 255, 255, 255])],
        remote_ts: vec![ts([10, 1, 0, 0], [10, 1, 255, 255])],
        mode: Mode::Tunnel,
    }];
    c
}

/// Two engines and the datagrams in flight between them.
pub struct Pair {
    /// Engine 0 initiates, engine 1 responds.
    pub eng: [Engine; 2],
    /// Current time.
    pub now: Time,
    /// Events seen, per engine.
    pub events: [Vec<Event>; 2],
    /// Kernel operations seen, per engine.
    pub ops: [Vec<KernelOp>; 2],
    /// Datagrams waiting: (destination engine, bytes).
    pub queue: VecDeque<(usize, Vec<u8>)>,
    /// The inner payloads of the initiator's IKE_AUTH request, as the responder decrypted it.
    pub auth_request: Vec<Payload>,
    next_spi: [u32; 2],
    rng: DeterministicRng,
}

impl Pair {
    /// Two engines with deterministic randomness; the initiator has started.
    pub fn new(seed: u64) -> Pair {
        Pair::with(seed, EngineConfig::default(), responder(), initiator())
    }

    /// As [`Pair::new`], with the initiator's engine configuration `icfg` (also given to the
    /// responder's engine, with `resp` as its only responder) and connection `conn`.
    pub fn with(
        seed: u64,
        icfg: EngineConfig,
        resp: ResponderConfig,
        conn: ConnectionConfig,
    ) -> Pair {
        let rcfg = EngineConfig {
            responders: vec![resp],
            ..icfg.clone()
        };
        let mk = |cfg, s: u64| Engine::new(cfg, Box::new(DeterministicRng::from_u64(s)));
        let mut p = Pair {
            eng: [
                mk(icfg, seed.wrapping_mul(2)),
                mk(rcfg, seed.wrapping_mul(2).wrapping_add(1)),
            ],
            now: Time::from_millis(1_000_000),
            events: [Vec::new(), Vec::new()],
            ops: [Vec::new(), Vec::new()],
            queue: VecDeque::new(),
            auth_request: Vec::new(),
            next_spi: [0xc000_0000, 0xd000_0000],
            rng: DeterministicRng::from_u64(seed ^ 0x5eed),
        };
        let now = p.now;
        p.eng[0].initiate(now, conn).unwrap();
        p.collect();
        p
    }

    /// Moves every output of both engines into the queue and the logs (SPI requests are
    /// answered at once).
    pub fn collect(&mut self) {
        for i in 0..2 {
            for _ in 0..64 {
                let mut any = false;
                while let Some(t) = self.eng[i].poll_transmit() {
                    any = true;
                    self.queue.push_back((1 - i, t.payload));
                }
                while let Some(op) = self.eng[i].poll_kernel_op() {
                    any = true;
                    if let KernelOp::AllocateSpi { request, .. } = &op {
                        let spi = self.next_spi[i];
                        self.next_spi[i] = spi.wrapping_add(1);
                        let now = self.now;
                        self.eng[i].handle_kernel_event(
                            now,
                            KernelEvent::SpiAllocated {
                                request: *request,
                                spi,
                            },
                        );
                    }
                    self.ops[i].push(op);
                }
                while let Some(e) = self.eng[i].poll_event() {
                    any = true;
                    self.events[i].push(e);
                }
                if !any {
                    break;
                }
            }
        }
    }

    /// Feeds one datagram to engine `to` as if it came from the other engine.
    pub fn inject(&mut self, to: usize, bytes: &[u8]) {
        let (local, remote) = if to == 0 { (A, B) } else { (B, A) };
        let now = self.now;
        self.eng[to].handle_datagram(now, local, remote, bytes);
        self.collect();
    }

    /// Advances the clock and runs the engines' timers.
    pub fn advance(&mut self, d: Duration) {
        self.now = self.now + d;
        let now = self.now;
        for e in &mut self.eng {
            e.handle_timeout(now);
        }
        self.collect();
    }

    /// Delivers queued datagrams (at most `max`), passing each through `edit` first (which
    /// may change it, or return false to drop it).
    pub fn pump(
        &mut self,
        max: usize,
        mut edit: impl FnMut(&mut Pair, usize, &mut Vec<u8>) -> bool,
    ) {
        for _ in 0..max {
            let Some((to, mut bytes)) = self.queue.pop_front() else {
                return;
            };
            if self.is_auth_request(to, &bytes) {
                if let Some(p) = self.open(to, &bytes) {
                    self.auth_request = p;
                }
            }
            if edit(self, to, &mut bytes) {
                self.inject(to, &bytes);
            }
        }
    }

    fn is_auth_request(&self, to: usize, bytes: &[u8]) -> bool {
        to == 1
            && Message::parse(bytes).is_ok_and(|m| {
                m.header.exchange_type == exchange::IKE_AUTH && !m.header.flags.response
            })
    }

    /// A pair whose IKE SA and first Child SA are up on both sides.
    pub fn established(seed: u64) -> Pair {
        let mut p = Pair::new(seed);
        p.pump(32, |_, _, _| true);
        assert!(
            p.up(0) && p.up(1),
            "not up: {:?} / {:?}",
            p.events[0],
            p.events[1]
        );
        assert!(!p.auth_request.is_empty());
        p
    }

    /// Whether engine `i` reported its IKE SA up and not down since.
    pub fn up(&self, i: usize) -> bool {
        let mut up = false;
        for e in &self.events[i] {
            match e {
                Event::IkeSaUp { .. } => up = true,
                Event::IkeSaDown { .. } => up = false,
                _ => {}
            }
        }
        up
    }

    /// The IKE SA of engine `i` (its first one).
    pub fn handle(&self, i: usize) -> Option<IkeSaHandle> {
        self.eng[i].fuzzing_sa_handles().first().copied()
    }

    /// Decrypts a protected message addressed to engine `to` with that engine's keys.
    pub fn open(&self, to: usize, bytes: &[u8]) -> Option<Vec<Payload>> {
        let c = self.eng[to].fuzzing_sk_ciphers(self.handle(to)?)?;
        let msg = Message::parse(bytes).ok()?;
        let layout = msg.encrypted_layout()?;
        let cipher = if msg.header.flags.initiator {
            &c.i_to_r
        } else {
            &c.r_to_i
        };
        let plain = cipher
            .decrypt(bytes.get(layout.aad())?, bytes.get(layout.body())?)
            .ok()?;
        parse_payload_chain(layout.inner_first_type, &plain).ok()
    }

    /// A protected message to engine `to` from its peer, carrying the raw inner payload chain
    /// `inner` (first payload type `first`), encrypted under the IKE SA's real keys.
    pub fn forge(
        &mut self,
        to: usize,
        exchange_type: u8,
        response: bool,
        message_id: u32,
        first: u8,
        inner: &[u8],
    ) -> Option<Vec<u8>> {
        let c = self.eng[to].fuzzing_sk_ciphers(self.handle(to)?)?;
        let from_initiator = !c.initiator;
        let cipher = if from_initiator { &c.i_to_r } else { &c.r_to_i };
        let flags = Flags {
            initiator: from_initiator,
            version: false,
            response,
        };
        let header = Header::new(c.spi_i, c.spi_r, exchange_type, flags, message_id);
        let (mut buf, layout) =
            emit_encrypted(&header, first, None, cipher.body_len(inner.len())).ok()?;
        let aad = buf.get(layout.aad())?.to_vec();
        let body = cipher.encrypt(&aad, inner, &mut self.rng).ok()?;
        buf.get_mut(layout.body())?.copy_from_slice(&body);
        Some(buf)
    }
}

/// A payload chain of `payloads` followed by raw payloads `(type, body)` (generic headers
/// added here, so the raw bodies may be malformed in any way). Returns (first type, bytes).
pub fn chain_with_raw(payloads: &[Payload], raw: &[(u8, Vec<u8>)]) -> (u8, Vec<u8>) {
    let (mut first, mut bytes) = emit_payload_chain(payloads).unwrap();
    if payloads.is_empty() {
        first = payload::NONE;
        bytes.clear();
    }
    // Find the last payload's generic header to link the raw ones after it.
    let mut last: Option<usize> = None;
    let mut off = 0usize;
    while off + 4 <= bytes.len() {
        last = Some(off);
        let len = usize::from(u16::from_be_bytes([bytes[off + 2], bytes[off + 3]]));
        if len < 4 {
            break;
        }
        off += len;
    }
    for (i, (ty, body)) in raw.iter().enumerate() {
        match last {
            Some(l) => bytes[l] = *ty,
            None if i == 0 => first = *ty,
            None => {}
        }
        last = Some(bytes.len());
        let len = u16::try_from(body.len() + 4).unwrap_or(u16::MAX);
        bytes.extend_from_slice(&[payload::NONE, 0]);
        bytes.extend_from_slice(&len.to_be_bytes());
        bytes.extend_from_slice(body);
    }
    (first, bytes)
}
