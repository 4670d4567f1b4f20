//! EAP inside IKE_AUTH (RFC 7296 §2.16): the initiator authenticates with a user name and
//! password, the responder with its certificate.
//!
//! ```text
//! Initiator                              Responder
//! IDi, [CERTREQ], [IDr], CP, SA, TS  →               (no AUTH: EAP is asked for)
//!                                    ←   IDr, CERT, AUTH (signature), EAP request
//! EAP response                       →
//!   …                                ←   EAP request … EAP-Success (or EAP-Failure)
//! AUTH (key: MSK, or SK_pi)          →
//!                                    ←   AUTH (key: MSK, or SK_pr), CP, SA, TS
//! ```
//!
//! An EAP-Success before the method proved itself (MS-CHAPv2: the server's authenticator
//! response; GTC: our answer) is refused (CVE-2021-45079's early success).

use crate::api::{AuthBy, EapMethod, Failure, IkeError, LocalAuth, RemoteAuth};
use crate::crypto;
use crate::ctx::Ctx;
use crate::ids::{auth_method, exchange, notify};
use crate::sa::eap::EapState;
use crate::sa::{IkeSa, ReqKind};
use crate::wire::{AuthPayload, EapPayload, IdPayload, NotifyPayload, Payload};
use zeroize::Zeroize;

use super::eap_method::{self, ServerNext};
use super::ike_auth::{self, id_payload, signed_octets};
use super::msg::{find_notify, first_notify_error};

/// EAP codes beyond Request and Response (RFC 3748 §4).
const SUCCESS: u8 = 3;
const FAILURE: u8 = 4;
/// EAP types (RFC 3748 §5).
const IDENTITY: u8 = 1;
const NOTIFICATION: u8 = 2;
const NAK: u8 = 3;

/// Where an initiator's EAP stands after a response.
pub(crate) enum Step {
    /// Another IKE_AUTH request went out.
    Pending,
    /// The responder's final AUTH is verified: the IKE SA is authenticated.
    Authenticated,
}

fn state(sa: &mut IkeSa) -> Result<&mut EapState, Failure> {
    sa.eap
        .as_deref_mut()
        .ok_or_else(|| IkeError::state("no EAP state").into())
}

/// AUTH of the `initiator_side` (whose ID payload is `id`) with the EAP key: the MSK, or
/// SK_pi / SK_pr for a method without one.
fn eap_auth(sa: &IkeSa, initiator_side: bool, id: &IdPayload) -> Result<Vec<u8>, IkeError> {
    let keys = sa.keys.as_ref().ok_or_else(|| IkeError::state("no keys"))?;
    let st = sa.eap.as_ref().ok_or_else(|| IkeError::state("no EAP"))?;
    let octets = signed_octets(sa, initiator_side, id)?;
    let key = match &st.msk {
        Some(m) => m.as_bytes(),
        None => keys.sk_p(initiator_side).as_bytes(),
    };
    crypto::auth::psk_auth(crypto::default_provider(), keys.suite.prf, key, &octets)
        .map(|s| s.as_bytes().to_vec())
        .map_err(IkeError::from)
}

fn auth_matches(sa: &IkeSa, initiator_side: bool, id: &IdPayload, auth: &AuthPayload) -> bool {
    auth.method == auth_method::PSK
        && eap_auth(sa, initiator_side, id).is_ok_and(|want| {
            use subtle::ConstantTimeEq;
            want.len() == auth.data.len() && bool::from(want.ct_eq(&auth.data))
        })
}

fn find_auth(p: &[Payload]) -> Option<&AuthPayload> {
    p.iter().find_map(|x| match x {
        Payload::Auth(a) => Some(a),
        _ => None,
    })
}

fn find_eap(p: &[Payload]) -> Option<&EapPayload> {
    p.iter().find_map(|x| match x {
        Payload::Eap(e) => Some(e),
        _ => None,
    })
}

