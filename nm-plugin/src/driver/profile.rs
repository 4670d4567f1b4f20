//! Turning validated [`Settings`] into the engine's [`ConnectionConfig`].

use super::files::FileAccess;
use crate::i18n::{tr, trf};
use crate::settings::{
    value, AddrFamily, AuthMethod, Encapsulation, Fragmentation as SetFrag, Settings,
};
use ike_core::engine::{
    ChildConfig, ConnectionConfig, Fragmentation, Identity, LocalAuth, Mode, PeerName, RemoteAuth,
    RequestConfig, RetransmitConfig, Revocation, SecretBytes,
};
use ike_core::proposal::{self, Proposal, Protocol};
use ike_core::wire::TrafficSelector;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

fn parse_ts(key: &str, value: &str) -> Result<Vec<TrafficSelector>, String> {
    ike_core::ts::parse_ts_list(value).map_err(|e| format!("{key}: {e}"))
}

fn restrict(list: &mut [TrafficSelector], protoport: Option<&str>) {
    if let Some((proto, port)) = protoport.and_then(crate::settings::value::parse_proto_port) {
        for ts in list {
            ts.ip_protocol = proto;
            if port != 0 {
                ts.start_port = port;
                ts.end_port = port;
            }
        }
    }
}

fn any_of(addr: IpAddr) -> TrafficSelector {
    match addr {
        IpAddr::V4(_) => TrafficSelector::from_range(
            IpAddr::from([0, 0, 0, 0]),
            IpAddr::from([255, 255, 255, 255]),
        ),
        IpAddr::V6(_) => {
            TrafficSelector::from_range(IpAddr::from([0u16; 8]), IpAddr::from([0xffffu16; 8]))
        }
    }
}

/// The ESP proposals: as configured (a KE group in them means PFS), with PFS added from the
/// IKE proposals' groups when `pfs=yes` and none is given, or removed when `pfs=no`.
fn esp_proposals(settings: &Settings, ike: &[Proposal]) -> Result<Vec<Proposal>, String> {
    let set = match &settings.esp {
        Some(s) => proposal::parse(Protocol::Esp, s).map_err(|e| format!("esp: {e}"))?,
        None => proposal::default_esp(),
    };
    if !settings.pfs {
        return Ok(proposal::without_pfs(&set).0);
    }
    if set.0.iter().any(|p| p.ke.iter().any(|&g| g != 0)) {
        return Ok(set.0);
    }
    // `pfsgroup` (validation refuses it together with `esp` or `pfs=no`).
    if let Some(g) = settings.pfs_group {
        return Ok(value::esp_with_group(g).0);
    }
    let mut groups: Vec<u16> = Vec::new();
    for g in ike.iter().flat_map(|p| p.ke.iter().copied()) {
        if !groups.contains(&g) {
            groups.push(g);
        }
    }
    Ok(proposal::esp_with_pfs(&set, &groups).0)
}

/// The system trust store (Debian's ca-certificates bundle) used when `rightca` is not set.
pub const SYSTEM_CA_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";

/// The name or address the gateway's certificate must prove: `right` as the profile gives it
/// (an IP literal is an address, anything else a DNS host name).
fn gateway_name(gateway: &str) -> Result<PeerName, String> {
    PeerName::parse(gateway).map_err(|e| {
        trf(
            "right: {gateway} cannot be checked against the gateway's certificate ({error}); set rightid to the identity its certificate proves",
            &[("gateway", &gateway), ("error", &e)],
        )
    })
}

