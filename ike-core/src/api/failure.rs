//! Typed failures: one variant per cause, each naming the notify it came from or maps to.

use core::fmt;

use crate::ids::notify;

/// Which negotiation a proposal mismatch happened in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// IKE SA proposals (IKE_SA_INIT, or an IKE SA rekey).
    Ike,
    /// Child SA (ESP) proposals (IKE_AUTH or CREATE_CHILD_SA).
    Child,
}

/// Which side rejected the authentication.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthBy {
    /// We could not verify the peer (wrong PSK, wrong ID, untrusted certificate).
    Us,
    /// The peer rejected us (it sent AUTHENTICATION_FAILED).
    Peer,
}

/// Which part of ours failed in a [`Failure::Local`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LocalFault {
    /// The injected random number generator failed.
    Rng,
    /// A cryptographic operation of ours failed (key derivation, encryption, signing, key
    /// exchange).
    Crypto,
    /// Our own state or configuration does not allow the step (a message that cannot be
    /// encoded, a negotiated algorithm we cannot key).
    State,
}

impl fmt::Display for LocalFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LocalFault::Rng => "our random number generator failed",
            LocalFault::Crypto => "a cryptographic operation of ours failed",
            LocalFault::State => "our own state does not allow it",
        })
    }
}

/// Why an IKE SA or Child SA could not be established or was torn down.
///
/// New causes may be added: match with a wildcard arm.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Failure {
    /// NO_PROPOSAL_CHOSEN: no common algorithms.
    NoProposalChosen {
        /// IKE or Child SA negotiation.
        phase: Phase,
        /// What we offered (initiator) or accept (responder), human-readable.
        ours: Vec<String>,
        /// What the peer offered, when known (we are the responder).
        theirs: Option<Vec<String>>,
    },
    /// AUTHENTICATION_FAILED.
    AuthenticationFailed {
        /// Which side rejected the authentication.
        by: AuthBy,
        /// Plain description (wrong PSK, ID mismatch, untrusted certificate, ...).
        detail: String,
    },
    /// The peer's certificate does not name the host name or address we expect of it
    /// (`RemoteAuth::Certificate::peer_name`); we send AUTHENTICATION_FAILED.
    CertificateNameMismatch {
        /// The expected host name or address.
        expected: String,
        /// The names the certificate presents (`DNS:…`, `IP:…`, `email:…`), in order.
        presented: Vec<String>,
    },
    /// The gateway refused our EAP user name or password (EAP-Failure, or an EAP method's own
    /// failure message such as MS-CHAPv2's `E=691`).
    EapRefused {
        /// The EAP method (`eap-mschapv2`, ...).
        method: &'static str,
        /// What the gateway said, when it said anything (sanitized, printable ASCII).
        detail: String,
    },
    /// A certificate of the peer's chain is listed as revoked by a configured CRL
    /// ([`Revocation`](super::Revocation)); we send AUTHENTICATION_FAILED.
    CertificateRevoked {
        /// The revoked certificate's subject (RFC 4514 string).
        subject: String,
        /// Its serial number in upper-case hex, as `openssl x509 -serial` prints it.
        serial: String,
        /// The issuer whose CRL lists it (RFC 4514 string).
        issuer: String,
        /// When it was revoked (RFC 3339, UTC).
        revoked_at: String,
        /// The reason the CRL gives, if any (e.g. "key compromise").
        reason: Option<String>,
    },
    /// TS_UNACCEPTABLE: the traffic selectors do not overlap.
    TsUnacceptable,
    /// INTERNAL_ADDRESS_FAILURE: no address could be assigned.
    InternalAddressFailure,
    /// FAILED_CP_REQUIRED: the peer requires a configuration request we did not send.
    FailedCpRequired,
    /// INVALID_KE_PAYLOAD when no retry with the requested group is possible.
    InvalidKe {
        /// The group the peer asked for.
        requested: u16,
    },
    /// The peer never answered.
    NoResponse {
        /// Transmissions made.
        tries: u32,
        /// The destination port of the last transmission (500 or 4500).
        last_port: u16,
    },
    /// The peer sent another error notify.
    PeerNotify {
        /// Notify message type.
        notify_type: u16,
        /// Exchange type in which it came.
        exchange: u8,
    },
    /// A malformed or unexpected message.
    ProtocolError(String),
    /// The peer deleted the SA.
    DeletedByPeer,
    /// A kernel operation failed.
    Kernel(String),
    /// A liveness check (DPD) went unanswered: the peer stopped answering.
    PeerDead {
        /// How long nothing came from the peer.
        silent_for: core::time::Duration,
    },
    /// The IKE SA reached the end of its lifetime without a rekey.
    IkeLifetimeExpired {
        /// True when rekeying is turned off (`rekey=no`); false when rekeys were tried and
        /// failed.
        rekey_disabled: bool,
    },
    /// The authentication lifetime (RFC 4478 AUTH_LIFETIME) ended before a reauthentication
    /// replaced the IKE SA: `attempts` of ours did not succeed (the last failure in `last`),
    /// or, on a responder that set the lifetime, the initiator did not reauthenticate.
    AuthLifetimeExpired {
        /// Reauthentications we started that did not succeed, including one still
        /// unanswered when the lifetime ended (0 on a responder).
        attempts: u32,
        /// Why the last one that failed did (`None` when none failed before the end).
        last: Option<Box<Failure>>,
    },
    /// A reauthentication of ours failed (reported with
    /// [`Event::ExchangeFailed`](super::Event::ExchangeFailed)): the IKE SA stays and it is
    /// tried again until the authentication lifetime ends.
    ReauthFailed {
        /// Failed reauthentications so far (this one included).
        attempt: u32,
        /// Why this one failed.
        cause: Box<Failure>,
    },
    /// A reauthentication got other virtual addresses than the ones the connection holds
    /// (the new IKE SA is deleted and the old one kept).
    VirtualAddressChanged {
        /// The addresses the connection holds.
        held: Vec<std::net::IpAddr>,
        /// The addresses the gateway assigned to the new IKE SA.
        offered: Vec<std::net::IpAddr>,
    },
    /// Our address towards the peer changed and the IKE SA cannot move there, because MOBIKE
    /// (RFC 4555) is not in use: the IKE SA is deleted, a new one is needed.
    PathChanged {
        /// Whether we offered MOBIKE (false: it is turned off here; true: the peer does not
        /// support it).
        offered: bool,
    },
    /// A NAT was detected on the path while UDP encapsulation is turned off.
    NatWithoutEncapsulation {
        /// True when we are the one behind the NAT (false: the peer is).
        local_behind: bool,
    },
    /// IKEv1: the IPsec SA reached its hard lifetime (`salifetime`); IKEv1 rekeying is not
    /// implemented yet, so the connection ends.
    IpsecLifetimeExpired,
    /// IKEv1: the gateway never answered our first Quick Mode message (it accepts none of our
    /// Phase 2 proposals or networks; IKEv1 gateways often answer a refused Quick Mode with
    /// silence).
    QuickModeUnanswered {
        /// What we offered, human-readable.
        ours: Vec<String>,
    },
    /// A fault of ours (random generator, crypto, local state), not of the peer: no notify is
    /// sent for it.
    Local {
        /// Which part of ours failed.
        fault: LocalFault,
        /// What failed.
        detail: String,
    },
}

