//! Proposal negotiation, responder and initiator side.

// Test helpers outside #[test] functions may unwrap and index.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use ike_core::ids::{encr, esn, integ, ke, prf, protocol, transform_type as tt};
use ike_core::proposal::{
    accept_invalid_ke, default_esp, default_ike, esp_with_pfs, parse, pfs_groups, select_esp,
    select_ike, verify_esp_response, verify_ike_response, without_pfs, ChosenEsp, ChosenIke,
    NegotiateOptions, NegotiationError, OfferedProposal, Preference, ProposalSet, Protocol,
    TransformSpec,
};

fn offer(protocol: Protocol, s: &str) -> Vec<OfferedProposal> {
    parse(protocol, s)
        .unwrap()
        .iter()
        .enumerate()
        .map(|(i, p)| OfferedProposal::from_proposal(u8::try_from(i + 1).unwrap(), vec![], p))
        .collect()
}

fn esp_offer(s: &str, spi: [u8; 4]) -> Vec<OfferedProposal> {
    parse(Protocol::Esp, s)
        .unwrap()
        .iter()
        .enumerate()
        .map(|(i, p)| OfferedProposal::from_proposal(u8::try_from(i + 1).unwrap(), spi.to_vec(), p))
        .collect()
}

fn set(protocol: Protocol, s: &str) -> ProposalSet {
    parse(protocol, s).unwrap()
}

const OURS: NegotiateOptions = NegotiateOptions {
    preference: Preference::Ours,
    ke_hint: None,
    skip_ke: false,
};
const PEER: NegotiateOptions = NegotiateOptions {
    preference: Preference::Peer,
    ke_hint: None,
    skip_ke: false,
};

#[test]
fn default_is_our_preference() {
    assert_eq!(NegotiateOptions::default().preference, Preference::Ours);
}

#[test]
fn ike_match_with_defaults() {
    let peer = offer(
        Protocol::Ike,
        "aes256gcm16-prfsha384-ecp384,aes128-sha256-modp2048",
    );
    let sel = select_ike(&default_ike(), &peer, &OURS).unwrap();
    assert_eq!(sel.number, 1);
    assert_eq!(
        sel.chosen,
        ChosenIke {
            encr: encr::AES_GCM_16,
            key_bits: Some(256),
            prf: prf::HMAC_SHA2_384,
            integ: None,
            ke: ke::ECP384,
            addke: [None; 7],
        }
    );
    assert!(sel.chosen.is_aead());
    assert_eq!(sel.chosen.to_string(), "aes256gcm16-prfsha384-ecp384");
    assert_eq!(
        sel.chosen.to_transforms(),
        vec![
            TransformSpec::new(tt::ENCR, encr::AES_GCM_16, Some(256)),
            TransformSpec::new(tt::PRF, prf::HMAC_SHA2_384, None),
            TransformSpec::new(tt::KE, ke::ECP384, None),
        ]
    );
}

#[test]
fn preference_order() {
    let ours = set(
        Protocol::Ike,
        "aes256gcm16-prfsha512-x25519,aes128-sha256-ecp256",
    );
    let peer = offer(
        Protocol::Ike,
        "aes128-sha256-ecp256,aes256gcm16-prfsha512-x25519",
    );
    // Ours: our first proposal wins although it is the peer's second.
    let sel = select_ike(&ours, &peer, &OURS).unwrap();
    assert_eq!(sel.number, 2);
    assert_eq!(sel.chosen.encr, encr::AES_GCM_16);
    // Peer: the peer's first acceptable proposal wins.
    let sel = select_ike(&ours, &peer, &PEER).unwrap();
    assert_eq!(sel.number, 1);
    assert_eq!(sel.chosen.encr, encr::AES_CBC);
    assert_eq!(sel.chosen.integ, Some(integ::HMAC_SHA2_256_128));

    // Within a proposal, the transform order follows the same preference.
    let ours = set(Protocol::Ike, "aes256-aes128-sha512-sha256-x25519-ecp256");
    let peer = offer(Protocol::Ike, "aes128-aes256-sha256-sha512-ecp256-x25519");
    let c = select_ike(&ours, &peer, &OURS).unwrap().chosen;
    assert_eq!(
        (c.key_bits, c.integ, c.prf, c.ke),
        (
            Some(256),
            Some(integ::HMAC_SHA2_512_256),
            prf::HMAC_SHA2_512,
            ke::CURVE25519
        )
    );
    let c = select_ike(&ours, &peer, &PEER).unwrap().chosen;
    assert_eq!(
        (c.key_bits, c.integ, c.prf, c.ke),
        (
            Some(128),
            Some(integ::HMAC_SHA2_256_128),
            prf::HMAC_SHA2_256,
            ke::ECP256
        )
    );
}

