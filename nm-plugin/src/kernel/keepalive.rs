//! NAT-keepalives sent by the kernel (`XFRMA_NAT_KEEPALIVE_INTERVAL`, Linux 6.11), with the
//! service's own keepalives as the fallback.
//!
//! Behind a NAT, an outbound UDP-encapsulated SA can ask the kernel to send the RFC 3948
//! keepalive (one 0xFF octet from the SA's encapsulation ports) whenever the SA has sent
//! nothing for the interval. The kernel accepts the attribute only on an SA whose direction is
//! given as out (`XFRMA_SA_DIR`, Linux 6.10) and that uses `UDP_ENCAP_ESPINUDP`; with that
//! direction it refuses what only inbound SAs use: a replay window (the legacy field, or a
//! window, bitmap or sequence numbers in `XFRMA_REPLAY_ESN_VAL`) and the DECAP_DSCP, ICMP and
//! WILDRECV flags. Kernels before 6.10 ignore both attributes (XFRM parses unknown attributes
//! liberally), and a 6.1 kernel refuses an ESN SA whose replay window is 0. So:
//!
//! - the request is made only on kernels whose release is 6.11 or later (an older release
//!   installs exactly the SA it always did);
//! - a refused request is retried at once without it (the SA is never left out);
//! - an accepted one is read back: only an SA that reports the interval counts as the
//!   kernel's, otherwise the service keeps sending the keepalives;
//! - which of the two sends them is logged once per connection, at info.
//!
//! The engine is not told: it still schedules its keepalives, and the driver does not send
//! those the kernel already sends ([`KeepaliveOffload::covers`]); a keepalive is the one
//! datagram of the engine that carries no state.

use super::api::SaKey;
use ike_core::engine::{Direction, UdpEncap};
use netlink_packet_core::{DefaultNla, Nla};
use netlink_packet_xfrm::state::ModifyMessage;
use netlink_packet_xfrm::XfrmAttrs;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// `XFRMA_SA_DIR` (`include/uapi/linux/xfrm.h`, Linux 6.10): a `__u8` direction.
pub const XFRMA_SA_DIR: u16 = 33;
/// `XFRMA_NAT_KEEPALIVE_INTERVAL` (Linux 6.11): a `__u32` interval in seconds.
pub const XFRMA_NAT_KEEPALIVE_INTERVAL: u16 = 34;
/// `XFRM_SA_DIR_IN`.
pub const XFRM_SA_DIR_IN: u8 = 1;
/// `XFRM_SA_DIR_OUT`.
pub const XFRM_SA_DIR_OUT: u8 = 2;
/// The first release with the keepalive offload.
pub const FIRST_RELEASE: (u32, u32) = (6, 11);

/// The `XFRMA_SA_DIR` attribute.
pub fn sa_dir_attr(dir: Direction) -> XfrmAttrs {
    let v = match dir {
        Direction::In => XFRM_SA_DIR_IN,
        _ => XFRM_SA_DIR_OUT,
    };
    XfrmAttrs::Other(DefaultNla::new(XFRMA_SA_DIR, vec![v]))
}

/// The `XFRMA_NAT_KEEPALIVE_INTERVAL` attribute.
pub fn interval_attr(secs: u32) -> XfrmAttrs {
    XfrmAttrs::Other(DefaultNla::new(
        XFRMA_NAT_KEEPALIVE_INTERVAL,
        secs.to_ne_bytes().to_vec(),
    ))
}

/// Turns the body of an outbound SA into one that asks the kernel for keepalives every
/// `secs` seconds: direction out, the interval, and no replay window (refused with
/// direction out; an outbound SA never checks one).
pub fn request(msg: &mut ModifyMessage, secs: u32) {
    msg.user_sa_info.replay_window = 0;
    for nla in &mut msg.nlas {
        if let XfrmAttrs::ReplayStateEsn(r) = nla {
            r.replay_window = 0;
            r.bmp_len = 0;
            r.bmp.clear();
            r.seq = 0;
            r.seq_hi = 0;
        }
    }
    msg.nlas.push(sa_dir_attr(Direction::Out));
    msg.nlas.push(interval_attr(secs));
}

/// The keepalive interval an SA reports (as the kernel dumps it back), if any.
pub fn interval_of(nlas: &[XfrmAttrs]) -> Option<u32> {
    nlas.iter().find_map(|a| match a {
        XfrmAttrs::Other(o) if o.kind() == XFRMA_NAT_KEEPALIVE_INTERVAL && o.value_len() == 4 => {
            let mut b = [0u8; 4];
            o.emit_value(&mut b);
            Some(u32::from_ne_bytes(b)).filter(|v| *v != 0)
        }
        _ => None,
    })
}

