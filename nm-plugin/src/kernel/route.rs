//! Routes and rules for policy-based tunnels: the TunnelVision defence (CVE-2024-3661).
//!
//! A rogue DHCP option 121 or RA route on the LAN can be more specific than the VPN's route
//! in `main`; the kernel then picks the LAN interface and its address as the source, the
//! outbound XFRM policy (selector: our virtual address) no longer matches, and the traffic
//! leaves in plaintext. So the remote networks of every tunnel-mode Child SA are routed in a
//! dedicated table (default [`DEFAULT_TABLE`] = 2749), looked up by a rule of priority
//! [`DEFAULT_RULE_PRIORITY`] (2749), ahead of `main` (32766) and of any table NetworkManager
//! uses for the VPN (`ipv4.route-table`) unless the user placed rules before ours:
//!
//! ```text
//! 2749: from all lookup 2749 proto 78
//! table 2749: 10.2.0.0/16 via <next hop to the gateway> dev <its device> src <virtual IP> proto 78 metric <block>
//!             throw 198.51.100.7 proto 78 metric <block>         (the gateway, when a remote network contains it)
//!             throw 198.51.100.7 proto 78 metric <64 + block>    (the gateway, while the connection lives)
//! ```
//!
//! - The next hop is the one the kernel uses for the gateway when the tunnel comes up, so the
//!   inner packets leave towards the gateway and XFRM transforms them; the `src` is the
//!   virtual address, so the policy matches whatever `main` says.
//! - IKE and ESP to the gateway keep the physical route: the table holds no route for the
//!   gateway unless a remote network covers it (full tunnel), and then a `throw` route sends
//!   the lookup on to the next rule (`main`). The IKE sockets bypass the policies anyway.
//! - A virtual address that is not on an interface yet (NetworkManager adds it after our
//!   `Ip4Config`) gets a **blackhole** route first: traffic to the remote network fails
//!   closed instead of leaking until the address appears, then the route is replaced by the
//!   real one ([`Routes::retry_pending`], called every loop turn; the loop turns every few
//!   milliseconds while a blackhole waits, see `Kernel::waiting_for_address`).
//! - Each connection's own gateway is exempt from every tunnel route in the table, its own
//!   and other connections' alike ([`Routes::exempt_gateway`]): before its first IKE datagram
//!   and before its local address is looked up, a connection puts `throw <gateway>/32` (or
//!   `/128`) into the table, which stays until the connection ends. Without it a second
//!   connection whose gateway lies inside the remote networks of a first one (two OCI tunnels,
//!   both `0.0.0.0/0`) would send its IKE, and then its ESP, into the first tunnel and never
//!   reach its gateway.
//! - Ownership: routes and the rule carry protocol [`ROUTE_PROTOCOL`] (78, unassigned in
//!   `rt_protos`); a route's metric is the reqid block of the process that installed it
//!   (a gateway exemption: the block plus [`EXEMPTION_METRIC_BASE`], so that it is a route
//!   of its own next to the tunnel's throw route for the same gateway), so the residue
//!   cleanup of one process never removes the routes of another live one
//!   ([`block_of_metric`]). The rule is shared by all connections using the table; it is
//!   removed when the last of our routes in the table is gone.

use super::netlink::NlSocket;
use super::KernelError;
use netlink_packet_core::{NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL, NLM_F_REPLACE};
use netlink_packet_route::route::{
    RouteAddress, RouteAttribute, RouteHeader, RouteMessage, RouteMetric, RouteProtocol,
    RouteScope, RouteType,
};
use netlink_packet_route::rule::{RuleAction, RuleAttribute, RuleMessage};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use std::net::IpAddr;

/// Default table for the tunnels' routes (the `route-table` key).
pub const DEFAULT_TABLE: u32 = 2749;
/// Default priority of the rule that looks the table up (the `route-rule-priority` key).
pub const DEFAULT_RULE_PRIORITY: u32 = 2749;
/// `rtm_protocol` of our routes and `FRA_PROTOCOL` of our rule.
pub const ROUTE_PROTOCOL: u8 = 78;

