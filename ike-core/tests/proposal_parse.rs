//! Parsing of Libreswan and strongSwan proposal strings.

// Test helpers outside #[test] functions may unwrap and index.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use ike_core::ids::{encr, esn, integ, ke, prf};
use ike_core::proposal::{
    default_esp, default_ike, detect_syntax, parse, parse_libreswan, parse_strongswan, EncrAlg,
    Proposal, ProposalError, ProposalSet, Protocol, Syntax, DEFAULT_KE,
};

fn cbc(bits: u16) -> EncrAlg {
    EncrAlg::new(encr::AES_CBC, Some(bits))
}
fn gcm(bits: u16) -> EncrAlg {
    EncrAlg::new(encr::AES_GCM_16, Some(bits))
}
const CHACHA: EncrAlg = EncrAlg::new(encr::CHACHA20_POLY1305, None);
const DES3: EncrAlg = EncrAlg::new(encr::DES3, None);

fn ike(encr: Vec<EncrAlg>, prf: Vec<u16>, integ: Vec<u16>, ke: Vec<u16>) -> Proposal {
    Proposal {
        protocol: Protocol::Ike,
        encr,
        prf,
        integ,
        ke,
        esn: vec![],
        addke: Default::default(),
    }
}

fn esp(encr: Vec<EncrAlg>, integ: Vec<u16>, ke: Vec<u16>, esn: Vec<u16>) -> Proposal {
    Proposal {
        protocol: Protocol::Esp,
        encr,
        prf: vec![],
        integ,
        ke,
        esn,
        addke: Default::default(),
    }
}

fn one(set: ProposalSet) -> Proposal {
    assert_eq!(set.len(), 1, "{set:?}");
    set.0.into_iter().next().unwrap()
}

// ------------------------------------------------------------------------------------------
// Libreswan
// ------------------------------------------------------------------------------------------

#[test]
fn libreswan_oci_ike() {
    let p = one(parse_libreswan(Protocol::Ike, "aes_cbc256-sha2_384;modp1536").unwrap());
    assert_eq!(
        p,
        ike(
            vec![cbc(256)],
            vec![prf::HMAC_SHA2_384],
            vec![integ::HMAC_SHA2_384_192],
            vec![ke::MODP1536]
        )
    );
    p.validate().unwrap();
}

#[test]
fn libreswan_oci_phase2alg() {
    let p = one(parse_libreswan(Protocol::Esp, "aes_gcm256;modp1536").unwrap());
    assert_eq!(
        p,
        esp(vec![gcm(256)], vec![], vec![ke::MODP1536], vec![esn::NO])
    );
    assert!(p.requires_pfs());
}

#[test]
fn libreswan_aead_hash_is_prf() {
    let p = one(parse_libreswan(Protocol::Ike, "aes_gcm256-sha2_512+sha2_256-dh19+dh14").unwrap());
    assert_eq!(
        p,
        ike(
            vec![gcm(256)],
            vec![prf::HMAC_SHA2_512, prf::HMAC_SHA2_256],
            vec![],
            vec![ke::ECP256, ke::MODP2048]
        )
    );
}

#[test]
fn libreswan_esp_aead_only() {
    let p = one(parse_libreswan(Protocol::Esp, "aes_gcm256").unwrap());
    assert_eq!(p, esp(vec![gcm(256)], vec![], vec![], vec![esn::NO]));
    assert!(!p.requires_pfs());
}

#[test]
fn libreswan_yamaha_and_3des() {
    let p = one(parse_libreswan(Protocol::Ike, "aes128-sha1-modp1024").unwrap());
    assert_eq!(
        p,
        ike(
            vec![cbc(128)],
            vec![prf::HMAC_SHA1],
            vec![integ::HMAC_SHA1_96],
            vec![ke::MODP1024]
        )
    );
    let p = one(parse_libreswan(Protocol::Ike, "3des-sha1;modp1024").unwrap());
    assert_eq!(
        p,
        ike(
            vec![DES3],
            vec![prf::HMAC_SHA1],
            vec![integ::HMAC_SHA1_96],
            vec![ke::MODP1024]
        )
    );
    // Yamaha phase 2 with PFS modp1024: the hash is the integrity algorithm.
    let p = one(parse_libreswan(Protocol::Esp, "aes128-sha1-modp1024").unwrap());
    assert_eq!(
        p,
        esp(
            vec![cbc(128)],
            vec![integ::HMAC_SHA1_96],
            vec![ke::MODP1024],
            vec![esn::NO]
        )
    );
    let p2 = one(parse_libreswan(Protocol::Esp, "aes128-sha1;modp1024").unwrap());
    assert_eq!(p, p2);
}

