//! Outputs of the engine (datagrams, kernel operations, events) and kernel events fed back.

use std::net::{IpAddr, SocketAddr};

use super::config::Mode;
use super::failure::Failure;
use super::secret::SecretBytes;
use crate::wire::TrafficSelector;

/// Handle of an IKE SA inside one engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IkeSaHandle(pub u64);

/// Identifies a kernel request so its answer or failure can be matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KernelRequest(pub u64);

/// A datagram to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// Local address to send from (`None`: let the routing decide).
    pub local_ip: Option<IpAddr>,
    /// Local UDP port (500 or 4500).
    pub local_port: u16,
    /// Destination.
    pub remote: SocketAddr,
    /// UDP payload; on port 4500 it starts with the non-ESP marker, except for a
    /// NAT-keepalive (RFC 3948 §2.3), whose payload is the single octet 0xFF.
    pub payload: Vec<u8>,
}

/// Direction of an SA or policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Inbound.
    In,
    /// Outbound.
    Out,
    /// Forward (policies only).
    Fwd,
}

/// UDP encapsulation ports of an ESP SA (RFC 3948).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UdpEncap {
    /// Source port of the encapsulated packets.
    pub sport: u16,
    /// Destination port of the encapsulated packets.
    pub dport: u16,
}

/// ESP algorithms and keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EspCipher {
    /// An AEAD (AES-GCM, ChaCha20-Poly1305); the key includes the salt.
    Aead {
        /// IANA transform id.
        transform_id: u16,
        /// Key followed by the 4-byte salt.
        key: SecretBytes,
        /// ICV length in bits.
        icv_bits: u32,
    },
    /// Separate encryption and integrity.
    Separate {
        /// IANA ENCR transform id.
        encr_id: u16,
        /// Encryption key.
        encr_key: SecretBytes,
        /// IANA INTEG transform id.
        integ_id: u16,
        /// Integrity key.
        integ_key: SecretBytes,
        /// Truncation length in bits.
        trunc_bits: u32,
    },
}

/// Lifetime limits of an SA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Lifetime {
    /// Soft limit in seconds (0: none).
    pub soft_secs: u64,
    /// Hard limit in seconds (0: none).
    pub hard_secs: u64,
    /// Soft limit in bytes (0: none).
    pub soft_bytes: u64,
    /// Hard limit in bytes (0: none).
    pub hard_bytes: u64,
    /// Soft limit in packets (0: none).
    pub soft_packets: u64,
    /// Hard limit in packets (0: none).
    pub hard_packets: u64,
}

