//! INFORMATIONAL exchanges (RFC 7296 §1.4): Delete of IKE and Child SAs, liveness checks.

use crate::api::{AuthBy, DownReason, Event, Failure};
use crate::ctx::Ctx;
use crate::ids::{exchange, notify, protocol};
use crate::sa::{IkeSa, IkeState, ReqKind};
use crate::wire::{DeletePayload, NotifyPayload, Payload};

use super::create_child;
use super::dispatch::{self, teardown};

/// Starts a request of `kind` now. Returns whether a request was sent.
pub(crate) fn start(sa: &mut IkeSa, ctx: &mut Ctx<'_>, kind: ReqKind) -> bool {
    let payloads = match &kind {
        ReqKind::Dpd => Vec::new(),
        ReqKind::DeleteIke => vec![Payload::Delete(DeletePayload::ike())],
        ReqKind::DeleteChild { spis_in } => {
            let live: Vec<u32> = spis_in
                .iter()
                .copied()
                .filter(|s| sa.children.iter().any(|c| c.spi_in == *s))
                .collect();
            if live.is_empty() {
                return false;
            }
            vec![Payload::Delete(DeletePayload::child(protocol::ESP, &live))]
        }
        ReqKind::DeleteGoneChild { spis_in } => {
            vec![Payload::Delete(DeletePayload::child(
                protocol::ESP,
                spis_in,
            ))]
        }
        ReqKind::RekeyChild {
            old_spi_in,
            new_spi_in,
        } => {
            // A local failure (no randomness, no key exchange) fails this rekey only.
            return match create_child::start_child_rekey(sa, ctx, *old_spi_in, *new_spi_in) {
                Ok(sent) => sent,
                Err(e) => {
                    sa.ccs_out = None;
                    let f = Failure::from(e.context("cannot start the Child SA rekey"));
                    create_child::child_rekey_failed(sa, ctx, *old_spi_in, f);
                    false
                }
            };
        }
        ReqKind::RekeyIke => {
            return match create_child::start_ike_rekey(sa, ctx) {
                Ok(sent) => sent,
                Err(e) => {
                    sa.ccs_out = None;
                    let f = Failure::from(e.context("cannot start the IKE SA rekey"));
                    create_child::ike_rekey_failed(sa, ctx, f);
                    false
                }
            };
        }
        ReqKind::UpdateAddresses { .. } => return super::mobike::start(sa, ctx),
        ReqKind::IkeSaInit | ReqKind::Intermediate | ReqKind::IkeAuth | ReqKind::FollowupKe => {
            return false
        }
    };
    match sa.start_request(ctx, kind, exchange::INFORMATIONAL, &payloads) {
        Ok(()) => true,
        Err(e) => {
            // Our own fault (the request could not be built): reported, the IKE SA stays.
            if !sa.shell {
                ctx.event(Event::ExchangeFailed {
                    sa: sa.handle,
                    failure: e.context("cannot send an INFORMATIONAL request").into(),
                });
            }
            false
        }
    }
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

/// Initiator: we rejected the responder's AUTH. Sends one INFORMATIONAL request carrying
/// AUTHENTICATION_FAILED and a Delete of the IKE SA, without waiting for an answer.
pub(crate) fn send_auth_failed(sa: &mut IkeSa, ctx: &mut Ctx<'_>) {
    let p = [
        Payload::Notify(NotifyPayload::new(
            notify::AUTHENTICATION_FAILED,
            Vec::new(),
        )),
        Payload::Delete(DeletePayload::ike()),
    ];
    let msg_id = sa.next_msg_id;
    if let Ok(d) = sa.encode_encrypted(ctx, exchange::INFORMATIONAL, false, msg_id, &p) {
        sa.next_msg_id = sa.next_msg_id.wrapping_add(1);
        sa.transmit(ctx, &d);
    }
}

/// The peer's INFORMATIONAL request.
pub(crate) fn on_request(sa: &mut IkeSa, ctx: &mut Ctx<'_>, msg_id: u32, p: &[Payload]) {
    if super::msg::find_notify(p, notify::AUTHENTICATION_FAILED).is_some() {
        // The initiator rejected our authentication after we answered IKE_AUTH.
        dispatch::answer(sa, ctx, exchange::INFORMATIONAL, msg_id, &[]);
        let f = Failure::AuthenticationFailed {
            by: AuthBy::Peer,
            detail: "peer sent AUTHENTICATION_FAILED".into(),
        };
        if !sa.shell {
            ctx.event(Event::Failed {
                sa: sa.handle,
                failure: f.clone(),
            });
        }
        teardown(sa, ctx, DownReason::Failed(f));
        sa.expire = Some(ctx.now() + core::time::Duration::from_secs(10));
        return;
    }
    // The gateway may set (or move) the authentication lifetime at any time (RFC 4478).
    super::reauth::on_auth_lifetime(sa, ctx, p);
    let Some(mut reply) = super::mobike::on_request(sa, ctx, p) else {
        return;
    };
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
                    if let Some(c) = create_child::remove_child(sa, ctx, i) {
                        ours.push(c.spi_in);
                    }
                }
            }
            if !ours.is_empty() {
                reply.push(Payload::Delete(DeletePayload::child(protocol::ESP, &ours)));
            }
        }
    }
    if delete_ike {
        dispatch::answer(sa, ctx, exchange::INFORMATIONAL, msg_id, &[]);
        if !sa.shell && super::ike_collision::old_deleted(sa, ctx) {
            return;
        }
        if sa.state != IkeState::Deleting {
            teardown(sa, ctx, DownReason::DeletedByPeer);
        } else {
            sa.state = IkeState::Dead;
        }
        sa.expire = Some(ctx.now() + core::time::Duration::from_secs(10));
        return;
    }
    dispatch::answer(sa, ctx, exchange::INFORMATIONAL, msg_id, &reply);
}