#[test]
fn libreswan_cipher_names() {
    let cases: &[(&str, Vec<EncrAlg>)] = &[
        ("aes128", vec![cbc(128)]),
        ("aes256", vec![cbc(256)]),
        ("aes_cbc128", vec![cbc(128)]),
        ("aes_cbc256", vec![cbc(256)]),
        ("aes_cbc_192", vec![cbc(192)]),
        ("aes", vec![cbc(256), cbc(128)]),
        ("aes_cbc", vec![cbc(256), cbc(128)]),
        ("aes-128", vec![cbc(128)]),
        ("aes_gcm", vec![gcm(256), gcm(128)]),
        ("aes_gcm128", vec![gcm(128)]),
        ("aes_gcm_16", vec![gcm(256), gcm(128)]),
        ("aes_gcm_16_256", vec![gcm(256)]),
        ("aes_gcm_16_128", vec![gcm(128)]),
        ("aes_gcm_c_256", vec![gcm(256)]),
        ("AES_GCM256", vec![gcm(256)]),
        ("chacha20_poly1305", vec![CHACHA]),
        ("chacha20poly1305", vec![CHACHA]),
        ("3des", vec![DES3]),
    ];
    for (name, want) in cases {
        let p = one(parse_libreswan(Protocol::Ike, &format!("{name}-sha2_256-dh19")).unwrap());
        assert_eq!(&p.encr, want, "{name}");
    }
    // ESP proposes the smaller key first when the length is omitted (Libreswan's order).
    let p = one(parse_libreswan(Protocol::Esp, "aes-sha2_256").unwrap());
    assert_eq!(p.encr, vec![cbc(128), cbc(256)]);
    // GCM with 8/12-octet ICV: ESP only.
    let p = one(parse_libreswan(Protocol::Esp, "aes_gcm_8_128+aes_gcm_b256").unwrap());
    assert_eq!(
        p.encr,
        vec![
            EncrAlg::new(encr::AES_GCM_8, Some(128)),
            EncrAlg::new(encr::AES_GCM_12, Some(256))
        ]
    );
    let e = parse_libreswan(Protocol::Ike, "aes_gcm_a128-sha2").unwrap_err();
    assert!(matches!(e, ProposalError::NotSupported { .. }), "{e}");
}

#[test]
fn libreswan_hash_names() {
    let cases: &[(&str, u16, u16)] = &[
        ("sha", prf::HMAC_SHA1, integ::HMAC_SHA1_96),
        ("sha1", prf::HMAC_SHA1, integ::HMAC_SHA1_96),
        ("sha2", prf::HMAC_SHA2_256, integ::HMAC_SHA2_256_128),
        ("sha256", prf::HMAC_SHA2_256, integ::HMAC_SHA2_256_128),
        ("sha2_256", prf::HMAC_SHA2_256, integ::HMAC_SHA2_256_128),
        ("sha384", prf::HMAC_SHA2_384, integ::HMAC_SHA2_384_192),
        ("sha2_384", prf::HMAC_SHA2_384, integ::HMAC_SHA2_384_192),
        ("sha512", prf::HMAC_SHA2_512, integ::HMAC_SHA2_512_256),
        ("sha2_512", prf::HMAC_SHA2_512, integ::HMAC_SHA2_512_256),
    ];
    for (name, p, i) in cases {
        let ikep = one(parse_libreswan(Protocol::Ike, &format!("aes256-{name};dh14")).unwrap());
        assert_eq!(ikep.prf, vec![*p], "{name}");
        assert_eq!(ikep.integ, vec![*i], "{name}");
        let espp = one(parse_libreswan(Protocol::Esp, &format!("aes256-{name}")).unwrap());
        assert_eq!(espp.integ, vec![*i], "{name}");
        assert!(espp.prf.is_empty());
    }
}

