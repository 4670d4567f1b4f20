//! IKEv1 as initiator (RFC 2409): Main Mode with pre-shared keys, Quick Mode with PFS, the
//! Informational exchanges (notifies, Deletes, dead peer detection), NAT-T (RFC 3947).
//!
//! The codec and the IV chain are [`crate::v1`] (a lower layer); this module holds the
//! exchanges and the per-connection state and sits beside [`crate::exchange`]; the engine
//! runs it for connections whose [`ConnectionConfig::ikev1`](crate::engine::ConnectionConfig)
//! is set, beside its IKEv2 SAs, with the same events, kernel operations and failures.
//!
//! - [`keys`]: SKEYID and its derivatives, HASH_I/R, the Phase 2 hashes, KEYMAT.
//! - [`proposal`]: Oakley and ESP transforms from and to the engine's proposals.
//! - `sa`: the state; `phase1`: Main Mode; `quick`: Quick Mode; `info`: Informational.
//!
//! Not here yet (refused by the settings that would ask for them): Aggressive Mode, XAUTH,
//! Mode Config, certificates, rekeying (an SA ends at its lifetime), the responder role.

pub(crate) mod info;
pub mod keys;
pub(crate) mod phase1;
pub mod proposal;
pub mod quick;
pub(crate) mod sa;

use std::net::SocketAddr;
use std::sync::Arc;

use crate::api::{ConnectionConfig, Failure, IkeSaHandle, KernelRequest};
use crate::ctx::Ctx;
use crate::v1::ids::exchange;
use crate::v1::wire::Message;

pub use phase1::{check_config, VID_DPD, VID_NATT_RFC3947};
pub(crate) use sa::{State, V1Sa};

/// What a call into an SA asks of the engine.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    /// A kernel SPI request to route back to this SA.
    pub spi_request: Option<KernelRequest>,
}

/// Starts a connection (Main Mode message 1).
pub(crate) fn initiate(
    ctx: &mut Ctx<'_>,
    handle: IkeSaHandle,
    conn: Arc<ConnectionConfig>,
) -> Result<V1Sa, String> {
    phase1::start(ctx, handle, conn)
}

/// A datagram for this SA (the cookies matched; on port 4500 the marker is gone).
pub(crate) fn on_message(
    sa: &mut V1Sa,
    ctx: &mut Ctx<'_>,
    local: SocketAddr,
    remote: SocketAddr,
    data: &[u8],
) -> Outcome {
    let mut out = Outcome::default();
    if sa.state == State::Dead || remote.ip() != sa.remote.ip() {
        return out;
    }
    let Ok(msg) = Message::parse(data) else {
        return out;
    };
    let h = &msg.header;
    if sa.state != State::Mm1 && h.spi_r != sa.cky_r {
        return out;
    }
    // A responder cookie of zero only on an unprotected notify refusing message 1.
    if h.spi_r == [0; 8] && (h.exchange_type != exchange::INFORMATIONAL || msg.is_encrypted()) {
        return out;
    }
    // The gateway's retransmission of what we already answered: answer again.
    if !sa.last_rx.is_empty() && data == sa.last_rx.as_slice() {
        if !sa.last_reply.is_empty() {
            let r = sa.last_reply.clone();
            sa.send_once(ctx, &r);
        } else if let Some(r) = sa.retx.as_ref().map(|r| r.datagram.clone()) {
            sa.transmit_raw(ctx, &r);
        }
        return out;
    }
    let result = match (h.exchange_type, sa.state) {
        (exchange::MAIN, State::Mm1) if !msg.is_encrypted() => phase1::on_mm2(sa, ctx, local, &msg),
        (exchange::MAIN, State::Mm3) if !msg.is_encrypted() => phase1::on_mm4(sa, ctx, &msg),
        (exchange::MAIN, State::Mm5) if msg.is_encrypted() => match phase1::on_mm6(sa, ctx, data) {
            Ok(true) => {
                out.spi_request = quick::request_spi(sa, ctx);
                Ok(true)
            }
            other => other,
        },
        // Quick Mode only once Phase 1 is done and only the one we started (a Quick Mode
        // before that is dropped: CVE-2023-38711).
        (exchange::QUICK, State::Qm1)
            if msg.is_encrypted()
                && sa.quick.as_ref().map(|q| q.message_id) == Some(h.message_id) =>
        {
            quick::on_qm2(sa, ctx, data)
        }
        (exchange::INFORMATIONAL, _) => info::on_informational(sa, ctx, &msg, data).map(|()| false),
        _ => Ok(false),
    };
    match result {
        Ok(true) => {
            if sa.state != State::Up {
                sa.last_rx = data.to_vec();
                sa.last_reply.clear();
            }
            sa.last_heard = ctx.now();
        }
        Ok(false) => {}
        Err(f) => sa.fail(ctx, f),
    }
    out
}

