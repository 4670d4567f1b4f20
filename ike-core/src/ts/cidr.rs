//! CIDR prefixes and conversion of address ranges to the fewest covering prefixes (routes and
//! XFRM policies take prefixes; IKE traffic selectors are ranges).

use core::fmt;
use core::str::FromStr;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::TsParseError;

/// An address as a number (IPv4 in the low 32 bits).
pub(crate) fn to_u128(a: IpAddr) -> u128 {
    match a {
        IpAddr::V4(v) => u128::from(u32::from(v)),
        IpAddr::V6(v) => u128::from(v),
    }
}

/// A number as an address of the given family (IPv4 saturates at 255.255.255.255).
pub(crate) fn from_u128(v: u128, v6: bool) -> IpAddr {
    if v6 {
        IpAddr::V6(Ipv6Addr::from(v))
    } else {
        IpAddr::V4(Ipv4Addr::from(u32::try_from(v).unwrap_or(u32::MAX)))
    }
}

/// The address width in bits of a family.
pub(crate) const fn width(v6: bool) -> u32 {
    if v6 {
        128
    } else {
        32
    }
}

/// The host mask (low `bits` bits set) for a prefix with `bits` host bits.
fn host_mask(bits: u32) -> u128 {
    if bits >= 128 {
        u128::MAX
    } else {
        (1u128 << bits) - 1
    }
}

/// An IPv4 or IPv6 prefix. The address is always the network address (host bits clear).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cidr {
    addr: IpAddr,
    prefix_len: u8,
}

impl Cidr {
    /// A prefix; host bits of `addr` are cleared (`10.1.2.3/16` is `10.1.0.0/16`).
    /// `None` if `prefix_len` exceeds the family's width.
    #[must_use]
    pub fn new(addr: IpAddr, prefix_len: u8) -> Option<Self> {
        let w = width(addr.is_ipv6());
        if u32::from(prefix_len) > w {
            return None;
        }
        let host = host_mask(w - u32::from(prefix_len));
        let net = to_u128(addr) & !host;
        Some(Self {
            addr: from_u128(net, addr.is_ipv6()),
            prefix_len,
        })
    }

    /// A single-address prefix (/32 or /128).
    #[must_use]
    pub fn host(addr: IpAddr) -> Self {
        let prefix_len = if addr.is_ipv6() { 128 } else { 32 };
        Self { addr, prefix_len }
    }

    /// The network address.
    #[must_use]
    pub const fn addr(&self) -> IpAddr {
        self.addr
    }

    /// The prefix length.
    #[must_use]
    pub const fn prefix_len(&self) -> u8 {
        self.prefix_len
    }

    /// Whether this is an IPv6 prefix.
    #[must_use]
    pub const fn is_ipv6(&self) -> bool {
        self.addr.is_ipv6()
    }

    /// The first address (the network address).
    #[must_use]
    pub const fn first(&self) -> IpAddr {
        self.addr
    }

    /// The last address (the broadcast address for IPv4).
    #[must_use]
    pub fn last(&self) -> IpAddr {
        let v6 = self.is_ipv6();
        let host = host_mask(width(v6) - u32::from(self.prefix_len));
        from_u128(to_u128(self.addr) | host, v6)
    }

    /// Whether `addr` is inside the prefix.
    #[must_use]
    pub fn contains(&self, addr: IpAddr) -> bool {
        addr.is_ipv6() == self.is_ipv6()
            && to_u128(addr) >= to_u128(self.first())
            && to_u128(addr) <= to_u128(self.last())
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix_len)
    }
}

impl FromStr for Cidr {
    type Err = TsParseError;

    /// `10.1.0.0/16`, `2001:db8::/32`, or a single address (host prefix).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason: &'static str| TsParseError::new(s, 1, s, reason);
        let s = s.trim();
        match s.split_once('/') {
            Some((a, l)) => {
                let addr: IpAddr = a.trim().parse().map_err(|_| err("not an IP address"))?;
                let len: u8 = l.trim().parse().map_err(|_| err("invalid prefix length"))?;
                Self::new(addr, len)
                    .ok_or_else(|| err("prefix length too long for the address family"))
            }
            None => s
                .parse::<IpAddr>()
                .map(Self::host)
                .map_err(|_| err("not an IP address or prefix")),
        }
    }
}

/// The fewest prefixes exactly covering `start..=end` (same family, `start <= end`; otherwise
/// empty). E.g. `10.0.0.1-10.0.0.6` → `10.0.0.1/32, 10.0.0.2/31, 10.0.0.4/31, 10.0.0.6/32`.
#[must_use]
pub fn range_to_cidrs(start: IpAddr, end: IpAddr) -> Vec<Cidr> {
    let v6 = start.is_ipv6();
    if end.is_ipv6() != v6 {
        return Vec::new();
    }
    let w = width(v6);
    let (mut lo, hi) = (to_u128(start), to_u128(end));
    let mut out = Vec::new();
    while lo <= hi {
        // The largest aligned block starting at `lo` that does not pass `hi`.
        let mut bits = if lo == 0 {
            w
        } else {
            lo.trailing_zeros().min(w)
        };
        while bits > 0 && (lo | host_mask(bits)) > hi {
            bits -= 1;
        }
        let block_end = lo | host_mask(bits);
        let prefix = u8::try_from(w - bits).unwrap_or(0);
        out.push(Cidr {
            addr: from_u128(lo, v6),
            prefix_len: prefix,
        });
        match block_end.checked_add(1) {
            Some(next) if block_end < hi => lo = next,
            _ => break,
        }
    }
    out
}
