//! Precise parse errors.

// Test helpers outside #[test] functions may unwrap and index.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use ike_core::ids::transform_type;
use ike_core::proposal::registry::TransformKind;
use ike_core::proposal::{
    parse, parse_libreswan, parse_strongswan, EncrAlg, Proposal, ProposalError, ProposalSet,
    Protocol, TransformSpec,
};

#[test]
fn unknown_with_suggestion_names_token_and_proposal() {
    let e = parse_libreswan(
        Protocol::Ike,
        "aes_gcm256-sha2_512;dh19,aes_gcm999-sha2_512;dh19",
    )
    .unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("\"aes_gcm999\""), "{msg}");
    assert!(msg.contains("proposal 2"), "{msg}");
    assert!(
        msg.contains("ike=aes_gcm256-sha2_512;dh19,aes_gcm999"),
        "{msg}"
    );
    assert!(msg.contains("did you mean aes_gcm256?"), "{msg}");
    assert!(matches!(
        e,
        ProposalError::InvalidKeyLength {
            bits: 999,
            proposal: 2,
            ..
        }
    ));

    let e = parse_libreswan(Protocol::Ike, "aes_gmc256-sha2").unwrap_err();
    match &e {
        ProposalError::UnknownAlgorithm {
            token,
            field,
            proposal,
            suggestion,
            ..
        } => {
            assert_eq!(token, "aes_gmc256");
            assert_eq!(*field, Some(TransformKind::Encr));
            assert_eq!(*proposal, 1);
            assert_eq!(suggestion.as_deref(), Some("aes_gcm256"));
        }
        other => panic!("{other:?}"),
    }
    assert!(e
        .to_string()
        .starts_with("unknown algorithm \"aes_gmc256\" in proposal 1 of ike="));

    let e = parse_libreswan(Protocol::Esp, "aes256-sha2_5112").unwrap_err();
    assert!(
        matches!(&e, ProposalError::UnknownAlgorithm { suggestion: Some(s), field: Some(TransformKind::Integ), .. } if s == "sha2_512"),
        "{e:?}"
    );

    // Undetectable syntax: the Libreswan reading reports it, with a suggestion of any kind.
    let e = parse(Protocol::Ike, "aes256-sha384-ecp3844").unwrap_err();
    assert!(e.to_string().contains("did you mean ecp384?"), "{e}");
    let e = parse_strongswan(Protocol::Ike, "aes256-sha384-ecp3844").unwrap_err();
    assert!(
        matches!(&e, ProposalError::UnknownAlgorithm { suggestion: Some(s), .. } if s == "ecp384"),
        "{e:?}"
    );
    let e = parse_strongswan(
        Protocol::Ike,
        "aes256gcm16-prfsha384-x25519,aes256gmc16-prfsha384-x25519",
    )
    .unwrap_err();
    assert!(e.to_string().contains("proposal 2"), "{e}");
    assert!(e.to_string().contains("did you mean aes256gcm16?"), "{e}");
}

