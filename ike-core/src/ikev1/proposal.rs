//! IKEv1 SA payloads from and to the engine's [`Proposal`]s (RFC 2409 Appendix A, RFC 2407
//! §4.4-§4.5): Phase 1 offers are Oakley transforms (cipher, hash, authentication method,
//! group, lifetime), Phase 2 offers ESP transforms (cipher, authentication algorithm,
//! encapsulation mode, PFS group, lifetime). IKEv1 offers each combination as its own
//! transform, so an IKEv2-style proposal with several ciphers and groups becomes their product.

use core::fmt;

use crate::crypto::{Encr, Integ, KeGroup, Prf};
use crate::ids;
use crate::proposal::Proposal;
use crate::v1::ids::{doi, ipsec_attr, oakley_attr, protocol, situation};
use crate::v1::wire::{Attribute, Proposal as WireProposal, SaPayload, Transform};

/// Oakley encryption algorithm: AES-CBC (RFC 3602).
const OAKLEY_AES_CBC: u16 = 7;
/// Oakley authentication method: pre-shared key.
pub const AUTH_PSK: u16 = 1;
/// Transform id KEY_IKE.
const KEY_IKE: u8 = 1;
/// Life type seconds.
const LIFE_SECONDS: u16 = 1;
/// ESP transform ids (RFC 2407 §4.4.4; 4106 for GCM).
const ESP_AES: u8 = 12;
const ESP_AES_GCM_16: u8 = 20;
/// Encapsulation modes (RFC 2407 §4.5, RFC 3947 §5.1).
pub const MODE_TUNNEL: u16 = 1;
/// Transport mode.
pub const MODE_TRANSPORT: u16 = 2;
/// UDP-encapsulated tunnel mode.
pub const MODE_UDP_TUNNEL: u16 = 3;
/// UDP-encapsulated transport mode.
pub const MODE_UDP_TRANSPORT: u16 = 4;

/// Why a configured proposal cannot be offered in IKEv1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsupported(pub String);

impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One Phase 1 transform: cipher, PRF (the HMAC of the Oakley hash) and group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct P1Transform {
    /// AES-CBC with its key size.
    pub encr: Encr,
    /// The HMAC of the negotiated hash.
    pub prf: Prf,
    /// The Diffie-Hellman group.
    pub group: KeGroup,
}

impl fmt::Display for P1Transform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.encr, self.prf, self.group)
    }
}

/// One Phase 2 (ESP) transform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EspTransform {
    /// The cipher.
    pub encr: Encr,
    /// Integrity (none with AES-GCM).
    pub integ: Option<Integ>,
    /// The PFS group, if any.
    pub group: Option<KeGroup>,
}

impl fmt::Display for EspTransform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.encr)?;
        if let Some(i) = self.integ {
            write!(f, "/{i}")?;
        }
        if let Some(g) = self.group {
            write!(f, "/{g}")?;
        }
        Ok(())
    }
}

fn oakley_hash(prf: Prf) -> u16 {
    match prf {
        Prf::HmacSha1 => 2,
        Prf::HmacSha256 => 4,
        Prf::HmacSha384 => 5,
        Prf::HmacSha512 => 6,
    }
}

fn esp_auth(integ: Integ) -> u16 {
    match integ {
        Integ::HmacSha1_96 => 2,
        Integ::HmacSha256_128 => 5,
        Integ::HmacSha384_192 => 6,
        Integ::HmacSha512_256 => 7,
    }
}

fn cipher(id: u16, bits: Option<u16>, what: &str) -> Result<Encr, Unsupported> {
    if id == ids::encr::DES3 {
        return Err(Unsupported(format!(
            "3DES in the {what} proposals is not supported yet"
        )));
    }
    Encr::from_iana(id, bits)
        .filter(|e| !matches!(e, Encr::ChaCha20Poly1305))
        .ok_or_else(|| {
            Unsupported(format!(
                "encryption algorithm {id} is not supported with IKEv1 ({what})"
            ))
        })
}

/// RFC 9370 additional key exchanges exist in IKEv2 only.
fn no_addke(proposals: &[Proposal]) -> Result<(), Unsupported> {
    if proposals.iter().any(|p| {
        p.addke
            .iter()
            .any(|a| a.iter().any(|&g| g != ids::ke::NONE))
    }) {
        return Err(Unsupported(
            "additional key exchanges (RFC 9370) are not supported with IKEv1".into(),
        ));
    }
    Ok(())
}

