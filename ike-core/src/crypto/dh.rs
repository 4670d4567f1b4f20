//! Key exchange: the [`KeyExchange`] trait and the elliptic-curve implementations
//! (ECP groups 19/20/21 per RFC 5903, Curve25519 per RFC 8031) on aws-lc-rs.
//!
//! Wire format of public values: ECP is x || y, each coordinate left-padded to the field
//! length, without the SEC1 0x04 prefix (RFC 5903 §7); Curve25519 is the 32-byte u-coordinate.
//! The shared secret of ECP is the x coordinate of the product; of Curve25519 the X25519
//! output, which must not be all zero (RFC 8031 §2.3).

use core::fmt;

use aws_lc_rs::agreement::{self, PrivateKey, UnparsedPublicKey};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::algorithms::KeGroup;
use super::error::CryptoError;
use super::rng::Rng;
use super::secret::SharedSecret;

/// An ephemeral key exchange in progress: holds our private value until dropped.
pub trait KeyExchange: Send + Sync + fmt::Debug {
    /// The group.
    fn group(&self) -> KeGroup;

    /// Our public value in the KE payload wire format (exactly `group().public_value_len()`).
    fn public_value(&self) -> &[u8];

    /// Computes g^ir from the peer's KE payload data.
    ///
    /// The peer value must have exactly the group's length (oversized or short values are
    /// rejected, cf. CVE-2023-41913) and be a valid group element: a point on the curve, or
    /// 1 < y < p-1 for MODP.
    ///
    /// # Errors
    /// [`CryptoError::InvalidPublicValue`], [`CryptoError::InvalidSharedSecret`].
    fn complete(&self, peer_public: &[u8]) -> Result<SharedSecret, CryptoError>;
}

/// ECDH or X25519 on aws-lc-rs.
pub(crate) struct EcKeyExchange {
    group: KeGroup,
    private: PrivateKey,
    public: Vec<u8>,
}

impl fmt::Debug for EcKeyExchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EcKeyExchange")
            .field("group", &self.group)
            .finish_non_exhaustive()
    }
}

fn algorithm(group: KeGroup) -> Result<&'static agreement::Algorithm, CryptoError> {
    match group {
        KeGroup::Ecp256 => Ok(&agreement::ECDH_P256),
        KeGroup::Ecp384 => Ok(&agreement::ECDH_P384),
        KeGroup::Ecp521 => Ok(&agreement::ECDH_P521),
        KeGroup::Curve25519 => Ok(&agreement::X25519),
        other => Err(CryptoError::Unsupported {
            what: "elliptic curve group",
            id: u32::from(other.iana_id()),
        }),
    }
}

/// Private scalar length in bytes.
fn private_len(group: KeGroup) -> usize {
    match group {
        KeGroup::Ecp521 => 66,
        KeGroup::Ecp384 => 48,
        _ => 32,
    }
}

impl EcKeyExchange {
    /// Draws a private scalar from `rng` (rejection sampling for the NIST curves, whose scalar
    /// must lie in [1, n-1]; X25519 clamps any 32 bytes).
    pub(crate) fn generate(group: KeGroup, rng: &mut dyn Rng) -> Result<Self, CryptoError> {
        let len = private_len(group);
        let mut buf = Zeroizing::new([0u8; 66]);
        let scalar = buf.get_mut(..len).ok_or(CryptoError::Internal)?;
        // For P-256/384 the chance that a uniform string is >= n is below 2^-32 per draw;
        // for P-521 the top byte is masked to 1 bit so about half the draws succeed.
        for _ in 0..128 {
            rng.fill(scalar)?;
            if group == KeGroup::Ecp521 {
                if let Some(top) = scalar.first_mut() {
                    *top &= 0x01;
                }
            }
            match Self::from_private(group, scalar) {
                Ok(kx) => return Ok(kx),
                Err(CryptoError::InvalidPrivateKey(_)) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(CryptoError::RngFailure)
    }

    /// Builds the exchange from a fixed private scalar (big-endian for ECP, raw for X25519).
    pub(crate) fn from_private(group: KeGroup, scalar: &[u8]) -> Result<Self, CryptoError> {
        let alg = algorithm(group)?;
        if scalar.len() != private_len(group) {
            return Err(CryptoError::InvalidKeyLength {
                expected: private_len(group),
                actual: scalar.len(),
            });
        }
        let private = PrivateKey::from_private_key(alg, scalar)
            .map_err(|_| CryptoError::InvalidPrivateKey("scalar out of range"))?;
        let public = private.compute_public_key()?;
        let public_bytes = public.as_ref();
        let public = if group == KeGroup::Curve25519 {
            public_bytes.to_vec()
        } else {
            // SEC1 uncompressed point: 0x04 || x || y.
            match public_bytes.split_first() {
                Some((0x04, xy)) => xy.to_vec(),
                _ => return Err(CryptoError::Internal),
            }
        };
        if public.len() != group.public_value_len() {
            return Err(CryptoError::Internal);
        }
        Ok(EcKeyExchange {
            group,
            private,
            public,
        })
    }
}

impl KeyExchange for EcKeyExchange {
    fn group(&self) -> KeGroup {
        self.group
    }

    fn public_value(&self) -> &[u8] {
        &self.public
    }

    fn complete(&self, peer_public: &[u8]) -> Result<SharedSecret, CryptoError> {
        let expected = self.group.public_value_len();
        if peer_public.len() != expected {
            return Err(CryptoError::InvalidPublicValue("wrong length"));
        }
        let alg = algorithm(self.group)?;
        let encoded: Vec<u8> = if self.group == KeGroup::Curve25519 {
            peer_public.to_vec()
        } else {
            let mut v = Vec::with_capacity(expected + 1);
            v.push(0x04);
            v.extend_from_slice(peer_public);
            v
        };
        let peer = UnparsedPublicKey::new(alg, &encoded);
        let secret = agreement::agree(
            &self.private,
            peer,
            CryptoError::InvalidPublicValue("not a valid point"),
            |raw| Ok(SharedSecret::from_slice(raw)),
        )?;
        if secret.len() != self.group.shared_secret_len() {
            return Err(CryptoError::InvalidSharedSecret);
        }
        // RFC 8031 §2.3: an all-zero X25519 result means a low-order point. (For the NIST
        // curves x = 0 is a legitimate coordinate.)
        let zero = vec![0u8; secret.len()];
        if self.group == KeGroup::Curve25519 && bool::from(secret.as_bytes().ct_eq(&zero)) {
            return Err(CryptoError::InvalidSharedSecret);
        }
        Ok(secret)
    }
}
