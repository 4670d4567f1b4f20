//! Routes messages, timers and kernel answers of one IKE SA to the exchanges; enforces the
//! message-ID window and the "nothing before authentication" rule.

use std::net::SocketAddr;

use crate::api::{AuthBy, DownReason, Event, Failure, KernelRequest};
use crate::ctx::Ctx;
use crate::ids::exchange;
use crate::natt::NATT_PORT;
use crate::sa::child_sa::ChildSa;
use crate::sa::transport::Opened;
use crate::sa::{IkeSa, IkeState, ReqKind};
use crate::wire::{Message, Payload};

use super::{
    create_child, followup_ke, ike_auth, ike_sa_init, informational, intermediate, liveness,
    mobike, reauth,
};

/// Fails the SA: Failed event (fatal: the IKE SA goes), kernel state removed, IkeSaDown; kept
/// briefly as Dead to absorb retransmissions. A rekeyed IKE SA's silent shell reports nothing.
pub(crate) fn fail(sa: &mut IkeSa, ctx: &mut Ctx<'_>, failure: Failure, report: bool) {
    if sa.state == IkeState::Dead {
        return;
    }
    if report && !sa.shell {
        ctx.event(Event::Failed {
            sa: sa.handle,
            failure: failure.clone(),
        });
    }
    teardown(sa, ctx, DownReason::Failed(failure));
}

/// Sends a response. When we cannot build it (our own fault: random generator, crypto,
/// encoding), the request stays unanswered and [`Event::ExchangeFailed`] reports why; the IKE
/// SA stays.
pub(crate) fn answer(
    sa: &mut IkeSa,
    ctx: &mut Ctx<'_>,
    exchange_type: u8,
    msg_id: u32,
    payloads: &[Payload],
) -> bool {
    match sa.respond(ctx, exchange_type, msg_id, payloads) {
        Ok(()) => true,
        Err(e) => {
            if !sa.shell {
                ctx.event(Event::ExchangeFailed {
                    sa: sa.handle,
                    failure: e.context("cannot answer the peer's request").into(),
                });
            }
            false
        }
    }
}

/// Uninstalls a Child SA (already taken out of `sa.children`) and reports it.
pub(crate) fn child_down(sa: &IkeSa, ctx: &mut Ctx<'_>, c: &ChildSa, rekeyed: bool) {
    c.uninstall(ctx);
    if !sa.shell {
        ctx.event(Event::ChildSaDown {
            sa: sa.handle,
            child: c.name.clone(),
            spi_in: c.spi_in,
            rekeyed,
        });
    }
}

/// Removes all Child SAs and reports IkeSaDown.
pub(crate) fn teardown(sa: &mut IkeSa, ctx: &mut Ctx<'_>, reason: DownReason) {
    for c in sa.children.drain(..).rev().collect::<Vec<_>>() {
        child_down(sa, ctx, &c, false);
    }
    if !sa.shell {
        ctx.event(Event::IkeSaDown {
            sa: sa.handle,
            reason,
        });
    }
    sa.state = IkeState::Dead;
    sa.pending = None;
    sa.queue.clear();
    sa.pending_child = None;
    sa.expire = Some(ctx.now() + core::time::Duration::from_secs(30));
}

/// A message for this SA.
pub(crate) fn on_message(
    sa: &mut IkeSa,
    ctx: &mut Ctx<'_>,
    local: SocketAddr,
    remote: SocketAddr,
    msg: &Message,
    raw: &[u8],
) {
    if msg.header.flags.initiator == sa.initiator {
        return; // our own I flag reflected: not from the peer
    }
    if msg.header.flags.response {
        on_response(sa, ctx, local, remote, msg, raw);
    } else {
        on_request(sa, ctx, local, remote, msg, raw);
    }
    start_queued(sa, ctx);
}

