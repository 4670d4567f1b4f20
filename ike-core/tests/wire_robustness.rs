//! Deterministic mutation testing of the wire codec on the captured strongSwan messages:
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! random octet changes, insertions, deletions and length-field rewrites must never panic,
//! and whatever parses must re-emit to something that parses back equal.

use std::path::PathBuf;

use ike_core::wire::*;

/// xorshift64*: a tiny deterministic PRNG, so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn seeds() -> Vec<Vec<u8>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/swan-capture");
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let path = e.unwrap().path();
        if path.extension().is_some_and(|x| x == "bin") {
            let raw = std::fs::read(&path).unwrap();
            let msg = strip_non_esp_marker(&raw).map_or(raw.clone(), <[u8]>::to_vec);
            out.push(msg);
        }
    }
    assert!(!out.is_empty());
    out
}

fn check(bytes: &[u8]) -> bool {
    match Message::parse(bytes) {
        Ok(m) => {
            let again = m.emit().expect("a parsed message must be encodable");
            assert_eq!(again.len(), bytes.len(), "canonical lengths");
            assert_eq!(Message::parse(&again).unwrap(), m);
            if let Some(layout) = m.encrypted_layout() {
                for (iv, icv) in [(8, 16), (16, 12), (16, 16), (16, 32)] {
                    if let Ok(parts) = layout.split(bytes, iv, icv) {
                        // with a null cipher the ciphertext is the padded inner chain
                        if let Ok(inner) = sk_unpad(parts.ciphertext) {
                            if let Ok(chain) = parse_payload_chain(layout.inner_first_type, inner) {
                                let (_, re) = emit_payload_chain(&chain).unwrap();
                                assert_eq!(
                                    parse_payload_chain(layout.inner_first_type, &re).unwrap(),
                                    chain
                                );
                            }
                        }
                    }
                }
            }
            true
        }
        Err(_) => false,
    }
}

#[test]
fn wire_random_mutations_never_panic() {
    let seeds = seeds();
    let mut rng = Rng(0x1ce_c0de_5eed);
    let mut parsed = 0usize;
    for _ in 0..30_000 {
        let mut b = seeds[rng.below(seeds.len())].clone();
        for _ in 0..=rng.below(4) {
            match rng.below(5) {
                0 if !b.is_empty() => {
                    let i = rng.below(b.len());
                    b[i] = rng.next() as u8;
                }
                1 => {
                    let i = rng.below(b.len() + 1);
                    b.insert(i, rng.next() as u8);
                }
                2 if !b.is_empty() => {
                    let i = rng.below(b.len());
                    b.remove(i);
                }
                3 if b.len() >= 4 => {
                    // rewrite a 16-bit field with an interesting value
                    let i = rng.below(b.len() - 1);
                    let v: u16 = [0, 1, 3, 4, 7, 8, 0x7fff, 0xffff, b.len() as u16][rng.below(9)];
                    b[i..i + 2].copy_from_slice(&v.to_be_bytes());
                }
                _ => {}
            }
        }
        // keep the header length consistent half of the time, so the payload walk runs
        if rng.below(2) == 0 && b.len() >= 28 {
            let n = b.len() as u32;
            b[24..28].copy_from_slice(&n.to_be_bytes());
        }
        if check(&b) {
            parsed += 1;
        }
    }
    // the length-consistent half should often still parse
    assert!(parsed > 1000, "only {parsed} mutants parsed");
}

#[test]
fn wire_random_bytes_never_panic() {
    let mut rng = Rng(42);
    for _ in 0..20_000 {
        let len = rng.below(200);
        let mut b: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        if b.len() >= 28 {
            b[17] = 0x20;
            let n = b.len() as u32;
            b[24..28].copy_from_slice(&n.to_be_bytes());
            b[16] = [33u8, 34, 35, 41, 44, 46, 47, 48, 53, 0][rng.below(10)];
        }
        check(&b);
        let _ = parse_payload_chain(b.first().copied().unwrap_or(0), &b);
        let _ = classify_udp_4500(&b);
    }
}
