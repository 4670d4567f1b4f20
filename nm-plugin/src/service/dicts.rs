//! The dictionaries of the `Config`, `Ip4Config` and `Ip6Config` signals, built from what the
//! IKE negotiation produced.
//!
//! Keys and types follow `nm-vpn-dbus-interface.h`. IPv4 addresses are `u` holding the
//! address in network byte order (NetworkManager reads the `u32` natively and uses its memory
//! as the address, so the value is `u32::from_ne_bytes(octets)`); IPv6 addresses are `ay`.
//!
//! Decisions:
//! * Tunnels are policy-based (XFRM policies on the parent device), so `tundev` is left out
//!   and NetworkManager puts the IP configuration on the parent device; `tundev`/`mtu` are set
//!   only when a tunnel interface is given (route-based, future).
//! * Only a virtual address assigned by the gateway gives an `Ip4Config`/`Ip6Config`
//!   (NetworkManager rejects IP configs without an address). A site-to-site tunnel without a
//!   virtual address reports `has-ip4 = has-ip6 = false`: the XFRM policies carry the traffic.
//! * Routes are the negotiated remote traffic selectors as CIDRs (IPv4 routes carry the
//!   virtual address as preferred source); a `/0` selector means "all traffic", so
//!   `never-default` is false (NetworkManager adds a default route and treats the VPN as the
//!   default one, e.g. for DNS); as that route has no preferred source, IPv4 also gets
//!   0.0.0.0/1 and 128.0.0.0/1 with the virtual address as source (as NetworkManager-libreswan
//!   does). Otherwise `never-default` is true.
//! * Split include: when the profile leaves `rightsubnet` at its default (`0.0.0.0/0`, see
//!   [`crate::kernel::split::allowed`]) and the gateway pushes INTERNAL_IP4_SUBNET /
//!   INTERNAL_IP6_SUBNET, the routes of a family are the pushed subnets that
//!   [`crate::kernel::split::select`] takes, the same function that chooses the routes of our
//!   table 2749, so NetworkManager and the kernel route the same networks. A split family has
//!   no `/0`, hence `never-default` is true: the VPN does not become the default route.
//! * MTU: a policy-based tunnel has no device, and NetworkManager applies `mtu` only to the
//!   `tundev` it is given (there is no per-route MTU in the `routes` format), so the MTU
//!   inside the tunnel is not sent; it is put on our table-2749 routes (`RTAX_MTU`, see
//!   [`crate::kernel::mtu`]), which are the ones the traffic takes. Route-based tunnels send
//!   their interface's MTU with `tundev`.
//! * `can-persist` is false: the IKE SA does not survive a change of the underlying network.

use crate::kernel::split;
use ike_core::engine::ReceivedConfig;
use ike_core::ts::range_to_cidrs;
use ike_core::wire::TrafficSelector;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use zbus::{OwnedVariant, Variant};

/// An `a{sv}` dictionary.
pub type VarDict = HashMap<String, OwnedVariant>;

/// Key names (`NM_VPN_PLUGIN_CONFIG_*`, `NM_VPN_PLUGIN_IP4_CONFIG_*`, ...).
pub mod key {
    /// External gateway address (`u` or `ay`).
    pub const GATEWAY: &str = "gateway";
    /// Tunnel interface (`s`).
    pub const TUNDEV: &str = "tundev";
    /// MTU of the tunnel interface (`u`).
    pub const MTU: &str = "mtu";
    /// Login banner (`s`).
    pub const BANNER: &str = "banner";
    /// An IPv4 configuration follows (`b`).
    pub const HAS_IP4: &str = "has-ip4";
    /// An IPv6 configuration follows (`b`).
    pub const HAS_IP6: &str = "has-ip6";
    /// The service can keep the tunnel across network changes (`b`).
    pub const CAN_PERSIST: &str = "can-persist";
    /// Our (virtual) address.
    pub const ADDRESS: &str = "address";
    /// Its prefix length (`u`).
    pub const PREFIX: &str = "prefix";
    /// DNS servers (`au` / `aay`).
    pub const DNS: &str = "dns";
    /// DNS search domains (`as`).
    pub const DOMAINS: &str = "domains";
    /// Routes (`aau` of `[dest, prefix, next hop, metric, preferred source]` / `a(ayuayu)`).
    pub const ROUTES: &str = "routes";
    /// Do not make this the default route (`b`).
    pub const NEVER_DEFAULT: &str = "never-default";
}

