//! `route-table` and `route-rule-priority` limits (issue 11, item 8): the kernel's reserved
//! tables and rule priorities outside 1..=32765 are refused by the schema, so the service, the
//! editor (which validates through `Settings::from_maps`) and the importers give the same error.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use nm_plugin::import::{self, export, ImportError};
use nm_plugin::settings::{Settings, SettingsError};
use std::collections::BTreeMap;

fn maps(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn profile(key: &str, value: &str) -> BTreeMap<String, String> {
    maps(&[
        ("right", "vpn.example.com"),
        ("authby", "secret"),
        (key, value),
    ])
}

fn errors(key: &str, value: &str) -> Vec<SettingsError> {
    match Settings::from_maps(&profile(key, value), &maps(&[("pskvalue", "s3cret")])) {
        Ok(_) => Vec::new(),
        Err(e) => e,
    }
}

#[test]
fn reserved_route_tables_are_refused() {
    for bad in ["0", "253", "254", "255", "0xfe"] {
        let e = errors("route-table", bad);
        assert_eq!(e.len(), 1, "{bad}: {e:?}");
        assert_eq!(e[0].key, "route-table");
        if bad != "0" {
            assert!(e[0].message.contains("reserves"), "{bad}: {}", e[0].message);
        }
    }
    for bad in ["-1", "4294967295", "x"] {
        assert_eq!(errors("route-table", bad).len(), 1, "{bad}");
    }
    for good in ["1", "252", "256", "2749", "4294967294"] {
        assert!(errors("route-table", good).is_empty(), "{good}");
    }
}

#[test]
fn rule_priorities_outside_the_main_rule_are_refused() {
    for bad in ["0", "-1", "32766", "32767", "65535", "4294967295"] {
        let e = errors("route-rule-priority", bad);
        assert_eq!(e.len(), 1, "{bad}: {e:?}");
        assert!(e[0].message.contains("32766"), "{bad}: {}", e[0].message);
    }
    for good in ["1", "2749", "32765"] {
        assert!(errors("route-rule-priority", good).is_empty(), "{good}");
    }
}

/// An exported profile with `key=good`, rewritten to carry `bad`, must be refused on import
/// with the schema's message.
fn import_refuses(key: &str, good: &str, bad: &str) {
    let d = profile(key, good);
    let s = maps(&[("pskvalue", "s3cret")]);
    let dir = std::env::temp_dir().join(format!("nm-ike-route-limits-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let conf = export::to_ipsec_conf("rt", &d, &s).unwrap();
    let swanctl = export::to_swanctl("rt", &d, &s).unwrap();
    for (name, text) in [("ipsec.conf", conf.conf), ("swanctl.conf", swanctl)] {
        assert!(text.contains(good), "{name}: {text}");
        let f = dir.join(format!("{key}-{name}"));
        std::fs::write(
            &f,
            text.replace(&format!("= {good}"), &format!("= {bad}"))
                .replace(&format!("={good}"), &format!("={bad}")),
        )
        .unwrap();
        if name == "ipsec.conf" {
            if let Some(sec) = &conf.secrets {
                std::fs::write(dir.join(format!("{key}-ipsec.secrets")), sec).unwrap();
            }
        }
        match import::import_file(&f, None) {
            Err(ImportError::Invalid(e)) => {
                assert!(e.iter().any(|e| e.key == key), "{name}: {e:?}");
                let want = errors(key, bad);
                assert!(
                    e.iter()
                        .any(|x| want.iter().any(|w| w.message == x.message)),
                    "{name}: the import error differs from the schema's: {e:?} vs {want:?}"
                );
            }
            other => panic!("{name} with {key}={bad}: {other:?}"),
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn imports_give_the_same_errors() {
    import_refuses("route-table", "2750", "254");
    import_refuses("route-rule-priority", "2751", "32766");
}