#[test]
fn libreswan_ke_names() {
    let cases: &[(&str, u16)] = &[
        ("modp1024", ke::MODP1024),
        ("dh2", ke::MODP1024),
        ("modp1536", ke::MODP1536),
        ("dh5", ke::MODP1536),
        ("modp2048", ke::MODP2048),
        ("dh14", ke::MODP2048),
        ("modp3072", ke::MODP3072),
        ("dh15", ke::MODP3072),
        ("modp4096", ke::MODP4096),
        ("dh16", ke::MODP4096),
        ("modp6144", ke::MODP6144),
        ("dh17", ke::MODP6144),
        ("modp8192", ke::MODP8192),
        ("dh18", ke::MODP8192),
        ("ecp_256", ke::ECP256),
        ("dh19", ke::ECP256),
        ("ecp_384", ke::ECP384),
        ("dh20", ke::ECP384),
        ("ecp_521", ke::ECP521),
        ("dh21", ke::ECP521),
        ("curve25519", ke::CURVE25519),
        ("x25519", ke::CURVE25519),
        ("dh31", ke::CURVE25519),
    ];
    for (name, id) in cases {
        let p = one(parse_libreswan(Protocol::Ike, &format!("aes_gcm256-sha2;{name}")).unwrap());
        assert_eq!(p.ke, vec![*id], "{name}");
        let p = one(parse_libreswan(Protocol::Ike, &format!("aes_gcm256-sha2-{name}")).unwrap());
        assert_eq!(p.ke, vec![*id], "{name}");
    }
}

#[test]
fn libreswan_defaults_for_omitted_fields() {
    // IKE with only a cipher: Libreswan's PRFs, same-family integrity, our KE list.
    let p = one(parse_libreswan(Protocol::Ike, "aes256").unwrap());
    assert_eq!(p.prf, vec![prf::HMAC_SHA2_512, prf::HMAC_SHA2_256]);
    assert_eq!(
        p.integ,
        vec![integ::HMAC_SHA2_512_256, integ::HMAC_SHA2_256_128]
    );
    assert_eq!(p.ke, DEFAULT_KE.to_vec());
    // IKE AEAD with KE only.
    let p = one(parse_libreswan(Protocol::Ike, "aes_gcm256;dh20").unwrap());
    assert_eq!(p.prf, vec![prf::HMAC_SHA2_512, prf::HMAC_SHA2_256]);
    assert!(p.integ.is_empty());
    // ESP CBC without integrity: Libreswan's defaults.
    let p = one(parse_libreswan(Protocol::Esp, "aes256").unwrap());
    assert_eq!(
        p.integ,
        vec![integ::HMAC_SHA2_512_256, integ::HMAC_SHA2_256_128]
    );
}

#[test]
fn libreswan_explicit_integ_and_none() {
    // IKE ENCR-PRF-INTEG-KE.
    let p = one(parse_libreswan(Protocol::Ike, "aes256-sha2_256-sha1-dh19").unwrap());
    assert_eq!(p.prf, vec![prf::HMAC_SHA2_256]);
    assert_eq!(p.integ, vec![integ::HMAC_SHA1_96]);
    // ESP AEAD with explicit "no integrity".
    let p = one(parse_libreswan(Protocol::Esp, "aes_gcm-null").unwrap());
    assert_eq!(p.encr, vec![gcm(128), gcm(256)]);
    assert!(p.integ.is_empty() && p.ke.is_empty());
    // ESP KE none alone: no PFS; next to groups: PFS optional.
    let p = one(parse_libreswan(Protocol::Esp, "aes-sha1-none").unwrap());
    assert!(p.ke.is_empty());
    assert!(!p.requires_pfs());
    let p = one(parse_libreswan(Protocol::Esp, "aes-sha1;none").unwrap());
    assert!(p.ke.is_empty());
    let p = one(parse_libreswan(Protocol::Esp, "aes256-sha2;dh14+none").unwrap());
    assert_eq!(p.ke, vec![ke::MODP2048, ke::NONE]);
    // ke= form after ';'.
    let p = one(parse_libreswan(Protocol::Esp, "aes_gcm256;ke=dh19").unwrap());
    assert_eq!(p.ke, vec![ke::ECP256]);
}

