//! The UDP load generator: `slots` concurrent initiators, each bound to its own address on
//! port 500, open `count` IKE SAs (with their first Child SA) against one responder and
//! measure the responder's CPU time around them: utime + stime of its PID (clock ticks, all
//! threads) and the run time of its threads from `schedstat` (nanoseconds, live threads).
//!
//! Every handshake uses a fresh initiator engine, dropped once its Child SA is up: the
//! responder keeps the SA, the initiator side stays small, and no Delete is ever sent.

use std::cell::{Cell, RefCell};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::rc::Rc;
use std::time::{Duration, Instant};

use ike_core::crypto::SystemRng;
use ike_core::engine::{Engine, EngineConfig, Event, KernelEvent, KernelOp, Time};
use tokio::net::UdpSocket;

use crate::common::{clk_tck, initiator_conn, pid_cpu_ticks, pid_rss, pid_sched_ns};

/// Options of `ike-bench handshake`.
#[derive(Debug, clap::Args)]
pub struct Opts {
    /// The responder (port 500).
    #[arg(long)]
    pub server: Ipv4Addr,
    /// First local address; slot i binds FIRST+i, port 500 (the addresses must exist).
    #[arg(long)]
    pub first_local: Ipv4Addr,
    /// Concurrent initiators.
    #[arg(long, default_value_t = 16)]
    pub slots: u32,
    /// Measured handshakes.
    #[arg(long, default_value_t = 1000)]
    pub count: usize,
    /// Handshakes before the measurement starts (warm-up, not measured).
    #[arg(long, default_value_t = 64)]
    pub warmup: usize,
    /// The responder's PID (its CPU time is measured).
    #[arg(long)]
    pub pid: u32,
    /// Give up on a handshake after this many seconds.
    #[arg(long, default_value_t = 20)]
    pub timeout: u64,
}

/// Sizes of one handshake's datagrams.
#[derive(Debug, Clone, Copy, Default)]
struct Sizes {
    init_req: usize,
    init_resp: usize,
    auth_req: usize,
    auth_resp: usize,
}

struct Shared {
    next: Cell<usize>,
    total: usize,
    sizes: Cell<Sizes>,
}

/// Runs the load and prints one `key=value` result line.
pub fn run(o: &Opts) -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async {
        let local = tokio::task::LocalSet::new();
        local.run_until(run_async(o)).await
    })
}

async fn run_async(o: &Opts) -> Result<(), String> {
    let server = SocketAddr::new(IpAddr::V4(o.server), 500);
    let mut socks = Vec::new();
    for i in 0..o.slots {
        let ip = Ipv4Addr::from(u32::from(o.first_local).wrapping_add(i));
        let addr = SocketAddr::new(IpAddr::V4(ip), 500);
        let s = UdpSocket::bind(addr)
            .await
            .map_err(|e| format!("bind {addr}: {e}"))?;
        socks.push(Rc::new(s));
    }
    let start = Instant::now();
    // warm-up
    phase(&socks, server, o.warmup, o.timeout, start).await?;
    let tck = clk_tck();
    let rss0 = pid_rss(o.pid)?;
    let c0 = pid_cpu_ticks(o.pid)?;
    let s0 = pid_sched_ns(o.pid)?;
    let t0 = Instant::now();
    let sizes = phase(&socks, server, o.count, o.timeout, start).await?;
    let wall = t0.elapsed();
    let c1 = pid_cpu_ticks(o.pid)?;
    let s1 = pid_sched_ns(o.pid)?;
    let rss1 = pid_rss(o.pid)?;
    let cpu_s = c1.saturating_sub(c0) as f64 / tck as f64;
    let n = o.count.max(1) as f64;
    println!(
        "handshakes={} slots={} wall_s={:.3} rate_per_s={:.1} responder_cpu_s={:.2} clk_tck={} \
         responder_us_per_handshake={:.1} responder_sched_us_per_handshake={:.1} \
         responder_rss_before={} responder_rss_after={} \
         responder_rss_per_sa={:.0} init_req={} init_resp={} auth_req={} auth_resp={}",
        o.count,
        o.slots,
        wall.as_secs_f64(),
        n / wall.as_secs_f64().max(1e-9),
        cpu_s,
        tck,
        cpu_s * 1e6 / n,
        s1.saturating_sub(s0) as f64 / 1e3 / n,
        rss0,
        rss1,
        rss1.saturating_sub(rss0) as f64 / n,
        sizes.init_req,
        sizes.init_resp,
        sizes.auth_req,
        sizes.auth_resp,
    );
    Ok(())
}

