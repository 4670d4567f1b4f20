//! Address pools for the responder's configuration payload (INTERNAL_IP4/IP6_ADDRESS).
//!
//! Allocation is deterministic: the lowest free address, unless the client asks for a specific
//! free one (RFC 7296 §3.15.1 lets a client request its previous address). Leases can be tied
//! to an owner (e.g. the peer's identity) so that a reconnecting client gets the same address.
//! A pool made from a prefix excludes the IPv4 network and broadcast addresses (prefixes up
//! to /30) and the IPv6 subnet-router anycast address (prefixes up to /126).

use core::fmt;
use core::str::FromStr;
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use super::cidr::{from_u128, to_u128};
use super::{parse_ts_list, Cidr, TsParseError};

/// Why an address could not be handed out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PoolError {
    /// No free address left.
    #[error("address pool {pool} is exhausted")]
    Exhausted {
        /// The pool, as `start-end`.
        pool: String,
    },
    /// The requested address is not in the pool.
    #[error("{addr} is not in address pool {pool}")]
    OutOfRange {
        /// The address.
        addr: IpAddr,
        /// The pool.
        pool: String,
    },
    /// The requested address is leased to someone else.
    #[error("{addr} is already in use")]
    InUse {
        /// The address.
        addr: IpAddr,
    },
    /// The range is empty or mixes families.
    #[error("invalid address pool: {0}")]
    Invalid(&'static str),
}

/// A range of addresses to lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressPool {
    start: IpAddr,
    end: IpAddr,
    /// Leased offsets from `start`.
    used: BTreeSet<u128>,
    /// Leases by owner.
    owners: BTreeMap<String, IpAddr>,
}

impl AddressPool {
    /// A pool of every address from `start` to `end` inclusive.
    ///
    /// # Errors
    /// [`PoolError::Invalid`] for mixed families or `start > end`.
    pub fn from_range(start: IpAddr, end: IpAddr) -> Result<Self, PoolError> {
        if start.is_ipv6() != end.is_ipv6() {
            return Err(PoolError::Invalid("start and end of different families"));
        }
        if to_u128(start) > to_u128(end) {
            return Err(PoolError::Invalid("start after end"));
        }
        Ok(Self {
            start,
            end,
            used: BTreeSet::new(),
            owners: BTreeMap::new(),
        })
    }

    /// A pool of the usable addresses of a prefix (see the module documentation).
    ///
    /// # Errors
    /// [`PoolError::Invalid`] if nothing is left (cannot happen for valid prefixes).
    pub fn from_cidr(cidr: Cidr) -> Result<Self, PoolError> {
        let v6 = cidr.is_ipv6();
        let (mut lo, mut hi) = (to_u128(cidr.first()), to_u128(cidr.last()));
        let len = cidr.prefix_len();
        if (!v6 && len <= 30) || (v6 && len <= 126) {
            lo = lo.saturating_add(1);
        }
        if !v6 && len <= 30 {
            hi = hi.saturating_sub(1);
        }
        Self::from_range(from_u128(lo, v6), from_u128(hi, v6))
    }

    /// The first address.
    #[must_use]
    pub const fn start(&self) -> IpAddr {
        self.start
    }

    /// The last address.
    #[must_use]
    pub const fn end(&self) -> IpAddr {
        self.end
    }

    /// How many addresses the pool has (saturating at `u128::MAX`).
    #[must_use]
    pub fn capacity(&self) -> u128 {
        (to_u128(self.end) - to_u128(self.start)).saturating_add(1)
    }

    /// How many addresses are leased.
    #[must_use]
    pub fn in_use(&self) -> usize {
        self.used.len()
    }

    /// Whether `addr` belongs to the pool.
    #[must_use]
    pub fn contains(&self, addr: IpAddr) -> bool {
        addr.is_ipv6() == self.start.is_ipv6()
            && to_u128(self.start) <= to_u128(addr)
            && to_u128(addr) <= to_u128(self.end)
    }

    /// Whether `addr` is leased.
    #[must_use]
    pub fn is_allocated(&self, addr: IpAddr) -> bool {
        self.offset(addr).is_some_and(|o| self.used.contains(&o))
    }

