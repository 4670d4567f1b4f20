//! Checking one vpn.data / vpn.secrets value against its [`Kind`].

use super::schema::{Key, Kind};
use crate::i18n::{tr, trf};
use std::fmt;
use std::net::IpAddr;

/// A value that does not fit its key. The message names the key and what it accepts; it never
/// repeats a secret value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsError {
    /// The key (vpn.data or vpn.secrets name).
    pub key: String,
    /// What is wrong and what would be accepted.
    pub message: String,
}

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key, self.message)
    }
}

impl std::error::Error for SettingsError {}

impl SettingsError {
    /// An error about `key`.
    pub fn new(key: &str, message: impl Into<String>) -> Self {
        Self {
            key: sanitize(key),
            message: message.into(),
        }
    }
}

/// Makes text safe for logs and files: control characters become `?`, length is capped.
pub fn sanitize(text: &str) -> String {
    text.chars()
        .take(200)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// Quotes a (non-secret) user value for a message.
fn shown(value: &str) -> String {
    format!("\"{}\"", sanitize(value))
}

/// Parses a duration: plain seconds or a number followed by `s`, `m`, `h` or `d`.
pub fn parse_duration(value: &str) -> Option<u64> {
    let v = value.trim();
    let (num, mult) = match v.char_indices().last() {
        Some((i, 's')) => (v.get(..i)?, 1),
        Some((i, 'm')) => (v.get(..i)?, 60),
        Some((i, 'h')) => (v.get(..i)?, 3600),
        Some((i, 'd')) => (v.get(..i)?, 86_400),
        _ => (v, 1),
    };
    if num.is_empty() || !num.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    num.parse::<u64>().ok()?.checked_mul(mult)
}

/// Parses a whole number, decimal or `0x` hexadecimal.
pub fn parse_integer(value: &str) -> Option<u64> {
    let v = value.trim();
    match v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) => v.parse().ok(),
        None => None,
    }
}

/// Parses an XFRM mark, `value` or `value/mask` (decimal or `0x` hex, 32 bits; the mask
/// defaults to `0xffffffff`). A zero value, or a value outside the mask, is refused.
pub fn parse_mark(value: &str) -> Option<(u32, u32)> {
    let (v, m) = match value.trim().split_once('/') {
        Some((v, m)) => (v, Some(m)),
        None => (value.trim(), None),
    };
    let v = u32::try_from(parse_integer(v)?).ok()?;
    let m = match m {
        Some(m) => u32::try_from(parse_integer(m)?).ok()?,
        None => u32::MAX,
    };
    (v != 0 && v & m == v).then_some((v, m))
}

/// Parses Libreswan's `protocol/port` (`17/1701`, `udp/%any`, `tcp`): IP protocol number and
/// port (0 = any).
pub fn parse_proto_port(value: &str) -> Option<(u8, u16)> {
    let (proto, port) = value.split_once('/').unwrap_or((value, "%any"));
    let proto = match proto {
        "tcp" => 6,
        "udp" => 17,
        "icmp" => 1,
        "icmpv6" | "ipv6-icmp" => 58,
        "sctp" => 132,
        "gre" => 47,
        p => p.parse::<u8>().ok()?,
    };
    let port = match port {
        "%any" | "0" => 0,
        p => p.parse::<u16>().ok()?,
    };
    Some((proto, port))
}

/// Parses `left`: `Ok(None)` for empty, `%defaultroute` or `%any` (the routing table chooses
/// our address), the address for an IP literal; the parser's error for anything else.
pub fn parse_local_address(value: &str) -> Result<Option<IpAddr>, std::net::AddrParseError> {
    match value.trim() {
        "" | "%defaultroute" | "%any" => Ok(None),
        v => v.parse::<IpAddr>().map(Some),
    }
}

/// Our default IKE proposals with only the key exchange group `group` (`dhgroup`): what the
/// service proposes, and what the export writes for it.
pub fn ike_with_group(group: u16) -> ike_core::proposal::ProposalSet {
    let mut set = ike_core::proposal::default_ike();
    for p in &mut set.0 {
        p.ke = vec![group];
    }
    set
}

/// Our default ESP proposals with the PFS group `group` (`pfsgroup`), likewise.
pub fn esp_with_group(group: u16) -> ike_core::proposal::ProposalSet {
    ike_core::proposal::esp_with_pfs(&ike_core::proposal::default_esp(), &[group])
}

/// Libreswan's `{a,b}` / `{a b}` subnet set as our comma-separated list.
pub fn subnet_set(value: &str) -> String {
    let v = value.trim();
    let v = v.strip_prefix('{').unwrap_or(v);
    let v = v.strip_suffix('}').unwrap_or(v);
    v.split([',', ' ', '\t'])
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(",")
}

