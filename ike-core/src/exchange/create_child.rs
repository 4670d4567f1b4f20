//! CREATE_CHILD_SA (RFC 7296 §1.3): rekeying Child SAs (with optional PFS) and the IKE SA,
//! as initiator and responder, IKE SA lifetime, and collisions (§2.8.1, §2.25).
//!
//! Child SA rekey: the new SAs get the old one's reqid, so the policies stay; the old SAs are
//! deleted when the rekey initiator's Delete is exchanged. When both ends rekey the same
//! Child SA at once, both exchanges complete; the one whose exchange has the lowest nonce
//! deletes the SA it created, the other deletes the old one.
//!
//! IKE SA rekey: the IKE SA keeps its handle and its Child SAs and switches to the new SPIs
//! and keys; a silent "shell" with the old SPIs and keys is left behind to exchange the Delete
//! of the old IKE SA. Simultaneous IKE SA rekeys are both answered and resolved by their
//! nonces (RFC 7296 §2.8.2, [`super::ike_collision`]). With rekeying off (`rekey = false`)
//! we start no rekey (the peer's are answered): the IKE SA ends at its lifetime, a Child SA at
//! its hard kernel expiry.
//!
//! With RFC 9370 additional key exchanges in the chosen proposal, the exchange goes on with
//! IKE_FOLLOWUP_KE ([`super::followup_ke`]), which calls back the `finish_*` functions here
//! with SK(0) and SK(1), ... once the last key exchange is done.

use core::time::Duration;

use crate::api::{DownReason, Event, Failure, IkeError, KernelOp, Mode, Phase, UdpEncap};
use crate::ctx::Ctx;
use crate::ids::{exchange, notify, protocol};
use crate::sa::child_sa::{AcceptedChild, ChildSa};
use crate::sa::followup::{FollowupFor, FollowupThen};
use crate::sa::keys::{ke_finish, ke_start};
use crate::sa::{CcsOut, CcsWait, IkeSa, IkeState, NewIkeSa, ReqKind, SpiWait};
use crate::wire::{KePayload, NoncePayload, NotifyPayload, Payload, TrafficSelector, TsPayload};

use super::ike_sa_init::{new_sa, NONCE_LEN};
use super::intermediate::additional;
use super::msg::{
    find_notify, first_notify_error, ke_payload, narrow_ts, nonce, sa_payload, ts_within,
};
use super::{dispatch, followup_ke, informational, nego};

/// How many INVALID_KE_PAYLOAD retries a rekey gets.
const MAX_KE_RETRIES: u32 = 2;

/// How long the outbound SA of a Child SA the peer rekeyed is kept back at most when the
/// peer's Delete of the old SA does not come (see [`crate::sa::child_sa::HeldOutbound`]).
pub(crate) const HOLD_OUTBOUND_MAX: core::time::Duration = core::time::Duration::from_secs(5);

fn notify_p(ty: u16) -> Payload {
    Payload::Notify(NotifyPayload::new(ty, Vec::new()))
}

fn ts_of(p: &[Payload], initiator: bool) -> Vec<TrafficSelector> {
    p.iter()
        .find_map(|x| match (x, initiator) {
            (Payload::TsI(t), true) | (Payload::TsR(t), false) => Some(t.selectors.clone()),
            _ => None,
        })
        .unwrap_or_default()
}

/// A random delay in `[lo, lo + spread)` milliseconds.
fn jitter(ctx: &mut Ctx<'_>, lo: u64, spread: u64) -> Duration {
    let r = ctx
        .random(4)
        .ok()
        .and_then(|b| <[u8; 4]>::try_from(b.as_slice()).ok())
        .map_or(0, |b| u64::from(u32::from_be_bytes(b)));
    Duration::from_millis(lo + r % spread.max(1))
}

/// Sets the IKE SA's rekey time (90 % of the lifetime, minus up to 5 % jitter so that both
/// ends rarely collide; none when rekeying is off) and its hard end.
pub(crate) fn schedule_ike_lifetime(sa: &mut IkeSa, ctx: &mut Ctx<'_>) {
    let life = sa.profile.ike_lifetime;
    if life.is_zero() {
        sa.ike_rekey_at = None;
        sa.ike_hard_at = None;
        return;
    }
    let ms = u64::try_from(life.as_millis()).unwrap_or(u64::MAX);
    let base = ms / 10 * 9;
    let j = jitter(ctx, 0, ms / 20);
    let at = Duration::from_millis(base).saturating_sub(j);
    sa.ike_rekey_at = sa.profile.rekey.then(|| ctx.now() + at);
    sa.ike_hard_at = Some(ctx.now() + life);
}

/// The UDP encapsulation of new Child SAs.
fn encap_of(sa: &IkeSa) -> Option<UdpEncap> {
    sa.encap.then(|| UdpEncap {
        sport: sa.local_port(),
        dport: sa.remote.port(),
    })
}

/// The Child SA replacing `old`: same name, reqid and mode, new SPIs, algorithms and
/// selectors, current addresses and encapsulation; it does not own the policies yet.
fn successor(
    sa: &IkeSa,
    old: &ChildSa,
    spi_in: u32,
    spi_out: u32,
    proposal: crate::proposal::Proposal,
    local_ts: Vec<TrafficSelector>,
    remote_ts: Vec<TrafficSelector>,
) -> ChildSa {
    ChildSa {
        name: old.name.clone(),
        reqid: old.reqid,
        spi_in,
        spi_out,
        proposal,
        local_ts,
        remote_ts,
        mode: old.mode,
        local: sa.local.ip(),
        remote: sa.remote.ip(),
        encap: encap_of(sa),
        owns_policies: false,
        rekeyed: false,
        deleting: false,
        rekeying: false,
        our_rekey: None,
        peer_rekey: None,
        held_out: None,
    }
}

/// Removes the Child SA at `idx`, handing its policies to a sibling with the same reqid.
pub(crate) fn remove_child(sa: &mut IkeSa, ctx: &mut Ctx<'_>, idx: usize) -> Option<ChildSa> {
    if idx >= sa.children.len() {
        return None;
    }
    let mut c = sa.children.remove(idx);
    sa.rekey_failures.retain(|(s, _)| *s != c.spi_in);
    // A successor whose outbound SA was kept back takes over the traffic before this one goes.
    for s in sa.children.iter_mut().filter(|s| s.reqid == c.reqid) {
        s.release_out(ctx);
    }
    let sibling = sa.children.iter_mut().find(|s| s.reqid == c.reqid);
    let replaced = c.rekeyed || sibling.is_some();
    if let Some(s) = sibling {
        if c.owns_policies {
            s.owns_policies = true;
            c.owns_policies = false;
        }
    }
    dispatch::child_down(sa, ctx, &c, replaced);
    Some(c)
}

