//! Text and addresses from the gateway, checked before they reach NetworkManager or a log line.
//!
//! The gateway is authenticated, but what it sends is still input: a DNS domain with a newline
//! would forge log lines (and reach NetworkManager's resolver configuration), an identity with
//! terminal escapes would be written to the journal, a multicast "DNS server" would be handed
//! to the resolver. So:
//! * DNS domains (INTERNAL_DNS_DOMAIN) must be host names of LDH labels (letters, digits,
//!   hyphens; no label starting or ending with a hyphen; labels of 1 to 63 characters, 253 in
//!   all; one trailing dot allowed and removed). Internationalised names arrive as A-labels
//!   (`xn--...`), which pass.
//! * DNS servers must be unicast addresses (not unspecified, loopback, multicast or the IPv4
//!   broadcast address); so must the virtual addresses.
//! * Everything else shown (identities, failure texts) is made printable: control and
//!   invisible formatting characters (bidirectional overrides, zero-width characters) are
//!   escaped as `\u{..}` and the length is bounded.
//!
//! What is refused is dropped with a warning naming the attribute and showing the value
//! (escaped and shortened).

use super::messages;
use ike_core::engine::ReceivedConfig;
use std::net::IpAddr;

pub use crate::settings::value::MAX_DNS_NAME;
/// How many characters of an identity are shown.
pub const MAX_IDENTITY: usize = 255;
/// How many characters of one log line (or message) from the gateway's data are kept.
pub const MAX_LINE: usize = 4096;
/// How many characters of a refused value a warning shows.
pub const MAX_SHOWN: usize = 64;

/// Whether `s` (without one trailing dot) is a DNS name of LDH labels.
pub fn is_dns_name(s: &str) -> bool {
    crate::settings::value::is_ldh_name(s.strip_suffix('.').unwrap_or(s), false)
}

/// Characters that must not reach a log line as they are: control characters and the
/// invisible ones that change how the rest is displayed.
fn hidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00ad}'
                | '\u{061c}'
                | '\u{180e}'
                | '\u{200b}'..='\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{206f}'
                | '\u{feff}'
                | '\u{fff9}'..='\u{fffb}'
        )
}

