//! The exact XFRM netlink messages the kernel layer builds: encode, decode again with
//! netlink-packet-xfrm's parser, compare attributes. No root needed.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use ike_core::engine::{Direction, EspCipher, Lifetime, Mode, SecretBytes, UdpEncap};
use ike_core::wire::TrafficSelector;
use netlink_packet_core::{NetlinkPayload, NLM_F_ACK, NLM_F_REQUEST};
use netlink_packet_xfrm::{XfrmAttrs, XfrmMessage};
use nm_plugin::kernel::netlink::{decode_all, decode_one, serialize};
use nm_plugin::kernel::xfrm::{self, alg_name_str, PolicyParams, SaParams};
use nm_plugin::kernel::Binding;
use std::net::IpAddr;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// Encodes `msg` into a netlink datagram and decodes it again.
fn roundtrip(msg: XfrmMessage) -> (Vec<u8>, XfrmMessage) {
    let bytes = serialize(msg, NLM_F_REQUEST | NLM_F_ACK, 7);
    let back = decode_one::<XfrmMessage>(&bytes).expect("decodes");
    assert_eq!(back.header.sequence_number, 7);
    assert_eq!(usize::try_from(back.header.length).unwrap(), bytes.len());
    match back.payload {
        NetlinkPayload::InnerMessage(m) => (bytes, m),
        other => panic!("unexpected payload {other:?}"),
    }
}

fn aead(transform_id: u16, key_len: usize, icv_bits: u32) -> EspCipher {
    EspCipher::Aead {
        transform_id,
        key: SecretBytes::new((0..key_len as u8).collect()),
        icv_bits,
    }
}

fn separate(integ_id: u16, integ_len: usize, trunc_bits: u32) -> EspCipher {
    EspCipher::Separate {
        encr_id: 12,
        encr_key: SecretBytes::new(vec![0x11; 16]),
        integ_id,
        integ_key: SecretBytes::new(vec![0x22; integ_len]),
        trunc_bits,
    }
}

fn params(cipher: &EspCipher) -> SaParams<'_> {
    SaParams {
        reqid: 0x4e4d_0001,
        spi: 0xc123_4567,
        src: ip("192.0.2.1"),
        dst: ip("192.0.2.2"),
        mode: Mode::Tunnel,
        encap: None,
        cipher,
        esn: false,
        replay_window: 32,
        lifetime: Lifetime {
            soft_secs: 3000,
            hard_secs: 3600,
            soft_bytes: 0,
            hard_bytes: 0,
            soft_packets: 0,
            hard_packets: 0,
        },
        selector: None,
    }
}