/// Queues the deletion of our Child SAs with these inbound SPIs.
fn queue_delete(sa: &mut IkeSa, spis_in: Vec<u32>) {
    for c in sa
        .children
        .iter_mut()
        .filter(|c| spis_in.contains(&c.spi_in))
    {
        c.deleting = true;
    }
    sa.queue.push_back(ReqKind::DeleteChild { spis_in });
}

// ---------------------------------------------------------------------------------------
// Timers and kernel events
// ---------------------------------------------------------------------------------------

/// A Child SA reached its soft lifetime: allocate an SPI, then rekey it (unless rekeying is
/// off: then it runs until its hard lifetime).
pub(crate) fn child_soft_expired(sa: &mut IkeSa, ctx: &mut Ctx<'_>, spi: u32) {
    if sa.state != IkeState::Established || sa.shell || !sa.profile.rekey {
        return;
    }
    let Some(c) = sa
        .children
        .iter_mut()
        .find(|c| c.spi_in == spi || c.spi_out == spi)
    else {
        return;
    };
    if c.rekeying || c.rekeyed || c.deleting {
        return;
    }
    c.rekeying = true;
    let old_spi_in = c.spi_in;
    request_spi(sa, ctx, SpiWait::RekeyChild { old_spi_in });
}

/// A Child SA reached its hard lifetime (the kernel removed the SA): remove it and, unless
/// its Delete is already under way, tell the peer with a Delete of its SPI.
pub(crate) fn child_hard_expired(sa: &mut IkeSa, ctx: &mut Ctx<'_>, spi: u32) {
    let Some(i) = sa
        .children
        .iter()
        .position(|c| c.spi_in == spi || c.spi_out == spi)
    else {
        return;
    };
    let Some(c) = remove_child(sa, ctx, i) else {
        return;
    };
    if !c.deleting && sa.state == IkeState::Established && !sa.shell {
        sa.queue.push_back(ReqKind::DeleteGoneChild {
            spis_in: vec![c.spi_in],
        });
    }
}

fn request_spi(sa: &mut IkeSa, ctx: &mut Ctx<'_>, wait: SpiWait) {
    let request = ctx.next_request();
    ctx.kernel(KernelOp::AllocateSpi {
        request,
        src: sa.remote.ip(),
        dst: sa.local.ip(),
    });
    sa.spi_wait.push((request, wait));
}

/// An SPI for a rekey or a CREATE_CHILD_SA answer arrived.
pub(crate) fn on_spi(sa: &mut IkeSa, ctx: &mut Ctx<'_>, wait: SpiWait, spi: u32) {
    match wait {
        SpiWait::RekeyChild { old_spi_in } => {
            if sa
                .children
                .iter()
                .any(|c| c.spi_in == old_spi_in && !c.rekeyed && !c.deleting)
            {
                sa.queue.push_back(ReqKind::RekeyChild {
                    old_spi_in,
                    new_spi_in: spi,
                });
            }
        }
        SpiWait::Respond => finish_response(sa, ctx, spi),
    }
}

/// An SPI allocation for a rekey or a CREATE_CHILD_SA answer failed.
pub(crate) fn on_spi_failed(sa: &mut IkeSa, ctx: &mut Ctx<'_>, wait: SpiWait) {
    match wait {
        SpiWait::RekeyChild { old_spi_in } => {
            if let Some(c) = sa.children.iter_mut().find(|c| c.spi_in == old_spi_in) {
                c.rekeying = false;
            }
        }
        SpiWait::Respond => {
            if let Some(w) = sa.ccs_wait.take() {
                dispatch::answer(
                    sa,
                    ctx,
                    exchange::CREATE_CHILD_SA,
                    w.msg_id,
                    &[notify_p(notify::TEMPORARY_FAILURE)],
                );
            }
        }
    }
}

/// Timer work: IKE SA rekey and hard lifetime, retries. Returns true if the SA was closed.
pub(crate) fn on_timer(sa: &mut IkeSa, ctx: &mut Ctx<'_>) -> bool {
    if sa.state != IkeState::Established || sa.shell {
        return false;
    }
    if sa.ike_hard_at.is_some_and(|t| t <= ctx.now()) {
        sa.ike_hard_at = None;
        sa.ike_rekey_at = None;
        let f = Failure::IkeLifetimeExpired {
            rekey_disabled: !sa.profile.rekey,
        };
        ctx.event(Event::Failed {
            sa: sa.handle,
            failure: f.clone(),
        });
        informational::close_with(sa, ctx, DownReason::Failed(f));
        return true;
    }
    if sa.ike_rekey_at.is_some_and(|t| t <= ctx.now()) {
        sa.ike_rekey_at = None;
        queue_ike_rekey(sa);
    }
    let now = ctx.now();
    for c in sa
        .children
        .iter_mut()
        .filter(|c| c.held_out.as_ref().is_some_and(|h| h.until <= now))
    {
        c.release_out(ctx);
    }
    let (due, rest): (Vec<_>, Vec<_>) = sa.retry.drain(..).partition(|(t, _)| *t <= now);
    sa.retry = rest;
    for (_, kind) in due {
        match kind {
            ReqKind::RekeyChild { old_spi_in, .. } => {
                // A fresh SPI: the kernel may have dropped the unused one meanwhile.
                if sa
                    .children
                    .iter()
                    .any(|c| c.spi_in == old_spi_in && !c.rekeyed && !c.deleting)
                {
                    request_spi(sa, ctx, SpiWait::RekeyChild { old_spi_in });
                } else if let Some(c) = sa.children.iter_mut().find(|c| c.spi_in == old_spi_in) {
                    c.rekeying = false;
                }
            }
            ReqKind::RekeyIke => queue_ike_rekey(sa),
            k => sa.queue.push_back(k),
        }
    }
    false
}

fn queue_ike_rekey(sa: &mut IkeSa) {
    let busy = sa.queue.contains(&ReqKind::RekeyIke)
        || sa
            .pending
            .as_ref()
            .is_some_and(|p| p.kind == ReqKind::RekeyIke);
    if !busy {
        sa.queue.push_back(ReqKind::RekeyIke);
    }
}

/// Starts an IKE SA rekey now (the driver asked for it).
pub(crate) fn rekey_ike_now(sa: &mut IkeSa) {
    if sa.state == IkeState::Established && !sa.shell {
        queue_ike_rekey(sa);
    }
}

/// Whether Child SA work is under way (an IKE SA rekey must wait for it).
pub(crate) fn child_work_pending(sa: &IkeSa) -> bool {
    sa.ccs_wait.is_some() || !sa.spi_wait.is_empty()
}

// ---------------------------------------------------------------------------------------
// Initiator
// ---------------------------------------------------------------------------------------

