//! Building the XFRM netlink messages for the engine's kernel operations (pure functions,
//! no I/O), and reading back what the kernel reports.
//!
//! Every builder here is tested by encoding the message, decoding it again with the
//! parser of `netlink-packet-xfrm` and comparing attributes (`nm-plugin/tests/kernel_messages.rs`).

use super::{esp_alg, Binding, KernelError};
use ike_core::engine::{Direction, EspCipher, Lifetime, Mode, UdpEncap};
use ike_core::ts::range_to_cidrs;
use ike_core::wire::TrafficSelector;
use netlink_packet_xfrm::policy::{DelGetMessage as PolicyDelGet, ModifyMessage as PolicyModify};
pub use netlink_packet_xfrm::state::ModifyMessage;
use netlink_packet_xfrm::state::{AllocSpiMessage, DelGetMessage as StateDelGet};
use netlink_packet_xfrm::{
    Address, Alg, AlgAead, AlgAuth, EncapTmpl, Id, LifetimeConfig, Mark, ReplayEsn, Selector,
    UserPolicyId, UserPolicyInfo, UserSaId, UserSaInfo, UserSpiInfo, UserTemplate, XfrmAttrs,
    AF_INET, AF_INET6, IPPROTO_ESP, UDP_ENCAP_ESPINUDP, XFRM_INF, XFRM_MODE_TRANSPORT,
    XFRM_MODE_TUNNEL, XFRM_POLICY_ALLOW, XFRM_POLICY_FWD, XFRM_POLICY_IN, XFRM_POLICY_OUT,
    XFRM_SHARE_ANY, XFRM_STATE_AF_UNSPEC, XFRM_STATE_ESN,
};
use std::net::IpAddr;

/// Length of the algorithm name field in `struct xfrm_algo*` (including the NUL).
const ALG_NAME_LEN: usize = 64;

/// The replay window we install when the engine asks for less (or for ESN with 0).
///
/// 128 packets, like Libreswan's default: strongSwan's and the kernel's legacy 32 drops
/// legitimate packets as soon as multi-queue NICs, RPS or parallel crypto (pcrypt) reorder
/// more than 32 packets of one SA, which happens at a few hundred Mbit/s. The bitmap costs
/// 16 bytes per SA and checking it is O(1), so a larger window has no real cost; it does not
/// weaken replay protection (a replayed packet is still caught inside the window, and
/// anything older than the window is dropped).
pub const DEFAULT_REPLAY_WINDOW: u32 = 128;

/// Largest replay window we install (the kernel accepts bitmaps up to 4096 bytes; Libreswan
/// and strongSwan cap far below this).
pub const MAX_REPLAY_WINDOW: u32 = 4096;

/// The legacy `struct xfrm_replay_state` window (32 bits); larger windows or ESN need
/// `XFRMA_REPLAY_ESN_VAL`.
const LEGACY_REPLAY_WINDOW: u32 = 32;

/// SPI range for `XFRM_MSG_ALLOCSPI` (as strongSwan: 0xc0000000-0xcfffffff; SPIs below 256
/// are reserved by RFC 4303).
pub const SPI_MIN: u32 = 0xc000_0000;
/// Upper end of the SPI range.
pub const SPI_MAX: u32 = 0xcfff_ffff;

/// Base of our policy priorities. The kernel prefers the *lower* value; ours sit above (are
/// weaker than) strongSwan's installed IPsec policies (base 200000 minus specificity) and the
/// low values administrators use for bypass/drop policies, so a policy of ours never overrides
/// one we do not own. Among ours, more specific selectors win (see [`policy_priority`]).
pub const POLICY_PRIORITY_BASE: u32 = 400_000;

/// The effective replay window for a requested one.
pub fn effective_replay_window(requested: u32, esn: bool) -> u32 {
    if requested == 0 && !esn {
        // Explicitly disabled (e.g. multicast, or the engine knows better).
        return 0;
    }
    requested.clamp(DEFAULT_REPLAY_WINDOW, MAX_REPLAY_WINDOW)
}

