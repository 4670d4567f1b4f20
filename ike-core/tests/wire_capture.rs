//! The wire codec against real IKEv2 traffic between two strongSwan charons.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//!
//! The captures in `tests/data/swan-capture/` were made by `fuzz/capture/swan-capture.sh`
//! (two network namespaces, 192.0.2.1 initiator / 192.0.2.2 responder, PSK):
//! - `gcm-*`: aes128gcm16-prfsha256-x25519, the initiator asks for a virtual IP (CP);
//!   the child SA install fails on the initiator, so it deletes it again (INFORMATIONAL).
//! - `frag-*`: aes256-sha256-prfsha256-x25519 (CBC + HMAC), IKEv2 fragmentation forced, so
//!   the IKE_AUTH request travels as two SKF fragments.
//!
//! `*-sk-vectors.txt` hold what charon logged for every SK/SKF payload it built or opened
//! (IV, plaintext, padding, AAD, ciphertext, ICV): they pin down the AAD/IV/ICV ranges and
//! give the decrypted inner payloads without needing the crypto layer.

use std::path::PathBuf;

use ike_core::ids::{
    auth_method, cfg_attr, cfg_type, encr, exchange, id_type, integ, ke, notify, payload as pt,
    prf, protocol, transform_type,
};
use ike_core::wire::*;

/// REDIRECT_SUPPORTED (RFC 5685).
const REDIRECT_SUPPORTED: u16 = 16406;
/// MULTIPLE_AUTH_SUPPORTED (RFC 4739).
const MULTIPLE_AUTH_SUPPORTED: u16 = 16404;
/// CHILDLESS_IKEV2_SUPPORTED (RFC 6023).
const CHILDLESS_IKEV2_SUPPORTED: u16 = 16418;
/// IKEV2_MESSAGE_ID_SYNC_SUPPORTED (RFC 6311).
const MESSAGE_ID_SYNC_SUPPORTED: u16 = 16420;

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/swan-capture")
}

/// The raw UDP payload of a capture file.
fn raw(name: &str) -> Vec<u8> {
    std::fs::read(data_dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The IKE message of a capture file (non-ESP marker removed for port 4500).
fn ike(name: &str) -> Vec<u8> {
    let r = raw(name);
    if name.ends_with("-4500.bin") {
        match classify_udp_4500(&r).unwrap() {
            Udp4500::Ike(m) => m.to_vec(),
            other => panic!("{name}: not IKE: {other:?}"),
        }
    } else {
        r
    }
}

fn all_captures() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(data_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".bin"))
        .collect();
    names.sort();
    assert!(names.len() >= 19, "captures missing: {names:?}");
    names
}

#[derive(Debug, Default, Clone)]
struct Vector {
    op: String,
    kind: String,
    iv: Vec<u8>,
    plain: Vec<u8>,
    padding: Vec<u8>,
    assoc: Vec<u8>,
    encrypted: Vec<u8>,
    icv: Vec<u8>,
}

fn vectors(scenario: &str) -> Vec<Vector> {
    let text =
        std::fs::read_to_string(data_dir().join(format!("{scenario}-sk-vectors.txt"))).unwrap();
    let mut out = Vec::new();
    let mut cur: Option<Vector> = None;
    for line in text.lines() {
        if line.starts_with('#') {
            continue;
        }
        if line.trim().is_empty() {
            out.extend(cur.take());
            continue;
        }
        let (k, v) = line.split_once(' ').unwrap_or((line, ""));
        let v = v.trim();
        let c = cur.get_or_insert_with(Vector::default);
        match k {
            "op" => c.op = v.to_string(),
            "kind" => c.kind = v.to_string(),
            "iv" => c.iv = hex::decode(v).unwrap(),
            "plain" => c.plain = hex::decode(v).unwrap(),
            "padding" => c.padding = hex::decode(v).unwrap(),
            "assoc" => c.assoc = hex::decode(v).unwrap(),
            "encrypted" => c.encrypted = hex::decode(v).unwrap(),
            "icv" => c.icv = hex::decode(v).unwrap(),
            _ => panic!("unknown vector field {k}"),
        }
    }
    out.extend(cur);
    out
}

