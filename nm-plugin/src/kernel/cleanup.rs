//! Finding and removing kernel state we own: what a crashed or SIGKILLed process left
//! behind (run at service start), found by the ownership tags (see [`super::Ownership`]).

use super::backend::{template_reqid, XfrmKernel};
use super::KernelError;
use netlink_packet_xfrm::policy::DelGetMessage as PolicyDelGet;
use netlink_packet_xfrm::state::{DelGetMessage as StateDelGet, ModifyMessage};
use netlink_packet_xfrm::{UserPolicyId, UserSaId, XfrmAttrs, XfrmMessage};

/// What [`remove_residue`] removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Residue {
    /// SAs deleted.
    pub sas: usize,
    /// Policies deleted.
    pub policies: usize,
    /// Routes deleted.
    pub routes: usize,
    /// Rules deleted.
    pub rules: usize,
    /// XFRM interfaces deleted.
    pub interfaces: usize,
}

/// The attributes that identify an object besides its header (mark, if_id).
fn identity_attrs(nlas: &[XfrmAttrs]) -> Vec<XfrmAttrs> {
    nlas.iter()
        .filter(|a| matches!(a, XfrmAttrs::Mark(_) | XfrmAttrs::IfId(_)))
        .cloned()
        .collect()
}

/// Deletes every SA and policy whose reqid is in `k.ownership` (policies: the reqid of
/// their template). Objects we do not own are never touched. Failures of single deletions
/// are logged and skipped; listing failures are returned.
pub fn remove_residue(k: &mut XfrmKernel) -> Result<Residue, KernelError> {
    let own = k.ownership.clone();
    remove_residue_where(k, &|r| own.owns_reqid(r))
}

/// Residue cleanup at the start of a process that claimed `own`: removes the SAs, policies,
/// routes, rules and tunnel interfaces of every block no live process holds (see
/// [`super::owner`]), in this network namespace. Runs under the one `cleanup.lock`; each
/// object is deleted while its block's lock is held for just that deletion. Refused for an
/// unlocked claim.
pub fn remove_dead_residue(
    k: &mut XfrmKernel,
    own: &super::owner::Claim,
) -> Result<Residue, KernelError> {
    let cleaner = super::owner::Cleaner::start(own).map_err(KernelError::Invalid)?;
    let lock_dead = |b: u32| cleaner.lock_dead(b);
    let mut done =
        remove_residue_with(k, &|r| super::owner::block_of_reqid(r).and_then(&lock_dead))?;
    if let Some(routes) = k.routes() {
        let (r, rules) = routes.remove_residue(&lock_dead)?;
        done.routes = r;
        done.rules = rules;
        if r + rules > 0 {
            tracing::info!(
                "removed {r} stale routes and {rules} stale rules left by an earlier run"
            );
        }
    }
    match super::xfrmi::remove_residue(&lock_dead) {
        Ok(n) => done.interfaces = n,
        Err(e) => tracing::warn!("{e}"),
    }
    drop(cleaner);
    Ok(done)
}

/// Deletes every SA and policy whose reqid satisfies `owned`.
pub fn remove_residue_where(
    k: &mut XfrmKernel,
    owned: &dyn Fn(u32) -> bool,
) -> Result<Residue, KernelError> {
    remove_residue_with(k, &|r| owned(r).then_some(()))
}

/// Deletes every SA and policy for whose reqid `guard` gives a value, holding that value (a
/// block lock) during the deletion.
fn remove_residue_with<G>(
    k: &mut XfrmKernel,
    guard: &dyn Fn(u32) -> Option<G>,
) -> Result<Residue, KernelError> {
    let mut done = Residue::default();
    for p in k.dump_policies()? {
        let Some(reqid) = template_reqid(&p.nlas) else {
            continue;
        };
        let Some(_held) = guard(reqid) else {
            continue;
        };
        let info = &p.user_policy_info;
        let msg = PolicyDelGet {
            user_policy_id: UserPolicyId {
                selector: info.selector,
                index: info.index,
                direction: info.direction,
            },
            nlas: identity_attrs(&p.nlas),
        };
        match k.send_raw(XfrmMessage::DeletePolicy(msg), 0, "removing a stale policy") {
            Ok(_) => done.policies += 1,
            Err(e) => tracing::warn!("{e}"),
        }
    }
    for s in k.dump_sas()? {
        let Some(_held) = guard(s.user_sa_info.reqid) else {
            continue;
        };
        match delete_listed_sa(k, &s, "removing a stale SA") {
            Ok(()) => done.sas += 1,
            Err(e) => tracing::warn!("{e}"),
        }
    }
    if done.sas + done.policies > 0 {
        tracing::info!(
            "removed {} stale SAs and {} stale policies left by an earlier run",
            done.sas,
            done.policies
        );
    }
    Ok(done)
}

/// Deletes an SA as a dump lists it. A larval SA (SPI 0: the kernel created it for an
/// ACQUIRE) is given an SPI first, since ESP SAs are deleted by SPI (see
/// [`super::acquire`]).
pub fn delete_listed_sa(
    k: &mut XfrmKernel,
    s: &ModifyMessage,
    what: &str,
) -> Result<(), KernelError> {
    let info = &s.user_sa_info;
    let mut spi = info.id.spi;
    if spi == 0 {
        let msg = super::acquire::larval_spi_message(info, &s.nlas);
        spi = k
            .send_raw(XfrmMessage::AllocSpi(msg), 0, what)?
            .iter()
            .find_map(|r| match r {
                XfrmMessage::AddSa(m) => Some(m.user_sa_info.id.spi),
                _ => None,
            })
            .filter(|spi| *spi != 0)
            .ok_or_else(|| KernelError::Invalid(format!("{what}: the kernel gave no SPI")))?;
    }
    let msg = StateDelGet {
        user_sa_id: UserSaId {
            daddr: info.id.daddr,
            spi,
            family: info.family,
            proto: info.id.proto,
        },
        nlas: identity_attrs(&s.nlas)
            .into_iter()
            .filter(|a| matches!(a, XfrmAttrs::Mark(_)))
            .collect(),
    };
    k.send_raw(XfrmMessage::DeleteSa(msg), 0, what).map(|_| ())
}
