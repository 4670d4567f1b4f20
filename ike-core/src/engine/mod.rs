//! The sans-IO engine: feed datagrams, timer ticks and kernel events in; poll datagrams,
//! kernel operations, events and the next timeout out.
//!
//! Lifecycle notes for drivers:
//! - An [`IkeSaHandle`] stays valid across IKE SA rekeys (the SA switches SPIs and keys in
//!   place, see [`Engine::ike_sa_spis`], and [`Event::IkeSaRekeyed`] reports the new SPIs). IKE SAs are rekeyed at about
//!   90 % of `ike_lifetime` (or on [`Engine::rekey_ike`]); one whose lifetime ends first is
//!   closed (a Delete is sent) with [`Failure::IkeLifetimeExpired`]: `rekey_disabled: false`
//!   when our rekeys were refused or failed until then.
//! - When both ends rekey the IKE SA at once, both exchanges complete (RFC 7296 §2.8.2): the
//!   new IKE SA of the exchange holding the lowest of the four nonces is deleted by its
//!   initiator, the other one survives with the handle and every Child SA, and one
//!   [`Event::IkeSaRekeyed`] with `collision: true` reports it. Colliding Child SA rekeys are resolved the same way (§2.8.1).
//! - Child SAs are rekeyed when the kernel reports [`KernelEvent::SaExpired`] with
//!   `hard: false` (the soft limit of [`KernelOp::InstallSa`] is 85-90 % of the lifetime). A
//!   rekeyed Child SA keeps its reqid, so only SAs are installed and deleted, never
//!   policies; the new one is reported by [`Event::ChildSaUp`], the old one by
//!   [`Event::ChildSaDown`] with `rekeyed: true`. A hard expiry removes the Child SA
//!   ([`Event::ChildSaDown`], its kernel state deleted) and tells the peer with a Delete.
//! - `rekey = false` ([`ConnectionConfig::rekey`]): the engine starts no rekey of its own
//!   (no IKE SA rekey at 90 %, nothing on a soft Child SA expiry); the IKE SA ends at its
//!   lifetime with `IkeLifetimeExpired { rekey_disabled: true }`, Child SAs at their hard
//!   expiry. Rekeys the peer starts are answered, and [`Engine::rekey_ike`] still rekeys.
//! - Reauthentication (RFC 7296 §2.8.3) when the peer sets an authentication lifetime
//!   (AUTH_LIFETIME, RFC 4478, in the IKE_AUTH response or an INFORMATIONAL request): as the
//!   original initiator we start a new IKE SA a tenth of the lifetime (10 s to 5 min) before it
//!   ends, with the same configuration, asking for the virtual addresses we hold. Its Child SA
//!   takes over the old one's reqid and policies; once it is installed the new IKE SA takes over
//!   the handle ([`Event::IkeSaReauthenticated`], then [`Event::ChildSaUp`] for the new and
//!   [`Event::ChildSaDown`] with `rekeyed: true` for the old Child SAs) and the old IKE SA is
//!   deleted silently. A failed reauthentication ([`Event::ExchangeFailed`] with
//!   [`Failure::ReauthFailed`]; other virtual addresses count as a failure) keeps the old IKE SA
//!   and is retried after 2 s, 4 s, ... (at most 60 s); at the end of the lifetime the IKE SA
//!   fails with [`Failure::AuthLifetimeExpired`]. A responder with
//!   [`ResponderConfig::auth_lifetime`] sends AUTH_LIFETIME and deletes IKE SAs still there a
//!   grace after it.
//! - Liveness: after `dpd_delay` without a valid message from the peer (any valid message
//!   counts) an empty INFORMATIONAL request checks it. Unanswered, the IKE SA fails with
//!   [`Failure::PeerDead`] (`silent_for`: time since the last message from the peer) and its
//!   Child SAs are removed: with `dpd_timeout`, once that long passed since the check was sent
//!   or the peer last spoke, whichever is later, the check being retransmitted every fifth of
//!   it (at least 1 s); without, when the retransmission schedule runs out.
//! - NAT-keepalives (RFC 3948 §2.3): an established IKE SA on port 4500 with us behind a NAT
//!   (forced encapsulation counts as behind one) sends a [`Transmit`] whose payload is the
//!   single octet 0xFF from port 4500 to the peer after `nat_keepalive` (responders: 20 s)
//!   without any datagram sent to the peer; any IKE datagram restarts that clock.
//!   [`Engine::poll_timeout`] includes it.
//! - MOBIKE (RFC 4555, [`ConnectionConfig::mobike`], [`ResponderConfig::mobike`]):
//!   MOBIKE_SUPPORTED in IKE_AUTH. When our address changes, [`Engine::update_path`] sends
//!   UPDATE_SA_ADDRESSES (from port 4500, with fresh NAT detection and a COOKIE2); the answer
//!   moves the Child SAs ([`KernelOp::MigrateSa`]) and [`Event::IkeSaMoved`] reports it. A
//!   responder does the same when the update arrives. Without MOBIKE it returns
//!   [`PathUpdate::NotSupported`], fails the IKE SA with [`Failure::PathChanged`] and deletes
//!   it. A peer behind a NAT whose mapping
//!   changes (an authenticated message from a new address or port) is followed, its Child
//!   SAs' encapsulation moved the same way (RFC 7296 §2.23).
//! - `no_encap = true`: NAT detection payloads are still sent; a NAT found in IKE_SA_INIT
//!   ends the attempt with [`Failure::NatWithoutEncapsulation`] before anything else is sent
//!   or installed. With `force_encap` as well, [`Engine::initiate`] refuses the
//!   configuration ([`ConfigError::Invalid`]).
//! - [`Event::Failed`] means the IKE SA (or its establishment) fails and goes away;
//!   [`Event::ExchangeFailed`] reports a failed exchange on an established IKE SA (a refused
//!   Child SA or IKE SA rekey, a refused additional Child SA) after which the IKE SA and its
//!   Child SAs stay. A refused rekey of ours is retried a few times before the hard lifetime.
//! - An engine without [`EngineConfig::responders`] never answers IKE_SA_INIT requests.
//! - Unprotected error notifies answering IKE_SA_INIT end the attempt only when they answer
//!   two transmissions in a row; otherwise the engine waits for a valid answer and, when the
//!   retransmissions run out, reports the error seen as the likely cause.
//! - Nothing runs on zeros when the [`Rng`] fails: `initiate` returns an error, IKE_SA_INIT
//!   requests are dropped, rekeys fail with [`Event::ExchangeFailed`].
//! - Certificate validity is checked against [`EngineConfig::wall_clock_at_zero`] plus the
//!   injected time; the engine reads no clock. Drivers set it (or call
//!   [`Engine::set_wall_clock`] with each `now`); without it certificate authentication fails.
//! - Randomness comes only from the injected [`Rng`], except inside aws-lc-rs signing (RSA-PSS
//!   salts, ECDSA nonces), which draws from AWS-LC's own DRBG and takes no caller RNG.
//!
//! # Polling order
//! After each `handle_*` call or [`Engine::initiate`], a driver drains the three queues until
//! all are empty, in this order:
//! 1. [`Engine::poll_event`]: take the events (act on a [`Event::ConfigReceived`]'s subnets
//!    before step 2 installs the policies that depend on them) and keep them for step 4;
//! 2. [`Engine::poll_kernel_op`]: execute each operation, feeding a [`KernelEvent`] it
//!    yields (an allocated SPI) straight back with [`Engine::handle_kernel_event`];
//! 3. [`Engine::poll_transmit`]: send the datagrams;
//! 4. deliver the events kept in step 1; then start again at 1 while anything was produced,
//!    and finally arm a timer for [`Engine::poll_timeout`].
//!
//! Kernel operations before datagrams is what keeps the first packets: a responder queues
//! its IKE_AUTH answer and the [`KernelOp::InstallSa`] of the Child SA in the same call, and
//! the initiator sends ESP as soon as it reads that answer, so the responder's SAs must be
//! in the kernel before the answer leaves. Events last means a driver reports a Child SA up
//! only once its kernel state exists. The queues are independent; within each, order is
//! the order things happened.

