//! strongSwan `swanctl.conf` import.
//!
//! Syntax (strongSwan's settings format): `name { ... }` sections, `key = value` lines (value to
//! the end of the line, `#` or `}`; or in double quotes), `#` comments and `include FILE`
//! (relative to the including file, glob allowed). One connection of `connections { }` is
//! imported with its first child; its PSK comes from `secrets { ike-... { id... = ;
//! secret = } }`.

use super::{
    expand_include, finish, pick_connection, read_file, ImportError, Imported, NeedsFile,
    MAX_DEPTH, NM_IKE_COMMENT,
};
use crate::i18n::{tr, trf};
use crate::settings::schema::{self, Place};
use ike_core::proposal::{self, Protocol};
use std::path::{Path, PathBuf};

/// A section: its key/value pairs and subsections, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Section {
    /// `key = value` pairs.
    pub values: Vec<(String, String)>,
    /// Subsections with their names.
    pub sections: Vec<(String, Section)>,
}

impl Section {
    /// The last value of `key` (later definitions win, as in strongSwan).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The subsection named `name` (merged if it appears more than once).
    pub fn section(&self, name: &str) -> Option<Section> {
        let mut found: Option<Section> = None;
        for (n, s) in &self.sections {
            if n == name {
                let merged = found.get_or_insert_with(Section::default);
                merged.values.extend(s.values.iter().cloned());
                merged.sections.extend(s.sections.iter().cloned());
            }
        }
        found
    }

    /// Subsection names, first occurrence order, without duplicates.
    pub fn names(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for (n, _) in &self.sections {
            if !out.contains(n) {
                out.push(n.clone());
            }
        }
        out
    }
}

struct Lexer<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    line: usize,
    file: String,
    base: Option<PathBuf>,
    depth: usize,
}

enum Tok {
    Word(String),
    Open,
    Close,
    Eq,
    Newline,
    Eof,
}