pub(super) fn family_of(addr: &IpAddr) -> u16 {
    if addr.is_ipv6() {
        AF_INET6
    } else {
        AF_INET
    }
}

pub(super) fn mode_of(mode: Mode) -> u8 {
    match mode {
        Mode::Tunnel => XFRM_MODE_TUNNEL,
        Mode::Transport => XFRM_MODE_TRANSPORT,
    }
}

/// An algorithm name as the fixed-size, NUL-padded field of `struct xfrm_algo*`.
pub fn alg_name(name: &str) -> Result<[u8; ALG_NAME_LEN], KernelError> {
    let mut out = [0u8; ALG_NAME_LEN];
    let bytes = name.as_bytes();
    if bytes.is_empty() || bytes.len() >= ALG_NAME_LEN {
        return Err(KernelError::Invalid(format!(
            "algorithm name {name:?} does not fit the kernel's {ALG_NAME_LEN}-byte field"
        )));
    }
    for (d, s) in out.iter_mut().zip(bytes) {
        *d = *s;
    }
    Ok(out)
}

/// The name stored in a fixed-size algorithm name field.
pub fn alg_name_str(field: &[u8]) -> String {
    let end = field.iter().position(|b| *b == 0).unwrap_or(field.len());
    String::from_utf8_lossy(field.get(..end).unwrap_or(&[])).into_owned()
}

/// The kernel name of a negotiated transform, or an error naming the transform the data plane
/// cannot install (never another algorithm in its place).
fn known(
    kind: &str,
    id: u16,
    name: fn(u16) -> Option<&'static str>,
) -> Result<&'static str, KernelError> {
    name(id).ok_or_else(|| {
        KernelError::Invalid(format!(
            "{kind} transform {id} has no kernel algorithm name"
        ))
    })
}

fn key_bits(key: &[u8]) -> Result<u32, KernelError> {
    u32::try_from(key.len())
        .ok()
        .and_then(|n| n.checked_mul(8))
        .ok_or_else(|| KernelError::Invalid("key too long".into()))
}

/// No limit, in the kernel's terms.
fn limit(v: u64) -> u64 {
    if v == 0 {
        XFRM_INF
    } else {
        v
    }
}

/// The kernel lifetime configuration for an SA: time limits in seconds (0 = none), byte and
/// packet limits (none = `XFRM_INF`).
pub fn lifetime_config(l: &Lifetime) -> LifetimeConfig {
    LifetimeConfig {
        soft_byte_limit: limit(l.soft_bytes),
        hard_byte_limit: limit(l.hard_bytes),
        soft_packet_limit: limit(l.soft_packets),
        hard_packet_limit: limit(l.hard_packets),
        soft_add_expires_seconds: l.soft_secs,
        hard_add_expires_seconds: l.hard_secs,
        soft_use_expires_seconds: 0,
        hard_use_expires_seconds: 0,
    }
}

fn no_limits() -> LifetimeConfig {
    lifetime_config(&Lifetime::default())
}

/// One prefix-and-ports selector, the unit XFRM knows (a traffic selector range may need
/// several).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SelectorSpec {
    /// Source prefix.
    pub src: (IpAddr, u8),
    /// Destination prefix.
    pub dst: (IpAddr, u8),
    /// IP protocol (0 = any).
    pub proto: u8,
    /// Source port (`None`: any).
    pub sport: Option<u16>,
    /// Destination port (`None`: any).
    pub dport: Option<u16>,
}

impl SelectorSpec {
    /// The kernel selector.
    pub fn to_selector(&self) -> Selector {
        let mut s = Selector::default();
        s.source_prefix(&self.src.0, self.src.1);
        s.destination_prefix(&self.dst.0, self.dst.1);
        // `source_prefix` maps an unspecified address to /0 already; keep the family of the
        // selector even for 0.0.0.0/0.
        s.family = family_of(&self.src.0);
        s.proto = self.proto;
        if let Some(p) = self.sport {
            s.sport = p;
            s.sport_mask = 0xffff;
        }
        if let Some(p) = self.dport {
            s.dport = p;
            s.dport_mask = 0xffff;
        }
        s
    }
}

