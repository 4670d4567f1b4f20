//! Traffic selector narrowing (RFC 7296 §2.9), both roles.

// Test helpers outside #[test] functions may unwrap and index.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::net::IpAddr;

use ike_core::ids::notify;
use ike_core::ts::{
    check_responder_selectors, narrow_as_responder, narrow_list, packet_selector, parse_ts_list,
    TrafficSelector, TsError, TsSide,
};
use proptest::prelude::*;

fn l(s: &str) -> Vec<TrafficSelector> {
    parse_ts_list(s).unwrap()
}

fn show(v: &[TrafficSelector]) -> Vec<String> {
    v.iter().map(ToString::to_string).collect()
}

#[test]
fn subset_is_kept() {
    // The initiator asks for less than we allow: unchanged.
    let n = narrow_as_responder(
        &l("10.1.2.0/24"),
        &l("10.9.0.0/24"),
        &l("10.9.0.0/16"),
        &l("10.1.0.0/16"),
    )
    .unwrap();
    assert_eq!(show(&n.tsi), vec!["10.1.2.0/24"]);
    assert_eq!(show(&n.tsr), vec!["10.9.0.0/24"]);
}

#[test]
fn intersection_narrows() {
    // Road warrior asking for everything; we only route two subnets.
    let n = narrow_as_responder(
        &l("0.0.0.0/0"),
        &l("0.0.0.0/0 ::/0"),
        &l("10.9.0.0/16 10.10.0.0/16"),
        &l("100.64.13.5"),
    )
    .unwrap();
    assert_eq!(show(&n.tsi), vec!["100.64.13.5"]);
    assert_eq!(show(&n.tsr), vec!["10.9.0.0/16", "10.10.0.0/16"]);
    // Partial overlap gives a range.
    let n = narrow_list(&l("10.0.0.0-10.0.0.200"), &l("10.0.0.100-10.0.1.0"));
    assert_eq!(show(&n), vec!["10.0.0.100-10.0.0.200"]);
}

#[test]
fn disjoint_is_unacceptable() {
    let e = narrow_as_responder(
        &l("10.1.0.0/16"),
        &l("10.2.0.0/16"),
        &l("192.168.0.0/24"),
        &l("10.1.0.0/16"),
    )
    .unwrap_err();
    assert_eq!(e.notify_type(), Some(notify::TS_UNACCEPTABLE));
    match &e {
        TsError::Unacceptable {
            side,
            offered,
            ours,
        } => {
            assert_eq!(*side, TsSide::Responder);
            assert_eq!(offered, &vec!["10.2.0.0/16".to_owned()]);
            assert_eq!(ours, &vec!["192.168.0.0/24".to_owned()]);
        }
        other => panic!("{other:?}"),
    }
    assert!(e.to_string().contains("10.2.0.0/16"), "{e}");
    // Families do not mix.
    let e =
        narrow_as_responder(&l("::/0"), &l("::/0"), &l("0.0.0.0/0"), &l("0.0.0.0/0")).unwrap_err();
    assert!(matches!(
        e,
        TsError::Unacceptable {
            side: TsSide::Initiator,
            ..
        }
    ));
}

#[test]
fn ipv6() {
    let n = narrow_as_responder(
        &l("2001:db8:1::/48"),
        &l("::/0"),
        &l("2001:db8:9::/64"),
        &l("2001:db8::/32"),
    )
    .unwrap();
    assert_eq!(show(&n.tsi), vec!["2001:db8:1::/48"]);
    assert_eq!(show(&n.tsr), vec!["2001:db8:9::/64"]);
    // Mixed lists narrow per family.
    let n = narrow_list(&l("%any"), &l("10.0.0.0/8 fd00::/8"));
    assert_eq!(show(&n), vec!["10.0.0.0/8", "fd00::/8"]);
}

