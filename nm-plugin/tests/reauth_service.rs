// SPDX-License-Identifier: GPL-2.0-or-later
//! Reauthentication as the service sees it: an `nm-ike respond` gateway profile with
//! `auth_lifetime` and a client built from vpn.data settings run as two engines on a virtual
//! clock (datagrams delivered in memory), and every event of the client goes through the
//! service's decisions (`service::events::on_event`). The reauthenticated IKE SA is the same
//! connection: no stop, no new configuration for NetworkManager, the old IKE SA's deletion
//! ends nothing; when the gateway stops answering the reauthentication, the connection ends
//! at the authentication lifetime with a message that names it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use ike_core::crypto::DeterministicRng;
use ike_core::engine::{Engine, EngineConfig, Event, KernelEvent, KernelOp, Time, Transmit};
use nm_plugin::driver::files::FileAccess;
use nm_plugin::driver::profile::connection_config;
use nm_plugin::service::events::{on_event, Action, Level, Situation, Track};
use nm_plugin::service::failure::FailureContext;
use nm_plugin::settings::Settings;
use nm_plugin::tool::Profile;
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

const PSK: &str = "reauth-service-test-key-0123";
const GW: &str = "192.0.2.1";
const CLIENT: &str = "192.0.2.2";

/// Two engines on a virtual clock; node 0 is the client.
struct Pair {
    now: Time,
    nodes: [Engine; 2],
    addrs: [IpAddr; 2],
    /// The client's events, in order.
    events: Vec<Event>,
    next_spi: u32,
    /// Drop what the client sends from now on.
    client_muted: bool,
}

impl Pair {
    fn drain(&mut self) {
        loop {
            let mut any = false;
            for i in 0..2 {
                while let Some(op) = self.nodes[i].poll_kernel_op() {
                    any = true;
                    if let KernelOp::AllocateSpi { request, .. } = op {
                        self.next_spi += 1;
                        let spi = self.next_spi;
                        let now = self.now;
                        self.nodes[i]
                            .handle_kernel_event(now, KernelEvent::SpiAllocated { request, spi });
                    }
                }
                let mut out: Vec<Transmit> = Vec::new();
                while let Some(t) = self.nodes[i].poll_transmit() {
                    out.push(t);
                }
                for t in out {
                    any = true;
                    if i == 0 && self.client_muted {
                        continue;
                    }
                    let from = SocketAddr::new(self.addrs[i], t.local_port);
                    let to = 1 - i;
                    let local = SocketAddr::new(self.addrs[to], t.remote.port());
                    let now = self.now;
                    self.nodes[to].handle_datagram(now, local, from, &t.payload);
                }
                while let Some(e) = self.nodes[i].poll_event() {
                    any = true;
                    if i == 0 {
                        self.events.push(e);
                    }
                }
            }
            if !any {
                return;
            }
        }
    }

    /// Runs until `until` (virtual time).
    fn run_for(&mut self, d: Duration) {
        let end = self.now + d;
        loop {
            self.drain();
            let next = self.nodes.iter().filter_map(Engine::poll_timeout).min();
            match next {
                Some(t) if t <= end => {
                    self.now = self.now.max(t);
                    let now = self.now;
                    for n in &mut self.nodes {
                        if n.poll_timeout().is_some_and(|t| t <= now) {
                            n.handle_timeout(now);
                        }
                    }
                }
                _ => {
                    self.now = end;
                    return;
                }
            }
        }
    }
}

fn gateway(auth_lifetime: u64) -> Engine {
    let text = format!(
        r#"
name = "gw"
[responder]
listen = "{GW}"
local_id = "@gw.test"
psk = "{PSK}"
local_ts = "10.1.0.0/16"
pool_v4 = "100.64.0.10-100.64.0.20"
auth_lifetime = {auth_lifetime}
"#
    );
    let profile: Profile = toml::from_str(&text).unwrap();
    let (cfg, _) = profile.responder().unwrap();
    assert_eq!(cfg.auth_lifetime, Some(Duration::from_secs(auth_lifetime)));
    let ecfg = EngineConfig {
        responders: vec![cfg],
        ..EngineConfig::default()
    };
    Engine::new(ecfg, Box::new(DeterministicRng::from_u64(2)))
}