/// Whether a kernel release string (`uname -r`, e.g. `6.12.48+deb13-amd64`) is 6.11 or later.
pub fn release_supports(release: &str) -> bool {
    let mut parts = release
        .split(|c: char| !c.is_ascii_digit())
        .map(|p| p.parse::<u32>().ok());
    match (parts.next().flatten(), parts.next().flatten()) {
        (Some(major), Some(minor)) => (major, minor) >= FIRST_RELEASE,
        _ => false,
    }
}

/// The running kernel's release, if readable.
pub fn running_release() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .ok()
        .map(|s| s.trim().to_string())
}

/// What is known of the kernel's keepalive offload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Support {
    /// Not tried yet (a 6.11+ release).
    Unknown,
    /// An SA reported the interval back.
    Yes,
    /// Not there; the reason, for the log.
    No(String),
}

/// Who sends the keepalives of one connection, decided SA by SA (see the module
/// documentation).
#[derive(Debug, Clone)]
pub struct KeepaliveOffload {
    /// The profile's interval in seconds (`nat-keepalive`; `None`: off).
    interval: Option<u32>,
    /// Peers we are behind a NAT towards (their IKE endpoints).
    peers: Vec<SocketAddr>,
    support: Support,
    /// Outbound SAs whose keepalives the kernel sends, with the peer endpoint they go to.
    sas: Vec<(SaKey, SocketAddr)>,
    /// Whether the choice was logged.
    logged: bool,
}

impl KeepaliveOffload {
    /// For a profile's `nat-keepalive` (zero: off) on the kernel `release` (`None`:
    /// unknown, so no offload).
    pub fn new(interval: Duration, release: Option<&str>) -> Self {
        // The kernel counts whole seconds: a fraction rounds up (never more often than asked).
        let whole = interval.as_secs() + u64::from(interval.subsec_nanos() > 0);
        let secs = u32::try_from(whole).unwrap_or(u32::MAX);
        let support = match release {
            Some(r) if release_supports(r) => Support::Unknown,
            Some(r) => Support::No(format!(
                "Linux {r} has no XFRM NAT keepalive offload, which came with {}.{}",
                FIRST_RELEASE.0, FIRST_RELEASE.1
            )),
            None => Support::No("the kernel release is unknown".into()),
        };
        KeepaliveOffload {
            interval: (secs > 0).then_some(secs),
            peers: Vec::new(),
            support,
            sas: Vec::new(),
            logged: false,
        }
    }

    /// Off: the service sends every keepalive (backends and profiles without the offload).
    pub fn off() -> Self {
        Self::new(Duration::ZERO, None)
    }

    /// What is known of the kernel's support.
    pub fn support(&self) -> &Support {
        &self.support
    }

    /// We are behind a NAT towards `peer` (an IKE SA came up with UDP encapsulation).
    pub fn behind_nat(&mut self, peer: SocketAddr) {
        if !self.peers.contains(&peer) {
            self.peers.push(peer);
        }
    }

    /// The interval to ask the kernel for when installing an SA of `direction` to `dst` with
    /// `encap`: only outbound, UDP-encapsulated SAs towards a peer we are behind a NAT
    /// from, with keepalives on, on a kernel not known to lack the offload.
    pub fn wanted(
        &self,
        direction: Direction,
        dst: IpAddr,
        encap: Option<UdpEncap>,
    ) -> Option<u32> {
        let secs = self.interval?;
        let e = encap?;
        if direction != Direction::Out || matches!(self.support, Support::No(_)) {
            return None;
        }
        self.peers
            .contains(&SocketAddr::new(dst, e.dport))
            .then_some(secs)
    }

    /// Whether the choice still has to be logged (once per connection); marks it logged.
    fn first_word(&mut self) -> bool {
        !std::mem::replace(&mut self.logged, true)
    }

    /// The kernel refused the SA with the request (`error`): it was installed without it.
    pub fn refused(&mut self, spi: u32, error: &str) {
        self.support = Support::No(format!("the kernel refused it: {error}"));
        if self.first_word() {
            tracing::info!(
                "NAT-keepalives are sent by the service: the kernel refused to send them for ESP SA 0x{spi:08x} ({error})"
            );
        }
    }

