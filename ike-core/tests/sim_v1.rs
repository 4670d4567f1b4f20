//! IKEv1 simulations: our engine as initiator (Main Mode PSK, Quick Mode) against the minimal
//! responder of `common/v1_responder.rs` on a virtual clock, with loss; the keys the engine
//! hands the kernel are checked against the responder's own KEYMAT.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::Duration;

use ike_core::crypto::{DeterministicRng, Rng};
use ike_core::engine::{
    AuthBy, Direction, Engine, EngineConfig, EspCipher, Event, Failure, KernelEvent, KernelOp, Time,
};
use ike_core::proposal::{parse_libreswan, Protocol};
use ike_core::v1::ids::{doi, exchange, protocol};
use ike_core::v1::wire::{Body, DeletePayload, Flags, Header, Message, Payload};

use crate::common::v1_sim::{check_keys, V1Sim};
use crate::common::{initiator_conn, test_rng};

#[test]
fn main_mode_and_quick_mode_with_pfs_install_the_responders_keys() {
    let mut s = V1Sim::new(
        "k",
        "k",
        "aes256-sha2_256;modp2048",
        "aes128-sha2_256;modp2048",
    );
    assert!(
        s.run(Duration::from_secs(30), V1Sim::child_up),
        "{:?}",
        s.events
    );
    assert!(s.resp.established);
    check_keys(&s);
    let (_, c) = s.installed(Direction::Out);
    assert!(
        matches!(c, EspCipher::Separate { encr_key, integ_key, trunc_bits: 128, .. } if encr_key.len() == 16 && integ_key.len() == 32)
    );
    // Policies follow the SAs: out, in, fwd.
    let policies = s
        .ops
        .iter()
        .filter(|o| matches!(o, KernelOp::InstallPolicy { .. }))
        .count();
    assert_eq!(policies, 3);
    let up = s
        .events
        .iter()
        .find_map(|e| match e {
            Event::IkeSaUp { proposal, .. } => Some(proposal.clone()),
            _ => None,
        })
        .unwrap();
    assert!(up.starts_with("IKEv1 AES-CBC-256"), "{up}");
}

#[test]
fn damaged_answers_never_panic() {
    for seed in 0..8u64 {
        let mut s = V1Sim::new("k", "k", "aes128-sha2_256;ecp256", "aes128-sha2_256");
        s.mrng = crate::common::SimRng(seed);
        s.mutations = 8;
        // Up, or failed for a reason; never a panic, never stuck.
        assert!(
            s.run(Duration::from_secs(120), |s| s.child_up()
                || s.failure().is_some()),
            "seed {seed}: {:?}",
            s.events
        );
    }
}

#[test]
fn damaged_encrypted_answers_never_end_the_connection() {
    for seed in 0..6u64 {
        let mut s = V1Sim::new(
            "k",
            "k",
            "aes128-sha2_256;modp2048",
            "aes128-sha2_256;ecp256",
        );
        s.mrng = crate::common::SimRng(seed);
        s.mutations = 12;
        s.mutate_encrypted_only = true;
        assert!(
            s.run(Duration::from_secs(60), V1Sim::child_up),
            "seed {seed}: {:?}",
            s.events
        );
        assert!(s.failure().is_none(), "seed {seed}: {:?}", s.events);
        check_keys(&s);
    }
}

#[test]
fn quick_mode_without_pfs_and_sha1() {
    let mut s = V1Sim::new("k", "k", "aes128-sha1;modp1024", "aes256-sha1");
    assert!(
        s.run(Duration::from_secs(30), V1Sim::child_up),
        "{:?}",
        s.events
    );
    check_keys(&s);
}

#[test]
fn lost_messages_are_retransmitted() {
    let mut s = V1Sim::new("k", "k", "aes256-sha2_256;ecp256", "aes256-sha2_256");
    // Lose the first message 3, the first message 5 and the first Quick Mode message 1.
    s.drop = vec![1, 3, 5];
    assert!(
        s.run(Duration::from_secs(30), V1Sim::child_up),
        "{:?}",
        s.events
    );
    check_keys(&s);
    assert!(s.now > Time::ZERO);
}

#[test]
fn different_pre_shared_keys_fail_saying_so() {
    let mut s = V1Sim::new("ours", "theirs", "aes256-sha2_256;modp2048", "aes256-sha1");
    assert!(s.run(Duration::from_secs(60), |s| s.failure().is_some()));
    assert!(s.resp.hash_mismatch);
    match s.failure().unwrap() {
        Failure::AuthenticationFailed {
            by: AuthBy::Peer,
            detail,
        } => {
            assert!(detail.contains("pre-shared keys differ"), "{detail}")
        }
        f => panic!("{f:?}"),
    }
    assert!(!s.child_up());
    assert!(s.ops.is_empty(), "nothing for the kernel: {:?}", s.ops);
}

