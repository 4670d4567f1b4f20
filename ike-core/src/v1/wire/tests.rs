//! Unit tests of the IKEv1 codec: known encodings built from the RFC 2408 layouts, round
//! trips of every payload kind, truncation and bad lengths, and a no-panic property.
//! (The captured strongSwan messages are checked in `tests/v1_wire.rs`.)

use proptest::prelude::*;

use super::*;
use crate::v1::ids::{
    cfg, doi, exchange, id_type, ipsec_attr, oakley_attr, payload as pt, protocol,
};

/// Hex with whitespace allowed.
fn h(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    hex::decode(s).unwrap()
}

/// Main Mode message 1 laid out by hand from RFC 2408 §3.1, §3.4-§3.6 and §3.16: one
/// proposal (PROTO_ISAKMP) with one KEY_IKE transform (AES-128, SHA1, PSK, MODP-2048,
/// 86400 s: the lifetime as a 4-octet variable attribute) and the RFC 3947 vendor ID.
const MM1: &str = "
    0102030405060708 0000000000000000 01 10 02 00 00000000 0000006c
    0d 00 003c 00000001 00000001
      00 00 0030 01 01 00 01
        00 00 0028 01 01 0000
          8001 0007  800e 0080  8002 0002  8003 0001  8004 000e  800b 0001
          000c 0004 00015180
    00 00 0014 4a131c81070358455c5728f20e95452f";

fn mm1_expected() -> Message {
    let t = Transform {
        num: 1,
        id: 1,
        attrs: vec![
            Attribute::basic(oakley_attr::ENCRYPTION, 7),
            Attribute::basic(oakley_attr::KEY_LENGTH, 128),
            Attribute::basic(oakley_attr::HASH, 2),
            Attribute::basic(oakley_attr::AUTH_METHOD, 1),
            Attribute::basic(oakley_attr::GROUP_DESCRIPTION, 14),
            Attribute::basic(oakley_attr::LIFE_TYPE, 1),
            Attribute::integer(oakley_attr::LIFE_DURATION, 86400),
        ],
    };
    Message {
        header: Header::new(
            [1, 2, 3, 4, 5, 6, 7, 8],
            [0; 8],
            exchange::MAIN,
            Flags::default(),
            0,
        ),
        padding: 0,
        body: Body::Clear(vec![
            Payload::Sa(SaPayload {
                doi: doi::IPSEC,
                situation: 1,
                proposals: vec![Proposal {
                    num: 1,
                    protocol_id: protocol::ISAKMP,
                    spi: vec![],
                    transforms: vec![t],
                }],
            }),
            Payload::VendorId(VendorIdPayload {
                id: h("4a131c81070358455c5728f20e95452f"),
            }),
        ]),
    }
}

#[test]
fn main_mode_1_known_answer() {
    let bytes = h(MM1);
    let msg = Message::parse(&bytes).unwrap();
    let mut want = mm1_expected();
    want.header.next_payload = pt::SA;
    want.header.length = 0x6c;
    assert_eq!(msg, want);
    let Some([Payload::Sa(sa), _]) = msg.payloads() else {
        panic!("payloads");
    };
    let t = &sa.proposals[0].transforms[0];
    assert_eq!(
        t.attr(oakley_attr::LIFE_DURATION).unwrap().as_integer(),
        Some(86400)
    );
    assert_eq!(msg.emit().unwrap(), bytes);
    // emit computes next payload and length from the payloads
    assert_eq!(mm1_expected().emit().unwrap(), bytes);
}

#[test]
fn header_fields_and_flags() {
    let mut bytes = h(MM1);
    bytes[19] = 0xff; // every flag bit
    let hd = Header::parse(&bytes).unwrap();
    assert_eq!(
        hd.flags,
        Flags {
            encryption: true,
            commit: true,
            authentication_only: true
        }
    );
    assert_eq!(hd.flags.to_byte(), 0x07);
    assert_eq!((hd.major_version, hd.minor_version), (1, 0));
    assert_eq!(
        Header::parse(&bytes[..27]),
        Err(WireError::Truncated { need: 4, have: 3 })
    );
}

