//! ML-KEM (FIPS 203) as key exchange methods 35/36/37: NIST ACVP known answers (decapsulation
//! of the ACVP ciphertext with the ACVP decapsulation key gives the ACVP shared key), implicit
//! rejection of a modified ciphertext, length and key checks, and the two sides agreeing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use std::collections::HashMap;

use ike_core::crypto::{default_provider, CryptoError, DeterministicRng, KeGroup};

fn vector(name: &str) -> HashMap<String, Vec<u8>> {
    let path = format!("{}/tests/data/mlkem/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), hex::decode(v.trim()).unwrap()))
        .collect()
}

fn known_answer(group: KeGroup, file: &str, pke_len: usize) {
    let v = vector(file);
    let (dk, c, k) = (&v["dk"], &v["c"], &v["k"]);
    let p = default_provider();
    let ke = p.ke_from_private(group, dk).unwrap();
    // FIPS 203: dk = dk_PKE || ek || H(ek) || z; we send ek.
    assert_eq!(ke.public_value().len(), group.public_value_len());
    assert_eq!(
        ke.public_value(),
        &dk[pke_len..pke_len + group.public_value_len()]
    );
    assert_eq!(c.len(), group.responder_value_len());
    assert_eq!(ke.complete(c).unwrap().as_bytes(), k.as_slice(), "{group}");
    // A modified ciphertext is implicitly rejected: a key, but another one.
    let mut bad = c.clone();
    bad[10] ^= 0x01;
    let other = ke.complete(&bad).unwrap();
    assert_ne!(other.as_bytes(), k.as_slice());
    assert_eq!(other.len(), 32);
    // A ciphertext of the wrong length never reaches decapsulation.
    assert_eq!(
        ke.complete(&c[1..]).unwrap_err(),
        CryptoError::InvalidPublicValue("wrong length")
    );
}

#[test]
fn acvp_mlkem512_decapsulation() {
    known_answer(KeGroup::MlKem512, "acvp-512-tc1.txt", 768);
}

#[test]
fn acvp_mlkem768_decapsulation() {
    known_answer(KeGroup::MlKem768, "acvp-768-tc27.txt", 1152);
}

#[test]
fn both_sides_agree_for_every_parameter_set() {
    let p = default_provider();
    let mut rng = DeterministicRng::from_u64(7);
    for (id, group) in [
        (35, KeGroup::MlKem512),
        (36, KeGroup::MlKem768),
        (37, KeGroup::MlKem1024),
    ] {
        assert_eq!(KeGroup::from_iana(id), Some(group));
        assert_eq!(group.iana_id(), id);
        assert!(group.is_kem());
        let initiator = p.start_ke(group, &mut rng).unwrap();
        assert_eq!(initiator.public_value().len(), group.public_value_len());
        let (ct, responder_secret) = p
            .respond_ke(group, initiator.public_value(), &mut rng)
            .unwrap();
        assert_eq!(ct.len(), group.responder_value_len());
        let initiator_secret = initiator.complete(&ct).unwrap();
        assert_eq!(initiator_secret, responder_secret, "{group}");
        assert_eq!(initiator_secret.len(), group.shared_secret_len());
        // An encapsulation key of the wrong length, or whose coefficients are not reduced
        // modulo q (FIPS 203 §7.2 modulus check), is refused.
        let short = &initiator.public_value()[1..];
        assert!(matches!(
            p.respond_ke(group, short, &mut rng),
            Err(CryptoError::InvalidPublicValue(_))
        ));
        let unreduced = vec![0xffu8; group.public_value_len()];
        assert!(matches!(
            p.respond_ke(group, &unreduced, &mut rng),
            Err(CryptoError::InvalidPublicValue(_))
        ));
    }
    // Diffie-Hellman groups answer with their own public value, as before.
    let initiator = p.start_ke(KeGroup::Curve25519, &mut rng).unwrap();
    let (public, s) = p
        .respond_ke(KeGroup::Curve25519, initiator.public_value(), &mut rng)
        .unwrap();
    assert_eq!(initiator.complete(&public).unwrap(), s);
}