/// A port range as XFRM can express it: one port, or any. Ranges XFRM cannot express
/// (e.g. 1000-2000) are widened to any, with a warning.
fn port_of(start: u16, end: u16) -> Option<u16> {
    if start == end {
        Some(start)
    } else {
        if !((start, end) == (0, 65535) || (start, end) == (65535, 0)) {
            tracing::warn!(
                "port range {start}-{end} cannot be expressed in an XFRM selector; using any port"
            );
        }
        None
    }
}

/// The XFRM selectors covering a pair of traffic selectors (every source prefix × every
/// destination prefix).
pub fn selectors(src: &TrafficSelector, dst: &TrafficSelector) -> Vec<SelectorSpec> {
    let proto = if src.ip_protocol != 0 {
        src.ip_protocol
    } else {
        dst.ip_protocol
    };
    let sport = port_of(src.start_port, src.end_port);
    let dport = port_of(dst.start_port, dst.end_port);
    let mut out = Vec::new();
    for s in range_to_cidrs(src.start_addr, src.end_addr) {
        for d in range_to_cidrs(dst.start_addr, dst.end_addr) {
            if s.is_ipv6() != d.is_ipv6() {
                continue;
            }
            out.push(SelectorSpec {
                src: (s.addr(), s.prefix_len()),
                dst: (d.addr(), d.prefix_len()),
                proto,
                sport,
                dport,
            });
        }
    }
    out
}

/// Policy priority for a selector: more specific selectors get lower values (preferred),
/// like strongSwan does, on top of [`POLICY_PRIORITY_BASE`]:
/// `base + (256 - src_len - dst_len) * 4 + (proto any ? 2 : 0) + (ports any ? 1 : 0)`.
pub fn policy_priority(base: u32, sel: &SelectorSpec) -> u32 {
    let lens = u32::from(sel.src.1) + u32::from(sel.dst.1);
    let mut p = base.saturating_add(256u32.saturating_sub(lens).saturating_mul(4));
    if sel.proto == 0 {
        p = p.saturating_add(2);
    }
    if sel.sport.is_none() && sel.dport.is_none() {
        p = p.saturating_add(1);
    }
    p
}

fn binding_attrs(binding: &Binding, nlas: &mut Vec<XfrmAttrs>) {
    if let Some((value, mask)) = binding.mark {
        nlas.push(XfrmAttrs::Mark(Mark { value, mask }));
    }
    if let Some(if_id) = binding.if_id {
        nlas.push(XfrmAttrs::IfId(if_id));
    }
}

/// Parameters of an SA install, borrowed from [`ike_core::engine::KernelOp::InstallSa`].
#[derive(Debug, Clone, Copy)]
pub struct SaParams<'a> {
    /// Reqid.
    pub reqid: u32,
    /// SPI.
    pub spi: u32,
    /// Outer source.
    pub src: IpAddr,
    /// Outer destination.
    pub dst: IpAddr,
    /// Mode.
    pub mode: Mode,
    /// UDP encapsulation.
    pub encap: Option<UdpEncap>,
    /// Algorithms and keys.
    pub cipher: &'a EspCipher,
    /// ESN.
    pub esn: bool,
    /// Requested replay window.
    pub replay_window: u32,
    /// Lifetimes.
    pub lifetime: Lifetime,
    /// Selector (transport mode).
    pub selector: Option<(&'a TrafficSelector, &'a TrafficSelector)>,
}

