//! Liveness timers of an established IKE SA: the idle check that starts a liveness check
//! (DPD), the `dpd_timeout` schedule of that check's retransmissions, and NAT-keepalives
//! (RFC 3948 §2.3).
//!
//! NAT-keepalives are sent when the IKE SA uses UDP encapsulation and we are behind a NAT,
//! which includes forced encapsulation (`force_encap` makes us claim to be behind one): a
//! forced encapsulation is mostly used where a NAT exists that detection cannot see, and a
//! keepalive to a peer that needs none is one ignored octet every 20 s.

use core::time::Duration;

use crate::api::{Time, Transmit};
use crate::ctx::Ctx;
use crate::natt::{NATT_PORT, NAT_KEEPALIVE};

use super::{IkeSa, IkeState, ReqKind};

/// The retransmission step of a liveness check that must be decided within `timeout`: a
/// fifth of it, at least 1 s, never more than the timeout itself.
pub(crate) fn dpd_step(timeout: Duration) -> Duration {
    (timeout / 5).max(Duration::from_secs(1)).min(timeout)
}

impl IkeSa {
    /// Whether this IKE SA runs liveness timers (established, not a rekey's shell).
    fn live(&self) -> bool {
        self.state == IkeState::Established && !self.shell
    }

    /// When the next liveness check starts: `dpd_delay` after the last message from the
    /// peer, if no request of ours is outstanding.
    pub fn dpd_at(&self) -> Option<Time> {
        if !self.live() || self.pending.is_some() {
            return None;
        }
        self.profile.dpd_delay.map(|d| self.last_rx + d)
    }

    /// Whether this IKE SA sends NAT-keepalives (see the module documentation).
    pub fn sends_keepalives(&self) -> bool {
        self.live() && self.encap && self.nat.local_behind && self.profile.nat_keepalive.is_some()
    }

    /// When the next NAT-keepalive is due: `nat_keepalive` after our last datagram.
    pub fn keepalive_at(&self) -> Option<Time> {
        if !self.sends_keepalives() {
            return None;
        }
        self.profile.nat_keepalive.map(|d| self.last_tx + d)
    }

    /// Sends a NAT-keepalive (the single octet 0xFF, RFC 3948 §2.3) from port 4500 to the
    /// peer.
    pub fn send_keepalive(&mut self, ctx: &mut Ctx<'_>) {
        let local_ip = (!self.local.ip().is_unspecified()).then(|| self.local.ip());
        ctx.transmit(Transmit {
            local_ip,
            local_port: NATT_PORT,
            remote: self.remote,
            payload: vec![NAT_KEEPALIVE],
        });
        self.last_tx = ctx.now();
    }

    /// The wait after the first transmission of a request of `kind`.
    pub fn first_wait(&self, kind: &ReqKind) -> Duration {
        match (kind, self.profile.dpd_timeout) {
            (ReqKind::Dpd, Some(t)) => dpd_step(t),
            _ => self.profile.retransmit.timeout(0),
        }
    }

    /// The retransmission timer of a liveness check bounded by `timeout`: retransmits every
    /// [`dpd_step`] until `timeout` has passed since the check was sent or since the peer was
    /// last heard from, whichever is later; then `Err(tries)`.
    pub fn dpd_retransmit(&mut self, ctx: &mut Ctx<'_>, timeout: Duration) -> Result<(), u32> {
        let last_rx = self.last_rx;
        let Some(p) = self.pending.as_mut() else {
            return Ok(());
        };
        let end = p.first_sent.max(last_rx) + timeout;
        if ctx.now() >= end {
            return Err(p.tries);
        }
        let datagrams = p.datagrams.clone();
        p.tries = p.tries.saturating_add(1);
        p.deadline = (ctx.now() + dpd_step(timeout)).min(end);
        self.transmit(ctx, &datagrams);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dpd_step_fits_the_timeout() {
        assert_eq!(dpd_step(Duration::from_secs(30)), Duration::from_secs(6));
        assert_eq!(dpd_step(Duration::from_secs(3)), Duration::from_secs(1));
        assert_eq!(
            dpd_step(Duration::from_millis(500)),
            Duration::from_millis(500)
        );
    }
}