#[test]
fn ports_and_protocols() {
    // L2TP: we only allow UDP 1701; the peer asks for all traffic.
    let n = narrow_list(&l("192.0.2.0/24"), &l("192.0.2.10[udp/1701]"));
    assert_eq!(show(&n), vec!["192.0.2.10[udp/1701]"]);
    // Port ranges intersect.
    let n = narrow_list(
        &l("10.0.0.0/8[tcp/1000-2000]"),
        &l("10.0.0.0/8[tcp/1500-3000]"),
    );
    assert_eq!(show(&n), vec!["10.0.0.0/8[tcp/1500-2000]"]);
    // Different protocols do not.
    assert!(narrow_list(&l("10.0.0.0/8[tcp]"), &l("10.0.0.0/8[udp]")).is_empty());
    // Any protocol against a specific one.
    let n = narrow_list(&l("10.0.0.0/8"), &l("10.0.0.0/8[icmp]"));
    assert_eq!(show(&n), vec!["10.0.0.0/8[icmp]"]);
    // OPAQUE: matches "all ports" and itself, not a specific range.
    let opaque = l("10.0.0.0/8[udp/opaque]");
    assert_eq!(
        show(&narrow_list(&opaque, &l("10.0.0.0/8[udp]"))),
        vec!["10.0.0.0/8[udp/opaque]"]
    );
    assert_eq!(
        show(&narrow_list(&opaque, &opaque)),
        vec!["10.0.0.0/8[udp/opaque]"]
    );
    assert!(narrow_list(&opaque, &l("10.0.0.0/8[udp/53]")).is_empty());
    assert!(l("10.0.0.0/8[udp]")[0].contains(&opaque[0]));
    assert!(!opaque[0].contains(&l("10.0.0.0/8[udp/53]")[0]));
    assert!(!l("10.0.0.0/8[udp/53]")[0].contains(&opaque[0]));
}

#[test]
fn packet_selector_picks_the_policy() {
    // The initiator's first selectors are the triggering packet (RFC 7296 §2.9).
    let tsi = l("10.1.0.5[tcp/40000] 10.1.0.0/16");
    let tsr = l("10.9.0.7[tcp/443] 10.9.0.0/16");
    assert_eq!(packet_selector(&tsi), Some(tsi[0]));
    assert_eq!(packet_selector(&l("10.1.0.0/16 10.1.0.5")), None);
    // We have two policies on our side; the packet belongs to the second.
    let local = l("10.9.100.0/24 10.9.0.0/24");
    let remote = l("10.1.0.0/16");
    let n = narrow_as_responder(&tsi, &tsr, &local, &remote).unwrap();
    assert_eq!(show(&n.tsr), vec!["10.9.0.0/24"]);
    assert_eq!(show(&n.tsi), vec!["10.1.0.0/16"]);
    // Without the packet selector both policies are returned.
    let n = narrow_as_responder(&tsi[1..], &tsr[1..], &local, &remote).unwrap();
    assert_eq!(show(&n.tsr), vec!["10.9.100.0/24", "10.9.0.0/24"]);
    // A packet outside all our policies: narrowing falls back to everything in common.
    let tsr2 = l("10.9.200.1 10.9.0.0/16");
    let n = narrow_as_responder(&tsi, &tsr2, &local, &remote).unwrap();
    assert_eq!(show(&n.tsr), vec!["10.9.100.0/24", "10.9.0.0/24"]);
}

#[test]
fn duplicates_and_contained_results_collapse() {
    let n = narrow_list(&l("10.0.0.5 10.0.0.0/8 10.0.0.0/16"), &l("10.0.0.0/24"));
    assert_eq!(show(&n), vec!["10.0.0.0/24"]);
}

