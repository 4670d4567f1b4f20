//! The vpn.data / vpn.secrets key schema and the typed settings parsed from it.
//!
//! NetworkManager hands the service a profile as two string maps. They are checked against
//! [`schema::KEYS`] once, here, and turned into [`Settings`]; nothing else reads the strings.

pub mod man;
pub mod schema;
pub mod value;

use crate::i18n::{tr, trf};
use schema::{Kind, Place};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;
pub use value::SettingsError;
use zeroize::Zeroizing;

/// How we authenticate to the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    /// Pre-shared key (`authby=secret`).
    Psk,
    /// Certificate and private key (`authby=rsasig|ecdsa|cert`).
    Certificate,
    /// A user name and password through EAP (`leftauth=eap-...`); the gateway proves itself
    /// with its certificate.
    Eap(ike_core::engine::EapMethod),
}

/// IKE fragmentation policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fragmentation {
    /// Fragment when the peer supports it.
    Yes,
    /// Never fragment.
    No,
    /// Always fragment large messages.
    Force,
}

/// UDP encapsulation policy for ESP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encapsulation {
    /// Encapsulate when NAT is detected.
    Auto,
    /// Always encapsulate.
    Yes,
    /// Never encapsulate.
    No,
}

/// ESP crypto offload to the network device (`nic-offload`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NicOffload {
    /// Never ask for it.
    No,
    /// Ask; a device that cannot do it is logged as a warning and software ESP used.
    Yes,
    /// Ask; fall back to software ESP quietly.
    Auto,
}

/// What to do when the gateway stops answering liveness checks (`dpdaction`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DpdAction {
    /// End the connection.
    Clear,
    /// Keep the connection and its policies (traffic blocked) and connect again with backoff.
    Restart,
    /// Keep the connection and its policies (traffic blocked) and connect again when traffic
    /// wants out: the kernel's ACQUIRE for a held policy (Libreswan's `hold`, strongSwan's
    /// `trap`); after a failed attempt, on new traffic and after the backoff.
    Hold,
}

/// An address family (`hostaddrfamily`, `clientaddrfamily`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddrFamily {
    /// IPv4.
    V4,
    /// IPv6.
    V6,
}

impl AddrFamily {
    /// Whether `addr` is of this family.
    pub fn matches(self, addr: std::net::IpAddr) -> bool {
        match self {
            AddrFamily::V4 => addr.is_ipv4(),
            AddrFamily::V6 => addr.is_ipv6(),
        }
    }

    /// The family's name as vpn.data writes it (`ipv4`, `ipv6`).
    pub fn name(self) -> &'static str {
        match self {
            AddrFamily::V4 => "ipv4",
            AddrFamily::V6 => "ipv6",
        }
    }

    fn parse(v: &str) -> Option<Self> {
        match v {
            "ipv4" => Some(AddrFamily::V4),
            "ipv6" => Some(AddrFamily::V6),
            _ => None,
        }
    }
}

