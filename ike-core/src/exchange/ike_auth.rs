//! IKE_AUTH (RFC 7296 §1.2, §2.15): identities, PSK authentication, the first Child SA,
//! configuration payload.

use crate::api::{AuthBy, Event, Failure, Identity, IkeError, LocalAuth, Mode, Phase, RemoteAuth};
use crate::crypto;
use crate::ctx::Ctx;
use crate::ids::{auth_method, exchange, notify};
use crate::sa::child_sa::{AcceptedChild, ChildSa, PendingChild};
use crate::sa::keys::ChildKeys;
use crate::sa::{IkeSa, IkeState, ReqKind};
use crate::wire::{AuthPayload, IdPayload, NotifyPayload, Payload, TsPayload};

use super::msg::{find_notify, first_notify_error, narrow_both, narrow_ts, sa_payload, ts_within};
use super::{cert, cp, nego};

pub(crate) fn id_payload(id: &Identity) -> IdPayload {
    IdPayload {
        id_type: id.id_type(),
        data: id.data(),
    }
}

/// InitiatorSignedOctets / ResponderSignedOctets for `initiator_side` (whose ID is `id`):
/// its first message | the other side's nonce | prf(SK_p, ID').
pub(crate) fn signed_octets(
    sa: &IkeSa,
    initiator_side: bool,
    id: &IdPayload,
) -> Result<Vec<u8>, IkeError> {
    let keys = sa.keys.as_ref().ok_or_else(|| IkeError::state("no keys"))?;
    let (msg, nonce) = if initiator_side {
        (&sa.init.init_req, &sa.init.nr)
    } else {
        (&sa.init.init_resp, &sa.init.ni)
    };
    let mut octets = crypto::auth::signed_octets(
        crypto::default_provider(),
        keys.suite.prf,
        msg,
        nonce,
        keys.sk_p(initiator_side),
        &id.auth_octets(),
    )
    .map_err(IkeError::from)?;
    // RFC 9242 §3.3.2: IntAuth after the IKE_INTERMEDIATE exchanges, if any.
    octets.extend_from_slice(&super::intermediate::int_auth_suffix(sa));
    Ok(octets)
}

/// PSK AUTH value for `initiator_side` (whose ID is `id`).
fn psk_auth(
    sa: &IkeSa,
    initiator_side: bool,
    id: &IdPayload,
    psk: &[u8],
) -> Result<Vec<u8>, IkeError> {
    let keys = sa.keys.as_ref().ok_or_else(|| IkeError::state("no keys"))?;
    let octets = signed_octets(sa, initiator_side, id)?;
    crypto::auth::psk_auth(crypto::default_provider(), keys.suite.prf, psk, &octets)
        .map(|s| s.as_bytes().to_vec())
        .map_err(IkeError::from)
}

fn our_auth(sa: &IkeSa, ctx: &Ctx<'_>, id: &IdPayload) -> Result<AuthPayload, IkeError> {
    match &sa.profile.local_auth {
        LocalAuth::Psk(psk) => Ok(AuthPayload {
            method: auth_method::PSK,
            data: psk_auth(sa, sa.initiator, id, psk.expose())?,
        }),
        LocalAuth::Certificate { chain, key } => {
            let k = cert::load_key(chain, key.expose())?;
            let octets = signed_octets(sa, sa.initiator, id)?;
            cert::sign(
                k.as_ref(),
                sa.peer_sig_hashes.as_deref(),
                ctx.cfg().prefer_rsa_pss,
                &octets,
            )
        }
        // Only the AUTH after EAP (exchange/eap.rs) proves who we are.
        LocalAuth::Eap(_) => Err(IkeError::state("no AUTH before EAP")),
    }
}

/// Our CERT payloads (certificate authentication only).
fn our_certs(sa: &IkeSa) -> Vec<Payload> {
    match &sa.profile.local_auth {
        LocalAuth::Certificate { chain, .. } => cert::cert_payloads(chain),
        LocalAuth::Psk(_) | LocalAuth::Eap(_) => Vec::new(),
    }
}

