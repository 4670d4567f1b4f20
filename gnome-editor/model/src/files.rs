// SPDX-License-Identifier: GPL-2.0-or-later
//! Import and export for libnm (`nmcli connection import/export`, the editors' Import/Export
//! menus), on top of the service crate's parsers and writers (`nm_plugin::import`).
//!
//! Import reads a Libreswan `ipsec.conf` (with its included or sibling `.secrets` file) or a
//! strongSwan `swanctl.conf` holding one connection; a file with several names them in the
//! error. Options without an equivalent key are reported on stderr by name. Export writes
//! `swanctl.conf` syntax when the file name ends in `swanctl.conf`, else Libreswan syntax; a
//! PSK goes to the sibling `NAME.secrets` (mode 0600), which the import reads back.

use crate::nm::VpnContent;
use nm_plugin::i18n::trf;
use nm_plugin::import::{self, export};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The imported connection: name, vpn.data, vpn.secrets.
pub type ImportedProfile = (String, BTreeMap<String, String>, BTreeMap<String, String>);

/// Imports `path` (see the module documentation).
///
/// # Errors
/// The parser's message, naming the file and what is wrong.
pub fn import(path: &Path) -> Result<ImportedProfile, String> {
    let imp = import::import_file(path, None).map_err(|e| e.to_string())?;
    if !imp.ignored.is_empty() {
        eprintln!(
            "NetworkManager-ike: {}",
            trf(
                "{file}: options without an equivalent were not imported: {options}",
                &[
                    ("file", &path.display()),
                    ("options", &imp.ignored.join(", "))
                ],
            )
        );
    }
    for n in &imp.needs_file {
        eprintln!(
            "NetworkManager-ike: {}",
            trf(
                "{file}: choose a file for {key} (the source names {reference})",
                &[
                    ("file", &path.display()),
                    ("key", &n.key),
                    ("reference", &format!("{:?}", n.reference)),
                ],
            )
        );
    }
    let name = if imp.name.is_empty() {
        path.file_stem()
            .map_or_else(|| "IPsec".to_string(), |s| s.to_string_lossy().into_owned())
    } else {
        imp.name
    };
    Ok((name, imp.data, imp.secrets))
}

/// The sibling secrets file of an exported `NAME.conf`.
pub fn secrets_path(path: &Path) -> PathBuf {
    path.with_extension("secrets")
}

/// Exports `content` to `path` (see the module documentation).
///
/// # Errors
/// Invalid profile, or the file cannot be written.
pub fn export(path: &Path, content: &VpnContent) -> Result<(), String> {
    let name = if content.id.is_empty() {
        "nm-ike"
    } else {
        &content.id
    };
    let swanctl = path
        .file_name()
        .is_some_and(|n| n.to_string_lossy().ends_with("swanctl.conf"));
    let write = |p: &Path, text: &str, private: bool| -> Result<(), String> {
        let mut o = std::fs::OpenOptions::new();
        o.write(true).create(true).truncate(true);
        if private {
            use std::os::unix::fs::OpenOptionsExt;
            o.mode(0o600);
        }
        o.open(p)
            .and_then(|mut f| f.write_all(text.as_bytes()))
            .map_err(|e| format!("{}: {e}", p.display()))
    };
    if swanctl {
        let text =
            export::to_swanctl(name, &content.data, &content.secrets).map_err(|e| e.to_string())?;
        // swanctl.conf holds its PSK in a secrets section: keep the whole file private then.
        write(path, &text, content.secrets.contains_key("pskvalue"))
    } else {
        let out = export::to_ipsec_conf(name, &content.data, &content.secrets)
            .map_err(|e| e.to_string())?;
        write(path, &out.conf, false)?;
        match out.secrets {
            Some(s) => write(&secrets_path(path), &s, true),
            None => Ok(()),
        }
    }
}

/// The file name to propose for exporting the connection `id`.
pub fn suggested_filename(id: &str) -> String {
    let clean: String = id
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let clean = clean.trim_matches(['.', '_']);
    if clean.is_empty() {
        "nm-ike.conf".to_string()
    } else {
        format!("{clean}.conf")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn export_then_import_gives_the_same_profile_in_both_syntaxes() {
        let dir = std::env::temp_dir().join(format!("nm-ike-editor-files-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let data: BTreeMap<String, String> = [
            ("right", "vpn.example.com"),
            ("rightid", "@vpn.example.com"),
            ("leftid", "@laptop"),
            ("authby", "secret"),
            ("rightsubnet", "10.20.0.0/16"),
            ("ike", "aes256-sha2_256;dh19"),
            ("dpddelay", "30s"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let secrets: BTreeMap<String, String> =
            [("pskvalue".to_string(), "s3cret psk".to_string())].into();
        let content = VpnContent {
            id: "office vpn".into(),
            data: data.clone(),
            secrets: secrets.clone(),
        };
        for file in ["office.conf", "office.swanctl.conf"] {
            let p = dir.join(file);
            export(&p, &content).unwrap();
            let (name, d, s) = import(&p).unwrap();
            assert!(!name.is_empty());
            for (k, v) in &data {
                assert_eq!(d.get(k), Some(v), "{file}: {k}");
            }
            assert_eq!(s, secrets, "{file}");
        }
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("office.secrets"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "the secrets file is private");
        std::fs::write(dir.join("broken.conf"), "conn x\n  right=\"unterminated\n").unwrap();
        assert!(import(&dir.join("broken.conf")).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(suggested_filename("office vpn"), "office_vpn.conf");
        assert_eq!(suggested_filename("../"), "nm-ike.conf");
    }
}
