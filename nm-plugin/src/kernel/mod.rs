//! The kernel data plane: executes the engine's kernel operations over XFRM netlink (SAs,
//! SPIs, policies), and sets up what route-based and full tunnels need around them (XFRM
//! interfaces, routes and rules in a dedicated table, socket policy bypass for the IKE
//! sockets).
//!
//! # Ownership
//! Everything installed here is tagged so a restarted service can find and remove what a
//! crashed one left behind ([`cleanup`]):
//! - SAs and policies carry a reqid in our range `0x4e4d0000`..=`0x4e4dffff` ("NM"), cut into
//!   64 blocks of 1024 ([`owner`]); each process works in one block (NetworkManager's
//!   `Connection_<N>` prefers block `N mod 64`; `nm-ike` prefers block 0) and holds an
//!   `flock` on it while it lives. Policies carry the reqid in their template;
//! - route-based tunnels add an `if_id` (and optionally an XFRM mark); their XFRM interface
//!   `ipsec<N>` carries the alias `nm-ike:block=<B>` ([`xfrmi`]);
//! - routes live in the connection's table (default [`route::DEFAULT_TABLE`] = 2749) with
//!   protocol [`route::ROUTE_PROTOCOL`] (78) and the block as metric; the rule sending
//!   traffic there has priority [`route::DEFAULT_RULE_PRIORITY`] (2749) and protocol 78.
//!
//! Cleanup: a connection removes exactly what it installed on disconnect, SIGTERM/SIGINT or
//! failure ([`XfrmKernel::remove_all`], also on drop when `cleanup_on_drop`). At start, a
//! process removes the state of every block **no live process holds** in its network
//! namespace ([`clean_at_start`]): the lock of a SIGKILLed process is gone with it, the
//! state of a live connection is never touched. A process that could not lock a block
//! installs nothing; a policy is deleted only while its template still carries one of our
//! reqids; a tunnel interface is replaced only when its owner is gone ([`xfrmi::judge`]).

//! Messages are built with `netlink-packet-xfrm` 0.5 and `netlink-packet-route`, sent on a
//! blocking `netlink-sys` socket (the [`api::Kernel`] trait the driver calls is synchronous).
//! The recording backend ([`record`]) answers SPI allocations without a data plane (tests).

pub mod acquire;
pub mod api;
pub mod backend;
pub mod cleanup;
pub mod esp_alg;
pub mod keepalive;
pub mod migrate;
pub mod mtu;
pub mod netlink;
pub mod offload;
pub mod owner;
pub mod pathwatch;
pub mod record;
pub mod route;
pub mod sockopt;
pub mod split;
pub mod xfrm;
pub mod xfrmi;

pub use backend::XfrmKernel;

use std::fmt;
use std::io;
use std::ops::RangeInclusive;

/// Extra XFRM tags for route-based tunnels: an XFRM interface id and/or a mark. Plain
/// policy-based tunnels use neither.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Binding {
    /// `XFRMA_IF_ID` for SAs and policies bound to an XFRM interface.
    pub if_id: Option<u32>,
    /// `XFRMA_MARK` (value, mask) for the mark-based variant.
    pub mark: Option<(u32, u32)>,
}

/// The tunnel interface of a route-based connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteBased {
    /// An XFRM interface `ipsec<if_id>` (`ipsec-interface`).
    Xfrmi {
        /// The if_id.
        if_id: u32,
    },
    /// A VTI device keyed with an XFRM mark (`vti-interface` + `mark`).
    Vti {
        /// Device name.
        name: String,
        /// Mark value and mask.
        mark: (u32, u32),
        /// Our outer address (the device's local endpoint).
        local: std::net::IpAddr,
    },
}

impl RouteBased {
    /// The route-based tunnel a profile asks for (`local`: our outer address).
    pub fn from_settings(
        s: &crate::settings::Settings,
        local: std::net::IpAddr,
    ) -> Option<RouteBased> {
        if let Some((name, mark)) = &s.vti {
            return Some(RouteBased::Vti {
                name: name.clone(),
                mark: *mark,
                local,
            });
        }
        s.ipsec_interface.map(|if_id| RouteBased::Xfrmi { if_id })
    }
}

/// Which kernel objects are ours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ownership {
    /// Reqids we use (SAs, policy templates).
    pub reqids: RangeInclusive<u32>,
}

impl Default for Ownership {
    fn default() -> Self {
        Ownership {
            reqids: owner::owned_reqids(),
        }
    }
}

impl Ownership {
    /// The reqids of one block (see [`owner`]).
    pub fn block(block: u32) -> Self {
        Ownership {
            reqids: owner::block_base(block)..=owner::block_last(block),
        }
    }

