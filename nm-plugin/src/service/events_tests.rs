//! Unit tests of [`super`]: engine events in, plugin actions out, without D-Bus.

use super::*;
use ike_core::engine::{AuthBy, NatInfo};
use std::time::Duration;

const OWN: IkeSaHandle = IkeSaHandle(1);
const OTHER: IkeSaHandle = IkeSaHandle(7);

fn situation() -> Situation {
    Situation {
        closing: false,
        gateway: "192.0.2.1".parse().unwrap(),
        failure: FailureContext {
            gateway: "192.0.2.1".into(),
            waited: Duration::from_secs(1),
        },
        can_reprompt: false,
        eap: false,
        icmp: None,
        fallback: None,
    }
}

fn stops(a: &[Action]) -> Vec<PluginFailure> {
    a.iter()
        .filter_map(|x| match x {
            Action::Stop(r) => Some(*r),
            _ => None,
        })
        .collect()
}

fn failed(sa: IkeSaHandle) -> Event {
    Event::Failed {
        sa,
        failure: Failure::ProtocolError("unexpected IKE_SA_INIT request".into()),
    }
}

fn ike_up(sa: IkeSaHandle) -> Event {
    Event::IkeSaUp {
        sa,
        name: "office".into(),
        proposal: "aes256gcm16-prfsha384-x25519".into(),
        local: "192.0.2.2:500".parse().unwrap(),
        remote: "192.0.2.1:500".parse().unwrap(),
        nat: NatInfo::default(),
        encap: false,
        remote_id: "gw.example".into(),
    }
}

fn child_up(sa: IkeSaHandle, spi_in: u32) -> Event {
    Event::ChildSaUp {
        sa,
        child: "office".into(),
        proposal: "aes256gcm16".into(),
        local_ts: vec![],
        remote_ts: vec![ike_core::wire::TrafficSelector::from_range(
            "10.0.0.0".parse().unwrap(),
            "10.0.0.255".parse().unwrap(),
        )],
        spi_in,
        spi_out: spi_in + 1,
        mode: ike_core::engine::Mode::Tunnel,
        udp_encap: None,
    }
}

/// A track whose IKE SA and Child SA are up.
fn up_track() -> Track {
    let mut t = Track::new(OWN, None);
    let s = situation();
    on_event(&mut t, ike_up(OWN), &s);
    let a = on_event(&mut t, child_up(OWN, 0x1000), &s);
    assert!(
        a.iter().any(|x| matches!(x, Action::SendConfig(_))),
        "{a:?}"
    );
    t
}

#[test]
fn failure_of_another_ike_sa_does_not_stop() {
    let s = situation();
    // Before the IKE SA is up (an unsolicited IKE_SA_INIT request answered by the
    // responder path) and after (the shell of a rekeyed IKE SA).
    let mut t = Track::new(OWN, None);
    assert!(stops(&on_event(&mut t, failed(OTHER), &s)).is_empty());
    let mut t = up_track();
    assert!(stops(&on_event(&mut t, failed(OTHER), &s)).is_empty());
    let down = Event::IkeSaDown {
        sa: OTHER,
        reason: DownReason::DeletedByPeer,
    };
    assert!(stops(&on_event(&mut t, down, &s)).is_empty());
    let down = Event::IkeSaDown {
        sa: OTHER,
        reason: DownReason::Failed(Failure::DeletedByPeer),
    };
    assert!(stops(&on_event(&mut t, down, &s)).is_empty());
    let child = Event::ChildSaDown {
        sa: OTHER,
        child: "x".into(),
        spi_in: 0x1000,
        rekeyed: false,
    };
    assert!(stops(&on_event(&mut t, child, &s)).is_empty());
    assert!(!t.failed);
    // Nor does another SA's IKE_SA_UP or configuration count as ours.
    let mut t = Track::new(OWN, None);
    let a = on_event(&mut t, ike_up(OTHER), &s);
    assert!(!t.ike_up && !a.iter().any(|x| matches!(x, Action::IkeUp)));
    let cfg = Event::ConfigReceived {
        sa: OTHER,
        config: ReceivedConfig {
            domains: vec!["evil.example".into()],
            ..ReceivedConfig::default()
        },
    };
    on_event(&mut t, cfg, &s);
    assert!(t.config.is_none());
    let a = on_event(&mut t, child_up(OTHER, 5), &s);
    assert!(!t.up && !a.iter().any(|x| matches!(x, Action::SendConfig(_))));
}