/// What the dictionaries are built from.
#[derive(Debug, Clone)]
pub struct TunnelInfo {
    /// The gateway's address (the IKE peer).
    pub gateway: IpAddr,
    /// The configuration payload reply, if any.
    pub config: Option<ReceivedConfig>,
    /// The negotiated remote traffic selectors.
    pub remote_ts: Vec<TrafficSelector>,
    /// A tunnel interface (route-based tunnels), if any.
    pub tundev: Option<String>,
    /// Its MTU.
    pub mtu: Option<u32>,
    /// A login banner, if the gateway sent one.
    pub banner: Option<String>,
    /// The profile leaves the remote networks to the gateway (`rightsubnet` at its default):
    /// pushed subnets become the routes (see [`crate::kernel::split`]).
    pub split_include: bool,
}

/// The three dictionaries, in the order NetworkManager expects them: `config` first, then the
/// IP configurations announced in it.
#[derive(Debug)]
pub struct NmConfig {
    /// The `Config` signal.
    pub config: VarDict,
    /// The `Ip4Config` signal, when `has-ip4`.
    pub ip4: Option<VarDict>,
    /// The `Ip6Config` signal, when `has-ip6`.
    pub ip6: Option<VarDict>,
}

/// An IPv4 address as NetworkManager's `u` (network byte order in memory).
pub fn ip4_u32(a: Ipv4Addr) -> u32 {
    u32::from_ne_bytes(a.octets())
}

/// An IPv6 address as `ay`.
pub fn ip6_bytes(a: Ipv6Addr) -> Vec<u8> {
    a.octets().to_vec()
}

fn own<'a>(v: impl Into<Variant<'a>>) -> zbus::Result<OwnedVariant> {
    OwnedVariant::try_from(v.into())
}

/// The remote selectors of one family as (network, prefix) pairs.
fn remote_cidrs(ts: &[TrafficSelector], v6: bool) -> Vec<(IpAddr, u8)> {
    let mut out: Vec<(IpAddr, u8)> = Vec::new();
    for t in ts.iter().filter(|t| t.start_addr.is_ipv6() == v6) {
        for c in range_to_cidrs(t.start_addr, t.end_addr) {
            let pair = (c.addr(), c.prefix_len());
            if !out.contains(&pair) {
                out.push(pair);
            }
        }
    }
    out
}

/// The networks routed through the tunnel: the remote selectors as CIDRs (both families) or,
/// with split include and subnets pushed by the gateway, [`split::select`]'s choice.
pub fn selection(info: &TunnelInfo) -> split::Selection {
    let mut remote = remote_cidrs(&info.remote_ts, false);
    remote.extend(remote_cidrs(&info.remote_ts, true));
    let pushed = info
        .config
        .as_ref()
        .map(|c| c.subnets.as_slice())
        .unwrap_or_default();
    if info.split_include && !pushed.is_empty() {
        split::select(&remote, pushed)
    } else {
        split::Selection {
            routes: remote,
            ..split::Selection::default()
        }
    }
}

/// Routes of one family: every routed CIDR (see [`selection`]) except `/0` (the default
/// route) and the gateway's own host route (NetworkManager adds its own route to the
/// gateway). Returns the routes and whether all traffic goes through the tunnel.
fn routes(info: &TunnelInfo, v6: bool) -> (Vec<(IpAddr, u8)>, bool) {
    let cidrs: Vec<(IpAddr, u8)> = selection(info)
        .routes
        .into_iter()
        .filter(|(a, _)| a.is_ipv6() == v6)
        .collect();
    let full = cidrs.iter().any(|(_, p)| *p == 0);
    let host = if v6 { 128 } else { 32 };
    let list = cidrs
        .into_iter()
        .filter(|(a, p)| *p != 0 && !(*a == info.gateway && *p == host))
        .collect();
    (list, full)
}

fn ip4_dict(
    addr: Ipv4Addr,
    prefix: u8,
    cfg: &ReceivedConfig,
    info: &TunnelInfo,
    with_domains: bool,
) -> zbus::Result<VarDict> {
    let mut d = VarDict::new();
    d.insert(key::ADDRESS.into(), own(ip4_u32(addr))?);
    d.insert(key::PREFIX.into(), own(u32::from(prefix))?);
    let dns: Vec<u32> = cfg
        .dns_v4
        .iter()
        .filter_map(|a| match a {
            IpAddr::V4(v) => Some(ip4_u32(*v)),
            IpAddr::V6(_) => None,
        })
        .collect();
    if !dns.is_empty() {
        d.insert(key::DNS.into(), own(dns)?);
    }
    if with_domains && !cfg.domains.is_empty() {
        d.insert(key::DOMAINS.into(), own(cfg.domains.clone())?);
    }
    let (mut list, full) = routes(info, false);
    if full {
        // NetworkManager's own default route for the VPN has no preferred source, so the
        // kernel would pick the parent device's address and bypass the policies: cover the
        // whole space with two /1 routes that carry the virtual address as source.
        list.insert(0, (IpAddr::V4(Ipv4Addr::new(128, 0, 0, 0)), 1));
        list.insert(0, (IpAddr::V4(Ipv4Addr::UNSPECIFIED), 1));
    }
    // [dest, prefix, next hop (none: on the device), metric (unused by NetworkManager),
    // preferred source]: the virtual address must be the source, or the XFRM policies
    // (which select on it) do not match.
    let list: Vec<Vec<u32>> = list
        .into_iter()
        .filter_map(|(a, p)| match a {
            IpAddr::V4(v) => Some(vec![ip4_u32(v), u32::from(p), 0, 0, ip4_u32(addr)]),
            IpAddr::V6(_) => None,
        })
        .collect();
    if !list.is_empty() {
        d.insert(key::ROUTES.into(), own(list)?);
    }
    d.insert(key::NEVER_DEFAULT.into(), own(!full)?);
    Ok(d)
}

