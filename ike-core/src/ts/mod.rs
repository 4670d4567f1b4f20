//! Traffic selectors (RFC 7296 §3.13.1), narrowing (§2.9), CIDR conversion and address pools.
//!
//! A [`TrafficSelector`] is an address range of one family, an IP protocol (0 = any) and a
//! port range (0-65535 = any; 65535-0 = OPAQUE, i.e. "ports not available", RFC 4301 §4.4.1).
//! For ICMP the 16-bit "port" is type × 256 + code, as in Libreswan's `leftprotoport`.
//!
//! - Parsing ([`parse_ts_list`], `FromStr`): `10.1.0.0/16`, `0.0.0.0/0`, `::/0`, `192.0.2.7`,
//!   `10.0.0.1-10.0.0.50`, `%any` (both families), `%any4`, `%any6`, each optionally followed
//!   by `[PROTO]` or `[PROTO/PORT]` (strongSwan style, e.g. `10.0.0.0/8[udp/1701]`); lists are
//!   separated by commas or white space. [`ProtoPort`] parses Libreswan's `leftprotoport`
//!   (`17/1701`, `tcp/%any`).
//! - [`TrafficSelector::to_cidrs`] converts to prefixes for routes and policies.
//! - [`narrow_as_responder`] and [`check_responder_selectors`] implement §2.9 for both roles.
//! - [`AddressPool`] hands out configuration-payload addresses.

mod cidr;
mod narrow;
mod parse;
mod pool;

pub use cidr::{range_to_cidrs, Cidr};
pub use narrow::{
    check_responder_selectors, narrow_as_responder, narrow_list, packet_selector, Narrowed,
};
pub use parse::{parse_ts_list, ProtoPort};
pub use pool::{AddressPool, PoolError};

use core::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::ids::ts_type;
use cidr::to_u128;

/// The port value pair meaning OPAQUE (start 65535, end 0).
pub const OPAQUE_PORTS: (u16, u16) = (65535, 0);

/// One traffic selector: protocol, port range and address range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TrafficSelector {
    /// IP protocol number; 0 = any.
    pub ip_protocol: u8,
    /// First port (or ICMP type × 256 + code).
    pub start_port: u16,
    /// Last port; `start_port = 65535, end_port = 0` is OPAQUE.
    pub end_port: u16,
    /// First address.
    pub start_addr: IpAddr,
    /// Last address (same family as `start_addr`).
    pub end_addr: IpAddr,
}

/// A port set: a range, or OPAQUE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ports {
    Range(u16, u16),
    Opaque,
}

impl Ports {
    fn intersect(self, other: Self) -> Option<Self> {
        match (self, other) {
            (Self::Range(a, b), Self::Range(c, d)) => {
                let (lo, hi) = (a.max(c), b.min(d));
                (lo <= hi).then_some(Self::Range(lo, hi))
            }
            (Self::Opaque, Self::Opaque) => Some(Self::Opaque),
            (Self::Opaque, Self::Range(0, 65535)) | (Self::Range(0, 65535), Self::Opaque) => {
                Some(Self::Opaque)
            }
            _ => None,
        }
    }

    fn contains(self, other: Self) -> bool {
        match (self, other) {
            (Self::Range(a, b), Self::Range(c, d)) => a <= c && d <= b,
            (Self::Range(0, 65535) | Self::Opaque, Self::Opaque) => true,
            _ => false,
        }
    }

    const fn bounds(self) -> (u16, u16) {
        match self {
            Self::Range(a, b) => (a, b),
            Self::Opaque => OPAQUE_PORTS,
        }
    }
}

/// Errors of traffic selector handling.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TsError {
    /// Narrowing left nothing on one side: answer TS_UNACCEPTABLE.
    #[error(
        "no common {side} traffic selectors: the peer proposed {}, we allow {}",
        join(.offered),
        join(.ours)
    )]
    Unacceptable {
        /// Which side was empty.
        side: TsSide,
        /// What the peer proposed.
        offered: Vec<String>,
        /// What our configuration allows.
        ours: Vec<String>,
    },
    /// The responder returned nothing for a side.
    #[error("the responder returned no {side} traffic selectors")]
    EmptyResponse {
        /// Which side.
        side: TsSide,
    },
    /// The responder returned a selector outside what we proposed.
    #[error(
        "the responder returned {side} traffic selector {returned}, which is not within what we proposed ({})",
        join(.proposed)
    )]
    NotSubset {
        /// Which side.
        side: TsSide,
        /// The offending selector.
        returned: String,
        /// What we proposed on that side.
        proposed: Vec<String>,
    },
    /// A selector's fields are inconsistent.
    #[error("invalid traffic selector: {0}")]
    Invalid(&'static str),
}

impl TsError {
    /// The notify type to send for this error, if any (TS_UNACCEPTABLE for
    /// [`TsError::Unacceptable`]).
    #[must_use]
    pub const fn notify_type(&self) -> Option<u16> {
        match self {
            Self::Unacceptable { .. } => Some(crate::ids::notify::TS_UNACCEPTABLE),
            _ => None,
        }
    }
}

