//! Algorithm identifiers with their IANA numbers and sizes.
//!
//! Sizes follow the RFCs that define the transforms in IKEv2: RFC 3602 / RFC 7296 (AES-CBC),
//! RFC 5282 (AES-GCM in IKEv2), RFC 7634 (ChaCha20-Poly1305), RFC 4868 (HMAC-SHA2),
//! RFC 2404 (HMAC-SHA1-96), RFC 3526 / RFC 2409 (MODP), RFC 5903 (ECP), RFC 8031 (Curve25519).

use core::fmt;

use crate::ids;

/// AES key size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AesKeySize {
    /// 128-bit key.
    Aes128,
    /// 192-bit key.
    Aes192,
    /// 256-bit key.
    Aes256,
}

impl AesKeySize {
    /// From a Key Length attribute value in bits.
    pub fn from_bits(bits: u16) -> Option<Self> {
        match bits {
            128 => Some(AesKeySize::Aes128),
            192 => Some(AesKeySize::Aes192),
            256 => Some(AesKeySize::Aes256),
            _ => None,
        }
    }

    /// Key length in bits (the Key Length attribute value).
    pub fn bits(self) -> u16 {
        match self {
            AesKeySize::Aes128 => 128,
            AesKeySize::Aes192 => 192,
            AesKeySize::Aes256 => 256,
        }
    }

    /// Key length in bytes.
    pub fn bytes(self) -> usize {
        usize::from(self.bits() / 8)
    }
}

/// Encryption transforms (transform type 1) this crate implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encr {
    /// AES-CBC (ENCR_AES_CBC, 12) with separate integrity.
    AesCbc(AesKeySize),
    /// AES-GCM with a 16-octet ICV (ENCR_AES_GCM_16, 20), RFC 5282 / RFC 4106.
    AesGcm16(AesKeySize),
    /// ChaCha20-Poly1305 (ENCR_CHACHA20_POLY1305, 28), RFC 7634. Has no Key Length attribute.
    ChaCha20Poly1305,
}

impl Encr {
    /// Every supported encryption transform, strongest first.
    pub const ALL: [Encr; 7] = [
        Encr::AesGcm16(AesKeySize::Aes256),
        Encr::ChaCha20Poly1305,
        Encr::AesGcm16(AesKeySize::Aes192),
        Encr::AesGcm16(AesKeySize::Aes128),
        Encr::AesCbc(AesKeySize::Aes256),
        Encr::AesCbc(AesKeySize::Aes192),
        Encr::AesCbc(AesKeySize::Aes128),
    ];

    /// From the transform id and the Key Length attribute (bits), if any.
    ///
    /// AES requires the attribute (RFC 7296 §3.3.5); ChaCha20-Poly1305 must not carry one
    /// (RFC 7634 §3).
    pub fn from_iana(id: u16, key_length_attr: Option<u16>) -> Option<Self> {
        match (id, key_length_attr) {
            (ids::encr::AES_CBC, Some(bits)) => AesKeySize::from_bits(bits).map(Encr::AesCbc),
            (ids::encr::AES_GCM_16, Some(bits)) => AesKeySize::from_bits(bits).map(Encr::AesGcm16),
            (ids::encr::CHACHA20_POLY1305, None) => Some(Encr::ChaCha20Poly1305),
            _ => None,
        }
    }

    /// The IANA transform id.
    pub fn iana_id(self) -> u16 {
        match self {
            Encr::AesCbc(_) => ids::encr::AES_CBC,
            Encr::AesGcm16(_) => ids::encr::AES_GCM_16,
            Encr::ChaCha20Poly1305 => ids::encr::CHACHA20_POLY1305,
        }
    }

    /// The Key Length attribute to emit (bits), `None` for fixed-key ciphers.
    pub fn key_length_attr(self) -> Option<u16> {
        match self {
            Encr::AesCbc(k) | Encr::AesGcm16(k) => Some(k.bits()),
            Encr::ChaCha20Poly1305 => None,
        }
    }

    /// Whether this is a combined-mode (AEAD) cipher; then no INTEG transform is negotiated.
    pub fn is_aead(self) -> bool {
        !matches!(self, Encr::AesCbc(_))
    }

    /// Cipher key length in bytes, without salt.
    pub fn key_len(self) -> usize {
        match self {
            Encr::AesCbc(k) | Encr::AesGcm16(k) => k.bytes(),
            Encr::ChaCha20Poly1305 => 32,
        }
    }

