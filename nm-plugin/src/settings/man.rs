//! Generates the `nm-settings-ike(5)` man page from the key schema.

use super::schema::{Kind, Origin, Place, KEYS};
use std::fmt::Write as _;

fn roff_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, c) in text.chars().enumerate() {
        match c {
            '\\' => out.push_str("\\e"),
            '-' => out.push_str("\\-"),
            '.' | '\'' if i == 0 => {
                out.push_str("\\&");
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

fn describe(kind: Kind) -> String {
    match kind {
        Kind::Host => "host name or IP address".into(),
        Kind::Identity => "IKE identity".into(),
        Kind::YesNo => "yes | no".into(),
        Kind::Choice(words) => words.join(" | "),
        Kind::Duration { min, max } => {
            format!("duration, {min} s to {max} s (e.g. 3600s, 60m, 8h, 1d)")
        }
        Kind::Integer { min, max } => format!("integer, {min} to {max}"),
        Kind::RouteTable => format!(
            "integer, 1 to {}, not 253, 254 or 255 (the kernel's default, main and local tables)",
            super::schema::MAX_ROUTE_TABLE
        ),
        Kind::RulePriority => format!(
            "integer, 1 to {} (before the main table's rule, {})",
            super::schema::MAIN_RULE_PRIORITY - 1,
            super::schema::MAIN_RULE_PRIORITY
        ),
        Kind::IkeProposals => "IKE proposals (Libreswan or strongSwan syntax)".into(),
        Kind::EspProposals => "ESP proposals (Libreswan or strongSwan syntax)".into(),
        Kind::Subnets => "comma-separated subnets".into(),
        Kind::ProtoPort => "protocol/port".into(),
        Kind::File => "absolute file path".into(),
        Kind::Mark => "value[/mask], value not 0".into(),
        Kind::InterfaceName => "interface name (up to 15 characters)".into(),
        Kind::UserName => "user name (1 to 255 characters)".into(),
        Kind::Secret => "secret".into(),
        Kind::Ignored => "any (ignored)".into(),
        Kind::LocalAddress => "IP address, %defaultroute, %any or empty".into(),
        Kind::SubnetSet => "subnets, {a,b} or a,b".into(),
        Kind::KeGroup => "key exchange group name".into(),
        Kind::RsaSigKey => "%cert".into(),
        Kind::Unsupported => "refused (not supported yet)".into(),
    }
}

/// The man page in roff format.
pub fn man_page() -> String {
    let mut m = String::new();
    let _ = writeln!(
        m,
        ".\\\" Generated from nm-plugin/src/settings/schema.rs; do not edit."
    );
    let _ = writeln!(
        m,
        ".TH NM\\-SETTINGS\\-IKE 5 \"\" \"NetworkManager-ike {}\"",
        env!("CARGO_PKG_VERSION")
    );
    m.push_str(".SH NAME\nnm\\-settings\\-ike \\- vpn.data and vpn.secrets keys of NetworkManager\\-ike profiles\n");
    m.push_str(".SH DESCRIPTION\nProfiles of type \\fBorg.freedesktop.NetworkManager.ike\\fR keep their settings as \
key/value pairs in \\fBvpn.data\\fR and their secrets in \\fBvpn.secrets\\fR. Key names marked \
\\fI(libreswan)\\fR mean the same as in NetworkManager\\-libreswan, so a libreswan profile migrates by \
changing \\fBvpn.service\\-type\\fR. Unknown keys and invalid values are refused with a message naming the \
key and the accepted values.\n");
    for (title, place) in [
        ("VPN.DATA KEYS", Place::Data),
        ("VPN.SECRETS KEYS", Place::Secret),
    ] {
        let _ = writeln!(m, ".SH {title}");
        for key in KEYS.iter().filter(|k| k.place == place) {
            let _ = writeln!(m, ".TP\n.B {}", roff_escape(key.name));
            let origin = match key.origin {
                Origin::Libreswan => " (libreswan)",
                Origin::Ike => "",
            };
            let _ = writeln!(m, "\\fI{}\\fR{}", roff_escape(&describe(key.kind)), origin);
            if let Some(d) = key.default {
                let _ = writeln!(m, "; default \\fB{}\\fR", roff_escape(d));
            }
            let _ = writeln!(m, ".br\n{}", roff_escape(key.help));
            if place == Place::Secret {
                let _ = writeln!(
                    m,
                    ".br\nIts secret flags are the vpn.data key \\fB{}\\-flags\\fR (0 saved, 1 agent-owned, 2 not saved, 4 not required).",
                    roff_escape(key.name)
                );
            }
        }
    }
    m.push_str(
        ".SH EXAMPLE\n.nf\nnmcli connection add type vpn vpn\\-type ike con\\-name work \\e\n  \
vpn.data \"right=vpn.example.org, rightid=@vpn.example.org, leftid=@laptop, authby=secret\" \\e\n  \
vpn.secrets \"pskvalue=...\"\n.fi\n",
    );
    m.push_str(
        ".SH SEE ALSO\n\\fBnmcli\\fR(1), \\fBnm\\-settings\\-nmcli\\fR(5), \\fBipsec.conf\\fR(5)\n",
    );
    m
}
