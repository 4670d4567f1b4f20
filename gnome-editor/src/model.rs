// SPDX-License-Identifier: GPL-2.0-or-later
//! How the editor's fields ([`crate::fields`]) map to vpn.data / vpn.secrets, independent of
//! the toolkit: the GTK4 and GTK3 pages only create widgets for [`FIELDS`] and move strings in
//! and out. Validation goes through the service's own schema ([`Settings::from_maps`]), so the
//! page refuses exactly what the service would refuse, with the same messages, and never
//! writes an invalid profile.

use nm_plugin::i18n::tr;
use nm_plugin::settings::{schema, Settings};
use std::collections::BTreeMap;

pub use crate::fields::{
    field, Field, Page, Section, Widget, ADVANCED_SECTIONS, AUTH_TYPES, FIELDS, SECRET_FLAGS,
};

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
        // Libreswan's rsasig/ecdsa mean a certificate too; an EAP method (`leftauth`) is
        // one of the authentication choices.
        let v = match (fl.key, data.get("leftauth")) {
            ("authby", Some(eap)) if eap.starts_with("eap-") => eap.clone(),
            ("authby", _) if matches!(v.as_str(), "rsasig" | "ecdsa") => "cert".to_string(),
            _ => v,
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

/// Whether a field applies to the chosen authentication type (the pages hide the others):
/// `secret`, `cert` or an EAP method (`eap-…`, where the gateway's certificate is checked
/// against the CA field too).
pub fn applies(key: &str, authby: &str) -> bool {
    let eap = authby.starts_with("eap-");
    let cert = !eap && authby != "secret";
    match key {
        "leftcert" | "leftkey" | "leftpkcs12" | "leftkey-password" => cert,
        // The gateway's certificate is checked the same way with EAP.
        "rightca" | "rightcrl" | "crl-strict" => cert || eap,
        "pskvalue" => authby == "secret",
        "leftusername" | "password" => eap,
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

/// Whether `value` of `field` is left out of a profile that did not have the key (`had`): a
/// choice or switch of the Advanced dialog still at the schema's default, which the page
/// shows but the user did not choose, so the profile stays as small as the user made it and
/// follows the service's default.
fn implicit_default(field: &Field, value: &str, had: bool) -> bool {
    !had && field.page() == Page::Advanced
        && matches!(field.widget, Widget::Choice(_) | Widget::Switch(..))
        && schema::key(field.key).and_then(|k| k.default) == Some(value)
}

/// The profile the widgets' `values` make, starting from the stored `data`/`secrets` so keys
/// the page does not show (set with nmcli, imported) are kept. Empty texts remove their key;
/// fields that do not apply to the authentication type are dropped; a choice or switch of the
/// Advanced dialog at its default is written only when the profile had the key. Validated
/// through the service's schema: any error comes back per field and nothing is written.
pub fn to_profile(
    values: &BTreeMap<String, String>,
    stored: &BTreeMap<String, String>,
    secrets: &BTreeMap<String, String>,
) -> Result<Maps, Vec<Invalid>> {
    let mut data = stored.clone();
    let mut secrets = secrets.clone();
    let authby = values.get("authby").map_or("secret", String::as_str);
    for fl in FIELDS {
        let v = values.get(fl.key).map_or("", |v| v.trim());
        let (map, flags) = match fl.widget {
            Widget::Password => (&mut secrets, Some(format!("{}-flags", fl.key))),
            _ => (&mut data, None),
        };
        if v.is_empty()
            || !applies(fl.key, authby)
            || implicit_default(fl, v, stored.contains_key(fl.key))
        {
            map.remove(fl.key);
        } else {
            map.insert(fl.key.to_string(), v.to_string());
        }
        // An EAP method is written as `leftauth` (with no `authby`, which would name the
        // gateway's authentication too).
        if fl.key == "authby" && authby.starts_with("eap-") {
            data.remove("authby");
            data.insert("leftauth".into(), authby.to_string());
        } else if fl.key == "authby" {
            data.remove("leftauth");
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
            match (fl.widget, k.kind) {
                (Widget::Choice(c), schema::Kind::Choice(words)) => {
                    for (v, _) in c {
                        // "" (unset) only where the schema has no default to show instead.
                        let unset = v.is_empty() && k.default.is_none();
                        // The EAP methods are `leftauth` values.
                        let eap = fl.key == "authby" && schema::LEFTAUTH_VALUES.contains(v);
                        assert!(unset || eap || words.contains(v), "{}: {v}", fl.key);
                    }
                    // Every accepted value can be shown (a stored one is not lost on save).
                    for w in words {
                        let alias = fl.key == "authby" && matches!(*w, "rsasig" | "ecdsa");
                        assert!(alias || c.iter().any(|(v, _)| v == w), "{}: {w}", fl.key);
                    }
                }
                (Widget::Choice(_), kind) => panic!("{}: a choice for {kind:?}", fl.key),
                (Widget::Switch(on, off), kind) => {
                    assert_eq!(
                        (kind, on, off),
                        (schema::Kind::YesNo, "yes", "no"),
                        "{}",
                        fl.key
                    );
                }
                (Widget::Password, kind) => assert_eq!(kind, schema::Kind::Secret, "{}", fl.key),
                (Widget::File, kind) => assert_eq!(kind, schema::Kind::File, "{}", fl.key),
                (Widget::Number, kind) => assert!(
                    matches!(
                        kind,
                        schema::Kind::Integer { .. }
                            | schema::Kind::RouteTable
                            | schema::Kind::RulePriority
                    ),
                    "{}: a number entry for {kind:?}",
                    fl.key
                ),
                (Widget::Text, kind) => assert!(
                    !matches!(
                        kind,
                        schema::Kind::YesNo
                            | schema::Kind::Choice(_)
                            | schema::Kind::Integer { .. }
                            | schema::Kind::File
                            | schema::Kind::Secret
                            | schema::Kind::Ignored
                    ),
                    "{}: a text entry for {kind:?}",
                    fl.key
                ),
            }
        }
    }

    #[test]
    fn values_round_trip_and_unshown_keys_are_kept() {
        let data = m(&[
            ("right", "vpn.example.com"),
            ("authby", "secret"),
            ("pskvalue-flags", "0"),
            ("leftsendcert", "always"),
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
        assert_eq!(d["leftsendcert"], "always");
        assert_eq!(d["pfs"], "no");
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

    #[test]
    fn revocation_fields_belong_to_certificate_authentication() {
        assert!(applies("rightcrl", "cert") && applies("crl-strict", "ecdsa"));
        assert!(!applies("rightcrl", "secret") && !applies("crl-strict", "secret"));
        let mut v = psk_values();
        v.insert("rightcrl".into(), "/etc/ipsec.d/crls/ca.crl".into());
        v.insert("crl-strict".into(), "yes".into());
        let (d, _) = to_profile(&v, &m(&[]), &m(&[])).unwrap();
        assert!(
            !d.contains_key("rightcrl") && !d.contains_key("crl-strict"),
            "{d:?}"
        );
    }

    fn psk_values() -> BTreeMap<String, String> {
        let mut v = values_from(&m(&[]), &m(&[]));
        v.insert("right".into(), "gw.example.com".into());
        v.insert("authby".into(), "secret".into());
        v.insert("pskvalue".into(), "x".into());
        v
    }

    #[test]
    fn eap_is_an_authentication_choice_written_as_leftauth() {
        let mut v = values_from(&m(&[]), &m(&[]));
        v.insert("right".into(), "vpn.example.com".into());
        v.insert("authby".into(), "eap-mschapv2".into());
        v.insert("leftusername".into(), "carol".into());
        v.insert("password".into(), "pw".into());
        v.insert("password-flags".into(), "0".into());
        v.insert("pskvalue".into(), "left over".into());
        v.insert("rightca".into(), "/etc/ipsec.d/cacerts/ca.pem".into());
        let (d, s) = to_profile(&v, &m(&[("authby", "secret")]), &m(&[])).unwrap();
        assert_eq!(d["leftauth"], "eap-mschapv2");
        assert!(!d.contains_key("authby"), "{d:?}");
        assert_eq!(d["leftusername"], "carol");
        assert_eq!(d["rightca"], "/etc/ipsec.d/cacerts/ca.pem");
        assert_eq!(s["password"], "pw");
        assert!(!s.contains_key("pskvalue") && !d.contains_key("pskvalue-flags"));
        // Back in the page the choice is EAP again.
        let back = values_from(&d, &s);
        assert_eq!(back["authby"], "eap-mschapv2");
        assert_eq!(back["leftusername"], "carol");
        // Without a user name the schema refuses it, on the user name field.
        v.insert("leftusername".into(), String::new());
        let e = to_profile(&v, &m(&[]), &m(&[])).unwrap_err();
        assert!(e.iter().any(|i| i.key == "leftusername"), "{e:?}");
        // Choosing a pre-shared key again drops leftauth and the EAP fields.
        let mut p = back.clone();
        p.insert("authby".into(), "secret".into());
        p.insert("pskvalue".into(), "x".into());
        let (d, s) = to_profile(&p, &d, &s).unwrap();
        assert!(
            !d.contains_key("leftauth") && !d.contains_key("leftusername"),
            "{d:?}"
        );
        assert!(!s.contains_key("password") && !d.contains_key("password-flags"));
        assert_eq!(d["authby"], "secret");
        assert!(applies("rightca", "eap-gtc") && !applies("leftcert", "eap-gtc"));
    }

    #[test]
    fn defaults_the_user_did_not_choose_are_not_written() {
        let v = psk_values();
        assert_eq!(v["type"], "tunnel");
        assert_eq!(v["nic-offload"], "no");
        assert_eq!(v["rekey"], "yes");
        assert_eq!(v["clientaddrfamily"], "");
        let (d, _) = to_profile(&v, &m(&[]), &m(&[])).unwrap();
        for key in [
            "type",
            "nic-offload",
            "rekey",
            "pfs",
            "fragmentation",
            "require-id-on-certificate",
            "leftmodecfgclient",
            "clientaddrfamily",
            "hostaddrfamily",
        ] {
            assert!(!d.contains_key(key), "{key} written: {d:?}");
        }
        // The main page's choice is always explicit.
        assert_eq!(d["authby"], "secret");
        // A default the profile had stays; a changed value is written.
        let stored = m(&[("pfs", "yes"), ("hostaddrfamily", "ipv4")]);
        let mut v = values_from(&stored, &m(&[]));
        v.extend(
            psk_values()
                .into_iter()
                .filter(|(k, _)| matches!(k.as_str(), "right" | "authby" | "pskvalue")),
        );
        v.insert("type".into(), "transport".into());
        v.insert("nic-offload".into(), "auto".into());
        v.insert("hostaddrfamily".into(), String::new());
        let (d, _) = to_profile(&v, &stored, &m(&[])).unwrap();
        assert_eq!(d["pfs"], "yes");
        assert_eq!(d["type"], "transport");
        assert_eq!(d["nic-offload"], "auto");
        assert!(
            !d.contains_key("hostaddrfamily"),
            "Automatic removes the key"
        );
    }

    #[test]
    fn the_new_fields_are_validated_by_the_schema() {
        for (pairs, bad) in [
            (&[("mark", "5")][..], "mark"),
            (
                &[("vti-interface", "vti-with-a-far-too-long-name")][..],
                "vti-interface",
            ),
            (&[("rightport", "70000")][..], "rightport"),
            (&[("leftprotoport", "17/x")][..], "leftprotoport"),
            (&[("ipsec-max-bytes", "lots")][..], "ipsec-max-bytes"),
            (&[("ipsec-max-packets", "-1")][..], "ipsec-max-packets"),
            (&[("retransmit-tries", "11")][..], "retransmit-tries"),
            (&[("retransmit-timeout", "2m")][..], "retransmit-timeout"),
        ] {
            let mut v = psk_values();
            v.extend(pairs.iter().map(|(k, x)| (k.to_string(), x.to_string())));
            let e = to_profile(&v, &m(&[]), &m(&[])).unwrap_err();
            assert!(e.iter().any(|i| i.key == bad), "{pairs:?}: {e:?}");
        }
        let mut v = psk_values();
        for (k, x) in [
            ("mark", "0x2a/0xffffffff"),
            ("vti-interface", "vti42"),
            ("rightport", "4500"),
            ("leftprotoport", "17/1701"),
            ("rightprotoport", "udp/%any"),
            ("ipsec-max-bytes", "1000000000"),
            ("ipsec-max-packets", "1000000"),
            ("retransmit-tries", "6"),
            ("retransmit-timeout", "2s"),
            ("hostaddrfamily", "ipv6"),
            ("clientaddrfamily", "ipv4"),
            ("leftmodecfgclient", "no"),
            ("require-id-on-certificate", "yes"),
        ] {
            v.insert(k.into(), x.into());
        }
        let (d, _) = to_profile(&v, &m(&[]), &m(&[])).unwrap();
        assert_eq!(d["mark"], "0x2a/0xffffffff");
        assert_eq!(d["vti-interface"], "vti42");
        assert_eq!(d["rightport"], "4500");
        assert_eq!(d["rightprotoport"], "udp/%any");
        assert_eq!(d["ipsec-max-packets"], "1000000");
        assert_eq!(d["hostaddrfamily"], "ipv6");
        assert_eq!(d["leftmodecfgclient"], "no");
        // Back in the page, every value shows as saved.
        let back = values_from(&d, &m(&[]));
        for (k, x) in &d {
            if field(k).is_some() {
                assert_eq!(&back[k], x, "{k}");
            }
        }
    }
}
