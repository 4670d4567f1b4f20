//! Child SA state and its kernel operations.

use std::net::IpAddr;

use crate::api::{
    Direction, EspCipher, Event, IkeSaHandle, KernelOp, Lifetime, Mode, Time, UdpEncap,
};
use crate::ctx::Ctx;
use crate::proposal::Proposal;
use crate::wire::TrafficSelector;

use super::keys::ChildKeys;
use super::profile::ChildLimits;

/// An installed Child SA.
#[derive(Debug, Clone)]
pub(crate) struct ChildSa {
    pub name: String,
    pub reqid: u32,
    pub spi_in: u32,
    pub spi_out: u32,
    pub proposal: Proposal,
    pub local_ts: Vec<TrafficSelector>,
    pub remote_ts: Vec<TrafficSelector>,
    pub mode: Mode,
    pub local: IpAddr,
    pub remote: IpAddr,
    pub encap: Option<UdpEncap>,
    /// Whether policies were installed (the rekeyed SA shares the old one's policies).
    pub owns_policies: bool,
    /// Replaced by a newer Child SA (reported as rekeyed when it goes).
    pub rekeyed: bool,
    /// We are deleting it (Delete sent or queued).
    pub deleting: bool,
    /// Our rekey of this Child SA is under way.
    pub rekeying: bool,
    /// Our completed rekey: the lowest nonce of that exchange and the new inbound SPI.
    pub our_rekey: Option<(Vec<u8>, u32)>,
    /// The peer's rekey we answered: the lowest nonce of that exchange and the new inbound SPI.
    pub peer_rekey: Option<(Vec<u8>, u32)>,
    /// The outbound SA of a Child SA made by the peer's rekey, not yet in the kernel (see
    /// [`ChildSa::install_holding_out`]).
    pub held_out: Option<HeldOutbound>,
}

/// The outbound SA of a Child SA the peer rekeyed, kept back: the peer installs its new
/// inbound SA only when our answer arrives, so our traffic stays on the old SA until the peer
/// deletes it (or this SA's siblings go some other way), at the latest until `until`.
#[derive(Debug, Clone)]
pub(crate) struct HeldOutbound {
    /// The `InstallSa` of the outbound SA.
    pub op: KernelOp,
    /// When it is installed even without the peer's Delete.
    pub until: Time,
}

/// A Child SA being negotiated (SPI allocation pending or request in flight).
#[derive(Debug, Clone)]
pub(crate) struct PendingChild {
    pub request: Option<crate::api::KernelRequest>,
    pub spi_in: Option<u32>,
    /// Responder: the message ID of the request to answer once the SPI is known.
    pub answer_msg_id: Option<u32>,
    /// Responder: accepted proposal and narrowed selectors, peer's SPI, nonces and
    /// payloads prepared before the SPI arrived.
    pub accepted: Option<AcceptedChild>,
}

/// A Child SA the responder accepted, waiting for its inbound SPI.
#[derive(Debug, Clone)]
pub(crate) struct AcceptedChild {
    pub proposal: Proposal,
    pub proposal_num: u8,
    pub peer_spi: u32,
    pub tsi: Vec<TrafficSelector>,
    pub tsr: Vec<TrafficSelector>,
    pub mode: Mode,
}

impl ChildSa {
    fn cipher(&self, keys: &ChildKeys, outbound: bool) -> EspCipher {
        keys.cipher(&self.proposal, outbound)
    }

    /// The `InstallSa` operations of the inbound and the outbound SA.
    fn sa_ops(
        &self,
        ctx: &mut Ctx<'_>,
        keys: &ChildKeys,
        limits: &ChildLimits,
        esn: bool,
    ) -> (KernelOp, KernelOp) {
        // Soft limits at 85-90 % of the hard ones so both ends rarely rekey at once.
        let r = ctx
            .random(4)
            .ok()
            .and_then(|b| <[u8; 4]>::try_from(b.as_slice()).ok())
            .map_or(0, |b| u64::from(u32::from_be_bytes(b)));
        let soft = |hard: u64| {
            let spread = hard / 20;
            let jitter = if spread == 0 { 0 } else { r % spread };
            (hard.saturating_mul(9) / 10).saturating_sub(jitter)
        };
        let lifetime = Lifetime {
            soft_secs: soft(limits.secs),
            hard_secs: limits.secs,
            soft_bytes: soft(limits.bytes),
            hard_bytes: limits.bytes,
            soft_packets: soft(limits.packets),
            hard_packets: limits.packets,
        };
        let selector = |src: &[TrafficSelector], dst: &[TrafficSelector]| {
            if self.mode == Mode::Transport {
                src.first().cloned().zip(dst.first().cloned())
            } else {
                None
            }
        };
        let replay_window = ctx.cfg().replay_window;
        let in_encap = self.encap.map(|e| UdpEncap {
            sport: e.dport,
            dport: e.sport,
        });
        let request = ctx.next_request();
        let inbound = KernelOp::InstallSa {
            request,
            reqid: self.reqid,
            spi: self.spi_in,
            direction: Direction::In,
            src: self.remote,
            dst: self.local,
            mode: self.mode,
            encap: in_encap,
            cipher: self.cipher(keys, false),
            esn,
            replay_window,
            lifetime,
            selector: selector(&self.remote_ts, &self.local_ts),
        };
        let request = ctx.next_request();
        let outbound = KernelOp::InstallSa {
            request,
            reqid: self.reqid,
            spi: self.spi_out,
            direction: Direction::Out,
            src: self.local,
            dst: self.remote,
            mode: self.mode,
            encap: self.encap,
            cipher: self.cipher(keys, true),
            esn,
            replay_window,
            lifetime,
            selector: selector(&self.local_ts, &self.remote_ts),
        };
        (inbound, outbound)
    }