/// Sends the CREATE_CHILD_SA request rekeying a Child SA. Returns whether it was sent.
pub(crate) fn start_child_rekey(
    sa: &mut IkeSa,
    ctx: &mut Ctx<'_>,
    old_spi_in: u32,
    new_spi_in: u32,
) -> Result<bool, IkeError> {
    let Some(c) = sa
        .children
        .iter()
        .find(|c| c.spi_in == old_spi_in && !c.deleting)
    else {
        return Ok(false);
    };
    let (local_ts, remote_ts, mode) = (c.local_ts.clone(), c.remote_ts.clone(), c.mode);
    let ni = ctx.random(NONCE_LEN)?;
    let group = sa
        .child_ke_hint
        .filter(|g| nego::allows_ke(&sa.profile.esp_proposals, *g))
        .or_else(|| nego::first_ke(&sa.profile.esp_proposals));
    let mut p = vec![Payload::Notify(NotifyPayload {
        protocol_id: protocol::ESP,
        spi: old_spi_in.to_be_bytes().to_vec(),
        notify_type: notify::REKEY_SA,
        data: Vec::new(),
    })];
    if mode == Mode::Transport {
        p.push(notify_p(notify::USE_TRANSPORT_MODE));
    }
    p.push(Payload::Sa(nego::to_wire(
        &sa.profile.esp_proposals,
        &new_spi_in.to_be_bytes(),
        false,
    )));
    p.push(Payload::Nonce(NoncePayload { data: ni.clone() }));
    let mut ke = None;
    if let Some(g) = group {
        let (k, public) = ke_start(ctx, g)?;
        p.push(Payload::Ke(KePayload {
            group: g,
            data: public,
        }));
        ke = Some(k);
    }
    p.push(Payload::TsI(TsPayload {
        selectors: local_ts,
    }));
    p.push(Payload::TsR(TsPayload {
        selectors: remote_ts,
    }));
    sa.ccs_out = Some(CcsOut::Child {
        old_spi_in,
        new_spi_in,
        ni,
        ke,
        ke_group: group.unwrap_or(0),
    });
    sa.start_request(
        ctx,
        ReqKind::RekeyChild {
            old_spi_in,
            new_spi_in,
        },
        exchange::CREATE_CHILD_SA,
        &p,
    )?;
    Ok(true)
}

/// Sends the CREATE_CHILD_SA request rekeying the IKE SA. Returns whether it was sent.
pub(crate) fn start_ike_rekey(sa: &mut IkeSa, ctx: &mut Ctx<'_>) -> Result<bool, IkeError> {
    let current = sa.chosen.as_ref().and_then(|c| c.ke.first().copied());
    let group = sa
        .ike_ke_hint
        .or(current)
        .filter(|g| nego::allows_ke(&sa.profile.ike_proposals, *g))
        .or_else(|| nego::first_ke(&sa.profile.ike_proposals))
        .ok_or_else(|| IkeError::state("no KE group for the IKE SA rekey"))?;
    let new_spi = ctx.random_spi8()?;
    let ni = ctx.random(NONCE_LEN)?;
    let (ke, public) = ke_start(ctx, group)?;
    let p = vec![
        Payload::Sa(nego::to_wire(&sa.profile.ike_proposals, &new_spi, false)),
        Payload::Nonce(NoncePayload { data: ni.clone() }),
        Payload::Ke(KePayload {
            group,
            data: public,
        }),
    ];
    sa.ccs_out = Some(CcsOut::Ike {
        new_spi,
        ni,
        ke,
        ke_group: group,
    });
    sa.start_request(ctx, ReqKind::RekeyIke, exchange::CREATE_CHILD_SA, &p)?;
    Ok(true)
}

/// The response to our CREATE_CHILD_SA request. A refused or failed rekey is not fatal: the
/// old SAs stay, [`Event::ExchangeFailed`] reports it, and the rekey is retried later.
pub(crate) fn on_response(sa: &mut IkeSa, ctx: &mut Ctx<'_>, kind: &ReqKind, p: &[Payload]) {
    match sa.ccs_out.take() {
        Some(CcsOut::Child {
            old_spi_in,
            new_spi_in,
            ni,
            ke,
            ke_group,
        }) => {
            if let Err(f) = child_response(
                sa,
                ctx,
                (old_spi_in, new_spi_in),
                &ni,
                ke.as_ref(),
                ke_group,
                p,
                kind,
            ) {
                child_rekey_failed(sa, ctx, old_spi_in, f);
            }
        }
        Some(CcsOut::Ike {
            new_spi,
            ni,
            ke,
            ke_group,
        }) => {
            if let Err(f) = ike_response(sa, ctx, new_spi, &ni, &ke, ke_group, p) {
                ike_rekey_failed(sa, ctx, f);
            }
        }
        None => {}
    }
}

/// How often a refused rekey is tried again before the SA is left to expire.
pub(crate) const MAX_REKEY_RETRIES: u32 = 3;

/// The wait before retrying a refused rekey of an SA with this lifetime: 2.5 % of it (the
/// rekey starts at 85-90 %, so every retry fits before the hard limit), 5 s to 5 min.
fn rekey_retry_delay(lifetime: Duration) -> Duration {
    if lifetime.is_zero() {
        return Duration::from_secs(60);
    }
    (lifetime / 40).clamp(Duration::from_secs(5), Duration::from_secs(300))
}

/// Our rekey of the Child SA with inbound SPI `old_spi_in` failed: report it (not fatal),
/// keep the old Child SA and retry later, at most [`MAX_REKEY_RETRIES`] times; after that the
/// Child SA expires at its hard lifetime (RFC 7296 §2.8).
pub(crate) fn child_rekey_failed(sa: &mut IkeSa, ctx: &mut Ctx<'_>, old_spi_in: u32, f: Failure) {
    ctx.event(Event::ExchangeFailed {
        sa: sa.handle,
        failure: f,
    });
    sa.child_ke_hint = None;
    sa.init.invalid_ke_tries = 0;
    let Some(c) = sa.children.iter_mut().find(|c| c.spi_in == old_spi_in) else {
        return;
    };
    let failures = match sa.rekey_failures.iter_mut().find(|(s, _)| *s == old_spi_in) {
        Some((_, n)) => {
            *n = n.saturating_add(1);
            *n
        }
        None => {
            sa.rekey_failures.push((old_spi_in, 1));
            1
        }
    };
    if failures > MAX_REKEY_RETRIES || c.rekeyed || c.deleting {
        c.rekeying = false;
        return;
    }
    // Still "rekeying": the retry below is the only rekey of this Child SA until then.
    c.rekeying = true;
    let at = ctx.now() + rekey_retry_delay(sa.profile.child_lifetime);
    sa.retry.push((
        at,
        ReqKind::RekeyChild {
            old_spi_in,
            new_spi_in: 0,
        },
    ));
}

