//! `nm-ike-service`: the NetworkManager VPN plugin D-Bus service.
//!
//! NetworkManager starts one process per connection (with `--bus-name
//! org.freedesktop.NetworkManager.ike.Connection_<N>`) and talks to it over the system bus
//! through `org.freedesktop.NetworkManager.VPN.Plugin` at `/org/freedesktop/NetworkManager/VPN/Plugin`.
//! The process parses the profile once into typed settings, runs the IKE engine over UDP
//! (see [`sockets`] for how several connections share ports) and reports the negotiated
//! configuration back as `Config`/`Ip4Config`/`Ip6Config` signals.
//!
//! # Kernel state and routes
//! With a kernel that has ESP (`NM_IKE_KERNEL=auto`, the default) each connection installs its
//! SAs and policies over XFRM netlink in its own reqid block (see [`crate::kernel::owner`]); at
//! start the process removes what dead processes left behind, on disconnect, SIGTERM/SIGINT
//! and failure it removes what it installed. Without ESP every connection fails
//! (CONNECT_FAILED, with a journal line naming the missing modules) before any IKE datagram is
//! sent: the recording backend (IKE only, no protected traffic) is used only when
//! `NM_IKE_KERNEL=record` asks for it (tests).
//!
//! Routes: we do **both**. The routes of the negotiated remote networks (or, with `rightsubnet`
//! at its default, the subnets the gateway pushes: [`crate::kernel::split`]) still go to
//! NetworkManager in `Ip4Config`/`Ip6Config` (NM shows them, puts them in `main` or in the
//! user's `ipv4.route-table`, and applies `never-default` and the user's own routes), **and**
//! the kernel layer installs them itself in the profile's `route-table` (default 2749) with a
//! rule of priority `route-rule-priority` (default 2749) — see [`crate::kernel::route`]. The
//! rule is consulted before `main` and before any table NM uses, so a rogue, more specific LAN
//! route (TunnelVision, CVE-2024-3661) cannot divert tunnel traffic, whatever the user set in
//! `ipv4.route-table`; only user rules with a smaller priority than ours come first (that is
//! their explicit choice, and `route-rule-priority` can be lowered). We do not set NM's route
//! table ourselves: NM does not add rules for a VPN's table, and a table chosen by the user must
//! stay the user's.

pub mod controller;
pub mod dbus;
pub mod dicts;
pub mod errors;
mod event_text;
pub mod events;
pub mod failure;
pub mod icmp;
pub mod logging;
pub mod messages;
pub mod options;
pub mod sanitize;
pub mod secrets;
pub mod sockets;
pub mod state;

use controller::{Controller, Out};
use dbus::Plugin;
use options::Options;
use std::sync::Arc;
use tokio::sync::{mpsc, watch};
use zbus::object_server::SignalEmitter;

/// The object path NetworkManager calls.
pub const PLUGIN_PATH: &str = "/org/freedesktop/NetworkManager/VPN/Plugin";
/// The interface name.
pub const PLUGIN_INTERFACE: &str = "org.freedesktop.NetworkManager.VPN.Plugin";

