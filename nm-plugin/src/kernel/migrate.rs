//! Moving a Child SA to new outer addresses and UDP encapsulation (MOBIKE, a NAT mapping
//! change): the `XFRM_MSG_MIGRATE` messages of a [`KernelOp::MigrateSa`].
//!
//! The kernel migrates one policy per message (found by its selector and direction) and,
//! with it, the SA whose reqid, mode and old addresses the `XFRMA_MIGRATE` entry names; the
//! SA keeps its SPI, keys and sequence numbers (`xfrm_state_migrate` clones it). So each
//! selector gets one message for its outbound policy (moving the outbound SA, with our
//! encapsulation) and one for its inbound policy (moving the inbound SA, with the
//! encapsulation reversed); the forward policy, when there is one, follows with a third
//! (its SA is already moved, only its template changes). `XFRMA_ENCAP` in a migration needs
//! Linux 4.15; an SA keeps its encapsulation when the message has none.

use std::net::IpAddr;

use ike_core::engine::{Direction, Mode, UdpEncap};
use ike_core::wire::TrafficSelector;
use netlink_packet_xfrm::constants::{IPPROTO_ESP, UDP_ENCAP_ESPINUDP};
use netlink_packet_xfrm::{
    Address, EncapTmpl, MigrateMessage, UserMigrate, UserPolicyId, XfrmAttrs,
};

use super::xfrm::{family_of, mode_of, policy_dir, selectors, SelectorSpec};
use super::Binding;

/// What one Child SA moves from and to (borrowed from [`ike_core::engine::KernelOp::MigrateSa`]).
#[derive(Debug, Clone, Copy)]
pub struct Move<'a> {
    /// Reqid of the SAs and policies.
    pub reqid: u32,
    /// Tunnel or transport.
    pub mode: Mode,
    /// Our traffic selectors.
    pub local_ts: &'a [TrafficSelector],
    /// The peer's traffic selectors.
    pub remote_ts: &'a [TrafficSelector],
    /// Our outer address before.
    pub old_local: IpAddr,
    /// The peer's outer address before.
    pub old_remote: IpAddr,
    /// Our outer address after.
    pub new_local: IpAddr,
    /// The peer's outer address after.
    pub new_remote: IpAddr,
    /// The outbound SA's encapsulation after the move.
    pub encap: Option<UdpEncap>,
    /// Whether the Child SA has forward policies (tunnel mode).
    pub fwd: bool,
}

/// The selectors of the policies of one direction (out: ours to theirs; in, fwd: theirs to
/// ours).
pub fn policy_selectors(m: &Move<'_>, dir: Direction) -> Vec<SelectorSpec> {
    let (src, dst) = match dir {
        Direction::Out => (m.local_ts, m.remote_ts),
        Direction::In | Direction::Fwd => (m.remote_ts, m.local_ts),
    };
    let mut out = Vec::new();
    for s in src {
        for d in dst {
            out.push(selectors(s, d));
        }
    }
    out.concat()
}

/// The `XFRM_MSG_MIGRATE` bodies of a move, in order: outbound, inbound, forward policies.
pub fn messages(m: &Move<'_>, binding: &Binding) -> Vec<(Direction, SelectorSpec, MigrateMessage)> {
    let mut dirs = vec![Direction::Out, Direction::In];
    if m.fwd {
        dirs.push(Direction::Fwd);
    }
    let mut out = Vec::new();
    for dir in dirs {
        let outbound = dir == Direction::Out;
        let (old_s, old_d, new_s, new_d) = if outbound {
            (m.old_local, m.old_remote, m.new_local, m.new_remote)
        } else {
            (m.old_remote, m.old_local, m.new_remote, m.new_local)
        };
        let entry = UserMigrate {
            old_daddr: Address::from_ip(&old_d),
            old_saddr: Address::from_ip(&old_s),
            new_daddr: Address::from_ip(&new_d),
            new_saddr: Address::from_ip(&new_s),
            proto: IPPROTO_ESP,
            mode: mode_of(m.mode),
            reserved: 0,
            reqid: m.reqid,
            old_family: family_of(&old_d),
            new_family: family_of(&new_d),
        };
        let encap = m.encap.map(|e| {
            let (sport, dport) = if outbound {
                (e.sport, e.dport)
            } else {
                (e.dport, e.sport)
            };
            EncapTmpl {
                encap_type: UDP_ENCAP_ESPINUDP,
                encap_sport: sport,
                encap_dport: dport,
                encap_oa: Address::default(),
            }
        });
        for sel in policy_selectors(m, dir) {
            let mut nlas = vec![XfrmAttrs::Migrate(entry)];
            if let Some(e) = encap {
                nlas.push(XfrmAttrs::EncapsulationTemplate(e));
            }
            if let Some(if_id) = binding.if_id {
                nlas.push(XfrmAttrs::IfId(if_id));
            }
            let id = UserPolicyId {
                selector: sel.to_selector(),
                direction: policy_dir(dir),
                ..UserPolicyId::default()
            };
            out.push((
                dir,
                sel,
                MigrateMessage {
                    user_policy_id: id,
                    nlas,
                },
            ));
        }
    }
    out
}

