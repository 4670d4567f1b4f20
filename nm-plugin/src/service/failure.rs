//! From the engine's typed [`Failure`] to NetworkManager's failure reason and a plain-language
//! explanation for the journal.

use super::messages;
use super::state::PluginFailure;
use ike_core::engine::{Failure, Phase};
use ike_core::ids::notify;
use std::time::Duration;

/// What the explanation needs to know besides the failure.
#[derive(Debug, Clone)]
pub struct FailureContext {
    /// The gateway as the profile names it (`right`), with its address.
    pub gateway: String,
    /// Time since the connection attempt started.
    pub waited: Duration,
}

/// NetworkManager's reason: authentication problems are "login failed" (NetworkManager then
/// asks for new secrets on the next attempt), everything else "connect failed" (NetworkManager
/// has no closer reason for a dead gateway, an expired IKE SA or a NAT that `encapsulation=no`
/// cannot pass; the journal line tells them apart).
pub fn nm_reason(f: &Failure) -> PluginFailure {
    match f {
        Failure::AuthenticationFailed { .. }
        | Failure::CertificateNameMismatch { .. }
        | Failure::CertificateRevoked { .. }
        | Failure::EapRefused { .. } => PluginFailure::LoginFailed,
        Failure::PeerNotify { notify_type, .. }
            if *notify_type == notify::AUTHENTICATION_FAILED =>
        {
            PluginFailure::LoginFailed
        }
        _ => PluginFailure::ConnectFailed,
    }
}

/// The IANA name of an error notify type, when known.
pub fn notify_name(code: u16) -> Option<&'static str> {
    Some(match code {
        notify::UNSUPPORTED_CRITICAL_PAYLOAD => "UNSUPPORTED_CRITICAL_PAYLOAD",
        notify::INVALID_IKE_SPI => "INVALID_IKE_SPI",
        notify::INVALID_MAJOR_VERSION => "INVALID_MAJOR_VERSION",
        notify::INVALID_SYNTAX => "INVALID_SYNTAX",
        notify::INVALID_MESSAGE_ID => "INVALID_MESSAGE_ID",
        notify::INVALID_SPI => "INVALID_SPI",
        notify::NO_PROPOSAL_CHOSEN => "NO_PROPOSAL_CHOSEN",
        notify::INVALID_KE_PAYLOAD => "INVALID_KE_PAYLOAD",
        notify::AUTHENTICATION_FAILED => "AUTHENTICATION_FAILED",
        notify::SINGLE_PAIR_REQUIRED => "SINGLE_PAIR_REQUIRED",
        notify::NO_ADDITIONAL_SAS => "NO_ADDITIONAL_SAS",
        notify::INTERNAL_ADDRESS_FAILURE => "INTERNAL_ADDRESS_FAILURE",
        notify::FAILED_CP_REQUIRED => "FAILED_CP_REQUIRED",
        notify::TS_UNACCEPTABLE => "TS_UNACCEPTABLE",
        notify::INVALID_SELECTORS => "INVALID_SELECTORS",
        notify::TEMPORARY_FAILURE => "TEMPORARY_FAILURE",
        notify::CHILD_SA_NOT_FOUND => "CHILD_SA_NOT_FOUND",
        _ => return None,
    })
}

