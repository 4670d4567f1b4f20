//! The initiator's reading of a CFG_REPLY never passes on an impossible prefix length (found
//! by the `config_payload` fuzz target: INTERNAL_IP6_ADDRESS ::1/255 reached the service).
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use ike_core::fuzzing::cp_parse_reply;
use ike_core::ids::{cfg_attr, cfg_type};
use ike_core::wire::{CfgAttribute, CpPayload};

fn v6_attr(attr_type: u16, prefix: u8) -> CfgAttribute {
    let mut value = "2001:db8::5"
        .parse::<std::net::Ipv6Addr>()
        .unwrap()
        .octets()
        .to_vec();
    value.push(prefix);
    CfgAttribute { attr_type, value }
}

#[test]
fn ipv6_prefix_over_128_is_dropped() {
    let reply = CpPayload {
        cfg_type: cfg_type::REPLY,
        attrs: vec![
            v6_attr(cfg_attr::INTERNAL_IP6_ADDRESS, 255),
            v6_attr(cfg_attr::INTERNAL_IP6_SUBNET, 129),
            v6_attr(cfg_attr::INTERNAL_IP6_ADDRESS, 64),
            v6_attr(cfg_attr::INTERNAL_IP6_SUBNET, 128),
        ],
    };
    let r = cp_parse_reply(&reply);
    assert_eq!(r.addresses_v6.len(), 1);
    assert_eq!(r.addresses_v6[0].prefix, 64);
    assert_eq!(r.subnets.len(), 1);
    assert_eq!(r.subnets[0].1, 128);
}
