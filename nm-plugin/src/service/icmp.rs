//! Weighing ICMP port-unreachable errors during the IKE_SA_INIT exchange (RFC 7296 §2.21.1:
//! an unprotected error must not decide on its own).
//!
//! Anyone who can guess our address and ports can forge an ICMP error, so one error never ends
//! the attempt. The attempt ends early only when errors answer consecutive transmissions (the
//! request and its retransmission): a gateway host without an IKE daemon answers each of
//! them, which with the default schedule (1 s, 2 s, 4 s, 8 s) ends the attempt about 1 s
//! after the start. Otherwise the engine keeps waiting for a valid answer until its
//! retransmissions run out, and the failure then names the ICMP errors as the likely cause.
//! After the IKE SA is up ICMP errors change nothing.

/// How many consecutive transmissions ICMP errors must answer to end the attempt early.
pub const CONSECUTIVE: u32 = 2;

/// What was seen, for the explanation of a later failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IcmpSeen {
    /// The gateway's UDP port the last error was about.
    pub port: u16,
    /// How many of our transmissions were answered by an error.
    pub answered: u32,
}

/// The ICMP errors of one connection attempt.
#[derive(Debug, Clone, Default)]
pub struct IcmpTally {
    /// The transmission the last error answered.
    last: Option<u64>,
    /// Consecutive transmissions answered, ending with `last`.
    run: u32,
    answered: u32,
    port: u16,
}

impl IcmpTally {
    /// Records an ICMP port unreachable for the gateway's `port` that arrived when `sent` of
    /// our datagrams had been sent (it answers the latest of them). Several errors for one
    /// transmission count once. Returns true when errors have now answered [`CONSECUTIVE`]
    /// transmissions in a row: nothing listens at the gateway.
    pub fn record(&mut self, sent: u64, port: u16) -> bool {
        if sent == 0 {
            // Nothing of ours to answer.
            return false;
        }
        self.port = port;
        match self.last {
            Some(l) if l == sent => return self.run >= CONSECUTIVE,
            Some(l) if l.checked_add(1) == Some(sent) => self.run += 1,
            _ => self.run = 1,
        }
        self.last = Some(sent);
        self.answered = self.answered.saturating_add(1);
        self.run >= CONSECUTIVE
    }

    /// The errors seen so far, if any.
    pub fn seen(&self) -> Option<IcmpSeen> {
        (self.answered > 0).then_some(IcmpSeen {
            port: self.port,
            answered: self.answered,
        })
    }

    /// Consecutive transmissions answered so far.
    pub fn consecutive(&self) -> u32 {
        self.run
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_error_does_not_decide() {
        let mut t = IcmpTally::default();
        assert!(!t.record(1, 500));
        // A flood of errors between two of our transmissions is still one answer.
        for _ in 0..100 {
            assert!(!t.record(1, 500));
        }
        assert_eq!(
            t.seen(),
            Some(IcmpSeen {
                port: 500,
                answered: 1
            })
        );
    }

    #[test]
    fn errors_for_the_request_and_its_retransmission_decide() {
        let mut t = IcmpTally::default();
        assert!(!t.record(1, 500));
        assert!(t.record(2, 500));
        assert_eq!(t.consecutive(), 2);
    }

    #[test]
    fn errors_with_a_gap_do_not_decide() {
        let mut t = IcmpTally::default();
        assert!(!t.record(1, 500));
        // Transmission 2 got no error: 3 starts a new run.
        assert!(!t.record(3, 500));
        assert_eq!(t.consecutive(), 1);
        assert!(t.record(4, 4500));
        assert_eq!(
            t.seen(),
            Some(IcmpSeen {
                port: 4500,
                answered: 3
            })
        );
    }

    #[test]
    fn nothing_sent_nothing_answered() {
        let mut t = IcmpTally::default();
        assert!(!t.record(0, 500));
        assert!(!t.record(0, 500));
        assert_eq!(t.seen(), None);
        assert!(!t.record(1, 500));
    }
}
