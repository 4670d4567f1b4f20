//! Output queues and the per-call context handed to exchange and SA code.
//!
//! The queues are private: code below the engine adds to them through [`Ctx::transmit`],
//! [`Ctx::kernel`] and [`Ctx::event`]; the engine drains them through [`Outputs`].

pub(crate) mod leases;

use std::collections::VecDeque;

use crate::api::{EngineConfig, Event, IkeError, KernelOp, KernelRequest, Time, Transmit};
use crate::crypto::Rng;
use leases::Leases;

/// Queued outputs.
#[derive(Debug, Default)]
pub(crate) struct Outputs {
    transmits: VecDeque<Transmit>,
    ops: VecDeque<KernelOp>,
    events: VecDeque<Event>,
    next_request: u64,
    next_reqid: u32,
}

impl Outputs {
    /// Empty queues; the first Child SA gets reqid `reqid_base`.
    pub fn new(reqid_base: u32) -> Self {
        Outputs {
            next_reqid: reqid_base,
            ..Outputs::default()
        }
    }

    /// The next datagram to send.
    pub fn pop_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next kernel operation.
    pub fn pop_kernel_op(&mut self) -> Option<KernelOp> {
        self.ops.pop_front()
    }

    /// The next event.
    pub fn pop_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Takes the queued events of the IKE SA `sa` out of the queue (a reauthentication's new
    /// IKE SA reports through the one it replaces).
    pub fn take_events_of(&mut self, sa: crate::api::IkeSaHandle) -> Vec<Event> {
        let (theirs, rest): (VecDeque<Event>, VecDeque<Event>) =
            self.events.drain(..).partition(|e| e.sa() == sa);
        self.events = rest;
        theirs.into()
    }
}

/// What exchange and SA code may touch during one engine call.
pub(crate) struct Ctx<'a> {
    now: Time,
    rng: &'a mut (dyn Rng + Send),
    out: &'a mut Outputs,
    cfg: &'a EngineConfig,
    leases: &'a mut Leases,
}

impl<'a> Ctx<'a> {
    /// A context for one engine call at `now`.
    pub fn new(
        now: Time,
        rng: &'a mut (dyn Rng + Send),
        out: &'a mut Outputs,
        cfg: &'a EngineConfig,
        leases: &'a mut Leases,
    ) -> Self {
        Ctx {
            now,
            rng,
            out,
            cfg,
            leases,
        }
    }
}

impl Ctx<'_> {
    /// The time of this call.
    pub fn now(&self) -> Time {
        self.now
    }

    /// The engine configuration.
    pub fn cfg(&self) -> &EngineConfig {
        self.cfg
    }

    /// The injected random number generator.
    pub fn rng(&mut self) -> &mut (dyn Rng + Send) {
        &mut *self.rng
    }

    /// The responder's address leases.
    pub fn leases(&mut self) -> &mut Leases {
        self.leases
    }

    /// Queues a datagram.
    pub fn transmit(&mut self, t: Transmit) {
        self.out.transmits.push_back(t);
    }

    /// Queues a kernel operation.
    pub fn kernel(&mut self, op: KernelOp) {
        self.out.ops.push_back(op);
    }

    /// Queues an event.
    pub fn event(&mut self, e: Event) {
        self.out.events.push_back(e);
    }

    /// A fresh kernel request id.
    pub fn next_request(&mut self) -> KernelRequest {
        self.out.next_request = self.out.next_request.wrapping_add(1);
        KernelRequest(self.out.next_request)
    }

    /// Allocates the reqid of a new Child SA (its policies and SAs).
    pub fn next_reqid(&mut self) -> u32 {
        let r = self.out.next_reqid;
        self.out.next_reqid = r.wrapping_add(1);
        r
    }

    /// Random bytes.
    pub fn random(&mut self, n: usize) -> Result<Vec<u8>, IkeError> {
        let mut v = vec![0u8; n];
        self.rng.fill(&mut v).map_err(IkeError::rng)?;
        Ok(v)
    }

    /// A random non-zero IKE SPI.
    pub fn random_spi8(&mut self) -> Result<[u8; 8], IkeError> {
        for _ in 0..8 {
            let mut s = [0u8; 8];
            self.rng.fill(&mut s).map_err(IkeError::rng)?;
            if s != [0; 8] {
                return Ok(s);
            }
        }
        Err(IkeError::rng("it returns only zero SPIs"))
    }
}
