//! The event loop: UDP sockets on ports 500 and 4500, the engine's timer, kernel operations
//! and a shutdown signal.

use super::hold::PolicyHold;
use super::kernel::{describe, Kernel};
use super::path::PathFollow;
pub use crate::kernel::api::{log_counters, log_sa_counters};
use ike_core::engine::{ConnectionConfig, Engine, Event, IkeSaHandle, KernelOp, Time, Transmit};
use ike_core::natt::NATT_PORT;
use ike_core::wire::is_nat_keepalive;
use std::io;
use std::net::{IpAddr, SocketAddr, UdpSocket as StdUdpSocket};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot, watch};

/// How long a shutdown waits for the delete exchanges.
const CLOSE_GRACE: Duration = Duration::from_secs(3);

/// How often the loop wakes up to read the kernel's events (SA expiry, the route layer's
/// pending routes) when nothing else happens. Soft expiry comes well before the hard one, so
/// a second of latency costs nothing.
const KERNEL_TICK: Duration = Duration::from_secs(1);
/// How often the loop turns while a route waits for the virtual address NetworkManager is
/// adding (traffic is blackholed meanwhile: the shorter, the smaller the gap after
/// NetworkManager reports the VPN as activated).
const ADDRESS_POLL: Duration = Duration::from_millis(5);

/// Our address towards `remote`, as the routing table chooses it (no packet is sent).
pub fn local_address_towards(remote: SocketAddr) -> io::Result<IpAddr> {
    let bind: SocketAddr = match remote {
        SocketAddr::V4(_) => "0.0.0.0:0".parse().map_err(io::Error::other)?,
        SocketAddr::V6(_) => "[::]:0".parse().map_err(io::Error::other)?,
    };
    let s = StdUdpSocket::bind(bind)?;
    s.connect(remote)?;
    Ok(s.local_addr()?.ip())
}

/// The two sockets of one local address.
pub struct Sockets {
    ike: UdpSocket,
    natt: UdpSocket,
    local: IpAddr,
    /// Datagrams sent so far (see [`Sockets::sent_counter`]).
    sent: Arc<AtomicU64>,
}

impl Sockets {
    /// Binds `local:500` and `local:4500` (or other ports, for tests).
    pub async fn bind(local: IpAddr, ike_port: u16, natt_port: u16) -> io::Result<Self> {
        let ike = UdpSocket::bind(SocketAddr::new(local, ike_port))
            .await
            .map_err(|e| {
                io::Error::new(e.kind(), format!("cannot bind UDP {local}:{ike_port}: {e}"))
            })?;
        let natt = UdpSocket::bind(SocketAddr::new(local, natt_port))
            .await
            .map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!("cannot bind UDP {local}:{natt_port}: {e}"),
                )
            })?;
        // IKE must never be captured by our own tunnels (socket policy bypass), and ESP-in-UDP
        // arriving on the NAT-T socket goes to XFRM. Needs CAP_NET_ADMIN: without it (tests,
        // the recording kernel) IKE still works, only the data plane would be affected.
        if let Err(e) = crate::kernel::sockopt::prepare_ike_sockets(&ike, &natt, local.is_ipv6()) {
            tracing::warn!("{e}");
        }
        Ok(Sockets {
            ike,
            natt,
            local,
            sent: Arc::new(AtomicU64::new(0)),
        })
    }

    /// Binds the same ports on `local` instead (our address towards the gateway changed); the
    /// sent counter carries on. On failure the old sockets stay.
    pub async fn rebind(&mut self, local: IpAddr) -> io::Result<()> {
        let (ike, natt) = self.local_ports();
        let new = Sockets::bind(local, ike, natt).await?;
        self.ike = new.ike;
        self.natt = new.natt;
        self.local = local;
        Ok(())
    }

    /// The local address the sockets are bound to.
    pub fn local(&self) -> IpAddr {
        self.local
    }

    /// The number of datagrams sent so far, counted before each is handed to the kernel: an
    /// ICMP error that arrives when it reads `n` answers datagram `n` or an earlier one (the
    /// service uses it to tell errors that answer consecutive retransmissions from a single,
    /// possibly forged one).
    pub fn sent_counter(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.sent)
    }

    fn local_addr(&self, natt: bool) -> SocketAddr {
        let s = if natt { &self.natt } else { &self.ike };
        s.local_addr().unwrap_or(SocketAddr::new(self.local, 0))
    }

    /// The bound (IKE, NAT-T) ports; they differ from 500/4500 when ephemeral ports were
    /// bound.
    pub fn local_ports(&self) -> (u16, u16) {
        (self.local_addr(false).port(), self.local_addr(true).port())
    }

    /// The address the engine is told a datagram arrived on. The NAT-T socket is always
    /// presented as port 4500 whatever port it is bound to: the engine recognises NAT-T traffic
    /// (non-ESP marker, floating) by that port.
    fn engine_addr(&self, natt: bool) -> SocketAddr {
        let a = self.local_addr(natt);
        if natt {
            SocketAddr::new(a.ip(), NATT_PORT)
        } else {
            a
        }
    }

    async fn send(&self, t: &Transmit) {
        let sock = if t.local_port == NATT_PORT {
            &self.natt
        } else {
            &self.ike
        };
        self.sent.fetch_add(1, Ordering::Relaxed);
        if let Err(e) = sock.send_to(&t.payload, t.remote).await {
            tracing::warn!(
                "sending {} bytes to {} failed: {e}",
                t.payload.len(),
                t.remote
            );
        }
    }
}