/// Sends the queued signals in order.
async fn emit_loop(conn: zbus::Connection, mut rx: mpsc::UnboundedReceiver<Out>) {
    let emitter = match SignalEmitter::new(&conn, PLUGIN_PATH) {
        Ok(e) => e.into_owned(),
        Err(e) => {
            tracing::error!("cannot emit signals: {e}");
            return;
        }
    };
    let iface = conn
        .object_server()
        .interface::<_, Plugin>(PLUGIN_PATH)
        .await
        .ok();
    while let Some(o) = rx.recv().await {
        let r = match o {
            Out::State(s) => {
                tracing::debug!("signal StateChanged({})", s.code());
                let r = Plugin::emit_state_changed(&emitter, s.code()).await;
                if let Some(i) = &iface {
                    let _ = i.get().await.state_changed(&emitter).await;
                }
                r
            }
            Out::Config(d) => {
                tracing::debug!("signal Config");
                Plugin::emit_config(&emitter, &d).await
            }
            Out::Ip4(d) => {
                tracing::debug!("signal Ip4Config");
                Plugin::emit_ip4_config(&emitter, &d).await
            }
            Out::Ip6(d) => {
                tracing::debug!("signal Ip6Config");
                Plugin::emit_ip6_config(&emitter, &d).await
            }
            Out::Failure(f) => {
                tracing::debug!("signal Failure({})", f.code());
                Plugin::emit_failure(&emitter, f.code()).await
            }
            Out::SecretsRequired(msg, hints) => {
                tracing::debug!("signal SecretsRequired({})", hints.join(","));
                Plugin::emit_secrets_required(&emitter, &msg, &hints).await
            }
            Out::Banner(b) => Plugin::emit_login_banner(&emitter, &b).await,
            Out::Flush(done) => {
                let _ = done.send(());
                Ok(())
            }
        };
        if let Err(e) = r {
            tracing::warn!("sending a signal failed: {e}");
        }
    }
}

async fn terminated() {
    use tokio::signal::unix::{signal, SignalKind};
    let term = signal(SignalKind::terminate());
    let int = signal(SignalKind::interrupt());
    match (term, int) {
        (Ok(mut t), Ok(mut i)) => {
            tokio::select! {
                _ = t.recv() => {}
                _ = i.recv() => {}
            }
        }
        _ => std::future::pending::<()>().await,
    }
}

/// Runs the service on the system bus (`DBUS_SYSTEM_BUS_ADDRESS` is honoured) under
/// `bus_name` until the idle timer fires or SIGTERM/SIGINT arrives. The name is requested
/// after the object is exported, as NetworkManager expects within 5 s of the start.
pub async fn serve(bus_name: &str, mut opts: Options) -> Result<(), String> {
    // Our reqid block: NetworkManager's Connection_<N> picks the preferred one; the lock says
    // which blocks belong to live processes (see crate::kernel::owner).
    let preferred = crate::kernel::owner::preferred_block(options::connection_number(bus_name));
    let claim = crate::kernel::owner::claim(preferred);
    opts.block = claim.block;
    let clean_residue = opts.xfrm;
    let (out_tx, out_rx) = mpsc::unbounded_channel();
    let (quit_tx, mut quit_rx) = watch::channel(false);
    let persist = opts.persist;
    let ctrl = Arc::new(Controller::new(opts, out_tx, quit_tx));
    let conn = zbus::connection::Builder::system()
        .serve_at(PLUGIN_PATH, Plugin::new(Arc::clone(&ctrl)))
        .name(bus_name)
        .build()
        .await
        .map_err(|e| format!("cannot register {bus_name} on the system bus: {e}"))?;
    tracing::info!(
        "nm-ike-service {} ready as {bus_name}{}",
        env!("CARGO_PKG_VERSION"),
        if persist { " (persistent)" } else { "" }
    );
    // After owning the name (NetworkManager gives a plugin 5 s to appear, which a slow machine
    // can need for the dumps below), but before any call is served: this single-threaded
    // runtime handles Connect only once the cleanup is done.
    if clean_residue {
        match crate::kernel::clean_at_start(&claim) {
            Ok(r) => tracing::debug!("residue cleanup: {r:?}"),
            Err(e) => tracing::warn!("cannot remove what earlier runs left in the kernel: {e}"),
        }
    }
    let emitter = tokio::spawn(emit_loop(conn.clone(), out_rx));
    tokio::select! {
        _ = quit_rx.wait_for(|q| *q) => {}
        () = terminated() => {
            tracing::info!("terminating");
            ctrl.shutdown().await;
        }
    }
    ctrl.flush().await;
    emitter.abort();
    drop(conn);
    drop(claim);
    Ok(())
}
