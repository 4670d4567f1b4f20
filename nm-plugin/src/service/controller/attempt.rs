//! One connection attempt: its launch (settings, gateway address, kernel backend, sockets,
//! engine; see [`crate::driver::launch`]), the engine's events turned into plugin actions
//! (see [`events`]), the re-prompt for a rejected secret, the ICMP watch, and its end.

use super::fallback::GatewayPlan;
use super::reconnect::Reconnect;
use super::trap::Trap;
use super::{cancel, Active, Controller, Core, IpProgress, Out};
use crate::driver::files::FileAccess;
use crate::driver::hold::{HoldingKernel, PolicyHold};
use crate::driver::launch::{self, BackendError, KernelSetup};
use crate::driver::profile::connection_config;
use crate::driver::run::{local_address_towards, Restart, Runner};
use crate::kernel::route::GatewayExemption;
use crate::service::errors::PluginError;
use crate::service::events::{self, Action, Level, Situation, Track};
use crate::service::failure::FailureContext;
use crate::service::icmp::IcmpTally;
use crate::service::messages;
use crate::service::secrets::{VpnMaps, FLAG_AGENT_OWNED, FLAG_NOT_REQUIRED, FLAG_NOT_SAVED};
use crate::service::sockets::{self, IcmpWatch};
use crate::service::state::{PluginFailure, ServiceState};
use crate::settings::{AuthMethod, DpdAction, Settings};
use crate::tool;
use ike_core::engine::Event;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::{mpsc, watch};

/// The secret the user gives for a profile authenticating with `auth`, which a rejection asks
/// for again: the pre-shared key, or the EAP password.
fn user_secret(auth: AuthMethod) -> Option<&'static str> {
    match auth {
        AuthMethod::Psk => Some("pskvalue"),
        AuthMethod::Eap(_) => Some("password"),
        AuthMethod::Certificate => None,
    }
}

/// Whether the secret of a profile authenticating with `auth` ([`user_secret`]), whose flags
/// are `flags`, may be asked for again after the gateway rejected it: only a secret the user
/// gives (agent-owned or not saved, and required); a secret saved in the system profile
/// cannot be changed by an agent.
fn psk_can_be_asked_again(auth: AuthMethod, flags: u64) -> bool {
    user_secret(auth).is_some()
        && flags & (FLAG_AGENT_OWNED | FLAG_NOT_SAVED) != 0
        && flags & FLAG_NOT_REQUIRED == 0
}

/// What a connection's event loop is linked to.
struct Link {
    stop: watch::Receiver<bool>,
    events: mpsc::UnboundedReceiver<Event>,
    /// For the engine's loop: `dpdaction=restart` or `hold`.
    restart: Option<Restart>,
    /// For [`Controller::drive`]: `dpdaction=restart` or `hold`.
    reconnect: Option<Reconnect>,
    /// `dpdaction=hold`: traffic for a held policy (from the engine's loop).
    traffic: Option<mpsc::UnboundedReceiver<()>>,
    /// The gateway's exemption from the tunnel routes: dropped (removed) after the loop's
    /// teardown, or when the loop's task is aborted.
    exemption: Option<GatewayExemption>,
}

async fn next_traffic(rx: &mut Option<mpsc::UnboundedReceiver<()>>) -> Option<()> {
    match rx.as_mut() {
        Some(r) => r.recv().await,
        None => std::future::pending().await,
    }
}

/// What an event meant for `dpdaction=restart` (and `hold`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Turn {
    Nothing,
    /// The connection was lost: initiate it again after the backoff.
    Restart,
    /// It is up again.
    Restarted,
}

