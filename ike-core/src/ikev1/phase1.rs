//! Main Mode with pre-shared keys, as initiator (RFC 2409 §5, §5.4; NAT-T RFC 3947):
//!
//! ```text
//! 1 -> SA, VID(RFC 3947), VID(DPD)          2 <- SA, VID...
//! 3 -> KE, Ni, NAT-D, NAT-D                 4 <- KE, Nr, NAT-D, NAT-D
//!      (NAT found or forced: float to 4500)
//! 5 -> E{IDii, HASH_I, N(INITIAL-CONTACT)}  6 <- E{IDir, HASH_R}
//! ```

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use subtle::ConstantTimeEq;

use crate::api::{
    AuthBy, ConnectionConfig, Event, Failure, IkeSaHandle, LocalAuth, NatInfo, Phase, RemoteAuth,
};
use crate::api::{Identity, Time};
use crate::crypto::Secret;
use crate::ctx::Ctx;
use crate::natt::NATT_PORT;
use crate::sa::keys::provider;
use crate::v1::ids::{doi, exchange, protocol};
use crate::v1::iv_chain;
use crate::v1::wire::{
    Body, HashPayload, IdPayload, KePayload, Message, NatDPayload, NoncePayload, NotifyPayload,
    Payload, VendorIdPayload,
};

use super::keys::{self, Phase1Keys};
use super::proposal::{self, P1Transform};
use super::sa::{crypto, state, State, V1Sa, BLOCK};

const NO_PROPOSAL_CHOSEN: u16 = 14;

/// Vendor ID of RFC 3947 NAT traversal: MD5("RFC 3947").
pub const VID_NATT_RFC3947: [u8; 16] = [
    0x4a, 0x13, 0x1c, 0x81, 0x07, 0x03, 0x58, 0x45, 0x5c, 0x57, 0x28, 0xf2, 0x0e, 0x95, 0x45, 0x2f,
];
/// Vendor ID of Dead Peer Detection (RFC 3706 §5.1), version 1.0.
pub const VID_DPD: [u8; 16] = [
    0xaf, 0xca, 0xd7, 0x13, 0x68, 0xa1, 0xf1, 0xc9, 0x6b, 0x86, 0x96, 0xfc, 0x77, 0x57, 0x01, 0x00,
];
/// INITIAL-CONTACT (RFC 2407 §4.6.3.3).
pub const INITIAL_CONTACT: u16 = 24578;
const NONCE_LEN: usize = 32;

/// The failure of a wrong pre-shared key, whichever side noticed it.
pub fn psk_mismatch(by: AuthBy) -> Failure {
    let detail = match by {
        AuthBy::Us => {
            "the pre-shared keys differ (the gateway's Main Mode hash does not match ours)"
        }
        AuthBy::Peer => {
            "the pre-shared keys differ (the gateway could not read or verify our Main Mode \
             authentication: it answered with an error or went silent)"
        }
    };
    Failure::AuthenticationFailed {
        by,
        detail: detail.into(),
    }
}

/// What [`start`] refuses in a configuration.
pub fn check_config(conn: &ConnectionConfig) -> Result<(), String> {
    if !matches!(conn.local_auth, LocalAuth::Psk(_))
        || !matches!(conn.remote_auth, RemoteAuth::Psk(_))
    {
        return Err(
            "IKEv1 works with pre-shared keys only so far; certificates and EAP are not supported yet"
                .into(),
        );
    }
    if conn.mobike {
        return Err("MOBIKE exists in IKEv2 only".into());
    }
    if conn.request_config.any() {
        return Err("Mode Config (a virtual address) with IKEv1 is not supported yet".into());
    }
    if conn.force_encap && conn.no_encap {
        return Err("forced UDP encapsulation and no UDP encapsulation at once".into());
    }
    let [child] = conn.children.as_slice() else {
        return Err("IKEv1 needs exactly one Child SA".into());
    };
    if child.local_ts.len() != 1 || child.remote_ts.len() != 1 {
        return Err(
            "IKEv1 Quick Mode carries one local and one remote network; several are not supported yet"
                .into(),
        );
    }
    Ok(())
}