/// Initiator: an IKE_AUTH response while EAP runs.
pub(crate) fn client_response(
    sa: &mut IkeSa,
    ctx: &mut Ctx<'_>,
    p: &[Payload],
) -> Result<Step, Failure> {
    let LocalAuth::Eap(creds) = &sa.profile.local_auth else {
        return Err(IkeError::state("not an EAP connection").into());
    };
    let creds = creds.clone();
    let method = creds.method;
    if sa.eap.is_none() {
        // The first answer: the gateway's identity and its certificate's proof.
        let (idr, peer) = ike_auth::check_responder(sa, ctx, p)?;
        sa.remote_id = peer;
        sa.eap = Some(Box::new(EapState {
            peer_id: Some(idr),
            ..EapState::default()
        }));
    } else if find_notify(p, notify::AUTHENTICATION_FAILED).is_some() {
        let st = state(sa)?;
        return Err(if st.succeeded {
            Failure::AuthenticationFailed {
                by: AuthBy::Peer,
                detail: "the gateway refused our AUTH after EAP".into(),
            }
        } else {
            Failure::EapRefused {
                method: method.name(),
                detail: st.refused.clone().unwrap_or_default(),
            }
        });
    }
    if state(sa)?.succeeded {
        // The last answer: the gateway's AUTH made with the EAP key.
        let auth = find_auth(p).ok_or_else(|| {
            Failure::ProtocolError("the IKE_AUTH answer after EAP has no AUTH".into())
        })?;
        let idr = state(sa)?
            .peer_id
            .clone()
            .ok_or_else(|| IkeError::state("no IDr"))?;
        if !auth_matches(sa, false, &idr, auth) {
            return Err(Failure::AuthenticationFailed {
                by: AuthBy::Us,
                detail: "the gateway's AUTH after EAP does not match the EAP key".into(),
            });
        }
        return Ok(Step::Authenticated);
    }
    let Some(eap) = find_eap(p) else {
        if let Some(n) = first_notify_error(p) {
            return Err(Failure::PeerNotify {
                notify_type: n.notify_type,
                exchange: exchange::IKE_AUTH,
            });
        }
        return Err(Failure::ProtocolError(
            "the gateway's IKE_AUTH answer has no EAP payload".into(),
        ));
    };
    match eap.code {
        EapPayload::REQUEST => {
            let (eap_type, mut data) = match eap.eap_type.unwrap_or(0) {
                IDENTITY => (IDENTITY, creds.user.as_bytes().to_vec()),
                NOTIFICATION => (NOTIFICATION, Vec::new()),
                t if t == method.eap_type() => match method {
                    EapMethod::MsChapV2 => {
                        let st = sa
                            .eap
                            .as_deref_mut()
                            .ok_or_else(|| IkeError::state("EAP"))?;
                        (t, eap_method::mschapv2_peer(st, ctx, &creds, &eap.data)?)
                    }
                    EapMethod::Gtc => {
                        state(sa)?.answered = true;
                        (t, creds.password.expose().to_vec())
                    }
                    EapMethod::Md5 => {
                        let st = sa
                            .eap
                            .as_deref_mut()
                            .ok_or_else(|| IkeError::state("EAP"))?;
                        (
                            t,
                            eap_method::md5_peer(st, &creds, eap.identifier, &eap.data)?,
                        )
                    }
                },
                // Another method: say which one we do (legacy Nak, RFC 3748 §5.3.1).
                t if t > NAK => (NAK, vec![method.eap_type()]),
                _ => return Err(Failure::ProtocolError("unexpected EAP request type".into())),
            };
            let mut out = vec![Payload::Eap(EapPayload {
                code: EapPayload::RESPONSE,
                identifier: eap.identifier,
                eap_type: Some(eap_type),
                data: core::mem::take(&mut data),
            })];
            let r = sa.start_request(ctx, ReqKind::IkeAuth, exchange::IKE_AUTH, &out);
            // A GTC answer is the password itself.
            if let Some(Payload::Eap(e)) = out.first_mut() {
                e.data.zeroize();
            }
            r?;
            Ok(Step::Pending)
        }
        SUCCESS => {
            let st = state(sa)?;
            let done = match method {
                EapMethod::MsChapV2 => st.mschap.as_ref().is_some_and(|m| m.server_verified),
                EapMethod::Gtc | EapMethod::Md5 => st.answered,
            };
            if !done {
                return Err(Failure::AuthenticationFailed {
                    by: AuthBy::Us,
                    detail: "the gateway sent EAP-Success before the EAP method completed".into(),
                });
            }
            st.succeeded = true;
            let id = id_payload(&sa.profile.local_id);
            let data = eap_auth(sa, true, &id)?;
            let auth = Payload::Auth(AuthPayload {
                method: auth_method::PSK,
                data,
            });
            sa.start_request(ctx, ReqKind::IkeAuth, exchange::IKE_AUTH, &[auth])?;
            Ok(Step::Pending)
        }
        FAILURE => Err(Failure::EapRefused {
            method: method.name(),
            detail: state(sa)?.refused.clone().unwrap_or_default(),
        }),
        _ => Err(Failure::ProtocolError("unexpected EAP code".into())),
    }
}

/// Responder: the first IKE_AUTH request came without AUTH and this connection asks for EAP:
/// answer with our identity and proof and the EAP-Identity request.
pub(crate) fn server_start(
    sa: &mut IkeSa,
    ctx: &mut Ctx<'_>,
    msg_id: u32,
    p: &[Payload],
) -> Result<(), Failure> {
    let identifier = ctx.random(1)?.first().copied().unwrap_or(1);
    let mut out = ike_auth::our_response_head(sa, ctx)?;
    sa.eap = Some(Box::new(EapState {
        first: p.to_vec(),
        identifier,
        ..EapState::default()
    }));
    out.push(Payload::Eap(EapPayload {
        code: EapPayload::REQUEST,
        identifier,
        eap_type: Some(IDENTITY),
        data: Vec::new(),
    }));
    sa.respond(ctx, exchange::IKE_AUTH, msg_id, &out)?;
    Ok(())
}

