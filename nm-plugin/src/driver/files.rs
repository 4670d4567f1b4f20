//! Reading the files a profile names (certificates, keys, CA bundles) with the right rights.
//!
//! `nm-ike-service` runs as root, but a *private* NetworkManager profile (one whose
//! `connection.permissions` lists users) is written by an unprivileged user, who could name any
//! file on the system as `leftcert` or `leftkey` and have root read it (CVE-2025-9615). Our
//! `.name` file therefore declares `supports-safe-private-file-access=true`, and for such
//! profiles every file is read by a short-lived child process that first drops to the user
//! (supplementary groups, gid, uid — in that order) and only then opens the file. When the
//! profile lists several users, every one of them must be able to read the file: any of them
//! may activate it, and the service cannot tell which one did.
//!
//! The child is this same program, found through `/proc/self/exe` ([`reader_program`]; never
//! through `PATH`), started with the hidden option `--read-private-file USER FILE` (see
//! [`reader_main`]). It reads its request from stdin (the kind of file, and for PKCS#12 the
//! password, which therefore never appears in argv or the environment), parses the file
//! itself ([`super::filetypes`]) and prints the DER in a simple framing: root never parses a
//! file a user controls. The child is killed after [`READ_TIMEOUT`] (a FIFO, a hung NFS
//! mount), and only regular files are read (a FIFO or device is refused before it is opened
//! for reading; opening uses `O_NONBLOCK`, and the type is checked again on the open file).
//! Symbolic links are followed: the child reads with the user's rights, so a link to a file
//! the user cannot read fails as the file itself would.

use super::filetypes::{self, FileKind, Parsed};
use crate::i18n::trf;
use ike_core::engine::SecretBytes;
use std::io::{Read, Write};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

/// The hidden option of `nm-ike-service` that runs the reader child.
pub const READER_OPTION: &str = "--read-private-file";

/// Files larger than this are refused (certificate bundles are far smaller).
pub const MAX_FILE: u64 = 8 * 1024 * 1024;

/// How long the reader child may take before it is killed.
pub const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Largest request (kind and PKCS#12 password) the child accepts on stdin.
const MAX_REQUEST: u64 = 64 * 1024;

/// The reader program: this executable, as `/proc/self/exe` names it (an absolute path; no
/// lookup through `PATH`).
pub fn reader_program() -> Result<PathBuf, String> {
    let p = std::fs::read_link("/proc/self/exe")
        .map_err(|e| format!("cannot find this program (/proc/self/exe): {e}"))?;
    if p.is_absolute() {
        Ok(p)
    } else {
        Err(format!("/proc/self/exe is not absolute: {}", p.display()))
    }
}

/// How files named in a profile are read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum FileAccess {
    /// With our own rights (system-wide profiles, `nm-ike` profiles).
    #[default]
    Direct,
    /// With the rights of each of these users (a private profile); every one must be able to
    /// read the file.
    AsUsers {
        /// The user names from `connection.permissions`.
        users: Vec<String>,
        /// The program to start as the reader (normally `nm-ike-service` itself, see
        /// [`reader_program`]); it must be an absolute path.
        reader: PathBuf,
    },
}

/// Why the reader child did not deliver.
#[derive(Debug)]
enum ChildError {
    /// It was killed after the timeout.
    TimedOut,
    /// The file could not be opened or read (or the child not started).
    Read(String),
    /// The file was read but is not what the key needs.
    Parse(String),
}

impl FileAccess {
    /// The access `connection.permissions` calls for: entries are `user:NAME:` (NetworkManager
    /// has no other kind); an empty list is a system-wide profile. An entry of another kind,
    /// or one without a name, is refused rather than read with root's rights.
    pub fn from_permissions(permissions: &[String], reader: PathBuf) -> Result<Self, String> {
        if permissions.is_empty() {
            return Ok(FileAccess::Direct);
        }
        let mut users = Vec::new();
        for p in permissions {
            let mut parts = p.splitn(3, ':');
            match (parts.next(), parts.next()) {
                (Some("user"), Some(name)) if valid_user_name(name) => {
                    if !users.iter().any(|u| u == name) {
                        users.push(name.to_string());
                    }
                }
                _ => {
                    return Err(trf(
                        "connection.permissions: {entry} is not a user:NAME: entry; cannot read the profile's files on behalf of its users",
                        &[("entry", &format!("{p:?}"))],
                    ))
                }
            }
        }
        Ok(FileAccess::AsUsers { users, reader })
    }

