//! What every benchmark shares: the benchmark profile (identities, PSK, proposals), CPU clocks,
//! and an in-memory pump that drives one responder engine the way a driver would.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use ike_core::engine::{
    ChildConfig, ConnectionConfig, Engine, Event, Fragmentation, Identity, KernelEvent, KernelOp,
    LocalAuth, Mode, RemoteAuth, ResponderConfig, RetransmitConfig, SecretBytes, ServeConfig, Time,
    Transmit,
};
use ike_core::proposal::{self, Proposal, Protocol};
use ike_core::wire::TrafficSelector;

/// The pre-shared key of every benchmark (charon-nm wants at least 20 characters).
pub const PSK: &str = "bench-psk-0123456789-abcdef";
/// IKE proposal: AES-GCM-256, PRF-HMAC-SHA256, X25519.
pub const IKE_PROPOSAL: &str = "aes256gcm16-prfsha256-x25519";
/// ESP proposal: AES-GCM-256, no PFS.
pub const ESP_PROPOSAL: &str = "aes256gcm16";
/// The responder's identity.
pub const SERVER_ID: &str = "gw@bench.test";
/// The initiators' identity (all of them: strongSwan's `unique = no` is its default).
pub const CLIENT_ID: &str = "client@bench.test";
/// The responder's protected subnet.
pub const SERVER_NET: (&str, &str) = ("10.2.0.0", "10.2.0.255");

fn ip(s: &str) -> Result<IpAddr, String> {
    s.parse().map_err(|e| format!("{s}: {e}"))
}

fn identity(s: &str) -> Result<Identity, String> {
    Identity::parse(s).map_err(|e| format!("{s}: {e}"))
}

/// Parses a proposal string (either syntax).
pub fn proposals(protocol: Protocol, s: &str) -> Result<Vec<Proposal>, String> {
    proposal::parse(protocol, s)
        .map(|set| set.0)
        .map_err(|e| format!("{s}: {e}"))
}

/// The connection one benchmark initiator opens from `local` (port 500) to `server`.
pub fn initiator_conn(
    server: SocketAddr,
    local: IpAddr,
    dpd: Option<Duration>,
) -> Result<ConnectionConfig, String> {
    let psk = SecretBytes::from_slice(PSK.as_bytes());
    let mut c = ConnectionConfig::new(
        "bench",
        server,
        identity(CLIENT_ID)?,
        LocalAuth::Psk(psk.clone()),
        RemoteAuth::Psk(psk),
    );
    c.local_addr = Some(local);
    c.remote_id = Some(identity(SERVER_ID)?);
    c.ike_proposals = proposals(Protocol::Ike, IKE_PROPOSAL)?;
    c.esp_proposals = proposals(Protocol::Esp, ESP_PROPOSAL)?;
    c.children = vec![ChildConfig {
        name: "net".into(),
        local_ts: vec![TrafficSelector::from_range(local, local)],
        remote_ts: vec![TrafficSelector::from_range(
            ip(SERVER_NET.0)?,
            ip(SERVER_NET.1)?,
        )],
        mode: Mode::Tunnel,
    }];
    c.dpd_delay = dpd;
    Ok(c)
}

/// The responder configuration (the same as the `nm-ike respond` profile the UDP benchmark
/// writes, and as the charon gateway's connection).
pub fn responder_cfg() -> Result<ResponderConfig, String> {
    let psk = SecretBytes::from_slice(PSK.as_bytes());
    Ok(ResponderConfig {
        name: "bench".into(),
        local_id: identity(SERVER_ID)?,
        remote_id: Some(identity(CLIENT_ID)?),
        local_auth: LocalAuth::Psk(psk.clone()),
        remote_auth: RemoteAuth::Psk(psk),
        ike_proposals: proposals(Protocol::Ike, IKE_PROPOSAL)?,
        esp_proposals: proposals(Protocol::Esp, ESP_PROPOSAL)?,
        local_ts: vec![TrafficSelector::from_range(
            ip(SERVER_NET.0)?,
            ip(SERVER_NET.1)?,
        )],
        remote_ts: vec![TrafficSelector::from_range(
            ip("0.0.0.0")?,
            ip("255.255.255.255")?,
        )],
        allow_transport: false,
        serve: ServeConfig::default(),
        ike_lifetime: Duration::from_secs(28_800),
        child_lifetime: Duration::from_secs(3_600),
        fragmentation: Fragmentation::Yes,
        fragment_size: 1280,
        dpd_delay: None,
        retransmit: RetransmitConfig::default(),
        auth_lifetime: None,
        mobike: false,
    })
}

