//! MOBIKE (RFC 4555): MOBIKE_SUPPORTED in IKE_AUTH, UPDATE_SA_ADDRESSES with fresh NAT
//! detection and COOKIE2 when our address changes (initiator), the answer to it (responder),
//! and following the peer when its NAT mapping changes (RFC 7296 §2.23).
//!
//! Choices where the RFC leaves room:
//! - Only the original initiator moves the IKE SA (RFC 4555 §3.5); we announce no additional
//!   addresses, so the peer's address list is its one address.
//! - The update is sent from port 4500 (IKE floats there, ESP stays unencapsulated unless a
//!   NAT is found), so a NAT on the new path needs no second round.
//! - UDP encapsulation, once used, stays: a path without a NAT keeps it (our NAT detection
//!   then claims a NAT, as forced encapsulation does, so the peer keeps it too). The kernel
//!   can change encapsulation ports in place but not drop encapsulation.
//! - A refused update (an error notify), a missing or wrong COOKIE2 or a NAT when
//!   encapsulation is not allowed ends the IKE SA ([`dispatch::fail`]): it cannot stay on the
//!   old path, which is gone.

use std::net::{IpAddr, SocketAddr};

use subtle::ConstantTimeEq;

use crate::api::{Failure, PathUpdate};
use crate::ctx::Ctx;
use crate::ids::{exchange, notify};
use crate::natt::{nat_hash, NATT_PORT};
use crate::sa::{IkeSa, IkeState, ReqKind};
use crate::wire::{NotifyPayload, Payload};

use super::dispatch;
use super::msg::{find_notify, first_notify_error};

/// Length of our COOKIE2 (RFC 4555 §3.8: 8 to 64 octets).
const COOKIE2_LEN: usize = 16;

fn notify_p(ty: u16, data: Vec<u8>) -> Payload {
    Payload::Notify(NotifyPayload::new(ty, data))
}

/// Initiator, IKE_AUTH request: offers MOBIKE when configured.
pub(crate) fn offer(sa: &IkeSa, p: &mut Vec<Payload>) {
    if sa.profile.mobike {
        p.push(notify_p(notify::MOBIKE_SUPPORTED, Vec::new()));
    }
}

/// Initiator, IKE_AUTH response: MOBIKE is in use when both ends support it.
pub(crate) fn on_auth_response(sa: &mut IkeSa, p: &[Payload]) {
    sa.mobike = sa.profile.mobike && find_notify(p, notify::MOBIKE_SUPPORTED).is_some();
}

/// Responder, IKE_AUTH request: accepts MOBIKE when configured (the answer then carries
/// MOBIKE_SUPPORTED, see `ike_auth`).
pub(crate) fn on_auth_request(sa: &mut IkeSa, request: &[Payload]) {
    sa.mobike = sa.profile.mobike && find_notify(request, notify::MOBIKE_SUPPORTED).is_some();
}

/// Our address changed to `local`: starts UPDATE_SA_ADDRESSES (see [`PathUpdate`]).
/// Requests in flight are retransmitted from the new address.
pub(crate) fn update_path(sa: &mut IkeSa, ctx: &mut Ctx<'_>, local: IpAddr) -> PathUpdate {
    if sa.state != IkeState::Established || sa.shell {
        return PathUpdate::NotEstablished;
    }
    let queued = sa
        .queue
        .iter()
        .any(|k| matches!(k, ReqKind::UpdateAddresses { .. }));
    if sa.local.ip() == local && !queued {
        return PathUpdate::Unchanged;
    }
    if !sa.mobike || !sa.initiator {
        // The old path is gone: delete the IKE SA (from the new address) so that a new one
        // can be set up; the peer learns it at once instead of after its liveness checks.
        let f = Failure::PathChanged {
            offered: sa.profile.mobike,
        };
        sa.local = SocketAddr::new(local, sa.local.port());
        if !sa.shell {
            ctx.event(crate::api::Event::Failed {
                sa: sa.handle,
                failure: f.clone(),
            });
        }
        super::informational::close_with(sa, ctx, crate::api::DownReason::Failed(f));
        return PathUpdate::NotSupported;
    }
    if !sa.encap && !sa.floated {
        sa.floated = true;
        sa.remote = SocketAddr::new(sa.remote.ip(), NATT_PORT);
    }
    sa.local = SocketAddr::new(local, NATT_PORT);
    // The latest address wins: one update in the queue at most.
    sa.queue
        .retain(|k| !matches!(k, ReqKind::UpdateAddresses { .. }));
    sa.queue.push_front(ReqKind::UpdateAddresses {
        cookie2: Vec::new(),
    });
    dispatch::start_queued(sa, ctx);
    PathUpdate::Updating
}

