//! Libreswan proposal syntax (`ike=`, `esp=`, `phase2alg=`).
//!
//! Grammar, as Libreswan documents it: proposals separated by `,`; in each proposal, fields
//! separated by `-`: `ENCR[-PRF][-INTEG][-KE]` for IKE and `ENCR[-INTEG][-KE]` for ESP; the KE
//! field may instead follow a `;` (`aes_cbc256-sha2_384;modp1536`); alternatives inside a
//! field are joined with `+` (`sha2_512+sha2_256`). A numeric field right after the cipher is
//! its key length (`aes-128`).
//!
//! Meaning, following Libreswan:
//! - IKE with a CBC cipher and a single hash field (`aes128-sha1`): the hash is the PRF and the
//!   integrity algorithm is the same family (HMAC-SHA1 / HMAC-SHA1-96).
//! - IKE with an AEAD cipher: the hash field is the PRF, there is no integrity algorithm.
//! - ESP: the hash field is the integrity algorithm. An AEAD cipher with an integrity field
//!   (`aes_gcm256-sha2_256`, as older RHEL crypto policies wrote it) is accepted and the
//!   integrity algorithm ignored, as strongSwan does (current Libreswan rejects it); `null`
//!   or `none` there is the explicit "no integrity".
//! - A cipher without key length (`aes`, `aes_gcm`) stands for both 256 and 128 bits: IKE
//!   proposes 256 first, ESP 128 first (Libreswan's order).
//! - Omitted fields take Libreswan's defaults: PRF `sha2_512+sha2_256`, ESP integrity
//!   `sha2_512+sha2_256`; an omitted IKE KE field takes our [`super::DEFAULT_KE`].
//! - ESP `none` in the KE field next to groups makes PFS optional (`dh14+none`); alone it is
//!   the same as no KE field. IKE does not allow it.
//! - ESN is not part of this syntax (Libreswan's separate `esn=` option): parsed ESP
//!   proposals get ESN "no" only; apply `esn=` with [`super::ProposalSet::with_esn`].
//!
//! - RFC 9370 additional key exchanges (in ESP only next to a PFS group): further KE fields
//!   after the first (`aes_gcm256-sha2_512-dh31-ml_kem_768`, `;dh31-ml_kem_768`) are ADDKE1, ADDKE2, ...;
//!   `;addke1=ml_kem_768` names one explicitly (`none` makes it optional).
//!
//! Names are case-insensitive; duplicates are dropped.

use super::registry::{
    self, is_supported, key_lengths, libreswan_names, libreswan_unsupported, push_unique, suggest,
    TransformKind, LIBRESWAN_ENCR, LIBRESWAN_INTEG, LIBRESWAN_KE, LIBRESWAN_PRF,
};
use super::{EncrAlg, Proposal, ProposalError, ProposalSet, Protocol, DEFAULT_KE};
use crate::ids::{esn, integ, ke, prf};

/// Libreswan's default PRFs when the field is omitted.
const DEFAULT_PRF: [u16; 2] = [prf::HMAC_SHA2_512, prf::HMAC_SHA2_256];
/// Libreswan's default ESP integrity algorithms when the field is omitted.
const DEFAULT_ESP_INTEG: [u16; 2] = [integ::HMAC_SHA2_512_256, integ::HMAC_SHA2_256_128];

/// Parses a Libreswan `ike=` (with [`Protocol::Ike`]) or `esp=`/`phase2alg=` (with
/// [`Protocol::Esp`]) value into a proposal set.
///
/// # Errors
/// A [`ProposalError`] naming the token, the proposal number and the setting.
pub fn parse_libreswan(protocol: Protocol, input: &str) -> Result<ProposalSet, ProposalError> {
    let text = input.trim();
    if text.is_empty() {
        return Err(ProposalError::EmptyList { protocol });
    }
    let mut out: Vec<Proposal> = Vec::new();
    for (i, chunk) in text.split(',').enumerate() {
        let ctx = Ctx {
            protocol,
            proposal: i + 1,
            input: format!("{}={}", protocol.config_key(), text),
        };
        let p = ctx.parse_proposal(chunk.trim())?;
        push_unique(&mut out, p);
    }
    Ok(ProposalSet(out))
}

/// The result of looking a name up in one table.
enum Found<T> {
    Yes(T),
    No,
}

fn find(table: &[(&str, u16)], name: &str) -> Found<u16> {
    match table.iter().find(|(n, _)| *n == name) {
        Some((_, id)) => Found::Yes(*id),
        None => Found::No,
    }
}

