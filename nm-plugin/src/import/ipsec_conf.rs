//! Libreswan `ipsec.conf` and `ipsec.secrets` import.
//!
//! Syntax: `config setup` and `conn NAME` sections at the start of a line, indented
//! `key=value` lines (the value may be in double quotes), `#` comments, `include FILE` (relative
//! to the including file, glob allowed), `also=NAME` (merge another conn; the conn's own values
//! win) and `conn %default` (values for every conn). The PSK comes from a secrets file that
//! ipsec.conf includes (a name ending in `.secrets`), or a sibling `NAME.secrets` of `NAME.conf`
//! (`ipsec.secrets` next to `ipsec.conf`). Lines `ID ID : PSK "secret"` are matched against the
//! conn's IDs and addresses.

use super::{
    expand_include, finish, pick_connection, read_file, ImportError, Imported, NeedsFile,
    MAX_DEPTH, NM_IKE_COMMENT,
};
use crate::i18n::{tr, trf};
use crate::settings::schema::{self, Kind, Place};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One `key=value` with where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Option name.
    pub key: String,
    /// Value without quotes.
    pub value: String,
    /// File name.
    pub file: String,
    /// 1-based line.
    pub line: usize,
}

/// A `conn` section.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Conn {
    /// The name after `conn`.
    pub name: String,
    /// Its options in order.
    pub entries: Vec<Entry>,
}

/// A PSK line of a secrets file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PskEntry {
    /// The IDs before the colon (empty = any).
    pub ids: Vec<String>,
    /// The secret.
    pub secret: String,
}

/// A parsed ipsec.conf (with its includes).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    /// `conn` sections, `%default` included, in file order.
    pub conns: Vec<Conn>,
    /// PSKs from included or sibling secrets files.
    pub psks: Vec<PskEntry>,
}

fn syntax(file: &str, line: usize, message: String) -> ImportError {
    ImportError::Syntax {
        file: file.to_string(),
        line,
        message,
    }
}

/// Splits a line into whitespace-separated words; `"..."` is one word (without the quotes).
/// A `#` outside quotes starts a comment.
fn words(line: &str, file: &str, lineno: usize) -> Result<Vec<String>, ImportError> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                in_word = true;
                let mut closed = false;
                for q in chars.by_ref() {
                    if q == '"' {
                        closed = true;
                        break;
                    }
                    cur.push(q);
                }
                if !closed {
                    return Err(syntax(file, lineno, tr("unterminated quoted value").into()));
                }
            }
            '#' if !in_word => break,
            c if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        out.push(cur);
    }
    Ok(out)
}

struct Parser {
    config: Config,
    /// Secrets files found through `include`.
    secrets_files: Vec<PathBuf>,
}

impl Parser {
    fn parse(
        &mut self,
        text: &str,
        file: &str,
        base: Option<&Path>,
        depth: usize,
    ) -> Result<(), ImportError> {
        let mut current: Option<usize> = None;
        for (i, raw) in text.lines().enumerate() {
            let lineno = i + 1;
            let trimmed = raw.trim();
            if let Some(rest) = trimmed.strip_prefix('#') {
                if let Some(kv) = rest.trim().strip_prefix(NM_IKE_COMMENT) {
                    if let (Some(idx), Some((k, v))) = (current, kv.trim().split_once('=')) {
                        if let Some(conn) = self.config.conns.get_mut(idx) {
                            conn.entries.push(Entry {
                                key: format!("{NM_IKE_COMMENT}{}", k.trim()),
                                value: v.trim().to_string(),
                                file: file.to_string(),
                                line: lineno,
                            });
                        }
                    }
                }
                continue;
            }
            if trimmed.is_empty() {
                continue;
            }
            let indented = raw.starts_with([' ', '\t']);
            let w = words(raw, file, lineno)?;
            let Some(first) = w.first() else { continue };
            if !indented {
                current = None;
                match (first.as_str(), w.get(1), w.len()) {
                    ("config", Some(s), 2) if s == "setup" => {}
                    ("conn", Some(name), 2) => {
                        self.config.conns.push(Conn {
                            name: name.clone(),
                            entries: Vec::new(),
                        });
                        current = Some(self.config.conns.len().saturating_sub(1));
                    }
                    ("include", Some(pattern), 2) => self.include(pattern, file, lineno, base, depth)?,
                    ("version", Some(_), 2) => {}
                    _ => {
                        return Err(syntax(
                            file,
                            lineno,
                            trf(
                                "expected \"conn NAME\", \"config setup\" or \"include FILE\" at the start of a line, found {text}",
                                &[("text", &shown(trimmed))],
                            ),
                        ))
                    }
                }
                continue;
            }
            // key=value (Libreswan also accepts spaces around '=').
            let joined = w.join(" ");
            let Some((k, v)) = joined.split_once('=') else {
                return Err(syntax(
                    file,
                    lineno,
                    trf(
                        "expected key=value, found {text}",
                        &[("text", &shown(trimmed))],
                    ),
                ));
            };
            let (k, v) = (k.trim(), v.trim());
            if k.is_empty() || k.contains(char::is_whitespace) {
                return Err(syntax(
                    file,
                    lineno,
                    trf(
                        "expected key=value, found {text}",
                        &[("text", &shown(trimmed))],
                    ),
                ));
            }
            if let Some(conn) = current.and_then(|c| self.config.conns.get_mut(c)) {
                conn.entries.push(Entry {
                    key: k.to_string(),
                    value: v.to_string(),
                    file: file.to_string(),
                    line: lineno,
                });
            }
        }
        Ok(())
    }