    /// Salt length in bytes taken from the keying material after the key (RFC 5282 §7.1,
    /// RFC 7634 §2): 4 for the AEADs, 0 otherwise.
    pub fn salt_len(self) -> usize {
        if self.is_aead() {
            4
        } else {
            0
        }
    }

    /// Keying material length (SK_e*, or the ESP encryption key): key + salt.
    pub fn keymat_len(self) -> usize {
        self.key_len() + self.salt_len()
    }

    /// Length of the IV carried in each message: 16 for AES-CBC, 8 for the AEADs.
    pub fn iv_len(self) -> usize {
        match self {
            Encr::AesCbc(_) => 16,
            Encr::AesGcm16(_) | Encr::ChaCha20Poly1305 => 8,
        }
    }

    /// Length of the cipher's own ICV (AEAD tag): 16 for the AEADs, 0 for AES-CBC (whose ICV
    /// comes from the INTEG transform).
    pub fn icv_len(self) -> usize {
        if self.is_aead() {
            16
        } else {
            0
        }
    }

    /// Cipher block size (16 for AES, 1 for ChaCha20).
    pub fn block_size(self) -> usize {
        match self {
            Encr::AesCbc(_) | Encr::AesGcm16(_) => 16,
            Encr::ChaCha20Poly1305 => 1,
        }
    }

    /// Alignment the SK payload padding must reach: the block size for CBC, 1 for the
    /// counter-mode AEADs (RFC 5282 §3 / RFC 7634 §3 need no padding, only the Pad Length).
    pub fn pad_alignment(self) -> usize {
        match self {
            Encr::AesCbc(_) => 16,
            Encr::AesGcm16(_) | Encr::ChaCha20Poly1305 => 1,
        }
    }
}

impl fmt::Display for Encr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Encr::AesCbc(k) => write!(f, "AES-CBC-{}", k.bits()),
            Encr::AesGcm16(k) => write!(f, "AES-GCM-16-{}", k.bits()),
            Encr::ChaCha20Poly1305 => f.write_str("ChaCha20-Poly1305"),
        }
    }
}

/// Hash functions used by PRFs, integrity algorithms and signatures; numbers are the RFC 7427
/// SIGNATURE_HASH_ALGORITHMS registry values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HashAlg {
    /// SHA-1 (legacy: HMAC-SHA1, RSA auth method 1 verification).
    Sha1,
    /// SHA2-256.
    Sha256,
    /// SHA2-384.
    Sha384,
    /// SHA2-512.
    Sha512,
}

impl HashAlg {
    /// Output length in bytes.
    pub fn output_len(self) -> usize {
        match self {
            HashAlg::Sha1 => 20,
            HashAlg::Sha256 => 32,
            HashAlg::Sha384 => 48,
            HashAlg::Sha512 => 64,
        }
    }

    /// RFC 7427 hash algorithm number.
    pub fn iana_id(self) -> u16 {
        match self {
            HashAlg::Sha1 => ids::hash_alg::SHA1,
            HashAlg::Sha256 => ids::hash_alg::SHA2_256,
            HashAlg::Sha384 => ids::hash_alg::SHA2_384,
            HashAlg::Sha512 => ids::hash_alg::SHA2_512,
        }
    }

    /// From an RFC 7427 hash algorithm number (Identity is not a `HashAlg`).
    pub fn from_iana(id: u16) -> Option<Self> {
        match id {
            ids::hash_alg::SHA1 => Some(HashAlg::Sha1),
            ids::hash_alg::SHA2_256 => Some(HashAlg::Sha256),
            ids::hash_alg::SHA2_384 => Some(HashAlg::Sha384),
            ids::hash_alg::SHA2_512 => Some(HashAlg::Sha512),
            _ => None,
        }
    }
}

impl fmt::Display for HashAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HashAlg::Sha1 => "SHA-1",
            HashAlg::Sha256 => "SHA2-256",
            HashAlg::Sha384 => "SHA2-384",
            HashAlg::Sha512 => "SHA2-512",
        })
    }
}

/// Pseudorandom functions (transform type 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Prf {
    /// PRF_HMAC_SHA1 (2).
    HmacSha1,
    /// PRF_HMAC_SHA2_256 (5).
    HmacSha256,
    /// PRF_HMAC_SHA2_384 (6).
    HmacSha384,
    /// PRF_HMAC_SHA2_512 (7).
    HmacSha512,
}

impl Prf {
    /// Every supported PRF, strongest first.
    pub const ALL: [Prf; 4] = [
        Prf::HmacSha512,
        Prf::HmacSha384,
        Prf::HmacSha256,
        Prf::HmacSha1,
    ];

