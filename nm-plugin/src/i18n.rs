//! Translation of user-visible texts through gettext message catalogs.
//!
//! Texts are marked with [`tr`], [`trf`] (texts with `{name}` placeholders) and [`tr_noop`]
//! (texts in constant tables, translated where they are shown), so that `xgettext` extracts
//! them into `po/NetworkManager-ike.pot` (see `po/update-pot.sh`). Translations live in
//! `po/<lang>.po`; meson compiles them to `<localedir>/<lang>/LC_MESSAGES/NetworkManager-ike.mo`.
//!
//! The `.mo` files are read here in safe Rust (the format is a pair of offset tables), so no C
//! library and no `setlocale` is involved. The language is taken once per process from the first
//! non-empty of `LANGUAGE`, `LC_ALL`, `LC_MESSAGES` and `LANG` (`ja_JP.UTF-8` tries `ja_JP`, then
//! `ja`); without a catalog for it, texts stay English. The catalog folder is compiled in from
//! `NM_IKE_LOCALEDIR` at build time (meson sets it; default `/usr/share/locale`) and can be
//! overridden at run time with the `NM_IKE_LOCALEDIR` environment variable (tests do).

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The gettext text domain: the catalog file name without `.mo`.
pub const TEXT_DOMAIN: &str = "NetworkManager-ike";

/// The environment variable naming the catalog folder, at build time and at run time.
pub const LOCALEDIR_ENV: &str = "NM_IKE_LOCALEDIR";

/// The catalog folder compiled in (`$datadir/locale`).
pub const DEFAULT_LOCALEDIR: &str = match option_env!("NM_IKE_LOCALEDIR") {
    Some(dir) => dir,
    None => "/usr/share/locale",
};

/// Catalogs larger than this are not read (ours is a few tens of kilobytes).
const MAX_CATALOG_BYTES: u64 = 4 << 20;

/// A parsed `.mo` catalog: msgid to translation.
#[derive(Debug, Default, Clone)]
pub struct Catalog {
    messages: HashMap<String, String>,
}

/// Why a `.mo` file could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogError(String);

impl fmt::Display for CatalogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bad message catalog: {}", self.0)
    }
}

impl std::error::Error for CatalogError {}

fn bad(what: &str) -> CatalogError {
    CatalogError(what.to_string())
}

impl Catalog {
    /// Parses the contents of a GNU `.mo` file (either byte order). Entries that are not UTF-8
    /// and the header entry are skipped; for plural entries the singular forms are used.
    pub fn parse(bytes: &[u8]) -> Result<Self, CatalogError> {
        let word_at = |pos: usize, big_endian: bool| -> Result<usize, CatalogError> {
            let b: [u8; 4] = bytes
                .get(pos..pos.checked_add(4).ok_or_else(|| bad("offset overflow"))?)
                .and_then(|s| s.try_into().ok())
                .ok_or_else(|| bad("truncated"))?;
            let w = if big_endian {
                u32::from_be_bytes(b)
            } else {
                u32::from_le_bytes(b)
            };
            usize::try_from(w).map_err(|_| bad("offset overflow"))
        };
        let big_endian = match bytes.get(..4) {
            Some([0xde, 0x12, 0x04, 0x95]) => false,
            Some([0x95, 0x04, 0x12, 0xde]) => true,
            _ => return Err(bad("not a .mo file")),
        };
        if word_at(4, big_endian)? >> 16 > 1 {
            return Err(bad("unknown major revision"));
        }
        let count = word_at(8, big_endian)?;
        let originals = word_at(12, big_endian)?;
        let translations = word_at(16, big_endian)?;
        let string_at = |table: usize, index: usize| -> Result<&[u8], CatalogError> {
            let entry = index
                .checked_mul(8)
                .and_then(|o| o.checked_add(table))
                .ok_or_else(|| bad("offset overflow"))?;
            let len = word_at(entry, big_endian)?;
            let start = word_at(entry + 4, big_endian)?;
            let end = start
                .checked_add(len)
                .ok_or_else(|| bad("offset overflow"))?;
            bytes.get(start..end).ok_or_else(|| bad("truncated"))
        };
        let first = |s: &[u8]| -> Option<String> {
            let s = s.split(|&b| b == 0).next().unwrap_or_default();
            std::str::from_utf8(s).ok().map(str::to_string)
        };
        let mut messages = HashMap::new();
        for i in 0..count {
            let (Some(id), Some(text)) = (
                first(string_at(originals, i)?),
                first(string_at(translations, i)?),
            ) else {
                continue;
            };
            if !id.is_empty() && !text.is_empty() {
                messages.insert(id, text);
            }
        }
        Ok(Self { messages })
    }

