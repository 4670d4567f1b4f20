//! Split include from the gateway: which of the networks a configuration payload announces
//! (INTERNAL_IP4_SUBNET / INTERNAL_IP6_SUBNET) are routed through the tunnel.
//!
//! Rules (a pure function, [`select`], used by the route layer for table 2749 and by the
//! service for NetworkManager's `Ip4Config`/`Ip6Config` routes, so both route the same set):
//! - Only when the profile leaves the remote side open (`rightsubnet` at its default
//!   `0.0.0.0/0`, or only `/0` prefixes: "whatever the gateway gives"); an explicit, narrower
//!   `rightsubnet` wins and pushed subnets are only logged ([`allowed`]).
//! - The XFRM policies keep the negotiated selectors; only the routes change. So traffic to a
//!   network outside the pushed ones still matches a policy if it is routed there by someone
//!   else (it is protected, never leaks), it just is not steered into the tunnel by us.
//! - Per address family: a family for which the gateway pushes no usable subnet keeps the
//!   routes of the negotiated selectors (fail closed: more through the tunnel, not less).
//! - A pushed `/0` ("everything") means full tunnel for its family: the negotiated selectors
//!   are routed, as without split include.
//! - A pushed subnet that is not inside a negotiated remote selector is ignored with a
//!   warning: traffic routed to it would match no outbound policy and leave in plaintext.
//! - Host bits are cleared (`10.2.3.4/16` is `10.2.0.0/16`); duplicates are dropped; a prefix
//!   longer than the family's address is ignored; at most [`MAX_PUSHED`] subnets are taken,
//!   the rest is ignored with a warning.

use super::route::contains;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// At most this many pushed subnets become routes (per connection, both families).
pub const MAX_PUSHED: usize = 64;

/// Why a pushed subnet was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ignored {
    /// The prefix length is longer than the address (over 32 / 128).
    BadPrefix,
    /// Not inside the negotiated remote traffic selectors: it would not be protected.
    OutsideSelectors,
    /// Over [`MAX_PUSHED`].
    TooMany,
}

/// What [`select`] decided.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Selection {
    /// The networks to route: per family either the pushed subnets that were taken or, when
    /// none was (or a `/0` was pushed), the negotiated remote networks.
    pub routes: Vec<(IpAddr, u8)>,
    /// IPv4 is split (only pushed subnets are routed).
    pub split_v4: bool,
    /// IPv6 is split.
    pub split_v6: bool,
    /// The pushed subnets that were not taken, and why.
    pub ignored: Vec<((IpAddr, u8), Ignored)>,
}

/// Whether a profile's `rightsubnet` (as written, or its default) leaves the remote networks
/// to the gateway: every entry is a `/0`. `10.0.0.0/8` or a mix with it is explicit.
pub fn allowed(rightsubnet: &str) -> bool {
    let mut any = false;
    for s in rightsubnet
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        any = true;
        if !matches!(s, "0.0.0.0/0" | "::/0") {
            return false;
        }
    }
    any
}

/// `net` with its host bits cleared, or `None` for a prefix longer than the address.
pub fn normalize(net: (IpAddr, u8)) -> Option<(IpAddr, u8)> {
    match net.0 {
        IpAddr::V4(a) if net.1 <= 32 => {
            let mask = u32::MAX.checked_shl(32 - u32::from(net.1)).unwrap_or(0);
            Some((IpAddr::V4(Ipv4Addr::from(u32::from(a) & mask)), net.1))
        }
        IpAddr::V6(a) if net.1 <= 128 => {
            let mask = u128::MAX.checked_shl(128 - u32::from(net.1)).unwrap_or(0);
            Some((IpAddr::V6(Ipv6Addr::from(u128::from(a) & mask)), net.1))
        }
        _ => None,
    }
}

/// Whether `inner` lies inside `outer` (same family, prefix at least as long).
pub fn within(inner: (IpAddr, u8), outer: (IpAddr, u8)) -> bool {
    inner.0.is_ipv4() == outer.0.is_ipv4() && inner.1 >= outer.1 && contains(outer, inner.0)
}

