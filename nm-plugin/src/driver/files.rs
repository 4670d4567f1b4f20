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
//! The child is this same program started with the hidden option
//! `--read-private-file USER FILE` (see [`reader_main`]); it writes the bytes to stdout.

use crate::i18n::trf;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use zeroize::Zeroizing;

/// The hidden option of `nm-ike-service` that runs the reader child.
pub const READER_OPTION: &str = "--read-private-file";

/// Files larger than this are refused (certificate bundles are far smaller).
pub const MAX_FILE: u64 = 8 * 1024 * 1024;

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
        /// The program to start as the reader (normally `nm-ike-service` itself).
        reader: PathBuf,
    },
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

    /// Reads `path` for the profile key `key`. Errors name the key, the file and, for private
    /// profiles, the user who cannot read it.
    pub fn read(&self, key: &str, path: &Path) -> Result<Zeroizing<Vec<u8>>, String> {
        match self {
            FileAccess::Direct => read_limited(path).map_err(|e| {
                trf(
                    "{key}: cannot read {file}: {error}",
                    &[("key", &key), ("file", &path.display()), ("error", &e)],
                )
            }),
            FileAccess::AsUsers { users, reader } => {
                let mut first: Option<Zeroizing<Vec<u8>>> = None;
                for user in users {
                    let bytes = read_as(reader, user, path).map_err(|e| {
                        trf(
                            "{key}: {file} cannot be read by user {user}, to whom this private profile belongs ({error}); make the file readable by that user",
                            &[("key", &key), ("file", &path.display()), ("user", user), ("error", &e)],
                        )
                    })?;
                    if first.is_none() {
                        first = Some(bytes);
                    }
                }
                first.ok_or_else(|| trf("{key}: the profile names no user", &[("key", &key)]))
            }
        }
    }
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

fn read_limited(path: &Path) -> std::io::Result<Zeroizing<Vec<u8>>> {
    let f = std::fs::File::open(path)?;
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

/// Runs the reader child as `user` and collects what it prints.
fn read_as(reader: &Path, user: &str, path: &Path) -> Result<Zeroizing<Vec<u8>>, String> {
    let mut child = Command::new(reader)
        .arg(READER_OPTION)
        .arg(user)
        .arg(path)
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", reader.display()))?;
    let mut out = Zeroizing::new(Vec::new());
    if let Some(mut s) = child.stdout.take() {
        s.by_ref()
            .take(MAX_FILE + 1)
            .read_to_end(&mut out)
            .map_err(|e| e.to_string())?;
    }
    let mut err = String::new();
    if let Some(mut s) = child.stderr.take() {
        let _ = s.by_ref().take(4096).read_to_string(&mut err);
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    if !status.success() {
        let msg = err.trim();
        return Err(if msg.is_empty() {
            format!("the reader failed ({status})")
        } else {
            msg.chars().filter(|c| !c.is_control()).collect()
        });
    }
    if out.len() as u64 > MAX_FILE {
        return Err(format!("larger than {} MiB", MAX_FILE / 1024 / 1024));
    }
    Ok(out)
}

/// The reader child: drops to `user` for good, then copies `file` to stdout. Returns the
/// process exit code (0 on success; the reason is on stderr otherwise).
pub fn reader_main(user: &str, file: &Path) -> i32 {
    match drop_to(user).and_then(|()| {
        let bytes = read_limited(file).map_err(|e| e.to_string())?;
        std::io::stdout()
            .lock()
            .write_all(&bytes)
            .map_err(|e| e.to_string())
    }) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("{e}");
            1
        }
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

    #[test]
    fn direct_reads_name_the_key_and_file() {
        let dir = std::env::temp_dir().join(format!("nm-ike-files-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("cert.pem");
        std::fs::write(&f, b"abc").unwrap();
        assert_eq!(
            FileAccess::Direct.read("leftcert", &f).unwrap().as_slice(),
            b"abc"
        );
        let e = FileAccess::Direct
            .read("leftkey", &dir.join("missing"))
            .unwrap_err();
        assert!(
            e.starts_with("leftkey: cannot read ") && e.contains("missing"),
            "{e}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