/// The [`Ctx`] of one call into an IKE SA, from the engine's fields (borrowed one by one, so
/// that an SA of `self.sas` can be borrowed beside it).
macro_rules! engine_ctx {
    ($e:ident, $now:expr) => {
        Ctx::new($now, &mut *$e.rng, &mut $e.out, &$e.cfg, &mut $e.leases)
    };
}

mod index;
mod reauth;
#[cfg(test)]
mod refused_tests;
#[cfg(feature = "fuzzing")]
mod testing;
mod v1;

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::Arc;

pub use crate::api::{
    load_pem_certs, load_pem_crls, AddressPool, ChildConfig, ConfigError, ConnectionConfig,
    EapCredentials, EapMethod, EapServer, EngineConfig, Fragmentation, LocalAuth, Mode, RemoteAuth,
    RequestConfig, ResponderConfig, Revocation, ServeConfig,
};
pub use crate::api::{
    AssignedAddress, Direction, DownReason, EspCipher, Event, IkeSaHandle, KernelEvent, KernelOp,
    KernelRequest, Lifetime, NatInfo, PathUpdate, ReceivedConfig, Transmit, UdpEncap,
};
pub use crate::api::{AuthBy, Failure, LocalFault, Phase};
pub use crate::api::{Identity, IdentityParseError, PeerName};
pub use crate::api::{RetransmitConfig, SecretBytes, Time};
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub use testing::FuzzingSkCiphers;