    /// Whether `reqid` is one of ours.
    pub fn owns_reqid(&self, reqid: u32) -> bool {
        self.reqids.contains(&reqid)
    }
}

/// A kernel-layer failure.
#[derive(Debug)]
pub enum KernelError {
    /// We refused to build a message (bad input).
    Invalid(String),
    /// The kernel (or the socket) refused.
    Io {
        /// What we tried.
        what: String,
        /// The error.
        err: io::Error,
    },
}

impl KernelError {
    /// Wraps an I/O error with what we were doing.
    pub fn io(what: impl Into<String>, err: io::Error) -> Self {
        KernelError::Io {
            what: what.into(),
            err,
        }
    }

    /// The errno, when the kernel refused.
    pub fn errno(&self) -> Option<i32> {
        match self {
            KernelError::Io { err, .. } => err.raw_os_error(),
            KernelError::Invalid(_) => None,
        }
    }
}

/// A plain-language hint for the errno of a failed SA install.
fn errno_hint(errno: i32) -> Option<&'static str> {
    match errno {
        libc::EPROTONOSUPPORT => Some(
            "the kernel has no ESP support (esp4/esp6 modules, CONFIG_INET_ESP / CONFIG_INET6_ESP)",
        ),
        libc::ENOSYS => Some(
            "the kernel does not provide the negotiated algorithm (a crypto module such as gcm, chacha20poly1305 or the hash is missing)",
        ),
        libc::EPERM => Some("changing IPsec state needs CAP_NET_ADMIN (run as root)"),
        libc::EEXIST => Some("an identical SA or policy already exists"),
        libc::ENOENT | libc::ESRCH => Some("no such SA or policy"),
        libc::EINVAL => Some("the kernel rejected the parameters"),
        libc::EOPNOTSUPP => Some("not supported by this kernel or device"),
        _ => None,
    }
}

impl fmt::Display for KernelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KernelError::Invalid(s) => write!(f, "{s}"),
            KernelError::Io { what, err } => {
                write!(f, "{what}: {err}")?;
                if let Some(h) = err.raw_os_error().and_then(errno_hint) {
                    write!(f, " ({h})")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for KernelError {}

/// Whether the running kernel can do ESP: `esp4` is loaded or built in, or available as a
/// module for this kernel release. Used to pick the kernel backend automatically; a kernel
/// without it (such as the lab host) can still run IKE with the recording backend.
pub fn kernel_has_esp() -> bool {
    if std::path::Path::new("/sys/module/esp4").exists() {
        return true;
    }
    let Ok(release) = std::fs::read_to_string("/proc/sys/kernel/osrelease") else {
        return false;
    };
    let dir = std::path::Path::new("/lib/modules").join(release.trim());
    ["modules.builtin", "modules.dep"].iter().any(|f| {
        std::fs::read_to_string(dir.join(f))
            .map(|s| s.contains("/esp4.ko"))
            .unwrap_or(false)
    })
}

/// Opens the XFRM backend of the process that claimed `block`: its reqids, its route
/// metric, and routes in `routes.table` (when `routes` is given). Fails unless this process
/// holds the block's lock ([`owner::held`]): without it our state could not be told apart
/// from another connection's.
pub fn open_for_block(
    block: u32,
    routes: Option<route::RouteConfig>,
) -> Result<XfrmKernel, KernelError> {
    owner::held(block).map_err(KernelError::Invalid)?;
    let mut k = XfrmKernel::open()?;
    k.ownership = Ownership::block(block);
    if let Some(mut cfg) = routes {
        cfg.metric = block;
        k = k.with_routes(cfg)?;
    }
    Ok(k)
}

/// Exempts `gateway` from the tunnel routes in `routes.table` for the process that claimed
/// `block` (see [`route::Routes::exempt_gateway`]): a throw route with the block's exemption
/// metric, removed when the returned guard is dropped. Fails unless this process holds the
/// block's lock ([`owner::held`]).
pub fn exempt_gateway(
    block: u32,
    routes: route::RouteConfig,
    gateway: std::net::IpAddr,
) -> Result<route::GatewayExemption, KernelError> {
    owner::held(block).map_err(KernelError::Invalid)?;
    route::Routes::open(route::RouteConfig {
        metric: block,
        ..routes
    })?
    .exempt_gateway(gateway)
}

/// Residue cleanup at the start of a process holding `claim`: removes the SAs, policies,
/// routes, rules and interfaces of every reqid block no live process holds (see [`owner`]).
/// Fails for an unlocked claim (nothing is removed then).
pub fn clean_at_start(claim: &owner::Claim) -> Result<cleanup::Residue, KernelError> {
    let mut k = open_for_block(claim.block, Some(route::RouteConfig::default()))?;
    cleanup::remove_dead_residue(&mut k, claim)
}
