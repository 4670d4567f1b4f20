//! MOBIKE (RFC 4555) and NAT rebinding on the virtual clock: the initiator's address changes
//! (with and without a NAT on the new path) and the IKE SA moves with UPDATE_SA_ADDRESSES
//! instead of being set up again; a NAT that forgets its mapping moves the gateway's
//! encapsulation ports; without MOBIKE at either end the IKE SA fails with `PathChanged` and
//! is deleted, so that a new one can be set up.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use ike_core::engine::*;

use crate::common::*;

/// The second uplink's address of the initiator.
const A2: &str = "192.0.2.77";

fn mobike_conn() -> ConnectionConfig {
    let mut c = initiator_conn("secret");
    c.mobike = true;
    c
}

/// The `MigrateSa` operations of node `i`: (old local, old remote, new local, new remote,
/// encapsulation).
fn migrations(s: &Sim, i: usize) -> Vec<(IpAddr, IpAddr, IpAddr, IpAddr, Option<UdpEncap>)> {
    s.nodes[i]
        .ops
        .iter()
        .filter_map(|o| match o {
            KernelOp::MigrateSa {
                old_local,
                old_remote,
                new_local,
                new_remote,
                encap,
                ..
            } => Some((*old_local, *old_remote, *new_local, *new_remote, *encap)),
            _ => None,
        })
        .collect()
}

fn moved(s: &Sim, i: usize) -> Vec<(SocketAddr, SocketAddr, NatInfo, bool)> {
    s.events(i)
        .into_iter()
        .filter_map(|e| match e {
            Event::IkeSaMoved {
                local,
                remote,
                nat,
                encap,
                ..
            } => Some((*local, *remote, *nat, *encap)),
            _ => None,
        })
        .collect()
}

fn ike_ups(s: &Sim, i: usize) -> usize {
    s.events(i)
        .into_iter()
        .filter(|e| matches!(e, Event::IkeSaUp { .. }))
        .count()
}

fn no_failure(s: &Sim, i: usize) -> bool {
    !s.has_event(i, |e| {
        matches!(
            e,
            Event::Failed { .. } | Event::IkeSaDown { .. } | Event::ExchangeFailed { .. }
        )
    })
}

/// Establishes a MOBIKE IKE SA; returns its handle and SPIs.
fn up(s: &mut Sim, conn: ConnectionConfig) -> (IkeSaHandle, ([u8; 8], [u8; 8])) {
    let h = s.nodes[0].engine.initiate(s.now, conn).unwrap();
    assert!(s.run_until(Duration::from_secs(10), established));
    let spis = s.nodes[0].engine.ike_sa_spis(h).unwrap();
    (h, spis)
}

#[test]
fn address_change_moves_the_ike_sa_without_a_new_one() {
    let mut s = sim(41, responder_cfg("secret"));
    let (h, spis) = up(&mut s, mobike_conn());
    assert!(s.nodes[0].engine.mobike_active(h), "MOBIKE negotiated");
    // The first uplink goes; the second has another address.
    s.nodes[0].addr = ip(A2);
    let now = s.now;
    assert_eq!(
        s.nodes[0].engine.update_path(now, h, ip(A2)),
        PathUpdate::Updating
    );
    assert!(s.run_until(Duration::from_secs(10), |s| !moved(s, 0).is_empty()));
    // Same IKE SA: no new IKE_SA_INIT, same SPIs at both ends.
    assert_eq!(ike_ups(&s, 0), 1);
    assert_eq!(ike_ups(&s, 1), 1);
    assert_eq!(s.nodes[0].engine.ike_sa_spis(h), Some(spis));
    // Both kernels move the Child SA to the new outer addresses, without encapsulation.
    assert_eq!(
        migrations(&s, 0),
        vec![(ip(A), ip(B), ip(A2), ip(B), None)],
        "initiator"
    );
    assert_eq!(
        migrations(&s, 1),
        vec![(ip(B), ip(A), ip(B), ip(A2), None)],
        "responder"
    );
    let (local, remote, nat, encap) = moved(&s, 0)[0];
    assert_eq!(local, SocketAddr::new(ip(A2), 4500), "IKE floats to 4500");
    assert_eq!(remote, SocketAddr::new(ip(B), 4500));
    assert_eq!((nat, encap), (NatInfo::default(), false));
    assert_eq!(moved(&s, 1)[0].1, SocketAddr::new(ip(A2), 4500));
    // The IKE SA works on the new path: a rekey completes there.
    let now = s.now;
    s.nodes[0].engine.rekey_ike(now, h);
    assert!(
        s.run_until(Duration::from_secs(10), |s| !s.ike_rekeys(1).is_empty()
            && !s.ike_rekeys(0).is_empty())
    );
    assert!(no_failure(&s, 0) && no_failure(&s, 1));
    // Nothing of ours was sent from the old address after the update.
    let n = s.nodes[0].sent.len();
    assert!(s.nodes[0].sent[n - 2..]
        .iter()
        .all(|(f, _, _)| f.ip() == ip(A2)));
}

