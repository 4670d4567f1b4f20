//! Criterion micro-benchmarks of the key schedule and the other primitives of one IKE SA
//! (AES-GCM-256, PRF-HMAC-SHA256, X25519, PSK): prf+, SKEYSEED + SK_* derivation, Child SA
//! KEYMAT, PSK AUTH, the SK payload AEAD at IKE_AUTH size, X25519.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use ike_core::crypto::prf::prf_plus;
use ike_core::crypto::{
    auth, default_provider, AesKeySize, ChildSaKeys, DeterministicRng, Encr, EspSuite,
    IkeSaKeyInputs, IkeSaKeys, IkeSuite, KeGroup, Prf, Role, SharedSecret,
};

fn bench_crypto(c: &mut Criterion) {
    let p = default_provider();
    let mut rng = DeterministicRng::from_u64(7);
    let suite = IkeSuite {
        encr: Encr::AesGcm16(AesKeySize::Aes256),
        prf: Prf::HmacSha256,
        integ: None,
    };
    let esp = EspSuite {
        encr: Encr::AesGcm16(AesKeySize::Aes256),
        integ: None,
    };
    let ni = [0x11u8; 32];
    let nr = [0x22u8; 32];
    let shared = SharedSecret::from_slice(&[0x33u8; 32]);
    let inputs = IkeSaKeyInputs {
        ni: &ni,
        nr: &nr,
        spi_i: [1; 8],
        spi_r: [2; 8],
    };
    let keys = IkeSaKeys::derive_initial(p, &suite, &shared, &inputs).unwrap();

    let mut g = c.benchmark_group("crypto");
    // SK_* for AES-GCM-256 + PRF-HMAC-SHA256: 3*32 + 2*36 = 168 octets = 6 blocks
    g.bench_function("prf_plus/sha256_168", |b| {
        b.iter(|| {
            prf_plus(
                p,
                Prf::HmacSha256,
                black_box(&[0x44u8; 32]),
                &[&ni, &nr, &[1; 8], &[2; 8]],
                168,
            )
            .unwrap()
        })
    });
    g.bench_function("ike_sa_keys/skeyseed+sk", |b| {
        b.iter(|| IkeSaKeys::derive_initial(p, &suite, black_box(&shared), &inputs).unwrap())
    });
    g.bench_function("ike_sa_keys/sk_ciphers", |b| {
        b.iter(|| keys.sk_ciphers(p, &suite, Role::Responder).unwrap())
    });
    g.bench_function("child_sa_keys/keymat", |b| {
        b.iter(|| {
            ChildSaKeys::derive(
                p,
                Prf::HmacSha256,
                black_box(&keys.sk_d),
                &esp,
                None,
                &ni,
                &nr,
            )
            .unwrap()
        })
    });
    let init_msg = vec![0x55u8; 232];
    let id = b"\x03\0\0\0client@bench.test";
    g.bench_function("auth/psk", |b| {
        b.iter(|| {
            let o =
                auth::signed_octets(p, Prf::HmacSha256, &init_msg, &nr, &keys.sk_pi, id).unwrap();
            auth::psk_auth(p, Prf::HmacSha256, b"bench-psk-0123456789-abcdef", &o).unwrap()
        })
    });
    let (out_c, in_c) = keys.sk_ciphers(p, &suite, Role::Responder).unwrap();
    let (peer_out, _) = keys.sk_ciphers(p, &suite, Role::Initiator).unwrap();
    let aad = [0u8; 32];
    let plain = vec![0x66u8; 220];
    let body = peer_out.encrypt(&aad, &plain, &mut rng).unwrap();
    g.bench_function("sk/encrypt_220", |b| {
        b.iter(|| out_c.encrypt(&aad, black_box(&plain), &mut rng).unwrap())
    });
    g.bench_function("sk/decrypt_220", |b| {
        b.iter(|| in_c.decrypt(&aad, black_box(&body)).unwrap())
    });
    let peer = p.start_ke(KeGroup::Curve25519, &mut rng).unwrap();
    let peer_pub = peer.public_value().to_vec();
    g.bench_function("x25519/keygen+dh", |b| {
        b.iter(|| {
            let ke = p.start_ke(KeGroup::Curve25519, &mut rng).unwrap();
            ke.complete(black_box(&peer_pub)).unwrap()
        })
    });
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
    targets = bench_crypto
}
criterion_main!(benches);
