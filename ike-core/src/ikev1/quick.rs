//! Quick Mode as initiator (RFC 2409 §5.5), with PFS when the ESP proposals name a group:
//!
//! ```text
//! 1 -> E{HASH(1), SA, Ni, [KE], IDci, IDcr}
//! 2 <- E{HASH(2), SA, Nr, [KE], [IDci, IDcr], [N(RESPONDER-LIFETIME)]}
//! 3 -> E{HASH(3)}
//! ```
//!
//! The IPsec SA comes out as the same kernel operations as an IKEv2 Child SA
//! ([`ChildSa::install`]): inbound and outbound SA, then the policies.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use subtle::ConstantTimeEq;

use crate::api::{Failure, KernelOp, KernelRequest, Mode, Phase, SecretBytes, UdpEncap};
use crate::ctx::Ctx;
use crate::natt::NATT_PORT;
use crate::proposal::{EncrAlg, Proposal, Protocol};
use crate::sa::child_sa::ChildSa;
use crate::sa::keys::{esp_encr, esp_integ, provider, ChildKeys};
use crate::sa::profile::ChildLimits;
use crate::ts::TrafficSelector;
use crate::v1::ids::{exchange, id_type, ipsec_attr, protocol};
use crate::v1::wire::{
    emit_payload_chain, Attribute, HashPayload, IdPayload, KePayload, NoncePayload, Payload,
};

use super::keys;
use super::proposal::{self, EspTransform};
use super::sa::{crypto, state, Quick, State, V1Sa};

/// RESPONDER-LIFETIME (RFC 2407 §4.6.3.1).
pub const RESPONDER_LIFETIME: u16 = 24576;
const NONCE_LEN: usize = 32;

/// Phase 1 is done: asks the kernel for our inbound SPI. Returns the request to route the
/// answer back.
pub(crate) fn request_spi(sa: &mut V1Sa, ctx: &mut Ctx<'_>) -> Option<KernelRequest> {
    let local = sa.local?;
    let request = ctx.next_request();
    ctx.kernel(KernelOp::AllocateSpi {
        request,
        src: sa.remote.ip(),
        dst: local.ip(),
    });
    sa.state = State::SpiWait;
    Some(request)
}

fn v4_id(a: Ipv4Addr, b: Ipv4Addr) -> (u8, Vec<u8>) {
    let (x, y) = (u32::from(a), u32::from(b));
    if x == y {
        return (id_type::IPV4_ADDR, a.octets().to_vec());
    }
    let size = y.wrapping_sub(x).wrapping_add(1);
    if size.is_power_of_two() && x & size.wrapping_sub(1) == 0 || (x == 0 && y == u32::MAX) {
        let mask = !(y.wrapping_sub(x));
        let mut d = a.octets().to_vec();
        d.extend_from_slice(&mask.to_be_bytes());
        return (id_type::IPV4_ADDR_SUBNET, d);
    }
    let mut d = a.octets().to_vec();
    d.extend_from_slice(&b.octets());
    (id_type::IPV4_ADDR_RANGE, d)
}

fn v6_id(a: Ipv6Addr, b: Ipv6Addr) -> (u8, Vec<u8>) {
    let (x, y) = (u128::from(a), u128::from(b));
    if x == y {
        return (id_type::IPV6_ADDR, a.octets().to_vec());
    }
    let size = y.wrapping_sub(x).wrapping_add(1);
    if (size.is_power_of_two() && x & size.wrapping_sub(1) == 0) || (x == 0 && y == u128::MAX) {
        let mask = !(y.wrapping_sub(x));
        let mut d = a.octets().to_vec();
        d.extend_from_slice(&mask.to_be_bytes());
        return (id_type::IPV6_ADDR_SUBNET, d);
    }
    let mut d = a.octets().to_vec();
    d.extend_from_slice(&b.octets());
    (id_type::IPV6_ADDR_RANGE, d)
}

/// The Quick Mode identity payload of a traffic selector (RFC 2407 §4.6.2).
///
/// # Errors
/// A port range that is neither one port nor all of them (IKEv1 IDs carry one port).
pub fn ts_to_id(ts: &TrafficSelector) -> Result<IdPayload, String> {
    let port = if ts.start_port == 0 && ts.end_port == u16::MAX {
        0
    } else if ts.start_port == ts.end_port {
        ts.start_port
    } else {
        return Err(format!(
            "IKEv1 cannot carry the port range {}-{}",
            ts.start_port, ts.end_port
        ));
    };
    let (id_type, data) = match (ts.start_addr, ts.end_addr) {
        (IpAddr::V4(a), IpAddr::V4(b)) => v4_id(a, b),
        (IpAddr::V6(a), IpAddr::V6(b)) => v6_id(a, b),
        _ => return Err("a selector mixing address families".into()),
    };
    Ok(IdPayload {
        id_type,
        protocol_id: ts.ip_protocol,
        port,
        data,
    })
}

