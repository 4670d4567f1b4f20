//! Responder scale simulation (no network): one responder engine is filled with established
//! IKE SAs (each with its Child SA) by fresh in-memory initiators, and at each checkpoint size
//! the memory per SA and the responder's per-message cost are measured:
//!
//! - heap bytes per SA (live allocations, counted by the global allocator) and RSS per SA;
//! - IKE_SA_INIT and IKE_AUTH requests of new initiators (`probes` of them);
//! - an INFORMATIONAL request (liveness check) on an existing SA: the probes' DPD fires after
//!   a virtual-time jump, each request is fed to the responder and timed;
//! - the driver's `poll_timeout` after each message (a driver must ask it after every input).
//!
//! Costs are medians over the probes, timed with the thread CPU clock.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use ike_core::crypto::SystemRng;
use ike_core::engine::{Engine, EngineConfig};

use crate::common::{drain, initiator_conn, median, responder_cfg, self_rss, us, MsgCost, Pump};

/// Options of `ike-bench scale`.
#[derive(Debug, clap::Args)]
pub struct Opts {
    /// Checkpoint sizes (established IKE SAs), ascending, comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = [10_000usize, 50_000, 100_000])]
    pub sizes: Vec<usize>,
    /// New initiators timed at each checkpoint (they count towards the size).
    #[arg(long, default_value_t = 200)]
    pub probes: usize,
}

fn addr(i: usize) -> SocketAddr {
    // 10.0.0.0/8 and beyond: one address per initiator, as many initiators behind their own
    // addresses would have
    let ip = Ipv4Addr::from(0x0a00_0000u32.wrapping_add(u32::try_from(i).unwrap_or(0)));
    SocketAddr::new(ip.into(), 500)
}

/// Runs the simulation and prints one `key=value` line per checkpoint. `live_heap` returns the
/// process's live heap bytes (the binary's counting global allocator).
pub fn run(o: &Opts, live_heap: fn() -> i64) -> Result<(), String> {
    let mut sizes = o.sizes.clone();
    sizes.sort_unstable();
    let max = sizes.last().copied().unwrap_or(0);
    let resp_addr: SocketAddr = "192.0.2.1:500".parse().map_err(|e| format!("{e}"))?;
    let heap0 = live_heap();
    let rss0 = self_rss();
    let resp = Engine::new(
        EngineConfig {
            responders: vec![responder_cfg()?],
            max_ike_sas: max.saturating_mul(2).max(1000),
            ..EngineConfig::default()
        },
        Box::new(SystemRng::new()),
    );
    let mut pump = Pump::new(resp, resp_addr);
    let mut n = 0usize;
    let t_start = Instant::now();
    for &size in &sizes {
        let fill_to = size.saturating_sub(o.probes);
        let t_fill = Instant::now();
        let n_fill0 = n;
        while n < fill_to {
            let from = addr(n);
            let mut init = Engine::new(EngineConfig::default(), Box::new(SystemRng::new()));
            // no timers while filling: the driver's poll_timeout is O(SAs) and would make
            // the fill quadratic (it is timed at the checkpoints)
            pump.establish(
                &mut init,
                from,
                initiator_conn(resp_addr, from.ip(), None)?,
                false,
            )?;
            n += 1;
            if n.is_multiple_of(10_000) {
                eprintln!(
                    "scale: {n} SAs after {:.0}s",
                    t_start.elapsed().as_secs_f64()
                );
            }
        }
        let fill_rate = (n - n_fill0) as f64 / t_fill.elapsed().as_secs_f64().max(1e-9);
        // probes: new initiators with a liveness check after 10 s of (virtual) silence
        let mut probes = Vec::new();
        let mut c_init = Vec::new();
        let mut c_auth = Vec::new();
        let mut c_poll = Vec::new();
        for _ in 0..o.probes.min(size) {
            let from = addr(n);
            let mut init = Engine::new(EngineConfig::default(), Box::new(SystemRng::new()));
            let conn = initiator_conn(resp_addr, from.ip(), Some(Duration::from_secs(10)))?;
            let costs = pump.establish(&mut init, from, conn, true)?;
            if let [(a, _, _), (b, _, _)] = costs.as_slice() {
                c_init.push(us(a.handle));
                c_auth.push(us(b.handle));
                c_poll.push(us(a.poll_timeout));
                c_poll.push(us(b.poll_timeout));
            }
            probes.push((init, from));
            n += 1;
        }
        pump.now = pump.now + Duration::from_secs(11);
        let mut c_info = Vec::new();
        let mut spi = 0x4000_0000u32;
        for (init, from) in &mut probes {
            init.handle_timeout(pump.now);
            let (tx, _) = drain(init, pump.now, &mut spi);
            for t in tx {
                let (
                    answers,
                    MsgCost {
                        handle,
                        poll_timeout,
                    },
                ) = pump.deliver(*from, &t.payload, true);
                c_info.push(us(handle));
                c_poll.push(us(poll_timeout));
                for a in answers {
                    init.handle_datagram(pump.now, *from, resp_addr, &a.payload);
                }
            }
        }
        if c_info.len() < probes.len() {
            return Err(format!(
                "only {} of {} liveness checks were sent",
                c_info.len(),
                probes.len()
            ));
        }
        drop(probes);
        let count = pump.resp.ike_sa_count();
        if count != n {
            return Err(format!("the responder holds {count} IKE SAs, expected {n}"));
        }
        let heap = (live_heap() - heap0) as f64 / n as f64;
        let rss = self_rss().saturating_sub(rss0) as f64 / n as f64;
        println!(
            "size={n} heap_bytes_per_sa={heap:.0} rss_bytes_per_sa={rss:.0} init_us={:.2} \
             auth_us={:.2} info_us={:.2} poll_timeout_us={:.2} fill_rate_per_s={fill_rate:.0} \
             elapsed_s={:.1}",
            median(&mut c_init),
            median(&mut c_auth),
            median(&mut c_info),
            median(&mut c_poll),
            t_start.elapsed().as_secs_f64(),
        );
    }
    Ok(())
}
