//! What the controller does with an event of the engine: a pure function of the event and
//! what the connection has seen so far, so every decision is testable without D-Bus, sockets
//! or timers.
//!
//! A connection ends only on events of its **own** IKE SA (the handle `Engine::initiate`
//! returned; the IKE SA keeps it across an IKE SA rekey, while the shell left behind to delete
//! the old SPIs gets a handle of its own) and only when that SA goes: `IkeSaDown` other than
//! closed/rekeyed, a fatal `Failed`, or the removal of its Child SA that is not a rekey.
//! Events of any other handle (an unsolicited IKE_SA_INIT request, the shell of a rekeyed IKE
//! SA) are logged at debug and ignored: a stranger's datagram never closes the tunnel.

use super::dicts::{self, NmConfig, TunnelInfo};
use super::failure::{explain, nm_reason, FailureContext};
use super::icmp::IcmpSeen;
use super::messages;
use super::sanitize;
use super::state::PluginFailure;
use ike_core::engine::{DownReason, Event, Failure, IkeSaHandle, ReceivedConfig};
use std::net::IpAddr;

/// What the event loop of one connection remembers.
#[derive(Debug, Clone)]
pub struct Track {
    /// The connection's IKE SA.
    pub own: IkeSaHandle,
    /// Route-based: the XFRM interface (name, MTU) NetworkManager configures as `tundev`.
    pub tundev: Option<(String, u32)>,
    /// The configuration payload reply.
    pub config: Option<ReceivedConfig>,
    /// The IKE SA is established.
    pub ike_up: bool,
    /// The Child SA is established (the configuration was sent).
    pub up: bool,
    /// The connection failed (later failures are only logged at debug).
    pub failed: bool,
}

impl Track {
    /// The state of a connection whose IKE SA is `own`.
    pub fn new(own: IkeSaHandle, tundev: Option<(String, u32)>) -> Self {
        Track {
            own,
            tundev,
            config: None,
            ike_up: false,
            up: false,
            failed: false,
        }
    }
}

/// What the controller knows about the connection when an event arrives.
#[derive(Debug, Clone)]
pub struct Situation {
    /// The connection is being closed (Disconnect, failure): nothing ends it twice.
    pub closing: bool,
    /// The gateway's address.
    pub gateway: IpAddr,
    /// For the explanations of failures.
    pub failure: FailureContext,
    /// A rejected secret can be asked for again (interactive activation, secret not saved).
    pub can_reprompt: bool,
    /// ICMP port-unreachable errors seen before the IKE SA came up (named as the likely cause
    /// when the gateway never answers).
    pub icmp: Option<IcmpSeen>,
}

/// The level of a log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Debug.
    Debug,
    /// Info.
    Info,
    /// Warning.
    Warn,
    /// Error.
    Error,
}

/// One thing the controller does, in order.
#[derive(Debug)]
pub enum Action {
    /// Write a log line.
    Log(Level, String),
    /// The IKE SA is up: ICMP errors no longer end the attempt.
    IkeUp,
    /// Send the configuration to NetworkManager.
    SendConfig(NmConfig),
    /// End the connection with this reason.
    Stop(PluginFailure),
    /// Ask NetworkManager for the pre-shared key again, with this message (see
    /// `Controller::reprompt`); when that is no longer possible, stop with LOGIN_FAILED.
    Reprompt(String),
}

/// A log line; text from the gateway in it is made printable and bounded.
fn log(level: Level, line: impl AsRef<str>) -> Action {
    Action::Log(
        level,
        sanitize::printable(line.as_ref(), sanitize::MAX_LINE),
    )
}