use crate::api::IkeError;
use crate::cookie::CookieJar;
use crate::crypto::Rng;
use crate::ctx::{leases::Leases, Ctx, Outputs};
use crate::exchange;
use crate::ids;
use crate::natt::NATT_PORT;
use crate::sa::profile::Profile;
use crate::sa::{IkeSa, IkeState};
use crate::wire::Message;

/// The IKEv2 engine: every IKE SA of one process, initiator and responder.
pub struct Engine {
    cfg: EngineConfig,
    rng: Box<dyn Rng + Send>,
    out: Outputs,
    sas: BTreeMap<IkeSaHandle, IkeSa>,
    by_spi: HashMap<[u8; 8], IkeSaHandle>,
    init_index: HashMap<(SocketAddr, [u8; 8]), IkeSaHandle>,
    spi_requests: HashMap<KernelRequest, IkeSaHandle>,
    /// The `init_index` key of each responder SA (so removal needs no scan).
    init_key_of: HashMap<IkeSaHandle, (SocketAddr, [u8; 8])>,
    index: index::SaIndex,
    next_handle: u64,
    /// `None` until a secret could be drawn.
    cookies: Option<CookieJar>,
    leases: Leases,
    /// Reauthentications under way: new IKE SA -> the IKE SA it replaces.
    reauths: HashMap<IkeSaHandle, IkeSaHandle>,
    /// IKEv1 connections.
    v1: v1::V1Table,
}

impl core::fmt::Debug for Engine {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Engine")
            .field("sas", &self.sas.len())
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// Creates an engine.
    ///
    /// The COOKIE secret is drawn here; should the RNG fail, it is drawn again when a cookie
    /// is first needed, and requests that need one are dropped until that succeeds.
    pub fn new(cfg: EngineConfig, mut rng: Box<dyn Rng + Send>) -> Self {
        let cookies = CookieJar::generate(&mut *rng).ok();
        let out = Outputs::new(cfg.reqid_base);
        Engine {
            cfg,
            rng,
            out,
            sas: BTreeMap::new(),
            by_spi: HashMap::new(),
            init_index: HashMap::new(),
            spi_requests: HashMap::new(),
            init_key_of: HashMap::new(),
            index: index::SaIndex::default(),
            next_handle: 1,
            cookies,
            leases: Leases::default(),
            reauths: HashMap::new(),
            v1: v1::V1Table::default(),
        }
    }

    fn alloc_handle(&mut self) -> IkeSaHandle {
        let h = IkeSaHandle(self.next_handle);
        self.next_handle = self.next_handle.wrapping_add(1);
        h
    }

