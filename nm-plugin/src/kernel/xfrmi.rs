//! Tunnel interfaces for route-based tunnels: XFRM interfaces (`ipsec-interface=N`) and VTI
//! devices (`vti-interface=NAME` with `mark=V[/M]`, the mark-based variant of the OCI guide).
//!
//! A VTI device (kind `vti`, or `vti6` for an IPv6 outer) carries our outer addresses as its
//! local/remote endpoints and the mark as its input and output key: packets routed to it are
//! looked up against policies and SAs carrying `XFRMA_MARK` = the mark, and decrypted packets
//! whose SA carries the mark come out of it. Two tunnels with distinct marks (and distinct
//! endpoints) can run at once even with identical traffic selectors (`0.0.0.0/0` both ways).
//!
//! A connection with `ipsec-interface=N` gets the interface `ipsec<N>` of kind `xfrm` with
//! `IFLA_XFRM_IF_ID` = N; its SAs and policies carry `XFRMA_IF_ID` N, and the remote networks
//! are routed through the interface (in our table). Outbound packets routed to the interface
//! find their policy by if_id; decapsulated inbound packets appear on the interface.
//!
//! Ownership: the interface's alias (`IFLA_IFALIAS`) reads `nm-ike:block=<B>` with the reqid
//! block of the process that created it ([`super::owner`]). An interface of the requested
//! name is replaced only when it carries our tag and its block is ours or dead (no live
//! process holds its lock); one whose block is live belongs to another running connection and
//! the new connection fails, naming the interface and that connection ([`judge`]). An
//! interface without our tag is never touched. Ours is deleted on disconnect, and by the
//! residue cleanup at start when its block is dead.
//!
//! MTU: the MTU of the device towards the gateway minus the worst-case ESP overhead
//! ([`overhead`]): outer IP header, UDP encapsulation, ESP header, a 16-byte IV, 15 bytes
//! of padding, the trailer and a 16-byte ICV — 1500 becomes 1415 (IPv4) or 1395 (IPv6),
//! which also keeps inner IPv6 (minimum 1280) working.

use super::netlink::NlSocket;
use super::KernelError;
use crate::i18n::trf;
use crate::settings::value::valid_interface_name;
use netlink_packet_core::{NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL};
use netlink_packet_route::link::{
    InfoData, InfoKind, InfoVti, InfoXfrm, LinkAttribute, LinkFlags, LinkInfo, LinkMessage,
};
use netlink_packet_route::RouteNetlinkMessage;

/// Prefix of the alias that marks an interface as ours.
pub const ALIAS_PREFIX: &str = "nm-ike:block=";
/// Name prefix of our interfaces.
pub const NAME_PREFIX: &str = "ipsec";
/// MTU used when the device towards the gateway cannot be read.
pub const FALLBACK_LINK_MTU: u32 = 1500;
/// Lowest MTU we set (IPv6's minimum).
pub const MIN_MTU: u32 = 1280;

/// The interface name of if_id `if_id`.
pub fn interface_name(if_id: u32) -> String {
    format!("{NAME_PREFIX}{if_id}")
}

/// The alias tagging an interface as created by reqid block `block`.
pub fn alias_for_block(block: u32) -> String {
    format!("{ALIAS_PREFIX}{block}")
}

/// The block of an alias of ours.
pub fn block_of_alias(alias: &str) -> Option<u32> {
    alias.strip_prefix(ALIAS_PREFIX)?.parse().ok()
}

/// Worst-case ESP tunnel overhead for an outer IPv4 (`ipv6 == false`) or IPv6 header.
pub fn overhead(ipv6: bool) -> u32 {
    let ip = if ipv6 { 40 } else { 20 };
    // UDP encap + ESP header (SPI, seq) + IV + max padding + pad length/next header + ICV.
    ip + 8 + 8 + 16 + 15 + 2 + 16
}

