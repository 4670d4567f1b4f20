//! The library's modules import one way only: a lower layer never names a higher one.
//!
//! The layers, lowest first (a module may use its own layer's module and anything lower,
//! never a module of its own rank or above):
//!
//! | rank | crate-root modules | what they hold |
//! |------|--------------------|----------------|
//! | 0 | `i18n` | gettext: every layer marks and translates texts |
//! | 1 | `settings` | the vpn.data schema and the typed settings |
//! | 2 | `kernel`, `import` | the data plane (XFRM, routes, ownership); profile import/export |
//! | 3 | `driver` | the engine with sockets, timers and a kernel backend; the launch |
//! | 4 | `tool` | the CLI's profile files and output (used by the service for name resolution) |
//! | 5 | `service`, `auth_dialog` | the D-Bus plugin; the auth-dialog helper |
//!
//! The programs (`src/main.rs` with `src/cli.rs`, and `src/bin/*`) are separate crates on top
//! of all of these: they use the library through `nm_plugin::` and are not checked here.
//!
//! The checker reads every `.rs` file under `src/`, drops `//` comments, and collects
//! `crate::<module>` paths, in `use` lines (also grouped, `use crate::{a::X, b::Y}`) and inline
//! in code, and `super::` paths that climb to the crate root. A new crate-root module must be
//! given a rank in [`RANKS`] before it can be used.

// Test helpers outside `#[test]` functions: a panic is the test's failure report.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};

/// Crate-root modules and their ranks (see the module documentation).
const RANKS: &[(&str, u8)] = &[
    ("i18n", 0),
    ("settings", 1),
    ("kernel", 2),
    ("import", 2),
    ("driver", 3),
    ("tool", 4),
    ("service", 5),
    ("auth_dialog", 5),
];

fn rank(module: &str) -> Option<u8> {
    RANKS.iter().find(|(m, _)| *m == module).map(|(_, r)| *r)
}

/// One import that points the wrong way (or at a module without a rank).
#[derive(Debug, PartialEq, Eq)]
struct Violation {
    file: String,
    line: usize,
    from: String,
    to: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (rank(&self.from), rank(&self.to)) {
            (Some(a), Some(b)) => write!(
                f,
                "{}:{}: `{}` (rank {a}) uses `crate::{}` (rank {b}): a lower layer must not import a higher one or a peer",
                self.file, self.line, self.from, self.to
            ),
            _ => write!(
                f,
                "{}:{}: `{}` uses `crate::{}`: give every crate-root module a rank in tests/layers.rs",
                self.file, self.line, self.from, self.to
            ),
        }
    }
}

/// The module path of a library file relative to `src/` (`kernel/mod.rs` -> `[kernel]`,
/// `kernel/xfrmi.rs` -> `[kernel, xfrmi]`, `i18n.rs` -> `[i18n]`); `None` for files that are
/// not part of the library's layers (the programs and `lib.rs`).
fn module_path(rel: &str) -> Option<Vec<String>> {
    if rel == "lib.rs" || rel == "main.rs" || rel == "cli.rs" || rel.starts_with("bin/") {
        return None;
    }
    let stem = rel.strip_suffix(".rs")?;
    let mut parts: Vec<String> = stem.split('/').map(str::to_string).collect();
    if parts.last().map(String::as_str) == Some("mod") {
        parts.pop();
    }
    Some(parts)
}

/// The source without `//` comments (line count unchanged).
fn strip_comments(text: &str) -> String {
    text.lines()
        .map(|l| l.find("//").map_or(l, |i| &l[..i]))
        .collect::<Vec<_>>()
        .join("\n")
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The identifier at the start of `s`.
fn ident(s: &str) -> &str {
    let end = s.find(|c: char| !is_ident(c)).unwrap_or(s.len());
    &s[..end]
}

/// The first path segment of every item of a `{...}` group starting right after `open`
/// (`s[open] == '{'`), with its byte offset.
fn group_heads(s: &str, open: usize) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut expect = true;
    for (i, c) in s[open..].char_indices() {
        let at = open + i;
        match c {
            '{' => {
                depth += 1;
                expect = depth == 1;
            }
            '}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    break;
                }
            }
            ',' if depth == 1 => expect = true,
            c if expect && depth == 1 && is_ident(c) => {
                expect = false;
                let name = ident(&s[at..]);
                if name != "self" {
                    out.push((at, name.to_string()));
                }
            }
            _ => {}
        }
    }
    out
}

