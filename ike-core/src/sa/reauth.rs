//! Reauthentication state of an IKE SA (RFC 7296 §2.8.3; the peer's authentication lifetime,
//! RFC 4478).
//!
//! Timing, for an authentication lifetime `L` received from the gateway:
//! - the first reauthentication starts at `L - margin`, where the margin is a tenth of `L`
//!   bounded to 10 s .. 5 min, and never more than half of `L` (so a 60 s lifetime is
//!   reauthenticated at 50 s, an 8 h one 5 min before its end);
//! - a failed reauthentication is tried again after 2 s, 4 s, 8 s, ... (at most 60 s) while
//!   that is before the end of `L`;
//! - at the end of `L` without success the IKE SA fails with
//!   [`Failure::AuthLifetimeExpired`](crate::api::Failure::AuthLifetimeExpired).
//!
//! A responder that sent an authentication lifetime deletes an IKE SA not replaced by then
//! after a grace of a tenth of it (10 s .. 5 min).

use core::time::Duration;
use std::net::IpAddr;

use crate::api::{Failure, IkeSaHandle, Time};
use crate::wire::TrafficSelector;

/// The shortest and longest reauthentication margin.
const MARGIN_MIN: Duration = Duration::from_secs(10);
const MARGIN_MAX: Duration = Duration::from_secs(300);
/// The first and the longest wait before retrying a failed reauthentication.
const RETRY_FIRST: Duration = Duration::from_secs(2);
const RETRY_MAX: Duration = Duration::from_secs(60);

/// An IKE SA's authentication lifetime and what we do about it.
#[derive(Debug, Clone)]
pub(crate) struct Reauth {
    /// When the authentication lifetime ends (the IKE SA fails then unless replaced).
    pub deadline: Time,
    /// When to start the next reauthentication (`None`: one is in flight, or we are the
    /// responder and only enforce the deadline).
    pub next_at: Option<Time>,
    /// The new IKE SA being established.
    pub in_flight: Option<IkeSaHandle>,
    /// Failed reauthentications so far.
    pub failures: u32,
    /// Why the last one failed.
    pub last: Option<Failure>,
}

/// Links the new IKE SA of a reauthentication to what it replaces.
#[derive(Debug, Clone)]
pub(crate) struct ReauthLink {
    /// The old Child SAs' reqids and selectors (ours, the peer's): a new Child SA with the
    /// same selectors takes over the reqid and the policies instead of installing its own.
    pub reqids: Vec<(u32, Vec<TrafficSelector>, Vec<TrafficSelector>)>,
}

/// How long before the end of an authentication lifetime we reauthenticate.
pub(crate) fn margin(lifetime: Duration) -> Duration {
    (lifetime / 10)
        .clamp(MARGIN_MIN, MARGIN_MAX)
        .min(lifetime / 2)
}

/// The responder's grace after the authentication lifetime it set.
pub(crate) fn grace(lifetime: Duration) -> Duration {
    (lifetime / 10).clamp(MARGIN_MIN, MARGIN_MAX)
}

/// The wait before the next try after `failures` failed reauthentications.
pub(crate) fn retry_delay(failures: u32) -> Duration {
    let shift = failures.saturating_sub(1).min(16);
    RETRY_FIRST.saturating_mul(1u32 << shift).min(RETRY_MAX)
}

impl Reauth {
    /// The schedule of an initiator that received an authentication lifetime at `now`.
    pub fn initiator(now: Time, lifetime: Duration) -> Self {
        Reauth {
            deadline: now + lifetime,
            next_at: Some(now + lifetime.saturating_sub(margin(lifetime))),
            in_flight: None,
            failures: 0,
            last: None,
        }
    }

    /// The deadline a responder enforces after sending `lifetime` at `now`.
    pub fn responder(now: Time, lifetime: Duration) -> Self {
        Reauth {
            deadline: now + lifetime + grace(lifetime),
            next_at: None,
            in_flight: None,
            failures: 0,
            last: None,
        }
    }
}

/// The addresses of a configuration reply that a reauthentication must keep.
pub(crate) fn addresses(c: &crate::api::ReceivedConfig) -> Vec<IpAddr> {
    c.addresses_v4
        .iter()
        .chain(&c.addresses_v6)
        .map(|a| a.addr)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn margin_is_a_tenth_bounded() {
        assert_eq!(margin(Duration::from_secs(60)), Duration::from_secs(10));
        assert_eq!(margin(Duration::from_secs(600)), Duration::from_secs(60));
        assert_eq!(
            margin(Duration::from_secs(28_800)),
            Duration::from_secs(300)
        );
        assert_eq!(margin(Duration::from_secs(12)), Duration::from_secs(6));
    }

    #[test]
    fn retries_back_off_to_a_minute() {
        assert_eq!(retry_delay(1), Duration::from_secs(2));
        assert_eq!(retry_delay(2), Duration::from_secs(4));
        assert_eq!(retry_delay(6), Duration::from_secs(60));
        assert_eq!(retry_delay(u32::MAX), Duration::from_secs(60));
    }
}