fn is_none_name(name: &str) -> bool {
    matches!(name, "none" | "null" | "dh0")
}

struct Ctx {
    protocol: Protocol,
    proposal: usize,
    input: String,
}

impl Ctx {
    fn ike(&self) -> bool {
        self.protocol == Protocol::Ike
    }

    fn empty(&self, field: TransformKind) -> ProposalError {
        ProposalError::EmptyField {
            field,
            proposal: self.proposal,
            input: self.input.clone(),
        }
    }

    fn unexpected(&self, token: &str, reason: &'static str) -> ProposalError {
        ProposalError::Unexpected {
            token: token.to_owned(),
            reason,
            proposal: self.proposal,
            input: self.input.clone(),
        }
    }

    fn not_supported(&self, token: &str, reason: &'static str) -> ProposalError {
        ProposalError::NotSupported {
            token: token.to_owned(),
            reason,
            proposal: self.proposal,
            input: self.input.clone(),
        }
    }

    /// The error for a token that is not a `want`: wrong place, not supported, or unknown.
    fn bad_token(&self, token: &str, want: TransformKind) -> ProposalError {
        let lower = token.to_ascii_lowercase();
        if let Some(reason) = libreswan_unsupported(&lower) {
            return self.not_supported(token, reason);
        }
        let kinds = [
            (TransformKind::Ke, LIBRESWAN_KE),
            (TransformKind::Prf, LIBRESWAN_PRF),
            (TransformKind::Integ, LIBRESWAN_INTEG),
        ];
        for (kind, table) in kinds {
            if kind != want && matches!(find(table, &lower), Found::Yes(_)) {
                let hint = match (kind, want) {
                    (TransformKind::Ke, _) => Some("put key exchange methods last, or after ';'"),
                    (_, TransformKind::Ke) => {
                        Some("the IKE syntax is ENCR-PRF-INTEG-KE, the ESP syntax ENCR-INTEG;KE")
                    }
                    _ => None,
                };
                return ProposalError::WrongPlace {
                    token: token.to_owned(),
                    found: kind,
                    expected: want,
                    proposal: self.proposal,
                    input: self.input.clone(),
                    hint,
                };
            }
        }
        if want != TransformKind::Encr && self.encr_base(&lower).is_some() {
            return ProposalError::WrongPlace {
                token: token.to_owned(),
                found: TransformKind::Encr,
                expected: want,
                proposal: self.proposal,
                input: self.input.clone(),
                hint: Some("the encryption algorithm comes first"),
            };
        }
        ProposalError::UnknownAlgorithm {
            token: token.to_owned(),
            field: Some(want),
            proposal: self.proposal,
            input: self.input.clone(),
            suggestion: suggest(&lower, &libreswan_names(want)).or_else(|| {
                let all: Vec<String> = [
                    TransformKind::Encr,
                    TransformKind::Prf,
                    TransformKind::Integ,
                    TransformKind::Ke,
                ]
                .into_iter()
                .flat_map(libreswan_names)
                .collect();
                suggest(&lower, &all)
            }),
        }
    }

    /// Splits a cipher name into its ENCR id and explicit key length.
    fn encr_base(&self, lower: &str) -> Option<(u16, Option<u32>, String)> {
        if let Found::Yes(id) = find(LIBRESWAN_ENCR, lower) {
            return Some((id, None, lower.to_owned()));
        }
        let digits = lower.len() - lower.trim_end_matches(|c: char| c.is_ascii_digit()).len();
        let split = lower.len().checked_sub(digits)?;
        let (base, num) = (lower.get(..split)?, lower.get(split..)?);
        let base = base.trim_end_matches('_');
        if num.is_empty() || base.is_empty() {
            return None;
        }
        let bits = num.parse::<u32>().unwrap_or(u32::MAX);
        match find(LIBRESWAN_ENCR, base) {
            Found::Yes(id) => Some((id, Some(bits), base.to_owned())),
            Found::No => None,
        }
    }

