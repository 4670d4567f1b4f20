//! Formatting to both syntaxes, neutral transform conversion, and format→parse round trips.

// Test helpers outside #[test] functions may unwrap and index.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use ike_core::ids::{encr, esn, integ, ke, prf, transform_type as tt};
use ike_core::proposal::{
    default_esp, default_ike, format_transforms_strongswan, parse, parse_libreswan,
    parse_strongswan, EncrAlg, Proposal, ProposalSet, Protocol, TransformSpec,
};
use proptest::prelude::*;
use proptest::sample::subsequence;

#[test]
fn strongswan_format_examples() {
    let set = parse_strongswan(Protocol::Ike, "aes256gcm16-prfsha384-ecp384").unwrap();
    assert_eq!(set.to_strongswan(), "aes256gcm16-prfsha384-ecp384");
    // The PRF is implied by the integrity algorithm and left out.
    let set = parse_libreswan(Protocol::Ike, "aes128-sha1-modp1024").unwrap();
    assert_eq!(set.to_strongswan(), "aes128-sha1-modp1024");
    assert_eq!(set.to_string(), "aes128-sha1-modp1024");
    let set = parse_strongswan(Protocol::Ike, "aes128-sha256-prfsha512-x25519").unwrap();
    assert_eq!(set.to_strongswan(), "aes128-sha256-prfsha512-x25519");
    let set = parse_strongswan(Protocol::Esp, "aes128gcm16-ecp256-none-esn-noesn").unwrap();
    assert_eq!(set.to_strongswan(), "aes128gcm16-ecp256-none-esn-noesn");
    let set = parse_strongswan(Protocol::Esp, "aes128-sha256-noesn").unwrap();
    assert_eq!(set.to_strongswan(), "aes128-sha256");
    assert_eq!(
        default_ike().to_strongswan(),
        "aes256gcm16-aes128gcm16-chacha20poly1305-prfsha512-prfsha384-prfsha256-x25519-ecp256-ecp384-modp3072-modp2048,\
         aes256-aes128-sha512-sha384-sha256-x25519-ecp256-ecp384-modp3072-modp2048"
    );
    assert_eq!(
        default_esp().to_strongswan(),
        "aes256gcm16-aes128gcm16-chacha20poly1305-noesn-esn,aes256-sha512-sha256-noesn-esn,aes128-sha256-noesn-esn"
    );
}

#[test]
fn libreswan_format_examples() {
    let set = parse_libreswan(Protocol::Ike, "aes_cbc256-sha2_384;modp1536").unwrap();
    assert_eq!(set.to_libreswan(), "aes256-sha2_384-modp1536");
    let set = parse_libreswan(Protocol::Ike, "aes_gcm256-sha2_512+sha2_256-dh19+dh14").unwrap();
    assert_eq!(
        set.to_libreswan(),
        "aes_gcm256-sha2_512+sha2_256-dh19+modp2048"
    );
    let set = parse_libreswan(Protocol::Esp, "aes_gcm256;modp1536").unwrap();
    assert_eq!(set.to_libreswan(), "aes_gcm256;modp1536");
    let set = parse_libreswan(Protocol::Ike, "aes256-sha2_256-sha1-dh19").unwrap();
    assert_eq!(set.to_libreswan(), "aes256-sha2_256-sha1_96-dh19");
    let set = parse_strongswan(Protocol::Esp, "aes128-sha1-modp1024-none").unwrap();
    assert_eq!(set.to_libreswan(), "aes128-sha1;modp1024+none");
    assert_eq!(
        default_esp().to_libreswan(),
        "aes_gcm256+aes_gcm128+chacha20_poly1305,aes256-sha2_512+sha2_256,aes128-sha2_256"
    );
}

#[test]
fn offered_display_names_unsupported_transforms() {
    let t = |ttype, id, k| TransformSpec::new(ttype, id, k);
    let s = format_transforms_strongswan(
        1,
        &[
            t(tt::ENCR, encr::AES_CTR, Some(128)),
            t(tt::ENCR, 99, None),
            t(tt::PRF, prf::AES128_XCBC, None),
            t(tt::INTEG, integ::HMAC_MD5_96, None),
            t(tt::KE, ke::MODP768, None),
            t(tt::KE, 1025, None),
            t(tt::ADDKE1, ke::MLKEM768, None),
        ],
    );
    assert_eq!(
        s,
        "aes128ctr-encr99-md5-prfaesxcbc-modp768-ke1025-ke1_mlkem768"
    );
}

