//! The aws-lc-rs backed [`CryptoProvider`] (MODP via crypto-bigint).

use core::fmt;

use aws_lc_rs::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey, NONCE_LEN};
use aws_lc_rs::cipher::{
    self, DecryptingKey, DecryptionContext, EncryptingKey, EncryptionContext, UnboundCipherKey,
};
use aws_lc_rs::iv::FixedLength;
use aws_lc_rs::{digest, hmac};
use zeroize::Zeroizing;

use super::algorithms::{AesKeySize, Encr, HashAlg, KeGroup};
use super::dh::{EcKeyExchange, KeyExchange};
use super::error::CryptoError;
use super::mlkem::MlKemKeyExchange;
use super::modp::ModpKeyExchange;
use super::provider::{Aead, CbcCipher, CryptoProvider, HmacKey};
use super::rng::Rng;
use super::secret::{Secret, SharedSecret};
use super::signature::{self, PrivateKeyDer, SignatureScheme, SigningKey};

/// The crypto provider backed by aws-lc-rs.
#[derive(Debug, Default, Clone, Copy)]
pub struct AwsLcProvider;

/// The provider instance.
pub static AWS_LC_PROVIDER: AwsLcProvider = AwsLcProvider;

/// The default provider (aws-lc-rs).
pub fn default_provider() -> &'static dyn CryptoProvider {
    &AWS_LC_PROVIDER
}

fn hmac_alg(hash: HashAlg) -> hmac::Algorithm {
    match hash {
        HashAlg::Sha1 => hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
        HashAlg::Sha256 => hmac::HMAC_SHA256,
        HashAlg::Sha384 => hmac::HMAC_SHA384,
        HashAlg::Sha512 => hmac::HMAC_SHA512,
    }
}

fn digest_alg(hash: HashAlg) -> &'static digest::Algorithm {
    match hash {
        HashAlg::Sha1 => &digest::SHA1_FOR_LEGACY_USE_ONLY,
        HashAlg::Sha256 => &digest::SHA256,
        HashAlg::Sha384 => &digest::SHA384,
        HashAlg::Sha512 => &digest::SHA512,
    }
}

struct AwsHmac {
    hash: HashAlg,
    key: hmac::Key,
}

impl fmt::Debug for AwsHmac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HmacKey({})", self.hash)
    }
}

impl HmacKey for AwsHmac {
    fn hash(&self) -> HashAlg {
        self.hash
    }

    fn sign(&self, data: &[&[u8]]) -> Secret {
        let mut ctx = hmac::Context::with_key(&self.key);
        for part in data {
            ctx.update(part);
        }
        Secret::from_slice(ctx.sign().as_ref())
    }
}

struct AwsAead {
    encr: Encr,
    key: LessSafeKey,
    salt: [u8; 4],
}

impl fmt::Debug for AwsAead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Aead({})", self.encr)
    }
}

impl Drop for AwsAead {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.salt);
    }
}

impl AwsAead {
    fn nonce(&self, iv: &[u8]) -> Result<Nonce, CryptoError> {
        if iv.len() != 8 {
            return Err(CryptoError::InvalidKeyLength {
                expected: 8,
                actual: iv.len(),
            });
        }
        let mut n = [0u8; NONCE_LEN];
        let (salt, explicit) = n.split_at_mut(4);
        salt.copy_from_slice(&self.salt);
        explicit.copy_from_slice(iv);
        Ok(Nonce::assume_unique_for_key(n))
    }
}

impl Aead for AwsAead {
    fn encr(&self) -> Encr {
        self.encr
    }

    fn seal(&self, iv: &[u8], aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let nonce = self.nonce(iv)?;
        let mut buf = Vec::with_capacity(plaintext.len() + self.key.algorithm().tag_len());
        buf.extend_from_slice(plaintext);
        match self
            .key
            .seal_in_place_append_tag(nonce, Aad::from(aad), &mut buf)
        {
            Ok(()) => Ok(buf),
            Err(e) => {
                zeroize::Zeroize::zeroize(&mut buf);
                Err(e.into())
            }
        }
    }

    fn open(
        &self,
        iv: &[u8],
        aad: &[u8],
        ciphertext_and_tag: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let tag_len = self.key.algorithm().tag_len();
        if ciphertext_and_tag.len() < tag_len {
            return Err(CryptoError::TooShort {
                len: ciphertext_and_tag.len(),
                min: tag_len,
            });
        }
        let nonce = self.nonce(iv)?;
        let mut buf = Zeroizing::new(ciphertext_and_tag.to_vec());
        let plain_len = self
            .key
            .open_in_place(nonce, Aad::from(aad), &mut buf)
            .map_err(|_| CryptoError::IntegrityCheckFailed)?
            .len();
        buf.truncate(plain_len);
        Ok(buf)
    }
}

struct AwsCbc {
    encr: Encr,
    enc: EncryptingKey,
    dec: DecryptingKey,
}

impl fmt::Debug for AwsCbc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cbc({})", self.encr)
    }
}

fn iv16(iv: &[u8]) -> Result<[u8; 16], CryptoError> {
    iv.try_into().map_err(|_| CryptoError::InvalidKeyLength {
        expected: 16,
        actual: iv.len(),
    })
}

impl CbcCipher for AwsCbc {
    fn encr(&self) -> Encr {
        self.encr
    }

    fn encrypt(&self, iv: &[u8], buf: &mut [u8]) -> Result<(), CryptoError> {
        if !buf.len().is_multiple_of(16) {
            return Err(CryptoError::MisalignedCiphertext);
        }
        let ctx = EncryptionContext::Iv128(FixedLength::from(iv16(iv)?));
        self.enc.less_safe_encrypt(buf, ctx)?;
        Ok(())
    }

