//! `nm-ike`: bring up an IKEv2 connection without NetworkManager (lab, routers), or run as a
//! responder. Profiles are TOML files holding the same vpn.data / vpn.secrets keys
//! NetworkManager profiles use (see nm-settings-ike(5)).

use clap::{Parser, Subcommand};
use ike_core::engine::{Engine, Event};
use ike_core::natt::{IKE_PORT, NATT_PORT};
use nm_plugin::driver::backend::{self, Backend, BackendChoice, NoEsp};
use nm_plugin::driver::kernel::Kernel;
use nm_plugin::driver::launch::{self, BackendError, KernelSetup};
use nm_plugin::driver::run::{local_address_towards, Runner, Sockets};
use nm_plugin::kernel::owner::{self, Claim};
use nm_plugin::service::sanitize::printable;
use nm_plugin::tool::{self, Profile};
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use tokio::sync::{mpsc, watch};

#[derive(Debug, Parser)]
#[command(
    name = "nm-ike",
    version,
    about = "IKEv2 connections without NetworkManager"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Log debug messages.
    #[arg(long, global = true)]
    debug: bool,
    /// Local IKE port.
    #[arg(long, global = true, default_value_t = IKE_PORT)]
    ike_port: u16,
    /// Local NAT-T port.
    #[arg(long, global = true, default_value_t = NATT_PORT)]
    natt_port: u16,
    /// Kernel backend: `xfrm` installs real SAs and policies (needs root and a kernel with
    /// ESP); `record` only logs them (IKE-only tests); `auto` is xfrm when the kernel has ESP
    /// and refuses to run without it.
    #[arg(long, global = true, value_enum, default_value_t = KernelKind::Auto)]
    kernel: KernelKind,
}

/// The kernel backend choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum KernelKind {
    /// XFRM when the kernel has ESP; without ESP nm-ike exits with an error.
    Auto,
    /// XFRM netlink.
    Xfrm,
    /// Record only.
    Record,
}

/// The backend `kind` resolves to and, with XFRM, the claim of our reqid block (held while we
/// run). With XFRM, first removes what earlier, killed runs left behind in reqid blocks no
/// live process holds (see `nm_plugin::kernel::owner`).
fn claim_backend(kind: KernelKind) -> Result<(Backend, Option<Claim>), String> {
    let choice = match kind {
        KernelKind::Auto => BackendChoice::Auto,
        KernelKind::Xfrm => BackendChoice::Xfrm,
        KernelKind::Record => BackendChoice::Record,
    };
    // Fail closed: without ESP nothing could protect the traffic (see driver::backend).
    let backend = backend::resolve(choice, nm_plugin::kernel::kernel_has_esp())
        .map_err(|NoEsp| nm_plugin::service::messages::no_esp())?;
    let claim = match backend {
        Backend::Record => {
            tracing::warn!(
                "--kernel record: IPsec SAs are negotiated but NOT installed (tests only)"
            );
            None
        }
        Backend::Xfrm => {
            let claim = owner::claim(0);
            nm_plugin::kernel::clean_at_start(&claim).map_err(|e| e.to_string())?;
            Some(claim)
        }
    };
    Ok((backend, claim))
}

/// The block of `claim` (0 without one: the recording backend).
fn block_of(claim: Option<&Claim>) -> u32 {
    claim.map_or(0, |c| c.block)
}

