//! The state of one IKEv1 connection we initiate: the ISAKMP SA (Phase 1), the Quick Mode in
//! flight and the IPsec SA it made; sending, retransmitting, encrypting and failing.

use std::net::SocketAddr;
use std::sync::Arc;

use crate::api::{
    ConnectionConfig, DownReason, Event, Failure, IkeSaHandle, LocalFault, NatInfo, Time, Transmit,
};
use crate::crypto::{KeyExchange, Secret};
use crate::ctx::Ctx;
use crate::natt::{IKE_PORT, NATT_PORT};
use crate::sa::child_sa::ChildSa;
use crate::sa::keys::{provider, ChildKeys};
use crate::v1::iv_chain;
use crate::v1::wire::{
    emit_payload_chain, pad_plaintext, parse_decrypted, split_encrypted, Body, Flags, Header,
    Message, Payload,
};

use super::keys::Phase1Keys;
use super::proposal::{EspTransform, P1Transform};

/// AES block size: the only Phase 1 cipher is AES-CBC.
pub(crate) const BLOCK: usize = 16;

/// Where the connection is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    /// Main Mode message 1 sent.
    Mm1,
    /// Main Mode message 3 sent.
    Mm3,
    /// Main Mode message 5 sent.
    Mm5,
    /// Phase 1 done; waiting for the kernel's inbound SPI.
    SpiWait,
    /// Quick Mode message 1 sent.
    Qm1,
    /// The IPsec SA is installed.
    Up,
    /// Gone.
    Dead,
}

/// The last message we sent, for retransmission.
#[derive(Debug, Clone)]
pub(crate) struct Retx {
    pub datagram: Vec<u8>,
    pub sent: u32,
    pub deadline: Time,
}

/// The Quick Mode in flight.
pub(crate) struct Quick {
    pub message_id: u32,
    pub iv: Vec<u8>,
    pub ni: Vec<u8>,
    pub dh: Option<Box<dyn KeyExchange>>,
    pub spi_in: u32,
    pub reqid: u32,
}

/// A liveness check (RFC 3706) in flight.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DpdCheck {
    pub first_sent: Time,
    pub next_send: Time,
}

/// One IKEv1 connection (initiator).
pub(crate) struct V1Sa {
    pub handle: IkeSaHandle,
    pub conn: Arc<ConnectionConfig>,
    pub p1_offer: Vec<P1Transform>,
    pub esp_offer: Vec<EspTransform>,
    pub state: State,
    pub cky_i: [u8; 8],
    pub cky_r: [u8; 8],
    pub remote: SocketAddr,
    pub local: Option<SocketAddr>,
    pub encap: bool,
    pub nat: NatInfo,
    pub peer_natt: bool,
    pub peer_dpd: bool,
    /// The body of our Phase 1 SA payload (for HASH_I / HASH_R).
    pub sa_i_b: Vec<u8>,
    pub p1: Option<P1Transform>,
    pub dh: Option<Box<dyn KeyExchange>>,
    pub ni: Vec<u8>,
    pub nr: Vec<u8>,
    pub gxi: Vec<u8>,
    pub gxr: Vec<u8>,
    pub keys: Option<Phase1Keys>,
    /// The Phase 1 IV chain (the last Phase 1 IV once Phase 1 is done).
    pub iv: Vec<u8>,
    pub retx: Option<Retx>,
    /// The last datagram the peer sent us, to spot its retransmissions.
    pub last_rx: Vec<u8>,
    /// Our answer to it (Quick Mode message 3), resent when it comes again.
    pub last_reply: Vec<u8>,
    /// An unprotected error notify seen while waiting: (type, transmissions it answered).
    pub notified: Option<(u16, u32)>,
    pub quick: Option<Quick>,
    pub child: Option<(ChildSa, ChildKeys, EspTransform)>,
    pub last_heard: Time,
    pub dpd: Option<DpdCheck>,
    pub dpd_seq: u32,
    pub ike_expires: Option<Time>,
    /// When we last sent the peer a datagram (for NAT-keepalives).
    pub last_sent: Time,
}

impl V1Sa {
    pub fn transmit_raw(&mut self, ctx: &mut Ctx<'_>, datagram: &[u8]) {
        let (port, payload) = if self.encap {
            let mut p = vec![0u8; 4];
            p.extend_from_slice(datagram);
            (NATT_PORT, p)
        } else {
            (IKE_PORT, datagram.to_vec())
        };
        ctx.transmit(Transmit {
            local_ip: self.conn.local_addr,
            local_port: port,
            remote: self.remote,
            payload,
        });
        self.last_sent = ctx.now();
    }

    /// When a NAT-keepalive is due (RFC 3948 §2.3): behind a NAT (or with forced
    /// encapsulation) on port 4500, `nat_keepalive` after the last datagram we sent.
    pub fn keepalive_deadline(&self) -> Option<Time> {
        if self.state == State::Dead || !self.encap || !self.nat.local_behind {
            return None;
        }
        self.conn.nat_keepalive.map(|d| self.last_sent + d)
    }

    /// Sends a NAT-keepalive: the single octet 0xFF from port 4500.
    pub fn send_keepalive(&mut self, ctx: &mut Ctx<'_>) {
        ctx.transmit(Transmit {
            local_ip: self.conn.local_addr,
            local_port: NATT_PORT,
            remote: self.remote,
            payload: vec![crate::natt::NAT_KEEPALIVE],
        });
        self.last_sent = ctx.now();
    }

    /// Sends a request and arms its retransmission.
    pub fn send_request(&mut self, ctx: &mut Ctx<'_>, datagram: Vec<u8>) {
        self.transmit_raw(ctx, &datagram);
        let deadline = ctx.now() + self.conn.retransmit.timeout(0);
        self.retx = Some(Retx {
            datagram,
            sent: 1,
            deadline,
        });
        self.notified = None;
    }

