//! Engine and connection configuration (typed; the engine never sees settings strings).

use core::time::Duration;
use std::net::{IpAddr, SocketAddr};

use super::identity::{Identity, PeerName};
use super::retransmit::RetransmitConfig;
use super::secret::SecretBytes;
use crate::proposal::Proposal;
use crate::wire::TrafficSelector;

/// How we authenticate ourselves.
#[derive(Debug, Clone)]
pub enum LocalAuth {
    /// Pre-shared key.
    Psk(SecretBytes),
    /// X.509 certificate chain (end entity first, DER) and its PKCS#8 DER private key.
    Certificate {
        /// DER certificates, end entity first.
        chain: Vec<Vec<u8>>,
        /// PKCS#8 DER private key.
        key: SecretBytes,
    },
    /// A user name and password through EAP (RFC 7296 §2.16), initiator only. The peer must
    /// authenticate with its certificate ([`RemoteAuth::Certificate`]).
    Eap(EapCredentials),
}

/// An EAP method (RFC 3748) for user name and password authentication.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EapMethod {
    /// EAP-MSCHAPv2 (type 26): mutual, gives a master session key.
    MsChapV2,
    /// EAP-GTC (type 6): the password (or a one-time code) itself, protected only by the IKE
    /// SA; no master session key.
    Gtc,
    /// EAP-MD5-Challenge (type 4): the server learns nothing but an MD5 of the password and its
    /// challenge; not mutual, no master session key.
    Md5,
}

impl EapMethod {
    /// The EAP type number (RFC 3748 §5, IANA).
    pub fn eap_type(self) -> u8 {
        match self {
            EapMethod::MsChapV2 => 26,
            EapMethod::Gtc => 6,
            EapMethod::Md5 => 4,
        }
    }

    /// The method's name as strongSwan writes it (`eap-mschapv2`, `eap-gtc`, `eap-md5`).
    pub fn name(self) -> &'static str {
        match self {
            EapMethod::MsChapV2 => "eap-mschapv2",
            EapMethod::Gtc => "eap-gtc",
            EapMethod::Md5 => "eap-md5",
        }
    }
}

/// Our EAP identity and password.
#[derive(Debug, Clone)]
pub struct EapCredentials {
    /// The method we answer with (others the gateway proposes are refused with a Nak).
    pub method: EapMethod,
    /// The EAP identity and user name (independent of the IKE identity).
    pub user: String,
    /// The password (or one-time code).
    pub password: SecretBytes,
}

/// The users a responder accepts through EAP.
#[derive(Debug, Clone)]
pub struct EapServer {
    /// The method the responder asks for.
    pub method: EapMethod,
    /// User names and their passwords.
    pub users: Vec<(String, SecretBytes)>,
}

/// How we authenticate the peer.
#[derive(Debug, Clone)]
pub enum RemoteAuth {
    /// Pre-shared key.
    Psk(SecretBytes),
    /// X.509 certificate validated against trust anchors.
    Certificate {
        /// DER trust anchor certificates.
        trust_anchors: Vec<Vec<u8>>,
        /// Require the peer's IKE ID to appear in its certificate (RFC 4945).
        require_id_match: bool,
        /// The name or address the peer's end-entity certificate must prove (a DNS or IP
        /// subjectAltName), checked in addition to the identity checks. An initiator must have
        /// this or a `remote_id`: without either, certificate authentication of the peer fails
        /// (any certificate from a trusted CA would do otherwise).
        peer_name: Option<PeerName>,
        /// Revocation checking of the peer's chain (CRLs).
        revocation: Revocation,
    },
    /// Responder only: initiators authenticate with a user name and password through EAP
    /// (RFC 7296 §2.16); their IKE identity is not authenticated by itself.
    Eap(EapServer),
}