fn on_response(
    sa: &mut IkeSa,
    ctx: &mut Ctx<'_>,
    local: SocketAddr,
    remote: SocketAddr,
    msg: &Message,
    raw: &[u8],
) {
    let Some(pending) = sa.pending.as_ref() else {
        return;
    };
    if pending.msg_id != msg.header.message_id || sa.state == IkeState::Dead {
        return;
    }
    let kind = pending.kind.clone();
    if kind == ReqKind::IkeSaInit {
        if msg.header.exchange_type != exchange::IKE_SA_INIT || ike_sa_init::is_stale(sa, msg) {
            return;
        }
        // Unprotected: the request stays pending until a usable answer comes, and an error
        // notify ends the attempt only when it answered two transmissions in a row.
        let tries = pending.tries;
        match ike_sa_init::on_response(sa, ctx, msg, raw, local, remote) {
            Ok(()) => sa.last_rx = ctx.now(),
            Err(ike_sa_init::InitError::Fatal(f)) => fail(sa, ctx, f, true),
            Err(ike_sa_init::InitError::Unverified { notify, failure }) => {
                if let Some(f) = ike_sa_init::unverified_answer(sa, ctx, notify, failure, tries) {
                    sa.pending = None;
                    fail(sa, ctx, f, true);
                }
            }
        }
        return;
    }
    let payloads = match sa.open(msg, raw) {
        Ok(Opened::Payloads(p)) => p,
        Ok(Opened::Incomplete) | Err(_) => return,
    };
    sa.pending = None;
    sa.last_rx = ctx.now();
    // A gateway behind a NAT whose mapping changed (RFC 7296 §2.23).
    if !matches!(kind, ReqKind::IkeAuth) {
        mobike::follow_peer(sa, ctx, remote, false);
    }
    match kind {
        ReqKind::Intermediate => {
            if let Err(f) = intermediate::on_response(sa, ctx, &msg.header, &payloads) {
                fail(sa, ctx, f, true);
            }
        }
        ReqKind::IkeAuth => {
            if let Err(f) = ike_auth::on_response(sa, ctx, &payloads) {
                if sa.up_reported {
                    ctx.event(Event::Failed {
                        sa: sa.handle,
                        failure: f.clone(),
                    });
                    informational::close_with(sa, ctx, DownReason::Failed(f));
                } else {
                    if matches!(
                        f,
                        Failure::AuthenticationFailed { by: AuthBy::Us, .. }
                            | Failure::CertificateNameMismatch { .. }
                            | Failure::CertificateRevoked { .. }
                    ) {
                        // Tell the responder, which considers the SA up (RFC 7296 §2.21.2).
                        informational::send_auth_failed(sa, ctx);
                    }
                    fail(sa, ctx, f, true);
                }
            }
        }
        ReqKind::DeleteIke => {
            sa.state = IkeState::Dead;
            sa.expire = None;
        }
        ReqKind::RekeyChild { .. } | ReqKind::RekeyIke => {
            create_child::on_response(sa, ctx, &kind, &payloads);
        }
        ReqKind::FollowupKe => followup_ke::on_response(sa, ctx, &payloads),
        ReqKind::DeleteChild { spis_in } => {
            create_child::on_delete_response(sa, ctx, &spis_in);
        }
        ReqKind::UpdateAddresses { cookie2 } => {
            mobike::on_response(sa, ctx, &cookie2, &payloads);
        }
        ReqKind::Dpd | ReqKind::DeleteGoneChild { .. } | ReqKind::IkeSaInit => {}
    }
}

fn on_request(
    sa: &mut IkeSa,
    ctx: &mut Ctx<'_>,
    local: SocketAddr,
    remote: SocketAddr,
    msg: &Message,
    raw: &[u8],
) {
    let id = msg.header.message_id;
    if id != sa.peer_next {
        if id.wrapping_add(1) == sa.peer_next {
            if let Some(c) = sa.cached.as_ref().filter(|c| c.msg_id == id) {
                let d = c.datagrams.clone();
                sa.transmit(ctx, &d);
            }
        }
        return;
    }
    if sa.state == IkeState::Dead
        || sa.state == IkeState::AuthRespWaitSpi
        || msg.header.exchange_type == exchange::IKE_SA_INIT
    {
        return;
    }
    let payloads = match sa.open(msg, raw) {
        Ok(Opened::Payloads(p)) => p,
        Ok(Opened::Incomplete) | Err(_) => return,
    };
    sa.last_rx = ctx.now();
    // Follow the peer's address (NAT mapping changes, floating to 4500). Under MOBIKE, a
    // float to 4500 is not a NAT: the update's NAT detection decides encapsulation.
    if local.port() == NATT_PORT && !sa.encap {
        if sa.mobike {
            sa.floated = true;
        } else {
            sa.encap = true;
        }
    }
    if sa.local.port() != local.port() || mobike::is_update(sa, &payloads) {
        sa.local = local;
    }
    let update = mobike::is_update(sa, &payloads);
    mobike::follow_peer(sa, ctx, remote, update);
    sa.peer_next = sa.peer_next.wrapping_add(1);
    match (msg.header.exchange_type, sa.state) {
        (exchange::IKE_INTERMEDIATE, IkeState::AuthPending) if !sa.initiator => {
            if let Err(f) = intermediate::on_request(sa, ctx, &msg.header, id, &payloads) {
                fail(sa, ctx, f, true);
            }
        }
        (exchange::IKE_AUTH, IkeState::AuthPending)
            if !sa.initiator && !sa.init.addke_pending.is_empty() =>
        {
            // RFC 9370: the additional key exchanges come first; skipping them is a downgrade.
            let f = Failure::ProtocolError(
                "IKE_AUTH before the additional key exchanges (IKE_INTERMEDIATE)".into(),
            );
            fail(sa, ctx, f, true);
        }
        (exchange::IKE_AUTH, IkeState::AuthPending) if !sa.initiator => {
            if let Err(f) = ike_auth::on_request(sa, ctx, id, &payloads) {
                fail(sa, ctx, f, true);
            }
        }
        (exchange::INFORMATIONAL, IkeState::Established | IkeState::Deleting) => {
            informational::on_request(sa, ctx, id, &payloads);
        }
        (exchange::CREATE_CHILD_SA, IkeState::Established) => {
            create_child::on_request(sa, ctx, id, &payloads);
        }
        (exchange::IKE_FOLLOWUP_KE, IkeState::Established) => {
            followup_ke::on_request(sa, ctx, id, &payloads);
        }
        _ => {
            // Nothing else may change state before authentication (CVE-2014-2338).
            sa.peer_next = sa.peer_next.wrapping_sub(1);
        }
    }
}

