//! Simultaneous IKE SA rekeys (RFC 7296 §2.8.2).
//!
//! When the peer's request to rekey the IKE SA arrives while our own is in flight, it is
//! answered normally and the IKE SA it creates is kept aside (`IkeSa::peer_ike_rekey`). When
//! our request is answered, both exchanges have created a new IKE SA; the one created by the
//! exchange holding the lowest of the four nonces (compared octet by octet) is redundant and
//! is deleted by the side that initiated it, and the initiator of the surviving one deletes
//! the old IKE SA. Child SAs (and the engine's handle) move to the survivor. Both sides reach
//! the same decision from the same four nonces.
//!
//! Two orders of events end the same way without a nonce comparison:
//! - our request is refused or fails (the peer may already have switched and answered from
//!   the old IKE SA's shell with TEMPORARY_FAILURE): only the peer's new IKE SA exists, and
//!   the peer deletes the old one;
//! - the peer deletes the old IKE SA before our request is answered: its rekey won, and we
//!   move to its new IKE SA.

use core::time::Duration;

use crate::ctx::Ctx;
use crate::sa::{IkeSa, IkeState, NewIkeSa, ReqKind};

use super::create_child::{shell_of, switch_ike_sa};
use super::informational;

/// Our IKE SA rekey was answered while the peer's rekey (answered by us) is kept aside.
/// `ours` is the IKE SA our exchange created, `None` when it created none.
pub(crate) fn own_rekey_answered(sa: &mut IkeSa, ctx: &mut Ctx<'_>, ours: Option<NewIkeSa>) {
    let Some(peer) = sa.peer_ike_rekey.take() else {
        return;
    };
    sa.init.invalid_ke_tries = 0;
    sa.ike_ke_hint = None;
    match ours {
        Some(ours) if ours.min_nonce >= peer.min_nonce => {
            // Ours survives: we delete the old IKE SA; the peer deletes the one it created,
            // whose shell here answers that Delete.
            let mut old = switch_ike_sa(sa, ctx, ours, true);
            informational::start(&mut old, ctx, ReqKind::DeleteIke);
            old.state = IkeState::Deleting;
            let redundant = shell_of(sa, ctx, *peer);
            sa.spawned.push(old);
            sa.spawned.push(redundant);
        }
        Some(ours) => {
            // Ours holds the lowest nonce: we delete it; the peer deletes the old IKE SA.
            let old = switch_ike_sa(sa, ctx, *peer, true);
            let mut redundant = shell_of(sa, ctx, ours);
            informational::start(&mut redundant, ctx, ReqKind::DeleteIke);
            redundant.state = IkeState::Deleting;
            sa.spawned.push(old);
            sa.spawned.push(redundant);
        }
        None => {
            // Only the peer's rekey created an IKE SA; the peer deletes the old one.
            let old = switch_ike_sa(sa, ctx, *peer, true);
            sa.spawned.push(old);
        }
    }
}

/// The peer deleted the IKE SA (its Delete already answered) while its rekey is kept aside:
/// that rekey won, so the IKE SA moves to it and the old one stays only to answer
/// retransmissions of the Delete. Returns false when no rekey of the peer is kept aside.
pub(crate) fn old_deleted(sa: &mut IkeSa, ctx: &mut Ctx<'_>) -> bool {
    let Some(peer) = sa.peer_ike_rekey.take() else {
        return false;
    };
    let mut old = switch_ike_sa(sa, ctx, *peer, true);
    old.pending = None;
    old.state = IkeState::Dead;
    old.expire = Some(ctx.now() + Duration::from_secs(10));
    sa.spawned.push(old);
    true
}
