//! Parsing traffic selector lists and protocol/port specifications.

use core::fmt;
use core::str::FromStr;
use std::net::IpAddr;

use super::{Cidr, TrafficSelector, TsParseError, OPAQUE_PORTS};

/// A protocol with a port range, as in Libreswan's `leftprotoport=17/1701` or the `[udp/1701]`
/// suffix of a strongSwan traffic selector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProtoPort {
    /// IP protocol; 0 = any.
    pub protocol: u8,
    /// First port.
    pub start_port: u16,
    /// Last port (65535-0 = OPAQUE).
    pub end_port: u16,
}

impl ProtoPort {
    /// Any protocol, any port.
    pub const ANY: Self = Self {
        protocol: 0,
        start_port: 0,
        end_port: 65535,
    };
}

const PROTOCOLS: &[(&str, u8)] = &[
    ("icmp", 1),
    ("tcp", 6),
    ("udp", 17),
    ("gre", 47),
    ("esp", 50),
    ("ah", 51),
    ("icmpv6", 58),
    ("ipv6-icmp", 58),
    ("icmp6", 58),
    ("ospf", 89),
    ("l2tp", 115),
    ("sctp", 132),
    ("udplite", 136),
];

const SERVICES: &[(&str, u16)] = &[
    ("ssh", 22),
    ("smtp", 25),
    ("domain", 53),
    ("dns", 53),
    ("http", 80),
    ("https", 443),
    ("isakmp", 500),
    ("l2tp", 1701),
    ("ipsec-nat-t", 4500),
];

fn protocol_name(p: u8) -> Option<&'static str> {
    match p {
        1 => Some("icmp"),
        6 => Some("tcp"),
        17 => Some("udp"),
        47 => Some("gre"),
        58 => Some("ipv6-icmp"),
        132 => Some("sctp"),
        _ => None,
    }
}

fn parse_port(s: &str) -> Result<u16, &'static str> {
    let l = s.trim().to_ascii_lowercase();
    if let Some((_, p)) = SERVICES.iter().find(|(n, _)| *n == l) {
        return Ok(*p);
    }
    l.parse::<u16>()
        .map_err(|_| "port must be 0-65535, a service name, %any or opaque")
}

impl FromStr for ProtoPort {
    type Err = TsParseError;

    /// `17/1701`, `udp/1701`, `tcp/%any`, `tcp`, `6/1024-65535`, `udp/opaque`, `%any`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |token: &str, reason: &'static str| TsParseError::new(s, 1, token, reason);
        let text = s.trim();
        let (proto, port) = match text.split_once('/') {
            Some((a, b)) => (a.trim(), Some(b.trim())),
            None => (text, None),
        };
        let pl = proto.to_ascii_lowercase();
        let protocol = match pl.as_str() {
            "" => return Err(err(proto, "missing protocol")),
            "%any" | "any" => 0,
            _ => match PROTOCOLS.iter().find(|(n, _)| *n == pl) {
                Some((_, p)) => *p,
                None => pl.parse::<u8>().map_err(|_| {
                    err(
                        proto,
                        "protocol must be 0-255 or a name such as tcp, udp, icmp",
                    )
                })?,
            },
        };
        let (start_port, end_port) = match port.map(str::to_ascii_lowercase).as_deref() {
            None | Some("%any" | "any") => (0, 65535),
            Some("opaque" | "%opaque") => OPAQUE_PORTS,
            Some("") => return Err(err(text, "missing port after '/'")),
            Some(p) => match p.split_once('-') {
                Some((a, b)) => {
                    let a = parse_port(a).map_err(|r| err(p, r))?;
                    let b = parse_port(b).map_err(|r| err(p, r))?;
                    if a > b {
                        return Err(err(p, "port range start after its end"));
                    }
                    (a, b)
                }
                None => {
                    let v = parse_port(p).map_err(|r| err(p, r))?;
                    (v, v)
                }
            },
        };
        if protocol == 0 && (start_port, end_port) != (0, 65535) {
            return Err(err(text, "ports need a protocol (e.g. udp/1701)"));
        }
        Ok(Self {
            protocol,
            start_port,
            end_port,
        })
    }
}