/// NAT_DETECTION_SOURCE_IP and _DESTINATION_IP for our current endpoints: a random source
/// hash when we must keep (or force) UDP encapsulation.
fn nat_payloads(sa: &IkeSa, ctx: &mut Ctx<'_>) -> Result<Vec<Payload>, crate::api::IkeError> {
    let src = if sa.encap || sa.profile.force_encap {
        ctx.random(20)?
    } else {
        nat_hash(&sa.spi_i, &sa.spi_r, sa.local)
    };
    Ok(vec![
        notify_p(notify::NAT_DETECTION_SOURCE_IP, src),
        notify_p(
            notify::NAT_DETECTION_DESTINATION_IP,
            nat_hash(&sa.spi_i, &sa.spi_r, sa.remote),
        ),
    ])
}

/// Sends UPDATE_SA_ADDRESSES with NAT detection and a fresh COOKIE2. Returns whether a
/// request was sent.
pub(crate) fn start(sa: &mut IkeSa, ctx: &mut Ctx<'_>) -> bool {
    let built = ctx.random(COOKIE2_LEN).and_then(|cookie2| {
        let mut p = vec![notify_p(notify::UPDATE_SA_ADDRESSES, Vec::new())];
        p.extend(nat_payloads(sa, ctx)?);
        p.push(notify_p(notify::COOKIE2, cookie2.clone()));
        Ok((cookie2, p))
    });
    let sent = built.and_then(|(cookie2, p)| {
        sa.start_request(
            ctx,
            ReqKind::UpdateAddresses { cookie2 },
            exchange::INFORMATIONAL,
            &p,
        )
    });
    match sent {
        Ok(()) => true,
        Err(e) => {
            let f = Failure::from(e.context("cannot send UPDATE_SA_ADDRESSES"));
            dispatch::fail(sa, ctx, f, true);
            false
        }
    }
}

/// NAT detection from the peer's NAT_DETECTION_* notifies in a message from `remote` to
/// `local`: (we are behind a NAT, the peer is).
fn detect(sa: &IkeSa, p: &[Payload], local: SocketAddr, remote: SocketAddr) -> (bool, bool) {
    let theirs = nat_hash(&sa.spi_i, &sa.spi_r, remote);
    let ours = nat_hash(&sa.spi_i, &sa.spi_r, local);
    let src_ok = p.iter().any(|x| {
        matches!(x, Payload::Notify(n)
            if n.notify_type == notify::NAT_DETECTION_SOURCE_IP && n.data == theirs)
    });
    let has_src = find_notify(p, notify::NAT_DETECTION_SOURCE_IP).is_some();
    let dst = find_notify(p, notify::NAT_DETECTION_DESTINATION_IP);
    let local_behind = dst.is_some_and(|d| d.data != ours);
    (local_behind, has_src && !src_ok)
}