impl Lexer<'_> {
    fn err(&self, message: String) -> ImportError {
        ImportError::Syntax {
            file: self.file.clone(),
            line: self.line,
            message,
        }
    }

    fn next(&mut self) -> Tok {
        loop {
            match self.chars.peek().copied() {
                None => return Tok::Eof,
                Some('\n') => {
                    self.chars.next();
                    self.line += 1;
                    return Tok::Newline;
                }
                Some('#') => {
                    while self.chars.peek().is_some_and(|&c| c != '\n') {
                        self.chars.next();
                    }
                }
                Some(c) if c.is_whitespace() => {
                    self.chars.next();
                }
                Some('{') => {
                    self.chars.next();
                    return Tok::Open;
                }
                Some('}') => {
                    self.chars.next();
                    return Tok::Close;
                }
                Some('=') => {
                    self.chars.next();
                    return Tok::Eq;
                }
                Some(_) => {
                    let mut w = String::new();
                    while let Some(&c) = self.chars.peek() {
                        if c.is_whitespace() || matches!(c, '{' | '}' | '=' | '#') {
                            break;
                        }
                        w.push(c);
                        self.chars.next();
                    }
                    return Tok::Word(w);
                }
            }
        }
    }

    /// The value after `=`: quoted, or the rest of the line up to `#` or `}`.
    fn value(&mut self) -> Result<String, ImportError> {
        while self.chars.peek().is_some_and(|&c| c == ' ' || c == '\t') {
            self.chars.next();
        }
        if self.chars.peek() == Some(&'"') {
            self.chars.next();
            let mut v = String::new();
            loop {
                match self.chars.next() {
                    None => return Err(self.err(tr("unterminated quoted value").into())),
                    Some('"') => return Ok(v),
                    Some('\\') => match self.chars.next() {
                        Some('n') => v.push('\n'),
                        Some('t') => v.push('\t'),
                        Some(c) => v.push(c),
                        None => return Err(self.err(tr("unterminated quoted value").into())),
                    },
                    Some(c) => {
                        if c == '\n' {
                            self.line += 1;
                        }
                        v.push(c);
                    }
                }
            }
        }
        let mut v = String::new();
        while let Some(&c) = self.chars.peek() {
            if matches!(c, '\n' | '#' | '}') {
                break;
            }
            v.push(c);
            self.chars.next();
        }
        Ok(v.trim().to_string())
    }

    /// Parses the body of a section until `}` (or the end of the file when `top`).
    fn section(&mut self, top: bool, into: &mut Section) -> Result<(), ImportError> {
        loop {
            match self.next() {
                Tok::Newline => {}
                Tok::Eof if top => return Ok(()),
                Tok::Eof => return Err(self.err(tr("missing \"}\" at the end of the file").into())),
                Tok::Close if !top => return Ok(()),
                Tok::Close => {
                    return Err(self.err(tr("a closing brace has no matching opening brace").into()))
                }
                Tok::Open | Tok::Eq => {
                    return Err(self.err(tr("expected a name before \"{\" or \"=\" here").into()))
                }
                Tok::Word(name) => {
                    let after = self.next();
                    match after {
                        Tok::Eq => {
                            let v = self.value()?;
                            into.values.push((name, v));
                        }
                        Tok::Open => {
                            if self.depth >= 32 {
                                return Err(self.err(tr("sections are nested too deeply").into()));
                            }
                            self.depth += 1;
                            let mut sub = Section::default();
                            self.section(false, &mut sub)?;
                            self.depth -= 1;
                            into.sections.push((name, sub));
                        }
                        Tok::Word(arg) if name == "include" => {
                            self.include(&arg, into)?;
                        }
                        _ => {
                            return Err(self.err(trf(
                                "expected \"=\" or \"{\" after {name}",
                                &[("name", &crate::settings::value::sanitize(&name))],
                            )))
                        }
                    }
                }
            }
        }
    }

    fn include(&mut self, pattern: &str, into: &mut Section) -> Result<(), ImportError> {
        let Some(base) = self.base.clone() else {
            return Err(self.err(tr("include is not possible here").into()));
        };
        if self.depth >= MAX_DEPTH {
            return Err(self.err(tr("includes are nested too deeply").into()));
        }
        for path in expand_include(&base, pattern) {
            let text = read_file(&path)?;
            let mut lexer = Lexer {
                chars: text.chars().peekable(),
                line: 1,
                file: path.display().to_string(),
                base: path.parent().map(Path::to_path_buf),
                depth: self.depth + 1,
            };
            lexer.section(true, into)?;
        }
        Ok(())
    }
}

/// Parses swanctl.conf text into its section tree. `path` enables `include`.
///
/// # Errors
/// Syntax errors with line numbers, unreadable includes.
pub fn parse_str(text: &str, path: Option<&Path>) -> Result<Section, ImportError> {
    let mut lexer = Lexer {
        chars: text.chars().peekable(),
        line: 1,
        file: path.map_or_else(|| "<input>".to_string(), |p| p.display().to_string()),
        base: path.map(|p| p.parent().map(Path::to_path_buf).unwrap_or_default()),
        depth: 0,
    };
    let mut root = Section::default();
    lexer.section(true, &mut root)?;
    // `# nm-ike: key = value` comments are read separately, per connection, below.
    Ok(root)
}

/// The `# nm-ike: key = value` comments that appear inside `connections { NAME { ... } }`.
fn nm_ike_comments(text: &str, conn: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    let mut depth = 0usize;
    for line in text.lines() {
        let t = line.trim();
        if let Some(c) = t.strip_prefix('#') {
            if let (Some(kv), Some(cur)) = (c.trim().strip_prefix(NM_IKE_COMMENT), &current) {
                if cur == conn && depth >= 2 {
                    if let Some((k, v)) = kv.split_once('=') {
                        out.push((k.trim().to_string(), v.trim().to_string()));
                    }
                }
            }
            continue;
        }
        let opens = t.matches('{').count();
        let closes = t.matches('}').count();
        let name = t
            .split(|c: char| c.is_whitespace() || c == '{')
            .next()
            .map(str::to_string);
        let was = depth;
        depth = (depth + opens).saturating_sub(closes);
        if was == 1 && depth == 2 {
            current = name;
            continue;
        }
        if depth < 2 {
            current = None;
        }
    }
    out
}

