// SPDX-License-Identifier: GPL-2.0-or-later
//! The table of the editor's fields: which vpn.data / vpn.secrets key each one edits, its
//! label, its widget, and where it is shown (the main page, or a section of the "Advanced"
//! dialog). Both toolkits build their widgets from [`FIELDS`]; [`crate::model`] moves the
//! values in and out and validates them through the service's schema.
//!
//! Every key of the schema (`nm-settings-ike(5)`) has a field here, except the few listed with
//! their reason in `gnome-editor/tests/schema_fields.rs`.

use nm_plugin::i18n::{tr, tr_noop};

/// Which part of the editor a field is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    /// The main page.
    Main,
    /// The "Advanced" dialog.
    Advanced,
}

/// The group a field is shown in (the sections of the RHEL IPsec guide): the main page is
/// [`Section::General`]; the Advanced dialog has one tab per other section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// The main page: gateway, authentication and identities.
    General,
    /// How the gateway's identity is checked.
    Identity,
    /// IKE SA (Phase 1) algorithms.
    Phase1,
    /// Child SA (Phase 2) algorithms and mode.
    Phase2,
    /// SA lifetimes and rekeying.
    Lifetimes,
    /// Traffic selectors and the configuration payload.
    Networks,
    /// Dead peer detection and retransmissions.
    Liveness,
    /// NAT traversal, ports, fragmentation and mobility.
    Transport,
    /// Route-based tunnels, routing table and rule.
    Routing,
}

/// The sections of the Advanced dialog, in display order.
pub const ADVANCED_SECTIONS: &[Section] = &[
    Section::Identity,
    Section::Phase1,
    Section::Phase2,
    Section::Lifetimes,
    Section::Networks,
    Section::Liveness,
    Section::Transport,
    Section::Routing,
];

impl Section {
    /// The page the section is on.
    pub fn page(self) -> Page {
        match self {
            Section::General => Page::Main,
            _ => Page::Advanced,
        }
    }

    /// A short name for widget names (`ike-section-<id>`).
    pub fn id(self) -> &'static str {
        match self {
            Section::General => "general",
            Section::Identity => "identity",
            Section::Phase1 => "phase1",
            Section::Phase2 => "phase2",
            Section::Lifetimes => "lifetimes",
            Section::Networks => "networks",
            Section::Liveness => "liveness",
            Section::Transport => "transport",
            Section::Routing => "routing",
        }
    }

    /// The title (English; see [`Section::label`]).
    pub fn title(self) -> &'static str {
        match self {
            Section::General => tr_noop("General"),
            Section::Identity => tr_noop("Identity"),
            Section::Phase1 => tr_noop("Phase 1 (IKE)"),
            Section::Phase2 => tr_noop("Phase 2 (IPsec)"),
            Section::Lifetimes => tr_noop("Lifetimes"),
            Section::Networks => tr_noop("Networks"),
            Section::Liveness => tr_noop("Dead peer detection"),
            Section::Transport => tr_noop("NAT and transport"),
            Section::Routing => tr_noop("Routing"),
        }
    }

    /// The title in the user's language.
    pub fn label(self) -> &'static str {
        tr(self.title())
    }
}

/// The kind of widget a field uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Widget {
    /// A one-line text entry.
    Text,
    /// A one-line entry for a whole number (digits input purpose).
    Number,
    /// A password entry (a vpn.secrets key) with a storage choice (`<key>-flags`).
    Password,
    /// A file name with a "Choose…" button.
    File,
    /// A drop-down of (value, label) pairs; the first is shown when the key is unset and the
    /// schema has no default. The value `""` means "unset" (the key is removed).
    Choice(&'static [(&'static str, &'static str)]),
    /// An on/off switch writing the first value when on and the second when off.
    Switch(&'static str, &'static str),
}

/// One field of the editor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// The vpn.data or vpn.secrets key.
    pub key: &'static str,
    /// The label (English; translated when shown).
    pub label: &'static str,
    /// Where the field is shown.
    pub section: Section,
    /// The widget.
    pub widget: Widget,
}

impl Field {
    /// Main page or advanced dialog.
    pub fn page(&self) -> Page {
        self.section.page()
    }
}

/// Authentication types offered (IKEv1 XAUTH follows when the engine has it). The `eap-…`
/// entries are `leftauth` values (the gateway then authenticates with its certificate);
/// [`crate::model`] writes them there instead of `authby`.
pub const AUTH_TYPES: &[(&str, &str)] = &[
    ("cert", tr_noop("IKEv2 (certificate)")),
    ("secret", tr_noop("IKEv2 (pre-shared key)")),
    (
        "eap-mschapv2",
        tr_noop("IKEv2 EAP (user name and password)"),
    ),
    ("eap-gtc", tr_noop("IKEv2 EAP-GTC (one-time code)")),
    ("eap-md5", tr_noop("IKEv2 EAP-MD5 (user name and password)")),
];