#[test]
fn failure_of_our_ike_sa_stops() {
    let s = situation();
    let mut t = Track::new(OWN, None);
    assert_eq!(
        stops(&on_event(&mut t, failed(OWN), &s)),
        [PluginFailure::ConnectFailed]
    );
    // Only once.
    assert!(stops(&on_event(&mut t, failed(OWN), &s)).is_empty());

    for reason in [
        DownReason::DeletedByPeer,
        DownReason::Failed(Failure::NoResponse {
            tries: 4,
            last_port: 4500,
        }),
    ] {
        let mut t = up_track();
        let a = on_event(&mut t, Event::IkeSaDown { sa: OWN, reason }, &s);
        assert_eq!(stops(&a), [PluginFailure::ConnectFailed]);
    }
    // A closed or rekeyed IKE SA is not a failure.
    for reason in [DownReason::Closed, DownReason::Rekeyed] {
        let mut t = up_track();
        let a = on_event(&mut t, Event::IkeSaDown { sa: OWN, reason }, &s);
        assert!(stops(&a).is_empty());
    }
}

#[test]
fn child_sa_removal_stops_unless_rekeyed() {
    let s = situation();
    let mut t = up_track();
    let down = |rekeyed| Event::ChildSaDown {
        sa: OWN,
        child: "office".into(),
        spi_in: 0x1000,
        rekeyed,
    };
    assert!(stops(&on_event(&mut t, down(true), &s)).is_empty());
    assert_eq!(
        stops(&on_event(&mut t, down(false), &s)),
        [PluginFailure::ConnectFailed]
    );
    // While closing, nothing stops twice.
    let mut t = up_track();
    let closing = Situation {
        closing: true,
        ..situation()
    };
    assert!(stops(&on_event(&mut t, down(false), &closing)).is_empty());
}

#[test]
fn rejected_secret_reprompts_when_possible() {
    let f = || Event::Failed {
        sa: OWN,
        failure: Failure::AuthenticationFailed {
            by: AuthBy::Peer,
            detail: "AUTHENTICATION_FAILED".into(),
        },
    };
    let mut t = Track::new(OWN, None);
    let a = on_event(&mut t, f(), &situation());
    assert_eq!(stops(&a), [PluginFailure::LoginFailed]);
    let s = Situation {
        can_reprompt: true,
        ..situation()
    };
    let mut t = Track::new(OWN, None);
    let a = on_event(&mut t, f(), &s);
    assert!(stops(&a).is_empty());
    assert!(
        a.iter()
            .any(|x| matches!(x, Action::Reprompt(m) if m.contains("pre-shared key"))),
        "{a:?}"
    );
}

#[test]
fn a_failed_exchange_keeps_the_tunnel() {
    let s = situation();
    let t = up_track();
    let refused = Failure::NoProposalChosen {
        phase: ike_core::engine::Phase::Child,
        ours: vec!["aes256gcm16-modp3072".into()],
        theirs: None,
    };
    let a = on_exchange_failed(&t, OWN, &refused, &s);
    assert!(stops(&a).is_empty(), "{a:?}");
    assert!(
        a.iter().any(
            |x| matches!(x, Action::Log(Level::Warn, m) if m.contains("aes256gcm16-modp3072"))
        ),
        "{a:?}"
    );
    let a = on_exchange_failed(&t, OTHER, &refused, &s);
    assert!(a.iter().all(|x| matches!(x, Action::Log(Level::Debug, _))));
}

