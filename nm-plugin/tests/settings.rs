//! The key schema: validation, typed settings, libreswan compatibility and the man page.

use nm_plugin::settings::{
    man, schema, AddrFamily, AuthMethod, DpdAction, Encapsulation, Fragmentation, NicOffload,
    Settings,
};
use std::collections::BTreeMap;
use std::time::Duration;

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn errors(data: &[(&str, &str)], secrets: &[(&str, &str)]) -> Vec<String> {
    match Settings::from_maps(&map(data), &map(secrets)) {
        Ok(_) => Vec::new(),
        Err(e) => e.into_iter().map(|e| e.to_string()).collect(),
    }
}

#[test]
fn minimal_psk_profile_gets_defaults() {
    let s =
        Settings::from_maps(&map(&[("right", "192.0.2.2")]), &map(&[("pskvalue", "x")])).unwrap();
    assert_eq!(s.gateway, "192.0.2.2");
    assert_eq!(s.gateway_port, 500);
    assert_eq!(s.auth, AuthMethod::Psk);
    assert!(s.pfs && s.narrowing && s.modecfg && s.rekey && s.require_id_on_certificate);
    assert_eq!(s.ike_lifetime, Duration::from_secs(8 * 3600));
    assert_eq!(s.sa_lifetime, Duration::from_secs(3600));
    assert_eq!(s.remote_subnets, "0.0.0.0/0");
    assert_eq!(s.fragmentation, Fragmentation::Yes);
    assert_eq!(s.encapsulation, Encapsulation::Auto);
    assert_eq!(s.route_table, 2749);
    assert_eq!(s.retransmit_timeout, Duration::from_secs(1));
    assert_eq!(s.retransmit_tries, 4);
    assert_eq!(format!("{:?}", s.psk), "Some(Secret(<redacted>))");
}

#[test]
fn libreswan_profile_migrates() {
    // A profile as NetworkManager-libreswan writes it (OCI-style site-to-site).
    let data = [
        ("right", "203.0.113.9"),
        ("rightid", "203.0.113.9"),
        ("leftid", "@home"),
        ("ikev2", "insist"),
        ("ike", "aes_cbc256-sha2_384;modp1536"),
        ("esp", "aes_gcm256;modp1536"),
        ("ikelifetime", "28800s"),
        ("salifetime", "3600s"),
        ("rightsubnet", "10.0.0.0/16"),
        ("leftsubnet", "192.168.50.0/24"),
        ("dpddelay", "10"),
        ("dpdtimeout", "30"),
        ("dpdaction", "restart"),
        ("fragmentation", "yes"),
        ("ipsec-interface", "7"),
        ("pskvalue-flags", "0"),
        ("nm-auto-defaults", "no"),
        ("vendor", "Cisco"),
    ];
    let s = Settings::from_maps(&map(&data), &map(&[("pskvalue", "secret-secret")])).unwrap();
    assert_eq!(s.ike.as_deref(), Some("aes_cbc256-sha2_384;modp1536"));
    assert_eq!(s.ipsec_interface, Some(7));
    assert_eq!(s.dpd_delay, Duration::from_secs(10));
    assert_eq!(s.dpd_action, DpdAction::Restart);
    assert_eq!(
        s.ignored,
        vec!["nm-auto-defaults".to_string(), "vendor".to_string()]
    );
}

