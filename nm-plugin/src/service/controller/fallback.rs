//! Another try when the gateway did not answer before the IKE SA came up (no answer to
//! IKE_SA_INIT, ICMP errors saying nothing listens, or no route), while NetworkManager keeps
//! waiting: a host name with addresses of both families is tried on its address of the other
//! family (see [`crate::tool::resolve_candidates`]), and `keyingtries` gives the number of
//! rounds over the addresses.

use super::{cancel, Controller, Core};
use crate::service::errors::PluginError;
use crate::service::messages;
use crate::service::state::{PluginFailure, ServiceState};
use crate::settings::Settings;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// The gateway's addresses and the tries left: which address the current try goes to and
/// which one the next try would.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GatewayPlan {
    addrs: Vec<SocketAddr>,
    /// Index of the current address.
    at: usize,
    /// The current round (1-based).
    round: u32,
    /// Rounds in all (`keyingtries`); 0: no limit.
    rounds: u32,
}

impl GatewayPlan {
    /// A plan over `addrs` (at least one; [`crate::tool::resolve_candidates`]) with `rounds`
    /// rounds (`keyingtries`, 0: no limit).
    pub(crate) fn new(addrs: Vec<SocketAddr>, rounds: u32) -> Self {
        GatewayPlan {
            addrs,
            at: 0,
            round: 1,
            rounds,
        }
    }

    /// How many addresses a round goes through.
    pub(crate) fn addresses(&self) -> usize {
        self.addrs.len()
    }

    /// The address of the current try.
    pub(crate) fn current(&self) -> Option<SocketAddr> {
        self.addrs.get(self.at).copied()
    }

    /// The address the next try would go to, if a try is left.
    pub(crate) fn peek(&self) -> Option<SocketAddr> {
        let mut next = self.clone();
        next.advance().then(|| next.current()).flatten()
    }

    /// Moves to the next try; false when none is left.
    pub(crate) fn advance(&mut self) -> bool {
        if self.at + 1 < self.addrs.len() {
            self.at += 1;
            return true;
        }
        if self.rounds != 0 && self.round >= self.rounds {
            return false;
        }
        self.at = 0;
        self.round = self.round.saturating_add(1);
        true
    }

    /// How long to wait before the current try (after [`GatewayPlan::advance`]): nothing
    /// within a round (the other address at once), then 1 s, 2 s, 4 s ... at most 30 s before
    /// each new round, so that `keyingtries=0` against a gateway without its daemon (refused
    /// at once by ICMP errors) does not try without pause.
    pub(crate) fn wait(&self) -> Duration {
        if self.at != 0 || self.round < 2 {
            return Duration::ZERO;
        }
        let exp = (self.round - 2).min(5);
        Duration::from_secs((1u64 << exp).min(30))
    }

    /// The log line of the next try (after [`GatewayPlan::advance`]).
    pub(crate) fn next_try_line(&self, previous: SocketAddr) -> String {
        match self.current() {
            Some(a) if a != previous => messages::fallback_address(a.ip()),
            _ => messages::keying_try(self.round, self.rounds, self.wait().as_secs()),
        }
    }
}

impl Controller {
    /// Ends the current attempt (nothing was established: its loop is aborted and its kernel
    /// backend, sockets and exemption go with it) and launches the next address of
    /// [`super::Active::fallback`]. Until the new attempt is active, the controller is
    /// `busy`, so that a Disconnect meanwhile cancels it.
    pub(super) fn fall_back(self: &Arc<Self>, core: &mut Core) {
        let Some(mut a) = core.active.take() else {
            return;
        };
        let previous = a.plan.current();
        let mut plan = a.plan.clone();
        if !plan.advance() {
            return;
        }
        if let Some(p) = previous {
            tracing::info!("{}", plan.next_try_line(p));
        }
        if let Some(h) = &a.hold {
            h.end();
        }
        let _ = a.stop.send(true);
        cancel(&mut a.icmp_watch);
        if let Some(h) = a.runner.take() {
            h.abort();
        }
        let mut done = a.done.clone();
        let maps = a.maps.clone();
        core.busy = true;
        core.cancel_start = false;
        let me = Arc::clone(self);
        tokio::spawn(async move {
            // The old attempt's kernel backend must be gone (its lock on our kernel state
            // released, what it allocated removed) before the next one starts.
            let _ = tokio::time::timeout(Duration::from_secs(5), done.wait_for(|d| *d)).await;
            tokio::time::sleep(plan.wait()).await;
            let r = match Settings::from_maps(&maps.data, &maps.secrets) {
                Ok(settings) => me.launch(maps, settings, plan).await,
                Err(errs) => {
                    let lines: Vec<String> = errs.iter().map(ToString::to_string).collect();
                    Err(PluginError::InvalidConnection(messages::profile_invalid(
                        &lines,
                    )))
                }
            };
            let mut core = me.lock();
            core.busy = false;
            if let Err(e) = r {
                tracing::warn!("{e}");
                if core.state == ServiceState::Starting {
                    me.send(super::Out::Failure(PluginFailure::ConnectFailed));
                    me.set_state(&mut core, ServiceState::Stopped);
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addrs() -> Vec<SocketAddr> {
        vec![
            "[2001:db8::1]:500".parse().unwrap(),
            "192.0.2.1:500".parse().unwrap(),
        ]
    }

    fn walk(mut p: GatewayPlan, max: usize) -> Vec<SocketAddr> {
        let mut out = vec![p.current().unwrap()];
        while out.len() < max && p.advance() {
            out.push(p.current().unwrap());
        }
        out
    }

    #[test]
    fn one_round_tries_each_address_once() {
        let p = GatewayPlan::new(addrs(), 1);
        assert_eq!(p.peek(), Some(addrs()[1]));
        assert_eq!(walk(p, 10), addrs());
        let single = GatewayPlan::new(vec![addrs()[1]], 1);
        assert_eq!(single.peek(), None);
        assert_eq!(walk(single, 10), [addrs()[1]]);
    }

    #[test]
    fn keyingtries_gives_the_rounds_and_zero_no_limit() {
        let three = walk(GatewayPlan::new(vec![addrs()[1]], 3), 10);
        assert_eq!(three, [addrs()[1]; 3]);
        let both = walk(GatewayPlan::new(addrs(), 2), 10);
        assert_eq!(both, [addrs()[0], addrs()[1], addrs()[0], addrs()[1]]);
        assert_eq!(walk(GatewayPlan::new(addrs(), 0), 25).len(), 25);
    }

    #[test]
    fn new_rounds_back_off_and_the_other_address_does_not_wait() {
        let mut p = GatewayPlan::new(addrs(), 0);
        let mut waits = Vec::new();
        while p.advance() && waits.len() < 16 {
            waits.push(p.wait().as_secs());
        }
        // Other address at once; then the first again after 1 s, 2 s, 4 s ... at most 30 s.
        assert_eq!(waits, [0, 1, 0, 2, 0, 4, 0, 8, 0, 16, 0, 30, 0, 30, 0, 30]);
    }

    #[test]
    fn the_next_try_is_named() {
        let mut p = GatewayPlan::new(addrs(), 2);
        assert!(p.advance());
        assert!(p.next_try_line(addrs()[0]).contains("192.0.2.1"));
        let mut again = GatewayPlan::new(vec![addrs()[1]], 3);
        assert!(again.advance());
        let line = again.next_try_line(addrs()[1]);
        assert!(
            line.contains("try 2 of 3") && line.contains("in 1 s"),
            "{line}"
        );
    }
}