/// How the gateway's certificate is checked: the trust anchors (`rightca` or the system
/// store), the identity or name it must prove, and the CRLs (`rightcrl`).
fn gateway_certificate(settings: &Settings, files: &FileAccess) -> Result<RemoteAuth, String> {
    let ca_path = settings
        .ca
        .as_deref()
        .unwrap_or(std::path::Path::new(SYSTEM_CA_BUNDLE));
    // Without `rightid` the gateway's certificate must name `right` (as TLS clients check);
    // with it, the identity the gateway sends must be `rightid` and (RFC 4945) be in its
    // certificate. Turning that last check off is only allowed with our own CA: with the
    // system store any certificate of any public CA would then do.
    let peer_name = match settings.remote_id {
        Some(_) => None,
        None => Some(gateway_name(&settings.gateway)?),
    };
    if settings.remote_id.is_some() && !settings.require_id_on_certificate && settings.ca.is_none()
    {
        return Err(tr(
            "require-id-on-certificate=no needs rightca: with the system trust store, any certificate from any public CA would be accepted for the gateway",
        )
        .to_string());
    }
    Ok(RemoteAuth::Certificate {
        trust_anchors: files.read_certs("rightca", ca_path)?,
        require_id_match: settings.require_id_on_certificate,
        peer_name,
        revocation: Revocation {
            crls: match settings.crl.as_deref() {
                Some(p) => files.read_crls("rightcrl", p)?,
                None => Vec::new(),
            },
            strict: settings.crl_strict,
        },
    })
}

/// Our certificate chain and PKCS#8 key, and the trust anchors for the gateway.
fn certificate_auth(
    settings: &Settings,
    files: &FileAccess,
) -> Result<(LocalAuth, RemoteAuth), String> {
    let remote = gateway_certificate;
    if let Some(p12) = settings.pkcs12.as_deref() {
        let password = settings.key_password.as_ref().map_or("", |s| s.0.as_str());
        let (chain, key) = files.read_pkcs12("leftpkcs12", p12, password)?;
        return Ok((
            LocalAuth::Certificate { chain, key },
            remote(settings, files)?,
        ));
    }
    let cert = settings
        .cert
        .as_deref()
        .ok_or("leftcert: our certificate is missing")?;
    let key = settings
        .key
        .as_deref()
        .ok_or("leftkey: our private key is missing")?;
    let chain = files.read_certs("leftcert", cert)?;
    let key_der = files.read_key("leftkey", key)?;
    Ok((
        LocalAuth::Certificate {
            chain,
            key: key_der,
        },
        remote(settings, files)?,
    ))
}

/// EAP with our user name and password; the gateway proves itself with its certificate, checked
/// exactly as for certificate authentication.
fn eap_auth(
    settings: &Settings,
    files: &FileAccess,
    method: ike_core::engine::EapMethod,
) -> Result<(LocalAuth, RemoteAuth), String> {
    let user = settings
        .user
        .clone()
        .ok_or("leftusername: the EAP user name is missing")?;
    let password = settings
        .password
        .as_ref()
        .ok_or_else(|| "password: the EAP password is missing".to_string())?;
    let remote = gateway_certificate(settings, files)?;
    Ok((
        LocalAuth::Eap(ike_core::engine::EapCredentials {
            method,
            user,
            password: SecretBytes::from_slice(password.0.as_bytes()),
        }),
        remote,
    ))
}

