//! Translations: the Japanese catalog covers every marked text, and with `LANGUAGE=ja` the
//! service's texts come out in Japanese (English without a language or a catalog).
//!
//! The language is chosen once per process, so each case runs this test binary again as a
//! child process with its own environment (see `child_report`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use nm_plugin::i18n;
use nm_plugin::service::messages;
use nm_plugin::settings::{schema, Settings};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

fn top() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace folder")
        .to_path_buf()
}

// ---- the catalog covers the sources -------------------------------------------------------

/// One entry of a .po file.
#[derive(Debug)]
struct PoEntry {
    msgstr: String,
    fuzzy: bool,
}

fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some(other) => out.push(other),
            None => panic!("dangling backslash in {s:?}"),
        }
    }
    out
}

/// Parses the active (not obsolete) entries of a .po/.pot file: msgid -> entry.
fn parse_po(text: &str) -> BTreeMap<String, PoEntry> {
    let mut entries = BTreeMap::new();
    for block in text.split("\n\n") {
        let mut fuzzy = false;
        let mut field = None;
        let (mut msgid, mut msgstr) = (String::new(), String::new());
        for line in block.lines() {
            let line = line.trim_end();
            if let Some(flags) = line.strip_prefix("#,") {
                fuzzy |= flags.split(',').any(|f| f.trim() == "fuzzy");
            } else if line.starts_with('#') || line.is_empty() {
                continue;
            } else if let Some(rest) = line.strip_prefix("msgid ") {
                field = Some(0);
                msgid.push_str(&unescape(rest.trim_matches('"')));
            } else if let Some(rest) = line.strip_prefix("msgstr ") {
                field = Some(1);
                msgstr.push_str(&unescape(rest.trim_matches('"')));
            } else if line.starts_with('"') {
                let s = unescape(line.trim_matches('"'));
                match field {
                    Some(0) => msgid.push_str(&s),
                    Some(1) => msgstr.push_str(&s),
                    _ => panic!("string outside msgid/msgstr: {line}"),
                }
            } else {
                panic!("unexpected .po line (plural forms are not used): {line}");
            }
        }
        if field.is_some() && !msgid.is_empty() {
            let old = entries.insert(msgid.clone(), PoEntry { msgstr, fuzzy });
            assert!(old.is_none(), "duplicate msgid {msgid:?}");
        }
    }
    entries
}