/// CPU time of the calling thread.
pub fn thread_cpu() -> Duration {
    clock(nix::time::ClockId::CLOCK_THREAD_CPUTIME_ID)
}

fn clock(id: nix::time::ClockId) -> Duration {
    nix::time::clock_gettime(id)
        .map(|t| {
            Duration::new(
                u64::try_from(t.tv_sec()).unwrap_or(0),
                u32::try_from(t.tv_nsec()).unwrap_or(0),
            )
        })
        .unwrap_or_default()
}

/// Clock ticks per second of `/proc/PID/stat` times.
pub fn clk_tck() -> u64 {
    nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)
        .ok()
        .flatten()
        .and_then(|v| u64::try_from(v).ok())
        .filter(|v| *v > 0)
        .unwrap_or(100)
}

/// utime + stime of process `pid` (all its threads, live and exited), in clock ticks.
pub fn pid_cpu_ticks(pid: u32) -> Result<u64, String> {
    let path = format!("/proc/{pid}/stat");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
    // The command name may contain spaces and parentheses: fields start after the last ')'.
    let rest = text
        .rsplit_once(')')
        .map(|(_, r)| r)
        .ok_or_else(|| format!("{path}: unexpected format"))?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // fields[0] is field 3 (state): utime is field 14, stime field 15.
    let num = |i: usize| -> Result<u64, String> {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .ok_or_else(|| format!("{path}: no field {}", i + 3))
    };
    Ok(num(11)? + num(12)?)
}

/// Nanoseconds process `pid` has run on a CPU: the sum of the first field of
/// `/proc/PID/task/*/schedstat` over its live threads (threads that exited are missing, which
/// is why [`pid_cpu_ticks`] is read too).
pub fn pid_sched_ns(pid: u32) -> Result<u64, String> {
    let dir = format!("/proc/{pid}/task");
    let mut sum = 0u64;
    for entry in std::fs::read_dir(&dir).map_err(|e| format!("{dir}: {e}"))? {
        let path = entry
            .map_err(|e| format!("{dir}: {e}"))?
            .path()
            .join("schedstat");
        // a thread may exit between the listing and the read
        if let Ok(text) = std::fs::read_to_string(&path) {
            sum += text
                .split_whitespace()
                .next()
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0);
        }
    }
    Ok(sum)
}

/// Resident set size of process `pid` in bytes (`VmRSS` of `/proc/PID/status`).
pub fn pid_rss(pid: u32) -> Result<u64, String> {
    let path = format!("/proc/{pid}/status");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
    text.lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .ok_or_else(|| format!("{path}: no VmRSS"))
}

/// Resident set size of this process in bytes (`/proc/self/statm`).
pub fn self_rss() -> u64 {
    let pages = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|t| {
            t.split_whitespace()
                .nth(1)
                .and_then(|v| v.parse::<u64>().ok())
        })
        .unwrap_or(0);
    let page = nix::unistd::sysconf(nix::unistd::SysconfVar::PAGE_SIZE)
        .ok()
        .flatten()
        .and_then(|v| u64::try_from(v).ok())
        .unwrap_or(4096);
    pages * page
}

/// Drains every output of `engine`: datagrams are returned, SPI allocations answered from
/// `next_spi`, other kernel operations dropped (the recording kernel's treatment), events
/// returned.
pub fn drain(engine: &mut Engine, now: Time, next_spi: &mut u32) -> (Vec<Transmit>, Vec<Event>) {
    let mut tx = Vec::new();
    let mut events = Vec::new();
    loop {
        let mut progress = false;
        while let Some(t) = engine.poll_transmit() {
            tx.push(t);
            progress = true;
        }
        while let Some(op) = engine.poll_kernel_op() {
            if let KernelOp::AllocateSpi { request, .. } = op {
                *next_spi = next_spi.wrapping_add(1).max(0x100);
                engine.handle_kernel_event(
                    now,
                    KernelEvent::SpiAllocated {
                        request,
                        spi: *next_spi,
                    },
                );
            }
            progress = true;
        }
        while let Some(e) = engine.poll_event() {
            events.push(e);
            progress = true;
        }
        if !progress {
            return (tx, events);
        }
    }
}

