//! Finite-field Diffie-Hellman over the MODP groups of RFC 2409 and RFC 3526, generator 2.
//!
//! aws-lc-rs offers no FFDH, so the exponentiation uses crypto-bigint's constant-time
//! Montgomery `pow` (fixed 512-bit exponent window, independent of the exponent value).
//! Private exponents are 512 bits: at least twice the estimated strength of every group here
//! (RFC 3526 §8 puts MODP-4096 at 150-240 bits). MODP is refused in FIPS builds.
//!
//! The primes were checked when this file was written: computed from the formula above with
//! Python big integers (π by Machin's formula), compared with OpenSSL's `modp_1536` ..
//! `modp_4096` named groups, and tested to be safe primes.

use core::fmt;

use crypto_bigint::modular::{FixedMontyForm, FixedMontyParams};
use crypto_bigint::{EncodedUint, Encoding, Odd, Uint, U1024, U1536, U2048, U3072, U4096, U512};
use zeroize::Zeroizing;

use super::algorithms::KeGroup;
use super::dh::KeyExchange;
use super::error::CryptoError;
use super::rng::Rng;
use super::secret::{Secret, SharedSecret};

/// Private exponent length in bytes.
pub(crate) const EXPONENT_LEN: usize = 64;

/// RFC 2409 §6.2 (group 2): 2^1024 - 2^960 - 1 + 2^64 * ([2^894 pi] + k).
const P1024: U1024 = U1024::from_be_hex(concat!(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74",
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437",
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED",
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF",
));

/// RFC 3526 §2 (group 5): 2^1536 - 2^1472 - 1 + 2^64 * ([2^1406 pi] + k).
const P1536: U1536 = U1536::from_be_hex(concat!(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74",
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437",
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED",
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05",
    "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB",
    "9ED529077096966D670C354E4ABC9804F1746C08CA237327FFFFFFFFFFFFFFFF",
));

/// RFC 3526 §3 (group 14): 2^2048 - 2^1984 - 1 + 2^64 * ([2^1918 pi] + k).
const P2048: U2048 = U2048::from_be_hex(concat!(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74",
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437",
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED",
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05",
    "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB",
    "9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B",
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718",
    "3995497CEA956AE515D2261898FA051015728E5A8AACAA68FFFFFFFFFFFFFFFF",
));

/// RFC 3526 §4 (group 15): 2^3072 - 2^3008 - 1 + 2^64 * ([2^2942 pi] + k).
const P3072: U3072 = U3072::from_be_hex(concat!(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74",
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437",
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED",
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05",
    "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB",
    "9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B",
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718",
    "3995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33",
    "A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7",
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864",
    "D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E2",
    "08E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF",
));

/// RFC 3526 §5 (group 16): 2^4096 - 2^4032 - 1 + 2^64 * ([2^3966 pi] + k).
const P4096: U4096 = U4096::from_be_hex(concat!(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74",
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437",
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED",
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05",
    "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB",
    "9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B",
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718",
    "3995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33",
    "A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7",
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864",
    "D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E2",
    "08E24FA074E5AB3143DB5BFCE0FD108E4B82D120A92108011A723C12A787E6D7",
    "88719A10BDBA5B2699C327186AF4E23C1A946834B6150BDA2583E9CA2AD44CE8",
    "DBBBC2DB04DE8EF92E8EFC141FBECAA6287C59474E6BC05D99B2964FA090C3A2",
    "233BA186515BE7ED1F612970CEE2D7AFB81BDD762170481CD0069127D5B05AA9",
    "93B4EA988D8FDDC186FFB7DC90A6C08F4DF435C934063199FFFFFFFFFFFFFFFF",
));

/// A MODP key exchange in progress.
pub(crate) struct ModpKeyExchange {
    group: KeGroup,
    exponent: Secret,
    public: Vec<u8>,
}

impl fmt::Debug for ModpKeyExchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ModpKeyExchange")
            .field("group", &self.group)
            .finish_non_exhaustive()
    }
}

fn unsupported(group: KeGroup) -> CryptoError {
    CryptoError::Unsupported {
        what: "MODP group",
        id: u32::from(group.iana_id()),
    }
}

/// Refuses MODP when the crate is built for FIPS mode.
fn check_fips(group: KeGroup) -> Result<(), CryptoError> {
    if cfg!(feature = "fips") {
        Err(CryptoError::ModpRefusedInFips(group.iana_id()))
    } else {
        Ok(())
    }
}

/// Decodes exactly `Uint::<L>::BYTES` big-endian bytes.
fn decode<const L: usize>(bytes: &[u8]) -> Option<Uint<L>> {
    EncodedUint::<L>::try_from(bytes)
        .ok()
        .map(Uint::<L>::from_be_bytes)
}

/// base^exponent mod p, big-endian, padded to the prime length.
fn pow_mod<const L: usize>(
    p: &Uint<L>,
    base: &Uint<L>,
    exponent: &U512,
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let modulus = Odd::new(*p).into_option().ok_or(CryptoError::Internal)?;
    let params = FixedMontyParams::new_vartime(modulus);
    let mut form = FixedMontyForm::new(base, &params).pow(exponent);
    let mut value = Zeroizing::new(form.retrieve());
    zeroize::Zeroize::zeroize(&mut form);
    let bytes = Zeroizing::new(value.to_be_bytes());
    zeroize::Zeroize::zeroize(&mut *value);
    Ok(Zeroizing::new(bytes.as_ref().to_vec()))
}