/// Builds the engine's connection from settings. `remote` is the resolved gateway address,
/// `local` our address towards it. Files the settings name are read through `files`.
pub fn connection_config(
    name: &str,
    settings: &Settings,
    remote: SocketAddr,
    local: IpAddr,
    files: &FileAccess,
) -> Result<ConnectionConfig, String> {
    let local_id = match &settings.local_id {
        Some(s) => Identity::parse(s).map_err(|e| format!("leftid: {e}"))?,
        None => Identity::from(local),
    };
    let remote_id = match &settings.remote_id {
        Some(s) => Some(Identity::parse(s).map_err(|e| format!("rightid: {e}"))?),
        None => None,
    };
    let (local_auth, remote_auth) = match settings.auth {
        AuthMethod::Psk => {
            let psk = settings
                .psk
                .as_ref()
                .ok_or_else(|| "pskvalue: the pre-shared key is missing".to_string())?;
            let secret = SecretBytes::from_slice(psk.0.as_bytes());
            (LocalAuth::Psk(secret.clone()), RemoteAuth::Psk(secret))
        }
        AuthMethod::Certificate => certificate_auth(settings, files)?,
        AuthMethod::Eap(method) => eap_auth(settings, files, method)?,
    };
    // `left`: the sockets are bound to the address the routing table chooses towards the
    // gateway, so a `left` address must be that one.
    if let Some(left) = settings.local_addr {
        if left != local {
            return Err(trf(
                "left: {left} is not our address towards the gateway {gateway} (the routing table chooses {local}); connecting from another address is not supported yet, so use left=%defaultroute or fix the routes",
                &[
                    ("left", &left),
                    ("gateway", &remote.ip()),
                    ("local", &local),
                ],
            ));
        }
    }
    let mut conn = ConnectionConfig::new(name, remote, local_id, local_auth, remote_auth);
    conn.local_addr = Some(settings.local_addr.unwrap_or(local));
    conn.remote_id = remote_id;
    conn.ike_proposals = match &settings.ike {
        Some(s) => {
            proposal::parse(Protocol::Ike, s)
                .map_err(|e| format!("ike: {e}"))?
                .0
        }
        // `dhgroup`: our default algorithms with only that group.
        None => {
            settings
                .ike_group
                .map_or_else(proposal::default_ike, value::ike_with_group)
                .0
        }
    };
    conn.esp_proposals = esp_proposals(settings, &conn.ike_proposals)?;

    let mut remote_ts = parse_ts("rightsubnet", &settings.remote_subnets)?;
    let virtual_ip =
        settings.modecfg && settings.local_subnets.is_none() && !settings.transport_mode;
    let mut local_ts = match &settings.local_subnets {
        Some(s) => parse_ts("leftsubnet", s)?,
        // A virtual address: propose "any" and let the gateway narrow it to the address.
        None if virtual_ip => remote_ts.iter().map(|t| any_of(t.start_addr)).collect(),
        None => vec![TrafficSelector::from_range(local, local)],
    };
    if settings.transport_mode {
        local_ts = vec![TrafficSelector::from_range(local, local)];
        remote_ts = vec![TrafficSelector::from_range(remote.ip(), remote.ip())];
    }
    local_ts.dedup();
    restrict(&mut local_ts, settings.local_protoport.as_deref());
    restrict(&mut remote_ts, settings.remote_protoport.as_deref());
    conn.children = vec![ChildConfig {
        name: name.to_string(),
        local_ts,
        remote_ts,
        mode: if settings.transport_mode {
            Mode::Transport
        } else {
            Mode::Tunnel
        },
    }];
    if virtual_ip {
        let (ipv4, ipv6) = match settings.client_family {
            Some(AddrFamily::V4) => (true, false),
            Some(AddrFamily::V6) => (false, true),
            None => (
                remote.is_ipv4() || settings.remote_subnets.contains('.'),
                settings.remote_subnets.contains(':'),
            ),
        };
        conn.request_config = RequestConfig {
            ipv4,
            ipv6,
            dns: true,
            ..RequestConfig::default()
        };
    }
    conn.ike_lifetime = settings.ike_lifetime;
    conn.child_lifetime = settings.sa_lifetime;
    conn.child_max_bytes = settings.sa_max_bytes;
    conn.child_max_packets = settings.sa_max_packets;
    conn.fragmentation = match settings.fragmentation {
        SetFrag::Yes => Fragmentation::Yes,
        SetFrag::No => Fragmentation::No,
        SetFrag::Force => Fragmentation::Force,
    };
    conn.force_encap = settings.encapsulation == Encapsulation::Yes;
    conn.no_encap = settings.encapsulation == Encapsulation::No;
    conn.rekey = settings.rekey;
    conn.dpd_delay = (settings.dpd_delay > Duration::ZERO).then_some(settings.dpd_delay);
    // dpdtimeout only means something with liveness checks (dpddelay above 0).
    conn.dpd_timeout = conn.dpd_delay.map(|_| settings.dpd_timeout);
    conn.nat_keepalive =
        (settings.nat_keepalive > Duration::ZERO).then_some(settings.nat_keepalive);
    conn.retransmit = RetransmitConfig {
        initial: settings.retransmit_timeout,
        factor: 2.0,
        tries: settings.retransmit_tries,
        max_total: Duration::from_secs(600),
    };
    conn.narrowing = settings.narrowing;
    conn.mobike = settings.mobike;
    if settings.ikev1 {
        ikev1(settings, &mut conn)?;
    }
    let weak = weak_algorithms(&conn.ike_proposals, &conn.esp_proposals);
    if !weak.is_empty() {
        tracing::warn!(
            "{}",
            trf(
                "weak algorithms named in the profile, kept only for old gateways: {list}",
                &[("list", &weak.join(", "))],
            )
        );
    }
    Ok(conn)
}