pub(crate) fn verify_peer(
    sa: &IkeSa,
    ctx: &Ctx<'_>,
    id: &IdPayload,
    auth: &AuthPayload,
    p: &[Payload],
) -> Result<Option<String>, Failure> {
    let failed = |detail: String| Failure::AuthenticationFailed {
        by: AuthBy::Us,
        detail,
    };
    match &sa.profile.remote_auth {
        RemoteAuth::Psk(psk) => {
            if auth.method != auth_method::PSK {
                return Err(failed(format!(
                    "peer used auth method {}, expected PSK",
                    auth.method
                )));
            }
            let keys = sa
                .keys
                .as_ref()
                .ok_or_else(|| Failure::from(IkeError::state("no keys")))?;
            let octets = signed_octets(sa, !sa.initiator, id)?;
            crypto::auth::verify_psk_auth(
                crypto::default_provider(),
                keys.suite.prf,
                psk.expose(),
                &octets,
                &auth.data,
            )
            .map(|()| None)
            .map_err(|_| failed("pre-shared key mismatch".to_string()))
        }
        RemoteAuth::Certificate {
            trust_anchors,
            require_id_match,
            peer_name,
            revocation,
        } => {
            let configured_id = sa.profile.remote_id.is_some();
            if sa.initiator && !configured_id && peer_name.is_none() {
                // Any certificate from any trusted CA would do: refuse.
                return Err(failed(
                    "neither the peer's identity nor its name is configured, so its \
                     certificate cannot be checked"
                        .into(),
                ));
            }
            let octets = signed_octets(sa, !sa.initiator, id)?;
            let peer = Identity::from_wire(id.id_type, &id.data);
            // Without a configured identity, the name check decides and the identity the
            // peer sends is informational only.
            let id_check = *require_id_match && (configured_id || peer_name.is_none());
            cert::verify_peer(
                p,
                &cert::CertChecks {
                    id: Some((peer.as_ref(), id_check)),
                    name: peer_name.as_ref(),
                    revocation,
                },
                trust_anchors,
                cert::unix_now(ctx)?,
                auth,
                &octets,
            )
        }
        // A responder's EAP users authenticate through exchange/eap.rs, never with an AUTH
        // of their own; an initiator cannot ask EAP of its responder.
        RemoteAuth::Eap(_) => Err(failed(
            "an AUTH payload came where EAP authentication is required".into(),
        )),
    }
}

/// Reports a peer certificate accepted without a complete revocation check.
fn report_unchecked(sa: &IkeSa, ctx: &mut Ctx<'_>, unchecked: Option<String>) {
    if let Some(detail) = unchecked {
        ctx.event(Event::RevocationUnchecked {
            sa: sa.handle,
            detail,
        });
    }
}

/// Initiator: after IKE_SA_INIT, allocate the Child SA's SPI, then send IKE_AUTH.
pub(crate) fn start(sa: &mut IkeSa, ctx: &mut Ctx<'_>) -> Result<(), IkeError> {
    sa.state = IkeState::WaitSpi;
    let request = ctx.next_request();
    ctx.kernel(crate::api::KernelOp::AllocateSpi {
        request,
        src: sa.remote.ip(),
        dst: sa.local.ip(),
    });
    sa.pending_child = Some(PendingChild {
        request: Some(request),
        spi_in: None,
        answer_msg_id: None,
        accepted: None,
    });
    Ok(())
}

