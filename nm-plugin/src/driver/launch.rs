//! Launching a connection, shared by `nm-ike-service` and `nm-ike`: the kernel backend a
//! connection gets (which one, what it is told, how it is opened), the engine, the event loop,
//! and the teardown when the loop ends.
//!
//! The backend choice itself (`auto`, `xfrm`, `record`, failing closed without ESP) is
//! [`super::backend`]; here the chosen backend becomes a [`KernelFactory`] that opens one
//! backend per connection from its [`KernelSetup`].

use super::backend::{Backend, NoEsp};
use super::run::{Runner, Sockets};
use crate::kernel::api::{log_counters, Kernel};
use crate::kernel::keepalive::KeepaliveOffload;
use crate::kernel::offload::Offload;
use crate::kernel::record::RecordingKernel;
use crate::kernel::route::{GatewayExemption, RouteConfig};
use crate::kernel::RouteBased;
use crate::settings::Settings;
use ike_core::crypto::SystemRng;
use ike_core::engine::{Engine, EngineConfig, Event, ResponderConfig};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// What the kernel backend of one connection needs to know.
#[derive(Debug, Clone)]
pub struct KernelSetup {
    /// The process's reqid block (see [`crate::kernel::owner`]).
    pub block: u32,
    /// Table and rule priority for the tunnel's routes (from the profile), the block as metric.
    pub routes: RouteConfig,
    /// Route-based tunnel: its interface (`ipsec-interface`, or `vti-interface` + `mark`)
    /// and the gateway.
    pub route_based: Option<(RouteBased, IpAddr)>,
    /// NIC offload requests (`nic-offload`).
    pub offload: Offload,
    /// `nat-keepalive` (zero: off): outbound UDP-encapsulated SAs behind a NAT ask the
    /// kernel to send the keepalives (see [`crate::kernel::keepalive`]).
    pub nat_keepalive: Duration,
    /// Subnets the gateway pushes become the routes (`rightsubnet` left at its default, see
    /// [`crate::kernel::split`]).
    pub split_include: bool,
    /// `dpdaction=hold`: the backend reports the kernel's ACQUIREs for our policies (see
    /// [`crate::kernel::acquire`]); a backend that cannot is not made.
    pub acquires: bool,
}

impl KernelSetup {
    /// The setup of an initiated connection in reqid block `block`, from our address `local`
    /// towards the gateway `remote`: the profile's route table and rule priority (the block as
    /// the routes' metric), its route-based interface and its NIC offload.
    pub fn for_connection(settings: &Settings, block: u32, local: IpAddr, remote: IpAddr) -> Self {
        KernelSetup {
            block,
            routes: route_config(settings, block),
            route_based: RouteBased::from_settings(settings, local).map(|rb| (rb, remote)),
            offload: settings.nic_offload.into(),
            nat_keepalive: settings.nat_keepalive,
            split_include: crate::kernel::split::allowed(&settings.remote_subnets),
            acquires: settings.dpd_action == crate::settings::DpdAction::Hold,
        }
    }

    /// The setup of a responder in reqid block `block`: the default route table and rule
    /// (the block as metric), policy-based, no offload.
    pub fn responder(block: u32) -> Self {
        KernelSetup {
            block,
            routes: RouteConfig {
                metric: block,
                ..RouteConfig::default()
            },
            route_based: None,
            offload: Offload::No,
            nat_keepalive: Duration::ZERO,
            split_include: false,
            acquires: false,
        }
    }
}

/// The routes of a connection in reqid block `block`: the profile's table and rule priority,
/// the block as metric.
pub fn route_config(settings: &Settings, block: u32) -> RouteConfig {
    RouteConfig {
        table: settings.route_table,
        priority: settings.route_rule_priority,
        metric: block,
    }
}

/// Exempts the gateway `remote` of a connection in reqid block `block` from the tunnel routes
/// in the profile's table (see [`crate::kernel::route::Routes::exempt_gateway`]), for the XFRM
/// backend (`xfrm`; the recording backend installs no routes, so there is nothing to exempt
/// from: `None`). Call it before the local address towards the gateway is looked up and keep
/// the guard until the connection has ended. The error says what failed; the connection must
/// not go on without the exemption.
pub fn exempt_gateway(
    settings: &Settings,
    block: u32,
    remote: IpAddr,
    xfrm: bool,
) -> Result<Option<GatewayExemption>, String> {
    if !xfrm {
        return Ok(None);
    }
    crate::kernel::exempt_gateway(block, route_config(settings, block), remote)
        .map(Some)
        .map_err(|e| exemption_failed(&remote.to_string(), settings.route_table, &e.to_string()))
}

/// The throw route that keeps IKE and ESP to the connection's own gateway out of every tunnel
/// route in our table could not be added: the connection fails rather than risk its IKE going
/// into another connection's tunnel.
pub fn exemption_failed(gateway: &str, table: u32, detail: &str) -> String {
    crate::i18n::trf(
        "Cannot keep the traffic to the gateway {gateway} out of the tunnels (throw route in routing table {table}): {detail}",
        &[("gateway", &gateway), ("table", &table), ("detail", &detail)],
    )
}