/// The IANA number of a key exchange group named as in Libreswan's or strongSwan's proposals
/// (`modp2048`, `dh14`, `ecp256`, `curve25519`, ...); `None` for anything else (`none` too).
pub fn parse_ke_group(value: &str) -> Option<u16> {
    let v = value.trim();
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return None;
    }
    let set = ike_core::proposal::parse(
        ike_core::proposal::Protocol::Esp,
        &format!("aes_gcm256;{v}"),
    )
    .ok()?;
    match set.0.as_slice() {
        [p] => match p.ke.as_slice() {
            [g] if *g != 0 => Some(*g),
            _ => None,
        },
        _ => None,
    }
}

fn valid_hostname(v: &str) -> bool {
    is_ldh_name(v, true)
}

/// The longest DNS name.
pub const MAX_DNS_NAME: usize = 253;
/// The longest label of a DNS name.
pub const MAX_LABEL: usize = 63;

/// Whether `v` is a DNS name: dot-separated labels of 1-63 letters, digits and hyphens (and
/// underscores when `underscore`; host names in profiles may have them), no hyphen at either
/// end of a label, 253 characters at most.
pub fn is_ldh_name(v: &str, underscore: bool) -> bool {
    !v.is_empty()
        && v.len() <= MAX_DNS_NAME
        && v.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= MAX_LABEL
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || (underscore && b == b'_'))
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

