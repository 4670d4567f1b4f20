//! Small helpers to pick payloads out of a message.

use crate::ids::notify;
use crate::ts;
use crate::wire::{KePayload, NotifyPayload, Payload, SaPayload, TrafficSelector};

/// The first notify of the given type.
pub(crate) fn find_notify(p: &[Payload], ty: u16) -> Option<&NotifyPayload> {
    p.iter().find_map(|x| match x {
        Payload::Notify(n) if n.notify_type == ty => Some(n),
        _ => None,
    })
}

/// The first error notify.
pub(crate) fn first_notify_error(p: &[Payload]) -> Option<&NotifyPayload> {
    p.iter().find_map(|x| match x {
        Payload::Notify(n) if n.notify_type <= notify::ERROR_MAX => Some(n),
        _ => None,
    })
}

/// The SA payload.
pub(crate) fn sa_payload(p: &[Payload]) -> Option<&SaPayload> {
    p.iter().find_map(|x| match x {
        Payload::Sa(s) => Some(s),
        _ => None,
    })
}

/// The KE payload.
pub(crate) fn ke_payload(p: &[Payload]) -> Option<&KePayload> {
    p.iter().find_map(|x| match x {
        Payload::Ke(k) => Some(k),
        _ => None,
    })
}

/// The nonce, if its length is valid (16..=256).
pub(crate) fn nonce(p: &[Payload]) -> Option<&[u8]> {
    p.iter().find_map(|x| match x {
        Payload::Nonce(n) if (16..=256).contains(&n.data.len()) => Some(n.data.as_slice()),
        _ => None,
    })
}

/// Responder narrowing of one side (RFC 7296 §2.9, [`ts::narrow_list`]): the offered
/// selectors intersected with ours; empty means TS_UNACCEPTABLE.
pub(crate) fn narrow_ts(
    offered: &[TrafficSelector],
    ours: &[TrafficSelector],
) -> Vec<TrafficSelector> {
    ts::narrow_list(offered, ours)
}

/// Responder narrowing of both sides, with the packet-selector rule
/// ([`ts::narrow_as_responder`]). Returns (TSi, TSr), or `None` for TS_UNACCEPTABLE.
pub(crate) fn narrow_both(
    tsi: &[TrafficSelector],
    tsr: &[TrafficSelector],
    local: &[TrafficSelector],
    remote: &[TrafficSelector],
) -> Option<(Vec<TrafficSelector>, Vec<TrafficSelector>)> {
    let n = ts::narrow_as_responder(tsi, tsr, local, remote).ok()?;
    Some((n.tsi, n.tsr))
}

/// Initiator: whether the responder's selectors lie within what we proposed (and neither side
/// is empty), [`ts::check_responder_selectors`].
pub(crate) fn ts_within(
    proposed_tsi: &[TrafficSelector],
    proposed_tsr: &[TrafficSelector],
    tsi: &[TrafficSelector],
    tsr: &[TrafficSelector],
) -> bool {
    ts::check_responder_selectors(proposed_tsi, proposed_tsr, tsi, tsr).is_ok()
}