/// Runs `engine` until `shutdown` becomes true and everything is closed, or until no IKE SA
/// is left after at least one existed (`exit_when_idle`). Events are sent to `events`.
pub struct Runner {
    /// The engine.
    pub engine: Engine,
    /// The sockets.
    pub sockets: Sockets,
    /// The kernel backend.
    pub kernel: Box<dyn Kernel>,
    /// Where events go.
    pub events: mpsc::UnboundedSender<Event>,
    /// The loop's time origin.
    pub start: Instant,
    /// The engine's NAT-keepalives: sent, or left to the kernel.
    pub keepalives: KeepaliveTally,
    /// Follows our address towards the gateway (see [`super::path`]); `None`: the address
    /// chosen at the start stays.
    pub path: Option<PathFollow>,
}

/// What became of the engine's NAT-keepalives (logged when the loop ends).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KeepaliveTally {
    /// Sent by the service.
    pub sent: u64,
    /// Not sent: the kernel sends them on this path ([`Kernel::kernel_keepalives`]).
    pub left_to_kernel: u64,
}

impl KeepaliveTally {
    /// Logs the tally (at the end of a connection), when there was any keepalive.
    pub fn log(&self) {
        if self.sent > 0 || self.left_to_kernel > 0 {
            tracing::info!(
                "NAT-keepalives: {} sent by the service, {} left to the kernel",
                self.sent,
                self.left_to_kernel
            );
        }
    }
}