/// The vector whose AAD equals the AAD range of `msg`.
fn vector_for(scenario: &str, msg: &[u8]) -> Vector {
    let m = Message::parse(msg).unwrap();
    let layout = m.encrypted_layout().unwrap();
    let aad = &msg[layout.aad()];
    vectors(scenario)
        .into_iter()
        .find(|v| v.assoc == aad)
        .unwrap_or_else(|| panic!("no vector for AAD {}", hex::encode(aad)))
}

/// IV and ICV lengths of the two suites.
fn iv_icv(scenario: &str) -> (usize, usize) {
    match scenario {
        "gcm" => (8, 16),   // AES-GCM-16: 8-octet explicit IV, 16-octet tag
        "frag" => (16, 16), // AES-CBC: 16-octet IV; HMAC-SHA2-256-128: 16-octet ICV
        _ => unreachable!(),
    }
}

fn kinds(payloads: &[Payload]) -> Vec<(u8, u16)> {
    payloads
        .iter()
        .map(|p| match p {
            Payload::Notify(n) => (pt::NOTIFY, n.notify_type),
            p => (p.payload_type(), 0),
        })
        .collect()
}

/// Decrypted inner payloads of an SK message, checking every range against the vector.
fn inner(scenario: &str, name: &str) -> (Vec<Payload>, Vec<u8>) {
    let msg = ike(name);
    let m = Message::parse(&msg).unwrap();
    let layout = m.encrypted_layout().unwrap();
    let v = vector_for(scenario, &msg);
    let (iv_len, icv_len) = iv_icv(scenario);
    let parts = layout.split(&msg, iv_len, icv_len).unwrap();
    assert_eq!(parts.aad, &v.assoc[..], "{name}: AAD");
    assert_eq!(parts.iv, &v.iv[..], "{name}: IV");
    assert_eq!(parts.ciphertext, &v.encrypted[..], "{name}: ciphertext");
    assert_eq!(parts.icv, &v.icv[..], "{name}: ICV");
    assert_eq!(parts.integrity, &msg[..msg.len() - icv_len]);
    // decrypted = inner payloads | padding | pad length
    let mut decrypted = v.plain.clone();
    decrypted.extend_from_slice(&v.padding);
    assert_eq!(decrypted.len(), v.encrypted.len());
    assert_eq!(sk_unpad(&decrypted).unwrap(), &v.plain[..]);
    let payloads = parse_payload_chain(layout.inner_first_type, &v.plain)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    // re-emitting the inner chain gives charon's plaintext back
    let (first, again) = emit_payload_chain(&payloads).unwrap();
    assert_eq!(first, layout.inner_first_type);
    assert_eq!(again, v.plain, "{name}: inner re-emit");
    (payloads, v.plain)
}

#[test]
fn wire_every_capture_parses_and_re_emits_identically() {
    for name in all_captures() {
        let r = raw(&name);
        let msg = ike(&name);
        let m = Message::parse(&msg).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(m.header.major_version, 2);
        assert_eq!(m.header.length as usize, msg.len());
        let out = m.emit().unwrap();
        assert_eq!(out, msg, "{name}: re-emit differs");
        if name.ends_with("-4500.bin") {
            assert_eq!(add_non_esp_marker(&out), r);
        }
    }
}

#[test]
fn wire_every_capture_truncated_anywhere_is_an_error() {
    for name in all_captures() {
        let msg = ike(&name);
        for n in 0..msg.len() {
            assert!(Message::parse(&msg[..n]).is_err(), "{name} prefix {n}");
            if n >= Header::LEN {
                let mut p = msg[..n].to_vec();
                p[24..28].copy_from_slice(&(n as u32).to_be_bytes());
                assert!(Message::parse(&p).is_err(), "{name} patched prefix {n}");
            }
        }
    }
}

