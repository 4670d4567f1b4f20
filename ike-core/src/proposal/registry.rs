//! The transform registry: every algorithm the engine negotiates, with its IANA numbers and its
//! names in Libreswan and strongSwan proposal syntax.
//!
//! The table [`SUPPORTED`] is the single source of truth for "what can we do". Names that the
//! two syntaxes know but that we do not implement (MD5, AES-CTR, Camellia, modp768, ...) are
//! recognized by [`libreswan_unsupported`] and [`strongswan_unsupported`] so that a parser can
//! say "not supported" instead of "unknown".
//!
//! Display names for transforms outside the table (a peer may offer anything) come from
//! [`strongswan_display_name`], which falls back to a generic `encr99`-style token.

use crate::ids::{encr, esn, integ, ke, prf, transform_type};

/// A transform type understood by the proposal module (IANA "Transform Type Values").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TransformKind {
    /// Encryption algorithm (type 1).
    Encr,
    /// Pseudorandom function (type 2).
    Prf,
    /// Integrity algorithm (type 3).
    Integ,
    /// Key exchange method (type 4).
    Ke,
    /// Extended sequence numbers (type 5).
    Esn,
}

impl TransformKind {
    /// The IANA transform type number.
    #[must_use]
    pub const fn ttype(self) -> u8 {
        match self {
            Self::Encr => transform_type::ENCR,
            Self::Prf => transform_type::PRF,
            Self::Integ => transform_type::INTEG,
            Self::Ke => transform_type::KE,
            Self::Esn => transform_type::ESN,
        }
    }

    /// The kind for an IANA transform type number (types 1 to 5 only).
    #[must_use]
    pub const fn from_ttype(ttype: u8) -> Option<Self> {
        match ttype {
            transform_type::ENCR => Some(Self::Encr),
            transform_type::PRF => Some(Self::Prf),
            transform_type::INTEG => Some(Self::Integ),
            transform_type::KE => Some(Self::Ke),
            transform_type::ESN => Some(Self::Esn),
            _ => None,
        }
    }

    /// A human-readable name ("encryption algorithm", "PRF", ...).
    #[must_use]
    pub const fn description(self) -> &'static str {
        match self {
            Self::Encr => "encryption algorithm",
            Self::Prf => "PRF",
            Self::Integ => "integrity algorithm",
            Self::Ke => "key exchange method",
            Self::Esn => "ESN setting",
        }
    }
}

impl core::fmt::Display for TransformKind {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.description())
    }
}

/// A human-readable name for any transform type number, including ones we do not negotiate.
#[must_use]
pub fn transform_type_name(ttype: u8) -> String {
    match TransformKind::from_ttype(ttype) {
        Some(kind) => kind.description().to_owned(),
        None if (transform_type::ADDKE1..=transform_type::ADDKE1 + 6).contains(&ttype) => {
            format!(
                "additional key exchange {}",
                ttype.saturating_sub(transform_type::ADDKE1) + 1
            )
        }
        None => format!("transform type {ttype}"),
    }
}

/// One supported transform: its IANA numbers and its names in both syntaxes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlgInfo {
    /// What kind of transform this is.
    pub kind: TransformKind,
    /// The IANA transform id.
    pub id: u16,
    /// The key length in bits carried in the Key Length attribute (ENCR with a variable key
    /// length only); `None` when the transform carries no Key Length attribute.
    pub key_bits: Option<u16>,
    /// Canonical Libreswan name (what we emit when formatting).
    pub libreswan: &'static str,
    /// Canonical strongSwan token (what we emit when formatting).
    pub strongswan: &'static str,
    /// A descriptive name in the IANA style, e.g. `AES_GCM_16_256`.
    pub iana: &'static str,
    /// Combined-mode (AEAD) cipher: no separate integrity algorithm.
    pub aead: bool,
    /// Weak but kept for interoperability with old peers (3DES, SHA-1, modp1024/1536).
    pub legacy: bool,
    /// Usable in ESP only (the kernel implements it; our IKE crypto provider does not).
    pub esp_only: bool,
}

const fn entry(
    kind: TransformKind,
    id: u16,
    key_bits: Option<u16>,
    libreswan: &'static str,
    strongswan: &'static str,
    iana: &'static str,
) -> AlgInfo {
    AlgInfo {
        kind,
        id,
        key_bits,
        libreswan,
        strongswan,
        iana,
        aead: false,
        legacy: false,
        esp_only: false,
    }
}

const fn aead(mut info: AlgInfo) -> AlgInfo {
    info.aead = true;
    info
}

const fn legacy(mut info: AlgInfo) -> AlgInfo {
    info.legacy = true;
    info
}

const fn esp_only(mut info: AlgInfo) -> AlgInfo {
    info.esp_only = true;
    info
}

use TransformKind::{Encr, Esn, Integ, Ke, Prf};

