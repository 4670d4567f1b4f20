//! Unit tests of the wire codec: known encodings, round trips, malformed input.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::*;
use crate::ids::{
    auth_method, cert_encoding, cfg_attr, cfg_type, encr, exchange, id_type, integ, ke, notify,
    payload as pt, prf, protocol, transform_type,
};

/// Hex with whitespace allowed.
fn h(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    hex::decode(s).unwrap()
}

fn header(exchange_type: u8, flags: Flags, message_id: u32) -> Header {
    Header::new(
        [1, 2, 3, 4, 5, 6, 7, 8],
        [0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8],
        exchange_type,
        flags,
        message_id,
    )
}

fn init_flags() -> Flags {
    Flags {
        initiator: true,
        ..Flags::default()
    }
}

fn ike_proposal() -> Proposal {
    Proposal {
        num: 1,
        protocol_id: protocol::IKE,
        spi: vec![],
        transforms: vec![
            Transform::with_key_length(transform_type::ENCR, encr::AES_CBC, 256),
            Transform::new(transform_type::PRF, prf::HMAC_SHA2_256),
            Transform::new(transform_type::INTEG, integ::HMAC_SHA2_256_128),
            Transform::new(transform_type::KE, ke::CURVE25519),
        ],
    }
}

fn ts_v4() -> TrafficSelector {
    TrafficSelector {
        ip_protocol: 6,
        start_port: 0,
        end_port: 65535,
        start_addr: IpAddr::V4(Ipv4Addr::new(10, 1, 0, 0)),
        end_addr: IpAddr::V4(Ipv4Addr::new(10, 1, 255, 255)),
    }
}

fn ts_v6() -> TrafficSelector {
    TrafficSelector {
        ip_protocol: 0,
        start_port: 500,
        end_port: 4500,
        start_addr: IpAddr::V6("2001:db8::".parse::<Ipv6Addr>().unwrap()),
        end_addr: IpAddr::V6("2001:db8::ffff".parse::<Ipv6Addr>().unwrap()),
    }
}

/// One payload of every kind (SK excluded: it must be last, see `all_payload_message`).
fn every_payload() -> Vec<Payload> {
    vec![
        Payload::Sa(SaPayload {
            proposals: vec![
                ike_proposal(),
                Proposal {
                    num: 2,
                    protocol_id: protocol::ESP,
                    spi: vec![0xde, 0xad, 0xbe, 0xef],
                    transforms: vec![
                        Transform::with_key_length(transform_type::ENCR, encr::AES_GCM_16, 128),
                        Transform::new(transform_type::ESN, 0),
                    ],
                },
            ],
        }),
        Payload::Ke(KePayload {
            group: ke::CURVE25519,
            data: vec![0x55; 32],
        }),
        Payload::IdI(IdPayload {
            id_type: id_type::FQDN,
            data: b"left@test".to_vec(),
        }),
        Payload::IdR(IdPayload {
            id_type: id_type::IPV4_ADDR,
            data: vec![192, 0, 2, 2],
        }),
        Payload::Cert(CertPayload {
            encoding: cert_encoding::X509_SIGNATURE,
            data: vec![0x30, 0x82, 0x01, 0x00],
        }),
        Payload::CertReq(CertReqPayload {
            encoding: cert_encoding::X509_SIGNATURE,
            data: vec![0xaa; 40],
        }),
        Payload::Auth(AuthPayload {
            method: auth_method::PSK,
            data: vec![0x11; 32],
        }),
        Payload::Nonce(NoncePayload {
            data: vec![0x22; 32],
        }),
        Payload::Notify(NotifyPayload::new(
            notify::NAT_DETECTION_SOURCE_IP,
            vec![0x33; 20],
        )),
        Payload::Notify(NotifyPayload {
            protocol_id: protocol::ESP,
            spi: vec![1, 2, 3, 4],
            notify_type: notify::REKEY_SA,
            data: vec![],
        }),
        Payload::Delete(DeletePayload::child(
            protocol::ESP,
            &[0x1122_3344, 0x5566_7788],
        )),
        Payload::Delete(DeletePayload::ike()),
        Payload::VendorId(VendorIdPayload {
            data: b"ike-core".to_vec(),
        }),
        Payload::TsI(TsPayload {
            selectors: vec![ts_v4(), ts_v6()],
        }),
        Payload::TsR(TsPayload {
            selectors: vec![TrafficSelector::from_range(
                IpAddr::V4(Ipv4Addr::new(10, 2, 0, 0)),
                IpAddr::V4(Ipv4Addr::new(10, 2, 255, 255)),
            )],
        }),
        Payload::Cp(CpPayload {
            cfg_type: cfg_type::REQUEST,
            attrs: vec![
                CfgAttribute::request(cfg_attr::INTERNAL_IP4_ADDRESS),
                CfgAttribute::request(cfg_attr::INTERNAL_IP4_DNS),
                CfgAttribute::request(cfg_attr::INTERNAL_DNS_DOMAIN),
            ],
        }),
        Payload::Eap(EapPayload {
            code: EapPayload::REQUEST,
            identifier: 7,
            eap_type: Some(1),
            data: b"who".to_vec(),
        }),
        Payload::Eap(EapPayload {
            code: 3,
            identifier: 8,
            eap_type: None,
            data: vec![],
        }),
        Payload::Unknown(UnknownPayload {
            payload_type: 200,
            critical: false,
            body: vec![9, 9, 9],
        }),
    ]
}