fn server_send(
    sa: &mut IkeSa,
    ctx: &mut Ctx<'_>,
    msg_id: u32,
    eap: EapPayload,
) -> Result<(), Failure> {
    sa.respond(ctx, exchange::IKE_AUTH, msg_id, &[Payload::Eap(eap)])?;
    Ok(())
}

/// Responder: an IKE_AUTH request while EAP runs.
pub(crate) fn server_request(
    sa: &mut IkeSa,
    ctx: &mut Ctx<'_>,
    msg_id: u32,
    p: &[Payload],
) -> Result<(), Failure> {
    let RemoteAuth::Eap(server) = &sa.profile.remote_auth else {
        return Err(IkeError::state("not an EAP responder").into());
    };
    let server = server.clone();
    let refused = |sa: &mut IkeSa, ctx: &mut Ctx<'_>, detail: String| {
        let n = Payload::Notify(NotifyPayload::new(
            notify::AUTHENTICATION_FAILED,
            Vec::new(),
        ));
        super::dispatch::answer(sa, ctx, exchange::IKE_AUTH, msg_id, &[n]);
        Failure::AuthenticationFailed {
            by: AuthBy::Us,
            detail,
        }
    };
    if state(sa)?.succeeded {
        let idi = state(sa)?.first.iter().find_map(|x| match x {
            Payload::IdI(i) => Some(i.clone()),
            _ => None,
        });
        let idi = idi.ok_or_else(|| IkeError::state("no IDi"))?;
        let good = find_auth(p).is_some_and(|a| auth_matches(sa, true, &idi, a));
        if !good {
            return Err(refused(
                sa,
                ctx,
                "the initiator's AUTH after EAP does not match the EAP key".into(),
            ));
        }
        let first = core::mem::take(&mut state(sa)?.first);
        return ike_auth::accept_child(sa, ctx, msg_id, &first);
    }
    let Some(eap) = find_eap(p) else {
        return Err(refused(sa, ctx, "an IKE_AUTH request without EAP".into()));
    };
    let st = state(sa)?;
    if eap.code != EapPayload::RESPONSE || eap.identifier != st.identifier {
        return Err(refused(sa, ctx, "an unexpected EAP message".into()));
    }
    let next = match eap.eap_type.unwrap_or(0) {
        IDENTITY => {
            st.user = Some(String::from_utf8_lossy(&eap.data).into_owned());
            st.identifier = st.identifier.wrapping_add(1);
            let data = match server.method {
                EapMethod::MsChapV2 => eap_method::mschapv2_challenge(st, ctx)?,
                EapMethod::Gtc => b"Password: ".to_vec(),
                EapMethod::Md5 => eap_method::md5_challenge(st, ctx)?,
            };
            ServerNext::Request(data)
        }
        t if t == server.method.eap_type() => match server.method {
            EapMethod::MsChapV2 => eap_method::mschapv2_server(st, &server.users, &eap.data)?,
            EapMethod::Gtc => eap_method::gtc_server(st, &server.users, &eap.data),
            EapMethod::Md5 => eap_method::md5_server(st, &server.users, eap.identifier, &eap.data),
        },
        _ => ServerNext::Failure,
    };
    let identifier = st.identifier;
    match next {
        ServerNext::Request(data) => server_send(
            sa,
            ctx,
            msg_id,
            EapPayload {
                code: EapPayload::REQUEST,
                identifier,
                eap_type: Some(server.method.eap_type()),
                data,
            },
        ),
        ServerNext::Success => {
            state(sa)?.succeeded = true;
            server_send(
                sa,
                ctx,
                msg_id,
                EapPayload {
                    code: SUCCESS,
                    identifier,
                    eap_type: None,
                    data: Vec::new(),
                },
            )
        }
        ServerNext::Failure => {
            let user = state(sa)?.user.clone().unwrap_or_default();
            server_send(
                sa,
                ctx,
                msg_id,
                EapPayload {
                    code: FAILURE,
                    identifier,
                    eap_type: None,
                    data: Vec::new(),
                },
            )?;
            Err(Failure::AuthenticationFailed {
                by: AuthBy::Us,
                detail: format!("EAP ({}) failed for user \"{user}\"", server.method.name()),
            })
        }
    }
}

/// Responder: the AUTH of our last IKE_AUTH answer once EAP succeeded (`None` before, or
/// without EAP).
pub(crate) fn server_final_auth(sa: &IkeSa) -> Result<Option<AuthPayload>, Failure> {
    if sa.initiator || !sa.eap.as_ref().is_some_and(|e| e.succeeded) {
        return Ok(None);
    }
    let id = id_payload(&sa.profile.local_id);
    Ok(Some(AuthPayload {
        method: auth_method::PSK,
        data: eap_auth(sa, false, &id)?,
    }))
}