/// A secret string, zeroized on drop and never printed.
#[derive(Clone)]
pub struct Secret(pub Zeroizing<String>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// A profile after validation.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Gateway host name or address (`right`).
    pub gateway: String,
    /// Gateway IKE port (`rightport`).
    pub gateway_port: u16,
    /// The gateway's identity (`rightid`).
    pub remote_id: Option<String>,
    /// Our identity (`leftid`).
    pub local_id: Option<String>,
    /// Authentication method (`authby`).
    pub auth: AuthMethod,
    /// The PSK (`pskvalue` secret).
    pub psk: Option<Secret>,
    /// Our EAP user name (`leftusername`).
    pub user: Option<String>,
    /// Our EAP password (`password` secret).
    pub password: Option<Secret>,
    /// Our certificate file (`leftcert`).
    pub cert: Option<PathBuf>,
    /// Our private key file (`leftkey`).
    pub key: Option<PathBuf>,
    /// Our PKCS#12 file (`leftpkcs12`).
    pub pkcs12: Option<PathBuf>,
    /// Password for the key or PKCS#12 file (`leftkey-password` secret).
    pub key_password: Option<Secret>,
    /// CA file for the gateway's certificate (`rightca`); `None` = system store.
    pub ca: Option<PathBuf>,
    /// Require the gateway's ID in its certificate.
    pub require_id_on_certificate: bool,
    /// CRL file for the gateway's chain (`rightcrl`).
    pub crl: Option<PathBuf>,
    /// A missing or expired CRL refuses the gateway (`crl-strict`).
    pub crl_strict: bool,
    /// IKE proposals as written (`ike`); `None` = defaults.
    pub ike: Option<String>,
    /// ESP proposals as written (`esp`); `None` = defaults.
    pub esp: Option<String>,
    /// Perfect forward secrecy (`pfs`).
    pub pfs: bool,
    /// IKE SA lifetime.
    pub ike_lifetime: Duration,
    /// Child SA lifetime.
    pub sa_lifetime: Duration,
    /// Child SA byte limit (`ipsec-max-bytes`); 0 = none.
    pub sa_max_bytes: u64,
    /// Child SA packet limit (`ipsec-max-packets`); 0 = none.
    pub sa_max_packets: u64,
    /// NIC crypto offload (`nic-offload`).
    pub nic_offload: NicOffload,
    /// Rekey before expiry.
    pub rekey: bool,
    /// Our address (`left`) when the profile names one; `None`: the routing table chooses.
    pub local_addr: Option<std::net::IpAddr>,
    /// Local subnets (`leftsubnet`, or `leftsubnets` as a comma-separated list); `None` = our
    /// (virtual) address.
    pub local_subnets: Option<String>,
    /// Remote subnets (`rightsubnet`, or `rightsubnets` as a comma-separated list).
    pub remote_subnets: String,
    /// The only key exchange group of the default IKE proposals (`dhgroup`).
    pub ike_group: Option<u16>,
    /// The PFS group of the default ESP proposals (`pfsgroup`).
    pub pfs_group: Option<u16>,
    /// `leftprotoport`.
    pub local_protoport: Option<String>,
    /// `rightprotoport`.
    pub remote_protoport: Option<String>,
    /// Accept narrowed traffic selectors.
    pub narrowing: bool,
    /// Offer MOBIKE (RFC 4555): the connection moves with our address.
    pub mobike: bool,
    /// Transport mode instead of tunnel mode.
    pub transport_mode: bool,
    /// Request a virtual address, DNS and domains.
    pub modecfg: bool,
    /// IKE fragmentation.
    pub fragmentation: Fragmentation,
    /// DPD delay; zero disables DPD.
    pub dpd_delay: Duration,
    /// DPD timeout: how long a liveness check may stay unanswered (used when DPD is on).
    pub dpd_timeout: Duration,
    /// NAT-keepalive interval behind a NAT (`nat-keepalive`); zero turns it off.
    pub nat_keepalive: Duration,
    /// The gateway address's family (`hostaddrfamily`); `None`: whatever resolves first.
    pub host_family: Option<AddrFamily>,
    /// The virtual address's family (`clientaddrfamily`); `None`: as the gateway and
    /// `rightsubnet` suggest.
    pub client_family: Option<AddrFamily>,
    /// DPD action.
    pub dpd_action: DpdAction,
    /// XFRM interface id for route-based tunnels.
    pub ipsec_interface: Option<u32>,
    /// Mark-based route-based tunnel: the VTI device name and the mark (value, mask).
    pub vti: Option<(String, (u32, u32))>,
    /// ESP-in-UDP policy.
    pub encapsulation: Encapsulation,
    /// Our routing table.
    pub route_table: u32,
    /// Our routing rule priority.
    pub route_rule_priority: u32,
    /// First retransmission timeout.
    pub retransmit_timeout: Duration,
    /// Number of retransmissions.
    pub retransmit_tries: u32,
    /// Tries to establish the connection (`keyingtries`); 0: until NetworkManager gives up.
    pub keying_tries: u32,
    /// IKEv1 (`ikev2=never` or `no`) instead of IKEv2.
    pub ikev1: bool,
    /// Keys that were accepted for compatibility but have no effect.
    pub ignored: Vec<String>,
}