/// A kernel operation to execute, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KernelOp {
    /// Allocate an inbound ESP SPI; answer with [`KernelEvent::SpiAllocated`].
    AllocateSpi {
        /// Request id to answer with.
        request: KernelRequest,
        /// Peer address (source of inbound packets).
        src: IpAddr,
        /// Our address.
        dst: IpAddr,
    },
    /// Install an ESP SA.
    InstallSa {
        /// Request id (for [`KernelEvent::OpFailed`]).
        request: KernelRequest,
        /// Reqid linking SAs and policies.
        reqid: u32,
        /// ESP SPI.
        spi: u32,
        /// In or Out.
        direction: Direction,
        /// Outer source address.
        src: IpAddr,
        /// Outer destination address.
        dst: IpAddr,
        /// Tunnel or transport.
        mode: Mode,
        /// UDP encapsulation ports when NAT-T is in use.
        encap: Option<UdpEncap>,
        /// Algorithms and keys.
        cipher: EspCipher,
        /// Extended sequence numbers.
        esn: bool,
        /// Replay window size.
        replay_window: u32,
        /// Lifetimes.
        lifetime: Lifetime,
        /// Traffic selectors (source, destination) restricting the SA (transport mode).
        selector: Option<(TrafficSelector, TrafficSelector)>,
    },
    /// Delete an ESP SA.
    DeleteSa {
        /// Request id.
        request: KernelRequest,
        /// ESP SPI.
        spi: u32,
        /// Outer destination address.
        dst: IpAddr,
        /// Outer source address.
        src: IpAddr,
    },
    /// Install an IPsec policy.
    InstallPolicy {
        /// Request id.
        request: KernelRequest,
        /// Reqid of the SAs to use.
        reqid: u32,
        /// In, Out or Fwd.
        dir: Direction,
        /// Source selector.
        src_ts: TrafficSelector,
        /// Destination selector.
        dst_ts: TrafficSelector,
        /// Template outer source address.
        tmpl_src: IpAddr,
        /// Template outer destination address.
        tmpl_dst: IpAddr,
        /// Tunnel or transport.
        mode: Mode,
    },
    /// Move a Child SA's inbound and outbound SA and its policies to new outer addresses and
    /// UDP encapsulation, keeping SPIs, keys and sequence numbers (MOBIKE, RFC 4555; a NAT
    /// mapping change, RFC 7296 §2.23). On Linux: XFRM_MSG_MIGRATE, per policy direction.
    /// Encapsulation is only ever added or changed, never removed (an IKE SA that once used
    /// UDP encapsulation keeps it).
    MigrateSa {
        /// Request id (for [`KernelEvent::OpFailed`]).
        request: KernelRequest,
        /// Reqid of the SAs and policies.
        reqid: u32,
        /// Inbound ESP SPI.
        spi_in: u32,
        /// Outbound ESP SPI.
        spi_out: u32,
        /// Tunnel or transport.
        mode: Mode,
        /// Our traffic selectors (the policies' local side).
        local_ts: Vec<TrafficSelector>,
        /// The peer's traffic selectors.
        remote_ts: Vec<TrafficSelector>,
        /// Our outer address before the move.
        old_local: IpAddr,
        /// The peer's outer address before the move.
        old_remote: IpAddr,
        /// Our outer address after the move.
        new_local: IpAddr,
        /// The peer's outer address after the move.
        new_remote: IpAddr,
        /// The outbound SA's UDP encapsulation after the move (the inbound SA's is the
        /// reverse: source and destination ports swapped).
        encap: Option<UdpEncap>,
    },
    /// Delete an IPsec policy.
    DeletePolicy {
        /// Request id.
        request: KernelRequest,
        /// Reqid.
        reqid: u32,
        /// Direction.
        dir: Direction,
        /// Source selector.
        src_ts: TrafficSelector,
        /// Destination selector.
        dst_ts: TrafficSelector,
    },
}

/// A kernel event fed back to the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KernelEvent {
    /// Answer to [`KernelOp::AllocateSpi`].
    SpiAllocated {
        /// The request answered.
        request: KernelRequest,
        /// The allocated inbound SPI.
        spi: u32,
    },
    /// An SA reached a lifetime limit.
    SaExpired {
        /// ESP SPI of the SA.
        spi: u32,
        /// Hard (SA is gone) or soft (time to rekey).
        hard: bool,
    },
    /// A kernel operation failed.
    OpFailed {
        /// The failed request.
        request: KernelRequest,
        /// Error text.
        error: String,
    },
}

/// NAT detection results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NatInfo {
    /// We are behind a NAT (or pretend to be, with forced encapsulation).
    pub local_behind: bool,
    /// The peer is behind a NAT.
    pub remote_behind: bool,
}

/// An address assigned through the configuration payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AssignedAddress {
    /// The address.
    pub addr: IpAddr,
    /// Its prefix length.
    pub prefix: u8,
}

/// Configuration received from the responder.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReceivedConfig {
    /// Assigned IPv4 addresses.
    pub addresses_v4: Vec<AssignedAddress>,
    /// Assigned IPv6 addresses.
    pub addresses_v6: Vec<AssignedAddress>,
    /// IPv4 DNS servers.
    pub dns_v4: Vec<IpAddr>,
    /// IPv6 DNS servers.
    pub dns_v6: Vec<IpAddr>,
    /// DNS domains (RFC 8598).
    pub domains: Vec<String>,
    /// Protected subnets.
    pub subnets: Vec<(IpAddr, u8)>,
}

