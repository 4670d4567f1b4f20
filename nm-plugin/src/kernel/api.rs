//! What the driver asks of a kernel backend: the [`Kernel`] trait, the SAs it installed and
//! their traffic counters, and the status lines that report them.

use super::acquire::Acquire;
use ike_core::engine::{Direction, KernelEvent, KernelOp};
use std::net::{IpAddr, SocketAddr};
use std::task::{Context, Poll};

/// Something that executes kernel operations.
pub trait Kernel: Send {
    /// Executes one operation. Returns the event to feed back to the engine, if any
    /// (an allocated SPI, or a failure).
    fn execute(&mut self, op: &KernelOp) -> Option<KernelEvent>;

    /// Events the kernel reported on its own since the last call (SA soft/hard expiry).
    /// Call it regularly (e.g. on every loop turn); backends without events return nothing.
    fn poll_events(&mut self) -> Vec<KernelEvent> {
        Vec::new()
    }

    /// Removes everything this backend installed (disconnect, SIGTERM/SIGINT). Called once
    /// after the engine closed its SAs; deleting what is already gone is not an error.
    fn cleanup(&mut self) {}

    /// Byte and packet counters of the SAs installed now (empty for backends without a data
    /// plane).
    fn counters(&mut self) -> Vec<SaCounters> {
        Vec::new()
    }

    /// True while a route waits for its source address (the virtual address NetworkManager
    /// is adding): the driver then calls [`Kernel::poll_events`] every few milliseconds, so
    /// the real route replaces the blackhole as soon as the address is there.
    fn waiting_for_address(&self) -> bool {
        false
    }

    /// The subnets the gateway pushed in its configuration payload (INTERNAL_IP4_SUBNET /
    /// INTERNAL_IP6_SUBNET), given before the Child SA's policies are installed: a backend
    /// that routes and allows split include routes only those inside the negotiated remote
    /// networks (see [`super::split`]). Backends without routes ignore it.
    fn pushed_subnets(&mut self, _subnets: &[(IpAddr, u8)]) {}

    /// The tunnel device of a route-based connection (name, MTU); `None` for policy-based.
    fn tunnel_device(&self) -> Option<(String, u32)> {
        None
    }

    /// `dpdaction=hold`: the kernel's ACQUIREs for policies of ours queued since the last
    /// call (see [`super::acquire`]), or `Pending` (the task is woken when more are queued).
    /// Backends that do not watch for them are always `Pending`.
    fn poll_acquires(&mut self, _cx: &mut Context<'_>) -> Poll<Vec<Acquire>> {
        Poll::Pending
    }

    /// Removes the larval SAs (SPI 0) the kernel created for ACQUIREs of our policies, so
    /// that the next packet is reported again and nothing of ours lingers.
    fn remove_larvals(&mut self) {}

    /// We are behind a NAT towards `peer` (an IKE SA came up UDP-encapsulated with
    /// `peer` as its remote endpoint), given before its Child SAs are installed: a backend
    /// that can asks the kernel to send the NAT-keepalives of the outbound SAs to it (see
    /// [`super::keepalive`]). Backends without a data plane ignore it.
    fn behind_nat(&mut self, _peer: SocketAddr) {}

    /// Whether the kernel sends the NAT-keepalives to `peer` (an outbound SA to it carries
    /// the interval): the driver then does not send the engine's.
    fn kernel_keepalives(&self, _peer: SocketAddr) -> bool {
        false
    }
}

/// An SA we installed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SaKey {
    /// SPI.
    pub spi: u32,
    /// Outer source.
    pub src: IpAddr,
    /// Outer destination.
    pub dst: IpAddr,
    /// In or out.
    pub direction: Direction,
}

/// Bytes and packets of one SA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SaCounters {
    /// The SA.
    pub sa: SaKey,
    /// Bytes processed (inner payload, as the kernel counts).
    pub bytes: u64,
    /// Packets processed.
    pub packets: u64,
}

/// Logs the byte and packet counters of every SA the kernel backend still holds (status output
/// at the end of a connection; the XFRM backend also logs each SA's totals when it deletes it).
pub fn log_counters(kernel: &mut dyn Kernel) {
    for c in kernel.counters() {
        log_sa_counters(&c);
    }
}

/// Logs one SA's counters.
pub fn log_sa_counters(c: &SaCounters) {
    tracing::info!(
        "traffic through IPsec SA 0x{:08x} ({}, {} -> {}): {} bytes, {} packets",
        c.sa.spi,
        if c.sa.direction == Direction::In {
            "inbound"
        } else {
            "outbound"
        },
        c.sa.src,
        c.sa.dst,
        c.bytes,
        c.packets
    );
}