/// Starts Main Mode: message 1.
pub(crate) fn start(
    ctx: &mut Ctx<'_>,
    handle: IkeSaHandle,
    conn: Arc<ConnectionConfig>,
) -> Result<V1Sa, String> {
    check_config(&conn)?;
    let p1_offer = proposal::phase1_offer(&conn.ike_proposals).map_err(|e| e.to_string())?;
    let esp_offer = proposal::esp_offer(&conn.esp_proposals).map_err(|e| e.to_string())?;
    let cky_i = ctx.random_spi8().map_err(|e| format!("{e:?}"))?;
    let sa_payload = proposal::phase1_sa(&p1_offer, conn.ike_lifetime.as_secs());
    let mut sa_i_b = Vec::new();
    sa_payload.emit(&mut sa_i_b).map_err(|e| e.to_string())?;
    let now = ctx.now();
    let mut sa = V1Sa {
        handle,
        remote: conn.remote,
        conn,
        p1_offer,
        esp_offer,
        state: State::Mm1,
        cky_i,
        cky_r: [0; 8],
        local: None,
        encap: false,
        nat: NatInfo::default(),
        peer_natt: false,
        peer_dpd: false,
        sa_i_b,
        p1: None,
        dh: None,
        ni: Vec::new(),
        nr: Vec::new(),
        gxi: Vec::new(),
        gxr: Vec::new(),
        keys: None,
        iv: Vec::new(),
        retx: None,
        last_rx: Vec::new(),
        last_reply: Vec::new(),
        notified: None,
        quick: None,
        child: None,
        last_heard: now,
        dpd: None,
        dpd_seq: 0,
        ike_expires: None,
        last_sent: now,
    };
    let msg = Message::new(
        sa.header(exchange::MAIN, false, 0),
        Body::Clear(vec![
            Payload::Sa(sa_payload),
            Payload::VendorId(VendorIdPayload {
                id: VID_NATT_RFC3947.to_vec(),
            }),
            Payload::VendorId(VendorIdPayload {
                id: VID_DPD.to_vec(),
            }),
        ]),
    );
    let dg = msg.emit().map_err(|e| e.to_string())?;
    sa.send_request(ctx, dg);
    Ok(sa)
}

fn nat_d(p1: P1Transform, cky_i: &[u8; 8], cky_r: &[u8; 8], addr: SocketAddr) -> Vec<u8> {
    let ip = match addr.ip() {
        IpAddr::V4(a) => a.octets().to_vec(),
        IpAddr::V6(a) => a.octets().to_vec(),
    };
    provider()
        .hash(
            p1.prf.hash(),
            &[cky_i, cky_r, &ip, &addr.port().to_be_bytes()],
        )
        .unwrap_or_default()
}