/// The kernel backend `backend` for reqid block `block`, and the block's first reqid. `setup`
/// gives the backend its routes, route-based interface and offload for the block (see
/// `nm_plugin::driver::launch`, which the service uses too).
fn make_kernel(
    backend: Backend,
    block: u32,
    setup: impl FnOnce(u32) -> KernelSetup,
) -> Result<(Box<dyn Kernel>, u32), String> {
    let kernel = launch::factory(Ok(backend))(&setup(block)).map_err(|e| match e {
        BackendError::NoEsp => nm_plugin::service::messages::no_esp(),
        BackendError::Failed(e) => e,
    })?;
    Ok((kernel, owner::block_base(block)))
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Connect as initiator; runs in the foreground until Ctrl-C or SIGTERM, then deletes the SAs.
    Up {
        /// The profile (TOML with `[data]` and `[secrets]` tables).
        profile: PathBuf,
        /// Close again as soon as the Child SA is up (for tests).
        #[arg(long)]
        once: bool,
    },
    /// Answer initiators as responder, with a profile holding a `[responder]` table.
    Respond {
        /// The responder profile.
        profile: PathBuf,
    },
    /// Check a profile and print the typed settings, without connecting.
    Check {
        /// The profile.
        profile: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tool::init_logging(cli.debug);
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("nm-ike: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("nm-ike: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<ExitCode, String> {
    match &cli.command {
        Command::Check { profile } => {
            let p = Profile::load(profile)?;
            let s = p.settings()?;
            println!("{s:#?}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Up { profile, once } => {
            let p = Profile::load(profile)?;
            let settings = p.settings()?;
            if settings.dpd_action == nm_plugin::settings::DpdAction::Hold {
                // Holding (policies kept, re-established on traffic) is the service's: refused
                // rather than ending the connection on a loss as if it said clear.
                return Err(nm_plugin::service::messages::hold_needs_service());
            }
            if settings.dpd_action == nm_plugin::settings::DpdAction::Restart {
                // Re-establishing (policies kept, backoff) is the service's; this tool shows
                // one connection's life.
                tracing::warn!(
                    "dpdaction=restart is carried out by nm-ike-service; nm-ike up ends when the connection is lost"
                );
            }
            if settings.keying_tries != 1 {
                // Like restart: further tries are the service's (NetworkManager waits for them).
                tracing::warn!(
                    "keyingtries={} is carried out by nm-ike-service; nm-ike up tries once",
                    settings.keying_tries
                );
            }
            let remote = tool::resolve(
                &settings.gateway,
                settings.gateway_port,
                settings.host_family,
            )?;
            let (backend, claim) = claim_backend(cli.kernel)?;
            let block = block_of(claim.as_ref());
            // Before our address towards the gateway is looked up and before the first
            // datagram: IKE and ESP to this gateway never take a tunnel route of ours (another
            // connection's 0.0.0.0/0 included). Removed once the connection has ended.
            let exemption =
                launch::exempt_gateway(&settings, block, remote.ip(), backend == Backend::Xfrm)?;
            let local =
                local_address_towards(remote).map_err(|e| format!("no route to {remote}: {e}"))?;
            let conn = nm_plugin::driver::profile::connection_config(
                &p.name(profile),
                &settings,
                remote,
                local,
                &nm_plugin::driver::files::FileAccess::Direct,
            )?;
            let (kernel, reqid_base) = make_kernel(backend, block, |block| {
                KernelSetup::for_connection(&settings, block, local, remote.ip())
            })?;
            let engine = launch::engine(reqid_base, Vec::new());
            let r = drive(engine, kernel, local, &cli, Some(conn), *once).await;
            // After the teardown of the connection's routes, before the block is released.
            drop(exemption);
            drop(claim);
            r
        }
        Command::Respond { profile } => {
            let p = Profile::load(profile)?;
            let (cfg, listen) = p.responder()?;
            let (backend, claim) = claim_backend(cli.kernel)?;
            let (kernel, reqid_base) =
                make_kernel(backend, block_of(claim.as_ref()), KernelSetup::responder)?;
            let engine = launch::engine(reqid_base, vec![cfg]);
            let r = drive(engine, kernel, listen, &cli, None, false).await;
            drop(claim);
            r
        }
    }
}

async fn drive(
    engine: Engine,
    kernel: Box<dyn Kernel>,
    local: IpAddr,
    cli: &Cli,
    conn: Option<ike_core::engine::ConnectionConfig>,
    once: bool,
) -> Result<ExitCode, String> {
    let sockets = Sockets::bind(local, cli.ike_port, cli.natt_port)
        .await
        .map_err(|e| e.to_string())?;
    let (ev_tx, mut ev_rx) = mpsc::unbounded_channel();
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut runner = launch::runner(engine, sockets, kernel, ev_tx);
    // An initiator follows its address towards the gateway (MOBIKE, or a clean end without).
    runner.path = conn
        .as_ref()
        .and_then(|c| nm_plugin::driver::path::PathFollow::open(c.remote));
    let initiator = conn.is_some();
    if let Some(conn) = conn {
        let now = runner.now();
        runner
            .engine
            .initiate(now, conn)
            .map_err(|e| e.to_string())?;
    }
    let printer = tokio::spawn(async move {
        let mut failed = false;
        let mut child_up = false;
        while let Some(ev) = ev_rx.recv().await {
            // Identities and domains come from the peer: no control characters on stdout.
            println!(
                "{}",
                printable(
                    &tool::event_line(&ev),
                    nm_plugin::service::sanitize::MAX_LINE
                )
            );
            match ev {
                Event::Failed { .. } => failed = true,
                Event::ChildSaUp { .. } => {
                    child_up = true;
                    if once {
                        let _ = stop_tx.send(true);
                    }
                }
                _ => {}
            }
        }
        (failed, child_up)
    });
    let signals = tokio::spawn(async move {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            Some(()) = async { match term.as_mut() { Some(t) => t.recv().await, None => None } } => {}
        }
    });
    let stop_on_signal = {
        let stop_rx2 = stop_rx.clone();
        let (sig_tx, sig_rx) = watch::channel(false);
        tokio::spawn(async move {
            let mut stop_rx2 = stop_rx2;
            tokio::select! {
                _ = signals => {}
                _ = stop_rx2.wait_for(|v| *v) => {}
            }
            let _ = sig_tx.send(true);
        });
        sig_rx
    };
    runner.run(stop_on_signal, initiator).await;
    launch::teardown(runner.kernel.as_mut());
    let Runner { events, .. } = runner;
    drop(events);
    let (failed, child_up) = printer.await.unwrap_or((true, false));
    if failed || (initiator && !child_up) {
        Ok(ExitCode::FAILURE)
    } else {
        Ok(ExitCode::SUCCESS)
    }
}