fn check_ike_sa_init_common(m: &Message) {
    assert_eq!(m.header.exchange_type, exchange::IKE_SA_INIT);
    assert_eq!(m.header.message_id, 0);
    assert_eq!(m.header.next_payload, pt::SA);
    let Payload::Ke(ke) = &m.payloads[1] else {
        panic!("KE expected")
    };
    assert_eq!(ke.group, ke::CURVE25519);
    assert_eq!(ke.data.len(), 32);
    let Payload::Nonce(n) = &m.payloads[2] else {
        panic!("Nonce expected")
    };
    assert_eq!(n.data.len(), 32);
    assert!(n.has_valid_length());
    for p in &m.payloads[3..5] {
        let Payload::Notify(n) = p else { panic!() };
        assert!(matches!(
            n.notify_type,
            notify::NAT_DETECTION_SOURCE_IP | notify::NAT_DETECTION_DESTINATION_IP
        ));
        assert_eq!(n.data.len(), 20, "NAT-D is a SHA-1 hash");
        assert_eq!(n.protocol_id, 0);
        assert!(n.spi.is_empty());
    }
    // SIGNATURE_HASH_ALGORITHMS: a list of 16-bit hash ids
    let hashes = m
        .payloads
        .iter()
        .find_map(|p| match p {
            Payload::Notify(n) if n.notify_type == notify::SIGNATURE_HASH_ALGORITHMS => {
                Some(n.data.clone())
            }
            _ => None,
        })
        .unwrap();
    assert_eq!(hashes.len() % 2, 0);
    assert!(!hashes.is_empty());
}

#[test]
fn wire_ike_sa_init_request_gcm() {
    let msg = ike("gcm-00-ike_sa_init-req-500.bin");
    let m = Message::parse(&msg).unwrap();
    check_ike_sa_init_common(&m);
    assert!(m.header.flags.initiator && !m.header.flags.response);
    assert_eq!(m.header.spi_r, [0; 8]);
    assert_eq!(
        kinds(&m.payloads),
        vec![
            (pt::SA, 0),
            (pt::KE, 0),
            (pt::NONCE, 0),
            (pt::NOTIFY, notify::NAT_DETECTION_SOURCE_IP),
            (pt::NOTIFY, notify::NAT_DETECTION_DESTINATION_IP),
            (pt::NOTIFY, notify::IKEV2_FRAGMENTATION_SUPPORTED),
            (pt::NOTIFY, notify::SIGNATURE_HASH_ALGORITHMS),
            (pt::NOTIFY, REDIRECT_SUPPORTED),
        ]
    );
    let Payload::Sa(sa) = &m.payloads[0] else {
        panic!()
    };
    assert_eq!(sa.proposals.len(), 1);
    let p = &sa.proposals[0];
    assert_eq!((p.num, p.protocol_id), (1, protocol::IKE));
    assert!(p.spi.is_empty());
    assert_eq!(
        p.transforms,
        vec![
            Transform::with_key_length(transform_type::ENCR, encr::AES_GCM_16, 128),
            Transform::new(transform_type::PRF, prf::HMAC_SHA2_256),
            Transform::new(transform_type::KE, ke::CURVE25519),
        ]
    );
    assert_eq!(p.transforms[0].key_length(), Some(128));
}

#[test]
fn wire_ike_sa_init_response_gcm() {
    let req = Message::parse(&ike("gcm-00-ike_sa_init-req-500.bin")).unwrap();
    let m = Message::parse(&ike("gcm-01-ike_sa_init-resp-500.bin")).unwrap();
    check_ike_sa_init_common(&m);
    assert!(!m.header.flags.initiator && m.header.flags.response);
    assert_eq!(m.header.spi_i, req.header.spi_i);
    assert_ne!(m.header.spi_r, [0; 8]);
    assert_eq!(
        kinds(&m.payloads)[5..],
        [
            (pt::NOTIFY, notify::IKEV2_FRAGMENTATION_SUPPORTED),
            (pt::NOTIFY, notify::SIGNATURE_HASH_ALGORITHMS),
            (pt::NOTIFY, CHILDLESS_IKEV2_SUPPORTED),
            (pt::NOTIFY, MULTIPLE_AUTH_SUPPORTED),
        ]
    );
    // the responder picks the (only) proposal
    assert_eq!(m.payloads[0], req.payloads[0]);
}