/// The `XFRM_MSG_NEWSA`/`XFRM_MSG_UPDSA` body for an ESP SA. Contains key material: never
/// log it; drop it with [`scrub_sa`].
pub fn sa_message(p: &SaParams<'_>, binding: &Binding) -> Result<ModifyMessage, KernelError> {
    if p.src.is_ipv6() != p.dst.is_ipv6() {
        return Err(KernelError::Invalid(format!(
            "SA outer addresses of different families: {} -> {}",
            p.src, p.dst
        )));
    }
    let mut info = UserSaInfo {
        id: Id {
            daddr: Address::from_ip(&p.dst),
            spi: p.spi,
            proto: IPPROTO_ESP,
        },
        saddr: Address::from_ip(&p.src),
        family: family_of(&p.dst),
        mode: mode_of(p.mode),
        reqid: p.reqid,
        lifetime_cfg: lifetime_config(&p.lifetime),
        ..UserSaInfo::default()
    };
    if p.mode == Mode::Tunnel {
        // The inner family may differ from the outer one (IPv4 in IPv6 and back).
        info.flags |= XFRM_STATE_AF_UNSPEC;
    }
    if let Some((s, d)) = p.selector {
        // Transport mode: restrict the SA to the negotiated hosts when they are single
        // prefixes; otherwise leave it open (the policies restrict traffic).
        if let [one] = selectors(s, d).as_slice() {
            info.selector = one.to_selector();
        }
    }
    let mut nlas = Vec::new();
    match p.cipher {
        EspCipher::Aead {
            transform_id,
            key,
            icv_bits,
        } => nlas.push(XfrmAttrs::EncryptionAlgAead(AlgAead {
            alg_name: alg_name(known("ESP ENCR", *transform_id, esp_alg::aead_name)?)?,
            alg_key_len: key_bits(key.expose())?,
            alg_icv_len: *icv_bits,
            alg_key: key.expose().to_vec(),
        })),
        EspCipher::Separate {
            encr_id,
            encr_key,
            integ_id,
            integ_key,
            trunc_bits,
        } => {
            nlas.push(XfrmAttrs::EncryptionAlg(Alg {
                alg_name: alg_name(known("ESP ENCR", *encr_id, esp_alg::encr_name)?)?,
                alg_key_len: key_bits(encr_key.expose())?,
                alg_key: encr_key.expose().to_vec(),
            }));
            nlas.push(XfrmAttrs::AuthenticationAlgTrunc(AlgAuth {
                alg_name: alg_name(known("ESP INTEG", *integ_id, esp_alg::integ_name)?)?,
                alg_key_len: key_bits(integ_key.expose())?,
                alg_trunc_len: *trunc_bits,
                alg_key: integ_key.expose().to_vec(),
            }));
        }
    }
    let window = effective_replay_window(p.replay_window, p.esn);
    if p.esn || window > LEGACY_REPLAY_WINDOW {
        let bmp_len = window.div_ceil(32);
        nlas.push(XfrmAttrs::ReplayStateEsn(ReplayEsn {
            bmp_len,
            oseq: 0,
            seq: 0,
            oseq_hi: 0,
            seq_hi: 0,
            replay_window: window,
            bmp: vec![0; bmp_len as usize],
        }));
        if p.esn {
            info.flags |= XFRM_STATE_ESN;
        }
    } else {
        info.replay_window = u8::try_from(window).unwrap_or(u8::MAX);
    }
    if let Some(e) = p.encap {
        nlas.push(XfrmAttrs::EncapsulationTemplate(EncapTmpl {
            encap_type: UDP_ENCAP_ESPINUDP,
            encap_sport: e.sport,
            encap_dport: e.dport,
            encap_oa: Address::default(),
        }));
    }
    binding_attrs(binding, &mut nlas);
    Ok(ModifyMessage {
        user_sa_info: info,
        nlas,
    })
}

/// Overwrites the key bytes held by an SA message (before it is dropped).
pub fn scrub_sa(msg: &mut ModifyMessage) {
    use zeroize::Zeroize;
    for nla in &mut msg.nlas {
        match nla {
            XfrmAttrs::EncryptionAlgAead(a) => a.alg_key.zeroize(),
            XfrmAttrs::EncryptionAlg(a) | XfrmAttrs::AuthenticationAlg(a) => a.alg_key.zeroize(),
            XfrmAttrs::AuthenticationAlgTrunc(a) => a.alg_key.zeroize(),
            _ => {}
        }
    }
}