/// How the peer's certificate chain is checked for revocation: certificate revocation lists
/// (RFC 5280 §5) handed in as DER, each checked against its issuer's key and against the wall
/// clock (`Engine::set_wall_clock`). The engine fetches nothing.
#[derive(Debug, Clone, Default)]
pub struct Revocation {
    /// DER CRLs of the trust anchors and of intermediate CAs. Empty: no revocation check.
    pub crls: Vec<Vec<u8>>,
    /// Strict (Libreswan's `crl-strict=yes`): every certificate of the chain below the trust
    /// anchor must be covered by an unexpired CRL of its issuer, or the peer's authentication
    /// fails. Not strict: a missing or expired CRL is reported with
    /// [`Event::RevocationUnchecked`](super::Event::RevocationUnchecked) and the certificate
    /// accepted, unless a CRL, even an expired one, lists it.
    pub strict: bool,
}

/// IPsec mode of a Child SA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Tunnel mode.
    Tunnel,
    /// Transport mode (USE_TRANSPORT_MODE).
    Transport,
}

/// A Child SA to create.
#[derive(Debug, Clone)]
pub struct ChildConfig {
    /// Name (reported in events).
    pub name: String,
    /// Our traffic selectors.
    pub local_ts: Vec<TrafficSelector>,
    /// The peer's traffic selectors.
    pub remote_ts: Vec<TrafficSelector>,
    /// Tunnel or transport.
    pub mode: Mode,
}

/// What the initiator asks for in its configuration payload.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RequestConfig {
    /// Request an IPv4 address.
    pub ipv4: bool,
    /// Request an IPv6 address.
    pub ipv6: bool,
    /// Request DNS servers and domains.
    pub dns: bool,
    /// The IPv4 address we would like (sent as the value of INTERNAL_IP4_ADDRESS, RFC 7296
    /// §3.15.1), e.g. the one we had before reconnecting; the gateway may assign another.
    pub prefer_v4: Option<std::net::Ipv4Addr>,
    /// The IPv6 address we would like (INTERNAL_IP6_ADDRESS with prefix length 128), like
    /// `prefer_v4`.
    pub prefer_v6: Option<std::net::Ipv6Addr>,
}

impl RequestConfig {
    /// Whether anything is requested.
    pub fn any(&self) -> bool {
        self.ipv4 || self.ipv6 || self.dns
    }
}

/// IKE fragmentation policy (RFC 7383).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Fragmentation {
    /// Announce support and fragment large messages if the peer supports it.
    #[default]
    Yes,
    /// Never fragment.
    No,
    /// Fragment even when the peer did not announce support.
    Force,
}