#[test]
fn wire_ike_sa_init_cbc_proposal() {
    let m = Message::parse(&ike("frag-00-ike_sa_init-req-500.bin")).unwrap();
    check_ike_sa_init_common(&m);
    let Payload::Sa(sa) = &m.payloads[0] else {
        panic!()
    };
    assert_eq!(
        sa.proposals[0].transforms,
        vec![
            Transform::with_key_length(transform_type::ENCR, encr::AES_CBC, 256),
            Transform::new(transform_type::INTEG, integ::HMAC_SHA2_256_128),
            Transform::new(transform_type::PRF, prf::HMAC_SHA2_256),
            Transform::new(transform_type::KE, ke::CURVE25519),
        ]
    );
}

#[test]
fn wire_ike_auth_request_gcm() {
    let msg = ike("gcm-02-ike_auth-req-4500.bin");
    let m = Message::parse(&msg).unwrap();
    assert_eq!(m.header.exchange_type, exchange::IKE_AUTH);
    assert_eq!(m.header.message_id, 1);
    assert_eq!(m.payloads.len(), 1);
    let Payload::Sk(sk) = &m.payloads[0] else {
        panic!()
    };
    assert_eq!(sk.next_payload, pt::IDI);
    let layout = m.encrypted_layout().unwrap();
    assert_eq!(
        layout.aad(),
        0..32,
        "RFC 5282: IKE header + SK payload header"
    );
    assert_eq!(layout.body(), 32..msg.len());

    let (payloads, _) = inner("gcm", "gcm-02-ike_auth-req-4500.bin");
    assert_eq!(
        kinds(&payloads),
        vec![
            (pt::IDI, 0),
            (pt::NOTIFY, notify::INITIAL_CONTACT),
            (pt::IDR, 0),
            (pt::AUTH, 0),
            (pt::CP, 0),
            (pt::SA, 0),
            (pt::TSI, 0),
            (pt::TSR, 0),
            (pt::NOTIFY, notify::MOBIKE_SUPPORTED),
            (pt::NOTIFY, notify::NO_ADDITIONAL_ADDRESSES),
            (pt::NOTIFY, MULTIPLE_AUTH_SUPPORTED),
            (pt::NOTIFY, notify::EAP_ONLY_AUTHENTICATION),
            (pt::NOTIFY, MESSAGE_ID_SYNC_SUPPORTED),
        ]
    );
    let Payload::IdI(id) = &payloads[0] else {
        panic!()
    };
    // charon sends an identity containing '@' as an RFC 822 address
    assert_eq!(
        (id.id_type, &id.data[..]),
        (id_type::RFC822_ADDR, &b"left@test"[..])
    );
    let Payload::IdR(id) = &payloads[2] else {
        panic!()
    };
    assert_eq!(&id.data[..], b"right@test");
    let Payload::Auth(auth) = &payloads[3] else {
        panic!()
    };
    assert_eq!(auth.method, auth_method::PSK);
    assert_eq!(auth.data.len(), 32, "prf-hmac-sha256 output");
    let Payload::Cp(cp) = &payloads[4] else {
        panic!()
    };
    assert_eq!(cp.cfg_type, cfg_type::REQUEST);
    assert_eq!(
        cp.attrs[0],
        CfgAttribute::request(cfg_attr::INTERNAL_IP4_ADDRESS)
    );
    let Payload::Sa(sa) = &payloads[5] else {
        panic!()
    };
    let p = &sa.proposals[0];
    assert_eq!(p.protocol_id, protocol::ESP);
    assert_eq!(p.spi.len(), 4);
    assert_eq!(p.transforms[0].id, encr::AES_GCM_16);
    assert_eq!(p.transforms[0].key_length(), Some(128));
    // the initiator asks for a virtual IP: TSi is "any IPv4 address"
    let Payload::TsI(tsi) = &payloads[6] else {
        panic!()
    };
    let ts = &tsi.selectors[0];
    assert_eq!(
        ts.start_addr,
        "0.0.0.0".parse::<std::net::IpAddr>().unwrap()
    );
    assert_eq!(
        ts.end_addr,
        "255.255.255.255".parse::<std::net::IpAddr>().unwrap()
    );
    let Payload::TsR(tsr) = &payloads[7] else {
        panic!()
    };
    assert_eq!(
        tsr.selectors[0].start_addr,
        "10.2.0.0".parse::<std::net::IpAddr>().unwrap()
    );
    assert_eq!(
        tsr.selectors[0].end_addr,
        "10.2.255.255".parse::<std::net::IpAddr>().unwrap()
    );
    assert_eq!(
        (tsr.selectors[0].start_port, tsr.selectors[0].end_port),
        (0, 65535)
    );
}