/// Added to a process's reqid block to make the metric of its gateway exemption (see
/// [`Routes::exempt_gateway`]): metrics below it are tunnel routes of block `metric`, metrics
/// from it up to twice it the exemption of block `metric - EXEMPTION_METRIC_BASE`.
pub const EXEMPTION_METRIC_BASE: u32 = super::owner::BLOCKS;

/// The reqid block that owns one of our routes with metric `metric` (a tunnel route or a
/// gateway exemption); `None` for a metric none of our processes uses.
pub fn block_of_metric(metric: u32) -> Option<u32> {
    if metric < EXEMPTION_METRIC_BASE {
        Some(metric)
    } else if metric - EXEMPTION_METRIC_BASE < super::owner::BLOCKS {
        Some(metric - EXEMPTION_METRIC_BASE)
    } else {
        None
    }
}

/// Where routes go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteConfig {
    /// Routing table.
    pub table: u32,
    /// Rule priority.
    pub priority: u32,
    /// Metric of our routes: the owner's reqid block.
    pub metric: u32,
}

impl Default for RouteConfig {
    fn default() -> Self {
        RouteConfig {
            table: DEFAULT_TABLE,
            priority: DEFAULT_RULE_PRIORITY,
            metric: 0,
        }
    }
}

/// One route we installed.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Installed {
    dst: (IpAddr, u8),
    kind: Kind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    /// A route towards the gateway's next hop.
    Via {
        oif: u32,
        gateway: Option<IpAddr>,
        src: Option<IpAddr>,
        /// `RTAX_MTU`: the MTU inside the tunnel (see [`super::mtu`]).
        mtu: Option<u32>,
    },
    /// Until `src` is a local address.
    Blackhole {
        src: IpAddr,
        oif: u32,
        gateway: Option<IpAddr>,
        mtu: Option<u32>,
    },
    /// The gateway itself: continue with the next rule.
    Throw,
}

/// The routes and rules of one process.
pub struct Routes {
    sock: NlSocket,
    /// Table, priority, metric.
    pub cfg: RouteConfig,
    installed: Vec<Installed>,
    /// When the last blackhole route was installed.
    blackholed_at: Option<std::time::Instant>,
}

/// How long [`Routes::has_pending`] asks for quick retries after a blackhole was installed.
pub const FAST_RETRY_FOR: std::time::Duration = std::time::Duration::from_secs(30);

fn family(a: IpAddr) -> AddressFamily {
    if a.is_ipv4() {
        AddressFamily::Inet
    } else {
        AddressFamily::Inet6
    }
}

fn host_len(a: IpAddr) -> u8 {
    if a.is_ipv4() {
        32
    } else {
        128
    }
}

/// Whether `a` is an address of this host (binding a UDP socket to it works).
pub fn is_local(a: IpAddr) -> bool {
    std::net::UdpSocket::bind((a, 0)).is_ok()
}

/// This host's own unicast addresses (loopback and link-local left out), in interface order.
pub fn local_addresses() -> Vec<IpAddr> {
    let Ok(addrs) = nix::ifaddrs::getifaddrs() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for a in addrs {
        let Some(sa) = a.address else { continue };
        let ip = if let Some(v4) = sa.as_sockaddr_in() {
            IpAddr::V4(v4.ip())
        } else if let Some(v6) = sa.as_sockaddr_in6() {
            IpAddr::V6(v6.ip())
        } else {
            continue;
        };
        let link_local = match ip {
            IpAddr::V4(v) => v.is_link_local(),
            IpAddr::V6(v) => v.is_unicast_link_local(),
        };
        if !ip.is_loopback() && !ip.is_unspecified() && !link_local && !out.contains(&ip) {
            out.push(ip);
        }
    }
    out
}

/// Whether prefix `(net, len)` contains `a`.
pub fn contains(net: (IpAddr, u8), a: IpAddr) -> bool {
    match (net.0, a) {
        (IpAddr::V4(n), IpAddr::V4(x)) => {
            let len = u32::from(net.1.min(32));
            let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
            u32::from(n) & mask == u32::from(x) & mask
        }
        (IpAddr::V6(n), IpAddr::V6(x)) => {
            let len = u32::from(net.1.min(128));
            let mask = if len == 0 {
                0
            } else {
                u128::MAX << (128 - len)
            };
            u128::from(n) & mask == u128::from(x) & mask
        }
        _ => false,
    }
}

