//! Import/export of Libreswan ipsec.conf and strongSwan swanctl.conf profiles: realistic files,
//! round trips, malformed input, and (when the tools are installed) acceptance of the exported
//! files by Libreswan's addconn and strongSwan's swanctl/charon.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use nm_plugin::import::{self, export, ImportError, Imported};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/import")
        .join(rel)
}

fn get<'a>(imp: &'a Imported, k: &str) -> Option<&'a str> {
    imp.data.get(k).map(String::as_str)
}

#[test]
fn libreswan_site_to_site_psk() {
    let imp = import::import_file(&data("site-psk/site.conf"), None).unwrap();
    assert_eq!(imp.name, "branch-hq");
    assert_eq!(get(&imp, "right"), Some("198.51.100.7"));
    assert_eq!(get(&imp, "leftid"), Some("@branch.example.org"));
    assert_eq!(get(&imp, "rightid"), Some("@hq.example.org"));
    assert_eq!(get(&imp, "leftsubnet"), Some("192.168.10.0/24"));
    assert_eq!(get(&imp, "rightsubnet"), Some("10.20.0.0/16,10.30.0.0/16"));
    assert_eq!(get(&imp, "authby"), Some("secret"));
    assert_eq!(get(&imp, "ikev2"), Some("insist"), "from conn %default");
    assert_eq!(get(&imp, "esp"), Some("aes_gcm256"));
    assert_eq!(get(&imp, "dpddelay"), Some("30"));
    assert_eq!(get(&imp, "dpdtimeout"), Some("120"));
    assert_eq!(get(&imp, "dpdaction"), Some("restart"));
    assert_eq!(
        get(&imp, "leftmodecfgclient"),
        Some("no"),
        "Libreswan default"
    );
    assert_eq!(
        imp.secrets.get("pskvalue").map(String::as_str),
        Some("branch-hq shared secret")
    );
    // keyingtries=%forever: ours until NetworkManager gives up.
    assert_eq!(get(&imp, "keyingtries"), Some("0"));
    assert_eq!(imp.ignored, vec!["auto"]);
}

#[test]
fn oci_two_tunnels_error_then_pick() {
    let err = import::import_file(&data("oci/oci.conf"), None).unwrap_err();
    assert_eq!(
        err,
        ImportError::SeveralConnections(vec!["oracle-tunnel-1".into(), "oracle-tunnel-2".into()])
    );
    let msg = err.to_string();
    assert!(
        msg.contains("oracle-tunnel-1") && msg.contains("oracle-tunnel-2"),
        "{msg}"
    );
    let imp = import::import_file(&data("oci/oci.conf"), Some("oracle-tunnel-2")).unwrap();
    assert_eq!(get(&imp, "right"), Some("129.146.13.52"));
    assert_eq!(get(&imp, "mark"), Some("6/0xffffffff"));
    assert_eq!(get(&imp, "vti-interface"), Some("vti2"));
    assert_eq!(get(&imp, "ipsec-interface"), None);
    assert_eq!(get(&imp, "encapsulation"), Some("yes"));
    assert_eq!(get(&imp, "esp"), Some("aes_gcm256;modp1536"), "phase2alg");
    assert_eq!(get(&imp, "ikelifetime"), Some("28800s"));
    assert_eq!(
        imp.secrets.get("pskvalue").map(String::as_str),
        Some("tunnel-two-secret")
    );
    assert!(
        imp.ignored.contains(&"vti-routing".to_string()),
        "{:?}",
        imp.ignored
    );
    // The headend's own (private) address: honoured, the service checks it is ours.
    assert_eq!(get(&imp, "left"), Some("10.1.2.3"));
    let unknown = import::import_file(&data("oci/oci.conf"), Some("nope")).unwrap_err();
    assert!(matches!(unknown, ImportError::UnknownConnection { .. }));
}