    /// Parses one cipher token (with an optional key length from a separate `-128` field).
    fn encr(&self, token: &str, key_field: Option<u32>) -> Result<Vec<EncrAlg>, ProposalError> {
        let lower = token.to_ascii_lowercase();
        let Some((id, bits, base)) = self.encr_base(&lower) else {
            return Err(self.bad_token(token, TransformKind::Encr));
        };
        let bits = match (bits, key_field) {
            (Some(_), Some(_)) => {
                return Err(self.unexpected(token, "the key length is given twice"));
            }
            (b, k) => b.or(k),
        };
        let valid = key_lengths(id);
        let ike = self.ike();
        let esp_only_reason = "AES-GCM with an 8- or 12-octet ICV is only supported for ESP";
        let mut algs = Vec::new();
        match bits {
            None if valid.is_empty() => algs.push(EncrAlg::new(id, None)),
            None => {
                let order: [u16; 2] = if ike { [256, 128] } else { [128, 256] };
                algs.extend(
                    order
                        .iter()
                        .filter(|b| valid.contains(b))
                        .map(|b| EncrAlg::new(id, Some(*b))),
                );
            }
            Some(b) if valid.is_empty() => {
                return Err(ProposalError::InvalidKeyLength {
                    token: token.to_owned(),
                    bits: b,
                    valid: format!("{base} takes no key length"),
                    proposal: self.proposal,
                    input: self.input.clone(),
                    suggestion: Some(base),
                });
            }
            Some(b) => {
                let b16 = u16::try_from(b).ok().filter(|x| valid.contains(x));
                match b16 {
                    Some(k) => algs.push(EncrAlg::new(id, Some(k))),
                    None if b == 192 && registry::is_aead(id) => {
                        return Err(self.not_supported(
                            token,
                            "AES-GCM with 192-bit keys is not supported; use 128 or 256",
                        ));
                    }
                    None => {
                        let nearest = valid
                            .iter()
                            .copied()
                            .min_by_key(|v| u32::from(*v).abs_diff(b));
                        let suggestion = nearest
                            .and_then(|k| registry::lookup(TransformKind::Encr, id, Some(k)))
                            .map(|a| a.libreswan.to_owned());
                        let list: Vec<String> = valid.iter().map(u16::to_string).collect();
                        return Err(ProposalError::InvalidKeyLength {
                            token: token.to_owned(),
                            bits: b,
                            valid: format!("valid key lengths are {}", list.join(", ")),
                            proposal: self.proposal,
                            input: self.input.clone(),
                            suggestion,
                        });
                    }
                }
            }
        }
        if algs
            .iter()
            .any(|a| !is_supported(TransformKind::Encr, a.id, a.key_bits, ike))
        {
            return Err(self.not_supported(token, esp_only_reason));
        }
        Ok(algs)
    }