/// Checks `value` for `key`. Returns the trimmed value to use.
pub fn check(key: &Key, value: &str) -> Result<(), SettingsError> {
    let err = |msg: String| Err(SettingsError::new(key.name, msg));
    if value.chars().any(char::is_control) {
        return err(
            tr("contains control characters (newlines, tabs, ...), which are not allowed").into(),
        );
    }
    if key.kind != Kind::Secret && value.contains(['"', '\'']) {
        return err(trf(
            "{value} contains quotes, which are not allowed",
            &[("value", &shown(value))],
        ));
    }
    let v = value.trim();
    match key.kind {
        Kind::Host => {
            if v.parse::<IpAddr>().is_err() && !valid_hostname(v) {
                return err(trf(
                    "{value} is neither an IP address nor a host name",
                    &[("value", &shown(v))],
                ));
            }
        }
        Kind::Identity => {
            if v.is_empty() || v.len() > 255 {
                return err(
                    tr("must be a non-empty identity of at most 255 characters").into(),
                );
            }
            ike_core::engine::Identity::parse(v)
                .map_err(|e| SettingsError::new(key.name, e.to_string()))?;
        }
        Kind::YesNo => {
            if !matches!(v, "yes" | "no") {
                return err(trf(
                    "{value} is not accepted; use yes or no",
                    &[("value", &shown(v))],
                ));
            }
        }
        Kind::Choice(words) => {
            if !words.contains(&v) {
                return err(trf(
                    "{value} is not accepted; use one of: {choices}",
                    &[("value", &shown(v)), ("choices", &words.join(", "))],
                ));
            }
        }
        Kind::Duration { min, max } => match parse_duration(v) {
            Some(s) if (min..=max).contains(&s) => {}
            Some(_) => {
                return err(trf(
                    "{value} is out of range ({min} s to {max} s)",
                    &[("value", &shown(v)), ("min", &min), ("max", &max)],
                ))
            }
            None => {
                return err(trf(
                    "{value} is not a duration; use seconds or a number with s, m, h or d (e.g. 3600s, 8h)",
                    &[("value", &shown(v))],
                ))
            }
        },
        Kind::Integer { min, max } => match parse_integer(v) {
            Some(n) if (min..=max).contains(&n) => {}
            _ => {
                return err(trf(
                    "{value} is not a whole number from {min} to {max}",
                    &[("value", &shown(v)), ("min", &min), ("max", &max)],
                ))
            }
        },
        Kind::RouteTable => match parse_integer(v) {
            Some(n) if super::schema::RESERVED_ROUTE_TABLES.contains(&n) => {
                return err(trf(
                    "{value} is a table the kernel reserves (0 unspecified, 253 default, 254 main, 255 local); choose another table, e.g. the default 2749",
                    &[("value", &shown(v))],
                ))
            }
            Some(n) if (1..=super::schema::MAX_ROUTE_TABLE).contains(&n) => {}
            _ => {
                return err(trf(
                    "{value} is not a whole number from {min} to {max}",
                    &[
                        ("value", &shown(v)),
                        ("min", &1),
                        ("max", &super::schema::MAX_ROUTE_TABLE),
                    ],
                ))
            }
        },
        Kind::RulePriority => match parse_integer(v) {
            Some(n) if (1..super::schema::MAIN_RULE_PRIORITY).contains(&n) => {}
            _ => {
                return err(trf(
                    "{value} is not accepted: the rule needs a priority from 1 to {max}, before the main table's rule ({main}); 0 is the local table's rule",
                    &[
                        ("value", &shown(v)),
                        ("max", &(super::schema::MAIN_RULE_PRIORITY - 1)),
                        ("main", &super::schema::MAIN_RULE_PRIORITY),
                    ],
                ))
            }
        },
        Kind::IkeProposals => {
            ike_core::proposal::parse(ike_core::proposal::Protocol::Ike, v)
                .map_err(|e| SettingsError::new(key.name, e.to_string()))?;
        }
        Kind::EspProposals => {
            ike_core::proposal::parse(ike_core::proposal::Protocol::Esp, v)
                .map_err(|e| SettingsError::new(key.name, e.to_string()))?;
        }
        Kind::Subnets => {
            ike_core::ts::parse_ts_list(v)
                .map_err(|e| SettingsError::new(key.name, e.to_string()))?;
        }
        Kind::ProtoPort => {
            if parse_proto_port(v).is_none() {
                return err(trf(
                    "{value} is not protocol/port; use e.g. 17/1701, udp/%any or tcp",
                    &[("value", &shown(v))],
                ));
            }
        }
        Kind::File => {
            let file_like = [".pem", ".crt", ".cer", ".der", ".p12", ".pfx"]
                .iter()
                .any(|ext| v.to_ascii_lowercase().ends_with(ext));
            if key.name == "leftcert" && !v.contains('/') && !file_like {
                return err(trf(
                    "{value} is not a file; NetworkManager-ike reads certificates from PEM, DER or PKCS#12 files, not from an NSS database nickname",
                    &[("value", &shown(v))],
                ));
            }
            if !v.starts_with('/') {
                return err(trf(
                    "{value} is not an absolute file path",
                    &[("value", &shown(v))],
                ));
            }
        }
        Kind::Mark => {
            if parse_mark(v).is_none() {
                return err(trf(
                    "{value} is not a mark: use value or value/mask, e.g. 5 or 5/0xffffffff (value not 0)",
                    &[("value", &shown(v))],
                ));
            }
        }
        Kind::InterfaceName => {
            if !valid_interface_name(v) {
                return err(trf(
                    "{value} is not an interface name: 1 to 15 letters, digits, _, - or .",
                    &[("value", &shown(v))],
                ));
            }
        }
        Kind::UserName => {
            if v.is_empty() || v.len() > 255 {
                return err(tr("must be a user name of 1 to 255 characters").into());
            }
        }
        Kind::Secret => {
            if value.is_empty() {
                return err(tr("is empty").into());
            }
        }
        Kind::Ignored => {}
        Kind::LocalAddress => {
            if parse_local_address(v).is_err() {
                return err(trf(
                    "{value} is not accepted; use an IP address of this host, or %defaultroute to let the routing table choose (host names and interfaces are not supported)",
                    &[("value", &shown(v))],
                ));
            }
        }
        Kind::SubnetSet => {
            let list = subnet_set(v);
            if list.is_empty() {
                return err(tr("is empty; give subnets, e.g. {10.1.0.0/24,10.3.0.0/24}").into());
            }
            ike_core::ts::parse_ts_list(&list)
                .map_err(|e| SettingsError::new(key.name, e.to_string()))?;
        }
        Kind::KeGroup => {
            if parse_ke_group(v).is_none() {
                return err(trf(
                    "{value} is not a key exchange group we support; use e.g. modp2048, modp3072, ecp256, ecp384 or curve25519",
                    &[("value", &shown(v))],
                ));
            }
        }
        Kind::RsaSigKey => {
            if v != "%cert" {
                return err(tr(
                    "raw RSA keys are not supported; use certificates (only %cert is accepted: the key of the certificate)",
                )
                .into());
            }
        }
        // The help says what is missing; as a message it has no final stop.
        Kind::Unsupported => {
            return err(key
                .localized_help()
                .trim_end_matches(['.', '。'])
                .to_string())
        }
    }
    Ok(())
}

/// Whether `name` is a usable interface name (1-15 bytes, no `/`, whitespace or `:`).
pub fn valid_interface_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 15
        && name != "."
        && name != ".."
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

#[cfg(test)]
mod tests {
    use super::valid_interface_name;

    #[test]
    fn interface_names() {
        assert!(valid_interface_name("vti01") && valid_interface_name("oci.tun-2"));
        for bad in ["", "a b", "..", "x/y", "sixteen-chars-xx", "vti:1"] {
            assert!(!valid_interface_name(bad), "{bad}");
        }
    }
}