/// Our IKE SA rekey failed: report it (not fatal); the IKE SA stays and the rekey is retried
/// while that fits before its hard lifetime, at most [`MAX_REKEY_RETRIES`] times.
pub(crate) fn ike_rekey_failed(sa: &mut IkeSa, ctx: &mut Ctx<'_>, f: Failure) {
    ctx.event(Event::ExchangeFailed {
        sa: sa.handle,
        failure: f,
    });
    sa.ike_ke_hint = None;
    sa.init.invalid_ke_tries = 0;
    sa.ike_rekey_failures = sa.ike_rekey_failures.saturating_add(1);
    if sa.ike_rekey_failures > MAX_REKEY_RETRIES {
        return;
    }
    let at = ctx.now() + rekey_retry_delay(sa.profile.ike_lifetime);
    if sa.ike_hard_at.is_none_or(|hard| at < hard) {
        sa.ike_rekey_at = Some(at);
    }
}

fn retry_later(sa: &mut IkeSa, ctx: &mut Ctx<'_>, kind: ReqKind) {
    let at = ctx.now() + jitter(ctx, 2_000, 8_000);
    sa.retry.push((at, kind));
}

/// Handles an error notify in a CREATE_CHILD_SA response: `Ok(true)` when it was dealt with
/// (a retry is scheduled or nothing is to be done), `Ok(false)` when there is none.
fn response_error(
    sa: &mut IkeSa,
    ctx: &mut Ctx<'_>,
    phase: Phase,
    kind: &ReqKind,
    ke_group: u16,
    p: &[Payload],
) -> Result<bool, Failure> {
    let Some(n) = first_notify_error(p) else {
        return Ok(false);
    };
    let ours = match phase {
        Phase::Ike => &sa.profile.ike_proposals,
        Phase::Child => &sa.profile.esp_proposals,
    };
    match n.notify_type {
        notify::INVALID_KE_PAYLOAD => match ke_retry_group(p) {
            Some(g)
                if g != ke_group
                    && sa.init.invalid_ke_tries < MAX_KE_RETRIES
                    && nego::allows_ke(ours, g) =>
            {
                sa.init.invalid_ke_tries += 1;
                match phase {
                    Phase::Ike => sa.ike_ke_hint = Some(g),
                    Phase::Child => sa.child_ke_hint = Some(g),
                }
                sa.queue.push_front(kind.clone());
                Ok(true)
            }
            g => Err(Failure::InvalidKe {
                requested: g.unwrap_or(0),
            }),
        },
        notify::TEMPORARY_FAILURE => {
            retry_later(sa, ctx, kind.clone());
            Ok(true)
        }
        notify::CHILD_SA_NOT_FOUND => {
            if let ReqKind::RekeyChild { old_spi_in, .. } = kind {
                if let Some(c) = sa.children.iter_mut().find(|c| c.spi_in == *old_spi_in) {
                    c.rekeying = false;
                }
            }
            Ok(true)
        }
        notify::NO_PROPOSAL_CHOSEN => Err(Failure::NoProposalChosen {
            phase,
            ours: nego::describe(ours),
            theirs: None,
        }),
        notify::TS_UNACCEPTABLE => Err(Failure::TsUnacceptable),
        t => Err(Failure::PeerNotify {
            notify_type: t,
            exchange: exchange::CREATE_CHILD_SA,
        }),
    }
}

fn ke_retry_group(p: &[Payload]) -> Option<u16> {
    find_notify(p, notify::INVALID_KE_PAYLOAD)
        .and_then(|n| n.data.get(..2))
        .and_then(|b| <[u8; 2]>::try_from(b).ok())
        .map(u16::from_be_bytes)
}

#[allow(clippy::too_many_arguments)]
fn child_response(
    sa: &mut IkeSa,
    ctx: &mut Ctx<'_>,
    (old_spi_in, new_spi_in): (u32, u32),
    ni: &[u8],
    ke: Option<&crate::sa::keys::KePrivate>,
    ke_group: u16,
    p: &[Payload],
    kind: &ReqKind,
) -> Result<(), Failure> {
    if response_error(sa, ctx, Phase::Child, kind, ke_group, p)? {
        return Ok(());
    }
    let perr = |s: &str| Failure::ProtocolError(s.into());
    let Some(old_idx) = sa.children.iter().position(|c| c.spi_in == old_spi_in) else {
        // The old Child SA went away meanwhile (hard expiry); nothing to replace.
        return Ok(());
    };
    let sa_p = sa_payload(p).ok_or_else(|| perr("CREATE_CHILD_SA response without SA"))?;
    let (chosen, spi) = nego::verify(&sa.profile.esp_proposals, sa_p, false)
        .ok_or_else(|| perr("responder chose an invalid ESP proposal"))?;
    let spi_out = <[u8; 4]>::try_from(spi.as_slice())
        .map(u32::from_be_bytes)
        .map_err(|_| perr("bad ESP SPI"))?;
    let nr = nonce(p).ok_or_else(|| perr("bad nonce"))?.to_vec();
    let shared = match chosen.ke.first() {
        Some(&g) => {
            let kep = ke_payload(p).ok_or_else(|| perr("no KE payload"))?;
            let ke = ke.ok_or_else(|| perr("responder chose PFS we did not offer"))?;
            if g != ke_group || kep.group != g {
                return Err(perr("KE group mismatch"));
            }
            Some(ke_finish(ke, &kep.data)?)
        }
        None => None,
    };
    let tsi = ts_of(p, true);
    let tsr = ts_of(p, false);
    let old = sa
        .children
        .get(old_idx)
        .ok_or_else(|| IkeError::state("child"))?;
    if !ts_within(&old.local_ts, &old.remote_ts, &tsi, &tsr) {
        return Err(Failure::TsUnacceptable);
    }
    let mode = if find_notify(p, notify::USE_TRANSPORT_MODE).is_some() {
        Mode::Transport
    } else {
        Mode::Tunnel
    };
    if mode != old.mode {
        return Err(perr("peer changed the IPsec mode in a rekey"));
    }
    let pending = additional(&chosen);
    if !pending.is_empty() {
        let shared = shared.ok_or_else(|| perr("additional key exchanges without PFS"))?;
        let what = FollowupFor::Child {
            old_spi_in,
            new_spi_in,
            spi_out,
            chosen,
            tsi,
            tsr,
        };
        return followup_ke::start(sa, ctx, what, (ni.to_vec(), nr), shared, pending, p);
    }
    finish_own_child_rekey(
        sa,
        ctx,
        (old_spi_in, new_spi_in, spi_out),
        (ni, &nr),
        chosen,
        (tsi, tsr),
        (shared.as_ref(), &[]),
    )
}