/// The kernel gave us our inbound SPI: sends Quick Mode message 1.
pub(crate) fn on_spi(sa: &mut V1Sa, ctx: &mut Ctx<'_>, spi_in: u32) -> Result<(), Failure> {
    let p1 = sa.p1.ok_or_else(|| state("no transform"))?;
    let child = sa
        .conn
        .children
        .first()
        .cloned()
        .ok_or_else(|| state("no Child SA"))?;
    let (Some(l), Some(r)) = (child.local_ts.first(), child.remote_ts.first()) else {
        return Err(state("no selectors"));
    };
    let idci = ts_to_id(l).map_err(state)?;
    let idcr = ts_to_id(r).map_err(state)?;
    let mut mid = [0u8; 4];
    while u32::from_be_bytes(mid) == 0 {
        let r = ctx.random(4).map_err(|e| crypto(format!("{e:?}")))?;
        mid.copy_from_slice(r.get(..4).unwrap_or(&[1, 1, 1, 1]));
    }
    let message_id = u32::from_be_bytes(mid);
    let iv = sa
        .phase2_iv(message_id)
        .ok_or_else(|| crypto("Phase 2 IV"))?;
    let ni = ctx
        .random(NONCE_LEN)
        .map_err(|e| crypto(format!("{e:?}")))?;
    // PFS: the Phase 1 group when the ESP proposals allow it, else their first group.
    let groups: Vec<u16> = sa
        .conn
        .esp_proposals
        .iter()
        .flat_map(|p| p.ke.iter().copied())
        .collect();
    let group = if groups.contains(&p1.group.iana_id()) {
        Some(p1.group)
    } else {
        sa.esp_offer.first().and_then(|t| t.group)
    };
    for t in &mut sa.esp_offer {
        t.group = group;
    }
    let dh = match group {
        Some(g) => Some(provider().start_ke(g, ctx.rng()).map_err(crypto)?),
        None => None,
    };
    let mode = match (child.mode, sa.encap) {
        (Mode::Tunnel, false) => proposal::MODE_TUNNEL,
        (Mode::Tunnel, true) => proposal::MODE_UDP_TUNNEL,
        (Mode::Transport, false) => proposal::MODE_TRANSPORT,
        (Mode::Transport, true) => proposal::MODE_UDP_TRANSPORT,
    };
    let mut rest = vec![
        Payload::Sa(proposal::esp_sa(
            &sa.esp_offer,
            spi_in,
            mode,
            sa.conn.child_lifetime.as_secs(),
        )),
        Payload::Nonce(NoncePayload { nonce: ni.clone() }),
    ];
    if let Some(dh) = &dh {
        rest.push(Payload::Ke(KePayload {
            data: dh.public_value().to_vec(),
        }));
    }
    rest.push(Payload::Id(idci));
    rest.push(Payload::Id(idcr));
    let (_, rest_b) = emit_payload_chain(&rest).map_err(state)?;
    let keys = sa.keys.as_ref().ok_or_else(|| state("no keys"))?;
    let hash = keys::quick_hash1(provider(), p1.prf, &keys.skeyid_a, message_id, &rest_b)
        .map_err(crypto)?;
    let mut payloads = vec![Payload::Hash(HashPayload {
        hash: hash.as_bytes().to_vec(),
    })];
    payloads.extend(rest);
    let (dg, next) = sa.encrypt(sa.header(exchange::QUICK, true, message_id), &payloads, &iv)?;
    let reqid = ctx.next_reqid();
    sa.quick = Some(Quick {
        message_id,
        iv: next,
        ni,
        dh,
        spi_in,
        reqid,
    });
    sa.state = State::Qm1;
    sa.send_request(ctx, dg);
    Ok(())
}

fn esp_proposal(t: &EspTransform) -> Proposal {
    let mut p = Proposal::new(Protocol::Esp);
    p.encr = vec![EncrAlg::new(t.encr.iana_id(), t.encr.key_length_attr())];
    p.integ = t.integ.map(|i| i.iana_id()).into_iter().collect();
    p.ke = t.group.map(|g| g.iana_id()).into_iter().collect();
    p
}

