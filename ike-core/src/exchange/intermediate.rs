//! IKE_INTERMEDIATE (RFC 9242) carrying the additional key exchanges of RFC 9370 between
//! IKE_SA_INIT and IKE_AUTH.
//!
//! Both peers announce INTERMEDIATE_EXCHANGE_SUPPORTED in IKE_SA_INIT. When the chosen IKE
//! proposal has additional key exchanges (ADDKE1..7, NONE left out), the initiator runs one
//! IKE_INTERMEDIATE exchange per additional key exchange, in transform type order, each with
//! a KE payload (for ML-KEM: the encapsulation key, answered with the ciphertext). Each
//! exchange is protected with the keys in force before it; after it both sides derive new
//! keys (RFC 9370 §2.2.2):
//!
//! ```text
//! SKEYSEED(n) = prf(SK_d(n-1), SK(n) | Ni | Nr)
//! {SK_d(n) | SK_ai(n) | ...} = prf+(SKEYSEED(n), Ni | Nr | SPIi | SPIr)
//! ```
//!
//! and every IKE_INTERMEDIATE message goes into the AUTH payload through IntAuth (RFC 9242
//! §3.3.2): `IntAuth_iN = prf(SK_pi(n), IntAuth_i(N-1) | A | P)` over the initiator's
//! requests, `IntAuth_rN` likewise over the responses with SK_pr, where A is the IKE header
//! and the Encrypted payload header with their lengths adjusted to leave out the IV,
//! padding and ICV (and computed as if the message were not fragmented: Next Payload SK, not
//! SKF), and P the inner payloads in clear. IKE_AUTH then appends
//! `IntAuth_iN | IntAuth_rN | IKE_AUTH_MID` to the signed octets ([`int_auth_suffix`]).

use crate::api::{Failure, IkeError};
use crate::crypto;
use crate::ctx::Ctx;
use crate::ids::{exchange, payload, transform_type};
use crate::proposal::Proposal;
use crate::sa::keys::{ke_start, provider};
use crate::sa::{IkeSa, ReqKind};
use crate::wire::{emit_payload_chain, Header, KePayload, Payload};

use super::msg::ke_payload;

/// The additional key exchanges of a chosen IKE proposal, in order: (transform type, method),
/// NONE left out.
pub(crate) fn additional(p: &Proposal) -> Vec<(u8, u16)> {
    (transform_type::ADDKE1..)
        .zip(p.addke.iter())
        .filter_map(|(t, list)| {
            list.first()
                .copied()
                .filter(|&g| g != crate::ids::ke::NONE)
                .map(|g| (t, g))
        })
        .collect()
}

/// Whether any of our IKE proposals has additional key exchanges (then we announce
/// INTERMEDIATE_EXCHANGE_SUPPORTED).
pub(crate) fn wanted(ours: &[Proposal]) -> bool {
    ours.iter().any(Proposal::has_addke)
}

/// The octets IKE_AUTH appends to the signed octets: `IntAuth_iN | IntAuth_rN |
/// IKE_AUTH_MID`, or nothing when no IKE_INTERMEDIATE exchange took place.
pub(crate) fn int_auth_suffix(sa: &IkeSa) -> Vec<u8> {
    if sa.init.int_auth_i.is_empty() {
        return Vec::new();
    }
    let mut out = sa.init.int_auth_i.clone();
    out.extend_from_slice(&sa.init.int_auth_r);
    out.extend_from_slice(&sa.init.auth_mid.to_be_bytes());
    out
}

/// The "A" chunk of a message: its header and Encrypted payload header with the lengths of
/// the unfragmented message without IV, padding and ICV.
fn chunk_a(header: &Header, first: u8, plain_len: usize) -> Result<Vec<u8>, IkeError> {
    let sk_len = 4usize
        .checked_add(plain_len)
        .and_then(|l| u16::try_from(l).ok())
        .ok_or_else(|| IkeError::state("IKE_INTERMEDIATE message too long"))?;
    let mut h = header.clone();
    h.next_payload = payload::SK;
    h.length = u32::from(sk_len) + u32::try_from(Header::LEN).unwrap_or(28);
    let mut a = h.to_bytes().to_vec();
    a.extend_from_slice(&[first, 0]);
    a.extend_from_slice(&sk_len.to_be_bytes());
    Ok(a)
}

