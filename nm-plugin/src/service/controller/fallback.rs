//! The gateway's other address: a host name with addresses of both families whose first
//! address did not answer before the IKE SA came up (no answer to IKE_SA_INIT, ICMP errors
//! saying nothing listens, or no route) is tried on its address of the other family, while
//! NetworkManager keeps waiting (see [`crate::tool::resolve_candidates`]).

use super::{cancel, Controller, Core};
use crate::service::errors::PluginError;
use crate::service::messages;
use crate::service::state::{PluginFailure, ServiceState};
use crate::settings::Settings;
use std::sync::Arc;
use std::time::Duration;

impl Controller {
    /// Ends the current attempt (nothing was established: its loop is aborted and its kernel
    /// backend, sockets and exemption go with it) and launches the next address of
    /// [`super::Active::fallback`]. Until the new attempt is active, the controller is
    /// `busy`, so that a Disconnect meanwhile cancels it.
    pub(super) fn fall_back(self: &Arc<Self>, core: &mut Core) {
        let Some(mut a) = core.active.take() else {
            return;
        };
        let rest = std::mem::take(&mut a.fallback);
        if let Some(h) = &a.hold {
            h.end();
        }
        let _ = a.stop.send(true);
        cancel(&mut a.icmp_watch);
        if let Some(h) = a.runner.take() {
            h.abort();
        }
        let mut done = a.done.clone();
        let maps = a.maps.clone();
        core.busy = true;
        core.cancel_start = false;
        let me = Arc::clone(self);
        tokio::spawn(async move {
            // The old attempt's kernel backend must be gone (its lock on our kernel state
            // released, what it allocated removed) before the next one starts.
            let _ = tokio::time::timeout(Duration::from_secs(5), done.wait_for(|d| *d)).await;
            let r = match Settings::from_maps(&maps.data, &maps.secrets) {
                Ok(settings) => me.launch(maps, settings, rest).await,
                Err(errs) => {
                    let lines: Vec<String> = errs.iter().map(ToString::to_string).collect();
                    Err(PluginError::InvalidConnection(messages::profile_invalid(
                        &lines,
                    )))
                }
            };
            let mut core = me.lock();
            core.busy = false;
            if let Err(e) = r {
                tracing::warn!("{e}");
                if core.state == ServiceState::Starting {
                    me.send(super::Out::Failure(PluginFailure::ConnectFailed));
                    me.set_state(&mut core, ServiceState::Stopped);
                }
            }
        });
    }
}