/// A connection we initiate.
#[derive(Debug, Clone)]
pub struct ConnectionConfig {
    /// Connection name.
    pub name: String,
    /// Local address to send from, if fixed.
    pub local_addr: Option<IpAddr>,
    /// Peer address (normally port 500).
    pub remote: SocketAddr,
    /// Our identity.
    pub local_id: Identity,
    /// The identity we require from the peer (any if `None`).
    pub remote_id: Option<Identity>,
    /// How we authenticate.
    pub local_auth: LocalAuth,
    /// How the peer must authenticate.
    pub remote_auth: RemoteAuth,
    /// IKE proposals in preference order.
    pub ike_proposals: Vec<Proposal>,
    /// ESP proposals in preference order (a KE transform means PFS).
    pub esp_proposals: Vec<Proposal>,
    /// Child SAs (the first is created in IKE_AUTH).
    pub children: Vec<ChildConfig>,
    /// Configuration payload request.
    pub request_config: RequestConfig,
    /// IKE SA lifetime (rekey at 90 %).
    pub ike_lifetime: Duration,
    /// Child SA lifetime (kernel hard limit; soft at 90 %).
    pub child_lifetime: Duration,
    /// Child SA traffic limit in bytes, each direction (kernel hard limit; soft at 90 %, which
    /// starts a rekey); 0 = none.
    pub child_max_bytes: u64,
    /// Child SA traffic limit in packets, like `child_max_bytes`; 0 = none.
    pub child_max_packets: u64,
    /// Fragmentation policy.
    pub fragmentation: Fragmentation,
    /// Largest IKE datagram before fragmenting.
    pub fragment_size: usize,
    /// Force UDP encapsulation (fake NAT detection).
    pub force_encap: bool,
    /// Send liveness checks when idle this long.
    pub dpd_delay: Option<Duration>,
    /// How long a liveness check may go unanswered before the peer counts as dead
    /// ([`Failure::PeerDead`](super::Failure::PeerDead)); the check is retransmitted on its own
    /// schedule within this time. `None`: the normal retransmission schedule decides.
    pub dpd_timeout: Option<Duration>,
    /// Behind a NAT, send a NAT-keepalive (RFC 3948 §2.3) after this long without a datagram
    /// sent to the peer on port 4500; `None`: never.
    pub nat_keepalive: Option<Duration>,
    /// Rekey the IKE SA and Child SAs before their lifetimes end. When false, an SA that
    /// reaches its lifetime goes away (the IKE SA with
    /// [`Failure::IkeLifetimeExpired`](super::Failure::IkeLifetimeExpired)).
    pub rekey: bool,
    /// Never use UDP encapsulation: a NAT detected on the path fails the IKE SA with
    /// [`Failure::NatWithoutEncapsulation`](super::Failure::NatWithoutEncapsulation) rather
    /// than moving to port 4500.
    pub no_encap: bool,
    /// Retransmission schedule.
    pub retransmit: RetransmitConfig,
    /// Accept narrowed traffic selectors from the responder.
    pub narrowing: bool,
    /// Use IKEv1 (Main Mode with a pre-shared key, then Quick Mode) instead of IKEv2.
    pub ikev1: bool,
    /// Offer MOBIKE (RFC 4555: MOBIKE_SUPPORTED in IKE_AUTH). When the responder supports it
    /// too, `Engine::update_path` moves the IKE SA and its Child SAs to a new local address
    /// with UPDATE_SA_ADDRESSES; otherwise a path change needs a new IKE SA.
    pub mobike: bool,
}

impl ConnectionConfig {
    /// A connection with defaults (no proposals set: use the proposal module's defaults).
    pub fn new(
        name: impl Into<String>,
        remote: SocketAddr,
        local_id: Identity,
        local_auth: LocalAuth,
        remote_auth: RemoteAuth,
    ) -> Self {
        ConnectionConfig {
            name: name.into(),
            local_addr: None,
            remote,
            local_id,
            remote_id: None,
            local_auth,
            remote_auth,
            ike_proposals: Vec::new(),
            esp_proposals: Vec::new(),
            children: Vec::new(),
            request_config: RequestConfig::default(),
            ike_lifetime: Duration::from_secs(28800),
            child_lifetime: Duration::from_secs(3600),
            child_max_bytes: 0,
            child_max_packets: 0,
            fragmentation: Fragmentation::Yes,
            fragment_size: 1280,
            force_encap: false,
            dpd_delay: None,
            dpd_timeout: None,
            nat_keepalive: Some(Duration::from_secs(20)),
            rekey: true,
            no_encap: false,
            retransmit: RetransmitConfig::default(),
            narrowing: true,
            ikev1: false,
            mobike: false,
        }
    }
}

/// An address pool served to initiators (INTERNAL_IP4/6_ADDRESS).
///
/// The engine leases its addresses through [`crate::ts::AddressPool`]'s allocator: one per
/// IKE SA, never one that is leased to another live IKE SA, returned when the IKE SA goes.
/// Addresses that are the network or broadcast address of `addr/prefix` (IPv4 prefixes up to
/// /30; the subnet-router anycast address for IPv6 prefixes up to /126) are never handed out,
/// and a pool given as a prefix (`10.3.0.0/24`) already leaves those out. An exhausted pool
/// refuses the Child SA with INTERNAL_ADDRESS_FAILURE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressPool {
    /// The addresses handed out (a range or the usable addresses of a prefix).
    pub range: crate::ts::AddressPool,
    /// Prefix length reported with each address.
    pub prefix: u8,
}

