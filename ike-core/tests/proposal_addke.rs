//! RFC 9370 additional key exchanges in both proposal syntaxes: strongSwan's `keN_` tokens,
//! Libreswan's extra KE fields and `;addkeN=`, the formats back, and the refusals.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use ike_core::ids::ke;
use ike_core::proposal::{parse, parse_libreswan, parse_strongswan, ProposalError, Protocol};

#[test]
fn strongswan_ke1_tokens() {
    let p = &parse_strongswan(Protocol::Ike, "aes256gcm16-sha384-x25519-ke1_mlkem768")
        .unwrap()
        .0[0];
    assert_eq!(p.ke, vec![ke::CURVE25519]);
    assert_eq!(p.addke[0], vec![ke::MLKEM768]);
    assert!(p.addke[1..].iter().all(Vec::is_empty));
    assert_eq!(
        p.to_strongswan(),
        "aes256gcm16-prfsha384-x25519-ke1_mlkem768"
    );
    // Classic additional key exchanges (strongSwan 6 speaks them), several types, none.
    let p = &parse_strongswan(
        Protocol::Ike,
        "aes256gcm16-prfsha384-x25519-ke1_ecp384-ke1_none-ke3_mlkem1024",
    )
    .unwrap()
    .0[0];
    assert_eq!(p.addke[0], vec![ke::ECP384, ke::NONE]);
    assert!(p.addke[1].is_empty());
    assert_eq!(p.addke[2], vec![ke::MLKEM1024]);
    p.validate().unwrap();
    // ESP with PFS and an additional key exchange.
    let p = &parse_strongswan(Protocol::Esp, "aes256gcm16-x25519-ke1_ecp384")
        .unwrap()
        .0[0];
    assert_eq!(p.ke, vec![ke::CURVE25519]);
    assert_eq!(p.addke[0], vec![ke::ECP384]);
    p.validate().unwrap();
    assert_eq!(p.to_strongswan(), "aes256gcm16-x25519-ke1_ecp384");
}

#[test]
fn libreswan_forms() {
    for s in [
        "aes_gcm256-sha2_384-dh31-ml_kem_768",
        "aes_gcm256-sha2_384;dh31-ml_kem_768",
        "aes_gcm256-sha2_384;dh31;addke1=ml_kem_768",
        "aes_gcm256-sha2_384-dh31;addke1=mlkem768",
    ] {
        let p = &parse_libreswan(Protocol::Ike, s).unwrap().0[0];
        assert_eq!(p.ke, vec![ke::CURVE25519], "{s}");
        assert_eq!(p.addke[0], vec![ke::MLKEM768], "{s}");
        // Formats back to a form that parses to the same proposal, in both syntaxes.
        assert_eq!(
            &parse(Protocol::Ike, &p.to_libreswan()).unwrap().0[0],
            p,
            "{s}"
        );
        assert_eq!(
            &parse(Protocol::Ike, &p.to_strongswan()).unwrap().0[0],
            p,
            "{s}"
        );
    }
    assert_eq!(
        parse_libreswan(Protocol::Ike, "aes_gcm256-sha2_384-dh31-ml_kem_768")
            .unwrap()
            .to_libreswan(),
        "aes_gcm256-sha2_384-dh31;addke1=ml_kem_768"
    );
    let p = &parse_libreswan(
        Protocol::Ike,
        "aes-sha2;dh20;addke1=none;addke2=ml_kem_1024",
    )
    .unwrap()
    .0[0];
    assert_eq!(p.addke[0], vec![ke::NONE]);
    assert_eq!(p.addke[1], vec![ke::MLKEM1024]);
    let p = &parse_libreswan(Protocol::Esp, "aes_gcm256;dh31-ml_kem_768")
        .unwrap()
        .0[0];
    assert_eq!((p.ke.clone(), p.addke[0].clone()), (vec![31], vec![36]));
    // Two classic groups in a row keep their old meaning (no additional key exchange):
    // strongSwan's alternatives when the syntax is not told.
    let p = &parse(Protocol::Ike, "aes192-sha512-ecp521-x25519")
        .unwrap()
        .0[0];
    assert_eq!(p.ke, vec![ke::ECP521, ke::CURVE25519]);
    assert!(!p.has_addke());
}

#[test]
fn refusals_name_the_problem() {
    // ML-KEM alone is not a key exchange of its own here.
    let e = parse_strongswan(Protocol::Ike, "aes256gcm16-prfsha384-mlkem768").unwrap_err();
    assert!(e.to_string().contains("ke1_mlkem768"), "{e}");
    let e = parse_libreswan(Protocol::Ike, "aes_gcm256-sha2_384-ml_kem_768").unwrap_err();
    assert!(e.to_string().contains("additional key exchange"), "{e}");
    // ESP additional key exchanges need PFS.
    let e = parse_strongswan(Protocol::Esp, "aes256gcm16-ke1_mlkem768").unwrap_err();
    assert!(e.to_string().contains("PFS"), "{e}");
    let e = parse_libreswan(Protocol::Esp, "aes_gcm256;addke1=ml_kem_768").unwrap_err();
    assert!(e.to_string().contains("PFS"), "{e}");
    // Unknown methods and types.
    let e =
        parse_strongswan(Protocol::Ike, "aes256gcm16-prfsha384-x25519-ke8_mlkem768").unwrap_err();
    assert!(matches!(e, ProposalError::UnknownAlgorithm { .. }), "{e:?}");
    let e = parse_libreswan(Protocol::Ike, "aes-sha2;dh20;addke9=ml_kem_768").unwrap_err();
    assert!(e.to_string().contains("addke1 to addke7"), "{e}");
}
