//! The EAP methods' own messages, peer and server side: EAP-MSCHAPv2 (type 26, the packet
//! format of draft-kamath-pppext-eap-mschapv2 with RFC 2759's values) and EAP-GTC (type 6).
//! The flow around them (which IKE_AUTH message carries what) is in `eap.rs`.

use subtle::ConstantTimeEq;

use crate::api::{AuthBy, EapCredentials, Failure, IkeError};
use crate::crypto::mschapv2;
use crate::ctx::Ctx;
use crate::sa::eap::{EapState, MsChapRun};

/// MS-CHAPv2 op codes.
mod op {
    pub const CHALLENGE: u8 = 1;
    pub const RESPONSE: u8 = 2;
    pub const SUCCESS: u8 = 3;
    pub const FAILURE: u8 = 4;
}

/// The name our server puts in its challenges.
const SERVER_NAME: &[u8] = b"nm-ike";
/// Response Value-Size: peer challenge 16, reserved 8, NT-Response 24, flags 1.
const RESPONSE_VALUE_SIZE: u8 = 49;

fn malformed(what: &str) -> Failure {
    Failure::ProtocolError(format!("malformed EAP-MSCHAPv2 {what}"))
}

fn crypto(e: crate::crypto::CryptoError) -> Failure {
    Failure::from(IkeError::from(e))
}

/// An MS-CHAPv2 packet: op code, MS-CHAPv2-ID, MS-Length (from the op code to the end),
/// then `value`.
fn packet(opcode: u8, id: u8, value: &[u8]) -> Vec<u8> {
    let len = u16::try_from(value.len() + 4).unwrap_or(u16::MAX);
    let mut out = Vec::with_capacity(value.len() + 4);
    out.push(opcode);
    out.push(id);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(value);
    out
}

fn array<const N: usize>(data: &[u8], at: usize, what: &str) -> Result<[u8; N], Failure> {
    data.get(at..at + N)
        .and_then(|s| <[u8; N]>::try_from(s).ok())
        .ok_or_else(|| malformed(what))
}

/// Printable ASCII of a gateway's message, at most 120 characters.
fn sanitize(text: &[u8]) -> String {
    text.iter()
        .take(120)
        .map(|b| {
            if b.is_ascii_graphic() || *b == b' ' {
                char::from(*b)
            } else {
                '?'
            }
        })
        .collect()
}

/// The value of `KEY=` in an MS-CHAPv2 message (`S=… M=…`, `E=… R=… C=… V=… M=…`); `M=`
/// takes the rest of the message.
fn field<'a>(message: &'a [u8], key: &[u8; 2]) -> Option<&'a [u8]> {
    let mut i = 0;
    while i + 2 <= message.len() {
        let at_start = i == 0 || message.get(i - 1) == Some(&b' ');
        if at_start && message.get(i..i + 2) == Some(key.as_slice()) {
            let rest = message.get(i + 2..)?;
            if key == b"M=" {
                return Some(rest);
            }
            let end = rest.iter().position(|b| *b == b' ').unwrap_or(rest.len());
            return rest.get(..end);
        }
        i += 1;
    }
    None
}

fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

fn unhex(text: &[u8]) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    text.chunks(2)
        .map(|c| {
            let s = core::str::from_utf8(c).ok()?;
            u8::from_str_radix(s, 16).ok()
        })
        .collect()
}