    /// The SA `key` (to `peer`) was installed with a request for `asked` seconds and the
    /// kernel reports `reported`: true when the kernel sends its keepalives from now on.
    pub fn read_back(
        &mut self,
        key: SaKey,
        peer: SocketAddr,
        asked: u32,
        reported: Option<u32>,
    ) -> bool {
        if reported == Some(asked) {
            self.support = Support::Yes;
            self.sas
                .retain(|(k, _)| !(k.spi == key.spi && k.dst == key.dst));
            self.sas.push((key, peer));
            if self.first_word() {
                tracing::info!(
                    "NAT-keepalives are sent by the kernel: every {asked} s of silence on ESP SA 0x{:08x} to {peer} (XFRMA_NAT_KEEPALIVE_INTERVAL)",
                    key.spi
                );
            }
            return true;
        }
        let why = match reported {
            Some(other) => format!("the SA reports an interval of {other} s instead of {asked} s"),
            None => "the SA does not report the interval back".into(),
        };
        if self.support != Support::Yes {
            self.support = Support::No(why.clone());
        }
        if self.first_word() {
            tracing::info!(
                "NAT-keepalives are sent by the service: the kernel took no keepalive interval for ESP SA 0x{:08x} ({why})",
                key.spi
            );
        }
        false
    }

    /// The service sends the keepalives to `peer` because nothing was asked of the kernel
    /// (logged once, when keepalives are on and we are behind a NAT towards it).
    pub fn not_asked(&mut self, peer: SocketAddr) {
        if self.interval.is_none() || !self.peers.contains(&peer) {
            return;
        }
        if let Support::No(why) = &self.support {
            let why = why.clone();
            if self.first_word() {
                tracing::info!("NAT-keepalives are sent by the service ({why})");
            }
        }
    }

    /// The SA `spi` to `dst` is gone (deleted or expired).
    pub fn forget(&mut self, spi: u32, dst: IpAddr) {
        self.sas.retain(|(k, _)| !(k.spi == spi && k.dst == dst));
    }

    /// Everything is gone.
    pub fn forget_all(&mut self) {
        self.sas.clear();
    }

