//! Traffic selector narrowing (RFC 7296 §2.9).
//!
//! Responder: the result for each side is the set of intersections of every selector the
//! initiator proposed with every selector of our configuration for that side, without
//! selectors contained in another result. If the initiator put a very specific selector first
//! (the addresses of the packet that triggered the SA, as RFC 7296 §2.9 recommends; detected
//! by [`packet_selector`]), only our configured selectors that contain it are used, so the SA
//! covers the policy that packet belongs to. An empty side is TS_UNACCEPTABLE.
//!
//! Initiator: every selector the responder returned must lie within one selector we proposed
//! for that side, and neither side may be empty.

use super::{TrafficSelector, TsError, TsSide};

/// The narrowed selectors of a Child SA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Narrowed {
    /// TSi (the initiator's side).
    pub tsi: Vec<TrafficSelector>,
    /// TSr (the responder's side).
    pub tsr: Vec<TrafficSelector>,
}

/// Intersects every offered selector with every configured one (offered order first), keeping
/// only selectors not contained in another kept one.
#[must_use]
pub fn narrow_list(
    offered: &[TrafficSelector],
    configured: &[TrafficSelector],
) -> Vec<TrafficSelector> {
    let mut out: Vec<TrafficSelector> = Vec::new();
    for o in offered {
        for c in configured {
            let Some(x) = o.intersect(c) else { continue };
            if out.iter().any(|k| k.contains(&x)) {
                continue;
            }
            out.retain(|k| !x.contains(k));
            out.push(x);
        }
    }
    out
}

/// The packet-triggered selector at the head of a proposed list, if there is one: a single
/// address that is contained in a later selector of the same list.
#[must_use]
pub fn packet_selector(list: &[TrafficSelector]) -> Option<TrafficSelector> {
    let (first, rest) = list.split_first()?;
    (first.is_host() && rest.iter().any(|t| t.contains(first))).then_some(*first)
}

fn narrow_side(
    side: TsSide,
    offered: &[TrafficSelector],
    configured: &[TrafficSelector],
) -> Result<Vec<TrafficSelector>, TsError> {
    let restricted: Vec<TrafficSelector> = match packet_selector(offered) {
        Some(p) => configured
            .iter()
            .copied()
            .filter(|c| c.contains(&p))
            .collect(),
        None => Vec::new(),
    };
    let config = if restricted.is_empty() {
        configured
    } else {
        &restricted
    };
    let out = narrow_list(offered, config);
    if out.is_empty() {
        return Err(TsError::Unacceptable {
            side,
            offered: offered.iter().map(ToString::to_string).collect(),
            ours: configured.iter().map(ToString::to_string).collect(),
        });
    }
    Ok(out)
}

/// Responder: narrows the initiator's TSi/TSr to our configuration. `local` is our side
/// (matched against TSr), `remote` the peer's side (matched against TSi).
///
/// # Errors
/// [`TsError::Unacceptable`] (send TS_UNACCEPTABLE) when a side has nothing in common.
pub fn narrow_as_responder(
    tsi: &[TrafficSelector],
    tsr: &[TrafficSelector],
    local: &[TrafficSelector],
    remote: &[TrafficSelector],
) -> Result<Narrowed, TsError> {
    Ok(Narrowed {
        tsi: narrow_side(TsSide::Initiator, tsi, remote)?,
        tsr: narrow_side(TsSide::Responder, tsr, local)?,
    })
}

fn check_side(
    side: TsSide,
    proposed: &[TrafficSelector],
    returned: &[TrafficSelector],
) -> Result<(), TsError> {
    if returned.is_empty() {
        return Err(TsError::EmptyResponse { side });
    }
    for r in returned {
        if !proposed.iter().any(|p| p.contains(r)) {
            return Err(TsError::NotSubset {
                side,
                returned: r.to_string(),
                proposed: proposed.iter().map(ToString::to_string).collect(),
            });
        }
    }
    Ok(())
}

/// Initiator: checks that the responder's TSi/TSr lie within what we proposed.
///
/// # Errors
/// [`TsError::EmptyResponse`] or [`TsError::NotSubset`].
pub fn check_responder_selectors(
    proposed_tsi: &[TrafficSelector],
    proposed_tsr: &[TrafficSelector],
    returned_tsi: &[TrafficSelector],
    returned_tsr: &[TrafficSelector],
) -> Result<(), TsError> {
    check_side(TsSide::Initiator, proposed_tsi, returned_tsi)?;
    check_side(TsSide::Responder, proposed_tsr, returned_tsr)
}
