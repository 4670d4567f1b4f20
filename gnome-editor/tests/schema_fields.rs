// SPDX-License-Identifier: GPL-2.0-or-later
//! Every key of the profile schema (`nm-settings-ike(5)`) can be edited: it is a field of the
//! editor (the main page or the Advanced dialog, which both toolkits build from the same
//! table), or it is listed below with the reason it is not.

use nm_ike_editor::fields::{self, Page, Section, ADVANCED_SECTIONS, FIELDS};
use nm_plugin::settings::schema::{self, Kind, Place};

/// Keys of the schema that deliberately have no field, with the reason.
const NOT_FIELDS: &[(&str, &str)] = &[
    (
        "ikev2",
        "IKEv1 (never/no) works so far only with a pre-shared key and without Mode Config, \
         rekeying or fragmentation, which the page's other fields would offer; it is chosen \
         through nmcli or an imported ipsec.conf until the IKEv1 issue (17) adds the field \
         with the rest of IKEv1",
    ),
    (
        "aggrmode",
        "refused: IKEv1 Aggressive Mode is not supported yet, only no is accepted, so a \
         field would offer no choice",
    ),
    (
        "nm-connect-mode",
        "on-demand is not supported and behaves like up, so a field would offer no choice",
    ),
    (
        "leftsendcert",
        "NetworkManager-libreswan key accepted and ignored (we always send our certificate)",
    ),
    (
        "rightcert",
        "refused: pinning the gateway's certificate is not supported yet (the page's CA \
         field is how the gateway's certificate is checked)",
    ),
    (
        "leftxauthusername",
        "refused: XAUTH is not implemented yet (the IKEv1 issue adds the field)",
    ),
    (
        "leftauth",
        "shown as the EAP entries of the Authentication choice (authby's field), which the \
         model writes as leftauth",
    ),
    (
        "xauthpassword",
        "refused: XAUTH is not implemented yet (the IKEv1 issue adds the field)",
    ),
    (
        "left",
        "NetworkManager-libreswan key: the routing table chooses our address and a given \
         address must be that one, so a field would offer no choice",
    ),
    (
        "leftsubnets",
        "NetworkManager-libreswan spelling: the local networks field takes several subnets",
    ),
    (
        "rightsubnets",
        "NetworkManager-libreswan spelling: the remote networks field takes several subnets",
    ),
    (
        "dhgroup",
        "NetworkManager-libreswan key: the Phase 1 algorithms field names its groups \
         (e.g. aes256-sha256;modp2048)",
    ),
    (
        "pfsgroup",
        "NetworkManager-libreswan key: the Phase 2 algorithms field names its groups \
         (e.g. aes_gcm256;ecp256)",
    ),
    (
        "leftrsasigkey",
        "only %cert is accepted, which is what certificate authentication on the page does",
    ),
    (
        "rightrsasigkey",
        "only %cert is accepted, which is what certificate authentication on the page does",
    ),
    (
        "vendor",
        "NetworkManager-libreswan key accepted and ignored",
    ),
    (
        "nm-auto-defaults",
        "NetworkManager-libreswan key accepted and ignored",
    ),
    (
        "Domain",
        "NetworkManager-libreswan key accepted and ignored",
    ),
    (
        "pskinputmodes",
        "NetworkManager-libreswan key accepted and ignored",
    ),
    (
        "xauthpasswordinputmodes",
        "NetworkManager-libreswan key accepted and ignored",
    ),
];

#[test]
fn every_schema_key_is_a_field_or_listed_with_its_reason() {
    let missing: Vec<&str> = schema::KEYS
        .iter()
        .map(|k| k.name)
        .filter(|name| fields::field(name).is_none())
        .filter(|name| !NOT_FIELDS.iter().any(|(k, _)| k == name))
        .collect();
    assert!(
        missing.is_empty(),
        "schema keys without an editor field (add a field to gnome-editor/model/src/fields.rs, or \
         list the key with its reason in NOT_FIELDS): {missing:?}"
    );
}

#[test]
fn the_exceptions_are_schema_keys_without_a_field() {
    for (name, reason) in NOT_FIELDS {
        let key = schema::key(name)
            .unwrap_or_else(|| panic!("{name} is listed in NOT_FIELDS but not in the schema"));
        assert!(
            fields::field(name).is_none(),
            "{name} is listed in NOT_FIELDS but has a field"
        );
        assert!(!reason.is_empty());
        // Secrets are edited in the page's password fields, never left out (but for refused
        // keys, which nothing can edit).
        if key.kind != Kind::Unsupported {
            assert_eq!(key.place, Place::Data, "{name}");
        }
    }
    // Every key the service ignores is among the exceptions: a field for it would be a stub.
    for k in schema::KEYS.iter().filter(|k| k.kind == Kind::Ignored) {
        assert!(
            NOT_FIELDS.iter().any(|(n, _)| *n == k.name),
            "{} is ignored by the service but has a field",
            k.name
        );
    }
}

#[test]
fn every_field_is_a_schema_key_in_its_place() {
    for fl in FIELDS {
        let key = schema::key(fl.key)
            .unwrap_or_else(|| panic!("field {} is not a key of the schema", fl.key));
        let password = fl.widget == fields::Widget::Password;
        assert_eq!(key.place == Place::Secret, password, "{}", fl.key);
    }
}

#[test]
fn the_issue_18_keys_are_in_the_advanced_dialog_sections() {
    for (key, section) in [
        ("vti-interface", Section::Routing),
        ("mark", Section::Routing),
        ("type", Section::Phase2),
        ("leftprotoport", Section::Networks),
        ("rightprotoport", Section::Networks),
        ("nic-offload", Section::Phase2),
        ("ipsec-max-bytes", Section::Lifetimes),
        ("ipsec-max-packets", Section::Lifetimes),
        ("rightport", Section::Transport),
    ] {
        let fl = fields::field(key).unwrap_or_else(|| panic!("{key} has no field"));
        assert_eq!(fl.section, section, "{key}");
        assert_eq!(fl.page(), Page::Advanced, "{key}");
    }
    assert_eq!(ADVANCED_SECTIONS.len(), 8);
}

#[test]
fn every_offered_choice_is_accepted_by_the_service() {
    // The editor offers only values the service supports.
    for fl in FIELDS {
        let fields::Widget::Choice(choices) = fl.widget else {
            continue;
        };
        for (value, _) in choices.iter().filter(|(v, _)| !v.is_empty()) {
            let mut data = std::collections::BTreeMap::new();
            data.insert("right".to_string(), "192.0.2.1".to_string());
            if fl.key == "authby" && value.starts_with("eap-") {
                // The model writes an EAP method as leftauth (see model::to_profile).
                data.insert("leftauth".to_string(), (*value).to_string());
                data.insert("leftusername".to_string(), "carol".to_string());
            } else {
                if fl.key == "authby" && *value != "secret" {
                    data.insert("leftpkcs12".to_string(), "/etc/nm-ike/me.p12".to_string());
                }
                data.insert(fl.key.to_string(), (*value).to_string());
            }
            let mut secrets = std::collections::BTreeMap::new();
            secrets.insert("pskvalue".to_string(), "x".to_string());
            let r = nm_plugin::settings::Settings::from_maps(&data, &secrets);
            assert!(r.is_ok(), "{}={value}: {:?}", fl.key, r.err());
        }
    }
    assert!(fields::field("mobike").is_some_and(|f| f.section == Section::Transport));
}