impl Controller {
    /// Validates the settings and starts the engine; STARTING on success.
    pub(super) async fn start(self: &Arc<Self>, maps: VpnMaps) -> Result<(), PluginError> {
        let settings = Settings::from_maps(&maps.data, &maps.secrets).map_err(|errs| {
            let lines: Vec<String> = errs.iter().map(ToString::to_string).collect();
            PluginError::InvalidConnection(messages::profile_invalid(&lines))
        })?;
        for k in &settings.ignored {
            tracing::debug!("{k}: accepted for compatibility, no effect");
        }
        // So that a connection refused because of our kernel state can name us.
        if let Some(name) = maps.id.as_deref().or(maps.uuid.as_deref()) {
            crate::kernel::owner::describe_own(self.opts.block, name);
        }
        let host = settings.gateway.clone();
        let port = settings.gateway_port;
        let family = settings.host_family;
        let remotes =
            tokio::task::spawn_blocking(move || tool::resolve_candidates(&host, port, family))
                .await
                .map_err(|e| PluginError::LaunchFailed(messages::resolve_failed(&e.to_string())))?
                .map_err(|e| PluginError::LaunchFailed(messages::resolve_failed(&e)))?;
        let plan = GatewayPlan::new(remotes, settings.keying_tries);
        self.launch(maps, settings, plan).await
    }