/// Peer: answers one MS-CHAPv2 request (`data` is the EAP Type-Data).
pub(crate) fn mschapv2_peer(
    st: &mut EapState,
    ctx: &mut Ctx<'_>,
    creds: &EapCredentials,
    data: &[u8],
) -> Result<Vec<u8>, Failure> {
    let opcode = *data.first().ok_or_else(|| malformed("request"))?;
    let id = data.get(1).copied().unwrap_or(0);
    match opcode {
        op::CHALLENGE => {
            if data.get(4) != Some(&16) {
                return Err(malformed("challenge size"));
            }
            let auth_challenge: [u8; 16] = array(data, 5, "challenge")?;
            let peer_challenge: [u8; 16] = array(&ctx.random(16)?, 0, "random")?;
            let user = creds.user.as_bytes();
            let password = creds.password.expose();
            let nt_response =
                mschapv2::generate_nt_response(&auth_challenge, &peer_challenge, user, password)
                    .map_err(crypto)?;
            let auth_response = mschapv2::authenticator_response(
                password,
                &nt_response,
                &peer_challenge,
                &auth_challenge,
                user,
            )
            .map_err(crypto)?;
            st.msk = Some(mschapv2::msk(password, &nt_response).map_err(crypto)?);
            st.mschap = Some(MsChapRun {
                auth_challenge,
                auth_response,
                server_verified: false,
            });
            let mut value = vec![RESPONSE_VALUE_SIZE];
            value.extend_from_slice(&peer_challenge);
            value.extend_from_slice(&[0; 8]);
            value.extend_from_slice(&nt_response);
            value.push(0);
            value.extend_from_slice(user);
            Ok(packet(op::RESPONSE, id, &value))
        }
        op::SUCCESS => {
            let run = st
                .mschap
                .as_mut()
                .ok_or_else(|| malformed("success before a challenge"))?;
            let message = data.get(4..).unwrap_or_default();
            let proof = field(message, b"S=").and_then(unhex);
            let good = proof
                .as_deref()
                .is_some_and(|p| bool::from(p.ct_eq(&run.auth_response)));
            if !good {
                return Err(Failure::AuthenticationFailed {
                    by: AuthBy::Us,
                    detail: "the gateway's EAP-MSCHAPv2 success message does not prove that it \
                             knows the password"
                        .into(),
                });
            }
            run.server_verified = true;
            Ok(vec![op::SUCCESS])
        }
        op::FAILURE => {
            let message = data.get(4..).unwrap_or_default();
            let code = field(message, b"E=").map(sanitize).unwrap_or_default();
            let text = field(message, b"M=").map(sanitize).unwrap_or_default();
            let mut cause = format!("MS-CHAPv2 error {code}");
            if code == "691" {
                cause.push_str(", authentication failure");
            }
            if !text.is_empty() {
                cause.push_str(&format!(": {text}"));
            }
            st.refused = Some(cause);
            Ok(vec![op::FAILURE])
        }
        _ => Err(malformed("op code")),
    }
}

/// Server: the MS-CHAPv2 challenge that starts the method.
pub(crate) fn mschapv2_challenge(st: &mut EapState, ctx: &mut Ctx<'_>) -> Result<Vec<u8>, Failure> {
    let auth_challenge: [u8; 16] = array(&ctx.random(16)?, 0, "random")?;
    st.mschap = Some(MsChapRun {
        auth_challenge,
        auth_response: [0; 20],
        server_verified: false,
    });
    let mut value = vec![16];
    value.extend_from_slice(&auth_challenge);
    value.extend_from_slice(SERVER_NAME);
    Ok(packet(op::CHALLENGE, st.identifier, &value))
}

/// What the server does with a peer's MS-CHAPv2 response.
pub(crate) enum ServerNext {
    /// Send this MS-CHAPv2 request.
    Request(Vec<u8>),
    /// The method succeeded: send EAP-Success.
    Success,
    /// The method failed: send EAP-Failure.
    Failure,
}

/// Server: one MS-CHAPv2 response of the peer, checked against `users`.
pub(crate) fn mschapv2_server(
    st: &mut EapState,
    users: &[(String, crate::api::SecretBytes)],
    data: &[u8],
) -> Result<ServerNext, Failure> {
    let opcode = *data.first().ok_or_else(|| malformed("response"))?;
    match opcode {
        op::RESPONSE => {
            let run = st
                .mschap
                .as_mut()
                .ok_or_else(|| malformed("response before a challenge"))?;
            if data.get(4) != Some(&RESPONSE_VALUE_SIZE) {
                return Err(malformed("response size"));
            }
            let peer_challenge: [u8; 16] = array(data, 5, "response")?;
            let nt_response: [u8; 24] = array(data, 29, "response")?;
            let name = data.get(54..).unwrap_or_default();
            let user = users.iter().find(|(u, _)| u.as_bytes() == name);
            let ok = match user {
                Some((_, password)) => {
                    let expected = mschapv2::generate_nt_response(
                        &run.auth_challenge,
                        &peer_challenge,
                        name,
                        password.expose(),
                    )
                    .map_err(crypto)?;
                    if bool::from(expected.ct_eq(&nt_response)) {
                        run.auth_response = mschapv2::authenticator_response(
                            password.expose(),
                            &nt_response,
                            &peer_challenge,
                            &run.auth_challenge,
                            name,
                        )
                        .map_err(crypto)?;
                        st.msk =
                            Some(mschapv2::msk(password.expose(), &nt_response).map_err(crypto)?);
                        true
                    } else {
                        false
                    }
                }
                None => false,
            };
            st.user = Some(sanitize(name));
            st.identifier = st.identifier.wrapping_add(1);
            if ok {
                let message = format!("S={} M=welcome", hex_upper(&run.auth_response));
                Ok(ServerNext::Request(packet(
                    op::SUCCESS,
                    st.identifier,
                    message.as_bytes(),
                )))
            } else {
                st.failed = true;
                let message = format!(
                    "E=691 R=0 C={} V=3 M=authentication failed",
                    hex_upper(&[0; 16])
                );
                Ok(ServerNext::Request(packet(
                    op::FAILURE,
                    st.identifier,
                    message.as_bytes(),
                )))
            }
        }
        op::SUCCESS if st.msk.is_some() && !st.failed => Ok(ServerNext::Success),
        op::FAILURE | op::SUCCESS => Ok(ServerNext::Failure),
        _ => Err(malformed("op code")),
    }
}

