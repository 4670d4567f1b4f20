//! The layers of ike-core point one way: a module may use modules of lower layers (and itself),
//! never a module of a higher layer or another module of its own layer.
//!
//! The test reads every `.rs` file under `ike-core/src`, collects the `crate::<module>` paths it
//! uses (in `use` lines, grouped `use crate::{a, b}` lists and inline paths; comments are
//! skipped, so doc links may point anywhere) and fails naming the file and line of each import
//! that goes up. `super::` paths are not resolved: they stay inside a module's own folder in
//! this crate, and anything that must leave it is written `crate::`.
//!
//! The layers, lowest first (see [`LAYERS`]):
//!
//! | layer | modules | why there |
//! |---|---|---|
//! | 0 | `ids` | IANA numbers, used by everything |
//! | 1 | `ts`, `fragment` | traffic-selector arithmetic and fragment reassembly need no codec |
//! | 2 | `wire` | the codecs (convert to and from `ts`'s selectors) |
//! | 3 | `crypto`, `natt`, `v1` | crypto provider and key derivation; NAT-D hashes over `wire`; the IKEv1 codec and IV chain (over `wire`'s reader and errors, hash passed in) |
//! | 4 | `proposal`, `cookie` | transform registry and negotiation; COOKIE secrets over `crypto` |
//! | 5 | `api` | the engine's vocabulary (config, events, kernel ops, failures, ...) |
//! | 6 | `ctx` | the per-call context (output queues, RNG, leases) handed to SA code |
//! | 7 | `sa` | IKE and Child SA state, keys, transport |
//! | 8 | `exchange`, `ikev1` | the exchanges; they drive `sa` (and `sa` never calls an exchange); IKEv1's Main Mode, Quick Mode and Informational over the `v1` codec (it reuses `sa`'s Child SA install) |
//! | 9 | `engine` | the public engine: SA tables, timers, dispatch into `exchange` |
//! | 10 | `fuzzing` | test and fuzzing hooks that reach into `engine` and `exchange` |
//!
//! `sa` and `exchange` are the "sa/exchange" level; within it the arrow goes one way
//! only, exchange → sa, which is why they are two layers here. `lib.rs` (the crate root that
//! declares the modules) is not checked.

// A test: a missing source directory or a bad path may panic.
#![allow(clippy::panic, clippy::expect_used)]

use std::fmt;
use std::path::{Path, PathBuf};

/// Layer of each crate-root module, lowest first. A new crate-root module must be added here.
const LAYERS: &[(&str, u32)] = &[
    ("ids", 0),
    ("ts", 1),
    ("fragment", 1),
    ("wire", 2),
    ("crypto", 3),
    ("natt", 3),
    ("v1", 3),
    ("proposal", 4),
    ("cookie", 4),
    ("api", 5),
    ("ctx", 6),
    ("sa", 7),
    ("exchange", 8),
    ("ikev1", 8),
    ("engine", 9),
    ("fuzzing", 10),
];

fn layer(module: &str) -> Option<u32> {
    LAYERS.iter().find(|(m, _)| *m == module).map(|(_, l)| *l)
}

/// An import that breaks the layering.
#[derive(Debug, PartialEq, Eq)]
struct Violation {
    file: String,
    line: usize,
    message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

/// The crate-root module a file under `src/` belongs to (`None` for `lib.rs`).
fn module_of(rel: &str) -> Option<String> {
    let rel = rel.replace('\\', "/");
    let first = rel.split('/').next()?;
    if first == "lib.rs" {
        return None;
    }
    Some(first.trim_end_matches(".rs").to_string())
}

/// `line` without its `//` comment (a `//` inside a string literal is kept).
fn strip_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    let mut in_str = false;
    let mut escaped = false;
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            _ if escaped => escaped = false,
            b'\\' if in_str => escaped = true,
            b'"' => in_str = !in_str,
            b'/' if !in_str && bytes.get(i + 1) == Some(&b'/') => {
                return line.get(..i).unwrap_or(line)
            }
            _ => {}
        }
    }
    line
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Every crate-root module named by a `crate::` path in `src`, with its 1-based line.
fn crate_paths(src: &str) -> Vec<(usize, String)> {
    // Comments removed, lines kept, so offsets map back to line numbers.
    let code: Vec<&str> = src.lines().map(strip_comment).collect();
    let text = code.join("\n");
    let line_of = |pos: usize| text[..pos].matches('\n').count() + 1;
    let mut found = Vec::new();
    let mut search = 0;
    while let Some(off) = text[search..].find("crate::") {
        let start = search + off;
        search = start + "crate::".len();
        // `crate` must be a whole word (not `ike_crate::`).
        if text[..start].chars().next_back().is_some_and(is_ident) {
            continue;
        }
        let rest = &text[search..];
        if let Some(group) = rest.strip_prefix('{') {
            // `crate::{a::X, b, c::{..}}`: the names at depth one that begin an item.
            let mut depth = 1;
            let mut expect_name = true;
            let base = search + 1;
            let mut chars = group.char_indices().peekable();
            while let Some((i, c)) = chars.next() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    ',' if depth == 1 => expect_name = true,
                    c if depth == 1 && expect_name && is_ident(c) => {
                        let mut end = i + c.len_utf8();
                        while let Some(&(j, d)) = chars.peek() {
                            if !is_ident(d) {
                                break;
                            }
                            end = j + d.len_utf8();
                            chars.next();
                        }
                        found.push((line_of(base + i), group[i..end].to_string()));
                        expect_name = false;
                    }
                    _ => {}
                }
            }
        } else {
            let name: String = rest.chars().take_while(|&c| is_ident(c)).collect();
            if !name.is_empty() {
                found.push((line_of(start), name));
            }
        }
    }
    found
}