/// What the responder spent on one message.
#[derive(Debug, Clone, Copy, Default)]
pub struct MsgCost {
    /// `handle_datagram` plus draining the outputs.
    pub handle: Duration,
    /// The driver's `poll_timeout` after it (every driver asks for the next timer after each
    /// input).
    pub poll_timeout: Duration,
}

/// One responder engine fed in memory, timed per message with the thread CPU clock.
pub struct Pump {
    /// The responder.
    pub resp: Engine,
    /// Its address.
    pub addr: SocketAddr,
    /// Virtual time.
    pub now: Time,
    next_spi: u32,
}

impl Pump {
    /// A pump around `resp` listening on `addr`.
    pub fn new(resp: Engine, addr: SocketAddr) -> Self {
        Pump {
            resp,
            addr,
            now: Time::from_millis(1_000_000),
            next_spi: 0x1000_0000,
        }
    }

    /// Feeds one datagram to the responder as a driver would: `handle_datagram`, drain the
    /// outputs, then `poll_timeout` (and `handle_timeout` when a timer is due). With `poll`
    /// false the timer part is skipped (filling a big engine fast; nothing is timed then).
    pub fn deliver(
        &mut self,
        from: SocketAddr,
        data: &[u8],
        poll: bool,
    ) -> (Vec<Transmit>, MsgCost) {
        let t0 = thread_cpu();
        self.resp.handle_datagram(self.now, self.addr, from, data);
        let (tx, _events) = drain(&mut self.resp, self.now, &mut self.next_spi);
        let t1 = thread_cpu();
        let due = poll && self.resp.poll_timeout().is_some_and(|t| t <= self.now);
        let t2 = thread_cpu();
        if due {
            self.resp.handle_timeout(self.now);
            let _ = drain(&mut self.resp, self.now, &mut self.next_spi);
        }
        (
            tx,
            MsgCost {
                handle: t1.saturating_sub(t0),
                poll_timeout: t2.saturating_sub(t1),
            },
        )
    }

    /// Establishes one IKE SA + Child SA from a fresh initiator engine `init` at `from`.
    /// Returns the responder's cost for each request it answered, in order (IKE_SA_INIT,
    /// IKE_AUTH) and the sizes of the datagrams (request, response) of each exchange. `poll`
    /// as in [`Pump::deliver`].
    pub fn establish(
        &mut self,
        init: &mut Engine,
        from: SocketAddr,
        conn: ConnectionConfig,
        poll: bool,
    ) -> Result<Vec<(MsgCost, usize, usize)>, String> {
        let mut spi = 0x2000_0000u32;
        init.initiate(self.now, conn).map_err(|e| e.to_string())?;
        let mut costs = Vec::new();
        for _ in 0..16 {
            let (tx, events) = drain(init, self.now, &mut spi);
            for e in &events {
                match e {
                    Event::ChildSaUp { .. } => return Ok(costs),
                    Event::Failed { failure, .. } => return Err(format!("handshake: {failure}")),
                    _ => {}
                }
            }
            if tx.is_empty() {
                return Err("handshake stalled: the initiator has nothing to send".into());
            }
            for t in tx {
                let (answers, cost) = self.deliver(from, &t.payload, poll);
                let resp_len = answers.iter().map(|a| a.payload.len()).sum();
                costs.push((cost, t.payload.len(), resp_len));
                for a in answers {
                    init.handle_datagram(self.now, from, self.addr, &a.payload);
                }
            }
        }
        Err("handshake did not finish within 16 rounds".into())
    }
}

/// Median of a list (0 for an empty one).
pub fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        return 0.0;
    }
    let a = v.get((n - 1) / 2).copied().unwrap_or(0.0);
    let b = v.get(n / 2).copied().unwrap_or(0.0);
    (a + b) / 2.0
}

/// Microseconds of a duration.
pub fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}