    /// Starts an IKE SA (and its first Child SA) as initiator.
    pub fn initiate(
        &mut self,
        now: Time,
        mut conn: ConnectionConfig,
    ) -> Result<IkeSaHandle, ConfigError> {
        if self.sas.len() + self.v1.len() >= self.cfg.max_ike_sas {
            return Err(ConfigError::TooManySas);
        }
        if conn.ike_proposals.is_empty() {
            conn.ike_proposals = crate::proposal::default_ike().0;
        }
        if conn.esp_proposals.is_empty() {
            conn.esp_proposals = crate::proposal::default_esp().0;
        }
        if conn.children.is_empty() {
            return Err(ConfigError::Invalid("no Child SA configured".into()));
        }
        if conn.force_encap && conn.no_encap {
            return Err(ConfigError::Invalid(
                "forced UDP encapsulation and no UDP encapsulation at once".into(),
            ));
        }
        if conn.ikev1 {
            let handle = self.alloc_handle();
            let mut ctx = engine_ctx!(self, now);
            return self
                .v1
                .initiate(&mut ctx, handle, conn)
                .map(|()| handle)
                .map_err(ConfigError::Invalid);
        }
        if let LocalAuth::Eap(creds) = &conn.local_auth {
            // The gateway must prove itself with its certificate before we answer EAP.
            if !matches!(conn.remote_auth, RemoteAuth::Certificate { .. }) {
                return Err(ConfigError::Invalid(
                    "EAP needs the peer to authenticate with a certificate".into(),
                ));
            }
            if creds.user.is_empty() {
                return Err(ConfigError::Invalid("EAP needs a user name".into()));
            }
        }
        if matches!(conn.remote_auth, RemoteAuth::Eap(_)) {
            return Err(ConfigError::Invalid(
                "EAP authenticates initiators; a connection we start cannot ask it of the peer"
                    .into(),
            ));
        }
        if let LocalAuth::Certificate { chain, key } = &conn.local_auth {
            exchange::cert::load_key(chain, key.expose())
                .map_err(|e| ConfigError::BadCredential(e.detail().to_string()))?;
        }
        if let RemoteAuth::Certificate { revocation, .. } = &conn.remote_auth {
            exchange::revocation::parse(revocation)
                .map_err(|e| ConfigError::BadCredential(e.detail().to_string()))?;
        }
        let profile = Arc::new(Profile::from_initiator(&conn));
        let conn = Arc::new(conn);
        let handle = self.alloc_handle();
        let mut ctx = engine_ctx!(self, now);
        let mut sa = exchange::ike_sa_init::initiate(&mut ctx, handle, profile, &conn).map_err(
            |e| match e {
                IkeError::Local { fault, detail } => ConfigError::Local { fault, detail },
                IkeError::Peer { detail, .. } => ConfigError::Invalid(detail),
            },
        )?;
        sa.origin = Some(conn);
        self.by_spi.insert(sa.spi_i, handle);
        self.index.update(handle, &sa);
        self.sas.insert(handle, sa);
        Ok(handle)
    }

    /// Feeds a received UDP datagram (on port 4500 including the non-ESP marker).
    pub fn handle_datagram(
        &mut self,
        now: Time,
        local: SocketAddr,
        remote: SocketAddr,
        data: &[u8],
    ) {
        let data = if local.port() == NATT_PORT {
            match crate::wire::classify_udp_4500(data) {
                Ok(crate::wire::Udp4500::Ike(d)) => d,
                _ => return,
            }
        } else {
            data
        };
        if v1::is_v1(data) {
            let mut ctx = engine_ctx!(self, now);
            self.v1.on_datagram(&mut ctx, local, remote, data);
            return;
        }
        let Ok(msg) = Message::parse(data) else {
            return;
        };
        let h = &msg.header;
        if h.exchange_type == ids::exchange::IKE_SA_INIT
            && !h.flags.response
            && h.spi_r == [0; 8]
            && h.message_id == 0
        {
            // Without a responder configuration nobody may start an IKE SA with us: the request
            // is dropped without an answer or an event (a stranger cannot reach the engine's
            // failure path this way).
            if !self.cfg.responders.is_empty() {
                self.responder_init(now, local, remote, &msg, data);
            }
            return;
        }
        let our_spi = if h.flags.initiator { h.spi_r } else { h.spi_i };
        let Some(&handle) = self.by_spi.get(&our_spi) else {
            return;
        };
        let spi_i = h.spi_i;
        self.with_sa(now, handle, |sa, ctx| {
            if sa.spi_i == spi_i {
                exchange::dispatch::on_message(sa, ctx, local, remote, &msg, data);
            }
        });
    }