    /// From the IANA transform id.
    pub fn from_iana(id: u16) -> Option<Self> {
        match id {
            ids::prf::HMAC_SHA1 => Some(Prf::HmacSha1),
            ids::prf::HMAC_SHA2_256 => Some(Prf::HmacSha256),
            ids::prf::HMAC_SHA2_384 => Some(Prf::HmacSha384),
            ids::prf::HMAC_SHA2_512 => Some(Prf::HmacSha512),
            _ => None,
        }
    }

    /// The IANA transform id.
    pub fn iana_id(self) -> u16 {
        match self {
            Prf::HmacSha1 => ids::prf::HMAC_SHA1,
            Prf::HmacSha256 => ids::prf::HMAC_SHA2_256,
            Prf::HmacSha384 => ids::prf::HMAC_SHA2_384,
            Prf::HmacSha512 => ids::prf::HMAC_SHA2_512,
        }
    }

    /// The underlying hash.
    pub fn hash(self) -> HashAlg {
        match self {
            Prf::HmacSha1 => HashAlg::Sha1,
            Prf::HmacSha256 => HashAlg::Sha256,
            Prf::HmacSha384 => HashAlg::Sha384,
            Prf::HmacSha512 => HashAlg::Sha512,
        }
    }

    /// Output length in bytes (one prf+ block).
    pub fn output_len(self) -> usize {
        self.hash().output_len()
    }

    /// Preferred key length (RFC 7296 §2.13: SK_d, SK_pi, SK_pr have this length); for HMAC
    /// PRFs it equals the output length (RFC 4868 §2.3).
    pub fn preferred_key_len(self) -> usize {
        self.output_len()
    }
}

impl fmt::Display for Prf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Prf::HmacSha1 => "PRF-HMAC-SHA1",
            Prf::HmacSha256 => "PRF-HMAC-SHA2-256",
            Prf::HmacSha384 => "PRF-HMAC-SHA2-384",
            Prf::HmacSha512 => "PRF-HMAC-SHA2-512",
        })
    }
}

/// Integrity algorithms (transform type 3), used with AES-CBC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(non_camel_case_types)]
pub enum Integ {
    /// AUTH_HMAC_SHA1_96 (2): 20-byte key, 12-byte ICV (RFC 2404).
    HmacSha1_96,
    /// AUTH_HMAC_SHA2_256_128 (12): 32-byte key, 16-byte ICV (RFC 4868).
    HmacSha256_128,
    /// AUTH_HMAC_SHA2_384_192 (13): 48-byte key, 24-byte ICV.
    HmacSha384_192,
    /// AUTH_HMAC_SHA2_512_256 (14): 64-byte key, 32-byte ICV.
    HmacSha512_256,
}

impl Integ {
    /// Every supported integrity algorithm, strongest first.
    pub const ALL: [Integ; 4] = [
        Integ::HmacSha512_256,
        Integ::HmacSha384_192,
        Integ::HmacSha256_128,
        Integ::HmacSha1_96,
    ];

    /// From the IANA transform id (`NONE` is not an `Integ`; use `Option<Integ>`).
    pub fn from_iana(id: u16) -> Option<Self> {
        match id {
            ids::integ::HMAC_SHA1_96 => Some(Integ::HmacSha1_96),
            ids::integ::HMAC_SHA2_256_128 => Some(Integ::HmacSha256_128),
            ids::integ::HMAC_SHA2_384_192 => Some(Integ::HmacSha384_192),
            ids::integ::HMAC_SHA2_512_256 => Some(Integ::HmacSha512_256),
            _ => None,
        }
    }

    /// The IANA transform id.
    pub fn iana_id(self) -> u16 {
        match self {
            Integ::HmacSha1_96 => ids::integ::HMAC_SHA1_96,
            Integ::HmacSha256_128 => ids::integ::HMAC_SHA2_256_128,
            Integ::HmacSha384_192 => ids::integ::HMAC_SHA2_384_192,
            Integ::HmacSha512_256 => ids::integ::HMAC_SHA2_512_256,
        }
    }

    /// The underlying hash.
    pub fn hash(self) -> HashAlg {
        match self {
            Integ::HmacSha1_96 => HashAlg::Sha1,
            Integ::HmacSha256_128 => HashAlg::Sha256,
            Integ::HmacSha384_192 => HashAlg::Sha384,
            Integ::HmacSha512_256 => HashAlg::Sha512,
        }
    }

    /// Key length in bytes (SK_a*, ESP integrity key).
    pub fn key_len(self) -> usize {
        self.hash().output_len()
    }

