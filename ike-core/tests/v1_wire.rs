//! The IKEv1 codec and IV chain against real IKEv1 traffic between two strongSwan charons.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//!
//! The captures in `tests/data/v1-capture/` were made by `fuzz/capture/v1-capture.sh`
//! (strongSwan 5.9.8, two network namespaces, 192.0.2.1 initiator / 192.0.2.2 responder, PSK):
//! - `main-*`: Main Mode aes128-sha256-modp2048, Mode Config pull (Transaction), Quick Mode,
//!   two Informational deletes;
//! - `aggr-*`: Aggressive Mode aes256-sha1-modp2048, Quick Mode (first message retransmitted),
//!   two Informational deletes;
//! - `ls-main-*`, `ls-aggr-*` (`fuzz/capture/v1-capture-ls.sh`): the same charon initiating to
//!   Libreswan 4.10's pluto, which refuses Quick Mode without PFS (encrypted NO_PROPOSAL_CHOSEN)
//!   and deletes the ISAKMP SA; pluto pads messages in the clear to 4 octets and encrypted ones
//!   with 0 to 15 zero octets;
//! - `ls-init-*`: pluto initiating Main Mode to charon, then Quick Mode with PFS (a KE payload)
//!   that charon refuses (NO_PROPOSAL_CHOSEN; pluto retransmits, then deletes).
//!
//! `*-iv-vectors.txt` hold what the initiator's charon logged: the Phase 1 key and IV, the IV
//! after every message, and every plaintext it encrypted or decrypted. The messages in the
//! clear must parse into the expected payloads and emit back byte-identical; the encrypted
//! ones must split where charon's ciphertext starts, follow the IV chain computed here with a
//! real hash, decrypt with the logged key into payload chains that parse, and re-encrypt
//! (emit, zero padding, CBC) to the captured bytes.

use std::collections::HashMap;
use std::path::PathBuf;

use ike_core::crypto::{AesKeySize, CryptoProvider, Encr, HashAlg, AWS_LC_PROVIDER};
use ike_core::v1::ids::{cfg, doi, exchange, id_type, oakley_attr, payload as pt, protocol};
use ike_core::v1::iv_chain::{next_iv, phase1_iv, phase2_iv};
use ike_core::v1::wire::*;

/// INITIAL-CONTACT (RFC 2407 §4.6.3.3).
const INITIAL_CONTACT: u16 = 24578;

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/v1-capture")
}

/// The captured files of `scenario`, in order: (name, ISAKMP message without the non-ESP
/// marker).
fn messages(scenario: &str) -> Vec<(String, Vec<u8>)> {
    let mut names: Vec<String> = std::fs::read_dir(data_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with(&format!("{scenario}-")) && n.ends_with(".bin"))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|n| {
            let raw = std::fs::read(data_dir().join(&n)).unwrap();
            let msg = if n.ends_with("-4500.bin") {
                assert_eq!(&raw[..4], &[0, 0, 0, 0], "{n}: non-ESP marker");
                raw[4..].to_vec()
            } else {
                raw
            };
            (n, msg)
        })
        .collect()
}

/// One line of `<scenario>-iv-vectors.txt`.
#[derive(Debug)]
enum Vector {
    Key(Vec<u8>),
    InitialIv(Vec<u8>),
    NextIv(u32, Vec<u8>),
    Encrypt {
        plain: Vec<u8>,
        padding: Vec<u8>,
        encrypted: Vec<u8>,
    },
    Decrypt {
        encrypted: Vec<u8>,
        plain: Vec<u8>,
    },
}

