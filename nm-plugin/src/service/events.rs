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
pub use super::event_text::describe_config;
use super::event_text::{hex8, ike_rekey_line, ts_text};
use super::failure::{explain, nm_reason, FailureContext};
use super::icmp::IcmpSeen;
use super::messages;
use super::sanitize;
use super::state::PluginFailure;
use crate::kernel::split;
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
    /// `dpdaction=restart` (or `hold`): a lost connection is established again (see
    /// [`restarts`]).
    pub restart: bool,
    /// `dpdaction=hold`: it is established again when traffic wants out (the same decisions
    /// as `restart`; the controller waits for the traffic).
    pub hold: bool,
    /// `rightsubnet` is left at its default: subnets the gateway pushes become the routes
    /// (see [`crate::kernel::split`]).
    pub split_include: bool,
    /// The connection is being established again after it was lost.
    pub restarting: bool,
    /// The configuration last given to NetworkManager (compared with the new one after a
    /// restart; its addresses are asked for again).
    pub sent: Option<ReceivedConfig>,
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
            restart: false,
            hold: false,
            split_include: false,
            restarting: false,
            sent: None,
        }
    }

    /// The same, routing the subnets the gateway pushes when `split_include`.
    pub fn with_split_include(mut self, split_include: bool) -> Self {
        self.split_include = split_include;
        self
    }

    /// The same, re-establishing a lost connection with `dpdaction=restart` when `restart`.
    pub fn with_restart(mut self, restart: bool) -> Self {
        self.restart = restart;
        self
    }

    /// The same, with `dpdaction=hold` when `hold` (which re-establishes as `restart` does).
    pub fn with_hold(mut self, hold: bool) -> Self {
        self.hold = hold;
        self.restart |= hold;
        self
    }

    /// The lost connection was initiated again as `own`: its events count from now on.
    pub fn reinitiated(&mut self, own: IkeSaHandle) {
        self.own = own;
        self.config = None;
        self.ike_up = false;
        self.up = false;
        self.failed = false;
        self.restarting = true;
    }
}

/// Whether `failure` of the connection's IKE SA is re-established rather than ending the
/// connection (`dpdaction=restart`). Like Libreswan's and strongSwan's DPD action, it covers a
/// gateway that stopped answering an established connection: a DPD timeout
/// ([`Failure::PeerDead`]), a request (DPD, rekey) that stayed unanswered
/// ([`Failure::NoResponse`]), an IKE SA that expired because its rekeys failed, and one
/// whose reauthentications failed until the gateway's authentication lifetime ended. A
/// deliberate end is not restarted: the gateway deleting the IKE SA or removing the tunnel
/// (an administrator's disconnect; strongSwan restarts those only with `close_action`), an
/// IKE SA that expired with `rekey=no`, and a first connection that never came up. While
/// re-establishing, every failure is tried again (with backoff) until NetworkManager
/// disconnects.
pub fn restarts(track: &Track, failure: &Failure) -> bool {
    track.restart
        && (track.restarting
            || (track.up
                && matches!(
                    failure,
                    Failure::PeerDead { .. }
                        | Failure::NoResponse { .. }
                        | Failure::IkeLifetimeExpired {
                            rekey_disabled: false
                        }
                        | Failure::AuthLifetimeExpired { .. }
                        | Failure::PathChanged { .. }
                )))
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
    /// The profile authenticates with EAP: only the gateway's refusal of the user name or
    /// password ([`Failure::EapRefused`]) asks for the password again (a gateway whose
    /// certificate fails is not fixed by another password).
    pub eap: bool,
    /// ICMP port-unreachable errors seen before the IKE SA came up (named as the likely cause
    /// when the gateway never answers).
    pub icmp: Option<IcmpSeen>,
    /// The address of the next try (the gateway's other address, or the same again with
    /// `keyingtries`) when this one does not answer before the IKE SA is up.
    pub fallback: Option<IpAddr>,
}

