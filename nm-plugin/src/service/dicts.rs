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
mod tests {
    use super::*;
    use ike_core::engine::AssignedAddress;

    fn ts(a: &str, b: &str) -> TrafficSelector {
        TrafficSelector::from_range(a.parse().unwrap(), b.parse().unwrap())
    }

    fn sig(v: &OwnedVariant) -> String {
        v.value_signature().to_string()
    }

    fn u(d: &VarDict, k: &str) -> u32 {
        u32::try_from(d.get(k).unwrap()).unwrap()
    }

    fn b(d: &VarDict, k: &str) -> bool {
        bool::try_from(d.get(k).unwrap()).unwrap()
    }

    fn virtual_v4() -> ReceivedConfig {
        ReceivedConfig {
            addresses_v4: vec![AssignedAddress {
                addr: "10.9.0.10".parse().unwrap(),
                prefix: 32,
            }],
            dns_v4: vec![
                "10.9.255.53".parse().unwrap(),
                "10.9.255.54".parse().unwrap(),
            ],
            domains: vec!["corp.example".into(), "lab.example".into()],
            ..ReceivedConfig::default()
        }
    }

    #[test]
    fn network_byte_order() {
        let v = ip4_u32(Ipv4Addr::new(1, 2, 3, 4));
        assert_eq!(v.to_ne_bytes(), [1, 2, 3, 4]);
        #[cfg(target_endian = "little")]
        assert_eq!(v, 0x0403_0201);
    }

    #[test]
    fn full_tunnel_ipv4() {
        let info = TunnelInfo {
            gateway: "192.0.2.1".parse().unwrap(),
            config: Some(virtual_v4()),
            remote_ts: vec![ts("0.0.0.0", "255.255.255.255")],
            tundev: None,
            mtu: None,
            banner: None,
            split_include: false,
        };
        let c = build(&info).unwrap();
        let mut keys: Vec<&str> = c.config.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["can-persist", "gateway", "has-ip4", "has-ip6"]);
        assert_eq!(sig(&c.config["gateway"]), "u");
        assert_eq!(
            u(&c.config, "gateway"),
            ip4_u32(Ipv4Addr::new(192, 0, 2, 1))
        );
        assert!(b(&c.config, "has-ip4"));
        assert!(!b(&c.config, "has-ip6"));
        assert!(!b(&c.config, "can-persist"));
        assert!(c.ip6.is_none());