    fn offset(&self, addr: IpAddr) -> Option<u128> {
        self.contains(addr)
            .then(|| to_u128(addr) - to_u128(self.start))
    }

    fn name(&self) -> String {
        self.to_string()
    }

    /// Leases the lowest free address.
    ///
    /// # Errors
    /// [`PoolError::Exhausted`].
    pub fn allocate(&mut self) -> Result<IpAddr, PoolError> {
        let mut candidate: u128 = 0;
        for &u in &self.used {
            if u == candidate {
                candidate = candidate.saturating_add(1);
            } else if u > candidate {
                break;
            }
        }
        let last = to_u128(self.end) - to_u128(self.start);
        if candidate > last {
            return Err(PoolError::Exhausted { pool: self.name() });
        }
        self.used.insert(candidate);
        Ok(from_u128(
            to_u128(self.start) + candidate,
            self.start.is_ipv6(),
        ))
    }

    /// Leases a specific address.
    ///
    /// # Errors
    /// [`PoolError::OutOfRange`] or [`PoolError::InUse`].
    pub fn allocate_specific(&mut self, addr: IpAddr) -> Result<IpAddr, PoolError> {
        let Some(o) = self.offset(addr) else {
            return Err(PoolError::OutOfRange {
                addr,
                pool: self.name(),
            });
        };
        if !self.used.insert(o) {
            return Err(PoolError::InUse { addr });
        }
        Ok(addr)
    }

    /// Leases `requested` if it is in the pool and free, else the lowest free address.
    ///
    /// # Errors
    /// [`PoolError::Exhausted`].
    pub fn allocate_preferred(&mut self, requested: Option<IpAddr>) -> Result<IpAddr, PoolError> {
        if let Some(r) = requested {
            if let Ok(a) = self.allocate_specific(r) {
                return Ok(a);
            }
        }
        self.allocate()
    }

    /// Returns an address to the pool (and drops its owner's lease). `false` if it was not
    /// leased.
    pub fn release(&mut self, addr: IpAddr) -> bool {
        let Some(o) = self.offset(addr) else {
            return false;
        };
        self.owners.retain(|_, a| *a != addr);
        self.used.remove(&o)
    }

    /// The address leased to `owner`, if any.
    #[must_use]
    pub fn lease_of(&self, owner: &str) -> Option<IpAddr> {
        self.owners.get(owner).copied()
    }

    /// Leases an address to `owner`: the one it already has, else `requested` if free, else
    /// the lowest free address.
    ///
    /// # Errors
    /// [`PoolError::Exhausted`].
    pub fn lease(&mut self, owner: &str, requested: Option<IpAddr>) -> Result<IpAddr, PoolError> {
        if let Some(a) = self.lease_of(owner) {
            return Ok(a);
        }
        let a = self.allocate_preferred(requested)?;
        self.owners.insert(owner.to_owned(), a);
        Ok(a)
    }

    /// Ends `owner`'s lease, returning the address.
    pub fn release_owner(&mut self, owner: &str) -> Option<IpAddr> {
        let a = self.owners.remove(owner)?;
        if let Some(o) = self.offset(a) {
            self.used.remove(&o);
        }
        Some(a)
    }
}

impl fmt::Display for AddressPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.start, self.end)
    }
}

impl FromStr for AddressPool {
    type Err = TsParseError;

    /// `10.3.0.0/24` (usable addresses, see [`AddressPool::from_cidr`]), `10.3.0.10-10.3.0.99`
    /// or a single address.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason: &'static str| TsParseError::new(s, 1, s, reason);
        let t = s.trim();
        if t.contains('/') {
            let c: Cidr = t.parse()?;
            return Self::from_cidr(c).map_err(|_| err("empty pool"));
        }
        let list = parse_ts_list(t)?;
        match list.as_slice() {
            [one] if one.is_all_traffic() => {
                Self::from_range(one.start_addr, one.end_addr).map_err(|_| err("invalid range"))
            }
            _ => Err(err("expected one prefix or address range")),
        }
    }
}
