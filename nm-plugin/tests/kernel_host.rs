//! Real XFRM netlink on the machine running the tests, inside a private network namespace
//! made for each test (nothing touches the host's own IPsec state). Needs root; skipped
//! otherwise. On a kernel without ESP (the lab host) SA installs must fail with a clear
//! error, never a panic; policies work everywhere.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use ike_core::engine::{
    Direction, EspCipher, KernelEvent, KernelOp, KernelRequest, Lifetime, Mode, SecretBytes,
};
use ike_core::wire::TrafficSelector;
use nm_plugin::driver::kernel::Kernel;
use nm_plugin::kernel::backend::template_reqid;
use nm_plugin::kernel::{cleanup, XfrmKernel};
use std::net::IpAddr;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// One test at a time touches XFRM: this machine's kernel (gVisor) does not keep XFRM state
/// apart per network namespace, so one test's cleanup of "our" policies removed another's
/// catch-all policy while it was being checked (`ike_sockets_bypass_a_catch_all_tunnel`
/// failed so under the parallel test runner, 2026-12-07).
static XFRM_STATE: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Runs `f` on a thread inside a fresh network namespace, holding [`XFRM_STATE`]; `None`
/// when not root.
fn in_netns<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipped: needs root (CAP_NET_ADMIN) for a private network namespace");
        return None;
    }
    let _one_at_a_time = XFRM_STATE.lock().unwrap_or_else(|e| e.into_inner());
    let h = std::thread::spawn(move || {
        nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNET).expect("unshare(CLONE_NEWNET)");
        f()
    });
    Some(h.join().expect("test thread"))
}

fn policy_op(reqid: u32, install: bool) -> KernelOp {
    let src_ts = TrafficSelector::from_range(ip("10.3.0.5"), ip("10.3.0.5"));
    let dst_ts = TrafficSelector::from_range(ip("10.2.0.0"), ip("10.2.0.255"));
    if install {
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
    } else {
        KernelOp::DeletePolicy {
            request: KernelRequest(2),
            reqid,
            dir: Direction::Out,
            src_ts,
            dst_ts,
        }
    }
}

#[test]
fn policy_install_replace_delete() {
    in_netns(|| {
        let mut k = XfrmKernel::open().expect("XFRM socket");
        assert_eq!(k.execute(&policy_op(0x4e4d_0001, true)), None);
        let dump = k.dump_policies().unwrap();
        assert_eq!(dump.len(), 1);
        assert_eq!(template_reqid(&dump[0].nlas), Some(0x4e4d_0001));
        assert_eq!(dump[0].user_policy_info.selector.prefixlen_d, 24);
        // Installing again (e.g. after a restart) replaces our own policy.
        assert_eq!(k.execute(&policy_op(0x4e4d_0002, true)), None);
        let dump = k.dump_policies().unwrap();
        assert_eq!(dump.len(), 1);
        assert_eq!(template_reqid(&dump[0].nlas), Some(0x4e4d_0002));
        assert_eq!(k.execute(&policy_op(0x4e4d_0002, false)), None);
        assert!(k.dump_policies().unwrap().is_empty());
        // Deleting what is gone is fine.
        assert_eq!(k.execute(&policy_op(0x4e4d_0002, false)), None);
    });
}