#[test]
fn bad_values_name_the_key_and_the_accepted_values() {
    let e = errors(&[("right", "gw"), ("fragmentation", "maybe")], &[]);
    assert_eq!(
        e,
        vec!["fragmentation: \"maybe\" is not accepted; use one of: yes, no, force"]
    );
    let e = errors(&[("right", "gw"), ("pfs", "on")], &[]);
    assert_eq!(e, vec!["pfs: \"on\" is not accepted; use yes or no"]);
    let e = errors(&[("right", "gw"), ("ikelifetime", "8 hours")], &[]);
    assert!(
        e[0].starts_with("ikelifetime: \"8 hours\" is not a duration"),
        "{e:?}"
    );
    let e = errors(&[("right", "gw"), ("salifetime", "5s")], &[]);
    assert!(e[0].contains("out of range"), "{e:?}");
    let e = errors(&[("right", "bad host!")], &[]);
    assert!(e[0].starts_with("right: "), "{e:?}");
    let e = errors(
        &[
            ("leftcert", "relative.pem"),
            ("right", "gw"),
            ("authby", "cert"),
        ],
        &[],
    );
    assert!(
        e.iter()
            .any(|m| m.contains("leftcert: \"relative.pem\" is not an absolute file path")),
        "{e:?}"
    );
    assert!(
        e.iter().any(|m| m.starts_with("leftkey: is required")),
        "{e:?}"
    );
}

#[test]
fn missing_gateway_is_refused() {
    let e = errors(&[("ikev2", "never")], &[]);
    assert!(
        e.iter().any(|m| m.starts_with("right: is required")),
        "{e:?}"
    );
    assert!(!e.iter().any(|m| m.starts_with("ikev2:")), "{e:?}");
}

#[test]
fn ikev1_is_selected_by_never_and_no_and_its_defaults_follow_it() {
    for v in ["never", "no"] {
        let s = Settings::from_maps(
            &map(&[("right", "gw"), ("ikev2", v), ("leftsubnet", "10.1.0.0/24")]),
            &map(&[("pskvalue", "k")]),
        )
        .unwrap();
        assert!(s.ikev1);
        assert!(!s.modecfg && !s.rekey && !s.narrowing, "IKEv1 defaults");
    }
    let s = Settings::from_maps(
        &map(&[("right", "gw"), ("ikev2", "insist")]),
        &map(&[("pskvalue", "k")]),
    )
    .unwrap();
    assert!(!s.ikev1 && s.modecfg && s.rekey);
}

#[test]
fn ikev1_refuses_what_it_cannot_do_yet() {
    let e = errors(
        &[
            ("right", "gw"),
            ("ikev2", "no"),
            ("authby", "cert"),
            ("leftcert", "/c.pem"),
            ("leftkey", "/k.pem"),
            ("leftmodecfgclient", "yes"),
            ("fragmentation", "yes"),
            ("rekey", "yes"),
            ("narrowing", "yes"),
            ("rightsubnets", "{10.1.0.0/24,10.2.0.0/24}"),
            ("aggrmode", "yes"),
            ("mobike", "yes"),
            ("leftusername", "carol"),
        ],
        &[],
    );
    for (key, words) in [
        ("authby", "not supported yet"),
        ("leftmodecfgclient", "not supported yet"),
        ("fragmentation", "not supported yet"),
        ("rekey", "not supported yet"),
        ("narrowing", "does not narrow"),
        ("rightsubnets", "not supported yet"),
        ("aggrmode", "Aggressive Mode is not supported yet"),
        ("mobike", "IKEv2 only"),
        ("leftusername", "(XAUTH) is not supported yet"),
    ] {
        assert!(
            e.iter()
                .any(|m| m.starts_with(&format!("{key}:")) && m.contains(words)),
            "{key}: {e:?}"
        );
    }
}

#[test]
fn unknown_keys_are_refused_with_a_suggestion() {
    let e = errors(&[("right", "gw"), ("rigthsubnet", "10.0.0.0/8")], &[]);
    assert_eq!(
        e,
        vec!["rigthsubnet: is not a known key; did you mean rightsubnet?"]
    );
    let e = errors(&[("right", "gw"), ("completely-unknown", "1")], &[]);
    assert_eq!(
        e,
        vec!["completely-unknown: is not a known key (see nm-settings-ike(5))"]
    );
}

