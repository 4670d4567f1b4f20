//! Reauthentication (RFC 7296 §2.8.3) when the peer sets an authentication lifetime
//! (AUTH_LIFETIME, RFC 4478), make-before-break.
//!
//! The original initiator of an IKE SA reads AUTH_LIFETIME in the IKE_AUTH response and in
//! INFORMATIONAL requests and schedules a reauthentication before it ends
//! ([`crate::sa::reauth`] holds the timing). A reauthentication is a new IKE SA with the same
//! configuration (IKE_SA_INIT, IKE_AUTH asking for the virtual addresses we hold, no
//! INITIAL_CONTACT) whose Child SA takes over the old one's reqid and policies when its
//! selectors are the same; once it is installed, the new IKE SA takes over the handle and the
//! old one is deleted, which removes the old Child SAs' kernel SAs. The engine runs the two
//! IKE SAs side by side (`engine/reauth.rs`); this module holds what happens to each.
//!
//! A reauthentication that fails (refused, unanswered, other virtual addresses) leaves the
//! old IKE SA alone and is tried again with backoff; when the lifetime ends first, the IKE SA
//! fails with [`Failure::AuthLifetimeExpired`] naming the last failure. A responder
//! configured with [`crate::api::ResponderConfig::auth_lifetime`] sends AUTH_LIFETIME and
//! deletes an IKE SA that is still there after the lifetime and a grace.

use core::time::Duration;
use std::sync::Arc;

use crate::api::{DownReason, Event, Failure, IkeSaHandle};
use crate::ctx::Ctx;
use crate::ids::notify;
use crate::sa::reauth::{retry_delay, Reauth, ReauthLink};
use crate::sa::{IkeSa, IkeState};
use crate::wire::{NotifyPayload, Payload, TrafficSelector};

use super::{dispatch, ike_sa_init, informational};

/// Reads an AUTH_LIFETIME notify in `p`: the original initiator (re)schedules its
/// reauthentication; anyone else ignores it. A malformed one is reported (not fatal) and
/// ignored.
pub(crate) fn on_auth_lifetime(sa: &mut IkeSa, ctx: &mut Ctx<'_>, p: &[Payload]) {
    let Some(n) = super::msg::find_notify(p, notify::AUTH_LIFETIME) else {
        return;
    };
    if sa.origin.is_none() || sa.shell {
        return;
    }
    let secs = match n.auth_lifetime_secs() {
        Ok(s) => s,
        Err(e) => {
            if sa.reauth_of.is_none() {
                ctx.event(Event::ExchangeFailed {
                    sa: sa.handle,
                    failure: Failure::ProtocolError(format!("ignored AUTH_LIFETIME: {e}")),
                });
            }
            return;
        }
    };
    let fresh = Reauth::initiator(ctx.now(), Duration::from_secs(secs.into()));
    match &mut sa.reauth {
        // A reauthentication under way goes on; only the end moves.
        Some(r) if r.in_flight.is_some() => r.deadline = fresh.deadline,
        r => *r = Some(fresh),
    }
}

/// Responder: the AUTH_LIFETIME notify for our IKE_AUTH answer (and the deadline it sets).
pub(crate) fn responder_notify(sa: &mut IkeSa, ctx: &Ctx<'_>) -> Option<Payload> {
    let life = sa.profile.auth_lifetime?;
    let secs = u32::try_from(life.as_secs()).unwrap_or(u32::MAX);
    sa.reauth = Some(Reauth::responder(
        ctx.now(),
        Duration::from_secs(secs.into()),
    ));
    Some(Payload::Notify(NotifyPayload::auth_lifetime(secs)))
}

/// Timer work: the end of the authentication lifetime fails the IKE SA (a Delete is sent);
/// a due reauthentication is handed to the engine. Returns true when the SA was closed.
pub(crate) fn on_timer(sa: &mut IkeSa, ctx: &mut Ctx<'_>) -> bool {
    if sa.state != IkeState::Established || sa.shell {
        return false;
    }
    let Some(r) = sa.reauth.as_mut() else {
        return false;
    };
    let now = ctx.now();
    if r.deadline <= now {
        let f = Failure::AuthLifetimeExpired {
            attempts: r.failures + u32::from(r.in_flight.is_some()),
            last: r.last.take().map(Box::new),
        };
        // The engine abandons a reauthentication still in flight once this SA is closing.
        sa.reauth = None;
        ctx.event(Event::Failed {
            sa: sa.handle,
            failure: f.clone(),
        });
        informational::close_with(sa, ctx, DownReason::Failed(f));
        return true;
    }
    if r.in_flight.is_none() && r.next_at.is_some_and(|t| t <= now) {
        r.next_at = None;
        sa.reauth_start = true;
    }
    false
}