#[test]
fn rhel_roadwarrior_cert() {
    let imp = import::import_file(&data("rhel-cert/ipsec.conf"), None).unwrap();
    assert_eq!(get(&imp, "right"), Some("vpn.example.com"));
    assert_eq!(get(&imp, "authby"), Some("rsasig"));
    assert_eq!(get(&imp, "leftmodecfgclient"), Some("yes"));
    assert_eq!(get(&imp, "leftid"), None, "%fromcert is the default");
    assert_eq!(get(&imp, "leftcert"), None);
    let keys: Vec<&str> = imp.needs_file.iter().map(|n| n.key.as_str()).collect();
    assert_eq!(keys, vec!["leftcert", "leftkey"]);
    assert_eq!(imp.needs_file[0].reference, "laptop.example.com");
    // mobike=yes is kept: the connection follows our address.
    assert_eq!(get(&imp, "mobike"), Some("yes"));
    assert!(!imp.ignored.contains(&"mobike".to_string()));
    assert_eq!(get(&imp, "dpdaction"), Some("clear"));
    // %cert is what we do anyway.
    assert_eq!(get(&imp, "leftrsasigkey"), Some("%cert"));
    assert_eq!(get(&imp, "rightrsasigkey"), Some("%cert"));
    for k in ["modecfgpull", "auto"] {
        assert!(
            imp.ignored.contains(&k.to_string()),
            "{k} in {:?}",
            imp.ignored
        );
    }
}

#[test]
fn swanctl_pools_and_children() {
    let imp = import::import_file(&data("swanctl/swanctl.conf"), None).unwrap();
    assert_eq!(imp.name, "home");
    assert_eq!(get(&imp, "right"), Some("vpn.example.net"));
    assert_eq!(get(&imp, "leftid"), Some("alice@example.net"));
    assert_eq!(get(&imp, "rightid"), Some("vpn.example.net"));
    assert_eq!(get(&imp, "authby"), Some("secret"));
    assert_eq!(get(&imp, "leftmodecfgclient"), Some("yes"));
    assert_eq!(
        get(&imp, "rightsubnet"),
        Some("10.8.0.0/16, 2001:db8:8::/48")
    );
    assert_eq!(get(&imp, "salifetime"), Some("50m"));
    assert_eq!(get(&imp, "ikelifetime"), Some("6h"));
    assert_eq!(get(&imp, "dpdaction"), Some("restart"));
    assert_eq!(get(&imp, "mobike"), Some("yes"), "mobike = yes is kept");
    assert!(!imp.ignored.contains(&"mobike".to_string()));
    assert_eq!(get(&imp, "encapsulation"), Some("yes"));
    assert!(get(&imp, "ike").is_some() && get(&imp, "esp").is_some());
    assert_eq!(
        imp.secrets.get("pskvalue").map(String::as_str),
        Some("correct horse battery staple")
    );
    assert!(
        imp.ignored
            .contains(&"children.home-net.start_action".to_string()),
        "{:?}",
        imp.ignored
    );
}