#[test]
fn secrets_stay_in_their_place_and_are_never_echoed() {
    let e = errors(&[("right", "gw"), ("pskvalue", "hunter2-secret")], &[]);
    assert_eq!(e, vec!["pskvalue: belongs in vpn.secrets, not vpn.data"]);
    let e = errors(&[("right", "gw")], &[("pskvalue", "line1\nline2-secret")]);
    assert_eq!(e.len(), 1);
    assert!(!e[0].contains("secret"), "secret echoed: {e:?}");
    let e = errors(&[("right", "gw"), ("pskvalue-flags", "9")], &[]);
    assert_eq!(
        e,
        vec!["pskvalue-flags: secret flags must be a number from 0 to 7"]
    );
}

#[test]
fn control_characters_and_quotes_never_pass() {
    let e = errors(&[("right", "gw"), ("leftid", "@a\nconn evil")], &[]);
    assert_eq!(
        e,
        vec!["leftid: contains control characters (newlines, tabs, ...), which are not allowed"]
    );
    let e = errors(&[("right", "gw"), ("rightid", "@a\" b")], &[]);
    assert!(e[0].contains("quotes"), "{e:?}");
    // A key name with control characters is not echoed raw either.
    let e = errors(&[("right", "gw"), ("bad\nkey", "1")], &[]);
    assert!(e[0].starts_with("bad?key: "), "{e:?}");
}

#[test]
fn proposal_and_subnet_values_use_the_engine_parsers() {
    assert!(errors(&[("right", "gw"), ("ike", "aes256-sha384-modp1536")], &[]).is_empty());
    let e = errors(&[("right", "gw"), ("ike", "aes999-sha1")], &[]);
    assert!(e[0].starts_with("ike: "), "{e:?}");
    assert!(errors(
        &[("right", "gw"), ("rightsubnet", "10.0.0.0/8,2001:db8::/32")],
        &[]
    )
    .is_empty());
    let e = errors(&[("right", "gw"), ("rightsubnet", "10.0.0.0/33")], &[]);
    assert!(e[0].starts_with("rightsubnet: "), "{e:?}");
}

#[test]
fn schema_is_consistent() {
    let mut names: Vec<_> = schema::KEYS.iter().map(|k| k.name).collect();
    let n = names.len();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), n, "duplicate key names");
    for k in schema::KEYS {
        assert!(
            !k.help.is_empty() && k.help.ends_with('.'),
            "{}: help text",
            k.name
        );
        if let Some(d) = k.default {
            if k.kind != schema::Kind::Ignored {
                nm_plugin::settings::value::check(k, d)
                    .unwrap_or_else(|e| panic!("default of {}: {e}", k.name));
            }
        }
    }
}

#[test]
fn man_page_is_generated_from_the_schema_and_checked_in() {
    let page = man::man_page();
    for k in schema::KEYS {
        assert!(
            page.contains(&format!(".B {}", k.name.replace('-', "\\-"))),
            "{} missing",
            k.name
        );
    }
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../data/man/nm-settings-ike.5");
    if std::env::var_os("UPDATE_MAN").is_some() {
        std::fs::write(path, &page).unwrap();
    }
    let on_disk = std::fs::read_to_string(path).unwrap_or_default();
    assert!(on_disk == page, "data/man/nm-settings-ike.5 is stale: run UPDATE_MAN=1 cargo test -p nm-plugin --test suite settings::");
}