    /// The certificates in `path` (PEM or DER) for the profile key `key` (`leftcert`,
    /// `rightca`).
    pub fn read_certs(&self, key: &str, path: &Path) -> Result<Vec<Vec<u8>>, String> {
        Ok(self.read_parsed(FileKind::Certs, key, path, "")?.certs)
    }

    /// The certificate revocation lists in `path` (PEM or DER) for the profile key `key`
    /// (`rightcrl`).
    pub fn read_crls(&self, key: &str, path: &Path) -> Result<Vec<Vec<u8>>, String> {
        Ok(self.read_parsed(FileKind::Crls, key, path, "")?.certs)
    }

    /// The PKCS#8 private key in `path` (PEM or DER) for the profile key `key` (`leftkey`).
    pub fn read_key(&self, key: &str, path: &Path) -> Result<SecretBytes, String> {
        self.read_parsed(FileKind::Key, key, path, "")?
            .key
            .ok_or_else(|| format!("{key}: {}: no private key", path.display()))
    }

    /// Our chain (leaf first) and PKCS#8 key from the PKCS#12 file `path` (profile key `key`,
    /// normally `leftpkcs12`), opened with `password` (empty when unset).
    pub fn read_pkcs12(
        &self,
        key: &str,
        path: &Path,
        password: &str,
    ) -> Result<(Vec<Vec<u8>>, SecretBytes), String> {
        let p = self.read_parsed(FileKind::Pkcs12, key, path, password)?;
        match p.key {
            Some(k) if !p.certs.is_empty() => Ok((p.certs, k)),
            _ => Err(format!(
                "{key}: {}: no key with its certificate",
                path.display()
            )),
        }
    }

    /// Reads and parses `path` as `kind`. Errors name the key, the file and, for private
    /// profiles, the user who cannot read it.
    pub fn read_parsed(
        &self,
        kind: FileKind,
        key: &str,
        path: &Path,
        password: &str,
    ) -> Result<Parsed, String> {
        match self {
            FileAccess::Direct => {
                let bytes = read_limited(path).map_err(|e| read_error(key, path, &e))?;
                filetypes::parse(kind, &bytes, password)
                    .map_err(|e| format!("{key}: {}: {e}", path.display()))
            }
            FileAccess::AsUsers { users, reader } => {
                let mut request = Zeroizing::new(format!("{}\n", kind.word()).into_bytes());
                request.extend_from_slice(password.as_bytes());
                let mut first = None;
                for user in users {
                    let out = self.child_read(reader, user, key, path, &request, READ_TIMEOUT)?;
                    let parsed = filetypes::decode(&out)
                        .map_err(|e| format!("{key}: {}: {e}", path.display()))?;
                    first.get_or_insert(parsed);
                }
                first.ok_or_else(|| trf("{key}: the profile names no user", &[("key", &key)]))
            }
        }
    }

    /// Runs the reader child for one user, with errors worded for the user.
    fn child_read(
        &self,
        reader: &Path,
        user: &str,
        key: &str,
        path: &Path,
        request: &[u8],
        timeout: Duration,
    ) -> Result<Zeroizing<Vec<u8>>, String> {
        read_as(reader, user, path, request, timeout).map_err(|e| match e {
            ChildError::TimedOut => trf(
                "{key}: reading {file} as {user} timed out",
                &[("key", &key), ("file", &path.display()), ("user", &user)],
            ),
            ChildError::Parse(e) => format!("{key}: {}: {e}", path.display()),
            ChildError::Read(e) => trf(
                "{key}: {file} cannot be read by user {user}, to whom this private profile belongs ({error}); make the file readable by that user",
                &[("key", &key), ("file", &path.display()), ("user", &user), ("error", &e)],
            ),
        })
    }
}