/// Initiator: installs the Child SA our rekey created and deletes the old one (or the new
/// one, when a collision made it redundant).
pub(crate) fn finish_own_child_rekey(
    sa: &mut IkeSa,
    ctx: &mut Ctx<'_>,
    (old_spi_in, new_spi_in, spi_out): (u32, u32, u32),
    (ni, nr): (&[u8], &[u8]),
    chosen: crate::proposal::Proposal,
    (tsi, tsr): (Vec<TrafficSelector>, Vec<TrafficSelector>),
    (shared, additional): (
        Option<&crate::crypto::SharedSecret>,
        &[crate::crypto::SharedSecret],
    ),
) -> Result<(), Failure> {
    let Some(old_idx) = sa.children.iter().position(|c| c.spi_in == old_spi_in) else {
        // The old Child SA went away meanwhile (hard expiry); nothing to replace.
        return Ok(());
    };
    let old = sa
        .children
        .get(old_idx)
        .ok_or_else(|| IkeError::state("child"))?;
    let keys = sa.keys.as_ref().ok_or_else(|| IkeError::state("no keys"))?;
    let mut ck = keys.child_keys_additional(&chosen, shared, ni, nr, additional)?;
    ck.initiator = true;
    sa.init.invalid_ke_tries = 0;
    let my_min = ni.min(nr).to_vec();
    let mut new = successor(sa, old, new_spi_in, spi_out, chosen, tsi, tsr);
    let esn = new.proposal.esn.first() == Some(&crate::ids::esn::YES);
    new.install(ctx, &ck, &sa.profile.child_limits(), esn, false);
    let old = sa
        .children
        .get_mut(old_idx)
        .ok_or_else(|| IkeError::state("child"))?;
    if old.owns_policies {
        old.owns_policies = false;
        new.owns_policies = true;
    }
    old.rekeyed = true;
    old.rekeying = false;
    old.our_rekey = Some((my_min.clone(), new_spi_in));
    let peer_rekey = old.peer_rekey.clone();
    ctx.event(new.up_event(sa.handle));
    sa.children.push(new);
    match peer_rekey {
        // Collision: the exchange with the lowest nonce created a redundant SA, which its
        // initiator deletes; the winner's initiator deletes the old SA.
        Some((peer_min, _)) if my_min < peer_min => {
            if let Some(c) = sa.children.iter_mut().find(|c| c.spi_in == new_spi_in) {
                c.rekeyed = true;
            }
            queue_delete(sa, vec![new_spi_in]);
        }
        _ => queue_delete(sa, vec![old_spi_in]),
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn ike_response(
    sa: &mut IkeSa,
    ctx: &mut Ctx<'_>,
    new_spi: [u8; 8],
    ni: &[u8],
    ke: &crate::sa::keys::KePrivate,
    ke_group: u16,
    p: &[Payload],
) -> Result<(), Failure> {
    if sa.peer_ike_rekey.is_some() {
        // A collision (RFC 7296 §2.8.2): the nonces decide which new IKE SA stays.
        let ours = own_rekey_result(sa, new_spi, ni, ke, ke_group, p);
        super::ike_collision::own_rekey_answered(sa, ctx, ours.ok());
        return Ok(());
    }
    if response_error(sa, ctx, Phase::Ike, &ReqKind::RekeyIke, ke_group, p)? {
        return Ok(());
    }
    let (chosen, spi_r, nr, shared) = own_rekey_answer(sa, ni, ke, ke_group, p)?;
    let pending = additional(&chosen);
    if !pending.is_empty() {
        let what = FollowupFor::Ike {
            spi_i: new_spi,
            spi_r,
            chosen,
        };
        return followup_ke::start(sa, ctx, what, (ni.to_vec(), nr), shared, pending, p);
    }
    finish_own_ike_rekey(sa, ctx, (new_spi, spi_r), (ni, &nr), chosen, (&shared, &[]))
}

/// Initiator: switches to the IKE SA our rekey created and deletes the old one.
pub(crate) fn finish_own_ike_rekey(
    sa: &mut IkeSa,
    ctx: &mut Ctx<'_>,
    (spi_i, spi_r): ([u8; 8], [u8; 8]),
    (ni, nr): (&[u8], &[u8]),
    chosen: crate::proposal::Proposal,
    shared: (&crate::crypto::SharedSecret, &[crate::crypto::SharedSecret]),
) -> Result<(), Failure> {
    let new = new_ike_sa(sa, (spi_i, spi_r), true, (ni, nr), chosen, shared)?;
    sa.init.invalid_ke_tries = 0;
    sa.ike_ke_hint = None;
    let mut shell = switch_ike_sa(sa, ctx, new, false);
    informational::start(&mut shell, ctx, ReqKind::DeleteIke);
    shell.state = IkeState::Deleting;
    sa.spawned.push(shell);
    Ok(())
}

/// The new IKE SA our rekey request negotiated, from the peer's answer (a collision: its
/// additional key exchanges are not run).
fn own_rekey_result(
    sa: &IkeSa,
    new_spi: [u8; 8],
    ni: &[u8],
    ke: &crate::sa::keys::KePrivate,
    ke_group: u16,
    p: &[Payload],
) -> Result<NewIkeSa, Failure> {
    let (chosen, spi_r, nr, shared) = own_rekey_answer(sa, ni, ke, ke_group, p)?;
    if !additional(&chosen).is_empty() {
        return Err(Failure::ProtocolError(
            "IKE SA rekey collision with additional key exchanges".into(),
        ));
    }
    new_ike_sa(
        sa,
        (new_spi, spi_r),
        true,
        (ni, &nr),
        chosen,
        (&shared, &[]),
    )
}

/// A new IKE SA from a rekey's SPIs, nonces and SK(0) | SK(1) | ... (RFC 7296 §2.18, RFC 9370).
fn new_ike_sa(
    sa: &IkeSa,
    (spi_i, spi_r): ([u8; 8], [u8; 8]),
    initiator: bool,
    (ni, nr): (&[u8], &[u8]),
    chosen: crate::proposal::Proposal,
    shared: (&crate::crypto::SharedSecret, &[crate::crypto::SharedSecret]),
) -> Result<NewIkeSa, Failure> {
    let keys = sa
        .keys
        .as_ref()
        .ok_or_else(|| IkeError::state("no keys"))?
        .rekeyed_additional(&chosen, shared, ni, nr, &spi_i, &spi_r)?;
    Ok(NewIkeSa {
        spi_i,
        spi_r,
        initiator,
        keys,
        chosen,
        min_nonce: ni.min(nr).to_vec(),
    })
}

/// The peer's answer to our IKE SA rekey: the chosen proposal, its SPI, its nonce and SK(0).
fn own_rekey_answer(
    sa: &IkeSa,
    ni: &[u8],
    ke: &crate::sa::keys::KePrivate,
    ke_group: u16,
    p: &[Payload],
) -> Result<
    (
        crate::proposal::Proposal,
        [u8; 8],
        Vec<u8>,
        crate::crypto::SharedSecret,
    ),
    Failure,
> {
    let _ = ni;
    let perr = |s: &str| Failure::ProtocolError(s.into());
    if let Some(n) = first_notify_error(p) {
        return Err(Failure::PeerNotify {
            notify_type: n.notify_type,
            exchange: exchange::CREATE_CHILD_SA,
        });
    }
    let sa_p = sa_payload(p).ok_or_else(|| perr("IKE SA rekey response without SA"))?;
    let (chosen, spi) = nego::verify(&sa.profile.ike_proposals, sa_p, false)
        .ok_or_else(|| perr("responder chose an invalid IKE proposal"))?;
    let spi_r = <[u8; 8]>::try_from(spi.as_slice()).map_err(|_| perr("bad IKE SPI"))?;
    if spi_r == [0; 8] {
        return Err(perr("zero IKE SPI"));
    }
    let kep = ke_payload(p).ok_or_else(|| perr("no KE payload"))?;
    if chosen.ke.first() != Some(&ke_group) || kep.group != ke_group {
        return Err(perr("KE group mismatch"));
    }
    let nr = nonce(p).ok_or_else(|| perr("bad nonce"))?.to_vec();
    let shared = ke_finish(ke, &kep.data)?;
    Ok((chosen, spi_r, nr, shared))
}

/// A silent shell of `sa`'s peer and addresses with the given IKE SA's SPIs and keys, kept
/// for a minute at most to exchange that IKE SA's Delete (message IDs start at 0).
pub(crate) fn shell_of(sa: &IkeSa, ctx: &Ctx<'_>, ike: NewIkeSa) -> IkeSa {
    let mut shell = bare_shell(sa, ctx, ike.initiator);
    shell.spi_i = ike.spi_i;
    shell.spi_r = ike.spi_r;
    shell.keys = Some(ike.keys);
    shell.chosen = Some(ike.chosen);
    shell
}

fn bare_shell(sa: &IkeSa, ctx: &Ctx<'_>, initiator: bool) -> IkeSa {
    let mut shell = new_sa(
        sa.handle,
        initiator,
        sa.profile.clone(),
        sa.local,
        sa.remote,
        ctx.now(),
    );
    shell.state = IkeState::Established;
    shell.shell = true;
    shell.up_reported = true;
    shell.nat = sa.nat;
    shell.encap = sa.encap;
    shell.floated = sa.floated;
    shell.mobike = sa.mobike;
    shell.peer_frag = sa.peer_frag;
    shell.remote_id = sa.remote_id.clone();
    shell.expire = Some(ctx.now() + Duration::from_secs(60));
    shell
}

/// Moves `sa` to the new IKE SA (SPIs, keys, message IDs); returns the old one as a silent
/// shell holding the old SPIs, keys, message IDs and outstanding request. Rekeys of the IKE
/// SA still waiting to start are dropped: it was just rekeyed.
pub(crate) fn switch_ike_sa(
    sa: &mut IkeSa,
    ctx: &mut Ctx<'_>,
    new: NewIkeSa,
    collision: bool,
) -> IkeSa {
    let mut shell = bare_shell(sa, ctx, sa.initiator);
    shell.spi_i = sa.spi_i;
    shell.spi_r = sa.spi_r;
    shell.keys = sa.keys.take();
    shell.chosen = sa.chosen.clone();
    shell.next_msg_id = sa.next_msg_id;
    shell.peer_next = sa.peer_next;
    shell.cached = sa.cached.take();
    shell.pending = sa.pending.take();
    sa.initiator = new.initiator;
    sa.spi_i = new.spi_i;
    sa.spi_r = new.spi_r;
    sa.keys = Some(new.keys);
    sa.chosen = Some(new.chosen);
    sa.next_msg_id = 0;
    sa.peer_next = 0;
    sa.reassembly = Default::default();
    sa.last_rx = ctx.now();
    sa.ike_rekey_failures = 0;
    sa.ccs_out = None;
    sa.peer_ike_rekey = None;
    sa.queue.retain(|k| *k != ReqKind::RekeyIke);
    sa.retry.retain(|(_, k)| *k != ReqKind::RekeyIke);
    schedule_ike_lifetime(sa, ctx);
    ctx.event(Event::IkeSaRekeyed {
        sa: sa.handle,
        spi_i: sa.spi_i,
        spi_r: sa.spi_r,
        initiator: sa.initiator,
        collision,
    });
    shell
}

// ---------------------------------------------------------------------------------------
// Responder
// ---------------------------------------------------------------------------------------

/// The peer's CREATE_CHILD_SA request (the IKE SA is authenticated: dispatch checks it).
pub(crate) fn on_request(sa: &mut IkeSa, ctx: &mut Ctx<'_>, msg_id: u32, p: &[Payload]) {
    let reply = |sa: &mut IkeSa, ctx: &mut Ctx<'_>, ty: u16| {
        dispatch::answer(sa, ctx, exchange::CREATE_CHILD_SA, msg_id, &[notify_p(ty)]);
    };
    // The peer's fault is answered with its notify; ours is reported as what it is and
    // answered with TEMPORARY_FAILURE (the peer may try again later).
    let refuse = |sa: &mut IkeSa, ctx: &mut Ctx<'_>, e: IkeError| match e.notify() {
        Some(ty) => reply(sa, ctx, ty),
        None => {
            ctx.event(Event::ExchangeFailed {
                sa: sa.handle,
                failure: e.into(),
            });
            reply(sa, ctx, notify::TEMPORARY_FAILURE);
        }
    };
    if sa.shell || sa.state != IkeState::Established {
        return reply(sa, ctx, notify::TEMPORARY_FAILURE);
    }
    let Some(sa_p) = sa_payload(p) else {
        return reply(sa, ctx, notify::INVALID_SYNTAX);
    };
    let is_ike = sa_p
        .proposals
        .first()
        .is_some_and(|x| x.protocol_id == protocol::IKE);
    if is_ike {
        if let Err(e) = ike_request(sa, ctx, msg_id, p) {
            refuse(sa, ctx, e);
        }
        return;
    }
    let Some(rekey) = find_notify(p, notify::REKEY_SA) else {
        // Additional Child SAs are not offered as responder.
        ctx.event(Event::ExchangeFailed {
            sa: sa.handle,
            failure: Failure::ProtocolError(
                "refused the peer's request for an additional Child SA (NO_ADDITIONAL_SAS)".into(),
            ),
        });
        return reply(sa, ctx, notify::NO_ADDITIONAL_SAS);
    };
    if let Err(e) = child_request(sa, ctx, msg_id, p, rekey) {
        refuse(sa, ctx, e);
    }
}