#[test]
fn wire_ike_auth_response_gcm() {
    let (payloads, _) = inner("gcm", "gcm-03-ike_auth-resp-4500.bin");
    assert_eq!(
        kinds(&payloads),
        vec![
            (pt::IDR, 0),
            (pt::AUTH, 0),
            (pt::CP, 0),
            (pt::SA, 0),
            (pt::TSI, 0),
            (pt::TSR, 0),
            (pt::NOTIFY, notify::MOBIKE_SUPPORTED),
            (pt::NOTIFY, notify::NO_ADDITIONAL_ADDRESSES),
        ]
    );
    let Payload::Cp(cp) = &payloads[2] else {
        panic!()
    };
    assert_eq!(cp.cfg_type, cfg_type::REPLY);
    let addr = cp
        .attrs
        .iter()
        .find(|a| a.attr_type == cfg_attr::INTERNAL_IP4_ADDRESS)
        .unwrap();
    assert_eq!(addr.ipv4(), Some("10.3.0.1".parse().unwrap()));
    let dns = cp
        .attrs
        .iter()
        .find(|a| a.attr_type == cfg_attr::INTERNAL_IP4_DNS)
        .unwrap();
    assert_eq!(dns.ipv4(), Some("10.3.0.53".parse().unwrap()));
    let Payload::TsI(tsi) = &payloads[4] else {
        panic!()
    };
    assert_eq!(tsi.selectors[0].start_addr, tsi.selectors[0].end_addr);
    assert_eq!(
        tsi.selectors[0].start_addr,
        "10.3.0.1".parse::<std::net::IpAddr>().unwrap()
    );
}

#[test]
fn wire_informational_exchanges_gcm() {
    // child SA delete and its answer
    let (req, _) = inner("gcm", "gcm-04-informational-req-4500.bin");
    let [Payload::Delete(d)] = &req[..] else {
        panic!("{req:?}")
    };
    assert_eq!(
        (d.protocol_id, d.spi_size, d.spis.len()),
        (protocol::ESP, 4, 1)
    );
    let (resp, _) = inner("gcm", "gcm-05-informational-resp-4500.bin");
    assert!(matches!(&resp[..], [Payload::Delete(d)] if d.protocol_id == protocol::ESP));
    // MOBIKE address update and its empty answer
    let (req, _) = inner("gcm", "gcm-06-informational-req-4500.bin");
    assert_eq!(
        kinds(&req),
        vec![(pt::NOTIFY, notify::NO_ADDITIONAL_ADDRESSES)]
    );
    let (resp, plain) = inner("gcm", "gcm-07-informational-resp-4500.bin");
    assert!(resp.is_empty() && plain.is_empty());
    // IKE SA delete
    let (req, _) = inner("gcm", "gcm-08-informational-req-4500.bin");
    assert_eq!(req, vec![Payload::Delete(DeletePayload::ike())]);
    let m = Message::parse(&ike("gcm-09-informational-resp-4500.bin")).unwrap();
    assert!(m.header.flags.response);
    assert_eq!(m.encrypted_layout().unwrap().inner_first_type, 0);
}

#[test]
fn wire_ike_auth_cbc_response_and_informational() {
    let (payloads, _) = inner("frag", "frag-04-ike_auth-resp-4500.bin");
    assert_eq!(payloads.first().map(Payload::payload_type), Some(pt::IDR));
    assert!(payloads.iter().any(|p| matches!(p, Payload::Sa(_))));
    let (req, _) = inner("frag", "frag-07-informational-req-4500.bin");
    assert_eq!(req, vec![Payload::Delete(DeletePayload::ike())]);
    // CBC: the padded plaintext is block aligned, and the pad length octet is honoured
    let v = vector_for("frag", &ike("frag-04-ike_auth-resp-4500.bin"));
    assert_eq!((v.plain.len() + v.padding.len()) % 16, 0);
}

