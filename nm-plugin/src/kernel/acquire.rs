//! The kernel's ACQUIRE messages, for `dpdaction=hold`: when a packet matches an outbound
//! IPsec policy that has no SA, the kernel creates a larval SA (SPI 0, the template's reqid,
//! lifetime `net.core.xfrm_acq_expires`, 30 s by default), drops the packet and multicasts an
//! `XFRM_MSG_ACQUIRE` to the `XFRMNLGRP_ACQUIRE` group.
//!
//! Only messages that can be ours count: sent by the kernel (netlink port id 0, see
//! [`super::netlink::from_kernel`]), naming a template reqid of our block, and carrying exactly
//! the XFRM interface id and mark our policies carry ([`from_datagrams`]). Whether it names one
//! of the policies a held connection kept is decided against those policies
//! ([`names_policy`]).
//!
//! The larval SAs cannot be deleted by their address (`XFRM_MSG_DELSA` looks ESP SAs up by
//! SPI, and a larval SA has none): [`larval_spi_message`] gives one an SPI first (the kernel's
//! `XFRM_MSG_ALLOCSPI` finds it by the sequence number of its ACQUIRE), then it is deleted
//! like any SA.

use super::netlink::from_kernel;
use super::xfrm::{selectors, SPI_MAX, SPI_MIN};
use super::{Binding, Ownership};
use ike_core::engine::Direction;
use ike_core::wire::TrafficSelector;
use netlink_packet_core::NetlinkPayload;
use netlink_packet_xfrm::state::AllocSpiMessage;
use netlink_packet_xfrm::{
    Mark, Selector, UserSaInfo, UserSpiInfo, XfrmAttrs, XfrmMessage, XFRM_POLICY_OUT,
};

/// One ACQUIRE of a policy of ours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acquire {
    /// The sequence number of the larval SA the kernel created for it.
    pub seq: u32,
    /// The reqid of the policy's template (ours).
    pub reqid: u32,
    /// The policy's direction (the kernel reports outbound).
    pub dir: u8,
    /// The policy's selector (not the packet's).
    pub selector: Selector,
}

fn template_reqid(nlas: &[XfrmAttrs]) -> Option<u32> {
    nlas.iter().find_map(|a| match a {
        XfrmAttrs::Template(t) => t.first().map(|t| t.reqid),
        _ => None,
    })
}

fn if_id_of(nlas: &[XfrmAttrs]) -> Option<u32> {
    nlas.iter()
        .find_map(|a| match a {
            XfrmAttrs::IfId(i) => Some(*i),
            _ => None,
        })
        .filter(|i| *i != 0)
}

fn mark_of(nlas: &[XfrmAttrs]) -> Option<(u32, u32)> {
    nlas.iter()
        .find_map(|a| match a {
            XfrmAttrs::Mark(Mark { value, mask }) => Some((*value, *mask)),
            _ => None,
        })
        .filter(|(v, m)| (*v, *m) != (0, 0))
}

/// The ACQUIREs among netlink datagrams (sender port id, bytes) that can be ours: sent by the
/// kernel, for a policy whose template reqid is in `own`, with the XFRM interface id and mark
/// of `binding` (none when the binding has none). Everything else is dropped (logged at
/// debug).
pub fn from_datagrams(
    datagrams: Vec<(u32, Vec<u8>)>,
    own: &Ownership,
    binding: &Binding,
) -> Vec<Acquire> {
    let mut out = Vec::new();
    for m in from_kernel::<XfrmMessage>(datagrams) {
        let NetlinkPayload::InnerMessage(XfrmMessage::Acquire(a)) = m.payload else {
            continue;
        };
        let Some(reqid) = template_reqid(&a.nlas) else {
            tracing::debug!("ACQUIRE without a template: not ours");
            continue;
        };
        if !own.owns_reqid(reqid) {
            tracing::debug!("ACQUIRE for reqid {reqid:#x}: not ours");
            continue;
        }
        if if_id_of(&a.nlas) != binding.if_id || mark_of(&a.nlas) != binding.mark {
            tracing::debug!("ACQUIRE for reqid {reqid:#x} with another interface id or mark");
            continue;
        }
        out.push(Acquire {
            seq: a.acquire.seq,
            reqid,
            dir: a.acquire.policy.direction,
            selector: a.acquire.policy.selector,
        });
    }
    out
}

