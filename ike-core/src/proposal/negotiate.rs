//! Proposal negotiation (RFC 7296 §2.7, §3.3.6).
//!
//! Responder: [`select_ike`] / [`select_esp`] choose one transform of each type from one of the
//! peer's proposals such that each choice is in one of our proposals. Initiator:
//! [`verify_ike_response`] / [`verify_esp_response`] check that the responder's single
//! proposal has exactly one transform per type, all taken from the proposal we sent under
//! that number.
//!
//! Preference ([`Preference`]): RFC 7296 leaves the choice to the responder. strongSwan
//! (`charon.prefer_configured_proposals = yes`, the default) and Libreswan both walk *their
//! own* proposals first and, within a type, take their own order; only with that option off
//! does strongSwan follow the peer's order. We default to the same ([`Preference::Ours`]):
//! the local policy decides which algorithm is used, whatever the peer lists first.
//! [`Preference::Peer`] walks the peer's proposals and transforms in the peer's order
//! (the first peer proposal acceptable to us wins).
//!
//! Rules applied to each (our proposal, peer proposal) pair:
//! - the security protocol must be the same;
//! - ENCR: same id and same key length;
//! - INTEG: required unless the chosen cipher is AEAD (then the peer's INTEG transforms, NONE
//!   or not, are ignored, as strongSwan does);
//! - IKE: PRF and KE required (KE `none` never matches); ESP: a PRF offered by the peer is
//!   ignored;
//! - ESP KE: an empty list means "no PFS" and matches only a list with `none`; with
//!   [`NegotiateOptions::skip_ke`] (the Child SA inside IKE_AUTH, which has no KE payload) KE
//!   transforms are ignored altogether;
//! - [`NegotiateOptions::ke_hint`] (the group of the peer's KE payload) is chosen when it is
//!   acceptable, avoiding a needless INVALID_KE_PAYLOAD round trip;
//! - ESN (ESP): an empty list is read as "no" (lenient: RFC 7296 makes ESN mandatory);
//! - RFC 9370 additional key exchanges (types 6-12): for each type, one method both lists
//!   share (NONE included when both allow it); a type only one side lists is acceptable only
//!   when that side allows NONE; ignored with [`NegotiateOptions::skip_ke`]. Any other
//!   unknown transform type makes the peer's proposal unacceptable (RFC 7296 §3.3.6).

use super::format::format_transforms_strongswan;
use super::registry::{is_supported, strongswan_display_name, TransformKind};
use super::{
    addke_index, EncrAlg, NegotiationError, Proposal, ProposalSet, Protocol, TransformSpec,
    ADDKE_COUNT,
};
use crate::ids::{esn, ke, transform_type};

/// One proposal received from the peer (or returned by the responder), in neutral form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferedProposal {
    /// Proposal number from the wire (1-based).
    pub number: u8,
    /// IANA security protocol id (1 = IKE, 2 = AH, 3 = ESP).
    pub protocol_id: u8,
    /// The SPI carried in the proposal (empty for the first IKE_SA_INIT, 4 octets for ESP,
    /// 8 for IKE SA rekeying).
    pub spi: Vec<u8>,
    /// The transforms in wire order.
    pub transforms: Vec<TransformSpec>,
}

impl OfferedProposal {
    /// A received proposal from its parts.
    #[must_use]
    pub fn new(number: u8, protocol_id: u8, spi: Vec<u8>, transforms: Vec<TransformSpec>) -> Self {
        Self {
            number,
            protocol_id,
            spi,
            transforms,
        }
    }

    /// The wire form of one of our proposals (for tests and simulations of a peer).
    #[must_use]
    pub fn from_proposal(number: u8, spi: Vec<u8>, proposal: &Proposal) -> Self {
        Self::new(
            number,
            proposal.protocol.id(),
            spi,
            proposal.to_transforms(),
        )
    }

    /// The proposal in strongSwan syntax (unsupported algorithms named too).
    #[must_use]
    pub fn to_strongswan(&self) -> String {
        format_transforms_strongswan(self.protocol_id, &self.transforms)
    }

    fn ids(&self, ttype: u8) -> Vec<u16> {
        self.transforms
            .iter()
            .filter(|t| t.ttype == ttype && t.key_len.is_none())
            .map(|t| t.id)
            .collect()
    }