fn ip6_dict(
    addr: Ipv6Addr,
    prefix: u8,
    cfg: &ReceivedConfig,
    info: &TunnelInfo,
    with_domains: bool,
) -> zbus::Result<VarDict> {
    let mut d = VarDict::new();
    d.insert(key::ADDRESS.into(), own(ip6_bytes(addr))?);
    d.insert(key::PREFIX.into(), own(u32::from(prefix))?);
    let dns: Vec<Vec<u8>> = cfg
        .dns_v6
        .iter()
        .filter_map(|a| match a {
            IpAddr::V6(v) => Some(ip6_bytes(*v)),
            IpAddr::V4(_) => None,
        })
        .collect();
    if !dns.is_empty() {
        d.insert(key::DNS.into(), own(dns)?);
    }
    if with_domains && !cfg.domains.is_empty() {
        d.insert(key::DOMAINS.into(), own(cfg.domains.clone())?);
    }
    let (list, full) = routes(info, true);
    let list: Vec<(Vec<u8>, u32, Vec<u8>, u32)> = list
        .into_iter()
        .filter_map(|(a, p)| match a {
            IpAddr::V6(v) => Some((
                ip6_bytes(v),
                u32::from(p),
                ip6_bytes(Ipv6Addr::UNSPECIFIED),
                0,
            )),
            IpAddr::V4(_) => None,
        })
        .collect();
    if !list.is_empty() {
        d.insert(key::ROUTES.into(), own(list)?);
    }
    d.insert(key::NEVER_DEFAULT.into(), own(!full)?);
    Ok(d)
}

/// Builds the dictionaries.
pub fn build(info: &TunnelInfo) -> zbus::Result<NmConfig> {
    let empty = ReceivedConfig::default();
    let cfg = info.config.as_ref().unwrap_or(&empty);
    let v4 = cfg.addresses_v4.iter().find_map(|a| match a.addr {
        IpAddr::V4(v) => Some((v, a.prefix)),
        IpAddr::V6(_) => None,
    });
    let v6 = cfg.addresses_v6.iter().find_map(|a| match a.addr {
        IpAddr::V6(v) => Some((v, a.prefix)),
        IpAddr::V4(_) => None,
    });
    let ip4 = match v4 {
        Some((a, p)) => Some(ip4_dict(a, p.min(32), cfg, info, true)?),
        None => None,
    };
    let ip6 = match v6 {
        Some((a, p)) => Some(ip6_dict(a, p.min(128), cfg, info, ip4.is_none())?),
        None => None,
    };
    let mut config = VarDict::new();
    match info.gateway {
        IpAddr::V4(a) => config.insert(key::GATEWAY.into(), own(ip4_u32(a))?),
        IpAddr::V6(a) => config.insert(key::GATEWAY.into(), own(ip6_bytes(a))?),
    };
    config.insert(key::HAS_IP4.into(), own(ip4.is_some())?);
    config.insert(key::HAS_IP6.into(), own(ip6.is_some())?);
    config.insert(key::CAN_PERSIST.into(), own(false)?);
    if let Some(dev) = &info.tundev {
        config.insert(key::TUNDEV.into(), own(dev.clone())?);
        if let Some(mtu) = info.mtu {
            config.insert(key::MTU.into(), own(mtu)?);
        }
    }
    if let Some(b) = &info.banner {
        config.insert(key::BANNER.into(), own(b.clone())?);
    }
    Ok(NmConfig { config, ip4, ip6 })
}

/// `has-ip4` / `has-ip6` of a `Config` dictionary (absent means false).
pub fn announced(config: &VarDict) -> (bool, bool) {
    let flag = |k: &str| {
        config
            .get(k)
            .and_then(|v| bool::try_from(v).ok())
            .unwrap_or(false)
    };
    (flag(key::HAS_IP4), flag(key::HAS_IP6))
}

#[cfg(test)]
#[path = "dicts_tests.rs"]
mod tests;