/// The failure when Quick Mode goes unanswered.
pub(crate) fn unanswered(sa: &V1Sa) -> Failure {
    Failure::QuickModeUnanswered {
        ours: sa.esp_offer.iter().map(ToString::to_string).collect(),
    }
}

/// Quick Mode message 2: checks HASH(2), keys and installs the IPsec SA, sends message 3.
/// `Ok(false)`: the message was not one to act on (dropped).
pub(crate) fn on_qm2(sa: &mut V1Sa, ctx: &mut Ctx<'_>, data: &[u8]) -> Result<bool, Failure> {
    let Some(q) = sa.quick.as_ref() else {
        return Ok(false);
    };
    let Some(dec) = sa.decrypt(data, &q.iv) else {
        return Ok(false);
    };
    let p1 = sa.p1.ok_or_else(|| state("no transform"))?;
    let keys = sa.keys.as_ref().ok_or_else(|| state("no keys"))?;
    let Some(Payload::Hash(h)) = dec.payloads.first() else {
        return Ok(false);
    };
    let want = keys::quick_hash2(
        provider(),
        p1.prf,
        &keys.skeyid_a,
        q.message_id,
        &q.ni,
        &dec.rest,
    )
    .map_err(crypto)?;
    if !bool::from(want.as_bytes().ct_eq(&h.hash)) {
        return Ok(false);
    }
    let mut chosen = None;
    let mut nr = None;
    let mut ke = None;
    let mut ids = Vec::new();
    let mut resp_life = None;
    for p in dec.payloads.iter().skip(1) {
        match p {
            Payload::Sa(s) => chosen = Some(s.clone()),
            Payload::Nonce(n) => nr = Some(n.nonce.clone()),
            Payload::Ke(k) => ke = Some(k.data.clone()),
            Payload::Id(i) => ids.push(i.clone()),
            Payload::Notify(n) if n.notify_type == RESPONDER_LIFETIME => {
                resp_life = responder_lifetime(&n.data);
            }
            _ => {}
        }
    }
    let (Some(chosen), Some(nr)) = (chosen, nr) else {
        return Err(Failure::ProtocolError(
            "Quick Mode answer without SA or nonce".into(),
        ));
    };
    let ours: Vec<String> = sa.esp_offer.iter().map(ToString::to_string).collect();
    let Some((t, spi_out, life)) = proposal::esp_chosen(&chosen, &sa.esp_offer) else {
        return Err(Failure::NoProposalChosen {
            phase: Phase::Child,
            ours,
            theirs: None,
        });
    };
    let child_cfg = sa
        .conn
        .children
        .first()
        .cloned()
        .ok_or_else(|| state("no Child SA"))?;
    if !ids.is_empty() {
        let (Some(l), Some(r)) = (child_cfg.local_ts.first(), child_cfg.remote_ts.first()) else {
            return Err(state("no selectors"));
        };
        let want_ids = [ts_to_id(l).map_err(state)?, ts_to_id(r).map_err(state)?];
        if ids.as_slice() != want_ids.as_slice() {
            return Err(Failure::TsUnacceptable);
        }
    }
    let Some(q) = sa.quick.take() else {
        return Ok(false);
    };
    let gqm = match (&q.dh, ke) {
        (Some(dh), Some(ke)) => Some(
            dh.complete(&ke)
                .map_err(|e| Failure::ProtocolError(format!("bad Quick Mode key exchange: {e}")))?,
        ),
        (None, None) => None,
        _ => {
            return Err(Failure::ProtocolError(
                "the gateway's Quick Mode answer does not match our PFS choice".into(),
            ))
        }
    };
    let encr = esp_encr(t.encr.iana_id(), t.encr.key_length_attr())
        .ok_or_else(|| state("ESP cipher without keying"))?;
    let integ = match t.integ {
        Some(i) => Some(esp_integ(i.iana_id()).ok_or_else(|| state("ESP integrity"))?),
        None => None,
    };
    let elen = encr.keymat_len;
    let alen = integ.map_or(0, |i| i.key_len);
    let km = |spi: u32| {
        keys::keymat(
            provider(),
            p1.prf,
            &keys.skeyid_d,
            gqm.as_ref().map(|g| g.as_bytes()),
            protocol::ESP,
            spi,
            &q.ni,
            &nr,
            elen + alen,
        )
        .map_err(crypto)
    };
    let k_in = km(q.spi_in)?;
    let k_out = km(spi_out)?;
    let part = |k: &crate::crypto::Secret, o: usize, n: usize| {
        SecretBytes::from_slice(k.as_bytes().get(o..o + n).unwrap_or_default())
    };
    let child_keys = ChildKeys {
        encr,
        integ,
        ei: part(&k_out, 0, elen),
        ai: part(&k_out, elen, alen),
        er: part(&k_in, 0, elen),
        ar: part(&k_in, elen, alen),
        initiator: true,
    };
    // HASH(3), under the IV that follows message 2.
    let h3 = keys::quick_hash3(provider(), p1.prf, &keys.skeyid_a, q.message_id, &q.ni, &nr)
        .map_err(crypto)?;
    let (dg, _) = sa.encrypt(
        sa.header(exchange::QUICK, true, q.message_id),
        &[Payload::Hash(HashPayload {
            hash: h3.as_bytes().to_vec(),
        })],
        &dec.next_iv,
    )?;
    let lifetime = [Some(sa.conn.child_lifetime.as_secs()), life, resp_life]
        .into_iter()
        .flatten()
        .filter(|s| *s > 0)
        .min()
        .unwrap_or(3600);
    let local = sa.local.ok_or_else(|| state("local address unknown"))?;
    let child = ChildSa {
        name: child_cfg.name.clone(),
        reqid: q.reqid,
        spi_in: q.spi_in,
        spi_out,
        proposal: esp_proposal(&t),
        local_ts: child_cfg.local_ts.clone(),
        remote_ts: child_cfg.remote_ts.clone(),
        mode: child_cfg.mode,
        local: local.ip(),
        remote: sa.remote.ip(),
        encap: sa.encap.then_some(UdpEncap {
            sport: NATT_PORT,
            dport: sa.remote.port(),
        }),
        owns_policies: true,
        rekeyed: false,
        deleting: false,
        rekeying: false,
        our_rekey: None,
        peer_rekey: None,
        held_out: None,
    };
    let limits = ChildLimits {
        secs: lifetime,
        bytes: sa.conn.child_max_bytes,
        packets: sa.conn.child_max_packets,
    };
    child.install(ctx, &child_keys, &limits, false, true);
    sa.retx = None;
    sa.send_once(ctx, &dg);
    sa.last_rx = data.to_vec();
    sa.last_reply = dg;
    sa.last_heard = ctx.now();
    sa.state = State::Up;
    ctx.event(child.up_event(sa.handle));
    sa.child = Some((child, child_keys, t));
    Ok(true)
}