    /// Reads and parses a `.mo` file.
    pub fn read(path: &Path) -> Result<Self, CatalogError> {
        use std::io::Read as _;
        let file = std::fs::File::open(path).map_err(|e| CatalogError(e.to_string()))?;
        let mut bytes = Vec::new();
        file.take(MAX_CATALOG_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| CatalogError(e.to_string()))?;
        if bytes.len() as u64 > MAX_CATALOG_BYTES {
            return Err(bad("too large"));
        }
        Self::parse(&bytes)
    }

    /// The translation of `msgid`, if the catalog has one.
    pub fn get(&self, msgid: &str) -> Option<&str> {
        self.messages.get(msgid).map(String::as_str)
    }

    /// The number of translated messages.
    pub fn len(&self) -> usize {
        self.messages.len()
    }

    /// Whether the catalog translates nothing.
    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }
}

/// The catalog languages to try, best first, from the values of `LANGUAGE`, `LC_ALL`,
/// `LC_MESSAGES` and `LANG` (in that order; the first non-empty one is used). `LANGUAGE` may
/// list several languages separated by `:`. `C`/`POSIX` (and English) end the list: English
/// needs no catalog. Values that are not plain locale names are skipped, so a variable can
/// never point the lookup outside the catalog folder.
pub fn languages(vars: [Option<&str>; 4]) -> Vec<String> {
    let Some(value) = vars.into_iter().flatten().find(|v| !v.is_empty()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for locale in value.split(':') {
        let name = locale.split(['.', '@']).next().unwrap_or_default();
        if matches!(name, "C" | "POSIX") || name == "en" || name.starts_with("en_") {
            break;
        }
        let plain = !name.is_empty()
            && name.len() <= 32
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !plain {
            continue;
        }
        let mut push = |n: &str| {
            if !out.iter().any(|o| o == n) {
                out.push(n.to_string());
            }
        };
        push(name);
        if let Some((lang, _territory)) = name.split_once('_') {
            push(lang);
        }
    }
    out
}

/// Where the catalog for `lang` lives below `localedir`.
pub fn catalog_path(localedir: &Path, lang: &str) -> PathBuf {
    localedir
        .join(lang)
        .join("LC_MESSAGES")
        .join(format!("{TEXT_DOMAIN}.mo"))
}

/// Loads the first readable catalog of `langs` from `localedir`.
pub fn load(localedir: &Path, langs: &[String]) -> Option<Catalog> {
    langs
        .iter()
        .find_map(|lang| Catalog::read(&catalog_path(localedir, lang)).ok())
}

/// The process's catalog, chosen from the environment on first use.
fn active() -> Option<&'static Catalog> {
    static ACTIVE: OnceLock<Option<Catalog>> = OnceLock::new();
    ACTIVE
        .get_or_init(|| {
            let var = |name: &str| std::env::var(name).ok();
            let (language, lc_all, lc_messages, lang) = (
                var("LANGUAGE"),
                var("LC_ALL"),
                var("LC_MESSAGES"),
                var("LANG"),
            );
            let langs = languages([
                language.as_deref(),
                lc_all.as_deref(),
                lc_messages.as_deref(),
                lang.as_deref(),
            ]);
            if langs.is_empty() {
                return None;
            }
            let dir = std::env::var_os(LOCALEDIR_ENV)
                .filter(|d| !d.is_empty())
                .map_or_else(|| PathBuf::from(DEFAULT_LOCALEDIR), PathBuf::from);
            load(&dir, &langs)
        })
        .as_ref()
}

/// Translates `msgid` into the user's language (English when there is no translation).
pub fn tr(msgid: &str) -> &str {
    active().and_then(|c| c.get(msgid)).unwrap_or(msgid)
}

