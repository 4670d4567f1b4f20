//! Unit tests of [`super::super`]: the subnets a gateway pushes (RFC 7296 §3.15.1
//! INTERNAL_IP4_SUBNET) and what NetworkManager and the log get of them.

use super::*;

/// The configuration sent and the log lines after a configuration payload with `subnets`
/// and a Child SA for 0.0.0.0/0, with `split_include` as the profile decides.
fn pushed_run(split_include: bool, subnets: &[(&str, u8)]) -> (NmConfig, Vec<String>) {
    let s = situation();
    let mut t = Track::new(OWN, None).with_split_include(split_include);
    on_event(&mut t, ike_up(OWN), &s);
    let cfg = Event::ConfigReceived {
        sa: OWN,
        config: ReceivedConfig {
            subnets: subnets
                .iter()
                .map(|(a, p)| (a.parse().unwrap(), *p))
                .collect(),
            ..config_with("10.9.0.10")
        },
    };
    on_event(&mut t, cfg, &s);
    let mut up = child_up(OWN, 0x1000);
    if let Event::ChildSaUp { remote_ts, .. } = &mut up {
        *remote_ts = vec![ike_core::wire::TrafficSelector::from_range(
            "0.0.0.0".parse().unwrap(),
            "255.255.255.255".parse().unwrap(),
        )];
    }
    let mut sent = None;
    let mut lines = Vec::new();
    for a in on_event(&mut t, up, &s) {
        match a {
            Action::SendConfig(c) => sent = Some(c),
            Action::Log(_, l) => lines.push(l),
            _ => {}
        }
    }
    (sent.expect("no configuration sent"), lines)
}

fn ip4_routes(c: &NmConfig) -> Vec<Vec<u32>> {
    let ip4 = c.ip4.as_ref().unwrap();
    Vec::<Vec<u32>>::try_from(ip4["routes"].try_clone().unwrap()).unwrap()
}

fn never_default(c: &NmConfig) -> bool {
    bool::try_from(&c.ip4.as_ref().unwrap()["never-default"]).unwrap()
}

#[test]
fn pushed_subnets_reach_network_manager_with_rightsubnet_default() {
    let (c, lines) = pushed_run(true, &[("10.2.0.0", 24), ("10.2.0.0", 40)]);
    assert!(never_default(&c));
    let routes = ip4_routes(&c);
    assert_eq!(routes.len(), 1, "{routes:?}");
    assert_eq!(
        routes[0][..2],
        [dicts::ip4_u32("10.2.0.0".parse().unwrap()), 24]
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("INTERNAL_IP4_SUBNET 10.2.0.0/40")),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("routes: 2 subnet(s) pushed, 1 routed (IPv4: split")),
        "{lines:?}"
    );
}

#[test]
fn pushed_subnets_are_only_logged_with_an_explicit_rightsubnet() {
    let (c, lines) = pushed_run(false, &[("10.2.0.0", 24)]);
    assert!(!never_default(&c));
    assert_eq!(ip4_routes(&c).len(), 2); // 0.0.0.0/1 and 128.0.0.0/1
    assert!(
        lines.iter().any(|l| l.contains("they are not routed")),
        "{lines:?}"
    );
}
