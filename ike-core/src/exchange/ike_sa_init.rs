//! IKE_SA_INIT (RFC 7296 §1.2): SPIs, nonces, KE, NAT detection, COOKIE, INVALID_KE.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use crate::api::{
    ConnectionConfig, Event, Failure, Fragmentation, IkeError, IkeSaHandle, NatInfo, Phase,
};
use crate::cookie::CookieJar;
use crate::ctx::Ctx;
use crate::fragment::Reassembly;
use crate::ids::{exchange, notify};
use crate::natt::{nat_hash, IKE_PORT, NATT_PORT};
use crate::sa::keys::{derive_ike, ke_finish, ke_start};
use crate::sa::profile::Profile;
use crate::sa::{CachedResponse, IkeSa, IkeState, InitData, ReqKind, UnverifiedAnswer};
use crate::wire::{Header, KePayload, Message, NoncePayload, NotifyPayload, Payload};

use super::msg::{find_notify, first_notify_error, ke_payload, nonce, sa_payload};
use super::nego;

/// Nonce length we send.
pub(crate) const NONCE_LEN: usize = 32;

fn notify_p(ty: u16, data: Vec<u8>) -> Payload {
    Payload::Notify(NotifyPayload::new(ty, data))
}

pub(crate) fn new_sa(
    handle: IkeSaHandle,
    initiator: bool,
    profile: Arc<Profile>,
    local: SocketAddr,
    remote: SocketAddr,
    now: crate::api::Time,
) -> IkeSa {
    IkeSa {
        handle,
        initiator,
        state: IkeState::InitSent,
        profile,
        spi_i: [0; 8],
        spi_r: [0; 8],
        local,
        remote,
        nat: NatInfo::default(),
        encap: false,
        chosen: None,
        keys: None,
        init: InitData::default(),
        peer_frag: false,
        next_msg_id: 0,
        pending: None,
        queue: Default::default(),
        peer_next: 0,
        cached: None,
        reassembly: Reassembly::default(),
        children: Vec::new(),
        pending_child: None,
        remote_id: None,
        last_rx: now,
        expire: None,
        up_reported: false,
        spawned: Vec::new(),
        shell: false,
        pending_cp: None,
        peer_sig_hashes: None,
        spi_wait: Vec::new(),
        ccs_out: None,
        ccs_wait: None,
        ike_rekey_at: None,
        ike_hard_at: None,
        retry: Vec::new(),
        child_ke_hint: None,
        ike_ke_hint: None,
        rekey_failures: Vec::new(),
        ike_rekey_failures: 0,
        last_tx: now,
        peer_ike_rekey: None,
        origin: None,
        reauth: None,
        reauth_start: false,
        reauth_of: None,
        assigned: Vec::new(),
        eap: None,
        last_plain: None,
        followup_out: None,
        followup_in: None,
        mobike: false,
        floated: false,
    }
}

/// Initiator: creates the SA and sends IKE_SA_INIT.
pub(crate) fn initiate(
    ctx: &mut Ctx<'_>,
    handle: IkeSaHandle,
    profile: Arc<Profile>,
    conn: &ConnectionConfig,
) -> Result<IkeSa, IkeError> {
    let local_ip = conn.local_addr.unwrap_or(match conn.remote.ip() {
        IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        IpAddr::V6(_) => IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED),
    });
    let mut sa = new_sa(
        handle,
        true,
        profile,
        SocketAddr::new(local_ip, IKE_PORT),
        conn.remote,
        ctx.now(),
    );
    sa.spi_i = ctx.random_spi8()?;
    sa.init.ni = ctx.random(NONCE_LEN)?;
    let group = nego::first_ke(&sa.profile.ike_proposals)
        .ok_or_else(|| IkeError::state("no KE group in our IKE proposals"))?;
    let (ke, _) = ke_start(ctx, group)?;
    sa.init.ke = Some(ke);
    sa.init.ke_group = group;
    send_init(&mut sa, ctx)?;
    Ok(sa)
}