fn all_payload_message() -> Message {
    Message::new(header(exchange::IKE_AUTH, init_flags(), 1), every_payload())
}

#[test]
fn header_known_bytes() {
    let mut hd = header(exchange::IKE_SA_INIT, init_flags(), 0);
    hd.spi_r = [0; 8];
    hd.next_payload = pt::SA;
    hd.length = 232;
    let want = h("0102030405060708 0000000000000000 21 20 22 08 00000000 000000e8");
    assert_eq!(hd.to_bytes().to_vec(), want);
    assert_eq!(Header::parse(&want).unwrap(), hd);

    let resp = Flags {
        initiator: false,
        version: true,
        response: true,
    };
    assert_eq!(resp.to_byte(), 0x30);
    // reserved flag bits are ignored on receipt
    assert_eq!(Flags::from_byte(0xff).to_byte(), 0x38);
}

#[test]
fn empty_message_known_bytes() {
    let msg = Message::new(header(exchange::INFORMATIONAL, init_flags(), 7), vec![]);
    let bytes = msg.emit().unwrap();
    let want = h("0102030405060708 a1a2a3a4a5a6a7a8 00 20 25 08 00000007 0000001c");
    assert_eq!(bytes, want);
    let back = Message::parse(&bytes).unwrap();
    assert!(back.payloads.is_empty());
    assert_eq!(back.header.length, 28);
}