fn maps(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn profiles() -> Vec<(BTreeMap<String, String>, BTreeMap<String, String>)> {
    vec![
        (
            maps(&[
                ("right", "198.51.100.7"),
                ("rightid", "@hq.example.org"),
                ("leftid", "@branch.example.org"),
                ("authby", "secret"),
                ("ikev2", "insist"),
                ("ike", "aes256-sha2_256;dh19"),
                ("esp", "aes_gcm256"),
                ("pfs", "no"),
                ("ikelifetime", "8h"),
                ("salifetime", "1h"),
                ("leftsubnet", "192.168.10.0/24"),
                ("rightsubnet", "10.20.0.0/16"),
                ("narrowing", "yes"),
                ("type", "tunnel"),
                ("leftmodecfgclient", "no"),
                ("fragmentation", "force"),
                ("mobike", "yes"),
                ("dpddelay", "30s"),
                ("dpdtimeout", "120s"),
                ("dpdaction", "restart"),
                ("keyingtries", "3"),
                ("ipsec-interface", "7"),
                ("encapsulation", "yes"),
                ("route-table", "300"),
                ("rightport", "4500"),
            ]),
            maps(&[("pskvalue", "s3cret value")]),
        ),
        (
            maps(&[
                ("right", "vpn.example.com"),
                ("rightid", "@vpn.example.com"),
                ("authby", "cert"),
                ("leftcert", "/etc/nm-ike/me.pem"),
                ("leftkey", "/etc/nm-ike/me.key"),
                ("rightca", "/etc/nm-ike/ca.pem"),
                // No per-connection equivalent (Libreswan's crl-strict is in config setup):
                // they travel as # nm-ike: comments.
                ("rightcrl", "/etc/nm-ike/crls.pem"),
                ("crl-strict", "yes"),
                ("ikev2", "insist"),
                ("leftmodecfgclient", "yes"),
                ("narrowing", "yes"),
                ("salifetime", "1h"),
                ("rightsubnet", "0.0.0.0/0"),
                ("ikelifetime", "8h"),
                ("fragmentation", "yes"),
                ("mobike", "no"),
                ("nat-keepalive", "45s"),
                ("type", "tunnel"),
                ("dpdaction", "hold"),
            ]),
            BTreeMap::new(),
        ),
        (
            // OCI style, mark-based, with traffic limits and NIC offload.
            maps(&[
                ("right", "129.146.13.52"),
                ("leftid", "203.0.113.10"),
                ("authby", "secret"),
                ("ikev2", "insist"),
                ("leftsubnet", "0.0.0.0/0"),
                ("rightsubnet", "0.0.0.0/0"),
                ("mark", "6/0xffffffff"),
                ("vti-interface", "vti2"),
                ("encapsulation", "yes"),
                ("ipsec-max-bytes", "1073741824"),
                ("ipsec-max-packets", "1000000"),
                ("nic-offload", "auto"),
                ("fragmentation", "yes"),
                ("leftmodecfgclient", "no"),
                ("narrowing", "no"),
                ("salifetime", "1h"),
                ("ikelifetime", "8h"),
                ("mobike", "no"),
                ("type", "tunnel"),
                ("dpdaction", "clear"),
            ]),
            maps(&[("pskvalue", "oci-secret")]),
        ),
        (
            // NetworkManager-libreswan's own keys: our address, groups by name, %cert.
            maps(&[
                ("right", "198.51.100.9"),
                ("left", "192.0.2.10"),
                ("authby", "rsasig"),
                ("leftcert", "/etc/nm-ike/me.pem"),
                ("leftkey", "/etc/nm-ike/me.key"),
                ("leftrsasigkey", "%cert"),
                ("rightrsasigkey", "%cert"),
                ("dhgroup", "modp3072"),
                ("pfsgroup", "ecp256"),
                ("leftsubnet", "10.1.0.0/24,10.3.0.0/24"),
                ("rightsubnet", "10.2.0.0/24"),
                ("ikev2", "insist"),
                ("leftmodecfgclient", "no"),
                ("narrowing", "yes"),
                ("salifetime", "1h"),
                ("ikelifetime", "8h"),
                ("fragmentation", "yes"),
                ("mobike", "no"),
                ("type", "tunnel"),
                ("dpdaction", "clear"),
            ]),
            BTreeMap::new(),
        ),
    ]
}

#[test]
fn ipsec_conf_round_trip() {
    let dir = tempdir("rt-ls");
    for (i, (d, s)) in profiles().into_iter().enumerate() {
        let out = export::to_ipsec_conf("rt", &d, &s).unwrap();
        let conf = dir.join(format!("p{i}.conf"));
        std::fs::write(&conf, &out.conf).unwrap();
        if let Some(sec) = &out.secrets {
            std::fs::write(dir.join(format!("p{i}.secrets")), sec).unwrap();
        }
        let imp = import::import_file(&conf, None).unwrap();
        assert_eq!(imp.data, d, "{}", out.conf);
        assert_eq!(imp.secrets, s);
    }
}

#[test]
fn swanctl_round_trip() {
    let dir = tempdir("rt-sw");
    for (i, (d, s)) in profiles().into_iter().enumerate() {
        let text = export::to_swanctl("rt", &d, &s).unwrap();
        let f = dir.join(format!("p{i}.conf"));
        std::fs::write(&f, &text).unwrap();
        let imp = import::import_file(&f, None).unwrap();
        assert_eq!(imp.data, d, "{text}");
        assert_eq!(imp.secrets, s);
    }
}

#[test]
fn export_refuses_injection() {
    let (mut d, s) = profiles().remove(0);
    d.insert("rightid".into(), "@a\"\n    leftupdown=/bin/sh".into());
    assert!(export::to_ipsec_conf("x", &d, &s).is_err());
    assert!(export::to_swanctl("x", &d, &s).is_err());
}

#[test]
fn malformed_files_report_lines() {
    let cases: &[(&str, usize)] = &[
        ("conn a\n    right=1.2.3.4\n    esp=\"aes\n", 3),
        ("conn a\n    right=1.2.3.4\nbogus line here\n", 3),
        ("conn a\n    just-a-word\n", 2),
        ("conn a\n    also=missing\n    right=1.2.3.4\n", 2),
    ];
    for (text, line) in cases {
        match import::ipsec_conf::import_str(text, None, None) {
            Err(ImportError::Syntax { line: l, .. }) => assert_eq!(l, *line, "{text}"),
            other => panic!("{text}: {other:?}"),
        }
    }
    let sw: &[(&str, usize)] = &[
        ("connections {\n  a {\n    remote_addrs = x\n", 4),
        ("connections {\n  a\n }\n", 3),
        ("}\n", 1),
        ("connections {\n  a {\n    x = \"open\n  }\n}\n", 6),
    ];
    for (text, line) in sw {
        match import::swanctl::import_str(text, None, None) {
            Err(ImportError::Syntax { line: l, .. }) => assert_eq!(l, *line, "{text}"),
            other => panic!("{text}: {other:?}"),
        }
    }
    let err = import::ipsec_conf::import_str("conn a\n    also=a\n    right=1.2.3.4\n", None, None);
    assert!(err.is_err());
    assert_eq!(
        import::ipsec_conf::import_str("# nothing\n", None, None),
        Err(ImportError::NoConnection)
    );
}

fn tempdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("nm-ike-import-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

const ADDCONN: &str = "/var/cache/nm-ike-lab/libreswan/usr/libexec/ipsec/addconn";

#[test]
fn libreswan_accepts_export() {
    if !Path::new(ADDCONN).exists() {
        eprintln!("SKIP: {ADDCONN} not found (tests/lab/install-deps installs Libreswan)");
        return;
    }
    let dir = tempdir("addconn");
    for (i, (d, s)) in profiles().into_iter().enumerate() {
        let out = export::to_ipsec_conf("rt", &d, &s).unwrap();
        let f = dir.join(format!("p{i}.conf"));
        std::fs::write(&f, format!("config setup\n    logtime=yes\n\n{}", out.conf)).unwrap();
        let r = Command::new(ADDCONN)
            .arg("--config")
            .arg(&f)
            .arg("--checkconfig")
            .output()
            .unwrap();
        assert!(
            r.status.success(),
            "addconn refused:\n{}\n{}{}",
            out.conf,
            String::from_utf8_lossy(&r.stdout),
            String::from_utf8_lossy(&r.stderr)
        );
    }
}

#[test]
fn strongswan_accepts_export() {
    let charon = Path::new("/usr/lib/ipsec/charon");
    let have = charon.exists()
        && Command::new("swanctl").arg("--version").output().is_ok()
        && Command::new("unshare")
            .args(["--net", "--mount", "true"])
            .status()
            .is_ok_and(|s| s.success());
    if !have {
        eprintln!("SKIP: charon, swanctl or unshare (root) not available");
        return;
    }
    let dir = tempdir("swanctl");
    let d = dir.display();
    std::fs::write(
        dir.join("strongswan.conf"),
        format!(
            "charon {{\n  load = random nonce openssl pem pkcs1 pkcs8 x509 pubkey kernel-netlink socket-default vici\n  install_routes = no\n  plugins {{\n    vici {{\n      socket = unix://{d}/charon.vici\n    }}\n  }}\n}}\nswanctl {{\n  load = pem pkcs1 pkcs8 x509 pubkey openssl random nonce\n}}\n"
        ),
    )
    .unwrap();
    let mut files = Vec::new();
    for (i, (dm, s)) in profiles().into_iter().enumerate() {
        if dm.contains_key("leftcert") {
            continue; // the certificate files do not exist here
        }
        let f = dir.join(format!("p{i}.conf"));
        std::fs::write(&f, export::to_swanctl("rt", &dm, &s).unwrap()).unwrap();
        files.push(f);
    }
    let mut script = format!(
        "set -e\nmount -t tmpfs tmpfs /run\nexport STRONGSWAN_CONF={d}/strongswan.conf\n/usr/lib/ipsec/charon >{d}/charon.log 2>&1 &\npid=$!\nfor i in $(seq 100); do [ -S {d}/charon.vici ] && break; sleep 0.1; done\n"
    );
    for f in &files {
        script.push_str(&format!(
            "swanctl --load-all --noprompt --uri unix://{d}/charon.vici --file {}\nswanctl --list-conns --uri unix://{d}/charon.vici\n",
            f.display()
        ));
    }
    script.push_str("kill $pid\n");
    let r = Command::new("unshare")
        .args([
            "--net",
            "--mount",
            "--propagation",
            "private",
            "sh",
            "-c",
            &script,
        ])
        .output()
        .unwrap();
    let out = format!(
        "{}{}",
        String::from_utf8_lossy(&r.stdout),
        String::from_utf8_lossy(&r.stderr)
    );
    assert!(
        r.status.success() && out.contains("rt:"),
        "swanctl refused:\n{out}"
    );
    assert!(!out.contains("loading connection 'rt' failed"), "{out}");
}

#[test]
fn keyingtries_travels_both_ways() {
    let dir = tempdir("keyingtries");
    let path = dir.join("tries.conf");
    let text = std::fs::read_to_string(data("swanctl/swanctl.conf"))
        .unwrap()
        .replace(
            "dpd_delay = 30s",
            "dpd_delay = 30s\n        keyingtries = 5",
        );
    assert!(text.contains("keyingtries = 5"));
    std::fs::write(&path, text).unwrap();
    let imp = import::import_file(&path, None).unwrap();
    assert_eq!(get(&imp, "keyingtries"), Some("5"));
    let d = maps(&[("right", "192.0.2.1"), ("keyingtries", "0")]);
    let s = maps(&[("pskvalue", "k")]);
    let out = export::to_swanctl("h", &d, &s).unwrap();
    assert!(out.contains("        keyingtries = 0"), "{out}");
    let out = export::to_ipsec_conf("h", &d, &s).unwrap();
    assert!(out.conf.contains("keyingtries=0"), "{}", out.conf);
}

#[test]
fn strongswan_trap_is_dpdaction_hold_both_ways() {
    // dpd_action = trap is Libreswan's hold: policies kept, re-established on traffic.
    let dir = tempdir("trap");
    let path = dir.join("trap.conf");
    let text = std::fs::read_to_string(data("swanctl/swanctl.conf"))
        .unwrap()
        .replace("dpd_action = restart", "dpd_action = trap");
    std::fs::write(&path, text).unwrap();
    let imp = import::import_file(&path, None).unwrap();
    assert_eq!(get(&imp, "dpdaction"), Some("hold"));
    let d = maps(&[("right", "192.0.2.1"), ("dpdaction", "hold")]);
    let s = maps(&[("pskvalue", "k")]);
    let out = export::to_swanctl("h", &d, &s).unwrap();
    assert!(out.contains("dpd_action = trap"), "{out}");
    let out = export::to_ipsec_conf("h", &d, &s).unwrap();
    assert!(out.conf.contains("dpdaction=hold"), "{}", out.conf);
}

#[test]
fn mobike_travels_both_ways_and_follows_strongswans_default() {
    let dir = tempdir("mobike");
    let path = dir.join("mobike.conf");
    let text = std::fs::read_to_string(data("swanctl/swanctl.conf")).unwrap();
    // Without the line, strongSwan does MOBIKE (its default): so does the imported profile.
    let without: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("mobike"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&path, &without).unwrap();
    assert_eq!(
        get(&import::import_file(&path, None).unwrap(), "mobike"),
        Some("yes")
    );
    let off = text.replace("mobike = yes", "mobike = no");
    assert!(off.contains("mobike = no"));
    std::fs::write(&path, off).unwrap();
    assert_eq!(
        get(&import::import_file(&path, None).unwrap(), "mobike"),
        Some("no")
    );
    for v in ["yes", "no"] {
        let d = maps(&[("right", "192.0.2.1"), ("mobike", v)]);
        let s = maps(&[("pskvalue", "k")]);
        let out = export::to_swanctl("h", &d, &s).unwrap();
        assert!(out.contains(&format!("mobike = {v}")), "{out}");
        let out = export::to_ipsec_conf("h", &d, &s).unwrap();
        assert!(out.conf.contains(&format!("mobike={v}")), "{}", out.conf);
    }
}

#[test]
fn nat_keepalive_is_exported_as_a_comment_only() {
    // Libreswan's keep-alive and strongSwan's charon.keep_alive are global settings: the
    // exported conn carries the key as a comment that the importers read back.
    let d = maps(&[("right", "192.0.2.1"), ("nat-keepalive", "45s")]);
    let s = maps(&[("pskvalue", "k")]);
    let out = export::to_ipsec_conf("ka", &d, &s).unwrap();
    assert!(
        out.conf.contains("# nm-ike: nat-keepalive=45s"),
        "{}",
        out.conf
    );
    assert!(!out.conf.contains("keep-alive"), "{}", out.conf);
    let text = export::to_swanctl("ka", &d, &s).unwrap();
    assert!(text.contains("# nm-ike: nat-keepalive=45s"), "{text}");
    assert!(!text.contains("keep_alive"), "{text}");
}

/// Seed 001's `net1.conf` as the issue describes it (a router's own address in `left`, its LAN
/// in `leftsubnet`, the other router's in `rightsubnet`, a PSK and DPD with restart, dpdtimeout
/// shorter than dpddelay): it imports as written and is a valid profile.
#[test]
fn seed_001_net1_imports_as_written() {
    let dir = tempdir("seed-001");
    let conf = dir.join("net1.conf");
    std::fs::write(
        &conf,
        "conn net1\n\
         \x20   left=192.0.2.1\n\
         \x20   leftsubnet=192.168.1.0/24\n\
         \x20   right=198.51.100.1\n\
         \x20   rightsubnet=192.168.2.0/24\n\
         \x20   authby=secret\n\
         \x20   ikev2=insist\n\
         \x20   dpddelay=10\n\
         \x20   dpdtimeout=5\n\
         \x20   dpdaction=restart\n\
         \x20   auto=start\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("net1.secrets"),
        "192.0.2.1 198.51.100.1 : PSK \"seed secret\"\n",
    )
    .unwrap();
    let imp = import::import_file(&conf, None).unwrap();
    for (k, v) in [
        ("left", "192.0.2.1"),
        ("leftsubnet", "192.168.1.0/24"),
        ("right", "198.51.100.1"),
        ("rightsubnet", "192.168.2.0/24"),
        ("authby", "secret"),
        ("dpddelay", "10"),
        ("dpdtimeout", "5"),
        ("dpdaction", "restart"),
    ] {
        assert_eq!(imp.data.get(k).map(String::as_str), Some(v), "{k}: {imp:?}");
    }
    assert_eq!(
        imp.secrets.get("pskvalue").map(String::as_str),
        Some("seed secret")
    );
    let s = nm_plugin::settings::Settings::from_maps(&imp.data, &imp.secrets).unwrap();
    assert_eq!(s.local_addr, Some("192.0.2.1".parse().unwrap()));
    assert_eq!(s.local_subnets.as_deref(), Some("192.168.1.0/24"));
    assert_eq!(s.remote_subnets, "192.168.2.0/24");
}

/// Only the proposals our export wrote for `dhgroup` give way to it: a file that names a group
/// and other proposals is refused, never silently changed.
#[test]
fn dhgroup_with_other_proposals_is_refused() {
    let text = "conn x\n    right=198.51.100.9\n    authby=secret\n    ike=aes128-sha1;modp1024\n    # nm-ike: dhgroup=modp3072\n";
    match import::ipsec_conf::import_str(text, None, None) {
        Err(ImportError::Invalid(errors)) => {
            assert!(errors.iter().any(|e| e.key == "dhgroup"), "{errors:?}")
        }
        other => panic!("{other:?}"),
    }
}

/// An IKEv1 conn (ikev2=no) imports as IKEv1; its Aggressive Mode (`aggressive=yes`, the
/// name Libreswan also knows as aggrmode) is carried over and refused, never dropped.
#[test]
fn libreswan_ikev1_conn_keeps_ikev1_and_refuses_its_aggressive_mode() {
    let text = "conn v1\n    ikev2=no\n    authby=secret\n    right=192.0.2.7\n    \
                leftsubnet=10.1.0.0/24\n    rightsubnet=10.2.0.0/24\n    \
                ike=aes256-sha2_256;modp2048\n";
    let imp = import::ipsec_conf::import_str(text, None, None).unwrap();
    assert_eq!(get(&imp, "ikev2"), Some("no"));
    let aggressive = format!("{text}    aggressive=yes\n");
    match import::ipsec_conf::import_str(&aggressive, None, None) {
        Err(ImportError::Invalid(e)) => assert!(
            e.iter().any(|e| e.key == "aggrmode"
                && e.message.contains("Aggressive Mode is not supported yet")),
            "{e:?}"
        ),
        other => panic!("{other:?}"),
    }
}

fn eap_profile() -> (BTreeMap<String, String>, BTreeMap<String, String>) {
    (
        maps(&[
            ("right", "vpn.example.com"),
            ("rightid", "@vpn.example.com"),
            ("leftauth", "eap-mschapv2"),
            ("leftusername", "carol"),
            ("rightca", "/etc/nm-ike/ca.pem"),
            ("ikev2", "insist"),
            ("leftmodecfgclient", "yes"),
            ("narrowing", "yes"),
            ("salifetime", "1h"),
            ("rightsubnet", "0.0.0.0/0"),
            ("ikelifetime", "8h"),
            ("fragmentation", "yes"),
            ("mobike", "no"),
            ("type", "tunnel"),
            ("dpdaction", "clear"),
        ]),
        maps(&[("password", "pa55 word")]),
    )
}

#[test]
fn eap_travels_through_swanctl_both_ways() {
    let (d, s) = eap_profile();
    let text = export::to_swanctl("rw", &d, &s).unwrap();
    for line in [
        "auth = eap-mschapv2",
        "eap_id = carol",
        "auth = pubkey",
        "cacerts = /etc/nm-ike/ca.pem",
        "eap-rw {",
        "id = carol",
        "secret = \"pa55 word\"",
    ] {
        assert!(text.contains(line), "{line} missing:\n{text}");
    }
    assert!(!text.contains("ike-rw"), "{text}");
    let f = tempdir("eap-sw").join("rw.conf");
    std::fs::write(&f, &text).unwrap();
    let imp = import::import_file(&f, None).unwrap();
    assert_eq!(imp.data, d, "{text}");
    assert_eq!(imp.secrets, s);
}

#[test]
fn eap_travels_through_ipsec_conf_both_ways() {
    // Libreswan has no EAP-MSCHAPv2: the keys travel as nm-ike comments.
    let (d, _) = eap_profile();
    let out = export::to_ipsec_conf("rw", &d, &BTreeMap::new()).unwrap();
    assert!(
        out.conf.contains("# nm-ike: leftauth=eap-mschapv2"),
        "{}",
        out.conf
    );
    assert!(!out.conf.contains("authby"), "{}", out.conf);
    let f = tempdir("eap-ls").join("rw.conf");
    std::fs::write(&f, &out.conf).unwrap();
    let imp = import::import_file(&f, None).unwrap();
    assert_eq!(imp.data, d, "{}", out.conf);
}

#[test]
fn strongswan_ipsec_conf_eap_road_warrior_imports() {
    // strongSwan's ipsec.conf spelling of an EAP-MSCHAPv2 client.
    let dir = tempdir("eap-sw-ipsec");
    let conf = dir.join("ipsec.conf");
    std::fs::write(
        &conf,
        "conn office\n    keyexchange=ikev2\n    right=vpn.example.com\n    rightid=@vpn.example.com\n    rightauth=pubkey\n    leftauth=eap-mschapv2\n    eap_identity=carol\n    leftsourceip=%config\n    rightsubnet=0.0.0.0/0\n    auto=add\n",
    )
    .unwrap();
    let imp = import::import_file(&conf, None).unwrap();
    assert_eq!(get(&imp, "leftauth"), Some("eap-mschapv2"));
    assert_eq!(get(&imp, "leftusername"), Some("carol"));
    assert_eq!(get(&imp, "authby"), None);
    assert!(imp.secrets.is_empty());
    // A method we do not offer is refused, not turned into a PSK profile.
    std::fs::write(
        &conf,
        "conn office\n    keyexchange=ikev2\n    right=vpn.example.com\n    leftauth=eap-tls\n    eap_identity=carol\n",
    )
    .unwrap();
    assert!(import::import_file(&conf, None).is_err());
}

/// RFC 9370 additional key exchanges travel both ways: swanctl `ke1_` tokens, Libreswan
/// `;addke1=`, and back to the same profile.
#[test]
fn additional_key_exchanges_travel_both_ways() {
    let (mut d, s) = profiles().remove(0);
    d.insert(
        "ike".into(),
        "aes256gcm16-prfsha384-x25519-ke1_mlkem768".into(),
    );
    d.insert("esp".into(), "aes256gcm16-x25519-ke1_ecp384".into());
    d.insert("pfs".into(), "yes".into());
    let dir = tempdir("addke");
    let text = export::to_swanctl("pq", &d, &s).unwrap();
    assert!(
        text.contains("proposals = aes256gcm16-prfsha384-x25519-ke1_mlkem768"),
        "{text}"
    );
    assert!(
        text.contains("esp_proposals = aes256gcm16-x25519-ke1_ecp384"),
        "{text}"
    );
    let f = dir.join("pq-swanctl.conf");
    std::fs::write(&f, &text).unwrap();
    let imp = import::import_file(&f, None).unwrap();
    assert_eq!(imp.data, d, "{text}");

    let out = export::to_ipsec_conf("pq", &d, &s).unwrap();
    assert!(
        out.conf
            .contains("ike=aes_gcm256-sha2_384-dh31;addke1=ml_kem_768"),
        "{}",
        out.conf
    );
    assert!(
        out.conf.contains("esp=aes_gcm256;dh31;addke1=dh20"),
        "{}",
        out.conf
    );
    let conf = dir.join("pq.conf");
    std::fs::write(&conf, &out.conf).unwrap();
    if let Some(sec) = &out.secrets {
        std::fs::write(dir.join("pq.secrets"), sec).unwrap();
    }
    let imp = import::import_file(&conf, None).unwrap();
    let parsed =
        |m: &BTreeMap<String, String>, k: &str, p| ike_core::proposal::parse(p, &m[k]).unwrap();
    for (k, p) in [
        ("ike", ike_core::proposal::Protocol::Ike),
        ("esp", ike_core::proposal::Protocol::Esp),
    ] {
        assert_eq!(parsed(&imp.data, k, p), parsed(&d, k, p), "{}", out.conf);
    }
}
