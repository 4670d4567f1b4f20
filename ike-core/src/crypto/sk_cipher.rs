//! Protection of the Encrypted (SK) and Encrypted Fragment (SKF) payload bodies.
//!
//! Body layout (RFC 7296 §3.14): `IV | ciphertext(inner payloads | Padding | Pad Length) | ICV`.
//!
//! The caller passes `aad` = the message bytes from the first octet of the IKE header up to and
//! including the SK (or SKF) generic payload header, with every length field already final
//! (use [`SkCipher::body_len`] to compute them before encrypting):
//! - AEAD (AES-GCM-16 per RFC 5282 §5, ChaCha20-Poly1305 per RFC 7634 §3): `aad` is the
//!   associated data; the ICV is the AEAD tag; nonce = salt (last 4 bytes of SK_e) || IV.
//! - AES-CBC + HMAC: the ICV is the truncated HMAC over `aad || IV || ciphertext`, which is the
//!   whole message except the ICV (RFC 7296 §3.14); it is checked in constant time before
//!   anything is decrypted.
//!
//! So for both kinds the wire layer does the same thing: `message = aad || encrypt(...)` and
//! `plaintext = decrypt(aad, body)`.

use core::fmt;

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::algorithms::{Encr, Integ};
use super::error::CryptoError;
use super::provider::{Aead, CbcCipher, CryptoProvider, HmacKey};
use super::rng::Rng;

/// Sizes of the SK payload body for one cipher suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SkLayout {
    /// Encryption transform.
    pub encr: Encr,
    /// Integrity transform (`None` for AEAD).
    pub integ: Option<Integ>,
}

impl SkLayout {
    /// Creates the layout; fails when AEAD and INTEG are mixed wrongly.
    ///
    /// # Errors
    /// [`CryptoError::Unsupported`] for AEAD with INTEG or CBC without INTEG.
    pub fn new(encr: Encr, integ: Option<Integ>) -> Result<Self, CryptoError> {
        if encr.is_aead() != integ.is_none() {
            return Err(CryptoError::Unsupported {
                what: "ENCR/INTEG combination",
                id: u32::from(encr.iana_id()),
            });
        }
        Ok(SkLayout { encr, integ })
    }

    /// IV length at the start of the body.
    pub fn iv_len(&self) -> usize {
        self.encr.iv_len()
    }

    /// ICV length at the end of the body.
    pub fn icv_len(&self) -> usize {
        match self.integ {
            Some(i) => i.icv_len(),
            None => self.encr.icv_len(),
        }
    }

    /// Number of Padding bytes (not counting the Pad Length byte) for a plaintext length.
    pub fn padding_len(&self, plaintext_len: usize) -> usize {
        let align = self.encr.pad_alignment();
        let rem = (plaintext_len + 1) % align;
        if rem == 0 {
            0
        } else {
            align - rem
        }
    }

    /// Length of the encrypted part (plaintext + padding + pad length byte).
    pub fn ciphertext_len(&self, plaintext_len: usize) -> usize {
        plaintext_len + self.padding_len(plaintext_len) + 1
    }

    /// Total body length (IV + ciphertext + ICV) for a plaintext length: what follows the
    /// 4-byte SK generic payload header.
    pub fn body_len(&self, plaintext_len: usize) -> usize {
        self.iv_len() + self.ciphertext_len(plaintext_len) + self.icv_len()
    }

    /// Bytes added around the plaintext in the worst case (IV + ICV + maximal padding + 1);
    /// useful for fragmentation (RFC 7383) budgets.
    pub fn max_overhead(&self) -> usize {
        self.iv_len() + self.icv_len() + self.encr.pad_alignment()
    }

    /// Largest plaintext that fits in a body of at most `body_len` bytes.
    pub fn max_plaintext_len(&self, body_len: usize) -> usize {
        let Some(ct) = body_len.checked_sub(self.iv_len() + self.icv_len()) else {
            return 0;
        };
        let align = self.encr.pad_alignment();
        let ct = ct - ct % align;
        ct.saturating_sub(1)
    }

    /// Smallest body that can be valid.
    pub fn min_body_len(&self) -> usize {
        self.iv_len() + self.encr.pad_alignment().max(1) + self.icv_len()
    }
}

enum Inner {
    Aead(Box<dyn Aead>),
    Cbc {
        cipher: Box<dyn CbcCipher>,
        mac: Box<dyn HmacKey>,
    },
}

/// Encrypts and decrypts SK payload bodies for one direction of an IKE SA.
pub struct SkCipher {
    layout: SkLayout,
    inner: Inner,
}

impl fmt::Debug for SkCipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SkCipher")
            .field("encr", &self.layout.encr)
            .field("integ", &self.layout.integ)
            .finish_non_exhaustive()
    }
}

