//! Traffic selector parsing, display and CIDR conversion.

// Test helpers outside #[test] functions may unwrap and index.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::net::IpAddr;

use ike_core::ids::ts_type;
use ike_core::ts::{parse_ts_list, range_to_cidrs, Cidr, ProtoPort, TrafficSelector, TsError};
use proptest::prelude::*;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn cidrs(v: &[Cidr]) -> Vec<String> {
    v.iter().map(ToString::to_string).collect()
}

#[test]
fn cidr_forms() {
    let ts: TrafficSelector = "10.1.0.0/16".parse().unwrap();
    assert_eq!(ts.start_addr, ip("10.1.0.0"));
    assert_eq!(ts.end_addr, ip("10.1.255.255"));
    assert_eq!((ts.ip_protocol, ts.start_port, ts.end_port), (0, 0, 65535));
    assert_eq!(ts.ts_type(), ts_type::IPV4_ADDR_RANGE);
    assert!(ts.is_all_traffic());

    let any4: TrafficSelector = "0.0.0.0/0".parse().unwrap();
    assert_eq!(any4, TrafficSelector::any_ipv4());
    let any6: TrafficSelector = "::/0".parse().unwrap();
    assert_eq!(any6, TrafficSelector::any_ipv6());
    assert_eq!(any6.ts_type(), ts_type::IPV6_ADDR_RANGE);

    let host: TrafficSelector = "192.0.2.7".parse().unwrap();
    assert!(host.is_host());
    assert_eq!(host, TrafficSelector::host(ip("192.0.2.7")));
    let host6: TrafficSelector = "2001:db8::1/128".parse().unwrap();
    assert!(host6.is_host() && host6.is_ipv6());

    // Host bits are cleared.
    let masked: TrafficSelector = "10.1.2.3/16".parse().unwrap();
    assert_eq!(masked.start_addr, ip("10.1.0.0"));
    let v6: TrafficSelector = "2001:db8:1:2::5/64".parse().unwrap();
    assert_eq!(v6.start_addr, ip("2001:db8:1:2::"));
    assert_eq!(v6.end_addr, ip("2001:db8:1:2:ffff:ffff:ffff:ffff"));
}

#[test]
fn ranges_and_any() {
    let r: TrafficSelector = "10.0.0.1-10.0.0.50".parse().unwrap();
    assert_eq!(
        (r.start_addr, r.end_addr),
        (ip("10.0.0.1"), ip("10.0.0.50"))
    );
    let list = parse_ts_list("%any").unwrap();
    assert_eq!(
        list,
        vec![TrafficSelector::any_ipv4(), TrafficSelector::any_ipv6()]
    );
    assert_eq!(
        parse_ts_list("%any6").unwrap(),
        vec![TrafficSelector::any_ipv6()]
    );
    assert!("%any".parse::<TrafficSelector>().is_err());
}

#[test]
fn protocol_and_ports() {
    let ts: TrafficSelector = "10.0.0.0/8[udp/1701]".parse().unwrap();
    assert_eq!(
        (ts.ip_protocol, ts.start_port, ts.end_port),
        (17, 1701, 1701)
    );
    let ts: TrafficSelector = "10.0.0.0/8[17/1701]".parse().unwrap();
    assert_eq!(
        (ts.ip_protocol, ts.start_port, ts.end_port),
        (17, 1701, 1701)
    );
    let ts: TrafficSelector = "10.0.0.0/8[tcp]".parse().unwrap();
    assert_eq!((ts.ip_protocol, ts.start_port, ts.end_port), (6, 0, 65535));
    let ts: TrafficSelector = "10.0.0.0/8[tcp/1024-65535]".parse().unwrap();
    assert_eq!((ts.start_port, ts.end_port), (1024, 65535));
    let ts: TrafficSelector = "10.0.0.0/8[udp/opaque]".parse().unwrap();
    assert!(ts.has_opaque_ports());
    let ts: TrafficSelector = "::/0[ipv6-icmp/34816]".parse().unwrap();
    assert_eq!((ts.ip_protocol, ts.start_port), (58, 34816));
    let ts: TrafficSelector = "10.0.0.0/8[tcp/ssh]".parse().unwrap();
    assert_eq!(ts.start_port, 22);

    // Libreswan leftprotoport.
    let pp: ProtoPort = "17/1701".parse().unwrap();
    assert_eq!(
        pp,
        ProtoPort {
            protocol: 17,
            start_port: 1701,
            end_port: 1701
        }
    );
    let pp: ProtoPort = "udp/%any".parse().unwrap();
    assert_eq!(
        pp,
        ProtoPort {
            protocol: 17,
            start_port: 0,
            end_port: 65535
        }
    );
    let pp: ProtoPort = "icmp/2048".parse().unwrap();
    assert_eq!(pp.start_port, 2048);
    let ts = TrafficSelector::from_cidr("192.0.2.0/24".parse().unwrap())
        .with_protoport("17/1701".parse().unwrap());
    assert_eq!(ts.to_string(), "192.0.2.0/24[udp/1701]");
}

