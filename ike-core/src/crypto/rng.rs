//! Injected randomness.
//!
//! The engine never calls a global RNG: nonces, SPIs, IVs and key exchange private values all
//! come from a [`Rng`] the caller passes in. Production uses [`SystemRng`]; tests use
//! [`DeterministicRng`] so that two engines in a simulation produce the same bytes every run.

use core::fmt;

use aws_lc_rs::hmac;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use zeroize::Zeroize;

use super::error::CryptoError;

/// A source of random bytes.
pub trait Rng {
    /// Fills `buf` completely with random bytes.
    ///
    /// # Errors
    /// [`CryptoError::RngFailure`] if the source could not deliver.
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), CryptoError>;
}

impl<R: Rng + ?Sized> Rng for &mut R {
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), CryptoError> {
        (**self).fill(buf)
    }
}

impl<R: Rng + ?Sized> Rng for Box<R> {
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), CryptoError> {
        (**self).fill(buf)
    }
}

/// The operating system's CSPRNG (via aws-lc-rs `SystemRandom`). Use this in production.
#[derive(Clone, Default)]
pub struct SystemRng(SystemRandom);

impl SystemRng {
    /// Creates a handle to the system RNG.
    pub fn new() -> Self {
        SystemRng(SystemRandom::new())
    }
}

impl fmt::Debug for SystemRng {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SystemRng")
    }
}

impl Rng for SystemRng {
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), CryptoError> {
        self.0.fill(buf).map_err(|_| CryptoError::RngFailure)
    }
}

/// A deterministic byte stream for tests and simulations: block *n* is
/// HMAC-SHA-256(seed, n as 8 big-endian bytes).
///
/// **Not for production**: anyone who knows the seed knows every "random" value.
pub struct DeterministicRng {
    key: hmac::Key,
    counter: u64,
    block: [u8; 32],
    used: usize,
}

impl DeterministicRng {
    /// Creates a stream from an arbitrary seed.
    pub fn new(seed: &[u8]) -> Self {
        DeterministicRng {
            key: hmac::Key::new(hmac::HMAC_SHA256, seed),
            counter: 0,
            block: [0; 32],
            used: 32,
        }
    }

    /// Creates a stream from a numeric seed (its 8 big-endian bytes).
    pub fn from_u64(seed: u64) -> Self {
        Self::new(&seed.to_be_bytes())
    }

    fn refill(&mut self) {
        let tag = hmac::sign(&self.key, &self.counter.to_be_bytes());
        self.block.copy_from_slice(tag.as_ref());
        self.counter = self.counter.wrapping_add(1);
        self.used = 0;
    }
}

impl fmt::Debug for DeterministicRng {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeterministicRng")
            .field("counter", &self.counter)
            .finish_non_exhaustive()
    }
}

impl Drop for DeterministicRng {
    fn drop(&mut self) {
        self.block.zeroize();
    }
}

impl Rng for DeterministicRng {
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), CryptoError> {
        for out in buf.iter_mut() {
            if self.used >= self.block.len() {
                self.refill();
            }
            *out = self.block.get(self.used).copied().unwrap_or(0);
            self.used += 1;
        }
        Ok(())
    }
}

/// An [`Rng`] that replays fixed bytes and then fails; for known-answer tests that must
/// control every random input exactly.
#[derive(Clone)]
pub struct FixedRng {
    bytes: Vec<u8>,
    pos: usize,
}

impl FixedRng {
    /// Replays `bytes` in order.
    pub fn new(bytes: &[u8]) -> Self {
        FixedRng {
            bytes: bytes.to_vec(),
            pos: 0,
        }
    }

    /// Bytes not consumed yet.
    pub fn remaining(&self) -> usize {
        self.bytes.len().saturating_sub(self.pos)
    }
}

impl fmt::Debug for FixedRng {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FixedRng")
            .field("remaining", &self.remaining())
            .finish()
    }
}

impl Drop for FixedRng {
    fn drop(&mut self) {
        self.bytes.zeroize();
    }
}

impl Rng for FixedRng {
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), CryptoError> {
        let end = self
            .pos
            .checked_add(buf.len())
            .ok_or(CryptoError::RngFailure)?;
        let src = self
            .bytes
            .get(self.pos..end)
            .ok_or(CryptoError::RngFailure)?;
        buf.copy_from_slice(src);
        self.pos = end;
        Ok(())
    }
}