/// Applies NAT detection of the new path and moves the Child SAs. Returns false (after
/// failing the IKE SA) when a NAT appears and encapsulation is not allowed.
fn settle(sa: &mut IkeSa, ctx: &mut Ctx<'_>, local_behind: bool, remote_behind: bool) -> bool {
    sa.nat.local_behind = local_behind || (sa.initiator && (sa.profile.force_encap || sa.encap));
    sa.nat.remote_behind = remote_behind;
    let nat = local_behind || remote_behind;
    if nat && sa.profile.no_encap {
        let f = Failure::NatWithoutEncapsulation { local_behind };
        dispatch::fail(sa, ctx, f, true);
        return false;
    }
    if nat || sa.profile.force_encap {
        sa.encap = true;
    }
    sa.move_children(ctx);
    true
}

/// Initiator: the answer to our UPDATE_SA_ADDRESSES.
pub(crate) fn on_response(sa: &mut IkeSa, ctx: &mut Ctx<'_>, cookie2: &[u8], p: &[Payload]) {
    if let Some(n) = first_notify_error(p) {
        let f = Failure::PeerNotify {
            notify_type: n.notify_type,
            exchange: exchange::INFORMATIONAL,
        };
        dispatch::fail(sa, ctx, f, true);
        return;
    }
    let echoed = find_notify(p, notify::COOKIE2)
        .is_some_and(|n| n.data.len() == cookie2.len() && bool::from(n.data.ct_eq(cookie2)));
    if !echoed {
        let f = Failure::ProtocolError("the peer did not return our COOKIE2 (RFC 4555)".into());
        dispatch::fail(sa, ctx, f, true);
        return;
    }
    let (local_behind, remote_behind) = detect(sa, p, sa.local, sa.remote);
    settle(sa, ctx, local_behind, remote_behind);
}

/// Responder: an INFORMATIONAL request. Returns the payloads its answer carries for MOBIKE
/// (NAT detection for an UPDATE_SA_ADDRESSES, COOKIE2 echoed), or `None` when the IKE SA
/// failed.
pub(crate) fn on_request(sa: &mut IkeSa, ctx: &mut Ctx<'_>, p: &[Payload]) -> Option<Vec<Payload>> {
    let mut answer = Vec::new();
    if sa.mobike && find_notify(p, notify::UPDATE_SA_ADDRESSES).is_some() && !sa.initiator {
        // `sa.local`/`sa.remote` already follow the request (dispatch).
        let (local_behind, remote_behind) = detect(sa, p, sa.local, sa.remote);
        let ours = [
            notify_p(
                notify::NAT_DETECTION_SOURCE_IP,
                nat_hash(&sa.spi_i, &sa.spi_r, sa.local),
            ),
            notify_p(
                notify::NAT_DETECTION_DESTINATION_IP,
                nat_hash(&sa.spi_i, &sa.spi_r, sa.remote),
            ),
        ];
        if !settle(sa, ctx, local_behind, remote_behind) {
            return None;
        }
        answer.extend(ours);
    }
    if let Some(c) = find_notify(p, notify::COOKIE2) {
        answer.push(notify_p(notify::COOKIE2, c.data.clone()));
    }
    Some(answer)
}

/// Whether a request is a MOBIKE address update this IKE SA acts on.
pub(crate) fn is_update(sa: &IkeSa, p: &[Payload]) -> bool {
    sa.mobike && !sa.initiator && find_notify(p, notify::UPDATE_SA_ADDRESSES).is_some()
}

/// An authenticated message came from `remote`: a peer behind a NAT whose mapping changed
/// (new address or port) is followed, and the Child SAs' encapsulation moves with it (RFC
/// 7296 §2.23). A MOBIKE update moves the SA itself ([`on_request`]).
pub(crate) fn follow_peer(sa: &mut IkeSa, ctx: &mut Ctx<'_>, remote: SocketAddr, update: bool) {
    if sa.remote == remote {
        return;
    }
    sa.remote = remote;
    if !update && sa.encap && sa.nat.remote_behind && sa.state == IkeState::Established {
        sa.move_children(ctx);
    }
}