    /// Truncated ICV length in bytes.
    pub fn icv_len(self) -> usize {
        match self {
            Integ::HmacSha1_96 => 12,
            Integ::HmacSha256_128 => 16,
            Integ::HmacSha384_192 => 24,
            Integ::HmacSha512_256 => 32,
        }
    }
}

impl fmt::Display for Integ {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Integ::HmacSha1_96 => "HMAC-SHA1-96",
            Integ::HmacSha256_128 => "HMAC-SHA2-256-128",
            Integ::HmacSha384_192 => "HMAC-SHA2-384-192",
            Integ::HmacSha512_256 => "HMAC-SHA2-512-256",
        })
    }
}

/// Key exchange methods (transform type 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeGroup {
    /// 1024-bit MODP group 2 (RFC 2409 §6.2).
    Modp1024,
    /// 1536-bit MODP group 5 (RFC 3526 §2).
    Modp1536,
    /// 2048-bit MODP group 14 (RFC 3526 §3).
    Modp2048,
    /// 3072-bit MODP group 15 (RFC 3526 §4).
    Modp3072,
    /// 4096-bit MODP group 16 (RFC 3526 §5).
    Modp4096,
    /// NIST P-256, group 19 (RFC 5903).
    Ecp256,
    /// NIST P-384, group 20 (RFC 5903).
    Ecp384,
    /// NIST P-521, group 21 (RFC 5903).
    Ecp521,
    /// Curve25519, group 31 (RFC 8031).
    Curve25519,
    /// ML-KEM-512, key exchange method 35 (FIPS 203, RFC 9370 additional key exchanges).
    MlKem512,
    /// ML-KEM-768, key exchange method 36.
    MlKem768,
    /// ML-KEM-1024, key exchange method 37.
    MlKem1024,
}

impl KeGroup {
    /// Every supported group, in a reasonable default preference order.
    pub const ALL: [KeGroup; 9] = [
        KeGroup::Curve25519,
        KeGroup::Ecp256,
        KeGroup::Ecp384,
        KeGroup::Ecp521,
        KeGroup::Modp4096,
        KeGroup::Modp3072,
        KeGroup::Modp2048,
        KeGroup::Modp1536,
        KeGroup::Modp1024,
    ];

    /// From the IANA transform id.
    pub fn from_iana(id: u16) -> Option<Self> {
        match id {
            ids::ke::MODP1024 => Some(KeGroup::Modp1024),
            ids::ke::MODP1536 => Some(KeGroup::Modp1536),
            ids::ke::MODP2048 => Some(KeGroup::Modp2048),
            ids::ke::MODP3072 => Some(KeGroup::Modp3072),
            ids::ke::MODP4096 => Some(KeGroup::Modp4096),
            ids::ke::ECP256 => Some(KeGroup::Ecp256),
            ids::ke::ECP384 => Some(KeGroup::Ecp384),
            ids::ke::ECP521 => Some(KeGroup::Ecp521),
            ids::ke::CURVE25519 => Some(KeGroup::Curve25519),
            ids::ke::MLKEM512 => Some(KeGroup::MlKem512),
            ids::ke::MLKEM768 => Some(KeGroup::MlKem768),
            ids::ke::MLKEM1024 => Some(KeGroup::MlKem1024),
            _ => None,
        }
    }

    /// The IANA transform id (also the "Diffie-Hellman Group Num" of the KE payload).
    pub fn iana_id(self) -> u16 {
        match self {
            KeGroup::Modp1024 => ids::ke::MODP1024,
            KeGroup::Modp1536 => ids::ke::MODP1536,
            KeGroup::Modp2048 => ids::ke::MODP2048,
            KeGroup::Modp3072 => ids::ke::MODP3072,
            KeGroup::Modp4096 => ids::ke::MODP4096,
            KeGroup::Ecp256 => ids::ke::ECP256,
            KeGroup::Ecp384 => ids::ke::ECP384,
            KeGroup::Ecp521 => ids::ke::ECP521,
            KeGroup::Curve25519 => ids::ke::CURVE25519,
            KeGroup::MlKem512 => ids::ke::MLKEM512,
            KeGroup::MlKem768 => ids::ke::MLKEM768,
            KeGroup::MlKem1024 => ids::ke::MLKEM1024,
        }
    }

    /// Whether this is a finite-field (MODP) group.
    pub fn is_modp(self) -> bool {
        matches!(
            self,
            KeGroup::Modp1024
                | KeGroup::Modp1536
                | KeGroup::Modp2048
                | KeGroup::Modp3072
                | KeGroup::Modp4096
        )
    }

