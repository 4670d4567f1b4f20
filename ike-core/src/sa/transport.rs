//! Building, encrypting, fragmenting, sending and retransmitting messages of one IKE SA.

use crate::api::{Fragmentation, IkeError, Transmit};
use crate::ctx::Ctx;
use crate::fragment::FragmentOutcome;
use crate::ids::exchange;
use crate::natt::NATT_PORT;
use crate::wire::add_non_esp_marker;
use crate::wire::{
    emit_payload_chain, parse_payload_chain, Flags, Fragment, Header, Message, Payload,
};

use super::{CachedResponse, IkeSa, Pending, ReqKind};

/// Result of opening a received message.
pub(crate) enum Opened {
    /// The decrypted inner payloads.
    Payloads(Vec<Payload>),
    /// A fragment was stored; more are needed.
    Incomplete,
}

impl IkeSa {
    /// The header for a message of this SA.
    pub fn header(&self, exchange_type: u8, response: bool, msg_id: u32) -> Header {
        Header::new(
            self.spi_i,
            self.spi_r,
            exchange_type,
            Flags {
                initiator: self.initiator,
                version: false,
                response,
            },
            msg_id,
        )
    }

    /// Encodes an unencrypted message (IKE_SA_INIT).
    pub fn encode_plain(
        &self,
        exchange_type: u8,
        response: bool,
        msg_id: u32,
        payloads: Vec<Payload>,
    ) -> Result<Vec<u8>, IkeError> {
        Message::new(self.header(exchange_type, response, msg_id), payloads)
            .emit()
            .map_err(IkeError::state)
    }

    /// Encodes and encrypts a message, fragmenting it when allowed and needed.
    pub fn encode_encrypted(
        &self,
        ctx: &mut Ctx<'_>,
        exchange_type: u8,
        response: bool,
        msg_id: u32,
        payloads: &[Payload],
    ) -> Result<Vec<Vec<u8>>, IkeError> {
        let keys = self
            .keys
            .as_ref()
            .ok_or_else(|| IkeError::state("no keys"))?;
        let (first, inner) = emit_payload_chain(payloads).map_err(IkeError::state)?;
        let header = self.header(exchange_type, response, msg_id);
        let overhead = keys.overhead();
        let size = self.profile.fragment_size.max(128);
        let frag_allowed = match self.profile.fragmentation {
            Fragmentation::No => false,
            Fragmentation::Yes => self.peer_frag,
            Fragmentation::Force => true,
        } && exchange_type != exchange::IKE_SA_INIT;
        let marker = if self.local_port() == NATT_PORT { 4 } else { 0 };
        let whole = Header::LEN + 4 + inner.len() + overhead + marker;
        if !frag_allowed || whole <= size {
            let dg = keys.seal(ctx, self.initiator, &header, first, None, &inner)?;
            return Ok(vec![dg]);
        }
        let chunk = size
            .saturating_sub(Header::LEN + 8 + overhead + marker)
            .max(64);
        let parts = crate::fragment::split(&inner, chunk);
        let total =
            u16::try_from(parts.len()).map_err(|_| IkeError::state("too many fragments"))?;
        let mut out = Vec::with_capacity(parts.len());
        for (i, part) in parts.iter().enumerate() {
            let number = u16::try_from(i + 1).map_err(|_| IkeError::state("too many fragments"))?;
            let first_type = if number == 1 { first } else { 0 };
            let frag = Fragment { number, total };
            out.push(keys.seal(ctx, self.initiator, &header, first_type, Some(frag), part)?);
        }
        Ok(out)
    }

    /// Opens an encrypted message from the peer (SK or SKF) and reassembles fragments.
    pub fn open(&mut self, msg: &Message, raw: &[u8]) -> Result<Opened, IkeError> {
        let keys = self
            .keys
            .as_ref()
            .ok_or_else(|| IkeError::state("no keys"))?;
        let layout = msg
            .encrypted_layout()
            .ok_or_else(|| IkeError::syntax("no encrypted payload"))?;
        let plain = keys.open(!self.initiator, raw, &layout)?;
        let keep = msg.header.exchange_type == exchange::IKE_INTERMEDIATE;
        match layout.fragment {
            None => {
                if keep {
                    self.last_plain = Some((layout.inner_first_type, plain.clone()));
                }
                parse_payload_chain(layout.inner_first_type, &plain)
                    .map(Opened::Payloads)
                    .map_err(|e| IkeError::syntax(e.to_string()))
            }
            Some(f) => {
                match self.reassembly.add(
                    msg.header.message_id,
                    f.number,
                    f.total,
                    layout.inner_first_type,
                    plain,
                ) {
                    FragmentOutcome::Complete {
                        first_payload,
                        data,
                    } => {
                        if keep {
                            self.last_plain = Some((first_payload, data.clone()));
                        }
                        parse_payload_chain(first_payload, &data)
                            .map(Opened::Payloads)
                            .map_err(|e| IkeError::syntax(e.to_string()))
                    }
                    FragmentOutcome::Incomplete => Ok(Opened::Incomplete),
                    FragmentOutcome::Rejected => Err(IkeError::syntax("bad fragment")),
                }
            }
        }
    }