/// What IKEv1 (`ikev2=never`/`no`) does not support yet, refused with what to do instead.
/// Keys left at their defaults follow IKEv1: no Mode Config, no fragmentation, no rekeying.
fn ikev1_refusals(get: &dyn Fn(&str) -> Option<String>) -> Vec<SettingsError> {
    let mut errors = Vec::new();
    if get("authby").is_some_and(|v| v != "secret") {
        errors.push(SettingsError::new(
            "authby",
            tr("certificates with IKEv1 are not supported yet; use authby=secret (a pre-shared key) or IKEv2"),
        ));
    }
    if get("leftauth").is_some() || get("leftusername").is_some() {
        errors.push(SettingsError::new(
            if get("leftauth").is_some() {
                "leftauth"
            } else {
                "leftusername"
            },
            tr("user name authentication with IKEv1 (XAUTH) is not supported yet; use a pre-shared key, or IKEv2 for EAP"),
        ));
    }
    if get("mobike").as_deref() == Some("yes") {
        errors.push(SettingsError::new(
            "mobike",
            tr("MOBIKE exists in IKEv2 only; use mobike=no with IKEv1"),
        ));
    }
    if get("leftmodecfgclient").as_deref() == Some("yes") {
        errors.push(SettingsError::new(
            "leftmodecfgclient",
            tr("IKEv1 Mode Config (a virtual address from the gateway) is not supported yet; use leftmodecfgclient=no with leftsubnet, or IKEv2"),
        ));
    }
    if get("fragmentation").is_some_and(|v| v != "no") {
        errors.push(SettingsError::new(
            "fragmentation",
            tr("IKEv1 fragmentation is not supported yet; use fragmentation=no"),
        ));
    }
    if get("rekey").as_deref() == Some("yes") {
        errors.push(SettingsError::new(
            "rekey",
            tr("rekeying IKEv1 SAs is not supported yet; use rekey=no (the connection ends when an SA lifetime ends)"),
        ));
    }
    if get("narrowing").as_deref() == Some("yes") {
        errors.push(SettingsError::new(
            "narrowing",
            tr("IKEv1 Quick Mode does not narrow networks; use narrowing=no (both ends must name the same networks)"),
        ));
    }
    for k in ["leftsubnets", "rightsubnets"] {
        if get(k).is_some_and(|v| v.contains(',')) {
            errors.push(SettingsError::new(
                k,
                tr("IKEv1 Quick Mode carries one local and one remote network; several are not supported yet"),
            ));
        }
    }
    errors
}

fn default_of(name: &str) -> &'static str {
    schema::key(name).and_then(|k| k.default).unwrap_or("")
}