/// Responder: chooses among the offered IKE or ESP proposals (preferring the KE payload's
/// group); reports (not fatal: the SAs stay) and returns NO_PROPOSAL_CHOSEN when nothing fits.
fn select(
    sa: &IkeSa,
    ctx: &mut Ctx<'_>,
    phase: Phase,
    p: &[Payload],
) -> Result<(u8, crate::proposal::Proposal, Vec<u8>), IkeError> {
    let sa_p = sa_payload(p).ok_or_else(|| IkeError::syntax("no SA payload"))?;
    let ours = match phase {
        Phase::Ike => &sa.profile.ike_proposals,
        Phase::Child => &sa.profile.esp_proposals,
    };
    if let Some(x) = nego::select(ours, sa_p, false, ke_payload(p).map(|k| k.group)) {
        return Ok(x);
    }
    ctx.event(Event::ExchangeFailed {
        sa: sa.handle,
        failure: Failure::NoProposalChosen {
            phase,
            ours: nego::describe(ours),
            theirs: Some(nego::describe_wire(sa_p)),
        },
    });
    Err(IkeError::refused(
        notify::NO_PROPOSAL_CHOSEN,
        "no acceptable proposal",
    ))
}

fn child_request(
    sa: &mut IkeSa,
    ctx: &mut Ctx<'_>,
    msg_id: u32,
    p: &[Payload],
    rekey: &NotifyPayload,
) -> Result<(), IkeError> {
    let not_found = || IkeError::refused(notify::CHILD_SA_NOT_FOUND, "no such Child SA");
    if rekey.protocol_id != protocol::ESP {
        return Err(not_found());
    }
    let their_spi = <[u8; 4]>::try_from(rekey.spi.as_slice())
        .map(u32::from_be_bytes)
        .map_err(|_| IkeError::syntax("bad REKEY_SA SPI"))?;
    let old = sa
        .children
        .iter()
        .find(|c| c.spi_out == their_spi)
        .ok_or_else(not_found)?;
    let ike_rekeying = sa
        .pending
        .as_ref()
        .is_some_and(|q| q.kind == ReqKind::RekeyIke);
    if old.deleting
        || old.peer_rekey.is_some()
        || sa.ccs_wait.is_some()
        || ike_rekeying
        || sa.followup_in.is_some()
        || sa.followup_out.is_some()
    {
        return Err(busy());
    }
    let (num, chosen, spi) = select(sa, ctx, Phase::Child, p)?;
    let peer_spi = <[u8; 4]>::try_from(spi.as_slice())
        .map(u32::from_be_bytes)
        .map_err(|_| IkeError::syntax("bad ESP SPI"))?;
    let ni = nonce(p)
        .ok_or_else(|| IkeError::syntax("bad nonce"))?
        .to_vec();
    let tsi = narrow_ts(&ts_of(p, true), &old.remote_ts);
    let tsr = narrow_ts(&ts_of(p, false), &old.local_ts);
    if tsi.is_empty() || tsr.is_empty() {
        ctx.event(Event::ExchangeFailed {
            sa: sa.handle,
            failure: Failure::TsUnacceptable,
        });
        return Err(IkeError::refused(
            notify::TS_UNACCEPTABLE,
            "traffic selectors outside the Child SA's",
        ));
    }
    let mode = old.mode;
    let old_spi_in = old.spi_in;
    let nr = ctx.random(NONCE_LEN)?;
    let (shared, ke_public) = match chosen.ke.first() {
        Some(&g) => {
            let kep = ke_payload(p).filter(|k| k.group == g);
            let Some(kep) = kep else {
                let data = g.to_be_bytes().to_vec();
                let n = Payload::Notify(NotifyPayload::new(notify::INVALID_KE_PAYLOAD, data));
                dispatch::answer(sa, ctx, exchange::CREATE_CHILD_SA, msg_id, &[n]);
                return Ok(());
            };
            let (ke, public) = ke_start(ctx, g)?;
            let shared = ke_finish(&ke, &kep.data)?;
            (Some(shared), Some((g, public)))
        }
        None => (None, None),
    };
    let keys = sa.keys.as_ref().ok_or_else(|| IkeError::state("no keys"))?;
    let mut ck = keys.child_keys(&chosen, shared.as_ref(), &ni, &nr)?;
    ck.initiator = false;
    let pending = additional(&chosen);
    let addke = if pending.is_empty() {
        None
    } else {
        let shared = shared.ok_or_else(|| {
            IkeError::refused(
                notify::NO_PROPOSAL_CHOSEN,
                "additional key exchanges without PFS",
            )
        })?;
        Some((pending, shared))
    };
    request_spi(sa, ctx, SpiWait::Respond);
    sa.ccs_wait = Some(CcsWait {
        msg_id,
        old_spi_in,
        accepted: AcceptedChild {
            proposal: chosen,
            proposal_num: num,
            peer_spi,
            tsi,
            tsr,
            mode,
        },
        ni,
        nr,
        ke_public,
        keys: ck,
        addke,
    });
    Ok(())
}