/// Folds one IKE_INTERMEDIATE message into IntAuth_i (`from_initiator`) or IntAuth_r, with
/// the SK_p of the keys that protected it.
fn fold(
    sa: &mut IkeSa,
    from_initiator: bool,
    header: &Header,
    first: u8,
    plain: &[u8],
) -> Result<(), IkeError> {
    let keys = sa.keys.as_ref().ok_or_else(|| IkeError::state("no keys"))?;
    let a = chunk_a(header, first, plain.len())?;
    let prev = if from_initiator {
        &sa.init.int_auth_i
    } else {
        &sa.init.int_auth_r
    };
    let mac = crypto::prf::prf(
        provider(),
        keys.suite.prf,
        keys.sk_p(from_initiator).as_bytes(),
        &[prev, &a, plain],
    )?;
    let v = mac.as_bytes().to_vec();
    if from_initiator {
        sa.init.int_auth_i = v;
    } else {
        sa.init.int_auth_r = v;
    }
    Ok(())
}

/// Folds a message we send (before it is encrypted).
fn fold_sent(
    sa: &mut IkeSa,
    response: bool,
    msg_id: u32,
    payloads: &[Payload],
) -> Result<(), IkeError> {
    let (first, inner) = emit_payload_chain(payloads).map_err(IkeError::state)?;
    let header = sa.header(exchange::IKE_INTERMEDIATE, response, msg_id);
    fold(sa, sa.initiator, &header, first, &inner)
}

/// Folds the message just opened from the peer.
fn fold_received(sa: &mut IkeSa, header: &Header) -> Result<(), IkeError> {
    let (first, plain) = sa
        .last_plain
        .take()
        .ok_or_else(|| IkeError::state("IKE_INTERMEDIATE plaintext not kept"))?;
    fold(sa, !sa.initiator, header, first, &plain)
}

/// Replaces the IKE SA's keys after an additional key exchange (RFC 9370 §2.2.2).
fn update_keys(sa: &mut IkeSa, shared: &crypto::SharedSecret) -> Result<(), IkeError> {
    let chosen = sa
        .chosen
        .as_ref()
        .ok_or_else(|| IkeError::state("no proposal"))?;
    let keys = sa.keys.as_ref().ok_or_else(|| IkeError::state("no keys"))?;
    let new = keys.rekeyed(
        chosen,
        shared,
        &sa.init.ni,
        &sa.init.nr,
        &sa.spi_i,
        &sa.spi_r,
    )?;
    sa.keys = Some(new);
    Ok(())
}

/// Initiator, after IKE_SA_INIT and after each IKE_INTERMEDIATE: the next additional key
/// exchange, or IKE_AUTH when none is left.
pub(crate) fn next(sa: &mut IkeSa, ctx: &mut Ctx<'_>) -> Result<(), IkeError> {
    let Some(&(_, group)) = sa.init.addke_pending.first() else {
        return super::ike_auth::start(sa, ctx);
    };
    let (ke, public) = ke_start(ctx, group)?;
    sa.init.addke_ke = Some(ke);
    let payloads = vec![Payload::Ke(KePayload {
        group,
        data: public,
    })];
    let msg_id = sa.next_msg_id;
    fold_sent(sa, false, msg_id, &payloads)?;
    sa.start_request(
        ctx,
        ReqKind::Intermediate,
        exchange::IKE_INTERMEDIATE,
        &payloads,
    )
}