    /// Runs `f` on an IKE SA with a fresh context, then does the engine's bookkeeping.
    fn with_sa(
        &mut self,
        now: Time,
        handle: IkeSaHandle,
        f: impl FnOnce(&mut IkeSa, &mut Ctx<'_>),
    ) {
        let Some(sa) = self.sas.get_mut(&handle) else {
            return;
        };
        let mut ctx = engine_ctx!(self, now);
        f(sa, &mut ctx);
        self.after_sa_call(now, handle);
    }

    fn responder_init(
        &mut self,
        now: Time,
        local: SocketAddr,
        remote: SocketAddr,
        msg: &Message,
        raw: &[u8],
    ) {
        if let Some(handle) = self.init_index.get(&(remote, msg.header.spi_i)) {
            if let Some(sa) = self.sas.get_mut(handle) {
                // Retransmitted IKE_SA_INIT: resend the cached response.
                if sa.init.init_req == raw {
                    if let Some(c) = &sa.cached {
                        let dgs = c.datagrams.clone();
                        let mut ctx = engine_ctx!(self, now);
                        sa.transmit(&mut ctx, &dgs);
                    }
                }
                return;
            }
        }
        let half_open = self.index.half_open();
        if half_open >= self.cfg.max_half_open || self.sas.len() >= self.cfg.max_ike_sas {
            return;
        }
        let need_cookie = half_open >= self.cfg.cookie_threshold;
        if need_cookie && self.cookies.is_none() {
            match CookieJar::generate(&mut *self.rng) {
                Ok(jar) => self.cookies = Some(jar),
                // No secret, no cookie: never one from a zero or guessable secret.
                Err(_) => return,
            }
        }
        let handle = IkeSaHandle(self.next_handle);
        let mut ctx = engine_ctx!(self, now);
        let made = exchange::ike_sa_init::respond(
            &mut ctx,
            handle,
            local,
            remote,
            msg,
            raw,
            self.cookies.as_ref().filter(|_| need_cookie),
        );
        if let Some(sa) = made {
            self.next_handle = self.next_handle.wrapping_add(1);
            self.by_spi.insert(sa.spi_r, handle);
            self.init_index.insert((remote, sa.spi_i), handle);
            self.init_key_of.insert(handle, (remote, sa.spi_i));
            self.index.update(handle, &sa);
            self.sas.insert(handle, sa);
        } else {
            // A failure event may have used the handle.
            self.next_handle = self.next_handle.wrapping_add(1);
        }
    }

    fn after_sa_call(&mut self, now: Time, handle: IkeSaHandle) {
        let Some(sa) = self.sas.get_mut(&handle) else {
            return;
        };
        if let Some(req) = sa.pending_child.as_ref().and_then(|p| p.request) {
            self.spi_requests.insert(req, handle);
        }
        for (req, _) in &sa.spi_wait {
            self.spi_requests.insert(*req, handle);
        }
        for mut shell in std::mem::take(&mut sa.spawned) {
            // The pre-rekey IKE SA (or a collision's redundant one), kept only to exchange
            // its Delete.
            let new_handle = IkeSaHandle(self.next_handle);
            self.next_handle = self.next_handle.wrapping_add(1);
            shell.handle = new_handle;
            self.by_spi.insert(shell.our_spi(), new_handle);
            self.index.update(new_handle, &shell);
            self.sas.insert(new_handle, shell);
        }
        if let Some(sa) = self.sas.get(&handle) {
            let spi = sa.our_spi();
            if self.by_spi.get(&spi) != Some(&handle) && sa.spi_i != [0; 8] {
                self.by_spi.insert(spi, handle);
            }
        }
        if self
            .sas
            .get(&handle)
            .is_some_and(|sa| sa.state == IkeState::Dead)
        {
            self.leases.release_sa(handle);
        }
        let remove = self
            .sas
            .get(&handle)
            .is_some_and(|sa| sa.state == IkeState::Dead && sa.expire.is_none());
        if remove {
            self.remove(handle);
        } else if let Some(sa) = self.sas.get(&handle) {
            self.index.update(handle, sa);
        }
        self.reauth_after(now, handle);
    }

    fn remove(&mut self, handle: IkeSaHandle) {
        self.leases.release_sa(handle);
        if let Some(sa) = self.sas.remove(&handle) {
            if self.by_spi.get(&sa.our_spi()) == Some(&handle) {
                self.by_spi.remove(&sa.our_spi());
            }
            if let Some(key) = self.init_key_of.remove(&handle) {
                if self.init_index.get(&key) == Some(&handle) {
                    self.init_index.remove(&key);
                }
            }
            // Only requests still waiting for the kernel: a handful, whatever the SA count.
            self.spi_requests.retain(|_, h| *h != handle);
        }
        self.index.forget(handle);
    }

    /// Advances timers (retransmissions, liveness checks, expiry).
    pub fn handle_timeout(&mut self, now: Time) {
        for handle in self.v1.due(now) {
            let mut ctx = engine_ctx!(self, now);
            self.v1.on_timer(&mut ctx, handle);
        }
        let due = self.index.due(now);
        for handle in due {
            let Some(sa) = self.sas.get_mut(&handle) else {
                continue;
            };
            let mut ctx = engine_ctx!(self, now);
            let gone = exchange::dispatch::on_timer(sa, &mut ctx);
            if gone {
                self.remove(handle);
                self.reauth_after(now, handle);
            } else {
                self.after_sa_call(now, handle);
            }
        }
    }

    /// The next time [`Engine::handle_timeout`] should be called.
    pub fn poll_timeout(&self) -> Option<Time> {
        [self.index.next_deadline(), self.v1.next_deadline()]
            .into_iter()
            .flatten()
            .min()
    }

    /// Feeds a kernel event.
    pub fn handle_kernel_event(&mut self, now: Time, ev: KernelEvent) {
        let mut ctx = engine_ctx!(self, now);
        let ev = match ev {
            KernelEvent::SpiAllocated { request, spi }
                if self.v1.on_spi(&mut ctx, request, spi) =>
            {
                return
            }
            KernelEvent::OpFailed { request, error } => {
                match self.v1.on_op_failed(&mut ctx, request, error.clone()) {
                    true => return,
                    false => KernelEvent::OpFailed { request, error },
                }
            }
            KernelEvent::SaExpired { spi, hard } if self.v1.on_expire(&mut ctx, spi, hard) => {
                return
            }
            ev => ev,
        };
        match ev {
            KernelEvent::SpiAllocated { request, spi } => {
                let Some(handle) = self.spi_requests.remove(&request) else {
                    return;
                };
                self.with_sa(now, handle, |sa, ctx| {
                    exchange::dispatch::on_spi(sa, ctx, request, spi);
                });
            }
            KernelEvent::OpFailed { request, error } => {
                let Some(handle) = self.spi_requests.remove(&request) else {
                    return;
                };
                self.with_sa(now, handle, |sa, ctx| {
                    exchange::dispatch::on_op_failed(sa, ctx, request, error);
                });
            }
            KernelEvent::SaExpired { spi, hard } => {
                let Some(handle) = self.index.sa_of_child(spi) else {
                    return;
                };
                self.with_sa(now, handle, |sa, ctx| {
                    exchange::dispatch::on_expire(sa, ctx, spi, hard);
                });
            }
        }
    }

    /// Closes an IKE SA: sends a Delete, removes its kernel state, reports IkeSaDown.
    pub fn close(&mut self, now: Time, handle: IkeSaHandle) {
        if self.v1.contains(handle) {
            let mut ctx = engine_ctx!(self, now);
            self.v1.close(&mut ctx, handle);
            return;
        }
        self.with_sa(now, handle, exchange::informational::close);
    }

    /// Rekeys an IKE SA now (normally done at 90 % of its lifetime).
    pub fn rekey_ike(&mut self, now: Time, handle: IkeSaHandle) {
        self.with_sa(now, handle, |sa, ctx| {
            exchange::create_child::rekey_ike_now(sa);
            exchange::dispatch::start_queued(sa, ctx);
        });
    }

    /// Our address on the path to the peer of IKE SA `handle` changed to `local` (the driver
    /// watches addresses and routes). With MOBIKE negotiated (RFC 4555; we offer it with
    /// [`ConnectionConfig::mobike`]), the IKE SA and its Child SAs move there without a new
    /// IKE SA: UPDATE_SA_ADDRESSES from port 4500 with fresh NAT detection and a COOKIE2, then
    /// [`KernelOp::MigrateSa`] for each Child SA and [`Event::IkeSaMoved`]. Without MOBIKE the
    /// IKE SA cannot move ([`PathUpdate::NotSupported`]): it fails with
    /// [`Failure::PathChanged`] and is deleted, and the caller starts a new one.
    pub fn update_path(
        &mut self,
        now: Time,
        handle: IkeSaHandle,
        local: std::net::IpAddr,
    ) -> PathUpdate {
        let mut outcome = PathUpdate::NotEstablished;
        self.with_sa(now, handle, |sa, ctx| {
            outcome = exchange::mobike::update_path(sa, ctx, local);
        });
        outcome
    }

    /// The established IKE SAs this engine initiated (not a rekey's shell, not a
    /// reauthentication's new IKE SA before it takes over): those [`Engine::update_path`]
    /// moves.
    pub fn initiated_established(&self) -> Vec<IkeSaHandle> {
        self.sas
            .iter()
            .filter(|(_, sa)| {
                sa.initiator
                    && sa.state == IkeState::Established
                    && !sa.shell
                    && sa.reauth_of.is_none()
            })
            .map(|(h, _)| *h)
            .collect()
    }

    /// Whether MOBIKE (RFC 4555) was negotiated on IKE SA `handle`.
    pub fn mobike_active(&self, handle: IkeSaHandle) -> bool {
        self.sas.get(&handle).is_some_and(|sa| sa.mobike)
    }

    /// Closes every IKE SA.
    pub fn close_all(&mut self, now: Time) {
        let mut handles: Vec<IkeSaHandle> = self.sas.keys().copied().collect();
        handles.extend(self.v1.handles());
        for h in handles {
            self.close(now, h);
        }
    }

    /// The next datagram to send (after the pending kernel operations: see the module's
    /// "Polling order").
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.out.pop_transmit()
    }

