//! A stateful target: an initiator and a responder engine that completed IKE_SA_INIT and
//! IKE_AUTH (PSK, deterministic randomness, see ike-core/tests/forge) and so hold real SK
//! keys; the fuzz input is then a sequence of steps fed to them:
//!
//! - deliver the next queued datagram, optionally with one byte changed;
//! - a protected message forged under the real keys of the IKE SA (to either engine, any
//!   exchange type, request or response, a small message ID), whose inner payload chain is
//!   fuzz data: the encrypted paths (INFORMATIONAL, CREATE_CHILD_SA, IKE_AUTH retries, ...)
//!   are reached past the integrity check;
//! - a raw datagram of fuzz bytes, with the IKE SA's SPIs written over its header half of
//!   the time;
//! - time passes (retransmissions, DPD, lifetimes).
//!
//! Step encoding: one op byte (low 2 bits: kind; bit 2: which engine), then the kind's
//! fields. Invariants: no panic; each engine keeps at most a few IKE SAs; every kernel SA
//! installed is for one of the two addresses.
#![no_main]

#[path = "../../ike-core/tests/forge/mod.rs"]
mod forge;

use forge::{Input, Pair};
use ike_core::engine::KernelOp;
use ike_core::ids::exchange;
use libfuzzer_sys::fuzz_target;
use std::time::Duration;

const EXCHANGES: [u8; 4] = [
    exchange::INFORMATIONAL,
    exchange::CREATE_CHILD_SA,
    exchange::IKE_AUTH,
    exchange::IKE_SA_INIT,
];

fuzz_target!(|data: &[u8]| {
    let mut p = Pair::established(7);
    let mut input = Input(data);
    let mut steps = 0;
    while let Some(op) = input.u8() {
        steps += 1;
        if steps > 64 {
            break;
        }
        let to = usize::from((op >> 2) & 1);
        match op & 3 {
            0 => {
                let Some((dst, mut bytes)) = p.queue.pop_front() else {
                    continue;
                };
                if op & 0x80 != 0 && !bytes.is_empty() {
                    let pos = usize::from(input.u8().unwrap_or(0)) % bytes.len();
                    bytes[pos] ^= input.u8().unwrap_or(1).max(1);
                }
                p.inject(dst, &bytes);
            }
            1 => {
                let ex = EXCHANGES[usize::from(op >> 3) % EXCHANGES.len()];
                let response = op & 0x20 != 0;
                let msg_id = u32::from(input.u8().unwrap_or(0) % 8);
                let first = input.u8().unwrap_or(0);
                let len = usize::from(input.u8().unwrap_or(0));
                let inner = input.bytes(len);
                if let Some(m) = p.forge(to, ex, response, msg_id, first, inner) {
                    p.inject(to, &m);
                }
            }
            2 => {
                let len = usize::from(input.u8().unwrap_or(0)) * 2;
                let mut raw = input.bytes(len).to_vec();
                if op & 0x80 != 0 && raw.len() >= 16 {
                    if let Some(c) = p.handle(to).and_then(|h| p.eng[to].fuzzing_sk_ciphers(h)) {
                        raw[..8].copy_from_slice(&c.spi_i);
                        raw[8..16].copy_from_slice(&c.spi_r);
                    }
                }
                p.inject(to, &raw);
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
    let addrs = [forge::A.ip(), forge::B.ip()];
    for ops in &p.ops {
        for op in ops {
            if let KernelOp::InstallSa { .. } = op {
                let s = format!("{op:?}");
                assert!(addrs.iter().any(|a| s.contains(&a.to_string())));
            }
        }
    }
});
