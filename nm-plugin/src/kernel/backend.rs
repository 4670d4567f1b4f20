//! [`XfrmKernel`]: the [`Kernel`] backend that executes operations over XFRM netlink.

use super::acquire::{self, Acquire};
use super::api::{log_sa_counters, Kernel, SaCounters, SaKey};
use super::keepalive::{self, KeepaliveOffload};
use super::migrate;
use super::mtu::{self, EspShape};
use super::netlink::NlSocket;
use super::offload::{self, Offload};
use super::route::{self, RouteConfig, Routes};
use super::split;
use super::xfrm::{self, PolicyParams, SaParams, SelectorSpec};
use super::xfrmi::{self, XfrmInterface};
use super::{Binding, KernelError, Ownership};
use ike_core::engine::{Direction, KernelEvent, KernelOp};
use netlink_packet_core::{NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL};
use netlink_packet_xfrm::{XfrmAttrs, XfrmMessage, XFRMNLGRP_ACQUIRE, XFRMNLGRP_EXPIRE};
use netlink_sys::protocols::NETLINK_XFRM;
use netlink_sys::{AsyncSocket, TokioSocket};
use std::net::{IpAddr, SocketAddr};
use std::task::{Context, Poll};

/// Executes kernel operations with real XFRM state.
pub struct XfrmKernel {
    sock: NlSocket,
    events: Option<NlSocket>,
    /// `dpdaction=hold`: the ACQUIRE subscription (see [`XfrmKernel::watch_acquires`]).
    acquires: Option<TokioSocket>,
    /// Tags for route-based tunnels.
    pub binding: Binding,
    /// Which reqids are ours.
    pub ownership: Ownership,
    /// Policy priority base.
    pub priority_base: u32,
    sas: Vec<SaKey>,
    policies: Vec<(Direction, SelectorSpec)>,
    routes: Option<Routes>,
    interface: Option<XfrmInterface>,
    /// Remove everything on drop (a connection task that is aborted instead of ending).
    pub cleanup_on_drop: bool,
    /// NIC offload requests for new SAs.
    pub offload: Offload,
    /// NAT-keepalives sent by the kernel on outbound UDP-encapsulated SAs (see
    /// [`keepalive`]).
    pub keepalives: KeepaliveOffload,
    /// The profile leaves the remote networks to the gateway (`rightsubnet` at its default,
    /// see [`split::allowed`]): subnets the gateway pushes replace the routes of the
    /// negotiated selectors in our table ([`Kernel::pushed_subnets`]).
    pub split_include: bool,
    /// The subnets the gateway pushed, when `split_include`.
    pushed: Option<Vec<(IpAddr, u8)>>,
    /// The MTU inside the tunnel of the last outbound tunnel-mode SA (see [`mtu`]).
    tunnel_mtu: Option<u32>,
}

impl Drop for XfrmKernel {
    fn drop(&mut self) {
        if self.cleanup_on_drop {
            self.remove_all();
        }
    }
}

fn is_gone(e: &KernelError) -> bool {
    matches!(e.errno(), Some(libc::ENOENT) | Some(libc::ESRCH))
}

impl XfrmKernel {
    /// Opens the XFRM netlink socket (and the expire-event socket; without it expire events
    /// are not reported, which the caller learns from the log).
    pub fn open() -> Result<Self, KernelError> {
        let sock = NlSocket::open(NETLINK_XFRM)
            .map_err(|e| KernelError::io("cannot open the XFRM netlink socket", e))?;
        let events = match NlSocket::subscribe(NETLINK_XFRM, &[XFRMNLGRP_EXPIRE]) {
            Ok(s) => Some(s),
            Err(e) => {
                tracing::warn!("cannot subscribe to XFRM expire events: {e}");
                None
            }
        };
        Ok(XfrmKernel {
            sock,
            events,
            acquires: None,
            binding: Binding::default(),
            ownership: Ownership::default(),
            priority_base: xfrm::POLICY_PRIORITY_BASE,
            sas: Vec::new(),
            policies: Vec::new(),
            routes: None,
            interface: None,
            cleanup_on_drop: false,
            offload: Offload::No,
            keepalives: KeepaliveOffload::off(),
            split_include: false,
            pushed: None,
            tunnel_mtu: None,
        })
    }

