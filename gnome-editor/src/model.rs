// SPDX-License-Identifier: GPL-2.0-or-later
//! What the editor pages show and how fields map to vpn.data / vpn.secrets, independent of the
//! toolkit: the GTK4 and GTK3 pages only create widgets for [`FIELDS`] and move strings in and
//! out. Validation goes through the service's own schema ([`Settings::from_maps`]), so the
//! page refuses exactly what the service would refuse, with the same messages, and never
//! writes an invalid profile.

use nm_plugin::i18n::{tr, tr_noop};
use nm_plugin::settings::{schema, Settings};
use std::collections::BTreeMap;

/// Which part of the editor a field is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    /// The main page.
    Main,
    /// The "Advanced" dialog.
    Advanced,
}

/// The kind of widget a field uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Widget {
    /// A one-line text entry.
    Text,
    /// A password entry (a vpn.secrets key) with a storage choice (`<key>-flags`).
    Password,
    /// A file name with a "Choose…" button.
    File,
    /// A drop-down of (value, label) pairs; the first is the default.
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
    /// Main page or advanced dialog.
    pub page: Page,
    /// The widget.
    pub widget: Widget,
}

/// Authentication types offered (the IKEv1 XAUTH and EAP types follow when the engine has them).
pub const AUTH_TYPES: &[(&str, &str)] = &[
    ("cert", tr_noop("IKEv2 (certificate)")),
    ("secret", tr_noop("IKEv2 (pre-shared key)")),
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
    ("hold", tr_noop("Hold")),
];
const ENCAPSULATION: &[(&str, &str)] = &[
    ("auto", tr_noop("When NAT is detected")),
    ("yes", tr_noop("Always (UDP 4500)")),
    ("no", tr_noop("Never")),
];

/// All fields, in display order.
pub const FIELDS: &[Field] = &[
    f("right", tr_noop("Gateway"), Page::Main, Widget::Text),
    f(
        "authby",
        tr_noop("Authentication"),
        Page::Main,
        Widget::Choice(AUTH_TYPES),
    ),
    f("leftcert", tr_noop("Certificate"), Page::Main, Widget::File),
    f("leftkey", tr_noop("Private key"), Page::Main, Widget::File),
    f(
        "leftpkcs12",
        tr_noop("PKCS#12 file"),
        Page::Main,
        Widget::File,
    ),
    f(
        "leftkey-password",
        tr_noop("Key password"),
        Page::Main,
        Widget::Password,
    ),
    f(
        "rightca",
        tr_noop("CA certificate"),
        Page::Main,
        Widget::File,
    ),
    f(
        "pskvalue",
        tr_noop("Pre-shared key"),
        Page::Main,
        Widget::Password,
    ),
    f("leftid", tr_noop("Local ID"), Page::Main, Widget::Text),
    f("rightid", tr_noop("Remote ID"), Page::Main, Widget::Text),
    f(
        "ike",
        tr_noop("Phase 1 algorithms"),
        Page::Advanced,
        Widget::Text,
    ),
    f(
        "esp",
        tr_noop("Phase 2 algorithms"),
        Page::Advanced,
        Widget::Text,
    ),
    f(
        "pfs",
        tr_noop("Perfect forward secrecy"),
        Page::Advanced,
        Widget::Switch("yes", "no"),
    ),
    f(
        "ikelifetime",
        tr_noop("Phase 1 lifetime"),
        Page::Advanced,
        Widget::Text,
    ),
    f(
        "salifetime",
        tr_noop("Phase 2 lifetime"),
        Page::Advanced,
        Widget::Text,
    ),
    f(
        "leftsubnet",
        tr_noop("Local networks"),
        Page::Advanced,
        Widget::Text,
    ),
    f(
        "rightsubnet",
        tr_noop("Remote networks"),
        Page::Advanced,
        Widget::Text,
    ),
    f(
        "narrowing",
        tr_noop("Accept narrowed networks"),
        Page::Advanced,
        Widget::Switch("yes", "no"),
    ),
    f(
        "fragmentation",
        tr_noop("IKE fragmentation"),
        Page::Advanced,
        Widget::Choice(FRAGMENTATION),
    ),
    f(
        "mobike",
        tr_noop("MOBIKE"),
        Page::Advanced,
        Widget::Switch("yes", "no"),
    ),
    f(
        "dpddelay",
        tr_noop("Dead peer detection delay"),
        Page::Advanced,
        Widget::Text,
    ),
    f(
        "dpdtimeout",
        tr_noop("Dead peer detection timeout"),
        Page::Advanced,
        Widget::Text,
    ),
    f(
        "dpdaction",
        tr_noop("When the gateway is dead"),
        Page::Advanced,
        Widget::Choice(DPD_ACTIONS),
    ),
    f(
        "ipsec-interface",
        tr_noop("Route-based interface (XFRM if_id)"),
        Page::Advanced,
        Widget::Text,
    ),
    f(
        "encapsulation",
        tr_noop("UDP encapsulation"),
        Page::Advanced,
        Widget::Choice(ENCAPSULATION),
    ),
    f(
        "route-table",
        tr_noop("Route table"),
        Page::Advanced,
        Widget::Text,
    ),
    f(
        "route-rule-priority",
        tr_noop("Routing rule priority"),
        Page::Advanced,
        Widget::Text,
    ),
];