/// The new IKE SA of a reauthentication of `old` (IKE_SA_INIT sent), under `handle`: the
/// same connection, asking for the virtual addresses `old` holds.
pub(crate) fn start(old: &IkeSa, ctx: &mut Ctx<'_>, handle: IkeSaHandle) -> Result<IkeSa, Failure> {
    let conn = old
        .origin
        .clone()
        .ok_or_else(|| Failure::ProtocolError("not the original initiator".into()))?;
    let mut profile = (*old.profile).clone();
    for a in &old.assigned {
        match a {
            std::net::IpAddr::V4(v4) => profile.request.prefer_v4 = Some(*v4),
            std::net::IpAddr::V6(v6) => profile.request.prefer_v6 = Some(*v6),
        }
    }
    let mut new = ike_sa_init::initiate(ctx, handle, Arc::new(profile), &conn)
        .map_err(|e| Failure::from(e.context("cannot start the reauthentication")))?;
    new.origin = Some(conn);
    new.reauth_of = Some(ReauthLink {
        reqids: old
            .children
            .iter()
            .filter(|c| !c.deleting)
            .map(|c| (c.reqid, c.local_ts.clone(), c.remote_ts.clone()))
            .collect(),
    });
    Ok(new)
}

/// The reqid a new Child SA with these selectors takes over from the IKE SA it
/// reauthenticates (none outside a reauthentication or for other selectors).
pub(crate) fn reused_reqid(
    sa: &IkeSa,
    local_ts: &[TrafficSelector],
    remote_ts: &[TrafficSelector],
) -> Option<u32> {
    let link = sa.reauth_of.as_ref()?;
    let taken: Vec<u32> = sa.children.iter().map(|c| c.reqid).collect();
    link.reqids
        .iter()
        .find(|(r, l, rt)| l == local_ts && rt == remote_ts && !taken.contains(r))
        .map(|(r, _, _)| *r)
}

/// How a reauthentication's new IKE SA stands after a call.
pub(crate) enum Progress {
    /// Still negotiating.
    Pending,
    /// Up with its Child SA installed: it replaces the old one.
    Done,
    /// Failed: abandon it, keep the old one.
    Failed(Failure),
}

/// Judges the new IKE SA `new` of a reauthentication from its state and the events it
/// produced (taken out of the queue: it is not reported as an IKE SA of its own), holding
/// `held` virtual addresses.
pub(crate) fn progress(new: &IkeSa, events: &[Event], held: &[std::net::IpAddr]) -> Progress {
    for e in events {
        if let Event::Failed { failure, .. } | Event::ExchangeFailed { failure, .. } = e {
            return Progress::Failed(failure.clone());
        }
    }
    match new.state {
        IkeState::Established if new.pending_child.is_none() => {
            if new.children.is_empty() {
                return Progress::Failed(Failure::ProtocolError(
                    "the reauthentication created no Child SA".into(),
                ));
            }
            if !held.is_empty() && new.assigned != held {
                return Progress::Failed(Failure::VirtualAddressChanged {
                    held: held.to_vec(),
                    offered: new.assigned.clone(),
                });
            }
            Progress::Done
        }
        IkeState::Dead | IkeState::Deleting => Progress::Failed(Failure::ProtocolError(
            "the reauthentication's IKE SA went away".into(),
        )),
        _ => Progress::Pending,
    }
}

/// A reauthentication of `old` failed: reported (not fatal), tried again after a backoff
/// while that is before the end of the authentication lifetime.
pub(crate) fn attempt_failed(old: &mut IkeSa, ctx: &mut Ctx<'_>, f: Failure) {
    let Some(r) = old.reauth.as_mut() else {
        return;
    };
    r.in_flight = None;
    r.failures = r.failures.saturating_add(1);
    let at = ctx.now() + retry_delay(r.failures);
    r.next_at = (at < r.deadline).then_some(at);
    let attempt = r.failures;
    r.last = Some(f.clone());
    ctx.event(Event::ExchangeFailed {
        sa: old.handle,
        failure: Failure::ReauthFailed {
            attempt,
            cause: Box::new(f),
        },
    });
}

/// Abandons a reauthentication's new IKE SA silently: its Child SAs' kernel SAs are removed
/// (never the policies it did not install) and the IKE SA is deleted.
pub(crate) fn abandon(new: &mut IkeSa, ctx: &mut Ctx<'_>) {
    new.shell = true;
    new.reauth_of = None;
    new.reauth = None;
    match new.state {
        IkeState::Dead => {}
        IkeState::Established => informational::close(new, ctx),
        _ => dispatch::fail(new, ctx, Failure::DeletedByPeer, false),
    }
}