/// Why an IKE SA went down.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DownReason {
    /// We closed it.
    Closed,
    /// The peer deleted it.
    DeletedByPeer,
    /// It was replaced by a rekeyed IKE SA.
    Rekeyed,
    /// A failure.
    Failed(Failure),
}

/// An event for the driver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The IKE SA is established.
    IkeSaUp {
        /// The SA.
        sa: IkeSaHandle,
        /// Connection name.
        name: String,
        /// The chosen IKE proposal, human-readable.
        proposal: String,
        /// Local endpoint.
        local: SocketAddr,
        /// Remote endpoint.
        remote: SocketAddr,
        /// NAT detection.
        nat: NatInfo,
        /// UDP encapsulation (port 4500) in use.
        encap: bool,
        /// The peer's authenticated identity.
        remote_id: String,
    },
    /// A Child SA is established (after its kernel SAs and policies were emitted).
    ChildSaUp {
        /// The IKE SA.
        sa: IkeSaHandle,
        /// Child SA name.
        child: String,
        /// Chosen ESP proposal, human-readable.
        proposal: String,
        /// Our traffic selectors.
        local_ts: Vec<TrafficSelector>,
        /// The peer's traffic selectors.
        remote_ts: Vec<TrafficSelector>,
        /// Inbound SPI.
        spi_in: u32,
        /// Outbound SPI.
        spi_out: u32,
        /// Mode.
        mode: Mode,
        /// UDP encapsulation.
        udp_encap: Option<UdpEncap>,
    },
    /// Configuration received through the configuration payload.
    ConfigReceived {
        /// The IKE SA.
        sa: IkeSaHandle,
        /// The configuration.
        config: ReceivedConfig,
    },
    /// The IKE SA was rekeyed: it switched to new SPIs and keys in place, keeping its handle,
    /// its configuration and its Child SAs (the old IKE SA is deleted by the initiator of the
    /// rekey). Emitted once per rekey, also when both ends rekeyed at once (RFC 7296 §2.8.2).
    IkeSaRekeyed {
        /// The SA (the same handle as before).
        sa: IkeSaHandle,
        /// The new IKE SA's initiator SPI.
        spi_i: [u8; 8],
        /// The new IKE SA's responder SPI.
        spi_r: [u8; 8],
        /// Whether the exchange that created the new IKE SA was ours (we are its initiator).
        initiator: bool,
        /// Whether we saw both ends rekey the IKE SA at once (the peer's request arrived while
        /// ours was in flight): both exchanges completed (or ours failed) and the nonces
        /// decided which new IKE SA stays; the other one is deleted. When the peer's request
        /// arrives only after our own rekey was answered, the peer sees the collision and we
        /// a plain rekey.
        collision: bool,
    },
    /// The IKE SA was reauthenticated (RFC 7296 §2.8.3, asked for by the peer's AUTH_LIFETIME,
    /// RFC 4478): a new IKE SA was set up with IKE_SA_INIT and IKE_AUTH, its Child SA
    /// installed, then the old IKE SA deleted (make-before-break). The new IKE SA takes over
    /// the handle, so this is the same connection; [`Event::ChildSaUp`] for the new Child SAs
    /// and [`Event::ChildSaDown`] with `rekeyed: true` for the old ones follow, with the same
    /// handle. The virtual addresses stay the same (otherwise the reauthentication fails).
    IkeSaReauthenticated {
        /// The SA (the same handle as before).
        sa: IkeSaHandle,
        /// The old IKE SA's SPIs (initiator's, responder's), deleted now.
        old_spis: ([u8; 8], [u8; 8]),
        /// The new IKE SA's SPIs.
        spis: ([u8; 8], [u8; 8]),
        /// The new IKE SA's proposal, human-readable.
        proposal: String,
    },
    /// The IKE SA and its Child SAs moved to new addresses or ports (MOBIKE's
    /// UPDATE_SA_ADDRESSES, RFC 4555, either side; or the peer's NAT mapping changed): the
    /// kernel SAs were moved ([`KernelOp::MigrateSa`]) without a new IKE SA; SPIs, virtual
    /// addresses and configuration stay.
    IkeSaMoved {
        /// The SA.
        sa: IkeSaHandle,
        /// Our endpoint now.
        local: SocketAddr,
        /// The peer's endpoint now.
        remote: SocketAddr,
        /// NAT detection on the new path.
        nat: NatInfo,
        /// UDP encapsulation of ESP in use.
        encap: bool,
    },
    /// A Child SA was removed.
    ChildSaDown {
        /// The IKE SA.
        sa: IkeSaHandle,
        /// Child SA name.
        child: String,
        /// Inbound SPI.
        spi_in: u32,
        /// Whether it was replaced by a rekeyed Child SA.
        rekeyed: bool,
    },
    /// The IKE SA is gone.
    IkeSaDown {
        /// The SA.
        sa: IkeSaHandle,
        /// Why.
        reason: DownReason,
    },
    /// The IKE SA (or its establishment) failed and goes away: an [`Event::IkeSaDown`] for
    /// the same SA follows (or, for a responder's IKE_SA_INIT that matched no configuration,
    /// the handle was never used for an SA). Drivers treat this as the end of the connection.
    Failed {
        /// The SA.
        sa: IkeSaHandle,
        /// What.
        failure: Failure,
    },
    /// An exchange on an established IKE SA failed; the IKE SA and its Child SAs stay.
    ///
    /// Emitted for refused or failed Child SA rekeys (either direction: the old Child SA
    /// stays until its hard lifetime, and the engine retries the rekey a bounded number of
    /// times before then), refused IKE SA rekeys (the IKE SA stays until its hard lifetime),
    /// Child SAs refused in IKE_AUTH by the responder and refused additional Child SAs. The
    /// failure names the refused proposal where one was involved. Not fatal: drivers log it
    /// and keep the connection.
    ExchangeFailed {
        /// The SA.
        sa: IkeSaHandle,
        /// What failed.
        failure: Failure,
    },
    /// The peer's certificate was accepted although its revocation could not be checked
    /// completely (a CRL was missing or expired, [`Revocation::strict`](super::Revocation)
    /// off): emitted before [`Event::IkeSaUp`]. Not fatal: drivers log it as a warning.
    RevocationUnchecked {
        /// The SA.
        sa: IkeSaHandle,
        /// What could not be checked, and why.
        detail: String,
    },
}

