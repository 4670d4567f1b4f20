//! IKE SA and Child SA state.

pub(crate) mod child_sa;
pub(crate) mod eap;
pub(crate) mod followup;
pub(crate) mod keys;
pub(crate) mod liveness;
pub(crate) mod mobike;
pub(crate) mod profile;
pub(crate) mod reauth;
pub(crate) mod transport;

use std::collections::VecDeque;
use std::net::SocketAddr;

use crate::api::{Identity, IkeSaHandle, NatInfo, Time};
use crate::fragment::Reassembly;
use crate::proposal::Proposal;
use child_sa::{ChildSa, PendingChild};
use keys::{IkeKeys, KePrivate};
use profile::Profile;
use std::sync::Arc;

/// State of an IKE SA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IkeState {
    /// Initiator: IKE_SA_INIT sent.
    InitSent,
    /// Initiator: waiting for the first Child SA's inbound SPI before sending IKE_AUTH.
    WaitSpi,
    /// Initiator: IKE_AUTH sent. Responder: IKE_SA_INIT answered, waiting for IKE_AUTH.
    AuthPending,
    /// Responder: IKE_AUTH verified, waiting for the Child SA's SPI to answer.
    AuthRespWaitSpi,
    /// Authenticated.
    Established,
    /// We sent a Delete for the IKE SA.
    Deleting,
    /// Finished; kept only to answer retransmissions until `expire`.
    Dead,
}

/// What a request we sent is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ReqKind {
    IkeSaInit,
    /// IKE_INTERMEDIATE with an additional key exchange (RFC 9242, RFC 9370).
    Intermediate,
    IkeAuth,
    Dpd,
    DeleteIke,
    /// CREATE_CHILD_SA rekeying the Child SA with inbound SPI `old_spi_in`.
    RekeyChild {
        old_spi_in: u32,
        new_spi_in: u32,
    },
    /// CREATE_CHILD_SA rekeying this IKE SA.
    RekeyIke,
    /// IKE_FOLLOWUP_KE after our CREATE_CHILD_SA (RFC 9370; state in `IkeSa::followup_out`).
    FollowupKe,
    /// INFORMATIONAL deleting Child SAs (our inbound SPIs).
    DeleteChild {
        spis_in: Vec<u32>,
    },
    /// INFORMATIONAL telling the peer about Child SAs already gone here (hard expiry; our
    /// inbound SPIs).
    DeleteGoneChild {
        spis_in: Vec<u32>,
    },
    /// INFORMATIONAL with UPDATE_SA_ADDRESSES (RFC 4555 §3.5) and this COOKIE2.
    UpdateAddresses {
        cookie2: Vec<u8>,
    },
}

/// What an SPI allocation outside IKE_AUTH is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SpiWait {
    /// We rekey the Child SA with this inbound SPI.
    RekeyChild { old_spi_in: u32 },
    /// We answer a CREATE_CHILD_SA request (state in `IkeSa::ccs_wait`).
    Respond,
}

/// Our CREATE_CHILD_SA request in flight.
#[derive(Debug)]
pub(crate) enum CcsOut {
    /// Rekeying a Child SA.
    Child {
        old_spi_in: u32,
        new_spi_in: u32,
        ni: Vec<u8>,
        ke: Option<KePrivate>,
        ke_group: u16,
    },
    /// Rekeying the IKE SA.
    Ike {
        new_spi: [u8; 8],
        ni: Vec<u8>,
        ke: KePrivate,
        ke_group: u16,
    },
}

/// A new IKE SA negotiated by a rekey, not (yet) switched to.
#[derive(Debug)]
pub(crate) struct NewIkeSa {
    pub spi_i: [u8; 8],
    pub spi_r: [u8; 8],
    /// Whether we initiated the rekey that created it.
    pub initiator: bool,
    pub keys: IkeKeys,
    pub chosen: Proposal,
    /// The lower of the exchange's two nonces (RFC 7296 §2.8.2).
    pub min_nonce: Vec<u8>,
}

/// A CREATE_CHILD_SA request we answer once the kernel allocated our inbound SPI.
#[derive(Debug)]
pub(crate) struct CcsWait {
    pub msg_id: u32,
    pub old_spi_in: u32,
    pub accepted: child_sa::AcceptedChild,
    pub ni: Vec<u8>,
    pub nr: Vec<u8>,
    pub ke_public: Option<(u16, Vec<u8>)>,
    pub keys: keys::ChildKeys,
    /// RFC 9370 additional key exchanges still to come (IKE_FOLLOWUP_KE) and SK(0).
    pub addke: Option<(Vec<(u8, u16)>, crate::crypto::SharedSecret)>,
}