/// Whether two kernel selectors select the same traffic (the fields the kernel compares;
/// not the interface index or user id).
pub fn same_selector(a: &Selector, b: &Selector) -> bool {
    a.family == b.family
        && a.daddr == b.daddr
        && a.saddr == b.saddr
        && a.prefixlen_d == b.prefixlen_d
        && a.prefixlen_s == b.prefixlen_s
        && a.proto == b.proto
        && a.dport == b.dport
        && a.dport_mask == b.dport_mask
        && a.sport == b.sport
        && a.sport_mask == b.sport_mask
}

/// Whether `acq` names the policy (`dir`, `reqid`, traffic selectors) we installed: an
/// outbound policy with that template reqid and one of the XFRM selectors of the pair.
pub fn names_policy(
    acq: &Acquire,
    dir: Direction,
    reqid: u32,
    src_ts: &TrafficSelector,
    dst_ts: &TrafficSelector,
) -> bool {
    dir == Direction::Out
        && acq.dir == XFRM_POLICY_OUT
        && acq.reqid == reqid
        && selectors(src_ts, dst_ts)
            .iter()
            .any(|s| same_selector(&s.to_selector(), &acq.selector))
}

/// The `XFRM_MSG_ALLOCSPI` that gives the larval SA `sa` (SPI 0, as a dump lists it) an SPI,
/// so that it can be deleted. The kernel finds it by its sequence number; when it is gone,
/// by its addresses, reqid and mode (creating one, which gets the SPI and is deleted the
/// same way). `sa_nlas` are its attributes (mark, interface id).
pub fn larval_spi_message(sa: &UserSaInfo, sa_nlas: &[XfrmAttrs]) -> AllocSpiMessage {
    let info = UserSaInfo {
        id: sa.id,
        saddr: sa.saddr,
        family: sa.family,
        mode: sa.mode,
        reqid: sa.reqid,
        seq: sa.seq,
        ..UserSaInfo::default()
    };
    AllocSpiMessage {
        spi_info: UserSpiInfo {
            info,
            min: SPI_MIN,
            max: SPI_MAX,
        },
        nlas: sa_nlas
            .iter()
            .filter(|a| matches!(a, XfrmAttrs::Mark(_) | XfrmAttrs::IfId(_)))
            .cloned()
            .collect(),
    }
}