const fn f(key: &'static str, label: &'static str, page: Page, widget: Widget) -> Field {
    Field {
        key,
        label,
        page,
        widget,
    }
}

/// The field of `key`.
pub fn field(key: &str) -> Option<&'static Field> {
    FIELDS.iter().find(|f| f.key == key)
}

/// The translated label of a field.
pub fn label(field: &Field) -> &'static str {
    tr(field.label)
}

/// The help text of a field (the schema's, translated): the tooltip.
pub fn help(field: &Field) -> String {
    schema::key(field.key)
        .map(|k| k.localized_help().to_string())
        .unwrap_or_default()
}

/// The values the widgets show for a profile: every field's key mapped to its text (choices
/// and switches get their default when unset), plus `<secret>-flags` for passwords.
pub fn values_from(
    data: &BTreeMap<String, String>,
    secrets: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for fl in FIELDS {
        let stored = match fl.widget {
            Widget::Password => secrets.get(fl.key),
            _ => data.get(fl.key),
        };
        let default = schema::key(fl.key).and_then(|k| k.default);
        let v = match (fl.widget, stored) {
            (_, Some(v)) => v.clone(),
            (Widget::Choice(c), None) => default
                .map(str::to_string)
                .or_else(|| c.first().map(|(v, _)| (*v).to_string()))
                .unwrap_or_default(),
            (Widget::Switch(on, _), None) => default.unwrap_or(on).to_string(),
            _ => String::new(),
        };
        // Libreswan's rsasig/ecdsa mean a certificate too.
        let v = if fl.key == "authby" && matches!(v.as_str(), "rsasig" | "ecdsa") {
            "cert".to_string()
        } else {
            v
        };
        out.insert(fl.key.to_string(), v);
        if fl.widget == Widget::Password {
            let flags = format!("{}-flags", fl.key);
            out.insert(
                flags.clone(),
                data.get(&flags).cloned().unwrap_or_else(|| "1".into()),
            );
        }
    }
    out
}

/// Whether a field applies to the chosen authentication type (the pages hide the others).
pub fn applies(key: &str, authby: &str) -> bool {
    let cert = authby != "secret";
    match key {
        "leftcert" | "leftkey" | "leftpkcs12" | "leftkey-password" | "rightca" => cert,
        "pskvalue" => !cert,
        _ => true,
    }
}

/// A profile's vpn.data and vpn.secrets.
pub type Maps = (BTreeMap<String, String>, BTreeMap<String, String>);

/// A field the page must mark, with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// The field's key (or another profile key when no field shows it).
    pub key: String,
    /// The reason, translated.
    pub message: String,
}

/// The profile the widgets' `values` make, starting from the stored `data`/`secrets` so keys
/// the page does not show (set with nmcli, imported) are kept. Empty texts remove their key;
/// fields that do not apply to the authentication type are dropped. Validated through the
/// service's schema: any error comes back per field and nothing is written.
pub fn to_profile(
    values: &BTreeMap<String, String>,
    data: &BTreeMap<String, String>,
    secrets: &BTreeMap<String, String>,
) -> Result<Maps, Vec<Invalid>> {
    let mut data = data.clone();
    let mut secrets = secrets.clone();
    let authby = values.get("authby").map_or("secret", String::as_str);
    for fl in FIELDS {
        let v = values.get(fl.key).map_or("", |v| v.trim());
        let (map, flags) = match fl.widget {
            Widget::Password => (&mut secrets, Some(format!("{}-flags", fl.key))),
            _ => (&mut data, None),
        };
        if v.is_empty() || !applies(fl.key, authby) {
            map.remove(fl.key);
        } else {
            map.insert(fl.key.to_string(), v.to_string());
        }
        if let Some(flags) = flags {
            if applies(fl.key, authby) {
                let fv = values.get(&flags).map_or("1", String::as_str);
                data.insert(flags, fv.to_string());
                // Secrets not saved in the profile (agent-owned stays: the agent stores it).
                if fv == "2" || fv == "4" {
                    secrets.remove(fl.key);
                }
            } else {
                data.remove(&flags);
            }
        }
    }
    // Keys the editor wrote with their default value stay explicit only when they were.
    match Settings::from_maps(&data, &secrets) {
        Ok(_) => Ok((data, secrets)),
        Err(errors) => Err(errors
            .into_iter()
            .map(|e| Invalid {
                key: e.key,
                message: e.message,
            })
            .collect()),
    }
}

