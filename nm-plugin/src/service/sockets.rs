//! Which UDP ports a connection uses.
//!
//! # Several connections at once
//!
//! NetworkManager starts one `nm-ike-service` process per active connection (our `.name` file
//! says `supports-multiple-connections=true`), each with its own `--bus-name`. Two processes
//! cannot both bind UDP port 500 on the same address, so:
//!
//! 1. Each process binds its IKE sockets to the *specific* local address the routing table
//!    picks towards its gateway (never the wildcard address), on ports 500 and 4500. Two
//!    connections leaving through different local addresses both get the standard ports.
//! 2. When 500 or 4500 is taken on that address (another connection, or a system IKE daemon
//!    such as charon or pluto bound to the wildcard address), the process binds an ephemeral
//!    port pair instead. RFC 7296 §2.11 lets the initiator use any source port, and RFC 3947
//!    clients behind a NAT do the same in effect. The connection then behaves like a client
//!    behind a NAT: UDP encapsulation is forced (our NAT detection hash is randomised, so the
//!    gateway sees a NAT), the exchange floats to the gateway's port 4500 from our second
//!    socket after IKE_SA_INIT, and ESP is carried in UDP on that socket's port. Every gateway
//!    supports that path, and the gateway replies to whatever ports we use.
//!
//! The fallback never steals the port of another process and needs no coordination between
//! processes. Its costs: UDP encapsulation overhead, and firewalls that only allow source port
//! 500/4500 block the second connection (the log says which ports were bound).
//!
//! For tests and unusual setups `NM_IKE_IKE_PORT` and `NM_IKE_NATT_PORT` fix the local ports
//! (0 = ephemeral) without forcing encapsulation.

use crate::driver::run::Sockets;
use ike_core::natt::{IKE_PORT, NATT_PORT};
use std::io;
use std::net::IpAddr;

/// Environment variable fixing the local IKE port (0 = ephemeral).
pub const ENV_IKE_PORT: &str = "NM_IKE_IKE_PORT";
/// Environment variable fixing the local NAT-T port (0 = ephemeral).
pub const ENV_NATT_PORT: &str = "NM_IKE_NATT_PORT";

/// How local ports are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortPolicy {
    /// 500/4500 on the local address, ephemeral ports with forced encapsulation when taken.
    Standard,
    /// Exactly these ports (0 = ephemeral), no fallback, no forced encapsulation.
    Fixed {
        /// Local IKE port.
        ike: u16,
        /// Local NAT-T port.
        natt: u16,
    },
}

impl PortPolicy {
    /// From `NM_IKE_IKE_PORT` / `NM_IKE_NATT_PORT`; `Standard` when neither is set.
    pub fn from_env() -> Result<Self, String> {
        Self::from_values(
            std::env::var(ENV_IKE_PORT).ok().as_deref(),
            std::env::var(ENV_NATT_PORT).ok().as_deref(),
        )
    }

    /// From the two variables' values.
    pub fn from_values(ike: Option<&str>, natt: Option<&str>) -> Result<Self, String> {
        let parse = |name: &str, v: &str| {
            v.trim()
                .parse::<u16>()
                .map_err(|_| format!("{name}={v:?} is not a port number (0-65535)"))
        };
        match (ike, natt) {
            (None, None) => Ok(PortPolicy::Standard),
            (ike, natt) => Ok(PortPolicy::Fixed {
                ike: ike
                    .map(|v| parse(ENV_IKE_PORT, v))
                    .transpose()?
                    .unwrap_or(0),
                natt: natt
                    .map(|v| parse(ENV_NATT_PORT, v))
                    .transpose()?
                    .unwrap_or(0),
            }),
        }
    }
}

/// Bound sockets and what the connection must do because of the ports it got.
pub struct Bound {
    /// The sockets.
    pub sockets: Sockets,
    /// Force UDP encapsulation (we are on ephemeral ports after a fallback).
    pub force_encap: bool,
}

/// Binds the IKE sockets on `local` following `policy`.
pub async fn bind(local: IpAddr, policy: PortPolicy) -> io::Result<Bound> {
    match policy {
        PortPolicy::Fixed { ike, natt } => Ok(Bound {
            sockets: Sockets::bind(local, ike, natt).await?,
            force_encap: false,
        }),
        PortPolicy::Standard => match Sockets::bind(local, IKE_PORT, NATT_PORT).await {
            Ok(sockets) => Ok(Bound {
                sockets,
                force_encap: false,
            }),
            Err(e) => {
                tracing::info!(
                    "UDP {IKE_PORT}/{NATT_PORT} on {local} are not available ({e}); using \
                     ephemeral ports with UDP encapsulation (another connection or IKE daemon \
                     holds them)"
                );
                Ok(Bound {
                    sockets: Sockets::bind(local, 0, 0).await?,
                    force_encap: true,
                })
            }
        },
    }
}

