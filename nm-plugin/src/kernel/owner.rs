//! Reqid blocks: which process owns which part of our kernel state.
//!
//! The owned reqid range (`0x4e4d0000`..=`0x4e4dffff`) is cut into [`BLOCKS`] blocks of
//! [`REQIDS_PER_BLOCK`]. Every process (one per NetworkManager connection, or one `nm-ike`
//! run) works in one block: its engine numbers Child SAs from the block's first reqid, its
//! routes carry the block number as their metric. A process **claims** its block by holding
//! an exclusive `flock` on `<run dir>/net-<netns inode>/block-<N>.lock` for as long as it
//! lives; the kernel drops the lock when the process dies, even by SIGKILL.
//!
//! Residue cleanup at start therefore removes exactly the state of blocks no live process
//! holds ([`dead_blocks`], whose locks stay held during the cleanup so no process can claim
//! such a block meanwhile), in this network namespace (XFRM state and routes are per netns,
//! so the lock directory is too). Without a usable run directory (not root, read-only /run)
//! a process cleans only its own block.

use super::REQID_BASE;
use std::fs::{File, OpenOptions};
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

/// Reqids per block.
pub const REQIDS_PER_BLOCK: u32 = 1024;
/// Number of blocks in the owned range.
pub const BLOCKS: u32 = 64;
/// Environment variable overriding the run directory (default `/run/nm-ike`).
pub const ENV_RUN_DIR: &str = "NM_IKE_RUN_DIR";

/// The first reqid of `block`.
pub fn block_base(block: u32) -> u32 {
    REQID_BASE + (block % BLOCKS) * REQIDS_PER_BLOCK
}

/// The block of `reqid`, if it is in our range.
pub fn block_of_reqid(reqid: u32) -> Option<u32> {
    (reqid & 0xffff_0000 == REQID_BASE).then_some((reqid & 0xffff) / REQIDS_PER_BLOCK)
}

/// A claimed block: the lock is held while this value lives.
#[derive(Debug)]
pub struct Claim {
    /// The block.
    pub block: u32,
    _lock: Option<File>,
}

fn lock_dir() -> Option<PathBuf> {
    let base = std::env::var_os(ENV_RUN_DIR)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/run/nm-ike"));
    let ino = std::fs::metadata("/proc/self/ns/net").ok()?.ino();
    let dir = base.join(format!("net-{ino}"));
    std::fs::create_dir_all(&dir).ok()?;
    Some(dir)
}

fn try_lock(dir: &std::path::Path, block: u32) -> Option<File> {
    let f = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(format!("block-{block}.lock")))
        .ok()?;
    f.try_lock().ok()?;
    Some(f)
}

/// Claims `preferred`, or the first free block after it when a live process holds it.
/// Without a lock directory the preferred block is used unlocked.
pub fn claim(preferred: u32) -> Claim {
    claim_in(lock_dir(), preferred)
}

fn claim_in(dir: Option<PathBuf>, preferred: u32) -> Claim {
    let preferred = preferred % BLOCKS;
    let Some(dir) = dir else {
        tracing::debug!("no lock directory: reqid block {preferred} used without a lock");
        return Claim {
            block: preferred,
            _lock: None,
        };
    };
    for i in 0..BLOCKS {
        let b = (preferred + i) % BLOCKS;
        if let Some(f) = try_lock(&dir, b) {
            if b != preferred {
                tracing::info!("reqid block {preferred} is in use by another process; using {b}");
            }
            return Claim {
                block: b,
                _lock: Some(f),
            };
        }
    }
    tracing::warn!("all {BLOCKS} reqid blocks are in use; sharing block {preferred}");
    Claim {
        block: preferred,
        _lock: None,
    }
}

/// The blocks no live process holds (their locks are held by the returned claims until they
/// are dropped). `own` is always included when it was claimed with a lock; without a lock
/// directory only `own` is returned.
pub fn dead_blocks(own: &Claim) -> Vec<Claim> {
    dead_blocks_in(lock_dir(), own)
}

fn dead_blocks_in(dir: Option<PathBuf>, own: &Claim) -> Vec<Claim> {
    let Some(dir) = dir else {
        return vec![Claim {
            block: own.block,
            _lock: None,
        }];
    };
    let mut out = vec![Claim {
        block: own.block,
        _lock: None,
    }];
    for b in (0..BLOCKS).filter(|b| *b != own.block) {
        if let Some(f) = try_lock(&dir, b) {
            out.push(Claim {
                block: b,
                _lock: Some(f),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_and_reqids() {
        assert_eq!(block_base(0), REQID_BASE);
        assert_eq!(block_base(3), REQID_BASE + 3 * 1024);
        assert_eq!(block_of_reqid(REQID_BASE + 3 * 1024 + 5), Some(3));
        assert_eq!(block_of_reqid(REQID_BASE + 0xffff), Some(63));
        assert_eq!(block_of_reqid(7), None);
    }

    #[test]
    fn a_held_block_is_not_dead() {
        let dir = std::env::temp_dir().join(format!("nm-ike-owner-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let d = || Some(dir.clone());
        let a = claim_in(d(), 5);
        assert_eq!(a.block, 5);
        let b = claim_in(d(), 5);
        assert_eq!(b.block, 6, "a second process gets the next free block");
        let dead: Vec<u32> = dead_blocks_in(d(), &a).iter().map(|c| c.block).collect();
        assert!(dead.contains(&5), "our own block is cleaned");
        assert!(!dead.contains(&6), "a live process's block is not");
        assert!(dead.contains(&7));
        drop(b);
        let dead: Vec<u32> = dead_blocks_in(d(), &a).iter().map(|c| c.block).collect();
        assert!(dead.contains(&6), "a dead process's block is cleaned");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