    fn encrs(&self) -> Vec<EncrAlg> {
        self.transforms
            .iter()
            .filter(|t| t.ttype == transform_type::ENCR)
            .map(|t| EncrAlg::new(t.id, t.key_len))
            .collect()
    }

    fn count(&self, ttype: u8) -> usize {
        self.transforms.iter().filter(|t| t.ttype == ttype).count()
    }
}

/// Whose order decides among acceptable proposals and transforms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Preference {
    /// Our configured order (strongSwan's and Libreswan's default).
    #[default]
    Ours,
    /// The peer's order.
    Peer,
}

/// Options of responder-side selection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct NegotiateOptions {
    /// Whose order decides.
    pub preference: Preference,
    /// The key exchange method of the KE payload that came with the SA payload; chosen when
    /// acceptable so that the KE payload can be used.
    pub ke_hint: Option<u16>,
    /// Ignore KE transforms (the Child SA negotiated inside IKE_AUTH).
    pub skip_ke: bool,
}

/// A selection result: what was chosen and which of the peer's proposals it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selected<T> {
    /// The chosen algorithms.
    pub chosen: T,
    /// The peer's proposal number, to be echoed in the answer.
    pub number: u8,
    /// The SPI of the peer's proposal (the peer's inbound SPI for ESP).
    pub spi: Vec<u8>,
}

/// The algorithms of an IKE SA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChosenIke {
    /// ENCR id.
    pub encr: u16,
    /// Key length in bits (AES), `None` for fixed-key ciphers.
    pub key_bits: Option<u16>,
    /// PRF id.
    pub prf: u16,
    /// INTEG id; `None` with an AEAD cipher.
    pub integ: Option<u16>,
    /// Key exchange method.
    pub ke: u16,
    /// Additional key exchanges (RFC 9370), ADDKE1..7: `None` when the type is not in the
    /// answer, `Some(0)` when NONE was chosen.
    pub addke: [Option<u16>; ADDKE_COUNT],
}

impl ChosenIke {
    /// The additional key exchanges to run, in order (transform type, method), NONE left out.
    #[must_use]
    pub fn additional(&self) -> Vec<(u8, u16)> {
        (transform_type::ADDKE1..)
            .zip(self.addke.iter())
            .filter_map(|(t, g)| g.filter(|&g| g != ke::NONE).map(|g| (t, g)))
            .collect()
    }

    /// Whether the cipher is AEAD.
    #[must_use]
    pub const fn is_aead(&self) -> bool {
        super::registry::is_aead(self.encr)
    }

    /// The transforms of the answer's single proposal.
    #[must_use]
    pub fn to_transforms(&self) -> Vec<TransformSpec> {
        let mut v = vec![
            TransformSpec::new(transform_type::ENCR, self.encr, self.key_bits),
            TransformSpec::new(transform_type::PRF, self.prf, None),
        ];
        if let Some(i) = self.integ {
            v.push(TransformSpec::new(transform_type::INTEG, i, None));
        }
        v.push(TransformSpec::new(transform_type::KE, self.ke, None));
        for (t, g) in (transform_type::ADDKE1..).zip(self.addke.iter()) {
            if let Some(g) = g {
                v.push(TransformSpec::new(t, *g, None));
            }
        }
        v
    }

    /// As a one-transform-per-type [`Proposal`].
    #[must_use]
    pub fn to_proposal(&self) -> Proposal {
        let mut p = Proposal::new(Protocol::Ike);
        p.encr = vec![EncrAlg::new(self.encr, self.key_bits)];
        p.prf = vec![self.prf];
        p.integ = self.integ.into_iter().collect();
        p.ke = vec![self.ke];
        for (slot, g) in p.addke.iter_mut().zip(self.addke.iter()) {
            *slot = g.iter().copied().collect();
        }
        p
    }
}

impl core::fmt::Display for ChosenIke {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&format_transforms_strongswan(
            Protocol::Ike.id(),
            &self.to_transforms(),
        ))
    }
}

/// The algorithms of an ESP Child SA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChosenEsp {
    /// ENCR id.
    pub encr: u16,
    /// Key length in bits (AES), `None` for fixed-key ciphers.
    pub key_bits: Option<u16>,
    /// INTEG id; `None` with an AEAD cipher.
    pub integ: Option<u16>,
    /// PFS group; `None` without PFS.
    pub ke: Option<u16>,
    /// Extended sequence numbers.
    pub esn: bool,
    /// Additional key exchanges (RFC 9370), as in [`ChosenIke::addke`].
    pub addke: [Option<u16>; ADDKE_COUNT],
}