/// Every transform the engine can negotiate.
pub static SUPPORTED: &[AlgInfo] = &[
    // Encryption.
    aead(entry(
        Encr,
        encr::AES_GCM_16,
        Some(256),
        "aes_gcm256",
        "aes256gcm16",
        "AES_GCM_16_256",
    )),
    aead(entry(
        Encr,
        encr::AES_GCM_16,
        Some(128),
        "aes_gcm128",
        "aes128gcm16",
        "AES_GCM_16_128",
    )),
    aead(entry(
        Encr,
        encr::CHACHA20_POLY1305,
        None,
        "chacha20_poly1305",
        "chacha20poly1305",
        "CHACHA20_POLY1305",
    )),
    entry(
        Encr,
        encr::AES_CBC,
        Some(256),
        "aes256",
        "aes256",
        "AES_CBC_256",
    ),
    entry(
        Encr,
        encr::AES_CBC,
        Some(192),
        "aes192",
        "aes192",
        "AES_CBC_192",
    ),
    entry(
        Encr,
        encr::AES_CBC,
        Some(128),
        "aes128",
        "aes128",
        "AES_CBC_128",
    ),
    esp_only(aead(entry(
        Encr,
        encr::AES_GCM_12,
        Some(256),
        "aes_gcm_12_256",
        "aes256gcm12",
        "AES_GCM_12_256",
    ))),
    esp_only(aead(entry(
        Encr,
        encr::AES_GCM_12,
        Some(128),
        "aes_gcm_12_128",
        "aes128gcm12",
        "AES_GCM_12_128",
    ))),
    esp_only(aead(entry(
        Encr,
        encr::AES_GCM_8,
        Some(256),
        "aes_gcm_8_256",
        "aes256gcm8",
        "AES_GCM_8_256",
    ))),
    esp_only(aead(entry(
        Encr,
        encr::AES_GCM_8,
        Some(128),
        "aes_gcm_8_128",
        "aes128gcm8",
        "AES_GCM_8_128",
    ))),
    legacy(entry(Encr, encr::DES3, None, "3des", "3des", "3DES_CBC")),
    // Pseudorandom functions.
    entry(
        Prf,
        prf::HMAC_SHA2_512,
        None,
        "sha2_512",
        "prfsha512",
        "PRF_HMAC_SHA2_512",
    ),
    entry(
        Prf,
        prf::HMAC_SHA2_384,
        None,
        "sha2_384",
        "prfsha384",
        "PRF_HMAC_SHA2_384",
    ),
    entry(
        Prf,
        prf::HMAC_SHA2_256,
        None,
        "sha2_256",
        "prfsha256",
        "PRF_HMAC_SHA2_256",
    ),
    legacy(entry(
        Prf,
        prf::HMAC_SHA1,
        None,
        "sha1",
        "prfsha1",
        "PRF_HMAC_SHA1",
    )),
    // Integrity.
    entry(
        Integ,
        integ::HMAC_SHA2_512_256,
        None,
        "sha2_512",
        "sha512",
        "HMAC_SHA2_512_256",
    ),
    entry(
        Integ,
        integ::HMAC_SHA2_384_192,
        None,
        "sha2_384",
        "sha384",
        "HMAC_SHA2_384_192",
    ),
    entry(
        Integ,
        integ::HMAC_SHA2_256_128,
        None,
        "sha2_256",
        "sha256",
        "HMAC_SHA2_256_128",
    ),
    legacy(entry(
        Integ,
        integ::HMAC_SHA1_96,
        None,
        "sha1",
        "sha1",
        "HMAC_SHA1_96",
    )),
    // Key exchange methods.
    entry(Ke, ke::CURVE25519, None, "dh31", "x25519", "CURVE_25519"),
    entry(Ke, ke::ECP256, None, "dh19", "ecp256", "ECP_256"),
    entry(Ke, ke::ECP384, None, "dh20", "ecp384", "ECP_384"),
    entry(Ke, ke::ECP521, None, "dh21", "ecp521", "ECP_521"),
    entry(Ke, ke::MODP2048, None, "modp2048", "modp2048", "MODP_2048"),
    entry(Ke, ke::MODP3072, None, "modp3072", "modp3072", "MODP_3072"),
    entry(Ke, ke::MODP4096, None, "modp4096", "modp4096", "MODP_4096"),
    entry(Ke, ke::MODP6144, None, "modp6144", "modp6144", "MODP_6144"),
    entry(Ke, ke::MODP8192, None, "modp8192", "modp8192", "MODP_8192"),
    legacy(entry(
        Ke,
        ke::MODP1536,
        None,
        "modp1536",
        "modp1536",
        "MODP_1536",
    )),
    legacy(entry(
        Ke,
        ke::MODP1024,
        None,
        "modp1024",
        "modp1024",
        "MODP_1024",
    )),
    entry(
        Ke,
        ke::MLKEM768,
        None,
        "ml_kem_768",
        "mlkem768",
        "ML_KEM_768",
    ),
    entry(
        Ke,
        ke::MLKEM1024,
        None,
        "ml_kem_1024",
        "mlkem1024",
        "ML_KEM_1024",
    ),
    entry(
        Ke,
        ke::MLKEM512,
        None,
        "ml_kem_512",
        "mlkem512",
        "ML_KEM_512",
    ),
    entry(Ke, ke::NONE, None, "none", "none", "NONE"),
    // Extended sequence numbers.
    entry(Esn, esn::NO, None, "no", "noesn", "NO_EXT_SEQ"),
    entry(Esn, esn::YES, None, "yes", "esn", "EXT_SEQ"),
];