/// An ICMP "port unreachable" for one of our IKE datagrams: nothing listens on the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortUnreachable {
    /// The gateway's UDP port our datagram went to (500 or 4500).
    pub port: u16,
}

/// Finds an ICMP (IPv4, with its IP header as raw sockets deliver it) or ICMPv6 (without) port
/// unreachable in `packet` that quotes a UDP datagram from `local` (one of `local_ports`) to
/// `remote`.
pub fn parse_port_unreachable(
    packet: &[u8],
    v6: bool,
    local: IpAddr,
    local_ports: (u16, u16),
    remote: IpAddr,
) -> Option<PortUnreachable> {
    let be16 = |b: &[u8], at: usize| -> Option<u16> {
        Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
    };
    let (icmp, inner_udp, src, dst) = if v6 {
        // ICMPv6 destination unreachable (1), port unreachable (4).
        let icmp = packet;
        if icmp.first() != Some(&1) || icmp.get(1) != Some(&4) {
            return None;
        }
        let ip = icmp.get(8..)?;
        if ip.first()? >> 4 != 6 || *ip.get(6)? != 17 {
            return None;
        }
        let src: [u8; 16] = ip.get(8..24)?.try_into().ok()?;
        let dst: [u8; 16] = ip.get(24..40)?.try_into().ok()?;
        (icmp, ip.get(40..)?, IpAddr::from(src), IpAddr::from(dst))
    } else {
        let ihl = usize::from(packet.first()? & 0x0f) * 4;
        let icmp = packet.get(ihl..)?;
        // ICMP destination unreachable (3), port unreachable (3).
        if icmp.first() != Some(&3) || icmp.get(1) != Some(&3) {
            return None;
        }
        let ip = icmp.get(8..)?;
        if ip.first()? >> 4 != 4 || *ip.get(9)? != 17 {
            return None;
        }
        let inner_ihl = usize::from(ip.first()? & 0x0f) * 4;
        let src: [u8; 4] = ip.get(12..16)?.try_into().ok()?;
        let dst: [u8; 4] = ip.get(16..20)?.try_into().ok()?;
        (
            icmp,
            ip.get(inner_ihl..)?,
            IpAddr::from(src),
            IpAddr::from(dst),
        )
    };
    let _ = icmp;
    let sport = be16(inner_udp, 0)?;
    let dport = be16(inner_udp, 2)?;
    (src == local && dst == remote && (sport == local_ports.0 || sport == local_ports.1))
        .then_some(PortUnreachable { port: dport })
}

/// Watches for ICMP port unreachable errors answering our IKE datagrams to `remote`.
///
/// Linux reports ICMP errors on unconnected UDP sockets only with `IP_RECVERR`, and our IKE
/// sockets cannot be connected (they talk to the gateway on two ports and follow NAT-T), so a
/// raw ICMP socket (root, as NetworkManager runs us) receives a copy of every ICMP error and we
/// pick the ones quoting our datagrams. Nothing is sent on it. What an error means is decided
/// elsewhere (see [`super::icmp`]): anyone can forge one.
pub struct IcmpWatch {
    sock: tokio::net::UdpSocket,
    v6: bool,
    local: IpAddr,
    local_ports: (u16, u16),
    remote: IpAddr,
}

impl IcmpWatch {
    /// Opens the raw socket (do it before the first datagram is sent, so that the error
    /// answering it is seen). `None` when it cannot be opened (no privileges): then silence
    /// and refusal look the same (no answer).
    pub fn open(local: IpAddr, local_ports: (u16, u16), remote: IpAddr) -> Option<IcmpWatch> {
        use nix::sys::socket::{socket, AddressFamily, SockFlag, SockProtocol, SockType};
        let v6 = remote.is_ipv6();
        let (family, proto) = if v6 {
            (AddressFamily::Inet6, SockProtocol::IcmpV6)
        } else {
            (AddressFamily::Inet, SockProtocol::Icmp)
        };
        let fd = match socket(
            family,
            SockType::Raw,
            SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC,
            proto,
        ) {
            Ok(fd) => fd,
            Err(e) => {
                tracing::debug!(
                    "cannot watch for ICMP errors ({e}): port unreachable not detected"
                );
                return None;
            }
        };
        // The datagram API reads a raw socket's packets just as well (recvfrom).
        match tokio::net::UdpSocket::from_std(std::net::UdpSocket::from(fd)) {
            Ok(sock) => Some(IcmpWatch {
                sock,
                v6,
                local,
                local_ports,
                remote,
            }),
            Err(e) => {
                tracing::debug!("cannot watch for ICMP errors ({e})");
                None
            }
        }
    }