impl Settings {
    /// Checks vpn.data and vpn.secrets and builds the typed settings. Every problem is
    /// reported, not only the first.
    pub fn from_maps(
        data: &BTreeMap<String, String>,
        secrets: &BTreeMap<String, String>,
    ) -> Result<Self, Vec<SettingsError>> {
        let mut errors = Vec::new();
        let mut ignored = Vec::new();
        for (map, place) in [(data, Place::Data), (secrets, Place::Secret)] {
            for (k, v) in map {
                if place == Place::Data {
                    if let Some(base) = k.strip_suffix("-flags") {
                        if schema::key(base).is_some_and(|s| s.place == Place::Secret) {
                            if value::parse_integer(v).is_none_or(|n| n > 7) {
                                errors.push(SettingsError::new(
                                    k,
                                    tr("secret flags must be a number from 0 to 7"),
                                ));
                            }
                            continue;
                        }
                    }
                }
                match schema::key(k) {
                    // Refused wherever it is, with what is missing.
                    Some(key) if key.kind == Kind::Unsupported => {
                        errors.extend(value::check(key, v).err());
                    }
                    Some(key) if key.place == place => {
                        if key.kind == Kind::Ignored {
                            ignored.push(key.name.to_string());
                        } else if let Err(e) = value::check(key, v) {
                            errors.push(e);
                        }
                    }
                    Some(key) => errors.push(SettingsError::new(
                        k,
                        match key.place {
                            Place::Secret => tr("belongs in vpn.secrets, not vpn.data"),
                            Place::Data => tr("belongs in vpn.data, not vpn.secrets"),
                        },
                    )),
                    None => errors.push(SettingsError::new(
                        k,
                        match schema::suggest(k) {
                            Some(s) => trf(
                                "is not a known key; did you mean {suggestion}?",
                                &[("suggestion", &s)],
                            ),
                            None => tr("is not a known key (see nm-settings-ike(5))").to_string(),
                        },
                    )),
                }
            }
        }
        let get = |k: &str| data.get(k).map(|v| v.trim().to_string());
        let get_or = |k: &str| get(k).unwrap_or_else(|| default_of(k).to_string());
        let yes = |k: &str| get_or(k) == "yes";
        let dur = |k: &str| Duration::from_secs(value::parse_duration(&get_or(k)).unwrap_or(0));
        let int = |k: &str| value::parse_integer(&get_or(k)).unwrap_or(0);
        let secret = |k: &str| secrets.get(k).map(|v| Secret(Zeroizing::new(v.clone())));

        let gateway = get("right").unwrap_or_default();
        if gateway.is_empty() && !data.contains_key("right") {
            errors.push(SettingsError::new(
                "right",
                tr("is required: the gateway's host name or address"),
            ));
        }
        let ikev1 = matches!(get_or("ikev2").as_str(), "never" | "no");
        if get_or("aggrmode") == "yes" {
            errors.push(SettingsError::new(
                "aggrmode",
                tr("IKEv1 Aggressive Mode is not supported yet; use aggrmode=no (Main Mode)"),
            ));
        }
        if ikev1 {
            errors.extend(ikev1_refusals(&get));
        }
        let mut auth = match get_or("authby").as_str() {
            "secret" => AuthMethod::Psk,
            _ => AuthMethod::Certificate,
        };
        match get("leftauth").as_deref() {
            Some(m @ ("eap-mschapv2" | "eap-gtc" | "eap-md5")) => {
                if get("authby").as_deref() == Some("secret") {
                    errors.push(SettingsError::new(
                        "authby",
                        tr("authby=secret cannot be combined with leftauth=eap-...: with EAP the gateway authenticates with its certificate; remove authby"),
                    ));
                }
                if get("leftusername").is_none() {
                    errors.push(SettingsError::new(
                        "leftusername",
                        tr("is required with leftauth=eap-... (the user name the gateway knows)"),
                    ));
                }
                auth = AuthMethod::Eap(match m {
                    "eap-gtc" => ike_core::engine::EapMethod::Gtc,
                    "eap-md5" => ike_core::engine::EapMethod::Md5,
                    _ => ike_core::engine::EapMethod::MsChapV2,
                });
            }
            _ => {
                if get("leftusername").is_some() {
                    errors.push(SettingsError::new(
                        "leftusername",
                        tr("is used only with EAP; set leftauth=eap-mschapv2 (or eap-gtc, eap-md5), or remove leftusername"),
                    ));
                }
            }
        }
        let file = |k: &str| get(k).map(PathBuf::from);
        if auth == AuthMethod::Certificate && get("leftpkcs12").is_none() {
            if get("leftcert").is_none() {
                errors.push(SettingsError::new(
                    "leftcert",
                    tr("is required with certificate authentication (or set leftpkcs12)"),
                ));
            }
            if get("leftkey").is_none() {
                errors.push(SettingsError::new(
                    "leftkey",
                    tr("is required with certificate authentication (or set leftpkcs12)"),
                ));
            }
        }
        if auth == AuthMethod::Psk {
            for k in ["rightcrl", "crl-strict"] {
                if get(k).is_some() {
                    errors.push(SettingsError::new(
                        k,
                        tr("is used only with certificate authentication (authby=rsasig, ecdsa or cert); remove it"),
                    ));
                }
            }
        } else if get_or("crl-strict") == "yes" && get("rightcrl").is_none() {
            errors.push(SettingsError::new(
                "crl-strict",
                tr("yes needs rightcrl: without certificate revocation lists every gateway certificate would be refused"),
            ));
        }
        match (get("mark"), get("vti-interface")) {
            (Some(_), None) => errors.push(SettingsError::new(
                "mark",
                tr("needs vti-interface: without a VTI device nothing would carry the mark, and the traffic would bypass the tunnel"),
            )),
            (None, Some(_)) => errors.push(SettingsError::new(
                "vti-interface",
                tr("needs mark (the key of the VTI device and of the tunnel's SAs and policies)"),
            )),
            _ => {}
        }
        if get("vti-interface").is_some() && get("ipsec-interface").is_some() {
            errors.push(SettingsError::new(
                "vti-interface",
                tr("cannot be combined with ipsec-interface; choose one kind of route-based tunnel"),
            ));
        }
        // dpdtimeout may be shorter than dpddelay (Libreswan allows it: the check is sent after
        // dpddelay of silence and may stay unanswered for dpdtimeout).
        if get_or("nm-connect-mode") == "ondemand" {
            errors.push(SettingsError::new(
                "nm-connect-mode",
                tr("connecting on demand (when traffic first wants through the tunnel) is not supported yet; use nm-connect-mode=up"),
            ));
        }
        if get_or("mobike") == "yes" && get("vti-interface").is_some() {
            // The VTI device's endpoints are our old address: it cannot move with the SAs.
            errors.push(SettingsError::new(
                "mobike",
                tr("MOBIKE with a VTI device (vti-interface) is not supported yet; use ipsec-interface or a policy-based tunnel, or mobike=no"),
            ));
        }
        for (one, set) in [
            ("leftsubnet", "leftsubnets"),
            ("rightsubnet", "rightsubnets"),
        ] {
            if get(one).is_some() && get(set).is_some() {
                errors.push(SettingsError::new(
                    set,
                    trf(
                        "cannot be combined with {key}; give all the subnets in one of them",
                        &[("key", &one)],
                    ),
                ));
            }
        }
        for (group, proposals) in [("dhgroup", "ike"), ("pfsgroup", "esp")] {
            if get(group).is_some() && get(proposals).is_some() {
                errors.push(SettingsError::new(
                    group,
                    trf(
                        "cannot be combined with {key}; write the group into the {key} proposals (e.g. aes_gcm256;modp2048)",
                        &[("key", &proposals)],
                    ),
                ));
            }
        }
        if get("pfsgroup").is_some() && get_or("pfs") == "no" {
            errors.push(SettingsError::new(
                "pfsgroup",
                tr("names a group for perfect forward secrecy, but pfs=no turns it off; remove one of them"),
            ));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Settings {
            gateway,
            gateway_port: u16::try_from(int("rightport")).unwrap_or(ike_core::natt::IKE_PORT),
            remote_id: get("rightid"),
            local_id: get("leftid"),
            auth,
            psk: secret("pskvalue"),
            user: get("leftusername"),
            password: secret("password"),
            cert: file("leftcert"),
            key: file("leftkey"),
            pkcs12: file("leftpkcs12"),
            key_password: secret("leftkey-password"),
            ca: file("rightca"),
            require_id_on_certificate: yes("require-id-on-certificate"),
            crl: file("rightcrl"),
            crl_strict: yes("crl-strict"),
            ike: get("ike"),
            esp: get("esp"),
            pfs: yes("pfs"),
            ike_lifetime: dur("ikelifetime"),
            sa_lifetime: dur("salifetime"),
            sa_max_bytes: int("ipsec-max-bytes"),
            sa_max_packets: int("ipsec-max-packets"),
            nic_offload: match get_or("nic-offload").as_str() {
                "yes" => NicOffload::Yes,
                "auto" => NicOffload::Auto,
                _ => NicOffload::No,
            },
            rekey: yes("rekey") && !ikev1,
            local_addr: get("left").and_then(|v| value::parse_local_address(&v).ok().flatten()),
            local_subnets: get("leftsubnet")
                .or_else(|| get("leftsubnets").map(|v| value::subnet_set(&v))),
            remote_subnets: get("rightsubnets")
                .map(|v| value::subnet_set(&v))
                .unwrap_or_else(|| get_or("rightsubnet")),
            ike_group: get("dhgroup").and_then(|v| value::parse_ke_group(&v)),
            pfs_group: get("pfsgroup").and_then(|v| value::parse_ke_group(&v)),
            local_protoport: get("leftprotoport"),
            remote_protoport: get("rightprotoport"),
            narrowing: yes("narrowing") && !ikev1,
            mobike: yes("mobike") && !ikev1,
            transport_mode: get_or("type") == "transport",
            modecfg: yes("leftmodecfgclient") && !ikev1,
            fragmentation: match get_or("fragmentation").as_str() {
                _ if ikev1 => Fragmentation::No,
                "no" => Fragmentation::No,
                "force" => Fragmentation::Force,
                _ => Fragmentation::Yes,
            },
            dpd_delay: dur("dpddelay"),
            dpd_timeout: dur("dpdtimeout"),
            nat_keepalive: dur("nat-keepalive"),
            host_family: get("hostaddrfamily").and_then(|v| AddrFamily::parse(&v)),
            client_family: get("clientaddrfamily").and_then(|v| AddrFamily::parse(&v)),
            dpd_action: match get_or("dpdaction").as_str() {
                "restart" => DpdAction::Restart,
                "hold" => DpdAction::Hold,
                _ => DpdAction::Clear,
            },
            vti: get("vti-interface").zip(get("mark").and_then(|m| value::parse_mark(&m))),
            ipsec_interface: get("ipsec-interface")
                .and_then(|v| value::parse_integer(&v))
                .and_then(|n| u32::try_from(n).ok()),
            encapsulation: match get_or("encapsulation").as_str() {
                "yes" => Encapsulation::Yes,
                "no" => Encapsulation::No,
                _ => Encapsulation::Auto,
            },
            route_table: u32::try_from(int("route-table")).unwrap_or(2749),
            route_rule_priority: u32::try_from(int("route-rule-priority")).unwrap_or(2749),
            retransmit_timeout: dur("retransmit-timeout"),
            retransmit_tries: u32::try_from(int("retransmit-tries")).unwrap_or(4),
            keying_tries: u32::try_from(int("keyingtries")).unwrap_or(1),
            ikev1,
            ignored,
        })
    }
}