/// How a transform keys an ESP SA (RFC 7296 §2.17): the octets of KEYMAT it takes and the
/// length in bits of its ICV (AEAD ciphers) or of its truncated output (integrity algorithms;
/// 0 for a non-AEAD cipher).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EspKeying {
    /// Octets of key material, salt included (AES-GCM and ChaCha20-Poly1305 take a 4-octet
    /// salt after the key: RFC 4106 §8.1, RFC 7634 §3).
    pub key_octets: usize,
    /// ICV bits of an AEAD cipher or truncation bits of an integrity algorithm.
    pub icv_bits: u32,
}

impl AlgInfo {
    /// How this transform keys ESP, for the encryption and integrity transforms in the table.
    #[must_use]
    pub fn esp_keying(&self) -> Option<EspKeying> {
        let key = |bits: Option<u16>| usize::from(bits.unwrap_or(0) / 8);
        let (key_octets, icv_bits) = match (self.kind, self.id) {
            (Encr, encr::AES_GCM_16) => (key(self.key_bits) + 4, 128),
            (Encr, encr::AES_GCM_12) => (key(self.key_bits) + 4, 96),
            (Encr, encr::AES_GCM_8) => (key(self.key_bits) + 4, 64),
            (Encr, encr::CHACHA20_POLY1305) => (32 + 4, 128),
            (Encr, encr::AES_CBC) => (key(self.key_bits), 0),
            (Encr, encr::DES3) => (24, 0),
            (Integ, integ::HMAC_SHA1_96) => (20, 96),
            (Integ, integ::HMAC_SHA2_256_128) => (32, 128),
            (Integ, integ::HMAC_SHA2_384_192) => (48, 192),
            (Integ, integ::HMAC_SHA2_512_256) => (64, 256),
            _ => return None,
        };
        Some(EspKeying {
            key_octets,
            icv_bits,
        })
    }
}

/// The registry entry for a transform, if we support it (key length must match exactly).
#[must_use]
pub fn lookup(kind: TransformKind, id: u16, key_bits: Option<u16>) -> Option<&'static AlgInfo> {
    SUPPORTED
        .iter()
        .find(|a| a.kind == kind && a.id == id && a.key_bits == key_bits)
}

/// Whether we can negotiate this transform for this protocol (`for_ike` = IKE SA).
#[must_use]
pub fn is_supported(kind: TransformKind, id: u16, key_bits: Option<u16>, for_ike: bool) -> bool {
    lookup(kind, id, key_bits).is_some_and(|a| !(for_ike && a.esp_only))
}

/// Whether a key exchange method is a KEM (ML-KEM, 35..=37): usable as an additional key
/// exchange only.
#[must_use]
pub const fn is_kem(ke_id: u16) -> bool {
    matches!(ke_id, ke::MLKEM512 | ke::MLKEM768 | ke::MLKEM1024)
}

/// Whether an ENCR transform id is a combined-mode (AEAD) cipher (AES-GCM, AES-CCM,
/// ChaCha20-Poly1305), whether or not we support it.
#[must_use]
pub const fn is_aead(encr_id: u16) -> bool {
    matches!(encr_id, 14..=16 | 18..=20 | 25..=28)
}

/// The valid key lengths of a variable-key-length cipher we implement (empty for fixed-key
/// ciphers).
#[must_use]
pub fn key_lengths(encr_id: u16) -> Vec<u16> {
    let mut v: Vec<u16> = SUPPORTED
        .iter()
        .filter(|a| a.kind == Encr && a.id == encr_id)
        .filter_map(|a| a.key_bits)
        .collect();
    v.sort_unstable();
    v
}

/// The PRF of the same hash family as an integrity algorithm (strongSwan's rule for IKE
/// proposals that name only an integrity algorithm).
#[must_use]
pub const fn prf_for_integ(integ_id: u16) -> Option<u16> {
    match integ_id {
        integ::HMAC_SHA1_96 => Some(prf::HMAC_SHA1),
        integ::HMAC_SHA2_256_128 => Some(prf::HMAC_SHA2_256),
        integ::HMAC_SHA2_384_192 => Some(prf::HMAC_SHA2_384),
        integ::HMAC_SHA2_512_256 => Some(prf::HMAC_SHA2_512),
        integ::HMAC_MD5_96 => Some(prf::HMAC_MD5),
        integ::AES_XCBC_96 => Some(prf::AES128_XCBC),
        _ => None,
    }
}

