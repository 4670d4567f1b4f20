//! ICMP port unreachable errors for our IKE datagrams before the IKE SA is up (see
//! [`crate::service::icmp`]): when they show that nothing listens at the gateway's address,
//! the attempt ends, or moves to the gateway's other address.

use super::Controller;
use crate::service::messages;
use crate::service::state::PluginFailure;
use std::sync::atomic::Ordering;
use std::sync::Arc;

impl Controller {
    /// An ICMP port unreachable quoting one of our IKE datagrams arrived. Before the IKE SA is
    /// up it ends the attempt only when errors answered consecutive transmissions (see
    /// [`super::icmp`]); otherwise the engine keeps waiting for a valid answer. Returns false
    /// when the watch can end (attempt over or IKE SA up).
    pub(super) fn on_port_unreachable(self: &Arc<Self>, attempt: u64, port: u16) -> bool {
        let mut core = self.lock();
        let Some(a) = core
            .active
            .as_mut()
            .filter(|a| a.attempt == attempt && !a.closing)
        else {
            return false;
        };
        if a.ike_up {
            tracing::debug!(
                "ICMP port unreachable for UDP port {port} after the IKE SA is up: ignored"
            );
            return false;
        }
        let sent = a.sent.load(Ordering::Relaxed);
        let before = a.icmp.seen();
        if !a.icmp.record(sent, port) {
            // Once per answered transmission: a flood of forged errors does not flood the log.
            if a.icmp.seen() != before {
                tracing::info!(
                    "ICMP port unreachable for UDP port {port} from {} (datagram {sent}); waiting for a valid answer",
                    a.gateway
                );
            }
            return true;
        }
        a.icmp_watch = None;
        tracing::warn!(
            "{}",
            messages::no_ike_service(&a.gateway, port, a.icmp.consecutive(), a.started.elapsed())
        );
        if a.plan.peek().is_some() {
            self.fall_back(&mut core);
            return false;
        }
        self.begin_stop(&mut core, Some(PluginFailure::ConnectFailed));
        Self::end_half_open(&mut core);
        false
    }
}