/// The outstanding request (window size 1).
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    pub msg_id: u32,
    pub kind: ReqKind,
    pub datagrams: Vec<Vec<u8>>,
    pub tries: u32,
    pub first_sent: Time,
    pub deadline: Time,
}

/// A cached response for retransmitted requests.
#[derive(Debug, Clone)]
pub(crate) struct CachedResponse {
    pub msg_id: u32,
    pub datagrams: Vec<Vec<u8>>,
}

/// An unprotected IKE_SA_INIT answer we did not act on (RFC 7296 §2.21.1).
#[derive(Debug, Clone)]
pub(crate) struct UnverifiedAnswer {
    /// Its error notify, if it was one.
    pub notify: Option<u16>,
    /// The transmission it answered (1-based), for the "consecutive answers" rule.
    pub tries: u32,
    /// What it means if genuine: reported when no valid answer comes.
    pub failure: crate::api::Failure,
}

/// Pieces of the IKE_SA_INIT exchange kept for AUTH.
#[derive(Debug, Default)]
pub(crate) struct InitData {
    pub ni: Vec<u8>,
    pub nr: Vec<u8>,
    pub init_req: Vec<u8>,
    pub init_resp: Vec<u8>,
    pub ke: Option<KePrivate>,
    pub ke_group: u16,
    pub cookie: Option<Vec<u8>>,
    pub cookie_tries: u32,
    pub invalid_ke_tries: u32,
    /// The last unprotected answer not acted on (initiator, IKE_SA_INIT).
    pub unverified: Option<UnverifiedAnswer>,
    /// RFC 9242 IntAuth_iN over the IKE_INTERMEDIATE requests (empty: none took place).
    pub int_auth_i: Vec<u8>,
    /// RFC 9242 IntAuth_rN over the IKE_INTERMEDIATE responses.
    pub int_auth_r: Vec<u8>,
    /// The Message ID of the IKE_AUTH request (IKE_AUTH_MID of IntAuth).
    pub auth_mid: u32,
    /// RFC 9370 additional key exchanges still to run: (transform type, method).
    pub addke_pending: Vec<(u8, u16)>,
    /// Initiator: the additional key exchange in flight.
    pub addke_ke: Option<KePrivate>,
}