/// `s` with hidden characters escaped (`\u{a}`) and at most `max` characters of it kept
/// (`…` marks a cut).
pub fn printable(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max.saturating_mul(4)));
    for (n, c) in s.chars().enumerate() {
        if n >= max {
            out.push('…');
            break;
        }
        if hidden(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

/// A refused value as a warning shows it: quoted, escaped, shortened.
pub fn shown(s: &str) -> String {
    format!("\"{}\"", printable(s, MAX_SHOWN).replace('"', "\\\""))
}

/// Whether `a` can be a server (DNS) or our virtual address: a unicast address.
pub fn is_unicast(a: IpAddr) -> bool {
    !(a.is_unspecified()
        || a.is_loopback()
        || a.is_multicast()
        || matches!(a, IpAddr::V4(v) if v.is_broadcast()))
}

/// The configuration reply with every value that fails its check dropped, and one warning per
/// dropped value.
pub fn config(mut c: ReceivedConfig) -> (ReceivedConfig, Vec<String>) {
    let mut warnings = Vec::new();
    let mut keep_address = |attribute: &str, a: IpAddr, host: bool| {
        if is_unicast(a) {
            return true;
        }
        warnings.push(messages::ignored_from_gateway(
            attribute,
            &a.to_string(),
            &if host {
                messages::not_a_host_address()
            } else {
                messages::not_a_server_address()
            },
        ));
        false
    };
    c.addresses_v4
        .retain(|a| keep_address("INTERNAL_IP4_ADDRESS", a.addr, true));
    c.addresses_v6
        .retain(|a| keep_address("INTERNAL_IP6_ADDRESS", a.addr, true));
    c.dns_v4
        .retain(|a| keep_address("INTERNAL_IP4_DNS", *a, false));
    c.dns_v6
        .retain(|a| keep_address("INTERNAL_IP6_DNS", *a, false));
    let mut domains: Vec<String> = Vec::new();
    for d in std::mem::take(&mut c.domains) {
        if !is_dns_name(&d) {
            warnings.push(messages::ignored_from_gateway(
                "INTERNAL_DNS_DOMAIN",
                &shown(&d),
                &messages::not_a_dns_name(),
            ));
            continue;
        }
        let d = d.strip_suffix('.').unwrap_or(&d).to_string();
        if !domains.iter().any(|x| x.eq_ignore_ascii_case(&d)) {
            domains.push(d);
        }
    }
    c.domains = domains;
    (c, warnings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ike_core::engine::AssignedAddress;

    #[test]
    fn dns_names_are_ldh_labels() {
        for good in [
            "corp.example",
            "a.b-c.d",
            "example.com.",
            "xn--bcher-kva.example",
            "0.example",
            "localdomain",
            &format!("{}.example", "a".repeat(63)),
        ] {
            assert!(is_dns_name(good), "{good:?}");
        }
        let long = format!("{}.example", vec!["a".repeat(60); 5].join("."));
        assert!(long.len() > MAX_DNS_NAME);
        for bad in [
            "",
            ".",
            "..",
            "a..b",
            ".example",
            "example..",
            "-bad-.com",
            "bad-.com",
            "-bad.com",
            "evil.example\nFAKE LOG LINE",
            "evil\0.example",
            "with space.example",
            "under_score.example",
            "bücher.example",
            "example.com/path",
            &"a".repeat(300),
            &format!("{}.example", "a".repeat(64)),
            &long,
        ] {
            assert!(!is_dns_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn printable_escapes_and_bounds() {
        assert_eq!(printable("gw.example", 255), "gw.example");
        assert_eq!(
            printable("gw\nDec 4 nm-ike-service: connected", 255),
            "gw\\u{a}Dec 4 nm-ike-service: connected"
        );
        assert_eq!(printable("a\0b\x1b[31m", 255), "a\\u{0}b\\u{1b}[31m");
        assert_eq!(printable("\u{202e}moc.evil", 255), "\\u{202e}moc.evil");
        // Japanese (translated messages) passes as it is.
        assert_eq!(printable("ゲートウェイ", 255), "ゲートウェイ");
        let cut = printable(&"x".repeat(300), MAX_IDENTITY);
        assert_eq!(cut.chars().count(), MAX_IDENTITY + 1);
        assert!(cut.ends_with('…'));
        assert_eq!(shown("a\"b\n"), "\"a\\\"b\\u{a}\"");
    }

    #[test]
    fn hostile_configuration_is_filtered() {
        let hostile = ReceivedConfig {
            addresses_v4: vec![
                AssignedAddress {
                    addr: "0.0.0.0".parse().unwrap(),
                    prefix: 32,
                },
                AssignedAddress {
                    addr: "10.9.0.10".parse().unwrap(),
                    prefix: 32,
                },
            ],
            addresses_v6: vec![AssignedAddress {
                addr: "ff02::1".parse().unwrap(),
                prefix: 128,
            }],
            dns_v4: vec![
                "0.0.0.0".parse().unwrap(),
                "224.0.0.251".parse().unwrap(),
                "255.255.255.255".parse().unwrap(),
                "127.0.0.53".parse().unwrap(),
                "10.9.255.53".parse().unwrap(),
            ],
            dns_v6: vec!["::".parse().unwrap(), "2001:db8::53".parse().unwrap()],
            domains: vec![
                "corp.example".into(),
                "evil.example\nnm-ike-service: VPN connected".into(),
                "evil\0.example".into(),
                "a".repeat(300),
                "-bad-.com".into(),
                "..".into(),
                "bücher.example".into(),
                "lab.example.".into(),
                "CORP.example".into(),
            ],
            ..ReceivedConfig::default()
        };
        let (c, warnings) = config(hostile);
        assert_eq!(c.addresses_v4.len(), 1);
        assert!(c.addresses_v6.is_empty());
        assert_eq!(c.dns_v4, ["10.9.255.53".parse::<IpAddr>().unwrap()]);
        assert_eq!(c.dns_v6, ["2001:db8::53".parse::<IpAddr>().unwrap()]);
        assert_eq!(c.domains, ["corp.example", "lab.example"]);
        // 1 + 1 addresses, 4 + 1 servers, 6 domains.
        assert_eq!(warnings.len(), 13, "{warnings:#?}");
        for w in &warnings {
            assert!(!w.contains('\n') && !w.contains('\0'), "{w:?}");
            assert!(w.chars().count() < 300, "{w:?}");
        }
        assert!(warnings.iter().any(|w| w.contains("INTERNAL_DNS_DOMAIN")
            && w.contains("\"evil.example\\u{a}nm-ike-service")
            && w.contains("not a DNS name")));
        assert!(warnings
            .iter()
            .any(|w| w.contains("INTERNAL_IP4_DNS") && w.contains("224.0.0.251")));
        assert!(warnings
            .iter()
            .any(|w| w.contains("INTERNAL_IP6_ADDRESS") && w.contains("ff02::1")));
    }
}