/// The integrity algorithm of the same hash family as a PRF (Libreswan's rule for IKE
/// proposals with a CBC cipher and a single hash).
#[must_use]
pub const fn integ_for_prf(prf_id: u16) -> Option<u16> {
    match prf_id {
        prf::HMAC_SHA1 => Some(integ::HMAC_SHA1_96),
        prf::HMAC_SHA2_256 => Some(integ::HMAC_SHA2_256_128),
        prf::HMAC_SHA2_384 => Some(integ::HMAC_SHA2_384_192),
        prf::HMAC_SHA2_512 => Some(integ::HMAC_SHA2_512_256),
        prf::HMAC_MD5 => Some(integ::HMAC_MD5_96),
        prf::AES128_XCBC => Some(integ::AES_XCBC_96),
        _ => None,
    }
}

/// Maps a list through a family mapping, keeping order and dropping duplicates and unmapped.
pub(crate) fn derive_list(src: &[u16], map: fn(u16) -> Option<u16>) -> Vec<u16> {
    let mut out = Vec::new();
    for &x in src {
        if let Some(y) = map(x) {
            push_unique(&mut out, y);
        }
    }
    out
}

/// Appends `v` unless already present.
pub(crate) fn push_unique<T: PartialEq>(list: &mut Vec<T>, v: T) {
    if !list.contains(&v) {
        list.push(v);
    }
}

// ---------------------------------------------------------------------------------------------
// Name tables for the two syntaxes.
// ---------------------------------------------------------------------------------------------

/// Libreswan encryption base names (without key length) and their ENCR id.
pub(crate) const LIBRESWAN_ENCR: &[(&str, u16)] = &[
    ("aes", encr::AES_CBC),
    ("aes_cbc", encr::AES_CBC),
    ("aes_gcm", encr::AES_GCM_16),
    ("aes_gcm_16", encr::AES_GCM_16),
    ("aes_gcm16", encr::AES_GCM_16),
    ("aes_gcm_c", encr::AES_GCM_16),
    ("aes_gcm_12", encr::AES_GCM_12),
    ("aes_gcm_b", encr::AES_GCM_12),
    ("aes_gcm_8", encr::AES_GCM_8),
    ("aes_gcm_a", encr::AES_GCM_8),
    ("chacha20_poly1305", encr::CHACHA20_POLY1305),
    ("chacha20poly1305", encr::CHACHA20_POLY1305),
    ("3des", encr::DES3),
    ("3des_cbc", encr::DES3),
];

/// Libreswan PRF names.
pub(crate) const LIBRESWAN_PRF: &[(&str, u16)] = &[
    ("sha", prf::HMAC_SHA1),
    ("sha1", prf::HMAC_SHA1),
    ("sha2", prf::HMAC_SHA2_256),
    ("sha256", prf::HMAC_SHA2_256),
    ("sha2_256", prf::HMAC_SHA2_256),
    ("sha384", prf::HMAC_SHA2_384),
    ("sha2_384", prf::HMAC_SHA2_384),
    ("sha512", prf::HMAC_SHA2_512),
    ("sha2_512", prf::HMAC_SHA2_512),
];

/// Libreswan integrity names (`none`/`null` are handled by the parser).
pub(crate) const LIBRESWAN_INTEG: &[(&str, u16)] = &[
    ("sha", integ::HMAC_SHA1_96),
    ("sha1", integ::HMAC_SHA1_96),
    ("sha1_96", integ::HMAC_SHA1_96),
    ("hmac_sha1", integ::HMAC_SHA1_96),
    ("sha2", integ::HMAC_SHA2_256_128),
    ("sha256", integ::HMAC_SHA2_256_128),
    ("sha2_256", integ::HMAC_SHA2_256_128),
    ("sha2_256_128", integ::HMAC_SHA2_256_128),
    ("hmac_sha2_256", integ::HMAC_SHA2_256_128),
    ("sha384", integ::HMAC_SHA2_384_192),
    ("sha2_384", integ::HMAC_SHA2_384_192),
    ("sha2_384_192", integ::HMAC_SHA2_384_192),
    ("hmac_sha2_384", integ::HMAC_SHA2_384_192),
    ("sha512", integ::HMAC_SHA2_512_256),
    ("sha2_512", integ::HMAC_SHA2_512_256),
    ("sha2_512_256", integ::HMAC_SHA2_512_256),
    ("hmac_sha2_512", integ::HMAC_SHA2_512_256),
];

