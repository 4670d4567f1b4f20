//! The files of a private profile are read and parsed by the reader child (the real
//! `nm-ike-service --read-private-file`), which returns DER (issue 11, item 10). Reading as
//! another user needs root; skipped otherwise.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use nm_plugin::driver::files::FileAccess;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/pkcs12")
        .join(name)
}

fn as_user(user: &str) -> Option<FileAccess> {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipped: reading as another user needs root");
        return None;
    }
    Some(FileAccess::AsUsers {
        users: vec![user.into()],
        reader: PathBuf::from(env!("CARGO_BIN_EXE_nm-ike-service")),
    })
}

fn temp(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nm-ike-private-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    dir
}

#[test]
fn the_child_returns_the_same_der_as_the_direct_path() {
    let Some(root) = as_user("root") else { return };
    let direct = FileAccess::Direct;
    for (f, certs) in [("client.crt", 1), ("ca.crt", 1)] {
        let a = root.read_certs("leftcert", &data(f)).unwrap();
        assert_eq!(a.len(), certs);
        assert_eq!(a, direct.read_certs("leftcert", &data(f)).unwrap());
    }
    for f in ["client.key", "client.key.der"] {
        let a = root.read_key("leftkey", &data(f)).unwrap();
        let b = direct.read_key("leftkey", &data(f)).unwrap();
        assert_eq!(a.expose(), b.expose());
        assert_eq!(a.expose().first(), Some(&0x30));
    }
    for f in ["client-aes.p12", "client-legacy.p12"] {
        let (chain, key) = root
            .read_pkcs12("leftpkcs12", &data(f), "p12-test-password")
            .unwrap();
        let (chain2, key2) = direct
            .read_pkcs12("leftpkcs12", &data(f), "p12-test-password")
            .unwrap();
        assert_eq!(chain, chain2);
        assert_eq!(key.expose(), key2.expose());
        let e = root
            .read_pkcs12("leftpkcs12", &data(f), "wrong")
            .unwrap_err();
        assert!(e.contains("leftkey-password"), "{e}");
        assert!(
            !e.contains("cannot be read by user"),
            "a parse error, not a read error: {e}"
        );
    }
}

#[test]
fn garbage_fifo_and_unreadable_files_are_clear_errors() {
    let Some(root) = as_user("root") else { return };
    let dir = temp("errors");
    let garbage = dir.join("garbage.pem");
    std::fs::write(
        &garbage,
        "-----BEGIN CERTIFICATE-----\n%%%\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let e = root.read_certs("leftcert", &garbage).unwrap_err();
    assert!(
        e.starts_with(&format!("leftcert: {}: ", garbage.display())),
        "{e}"
    );
    let fifo = dir.join("fifo");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let t0 = Instant::now();
    let e = root.read_key("leftkey", &fifo).unwrap_err();
    assert!(e.contains("not a regular file"), "{e}");
    assert!(t0.elapsed() < Duration::from_secs(5));
    // A root-only file is not readable by another user, even through the child.
    let secret = dir.join("secret.key");
    std::fs::copy(data("client.key"), &secret).unwrap();
    std::fs::set_permissions(&secret, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let nobody = as_user("nobody").unwrap();
    let e = nobody.read_key("leftkey", &secret).unwrap_err();
    assert!(e.contains("cannot be read by user nobody"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}