/// An IKE SA.
#[derive(Debug)]
pub(crate) struct IkeSa {
    pub handle: IkeSaHandle,
    pub initiator: bool,
    pub state: IkeState,
    pub profile: Arc<Profile>,
    pub spi_i: [u8; 8],
    pub spi_r: [u8; 8],
    pub local: SocketAddr,
    pub remote: SocketAddr,
    pub nat: NatInfo,
    pub encap: bool,
    pub chosen: Option<Proposal>,
    pub keys: Option<IkeKeys>,
    pub init: InitData,
    pub peer_frag: bool,
    pub next_msg_id: u32,
    pub pending: Option<Pending>,
    pub queue: VecDeque<ReqKind>,
    pub peer_next: u32,
    pub cached: Option<CachedResponse>,
    pub reassembly: Reassembly,
    pub children: Vec<ChildSa>,
    pub pending_child: Option<PendingChild>,
    pub remote_id: Option<Identity>,
    pub last_rx: Time,
    pub expire: Option<Time>,
    pub up_reported: bool,
    /// Shells left behind by an IKE SA rekey (the old SPIs, or a redundant new IKE SA of a
    /// rekey collision), to be registered by the engine.
    pub spawned: Vec<IkeSa>,
    /// Silent shell: no events when it goes away.
    pub shell: bool,
    /// Responder: configuration reply prepared while waiting for the SPI.
    pub pending_cp: Option<crate::wire::CpPayload>,
    /// The peer's SIGNATURE_HASH_ALGORITHMS (`None` if it sent none).
    pub peer_sig_hashes: Option<Vec<u16>>,
    /// SPI allocations for rekeys and CREATE_CHILD_SA answers.
    pub spi_wait: Vec<(crate::api::KernelRequest, SpiWait)>,
    /// Our CREATE_CHILD_SA request in flight.
    pub ccs_out: Option<CcsOut>,
    /// A CREATE_CHILD_SA request waiting for our SPI before it is answered.
    pub ccs_wait: Option<CcsWait>,
    /// When to rekey this IKE SA.
    pub ike_rekey_at: Option<Time>,
    /// When this IKE SA's lifetime ends (closed if not rekeyed by then).
    pub ike_hard_at: Option<Time>,
    /// Requests to retry later (after TEMPORARY_FAILURE).
    pub retry: Vec<(Time, ReqKind)>,
    /// KE group the peer asked for in INVALID_KE_PAYLOAD (Child SA rekey, IKE SA rekey).
    pub child_ke_hint: Option<u16>,
    /// As `child_ke_hint`, for IKE SA rekeys.
    pub ike_ke_hint: Option<u16>,
    /// Refused or failed rekeys of our Child SAs so far: (old inbound SPI, count).
    pub rekey_failures: Vec<(u32, u32)>,
    /// Refused or failed IKE SA rekeys since the last successful one.
    pub ike_rekey_failures: u32,
    /// When we last sent a datagram to the peer (NAT-keepalives).
    pub last_tx: Time,
    /// The peer's IKE SA rekey we answered while ours was in flight (RFC 7296 §2.8.2).
    pub peer_ike_rekey: Option<Box<NewIkeSa>>,
    /// The connection this IKE SA was initiated for (we are its original initiator and can
    /// reauthenticate it); `None` for IKE SAs a peer started.
    pub origin: Option<Arc<crate::api::ConnectionConfig>>,
    /// The authentication lifetime (RFC 4478) and our reauthentication schedule.
    pub reauth: Option<reauth::Reauth>,
    /// A reauthentication is due: the engine starts its new IKE SA.
    pub reauth_start: bool,
    /// This IKE SA is the new one of a reauthentication (not reported until it replaces the
    /// old one).
    pub reauth_of: Option<reauth::ReauthLink>,
    /// The virtual addresses the gateway assigned to this IKE SA (initiator).
    pub assigned: Vec<std::net::IpAddr>,
    /// EAP inside IKE_AUTH (RFC 7296 §2.16), while it runs and until the final AUTH.
    pub eap: Option<Box<eap::EapState>>,
    /// Our CREATE_CHILD_SA's additional key exchanges under way (RFC 9370).
    pub followup_out: Option<Box<followup::FollowupOut>>,
    /// The peer's CREATE_CHILD_SA waiting for its IKE_FOLLOWUP_KE requests.
    pub followup_in: Option<Box<followup::FollowupIn>>,
    /// The first inner payload type and the plaintext of the last IKE_INTERMEDIATE message
    /// opened (for RFC 9242 IntAuth).
    pub last_plain: Option<(u8, Vec<u8>)>,
    /// Both ends support MOBIKE (RFC 4555), negotiated in IKE_AUTH.
    pub mobike: bool,
    /// IKE runs on port 4500 without UDP encapsulation of ESP (a MOBIKE update floats IKE to
    /// port 4500 before any NAT is known, RFC 4555 §3.5); `encap` implies port 4500 too.
    pub floated: bool,
}

impl IkeSa {
    /// Our own IKE SPI.
    pub fn our_spi(&self) -> [u8; 8] {
        if self.initiator {
            self.spi_i
        } else {
            self.spi_r
        }
    }

    /// The earliest timer of this SA.
    pub fn next_timeout(&self) -> Option<Time> {
        let mut t = self.pending.as_ref().map(|p| p.deadline);
        let mut min = |x: Option<Time>| {
            if let Some(x) = x {
                t = Some(t.map_or(x, |y| y.min(x)));
            }
        };
        min(self.expire);
        if self.state == IkeState::Established {
            min(self.ike_rekey_at);
            min(self.ike_hard_at);
            min(self.retry.iter().map(|(t, _)| *t).min());
            min(self
                .children
                .iter()
                .filter_map(|c| c.held_out.as_ref().map(|h| h.until))
                .min());
            if !self.shell {
                if let Some(r) = &self.reauth {
                    min(Some(r.deadline));
                    min(r.next_at);
                }
            }
        }
        min(self.followup_in.as_ref().map(|f| f.deadline));
        min(self.dpd_at());
        min(self.keepalive_at());
        t
    }
}