#[test]
fn version_and_length_are_checked() {
    let mut bytes = h(MM1);
    bytes[17] = 0x20;
    assert_eq!(
        Message::parse(&bytes),
        Err(WireError::BadVersion { major: 2, minor: 0 })
    );
    let mut bytes = h(MM1);
    bytes.push(0);
    assert_eq!(
        Message::parse(&bytes),
        Err(WireError::LengthMismatch {
            header: 0x6c,
            datagram: 0x6d
        })
    );
}

#[test]
fn clear_messages_may_end_in_up_to_three_zero_octets() {
    // Libreswan pads what it sends to a multiple of 4 octets
    let with = |tail: &[u8]| {
        let mut b = h(MM1);
        b.extend_from_slice(tail);
        let len = u32::try_from(b.len()).unwrap().to_be_bytes();
        b[24..28].copy_from_slice(&len);
        b
    };
    for n in 1..=MAX_CLEAR_PADDING {
        let b = with(&vec![0; n]);
        let m = Message::parse(&b).unwrap();
        assert_eq!(m.padding, n);
        assert_eq!(m.payloads(), mm1_expected().payloads());
        assert_eq!(m.emit().unwrap(), b);
    }
    assert_eq!(
        Message::parse(&with(&[0; 4])),
        Err(WireError::TrailingData { len: 4 })
    );
    assert_eq!(
        Message::parse(&with(&[0, 1])),
        Err(WireError::TrailingData { len: 2 })
    );
    let mut m = mm1_expected();
    m.padding = 4;
    assert!(m.emit().is_err());
}

/// One of every payload kind, with values that exercise the variable parts.
fn all_payloads() -> Vec<Payload> {
    vec![
        Payload::Sa(SaPayload {
            doi: doi::IPSEC,
            situation: 1,
            proposals: vec![
                Proposal {
                    num: 1,
                    protocol_id: protocol::ESP,
                    spi: vec![0xc0, 0xff, 0xee, 0x01],
                    transforms: vec![
                        Transform {
                            num: 1,
                            id: 12,
                            attrs: vec![
                                Attribute::basic(ipsec_attr::KEY_LENGTH, 256),
                                Attribute::basic(ipsec_attr::AUTH_ALGORITHM, 5),
                                Attribute::basic(ipsec_attr::ENCAPSULATION_MODE, 1),
                                Attribute::basic(ipsec_attr::LIFE_TYPE, 2),
                                Attribute::integer(ipsec_attr::LIFE_DURATION, 1 << 33),
                            ],
                        },
                        Transform {
                            num: 2,
                            id: 3,
                            attrs: vec![],
                        },
                    ],
                },
                Proposal {
                    num: 1,
                    protocol_id: protocol::IPCOMP,
                    spi: vec![0x12, 0x34],
                    transforms: vec![Transform {
                        num: 1,
                        id: 2,
                        attrs: vec![Attribute::variable(0x7fff, vec![1, 2, 3])],
                    }],
                },
            ],
        }),
        Payload::Ke(KePayload { data: vec![7; 256] }),
        Payload::Id(IdPayload {
            id_type: id_type::IPV4_ADDR_SUBNET,
            protocol_id: 17,
            port: 500,
            data: vec![10, 1, 0, 0, 255, 255, 0, 0],
        }),
        Payload::Cert(CertPayload {
            encoding: 4,
            data: vec![0x30, 0x03, 1, 2, 3],
        }),
        Payload::CertReq(CertReqPayload {
            cert_type: 4,
            authority: vec![],
        }),
        Payload::Hash(HashPayload {
            hash: vec![0xaa; 32],
        }),
        Payload::Sig(SigPayload {
            signature: vec![0x55; 64],
        }),
        Payload::Nonce(NoncePayload { nonce: vec![3; 32] }),
        Payload::Notify(NotifyPayload {
            doi: doi::IPSEC,
            protocol_id: protocol::ISAKMP,
            spi: vec![9; 16],
            notify_type: 36136,
            data: vec![0, 0, 0, 1],
        }),
        Payload::Delete(DeletePayload {
            doi: doi::IPSEC,
            protocol_id: protocol::ESP,
            spi_size: 4,
            spis: vec![vec![1, 2, 3, 4], vec![5, 6, 7, 8]],
        }),
        Payload::VendorId(VendorIdPayload { id: vec![0xaf; 16] }),
        Payload::Attr(AttrPayload {
            cfg_type: cfg::REQUEST,
            identifier: 0x1234,
            attrs: vec![
                Attribute::variable(1, vec![]),
                Attribute::variable(3, vec![]),
                Attribute::basic(16520, 0),
            ],
        }),
        Payload::NatD(NatDPayload {
            hash: vec![0x11; 20],
        }),
        Payload::NatOa(NatOaPayload {
            id_type: id_type::IPV6_ADDR,
            address: vec![0x20; 16],
        }),
        Payload::Unknown(UnknownPayload {
            payload_type: 130,
            body: vec![1, 2, 3],
        }),
    ]
}

