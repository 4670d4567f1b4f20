//! Live address leases of the responder's pools (INTERNAL_IP4/IP6_ADDRESS), shared by every
//! IKE SA of the engine: one address per IKE SA and pool, never one leased twice, never the
//! network or broadcast address of the prefix reported with it, returned when the IKE SA goes.

use std::collections::{BTreeSet, HashMap};
use std::net::IpAddr;

use crate::api::{AddressPool, IkeSaHandle};
use crate::ts::{self, PoolError};

/// The engine's lease table.
#[derive(Debug, Default)]
pub(crate) struct Leases {
    /// Allocator state per configured pool (keyed by its range: several responder
    /// configurations may name the same pool).
    pools: Vec<ts::AddressPool>,
    /// Every leased address, whichever pool it came from (pools may overlap).
    live: BTreeSet<IpAddr>,
    /// The addresses each IKE SA holds.
    by_sa: HashMap<IkeSaHandle, Vec<IpAddr>>,
    /// The peer identity of each IKE SA that holds addresses.
    peer_of: HashMap<IkeSaHandle, String>,
}

/// Whether `addr` is the network or broadcast address (IPv4, prefixes up to /30) or the
/// subnet-router anycast address (IPv6, prefixes up to /126) of `addr/prefix`.
fn reserved(addr: IpAddr, prefix: u8) -> bool {
    match addr {
        IpAddr::V4(a) => {
            if prefix > 30 {
                return false;
            }
            let host_bits = 32 - u32::from(prefix);
            let mask = u32::MAX.checked_shl(host_bits).unwrap_or(0);
            let v = u32::from(a);
            v & !mask == 0 || v & !mask == !mask
        }
        IpAddr::V6(a) => {
            if prefix > 126 {
                return false;
            }
            let host_bits = 128 - u32::from(prefix);
            let mask = u128::MAX.checked_shl(host_bits).unwrap_or(0);
            u128::from(a) & !mask == 0
        }
    }
}

impl Leases {
    fn pool_mut(&mut self, cfg: &AddressPool) -> &mut ts::AddressPool {
        let key = (cfg.range.start(), cfg.range.end());
        let i = match self.pools.iter().position(|p| (p.start(), p.end()) == key) {
            Some(i) => i,
            None => {
                // Start from the configured range without any lease it may carry.
                let fresh =
                    ts::AddressPool::from_range(key.0, key.1).unwrap_or_else(|_| cfg.range.clone());
                self.pools.push(fresh);
                self.pools.len() - 1
            }
        };
        #[allow(clippy::indexing_slicing)] // `i` is a valid index (found or just pushed)
        &mut self.pools[i]
    }

    /// Leases an address of `cfg` to `sa` (the one it already holds from this pool, if any).
    ///
    /// # Errors
    /// [`PoolError::Exhausted`] when every usable address is leased.
    pub fn lease(&mut self, sa: IkeSaHandle, cfg: &AddressPool) -> Result<IpAddr, PoolError> {
        if let Some(a) = self
            .by_sa
            .get(&sa)
            .and_then(|v| v.iter().find(|a| cfg.range.contains(**a)))
        {
            return Ok(*a);
        }
        let live = self.live.clone();
        let pool = self.pool_mut(cfg);
        let mut taken_elsewhere = Vec::new();
        let got = loop {
            let a = match pool.allocate() {
                Ok(a) => a,
                Err(e) => break Err(e),
            };
            if reserved(a, cfg.prefix) {
                // Stays allocated: never handed out.
                continue;
            }
            if live.contains(&a) {
                // Leased from an overlapping pool: skip it for now.
                taken_elsewhere.push(a);
                continue;
            }
            break Ok(a);
        };
        for a in taken_elsewhere {
            pool.release(a);
        }
        let a = got?;
        self.live.insert(a);
        self.by_sa.entry(sa).or_default().push(a);
        Ok(a)
    }

    /// Records the identity of the peer of `sa` (see [`Leases::lease_requested`]).
    pub fn note_peer(&mut self, sa: IkeSaHandle, peer: &str) {
        self.peer_of.insert(sa, peer.to_string());
    }