/// Initiator: the IKE_INTERMEDIATE response (already decrypted).
pub(crate) fn on_response(
    sa: &mut IkeSa,
    ctx: &mut Ctx<'_>,
    header: &Header,
    p: &[Payload],
) -> Result<(), Failure> {
    fold_received(sa, header)?;
    if let Some(n) = super::msg::first_notify_error(p) {
        return Err(Failure::PeerNotify {
            notify_type: n.notify_type,
            exchange: exchange::IKE_INTERMEDIATE,
        });
    }
    let Some(&(ttype, group)) = sa.init.addke_pending.first() else {
        return Err(IkeError::state("no additional key exchange pending").into());
    };
    let kep = ke_payload(p).ok_or_else(|| {
        Failure::ProtocolError(format!(
            "IKE_INTERMEDIATE response without the KE payload of {}",
            describe(ttype, group)
        ))
    })?;
    if kep.group != group {
        return Err(Failure::ProtocolError(format!(
            "IKE_INTERMEDIATE response carries key exchange method {} instead of {}",
            kep.group,
            describe(ttype, group)
        )));
    }
    let ke = sa
        .init
        .addke_ke
        .take()
        .ok_or_else(|| IkeError::state("no key exchange in progress"))?;
    let shared = crate::sa::keys::ke_finish(&ke, &kep.data)?;
    update_keys(sa, &shared)?;
    sa.init.addke_pending.remove(0);
    next(sa, ctx).map_err(Failure::from)
}

/// Responder: an IKE_INTERMEDIATE request (already decrypted).
pub(crate) fn on_request(
    sa: &mut IkeSa,
    ctx: &mut Ctx<'_>,
    header: &Header,
    msg_id: u32,
    p: &[Payload],
) -> Result<(), Failure> {
    fold_received(sa, header)?;
    let Some(&(ttype, group)) = sa.init.addke_pending.first() else {
        return Err(Failure::ProtocolError(
            "IKE_INTERMEDIATE request after the last additional key exchange".into(),
        ));
    };
    let kep = ke_payload(p).filter(|k| k.group == group).ok_or_else(|| {
        Failure::ProtocolError(format!(
            "IKE_INTERMEDIATE request without the KE payload of {}",
            describe(ttype, group)
        ))
    })?;
    let g = crypto::KeGroup::from_iana(group)
        .ok_or_else(|| IkeError::state(format!("unsupported KE group {group}")))?;
    let (public, shared) = provider()
        .respond_ke(g, &kep.data, ctx.rng())
        .map_err(IkeError::from_peer_ke)?;
    let payloads = vec![Payload::Ke(KePayload {
        group,
        data: public,
    })];
    fold_sent(sa, true, msg_id, &payloads)?;
    sa.respond(ctx, exchange::IKE_INTERMEDIATE, msg_id, &payloads)?;
    update_keys(sa, &shared)?;
    sa.init.addke_pending.remove(0);
    Ok(())
}

fn describe(ttype: u8, group: u16) -> String {
    crate::proposal::registry::strongswan_display_name(ttype, group, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::Flags;

    /// RFC 9242 §3.3.2 "A": the IKE header with Next Payload SK and the length of header,
    /// Encrypted payload header and plaintext only (no IV, padding or ICV), then the Encrypted
    /// payload header with the length of its header and the plaintext. The layout charon 6
    /// accepted in the lab (auth-addke-sw6).
    #[test]
    fn chunk_a_has_the_adjusted_lengths() {
        let h = Header::new(
            [1; 8],
            [2; 8],
            exchange::IKE_INTERMEDIATE,
            Flags {
                initiator: true,
                version: false,
                response: false,
            },
            1,
        );
        let a = chunk_a(&h, crate::ids::payload::KE, 1192).unwrap();
        assert_eq!(a.len(), 28 + 4);
        assert_eq!(&a[..16], &[[1u8; 8], [2u8; 8]].concat()[..]);
        assert_eq!(
            a[16],
            crate::ids::payload::SK,
            "next payload SK, also when fragmented"
        );
        assert_eq!(a[17], 0x20, "version 2.0");
        assert_eq!(a[18], exchange::IKE_INTERMEDIATE);
        assert_eq!(a[19], 0x08, "initiator flag");
        assert_eq!(&a[20..24], &1u32.to_be_bytes());
        assert_eq!(&a[24..28], &(28u32 + 4 + 1192).to_be_bytes());
        assert_eq!(&a[28..], &[crate::ids::payload::KE, 0, 0x04, 0xac]);
        // A plaintext that cannot be described is refused, not wrapped.
        assert!(chunk_a(&h, 0, usize::from(u16::MAX)).is_err());
    }
}