impl AddressPool {
    /// A pool from `10.3.0.0/24`, `10.3.0.10-10.3.0.99` or a single address, each address
    /// reported as a host (/32, /128).
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] for anything else.
    pub fn parse(s: &str) -> Result<Self, ConfigError> {
        let range: crate::ts::AddressPool = s
            .parse()
            .map_err(|e| ConfigError::Invalid(format!("address pool: {e}")))?;
        let prefix = if range.start().is_ipv4() { 32 } else { 128 };
        Ok(AddressPool { range, prefix })
    }
}

/// What the responder serves through the configuration payload.
#[derive(Debug, Clone, Default)]
pub struct ServeConfig {
    /// IPv4 pool.
    pub pool_v4: Option<AddressPool>,
    /// IPv6 pool.
    pub pool_v6: Option<AddressPool>,
    /// DNS servers.
    pub dns: Vec<IpAddr>,
    /// DNS search domains (RFC 8598).
    pub domains: Vec<String>,
    /// Protected subnets announced (INTERNAL_IP4/6_SUBNET).
    pub subnets: Vec<(IpAddr, u8)>,
}

/// A connection we accept as responder.
#[derive(Debug, Clone)]
pub struct ResponderConfig {
    /// Connection name.
    pub name: String,
    /// Our identity.
    pub local_id: Identity,
    /// The identity we require from initiators (any if `None`).
    pub remote_id: Option<Identity>,
    /// How we authenticate.
    pub local_auth: LocalAuth,
    /// How initiators must authenticate.
    pub remote_auth: RemoteAuth,
    /// Acceptable IKE proposals.
    pub ike_proposals: Vec<Proposal>,
    /// Acceptable ESP proposals.
    pub esp_proposals: Vec<Proposal>,
    /// Our traffic selectors.
    pub local_ts: Vec<TrafficSelector>,
    /// Acceptable initiator traffic selectors (narrowed to these).
    pub remote_ts: Vec<TrafficSelector>,
    /// Modes we accept.
    pub allow_transport: bool,
    /// Configuration served to initiators.
    pub serve: ServeConfig,
    /// IKE SA lifetime.
    pub ike_lifetime: Duration,
    /// Child SA lifetime.
    pub child_lifetime: Duration,
    /// Fragmentation policy.
    pub fragmentation: Fragmentation,
    /// Largest IKE datagram before fragmenting.
    pub fragment_size: usize,
    /// Send liveness checks when idle this long.
    pub dpd_delay: Option<Duration>,
    /// Retransmission schedule for requests we send.
    pub retransmit: RetransmitConfig,
    /// Ask initiators to reauthenticate within this time (RFC 4478: AUTH_LIFETIME in the
    /// IKE_AUTH response, whole seconds). An IKE SA that is not replaced by a new one by
    /// then plus a grace of a tenth of it (10 s to 5 min) is deleted with
    /// [`Failure::AuthLifetimeExpired`](super::Failure::AuthLifetimeExpired). `None`: no
    /// authentication lifetime.
    pub auth_lifetime: Option<Duration>,
    /// Answer MOBIKE_SUPPORTED (RFC 4555) and follow an initiator's UPDATE_SA_ADDRESSES.
    pub mobike: bool,
}

