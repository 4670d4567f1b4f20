//! strongSwan proposal syntax (swanctl `proposals`/`esp_proposals`, ipsec.conf `ike=`/`esp=`).
//!
//! Proposals are separated by `,`; each is a `-`-separated list of keywords from strongSwan's
//! table (`aes256gcm16`, `sha384`, `prfsha384`, `ecp384`, `x25519`, `esn`...), each keyword
//! naming one transform whatever its position. Following strongSwan's own checks:
//! - IKE without a `prf...` keyword uses the PRFs of the integrity algorithms' families (also
//!   with an AEAD cipher, whose integrity keywords are then dropped); an
//!   IKE proposal must have a PRF and a key exchange method (`none` is dropped).
//! - With AEAD ciphers integrity keywords are dropped; AEAD and classic ciphers cannot share a
//!   proposal.
//! - ESP: a key exchange keyword means PFS; `none` next to groups makes PFS optional (alone it
//!   is the same as no KE keyword); PRF keywords are
//!   dropped; without `esn`/`noesn` the proposal has ESN "no". Unlike strongSwan we refuse ESP
//!   with a classic cipher and no integrity algorithm.
//! - `default` (a whole proposal) expands to our default proposals
//!   ([`super::default_ike`] / [`super::default_esp`]); a trailing `!` (ipsec.conf "strict")
//!   is accepted and ignored: we never append defaults implicitly.
//!
//! - `keN_METHOD` (N = 1..7) is an RFC 9370 additional key exchange (`x25519-ke1_mlkem768`,
//!   `ke2_none` makes it optional); in ESP only next to a PFS method.
//!
//! `aes` means AES-CBC-128, as in strongSwan. Keywords are case-insensitive.

use super::registry::{
    self, derive_list, is_supported, push_unique, strongswan_names, strongswan_token,
    strongswan_unsupported, suggest, SwToken, TransformKind,
};
use super::{default_esp, default_ike, EncrAlg, Proposal, ProposalError, ProposalSet, Protocol};
use crate::ids::{esn, ke};

/// Parses a strongSwan proposal list for `protocol`.
///
/// # Errors
/// A [`ProposalError`] naming the token, the proposal number and the setting.
pub fn parse_strongswan(protocol: Protocol, input: &str) -> Result<ProposalSet, ProposalError> {
    let mut text = input.trim();
    if let Some(t) = text.strip_suffix('!') {
        text = t.trim_end();
    }
    if text.is_empty() {
        return Err(ProposalError::EmptyList { protocol });
    }
    let label = format!("{}={}", protocol.config_key(), input.trim());
    let mut out: Vec<Proposal> = Vec::new();
    for (i, chunk) in text.split(',').enumerate() {
        let chunk = chunk.trim();
        let ctx = Ctx {
            protocol,
            proposal: i + 1,
            input: label.clone(),
        };
        if chunk.eq_ignore_ascii_case("default") {
            let defaults = match protocol {
                Protocol::Ike => default_ike(),
                Protocol::Esp => default_esp(),
            };
            for p in defaults.0 {
                push_unique(&mut out, p);
            }
            continue;
        }
        let p = ctx.parse_proposal(chunk)?;
        push_unique(&mut out, p);
    }
    Ok(ProposalSet(out))
}

struct Ctx {
    protocol: Protocol,
    proposal: usize,
    input: String,
}

impl Ctx {
    fn err_unexpected(&self, token: &str, reason: &'static str) -> ProposalError {
        ProposalError::Unexpected {
            token: token.to_owned(),
            reason,
            proposal: self.proposal,
            input: self.input.clone(),
        }
    }

    fn err_missing(&self, field: TransformKind, hint: &'static str) -> ProposalError {
        ProposalError::Missing {
            field,
            hint,
            proposal: self.proposal,
            input: self.input.clone(),
        }
    }