    fn include(
        &mut self,
        pattern: &str,
        file: &str,
        lineno: usize,
        base: Option<&Path>,
        depth: usize,
    ) -> Result<(), ImportError> {
        for path in included(pattern, file, lineno, base, depth)? {
            if path.extension().is_some_and(|e| e == "secrets") {
                self.secrets_files.push(path);
                continue;
            }
            let text = read_file(&path)?;
            let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
            self.parse(&text, &path.display().to_string(), Some(&dir), depth + 1)?;
        }
        Ok(())
    }
}

/// The files an `include PATTERN` line at `file:lineno` names, relative to `base` (the
/// including file's directory; `None` where an include is not possible), `depth` includes
/// deep.
fn included(
    pattern: &str,
    file: &str,
    lineno: usize,
    base: Option<&Path>,
    depth: usize,
) -> Result<Vec<PathBuf>, ImportError> {
    let Some(base) = base else {
        return Err(syntax(
            file,
            lineno,
            tr("include is not possible here").into(),
        ));
    };
    if depth >= MAX_DEPTH {
        return Err(syntax(
            file,
            lineno,
            tr("includes are nested too deeply").into(),
        ));
    }
    Ok(expand_include(base, pattern))
}

fn shown(text: &str) -> String {
    format!("\"{}\"", crate::settings::value::sanitize(text))
}

/// Parses a secrets file (`include` is followed when `base` is given).
///
/// # Errors
/// Syntax errors with line numbers; unreadable includes.
pub fn parse_secrets(
    text: &str,
    file: &str,
    base: Option<&Path>,
    depth: usize,
) -> Result<Vec<PskEntry>, ImportError> {
    const KINDS: &[&str] = &[
        "PSK", "RSA", "ECDSA", "XAUTH", "EAP", "PIN", "PPK", "NTLM", "NULL",
    ];
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let lineno = i + 1;
        let w = words(raw, file, lineno)?;
        let Some(first) = w.first() else { continue };
        if first == "include" {
            let pattern = w.get(1).map_or("", String::as_str);
            let base = base.filter(|_| !pattern.is_empty());
            for path in included(pattern, file, lineno, base, depth)? {
                let text = read_file(&path)?;
                let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
                out.extend(parse_secrets(
                    &text,
                    &path.display().to_string(),
                    Some(&dir),
                    depth + 1,
                )?);
            }
            continue;
        }
        if raw.starts_with([' ', '\t']) {
            // continuation of a multi-line RSA key
            continue;
        }
        // IDs, then ":" (alone or glued to the last ID), then the kind.
        let mut ids = Vec::new();
        let mut kind_at = None;
        for (j, word) in w.iter().enumerate() {
            if word == ":" {
                kind_at = Some(j + 1);
                break;
            }
            if let Some(id) = word.strip_suffix(':') {
                if w.get(j + 1).is_some_and(|k| KINDS.contains(&k.as_str())) {
                    if !id.is_empty() {
                        ids.push(id.to_string());
                    }
                    kind_at = Some(j + 1);
                    break;
                }
            }
            ids.push(word.clone());
        }
        let Some(kind) = kind_at.and_then(|k| w.get(k)) else {
            return Err(syntax(
                file,
                lineno,
                tr("expected a line of the form ID ID : PSK 'secret' in the secrets file").into(),
            ));
        };
        if kind == "PSK" {
            let Some(secret) = kind_at.and_then(|k| w.get(k + 1)) else {
                return Err(syntax(file, lineno, tr("the PSK has no value").into()));
            };
            out.push(PskEntry {
                ids,
                secret: secret.clone(),
            });
        }
    }
    Ok(out)
}

