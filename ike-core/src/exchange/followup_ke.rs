//! IKE_FOLLOWUP_KE (RFC 9370 §2.2.4): the additional key exchanges of a CREATE_CHILD_SA that
//! rekeys the IKE SA or a Child SA.
//!
//! ```text
//! CREATE_CHILD_SA  HDR, SK {SA, Ni, KEi, ...}  -->
//!                  <--  HDR, SK {SA, Nr, KEr, N(ADDITIONAL_KEY_EXCHANGE)(link1), ...}
//! IKE_FOLLOWUP_KE  HDR, SK {N(ADDITIONAL_KEY_EXCHANGE)(link1), KEi(1)}  -->
//!                  <--  HDR, SK {KEr(1), N(ADDITIONAL_KEY_EXCHANGE)(link2)}
//! ...              (the last response carries no ADDITIONAL_KEY_EXCHANGE)
//! ```
//!
//! Nothing is created before the last key exchange: then the new IKE SA's SKEYSEED is
//! `prf(SK_d, SK(0) | Ni | Nr | SK(1) | ... | SK(n))` and a Child SA's KEYMAT
//! `prf+(SK_d, SK(0) | Ni | Nr | SK(1) | ... | SK(n))`, the additional secrets after the
//! nonces (found against strongSwan 6); `create_child` finishes the exchange as it
//! does without additional key exchanges. The link data is ours to choose (16 random
//! octets); an IKE_FOLLOWUP_KE with any other is answered STATE_NOT_FOUND.

use crate::api::{Event, Failure, IkeError};
use crate::crypto::{KeGroup, SharedSecret};
use crate::ctx::Ctx;
use crate::ids::{exchange, notify};
use crate::sa::followup::{FollowupFor, FollowupIn, FollowupOut, FollowupThen};
use crate::sa::keys::{ke_finish, ke_start, provider};
use crate::sa::{IkeSa, ReqKind};
use crate::wire::{KePayload, NotifyPayload, Payload};

use super::msg::{find_notify, first_notify_error, ke_payload};
use super::{create_child, dispatch};

/// Length of the ADDITIONAL_KEY_EXCHANGE link data we send.
const LINK_LEN: usize = 16;

/// How long we wait, as responder, for the peer's next IKE_FOLLOWUP_KE.
pub(crate) const FOLLOWUP_WAIT: core::time::Duration = core::time::Duration::from_secs(20);

fn link_notify(data: Vec<u8>) -> Payload {
    Payload::Notify(NotifyPayload::new(notify::ADDITIONAL_KEY_EXCHANGE, data))
}

fn describe(ttype: u8, group: u16) -> String {
    crate::proposal::registry::strongswan_display_name(ttype, group, None)
}

// ---------------------------------------------------------------------------------------
// Initiator
// ---------------------------------------------------------------------------------------

/// Initiator: the CREATE_CHILD_SA answer chose additional key exchanges (`pending`); `shared`
/// is SK(0). Sends the first IKE_FOLLOWUP_KE.
pub(crate) fn start(
    sa: &mut IkeSa,
    ctx: &mut Ctx<'_>,
    what: FollowupFor,
    (ni, nr): (Vec<u8>, Vec<u8>),
    shared: SharedSecret,
    pending: Vec<(u8, u16)>,
    p: &[Payload],
) -> Result<(), Failure> {
    let link = find_notify(p, notify::ADDITIONAL_KEY_EXCHANGE)
        .map(|n| n.data.clone())
        .filter(|d| !d.is_empty())
        .ok_or_else(|| {
            Failure::ProtocolError(
                "CREATE_CHILD_SA answer chose additional key exchanges without \
                 ADDITIONAL_KEY_EXCHANGE"
                    .into(),
            )
        })?;
    sa.followup_out = Some(Box::new(FollowupOut {
        what,
        ni,
        nr,
        shared: vec![shared],
        pending,
        link,
        ke: None,
    }));
    send_next(sa, ctx).map_err(Failure::from)
}

fn send_next(sa: &mut IkeSa, ctx: &mut Ctx<'_>) -> Result<(), IkeError> {
    let f = sa
        .followup_out
        .as_mut()
        .ok_or_else(|| IkeError::state("no additional key exchange"))?;
    let &(_, group) = f
        .pending
        .first()
        .ok_or_else(|| IkeError::state("no additional key exchange pending"))?;
    let (ke, public) = ke_start(ctx, group)?;
    f.ke = Some(ke);
    let payloads = vec![
        link_notify(f.link.clone()),
        Payload::Ke(KePayload {
            group,
            data: public,
        }),
    ];
    sa.start_request(
        ctx,
        ReqKind::FollowupKe,
        exchange::IKE_FOLLOWUP_KE,
        &payloads,
    )
}