/// Marks a text in a constant table for extraction without translating it; translate it with
/// [`tr`] where it is shown.
pub const fn tr_noop(msgid: &'static str) -> &'static str {
    msgid
}

/// Translates `msgid` and replaces its `{name}` placeholders with the values in `args`.
/// Placeholders survive translation (translators move them, Rust's `format!` needs literals).
pub fn trf(msgid: &str, args: &[(&str, &dyn fmt::Display)]) -> String {
    fill(tr(msgid), args)
}

/// Replaces every `{name}` in `text` whose name is in `args` with its value, in one pass (a
/// value that itself contains `{name}` is not expanded again). Other braces stay as they are.
pub fn fill(text: &str, args: &[(&str, &dyn fmt::Display)]) -> String {
    use fmt::Write as _;
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let (before, from_brace) = rest.split_at(open);
        out.push_str(before);
        let after = from_brace.get(1..).unwrap_or_default();
        let value = after.find('}').and_then(|close| {
            let name = after.get(..close)?;
            let (_, value) = args.iter().find(|(n, _)| *n == name)?;
            Some((value, close))
        });
        match value {
            Some((value, close)) => {
                let _ = write!(out, "{value}");
                rest = after.get(close + 1..).unwrap_or_default();
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_selection() {
        let l = |v: [Option<&str>; 4]| languages(v);
        assert_eq!(l([None, None, None, Some("ja_JP.UTF-8")]), ["ja_JP", "ja"]);
        assert_eq!(
            l([Some(""), None, Some("ja_JP.utf8@x"), Some("C")]),
            ["ja_JP", "ja"]
        );
        assert_eq!(l([Some("ja"), Some("C.UTF-8"), None, None]), ["ja"]);
        assert_eq!(
            l([Some("de:ja_JP"), None, None, None]),
            ["de", "ja_JP", "ja"]
        );
        assert_eq!(
            l([Some("en_US:ja"), None, None, None]),
            Vec::<String>::new()
        );
        assert!(l([None, Some("C.UTF-8"), None, Some("ja_JP")]).is_empty());
        assert!(l([None, None, None, Some("POSIX")]).is_empty());
        assert!(l([None; 4]).is_empty());
        assert_eq!(l([Some("../../tmp/x:ja"), None, None, None]), ["ja"]);
    }

    #[test]
    fn placeholders() {
        let f = fill("{a} and {b} {c} {{a}} {", &[("a", &"x{b}"), ("b", &42u16)]);
        assert_eq!(f, "x{b} and 42 {c} {x{b}} {");
        assert_eq!(fill("no placeholders", &[]), "no placeholders");
        assert_eq!(fill("{a}{a}", &[("a", &"é")]), "éé");
    }

    /// A little-endian .mo with the header entry and two messages, built by hand.
    fn mo(entries: &[(&str, &str)]) -> Vec<u8> {
        let n = entries.len();
        let mut strings = Vec::new();
        let mut orig = Vec::new();
        let mut trans = Vec::new();
        let base = 28 + 16 * n;
        for (id, _) in entries {
            orig.push((id.len(), base + strings.len()));
            strings.extend_from_slice(id.as_bytes());
            strings.push(0);
        }
        for (_, text) in entries {
            trans.push((text.len(), base + strings.len()));
            strings.extend_from_slice(text.as_bytes());
            strings.push(0);
        }
        let mut out = Vec::new();
        for w in [0x9504_12de_u32, 0, n as u32, 28, 28 + 8 * n as u32, 0, 0] {
            out.extend_from_slice(&w.to_le_bytes());
        }
        for (len, off) in orig.into_iter().chain(trans) {
            out.extend_from_slice(&(len as u32).to_le_bytes());
            out.extend_from_slice(&(off as u32).to_le_bytes());
        }
        out.extend_from_slice(&strings);
        out
    }

    #[test]
    fn reads_mo() {
        let bytes = mo(&[
            ("", "Content-Type: text/plain; charset=UTF-8\n"),
            ("Hello", "こんにちは"),
            ("one\0many", "一つ\0たくさん"),
            ("untranslated", ""),
        ]);
        let c = Catalog::parse(&bytes).unwrap();
        assert_eq!(c.get("Hello"), Some("こんにちは"));
        assert_eq!(c.get("one"), Some("一つ"));
        assert_eq!(c.get("untranslated"), None);
        assert_eq!(c.get(""), None);
        assert_eq!(c.len(), 2);
        for cut in [0, 3, 10, 30, bytes.len() - 2] {
            assert!(Catalog::parse(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        assert!(Catalog::parse(b"not a catalog at all, no").is_err());
    }
}
