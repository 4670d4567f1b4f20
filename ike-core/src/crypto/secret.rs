//! Containers for secret bytes: zeroized on drop, compared in constant time, never printed.

use core::fmt;

use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// Secret key material (SKEYSEED, SK_*, KEYMAT parts, PRF outputs, PSK-derived keys).
///
/// The bytes are wiped when the value is dropped. `Debug` prints only the length. Equality
/// is constant-time.
#[derive(Clone, Default, Zeroize, ZeroizeOnDrop)]
pub struct Secret(Vec<u8>);

impl Secret {
    /// Wraps an owned buffer (its current allocation is the only copy that will be wiped).
    pub fn new(bytes: Vec<u8>) -> Self {
        Secret(bytes)
    }

    /// Copies a slice into a new secret buffer.
    pub fn from_slice(bytes: &[u8]) -> Self {
        let mut v = Vec::with_capacity(bytes.len());
        v.extend_from_slice(bytes);
        Secret(v)
    }

    /// The secret bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the secret is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Copies `len` bytes starting at `start` into a new secret; `None` if out of range.
    pub fn slice(&self, start: usize, len: usize) -> Option<Secret> {
        let end = start.checked_add(len)?;
        self.0.get(start..end).map(Secret::from_slice)
    }
}

impl AsRef<[u8]> for Secret {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret(<{} bytes redacted>)", self.0.len())
    }
}

impl ConstantTimeEq for Secret {
    fn ct_eq(&self, other: &Self) -> subtle::Choice {
        self.0.as_slice().ct_eq(other.0.as_slice())
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        bool::from(self.ct_eq(other))
    }
}

impl Eq for Secret {}

/// The output of a key exchange (g^ir): for MODP the big-endian value padded to the prime
/// length, for ECP the x coordinate (RFC 5903 §7), for Curve25519 the 32-byte X25519 output.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct SharedSecret(Secret);

impl SharedSecret {
    /// Wraps a secret value (used by key exchange implementations and tests).
    pub fn new(secret: Secret) -> Self {
        SharedSecret(secret)
    }

    /// Copies raw bytes into a shared secret.
    pub fn from_slice(bytes: &[u8]) -> Self {
        SharedSecret(Secret::from_slice(bytes))
    }

    /// The shared secret bytes (g^ir).
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the value is empty (never for a completed key exchange).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for SharedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SharedSecret(<{} bytes redacted>)", self.0.len())
    }
}