/// Main Mode message 2: the chosen transform and the peer's vendor IDs; sends message 3.
pub(crate) fn on_mm2(
    sa: &mut V1Sa,
    ctx: &mut Ctx<'_>,
    local: SocketAddr,
    msg: &Message,
) -> Result<bool, Failure> {
    let Some(payloads) = msg.payloads() else {
        return Ok(false);
    };
    let Some(chosen) = payloads.iter().find_map(|p| match p {
        Payload::Sa(s) => Some(s),
        _ => None,
    }) else {
        return Ok(false);
    };
    let Some((p1, _life)) = proposal::phase1_chosen(chosen, &sa.p1_offer) else {
        // Unauthenticated: weighed like an unprotected NO_PROPOSAL_CHOSEN (a stranger's
        // answer never ends the attempt by itself).
        if note_notify(sa, NO_PROPOSAL_CHOSEN) {
            return Err(notify_failure(sa, NO_PROPOSAL_CHOSEN));
        }
        return Ok(false);
    };
    for p in payloads {
        if let Payload::VendorId(v) = p {
            sa.peer_natt |= v.id == VID_NATT_RFC3947;
            sa.peer_dpd |= v.id.get(..15) == VID_DPD.get(..15);
        }
    }
    sa.cky_r = msg.header.spi_r;
    sa.p1 = Some(p1);
    // Our address as configured (a socket bound to the wildcard reports 0.0.0.0).
    let local = SocketAddr::new(sa.conn.local_addr.unwrap_or(local.ip()), local.port());
    sa.local = Some(local);
    let dh = provider().start_ke(p1.group, ctx.rng()).map_err(crypto)?;
    sa.gxi = dh.public_value().to_vec();
    sa.dh = Some(dh);
    sa.ni = ctx
        .random(NONCE_LEN)
        .map_err(|e| crypto(format!("{e:?}")))?;
    // NAT-D: the gateway's address, then ours (a fake one when encapsulation is forced).
    let ours = if sa.conn.force_encap {
        SocketAddr::new(IpAddr::from([0, 0, 0, 0]), 0)
    } else {
        local
    };
    let payloads = vec![
        Payload::Ke(KePayload {
            data: sa.gxi.clone(),
        }),
        Payload::Nonce(NoncePayload {
            nonce: sa.ni.clone(),
        }),
        Payload::NatD(NatDPayload {
            hash: nat_d(p1, &sa.cky_i, &sa.cky_r, sa.remote),
        }),
        Payload::NatD(NatDPayload {
            hash: nat_d(p1, &sa.cky_i, &sa.cky_r, ours),
        }),
    ];
    let dg = Message::new(sa.header(exchange::MAIN, false, 0), Body::Clear(payloads))
        .emit()
        .map_err(state)?;
    sa.state = State::Mm3;
    sa.send_request(ctx, dg);
    Ok(true)
}

/// Main Mode message 4: keys, NAT detection; sends message 5 (encrypted).
pub(crate) fn on_mm4(sa: &mut V1Sa, ctx: &mut Ctx<'_>, msg: &Message) -> Result<bool, Failure> {
    let Some(payloads) = msg.payloads() else {
        return Ok(false);
    };
    let (Some(p1), Some(local)) = (sa.p1, sa.local) else {
        return Err(state("Phase 1 transform unknown"));
    };
    let mut ke = None;
    let mut nonce = None;
    let mut natd = Vec::new();
    for p in payloads {
        match p {
            Payload::Ke(k) => ke = Some(k.data.clone()),
            Payload::Nonce(n) => nonce = Some(n.nonce.clone()),
            Payload::NatD(n) => natd.push(n.hash.clone()),
            _ => {}
        }
    }
    let (Some(gxr), Some(nr)) = (ke, nonce) else {
        return Ok(false);
    };
    // Unauthenticated until message 6: anything unusable is dropped, not fatal.
    if nr.len() < 8 || nr.len() > 256 {
        return Ok(false);
    }
    let Some(dh) = sa.dh.as_ref() else {
        return Err(state("no key exchange"));
    };
    let Ok(gxy) = dh.complete(&gxr) else {
        return Ok(false);
    };
    sa.dh = None;
    let psk = sa.secret_psk().ok_or_else(|| state("no pre-shared key"))?;
    let skeyid =
        keys::skeyid_psk(provider(), p1.prf, psk.as_bytes(), &sa.ni, &nr).map_err(crypto)?;
    let k = Phase1Keys::derive(
        provider(),
        p1.prf,
        skeyid,
        gxy.as_bytes(),
        &sa.cky_i,
        &sa.cky_r,
        p1.encr.key_len(),
    )
    .map_err(crypto)?;
    sa.iv = iv_chain::phase1_iv(
        |parts| provider().hash(p1.prf.hash(), parts),
        &sa.gxi,
        &gxr,
        BLOCK,
    )
    .map_err(|e| crypto(format!("{e:?}")))?;
    sa.gxr = gxr;
    sa.nr = nr;
    sa.keys = Some(k);
    // NAT detection (RFC 3947 §3.2): the first hash is of us as the gateway sees us, the
    // last of the gateway itself.
    if sa.peer_natt && natd.len() >= 2 {
        let me = nat_d(p1, &sa.cky_i, &sa.cky_r, local);
        let them = nat_d(p1, &sa.cky_i, &sa.cky_r, sa.remote);
        sa.nat = NatInfo {
            local_behind: sa.conn.force_encap
                || !natd
                    .iter()
                    .take(natd.len() - 1)
                    .any(|h| h.as_slice().ct_eq(&me).into()),
            remote_behind: natd
                .last()
                .is_none_or(|h| !bool::from(h.as_slice().ct_eq(&them))),
        };
    }
    // Forced encapsulation: we claim to be behind a NAT (our NAT-D hash was of no address).
    if sa.conn.force_encap && sa.peer_natt {
        sa.nat.local_behind = true;
    }
    let nat = sa.nat.local_behind || sa.nat.remote_behind;
    if nat && sa.conn.no_encap {
        return Err(Failure::NatWithoutEncapsulation {
            local_behind: sa.nat.local_behind,
        });
    }
    if nat && sa.peer_natt {
        sa.encap = true;
        sa.remote.set_port(NATT_PORT);
    }
    send_mm5(sa, ctx).map(|()| true)
}