/// Why the kernel backend of a connection could not be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackendError {
    /// `auto` on a kernel without ESP: the connection fails (the service reports
    /// CONNECT_FAILED) before any IKE traffic.
    NoEsp,
    /// Opening the backend failed.
    Failed(String),
}

/// Builds the kernel backend of one connection.
pub type KernelFactory =
    Arc<dyn Fn(&KernelSetup) -> Result<Box<dyn Kernel>, BackendError> + Send + Sync>;

/// The recording backend (no data plane: IKE only). Tests only: chosen by an explicit
/// `record`.
pub fn recording_kernel() -> KernelFactory {
    Arc::new(|_| Ok(Box::new(RecordingKernel::new(Box::new(SystemRng::new()))) as Box<dyn Kernel>))
}

/// No backend: the kernel has no ESP, every connection fails (see [`BackendError::NoEsp`]).
pub fn no_esp_kernel() -> KernelFactory {
    Arc::new(|_| Err(BackendError::NoEsp))
}

/// The XFRM backend: SAs and policies in the kernel, routes in the profile's table with its
/// rule, everything removed when the connection ends (also when its task is aborted or the
/// backend is dropped on an error path).
pub fn xfrm_kernel() -> KernelFactory {
    Arc::new(|setup| {
        let failed = |e: crate::kernel::KernelError| BackendError::Failed(e.to_string());
        let mut k =
            crate::kernel::open_for_block(setup.block, Some(setup.routes)).map_err(failed)?;
        k.cleanup_on_drop = true;
        k.offload = setup.offload;
        k.keepalives = KeepaliveOffload::new(
            setup.nat_keepalive,
            crate::kernel::keepalive::running_release().as_deref(),
        );
        k.split_include = setup.split_include;
        if setup.acquires {
            // Without them a held connection would never come back: refuse it instead.
            k.watch_acquires().map_err(failed)?;
        }
        if let Some((rb, gateway)) = &setup.route_based {
            k = k.with_route_based(rb, *gateway).map_err(failed)?;
        }
        Ok(Box::new(k) as Box<dyn Kernel>)
    })
}

/// The factory for what [`super::backend::resolve`] chose: without ESP, the factory that fails
/// every connection (never the recording backend).
pub fn factory(backend: Result<Backend, NoEsp>) -> KernelFactory {
    match backend {
        Ok(Backend::Xfrm) => xfrm_kernel(),
        Ok(Backend::Record) => recording_kernel(),
        Err(NoEsp) => no_esp_kernel(),
    }
}

/// An engine numbering its Child SAs from `reqid_base` (the first reqid of the process's
/// block), answering `responders` (none for an initiator).
pub fn engine(reqid_base: u32, responders: Vec<ResponderConfig>) -> Engine {
    Engine::new(
        EngineConfig {
            responders,
            reqid_base,
            ..EngineConfig::default()
        },
        Box::new(SystemRng::new()),
    )
}

/// The event loop of `engine` over `sockets` and `kernel`, its events sent to `events`, its
/// clock starting now.
pub fn runner(
    engine: Engine,
    sockets: Sockets,
    kernel: Box<dyn Kernel>,
    events: mpsc::UnboundedSender<Event>,
) -> Runner {
    Runner {
        engine,
        sockets,
        kernel,
        events,
        start: Instant::now(),
        keepalives: Default::default(),
        path: None,
    }
}

/// After the loop ended: logs the traffic counters of the SAs still installed and removes
/// whatever the engine did not delete itself (failure, gateway gone, timeout, signal).
pub fn teardown(kernel: &mut dyn Kernel) {
    log_counters(kernel);
    kernel.cleanup();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_esp_every_connection_fails() {
        let f = factory(Err(NoEsp));
        assert_eq!(
            f(&KernelSetup::responder(0)).err(),
            Some(BackendError::NoEsp)
        );
        assert!(factory(Ok(Backend::Record))(&KernelSetup::responder(0)).is_ok());
    }

    #[test]
    fn a_connection_s_routes_carry_its_block() {
        let s = Settings::from_maps(
            &[("right".to_string(), "192.0.2.1".to_string())].into(),
            &[("pskvalue".to_string(), "x".to_string())].into(),
        )
        .unwrap();
        let local: IpAddr = "192.0.2.2".parse().unwrap();
        let setup = KernelSetup::for_connection(&s, 5, local, "192.0.2.1".parse().unwrap());
        assert_eq!(setup.block, 5);
        assert_eq!(setup.routes.metric, 5);
        assert_eq!(setup.routes.table, s.route_table);
        assert_eq!(setup.routes.priority, s.route_rule_priority);
        assert!(setup.route_based.is_none());
    }
}