impl ChosenEsp {
    /// Whether the cipher is AEAD.
    #[must_use]
    pub const fn is_aead(&self) -> bool {
        super::registry::is_aead(self.encr)
    }

    /// The transforms of the answer's single proposal (ESN always included).
    #[must_use]
    pub fn to_transforms(&self) -> Vec<TransformSpec> {
        let mut v = vec![TransformSpec::new(
            transform_type::ENCR,
            self.encr,
            self.key_bits,
        )];
        if let Some(i) = self.integ {
            v.push(TransformSpec::new(transform_type::INTEG, i, None));
        }
        if let Some(g) = self.ke {
            v.push(TransformSpec::new(transform_type::KE, g, None));
        }
        for (t, g) in (transform_type::ADDKE1..).zip(self.addke.iter()) {
            if let Some(g) = g {
                v.push(TransformSpec::new(t, *g, None));
            }
        }
        let e = if self.esn { esn::YES } else { esn::NO };
        v.push(TransformSpec::new(transform_type::ESN, e, None));
        v
    }

    /// As a one-transform-per-type [`Proposal`].
    #[must_use]
    pub fn to_proposal(&self) -> Proposal {
        let mut p = Proposal::new(Protocol::Esp);
        p.encr = vec![EncrAlg::new(self.encr, self.key_bits)];
        p.integ = self.integ.into_iter().collect();
        p.ke = self.ke.into_iter().collect();
        p.esn = vec![if self.esn { esn::YES } else { esn::NO }];
        for (slot, g) in p.addke.iter_mut().zip(self.addke.iter()) {
            *slot = g.iter().copied().collect();
        }
        p
    }
}

impl core::fmt::Display for ChosenEsp {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&format_transforms_strongswan(
            Protocol::Esp.id(),
            &self.to_transforms(),
        ))
    }
}

/// The outcome of matching one pair of proposals.
#[derive(Debug, Clone, Copy)]
struct Choice {
    encr: EncrAlg,
    prf: Option<u16>,
    integ: Option<u16>,
    ke: Option<u16>,
    esn: bool,
    addke: [Option<u16>; ADDKE_COUNT],
}

fn pick<T: PartialEq + Copy>(ours: &[T], theirs: &[T], pref: Preference) -> Option<T> {
    match pref {
        Preference::Ours => ours.iter().find(|x| theirs.contains(x)).copied(),
        Preference::Peer => theirs.iter().find(|x| ours.contains(x)).copied(),
    }
}

fn pick_hinted(ours: &[u16], theirs: &[u16], hint: Option<u16>, pref: Preference) -> Option<u16> {
    match hint {
        Some(h) if ours.contains(&h) && theirs.contains(&h) => Some(h),
        _ => pick(ours, theirs, pref),
    }
}

/// An ESP KE list with "empty" read as "none".
fn effective_ke(list: &[u16]) -> Vec<u16> {
    if list.is_empty() {
        vec![ke::NONE]
    } else {
        list.to_vec()
    }
}

/// An ESN list with "empty" read as "no".
fn effective_esn(list: &[u16]) -> Vec<u16> {
    if list.is_empty() {
        vec![esn::NO]
    } else {
        list.to_vec()
    }
}

fn without_none(list: &[u16]) -> Vec<u16> {
    list.iter().copied().filter(|&x| x != 0).collect()
}

/// Whether the peer's extra transform types (beyond 1-5) can be accepted: additional key
/// exchanges are for [`pick_addke`] (or ignored with `skip_ke`); anything else is not.
fn extra_types_acceptable(peer: &OfferedProposal) -> bool {
    peer.transforms.iter().all(|t| match t.ttype {
        transform_type::ENCR..=transform_type::ESN => true,
        tt if addke_index(tt).is_some() => true,
        _ => false,
    })
}