fn nat_notifies(
    sa: &IkeSa,
    ctx: &mut Ctx<'_>,
    local: SocketAddr,
    remote: SocketAddr,
) -> Result<Vec<Payload>, IkeError> {
    let src = if sa.profile.force_encap {
        ctx.random(20)?
    } else {
        nat_hash(&sa.spi_i, &sa.spi_r, local)
    };
    Ok(vec![
        notify_p(notify::NAT_DETECTION_SOURCE_IP, src),
        notify_p(
            notify::NAT_DETECTION_DESTINATION_IP,
            nat_hash(&sa.spi_i, &sa.spi_r, remote),
        ),
    ])
}

fn send_init(sa: &mut IkeSa, ctx: &mut Ctx<'_>) -> Result<(), IkeError> {
    let ke = sa
        .init
        .ke
        .as_ref()
        .ok_or_else(|| IkeError::state("no KE"))?;
    let mut payloads = Vec::new();
    if let Some(c) = &sa.init.cookie {
        payloads.push(notify_p(notify::COOKIE, c.clone()));
    }
    payloads.push(Payload::Sa(nego::to_wire(
        &sa.profile.ike_proposals,
        &[],
        false,
    )));
    payloads.push(Payload::Ke(KePayload {
        group: sa.init.ke_group,
        data: ke.0.public_value().to_vec(),
    }));
    payloads.push(Payload::Nonce(NoncePayload {
        data: sa.init.ni.clone(),
    }));
    payloads.extend(nat_notifies(sa, ctx, sa.local, sa.remote)?);
    if sa.profile.fragmentation != Fragmentation::No {
        payloads.push(notify_p(notify::IKEV2_FRAGMENTATION_SUPPORTED, Vec::new()));
    }
    if super::intermediate::wanted(&sa.profile.ike_proposals) {
        payloads.push(notify_p(
            notify::INTERMEDIATE_EXCHANGE_SUPPORTED,
            Vec::new(),
        ));
    }
    if ctx.cfg().send_signature_hashes {
        payloads.push(super::cert::signature_hashes_notify());
    }
    sa.next_msg_id = 0;
    sa.init.unverified = None;
    let raw = sa.encode_plain(exchange::IKE_SA_INIT, false, 0, payloads)?;
    sa.init.init_req = raw.clone();
    sa.next_msg_id = 1;
    sa.send_pending(ctx, ReqKind::IkeSaInit, 0, vec![raw]);
    Ok(())
}

fn detect_nat(
    sa: &mut IkeSa,
    payloads: &[Payload],
    local: SocketAddr,
    remote: SocketAddr,
    spi_r_for_hash: [u8; 8],
) {
    let src_hash = nat_hash(&sa.spi_i, &spi_r_for_hash, remote);
    let dst_hash = nat_hash(&sa.spi_i, &spi_r_for_hash, local);
    let srcs: Vec<&NotifyPayload> = payloads
        .iter()
        .filter_map(|p| match p {
            Payload::Notify(n) if n.notify_type == notify::NAT_DETECTION_SOURCE_IP => Some(n),
            _ => None,
        })
        .collect();
    let dst = find_notify(payloads, notify::NAT_DETECTION_DESTINATION_IP);
    if !srcs.is_empty() {
        sa.nat.remote_behind = !srcs.iter().any(|n| n.data == src_hash);
    }
    if let Some(d) = dst {
        sa.nat.local_behind = d.data != dst_hash;
    }
}