impl Runner {
    /// Engine time now. It also hands the engine the wall clock of this moment (certificate
    /// validity): the engine reads no clock of its own, and the loop's monotonic time follows
    /// neither clock steps nor suspend.
    pub fn now(&mut self) -> Time {
        let now =
            Time::from_millis(u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX));
        if let Ok(wall) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
            self.engine.set_wall_clock(now, wall.as_secs());
        }
        now
    }

    fn instant_of(&self, t: Time) -> tokio::time::Instant {
        tokio::time::Instant::from_std(self.start + Duration::from_millis(t.as_millis()))
    }

    /// Drains every output of the engine: kernel operations, datagrams, events, in the order
    /// [`Engine`] documents.
    ///
    /// Kernel operations go before datagrams: a responder's inbound SA exists before its
    /// IKE_AUTH answer leaves, so the initiator's first ESP packet (sent the moment it reads
    /// that answer) is not dropped. Events are taken before the kernel operations and sent
    /// after them: the subnets of a configuration payload reach the kernel backend
    /// ([`Kernel::pushed_subnets`]) before the policies of the Child SA that came with it are
    /// installed (their routes depend on them), and the service still sees `ChildSaUp` only
    /// after its kernel state exists.
    pub async fn flush(&mut self) {
        loop {
            let mut progress = false;
            let mut events = Vec::new();
            while let Some(ev) = self.engine.poll_event() {
                tell_kernel(self.kernel.as_mut(), &ev);
                if let (Event::ConfigReceived { config, .. }, Some(p)) = (&ev, self.path.as_mut()) {
                    p.virtual_addresses.extend(
                        config
                            .addresses_v4
                            .iter()
                            .chain(&config.addresses_v6)
                            .map(|a| a.addr),
                    );
                }
                events.push(ev);
            }
            while let Some(mut op) = self.engine.poll_kernel_op() {
                // UDP encapsulation uses the NAT-T socket's real port (see `engine_addr`).
                if let KernelOp::InstallSa { encap: Some(e), .. }
                | KernelOp::MigrateSa { encap: Some(e), .. } = &mut op
                {
                    let real = self.sockets.local_ports().1;
                    if e.sport == NATT_PORT && real != 0 {
                        e.sport = real;
                    }
                }
                tracing::debug!("kernel: {}", describe(&op));
                if let Some(ev) = self.kernel.execute(&op) {
                    let now = self.now();
                    self.engine.handle_kernel_event(now, ev);
                }
                progress = true;
            }
            while let Some(t) = self.engine.poll_transmit() {
                progress = true;
                match keepalive_sender(&t, self.kernel.as_ref()) {
                    Some(KeepaliveSender::Kernel) => {
                        self.keepalives.left_to_kernel += 1;
                        tracing::debug!("NAT-keepalive to {} left to the kernel", t.remote);
                        continue;
                    }
                    Some(KeepaliveSender::Service) => {
                        self.keepalives.sent += 1;
                        tracing::debug!("NAT-keepalive sent to {} by the service", t.remote);
                    }
                    None => {}
                }
                self.sockets.send(&t).await;
            }
            for ev in events {
                let _ = self.events.send(ev);
                progress = true;
            }
            if !progress {
                break;
            }
        }
    }

    /// The loop. Returns when shutdown was requested and all IKE SAs are closed (or after a
    /// grace period), or when `exit_when_idle` is set and the last IKE SA went away.
    pub async fn run(&mut self, shutdown: watch::Receiver<bool>, exit_when_idle: bool) {
        self.run_with(shutdown, exit_when_idle, None).await;
    }

    /// [`Runner::run`] for a connection that can be re-established (`dpdaction=restart`):
    /// while `restart`'s hold holds, the loop does not end when the last IKE SA goes, and it
    /// initiates the connections `restart` hands it, answering with the new IKE SA's handle.
    pub async fn run_with(
        &mut self,
        mut shutdown: watch::Receiver<bool>,
        exit_when_idle: bool,
        mut restart: Option<Restart>,
    ) {
        let mut buf_ike = vec![0u8; 65_536];
        let mut buf_natt = vec![0u8; 65_536];
        let mut closing_since: Option<Instant> = None;
        let mut had_sa = self.engine.ike_sa_count() > 0;
        let mut tick = tokio::time::interval(KERNEL_TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // dpdaction=hold: the kernel's ACQUIREs for held policies go to the service.
        let traffic = restart.as_ref().and_then(|r| r.traffic.clone());
        loop {
            for ev in self.kernel.poll_events() {
                tracing::debug!("kernel event: {ev:?}");
                let now = self.now();
                self.engine.handle_kernel_event(now, ev);
            }
            self.flush().await;
            let count = self.engine.ike_sa_count();
            had_sa |= count > 0;
            if let Some(since) = closing_since {
                if count == 0 || since.elapsed() >= CLOSE_GRACE {
                    self.keepalives.log();
                    return;
                }
            } else if exit_when_idle
                && had_sa
                && count == 0
                && !restart.as_ref().is_some_and(|r| r.hold.holding())
            {
                self.keepalives.log();
                return;
            }
            let mut deadline = self.engine.poll_timeout().map(|t| self.instant_of(t));
            // While closing, wake up for the end of the grace period even when the engine
            // has no timer of its own before then.
            if let Some(since) = closing_since {
                let grace = tokio::time::Instant::from_std(since + CLOSE_GRACE);
                deadline = Some(deadline.map_or(grace, |d| d.min(grace)));
            }
            let sleep = async {
                match deadline {
                    Some(d) => tokio::time::sleep_until(d).await,
                    None => std::future::pending::<()>().await,
                }
            };
            let local_ike = self.sockets.engine_addr(false);
            let local_natt = self.sockets.engine_addr(true);
            let waiting_for_address = self.kernel.waiting_for_address();
            let kernel = &mut self.kernel;
            let acquires = std::future::poll_fn(|cx| kernel.poll_acquires(cx));
            let path = &mut self.path;
            let path_changed = async {
                match path {
                    Some(p) => p.changed().await,
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                r = self.sockets.ike.recv_from(&mut buf_ike) => match r {
                    Ok((n, from)) => {
                        let now = self.now();
                        if let Some(data) = buf_ike.get(..n) {
                            self.engine.handle_datagram(now, local_ike, from, data);
                        }
                    }
                    Err(e) => note_recv_error(&e),
                },
                r = self.sockets.natt.recv_from(&mut buf_natt) => match r {
                    Ok((n, from)) => {
                        let now = self.now();
                        if let Some(data) = buf_natt.get(..n) {
                            self.engine.handle_datagram(now, local_natt, from, data);
                        }
                    }
                    Err(e) => note_recv_error(&e),
                },
                () = sleep => {
                    let now = self.now();
                    self.engine.handle_timeout(now);
                }
                _ = tick.tick() => {}
                held = acquires, if traffic.is_some() => {
                    if let Some(tx) = traffic.as_ref() {
                        for a in held {
                            tracing::debug!("ACQUIRE for a held policy (reqid {:#x})", a.reqid);
                            let _ = tx.send(());
                        }
                    }
                }
                () = tokio::time::sleep(ADDRESS_POLL), if waiting_for_address => {}
                () = path_changed => self.follow_path().await,
                req = next_initiate(&mut restart) => {
                    if let Some((mut conn, reply)) = req {
                        let now = self.now();
                        if self.path.is_some() {
                            // From where the path to the gateway starts now.
                            conn.local_addr = Some(self.sockets.local());
                        }
                        let r = self.engine.initiate(now, *conn).map_err(|e| e.to_string());
                        let _ = reply.send(r);
                    } else {
                        restart = None;
                    }
                }
                r = shutdown.changed(), if closing_since.is_none() => {
                    if r.is_err() || *shutdown.borrow() {
                        closing_since = Some(Instant::now());
                        let now = self.now();
                        self.engine.close_all(now);
                    }
                }
            }
        }
    }
}

/// What the kernel backend learns from an engine event before the kernel operations of the
/// same turn: the subnets a gateway pushed (their routes), and that we are behind a NAT
/// towards a peer (its outbound SAs may ask the kernel for the NAT-keepalives).
fn tell_kernel(kernel: &mut dyn Kernel, ev: &Event) {
    match ev {
        Event::ConfigReceived { config, .. } => kernel.pushed_subnets(&config.subnets),
        Event::IkeSaUp {
            remote, nat, encap, ..
        } if *encap && nat.local_behind => kernel.behind_nat(*remote),
        _ => {}
    }
}

/// Who sends a NAT-keepalive the engine asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeepaliveSender {
    /// The kernel already does on this path: the datagram is dropped.
    Kernel,
    /// The service.
    Service,
}

