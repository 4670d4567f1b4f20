//! Watching the kernel's links, addresses and routes (rtnetlink multicast groups) so that the
//! driver learns at once when the path to the gateway may have changed (MOBIKE, RFC 4555).
//! The messages themselves are not interpreted: any of them only says "ask the routing table
//! again" (see `driver::path`), which is what decides our address towards the gateway.

use std::task::{Context, Poll};

use netlink_sys::protocols::NETLINK_ROUTE;
use netlink_sys::{AsyncSocket, TokioSocket};

use super::KernelError;

/// The rtnetlink groups whose messages can change our address towards a peer: links,
/// IPv4/IPv6 addresses and routes.
const GROUPS: [u32; 5] = [
    libc::RTNLGRP_LINK,
    libc::RTNLGRP_IPV4_IFADDR,
    libc::RTNLGRP_IPV4_ROUTE,
    libc::RTNLGRP_IPV6_IFADDR,
    libc::RTNLGRP_IPV6_ROUTE,
];

/// A subscription to link, address and route changes.
pub struct RouteChanges {
    sock: TokioSocket,
}

impl RouteChanges {
    /// Subscribes (needs a Tokio runtime; no privilege).
    pub fn open() -> Result<Self, KernelError> {
        let what = "cannot watch the routing table";
        let mut sock = TokioSocket::new(NETLINK_ROUTE).map_err(|e| KernelError::io(what, e))?;
        sock.socket_mut()
            .bind_auto()
            .map_err(|e| KernelError::io(what, e))?;
        for g in GROUPS {
            sock.socket_mut()
                .add_membership(g)
                .map_err(|e| KernelError::io(what, e))?;
        }
        Ok(RouteChanges { sock })
    }

    /// Ready when at least one change was reported since the last call; drains everything
    /// queued (a lost message, ENOBUFS, counts as a change).
    pub fn poll_changed(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let mut any = false;
        while let Poll::Ready(r) = self.sock.poll_recv_from_full(cx) {
            any = true;
            if let Err(e) = r {
                // ENOBUFS (messages lost): still a change; the next call reads on.
                tracing::debug!("reading route changes: {e}");
                break;
            }
        }
        if any {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}