impl Failure {
    /// The error notify type this failure corresponds to, if any.
    pub fn notify_type(&self) -> Option<u16> {
        match self {
            Failure::NoProposalChosen { .. } => Some(notify::NO_PROPOSAL_CHOSEN),
            Failure::AuthenticationFailed { .. }
            | Failure::CertificateNameMismatch { .. }
            | Failure::CertificateRevoked { .. }
            | Failure::EapRefused { .. } => Some(notify::AUTHENTICATION_FAILED),
            Failure::TsUnacceptable => Some(notify::TS_UNACCEPTABLE),
            Failure::InternalAddressFailure => Some(notify::INTERNAL_ADDRESS_FAILURE),
            Failure::FailedCpRequired => Some(notify::FAILED_CP_REQUIRED),
            Failure::InvalidKe { .. } => Some(notify::INVALID_KE_PAYLOAD),
            Failure::PeerNotify { notify_type, .. } => Some(*notify_type),
            Failure::ProtocolError(_) => Some(notify::INVALID_SYNTAX),
            Failure::NoResponse { .. }
            | Failure::DeletedByPeer
            | Failure::PeerDead { .. }
            | Failure::IkeLifetimeExpired { .. }
            | Failure::AuthLifetimeExpired { .. }
            | Failure::ReauthFailed { .. }
            | Failure::VirtualAddressChanged { .. }
            | Failure::NatWithoutEncapsulation { .. }
            | Failure::PathChanged { .. }
            | Failure::Kernel(_)
            | Failure::QuickModeUnanswered { .. }
            | Failure::IpsecLifetimeExpired
            | Failure::Local { .. } => None,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::NoProposalChosen {
                phase,
                ours,
                theirs,
            } => {
                let what = match phase {
                    Phase::Ike => "IKE (phase 1)",
                    Phase::Child => "ESP (phase 2)",
                };
                write!(f, "no common {what} proposal; ours: {}", ours.join(", "))?;
                if let Some(t) = theirs {
                    write!(f, "; peer offered: {}", t.join(", "))?;
                }
                Ok(())
            }
            Failure::AuthenticationFailed {
                by: AuthBy::Us,
                detail,
            } => {
                write!(f, "peer authentication failed: {detail}")
            }
            Failure::AuthenticationFailed {
                by: AuthBy::Peer,
                detail,
            } => {
                write!(f, "the peer rejected our authentication: {detail}")
            }
            Failure::CertificateNameMismatch {
                expected,
                presented,
            } => {
                write!(
                    f,
                    "the peer's certificate is not valid for \"{expected}\" (it names: "
                )?;
                if presented.is_empty() {
                    write!(f, "no DNS name or IP address")?;
                } else {
                    write!(f, "{}", presented.join(", "))?;
                }
                write!(f, ")")
            }
            Failure::EapRefused { method, detail } => {
                write!(f, "the gateway refused the user name or password ({method}")?;
                if !detail.is_empty() {
                    write!(f, ": {detail}")?;
                }
                write!(f, ")")
            }
            Failure::CertificateRevoked {
                subject,
                serial,
                issuer,
                revoked_at,
                reason,
            } => {
                write!(
                    f,
                    "the peer's certificate \"{subject}\" (serial {serial}) is revoked by \
                     \"{issuer}\" (revoked {revoked_at}"
                )?;
                if let Some(r) = reason {
                    write!(f, ", reason {r}")?;
                }
                write!(f, ")")
            }
            Failure::TsUnacceptable => write!(f, "local/remote networks do not match the peer's"),
            Failure::InternalAddressFailure => write!(f, "the peer could not assign an address"),
            Failure::FailedCpRequired => write!(f, "the peer requires a configuration request"),
            Failure::InvalidKe { requested } => {
                write!(
                    f,
                    "the peer requires key exchange group {requested}, not allowed"
                )
            }
            Failure::NoResponse { tries, last_port } => {
                write!(
                    f,
                    "no response from peer after {tries} tries (UDP port {last_port})"
                )
            }
            Failure::PeerNotify {
                notify_type,
                exchange,
            } => {
                write!(
                    f,
                    "peer sent error notify {notify_type} in exchange {exchange}"
                )
            }
            Failure::ProtocolError(s) => write!(f, "protocol error: {s}"),
            Failure::DeletedByPeer => write!(f, "deleted by peer"),
            Failure::PeerDead { silent_for } => write!(
                f,
                "the peer stopped answering (nothing received for {} s)",
                silent_for.as_secs()
            ),
            Failure::IkeLifetimeExpired { rekey_disabled } => {
                if *rekey_disabled {
                    write!(f, "the IKE SA lifetime ended and rekeying is turned off")
                } else {
                    write!(f, "the IKE SA lifetime ended before a rekey succeeded")
                }
            }
            Failure::AuthLifetimeExpired { attempts, last } => {
                write!(
                    f,
                    "the authentication lifetime (AUTH_LIFETIME) ended before the IKE SA was \
                     reauthenticated"
                )?;
                if *attempts > 0 {
                    write!(f, ": {attempts} reauthentication(s) did not succeed")?;
                }
                if let Some(l) = last {
                    write!(f, ", the last failure: {l}")?;
                }
                Ok(())
            }
            Failure::ReauthFailed { attempt, cause } => write!(
                f,
                "reauthentication attempt {attempt} failed ({cause}); the IKE SA stays until \
                 its authentication lifetime ends"
            ),
            Failure::VirtualAddressChanged { held, offered } => {
                let list = |v: &[std::net::IpAddr]| {
                    v.iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(",")
                };
                write!(
                    f,
                    "the gateway assigned {} at reauthentication instead of the held {}",
                    list(offered),
                    list(held)
                )
            }
            Failure::PathChanged { offered } => write!(
                f,
                "our address changed and the IKE SA cannot move: {}",
                if *offered {
                    "the peer does not support MOBIKE"
                } else {
                    "MOBIKE is turned off"
                }
            ),
            Failure::NatWithoutEncapsulation { local_behind } => write!(
                f,
                "a NAT was detected ({} behind it) but UDP encapsulation is turned off",
                if *local_behind {
                    "we are"
                } else {
                    "the peer is"
                }
            ),
            Failure::Kernel(s) => write!(f, "kernel operation failed: {s}"),
            Failure::IpsecLifetimeExpired => write!(
                f,
                "the IPsec SA lifetime ended (IKEv1 rekeying is not supported yet)"
            ),
            Failure::QuickModeUnanswered { ours } => write!(
                f,
                "the gateway accepts none of our Phase 2 proposals or networks (no answer to \
                 Quick Mode); ours: {}",
                ours.join(", ")
            ),
            Failure::Local { fault, detail } => write!(f, "{fault}: {detail}"),
        }
    }
}

impl std::error::Error for Failure {}