    /// Whether the kernel sends the keepalives to `peer` (an outbound SA of ours to it
    /// carries the interval): the driver then sends none itself.
    pub fn covers(&self, peer: SocketAddr) -> bool {
        self.sas.iter().any(|(_, p)| *p == peer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netlink_packet_core::{Emitable, NlaBuffer, Parseable};
    use netlink_packet_xfrm::ReplayEsn;

    fn round_trip(a: &XfrmAttrs) -> XfrmAttrs {
        let mut buf = vec![0u8; a.buffer_len()];
        a.emit(&mut buf);
        XfrmAttrs::parse(&NlaBuffer::new(&buf[..])).unwrap()
    }

    #[test]
    fn attributes_have_the_kernel_numbers_and_values() {
        let mut buf = vec![0u8; interval_attr(20).buffer_len()];
        interval_attr(20).emit(&mut buf);
        // struct nlattr: length 8 (4 header + 4 value), type 34, then the u32.
        assert_eq!(&buf[..4], &[8, 0, 34, 0]);
        assert_eq!(u32::from_ne_bytes(buf[4..8].try_into().unwrap()), 20);
        let mut dir = vec![0u8; sa_dir_attr(Direction::Out).buffer_len()];
        sa_dir_attr(Direction::Out).emit(&mut dir);
        assert_eq!(&dir[..5], &[5, 0, 33, 0, 2]);
        assert_eq!(interval_of(&[round_trip(&interval_attr(25))]), Some(25));
        assert_eq!(
            interval_of(&[round_trip(&sa_dir_attr(Direction::Out))]),
            None
        );
        assert_eq!(interval_of(&[interval_attr(0)]), None);
    }

    #[test]
    fn a_request_clears_the_replay_window_the_kernel_refuses_on_outbound_sas() {
        let mut m = ModifyMessage::default();
        m.user_sa_info.replay_window = 32;
        m.nlas.push(XfrmAttrs::ReplayStateEsn(ReplayEsn {
            bmp_len: 4,
            oseq: 0,
            seq: 0,
            oseq_hi: 0,
            seq_hi: 0,
            replay_window: 128,
            bmp: vec![0; 4],
        }));
        request(&mut m, 20);
        assert_eq!(m.user_sa_info.replay_window, 0);
        let Some(XfrmAttrs::ReplayStateEsn(r)) = m.nlas.first() else {
            panic!("replay state lost");
        };
        assert_eq!((r.replay_window, r.bmp_len, r.bmp.len()), (0, 0, 0));
        assert_eq!(interval_of(&m.nlas), Some(20));
        assert!(m
            .nlas
            .iter()
            .any(|a| matches!(a, XfrmAttrs::Other(o) if o.kind() == XFRMA_SA_DIR)));
    }

    #[test]
    fn releases_from_6_11_on_are_tried() {
        for (r, ok) in [
            ("6.1.0-40-amd64", false),
            ("6.10.14", false),
            ("6.11.0", true),
            ("6.12.48+deb13-amd64", true),
            ("7.0.1", true),
            ("5.14.0-570.el9.x86_64", false),
            ("garbage", false),
            ("", false),
        ] {
            assert_eq!(release_supports(r), ok, "{r}");
        }
    }

    fn encap() -> Option<UdpEncap> {
        Some(UdpEncap {
            sport: 4500,
            dport: 4500,
        })
    }

    fn key(spi: u32) -> SaKey {
        SaKey {
            spi,
            src: "198.51.100.2".parse().unwrap(),
            dst: "192.0.2.2".parse().unwrap(),
            direction: Direction::Out,
        }
    }

    #[test]
    fn only_outbound_encapsulated_sas_behind_a_nat_ask_the_kernel() {
        let gw: IpAddr = "192.0.2.2".parse().unwrap();
        let peer = SocketAddr::new(gw, 4500);
        let mut k = KeepaliveOffload::new(Duration::from_secs(20), Some("6.12.48+deb13-amd64"));
        // Not behind a NAT (yet): nothing.
        assert_eq!(k.wanted(Direction::Out, gw, encap()), None);
        k.behind_nat(peer);
        assert_eq!(k.wanted(Direction::Out, gw, encap()), Some(20));
        assert_eq!(k.wanted(Direction::In, gw, encap()), None);
        assert_eq!(k.wanted(Direction::Out, gw, None), None);
        // Another port or peer: not the path we are behind a NAT on.
        let other = Some(UdpEncap {
            sport: 4500,
            dport: 1024,
        });
        assert_eq!(k.wanted(Direction::Out, gw, other), None);
        // A fraction of a second rounds up.
        let mut frac = KeepaliveOffload::new(Duration::from_millis(1500), Some("6.12.0"));
        frac.behind_nat(peer);
        assert_eq!(frac.wanted(Direction::Out, gw, encap()), Some(2));
        // nat-keepalive=0: never.
        let mut off = KeepaliveOffload::new(Duration::ZERO, Some("6.12.0"));
        off.behind_nat(peer);
        assert_eq!(off.wanted(Direction::Out, gw, encap()), None);
        // An old kernel: never asked (its SAs stay exactly as they were).
        let mut old = KeepaliveOffload::new(Duration::from_secs(20), Some("6.1.0-40-amd64"));
        old.behind_nat(peer);
        assert_eq!(old.wanted(Direction::Out, gw, encap()), None);
        assert!(!old.covers(peer));
    }

    #[test]
    fn the_kernel_covers_a_peer_only_after_an_sa_reported_the_interval() {
        let peer: SocketAddr = "192.0.2.2:4500".parse().unwrap();
        let mut k = KeepaliveOffload::new(Duration::from_secs(20), Some("6.12.0"));
        k.behind_nat(peer);
        assert!(!k.covers(peer));
        assert!(k.read_back(key(1), peer, 20, Some(20)));
        assert_eq!(k.support(), &Support::Yes);
        assert!(k.covers(peer));
        // A rekey: the new SA is added, the old one goes, the kernel still covers the peer.
        assert!(k.read_back(key(2), peer, 20, Some(20)));
        k.forget(1, key(1).dst);
        assert!(k.covers(peer));
        k.forget(2, key(2).dst);
        assert!(
            !k.covers(peer),
            "no SA of ours left: the service sends them again"
        );
    }

    #[test]
    fn an_sa_that_does_not_report_the_interval_leaves_the_keepalives_to_the_service() {
        let peer: SocketAddr = "192.0.2.2:4500".parse().unwrap();
        let gw = peer.ip();
        // A kernel that ignores the attribute (the SA came back without it).
        let mut k = KeepaliveOffload::new(Duration::from_secs(20), Some("6.11.0"));
        k.behind_nat(peer);
        assert!(!k.read_back(key(1), peer, 20, None));
        assert!(!k.covers(peer));
        assert!(matches!(k.support(), Support::No(_)));
        // Later SAs are installed as before, without asking.
        assert_eq!(k.wanted(Direction::Out, gw, encap()), None);
        // A kernel that refused the request: the same.
        let mut r = KeepaliveOffload::new(Duration::from_secs(20), Some("6.11.0"));
        r.behind_nat(peer);
        r.refused(1, "Invalid argument (os error 22)");
        assert_eq!(r.wanted(Direction::Out, gw, encap()), None);
        assert!(!r.covers(peer));
        // A different interval back is not ours either.
        let mut d = KeepaliveOffload::new(Duration::from_secs(20), Some("6.11.0"));
        d.behind_nat(peer);
        assert!(!d.read_back(key(1), peer, 20, Some(5)));
        assert!(!d.covers(peer));
    }
}
