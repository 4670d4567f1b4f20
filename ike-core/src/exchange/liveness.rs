//! Liveness of an established IKE SA: liveness checks (DPD, an empty INFORMATIONAL request
//! after `dpd_delay` without a message from the peer) and NAT-keepalives. The timers
//! themselves live in [`crate::sa::liveness`].
//!
//! A liveness check that stays unanswered (its retransmissions run out, or `dpd_timeout`
//! passes without a message from the peer) fails the IKE SA with [`Failure::PeerDead`]. Any
//! valid message from the peer counts as a sign of life.

use crate::api::Failure;
use crate::ctx::Ctx;
use crate::sa::{IkeSa, ReqKind};

use super::informational;

/// Timer work: starts a liveness check and sends a NAT-keepalive when due.
pub(crate) fn on_timer(sa: &mut IkeSa, ctx: &mut Ctx<'_>) {
    if sa.dpd_at().is_some_and(|t| t <= ctx.now()) {
        informational::start(sa, ctx, ReqKind::Dpd);
    }
    if sa.keepalive_at().is_some_and(|t| t <= ctx.now()) {
        sa.send_keepalive(ctx);
    }
}

/// The failure of an IKE SA whose liveness check went unanswered.
pub(crate) fn peer_dead(sa: &IkeSa, ctx: &Ctx<'_>) -> Failure {
    Failure::PeerDead {
        silent_for: ctx.now().saturating_since(sa.last_rx),
    }
}
