//! The configuration signals: `Config`, `Ip4Config` and `Ip6Config` (from the engine or from
//! a helper through `SetConfig`...), and STARTED once everything announced has arrived (libnm's
//! `got_config`/`has_ip4`/`got_ip4` bookkeeping).

use super::{Controller, Core, Out};
use crate::service::dicts::{self, NmConfig, VarDict};
use crate::service::state::ServiceState;
use std::sync::Arc;

impl Controller {
    pub(super) fn send_config(self: &Arc<Self>, core: &mut Core, c: NmConfig) {
        self.apply_config(core, c.config);
        if let Some(d) = c.ip4 {
            self.apply_ip4(core, d);
        }
        if let Some(d) = c.ip6 {
            self.apply_ip6(core, d);
        }
    }

    fn maybe_started(self: &Arc<Self>, core: &mut Core) {
        let p = core.ip;
        if core.state == ServiceState::Starting
            && p.got_config
            && p.has_ip4 == p.got_ip4
            && p.has_ip6 == p.got_ip6
        {
            self.set_state(core, ServiceState::Started);
        }
    }

    fn apply_config(self: &Arc<Self>, core: &mut Core, d: VarDict) {
        let (h4, h6) = dicts::announced(&d);
        core.ip.got_config = true;
        core.ip.has_ip4 = h4;
        core.ip.has_ip6 = h6;
        self.send(Out::Config(d));
        self.maybe_started(core);
    }

    fn apply_ip4(self: &Arc<Self>, core: &mut Core, d: VarDict) {
        core.ip.got_ip4 = true;
        if !core.ip.got_config {
            // Old-style plugins send no Config and only IPv4.
            core.ip.got_config = true;
            core.ip.has_ip4 = true;
        }
        self.send(Out::Ip4(d));
        self.maybe_started(core);
    }

    fn apply_ip6(self: &Arc<Self>, core: &mut Core, d: VarDict) {
        core.ip.got_ip6 = true;
        self.send(Out::Ip6(d));
        self.maybe_started(core);
    }

    /// `SetConfig` (from a helper): re-emitted as `Config`.
    pub fn set_config(self: &Arc<Self>, d: VarDict) {
        let mut core = self.lock();
        self.apply_config(&mut core, d);
    }

    /// `SetIp4Config`: re-emitted as `Ip4Config`.
    pub fn set_ip4_config(self: &Arc<Self>, d: VarDict) {
        let mut core = self.lock();
        self.apply_ip4(&mut core, d);
    }

    /// `SetIp6Config`: re-emitted as `Ip6Config`.
    pub fn set_ip6_config(self: &Arc<Self>, d: VarDict) {
        let mut core = self.lock();
        self.apply_ip6(&mut core, d);
    }
}
