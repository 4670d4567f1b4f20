//! Reqid blocks: which process owns which part of our kernel state.
//!
//! The owned reqid range (`0x4e4d0000`..=`0x4e4dffff`) is cut into [`BLOCKS`] blocks of
//! [`REQIDS_PER_BLOCK`]. Every process (one per NetworkManager connection, or one `nm-ike`
//! run) works in one block: its engine numbers Child SAs from the block's first reqid, its
//! routes carry the block number as their metric, its tunnel interface carries the block in
//! its alias. A process **claims** its block by holding an exclusive `flock` on
//! `<run dir>/net-<netns inode>/block-<N>.lock` for as long as it lives; the kernel drops the
//! lock when the process dies, even by SIGKILL. The lock file names the holder (`pid=`,
//! `process=`, and `connection=` once a connection runs, see [`describe_own`]) so that a
//! refusal can say who holds a block.
//!
//! A process that cannot lock any block (no usable run directory, or all [`BLOCKS`] taken)
//! gets an *unlocked* [`Claim`] that carries the reason: with it no kernel state may be
//! installed or cleaned ([`held`] refuses, so [`super::open_for_block`] and
//! [`super::clean_at_start`] fail with that reason). There is no fall back to a shared block.
//!
//! Residue cleanup at start ([`Cleaner`]) runs under one exclusive `cleanup.lock` (so two
//! starting processes do not clean at once) and dumps the kernel state without holding any
//! block lock; each object found is deleted only while the cleaner holds its block's lock
//! (taken just for that deletion), so a process starting meanwhile is never blocked for
//! long, never finds all blocks taken, and never loses state it installed (see
//! [`Cleaner::lock_dead`]). This is per network namespace (XFRM state and routes are per
//! netns, so the lock directory is too).

use crate::i18n::trf;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The first reqid of our range ("NM" in ASCII, `0x4e4d0000`); the range is the 65536 reqids
/// from here (see [`owned_reqids`]).
pub const REQID_BASE: u32 = 0x4e4d_0000;
/// Reqids per block.
pub const REQIDS_PER_BLOCK: u32 = 1024;
/// Number of blocks in the owned range.
pub const BLOCKS: u32 = 64;
/// Environment variable overriding the run directory (default `/run/nm-ike`).
pub const ENV_RUN_DIR: &str = "NM_IKE_RUN_DIR";
/// The lock file serializing residue cleanups.
pub const CLEANUP_LOCK: &str = "cleanup.lock";

/// The first reqid of `block`.
pub fn block_base(block: u32) -> u32 {
    REQID_BASE + (block % BLOCKS) * REQIDS_PER_BLOCK
}

/// The last reqid of `block`.
pub fn block_last(block: u32) -> u32 {
    block_base(block) + (REQIDS_PER_BLOCK - 1)
}

/// Every reqid of our range (all blocks).
pub fn owned_reqids() -> std::ops::RangeInclusive<u32> {
    REQID_BASE..=REQID_BASE | 0xffff
}

/// The block a process prefers: NetworkManager's `Connection_<n>` process prefers block
/// `n mod` [`BLOCKS`]; a process without a number (the single-process bus name, `nm-ike`)
/// prefers block 0.
pub fn preferred_block(connection: Option<u32>) -> u32 {
    connection.map_or(0, |n| n % BLOCKS)
}

/// The block of `reqid`, if it is in our range.
pub fn block_of_reqid(reqid: u32) -> Option<u32> {
    (reqid & 0xffff_0000 == REQID_BASE).then_some((reqid & 0xffff) / REQIDS_PER_BLOCK)
}

/// The blocks this process holds a lock on, with their lock files.
static HELD: Mutex<Vec<(u32, PathBuf)>> = Mutex::new(Vec::new());

