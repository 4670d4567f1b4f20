//! `dpdaction=restart` and `hold` on the data plane: while a connection is re-established
//! (or held until traffic wants out), the policies (and with them the routes) of the lost
//! Child SA stay in the kernel, so that the tunnel's traffic is blocked (a policy without SA
//! drops it) instead of leaving unprotected.
//!
//! [`HoldingKernel`] wraps the kernel backend. While its [`PolicyHold`] holds, the engine's
//! `DeletePolicy` operations are kept back; an `InstallPolicy` with the same direction and
//! selectors (the re-established Child SA) replaces the kept policy in the kernel (the
//! backend updates a policy of ours in place) and drops it from the list. The kept policies
//! that were not replaced are deleted when the service asks ([`PolicyHold::release`], after
//! the connection is up again with other selectors), when the hold ends
//! ([`PolicyHold::end`], on disconnect), and at cleanup.
//!
//! `dpdaction=hold`: a packet for a kept outbound policy makes the kernel send an ACQUIRE;
//! [`HoldingKernel::poll_acquires`] passes on only those naming a kept policy (reqid,
//! direction, selector; the backend already dropped those not sent by the kernel or not of
//! our reqids and binding, see [`crate::kernel::acquire`]). The larval SAs the kernel creates
//! for them go when the service asks ([`PolicyHold::remove_larvals`], after each attempt and
//! when the connection is up again) and at cleanup.

use super::kernel::Kernel;
use crate::kernel::acquire::{names_policy, Acquire};
use crate::kernel::api::SaCounters;
use ike_core::engine::{KernelEvent, KernelOp};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

/// Shared between the service and the [`HoldingKernel`] in the event loop.
#[derive(Debug)]
pub struct PolicyHold {
    holding: AtomicBool,
    release: AtomicBool,
    larvals: AtomicBool,
}

impl PolicyHold {
    /// A hold that keeps policies back from now on.
    pub fn new() -> Arc<Self> {
        Arc::new(PolicyHold {
            holding: AtomicBool::new(true),
            release: AtomicBool::new(false),
            larvals: AtomicBool::new(false),
        })
    }

    /// Whether policies are kept back.
    pub fn holding(&self) -> bool {
        self.holding.load(Ordering::SeqCst)
    }

    /// Deletes the kept policies (and the larval SAs of ACQUIREs) on the next kernel
    /// operation (or event poll), and keeps holding those deleted later.
    pub fn release(&self) {
        self.release.store(true, Ordering::SeqCst);
        self.larvals.store(true, Ordering::SeqCst);
    }

    /// Removes the larval SAs the kernel created for ACQUIREs of the kept policies on the next
    /// kernel operation (or event poll): the next packet is reported again.
    pub fn remove_larvals(&self) {
        self.larvals.store(true, Ordering::SeqCst);
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
                tracing::warn!("deleting a policy kept for a lost connection failed: {error}");
            }
        }
    }

    fn release_if_asked(&mut self) {
        let asked = self.hold.release.swap(false, Ordering::SeqCst);
        if (asked || !self.hold.holding()) && !self.kept.is_empty() {
            self.delete_kept();
        }
        if self.hold.larvals.swap(false, Ordering::SeqCst) {
            self.inner.remove_larvals();
        }
    }

    /// Whether `acq` names one of the kept policies.
    pub fn held(&self, acq: &Acquire) -> bool {
        held(&self.kept, acq)
    }
}

/// Whether `acq` names one of the `kept` policy deletions (an outbound policy of the lost
/// connection, by reqid and selector).
pub fn held(kept: &[KernelOp], acq: &Acquire) -> bool {
    kept.iter().any(|op| match op {
        KernelOp::DeletePolicy {
            reqid,
            dir,
            src_ts,
            dst_ts,
            ..
        } => names_policy(acq, *dir, *reqid, src_ts, dst_ts),
        _ => false,
    })
}

