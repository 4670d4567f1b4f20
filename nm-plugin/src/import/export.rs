//! Export of a profile as a Libreswan conn (+ secrets file) or a strongSwan swanctl.conf.
//!
//! The profile is validated first. Keys without an equivalent in the target syntax are written
//! as `# nm-ike: key=value` comments (read back by the importers).
//!
//! `nat-keepalive` is one of those in both syntaxes: Libreswan's `keep-alive` belongs to
//! `config setup` and strongSwan's `charon.keep_alive` to strongswan.conf, both for every
//! connection of the daemon, so an exported conn cannot carry it; writing the global setting
//! would change the other connections of whoever installs the file. Values with quotes,
//! backslashes or control characters are refused (config injection, CVE-2024-9050).

use super::{safe_value, ImportError, NM_IKE_COMMENT};
use crate::settings::{schema, value, Settings};
use ike_core::proposal::{self, Protocol};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// An exported Libreswan configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpsecConfExport {
    /// The `conn` for ipsec.conf (or a file in `/etc/ipsec.d/NAME.conf`).
    pub conf: String,
    /// The secrets file (`/etc/ipsec.d/NAME.secrets`, mode 0600); `None` without a PSK.
    pub secrets: Option<String>,
}

/// Keys Libreswan's ipsec.conf knows under the same name and meaning.
const LIBRESWAN_KEYS: &[&str] = &[
    "right",
    "rightid",
    "leftid",
    "authby",
    "leftcert",
    "ikev2",
    "ike",
    "esp",
    "pfs",
    "ikelifetime",
    "salifetime",
    "rekey",
    "leftsubnet",
    "rightsubnet",
    "leftsubnets",
    "rightsubnets",
    "leftrsasigkey",
    "rightrsasigkey",
    "leftprotoport",
    "rightprotoport",
    "narrowing",
    "type",
    "leftmodecfgclient",
    "hostaddrfamily",
    "clientaddrfamily",
    "fragmentation",
    "mobike",
    "dpddelay",
    "dpdtimeout",
    "dpdaction",
    "keyingtries",
    "ipsec-interface",
    "mark",
    "vti-interface",
    "ipsec-max-bytes",
    "ipsec-max-packets",
    "nic-offload",
    "encapsulation",
    "require-id-on-certificate",
];

fn check(
    data: &BTreeMap<String, String>,
    secrets: &BTreeMap<String, String>,
) -> Result<Settings, ImportError> {
    let settings = Settings::from_maps(data, secrets).map_err(ImportError::Invalid)?;
    for (k, v) in data.iter().chain(secrets.iter()) {
        safe_value(k, v)?;
    }
    Ok(settings)
}

fn conn_name(name: &str) -> String {
    let n: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect();
    if n.is_empty() || n.starts_with('%') {
        "nm-ike".to_string()
    } else {
        n
    }
}

/// Libreswan syntax for a proposal list (strongSwan-syntax values are converted).
fn libreswan_proposals(protocol: Protocol, v: &str) -> String {
    match proposal::detect_syntax(v) {
        Some(proposal::Syntax::StrongSwan) => {
            proposal::parse(protocol, v).map_or_else(|_| v.to_string(), |s| s.to_libreswan())
        }
        _ => v.to_string(),
    }
}

/// Writes a Libreswan conn named `name` (and the secrets file content).
///
/// # Errors
/// [`ImportError::Invalid`] for an invalid profile, [`ImportError::Unsupported`] for values
/// that cannot be written safely.
pub fn to_ipsec_conf(
    name: &str,
    data: &BTreeMap<String, String>,
    secrets: &BTreeMap<String, String>,
) -> Result<IpsecConfExport, ImportError> {
    let settings = check(data, secrets)?;
    let name = conn_name(name);
    let mut conf = String::new();
    let _ = writeln!(
        conf,
        "# Exported by NetworkManager-ike. left is this host, right the gateway."
    );
    let _ = writeln!(conf, "conn {name}");
    let left = data.get("left").map_or("%defaultroute", String::as_str);
    let _ = writeln!(
        conf,
        "    left={}",
        if left.is_empty() {
            "%defaultroute"
        } else {
            left
        }
    );
    for (k, v) in data {
        let Some(key) = schema::key(k) else { continue };
        if key.place != schema::Place::Data || key.kind == schema::Kind::Ignored {
            continue;
        }
        match k.as_str() {
            "authby" if v == "cert" => {
                let _ = writeln!(conf, "    authby=rsasig");
                let _ = writeln!(conf, "    # {NM_IKE_COMMENT} authby=cert");
            }
            "ike" => {
                let _ = writeln!(conf, "    ike={}", libreswan_proposals(Protocol::Ike, v));
            }
            "esp" => {
                let _ = writeln!(conf, "    esp={}", libreswan_proposals(Protocol::Esp, v));
            }
            "rightport" => {
                let _ = writeln!(conf, "    rightikeport={v}");
            }
            "left" => {}
            // Libreswan has no such keys: the default algorithms with that group, as the
            // service proposes them, and the key as a comment for our own import.
            "dhgroup" | "pfsgroup" => {
                let (line, set) = match (k.as_str(), settings.ike_group, settings.pfs_group) {
                    ("dhgroup", Some(g), _) => ("ike", value::ike_with_group(g)),
                    ("pfsgroup", _, Some(g)) => ("esp", value::esp_with_group(g)),
                    _ => continue,
                };
                let _ = writeln!(conf, "    {line}={}", set.to_libreswan());
                let _ = writeln!(conf, "    # {NM_IKE_COMMENT} {k}={v}");
            }
            k if LIBRESWAN_KEYS.contains(&k) => {
                let _ = writeln!(conf, "    {k}={v}");
            }
            k => {
                let _ = writeln!(conf, "    # {NM_IKE_COMMENT} {k}={v}");
            }
        }
    }
    // Our defaults where Libreswan's differ.
    for (k, ours) in [
        ("ikev2", "insist"),
        ("leftmodecfgclient", "yes"),
        ("narrowing", "yes"),
        ("salifetime", "1h"),
        ("rightsubnet", "0.0.0.0/0"),
    ] {
        if !data.contains_key(k) {
            let _ = writeln!(conf, "    {k}={ours}");
        }
    }
    let _ = writeln!(conf, "    auto=add");
    let secrets_text = secrets.get("pskvalue").map(|psk| {
        let ours = data.get("leftid").map_or("%any", String::as_str);
        let theirs = data
            .get("rightid")
            .or_else(|| data.get("right"))
            .map_or("%any", String::as_str);
        format!("{ours} {theirs} : PSK \"{psk}\"\n")
    });
    Ok(IpsecConfExport {
        conf,
        secrets: secrets_text,
    })
}