fn public_value<const L: usize>(
    p: &Uint<L>,
    exponent: &U512,
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    pow_mod(p, &Uint::<L>::from_u64(2), exponent)
}

fn shared<const L: usize>(
    p: &Uint<L>,
    peer: &[u8],
    exponent: &U512,
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    if peer.len() != Uint::<L>::BYTES {
        return Err(CryptoError::InvalidPublicValue("wrong length"));
    }
    let y = decode::<L>(peer).ok_or(CryptoError::InvalidPublicValue("wrong length"))?;
    let p_minus_1 = p.wrapping_sub(&Uint::<L>::ONE);
    // Public values are public: variable-time comparisons are fine here.
    if y.cmp_vartime(&Uint::<L>::ONE).is_le() || y.cmp_vartime(&p_minus_1).is_ge() {
        return Err(CryptoError::InvalidPublicValue(
            "MODP value outside 1 < y < p-1",
        ));
    }
    pow_mod(p, &y, exponent)
}

fn exponent_from(bytes: &[u8]) -> Result<Zeroizing<U512>, CryptoError> {
    if bytes.is_empty() || bytes.len() > EXPONENT_LEN {
        return Err(CryptoError::InvalidPrivateKey(
            "MODP exponent must be 1..=64 bytes",
        ));
    }
    let mut padded = Zeroizing::new([0u8; EXPONENT_LEN]);
    padded
        .get_mut(EXPONENT_LEN - bytes.len()..)
        .ok_or(CryptoError::Internal)?
        .copy_from_slice(bytes);
    let x: Zeroizing<U512> = Zeroizing::new(decode(&padded[..]).ok_or(CryptoError::Internal)?);
    if x.cmp_vartime(&U512::ONE).is_le() {
        // 0 and 1 would make the public value trivial.
        return Err(CryptoError::InvalidPrivateKey("MODP exponent must be > 1"));
    }
    Ok(x)
}

impl ModpKeyExchange {
    /// Draws a 512-bit exponent from `rng`.
    pub(crate) fn generate(group: KeGroup, rng: &mut dyn Rng) -> Result<Self, CryptoError> {
        check_fips(group)?;
        let mut buf = Zeroizing::new([0u8; EXPONENT_LEN]);
        for _ in 0..16 {
            rng.fill(&mut buf[..])?;
            match Self::from_private(group, &buf[..]) {
                Err(CryptoError::InvalidPrivateKey(_)) => continue,
                other => return other,
            }
        }
        Err(CryptoError::RngFailure)
    }

    /// Builds the exchange from a fixed big-endian exponent (1..=64 bytes, value > 1).
    pub(crate) fn from_private(group: KeGroup, exponent: &[u8]) -> Result<Self, CryptoError> {
        check_fips(group)?;
        let x = exponent_from(exponent)?;
        let public = match group {
            KeGroup::Modp1024 => public_value(&P1024, &x)?,
            KeGroup::Modp1536 => public_value(&P1536, &x)?,
            KeGroup::Modp2048 => public_value(&P2048, &x)?,
            KeGroup::Modp3072 => public_value(&P3072, &x)?,
            KeGroup::Modp4096 => public_value(&P4096, &x)?,
            other => return Err(unsupported(other)),
        };
        if public.len() != group.public_value_len() {
            return Err(CryptoError::Internal);
        }
        Ok(ModpKeyExchange {
            group,
            exponent: Secret::from_slice(exponent),
            public: public.to_vec(),
        })
    }
}

impl KeyExchange for ModpKeyExchange {
    fn group(&self) -> KeGroup {
        self.group
    }

    fn public_value(&self) -> &[u8] {
        &self.public
    }

    fn complete(&self, peer_public: &[u8]) -> Result<SharedSecret, CryptoError> {
        check_fips(self.group)?;
        let x = exponent_from(self.exponent.as_bytes())?;
        let secret = match self.group {
            KeGroup::Modp1024 => shared(&P1024, peer_public, &x)?,
            KeGroup::Modp1536 => shared(&P1536, peer_public, &x)?,
            KeGroup::Modp2048 => shared(&P2048, peer_public, &x)?,
            KeGroup::Modp3072 => shared(&P3072, peer_public, &x)?,
            KeGroup::Modp4096 => shared(&P4096, peer_public, &x)?,
            other => return Err(unsupported(other)),
        };
        Ok(SharedSecret::from_slice(&secret))
    }
}

/// The prime of a MODP group, big-endian (for tests and diagnostics).
pub fn modp_prime(group: KeGroup) -> Option<Vec<u8>> {
    let bytes = match group {
        KeGroup::Modp1024 => P1024.to_be_bytes().as_ref().to_vec(),
        KeGroup::Modp1536 => P1536.to_be_bytes().as_ref().to_vec(),
        KeGroup::Modp2048 => P2048.to_be_bytes().as_ref().to_vec(),
        KeGroup::Modp3072 => P3072.to_be_bytes().as_ref().to_vec(),
        KeGroup::Modp4096 => P4096.to_be_bytes().as_ref().to_vec(),
        _ => return None,
    };
    Some(bytes)
}
