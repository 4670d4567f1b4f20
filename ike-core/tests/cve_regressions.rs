//! Engine-level regressions for published IKEv2 implementation bugs, driven through
//! `Engine::handle_datagram` with real keys (see tests/forge):
//! - CVE-2014-9221 (strongSwan): a KE payload of an unknown group with a huge length, to the
//!   responder in IKE_SA_INIT and to the initiator in the answer: a clean refusal
//!   (INVALID_KE_PAYLOAD naming our group, or a drop), no panic, no echo of the huge data.
//! - CVE-2023-23009 (Libreswan): malformed TS payloads in IKE_AUTH and CREATE_CHILD_SA (zero
//!   and short lengths, start > end, unknown type, wrong address length, bad counts): a clean
//!   refusal, no Child SA, the IKE SA unharmed.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use crate::forge;

use std::time::Duration;

use forge::{chain_with_raw, Pair};
use ike_core::engine::{Event, KernelOp};
use ike_core::ids::{exchange, notify, payload};
use ike_core::wire::{KePayload, Message, NoncePayload, Payload};

/// A KE payload of group 0xfff0 (unassigned) with `len` octets of data.
fn huge_ke(len: usize, group: u16) -> Payload {
    Payload::Ke(KePayload {
        group,
        data: vec![0x5a; len],
    })
}

fn replace_ke(bytes: &[u8], ke: Payload) -> Vec<u8> {
    let mut m = Message::parse(bytes).unwrap();
    for p in &mut m.payloads {
        if matches!(p, Payload::Ke(_)) {
            *p = ke.clone();
        }
    }
    m.emit().unwrap()
}