/// Checks one file (`rel` is its path under `src/`).
fn check_file(rel: &str, src: &str) -> Vec<Violation> {
    let Some(module) = module_of(rel) else {
        return Vec::new();
    };
    let violation = |line, message| Violation {
        file: format!("ike-core/src/{rel}"),
        line,
        message,
    };
    let Some(own) = layer(&module) else {
        return vec![violation(
            1,
            format!("crate-root module `{module}` has no layer in tests/layers.rs (LAYERS)"),
        )];
    };
    let mut out = Vec::new();
    for (line, target) in crate_paths(src) {
        if target == module {
            continue;
        }
        let Some(theirs) = layer(&target) else {
            // Not a module (a macro or an item of lib.rs): nothing to order.
            continue;
        };
        if theirs > own {
            out.push(violation(
                line,
                format!(
                    "`{module}` (layer {own}) imports `crate::{target}` (layer {theirs}), a \
                     higher layer"
                ),
            ));
        } else if theirs == own {
            out.push(violation(
                line,
                format!(
                    "`{module}` imports `crate::{target}` of its own layer {own}; move the \
                     shared part below both"
                ),
            ));
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn ike_core_layers_point_one_way() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(
        files.len() > 50,
        "too few sources found under {}",
        src.display()
    );
    let mut all = Vec::new();
    for f in &files {
        let rel = f.strip_prefix(&src).expect("under src").to_string_lossy();
        let text = std::fs::read_to_string(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        all.extend(check_file(&rel, &text));
    }
    let report: Vec<String> = all.iter().map(ToString::to_string).collect();
    assert!(
        report.is_empty(),
        "layering violations:\n{}",
        report.join("\n")
    );
}

#[test]
fn checker_finds_an_upward_use_line() {
    let v = check_file(
        "sa/fake.rs",
        "use std::fmt;\n\nuse crate::exchange::cert;\n",
    );
    assert_eq!(
        v,
        vec![Violation {
            file: "ike-core/src/sa/fake.rs".into(),
            line: 3,
            message: "`sa` (layer 7) imports `crate::exchange` (layer 8), a higher layer".into(),
        }]
    );
}

#[test]
fn checker_finds_inline_and_grouped_paths() {
    let src = "fn f() {\n    let x = crate::engine::Time::ZERO;\n}\nuse crate::{\n    ids,\n    \
               engine::{Event, Failure},\n};\n";
    let v = check_file("wire/fake.rs", src);
    let lines: Vec<(usize, bool)> = v
        .iter()
        .map(|v| (v.line, v.message.contains("crate::engine")))
        .collect();
    assert_eq!(lines, vec![(2, true), (6, true)]);
}

#[test]
fn checker_refuses_same_layer_and_unknown_modules() {
    let v = check_file("natt.rs", "use crate::crypto::Rng;\n");
    assert_eq!(v.len(), 1);
    assert!(v[0].message.contains("own layer"), "{}", v[0]);
    let v = check_file("newthing/mod.rs", "use crate::ids;\n");
    assert_eq!(v.len(), 1);
    assert!(v[0].message.contains("has no layer"), "{}", v[0]);
}

#[test]
fn checker_ignores_comments_downward_paths_and_lib_rs() {
    let src =
        "//! See [`crate::engine::Engine`].\nuse crate::wire::Message; // not crate::engine\n\
               let s = \"http://crate::engine\";\n";
    // The string literal is code: a path inside it is still read (conservative).
    let v = check_file("exchange/fake.rs", src);
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].line, 3);
    assert!(check_file("lib.rs", "pub mod engine;\nuse crate::engine::X;\n").is_empty());
    assert!(check_file("engine/x.rs", "use crate::sa::IkeSa;\nuse crate::ids;\n").is_empty());
}

/// Test modules share code only through `tests/common/` and `tests/forge/`: a test file pulled
/// in a second time with a path attribute would run its tests twice.
#[test]
fn no_test_file_is_included_into_another_test_binary() {
    let tests = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let needle = concat!("#[", "path");
    let mut files = Vec::new();
    rust_files(&tests, &mut files);
    let found: Vec<String> = files
        .iter()
        .filter(|f| {
            std::fs::read_to_string(f)
                .unwrap_or_else(|e| panic!("{}: {e}", f.display()))
                .contains(needle)
        })
        .map(|f| f.display().to_string())
        .collect();
    assert!(
        found.is_empty(),
        "move shared test code to tests/common/: {found:?}"
    );
}

/// The integration tests are one binary (`autotests = false`): a file in `tests/` that
/// `tests/main.rs` does not declare would silently never run.
#[test]
fn every_test_file_is_a_module_of_the_test_binary() {
    let tests = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let main = std::fs::read_to_string(tests.join("main.rs")).expect("tests/main.rs");
    let declared: Vec<&str> = main
        .lines()
        .filter_map(|l| l.strip_prefix("mod ")?.strip_suffix(';'))
        .collect();
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(&tests).expect("tests/") {
        let path = entry.expect("tests/ entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let module = if path.is_dir() {
            if !path.join("mod.rs").exists() {
                continue;
            }
            name.to_owned()
        } else if let Some(stem) = name.strip_suffix(".rs") {
            stem.to_owned()
        } else {
            continue;
        };
        if module != "main" && !declared.contains(&module.as_str()) {
            missing.push(module);
        }
    }
    assert!(missing.is_empty(), "declare in tests/main.rs: {missing:?}");
}
