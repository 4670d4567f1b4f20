//! EAP inside IKE_AUTH (RFC 7296 §2.16) under fuzzing: an EAP-MSCHAPv2 initiator and our EAP
//! server (certificate) that completed IKE_SA_INIT (real SK keys, deterministic randomness, see
//! ike-core/tests/forge); the fuzz input is a sequence of steps:
//!
//! - deliver the next queued datagram, optionally with one byte changed;
//! - an IKE_AUTH message forged under the real keys (to either engine, request or response, a
//!   small message ID) whose inner payload chain is fuzz data, with an EAP payload of fuzz
//!   code, identifier, type and data in front half of the time: the EAP method parsers of both
//!   sides are reached past the integrity check;
//! - time passes.
//!
//! Invariants: no panic; nothing is installed in the kernel unless both sides reported their
//! IKE SA up.
#![no_main]

#[path = "../../ike-core/tests/forge/mod.rs"]
mod forge;

use forge::{Input, Pair};
use ike_core::engine::{
    EapCredentials, EapMethod, EapServer, EngineConfig, Event, KernelOp, LocalAuth, RemoteAuth,
    SecretBytes,
};
use ike_core::ids::{exchange, payload};
use ike_core::wire::{emit_payload_chain, EapPayload, Payload};
use libfuzzer_sys::fuzz_target;
use std::time::Duration;

const SERVER_CERT: &[u8] = include_bytes!("../../ike-core/tests/vectors/certs/server_rsa.der");
const SERVER_KEY: &[u8] = include_bytes!("../../ike-core/tests/vectors/certs/server_rsa.key.der");
const CA: &[u8] = include_bytes!("../../ike-core/tests/vectors/certs/ca.der");
const METHODS: [EapMethod; 3] = [EapMethod::MsChapV2, EapMethod::Gtc, EapMethod::Md5];

fn pair(method: EapMethod) -> Pair {
    let mut resp = forge::responder();
    resp.local_auth = LocalAuth::Certificate {
        chain: vec![SERVER_CERT.to_vec()],
        key: SecretBytes::from_slice(SERVER_KEY),
    };
    resp.remote_auth = RemoteAuth::Eap(EapServer {
        method,
        users: vec![("carol".into(), SecretBytes::from_slice(b"pw"))],
    });
    let mut conn = forge::initiator();
    conn.local_auth = LocalAuth::Eap(EapCredentials {
        method,
        user: "carol".into(),
        password: SecretBytes::from_slice(b"pw"),
    });
    conn.remote_auth = RemoteAuth::Certificate {
        trust_anchors: vec![CA.to_vec()],
        require_id_match: true,
        peer_name: None,
        revocation: Default::default(),
    };
    let cfg = EngineConfig {
        // Inside the test PKI's validity (see ike-core/tests/sim_certs.rs).
        wall_clock_at_zero: Some(1_798_000_000 - 1000),
        ..EngineConfig::default()
    };
    Pair::with(3, cfg, resp, conn)
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input(data);
    let method = METHODS[usize::from(input.u8().unwrap_or(0)) % METHODS.len()];
    let mut p = pair(method);
    // IKE_SA_INIT both ways: both engines hold their keys, the first IKE_AUTH is queued.
    p.pump(2, |_, _, _| true);
    let mut steps = 0;
    while let Some(op) = input.u8() {
        steps += 1;
        if steps > 48 {
            break;
        }
        let to = usize::from((op >> 2) & 1);
        match op & 3 {
            0 | 3 if op & 0x40 == 0 => {
                let Some((dst, mut bytes)) = p.queue.pop_front() else {
                    continue;
                };
                if op & 0x80 != 0 && !bytes.is_empty() {
                    let pos = usize::from(input.u8().unwrap_or(0)) % bytes.len();
                    bytes[pos] ^= input.u8().unwrap_or(1).max(1);
                }
                p.inject(dst, &bytes);
            }
            1 | 2 => {
                let response = to == 0;
                let msg_id = u32::from(input.u8().unwrap_or(0) % 8);
                let mut payloads = Vec::new();
                if op & 0x20 != 0 {
                    let code = input.u8().unwrap_or(1) % 5;
                    let identifier = input.u8().unwrap_or(0);
                    let eap_type = input.u8().unwrap_or(26);
                    let len = usize::from(input.u8().unwrap_or(0));
                    payloads.push(Payload::Eap(EapPayload {
                        code,
                        identifier,
                        eap_type: (code == 1 || code == 2).then_some(eap_type),
                        data: input.bytes(len).to_vec(),
                    }));
                }
                let (mut first, mut inner) = match emit_payload_chain(&payloads) {
                    Ok(c) if !payloads.is_empty() => c,
                    _ => (payload::NONE, Vec::new()),
                };
                if op & 0x10 != 0 {
                    // Raw fuzz bytes as the chain instead.
                    first = input.u8().unwrap_or(0);
                    let len = usize::from(input.u8().unwrap_or(0));
                    inner = input.bytes(len).to_vec();
                }
                if let Some(m) = p.forge(to, exchange::IKE_AUTH, response, msg_id, first, &inner) {
                    p.inject(to, &m);
                }
            }
            _ => {
                let ms = u64::from(input.u8().unwrap_or(0)) * 250;
                p.advance(Duration::from_millis(ms));
            }
        }
        for e in &p.eng {
            assert!(e.fuzzing_sa_handles().len() <= 4, "IKE SAs pile up");
        }
    }
    // A Child SA is installed only by an engine whose IKE SA came up.
    for i in 0..2 {
        let installed = p.ops[i]
            .iter()
            .any(|o| matches!(o, KernelOp::InstallSa { .. }));
        let up = p.events[i]
            .iter()
            .any(|e| matches!(e, Event::IkeSaUp { .. }));
        assert!(
            !installed || up,
            "engine {i} installed an SA without an IKE SA up"
        );
    }
});