#[test]
fn an_incomplete_revocation_check_is_a_warning_and_a_revoked_gateway_a_login_failure() {
    let s = situation();
    let mut t = up_track();
    let warn = |sa| Event::RevocationUnchecked {
        sa,
        detail: "the certificate revocation list of its issuer expired at 2027-01-01T00:00:00Z"
            .into(),
    };
    let a = on_event(&mut t, warn(OWN), &s);
    assert!(stops(&a).is_empty(), "{a:?}");
    assert!(
        a.iter().any(|x| matches!(x, Action::Log(Level::Warn, m)
            if m.contains("without a complete revocation check") && m.contains("expired at"))),
        "{a:?}"
    );
    let a = on_event(&mut t, warn(OTHER), &s);
    assert!(a.iter().all(|x| matches!(x, Action::Log(Level::Debug, _))));
    let revoked = Failure::CertificateRevoked {
        subject: "CN=gw.example.org".into(),
        serial: "1002".into(),
        issuer: "CN=CA".into(),
        revoked_at: "2026-12-07T02:45:40Z".into(),
        reason: Some("key compromise".into()),
    };
    assert_eq!(
        crate::service::failure::nm_reason(&revoked),
        PluginFailure::LoginFailed
    );
    let m = crate::service::failure::explain(&revoked, &s.failure);
    assert!(
        m.contains("\"CN=gw.example.org\" (serial 1002)") && m.contains("key compromise"),
        "{m}"
    );
}

#[test]
fn ike_up_and_rekeyed_child_send_the_configuration_once() {
    let s = situation();
    let mut t = up_track();
    assert!(t.ike_up && t.up);
    let a = on_event(&mut t, child_up(OWN, 0x2000), &s);
    assert!(!a.iter().any(|x| matches!(x, Action::SendConfig(_))));
    assert!(stops(&a).is_empty());
}

#[test]
fn no_answer_after_icmp_errors_names_them() {
    let f = no_response(OWN);
    let mut t = Track::new(OWN, None);
    let a = on_event(&mut t, f.clone(), &situation());
    assert!(
        a.iter()
            .any(|x| matches!(x, Action::Log(Level::Warn, m) if !m.contains("ICMP"))),
        "{a:?}"
    );
    let s = Situation {
        icmp: Some(IcmpSeen {
            port: 500,
            answered: 1,
        }),
        ..situation()
    };
    let mut t = Track::new(OWN, None);
    let a = on_event(&mut t, f, &s);
    assert_eq!(stops(&a), [PluginFailure::ConnectFailed]);
    assert!(
        a.iter().any(|x| matches!(x, Action::Log(Level::Warn, m) if m.contains("ICMP port unreachable") && m.contains("did not answer on UDP port 500"))),
        "{a:?}"
    );
}

#[test]
fn gateway_text_is_checked_before_logs_and_networkmanager() {
    let s = situation();
    let mut t = Track::new(OWN, None);
    let mut up = ike_up(OWN);
    if let Event::IkeSaUp { remote_id, .. } = &mut up {
        *remote_id = format!(
            "gw.example\nDec  4 nm-ike-service: fake\u{202e}{}",
            "x".repeat(400)
        );
    }
    let a = on_event(&mut t, up, &s);
    let cfg = Event::ConfigReceived {
        sa: OWN,
        config: ReceivedConfig {
            dns_v4: vec!["224.0.0.1".parse().unwrap(), "10.9.255.53".parse().unwrap()],
            domains: vec!["corp.example".into(), "evil\n.example".into()],
            ..config_with("10.9.0.10")
        },
    };
    let b = on_event(&mut t, cfg, &s);
    for x in a.iter().chain(&b) {
        if let Action::Log(_, m) = x {
            assert!(!m.contains('\n') && !m.contains('\u{202e}'), "{m:?}");
            assert!(m.chars().count() < 400, "{m:?}");
        }
    }
    assert!(b
        .iter()
        .any(|x| matches!(x, Action::Log(Level::Warn, m) if m.contains("INTERNAL_DNS_DOMAIN"))));
    let c = t.config.clone().unwrap();
    assert_eq!(c.domains, ["corp.example"]);
    assert_eq!(c.dns_v4, ["10.9.255.53".parse::<IpAddr>().unwrap()]);
    // What NetworkManager gets is the checked configuration.
    let a = on_event(&mut t, child_up(OWN, 0x3000), &s);
    let Some(Action::SendConfig(nm)) = a.iter().find(|x| matches!(x, Action::SendConfig(_))) else {
        panic!("{a:?}");
    };
    let ip4 = nm.ip4.as_ref().unwrap();
    let domains = Vec::<String>::try_from(ip4["domains"].try_clone().unwrap()).unwrap();
    assert_eq!(domains, ["corp.example"]);
    let dns = Vec::<u32>::try_from(ip4["dns"].try_clone().unwrap()).unwrap();
    assert_eq!(dns.len(), 1);
}