/// Secret storage choices (NetworkManager secret flags).
pub const SECRET_FLAGS: &[(&str, &str)] = &[
    ("1", tr_noop("Store the password for this user only")),
    ("0", tr_noop("Store the password for all users")),
    ("2", tr_noop("Ask for this password every time")),
    ("4", tr_noop("The password is not required")),
];

const FRAGMENTATION: &[(&str, &str)] = &[
    ("yes", tr_noop("When needed")),
    ("force", tr_noop("Always")),
    ("no", tr_noop("Never")),
];
const DPD_ACTIONS: &[(&str, &str)] = &[
    ("clear", tr_noop("Disconnect")),
    ("restart", tr_noop("Reconnect")),
    ("hold", tr_noop("Reconnect when traffic needs it")),
];
const ENCAPSULATION: &[(&str, &str)] = &[
    ("auto", tr_noop("When NAT is detected")),
    ("yes", tr_noop("Always (UDP 4500)")),
    ("no", tr_noop("Never")),
];
const MODES: &[(&str, &str)] = &[
    ("tunnel", tr_noop("Tunnel")),
    ("transport", tr_noop("Transport (host to host)")),
];
const NIC_OFFLOAD: &[(&str, &str)] = &[
    ("no", tr_noop("Off")),
    ("auto", tr_noop("When the device supports it")),
    ("yes", tr_noop("On (warn when the device cannot)")),
];
const FAMILIES: &[(&str, &str)] = &[
    ("", tr_noop("Automatic")),
    ("ipv4", tr_noop("IPv4")),
    ("ipv6", tr_noop("IPv6")),
];
const YES_NO: Widget = Widget::Switch("yes", "no");