/// Initiator: the IKE_FOLLOWUP_KE response. A failure fails this rekey only (the old SAs
/// stay, as with any refused rekey).
pub(crate) fn on_response(sa: &mut IkeSa, ctx: &mut Ctx<'_>, p: &[Payload]) {
    let Some(f) = sa.followup_out.take() else {
        return;
    };
    let old_child = match &f.what {
        FollowupFor::Child { old_spi_in, .. } => Some(*old_spi_in),
        FollowupFor::Ike { .. } => None,
    };
    if let Err(e) = step(sa, ctx, f, p) {
        sa.followup_out = None;
        match old_child {
            Some(old) => create_child::child_rekey_failed(sa, ctx, old, e),
            None => create_child::ike_rekey_failed(sa, ctx, e),
        }
    }
}

fn step(
    sa: &mut IkeSa,
    ctx: &mut Ctx<'_>,
    mut f: Box<FollowupOut>,
    p: &[Payload],
) -> Result<(), Failure> {
    if let Some(n) = first_notify_error(p) {
        return Err(Failure::PeerNotify {
            notify_type: n.notify_type,
            exchange: exchange::IKE_FOLLOWUP_KE,
        });
    }
    let &(ttype, group) = f
        .pending
        .first()
        .ok_or_else(|| IkeError::state("no additional key exchange pending"))?;
    let kep = ke_payload(p).filter(|k| k.group == group).ok_or_else(|| {
        Failure::ProtocolError(format!(
            "IKE_FOLLOWUP_KE response without the KE payload of {}",
            describe(ttype, group)
        ))
    })?;
    let ke =
        f.ke.take()
            .ok_or_else(|| IkeError::state("no key exchange in flight"))?;
    f.shared.push(ke_finish(&ke, &kep.data)?);
    f.pending.remove(0);
    if !f.pending.is_empty() {
        f.link = find_notify(p, notify::ADDITIONAL_KEY_EXCHANGE)
            .map(|n| n.data.clone())
            .filter(|d| !d.is_empty())
            .ok_or_else(|| {
                Failure::ProtocolError(
                    "IKE_FOLLOWUP_KE response without ADDITIONAL_KEY_EXCHANGE for the next one"
                        .into(),
                )
            })?;
        sa.followup_out = Some(f);
        return send_next(sa, ctx).map_err(Failure::from);
    }
    let FollowupOut {
        what,
        ni,
        nr,
        shared,
        ..
    } = *f;
    let (first, rest) = shared
        .split_first()
        .ok_or_else(|| IkeError::state("no shared secret"))?;
    match what {
        FollowupFor::Ike {
            spi_i,
            spi_r,
            chosen,
        } => create_child::finish_own_ike_rekey(
            sa,
            ctx,
            (spi_i, spi_r),
            (&ni, &nr),
            chosen,
            (first, rest),
        ),
        FollowupFor::Child {
            old_spi_in,
            new_spi_in,
            spi_out,
            chosen,
            tsi,
            tsr,
        } => create_child::finish_own_child_rekey(
            sa,
            ctx,
            (old_spi_in, new_spi_in, spi_out),
            (&ni, &nr),
            chosen,
            (tsi, tsr),
            (Some(first), rest),
        ),
    }
}

// ---------------------------------------------------------------------------------------
// Responder
// ---------------------------------------------------------------------------------------

/// Responder: answers the peer's CREATE_CHILD_SA (`out`) with the link for its first
/// IKE_FOLLOWUP_KE and keeps what the exchange creates at its end.
#[allow(clippy::too_many_arguments)]
pub(crate) fn answer_first(
    sa: &mut IkeSa,
    ctx: &mut Ctx<'_>,
    msg_id: u32,
    mut out: Vec<Payload>,
    then: FollowupThen,
    (ni, nr): (Vec<u8>, Vec<u8>),
    shared: SharedSecret,
    pending: Vec<(u8, u16)>,
) -> Result<(), IkeError> {
    let link = ctx.random(LINK_LEN)?;
    out.push(link_notify(link.clone()));
    sa.respond(ctx, exchange::CREATE_CHILD_SA, msg_id, &out)?;
    sa.followup_in = Some(Box::new(FollowupIn {
        then,
        ni,
        nr,
        shared: vec![shared],
        pending,
        link,
        deadline: ctx.now() + FOLLOWUP_WAIT,
    }));
    Ok(())
}

