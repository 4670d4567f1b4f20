//! Formatting proposals back to Libreswan and strongSwan syntax.
//!
//! Both formats are parsed back to the same proposal by [`super::parse_libreswan`] and
//! [`super::parse_strongswan`] (round-trip tested), with one loss: Libreswan's `esp=` has no
//! ESN field.
//!
//! strongSwan output lists ENCR, INTEG, PRF, KE, ESN keywords; the PRF keywords are left out of
//! an IKE proposal when they are exactly the integrity algorithms' families (strongSwan derives
//! them), and ESN is left out when it is just "no" (the ESP default).

use super::registry::{
    self, derive_list, integ_for_prf, prf_for_integ, strongswan_display_name, TransformKind,
};
use super::{Proposal, Protocol, TransformSpec};
use crate::ids::{esn, integ, transform_type};

/// Formats any transform list in strongSwan syntax, naming also transforms we do not
/// support (`aes128ctr`, `modp768`, `ke1_mlkem768`, generic `encr99` for unknown ids): what
/// the UI shows for a peer's offer. `protocol_id` is the IANA security protocol (1 = IKE,
/// 3 = ESP) and controls the PRF/ESN abbreviations.
#[must_use]
pub fn format_transforms_strongswan(protocol_id: u8, transforms: &[TransformSpec]) -> String {
    let of =
        |t: u8| -> Vec<&TransformSpec> { transforms.iter().filter(|x| x.ttype == t).collect() };
    let ids = |list: &[&TransformSpec]| -> Vec<u16> { list.iter().map(|x| x.id).collect() };
    let encr = of(transform_type::ENCR);
    let aead = !encr.is_empty() && encr.iter().all(|e| registry::is_aead(e.id));
    let integs: Vec<&TransformSpec> = of(transform_type::INTEG)
        .into_iter()
        .filter(|t| !(aead && t.id == integ::NONE))
        .collect();
    let prfs = of(transform_type::PRF);
    let esns = of(transform_type::ESN);
    let ike = Protocol::from_id(protocol_id) == Some(Protocol::Ike);
    let esp = Protocol::from_id(protocol_id) == Some(Protocol::Esp);
    let prf_implied =
        ike && !prfs.is_empty() && ids(&prfs) == derive_list(&ids(&integs), prf_for_integ);
    let esn_implied = esp && ids(&esns) == [esn::NO];

    let mut tokens: Vec<String> = Vec::new();
    let mut push = |list: &[&TransformSpec]| {
        for t in list {
            tokens.push(strongswan_display_name(t.ttype, t.id, t.key_len));
        }
    };
    push(&encr);
    push(&integs);
    if !prf_implied {
        push(&prfs);
    }
    push(&of(transform_type::KE));
    if !esn_implied {
        push(&esns);
    }
    let others: Vec<&TransformSpec> = transforms
        .iter()
        .filter(|t| t.ttype > transform_type::ESN || t.ttype == 0)
        .collect();
    push(&others);
    tokens.join("-")
}

/// A proposal in strongSwan syntax.
pub(crate) fn proposal_strongswan(p: &Proposal) -> String {
    format_transforms_strongswan(p.protocol.id(), &p.to_transforms())
}

fn libreswan_name(kind: TransformKind, id: u16, key: Option<u16>) -> String {
    match registry::lookup(kind, id, key) {
        Some(a) => a.libreswan.to_owned(),
        None => strongswan_display_name(kind.ttype(), id, key),
    }
}

fn joined(kind: TransformKind, ids: &[u16]) -> String {
    ids.iter()
        .map(|&id| libreswan_name(kind, id, None))
        .collect::<Vec<_>>()
        .join("+")
}

/// Appends `;addkeN=...` for each additional key exchange type in use.
fn push_addke(s: &mut String, p: &Proposal) {
    for (n, list) in (1..).zip(p.addke.iter()) {
        if !list.is_empty() {
            s.push_str(&format!(";addke{n}={}", joined(TransformKind::Ke, list)));
        }
    }
}

/// A proposal in Libreswan syntax: IKE `ENCR-PRF[-INTEG]-KE` (INTEG only when it is not the
/// PRF's family), ESP `ENCR[-INTEG][;KE]`.
pub(crate) fn proposal_libreswan(p: &Proposal) -> String {
    let encr = p
        .encr
        .iter()
        .map(|e| libreswan_name(TransformKind::Encr, e.id, e.key_bits))
        .collect::<Vec<_>>()
        .join("+");
    let aead = p.is_aead();
    let mut fields = vec![encr];
    match p.protocol {
        Protocol::Ike => {
            if !p.prf.is_empty() {
                fields.push(joined(TransformKind::Prf, &p.prf));
            }
            if !aead && p.integ != derive_list(&p.prf, integ_for_prf) {
                // The explicit 4-field form: full integrity names (`sha2_256_128`) so that the
                // string cannot be mistaken for strongSwan syntax.
                let names: Vec<String> = p
                    .integ
                    .iter()
                    .map(|&id| match id {
                        integ::HMAC_SHA1_96 => "sha1_96".to_owned(),
                        integ::HMAC_SHA2_256_128 => "sha2_256_128".to_owned(),
                        integ::HMAC_SHA2_384_192 => "sha2_384_192".to_owned(),
                        integ::HMAC_SHA2_512_256 => "sha2_512_256".to_owned(),
                        other => libreswan_name(TransformKind::Integ, other, None),
                    })
                    .collect();
                fields.push(names.join("+"));
            }
            if !p.ke.is_empty() {
                fields.push(joined(TransformKind::Ke, &p.ke));
            }
            let mut s = fields.join("-");
            push_addke(&mut s, p);
            s
        }
        Protocol::Esp => {
            if !aead && !p.integ.is_empty() {
                fields.push(joined(TransformKind::Integ, &p.integ));
            }
            let mut s = fields.join("-");
            if !p.ke.is_empty() {
                s.push(';');
                s.push_str(&joined(TransformKind::Ke, &p.ke));
            }
            push_addke(&mut s, p);
            s
        }
    }
}