/// Log lines about the subnets the gateway pushed: which were not taken (and why), and how
/// many are routed (see [`dicts::selection`]). Nothing when none was pushed.
fn split_lines(info: &TunnelInfo) -> Vec<Action> {
    let pushed = info.config.as_ref().map_or(0, |c| c.subnets.len());
    if pushed == 0 {
        return Vec::new();
    }
    if !info.split_include {
        return vec![log(
            Level::Info,
            format!(
                "the gateway pushed {pushed} subnet(s); rightsubnet is set, so they are not routed"
            ),
        )];
    }
    let sel = dicts::selection(info);
    let mut out: Vec<Action> = sel
        .ignored
        .iter()
        .map(|((a, p), why)| {
            let attribute = if a.is_ipv4() {
                "INTERNAL_IP4_SUBNET"
            } else {
                "INTERNAL_IP6_SUBNET"
            };
            let problem = match why {
                split::Ignored::BadPrefix => messages::subnet_bad_prefix(),
                split::Ignored::OutsideSelectors => messages::subnet_outside_selectors(),
                split::Ignored::TooMany => messages::subnet_too_many(split::MAX_PUSHED),
            };
            log(
                Level::Warn,
                messages::ignored_from_gateway(attribute, &format!("{a}/{p}"), &problem),
            )
        })
        .collect();
    let family = |split: bool| {
        if split {
            "split"
        } else {
            "all negotiated networks"
        }
    };
    out.push(log(
        Level::Info,
        format!(
            "routes: {pushed} subnet(s) pushed, {} routed (IPv4: {}, IPv6: {})",
            sel.routes.len(),
            family(sel.split_v4),
            family(sel.split_v6)
        ),
    ));
    out
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
    /// `dpdaction=restart` or `hold`: the connection was lost; keep it (NetworkManager stays
    /// activated, the policies stay and block its traffic) and initiate it again after a
    /// backoff (`hold`: when traffic wants out).
    Restart,
    /// The restarted connection is up again: the policies it did not replace can go, and
    /// the backoff starts over.
    Restarted,
    /// The gateway's address did not answer before the IKE SA came up: end this attempt and
    /// try again ([`Situation::fallback`]: its other address, or the same with
    /// `keyingtries`); NetworkManager keeps waiting.
    FallBack,
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
            let restarted = std::mem::take(&mut track.restarting);
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
                split_include: track.split_include,
            };
            out.extend(split_lines(&info));
            if restarted {
                let now = addresses(track.config.as_ref());
                let same = now == addresses(track.sent.as_ref());
                let action = if track.hold { "hold" } else { "restart" };
                out.push(log(
                    Level::Info,
                    messages::restarted(same, now.is_empty(), action),
                ));
                out.push(Action::Restarted);
                if same {
                    return out;
                }
            }
            match dicts::build(&info) {
                Ok(c) => {
                    track.sent = track.config.clone();
                    out.push(Action::SendConfig(c));
                }
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
        Event::RevocationUnchecked { sa, detail } => {
            if sa != track.own {
                return foreign(sa, "a revocation warning");
            }
            vec![log(Level::Warn, messages::revocation_unchecked(&detail))]
        }
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
                    if restarts(track, &Failure::DeletedByPeer) {
                        return vec![
                            log(Level::Warn, messages::deleted_by_gateway()),
                            Action::Restart,
                        ];
                    }
                    vec![
                        log(Level::Warn, messages::deleted_by_gateway()),
                        Action::Stop(PluginFailure::ConnectFailed),
                    ]
                }
                DownReason::Failed(failure) => ike_sa_failed(track, &failure, s),
            }
        }
        Event::IkeSaRekeyed {
            sa,
            spi_i,
            spi_r,
            initiator,
            collision,
        } => {
            if sa != track.own {
                return foreign(sa, "IKE SA rekey");
            }
            vec![log(
                Level::Info,
                ike_rekey_line(&spi_i, &spi_r, initiator, collision),
            )]
        }
        Event::IkeSaMoved {
            sa,
            local,
            remote,
            encap,
            ..
        } => {
            if sa != track.own {
                return foreign(sa, "IKE SA moved");
            }
            vec![log(
                Level::Info,
                messages::moved(&local.to_string(), &remote.to_string(), encap),
            )]
        }
        Event::IkeSaReauthenticated {
            sa, spis, proposal, ..
        } => {
            if sa != track.own {
                return foreign(sa, "IKE SA reauthentication");
            }
            vec![log(
                Level::Info,
                messages::reauthenticated(&hex8(&spis.0), &hex8(&spis.1), &proposal),
            )]
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
    if let (Some(next), Failure::NoResponse { .. }, false) = (s.fallback, failure, track.ike_up) {
        return vec![
            log(Level::Warn, explain(failure, &s.failure)),
            log(
                Level::Debug,
                format!("engine failure: {failure}; next try: {next}"),
            ),
            Action::FallBack,
        ];
    }
    if restarts(track, failure) {
        return vec![
            log(Level::Warn, explain(failure, &s.failure)),
            log(Level::Debug, format!("engine failure: {failure}")),
            Action::Restart,
        ];
    }
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
    let secret_at_fault = !s.eap || matches!(failure, Failure::EapRefused { .. });
    if reason == PluginFailure::LoginFailed && s.can_reprompt && secret_at_fault {
        out.push(Action::Reprompt(sanitize::printable(
            &cause,
            sanitize::MAX_LINE,
        )));
    } else {
        out.push(Action::Stop(reason));
    }
    out
}

/// The assigned addresses of a configuration reply (what must stay the same for
/// NetworkManager's configuration to stay right after a restart).
fn addresses(c: Option<&ReceivedConfig>) -> Vec<IpAddr> {
    c.map(|c| {
        c.addresses_v4
            .iter()
            .chain(&c.addresses_v6)
            .map(|a| a.addr)
            .collect()
    })
    .unwrap_or_default()
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

#[cfg(test)]
#[path = "events_tests.rs"]
mod tests;