/// The texts marked with `tr("…")`, `trf("…", …)` or `tr_noop("…")` in `source`. Comment lines
/// are skipped; a call whose argument is not a plain string literal is not a marked text.
fn marked_texts(source: &str, file: &str) -> Vec<String> {
    let code: String = source
        .lines()
        .map(|l| {
            if l.trim_start().starts_with("//") {
                ""
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = Vec::new();
    let bytes = code.as_bytes();
    for marker in ["tr(", "trf(", "tr_noop("] {
        for (at, _) in code.match_indices(marker) {
            if at > 0 && (bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_') {
                continue;
            }
            let rest = code[at + marker.len()..].trim_start();
            assert!(
                !rest.starts_with("r\"") && !rest.starts_with("r#"),
                "{file}: raw strings cannot be extracted by xgettext: {}",
                &rest[..rest.len().min(60)]
            );
            let Some(lit) = rest.strip_prefix('"') else {
                continue;
            };
            let mut text = String::new();
            let mut chars = lit.chars();
            loop {
                match chars.next().expect("unterminated string literal") {
                    '"' => break,
                    '\\' => match chars.next() {
                        Some('n') => text.push('\n'),
                        Some('t') => text.push('\t'),
                        Some(c @ ('"' | '\\' | '\'')) => text.push(c),
                        Some('\n') => panic!(
                            "{file}: \\-newline continuation in a translatable text (xgettext \
                             reads it differently): {text}"
                        ),
                        other => panic!("{file}: unsupported escape {other:?} in {text}"),
                    },
                    '\n' => panic!("{file}: multi-line translatable text: {text}"),
                    c => text.push(c),
                }
            }
            out.push(text);
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read source folder") {
        let path = entry.expect("folder entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `{name}` placeholders of a text, sorted.
fn placeholders(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, _) in text.match_indices('{') {
        let rest = &text[i + 1..];
        if let Some(end) = rest.find('}') {
            let name = &rest[..end];
            if !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                out.push(name.to_string());
            }
        }
    }
    out.sort();
    out
}

#[test]
fn japanese_catalog_covers_every_marked_text() {
    let top = top();
    let potfiles: BTreeSet<String> = std::fs::read_to_string(top.join("po/POTFILES.in"))
        .expect("po/POTFILES.in")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect();

    // Every source file with marked texts is listed, and every listed file exists.
    let mut files = Vec::new();
    rust_files(&top.join("nm-plugin/src"), &mut files);
    for dir in [
        "gnome-editor/src",
        "gnome-editor/model/src",
        "gnome-editor/gtk3/src",
    ] {
        rust_files(&top.join(dir), &mut files);
    }
    let mut msgids = BTreeSet::new();
    for path in &files {
        let rel = path
            .strip_prefix(&top)
            .expect("below top")
            .to_string_lossy()
            .into_owned();
        let texts = marked_texts(&std::fs::read_to_string(path).expect("source"), &rel);
        if texts.is_empty() {
            assert!(
                !potfiles.contains(&rel),
                "{rel} is in po/POTFILES.in but marks no text"
            );
            continue;
        }
        assert!(
            potfiles.contains(&rel),
            "{rel} marks texts for translation but is not in po/POTFILES.in"
        );
        msgids.extend(texts);
    }
    for f in &potfiles {
        assert!(
            top.join(f).is_file(),
            "po/POTFILES.in lists a missing file {f}"
        );
    }
    assert!(
        msgids.len() > 90,
        "too few marked texts found: {}",
        msgids.len()
    );
    // Sanity: the texts of each kind of source are seen.
    assert!(msgids.contains("is empty"));
    assert!(msgids.contains(schema::KEYS[0].help));
    assert!(msgids.contains("The gateway closed the connection."));

    let pot = parse_po(
        &std::fs::read_to_string(top.join("po/NetworkManager-ike.pot")).expect("pot file"),
    );
    let pot_ids: BTreeSet<String> = pot.keys().cloned().collect();
    let missing: Vec<_> = msgids.difference(&pot_ids).collect();
    let stale: Vec<_> = pot_ids.difference(&msgids).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "po/NetworkManager-ike.pot is out of date (run po/update-pot.sh): missing {missing:?}, \
         stale {stale:?}"
    );

    let ja = parse_po(&std::fs::read_to_string(top.join("po/ja.po")).expect("po/ja.po"));
    let mut problems = Vec::new();
    for id in &msgids {
        match ja.get(id) {
            None => problems.push(format!("missing: {id:?}")),
            Some(e) if e.msgstr.is_empty() => problems.push(format!("untranslated: {id:?}")),
            Some(e) if e.fuzzy => problems.push(format!("fuzzy: {id:?}")),
            Some(e) if placeholders(id) != placeholders(&e.msgstr) => {
                problems.push(format!("placeholders differ: {id:?} -> {:?}", e.msgstr));
            }
            Some(_) => {}
        }
    }
    for id in ja.keys() {
        if !msgids.contains(id) {
            problems.push(format!("not in the sources (run po/update-pot.sh): {id:?}"));
        }
    }
    assert!(problems.is_empty(), "po/ja.po:\n{}", problems.join("\n"));
}

// ---- the texts come out translated --------------------------------------------------------

const CHILD_ENV: &str = "NM_IKE_I18N_TEST_CHILD";

/// Prints the texts under test when run as the child of `texts_follow_the_language`.
#[test]
fn child_report() {
    if std::env::var_os(CHILD_ENV).is_none() {
        return;
    }
    let data = BTreeMap::from([
        ("right".to_string(), "gw.example.org".to_string()),
        ("pfs".to_string(), "on".to_string()),
    ]);
    let errors = Settings::from_maps(&data, &BTreeMap::new()).expect_err("pfs=on is refused");
    println!("I18N settings={}", errors[0]);
    println!("I18N failure={}", messages::ts_unacceptable());
    println!(
        "I18N format={}",
        messages::no_response("192.0.2.1", 4500, 4, Duration::from_secs(15))
    );
    let right = schema::key("right").expect("right key");
    println!("I18N help={}", right.localized_help());
}

/// Runs `child_report` with the given language variables; returns its texts by name.
fn texts_with(vars: &[(&str, &str)], localedir: &Path) -> BTreeMap<String, String> {
    let mut cmd = Command::new(std::env::current_exe().expect("test binary"));
    cmd.args([
        "i18n::child_report",
        "--exact",
        "--nocapture",
        "--test-threads=1",
    ]);
    for v in ["LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"] {
        cmd.env_remove(v);
    }
    cmd.env(CHILD_ENV, "1").env(i18n::LOCALEDIR_ENV, localedir);
    cmd.envs(vars.iter().copied());
    let out = cmd.output().expect("run the test binary");
    let stdout = String::from_utf8(out.stdout).expect("UTF-8 output");
    assert!(out.status.success(), "child failed: {stdout}");
    let texts: BTreeMap<String, String> = stdout
        .lines()
        .filter_map(|l| l.split_once("I18N ")) // libtest may print "test … " before it
        .filter_map(|(_, l)| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    assert_eq!(texts.len(), 4, "child output: {stdout}");
    texts
}

#[test]
fn texts_follow_the_language() {
    let top = top();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("i18n-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let localedir = dir.join("locale");
    let mo = i18n::catalog_path(&localedir, "ja");
    std::fs::create_dir_all(mo.parent().expect("parent")).expect("create locale folder");
    let status = Command::new("msgfmt")
        .arg("--check")
        .arg("-o")
        .arg(&mo)
        .arg(top.join("po/ja.po"))
        .status()
        .expect("msgfmt not found: install gettext (tests/install-deps does)");
    assert!(status.success(), "msgfmt failed on po/ja.po");
    let catalog = i18n::Catalog::read(&mo).expect("read the compiled catalog");
    assert!(catalog.len() > 90, "catalog has {} messages", catalog.len());

    let english = BTreeMap::from([
        (
            "settings".to_string(),
            "pfs: \"on\" is not accepted; use yes or no".to_string(),
        ),
        (
            "failure".to_string(),
            "The gateway refused the networks we asked to tunnel (traffic selectors): compare \
             leftsubnet and rightsubnet with the gateway's configuration."
                .to_string(),
        ),
        (
            "format".to_string(),
            "The gateway 192.0.2.1 did not answer on UDP port 4500 (4 tries over 15 s). Check \
             the gateway address, and that firewalls let UDP ports 500 and 4500 through."
                .to_string(),
        ),
        (
            "help".to_string(),
            "The gateway: host name or IP address (required).".to_string(),
        ),
    ]);
    let japanese = BTreeMap::from([
        (
            "settings".to_string(),
            "pfs: \"on\" は使用できません。yes または no を指定してください".to_string(),
        ),
        (
            "failure".to_string(),
            "ゲートウェイは、トンネルを要求したネットワーク (トラフィックセレクター) を拒否しま\
             した: leftsubnet と rightsubnet をゲートウェイの設定と比較してください。"
                .to_string(),
        ),
        (
            "format".to_string(),
            "ゲートウェイ 192.0.2.1 が UDP ポート 4500 で応答しませんでした (15 秒間に 4 回試行)。\
             ゲートウェイのアドレスと、ファイアウォールが UDP ポート 500 および 4500 を通過させて\
             いるかを確認してください。"
                .to_string(),
        ),
        (
            "help".to_string(),
            "ゲートウェイ: ホスト名または IP アドレス (必須)。".to_string(),
        ),
    ]);

    assert_eq!(texts_with(&[("LANGUAGE", "ja")], &localedir), japanese);
    assert_eq!(texts_with(&[("LANG", "ja_JP.UTF-8")], &localedir), japanese);
    assert_eq!(
        texts_with(
            &[("LC_MESSAGES", "ja_JP.UTF-8"), ("LANG", "C.UTF-8")],
            &localedir
        ),
        japanese
    );
    assert_eq!(texts_with(&[], &localedir), english);
    assert_eq!(texts_with(&[("LANG", "C.UTF-8")], &localedir), english);
    assert_eq!(texts_with(&[("LANGUAGE", "de")], &localedir), english);
    // No catalog where the variable points: English.
    assert_eq!(
        texts_with(&[("LANGUAGE", "ja")], &dir.join("nowhere")),
        english
    );
    let _ = std::fs::remove_dir_all(&dir);
}