#[test]
fn foreign_policy_is_not_taken_over() {
    in_netns(|| {
        let mut k = XfrmKernel::open().unwrap();
        // Another daemon's policy (reqid outside our range) with the same selectors.
        assert_eq!(k.execute(&policy_op(7, true)), None);
        match k.execute(&policy_op(0x4e4d_0001, true)) {
            Some(KernelEvent::OpFailed { error, .. }) => {
                assert!(error.contains("another IPsec service"), "{error}");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(template_reqid(&k.dump_policies().unwrap()[0].nlas), Some(7));
    });
}

#[test]
fn residue_of_a_killed_process_is_removed() {
    in_netns(|| {
        {
            // The "crashed" process: installs and vanishes without cleanup.
            let mut dead = XfrmKernel::open().unwrap();
            assert_eq!(dead.execute(&policy_op(0x4e4d_0005, true)), None);
            let mut other = policy_op(9, true);
            if let KernelOp::InstallPolicy { dir, .. } = &mut other {
                *dir = Direction::In;
            }
            assert_eq!(dead.execute(&other), None);
        }
        let mut k = XfrmKernel::open().unwrap();
        let r = cleanup::remove_residue(&mut k).unwrap();
        assert_eq!(r.policies, 1);
        let left = k.dump_policies().unwrap();
        assert_eq!(left.len(), 1, "the foreign policy stays");
        assert_eq!(template_reqid(&left[0].nlas), Some(9));
    });
}

#[test]
fn sa_install_fails_cleanly_or_works() {
    in_netns(|| {
        let mut k = XfrmKernel::open().unwrap();
        let spi = match k.execute(&KernelOp::AllocateSpi {
            request: KernelRequest(3),
            src: ip("192.0.2.2"),
            dst: ip("192.0.2.1"),
        }) {
            Some(KernelEvent::SpiAllocated { spi, .. }) => {
                assert!((0xc000_0000..=0xcfff_ffff).contains(&spi));
                spi
            }
            other => {
                eprintln!("SPI allocation: {other:?}");
                0xc000_0042
            }
        };
        let op = KernelOp::InstallSa {
            request: KernelRequest(4),
            reqid: 0x4e4d_0001,
            spi,
            direction: Direction::In,
            src: ip("192.0.2.2"),
            dst: ip("192.0.2.1"),
            mode: Mode::Tunnel,
            encap: None,
            cipher: EspCipher::Aead {
                transform_id: 20,
                key: SecretBytes::new(vec![7; 20]),
                icv_bits: 128,
            },
            esn: true,
            replay_window: 128,
            lifetime: Lifetime::default(),
            selector: None,
        };
        let esp = std::path::Path::new("/proc/config.gz").exists()
            && std::process::Command::new("sh")
                .args([
                    "-c",
                    "zcat /proc/config.gz | grep -q '^CONFIG_INET_ESP=[ym]'",
                ])
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
        match k.execute(&op) {
            None => {
                eprintln!("this kernel has ESP: SA installed");
                assert_eq!(k.installed_sas().len(), 1);
                assert_eq!(k.counters().len(), 1);
                k.cleanup();
                assert!(k
                    .dump_sas()
                    .unwrap()
                    .iter()
                    .all(|s| s.user_sa_info.reqid != 0x4e4d_0001));
            }
            Some(KernelEvent::OpFailed { request, error }) => {
                eprintln!("SA install refused: {error}");
                assert!(!esp, "the kernel has ESP but the install failed: {error}");
                assert_eq!(request, KernelRequest(4));
                assert!(error.contains("installing the inbound ESP SA"), "{error}");
                assert!(
                    error.contains("ESP support") || error.contains("algorithm"),
                    "{error}"
                );
                assert!(k.installed_sas().is_empty());
            }
            other => panic!("{other:?}"),
        }
    });
}

fn ip_cmd(args: &[&str]) {
    let st = std::process::Command::new("ip")
        .args(args)
        .status()
        .unwrap();
    assert!(st.success(), "ip {args:?}");
}

/// A named peer namespace for a veth pair, deleted on drop.
struct PeerNs(String);

impl Drop for PeerNs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("ip")
            .args(["netns", "del", &self.0])
            .status();
    }
}