/// Whether `t` is a NAT-keepalive, and who sends it.
fn keepalive_sender(t: &Transmit, kernel: &dyn Kernel) -> Option<KeepaliveSender> {
    if t.local_port != NATT_PORT || !is_nat_keepalive(&t.payload) {
        return None;
    }
    Some(if kernel.kernel_keepalives(t.remote) {
        KeepaliveSender::Kernel
    } else {
        KeepaliveSender::Service
    })
}

/// A request to initiate a connection again, answered with its IKE SA's handle.
pub type InitiateRequest = (
    Box<ConnectionConfig>,
    oneshot::Sender<Result<IkeSaHandle, String>>,
);

/// What a restartable loop needs (see [`Runner::run_with`]).
pub struct Restart {
    /// While it holds, the loop outlives its IKE SAs (and the policies stay, see
    /// [`super::hold`]).
    pub hold: Arc<PolicyHold>,
    /// Connections to initiate.
    pub initiate: mpsc::UnboundedReceiver<InitiateRequest>,
    /// `dpdaction=hold`: told of every ACQUIRE that names a held policy (traffic wants
    /// out), as the kernel backend reports them ([`Kernel::poll_acquires`]).
    pub traffic: Option<mpsc::UnboundedSender<()>>,
}

async fn next_initiate(restart: &mut Option<Restart>) -> Option<InitiateRequest> {
    match restart.as_mut() {
        Some(r) => r.initiate.recv().await,
        None => std::future::pending().await,
    }
}