    /// The next port unreachable quoting one of our datagrams; `None` when the socket fails.
    pub async fn next(&mut self) -> Option<PortUnreachable> {
        let mut buf = vec![0u8; 2048];
        loop {
            match self.sock.recv_from(&mut buf).await {
                Ok((n, from)) => {
                    if from.ip() != self.remote {
                        continue;
                    }
                    if let Some(p) = buf.get(..n).and_then(|b| {
                        parse_port_unreachable(
                            b,
                            self.v6,
                            self.local,
                            self.local_ports,
                            self.remote,
                        )
                    }) {
                        return Some(p);
                    }
                }
                Err(e) => {
                    tracing::debug!("ICMP watch ended: {e}");
                    return None;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_from_values() {
        assert_eq!(
            PortPolicy::from_values(None, None).unwrap(),
            PortPolicy::Standard
        );
        assert_eq!(
            PortPolicy::from_values(Some("0"), None).unwrap(),
            PortPolicy::Fixed { ike: 0, natt: 0 }
        );
        assert_eq!(
            PortPolicy::from_values(Some("1500"), Some("14500")).unwrap(),
            PortPolicy::Fixed {
                ike: 1500,
                natt: 14500
            }
        );
        assert!(PortPolicy::from_values(Some("x"), None).is_err());
        assert!(PortPolicy::from_values(None, Some("70000")).is_err());
    }

    #[tokio::test]
    async fn falls_back_to_ephemeral_ports_when_taken() {
        // Hold "500/4500" stand-ins: a fixed pair taken by a first binder makes a second fixed
        // bind fail, while the standard policy falls back. Port 500 itself may be free or not
        // here, so exercise the fallback through an occupied pair.
        let local: IpAddr = "127.0.0.1".parse().unwrap();
        let first = bind(local, PortPolicy::Fixed { ike: 0, natt: 0 })
            .await
            .unwrap();
        let (ike, natt) = first.sockets.local_ports();
        assert_ne!(ike, 0);
        assert_ne!(natt, 0);
        assert!(bind(local, PortPolicy::Fixed { ike, natt }).await.is_err());
        let a = bind(local, PortPolicy::Standard).await.unwrap();
        let b = bind(local, PortPolicy::Standard).await.unwrap();
        // At most one of two processes on one address gets 500; the other falls back.
        assert!(b.force_encap, "second binder must fall back");
        let (bi, bn) = b.sockets.local_ports();
        assert_ne!(bi, IKE_PORT);
        assert_ne!(bn, NATT_PORT);
        drop(a);
    }

    #[test]
    fn recognises_port_unreachable_for_our_datagrams() {
        let local: IpAddr = "192.0.2.1".parse().unwrap();
        let remote: IpAddr = "192.0.2.2".parse().unwrap();
        // outer IPv4 header (20), ICMP 3/3 (8), inner IPv4 header (20), UDP header (8)
        let mut p = vec![0x45u8; 1];
        p.extend_from_slice(&[0; 8]);
        p.push(1); // protocol ICMP
        p.extend_from_slice(&[0; 2]);
        p.extend_from_slice(&[192, 0, 2, 2, 192, 0, 2, 1]);
        p.extend_from_slice(&[3, 3, 0, 0, 0, 0, 0, 0]);
        p.push(0x45);
        p.extend_from_slice(&[0; 8]);
        p.push(17);
        p.extend_from_slice(&[0; 2]);
        p.extend_from_slice(&[192, 0, 2, 1, 192, 0, 2, 2]);
        p.extend_from_slice(&[0x01, 0xf4, 0x01, 0xf4, 0, 8, 0, 0]);
        assert_eq!(
            parse_port_unreachable(&p, false, local, (500, 4500), remote),
            Some(PortUnreachable { port: 500 })
        );
        assert_eq!(
            parse_port_unreachable(&p, false, local, (1500, 4500), remote),
            None
        );
        assert_eq!(
            parse_port_unreachable(&p, false, remote, (500, 4500), local),
            None
        );
        let mut host_unreach = p.clone();
        host_unreach[21] = 1;
        assert_eq!(
            parse_port_unreachable(&host_unreach, false, local, (500, 4500), remote),
            None
        );
        // The quoted UDP length and checksum are not needed: only cuts before the ports fail.
        for cut in 0..p.len() - 4 {
            assert_eq!(
                parse_port_unreachable(&p[..cut], false, local, (500, 4500), remote),
                None
            );
        }
        // ICMPv6 1/4 quoting an IPv6 UDP datagram.
        let l6: IpAddr = "2001:db8:2::1".parse().unwrap();
        let r6: IpAddr = "2001:db8:2::2".parse().unwrap();
        let mut q = vec![1u8, 4, 0, 0, 0, 0, 0, 0, 0x60, 0, 0, 0, 0, 8, 17, 64];
        if let (IpAddr::V6(a), IpAddr::V6(b)) = (l6, r6) {
            q.extend_from_slice(&a.octets());
            q.extend_from_slice(&b.octets());
        }
        q.extend_from_slice(&[0x11, 0x94, 0x11, 0x94, 0, 8, 0, 0]);
        assert_eq!(
            parse_port_unreachable(&q, true, l6, (500, 4500), r6),
            Some(PortUnreachable { port: 4500 })
        );
    }
}