fn table_header(h: &mut RouteHeader, table: u32) {
    h.table = u8::try_from(table).unwrap_or(RouteHeader::RT_TABLE_UNSPEC);
}

/// The `RTM_NEWROUTE`/`RTM_DELROUTE` body of one of our routes.
fn route_message(cfg: &RouteConfig, r: &Installed) -> RouteMessage {
    let mut m = RouteMessage::default();
    m.header.address_family = family(r.dst.0);
    m.header.destination_prefix_length = r.dst.1;
    m.header.protocol = RouteProtocol::from(ROUTE_PROTOCOL);
    table_header(&mut m.header, cfg.table);
    m.attributes.push(RouteAttribute::Table(cfg.table));
    m.attributes
        .push(RouteAttribute::Destination(RouteAddress::from(r.dst.0)));
    m.attributes.push(RouteAttribute::Priority(cfg.metric));
    match &r.kind {
        Kind::Via {
            oif,
            gateway,
            src,
            mtu,
        } => {
            m.header.kind = RouteType::Unicast;
            m.header.scope = if gateway.is_some() {
                RouteScope::Universe
            } else {
                RouteScope::Link
            };
            m.attributes.push(RouteAttribute::Oif(*oif));
            if let Some(g) = gateway {
                m.attributes
                    .push(RouteAttribute::Gateway(RouteAddress::from(*g)));
            }
            if let Some(s) = src {
                m.attributes
                    .push(RouteAttribute::PrefSource(RouteAddress::from(*s)));
            }
            if let Some(mtu) = mtu {
                m.attributes
                    .push(RouteAttribute::Metrics(vec![RouteMetric::Mtu(*mtu)]));
            }
        }
        Kind::Blackhole { .. } => {
            m.header.kind = RouteType::BlackHole;
            m.header.scope = RouteScope::Universe;
        }
        Kind::Throw => {
            m.header.kind = RouteType::Throw;
            m.header.scope = RouteScope::Universe;
        }
    }
    m
}

/// The `RTM_NEWRULE`/`RTM_DELRULE` body of our rule for `fam`.
pub fn rule_message(cfg: &RouteConfig, fam: AddressFamily) -> RuleMessage {
    let mut m = RuleMessage::default();
    m.header.family = fam;
    m.header.action = RuleAction::ToTable;
    m.header.table = u8::try_from(cfg.table).unwrap_or(0);
    m.attributes.push(RuleAttribute::Table(cfg.table));
    m.attributes.push(RuleAttribute::Priority(cfg.priority));
    m.attributes
        .push(RuleAttribute::Protocol(RouteProtocol::from(ROUTE_PROTOCOL)));
    m
}

fn route_table(m: &RouteMessage) -> u32 {
    m.attributes
        .iter()
        .find_map(|a| match a {
            RouteAttribute::Table(t) => Some(*t),
            _ => None,
        })
        .unwrap_or(u32::from(m.header.table))
}

fn route_metric(m: &RouteMessage) -> u32 {
    m.attributes
        .iter()
        .find_map(|a| match a {
            RouteAttribute::Priority(p) => Some(*p),
            _ => None,
        })
        .unwrap_or(0)
}

fn rule_table(m: &RuleMessage) -> u32 {
    m.attributes
        .iter()
        .find_map(|a| match a {
            RuleAttribute::Table(t) => Some(*t),
            _ => None,
        })
        .unwrap_or(u32::from(m.header.table))
}

fn is_ours_rule(m: &RuleMessage) -> bool {
    m.attributes
        .iter()
        .any(|a| matches!(a, RuleAttribute::Protocol(p) if u8::from(*p) == ROUTE_PROTOCOL))
}

fn is_gone(e: &KernelError) -> bool {
    matches!(e.errno(), Some(libc::ENOENT) | Some(libc::ESRCH))
}

