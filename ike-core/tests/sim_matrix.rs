//! Every supported IKE and ESP transform (from the registry) negotiates end to end, and
//! both sides install matching keys.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs,
    dead_code
)]

use crate::common;

use std::time::Duration;

use common::{assert_matching_keys, established, initiator_conn, responder_cfg, sim};
use ike_core::crypto::{default_provider, KeGroup};
use ike_core::ids::{integ, ke};
use ike_core::proposal::registry::{TransformKind, SUPPORTED};
use ike_core::proposal::{EncrAlg, Proposal, Protocol};

fn base_ike() -> Proposal {
    let mut p = Proposal::new(Protocol::Ike);
    p.encr = vec![EncrAlg::new(ike_core::ids::encr::AES_GCM_16, Some(128))];
    p.prf = vec![ike_core::ids::prf::HMAC_SHA2_256];
    p.ke = vec![ke::CURVE25519];
    p
}

fn base_esp() -> Proposal {
    let mut p = Proposal::new(Protocol::Esp);
    p.encr = vec![EncrAlg::new(ike_core::ids::encr::AES_GCM_16, Some(128))];
    p
}

fn ke_ok(id: u16) -> bool {
    KeGroup::from_iana(id).is_some_and(|g| default_provider().supports_ke(g))
}

fn run(ike: Proposal, esp: Proposal, seed: u64) {
    let label = format!("{ike} / {esp}");
    let mut r = responder_cfg("k");
    r.ike_proposals = vec![ike.clone()];
    r.esp_proposals = vec![esp.clone()];
    let mut s = sim(seed, r);
    let mut c = initiator_conn("k");
    c.ike_proposals = vec![ike];
    c.esp_proposals = vec![esp];
    s.nodes[0].engine.initiate(s.now, c).unwrap();
    assert!(
        s.run_until(Duration::from_secs(10), established),
        "{label}: {:?} / {:?}",
        s.events(0),
        s.events(1)
    );
    assert_matching_keys(&s);
}

#[test]
fn every_ike_transform() {
    let mut n = 0;
    use ike_core::crypto::{Encr, Integ, Prf};
    let crypto_ok = |a: &ike_core::proposal::registry::AlgInfo| match a.kind {
        TransformKind::Encr => Encr::from_iana(a.id, a.key_bits).is_some(),
        TransformKind::Prf => Prf::from_iana(a.id).is_some(),
        TransformKind::Integ => Integ::from_iana(a.id).is_some(),
        _ => true,
    };
    for a in SUPPORTED.iter().filter(|a| !a.esp_only && crypto_ok(a)) {
        let mut p = base_ike();
        match a.kind {
            TransformKind::Encr => {
                p.encr = vec![EncrAlg::new(a.id, a.key_bits)];
                if !a.aead {
                    p.integ = vec![integ::HMAC_SHA2_256_128];
                }
            }
            TransformKind::Prf => p.prf = vec![a.id],
            TransformKind::Integ if a.id != integ::NONE => {
                p.encr = vec![EncrAlg::new(ike_core::ids::encr::AES_CBC, Some(128))];
                p.integ = vec![a.id];
            }
            TransformKind::Ke if a.id != ke::NONE && ke_ok(a.id) => p.ke = vec![a.id],
            _ => continue,
        }
        if p.validate().is_err() {
            continue;
        }
        n += 1;
        run(p, base_esp(), 100 + n);
    }
    assert!(n >= 10, "only {n} IKE transforms tested");
}

#[test]
fn every_esp_transform() {
    let mut n = 0;
    for a in SUPPORTED.iter() {
        let mut p = base_esp();
        match a.kind {
            TransformKind::Encr => {
                p.encr = vec![EncrAlg::new(a.id, a.key_bits)];
                if !a.aead {
                    p.integ = vec![integ::HMAC_SHA2_256_128];
                }
            }
            TransformKind::Integ if a.id != integ::NONE => {
                p.encr = vec![EncrAlg::new(ike_core::ids::encr::AES_CBC, Some(128))];
                p.integ = vec![a.id];
            }
            _ => continue,
        }
        if p.validate().is_err() {
            continue;
        }
        n += 1;
        run(base_ike(), p, 200 + n);
    }
    assert!(n >= 6, "only {n} ESP transforms tested");
}