/// Decision: an AEAD cipher with an integrity algorithm in ESP is accepted and the integrity
/// algorithm ignored (older RHEL crypto policies emit `esp=aes_gcm256-sha2_256`).
#[test]
fn libreswan_esp_aead_with_integ_is_ignored() {
    let p = one(parse_libreswan(Protocol::Esp, "aes_gcm256-sha2_256").unwrap());
    assert_eq!(p, esp(vec![gcm(256)], vec![], vec![], vec![esn::NO]));
    // The name is still checked.
    let e = parse_libreswan(Protocol::Esp, "aes_gcm256-sha2_257").unwrap_err();
    assert!(matches!(e, ProposalError::UnknownAlgorithm { .. }), "{e}");
}

#[test]
fn libreswan_duplicates_dropped() {
    let p = one(parse_libreswan(Protocol::Ike, "aes+aes256-sha1+sha1-modp2048+dh14").unwrap());
    assert_eq!(p.encr, vec![cbc(256), cbc(128)]);
    assert_eq!(p.prf, vec![prf::HMAC_SHA1]);
    assert_eq!(p.ke, vec![ke::MODP2048]);
    let set = parse_libreswan(Protocol::Ike, "aes-sha1-dh14,aes-sha1-dh14").unwrap();
    assert_eq!(set.len(), 1);
}

/// RHEL / Fedora DEFAULT crypto policy (libreswan back end), current form.
#[test]
fn rhel_default_policy_current() {
    let ike_s = "aes_gcm256+chacha20_poly1305-sha2_512+sha2_256-dh19+dh14+dh20+dh21+dh31+dh15+dh16+dh17+dh18,aes_gcm128-sha2_512+sha2_256-dh19+dh14+dh20+dh21+dh31+dh15+dh16+dh17+dh18,aes256-sha2_512+sha2_256-dh19+dh14+dh20+dh21+dh31+dh15+dh16+dh17+dh18,aes128-sha2_512+sha2_256-dh19+dh14+dh20+dh21+dh31+dh15+dh16+dh17+dh18";
    let set = parse(Protocol::Ike, ike_s).unwrap();
    set.validate().unwrap();
    assert_eq!(set.len(), 4);
    let groups = vec![
        ke::ECP256,
        ke::MODP2048,
        ke::ECP384,
        ke::ECP521,
        ke::CURVE25519,
        ke::MODP3072,
        ke::MODP4096,
        ke::MODP6144,
        ke::MODP8192,
    ];
    let p0 = &set.0[0];
    assert_eq!(p0.encr, vec![gcm(256), CHACHA]);
    assert_eq!(p0.prf, vec![prf::HMAC_SHA2_512, prf::HMAC_SHA2_256]);
    assert!(p0.integ.is_empty());
    assert_eq!(p0.ke, groups);
    let p3 = &set.0[3];
    assert_eq!(p3.encr, vec![cbc(128)]);
    assert_eq!(
        p3.integ,
        vec![integ::HMAC_SHA2_512_256, integ::HMAC_SHA2_256_128]
    );

    let esp_s =
        "aes_gcm256+chacha20_poly1305,aes256-sha2_512+sha2_256,aes_gcm128,aes128-sha2_512+sha2_256";
    let set = parse(Protocol::Esp, esp_s).unwrap();
    set.validate().unwrap();
    assert_eq!(set.len(), 4);
    assert_eq!(set.0[0].encr, vec![gcm(256), CHACHA]);
    assert_eq!(
        set.0[1].integ,
        vec![integ::HMAC_SHA2_512_256, integ::HMAC_SHA2_256_128]
    );
}