/// Test support: the ACQUIRE datagram the kernel sends (ACQUIRE sequence number 77) for an
/// outbound policy with selector `sel` and template reqid `reqid`, plus `nlas`, as sent by `pid`.
#[cfg(test)]
pub(crate) fn acquire_datagram(
    pid: u32,
    reqid: u32,
    sel: Selector,
    nlas: Vec<XfrmAttrs>,
) -> (u32, Vec<u8>) {
    use netlink_packet_xfrm::monitor::AcquireMessage;
    use netlink_packet_xfrm::{UserAcquire, UserPolicyInfo, UserTemplate};
    let mut t = UserTemplate::default();
    t.reqid(reqid);
    let mut all = vec![XfrmAttrs::Template(vec![t])];
    all.extend(nlas);
    let msg = AcquireMessage {
        acquire: UserAcquire {
            seq: 77,
            policy: UserPolicyInfo {
                selector: sel,
                direction: XFRM_POLICY_OUT,
                ..UserPolicyInfo::default()
            },
            ..UserAcquire::default()
        },
        nlas: all,
    };
    (
        pid,
        super::netlink::serialize(XfrmMessage::Acquire(msg), 0, 0),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(a: &str, b: &str) -> TrafficSelector {
        TrafficSelector::from_range(a.parse().unwrap(), b.parse().unwrap())
    }

    fn vip() -> TrafficSelector {
        ts("10.3.0.1", "10.3.0.1")
    }

    fn lan() -> TrafficSelector {
        ts("10.2.0.0", "10.2.0.255")
    }

    fn our_selector() -> Selector {
        selectors(&vip(), &lan())[0].to_selector()
    }

    #[test]
    fn only_the_kernel_s_acquires_of_our_reqids_and_binding_count() {
        let own = Ownership::block(2);
        let r = *own.reqids.start() + 4;
        let plain = Binding::default();
        let got = from_datagrams(
            vec![acquire_datagram(0, r, our_selector(), vec![])],
            &own,
            &plain,
        );
        assert_eq!(got.len(), 1);
        assert_eq!((got[0].seq, got[0].reqid), (77, r));
        // Sent by a process (port id not 0): dropped.
        let forged = acquire_datagram(4242, r, our_selector(), vec![]);
        assert!(from_datagrams(vec![forged], &own, &plain).is_empty());
        // Another daemon's reqid, or another block of ours: dropped.
        for other in [7, *Ownership::block(3).reqids.start()] {
            let d = acquire_datagram(0, other, our_selector(), vec![]);
            assert!(from_datagrams(vec![d], &own, &plain).is_empty());
        }
        // Another interface id or mark than our policies carry: dropped.
        let xfrmi = Binding {
            if_id: Some(9),
            mark: None,
        };
        let d = acquire_datagram(0, r, our_selector(), vec![XfrmAttrs::IfId(8)]);
        assert!(from_datagrams(vec![d], &own, &xfrmi).is_empty());
        let d = acquire_datagram(0, r, our_selector(), vec![]);
        assert!(from_datagrams(vec![d], &own, &xfrmi).is_empty());
        let d = acquire_datagram(0, r, our_selector(), vec![XfrmAttrs::IfId(9)]);
        assert_eq!(from_datagrams(vec![d], &own, &xfrmi).len(), 1);
        let d = acquire_datagram(
            0,
            r,
            our_selector(),
            vec![XfrmAttrs::Mark(Mark {
                value: 5,
                mask: 0xff,
            })],
        );
        assert!(from_datagrams(vec![d], &own, &plain).is_empty());
        // Garbage does not stop the rest.
        let got = from_datagrams(
            vec![
                (0, vec![1, 2, 3]),
                acquire_datagram(0, r, our_selector(), vec![]),
            ],
            &own,
            &plain,
        );
        assert_eq!(got.len(), 1);
    }

    #[test]
    fn an_acquire_names_a_policy_by_reqid_direction_and_selector() {
        let acq = Acquire {
            seq: 1,
            reqid: 5,
            dir: XFRM_POLICY_OUT,
            selector: our_selector(),
        };
        assert!(names_policy(&acq, Direction::Out, 5, &vip(), &lan()));
        assert!(!names_policy(&acq, Direction::Out, 6, &vip(), &lan()));
        assert!(!names_policy(&acq, Direction::In, 5, &vip(), &lan()));
        assert!(!names_policy(
            &acq,
            Direction::Out,
            5,
            &vip(),
            &ts("10.4.0.0", "10.4.0.255")
        ));
        assert!(!names_policy(
            &acq,
            Direction::Out,
            5,
            &ts("10.3.0.2", "10.3.0.2"),
            &lan()
        ));
    }

    #[test]
    fn a_larval_sa_is_found_by_its_acquire_sequence_number() {
        let sa = UserSaInfo {
            seq: 99,
            reqid: 0x4e4d_0001,
            mode: 1,
            ..UserSaInfo::default()
        };
        let m = larval_spi_message(
            &sa,
            &[
                XfrmAttrs::IfId(3),
                XfrmAttrs::Other(netlink_packet_core::DefaultNla::new(99, vec![])),
            ],
        );
        assert_eq!(m.spi_info.info.seq, 99);
        assert_eq!(m.spi_info.info.reqid, 0x4e4d_0001);
        assert_eq!((m.spi_info.min, m.spi_info.max), (SPI_MIN, SPI_MAX));
        assert_eq!(m.nlas, vec![XfrmAttrs::IfId(3)]);
    }
}