async fn phase(
    socks: &[Rc<UdpSocket>],
    server: SocketAddr,
    count: usize,
    timeout: u64,
    start: Instant,
) -> Result<Sizes, String> {
    let shared = Rc::new(Shared {
        next: Cell::new(0),
        total: count,
        sizes: Cell::new(Sizes::default()),
    });
    let mut tasks = Vec::new();
    for s in socks {
        let s = Rc::clone(s);
        let shared = Rc::clone(&shared);
        tasks.push(tokio::task::spawn_local(async move {
            slot(s, server, shared, timeout, start).await
        }));
    }
    let mut first_err = None;
    for t in tasks {
        let r = t.await.map_err(|e| e.to_string()).and_then(|r| r);
        if let Err(e) = r {
            first_err.get_or_insert(e);
        }
    }
    match first_err {
        Some(e) => Err(e),
        None => Ok(shared.sizes.get()),
    }
}

async fn slot(
    sock: Rc<UdpSocket>,
    server: SocketAddr,
    shared: Rc<Shared>,
    timeout: u64,
    start: Instant,
) -> Result<(), String> {
    let local = sock.local_addr().map_err(|e| e.to_string())?;
    let conn = initiator_conn(server, local.ip(), None)?;
    let now = || Time::from_millis(u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX));
    let mut buf = vec![0u8; 65_536];
    let spi = RefCell::new(0x3000_0000u32);
    loop {
        let i = shared.next.get();
        if i >= shared.total {
            return Ok(());
        }
        shared.next.set(i + 1);
        let mut engine = Engine::new(EngineConfig::default(), Box::new(SystemRng::new()));
        engine
            .initiate(now(), conn.clone())
            .map_err(|e| e.to_string())?;
        let deadline = Instant::now() + Duration::from_secs(timeout);
        let mut sizes = Sizes::default();
        let mut sent = 0usize;
        let mut received = 0usize;
        'hs: loop {
            loop {
                let mut progress = false;
                while let Some(t) = engine.poll_transmit() {
                    match sent {
                        0 => sizes.init_req = t.payload.len(),
                        1 => sizes.auth_req = t.payload.len(),
                        _ => {}
                    }
                    sent += 1;
                    sock.send_to(&t.payload, t.remote)
                        .await
                        .map_err(|e| format!("send to {}: {e}", t.remote))?;
                    progress = true;
                }
                while let Some(op) = engine.poll_kernel_op() {
                    if let KernelOp::AllocateSpi { request, .. } = op {
                        let mut s = spi.borrow_mut();
                        *s = s.wrapping_add(1).max(0x100);
                        engine.handle_kernel_event(
                            now(),
                            KernelEvent::SpiAllocated { request, spi: *s },
                        );
                    }
                    progress = true;
                }
                while let Some(ev) = engine.poll_event() {
                    match ev {
                        Event::ChildSaUp { .. } => break 'hs,
                        Event::Failed { failure, .. } => {
                            return Err(format!("handshake {i} from {local} failed: {failure}"))
                        }
                        Event::IkeSaDown { reason, .. } => {
                            return Err(format!(
                                "handshake {i} from {local}: IKE SA down: {reason:?}"
                            ))
                        }
                        _ => {}
                    }
                    progress = true;
                }
                if !progress {
                    break;
                }
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "handshake {i} from {local}: no Child SA within {timeout}s (is the responder up?)"
                ));
            }
            let wake = engine
                .poll_timeout()
                .map(|t| start + Duration::from_millis(t.as_millis()))
                .unwrap_or(deadline)
                .min(deadline);
            tokio::select! {
                r = sock.recv_from(&mut buf) => {
                    let (n, from) = r.map_err(|e| format!("receive on {local}: {e}"))?;
                    if let Some(data) = buf.get(..n) {
                        match received {
                            0 => sizes.init_resp = n,
                            1 => sizes.auth_resp = n,
                            _ => {}
                        }
                        received += 1;
                        engine.handle_datagram(now(), local, from, data);
                    }
                }
                () = tokio::time::sleep_until(tokio::time::Instant::from_std(wake)) => {
                    engine.handle_timeout(now());
                }
            }
        }
        shared.sizes.set(sizes);
    }
}