fn read_error(key: &str, path: &Path, e: &std::io::Error) -> String {
    trf(
        "{key}: cannot read {file}: {error}",
        &[("key", &key), ("file", &path.display()), ("error", e)],
    )
}

/// A plausible login name (what `useradd` accepts, roughly): no path or option tricks.
fn valid_user_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('-')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '$'))
}

fn not_regular(path: &Path) -> std::io::Error {
    std::io::Error::other(trf(
        "{file} is not a regular file (a FIFO, device, socket or directory is never read)",
        &[("file", &path.display())],
    ))
}

/// Opens `path` for reading when it is a regular file: checked before opening (a FIFO would
/// block the open, a device could act on it), opened with `O_NONBLOCK` and `O_NOCTTY`, and
/// checked again on the open file (the name may have been swapped in between).
fn open_regular(path: &Path) -> std::io::Result<std::fs::File> {
    let ft = std::fs::metadata(path)?.file_type();
    if !ft.is_file() || ft.is_fifo() || ft.is_char_device() || ft.is_block_device() {
        return Err(not_regular(path));
    }
    let f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)?;
    if !f.metadata()?.file_type().is_file() {
        return Err(not_regular(path));
    }
    Ok(f)
}

fn read_limited(path: &Path) -> std::io::Result<Zeroizing<Vec<u8>>> {
    let f = open_regular(path)?;
    let mut buf = Zeroizing::new(Vec::new());
    f.take(MAX_FILE + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > MAX_FILE {
        return Err(std::io::Error::other(format!(
            "larger than {} MiB",
            MAX_FILE / 1024 / 1024
        )));
    }
    Ok(buf)
}

/// The locale of the service, so that the child's messages are in the user's language.
fn locale_env() -> Vec<(String, String)> {
    [
        "LANGUAGE",
        "LC_ALL",
        "LC_MESSAGES",
        "LANG",
        crate::i18n::LOCALEDIR_ENV,
    ]
    .iter()
    .filter_map(|k| std::env::var(k).ok().map(|v| (k.to_string(), v)))
    .collect()
}

/// Exit code of the child when the file was read but could not be parsed.
const EXIT_PARSE: i32 = 2;

/// Runs the reader child as `user` with `request` on its stdin and collects what it prints;
/// kills it after `timeout`.
fn read_as(
    reader: &Path,
    user: &str,
    path: &Path,
    request: &[u8],
    timeout: Duration,
) -> Result<Zeroizing<Vec<u8>>, ChildError> {
    if !reader.is_absolute() {
        return Err(ChildError::Read(format!(
            "the file reader {} is not an absolute path",
            reader.display()
        )));
    }
    let mut child = Command::new(reader)
        .arg(READER_OPTION)
        .arg(user)
        .arg(path)
        .env_clear()
        .envs(locale_env())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| ChildError::Read(format!("cannot start {}: {e}", reader.display())))?;
    if let Some(mut s) = child.stdin.take() {
        // Small (the request is bounded), so the pipe buffer takes it without blocking.
        let _ = s.write_all(request);
    }
    let (out_tx, out_rx) = std::sync::mpsc::channel();
    if let Some(mut s) = child.stdout.take() {
        std::thread::spawn(move || {
            let mut out = Zeroizing::new(Vec::new());
            let r = s.by_ref().take(2 * MAX_FILE + 1).read_to_end(&mut out);
            let _ = out_tx.send(r.map(|_| out));
        });
    }
    let (err_tx, err_rx) = std::sync::mpsc::channel();
    if let Some(mut s) = child.stderr.take() {
        std::thread::spawn(move || {
            let mut err = String::new();
            let _ = s.by_ref().take(4096).read_to_string(&mut err);
            let _ = err_tx.send(err);
        });
    }
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(st)) => break st,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                // Reaped in the background: a process stuck in the kernel (NFS) dies later.
                std::thread::spawn(move || child.wait());
                return Err(ChildError::TimedOut);
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => return Err(ChildError::Read(e.to_string())),
        }
    };
    let grace = deadline
        .saturating_duration_since(Instant::now())
        .max(Duration::from_secs(1));
    let out = match out_rx.recv_timeout(grace) {
        Ok(Ok(out)) => out,
        Ok(Err(e)) => return Err(ChildError::Read(e.to_string())),
        Err(_) => return Err(ChildError::TimedOut),
    };
    let err = err_rx
        .recv_timeout(Duration::from_secs(1))
        .unwrap_or_default();
    if !status.success() {
        let msg: String = err.trim().chars().filter(|c| !c.is_control()).collect();
        let msg = if msg.is_empty() {
            format!("the reader failed ({status})")
        } else {
            msg
        };
        return Err(if status.code() == Some(EXIT_PARSE) {
            ChildError::Parse(msg)
        } else {
            ChildError::Read(msg)
        });
    }
    if out.len() as u64 > 2 * MAX_FILE {
        return Err(ChildError::Read(format!(
            "larger than {} MiB",
            MAX_FILE / 1024 / 1024
        )));
    }
    Ok(out)
}

