//! Import and export of profiles: Libreswan `ipsec.conf` (+ `ipsec.secrets`) and strongSwan
//! `swanctl.conf`. GTK-free, so the editor plugin library and `nmcli connection import` use the
//! same code.
//!
//! An import yields the vpn.data and vpn.secrets maps of one connection, validated through
//! [`Settings::from_maps`]. Options the schema has no key for are listed by name in
//! [`Imported::ignored`], never silently dropped; files a profile needs but the source names
//! differently (a Libreswan NSS nickname, a strongSwan file name relative to `swanctl/x509/`)
//! are listed in [`Imported::needs_file`].
//!
//! Side semantics: in NetworkManager-libreswan's exports `left` is the local side and `right`
//! the gateway. An imported conn is read the same way, unless `right` is a `%` keyword
//! (`%defaultroute`, `%any`, ...) while `left` is a real address: then the sides are swapped.
//!
//! NetworkManager-ike keys without an equivalent in the target syntax are exported as comment
//! lines `# nm-ike: key=value`, which both tools ignore and the importers read back, so an
//! export → import round trip gives the same maps.

pub mod export;
pub mod ipsec_conf;
pub mod swanctl;

use crate::i18n::{tr, trf};
use crate::settings::{value, Settings, SettingsError};
use ike_core::proposal::Protocol;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// Files larger than this are refused.
pub const MAX_FILE_BYTES: u64 = 1 << 20;
/// Maximum nesting of `include` (and of `also=`).
pub const MAX_DEPTH: usize = 8;
/// Prefix of the comment lines carrying NetworkManager-ike keys.
pub const NM_IKE_COMMENT: &str = "nm-ike:";

/// A file a profile needs that the imported configuration names in a way we cannot use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeedsFile {
    /// The vpn.data key that needs a file (`leftcert`, `leftkey`, `rightca`).
    pub key: String,
    /// What the source said (an NSS nickname, a relative file name), empty if nothing.
    pub reference: String,
}

/// One imported connection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Imported {
    /// The connection's name in the file (suggested NetworkManager connection id).
    pub name: String,
    /// vpn.data.
    pub data: BTreeMap<String, String>,
    /// vpn.secrets.
    pub secrets: BTreeMap<String, String>,
    /// Options of the source the schema has no key for, or whose value we do not support
    /// and leave out, by name.
    pub ignored: Vec<String>,
    /// Files the user still has to choose.
    pub needs_file: Vec<NeedsFile>,
}

/// Why a file could not be imported or a profile not exported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportError {
    /// A file could not be read.
    Io {
        /// The file.
        file: String,
        /// The reason.
        message: String,
    },
    /// A syntax error.
    Syntax {
        /// The file (or `<input>`).
        file: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The file defines no connection.
    NoConnection,
    /// The file defines several connections; pick one by name.
    SeveralConnections(Vec<String>),
    /// The requested connection is not in the file.
    UnknownConnection {
        /// The requested name.
        name: String,
        /// The connections found.
        found: Vec<String>,
    },
    /// Something the profile cannot express.
    Unsupported(String),
    /// The result does not validate.
    Invalid(Vec<SettingsError>),
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io { file, message } => f.write_str(&trf(
                "cannot read {file}: {message}",
                &[("file", file), ("message", message)],
            )),
            Self::Syntax {
                file,
                line,
                message,
            } => write!(f, "{file}:{line}: {message}"),
            Self::NoConnection => f.write_str(tr("the file defines no connection")),
            Self::SeveralConnections(names) => f.write_str(&trf(
                "the file defines several connections ({names}); choose one of them",
                &[("names", &names.join(", "))],
            )),
            Self::UnknownConnection { name, found } => f.write_str(&trf(
                "no connection named {name}; the file defines: {names}",
                &[("name", name), ("names", &found.join(", "))],
            )),
            Self::Unsupported(what) => f.write_str(what),
            Self::Invalid(errors) => {
                let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
                f.write_str(&trf(
                    "the imported profile is not valid: {errors}",
                    &[("errors", &list.join("; "))],
                ))
            }
        }
    }
}

impl std::error::Error for ImportError {}

/// The configuration syntax of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Libreswan `ipsec.conf`.
    IpsecConf,
    /// strongSwan `swanctl.conf`.
    Swanctl,
}

/// Guesses the syntax: a `connections {` or `secrets {` section means swanctl.conf.
pub fn detect_format(text: &str) -> Format {
    let swanctl = text.lines().any(|l| {
        let l = l.trim();
        let word = l.split(|c: char| c.is_whitespace() || c == '{').next();
        matches!(
            word,
            Some("connections" | "secrets" | "pools" | "authorities")
        ) && l.contains('{')
    });
    if swanctl {
        Format::Swanctl
    } else {
        Format::IpsecConf
    }
}

/// Reads and imports a file of either syntax; `conn` picks a connection when there are several.
///
/// # Errors
/// [`ImportError`].
pub fn import_file(path: &Path, conn: Option<&str>) -> Result<Imported, ImportError> {
    let text = read_file(path)?;
    match detect_format(&text) {
        Format::IpsecConf => ipsec_conf::import_str(&text, Some(path), conn),
        Format::Swanctl => swanctl::import_str(&text, Some(path), conn),
    }
}

/// The connection to import from a file defining `names`: the one asked for (`pick`), or
/// the only one; several without a pick, none, or an unknown pick are errors.
pub(crate) fn pick_connection(
    pick: Option<&str>,
    names: Vec<String>,
) -> Result<String, ImportError> {
    match (pick, names.as_slice()) {
        (Some(p), _) if names.iter().any(|n| n == p) => Ok(p.to_string()),
        (Some(p), _) => Err(ImportError::UnknownConnection {
            name: p.to_string(),
            found: names,
        }),
        (None, []) => Err(ImportError::NoConnection),
        (None, [one]) => Ok(one.clone()),
        (None, _) => Err(ImportError::SeveralConnections(names)),
    }
}

