//! INFORMATIONAL exchanges (RFC 7296 §1.4): Delete of IKE and Child SAs, liveness checks.

use crate::engine::ctx::Ctx;
use crate::engine::{DownReason, Event};
use crate::ids::{exchange, protocol};
use crate::sa::{IkeSa, IkeState, ReqKind};
use crate::wire::{DeletePayload, Payload};

use super::dispatch::teardown;

/// Starts a request of `kind` now.
pub(crate) fn start(sa: &mut IkeSa, ctx: &mut Ctx<'_>, kind: ReqKind) {
    let payloads = match &kind {
        ReqKind::Dpd => Vec::new(),
        ReqKind::DeleteIke => vec![Payload::Delete(DeletePayload::ike())],
        _ => return,
    };
    let _ = sa.start_request(ctx, kind, exchange::INFORMATIONAL, &payloads);
}

/// Closes the SA: Delete sent (if established), kernel state removed, IkeSaDown reported.
pub(crate) fn close(sa: &mut IkeSa, ctx: &mut Ctx<'_>) {
    close_with(sa, ctx, DownReason::Closed);
}

/// Closes with a given reason.
pub(crate) fn close_with(sa: &mut IkeSa, ctx: &mut Ctx<'_>, reason: DownReason) {
    if sa.state == IkeState::Dead {
        return;
    }
    let established = matches!(sa.state, IkeState::Established);
    teardown(sa, ctx, reason);
    if established {
        sa.state = IkeState::Established;
        sa.pending = None;
        start(sa, ctx, ReqKind::DeleteIke);
        sa.state = IkeState::Deleting;
        sa.expire = None;
    } else {
        sa.expire = None;
    }
}

/// The peer's INFORMATIONAL request.
pub(crate) fn on_request(sa: &mut IkeSa, ctx: &mut Ctx<'_>, msg_id: u32, p: &[Payload]) {
    let mut reply = Vec::new();
    let mut delete_ike = false;
    for d in p.iter().filter_map(|x| match x {
        Payload::Delete(d) => Some(d),
        _ => None,
    }) {
        if d.protocol_id == protocol::IKE {
            delete_ike = true;
        } else if d.protocol_id == protocol::ESP {
            let mut ours = Vec::new();
            for spi in &d.spis {
                let Ok(b) = <[u8; 4]>::try_from(spi.as_slice()) else {
                    continue;
                };
                let spi = u32::from_be_bytes(b);
                if let Some(i) = sa.children.iter().position(|c| c.spi_out == spi) {
                    let c = sa.children.remove(i);
                    c.uninstall(ctx);
                    ours.push(c.spi_in);
                    ctx.event(Event::ChildSaDown {
                        sa: sa.handle,
                        child: c.name.clone(),
                        spi_in: c.spi_in,
                        rekeyed: false,
                    });
                }
            }
            if !ours.is_empty() {
                reply.push(Payload::Delete(DeletePayload::child(protocol::ESP, &ours)));
            }
        }
    }
    if delete_ike {
        let _ = sa.respond(ctx, exchange::INFORMATIONAL, msg_id, &[]);
        if sa.state != IkeState::Deleting {
            teardown(sa, ctx, DownReason::DeletedByPeer);
        } else {
            sa.state = IkeState::Dead;
        }
        sa.expire = Some(ctx.now + core::time::Duration::from_secs(10));
        return;
    }
    let _ = sa.respond(ctx, exchange::INFORMATIONAL, msg_id, &reply);
}