#[test]
fn a_hard_expiry_ends_the_connection_and_a_soft_one_does_not() {
    let mut s = V1Sim::new("k", "k", "aes256-sha2_256;modp2048", "aes256-sha1");
    assert!(s.run(Duration::from_secs(30), V1Sim::child_up));
    let (out_spi, _) = s.installed(Direction::Out);
    s.eng.handle_kernel_event(
        s.now,
        KernelEvent::SaExpired {
            spi: out_spi,
            hard: false,
        },
    );
    s.drain();
    assert!(s.failure().is_none());
    s.eng.handle_kernel_event(
        s.now,
        KernelEvent::SaExpired {
            spi: out_spi,
            hard: true,
        },
    );
    s.drain();
    assert_eq!(s.failure(), Some(&Failure::IpsecLifetimeExpired));
}

#[test]
fn an_unanswered_liveness_check_ends_the_connection() {
    // The responder announces DPD but never answers R-U-THERE.
    let mut eng_conn = initiator_conn("k");
    eng_conn.dpd_delay = Some(Duration::from_secs(5));
    eng_conn.dpd_timeout = Some(Duration::from_secs(10));
    let mut s = V1Sim::with_conn("k", eng_conn, "aes256-sha2_256;modp2048", "aes256-sha1");
    assert!(s.run(Duration::from_secs(30), V1Sim::child_up));
    let up_at = s.now;
    assert!(s.run(Duration::from_secs(60), |s| s.failure().is_some()));
    assert!(
        matches!(s.failure(), Some(Failure::PeerDead { .. })),
        "{:?}",
        s.failure()
    );
    let took = s.now.saturating_since(up_at);
    assert!(
        took >= Duration::from_secs(15) && took <= Duration::from_secs(17),
        "{took:?}"
    );
    assert!(s.resp.informationals >= 3, "{}", s.resp.informationals);
}

#[test]
fn a_refused_phase_1_names_what_we_offered() {
    let mut s = V1Sim::new("k", "k", "aes256-sha2_256;modp2048+ecp256", "aes256-sha1");
    s.resp.refuse_phase1 = true;
    assert!(s.run(Duration::from_secs(60), |s| s.failure().is_some()));
    match s.failure().unwrap() {
        Failure::NoProposalChosen {
            phase: ike_core::engine::Phase::Ike,
            ours,
            theirs: None,
        } => assert_eq!(
            ours,
            &vec![
                "AES-CBC-256/PRF-HMAC-SHA2-256/MODP-2048".to_string(),
                "AES-CBC-256/PRF-HMAC-SHA2-256/ECP-256".to_string()
            ]
        ),
        f => panic!("{f:?}"),
    }
    // It answered two transmissions before we believed it (a stranger's one notify does not
    // decide).
    assert!(s.now >= Time::from_millis(1000), "{:?}", s.now);
}

#[test]
fn forced_encapsulation_floats_to_4500_and_keeps_the_nat_open() {
    let mut c = initiator_conn("k");
    c.force_encap = true;
    c.nat_keepalive = Some(Duration::from_secs(20));
    let mut s = V1Sim::with_conn("k", c, "aes256-sha2_256;modp2048", "aes256-sha1");
    assert!(s.run(Duration::from_secs(30), V1Sim::child_up));
    let encap = s.ops.iter().find_map(|o| match o {
        KernelOp::InstallSa {
            direction: Direction::Out,
            encap,
            ..
        } => Some(*encap),
        _ => None,
    });
    assert_eq!(
        encap,
        Some(Some(ike_core::engine::UdpEncap {
            sport: 4500,
            dport: 4500
        }))
    );
    let up = s.now;
    s.run(Duration::from_secs(100), |_| false);
    let after: Vec<_> = s.keepalives.iter().filter(|t| **t > up).collect();
    assert!(after.len() >= 3, "{:?}", s.keepalives);
    assert!(s.failure().is_none());
}

#[test]
fn a_wrong_hash_r_fails_on_our_side() {
    let mut s = V1Sim::new("k", "k", "aes256-sha2_256;modp2048", "aes256-sha1");
    s.resp.bad_hash_r = true;
    assert!(s.run(Duration::from_secs(60), |s| s.failure().is_some()));
    match s.failure().unwrap() {
        Failure::AuthenticationFailed {
            by: AuthBy::Us,
            detail,
        } => {
            assert!(detail.contains("pre-shared keys differ"), "{detail}")
        }
        f => panic!("{f:?}"),
    }
    assert!(s.ops.is_empty());
}

#[test]
fn an_unanswered_quick_mode_names_phase_2() {
    let mut s = V1Sim::new("k", "k", "aes256-sha2_256;modp2048", "aes256-sha1");
    s.resp.ignore_quick = true;
    assert!(s.run(Duration::from_secs(60), |s| s.failure().is_some()));
    let f = s.failure().unwrap();
    assert!(matches!(f, Failure::QuickModeUnanswered { .. }), "{f:?}");
    assert!(
        f.to_string()
            .contains("accepts none of our Phase 2 proposals or networks"),
        "{f}"
    );
    assert_eq!(
        s.resp.quick_requests, 4,
        "the first try and three retransmissions"
    );
}