#[test]
fn traffic_limits_offload_and_mark_based_tunnels() {
    let psk = [("pskvalue", "x")];
    let s = Settings::from_maps(&map(&[("right", "gw")]), &map(&psk)).unwrap();
    assert_eq!((s.sa_max_bytes, s.sa_max_packets), (0, 0));
    assert_eq!(s.nic_offload, NicOffload::No);
    assert_eq!(s.vti, None);
    let s = Settings::from_maps(
        &map(&[
            ("right", "gw"),
            ("ipsec-max-bytes", "1073741824"),
            ("ipsec-max-packets", "0x1000"),
            ("nic-offload", "auto"),
            ("mark", "5/0xffffffff"),
            ("vti-interface", "vti01"),
        ]),
        &map(&psk),
    )
    .unwrap();
    assert_eq!((s.sa_max_bytes, s.sa_max_packets), (1 << 30, 4096));
    assert_eq!(s.nic_offload, NicOffload::Auto);
    assert_eq!(s.vti, Some(("vti01".to_string(), (5, u32::MAX))));
    let s = Settings::from_maps(
        &map(&[
            ("right", "gw"),
            ("mark", "0x10/0xf0"),
            ("vti-interface", "oci.2"),
        ]),
        &map(&psk),
    )
    .unwrap();
    assert_eq!(s.vti, Some(("oci.2".to_string(), (0x10, 0xf0))));

    // A mark alone would let unmarked traffic bypass the tunnel; a VTI without a key is
    // meaningless; both kinds of route-based tunnel at once are ambiguous.
    let e = errors(&[("right", "gw"), ("mark", "5")], &psk);
    assert!(
        e.iter().any(|m| m.starts_with("mark: needs vti-interface")),
        "{e:?}"
    );
    let e = errors(&[("right", "gw"), ("vti-interface", "vti01")], &psk);
    assert!(
        e.iter().any(|m| m.starts_with("vti-interface: needs mark")),
        "{e:?}"
    );
    let e = errors(
        &[
            ("right", "gw"),
            ("mark", "5"),
            ("vti-interface", "vti01"),
            ("ipsec-interface", "1"),
        ],
        &psk,
    );
    assert!(
        e.iter()
            .any(|m| m.starts_with("vti-interface: cannot be combined with ipsec-interface")),
        "{e:?}"
    );
    for (k, v) in [
        ("mark", "0"),
        ("mark", "0x11/0xf0"),
        ("mark", "5/"),
        ("mark", "4294967296"),
        ("vti-interface", "vti 01"),
        ("vti-interface", "a-very-long-interface-name"),
        ("vti-interface", "../x"),
        ("nic-offload", "packet"),
        ("ipsec-max-packets", "-1"),
    ] {
        let e = errors(&[("right", "gw"), (k, v)], &psk);
        assert!(
            e.iter().any(|m| m.starts_with(&format!("{k}: "))),
            "{k}={v}: {e:?}"
        );
    }
}

#[test]
fn the_documented_gateway_port_is_the_ike_port() {
    // The man page's default (a table string) and the typed default both say ike_core's port.
    let documented = schema::key("rightport").and_then(|k| k.default);
    assert_eq!(
        documented,
        Some(ike_core::natt::IKE_PORT.to_string().as_str())
    );
}

#[test]
fn dpdtimeout_may_be_shorter_than_dpddelay() {
    // Libreswan accepts it, and the seed configurations use it.
    let data = [
        ("right", "gw"),
        ("dpddelay", "10"),
        ("dpdtimeout", "5"),
        ("dpdaction", "restart"),
    ];
    let s = Settings::from_maps(&map(&data), &map(&[("pskvalue", "x")])).unwrap();
    assert_eq!(s.dpd_delay, Duration::from_secs(10));
    assert_eq!(s.dpd_timeout, Duration::from_secs(5));
}

#[test]
fn nat_keepalive_defaults_to_20_s_and_0_turns_it_off() {
    let psk = [("pskvalue", "x")];
    let s = Settings::from_maps(&map(&[("right", "gw")]), &map(&psk)).unwrap();
    assert_eq!(s.nat_keepalive, Duration::from_secs(20));
    let s =
        Settings::from_maps(&map(&[("right", "gw"), ("nat-keepalive", "0")]), &map(&psk)).unwrap();
    assert_eq!(s.nat_keepalive, Duration::ZERO);
    let e = errors(&[("right", "gw"), ("nat-keepalive", "2h")], &psk);
    assert!(
        e.len() == 1 && e[0].starts_with("nat-keepalive:") && e[0].contains("out of range"),
        "{e:?}"
    );
}

