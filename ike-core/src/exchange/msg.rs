//! Small helpers to pick payloads out of a message.

use crate::ids::notify;
use crate::wire::{KePayload, NotifyPayload, Payload, SaPayload};

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