    /// Subscribes to the kernel's ACQUIRE messages (`dpdaction=hold`: traffic for a held
    /// policy re-establishes the connection). Only held connections open it: every process
    /// subscribed gets every ACQUIRE of the network namespace.
    /// Needs a tokio runtime (the socket is read by the event loop).
    pub fn watch_acquires(&mut self) -> Result<(), KernelError> {
        let what = "cannot subscribe to XFRM acquire messages";
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(KernelError::Invalid(format!("{what}: no event loop")));
        }
        let mut s = TokioSocket::new(NETLINK_XFRM).map_err(|e| KernelError::io(what, e))?;
        s.socket_mut()
            .bind_auto()
            .and_then(|_| s.socket_mut().add_membership(XFRMNLGRP_ACQUIRE))
            .map_err(|e| KernelError::io(what, e))?;
        self.acquires = Some(s);
        Ok(())
    }

    /// Deletes the larval SAs (SPI 0) of our reqids that the kernel created for ACQUIREs.
    pub fn remove_larvals(&mut self) {
        let sas = match self.dump_sas() {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!("{e}");
                return;
            }
        };
        for s in sas {
            let info = &s.user_sa_info;
            if info.id.spi != 0 || !self.ownership.owns_reqid(info.reqid) {
                continue;
            }
            match super::cleanup::delete_listed_sa(self, &s, "removing a larval SA") {
                Ok(()) => tracing::debug!("larval SA of reqid {:#x} removed", info.reqid),
                Err(e) if is_gone(&e) => {}
                Err(e) => tracing::warn!("{e}"),
            }
        }
    }

    /// Also routes the remote networks of tunnel-mode Child SAs in a dedicated table (see
    /// [`super::route`]).
    pub fn with_routes(mut self, cfg: RouteConfig) -> Result<Self, KernelError> {
        self.routes = Some(Routes::open(cfg)?);
        Ok(self)
    }

    /// Makes this a route-based tunnel: creates the XFRM interface `ipsec<if_id>` (tagged with
    /// our reqid block, MTU from the device towards `gateway`, see [`xfrmi`]), binds SAs and
    /// policies to `if_id` and routes the remote networks through the interface. Call before
    /// the first operation.
    pub fn with_interface(self, if_id: u32, gateway: IpAddr) -> Result<Self, KernelError> {
        self.with_route_based(&super::RouteBased::Xfrmi { if_id }, gateway)
    }

    /// Makes this a route-based tunnel over an XFRM interface or a VTI device (see
    /// [`xfrmi`]): the interface is created (tagged with our reqid block, MTU from the device
    /// towards `gateway`), SAs and policies are bound to its if_id or mark, and the remote
    /// networks are routed through it. Call before the first operation.
    pub fn with_route_based(
        mut self,
        rb: &super::RouteBased,
        gateway: IpAddr,
    ) -> Result<Self, KernelError> {
        let block = super::owner::block_of_reqid(*self.ownership.reqids.start()).unwrap_or(0);
        let link_mtu = self
            .routes
            .as_mut()
            .and_then(|r| r.path_to(gateway).ok())
            .and_then(|(oif, _)| xfrmi::link_mtu(oif).ok().flatten())
            .unwrap_or(xfrmi::FALLBACK_LINK_MTU);
        let mtu = xfrmi::interface_mtu(link_mtu, gateway.is_ipv6());
        match rb {
            super::RouteBased::Xfrmi { if_id } => {
                self.interface = Some(XfrmInterface::create(*if_id, mtu, block)?);
                self.binding.if_id = Some(*if_id);
            }
            super::RouteBased::Vti { name, mark, local } => {
                self.interface = Some(XfrmInterface::create_vti(
                    name, *local, gateway, mark.0, mtu, block,
                )?);
                self.binding.mark = Some(*mark);
            }
        }
        Ok(self)
    }

    /// The MTU inside a policy-based tunnel to `gateway` over ESP `cipher` (see [`mtu`]):
    /// the MTU of the device towards the gateway less the transform's overhead. `None` when
    /// the device is unknown or the result is below [`mtu::MIN_ROUTE_MTU`].
    fn route_mtu(
        &mut self,
        gateway: IpAddr,
        encap: bool,
        cipher: &ike_core::engine::EspCipher,
    ) -> Option<u32> {
        let (oif, _) = self.routes.as_mut()?.path_to(gateway).ok()?;
        let link = xfrmi::link_mtu(oif).ok().flatten()?;
        let m = mtu::route_mtu(link, gateway.is_ipv6(), encap, EspShape::of(cipher));
        tracing::debug!("MTU inside the tunnel: {m:?} (device MTU {link})");
        m
    }

    /// The XFRM interface of a route-based tunnel.
    pub fn interface(&self) -> Option<&XfrmInterface> {
        self.interface.as_ref()
    }

    /// The route layer, when enabled.
    pub fn routes(&mut self) -> Option<&mut Routes> {
        self.routes.as_mut()
    }

    /// The SAs installed through this backend and not deleted yet.
    pub fn installed_sas(&self) -> &[SaKey] {
        &self.sas
    }

    fn send(
        &mut self,
        msg: XfrmMessage,
        flags: u16,
        what: &str,
    ) -> Result<Vec<XfrmMessage>, KernelError> {
        self.sock.ask(msg, flags, what)
    }

    /// `XFRM_MSG_ALLOCSPI`.
    pub fn allocate_spi(&mut self, src: IpAddr, dst: IpAddr) -> Result<u32, KernelError> {
        let msg = xfrm::alloc_spi_message(src, dst, &self.binding);
        let what = format!("allocating an SPI for {src} -> {dst}");
        let replies = self.send(XfrmMessage::AllocSpi(msg), 0, &what)?;
        replies
            .iter()
            .find_map(|r| match r {
                XfrmMessage::AddSa(m) => Some(m.user_sa_info.id.spi),
                _ => None,
            })
            .ok_or_else(|| KernelError::Invalid(format!("{what}: the kernel sent no SPI")))
    }

    /// Installs an SA (`XFRM_MSG_UPDSA` for inbound SAs, which replaces the larval SA that
    /// SPI allocation created; `XFRM_MSG_NEWSA` otherwise).
    pub fn install_sa(
        &mut self,
        p: &SaParams<'_>,
        direction: Direction,
    ) -> Result<(), KernelError> {
        let what = format!(
            "installing the {} ESP SA 0x{:08x} {} -> {}",
            match direction {
                Direction::In => "inbound",
                _ => "outbound",
            },
            p.spi,
            p.src,
            p.dst
        );
        let mut body = xfrm::sa_message(p, &self.binding)?;
        let keepalive = self.keepalives.wanted(direction, p.dst, p.encap);
        let peer = if direction == Direction::In {
            p.src
        } else {
            p.dst
        };
        let offload_dev = self.offload_device(peer);
        if let Some(dev) = offload_dev {
            body.nlas
                .push(offload::attribute(dev, direction, p.dst.is_ipv6()));
        }
        let mut r = match keepalive {
            Some(secs) => {
                // Asked with the keepalive interval first; refused, the same SA without it.
                let mut asking = body.clone();
                keepalive::request(&mut asking, secs);
                let first = self.send_sa(&asking, direction, &what);
                xfrm::scrub_sa(&mut asking);
                match first {
                    Err(e) => {
                        self.keepalives.refused(p.spi, &e.to_string());
                        self.send_sa(&body, direction, &what)
                    }
                    ok => ok,
                }
            }
            None => self.send_sa(&body, direction, &what),
        };
        if offload_dev.is_some() {
            if let Err(e) = &r {
                self.offload_fallback(p.spi, &format!("the kernel refused it: {e}"));
                offload::strip(&mut body.nlas);
                r = self.send_sa(&body, direction, &what);
            }
        }
        xfrm::scrub_sa(&mut body);
        r?;
        self.sas.retain(|s| !(s.spi == p.spi && s.dst == p.dst));
        let key = SaKey {
            spi: p.spi,
            src: p.src,
            dst: p.dst,
            direction,
        };
        self.sas.push(key);
        if let (Some(secs), Some(e)) = (keepalive, p.encap) {
            let peer = SocketAddr::new(p.dst, e.dport);
            let reported = self
                .read_sa(&key)
                .and_then(|m| keepalive::interval_of(&m.nlas));
            self.keepalives.read_back(key, peer, secs, reported);
        } else if let (Direction::Out, Some(e)) = (direction, p.encap) {
            self.keepalives.not_asked(SocketAddr::new(p.dst, e.dport));
        }
        if let Some(dev) = offload_dev {
            match self.read_sa(&key).map(|m| offload::device_of(&m.nlas)) {
                Some(Some(d)) => tracing::info!(
                    "ESP SA 0x{:08x}: crypto offloaded to device {}",
                    p.spi,
                    xfrmi::link_name(d).unwrap_or_else(|| d.to_string())
                ),
                _ => self.offload_fallback(
                    p.spi,
                    &format!(
                        "device {} cannot offload ESP",
                        xfrmi::link_name(dev).unwrap_or_else(|| dev.to_string())
                    ),
                ),
            }
        }
        Ok(())
    }

    /// Sends an SA: inbound SAs update the larval SA of their SPI (or are added when it is
    /// gone), outbound SAs are added.
    fn send_sa(
        &mut self,
        body: &xfrm::ModifyMessage,
        direction: Direction,
        what: &str,
    ) -> Result<(), KernelError> {
        let first = if direction == Direction::In {
            XfrmMessage::UpdateSa(body.clone())
        } else {
            XfrmMessage::AddSa(body.clone())
        };
        let r = self.send(first, 0, what).map(|_| ());
        if direction == Direction::In && r.as_ref().err().is_some_and(is_gone) {
            // No larval SA (its 30 s acquire lifetime passed, or the SPI came from elsewhere).
            return self
                .send(
                    XfrmMessage::AddSa(body.clone()),
                    NLM_F_CREATE | NLM_F_EXCL,
                    what,
                )
                .map(|_| ());
        }
        r
    }

    /// The device to ask offload from for SAs with `peer` (the route towards it), when the
    /// profile asks for offload.
    fn offload_device(&mut self, peer: IpAddr) -> Option<u32> {
        if self.offload == Offload::No {
            return None;
        }
        match self.routes.as_mut().map(|r| r.path_to(peer)) {
            Some(Ok((oif, _))) => Some(oif),
            Some(Err(e)) => {
                tracing::warn!("nic-offload: {e}; using software ESP");
                None
            }
            None => None,
        }
    }

    fn offload_fallback(&self, spi: u32, why: &str) {
        if self.offload == Offload::Yes {
            tracing::warn!("ESP SA 0x{spi:08x}: no NIC offload ({why}); using software ESP");
        } else {
            tracing::debug!("ESP SA 0x{spi:08x}: no NIC offload ({why}); using software ESP");
        }
    }

    /// The kernel's view of one of our SAs (`XFRM_MSG_GETSA`).
    fn read_sa(&mut self, sa: &SaKey) -> Option<xfrm::ModifyMessage> {
        let mut msg = xfrm::delete_sa_message(sa.spi, sa.src, sa.dst, &self.binding);
        msg.nlas.retain(|a| !matches!(a, XfrmAttrs::SrcAddr(_)));
        match self.send(XfrmMessage::GetSa(msg), 0, "reading an SA") {
            Ok(replies) => replies.into_iter().find_map(|m| match m {
                XfrmMessage::AddSa(m) => Some(m),
                _ => None,
            }),
            Err(_) => None,
        }
    }

    /// Deletes an SA; one that is already gone counts as deleted.
    pub fn delete_sa(&mut self, spi: u32, src: IpAddr, dst: IpAddr) -> Result<(), KernelError> {
        let msg = xfrm::delete_sa_message(spi, src, dst, &self.binding);
        let what = format!("deleting the ESP SA 0x{spi:08x} {src} -> {dst}");
        match self.send(XfrmMessage::DeleteSa(msg), 0, &what) {
            Ok(_) => {}
            Err(e) if is_gone(&e) => tracing::debug!("{what}: already gone"),
            Err(e) => return Err(e),
        }
        self.sas.retain(|s| !(s.spi == spi && s.dst == dst));
        self.keepalives.forget(spi, dst);
        Ok(())
    }

    /// Installs the policies of one traffic-selector pair (one per prefix pair).
    #[allow(clippy::too_many_arguments)]
    pub fn install_policies(
        &mut self,
        reqid: u32,
        dir: Direction,
        sels: &[SelectorSpec],
        tmpl_src: IpAddr,
        tmpl_dst: IpAddr,
        mode: ike_core::engine::Mode,
    ) -> Result<(), KernelError> {
        for sel in sels {
            let p = PolicyParams {
                reqid,
                dir,
                sel: *sel,
                tmpl_src,
                tmpl_dst,
                mode,
                priority_base: self.priority_base,
            };
            let body = xfrm::policy_message(&p, &self.binding);
            let what = format!(
                "installing the {dir:?} policy {}/{} -> {}/{}",
                sel.src.0, sel.src.1, sel.dst.0, sel.dst.1
            );
            match self.send(
                XfrmMessage::AddPolicy(body.clone()),
                NLM_F_CREATE | NLM_F_EXCL,
                &what,
            ) {
                Ok(_) => {}
                Err(e) if e.errno() == Some(libc::EEXIST) => {
                    // Replace it only if it is ours (a restart, a rekey with the same
                    // selectors); never take over another daemon's policy.
                    match self.policy_owner(dir, sel)? {
                        Some(r) if self.ownership.owns_reqid(r) => {
                            self.send(XfrmMessage::UpdatePolicy(body), 0, &what)?;
                        }
                        _ => {
                            return Err(KernelError::Invalid(format!(
                                "{what}: a policy with these selectors already exists and belongs to another IPsec service"
                            )))
                        }
                    }
                }
                Err(e) => return Err(e),
            }
            if !self.policies.contains(&(dir, *sel)) {
                self.policies.push((dir, *sel));
            }
        }
        Ok(())
    }

    /// The reqid of the first template of the policy with these selectors, if any.
    fn policy_owner(
        &mut self,
        dir: Direction,
        sel: &SelectorSpec,
    ) -> Result<Option<u32>, KernelError> {
        let msg = xfrm::delete_policy_message(dir, sel, &self.binding);
        let replies = match self.send(XfrmMessage::GetPolicy(msg), 0, "looking up a policy") {
            Ok(r) => r,
            Err(e) if is_gone(&e) => return Ok(None),
            Err(e) => return Err(e),
        };
        Ok(replies.iter().find_map(|r| match r {
            XfrmMessage::AddPolicy(p) => template_reqid(&p.nlas),
            _ => None,
        }))
    }

    /// Deletes policies; ones already gone count as deleted. Each policy is looked up first
    /// and deleted only while its template still carries one of our reqids: a policy with the
    /// same selectors that another daemon or connection installed since is left alone.
    pub fn delete_policies(
        &mut self,
        dir: Direction,
        sels: &[SelectorSpec],
    ) -> Result<(), KernelError> {
        let mut first_err = None;
        for sel in sels {
            let what = format!(
                "deleting the {dir:?} policy {}/{} -> {}/{}",
                sel.src.0, sel.src.1, sel.dst.0, sel.dst.1
            );
            match self.policy_owner(dir, sel) {
                Ok(owner) => match may_delete_policy(owner, &self.ownership) {
                    PolicyCheck::Ours => {}
                    PolicyCheck::Gone => {
                        tracing::debug!("{what}: already gone");
                        self.policies.retain(|p| p != &(dir, *sel));
                        continue;
                    }
                    PolicyCheck::NotOurs(r) => {
                        tracing::warn!(
                            "{what}: left alone, it now belongs to someone else (reqid {r:#x})"
                        );
                        self.policies.retain(|p| p != &(dir, *sel));
                        continue;
                    }
                },
                Err(e) => {
                    first_err.get_or_insert(e);
                    continue;
                }
            }
            let msg = xfrm::delete_policy_message(dir, sel, &self.binding);
            match self.send(XfrmMessage::DeletePolicy(msg), 0, &what) {
                Ok(_) => {}
                Err(e) if is_gone(&e) => tracing::debug!("{what}: already gone"),
                Err(e) => {
                    first_err.get_or_insert(e);
                    continue;
                }
            }
            self.policies.retain(|p| p != &(dir, *sel));
        }
        match first_err {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Byte and packet counters of every SA we installed.
    pub fn counters(&mut self) -> Vec<SaCounters> {
        let sas = self.sas.clone();
        let mut out = Vec::new();
        for sa in sas {
            if let Some(m) = self.read_sa(&sa) {
                out.push(SaCounters {
                    sa,
                    bytes: m.user_sa_info.lifetime_cur.bytes,
                    packets: m.user_sa_info.lifetime_cur.packets,
                });
            }
        }
        out
    }

    /// Removes everything this backend installed (disconnect, SIGTERM).
    pub fn remove_all(&mut self) {
        if let Some(r) = self.routes.as_mut() {
            r.remove_all();
        }
        let policies = std::mem::take(&mut self.policies);
        for (dir, sel) in policies {
            if let Err(e) = self.delete_policies(dir, &[sel]) {
                tracing::warn!("{e}");
            }
        }
        let sas = std::mem::take(&mut self.sas);
        self.keepalives.forget_all();
        for sa in sas {
            if let Err(e) = self.delete_sa(sa.spi, sa.src, sa.dst) {
                tracing::warn!("{e}");
            }
        }
        self.remove_larvals();
        if let Some(i) = self.interface.as_mut() {
            i.remove();
        }
    }

    /// Moves a Child SA's SAs and policies (see [`migrate`]); its SAs' records follow, and
    /// a policy-based tunnel's routes are added again through the new path (the kernel drops
    /// those of a device that goes down).
    pub fn migrate(&mut self, m: &migrate::Move<'_>, spis: (u32, u32)) -> Result<(), KernelError> {
        for (dir, sel, msg) in migrate::messages(m, &self.binding) {
            let what = format!(
                "moving the {dir:?} policy {}/{} -> {}/{} and its SA to {} -> {}",
                sel.src.0, sel.src.1, sel.dst.0, sel.dst.1, m.new_local, m.new_remote
            );
            match self.send(XfrmMessage::Migrate(msg.clone()), 0, &what) {
                Ok(_) => {}
                // The policy's template moved already (a rekeyed Child SA sharing it): name the
                // template's addresses as well, so that the kernel finds it.
                Err(e) if e.errno() == Some(libc::ENODATA) => {
                    self.send(
                        XfrmMessage::Migrate(migrate::with_moved_template(msg)),
                        0,
                        &what,
                    )?;
                }
                Err(e) => return Err(e),
            }
        }
        for k in &mut self.sas {
            if k.spi == spis.0 && k.direction == Direction::In {
                (k.src, k.dst) = (m.new_remote, m.new_local);
            } else if k.spi == spis.1 && k.direction == Direction::Out {
                (k.src, k.dst) = (m.new_local, m.new_remote);
            }
        }
        if m.mode == ike_core::engine::Mode::Tunnel && self.interface.is_none() {
            if let Some(r) = self.routes.as_mut() {
                let sels = migrate::policy_selectors(m, Direction::Out);
                let (nets, src) = route_targets(&sels);
                let nets = routed(nets, self.pushed.as_deref());
                let src = src.or_else(|| subnet_source(&sels, &route::local_addresses()));
                r.remove_tunnel(&nets);
                r.add_tunnel(&nets, src, m.new_remote, self.tunnel_mtu)?;
            }
        }
        Ok(())
    }

    /// Dumps all SAs (`XFRM_MSG_GETSA` with `NLM_F_DUMP`).
    pub fn dump_sas(
        &mut self,
    ) -> Result<Vec<netlink_packet_xfrm::state::ModifyMessage>, KernelError> {
        let msg = XfrmMessage::GetDumpSa(netlink_packet_xfrm::state::GetDumpMessage::default());
        Ok(self
            .send(msg, NLM_F_DUMP, "listing SAs")?
            .into_iter()
            .filter_map(|m| match m {
                XfrmMessage::AddSa(s) => Some(s),
                _ => None,
            })
            .collect())
    }

    /// Dumps all global policies (`XFRM_MSG_GETPOLICY` with `NLM_F_DUMP`), without socket
    /// policies.
    pub fn dump_policies(
        &mut self,
    ) -> Result<Vec<netlink_packet_xfrm::policy::ModifyMessage>, KernelError> {
        let msg = XfrmMessage::GetPolicy(netlink_packet_xfrm::policy::DelGetMessage::default());
        Ok(self
            .send(msg, NLM_F_DUMP, "listing policies")?
            .into_iter()
            .filter_map(|m| match m {
                // Socket policies (IKE bypass) are listed with directions 3 and up.
                XfrmMessage::AddPolicy(p) if p.user_policy_info.direction <= 2 => Some(p),
                _ => None,
            })
            .collect())
    }

    /// Sends a raw XFRM message (cleanup, tests).
    pub fn send_raw(
        &mut self,
        msg: XfrmMessage,
        flags: u16,
        what: &str,
    ) -> Result<Vec<XfrmMessage>, KernelError> {
        self.send(msg, flags, what)
    }

    fn execute_op(&mut self, op: &KernelOp) -> Result<Option<KernelEvent>, KernelError> {
        match op {
            KernelOp::AllocateSpi { request, src, dst } => {
                let spi = self.allocate_spi(*src, *dst)?;
                Ok(Some(KernelEvent::SpiAllocated {
                    request: *request,
                    spi,
                }))
            }
            KernelOp::InstallSa {
                reqid,
                spi,
                direction,
                src,
                dst,
                mode,
                encap,
                cipher,
                esn,
                replay_window,
                lifetime,
                selector,
                ..
            } => {
                if *direction == Direction::Out
                    && *mode == ike_core::engine::Mode::Tunnel
                    && self.interface.is_none()
                {
                    self.tunnel_mtu = self.route_mtu(*dst, encap.is_some(), cipher);
                }
                let p = SaParams {
                    reqid: *reqid,
                    spi: *spi,
                    src: *src,
                    dst: *dst,
                    mode: *mode,
                    encap: *encap,
                    cipher,
                    esn: *esn,
                    replay_window: *replay_window,
                    lifetime: *lifetime,
                    selector: selector.as_ref().map(|(s, d)| (s, d)),
                };
                self.install_sa(&p, *direction).map(|()| None)
            }
            KernelOp::DeleteSa { spi, dst, src, .. } => {
                // The SA's totals, before they are gone (status output at rekey and close).
                if let Some(key) = self.sas.iter().find(|k| k.spi == *spi && k.dst == *dst) {
                    let key = *key;
                    if let Some(m) = self.read_sa(&key) {
                        log_sa_counters(&SaCounters {
                            sa: key,
                            bytes: m.user_sa_info.lifetime_cur.bytes,
                            packets: m.user_sa_info.lifetime_cur.packets,
                        });
                    }
                }
                self.delete_sa(*spi, *src, *dst).map(|()| None)
            }
            KernelOp::InstallPolicy {
                reqid,
                dir,
                src_ts,
                dst_ts,
                tmpl_src,
                tmpl_dst,
                mode,
                ..
            } => {
                let sels = xfrm::selectors(src_ts, dst_ts);
                self.install_policies(*reqid, *dir, &sels, *tmpl_src, *tmpl_dst, *mode)?;
                if *dir == Direction::Out && *mode == ike_core::engine::Mode::Tunnel {
                    let dev = self.interface.as_ref().map(|i| i.index);
                    if let Some(r) = self.routes.as_mut() {
                        let (nets, src) = route_targets(&sels);
                        let nets = routed(nets, self.pushed.as_deref());
                        let src = src.or_else(|| subnet_source(&sels, &route::local_addresses()));
                        match dev {
                            Some(d) => r.add_tunnel_dev(&nets, src, *tmpl_dst, d)?,
                            None => r.add_tunnel(&nets, src, *tmpl_dst, self.tunnel_mtu)?,
                        }
                    }
                }
                Ok(None)
            }
            KernelOp::MigrateSa {
                reqid,
                spi_in,
                spi_out,
                mode,
                local_ts,
                remote_ts,
                old_local,
                old_remote,
                new_local,
                new_remote,
                encap,
                ..
            } => {
                let m = migrate::Move {
                    reqid: *reqid,
                    mode: *mode,
                    local_ts,
                    remote_ts,
                    old_local: *old_local,
                    old_remote: *old_remote,
                    new_local: *new_local,
                    new_remote: *new_remote,
                    encap: *encap,
                    fwd: *mode == ike_core::engine::Mode::Tunnel,
                };
                self.migrate(&m, (*spi_in, *spi_out)).map(|()| None)
            }
            KernelOp::DeletePolicy {
                dir,
                src_ts,
                dst_ts,
                ..
            } => {
                let sels = xfrm::selectors(src_ts, dst_ts);
                if *dir == Direction::Out {
                    if let Some(r) = self.routes.as_mut() {
                        r.remove_tunnel(&routed(route_targets(&sels).0, self.pushed.as_deref()));
                    }
                }
                self.delete_policies(*dir, &sels).map(|()| None)
            }
        }
    }
}

/// The networks routed for the remote prefixes `nets` of a policy: with subnets the gateway
/// pushed (split include), those of them inside `nets` (see [`split::select`]).
fn routed(nets: Vec<(IpAddr, u8)>, pushed: Option<&[(IpAddr, u8)]>) -> Vec<(IpAddr, u8)> {
    match pushed {
        Some(p) => split::select(&nets, p).routes,
        None => nets,
    }
}

/// The remote prefixes of outbound selectors, and the inner source address when the local
/// side is a single address (a virtual IP, or our own address).
fn route_targets(sels: &[SelectorSpec]) -> (Vec<(IpAddr, u8)>, Option<IpAddr>) {
    let mut nets: Vec<(IpAddr, u8)> = Vec::new();
    for s in sels {
        if !nets.contains(&s.dst) {
            nets.push(s.dst);
        }
    }
    let src = sels.first().and_then(|s| {
        let host = if s.src.0.is_ipv4() { 32 } else { 128 };
        (s.src.1 == host && sels.iter().all(|o| o.src == s.src)).then_some(s.src.0)
    });
    (nets, src)
}

/// The source address for the routes of a tunnel whose local side is a subnet (site to site,
/// no virtual IP): one of this host's own addresses inside every local prefix, so packets the
/// host itself originates match the policy instead of leaving in plaintext from the outer
/// address. `None` when the host has no such address (it then only forwards for the subnet).
fn subnet_source(sels: &[SelectorSpec], local: &[IpAddr]) -> Option<IpAddr> {
    local
        .iter()
        .copied()
        .find(|a| !sels.is_empty() && sels.iter().all(|s| route::contains(s.src, *a)))
}

/// What a policy lookup before a deletion found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyCheck {
    /// Its template carries one of our reqids: delete it.
    Ours,
    /// No such policy (already gone).
    Gone,
    /// Someone else's (this reqid): leave it.
    NotOurs(u32),
}