    /// The next kernel operation to execute (before the pending datagrams are sent: see the
    /// module's "Polling order").
    pub fn poll_kernel_op(&mut self) -> Option<KernelOp> {
        self.out.pop_kernel_op()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.out.pop_event()
    }

    /// Tells the engine the wall clock (Unix seconds) at engine time `now`, for certificate
    /// validity checks ([`EngineConfig::wall_clock_at_zero`]). Drivers whose time source does
    /// not follow the wall clock (a monotonic clock across suspend, a clock step) call it
    /// with each `now` they feed in.
    pub fn set_wall_clock(&mut self, now: Time, unix_secs: u64) {
        self.cfg.wall_clock_at_zero = Some(unix_secs.saturating_sub(now.as_millis() / 1000));
    }

    /// Number of IKE SAs (any state).
    pub fn ike_sa_count(&self) -> usize {
        self.sas.len() + self.v1.len()
    }

    /// The current IKE SPIs (initiator's, responder's) of an IKE SA; they change when it is
    /// rekeyed, the handle does not.
    pub fn ike_sa_spis(&self, handle: IkeSaHandle) -> Option<([u8; 8], [u8; 8])> {
        self.sas
            .get(&handle)
            .map(|sa| (sa.spi_i, sa.spi_r))
            .or_else(|| self.v1.cookies(handle))
    }
}