/// Chooses the additional key exchanges of an IKE proposal pair; `None` when a type cannot
/// be agreed on.
fn pick_addke(
    ours: &Proposal,
    peer: &OfferedProposal,
    pref: Preference,
) -> Option<[Option<u16>; ADDKE_COUNT]> {
    let mut out = [None; ADDKE_COUNT];
    for ((slot, mine), t) in out
        .iter_mut()
        .zip(ours.addke.iter())
        .zip(transform_type::ADDKE1..)
    {
        let theirs = peer.ids(t);
        *slot = match (mine.is_empty(), theirs.is_empty()) {
            (true, true) => None,
            (true, false) => Some(theirs.contains(&ke::NONE).then_some(ke::NONE)?),
            (false, true) => {
                if mine.contains(&ke::NONE) {
                    None
                } else {
                    return None;
                }
            }
            (false, false) => Some(pick(mine, &theirs, pref)?),
        };
    }
    // RFC 9370 §2.2.1: one method is not chosen for two types.
    let chosen: Vec<u16> = out
        .iter()
        .flatten()
        .copied()
        .filter(|&g| g != ke::NONE)
        .collect();
    if chosen
        .iter()
        .enumerate()
        .any(|(i, g)| chosen.iter().take(i).any(|x| x == g))
    {
        return None;
    }
    Some(out)
}

fn match_pair(ours: &Proposal, peer: &OfferedProposal, opts: &NegotiateOptions) -> Option<Choice> {
    let ike = ours.protocol == Protocol::Ike;
    if peer.protocol_id != ours.protocol.id() || !extra_types_acceptable(peer) {
        return None;
    }
    let pref = opts.preference;
    let our_encr: Vec<EncrAlg> = ours
        .encr
        .iter()
        .copied()
        .filter(|e| is_supported(TransformKind::Encr, e.id, e.key_bits, ike))
        .collect();
    let encr = pick(&our_encr, &peer.encrs(), pref)?;
    let integ = if encr.is_aead() {
        None
    } else {
        let theirs = without_none(&peer.ids(transform_type::INTEG));
        Some(pick(&without_none(&ours.integ), &theirs, pref)?)
    };
    if ike {
        let prf = pick(&ours.prf, &peer.ids(transform_type::PRF), pref)?;
        let ke = pick_hinted(
            &without_none(&ours.ke),
            &without_none(&peer.ids(transform_type::KE)),
            opts.ke_hint,
            pref,
        )?;
        let addke = pick_addke(ours, peer, pref)?;
        Some(Choice {
            encr,
            prf: Some(prf),
            integ,
            ke: Some(ke),
            esn: false,
            addke,
        })
    } else {
        let ke = if opts.skip_ke {
            None
        } else {
            let g = pick_hinted(
                &effective_ke(&ours.ke),
                &effective_ke(&peer.ids(transform_type::KE)),
                opts.ke_hint,
                pref,
            )?;
            (g != ke::NONE).then_some(g)
        };
        let esn = pick(
            &effective_esn(&ours.esn),
            &effective_esn(&peer.ids(transform_type::ESN)),
            pref,
        )?;
        let addke = if opts.skip_ke {
            [None; ADDKE_COUNT]
        } else {
            pick_addke(ours, peer, pref)?
        };
        Some(Choice {
            encr,
            prf: None,
            integ,
            ke,
            esn: esn == esn::YES,
            addke,
        })
    }
}

fn select(
    ours: &ProposalSet,
    protocol: Protocol,
    offered: &[OfferedProposal],
    opts: &NegotiateOptions,
) -> Result<(Choice, u8, Vec<u8>), NegotiationError> {
    let our_props: Vec<&Proposal> = ours.iter().filter(|p| p.protocol == protocol).collect();
    let found = match opts.preference {
        Preference::Ours => our_props.iter().find_map(|o| {
            offered
                .iter()
                .find_map(|peer| match_pair(o, peer, opts).map(|c| (c, peer)))
        }),
        Preference::Peer => offered.iter().find_map(|peer| {
            our_props
                .iter()
                .find_map(|o| match_pair(o, peer, opts).map(|c| (c, peer)))
        }),
    };
    match found {
        Some((c, peer)) => Ok((c, peer.number, peer.spi.clone())),
        None => Err(no_proposal_chosen(ours, protocol, offered, opts)),
    }
}