/// Libreswan key exchange names, `none` included (valid in ESP only).
pub(crate) const LIBRESWAN_KE: &[(&str, u16)] = &[
    ("modp1024", ke::MODP1024),
    ("dh2", ke::MODP1024),
    ("modp1536", ke::MODP1536),
    ("dh5", ke::MODP1536),
    ("modp2048", ke::MODP2048),
    ("dh14", ke::MODP2048),
    ("modp3072", ke::MODP3072),
    ("dh15", ke::MODP3072),
    ("modp4096", ke::MODP4096),
    ("dh16", ke::MODP4096),
    ("modp6144", ke::MODP6144),
    ("dh17", ke::MODP6144),
    ("modp8192", ke::MODP8192),
    ("dh18", ke::MODP8192),
    ("ecp_256", ke::ECP256),
    ("ecp256", ke::ECP256),
    ("dh19", ke::ECP256),
    ("ecp_384", ke::ECP384),
    ("ecp384", ke::ECP384),
    ("dh20", ke::ECP384),
    ("ecp_521", ke::ECP521),
    ("ecp521", ke::ECP521),
    ("dh21", ke::ECP521),
    ("curve25519", ke::CURVE25519),
    ("x25519", ke::CURVE25519),
    ("dh31", ke::CURVE25519),
    ("ml_kem_512", ke::MLKEM512),
    ("mlkem512", ke::MLKEM512),
    ("ml_kem_768", ke::MLKEM768),
    ("mlkem768", ke::MLKEM768),
    ("ml_kem_1024", ke::MLKEM1024),
    ("mlkem1024", ke::MLKEM1024),
    ("none", ke::NONE),
    ("null", ke::NONE),
    ("dh0", ke::NONE),
];

/// Why a name known to Libreswan is not supported, if it is one.
#[must_use]
pub fn libreswan_unsupported(name: &str) -> Option<&'static str> {
    let n = name.to_ascii_lowercase();
    let n = n.as_str();
    let exact: &[(&str, &str)] = &[
        ("md5", "MD5 is broken; use sha2_256 or better"),
        ("hmac_md5", "MD5 is broken; use sha2_256 or better"),
        ("md5_96", "MD5 is broken; use sha2_256 or better"),
        ("des", "single DES is broken"),
        ("1des", "single DES is broken"),
        ("null", "NULL encryption is not supported"),
        ("aes_xcbc", "AES-XCBC is not supported"),
        ("aes128_xcbc", "AES-XCBC is not supported"),
        ("aes128_xcbc_96", "AES-XCBC is not supported"),
        ("aes_cmac", "AES-CMAC is not supported"),
        ("aes_gmac", "AES-GMAC (integrity only) is not supported"),
        ("modp768", "modp768 is far too weak"),
        ("dh1", "modp768 is far too weak"),
        (
            "dh22",
            "MODP groups with small subgroups (22-24) are not supported",
        ),
        (
            "dh23",
            "MODP groups with small subgroups (22-24) are not supported",
        ),
        (
            "dh24",
            "MODP groups with small subgroups (22-24) are not supported",
        ),
        ("curve448", "curve448 is not supported yet"),
        ("dh32", "curve448 is not supported yet"),
        ("x448", "curve448 is not supported yet"),
    ];
    if let Some((_, why)) = exact.iter().find(|(k, _)| *k == n) {
        return Some(why);
    }
    let prefixes: &[(&str, &str)] = &[
        ("aes_ctr", "AES-CTR is not supported"),
        ("aesctr", "AES-CTR is not supported"),
        ("aes_ccm", "AES-CCM is not supported"),
        (
            "null_auth_aes_gmac",
            "AES-GMAC (integrity only) is not supported",
        ),
        ("camellia", "Camellia is not supported"),
        ("blowfish", "Blowfish is not supported"),
        ("twofish", "Twofish is not supported"),
        ("serpent", "Serpent is not supported"),
        ("cast", "CAST is not supported"),
        ("mars", "MARS is not supported"),
        (
            "sha2_256_96",
            "truncated SHA-256 (96 bits) is not supported",
        ),
    ];
    prefixes
        .iter()
        .find(|(p, _)| n.starts_with(p))
        .map(|(_, why)| *why)
}

/// What a strongSwan token means, when it names something we support.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SwToken {
    /// ENCR with optional key length.
    Encr(u16, Option<u16>),
    /// Integrity algorithm.
    Integ(u16),
    /// PRF.
    Prf(u16),
    /// Key exchange (0 = none).
    Ke(u16),
    /// ESN (0 = no, 1 = yes).
    Esn(u16),
    /// An additional key exchange (RFC 9370): index 0..=6 (ADDKE1..7) and the method.
    AddKe(usize, u16),
}