#[test]
fn ike_sockets_bypass_a_catch_all_tunnel() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipped: needs root");
        return;
    }
    let peer_ns = PeerNs(format!("nmike-kt-{}", std::process::id()));
    ip_cmd(&["netns", "add", &peer_ns.0]);
    let name = peer_ns.0.clone();
    // The gateway side: 192.0.2.2 on v1 in the named namespace, a UDP receiver there.
    let peer = {
        let name = name.clone();
        std::thread::spawn(move || {
            let f = std::fs::File::open(format!("/run/netns/{name}")).unwrap();
            nix::sched::setns(f, nix::sched::CloneFlags::CLONE_NEWNET).unwrap();
            ip_cmd(&["link", "set", "lo", "up"]);
            std::net::UdpSocket::bind("0.0.0.0:5500").unwrap()
        })
        .join()
        .unwrap()
    };
    peer.set_read_timeout(Some(std::time::Duration::from_millis(500)))
        .unwrap();
    in_netns(move || {
        use std::net::UdpSocket;
        // Loopback traffic is never subject to policies (lo has disable_policy): use a
        // veth pair to the peer namespace.
        ip_cmd(&[
            "link", "add", "v0", "type", "veth", "peer", "name", "v1", "netns", &name,
        ]);
        ip_cmd(&["addr", "add", "192.0.2.1/24", "dev", "v0"]);
        ip_cmd(&["link", "set", "v0", "up"]);
        ip_cmd(&["-n", &name, "addr", "add", "192.0.2.2/24", "dev", "v1"]);
        ip_cmd(&["-n", &name, "link", "set", "v1", "up"]);
        let gw = "192.0.2.2:5500";
        let mut buf = [0u8; 16];
        // Plain UDP reaches the peer before the tunnel exists (also resolves ARP).
        let plain = UdpSocket::bind("192.0.2.1:0").unwrap();
        let mut ok = false;
        for _ in 0..5 {
            plain.send_to(b"plain", gw).unwrap();
            if let Ok((n, _)) = peer.recv_from(&mut buf) {
                ok = &buf[..n] == b"plain";
                break;
            }
        }
        assert!(ok, "no plain connectivity over the veth pair");
        let mut k = XfrmKernel::open().unwrap();
        // A tunnel covering everything, IKE included: 0.0.0.0/0 -> 0.0.0.0/0.
        let any = TrafficSelector::from_range(ip("0.0.0.0"), ip("255.255.255.255"));
        let op = KernelOp::InstallPolicy {
            request: KernelRequest(1),
            reqid: 0x4e4d_0001,
            dir: Direction::Out,
            src_ts: any,
            dst_ts: any,
            tmpl_src: ip("192.0.2.1"),
            tmpl_dst: ip("192.0.2.2"),
            mode: Mode::Tunnel,
        };
        assert_eq!(k.execute(&op), None);
        // Without the bypass the policy captures the datagram (no SA: dropped).
        let _ = plain.send_to(b"plain", gw);
        assert!(
            peer.recv_from(&mut buf).is_err(),
            "plain UDP escaped the catch-all policy"
        );
        // With the bypass, IKE leaves in the clear.
        let ike = UdpSocket::bind("192.0.2.1:0").unwrap();
        let natt = UdpSocket::bind("192.0.2.1:0").unwrap();
        nm_plugin::kernel::sockopt::prepare_ike_sockets(&ike, &natt, false).unwrap();
        ike.send_to(b"ike", gw).unwrap();
        let (n, _) = peer.recv_from(&mut buf).expect("IKE bypasses the policy");
        assert_eq!(&buf[..n], b"ike");
        natt.send_to(&[0, 0, 0, 0, b'i'], gw).unwrap();
        let (n, _) = peer.recv_from(&mut buf).expect("NAT-T bypasses the policy");
        assert_eq!(&buf[..n], &[0, 0, 0, 0, b'i']);
        k.cleanup();
        assert!(k.dump_policies().unwrap().is_empty());
    });
    drop(peer_ns);
}

/// The route the kernel picks for `dst` now: its output device.
fn oif_towards(routes: &mut nm_plugin::kernel::route::Routes, dst: &str) -> Option<u32> {
    routes.path_to(ip(dst)).ok().map(|(oif, _)| oif)
}