fn no_proposal_chosen(
    ours: &ProposalSet,
    protocol: Protocol,
    offered: &[OfferedProposal],
    opts: &NegotiateOptions,
) -> NegotiationError {
    let peer: Vec<&OfferedProposal> = offered
        .iter()
        .filter(|o| o.protocol_id == protocol.id())
        .collect();
    let mine: Vec<&Proposal> = ours.iter().filter(|p| p.protocol == protocol).collect();
    let disjoint = |a: &[u16], b: &[u16]| !a.is_empty() && !a.iter().any(|x| b.contains(x));
    let mut mismatched = Vec::new();
    let peer_encr: Vec<EncrAlg> = peer.iter().flat_map(|o| o.encrs()).collect();
    let our_encr: Vec<EncrAlg> = mine.iter().flat_map(|p| p.encr.iter().copied()).collect();
    if !peer_encr.is_empty() && !peer_encr.iter().any(|e| our_encr.contains(e)) {
        mismatched.push(transform_type::ENCR);
    }
    let collect_peer = |t: u8, eff: fn(&[u16]) -> Vec<u16>| -> Vec<u16> {
        peer.iter().flat_map(|o| eff(&o.ids(t))).collect()
    };
    let collect_ours =
        |f: fn(&Proposal) -> Vec<u16>| -> Vec<u16> { mine.iter().flat_map(|p| f(p)).collect() };
    if protocol == Protocol::Ike
        && disjoint(
            &collect_peer(transform_type::PRF, <[u16]>::to_vec),
            &collect_ours(|p| p.prf.clone()),
        )
    {
        mismatched.push(transform_type::PRF);
    }
    let our_integ = collect_ours(|p| without_none(&p.integ));
    if !our_integ.is_empty()
        && disjoint(
            &collect_peer(transform_type::INTEG, without_none),
            &our_integ,
        )
    {
        mismatched.push(transform_type::INTEG);
    }
    let ke_mismatch = match protocol {
        Protocol::Ike => disjoint(
            &collect_peer(transform_type::KE, without_none),
            &collect_ours(|p| without_none(&p.ke)),
        ),
        Protocol::Esp if opts.skip_ke => false,
        Protocol::Esp => disjoint(
            &collect_peer(transform_type::KE, effective_ke),
            &collect_ours(|p| effective_ke(&p.ke)),
        ),
    };
    if ke_mismatch {
        mismatched.push(transform_type::KE);
    }
    if protocol == Protocol::Ike || !opts.skip_ke {
        for (i, t) in (transform_type::ADDKE1..).enumerate().take(ADDKE_COUNT) {
            let mine: Vec<u16> = mine
                .iter()
                .flat_map(|p| p.addke.get(i).cloned().unwrap_or_default())
                .collect();
            let theirs = collect_peer(t, <[u16]>::to_vec);
            let required = !mine.is_empty() && !mine.contains(&ke::NONE);
            let refused = !theirs.is_empty() && !theirs.contains(&ke::NONE) && mine.is_empty();
            if (required && !theirs.iter().any(|g| mine.contains(g))) || refused {
                mismatched.push(t);
            }
        }
    }
    if protocol == Protocol::Esp
        && disjoint(
            &collect_peer(transform_type::ESN, effective_esn),
            &collect_ours(|p| effective_esn(&p.esn)),
        )
    {
        mismatched.push(transform_type::ESN);
    }
    NegotiationError::NoProposalChosen {
        offered: offered.iter().map(OfferedProposal::to_strongswan).collect(),
        ours: mine.iter().map(|p| p.to_strongswan()).collect(),
        mismatched,
    }
}

/// Responder: chooses the IKE SA's algorithms from the peer's proposals.
///
/// # Errors
/// [`NegotiationError::NoProposalChosen`] (send NO_PROPOSAL_CHOSEN).
pub fn select_ike(
    ours: &ProposalSet,
    offered: &[OfferedProposal],
    opts: &NegotiateOptions,
) -> Result<Selected<ChosenIke>, NegotiationError> {
    let (c, number, spi) = select(ours, Protocol::Ike, offered, opts)?;
    Ok(Selected {
        chosen: ChosenIke {
            encr: c.encr.id,
            key_bits: c.encr.key_bits,
            prf: c.prf.unwrap_or_default(),
            integ: c.integ,
            ke: c.ke.unwrap_or_default(),
            addke: c.addke,
        },
        number,
        spi,
    })
}

