//! Output queues and the per-call context handed to SA code.

use std::collections::VecDeque;

use super::config::EngineConfig;
use super::leases::Leases;
use super::output::{Event, KernelOp, KernelRequest, Transmit};
use super::time::Time;
use crate::crypto::Rng;

/// Queued outputs.
#[derive(Debug, Default)]
pub(crate) struct Outputs {
    pub transmits: VecDeque<Transmit>,
    pub ops: VecDeque<KernelOp>,
    pub events: VecDeque<Event>,
    pub next_request: u64,
    pub next_reqid: u32,
}

impl Outputs {
    pub fn next_request(&mut self) -> KernelRequest {
        self.next_request = self.next_request.wrapping_add(1);
        KernelRequest(self.next_request)
    }
}

/// What SA code may touch during one engine call.
pub(crate) struct Ctx<'a> {
    pub now: Time,
    pub rng: &'a mut (dyn Rng + Send),
    pub out: &'a mut Outputs,
    pub cfg: &'a EngineConfig,
    /// The responder's address leases.
    pub leases: &'a mut Leases,
}

impl Ctx<'_> {
    /// Random bytes; on RNG failure an error string.
    pub fn random(&mut self, n: usize) -> Result<Vec<u8>, String> {
        let mut v = vec![0u8; n];
        self.rng.fill(&mut v).map_err(|e| format!("rng: {e}"))?;
        Ok(v)
    }

    /// A random non-zero IKE SPI.
    pub fn random_spi8(&mut self) -> Result<[u8; 8], String> {
        for _ in 0..8 {
            let mut s = [0u8; 8];
            self.rng.fill(&mut s).map_err(|e| format!("rng: {e}"))?;
            if s != [0; 8] {
                return Ok(s);
            }
        }
        Err("rng returns zero SPIs".into())
    }

    /// Queues an event.
    pub fn event(&mut self, e: Event) {
        self.out.events.push_back(e);
    }
}