/// Initiator: the SPI arrived; send IKE_AUTH.
pub(crate) fn send_request(sa: &mut IkeSa, ctx: &mut Ctx<'_>, spi: u32) -> Result<(), IkeError> {
    sa.init.auth_mid = sa.next_msg_id;
    let id = id_payload(&sa.profile.local_id);
    // With EAP the first IKE_AUTH request has no AUTH (RFC 7296 §2.16).
    let eap = matches!(sa.profile.local_auth, LocalAuth::Eap(_));
    let auth = if eap {
        None
    } else {
        Some(our_auth(sa, ctx, &id)?)
    };
    let mut p = vec![Payload::IdI(id)];
    p.extend(our_certs(sa));
    if let RemoteAuth::Certificate { trust_anchors, .. } = &sa.profile.remote_auth {
        p.extend(cert::certreq(trust_anchors));
    }
    if let Some(r) = &sa.profile.remote_id {
        p.push(Payload::IdR(id_payload(r)));
    }
    p.extend(auth.map(Payload::Auth));
    super::mobike::offer(sa, &mut p);
    if sa.profile.request.any() {
        p.push(Payload::Cp(cp::request(&sa.profile.request)));
    }
    if sa.profile.mode == Mode::Transport {
        p.push(Payload::Notify(NotifyPayload::new(
            notify::USE_TRANSPORT_MODE,
            Vec::new(),
        )));
    }
    p.push(Payload::Sa(nego::to_wire(
        &sa.profile.esp_proposals,
        &spi.to_be_bytes(),
        true,
    )));
    p.push(Payload::TsI(TsPayload {
        selectors: sa.profile.local_ts.clone(),
    }));
    p.push(Payload::TsR(TsPayload {
        selectors: sa.profile.remote_ts.clone(),
    }));
    sa.state = IkeState::AuthPending;
    sa.start_request(ctx, ReqKind::IkeAuth, exchange::IKE_AUTH, &p)
}

fn ts_of(p: &[Payload], initiator: bool) -> Option<&TsPayload> {
    p.iter().find_map(|x| match (x, initiator) {
        (Payload::TsI(t), true) | (Payload::TsR(t), false) => Some(t),
        _ => None,
    })
}

pub(crate) fn report_up(sa: &mut IkeSa, ctx: &mut Ctx<'_>) {
    sa.state = IkeState::Established;
    sa.expire = None;
    sa.up_reported = true;
    // The EAP key (MSK) is not needed once both AUTH payloads are through.
    sa.eap = None;
    super::create_child::schedule_ike_lifetime(sa, ctx);
    ctx.event(Event::IkeSaUp {
        sa: sa.handle,
        name: sa.profile.name.clone(),
        proposal: sa
            .chosen
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        local: sa.local,
        remote: sa.remote,
        nat: sa.nat,
        encap: sa.encap,
        remote_id: sa
            .remote_id
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
    });
}

/// Initiator: the IKE_AUTH response.
pub(crate) fn on_response(sa: &mut IkeSa, ctx: &mut Ctx<'_>, p: &[Payload]) -> Result<(), Failure> {
    if matches!(sa.profile.local_auth, LocalAuth::Eap(_)) {
        return match super::eap::client_response(sa, ctx, p)? {
            super::eap::Step::Pending => Ok(()),
            super::eap::Step::Authenticated => finish_initiator(sa, ctx, p),
        };
    }
    let (_, peer) = check_responder(sa, ctx, p)?;
    sa.remote_id = peer;
    finish_initiator(sa, ctx, p)
}

/// Initiator: the responder's IDr and AUTH (its identity as configured, its proof verified);
/// returns the IDr and the identity in it.
pub(crate) fn check_responder(
    sa: &IkeSa,
    ctx: &mut Ctx<'_>,
    p: &[Payload],
) -> Result<(IdPayload, Option<Identity>), Failure> {
    if find_notify(p, notify::AUTHENTICATION_FAILED).is_some() {
        return Err(Failure::AuthenticationFailed {
            by: AuthBy::Peer,
            detail: "peer sent AUTHENTICATION_FAILED".into(),
        });
    }
    let idr = p.iter().find_map(|x| match x {
        Payload::IdR(i) => Some(i),
        _ => None,
    });
    let auth = p.iter().find_map(|x| match x {
        Payload::Auth(a) => Some(a),
        _ => None,
    });
    let (Some(idr), Some(auth)) = (idr, auth) else {
        if let Some(n) = first_notify_error(p) {
            return Err(Failure::PeerNotify {
                notify_type: n.notify_type,
                exchange: exchange::IKE_AUTH,
            });
        }
        return Err(Failure::ProtocolError(
            "IKE_AUTH response without IDr/AUTH".into(),
        ));
    };
    let peer = Identity::from_wire(idr.id_type, &idr.data);
    if let Some(want) = &sa.profile.remote_id {
        if !peer.as_ref().is_some_and(|p| want.matches(p)) {
            return Err(Failure::AuthenticationFailed {
                by: AuthBy::Us,
                detail: format!(
                    "peer identity {} does not match {want}",
                    peer.map(|p| p.to_string()).unwrap_or_default()
                ),
            });
        }
    }
    let unchecked = verify_peer(sa, ctx, idr, auth, p)?;
    report_unchecked(sa, ctx, unchecked);
    Ok((idr.clone(), peer))
}