#[test]
fn mobike_is_typed_refused_with_a_vti_device_and_dpdaction_hold_is_typed() {
    let psk = [("pskvalue", "x")];
    for (v, want) in [("yes", true), ("no", false)] {
        let s = Settings::from_maps(&map(&[("right", "gw"), ("mobike", v)]), &map(&psk)).unwrap();
        assert_eq!(s.mobike, want);
    }
    let s = Settings::from_maps(&map(&[("right", "gw")]), &map(&psk)).unwrap();
    assert!(!s.mobike, "default no");
    let e = errors(
        &[
            ("right", "gw"),
            ("mobike", "yes"),
            ("vti-interface", "vti7"),
            ("mark", "7"),
        ],
        &psk,
    );
    assert_eq!(
        e,
        vec!["mobike: MOBIKE with a VTI device (vti-interface) is not supported yet; use ipsec-interface or a policy-based tunnel, or mobike=no"]
    );
    assert!(errors(&[("right", "gw"), ("mobike", "maybe")], &psk).len() == 1);
    // On-demand connecting (Libreswan's auto=ondemand) is refused the same way.
    let e = errors(&[("right", "gw"), ("nm-connect-mode", "ondemand")], &psk);
    assert!(
        e.len() == 1 && e[0].starts_with("nm-connect-mode: ") && e[0].contains("not supported yet"),
        "{e:?}"
    );
    assert!(errors(&[("right", "gw"), ("nm-connect-mode", "up")], &psk).is_empty());
    let s =
        Settings::from_maps(&map(&[("right", "gw"), ("dpdaction", "hold")]), &map(&psk)).unwrap();
    assert_eq!(s.dpd_action, DpdAction::Hold);
    let s = Settings::from_maps(&map(&[("right", "gw")]), &map(&psk)).unwrap();
    assert_eq!(s.dpd_action, DpdAction::Clear);
}

#[test]
fn address_families_are_typed() {
    let psk = [("pskvalue", "x")];
    let s = Settings::from_maps(&map(&[("right", "gw")]), &map(&psk)).unwrap();
    assert_eq!((s.host_family, s.client_family), (None, None));
    let data = [
        ("right", "gw"),
        ("hostaddrfamily", "ipv6"),
        ("clientaddrfamily", "ipv4"),
    ];
    let s = Settings::from_maps(&map(&data), &map(&psk)).unwrap();
    assert_eq!(s.host_family, Some(AddrFamily::V6));
    assert_eq!(s.client_family, Some(AddrFamily::V4));
    assert!(AddrFamily::V6.matches("2001:db8::1".parse().unwrap()));
    assert!(!AddrFamily::V6.matches("192.0.2.1".parse().unwrap()));
}