/// Initiator: the IKE_SA_INIT response arrived.
/// A response that answers an earlier transmission of IKE_SA_INIT we have already acted on: an
/// INVALID_KE_PAYLOAD asking for the group our current request already uses, or a COOKIE we
/// already echo. Such answers (to retransmissions of the first request, common with slow peers)
/// are dropped so the current request keeps waiting for its own answer.
pub(crate) fn is_stale(sa: &IkeSa, msg: &Message) -> bool {
    let p = &msg.payloads;
    if let Some(n) = find_notify(p, notify::INVALID_KE_PAYLOAD) {
        let group = n
            .data
            .get(..2)
            .and_then(|b| <[u8; 2]>::try_from(b).ok())
            .map(u16::from_be_bytes);
        return sa.init.invalid_ke_tries > 0 && group == Some(sa.init.ke_group);
    }
    if let Some(c) = find_notify(p, notify::COOKIE) {
        return sa.init.cookie.as_deref() == Some(c.data.as_slice());
    }
    false
}

/// Why an IKE_SA_INIT response was not acted on.
#[derive(Debug)]
pub(crate) enum InitError {
    /// An unprotected error notify (its type) or an unusable response: anyone on the path
    /// could have sent it (RFC 7296 §2.21.1), so it alone never ends the attempt.
    Unverified {
        /// The error notify, if the response was one.
        notify: Option<u16>,
        /// What it means if it is genuine.
        failure: Failure,
    },
    /// The response was accepted, then something on our side failed.
    Fatal(Failure),
}

/// An unprotected error answered our IKE_SA_INIT transmission number `tries` (1-based).
/// Returns the failure to end the attempt with when the same error notify also answered the
/// previous transmission (a forged datagram cannot decide alone); otherwise remembers it as
/// the likely cause, should no valid answer come before the retransmissions run out, and
/// retransmits within a second so that a genuine error is confirmed quickly.
pub(crate) fn unverified_answer(
    sa: &mut IkeSa,
    ctx: &Ctx<'_>,
    notify: Option<u16>,
    failure: Failure,
    tries: u32,
) -> Option<Failure> {
    if let (Some(n), Some(prev)) = (notify, sa.init.unverified.as_ref()) {
        if prev.notify == Some(n) && prev.tries.saturating_add(1) == tries {
            return Some(failure);
        }
    }
    sa.init.unverified = Some(UnverifiedAnswer {
        notify,
        tries,
        failure,
    });
    if notify.is_some() {
        if let Some(p) = sa.pending.as_mut() {
            let soon = ctx.now() + CONFIRM_WITHIN;
            if p.deadline > soon {
                p.deadline = soon;
            }
        }
    }
    None
}

/// How soon we retransmit IKE_SA_INIT after an unprotected error notify, to confirm it.
const CONFIRM_WITHIN: core::time::Duration = core::time::Duration::from_secs(1);

fn unverified(notify: Option<u16>, failure: Failure) -> InitError {
    InitError::Unverified { notify, failure }
}

fn bad(s: &str) -> InitError {
    unverified(None, Failure::ProtocolError(s.into()))
}

/// A failure while using a response: the peer's fault leaves the response unverified (it may
/// be forged), ours ends the attempt.
fn init_err(e: IkeError) -> InitError {
    match e {
        IkeError::Peer { .. } => unverified(None, e.into()),
        IkeError::Local { .. } => InitError::Fatal(e.into()),
    }
}

