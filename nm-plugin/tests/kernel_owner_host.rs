//! Kernel state belongs to its owner (issue 11, item 7), with real XFRM netlink inside a
//! private network namespace per test. Needs root; skipped otherwise.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use ike_core::engine::{Direction, KernelOp, KernelRequest, Mode};
use ike_core::wire::TrafficSelector;
use netlink_packet_xfrm::XfrmMessage;
use nm_plugin::driver::kernel::Kernel;
use nm_plugin::kernel::backend::template_reqid;
use nm_plugin::kernel::xfrm::{self, PolicyParams};
use nm_plugin::kernel::{Binding, XfrmKernel};
use std::net::IpAddr;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// Runs `f` on a thread inside a fresh network namespace; `None` when not root.
fn in_netns<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipped: needs root (CAP_NET_ADMIN) for a private network namespace");
        return None;
    }
    let h = std::thread::spawn(move || {
        nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNET).expect("unshare(CLONE_NEWNET)");
        f()
    });
    Some(h.join().expect("test thread"))
}

fn ts() -> (TrafficSelector, TrafficSelector) {
    (
        TrafficSelector::from_range(ip("10.3.0.5"), ip("10.3.0.5")),
        TrafficSelector::from_range(ip("10.2.0.0"), ip("10.2.0.255")),
    )
}

fn install(reqid: u32) -> KernelOp {
    let (src_ts, dst_ts) = ts();
    KernelOp::InstallPolicy {
        request: KernelRequest(1),
        reqid,
        dir: Direction::Out,
        src_ts,
        dst_ts,
        tmpl_src: ip("192.0.2.1"),
        tmpl_dst: ip("192.0.2.2"),
        mode: Mode::Tunnel,
    }
}

fn delete(reqid: u32) -> KernelOp {
    let (src_ts, dst_ts) = ts();
    KernelOp::DeletePolicy {
        request: KernelRequest(2),
        reqid,
        dir: Direction::Out,
        src_ts,
        dst_ts,
    }
}

/// Another daemon replaces the policy with its own (same selectors, its reqid).
fn take_over(k: &mut XfrmKernel, reqid: u32) {
    let (src_ts, dst_ts) = ts();
    let sel = xfrm::selectors(&src_ts, &dst_ts)[0];
    let p = PolicyParams {
        reqid,
        dir: Direction::Out,
        sel,
        tmpl_src: ip("192.0.2.1"),
        tmpl_dst: ip("192.0.2.9"),
        mode: Mode::Tunnel,
        priority_base: xfrm::POLICY_PRIORITY_BASE,
    };
    let body = xfrm::policy_message(&p, &Binding::default());
    k.send_raw(XfrmMessage::UpdatePolicy(body), 0, "foreign update")
        .unwrap();
}

#[test]
fn a_policy_someone_else_installed_since_is_not_deleted() {
    in_netns(|| {
        let mut ours = XfrmKernel::open().unwrap();
        ours.ownership = nm_plugin::kernel::Ownership::block(2);
        let reqid = nm_plugin::kernel::owner::block_base(2) + 1;
        assert_eq!(ours.execute(&install(reqid)), None);
        let mut other = XfrmKernel::open().unwrap();
        take_over(&mut other, 7);
        // Disconnect: the engine's delete and the final cleanup both leave it alone.
        assert_eq!(ours.execute(&delete(reqid)), None);
        ours.remove_all();
        let left = other.dump_policies().unwrap();
        assert_eq!(left.len(), 1, "the foreign policy stays");
        assert_eq!(template_reqid(&left[0].nlas), Some(7));
        // Another NetworkManager-ike connection's block is not ours either.
        take_over(&mut other, nm_plugin::kernel::owner::block_base(5) + 1);
        assert_eq!(ours.execute(&delete(reqid)), None);
        assert_eq!(other.dump_policies().unwrap().len(), 1);
        // Our own policy is still deleted.
        take_over(&mut other, reqid);
        assert_eq!(ours.execute(&delete(reqid)), None);
        assert!(other.dump_policies().unwrap().is_empty());
    });
}

/// Serializes the tests that claim blocks: one of them points the run directory variable
/// elsewhere for a moment, which a claim made meanwhile would follow.
static RUN_DIR: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn run_dir_lock() -> std::sync::MutexGuard<'static, ()> {
    RUN_DIR
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[test]
fn a_crashed_connection_s_gateway_exemption_is_removed_and_a_live_one_s_kept() {
    use nm_plugin::kernel::owner;
    use nm_plugin::kernel::route::RouteConfig;
    let _serial = run_dir_lock();
    let dir = std::env::temp_dir().join(format!("nm-ike-exemption-{}", std::process::id()));
    std::env::set_var(owner::ENV_RUN_DIR, &dir);
    in_netns(|| {
        let cfg = RouteConfig::default();
        // The crashed connection: its exemption stays behind when it dies (no drop), its
        // block's lock goes with it.
        let dead = owner::claim(10);
        assert!(dead.is_locked(), "{:?}", dead.failure());
        let left = nm_plugin::kernel::exempt_gateway(dead.block, cfg, ip("192.0.2.2")).unwrap();
        std::mem::forget(left);
        drop(dead);
        // A live connection's exemption in another block.
        let live = owner::claim(11);
        let kept = nm_plugin::kernel::exempt_gateway(live.block, cfg, ip("203.0.113.2")).unwrap();
        // Without the block's lock, no exemption.
        assert!(nm_plugin::kernel::exempt_gateway(12, cfg, ip("198.51.100.2")).is_err());
        // The next process cleans at start: the dead block's route goes, the live one's stays.
        let next = owner::claim(10);
        let r = nm_plugin::kernel::clean_at_start(&next).unwrap();
        assert_eq!(r.routes, 1, "{r:?}");
        let mut routes = nm_plugin::kernel::route::Routes::open(cfg).unwrap();
        let ours = routes.dump_ours().unwrap();
        assert_eq!(ours.len(), 1, "{ours:?}");
        assert!(ours[0].attributes.contains(
            &netlink_packet_route::route::RouteAttribute::Destination(
                netlink_packet_route::route::RouteAddress::from(ip("203.0.113.2"))
            )
        ));
        drop(kept);
        assert!(routes.dump_ours().unwrap().is_empty());
        drop(live);
        drop(next);
    });
    std::env::remove_var(owner::ENV_RUN_DIR);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn no_kernel_state_without_a_block_lock() {
    let _serial = run_dir_lock();
    in_netns(|| {
        // Block 60 is not held by this process: opening a backend for it is refused.
        let e = match nm_plugin::kernel::open_for_block(60, None) {
            Err(e) => e.to_string(),
            Ok(_) => panic!("opened a backend for a block this process does not hold"),
        };
        assert!(
            e.contains("block 60") || e.contains("no reqid block"),
            "{e}"
        );
        // An unlocked claim (no run directory) cleans nothing and says why.
        std::env::set_var(
            nm_plugin::kernel::owner::ENV_RUN_DIR,
            "/proc/nonexistent/nm-ike",
        );
        let c = nm_plugin::kernel::owner::claim(3);
        std::env::remove_var(nm_plugin::kernel::owner::ENV_RUN_DIR);
        assert!(!c.is_locked());
        assert!(c
            .failure()
            .unwrap()
            .contains("no reqid block can be locked"));
        assert!(nm_plugin::kernel::clean_at_start(&c).is_err());
    });
}