    /// Starts the engine towards the current address of `plan` (the gateway's addresses to
    /// try, see [`tool::resolve_candidates`], and the tries left); the plan is kept for
    /// [`Controller::fall_back`]. An address without a route to it is passed over at once
    /// (within one round of the addresses).
    pub(super) async fn launch(
        self: &Arc<Self>,
        maps: VpnMaps,
        settings: Settings,
        mut plan: GatewayPlan,
    ) -> Result<(), PluginError> {
        let mut passed_over = 0;
        let (remote, gateway, exemption, local) = loop {
            let Some(remote) = plan.current() else {
                return Err(PluginError::LaunchFailed(messages::resolve_failed(
                    &settings.gateway,
                )));
            };
            let gateway = if settings.gateway == remote.ip().to_string() {
                remote.ip().to_string()
            } else {
                format!("{} ({})", settings.gateway, remote.ip())
            };
            // Before our address towards the gateway is looked up and before the first
            // datagram: IKE and ESP to this gateway never take a tunnel route of ours (another
            // connection's 0.0.0.0/0 included). Removed when the connection's loop has ended
            // (see `drive`).
            let exemption =
                launch::exempt_gateway(&settings, self.opts.block, remote.ip(), self.opts.xfrm)
                    .map_err(PluginError::LaunchFailed)?;
            match local_address_towards(remote) {
                Ok(local) => break (remote, gateway, exemption, local),
                Err(e) => {
                    let msg = messages::no_route(&gateway, &e.to_string());
                    passed_over += 1;
                    // No route to any address: another round would find none either.
                    if passed_over >= plan.addresses() || !plan.advance() {
                        return Err(PluginError::LaunchFailed(msg));
                    }
                    tracing::warn!("{msg}");
                    tracing::info!("{}", plan.next_try_line(remote));
                }
            }
        };
        let files = FileAccess::from_permissions(&maps.permissions, self.opts.file_reader.clone())
            .map_err(|e| PluginError::InvalidConnection(messages::profile_invalid(&[e])))?;
        if let FileAccess::AsUsers { users, .. } = &files {
            tracing::info!(
                "private profile: its files are read with the rights of {}",
                users.join(", ")
            );
        }
        let mut conn = tokio::task::spawn_blocking({
            let (name, settings) = (maps.name(), settings.clone());
            move || connection_config(&name, &settings, remote, local, &files)
        })
        .await
        .map_err(|e| PluginError::LaunchFailed(e.to_string()))?
        .map_err(|e| PluginError::InvalidConnection(messages::profile_invalid(&[e])))?;
        let setup = KernelSetup::for_connection(&settings, self.opts.block, local, remote.ip());
        let auth = settings.auth;
        let hold_on_loss = settings.dpd_action == DpdAction::Hold;
        let restart = settings.dpd_action == DpdAction::Restart || hold_on_loss;
        let split_include = setup.split_include;
        drop(settings);
        // The kernel backend comes before the sockets: without one that protects traffic
        // nothing is sent and nothing is installed.
        let mut kernel = match (self.opts.kernel)(&setup) {
            Ok(k) => k,
            Err(BackendError::NoEsp) => return self.fail_without_kernel(),
            Err(BackendError::Failed(e)) => {
                return Err(PluginError::LaunchFailed(messages::kernel_failed(&e)))
            }
        };
        let bound = sockets::bind(local, self.opts.ports)
            .await
            .map_err(|e| PluginError::LaunchFailed(messages::sockets_failed(&e.to_string())))?;
        if bound.force_encap {
            conn.force_encap = true;
        }
        let (ike_port, natt_port) = bound.sockets.local_ports();
        tracing::info!(
            "IKE to {remote} from {local}, UDP ports {ike_port}/{natt_port}{}",
            if bound.force_encap {
                " (UDP encapsulation forced)"
            } else {
                ""
            }
        );
        // dpdaction=restart and hold: the policies of a lost connection stay until it is back.
        let hold = restart.then(PolicyHold::new);
        if let Some(h) = &hold {
            kernel = Box::new(HoldingKernel::new(kernel, Arc::clone(h)));
        }
        let (ev_tx, ev_rx) = mpsc::unbounded_channel();
        let tundev = kernel.tunnel_device();
        let sent = bound.sockets.sent_counter();
        // Before the first datagram, so that the error answering it is seen.
        let icmp = IcmpWatch::open(local, (ike_port, natt_port), remote.ip());
        let mut runner = launch::runner(
            launch::engine(
                crate::kernel::owner::block_base(self.opts.block),
                Vec::new(),
            ),
            bound.sockets,
            kernel,
            ev_tx,
        );
        // Our address towards the gateway is followed: MOBIKE moves the connection, without
        // it the IKE SA ends (and dpdaction=restart sets up a new one from the new address).
        runner.path = crate::driver::path::PathFollow::open(remote);
        let (reconnect, loop_restart, traffic) = match &hold {
            Some(h) => {
                let (tx, rx) = mpsc::unbounded_channel();
                let (traffic_tx, traffic_rx) = if hold_on_loss {
                    let (a, b) = mpsc::unbounded_channel();
                    (Some(a), Some(b))
                } else {
                    (None, None)
                };
                (
                    Some(Reconnect {
                        conn: conn.clone(),
                        initiate: tx,
                        failures: 0,
                        trap: hold_on_loss.then(|| Trap::new().with_dpd_delay(conn.dpd_delay)),
                        hold: Arc::clone(h),
                    }),
                    Some(Restart {
                        hold: Arc::clone(h),
                        initiate: rx,
                        traffic: traffic_tx,
                    }),
                    traffic_rx,
                )
            }
            None => (None, None, None),
        };
        let now = runner.now();
        let own = runner
            .engine
            .initiate(now, conn)
            .map_err(|e| PluginError::LaunchFailed(messages::engine_refused(&e.to_string())))?;
        let (stop_tx, stop_rx) = watch::channel(false);
        let (done_tx, done_rx) = watch::channel(false);
        let mut core = self.lock();
        if std::mem::take(&mut core.cancel_start) {
            return Err(PluginError::LaunchFailed(messages::cancelled()));
        }
        core.attempt = core.attempt.wrapping_add(1);
        let attempt = core.attempt;
        let me = Arc::clone(self);
        let task = tokio::spawn(async move {
            let track = Track::new(own, tundev)
                .with_restart(restart)
                .with_hold(hold_on_loss)
                .with_split_include(split_include);
            let link = Link {
                stop: stop_rx,
                events: ev_rx,
                restart: loop_restart,
                reconnect,
                traffic,
                exemption,
            };
            me.drive(attempt, runner, link, track).await;
            let _ = done_tx.send(true);
        });
        let me = Arc::clone(self);
        let icmp_watch = icmp.map(|mut w| {
            tokio::spawn(async move {
                while let Some(p) = w.next().await {
                    if !me.on_port_unreachable(attempt, p.port) {
                        break;
                    }
                }
            })
            .abort_handle()
        });
        core.active = Some(Active {
            attempt,
            stop: stop_tx,
            done: done_rx,
            task: task.abort_handle(),
            closing: false,
            gateway,
            remote,
            started: Instant::now(),
            maps,
            auth,
            ike_up: false,
            icmp_watch,
            icmp: IcmpTally::default(),
            sent,
            runner: None,
            hold,
            plan,
        });
        core.ip = IpProgress::default();
        self.set_state(&mut core, ServiceState::Starting);
        self.start_connect_timer(&mut core);
        Ok(())
    }