#[test]
fn initiator_checks_subset() {
    let tsi = l("10.1.0.0/16");
    let tsr = l("0.0.0.0/0");
    check_responder_selectors(
        &tsi,
        &tsr,
        &l("10.1.2.0/24"),
        &l("10.9.0.0/16 10.10.0.0/16"),
    )
    .unwrap();
    check_responder_selectors(&tsi, &tsr, &tsi, &tsr).unwrap();
    let e = check_responder_selectors(&tsi, &tsr, &l("10.2.0.0/24"), &tsr).unwrap_err();
    match &e {
        TsError::NotSubset {
            side,
            returned,
            proposed,
        } => {
            assert_eq!(*side, TsSide::Initiator);
            assert_eq!(returned, "10.2.0.0/24");
            assert_eq!(proposed, &vec!["10.1.0.0/16".to_owned()]);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(e.notify_type(), None);
    let e = check_responder_selectors(&tsi, &tsr, &tsi, &[]).unwrap_err();
    assert_eq!(
        e,
        TsError::EmptyResponse {
            side: TsSide::Responder
        }
    );
    // Widening ports is refused too.
    let e = check_responder_selectors(&l("10.1.0.0/16[udp/1701]"), &tsr, &l("10.1.0.0/16"), &tsr)
        .unwrap_err();
    assert!(matches!(e, TsError::NotSubset { .. }));
}

fn ts_v4() -> impl Strategy<Value = TrafficSelector> {
    (
        any::<u32>(),
        any::<u32>(),
        prop_oneof![Just(0u8), Just(6u8), Just(17u8)],
        any::<u16>(),
        any::<u16>(),
        any::<bool>(),
    )
        .prop_map(|(a, b, proto, p1, p2, opaque)| {
            let (lo, hi) = (a.min(b), a.max(b));
            let (sp, ep) = match (proto, opaque) {
                (0, _) => (0, 65535),
                (_, true) => (65535, 0),
                _ => (p1.min(p2), p1.max(p2)),
            };
            TrafficSelector::new(proto, sp, ep, IpAddr::V4(lo.into()), IpAddr::V4(hi.into()))
                .unwrap()
        })
}

fn ts_any() -> impl Strategy<Value = TrafficSelector> {
    prop_oneof![
        ts_v4(),
        (any::<u128>(), any::<u128>()).prop_map(|(a, b)| {
            TrafficSelector::range(IpAddr::V6(a.min(b).into()), IpAddr::V6(a.max(b).into()))
                .unwrap()
        })
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// Every narrowed selector is within an offered one and within a configured one.
    #[test]
    fn narrowed_is_subset_of_both(
        offered in prop::collection::vec(ts_any(), 1..5),
        configured in prop::collection::vec(ts_any(), 1..5),
    ) {
        for x in narrow_list(&offered, &configured) {
            x.validate().unwrap();
            prop_assert!(offered.iter().any(|o| o.contains(&x)), "{x} not in offered");
            prop_assert!(configured.iter().any(|c| c.contains(&x)), "{x} not in configured");
        }
    }

    #[test]
    fn responder_result_passes_initiator_check(
        tsi in prop::collection::vec(ts_any(), 1..4),
        tsr in prop::collection::vec(ts_any(), 1..4),
        local in prop::collection::vec(ts_any(), 1..4),
        remote in prop::collection::vec(ts_any(), 1..4),
    ) {
        if let Ok(n) = narrow_as_responder(&tsi, &tsr, &local, &remote) {
            check_responder_selectors(&tsi, &tsr, &n.tsi, &n.tsr).unwrap();
            for x in &n.tsi {
                prop_assert!(remote.iter().any(|c| c.contains(x)));
            }
            for x in &n.tsr {
                prop_assert!(local.iter().any(|c| c.contains(x)));
            }
        }
    }

    #[test]
    fn intersection_is_symmetric_and_idempotent(a in ts_v4(), b in ts_v4()) {
        prop_assert_eq!(a.intersect(&b), b.intersect(&a));
        prop_assert_eq!(a.intersect(&a), Some(a));
        if let Some(x) = a.intersect(&b) {
            prop_assert!(a.contains(&x) && b.contains(&x));
        }
        if a.contains(&b) {
            prop_assert_eq!(a.intersect(&b), Some(b));
        }
    }
}
