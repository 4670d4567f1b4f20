//! The wire side of proposal negotiation: SA payloads to and from the proposal module's types.
//! Selection and response verification are `crate::proposal::negotiate`'s.

use crate::ids::{esn, ke, transform_type as tt};
use crate::proposal::{
    select_esp, select_ike, verify_esp_response, verify_ike_response, NegotiateOptions,
    OfferedProposal, Proposal, ProposalSet, Protocol, TransformSpec,
};
use crate::wire::{self, SaPayload, Transform};

/// Builds SA payload proposals (numbered from 1) from ours; `spi` goes into every proposal.
/// `strip_ke` drops KE and additional KE transforms (the Child SA of IKE_AUTH).
pub(crate) fn to_wire(ours: &[Proposal], spi: &[u8], strip_ke: bool) -> SaPayload {
    let proposals = ours
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let mut p = p.clone();
            if p.protocol == Protocol::Esp && p.esn.is_empty() {
                p.esn = vec![esn::NO];
            }
            if strip_ke {
                p.ke.clear();
                p.addke = Default::default();
            }
            wire::Proposal {
                num: u8::try_from(i + 1).unwrap_or(u8::MAX),
                protocol_id: p.protocol.id(),
                spi: spi.to_vec(),
                transforms: transforms(&p.to_transforms()),
            }
        })
        .collect();
    SaPayload { proposals }
}

/// A single chosen proposal with its number, for the response.
pub(crate) fn chosen_to_wire(chosen: &Proposal, num: u8, spi: &[u8]) -> SaPayload {
    let mut p = chosen.clone();
    if p.protocol == Protocol::Esp && p.esn.is_empty() {
        p.esn = vec![esn::NO];
    }
    SaPayload {
        proposals: vec![wire::Proposal {
            num,
            protocol_id: p.protocol.id(),
            spi: spi.to_vec(),
            transforms: transforms(&p.to_transforms()),
        }],
    }
}

fn transforms(specs: &[TransformSpec]) -> Vec<Transform> {
    specs
        .iter()
        .map(|t| match t.key_len {
            Some(k) => Transform::with_key_length(t.ttype, t.id, k),
            None => Transform::new(t.ttype, t.id),
        })
        .collect()
}

/// The wire proposals in the proposal module's neutral form.
fn offered(sa: &SaPayload) -> Vec<OfferedProposal> {
    sa.proposals
        .iter()
        .map(|p| {
            let specs = p
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
            OfferedProposal::new(p.num, p.protocol_id, p.spi.clone(), specs)
        })
        .collect()
}

fn set(ours: &[Proposal], strip_ke: bool) -> ProposalSet {
    ProposalSet(
        ours.iter()
            .cloned()
            .map(|mut p| {
                if strip_ke {
                    p.ke.clear();
                    p.addke = Default::default();
                }
                p
            })
            .collect(),
    )
}

/// Human-readable list of proposals.
pub(crate) fn describe(ps: &[Proposal]) -> Vec<String> {
    ps.iter().map(ToString::to_string).collect()
}

/// Human-readable list of what the peer offered.
pub(crate) fn describe_wire(sa: &SaPayload) -> Vec<String> {
    offered(sa)
        .iter()
        .map(OfferedProposal::to_strongswan)
        .collect()
}

/// Responder: chooses among the offered proposals (our order decides). `skip_ke` ignores KE
/// transforms (IKE_AUTH's Child SA); `ke_hint` is the group of the KE payload that came with
/// the offer, preferred when acceptable. Returns (proposal number, chosen, offered SPI).
pub(crate) fn select(
    ours: &[Proposal],
    sa: &SaPayload,
    skip_ke: bool,
    ke_hint: Option<u16>,
) -> Option<(u8, Proposal, Vec<u8>)> {
    let offered = offered(sa);
    let protocol = offered.first().map(|o| o.protocol_id)?;
    let opts = NegotiateOptions {
        ke_hint,
        skip_ke,
        ..NegotiateOptions::default()
    };
    let ours = set(ours, false);
    if protocol == Protocol::Ike.id() {
        let s = select_ike(&ours, &offered, &opts).ok()?;
        Some((s.number, s.chosen.to_proposal(), s.spi))
    } else {
        let s = select_esp(&ours, &offered, &opts).ok()?;
        Some((s.number, s.chosen.to_proposal(), s.spi))
    }
}

/// Initiator: checks the responder picked exactly one of our proposals (sent with KE
/// transforms stripped when `strip_ke`). Returns it with the responder's SPI.
pub(crate) fn verify(
    ours: &[Proposal],
    resp: &SaPayload,
    strip_ke: bool,
) -> Option<(Proposal, Vec<u8>)> {
    let returned = offered(resp);
    let [one] = returned.as_slice() else {
        return None;
    };
    let sent = set(ours, strip_ke);
    let chosen = if one.protocol_id == Protocol::Ike.id() {
        verify_ike_response(&sent, one).ok()?.to_proposal()
    } else {
        verify_esp_response(&sent, one).ok()?.to_proposal()
    };
    Some((chosen, one.spi.clone()))
}

/// The KE group of the first of our proposals that has one.
pub(crate) fn first_ke(ours: &[Proposal]) -> Option<u16> {
    ours.iter()
        .find_map(|p| p.ke.iter().copied().find(|k| *k != ke::NONE))
}

/// Whether any of our proposals allows `group`.
pub(crate) fn allows_ke(ours: &[Proposal], group: u16) -> bool {
    ours.iter().any(|p| p.ke.contains(&group))
}