/// Imports one connection from swanctl.conf text; `pick` chooses among several.
///
/// # Errors
/// [`ImportError`].
pub fn import_str(
    text: &str,
    path: Option<&Path>,
    pick: Option<&str>,
) -> Result<Imported, ImportError> {
    let root = parse_str(text, path)?;
    let conns = root.section("connections").unwrap_or_default();
    let names = conns.names();
    let name = pick_connection(pick, names)?;
    let conn = conns.section(&name).unwrap_or_default();
    let base = path.and_then(Path::parent);
    let mut imp = Imported {
        name: name.clone(),
        ..Imported::default()
    };
    let mut ign: Vec<String> = Vec::new();
    let put = |data: &mut std::collections::BTreeMap<String, String>, k: &str, v: &str| {
        data.insert(k.to_string(), v.to_string());
    };
    for (k, v) in &conn.values {
        let v = v.trim();
        match k.as_str() {
            "remote_addrs" => {
                let first = v
                    .split(',')
                    .map(str::trim)
                    .find(|s| !s.is_empty())
                    .unwrap_or_default();
                put(&mut imp.data, "right", first);
            }
            "local_addrs" if v == "%any" || v.is_empty() => {}
            // One address of ours: `left` (the service checks it is the routed one).
            "local_addrs" if v.parse::<std::net::IpAddr>().is_ok() => put(&mut imp.data, "left", v),
            "remote_port" => put(&mut imp.data, "rightport", v),
            "version" => match v {
                "0" | "2" => {}
                _ => put(&mut imp.data, "ikev2", "never"),
            },
            "proposals" if v != "default" => {
                put(&mut imp.data, "ike", &libreswan_syntax(Protocol::Ike, v))
            }
            "proposals" => {}
            "rekey_time" => put(&mut imp.data, "ikelifetime", v),
            "fragmentation" => put(
                &mut imp.data,
                "fragmentation",
                match v {
                    "accept" => "yes",
                    other => other,
                },
            ),
            "mobike" => put(&mut imp.data, "mobike", v),
            "dpd_delay" => put(&mut imp.data, "dpddelay", v),
            "dpd_timeout" => put(&mut imp.data, "dpdtimeout", v),
            "keyingtries" => put(&mut imp.data, "keyingtries", v),
            "encap" => put(
                &mut imp.data,
                "encapsulation",
                if v == "yes" { "yes" } else { "auto" },
            ),
            "vips" => {
                let v6 = v.contains(':');
                put(&mut imp.data, "leftmodecfgclient", "yes");
                if v6 && !v.contains('.') {
                    put(&mut imp.data, "clientaddrfamily", "ipv6");
                }
            }
            "if_id_in" | "if_id_out" => put(&mut imp.data, "ipsec-interface", v),
            _ => ign.push(k.clone()),
        }
    }
    let mut local_done = false;
    let mut remote_done = false;
    for sub in conn.names() {
        let s = conn.section(&sub).unwrap_or_default();
        let is_local = sub == "local" || sub.starts_with("local-");
        let is_remote = sub == "remote" || sub.starts_with("remote-");
        if (is_local && local_done) || (is_remote && remote_done) {
            ign.push(sub.clone());
            continue;
        }
        if is_local {
            local_done = true;
            for (k, v) in &s.values {
                match k.as_str() {
                    "auth" => match v.as_str() {
                        "psk" => put(&mut imp.data, "authby", "secret"),
                        "pubkey" => put(&mut imp.data, "authby", "cert"),
                        a if a.starts_with("rsa") => put(&mut imp.data, "authby", "rsasig"),
                        a if a.starts_with("ecdsa") => put(&mut imp.data, "authby", "ecdsa"),
                        // EAP methods: the profile refuses those it does not offer.
                        a if a.starts_with("eap-") => put(&mut imp.data, "leftauth", a),
                        other => {
                            return Err(ImportError::Unsupported(trf(
                                "authentication method {method} is not supported",
                                &[("method", &crate::settings::value::sanitize(other))],
                            )))
                        }
                    },
                    "id" if v != "%any" => put(&mut imp.data, "leftid", v),
                    "eap_id" if v != "%any" => put(&mut imp.data, "leftusername", v),
                    "certs" => file_key(&mut imp, "leftcert", v, base, "x509"),
                    _ => ign.push(format!("{sub}.{k}")),
                }
            }
        } else if is_remote {
            remote_done = true;
            for (k, v) in &s.values {
                match k.as_str() {
                    "auth" => {}
                    "id" if v != "%any" => put(&mut imp.data, "rightid", v),
                    "cacerts" => file_key(&mut imp, "rightca", v, base, "x509ca"),
                    _ => ign.push(format!("{sub}.{k}")),
                }
            }
        } else if sub == "children" {
            let children = s.names();
            for (i, child_name) in children.iter().enumerate() {
                if i > 0 {
                    ign.push(format!("children.{child_name}"));
                    continue;
                }
                let child = s.section(child_name).unwrap_or_default();
                for (k, v) in &child.values {
                    let v = v.trim();
                    match k.as_str() {
                        "local_ts" if v != "dynamic" => put(&mut imp.data, "leftsubnet", v),
                        "remote_ts" if v != "dynamic" => put(&mut imp.data, "rightsubnet", v),
                        "local_ts" | "remote_ts" => {}
                        "esp_proposals" if v != "default" => {
                            put(&mut imp.data, "esp", &libreswan_syntax(Protocol::Esp, v));
                        }
                        "esp_proposals" => {}
                        "mode" => put(&mut imp.data, "type", v),
                        "rekey_time" => put(&mut imp.data, "salifetime", v),
                        "life_time" if child.get("rekey_time").is_none() => {
                            put(&mut imp.data, "salifetime", v);
                        }
                        "dpd_action" => match v {
                            "clear" | "none" => put(&mut imp.data, "dpdaction", "clear"),
                            "trap" => put(&mut imp.data, "dpdaction", "hold"),
                            "restart" | "start" => put(&mut imp.data, "dpdaction", "restart"),
                            _ => ign.push(format!("children.{child_name}.{k}")),
                        },
                        "if_id_in" | "if_id_out" => put(&mut imp.data, "ipsec-interface", v),
                        "life_bytes" => put(&mut imp.data, "ipsec-max-bytes", v),
                        "life_packets" => put(&mut imp.data, "ipsec-max-packets", v),
                        "rekey_bytes" if child.get("life_bytes").is_none() => {
                            put(&mut imp.data, "ipsec-max-bytes", v);
                        }
                        "rekey_packets" if child.get("life_packets").is_none() => {
                            put(&mut imp.data, "ipsec-max-packets", v);
                        }
                        "rekey_bytes" | "rekey_packets" => {}
                        "hw_offload" if matches!(v, "yes" | "no" | "auto") => {
                            put(&mut imp.data, "nic-offload", v);
                        }
                        _ => ign.push(format!("children.{child_name}.{k}")),
                    }
                }
            }
        } else {
            ign.push(sub.clone());
        }
    }
    for (k, v) in nm_ike_comments(text, &name) {
        if schema::key(&k).is_some_and(|s| s.place == Place::Data) {
            imp.data.insert(k, v);
        } else {
            ign.push(k);
        }
    }
    // strongSwan defaults that differ from ours (Libreswan's and ours: mobike=no).
    for (k, v) in [
        ("leftmodecfgclient", "no"),
        ("ikelifetime", "4h"),
        ("mobike", "yes"),
    ] {
        imp.data
            .entry(k.to_string())
            .or_insert_with(|| v.to_string());
    }
    let eap = imp.data.contains_key("leftauth");
    if eap {
        if let Some(pw) = find_eap_secret(&root, &imp) {
            imp.secrets.insert("password".into(), pw);
        }
    } else if imp.data.get("authby").is_none_or(|a| a == "secret") {
        if let Some(psk) = find_psk(&root, &imp) {
            imp.secrets.insert("pskvalue".into(), psk);
        }
    }
    if !eap
        && imp.data.get("authby").is_some_and(|a| a != "secret")
        && !imp.data.contains_key("leftkey")
    {
        imp.needs_file.push(NeedsFile {
            key: "leftkey".into(),
            reference: String::new(),
        });
    }
    ign.sort();
    ign.dedup();
    imp.ignored = ign;
    finish(imp)
}

