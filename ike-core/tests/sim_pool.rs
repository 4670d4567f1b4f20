//! The responder's address pool leases through the allocator (issue #11 item 12): never the
//! network or broadcast address, no address twice while its IKE SA lives, the lease returned
//! when the IKE SA goes, and an exhausted pool refuses the Child SA with
//! INTERNAL_ADDRESS_FAILURE (the IKE SA of that client is then closed by the client).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs,
    dead_code
)]

use crate::common;

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::time::Duration;

use common::Sim;
use common::{initiator_conn, responder_cfg, sim};
use ike_core::engine::*;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn pool_sim(seed: u64, pool: AddressPool) -> Sim {
    let mut r = responder_cfg("k");
    r.serve.pool_v4 = Some(pool);
    sim(seed, r)
}

fn connect(s: &mut Sim) -> IkeSaHandle {
    let mut c = initiator_conn("k");
    c.request_config.ipv4 = true;
    s.nodes[0].engine.initiate(s.now, c).unwrap()
}

/// The address node 0 got for IKE SA `h`, once it is up or has failed.
fn outcome(s: &mut Sim, h: IkeSaHandle) -> Result<IpAddr, Failure> {
    let done = |s: &Sim| {
        s.has_event(0, |e| match e {
            Event::ChildSaUp { sa, .. } | Event::Failed { sa, .. } => *sa == h,
            _ => false,
        })
    };
    assert!(
        s.run_until(Duration::from_secs(10), done),
        "{:?}",
        s.events(0)
    );
    s.run_for(Duration::from_millis(100));
    for e in s.events(0) {
        match e {
            Event::Failed { sa, failure } if *sa == h => return Err(failure.clone()),
            Event::ConfigReceived { sa, config } if *sa == h => {
                return Ok(config.addresses_v4[0].addr)
            }
            _ => {}
        }
    }
    panic!("no address and no failure for {h:?}")
}

fn three_clients(s: &mut Sim) -> Vec<Result<IpAddr, Failure>> {
    let mut v = Vec::new();
    for _ in 0..3 {
        let h = connect(s);
        v.push(outcome(s, h));
    }
    v
}

#[test]
fn slash_30_pool_serves_two_clients() {
    for pool in [
        // A prefix: its usable addresses.
        AddressPool::parse("10.9.0.0/30").unwrap(),
        // The whole /30 as a range, reported with prefix 30: network and broadcast stay out.
        AddressPool {
            range: "10.9.0.0-10.9.0.3".parse().unwrap(),
            prefix: 30,
        },
    ] {
        let mut s = pool_sim(600, pool);
        let got = three_clients(&mut s);
        assert_eq!(got[0], Ok(ip("10.9.0.1")), "{got:?}");
        assert_eq!(got[1], Ok(ip("10.9.0.2")), "{got:?}");
        assert_eq!(got[2], Err(Failure::InternalAddressFailure), "{got:?}");
        assert!(s.has_event(1, |e| matches!(
            e,
            Event::ExchangeFailed {
                failure: Failure::InternalAddressFailure,
                ..
            }
        )));
        // The first client leaves: its address is free for the next one.
        let first = s.ike_up(0).unwrap();
        let now = s.now;
        s.nodes[0].engine.close(now, first);
        s.run_for(Duration::from_secs(2));
        let h = connect(&mut s);
        assert_eq!(outcome(&mut s, h), Ok(ip("10.9.0.1")));
    }
}

#[test]
fn slash_24_pool_leases_distinct_usable_addresses() {
    let mut s = pool_sim(601, AddressPool::parse("10.9.1.0/24").unwrap());
    let got: Vec<IpAddr> = three_clients(&mut s)
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let distinct: BTreeSet<IpAddr> = got.iter().copied().collect();
    assert_eq!(distinct.len(), 3, "{got:?}");
    for a in &got {
        assert_ne!(*a, ip("10.9.1.0"));
        assert_ne!(*a, ip("10.9.1.255"));
    }
    assert_eq!(got, vec![ip("10.9.1.1"), ip("10.9.1.2"), ip("10.9.1.3")]);
    // The second client goes; a fourth gets its address, not one still leased.
    let handles: Vec<IkeSaHandle> = s
        .events(0)
        .iter()
        .filter_map(|e| match e {
            Event::IkeSaUp { sa, .. } => Some(*sa),
            _ => None,
        })
        .collect();
    let now = s.now;
    s.nodes[0].engine.close(now, handles[1]);
    s.run_for(Duration::from_secs(2));
    let h = connect(&mut s);
    assert_eq!(outcome(&mut s, h), Ok(ip("10.9.1.2")));
    let h = connect(&mut s);
    assert_eq!(outcome(&mut s, h), Ok(ip("10.9.1.4")));
}