/// Parses ipsec.conf text. `path` (the file the text came from) enables `include` and the
/// search for a sibling secrets file.
///
/// # Errors
/// Syntax errors with line numbers, unreadable includes.
pub fn parse_str(text: &str, path: Option<&Path>) -> Result<Config, ImportError> {
    let file = path.map_or_else(|| "<input>".to_string(), |p| p.display().to_string());
    let base = path.map(|p| p.parent().map(Path::to_path_buf).unwrap_or_default());
    let mut parser = Parser {
        config: Config::default(),
        secrets_files: Vec::new(),
    };
    parser.parse(text, &file, base.as_deref(), 0)?;
    if let Some(p) = path {
        if let Some(stem) = p.file_stem() {
            let mut sibling = p.with_file_name(stem);
            sibling.set_extension("secrets");
            if sibling.is_file() && !parser.secrets_files.contains(&sibling) {
                parser.secrets_files.push(sibling);
            }
        }
    }
    for sf in std::mem::take(&mut parser.secrets_files) {
        let text = read_file(&sf)?;
        let dir = sf.parent().map(Path::to_path_buf).unwrap_or_default();
        let psks = parse_secrets(&text, &sf.display().to_string(), Some(&dir), 1)?;
        parser.config.psks.extend(psks);
    }
    Ok(parser.config)
}

impl Config {
    /// The names of the importable conns: all but `%default` and those only used via `also=`.
    pub fn conn_names(&self) -> Vec<String> {
        let also: Vec<&str> = self
            .conns
            .iter()
            .flat_map(|c| c.entries.iter())
            .filter(|e| e.key == "also")
            .flat_map(|e| e.value.split_whitespace())
            .collect();
        let mut names: Vec<String> = self
            .conns
            .iter()
            .map(|c| c.name.clone())
            .filter(|n| n != "%default" && !also.contains(&n.as_str()))
            .collect();
        names.dedup();
        names
    }

    /// The options of a conn with `also=` and `%default` merged (own values win).
    ///
    /// # Errors
    /// An `also=` naming a missing conn, or nested too deeply.
    pub fn resolve(&self, name: &str) -> Result<BTreeMap<String, Entry>, ImportError> {
        let mut out = BTreeMap::new();
        self.merge(name, &mut out, 0)?;
        for c in self.conns.iter().filter(|c| c.name == "%default") {
            for e in &c.entries {
                out.entry(e.key.clone()).or_insert_with(|| e.clone());
            }
        }
        Ok(out)
    }

    fn merge(
        &self,
        name: &str,
        out: &mut BTreeMap<String, Entry>,
        depth: usize,
    ) -> Result<(), ImportError> {
        let Some(conn) = self.conns.iter().find(|c| c.name == name) else {
            return Err(ImportError::UnknownConnection {
                name: name.to_string(),
                found: self.conn_names(),
            });
        };
        let mut alsos = Vec::new();
        for e in &conn.entries {
            if e.key == "also" {
                if depth >= MAX_DEPTH {
                    return Err(syntax(
                        &e.file,
                        e.line,
                        tr("also= is nested too deeply (a loop?)").into(),
                    ));
                }
                alsos.push(e.clone());
            } else {
                out.entry(e.key.clone()).or_insert_with(|| e.clone());
            }
        }
        for e in alsos {
            for other in e.value.split_whitespace() {
                if self.conns.iter().all(|c| c.name != other) {
                    return Err(syntax(
                        &e.file,
                        e.line,
                        trf("also={name}: no such conn", &[("name", &other)]),
                    ));
                }
                self.merge(other, out, depth + 1)?;
            }
        }
        Ok(())
    }
}