impl SkCipher {
    /// Creates the cipher for one direction from SK_e (key || salt for AEAD) and SK_a (empty
    /// for AEAD).
    ///
    /// # Errors
    /// [`CryptoError::InvalidKeyLength`], [`CryptoError::Unsupported`].
    pub fn new(
        provider: &dyn CryptoProvider,
        encr: Encr,
        integ: Option<Integ>,
        encr_keymat: &[u8],
        integ_key: &[u8],
    ) -> Result<Self, CryptoError> {
        let layout = SkLayout::new(encr, integ)?;
        if encr_keymat.len() != encr.keymat_len() {
            return Err(CryptoError::InvalidKeyLength {
                expected: encr.keymat_len(),
                actual: encr_keymat.len(),
            });
        }
        let inner = match integ {
            None => {
                if !integ_key.is_empty() {
                    return Err(CryptoError::InvalidKeyLength {
                        expected: 0,
                        actual: integ_key.len(),
                    });
                }
                Inner::Aead(provider.aead(encr, encr_keymat)?)
            }
            Some(integ) => {
                if integ_key.len() != integ.key_len() {
                    return Err(CryptoError::InvalidKeyLength {
                        expected: integ.key_len(),
                        actual: integ_key.len(),
                    });
                }
                Inner::Cbc {
                    cipher: provider.cbc(encr, encr_keymat)?,
                    mac: provider.hmac(integ.hash(), integ_key)?,
                }
            }
        };
        Ok(SkCipher { layout, inner })
    }

    /// The body layout.
    pub fn layout(&self) -> SkLayout {
        self.layout
    }

    /// Body length for a plaintext length (see [`SkLayout::body_len`]).
    pub fn body_len(&self, plaintext_len: usize) -> usize {
        self.layout.body_len(plaintext_len)
    }

    /// Encrypts `plaintext` (the inner payloads) into a complete body
    /// `IV | ciphertext | ICV` of exactly `body_len(plaintext.len())` bytes. The IV comes
    /// from `rng`; padding bytes are zero and minimal.
    ///
    /// # Errors
    /// [`CryptoError::RngFailure`], [`CryptoError::Internal`].
    pub fn encrypt(
        &self,
        aad: &[u8],
        plaintext: &[u8],
        rng: &mut dyn Rng,
    ) -> Result<Vec<u8>, CryptoError> {
        let layout = self.layout;
        let pad = layout.padding_len(plaintext.len());
        let ct_len = layout.ciphertext_len(plaintext.len());
        let mut iv = [0u8; 16];
        let iv = iv.get_mut(..layout.iv_len()).ok_or(CryptoError::Internal)?;
        rng.fill(iv)?;
        let mut body = Vec::with_capacity(layout.body_len(plaintext.len()));
        body.extend_from_slice(iv);
        match &self.inner {
            Inner::Aead(aead) => {
                let mut buf = Zeroizing::new(Vec::with_capacity(ct_len));
                buf.extend_from_slice(plaintext);
                buf.resize(plaintext.len() + pad, 0);
                buf.push(pad as u8);
                let sealed = aead.seal(iv, aad, &buf)?;
                body.extend_from_slice(&sealed);
            }
            Inner::Cbc { cipher, mac } => {
                let start = body.len();
                body.extend_from_slice(plaintext);
                body.resize(start + plaintext.len() + pad, 0);
                body.push(pad as u8);
                let ct = body.get_mut(start..).ok_or(CryptoError::Internal)?;
                if let Err(e) = cipher.encrypt(iv, ct) {
                    zeroize::Zeroize::zeroize(&mut body);
                    return Err(e);
                }
                let tag = mac.sign(&[aad, &body]);
                let icv = tag
                    .as_bytes()
                    .get(..layout.icv_len())
                    .ok_or(CryptoError::Internal)?;
                body.extend_from_slice(icv);
            }
        }
        if body.len() != layout.body_len(plaintext.len()) {
            return Err(CryptoError::Internal);
        }
        Ok(body)
    }

    /// Verifies and decrypts a body, returning the inner payloads without padding.
    ///
    /// # Errors
    /// [`CryptoError::TooShort`], [`CryptoError::MisalignedCiphertext`],
    /// [`CryptoError::IntegrityCheckFailed`], [`CryptoError::InvalidPadding`]. Never panics on
    /// any input.
    pub fn decrypt(&self, aad: &[u8], body: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let layout = self.layout;
        let min = layout.min_body_len();
        if body.len() < min {
            return Err(CryptoError::TooShort {
                len: body.len(),
                min,
            });
        }
        let (iv, rest) = body
            .split_at_checked(layout.iv_len())
            .ok_or(CryptoError::Internal)?;
        let mut plain = match &self.inner {
            Inner::Aead(aead) => aead.open(iv, aad, rest)?,
            Inner::Cbc { cipher, mac } => {
                let ct_len = rest
                    .len()
                    .checked_sub(layout.icv_len())
                    .ok_or(CryptoError::Internal)?;
                let (ct, icv) = rest.split_at_checked(ct_len).ok_or(CryptoError::Internal)?;
                if ct.len() % self.layout.encr.block_size() != 0 {
                    return Err(CryptoError::MisalignedCiphertext);
                }
                let covered_len = body.len() - icv.len();
                let covered = body.get(..covered_len).ok_or(CryptoError::Internal)?;
                let tag = mac.sign(&[aad, covered]);
                let expected = tag
                    .as_bytes()
                    .get(..layout.icv_len())
                    .ok_or(CryptoError::Internal)?;
                if !bool::from(expected.ct_eq(icv)) {
                    return Err(CryptoError::IntegrityCheckFailed);
                }
                let mut buf = Zeroizing::new(ct.to_vec());
                cipher.decrypt(iv, &mut buf)?;
                buf
            }
        };
        let pad_len = usize::from(*plain.last().ok_or(CryptoError::InvalidPadding)?);
        let keep = plain
            .len()
            .checked_sub(pad_len + 1)
            .ok_or(CryptoError::InvalidPadding)?;
        plain.truncate(keep);
        Ok(plain)
    }
}