/// The RHEL 9 form quoted in the reference notes, and an older form with AEAD+integ in ESP.
#[test]
fn rhel_default_policy_other_forms() {
    let g = "dh19+dh14+dh31+dh21+dh20+dh15+dh16+dh18";
    let ike_s = format!(
        "aes_gcm256-sha2_512+sha2_256-{g},chacha20_poly1305-sha2_512+sha2_256-{g},aes256-sha2_512+sha2_256-{g},aes_gcm128-sha2_512+sha2_256-{g},aes128-sha2_256-{g}"
    );
    let set = parse_libreswan(Protocol::Ike, &ike_s).unwrap();
    set.validate().unwrap();
    assert_eq!(set.len(), 5);
    let esp_s = "aes_gcm256,chacha20_poly1305,aes256-sha2_512+sha1+sha2_256,aes_gcm128,aes128-sha1+sha2_256";
    let set = parse_libreswan(Protocol::Esp, esp_s).unwrap();
    set.validate().unwrap();
    assert_eq!(
        set.0[2].integ,
        vec![
            integ::HMAC_SHA2_512_256,
            integ::HMAC_SHA1_96,
            integ::HMAC_SHA2_256_128
        ]
    );
    let old = "aes_gcm256-sha2_256,aes_gcm256-sha2_512,aes256-sha1,aes256-sha2_512,aes128-sha1,aes128-sha2_256";
    let set = parse_libreswan(Protocol::Esp, old).unwrap();
    set.validate().unwrap();
    // The two AEAD proposals collapse into one once the ignored integrity is dropped.
    assert_eq!(set.len(), 5);
    let old_ike = "aes_gcm256-sha2_256;dh19,aes256-sha1;dh19,aes128-sha2_256;dh14";
    parse_libreswan(Protocol::Ike, old_ike)
        .unwrap()
        .validate()
        .unwrap();
}

// ------------------------------------------------------------------------------------------
// strongSwan
// ------------------------------------------------------------------------------------------

#[test]
fn strongswan_examples() {
    let p = one(parse_strongswan(Protocol::Ike, "aes256-sha384-modp1536").unwrap());
    assert_eq!(
        p,
        ike(
            vec![cbc(256)],
            vec![prf::HMAC_SHA2_384],
            vec![integ::HMAC_SHA2_384_192],
            vec![ke::MODP1536]
        )
    );
    let p = one(parse_strongswan(Protocol::Ike, "aes256gcm16-prfsha384-ecp384").unwrap());
    assert_eq!(
        p,
        ike(
            vec![gcm(256)],
            vec![prf::HMAC_SHA2_384],
            vec![],
            vec![ke::ECP384]
        )
    );
    let p = one(parse_strongswan(Protocol::Ike, "aes128gcm16-prfsha256-x25519").unwrap());
    assert_eq!(
        p,
        ike(
            vec![gcm(128)],
            vec![prf::HMAC_SHA2_256],
            vec![],
            vec![ke::CURVE25519]
        )
    );
    let p = one(parse_strongswan(Protocol::Ike, "aes128-sha1-modp1024").unwrap());
    assert_eq!(
        p,
        ike(
            vec![cbc(128)],
            vec![prf::HMAC_SHA1],
            vec![integ::HMAC_SHA1_96],
            vec![ke::MODP1024]
        )
    );
    let p = one(parse_strongswan(Protocol::Ike, "chacha20poly1305-prfsha256-x25519").unwrap());
    assert_eq!(
        p,
        ike(
            vec![CHACHA],
            vec![prf::HMAC_SHA2_256],
            vec![],
            vec![ke::CURVE25519]
        )
    );
}

#[test]
fn strongswan_token_aliases() {
    let p = one(parse_strongswan(Protocol::Esp, "aes-sha").unwrap());
    assert_eq!(p.encr, vec![cbc(128)]);
    assert_eq!(p.integ, vec![integ::HMAC_SHA1_96]);
    let p = one(parse_strongswan(Protocol::Esp, "aes256gcm128-aes128gcm").unwrap());
    assert_eq!(p.encr, vec![gcm(256), gcm(128)]);
    let p = one(parse_strongswan(Protocol::Esp, "aes256gcm64-aes128gcm96").unwrap());
    assert_eq!(
        p.encr,
        vec![
            EncrAlg::new(encr::AES_GCM_8, Some(256)),
            EncrAlg::new(encr::AES_GCM_12, Some(128))
        ]
    );
    let p = one(parse_strongswan(Protocol::Ike, "AES256-SHA2_512-CURVE25519").unwrap());
    assert_eq!(p.prf, vec![prf::HMAC_SHA2_512]);
    assert_eq!(p.ke, vec![ke::CURVE25519]);
}