fn quick_message() -> Message {
    Message {
        header: Header::new(
            [1; 8],
            [2; 8],
            exchange::QUICK,
            Flags::default(),
            0x1234_5678,
        ),
        body: Body::Clear(all_payloads()),
        padding: 0,
    }
}

#[test]
fn every_payload_kind_round_trips() {
    let msg = quick_message();
    let bytes = msg.emit().unwrap();
    let back = Message::parse(&bytes).unwrap();
    assert_eq!(back.payloads(), msg.payloads());
    assert_eq!(back.emit().unwrap(), bytes);
    for p in all_payloads() {
        let mut body = Vec::new();
        p.emit_body(&mut body).unwrap();
        assert_eq!(Payload::parse(p.payload_type(), &body).unwrap(), p);
    }
}

#[test]
fn chain_fields_are_computed() {
    let (first, bytes) = emit_payload_chain(&all_payloads()).unwrap();
    assert_eq!(first, pt::SA);
    // walk the generic headers by hand: next payload of each equals the following type
    let types: Vec<u8> = all_payloads().iter().map(Payload::payload_type).collect();
    let mut off = 0;
    for (i, _) in types.iter().enumerate() {
        let next = bytes[off];
        let len = usize::from(u16::from_be_bytes([bytes[off + 2], bytes[off + 3]]));
        assert_eq!(next, types.get(i + 1).copied().unwrap_or(0));
        off += len;
    }
    assert_eq!(off, bytes.len());
    assert_eq!(emit_payload_chain(&[]).unwrap(), (0, vec![]));
}

#[test]
fn truncated_payload_bodies_are_bad_lengths() {
    // each payload with a fixed part: its body cut inside the fixed part
    let fixed: &[(u8, usize)] = &[
        (pt::SA, 8),
        (pt::ID, 4),
        (pt::CERT, 1),
        (pt::CERTREQ, 1),
        (pt::NOTIFY, 8),
        (pt::DELETE, 8),
        (pt::ATTR, 4),
        (pt::NAT_OA, 8),
        (pt::KE, 1),
        (pt::HASH, 1),
        (pt::SIG, 1),
        (pt::NONCE, 1),
        (pt::NAT_D, 1),
    ];
    for p in all_payloads() {
        let mut body = Vec::new();
        p.emit_body(&mut body).unwrap();
        let ptype = p.payload_type();
        if let Some((_, min)) = fixed.iter().find(|(t, _)| *t == ptype) {
            for cut in 0..*min {
                let e = Payload::parse(ptype, &body[..cut]).unwrap_err();
                assert!(
                    matches!(e, WireError::BadLength { payload, .. } if payload == ptype)
                        || matches!(e, WireError::Malformed { .. }),
                    "type {ptype} cut at {cut}: {e:?}"
                );
            }
        }
        // every cut of a structured body fails or parses to something that re-encodes
        for cut in 0..body.len() {
            if let Ok(q) = Payload::parse(ptype, &body[..cut]) {
                let mut again = Vec::new();
                q.emit_body(&mut again).unwrap();
                assert_eq!(again, body[..cut]);
            }
        }
    }
}