/// The weak algorithms (3DES, SHA-1, modp1024/1536: the registry's legacy ones) the
/// proposals name, by their Libreswan names; the defaults name none, so these were asked for.
pub fn weak_algorithms(ike: &[Proposal], esp: &[Proposal]) -> Vec<&'static str> {
    use ike_core::proposal::registry::{lookup, TransformKind};
    let mut out: Vec<&'static str> = Vec::new();
    for p in ike.iter().chain(esp) {
        let found = p
            .encr
            .iter()
            .map(|e| lookup(TransformKind::Encr, e.id, e.key_bits))
            .chain(p.prf.iter().map(|&i| lookup(TransformKind::Prf, i, None)))
            .chain(
                p.integ
                    .iter()
                    .map(|&i| lookup(TransformKind::Integ, i, None)),
            )
            .chain(p.ke.iter().map(|&i| lookup(TransformKind::Ke, i, None)));
        for a in found.flatten().filter(|a| a.legacy) {
            if !out.contains(&a.libreswan) {
                out.push(a.libreswan);
            }
        }
    }
    out
}

/// IKEv1 (`ikev2=never`/`no`): the default IKE algorithms without AEAD ciphers (Phase 1
/// protects its messages with a CBC cipher), the default ESP ones without ChaCha20, and what the engine cannot do with IKEv1
/// refused here, before anything is sent.
fn ikev1(settings: &Settings, conn: &mut ConnectionConfig) -> Result<(), String> {
    conn.ikev1 = true;
    if settings.ike.is_none() {
        for p in &mut conn.ike_proposals {
            p.encr.retain(|e| !e.is_aead());
        }
        conn.ike_proposals.retain(|p| !p.encr.is_empty());
    }
    // ChaCha20-Poly1305 has no IKEv1 ESP transform: left out of the defaults (refused when
    // named).
    if settings.esp.is_none() {
        for p in &mut conn.esp_proposals {
            p.encr
                .retain(|e| e.id != ike_core::ids::encr::CHACHA20_POLY1305);
        }
        conn.esp_proposals.retain(|p| !p.encr.is_empty());
    }
    ike_core::ikev1::check_config(conn)?;
    ike_core::ikev1::proposal::phase1_offer(&conn.ike_proposals)
        .map_err(|e| format!("ike: {e}"))?;
    ike_core::ikev1::proposal::esp_offer(&conn.esp_proposals).map_err(|e| format!("esp: {e}"))?;
    for ts in conn
        .children
        .iter()
        .flat_map(|c| c.local_ts.iter().chain(&c.remote_ts))
    {
        ike_core::ikev1::quick::ts_to_id(ts)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn config(data: &[(&str, &str)]) -> ConnectionConfig {
        try_config(data).unwrap()
    }

    fn try_config(data: &[(&str, &str)]) -> Result<ConnectionConfig, String> {
        let mut d: BTreeMap<String, String> = data
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        d.entry("right".into())
            .or_insert_with(|| "192.0.2.1".into());
        let s: BTreeMap<String, String> = [("pskvalue".to_string(), "k".to_string())].into();
        let settings = Settings::from_maps(&d, &s).unwrap();
        let remote: SocketAddr = match settings.gateway.parse::<IpAddr>().unwrap() {
            a @ IpAddr::V4(_) => SocketAddr::new(a, 500),
            a @ IpAddr::V6(_) => SocketAddr::new(a, 500),
        };
        let local: IpAddr = if remote.is_ipv4() {
            "192.0.2.2".parse().unwrap()
        } else {
            "2001:db8::2".parse().unwrap()
        };
        connection_config("t", &settings, remote, local, &FileAccess::Direct)
    }

    #[test]
    fn weak_algorithms_are_named_only_when_the_profile_asks_for_them() {
        let c = config(&[]);
        assert!(weak_algorithms(&c.ike_proposals, &c.esp_proposals).is_empty());
        let c = config(&[
            ("ikev2", "never"),
            ("ike", "aes128-sha1;modp1024"),
            ("esp", "aes128-sha1;modp1024"),
            ("leftsubnet", "10.1.0.0/24"),
        ]);
        let weak = weak_algorithms(&c.ike_proposals, &c.esp_proposals);
        assert!(weak.contains(&"modp1024"), "{weak:?}");
        assert!(weak.iter().any(|w| w.starts_with("sha1")), "{weak:?}");
    }

    #[test]
    fn ikev2_never_makes_an_ikev1_connection_without_aead_in_phase_1() {
        let c = config(&[("ikev2", "never"), ("leftsubnet", "10.1.0.0/24")]);
        assert!(c.ikev1);
        assert!(!c.ike_proposals.is_empty());
        assert!(c
            .ike_proposals
            .iter()
            .all(|p| p.encr.iter().all(|e| !e.is_aead())));
        assert!(!c.request_config.any(), "no Mode Config with IKEv1");
        assert!(!c.rekey && !c.narrowing);
        let c = config(&[
            ("ikev2", "no"),
            ("ike", "aes256-sha2_256;modp2048"),
            ("esp", "aes256-sha1"),
            ("leftsubnet", "10.1.0.0/24"),
        ]);
        assert!(c.ikev1);
        assert!(!config(&[("leftsubnet", "10.1.0.0/24")]).ikev1);
        // An AEAD cipher named for Phase 1 is refused, not dropped.
        let e = try_config(&[
            ("ikev2", "never"),
            ("ike", "aes_gcm256-sha2_256;modp2048"),
            ("leftsubnet", "10.1.0.0/24"),
        ])
        .unwrap_err();
        assert!(e.contains("cannot protect IKEv1 Phase 1"), "{e}");
    }

    #[test]
    fn left_is_our_address_and_must_be_the_routed_one() {
        // The test's routed local address is 192.0.2.2.
        let ours: IpAddr = "192.0.2.2".parse().unwrap();
        for left in ["%defaultroute", "%any", ""] {
            assert_eq!(config(&[("left", left)]).local_addr, Some(ours), "{left}");
        }
        let c = config(&[("left", "192.0.2.2")]);
        assert_eq!(c.local_addr, Some(ours));
        // Without leftid our identity is that address.
        assert_eq!(c.local_id, Identity::from(ours));
        let e = try_config(&[("left", "192.0.2.9")]).unwrap_err();
        assert!(
            e.starts_with("left: 192.0.2.9") && e.contains("192.0.2.2"),
            "{e}"
        );
    }

    #[test]
    fn mobike_is_offered_only_when_asked_for() {
        assert!(config(&[("mobike", "yes")]).mobike);
        assert!(!config(&[("mobike", "no")]).mobike);
        assert!(!config(&[]).mobike, "Libreswan's default: no");
    }

    #[test]
    fn subnet_sets_reach_the_child() {
        let c = config(&[
            ("leftsubnets", "{10.1.0.0/24,10.3.0.0/24}"),
            ("rightsubnets", "{10.2.0.0/24 10.4.0.0/24}"),
        ]);
        let child = &c.children[0];
        let ranges = |l: &[TrafficSelector]| -> Vec<(IpAddr, IpAddr)> {
            l.iter().map(|t| (t.start_addr, t.end_addr)).collect()
        };
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(
            ranges(&child.local_ts),
            [
                (ip("10.1.0.0"), ip("10.1.0.255")),
                (ip("10.3.0.0"), ip("10.3.0.255"))
            ]
        );
        assert_eq!(
            ranges(&child.remote_ts),
            [
                (ip("10.2.0.0"), ip("10.2.0.255")),
                (ip("10.4.0.0"), ip("10.4.0.255"))
            ]
        );
        // Same as the comma-separated leftsubnet/rightsubnet.
        let same = config(&[
            ("leftsubnet", "10.1.0.0/24,10.3.0.0/24"),
            ("rightsubnet", "10.2.0.0/24,10.4.0.0/24"),
        ]);
        assert_eq!(same.children[0].local_ts, child.local_ts);
        assert_eq!(same.children[0].remote_ts, child.remote_ts);
    }

    #[test]
    fn dhgroup_and_pfsgroup_choose_the_groups() {
        use ike_core::ids::ke;
        let c = config(&[("dhgroup", "modp3072"), ("pfsgroup", "curve25519")]);
        assert!(!c.ike_proposals.is_empty());
        for p in &c.ike_proposals {
            assert_eq!(p.ke, [ke::MODP3072]);
        }
        for p in &c.esp_proposals {
            assert_eq!(p.ke, [ke::CURVE25519]);
        }
        // Without them: the default groups, and the IKE groups for PFS.
        let d = config(&[]);
        assert!(d.ike_proposals[0].ke.len() > 1);
        assert_eq!(d.esp_proposals[0].ke, d.ike_proposals[0].ke);
        // dhgroup alone: PFS follows the IKE group.
        let c = config(&[("dhgroup", "ecp256")]);
        assert_eq!(c.esp_proposals[0].ke, [ke::ECP256]);
    }

    #[test]
    fn lifecycle_keys_reach_the_engine() {
        // Defaults: no DPD (so no DPD timeout), keepalive 20 s, rekey, encapsulation auto.
        let c = config(&[]);
        assert_eq!((c.dpd_delay, c.dpd_timeout), (None, None));
        assert_eq!(c.nat_keepalive, Some(Duration::from_secs(20)));
        assert!(c.rekey && !c.no_encap && !c.force_encap);
        let c = config(&[
            ("dpddelay", "10"),
            ("dpdtimeout", "5"),
            ("nat-keepalive", "45s"),
            ("rekey", "no"),
            ("encapsulation", "no"),
        ]);
        assert_eq!(c.dpd_delay, Some(Duration::from_secs(10)));
        assert_eq!(c.dpd_timeout, Some(Duration::from_secs(5)));
        assert_eq!(c.nat_keepalive, Some(Duration::from_secs(45)));
        assert!(!c.rekey && c.no_encap && !c.force_encap);
        let c = config(&[("nat-keepalive", "0"), ("encapsulation", "yes")]);
        assert_eq!(c.nat_keepalive, None);
        assert!(c.force_encap && !c.no_encap);
        // dpdtimeout alone does nothing without liveness checks.
        assert_eq!(config(&[("dpdtimeout", "30")]).dpd_timeout, None);
    }

    #[test]
    fn clientaddrfamily_chooses_the_virtual_address_family() {
        let r = config(&[]).request_config;
        assert!(r.ipv4 && !r.ipv6 && r.dns);
        let r = config(&[("clientaddrfamily", "ipv6")]).request_config;
        assert!(!r.ipv4 && r.ipv6 && r.dns);
        let r = config(&[("right", "2001:db8::1"), ("rightsubnet", "::/0")]).request_config;
        assert!(!r.ipv4 && r.ipv6);
        let r = config(&[
            ("right", "2001:db8::1"),
            ("rightsubnet", "::/0"),
            ("clientaddrfamily", "ipv4"),
        ])
        .request_config;
        assert!(r.ipv4 && !r.ipv6);
        assert_eq!((r.prefer_v4, r.prefer_v6), (None, None));
        // No configuration payload without leftmodecfgclient.
        let r = config(&[("leftmodecfgclient", "no"), ("clientaddrfamily", "ipv6")]).request_config;
        assert!(!r.any());
    }
}
