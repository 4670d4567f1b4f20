//! Informational exchanges on the ISAKMP SA (RFC 2409 §5.7): error notifies, Delete of the
//! IPsec SA or the ISAKMP SA (RFC 2408 §3.15), dead peer detection (RFC 3706 R-U-THERE /
//! R-U-THERE-ACK), and the Deletes we send when we close.

use crate::api::{DownReason, Failure, Phase};
use crate::ctx::Ctx;
use crate::sa::keys::provider;
use crate::v1::ids::{doi, exchange, protocol};
use crate::v1::wire::{
    emit_payload_chain, DeletePayload, HashPayload, Message, NotifyPayload, Payload,
};

use super::keys;
use super::phase1;
use super::sa::{state, State, V1Sa};

/// R-U-THERE (RFC 3706 §5).
pub const R_U_THERE: u16 = 36136;
/// R-U-THERE-ACK.
pub const R_U_THERE_ACK: u16 = 36137;
/// INVALID-ID-INFORMATION (RFC 2408 §3.14.1).
pub const INVALID_ID_INFORMATION: u16 = 18;
/// NO-PROPOSAL-CHOSEN.
pub const NO_PROPOSAL_CHOSEN: u16 = 14;

fn isakmp_spi(sa: &V1Sa) -> Vec<u8> {
    let mut s = sa.cky_i.to_vec();
    s.extend_from_slice(&sa.cky_r);
    s
}

/// Sends one protected Informational carrying `body` (a Notify or a Delete).
pub(crate) fn send(sa: &mut V1Sa, ctx: &mut Ctx<'_>, body: Payload) -> Result<(), Failure> {
    let p1 = sa.p1.ok_or_else(|| state("no transform"))?;
    let keys = sa.keys.as_ref().ok_or_else(|| state("no keys"))?;
    let mut mid = 0u32;
    while mid == 0 {
        let r = ctx
            .random(4)
            .map_err(|e| super::sa::crypto(format!("{e:?}")))?;
        mid = r.iter().fold(0u32, |a, b| (a << 8) | u32::from(*b));
    }
    let (_, rest) = emit_payload_chain(std::slice::from_ref(&body)).map_err(state)?;
    let hash = keys::info_hash(provider(), p1.prf, &keys.skeyid_a, mid, &rest)
        .map_err(super::sa::crypto)?;
    let iv = sa
        .phase2_iv(mid)
        .ok_or_else(|| super::sa::crypto("Phase 2 IV"))?;
    let (dg, _) = sa.encrypt(
        sa.header(exchange::INFORMATIONAL, true, mid),
        &[
            Payload::Hash(HashPayload {
                hash: hash.as_bytes().to_vec(),
            }),
            body,
        ],
        &iv,
    )?;
    sa.send_once(ctx, &dg);
    Ok(())
}

fn dpd_notify(sa: &V1Sa, ty: u16, seq: u32) -> Payload {
    Payload::Notify(NotifyPayload {
        doi: doi::IPSEC,
        protocol_id: protocol::ISAKMP,
        spi: isakmp_spi(sa),
        notify_type: ty,
        data: seq.to_be_bytes().to_vec(),
    })
}

/// Sends an R-U-THERE with the next sequence number.
pub(crate) fn send_r_u_there(sa: &mut V1Sa, ctx: &mut Ctx<'_>) -> Result<u32, Failure> {
    sa.dpd_seq = sa.dpd_seq.wrapping_add(1).max(1);
    let seq = sa.dpd_seq;
    send(sa, ctx, dpd_notify(sa, R_U_THERE, seq))?;
    Ok(seq)
}