/// The Phase 1 transforms of `proposals`, in preference order.
///
/// # Errors
/// A cipher, hash or group IKEv1 cannot offer here (AEAD ciphers, 3DES, unknown groups).
pub fn phase1_offer(proposals: &[Proposal]) -> Result<Vec<P1Transform>, Unsupported> {
    no_addke(proposals)?;
    let mut out = Vec::new();
    for p in proposals {
        for e in &p.encr {
            let encr = cipher(e.id, e.key_bits, "IKE")?;
            if encr.is_aead() {
                return Err(Unsupported(format!(
                    "{encr} cannot protect IKEv1 Phase 1; name a CBC cipher (e.g. aes256-sha2_256;modp2048)"
                )));
            }
            for &prf_id in &p.prf {
                let prf = Prf::from_iana(prf_id).ok_or_else(|| {
                    Unsupported(format!("PRF {prf_id} is not supported with IKEv1"))
                })?;
                for &g in &p.ke {
                    let group = KeGroup::from_iana(g).ok_or_else(|| {
                        Unsupported(format!(
                            "key exchange group {g} is not supported with IKEv1"
                        ))
                    })?;
                    let t = P1Transform { encr, prf, group };
                    if !out.contains(&t) {
                        out.push(t);
                    }
                }
            }
        }
    }
    if out.is_empty() {
        return Err(Unsupported("no Phase 1 proposal".into()));
    }
    Ok(out)
}

/// The Phase 2 transforms of `proposals` and their PFS group (IKEv1 sends one KE payload, so
/// one group: the first any proposal names).
///
/// # Errors
/// Unsupported ciphers or integrity algorithms.
pub fn esp_offer(proposals: &[Proposal]) -> Result<Vec<EspTransform>, Unsupported> {
    no_addke(proposals)?;
    let group = proposals
        .iter()
        .flat_map(|p| p.ke.iter())
        .find(|&&g| g != ids::ke::NONE)
        .map(|&g| {
            KeGroup::from_iana(g)
                .ok_or_else(|| Unsupported(format!("PFS group {g} is not supported with IKEv1")))
        })
        .transpose()?;
    let mut out = Vec::new();
    for p in proposals {
        for e in &p.encr {
            let encr = cipher(e.id, e.key_bits, "ESP")?;
            let integs: Vec<Option<Integ>> = if encr.is_aead() {
                vec![None]
            } else {
                p.integ
                    .iter()
                    .map(|&i| {
                        Integ::from_iana(i).map(Some).ok_or_else(|| {
                            Unsupported(format!("ESP integrity {i} is not supported with IKEv1"))
                        })
                    })
                    .collect::<Result<_, _>>()?
            };
            for integ in integs {
                let t = EspTransform { encr, integ, group };
                if !out.contains(&t) {
                    out.push(t);
                }
            }
        }
    }
    if out.is_empty() {
        return Err(Unsupported("no ESP proposal".into()));
    }
    Ok(out)
}

fn life(lifetime_secs: u64, life_type: u16, duration: u16) -> [Attribute; 2] {
    [
        Attribute::basic(life_type, LIFE_SECONDS),
        Attribute::integer(duration, lifetime_secs),
    ]
}

/// The Phase 1 SA payload offering `offer`.
pub fn phase1_sa(offer: &[P1Transform], lifetime_secs: u64) -> SaPayload {
    let transforms = offer
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let mut attrs = vec![Attribute::basic(oakley_attr::ENCRYPTION, OAKLEY_AES_CBC)];
            if let Some(bits) = t.encr.key_length_attr() {
                attrs.push(Attribute::basic(oakley_attr::KEY_LENGTH, bits));
            }
            attrs.push(Attribute::basic(oakley_attr::HASH, oakley_hash(t.prf)));
            attrs.push(Attribute::basic(oakley_attr::AUTH_METHOD, AUTH_PSK));
            attrs.push(Attribute::basic(
                oakley_attr::GROUP_DESCRIPTION,
                t.group.iana_id(),
            ));
            attrs.extend(life(
                lifetime_secs,
                oakley_attr::LIFE_TYPE,
                oakley_attr::LIFE_DURATION,
            ));
            Transform {
                num: u8::try_from(i.saturating_add(1)).unwrap_or(u8::MAX),
                id: KEY_IKE,
                attrs,
            }
        })
        .collect();
    SaPayload {
        doi: doi::IPSEC,
        situation: situation::IDENTITY_ONLY,
        proposals: vec![WireProposal {
            num: 1,
            protocol_id: protocol::ISAKMP,
            spi: Vec::new(),
            transforms,
        }],
    }
}

