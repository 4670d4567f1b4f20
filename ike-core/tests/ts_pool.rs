//! Address pools for configuration payloads.

// Test helpers outside #[test] functions may unwrap and index.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::net::IpAddr;

use ike_core::ts::{AddressPool, PoolError};

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[test]
fn ipv4_cidr_pool_skips_network_and_broadcast() {
    let mut pool: AddressPool = "100.64.13.0/30".parse().unwrap();
    assert_eq!(pool.capacity(), 2);
    assert_eq!(pool.allocate().unwrap(), ip("100.64.13.1"));
    assert_eq!(pool.allocate().unwrap(), ip("100.64.13.2"));
    assert!(matches!(pool.allocate(), Err(PoolError::Exhausted { .. })));
    assert!(pool.release(ip("100.64.13.1")));
    assert!(!pool.release(ip("100.64.13.1")));
    assert_eq!(pool.allocate().unwrap(), ip("100.64.13.1"));
    // /32 and /31 keep every address.
    let mut one: AddressPool = "100.64.13.5/32".parse().unwrap();
    assert_eq!(one.allocate().unwrap(), ip("100.64.13.5"));
    assert_eq!("10.0.0.0/31".parse::<AddressPool>().unwrap().capacity(), 2);
}

#[test]
fn lowest_free_is_deterministic() {
    let mut pool: AddressPool = "10.3.0.10-10.3.0.14".parse().unwrap();
    let got: Vec<IpAddr> = (0..5).map(|_| pool.allocate().unwrap()).collect();
    assert_eq!(
        got,
        [
            "10.3.0.10",
            "10.3.0.11",
            "10.3.0.12",
            "10.3.0.13",
            "10.3.0.14"
        ]
        .map(ip)
    );
    pool.release(ip("10.3.0.12"));
    pool.release(ip("10.3.0.11"));
    assert_eq!(pool.allocate().unwrap(), ip("10.3.0.11"));
    assert_eq!(pool.allocate().unwrap(), ip("10.3.0.12"));
    assert_eq!(pool.in_use(), 5);
}

#[test]
fn specific_and_preferred() {
    let mut pool: AddressPool = "10.3.0.0/24".parse().unwrap();
    assert_eq!(
        pool.allocate_specific(ip("10.3.0.77")).unwrap(),
        ip("10.3.0.77")
    );
    assert_eq!(
        pool.allocate_specific(ip("10.3.0.77")).unwrap_err(),
        PoolError::InUse {
            addr: ip("10.3.0.77")
        }
    );
    assert!(matches!(
        pool.allocate_specific(ip("10.4.0.1")),
        Err(PoolError::OutOfRange { .. })
    ));
    assert!(matches!(
        pool.allocate_specific(ip("10.3.0.255")),
        Err(PoolError::OutOfRange { .. })
    ));
    // A taken or foreign request falls back to the lowest free address.
    assert_eq!(
        pool.allocate_preferred(Some(ip("10.3.0.77"))).unwrap(),
        ip("10.3.0.1")
    );
    assert_eq!(
        pool.allocate_preferred(Some(ip("10.3.0.9"))).unwrap(),
        ip("10.3.0.9")
    );
    assert_eq!(pool.allocate_preferred(None).unwrap(), ip("10.3.0.2"));
    assert!(pool.is_allocated(ip("10.3.0.9")));
    assert!(!pool.is_allocated(ip("10.3.0.3")));
}

#[test]
fn leases_by_owner() {
    let mut pool: AddressPool = "10.3.0.0/29".parse().unwrap();
    let a = pool.lease("alice@example.com", None).unwrap();
    let b = pool.lease("bob@example.com", Some(ip("10.3.0.5"))).unwrap();
    assert_eq!((a, b), (ip("10.3.0.1"), ip("10.3.0.5")));
    // Reconnecting gets the same address.
    assert_eq!(
        pool.lease("alice@example.com", Some(ip("10.3.0.6")))
            .unwrap(),
        a
    );
    assert_eq!(pool.lease_of("bob@example.com"), Some(b));
    assert_eq!(pool.release_owner("bob@example.com"), Some(b));
    assert_eq!(pool.release_owner("bob@example.com"), None);
    assert!(!pool.is_allocated(b));
    // Releasing by address drops the owner's lease too.
    assert!(pool.release(a));
    assert_eq!(pool.lease_of("alice@example.com"), None);
}

#[test]
fn ipv6_pool() {
    let mut pool: AddressPool = "fd00:13::/120".parse().unwrap();
    assert_eq!(pool.capacity(), 255);
    assert_eq!(pool.allocate().unwrap(), ip("fd00:13::1"));
    assert_eq!(pool.allocate().unwrap(), ip("fd00:13::2"));
    let huge: AddressPool = "::/0".parse().unwrap();
    assert_eq!(huge.capacity(), u128::MAX);
    let mut r = AddressPool::from_range(ip("fd00::a"), ip("fd00::b")).unwrap();
    assert_eq!(r.allocate().unwrap(), ip("fd00::a"));
    assert_eq!(r.to_string(), "fd00::a-fd00::b");
}

#[test]
fn invalid_pools() {
    assert!(AddressPool::from_range(ip("10.0.0.2"), ip("10.0.0.1")).is_err());
    assert!(AddressPool::from_range(ip("10.0.0.1"), ip("::1")).is_err());
    assert!("10.0.0.0/8[udp/1]".parse::<AddressPool>().is_err());
    assert!("%any".parse::<AddressPool>().is_err());
    assert!("10.0.0.0/33".parse::<AddressPool>().is_err());
}