fn pair(auth_lifetime: u64) -> (Pair, Track) {
    let data: BTreeMap<String, String> = [
        ("right", GW),
        ("rightid", "@gw.test"),
        ("leftid", "@client.test"),
        ("authby", "secret"),
        ("rightsubnet", "10.1.0.0/16"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let secrets = BTreeMap::from([("pskvalue".to_string(), PSK.to_string())]);
    let settings = Settings::from_maps(&data, &secrets).unwrap();
    let gw: IpAddr = GW.parse().unwrap();
    let client: IpAddr = CLIENT.parse().unwrap();
    let conn = connection_config(
        "office",
        &settings,
        SocketAddr::new(gw, 500),
        client,
        &FileAccess::Direct,
    )
    .unwrap();
    let mut engine = Engine::new(
        EngineConfig::default(),
        Box::new(DeterministicRng::from_u64(1)),
    );
    let now = Time::from_millis(1_000);
    let own = engine.initiate(now, conn).unwrap();
    let p = Pair {
        now,
        nodes: [engine, gateway(auth_lifetime)],
        addrs: [client, gw],
        events: Vec::new(),
        next_spi: 0xc000_0000,
        client_muted: false,
    };
    (p, Track::new(own, None))
}

fn situation() -> Situation {
    Situation {
        closing: false,
        gateway: GW.parse().unwrap(),
        failure: FailureContext {
            gateway: GW.into(),
            waited: Duration::from_secs(1),
        },
        can_reprompt: false,
        eap: false,
        icmp: None,
        fallback: None,
    }
}

/// Feeds the client's events to the service's decisions; returns every action.
fn decide(track: &mut Track, events: &[Event]) -> Vec<Action> {
    let s = situation();
    events
        .iter()
        .flat_map(|e| on_event(track, e.clone(), &s))
        .collect()
}

fn stops(a: &[Action]) -> usize {
    a.iter().filter(|x| matches!(x, Action::Stop(_))).count()
}

fn configs(a: &[Action]) -> usize {
    a.iter()
        .filter(|x| matches!(x, Action::SendConfig(_)))
        .count()
}

#[test]
fn a_reauthenticated_ike_sa_is_the_same_connection() {
    let (mut p, mut track) = pair(60);
    // Three authentication lifetimes: three reauthentications, 50 s apart.
    p.run_for(Duration::from_secs(170));
    let actions = decide(&mut track, &p.events);
    let reauths = p
        .events
        .iter()
        .filter(|e| matches!(e, Event::IkeSaReauthenticated { .. }))
        .count();
    assert_eq!(reauths, 3, "{:?}", p.events);
    assert!(p.events.iter().all(|e| e.sa() == track.own));
    assert_eq!(stops(&actions), 0, "{actions:?}");
    assert_eq!(configs(&actions), 1, "NetworkManager got one configuration");
    assert!(track.up && !track.failed);
    let infos: Vec<&String> = actions
        .iter()
        .filter_map(|a| match a {
            Action::Log(Level::Info, m) => Some(m),
            _ => None,
        })
        .collect();
    assert_eq!(
        infos
            .iter()
            .filter(|m| m.contains("authenticated again") && m.contains("the old one is deleted"))
            .count(),
        3,
        "{infos:?}"
    );
    // The gateway holds one IKE SA, the client too (after the old ones' Deletes).
    p.run_for(Duration::from_secs(11));
    assert_eq!(p.nodes[0].ike_sa_count(), 1);
    assert_eq!(p.nodes[1].ike_sa_count(), 1);
}

#[test]
fn a_failed_reauthentication_ends_the_connection_at_the_lifetime_naming_it() {
    let (mut p, mut track) = pair(60);
    p.run_for(Duration::from_secs(1));
    assert!(decide(&mut track, &p.events)
        .iter()
        .any(|a| matches!(a, Action::SendConfig(_))));
    let seen = p.events.len();
    // The gateway no longer hears the client.
    p.client_muted = true;
    p.run_for(Duration::from_secs(58));
    let actions = decide(&mut track, &p.events[seen..]);
    assert_eq!(
        stops(&actions),
        0,
        "the tunnel stays meanwhile: {actions:?}"
    );
    let seen = p.events.len();
    p.run_for(Duration::from_secs(3));
    let actions = decide(&mut track, &p.events[seen..]);
    assert_eq!(stops(&actions), 1, "{actions:?}");
    assert!(
        actions
            .iter()
            .any(|a| matches!(a, Action::Log(Level::Warn, m)
            if m.contains("authentication lifetime (AUTH_LIFETIME) ended")
                && m.contains("answered the reauthentication of the connection (1 attempt(s))"))),
        "{actions:?}"
    );
}
