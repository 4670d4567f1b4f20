//! Unit tests of [`super`]: the IPv4/IPv6 configuration dictionaries NetworkManager gets.

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
        Vec::<(Vec<u8>, u32, Vec<u8>, u32)>::try_from(ip6["routes"].try_clone().unwrap()).unwrap();
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
        Vec::<(Vec<u8>, u32, Vec<u8>, u32)>::try_from(ip6["routes"].try_clone().unwrap()).unwrap();
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