/// The reader child: drops to `user` for good, reads its request from stdin (a line with the
/// kind of file, then for PKCS#12 the password), reads `file` (a regular file only), parses
/// it ([`super::filetypes`]) and prints the framed DER on stdout. Returns the process exit
/// code: 0 on success, 1 when the file cannot be read, 2 when it cannot be parsed (the reason
/// is on stderr).
pub fn reader_main(user: &str, file: &Path) -> i32 {
    let fail = |code: i32, e: String| {
        eprintln!("{e}");
        code
    };
    if let Err(e) = drop_to(user) {
        return fail(1, e);
    }
    let mut request = Zeroizing::new(Vec::new());
    if let Err(e) = std::io::stdin()
        .lock()
        .take(MAX_REQUEST)
        .read_to_end(&mut request)
    {
        return fail(1, format!("reading the request: {e}"));
    }
    let (word, password) = match request.iter().position(|b| *b == b'\n') {
        Some(i) => (
            request.get(..i).unwrap_or_default(),
            request.get(i + 1..).unwrap_or_default(),
        ),
        None => (request.as_slice(), &[][..]),
    };
    let Ok(password) = std::str::from_utf8(password) else {
        return fail(1, "the password is not UTF-8".into());
    };
    let word = String::from_utf8_lossy(word);
    let bytes = match read_limited(file) {
        Ok(b) => b,
        Err(e) => return fail(1, e.to_string()),
    };
    let Some(kind) = FileKind::from_word(&word) else {
        return fail(1, format!("unknown request {word:?}"));
    };
    let framed = match filetypes::parse(kind, &bytes, password) {
        Ok(p) => filetypes::encode(&p),
        Err(e) => return fail(EXIT_PARSE, e),
    };
    match std::io::stdout().lock().write_all(&framed) {
        Ok(()) => 0,
        Err(e) => fail(1, e.to_string()),
    }
}