/// Starts the next queued request when the window is free.
pub(crate) fn start_queued(sa: &mut IkeSa, ctx: &mut Ctx<'_>) {
    while sa.pending.is_none() && sa.state == IkeState::Established && !sa.shell {
        // An IKE SA rekey waits until Child SA work is done.
        let busy = create_child::child_work_pending(sa);
        let Some(i) = sa
            .queue
            .iter()
            .position(|k| *k != ReqKind::RekeyIke || !busy)
        else {
            return;
        };
        let Some(kind) = sa.queue.remove(i) else {
            return;
        };
        informational::start(sa, ctx, kind);
    }
}

/// A timer fired. Returns true when the SA should be removed.
pub(crate) fn on_timer(sa: &mut IkeSa, ctx: &mut Ctx<'_>) -> bool {
    if let Some(e) = sa.expire {
        if e <= ctx.now() {
            if sa.state == IkeState::Dead {
                return true;
            }
            // Half-open responder SA timed out.
            if !sa.initiator && sa.state == IkeState::AuthPending {
                sa.state = IkeState::Dead;
                return true;
            }
            // The shell of a rekeyed IKE SA is not needed any more.
            if sa.shell {
                sa.state = IkeState::Dead;
                return true;
            }
            sa.expire = None;
        }
    }
    if let Err(tries) = sa.on_retransmit_timer(ctx) {
        let kind = sa.pending.as_ref().map(|p| p.kind.clone());
        let last_port = sa.remote.port();
        sa.pending = None;
        if sa.state == IkeState::Deleting || kind == Some(ReqKind::DeleteIke) {
            sa.state = IkeState::Dead;
            return true;
        }
        // No valid answer to IKE_SA_INIT: an unprotected error seen meanwhile is the likely
        // cause.
        let likely = (kind == Some(ReqKind::IkeSaInit))
            .then(|| sa.init.unverified.take())
            .flatten();
        let f = if kind == Some(ReqKind::Dpd) {
            liveness::peer_dead(sa, ctx)
        } else {
            likely.map_or(Failure::NoResponse { tries, last_port }, |u| u.failure)
        };
        fail(sa, ctx, f, true);
        return false;
    }
    followup_ke::on_timer(sa, ctx);
    if reauth::on_timer(sa, ctx) || create_child::on_timer(sa, ctx) {
        return false;
    }
    start_queued(sa, ctx);
    liveness::on_timer(sa, ctx);
    false
}

/// A kernel operation failed: SPI allocations of rekeys only abandon the rekey; anything
/// else fails the IKE SA.
pub(crate) fn on_op_failed(
    sa: &mut IkeSa,
    ctx: &mut Ctx<'_>,
    request: KernelRequest,
    error: String,
) {
    if let Some(i) = sa.spi_wait.iter().position(|(r, _)| *r == request) {
        let (_, wait) = sa.spi_wait.remove(i);
        create_child::on_spi_failed(sa, ctx, wait);
        start_queued(sa, ctx);
        return;
    }
    fail(sa, ctx, Failure::Kernel(error), true);
}

/// The kernel allocated an SPI.
pub(crate) fn on_spi(sa: &mut IkeSa, ctx: &mut Ctx<'_>, request: KernelRequest, spi: u32) {
    if let Some(i) = sa.spi_wait.iter().position(|(r, _)| *r == request) {
        let (_, wait) = sa.spi_wait.remove(i);
        create_child::on_spi(sa, ctx, wait, spi);
        start_queued(sa, ctx);
        return;
    }
    let Some(pc) = sa.pending_child.as_mut() else {
        return;
    };
    if pc.request != Some(request) {
        return;
    }
    pc.spi_in = Some(spi);
    pc.request = None;
    let r = match sa.state {
        IkeState::WaitSpi => ike_auth::send_request(sa, ctx, spi).map_err(Failure::from),
        IkeState::AuthRespWaitSpi => ike_auth::finish_response(sa, ctx, spi),
        _ => Ok(()),
    };
    if let Err(f) = r {
        fail(sa, ctx, f, true);
    }
}

/// A kernel SA expired: soft starts a rekey (unless rekeying is off), hard removes the
/// Child SA and tells the peer.
pub(crate) fn on_expire(sa: &mut IkeSa, ctx: &mut Ctx<'_>, spi: u32, hard: bool) {
    if hard {
        create_child::child_hard_expired(sa, ctx, spi);
    } else {
        create_child::child_soft_expired(sa, ctx, spi);
    }
    start_queued(sa, ctx);
}