fn our_id(sa: &V1Sa) -> IdPayload {
    IdPayload {
        id_type: sa.conn.local_id.id_type(),
        protocol_id: 0,
        port: 0,
        data: sa.conn.local_id.data(),
    }
}

/// HASH_I (`of_initiator`: ours, with our ID payload) or HASH_R (the gateway's, with its
/// ID payload) of this Main Mode.
fn main_mode_hash(sa: &V1Sa, of_initiator: bool, id: &IdPayload) -> Result<Secret, Failure> {
    let p1 = sa.p1.ok_or_else(|| state("no transform"))?;
    let keys = sa.keys.as_ref().ok_or_else(|| state("no keys"))?;
    let mut id_b = Vec::new();
    id.emit(&mut id_b).map_err(state)?;
    let x = keys::MainModeHashInput {
        gxi: &sa.gxi,
        gxr: &sa.gxr,
        cky_i: &sa.cky_i,
        cky_r: &sa.cky_r,
        sa_i_b: &sa.sa_i_b,
    };
    keys::main_mode_hash(provider(), p1.prf, &keys.skeyid, &x, of_initiator, &id_b).map_err(crypto)
}

fn send_mm5(sa: &mut V1Sa, ctx: &mut Ctx<'_>) -> Result<(), Failure> {
    let id = our_id(sa);
    let hash = main_mode_hash(sa, true, &id)?;
    let mut spi = sa.cky_i.to_vec();
    spi.extend_from_slice(&sa.cky_r);
    let payloads = vec![
        Payload::Id(id),
        Payload::Hash(HashPayload {
            hash: hash.as_bytes().to_vec(),
        }),
        Payload::Notify(NotifyPayload {
            doi: doi::IPSEC,
            protocol_id: protocol::ISAKMP,
            spi,
            notify_type: INITIAL_CONTACT,
            data: Vec::new(),
        }),
    ];
    let (dg, next) = sa.encrypt(sa.header(exchange::MAIN, true, 0), &payloads, &sa.iv)?;
    sa.iv = next;
    sa.state = State::Mm5;
    sa.send_request(ctx, dg);
    Ok(())
}