#[test]
fn strongswan_esp_pfs_and_esn() {
    let p = one(parse_strongswan(Protocol::Esp, "aes128gcm16-ecp256").unwrap());
    assert_eq!(
        p,
        esp(vec![gcm(128)], vec![], vec![ke::ECP256], vec![esn::NO])
    );
    assert!(p.requires_pfs());
    let p = one(parse_strongswan(Protocol::Esp, "aes128gcm16-ecp256-none").unwrap());
    assert_eq!(p.ke, vec![ke::ECP256, ke::NONE]);
    assert!(!p.requires_pfs());
    let p = one(parse_strongswan(Protocol::Esp, "aes256-sha256-esn").unwrap());
    assert_eq!(p.esn, vec![esn::YES]);
    let p = one(parse_strongswan(Protocol::Esp, "aes256-sha256-esn-noesn").unwrap());
    assert_eq!(p.esn, vec![esn::YES, esn::NO]);
    let p = one(parse_strongswan(Protocol::Esp, "aes256-sha256-noesn").unwrap());
    assert_eq!(p.esn, vec![esn::NO]);
    // AEAD drops integrity; ESP drops PRFs.
    let p = one(parse_strongswan(Protocol::Esp, "aes256gcm16-sha256-prfsha256").unwrap());
    assert_eq!(p, esp(vec![gcm(256)], vec![], vec![], vec![esn::NO]));
}

#[test]
fn strongswan_ike_prf_derivation_and_none() {
    let p = one(parse_strongswan(Protocol::Ike, "aes128-sha256-sha1-ecp256-none").unwrap());
    assert_eq!(p.prf, vec![prf::HMAC_SHA2_256, prf::HMAC_SHA1]);
    assert_eq!(p.ke, vec![ke::ECP256]);
    let p = one(parse_strongswan(Protocol::Ike, "aes128-sha256-prfsha512-ecp256").unwrap());
    assert_eq!(p.prf, vec![prf::HMAC_SHA2_512]);
}

#[test]
fn strongswan_default_keyword_and_strict_flag() {
    assert_eq!(
        parse_strongswan(Protocol::Ike, "default").unwrap(),
        default_ike()
    );
    assert_eq!(
        parse_strongswan(Protocol::Esp, "default").unwrap(),
        default_esp()
    );
    let set = parse_strongswan(Protocol::Ike, "aes128-sha1-modp1024,default").unwrap();
    assert_eq!(set.len(), 1 + default_ike().len());
    let set = parse_strongswan(Protocol::Ike, "aes128-sha1-modp1024!").unwrap();
    assert_eq!(set.len(), 1);
}

// ------------------------------------------------------------------------------------------
// Peer parameter sets
// ------------------------------------------------------------------------------------------

#[test]
fn yamaha_parameter_set() {
    // IKE: aes-cbc 128, SHA1 (PRF and INTEG), modp1024; ESP aes-cbc + sha-hmac with PFS modp1024.
    for input in ["aes128-sha1-modp1024", "aes128-sha1;modp1024"] {
        let p = one(parse(Protocol::Ike, input).unwrap());
        assert_eq!(
            p,
            ike(
                vec![cbc(128)],
                vec![prf::HMAC_SHA1],
                vec![integ::HMAC_SHA1_96],
                vec![ke::MODP1024]
            )
        );
        p.validate().unwrap();
    }
    let p = one(parse(Protocol::Esp, "aes128-sha1-modp1024").unwrap());
    assert_eq!(
        p,
        esp(
            vec![cbc(128)],
            vec![integ::HMAC_SHA1_96],
            vec![ke::MODP1024],
            vec![esn::NO]
        )
    );
}

#[test]
fn oci_parameter_set() {
    let i = parse(Protocol::Ike, "aes_cbc256-sha2_384;modp1536").unwrap();
    i.validate().unwrap();
    assert_eq!(i.0[0].integ, vec![integ::HMAC_SHA2_384_192]);
    let e = parse(Protocol::Esp, "aes_gcm256;modp1536").unwrap();
    e.validate().unwrap();
    assert_eq!(e.0[0].ke, vec![ke::MODP1536]);
}