#[test]
fn unknown_without_suggestion() {
    let e = parse_libreswan(Protocol::Esp, "vanitycipher").unwrap_err();
    assert!(
        matches!(
            e,
            ProposalError::UnknownAlgorithm {
                suggestion: None,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(!e.to_string().contains("did you mean"));
}

#[test]
fn md5_is_not_supported_not_unknown() {
    for (proto, s) in [
        (Protocol::Ike, "aes128-md5;modp2048"),
        (Protocol::Esp, "aes128-md5"),
    ] {
        let e = parse_libreswan(proto, s).unwrap_err();
        assert!(
            matches!(&e, ProposalError::NotSupported { token, .. } if token == "md5"),
            "{e:?}"
        );
        assert!(e.to_string().contains("not supported"), "{e}");
    }
    let e = parse_strongswan(Protocol::Ike, "aes128-md5-modp2048").unwrap_err();
    assert!(matches!(e, ProposalError::NotSupported { .. }));
    let e = parse_strongswan(Protocol::Ike, "aes128-sha1-prfmd5-modp2048").unwrap_err();
    assert!(matches!(e, ProposalError::NotSupported { .. }));
}

#[test]
fn other_known_unsupported_names() {
    for s in [
        "aes_ctr256-sha2",
        "camellia256-sha2",
        "aes_ccm_16-null",
        "des-sha1",
        "aes256-sha2;dh22",
        "aes256-sha2;modp768",
        "aes256-sha2;curve448",
        "aes256-aes_xcbc",
    ] {
        let e = parse_libreswan(Protocol::Esp, s).unwrap_err();
        assert!(
            matches!(e, ProposalError::NotSupported { .. }),
            "{s}: {e:?}"
        );
    }
    for s in [
        "aes128ctr-sha256",
        "aes128ccm16",
        "camellia128-sha256",
        "aes192gcm16",
        "aes128-sha256-ecp256bp",
        "aes128-sha256-modp2048s256",
        "aes128-sha256-x25519-ke1_kyber768",
        "aes128-aesxcbc",
    ] {
        let e = parse_strongswan(Protocol::Esp, s).unwrap_err();
        assert!(
            matches!(e, ProposalError::NotSupported { .. }),
            "{s}: {e:?}"
        );
    }
    let e = parse_libreswan(Protocol::Ike, "aes_gcm192-sha2").unwrap_err();
    assert!(e.to_string().contains("192-bit"), "{e}");
    let e = parse_strongswan(Protocol::Ike, "aes128gcm8-prfsha256-ecp256").unwrap_err();
    assert!(e.to_string().contains("only supported for ESP"), "{e}");
}

#[test]
fn empty_inputs_and_fields() {
    for p in [Protocol::Ike, Protocol::Esp] {
        assert_eq!(
            parse_libreswan(p, "  ").unwrap_err(),
            ProposalError::EmptyList { protocol: p }
        );
        assert_eq!(
            parse_strongswan(p, "").unwrap_err(),
            ProposalError::EmptyList { protocol: p }
        );
    }
    let e = parse_libreswan(Protocol::Ike, "aes,").unwrap_err();
    assert!(
        matches!(e, ProposalError::EmptyProposal { proposal: 2, .. }),
        "{e:?}"
    );
    let e = parse_libreswan(Protocol::Ike, ",aes").unwrap_err();
    assert!(
        matches!(e, ProposalError::EmptyProposal { proposal: 1, .. }),
        "{e:?}"
    );
    let e = parse_libreswan(Protocol::Ike, "aes-").unwrap_err();
    assert!(
        matches!(
            e,
            ProposalError::EmptyField {
                field: TransformKind::Prf,
                ..
            }
        ),
        "{e:?}"
    );
    let e = parse_libreswan(Protocol::Ike, "aes+").unwrap_err();
    assert!(
        matches!(
            e,
            ProposalError::EmptyField {
                field: TransformKind::Encr,
                ..
            }
        ),
        "{e:?}"
    );
    let e = parse_libreswan(Protocol::Ike, "aes;").unwrap_err();
    assert!(
        matches!(
            e,
            ProposalError::EmptyField {
                field: TransformKind::Ke,
                ..
            }
        ),
        "{e:?}"
    );
    let e = parse_libreswan(Protocol::Ike, "-aes").unwrap_err();
    assert!(
        matches!(
            e,
            ProposalError::EmptyField {
                field: TransformKind::Encr,
                ..
            }
        ),
        "{e:?}"
    );
    let e = parse_libreswan(Protocol::Esp, "aes-sha1+").unwrap_err();
    assert!(
        matches!(
            e,
            ProposalError::EmptyField {
                field: TransformKind::Integ,
                ..
            }
        ),
        "{e:?}"
    );
    let e = parse_strongswan(Protocol::Esp, "aes--sha1").unwrap_err();
    assert!(matches!(e, ProposalError::Unexpected { .. }), "{e:?}");
    let e = parse_strongswan(Protocol::Esp, "aes-sha1,,aes").unwrap_err();
    assert!(
        matches!(e, ProposalError::EmptyProposal { proposal: 2, .. }),
        "{e:?}"
    );
}

#[test]
fn structural_errors() {
    // AEAD and classic mixed.
    let e = parse_libreswan(Protocol::Ike, "aes+aes_gcm-sha2").unwrap_err();
    assert!(
        matches!(&e, ProposalError::MixedAead { aead, classic, .. } if aead == "aes_gcm" && classic == "aes"),
        "{e:?}"
    );
    let e = parse_strongswan(Protocol::Esp, "aes128gcm16-aes128-sha256").unwrap_err();
    assert!(matches!(e, ProposalError::MixedAead { .. }), "{e:?}");
    // IKE none.
    let e = parse_libreswan(Protocol::Ike, "aes-sha2;none").unwrap_err();
    assert!(matches!(e, ProposalError::Unexpected { .. }), "{e:?}");
    // strongSwan IKE: missing KE, missing PRF with AEAD, missing integrity with CBC.
    let e = parse_strongswan(Protocol::Ike, "aes128-sha256").unwrap_err();
    assert!(
        matches!(
            e,
            ProposalError::Missing {
                field: TransformKind::Ke,
                ..
            }
        ),
        "{e:?}"
    );
    let e = parse_strongswan(Protocol::Ike, "aes128gcm16-x25519").unwrap_err();
    assert!(
        matches!(
            e,
            ProposalError::Missing {
                field: TransformKind::Prf,
                ..
            }
        ),
        "{e:?}"
    );
    let e = parse_strongswan(Protocol::Ike, "aes128-x25519").unwrap_err();
    assert!(
        matches!(
            e,
            ProposalError::Missing {
                field: TransformKind::Integ,
                ..
            }
        ),
        "{e:?}"
    );
    let e = parse_strongswan(Protocol::Esp, "sha256-ecp256").unwrap_err();
    assert!(
        matches!(
            e,
            ProposalError::Missing {
                field: TransformKind::Encr,
                ..
            }
        ),
        "{e:?}"
    );
    // ESN in IKE.
    let e = parse_strongswan(Protocol::Ike, "aes128-sha256-x25519-esn").unwrap_err();
    assert!(matches!(e, ProposalError::Unexpected { .. }), "{e:?}");
    // Too many fields.
    let e = parse_libreswan(Protocol::Esp, "aes-sha1-sha2-dh14").unwrap_err();
    assert!(
        matches!(&e, ProposalError::Unexpected { token, .. } if token == "sha2"),
        "{e:?}"
    );
    let e = parse_libreswan(Protocol::Ike, "aes-sha1-sha1-sha2-dh14").unwrap_err();
    assert!(matches!(e, ProposalError::Unexpected { .. }), "{e:?}");
    // Non-AEAD with "no integrity".
    let e = parse_libreswan(Protocol::Esp, "aes128-null").unwrap_err();
    assert!(matches!(e, ProposalError::Unexpected { .. }), "{e:?}");
    // Key length problems.
    let e = parse_libreswan(Protocol::Esp, "3des168-sha1").unwrap_err();
    assert!(
        matches!(e, ProposalError::InvalidKeyLength { bits: 168, .. }),
        "{e:?}"
    );
    let e = parse_libreswan(Protocol::Esp, "aes250-sha1").unwrap_err();
    assert!(
        matches!(&e, ProposalError::InvalidKeyLength { suggestion: Some(s), .. } if s == "aes256"),
        "{e:?}"
    );
    let e = parse_libreswan(Protocol::Esp, "aes128-128-sha1").unwrap_err();
    assert!(matches!(e, ProposalError::Unexpected { .. }), "{e:?}");
    // Two ';'.
    let e = parse_libreswan(Protocol::Esp, "aes;dh14;dh19").unwrap_err();
    assert!(matches!(e, ProposalError::Unexpected { .. }), "{e:?}");
    // Unsupported key=value forms.
    let e = parse_libreswan(Protocol::Ike, "aes-sha2;prf=sha1").unwrap_err();
    assert!(matches!(e, ProposalError::Unexpected { .. }), "{e:?}");
}

#[test]
fn wrong_place() {
    // A KE method in the PRF position (with the KE field given after ';').
    let e = parse_libreswan(Protocol::Ike, "aes-dh19;dh14").unwrap_err();
    assert!(
        matches!(
            e,
            ProposalError::WrongPlace {
                found: TransformKind::Ke,
                expected: TransformKind::Prf,
                ..
            }
        ),
        "{e:?}"
    );
    // A cipher in the integrity position.
    let e = parse_libreswan(Protocol::Esp, "aes-aes128").unwrap_err();
    assert!(
        matches!(
            e,
            ProposalError::WrongPlace {
                found: TransformKind::Encr,
                expected: TransformKind::Integ,
                ..
            }
        ),
        "{e:?}"
    );
    // A PRF where a KE method belongs.
    let e = parse_libreswan(Protocol::Ike, "aes-sha2;sha1").unwrap_err();
    assert!(
        matches!(
            e,
            ProposalError::WrongPlace {
                expected: TransformKind::Ke,
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn auto_parse_reports_detected_syntax_error() {
    let e = parse(Protocol::Ike, "aes_gcm256-sha2_512;dh99").unwrap_err();
    assert!(e.to_string().contains("dh99"), "{e}");
    let e = parse(Protocol::Ike, "aes256gcm16-prfsha384-ecp999").unwrap_err();
    assert!(e.to_string().contains("ecp999"), "{e}");
}

#[test]
fn from_transforms_errors_and_validate() {
    // ADDKE1..7 are additional key exchanges (RFC 9370); type 13 is nothing we know.
    let p = Proposal::from_transforms(
        Protocol::Ike,
        &[TransformSpec::new(transform_type::ADDKE1, 36, None)],
    )
    .unwrap();
    assert_eq!(p.addke[0], vec![36]);
    let e =
        Proposal::from_transforms(Protocol::Ike, &[TransformSpec::new(13, 36, None)]).unwrap_err();
    assert_eq!(e, ProposalError::UnsupportedTransformType { ttype: 13 });
    assert!(e.to_string().contains("transform type 13"), "{e}");
    let e = Proposal::from_transforms(
        Protocol::Ike,
        &[TransformSpec::new(
            transform_type::ADDKE1 + 1,
            36,
            Some(128),
        )],
    )
    .unwrap_err();
    assert!(e.to_string().contains("additional key exchange 2"), "{e}");
    let e = Proposal::from_transforms(
        Protocol::Ike,
        &[TransformSpec::new(transform_type::PRF, 5, Some(128))],
    )
    .unwrap_err();
    assert!(matches!(e, ProposalError::UnexpectedKeyLength { .. }));

    let mut p = Proposal::new(Protocol::Ike);
    assert!(p.validate().is_err());
    p.encr.push(EncrAlg::new(12, Some(128)));
    p.prf.push(2);
    p.integ.push(1); // HMAC-MD5-96: not supported
    p.ke.push(14);
    let e = p.validate().unwrap_err();
    assert!(
        e.to_string()
            .contains("unsupported integrity algorithm md5"),
        "{e}"
    );
    let e = ProposalSet(vec![
        ike_core::proposal::default_ike().0[0].clone(),
        Proposal::new(Protocol::Esp),
    ])
    .validate()
    .unwrap_err();
    assert!(
        matches!(e, ProposalError::Invalid { proposal: 2, .. }),
        "{e:?}"
    );
}