/// Initiator: the IKE SA is authenticated; the rest of the last IKE_AUTH response (the
/// configuration payload and the first Child SA).
fn finish_initiator(sa: &mut IkeSa, ctx: &mut Ctx<'_>, p: &[Payload]) -> Result<(), Failure> {
    // MOBIKE_SUPPORTED comes in the response that completes IKE_AUTH (after EAP too).
    super::mobike::on_auth_response(sa, p);
    report_up(sa, ctx);
    super::reauth::on_auth_lifetime(sa, ctx, p);
    // The first Child SA.
    if let Some(n) = first_notify_error(p) {
        let f = child_failure(sa, n.notify_type, None);
        return Err(f);
    }
    if let Some(c) = p.iter().find_map(|x| match x {
        Payload::Cp(c) => Some(c),
        _ => None,
    }) {
        let config = cp::parse_reply(c);
        sa.assigned = crate::sa::reauth::addresses(&config);
        ctx.event(Event::ConfigReceived {
            sa: sa.handle,
            config,
        });
    }
    let spi_in = sa
        .pending_child
        .as_ref()
        .and_then(|c| c.spi_in)
        .ok_or_else(|| IkeError::state("no SPI"))?;
    sa.pending_child = None;
    let sa_p = sa_payload(p).ok_or_else(|| Failure::ProtocolError("no SA payload".into()))?;
    let (chosen, spi) = nego::verify(&sa.profile.esp_proposals, sa_p, true)
        .ok_or_else(|| Failure::ProtocolError("responder chose an invalid ESP proposal".into()))?;
    let spi_out = u32::from_be_bytes(
        <[u8; 4]>::try_from(spi.as_slice())
            .map_err(|_| Failure::ProtocolError("bad ESP SPI".into()))?,
    );
    let tsi = ts_of(p, true)
        .map(|t| t.selectors.clone())
        .unwrap_or_default();
    let tsr = ts_of(p, false)
        .map(|t| t.selectors.clone())
        .unwrap_or_default();
    let ok = if sa.profile.narrowing {
        ts_within(&sa.profile.local_ts, &sa.profile.remote_ts, &tsi, &tsr)
    } else {
        tsi == sa.profile.local_ts && tsr == sa.profile.remote_ts
    };
    if !ok {
        return Err(Failure::TsUnacceptable);
    }
    let mode = if find_notify(p, notify::USE_TRANSPORT_MODE).is_some() {
        Mode::Transport
    } else {
        Mode::Tunnel
    };
    if mode != sa.profile.mode {
        return Err(Failure::ProtocolError(
            "peer did not accept the IPsec mode".into(),
        ));
    }
    let keys = sa.keys.as_ref().ok_or_else(|| IkeError::state("no keys"))?;
    let mut ck = keys.child_keys(&chosen, None, &sa.init.ni, &sa.init.nr)?;
    ck.initiator = true;
    install_child(sa, ctx, chosen, spi_in, spi_out, tsi, tsr, mode, &ck);
    Ok(())
}

pub(crate) fn child_failure(sa: &IkeSa, ty: u16, theirs: Option<Vec<String>>) -> Failure {
    match ty {
        notify::NO_PROPOSAL_CHOSEN => Failure::NoProposalChosen {
            phase: Phase::Child,
            ours: nego::describe(&sa.profile.esp_proposals),
            theirs,
        },
        notify::TS_UNACCEPTABLE => Failure::TsUnacceptable,
        notify::INTERNAL_ADDRESS_FAILURE => Failure::InternalAddressFailure,
        notify::FAILED_CP_REQUIRED => Failure::FailedCpRequired,
        notify::AUTHENTICATION_FAILED => Failure::AuthenticationFailed {
            by: AuthBy::Peer,
            detail: "peer sent AUTHENTICATION_FAILED".into(),
        },
        t => Failure::PeerNotify {
            notify_type: t,
            exchange: exchange::IKE_AUTH,
        },
    }
}

