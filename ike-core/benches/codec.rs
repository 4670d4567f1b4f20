//! Criterion micro-benchmarks of the wire codec: parse and emit of real IKE_SA_INIT and
//! IKE_AUTH messages (strongSwan captures in `tests/data/swan-capture/`, AES-GCM, X25519,
//! PSK, with a configuration payload). For IKE_AUTH the outer message (header + SK payload)
//! and the inner payload chain (decrypted content, from the capture's SK vectors) are measured
//! separately; the AEAD itself is in the `crypto` benchmarks.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ike_core::wire::{
    classify_udp_4500, emit_payload_chain, parse_payload_chain, Message, Udp4500,
};

fn capture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/swan-capture")
        .join(name);
    let raw = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if name.ends_with("-4500.bin") {
        match classify_udp_4500(&raw).unwrap() {
            Udp4500::Ike(m) => m.to_vec(),
            other => panic!("{name}: not IKE: {other:?}"),
        }
    } else {
        raw
    }
}

/// The (first inner payload type, inner payloads) of the first two SK vectors of the GCM
/// capture: the IKE_AUTH request (encrypted by the initiator) and response. The vectors'
/// `plain` lines hold the inner payloads without padding.
fn inner_chains() -> Vec<(u8, Vec<u8>)> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/swan-capture/gcm-sk-vectors.txt");
    let text = std::fs::read_to_string(path).unwrap();
    let mut out = Vec::new();
    let mut plain = None;
    for line in text.lines() {
        if let Some(h) = line.strip_prefix("plain ") {
            plain = Some(hex::decode(h).unwrap());
        } else if let Some(h) = line.strip_prefix("assoc ") {
            let assoc = hex::decode(h).unwrap();
            // AAD = IKE header (28) + SK generic header, whose first octet is the inner type
            let first = assoc[28];
            out.push((first, plain.take().unwrap()));
        }
        if out.len() == 2 {
            break;
        }
    }
    out
}

fn bench_codec(c: &mut Criterion) {
    let mut g = c.benchmark_group("codec");
    for (label, file) in [
        ("ike_sa_init_req", "gcm-00-ike_sa_init-req-500.bin"),
        ("ike_sa_init_resp", "gcm-01-ike_sa_init-resp-500.bin"),
        ("ike_auth_req_outer", "gcm-02-ike_auth-req-4500.bin"),
        ("ike_auth_resp_outer", "gcm-03-ike_auth-resp-4500.bin"),
    ] {
        let bytes = capture(file);
        let msg = Message::parse(&bytes).unwrap();
        assert_eq!(msg.emit().unwrap(), bytes, "{file} does not round-trip");
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_function(format!("parse/{label}"), |b| {
            b.iter(|| Message::parse(black_box(&bytes)).unwrap())
        });
        g.bench_function(format!("emit/{label}"), |b| {
            b.iter(|| black_box(&msg).emit().unwrap())
        });
    }
    for ((first, inner), label) in inner_chains()
        .into_iter()
        .zip(["ike_auth_req_inner", "ike_auth_resp_inner"])
    {
        let payloads = parse_payload_chain(first, &inner).unwrap();
        assert_eq!(
            emit_payload_chain(&payloads).unwrap(),
            (first, inner.clone())
        );
        g.throughput(Throughput::Bytes(inner.len() as u64));
        g.bench_function(format!("parse/{label}"), |b| {
            b.iter(|| parse_payload_chain(first, black_box(&inner)).unwrap())
        });
        g.bench_function(format!("emit/{label}"), |b| {
            b.iter(|| emit_payload_chain(black_box(&payloads)).unwrap())
        });
    }
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_codec
}
criterion_main!(benches);