fn config_with(addr: &str) -> ReceivedConfig {
    ReceivedConfig {
        addresses_v4: vec![ike_core::engine::AssignedAddress {
            addr: addr.parse().unwrap(),
            prefix: 32,
        }],
        ..ReceivedConfig::default()
    }
}

/// Our IKE SA `sa` comes up, the gateway gives the virtual address 10.9.0.10 and the Child SA
/// with inbound SPI `spi_in` is installed; returns the actions of that last event.
fn come_up(t: &mut Track, sa: IkeSaHandle, spi_in: u32, s: &Situation) -> Vec<Action> {
    on_event(t, ike_up(sa), s);
    on_event(
        t,
        Event::ConfigReceived {
            sa,
            config: config_with("10.9.0.10"),
        },
        s,
    );
    on_event(t, child_up(sa, spi_in), s)
}

/// The gateway did not answer four tries on port 500.
fn no_response(sa: IkeSaHandle) -> Event {
    Event::Failed {
        sa,
        failure: Failure::NoResponse {
            tries: 4,
            last_port: 500,
        },
    }
}

/// A track with `dpdaction=restart` whose connection is up with the virtual address 10.9.0.10.
fn up_restart_track() -> Track {
    let mut t = Track::new(OWN, None).with_restart(true);
    let s = situation();
    let a = come_up(&mut t, OWN, 0x1000, &s);
    assert!(
        a.iter().any(|x| matches!(x, Action::SendConfig(_))),
        "{a:?}"
    );
    t
}

fn peer_dead(sa: IkeSaHandle) -> Event {
    Event::Failed {
        sa,
        failure: Failure::PeerDead {
            silent_for: Duration::from_secs(30),
        },
    }
}

#[test]
fn an_ike_sa_rekey_is_logged_and_keeps_the_tunnel() {
    let s = situation();
    let mut t = up_track();
    let rekeyed = |sa, initiator, collision| Event::IkeSaRekeyed {
        sa,
        spi_i: [0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef],
        spi_r: [0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10],
        initiator,
        collision,
    };
    let a = on_event(&mut t, rekeyed(OWN, true, false), &s);
    assert!(stops(&a).is_empty(), "{a:?}");
    assert!(
        a.iter().any(|x| matches!(x, Action::Log(Level::Info, m)
            if m == "IKE SA rekeyed by us: SPIs 0123456789abcdef_i fedcba9876543210_r")),
        "{a:?}"
    );
    let a = on_event(&mut t, rekeyed(OWN, false, true), &s);
    assert!(stops(&a).is_empty(), "{a:?}");
    assert!(
        a.iter().any(|x| matches!(x, Action::Log(Level::Info, m)
            if m.contains("both ends rekeyed at once")
                && m.contains("made by the gateway")
                && m.contains("0123456789abcdef_i"))),
        "{a:?}"
    );
    assert!(t.up && !t.failed);
    let a = on_event(&mut t, rekeyed(OTHER, true, true), &s);
    assert!(a.iter().all(|x| matches!(x, Action::Log(Level::Debug, _))));
}

#[path = "events_tests_dpd.rs"]
mod dpd;

/// Subnets a gateway pushes in its configuration payload.
#[path = "events_tests_pushed.rs"]
mod pushed;

#[path = "events_tests_fallback.rs"]
mod fallback;
