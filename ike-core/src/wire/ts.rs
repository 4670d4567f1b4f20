//! Traffic Selector payloads TSi/TSr (RFC 7296 §3.13).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::error::WireError;
use super::reader::{len_u8, put_u16, Reader};
use super::MAX_TRAFFIC_SELECTORS;
use crate::ids::ts_type;

/// Length of a TS_IPV4_ADDR_RANGE selector.
const V4_LEN: usize = 16;
/// Length of a TS_IPV6_ADDR_RANGE selector.
const V6_LEN: usize = 40;

/// One traffic selector: an address range, an IP protocol and a port range.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TrafficSelector {
    /// [`ts_type::IPV4_ADDR_RANGE`] or [`ts_type::IPV6_ADDR_RANGE`]; must match the address
    /// family.
    pub ts_type: u8,
    /// IP protocol id (0 = any).
    pub ip_protocol: u8,
    /// First port (for ICMP: type/code as in RFC 4301).
    pub start_port: u16,
    /// Last port. `start_port` 65535 with `end_port` 0 means OPAQUE.
    pub end_port: u16,
    /// First address of the range.
    pub start_addr: IpAddr,
    /// Last address of the range.
    pub end_addr: IpAddr,
}

impl TrafficSelector {
    /// A selector over `start..=end` (both of one family; the type follows the family), any
    /// protocol, all ports.
    pub fn from_range(start: IpAddr, end: IpAddr) -> Self {
        let ts_type = match start {
            IpAddr::V4(_) => ts_type::IPV4_ADDR_RANGE,
            IpAddr::V6(_) => ts_type::IPV6_ADDR_RANGE,
        };
        Self {
            ts_type,
            ip_protocol: 0,
            start_port: 0,
            end_port: u16::MAX,
            start_addr: start,
            end_addr: end,
        }
    }

    /// True for the OPAQUE port marker (start 65535, end 0; RFC 7296 §3.13.1).
    pub fn ports_opaque(&self) -> bool {
        self.start_port == u16::MAX && self.end_port == 0
    }

    /// Checks that the type matches the address family and that the ranges are not inverted
    /// (ports may be the OPAQUE marker).
    pub fn validate(&self) -> Result<(), WireError> {
        let ordered = match (self.ts_type, self.start_addr, self.end_addr) {
            (ts_type::IPV4_ADDR_RANGE, IpAddr::V4(a), IpAddr::V4(b)) => a <= b,
            (ts_type::IPV6_ADDR_RANGE, IpAddr::V6(a), IpAddr::V6(b)) => a <= b,
            (ts_type::IPV4_ADDR_RANGE | ts_type::IPV6_ADDR_RANGE, _, _) => {
                return Err(WireError::BadTrafficSelector(
                    "address family does not match the selector type",
                ))
            }
            (t, _, _) => return Err(WireError::UnsupportedTsType(t)),
        };
        if !ordered {
            return Err(WireError::BadTrafficSelector(
                "start address above end address",
            ));
        }
        if self.start_port > self.end_port && !self.ports_opaque() {
            return Err(WireError::BadTrafficSelector("start port above end port"));
        }
        Ok(())
    }

    fn parse(r: &mut Reader<'_>) -> Result<Self, WireError> {
        let ts_type = r.u8()?;
        let ip_protocol = r.u8()?;
        let len = usize::from(r.u16()?);
        let want = match ts_type {
            ts_type::IPV4_ADDR_RANGE => V4_LEN,
            ts_type::IPV6_ADDR_RANGE => V6_LEN,
            t => return Err(WireError::UnsupportedTsType(t)),
        };
        if len != want {
            return Err(WireError::BadTrafficSelector(
                "selector length does not match its type",
            ));
        }
        let start_port = r.u16()?;
        let end_port = r.u16()?;
        let (start_addr, end_addr) = if ts_type == ts_type::IPV4_ADDR_RANGE {
            (
                IpAddr::V4(Ipv4Addr::from(r.array::<4>()?)),
                IpAddr::V4(Ipv4Addr::from(r.array::<4>()?)),
            )
        } else {
            (
                IpAddr::V6(Ipv6Addr::from(r.array::<16>()?)),
                IpAddr::V6(Ipv6Addr::from(r.array::<16>()?)),
            )
        };
        let ts = Self {
            ts_type,
            ip_protocol,
            start_port,
            end_port,
            start_addr,
            end_addr,
        };
        ts.validate()?;
        Ok(ts)
    }

    fn emit(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        self.validate()?;
        out.push(self.ts_type);
        out.push(self.ip_protocol);
        match (self.start_addr, self.end_addr) {
            (IpAddr::V4(a), IpAddr::V4(b)) => {
                put_u16(out, V4_LEN as u16);
                put_u16(out, self.start_port);
                put_u16(out, self.end_port);
                out.extend_from_slice(&a.octets());
                out.extend_from_slice(&b.octets());
            }
            (IpAddr::V6(a), IpAddr::V6(b)) => {
                put_u16(out, V6_LEN as u16);
                put_u16(out, self.start_port);
                put_u16(out, self.end_port);
                out.extend_from_slice(&a.octets());
                out.extend_from_slice(&b.octets());
            }
            _ => {
                return Err(WireError::BadTrafficSelector(
                    "address family does not match the selector type",
                ))
            }
        }
        Ok(())
    }
}

/// TSi or TSr payload body: a list of traffic selectors.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TsPayload {
    /// The selectors, in wire order.
    pub selectors: Vec<TrafficSelector>,
}

impl TsPayload {
    /// Parses the payload body (after the generic payload header).
    ///
    /// The selector count must match the selectors present; every selector must have the
    /// exact length of its type and a non-inverted range.
    pub fn parse(body: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(body);
        let count = usize::from(r.u8()?);
        let _reserved = r.take(3)?;
        if count > MAX_TRAFFIC_SELECTORS {
            return Err(WireError::TooMany {
                what: "traffic selectors",
                limit: MAX_TRAFFIC_SELECTORS,
            });
        }
        let mut selectors = Vec::new();
        for _ in 0..count {
            selectors.push(TrafficSelector::parse(&mut r)?);
        }
        r.finish()?;
        Ok(Self { selectors })
    }

    /// Appends the payload body.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        out.push(len_u8(
            self.selectors.len(),
            "more than 255 traffic selectors",
        )?);
        out.extend_from_slice(&[0, 0, 0]);
        for ts in &self.selectors {
            ts.emit(out)?;
        }
        Ok(())
    }
}

/// The traffic selector module's type carries the same fields; the selector type follows the
/// address family.
impl From<crate::ts::TrafficSelector> for TrafficSelector {
    fn from(t: crate::ts::TrafficSelector) -> Self {
        Self {
            ts_type: t.ts_type(),
            ip_protocol: t.ip_protocol,
            start_port: t.start_port,
            end_port: t.end_port,
            start_addr: t.start_addr,
            end_addr: t.end_addr,
        }
    }
}

impl From<&TrafficSelector> for crate::ts::TrafficSelector {
    fn from(t: &TrafficSelector) -> Self {
        Self {
            ip_protocol: t.ip_protocol,
            start_port: t.start_port,
            end_port: t.end_port,
            start_addr: t.start_addr,
            end_addr: t.end_addr,
        }
    }
}

impl From<TrafficSelector> for crate::ts::TrafficSelector {
    fn from(t: TrafficSelector) -> Self {
        Self::from(&t)
    }
}