fn vectors(scenario: &str) -> Vec<Vector> {
    let text =
        std::fs::read_to_string(data_dir().join(format!("{scenario}-iv-vectors.txt"))).unwrap();
    text.lines()
        .map(|l| {
            let mut w = l.split_whitespace();
            let kind = w.next().unwrap();
            let kv: HashMap<&str, Vec<u8>> = l
                .split_whitespace()
                .filter_map(|f| f.split_once('='))
                .map(|(k, v)| (k, hex::decode(v).unwrap()))
                .collect();
            match kind {
                "key" => Vector::Key(hex::decode(w.next().unwrap()).unwrap()),
                "initial-iv" => Vector::InitialIv(hex::decode(w.next().unwrap()).unwrap()),
                "next-iv" => {
                    let mid = w.next().unwrap().parse().unwrap();
                    Vector::NextIv(mid, hex::decode(w.next().unwrap()).unwrap())
                }
                "encrypt" => Vector::Encrypt {
                    plain: kv["plain"].clone(),
                    padding: kv["padding"].clone(),
                    encrypted: kv["encrypted"].clone(),
                },
                "decrypt" => Vector::Decrypt {
                    encrypted: kv["encrypted"].clone(),
                    plain: kv["plain"].clone(),
                },
                k => panic!("unknown vector line {k}"),
            }
        })
        .collect()
}

/// True for the captured files Libreswan's pluto sent (it answers in `ls-main` / `ls-aggr`
/// and initiates in `ls-init`).
fn sent_by_pluto(name: &str) -> bool {
    (name.starts_with("ls-init-") && name.contains("-i2r-"))
        || ((name.starts_with("ls-main-") || name.starts_with("ls-aggr-"))
            && name.contains("-r2i-"))
}

fn types(payloads: &[Payload]) -> Vec<u8> {
    payloads.iter().map(Payload::payload_type).collect()
}

