//! Builders of the two-engine simulations: addresses, a PSK responder and initiator, the
//! simulation itself, and the checks most scenarios share.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use ike_core::engine::*;
use ike_core::wire::TrafficSelector;

use super::Sim;

pub const A: &str = "192.0.2.10";
pub const B: &str = "198.51.100.20";

pub fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

pub fn ts(a: &str, b: &str) -> TrafficSelector {
    TrafficSelector::from_range(ip(a), ip(b))
}

pub fn psk(s: &str) -> SecretBytes {
    SecretBytes::from_slice(s.as_bytes())
}

pub fn responder_cfg(key: &str) -> ResponderConfig {
    ResponderConfig {
        name: "server".into(),
        local_id: Identity::parse("@server.example").unwrap(),
        remote_id: None,
        local_auth: LocalAuth::Psk(psk(key)),
        remote_auth: RemoteAuth::Psk(psk(key)),
        ike_proposals: Vec::new(),
        esp_proposals: Vec::new(),
        local_ts: vec![ts("10.1.0.0", "10.1.255.255")],
        remote_ts: vec![ts("0.0.0.0", "255.255.255.255")],
        allow_transport: true,
        serve: ServeConfig {
            pool_v4: Some(AddressPool {
                range: "100.64.0.10-100.64.0.109".parse().unwrap(),
                prefix: 32,
            }),
            pool_v6: None,
            dns: vec![ip("10.1.0.53")],
            domains: vec!["corp.example".into()],
            subnets: vec![],
        },
        ike_lifetime: Duration::from_secs(28800),
        child_lifetime: Duration::from_secs(3600),
        fragmentation: Fragmentation::Yes,
        fragment_size: 1280,
        dpd_delay: None,
        retransmit: RetransmitConfig::default(),
        auth_lifetime: None,
        mobike: true,
    }
}

pub fn initiator_conn(key: &str) -> ConnectionConfig {
    let mut c = ConnectionConfig::new(
        "client",
        SocketAddr::new(ip(B), 500),
        Identity::parse("client@example").unwrap(),
        LocalAuth::Psk(psk(key)),
        RemoteAuth::Psk(psk(key)),
    );
    c.local_addr = Some(ip(A));
    c.remote_id = Some(Identity::parse("@server.example").unwrap());
    c.children = vec![ChildConfig {
        name: "net".into(),
        local_ts: vec![ts("0.0.0.0", "255.255.255.255")],
        remote_ts: vec![ts("10.1.0.0", "10.1.255.255")],
        mode: Mode::Tunnel,
    }];
    c
}

pub fn sim(seed: u64, resp: ResponderConfig) -> Sim {
    let ecfg = EngineConfig {
        responders: vec![resp],
        ..EngineConfig::default()
    };
    Sim::new(seed, (ip(A), EngineConfig::default()), (ip(B), ecfg))
}

fn sa_keys(ops: &[KernelOp]) -> Vec<(u32, Direction, EspCipher)> {
    ops.iter()
        .filter_map(|o| match o {
            KernelOp::InstallSa {
                spi,
                direction,
                cipher,
                ..
            } => Some((*spi, *direction, cipher.clone())),
            _ => None,
        })
        .collect()
}

pub fn assert_matching_keys(s: &Sim) {
    let a = sa_keys(&s.nodes[0].ops);
    let b = sa_keys(&s.nodes[1].ops);
    assert!(!a.is_empty() && !b.is_empty(), "no SAs installed");
    let deleted = |ops: &[KernelOp], spi: u32| {
        ops.iter()
            .any(|o| matches!(o, KernelOp::DeleteSa { spi: s, .. } if *s == spi))
    };
    for (spi, dir, cipher) in &a {
        let Some(peer) = b.iter().find(|(s2, d2, _)| s2 == spi && d2 != dir) else {
            // Only an inbound SA whose Child SA went before the peer installed the outbound
            // SA it kept back (the loser of a rekey collision) has no counterpart.
            assert!(
                *dir == Direction::In && deleted(&s.nodes[0].ops, *spi),
                "no peer SA with SPI {spi:#x} ({dir:?})"
            );
            continue;
        };
        assert_eq!(&peer.2, cipher, "keys differ for SPI {spi:#x}");
    }
}

pub fn established(s: &Sim) -> bool {
    s.child_up_count(0) >= 1 && s.child_up_count(1) >= 1
}