/// strongSwan tokens other than the generated AES-GCM family.
const STRONGSWAN_TOKENS: &[(&str, SwToken)] = &[
    ("aes", SwToken::Encr(encr::AES_CBC, Some(128))),
    ("aes128", SwToken::Encr(encr::AES_CBC, Some(128))),
    ("aes192", SwToken::Encr(encr::AES_CBC, Some(192))),
    ("aes256", SwToken::Encr(encr::AES_CBC, Some(256))),
    ("3des", SwToken::Encr(encr::DES3, None)),
    (
        "chacha20poly1305",
        SwToken::Encr(encr::CHACHA20_POLY1305, None),
    ),
    ("sha", SwToken::Integ(integ::HMAC_SHA1_96)),
    ("sha1", SwToken::Integ(integ::HMAC_SHA1_96)),
    ("sha256", SwToken::Integ(integ::HMAC_SHA2_256_128)),
    ("sha2_256", SwToken::Integ(integ::HMAC_SHA2_256_128)),
    ("sha384", SwToken::Integ(integ::HMAC_SHA2_384_192)),
    ("sha2_384", SwToken::Integ(integ::HMAC_SHA2_384_192)),
    ("sha512", SwToken::Integ(integ::HMAC_SHA2_512_256)),
    ("sha2_512", SwToken::Integ(integ::HMAC_SHA2_512_256)),
    ("prfsha1", SwToken::Prf(prf::HMAC_SHA1)),
    ("prfsha256", SwToken::Prf(prf::HMAC_SHA2_256)),
    ("prfsha384", SwToken::Prf(prf::HMAC_SHA2_384)),
    ("prfsha512", SwToken::Prf(prf::HMAC_SHA2_512)),
    ("none", SwToken::Ke(ke::NONE)),
    ("modpnone", SwToken::Ke(ke::NONE)),
    ("modp1024", SwToken::Ke(ke::MODP1024)),
    ("modp1536", SwToken::Ke(ke::MODP1536)),
    ("modp2048", SwToken::Ke(ke::MODP2048)),
    ("modp3072", SwToken::Ke(ke::MODP3072)),
    ("modp4096", SwToken::Ke(ke::MODP4096)),
    ("modp6144", SwToken::Ke(ke::MODP6144)),
    ("modp8192", SwToken::Ke(ke::MODP8192)),
    ("ecp256", SwToken::Ke(ke::ECP256)),
    ("ecp384", SwToken::Ke(ke::ECP384)),
    ("ecp521", SwToken::Ke(ke::ECP521)),
    ("curve25519", SwToken::Ke(ke::CURVE25519)),
    ("x25519", SwToken::Ke(ke::CURVE25519)),
    ("mlkem512", SwToken::Ke(ke::MLKEM512)),
    ("mlkem768", SwToken::Ke(ke::MLKEM768)),
    ("mlkem1024", SwToken::Ke(ke::MLKEM1024)),
    ("esn", SwToken::Esn(esn::YES)),
    ("noesn", SwToken::Esn(esn::NO)),
];

/// ICV suffixes of strongSwan's AES-GCM tokens (`aes256gcm16`, `aes256gcm128`, `aes256gcm`).
const GCM_SUFFIXES: &[(&str, u16)] = &[
    ("8", encr::AES_GCM_8),
    ("64", encr::AES_GCM_8),
    ("12", encr::AES_GCM_12),
    ("96", encr::AES_GCM_12),
    ("16", encr::AES_GCM_16),
    ("128", encr::AES_GCM_16),
    ("", encr::AES_GCM_16),
];

/// Looks up a strongSwan token (lower case). AES-GCM with 192-bit keys is returned as
/// recognized; the caller checks support against [`SUPPORTED`].
pub(crate) fn strongswan_token(token: &str) -> Option<SwToken> {
    if let Some((_, t)) = STRONGSWAN_TOKENS.iter().find(|(n, _)| *n == token) {
        return Some(*t);
    }
    // `ke1_mlkem768` .. `ke7_none`: additional key exchanges.
    if let Some(rest) = token.strip_prefix("ke") {
        let (n, method) = rest.split_once('_')?;
        let n: usize = n.parse().ok().filter(|n| (1..=7).contains(n))?;
        return match strongswan_token(method)? {
            SwToken::Ke(id) => Some(SwToken::AddKe(n - 1, id)),
            _ => None,
        };
    }
    let rest = token.strip_prefix("aes")?;
    for bits in [128u16, 192, 256] {
        let Some(mode) = rest.strip_prefix(bits.to_string().as_str()) else {
            continue;
        };
        let Some(icv) = mode.strip_prefix("gcm") else {
            continue;
        };
        if let Some((_, id)) = GCM_SUFFIXES.iter().find(|(s, _)| *s == icv) {
            return Some(SwToken::Encr(*id, Some(bits)));
        }
    }
    None
}