#[test]
fn address_change_behind_a_nat_turns_on_encapsulation() {
    let mut s = sim(42, responder_cfg("secret"));
    let (h, spis) = up(&mut s, mobike_conn());
    // The new uplink is behind a NAT whose public address is 203.0.113.5.
    s.nodes[0].addr = ip("10.0.0.2");
    s.nat = Some(Nat::new(ip("10.0.0.2"), ip("203.0.113.5")));
    let now = s.now;
    assert_eq!(
        s.nodes[0].engine.update_path(now, h, ip("10.0.0.2")),
        PathUpdate::Updating
    );
    assert!(
        s.run_until(Duration::from_secs(10), |s| !moved(s, 0).is_empty()
            && !moved(s, 1).is_empty())
    );
    assert_eq!(s.nodes[0].engine.ike_sa_spis(h), Some(spis));
    let ours = migrations(&s, 0);
    assert_eq!(ours.len(), 1);
    assert_eq!(
        ours[0],
        (
            ip(A),
            ip(B),
            ip("10.0.0.2"),
            ip(B),
            Some(UdpEncap {
                sport: 4500,
                dport: 4500
            })
        )
    );
    let theirs = migrations(&s, 1);
    assert_eq!(theirs.len(), 1);
    let (_, _, _, new_remote, encap) = theirs[0];
    assert_eq!(new_remote, ip("203.0.113.5"));
    let encap = encap.expect("the gateway encapsulates towards the NAT");
    assert_eq!(encap.sport, 4500);
    assert_ne!(encap.dport, 4500, "the NAT's public port");
    let (_, _, nat, on) = moved(&s, 0)[0];
    assert!(nat.local_behind && on, "we know we are behind a NAT now");
    assert!(moved(&s, 1)[0].2.remote_behind);
    // Behind the NAT the initiator keeps the mapping open.
    s.run_for(Duration::from_secs(45));
    assert!(!s.nodes[0].keepalives.is_empty(), "NAT-keepalives sent");
    assert!(no_failure(&s, 0) && no_failure(&s, 1));
}