    /// Local port in use (500, or 4500 once floated).
    pub fn local_port(&self) -> u16 {
        if self.encap || self.floated {
            NATT_PORT
        } else {
            self.local.port()
        }
    }

    /// Queues datagrams to the peer's current address.
    pub fn transmit(&mut self, ctx: &mut Ctx<'_>, datagrams: &[Vec<u8>]) {
        self.last_tx = ctx.now();
        let local_ip = if self.local.ip().is_unspecified() {
            None
        } else {
            Some(self.local.ip())
        };
        for d in datagrams {
            let payload = if self.local_port() == NATT_PORT {
                add_non_esp_marker(d)
            } else {
                d.clone()
            };
            ctx.transmit(Transmit {
                local_ip,
                local_port: self.local_port(),
                remote: self.remote,
                payload,
            });
        }
    }

    /// Sends a request now (or queues its kind if one is outstanding).
    pub fn start_request(
        &mut self,
        ctx: &mut Ctx<'_>,
        kind: ReqKind,
        exchange_type: u8,
        payloads: &[Payload],
    ) -> Result<(), IkeError> {
        let msg_id = self.next_msg_id;
        let datagrams = if exchange_type == exchange::IKE_SA_INIT {
            vec![self.encode_plain(exchange_type, false, msg_id, payloads.to_vec())?]
        } else {
            self.encode_encrypted(ctx, exchange_type, false, msg_id, payloads)?
        };
        self.next_msg_id = self.next_msg_id.wrapping_add(1);
        self.send_pending(ctx, kind, msg_id, datagrams);
        Ok(())
    }

    /// Records and sends an already-encoded request.
    pub fn send_pending(
        &mut self,
        ctx: &mut Ctx<'_>,
        kind: ReqKind,
        msg_id: u32,
        datagrams: Vec<Vec<u8>>,
    ) {
        self.transmit(ctx, &datagrams);
        let deadline = ctx.now() + self.first_wait(&kind);
        self.pending = Some(Pending {
            msg_id,
            kind,
            datagrams,
            tries: 1,
            first_sent: ctx.now(),
            deadline,
        });
    }

    /// Encrypts and sends a response, caching it for retransmitted requests.
    pub fn respond(
        &mut self,
        ctx: &mut Ctx<'_>,
        exchange_type: u8,
        msg_id: u32,
        payloads: &[Payload],
    ) -> Result<(), IkeError> {
        let datagrams = self.encode_encrypted(ctx, exchange_type, true, msg_id, payloads)?;
        self.transmit(ctx, &datagrams);
        self.cached = Some(CachedResponse { msg_id, datagrams });
        Ok(())
    }

    /// Handles a retransmission timer. Returns `Err(tries)` when the peer is given up on.
    pub fn on_retransmit_timer(&mut self, ctx: &mut Ctx<'_>) -> Result<(), u32> {
        let rt = self.profile.retransmit;
        let Some(p) = self.pending.as_mut() else {
            return Ok(());
        };
        if p.deadline > ctx.now() {
            return Ok(());
        }
        if let (ReqKind::Dpd, Some(t)) = (&p.kind, self.profile.dpd_timeout) {
            return self.dpd_retransmit(ctx, t);
        }
        let elapsed = ctx.now().saturating_since(p.first_sent);
        if p.tries >= rt.tries.max(1) || elapsed >= rt.max_total {
            return Err(p.tries);
        }
        let datagrams = p.datagrams.clone();
        p.tries = p.tries.saturating_add(1);
        p.deadline = ctx.now() + rt.timeout(p.tries.saturating_sub(1));
        self.transmit(ctx, &datagrams);
        Ok(())
    }
}