/// Why a name known to strongSwan is not supported, if it is one.
#[must_use]
pub fn strongswan_unsupported(name: &str) -> Option<&'static str> {
    let n = name.to_ascii_lowercase();
    let n = n.as_str();
    let exact: &[(&str, &str)] = &[
        ("md5", "MD5 is broken; use sha256 or better"),
        ("md5_128", "MD5 is broken; use sha256 or better"),
        ("prfmd5", "MD5 is broken; use prfsha256 or better"),
        ("des", "single DES is broken"),
        ("null", "NULL encryption is not supported"),
        ("sha1_160", "untruncated HMAC-SHA1 is not supported"),
        ("sha256_96", "truncated SHA-256 (96 bits) is not supported"),
        (
            "sha2_256_96",
            "truncated SHA-256 (96 bits) is not supported",
        ),
        ("aesxcbc", "AES-XCBC is not supported"),
        ("prfaesxcbc", "AES-XCBC is not supported"),
        ("aescmac", "AES-CMAC is not supported"),
        ("prfaescmac", "AES-CMAC is not supported"),
        ("camelliaxcbc", "Camellia is not supported"),
        ("prfcamelliaxcbc", "Camellia is not supported"),
        ("modpnull", "MODP_NULL is a test group"),
        ("modp768", "modp768 is far too weak"),
        (
            "modp1024s160",
            "MODP groups with small subgroups (22-24) are not supported",
        ),
        (
            "modp2048s224",
            "MODP groups with small subgroups (22-24) are not supported",
        ),
        (
            "modp2048s256",
            "MODP groups with small subgroups (22-24) are not supported",
        ),
        ("ecp192", "ecp192 is not supported"),
        ("ecp224", "ecp224 is not supported"),
        ("curve448", "curve448 is not supported yet"),
        ("x448", "curve448 is not supported yet"),
    ];
    if let Some((_, why)) = exact.iter().find(|(k, _)| *k == n) {
        return Some(why);
    }
    // `ke1_kyber768`: an additional key exchange with a method we do not have.
    if let Some((_, method)) = n
        .strip_prefix("ke")
        .and_then(|r| r.split_once('_'))
        .filter(|(d, _)| matches!(*d, "1" | "2" | "3" | "4" | "5" | "6" | "7"))
    {
        return strongswan_unsupported(method);
    }
    if n.starts_with("aes192gcm") {
        return Some("AES-GCM with 192-bit keys is not supported; use aes128gcm16 or aes256gcm16");
    }
    let prefixes: &[(&str, &str)] = &[
        ("camellia", "Camellia is not supported"),
        ("blowfish", "Blowfish is not supported"),
        ("twofish", "Twofish is not supported"),
        ("serpent", "Serpent is not supported"),
        ("cast", "CAST is not supported"),
        ("ntru", "NTRU is not supported"),
        ("kyber", "Kyber is not supported"),
        ("frodo", "FrodoKEM is not supported"),
        ("saber", "SABER is not supported"),
        ("bike", "BIKE is not supported"),
        ("hqc", "HQC is not supported"),
        ("sike", "SIKE is broken"),
    ];
    if let Some((_, why)) = prefixes.iter().find(|(p, _)| n.starts_with(p)) {
        return Some(why);
    }
    if n.starts_with("ecp") && n.ends_with("bp") {
        return Some("Brainpool curves are not supported");
    }
    if let Some(rest) = n.strip_prefix("aes") {
        let mode = rest.trim_start_matches(|c: char| c.is_ascii_digit());
        if mode.starts_with("ctr") {
            return Some("AES-CTR is not supported");
        }
        if mode.starts_with("ccm") {
            return Some("AES-CCM is not supported");
        }
        if mode.starts_with("gmac") {
            return Some("AES-GMAC (integrity only) is not supported");
        }
    }
    None
}

/// The names a suggestion may be drawn from, for one syntax and one kind of transform.
pub(crate) fn libreswan_names(kind: TransformKind) -> Vec<String> {
    match kind {
        Encr => {
            let mut v: Vec<String> = LIBRESWAN_ENCR
                .iter()
                .map(|(n, _)| (*n).to_owned())
                .collect();
            v.extend(
                SUPPORTED
                    .iter()
                    .filter(|a| a.kind == Encr)
                    .map(|a| a.libreswan.to_owned()),
            );
            v.extend(["aes_cbc128", "aes_cbc192", "aes_cbc256"].map(str::to_owned));
            v
        }
        Prf => LIBRESWAN_PRF.iter().map(|(n, _)| (*n).to_owned()).collect(),
        Integ => LIBRESWAN_INTEG
            .iter()
            .map(|(n, _)| (*n).to_owned())
            .collect(),
        Ke => LIBRESWAN_KE.iter().map(|(n, _)| (*n).to_owned()).collect(),
        Esn => Vec::new(),
    }
}

/// Every supported strongSwan token (for suggestions).
pub(crate) fn strongswan_names() -> Vec<String> {
    let mut v: Vec<String> = STRONGSWAN_TOKENS
        .iter()
        .map(|(n, _)| (*n).to_owned())
        .collect();
    v.extend(
        SUPPORTED
            .iter()
            .filter(|a| a.kind == Encr)
            .map(|a| a.strongswan.to_owned()),
    );
    v
}

