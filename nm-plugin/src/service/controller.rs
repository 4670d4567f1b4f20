//! The service's state machine: NetworkManager's requests in, the engine's events in, signals
//! out. It follows libnm's `NMVpnServicePlugin` (state checks, the 60 s connect timer, the
//! 180 s quit timer after STOPPED, "fail-stop" after a refused Connect) so NetworkManager sees
//! the behaviour it knows from the C plugins.
//!
//! Signals are queued in the order of the state changes that cause them and sent by one task,
//! so `Config` always precedes `Ip4Config`/`Ip6Config`, which precede `StateChanged(STARTED)`.

use super::dicts::{self, NmConfig, VarDict};
use super::errors::PluginError;
use super::events::{self, Action, Level, Situation, Track};
use super::failure::FailureContext;
use super::icmp::IcmpTally;
use super::messages;
use super::secrets::{ConnectionDict, VpnMaps};
use super::sockets::{self, IcmpWatch, PortPolicy};
use super::state::{PluginFailure, ServiceState};
use crate::driver::backend::{resolve as resolve_backend, Backend, BackendChoice, NoEsp};
use crate::driver::files::FileAccess;
use crate::driver::kernel::{Kernel, RecordingKernel};
use crate::driver::profile::connection_config;
use crate::driver::run::{local_address_towards, Runner};
use crate::kernel::route::RouteConfig;
use crate::settings::Settings;
use crate::tool;
use ike_core::crypto::SystemRng;
use ike_core::engine::{Engine, EngineConfig, Event};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};
use tokio::task::AbortHandle;

/// What the kernel backend of one connection needs to know.
#[derive(Debug, Clone)]
pub struct KernelSetup {
    /// The process's reqid block (see [`crate::kernel::owner`]).
    pub block: u32,
    /// Table and rule priority for the tunnel's routes (from the profile).
    pub routes: RouteConfig,
    /// Route-based tunnel: its interface (`ipsec-interface`, or `vti-interface` + `mark`)
    /// and the gateway.
    pub route_based: Option<(crate::kernel::RouteBased, std::net::IpAddr)>,
    /// NIC offload requests (`nic-offload`).
    pub offload: crate::kernel::offload::Offload,
}

/// Why the kernel backend of a connection could not be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackendError {
    /// `NM_IKE_KERNEL=auto` on a kernel without ESP: the connection fails (CONNECT_FAILED)
    /// before any IKE traffic.
    NoEsp,
    /// Opening the backend failed.
    Failed(String),
}

/// Builds the kernel backend of one connection.
pub type KernelFactory =
    Arc<dyn Fn(&KernelSetup) -> Result<Box<dyn Kernel>, BackendError> + Send + Sync>;

/// The recording backend (no data plane: IKE only). Tests only: chosen by an explicit
/// `NM_IKE_KERNEL=record`.
pub fn recording_kernel() -> KernelFactory {
    Arc::new(|_| Ok(Box::new(RecordingKernel::new(Box::new(SystemRng::new()))) as Box<dyn Kernel>))
}

/// No backend: the kernel has no ESP, every connection fails (see [`BackendError::NoEsp`]).
pub fn no_esp_kernel() -> KernelFactory {
    Arc::new(|_| Err(BackendError::NoEsp))
}

/// The XFRM backend: SAs and policies in the kernel, routes in the profile's table with its
/// rule, everything removed when the connection ends (also when its task is aborted).
pub fn xfrm_kernel() -> KernelFactory {
    Arc::new(|setup| {
        let failed = |e: crate::kernel::KernelError| BackendError::Failed(e.to_string());
        let mut k =
            crate::kernel::open_for_block(setup.block, Some(setup.routes)).map_err(failed)?;
        k.cleanup_on_drop = true;
        k.offload = setup.offload;
        if let Some((rb, gateway)) = &setup.route_based {
            k = k.with_route_based(rb, *gateway).map_err(failed)?;
        }
        Ok(Box::new(k) as Box<dyn Kernel>)
    })
}