/// All fields, in display order; the fields of one section are together.
pub const FIELDS: &[Field] = &[
    // The main page.
    f("right", tr_noop("Gateway"), Section::General, Widget::Text),
    f(
        "authby",
        tr_noop("Authentication"),
        Section::General,
        Widget::Choice(AUTH_TYPES),
    ),
    f(
        "leftcert",
        tr_noop("Certificate"),
        Section::General,
        Widget::File,
    ),
    f(
        "leftkey",
        tr_noop("Private key"),
        Section::General,
        Widget::File,
    ),
    f(
        "leftpkcs12",
        tr_noop("PKCS#12 file"),
        Section::General,
        Widget::File,
    ),
    f(
        "leftkey-password",
        tr_noop("Key password"),
        Section::General,
        Widget::Password,
    ),
    f(
        "rightca",
        tr_noop("CA certificate"),
        Section::General,
        Widget::File,
    ),
    f(
        "rightcrl",
        tr_noop("Certificate revocation lists"),
        Section::General,
        Widget::File,
    ),
    f(
        "pskvalue",
        tr_noop("Pre-shared key"),
        Section::General,
        Widget::Password,
    ),
    f(
        "leftusername",
        tr_noop("User name"),
        Section::General,
        Widget::Text,
    ),
    f(
        "password",
        tr_noop("Password"),
        Section::General,
        Widget::Password,
    ),
    f(
        "leftid",
        tr_noop("Local ID"),
        Section::General,
        Widget::Text,
    ),
    f(
        "rightid",
        tr_noop("Remote ID"),
        Section::General,
        Widget::Text,
    ),
    // Identity.
    f(
        "require-id-on-certificate",
        tr_noop("Require the remote ID in the gateway's certificate"),
        Section::Identity,
        YES_NO,
    ),
    f(
        "crl-strict",
        tr_noop("Refuse the gateway without a current revocation list"),
        Section::Identity,
        YES_NO,
    ),
    // Phase 1.
    f(
        "ike",
        tr_noop("Phase 1 algorithms"),
        Section::Phase1,
        Widget::Text,
    ),
    // Phase 2.
    f(
        "esp",
        tr_noop("Phase 2 algorithms"),
        Section::Phase2,
        Widget::Text,
    ),
    f(
        "pfs",
        tr_noop("Perfect forward secrecy"),
        Section::Phase2,
        YES_NO,
    ),
    f(
        "type",
        tr_noop("IPsec mode"),
        Section::Phase2,
        Widget::Choice(MODES),
    ),
    f(
        "nic-offload",
        tr_noop("ESP offload to the network card"),
        Section::Phase2,
        Widget::Choice(NIC_OFFLOAD),
    ),
    // Lifetimes.
    f(
        "ikelifetime",
        tr_noop("Phase 1 lifetime"),
        Section::Lifetimes,
        Widget::Text,
    ),
    f(
        "salifetime",
        tr_noop("Phase 2 lifetime"),
        Section::Lifetimes,
        Widget::Text,
    ),
    f(
        "ipsec-max-bytes",
        tr_noop("Phase 2 byte limit"),
        Section::Lifetimes,
        Widget::Number,
    ),
    f(
        "ipsec-max-packets",
        tr_noop("Phase 2 packet limit"),
        Section::Lifetimes,
        Widget::Number,
    ),
    f(
        "rekey",
        tr_noop("Rekey before expiry"),
        Section::Lifetimes,
        YES_NO,
    ),
    // Networks.
    f(
        "leftsubnet",
        tr_noop("Local networks"),
        Section::Networks,
        Widget::Text,
    ),
    f(
        "rightsubnet",
        tr_noop("Remote networks"),
        Section::Networks,
        Widget::Text,
    ),
    f(
        "narrowing",
        tr_noop("Accept narrowed networks"),
        Section::Networks,
        YES_NO,
    ),
    f(
        "leftprotoport",
        tr_noop("Local protocol/port"),
        Section::Networks,
        Widget::Text,
    ),
    f(
        "rightprotoport",
        tr_noop("Remote protocol/port"),
        Section::Networks,
        Widget::Text,
    ),
    f(
        "leftmodecfgclient",
        tr_noop("Request an address and DNS servers"),
        Section::Networks,
        YES_NO,
    ),
    f(
        "clientaddrfamily",
        tr_noop("Address family to request"),
        Section::Networks,
        Widget::Choice(FAMILIES),
    ),
    // Liveness.
    f(
        "dpddelay",
        tr_noop("Dead peer detection delay"),
        Section::Liveness,
        Widget::Text,
    ),
    f(
        "dpdtimeout",
        tr_noop("Dead peer detection timeout"),
        Section::Liveness,
        Widget::Text,
    ),
    f(
        "dpdaction",
        tr_noop("When the gateway is dead"),
        Section::Liveness,
        Widget::Choice(DPD_ACTIONS),
    ),
    f(
        "retransmit-timeout",
        tr_noop("First retransmission after"),
        Section::Liveness,
        Widget::Text,
    ),
    f(
        "retransmit-tries",
        tr_noop("Transmissions per request"),
        Section::Liveness,
        Widget::Number,
    ),
    f(
        "keyingtries",
        tr_noop("Connection tries (0: until NetworkManager gives up)"),
        Section::Liveness,
        Widget::Number,
    ),
    // NAT and transport.
    f(
        "encapsulation",
        tr_noop("UDP encapsulation"),
        Section::Transport,
        Widget::Choice(ENCAPSULATION),
    ),
    f(
        "nat-keepalive",
        tr_noop("NAT keepalive interval"),
        Section::Transport,
        Widget::Text,
    ),
    f(
        "rightport",
        tr_noop("Gateway IKE port"),
        Section::Transport,
        Widget::Number,
    ),
    f(
        "hostaddrfamily",
        tr_noop("Gateway address family"),
        Section::Transport,
        Widget::Choice(FAMILIES),
    ),
    f(
        "fragmentation",
        tr_noop("IKE fragmentation"),
        Section::Transport,
        Widget::Choice(FRAGMENTATION),
    ),
    f(
        "mobike",
        tr_noop("Move with address changes (MOBIKE)"),
        Section::Transport,
        YES_NO,
    ),
    // Routing.
    f(
        "ipsec-interface",
        tr_noop("Route-based interface (XFRM if_id)"),
        Section::Routing,
        Widget::Number,
    ),
    f(
        "vti-interface",
        tr_noop("VTI interface (mark-based)"),
        Section::Routing,
        Widget::Text,
    ),
    f(
        "mark",
        tr_noop("XFRM mark of the VTI"),
        Section::Routing,
        Widget::Text,
    ),
    f(
        "route-table",
        tr_noop("Route table"),
        Section::Routing,
        Widget::Number,
    ),
    f(
        "route-rule-priority",
        tr_noop("Routing rule priority"),
        Section::Routing,
        Widget::Number,
    ),
];

const fn f(key: &'static str, label: &'static str, section: Section, widget: Widget) -> Field {
    Field {
        key,
        label,
        section,
        widget,
    }
}

/// The field of `key`.
pub fn field(key: &str) -> Option<&'static Field> {
    FIELDS.iter().find(|f| f.key == key)
}

/// The fields of `section`, in display order.
pub fn in_section(section: Section) -> impl Iterator<Item = &'static Field> {
    FIELDS.iter().filter(move |f| f.section == section)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_are_contiguous_and_every_advanced_section_has_fields() {
        let mut seen: Vec<Section> = Vec::new();
        for fl in FIELDS {
            if seen.last() != Some(&fl.section) {
                assert!(
                    !seen.contains(&fl.section),
                    "{}: section {:?} is split",
                    fl.key,
                    fl.section
                );
                seen.push(fl.section);
            }
        }
        assert_eq!(seen.first(), Some(&Section::General));
        assert_eq!(seen.get(1..), Some(ADVANCED_SECTIONS));
        for s in ADVANCED_SECTIONS {
            assert_eq!(s.page(), Page::Advanced);
            assert!(in_section(*s).count() > 0, "{s:?} is empty");
        }
    }

    #[test]
    fn keys_are_unique() {
        for (i, a) in FIELDS.iter().enumerate() {
            for b in FIELDS.iter().skip(i + 1) {
                assert_ne!(a.key, b.key);
            }
        }
    }
}