#[test]
fn lists_and_display() {
    let list =
        parse_ts_list("10.1.0.0/16, 10.2.0.0/16 192.168.7.0-192.168.7.9,2001:db8::/32[tcp/443]")
            .unwrap();
    let shown: Vec<String> = list.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        vec![
            "10.1.0.0/16",
            "10.2.0.0/16",
            "192.168.7.0-192.168.7.9",
            "2001:db8::/32[tcp/443]"
        ]
    );
    for s in &shown {
        assert_eq!(&s.parse::<TrafficSelector>().unwrap().to_string(), s);
    }
    assert_eq!(
        TrafficSelector::host(ip("10.0.0.1")).to_string(),
        "10.0.0.1"
    );
    let opaque: TrafficSelector = "10.0.0.0/8[udp/opaque]".parse().unwrap();
    assert_eq!(opaque.to_string(), "10.0.0.0/8[udp/opaque]");
}

#[test]
fn parse_errors_are_precise() {
    let e = parse_ts_list("10.1.0.0/16, 10.2.0.0/33").unwrap_err();
    assert_eq!(e.position, 2);
    assert_eq!(e.token, "10.2.0.0/33");
    assert!(e.to_string().contains("prefix length too long"), "{e}");
    let e = parse_ts_list("10.1.0.0/16 10.1.x.0/24").unwrap_err();
    assert_eq!((e.position, e.token.as_str()), (2, "10.1.x.0/24"));
    let e = parse_ts_list("10.0.0.9-10.0.0.1").unwrap_err();
    assert!(e.reason.contains("after"), "{e}");
    let e = parse_ts_list("10.0.0.1-2001:db8::1").unwrap_err();
    assert!(e.reason.contains("mixes"), "{e}");
    let e = parse_ts_list("10.0.0.0/8[udp/99999]").unwrap_err();
    assert_eq!(e.token, "udp/99999");
    let e = parse_ts_list("10.0.0.0/8[foo/1]").unwrap_err();
    assert!(e.reason.contains("protocol"), "{e}");
    let e = parse_ts_list("10.0.0.0/8[udp/1701").unwrap_err();
    assert!(e.reason.contains("']'"), "{e}");
    let e = parse_ts_list("10.0.0.0/8[%any/80]").unwrap_err();
    assert!(e.reason.contains("ports need a protocol"), "{e}");
    let e = parse_ts_list(" , ").unwrap_err();
    assert!(e.reason.contains("empty"), "{e}");
    let e = parse_ts_list("[udp/1701]").unwrap_err();
    assert!(e.reason.contains("missing address"), "{e}");
}

#[test]
fn validation() {
    assert!(TrafficSelector::new(0, 0, 65535, ip("10.0.0.2"), ip("10.0.0.1")).is_err());
    assert!(TrafficSelector::new(0, 0, 65535, ip("10.0.0.1"), ip("::1")).is_err());
    assert!(TrafficSelector::new(17, 10, 5, ip("10.0.0.1"), ip("10.0.0.1")).is_err());
    assert!(TrafficSelector::new(17, 65535, 0, ip("10.0.0.1"), ip("10.0.0.1")).is_ok());
    assert_eq!(
        TrafficSelector::new(0, 80, 80, ip("10.0.0.1"), ip("10.0.0.1")).unwrap_err(),
        TsError::Invalid("ports need a protocol")
    );
}