#[test]
fn every_capture_parses_and_emits_byte_identical() {
    for scenario in ["main", "aggr", "ls-main", "ls-aggr", "ls-init"] {
        for (name, bytes) in messages(scenario) {
            let msg = Message::parse(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(msg.emit().unwrap(), bytes, "{name}");
            assert_eq!(msg.header.major_version, 1, "{name}");
            // the clear ones also round-trip through their typed payloads
            if let Body::Clear(p) = &msg.body {
                let (first, chain) = emit_payload_chain(p).unwrap();
                assert_eq!(first, bytes[16], "{name}");
                assert_eq!(
                    chain,
                    bytes[Header::LEN..bytes.len() - msg.padding],
                    "{name}"
                );
                // only Libreswan pads messages in the clear (to 4 octets)
                let pluto = sent_by_pluto(&name);
                assert!(msg.padding == 0 || pluto, "{name}");
                assert!(!pluto || bytes.len() % 4 == 0, "{name}");
            }
        }
    }
}

#[test]
fn main_mode_messages_in_the_clear() {
    let msgs = messages("main");
    let parsed: Vec<Message> = msgs
        .iter()
        .map(|(_, b)| Message::parse(b).unwrap())
        .collect();
    let want: [&[u8]; 4] = [
        &[
            pt::SA,
            pt::VENDOR_ID,
            pt::VENDOR_ID,
            pt::VENDOR_ID,
            pt::VENDOR_ID,
            pt::VENDOR_ID,
        ],
        &[
            pt::SA,
            pt::VENDOR_ID,
            pt::VENDOR_ID,
            pt::VENDOR_ID,
            pt::VENDOR_ID,
        ],
        &[pt::KE, pt::NONCE, pt::NAT_D, pt::NAT_D],
        &[pt::KE, pt::NONCE, pt::NAT_D, pt::NAT_D],
    ];
    for (m, w) in parsed.iter().zip(want) {
        assert_eq!(m.header.exchange_type, exchange::MAIN);
        assert_eq!(m.header.message_id, 0);
        assert_eq!(types(m.payloads().unwrap()), w);
    }
    // message 1: no responder cookie; message 2 carries one
    assert_eq!(parsed[0].header.spi_r, [0; 8]);
    assert_ne!(parsed[1].header.spi_r, [0; 8]);
    assert_eq!(parsed[0].header.spi_i, parsed[3].header.spi_i);
    // the offer: one ISAKMP proposal, one KEY_IKE transform, all attributes basic
    let Payload::Sa(sa) = &parsed[0].payloads().unwrap()[0] else {
        panic!("SA first");
    };
    assert_eq!((sa.doi, sa.situation), (doi::IPSEC, 1));
    assert_eq!(sa.proposals.len(), 1);
    let p = &sa.proposals[0];
    assert_eq!(
        (p.num, p.protocol_id, p.spi.len()),
        (1, protocol::ISAKMP, 0)
    );
    assert_eq!(p.transforms.len(), 1);
    let t = &p.transforms[0];
    assert_eq!((t.num, t.id), (1, 1));
    let attrs: Vec<(u16, u64)> = t
        .attrs
        .iter()
        .map(|a| {
            assert!(matches!(a.value, AttributeValue::Basic(_)));
            (a.attr_type, a.as_integer().unwrap())
        })
        .collect();
    assert_eq!(
        attrs,
        [
            (oakley_attr::ENCRYPTION, 7),         // AES-CBC
            (oakley_attr::KEY_LENGTH, 128),       // 128 bits
            (oakley_attr::HASH, 4),               // SHA2-256
            (oakley_attr::GROUP_DESCRIPTION, 14), // MODP-2048
            (oakley_attr::AUTH_METHOD, 1),        // pre-shared key
            (oakley_attr::LIFE_TYPE, 1),          // seconds
            (oakley_attr::LIFE_DURATION, 15840),
        ]
    );
    // the responder accepts that transform
    let Payload::Sa(sa2) = &parsed[1].payloads().unwrap()[0] else {
        panic!("SA first");
    };
    assert_eq!(sa2, sa);
    // the RFC 3947 NAT-T vendor ID is among the vendor IDs
    let nat_t = hex::decode("4a131c81070358455c5728f20e95452f").unwrap();
    assert!(parsed[0]
        .payloads()
        .unwrap()
        .iter()
        .any(|p| matches!(p, Payload::VendorId(v) if v.id == nat_t)));
    // KE: MODP-2048 public value; nonce 32 octets; NAT-D: SHA2-256 hashes
    let Payload::Ke(ke) = &parsed[2].payloads().unwrap()[0] else {
        panic!("KE first");
    };
    assert_eq!(ke.data.len(), 256);
    let Payload::NatD(natd) = &parsed[2].payloads().unwrap()[2] else {
        panic!("NAT-D third");
    };
    assert_eq!(natd.hash.len(), 32);
    // messages 5 and 6 are encrypted, their first payload is ID
    for m in &parsed[4..6] {
        assert!(matches!(
            m.body,
            Body::Encrypted {
                first_payload: pt::ID,
                ..
            }
        ));
    }
}

#[test]
fn aggressive_mode_messages_in_the_clear() {
    let msgs = messages("aggr");
    let m1 = Message::parse(&msgs[0].1).unwrap();
    let m2 = Message::parse(&msgs[1].1).unwrap();
    assert_eq!(m1.header.exchange_type, exchange::AGGRESSIVE);
    let vid = pt::VENDOR_ID;
    assert_eq!(
        types(m1.payloads().unwrap()),
        [pt::SA, pt::KE, pt::NONCE, pt::ID, vid, vid, vid, vid, vid]
    );
    assert_eq!(
        types(m2.payloads().unwrap()),
        [
            pt::SA,
            pt::KE,
            pt::NONCE,
            pt::ID,
            vid,
            vid,
            vid,
            vid,
            pt::NAT_D,
            pt::NAT_D,
            pt::HASH
        ]
    );
    let Payload::Id(id) = &m1.payloads().unwrap()[3] else {
        panic!("ID");
    };
    assert_eq!(
        (id.id_type, id.protocol_id, id.port, id.data.as_slice()),
        (id_type::USER_FQDN, 0, 0, &b"left@test"[..])
    );
    let Payload::Sa(sa) = &m1.payloads().unwrap()[0] else {
        panic!("SA");
    };
    let t = &sa.proposals[0].transforms[0];
    assert_eq!(
        t.attr(oakley_attr::KEY_LENGTH).unwrap().as_integer(),
        Some(256)
    );
    assert_eq!(t.attr(oakley_attr::HASH).unwrap().as_integer(), Some(2)); // SHA1
    let Payload::Hash(hash_r) = &m2.payloads().unwrap()[10] else {
        panic!("HASH_R last");
    };
    assert_eq!(hash_r.hash.len(), 20);
}

/// Scenario parameters: hash, cipher, block size.
struct Suite {
    hash: HashAlg,
    aes: AesKeySize,
}

fn hasher(alg: HashAlg) -> impl Fn(&[&[u8]]) -> Result<Vec<u8>, ike_core::crypto::CryptoError> {
    move |parts| AWS_LC_PROVIDER.hash(alg, parts)
}

/// Walks a whole capture: derives every IV, checks it against charon's log, splits, decrypts
/// with the logged key, parses the decrypted chain, re-encrypts to the captured bytes.
/// Returns the decrypted payload chains of the encrypted messages, in order.
fn walk_encrypted(scenario: &str, suite: &Suite) -> Vec<(String, u8, Vec<Payload>)> {
    const BLOCK: usize = 16;
    let vecs = vectors(scenario);
    let key = vecs
        .iter()
        .find_map(|v| match v {
            Vector::Key(k) => Some(k.clone()),
            _ => None,
        })
        .unwrap();
    let cbc = AWS_LC_PROVIDER.cbc(Encr::AesCbc(suite.aes), &key).unwrap();
    let logged_initial = vecs
        .iter()
        .find_map(|v| match v {
            Vector::InitialIv(iv) => Some(iv.clone()),
            _ => None,
        })
        .unwrap();
    // every ciphertext charon logged, and every IV it logged per message id
    let mut logged_ct = Vec::new();
    let mut logged_ivs: HashMap<u32, Vec<Vec<u8>>> = HashMap::new();
    for v in &vecs {
        match v {
            Vector::Encrypt { encrypted, .. } | Vector::Decrypt { encrypted, .. } => {
                logged_ct.push(encrypted.clone())
            }
            Vector::NextIv(mid, iv) => logged_ivs.entry(*mid).or_default().push(iv.clone()),
            _ => {}
        }
    }

    let msgs = messages(scenario);
    let clear: Vec<Message> = msgs
        .iter()
        .map(|(_, b)| Message::parse(b).unwrap())
        .filter(|m| !m.is_encrypted())
        .collect();
    let ke = |m: &Message| {
        m.payloads()
            .unwrap()
            .iter()
            .find_map(|p| match p {
                Payload::Ke(k) => Some(k.data.clone()),
                _ => None,
            })
            .unwrap()
    };
    let ke_i = ke(&clear[clear.len() - 2]);
    let ke_r = ke(&clear[clear.len() - 1]);
    let iv0 = phase1_iv(hasher(suite.hash), &ke_i, &ke_r, BLOCK).unwrap();
    assert_eq!(
        iv0, logged_initial,
        "{scenario}: Phase 1 IV = hash(KEi | KEr)"
    );

    let mut phase1_iv_now = iv0;
    let mut ivs: HashMap<u32, Vec<u8>> = HashMap::new();
    let mut out = Vec::new();
    let mut seen: Vec<&[u8]> = Vec::new();
    for (name, bytes) in &msgs {
        let msg = Message::parse(bytes).unwrap();
        let Body::Encrypted { first_payload, .. } = msg.body else {
            continue;
        };
        if seen.contains(&bytes.as_slice()) {
            continue; // a retransmission does not move the chain
        }
        seen.push(bytes);
        let parts = split_encrypted(bytes, BLOCK).unwrap();
        assert_eq!(parts.header, &bytes[..28]);
        assert_eq!(parts.ciphertext.len() + 28, bytes.len());
        // the split ciphertext is what charon en/decrypted (charon, shutting down, did not
        // open the peer's last Informational in the Libreswan captures)
        let logged_msg = logged_ct.iter().any(|c| c == parts.ciphertext);
        assert!(
            logged_msg || msg.header.exchange_type == exchange::INFORMATIONAL,
            "{name}: the split ciphertext is not one charon en/decrypted"
        );
        let mid = msg.header.message_id;
        let iv = if mid == 0 {
            phase1_iv_now.clone()
        } else {
            ivs.entry(mid)
                .or_insert_with(|| {
                    let iv = phase2_iv(hasher(suite.hash), &phase1_iv_now, mid, BLOCK).unwrap();
                    match logged_ivs.get(&mid).and_then(|l| l.first()) {
                        Some(logged) => assert_eq!(
                            &iv, logged,
                            "{name}: first IV of message id {mid:#x} = hash(Phase 1 IV | M-ID)"
                        ),
                        // not opened by charon: the decryption below must still parse
                        None => assert_eq!(msg.header.exchange_type, exchange::INFORMATIONAL),
                    }
                    iv
                })
                .clone()
        };
        let mut plain = parts.ciphertext.to_vec();
        cbc.decrypt(&iv, &mut plain).unwrap();
        let chain =
            parse_decrypted(first_payload, &plain).unwrap_or_else(|e| panic!("{name}: {e}"));
        // strongSwan pads with 1 to 16 zero octets (a whole block when the chain is aligned),
        // Libreswan with 0 to 15
        let pads = if sent_by_pluto(name) {
            0..BLOCK
        } else {
            1..BLOCK + 1
        };
        assert!(
            pads.contains(&chain.padding),
            "{name}: padding {}",
            chain.padding
        );
        assert!(plain[plain.len() - chain.padding..].iter().all(|b| *b == 0));
        // the logged plaintext (with padding for received ones)
        assert!(
            !logged_msg
                || vecs.iter().any(|v| match v {
                    Vector::Encrypt {
                        plain: p, padding, ..
                    } => [p.as_slice(), padding.as_slice()].concat() == plain,
                    Vector::Decrypt { plain: p, .. } => *p == plain,
                    _ => false,
                }),
            "{name}: decrypted plaintext is what charon logged"
        );
        // re-encode, pad and re-encrypt: the captured message again
        let (first, mut again) = emit_payload_chain(&chain.payloads).unwrap();
        assert_eq!(first, first_payload);
        // ours pads 0 to 15 (none when aligned, like Libreswan); the rest of strongSwan's
        // padding is a whole block of zeros
        let added = pad_plaintext(&mut again, BLOCK).unwrap();
        assert_eq!(added, chain.padding % BLOCK, "{name}");
        again.resize(plain.len(), 0);
        assert_eq!(again, plain, "{name}");
        cbc.encrypt(&iv, &mut again).unwrap();
        let rebuilt = Message {
            header: msg.header.clone(),
            body: Body::Encrypted {
                first_payload: first,
                ciphertext: again,
            },
            padding: 0,
        };
        assert_eq!(rebuilt.emit().unwrap(), *bytes, "{name}: re-encrypted");
        // the chain moves on
        let next = next_iv::<()>(parts.ciphertext, BLOCK).unwrap();
        assert_eq!(Some(next.as_slice()), parts.last_block(BLOCK));
        if mid == 0 {
            phase1_iv_now = next.clone();
        } else {
            ivs.insert(mid, next.clone());
        }
        // (charon logs the IV after a message only where its exchange goes on: not after a
        // one-message Informational)
        let logged = logged_ivs.get(&mid).map_or(&[][..], Vec::as_slice);
        assert!(
            exchange_ends(msg.header.exchange_type) || logged.contains(&next),
            "{name}: next IV is one charon logged for message id {mid:#x}"
        );
        out.push((name.clone(), msg.header.exchange_type, chain.payloads));
    }
    out
}

#[test]
fn libreswan_responder_messages() {
    // charon initiates, Libreswan 4.10's pluto answers (Main and Aggressive Mode, PSK)
    let main = messages("ls-main");
    let vid = pt::VENDOR_ID;
    let clear: Vec<Vec<u8>> = main[..4]
        .iter()
        .map(|(_, b)| types(Message::parse(b).unwrap().payloads().unwrap()))
        .collect();
    assert_eq!(
        clear,
        [
            vec![pt::SA, vid, vid, vid, vid, vid],
            vec![pt::SA, vid, vid, vid],
            vec![pt::KE, pt::NONCE, pt::NAT_D, pt::NAT_D],
            vec![pt::KE, pt::NONCE, pt::NAT_D, pt::NAT_D],
        ]
    );
    let chains = walk_encrypted(
        "ls-main",
        &Suite {
            hash: HashAlg::Sha256,
            aes: AesKeySize::Aes128,
        },
    );
    let kinds: Vec<(u8, Vec<u8>)> = chains.iter().map(|(_, x, p)| (*x, types(p))).collect();
    assert_eq!(
        kinds,
        [
            (exchange::MAIN, vec![pt::ID, pt::HASH, pt::NOTIFY]),
            (exchange::MAIN, vec![pt::ID, pt::HASH]),
            (
                exchange::QUICK,
                vec![pt::HASH, pt::SA, pt::NONCE, pt::ID, pt::ID]
            ),
            (exchange::INFORMATIONAL, vec![pt::HASH, pt::NOTIFY]),
            (exchange::INFORMATIONAL, vec![pt::HASH, pt::DELETE]),
            (exchange::INFORMATIONAL, vec![pt::HASH, pt::DELETE]),
        ]
    );
    // pluto's ID (FQDN right.test) and its NO_PROPOSAL_CHOSEN for the Quick Mode without PFS
    let Payload::Id(id) = &chains[1].2[0] else {
        panic!()
    };
    assert_eq!(
        (id.id_type, id.data.as_slice()),
        (id_type::FQDN, &b"right.test"[..])
    );
    let Payload::Notify(n) = &chains[3].2[1] else {
        panic!()
    };
    assert_eq!(n.notify_type, 14);
    // pluto's delete of the ISAKMP SA: the two cookies
    let Payload::Delete(d) = &chains[5].2[1] else {
        panic!()
    };
    assert_eq!((d.protocol_id, d.spi_size), (protocol::ISAKMP, 16));
    assert_eq!(d.spis[0][..8], main[0].1[..8]);

    // Aggressive Mode: pluto's answer carries its ID and HASH_R in the clear, padded to 4
    let aggr = messages("ls-aggr");
    let m2 = Message::parse(&aggr[1].1).unwrap();
    assert_eq!(
        types(m2.payloads().unwrap()),
        [
            pt::SA,
            pt::KE,
            pt::NONCE,
            pt::ID,
            pt::HASH,
            vid,
            vid,
            vid,
            pt::NAT_D,
            pt::NAT_D
        ]
    );
    assert_eq!(m2.padding, 2);
    let chains = walk_encrypted(
        "ls-aggr",
        &Suite {
            hash: HashAlg::Sha1,
            aes: AesKeySize::Aes256,
        },
    );
    let kinds: Vec<(u8, Vec<u8>)> = chains.iter().map(|(_, x, p)| (*x, types(p))).collect();
    assert_eq!(
        kinds,
        [
            (exchange::AGGRESSIVE, vec![pt::HASH, pt::NAT_D, pt::NAT_D]),
            (
                exchange::QUICK,
                vec![pt::HASH, pt::SA, pt::NONCE, pt::ID, pt::ID]
            ),
            (exchange::INFORMATIONAL, vec![pt::HASH, pt::NOTIFY]),
            (exchange::INFORMATIONAL, vec![pt::HASH, pt::DELETE]),
            (exchange::INFORMATIONAL, vec![pt::HASH, pt::DELETE]),
        ]
    );
}

#[test]
fn libreswan_initiator_messages() {
    // pluto initiates Main Mode to charon, then Quick Mode with PFS that charon refuses
    let msgs = messages("ls-init");
    let m1 = Message::parse(&msgs[0].1).unwrap();
    let Payload::Sa(sa) = &m1.payloads().unwrap()[0] else {
        panic!("SA first");
    };
    let t = &sa.proposals[0].transforms[0];
    assert_eq!(t.attr(oakley_attr::HASH).unwrap().as_integer(), Some(4));
    assert_eq!(
        t.attr(oakley_attr::KEY_LENGTH).unwrap().as_integer(),
        Some(128)
    );
    assert!(t.attr(oakley_attr::LIFE_DURATION).is_some());
    let chains = walk_encrypted(
        "ls-init",
        &Suite {
            hash: HashAlg::Sha256,
            aes: AesKeySize::Aes128,
        },
    );
    let kinds: Vec<(u8, Vec<u8>)> = chains.iter().map(|(_, x, p)| (*x, types(p))).collect();
    assert_eq!(
        kinds,
        [
            (exchange::MAIN, vec![pt::ID, pt::HASH]),
            (exchange::MAIN, vec![pt::ID, pt::HASH]),
            (
                exchange::QUICK,
                vec![pt::HASH, pt::SA, pt::NONCE, pt::KE, pt::ID, pt::ID]
            ),
            (exchange::INFORMATIONAL, vec![pt::HASH, pt::NOTIFY]),
            (exchange::INFORMATIONAL, vec![pt::HASH, pt::DELETE]),
        ]
    );
    // Quick Mode with PFS: an ESP proposal asking for MODP-2048 and a 256-octet KE
    let Payload::Sa(qsa) = &chains[2].2[1] else {
        panic!()
    };
    let qt = &qsa.proposals[0].transforms[0];
    assert_eq!(qsa.proposals[0].protocol_id, protocol::ESP);
    assert_eq!(
        qt.attr(ike_core::v1::ids::ipsec_attr::GROUP_DESCRIPTION)
            .unwrap()
            .as_integer(),
        Some(14)
    );
    let Payload::Ke(ke) = &chains[2].2[3] else {
        panic!()
    };
    assert_eq!(ke.data.len(), 256);
}

/// Exchanges of one message, after which charon keeps no IV.
fn exchange_ends(exchange_type: u8) -> bool {
    exchange_type == exchange::INFORMATIONAL
}

#[test]
fn main_mode_encrypted_messages_follow_the_iv_chain() {
    let chains = walk_encrypted(
        "main",
        &Suite {
            hash: HashAlg::Sha256,
            aes: AesKeySize::Aes128,
        },
    );
    let kinds: Vec<(u8, Vec<u8>)> = chains.iter().map(|(_, x, p)| (*x, types(p))).collect();
    assert_eq!(
        kinds,
        [
            (exchange::MAIN, vec![pt::ID, pt::HASH, pt::NOTIFY]),
            (exchange::MAIN, vec![pt::ID, pt::HASH]),
            (exchange::TRANSACTION, vec![pt::HASH, pt::ATTR]),
            (exchange::TRANSACTION, vec![pt::HASH, pt::ATTR]),
            (
                exchange::QUICK,
                vec![pt::HASH, pt::SA, pt::NONCE, pt::ID, pt::ID]
            ),
            (
                exchange::QUICK,
                vec![pt::HASH, pt::SA, pt::NONCE, pt::ID, pt::ID]
            ),
            (exchange::INFORMATIONAL, vec![pt::HASH, pt::NOTIFY]),
            (exchange::INFORMATIONAL, vec![pt::HASH, pt::DELETE]),
        ]
    );
    // the initiator could not install the child SA: NO-PROPOSAL-CHOSEN for the ESP SPI
    let Payload::Notify(n) = &chains[6].2[1] else {
        panic!()
    };
    assert_eq!(
        (n.notify_type, n.protocol_id, n.spi.len()),
        (14, protocol::ESP, 4)
    );
    // message 5: ID left@test, INITIAL-CONTACT with the cookies as SPI
    let p5 = &chains[0].2;
    assert!(matches!(&p5[0], Payload::Id(id) if id.data == b"left@test"));
    let Payload::Notify(n) = &p5[2] else { panic!() };
    assert_eq!(
        (n.notify_type, n.protocol_id, n.spi.len()),
        (INITIAL_CONTACT, protocol::ISAKMP, 16)
    );
    // Mode Config: a request, and a reply with the pool's first address and the DNS server
    let Payload::Attr(req) = &chains[2].2[1] else {
        panic!()
    };
    assert_eq!(req.cfg_type, cfg::REQUEST);
    let Payload::Attr(reply) = &chains[3].2[1] else {
        panic!()
    };
    assert_eq!(reply.cfg_type, cfg::REPLY);
    assert_eq!(reply.identifier, req.identifier);
    assert!(reply
        .attrs
        .contains(&Attribute::variable(1, vec![10, 3, 0, 1])));
    assert!(reply
        .attrs
        .contains(&Attribute::variable(3, vec![10, 3, 0, 53])));
    // Quick Mode: an ESP proposal with a 4-octet SPI
    let Payload::Sa(sa) = &chains[4].2[1] else {
        panic!()
    };
    assert!(sa
        .proposals
        .iter()
        .all(|p| p.protocol_id == protocol::ESP && p.spi.len() == 4));
    // the last informational deletes the ISAKMP SA: SPI = the two cookies
    let Payload::Delete(d) = &chains[7].2[1] else {
        panic!()
    };
    assert_eq!(
        (d.protocol_id, d.spi_size, d.spis.len()),
        (protocol::ISAKMP, 16, 1)
    );
}

#[test]
fn aggressive_mode_encrypted_messages_follow_the_iv_chain() {
    let chains = walk_encrypted(
        "aggr",
        &Suite {
            hash: HashAlg::Sha1,
            aes: AesKeySize::Aes256,
        },
    );
    let kinds: Vec<(u8, Vec<u8>)> = chains.iter().map(|(_, x, p)| (*x, types(p))).collect();
    assert_eq!(
        kinds[0],
        (exchange::AGGRESSIVE, vec![pt::HASH, pt::NAT_D, pt::NAT_D])
    );
    assert_eq!(
        kinds.last().unwrap(),
        &(exchange::INFORMATIONAL, vec![pt::HASH, pt::DELETE])
    );
    // Quick Mode message 3 is HASH(3) alone; the retransmitted message 1 was skipped
    assert_eq!(kinds[3], (exchange::QUICK, vec![pt::HASH]));
    assert_eq!(chains.len(), 6);
}

#[test]
fn truncated_captures_fail_cleanly() {
    for scenario in ["main", "aggr", "ls-main", "ls-aggr", "ls-init"] {
        for (name, bytes) in messages(scenario) {
            let padding = Message::parse(&bytes).unwrap().padding;
            for cut in 0..bytes.len() {
                let mut m = bytes[..cut].to_vec();
                assert!(Message::parse(&m).is_err(), "{name} cut {cut}");
                if cut >= 28 {
                    m[24..28].copy_from_slice(&u32::try_from(cut).unwrap().to_be_bytes());
                    // encrypted: parses (ciphertext is opaque) but no longer splits at 16
                    // unless the cut is on a block boundary; clear: the payload walk fails
                    // unless only (Libreswan's) padding was cut
                    match Message::parse(&m) {
                        Ok(msg) if !msg.is_encrypted() => {
                            assert!(cut >= bytes.len() - padding, "{name} cut {cut}");
                        }
                        Ok(msg) => {
                            assert!(msg.is_encrypted(), "{name} cut {cut}");
                            assert_eq!(
                                split_encrypted(&m, 16).is_ok(),
                                cut > 28 && (cut - 28) % 16 == 0,
                                "{name} cut {cut}"
                            );
                        }
                        Err(_) => assert!(!bytes[19] & 1 == 1, "{name} cut {cut}"),
                    }
                }
            }
        }
    }
}

/// The `v1_message` fuzz target's invariants over its checked-in seed corpus (so they hold
/// without a fuzz build): everything parses, emits byte-identical, and the null-cipher seeds'
/// bodies parse as decrypted chains that re-encode to the same octets before the padding.
#[test]
fn fuzz_seed_corpus_replays() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/v1_message");
    let mut n = 0;
    let mut null_cipher = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let path = e.unwrap().path();
        let name = path.display().to_string();
        let data = std::fs::read(&path).unwrap();
        let msg = Message::parse(&data).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(msg.emit().unwrap(), data, "{name}");
        if let Body::Encrypted {
            first_payload,
            ciphertext,
        } = &msg.body
        {
            if name.ends_with("-null-cipher") {
                let chain = parse_decrypted(*first_payload, ciphertext).unwrap();
                let (_, out) = emit_payload_chain(&chain.payloads).unwrap();
                assert_eq!(out.len() + chain.padding, ciphertext.len(), "{name}");
                assert_eq!(out, ciphertext[..out.len()], "{name}");
                null_cipher += 1;
            }
        }
        n += 1;
    }
    // 46 distinct captured messages; 28 encrypted ones whose plaintext charon logged
    assert_eq!((n, null_cipher), (74, 28));
}
