//! Stateless COOKIE computation for the responder (RFC 7296 §2.6).

use std::net::{IpAddr, SocketAddr};

use aws_lc_rs::hmac;
use zeroize::Zeroizing;

use crate::crypto::{CryptoError, Rng};

/// Computes and checks cookies: `version | HMAC-SHA256(secret, Ni | IPi | SPIi)[..16]`.
pub struct CookieJar {
    secret: Zeroizing<[u8; 32]>,
    version: u8,
}

impl core::fmt::Debug for CookieJar {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CookieJar")
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

impl CookieJar {
    /// A jar with the given secret.
    pub fn new(secret: [u8; 32]) -> Self {
        CookieJar {
            secret: Zeroizing::new(secret),
            version: 0,
        }
    }

    /// A jar with a fresh random secret.
    ///
    /// # Errors
    /// [`CryptoError::RngFailure`] when `rng` cannot deliver: no jar is made (a zero or
    /// predictable secret would let anyone forge cookies).
    pub fn generate(rng: &mut dyn Rng) -> Result<Self, CryptoError> {
        let mut secret = Zeroizing::new([0u8; 32]);
        rng.fill(&mut secret[..])?;
        Ok(CookieJar { secret, version: 0 })
    }

    fn compute(&self, version: u8, nonce_i: &[u8], from: SocketAddr, spi_i: &[u8; 8]) -> Vec<u8> {
        let mut secret = Zeroizing::new([0u8; 33]);
        if let Some((first, rest)) = secret.split_first_mut() {
            *first = version;
            rest.copy_from_slice(&self.secret[..]);
        }
        let key = hmac::Key::new(hmac::HMAC_SHA256, &secret[..]);
        let mut ctx = hmac::Context::with_key(&key);
        ctx.update(nonce_i);
        match from.ip() {
            IpAddr::V4(a) => ctx.update(&a.octets()),
            IpAddr::V6(a) => ctx.update(&a.octets()),
        }
        ctx.update(spi_i);
        let tag = ctx.sign();
        let mut out = vec![version];
        out.extend(tag.as_ref().iter().take(16));
        out
    }

    /// The cookie to send to an initiator.
    pub fn make(&self, nonce_i: &[u8], from: SocketAddr, spi_i: &[u8; 8]) -> Vec<u8> {
        self.compute(self.version, nonce_i, from, spi_i)
    }

    /// Whether `cookie` is one we issued for these parameters (constant time).
    pub fn verify(&self, cookie: &[u8], nonce_i: &[u8], from: SocketAddr, spi_i: &[u8; 8]) -> bool {
        use subtle::ConstantTimeEq;
        let Some(&v) = cookie.first() else {
            return false;
        };
        if v != self.version {
            return false;
        }
        let expected = self.compute(v, nonce_i, from, spi_i);
        expected.len() == cookie.len() && bool::from(expected.as_slice().ct_eq(cookie))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_round_trip() {
        let jar = CookieJar::new([7; 32]);
        let a: SocketAddr = "192.0.2.1:500".parse().unwrap();
        let c = jar.make(b"nonce", a, &[42; 8]);
        assert!(jar.verify(&c, b"nonce", a, &[42; 8]));
        assert!(!jar.verify(&c, b"nonce", a, &[43; 8]));
        assert!(!jar.verify(&c, b"nonc3", a, &[42; 8]));
        assert!(!jar.verify(&[], b"nonce", a, &[42; 8]));
    }
}