/// Environment variable choosing the kernel backend: `auto` (default), `xfrm` or `record`.
pub const ENV_KERNEL: &str = "NM_IKE_KERNEL";

/// The backend `NM_IKE_KERNEL` asks for (see [`kernel_from_value`]).
pub fn kernel_from_env() -> Result<(KernelFactory, bool), String> {
    kernel_from_value(
        std::env::var(ENV_KERNEL).ok().as_deref(),
        crate::kernel::kernel_has_esp(),
    )
}

/// The backend for the value of `NM_IKE_KERNEL` (unset is `auto`) on a kernel with or without
/// ESP. `auto` is XFRM when the kernel has ESP; without ESP every connection fails with
/// CONNECT_FAILED and a message naming the missing modules (never the recording backend,
/// which leaves traffic unprotected). Returns the factory and whether it is XFRM (then residue
/// cleanup runs at start).
pub fn kernel_from_value(
    value: Option<&str>,
    has_esp: bool,
) -> Result<(KernelFactory, bool), String> {
    let choice =
        BackendChoice::parse(value.unwrap_or("auto")).map_err(|e| format!("{ENV_KERNEL}: {e}"))?;
    Ok(match resolve_backend(choice, has_esp) {
        Ok(Backend::Xfrm) => (xfrm_kernel(), true),
        Ok(Backend::Record) => {
            tracing::warn!(
                "{ENV_KERNEL}=record: IPsec SAs are negotiated but NOT installed in the kernel (tests only)"
            );
            (recording_kernel(), false)
        }
        Err(NoEsp) => {
            tracing::warn!("{}", messages::no_esp());
            (no_esp_kernel(), false)
        }
    })
}

/// Environment variable overriding the idle-quit delay (seconds).
pub const ENV_IDLE_QUIT: &str = "NM_IKE_IDLE_QUIT_SECS";

/// libnm's quit delay after STOPPED.
pub const DEFAULT_IDLE_QUIT: Duration = Duration::from_secs(180);
/// libnm's connect timer.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(60);

/// The connection number `N` of the process NetworkManager names
/// `<service>.Connection_<N>` (one process per connection); `None` for the single-process
/// name. Each connection's engine numbers its Child SAs from its own reqid block, so that two
/// connections never install SAs and policies with the same reqid; the number picks the
/// preferred block (see [`crate::kernel::owner::preferred_block`]).
pub fn connection_number(bus_name: &str) -> Option<u32> {
    bus_name
        .rsplit_once(".Connection_")
        .and_then(|(_, n)| n.parse::<u32>().ok())
}

/// How the service behaves.
#[derive(Clone)]
pub struct Options {
    /// Do not quit when idle (`--persist`).
    pub persist: bool,
    /// Quit this long after reaching STOPPED.
    pub idle_quit: Duration,
    /// Give up a connection attempt after this long.
    pub connect_timeout: Duration,
    /// Local port choice.
    pub ports: PortPolicy,
    /// The kernel backend.
    pub kernel: KernelFactory,
    /// First reqid of this process's Child SAs (the first of its block, see
    /// [`crate::kernel::owner`]).
    pub reqid_base: u32,
    /// This process's reqid block (the route metric; see [`crate::kernel::owner`]).
    pub block: u32,
    /// The kernel backend is XFRM: clean the residue of dead processes at start.
    pub clean_residue: bool,
    /// The program started (as `PROGRAM --read-private-file USER FILE`) to read the files of
    /// private profiles with their users' rights (see [`crate::driver::files`]).
    pub file_reader: std::path::PathBuf,
}