/// The crate-root modules `text` (the file `rel` under `src/`) names, with their lines.
fn imports(rel: &str, text: &str) -> Vec<(usize, String)> {
    let Some(path) = module_path(rel) else {
        return Vec::new();
    };
    let code = strip_comments(text);
    let line_of = |at: usize| code[..at].matches('\n').count() + 1;
    let mut out = Vec::new();
    let push_heads = |at: usize, out: &mut Vec<(usize, String)>| {
        if code[at..].starts_with('{') {
            for (pos, name) in group_heads(&code, at) {
                out.push((line_of(pos), name));
            }
        } else {
            let name = ident(&code[at..]);
            if !name.is_empty() {
                out.push((line_of(at), name.to_string()));
            }
        }
    };
    for (at, _) in code.match_indices("crate::") {
        let before = code[..at].chars().next_back();
        if before.is_some_and(|c| is_ident(c) || c == '$') {
            continue;
        }
        push_heads(at + "crate::".len(), &mut out);
    }
    // `super::` chains: only those that climb to the crate root name a crate-root module.
    let mut at = 0;
    while let Some(i) = code[at..].find("super::") {
        let start = at + i;
        let before = code[..start].chars().next_back();
        let mut end = start;
        let mut climbs = 0;
        while code[end..].starts_with("super::") {
            climbs += 1;
            end += "super::".len();
        }
        at = end;
        if before.is_some_and(|c| is_ident(c) || c == ':') || climbs < path.len() {
            continue;
        }
        let mut found = Vec::new();
        push_heads(end, &mut found);
        // Inside an inline `mod` (tests) a chain needs more climbs than the file's depth; a
        // chain that stops short of the root then names a submodule, not a ranked one, and
        // is left alone.
        out.extend(found.into_iter().filter(|(_, m)| rank(m).is_some()));
    }
    out
}