/// Every key of NetworkManager-libreswan 1.2.30 (`shared/nm-service-defines.h`) is in the
/// schema; the ones we cannot honour yet are refused with a message that says so.
#[test]
fn every_networkmanager_libreswan_key_is_known() {
    const KEYS: &[&str] = &[
        "right",
        "rightid",
        "rightrsasigkey",
        "left",
        "leftid",
        "leftrsasigkey",
        "leftcert",
        "rightcert",
        "rightca",
        "leftsendcert",
        "leftmodecfgclient",
        "authby",
        "pskvalue",
        "pskinputmodes",
        "leftxauthusername",
        "leftusername",
        "xauthpassword",
        "xauthpasswordinputmodes",
        "Domain",
        "dhgroup",
        "pfs",
        "pfsgroup",
        "dpdtimeout",
        "dpddelay",
        "dpdaction",
        "ike",
        "esp",
        "ikelifetime",
        "salifetime",
        "vendor",
        "rightsubnet",
        "leftsubnet",
        "rightsubnets",
        "leftsubnets",
        "ikev2",
        "narrowing",
        "rekey",
        "fragmentation",
        "mobike",
        "ipsec-interface",
        "type",
        "hostaddrfamily",
        "clientaddrfamily",
        "require-id-on-certificate",
        "leftprotoport",
        "rightprotoport",
        "nm-auto-defaults",
        "nm-connect-mode",
    ];
    for k in KEYS {
        assert!(schema::key(k).is_some(), "{k} is not in the schema");
    }
    // Refused whatever the value, with the reason.
    let psk = [("pskvalue", "x")];
    for (key, words) in [
        ("rightcert", "not supported yet"),
        ("leftxauthusername", "not supported yet"),
    ] {
        let e = errors(&[("right", "gw"), (key, "anything")], &psk);
        assert!(
            e.len() == 1 && e[0].starts_with(&format!("{key}: ")) && e[0].contains(words),
            "{key}: {e:?}"
        );
    }
    let e = errors(
        &[("right", "gw")],
        &[("pskvalue", "x"), ("xauthpassword", "pw")],
    );
    assert!(
        e.len() == 1 && e[0].starts_with("xauthpassword: ") && e[0].contains("not supported yet"),
        "{e:?}"
    );
    // An NSS nickname in leftcert gets a message that says we read files.
    let e = errors(
        &[
            ("right", "gw"),
            ("authby", "rsasig"),
            ("leftcert", "vpnclient"),
        ],
        &[],
    );
    assert!(
        e.iter()
            .any(|m| m.starts_with("leftcert: ") && m.contains("NSS")),
        "{e:?}"
    );
    // %cert is what we do; a raw key is refused.
    assert!(errors(&[("right", "gw"), ("leftrsasigkey", "%cert")], &psk).is_empty());
    let e = errors(&[("right", "gw"), ("rightrsasigkey", "0sAwEAAb")], &psk);
    assert!(e.len() == 1 && e[0].contains("raw RSA keys"), "{e:?}");
}

#[test]
fn left_subnet_sets_and_groups_are_typed() {
    let psk = [("pskvalue", "x")];
    let s = Settings::from_maps(
        &map(&[
            ("right", "gw"),
            ("left", "192.0.2.1"),
            ("leftsubnets", "{10.1.0.0/24 10.3.0.0/24}"),
            ("rightsubnets", "{10.2.0.0/24,10.4.0.0/24}"),
            ("dhgroup", "modp3072"),
            ("pfsgroup", "dh19"),
        ]),
        &map(&psk),
    )
    .unwrap();
    assert_eq!(s.local_addr, Some("192.0.2.1".parse().unwrap()));
    assert_eq!(s.local_subnets.as_deref(), Some("10.1.0.0/24,10.3.0.0/24"));
    assert_eq!(s.remote_subnets, "10.2.0.0/24,10.4.0.0/24");
    assert_eq!((s.ike_group, s.pfs_group), (Some(15), Some(19)));
    for left in ["%defaultroute", "%any", ""] {
        let s = Settings::from_maps(&map(&[("right", "gw"), ("left", left)]), &map(&psk)).unwrap();
        assert_eq!(s.local_addr, None, "{left}");
    }
    for (data, key) in [
        (&[("left", "eth0")][..], "left"),
        (&[("leftsubnets", "{}")][..], "leftsubnets"),
        (&[("leftsubnets", "{10.0.0.0/33}")][..], "leftsubnets"),
        (&[("dhgroup", "modp42")][..], "dhgroup"),
        (
            &[("dhgroup", "modp2048"), ("ike", "aes256-sha256;modp2048")][..],
            "dhgroup",
        ),
        (&[("pfsgroup", "ecp256"), ("pfs", "no")][..], "pfsgroup"),
        (
            &[("pfsgroup", "ecp256"), ("esp", "aes_gcm256")][..],
            "pfsgroup",
        ),
        (
            &[
                ("leftsubnet", "10.0.0.0/8"),
                ("leftsubnets", "{10.1.0.0/16}"),
            ][..],
            "leftsubnets",
        ),
    ] {
        let mut d = vec![("right", "gw")];
        d.extend_from_slice(data);
        let e = errors(&d, &psk);
        assert!(
            e.iter().any(|m| m.starts_with(&format!("{key}: "))),
            "{data:?}: {e:?}"
        );
    }
}