#[test]
fn structured_bodies_fail_when_cut() {
    // the payloads whose content is counted or sized cannot lose a single octet
    for p in all_payloads() {
        let ptype = p.payload_type();
        if ![pt::SA, pt::DELETE, pt::NAT_OA].contains(&ptype) {
            continue;
        }
        let mut body = Vec::new();
        p.emit_body(&mut body).unwrap();
        for cut in 0..body.len() {
            assert!(
                Payload::parse(ptype, &body[..cut]).is_err(),
                "type {ptype} cut {cut}"
            );
        }
        body.push(0);
        assert!(
            Payload::parse(ptype, &body).is_err(),
            "type {ptype} + 1 octet"
        );
    }
}

#[test]
fn generic_lengths_are_checked() {
    let (first, mut bytes) = emit_payload_chain(&all_payloads()).unwrap();
    assert!(parse_payload_chain(first, &bytes).is_ok());
    // the first payload's length below the generic header, or past the end
    for bad in [0u16, 3] {
        bytes[2..4].copy_from_slice(&bad.to_be_bytes());
        assert_eq!(
            parse_payload_chain(first, &bytes),
            Err(WireError::BadLength {
                payload: first,
                len: usize::from(bad)
            })
        );
    }
    let over = u16::try_from(bytes.len() + 1).unwrap();
    bytes[2..4].copy_from_slice(&over.to_be_bytes());
    assert_eq!(
        parse_payload_chain(first, &bytes),
        Err(WireError::BadLength {
            payload: first,
            len: bytes.len() + 1
        })
    );
    // fewer than 4 octets where a payload should start
    assert_eq!(
        parse_payload_chain(pt::NONCE, &[0, 0, 0]),
        Err(WireError::BadLength {
            payload: pt::NONCE,
            len: 3
        })
    );
    // trailing octets after the last payload of a message in the clear
    assert_eq!(
        parse_payload_chain(pt::NONCE, &[0, 0, 0, 5, 1, 0]),
        Err(WireError::TrailingData { len: 1 })
    );
}

#[test]
fn every_prefix_of_a_message_fails_cleanly() {
    let bytes = quick_message().emit().unwrap();
    for cut in 0..bytes.len() {
        let mut m = bytes[..cut].to_vec();
        assert!(Message::parse(&m).is_err(), "prefix {cut}");
        // with the header length fixed up, the payload walk itself must catch the cut
        if cut >= Header::LEN {
            let len = u32::try_from(cut).unwrap().to_be_bytes();
            m[24..28].copy_from_slice(&len);
            assert!(
                Message::parse(&m).is_err(),
                "prefix {cut} with fixed length"
            );
        }
    }
}

#[test]
fn every_single_octet_change_is_handled() {
    let bytes = quick_message().emit().unwrap();
    for i in 0..bytes.len() {
        for v in [0u8, 1, 2, 3, 0x7f, 0x80, 0xff] {
            let mut m = bytes.clone();
            m[i] = v;
            if let Ok(msg) = Message::parse(&m) {
                let out = msg.emit().unwrap();
                assert_eq!(Message::parse(&out).unwrap(), msg);
            }
        }
    }
}