/// Which traffic selector payload a message refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TsSide {
    /// TSi: the initiator's side.
    Initiator,
    /// TSr: the responder's side.
    Responder,
}

impl fmt::Display for TsSide {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Initiator => "initiator (TSi)",
            Self::Responder => "responder (TSr)",
        })
    }
}

/// A traffic selector string could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid traffic selector \"{token}\" (item {position} of \"{input}\"): {reason}")]
pub struct TsParseError {
    /// The whole input.
    pub input: String,
    /// 1-based index of the item in the list.
    pub position: usize,
    /// The offending item or part of it.
    pub token: String,
    /// What is wrong.
    pub reason: &'static str,
}

impl TsParseError {
    pub(crate) fn new(input: &str, position: usize, token: &str, reason: &'static str) -> Self {
        Self {
            input: input.to_owned(),
            position,
            token: token.to_owned(),
            reason,
        }
    }
}

fn join(list: &[String]) -> String {
    if list.is_empty() {
        "nothing".to_owned()
    } else {
        list.join(", ")
    }
}

impl TrafficSelector {
    /// A validated selector: both addresses of one family, `start_addr <= end_addr`,
    /// `start_port <= end_port` unless OPAQUE, and all ports when the protocol is "any".
    ///
    /// # Errors
    /// [`TsError::Invalid`].
    pub fn new(
        ip_protocol: u8,
        start_port: u16,
        end_port: u16,
        start_addr: IpAddr,
        end_addr: IpAddr,
    ) -> Result<Self, TsError> {
        let ts = Self {
            ip_protocol,
            start_port,
            end_port,
            start_addr,
            end_addr,
        };
        ts.validate()?;
        Ok(ts)
    }

    /// Checks the invariants listed at [`TrafficSelector::new`] (fields are public, so a
    /// selector decoded from the wire should be checked).
    ///
    /// # Errors
    /// [`TsError::Invalid`].
    pub fn validate(&self) -> Result<(), TsError> {
        if self.start_addr.is_ipv6() != self.end_addr.is_ipv6() {
            return Err(TsError::Invalid(
                "start and end addresses of different families",
            ));
        }
        if to_u128(self.start_addr) > to_u128(self.end_addr) {
            return Err(TsError::Invalid("start address after end address"));
        }
        if self.start_port > self.end_port && (self.start_port, self.end_port) != OPAQUE_PORTS {
            return Err(TsError::Invalid("start port after end port"));
        }
        if self.ip_protocol == 0 && (self.start_port, self.end_port) != (0, 65535) {
            return Err(TsError::Invalid("ports need a protocol"));
        }
        Ok(())
    }

    /// All traffic of a prefix (any protocol, any port).
    #[must_use]
    pub fn from_cidr(cidr: Cidr) -> Self {
        Self {
            ip_protocol: 0,
            start_port: 0,
            end_port: 65535,
            start_addr: cidr.first(),
            end_addr: cidr.last(),
        }
    }

    /// All traffic of one address.
    #[must_use]
    pub fn host(addr: IpAddr) -> Self {
        Self::from_cidr(Cidr::host(addr))
    }

    /// All traffic of an address range.
    ///
    /// # Errors
    /// [`TsError::Invalid`] for mixed families or `start > end`.
    pub fn range(start: IpAddr, end: IpAddr) -> Result<Self, TsError> {
        Self::new(0, 0, 65535, start, end)
    }

    /// All IPv4 traffic (`0.0.0.0/0`).
    #[must_use]
    pub fn any_ipv4() -> Self {
        Self::range_unchecked(Ipv4Addr::UNSPECIFIED.into(), Ipv4Addr::BROADCAST.into())
    }

    /// All IPv6 traffic (`::/0`).
    #[must_use]
    pub fn any_ipv6() -> Self {
        Self::range_unchecked(
            Ipv6Addr::UNSPECIFIED.into(),
            Ipv6Addr::from(u128::MAX).into(),
        )
    }

    const fn range_unchecked(start_addr: IpAddr, end_addr: IpAddr) -> Self {
        Self {
            ip_protocol: 0,
            start_port: 0,
            end_port: 65535,
            start_addr,
            end_addr,
        }
    }

    /// This selector restricted to a protocol and port range.
    #[must_use]
    pub const fn with_protoport(mut self, pp: ProtoPort) -> Self {
        self.ip_protocol = pp.protocol;
        self.start_port = pp.start_port;
        self.end_port = pp.end_port;
        self
    }

    /// The protocol and port part.
    #[must_use]
    pub const fn protoport(&self) -> ProtoPort {
        ProtoPort {
            protocol: self.ip_protocol,
            start_port: self.start_port,
            end_port: self.end_port,
        }
    }

    /// A selector over `start..=end` (both of one family), any protocol, all ports; unlike
    /// [`TrafficSelector::range`] it does not check the order of the addresses.
    #[must_use]
    pub const fn from_range(start: IpAddr, end: IpAddr) -> Self {
        Self {
            ip_protocol: 0,
            start_port: 0,
            end_port: u16::MAX,
            start_addr: start,
            end_addr: end,
        }
    }