    fn tokens<'a>(
        &self,
        field: &'a str,
        kind: TransformKind,
    ) -> Result<Vec<&'a str>, ProposalError> {
        field
            .split('+')
            .map(str::trim)
            .map(|t| {
                if t.is_empty() {
                    Err(self.empty(kind))
                } else {
                    Ok(t)
                }
            })
            .collect()
    }

    fn lookup_in(
        &self,
        token: &str,
        table: &[(&str, u16)],
        kind: TransformKind,
    ) -> Result<u16, ProposalError> {
        match find(table, &token.to_ascii_lowercase()) {
            Found::Yes(id) => Ok(id),
            Found::No => Err(self.bad_token(token, kind)),
        }
    }

    /// Whether every token of a field names a key exchange method (supported or not).
    fn is_ke_field(field: &str) -> bool {
        field.split('+').map(str::trim).all(|t| {
            let l = t.to_ascii_lowercase();
            matches!(find(LIBRESWAN_KE, &l), Found::Yes(_))
                || (libreswan_unsupported(&l).is_some()
                    && (l.starts_with("dh")
                        || l.starts_with("modp")
                        || l.starts_with("ml")
                        || l.starts_with("curve")
                        || l.starts_with("x448")))
        })
    }

    fn ke_list(&self, field: &str) -> Result<Vec<u16>, ProposalError> {
        let mut out = Vec::new();
        for t in self.tokens(field, TransformKind::Ke)? {
            let id = self.lookup_in(t, LIBRESWAN_KE, TransformKind::Ke)?;
            if id == ke::NONE && self.ike() {
                return Err(self.unexpected(
                    t,
                    "IKE always needs a key exchange method; 'none' is only valid for ESP",
                ));
            }
            push_unique(&mut out, id);
        }
        Ok(out)
    }

    fn parse_proposal(&self, text: &str) -> Result<Proposal, ProposalError> {
        if text.is_empty() {
            return Err(ProposalError::EmptyProposal {
                proposal: self.proposal,
                input: self.input.clone(),
            });
        }
        let mut segments = text.split(';');
        let main = segments.next().unwrap_or_default();
        let mut ke_text: Option<&str> = None;
        let mut addke_text: Vec<(usize, &str)> = Vec::new();
        for seg in segments {
            let seg = seg.trim();
            match seg.split_once('=') {
                Some((key, v)) if matches!(key.trim(), "ke" | "dh" | "pfs" | "kem") => {
                    if ke_text.is_some() {
                        return Err(self.unexpected(seg, "the key exchange method is given twice"));
                    }
                    ke_text = Some(v.trim());
                }
                Some((key, v)) if key.trim().starts_with("addke") => {
                    let n = key
                        .trim()
                        .strip_prefix("addke")
                        .and_then(|n| n.parse::<usize>().ok())
                        .filter(|n| (1..=super::ADDKE_COUNT).contains(n));
                    let Some(n) = n else {
                        return Err(
                            self.unexpected(seg, "additional key exchanges are addke1 to addke7")
                        );
                    };
                    addke_text.push((n - 1, v.trim()));
                }
                Some(_) => {
                    return Err(
                        self.unexpected(seg, "key=value transform settings are not supported")
                    );
                }
                None if ke_text.is_none() => ke_text = Some(seg),
                None => {
                    return Err(self.unexpected(
                        seg,
                        "only one ';' field without a name (the key exchange methods) is allowed",
                    ));
                }
            }
        }
        // `;dh19-ml_kem_768`: the methods after the first are ADDKE1, ADDKE2, ...
        if let Some(k) = ke_text {
            let mut parts = k.split('-');
            ke_text = parts.next();
            for (i, part) in parts.enumerate() {
                addke_text.push((i, part.trim()));
            }
        }
        let all: Vec<&str> = main.split('-').map(str::trim).collect();
        let Some((&encr_field, mut rest)) = all.split_first() else {
            return Err(self.empty(TransformKind::Encr));
        };
        if encr_field.is_empty() {
            return Err(self.empty(TransformKind::Encr));
        }
        // A numeric field right after the cipher is its key length (`aes-128-sha1`).
        let mut key_field = None;
        if let Some((f, after)) = rest.split_first() {
            if !f.is_empty() && f.chars().all(|c| c.is_ascii_digit()) {
                key_field = Some(f.parse::<u32>().unwrap_or(u32::MAX));
                rest = after;
            }
        }
        let mut fields: Vec<&str> = rest.to_vec();
        let mut p = Proposal::new(self.protocol);
        let mut first_aead: Option<&str> = None;
        let mut first_classic: Option<&str> = None;
        for t in self.tokens(encr_field, TransformKind::Encr)? {
            for a in self.encr(t, key_field)? {
                if a.is_aead() {
                    first_aead.get_or_insert(t);
                } else {
                    first_classic.get_or_insert(t);
                }
                push_unique(&mut p.encr, a);
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
        let aead = first_aead.is_some();
        // Key exchange: after ';', or a trailing field made only of KE names (a lone
        // none/null in the integrity position of ESP is "no integrity", not KE).
        let mut ke_field: Option<&str> = ke_text;
        if ke_field.is_none() {
            // IKE: several trailing KE fields are KE, ADDKE1, ADDKE2, ...
            // (`aes-sha2-dh19-ml_kem_768`).
            let mut trailing: Vec<&str> = Vec::new();
            while let Some(last) = fields.last().copied() {
                let lone_none_in_integ = fields.len() == 1
                    && last
                        .split('+')
                        .all(|t| is_none_name(&t.trim().to_ascii_lowercase()));
                if last.is_empty() || !Self::is_ke_field(last) || lone_none_in_integ {
                    break;
                }
                trailing.insert(0, last);
                fields.pop();
                if !self.ike() {
                    break;
                }
            }
            // Only with an ML-KEM among the later fields (Libreswan's documented form): two
            // classic groups in a row (`aes-sha2-ecp256-modp2048`) stay what they were, an
            // error here, so that an undetected syntax falls back to strongSwan's reading.
            let kem_later = trailing.iter().skip(1).any(|f| {
                f.split('+')
                    .any(|t| t.trim().to_ascii_lowercase().starts_with("ml"))
            });
            if trailing.len() > 1 && !kem_later {
                ke_field = trailing.pop();
                fields.append(&mut trailing);
            }
            if let Some((first, rest)) = trailing.split_first() {
                ke_field = Some(first);
                for (i, part) in rest.iter().enumerate() {
                    addke_text.push((i, part));
                }
            }
        }
        for f in &fields {
            if f.is_empty() {
                let kind = if self.ike() && fields.first() == Some(f) {
                    TransformKind::Prf
                } else {
                    TransformKind::Integ
                };
                return Err(self.empty(kind));
            }
        }
        if self.ike() {
            self.fill_ike(&mut p, &fields, aead)?;
        } else {
            self.fill_esp(&mut p, &fields, aead)?;
        }
        match ke_field {
            Some("") => return Err(self.empty(TransformKind::Ke)),
            Some(k) => {
                p.ke = self.ke_list(k)?;
                // A lone `none` is the same as no KE field.
                if p.ke == [ke::NONE] {
                    p.ke.clear();
                }
            }
            None if self.ike() => p.ke = DEFAULT_KE.to_vec(),
            None => {}
        }
        for (i, text) in addke_text {
            if text.is_empty() {
                return Err(self.empty(TransformKind::Ke));
            }
            let mut list = Vec::new();
            for t in self.tokens(text, TransformKind::Ke)? {
                let id = self.lookup_in(t, LIBRESWAN_KE, TransformKind::Ke)?;
                push_unique(&mut list, id);
            }
            if let Some(slot) = p.addke.get_mut(i) {
                *slot = list;
            }
        }
        if p.ke.iter().any(|&g| registry::is_kem(g)) {
            return Err(self.unexpected(
                text,
                "ML-KEM is an additional key exchange: write it after a classic method \
                 (dh31-ml_kem_768 or ;addke1=ml_kem_768)",
            ));
        }
        if !self.ike() && p.has_addke() && !p.requires_pfs() {
            return Err(self.unexpected(
                text,
                "additional key exchanges in ESP need a PFS method (;dh31-ml_kem_768)",
            ));
        }
        if !self.ike() {
            p.esn = vec![esn::NO];
        }
        Ok(p)
    }

    fn fill_ike(&self, p: &mut Proposal, fields: &[&str], aead: bool) -> Result<(), ProposalError> {
        if let Some(extra) = fields.get(2) {
            return Err(self.unexpected(
                extra,
                "too many fields; the IKE syntax is ENCR-PRF-INTEG-KE",
            ));
        }
        match fields.first() {
            Some(f) => {
                for t in self.tokens(f, TransformKind::Prf)? {
                    if is_none_name(&t.to_ascii_lowercase()) {
                        return Err(self.unexpected(t, "'none' is not a PRF"));
                    }
                    let id = self.lookup_in(t, LIBRESWAN_PRF, TransformKind::Prf)?;
                    push_unique(&mut p.prf, id);
                }
            }
            None => p.prf = DEFAULT_PRF.to_vec(),
        }
        let explicit = match fields.get(1) {
            Some(f) => Some(self.integ_list(f, aead)?),
            None => None,
        };
        if !aead {
            p.integ = match explicit {
                Some(list) => list,
                None => registry::derive_list(&p.prf, registry::integ_for_prf),
            };
        }
        Ok(())
    }

    fn fill_esp(&self, p: &mut Proposal, fields: &[&str], aead: bool) -> Result<(), ProposalError> {
        if let Some(extra) = fields.get(1) {
            return Err(self.unexpected(extra, "too many fields; the ESP syntax is ENCR-INTEG;KE"));
        }
        let list = match fields.first() {
            Some(f) => self.integ_list(f, aead)?,
            None if aead => Vec::new(),
            None => DEFAULT_ESP_INTEG.to_vec(),
        };
        if !aead {
            p.integ = list;
        }
        Ok(())
    }

    /// An integrity field; `none`/`null` means "no integrity" (AEAD only). With an AEAD
    /// cipher the names are checked and then ignored.
    fn integ_list(&self, field: &str, aead: bool) -> Result<Vec<u16>, ProposalError> {
        let mut out = Vec::new();
        for t in self.tokens(field, TransformKind::Integ)? {
            if is_none_name(&t.to_ascii_lowercase()) {
                if !aead {
                    return Err(
                        self.unexpected(t, "a non-AEAD cipher needs an integrity algorithm")
                    );
                }
                continue;
            }
            let id = self.lookup_in(t, LIBRESWAN_INTEG, TransformKind::Integ)?;
            push_unique(&mut out, id);
        }
        if !aead && out.is_empty() {
            return Err(self.empty(TransformKind::Integ));
        }
        Ok(out)
    }
}