fn sa_roundtrip(p: &SaParams<'_>, b: &Binding) -> netlink_packet_xfrm::state::ModifyMessage {
    let body = xfrm::sa_message(p, b).unwrap();
    let (_, back) = roundtrip(XfrmMessage::AddSa(body.clone()));
    match back {
        XfrmMessage::AddSa(m) => {
            assert_eq!(m, body, "decoded message equals the built one");
            m
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn aead_algorithms() {
    // IANA ids in, the kernel's names out: AES-GCM-16 with 128- and 256-bit keys, AES-GCM-8,
    // ChaCha20-Poly1305.
    for (id, name, key_len, icv) in [
        (20, "rfc4106(gcm(aes))", 20, 128),
        (20, "rfc4106(gcm(aes))", 36, 128),
        (18, "rfc4106(gcm(aes))", 20, 64),
        (28, "rfc7539esp(chacha20,poly1305)", 36, 128),
    ] {
        let c = aead(id, key_len, icv);
        let m = sa_roundtrip(&params(&c), &Binding::default());
        let a = m
            .nlas
            .iter()
            .find_map(|a| match a {
                XfrmAttrs::EncryptionAlgAead(a) => Some(a),
                _ => None,
            })
            .expect("XFRMA_ALG_AEAD");
        assert_eq!(alg_name_str(&a.alg_name), name);
        assert_eq!(
            a.alg_key_len,
            key_len as u32 * 8,
            "key length in bits, salt included"
        );
        assert_eq!(a.alg_icv_len, icv);
        assert_eq!(a.alg_key.len(), key_len);
        // No separate encryption/auth attributes with an AEAD.
        assert!(!m.nlas.iter().any(|a| matches!(
            a,
            XfrmAttrs::EncryptionAlg(_) | XfrmAttrs::AuthenticationAlgTrunc(_)
        )));
        let i = &m.user_sa_info;
        assert_eq!(i.id.spi, 0xc123_4567);
        assert_eq!(i.id.proto, 50);
        assert_eq!(i.id.daddr.to_ipv4().to_string(), "192.0.2.2");
        assert_eq!(i.saddr.to_ipv4().to_string(), "192.0.2.1");
        assert_eq!(i.family, 2);
        assert_eq!(i.mode, 1, "tunnel");
        assert_eq!(i.reqid, 0x4e4d_0001);
        assert_eq!(i.flags & 32, 32, "XFRM_STATE_AF_UNSPEC in tunnel mode");
        assert_eq!(i.lifetime_cfg.soft_add_expires_seconds, 3000);
        assert_eq!(i.lifetime_cfg.hard_add_expires_seconds, 3600);
        assert_eq!(
            i.lifetime_cfg.hard_byte_limit,
            u64::MAX,
            "no byte limit = XFRM_INF"
        );
        assert_eq!(i.lifetime_cfg.hard_packet_limit, u64::MAX);
    }
}

/// A transform the data plane has no kernel name for is refused with an error naming it, never
/// installed as something else.
#[test]
fn a_transform_without_a_kernel_name_is_refused() {
    for (c, want) in [
        (aead(12, 20, 128), "ESP ENCR transform 12"),
        (aead(0xffff, 20, 128), "ESP ENCR transform 65535"),
        (separate(0xfffe, 32, 128), "ESP INTEG transform 65534"),
    ] {
        let err = xfrm::sa_message(&params(&c), &Binding::default()).unwrap_err();
        assert!(err.to_string().contains(want), "{err}");
    }
}

#[test]
fn cbc_with_hmac() {
    for (integ_id, integ, len, trunc) in [
        (2, "hmac(sha1)", 20, 96),
        (12, "hmac(sha256)", 32, 128),
        (13, "hmac(sha384)", 48, 192),
        (14, "hmac(sha512)", 64, 256),
    ] {
        let c = separate(integ_id, len, trunc);
        let m = sa_roundtrip(&params(&c), &Binding::default());
        let e = m
            .nlas
            .iter()
            .find_map(|a| match a {
                XfrmAttrs::EncryptionAlg(a) => Some(a),
                _ => None,
            })
            .expect("XFRMA_ALG_CRYPT");
        assert_eq!(alg_name_str(&e.alg_name), "cbc(aes)");
        assert_eq!(e.alg_key_len, 128);
        let a = m
            .nlas
            .iter()
            .find_map(|a| match a {
                XfrmAttrs::AuthenticationAlgTrunc(a) => Some(a),
                _ => None,
            })
            .expect("XFRMA_ALG_AUTH_TRUNC");
        assert_eq!(alg_name_str(&a.alg_name), integ);
        assert_eq!(a.alg_key_len, len as u32 * 8);
        assert_eq!(a.alg_trunc_len, trunc);
    }
}

#[test]
fn replay_window_and_esn() {
    let c = aead(20, 20, 128);
    // Legacy 32 is raised to 128 and needs XFRMA_REPLAY_ESN_VAL.
    let m = sa_roundtrip(&params(&c), &Binding::default());
    let r = m
        .nlas
        .iter()
        .find_map(|a| match a {
            XfrmAttrs::ReplayStateEsn(r) => Some(r),
            _ => None,
        })
        .expect("XFRMA_REPLAY_ESN_VAL");
    assert_eq!(r.replay_window, 128);
    assert_eq!(r.bmp_len, 4);
    assert_eq!(r.bmp.len(), 4);
    assert_eq!(m.user_sa_info.replay_window, 0);
    assert_eq!(m.user_sa_info.flags & 128, 0, "no ESN flag without ESN");

    let mut p = params(&c);
    p.esn = true;
    p.replay_window = 1024;
    let m = sa_roundtrip(&p, &Binding::default());
    let r = m
        .nlas
        .iter()
        .find_map(|a| match a {
            XfrmAttrs::ReplayStateEsn(r) => Some(r),
            _ => None,
        })
        .unwrap();
    assert_eq!(r.replay_window, 1024);
    assert_eq!(r.bmp_len, 32);
    assert_eq!(m.user_sa_info.flags & 128, 128, "XFRM_STATE_ESN");

    // ESN with 0 still gets a window (the kernel refuses ESN without one).
    p.replay_window = 0;
    let m = sa_roundtrip(&p, &Binding::default());
    assert!(m
        .nlas
        .iter()
        .any(|a| matches!(a, XfrmAttrs::ReplayStateEsn(r) if r.replay_window == 128)));
    // Disabled without ESN stays disabled, in the legacy field.
    p.esn = false;
    let m = sa_roundtrip(&p, &Binding::default());
    assert!(!m
        .nlas
        .iter()
        .any(|a| matches!(a, XfrmAttrs::ReplayStateEsn(_))));
    assert_eq!(m.user_sa_info.replay_window, 0);
    assert_eq!(xfrm::effective_replay_window(1_000_000, false), 4096);
}

#[test]
fn udp_encap_ports_on_the_wire() {
    let c = aead(20, 20, 128);
    let mut p = params(&c);
    p.encap = Some(UdpEncap {
        sport: 4500,
        dport: 31337,
    });
    let body = xfrm::sa_message(&p, &Binding::default()).unwrap();
    let (bytes, back) = roundtrip(XfrmMessage::AddSa(body));
    let XfrmMessage::AddSa(m) = back else {
        panic!()
    };
    let e = m
        .nlas
        .iter()
        .find_map(|a| match a {
            XfrmAttrs::EncapsulationTemplate(e) => Some(e),
            _ => None,
        })
        .expect("XFRMA_ENCAP");
    assert_eq!(e.encap_type, 2, "UDP_ENCAP_ESPINUDP");
    assert_eq!((e.encap_sport, e.encap_dport), (4500, 31337));
    // On the wire the ports are big-endian: find the XFRMA_ENCAP (type 4) attribute.
    let mut off = 16 + 224; // nlmsghdr + xfrm_usersa_info
    let mut found = false;
    while off + 4 <= bytes.len() {
        let len = u16::from_ne_bytes([bytes[off], bytes[off + 1]]) as usize;
        let ty = u16::from_ne_bytes([bytes[off + 2], bytes[off + 3]]);
        if ty == 4 {
            let v = &bytes[off + 4..off + len];
            assert_eq!(u16::from_ne_bytes([v[0], v[1]]), 2);
            assert_eq!(&v[2..4], &4500u16.to_be_bytes());
            assert_eq!(&v[4..6], &31337u16.to_be_bytes());
            found = true;
        }
        off += (len + 3) & !3;
    }
    assert!(found);
}

/// The (type, value) of every attribute after `xfrm_usersa_info` in a NEWSA datagram.
fn wire_attrs(bytes: &[u8]) -> Vec<(u16, Vec<u8>)> {
    let mut out = Vec::new();
    let mut off = 16 + 224; // nlmsghdr + xfrm_usersa_info
    while off + 4 <= bytes.len() {
        let len = u16::from_ne_bytes([bytes[off], bytes[off + 1]]) as usize;
        let ty = u16::from_ne_bytes([bytes[off + 2], bytes[off + 3]]);
        out.push((ty, bytes[off + 4..off + len].to_vec()));
        off += (len + 3) & !3;
    }
    out
}

#[test]
fn kernel_keepalives_are_asked_only_on_outbound_encapsulated_sas() {
    use nm_plugin::kernel::api::SaKey;
    use nm_plugin::kernel::keepalive::{self, KeepaliveOffload};
    use std::net::SocketAddr;
    use std::time::Duration;
    let c = aead(20, 20, 128);
    let encap = Some(UdpEncap {
        sport: 4500,
        dport: 4500,
    });
    let peer = SocketAddr::new(ip("192.0.2.2"), 4500);
    let mut ka = KeepaliveOffload::new(Duration::from_secs(20), Some("6.12.48+deb13-amd64"));
    ka.behind_nat(peer);
    for (dir, encap, esn, asked) in [
        (Direction::Out, encap, false, true),
        (Direction::Out, encap, true, true),
        (Direction::In, encap, false, false),
        (Direction::Out, None, false, false),
    ] {
        let mut p = params(&c);
        p.encap = encap;
        p.esn = esn;
        if dir == Direction::In {
            (p.src, p.dst) = (p.dst, p.src);
        }
        let mut body = xfrm::sa_message(&p, &Binding::default()).unwrap();
        let wanted = ka.wanted(dir, p.dst, p.encap);
        assert_eq!(wanted.is_some(), asked, "{dir:?} encap={encap:?}");
        if let Some(secs) = wanted {
            keepalive::request(&mut body, secs);
        }
        let (bytes, back) = roundtrip(XfrmMessage::AddSa(body));
        let attrs = wire_attrs(&bytes);
        let find = |t: u16| {
            attrs
                .iter()
                .find(|(ty, _)| *ty == t)
                .map(|(_, v)| v.clone())
        };
        let XfrmMessage::AddSa(m) = back else {
            panic!()
        };
        if !asked {
            assert_eq!(find(33), None, "no XFRMA_SA_DIR on {dir:?} encap={encap:?}");
            assert_eq!(find(34), None, "no interval on {dir:?} encap={encap:?}");
            continue;
        }
        // XFRMA_SA_DIR = XFRM_SA_DIR_OUT, XFRMA_NAT_KEEPALIVE_INTERVAL = 20 s.
        assert_eq!(find(33), Some(vec![2]));
        assert_eq!(find(34), Some(20u32.to_ne_bytes().to_vec()));
        assert_eq!(keepalive::interval_of(&m.nlas), Some(20));
        // What the kernel refuses with direction out: any replay window.
        assert_eq!(m.user_sa_info.replay_window, 0);
        for a in &m.nlas {
            if let XfrmAttrs::ReplayStateEsn(r) = a {
                assert_eq!((r.replay_window, r.bmp_len, r.seq, r.seq_hi), (0, 0, 0, 0));
            }
        }
        // The kernel reports the interval back: from now on it covers the peer.
        let key = SaKey {
            spi: p.spi,
            src: p.src,
            dst: p.dst,
            direction: dir,
        };
        assert!(ka.read_back(key, peer, 20, keepalive::interval_of(&m.nlas)));
        assert!(ka.covers(peer));
    }
}

#[test]
fn ipv6_transport_with_selector_and_byte_and_packet_lifetimes() {
    let c = aead(20, 36, 128);
    let a = TrafficSelector::from_range(ip("2001:db8:2::1"), ip("2001:db8:2::1"));
    let b = TrafficSelector::from_range(ip("2001:db8:2::2"), ip("2001:db8:2::2"));
    let mut p = params(&c);
    p.src = ip("2001:db8:2::1");
    p.dst = ip("2001:db8:2::2");
    p.mode = Mode::Transport;
    p.selector = Some((&a, &b));
    p.lifetime.soft_bytes = 1 << 30;
    p.lifetime.hard_bytes = 1 << 31;
    p.lifetime.soft_packets = 900;
    p.lifetime.hard_packets = 1000;
    let m = sa_roundtrip(&p, &Binding::default());
    let i = &m.user_sa_info;
    assert_eq!(i.family, 10);
    assert_eq!(i.mode, 0);
    assert_eq!(i.flags & 32, 0, "no AF_UNSPEC in transport mode");
    assert_eq!(i.id.daddr.to_ipv6().to_string(), "2001:db8:2::2");
    assert_eq!(i.selector.family, 10);
    assert_eq!(i.selector.prefixlen_s, 128);
    assert_eq!(i.selector.prefixlen_d, 128);
    assert_eq!(i.selector.saddr.to_ipv6().to_string(), "2001:db8:2::1");
    assert_eq!(i.lifetime_cfg.soft_byte_limit, 1 << 30);
    assert_eq!(i.lifetime_cfg.hard_byte_limit, 1 << 31);
    assert_eq!(i.lifetime_cfg.soft_packet_limit, 900);
    assert_eq!(i.lifetime_cfg.hard_packet_limit, 1000);
}

#[test]
fn mixed_families_refused() {
    let c = aead(20, 20, 128);
    let mut p = params(&c);
    p.dst = ip("2001:db8::1");
    assert!(xfrm::sa_message(&p, &Binding::default()).is_err());
}

#[test]
fn binding_adds_if_id_and_mark() {
    let c = aead(20, 20, 128);
    let b = Binding {
        if_id: Some(0x4e4d_0007),
        mark: Some((42, 0xffff_ffff)),
    };
    let m = sa_roundtrip(&params(&c), &b);
    assert!(m.nlas.contains(&XfrmAttrs::IfId(0x4e4d_0007)));
    assert!(m
        .nlas
        .iter()
        .any(|a| matches!(a, XfrmAttrs::Mark(k) if k.value == 42 && k.mask == u32::MAX)));
}

#[test]
fn scrub_zeroes_keys() {
    let c = separate(12, 32, 128);
    let mut m = xfrm::sa_message(&params(&c), &Binding::default()).unwrap();
    xfrm::scrub_sa(&mut m);
    for a in &m.nlas {
        match a {
            XfrmAttrs::EncryptionAlg(a) => assert!(a.alg_key.iter().all(|b| *b == 0)),
            XfrmAttrs::AuthenticationAlgTrunc(a) => assert!(a.alg_key.iter().all(|b| *b == 0)),
            _ => {}
        }
    }
}

#[test]
fn delete_and_alloc_spi() {
    let b = Binding::default();
    let d = xfrm::delete_sa_message(0xc000_0001, ip("192.0.2.2"), ip("192.0.2.1"), &b);
    let (_, back) = roundtrip(XfrmMessage::DeleteSa(d.clone()));
    let XfrmMessage::DeleteSa(m) = back else {
        panic!()
    };
    assert_eq!(m, d);
    assert_eq!(m.user_sa_id.spi, 0xc000_0001);
    assert_eq!(m.user_sa_id.proto, 50);
    assert_eq!(m.user_sa_id.daddr.to_ipv4().to_string(), "192.0.2.1");

    let a = xfrm::alloc_spi_message(ip("192.0.2.2"), ip("192.0.2.1"), &b);
    let (_, back) = roundtrip(XfrmMessage::AllocSpi(a.clone()));
    let XfrmMessage::AllocSpi(m) = back else {
        panic!()
    };
    assert_eq!(m, a);
    assert_eq!(m.spi_info.min, xfrm::SPI_MIN);
    assert_eq!(m.spi_info.max, xfrm::SPI_MAX);
    assert!(m.spi_info.min > 255);
    assert_eq!(m.spi_info.info.id.proto, 50);
    assert_eq!(m.spi_info.info.id.daddr.to_ipv4().to_string(), "192.0.2.1");
    assert_eq!(m.spi_info.info.saddr.to_ipv4().to_string(), "192.0.2.2");
}

#[test]
fn selectors_from_ranges() {
    let any = TrafficSelector::from_range(ip("0.0.0.0"), ip("255.255.255.255"));
    let net = TrafficSelector::from_range(ip("10.2.0.0"), ip("10.2.0.255"));
    let s = xfrm::selectors(&any, &net);
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].src, (ip("0.0.0.0"), 0));
    assert_eq!(s[0].dst, (ip("10.2.0.0"), 24));
    assert_eq!((s[0].proto, s[0].sport, s[0].dport), (0, None, None));
    // 10.0.0.1-10.0.0.6 = .1/32 .2/31 .4/31 .6/32
    let r = TrafficSelector::from_range(ip("10.0.0.1"), ip("10.0.0.6"));
    assert_eq!(xfrm::selectors(&r, &net).len(), 4);
    // A single port survives, a protocol too.
    let mut dns = net;
    dns.ip_protocol = 17;
    dns.start_port = 53;
    dns.end_port = 53;
    let s = xfrm::selectors(&any, &dns);
    assert_eq!((s[0].proto, s[0].dport), (17, Some(53)));
    let k = s[0].to_selector();
    assert_eq!((k.dport, k.dport_mask, k.proto), (53, 0xffff, 17));
}

#[test]
fn policies_with_template() {
    let any = TrafficSelector::from_range(ip("10.3.0.5"), ip("10.3.0.5"));
    let net = TrafficSelector::from_range(ip("10.2.0.0"), ip("10.2.0.255"));
    let sel = xfrm::selectors(&any, &net)[0];
    for (dir, kdir) in [(Direction::Out, 1), (Direction::In, 0), (Direction::Fwd, 2)] {
        let p = PolicyParams {
            reqid: 0x4e4d_0003,
            dir,
            sel,
            tmpl_src: ip("192.0.2.1"),
            tmpl_dst: ip("192.0.2.2"),
            mode: Mode::Tunnel,
            priority_base: xfrm::POLICY_PRIORITY_BASE,
        };
        let body = xfrm::policy_message(&p, &Binding::default());
        let (_, back) = roundtrip(XfrmMessage::AddPolicy(body.clone()));
        let XfrmMessage::AddPolicy(m) = back else {
            panic!()
        };
        assert_eq!(m, body);
        let i = &m.user_policy_info;
        assert_eq!(i.direction, kdir);
        assert_eq!(i.action, 0, "allow");
        assert_eq!(i.selector.prefixlen_s, 32);
        assert_eq!(i.selector.prefixlen_d, 24);
        assert_eq!(i.selector.family, 2);
        assert_eq!(i.priority, xfrm::POLICY_PRIORITY_BASE + (256 - 56) * 4 + 3);
        let t = m
            .nlas
            .iter()
            .find_map(|a| match a {
                XfrmAttrs::Template(t) => Some(t),
                _ => None,
            })
            .expect("XFRMA_TMPL");
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].reqid, 0x4e4d_0003);
        assert_eq!(t[0].id.proto, 50);
        assert_eq!(t[0].mode, 1);
        assert_eq!(t[0].saddr.to_ipv4().to_string(), "192.0.2.1");
        assert_eq!(t[0].id.daddr.to_ipv4().to_string(), "192.0.2.2");
        assert_eq!(t[0].family, 2);
        assert_eq!(t[0].ealgos, u32::MAX);
        let d = xfrm::delete_policy_message(dir, &sel, &Binding::default());
        let (_, back) = roundtrip(XfrmMessage::DeletePolicy(d.clone()));
        assert_eq!(back, XfrmMessage::DeletePolicy(d));
    }
    // More specific selectors get a preferred (lower) priority.
    let wide = xfrm::selectors(
        &TrafficSelector::from_range(ip("0.0.0.0"), ip("255.255.255.255")),
        &TrafficSelector::from_range(ip("0.0.0.0"), ip("255.255.255.255")),
    )[0];
    assert!(xfrm::policy_priority(1000, &sel) < xfrm::policy_priority(1000, &wide));
}

#[test]
fn truncated_and_garbage_input_never_panics() {
    let c = aead(20, 20, 128);
    let body = xfrm::sa_message(&params(&c), &Binding::default()).unwrap();
    let bytes = serialize(XfrmMessage::AddSa(body), NLM_F_REQUEST, 1);
    for cut in 0..bytes.len() {
        let mut b = bytes[..cut].to_vec();
        // Keep the header length consistent with the cut so the parser itself sees it.
        if b.len() >= 4 {
            b[..4].copy_from_slice(&(cut as u32).to_ne_bytes());
        }
        let _ = decode_all::<XfrmMessage>(&b);
    }
    // A NEWSA header with a 20-byte body.
    let mut b = vec![0u8; 36];
    b[..4].copy_from_slice(&36u32.to_ne_bytes());
    b[4..6].copy_from_slice(&0x10u16.to_ne_bytes());
    assert!(decode_one::<XfrmMessage>(&b).is_err());
}