/// The networks to route for the negotiated remote networks `remote` (CIDRs of the remote
/// traffic selectors) and the subnets the gateway pushed (see the module documentation).
pub fn select(remote: &[(IpAddr, u8)], pushed: &[(IpAddr, u8)]) -> Selection {
    let mut taken: Vec<(IpAddr, u8)> = Vec::new();
    let mut ignored = Vec::new();
    let (mut full_v4, mut full_v6) = (false, false);
    for &p in pushed {
        let Some(n) = normalize(p) else {
            ignored.push((p, Ignored::BadPrefix));
            continue;
        };
        if n.1 == 0 {
            if n.0.is_ipv4() {
                full_v4 = true;
            } else {
                full_v6 = true;
            }
            continue;
        }
        if !remote.iter().any(|r| within(n, *r)) {
            ignored.push((n, Ignored::OutsideSelectors));
            continue;
        }
        if taken.contains(&n) {
            continue;
        }
        if taken.len() >= MAX_PUSHED {
            ignored.push((n, Ignored::TooMany));
            continue;
        }
        taken.push(n);
    }
    let split_v4 = !full_v4 && taken.iter().any(|n| n.0.is_ipv4());
    let split_v6 = !full_v6 && taken.iter().any(|n| n.0.is_ipv6());
    let mut routes = Vec::new();
    for (v6, split) in [(false, split_v4), (true, split_v6)] {
        let source = if split { &taken } else { remote };
        routes.extend(source.iter().filter(|n| n.0.is_ipv6() == v6).copied());
    }
    Selection {
        routes,
        split_v4,
        split_v6,
        ignored,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> (IpAddr, u8) {
        let (a, p) = s.split_once('/').unwrap();
        (a.parse().unwrap(), p.parse().unwrap())
    }

    fn all() -> Vec<(IpAddr, u8)> {
        vec![n("0.0.0.0/0"), n("::/0")]
    }

    #[test]
    fn only_full_tunnel_rightsubnets_leave_the_choice_to_the_gateway() {
        assert!(allowed("0.0.0.0/0"));
        assert!(allowed("0.0.0.0/0, ::/0"));
        assert!(allowed("::/0"));
        assert!(!allowed("10.0.0.0/8"));
        assert!(!allowed("0.0.0.0/0,10.0.0.0/8"));
        assert!(!allowed(""));
    }

    #[test]
    fn pushed_subnets_replace_the_full_tunnel_of_their_family() {
        let s = select(&all(), &[n("10.2.0.0/16"), n("10.3.0.0/24")]);
        assert!(s.split_v4 && !s.split_v6);
        assert_eq!(s.routes, [n("10.2.0.0/16"), n("10.3.0.0/24"), n("::/0")]);
        assert!(s.ignored.is_empty());
    }

    #[test]
    fn ipv6_subnets_split_ipv6() {
        let s = select(&all(), &[n("2001:db8:2::/48")]);
        assert!(!s.split_v4 && s.split_v6);
        assert_eq!(s.routes, [n("0.0.0.0/0"), n("2001:db8:2::/48")]);
    }

    #[test]
    fn a_subnet_outside_the_selectors_is_ignored() {
        let remote = [n("10.0.0.0/8")];
        let s = select(
            &remote,
            &[n("10.2.0.0/16"), n("192.168.5.0/24"), n("8.0.0.0/7")],
        );
        assert_eq!(s.routes, [n("10.2.0.0/16")]);
        assert_eq!(
            s.ignored,
            [
                (n("192.168.5.0/24"), Ignored::OutsideSelectors),
                (n("8.0.0.0/7"), Ignored::OutsideSelectors)
            ]
        );
    }

    #[test]
    fn ipv4_pushed_with_only_ipv6_selectors_is_ignored() {
        let remote = [n("::/0")];
        let s = select(&remote, &[n("10.2.0.0/24")]);
        assert!(!s.split_v4 && !s.split_v6);
        assert_eq!(s.routes, [n("::/0")]);
        assert_eq!(s.ignored, [(n("10.2.0.0/24"), Ignored::OutsideSelectors)]);
    }

    #[test]
    fn pushed_inside_one_of_several_selectors() {
        let remote = [n("10.0.0.0/16"), n("172.16.0.0/12")];
        let s = select(&remote, &[n("172.20.1.0/24"), n("10.1.0.0/15")]);
        // 10.1.0.0/15 normalizes to 10.0.0.0/15, wider than 10.0.0.0/16: not inside.
        assert!(s.split_v4);
        assert_eq!(s.routes, [n("172.20.1.0/24")]);
        assert_eq!(s.ignored, [(n("10.0.0.0/15"), Ignored::OutsideSelectors)]);
    }

    #[test]
    fn nothing_usable_keeps_the_negotiated_networks() {
        let remote = [n("10.0.0.0/8")];
        let s = select(&remote, &[n("192.168.5.0/24")]);
        assert!(!s.split_v4);
        assert_eq!(s.routes, [n("10.0.0.0/8")]);
    }

    #[test]
    fn a_pushed_default_route_means_full_tunnel() {
        let s = select(&all(), &[n("10.2.0.0/16"), n("0.0.0.0/0")]);
        assert!(!s.split_v4);
        assert_eq!(s.routes, all());
    }

    #[test]
    fn host_bits_are_cleared_and_duplicates_dropped() {
        let s = select(&all(), &[n("10.2.3.4/16"), n("10.2.0.0/16")]);
        assert_eq!(s.routes, [n("10.2.0.0/16"), n("::/0")]);
    }

    #[test]
    fn hostile_prefixes_are_ignored() {
        let s = select(&all(), &[n("10.2.0.0/33"), n("2001:db8::/129")]);
        assert!(!s.split_v4 && !s.split_v6);
        assert_eq!(s.routes, all());
        assert_eq!(s.ignored.len(), 2);
        assert!(s.ignored.iter().all(|(_, w)| *w == Ignored::BadPrefix));
    }

    #[test]
    fn hundreds_of_subnets_are_capped() {
        let pushed: Vec<(IpAddr, u8)> = (0..300u32)
            .map(|i| (IpAddr::V4(Ipv4Addr::from(0x0a00_0000 | (i << 8))), 24))
            .collect();
        let s = select(&all(), &pushed);
        assert_eq!(
            s.routes.iter().filter(|r| r.0.is_ipv4()).count(),
            MAX_PUSHED
        );
        assert_eq!(s.ignored.len(), 300 - MAX_PUSHED);
        assert!(s.ignored.iter().all(|(_, w)| *w == Ignored::TooMany));
    }

    #[test]
    fn normalize_handles_the_edges() {
        assert_eq!(normalize(n("10.1.2.3/0")), Some(n("0.0.0.0/0")));
        assert_eq!(normalize(n("10.1.2.3/32")), Some(n("10.1.2.3/32")));
        assert_eq!(normalize(n("2001:db8::1/128")), Some(n("2001:db8::1/128")));
        assert_eq!(normalize(n("10.1.2.3/40")), None);
    }
}