/// Switches all user and group ids (real, effective, saved) and the supplementary groups to
/// those of `user`, and checks that root cannot be regained.
fn drop_to(user: &str) -> Result<(), String> {
    use nix::unistd::{self, Gid, Uid, User};
    if !valid_user_name(user) {
        return Err(format!("{user:?} is not a user name"));
    }
    let u = User::from_name(user)
        .map_err(|e| format!("looking up user {user}: {e}"))?
        .ok_or_else(|| format!("there is no user {user}"))?;
    let cname = std::ffi::CString::new(user).map_err(|e| e.to_string())?;
    unistd::initgroups(&cname, u.gid).map_err(|e| format!("initgroups({user}): {e}"))?;
    unistd::setresgid(u.gid, u.gid, u.gid).map_err(|e| format!("setresgid: {e}"))?;
    unistd::setresuid(u.uid, u.uid, u.uid).map_err(|e| format!("setresuid: {e}"))?;
    if !u.uid.is_root() && (unistd::setuid(Uid::from_raw(0)).is_ok() || Gid::effective() != u.gid) {
        return Err("could not drop root rights".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn perms(p: &[&str]) -> Vec<String> {
        p.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn permissions_choose_the_access() {
        let r = PathBuf::from("/x/nm-ike-service");
        assert_eq!(
            FileAccess::from_permissions(&[], r.clone()),
            Ok(FileAccess::Direct)
        );
        assert_eq!(
            FileAccess::from_permissions(
                &perms(&["user:alice:", "user:bob:", "user:alice:"]),
                r.clone()
            ),
            Ok(FileAccess::AsUsers {
                users: vec!["alice".into(), "bob".into()],
                reader: r.clone()
            })
        );
        for bad in ["group:wheel:", "user::", "alice", "user:-rf:", "user:a/b:"] {
            let e = FileAccess::from_permissions(&perms(&[bad]), r.clone()).unwrap_err();
            assert!(e.contains("connection.permissions"), "{bad}: {e}");
        }
    }

    fn temp(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("nm-ike-files-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn fifo(dir: &Path) -> PathBuf {
        let f = dir.join("fifo");
        let st = Command::new("mkfifo").arg(&f).status().unwrap();
        assert!(st.success());
        f
    }

    #[test]
    fn non_regular_files_are_refused_without_blocking() {
        let dir = temp("fifo");
        let f = fifo(&dir);
        let t0 = Instant::now();
        let e = FileAccess::Direct.read_certs("rightca", &f).unwrap_err();
        assert!(e.contains("not a regular file"), "{e}");
        let e = FileAccess::Direct
            .read_key("leftkey", Path::new("/dev/null"))
            .unwrap_err();
        assert!(e.contains("not a regular file"), "{e}");
        let e = FileAccess::Direct.read_key("leftkey", &dir).unwrap_err();
        assert!(e.contains("not a regular file"), "{e}");
        assert!(t0.elapsed() < Duration::from_secs(2));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_hanging_reader_is_killed_after_the_timeout() {
        let dir = temp("hang");
        // A reader that never answers, as one blocked on a FIFO or a hung NFS mount would.
        let reader = dir.join("reader");
        std::fs::write(&reader, "#!/bin/sh\nexec sleep 30\n").unwrap();
        std::fs::set_permissions(&reader, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        let access = FileAccess::AsUsers {
            users: vec!["root".into()],
            reader: reader.clone(),
        };
        let f = fifo(&dir);
        let t0 = Instant::now();
        let e = access
            .child_read(
                &reader,
                "root",
                "leftkey",
                &f,
                b"key\n",
                Duration::from_millis(300),
            )
            .unwrap_err();
        assert!(t0.elapsed() < Duration::from_secs(5), "{:?}", t0.elapsed());
        assert_eq!(
            e,
            format!("leftkey: reading {} as root timed out", f.display())
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_reader_is_never_looked_up_through_path() {
        let access = FileAccess::AsUsers {
            users: vec!["root".into()],
            reader: PathBuf::from("nm-ike-service"),
        };
        let e = access
            .read_certs("leftcert", Path::new("/etc/hostname"))
            .unwrap_err();
        assert!(e.contains("not an absolute path"), "{e}");
        assert!(reader_program().unwrap().is_absolute());
    }

    #[test]
    fn direct_reads_parse_and_name_the_key_and_file() {
        let dir = temp("parse");
        let f = dir.join("garbage.pem");
        std::fs::write(
            &f,
            b"-----BEGIN CERTIFICATE-----\n%%%\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let e = FileAccess::Direct.read_certs("leftcert", &f).unwrap_err();
        assert!(
            e.starts_with(&format!("leftcert: {}: ", f.display())),
            "{e}"
        );
        std::fs::write(&f, b"not a key").unwrap();
        let e = FileAccess::Direct.read_key("leftkey", &f).unwrap_err();
        assert!(e.contains("neither PEM nor a DER"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn direct_reads_name_the_key_and_file() {
        let dir = std::env::temp_dir().join(format!("nm-ike-files-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("cert.der");
        std::fs::write(&f, b"abc").unwrap();
        let e = FileAccess::Direct.read_certs("leftcert", &f).unwrap_err();
        assert!(e.starts_with(&format!("leftcert: {}", f.display())), "{e}");
        let e = FileAccess::Direct
            .read_key("leftkey", &dir.join("missing"))
            .unwrap_err();
        assert!(
            e.starts_with("leftkey: cannot read ") && e.contains("missing"),
            "{e}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
