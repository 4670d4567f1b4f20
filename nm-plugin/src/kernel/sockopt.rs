//! IKE socket setup: socket policy bypass (so a `0.0.0.0/0` tunnel never captures IKE) and
//! ESP-in-UDP decapsulation on the NAT-T socket.
//!
//! The options are set through nix's documented extension point for socket options nix
//! does not wrap ([`nix::sockopt_impl!`]): the `setsockopt(2)` call and its `unsafe` live in
//! nix, our code only names the level, option and value type. The XFRM policy value is the
//! 168-byte `struct xfrm_userpolicy_info` as netlink-packet-xfrm emits it (a byte array, so
//! no padding bytes of a Rust struct are ever passed to the kernel).

use netlink_packet_core::Emitable;
use netlink_packet_xfrm::{
    UserPolicyInfo, XFRM_INF, XFRM_POLICY_ALLOW, XFRM_POLICY_IN, XFRM_POLICY_OUT,
    XFRM_USER_POLICY_INFO_LEN,
};
use nix::sys::socket::setsockopt;
use nix::{setsockopt_impl, sockopt_impl};
use std::io;
use std::os::fd::AsFd;

/// The raw `struct xfrm_userpolicy_info` passed to `IP_XFRM_POLICY`/`IPV6_XFRM_POLICY`.
pub type PolicyBytes = [u8; XFRM_USER_POLICY_INFO_LEN];

sockopt_impl!(
    /// `IP_XFRM_POLICY`: a per-socket IPsec policy (IPv4 sockets).
    IpXfrmPolicy,
    SetOnly,
    libc::IPPROTO_IP,
    libc::IP_XFRM_POLICY,
    PolicyBytes
);

sockopt_impl!(
    /// `IPV6_XFRM_POLICY`: a per-socket IPsec policy (IPv6 sockets).
    Ipv6XfrmPolicy,
    SetOnly,
    libc::IPPROTO_IPV6,
    libc::IPV6_XFRM_POLICY,
    PolicyBytes
);

sockopt_impl!(
    /// `UDP_ENCAP`: the encapsulation type of a UDP socket (`UDP_ENCAP_ESPINUDP` = 2).
    UdpEncap,
    SetOnly,
    libc::IPPROTO_UDP,
    libc::UDP_ENCAP,
    usize
);

/// `UDP_ENCAP_ESPINUDP` (RFC 3948: non-ESP marker for IKE, ESP otherwise).
pub const UDP_ENCAP_ESPINUDP: usize = 2;

/// The bypass policy for one direction: action allow, no template, no lifetime limits, an
/// all-matching selector of the socket's family (the kernel refuses a selector without one).
pub fn bypass_policy(dir: u8, ipv6: bool) -> PolicyBytes {
    let selector = netlink_packet_xfrm::Selector {
        family: if ipv6 {
            netlink_packet_xfrm::AF_INET6
        } else {
            netlink_packet_xfrm::AF_INET
        },
        ..Default::default()
    };
    let info = UserPolicyInfo {
        selector,
        direction: dir,
        action: XFRM_POLICY_ALLOW,
        lifetime_cfg: netlink_packet_xfrm::LifetimeConfig {
            soft_byte_limit: XFRM_INF,
            hard_byte_limit: XFRM_INF,
            soft_packet_limit: XFRM_INF,
            hard_packet_limit: XFRM_INF,
            ..Default::default()
        },
        ..UserPolicyInfo::default()
    };
    let mut out = [0u8; XFRM_USER_POLICY_INFO_LEN];
    if info.buffer_len() == out.len() {
        info.emit(&mut out);
    }
    out
}

/// Makes `sock` bypass IPsec policies in both directions (what strongSwan and Libreswan do
/// for their IKE sockets), so the IKE packets of a tunnel covering the gateway's address are
/// neither encrypted nor dropped.
pub fn bypass_ipsec<F: AsFd>(sock: &F, ipv6: bool) -> io::Result<()> {
    for dir in [XFRM_POLICY_IN, XFRM_POLICY_OUT] {
        let p = bypass_policy(dir, ipv6);
        let r = if ipv6 {
            setsockopt(sock, Ipv6XfrmPolicy, &p)
        } else {
            setsockopt(sock, IpXfrmPolicy, &p)
        };
        r.map_err(|e| {
            io::Error::new(
                io::Error::from(e).kind(),
                format!("cannot set the IPsec bypass policy on the IKE socket: {e}"),
            )
        })?;
    }
    Ok(())
}

/// Turns on ESP-in-UDP decapsulation (`UDP_ENCAP_ESPINUDP`) on the NAT-T socket: the
/// kernel then hands ESP to XFRM and only IKE (non-ESP marker) to us.
pub fn enable_espinudp<F: AsFd>(sock: &F) -> io::Result<()> {
    setsockopt(sock, UdpEncap, &UDP_ENCAP_ESPINUDP).map_err(|e| {
        io::Error::new(
            io::Error::from(e).kind(),
            format!("cannot enable ESP-in-UDP decapsulation on the NAT-T socket: {e}"),
        )
    })
}

/// Sets up the IKE sockets of one local address: both bypass IPsec; the NAT-T one also
/// decapsulates ESP-in-UDP. Call it right after binding (`Sockets::bind`).
pub fn prepare_ike_sockets<F: AsFd, G: AsFd>(ike: &F, natt: &G, ipv6: bool) -> io::Result<()> {
    bypass_ipsec(ike, ipv6)?;
    bypass_ipsec(natt, ipv6)?;
    enable_espinudp(natt)
}