/// Peer: the EAP-MD5 response to a request's Type-Data (Value-Size, Value, Name).
pub(crate) fn md5_peer(
    st: &mut EapState,
    creds: &EapCredentials,
    identifier: u8,
    data: &[u8],
) -> Result<Vec<u8>, Failure> {
    let size = usize::from(*data.first().ok_or_else(|| malformed_md5("request"))?);
    let challenge = data
        .get(1..1 + size)
        .filter(|c| !c.is_empty())
        .ok_or_else(|| malformed_md5("challenge"))?;
    st.answered = true;
    let mut out = vec![16];
    out.extend_from_slice(&crate::crypto::eap_md5::response(
        identifier,
        creds.password.expose(),
        challenge,
    ));
    Ok(out)
}

fn malformed_md5(what: &str) -> Failure {
    Failure::ProtocolError(format!("malformed EAP-MD5 {what}"))
}

/// Server: the EAP-MD5 challenge that starts the method.
pub(crate) fn md5_challenge(st: &mut EapState, ctx: &mut Ctx<'_>) -> Result<Vec<u8>, Failure> {
    let challenge: [u8; 16] = array(&ctx.random(16)?, 0, "random")?;
    st.md5_challenge = Some(challenge);
    let mut out = vec![16];
    out.extend_from_slice(&challenge);
    out.extend_from_slice(SERVER_NAME);
    Ok(out)
}

/// Server: an EAP-MD5 response checked against the user's password.
pub(crate) fn md5_server(
    st: &EapState,
    users: &[(String, crate::api::SecretBytes)],
    identifier: u8,
    data: &[u8],
) -> ServerNext {
    let user = st.user.as_deref().unwrap_or_default();
    let got = data.get(1..17).filter(|_| data.first() == Some(&16));
    match (users.iter().find(|(u, _)| u == user), got, st.md5_challenge) {
        (Some((_, password)), Some(got), Some(challenge)) => {
            let want = crate::crypto::eap_md5::response(identifier, password.expose(), &challenge);
            if bool::from(want.ct_eq(got)) {
                ServerNext::Success
            } else {
                ServerNext::Failure
            }
        }
        _ => ServerNext::Failure,
    }
}

/// Server: an EAP-GTC response (the password itself) checked against the user's.
pub(crate) fn gtc_server(
    st: &EapState,
    users: &[(String, crate::api::SecretBytes)],
    data: &[u8],
) -> ServerNext {
    let user = st.user.as_deref().unwrap_or_default();
    match users.iter().find(|(u, _)| u == user) {
        Some((_, password)) if password.ct_eq(data) => ServerNext::Success,
        _ => ServerNext::Failure,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_of_messages() {
        let m = b"E=691 R=0 C=00 V=3 M=bad password here";
        assert_eq!(field(m, b"E="), Some(&b"691"[..]));
        assert_eq!(field(m, b"M="), Some(&b"bad password here"[..]));
        assert_eq!(field(m, b"S="), None);
        assert_eq!(field(b"S=ABCD", b"S="), Some(&b"ABCD"[..]));
        assert_eq!(unhex(b"0aFF"), Some(vec![0x0a, 0xff]));
        assert_eq!(unhex(b"0"), None);
        assert_eq!(sanitize(b"a\x01b"), "a?b");
    }
}