/// An Informational from the gateway (`data` is the whole ISAKMP message).
pub(crate) fn on_informational(
    sa: &mut V1Sa,
    ctx: &mut Ctx<'_>,
    msg: &Message,
    data: &[u8],
) -> Result<(), Failure> {
    if !msg.is_encrypted() {
        return on_clear(sa, ctx, msg);
    }
    if sa.keys.is_none() || sa.state == State::Mm5 {
        // Before Phase 1 is authenticated the gateway's keys are not known to be ours.
        if sa.state == State::Mm5 && phase1::note_undecryptable(sa) {
            let f = phase1::notify_failure(sa, phase1::MISMATCH);
            sa.fail(ctx, f);
        }
        return Ok(());
    }
    let Some(iv) = sa.phase2_iv(msg.header.message_id) else {
        return Ok(());
    };
    let Some(dec) = sa.decrypt(data, &iv) else {
        return Ok(());
    };
    let (Some(p1), Some(keys)) = (sa.p1, sa.keys.as_ref()) else {
        return Ok(());
    };
    let Some(Payload::Hash(h)) = dec.payloads.first() else {
        return Ok(());
    };
    let want = keys::info_hash(
        provider(),
        p1.prf,
        &keys.skeyid_a,
        msg.header.message_id,
        &dec.rest,
    )
    .map_err(super::sa::crypto)?;
    if !bool::from(subtle::ConstantTimeEq::ct_eq(
        want.as_bytes(),
        h.hash.as_slice(),
    )) {
        return Ok(());
    }
    sa.last_heard = ctx.now();
    for p in dec.payloads.iter().skip(1) {
        match p {
            Payload::Notify(n) => on_notify(sa, ctx, n)?,
            Payload::Delete(d) => on_delete(sa, ctx, d),
            _ => {}
        }
        if sa.state == State::Dead {
            break;
        }
    }
    Ok(())
}

fn on_notify(sa: &mut V1Sa, ctx: &mut Ctx<'_>, n: &NotifyPayload) -> Result<(), Failure> {
    let seq = <[u8; 4]>::try_from(n.data.as_slice())
        .ok()
        .map(u32::from_be_bytes);
    match n.notify_type {
        R_U_THERE => {
            if let Some(seq) = seq {
                send(sa, ctx, dpd_notify(sa, R_U_THERE_ACK, seq))?;
            }
        }
        R_U_THERE_ACK if seq.is_some_and(|s| s <= sa.dpd_seq) => sa.dpd = None,
        t if t < 8192 && sa.state == State::Qm1 => {
            let f = match t {
                NO_PROPOSAL_CHOSEN => Failure::NoProposalChosen {
                    phase: Phase::Child,
                    ours: sa.esp_offer.iter().map(ToString::to_string).collect(),
                    theirs: None,
                },
                INVALID_ID_INFORMATION => Failure::TsUnacceptable,
                t => Failure::PeerNotify {
                    notify_type: t,
                    exchange: exchange::QUICK,
                },
            };
            return Err(f);
        }
        _ => {}
    }
    Ok(())
}

/// A Delete names the SPI of the SA its sender deletes as its sender knows it: for the IPsec
/// SA the sender's inbound SPI, our outbound one. Deletes naming anything else are ignored.
fn on_delete(sa: &mut V1Sa, ctx: &mut Ctx<'_>, d: &DeletePayload) {
    let ours = match d.protocol_id {
        protocol::ISAKMP => d.spis.iter().any(|s| *s == isakmp_spi(sa)),
        protocol::ESP => sa.child.as_ref().is_some_and(|(c, _, _)| {
            d.spis
                .iter()
                .any(|s| s.as_slice() == c.spi_out.to_be_bytes().as_slice())
        }),
        _ => false,
    };
    if ours {
        sa.fail(ctx, Failure::DeletedByPeer);
    }
}

fn on_clear(sa: &mut V1Sa, ctx: &mut Ctx<'_>, msg: &Message) -> Result<(), Failure> {
    if !matches!(sa.state, State::Mm1 | State::Mm3 | State::Mm5) {
        return Ok(());
    }
    let Some(payloads) = msg.payloads() else {
        return Ok(());
    };
    for p in payloads {
        if let Payload::Notify(n) = p {
            if n.notify_type < 8192 && phase1::note_notify(sa, n.notify_type) {
                let f = phase1::notify_failure(sa, n.notify_type);
                sa.fail(ctx, f);
                return Ok(());
            }
        }
    }
    Ok(())
}

/// Closes: Deletes for the IPsec SA and the ISAKMP SA, kernel state removed.
pub(crate) fn close(sa: &mut V1Sa, ctx: &mut Ctx<'_>) {
    if sa.state == State::Dead {
        return;
    }
    if sa.keys.is_some() && !matches!(sa.state, State::Mm5) {
        if let Some((c, _, _)) = &sa.child {
            let del = Payload::Delete(DeletePayload {
                doi: doi::IPSEC,
                protocol_id: protocol::ESP,
                spi_size: 4,
                spis: vec![c.spi_in.to_be_bytes().to_vec()],
            });
            let _ = send(sa, ctx, del);
        }
        let del = Payload::Delete(DeletePayload {
            doi: doi::IPSEC,
            protocol_id: protocol::ISAKMP,
            spi_size: 16,
            spis: vec![isakmp_spi(sa)],
        });
        let _ = send(sa, ctx, del);
    }
    sa.end(ctx, DownReason::Closed);
}