fn notifies(bytes: &[u8]) -> Vec<u16> {
    Message::parse(bytes)
        .map(|m| {
            m.payloads
                .iter()
                .filter_map(|p| match p {
                    Payload::Notify(n) => Some(n.notify_type),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn cve_2014_9221_huge_unknown_ke_to_the_responder() {
    for (group, len) in [
        (0xfff0u16, 65_000usize),
        (1234, 40_000),
        (14, 65_000),
        (31, 1),
    ] {
        let mut p = Pair::new(1);
        let (to, req) = p.queue.pop_front().unwrap();
        assert_eq!(to, 1);
        let forged = replace_ke(&req, huge_ke(len, group));
        assert!(forged.len() > len);
        p.inject(1, &forged);
        // The answer (if any) is small and refuses the KE: INVALID_KE_PAYLOAD naming a group
        // we support, or INVALID_SYNTAX for a known group with a wrong length.
        for (dst, answer) in p.queue.iter() {
            assert_eq!(*dst, 0);
            assert!(
                answer.len() < 1000,
                "group {group}: {} octets",
                answer.len()
            );
            let n = notifies(answer);
            assert!(
                n.contains(&notify::INVALID_KE_PAYLOAD) || n.contains(&notify::INVALID_SYNTAX),
                "group {group}: {n:?}"
            );
            let m = Message::parse(answer).unwrap();
            assert!(!m.payloads.iter().any(|x| matches!(x, Payload::Ke(_))));
        }
        assert!(!p.events[1]
            .iter()
            .any(|e| matches!(e, Event::IkeSaUp { .. })));
        // The engine still works: the real request gets its answer with a KE.
        p.queue.clear();
        p.inject(1, &req);
        let (_, ok) = p.queue.pop_front().expect("an answer to the real request");
        assert!(Message::parse(&ok)
            .unwrap()
            .payloads
            .iter()
            .any(|x| matches!(x, Payload::Ke(_))));
    }
}

#[test]
fn cve_2014_9221_huge_unknown_ke_in_the_answer() {
    for (group, len) in [(0xfff0u16, 65_000usize), (14, 65_000), (31, 0)] {
        let mut p = Pair::new(2);
        let mut forged_sent = false;
        p.pump(1, |_, _, _| true); // the request reaches the responder
        p.pump(1, |_, to, bytes| {
            assert_eq!(to, 0);
            *bytes = replace_ke(bytes, huge_ke(len, group));
            forged_sent = true;
            true
        });
        assert!(forged_sent);
        // No IKE SA comes up on the forged answer; nothing is installed.
        assert!(!p.up(0), "group {group}");
        assert!(!p.ops[0]
            .iter()
            .any(|o| matches!(o, KernelOp::InstallSa { .. })));
        // Whatever the initiator sends next is small (no echo of the huge KE).
        for (_, b) in p.queue.iter() {
            assert!(b.len() < 2000, "group {group}: {} octets", b.len());
        }
        p.advance(Duration::from_secs(30));
    }
}

/// Raw TS payload body: count, reserved, selectors.
fn ts_body(count: u8, selectors: &[Vec<u8>]) -> Vec<u8> {
    let mut b = vec![count, 0, 0, 0];
    for s in selectors {
        b.extend_from_slice(s);
    }
    b
}

/// A raw selector: type, protocol, the given length field, ports, then `addrs`.
fn sel(ty: u8, len: u16, ports: (u16, u16), addrs: &[u8]) -> Vec<u8> {
    let mut s = vec![ty, 0];
    s.extend_from_slice(&len.to_be_bytes());
    s.extend_from_slice(&ports.0.to_be_bytes());
    s.extend_from_slice(&ports.1.to_be_bytes());
    s.extend_from_slice(addrs);
    s
}

const V4_ANY: [u8; 8] = [0, 0, 0, 0, 255, 255, 255, 255];

/// The malformed TS payload bodies of CVE-2023-23009 and relatives.
fn malformed_ts() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("empty payload", vec![]),
        ("count without selectors", ts_body(1, &[])),
        ("zero count", ts_body(0, &[])),
        (
            "zero selector length",
            ts_body(1, &[sel(7, 0, (0, 65535), &V4_ANY)]),
        ),
        (
            "short selector length",
            ts_body(1, &[sel(7, 4, (0, 65535), &V4_ANY)]),
        ),
        (
            "selector length past the end",
            ts_body(1, &[sel(7, 400, (0, 65535), &V4_ANY)]),
        ),
        (
            "truncated selector",
            ts_body(1, &[sel(7, 16, (0, 65535), &V4_ANY[..3])]),
        ),
        (
            "start address after end",
            ts_body(1, &[sel(7, 16, (0, 65535), &[10, 1, 0, 9, 10, 1, 0, 1])]),
        ),
        (
            "start port after end",
            ts_body(1, &[sel(7, 16, (500, 10), &V4_ANY)]),
        ),
        (
            "unknown type",
            ts_body(1, &[sel(9, 16, (0, 65535), &V4_ANY)]),
        ),
        (
            "IPv4 type with IPv6 length",
            ts_body(1, &[sel(7, 40, (0, 65535), &[0; 32])]),
        ),
        (
            "IPv6 type with IPv4 length",
            ts_body(1, &[sel(8, 16, (0, 65535), &V4_ANY)]),
        ),
        (
            "count larger than selectors",
            ts_body(255, &[sel(7, 16, (0, 65535), &V4_ANY)]),
        ),
        (
            "count smaller than selectors",
            ts_body(
                1,
                &[
                    sel(7, 16, (0, 65535), &V4_ANY),
                    sel(7, 16, (0, 65535), &V4_ANY),
                ],
            ),
        ),
    ]
}

fn without_ts(p: &[Payload]) -> Vec<Payload> {
    p.iter()
        .filter(|x| !matches!(x, Payload::TsI(_) | Payload::TsR(_)))
        .cloned()
        .collect()
}

#[test]
fn cve_2023_23009_malformed_ts_in_ike_auth() {
    for (what, body) in malformed_ts() {
        for which in [payload::TSI, payload::TSR] {
            // A clean pair up to the initiator's IKE_AUTH request, which we rewrite.
            let mut p = Pair::new(3);
            p.pump(2, |_, _, _| true); // IKE_SA_INIT
            p.collect();
            let (to, req) = p.queue.pop_front().expect("IKE_AUTH request");
            assert_eq!(to, 1);
            let inner = p.open(1, &req).expect("the responder's keys open it");
            let good_ts: Vec<(u8, Vec<u8>)> = inner
                .iter()
                .filter_map(|x| match x {
                    Payload::TsI(t) => Some((payload::TSI, t)),
                    Payload::TsR(t) => Some((payload::TSR, t)),
                    _ => None,
                })
                .map(|(ty, t)| {
                    let (_, b) = ike_core::wire::emit_payload_chain(&[if ty == payload::TSI {
                        Payload::TsI(t.clone())
                    } else {
                        Payload::TsR(t.clone())
                    }])
                    .unwrap();
                    (ty, b[4..].to_vec())
                })
                .collect();
            let raw: Vec<(u8, Vec<u8>)> = good_ts
                .into_iter()
                .map(|(ty, b)| {
                    if ty == which {
                        (ty, body.clone())
                    } else {
                        (ty, b)
                    }
                })
                .collect();
            let (first, chain) = chain_with_raw(&without_ts(&inner), &raw);
            let msg_id = Message::parse(&req).unwrap().header.message_id;
            let forged = p
                .forge(1, exchange::IKE_AUTH, false, msg_id, first, &chain)
                .unwrap();
            p.inject(1, &forged);
            // No Child SA from a malformed selector; the answer (if any) is an error.
            assert!(
                !p.ops[1]
                    .iter()
                    .any(|o| matches!(o, KernelOp::InstallSa { .. })),
                "{what}: {:?}",
                p.events[1]
            );
            assert!(
                !p.events[1]
                    .iter()
                    .any(|e| matches!(e, Event::ChildSaUp { .. })),
                "{what}"
            );
            if let Some((_, answer)) = p.queue.pop_front() {
                let a = p.open(0, &answer).unwrap_or_default();
                assert!(
                    a.iter()
                        .any(|x| matches!(x, Payload::Notify(n) if n.notify_type < 16384)),
                    "{what}: answer without an error notify: {a:?}"
                );
            }
        }
    }
}

#[test]
fn cve_2023_23009_malformed_ts_in_create_child_sa() {
    for (what, body) in malformed_ts() {
        let mut p = Pair::established(4);
        let installed = p.ops[1]
            .iter()
            .filter(|o| matches!(o, KernelOp::InstallSa { .. }))
            .count();
        // A CREATE_CHILD_SA request from the initiator with the IKE_AUTH SA payload (a fresh
        // SPI), a nonce, and the malformed selectors.
        let mut sa = p
            .auth_request
            .iter()
            .find_map(|x| match x {
                Payload::Sa(s) => Some(s.clone()),
                _ => None,
            })
            .unwrap();
        for prop in &mut sa.proposals {
            prop.spi = vec![0xc1, 0, 0, 9];
        }
        let payloads = vec![
            Payload::Sa(sa),
            Payload::Nonce(NoncePayload { data: vec![7; 32] }),
        ];
        let good = [
            ts_body(1, &[sel(7, 16, (0, 65535), &V4_ANY)]),
            ts_body(
                1,
                &[sel(7, 16, (0, 65535), &[10, 1, 0, 0, 10, 1, 255, 255])],
            ),
        ];
        // The responder's next expected message ID moves on only when it answered.
        let mut msg_id = 2u32;
        for (i, which) in [payload::TSI, payload::TSR].into_iter().enumerate() {
            let raw = vec![
                (
                    payload::TSI,
                    if i == 0 {
                        body.clone()
                    } else {
                        good[0].clone()
                    },
                ),
                (
                    payload::TSR,
                    if i == 1 {
                        body.clone()
                    } else {
                        good[1].clone()
                    },
                ),
            ];
            let (first, chain) = chain_with_raw(&payloads, &raw);
            let forged = p
                .forge(1, exchange::CREATE_CHILD_SA, false, msg_id, first, &chain)
                .unwrap();
            p.inject(1, &forged);
            if let Some((_, answer)) = p.queue.pop_front() {
                msg_id += 1;
                let a = p.open(0, &answer).unwrap_or_default();
                assert!(
                    a.iter()
                        .any(|x| matches!(x, Payload::Notify(n) if n.notify_type < 16384)),
                    "{what} in {which}: answer without an error notify: {a:?}"
                );
            }
            assert_eq!(
                p.ops[1]
                    .iter()
                    .filter(|o| matches!(o, KernelOp::InstallSa { .. }))
                    .count(),
                installed,
                "{what} in {which}: a Child SA was installed"
            );
            assert!(
                p.up(1) && p.up(0),
                "{what} in {which}: the IKE SA went down"
            );
        }
        // The IKE SA still answers liveness checks after all that.
        p.queue.clear();
        let (first, chain) = chain_with_raw(&[], &[]);
        let ping = p
            .forge(1, exchange::INFORMATIONAL, false, msg_id, first, &chain)
            .unwrap();
        p.inject(1, &ping);
        assert_eq!(p.queue.len(), 1, "{what}: no answer to INFORMATIONAL");
    }
}

/// CVE-2021-45079 (strongSwan): an EAP-Success before the EAP method completed made the client
/// accept an unauthenticated gateway key. Here the gateway's second EAP request (the
/// MS-CHAPv2 challenge) is replaced by an EAP-Success: our client must fail and never send an
/// AUTH, and nothing comes up.
#[test]
fn cve_2021_45079_early_eap_success_is_refused() {
    use ike_core::engine::{
        AuthBy, EapCredentials, EapMethod, EapServer, EngineConfig, Failure, LocalAuth, RemoteAuth,
        SecretBytes,
    };
    use ike_core::wire::{emit_payload_chain, EapPayload};
    let der = |n: &str| {
        std::fs::read(format!(
            "{}/tests/vectors/certs/{n}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    };
    let mut resp = forge::responder();
    resp.local_auth = LocalAuth::Certificate {
        chain: vec![der("server_rsa.der")],
        key: SecretBytes::from_slice(&der("server_rsa.key.der")),
    };
    resp.remote_auth = RemoteAuth::Eap(EapServer {
        method: EapMethod::MsChapV2,
        users: vec![("carol".into(), SecretBytes::from_slice(b"pw"))],
    });
    let mut conn = forge::initiator();
    conn.local_auth = LocalAuth::Eap(EapCredentials {
        method: EapMethod::MsChapV2,
        user: "carol".into(),
        password: SecretBytes::from_slice(b"pw"),
    });
    conn.remote_auth = RemoteAuth::Certificate {
        trust_anchors: vec![der("ca.der")],
        require_id_match: true,
        peer_name: None,
        revocation: Default::default(),
    };
    let cfg = EngineConfig {
        wall_clock_at_zero: Some(1_798_000_000 - 1000),
        ..EngineConfig::default()
    };
    let mut p = Pair::with(45079, cfg, resp, conn);
    let mut forged = false;
    let mut auth_sent = false;
    p.pump(40, |p, to, bytes| {
        let Ok(m) = Message::parse(bytes) else {
            return true;
        };
        if m.header.exchange_type != exchange::IKE_AUTH {
            return true;
        }
        if to == 1
            && p.open(1, bytes)
                .is_some_and(|pl| pl.iter().any(|x| matches!(x, Payload::Auth(_))))
        {
            auth_sent = true;
        }
        if to == 0 && m.header.flags.response && m.header.message_id == 2 {
            let success = Payload::Eap(EapPayload {
                code: 3,
                identifier: 7,
                eap_type: None,
                data: Vec::new(),
            });
            let (first, inner) = emit_payload_chain(&[success]).unwrap();
            *bytes = p
                .forge(0, exchange::IKE_AUTH, true, 2, first, &inner)
                .unwrap();
            forged = true;
        }
        true
    });
    assert!(forged, "{:?}", p.events[0]);
    assert!(
        !auth_sent,
        "the client sent an AUTH after an early EAP-Success"
    );
    assert!(
        p.events[0].iter().any(|e| matches!(
            e,
            Event::Failed {
                failure: Failure::AuthenticationFailed { by: AuthBy::Us, detail },
                ..
            } if detail.contains("before the EAP method completed")
        )),
        "{:?}",
        p.events[0]
    );
    assert!(!p.up(0) && !p.up(1));
    assert!(!p.ops[0]
        .iter()
        .any(|o| matches!(o, KernelOp::InstallSa { .. })));
}