impl Kernel for HoldingKernel {
    fn execute(&mut self, op: &KernelOp) -> Option<KernelEvent> {
        self.release_if_asked();
        match op {
            KernelOp::DeletePolicy { .. } if self.hold.holding() => {
                tracing::debug!("the policy stays until the tunnel is back (dpdaction)");
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

    fn waiting_for_address(&self) -> bool {
        self.inner.waiting_for_address()
    }

    fn poll_acquires(&mut self, cx: &mut Context<'_>) -> Poll<Vec<Acquire>> {
        let Poll::Ready(all) = self.inner.poll_acquires(cx) else {
            return Poll::Pending;
        };
        let (held, other): (Vec<Acquire>, Vec<Acquire>) =
            all.into_iter().partition(|a| self.held(a));
        for a in &other {
            tracing::debug!(
                "ACQUIRE for reqid {:#x} names no policy held for this connection: ignored",
                a.reqid
            );
        }
        // Pending with the waker registered: the backend read until the socket was empty.
        if held.is_empty() {
            Poll::Pending
        } else {
            Poll::Ready(held)
        }
    }

    fn remove_larvals(&mut self) {
        self.inner.remove_larvals();
    }

    fn behind_nat(&mut self, peer: std::net::SocketAddr) {
        self.inner.behind_nat(peer);
    }

    fn kernel_keepalives(&self, peer: std::net::SocketAddr) -> bool {
        self.inner.kernel_keepalives(peer)
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

    /// A backend whose ACQUIRE socket received `datagrams` (sender port id, bytes): it
    /// applies the backend's own checks (kernel sender, our reqids, binding).
    struct Acquiring {
        datagrams: Vec<(u32, Vec<u8>)>,
        larvals_removed: Arc<Mutex<usize>>,
    }

    impl Kernel for Acquiring {
        fn execute(&mut self, _op: &KernelOp) -> Option<KernelEvent> {
            None
        }

        fn poll_acquires(&mut self, _cx: &mut Context<'_>) -> Poll<Vec<Acquire>> {
            let own = crate::kernel::Ownership::block(0);
            let got = crate::kernel::acquire::from_datagrams(
                std::mem::take(&mut self.datagrams),
                &own,
                &crate::kernel::Binding::default(),
            );
            if got.is_empty() {
                Poll::Pending
            } else {
                Poll::Ready(got)
            }
        }

        fn remove_larvals(&mut self) {
            *self.larvals_removed.lock().unwrap() += 1;
        }
    }

    /// The kernel's ACQUIRE (as the kernel encodes it) for the outbound policy `src` ->
    /// 10.0.0.1 with template reqid `reqid`, sent by `pid`.
    fn acquire(pid: u32, reqid: u32, src: &str) -> (u32, Vec<u8>) {
        let sel = crate::kernel::xfrm::selectors(&ts(src), &ts("10.0.0.1"))[0].to_selector();
        crate::kernel::acquire::acquire_datagram(pid, reqid, sel, Vec::new())
    }

    fn poll(k: &mut HoldingKernel, datagrams: Vec<(u32, Vec<u8>)>) -> usize {
        // The fake backend is the first of the chain: hand it the datagrams.
        let inner = Acquiring {
            datagrams,
            larvals_removed: Arc::new(Mutex::new(0)),
        };
        k.inner = Box::new(inner);
        let waker = std::task::Waker::noop();
        let mut cx = Context::from_waker(waker);
        match k.poll_acquires(&mut cx) {
            Poll::Ready(v) => v.len(),
            Poll::Pending => 0,
        }
    }

    fn held_delete(reqid: u32, src: &str) -> KernelOp {
        match delete(src) {
            KernelOp::DeletePolicy {
                request,
                dir,
                src_ts,
                dst_ts,
                ..
            } => KernelOp::DeletePolicy {
                request,
                reqid,
                dir,
                src_ts,
                dst_ts,
            },
            op => op,
        }
    }

    #[test]
    fn only_the_kernel_s_acquire_for_a_held_policy_counts() {
        let base = crate::kernel::owner::block_base(0);
        let hold = PolicyHold::new();
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut k = HoldingKernel::new(Box::new(Log(Arc::clone(&log))), Arc::clone(&hold));
        // Up: nothing is held, so no ACQUIRE counts (not even for our own policy).
        assert_eq!(poll(&mut k, vec![acquire(0, base, "100.64.0.2")]), 0);
        // Lost: the outbound policy of reqid `base` is kept.
        k.execute(&held_delete(base, "100.64.0.2"));
        assert_eq!(k.kept(), 1);
        // Sent by a process, not the kernel: ignored.
        assert_eq!(poll(&mut k, vec![acquire(4242, base, "100.64.0.2")]), 0);
        // Another IPsec daemon's reqid, or another reqid of ours: ignored.
        assert_eq!(poll(&mut k, vec![acquire(0, 7, "100.64.0.2")]), 0);
        assert_eq!(poll(&mut k, vec![acquire(0, base + 1, "100.64.0.2")]), 0);
        // Our reqid but another selector: ignored.
        assert_eq!(poll(&mut k, vec![acquire(0, base, "100.64.0.3")]), 0);
        // The kernel's ACQUIRE for the held policy: traffic wants out.
        assert_eq!(poll(&mut k, vec![acquire(0, base, "100.64.0.2")]), 1);
        assert_eq!(
            poll(
                &mut k,
                vec![
                    acquire(4242, base, "100.64.0.2"),
                    acquire(0, base, "100.64.0.2")
                ]
            ),
            1
        );
        // Re-established with the same selectors: the policy is replaced, nothing is held.
        let mut again = install("100.64.0.2");
        if let KernelOp::InstallPolicy { reqid, .. } = &mut again {
            *reqid = base + 2;
        }
        k.execute(&again);
        assert_eq!(k.kept(), 0);
        assert_eq!(poll(&mut k, vec![acquire(0, base, "100.64.0.2")]), 0);
    }

    #[test]
    fn larval_sas_go_when_asked() {
        let hold = PolicyHold::new();
        let removed = Arc::new(Mutex::new(0));
        let mut k = HoldingKernel::new(
            Box::new(Acquiring {
                datagrams: Vec::new(),
                larvals_removed: Arc::clone(&removed),
            }),
            Arc::clone(&hold),
        );
        k.poll_events();
        assert_eq!(*removed.lock().unwrap(), 0);
        hold.remove_larvals();
        k.poll_events();
        k.poll_events();
        assert_eq!(*removed.lock().unwrap(), 1);
        // Up again: released with the kept policies.
        hold.release();
        k.poll_events();
        assert_eq!(*removed.lock().unwrap(), 2);
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

    /// Covers the keepalives to the peers it was told we are behind a NAT from.
    struct Keepalives(Vec<std::net::SocketAddr>);

    impl Kernel for Keepalives {
        fn execute(&mut self, _op: &KernelOp) -> Option<KernelEvent> {
            None
        }
        fn behind_nat(&mut self, peer: std::net::SocketAddr) {
            self.0.push(peer);
        }
        fn kernel_keepalives(&self, peer: std::net::SocketAddr) -> bool {
            self.0.contains(&peer)
        }
    }

    #[test]
    fn the_kernel_s_keepalives_are_seen_through_the_hold() {
        let peer: std::net::SocketAddr = "192.0.2.2:4500".parse().unwrap();
        let mut k = HoldingKernel::new(Box::new(Keepalives(Vec::new())), PolicyHold::new());
        assert!(!k.kernel_keepalives(peer));
        k.behind_nat(peer);
        assert!(k.kernel_keepalives(peer));
    }
}
