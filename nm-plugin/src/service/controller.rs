//! The service's state machine: NetworkManager's requests in, the engine's events in, signals
//! out. It follows libnm's `NMVpnServicePlugin` (state checks, the 60 s connect timer, the
//! 180 s quit timer after STOPPED, "fail-stop" after a refused Connect) so NetworkManager sees
//! the behaviour it knows from the C plugins.
//!
//! Signals are queued in the order of the state changes that cause them and sent by one task,
//! so `Config` always precedes `Ip4Config`/`Ip6Config`, which precede `StateChanged(STARTED)`.
//!
//! One connection attempt (its launch and its events) is in `controller/attempt.rs`; the
//! configuration signals are in `controller/ipconfig.rs`.

mod attempt;
mod fallback;
mod ipconfig;
mod reconnect;
mod trap;
mod unreachable;

use super::dicts::VarDict;
use super::errors::PluginError;
use super::icmp::IcmpTally;
use super::messages;
use super::options::Options;
use super::secrets::{ConnectionDict, VpnMaps};
use super::state::{PluginFailure, ServiceState};
use crate::settings::AuthMethod;
use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};
use tokio::task::AbortHandle;

/// A signal to send, in order.
#[derive(Debug)]
pub enum Out {
    /// StateChanged (and PropertiesChanged for State).
    State(ServiceState),
    /// Config.
    Config(VarDict),
    /// Ip4Config.
    Ip4(VarDict),
    /// Ip6Config.
    Ip6(VarDict),
    /// Failure.
    Failure(PluginFailure),
    /// SecretsRequired.
    SecretsRequired(String, Vec<String>),
    /// LoginBanner.
    Banner(String),
    /// Answer when everything queued before was sent.
    Flush(tokio::sync::oneshot::Sender<()>),
}

/// Progress of the configuration signals (libnm's got_config/has_ip4/got_ip4...).
#[derive(Debug, Default, Clone, Copy)]
struct IpProgress {
    got_config: bool,
    has_ip4: bool,
    has_ip6: bool,
    got_ip4: bool,
    got_ip6: bool,
}

/// A running connection.
struct Active {
    attempt: u64,
    stop: watch::Sender<bool>,
    done: watch::Receiver<bool>,
    task: AbortHandle,
    closing: bool,
    gateway: String,
    remote: SocketAddr,
    /// When the current attempt to reach the gateway began: the activation, then each attempt
    /// of `dpdaction=restart`/`hold` to re-establish the connection (the wait that a failure
    /// names).
    started: Instant,
    /// The profile, kept for a re-prompt after a rejected secret.
    maps: VpnMaps,
    /// How we authenticate (from the typed settings: whether a re-prompt can help).
    auth: AuthMethod,
    /// The IKE SA came up (an ICMP error no longer ends the attempt).
    ike_up: bool,
    /// The ICMP port-unreachable watch.
    icmp_watch: Option<AbortHandle>,
    /// The ICMP errors seen before the IKE SA came up.
    icmp: IcmpTally,
    /// Datagrams sent so far (which transmission an ICMP error answers).
    sent: Arc<AtomicU64>,
    /// The engine's loop (aborted after a failure before the IKE SA is up: nothing to close).
    runner: Option<AbortHandle>,
    /// `dpdaction=restart` and `hold`: the hold on the lost connection's policies (ended when the
    /// connection closes, so that its policies go).
    hold: Option<Arc<crate::driver::hold::PolicyHold>>,
    /// The gateway's addresses and the tries left, for another try when this one does not
    /// answer before the IKE SA is up (see [`Controller::fall_back`]).
    plan: fallback::GatewayPlan,
}

#[derive(Default)]
struct Core {
    state: ServiceState,
    busy: bool,
    /// Disconnect arrived while Connect/NewSecrets was still preparing.
    cancel_start: bool,
    attempt: u64,
    active: Option<Active>,
    pending: Option<VpnMaps>,
    interactive: bool,
    ip: IpProgress,
    connect_timer: Option<AbortHandle>,
    quit_timer: Option<AbortHandle>,
    fail_stop: Option<AbortHandle>,
}

fn cancel(t: &mut Option<AbortHandle>) {
    if let Some(h) = t.take() {
        h.abort();
    }
}

/// The state machine shared by the D-Bus interface and the connection tasks.
pub struct Controller {
    core: Mutex<Core>,
    out: mpsc::UnboundedSender<Out>,
    quit: watch::Sender<bool>,
    opts: Options,
}