/// The text of the error `update_connection` returns: every invalid field with its reason.
pub fn error_text(invalid: &[Invalid]) -> String {
    let lines: Vec<String> = invalid
        .iter()
        .map(|i| match field(&i.key) {
            Some(fl) => format!("{} ({}): {}", label(fl), i.key, i.message),
            None => format!("{}: {}", i.key, i.message),
        })
        .collect();
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn m(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn every_field_is_a_schema_key_and_choices_are_accepted_values() {
        for fl in FIELDS {
            let k = schema::key(fl.key).unwrap_or_else(|| panic!("{} not in the schema", fl.key));
            if let (Widget::Choice(c), schema::Kind::Choice(words)) = (fl.widget, k.kind) {
                for (v, _) in c {
                    assert!(words.contains(v), "{}: {v}", fl.key);
                }
            }
        }
    }

    #[test]
    fn values_round_trip_and_unshown_keys_are_kept() {
        let data = m(&[
            ("right", "vpn.example.com"),
            ("authby", "secret"),
            ("pskvalue-flags", "0"),
            ("ipsec-max-packets", "1000"),
            ("pfs", "no"),
        ]);
        let secrets = m(&[("pskvalue", "s3cret")]);
        let v = values_from(&data, &secrets);
        assert_eq!(v["right"], "vpn.example.com");
        assert_eq!(v["pskvalue"], "s3cret");
        assert_eq!(v["pskvalue-flags"], "0");
        assert_eq!(v["pfs"], "no");
        assert_eq!(v["fragmentation"], "yes");
        let (d, s) = to_profile(&v, &data, &secrets).unwrap();
        assert_eq!(d["ipsec-max-packets"], "1000");
        assert_eq!(d["right"], "vpn.example.com");
        assert_eq!(s["pskvalue"], "s3cret");
        assert!(!d.contains_key("leftcert"));
    }

    #[test]
    fn invalid_fields_are_reported_and_nothing_is_written() {
        let mut v = values_from(&m(&[]), &m(&[]));
        v.insert("right".into(), "gw.example.com".into());
        v.insert("authby".into(), "secret".into());
        v.insert("pskvalue".into(), "x".into());
        v.insert("rightsubnet".into(), "10.0.0.0/33".into());
        v.insert("dpddelay".into(), "soon".into());
        let e = to_profile(&v, &m(&[]), &m(&[])).unwrap_err();
        let keys: Vec<&str> = e.iter().map(|i| i.key.as_str()).collect();
        assert!(
            keys.contains(&"rightsubnet") && keys.contains(&"dpddelay"),
            "{e:?}"
        );
        assert!(error_text(&e).contains("Remote networks (rightsubnet)"));
        v.insert("rightsubnet".into(), "10.0.0.0/8".into());
        v.insert("dpddelay".into(), "30s".into());
        assert!(to_profile(&v, &m(&[]), &m(&[])).is_ok());
        // A certificate profile without its files is refused by the same rules as the service.
        v.insert("authby".into(), "cert".into());
        let e = to_profile(&v, &m(&[]), &m(&[])).unwrap_err();
        assert!(e.iter().any(|i| i.key == "leftcert"), "{e:?}");
    }

    #[test]
    fn reserved_route_tables_and_rule_priorities_are_refused() {
        let mut v = values_from(&m(&[]), &m(&[]));
        v.insert("right".into(), "gw.example.com".into());
        v.insert("authby".into(), "secret".into());
        v.insert("pskvalue".into(), "x".into());
        for (key, bad, good) in [
            ("route-table", "254", "2749"),
            ("route-table", "255", "300"),
            ("route-table", "253", "252"),
            ("route-rule-priority", "32766", "32765"),
            ("route-rule-priority", "0", "1"),
        ] {
            v.insert(key.into(), bad.into());
            let e = to_profile(&v, &m(&[]), &m(&[])).unwrap_err();
            assert!(e.iter().any(|i| i.key == key), "{key}={bad}: {e:?}");
            v.insert(key.into(), good.into());
            let (d, _) = to_profile(&v, &m(&[]), &m(&[])).unwrap();
            assert_eq!(d[key], good);
        }
    }

    #[test]
    fn secrets_not_saved_leave_the_profile_and_other_auth_fields_are_dropped() {
        let mut v = values_from(&m(&[]), &m(&[]));
        v.insert("right".into(), "gw".into());
        v.insert("authby".into(), "secret".into());
        v.insert("pskvalue".into(), "x".into());
        v.insert("pskvalue-flags".into(), "2".into());
        v.insert("leftcert".into(), "/etc/ipsec.d/c.pem".into());
        let (d, s) = to_profile(&v, &m(&[]), &m(&[])).unwrap();
        assert!(!s.contains_key("pskvalue"));
        assert_eq!(d["pskvalue-flags"], "2");
        assert!(!d.contains_key("leftcert") && !d.contains_key("leftkey-password-flags"));
        assert_eq!(
            values_from(&m(&[("authby", "rsasig")]), &m(&[]))["authby"],
            "cert"
        );
    }
}