#[test]
fn aws_parameter_sets() {
    // What the AWS "generic strongSwan" download configures.
    let i = parse(Protocol::Ike, "aes128-sha1-modp1024!").unwrap();
    assert_eq!(i.0[0].ke, vec![ke::MODP1024]);
    let e = parse(Protocol::Esp, "aes128-sha1-modp1024!").unwrap();
    assert_eq!(e.0[0].ke, vec![ke::MODP1024]);
    // Everything an AWS tunnel accepts that we support, in strongSwan syntax.
    let i = parse_strongswan(
        Protocol::Ike,
        "aes256gcm16-aes128gcm16-prfsha512-prfsha384-prfsha256-prfsha1-ecp521-ecp384-ecp256-modp8192-modp6144-modp4096-modp3072-modp2048-modp1024,\
         aes256-aes128-sha512-sha384-sha256-sha1-ecp521-ecp384-ecp256-modp8192-modp6144-modp4096-modp3072-modp2048-modp1024",
    )
    .unwrap();
    i.validate().unwrap();
    assert_eq!(i.0[1].prf.len(), 4);
    let e = parse_strongswan(
        Protocol::Esp,
        "aes256gcm16-aes128gcm16-modp2048-modp1536-ecp256-modp1024,aes256-aes128-sha256-sha1-modp2048-modp1536-ecp256-modp1024",
    )
    .unwrap();
    e.validate().unwrap();
    assert_eq!(
        e.0[1].ke,
        vec![ke::MODP2048, ke::MODP1536, ke::ECP256, ke::MODP1024]
    );
    // And the same in Libreswan syntax.
    let l = parse_libreswan(Protocol::Ike, "aes256+aes128-sha2_256+sha1-dh14+dh2").unwrap();
    l.validate().unwrap();
}

// ------------------------------------------------------------------------------------------
// Syntax detection
// ------------------------------------------------------------------------------------------

#[test]
fn syntax_detection() {
    assert_eq!(
        detect_syntax("aes_gcm256;modp1536"),
        Some(Syntax::Libreswan)
    );
    assert_eq!(detect_syntax("aes128+aes256-sha1"), Some(Syntax::Libreswan));
    assert_eq!(
        detect_syntax("aes_cbc256-sha2_384"),
        Some(Syntax::Libreswan)
    );
    assert_eq!(detect_syntax("aes256-sha2-dh19"), Some(Syntax::Libreswan));
    assert_eq!(
        detect_syntax("aes256gcm16-prfsha384-ecp384"),
        Some(Syntax::StrongSwan)
    );
    assert_eq!(detect_syntax("aes256-sha256-esn"), Some(Syntax::StrongSwan));
    assert_eq!(
        detect_syntax("aes128-sha1-modp1024!"),
        Some(Syntax::StrongSwan)
    );
    assert_eq!(detect_syntax("aes128-sha1-modp1024"), None);
    assert_eq!(detect_syntax("aes256-sha2_256-modp2048"), None);
}

#[test]
fn ambiguous_forms_parse_the_same_in_both() {
    for (proto, s) in [
        (Protocol::Ike, "aes128-sha1-modp1024"),
        (Protocol::Ike, "aes256-sha256-modp2048"),
        (Protocol::Ike, "aes256-sha384-ecp384,aes128-sha256-x25519"),
        (Protocol::Esp, "aes128-sha1-modp1024"),
        (Protocol::Esp, "aes256-sha256"),
        (Protocol::Esp, "3des-sha1"),
    ] {
        let l = parse_libreswan(proto, s).unwrap();
        let w = parse_strongswan(proto, s).unwrap();
        assert_eq!(l, w, "{s}");
        assert_eq!(parse(proto, s).unwrap(), l, "{s}");
    }
}

#[test]
fn auto_parse_falls_back() {
    // Not detectable, invalid for strongSwan (no KE), valid Libreswan.
    let p = one(parse(Protocol::Ike, "aes128-sha1").unwrap());
    assert_eq!(p.ke, DEFAULT_KE.to_vec());
    // strongSwan-only.
    let p = one(parse(Protocol::Ike, "aes256gcm16-prfsha384-ecp384").unwrap());
    assert_eq!(p.ke, vec![ke::ECP384]);
}