    fn token(&self, token: &str) -> Result<SwToken, ProposalError> {
        let lower = token.to_ascii_lowercase();
        let ike = self.protocol == Protocol::Ike;
        let not_supported = |reason: &'static str| ProposalError::NotSupported {
            token: token.to_owned(),
            reason,
            proposal: self.proposal,
            input: self.input.clone(),
        };
        match strongswan_token(&lower) {
            Some(SwToken::Encr(id, bits)) => {
                if is_supported(TransformKind::Encr, id, bits, ike) {
                    Ok(SwToken::Encr(id, bits))
                } else if registry::lookup(TransformKind::Encr, id, bits).is_some() {
                    Err(not_supported(
                        "AES-GCM with an 8- or 12-octet ICV is only supported for ESP",
                    ))
                } else {
                    Err(not_supported(
                        "AES-GCM with 192-bit keys is not supported; use aes128gcm16 or aes256gcm16",
                    ))
                }
            }
            Some(t) => Ok(t),
            None => match strongswan_unsupported(&lower) {
                Some(reason) => Err(not_supported(reason)),
                None => Err(ProposalError::UnknownAlgorithm {
                    token: token.to_owned(),
                    field: None,
                    proposal: self.proposal,
                    input: self.input.clone(),
                    suggestion: suggest(&lower, &strongswan_names()),
                }),
            },
        }
    }

    fn parse_proposal(&self, text: &str) -> Result<Proposal, ProposalError> {
        if text.is_empty() {
            return Err(ProposalError::EmptyProposal {
                proposal: self.proposal,
                input: self.input.clone(),
            });
        }
        let ike = self.protocol == Protocol::Ike;
        let mut p = Proposal::new(self.protocol);
        let mut first_aead: Option<&str> = None;
        let mut first_classic: Option<&str> = None;
        for raw in text.split('-') {
            let tok = raw.trim();
            if tok.is_empty() {
                return Err(self.err_unexpected(raw, "empty algorithm name between '-' separators"));
            }
            match self.token(tok)? {
                SwToken::Encr(id, bits) => {
                    let a = EncrAlg::new(id, bits);
                    if a.is_aead() {
                        first_aead.get_or_insert(tok);
                    } else {
                        first_classic.get_or_insert(tok);
                    }
                    push_unique(&mut p.encr, a);
                }
                SwToken::Integ(id) => push_unique(&mut p.integ, id),
                SwToken::Prf(id) => {
                    if ike {
                        push_unique(&mut p.prf, id);
                    }
                }
                SwToken::Ke(id) => push_unique(&mut p.ke, id),
                SwToken::AddKe(i, id) => {
                    if let Some(list) = p.addke.get_mut(i) {
                        push_unique(list, id);
                    }
                }
                SwToken::Esn(id) => {
                    if ike {
                        return Err(self.err_unexpected(tok, "ESN applies to ESP proposals only"));
                    }
                    push_unique(&mut p.esn, id);
                }
            }
        }
        if let (Some(aead), Some(classic)) = (first_aead, first_classic) {
            return Err(ProposalError::MixedAead {
                aead: aead.to_owned(),
                classic: classic.to_owned(),
                proposal: self.proposal,
                input: self.input.clone(),
            });
        }
        if p.encr.is_empty() {
            return Err(self.err_missing(
                TransformKind::Encr,
                "add a cipher such as aes256gcm16 or aes256",
            ));
        }
        let aead = first_aead.is_some();
        // As strongSwan: without a `prf...` keyword the integrity keywords name the PRFs, also
        // next to an AEAD cipher (`aes256gcm16-sha384` is AES-GCM with PRF_HMAC_SHA2_384).
        if ike && p.prf.is_empty() {
            p.prf = derive_list(&p.integ, registry::prf_for_integ);
        }
        if aead {
            p.integ.clear();
        } else if p.integ.is_empty() {
            return Err(self.err_missing(
                TransformKind::Integ,
                "a non-AEAD cipher needs an integrity algorithm such as sha256",
            ));
        }
        if ike {
            if p.prf.is_empty() {
                p.prf = derive_list(&p.integ, registry::prf_for_integ);
            }
            if p.prf.is_empty() {
                return Err(self.err_missing(
                    TransformKind::Prf,
                    "an AEAD cipher needs a PRF such as prfsha256",
                ));
            }
            p.ke.retain(|&g| g != ke::NONE);
            if p.ke.iter().any(|&g| registry::is_kem(g)) {
                return Err(self.err_unexpected(
                    text,
                    "ML-KEM is an additional key exchange: write it as ke1_mlkem768 after a \
                     classic method such as x25519",
                ));
            }
            if p.ke.is_empty() {
                return Err(self.err_missing(
                    TransformKind::Ke,
                    "IKE needs a key exchange method such as x25519 or ecp256",
                ));
            }
        } else {
            if p.esn.is_empty() {
                p.esn.push(esn::NO);
            }
            // A lone `none` is the same as no KE keyword.
            if p.ke == [ke::NONE] {
                p.ke.clear();
            }
            if p.ke.iter().any(|&g| registry::is_kem(g)) {
                return Err(self.err_unexpected(
                    text,
                    "ML-KEM is an additional key exchange: write it as ke1_mlkem768 after a \
                     classic PFS method such as x25519",
                ));
            }
            if p.has_addke() && !p.requires_pfs() {
                return Err(self.err_unexpected(
                    text,
                    "additional key exchanges (keN_) in ESP need a PFS method such as x25519",
                ));
            }
        }
        Ok(p)
    }
}