/// Every import of `files` (path under `src/`, text) that breaks the layering.
fn check(files: &[(String, String)]) -> Vec<Violation> {
    let mut out = Vec::new();
    for (rel, text) in files {
        let Some(path) = module_path(rel) else {
            continue;
        };
        let from = &path[0];
        for (line, to) in imports(rel, text) {
            if &to == from {
                continue;
            }
            let ok = matches!((rank(from), rank(&to)), (Some(a), Some(b)) if b < a);
            if !ok {
                out.push(Violation {
                    file: rel.clone(),
                    line,
                    from: from.clone(),
                    to,
                });
            }
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for e in entries {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

fn sources() -> Vec<(String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(&src).unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&p).unwrap();
            (rel, text)
        })
        .collect()
}

#[test]
fn every_arrow_points_down() {
    let files = sources();
    assert!(
        files.iter().any(|(f, _)| f == "kernel/backend.rs"),
        "the sources were not found"
    );
    // Every crate-root module of the library has a rank.
    let lib = &files.iter().find(|(f, _)| f == "lib.rs").unwrap().1;
    for line in lib.lines() {
        let line = line.trim();
        if let Some(m) = line.strip_prefix("pub mod ").or(line.strip_prefix("mod ")) {
            let m = m.trim_end_matches(';');
            assert!(
                rank(m).is_some(),
                "lib.rs: module `{m}` has no rank in tests/layers.rs"
            );
        }
    }
    let bad = check(&files);
    let report: Vec<String> = bad.iter().map(ToString::to_string).collect();
    assert!(bad.is_empty(), "\n{}", report.join("\n"));
}

fn fake(rel: &str, text: &str) -> Vec<(String, String)> {
    vec![(rel.to_string(), text.to_string())]
}

#[test]
fn the_checker_finds_upward_imports() {
    // A `use` line.
    let v = check(&fake(
        "kernel/backend.rs",
        "use super::netlink::NlSocket;\nuse crate::driver::kernel::Kernel;\n",
    ));
    assert_eq!(
        v,
        vec![Violation {
            file: "kernel/backend.rs".into(),
            line: 2,
            from: "kernel".into(),
            to: "driver".into(),
        }]
    );
    assert!(v[0]
        .to_string()
        .starts_with("kernel/backend.rs:2: `kernel` (rank 2) uses `crate::driver`"));
    // An inline path, a grouped `use` over two lines, and `super::` from a `mod.rs`.
    let v = check(&fake(
        "settings/value.rs",
        "fn f() {\n    crate::kernel::xfrmi::valid_interface_name(\"x\");\n}\n",
    ));
    assert_eq!((v.len(), v[0].line, v[0].to.as_str()), (1, 2, "kernel"));
    let v = check(&fake(
        "driver/run.rs",
        "use crate::{\n    kernel::api::Kernel,\n    service::messages,\n};\n",
    ));
    assert_eq!((v.len(), v[0].line, v[0].to.as_str()), (1, 3, "service"));
    let v = check(&fake("kernel/mod.rs", "use super::driver::run;\n"));
    assert_eq!((v.len(), v[0].line, v[0].to.as_str()), (1, 1, "driver"));
    // Peers of one rank do not import each other; unknown modules must be ranked.
    assert_eq!(
        check(&fake("import/mod.rs", "use crate::kernel::owner;")).len(),
        1
    );
    let v = check(&fake("driver/x.rs", "use crate::newthing::X;"));
    assert!(v[0]
        .to_string()
        .contains("give every crate-root module a rank"));
}

#[test]
fn the_checker_lets_downward_imports_and_comments_pass() {
    let ok = [
        (
            "service/controller.rs",
            "use crate::driver::run::Runner;\nuse crate::{kernel::owner, settings::Settings};\n",
        ),
        (
            "driver/run.rs",
            "use crate::kernel::api::Kernel; use crate::i18n::tr;",
        ),
        (
            "kernel/xfrmi.rs",
            "use super::netlink::NlSocket;\nuse crate::settings::value::valid_interface_name;\n",
        ),
        ("kernel/xfrmi.rs", "mod tests { use super::super::owner; }"),
        (
            "kernel/owner.rs",
            "/// See [`crate::service`] and crate::driver.\n// crate::service::x\nfn f() {}",
        ),
        (
            "settings/mod.rs",
            "use crate::settings::value; use self::schema::Key;",
        ),
        (
            "bin/nm-ike.rs",
            "use nm_plugin::service::messages; use crate::anything;",
        ),
        ("main.rs", "use crate::cli::Args;"),
    ];
    for (rel, text) in ok {
        assert_eq!(check(&fake(rel, text)), vec![], "{rel}: {text}");
    }
}

/// Integration tests are built only as declared (`autotests = false`): every file in `tests/`
/// is a module of `tests/main.rs` or a `[[test]]` of its own in Cargo.toml, or it would
/// silently never run.
#[test]
fn every_test_file_is_built() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let main = std::fs::read_to_string(root.join("tests/main.rs")).unwrap();
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(root.join("tests")).unwrap() {
        let path = entry.unwrap().path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let Some(stem) = name.strip_suffix(".rs") else {
            continue;
        };
        let declared = main.lines().any(|l| l == format!("mod {stem};"));
        let own_binary = manifest.contains(&format!("path = \"tests/{name}\""));
        if !declared && !own_binary {
            missing.push(name.to_owned());
        }
    }
    assert!(missing.is_empty(), "not built as a test: {missing:?}");
}