#[test]
fn nm_ike_up_refuses_dpdaction_hold_with_a_reason() {
    // Holding a lost connection is the service's; the CLI says so instead of ending the
    // connection on a loss as if the profile said clear.
    let dir = std::env::temp_dir().join(format!("nm-ike-hold-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let profile = dir.join("h.toml");
    std::fs::write(
        &profile,
        "name = \"h\"\n[data]\nright = \"192.0.2.1\"\ndpdaction = \"hold\"\n[secrets]\npskvalue = \"x\"\n",
    )
    .unwrap();
    std::fs::set_permissions(
        &profile,
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_nm-ike"))
        .args(["up", "--kernel", "record"])
        .arg(&profile)
        .env("LANGUAGE", "C")
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains("dpdaction=hold is carried out by nm-ike-service"),
        "{text}"
    );
}

#[test]
fn eap_profile_parses_and_refuses_what_does_not_fit() {
    let s = Settings::from_maps(
        &map(&[
            ("right", "vpn.example.org"),
            ("leftauth", "eap-mschapv2"),
            ("leftusername", "DOMAIN\\carol"),
        ]),
        &map(&[("password", "pw")]),
    )
    .unwrap();
    assert_eq!(
        s.auth,
        AuthMethod::Eap(ike_core::engine::EapMethod::MsChapV2)
    );
    assert_eq!(s.user.as_deref(), Some("DOMAIN\\carol"));
    assert_eq!(format!("{:?}", s.password), "Some(Secret(<redacted>))");
    // No certificate of ours is needed.
    assert!(s.cert.is_none());
    let gtc = Settings::from_maps(
        &map(&[
            ("right", "gw"),
            ("leftauth", "eap-gtc"),
            ("leftusername", "carol"),
        ]),
        &map(&[]),
    )
    .unwrap();
    assert_eq!(gtc.auth, AuthMethod::Eap(ike_core::engine::EapMethod::Gtc));
    // The user name is required; a PSK gateway is refused; leftusername alone does nothing
    // and is refused; EAP-TLS is not offered yet.
    let e = errors(&[("right", "gw"), ("leftauth", "eap-mschapv2")], &[]);
    assert!(e.iter().any(|m| m.starts_with("leftusername: ")), "{e:?}");
    let e = errors(
        &[
            ("right", "gw"),
            ("leftauth", "eap-mschapv2"),
            ("leftusername", "carol"),
            ("authby", "secret"),
        ],
        &[],
    );
    assert!(e.iter().any(|m| m.starts_with("authby: ")), "{e:?}");
    let e = errors(
        &[("right", "gw"), ("leftusername", "carol")],
        &[("pskvalue", "x")],
    );
    assert!(
        e.len() == 1 && e[0].starts_with("leftusername: ") && e[0].contains("leftauth"),
        "{e:?}"
    );
    let e = errors(
        &[
            ("right", "gw"),
            ("leftauth", "eap-tls"),
            ("leftusername", "carol"),
        ],
        &[],
    );
    assert!(e.iter().any(|m| m.starts_with("leftauth: ")), "{e:?}");
    // The password is a secret, never data.
    let e = errors(
        &[
            ("right", "gw"),
            ("leftauth", "eap-gtc"),
            ("leftusername", "carol"),
            ("password", "pw"),
        ],
        &[],
    );
    assert!(e.iter().any(|m| m.starts_with("password: ")), "{e:?}");
}