impl Controller {
    /// A controller in state INIT sending its signals to `out` and raising `quit` when the
    /// idle timer fires.
    pub fn new(opts: Options, out: mpsc::UnboundedSender<Out>, quit: watch::Sender<bool>) -> Self {
        Controller {
            core: Mutex::new(Core::default()),
            out,
            quit,
            opts,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Core> {
        self.core.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn send(&self, o: Out) {
        let _ = self.out.send(o);
    }

    /// The current state.
    pub fn state(&self) -> ServiceState {
        self.lock().state
    }

    /// Waits until every signal queued so far was sent.
    pub async fn flush(&self) {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.send(Out::Flush(tx));
        let _ = tokio::time::timeout(Duration::from_secs(2), rx).await;
    }

    fn set_state(self: &Arc<Self>, core: &mut Core, s: ServiceState) {
        if core.state == s {
            return;
        }
        tracing::debug!("state {} -> {}", core.state.name(), s.name());
        core.state = s;
        self.send(Out::State(s));
        match s {
            ServiceState::Starting => {
                cancel(&mut core.quit_timer);
                cancel(&mut core.fail_stop);
            }
            ServiceState::Stopped => {
                core.ip = IpProgress::default();
                core.interactive = false;
                cancel(&mut core.connect_timer);
                cancel(&mut core.fail_stop);
                self.schedule_quit(core);
            }
            _ => {
                cancel(&mut core.connect_timer);
                cancel(&mut core.quit_timer);
                cancel(&mut core.fail_stop);
            }
        }
    }

    fn schedule_quit(self: &Arc<Self>, core: &mut Core) {
        cancel(&mut core.quit_timer);
        if self.opts.persist {
            return;
        }
        let me = Arc::clone(self);
        let delay = self.opts.idle_quit;
        let h = tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let state = me.state();
            if matches!(state, ServiceState::Stopped | ServiceState::Init) {
                tracing::info!("no connection for {} s; quitting", delay.as_secs());
                let _ = me.quit.send(true);
            }
        });
        core.quit_timer = Some(h.abort_handle());
    }

    fn start_connect_timer(self: &Arc<Self>, core: &mut Core) {
        cancel(&mut core.connect_timer);
        let me = Arc::clone(self);
        let attempt = core.attempt;
        let delay = self.opts.connect_timeout;
        let h = tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let expired = {
                let c = me.lock();
                c.state == ServiceState::Starting && c.attempt == attempt
            };
            if expired {
                tracing::warn!("{}", messages::connect_timeout(delay.as_secs()));
                let _ = me.stop(Some(PluginFailure::ConnectFailed)).await;
            }
        });
        core.connect_timer = Some(h.abort_handle());
    }

    /// After a refused Connect/NewSecrets: STOPPED once the error reply is out (libnm's
    /// `schedule_fail_stop`).
    fn schedule_fail_stop(self: &Arc<Self>, core: &mut Core) {
        cancel(&mut core.fail_stop);
        let me = Arc::clone(self);
        let h = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            let mut c = me.lock();
            if c.active.is_none() && !c.busy && c.state != ServiceState::Started {
                c.pending = None;
                c.fail_stop = None;
                me.set_state(&mut c, ServiceState::Stopped);
            }
        });
        core.fail_stop = Some(h.abort_handle());
    }

    /// `Connect` / `ConnectInteractive`.
    pub async fn connect(
        self: &Arc<Self>,
        conn: ConnectionDict,
        interactive: bool,
    ) -> Result<(), PluginError> {
        {
            let mut core = self.lock();
            if !matches!(core.state, ServiceState::Init | ServiceState::Stopped) || core.busy {
                return Err(PluginError::WrongState(messages::wrong_state_connect(
                    core.state.name(),
                )));
            }
            core.busy = true;
            core.cancel_start = false;
            cancel(&mut core.fail_stop);
        }
        let r = self.connect_inner(conn, interactive).await;
        let mut core = self.lock();
        core.busy = false;
        if let Err(e) = &r {
            tracing::warn!("connect refused: {e}");
            self.schedule_fail_stop(&mut core);
        }
        r
    }

    async fn connect_inner(
        self: &Arc<Self>,
        conn: ConnectionDict,
        interactive: bool,
    ) -> Result<(), PluginError> {
        let maps = VpnMaps::from_connection(&conn).map_err(PluginError::BadArguments)?;
        drop(conn);
        tracing::info!(
            "connection \"{}\" ({}) requested{}",
            maps.name(),
            maps.uuid.as_deref().unwrap_or("no uuid"),
            if interactive { ", interactive" } else { "" }
        );
        if interactive {
            let missing = maps.missing_secrets();
            if !missing.is_empty() {
                let gateway = maps.gateway().to_string();
                tracing::info!("asking NetworkManager for secrets: {}", missing.join(", "));
                let mut core = self.lock();
                core.interactive = true;
                core.pending = Some(maps);
                self.set_state(&mut core, ServiceState::Starting);
                self.send(Out::SecretsRequired(
                    messages::secrets_prompt(&gateway),
                    missing.iter().map(|s| s.to_string()).collect(),
                ));
                return Ok(());
            }
            self.lock().interactive = true;
        }
        self.start(maps).await
    }

    /// `NewSecrets`: continues a `ConnectInteractive` that waits for secrets.
    pub async fn new_secrets(self: &Arc<Self>, conn: ConnectionDict) -> Result<(), PluginError> {
        let maps = {
            let mut core = self.lock();
            if core.state != ServiceState::Starting || core.busy || core.pending.is_none() {
                return Err(PluginError::WrongState(messages::not_waiting_for_secrets(
                    core.state.name(),
                )));
            }
            let newer = VpnMaps::from_connection(&conn).map_err(PluginError::BadArguments)?;
            let Some(mut maps) = core.pending.take() else {
                return Err(PluginError::WrongState(messages::not_waiting_for_secrets(
                    core.state.name(),
                )));
            };
            maps.merge(&newer);
            core.busy = true;
            core.cancel_start = false;
            maps
        };
        drop(conn);
        let missing = maps.missing_secrets();
        let r = if missing.is_empty() {
            tracing::info!("secrets received; connecting");
            self.start(maps).await
        } else {
            Err(PluginError::InvalidConnection(
                messages::secrets_still_missing(&missing),
            ))
        };
        let mut core = self.lock();
        core.busy = false;
        if let Err(e) = &r {
            tracing::warn!("new secrets refused: {e}");
            self.schedule_fail_stop(&mut core);
        }
        r
    }

    /// Emits Failure (when given and a connection is starting or up), goes to STOPPING and
    /// asks the connection to close. Returns a receiver that turns true when it has ended.
    fn begin_stop(
        self: &Arc<Self>,
        core: &mut Core,
        failure: Option<PluginFailure>,
    ) -> Option<watch::Receiver<bool>> {
        if matches!(core.state, ServiceState::Starting | ServiceState::Started) {
            if let Some(f) = failure {
                self.send(Out::Failure(f));
            }
        }
        self.set_state(core, ServiceState::Stopping);
        core.pending = None;
        if core.busy {
            core.cancel_start = true;
        }
        let a = core.active.as_mut()?;
        a.closing = true;
        if let Some(h) = &a.hold {
            h.end();
        }
        cancel(&mut a.icmp_watch);
        let _ = a.stop.send(true);
        Some(a.done.clone())
    }

    /// Stops the connection and waits (briefly) for its delete exchange: STOPPING, then
    /// STOPPED. `failure` is emitted when a connection was starting or up.
    async fn stop(self: &Arc<Self>, failure: Option<PluginFailure>) -> Result<(), PluginError> {
        let wait = {
            let mut core = self.lock();
            match core.state {
                ServiceState::Stopping => {
                    return Err(PluginError::StoppingInProgress(messages::already_stopping()))
                }
                ServiceState::Stopped => {
                    return Err(PluginError::AlreadyStopped(messages::already_stopped()))
                }
                ServiceState::Starting | ServiceState::Started => {
                    let f = if core.state == ServiceState::Starting {
                        failure.or(Some(PluginFailure::ConnectFailed))
                    } else {
                        failure
                    };
                    self.begin_stop(&mut core, f)
                }
                ServiceState::Init | ServiceState::Unknown | ServiceState::Shutdown => {
                    core.cancel_start = core.busy;
                    self.set_state(&mut core, ServiceState::Stopped);
                    return Ok(());
                }
            }
        };
        if let Some(mut done) = wait {
            // The runner itself gives the delete exchange 3 s.
            let _ = tokio::time::timeout(Duration::from_secs(5), done.wait_for(|d| *d)).await;
        }
        let mut core = self.lock();
        if let Some(mut a) = core.active.take() {
            tracing::warn!("the IKE connection did not close in time; dropping it");
            cancel(&mut a.icmp_watch);
            a.task.abort();
        }
        self.set_state(&mut core, ServiceState::Stopped);
        Ok(())
    }

    /// `Disconnect`.
    pub async fn disconnect(self: &Arc<Self>) -> Result<(), PluginError> {
        tracing::info!("disconnect requested");
        self.stop(None).await
    }

    /// `SetFailure`: NetworkManager found the IP configuration unusable.
    pub async fn set_failure(self: &Arc<Self>, reason: &str) {
        tracing::warn!("{}", messages::set_failure(reason));
        let _ = self.stop(Some(PluginFailure::BadIpConfig)).await;
    }

    /// Shutdown on SIGTERM/SIGINT: closes a running connection.
    pub async fn shutdown(self: &Arc<Self>) {
        let up = matches!(self.state(), ServiceState::Starting | ServiceState::Started);
        if up {
            let _ = self.stop(None).await;
        }
        let mut core = self.lock();
        cancel(&mut core.quit_timer);
    }

    /// `NeedSecrets`.
    pub fn need_secrets(self: &Arc<Self>, conn: &ConnectionDict) -> Result<String, PluginError> {
        let maps = VpnMaps::from_connection(conn).map_err(PluginError::InvalidConnection)?;
        let answer = maps.need_secrets();
        if !answer.is_empty() {
            tracing::info!("secrets needed: {}", maps.missing_secrets().join(", "));
            // Do not quit while NetworkManager asks the user.
            let mut core = self.lock();
            if matches!(core.state, ServiceState::Stopped | ServiceState::Init) {
                self.schedule_quit(&mut core);
            }
        }
        Ok(answer.to_string())
    }
}