    /// Whether this is a key encapsulation mechanism (ML-KEM): the initiator sends an
    /// encapsulation key, the responder a ciphertext.
    pub fn is_kem(self) -> bool {
        matches!(
            self,
            KeGroup::MlKem512 | KeGroup::MlKem768 | KeGroup::MlKem1024
        )
    }

    /// Exact length of the responder's KE payload data: the same as
    /// [`KeGroup::public_value_len`] for Diffie-Hellman groups, the ciphertext for ML-KEM
    /// (FIPS 203 §8: 768, 1088, 1568 octets).
    pub fn responder_value_len(self) -> usize {
        match self {
            KeGroup::MlKem512 => 768,
            KeGroup::MlKem768 => 1088,
            KeGroup::MlKem1024 => 1568,
            other => other.public_value_len(),
        }
    }

    /// Exact length of the (initiator's) KE payload data: the prime length for MODP, x||y
    /// for ECP (RFC 5903 §7), 32 bytes for Curve25519 (RFC 8031 §3.1), the encapsulation key
    /// for ML-KEM (800, 1184, 1568 octets).
    pub fn public_value_len(self) -> usize {
        match self {
            KeGroup::Modp1024 => 128,
            KeGroup::Modp1536 => 192,
            KeGroup::Modp2048 => 256,
            KeGroup::Modp3072 => 384,
            KeGroup::Modp4096 => 512,
            KeGroup::Ecp256 => 64,
            KeGroup::Ecp384 => 96,
            KeGroup::Ecp521 => 132,
            KeGroup::Curve25519 => 32,
            KeGroup::MlKem512 => 800,
            KeGroup::MlKem768 => 1184,
            KeGroup::MlKem1024 => 1568,
        }
    }

    /// Length of the shared secret g^ir.
    pub fn shared_secret_len(self) -> usize {
        match self {
            KeGroup::Ecp256 => 32,
            KeGroup::Ecp384 => 48,
            KeGroup::Ecp521 => 66,
            KeGroup::Curve25519 => 32,
            KeGroup::MlKem512 | KeGroup::MlKem768 | KeGroup::MlKem1024 => 32,
            modp => modp.public_value_len(),
        }
    }
}

impl fmt::Display for KeGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeGroup::Modp1024 => "MODP-1024",
            KeGroup::Modp1536 => "MODP-1536",
            KeGroup::Modp2048 => "MODP-2048",
            KeGroup::Modp3072 => "MODP-3072",
            KeGroup::Modp4096 => "MODP-4096",
            KeGroup::Ecp256 => "ECP-256",
            KeGroup::Ecp384 => "ECP-384",
            KeGroup::Ecp521 => "ECP-521",
            KeGroup::Curve25519 => "Curve25519",
            KeGroup::MlKem512 => "ML-KEM-512",
            KeGroup::MlKem768 => "ML-KEM-768",
            KeGroup::MlKem1024 => "ML-KEM-1024",
        })
    }
}

/// The algorithms protecting an IKE SA, as far as key derivation and SK payloads care.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IkeSuite {
    /// Encryption transform.
    pub encr: Encr,
    /// Pseudorandom function.
    pub prf: Prf,
    /// Integrity transform; `None` exactly when `encr` is an AEAD.
    pub integ: Option<Integ>,
}

impl IkeSuite {
    /// Whether the combination is consistent (AEAD without INTEG, CBC with INTEG).
    pub fn is_valid(&self) -> bool {
        self.encr.is_aead() == self.integ.is_none()
    }
}

/// The algorithms of an ESP Child SA, as far as KEYMAT derivation cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EspSuite {
    /// Encryption transform.
    pub encr: Encr,
    /// Integrity transform; `None` exactly when `encr` is an AEAD.
    pub integ: Option<Integ>,
}

impl EspSuite {
    /// Whether the combination is consistent (AEAD without INTEG, CBC with INTEG).
    pub fn is_valid(&self) -> bool {
        self.encr.is_aead() == self.integ.is_none()
    }

    /// Encryption key length for the kernel (key + salt for the AEADs: AES-GCM 16/24/32 + 4,
    /// ChaCha20-Poly1305 32 + 4 per RFC 4106 §8.1 / RFC 7634 §2).
    pub fn encr_key_len(&self) -> usize {
        self.encr.keymat_len()
    }

    /// Integrity key length (0 for AEADs).
    pub fn integ_key_len(&self) -> usize {
        self.integ.map_or(0, Integ::key_len)
    }
}