#[test]
fn wire_skf_fragments_reassemble() {
    let f1 = ike("frag-02-ike_auth-req-4500.bin");
    let f2 = ike("frag-03-ike_auth-req-4500.bin");
    let m1 = Message::parse(&f1).unwrap();
    let m2 = Message::parse(&f2).unwrap();
    let l1 = m1.encrypted_layout().unwrap();
    let l2 = m2.encrypted_layout().unwrap();
    assert_eq!(
        l1.fragment,
        Some(Fragment {
            number: 1,
            total: 2
        })
    );
    assert_eq!(
        l2.fragment,
        Some(Fragment {
            number: 2,
            total: 2
        })
    );
    assert_eq!(
        l1.inner_first_type,
        pt::IDI,
        "first fragment names the first inner payload"
    );
    assert_eq!(l2.inner_first_type, 0, "later fragments carry 0");
    assert_eq!(
        l1.aad(),
        0..36,
        "RFC 7383: AAD includes fragment number and total"
    );
    assert_eq!(m1.header.message_id, m2.header.message_id);

    let mut inner_chain = Vec::new();
    for (msg, layout) in [(&f1, &l1), (&f2, &l2)] {
        let v = vector_for("frag", msg);
        assert_eq!(v.kind, "skf");
        assert_eq!(v.op, "encrypt");
        let parts = layout.split(msg, 16, 16).unwrap();
        assert_eq!(parts.aad, &v.assoc[..]);
        assert_eq!(parts.iv, &v.iv[..]);
        assert_eq!(parts.ciphertext, &v.encrypted[..]);
        assert_eq!(parts.icv, &v.icv[..]);
        let mut decrypted = v.plain.clone();
        decrypted.extend_from_slice(&v.padding);
        inner_chain.extend_from_slice(sk_unpad(&decrypted).unwrap());
    }
    let payloads = parse_payload_chain(l1.inner_first_type, &inner_chain).unwrap();
    assert_eq!(
        kinds(&payloads)[..8],
        [
            (pt::IDI, 0),
            (pt::NOTIFY, notify::INITIAL_CONTACT),
            (pt::IDR, 0),
            (pt::AUTH, 0),
            (pt::SA, 0),
            (pt::TSI, 0),
            (pt::TSR, 0),
            (pt::NOTIFY, notify::MOBIKE_SUPPORTED),
        ]
    );
    assert_eq!(emit_payload_chain(&payloads).unwrap().1, inner_chain);
}

#[test]
fn wire_rebuilt_encrypted_messages_match_captures() {
    // emit_encrypted + in-place fill reproduces charon's datagrams octet for octet
    for (scenario, name) in [
        ("gcm", "gcm-02-ike_auth-req-4500.bin"),
        ("gcm", "gcm-04-informational-req-4500.bin"),
        ("frag", "frag-02-ike_auth-req-4500.bin"),
        ("frag", "frag-03-ike_auth-req-4500.bin"),
    ] {
        let msg = ike(name);
        let m = Message::parse(&msg).unwrap();
        let layout = m.encrypted_layout().unwrap();
        let v = vector_for(scenario, &msg);
        let (iv_len, icv_len) = iv_icv(scenario);
        let body_len = v.iv.len() + v.encrypted.len() + v.icv.len();
        let (mut buf, built) = emit_encrypted(
            &m.header,
            layout.inner_first_type,
            layout.fragment,
            body_len,
        )
        .unwrap();
        assert_eq!(built, layout, "{name}");
        assert_eq!(
            &buf[built.aad()],
            &v.assoc[..],
            "{name}: AAD before encryption"
        );
        let parts = built.split_mut(&mut buf, iv_len, icv_len).unwrap();
        parts.iv.copy_from_slice(&v.iv);
        parts.ciphertext.copy_from_slice(&v.encrypted);
        parts.icv.copy_from_slice(&v.icv);
        assert_eq!(buf, msg, "{name}");
    }
}
