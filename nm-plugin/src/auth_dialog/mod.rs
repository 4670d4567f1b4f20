//! `nm-ike-auth-dialog`: NetworkManager's secret agents (GNOME Shell, nm-applet, nmcli) run
//! it to learn which secrets an IKE profile needs, and how to ask for them.
//!
//! Two protocols (see libnm's `nm_vpn_service_plugin_read_vpn_details` and
//! NetworkManager-libreswan's auth dialog):
//!
//! * **Normal mode**: arguments `-u UUID -n NAME -s SERVICE [-i] [-r] [-t HINT]...`; stdin
//!   carries the profile as `DATA_KEY=`/`DATA_VAL=`/`SECRET_KEY=`/`SECRET_VAL=` lines (a line
//!   starting with `=` continues the previous value on a new line) up to `DONE`. We answer with
//!   `key\nvalue\n` pairs and an empty line pair (`\n\n`), then wait up to 20 s for `QUIT`.
//!   This crate has no GUI toolkit: secrets already known are returned; a secret that would
//!   have to be asked for makes the dialog fail with a message saying so (agents with their own
//!   UI use the external mode).
//! * **External UI mode** (`--external-ui-mode`): we print a keyfile describing the prompt —
//!   `[VPN Plugin UI]` with `Version=2`, `Description`, `Title`, then one group per secret with
//!   `Value`, `Label`, `IsSecret`, `ShouldAsk` — and the agent asks the user itself.
//!
//! Which secrets: `pskvalue` for `authby=secret` (the default), `leftkey-password` for
//! certificate authentication when its flags say there is a password to give (agent-owned or
//! not saved), or when a hint names it. Secrets flagged "not required" are never asked for.
//! A secret is asked for when it is missing, when its flags say it is never saved, and on a
//! re-prompt (`-r`, after a failed login). Hints (`-t`) narrow the set to the secrets they
//! name; an `x-vpn-message:` hint becomes the prompt's description (the service sends the
//! failure's cause there).

use crate::i18n::{tr, trf};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, BufRead};

/// Secret flag: owned by a user agent.
pub const FLAG_AGENT_OWNED: u64 = 1;
/// Secret flag: never saved, asked for every time.
pub const FLAG_NOT_SAVED: u64 = 2;
/// Secret flag: not required.
pub const FLAG_NOT_REQUIRED: u64 = 4;

/// The hint prefix carrying a message for the user.
pub const HINT_MESSAGE: &str = "x-vpn-message:";

/// How long normal mode waits for `QUIT` after answering.
pub const QUIT_WAIT: std::time::Duration = std::time::Duration::from_secs(20);

/// The command line.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Args {
    /// `-u`: the connection's UUID.
    pub uuid: String,
    /// `-n`: the connection's name.
    pub name: String,
    /// `-s`: the VPN service type.
    pub service: String,
    /// `-i`: the user may be asked.
    pub allow_interaction: bool,
    /// `-r`: ask again (the previous secrets failed).
    pub retry: bool,
    /// `-t`: hints (secret names, `x-vpn-message:...`).
    pub hints: Vec<String>,
    /// `--external-ui-mode`.
    pub external_ui: bool,
}

