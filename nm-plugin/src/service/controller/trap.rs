//! `dpdaction=hold` (strongSwan's `dpd_action = trap`): when a held connection is initiated
//! again. A lost connection keeps its policies (traffic is blocked) and NetworkManager keeps it
//! activated; only traffic for one of its held policies (an ACQUIRE from the kernel, see
//! [`crate::driver::hold`]) starts an attempt. After a failed attempt the next one waits for
//! traffic again **and** for the backoff of [`super::reconnect::restart_delay_within`] (1 s,
//! 2 s, 4 s ... up to 30 s, never more than `dpddelay`).

use super::reconnect::restart_delay_within;
use std::time::Duration;
use tokio::time::Instant;

/// The state of a held connection (a pure state machine: the caller passes the time).
#[derive(Debug, Clone)]
pub struct Trap {
    /// The connection is lost and not up again.
    held: bool,
    /// An attempt is running.
    attempting: bool,
    /// Traffic wanted out since the loss or the last failed attempt.
    demand: bool,
    /// Failed attempts since the connection was last up.
    failures: u32,
    /// No attempt before this.
    not_before: Option<Instant>,
    /// The profile's `dpddelay`: the backoff never exceeds it.
    dpd_delay: Option<Duration>,
}

impl Default for Trap {
    fn default() -> Self {
        Self::new()
    }
}

impl Trap {
    /// A connection that is up (nothing held).
    pub fn new() -> Self {
        Trap {
            held: false,
            attempting: false,
            demand: false,
            failures: 0,
            not_before: None,
            dpd_delay: None,
        }
    }

    /// The same, with the profile's `dpddelay` as the longest backoff.
    pub fn with_dpd_delay(mut self, dpd_delay: Option<Duration>) -> Self {
        self.dpd_delay = dpd_delay;
        self
    }

    /// Whether an attempt is running.
    pub fn attempting(&self) -> bool {
        self.attempting
    }

    /// The connection, or the attempt to establish it again, was lost at `now`. After a lost
    /// connection the first attempt waits only for traffic; after a failed attempt, for new
    /// traffic and the backoff. Returns when to start the next attempt if traffic already
    /// waits for it (an ACQUIRE can arrive before the loss is reported).
    pub fn lost(&mut self, now: Instant) -> Option<Instant> {
        if self.attempting {
            self.failures = self.failures.saturating_add(1);
            self.not_before = Some(now + self.backoff());
            self.demand = false;
        } else if !self.held {
            self.not_before = None;
        }
        self.attempting = false;
        self.held = true;
        self.next(now)
    }

    /// The wait after the failed attempts so far (zero before the first failure).
    pub fn backoff(&self) -> Duration {
        match self.failures {
            0 => Duration::ZERO,
            n => restart_delay_within(n - 1, self.dpd_delay),
        }
    }

    /// Traffic for a held policy at `now` (an ACQUIRE). Returns when to start the attempt;
    /// `None` when an attempt is already running, or when the loss has not been reported yet
    /// (the policies are kept as the lost Child SA is removed, and its loss is reported just
    /// after: the traffic is remembered for it).
    pub fn traffic(&mut self, now: Instant) -> Option<Instant> {
        if self.attempting {
            return None;
        }
        self.demand = true;
        if !self.held {
            return None;
        }
        self.next(now)
    }

    /// When the next attempt starts, if traffic waits for one and none runs.
    pub fn pending(&self, now: Instant) -> Option<Instant> {
        if self.held && !self.attempting {
            self.next(now)
        } else {
            None
        }
    }

    fn next(&self, now: Instant) -> Option<Instant> {
        self.demand
            .then(|| self.not_before.map_or(now, |t| t.max(now)))
    }

    /// Whether an attempt starts at `now` (traffic waits, the backoff has passed, none runs);
    /// if so it counts as running from now.
    pub fn due(&mut self, now: Instant) -> bool {
        let due = self.held
            && self.demand
            && !self.attempting
            && self.not_before.is_none_or(|t| now >= t);
        if due {
            self.attempting = true;
            self.demand = false;
        }
        due
    }

    /// The connection is up again: the backoff starts over.
    pub fn up(&mut self) {
        *self = Trap::new().with_dpd_delay(self.dpd_delay);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn nothing_happens_without_traffic() {
        let t0 = Instant::now();
        let mut t = Trap::new();
        // Lost: no attempt until traffic wants out, however long we wait.
        assert_eq!(t.lost(t0), None);
        assert!(!t.due(t0 + s(3600)));
        // Traffic: at once after a loss.
        let at = t.traffic(t0 + s(100)).unwrap();
        assert_eq!(at, t0 + s(100));
        assert!(t.due(at));
        assert!(t.attempting());
        // More traffic while the attempt runs changes nothing.
        assert_eq!(t.traffic(at + s(1)), None);
        assert!(!t.due(at + s(1)));
    }

    #[test]
    fn traffic_before_the_loss_is_reported_counts() {
        let t0 = Instant::now();
        let mut t = Trap::new();
        // The loss is reported after the ACQUIRE of a packet sent meanwhile.
        assert_eq!(t.traffic(t0), None);
        assert!(!t.due(t0));
        assert_eq!(t.lost(t0 + s(1)), Some(t0 + s(1)));
        assert!(t.due(t0 + s(1)));
    }

    #[test]
    fn failed_attempts_wait_for_traffic_and_back_off_to_30_s() {
        let t0 = Instant::now();
        let mut t = Trap::new();
        t.lost(t0);
        let mut now = t0;
        let mut waits = Vec::new();
        for _ in 0..8 {
            let at = t.traffic(now).unwrap();
            assert!(t.due(at));
            now = at + s(15); // the attempt times out
            assert_eq!(t.lost(now), None, "no traffic yet: no attempt");
            assert!(!t.due(now + s(120)), "not without new traffic");
            // Traffic right away: the attempt waits for the backoff.
            let next = t.traffic(now).unwrap();
            assert!(!t.due(next - Duration::from_millis(1)));
            assert_eq!(t.pending(next - Duration::from_millis(1)), Some(next));
            waits.push((next - now).as_secs());
            // Traffic long after the backoff: at once.
            let mut late = t.clone();
            assert_eq!(late.traffic(now + s(60)), Some(now + s(60)));
            now = next;
        }
        assert_eq!(waits, vec![1, 2, 4, 8, 16, 30, 30, 30]);
        // Up again: the next loss starts without backoff.
        t.up();
        t.lost(now);
        assert_eq!(t.traffic(now), Some(now));
    }

    #[test]
    fn the_backoff_never_exceeds_dpddelay_also_after_up() {
        let t0 = Instant::now();
        let mut t = Trap::new().with_dpd_delay(Some(s(10)));
        let mut now = t0;
        let mut waits = Vec::new();
        for round in 0..2 {
            t.lost(now);
            for _ in 0..6 {
                let at = t.traffic(now).unwrap();
                assert!(t.due(at));
                now = at + s(15);
                t.lost(now);
                let next = t.traffic(now).unwrap();
                waits.push((next - now).as_secs());
                now = next;
            }
            assert_eq!(waits, vec![1, 2, 4, 8, 10, 10], "round {round}");
            waits.clear();
            t.up();
        }
    }
}