/// The reauthentication succeeded: `new` takes over from `old` (the engine then swaps their
/// handles). Policies go to the new Child SAs that reused a reqid, the event and the new
/// Child SAs are reported under the connection's handle, the old Child SAs reported as
/// replaced, and the old IKE SA is deleted silently (its Child SAs' kernel SAs removed).
pub(crate) fn complete(old: &mut IkeSa, new: &mut IkeSa, ctx: &mut Ctx<'_>) {
    let handle = old.handle;
    for c in &mut new.children {
        if let Some(o) = old.children.iter_mut().find(|o| o.reqid == c.reqid) {
            o.owns_policies = false;
            c.owns_policies = true;
        }
    }
    new.reauth_of = None;
    ctx.event(Event::IkeSaReauthenticated {
        sa: handle,
        old_spis: (old.spi_i, old.spi_r),
        spis: (new.spi_i, new.spi_r),
        proposal: new
            .chosen
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
    });
    for c in &new.children {
        ctx.event(c.up_event(handle));
    }
    for c in &old.children {
        ctx.event(Event::ChildSaDown {
            sa: handle,
            child: c.name.clone(),
            spi_in: c.spi_in,
            rekeyed: true,
        });
    }
    old.reauth = None;
    old.shell = true;
    informational::close(old, ctx);
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;
    use crate::api::{ConnectionConfig, Identity, LocalAuth, Mode, RemoteAuth, SecretBytes, Time};
    use crate::proposal::{Proposal, Protocol};
    use crate::sa::child_sa::ChildSa;
    use crate::sa::profile::Profile;
    use std::net::{IpAddr, SocketAddr};

    /// An established new IKE SA of a reauthentication holding `assigned`, with one Child SA.
    fn new_sa(assigned: &[&str]) -> IkeSa {
        let remote: SocketAddr = "192.0.2.1:500".parse().unwrap();
        let psk = || SecretBytes::from_slice(b"k");
        let conn = ConnectionConfig::new(
            "c",
            remote,
            Identity::parse("@c").unwrap(),
            LocalAuth::Psk(psk()),
            RemoteAuth::Psk(psk()),
        );
        let local: SocketAddr = "192.0.2.2:500".parse().unwrap();
        let mut sa = ike_sa_init::new_sa(
            IkeSaHandle(2),
            true,
            Arc::new(Profile::from_initiator(&conn)),
            local,
            remote,
            Time::from_millis(0),
        );
        sa.state = IkeState::Established;
        sa.assigned = assigned.iter().map(|a| a.parse().unwrap()).collect();
        sa.children.push(ChildSa {
            name: "c".into(),
            reqid: 1,
            spi_in: 1,
            spi_out: 2,
            proposal: Proposal::new(Protocol::Esp),
            local_ts: vec![],
            remote_ts: vec![],
            mode: Mode::Tunnel,
            local: local.ip(),
            remote: remote.ip(),
            encap: None,
            owns_policies: false,
            rekeyed: false,
            deleting: false,
            rekeying: false,
            our_rekey: None,
            peer_rekey: None,
            held_out: None,
        });
        sa
    }

    fn held(a: &[&str]) -> Vec<IpAddr> {
        a.iter().map(|x| x.parse().unwrap()).collect()
    }

    #[test]
    fn the_same_addresses_complete_it_others_fail_it_naming_both() {
        assert!(matches!(
            progress(&new_sa(&["10.3.0.1"]), &[], &held(&["10.3.0.1"])),
            Progress::Done
        ));
        // Without a virtual address nothing is compared.
        assert!(matches!(progress(&new_sa(&[]), &[], &[]), Progress::Done));
        match progress(&new_sa(&["10.3.0.9"]), &[], &held(&["10.3.0.1"])) {
            Progress::Failed(Failure::VirtualAddressChanged { held, offered }) => {
                assert_eq!(held, vec!["10.3.0.1".parse::<IpAddr>().unwrap()]);
                assert_eq!(offered, vec!["10.3.0.9".parse::<IpAddr>().unwrap()]);
            }
            _ => panic!("a different address must fail the reauthentication"),
        }
    }

    #[test]
    fn a_failure_event_or_a_missing_child_sa_fails_it() {
        let sa = new_sa(&[]);
        let ev = Event::ExchangeFailed {
            sa: sa.handle,
            failure: Failure::TsUnacceptable,
        };
        assert!(matches!(
            progress(&sa, &[ev], &[]),
            Progress::Failed(Failure::TsUnacceptable)
        ));
        let mut bare = new_sa(&[]);
        bare.children.clear();
        assert!(matches!(progress(&bare, &[], &[]), Progress::Failed(_)));
        let mut early = new_sa(&[]);
        early.state = IkeState::AuthPending;
        assert!(matches!(progress(&early, &[], &[]), Progress::Pending));
    }
}