/// Parses the arguments (without the program name). Unknown options are refused so mistakes
/// show; `--allow-interaction`, `--reprompt`, `--uuid`, `--name`, `--service` and `--hint` are
/// accepted as long forms.
pub fn parse_args<I: IntoIterator<Item = String>>(args: I) -> Result<Args, String> {
    let mut a = Args::default();
    let mut it = args.into_iter();
    while let Some(arg) = it.next() {
        let (opt, inline) = match arg.split_once('=') {
            Some((o, v)) if o.starts_with("--") => (o.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| -> Result<String, String> {
            inline
                .clone()
                .or_else(|| it.next())
                .ok_or_else(|| trf("The option {option} needs a value", &[("option", &name)]))
        };
        match opt.as_str() {
            "-u" | "--uuid" => a.uuid = value(&opt)?,
            "-n" | "--name" => a.name = value(&opt)?,
            "-s" | "--service" => a.service = value(&opt)?,
            "-t" | "--hint" => a.hints.push(value(&opt)?),
            "-i" | "--allow-interaction" => a.allow_interaction = true,
            "-r" | "--reprompt" => a.retry = true,
            "--external-ui-mode" => a.external_ui = true,
            other => return Err(trf("Unknown option {option}", &[("option", &other)])),
        }
    }
    if a.uuid.is_empty() || a.name.is_empty() || a.service.is_empty() {
        return Err(tr("The options -u UUID, -n NAME and -s SERVICE are required").to_string());
    }
    Ok(a)
}

/// The profile as NetworkManager writes it to our stdin.
#[derive(Default, Clone, PartialEq, Eq)]
pub struct Details {
    /// vpn.data.
    pub data: BTreeMap<String, String>,
    /// vpn.secrets known so far.
    pub secrets: BTreeMap<String, String>,
}

impl std::fmt::Debug for Details {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Details")
            .field("data", &self.data)
            .field("secrets", &self.secrets.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// Reads `DATA_KEY`/`DATA_VAL`/`SECRET_KEY`/`SECRET_VAL` lines up to `DONE` (or the end of
/// input). A line starting with `=` continues the previous key or value on a new line.
pub fn read_details<R: BufRead>(input: &mut R) -> io::Result<Details> {
    #[derive(Clone, Copy, PartialEq)]
    enum Field {
        DataKey,
        DataVal,
        SecretKey,
        SecretVal,
    }
    let mut d = Details::default();
    let mut current: Option<(Field, String)> = None;
    let mut key: Option<(bool, String)> = None;
    let finish =
        |cur: Option<(Field, String)>, key: &mut Option<(bool, String)>, d: &mut Details| {
            let Some((field, text)) = cur else { return };
            match field {
                Field::DataKey => *key = Some((false, text)),
                Field::SecretKey => *key = Some((true, text)),
                Field::DataVal | Field::SecretVal => {
                    let secret = field == Field::SecretVal;
                    if let Some((k_secret, k)) = key.take() {
                        if k_secret == secret && !k.is_empty() {
                            if secret {
                                d.secrets.insert(k, text);
                            } else {
                                d.data.insert(k, text);
                            }
                        }
                    }
                }
            }
        };
    let mut line = String::new();
    loop {
        line.clear();
        if input.read_line(&mut line)? == 0 {
            break;
        }
        let l = line.strip_suffix('\n').unwrap_or(&line);
        let l = l.strip_suffix('\r').unwrap_or(l);
        if l == "DONE" {
            break;
        }
        if let Some(more) = l.strip_prefix('=') {
            if let Some((_, text)) = current.as_mut() {
                text.push('\n');
                text.push_str(more);
            }
            continue;
        }
        let next = [
            ("DATA_KEY=", Field::DataKey),
            ("DATA_VAL=", Field::DataVal),
            ("SECRET_KEY=", Field::SecretKey),
            ("SECRET_VAL=", Field::SecretVal),
        ]
        .into_iter()
        .find_map(|(tag, f)| l.strip_prefix(tag).map(|v| (f, v.to_string())));
        if let Some(n) = next {
            finish(current.take(), &mut key, &mut d);
            current = Some(n);
        }
    }
    finish(current.take(), &mut key, &mut d);
    Ok(d)
}

/// One secret the prompt is about.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret {
    /// The vpn.secrets key.
    pub key: &'static str,
    /// The label shown next to the entry (translated).
    pub label: String,
    /// The value known so far ("" when none).
    pub value: String,
    /// The user must be asked.
    pub should_ask: bool,
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Secret")
            .field("key", &self.key)
            .field("label", &self.label)
            .field("has_value", &!self.value.is_empty())
            .field("should_ask", &self.should_ask)
            .finish()
    }
}

/// The prompt: what to show and which secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    /// Window title.
    pub title: String,
    /// Explanation (with the service's message from an `x-vpn-message:` hint).
    pub description: String,
    /// The secrets, in order.
    pub secrets: Vec<Secret>,
}

fn flags(d: &Details, key: &str) -> u64 {
    d.data
        .get(&format!("{key}-flags"))
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(0)
}

/// Works out the prompt from the arguments and the profile.
pub fn prompt(args: &Args, d: &Details) -> Prompt {
    let authby = d.data.get("authby").map_or("secret", |s| s.trim());
    let eap = d
        .data
        .get("leftauth")
        .is_some_and(|s| s.trim().starts_with("eap-"));
    let named: Vec<&str> = args
        .hints
        .iter()
        .map(String::as_str)
        .filter(|h| !h.starts_with("x-"))
        .collect();
    let message = args
        .hints
        .iter()
        .find_map(|h| h.strip_prefix(HINT_MESSAGE))
        .map(str::trim)
        .filter(|m| !m.is_empty());
    let mut candidates: Vec<(&'static str, String)> = Vec::new();
    let psk_label = || tr("Pre-shared key").to_string();
    let key_label = || tr("Private key password").to_string();
    let password_label = || match d.data.get("leftusername").map(|u| u.trim()) {
        Some(user) if !user.is_empty() => trf("Password of user “{user}”", &[("user", &user)]),
        _ => tr("Password").to_string(),
    };
    if named.is_empty() {
        if eap {
            candidates.push(("password", password_label()));
        } else if authby == "secret" {
            candidates.push(("pskvalue", psk_label()));
        } else if flags(d, "leftkey-password") & (FLAG_AGENT_OWNED | FLAG_NOT_SAVED) != 0
            || d.secrets.contains_key("leftkey-password")
        {
            candidates.push(("leftkey-password", key_label()));
        }
    } else {
        for n in named {
            match n {
                "pskvalue" => candidates.push(("pskvalue", psk_label())),
                "leftkey-password" => candidates.push(("leftkey-password", key_label())),
                "password" => candidates.push(("password", password_label())),
                _ => {}
            }
        }
    }
    let secrets = candidates
        .into_iter()
        .filter(|(key, _)| flags(d, key) & FLAG_NOT_REQUIRED == 0)
        .map(|(key, label)| {
            let value = d.secrets.get(key).cloned().unwrap_or_default();
            let should_ask = args.retry || value.is_empty() || flags(d, key) & FLAG_NOT_SAVED != 0;
            Secret {
                key,
                label,
                value,
                should_ask,
            }
        })
        .collect();
    let base = trf(
        "You need to authenticate to access the Virtual Private Network “{name}”.",
        &[("name", &args.name)],
    );
    Prompt {
        title: tr("Authenticate VPN").to_string(),
        description: match message {
            Some(m) => format!("{m}\n\n{base}"),
            None => base,
        },
        secrets,
    }
}

/// Escapes a value for a GLib keyfile (`\\`, `\n`, `\t`, `\r`, leading space).
pub fn keyfile_escape(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for (i, c) in v.chars().enumerate() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            ' ' if i == 0 => out.push_str("\\s"),
            c => out.push(c),
        }
    }
    out
}