/// Whether the policy whose template reqid is `owner` (`None`: no policy, or no template)
/// may be deleted by the holder of `ownership`.
pub fn may_delete_policy(owner: Option<u32>, ownership: &Ownership) -> PolicyCheck {
    match owner {
        None => PolicyCheck::Gone,
        Some(r) if ownership.owns_reqid(r) => PolicyCheck::Ours,
        Some(r) => PolicyCheck::NotOurs(r),
    }
}

/// The reqid of the first template of a policy.
pub fn template_reqid(nlas: &[XfrmAttrs]) -> Option<u32> {
    nlas.iter().find_map(|a| match a {
        XfrmAttrs::Template(t) => t.first().map(|t| t.reqid),
        _ => None,
    })
}

fn request_of(op: &KernelOp) -> ike_core::engine::KernelRequest {
    match op {
        KernelOp::AllocateSpi { request, .. }
        | KernelOp::InstallSa { request, .. }
        | KernelOp::DeleteSa { request, .. }
        | KernelOp::InstallPolicy { request, .. }
        | KernelOp::MigrateSa { request, .. }
        | KernelOp::DeletePolicy { request, .. } => *request,
    }
}

impl Kernel for XfrmKernel {
    fn execute(&mut self, op: &KernelOp) -> Option<KernelEvent> {
        match self.execute_op(op) {
            Ok(ev) => ev,
            Err(e) => {
                tracing::warn!("kernel: {e}");
                Some(KernelEvent::OpFailed {
                    request: request_of(op),
                    error: e.to_string(),
                })
            }
        }
    }

