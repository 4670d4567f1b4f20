//! Traffic Selector payloads TSi/TSr (RFC 7296 §3.13). The selector type itself is
//! [`crate::ts::TrafficSelector`], re-exported here; its wire type follows its address family.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::error::WireError;
use super::reader::{len_u8, put_u16, Reader};
use super::MAX_TRAFFIC_SELECTORS;
use crate::ids::ts_type;

/// Length of a TS_IPV4_ADDR_RANGE selector.
const V4_LEN: usize = 16;
/// Length of a TS_IPV6_ADDR_RANGE selector.
const V6_LEN: usize = 40;

pub use crate::ts::TrafficSelector;

/// Checks what the wire form needs: both addresses of one family and ranges that are not
/// inverted (ports may be the OPAQUE marker). The selector type follows the family.
fn check(ts: &TrafficSelector) -> Result<(), WireError> {
    let ordered = match (ts.start_addr, ts.end_addr) {
        (IpAddr::V4(a), IpAddr::V4(b)) => a <= b,
        (IpAddr::V6(a), IpAddr::V6(b)) => a <= b,
        _ => {
            return Err(WireError::BadTrafficSelector(
                "address family does not match the selector type",
            ))
        }
    };
    if !ordered {
        return Err(WireError::BadTrafficSelector(
            "start address above end address",
        ));
    }
    if ts.start_port > ts.end_port && !ts.has_opaque_ports() {
        return Err(WireError::BadTrafficSelector("start port above end port"));
    }
    Ok(())
}

fn parse_one(r: &mut Reader<'_>) -> Result<TrafficSelector, WireError> {
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
    let ts = TrafficSelector {
        ip_protocol,
        start_port,
        end_port,
        start_addr,
        end_addr,
    };
    check(&ts)?;
    Ok(ts)
}

fn emit_one(ts: &TrafficSelector, out: &mut Vec<u8>) -> Result<(), WireError> {
    check(ts)?;
    out.push(ts.ts_type());
    out.push(ts.ip_protocol);
    match (ts.start_addr, ts.end_addr) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            put_u16(out, V4_LEN as u16);
            put_u16(out, ts.start_port);
            put_u16(out, ts.end_port);
            out.extend_from_slice(&a.octets());
            out.extend_from_slice(&b.octets());
        }
        (IpAddr::V6(a), IpAddr::V6(b)) => {
            put_u16(out, V6_LEN as u16);
            put_u16(out, ts.start_port);
            put_u16(out, ts.end_port);
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
            selectors.push(parse_one(&mut r)?);
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
            emit_one(ts, out)?;
        }
        Ok(())
    }
}
