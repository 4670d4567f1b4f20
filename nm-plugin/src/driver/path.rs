//! Following the path to the gateway (MOBIKE, RFC 4555): when the kernel reports a link,
//! address or route change ([`crate::kernel::pathwatch`]), the routing table is asked again
//! which of our addresses leads to the gateway. When that address changed, the sockets are
//! bound to it and the engine is told ([`ike_core::engine::Engine::update_path`]): with
//! MOBIKE the IKE SA moves there; without, it fails with `PathChanged` and is deleted, and the
//! service establishes a new one where `dpdaction` asks for it.
//!
//! A change is acted on only while an IKE SA of ours is established (an attempt under way
//! keeps its address and its own failure handling), and never towards one of the virtual
//! addresses the gateway assigned (they sit on our interfaces too).

use std::future::poll_fn;
use std::net::{IpAddr, SocketAddr};

use crate::kernel::pathwatch::RouteChanges;

use super::run::{local_address_towards, Runner};

/// What the event loop needs to follow the path to one gateway.
pub struct PathFollow {
    /// The gateway's IKE endpoint.
    pub gateway: SocketAddr,
    changes: RouteChanges,
    /// The virtual addresses assigned to us (never taken as our outer address).
    pub virtual_addresses: Vec<IpAddr>,
}

impl PathFollow {
    /// Watches the routing table for the path to `gateway`; `None` (logged) when the kernel
    /// cannot be watched.
    pub fn open(gateway: SocketAddr) -> Option<Self> {
        match RouteChanges::open() {
            Ok(changes) => Some(PathFollow {
                gateway,
                changes,
                virtual_addresses: Vec::new(),
            }),
            Err(e) => {
                tracing::warn!("{e}; address changes will not be followed");
                None
            }
        }
    }

    /// Waits for the next link, address or route change.
    pub async fn changed(&mut self) {
        poll_fn(|cx| self.changes.poll_changed(cx)).await;
    }

    /// Our address towards the gateway now, if it differs from `current` and may be used.
    pub fn new_address(&self, current: IpAddr) -> Option<IpAddr> {
        let now = local_address_towards(self.gateway).ok()?;
        acceptable(now, current, &self.virtual_addresses).then_some(now)
    }
}

/// Whether `candidate` replaces `current` as our outer address.
fn acceptable(candidate: IpAddr, current: IpAddr, virtual_addresses: &[IpAddr]) -> bool {
    candidate != current
        && !candidate.is_unspecified()
        && !candidate.is_loopback()
        && candidate.is_ipv4() == current.is_ipv4()
        && !virtual_addresses.contains(&candidate)
}

impl Runner {
    /// The kernel reported a change: when our address towards the gateway moved and an IKE
    /// SA of ours is established, bind the sockets there and tell the engine.
    pub async fn follow_path(&mut self) {
        let current = self.sockets.local();
        let Some(new) = self.path.as_ref().and_then(|p| p.new_address(current)) else {
            return;
        };
        let handles = self.engine.initiated_established();
        if handles.is_empty() {
            return;
        }
        if let Err(e) = self.sockets.rebind(new).await {
            tracing::warn!("our address towards the gateway is now {new}, but {e}");
            return;
        }
        tracing::info!("our address towards the gateway changed: {current} -> {new}");
        for h in handles {
            let now = self.now();
            let outcome = self.engine.update_path(now, h, new);
            tracing::debug!("path update of IKE SA {}: {outcome:?}", h.0);
        }
        self.flush().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn only_another_real_address_of_the_same_family_counts() {
        let cur = ip("192.0.2.1");
        let vips = [ip("10.3.0.1")];
        assert!(acceptable(ip("198.51.100.1"), cur, &vips));
        assert!(!acceptable(cur, cur, &vips), "unchanged");
        assert!(
            !acceptable(ip("10.3.0.1"), cur, &vips),
            "our virtual address"
        );
        assert!(!acceptable(ip("127.0.0.1"), cur, &vips));
        assert!(!acceptable(ip("0.0.0.0"), cur, &vips));
        assert!(!acceptable(ip("2001:db8::1"), cur, &vips), "another family");
    }
}