/// Our SPI for a CREATE_CHILD_SA answer arrived: answer and install.
fn finish_response(sa: &mut IkeSa, ctx: &mut Ctx<'_>, spi_in: u32) {
    let Some(mut w) = sa.ccs_wait.take() else {
        return;
    };
    if !sa.children.iter().any(|c| c.spi_in == w.old_spi_in) {
        dispatch::answer(
            sa,
            ctx,
            exchange::CREATE_CHILD_SA,
            w.msg_id,
            &[notify_p(notify::CHILD_SA_NOT_FOUND)],
        );
        return;
    }
    let acc = &w.accepted;
    let mut out = Vec::new();
    if acc.mode == Mode::Transport {
        out.push(notify_p(notify::USE_TRANSPORT_MODE));
    }
    out.push(Payload::Sa(nego::chosen_to_wire(
        &acc.proposal,
        acc.proposal_num,
        &spi_in.to_be_bytes(),
    )));
    out.push(Payload::Nonce(NoncePayload { data: w.nr.clone() }));
    if let Some((group, data)) = w.ke_public.clone() {
        out.push(Payload::Ke(KePayload { group, data }));
    }
    out.push(Payload::TsI(TsPayload {
        selectors: acc.tsi.clone(),
    }));
    out.push(Payload::TsR(TsPayload {
        selectors: acc.tsr.clone(),
    }));
    if let Some((pending, shared)) = w.addke.take() {
        let (msg_id, nonces) = (w.msg_id, (w.ni.clone(), w.nr.clone()));
        let then = FollowupThen::Child {
            wait: Box::new(w),
            spi_in,
        };
        let r = followup_ke::answer_first(sa, ctx, msg_id, out, then, nonces, shared, pending);
        if let Err(e) = r {
            ctx.event(Event::ExchangeFailed {
                sa: sa.handle,
                failure: e.context("cannot answer the peer's request").into(),
            });
        }
        return;
    }
    if !dispatch::answer(sa, ctx, exchange::CREATE_CHILD_SA, w.msg_id, &out) {
        return;
    }
    install_answered(sa, ctx, w, spi_in);
}

/// Responder: the last IKE_FOLLOWUP_KE of the peer's Child SA rekey was answered: its keys
/// from SK(0) | SK(1) | ..., then installed as without additional key exchanges.
pub(crate) fn finish_peer_child_rekey(
    sa: &mut IkeSa,
    ctx: &mut Ctx<'_>,
    mut w: CcsWait,
    spi_in: u32,
    (shared, additional): (&crate::crypto::SharedSecret, &[crate::crypto::SharedSecret]),
) {
    let keys = sa.keys.as_ref().map(|k| {
        k.child_keys_additional(&w.accepted.proposal, Some(shared), &w.ni, &w.nr, additional)
    });
    match keys {
        Some(Ok(mut ck)) => {
            ck.initiator = false;
            w.keys = ck;
            install_answered(sa, ctx, w, spi_in);
        }
        Some(Err(e)) => ctx.event(Event::ExchangeFailed {
            sa: sa.handle,
            failure: e.into(),
        }),
        None => {}
    }
}

