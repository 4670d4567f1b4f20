//! `dpdaction=restart` on the data plane: while a connection is re-established, the policies
//! (and with them the routes) of the lost Child SA stay in the kernel, so that the tunnel's
//! traffic is blocked (a policy without SA drops it) instead of leaving unprotected.
//!
//! [`HoldingKernel`] wraps the kernel backend. While its [`PolicyHold`] holds, the engine's
//! `DeletePolicy` operations are kept back; an `InstallPolicy` with the same direction and
//! selectors (the re-established Child SA) replaces the kept policy in the kernel (the
//! backend updates a policy of ours in place) and drops it from the list. The kept policies
//! that were not replaced are deleted when the service asks ([`PolicyHold::release`], after
//! the connection is up again with other selectors), when the hold ends
//! ([`PolicyHold::end`], on disconnect), and at cleanup.

use super::kernel::Kernel;
use crate::kernel::api::SaCounters;
use ike_core::engine::{KernelEvent, KernelOp};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Shared between the service and the [`HoldingKernel`] in the event loop.
#[derive(Debug)]
pub struct PolicyHold {
    holding: AtomicBool,
    release: AtomicBool,
}

impl PolicyHold {
    /// A hold that keeps policies back from now on.
    pub fn new() -> Arc<Self> {
        Arc::new(PolicyHold {
            holding: AtomicBool::new(true),
            release: AtomicBool::new(false),
        })
    }

    /// Whether policies are kept back.
    pub fn holding(&self) -> bool {
        self.holding.load(Ordering::SeqCst)
    }

    /// Deletes the kept policies on the next kernel operation (or event poll), and keeps
    /// holding those deleted later.
    pub fn release(&self) {
        self.release.store(true, Ordering::SeqCst);
    }

    /// Stops holding (the connection closes): every policy kept or deleted from now on goes.
    pub fn end(&self) {
        self.holding.store(false, Ordering::SeqCst);
    }
}

/// A kernel backend whose policy deletions can be held back (see the module documentation).
pub struct HoldingKernel {
    inner: Box<dyn Kernel>,
    hold: Arc<PolicyHold>,
    kept: Vec<KernelOp>,
}

fn same_policy(kept: &KernelOp, installed: &KernelOp) -> bool {
    matches!(
        (kept, installed),
        (
            KernelOp::DeletePolicy { dir: d1, src_ts: s1, dst_ts: t1, .. },
            KernelOp::InstallPolicy { dir: d2, src_ts: s2, dst_ts: t2, .. },
        ) if d1 == d2 && s1 == s2 && t1 == t2
    )
}

impl HoldingKernel {
    /// Wraps `inner`; `hold` decides when deletions are kept.
    pub fn new(inner: Box<dyn Kernel>, hold: Arc<PolicyHold>) -> Self {
        HoldingKernel {
            inner,
            hold,
            kept: Vec::new(),
        }
    }

    /// The policies kept back now (for tests and logs).
    pub fn kept(&self) -> usize {
        self.kept.len()
    }

    fn delete_kept(&mut self) {
        for op in std::mem::take(&mut self.kept) {
            if let Some(KernelEvent::OpFailed { error, .. }) = self.inner.execute(&op) {
                tracing::warn!("deleting a policy kept for dpdaction=restart failed: {error}");
            }
        }
    }

    fn release_if_asked(&mut self) {
        let asked = self.hold.release.swap(false, Ordering::SeqCst);
        if (asked || !self.hold.holding()) && !self.kept.is_empty() {
            self.delete_kept();
        }
    }
}

impl Kernel for HoldingKernel {
    fn execute(&mut self, op: &KernelOp) -> Option<KernelEvent> {
        self.release_if_asked();
        match op {
            KernelOp::DeletePolicy { .. } if self.hold.holding() => {
                tracing::debug!("dpdaction=restart: the policy stays until the tunnel is back");
                self.kept.push(op.clone());
                None
            }
            KernelOp::InstallPolicy { .. } => {
                self.kept.retain(|k| !same_policy(k, op));
                self.inner.execute(op)
            }
            _ => self.inner.execute(op),
        }
    }

    fn poll_events(&mut self) -> Vec<KernelEvent> {
        self.release_if_asked();
        self.inner.poll_events()
    }

    fn cleanup(&mut self) {
        self.delete_kept();
        self.inner.cleanup();
    }

    fn counters(&mut self) -> Vec<SaCounters> {
        self.inner.counters()
    }

    fn tunnel_device(&self) -> Option<(String, u32)> {
        self.inner.tunnel_device()
    }

    fn pushed_subnets(&mut self, subnets: &[(std::net::IpAddr, u8)]) {
        self.inner.pushed_subnets(subnets);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ike_core::engine::{Direction, KernelRequest};
    use ike_core::wire::TrafficSelector;
    use std::sync::Mutex;

    /// Records what reaches the real backend.
    struct Log(Arc<Mutex<Vec<KernelOp>>>);

    impl Kernel for Log {
        fn execute(&mut self, op: &KernelOp) -> Option<KernelEvent> {
            self.0.lock().unwrap().push(op.clone());
            None
        }
    }

    fn ts(a: &str) -> TrafficSelector {
        let a = a.parse().unwrap();
        TrafficSelector::from_range(a, a)
    }

    fn delete(src: &str) -> KernelOp {
        KernelOp::DeletePolicy {
            request: KernelRequest(1),
            reqid: 5,
            dir: Direction::Out,
            src_ts: ts(src),
            dst_ts: ts("10.0.0.1"),
        }
    }

    fn install(src: &str) -> KernelOp {
        KernelOp::InstallPolicy {
            request: KernelRequest(2),
            reqid: 6,
            dir: Direction::Out,
            src_ts: ts(src),
            dst_ts: ts("10.0.0.1"),
            tmpl_src: "192.0.2.2".parse().unwrap(),
            tmpl_dst: "192.0.2.1".parse().unwrap(),
            mode: ike_core::engine::Mode::Tunnel,
        }
    }

    #[test]
    fn policies_stay_until_replaced_released_or_closed() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let hold = PolicyHold::new();
        let mut k = HoldingKernel::new(Box::new(Log(Arc::clone(&log))), Arc::clone(&hold));
        // The IKE SA is lost: its policy deletions are kept back (traffic stays blocked).
        k.execute(&delete("100.64.0.2"));
        k.execute(&delete("100.64.0.3"));
        assert!(log.lock().unwrap().is_empty());
        assert_eq!(k.kept(), 2);
        // The new Child SA installs the same selectors: that one is replaced in place.
        k.execute(&install("100.64.0.2"));
        assert_eq!(k.kept(), 1);
        assert_eq!(log.lock().unwrap().len(), 1);
        // Up again: the rest goes.
        hold.release();
        k.poll_events();
        assert_eq!(k.kept(), 0);
        assert_eq!(log.lock().unwrap().last(), Some(&delete("100.64.0.3")));
        // Still holding for the next loss; after the end, deletions go through at once.
        k.execute(&delete("100.64.0.2"));
        assert_eq!(k.kept(), 1);
        hold.end();
        k.execute(&delete("100.64.0.9"));
        assert_eq!(k.kept(), 0);
        assert_eq!(log.lock().unwrap().len(), 4);
    }
}