    /// The kernel cannot protect traffic (no ESP): the activation fails with CONNECT_FAILED
    /// and a journal line naming what is missing, before any IKE datagram is sent and before
    /// anything is installed. Connect itself succeeds (NetworkManager then reports the
    /// failure reason, as for a failed negotiation).
    fn fail_without_kernel(self: &Arc<Self>) -> Result<(), PluginError> {
        tracing::error!("{}", messages::no_esp());
        let mut core = self.lock();
        if std::mem::take(&mut core.cancel_start) {
            return Err(PluginError::LaunchFailed(messages::cancelled()));
        }
        core.ip = IpProgress::default();
        self.set_state(&mut core, ServiceState::Starting);
        let _ = self.begin_stop(&mut core, Some(PluginFailure::ConnectFailed));
        self.set_state(&mut core, ServiceState::Stopped);
        Ok(())
    }

    async fn drive(
        self: Arc<Self>,
        attempt: u64,
        mut runner: Runner,
        link: Link,
        mut track: Track,
    ) {
        let Link {
            stop,
            mut events,
            restart,
            mut reconnect,
            mut traffic,
            exemption,
        } = link;
        let run = tokio::spawn(async move {
            runner.run_with(stop, true, restart).await;
            launch::teardown(runner.kernel.as_mut());
            drop(exemption);
        });
        if let Some(a) = self.lock().active.as_mut().filter(|a| a.attempt == attempt) {
            a.runner = Some(run.abort_handle());
        }
        let mut retry_at: Option<tokio::time::Instant> = None;
        loop {
            let wait = async {
                match retry_at {
                    Some(t) => tokio::time::sleep_until(t).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                ev = events.recv() => {
                    let Some(ev) = ev else { break };
                    let turn = self.on_event(attempt, ev, &mut track);
                    if let Some(r) = reconnect.as_mut() {
                        match turn {
                            Turn::Restart => retry_at = r.lost(),
                            Turn::Restarted => r.up(),
                            Turn::Nothing => {}
                        }
                    }
                }
                Some(()) = next_traffic(&mut traffic) => {
                    let Some(trap) = reconnect.as_mut().and_then(|r| r.trap.as_mut()) else {
                        continue;
                    };
                    if let Some(at) = trap.traffic(tokio::time::Instant::now()) {
                        retry_at = Some(retry_at.map_or(at, |t| t.min(at)));
                    }
                }
                () = wait => {
                    retry_at = None;
                    let Some(r) = reconnect.as_mut() else { continue };
                    if self.closing(attempt) {
                        continue;
                    }
                    if let Some(trap) = r.trap.as_mut() {
                        let now = tokio::time::Instant::now();
                        if !trap.due(now) {
                            retry_at = trap.pending(now);
                            continue;
                        }
                        tracing::info!("{}", messages::hold_traffic());
                    }
                    // A failure of this attempt names its own wait, not the connection's age.
                    if let Some(a) = self.lock().active.as_mut().filter(|a| a.attempt == attempt) {
                        a.started = Instant::now();
                    }
                    match r.initiate_again(&track).await {
                        Ok(own) => {
                            tracing::info!(
                                "dpdaction={}: connecting to the gateway again",
                                r.action()
                            );
                            track.reinitiated(own);
                        }
                        Err(e) => {
                            tracing::warn!("{}", messages::restart_failed(r.action(), &e));
                            retry_at = r.lost();
                        }
                    }
                }
            }
        }
        let _ = run.await;
        self.on_ended(attempt);
    }

    /// Whether the attempt is over or being closed.
    fn closing(&self, attempt: u64) -> bool {
        self.lock()
            .active
            .as_ref()
            .is_none_or(|a| a.attempt != attempt || a.closing)
    }

    fn on_event(self: &Arc<Self>, attempt: u64, ev: Event, track: &mut Track) -> Turn {
        let mut core = self.lock();
        let Some(active) = core.active.as_ref().filter(|a| a.attempt == attempt) else {
            return Turn::Nothing;
        };
        let situation = Situation {
            closing: active.closing,
            gateway: active.remote.ip(),
            failure: FailureContext {
                gateway: active.gateway.clone(),
                waited: active.started.elapsed(),
            },
            can_reprompt: Self::can_reprompt(&core),
            eap: matches!(active.auth, AuthMethod::Eap(_)),
            icmp: active.icmp.seen(),
            fallback: active.plan.peek().map(|a| a.ip()),
        };
        let mut turn = Turn::Nothing;
        for action in events::on_event(track, ev, &situation) {
            match action {
                Action::Restart => turn = Turn::Restart,
                Action::Restarted => turn = Turn::Restarted,
                _ => {}
            }
            self.apply(&mut core, action);
        }
        turn
    }

    /// Carries out one action of [`events::on_event`].
    fn apply(self: &Arc<Self>, core: &mut Core, action: Action) {
        match action {
            Action::Log(Level::Debug, m) => tracing::debug!("{m}"),
            Action::Log(Level::Info, m) => tracing::info!("{m}"),
            Action::Log(Level::Warn, m) => tracing::warn!("{m}"),
            Action::Log(Level::Error, m) => tracing::error!("{m}"),
            Action::IkeUp => {
                if let Some(a) = core.active.as_mut() {
                    a.ike_up = true;
                    cancel(&mut a.icmp_watch);
                }
            }
            Action::SendConfig(c) => self.send_config(core, c),
            Action::Reprompt(cause) => {
                if !self.reprompt(core, &cause) {
                    self.begin_stop(core, Some(PluginFailure::LoginFailed));
                    Self::end_half_open(core);
                }
            }
            Action::Stop(reason) => {
                self.begin_stop(core, Some(reason));
                Self::end_half_open(core);
            }
            // The connection stays: NetworkManager keeps it activated, the policies stay
            // (held by the `HoldingKernel`) and block its traffic; `drive` initiates it again.
            Action::Restart => {}
            Action::Restarted => {
                if let Some(h) = core.active.as_ref().and_then(|a| a.hold.as_ref()) {
                    h.release();
                }
            }
            Action::FallBack => self.fall_back(core),
        }
    }

    /// Whether a rejected secret can be asked for again (see [`Controller::reprompt`]).
    fn can_reprompt(core: &Core) -> bool {
        if !core.interactive || core.state != ServiceState::Starting {
            return false;
        }
        let Some(active) = core.active.as_ref() else {
            return false;
        };
        let secret = user_secret(active.auth).unwrap_or("pskvalue");
        psk_can_be_asked_again(active.auth, active.maps.flags(secret))
    }

    /// An interactive activation whose secret the gateway rejected: instead of failing, ask
    /// NetworkManager for the secret again with the cause as the message (NetworkManager hands
    /// it to the agent as an `x-vpn-message:` hint, and the prompt shows it). Only secrets the
    /// user gives (agent-owned or not saved) are asked for again: a secret saved in the system
    /// profile cannot be changed by an agent, so then the activation fails with LOGIN_FAILED.
    /// Returns false when no re-prompt is possible.
    fn reprompt(self: &Arc<Self>, core: &mut Core, cause: &str) -> bool {
        if !Self::can_reprompt(core) {
            return false;
        }
        let Some(mut old) = core.active.take() else {
            return false;
        };
        if let Some(h) = &old.hold {
            h.end();
        }
        let _ = old.stop.send(true);
        cancel(&mut old.icmp_watch);
        let secret = user_secret(old.auth).unwrap_or("pskvalue");
        let mut maps = old.maps.clone();
        if let Some(mut v) = maps.secrets.remove(secret) {
            zeroize::Zeroize::zeroize(&mut v);
        }
        tracing::info!("asking NetworkManager for the {secret} secret again");
        cancel(&mut core.connect_timer);
        core.pending = Some(maps);
        self.send(Out::SecretsRequired(
            cause.to_string(),
            vec![secret.to_string()],
        ));
        true
    }

    /// After a failure before the IKE SA came up there is nothing to close with the gateway:
    /// end the engine's loop at once (its kernel backend removes what it allocated when
    /// dropped), so NetworkManager sees STOPPED right after the failure instead of after the
    /// close grace period.
    pub(super) fn end_half_open(core: &mut Core) {
        if let Some(a) = core.active.as_mut().filter(|a| !a.ike_up) {
            if let Some(h) = a.runner.take() {
                h.abort();
            }
        }
    }

    /// The connection task ended: STOPPED.
    fn on_ended(self: &Arc<Self>, attempt: u64) {
        let mut core = self.lock();
        if core.active.as_ref().map(|a| a.attempt) != Some(attempt) {
            return;
        }
        if let Some(a) = core.active.as_mut() {
            cancel(&mut a.icmp_watch);
        }
        core.active = None;
        if matches!(core.state, ServiceState::Starting | ServiceState::Started) {
            tracing::warn!("{}", messages::ended_unexpectedly());
            self.send(Out::Failure(PluginFailure::ConnectFailed));
        }
        self.set_state(&mut core, ServiceState::Stopped);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_psk_the_user_gives_is_asked_for_again() {
        assert!(psk_can_be_asked_again(AuthMethod::Psk, FLAG_AGENT_OWNED));
        assert!(psk_can_be_asked_again(AuthMethod::Psk, FLAG_NOT_SAVED));
        let eap = AuthMethod::Eap(ike_core::engine::EapMethod::MsChapV2);
        assert!(psk_can_be_asked_again(eap, FLAG_NOT_SAVED));
        assert!(!psk_can_be_asked_again(eap, 0));
        assert_eq!(user_secret(eap), Some("password"));
        assert_eq!(user_secret(AuthMethod::Certificate), None);
        assert!(!psk_can_be_asked_again(AuthMethod::Psk, 0));
        assert!(!psk_can_be_asked_again(
            AuthMethod::Psk,
            FLAG_AGENT_OWNED | FLAG_NOT_REQUIRED
        ));
        assert!(!psk_can_be_asked_again(
            AuthMethod::Certificate,
            FLAG_AGENT_OWNED
        ));
    }

    #[test]
    fn the_controller_reads_no_raw_profile_keys() {
        // The profile is parsed once into typed settings; the controller uses those.
        for (file, text) in [
            ("controller.rs", include_str!("../controller.rs")),
            ("attempt.rs", include_str!("attempt.rs")),
            ("ipconfig.rs", include_str!("ipconfig.rs")),
            ("reconnect.rs", include_str!("reconnect.rs")),
        ] {
            // Without whitespace (a chain may span lines); the needle is split so that this
            // test's own text does not match.
            let code: String = text.chars().filter(|c| !c.is_whitespace()).collect();
            let raw = concat!(".data", ".get(");
            assert!(!code.contains(raw), "{file} reads a raw vpn.data key");
        }
    }
}