/// The external UI keyfile.
pub fn external_ui(p: &Prompt) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "[VPN Plugin UI]");
    let _ = writeln!(out, "Version=2");
    let _ = writeln!(out, "Description={}", keyfile_escape(&p.description));
    let _ = writeln!(out, "Title={}", keyfile_escape(&p.title));
    for s in &p.secrets {
        let _ = writeln!(out);
        let _ = writeln!(out, "[{}]", s.key);
        let _ = writeln!(out, "Value={}", keyfile_escape(&s.value));
        let _ = writeln!(out, "Label={}", keyfile_escape(&s.label));
        let _ = writeln!(out, "IsSecret=true");
        let _ = writeln!(out, "ShouldAsk={}", s.should_ask);
    }
    out
}

/// The normal-mode answer: `key\nvalue\n` for every secret, then `\n\n`. Fails when a secret
/// would have to be asked for: this dialog has no user interface of its own.
pub fn normal_answer(args: &Args, p: &Prompt) -> Result<String, String> {
    let mut out = String::new();
    for s in &p.secrets {
        if s.should_ask {
            return Err(if args.allow_interaction {
                trf(
                    "The secret “{label}” ({key}) of “{name}” must be entered, but this dialog has no user interface: use an agent with its own prompt (nmcli --ask, GNOME Shell) or save the secret in the profile.",
                    &[("label", &s.label), ("key", &s.key), ("name", &args.name)],
                )
            } else {
                trf(
                    "The secret “{label}” ({key}) of “{name}” is needed, but asking for it is not allowed.",
                    &[("label", &s.label), ("key", &s.key), ("name", &args.name)],
                )
            });
        }
        if s.value.contains('\n') {
            return Err(trf(
                "The secret {key} contains a line break and cannot be passed on.",
                &[("key", &s.key)],
            ));
        }
        let _ = write!(out, "{}\n{}\n", s.key, s.value);
    }
    out.push_str("\n\n");
    Ok(out)
}

/// Waits (up to [`QUIT_WAIT`]) for a `QUIT` line on `input`; returns on it, at end of input or
/// on a read error.
pub fn wait_for_quit<R: BufRead + Send + 'static>(input: R) {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut input = input;
        let mut line = String::new();
        loop {
            line.clear();
            match input.read_line(&mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) if line.trim_end() == "QUIT" => break,
                Ok(_) => {}
            }
        }
        let _ = tx.send(());
    });
    let _ = rx.recv_timeout(QUIT_WAIT);
}