#[test]
fn a_gateway_exemption_keeps_its_gateway_out_of_another_tunnel() {
    use nm_plugin::kernel::route::{RouteConfig, Routes, EXEMPTION_METRIC_BASE};
    in_netns(|| {
        // v0: the uplink towards both gateways; v1 stands in for the first connection's
        // XFRM interface.
        ip_cmd(&["link", "add", "v0", "type", "veth", "peer", "name", "v1"]);
        ip_cmd(&["addr", "add", "192.0.2.1/24", "dev", "v0"]);
        ip_cmd(&["link", "set", "v0", "up"]);
        ip_cmd(&["link", "set", "v1", "up"]);
        ip_cmd(&["route", "add", "203.0.113.0/24", "dev", "v0"]);
        let v0 = nix::net::if_::if_nametoindex("v0").unwrap();
        let v1 = nix::net::if_::if_nametoindex("v1").unwrap();
        let cfg = |metric| RouteConfig {
            metric,
            ..RouteConfig::default()
        };
        // The first connection (block 3): 0.0.0.0/0 through its interface, gateway 192.0.2.2.
        let mut first = Routes::open(cfg(3)).unwrap();
        first
            .add_tunnel_dev(&[(ip("0.0.0.0"), 0)], None, ip("192.0.2.2"), v1)
            .unwrap();
        // The second connection's gateway falls into the first tunnel...
        let mut probe = Routes::open(cfg(0)).unwrap();
        assert_eq!(oif_towards(&mut probe, "203.0.113.2"), Some(v1));
        // ...until the second connection (block 4) exempts it.
        let second = Routes::open(cfg(4))
            .unwrap()
            .exempt_gateway(ip("203.0.113.2"))
            .unwrap();
        assert_eq!(second.gateway(), ip("203.0.113.2"));
        assert_eq!(oif_towards(&mut probe, "203.0.113.2"), Some(v0));
        assert_eq!(oif_towards(&mut probe, "198.51.100.9"), Some(v1));
        let local =
            nm_plugin::driver::run::local_address_towards("203.0.113.2:500".parse().unwrap())
                .unwrap();
        assert_eq!(local, ip("192.0.2.1"));
        // Ours: protocol 78, table 2749, the block's exemption metric.
        let throws = |probe: &mut Routes, gw: &str| -> Vec<u32> {
            let mut m: Vec<u32> = probe
                .dump_ours()
                .unwrap()
                .iter()
                .filter(|r| {
                    r.header.kind == netlink_packet_route::route::RouteType::Throw
                        && r.attributes.contains(
                            &netlink_packet_route::route::RouteAttribute::Destination(
                                netlink_packet_route::route::RouteAddress::from(ip(gw)),
                            ),
                        )
                })
                .filter_map(|r| {
                    r.attributes.iter().find_map(|a| match a {
                        netlink_packet_route::route::RouteAttribute::Priority(p) => Some(*p),
                        _ => None,
                    })
                })
                .collect();
            m.sort_unstable();
            m
        };
        assert_eq!(
            throws(&mut probe, "203.0.113.2"),
            vec![EXEMPTION_METRIC_BASE + 4]
        );
        // The first connection's own exemption is a route of its own next to its tunnel's
        // throw route for the same gateway, and outlives the tunnel's routes.
        let own = Routes::open(cfg(3))
            .unwrap()
            .exempt_gateway(ip("192.0.2.2"))
            .unwrap();
        assert_eq!(
            throws(&mut probe, "192.0.2.2"),
            vec![3, EXEMPTION_METRIC_BASE + 3]
        );
        first.remove_tunnel(&[(ip("0.0.0.0"), 0)]);
        assert_eq!(
            throws(&mut probe, "192.0.2.2"),
            vec![EXEMPTION_METRIC_BASE + 3]
        );
        assert_eq!(
            probe.dump_rules().unwrap().len(),
            1,
            "the rule stays with our routes"
        );
        // Two exemptions of one process for the same route (an attempt that starts while the
        // one before is still ending): the route stays until the last one ends.
        let again = Routes::open(cfg(3))
            .unwrap()
            .exempt_gateway(ip("192.0.2.2"))
            .unwrap();
        drop(own);
        assert_eq!(
            throws(&mut probe, "192.0.2.2"),
            vec![EXEMPTION_METRIC_BASE + 3]
        );
        // Gone with their connections, and the rule with the last of them.
        drop(again);
        drop(second);
        assert!(probe.dump_ours().unwrap().is_empty());
        assert!(probe.dump_rules().unwrap().is_empty());
    });
}