/// The seconds of a RESPONDER-LIFETIME notify's attributes (the last seconds duration).
fn responder_lifetime(data: &[u8]) -> Option<u64> {
    let mut r = crate::wire::Reader::new(data);
    let mut seconds = false;
    let mut out = None;
    while !r.is_empty() {
        let a = Attribute::parse(&mut r).ok()?;
        match a.attr_type {
            ipsec_attr::LIFE_TYPE => seconds = a.as_integer() == Some(1),
            ipsec_attr::LIFE_DURATION if seconds => out = a.as_integer(),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_become_ids() {
        let host =
            TrafficSelector::from_range("10.0.0.1".parse().unwrap(), "10.0.0.1".parse().unwrap());
        assert_eq!(ts_to_id(&host).unwrap().id_type, id_type::IPV4_ADDR);
        let net =
            TrafficSelector::from_range("10.1.0.0".parse().unwrap(), "10.1.0.255".parse().unwrap());
        let id = ts_to_id(&net).unwrap();
        assert_eq!(id.id_type, id_type::IPV4_ADDR_SUBNET);
        assert_eq!(id.data, vec![10, 1, 0, 0, 255, 255, 255, 0]);
        let all = TrafficSelector::from_range(
            "0.0.0.0".parse().unwrap(),
            "255.255.255.255".parse().unwrap(),
        );
        assert_eq!(ts_to_id(&all).unwrap().data, vec![0; 8]);
        let range =
            TrafficSelector::from_range("10.0.0.1".parse().unwrap(), "10.0.0.5".parse().unwrap());
        assert_eq!(ts_to_id(&range).unwrap().id_type, id_type::IPV4_ADDR_RANGE);
    }

    #[test]
    fn responder_lifetime_reads_seconds() {
        // LIFE_TYPE seconds, LIFE_DURATION 1200 (basic), then a kilobyte life that is ignored.
        let data = [
            0x80, 1, 0, 1, 0x80, 2, 0x04, 0xb0, 0x80, 1, 0, 2, 0x80, 2, 0, 9,
        ];
        assert_eq!(responder_lifetime(&data), Some(1200));
        // A variable-length duration.
        let data = [0x80, 1, 0, 1, 0, 2, 0, 4, 0, 1, 0x51, 0x80];
        assert_eq!(responder_lifetime(&data), Some(86400));
    }
}