/// Main Mode message 6: the gateway's identity and HASH_R. `Ok(true)`: Phase 1 is done.
pub(crate) fn on_mm6(sa: &mut V1Sa, ctx: &mut Ctx<'_>, data: &[u8]) -> Result<bool, Failure> {
    let Some(dec) = sa.decrypt(data, &sa.iv) else {
        // Not decryptable with our keys: the gateway's keys differ (a wrong PSK), or noise.
        if note_undecryptable(sa) {
            return Err(psk_mismatch(AuthBy::Peer));
        }
        return Ok(false);
    };
    let mut id = None;
    let mut hash = None;
    for p in &dec.payloads {
        match p {
            Payload::Id(i) => id = Some(i.clone()),
            Payload::Hash(h) => hash = Some(h.hash.clone()),
            _ => {}
        }
    }
    let (Some(id), Some(hash)) = (id, hash) else {
        if note_undecryptable(sa) {
            return Err(psk_mismatch(AuthBy::Peer));
        }
        return Ok(false);
    };
    let want = main_mode_hash(sa, false, &id)?;
    if !bool::from(want.as_bytes().ct_eq(&hash)) {
        // Without integrity in CBC, a damaged or forged message 6 may decrypt to a chain:
        // evidence, not proof; the real one may still come.
        if note_notify(sa, HASH_MISMATCH) {
            return Err(psk_mismatch(AuthBy::Us));
        }
        return Ok(false);
    }
    if let Some(expected) = &sa.conn.remote_id {
        let got = Identity::from_wire(id.id_type, &id.data);
        if !got.as_ref().is_some_and(|g| expected.matches(g)) {
            return Err(Failure::AuthenticationFailed {
                by: AuthBy::Us,
                detail: format!(
                    "the gateway identifies as {}, not {expected}",
                    got.map_or_else(
                        || format!("an ID of type {}", id.id_type),
                        |g| g.to_string()
                    )
                ),
            });
        }
    }
    sa.iv = dec.next_iv;
    sa.retx = None;
    sa.last_heard = ctx.now();
    let now: Time = ctx.now();
    sa.ike_expires = Some(now + sa.conn.ike_lifetime);
    let remote_id = Identity::from_wire(id.id_type, &id.data)
        .map(|i| i.to_string())
        .unwrap_or_default();
    ctx.event(Event::IkeSaUp {
        sa: sa.handle,
        name: sa.conn.name.clone(),
        proposal: format!("IKEv1 {}", sa.p1.map(|p| p.to_string()).unwrap_or_default()),
        local: sa.local.unwrap_or(sa.remote),
        remote: sa.remote,
        nat: sa.nat,
        encap: sa.encap,
        remote_id,
    });
    Ok(true)
}

/// Something from the gateway after our message 5 that our keys cannot open: evidence that
/// the pre-shared keys differ, weighed like an unprotected error notify.
pub(crate) fn note_undecryptable(sa: &mut V1Sa) -> bool {
    sa.state == State::Mm5 && note_notify(sa, MISMATCH)
}

/// The pseudo notify type recorded for undecryptable answers to message 5.
pub(crate) const MISMATCH: u16 = u16::MAX;
/// The pseudo notify type recorded for a message 6 whose HASH_R does not match.
pub(crate) const HASH_MISMATCH: u16 = u16::MAX - 1;

/// Records an unprotected error notify (or [`MISMATCH`]); `true` when it answered two
/// transmissions in a row, which is when it ends the attempt.
pub(crate) fn note_notify(sa: &mut V1Sa, notify_type: u16) -> bool {
    let sent = sa.retx.as_ref().map_or(0, |r| r.sent);
    let twice = matches!(sa.notified, Some((t, s)) if t == notify_type && s < sent);
    if sa.notified.is_none_or(|(t, _)| t != notify_type) || twice {
        sa.notified = Some((notify_type, sent));
    }
    twice
}

/// What an unprotected error notify (or [`MISMATCH`]) means in the current state.
pub(crate) fn notify_failure(sa: &V1Sa, notify_type: u16) -> Failure {
    match (sa.state, notify_type) {
        (State::Mm1 | State::Mm3, 14) => Failure::NoProposalChosen {
            phase: Phase::Ike,
            ours: sa.p1_offer.iter().map(ToString::to_string).collect(),
            theirs: None,
        },
        (State::Mm5, HASH_MISMATCH) => psk_mismatch(AuthBy::Us),
        (State::Mm5, MISMATCH | 1 | 16 | 23 | 24) => psk_mismatch(AuthBy::Peer),
        (_, t) => Failure::PeerNotify {
            notify_type: t,
            exchange: exchange::INFORMATIONAL,
        },
    }
}