/// Responder: installs the Child SA of the peer's rekey we answered.
fn install_answered(sa: &mut IkeSa, ctx: &mut Ctx<'_>, w: CcsWait, spi_in: u32) {
    let Some(old_idx) = sa.children.iter().position(|c| c.spi_in == w.old_spi_in) else {
        return;
    };
    let acc = w.accepted;
    let Some(old) = sa.children.get(old_idx) else {
        return;
    };
    let esn = acc.proposal.esn.first() == Some(&crate::ids::esn::YES);
    let mut new = successor(
        sa,
        old,
        spi_in,
        acc.peer_spi,
        acc.proposal,
        acc.tsr,
        acc.tsi,
    );
    let Some(old) = sa.children.get_mut(old_idx) else {
        return;
    };
    if old.owns_policies {
        old.owns_policies = false;
        new.owns_policies = true;
    }
    old.rekeyed = true;
    old.peer_rekey = Some((w.ni.as_slice().min(w.nr.as_slice()).to_vec(), spi_in));
    // Our traffic stays on the old SA until the peer has the new one (its Delete of the old).
    let until = ctx.now() + HOLD_OUTBOUND_MAX;
    new.install_holding_out(ctx, &w.keys, &sa.profile.child_limits(), esn, until);
    ctx.event(new.up_event(sa.handle));
    sa.children.push(new);
}

/// The peer's request collides with an exchange of ours: it may try again later.
fn busy() -> IkeError {
    IkeError::refused(notify::TEMPORARY_FAILURE, "busy with another exchange")
}

fn ike_request(
    sa: &mut IkeSa,
    ctx: &mut Ctx<'_>,
    msg_id: u32,
    p: &[Payload],
) -> Result<(), IkeError> {
    // Our own IKE SA rekey in flight is a collision (RFC 7296 §2.8.2), answered normally;
    // other exchanges of ours under way: try again later.
    let colliding = sa
        .pending
        .as_ref()
        .is_some_and(|q| q.kind == ReqKind::RekeyIke)
        && matches!(sa.ccs_out, Some(CcsOut::Ike { .. }))
        && sa.peer_ike_rekey.is_none();
    if (sa.pending.is_some() && !colliding)
        || child_work_pending(sa)
        || sa.children.iter().any(|c| c.rekeying)
        || sa.followup_in.is_some()
        || sa.followup_out.is_some()
    {
        return Err(busy());
    }
    let (num, chosen, spi) = select(sa, ctx, Phase::Ike, p)?;
    let spi_i = <[u8; 8]>::try_from(spi.as_slice()).map_err(|_| IkeError::syntax("bad IKE SPI"))?;
    if spi_i == [0; 8] {
        return Err(IkeError::syntax("zero IKE SPI"));
    }
    let group =
        chosen.ke.first().copied().ok_or_else(|| {
            IkeError::refused(notify::NO_PROPOSAL_CHOSEN, "IKE SA rekey without KE")
        })?;
    let Some(kep) = ke_payload(p).filter(|k| k.group == group) else {
        let data = group.to_be_bytes().to_vec();
        let n = Payload::Notify(NotifyPayload::new(notify::INVALID_KE_PAYLOAD, data));
        dispatch::answer(sa, ctx, exchange::CREATE_CHILD_SA, msg_id, &[n]);
        return Ok(());
    };
    let ni = nonce(p)
        .ok_or_else(|| IkeError::syntax("bad nonce"))?
        .to_vec();
    let nr = ctx.random(NONCE_LEN)?;
    let spi_r = ctx.random_spi8()?;
    let (ke, public) = ke_start(ctx, group)?;
    let shared = ke_finish(&ke, &kep.data)?;
    let out = vec![
        Payload::Sa(nego::chosen_to_wire(&chosen, num, &spi_r)),
        Payload::Nonce(NoncePayload { data: nr.clone() }),
        Payload::Ke(KePayload {
            group,
            data: public,
        }),
    ];
    let pending = additional(&chosen);
    if !pending.is_empty() {
        if colliding {
            return Err(busy());
        }
        let then = FollowupThen::Ike {
            spi_i,
            spi_r,
            chosen: Box::new(chosen),
        };
        return followup_ke::answer_first(sa, ctx, msg_id, out, then, (ni, nr), shared, pending);
    }
    let keys = sa
        .keys
        .as_ref()
        .ok_or_else(|| IkeError::state("no keys"))?
        .rekeyed(&chosen, &shared, &ni, &nr, &spi_i, &spi_r)?;
    let min_nonce = ni.as_slice().min(nr.as_slice()).to_vec();
    sa.respond(ctx, exchange::CREATE_CHILD_SA, msg_id, &out)?;
    let new = NewIkeSa {
        spi_i,
        spi_r,
        initiator: false,
        keys,
        chosen,
        min_nonce,
    };
    if colliding {
        // Decided when our own request is answered (or the peer deletes the old IKE SA).
        sa.peer_ike_rekey = Some(Box::new(new));
        return Ok(());
    }
    // The old IKE SA stays as a shell to answer retransmissions and the peer's Delete.
    let shell = switch_ike_sa(sa, ctx, new, false);
    sa.spawned.push(shell);
    Ok(())
}

/// Responder: the last IKE_FOLLOWUP_KE of the peer's IKE SA rekey was answered: switch to
/// the new IKE SA (the old one stays as a shell for the peer's Delete).
pub(crate) fn finish_peer_ike_rekey(
    sa: &mut IkeSa,
    ctx: &mut Ctx<'_>,
    spis: ([u8; 8], [u8; 8]),
    nonces: (&[u8], &[u8]),
    chosen: crate::proposal::Proposal,
    shared: (&crate::crypto::SharedSecret, &[crate::crypto::SharedSecret]),
) {
    match new_ike_sa(sa, spis, false, nonces, chosen, shared) {
        Ok(new) => {
            let shell = switch_ike_sa(sa, ctx, new, false);
            sa.spawned.push(shell);
        }
        Err(f) => ctx.event(Event::ExchangeFailed {
            sa: sa.handle,
            failure: f,
        }),
    }
}

/// The response to our Delete of Child SAs: remove them.
pub(crate) fn on_delete_response(sa: &mut IkeSa, ctx: &mut Ctx<'_>, spis_in: &[u32]) {
    for spi in spis_in {
        if let Some(i) = sa.children.iter().position(|c| c.spi_in == *spi) {
            remove_child(sa, ctx, i);
        }
    }
}