/// Responder: the peer's next IKE_FOLLOWUP_KE did not come in time: what its CREATE_CHILD_SA
/// would have created is dropped (the old SAs stay) and reported.
pub(crate) fn on_timer(sa: &mut IkeSa, ctx: &mut Ctx<'_>) {
    if sa
        .followup_in
        .as_ref()
        .is_none_or(|f| f.deadline > ctx.now())
    {
        return;
    }
    sa.followup_in = None;
    if !sa.shell {
        ctx.event(Event::ExchangeFailed {
            sa: sa.handle,
            failure: Failure::ProtocolError(format!(
                "the peer's rekey stopped before its additional key exchanges were done (no \
                 IKE_FOLLOWUP_KE within {} s); the old SAs stay",
                FOLLOWUP_WAIT.as_secs()
            )),
        });
    }
}

/// Responder: an IKE_FOLLOWUP_KE request.
pub(crate) fn on_request(sa: &mut IkeSa, ctx: &mut Ctx<'_>, msg_id: u32, p: &[Payload]) {
    let reply = |sa: &mut IkeSa, ctx: &mut Ctx<'_>, ty: u16| {
        let n = Payload::Notify(NotifyPayload::new(ty, Vec::new()));
        dispatch::answer(sa, ctx, exchange::IKE_FOLLOWUP_KE, msg_id, &[n]);
    };
    let link = find_notify(p, notify::ADDITIONAL_KEY_EXCHANGE).map(|n| n.data.as_slice());
    let known = sa
        .followup_in
        .as_ref()
        .is_some_and(|f| link.is_some_and(|l| l == f.link.as_slice()));
    let Some(mut f) = sa.followup_in.take().filter(|_| known) else {
        return reply(sa, ctx, notify::STATE_NOT_FOUND);
    };
    let failed = |sa: &mut IkeSa, ctx: &mut Ctx<'_>, detail: String| {
        ctx.event(Event::ExchangeFailed {
            sa: sa.handle,
            failure: Failure::ProtocolError(detail),
        });
    };
    let Some(&(ttype, group)) = f.pending.first() else {
        return reply(sa, ctx, notify::STATE_NOT_FOUND);
    };
    let Some(kep) = ke_payload(p).filter(|k| k.group == group) else {
        failed(
            sa,
            ctx,
            format!(
                "IKE_FOLLOWUP_KE request without the KE payload of {}",
                describe(ttype, group)
            ),
        );
        return reply(sa, ctx, notify::INVALID_SYNTAX);
    };
    let answer = KeGroup::from_iana(group)
        .ok_or_else(|| IkeError::state(format!("unsupported KE group {group}")))
        .and_then(|g| {
            provider()
                .respond_ke(g, &kep.data, ctx.rng())
                .map_err(IkeError::from_peer_ke)
        });
    let (public, shared) = match answer {
        Ok(x) => x,
        Err(e) => {
            let ty = e.notify().unwrap_or(notify::INVALID_SYNTAX);
            failed(sa, ctx, e.to_string());
            return reply(sa, ctx, ty);
        }
    };
    f.shared.push(shared);
    f.pending.remove(0);
    let mut out = vec![Payload::Ke(KePayload {
        group,
        data: public,
    })];
    if !f.pending.is_empty() {
        let Ok(link) = ctx.random(LINK_LEN) else {
            return reply(sa, ctx, notify::TEMPORARY_FAILURE);
        };
        f.link.clone_from(&link);
        f.deadline = ctx.now() + FOLLOWUP_WAIT;
        out.push(link_notify(link));
        if dispatch::answer(sa, ctx, exchange::IKE_FOLLOWUP_KE, msg_id, &out) {
            sa.followup_in = Some(f);
        }
        return;
    }
    if !dispatch::answer(sa, ctx, exchange::IKE_FOLLOWUP_KE, msg_id, &out) {
        return;
    }
    let FollowupIn {
        then,
        ni,
        nr,
        shared,
        ..
    } = *f;
    let Some((first, rest)) = shared.split_first() else {
        return;
    };
    match then {
        FollowupThen::Ike {
            spi_i,
            spi_r,
            chosen,
        } => create_child::finish_peer_ike_rekey(
            sa,
            ctx,
            (spi_i, spi_r),
            (&ni, &nr),
            *chosen,
            (first, rest),
        ),
        FollowupThen::Child { wait, spi_in } => {
            create_child::finish_peer_child_rekey(sa, ctx, *wait, spi_in, (first, rest));
        }
    }
}