/// The actions for `ev`, updating `track`.
pub fn on_event(track: &mut Track, ev: Event, s: &Situation) -> Vec<Action> {
    match ev {
        Event::IkeSaUp {
            sa,
            proposal,
            local,
            remote,
            nat,
            encap,
            remote_id,
            ..
        } => {
            if sa != track.own {
                return foreign(sa, "IKE SA up");
            }
            track.ike_up = true;
            let line = format!(
                "IKE SA established with {} at {remote} from {local}: {proposal}{}{}",
                sanitize::printable(&remote_id, sanitize::MAX_IDENTITY),
                if nat.local_behind || nat.remote_behind {
                    ", NAT detected"
                } else {
                    ""
                },
                if encap { ", UDP-encapsulated" } else { "" }
            );
            vec![Action::IkeUp, log(Level::Info, line)]
        }
        Event::ConfigReceived { sa, config } => {
            if sa != track.own {
                return foreign(sa, "configuration");
            }
            // Checked before anything of it is logged or reaches NetworkManager.
            let (config, warnings) = sanitize::config(config);
            let mut out: Vec<Action> = warnings.iter().map(|w| log(Level::Warn, w)).collect();
            out.push(log(
                Level::Info,
                format!("gateway configuration: {}", describe_config(&config)),
            ));
            track.config = Some(config);
            out
        }
        Event::ChildSaUp {
            sa,
            proposal,
            local_ts,
            remote_ts,
            mode,
            spi_in,
            spi_out,
            ..
        } => {
            if sa != track.own {
                return foreign(sa, "IPsec SA up");
            }
            if track.up {
                return vec![log(
                    Level::Info,
                    format!("IPsec SA rekeyed: SPIs {spi_in:08x}/{spi_out:08x}, {proposal}"),
                )];
            }
            track.up = true;
            let mut out = vec![log(
                Level::Info,
                format!(
                    "IPsec SA established ({mode:?}, {proposal}): {} <-> {}",
                    ts_text(&local_ts),
                    ts_text(&remote_ts)
                ),
            )];
            let info = TunnelInfo {
                gateway: s.gateway,
                config: track.config.clone(),
                remote_ts,
                tundev: track.tundev.as_ref().map(|(n, _)| n.clone()),
                mtu: track.tundev.as_ref().map(|(_, m)| *m),
                banner: None,
            };
            match dicts::build(&info) {
                Ok(c) => out.push(Action::SendConfig(c)),
                Err(e) => {
                    track.failed = true;
                    out.push(log(
                        Level::Error,
                        format!("cannot encode the IP configuration: {e}"),
                    ));
                    out.push(Action::Stop(PluginFailure::BadIpConfig));
                }
            }
            out
        }
        Event::ExchangeFailed { sa, failure } => on_exchange_failed(track, sa, &failure, s),
        Event::Failed { sa, failure } => {
            if sa != track.own {
                return foreign_failure(sa, &failure);
            }
            ike_sa_failed(track, &failure, s)
        }
        Event::IkeSaDown { sa, reason } => {
            if sa != track.own {
                return foreign(sa, "IKE SA down");
            }
            match reason {
                DownReason::Closed | DownReason::Rekeyed => {
                    vec![log(Level::Debug, format!("IKE SA down: {reason:?}"))]
                }
                DownReason::DeletedByPeer => {
                    if track.failed || s.closing {
                        return vec![log(
                            Level::Debug,
                            "IKE SA deleted by the gateway after close",
                        )];
                    }
                    track.failed = true;
                    vec![
                        log(Level::Warn, messages::deleted_by_gateway()),
                        Action::Stop(PluginFailure::ConnectFailed),
                    ]
                }
                DownReason::Failed(failure) => ike_sa_failed(track, &failure, s),
            }
        }
        Event::ChildSaDown {
            sa,
            rekeyed,
            spi_in,
            ..
        } => {
            if sa != track.own {
                return foreign(sa, "IPsec SA down");
            }
            let mut out = vec![log(
                Level::Debug,
                format!("IPsec SA {spi_in:08x} removed (rekeyed: {rekeyed})"),
            )];
            if !rekeyed && track.up && !track.failed && !s.closing {
                track.failed = true;
                out.push(log(Level::Warn, messages::child_removed()));
                out.push(Action::Stop(PluginFailure::ConnectFailed));
            }
            out
        }
    }
}

/// An exchange on an established IKE SA failed (a refused rekey, ...): the IKE SA and its
/// Child SAs stay, so the connection stays; the cause is logged as a warning. (The arm of the
/// engine's non-fatal `ExchangeFailed` event.)
pub fn on_exchange_failed(
    track: &Track,
    sa: IkeSaHandle,
    failure: &Failure,
    s: &Situation,
) -> Vec<Action> {
    if sa != track.own {
        return foreign_failure(sa, failure);
    }
    if track.failed || s.closing {
        return vec![log(
            Level::Debug,
            format!("exchange failed after close: {failure}"),
        )];
    }
    vec![
        log(
            Level::Warn,
            messages::exchange_failed_tunnel_stays(&explain(failure, &s.failure)),
        ),
        log(Level::Debug, format!("engine exchange failure: {failure}")),
    ]
}