#[test]
fn sa_structure_is_checked() {
    let sa = |body: &str| SaPayload::parse(&h(body));
    let good = "00000001 00000001 00 00 0014 01 01 00 01  00 00 000c 01 01 0000 8001 0007";
    assert!(sa(good).is_ok());
    let malformed = |r: Result<SaPayload, WireError>| {
        assert!(
            matches!(r, Err(WireError::Malformed { payload: 1, .. })),
            "{r:?}"
        );
    };
    // labeled-domain situation
    malformed(sa(
        "00000001 00000002 00 00 0014 01 01 00 01  00 00 000c 01 01 0000 8001 0007",
    ));
    // no proposal
    malformed(sa("00000001 00000001"));
    // proposal says more follow, none does
    malformed(sa(
        "00000001 00000001 02 00 0014 01 01 00 01  00 00 000c 01 01 0000 8001 0007",
    ));
    // proposal next payload neither 2 nor 0
    malformed(sa(
        "00000001 00000001 05 00 0014 01 01 00 01  00 00 000c 01 01 0000 8001 0007",
    ));
    // transform next payload 3 but the count says it is the last
    malformed(sa(
        "00000001 00000001 00 00 0014 01 01 00 01  03 00 000c 01 01 0000 8001 0007",
    ));
    // two transforms counted, one present
    assert!(
        sa("00000001 00000001 00 00 0014 01 01 00 02  00 00 000c 01 01 0000 8001 0007").is_err()
    );
    // zero transforms
    malformed(sa("00000001 00000001 00 00 0008 01 01 00 00"));
    // transform length below 8
    malformed(sa(
        "00000001 00000001 00 00 0014 01 01 00 01  00 00 0007 01 01 0000 8001 0007",
    ));
    // proposal length below 8
    malformed(sa("00000001 00000001 00 00 0007 01 01 00 01"));
    // data after the last transform inside the proposal
    malformed(sa(
        "00000001 00000001 00 00 0016 01 01 00 01  00 00 000c 01 01 0000 8001 0007 0000",
    ));
    // a variable attribute running past its transform
    assert!(
        sa("00000001 00000001 00 00 0014 01 01 00 01  00 00 000c 01 01 0000 0001 0009").is_err()
    );
    // proposal / transform payload types outside an SA
    assert!(matches!(
        Payload::parse(pt::PROPOSAL, &[]),
        Err(WireError::Malformed { payload: 2, .. })
    ));
}

#[test]
fn attribute_integers() {
    assert_eq!(
        Attribute::integer(12, 3600).value,
        AttributeValue::Basic(3600)
    );
    assert_eq!(
        Attribute::integer(12, 86400).value,
        AttributeValue::Variable(vec![0, 1, 0x51, 0x80])
    );
    assert_eq!(
        Attribute::integer(12, 1 << 40).value,
        AttributeValue::Variable(vec![0, 0, 1, 0, 0, 0, 0, 0])
    );
    for v in [
        0u64,
        1,
        65535,
        65536,
        86400,
        u64::from(u32::MAX),
        1 << 40,
        u64::MAX,
    ] {
        assert_eq!(Attribute::integer(2, v).as_integer(), Some(v));
    }
    // variable integers of any length up to 8 octets (some peers send 2 or 8)
    assert_eq!(
        Attribute::variable(2, vec![0x70, 0x80]).as_integer(),
        Some(28800)
    );
    assert_eq!(Attribute::variable(2, vec![]).as_integer(), None);
    assert_eq!(Attribute::variable(2, vec![1; 9]).as_integer(), None);
    assert!(Attribute::basic(0x8001, 1).emit(&mut Vec::new()).is_err());
}

#[test]
fn attr_payload_known_answer() {
    // ISAKMP_CFG_REPLY id 0x0102: INTERNAL_IP4_ADDRESS 10.3.0.1, INTERNAL_IP4_DNS 10.3.0.53
    let body = h("02 00 0102  0001 0004 0a030001  0003 0004 0a030035");
    let p = AttrPayload::parse(&body).unwrap();
    assert_eq!(p.cfg_type, cfg::REPLY);
    assert_eq!(p.identifier, 0x0102);
    assert_eq!(
        p.attrs,
        vec![
            Attribute::variable(1, vec![10, 3, 0, 1]),
            Attribute::variable(3, vec![10, 3, 0, 53])
        ]
    );
    let mut out = Vec::new();
    p.emit(&mut out).unwrap();
    assert_eq!(out, body);
    assert!(AttrPayload::parse(&h("02 00 0102 0001 0004 0a03")).is_err());
}

