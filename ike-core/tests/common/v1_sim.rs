//! The IKEv1 simulation harness of `sim_v1.rs`: our engine as initiator against
//! [`super::v1_responder::V1Responder`] on a virtual clock, with loss and damaged copies of the
//! responder's answers; the kernel's SPI allocation answered at once.

use std::net::SocketAddr;
use std::time::Duration;

use ike_core::crypto::DeterministicRng;
use ike_core::engine::{
    Direction, Engine, EngineConfig, EspCipher, Event, Failure, KernelEvent, KernelOp, Time,
};
use ike_core::proposal::{parse_libreswan, Protocol};

use super::v1_responder::V1Responder;
use super::{initiator_conn, ip, test_rng, SimRng, A, B};

pub struct V1Sim {
    pub now: Time,
    pub eng: Engine,
    pub resp: V1Responder,
    pub rng: DeterministicRng,
    pub events: Vec<Event>,
    pub ops: Vec<KernelOp>,
    pub next_spi: u32,
    /// Initiator -> responder datagrams to drop, by their index (0 = the first sent).
    pub drop: Vec<usize>,
    pub sent: usize,
    /// Before each real answer, this many mutated copies of it (robustness).
    pub mutations: usize,
    /// Mutate only encrypted answers (the unencrypted Main Mode messages 2 and 4 are not
    /// authenticated: a well-formed forgery of them is taken like the real one, in IKEv1 as
    /// in IKEv2's IKE_SA_INIT).
    pub mutate_encrypted_only: bool,
    /// NAT-keepalives the engine sent (not delivered).
    pub keepalives: Vec<Time>,
    pub mrng: SimRng,
}

impl V1Sim {
    pub fn new(psk_i: &str, psk_r: &str, ike: &str, esp: &str) -> Self {
        Self::with_conn(psk_r, initiator_conn(psk_i), ike, esp)
    }

    pub fn with_conn(
        psk_r: &str,
        mut c: ike_core::engine::ConnectionConfig,
        ike: &str,
        esp: &str,
    ) -> Self {
        let mut eng = Engine::new(EngineConfig::default(), test_rng(1));
        c.ikev1 = true;
        c.remote_id = None;
        c.ike_proposals = parse_libreswan(Protocol::Ike, ike).unwrap().0;
        c.esp_proposals = parse_libreswan(Protocol::Esp, esp).unwrap().0;
        eng.initiate(Time::ZERO, c).unwrap();
        V1Sim {
            now: Time::ZERO,
            eng,
            resp: V1Responder::new(psk_r),
            rng: DeterministicRng::from_u64(7),
            events: Vec::new(),
            ops: Vec::new(),
            next_spi: 0xc000_0001,
            drop: Vec::new(),
            sent: 0,
            mutations: 0,
            mutate_encrypted_only: false,
            keepalives: Vec::new(),
            mrng: SimRng(99),
        }
    }

    pub fn local(port: u16) -> SocketAddr {
        SocketAddr::new(ip(A), port)
    }

    /// Delivers a datagram from the responder to the engine.
    pub fn deliver(&mut self, dg: &[u8]) {
        self.eng
            .handle_datagram(self.now, Self::local(500), SocketAddr::new(ip(B), 500), dg);
    }

