//! Default proposals.
//!
//! The choice, and why:
//! - IKE proposal 1 (AEAD): AES-GCM-16-256, AES-GCM-16-128, ChaCha20-Poly1305 with PRF
//!   HMAC-SHA2-512/384/256. Proposal 2 (classic, for peers without AEAD in IKE): AES-CBC-256,
//!   AES-CBC-128 with HMAC-SHA2-512-256/384-192/256-128 integrity and the same PRFs. This is
//!   Libreswan's IKEv2 default cipher list plus SHA2-384, which strongSwan's default and many
//!   gateways (OCI, AWS) use.
//! - Key exchange, in order: x25519 (fastest, ~37 µs here), ecp256, ecp384, modp3072,
//!   modp2048 ([`DEFAULT_KE`]). Like strongSwan's default we leave out modp1024/1536 (too weak)
//!   and the large MODP groups (slow, rarely required); a peer that insists on them must be
//!   configured explicitly, e.g. Yamaha's `aes128-sha1-modp1024`.
//! - ESP: aes_gcm256, aes_gcm128, chacha20_poly1305 (one AEAD proposal); aes256 with
//!   sha2_512/sha2_256; aes128 with sha2_256. ESN: "no" preferred, "yes" accepted
//!   ([`DEFAULT_ESN`], Libreswan's `esn=either`).
//! - PFS: on by default, as in Libreswan (`pfs=yes`). [`default_esp`] has no KE transforms
//!   because the Child SA created in IKE_AUTH has no key exchange; for CREATE_CHILD_SA use
//!   [`esp_with_pfs`] with [`pfs_groups`] of the IKE SA's group (that group first, then
//!   [`DEFAULT_KE`]), or [`without_pfs`] when the user set `pfs=no`.

use super::{EncrAlg, Proposal, ProposalSet, Protocol};
use crate::ids::{encr, esn, integ, ke, prf};

/// Default key exchange methods, in preference order.
pub const DEFAULT_KE: [u16; 5] = [
    ke::CURVE25519,
    ke::ECP256,
    ke::ECP384,
    ke::MODP3072,
    ke::MODP2048,
];

/// Default ESN list of ESP proposals: no ESN preferred, ESN accepted.
pub const DEFAULT_ESN: [u16; 2] = [esn::NO, esn::YES];

const DEFAULT_PRF: [u16; 3] = [prf::HMAC_SHA2_512, prf::HMAC_SHA2_384, prf::HMAC_SHA2_256];

/// Our default IKE proposals (see the module documentation).
#[must_use]
pub fn default_ike() -> ProposalSet {
    let aead = Proposal {
        protocol: Protocol::Ike,
        encr: vec![
            EncrAlg::new(encr::AES_GCM_16, Some(256)),
            EncrAlg::new(encr::AES_GCM_16, Some(128)),
            EncrAlg::new(encr::CHACHA20_POLY1305, None),
        ],
        prf: DEFAULT_PRF.to_vec(),
        integ: Vec::new(),
        ke: DEFAULT_KE.to_vec(),
        esn: Vec::new(),
        addke: Default::default(),
    };
    let cbc = Proposal {
        protocol: Protocol::Ike,
        encr: vec![
            EncrAlg::new(encr::AES_CBC, Some(256)),
            EncrAlg::new(encr::AES_CBC, Some(128)),
        ],
        prf: DEFAULT_PRF.to_vec(),
        integ: vec![
            integ::HMAC_SHA2_512_256,
            integ::HMAC_SHA2_384_192,
            integ::HMAC_SHA2_256_128,
        ],
        ke: DEFAULT_KE.to_vec(),
        esn: Vec::new(),
        addke: Default::default(),
    };
    ProposalSet(vec![aead, cbc])
}

/// Our default ESP proposals, without key exchange (as used in IKE_AUTH; see
/// [`esp_with_pfs`] for CREATE_CHILD_SA).
#[must_use]
pub fn default_esp() -> ProposalSet {
    let esp = |encr: Vec<EncrAlg>, integ: Vec<u16>| Proposal {
        protocol: Protocol::Esp,
        encr,
        prf: Vec::new(),
        integ,
        ke: Vec::new(),
        esn: DEFAULT_ESN.to_vec(),
        addke: Default::default(),
    };
    ProposalSet(vec![
        esp(
            vec![
                EncrAlg::new(encr::AES_GCM_16, Some(256)),
                EncrAlg::new(encr::AES_GCM_16, Some(128)),
                EncrAlg::new(encr::CHACHA20_POLY1305, None),
            ],
            Vec::new(),
        ),
        esp(
            vec![EncrAlg::new(encr::AES_CBC, Some(256))],
            vec![integ::HMAC_SHA2_512_256, integ::HMAC_SHA2_256_128],
        ),
        esp(
            vec![EncrAlg::new(encr::AES_CBC, Some(128))],
            vec![integ::HMAC_SHA2_256_128],
        ),
    ])
}

/// The PFS groups to propose for a Child SA of an IKE SA that used `ike_group`: that group
/// first, then [`DEFAULT_KE`] without duplicates.
#[must_use]
pub fn pfs_groups(ike_group: u16) -> Vec<u16> {
    let mut v = vec![ike_group];
    v.extend(DEFAULT_KE.iter().copied().filter(|&g| g != ike_group));
    v
}

/// A copy of an ESP set with PFS: every proposal without key exchange methods gets `groups`;
/// proposals that already name groups (`esp=aes_gcm256;modp1536`) keep theirs.
#[must_use]
pub fn esp_with_pfs(set: &ProposalSet, groups: &[u16]) -> ProposalSet {
    ProposalSet(
        set.iter()
            .cloned()
            .map(|mut p| {
                if p.protocol == Protocol::Esp && p.ke.is_empty() {
                    p.ke = groups.to_vec();
                }
                p
            })
            .collect(),
    )
}

/// A copy of an ESP set without PFS (all key exchange methods removed), for `pfs=no` and for
/// the Child SA negotiated inside IKE_AUTH.
#[must_use]
pub fn without_pfs(set: &ProposalSet) -> ProposalSet {
    ProposalSet(
        set.iter()
            .cloned()
            .map(|mut p| {
                if p.protocol == Protocol::Esp {
                    p.ke.clear();
                    // Additional key exchanges need PFS (RFC 9370 §2.2.4).
                    p.addke = Default::default();
                }
                p
            })
            .collect(),
    )
}