fn note_recv_error(e: &io::Error) {
    // ICMP errors (port unreachable) surface as ECONNREFUSED on Linux UDP sockets. Anyone can
    // forge one: it decides nothing here (the service weighs those it sees before the IKE SA
    // is up, see service::icmp).
    if e.kind() == io::ErrorKind::ConnectionRefused {
        tracing::debug!("ICMP port unreachable reported on an IKE socket");
    } else {
        tracing::warn!("receive failed: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::record::RecordingKernel;
    use ike_core::crypto::SystemRng;
    use ike_core::engine::{IkeSaHandle, KernelEvent, NatInfo};

    /// A kernel that covers the keepalives of the peers it was told we are behind a NAT
    /// from.
    #[derive(Default)]
    struct Covering {
        behind: Vec<SocketAddr>,
    }

    impl Kernel for Covering {
        fn execute(&mut self, _op: &KernelOp) -> Option<KernelEvent> {
            None
        }
        fn behind_nat(&mut self, peer: SocketAddr) {
            self.behind.push(peer);
        }
        fn kernel_keepalives(&self, peer: SocketAddr) -> bool {
            self.behind.contains(&peer)
        }
    }

    fn peer() -> SocketAddr {
        "192.0.2.2:4500".parse().unwrap()
    }

    fn up(local_behind: bool, encap: bool) -> Event {
        Event::IkeSaUp {
            sa: IkeSaHandle(1),
            name: "c".into(),
            proposal: String::new(),
            local: "198.51.100.2:4500".parse().unwrap(),
            remote: peer(),
            nat: NatInfo {
                local_behind,
                remote_behind: false,
            },
            encap,
            remote_id: String::new(),
        }
    }

    fn keepalive(to: SocketAddr) -> Transmit {
        Transmit {
            local_ip: None,
            local_port: NATT_PORT,
            remote: to,
            payload: vec![0xFF],
        }
    }

    #[test]
    fn keepalives_the_kernel_covers_are_not_sent() {
        let mut k = Covering::default();
        assert_eq!(
            keepalive_sender(&keepalive(peer()), &k),
            Some(KeepaliveSender::Service)
        );
        // Only an encapsulated IKE SA with us behind a NAT tells the kernel.
        tell_kernel(&mut k, &up(false, true));
        tell_kernel(&mut k, &up(true, false));
        assert!(k.behind.is_empty());
        tell_kernel(&mut k, &up(true, true));
        assert_eq!(k.behind, vec![peer()]);
        assert_eq!(
            keepalive_sender(&keepalive(peer()), &k),
            Some(KeepaliveSender::Kernel)
        );
        // Another peer, or not a keepalive: not the kernel's.
        let other: SocketAddr = "192.0.2.3:4500".parse().unwrap();
        assert_eq!(
            keepalive_sender(&keepalive(other), &k),
            Some(KeepaliveSender::Service)
        );
        let mut ike = keepalive(peer());
        ike.payload = vec![0, 0, 0, 0, 1];
        assert_eq!(keepalive_sender(&ike, &k), None);
        let mut on_500 = keepalive(peer());
        on_500.local_port = 500;
        assert_eq!(keepalive_sender(&on_500, &k), None);
    }

    #[test]
    fn backends_without_the_offload_leave_every_keepalive_to_the_service() {
        let mut k = RecordingKernel::new(Box::new(SystemRng::new()));
        tell_kernel(&mut k, &up(true, true));
        assert_eq!(
            keepalive_sender(&keepalive(peer()), &k),
            Some(KeepaliveSender::Service)
        );
    }
}