/// strongSwan names of transforms we recognize for display but do not negotiate.
fn strongswan_unsupported_display(ttype: u8, id: u16, key: Option<u16>) -> Option<String> {
    let k = key.map(|b| b.to_string()).unwrap_or_default();
    let s = match (ttype, id) {
        (transform_type::ENCR, 2) => "des".to_owned(),
        (transform_type::ENCR, 6) => "cast128".to_owned(),
        (transform_type::ENCR, 7) => format!("blowfish{k}"),
        (transform_type::ENCR, 11) => "null".to_owned(),
        (transform_type::ENCR, 12) => format!("aes{k}"),
        (transform_type::ENCR, 13) => format!("aes{k}ctr"),
        (transform_type::ENCR, 14) => format!("aes{k}ccm8"),
        (transform_type::ENCR, 15) => format!("aes{k}ccm12"),
        (transform_type::ENCR, 16) => format!("aes{k}ccm16"),
        (transform_type::ENCR, 18) => format!("aes{k}gcm8"),
        (transform_type::ENCR, 19) => format!("aes{k}gcm12"),
        (transform_type::ENCR, 20) => format!("aes{k}gcm16"),
        (transform_type::ENCR, 21) => format!("aes{k}gmac"),
        (transform_type::ENCR, 23) => format!("camellia{k}"),
        (transform_type::ENCR, 24) => format!("camellia{k}ctr"),
        (transform_type::PRF, 1) => "prfmd5".to_owned(),
        (transform_type::PRF, 4) => "prfaesxcbc".to_owned(),
        (transform_type::PRF, 8) => "prfaescmac".to_owned(),
        (transform_type::INTEG, 0) => "integnone".to_owned(),
        (transform_type::INTEG, 1) => "md5".to_owned(),
        (transform_type::INTEG, 5) => "aesxcbc".to_owned(),
        (transform_type::INTEG, 8) => "aescmac".to_owned(),
        (transform_type::KE, 1) => "modp768".to_owned(),
        (transform_type::KE, 22) => "modp1024s160".to_owned(),
        (transform_type::KE, 23) => "modp2048s224".to_owned(),
        (transform_type::KE, 24) => "modp2048s256".to_owned(),
        (transform_type::KE, 25) => "ecp192".to_owned(),
        (transform_type::KE, 26) => "ecp224".to_owned(),
        (transform_type::KE, 27) => "ecp224bp".to_owned(),
        (transform_type::KE, 28) => "ecp256bp".to_owned(),
        (transform_type::KE, 29) => "ecp384bp".to_owned(),
        (transform_type::KE, 30) => "ecp512bp".to_owned(),
        (transform_type::KE, 32) => "x448".to_owned(),
        _ => return None,
    };
    Some(s)
}

/// A strongSwan-style token for any transform, supported or not, for messages such as "the
/// gateway offered aes128-sha1-modp1024". Unknown values get a generic token (`encr99`,
/// `ke1025`, `ke1_mlkem768` for additional key exchanges).
#[must_use]
pub fn strongswan_display_name(ttype: u8, id: u16, key_bits: Option<u16>) -> String {
    if let Some(kind) = TransformKind::from_ttype(ttype) {
        if let Some(info) = lookup(kind, id, key_bits) {
            return info.strongswan.to_owned();
        }
    }
    if (transform_type::ADDKE1..=transform_type::ADDKE1 + 6).contains(&ttype) {
        let n = ttype.saturating_sub(transform_type::ADDKE1) + 1;
        let inner = strongswan_display_name(transform_type::KE, id, key_bits);
        return format!("ke{n}_{inner}");
    }
    if let Some(name) = strongswan_unsupported_display(ttype, id, key_bits) {
        return name;
    }
    let prefix = match TransformKind::from_ttype(ttype) {
        Some(Encr) => "encr".to_owned(),
        Some(Prf) => "prf".to_owned(),
        Some(Integ) => "integ".to_owned(),
        Some(Ke) => "ke".to_owned(),
        Some(Esn) => "esn".to_owned(),
        None => format!("type{ttype}_"),
    };
    match key_bits {
        Some(k) => format!("{prefix}{id}_{k}"),
        None => format!("{prefix}{id}"),
    }
}

/// The Levenshtein edit distance between two ASCII-ish strings (by `char`).
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0usize; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        if let Some(first) = cur.first_mut() {
            *first = i + 1;
        }
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            let del = prev
                .get(j + 1)
                .copied()
                .unwrap_or(usize::MAX)
                .saturating_add(1);
            let ins = cur.get(j).copied().unwrap_or(usize::MAX).saturating_add(1);
            let sub = prev
                .get(j)
                .copied()
                .unwrap_or(usize::MAX)
                .saturating_add(cost);
            if let Some(slot) = cur.get_mut(j + 1) {
                *slot = del.min(ins).min(sub);
            }
        }
        core::mem::swap(&mut prev, &mut cur);
    }
    prev.last().copied().unwrap_or(0)
}

/// The closest candidate to `token`, if it is close enough to be a plausible typo.
pub(crate) fn suggest(token: &str, candidates: &[String]) -> Option<String> {
    let t = token.to_ascii_lowercase();
    let limit = (t.chars().count() / 3).max(2);
    candidates
        .iter()
        .map(|c| (edit_distance(&t, c), c))
        .filter(|(d, _)| *d > 0 && *d <= limit)
        .min_by_key(|(d, c)| (*d, c.chars().count().abs_diff(t.chars().count())))
        .map(|(_, c)| c.clone())
}