/// Installs a Child SA and reports it.
#[allow(clippy::too_many_arguments)]
pub(crate) fn install_child(
    sa: &mut IkeSa,
    ctx: &mut Ctx<'_>,
    proposal: crate::proposal::Proposal,
    spi_in: u32,
    spi_out: u32,
    tsi: Vec<crate::wire::TrafficSelector>,
    tsr: Vec<crate::wire::TrafficSelector>,
    mode: Mode,
    keys: &ChildKeys,
) {
    let (local_ts, remote_ts) = if sa.initiator { (tsi, tsr) } else { (tsr, tsi) };
    // A reauthentication's Child SA with the old one's selectors takes over its reqid and
    // policies (handed over when the old IKE SA goes).
    let reused = super::reauth::reused_reqid(sa, &local_ts, &remote_ts);
    let reqid = reused.unwrap_or_else(|| ctx.next_reqid());
    let encap = sa.encap.then(|| crate::api::UdpEncap {
        sport: sa.local_port(),
        dport: sa.remote.port(),
    });
    let esn = proposal.esn.first() == Some(&crate::ids::esn::YES);
    let child = ChildSa {
        name: sa.profile.child_name.clone(),
        reqid,
        spi_in,
        spi_out,
        proposal,
        local_ts,
        remote_ts,
        mode,
        local: sa.local.ip(),
        remote: sa.remote.ip(),
        encap,
        owns_policies: reused.is_none(),
        rekeyed: false,
        deleting: false,
        rekeying: false,
        our_rekey: None,
        peer_rekey: None,
        held_out: None,
    };
    child.install(ctx, keys, &sa.profile.child_limits(), esn, reused.is_none());
    ctx.event(child.up_event(sa.handle));
    sa.children.push(child);
}

/// Responder: the IKE_AUTH request.
pub(crate) fn on_request(
    sa: &mut IkeSa,
    ctx: &mut Ctx<'_>,
    msg_id: u32,
    p: &[Payload],
) -> Result<(), Failure> {
    if sa.eap.is_some() {
        return super::eap::server_request(sa, ctx, msg_id, p);
    }
    let idi = p.iter().find_map(|x| match x {
        Payload::IdI(i) => Some(i),
        _ => None,
    });
    let auth = p.iter().find_map(|x| match x {
        Payload::Auth(a) => Some(a),
        _ => None,
    });
    let Some(idi) = idi else {
        return Err(Failure::ProtocolError("IKE_AUTH without IDi".into()));
    };
    sa.init.auth_mid = msg_id;
    let peer = Identity::from_wire(idi.id_type, &idi.data);
    // Select the responder configuration by the initiator's identity.
    let chosen_cfg = ctx
        .cfg()
        .responders
        .iter()
        .find(|r| match (&r.remote_id, &peer) {
            (None, _) => true,
            (Some(w), Some(p)) => w.matches(p),
            _ => false,
        });
    let fail_auth = |sa: &mut IkeSa, ctx: &mut Ctx<'_>, failure: Failure| {
        let n = Payload::Notify(NotifyPayload::new(
            notify::AUTHENTICATION_FAILED,
            Vec::new(),
        ));
        super::dispatch::answer(sa, ctx, exchange::IKE_AUTH, msg_id, &[n]);
        failure
    };
    let Some(rc) = chosen_cfg else {
        let d = format!(
            "no connection for identity {}",
            peer.map(|p| p.to_string()).unwrap_or_default()
        );
        return Err(fail_auth(
            sa,
            ctx,
            Failure::AuthenticationFailed {
                by: AuthBy::Us,
                detail: d,
            },
        ));
    };
    let mut profile = crate::sa::profile::Profile::from_responder(rc);
    if profile.esp_proposals.is_empty() {
        profile.esp_proposals = crate::proposal::default_esp().0;
    }
    profile.ike_proposals.clone_from(&sa.profile.ike_proposals);
    sa.profile = std::sync::Arc::new(profile);
    super::mobike::on_auth_request(sa, p);
    let Some(auth) = auth else {
        // No AUTH: the initiator asks for EAP (RFC 7296 §2.16), if we ask it of them.
        if matches!(sa.profile.remote_auth, RemoteAuth::Eap(_)) {
            sa.remote_id = peer;
            return super::eap::server_start(sa, ctx, msg_id, p);
        }
        return Err(fail_auth(
            sa,
            ctx,
            Failure::ProtocolError("IKE_AUTH without AUTH".into()),
        ));
    };
    match verify_peer(sa, ctx, idi, auth, p) {
        Ok(unchecked) => report_unchecked(sa, ctx, unchecked),
        // Our own fault (no wall clock, a crypto failure): not the peer's authentication
        // failing, so no AUTHENTICATION_FAILED is sent for it.
        Err(f @ Failure::Local { .. }) => return Err(f),
        Err(f) => return Err(fail_auth(sa, ctx, f)),
    }
    sa.remote_id = peer;
    accept_child(sa, ctx, msg_id, p)
}