/// The same message with a second entry whose old addresses are the new ones: for a policy
/// whose template an earlier message already moved (two Child SAs sharing the policies
/// while one is rekeyed), which the kernel otherwise refuses with ENODATA.
pub fn with_moved_template(mut msg: MigrateMessage) -> MigrateMessage {
    let moved = msg.nlas.iter().find_map(|a| match a {
        XfrmAttrs::Migrate(u) => Some(UserMigrate {
            old_daddr: u.new_daddr,
            old_saddr: u.new_saddr,
            old_family: u.new_family,
            ..*u
        }),
        _ => None,
    });
    if let Some(u) = moved {
        msg.nlas.insert(1, XfrmAttrs::Migrate(u));
    }
    msg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(a: &str, b: &str) -> TrafficSelector {
        TrafficSelector::from_range(a.parse().unwrap(), b.parse().unwrap())
    }

    #[test]
    fn each_direction_moves_its_own_sa_with_its_own_ports() {
        let local = [ts("10.3.0.5", "10.3.0.5")];
        let remote = [ts("10.2.0.0", "10.2.0.255")];
        let m = Move {
            reqid: 7,
            mode: Mode::Tunnel,
            local_ts: &local,
            remote_ts: &remote,
            old_local: "192.0.2.1".parse().unwrap(),
            old_remote: "192.0.2.2".parse().unwrap(),
            new_local: "198.51.100.1".parse().unwrap(),
            new_remote: "192.0.2.2".parse().unwrap(),
            encap: Some(UdpEncap {
                sport: 4500,
                dport: 40001,
            }),
            fwd: true,
        };
        let msgs = messages(&m, &Binding::default());
        let dirs: Vec<Direction> = msgs.iter().map(|(d, _, _)| *d).collect();
        assert_eq!(dirs, vec![Direction::Out, Direction::In, Direction::Fwd]);
        let (_, out_sel, out) = &msgs[0];
        assert_eq!(out_sel.src, ("10.3.0.5".parse().unwrap(), 32));
        assert_eq!(out_sel.dst, ("10.2.0.0".parse().unwrap(), 24));
        assert!(out.nlas.iter().any(|a| matches!(a,
            XfrmAttrs::Migrate(u) if u.old_saddr == Address::from_ip(&m.old_local)
                && u.new_saddr == Address::from_ip(&m.new_local)
                && u.new_daddr == Address::from_ip(&m.new_remote) && u.reqid == 7)));
        assert!(out.nlas.iter().any(|a| matches!(a,
            XfrmAttrs::EncapsulationTemplate(e) if e.encap_sport == 4500 && e.encap_dport == 40001)));
        let (_, in_sel, inb) = &msgs[1];
        assert_eq!(in_sel.src, out_sel.dst);
        assert!(inb.nlas.iter().any(|a| matches!(a,
            XfrmAttrs::Migrate(u) if u.old_daddr == Address::from_ip(&m.old_local)
                && u.new_daddr == Address::from_ip(&m.new_local))));
        assert!(inb.nlas.iter().any(|a| matches!(a,
            XfrmAttrs::EncapsulationTemplate(e) if e.encap_sport == 40001 && e.encap_dport == 4500)));
        // A route-based tunnel names its interface; transport mode has no forward policy.
        let bound = Binding {
            if_id: Some(9),
            mark: None,
        };
        let plain = Move {
            encap: None,
            fwd: false,
            ..m
        };
        let msgs = messages(&plain, &bound);
        assert_eq!(msgs.len(), 2);
        for (_, _, msg) in &msgs {
            assert!(msg.nlas.contains(&XfrmAttrs::IfId(9)));
            assert!(!msg
                .nlas
                .iter()
                .any(|a| matches!(a, XfrmAttrs::EncapsulationTemplate(_))));
        }
    }
}