    /// Emits the install operations: inbound SA, outbound SA, then policies.
    pub fn install(
        &self,
        ctx: &mut Ctx<'_>,
        keys: &ChildKeys,
        limits: &ChildLimits,
        esn: bool,
        with_policies: bool,
    ) {
        let (inbound, outbound) = self.sa_ops(ctx, keys, limits, esn);
        ctx.kernel(inbound);
        ctx.kernel(outbound);
        if with_policies {
            for l in &self.local_ts {
                for r in &self.remote_ts {
                    let mut dirs = vec![Direction::Out, Direction::In];
                    if self.mode == Mode::Tunnel {
                        dirs.push(Direction::Fwd);
                    }
                    for dir in dirs {
                        let (src_ts, dst_ts, tmpl_src, tmpl_dst) = match dir {
                            Direction::Out => (*l, *r, self.local, self.remote),
                            _ => (*r, *l, self.remote, self.local),
                        };
                        let request = ctx.next_request();
                        ctx.kernel(KernelOp::InstallPolicy {
                            request,
                            reqid: self.reqid,
                            dir,
                            src_ts,
                            dst_ts,
                            tmpl_src,
                            tmpl_dst,
                            mode: self.mode,
                        });
                    }
                }
            }
        }
    }

    /// Installs the inbound SA of a Child SA made by the peer's rekey and keeps its outbound
    /// SA back until [`ChildSa::release_out`] (the peer deleted the old SA) or `until` (see
    /// [`HeldOutbound`]): until then our traffic leaves on the old SA, which the peer still
    /// has, instead of on one the peer may not have installed yet.
    pub fn install_holding_out(
        &mut self,
        ctx: &mut Ctx<'_>,
        keys: &ChildKeys,
        limits: &ChildLimits,
        esn: bool,
        until: Time,
    ) {
        let (inbound, outbound) = self.sa_ops(ctx, keys, limits, esn);
        ctx.kernel(inbound);
        self.held_out = Some(HeldOutbound {
            op: outbound,
            until,
        });
    }

    /// Installs the outbound SA kept back by [`ChildSa::install_holding_out`], if any.
    pub fn release_out(&mut self, ctx: &mut Ctx<'_>) {
        if let Some(h) = self.held_out.take() {
            ctx.kernel(h.op);
        }
    }

    /// Emits the teardown operations in reverse order: policies, outbound SA, inbound SA (an
    /// outbound SA still held back was never installed).
    pub fn uninstall(&self, ctx: &mut Ctx<'_>) {
        if self.owns_policies {
            for l in &self.local_ts {
                for r in &self.remote_ts {
                    let mut dirs = vec![Direction::Fwd, Direction::In, Direction::Out];
                    if self.mode != Mode::Tunnel {
                        dirs.remove(0);
                    }
                    for dir in dirs {
                        let (src_ts, dst_ts) = match dir {
                            Direction::Out => (*l, *r),
                            _ => (*r, *l),
                        };
                        let request = ctx.next_request();
                        ctx.kernel(KernelOp::DeletePolicy {
                            request,
                            reqid: self.reqid,
                            dir,
                            src_ts,
                            dst_ts,
                        });
                    }
                }
            }
        }
        if self.held_out.is_none() {
            let request = ctx.next_request();
            ctx.kernel(KernelOp::DeleteSa {
                request,
                spi: self.spi_out,
                dst: self.remote,
                src: self.local,
            });
        }
        let request = ctx.next_request();
        ctx.kernel(KernelOp::DeleteSa {
            request,
            spi: self.spi_in,
            dst: self.local,
            src: self.remote,
        });
    }

    /// The ChildSaUp event.
    pub fn up_event(&self, sa: IkeSaHandle) -> Event {
        Event::ChildSaUp {
            sa,
            child: self.name.clone(),
            proposal: self.proposal.to_string(),
            local_ts: self.local_ts.clone(),
            remote_ts: self.remote_ts.clone(),
            spi_in: self.spi_in,
            spi_out: self.spi_out,
            mode: self.mode,
            udp_encap: self.encap,
        }
    }
}