/// Responder: the initiator is authenticated; negotiate the first Child SA and the
/// configuration payload of its IKE_AUTH request `p`, then answer (once the SPI is there).
pub(crate) fn accept_child(
    sa: &mut IkeSa,
    ctx: &mut Ctx<'_>,
    msg_id: u32,
    p: &[Payload],
) -> Result<(), Failure> {
    // Child SA negotiation.
    let mut child_err: Option<(u16, Option<Vec<String>>)> = None;
    let mut accepted = None;
    let cp_req = p.iter().find_map(|x| match x {
        Payload::Cp(c) => Some(c),
        _ => None,
    });
    let mut cp_reply = None;
    if let Some(c) = cp_req {
        let peer_text = sa
            .remote_id
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default();
        match cp::serve(ctx.leases(), sa.handle, &peer_text, &sa.profile.serve, c) {
            Ok(r) => cp_reply = Some(r),
            Err(e) => {
                child_err = Some((e.notify().unwrap_or(notify::INTERNAL_ADDRESS_FAILURE), None));
            }
        }
    }
    if child_err.is_none() {
        match sa_payload(p) {
            None => child_err = Some((notify::NO_PROPOSAL_CHOSEN, None)),
            Some(sa_p) => match nego::select(&sa.profile.esp_proposals, sa_p, true, None) {
                None => {
                    child_err = Some((notify::NO_PROPOSAL_CHOSEN, Some(nego::describe_wire(sa_p))))
                }
                Some((num, chosen, spi)) => {
                    let peer_spi = <[u8; 4]>::try_from(spi.as_slice()).map(u32::from_be_bytes);
                    let (mut tsi, tsr) = narrow_both(
                        &ts_of(p, true)
                            .map(|t| t.selectors.clone())
                            .unwrap_or_default(),
                        &ts_of(p, false)
                            .map(|t| t.selectors.clone())
                            .unwrap_or_default(),
                        &sa.profile.local_ts,
                        &sa.profile.remote_ts,
                    )
                    .unwrap_or_default();
                    // "Dynamic" TSi: a client that received virtual addresses only gets
                    // traffic to and from them (as strongSwan narrows it).
                    if let Some(c) = &cp_reply {
                        let hosts = cp::assigned_hosts(c);
                        if !hosts.is_empty() {
                            tsi = narrow_ts(&tsi, &hosts);
                        }
                    }
                    let transport = find_notify(p, notify::USE_TRANSPORT_MODE).is_some();
                    if peer_spi.is_err() {
                        child_err = Some((notify::INVALID_SYNTAX, None));
                    } else if tsi.is_empty() || tsr.is_empty() {
                        child_err = Some((notify::TS_UNACCEPTABLE, None));
                    } else {
                        let mode = if transport && sa.profile.allow_transport {
                            Mode::Transport
                        } else {
                            Mode::Tunnel
                        };
                        accepted = Some(AcceptedChild {
                            proposal: chosen,
                            proposal_num: num,
                            peer_spi: peer_spi.unwrap_or(0),
                            tsi,
                            tsr,
                            mode,
                        });
                    }
                }
            },
        }
    }
    if let Some(acc) = accepted {
        // Wait for the inbound SPI before answering.
        let request = ctx.next_request();
        ctx.kernel(crate::api::KernelOp::AllocateSpi {
            request,
            src: sa.remote.ip(),
            dst: sa.local.ip(),
        });
        sa.state = IkeState::AuthRespWaitSpi;
        sa.pending_child = Some(PendingChild {
            request: Some(request),
            spi_in: None,
            answer_msg_id: Some(msg_id),
            accepted: Some(acc),
        });
        sa.pending_cp = cp_reply;
        return Ok(());
    }
    // Authenticated, but no Child SA.
    let mut out = response_head_with_lifetime(sa, ctx)?;
    if let Some((ty, theirs)) = child_err {
        out.push(Payload::Notify(NotifyPayload::new(ty, Vec::new())));
        sa.respond(ctx, exchange::IKE_AUTH, msg_id, &out)?;
        report_up(sa, ctx);
        let f = child_failure(sa, ty, theirs);
        ctx.event(Event::ExchangeFailed {
            sa: sa.handle,
            failure: f,
        });
    }
    Ok(())
}