    /// Sends a datagram that expects no answer.
    pub fn send_once(&mut self, ctx: &mut Ctx<'_>, datagram: &[u8]) {
        self.transmit_raw(ctx, datagram);
    }

    pub fn header(&self, exchange: u8, encrypted: bool, message_id: u32) -> Header {
        Header::new(
            self.cky_i,
            self.cky_r,
            exchange,
            Flags {
                encryption: encrypted,
                ..Flags::default()
            },
            message_id,
        )
    }

    /// Encrypts `payloads` under `iv`; returns the datagram and the next IV.
    pub fn encrypt(
        &self,
        header: Header,
        payloads: &[Payload],
        iv: &[u8],
    ) -> Result<(Vec<u8>, Vec<u8>), Failure> {
        let (keys, p1) = self
            .keys
            .as_ref()
            .zip(self.p1)
            .ok_or_else(|| state("no keys"))?;
        let (first, mut chain) = emit_payload_chain(payloads).map_err(state)?;
        pad_plaintext(&mut chain, BLOCK).map_err(state)?;
        let cbc = provider()
            .cbc(p1.encr, keys.enc_key.as_bytes())
            .map_err(crypto)?;
        cbc.encrypt(iv, &mut chain).map_err(crypto)?;
        let next = iv_chain::next_iv::<()>(&chain, BLOCK).map_err(|_| state("short ciphertext"))?;
        let msg = Message::new(
            header,
            Body::Encrypted {
                first_payload: first,
                ciphertext: chain,
            },
        );
        Ok((msg.emit().map_err(state)?, next))
    }

    /// Decrypts an encrypted message under `iv`: its payloads, the octets of the payloads
    /// after the first one (for the HASH checks, padding excluded) and the next IV. `None`
    /// for anything that does not decrypt to a well-formed chain.
    pub fn decrypt(&self, data: &[u8], iv: &[u8]) -> Option<Decrypted> {
        let (keys, p1) = self.keys.as_ref().zip(self.p1)?;
        let parts = split_encrypted(data, BLOCK).ok()?;
        let header = Header::parse(data).ok()?;
        let mut plain = parts.ciphertext.to_vec();
        let next_iv = parts.last_block(BLOCK)?.to_vec();
        let cbc = provider().cbc(p1.encr, keys.enc_key.as_bytes()).ok()?;
        cbc.decrypt(iv, &mut plain).ok()?;
        let chain = parse_decrypted(header.next_payload, &plain).ok()?;
        let end = plain.len().checked_sub(chain.padding)?;
        let first_len = usize::from(u16::from_be_bytes([*plain.get(2)?, *plain.get(3)?]));
        let rest = plain.get(first_len..end)?.to_vec();
        Some(Decrypted {
            payloads: chain.payloads,
            rest,
            next_iv,
        })
    }

    /// The Phase 2 IV of a new exchange with `message_id`.
    pub fn phase2_iv(&self, message_id: u32) -> Option<Vec<u8>> {
        let p1 = self.p1?;
        iv_chain::phase2_iv(
            |parts| provider().hash(p1.prf.hash(), parts),
            &self.iv,
            message_id,
            BLOCK,
        )
        .ok()
    }

    /// Ends the connection: its IPsec SA's kernel state goes, `Failed` (unless closed) and
    /// `IkeSaDown` are reported.
    pub fn fail(&mut self, ctx: &mut Ctx<'_>, failure: Failure) {
        self.end(ctx, DownReason::Failed(failure));
    }

    pub fn end(&mut self, ctx: &mut Ctx<'_>, reason: DownReason) {
        if self.state == State::Dead {
            return;
        }
        self.state = State::Dead;
        self.retx = None;
        self.quick = None;
        if let Some((child, _, _)) = self.child.take() {
            child.uninstall(ctx);
            ctx.event(Event::ChildSaDown {
                sa: self.handle,
                child: child.name.clone(),
                spi_in: child.spi_in,
                rekeyed: false,
            });
        }
        if let DownReason::Failed(f) = &reason {
            ctx.event(Event::Failed {
                sa: self.handle,
                failure: f.clone(),
            });
        }
        ctx.event(Event::IkeSaDown {
            sa: self.handle,
            reason,
        });
    }

    /// The next time the SA wants [`super::on_timer`].
    pub fn deadline(&self) -> Option<Time> {
        if self.state == State::Dead {
            return None;
        }
        [
            self.retx.as_ref().map(|r| r.deadline),
            self.dpd.map(|d| d.next_send),
            self.dpd_idle_deadline(),
            self.ike_expires,
            self.keepalive_deadline(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    pub fn dpd_idle_deadline(&self) -> Option<Time> {
        if self.state != State::Up || self.dpd.is_some() || !self.peer_dpd {
            return None;
        }
        self.conn.dpd_delay.map(|d| self.last_heard + d)
    }

    /// The secret of our Phase 1 DH.
    pub fn secret_psk(&self) -> Option<Secret> {
        match &self.conn.local_auth {
            crate::api::LocalAuth::Psk(p) => Some(Secret::from_slice(p.expose())),
            _ => None,
        }
    }
}

/// A decrypted message.
pub(crate) struct Decrypted {
    pub payloads: Vec<Payload>,
    pub rest: Vec<u8>,
    pub next_iv: Vec<u8>,
}

pub(crate) fn state(detail: impl core::fmt::Display) -> Failure {
    Failure::Local {
        fault: LocalFault::State,
        detail: detail.to_string(),
    }
}

pub(crate) fn crypto(detail: impl core::fmt::Display) -> Failure {
    Failure::Local {
        fault: LocalFault::Crypto,
        detail: detail.to_string(),
    }
}