impl Event {
    /// The IKE SA the event is about.
    pub fn sa(&self) -> IkeSaHandle {
        match self {
            Event::IkeSaUp { sa, .. }
            | Event::ChildSaUp { sa, .. }
            | Event::ConfigReceived { sa, .. }
            | Event::IkeSaRekeyed { sa, .. }
            | Event::IkeSaReauthenticated { sa, .. }
            | Event::IkeSaMoved { sa, .. }
            | Event::ChildSaDown { sa, .. }
            | Event::IkeSaDown { sa, .. }
            | Event::Failed { sa, .. }
            | Event::ExchangeFailed { sa, .. }
            | Event::RevocationUnchecked { sa, .. } => *sa,
        }
    }
}

/// What [`Engine::update_path`](crate::engine::Engine::update_path) did with a new local
/// address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathUpdate {
    /// MOBIKE is in use: UPDATE_SA_ADDRESSES is (or will be, after the request in flight) on
    /// its way; [`Event::IkeSaMoved`] follows once the peer answered, [`Event::Failed`] if it
    /// does not.
    Updating,
    /// The IKE SA already uses that address: nothing to do.
    Unchanged,
    /// MOBIKE was not negotiated (we did not offer it, or the peer did not support it): the
    /// IKE SA cannot move. It failed with [`Failure::PathChanged`] and is being deleted
    /// (a Delete from the new address); a new IKE SA is needed.
    NotSupported,
    /// No established IKE SA with that handle.
    NotEstablished,
}