/// Initiator: the IKE_SA_INIT response arrived. Nothing changes until the response is known
/// to be usable (an unusable one is [`InitError::Unverified`]); then the pending request is
/// replaced (COOKIE, INVALID_KE_PAYLOAD) or the IKE SA moves on to IKE_AUTH.
pub(crate) fn on_response(
    sa: &mut IkeSa,
    ctx: &mut Ctx<'_>,
    msg: &Message,
    raw: &[u8],
    local: SocketAddr,
    remote: SocketAddr,
) -> Result<(), InitError> {
    let p = &msg.payloads;
    let fatal = |e: IkeError| InitError::Fatal(e.into());
    if let Some(c) = find_notify(p, notify::COOKIE) {
        if sa.init.cookie_tries >= 3 || c.data.is_empty() || c.data.len() > 64 {
            return Err(bad("too many COOKIE requests"));
        }
        sa.init.cookie_tries += 1;
        sa.init.cookie = Some(c.data.clone());
        return send_init(sa, ctx).map_err(fatal);
    }
    if let Some(n) = find_notify(p, notify::INVALID_KE_PAYLOAD) {
        let group = n
            .data
            .get(..2)
            .and_then(|b| <[u8; 2]>::try_from(b).ok())
            .map(u16::from_be_bytes);
        let Some(group) = group else {
            return Err(bad("INVALID_KE_PAYLOAD without group"));
        };
        if sa.init.invalid_ke_tries >= 2
            || !nego::allows_ke(&sa.profile.ike_proposals, group)
            || group == sa.init.ke_group
        {
            return Err(unverified(
                Some(notify::INVALID_KE_PAYLOAD),
                Failure::InvalidKe { requested: group },
            ));
        }
        let (ke, _) = ke_start(ctx, group).map_err(fatal)?;
        sa.init.invalid_ke_tries += 1;
        sa.init.ke = Some(ke);
        sa.init.ke_group = group;
        return send_init(sa, ctx).map_err(fatal);
    }
    if let Some(n) = first_notify_error(p) {
        let failure = match n.notify_type {
            notify::NO_PROPOSAL_CHOSEN => Failure::NoProposalChosen {
                phase: Phase::Ike,
                ours: nego::describe(&sa.profile.ike_proposals),
                theirs: None,
            },
            t => Failure::PeerNotify {
                notify_type: t,
                exchange: exchange::IKE_SA_INIT,
            },
        };
        return Err(unverified(Some(n.notify_type), failure));
    }
    let sa_p = sa_payload(p).ok_or_else(|| bad("no SA payload"))?;
    let (chosen, _) = nego::verify(&sa.profile.ike_proposals, sa_p, false)
        .ok_or_else(|| bad("responder chose an invalid IKE proposal"))?;
    let kep = ke_payload(p).ok_or_else(|| bad("no KE payload"))?;
    if chosen.ke.first() != Some(&sa.init.ke_group) || kep.group != sa.init.ke_group {
        return Err(bad("KE group mismatch"));
    }
    let additional = super::intermediate::additional(&chosen);
    if !additional.is_empty() && find_notify(p, notify::INTERMEDIATE_EXCHANGE_SUPPORTED).is_none() {
        return Err(bad(
            "responder chose additional key exchanges without IKE_INTERMEDIATE",
        ));
    }
    let nr = nonce(p).ok_or_else(|| bad("bad nonce"))?;
    let spi_r = msg.header.spi_r;
    if spi_r == [0; 8] {
        return Err(bad("zero responder SPI"));
    }
    let ke = sa.init.ke.as_ref().ok_or_else(|| bad("no KE"))?;
    let shared = ke_finish(ke, &kep.data).map_err(init_err)?;
    let keys =
        derive_ike(&chosen, &sa.init.ni, nr, &shared, &sa.spi_i, &spi_r).map_err(init_err)?;
    // The response is usable: from here on the IKE SA moves on.
    sa.pending = None;
    sa.init.unverified = None;
    sa.spi_r = spi_r;
    sa.init.ke = None;
    sa.init.nr = nr.to_vec();
    sa.keys = Some(keys);
    sa.chosen = Some(chosen);
    sa.peer_frag = find_notify(p, notify::IKEV2_FRAGMENTATION_SUPPORTED).is_some();
    sa.peer_sig_hashes = super::cert::peer_signature_hashes(p);
    detect_nat(sa, p, local, remote, spi_r);
    if sa.profile.force_encap {
        sa.nat.local_behind = true;
    }
    if sa.profile.no_encap && (sa.nat.local_behind || sa.nat.remote_behind) {
        // No port 4500 for us: the attempt ends here, before anything else is sent.
        return Err(InitError::Fatal(Failure::NatWithoutEncapsulation {
            local_behind: sa.nat.local_behind,
        }));
    }
    if sa.local.ip().is_unspecified() {
        sa.local = SocketAddr::new(local.ip(), local.port());
    }
    if sa.nat.local_behind || sa.nat.remote_behind {
        sa.encap = true;
        sa.remote = SocketAddr::new(sa.remote.ip(), NATT_PORT);
    }
    sa.init.init_resp = raw.to_vec();
    sa.init.addke_pending = additional;
    super::intermediate::next(sa, ctx).map_err(fatal)
}