#[test]
fn sa_with_key_length_known_bytes() {
    let (first, bytes) = emit_payload_chain(&[Payload::Sa(SaPayload {
        proposals: vec![ike_proposal()],
    })])
    .unwrap();
    assert_eq!(first, pt::SA);
    let want = h("00 00 0030
                  00 00 002c 01 01 00 04
                    03 00 000c 01 00 000c 800e 0100
                    03 00 0008 02 00 0005
                    03 00 0008 03 00 000c
                    00 00 0008 04 00 001f");
    assert_eq!(bytes, want);
    let back = parse_payload_chain(pt::SA, &want).unwrap();
    let Some(Payload::Sa(sa)) = back.first() else {
        panic!("not an SA: {back:?}")
    };
    let t = sa.proposals.first().unwrap().transforms.first().unwrap();
    assert_eq!(t.key_length(), Some(256));
    assert_eq!(
        sa.proposals
            .first()
            .unwrap()
            .transforms
            .get(1)
            .unwrap()
            .key_length(),
        None
    );
}

#[test]
fn sa_tlv_attribute_round_trip() {
    let mut t = Transform::new(transform_type::ENCR, encr::AES_CBC);
    t.attrs.push(Attribute {
        attr_type: 17,
        value: AttributeValue::Tlv(vec![1, 2, 3]),
    });
    t.attrs.push(Attribute::key_length(128));
    let sa = SaPayload {
        proposals: vec![Proposal {
            num: 1,
            protocol_id: protocol::IKE,
            spi: vec![],
            transforms: vec![t],
        }],
    };
    let mut body = Vec::new();
    sa.emit(&mut body).unwrap();
    assert_eq!(
        body,
        h("00 00 001b 01 01 00 01  00 00 0013 01 00 000c  0011 0003 010203  800e 0080")
    );
    let back = SaPayload::parse(&body).unwrap();
    assert_eq!(back, sa);
    assert_eq!(back.proposals[0].transforms[0].key_length(), Some(128));
}

#[test]
fn ts_v4_known_bytes() {
    let (first, bytes) = emit_payload_chain(&[Payload::TsI(TsPayload {
        selectors: vec![ts_v4()],
    })])
    .unwrap();
    assert_eq!(first, pt::TSI);
    let want = h("00 00 0018  01 000000  07 06 0010 0000 ffff 0a010000 0a01ffff");
    assert_eq!(bytes, want);
    assert_eq!(
        parse_payload_chain(pt::TSI, &want).unwrap(),
        vec![Payload::TsI(TsPayload {
            selectors: vec![ts_v4()]
        })]
    );
}

#[test]
fn ts_v6_known_bytes() {
    let (first, bytes) = emit_payload_chain(&[Payload::TsR(TsPayload {
        selectors: vec![ts_v6()],
    })])
    .unwrap();
    assert_eq!(first, pt::TSR);
    let want = h("00 00 0030  01 000000  08 00 0028 01f4 1194
                  20010db8000000000000000000000000
                  20010db800000000000000000000ffff");
    assert_eq!(bytes, want);
    assert_eq!(
        parse_payload_chain(pt::TSR, &want).unwrap(),
        vec![Payload::TsR(TsPayload {
            selectors: vec![ts_v6()]
        })]
    );
}

#[test]
fn notify_known_bytes() {
    let chain = [
        Payload::Notify(NotifyPayload::new(
            notify::NAT_DETECTION_SOURCE_IP,
            vec![0xab; 20],
        )),
        Payload::Notify(NotifyPayload {
            protocol_id: protocol::ESP,
            spi: vec![0x11, 0x22, 0x33, 0x44],
            notify_type: notify::REKEY_SA,
            data: vec![],
        }),
    ];
    let (first, bytes) = emit_payload_chain(&chain).unwrap();
    assert_eq!(first, pt::NOTIFY);
    let want = h(
        "29 00 001c 00 00 4004 abababababababababababababababababababab
                  00 00 000c 03 04 4009 11223344",
    );
    assert_eq!(bytes, want);
    let back = parse_payload_chain(pt::NOTIFY, &want).unwrap();
    assert_eq!(back, chain.to_vec());
    let Some(Payload::Notify(n)) = back.first() else {
        panic!()
    };
    assert!(!n.is_error());
}

#[test]
fn cp_known_bytes() {
    let req = Payload::Cp(CpPayload {
        cfg_type: cfg_type::REQUEST,
        attrs: vec![
            CfgAttribute::request(cfg_attr::INTERNAL_IP4_ADDRESS),
            CfgAttribute::request(cfg_attr::INTERNAL_IP4_DNS),
            CfgAttribute::request(cfg_attr::INTERNAL_DNS_DOMAIN),
        ],
    });
    let (_, bytes) = emit_payload_chain(std::slice::from_ref(&req)).unwrap();
    assert_eq!(
        bytes,
        h("00 00 0014 01 000000 0001 0000 0003 0000 0019 0000")
    );
    assert_eq!(parse_payload_chain(pt::CP, &bytes).unwrap(), vec![req]);

    let reply_bytes = h("00 00 0018 02 000000 0001 0004 0a030001 0003 0004 0a030035");
    let back = parse_payload_chain(pt::CP, &reply_bytes).unwrap();
    let Some(Payload::Cp(cp)) = back.first() else {
        panic!()
    };
    assert_eq!(cp.cfg_type, cfg_type::REPLY);
    assert_eq!(cp.attrs[0].ipv4(), Some(Ipv4Addr::new(10, 3, 0, 1)));
    assert_eq!(cp.attrs[1].ipv4(), Some(Ipv4Addr::new(10, 3, 0, 53)));
    assert_eq!(emit_payload_chain(&back).unwrap().1, reply_bytes);
}

#[test]
fn cp_address_helpers() {
    let sub = CfgAttribute {
        attr_type: cfg_attr::INTERNAL_IP4_SUBNET,
        value: h("0a000000 ffff0000"),
    };
    assert_eq!(
        sub.ipv4_subnet(),
        Some((Ipv4Addr::new(10, 0, 0, 0), Ipv4Addr::new(255, 255, 0, 0)))
    );
    assert_eq!(sub.ipv4(), None);
    let v6 = CfgAttribute {
        attr_type: cfg_attr::INTERNAL_IP6_ADDRESS,
        value: h("20010db8000000000000000000000001 40"),
    };
    assert_eq!(v6.ipv6_prefix(), Some(("2001:db8::1".parse().unwrap(), 64)));
    assert_eq!(v6.ipv6(), None);
}

#[test]
fn every_payload_round_trips() {
    let msg = all_payload_message();
    let bytes = msg.emit().unwrap();
    let back = Message::parse(&bytes).unwrap();
    assert_eq!(back.payloads, msg.payloads);
    assert_eq!(back.header.length as usize, bytes.len());
    assert_eq!(back.header.next_payload, pt::SA);
    assert_eq!(back.emit().unwrap(), bytes);
    // each payload alone, through the chain codec
    for p in every_payload() {
        let (first, chain) = emit_payload_chain(std::slice::from_ref(&p)).unwrap();
        assert_eq!(first, p.payload_type());
        assert_eq!(parse_payload_chain(first, &chain).unwrap(), vec![p]);
    }
}

#[test]
fn sk_and_skf_round_trip() {
    let sk = Payload::Sk(SkPayload {
        next_payload: pt::IDI,
        body: (0u8..60).collect(),
    });
    let msg = Message::new(
        header(exchange::IKE_AUTH, init_flags(), 1),
        vec![sk.clone()],
    );
    let bytes = msg.emit().unwrap();
    assert_eq!(bytes.len(), 28 + 4 + 60);
    assert_eq!(bytes[16], pt::SK);
    assert_eq!(&bytes[28..32], &h("23 00 0040")[..]);
    let back = Message::parse(&bytes).unwrap();
    assert_eq!(back.payloads, vec![sk]);
    let layout = back.encrypted_layout().unwrap();
    assert_eq!(layout.aad(), 0..32);
    assert_eq!(layout.body(), 32..92);
    assert_eq!(layout.inner_first_type, pt::IDI);
    assert_eq!(layout.fragment, None);

    let skf = Payload::Skf(SkfPayload {
        next_payload: 0,
        fragment_number: 2,
        total_fragments: 3,
        body: vec![7; 40],
    });
    let msg = Message::new(
        header(exchange::IKE_AUTH, init_flags(), 1),
        vec![skf.clone()],
    );
    let bytes = msg.emit().unwrap();
    assert_eq!(&bytes[28..36], &h("00 00 0030 0002 0003")[..]);
    let back = Message::parse(&bytes).unwrap();
    assert_eq!(back.payloads, vec![skf]);
    let layout = back.encrypted_layout().unwrap();
    assert_eq!(layout.aad(), 0..36);
    assert_eq!(
        layout.fragment,
        Some(Fragment {
            number: 2,
            total: 3
        })
    );
}

#[test]
fn payloads_before_sk_are_allowed() {
    let msg = Message::new(
        header(exchange::INFORMATIONAL, init_flags(), 3),
        vec![
            Payload::VendorId(VendorIdPayload { data: vec![1; 16] }),
            Payload::Sk(SkPayload {
                next_payload: pt::DELETE,
                body: vec![0; 24],
            }),
        ],
    );
    let bytes = msg.emit().unwrap();
    let back = Message::parse(&bytes).unwrap();
    assert_eq!(back, Message::parse(&back.emit().unwrap()).unwrap());
    let layout = back.encrypted_layout().unwrap();
    assert_eq!(layout.body_start, 28 + 20 + 4);
    assert_eq!(layout.len, bytes.len());
}

#[test]
fn encrypted_sections_and_split() {
    let hd = header(exchange::IKE_AUTH, init_flags(), 1);
    // AEAD-style: 8-octet IV, 16-octet ICV, 40 octets of ciphertext
    let (mut buf, layout) = emit_encrypted(&hd, pt::IDI, None, 8 + 40 + 16).unwrap();
    assert_eq!(buf.len(), 28 + 4 + 64);
    let s = layout.sections(8, 16).unwrap();
    assert_eq!(s.aad, 0..32);
    assert_eq!(s.iv, 32..40);
    assert_eq!(s.ciphertext, 40..80);
    assert_eq!(s.icv, 80..96);
    assert_eq!(s.integrity, 0..80);
    {
        let parts = layout.split_mut(&mut buf, 8, 16).unwrap();
        assert_eq!(parts.aad.len(), 32);
        parts.iv.fill(1);
        parts.ciphertext.fill(2);
        parts.icv.fill(3);
    }
    // the result parses, and parse gives the same layout back
    let msg = Message::parse(&buf).unwrap();
    assert_eq!(msg.encrypted_layout().unwrap(), layout);
    let parts = layout.split(&buf, 8, 16).unwrap();
    assert_eq!(parts.aad, &buf[..32]);
    assert!(parts.iv.iter().all(|b| *b == 1));
    assert!(parts.ciphertext.iter().all(|b| *b == 2));
    assert!(parts.icv.iter().all(|b| *b == 3));
    assert_eq!(parts.integrity.len(), 80);
    // header fields in the AAD are final
    let hdr = Header::parse(parts.aad).unwrap();
    assert_eq!(hdr.length as usize, buf.len());
    assert_eq!(hdr.next_payload, pt::SK);
    assert_eq!(&parts.aad[28..32], &h("23 00 0044")[..]);

    // too short for IV + ICV
    assert!(matches!(
        layout.sections(40, 40),
        Err(WireError::Truncated { .. })
    ));
    assert!(layout.split(&buf[..50], 8, 16).is_err());

    // SKF: AAD includes fragment number and total
    let frag = Fragment {
        number: 1,
        total: 2,
    };
    let (buf, layout) = emit_encrypted(&hd, pt::IDI, Some(frag), 16 + 32 + 16).unwrap();
    assert_eq!(layout.aad(), 0..36);
    assert_eq!(&buf[28..36], &h("23 00 0048 0001 0002")[..]);
    let msg = Message::parse(&buf).unwrap();
    assert_eq!(msg.encrypted_layout().unwrap(), layout);
    assert!(emit_encrypted(
        &hd,
        0,
        Some(Fragment {
            number: 3,
            total: 2
        }),
        10
    )
    .is_err());
    assert!(emit_encrypted(&hd, 0, None, 70_000).is_err());
}

#[test]
fn padding() {
    for block in [1u8, 8, 16] {
        for len in 0..40usize {
            let inner: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let mut padded = inner.clone();
            sk_pad(&mut padded, block);
            assert_eq!(padded.len() % usize::from(block), 0);
            assert!(padded.len() - len <= usize::from(block));
            assert_eq!(sk_unpad(&padded).unwrap(), &inner[..]);
        }
    }
    assert_eq!(sk_unpad(&[]), Err(WireError::BadPadding { pad: 0, len: 0 }));
    assert_eq!(
        sk_unpad(&[1, 2, 5]),
        Err(WireError::BadPadding { pad: 5, len: 3 })
    );
    assert_eq!(sk_unpad(&[9, 0, 0, 2]).unwrap(), &[9][..]);
}

#[test]
fn natt_marker() {
    let ike = [0x11u8; 30];
    let wrapped = add_non_esp_marker(&ike);
    assert_eq!(&wrapped[..4], &[0, 0, 0, 0]);
    assert_eq!(strip_non_esp_marker(&wrapped), Some(&ike[..]));
    assert_eq!(classify_udp_4500(&wrapped), Ok(Udp4500::Ike(&ike[..])));
    assert_eq!(classify_udp_4500(&[0xff]), Ok(Udp4500::Keepalive));
    assert!(is_nat_keepalive(&[0xff]));
    assert!(!is_nat_keepalive(&[0xff, 0]));
    let esp = [0, 0, 0x10, 0, 0, 0, 0, 1, 0xaa];
    assert_eq!(classify_udp_4500(&esp), Ok(Udp4500::Esp(&esp[..])));
    assert_eq!(
        classify_udp_4500(&[1, 2, 3]),
        Err(WireError::BadUdpEncapsulation(3))
    );
    assert_eq!(
        classify_udp_4500(&[]),
        Err(WireError::BadUdpEncapsulation(0))
    );
    assert_eq!(strip_non_esp_marker(&[0, 0, 0]), None);
}

// ---- malformed input ----

#[test]
fn truncated_at_every_offset_is_an_error() {
    let bytes = all_payload_message().emit().unwrap();
    for n in 0..bytes.len() {
        let cut = &bytes[..n];
        assert!(Message::parse(cut).is_err(), "prefix {n} parsed");
        // also with the header length patched to match, so the payload walk is exercised
        if n >= 28 {
            let mut p = cut.to_vec();
            p[24..28].copy_from_slice(&(n as u32).to_be_bytes());
            assert!(Message::parse(&p).is_err(), "patched prefix {n} parsed");
        }
    }
}

#[test]
fn header_length_must_match_datagram() {
    let mut bytes = all_payload_message().emit().unwrap();
    bytes.push(0);
    assert!(matches!(
        Message::parse(&bytes),
        Err(WireError::LengthMismatch { .. })
    ));
    // trailing garbage covered by a patched length: after the last payload
    let n = bytes.len() as u32;
    bytes[24..28].copy_from_slice(&n.to_be_bytes());
    assert_eq!(
        Message::parse(&bytes),
        Err(WireError::TrailingData { len: 1 })
    );
}

#[test]
fn payload_length_too_small_or_too_big() {
    let msg = Message::new(
        header(exchange::IKE_SA_INIT, init_flags(), 0),
        vec![
            Payload::Nonce(NoncePayload { data: vec![1; 16] }),
            Payload::VendorId(VendorIdPayload { data: vec![2; 4] }),
        ],
    );
    let good = msg.emit().unwrap();
    for bad_len in [0u16, 1, 3] {
        let mut b = good.clone();
        b[30..32].copy_from_slice(&bad_len.to_be_bytes());
        assert_eq!(
            Message::parse(&b),
            Err(WireError::BadLength {
                payload: pt::NONCE,
                len: bad_len as usize
            })
        );
    }
    // too big: runs past the end of the message
    let mut b = good.clone();
    b[30..32].copy_from_slice(&0xffffu16.to_be_bytes());
    assert_eq!(
        Message::parse(&b),
        Err(WireError::BadLength {
            payload: pt::NONCE,
            len: 0xffff
        })
    );
    // shorter nonce makes the vendor ID header land inside the nonce data
    let mut b = good.clone();
    b[30..32].copy_from_slice(&12u16.to_be_bytes());
    assert!(Message::parse(&b).is_err());
}

#[test]
fn unknown_critical_payload_is_rejected() {
    for ptype in [1u8, 5, 13, 49, 99, 200, 255] {
        let msg = Message::new(
            header(exchange::IKE_SA_INIT, init_flags(), 0),
            vec![
                Payload::Nonce(NoncePayload { data: vec![1; 16] }),
                Payload::Unknown(UnknownPayload {
                    payload_type: ptype,
                    critical: true,
                    body: vec![1, 2, 3],
                }),
            ],
        );
        let bytes = msg.emit().unwrap();
        assert_eq!(bytes[28 + 20 + 1], 0x80);
        assert_eq!(
            Message::parse(&bytes),
            Err(WireError::UnsupportedCritical(ptype))
        );
    }
}

#[test]
fn unknown_noncritical_payload_is_skipped() {
    let bytes = Message::new(
        header(exchange::IKE_SA_INIT, init_flags(), 0),
        vec![
            Payload::Unknown(UnknownPayload {
                payload_type: 250,
                critical: false,
                body: vec![1, 2, 3],
            }),
            Payload::Nonce(NoncePayload { data: vec![1; 16] }),
        ],
    )
    .emit()
    .unwrap();
    let msg = Message::parse(&bytes).unwrap();
    assert_eq!(msg.payloads.len(), 2);
    assert!(matches!(msg.payloads[0], Payload::Unknown(ref u) if u.payload_type == 250));
    assert!(matches!(msg.payloads[1], Payload::Nonce(_)));
    assert_eq!(msg.emit().unwrap(), bytes);
}

#[test]
fn ikev1_payload_types_are_unknown() {
    // CVE-2015-3991 style: IKEv1 types (SA=1 ... VID=13) inside an IKEv2 message must not be
    // decoded with IKEv1 layouts.
    for ptype in 1u8..=13 {
        let raw = h("00 00 0008 deadbeef");
        let chain = parse_payload_chain(ptype, &raw).unwrap();
        assert_eq!(
            chain,
            vec![Payload::Unknown(UnknownPayload {
                payload_type: ptype,
                critical: false,
                body: h("deadbeef")
            })]
        );
        let mut crit = raw.clone();
        crit[1] = 0x80;
        assert_eq!(
            parse_payload_chain(ptype, &crit),
            Err(WireError::UnsupportedCritical(ptype))
        );
    }
}

#[test]
fn ke_group_1025_with_giant_length() {
    // CVE-2014-9221 style: an unknown group and a length far beyond the data.
    let mut b = Message::new(
        header(exchange::IKE_SA_INIT, init_flags(), 0),
        vec![Payload::Ke(KePayload {
            group: 1025,
            data: vec![0x42; 8],
        })],
    )
    .emit()
    .unwrap();
    let msg = Message::parse(&b).unwrap();
    assert_eq!(
        msg.payloads,
        vec![Payload::Ke(KePayload {
            group: 1025,
            data: vec![0x42; 8]
        })]
    );
    b[30..32].copy_from_slice(&0xfff0u16.to_be_bytes());
    assert_eq!(
        Message::parse(&b),
        Err(WireError::BadLength {
            payload: pt::KE,
            len: 0xfff0
        })
    );
    // a KE too short for its group field
    assert_eq!(
        parse_payload_chain(pt::KE, &h("00 00 0006 0401")),
        Err(WireError::BadLength {
            payload: pt::KE,
            len: 6
        })
    );
}

#[test]
fn malformed_traffic_selectors_are_rejected() {
    // CVE-2023-23009 style.
    let bad = [
        // start address above end address
        (
            "00 00 0018 01 000000 07 00 0010 0000 ffff 0a020000 0a010000",
            WireError::BadTrafficSelector("start address above end address"),
        ),
        // start port above end port (not the OPAQUE 65535/0 pair)
        (
            "00 00 0018 01 000000 07 00 0010 0050 0010 0a010000 0a010000",
            WireError::BadTrafficSelector("start port above end port"),
        ),
        // IPv4 selector with a length of 40
        (
            "00 00 0018 01 000000 07 00 0028 0000 ffff 0a010000 0a010000",
            WireError::BadTrafficSelector("selector length does not match its type"),
        ),
        // IPv6 selector with a length of 16
        (
            "00 00 0018 01 000000 08 00 0010 0000 ffff 0a010000 0a010000",
            WireError::BadTrafficSelector("selector length does not match its type"),
        ),
        // selector length 0
        (
            "00 00 0018 01 000000 07 00 0000 0000 ffff 0a010000 0a010000",
            WireError::BadTrafficSelector("selector length does not match its type"),
        ),
        // unknown selector type
        (
            "00 00 0018 01 000000 0a 00 0010 0000 ffff 0a010000 0a010000",
            WireError::UnsupportedTsType(10),
        ),
        // count says two, one present
        (
            "00 00 0018 02 000000 07 00 0010 0000 ffff 0a010000 0a010000",
            WireError::BadLength {
                payload: pt::TSI,
                len: 0x18,
            },
        ),
        // count says zero, one present
        (
            "00 00 0018 00 000000 07 00 0010 0000 ffff 0a010000 0a010000",
            WireError::TrailingData { len: 16 },
        ),
    ];
    for (hex, err) in bad {
        assert_eq!(parse_payload_chain(pt::TSI, &h(hex)), Err(err), "{hex}");
    }
    // OPAQUE ports are fine
    let ok = parse_payload_chain(
        pt::TSI,
        &h("00 00 0018 01 000000 07 11 0010 ffff 0000 0a010000 0a010000"),
    )
    .unwrap();
    let Some(Payload::TsI(ts)) = ok.first() else {
        panic!()
    };
    assert!(ts.selectors[0].has_opaque_ports());
    // emit refuses inconsistent selectors (the family of the start address decides the type)
    let mut wrong = ts_v4();
    wrong.end_addr = "2001:db8::1".parse().unwrap();
    assert!(TsPayload {
        selectors: vec![wrong]
    }
    .emit(&mut Vec::new())
    .is_err());
}

#[test]
fn malformed_sa_is_rejected() {
    let cases = [
        // empty SA
        "00 00 0004",
        // proposal length below 8
        "00 00 000c 00 00 0007 01 01 00 00",
        // proposal marked "more" but it is the last
        "00 00 000c 02 00 0008 01 01 00 00",
        // proposal marked last but more data follows
        "00 00 0014 00 00 0008 01 01 00 00 00 00 0008 02 01 00 00",
        // bad last-substructure value
        "00 00 000c 07 00 0008 01 01 00 00",
        // transform count 2, one transform present
        "00 00 0014 00 00 0010 01 01 00 02 00 00 0008 01 00 000c",
        // transform marked more but it is the last
        "00 00 0014 00 00 0010 01 01 00 01 03 00 0008 01 00 000c",
        // transform length below 8
        "00 00 0014 00 00 0010 01 01 00 01 00 00 0004 01 00 000c",
        // TLV attribute length beyond the transform
        "00 00 0018 00 00 0014 01 01 00 01 00 00 000c 01 00 000c 000e 0010",
        // SPI size beyond the proposal
        "00 00 000c 00 00 0008 01 01 10 00",
        // data after the last transform
        "00 00 0010 00 00 000c 01 01 00 00 ffffffff",
    ];
    for hex in cases {
        assert!(parse_payload_chain(pt::SA, &h(hex)).is_err(), "{hex}");
    }
}

#[test]
fn delete_spi_accounting() {
    // IKE delete: SPI size 0 and no SPIs
    let ok = parse_payload_chain(pt::DELETE, &h("00 00 0008 01 00 0000")).unwrap();
    assert_eq!(ok, vec![Payload::Delete(DeletePayload::ike())]);
    // SPI size 0 claiming 65535 SPIs (would allocate 65535 empty SPIs)
    assert!(parse_payload_chain(pt::DELETE, &h("00 00 0008 01 00 ffff")).is_err());
    // count disagrees with the data
    assert!(parse_payload_chain(pt::DELETE, &h("00 00 000c 03 04 0002 11223344")).is_err());
    assert!(parse_payload_chain(pt::DELETE, &h("00 00 000d 03 04 0001 11223344 55")).is_err());
    // emit refuses SPIs of the wrong size
    let bad = DeletePayload {
        protocol_id: protocol::ESP,
        spi_size: 4,
        spis: vec![vec![1, 2, 3]],
    };
    assert!(bad.emit(&mut Vec::new()).is_err());
}

#[test]
fn eap_length_must_match() {
    assert!(parse_payload_chain(pt::EAP, &h("00 00 0009 01 01 0005 01")).is_ok());
    assert!(parse_payload_chain(pt::EAP, &h("00 00 0009 01 01 0006 01")).is_err());
    // request without a type
    assert!(parse_payload_chain(pt::EAP, &h("00 00 0008 01 01 0004")).is_err());
    // success has no type
    let s = parse_payload_chain(pt::EAP, &h("00 00 0008 03 01 0004")).unwrap();
    assert_eq!(
        s,
        vec![Payload::Eap(EapPayload {
            code: 3,
            identifier: 1,
            eap_type: None,
            data: vec![]
        })]
    );
}

#[test]
fn version_is_checked() {
    let mut bytes = all_payload_message().emit().unwrap();
    bytes[17] = 0x10; // IKEv1
    assert_eq!(
        Message::parse(&bytes),
        Err(WireError::BadVersion { major: 1, minor: 0 })
    );
    bytes[17] = 0x30;
    assert_eq!(
        Message::parse(&bytes),
        Err(WireError::BadVersion { major: 3, minor: 0 })
    );
    // the header alone can still be read (for INVALID_MAJOR_VERSION)
    assert_eq!(
        Header::parse(&bytes).unwrap().spi_i,
        [1, 2, 3, 4, 5, 6, 7, 8]
    );
    // minor version is carried and ignored
    bytes[17] = 0x21;
    assert_eq!(Message::parse(&bytes).unwrap().header.minor_version, 1);
}

#[test]
fn encrypted_payload_must_be_last_and_not_nested() {
    // SK followed by another payload inside the datagram
    let sk_then_more = h("23 00 0008 01020304  00 00 0008 00000000");
    let mut bytes = header(exchange::IKE_AUTH, init_flags(), 1)
        .to_bytes()
        .to_vec();
    bytes[16] = pt::SK;
    bytes.extend_from_slice(&sk_then_more);
    let n = bytes.len() as u32;
    bytes[24..28].copy_from_slice(&n.to_be_bytes());
    assert_eq!(
        Message::parse(&bytes),
        Err(WireError::EncryptedNotLast(pt::SK))
    );
    // SK inside an inner chain
    assert_eq!(
        parse_payload_chain(pt::SK, &h("00 00 0008 01020304")),
        Err(WireError::NestedEncrypted(pt::SK))
    );
    // emit refuses SK not last / SK inside a chain
    let sk = Payload::Sk(SkPayload {
        next_payload: 0,
        body: vec![],
    });
    let nonce = Payload::Nonce(NoncePayload { data: vec![1; 16] });
    let m = Message::new(
        header(exchange::IKE_AUTH, init_flags(), 1),
        vec![sk.clone(), nonce],
    );
    assert_eq!(m.emit(), Err(WireError::EncryptedNotLast(pt::SK)));
    assert_eq!(
        emit_payload_chain(&[sk]),
        Err(WireError::NestedEncrypted(pt::SK))
    );
}

#[test]
fn bad_fragment_numbers() {
    for (num, total) in [(0u16, 1u16), (1, 0), (3, 2), (0, 0)] {
        let mut body = Vec::new();
        body.extend_from_slice(&num.to_be_bytes());
        body.extend_from_slice(&total.to_be_bytes());
        body.extend_from_slice(&[0; 16]);
        let mut bytes = header(exchange::IKE_AUTH, init_flags(), 1)
            .to_bytes()
            .to_vec();
        bytes[16] = pt::SKF;
        bytes.extend_from_slice(&[pt::IDI, 0]);
        bytes.extend_from_slice(&((body.len() + 4) as u16).to_be_bytes());
        bytes.extend_from_slice(&body);
        let n = bytes.len() as u32;
        bytes[24..28].copy_from_slice(&n.to_be_bytes());
        assert_eq!(
            Message::parse(&bytes),
            Err(WireError::BadFragment { number: num, total })
        );
    }
}

#[test]
fn payload_count_is_capped() {
    let many: Vec<Payload> = (0..=MAX_PAYLOADS)
        .map(|_| Payload::VendorId(VendorIdPayload { data: vec![] }))
        .collect();
    let bytes = Message::new(header(exchange::INFORMATIONAL, init_flags(), 1), many)
        .emit()
        .unwrap();
    assert_eq!(
        Message::parse(&bytes),
        Err(WireError::TooManyPayloads(MAX_PAYLOADS))
    );
    let ok: Vec<Payload> = (0..MAX_PAYLOADS)
        .map(|_| Payload::VendorId(VendorIdPayload { data: vec![] }))
        .collect();
    let bytes = Message::new(header(exchange::INFORMATIONAL, init_flags(), 1), ok)
        .emit()
        .unwrap();
    assert!(Message::parse(&bytes).is_ok());
}

#[test]
fn inner_chain_must_end_exactly() {
    // next payload 0 but bytes follow
    assert_eq!(
        parse_payload_chain(pt::NONCE, &h("00 00 0005 01 ff")),
        Err(WireError::TrailingData { len: 1 })
    );
    // next payload set but nothing follows
    assert!(matches!(
        parse_payload_chain(pt::NONCE, &h("28 00 0005 01")),
        Err(WireError::Truncated { .. })
    ));
    assert_eq!(parse_payload_chain(0, &[]), Ok(vec![]));
    assert_eq!(
        parse_payload_chain(0, &[1]),
        Err(WireError::TrailingData { len: 1 })
    );
}

#[test]
fn unencodable_values_are_refused() {
    let long = Payload::Nonce(NoncePayload {
        data: vec![0; 70_000],
    });
    assert!(matches!(
        emit_payload_chain(&[long]),
        Err(WireError::Unencodable(_))
    ));
    let spi = Payload::Notify(NotifyPayload {
        protocol_id: 3,
        spi: vec![0; 256],
        notify_type: 1,
        data: vec![],
    });
    assert!(emit_payload_chain(&[spi]).is_err());
    let zero = Payload::Unknown(UnknownPayload {
        payload_type: 0,
        critical: false,
        body: vec![],
    });
    assert!(emit_payload_chain(&[zero]).is_err());
    let fake_sk = Payload::Unknown(UnknownPayload {
        payload_type: pt::SK,
        critical: false,
        body: vec![],
    });
    assert!(emit_payload_chain(&[fake_sk]).is_err());
    let empty_sa = Payload::Sa(SaPayload { proposals: vec![] });
    assert!(emit_payload_chain(&[empty_sa]).is_err());
    let wide = Payload::Cp(CpPayload {
        cfg_type: 1,
        attrs: vec![CfgAttribute::request(0x8001)],
    });
    assert!(emit_payload_chain(&[wide]).is_err());
}

/// Deterministic mutation sweep: every single-octet change of a valid message either fails
/// to parse or parses to something that re-emits and re-parses identically.
#[test]
fn single_octet_mutations_never_panic() {
    let base = all_payload_message().emit().unwrap();
    for i in 0..base.len() {
        for v in [
            0u8,
            1,
            0x7f,
            0x80,
            0xff,
            base[i] ^ 0x01,
            base[i].wrapping_add(4),
        ] {
            let mut b = base.clone();
            b[i] = v;
            if let Ok(m) = Message::parse(&b) {
                let again = m.emit().unwrap();
                assert_eq!(Message::parse(&again).unwrap(), m, "offset {i} value {v}");
            }
        }
    }
}

#[test]
fn auth_lifetime_notify_known_encoding_and_bad_lengths() {
    // RFC 4478 §3: status type 16403 (0x4013), four octets of seconds in network order.
    let n = NotifyPayload::auth_lifetime(3600);
    let mut body = Vec::new();
    n.emit(&mut body).unwrap();
    assert_eq!(body, h("00 00 4013 00000e10"));
    let back = NotifyPayload::parse(&body).unwrap();
    assert_eq!(back.auth_lifetime_secs().unwrap(), 3600);
    for data in [vec![], vec![0, 0, 0x0e], vec![0, 0, 0x0e, 0x10, 0]] {
        let bad = NotifyPayload::new(notify::AUTH_LIFETIME, data);
        assert!(bad.auth_lifetime_secs().is_err());
    }
    let other = NotifyPayload::new(notify::INITIAL_CONTACT, vec![0, 0, 0, 1]);
    assert!(other.auth_lifetime_secs().is_err());
}