/// Runs the dialog: returns the text for stdout or a message for stderr.
pub fn run<R: BufRead>(args: &Args, input: &mut R) -> Result<String, String> {
    let details = read_details(input).map_err(|e| {
        trf(
            "Cannot read the connection details from NetworkManager: {error}",
            &[("error", &e)],
        )
    })?;
    let p = prompt(args, &details);
    if args.external_ui {
        Ok(external_ui(&p))
    } else {
        normal_answer(args, &p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(extra: &[&str]) -> Args {
        let mut v: Vec<String> = [
            "-u",
            "uuid-1",
            "-n",
            "office",
            "-s",
            "org.freedesktop.NetworkManager.ike",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        v.extend(extra.iter().map(|s| s.to_string()));
        parse_args(v).unwrap()
    }

    fn details(text: &str) -> Details {
        read_details(&mut text.as_bytes()).unwrap()
    }

    const PSK_SAVED: &str = "DATA_KEY=right\nDATA_VAL=gw.example.org\nDATA_KEY=pskvalue-flags\nDATA_VAL=0\nSECRET_KEY=pskvalue\nSECRET_VAL=s3cret\nDONE\nQUIT\n";

    #[test]
    fn parses_arguments() {
        let a = args(&[
            "-i",
            "-r",
            "-t",
            "pskvalue",
            "-t",
            "x-vpn-message:bad",
            "--external-ui-mode",
        ]);
        assert_eq!(a.uuid, "uuid-1");
        assert_eq!(a.name, "office");
        assert!(a.allow_interaction && a.retry && a.external_ui);
        assert_eq!(a.hints, vec!["pskvalue", "x-vpn-message:bad"]);
        let long = parse_args(
            [
                "--uuid=u",
                "--name",
                "n",
                "--service",
                "s",
                "--hint=pskvalue",
            ]
            .iter()
            .map(|s| s.to_string()),
        )
        .unwrap();
        assert_eq!(long.hints, vec!["pskvalue"]);
        assert!(parse_args(["-u", "u", "-n", "n"].iter().map(|s| s.to_string())).is_err());
        assert!(parse_args(
            ["-u", "u", "-n", "n", "-s", "s", "-x"]
                .iter()
                .map(|s| s.to_string())
        )
        .is_err());
        assert!(parse_args(["-u"].iter().map(|s| s.to_string())).is_err());
    }

    #[test]
    fn reads_details_with_continuations() {
        let d = details("DATA_KEY=right\nDATA_VAL=gw\nDATA_KEY=banner\nDATA_VAL=line1\n=line2\n=\nSECRET_KEY=pskvalue\nSECRET_VAL=a=b\nDONE\nDATA_KEY=ignored\nDATA_VAL=x\n");
        assert_eq!(d.data.get("right").map(String::as_str), Some("gw"));
        assert_eq!(
            d.data.get("banner").map(String::as_str),
            Some("line1\nline2\n")
        );
        assert_eq!(d.secrets.get("pskvalue").map(String::as_str), Some("a=b"));
        assert!(!d.data.contains_key("ignored"));
        assert!(!format!("{d:?}").contains("a=b"));
        // A value without its key, or a secret value after a data key, is dropped.
        let d = details("DATA_VAL=x\nDATA_KEY=k\nSECRET_VAL=v\nDONE\n");
        assert!(d.data.is_empty() && d.secrets.is_empty());
    }

    #[test]
    fn normal_mode_returns_saved_secrets() {
        let out = run(&args(&["-i"]), &mut PSK_SAVED.as_bytes()).unwrap();
        assert_eq!(out, "pskvalue\ns3cret\n\n\n");
    }

    #[test]
    fn normal_mode_fails_clearly_when_it_would_have_to_ask() {
        let missing = "DATA_KEY=right\nDATA_VAL=gw\nDONE\n";
        let e = run(&args(&["-i"]), &mut missing.as_bytes()).unwrap_err();
        assert!(e.contains("pskvalue") && e.contains("nmcli --ask"), "{e}");
        let e = run(&args(&[]), &mut missing.as_bytes()).unwrap_err();
        assert!(e.contains("not allowed"), "{e}");
        // A re-prompt always asks.
        assert!(run(&args(&["-i", "-r"]), &mut PSK_SAVED.as_bytes()).is_err());
        // Not required: nothing to return, nothing to ask.
        let nr = "DATA_KEY=pskvalue-flags\nDATA_VAL=4\nDONE\n";
        assert_eq!(run(&args(&["-i"]), &mut nr.as_bytes()).unwrap(), "\n\n");
    }

    #[test]
    fn external_ui_keyfile() {
        let input =
            "DATA_KEY=right\nDATA_VAL=gw\nDATA_KEY=pskvalue-flags\nDATA_VAL=2\nDONE\nQUIT\n";
        let out = run(
            &args(&[
                "--external-ui-mode",
                "-i",
                "-t",
                "pskvalue",
                "-t",
                "x-vpn-message:The gateway rejected our authentication.\nTry again.",
            ]),
            &mut input.as_bytes(),
        )
        .unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], "[VPN Plugin UI]");
        assert_eq!(lines[1], "Version=2");
        assert!(lines[2].starts_with("Description=The gateway rejected our authentication.\\nTry again.\\n\\nYou need to authenticate"), "{}", lines[2]);
        assert_eq!(lines[3], "Title=Authenticate VPN");
        assert_eq!(lines[4], "");
        assert_eq!(
            &lines[5..],
            [
                "[pskvalue]",
                "Value=",
                "Label=Pre-shared key",
                "IsSecret=true",
                "ShouldAsk=true"
            ]
        );
    }

    #[test]
    fn external_ui_saved_secret_is_not_asked_unless_reprompted() {
        let out = run(&args(&["--external-ui-mode"]), &mut PSK_SAVED.as_bytes()).unwrap();
        assert!(
            out.contains("Value=s3cret\n") && out.contains("ShouldAsk=false\n"),
            "{out}"
        );
        let out = run(
            &args(&["--external-ui-mode", "-r"]),
            &mut PSK_SAVED.as_bytes(),
        )
        .unwrap();
        assert!(out.contains("ShouldAsk=true\n"), "{out}");
    }

    #[test]
    fn certificate_key_password_only_when_flagged_or_hinted() {
        let cert = "DATA_KEY=authby\nDATA_VAL=rsasig\nDONE\n";
        let out = run(&args(&["--external-ui-mode"]), &mut cert.as_bytes()).unwrap();
        assert!(
            !out.contains("[leftkey-password]") && !out.contains("[pskvalue]"),
            "{out}"
        );
        let flagged =
            "DATA_KEY=authby\nDATA_VAL=rsasig\nDATA_KEY=leftkey-password-flags\nDATA_VAL=1\nDONE\n";
        let out = run(&args(&["--external-ui-mode"]), &mut flagged.as_bytes()).unwrap();
        assert!(out.contains("[leftkey-password]\nValue=\nLabel=Private key password\nIsSecret=true\nShouldAsk=true\n"), "{out}");
        let out = run(
            &args(&["--external-ui-mode", "-t", "leftkey-password"]),
            &mut cert.as_bytes(),
        )
        .unwrap();
        assert!(out.contains("[leftkey-password]"), "{out}");
        let not_required =
            "DATA_KEY=authby\nDATA_VAL=rsasig\nDATA_KEY=leftkey-password-flags\nDATA_VAL=5\nDONE\n";
        let out = run(
            &args(&["--external-ui-mode", "-t", "leftkey-password"]),
            &mut not_required.as_bytes(),
        )
        .unwrap();
        assert!(!out.contains("[leftkey-password]"), "{out}");
    }

    #[test]
    fn eap_password_is_asked_with_the_user_name() {
        let eap = "DATA_KEY=leftauth\nDATA_VAL=eap-mschapv2\nDATA_KEY=leftusername\nDATA_VAL=carol\nDONE\n";
        let out = run(&args(&["--external-ui-mode"]), &mut eap.as_bytes()).unwrap();
        assert!(
            out.contains("[password]\nValue=\nLabel=Password of user “carol”\nIsSecret=true\nShouldAsk=true\n"),
            "{out}"
        );
        assert!(!out.contains("[pskvalue]"), "{out}");
        // A re-prompt names the password and carries the cause.
        let out = run(
            &args(&[
                "--external-ui-mode",
                "-r",
                "-t",
                "password",
                "-t",
                "x-vpn-message:The gateway refused the user name or password",
            ]),
            &mut eap.as_bytes(),
        )
        .unwrap();
        assert!(
            out.contains("Description=The gateway refused the user name or password"),
            "{out}"
        );
        assert!(out.contains("[password]"), "{out}");
    }

    #[test]
    fn escapes_keyfile_values() {
        assert_eq!(keyfile_escape(" a\\b\nc\td"), "\\sa\\\\b\\nc\\td");
        assert_eq!(keyfile_escape("x y"), "x y");
    }

    #[test]
    fn waits_for_quit_or_end_of_input() {
        let t = std::time::Instant::now();
        wait_for_quit(io::Cursor::new(b"noise\nQUIT\n".to_vec()));
        wait_for_quit(io::Cursor::new(Vec::new()));
        assert!(t.elapsed() < std::time::Duration::from_secs(5));
    }
}