/// Reads a (small, UTF-8) file.
pub(crate) fn read_file(path: &Path) -> Result<String, ImportError> {
    let io = |e: &dyn fmt::Display| ImportError::Io {
        file: path.display().to_string(),
        message: e.to_string(),
    };
    let meta = std::fs::metadata(path).map_err(|e| io(&e))?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(io(&tr("the file is too large")));
    }
    let bytes = std::fs::read(path).map_err(|e| io(&e))?;
    String::from_utf8(bytes).map_err(|_| io(&tr("the file is not UTF-8 text")))
}

/// Expands an `include` argument relative to `base` (the including file's folder); `*`, `?` and
/// `[...]` are allowed in the last path component. Sorted; no match is not an error.
pub(crate) fn expand_include(base: &Path, pattern: &str) -> Vec<PathBuf> {
    let p = Path::new(pattern);
    let full = if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    };
    let Some(name) = full.file_name().and_then(|n| n.to_str()) else {
        return Vec::new();
    };
    if !name.contains(['*', '?', '[']) {
        return vec![full.clone()];
    }
    let dir = full.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter(|e| {
                    e.file_name()
                        .to_str()
                        .is_some_and(|n| glob_match(name.as_bytes(), n.as_bytes()))
                })
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// Shell-style matching of one file name (`*`, `?`, `[abc]`, `[a-z]`, `[!x]`).
pub(crate) fn glob_match(pat: &[u8], name: &[u8]) -> bool {
    match pat.split_first() {
        None => name.is_empty(),
        Some((b'*', rest)) => {
            (0..=name.len()).any(|i| name.get(i..).is_some_and(|n| glob_match(rest, n)))
        }
        Some((b'?', rest)) => name.split_first().is_some_and(|(_, n)| glob_match(rest, n)),
        Some((b'[', rest)) => {
            let Some(end) = rest.iter().skip(1).position(|&c| c == b']').map(|i| i + 1) else {
                return name.first() == Some(&b'[')
                    && glob_match(rest, name.get(1..).unwrap_or_default());
            };
            let (class, after) = rest.split_at(end);
            let after = after.get(1..).unwrap_or_default();
            let (negate, class) = match class.split_first() {
                Some((b'!' | b'^', c)) => (true, c),
                _ => (false, class),
            };
            let Some((&c, n)) = name.split_first() else {
                return false;
            };
            let mut hit = false;
            let mut i = 0;
            while let Some(&a) = class.get(i) {
                if class.get(i + 1) == Some(&b'-') {
                    if let Some(&b) = class.get(i + 2) {
                        hit |= a <= c && c <= b;
                        i += 3;
                        continue;
                    }
                }
                hit |= a == c;
                i += 1;
            }
            hit != negate && glob_match(after, n)
        }
        Some((&p, rest)) => name
            .split_first()
            .is_some_and(|(&c, n)| c == p && glob_match(rest, n)),
    }
}

/// Validates the maps. Errors about keys listed in `needs_file` (and the key that goes with a
/// missing certificate) are not fatal: the user picks those files afterwards.
///
/// `dpdaction=hold` is kept as written (strongSwan's `dpd_action = trap` imports as `hold`).
pub(crate) fn finish(mut imported: Imported) -> Result<Imported, ImportError> {
    // Our export writes `dhgroup`/`pfsgroup` as a comment next to the proposals made from
    // them (Libreswan and strongSwan have no such keys): when the proposals are exactly those,
    // the comment is what the profile said. Anything else stays, and validation refuses the pair.
    for (group, proposals, protocol, ours) in [
        (
            "dhgroup",
            "ike",
            Protocol::Ike,
            value::ike_with_group as fn(u16) -> ike_core::proposal::ProposalSet,
        ),
        ("pfsgroup", "esp", Protocol::Esp, value::esp_with_group),
    ] {
        let Some(g) = imported
            .data
            .get(group)
            .and_then(|v| value::parse_ke_group(v))
        else {
            continue;
        };
        // Compared as written back in one syntax: parsing fills in details (key lengths) that
        // the written text leaves to the defaults.
        let written = imported
            .data
            .get(proposals)
            .and_then(|v| ike_core::proposal::parse(protocol, v).ok())
            .map(|set| set.to_libreswan());
        if written == Some(ours(g).to_libreswan()) {
            imported.data.remove(proposals);
        }
    }
    match Settings::from_maps(&imported.data, &imported.secrets) {
        Ok(_) => Ok(imported),
        Err(errors) => {
            let pending = |k: &str| imported.needs_file.iter().any(|n| n.key == k);
            let fatal: Vec<SettingsError> = errors
                .into_iter()
                .filter(|e| !pending(&e.key) || imported.data.contains_key(&e.key))
                .collect();
            if fatal.is_empty() {
                Ok(imported)
            } else {
                Err(ImportError::Invalid(fatal))
            }
        }
    }
}

/// Checks that a value can be written into a configuration file: printable, no quotes,
/// backslashes or line breaks (config injection, CVE-2024-9050).
pub(crate) fn safe_value(key: &str, value: &str) -> Result<(), ImportError> {
    if value
        .chars()
        .any(|c| c.is_control() || c == '"' || c == '\\')
    {
        return Err(ImportError::Unsupported(trf(
            "{key}: the value contains quotes, backslashes or control characters and cannot be exported",
            &[("key", &key)],
        )));
    }
    Ok(())
}