/// Responder: chooses an ESP Child SA's algorithms from the peer's proposals.
///
/// # Errors
/// [`NegotiationError::NoProposalChosen`] (send NO_PROPOSAL_CHOSEN).
pub fn select_esp(
    ours: &ProposalSet,
    offered: &[OfferedProposal],
    opts: &NegotiateOptions,
) -> Result<Selected<ChosenEsp>, NegotiationError> {
    let (c, number, spi) = select(ours, Protocol::Esp, offered, opts)?;
    Ok(Selected {
        chosen: ChosenEsp {
            encr: c.encr.id,
            key_bits: c.encr.key_bits,
            integ: c.integ,
            ke: c.ke,
            esn: c.esn,
            addke: c.addke,
        },
        number,
        spi,
    })
}

/// Checks the shape of a responder's proposal and finds the proposal of ours it answers.
fn check_response<'a>(
    sent: &'a ProposalSet,
    protocol: Protocol,
    returned: &OfferedProposal,
) -> Result<&'a Proposal, NegotiationError> {
    if returned.protocol_id != protocol.id() {
        return Err(NegotiationError::ResponseProtocolMismatch {
            expected: protocol.id(),
            got: returned.protocol_id,
        });
    }
    let index = usize::from(returned.number)
        .checked_sub(1)
        .filter(|i| *i < sent.len());
    let Some(ours) = index.and_then(|i| sent.0.get(i)) else {
        return Err(NegotiationError::ResponseUnknownNumber {
            number: returned.number,
            count: sent.len(),
        });
    };
    let encr_count = returned.count(transform_type::ENCR);
    if encr_count == 0 {
        return Err(NegotiationError::ResponseMissingTransform {
            ttype: transform_type::ENCR,
        });
    }
    let mut singles = vec![
        transform_type::ENCR,
        transform_type::INTEG,
        transform_type::KE,
    ];
    singles.push(match protocol {
        Protocol::Ike => transform_type::PRF,
        Protocol::Esp => transform_type::ESN,
    });
    for t in singles {
        let count = returned.count(t);
        if count > 1 {
            return Err(NegotiationError::ResponseTransformCount { ttype: t, count });
        }
    }
    let mut required = Vec::new();
    let aead = returned.encrs().iter().all(|e| e.is_aead());
    if !aead {
        required.push(transform_type::INTEG);
    }
    if protocol == Protocol::Ike {
        required.extend([transform_type::PRF, transform_type::KE]);
    }
    for t in required {
        if returned.count(t) == 0 {
            return Err(NegotiationError::ResponseMissingTransform { ttype: t });
        }
    }
    Ok(ours)
}

fn not_proposed(
    sent: &ProposalSet,
    protocol: Protocol,
    returned: &OfferedProposal,
) -> NegotiationError {
    NegotiationError::ResponseNotProposed {
        chosen: returned.to_strongswan(),
        ours: sent
            .iter()
            .filter(|p| p.protocol == protocol)
            .map(Proposal::to_strongswan)
            .collect(),
    }
}

/// Initiator: checks the responder's IKE_SA_INIT (or rekey) answer against what we sent
/// (`sent` exactly as sent: its order gives the proposal numbers).
///
/// # Errors
/// A `Response*` [`NegotiationError`] describing the violation.
pub fn verify_ike_response(
    sent: &ProposalSet,
    returned: &OfferedProposal,
) -> Result<ChosenIke, NegotiationError> {
    let ours = check_response(sent, Protocol::Ike, returned)?;
    let bad = || not_proposed(sent, Protocol::Ike, returned);
    let encr = returned.encrs().first().copied().ok_or_else(bad)?;
    if !ours.encr.contains(&encr) {
        return Err(bad());
    }
    let prf = returned
        .ids(transform_type::PRF)
        .first()
        .copied()
        .ok_or_else(bad)?;
    let ke = returned
        .ids(transform_type::KE)
        .first()
        .copied()
        .ok_or_else(bad)?;
    let integ = without_none(&returned.ids(transform_type::INTEG))
        .first()
        .copied();
    let integ_ok = match integ {
        Some(i) => !encr.is_aead() && ours.integ.contains(&i),
        None => encr.is_aead(),
    };
    let extra = returned
        .transforms
        .iter()
        .any(|t| (t.ttype > transform_type::KE && addke_index(t.ttype).is_none()) || t.ttype == 0);
    if !ours.prf.contains(&prf) || ke == ke::NONE || !ours.ke.contains(&ke) || !integ_ok || extra {
        return Err(bad());
    }
    let addke = returned_addke(ours, returned, bad)?;
    Ok(ChosenIke {
        encr: encr.id,
        key_bits: encr.key_bits,
        prf,
        integ,
        ke,
        addke,
    })
}