/// The connection's IKE SA (or its establishment) failed.
fn ike_sa_failed(track: &mut Track, failure: &Failure, s: &Situation) -> Vec<Action> {
    if track.failed || s.closing {
        return vec![log(Level::Debug, format!("after close: {failure}"))];
    }
    track.failed = true;
    let cause = match (failure, s.icmp) {
        (Failure::NoResponse { tries, last_port }, Some(icmp)) => messages::no_response_after_icmp(
            &s.failure.gateway,
            *last_port,
            *tries,
            s.failure.waited,
            icmp.port,
            icmp.answered,
        ),
        _ => explain(failure, &s.failure),
    };
    let reason = nm_reason(failure);
    let mut out = vec![
        log(Level::Warn, cause.clone()),
        log(Level::Debug, format!("engine failure: {failure}")),
    ];
    if reason == PluginFailure::LoginFailed && s.can_reprompt {
        out.push(Action::Reprompt(sanitize::printable(
            &cause,
            sanitize::MAX_LINE,
        )));
    } else {
        out.push(Action::Stop(reason));
    }
    out
}

fn foreign(sa: IkeSaHandle, what: &str) -> Vec<Action> {
    vec![log(
        Level::Debug,
        format!("ignored: {what} of another IKE SA (#{})", sa.0),
    )]
}

fn foreign_failure(sa: IkeSaHandle, failure: &Failure) -> Vec<Action> {
    vec![log(
        Level::Debug,
        format!("ignored: failure of another IKE SA (#{}): {failure}", sa.0),
    )]
}

fn ts_text(list: &[ike_core::wire::TrafficSelector]) -> String {
    list.iter()
        .flat_map(|t| ike_core::ts::range_to_cidrs(t.start_addr, t.end_addr))
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// A one-line summary of the configuration payload reply.
pub fn describe_config(c: &ReceivedConfig) -> String {
    let addrs: Vec<String> = c
        .addresses_v4
        .iter()
        .chain(&c.addresses_v6)
        .map(|a| format!("{}/{}", a.addr, a.prefix))
        .collect();
    let dns: Vec<String> = c
        .dns_v4
        .iter()
        .chain(&c.dns_v6)
        .map(ToString::to_string)
        .collect();
    let list = |v: Vec<String>| {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.join(",")
        }
    };
    format!(
        "address {}, DNS {}, domains {}",
        list(addrs),
        list(dns),
        list(c.domains.clone())
    )
}

#[cfg(test)]
mod tests {
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
            icmp: None,
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
        let f = Event::Failed {
            sa: OWN,
            failure: Failure::NoResponse {
                tries: 4,
                last_port: 500,
            },
        };
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
                addresses_v4: vec![ike_core::engine::AssignedAddress {
                    addr: "10.9.0.10".parse().unwrap(),
                    prefix: 32,
                }],
                dns_v4: vec!["224.0.0.1".parse().unwrap(), "10.9.255.53".parse().unwrap()],
                domains: vec!["corp.example".into(), "evil\n.example".into()],
                ..ReceivedConfig::default()
            },
        };
        let b = on_event(&mut t, cfg, &s);
        for x in a.iter().chain(&b) {
            if let Action::Log(_, m) = x {
                assert!(!m.contains('\n') && !m.contains('\u{202e}'), "{m:?}");
                assert!(m.chars().count() < 400, "{m:?}");
            }
        }
        assert!(b.iter().any(
            |x| matches!(x, Action::Log(Level::Warn, m) if m.contains("INTERNAL_DNS_DOMAIN"))
        ));
        let c = t.config.clone().unwrap();
        assert_eq!(c.domains, ["corp.example"]);
        assert_eq!(c.dns_v4, ["10.9.255.53".parse::<IpAddr>().unwrap()]);
        // What NetworkManager gets is the checked configuration.
        let a = on_event(&mut t, child_up(OWN, 0x3000), &s);
        let Some(Action::SendConfig(nm)) = a.iter().find(|x| matches!(x, Action::SendConfig(_)))
        else {
            panic!("{a:?}");
        };
        let ip4 = nm.ip4.as_ref().unwrap();
        let domains = Vec::<String>::try_from(ip4["domains"].try_clone().unwrap()).unwrap();
        assert_eq!(domains, ["corp.example"]);
        let dns = Vec::<u32>::try_from(ip4["dns"].try_clone().unwrap()).unwrap();
        assert_eq!(dns.len(), 1);
    }
}
