//! The configuration an IKE SA runs with, whichever side started it.

use core::time::Duration;

use crate::api::{
    ConnectionConfig, Fragmentation, Identity, LocalAuth, Mode, RemoteAuth, RequestConfig,
    ResponderConfig, RetransmitConfig, ServeConfig,
};
use crate::proposal::Proposal;
use crate::wire::TrafficSelector;

/// Common view of [`ConnectionConfig`] and [`ResponderConfig`].
#[derive(Debug, Clone)]
pub(crate) struct Profile {
    pub name: String,
    pub local_id: Identity,
    pub remote_id: Option<Identity>,
    pub local_auth: LocalAuth,
    pub remote_auth: RemoteAuth,
    pub ike_proposals: Vec<Proposal>,
    pub esp_proposals: Vec<Proposal>,
    pub local_ts: Vec<TrafficSelector>,
    pub remote_ts: Vec<TrafficSelector>,
    pub child_name: String,
    pub mode: Mode,
    pub allow_transport: bool,
    pub request: RequestConfig,
    pub serve: ServeConfig,
    pub ike_lifetime: Duration,
    pub child_lifetime: Duration,
    pub child_max_bytes: u64,
    pub child_max_packets: u64,
    pub fragmentation: Fragmentation,
    pub fragment_size: usize,
    pub force_encap: bool,
    pub dpd_delay: Option<Duration>,
    /// How long a liveness check may go unanswered (`None`: the retransmission schedule).
    pub dpd_timeout: Option<Duration>,
    /// Idle time after which a NAT-keepalive is sent when we are behind a NAT.
    pub nat_keepalive: Option<Duration>,
    /// Whether we rekey our SAs before their lifetimes end.
    pub rekey: bool,
    /// A NAT on the path fails the IKE SA instead of moving to port 4500.
    pub no_encap: bool,
    pub retransmit: RetransmitConfig,
    pub narrowing: bool,
    /// Responder: the AUTH_LIFETIME (RFC 4478) sent to initiators.
    pub auth_lifetime: Option<Duration>,
    /// MOBIKE (RFC 4555) offered (initiator) or accepted (responder).
    pub mobike: bool,
}

/// The responder's NAT-keepalive interval (our own connections configure theirs).
pub(crate) const RESPONDER_NAT_KEEPALIVE: Duration = Duration::from_secs(20);

/// Hard limits of a Child SA (0 = none); soft limits are derived at install.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ChildLimits {
    pub secs: u64,
    pub bytes: u64,
    pub packets: u64,
}

impl Profile {
    /// The kernel limits of this profile's Child SAs.
    pub fn child_limits(&self) -> ChildLimits {
        ChildLimits {
            secs: self.child_lifetime.as_secs(),
            bytes: self.child_max_bytes,
            packets: self.child_max_packets,
        }
    }

    /// The profile of a connection we initiate.
    pub fn from_initiator(c: &ConnectionConfig) -> Self {
        let child = c.children.first();
        Profile {
            name: c.name.clone(),
            local_id: c.local_id.clone(),
            remote_id: c.remote_id.clone(),
            local_auth: c.local_auth.clone(),
            remote_auth: c.remote_auth.clone(),
            ike_proposals: c.ike_proposals.clone(),
            esp_proposals: c.esp_proposals.clone(),
            local_ts: child.map(|c| c.local_ts.clone()).unwrap_or_default(),
            remote_ts: child.map(|c| c.remote_ts.clone()).unwrap_or_default(),
            child_name: child
                .map(|c| c.name.clone())
                .unwrap_or_else(|| c.name.clone()),
            mode: child.map_or(Mode::Tunnel, |c| c.mode),
            allow_transport: child.is_some_and(|c| c.mode == Mode::Transport),
            request: c.request_config,
            serve: ServeConfig::default(),
            ike_lifetime: c.ike_lifetime,
            child_lifetime: c.child_lifetime,
            child_max_bytes: c.child_max_bytes,
            child_max_packets: c.child_max_packets,
            fragmentation: c.fragmentation,
            fragment_size: c.fragment_size,
            force_encap: c.force_encap,
            dpd_delay: c.dpd_delay,
            dpd_timeout: c.dpd_timeout,
            nat_keepalive: c.nat_keepalive,
            rekey: c.rekey,
            no_encap: c.no_encap,
            retransmit: c.retransmit,
            narrowing: c.narrowing,
            auth_lifetime: None,
            mobike: c.mobike,
        }
    }

    /// The profile of an IKE SA a peer started with us: the responder configuration, and
    /// for what it does not say, keepalives every 20 s behind a NAT, rekeying on, no
    /// `dpd_timeout` and UDP encapsulation allowed.
    pub fn from_responder(c: &ResponderConfig) -> Self {
        Profile {
            name: c.name.clone(),
            local_id: c.local_id.clone(),
            remote_id: c.remote_id.clone(),
            local_auth: c.local_auth.clone(),
            remote_auth: c.remote_auth.clone(),
            ike_proposals: c.ike_proposals.clone(),
            esp_proposals: c.esp_proposals.clone(),
            local_ts: c.local_ts.clone(),
            remote_ts: c.remote_ts.clone(),
            child_name: c.name.clone(),
            mode: Mode::Tunnel,
            allow_transport: c.allow_transport,
            request: RequestConfig::default(),
            serve: c.serve.clone(),
            ike_lifetime: c.ike_lifetime,
            child_lifetime: c.child_lifetime,
            child_max_bytes: 0,
            child_max_packets: 0,
            fragmentation: c.fragmentation,
            fragment_size: c.fragment_size,
            force_encap: false,
            dpd_delay: c.dpd_delay,
            dpd_timeout: None,
            nat_keepalive: Some(RESPONDER_NAT_KEEPALIVE),
            rekey: true,
            no_encap: false,
            retransmit: c.retransmit,
            narrowing: true,
            auth_lifetime: c.auth_lifetime,
            mobike: c.mobike,
        }
    }
}