        let ip4 = c.ip4.unwrap();
        let mut keys: Vec<&str> = ip4.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "address",
                "dns",
                "domains",
                "never-default",
                "prefix",
                "routes"
            ]
        );
        let routes = Vec::<Vec<u32>>::try_from(ip4["routes"].try_clone().unwrap()).unwrap();
        let src = ip4_u32(Ipv4Addr::new(10, 9, 0, 10));
        assert_eq!(
            routes,
            vec![
                vec![0, 1, 0, 0, src],
                vec![ip4_u32(Ipv4Addr::new(128, 0, 0, 0)), 1, 0, 0, src]
            ]
        );
        assert_eq!(sig(&ip4["address"]), "u");
        assert_eq!(u(&ip4, "address"), ip4_u32(Ipv4Addr::new(10, 9, 0, 10)));
        assert_eq!(sig(&ip4["prefix"]), "u");
        assert_eq!(u(&ip4, "prefix"), 32);
        assert_eq!(sig(&ip4["dns"]), "au");
        let dns = Vec::<u32>::try_from(ip4["dns"].try_clone().unwrap()).unwrap();
        assert_eq!(
            dns,
            vec![
                ip4_u32(Ipv4Addr::new(10, 9, 255, 53)),
                ip4_u32(Ipv4Addr::new(10, 9, 255, 54))
            ]
        );
        assert_eq!(sig(&ip4["domains"]), "as");
        let domains = Vec::<String>::try_from(ip4["domains"].try_clone().unwrap()).unwrap();
        assert_eq!(domains, ["corp.example", "lab.example"]);
        assert_eq!(sig(&ip4["never-default"]), "b");
        assert!(!b(&ip4, "never-default"));
    }

    #[test]
    fn split_tunnel_routes_and_never_default() {
        let info = TunnelInfo {
            gateway: "192.0.2.1".parse().unwrap(),
            config: Some(virtual_v4()),
            // 10.0.0.0/16 and a range that needs two CIDRs, plus the gateway itself.
            remote_ts: vec![
                ts("10.0.0.0", "10.0.255.255"),
                ts("172.16.0.0", "172.16.1.255"),
                ts("172.20.0.0", "172.20.0.2"),
                ts("192.0.2.1", "192.0.2.1"),
            ],
            tundev: None,
            mtu: None,
            banner: None,
            split_include: false,
        };
        let ip4 = build(&info).unwrap().ip4.unwrap();
        assert!(b(&ip4, "never-default"));
        assert_eq!(sig(&ip4["routes"]), "aau");
        let routes = Vec::<Vec<u32>>::try_from(ip4["routes"].try_clone().unwrap()).unwrap();
        let n = |a, b, c, d| ip4_u32(Ipv4Addr::new(a, b, c, d));
        let src = n(10, 9, 0, 10);
        assert_eq!(
            routes,
            vec![
                vec![n(10, 0, 0, 0), 16, 0, 0, src],
                vec![n(172, 16, 0, 0), 23, 0, 0, src],
                vec![n(172, 20, 0, 0), 31, 0, 0, src],
                vec![n(172, 20, 0, 2), 32, 0, 0, src],
            ]
        );
    }

    #[test]
    fn ipv6_uses_byte_arrays() {
        let cfg = ReceivedConfig {
            addresses_v6: vec![AssignedAddress {
                addr: "2001:db8:1::10".parse().unwrap(),
                prefix: 64,
            }],
            dns_v6: vec!["2001:db8:1::53".parse().unwrap()],
            domains: vec!["corp.example".into()],
            ..ReceivedConfig::default()
        };
        let info = TunnelInfo {
            gateway: "2001:db8::1".parse().unwrap(),
            config: Some(cfg),
            remote_ts: vec![ts("2001:db8:2::", "2001:db8:2:ffff:ffff:ffff:ffff:ffff")],
            tundev: None,
            mtu: None,
            banner: Some("welcome".into()),
            split_include: false,
        };
        let c = build(&info).unwrap();
        assert_eq!(sig(&c.config["gateway"]), "ay");
        let gw = Vec::<u8>::try_from(c.config["gateway"].try_clone().unwrap()).unwrap();
        assert_eq!(gw, "2001:db8::1".parse::<Ipv6Addr>().unwrap().octets());
        assert!(!b(&c.config, "has-ip4"));
        assert!(b(&c.config, "has-ip6"));
        assert_eq!(sig(&c.config["banner"]), "s");
        assert!(c.ip4.is_none());
        let ip6 = c.ip6.unwrap();
        assert_eq!(sig(&ip6["address"]), "ay");
        assert_eq!(u(&ip6, "prefix"), 64);
        assert_eq!(sig(&ip6["dns"]), "aay");
        assert_eq!(sig(&ip6["domains"]), "as");
        assert_eq!(sig(&ip6["routes"]), "a(ayuayu)");
        let routes =
            Vec::<(Vec<u8>, u32, Vec<u8>, u32)>::try_from(ip6["routes"].try_clone().unwrap())
                .unwrap();
        assert_eq!(routes.len(), 1);
        assert_eq!(
            routes[0].0,
            "2001:db8:2::".parse::<Ipv6Addr>().unwrap().octets()
        );
        assert_eq!(routes[0].1, 48);
        assert_eq!(routes[0].2, [0u8; 16]);
        assert!(b(&ip6, "never-default"));
    }

    #[test]
    fn site_to_site_without_virtual_address_has_no_ip_config() {
        let info = TunnelInfo {
            gateway: "192.0.2.1".parse().unwrap(),
            config: None,
            remote_ts: vec![ts("10.0.0.0", "10.0.255.255")],
            tundev: Some("ipsec7".into()),
            mtu: Some(1400),
            banner: None,
            split_include: false,
        };
        let c = build(&info).unwrap();
        assert_eq!(announced(&c.config), (false, false));
        assert!(c.ip4.is_none() && c.ip6.is_none());
        assert_eq!(sig(&c.config["tundev"]), "s");
        assert_eq!(u(&c.config, "mtu"), 1400);
    }

    fn pushed(split_include: bool, subnets: &[&str]) -> TunnelInfo {
        let mut cfg = virtual_v4();
        cfg.subnets = subnets
            .iter()
            .map(|s| {
                let (a, p) = s.split_once('/').unwrap();
                (a.parse().unwrap(), p.parse().unwrap())
            })
            .collect();
        TunnelInfo {
            gateway: "192.0.2.1".parse().unwrap(),
            config: Some(cfg),
            remote_ts: vec![ts("0.0.0.0", "255.255.255.255")],
            tundev: None,
            mtu: None,
            banner: None,
            split_include,
        }
    }

    fn ip4_routes(d: &VarDict) -> Vec<Vec<u32>> {
        Vec::<Vec<u32>>::try_from(d["routes"].try_clone().unwrap()).unwrap()
    }

    #[test]
    fn pushed_subnets_are_the_routes_and_never_default_with_rightsubnet_default() {
        let info = pushed(true, &["10.2.0.0/24", "10.3.7.9/16", "192.0.2.1/32"]);
        let ip4 = build(&info).unwrap().ip4.unwrap();
        assert!(b(&ip4, "never-default"));
        let n = |a, b, c, d| ip4_u32(Ipv4Addr::new(a, b, c, d));
        let src = n(10, 9, 0, 10);
        // Host bits cleared; the gateway's own host route is left to NetworkManager; no /1s.
        assert_eq!(
            ip4_routes(&ip4),
            vec![
                vec![n(10, 2, 0, 0), 24, 0, 0, src],
                vec![n(10, 3, 0, 0), 16, 0, 0, src],
            ]
        );
        // The kernel's choice is the same function's.
        assert!(selection(&info).split_v4);
    }

    #[test]
    fn pushed_subnets_are_not_routes_with_an_explicit_rightsubnet() {
        let ip4 = build(&pushed(false, &["10.2.0.0/24"]))
            .unwrap()
            .ip4
            .unwrap();
        assert!(!b(&ip4, "never-default"));
        let src = ip4_u32(Ipv4Addr::new(10, 9, 0, 10));
        assert_eq!(
            ip4_routes(&ip4),
            vec![
                vec![0, 1, 0, 0, src],
                vec![ip4_u32(Ipv4Addr::new(128, 0, 0, 0)), 1, 0, 0, src]
            ]
        );
    }

    #[test]
    fn a_pushed_default_route_keeps_the_full_tunnel() {
        let ip4 = build(&pushed(true, &["10.2.0.0/24", "0.0.0.0/0"]))
            .unwrap()
            .ip4
            .unwrap();
        assert!(!b(&ip4, "never-default"));
        assert_eq!(ip4_routes(&ip4).len(), 2);
    }

    #[test]
    fn pushed_subnets_outside_narrow_selectors_are_not_routes() {
        let mut info = pushed(true, &["10.2.0.0/24", "172.16.0.0/16"]);
        info.remote_ts = vec![ts("10.0.0.0", "10.255.255.255")];
        let ip4 = build(&info).unwrap().ip4.unwrap();
        assert!(b(&ip4, "never-default"));
        let src = ip4_u32(Ipv4Addr::new(10, 9, 0, 10));
        assert_eq!(
            ip4_routes(&ip4),
            vec![vec![ip4_u32(Ipv4Addr::new(10, 2, 0, 0)), 24, 0, 0, src]]
        );
        let sel = selection(&info);
        assert_eq!(sel.ignored.len(), 1);
    }

    #[test]
    fn only_ipv6_pushed_leaves_ipv4_full() {
        let mut info = pushed(true, &["2001:db8:2::/48"]);
        info.config.as_mut().unwrap().addresses_v6 = vec![AssignedAddress {
            addr: "2001:db8:1::10".parse().unwrap(),
            prefix: 64,
        }];
        info.remote_ts
            .push(ts("::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
        let c = build(&info).unwrap();
        let ip4 = c.ip4.unwrap();
        assert!(!b(&ip4, "never-default"));
        assert_eq!(ip4_routes(&ip4).len(), 2);
        let ip6 = c.ip6.unwrap();
        assert!(b(&ip6, "never-default"));
        let routes =
            Vec::<(Vec<u8>, u32, Vec<u8>, u32)>::try_from(ip6["routes"].try_clone().unwrap())
                .unwrap();
        assert_eq!(routes.len(), 1);
        assert_eq!(routes[0].1, 48);
    }

    #[test]
    fn no_config_tunnel_info_is_unchanged_by_split_include() {
        let info = TunnelInfo {
            gateway: "192.0.2.1".parse().unwrap(),
            config: None,
            remote_ts: vec![ts("10.0.0.0", "10.0.255.255")],
            tundev: None,
            mtu: None,
            banner: None,
            split_include: true,
        };
        assert_eq!(selection(&info).routes, [("10.0.0.0".parse().unwrap(), 16)]);
    }
}
