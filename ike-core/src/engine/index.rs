//! Indexes over the engine's IKE SAs that keep the per-message cost independent of how many
//! SAs the engine holds: the timer queue (next deadline of every SA), the half-open responder
//! SAs (cookie and half-open limits), and the Child SA SPIs (kernel expiry events).
//!
//! The engine refreshes an SA's entries after every call that may change it
//! ([`SaIndex::update`]) and drops them when the SA goes ([`SaIndex::forget`]).

use std::collections::{BTreeSet, HashMap, HashSet};

use super::{IkeSaHandle, Time};
use crate::sa::{IkeSa, IkeState};

/// The indexes (see the module documentation).
#[derive(Debug, Default)]
pub struct SaIndex {
    timers: BTreeSet<(Time, IkeSaHandle)>,
    timer_of: HashMap<IkeSaHandle, Time>,
    half_open: HashSet<IkeSaHandle>,
    child_spis: HashMap<u32, IkeSaHandle>,
    spis_of: HashMap<IkeSaHandle, Vec<u32>>,
}

impl SaIndex {
    /// Refreshes the entries of `sa` (after any call that may have changed it).
    pub fn update(&mut self, handle: IkeSaHandle, sa: &IkeSa) {
        let next = sa.next_timeout();
        if self.timer_of.get(&handle).copied() != next {
            if let Some(old) = self.timer_of.remove(&handle) {
                self.timers.remove(&(old, handle));
            }
            if let Some(t) = next {
                self.timers.insert((t, handle));
                self.timer_of.insert(handle, t);
            }
        }
        if !sa.initiator && sa.state == IkeState::AuthPending {
            self.half_open.insert(handle);
        } else {
            self.half_open.remove(&handle);
        }
        let spis: Vec<u32> = sa
            .children
            .iter()
            .flat_map(|c| [c.spi_in, c.spi_out])
            .filter(|s| *s != 0)
            .collect();
        if self.spis_of.get(&handle) != Some(&spis) {
            if let Some(old) = self.spis_of.remove(&handle) {
                for s in old {
                    if self.child_spis.get(&s) == Some(&handle) {
                        self.child_spis.remove(&s);
                    }
                }
            }
            for s in &spis {
                self.child_spis.insert(*s, handle);
            }
            if !spis.is_empty() {
                self.spis_of.insert(handle, spis);
            }
        }
    }

    /// Drops the entries of a removed SA.
    pub fn forget(&mut self, handle: IkeSaHandle) {
        if let Some(t) = self.timer_of.remove(&handle) {
            self.timers.remove(&(t, handle));
        }
        self.half_open.remove(&handle);
        if let Some(old) = self.spis_of.remove(&handle) {
            for s in old {
                if self.child_spis.get(&s) == Some(&handle) {
                    self.child_spis.remove(&s);
                }
            }
        }
    }

    /// The earliest deadline of any SA.
    pub fn next_deadline(&self) -> Option<Time> {
        self.timers.first().map(|(t, _)| *t)
    }

    /// The SAs whose deadline is `now` or earlier, earliest first.
    pub fn due(&self, now: Time) -> Vec<IkeSaHandle> {
        self.timers
            .iter()
            .take_while(|(t, _)| *t <= now)
            .map(|(_, h)| *h)
            .collect()
    }

    /// How many responder SAs wait for their IKE_AUTH.
    pub fn half_open(&self) -> usize {
        self.half_open.len()
    }

    /// The IKE SA owning a Child SA with inbound or outbound SPI `spi`.
    pub fn sa_of_child(&self, spi: u32) -> Option<IkeSaHandle> {
        self.child_spis.get(&spi).copied()
    }
}