#[test]
fn ke_hint_avoids_invalid_ke() {
    let peer = offer(Protocol::Ike, "aes256gcm16-prfsha256-x25519-ecp256");
    let opts = NegotiateOptions {
        ke_hint: Some(ke::ECP256),
        ..OURS
    };
    assert_eq!(
        select_ike(&default_ike(), &peer, &opts).unwrap().chosen.ke,
        ke::ECP256
    );
    // A hint that is not acceptable is ignored.
    let opts = NegotiateOptions {
        ke_hint: Some(ke::MODP1024),
        ..OURS
    };
    assert_eq!(
        select_ike(&default_ike(), &peer, &opts).unwrap().chosen.ke,
        ke::CURVE25519
    );
}

#[test]
fn no_match_reports_offered_list() {
    // A Yamaha-style gateway against our defaults: only the KE group differs.
    let peer = offer(Protocol::Ike, "aes128-sha1-modp1024,aes256-sha256-modp1024");
    let ours = default_ike();
    let err = select_ike(&ours, &peer, &OURS).unwrap_err();
    match &err {
        NegotiationError::NoProposalChosen {
            offered,
            ours: our_list,
            mismatched,
        } => {
            assert_eq!(
                offered,
                &vec![
                    "aes128-sha1-modp1024".to_owned(),
                    "aes256-sha256-modp1024".to_owned()
                ]
            );
            assert_eq!(our_list.len(), 2);
            assert_eq!(mismatched, &vec![tt::KE]);
        }
        other => panic!("{other:?}"),
    }
    let msg = err.to_string();
    assert!(
        msg.contains("the peer offered aes128-sha1-modp1024, aes256-sha256-modp1024"),
        "{msg}"
    );
    assert!(msg.contains("key exchange method"), "{msg}");
}