impl Routes {
    /// Opens the rtnetlink socket.
    pub fn open(cfg: RouteConfig) -> Result<Self, KernelError> {
        let sock = NlSocket::open_route()?;
        Ok(Routes {
            sock,
            cfg,
            installed: Vec::new(),
            blackholed_at: None,
        })
    }

    fn send(
        &mut self,
        msg: RouteNetlinkMessage,
        flags: u16,
        what: &str,
    ) -> Result<Vec<RouteNetlinkMessage>, KernelError> {
        self.sock.ask(msg, flags, what)
    }

    /// The device and next hop the kernel uses for `dst` now.
    pub fn path_to(&mut self, dst: IpAddr) -> Result<(u32, Option<IpAddr>), KernelError> {
        let mut m = RouteMessage::default();
        m.header.address_family = family(dst);
        m.header.destination_prefix_length = host_len(dst);
        m.attributes
            .push(RouteAttribute::Destination(RouteAddress::from(dst)));
        let what = format!("looking up the route to {dst}");
        let replies = self.send(RouteNetlinkMessage::GetRoute(m), 0, &what)?;
        for r in replies {
            if let RouteNetlinkMessage::NewRoute(r) = r {
                let oif = r.attributes.iter().find_map(|a| match a {
                    RouteAttribute::Oif(o) => Some(*o),
                    _ => None,
                });
                let gw = r.attributes.iter().find_map(|a| match a {
                    RouteAttribute::Gateway(RouteAddress::Inet(g)) => Some(IpAddr::V4(*g)),
                    RouteAttribute::Gateway(RouteAddress::Inet6(g)) => Some(IpAddr::V6(*g)),
                    _ => None,
                });
                if let Some(oif) = oif {
                    return Ok((oif, gw));
                }
            }
        }
        Err(KernelError::Invalid(format!("{what}: no route")))
    }

    fn add(&mut self, r: Installed, replace: bool) -> Result<(), KernelError> {
        let what = format!(
            "adding the route {}/{} to table {}",
            r.dst.0, r.dst.1, self.cfg.table
        );
        let flags = if replace {
            NLM_F_CREATE | NLM_F_REPLACE
        } else {
            NLM_F_CREATE | NLM_F_EXCL
        };
        let msg = route_message(&self.cfg, &r);
        match self.send(RouteNetlinkMessage::NewRoute(msg.clone()), flags, &what) {
            Ok(_) => {}
            // Left by an earlier run of this block (cleanup raced) or a rekey: take it over.
            Err(e) if e.errno() == Some(libc::EEXIST) => {
                self.send(
                    RouteNetlinkMessage::NewRoute(msg),
                    NLM_F_CREATE | NLM_F_REPLACE,
                    &what,
                )?;
            }
            Err(e) => return Err(e),
        }
        self.installed.retain(|i| i.dst != r.dst);
        self.installed.push(r);
        Ok(())
    }