/// Writes a swanctl.conf with one connection (and its PSK in `secrets`).
///
/// # Errors
/// As [`to_ipsec_conf`].
pub fn to_swanctl(
    name: &str,
    data: &BTreeMap<String, String>,
    secrets: &BTreeMap<String, String>,
) -> Result<String, ImportError> {
    let s = check(data, secrets)?;
    let name = conn_name(name);
    let get = |k: &str| data.get(k).map(String::as_str);
    let mut o = String::new();
    let mut done: Vec<&str> = Vec::new();
    let _ = writeln!(
        o,
        "# Exported by NetworkManager-ike.\nconnections {{\n    {name} {{"
    );
    let _ = writeln!(
        o,
        "        version = 2\n        remote_addrs = {}",
        s.gateway
    );
    done.push("right");
    if let Some(l) = s.local_addr {
        let _ = writeln!(o, "        local_addrs = {l}");
    }
    done.push("left");
    if let Some(p) = get("rightport") {
        let _ = writeln!(o, "        remote_port = {p}");
        done.push("rightport");
    }
    if let Some(ike) = get("ike") {
        let v = proposal::parse(Protocol::Ike, ike)
            .map_or_else(|_| ike.to_string(), |p| p.to_strongswan());
        let _ = writeln!(o, "        proposals = {v}");
        let _ = writeln!(o, "        # {NM_IKE_COMMENT} ike={ike}");
        done.push("ike");
    } else if let Some(g) = s.ike_group {
        // `dhgroup`: our default algorithms with only that group, as the service proposes.
        let set = value::ike_with_group(g);
        let _ = writeln!(o, "        proposals = {}", set.to_strongswan());
    }
    let mut line = |o: &mut String, key: &'static str, sw: &str, value: Option<String>| {
        if let Some(v) = value {
            let _ = writeln!(o, "        {sw} = {v}");
        }
        done.push(key);
    };
    line(
        &mut o,
        "ikelifetime",
        "rekey_time",
        Some(get("ikelifetime").unwrap_or("8h").to_string()),
    );
    line(
        &mut o,
        "fragmentation",
        "fragmentation",
        Some(get("fragmentation").unwrap_or("yes").to_string()),
    );
    line(
        &mut o,
        "mobike",
        "mobike",
        Some(get("mobike").unwrap_or("no").to_string()),
    );
    line(
        &mut o,
        "dpddelay",
        "dpd_delay",
        get("dpddelay").map(str::to_string),
    );
    line(&mut o, "dpdtimeout", "dpd_timeout", None);
    line(
        &mut o,
        "keyingtries",
        "keyingtries",
        get("keyingtries").map(str::to_string),
    );
    line(
        &mut o,
        "encapsulation",
        "encap",
        get("encapsulation")
            .filter(|v| *v == "yes")
            .map(str::to_string),
    );
    line(
        &mut o,
        "ipsec-interface",
        "if_id_in",
        get("ipsec-interface").map(str::to_string),
    );
    if let Some(id) = get("ipsec-interface") {
        let _ = writeln!(o, "        if_id_out = {id}");
    }
    let modecfg = get("leftmodecfgclient").unwrap_or("yes") == "yes";
    let vip = if get("clientaddrfamily") == Some("ipv6") {
        "::"
    } else {
        "0.0.0.0"
    };
    line(
        &mut o,
        "leftmodecfgclient",
        "vips",
        modecfg.then(|| vip.to_string()),
    );
    if modecfg {
        done.push("clientaddrfamily");
    }
    let auth = match get("authby").unwrap_or("secret") {
        "secret" => "psk",
        _ => "pubkey",
    };
    // EAP: ours is the method, the gateway's its certificate.
    let eap = get("leftauth");
    let (local_auth, remote_auth) = match eap {
        Some(method) => (method, "pubkey"),
        None => (auth, auth),
    };
    let _ = writeln!(o, "        local {{\n            auth = {local_auth}");
    if let Some(id) = get("leftid") {
        let _ = writeln!(o, "            id = {id}");
    }
    if let Some(user) = get("leftusername") {
        let _ = writeln!(o, "            eap_id = {user}");
    }
    if let Some(c) = get("leftcert") {
        let _ = writeln!(o, "            certs = {c}");
    }
    let _ = writeln!(
        o,
        "        }}\n        remote {{\n            auth = {remote_auth}"
    );
    if let Some(id) = get("rightid") {
        let _ = writeln!(o, "            id = {id}");
    }
    if let Some(c) = get("rightca") {
        let _ = writeln!(o, "            cacerts = {c}");
    }
    let _ = writeln!(o, "        }}");
    done.extend([
        "authby",
        "leftid",
        "leftcert",
        "rightid",
        "rightca",
        "leftauth",
        "leftusername",
    ]);
    let _ = writeln!(o, "        children {{\n            {name} {{");
    let _ = writeln!(
        o,
        "                local_ts = {}",
        s.local_subnets.as_deref().unwrap_or("dynamic")
    );
    let _ = writeln!(o, "                remote_ts = {}", s.remote_subnets);
    if let Some(esp) = get("esp") {
        let v = proposal::parse(Protocol::Esp, esp)
            .map_or_else(|_| esp.to_string(), |p| p.to_strongswan());
        let _ = writeln!(o, "                esp_proposals = {v}");
        let _ = writeln!(o, "                # {NM_IKE_COMMENT} esp={esp}");
    } else if let Some(g) = s.pfs_group {
        let set = value::esp_with_group(g);
        let _ = writeln!(o, "                esp_proposals = {}", set.to_strongswan());
    }
    let _ = writeln!(
        o,
        "                mode = {}",
        if s.transport_mode {
            "transport"
        } else {
            "tunnel"
        }
    );
    let _ = writeln!(
        o,
        "                rekey_time = {}",
        get("salifetime").unwrap_or("1h")
    );
    // Libreswan's hold is strongSwan's trap (policies kept, re-established on traffic).
    let action = match get("dpdaction").unwrap_or("clear") {
        "restart" => "restart",
        "hold" => "trap",
        _ => "clear",
    };
    let _ = writeln!(o, "                dpd_action = {action}");
    // Traffic limits: strongSwan's life_* are the hard limits, rekey_* start the rekey (we
    // rekey at 85-90 %); NIC offload has the same words.
    for (key, life, rekey) in [
        ("ipsec-max-bytes", "life_bytes", "rekey_bytes"),
        ("ipsec-max-packets", "life_packets", "rekey_packets"),
    ] {
        if let Some(n) = get(key)
            .and_then(crate::settings::value::parse_integer)
            .filter(|n| *n > 0)
        {
            let _ = writeln!(o, "                {life} = {n}");
            let _ = writeln!(o, "                {rekey} = {}", n / 10 * 9);
        }
    }
    if let Some(v) = get("nic-offload") {
        let _ = writeln!(o, "                hw_offload = {v}");
    }
    let _ = writeln!(o, "            }}\n        }}");
    done.extend([
        "leftsubnet",
        "rightsubnet",
        "leftsubnets",
        "rightsubnets",
        "esp",
        "type",
        "salifetime",
        "dpdaction",
        "ipsec-max-bytes",
        "ipsec-max-packets",
        "nic-offload",
    ]);
    // Everything else (and the exact spelling of what the lines above normalised).
    for (k, v) in data {
        let exact = matches!(
            k.as_str(),
            "leftsubnet"
                | "rightsubnet"
                | "type"
                | "dpdaction"
                | "dpdtimeout"
                | "encapsulation"
                | "clientaddrfamily"
                | "authby"
        );
        if (!done.contains(&k.as_str()) || exact)
            && schema::key(k).is_some_and(|s| s.kind != schema::Kind::Ignored)
        {
            let _ = writeln!(o, "        # {NM_IKE_COMMENT} {k}={v}");
        }
    }
    let _ = writeln!(o, "    }}\n}}");
    if let (Some(pw), Some(user)) = (secrets.get("password"), get("leftusername")) {
        let _ = writeln!(o, "secrets {{\n    eap-{name} {{");
        let _ = writeln!(o, "        id = {user}");
        let _ = writeln!(o, "        secret = \"{pw}\"\n    }}\n}}");
    } else if let Some(psk) = secrets.get("pskvalue") {
        let _ = writeln!(o, "secrets {{\n    ike-{name} {{");
        let _ = writeln!(o, "        id-1 = {}", get("rightid").unwrap_or(&s.gateway));
        let _ = writeln!(o, "        secret = \"{psk}\"\n    }}\n}}");
    }
    Ok(o)
}