/// The MTU of an XFRM interface over a device of MTU `link_mtu`.
pub fn interface_mtu(link_mtu: u32, ipv6_outer: bool) -> u32 {
    link_mtu.saturating_sub(overhead(ipv6_outer)).max(MIN_MTU)
}

/// The `RTM_NEWLINK` body creating `name` (kind xfrm, `if_id`, up, MTU `mtu`).
pub fn create_message(name: &str, if_id: u32, mtu: u32) -> LinkMessage {
    let mut m = LinkMessage::default();
    m.header.flags = LinkFlags::Up;
    m.header.change_mask = LinkFlags::Up;
    m.attributes.push(LinkAttribute::IfName(name.to_string()));
    m.attributes.push(LinkAttribute::Mtu(mtu));
    m.attributes.push(LinkAttribute::LinkInfo(vec![
        LinkInfo::Kind(InfoKind::Xfrm),
        LinkInfo::Data(InfoData::Xfrm(vec![InfoXfrm::IfId(if_id)])),
    ]));
    m
}

/// The `RTM_NEWLINK` body creating the VTI device `name` between `local` and `remote` with
/// input and output key `key` (kind `vti`, or `vti6` for IPv6 endpoints), up, MTU `mtu`.
pub fn create_vti_message(
    name: &str,
    local: std::net::IpAddr,
    remote: std::net::IpAddr,
    key: u32,
    mtu: u32,
) -> LinkMessage {
    let mut m = LinkMessage::default();
    m.header.flags = LinkFlags::Up;
    m.header.change_mask = LinkFlags::Up;
    m.attributes.push(LinkAttribute::IfName(name.to_string()));
    m.attributes.push(LinkAttribute::Mtu(mtu));
    let kind = if remote.is_ipv6() {
        InfoKind::Vti6
    } else {
        InfoKind::Vti
    };
    m.attributes.push(LinkAttribute::LinkInfo(vec![
        LinkInfo::Kind(kind),
        LinkInfo::Data(InfoData::Vti(vec![
            InfoVti::Local(local),
            InfoVti::Remote(remote),
            InfoVti::IKey(key),
            InfoVti::OKey(key),
        ])),
    ]));
    m
}

/// The `RTM_NEWLINK` body setting the alias of interface `index`.
pub fn alias_message(index: u32, alias: &str) -> LinkMessage {
    let mut m = LinkMessage::default();
    m.header.index = index;
    m.attributes.push(LinkAttribute::IfAlias(alias.to_string()));
    m
}

/// The `RTM_DELLINK` body for interface `index`.
pub fn delete_message(index: u32) -> LinkMessage {
    let mut m = LinkMessage::default();
    m.header.index = index;
    m
}

/// What we know about one interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkState {
    /// Index.
    pub index: u32,
    /// Name.
    pub name: String,
    /// Alias, if any.
    pub alias: Option<String>,
    /// MTU.
    pub mtu: Option<u32>,
    /// The XFRM if_id, for XFRM interfaces.
    pub if_id: Option<u32>,
}