fn held_blocks() -> std::sync::MutexGuard<'static, Vec<(u32, PathBuf)>> {
    HELD.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A claimed block: the lock is held while this value lives. An unlocked claim (no block
/// could be locked) carries the reason and allows no kernel state (see the module docs).
#[derive(Debug)]
pub struct Claim {
    /// The block (for an unlocked claim: the preferred one, which must not be used).
    pub block: u32,
    lock: Option<(File, PathBuf)>,
    failure: Option<String>,
}

impl Claim {
    /// Whether this process holds the block's lock.
    pub fn is_locked(&self) -> bool {
        self.lock.is_some()
    }

    /// Why no block could be locked (an unlocked claim).
    pub fn failure(&self) -> Option<&str> {
        self.failure.as_deref()
    }

    fn locked(block: u32, file: File, path: PathBuf) -> Claim {
        held_blocks().push((block, path.clone()));
        Claim {
            block,
            lock: Some((file, path)),
            failure: None,
        }
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        if let Some((_, path)) = &self.lock {
            let mut held = held_blocks();
            if let Some(i) = held.iter().position(|(b, p)| *b == self.block && p == path) {
                held.remove(i);
            }
        }
    }
}

/// The lock directory of this network namespace, created when missing.
pub fn lock_dir() -> Result<PathBuf, String> {
    let base = std::env::var_os(ENV_RUN_DIR)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/run/nm-ike"));
    let ino = std::fs::metadata("/proc/self/ns/net")
        .map_err(|e| format!("/proc/self/ns/net: {e}"))?
        .ino();
    let dir = base.join(format!("net-{ino}"));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(dir)
}

fn lock_path(dir: &Path, block: u32) -> PathBuf {
    dir.join(format!("block-{block}.lock"))
}

fn open_lock(path: &Path) -> Option<File> {
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(path)
        .ok()
}

fn try_lock(dir: &Path, block: u32) -> Option<(File, PathBuf)> {
    let path = lock_path(dir, block);
    let f = open_lock(&path)?;
    f.try_lock().ok()?;
    Some((f, path))
}

/// What the lock file of a block we hold says about us.
fn holder_text(extra: Option<&str>) -> String {
    let process = std::fs::read("/proc/self/cmdline")
        .map(|c| {
            c.split(|b| *b == 0)
                .filter(|a| !a.is_empty())
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default();
    let mut t = format!(
        "pid={}\nprocess={}\n",
        std::process::id(),
        one_line(&process)
    );
    if let Some(c) = extra {
        t.push_str(&format!("connection={}\n", one_line(c)));
    }
    t
}

fn one_line(s: &str) -> String {
    s.chars()
        .take(200)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn write_holder(f: &mut File, extra: Option<&str>) {
    let text = holder_text(extra);
    let _ = f.set_len(0);
    let _ = std::io::Seek::rewind(f);
    let _ = f.write_all(text.as_bytes());
}

/// Records the connection this process runs (its name or UUID) in the lock file of its block,
/// so that another connection refused because of it can name it.
pub fn describe_own(block: u32, connection: &str) {
    let path = held_blocks()
        .iter()
        .find(|(b, _)| *b == block)
        .map(|(_, p)| p.clone());
    if let Some(mut f) = path.as_deref().and_then(open_lock) {
        write_holder(&mut f, Some(connection));
    }
}

/// Who holds `block`, as its lock file says (`process 1234 (nm-ike-service --bus-name ...),
/// connection work`), if anything can be read.
pub fn holder_of(block: u32) -> Option<String> {
    let dir = lock_dir().ok()?;
    holder_in(&dir, block)
}

fn holder_in(dir: &Path, block: u32) -> Option<String> {
    let mut text = String::new();
    File::open(lock_path(dir, block))
        .ok()?
        .take(1024)
        .read_to_string(&mut text)
        .ok()?;
    let field = |k: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(k))
            .map(one_line)
            .filter(|v| !v.is_empty())
    };
    let mut parts = Vec::new();
    if let Some(pid) = field("pid=") {
        match field("process=") {
            Some(p) => parts.push(format!("process {pid} ({p})")),
            None => parts.push(format!("process {pid}")),
        }
    }
    if let Some(c) = field("connection=") {
        parts.push(format!("connection {c}"));
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// Claims `preferred`, or the first free block after it when a live process holds it. When
/// no block can be locked, the claim is unlocked and carries the reason (logged here); no
/// kernel state may then be installed (see the module documentation).
pub fn claim(preferred: u32) -> Claim {
    match try_claim(preferred) {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!("{e}");
            Claim {
                block: preferred % BLOCKS,
                lock: None,
                failure: Some(e),
            }
        }
    }
}

/// Claims `preferred` or the next free block; an error says why no block could be locked.
pub fn try_claim(preferred: u32) -> Result<Claim, String> {
    claim_in(lock_dir(), preferred)
}

fn claim_in(dir: Result<PathBuf, String>, preferred: u32) -> Result<Claim, String> {
    let preferred = preferred % BLOCKS;
    let dir = dir.map_err(|e| {
        trf(
            "no reqid block can be locked ({error}): the kernel state of this connection could not be told apart from another NetworkManager-ike connection's, so none is installed (the service must run as root with a writable /run)",
            &[("error", &e)],
        )
    })?;
    for i in 0..BLOCKS {
        let b = (preferred + i) % BLOCKS;
        if let Some((mut f, path)) = try_lock(&dir, b) {
            if b != preferred {
                tracing::info!("reqid block {preferred} is in use by another process; using {b}");
            }
            write_holder(&mut f, None);
            return Ok(Claim::locked(b, f, path));
        }
    }
    Err(trf(
        "all {count} reqid blocks are held by running NetworkManager-ike processes; disconnect one before starting another",
        &[("count", &BLOCKS)],
    ))
}

/// Checks that this process holds the lock of `block` (in this network namespace's lock
/// directory), which installing or cleaning kernel state requires. The error says why not.
pub fn held(block: u32) -> Result<(), String> {
    let dir = lock_dir().map_err(|e| {
        trf(
            "no reqid block can be locked ({error}): the kernel state of this connection could not be told apart from another NetworkManager-ike connection's, so none is installed (the service must run as root with a writable /run)",
            &[("error", &e)],
        )
    })?;
    held_in(&dir, block)
}

fn held_in(dir: &Path, block: u32) -> Result<(), String> {
    if held_blocks()
        .iter()
        .any(|(b, p)| *b == block && p.parent() == Some(dir))
    {
        return Ok(());
    }
    Err(trf(
        "this process holds no lock on reqid block {block}; refusing to touch kernel state another NetworkManager-ike connection may own",
        &[("block", &block)],
    ))
}

/// Whether a live process (this one included) holds `block`. When that cannot be known (no
/// lock directory) the answer is yes: callers refuse rather than take over.
pub fn block_is_live(block: u32) -> bool {
    match lock_dir() {
        Ok(dir) => live_in(&dir, block),
        Err(_) => true,
    }
}

fn live_in(dir: &Path, block: u32) -> bool {
    if held_blocks()
        .iter()
        .any(|(b, p)| *b == block && p.parent() == Some(dir))
    {
        return true;
    }
    try_lock(dir, block).is_none()
}

/// The lock of a dead block, held while a cleanup deletes one object of it (or no lock for
/// our own block, which we hold already).
#[derive(Debug)]
pub struct DeadBlock {
    /// The block.
    pub block: u32,
    _lock: Option<File>,
}

/// Residue cleanup in progress: holds `cleanup.lock` exclusively while it lives.
#[derive(Debug)]
pub struct Cleaner {
    dir: PathBuf,
    own: u32,
    _lock: File,
}

impl Cleaner {
    /// Starts a cleanup for the process that holds `own` (waits while another process
    /// cleans). Fails when `own` is not locked by this process.
    pub fn start(own: &Claim) -> Result<Cleaner, String> {
        let dir = match (&own.lock, &own.failure) {
            (Some((_, path)), _) => path
                .parent()
                .map(Path::to_path_buf)
                .ok_or_else(|| "bad lock path".to_string())?,
            (None, Some(f)) => return Err(f.clone()),
            (None, None) => return Err(held(own.block).err().unwrap_or_default()),
        };
        Self::start_in(dir, own.block)
    }

    fn start_in(dir: PathBuf, own: u32) -> Result<Cleaner, String> {
        let path = dir.join(CLEANUP_LOCK);
        let f = open_lock(&path).ok_or_else(|| format!("cannot open {}", path.display()))?;
        f.lock().map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(Cleaner { dir, own, _lock: f })
    }

    /// The lock of `block` when no live process holds it: the caller deletes the object it
    /// found (in a dump taken before) while holding it. Our own block counts as dead (what it
    /// holds was left by an earlier process; we install nothing before the cleanup ends).
    /// `None` for a block a live process holds.
    pub fn lock_dead(&self, block: u32) -> Option<DeadBlock> {
        if block >= BLOCKS {
            return None;
        }
        if block == self.own {
            return Some(DeadBlock { block, _lock: None });
        }
        let (f, _) = try_lock(&self.dir, block)?;
        Some(DeadBlock {
            block,
            _lock: Some(f),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("nm-ike-owner-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn blocks_and_reqids() {
        assert_eq!(block_base(0), REQID_BASE);
        assert_eq!(block_base(3), REQID_BASE + 3 * 1024);
        assert_eq!(block_of_reqid(REQID_BASE + 3 * 1024 + 5), Some(3));
        assert_eq!(block_of_reqid(REQID_BASE + 0xffff), Some(63));
        assert_eq!(block_of_reqid(7), None);
        assert_eq!(block_last(3), REQID_BASE + 4 * 1024 - 1);
        assert_eq!(block_last(BLOCKS - 1), *owned_reqids().end());
        assert_eq!(*owned_reqids().start(), block_base(0));
    }

    #[test]
    fn connection_n_prefers_block_n_mod_64() {
        assert_eq!(preferred_block(None), 0);
        assert_eq!(preferred_block(Some(0)), 0);
        assert_eq!(preferred_block(Some(3)), 3);
        assert_eq!(preferred_block(Some(67)), 3);
        // The whole range stays inside the 65536 reqids we own.
        assert!(owned_reqids().contains(&block_last(preferred_block(Some(63)))));
    }

    #[test]
    fn a_held_block_is_live_and_its_holder_is_named() {
        let dir = temp_dir("live");
        let d = || Ok(dir.clone());
        let a = claim_in(d(), 5).unwrap();
        assert_eq!(a.block, 5);
        assert!(a.is_locked());
        let b = claim_in(d(), 5).unwrap();
        assert_eq!(b.block, 6, "a second process gets the next free block");
        assert!(live_in(&dir, 5) && live_in(&dir, 6));
        assert!(!live_in(&dir, 7));
        let who = holder_in(&dir, 6).unwrap();
        assert!(
            who.contains(&format!("process {}", std::process::id())),
            "{who}"
        );
        describe_own(6, "office VPN");
        assert!(holder_in(&dir, 6)
            .unwrap()
            .contains("connection office VPN"));
        drop(b);
        assert!(!live_in(&dir, 6), "a dead process's block is free");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn no_fall_back_to_an_unlocked_block() {
        // No usable run directory: an error, not an unlocked shared block.
        let e = claim_in(Err("/run/nm-ike: read-only".into()), 3).unwrap_err();
        assert!(
            e.contains("read-only") && e.contains("no reqid block"),
            "{e}"
        );
        // Every block taken: an error too.
        let dir = temp_dir("full");
        let all: Vec<Claim> = (0..BLOCKS)
            .map(|b| claim_in(Ok(dir.clone()), b).unwrap())
            .collect();
        let e = claim_in(Ok(dir.clone()), 9).unwrap_err();
        assert!(e.contains("64 reqid blocks"), "{e}");
        drop(all);
        assert_eq!(claim_in(Ok(dir.clone()), 9).unwrap().block, 9);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_unlocked_claim_allows_no_kernel_state() {
        let c = Claim {
            block: 41,
            lock: None,
            failure: Some("no lock directory".into()),
        };
        assert!(!c.is_locked());
        assert_eq!(Cleaner::start(&c).unwrap_err(), "no lock directory");
        let dir = temp_dir("held");
        assert!(held_in(&dir, 41).is_err());
        let c = claim_in(Ok(dir.clone()), 42).unwrap();
        assert_eq!(c.block, 42);
        assert!(held_in(&dir, 42).is_ok());
        assert!(held_in(&dir, 43).is_err());
        drop(c);
        assert!(held_in(&dir, 42).is_err(), "dropping the claim releases it");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn cleanup_takes_one_lock_and_dead_blocks_only_briefly() {
        let dir = temp_dir("clean");
        let own = claim_in(Ok(dir.clone()), 10).unwrap();
        let live = claim_in(Ok(dir.clone()), 11).unwrap();
        let cleaner = Cleaner::start_in(dir.clone(), own.block).unwrap();
        // While the cleanup runs, a starting process still finds its preferred free block:
        // the cleaner holds no block lock between deletions.
        let starting = claim_in(Ok(dir.clone()), 12).unwrap();
        assert_eq!(starting.block, 12);
        assert!(
            cleaner.lock_dead(11).is_none(),
            "a live block is not cleaned"
        );
        assert!(
            cleaner.lock_dead(12).is_none(),
            "nor one claimed during the cleanup"
        );
        assert!(
            cleaner.lock_dead(10).is_some(),
            "our own block's residue is cleaned"
        );
        assert!(cleaner.lock_dead(BLOCKS).is_none());
        {
            let g = cleaner.lock_dead(13).unwrap();
            assert_eq!(g.block, 13);
            // While an object of block 13 is deleted, nobody can claim 13.
            assert_eq!(claim_in(Ok(dir.clone()), 13).unwrap().block, 14);
        }
        assert_eq!(claim_in(Ok(dir.clone()), 13).unwrap().block, 13);
        // A second cleanup waits for the first.
        let d2 = dir.clone();
        let t = std::thread::spawn(move || {
            let t0 = std::time::Instant::now();
            let _c = Cleaner::start_in(d2, 20).unwrap();
            t0.elapsed()
        });
        std::thread::sleep(std::time::Duration::from_millis(200));
        drop(cleaner);
        assert!(t.join().unwrap() >= std::time::Duration::from_millis(150));
        drop((own, live, starting));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