    fn waiting_for_address(&self) -> bool {
        self.routes.as_ref().is_some_and(Routes::has_pending)
    }

    fn pushed_subnets(&mut self, subnets: &[(IpAddr, u8)]) {
        if !self.split_include {
            return;
        }
        self.pushed = (!subnets.is_empty()).then(|| subnets.to_vec());
    }

    fn poll_events(&mut self) -> Vec<KernelEvent> {
        if let Some(r) = self.routes.as_mut() {
            r.retry_pending();
        }
        let Some(sock) = self.events.as_mut() else {
            return Vec::new();
        };
        let msgs = match sock.poll::<XfrmMessage>() {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!("reading XFRM events: {e}");
                return Vec::new();
            }
        };
        let mut out = Vec::new();
        for m in msgs {
            if let netlink_packet_core::NetlinkPayload::InnerMessage(XfrmMessage::Expire(x)) =
                m.payload
            {
                let st = &x.expire.state;
                // A larval SA (SPI 0) of an ACQUIRE that timed out is no SA of the engine's.
                if !self.ownership.owns_reqid(st.reqid) || st.id.spi == 0 {
                    continue;
                }
                let hard = x.expire.hard != 0;
                if hard {
                    let spi = st.id.spi;
                    for k in self.sas.iter().filter(|s| s.spi == spi) {
                        self.keepalives.forget(spi, k.dst);
                    }
                    self.sas.retain(|s| s.spi != spi);
                }
                out.push(KernelEvent::SaExpired {
                    spi: st.id.spi,
                    hard,
                });
            }
        }
        out
    }

    fn cleanup(&mut self) {
        self.remove_all();
    }

    fn poll_acquires(&mut self, cx: &mut Context<'_>) -> Poll<Vec<Acquire>> {
        let Some(sock) = self.acquires.as_mut() else {
            return Poll::Pending;
        };
        // Everything queued, until the socket would block (which registers the waker).
        let mut datagrams = Vec::new();
        loop {
            match sock.poll_recv_from_full(cx) {
                Poll::Ready(Ok((data, from))) if !data.is_empty() => {
                    datagrams.push((from.port_number(), data));
                }
                Poll::Ready(Ok(_)) => {}
                Poll::Ready(Err(e)) => {
                    // ENOBUFS (messages were lost) and the like: the next packet is reported
                    // again; the loop polls again on its next turn.
                    tracing::warn!("reading XFRM acquire messages: {e}");
                    break;
                }
                Poll::Pending => break,
            }
        }
        let ours = acquire::from_datagrams(datagrams, &self.ownership, &self.binding);
        if ours.is_empty() {
            Poll::Pending
        } else {
            Poll::Ready(ours)
        }
    }

    fn remove_larvals(&mut self) {
        XfrmKernel::remove_larvals(self);
    }

    fn counters(&mut self) -> Vec<SaCounters> {
        XfrmKernel::counters(self)
    }

    fn tunnel_device(&self) -> Option<(String, u32)> {
        self.interface.as_ref().map(|i| (i.name.clone(), i.mtu))
    }

    fn behind_nat(&mut self, peer: SocketAddr) {
        self.keepalives.behind_nat(peer);
    }

    fn kernel_keepalives(&self, peer: SocketAddr) -> bool {
        self.keepalives.covers(peer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sel(src: &str, len: u8) -> SelectorSpec {
        SelectorSpec {
            src: (src.parse().unwrap(), len),
            dst: ("10.3.0.0".parse().unwrap(), 16),
            proto: 0,
            sport: None,
            dport: None,
        }
    }

    #[test]
    fn only_policies_still_carrying_our_reqid_are_deleted() {
        let own = Ownership::block(3);
        let base = super::super::owner::block_base(3);
        assert_eq!(may_delete_policy(Some(base + 7), &own), PolicyCheck::Ours);
        assert_eq!(may_delete_policy(None, &own), PolicyCheck::Gone);
        assert_eq!(may_delete_policy(Some(7), &own), PolicyCheck::NotOurs(7));
        // Another connection's block is not ours either.
        let other = super::super::owner::block_base(4);
        assert_eq!(
            may_delete_policy(Some(other), &own),
            PolicyCheck::NotOurs(other)
        );
    }

    #[test]
    fn site_to_site_routes_take_a_source_inside_the_local_subnet() {
        let local: Vec<IpAddr> = ["192.0.2.1", "10.1.0.1"]
            .iter()
            .map(|a| a.parse().unwrap())
            .collect();
        let sels = [sel("10.1.0.0", 16)];
        assert_eq!(route_targets(&sels).1, None);
        assert_eq!(subnet_source(&sels, &local), Some(local[1]));
        // Two local prefixes: the address must be inside both.
        let two = [sel("10.1.0.0", 16), sel("10.1.0.0", 24)];
        assert_eq!(subnet_source(&two, &local), Some(local[1]));
        let disjoint = [sel("10.1.0.0", 16), sel("10.9.0.0", 16)];
        assert_eq!(subnet_source(&disjoint, &local), None);
        // A host with no address in the subnet (a router for it) gets no source.
        assert_eq!(subnet_source(&[sel("10.7.0.0", 16)], &local), None);
        assert_eq!(subnet_source(&[], &local), None);
    }
}