    /// Whether the addresses are IPv6.
    #[must_use]
    pub const fn is_ipv6(&self) -> bool {
        self.start_addr.is_ipv6()
    }

    /// The TS type for the wire (7 = TS_IPV4_ADDR_RANGE, 8 = TS_IPV6_ADDR_RANGE).
    #[must_use]
    pub const fn ts_type(&self) -> u8 {
        if self.is_ipv6() {
            ts_type::IPV6_ADDR_RANGE
        } else {
            ts_type::IPV4_ADDR_RANGE
        }
    }

    /// Whether the ports are OPAQUE (65535-0).
    #[must_use]
    pub const fn has_opaque_ports(&self) -> bool {
        self.start_port == OPAQUE_PORTS.0 && self.end_port == OPAQUE_PORTS.1
    }

    /// Whether all protocols and ports are covered.
    #[must_use]
    pub const fn is_all_traffic(&self) -> bool {
        self.ip_protocol == 0 && self.start_port == 0 && self.end_port == 65535
    }

    /// Whether the address range is a single address.
    #[must_use]
    pub fn is_host(&self) -> bool {
        self.start_addr == self.end_addr
    }

    /// Whether `addr` is in the address range.
    #[must_use]
    pub fn contains_addr(&self, addr: IpAddr) -> bool {
        addr.is_ipv6() == self.is_ipv6()
            && to_u128(self.start_addr) <= to_u128(addr)
            && to_u128(addr) <= to_u128(self.end_addr)
    }

    fn ports(&self) -> Ports {
        if self.has_opaque_ports() {
            Ports::Opaque
        } else {
            Ports::Range(self.start_port, self.end_port)
        }
    }

    fn same_family(&self, other: &Self) -> bool {
        self.is_ipv6() == other.is_ipv6()
            && self.end_addr.is_ipv6() == self.is_ipv6()
            && other.end_addr.is_ipv6() == other.is_ipv6()
    }

    /// Whether `other` is a subset of `self` (protocol, ports and addresses).
    #[must_use]
    pub fn contains(&self, other: &Self) -> bool {
        self.same_family(other)
            && (self.ip_protocol == 0 || self.ip_protocol == other.ip_protocol)
            && self.ports().contains(other.ports())
            && to_u128(self.start_addr) <= to_u128(other.start_addr)
            && to_u128(other.end_addr) <= to_u128(self.end_addr)
    }

    /// The intersection of two selectors, if not empty.
    #[must_use]
    pub fn intersect(&self, other: &Self) -> Option<Self> {
        if !self.same_family(other) {
            return None;
        }
        let ip_protocol = match (self.ip_protocol, other.ip_protocol) {
            (0, p) | (p, 0) => p,
            (a, b) if a == b => a,
            _ => return None,
        };
        let (start_port, end_port) = self.ports().intersect(other.ports())?.bounds();
        let lo = to_u128(self.start_addr).max(to_u128(other.start_addr));
        let hi = to_u128(self.end_addr).min(to_u128(other.end_addr));
        if lo > hi {
            return None;
        }
        let v6 = self.is_ipv6();
        Some(Self {
            ip_protocol,
            start_port,
            end_port,
            start_addr: cidr::from_u128(lo, v6),
            end_addr: cidr::from_u128(hi, v6),
        })
    }

    /// The fewest prefixes covering the address range (protocol and ports are not part of a
    /// prefix). Empty if the selector is invalid.
    #[must_use]
    pub fn to_cidrs(&self) -> Vec<Cidr> {
        range_to_cidrs(self.start_addr, self.end_addr)
    }

    /// The single prefix equal to the address range, if it is one.
    #[must_use]
    pub fn as_cidr(&self) -> Option<Cidr> {
        match self.to_cidrs().as_slice() {
            [one] => Some(*one),
            _ => None,
        }
    }
}

impl fmt::Display for TrafficSelector {
    /// `10.1.0.0/16`, `192.0.2.7`, `10.0.0.1-10.0.0.50`, with `[udp/1701]`-style suffix when
    /// the protocol or ports are restricted. Parsed back by `FromStr`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_host() {
            write!(f, "{}", self.start_addr)?;
        } else if let Some(c) = self.as_cidr() {
            write!(f, "{c}")?;
        } else {
            write!(f, "{}-{}", self.start_addr, self.end_addr)?;
        }
        if !self.is_all_traffic() {
            write!(f, "[{}]", self.protoport())?;
        }
        Ok(())
    }
}

impl core::str::FromStr for TrafficSelector {
    type Err = TsParseError;

    /// One selector (see the module documentation); `%any` is refused here because it stands
    /// for two selectors: use [`parse_ts_list`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let list = parse_ts_list(s)?;
        match list.as_slice() {
            [one] => Ok(*one),
            _ => Err(TsParseError::new(
                s,
                1,
                s,
                "expected exactly one traffic selector",
            )),
        }
    }
}