#[test]
fn a_quick_mode_before_phase_1_is_dropped() {
    // CVE-2023-38711 pattern: a Quick Mode message with our cookie while Main Mode runs.
    let mut s = V1Sim::new("k", "k", "aes256-sha2_256;modp2048", "aes256-sha1");
    s.drop = vec![0]; // keep Main Mode at message 1
    s.drain();
    let (cky_i, _) = s.eng.ike_sa_spis(ike_core::engine::IkeSaHandle(1)).unwrap();
    let forged = Message::new(
        Header::new(
            cky_i,
            [9; 8],
            exchange::QUICK,
            Flags {
                encryption: true,
                ..Flags::default()
            },
            7,
        ),
        Body::Encrypted {
            first_payload: 8,
            ciphertext: vec![0; 32],
        },
    )
    .emit()
    .unwrap();
    s.deliver(&forged);
    s.drain();
    assert!(s.events.is_empty(), "{:?}", s.events);
    assert!(s.ops.is_empty());
    // Main Mode still completes afterwards.
    s.drop.clear();
    assert!(
        s.run(Duration::from_secs(30), V1Sim::child_up),
        "{:?}",
        s.events
    );
}

#[test]
fn deletes_for_unknown_sas_are_ignored_and_ours_end_the_connection() {
    let mut s = V1Sim::new("k", "k", "aes256-sha2_256;modp2048", "aes256-sha1");
    assert!(s.run(Duration::from_secs(30), V1Sim::child_up));
    // CVE-2023-38712 pattern: a Delete naming an SPI that is not ours.
    let del = |proto, spi: Vec<u8>| {
        Payload::Delete(DeletePayload {
            doi: doi::IPSEC,
            protocol_id: proto,
            spi_size: spi.len() as u8,
            spis: vec![spi],
        })
    };
    let stranger = s
        .resp
        .informational(del(protocol::ESP, vec![1, 2, 3, 4]), 11);
    s.deliver(&stranger);
    let bogus_isakmp = s.resp.informational(del(protocol::ISAKMP, vec![5; 16]), 12);
    s.deliver(&bogus_isakmp);
    s.drain();
    assert!(s.failure().is_none(), "{:?}", s.events);
    // The gateway deletes its IPsec SA (its inbound SPI, our outbound one).
    let (out_spi, _) = s.installed(Direction::Out);
    let ours = s
        .resp
        .informational(del(protocol::ESP, out_spi.to_be_bytes().to_vec()), 13);
    s.deliver(&ours);
    s.drain();
    assert_eq!(s.failure(), Some(&Failure::DeletedByPeer));
    assert!(s
        .ops
        .iter()
        .any(|o| matches!(o, KernelOp::DeleteSa { spi, .. } if *spi == out_spi)));
}

#[test]
fn close_sends_deletes_for_the_ipsec_sa_and_the_isakmp_sa() {
    let mut s = V1Sim::new("k", "k", "aes256-sha2_256;modp2048", "aes256-sha1");
    assert!(s.run(Duration::from_secs(30), V1Sim::child_up));
    let (in_spi, _) = s.installed(Direction::In);
    s.eng.close(s.now, ike_core::engine::IkeSaHandle(1));
    s.drain();
    assert_eq!(
        s.resp.deletes,
        vec![
            (protocol::ESP, in_spi.to_be_bytes().to_vec()),
            (protocol::ISAKMP, s.resp.isakmp_spi())
        ]
    );
    assert!(s
        .events
        .iter()
        .any(|e| matches!(e, Event::IkeSaDown { .. })));
    assert_eq!(s.eng.ike_sa_count(), 0);
}

#[test]
fn ikev1_refuses_what_it_cannot_do_yet() {
    let mut eng = Engine::new(EngineConfig::default(), test_rng(3));
    let mut c = initiator_conn("k");
    c.ikev1 = true;
    c.ike_proposals = parse_libreswan(Protocol::Ike, "aes_gcm256-sha2_256;modp2048")
        .unwrap()
        .0;
    let e = eng.initiate(Time::ZERO, c.clone()).unwrap_err().to_string();
    assert!(e.contains("cannot protect IKEv1 Phase 1"), "{e}");
    c.ike_proposals = parse_libreswan(Protocol::Ike, "aes256-sha2_256;modp2048")
        .unwrap()
        .0;
    c.request_config.ipv4 = true;
    let e = eng.initiate(Time::ZERO, c.clone()).unwrap_err().to_string();
    assert!(e.contains("Mode Config"), "{e}");
    c.request_config.ipv4 = false;
    c.ike_proposals =
        ike_core::proposal::parse(Protocol::Ike, "aes256-sha256-modp2048-ke1_mlkem768")
            .unwrap()
            .0;
    let e = eng.initiate(Time::ZERO, c).unwrap_err().to_string();
    assert!(e.contains("additional key exchanges"), "{e}");
    let _ = Rng::fill(&mut DeterministicRng::from_u64(1), &mut [0u8; 1]);
}
