//! `dpdaction=restart` and `hold`: how a lost connection is initiated again (the backoff, the
//! addresses asked for again, the larval SAs of a held connection), for
//! [`super::Controller::drive`].

use super::trap::Trap;
use crate::driver::hold::PolicyHold;
use crate::driver::run::InitiateRequest;
use crate::service::events::Track;
use crate::service::messages;
use ike_core::engine::{ConnectionConfig, IkeSaHandle};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// The longest wait between two attempts to re-establish a lost connection.
pub const RESTART_MAX_DELAY: Duration = Duration::from_secs(30);

/// The wait before attempt `failures` + 1 to re-establish a lost connection: 1 s, 2 s, 4 s
/// ... up to [`RESTART_MAX_DELAY`].
pub fn restart_delay(failures: u32) -> Duration {
    Duration::from_secs(1u64 << failures.min(5)).min(RESTART_MAX_DELAY)
}

/// The wait before attempt `failures` + 1 of `dpdaction=restart`: [`restart_delay`], but never
/// longer than `dpd_delay`, the silence the profile tolerates before it acts. Each failed
/// attempt has already waited for its retransmissions (15 s by default, the last 8 s of them
/// after the last try), so a gateway that answers again is reached within `dpd_delay` + 8 s
/// (seed 001: dpddelay=10 dpdtimeout=5, back within dpddelay + dpdtimeout + 5 s), also after
/// a long outage, where the 30-s backoff alone allowed 38 s.
pub fn restart_delay_within(failures: u32, dpd_delay: Option<Duration>) -> Duration {
    let delay = restart_delay(failures);
    match dpd_delay {
        Some(d) if !d.is_zero() => delay.min(d),
        _ => delay,
    }
}

/// `dpdaction=restart` and `hold`: how [`Controller::drive`] initiates the connection again.
pub(super) struct Reconnect {
    /// The connection as first initiated.
    pub(super) conn: ConnectionConfig,
    /// To the engine's loop.
    pub(super) initiate: mpsc::UnboundedSender<InitiateRequest>,
    /// Attempts since the connection was last up.
    pub(super) failures: u32,
    /// `dpdaction=hold`: attempts start only when traffic wants out (else `restart`).
    pub(super) trap: Option<Trap>,
    /// The hold on the lost connection's policies (its larval SAs go after each attempt).
    pub(super) hold: Arc<PolicyHold>,
}

impl Reconnect {
    /// The `dpdaction` value, for the log.
    pub(super) fn action(&self) -> &'static str {
        if self.trap.is_some() {
            "hold"
        } else {
            "restart"
        }
    }

    /// When to try next (and logs it): after the backoff, which never exceeds the profile's
    /// `dpddelay` (see [`restart_delay_within`]).
    pub(super) fn schedule(&mut self) -> tokio::time::Instant {
        let delay = restart_delay_within(self.failures, self.conn.dpd_delay);
        self.failures = self.failures.saturating_add(1);
        tracing::warn!("{}", messages::restarting(delay));
        tokio::time::Instant::now() + delay
    }

    /// The connection or an attempt to re-establish it was lost: when to try next.
    /// `restart`: after the backoff. `hold`: when traffic wants out (and, after a failed
    /// attempt, the backoff has passed); the larval SAs of the ACQUIREs so far go, so that
    /// the next packet is reported again.
    pub(super) fn lost(&mut self) -> Option<tokio::time::Instant> {
        let Some(trap) = self.trap.as_mut() else {
            return Some(self.schedule());
        };
        let failed = trap.attempting();
        let next = trap.lost(tokio::time::Instant::now());
        if failed {
            tracing::warn!("{}", messages::hold_failed(trap.backoff()));
        } else {
            tracing::warn!("{}", messages::holding());
        }
        self.hold.remove_larvals();
        next
    }

    /// The connection is up again.
    pub(super) fn up(&mut self) {
        self.failures = 0;
        if let Some(t) = self.trap.as_mut() {
            t.up();
        }
    }

    /// The connection again, asking for the addresses NetworkManager was given (RFC 7296
    /// §3.15.1 lets a request carry them; the gateway may assign others).
    pub(super) fn config(&self, track: &Track) -> ConnectionConfig {
        let mut conn = self.conn.clone();
        if let Some(c) = &track.sent {
            let r = &mut conn.request_config;
            r.prefer_v4 = c.addresses_v4.iter().find_map(|a| match a.addr {
                std::net::IpAddr::V4(v4) if r.ipv4 => Some(v4),
                _ => None,
            });
            r.prefer_v6 = c.addresses_v6.iter().find_map(|a| match a.addr {
                std::net::IpAddr::V6(v6) if r.ipv6 => Some(v6),
                _ => None,
            });
        }
        conn
    }

    pub(super) async fn initiate_again(&mut self, track: &Track) -> Result<IkeSaHandle, String> {
        let (tx, rx) = oneshot::channel();
        self.initiate
            .send((Box::new(self.config(track)), tx))
            .map_err(|_| "the engine's loop has ended".to_string())?;
        rx.await
            .map_err(|_| "the engine's loop has ended".to_string())?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restart_backs_off_to_30_s() {
        let secs: Vec<u64> = (0..8).map(|n| restart_delay(n).as_secs()).collect();
        assert_eq!(secs, vec![1, 2, 4, 8, 16, 30, 30, 30]);
        assert_eq!(restart_delay(u32::MAX), RESTART_MAX_DELAY);
    }

    #[test]
    fn restart_backoff_never_exceeds_dpddelay() {
        let ten = Some(Duration::from_secs(10));
        let secs: Vec<u64> = (0..8)
            .map(|n| restart_delay_within(n, ten).as_secs())
            .collect();
        assert_eq!(secs, vec![1, 2, 4, 8, 10, 10, 10, 10]);
        let long = Some(Duration::from_secs(120));
        assert_eq!(restart_delay_within(9, long), RESTART_MAX_DELAY);
        assert_eq!(restart_delay_within(9, None), RESTART_MAX_DELAY);
        assert_eq!(
            restart_delay_within(9, Some(Duration::ZERO)),
            RESTART_MAX_DELAY
        );
        assert_eq!(
            restart_delay_within(0, Some(Duration::from_millis(500))),
            Duration::from_millis(500)
        );
    }
}