/// The `XFRM_MSG_DELSA` body.
pub fn delete_sa_message(spi: u32, src: IpAddr, dst: IpAddr, binding: &Binding) -> StateDelGet {
    let id = UserSaId {
        daddr: Address::from_ip(&dst),
        spi,
        family: family_of(&dst),
        proto: IPPROTO_ESP,
    };
    let mut nlas = vec![XfrmAttrs::SrcAddr(Address::from_ip(&src))];
    if let Some((value, mask)) = binding.mark {
        nlas.push(XfrmAttrs::Mark(Mark { value, mask }));
    }
    StateDelGet {
        user_sa_id: id,
        nlas,
    }
}

/// The `XFRM_MSG_ALLOCSPI` body: an inbound ESP SPI for `src` (peer) → `dst` (us), in
/// [`SPI_MIN`]..=[`SPI_MAX`].
pub fn alloc_spi_message(src: IpAddr, dst: IpAddr, binding: &Binding) -> AllocSpiMessage {
    let info = UserSaInfo {
        id: Id {
            daddr: Address::from_ip(&dst),
            spi: 0,
            proto: IPPROTO_ESP,
        },
        saddr: Address::from_ip(&src),
        family: family_of(&dst),
        ..UserSaInfo::default()
    };
    let mut nlas = Vec::new();
    binding_attrs(binding, &mut nlas);
    AllocSpiMessage {
        spi_info: UserSpiInfo {
            info,
            min: SPI_MIN,
            max: SPI_MAX,
        },
        nlas,
    }
}

/// The kernel's direction number.
pub fn policy_dir(dir: Direction) -> u8 {
    match dir {
        Direction::In => XFRM_POLICY_IN,
        Direction::Out => XFRM_POLICY_OUT,
        Direction::Fwd => XFRM_POLICY_FWD,
    }
}

/// Parameters of a policy install.
#[derive(Debug, Clone, Copy)]
pub struct PolicyParams {
    /// Reqid of the template.
    pub reqid: u32,
    /// Direction.
    pub dir: Direction,
    /// The selector.
    pub sel: SelectorSpec,
    /// Template outer source.
    pub tmpl_src: IpAddr,
    /// Template outer destination.
    pub tmpl_dst: IpAddr,
    /// Mode.
    pub mode: Mode,
    /// Priority base (see [`policy_priority`]).
    pub priority_base: u32,
}

/// The `XFRM_MSG_NEWPOLICY`/`UPDPOLICY` body: an IPsec policy requiring ESP with `reqid`.
pub fn policy_message(p: &PolicyParams, binding: &Binding) -> PolicyModify {
    let info = UserPolicyInfo {
        selector: p.sel.to_selector(),
        lifetime_cfg: no_limits(),
        priority: policy_priority(p.priority_base, &p.sel),
        direction: policy_dir(p.dir),
        action: XFRM_POLICY_ALLOW,
        share: XFRM_SHARE_ANY,
        ..UserPolicyInfo::default()
    };
    let mut t = UserTemplate::default();
    t.source(&p.tmpl_src);
    t.destination(&p.tmpl_dst);
    t.protocol(IPPROTO_ESP);
    t.mode(mode_of(p.mode));
    t.reqid(p.reqid);
    t.family = family_of(&p.tmpl_dst);
    t.aalgos = u32::MAX;
    t.ealgos = u32::MAX;
    t.calgos = u32::MAX;
    let mut nlas = vec![XfrmAttrs::Template(vec![t])];
    binding_attrs(binding, &mut nlas);
    PolicyModify {
        user_policy_info: info,
        nlas,
    }
}

/// The `XFRM_MSG_DELPOLICY` body.
pub fn delete_policy_message(
    dir: Direction,
    sel: &SelectorSpec,
    binding: &Binding,
) -> PolicyDelGet {
    let id = UserPolicyId {
        selector: sel.to_selector(),
        direction: policy_dir(dir),
        ..UserPolicyId::default()
    };
    let mut nlas = Vec::new();
    binding_attrs(binding, &mut nlas);
    PolicyDelGet {
        user_policy_id: id,
        nlas,
    }
}