    /// Drains the engine's outputs; true if anything happened.
    pub fn drain(&mut self) -> bool {
        let mut any = false;
        loop {
            let mut progress = false;
            while let Some(e) = self.eng.poll_event() {
                self.events.push(e);
                progress = true;
            }
            while let Some(op) = self.eng.poll_kernel_op() {
                progress = true;
                if let KernelOp::AllocateSpi { request, .. } = op {
                    let spi = self.next_spi;
                    self.next_spi += 1;
                    self.eng
                        .handle_kernel_event(self.now, KernelEvent::SpiAllocated { request, spi });
                } else {
                    self.ops.push(op);
                }
            }
            while let Some(t) = self.eng.poll_transmit() {
                progress = true;
                if t.payload == [0xFF] {
                    assert_eq!(t.local_port, 4500);
                    self.keepalives.push(self.now);
                    continue;
                }
                let i = self.sent;
                self.sent += 1;
                if self.drop.contains(&i) {
                    continue;
                }
                let payload = if t.local_port == 4500 {
                    t.payload[4..].to_vec()
                } else {
                    t.payload.clone()
                };
                if let Some(answer) = self.resp.handle(&payload, &mut self.rng) {
                    let encrypted = answer.get(19).is_some_and(|f| f & 1 == 1);
                    let n = if encrypted || !self.mutate_encrypted_only {
                        self.mutations
                    } else {
                        0
                    };
                    for _ in 0..n {
                        let m = self.mutate(&answer);
                        self.deliver(&m);
                    }
                    self.deliver(&answer);
                }
            }
            if !progress {
                return any;
            }
            any = true;
        }
    }

    /// A damaged copy of `dg`: bits flipped, truncated, extended or a payload header's length
    /// changed; the cookies stay, so it reaches the SA.
    pub fn mutate(&mut self, dg: &[u8]) -> Vec<u8> {
        let mut m = dg.to_vec();
        let r = self.mrng.next_u64();
        let at = 16 + (r as usize >> 8) % (m.len() - 16);
        match r % 5 {
            0 => m[at] ^= 1 << ((r >> 40) % 8),
            1 => m.truncate(at),
            2 => m.extend_from_slice(&[0x41; 17]),
            3 => {
                // The first payload's length, and the header's, to something else.
                m[30] = (r >> 16) as u8;
                m[31] = (r >> 24) as u8;
            }
            _ => {
                let n = m.len();
                m[24..28].copy_from_slice(&(n as u32 ^ 0x10).to_be_bytes());
            }
        }
        m
    }

    /// Runs until `cond` or `max` of virtual time.
    pub fn run(&mut self, max: Duration, cond: impl Fn(&V1Sim) -> bool) -> bool {
        let end = Time::ZERO + max;
        loop {
            self.drain();
            if cond(self) {
                return true;
            }
            match self.eng.poll_timeout() {
                Some(t) if t <= end => {
                    self.now = self.now.max(t);
                    self.eng.handle_timeout(self.now);
                }
                _ => return cond(self),
            }
        }
    }

    pub fn child_up(&self) -> bool {
        self.events
            .iter()
            .any(|e| matches!(e, Event::ChildSaUp { .. }))
    }

    pub fn failure(&self) -> Option<&Failure> {
        self.events.iter().find_map(|e| match e {
            Event::Failed { failure, .. } => Some(failure),
            _ => None,
        })
    }

    pub fn installed(&self, dir: Direction) -> (u32, EspCipher) {
        self.ops
            .iter()
            .find_map(|op| match op {
                KernelOp::InstallSa {
                    spi,
                    direction,
                    cipher,
                    ..
                } if *direction == dir => Some((*spi, cipher.clone())),
                _ => None,
            })
            .expect("an InstallSa")
    }
}

pub fn keys_of(c: &EspCipher) -> Vec<u8> {
    match c {
        EspCipher::Separate {
            encr_key,
            integ_key,
            ..
        } => [encr_key.expose(), integ_key.expose()].concat(),
        EspCipher::Aead { key, .. } => key.expose().to_vec(),
    }
}

pub fn check_keys(s: &V1Sim) {
    let (in_spi, in_km, out_spi, out_km) = s.resp.keymat.clone().expect("Quick Mode completed");
    let (spi, c) = s.installed(Direction::In);
    assert_eq!(spi, in_spi);
    let k = keys_of(&c);
    assert_eq!(k, in_km[..k.len()], "inbound KEYMAT");
    let (spi, c) = s.installed(Direction::Out);
    assert_eq!(spi, out_spi);
    let k = keys_of(&c);
    assert_eq!(k, out_km[..k.len()], "outbound KEYMAT");
}