fn attr_u16(t: &Transform, ty: u16) -> Option<u16> {
    t.attr(ty)
        .and_then(Attribute::as_integer)
        .and_then(|v| u16::try_from(v).ok())
}

/// The responder's choice in its Phase 1 SA payload, if it is one of `offer` (one proposal,
/// one transform, pre-shared key authentication); with the lifetime it names.
pub fn phase1_chosen(sa: &SaPayload, offer: &[P1Transform]) -> Option<(P1Transform, Option<u64>)> {
    let [p] = sa.proposals.as_slice() else {
        return None;
    };
    let [t] = p.transforms.as_slice() else {
        return None;
    };
    if p.protocol_id != protocol::ISAKMP || t.id != KEY_IKE {
        return None;
    }
    if attr_u16(t, oakley_attr::ENCRYPTION)? != OAKLEY_AES_CBC
        || attr_u16(t, oakley_attr::AUTH_METHOD)? != AUTH_PSK
    {
        return None;
    }
    let bits = attr_u16(t, oakley_attr::KEY_LENGTH)?;
    let hash = attr_u16(t, oakley_attr::HASH)?;
    let group = attr_u16(t, oakley_attr::GROUP_DESCRIPTION)?;
    let life = t
        .attr(oakley_attr::LIFE_DURATION)
        .and_then(Attribute::as_integer);
    offer
        .iter()
        .find(|o| {
            o.encr.key_length_attr() == Some(bits)
                && oakley_hash(o.prf) == hash
                && o.group.iana_id() == group
        })
        .map(|o| (*o, life))
}

/// The Phase 2 SA payload offering `offer` with our inbound `spi`.
pub fn esp_sa(offer: &[EspTransform], spi: u32, mode: u16, lifetime_secs: u64) -> SaPayload {
    let transforms = offer
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let mut attrs = life(
                lifetime_secs,
                ipsec_attr::LIFE_TYPE,
                ipsec_attr::LIFE_DURATION,
            )
            .to_vec();
            if let Some(g) = t.group {
                attrs.push(Attribute::basic(ipsec_attr::GROUP_DESCRIPTION, g.iana_id()));
            }
            attrs.push(Attribute::basic(ipsec_attr::ENCAPSULATION_MODE, mode));
            if let Some(integ) = t.integ {
                attrs.push(Attribute::basic(
                    ipsec_attr::AUTH_ALGORITHM,
                    esp_auth(integ),
                ));
            }
            if let Some(bits) = t.encr.key_length_attr() {
                attrs.push(Attribute::basic(ipsec_attr::KEY_LENGTH, bits));
            }
            Transform {
                num: u8::try_from(i.saturating_add(1)).unwrap_or(u8::MAX),
                id: if t.encr.is_aead() {
                    ESP_AES_GCM_16
                } else {
                    ESP_AES
                },
                attrs,
            }
        })
        .collect();
    SaPayload {
        doi: doi::IPSEC,
        situation: situation::IDENTITY_ONLY,
        proposals: vec![WireProposal {
            num: 1,
            protocol_id: protocol::ESP,
            spi: spi.to_be_bytes().to_vec(),
            transforms,
        }],
    }
}

/// The responder's choice in its Quick Mode SA payload: the transform (one of `offer`), the
/// responder's SPI and the lifetime it names.
pub fn esp_chosen(
    sa: &SaPayload,
    offer: &[EspTransform],
) -> Option<(EspTransform, u32, Option<u64>)> {
    let [p] = sa.proposals.as_slice() else {
        return None;
    };
    let [t] = p.transforms.as_slice() else {
        return None;
    };
    if p.protocol_id != protocol::ESP {
        return None;
    }
    let spi = u32::from_be_bytes(<[u8; 4]>::try_from(p.spi.as_slice()).ok()?);
    let bits = attr_u16(t, ipsec_attr::KEY_LENGTH);
    let auth = attr_u16(t, ipsec_attr::AUTH_ALGORITHM);
    let group = attr_u16(t, ipsec_attr::GROUP_DESCRIPTION);
    let life = t
        .attr(ipsec_attr::LIFE_DURATION)
        .and_then(Attribute::as_integer);
    offer
        .iter()
        .find(|o| {
            let id = if o.encr.is_aead() {
                ESP_AES_GCM_16
            } else {
                ESP_AES
            };
            id == t.id
                && o.encr.key_length_attr() == bits
                && o.integ.map(esp_auth) == auth
                && o.group.map(KeGroup::iana_id) == group
        })
        .map(|o| (*o, spi, life))
}
