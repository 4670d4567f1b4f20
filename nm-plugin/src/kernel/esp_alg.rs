//! The kernel's names for the ESP algorithms the engine negotiates.
//!
//! The engine speaks IANA transform ids (RFC 7296 and its registries); Linux XFRM wants
//! crypto API names (`rfc4106(gcm(aes))`, `cbc(aes)`, `hmac(sha256)`). This table is the one
//! place that maps the first to the second. An id without a name here is refused when its SA
//! is installed (the connection fails naming it), never installed with some other algorithm.

use ike_core::ids::{encr, integ};

/// The XFRM name of an AEAD (combined-mode) ESP encryption transform.
pub fn aead_name(encr_id: u16) -> Option<&'static str> {
    Some(match encr_id {
        encr::AES_GCM_16 | encr::AES_GCM_12 | encr::AES_GCM_8 => "rfc4106(gcm(aes))",
        encr::CHACHA20_POLY1305 => "rfc7539esp(chacha20,poly1305)",
        _ => return None,
    })
}

/// The XFRM name of a non-AEAD ESP encryption transform.
pub fn encr_name(encr_id: u16) -> Option<&'static str> {
    Some(match encr_id {
        encr::AES_CBC => "cbc(aes)",
        encr::DES3 => "cbc(des3_ede)",
        _ => return None,
    })
}

/// The XFRM name of an ESP integrity transform (the truncation goes in its own field).
pub fn integ_name(integ_id: u16) -> Option<&'static str> {
    Some(match integ_id {
        integ::HMAC_SHA1_96 => "hmac(sha1)",
        integ::HMAC_SHA2_256_128 => "hmac(sha256)",
        integ::HMAC_SHA2_384_192 => "hmac(sha384)",
        integ::HMAC_SHA2_512_256 => "hmac(sha512)",
        _ => return None,
    })
}

/// Packet layout of a non-AEAD ESP encryption transform: (IV octets, block size octets):
/// 3DES 8 and 8, AES-CBC 16 and 16.
pub fn encr_iv_block(encr_id: u16) -> (u32, u32) {
    match encr_id {
        encr::DES3 => (8, 8),
        _ => (16, 16),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every encryption and integrity transform the engine negotiates (its registry) has a
    /// kernel name, and the AEAD and non-AEAD tables agree with the registry on which is which.
    #[test]
    fn every_negotiable_transform_has_one_kernel_name() {
        use ike_core::proposal::registry::{TransformKind, SUPPORTED};
        for a in SUPPORTED {
            match a.kind {
                TransformKind::Encr if a.aead => {
                    assert!(aead_name(a.id).is_some(), "{a:?}");
                    assert_eq!(encr_name(a.id), None, "{a:?}");
                }
                TransformKind::Encr => {
                    assert!(encr_name(a.id).is_some(), "{a:?}");
                    assert_eq!(aead_name(a.id), None, "{a:?}");
                }
                TransformKind::Integ => assert!(integ_name(a.id).is_some(), "{a:?}"),
                _ => {}
            }
        }
    }

    #[test]
    fn unknown_ids_have_no_name() {
        assert_eq!(aead_name(encr::AES_CBC), None);
        assert_eq!(encr_name(encr::AES_GCM_16), None);
        assert_eq!(encr_name(0xffff), None);
        assert_eq!(integ_name(integ::NONE), None);
    }

    #[test]
    fn names_match_the_kernel_crypto_api() {
        assert_eq!(aead_name(encr::AES_GCM_12), Some("rfc4106(gcm(aes))"));
        assert_eq!(encr_name(encr::AES_CTR), None, "not negotiated");
        assert_eq!(integ_name(integ::HMAC_MD5_96), None, "not negotiated");
        assert_eq!(integ_name(integ::HMAC_SHA2_384_192), Some("hmac(sha384)"));
        assert_eq!(encr_iv_block(encr::AES_CBC), (16, 16));
        assert_eq!(encr_iv_block(encr::DES3), (8, 8));
    }
}
