//! Adapter between the proposal module's [`Proposal`] and the wire SA payload, plus a
//! small negotiation (responder choice, initiator verification).

use crate::ids::{esn, ke, transform_type as tt};
use crate::proposal::{EncrAlg, Proposal, Protocol, TransformSpec};
use crate::wire::{self, SaPayload, Transform};

/// Builds SA payload proposals (numbered from 1) from ours; `spi` goes into every proposal.
pub(crate) fn to_wire(ours: &[Proposal], spi: &[u8], strip_ke: bool) -> SaPayload {
    let proposals = ours
        .iter()
        .enumerate()
        .map(|(i, p)| wire::Proposal {
            num: u8::try_from(i + 1).unwrap_or(u8::MAX),
            protocol_id: p.protocol.id(),
            spi: spi.to_vec(),
            transforms: transforms(p, strip_ke),
        })
        .collect();
    SaPayload { proposals }
}

/// A single chosen proposal with its number, for the response.
pub(crate) fn chosen_to_wire(chosen: &Proposal, num: u8, spi: &[u8]) -> SaPayload {
    SaPayload {
        proposals: vec![wire::Proposal {
            num,
            protocol_id: chosen.protocol.id(),
            spi: spi.to_vec(),
            transforms: transforms(chosen, false),
        }],
    }
}

fn transforms(p: &Proposal, strip_ke: bool) -> Vec<Transform> {
    let mut with_esn = p.clone();
    if p.protocol == Protocol::Esp && with_esn.esn.is_empty() {
        with_esn.esn = vec![esn::NO];
    }
    if strip_ke {
        with_esn.ke.clear();
    }
    with_esn
        .to_transforms()
        .into_iter()
        .map(|t| match t.key_len {
            Some(k) => Transform::with_key_length(t.ttype, t.id, k),
            None => Transform::new(t.ttype, t.id),
        })
        .collect()
}

/// Reads a wire proposal into a [`Proposal`] (unknown transform types make it unusable).
pub(crate) fn from_wire(p: &wire::Proposal) -> Option<Proposal> {
    let protocol = Protocol::from_id(p.protocol_id)?;
    let specs: Vec<TransformSpec> = p
        .transforms
        .iter()
        .map(|t| {
            let key_len = if t.ttype == tt::ENCR {
                t.key_length()
            } else {
                None
            };
            TransformSpec::new(t.ttype, t.id, key_len)
        })
        .collect();
    Proposal::from_transforms(protocol, &specs).ok()
}

/// Human-readable list of proposals.
pub(crate) fn describe(ps: &[Proposal]) -> Vec<String> {
    ps.iter().map(ToString::to_string).collect()
}

/// Human-readable list of what the peer offered.
pub(crate) fn describe_wire(sa: &SaPayload) -> Vec<String> {
    sa.proposals
        .iter()
        .map(|p| match from_wire(p) {
            Some(p) => p.to_string(),
            None => format!("proposal {} (unsupported transforms)", p.num),
        })
        .collect()
}

fn pick<T: PartialEq + Copy>(ours: &[T], theirs: &[T]) -> Option<T> {
    theirs.iter().copied().find(|t| ours.contains(t))
}

/// Intersects one of our proposals with an offered one; `None` if any type has no match.
pub(crate) fn intersect(ours: &Proposal, offered: &Proposal, ignore_ke: bool) -> Option<Proposal> {
    if ours.protocol != offered.protocol {
        return None;
    }
    let mut out = Proposal::new(ours.protocol);
    let encr: EncrAlg = pick(&ours.encr, &offered.encr)?;
    out.encr = vec![encr];
    if ours.protocol == Protocol::Ike {
        out.prf = vec![pick(&ours.prf, &offered.prf)?];
    }
    let their_integ: Vec<u16> = offered
        .integ
        .iter()
        .copied()
        .filter(|i| *i != crate::ids::integ::NONE)
        .collect();
    if ours.integ.is_empty() {
        if !their_integ.is_empty() && !offered.integ.contains(&crate::ids::integ::NONE) {
            return None;
        }
    } else {
        out.integ = vec![pick(&ours.integ, &their_integ)?];
    }
    if !ignore_ke {
        let our_ke: Vec<u16> = if ours.ke.is_empty() {
            vec![ke::NONE]
        } else {
            ours.ke.clone()
        };
        let their_ke: Vec<u16> = if offered.ke.is_empty() {
            vec![ke::NONE]
        } else {
            offered.ke.clone()
        };
        let k = pick(&our_ke, &their_ke)?;
        if k != ke::NONE {
            out.ke = vec![k];
        }
    }
    if ours.protocol == Protocol::Esp {
        let our_esn = if ours.esn.is_empty() {
            vec![esn::NO]
        } else {
            ours.esn.clone()
        };
        let their_esn = if offered.esn.is_empty() {
            vec![esn::NO]
        } else {
            offered.esn.clone()
        };
        out.esn = vec![pick(&our_esn, &their_esn)?];
    }
    Some(out)
}

/// Responder: the first offered proposal acceptable to any of ours.
/// Returns (proposal number, chosen, offered SPI).
pub(crate) fn select(
    ours: &[Proposal],
    offered: &SaPayload,
    ignore_ke: bool,
) -> Option<(u8, Proposal, Vec<u8>)> {
    offered.proposals.iter().find_map(|op| {
        let theirs = from_wire(op)?;
        ours.iter()
            .find_map(|o| intersect(o, &theirs, ignore_ke))
            .map(|c| (op.num, c, op.spi.clone()))
    })
}

/// Initiator: checks the responder picked exactly one proposal consistent with ours.
pub(crate) fn verify(
    ours: &[Proposal],
    resp: &SaPayload,
    ignore_ke: bool,
) -> Option<(Proposal, Vec<u8>)> {
    let [one] = resp.proposals.as_slice() else {
        return None;
    };
    let chosen = from_wire(one)?;
    if chosen.encr.len() != 1 || chosen.integ.len() > 1 || chosen.ke.len() > 1 {
        return None;
    }
    let ok = ours.iter().any(|o| {
        intersect(o, &chosen, ignore_ke).is_some_and(|x| {
            x.encr == chosen.encr
                && x.prf == chosen.prf
                && (ignore_ke
                    || x.ke
                        == chosen
                            .ke
                            .iter()
                            .copied()
                            .filter(|k| *k != ke::NONE)
                            .collect::<Vec<_>>())
        })
    });
    ok.then(|| (chosen, one.spi.clone()))
}

/// The KE group of the first of our IKE proposals.
pub(crate) fn first_ke(ours: &[Proposal]) -> Option<u16> {
    ours.iter()
        .find_map(|p| p.ke.iter().copied().find(|k| *k != ke::NONE))
}

/// Whether any of our proposals allows `group`.
pub(crate) fn allows_ke(ours: &[Proposal], group: u16) -> bool {
    ours.iter().any(|p| p.ke.contains(&group))
}