/// A proposal list in Libreswan syntax (the NetworkManager-libreswan convention for `ike` and
/// `esp`); unchanged if it does not parse (validation reports it).
fn libreswan_syntax(protocol: Protocol, v: &str) -> String {
    proposal::parse(protocol, v).map_or_else(|_| v.to_string(), |set| set.to_libreswan())
}

/// A certificate named in swanctl.conf: absolute, or relative to `swanctl/<dir>/`.
fn file_key(imp: &mut Imported, key: &str, v: &str, base: Option<&Path>, dir: &str) {
    let first = v.split(',').map(str::trim).next().unwrap_or_default();
    if first.starts_with('/') {
        imp.data.insert(key.to_string(), first.to_string());
        return;
    }
    if let Some(candidate) = base
        .map(|b| b.join(dir).join(first))
        .filter(|p| p.is_file())
    {
        imp.data
            .insert(key.to_string(), candidate.display().to_string());
        return;
    }
    imp.needs_file.push(NeedsFile {
        key: key.to_string(),
        reference: first.to_string(),
    });
}

/// The `secrets { ike-... { id... = ; secret = } }` entry for the connection: one naming the
/// remote ID or address, else one without IDs, else the only one.
/// The password of an `eap-…` secret whose id is our EAP user name (or the only one).
fn find_eap_secret(root: &Section, imp: &Imported) -> Option<String> {
    let secrets = root.section("secrets")?;
    let eaps: Vec<Section> = secrets
        .names()
        .into_iter()
        .filter(|n| n.starts_with("eap"))
        .filter_map(|n| secrets.section(&n))
        .collect();
    let user = imp.data.get("leftusername").map(String::as_str);
    let named = |s: &Section| {
        s.values
            .iter()
            .any(|(k, v)| (k == "id" || k.starts_with("id-")) && Some(v.as_str()) == user)
    };
    eaps.iter()
        .find(|s| named(s))
        .or(eaps.first().filter(|_| eaps.len() == 1))
        .and_then(|s| s.get("secret"))
        .map(str::to_string)
}

fn find_psk(root: &Section, imp: &Imported) -> Option<String> {
    let secrets = root.section("secrets")?;
    let ikes: Vec<Section> = secrets
        .names()
        .into_iter()
        .filter(|n| n.starts_with("ike"))
        .filter_map(|n| secrets.section(&n))
        .collect();
    let theirs: Vec<&str> = [imp.data.get("rightid"), imp.data.get("right")]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect();
    let ids = |s: &Section| -> Vec<String> {
        s.values
            .iter()
            .filter(|(k, _)| k == "id" || k.starts_with("id-") || k.starts_with("id_"))
            .map(|(_, v)| v.clone())
            .collect()
    };
    ikes.iter()
        .find(|s| ids(s).iter().any(|i| theirs.contains(&i.as_str())))
        .or_else(|| ikes.iter().find(|s| ids(s).is_empty()))
        .or(ikes.first().filter(|_| ikes.len() == 1))
        .and_then(|s| s.get("secret"))
        .map(str::to_string)
}