fn link_state(m: &LinkMessage) -> LinkState {
    let mut s = LinkState {
        index: m.header.index,
        name: String::new(),
        alias: None,
        mtu: None,
        if_id: None,
    };
    for a in &m.attributes {
        match a {
            LinkAttribute::IfName(n) => s.name = n.clone(),
            LinkAttribute::IfAlias(n) => s.alias = Some(n.clone()),
            LinkAttribute::Mtu(v) => s.mtu = Some(*v),
            LinkAttribute::LinkInfo(infos) => {
                for i in infos {
                    if let LinkInfo::Data(InfoData::Xfrm(x)) = i {
                        for x in x {
                            if let InfoXfrm::IfId(id) = x {
                                s.if_id = Some(*id);
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    s
}

/// What to do about an interface that already has the name we need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Existing {
    /// No such interface: create it.
    Free,
    /// Ours, left by this process's block or by a dead one: delete it and create ours.
    Replace,
    /// Ours, but its block is held by a live process: another connection uses it.
    Live {
        /// The owner's reqid block.
        block: u32,
    },
    /// Not created by NetworkManager-ike: never touched.
    Foreign,
}

/// Decides about `existing` (the interface with the requested name, if any) for a process
/// holding `own_block`; `is_live` tells whether a live process holds a block.
pub fn judge(
    existing: Option<&LinkState>,
    own_block: u32,
    is_live: &dyn Fn(u32) -> bool,
) -> Existing {
    let Some(old) = existing else {
        return Existing::Free;
    };
    match old.alias.as_deref().and_then(block_of_alias) {
        None => Existing::Foreign,
        Some(b) if b == own_block => Existing::Replace,
        Some(b) if is_live(b) => Existing::Live { block: b },
        Some(_) => Existing::Replace,
    }
}

/// The refusal for an interface `name` (profile key `key`) that [`judge`] did not allow.
pub fn refusal(
    existing: Existing,
    name: &str,
    key: &str,
    holder: Option<String>,
) -> Option<String> {
    match existing {
        Existing::Free | Existing::Replace => None,
        Existing::Live { block } => Some(match holder {
            Some(h) => trf(
                "{key}: interface {name} is in use by another NetworkManager-ike connection ({holder}, reqid block {block}); choose another {key} or disconnect that connection first",
                &[("key", &key), ("name", &name), ("holder", &h), ("block", &block)],
            ),
            None => trf(
                "{key}: interface {name} is in use by another NetworkManager-ike connection (reqid block {block}); choose another {key} or disconnect that connection first",
                &[("key", &key), ("name", &name), ("block", &block)],
            ),
        }),
        Existing::Foreign => Some(trf(
            "{key}: interface {name} already exists and was not created by NetworkManager-ike; it is left alone: choose another {key} or remove it",
            &[("key", &key), ("name", &name)],
        )),
    }
}

fn is_gone(e: &KernelError) -> bool {
    matches!(e.errno(), Some(libc::ENOENT) | Some(libc::ENODEV))
}

/// One tunnel interface we created, XFRM or VTI (deleted again by [`XfrmInterface::remove`]).
pub struct XfrmInterface {
    sock: NlSocket,
    /// Name (`ipsec<N>`, or the VTI name).
    pub name: String,
    /// Interface index.
    pub index: u32,
    /// The if_id (0 for a VTI device).
    pub if_id: u32,
    /// The MTU set.
    pub mtu: u32,
    removed: bool,
}

/// The interface called `name`, if it exists.
fn get_by_name(sock: &mut NlSocket, name: &str) -> Result<Option<LinkState>, KernelError> {
    let mut m = LinkMessage::default();
    m.attributes.push(LinkAttribute::IfName(name.to_string()));
    match sock.ask(
        RouteNetlinkMessage::GetLink(m),
        0,
        &format!("looking up interface {name}"),
    ) {
        Ok(r) => Ok(r.iter().find_map(|m| match m {
            RouteNetlinkMessage::NewLink(l) => Some(link_state(l)),
            _ => None,
        })),
        Err(e) if is_gone(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The state of interface `index`.
fn link_by_index(index: u32) -> Result<Option<LinkState>, KernelError> {
    let mut sock = NlSocket::open_route()?;
    let mut m = LinkMessage::default();
    m.header.index = index;
    let r = sock.ask(RouteNetlinkMessage::GetLink(m), 0, "reading a device")?;
    Ok(r.iter().find_map(|m| match m {
        RouteNetlinkMessage::NewLink(l) => Some(link_state(l)),
        _ => None,
    }))
}

/// The MTU of interface `index`.
pub fn link_mtu(index: u32) -> Result<Option<u32>, KernelError> {
    Ok(link_by_index(index)?.and_then(|l| l.mtu))
}

/// The name of interface `index`, when it can be read.
pub fn link_name(index: u32) -> Option<String> {
    link_by_index(index)
        .ok()
        .flatten()
        .map(|l| l.name)
        .filter(|n| !n.is_empty())
}

fn delete_index(sock: &mut NlSocket, index: u32, name: &str) -> Result<(), KernelError> {
    match sock.ask(
        RouteNetlinkMessage::DelLink(delete_message(index)),
        0,
        &format!("deleting interface {name}"),
    ) {
        Ok(_) => Ok(()),
        Err(e) if is_gone(&e) => Ok(()),
        Err(e) => Err(e),
    }
}

impl XfrmInterface {
    /// Creates `ipsec<if_id>` (kind xfrm, `if_id`, MTU `mtu`, up), tagged with `block`. An
    /// interface of that name left by an earlier run of ours is replaced; anyone else's is
    /// an error.
    pub fn create(if_id: u32, mtu: u32, block: u32) -> Result<Self, KernelError> {
        if if_id == 0 {
            return Err(KernelError::Invalid(
                "ipsec-interface: the XFRM interface id must not be 0".into(),
            ));
        }
        let name = interface_name(if_id);
        let msg = create_message(&name, if_id, mtu);
        let iface = Self::create_link(name, msg, if_id, mtu, block, "ipsec-interface")?;
        tracing::info!(
            "created XFRM interface {} (if_id {if_id}, mtu {mtu})",
            iface.name
        );
        Ok(iface)
    }

    /// Creates the VTI device `name` (see the module documentation) between our outer
    /// address `local` and the gateway `remote`, keyed with `key` (the XFRM mark), MTU `mtu`,
    /// up, tagged with `block`. Policy checks on the device are disabled
    /// (`disable_policy`), as for Libreswan's VTI: the SAs' marks already bind the traffic.
    pub fn create_vti(
        name: &str,
        local: std::net::IpAddr,
        remote: std::net::IpAddr,
        key: u32,
        mtu: u32,
        block: u32,
    ) -> Result<Self, KernelError> {
        if !valid_interface_name(name) {
            return Err(KernelError::Invalid(format!(
                "vti-interface: {name:?} is not a valid interface name"
            )));
        }
        if local.is_ipv6() != remote.is_ipv6() {
            return Err(KernelError::Invalid(format!(
                "vti-interface: endpoints of different families: {local} -> {remote}"
            )));
        }
        let msg = create_vti_message(name, local, remote, key, mtu);
        let iface = Self::create_link(name.to_string(), msg, 0, mtu, block, "vti-interface")?;
        let family = if remote.is_ipv6() { "ipv6" } else { "ipv4" };
        let knob = format!("/proc/sys/net/{family}/conf/{name}/disable_policy");
        if let Err(e) = std::fs::write(&knob, "1") {
            tracing::warn!("cannot write {knob}: {e}");
        }
        tracing::info!(
            "created VTI device {name} ({local} -> {remote}, key/mark {key}, mtu {mtu})"
        );
        Ok(iface)
    }

    /// Creates a link from `msg` (for the profile key `key`) and tags it as ours. A link of
    /// that name is replaced only when it is ours and its owner is gone ([`judge`]).
    fn create_link(
        name: String,
        msg: LinkMessage,
        if_id: u32,
        mtu: u32,
        block: u32,
        key: &str,
    ) -> Result<Self, KernelError> {
        let mut sock = NlSocket::open_route()?;
        let old = get_by_name(&mut sock, &name)?;
        let verdict = judge(old.as_ref(), block, &super::owner::block_is_live);
        if let Existing::Live { block: b } = verdict {
            let why = refusal(verdict, &name, key, super::owner::holder_of(b));
            return Err(KernelError::Invalid(why.unwrap_or_default()));
        }
        if let Some(why) = refusal(verdict, &name, key, None) {
            return Err(KernelError::Invalid(why));
        }
        if let (Existing::Replace, Some(old)) = (verdict, old) {
            tracing::info!("replacing interface {name} left by an earlier run");
            delete_index(&mut sock, old.index, &name)?;
        }
        let kind = if key == "vti-interface" {
            "VTI device"
        } else {
            "XFRM interface"
        };
        sock.ask(
            RouteNetlinkMessage::NewLink(msg),
            NLM_F_CREATE | NLM_F_EXCL,
            &format!("creating the {kind} {name}"),
        )?;
        let Some(st) = get_by_name(&mut sock, &name)? else {
            return Err(KernelError::Invalid(format!(
                "interface {name} vanished after its creation"
            )));
        };
        let mut iface = XfrmInterface {
            sock,
            name,
            index: st.index,
            if_id,
            mtu,
            removed: false,
        };
        let what = format!("tagging interface {} as ours", iface.name);
        if let Err(e) = iface.sock.ask(
            RouteNetlinkMessage::SetLink(alias_message(st.index, &alias_for_block(block))),
            0,
            &what,
        ) {
            iface.remove();
            return Err(e);
        }
        Ok(iface)
    }

    /// Deletes the interface (once; an interface already gone counts as deleted).
    pub fn remove(&mut self) {
        if self.removed {
            return;
        }
        self.removed = true;
        let (index, name) = (self.index, self.name.clone());
        match delete_index(&mut self.sock, index, &name) {
            Ok(()) => tracing::info!("deleted interface {name}"),
            Err(e) => tracing::warn!("{e}"),
        }
    }
}

/// Residue cleanup: deletes our tunnel interfaces (alias `nm-ike:block=B`) for whose block `B`
/// `lock_dead` gives the lock of a dead block (held during the deletion). Returns how many
/// were deleted.
pub fn remove_residue(
    lock_dead: &dyn Fn(u32) -> Option<super::owner::DeadBlock>,
) -> Result<usize, KernelError> {
    let mut sock = NlSocket::open_route()?;
    let links = sock.ask(
        RouteNetlinkMessage::GetLink(LinkMessage::default()),
        NLM_F_DUMP,
        "listing interfaces",
    )?;
    let mut n = 0;
    for l in links {
        let RouteNetlinkMessage::NewLink(l) = l else {
            continue;
        };
        let st = link_state(&l);
        let Some(block) = st.alias.as_deref().and_then(block_of_alias) else {
            continue;
        };
        let Some(_held) = lock_dead(block) else {
            continue;
        };
        match delete_index(&mut sock, st.index, &st.name) {
            Ok(()) => n += 1,
            Err(e) => tracing::warn!("{e}"),
        }
    }
    if n > 0 {
        tracing::info!("removed {n} stale XFRM interfaces left by an earlier run");
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::netlink::{decode_one, serialize};
    use netlink_packet_core::NetlinkPayload;

    fn roundtrip(m: &LinkMessage) -> LinkMessage {
        let buf = serialize(RouteNetlinkMessage::NewLink(m.clone()), 0, 1);
        match decode_one::<RouteNetlinkMessage>(&buf).unwrap().payload {
            NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewLink(l)) => l,
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn create_message_carries_kind_if_id_mtu_and_up() {
        let m = roundtrip(&create_message("ipsec7", 7, 1415));
        let st = link_state(&m);
        assert_eq!(st.name, "ipsec7");
        assert_eq!(st.if_id, Some(7));
        assert_eq!(st.mtu, Some(1415));
        assert!(m.header.flags.contains(LinkFlags::Up));
        assert!(m.header.change_mask.contains(LinkFlags::Up));
        assert!(m.attributes.iter().any(|a| matches!(a,
            LinkAttribute::LinkInfo(i) if i.contains(&LinkInfo::Kind(InfoKind::Xfrm)))));
    }

    #[test]
    fn alias_tags_the_block() {
        let m = roundtrip(&alias_message(12, &alias_for_block(5)));
        assert_eq!(m.header.index, 12);
        let st = link_state(&m);
        assert_eq!(st.alias.as_deref().and_then(block_of_alias), Some(5));
        assert_eq!(block_of_alias("something else"), None);
        assert_eq!(block_of_alias("nm-ike:block=x"), None);
    }

    #[test]
    fn vti_message_carries_endpoints_and_the_mark_as_both_keys() {
        let m = create_vti_message(
            "vti01",
            "192.0.2.1".parse().unwrap(),
            "192.0.2.2".parse().unwrap(),
            5,
            1415,
        );
        let back = roundtrip(&m);
        let info = back
            .attributes
            .iter()
            .find_map(|a| match a {
                LinkAttribute::LinkInfo(i) => Some(i.clone()),
                _ => None,
            })
            .unwrap();
        assert!(info.contains(&LinkInfo::Kind(InfoKind::Vti)));
        let data = info
            .iter()
            .find_map(|i| match i {
                LinkInfo::Data(InfoData::Vti(d)) => Some(d.clone()),
                _ => None,
            })
            .unwrap();
        assert!(data.contains(&InfoVti::IKey(5)) && data.contains(&InfoVti::OKey(5)));
        assert!(data.contains(&InfoVti::Local("192.0.2.1".parse().unwrap())));
        assert!(data.contains(&InfoVti::Remote("192.0.2.2".parse().unwrap())));
        assert_eq!(link_state(&back).name, "vti01");
        assert_eq!(link_state(&back).mtu, Some(1415));
        let v6 = create_vti_message(
            "v6",
            "2001:db8::1".parse().unwrap(),
            "2001:db8::2".parse().unwrap(),
            6,
            1395,
        );
        assert!(v6.attributes.iter().any(|a| matches!(a, LinkAttribute::LinkInfo(i) if i.contains(&LinkInfo::Kind(InfoKind::Vti6)))));
    }

    fn link(alias: Option<&str>) -> LinkState {
        LinkState {
            index: 9,
            name: "ipsec7".into(),
            alias: alias.map(str::to_string),
            mtu: None,
            if_id: Some(7),
        }
    }

    #[test]
    fn an_interface_is_taken_over_only_from_a_dead_owner() {
        let live = |b: u32| b == 3;
        assert_eq!(judge(None, 5, &live), Existing::Free);
        let ours = alias_for_block(5);
        assert_eq!(judge(Some(&link(Some(&ours))), 5, &live), Existing::Replace);
        let dead = alias_for_block(4);
        assert_eq!(judge(Some(&link(Some(&dead))), 5, &live), Existing::Replace);
        let other = alias_for_block(3);
        assert_eq!(
            judge(Some(&link(Some(&other))), 5, &live),
            Existing::Live { block: 3 }
        );
        assert_eq!(judge(Some(&link(None)), 5, &live), Existing::Foreign);
        assert_eq!(
            judge(Some(&link(Some("uplink"))), 5, &live),
            Existing::Foreign
        );
        let msg = refusal(
            Existing::Live { block: 3 },
            "ipsec7",
            "ipsec-interface",
            Some("process 42 (nm-ike-service), connection office".into()),
        )
        .unwrap();
        assert!(
            msg.starts_with("ipsec-interface: interface ipsec7 is in use by another NetworkManager-ike connection")
                && msg.contains("connection office")
                && msg.contains("block 3"),
            "{msg}"
        );
        let msg = refusal(Existing::Live { block: 3 }, "vti01", "vti-interface", None).unwrap();
        assert!(msg.contains("vti01") && msg.contains("another NetworkManager-ike connection"));
        let msg = refusal(Existing::Foreign, "vti01", "vti-interface", None).unwrap();
        assert!(msg.contains("not created by NetworkManager-ike"), "{msg}");
        assert_eq!(
            refusal(Existing::Replace, "x", "ipsec-interface", None),
            None
        );
    }

    #[test]
    fn mtu_leaves_room_for_esp() {
        assert_eq!(interface_mtu(1500, false), 1415);
        assert_eq!(interface_mtu(1500, true), 1395);
        assert_eq!(interface_mtu(1300, true), MIN_MTU);
        assert_eq!(interface_name(65_535), "ipsec65535");
        assert!(interface_name(65_535).len() < 16);
    }
}