/// Responder: a new IKE_SA_INIT request. Returns the new half-open SA, if any.
#[allow(clippy::too_many_arguments)]
pub(crate) fn respond(
    ctx: &mut Ctx<'_>,
    handle: IkeSaHandle,
    local: SocketAddr,
    remote: SocketAddr,
    msg: &Message,
    raw: &[u8],
    cookies: Option<&CookieJar>,
) -> Option<IkeSa> {
    let p = &msg.payloads;
    let ni = nonce(p)?.to_vec();
    let plain = |payloads: Vec<Payload>| {
        let h = Header::new(
            msg.header.spi_i,
            [0; 8],
            exchange::IKE_SA_INIT,
            crate::wire::Flags {
                initiator: false,
                version: false,
                response: true,
            },
            0,
        );
        Message::new(h, payloads).emit().ok()
    };
    let send = |ctx: &mut Ctx<'_>, bytes: Vec<u8>| {
        let payload = if local.port() == NATT_PORT {
            crate::wire::add_non_esp_marker(&bytes)
        } else {
            bytes
        };
        ctx.transmit(crate::api::Transmit {
            local_ip: Some(local.ip()),
            local_port: local.port(),
            remote,
            payload,
        });
    };
    if let Some(jar) = cookies {
        let ok = find_notify(p, notify::COOKIE)
            .is_some_and(|c| jar.verify(&c.data, &ni, remote, &msg.header.spi_i));
        if !ok {
            let c = jar.make(&ni, remote, &msg.header.spi_i);
            if let Some(b) = plain(vec![notify_p(notify::COOKIE, c)]) {
                send(ctx, b);
            }
            return None;
        }
    }
    let sa_p = sa_payload(p)?;
    let kep = ke_payload(p)?;
    // Choose among all responder configurations.
    let mut found = None;
    for rc in &ctx.cfg().responders {
        let ours = if rc.ike_proposals.is_empty() {
            crate::proposal::default_ike().0
        } else {
            rc.ike_proposals.clone()
        };
        if let Some(x) = nego::select(&ours, sa_p, false, Some(kep.group)) {
            found = Some((rc, x));
            break;
        }
    }
    let Some((rc, (proposal_num, chosen, _))) = found else {
        let ours: Vec<String> = ctx
            .cfg()
            .responders
            .iter()
            .flat_map(|r| nego::describe(&r.ike_proposals))
            .collect();
        let theirs = nego::describe_wire(sa_p);
        if let Some(b) = plain(vec![notify_p(notify::NO_PROPOSAL_CHOSEN, Vec::new())]) {
            send(ctx, b);
        }
        ctx.event(Event::Failed {
            sa: handle,
            failure: Failure::NoProposalChosen {
                phase: Phase::Ike,
                ours,
                theirs: Some(theirs),
            },
        });
        return None;
    };
    let group = chosen.ke.first().copied()?;
    let peer_intermediate = find_notify(p, notify::INTERMEDIATE_EXCHANGE_SUPPORTED).is_some();
    let additional = super::intermediate::additional(&chosen);
    if !additional.is_empty() && !peer_intermediate {
        // RFC 9370 §2.2.1: additional key exchanges need IKE_INTERMEDIATE.
        let failure = Failure::NoProposalChosen {
            phase: Phase::Ike,
            ours: nego::describe(&rc.ike_proposals),
            theirs: Some(vec![
                "(additional key exchanges without INTERMEDIATE_EXCHANGE_SUPPORTED)".into(),
            ]),
        };
        if let Some(b) = plain(vec![notify_p(notify::NO_PROPOSAL_CHOSEN, Vec::new())]) {
            send(ctx, b);
        }
        ctx.event(Event::Failed {
            sa: handle,
            failure,
        });
        return None;
    }
    if kep.group != group {
        if let Some(b) = plain(vec![notify_p(
            notify::INVALID_KE_PAYLOAD,
            group.to_be_bytes().to_vec(),
        )]) {
            send(ctx, b);
        }
        return None;
    }
    let mut profile = Profile::from_responder(rc);
    if profile.ike_proposals.is_empty() {
        profile.ike_proposals = crate::proposal::default_ike().0;
    }
    if profile.esp_proposals.is_empty() {
        profile.esp_proposals = crate::proposal::default_esp().0;
    }
    let mut sa = new_sa(handle, false, Arc::new(profile), local, remote, ctx.now());
    sa.state = IkeState::AuthPending;
    sa.spi_i = msg.header.spi_i;
    sa.spi_r = ctx.random_spi8().ok()?;
    sa.init.ni = ni;
    sa.init.nr = ctx.random(NONCE_LEN).ok()?;
    let (ke, public) = ke_start(ctx, group).ok()?;
    let shared = ke_finish(&ke, &kep.data).ok()?;
    let keys = derive_ike(
        &chosen,
        &sa.init.ni,
        &sa.init.nr,
        &shared,
        &sa.spi_i,
        &sa.spi_r,
    )
    .ok()?;
    detect_nat(&mut sa, p, local, remote, [0; 8]);
    sa.peer_frag = find_notify(p, notify::IKEV2_FRAGMENTATION_SUPPORTED).is_some();
    sa.encap = local.port() == NATT_PORT;
    let mut payloads = vec![
        Payload::Sa(nego::chosen_to_wire(&chosen, proposal_num, &[])),
        Payload::Ke(KePayload {
            group,
            data: public,
        }),
        Payload::Nonce(NoncePayload {
            data: sa.init.nr.clone(),
        }),
    ];
    payloads.extend(nat_notifies(&sa, ctx, local, remote).ok()?);
    if sa.profile.fragmentation != Fragmentation::No {
        payloads.push(notify_p(notify::IKEV2_FRAGMENTATION_SUPPORTED, Vec::new()));
    }
    if peer_intermediate {
        payloads.push(notify_p(
            notify::INTERMEDIATE_EXCHANGE_SUPPORTED,
            Vec::new(),
        ));
    }
    sa.init.addke_pending = additional;
    if ctx.cfg().send_signature_hashes {
        payloads.push(super::cert::signature_hashes_notify());
    }
    // Ask for certificates from the CAs any responder configuration trusts.
    let anchors: Vec<Vec<u8>> = ctx
        .cfg()
        .responders
        .iter()
        .filter_map(|r| match &r.remote_auth {
            crate::api::RemoteAuth::Certificate { trust_anchors, .. } => Some(trust_anchors),
            crate::api::RemoteAuth::Psk(_) | crate::api::RemoteAuth::Eap(_) => None,
        })
        .flatten()
        .cloned()
        .collect();
    payloads.extend(super::cert::certreq(&anchors));
    sa.peer_sig_hashes = super::cert::peer_signature_hashes(p);
    sa.keys = Some(keys);
    sa.chosen = Some(chosen);
    let bytes = sa
        .encode_plain(exchange::IKE_SA_INIT, true, 0, payloads)
        .ok()?;
    sa.init.init_req = raw.to_vec();
    sa.init.init_resp = bytes.clone();
    send(ctx, bytes.clone());
    sa.cached = Some(CachedResponse {
        msg_id: 0,
        datagrams: vec![bytes],
    });
    sa.peer_next = 1;
    sa.expire = Some(ctx.now() + ctx.cfg().half_open_timeout);
    Some(sa)
}
