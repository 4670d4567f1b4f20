//! The engine's part of reauthentication (see [`crate::exchange::reauth`]): it starts the
//! new IKE SA when the old one asks for it, keeps the new one's events out of the queue
//! until it is ready, swaps the two IKE SAs' handles when it is (so the connection keeps
//! its handle, as across a rekey), and abandons it when it fails or the old one goes.

use super::{Engine, IkeSaHandle, Time};
use crate::ctx::Ctx;
use crate::exchange::reauth::{self, Progress};
use crate::sa::IkeState;

impl Engine {
    /// After a call on `handle`: starts a due reauthentication, judges a new IKE SA's
    /// progress, and abandons those whose old IKE SA is no longer established.
    pub(super) fn reauth_after(&mut self, now: Time, handle: IkeSaHandle) {
        if self
            .sas
            .get_mut(&handle)
            .is_some_and(|sa| std::mem::take(&mut sa.reauth_start))
        {
            self.reauth_spawn(now, handle);
        }
        if let Some(&old) = self.reauths.get(&handle) {
            self.reauth_progress(now, handle, old);
        }
        let old_alive = self
            .sas
            .get(&handle)
            .is_some_and(|sa| sa.state == IkeState::Established && !sa.shell);
        if old_alive {
            return;
        }
        let orphans: Vec<IkeSaHandle> = self
            .reauths
            .iter()
            .filter(|(_, o)| **o == handle)
            .map(|(n, _)| *n)
            .collect();
        for n in orphans {
            self.reauths.remove(&n);
            self.out.take_events_of(n);
            self.reauth_abandon(now, n);
        }
    }

    fn reauth_spawn(&mut self, now: Time, old_h: IkeSaHandle) {
        let new_h = self.alloc_handle();
        let full = self.sas.len() >= self.cfg.max_ike_sas;
        let Some(old) = self.sas.get_mut(&old_h) else {
            return;
        };
        let mut ctx = engine_ctx!(self, now);
        let made = if full {
            Err(crate::api::Failure::Local {
                fault: crate::api::LocalFault::State,
                detail: "too many IKE SAs to reauthenticate".into(),
            })
        } else {
            reauth::start(old, &mut ctx, new_h)
        };
        match made {
            Ok(new) => {
                if let Some(r) = old.reauth.as_mut() {
                    r.in_flight = Some(new_h);
                }
                self.by_spi.insert(new.our_spi(), new_h);
                self.index.update(new_h, &new);
                self.sas.insert(new_h, new);
                self.reauths.insert(new_h, old_h);
            }
            Err(f) => reauth::attempt_failed(old, &mut ctx, f),
        }
        if let Some(old) = self.sas.get(&old_h) {
            self.index.update(old_h, old);
        }
    }

    fn reauth_progress(&mut self, now: Time, new_h: IkeSaHandle, old_h: IkeSaHandle) {
        let events = self.out.take_events_of(new_h);
        let Some(old) = self.sas.get(&old_h) else {
            return;
        };
        let verdict = match self.sas.get(&new_h) {
            Some(new) => reauth::progress(new, &events, &old.assigned),
            None => Progress::Failed(crate::api::Failure::ProtocolError(
                "the reauthentication's IKE SA went away".into(),
            )),
        };
        match verdict {
            Progress::Pending => {}
            Progress::Failed(f) => {
                self.reauths.remove(&new_h);
                self.reauth_abandon(now, new_h);
                if let Some(old) = self.sas.get_mut(&old_h) {
                    let mut ctx = engine_ctx!(self, now);
                    reauth::attempt_failed(old, &mut ctx, f);
                    self.index.update(old_h, old);
                }
            }
            Progress::Done => self.reauth_swap(now, new_h, old_h),
        }
    }

    fn reauth_abandon(&mut self, now: Time, new_h: IkeSaHandle) {
        let Some(new) = self.sas.get_mut(&new_h) else {
            return;
        };
        let mut ctx = engine_ctx!(self, now);
        reauth::abandon(new, &mut ctx);
        if new.state == IkeState::Dead && new.expire.is_none() {
            self.remove(new_h);
        } else {
            self.index.update(new_h, new);
        }
    }

    /// The new IKE SA replaces the old one: it takes the old one's handle, and the old one
    /// (being deleted) gets the new one's.
    fn reauth_swap(&mut self, now: Time, new_h: IkeSaHandle, old_h: IkeSaHandle) {
        self.reauths.remove(&new_h);
        let (Some(mut new), Some(mut old)) = (self.sas.remove(&new_h), self.sas.remove(&old_h))
        else {
            return;
        };
        let mut ctx = engine_ctx!(self, now);
        reauth::complete(&mut old, &mut new, &mut ctx);
        new.handle = old_h;
        old.handle = new_h;
        self.by_spi.insert(new.our_spi(), old_h);
        self.by_spi.insert(old.our_spi(), new_h);
        for h in self.spi_requests.values_mut() {
            if *h == new_h {
                *h = old_h;
            } else if *h == old_h {
                *h = new_h;
            }
        }
        self.index.forget(old_h);
        self.index.forget(new_h);
        self.index.update(old_h, &new);
        self.index.update(new_h, &old);
        self.sas.insert(old_h, new);
        self.sas.insert(new_h, old);
    }
}