#[test]
fn delete_and_nat_oa_sizes() {
    let d = h("00000001 03 04 0002 01020304 05060708");
    assert_eq!(DeletePayload::parse(&d).unwrap().spis.len(), 2);
    assert!(DeletePayload::parse(&h("00000001 03 00 0002")).is_err());
    assert_eq!(
        DeletePayload::parse(&h("00000001 03 04 0001 01020304 05")),
        Err(WireError::TrailingData { len: 1 })
    );
    let bad = DeletePayload {
        doi: 1,
        protocol_id: 3,
        spi_size: 4,
        spis: vec![vec![1, 2, 3]],
    };
    assert!(bad.emit(&mut Vec::new()).is_err());
    assert!(NatOaPayload::parse(&h("01 000000 c0000201")).is_ok());
    assert!(NatOaPayload::parse(&h("02 000000 c0000201")).is_err());
    assert!(NatOaPayload::parse(&h("05 000000 c0000201")).is_err());
}

#[test]
fn encrypted_body_is_kept_and_split() {
    let mut msg = Message {
        header: Header::new([1; 8], [2; 8], exchange::MAIN, Flags::default(), 0),
        body: Body::Encrypted {
            first_payload: pt::ID,
            ciphertext: (0..48).collect(),
        },
        padding: 0,
    };
    let bytes = msg.emit().unwrap();
    assert_eq!(bytes[16], pt::ID);
    assert_eq!(bytes[19], Flags::ENCRYPTION);
    assert_eq!(bytes.len(), 28 + 48);
    let back = Message::parse(&bytes).unwrap();
    assert!(back.is_encrypted());
    msg.header.next_payload = pt::ID;
    msg.header.length = 76;
    msg.header.flags.encryption = true;
    assert_eq!(back, msg);
    assert_eq!(back.emit().unwrap(), bytes);
    let parts = split_encrypted(&bytes, 16).unwrap();
    assert_eq!(parts.header, &bytes[..ENCRYPTED_OFFSET]);
    assert_eq!(parts.ciphertext, &bytes[ENCRYPTED_OFFSET..]);
    assert_eq!(parts.last_block(16), Some(&bytes[60..]));
    assert_eq!(parts.last_block(8), Some(&bytes[68..]));
    // 48 octets are not a whole number of 32-octet blocks; block size 0
    assert!(split_encrypted(&bytes, 32).is_err());
    assert!(split_encrypted(&bytes, 0).is_err());
    // a message in the clear is not split
    assert!(split_encrypted(&h(MM1), 8).is_err());
    // nothing after the header
    let empty = Message {
        header: msg.header.clone(),
        body: Body::Encrypted {
            first_payload: pt::HASH,
            ciphertext: vec![],
        },
        padding: 0,
    }
    .emit()
    .unwrap();
    assert!(split_encrypted(&empty, 16).is_err());
}