#[test]
fn nat_rebinding_moves_the_gateways_encapsulation_ports() {
    let mut s = sim(43, responder_cfg("secret"));
    s.nodes[0].addr = ip("10.0.0.2");
    s.nat = Some(Nat::new(ip("10.0.0.2"), ip(A)));
    let mut conn = initiator_conn("secret");
    conn.local_addr = Some(ip("10.0.0.2"));
    conn.dpd_delay = Some(Duration::from_secs(10));
    let (h, spis) = up(&mut s, conn);
    let old_port = s
        .events(1)
        .into_iter()
        .find_map(|e| match e {
            Event::ChildSaUp {
                udp_encap: Some(e), ..
            } => Some(e.dport),
            _ => None,
        })
        .unwrap();
    // The NAT forgets the mapping: our next datagrams leave from another public port.
    s.nat.as_mut().unwrap().rebind();
    assert!(s.run_until(Duration::from_secs(30), |s| !moved(s, 1).is_empty()));
    let m = migrations(&s, 1);
    assert_eq!(m.len(), 1, "the gateway moved its Child SA once");
    let (old_local, old_remote, new_local, new_remote, encap) = m[0];
    assert_eq!((old_local, new_local), (ip(B), ip(B)));
    assert_eq!((old_remote, new_remote), (ip(A), ip(A)));
    let encap = encap.unwrap();
    assert_ne!(encap.dport, old_port, "the new public port");
    assert_eq!(moved(&s, 1)[0].1.port(), encap.dport);
    // The gateway's own requests reach us through the new mapping: a rekey it starts works.
    let gw = s.ike_up(1).unwrap();
    let now = s.now;
    s.nodes[1].engine.rekey_ike(now, gw);
    assert!(s.run_until(Duration::from_secs(10), |s| !s.ike_rekeys(0).is_empty()));
    s.run_for(Duration::from_secs(40));
    assert!(no_failure(&s, 0) && no_failure(&s, 1));
    assert_ne!(
        s.nodes[0].engine.ike_sa_spis(h),
        Some(spis),
        "rekeyed in place"
    );
    assert_eq!(ike_ups(&s, 0), 1);
}

#[test]
fn without_mobike_at_either_end_the_path_cannot_move() {
    let mut gw = responder_cfg("secret");
    gw.mobike = false;
    for (conn, resp, offered) in [
        (mobike_conn(), gw, true),
        (initiator_conn("secret"), responder_cfg("secret"), false),
    ] {
        let mut s = sim(44, resp);
        let (h, _) = up(&mut s, conn);
        assert!(!s.nodes[0].engine.mobike_active(h));
        let sent = s.nodes[0].sent.len();
        s.nodes[0].addr = ip(A2);
        let now = s.now;
        assert_eq!(
            s.nodes[0].engine.update_path(now, h, ip(A2)),
            PathUpdate::NotSupported
        );
        s.run_for(Duration::from_secs(5));
        // The IKE SA fails and is deleted from the new address: the gateway learns it at once.
        assert!(s.has_event(0, |e| matches!(
            e,
            Event::Failed {
                failure: Failure::PathChanged { offered: o },
                ..
            } if *o == offered
        )));
        assert!(s.nodes[0].sent[sent..]
            .iter()
            .all(|(f, _, _)| f.ip() == ip(A2)));
        assert!(s.has_event(1, |e| matches!(
            e,
            Event::IkeSaDown {
                reason: DownReason::DeletedByPeer,
                ..
            }
        )));
        assert!(migrations(&s, 0).is_empty() && moved(&s, 0).is_empty());
    }
}

#[test]
fn unchanged_address_and_unknown_sa_are_told_apart() {
    let mut s = sim(45, responder_cfg("secret"));
    let (h, _) = up(&mut s, mobike_conn());
    let now = s.now;
    assert_eq!(
        s.nodes[0].engine.update_path(now, h, ip(A)),
        PathUpdate::Unchanged
    );
    assert_eq!(
        s.nodes[0].engine.update_path(now, IkeSaHandle(999), ip(A2)),
        PathUpdate::NotEstablished
    );
}

#[test]
fn a_gateway_that_never_answers_the_update_ends_the_ike_sa() {
    let mut s = sim(46, responder_cfg("secret"));
    let (h, _) = up(&mut s, mobike_conn());
    // The new uplink cannot reach the gateway.
    s.nodes[0].addr = ip(A2);
    s.blackhole = Some(0);
    let now = s.now;
    s.nodes[0].engine.update_path(now, h, ip(A2));
    assert!(
        s.run_until(Duration::from_secs(300), |s| s.has_event(0, |e| matches!(
            e,
            Event::Failed {
                failure: Failure::NoResponse { .. },
                ..
            }
        )))
    );
    assert!(moved(&s, 0).is_empty());
}