/// A plain-language explanation that tells the causes apart: which proposals the gateway
/// offered (when known), refused traffic selectors, rejected PSK or identity, no answer on
/// which UDP port after how long.
pub fn explain(f: &Failure, ctx: &FailureContext) -> String {
    match f {
        Failure::NoProposalChosen {
            phase,
            ours,
            theirs,
        } => messages::no_proposal(*phase == Phase::Child, ours, theirs.as_deref()),
        Failure::AuthenticationFailed {
            by: ike_core::engine::AuthBy::Peer,
            detail,
        } => messages::auth_rejected_by_gateway(detail),
        Failure::AuthenticationFailed {
            by: ike_core::engine::AuthBy::Us,
            detail,
        } => messages::auth_gateway_failed(detail),
        Failure::CertificateNameMismatch {
            expected,
            presented,
        } => messages::certificate_name_mismatch(expected, presented),
        Failure::EapRefused { method, detail } => messages::eap_refused(method, detail),
        Failure::CertificateRevoked {
            subject,
            serial,
            issuer,
            revoked_at,
            reason,
        } => messages::certificate_revoked(subject, serial, issuer, revoked_at, reason.as_deref()),
        Failure::TsUnacceptable => messages::ts_unacceptable(),
        Failure::InternalAddressFailure => messages::internal_address_failure(),
        Failure::FailedCpRequired => messages::cp_required(),
        Failure::InvalidKe { requested } => messages::invalid_ke(*requested),
        Failure::NoResponse { tries, last_port } => {
            messages::no_response(&ctx.gateway, *last_port, *tries, ctx.waited)
        }
        Failure::PeerNotify { notify_type, .. } => match *notify_type {
            notify::AUTHENTICATION_FAILED => {
                messages::auth_rejected_by_gateway("AUTHENTICATION_FAILED")
            }
            notify::TS_UNACCEPTABLE => messages::ts_unacceptable(),
            notify::INTERNAL_ADDRESS_FAILURE => messages::internal_address_failure(),
            notify::FAILED_CP_REQUIRED => messages::cp_required(),
            code => messages::peer_notify(notify_name(code).unwrap_or("unknown"), code),
        },
        Failure::ProtocolError(s) => messages::protocol_error(s),
        Failure::DeletedByPeer => messages::deleted_by_gateway(),
        Failure::PeerDead { silent_for } => messages::peer_dead(&ctx.gateway, *silent_for),
        Failure::IkeLifetimeExpired { rekey_disabled } => {
            messages::ike_lifetime_expired(*rekey_disabled)
        }
        Failure::NatWithoutEncapsulation { local_behind } => {
            messages::nat_without_encapsulation(*local_behind)
        }
        Failure::PathChanged { offered } => messages::path_changed(*offered),
        Failure::AuthLifetimeExpired { attempts, last } => messages::auth_lifetime_expired(
            *attempts,
            last.as_deref().map(|l| explain(l, ctx)).as_deref(),
        ),
        Failure::ReauthFailed { attempt, cause } => {
            messages::reauth_failed(*attempt, &explain(cause, ctx))
        }
        Failure::VirtualAddressChanged { held, offered } => {
            let list = |v: &[std::net::IpAddr]| {
                v.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            messages::virtual_address_changed(&list(held), &list(offered))
        }
        Failure::Kernel(s) => messages::kernel_failed(s),
        Failure::QuickModeUnanswered { ours } => messages::quick_mode_unanswered(ours),
        Failure::IpsecLifetimeExpired => messages::ipsec_lifetime_expired(),
        Failure::Local { fault, detail } => messages::local_fault(*fault, detail),
        // Causes added to the engine later: its own text.
        other => messages::protocol_error(&other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ike_core::engine::{AuthBy, LocalFault};

    fn ctx() -> FailureContext {
        FailureContext {
            gateway: "vpn.example.org (192.0.2.1)".into(),
            waited: Duration::from_secs(15),
        }
    }

    #[test]
    fn authentication_problems_are_login_failures() {
        for by in [AuthBy::Us, AuthBy::Peer] {
            let f = Failure::AuthenticationFailed {
                by,
                detail: "x".into(),
            };
            assert_eq!(nm_reason(&f), PluginFailure::LoginFailed);
        }
        let f = Failure::PeerNotify {
            notify_type: notify::AUTHENTICATION_FAILED,
            exchange: 35,
        };
        assert_eq!(nm_reason(&f), PluginFailure::LoginFailed);
    }

    #[test]
    fn certificate_for_another_name_is_a_login_failure_naming_both() {
        let f = Failure::CertificateNameMismatch {
            expected: "vpn.example.com".into(),
            presented: vec!["DNS:other.example.org".into(), "IP:192.0.2.1".into()],
        };
        assert_eq!(nm_reason(&f), PluginFailure::LoginFailed);
        let text = explain(&f, &ctx());
        assert!(
            text.contains("\"vpn.example.com\"")
                && text.contains("DNS:other.example.org, IP:192.0.2.1"),
            "{text}"
        );
        let none = Failure::CertificateNameMismatch {
            expected: "192.0.2.1".into(),
            presented: vec![],
        };
        assert!(explain(&none, &ctx()).contains("no DNS name or IP address"));
    }

    #[test]
    fn everything_else_is_a_connect_failure() {
        let others = [
            Failure::NoProposalChosen {
                phase: Phase::Ike,
                ours: vec![],
                theirs: None,
            },
            Failure::TsUnacceptable,
            Failure::InternalAddressFailure,
            Failure::FailedCpRequired,
            Failure::InvalidKe { requested: 31 },
            Failure::NoResponse {
                tries: 4,
                last_port: 500,
            },
            Failure::PeerNotify {
                notify_type: notify::TEMPORARY_FAILURE,
                exchange: 35,
            },
            Failure::ProtocolError("x".into()),
            Failure::DeletedByPeer,
            Failure::Kernel("x".into()),
        ];
        for f in &others {
            assert_eq!(nm_reason(f), PluginFailure::ConnectFailed, "{f}");
        }
    }

    #[test]
    fn reauthentication_failures_name_the_gateway_s_lifetime_and_the_cause() {
        let none = explain(
            &Failure::AuthLifetimeExpired {
                attempts: 0,
                last: None,
            },
            &ctx(),
        );
        assert!(
            none.contains("AUTH_LIFETIME") && none.contains("ended before"),
            "{none}"
        );
        let unanswered = explain(
            &Failure::AuthLifetimeExpired {
                attempts: 1,
                last: None,
            },
            &ctx(),
        );
        assert!(unanswered.contains("(1 attempt(s))"), "{unanswered}");
        let failed = Failure::AuthLifetimeExpired {
            attempts: 3,
            last: Some(Box::new(Failure::NoResponse {
                tries: 4,
                last_port: 4500,
            })),
        };
        let text = explain(&failed, &ctx());
        assert!(
            text.contains("(3 attempt(s))")
                && text.contains("vpn.example.org (192.0.2.1)")
                && text.contains("4500"),
            "{text}"
        );
        assert_eq!(nm_reason(&failed), PluginFailure::ConnectFailed);
        let moved = Failure::ReauthFailed {
            attempt: 2,
            cause: Box::new(Failure::VirtualAddressChanged {
                held: vec!["10.3.0.1".parse().unwrap()],
                offered: vec!["10.3.0.9".parse().unwrap()],
            }),
        };
        let text = explain(&moved, &ctx());
        assert!(
            text.contains("attempt 2") && text.contains("10.3.0.9") && text.contains("10.3.0.1"),
            "{text}"
        );
    }

    #[test]
    fn lifecycle_failures_name_their_key_and_cause() {
        let dead = Failure::PeerDead {
            silent_for: Duration::from_secs(30),
        };
        let text = explain(&dead, &ctx());
        assert!(
            text.contains("vpn.example.org (192.0.2.1) stopped answering")
                && text.contains("30 s")
                && text.contains("(DPD)"),
            "{text}"
        );
        let off = explain(
            &Failure::IkeLifetimeExpired {
                rekey_disabled: true,
            },
            &ctx(),
        );
        assert!(
            off.contains("rekey=no") && off.contains("ikelifetime"),
            "{off}"
        );
        let failed = explain(
            &Failure::IkeLifetimeExpired {
                rekey_disabled: false,
            },
            &ctx(),
        );
        assert!(
            failed.contains("rekeying it with the gateway failed") && !failed.contains("rekey=no"),
            "{failed}"
        );
        for local_behind in [true, false] {
            let f = Failure::NatWithoutEncapsulation { local_behind };
            let text = explain(&f, &ctx());
            assert!(
                text.contains("encapsulation=no") && text.contains("A NAT is in the way"),
                "{text}"
            );
            assert_eq!(
                text.contains("this computer is behind a NAT"),
                local_behind,
                "{text}"
            );
            assert_eq!(nm_reason(&f), PluginFailure::ConnectFailed);
        }
        assert_eq!(nm_reason(&dead), PluginFailure::ConnectFailed);
    }

    #[test]
    fn our_own_fault_is_not_blamed_on_the_gateway() {
        let f = Failure::Local {
            fault: LocalFault::Rng,
            detail: "getrandom failed".into(),
        };
        assert_eq!(nm_reason(&f), PluginFailure::ConnectFailed);
        let text = explain(&f, &ctx());
        assert!(
            text.contains("on this computer, not at the gateway"),
            "{text}"
        );
        assert!(text.contains("random number generator"), "{text}");
        assert!(text.contains("getrandom failed"), "{text}");
        assert!(
            !text.contains("IKE exchange with the gateway failed"),
            "{text}"
        );
    }

    #[test]
    fn explanations_tell_causes_apart() {
        let ike = explain(
            &Failure::NoProposalChosen {
                phase: Phase::Ike,
                ours: vec!["aes256gcm16-prfsha512-x25519".into()],
                theirs: Some(vec!["3des-sha1-modp1024".into()]),
            },
            &ctx(),
        );
        assert!(ike.contains("IKE (phase 1)"), "{ike}");
        assert!(ike.contains("aes256gcm16-prfsha512-x25519"), "{ike}");
        assert!(
            ike.contains("The gateway offered: 3des-sha1-modp1024"),
            "{ike}"
        );
        assert!(ike.contains("ike key"), "{ike}");

        let esp = explain(
            &Failure::NoProposalChosen {
                phase: Phase::Child,
                ours: vec!["aes256gcm16".into()],
                theirs: None,
            },
            &ctx(),
        );
        assert!(
            esp.contains("ESP (phase 2)") && esp.contains("esp key"),
            "{esp}"
        );
        assert!(esp.contains("did not say"), "{esp}");

        let ts = explain(&Failure::TsUnacceptable, &ctx());
        assert!(
            ts.contains("leftsubnet") && ts.contains("rightsubnet"),
            "{ts}"
        );

        let psk = explain(
            &Failure::AuthenticationFailed {
                by: AuthBy::Peer,
                detail: "peer sent AUTHENTICATION_FAILED".into(),
            },
            &ctx(),
        );
        assert!(
            psk.contains("pre-shared key") && psk.contains("leftid"),
            "{psk}"
        );

        let us = explain(
            &Failure::AuthenticationFailed {
                by: AuthBy::Us,
                detail: "AUTH payload mismatch".into(),
            },
            &ctx(),
        );
        assert!(
            us.contains("rightid") && us.contains("AUTH payload mismatch"),
            "{us}"
        );

        let silent = explain(
            &Failure::NoResponse {
                tries: 4,
                last_port: 4500,
            },
            &ctx(),
        );
        assert!(silent.contains("UDP port 4500"), "{silent}");
        assert!(silent.contains("4 tries over 15 s"), "{silent}");
        assert!(silent.contains("vpn.example.org (192.0.2.1)"), "{silent}");

        let n = explain(
            &Failure::PeerNotify {
                notify_type: notify::TEMPORARY_FAILURE,
                exchange: 35,
            },
            &ctx(),
        );
        assert!(n.contains("TEMPORARY_FAILURE (43)"), "{n}");
    }
}