#[test]
fn neutral_transforms_round_trip() {
    for set in [default_ike(), default_esp()] {
        let proto = set.0[0].protocol;
        let neutral = set.to_transforms();
        assert_eq!(ProposalSet::from_transforms(proto, &neutral).unwrap(), set);
        // Tuples too.
        let tuples: Vec<(u8, u16, Option<u16>)> = neutral[0].iter().map(|t| (*t).into()).collect();
        let back: Vec<TransformSpec> = tuples.into_iter().map(Into::into).collect();
        assert_eq!(back, neutral[0]);
    }
    let p = &default_ike().0[0];
    let tr = p.to_transforms();
    assert_eq!(
        tr[0],
        TransformSpec::new(tt::ENCR, encr::AES_GCM_16, Some(256))
    );
    assert_eq!(
        tr[2],
        TransformSpec::new(tt::ENCR, encr::CHACHA20_POLY1305, None)
    );
    assert_eq!(tr[3], TransformSpec::new(tt::PRF, prf::HMAC_SHA2_512, None));
    assert!(tr
        .iter()
        .all(|t| t.ttype != tt::INTEG && t.ttype != tt::ESN));
    // Order of types does not matter on input.
    let mut shuffled = tr.clone();
    shuffled.reverse();
    let q = Proposal::from_transforms(Protocol::Ike, &shuffled).unwrap();
    assert_eq!(q.ke, p.ke.iter().rev().copied().collect::<Vec<_>>());
}

// ------------------------------------------------------------------------------------------
// Property tests: format → parse gives the same proposals back.
// ------------------------------------------------------------------------------------------

fn shuffled_subset<T: Clone + core::fmt::Debug + 'static>(
    items: Vec<T>,
    min: usize,
) -> impl Strategy<Value = Vec<T>> {
    let n = items.len();
    subsequence(items, min..=n).prop_shuffle()
}

fn encr_strategy(protocol: Protocol, aead: bool) -> BoxedStrategy<Vec<EncrAlg>> {
    let g = |id, k| EncrAlg::new(id, k);
    let list = match (aead, protocol) {
        (true, Protocol::Ike) => vec![
            g(encr::AES_GCM_16, Some(256)),
            g(encr::AES_GCM_16, Some(128)),
            g(encr::CHACHA20_POLY1305, None),
        ],
        (true, Protocol::Esp) => vec![
            g(encr::AES_GCM_16, Some(256)),
            g(encr::AES_GCM_16, Some(128)),
            g(encr::CHACHA20_POLY1305, None),
            g(encr::AES_GCM_12, Some(128)),
            g(encr::AES_GCM_8, Some(256)),
        ],
        (false, _) => vec![
            g(encr::AES_CBC, Some(128)),
            g(encr::AES_CBC, Some(192)),
            g(encr::AES_CBC, Some(256)),
            g(encr::DES3, None),
        ],
    };
    shuffled_subset(list, 1).boxed()
}

const PRFS: [u16; 4] = [
    prf::HMAC_SHA1,
    prf::HMAC_SHA2_256,
    prf::HMAC_SHA2_384,
    prf::HMAC_SHA2_512,
];
const INTEGS: [u16; 4] = [
    integ::HMAC_SHA1_96,
    integ::HMAC_SHA2_256_128,
    integ::HMAC_SHA2_384_192,
    integ::HMAC_SHA2_512_256,
];
const GROUPS: [u16; 11] = [
    ke::MODP1024,
    ke::MODP1536,
    ke::MODP2048,
    ke::MODP3072,
    ke::MODP4096,
    ke::MODP6144,
    ke::MODP8192,
    ke::ECP256,
    ke::ECP384,
    ke::ECP521,
    ke::CURVE25519,
];

fn groups() -> Vec<u16> {
    GROUPS.to_vec()
}