/// Global engine configuration.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Connections accepted as responder (matched by the initiator's ID, first match wins).
    pub responders: Vec<ResponderConfig>,
    /// First reqid used for kernel SAs/policies.
    pub reqid_base: u32,
    /// Half-open IKE SAs from which on the responder demands a COOKIE.
    pub cookie_threshold: usize,
    /// Most half-open IKE SAs kept (further IKE_SA_INIT requests are dropped).
    pub max_half_open: usize,
    /// Half-open IKE SAs are dropped after this long.
    pub half_open_timeout: Duration,
    /// Most IKE SAs in total.
    pub max_ike_sas: usize,
    /// ESP replay window (default 128 packets, as Libreswan: 32 drops legitimate packets once
    /// multi-queue NICs or parallel crypto reorder an SA's packets).
    pub replay_window: u32,
    /// Unix time (seconds) at engine [`Time`](super::Time) zero, used to check certificate
    /// validity as `wall_clock_at_zero + now`. The engine reads no clock of its own: a driver
    /// sets it here or through `Engine::set_wall_clock` (which also follows clock steps and
    /// suspend). `None`: no wall clock, so a peer's certificate cannot be checked and
    /// certificate authentication fails (a local fault, [`Failure::Local`](super::Failure)).
    pub wall_clock_at_zero: Option<u64>,
    /// Announce RFC 7427 signature authentication (SIGNATURE_HASH_ALGORITHMS). Without it the
    /// peer signs with the classic methods (RSA PKCS#1 v1.5, RFC 4754 ECDSA).
    pub send_signature_hashes: bool,
    /// Sign with RSASSA-PSS rather than PKCS#1 v1.5 when our key is RSA.
    pub prefer_rsa_pss: bool,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            responders: Vec::new(),
            reqid_base: 0x4e4d_0000,
            cookie_threshold: 30,
            max_half_open: 1000,
            half_open_timeout: Duration::from_secs(30),
            max_ike_sas: 10_000,
            replay_window: 128,
            wall_clock_at_zero: None,
            send_signature_hashes: true,
            prefer_rsa_pss: false,
        }
    }
}

/// A configuration the engine cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// No IKE proposals and no defaults.
    #[error("no IKE proposals")]
    NoIkeProposals,
    /// No ESP proposals and no defaults.
    #[error("no ESP proposals")]
    NoEspProposals,
    /// A certificate or key could not be used.
    #[error("bad credential: {0}")]
    BadCredential(String),
    /// Too many IKE SAs.
    #[error("too many IKE SAs")]
    TooManySas,
    /// Something else.
    #[error("invalid configuration: {0}")]
    Invalid(String),
    /// Not the configuration: a fault of ours (the random generator, a crypto operation)
    /// while starting.
    #[error("{fault}: {detail}")]
    Local {
        /// Which part of ours failed.
        fault: super::failure::LocalFault,
        /// What failed.
        detail: String,
    },
}

/// Decodes every `CERTIFICATE` block of PEM text into DER (trust anchors, certificate chains;
/// other blocks such as keys are skipped).
///
/// # Errors
/// [`ConfigError::BadCredential`] for malformed PEM or when no certificate is found.
pub fn load_pem_certs(text: &str) -> Result<Vec<Vec<u8>>, ConfigError> {
    let out = pem_blocks(text, &["CERTIFICATE", "X509 CERTIFICATE"])?;
    if out.is_empty() {
        return Err(ConfigError::BadCredential(
            "no certificate in the PEM text".into(),
        ));
    }
    Ok(out)
}

/// Decodes every `X509 CRL` block of PEM text into DER (certificate revocation lists; other
/// blocks are skipped).
///
/// # Errors
/// [`ConfigError::BadCredential`] for malformed PEM or when no CRL is found.
pub fn load_pem_crls(text: &str) -> Result<Vec<Vec<u8>>, ConfigError> {
    let out = pem_blocks(text, &["X509 CRL"])?;
    if out.is_empty() {
        return Err(ConfigError::BadCredential("no CRL in the PEM text".into()));
    }
    Ok(out)
}

/// The DER of every PEM block of `text` whose label is one of `labels`.
fn pem_blocks(text: &str, labels: &[&str]) -> Result<Vec<Vec<u8>>, ConfigError> {
    const BEGIN: &str = "-----BEGIN ";
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find(BEGIN) {
        let block_text = rest.get(i..).unwrap_or_default();
        let block = crate::crypto::pem::pem_to_der(block_text)
            .map_err(|e| ConfigError::BadCredential(format!("PEM: {e}")))?;
        let end_marker = format!("-----END {}-----", block.label);
        let end = block_text
            .find(&end_marker)
            .ok_or_else(|| ConfigError::BadCredential("PEM: no END line".into()))?;
        if labels.contains(&block.label.as_str()) {
            out.push(block.der.to_vec());
        }
        rest = block_text.get(end + end_marker.len()..).unwrap_or_default();
    }
    Ok(out)
}