#[test]
fn cidr_conversion() {
    let ts: TrafficSelector = "10.1.0.0/16".parse().unwrap();
    assert_eq!(cidrs(&ts.to_cidrs()), vec!["10.1.0.0/16"]);
    assert_eq!(ts.as_cidr().unwrap().to_string(), "10.1.0.0/16");
    assert_eq!(
        cidrs(&TrafficSelector::any_ipv4().to_cidrs()),
        vec!["0.0.0.0/0"]
    );
    assert_eq!(cidrs(&TrafficSelector::any_ipv6().to_cidrs()), vec!["::/0"]);
    // A range that needs several prefixes.
    let r: TrafficSelector = "10.0.0.1-10.0.0.6".parse().unwrap();
    assert_eq!(
        cidrs(&r.to_cidrs()),
        vec!["10.0.0.1/32", "10.0.0.2/31", "10.0.0.4/31", "10.0.0.6/32"]
    );
    assert!(r.as_cidr().is_none());
    let r: TrafficSelector = "192.168.0.0-192.168.2.255".parse().unwrap();
    assert_eq!(
        cidrs(&r.to_cidrs()),
        vec!["192.168.0.0/23", "192.168.2.0/24"]
    );
    let r = range_to_cidrs(ip("0.0.0.1"), ip("255.255.255.254"));
    assert_eq!(r.len(), 62);
    let r = range_to_cidrs(ip("2001:db8::"), ip("2001:db8::1:0"));
    assert_eq!(cidrs(&r), vec!["2001:db8::/112", "2001:db8::1:0/128"]);
    let r = range_to_cidrs(ip("::1"), ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
    assert_eq!(r.len(), 128);
    assert!(range_to_cidrs(ip("10.0.0.2"), ip("10.0.0.1")).is_empty());
    assert!(range_to_cidrs(ip("10.0.0.2"), ip("::1")).is_empty());
    let c: Cidr = "10.9.8.7/8".parse().unwrap();
    assert_eq!(
        (c.to_string(), c.last()),
        ("10.0.0.0/8".to_owned(), ip("10.255.255.255"))
    );
    assert!(c.contains(ip("10.1.1.1")) && !c.contains(ip("11.0.0.0")));
    assert!("10.0.0.0/40".parse::<Cidr>().is_err());
}

fn v4() -> impl Strategy<Value = IpAddr> {
    any::<u32>().prop_map(|v| IpAddr::V4(v.into()))
}

fn v6() -> impl Strategy<Value = IpAddr> {
    any::<u128>().prop_map(|v| IpAddr::V6(v.into()))
}

fn num(a: IpAddr) -> u128 {
    match a {
        IpAddr::V4(v) => u128::from(u32::from(v)),
        IpAddr::V6(v) => u128::from(v),
    }
}

fn check_cover(a: IpAddr, b: IpAddr) -> Result<(), TestCaseError> {
    let (lo, hi) = if num(a) <= num(b) { (a, b) } else { (b, a) };
    let blocks = range_to_cidrs(lo, hi);
    prop_assert!(!blocks.is_empty());
    prop_assert_eq!(blocks.first().unwrap().first(), lo);
    prop_assert_eq!(blocks.last().unwrap().last(), hi);
    for w in blocks.windows(2) {
        prop_assert_eq!(num(w[0].last()) + 1, num(w[1].first()));
    }
    // Minimal: at most two prefixes per bit length.
    let width = if lo.is_ipv6() { 128 } else { 32 };
    prop_assert!(blocks.len() <= 2 * width);
    Ok(())
}

proptest! {
    #[test]
    fn range_cover_v4(a in v4(), b in v4()) {
        check_cover(a, b)?;
    }

    #[test]
    fn range_cover_v6(a in v6(), b in v6()) {
        check_cover(a, b)?;
    }

    #[test]
    fn display_parse_round_trip(a in v4(), b in v4(), proto in 0u8..=255, p1 in any::<u16>(), p2 in any::<u16>()) {
        let (lo, hi) = if num(a) <= num(b) { (a, b) } else { (b, a) };
        let (sp, ep) = if proto == 0 { (0, 65535) } else { (p1.min(p2), p1.max(p2)) };
        let ts = TrafficSelector::new(proto, sp, ep, lo, hi).unwrap();
        let back: TrafficSelector = ts.to_string().parse().unwrap();
        prop_assert_eq!(back, ts);
    }

    #[test]
    fn ts_parser_never_panics(s in "[0-9a-f.:/,\\[\\] %-]{0,40}") {
        let _ = parse_ts_list(&s);
    }
}