pub(crate) fn our_response_head(sa: &IkeSa, ctx: &Ctx<'_>) -> Result<Vec<Payload>, Failure> {
    // After EAP, the last answer carries only the AUTH made with the EAP key.
    if let Some(auth) = super::eap::server_final_auth(sa)? {
        return Ok(vec![Payload::Auth(auth)]);
    }
    let id = id_payload(&sa.profile.local_id);
    let auth = our_auth(sa, ctx, &id)?;
    let mut out = vec![Payload::IdR(id)];
    out.extend(our_certs(sa));
    out.push(Payload::Auth(auth));
    Ok(out)
}

/// The responder's IKE_AUTH answer head with the AUTH_LIFETIME it asks for (RFC 4478).
fn response_head_with_lifetime(sa: &mut IkeSa, ctx: &Ctx<'_>) -> Result<Vec<Payload>, Failure> {
    let mut out = our_response_head(sa, ctx)?;
    out.extend(super::reauth::responder_notify(sa, ctx));
    if sa.mobike {
        out.push(Payload::Notify(NotifyPayload::new(
            notify::MOBIKE_SUPPORTED,
            Vec::new(),
        )));
    }
    Ok(out)
}

/// Responder: the Child SA's SPI arrived; answer IKE_AUTH and install.
pub(crate) fn finish_response(
    sa: &mut IkeSa,
    ctx: &mut Ctx<'_>,
    spi_in: u32,
) -> Result<(), Failure> {
    let pc = sa
        .pending_child
        .take()
        .ok_or_else(|| IkeError::state("no pending child"))?;
    let (Some(acc), Some(msg_id)) = (pc.accepted, pc.answer_msg_id) else {
        return Err(IkeError::state("no accepted child").into());
    };
    let mut out = response_head_with_lifetime(sa, ctx)?;
    if let Some(c) = sa.pending_cp.take() {
        out.push(Payload::Cp(c));
    }
    if acc.mode == Mode::Transport {
        out.push(Payload::Notify(NotifyPayload::new(
            notify::USE_TRANSPORT_MODE,
            Vec::new(),
        )));
    }
    out.push(Payload::Sa(nego::chosen_to_wire(
        &acc.proposal,
        acc.proposal_num,
        &spi_in.to_be_bytes(),
    )));
    out.push(Payload::TsI(TsPayload {
        selectors: acc.tsi.clone(),
    }));
    out.push(Payload::TsR(TsPayload {
        selectors: acc.tsr.clone(),
    }));
    sa.respond(ctx, exchange::IKE_AUTH, msg_id, &out)?;
    report_up(sa, ctx);
    let keys = sa.keys.as_ref().ok_or_else(|| IkeError::state("no keys"))?;
    let mut ck = keys.child_keys(&acc.proposal, None, &sa.init.ni, &sa.init.nr)?;
    ck.initiator = false;
    install_child(
        sa,
        ctx,
        acc.proposal,
        spi_in,
        acc.peer_spi,
        acc.tsi,
        acc.tsr,
        acc.mode,
        &ck,
    );
    Ok(())
}