/// Imports one conn from ipsec.conf text (see [`parse_str`]); `pick` chooses among several.
///
/// # Errors
/// [`ImportError`].
pub fn import_str(
    text: &str,
    path: Option<&Path>,
    pick: Option<&str>,
) -> Result<Imported, ImportError> {
    let config = parse_str(text, path)?;
    let names = config.conn_names();
    let name = pick_connection(pick, names)?;
    let entries = config.resolve(&name)?;
    map_conn(&name, &entries, &config.psks)
}

fn is_keyword(v: &str) -> bool {
    v.starts_with('%')
}

/// Turns a resolved conn into vpn.data / vpn.secrets.
fn map_conn(
    name: &str,
    entries: &BTreeMap<String, Entry>,
    psks: &[PskEntry],
) -> Result<Imported, ImportError> {
    let raw = |k: &str| entries.get(k).map(|e| e.value.as_str());
    // Which side is ours?
    let swap = match (raw("left"), raw("right")) {
        (Some(l), Some(r)) => is_keyword(r) && !is_keyword(l),
        (Some(l), None) => !is_keyword(l),
        _ => false,
    };
    let side = |k: &str| -> String {
        if !swap {
            return k.to_string();
        }
        if let Some(rest) = k.strip_prefix("left") {
            format!("right{rest}")
        } else if let Some(rest) = k.strip_prefix("right") {
            format!("left{rest}")
        } else {
            k.to_string()
        }
    };
    let mut imp = Imported {
        name: name.to_string(),
        ..Imported::default()
    };
    let mut mark = None;
    let mut vti = None;
    for (k, e) in entries {
        let v = e.value.trim();
        if let Some(nk) = k.strip_prefix(NM_IKE_COMMENT) {
            if schema::key(nk).is_some_and(|s| s.place == Place::Data) {
                imp.data.insert(nk.to_string(), v.to_string());
            } else {
                imp.ignored.push(nk.to_string());
            }
            continue;
        }
        let key = side(k);
        let mut put = |name: &str, value: &str| {
            imp.data.insert(name.to_string(), value.to_string());
        };
        match key.as_str() {
            "left" if v.is_empty() || is_keyword(v) => {}
            "leftid" | "rightid" if v.is_empty() || v == "%fromcert" || v == "%any" => {}
            "authby" => match v {
                "secret" | "psk" => put("authby", "secret"),
                "rsasig" | "rsa" | "rsa-sha1" | "rsa-sha2" | "rsa-sha2_256" | "rsa-sha2_384"
                | "rsa-sha2_512" => put("authby", "rsasig"),
                v if v.starts_with("ecdsa") => put("authby", "ecdsa"),
                other => put("authby", other),
            },
            // strongSwan's EAP client (the profile refuses the methods it does not offer).
            "leftauth" if v.starts_with("eap-") => put("leftauth", v),
            "eap_identity" => put("leftusername", v),
            "leftauth" if raw("authby").is_none() => match v {
                "secret" => put("authby", "secret"),
                "rsasig" | "rsa" => put("authby", "rsasig"),
                "ecdsa" => put("authby", "ecdsa"),
                _ => imp.ignored.push(k.clone()),
            },
            "rightauth" if raw("authby").is_none() || raw("leftauth").is_some() => {}
            "keyexchange" => match v {
                "ikev2" => put("ikev2", "insist"),
                "ikev1" => put("ikev2", "never"),
                _ => imp.ignored.push(k.clone()),
            },
            "phase2alg" if raw("esp").is_none() => put("esp", v),
            // Libreswan's name for aggrmode (which it also takes).
            "aggressive" if raw("aggrmode").is_none() => put("aggrmode", v),
            "leftcert" | "rightca" if !v.starts_with('/') => {
                if key == "rightca" && v == "%same" {
                    continue;
                }
                imp.needs_file.push(NeedsFile {
                    key: key.clone(),
                    reference: v.to_string(),
                });
            }
            "rightikeport" => put("rightport", v),
            // Libreswan's "never give up" is our 0 (until NetworkManager gives up).
            "keyingtries" if v == "%forever" => put("keyingtries", "0"),
            "lifetime" | "keylife" if raw("salifetime").is_none() => put("salifetime", v),
            "ike_lifetime" if raw("ikelifetime").is_none() => put("ikelifetime", v),
            "ipsec-interface" => match v {
                "no" => {}
                "yes" => put("ipsec-interface", "1"),
                n => put("ipsec-interface", n),
            },
            "vti-interface" => vti = Some(v.to_string()),
            "mark" => mark = Some(v.to_string()),
            "leftsubnets" | "rightsubnets" => {
                let list = v.trim_start_matches('{').trim_end_matches('}');
                let joined: Vec<&str> = list.split([',', ' ']).filter(|s| !s.is_empty()).collect();
                put(key.trim_end_matches('s'), &joined.join(","));
            }
            _ => match schema::key(&key) {
                Some(s) if s.place == Place::Data && s.kind != Kind::Ignored => put(&key, v),
                _ => imp.ignored.push(k.clone()),
            },
        }
    }
    // Route-based: mark + vti-interface are ours too (the OCI guide's mark-based variant); a
    // vti-interface without a mark (which Libreswan refuses) becomes an XFRM interface
    // ipsec-interface=N from its digits.
    match (vti, mark) {
        (Some(vti), Some(mark)) => {
            imp.data.insert("vti-interface".into(), vti);
            imp.data.insert("mark".into(), mark);
        }
        (Some(vti), None) => {
            let digits: String = vti.chars().skip_while(|c| !c.is_ascii_digit()).collect();
            match Some(digits).filter(|d| d.parse::<u32>().is_ok_and(|n| n > 0)) {
                Some(id) if !imp.data.contains_key("ipsec-interface") => {
                    imp.data.insert("ipsec-interface".into(), id);
                }
                _ => imp.ignored.push("vti-interface".into()),
            }
        }
        (None, Some(_)) => imp.ignored.push("mark".into()),
        (None, None) => {}
    }
    // Libreswan defaults that differ from ours.
    for (k, v) in [
        ("leftmodecfgclient", "no"),
        ("narrowing", "no"),
        ("salifetime", "8h"),
    ] {
        imp.data
            .entry(k.to_string())
            .or_insert_with(|| v.to_string());
    }
    if !imp.data.contains_key("rightsubnet") {
        if let Some(ip) = imp
            .data
            .get("right")
            .and_then(|r| r.parse::<std::net::IpAddr>().ok())
        {
            let plen = if ip.is_ipv4() { 32 } else { 128 };
            imp.data
                .insert("rightsubnet".into(), format!("{ip}/{plen}"));
        }
    }
    if imp.needs_file.iter().any(|n| n.key == "leftcert") && !imp.data.contains_key("leftkey") {
        imp.needs_file.push(NeedsFile {
            key: "leftkey".into(),
            reference: String::new(),
        });
    }
    // With EAP the gateway authenticates with its certificate: no authby of ours.
    if imp.data.contains_key("leftauth") {
        imp.data.remove("authby");
    }
    // The PSK.
    if !imp.data.contains_key("leftauth") && imp.data.get("authby").is_none_or(|a| a == "secret") {
        if let Some(psk) = find_psk(&imp.data, raw(&side("left")), psks) {
            imp.secrets.insert("pskvalue".into(), psk);
        }
    }
    imp.ignored.sort();
    imp.ignored.dedup();
    finish(imp)
}

/// Picks the PSK for a conn: the entry naming both sides, else one side, else a catch-all,
/// else the only PSK.
fn find_psk(
    data: &BTreeMap<String, String>,
    left: Option<&str>,
    psks: &[PskEntry],
) -> Option<String> {
    let ours: Vec<&str> = [data.get("leftid").map(String::as_str), left]
        .into_iter()
        .flatten()
        .collect();
    let theirs: Vec<&str> = [data.get("rightid"), data.get("right")]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect();
    let has = |p: &PskEntry, set: &[&str]| p.ids.iter().any(|i| set.contains(&i.as_str()));
    psks.iter()
        .find(|p| has(p, &ours) && has(p, &theirs))
        .or_else(|| psks.iter().find(|p| has(p, &theirs)))
        .or_else(|| {
            psks.iter()
                .find(|p| p.ids.is_empty() || p.ids.iter().all(|i| i == "%any"))
        })
        .or(psks.first().filter(|_| psks.len() == 1))
        .map(|p| p.secret.clone())
}
