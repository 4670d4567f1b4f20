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

use crate::driver::run::{Sockets, IKE_PORT, NATT_PORT};
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
}