#[test]
fn decrypted_chains_accept_any_padding() {
    let chain = vec![
        Payload::Hash(HashPayload { hash: vec![1; 20] }),
        Payload::Notify(NotifyPayload {
            doi: 1,
            protocol_id: 1,
            spi: vec![],
            notify_type: 24578,
            data: vec![],
        }),
    ];
    let (first, plain) = emit_payload_chain(&chain).unwrap();
    for pad in [
        vec![],
        vec![0; 3],
        vec![0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
        vec![0xff; 7],
        vec![0, 0, 0, 0, 0, 0, 0, 7], // a pad-length octet, as some peers add
    ] {
        let mut p = plain.clone();
        p.extend_from_slice(&pad);
        let d = parse_decrypted(first, &p).unwrap();
        assert_eq!(d.payloads, chain);
        assert_eq!(d.padding, pad.len());
    }
    // a payload length running into the padding region past the end is still an error
    let mut p = plain.clone();
    p.truncate(plain.len() - 1);
    assert!(parse_decrypted(first, &p).is_err());
    // zero padding up to the block size, none when aligned
    let mut p = plain.clone();
    let added = pad_plaintext(&mut p, 16).unwrap();
    assert_eq!(p.len() % 16, 0);
    assert_eq!(added, p.len() - plain.len());
    assert!(p[plain.len()..].iter().all(|b| *b == 0));
    let mut aligned = vec![0; 32];
    assert_eq!(pad_plaintext(&mut aligned, 16), Ok(0));
    assert!(pad_plaintext(&mut aligned, 0).is_err());
}

#[test]
fn unknown_payloads_with_known_types_are_not_emitted() {
    for t in [0u8, 2, 3, 1, 14, 20, 21] {
        let p = Payload::Unknown(UnknownPayload {
            payload_type: t,
            body: vec![],
        });
        assert!(p.emit_body(&mut Vec::new()).is_err(), "type {t}");
    }
}

#[test]
fn limits_bound_allocation() {
    // more payloads than MAX_PAYLOADS: many empty vendor IDs
    let mut chain = Vec::new();
    for _ in 0..=MAX_PAYLOADS {
        chain.extend_from_slice(&[pt::VENDOR_ID, 0, 0, 4]);
    }
    assert_eq!(
        parse_payload_chain(pt::VENDOR_ID, &chain),
        Err(WireError::TooManyPayloads(MAX_PAYLOADS))
    );
    // more attributes than allowed in one transform
    let mut t = h("01 01 0000");
    for _ in 0..=MAX_TRANSFORM_ATTRIBUTES {
        t.extend_from_slice(&h("8001 0007"));
    }
    let mut body = h("00000001 00000001 00 00");
    let plen = u16::try_from(8 + 4 + t.len()).unwrap();
    body.extend_from_slice(&plen.to_be_bytes());
    body.extend_from_slice(&h("01 01 00 01 00 00"));
    body.extend_from_slice(&u16::try_from(4 + t.len()).unwrap().to_be_bytes());
    body.extend_from_slice(&t);
    assert!(matches!(
        SaPayload::parse(&body),
        Err(WireError::TooMany { .. })
    ));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..400)) {
        if let Ok(msg) = Message::parse(&data) {
            let out = msg.emit().unwrap();
            prop_assert_eq!(out.len(), data.len());
            prop_assert_eq!(Message::parse(&out).unwrap(), msg);
        }
        for first in [pt::SA, pt::ID, pt::NOTIFY, pt::DELETE, pt::ATTR, pt::NAT_OA, 99] {
            if let Ok(d) = parse_decrypted(first, &data) {
                let (f, out) = emit_payload_chain(&d.payloads).unwrap();
                prop_assert_eq!(f, if d.payloads.is_empty() { 0 } else { first });
                prop_assert_eq!(parse_payload_chain(f, &out).unwrap(), d.payloads);
            }
        }
        for t in 0..=25u8 {
            if let Ok(p) = Payload::parse(t, &data) {
                let mut out = Vec::new();
                if p.emit_body(&mut out).is_ok() {
                    prop_assert_eq!(Payload::parse(t, &out).unwrap(), p);
                }
            }
        }
    }

    #[test]
    fn sa_mutations_never_panic(i in 0usize..108, v in any::<u8>()) {
        let mut m = h(MM1);
        m[i] = v;
        if let Ok(msg) = Message::parse(&m) {
            prop_assert_eq!(Message::parse(&msg.emit().unwrap()).unwrap(), msg);
        }
    }
}