/// The additional key exchanges of a responder's answer, checked against our proposal.
fn returned_addke(
    ours: &Proposal,
    returned: &OfferedProposal,
    bad: impl Fn() -> NegotiationError,
) -> Result<[Option<u16>; ADDKE_COUNT], NegotiationError> {
    let mut addke = [None; ADDKE_COUNT];
    for ((slot, mine), t) in addke
        .iter_mut()
        .zip(ours.addke.iter())
        .zip(transform_type::ADDKE1..)
    {
        match returned.ids(t).as_slice() {
            [] if mine.is_empty() || mine.contains(&ke::NONE) => {}
            [g] if mine.contains(g) || (*g == ke::NONE && mine.is_empty()) => *slot = Some(*g),
            [_, _, ..] => {
                return Err(NegotiationError::ResponseTransformCount {
                    ttype: t,
                    count: returned.count(t),
                })
            }
            _ => return Err(bad()),
        }
    }
    Ok(addke)
}

/// Initiator: checks the responder's answer for an ESP Child SA against what we sent.
///
/// # Errors
/// A `Response*` [`NegotiationError`] describing the violation.
pub fn verify_esp_response(
    sent: &ProposalSet,
    returned: &OfferedProposal,
) -> Result<ChosenEsp, NegotiationError> {
    let ours = check_response(sent, Protocol::Esp, returned)?;
    let bad = || not_proposed(sent, Protocol::Esp, returned);
    let encr = returned.encrs().first().copied().ok_or_else(bad)?;
    if !ours.encr.contains(&encr) {
        return Err(bad());
    }
    let integ = without_none(&returned.ids(transform_type::INTEG))
        .first()
        .copied();
    let integ_ok = match integ {
        Some(i) => !encr.is_aead() && ours.integ.contains(&i),
        None => encr.is_aead(),
    };
    let ke = without_none(&returned.ids(transform_type::KE))
        .first()
        .copied();
    let ke_ok = match ke {
        Some(g) => ours.ke.contains(&g),
        None => effective_ke(&ours.ke).contains(&ke::NONE),
    };
    let esn_value = effective_esn(&returned.ids(transform_type::ESN))
        .first()
        .copied()
        .unwrap_or(esn::NO);
    let esn_ok = effective_esn(&ours.esn).contains(&esn_value);
    let extra = returned.transforms.iter().any(|t| {
        (t.ttype > transform_type::ESN && addke_index(t.ttype).is_none())
            || t.ttype == 0
            || t.ttype == transform_type::PRF
    });
    if !integ_ok || !ke_ok || !esn_ok || extra {
        return Err(bad());
    }
    Ok(ChosenEsp {
        encr: encr.id,
        key_bits: encr.key_bits,
        integ,
        ke,
        esn: esn_value == esn::YES,
        addke: returned_addke(ours, returned, bad)?,
    })
}

/// Initiator, on INVALID_KE_PAYLOAD: accepts the group the responder asks for if it is in our
/// proposals. Retry with a KE payload of that group and [`ProposalSet::promote_ke`].
///
/// # Errors
/// [`NegotiationError::KeNotConfigured`] if the group is not configured (or is `none`).
pub fn accept_invalid_ke(ours: &ProposalSet, requested: u16) -> Result<u16, NegotiationError> {
    if requested != ke::NONE && ours.contains_ke(requested) {
        return Ok(requested);
    }
    let mut groups: Vec<u16> = Vec::new();
    for g in ours.iter().flat_map(|p| p.ke.iter()).copied() {
        if g != ke::NONE && !groups.contains(&g) {
            groups.push(g);
        }
    }
    Err(NegotiationError::KeNotConfigured {
        requested: strongswan_display_name(transform_type::KE, requested, None),
        ours: groups
            .iter()
            .map(|&g| strongswan_display_name(transform_type::KE, g, None))
            .collect(),
    })
}
