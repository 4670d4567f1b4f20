//! Retransmission schedule: exponential back-off with a bounded number of tries.

use core::time::Duration;

/// Retransmission parameters for requests we send.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetransmitConfig {
    /// Timeout after the first transmission.
    pub initial: Duration,
    /// Multiplier applied for every further try.
    pub factor: f64,
    /// Total number of transmissions (first one included).
    pub tries: u32,
    /// Upper bound on the total time before giving up.
    pub max_total: Duration,
}

impl Default for RetransmitConfig {
    /// 1 s, 2 s, 4 s, 8 s: `NoResponse` about 15 s after the first transmission.
    fn default() -> Self {
        RetransmitConfig {
            initial: Duration::from_secs(1),
            factor: 2.0,
            tries: 4,
            max_total: Duration::from_secs(15),
        }
    }
}

impl RetransmitConfig {
    /// strongSwan's schedule: 4 s × 1.8^n, 5 tries.
    pub fn strongswan() -> Self {
        RetransmitConfig {
            initial: Duration::from_secs(4),
            factor: 1.8,
            tries: 5,
            max_total: Duration::from_secs(165),
        }
    }

    /// The wait after transmission number `n` (0-based).
    pub fn timeout(&self, n: u32) -> Duration {
        let factor = if self.factor.is_finite() && self.factor >= 1.0 {
            self.factor
        } else {
            1.0
        };
        let exp = i32::try_from(n.min(64)).unwrap_or(64);
        let secs = self.initial.as_secs_f64() * factor.powi(exp);
        let secs = if secs.is_finite() {
            secs.min(3600.0)
        } else {
            3600.0
        };
        Duration::from_secs_f64(secs.max(0.001))
    }

    /// The total time from the first transmission until giving up.
    pub fn total(&self) -> Duration {
        let sum: Duration = (0..self.tries.clamp(1, 64)).map(|n| self.timeout(n)).sum();
        sum.min(self.max_total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_schedule() {
        let c = RetransmitConfig::default();
        assert_eq!(c.timeout(0), Duration::from_secs(1));
        assert_eq!(c.timeout(3), Duration::from_secs(8));
        assert_eq!(c.total(), Duration::from_secs(15));
    }

    #[test]
    fn bad_factor_is_clamped() {
        let c = RetransmitConfig {
            factor: f64::NAN,
            ..RetransmitConfig::default()
        };
        assert_eq!(c.timeout(5), Duration::from_secs(1));
    }
}