    /// Leases the address `want` of `cfg` to `sa`, whose peer authenticated as `peer`: when
    /// it is free, or when another IKE SA of the same peer identity holds it (a
    /// reauthentication asks for the address its old IKE SA holds, RFC 7296 §2.8.3; it moves
    /// to the new IKE SA, as strongSwan hands an identity its lease again). `None` when
    /// neither (outside the pool, reserved, or another peer's): the caller leases any address.
    /// Peers that share one identity can take each other's addresses this way.
    pub fn lease_requested(
        &mut self,
        sa: IkeSaHandle,
        cfg: &AddressPool,
        want: IpAddr,
        peer: &str,
    ) -> Option<IpAddr> {
        if !cfg.range.contains(want) || reserved(want, cfg.prefix) || want.is_unspecified() {
            return None;
        }
        self.note_peer(sa, peer);
        if let Some(held) = self.by_sa.get(&sa) {
            if held.iter().any(|a| cfg.range.contains(*a)) {
                return held.iter().find(|a| cfg.range.contains(**a)).copied();
            }
        }
        if self.live.contains(&want) {
            let holder = self
                .by_sa
                .iter()
                .find(|(_, v)| v.contains(&want))
                .map(|(h, _)| *h)?;
            if holder == sa
                || peer.is_empty()
                || self.peer_of.get(&holder).map(String::as_str) != Some(peer)
            {
                return None;
            }
            if let Some(v) = self.by_sa.get_mut(&holder) {
                v.retain(|a| *a != want);
            }
        } else {
            self.pool_mut(cfg).allocate_specific(want).ok()?;
            self.live.insert(want);
        }
        self.by_sa.entry(sa).or_default().push(want);
        Some(want)
    }

    /// Returns every address `sa` holds.
    pub fn release_sa(&mut self, sa: IkeSaHandle) {
        self.peer_of.remove(&sa);
        let Some(addrs) = self.by_sa.remove(&sa) else {
            return;
        };
        for a in addrs {
            self.live.remove(&a);
            for p in &mut self.pools {
                if p.contains(a) {
                    p.release(a);
                }
            }
        }
    }

    /// How many addresses are leased.
    #[cfg(test)]
    pub fn in_use(&self) -> usize {
        self.live.len()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_requested_address_moves_only_between_ike_sas_of_the_same_peer() {
        let p = pool("10.3.0.10-10.3.0.20", 32);
        let mut l = Leases::default();
        let want: IpAddr = "10.3.0.15".parse().unwrap();
        assert_eq!(
            l.lease_requested(IkeSaHandle(1), &p, want, "alice"),
            Some(want)
        );
        // Another identity cannot take it; the same one (a reauthentication) can.
        assert_eq!(l.lease_requested(IkeSaHandle(2), &p, want, "mallory"), None);
        assert_eq!(
            l.lease_requested(IkeSaHandle(3), &p, want, "alice"),
            Some(want)
        );
        // The old IKE SA going does not free the address the new one holds.
        l.release_sa(IkeSaHandle(1));
        assert_eq!(l.in_use(), 1);
        assert_eq!(l.lease_requested(IkeSaHandle(4), &p, want, "bob"), None);
        l.release_sa(IkeSaHandle(3));
        assert_eq!(l.in_use(), 0);
        // Outside the pool: not given.
        let out: IpAddr = "10.9.0.1".parse().unwrap();
        assert_eq!(l.lease_requested(IkeSaHandle(5), &p, out, "alice"), None);
    }

    fn pool(s: &str, prefix: u8) -> AddressPool {
        AddressPool {
            range: s.parse().unwrap(),
            prefix,
        }
    }

    #[test]
    fn no_network_or_broadcast_and_no_duplicates() {
        let mut l = Leases::default();
        // A range covering a whole /30 reported with prefix 30: only .1 and .2 are usable.
        let p = pool("10.9.0.0-10.9.0.3", 30);
        let a = l.lease(IkeSaHandle(1), &p).unwrap();
        let b = l.lease(IkeSaHandle(2), &p).unwrap();
        assert_eq!(a, "10.9.0.1".parse::<IpAddr>().unwrap());
        assert_eq!(b, "10.9.0.2".parse::<IpAddr>().unwrap());
        assert!(l.lease(IkeSaHandle(3), &p).is_err());
        // The same SA asking again keeps its address.
        assert_eq!(l.lease(IkeSaHandle(1), &p).unwrap(), a);
        l.release_sa(IkeSaHandle(1));
        assert_eq!(l.lease(IkeSaHandle(3), &p).unwrap(), a);
        assert_eq!(l.in_use(), 2);
    }

    #[test]
    fn overlapping_pools_never_share_an_address() {
        let mut l = Leases::default();
        let p1 = pool("10.9.1.10-10.9.1.11", 32);
        let p2 = pool("10.9.1.10-10.9.1.20", 32);
        let a = l.lease(IkeSaHandle(1), &p1).unwrap();
        let b = l.lease(IkeSaHandle(2), &p2).unwrap();
        assert_ne!(a, b);
        l.release_sa(IkeSaHandle(1));
        assert_eq!(l.lease(IkeSaHandle(3), &p2).unwrap(), a);
    }
}
