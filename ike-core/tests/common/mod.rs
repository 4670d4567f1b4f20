//! Two-engine simulation harness: virtual clock, seeded lossy network, optional NAT box, and
//! the scenario builders ([`builders`]). `tests/main.rs` declares it; the test files use
//! `crate::common`.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use ike_core::engine::{Engine, EngineConfig, Event, IkeSaHandle, KernelEvent, KernelOp, Time};

mod builders;
pub mod certs;
pub mod v1_responder;
pub mod v1_sim;
pub use builders::*;

/// An IKE SA rekey as reported: (SPIs, whether this node initiated it, whether it saw a
/// collision).
pub type IkeRekey = (([u8; 8], [u8; 8]), bool, bool);

/// Deterministic splitmix64.
#[derive(Clone)]
pub struct SimRng(pub u64);

impl SimRng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in [0,1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Network impairments.
#[derive(Clone, Copy, Debug, Default)]
pub struct Impairments {
    pub loss: f64,
    pub dup: f64,
    /// Maximum extra delay in ms (reordering).
    pub jitter_ms: u64,
}

/// A NAT box in front of node 0: private address -> public address.
#[derive(Clone, Debug)]
pub struct Nat {
    pub private: IpAddr,
    pub public: IpAddr,
    map: HashMap<u16, u16>,
    rev: HashMap<u16, u16>,
    next_port: u16,
}

impl Nat {
    pub fn new(private: IpAddr, public: IpAddr) -> Self {
        Nat {
            private,
            public,
            map: HashMap::new(),
            rev: HashMap::new(),
            next_port: 40000,
        }
    }
    /// Forwards a public port to the same private port (a gateway behind a NAT).
    pub fn forward(&mut self, port: u16) {
        self.map.insert(port, port);
        self.rev.insert(port, port);
    }
    /// The NAT forgets its mappings (a reboot, a conntrack flush): the next datagrams get new
    /// public ports, and answers to the old ones are dropped.
    pub fn rebind(&mut self) {
        self.map.clear();
        self.rev.clear();
        self.next_port += 1000;
    }
    fn out(&mut self, src: SocketAddr) -> SocketAddr {
        let p = *self.map.entry(src.port()).or_insert_with(|| {
            let p = self.next_port;
            self.next_port += 1;
            p
        });
        self.rev.insert(p, src.port());
        SocketAddr::new(self.public, p)
    }
    fn inbound(&self, dst: SocketAddr) -> Option<SocketAddr> {
        self.rev
            .get(&dst.port())
            .map(|p| SocketAddr::new(self.private, *p))
    }
}

struct Packet {
    at: Time,
    seq: u64,
    from: SocketAddr,
    to: SocketAddr,
    data: Vec<u8>,
}

pub struct Node {
    pub engine: Engine,
    pub addr: IpAddr,
    pub events: Vec<(Time, Event)>,
    pub ops: Vec<KernelOp>,
    pub sent: Vec<(SocketAddr, SocketAddr, usize)>,
    /// NAT-keepalives sent (a payload of the single octet 0xFF): when, from, to.
    pub keepalives: Vec<(Time, SocketAddr, SocketAddr)>,
    next_spi: u32,
    /// Answer AllocateSpi requests.
    pub answer_spi: bool,
}

pub struct Sim {
    pub now: Time,
    pub nodes: Vec<Node>,
    pub imp: Impairments,
    pub nat: Option<Nat>,
    pub rng: SimRng,
    net: Vec<Packet>,
    seq: u64,
    /// Drop everything sent by node index (black hole).
    pub blackhole: Option<usize>,
    pub delivered: usize,
}

pub fn test_rng(seed: u64) -> Box<dyn ike_core::crypto::Rng + Send> {
    Box::new(ike_core::crypto::DeterministicRng::from_u64(seed))
}

impl Sim {
    pub fn new(seed: u64, a: (IpAddr, EngineConfig), b: (IpAddr, EngineConfig)) -> Sim {
        let mk = |i: u32, (addr, cfg): (IpAddr, EngineConfig)| Node {
            engine: Engine::new(
                cfg,
                test_rng(seed.wrapping_mul(31).wrapping_add(u64::from(i))),
            ),
            addr,
            events: Vec::new(),
            ops: Vec::new(),
            sent: Vec::new(),
            keepalives: Vec::new(),
            next_spi: 0xc000_0000 + i * 0x1000_0000,
            answer_spi: true,
        };
        Sim {
            now: Time::from_millis(1_000_000),
            nodes: vec![mk(0, a), mk(1, b)],
            imp: Impairments::default(),
            nat: None,
            rng: SimRng(seed),
            net: Vec::new(),
            seq: 0,
            blackhole: None,
            delivered: 0,
        }
    }

    fn drain(&mut self) -> bool {
        let mut progress = false;
        for i in 0..self.nodes.len() {
            loop {
                let mut any = false;
                while let Some(t) = self.nodes[i].engine.poll_transmit() {
                    any = true;
                    let from =
                        SocketAddr::new(t.local_ip.unwrap_or(self.nodes[i].addr), t.local_port);
                    self.nodes[i].sent.push((from, t.remote, t.payload.len()));
                    if t.payload == [0xff] {
                        let now = self.now;
                        self.nodes[i].keepalives.push((now, from, t.remote));
                    }
                    self.send(i, from, t.remote, t.payload);
                }
                while let Some(op) = self.nodes[i].engine.poll_kernel_op() {
                    any = true;
                    if let KernelOp::AllocateSpi { request, .. } = &op {
                        if self.nodes[i].answer_spi {
                            let spi = self.nodes[i].next_spi;
                            self.nodes[i].next_spi += 1;
                            let now = self.now;
                            self.nodes[i].engine.handle_kernel_event(
                                now,
                                KernelEvent::SpiAllocated {
                                    request: *request,
                                    spi,
                                },
                            );
                        }
                    }
                    self.nodes[i].ops.push(op);
                }
                while let Some(e) = self.nodes[i].engine.poll_event() {
                    any = true;
                    let now = self.now;
                    self.nodes[i].events.push((now, e));
                }
                if !any {
                    break;
                }
                progress = true;
            }
        }
        progress
    }

    fn send(&mut self, node: usize, mut from: SocketAddr, to: SocketAddr, data: Vec<u8>) {
        if self.blackhole == Some(node) {
            return;
        }
        if let Some(nat) = &mut self.nat {
            if from.ip() == nat.private {
                from = nat.out(from);
            }
        }
        if self.rng.unit() < self.imp.loss {
            return;
        }
        let copies = if self.rng.unit() < self.imp.dup { 2 } else { 1 };
        for _ in 0..copies {
            let jitter = if self.imp.jitter_ms > 0 {
                self.rng.next_u64() % self.imp.jitter_ms
            } else {
                0
            };
            self.seq += 1;
            self.net.push(Packet {
                at: self.now + Duration::from_millis(5 + jitter),
                seq: self.seq,
                from,
                to,
                data: data.clone(),
            });
        }
    }

    fn deliver(&mut self, p: Packet) {
        let mut to = p.to;
        if let Some(nat) = &self.nat {
            if to.ip() == nat.public {
                match nat.inbound(to) {
                    Some(t) => to = t,
                    None => return,
                }
            }
        }
        let Some(i) = self.nodes.iter().position(|n| n.addr == to.ip()) else {
            return;
        };
        self.delivered += 1;
        let now = self.now;
        self.nodes[i]
            .engine
            .handle_datagram(now, to, p.from, &p.data);
    }

    /// Loses every datagram of node `i` still on its way.
    pub fn drop_in_flight(&mut self, i: usize) {
        let addr = self.nodes[i].addr;
        self.net.retain(|p| p.from.ip() != addr);
    }

    /// Advance one step; false when nothing is left to do before `limit`.
    pub fn step(&mut self, limit: Time) -> bool {
        self.drain();
        let mut next: Option<Time> = self.net.iter().map(|p| p.at).min();
        for n in &self.nodes {
            if let Some(t) = n.engine.poll_timeout() {
                next = Some(next.map_or(t, |x| x.min(t)));
            }
        }
        let Some(next) = next else { return false };
        if next > limit {
            self.now = limit;
            return false;
        }
        self.now = self.now.max(next);
        // deliver due packets in (time, seq) order
        let mut due: Vec<Packet> = Vec::new();
        let mut rest = Vec::new();
        for p in self.net.drain(..) {
            if p.at <= self.now {
                due.push(p)
            } else {
                rest.push(p)
            }
        }
        self.net = rest;
        due.sort_by_key(|p| (p.at, p.seq));
        for p in due {
            self.deliver(p);
            self.drain();
        }
        let now = self.now;
        for n in &mut self.nodes {
            if n.engine.poll_timeout().is_some_and(|t| t <= now) {
                n.engine.handle_timeout(now);
            }
        }
        self.drain();
        true
    }

    /// Run until `cond` holds or `max` virtual time passes.
    pub fn run_until(&mut self, max: Duration, mut cond: impl FnMut(&Sim) -> bool) -> bool {
        let limit = self.now + max;
        loop {
            self.drain();
            if cond(self) {
                return true;
            }
            if !self.step(limit) {
                self.drain();
                return cond(self);
            }
        }
    }

    /// Run for a fixed virtual duration.
    pub fn run_for(&mut self, d: Duration) {
        let limit = self.now + d;
        while self.step(limit) {}
        self.drain();
    }

    /// Node `i`'s events so far.
    pub fn events(&self, i: usize) -> Vec<&Event> {
        self.nodes[i].events.iter().map(|(_, e)| e).collect()
    }

    /// Node `i`'s IKE SA rekeys reported so far ([`Event::IkeSaRekeyed`]).
    pub fn ike_rekeys(&self, i: usize) -> Vec<IkeRekey> {
        self.events(i)
            .into_iter()
            .filter_map(|e| match e {
                Event::IkeSaRekeyed {
                    spi_i,
                    spi_r,
                    initiator,
                    collision,
                    ..
                } => Some(((*spi_i, *spi_r), *initiator, *collision)),
                _ => None,
            })
            .collect()
    }

    pub fn has_event(&self, i: usize, f: impl Fn(&Event) -> bool) -> bool {
        self.nodes[i].events.iter().any(|(_, e)| f(e))
    }

    pub fn child_up_count(&self, i: usize) -> usize {
        self.nodes[i]
            .events
            .iter()
            .filter(|(_, e)| matches!(e, Event::ChildSaUp { .. }))
            .count()
    }

    pub fn ike_up(&self, i: usize) -> Option<IkeSaHandle> {
        self.nodes[i].events.iter().find_map(|(_, e)| match e {
            Event::IkeSaUp { sa, .. } => Some(*sa),
            _ => None,
        })
    }
}