#[test]
fn ke_mismatch_and_unsupported_offers() {
    let ours = set(Protocol::Ike, "aes256-sha256-ecp256");
    let peer = offer(Protocol::Ike, "aes256-sha256-ecp384");
    let err = select_ike(&ours, &peer, &OURS).unwrap_err();
    assert!(
        matches!(&err, NegotiationError::NoProposalChosen { mismatched, .. } if mismatched == &vec![tt::KE]),
        "{err:?}"
    );
    // An offer with algorithms we do not know at all is shown with generic names.
    let weird = vec![OfferedProposal::new(
        1,
        protocol::IKE,
        vec![],
        vec![
            TransformSpec::new(tt::ENCR, encr::AES_CTR, Some(256)),
            TransformSpec::new(tt::PRF, prf::HMAC_MD5, None),
            TransformSpec::new(tt::INTEG, integ::HMAC_MD5_96, None),
            TransformSpec::new(tt::KE, 1025, None),
        ],
    )];
    let err = select_ike(&ours, &weird, &OURS).unwrap_err();
    match err {
        NegotiationError::NoProposalChosen {
            offered,
            mismatched,
            ..
        } => {
            assert_eq!(offered, vec!["aes256ctr-md5-ke1025".to_owned()]);
            assert_eq!(mismatched, vec![tt::ENCR, tt::PRF, tt::INTEG, tt::KE]);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn mandatory_types_and_unknown_types() {
    let ours = default_ike();
    let t = TransformSpec::new;
    // Missing KE.
    let p = OfferedProposal::new(
        1,
        protocol::IKE,
        vec![],
        vec![
            t(tt::ENCR, encr::AES_GCM_16, Some(256)),
            t(tt::PRF, prf::HMAC_SHA2_256, None),
        ],
    );
    assert!(select_ike(&ours, &[p], &OURS).is_err());
    // Missing INTEG with a CBC cipher.
    let p2 = OfferedProposal::new(
        2,
        protocol::IKE,
        vec![],
        vec![
            t(tt::ENCR, encr::AES_CBC, Some(256)),
            t(tt::PRF, prf::HMAC_SHA2_256, None),
            t(tt::KE, ke::ECP256, None),
        ],
    );
    assert!(select_ike(&ours, &[p2], &OURS).is_err());
    // AES-CBC without key length attribute does not match.
    let p3 = OfferedProposal::new(
        3,
        protocol::IKE,
        vec![],
        vec![
            t(tt::ENCR, encr::AES_CBC, None),
            t(tt::PRF, prf::HMAC_SHA2_256, None),
            t(tt::INTEG, integ::HMAC_SHA2_256_128, None),
            t(tt::KE, ke::ECP256, None),
        ],
    );
    assert!(select_ike(&ours, &[p3], &OURS).is_err());
    // AEAD with INTEG NONE is fine; an unknown transform type makes the proposal unusable;
    // ADDKE with NONE offered is accepted (none chosen).
    let base = vec![
        t(tt::ENCR, encr::AES_GCM_16, Some(128)),
        t(tt::PRF, prf::HMAC_SHA2_256, None),
        t(tt::INTEG, integ::NONE, None),
        t(tt::KE, ke::CURVE25519, None),
    ];
    let ok = OfferedProposal::new(1, protocol::IKE, vec![], base.clone());
    assert_eq!(select_ike(&ours, &[ok], &OURS).unwrap().chosen.integ, None);
    let mut unknown = base.clone();
    unknown.push(t(200, 1, None));
    let bad = OfferedProposal::new(1, protocol::IKE, vec![], unknown);
    assert!(select_ike(&ours, &[bad], &OURS).is_err());
    let mut addke = base.clone();
    addke.push(t(tt::ADDKE1, ke::MLKEM768, None));
    let must = OfferedProposal::new(1, protocol::IKE, vec![], addke.clone());
    assert!(select_ike(&ours, &[must], &OURS).is_err());
    addke.push(t(tt::ADDKE1, ke::NONE, None));
    let optional = OfferedProposal::new(1, protocol::IKE, vec![], addke);
    let sel = select_ike(&ours, &[optional], &OURS).unwrap();
    // NONE is chosen for the offered type and echoed; no additional key exchange runs.
    assert_eq!(sel.chosen.addke[0], Some(ke::NONE));
    assert!(sel.chosen.additional().is_empty());
    assert!(sel
        .chosen
        .to_transforms()
        .iter()
        .all(|x| x.ttype <= tt::KE || x.id == ke::NONE));
    // ESP proposals are not considered for IKE.
    let esp = esp_offer("aes256gcm16", [1, 2, 3, 4]);
    assert!(select_ike(&ours, &esp, &OURS).is_err());
}

#[test]
fn esp_match_returns_spi_and_number() {
    let peer = esp_offer("aes128-sha1,aes256gcm16", [0xc0, 0xff, 0xee, 0x01]);
    let sel = select_esp(&default_esp(), &peer, &OURS).unwrap();
    assert_eq!(sel.number, 2);
    assert_eq!(sel.spi, vec![0xc0, 0xff, 0xee, 0x01]);
    assert_eq!(
        sel.chosen,
        ChosenEsp {
            encr: encr::AES_GCM_16,
            key_bits: Some(256),
            integ: None,
            ke: None,
            esn: false,
            addke: [None; 7],
        }
    );
    assert_eq!(
        sel.chosen.to_transforms(),
        vec![
            TransformSpec::new(tt::ENCR, encr::AES_GCM_16, Some(256)),
            TransformSpec::new(tt::ESN, esn::NO, None),
        ]
    );
}

#[test]
fn esp_esn() {
    let ours_no = set(Protocol::Esp, "aes256gcm16-noesn");
    let ours_yes = set(Protocol::Esp, "aes256gcm16-esn");
    let ours_either = default_esp();
    let peer_yes = esp_offer("aes256gcm16-esn", [0; 4]);
    let peer_no = esp_offer("aes256gcm16", [0; 4]);
    let peer_either = esp_offer("aes256gcm16-esn-noesn", [0; 4]);
    assert!(select_esp(&ours_no, &peer_yes, &OURS).is_err());
    let err = select_esp(&ours_no, &peer_yes, &OURS).unwrap_err();
    assert!(
        matches!(&err, NegotiationError::NoProposalChosen { mismatched, .. } if mismatched == &vec![tt::ESN]),
        "{err:?}"
    );
    assert!(select_esp(&ours_yes, &peer_yes, &OURS).unwrap().chosen.esn);
    assert!(
        !select_esp(&ours_either, &peer_no, &OURS)
            .unwrap()
            .chosen
            .esn
    );
    assert!(
        select_esp(&ours_either, &peer_yes, &OURS)
            .unwrap()
            .chosen
            .esn
    );
    // Both accept either: ours prefers no, the peer yes.
    assert!(
        !select_esp(&ours_either, &peer_either, &OURS)
            .unwrap()
            .chosen
            .esn
    );
    assert!(
        select_esp(&ours_either, &peer_either, &PEER)
            .unwrap()
            .chosen
            .esn
    );
    // A peer proposal without ESN transform is read as "no".
    let t = TransformSpec::new;
    let bare = OfferedProposal::new(
        1,
        protocol::ESP,
        vec![1, 2, 3, 4],
        vec![t(tt::ENCR, encr::AES_GCM_16, Some(256))],
    );
    assert!(!select_esp(&ours_either, &[bare], &OURS).unwrap().chosen.esn);
}

#[test]
fn esp_pfs() {
    let ours_pfs = esp_with_pfs(&default_esp(), &pfs_groups(ke::ECP256));
    assert_eq!(ours_pfs.0[0].ke[0], ke::ECP256);
    assert!(ours_pfs.0.iter().all(|p| p.requires_pfs()));
    // Peer wants PFS, we do too.
    let peer = esp_offer("aes256gcm16-x25519", [0; 4]);
    assert_eq!(
        select_esp(&ours_pfs, &peer, &OURS).unwrap().chosen.ke,
        Some(ke::CURVE25519)
    );
    // Peer without PFS, we require it: no match, KE named as the culprit.
    let peer_nopfs = esp_offer("aes256gcm16", [0; 4]);
    let err = select_esp(&ours_pfs, &peer_nopfs, &OURS).unwrap_err();
    assert!(
        matches!(&err, NegotiationError::NoProposalChosen { mismatched, .. } if mismatched == &vec![tt::KE]),
        "{err:?}"
    );
    // Peer requires PFS, we have none: no match.
    assert!(select_esp(&default_esp(), &peer, &OURS).is_err());
    // Peer makes PFS optional with `none`: we may pick no PFS.
    let peer_opt = esp_offer("aes256gcm16-x25519-none", [0; 4]);
    assert_eq!(
        select_esp(&default_esp(), &peer_opt, &OURS)
            .unwrap()
            .chosen
            .ke,
        None
    );
    assert_eq!(
        select_esp(&ours_pfs, &peer_opt, &OURS).unwrap().chosen.ke,
        Some(ke::CURVE25519)
    );
    // Our PFS optional, peer without.
    let ours_opt = set(Protocol::Esp, "aes256gcm16-ecp256-none");
    assert_eq!(
        select_esp(&ours_opt, &peer_nopfs, &OURS).unwrap().chosen.ke,
        None
    );
    // IKE_AUTH: KE transforms ignored on both sides.
    let auth = NegotiateOptions {
        skip_ke: true,
        ..OURS
    };
    let sel = select_esp(&ours_pfs, &peer_nopfs, &auth).unwrap();
    assert_eq!(sel.chosen.ke, None);
    let sel = select_esp(&default_esp(), &peer, &auth).unwrap();
    assert_eq!(sel.chosen.ke, None);
    // CREATE_CHILD_SA with the peer's KE payload group as hint.
    let peer_two = esp_offer("aes256gcm16-x25519-ecp256", [0; 4]);
    let hinted = NegotiateOptions {
        ke_hint: Some(ke::ECP256),
        ..OURS
    };
    let ours_x = esp_with_pfs(&default_esp(), &pfs_groups(ke::CURVE25519));
    assert_eq!(
        select_esp(&ours_x, &peer_two, &hinted).unwrap().chosen.ke,
        Some(ke::ECP256)
    );
    // pfs=no.
    assert!(without_pfs(&ours_pfs).0.iter().all(|p| p.ke.is_empty()));
    // Explicit groups are kept by esp_with_pfs.
    let oci = esp_with_pfs(&set(Protocol::Esp, "aes_gcm256;modp1536"), &[ke::ECP256]);
    assert_eq!(oci.0[0].ke, vec![ke::MODP1536]);
}

#[test]
fn yamaha_and_oci_end_to_end() {
    // We are configured like a Yamaha peer; the gateway (strongSwan style) offers the same.
    let ours_ike = set(Protocol::Ike, "aes128-sha1-modp1024");
    let ours_esp = set(Protocol::Esp, "aes128-sha1-modp1024");
    let sel = select_ike(
        &ours_ike,
        &offer(Protocol::Ike, "aes128-sha1-modp1024"),
        &OURS,
    )
    .unwrap();
    assert_eq!(
        sel.chosen,
        ChosenIke {
            encr: encr::AES_CBC,
            key_bits: Some(128),
            prf: prf::HMAC_SHA1,
            integ: Some(integ::HMAC_SHA1_96),
            ke: ke::MODP1024,
            addke: [None; 7],
        }
    );
    let c = select_esp(&ours_esp, &esp_offer("aes128-sha1-modp1024", [9; 4]), &OURS)
        .unwrap()
        .chosen;
    assert_eq!(c.ke, Some(ke::MODP1024));
    assert_eq!(c.integ, Some(integ::HMAC_SHA1_96));
    // OCI.
    let ours = set(Protocol::Ike, "aes_cbc256-sha2_384;modp1536");
    let c = select_ike(
        &ours,
        &offer(Protocol::Ike, "aes256-sha384-modp1536"),
        &PEER,
    )
    .unwrap()
    .chosen;
    assert_eq!((c.prf, c.ke), (prf::HMAC_SHA2_384, ke::MODP1536));
}

#[test]
fn initiator_verifies_response() {
    let sent = default_ike();
    let t = TransformSpec::new;
    let answer = |n, tr| OfferedProposal::new(n, protocol::IKE, vec![], tr);
    let good = answer(
        2,
        vec![
            t(tt::ENCR, encr::AES_CBC, Some(128)),
            t(tt::PRF, prf::HMAC_SHA2_256, None),
            t(tt::INTEG, integ::HMAC_SHA2_256_128, None),
            t(tt::KE, ke::ECP256, None),
        ],
    );
    let c = verify_ike_response(&sent, &good).unwrap();
    assert_eq!(c.integ, Some(integ::HMAC_SHA2_256_128));
    // The responder's choice round-trips through our own selection output.
    let sel = select_ike(
        &sent,
        &offer(Protocol::Ike, "aes256gcm16-prfsha256-ecp384"),
        &OURS,
    )
    .unwrap();
    let echoed = answer(1, sel.chosen.to_transforms());
    assert_eq!(verify_ike_response(&sent, &echoed).unwrap(), sel.chosen);

    // Two ENCR transforms.
    let two = answer(
        1,
        vec![
            t(tt::ENCR, encr::AES_GCM_16, Some(256)),
            t(tt::ENCR, encr::AES_GCM_16, Some(128)),
            t(tt::PRF, prf::HMAC_SHA2_256, None),
            t(tt::KE, ke::ECP256, None),
        ],
    );
    assert_eq!(
        verify_ike_response(&sent, &two).unwrap_err(),
        NegotiationError::ResponseTransformCount {
            ttype: tt::ENCR,
            count: 2
        }
    );
    // Missing KE.
    let nokey = answer(
        1,
        vec![
            t(tt::ENCR, encr::AES_GCM_16, Some(256)),
            t(tt::PRF, prf::HMAC_SHA2_256, None),
        ],
    );
    assert_eq!(
        verify_ike_response(&sent, &nokey).unwrap_err(),
        NegotiationError::ResponseMissingTransform { ttype: tt::KE }
    );
    // Something we did not propose (modp1024), and a cipher from another proposal number.
    let weak = answer(
        1,
        vec![
            t(tt::ENCR, encr::AES_GCM_16, Some(256)),
            t(tt::PRF, prf::HMAC_SHA2_256, None),
            t(tt::KE, ke::MODP1024, None),
        ],
    );
    let e = verify_ike_response(&sent, &weak).unwrap_err();
    assert!(
        matches!(e, NegotiationError::ResponseNotProposed { .. }),
        "{e:?}"
    );
    assert!(
        e.to_string().contains("aes256gcm16-prfsha256-modp1024"),
        "{e}"
    );
    let wrong_number = answer(2, echoed.transforms.clone());
    assert!(matches!(
        verify_ike_response(&sent, &wrong_number).unwrap_err(),
        NegotiationError::ResponseNotProposed { .. }
    ));
    assert_eq!(
        verify_ike_response(&sent, &answer(3, echoed.transforms.clone())).unwrap_err(),
        NegotiationError::ResponseUnknownNumber {
            number: 3,
            count: 2
        }
    );
    let mut esp_answer = echoed.clone();
    esp_answer.protocol_id = protocol::ESP;
    assert!(matches!(
        verify_ike_response(&sent, &esp_answer).unwrap_err(),
        NegotiationError::ResponseProtocolMismatch { .. }
    ));
}

#[test]
fn initiator_verifies_esp_response() {
    let sent = esp_with_pfs(&default_esp(), &pfs_groups(ke::CURVE25519));
    let t = TransformSpec::new;
    let answer = |n, tr| OfferedProposal::new(n, protocol::ESP, vec![1, 2, 3, 4], tr);
    let ok = answer(
        3,
        vec![
            t(tt::ENCR, encr::AES_CBC, Some(128)),
            t(tt::INTEG, integ::HMAC_SHA2_256_128, None),
            t(tt::KE, ke::MODP2048, None),
            t(tt::ESN, esn::YES, None),
        ],
    );
    let c = verify_esp_response(&sent, &ok).unwrap();
    assert_eq!((c.ke, c.esn), (Some(ke::MODP2048), true));
    // We required PFS; the answer has none.
    let nopfs = answer(
        1,
        vec![
            t(tt::ENCR, encr::AES_GCM_16, Some(128)),
            t(tt::ESN, 0, None),
        ],
    );
    assert!(matches!(
        verify_esp_response(&sent, &nopfs).unwrap_err(),
        NegotiationError::ResponseNotProposed { .. }
    ));
    // Without PFS (IKE_AUTH) it is fine.
    let c = verify_esp_response(&default_esp(), &nopfs).unwrap();
    assert_eq!(c.ke, None);
    // Integrity with an AEAD cipher is refused.
    let bad = answer(
        1,
        vec![
            t(tt::ENCR, encr::AES_GCM_16, Some(128)),
            t(tt::INTEG, integ::HMAC_SHA2_256_128, None),
            t(tt::ESN, 0, None),
        ],
    );
    assert!(verify_esp_response(&default_esp(), &bad).is_err());
    // Two ESN values.
    let two = answer(
        1,
        vec![
            t(tt::ENCR, encr::AES_GCM_16, Some(128)),
            t(tt::ESN, 0, None),
            t(tt::ESN, 1, None),
        ],
    );
    assert_eq!(
        verify_esp_response(&default_esp(), &two).unwrap_err(),
        NegotiationError::ResponseTransformCount {
            ttype: tt::ESN,
            count: 2
        }
    );
}

#[test]
fn invalid_ke_payload_helper() {
    let ours = default_ike();
    assert_eq!(
        accept_invalid_ke(&ours, ke::MODP3072).unwrap(),
        ke::MODP3072
    );
    let e = accept_invalid_ke(&ours, ke::MODP1024).unwrap_err();
    assert_eq!(
        e,
        NegotiationError::KeNotConfigured {
            requested: "modp1024".into(),
            ours: vec![
                "x25519".into(),
                "ecp256".into(),
                "ecp384".into(),
                "modp3072".into(),
                "modp2048".into()
            ],
        }
    );
    assert!(accept_invalid_ke(&ours, ke::NONE).is_err());
    // The retry puts the group first.
    assert_eq!(ours.first_ke(), Some(ke::CURVE25519));
    let retry = ours.promote_ke(ke::MODP3072);
    assert_eq!(retry.first_ke(), Some(ke::MODP3072));
    assert_eq!(retry.0[0].ke.len(), ours.0[0].ke.len());
    let mixed = set(Protocol::Ike, "aes256-sha256-ecp256,aes128-sha256-modp2048");
    let retry = mixed.promote_ke(ke::MODP2048);
    assert_eq!(retry.0[0].ke, vec![ke::MODP2048]);
    assert_eq!(retry.0[1].ke, vec![ke::ECP256]);
}