/// The kernel allocated our inbound SPI: Quick Mode message 1.
pub(crate) fn on_spi(sa: &mut V1Sa, ctx: &mut Ctx<'_>, spi: u32) {
    if sa.state != State::SpiWait {
        return;
    }
    if let Err(f) = quick::on_spi(sa, ctx, spi) {
        sa.fail(ctx, f);
    }
}

/// A kernel operation of this SA failed.
pub(crate) fn on_op_failed(sa: &mut V1Sa, ctx: &mut Ctx<'_>, error: String) {
    sa.fail(ctx, Failure::Kernel(error));
}

/// The kernel reports an expired IPsec SA: a hard expiry ends the connection (IKEv1 rekeying
/// is not implemented yet); a soft one is ignored.
pub(crate) fn on_expire(sa: &mut V1Sa, ctx: &mut Ctx<'_>, spi: u32, hard: bool) -> bool {
    let ours = sa
        .child
        .as_ref()
        .is_some_and(|(c, _, _)| c.spi_in == spi || c.spi_out == spi);
    if ours && hard {
        sa.fail(ctx, Failure::IpsecLifetimeExpired);
    }
    ours
}

/// Timers: retransmissions, liveness checks, the ISAKMP SA's lifetime.
pub(crate) fn on_timer(sa: &mut V1Sa, ctx: &mut Ctx<'_>) {
    let now = ctx.now();
    if sa.ike_expires.is_some_and(|t| now >= t) {
        sa.fail(
            ctx,
            Failure::IkeLifetimeExpired {
                rekey_disabled: true,
            },
        );
        return;
    }
    if let Some(r) = sa.retx.as_mut() {
        if now >= r.deadline {
            let tries = sa.conn.retransmit.tries.max(1);
            if r.sent >= tries {
                let failure = match (sa.notified, sa.state) {
                    (Some((t, _)), _) => phase1::notify_failure(sa, t),
                    (None, State::Qm1) => quick::unanswered(sa),
                    // The gateway answered Main Mode until our authentication, then went
                    // silent: what IKEv1 gateways do when the pre-shared keys differ.
                    (None, State::Mm5) => phase1::psk_mismatch(crate::api::AuthBy::Peer),
                    (None, _) => Failure::NoResponse {
                        tries: r.sent,
                        last_port: sa.remote.port(),
                    },
                };
                sa.fail(ctx, failure);
                return;
            }
            let wait = sa.conn.retransmit.timeout(r.sent);
            r.sent = r.sent.saturating_add(1);
            r.deadline = now + wait;
            let dg = r.datagram.clone();
            sa.transmit_raw(ctx, &dg);
        }
    }
    dpd_timer(sa, ctx);
    if sa.keepalive_deadline().is_some_and(|t| now >= t) {
        sa.send_keepalive(ctx);
    }
}

fn dpd_timer(sa: &mut V1Sa, ctx: &mut Ctx<'_>) {
    let now = ctx.now();
    let timeout = sa
        .conn
        .dpd_timeout
        .unwrap_or_else(|| sa.conn.retransmit.total());
    if let Some(d) = sa.dpd {
        if now.saturating_since(d.first_sent) >= timeout {
            let silent_for = now.saturating_since(sa.last_heard);
            sa.fail(ctx, Failure::PeerDead { silent_for });
            return;
        }
        if now >= d.next_send {
            if let Err(f) = info::send_r_u_there(sa, ctx) {
                sa.fail(ctx, f);
                return;
            }
            let step = (timeout / 5).max(core::time::Duration::from_secs(1));
            sa.dpd = Some(sa::DpdCheck {
                next_send: now + step,
                ..d
            });
        }
        return;
    }
    if sa.dpd_idle_deadline().is_some_and(|t| now >= t) {
        match info::send_r_u_there(sa, ctx) {
            Ok(_) => {
                let step = (timeout / 5).max(core::time::Duration::from_secs(1));
                sa.dpd = Some(sa::DpdCheck {
                    first_sent: now,
                    next_send: now + step,
                });
            }
            Err(f) => sa.fail(ctx, f),
        }
    }
}

/// Closes the connection (Deletes sent, kernel state removed, `IkeSaDown`).
pub(crate) fn close(sa: &mut V1Sa, ctx: &mut Ctx<'_>) {
    info::close(sa, ctx);
}