impl fmt::Display for ProtoPort {
    /// `udp/1701`, `tcp`, `6/1024-2048`, `udp/opaque`, `any`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match protocol_name(self.protocol) {
            Some(n) => f.write_str(n)?,
            None if self.protocol == 0 => f.write_str("any")?,
            None => write!(f, "{}", self.protocol)?,
        }
        match (self.start_port, self.end_port) {
            (0, 65535) => Ok(()),
            OPAQUE_PORTS => f.write_str("/opaque"),
            (a, b) if a == b => write!(f, "/{a}"),
            (a, b) => write!(f, "/{a}-{b}"),
        }
    }
}

/// Parses a list of traffic selectors separated by commas and/or white space.
///
/// # Errors
/// [`TsParseError`] naming the item, its 1-based position and what is wrong.
pub fn parse_ts_list(input: &str) -> Result<Vec<TrafficSelector>, TsParseError> {
    let items: Vec<&str> = input
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .collect();
    if items.is_empty() {
        return Err(TsParseError::new(
            input,
            1,
            input,
            "empty traffic selector list",
        ));
    }
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        parse_item(input, i + 1, item, &mut out)?;
    }
    Ok(out)
}

fn parse_item(
    input: &str,
    position: usize,
    item: &str,
    out: &mut Vec<TrafficSelector>,
) -> Result<(), TsParseError> {
    let err = |token: &str, reason: &'static str| TsParseError::new(input, position, token, reason);
    let (addr_part, pp) = match item.split_once('[') {
        Some((a, rest)) => {
            let inner = rest
                .strip_suffix(']')
                .ok_or_else(|| err(item, "missing ']' after the protocol/port"))?;
            let pp: ProtoPort = inner
                .parse()
                .map_err(|e: TsParseError| err(inner, e.reason))?;
            (a, pp)
        }
        None => (item, ProtoPort::ANY),
    };
    if addr_part.contains(']') {
        return Err(err(item, "unexpected ']'"));
    }
    let selectors: Vec<TrafficSelector> = match addr_part.to_ascii_lowercase().as_str() {
        "" => return Err(err(item, "missing address")),
        "%any" => vec![TrafficSelector::any_ipv4(), TrafficSelector::any_ipv6()],
        "%any4" => vec![TrafficSelector::any_ipv4()],
        "%any6" => vec![TrafficSelector::any_ipv6()],
        _ => vec![parse_addresses(addr_part).map_err(|r| err(addr_part, r))?],
    };
    out.extend(selectors.into_iter().map(|t| t.with_protoport(pp)));
    Ok(())
}

fn parse_addresses(s: &str) -> Result<TrafficSelector, &'static str> {
    if let Some((a, b)) = s.split_once('-') {
        let a: IpAddr = a
            .trim()
            .parse()
            .map_err(|_| "range start is not an IP address")?;
        let b: IpAddr = b
            .trim()
            .parse()
            .map_err(|_| "range end is not an IP address")?;
        if a.is_ipv6() != b.is_ipv6() {
            return Err("range mixes IPv4 and IPv6");
        }
        return TrafficSelector::range(a, b).map_err(|_| "range start after its end");
    }
    if let Some((a, l)) = s.split_once('/') {
        let addr: IpAddr = a.trim().parse().map_err(|_| "not an IP address")?;
        let len: u8 = l
            .trim()
            .parse()
            .map_err(|_| "prefix length is not a number")?;
        let cidr = Cidr::new(addr, len).ok_or("prefix length too long for the address family")?;
        return Ok(TrafficSelector::from_cidr(cidr));
    }
    s.trim()
        .parse::<IpAddr>()
        .map(TrafficSelector::host)
        .map_err(|_| "not an IP address, prefix or range")
}