    fn decrypt(&self, iv: &[u8], buf: &mut [u8]) -> Result<(), CryptoError> {
        if !buf.len().is_multiple_of(16) {
            return Err(CryptoError::MisalignedCiphertext);
        }
        let ctx = DecryptionContext::Iv128(FixedLength::from(iv16(iv)?));
        self.dec.decrypt(buf, ctx)?;
        Ok(())
    }
}

fn check_len(expected: usize, actual: usize) -> Result<(), CryptoError> {
    if expected == actual {
        Ok(())
    } else {
        Err(CryptoError::InvalidKeyLength { expected, actual })
    }
}

impl CryptoProvider for AwsLcProvider {
    fn name(&self) -> &'static str {
        "aws-lc-rs"
    }

    fn is_fips(&self) -> bool {
        cfg!(feature = "fips")
    }

    fn supports_ke(&self, group: KeGroup) -> bool {
        !(group.is_modp() && self.is_fips())
    }

    fn start_ke(
        &self,
        group: KeGroup,
        rng: &mut dyn Rng,
    ) -> Result<Box<dyn KeyExchange>, CryptoError> {
        if group.is_modp() {
            Ok(Box::new(ModpKeyExchange::generate(group, rng)?))
        } else if group.is_kem() {
            Ok(Box::new(MlKemKeyExchange::generate(group)?))
        } else {
            Ok(Box::new(EcKeyExchange::generate(group, rng)?))
        }
    }

    fn ke_from_private(
        &self,
        group: KeGroup,
        private: &[u8],
    ) -> Result<Box<dyn KeyExchange>, CryptoError> {
        if group.is_modp() {
            Ok(Box::new(ModpKeyExchange::from_private(group, private)?))
        } else if group.is_kem() {
            Ok(Box::new(MlKemKeyExchange::from_private(group, private)?))
        } else {
            Ok(Box::new(EcKeyExchange::from_private(group, private)?))
        }
    }

    fn respond_ke(
        &self,
        group: KeGroup,
        peer_public: &[u8],
        rng: &mut dyn Rng,
    ) -> Result<(Vec<u8>, SharedSecret), CryptoError> {
        if group.is_kem() {
            return super::mlkem::encapsulate(group, peer_public);
        }
        let ke = self.start_ke(group, rng)?;
        let shared = ke.complete(peer_public)?;
        Ok((ke.public_value().to_vec(), shared))
    }

    fn hash(&self, alg: HashAlg, data: &[&[u8]]) -> Result<Vec<u8>, CryptoError> {
        let mut ctx = digest::Context::new(digest_alg(alg));
        for part in data {
            ctx.update(part);
        }
        Ok(ctx.finish().as_ref().to_vec())
    }

    fn hmac(&self, alg: HashAlg, key: &[u8]) -> Result<Box<dyn HmacKey>, CryptoError> {
        Ok(Box::new(AwsHmac {
            hash: alg,
            key: hmac::Key::new(hmac_alg(alg), key),
        }))
    }

    fn aead(&self, encr: Encr, keymat: &[u8]) -> Result<Box<dyn Aead>, CryptoError> {
        check_len(encr.keymat_len(), keymat.len())?;
        let alg: &'static aead::Algorithm = match encr {
            Encr::AesGcm16(AesKeySize::Aes128) => &aead::AES_128_GCM,
            Encr::AesGcm16(AesKeySize::Aes192) => &aead::AES_192_GCM,
            Encr::AesGcm16(AesKeySize::Aes256) => &aead::AES_256_GCM,
            Encr::ChaCha20Poly1305 => &aead::CHACHA20_POLY1305,
            Encr::AesCbc(_) => {
                return Err(CryptoError::Unsupported {
                    what: "AEAD",
                    id: u32::from(encr.iana_id()),
                })
            }
        };
        let (key, salt) = keymat
            .split_at_checked(encr.key_len())
            .ok_or(CryptoError::Internal)?;
        let salt: [u8; 4] = salt.try_into().map_err(|_| CryptoError::Internal)?;
        Ok(Box::new(AwsAead {
            encr,
            key: LessSafeKey::new(UnboundKey::new(alg, key)?),
            salt,
        }))
    }

    fn cbc(&self, encr: Encr, key: &[u8]) -> Result<Box<dyn CbcCipher>, CryptoError> {
        let alg: &'static cipher::Algorithm = match encr {
            Encr::AesCbc(AesKeySize::Aes128) => &cipher::AES_128,
            Encr::AesCbc(AesKeySize::Aes192) => &cipher::AES_192,
            Encr::AesCbc(AesKeySize::Aes256) => &cipher::AES_256,
            _ => {
                return Err(CryptoError::Unsupported {
                    what: "CBC cipher",
                    id: u32::from(encr.iana_id()),
                })
            }
        };
        check_len(encr.key_len(), key.len())?;
        Ok(Box::new(AwsCbc {
            encr,
            enc: EncryptingKey::cbc(UnboundCipherKey::new(alg, key)?)?,
            dec: DecryptingKey::cbc(UnboundCipherKey::new(alg, key)?)?,
        }))
    }

    fn load_private_key(&self, key: PrivateKeyDer<'_>) -> Result<Box<dyn SigningKey>, CryptoError> {
        signature::load_private_key(key)
    }

    fn verify_signature(
        &self,
        scheme: SignatureScheme,
        spki: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), CryptoError> {
        signature::verify_signature(scheme, spki, message, signature)
    }
}