impl Options {
    /// Defaults, with `NM_IKE_IDLE_QUIT_SECS`, `NM_IKE_IKE_PORT`, `NM_IKE_NATT_PORT` and
    /// `NM_IKE_KERNEL` applied (the kernel backend as [`kernel_from_env`] chooses it, so
    /// there is no default that could leave traffic unprotected).
    pub fn from_env(persist: bool) -> Result<Self, String> {
        let idle_quit = match std::env::var(ENV_IDLE_QUIT) {
            Ok(v) => Duration::from_secs(
                v.trim()
                    .parse::<u64>()
                    .map_err(|_| format!("{ENV_IDLE_QUIT}={v:?} is not a number of seconds"))?,
            ),
            Err(_) => DEFAULT_IDLE_QUIT,
        };
        let (kernel, xfrm) = kernel_from_env()?;
        Ok(Options {
            persist,
            idle_quit,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            ports: PortPolicy::from_env()?,
            kernel,
            reqid_base: crate::kernel::owner::block_base(0),
            block: 0,
            clean_residue: xfrm,
            // An empty path (no /proc/self/exe) is refused when a private profile's file is read.
            file_reader: crate::driver::files::reader_program().unwrap_or_default(),
        })
    }
}

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
    started: Instant,
    /// The profile, kept for a re-prompt after a rejected secret.
    maps: VpnMaps,
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
                let gateway = maps.data.get("right").cloned().unwrap_or_default();
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

    /// Validates the settings and starts the engine; STARTING on success.
    async fn start(self: &Arc<Self>, maps: VpnMaps) -> Result<(), PluginError> {
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
        let remote = tokio::task::spawn_blocking(move || tool::resolve(&host, port))
            .await
            .map_err(|e| PluginError::LaunchFailed(messages::resolve_failed(&e.to_string())))?
            .map_err(|e| PluginError::LaunchFailed(messages::resolve_failed(&e)))?;
        let gateway = if settings.gateway == remote.ip().to_string() {
            remote.ip().to_string()
        } else {
            format!("{} ({})", settings.gateway, remote.ip())
        };
        let local = local_address_towards(remote)
            .map_err(|e| PluginError::LaunchFailed(messages::no_route(&gateway, &e.to_string())))?;
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
        let setup = KernelSetup {
            block: self.opts.block,
            routes: RouteConfig {
                table: settings.route_table,
                priority: settings.route_rule_priority,
                metric: self.opts.block,
            },
            route_based: crate::kernel::RouteBased::from_settings(&settings, local)
                .map(|rb| (rb, remote.ip())),
            offload: settings.nic_offload.into(),
        };
        drop(settings);
        // The kernel backend comes before the sockets: without one that protects traffic
        // nothing is sent and nothing is installed.
        let kernel = match (self.opts.kernel)(&setup) {
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
        let (ev_tx, ev_rx) = mpsc::unbounded_channel();
        let tundev = kernel.tunnel_device();
        let sent = bound.sockets.sent_counter();
        // Before the first datagram, so that the error answering it is seen.
        let icmp = IcmpWatch::open(local, (ike_port, natt_port), remote.ip());
        let mut runner = Runner {
            engine: Engine::new(
                EngineConfig {
                    reqid_base: self.opts.reqid_base,
                    ..EngineConfig::default()
                },
                Box::new(SystemRng::new()),
            ),
            sockets: bound.sockets,
            kernel,
            events: ev_tx,
            start: Instant::now(),
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
            me.drive(attempt, runner, stop_rx, ev_rx, Track::new(own, tundev))
                .await;
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
            ike_up: false,
            icmp_watch,
            icmp: IcmpTally::default(),
            sent,
            runner: None,
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
        stop: watch::Receiver<bool>,
        mut events: mpsc::UnboundedReceiver<Event>,
        mut track: Track,
    ) {
        let run = tokio::spawn(async move {
            runner.run(stop, true).await;
            crate::driver::run::log_counters(runner.kernel.as_mut());
            // Whatever the engine did not delete itself (failure, gateway gone, timeout).
            runner.kernel.cleanup();
        });
        if let Some(a) = self.lock().active.as_mut().filter(|a| a.attempt == attempt) {
            a.runner = Some(run.abort_handle());
        }
        while let Some(ev) = events.recv().await {
            self.on_event(attempt, ev, &mut track);
        }
        let _ = run.await;
        self.on_ended(attempt);
    }

    fn on_event(self: &Arc<Self>, attempt: u64, ev: Event, track: &mut Track) {
        let mut core = self.lock();
        let Some(active) = core.active.as_ref().filter(|a| a.attempt == attempt) else {
            return;
        };
        let situation = Situation {
            closing: active.closing,
            gateway: active.remote.ip(),
            failure: FailureContext {
                gateway: active.gateway.clone(),
                waited: active.started.elapsed(),
            },
            can_reprompt: Self::can_reprompt(&core),
            icmp: active.icmp.seen(),
        };
        for action in events::on_event(track, ev, &situation) {
            self.apply(&mut core, action);
        }
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
        }
    }

    /// Whether a rejected secret can be asked for again (see [`Controller::reprompt`]).
    fn can_reprompt(core: &Core) -> bool {
        use super::secrets::{FLAG_AGENT_OWNED, FLAG_NOT_REQUIRED, FLAG_NOT_SAVED};
        if !core.interactive || core.state != ServiceState::Starting {
            return false;
        }
        let Some(active) = core.active.as_ref() else {
            return false;
        };
        let authby = active
            .maps
            .data
            .get("authby")
            .map_or("secret", |s| s.trim());
        let flags = active.maps.flags("pskvalue");
        authby == "secret"
            && flags & (FLAG_AGENT_OWNED | FLAG_NOT_SAVED) != 0
            && flags & FLAG_NOT_REQUIRED == 0
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
        let _ = old.stop.send(true);
        cancel(&mut old.icmp_watch);
        let mut maps = old.maps.clone();
        if let Some(mut v) = maps.secrets.remove("pskvalue") {
            zeroize::Zeroize::zeroize(&mut v);
        }
        tracing::info!("asking NetworkManager for the pre-shared key again");
        cancel(&mut core.connect_timer);
        core.pending = Some(maps);
        self.send(Out::SecretsRequired(
            cause.to_string(),
            vec!["pskvalue".to_string()],
        ));
        true
    }

    /// An ICMP port unreachable quoting one of our IKE datagrams arrived. Before the IKE SA is
    /// up it ends the attempt only when errors answered consecutive transmissions (see
    /// [`super::icmp`]); otherwise the engine keeps waiting for a valid answer. Returns false
    /// when the watch can end (attempt over or IKE SA up).
    fn on_port_unreachable(self: &Arc<Self>, attempt: u64, port: u16) -> bool {
        let mut core = self.lock();
        let Some(a) = core
            .active
            .as_mut()
            .filter(|a| a.attempt == attempt && !a.closing)
        else {
            return false;
        };
        if a.ike_up {
            tracing::debug!(
                "ICMP port unreachable for UDP port {port} after the IKE SA is up: ignored"
            );
            return false;
        }
        let sent = a.sent.load(Ordering::Relaxed);
        let before = a.icmp.seen();
        if !a.icmp.record(sent, port) {
            // Once per answered transmission: a flood of forged errors does not flood the log.
            if a.icmp.seen() != before {
                tracing::info!(
                    "ICMP port unreachable for UDP port {port} from {} (datagram {sent}); waiting for a valid answer",
                    a.gateway
                );
            }
            return true;
        }
        a.icmp_watch = None;
        tracing::warn!(
            "{}",
            messages::no_ike_service(&a.gateway, port, a.icmp.consecutive(), a.started.elapsed())
        );
        self.begin_stop(&mut core, Some(PluginFailure::ConnectFailed));
        Self::end_half_open(&mut core);
        false
    }

    /// After a failure before the IKE SA came up there is nothing to close with the gateway:
    /// end the engine's loop at once (its kernel backend removes what it allocated when
    /// dropped), so NetworkManager sees STOPPED right after the failure instead of after the
    /// close grace period.
    fn end_half_open(core: &mut Core) {
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

    fn send_config(self: &Arc<Self>, core: &mut Core, c: NmConfig) {
        self.apply_config(core, c.config);
        if let Some(d) = c.ip4 {
            self.apply_ip4(core, d);
        }
        if let Some(d) = c.ip6 {
            self.apply_ip6(core, d);
        }
    }

    fn maybe_started(self: &Arc<Self>, core: &mut Core) {
        let p = core.ip;
        if core.state == ServiceState::Starting
            && p.got_config
            && p.has_ip4 == p.got_ip4
            && p.has_ip6 == p.got_ip6
        {
            self.set_state(core, ServiceState::Started);
        }
    }

    fn apply_config(self: &Arc<Self>, core: &mut Core, d: VarDict) {
        let (h4, h6) = dicts::announced(&d);
        core.ip.got_config = true;
        core.ip.has_ip4 = h4;
        core.ip.has_ip6 = h6;
        self.send(Out::Config(d));
        self.maybe_started(core);
    }

    fn apply_ip4(self: &Arc<Self>, core: &mut Core, d: VarDict) {
        core.ip.got_ip4 = true;
        if !core.ip.got_config {
            // Old-style plugins send no Config and only IPv4.
            core.ip.got_config = true;
            core.ip.has_ip4 = true;
        }
        self.send(Out::Ip4(d));
        self.maybe_started(core);
    }

    fn apply_ip6(self: &Arc<Self>, core: &mut Core, d: VarDict) {
        core.ip.got_ip6 = true;
        self.send(Out::Ip6(d));
        self.maybe_started(core);
    }

    /// `SetConfig` (from a helper): re-emitted as `Config`.
    pub fn set_config(self: &Arc<Self>, d: VarDict) {
        let mut core = self.lock();
        self.apply_config(&mut core, d);
    }

    /// `SetIp4Config`: re-emitted as `Ip4Config`.
    pub fn set_ip4_config(self: &Arc<Self>, d: VarDict) {
        let mut core = self.lock();
        self.apply_ip4(&mut core, d);
    }

    /// `SetIp6Config`: re-emitted as `Ip6Config`.
    pub fn set_ip6_config(self: &Arc<Self>, d: VarDict) {
        let mut core = self.lock();
        self.apply_ip6(&mut core, d);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> KernelSetup {
        KernelSetup {
            block: 0,
            routes: RouteConfig::default(),
            route_based: None,
            offload: crate::kernel::offload::Offload::No,
        }
    }

    #[test]
    fn auto_without_esp_fails_every_connection() {
        for value in [None, Some("auto"), Some("")] {
            let (factory, xfrm) = kernel_from_value(value, false).unwrap();
            assert!(!xfrm, "{value:?}");
            assert_eq!(
                factory(&setup()).err(),
                Some(BackendError::NoEsp),
                "{value:?}"
            );
        }
    }

    #[test]
    fn recording_backend_only_when_asked() {
        let (factory, xfrm) = kernel_from_value(Some("record"), false).unwrap();
        assert!(!xfrm);
        assert!(factory(&setup()).is_ok());
        // With ESP, auto and xfrm choose XFRM (not opened here: that needs CAP_NET_ADMIN).
        assert!(kernel_from_value(Some("auto"), true).unwrap().1);
        assert!(kernel_from_value(Some("xfrm"), false).unwrap().1);
        assert!(kernel_from_value(Some("recording"), false).is_err());
    }

    #[test]
    fn connection_numbers_from_bus_names() {
        assert_eq!(
            connection_number("org.freedesktop.NetworkManager.ike"),
            None
        );
        assert_eq!(
            connection_number("org.freedesktop.NetworkManager.ike.Connection_0"),
            Some(0)
        );
        assert_eq!(
            connection_number("org.freedesktop.NetworkManager.ike.Connection_67"),
            Some(67)
        );
        assert_eq!(connection_number("x.Connection_y"), None);
    }
}