fn ike_proposal() -> impl Strategy<Value = Proposal> {
    any::<bool>().prop_flat_map(|aead| {
        (
            encr_strategy(Protocol::Ike, aead),
            shuffled_subset(PRFS.to_vec(), 1),
            shuffled_subset(INTEGS.to_vec(), 1),
            shuffled_subset(groups(), 1),
        )
            .prop_map(move |(encr, prf, integ, ke)| Proposal {
                protocol: Protocol::Ike,
                encr,
                prf,
                integ: if aead { vec![] } else { integ },
                ke,
                esn: vec![],
                addke: Default::default(),
            })
    })
}

fn esp_proposal(esn_choices: bool) -> impl Strategy<Value = Proposal> {
    (any::<bool>(), any::<bool>()).prop_flat_map(move |(aead, none)| {
        let mut ke_items = groups();
        if none {
            ke_items.push(ke::NONE);
        }
        let esn = if esn_choices {
            shuffled_subset(vec![esn::NO, esn::YES], 1).boxed()
        } else {
            Just(vec![esn::NO]).boxed()
        };
        (
            encr_strategy(Protocol::Esp, aead),
            shuffled_subset(INTEGS.to_vec(), 1),
            shuffled_subset(ke_items, 0),
            esn,
        )
            .prop_map(move |(encr, integ, ke, esn)| Proposal {
                protocol: Protocol::Esp,
                encr,
                prf: vec![],
                integ: if aead { vec![] } else { integ },
                // A lone `none` is normalized to "no KE" by the parsers.
                ke: if ke == [ike_core::ids::ke::NONE] {
                    vec![]
                } else {
                    ke
                },
                esn,
                addke: Default::default(),
            })
    })
}

fn dedup(v: Vec<Proposal>) -> ProposalSet {
    let mut out: Vec<Proposal> = Vec::new();
    for p in v {
        if !out.contains(&p) {
            out.push(p);
        }
    }
    ProposalSet(out)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn ike_strongswan_round_trip(ps in prop::collection::vec(ike_proposal(), 1..4)) {
        let set = dedup(ps);
        set.validate().unwrap();
        let s = set.to_strongswan();
        prop_assert_eq!(&parse_strongswan(Protocol::Ike, &s).unwrap(), &set, "{}", s);
        prop_assert_eq!(&parse(Protocol::Ike, &s).unwrap(), &set, "auto: {}", s);
    }

    #[test]
    fn ike_libreswan_round_trip(ps in prop::collection::vec(ike_proposal(), 1..4)) {
        let set = dedup(ps);
        let s = set.to_libreswan();
        prop_assert_eq!(&parse_libreswan(Protocol::Ike, &s).unwrap(), &set, "{}", s);
        prop_assert_eq!(&parse(Protocol::Ike, &s).unwrap(), &set, "auto: {}", s);
    }

    #[test]
    fn esp_strongswan_round_trip(ps in prop::collection::vec(esp_proposal(true), 1..4)) {
        let set = dedup(ps);
        set.validate().unwrap();
        let s = set.to_strongswan();
        prop_assert_eq!(&parse_strongswan(Protocol::Esp, &s).unwrap(), &set, "{}", s);
        prop_assert_eq!(&parse(Protocol::Esp, &s).unwrap(), &set, "auto: {}", s);
    }

    #[test]
    fn esp_libreswan_round_trip(ps in prop::collection::vec(esp_proposal(false), 1..4)) {
        let set = dedup(ps);
        let s = set.to_libreswan();
        prop_assert_eq!(&parse_libreswan(Protocol::Esp, &s).unwrap(), &set, "{}", s);
        prop_assert_eq!(&parse(Protocol::Esp, &s).unwrap(), &set, "auto: {}", s);
    }

    #[test]
    fn neutral_round_trip(p in prop_oneof![ike_proposal(), esp_proposal(true)]) {
        let back = Proposal::from_transforms(p.protocol, &p.to_transforms()).unwrap();
        prop_assert_eq!(back, p);
    }

    #[test]
    fn parsers_never_panic(s in "[a-z0-9_;+,!= -]{0,40}") {
        let _ = parse(Protocol::Ike, &s);
        let _ = parse(Protocol::Esp, &s);
    }
}