    fn ensure_rule(&mut self, fam: AddressFamily) -> Result<(), KernelError> {
        let what = format!(
            "adding the rule {}: lookup {}",
            self.cfg.priority, self.cfg.table
        );
        let msg = rule_message(&self.cfg, fam);
        match self.send(
            RouteNetlinkMessage::NewRule(msg),
            NLM_F_CREATE | NLM_F_EXCL,
            &what,
        ) {
            Ok(_) => Ok(()),
            Err(e) if e.errno() == Some(libc::EEXIST) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Routes `nets` (the remote side of a tunnel-mode Child SA to `gateway`) in our table,
    /// with source `inner_src` when given (see the module documentation for blackholes and
    /// throw routes), and makes sure the rule exists. `mtu`, when given, is the routes'
    /// `RTAX_MTU` (the MTU inside the tunnel, see [`super::mtu`]).
    pub fn add_tunnel(
        &mut self,
        nets: &[(IpAddr, u8)],
        inner_src: Option<IpAddr>,
        gateway: IpAddr,
        mtu: Option<u32>,
    ) -> Result<(), KernelError> {
        self.add_tunnel_via(nets, inner_src, gateway, None, mtu)
    }

    /// Like [`Routes::add_tunnel`], but through the device `dev` (an XFRM interface) instead
    /// of the gateway's next hop: `dst dev <dev> [src <inner_src>]`.
    pub fn add_tunnel_dev(
        &mut self,
        nets: &[(IpAddr, u8)],
        inner_src: Option<IpAddr>,
        gateway: IpAddr,
        dev: u32,
    ) -> Result<(), KernelError> {
        self.add_tunnel_via(nets, inner_src, gateway, Some(dev), None)
    }

    fn add_tunnel_via(
        &mut self,
        nets: &[(IpAddr, u8)],
        inner_src: Option<IpAddr>,
        gateway: IpAddr,
        dev: Option<u32>,
        mtu: Option<u32>,
    ) -> Result<(), KernelError> {
        let Some(first) = nets.first() else {
            return Ok(());
        };
        let fam = family(first.0);
        let (oif, via) = match dev {
            Some(d) => (d, None),
            None => self.path_to(gateway)?,
        };
        let src_ready = inner_src.is_none_or(is_local);
        for &dst in nets {
            if dev.is_none() && dst.0.is_ipv4() != gateway.is_ipv4() && inner_src.is_none() {
                // Inner family differs from the outer one without a source: no next hop.
                continue;
            }
            let same_family = dst.0.is_ipv4() == gateway.is_ipv4();
            let gw = if same_family { via } else { None };
            if contains(dst, gateway) {
                self.add(
                    Installed {
                        dst: (gateway, host_len(gateway)),
                        kind: Kind::Throw,
                    },
                    false,
                )?;
            }
            let kind = match inner_src {
                Some(src) if !src_ready => Kind::Blackhole {
                    src,
                    oif,
                    gateway: gw,
                    mtu,
                },
                src => Kind::Via {
                    oif,
                    gateway: gw,
                    src,
                    mtu,
                },
            };
            self.add(Installed { dst, kind }, false)?;
        }
        self.ensure_rule(fam)?;
        if !src_ready {
            self.blackholed_at = Some(std::time::Instant::now());
            tracing::info!(
                "the tunnel's networks are blackholed until {} is configured",
                inner_src.map(|s| s.to_string()).unwrap_or_default()
            );
        }
        Ok(())
    }

    /// True while a blackhole route waits for its source address, for at most
    /// [`FAST_RETRY_FOR`] after it was installed (an address that never comes must not keep
    /// the loop busy).
    pub fn has_pending(&self) -> bool {
        self.blackholed_at
            .is_some_and(|t| t.elapsed() < FAST_RETRY_FOR)
            && self
                .installed
                .iter()
                .any(|i| matches!(i.kind, Kind::Blackhole { .. }))
    }

    /// Replaces blackhole routes whose source address became local.
    pub fn retry_pending(&mut self) {
        let pending: Vec<Installed> = self
            .installed
            .iter()
            .filter(|i| matches!(&i.kind, Kind::Blackhole { src, .. } if is_local(*src)))
            .cloned()
            .collect();
        for p in pending {
            let Kind::Blackhole {
                src,
                oif,
                gateway,
                mtu,
            } = p.kind
            else {
                continue;
            };
            let r = Installed {
                dst: p.dst,
                kind: Kind::Via {
                    oif,
                    gateway,
                    src: Some(src),
                    mtu,
                },
            };
            match self.add(r, true) {
                Ok(()) => tracing::info!(
                    "{}/{} routed through the tunnel from {src} (table {})",
                    p.dst.0,
                    p.dst.1,
                    self.cfg.table
                ),
                Err(e) => tracing::warn!("{e}"),
            }
        }
    }

    fn delete(&mut self, r: &Installed) {
        let msg = route_message(&self.cfg, r);
        let what = format!(
            "deleting the route {}/{} from table {}",
            r.dst.0, r.dst.1, self.cfg.table
        );
        match self.send(RouteNetlinkMessage::DelRoute(msg), 0, &what) {
            Ok(_) => {}
            Err(e) if is_gone(&e) => {}
            Err(e) => tracing::warn!("{e}"),
        }
    }

    /// Removes the routes of `nets` (and the gateway's throw route inside them).
    pub fn remove_tunnel(&mut self, nets: &[(IpAddr, u8)]) {
        let gone: Vec<Installed> = self
            .installed
            .iter()
            .filter(|i| {
                nets.iter()
                    .any(|n| i.dst == *n || (i.kind == Kind::Throw && contains(*n, i.dst.0)))
            })
            .cloned()
            .collect();
        for g in gone {
            self.delete(&g);
            self.installed.retain(|i| i != &g);
        }
        self.drop_unused_rules();
    }

    /// Removes everything this process installed; the rule too when no route of ours is
    /// left in the table.
    pub fn remove_all(&mut self) {
        for r in std::mem::take(&mut self.installed) {
            self.delete(&r);
        }
        self.drop_unused_rules();
    }

    /// Dumps the routes of all tables carrying our protocol.
    pub fn dump_ours(&mut self) -> Result<Vec<RouteMessage>, KernelError> {
        let mut out = Vec::new();
        for fam in [AddressFamily::Inet, AddressFamily::Inet6] {
            let mut m = RouteMessage::default();
            m.header.address_family = fam;
            for r in self.send(
                RouteNetlinkMessage::GetRoute(m),
                NLM_F_DUMP,
                "listing routes",
            )? {
                if let RouteNetlinkMessage::NewRoute(r) = r {
                    if u8::from(r.header.protocol) == ROUTE_PROTOCOL {
                        out.push(r);
                    }
                }
            }
        }
        Ok(out)
    }

    /// Dumps our rules (both families).
    pub fn dump_rules(&mut self) -> Result<Vec<RuleMessage>, KernelError> {
        let mut out = Vec::new();
        for fam in [AddressFamily::Inet, AddressFamily::Inet6] {
            let mut m = RuleMessage::default();
            m.header.family = fam;
            for r in self.send(RouteNetlinkMessage::GetRule(m), NLM_F_DUMP, "listing rules")? {
                if let RouteNetlinkMessage::NewRule(r) = r {
                    if is_ours_rule(&r) {
                        out.push(r);
                    }
                }
            }
        }
        Ok(out)
    }

    /// Deletes our rules whose table holds none of our routes any more.
    fn drop_unused_rules(&mut self) {
        let (routes, rules) = match (self.dump_ours(), self.dump_rules()) {
            (Ok(a), Ok(b)) => (a, b),
            (Err(e), _) | (_, Err(e)) => {
                tracing::warn!("{e}");
                return;
            }
        };
        for rule in rules {
            let t = rule_table(&rule);
            let fam = rule.header.family;
            if routes
                .iter()
                .any(|r| route_table(r) == t && r.header.address_family == fam)
            {
                continue;
            }
            let what = format!("deleting the rule lookup {t}");
            match self.send(RouteNetlinkMessage::DelRule(rule), 0, &what) {
                Ok(_) => {}
                Err(e) if is_gone(&e) => {}
                Err(e) => tracing::warn!("{e}"),
            }
        }
    }

    /// Puts the throw route that exempts `gateway` from every tunnel route in our table (see
    /// the module documentation), with this process's exemption metric (its block plus
    /// [`EXEMPTION_METRIC_BASE`]). The route is removed when the returned guard is dropped.
    /// Call it before the connection looks up its local address and sends its first
    /// datagram; the rule is left to the tunnel routes (without them the table is not looked
    /// up, and nothing needs the exemption).
    pub fn exempt_gateway(mut self, gateway: IpAddr) -> Result<GatewayExemption, KernelError> {
        if self.cfg.metric >= super::owner::BLOCKS {
            return Err(KernelError::Invalid(format!(
                "route metric {} is not a reqid block",
                self.cfg.metric
            )));
        }
        self.cfg.metric += EXEMPTION_METRIC_BASE;
        let key = (self.cfg.table, self.cfg.metric, gateway);
        let mut live = live_exemptions();
        self.add(exemption(gateway), false)?;
        *live.entry(key).or_insert(0) += 1;
        drop(live);
        tracing::debug!(
            "{gateway} exempt from the tunnels' routes (throw route in table {}, metric {})",
            self.cfg.table,
            self.cfg.metric
        );
        Ok(GatewayExemption {
            routes: self,
            gateway,
        })
    }

    /// Residue cleanup: deletes our routes (any table) whose metric is a block for which
    /// `lock_dead` gives the lock of a dead block (held during the deletion), then our rules
    /// left without routes. Returns (routes, rules) removed.
    pub fn remove_residue(
        &mut self,
        lock_dead: &dyn Fn(u32) -> Option<super::owner::DeadBlock>,
    ) -> Result<(usize, usize), KernelError> {
        let mut n = 0;
        for r in self.dump_ours()? {
            let Some(_held) = block_of_metric(route_metric(&r)).and_then(lock_dead) else {
                continue;
            };
            let mut d = RouteMessage::default();
            d.header = r.header;
            d.attributes = r
                .attributes
                .iter()
                .filter(|a| {
                    matches!(
                        a,
                        RouteAttribute::Table(_)
                            | RouteAttribute::Destination(_)
                            | RouteAttribute::Priority(_)
                    )
                })
                .cloned()
                .collect();
            match self.send(
                RouteNetlinkMessage::DelRoute(d),
                0,
                "removing a stale route",
            ) {
                Ok(_) => n += 1,
                Err(e) if is_gone(&e) => {}
                Err(e) => tracing::warn!("{e}"),
            }
        }
        let before = self.dump_rules()?.len();
        self.drop_unused_rules();
        let after = self.dump_rules()?.len();
        Ok((n, before.saturating_sub(after)))
    }
}

/// The route exempting `gateway`.
fn exemption(gateway: IpAddr) -> Installed {
    Installed {
        dst: (gateway, host_len(gateway)),
        kind: Kind::Throw,
    }
}

/// The `RTM_NEWROUTE` body of the exemption of `gateway` for the process with routes `cfg`
/// (its metric the block's exemption metric, see [`Routes::exempt_gateway`]).
pub fn exemption_message(cfg: &RouteConfig, gateway: IpAddr) -> RouteMessage {
    let cfg = RouteConfig {
        metric: cfg.metric.saturating_add(EXEMPTION_METRIC_BASE),
        ..*cfg
    };
    route_message(&cfg, &exemption(gateway))
}

/// A connection's own gateway exempt from the tunnel routes in our table (see
/// [`Routes::exempt_gateway`]): the throw route lives as long as this value, and is removed
/// on drop (with our rule when no route of ours is left in the table).
pub struct GatewayExemption {
    routes: Routes,
    gateway: IpAddr,
}

impl GatewayExemption {
    /// The gateway.
    pub fn gateway(&self) -> IpAddr {
        self.gateway
    }
}

impl std::fmt::Debug for GatewayExemption {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatewayExemption")
            .field("gateway", &self.gateway)
            .field("cfg", &self.routes.cfg)
            .finish()
    }
}

/// The gateway exemptions of this process that are alive, by (table, metric, gateway): a
/// connection attempt of the service can start while the loop of the one before is still
/// ending, with the same block and often the same gateway, so the same route. It is deleted
/// when the last of them ends.
static LIVE_EXEMPTIONS: std::sync::Mutex<std::collections::BTreeMap<(u32, u32, IpAddr), usize>> =
    std::sync::Mutex::new(std::collections::BTreeMap::new());

fn live_exemptions(
) -> std::sync::MutexGuard<'static, std::collections::BTreeMap<(u32, u32, IpAddr), usize>> {
    LIVE_EXEMPTIONS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Drop for GatewayExemption {
    fn drop(&mut self) {
        let key = (self.routes.cfg.table, self.routes.cfg.metric, self.gateway);
        let mut live = live_exemptions();
        let left = live.get_mut(&key).map_or(0, |n| {
            *n = n.saturating_sub(1);
            *n
        });
        if left == 0 {
            live.remove(&key);
            self.routes.remove_all();
        } else {
            // Another exemption of this process still needs the same route.
            self.routes.installed.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_contains() {
        let a: IpAddr = "10.2.0.7".parse().unwrap();
        assert!(contains(("10.2.0.0".parse().unwrap(), 16), a));
        assert!(contains(("0.0.0.0".parse().unwrap(), 0), a));
        assert!(!contains(("10.3.0.0".parse().unwrap(), 16), a));
        assert!(!contains(("::".parse().unwrap(), 0), a));
    }

    #[test]
    fn route_and_rule_messages_carry_our_tags() {
        let cfg = RouteConfig {
            table: 2749,
            priority: 2749,
            metric: 3,
        };
        let r = Installed {
            dst: ("10.2.0.0".parse().unwrap(), 16),
            kind: Kind::Via {
                oif: 2,
                gateway: Some("192.0.2.254".parse().unwrap()),
                src: Some("10.3.0.1".parse().unwrap()),
                mtu: Some(1438),
            },
        };
        let m = route_message(&cfg, &r);
        assert_eq!(u8::from(m.header.protocol), ROUTE_PROTOCOL);
        assert_eq!(route_table(&m), 2749);
        assert_eq!(route_metric(&m), 3);
        assert_eq!(m.header.kind, RouteType::Unicast);
        assert!(m
            .attributes
            .contains(&RouteAttribute::Metrics(vec![RouteMetric::Mtu(1438)])));
        assert!(m
            .attributes
            .contains(&RouteAttribute::PrefSource(RouteAddress::Inet(
                "10.3.0.1".parse().unwrap()
            ))));
        let b = route_message(
            &cfg,
            &Installed {
                dst: r.dst,
                kind: Kind::Blackhole {
                    src: "10.3.0.1".parse().unwrap(),
                    oif: 2,
                    gateway: None,
                    mtu: None,
                },
            },
        );
        assert_eq!(b.header.kind, RouteType::BlackHole);
        assert!(!b
            .attributes
            .iter()
            .any(|a| matches!(a, RouteAttribute::PrefSource(_))));
        let rule = rule_message(&cfg, AddressFamily::Inet);
        assert!(is_ours_rule(&rule));
        assert_eq!(rule_table(&rule), 2749);
        assert!(rule.attributes.contains(&RuleAttribute::Priority(2749)));
    }

    #[test]
    fn a_gateway_exemption_is_a_throw_route_of_ours_with_its_own_metric() {
        let cfg = RouteConfig {
            table: 2749,
            priority: 2749,
            metric: 3,
        };
        let gw: IpAddr = "203.0.113.2".parse().unwrap();
        let m = exemption_message(&cfg, gw);
        assert_eq!(m.header.kind, RouteType::Throw);
        assert_eq!(m.header.destination_prefix_length, 32);
        assert_eq!(u8::from(m.header.protocol), ROUTE_PROTOCOL);
        assert_eq!(route_table(&m), 2749);
        assert!(m
            .attributes
            .contains(&RouteAttribute::Destination(RouteAddress::Inet(
                "203.0.113.2".parse().unwrap()
            ))));
        // Not the tunnel's own throw route for the gateway (metric 3): a route of its own.
        assert_eq!(route_metric(&m), EXEMPTION_METRIC_BASE + 3);
        assert_eq!(block_of_metric(route_metric(&m)), Some(3));
        assert!(!m.attributes.iter().any(|a| matches!(
            a,
            RouteAttribute::Oif(_) | RouteAttribute::Gateway(_) | RouteAttribute::PrefSource(_)
        )));
        let v6 = exemption_message(&cfg, "2001:db8:2::2".parse().unwrap());
        assert_eq!(v6.header.destination_prefix_length, 128);
        assert_eq!(v6.header.address_family, AddressFamily::Inet6);
    }

    #[test]
    fn route_metrics_name_their_block() {
        assert_eq!(block_of_metric(0), Some(0));
        assert_eq!(block_of_metric(63), Some(63));
        assert_eq!(block_of_metric(64), Some(0));
        assert_eq!(block_of_metric(64 + 63), Some(63));
        assert_eq!(block_of_metric(128), None);
        assert_eq!(block_of_metric(u32::MAX), None);
    }
}
