//! A minimal IKEv1 responder for the simulations (`sim_v1.rs`): Main Mode with a pre-shared
//! key, Quick Mode (PFS when offered), Informational Deletes. Written from RFC 2409 on the
//! crate's public codec ([`ike_core::v1::wire`]), IV chain and key functions
//! ([`ike_core::ikev1::keys`]); it takes the first transform offered and echoes the identities.
//! Not a product: only what the tests need, plus switches to misbehave.

use ike_core::crypto::{default_provider, CryptoProvider, Encr, KeGroup, KeyExchange, Prf, Rng};
use ike_core::ikev1::keys::{self, Phase1Keys};
use ike_core::v1::ids::{doi, exchange, ipsec_attr, oakley_attr, protocol};
use ike_core::v1::iv_chain;
use ike_core::v1::wire::{
    emit_payload_chain, pad_plaintext, parse_decrypted, split_encrypted, Attribute, Body, Flags,
    HashPayload, Header, IdPayload, KePayload, Message, NatDPayload, NoncePayload, Payload,
    SaPayload, VendorIdPayload,
};

const BLOCK: usize = 16;

/// A Quick Mode in progress: (message id, IV, Ni, Nr, our SPI, their SPI, g^qm).
type QuickState = (u32, Vec<u8>, Vec<u8>, Vec<u8>, u32, u32, Option<Vec<u8>>);

/// What the responder learned and decided.
#[derive(Default)]
pub struct V1Responder {
    pub psk: Vec<u8>,
    /// Never answer Quick Mode.
    pub ignore_quick: bool,
    /// Refuse Main Mode message 1 with an unprotected NO-PROPOSAL-CHOSEN (responder cookie 0).
    pub refuse_phase1: bool,
    /// Send a wrong HASH_R (as a gateway with another key that still answered would).
    pub bad_hash_r: bool,
    pub cky_i: [u8; 8],
    pub cky_r: [u8; 8],
    sa_i_b: Vec<u8>,
    encr: Option<Encr>,
    prf: Option<Prf>,
    group: Option<KeGroup>,
    gxi: Vec<u8>,
    gxr: Vec<u8>,
    ni: Vec<u8>,
    nr: Vec<u8>,
    dh: Option<Box<dyn KeyExchange>>,
    keys: Option<Phase1Keys>,
    iv: Vec<u8>,
    /// Phase 1 done (HASH_I checked).
    pub established: bool,
    /// HASH_I did not match.
    pub hash_mismatch: bool,
    /// Quick Mode: (message id, IV, Ni, Nr, our SPI, their SPI, g^qm).
    quick: Option<QuickState>,
    /// The KEYMAT of (the initiator's inbound SA, its outbound SA), once Quick Mode ended.
    pub keymat: Option<(u32, Vec<u8>, u32, Vec<u8>)>,
    /// Deletes received: (protocol, SPI).
    pub deletes: Vec<(u8, Vec<u8>)>,
    /// Quick Mode messages 1 received.
    pub quick_requests: u32,
    /// Protected Informationals received (Deletes, R-U-THERE; never answered).
    pub informationals: u32,
    last_in: Vec<u8>,
    last_out: Vec<u8>,
}

fn p() -> &'static dyn CryptoProvider {
    default_provider()
}

fn hash_of(prf: Prf) -> impl Fn(&[&[u8]]) -> Result<Vec<u8>, ike_core::crypto::CryptoError> {
    move |parts| p().hash(prf.hash(), parts)
}

fn prf_of_oakley(h: u64) -> Prf {
    match h {
        2 => Prf::HmacSha1,
        4 => Prf::HmacSha256,
        5 => Prf::HmacSha384,
        _ => Prf::HmacSha512,
    }
}

impl V1Responder {
    pub fn new(psk: &str) -> Self {
        V1Responder {
            psk: psk.as_bytes().to_vec(),
            ..Default::default()
        }
    }

    fn encrypt(&self, header: Header, payloads: &[Payload], iv: &[u8]) -> (Vec<u8>, Vec<u8>) {
        let (first, mut chain) = emit_payload_chain(payloads).unwrap();
        pad_plaintext(&mut chain, BLOCK).unwrap();
        let k = self.keys.as_ref().unwrap();
        p().cbc(self.encr.unwrap(), k.enc_key.as_bytes())
            .unwrap()
            .encrypt(iv, &mut chain)
            .unwrap();
        let next = chain[chain.len() - BLOCK..].to_vec();
        let msg = Message::new(
            header,
            Body::Encrypted {
                first_payload: first,
                ciphertext: chain,
            },
        );
        (msg.emit().unwrap(), next)
    }

    /// (payloads, octets after the first payload, next IV), or None if it does not decrypt.
    fn decrypt(&self, data: &[u8], iv: &[u8]) -> Option<(Vec<Payload>, Vec<u8>, Vec<u8>)> {
        let parts = split_encrypted(data, BLOCK).ok()?;
        let header = Header::parse(data).ok()?;
        let mut plain = parts.ciphertext.to_vec();
        let next = parts.last_block(BLOCK)?.to_vec();
        let k = self.keys.as_ref()?;
        p().cbc(self.encr?, k.enc_key.as_bytes())
            .ok()?
            .decrypt(iv, &mut plain)
            .ok()?;
        let chain = parse_decrypted(header.next_payload, &plain).ok()?;
        let first = usize::from(u16::from_be_bytes([plain[2], plain[3]]));
        let rest = plain.get(first..plain.len() - chain.padding)?.to_vec();
        Some((chain.payloads, rest, next))
    }

    fn header(&self, ex: u8, enc: bool, mid: u32) -> Header {
        Header::new(
            self.cky_i,
            self.cky_r,
            ex,
            Flags {
                encryption: enc,
                ..Flags::default()
            },
            mid,
        )
    }

    /// Handles one ISAKMP message; returns the answer, if any.
    pub fn handle(&mut self, data: &[u8], rng: &mut dyn Rng) -> Option<Vec<u8>> {
        if data == self.last_in.as_slice() && !self.last_out.is_empty() {
            return Some(self.last_out.clone());
        }
        let msg = Message::parse(data).ok()?;
        let h = msg.header.clone();
        let out = match (h.exchange_type, msg.payloads()) {
            (exchange::MAIN, Some(pl)) if pl.iter().any(|p| matches!(p, Payload::Sa(_))) => {
                self.mm1(&h, pl, rng)
            }
            (exchange::MAIN, Some(pl)) => self.mm3(pl, rng),
            (exchange::MAIN, None) => self.mm5(data),
            (exchange::QUICK, None) => self.quick(&h, data, rng),
            (exchange::INFORMATIONAL, None) => {
                self.info(&h, data);
                None
            }
            _ => None,
        };
        if let Some(o) = &out {
            self.last_in = data.to_vec();
            self.last_out = o.clone();
        }
        out
    }

    fn mm1(&mut self, h: &Header, pl: &[Payload], rng: &mut dyn Rng) -> Option<Vec<u8>> {
        let Payload::Sa(sa) = pl.iter().find(|p| matches!(p, Payload::Sa(_)))? else {
            return None;
        };
        self.cky_i = h.spi_i;
        if self.refuse_phase1 {
            let n = ike_core::v1::wire::NotifyPayload {
                doi: doi::IPSEC,
                protocol_id: protocol::ISAKMP,
                spi: Vec::new(),
                notify_type: 14,
                data: Vec::new(),
            };
            return Message::new(
                Header::new(
                    h.spi_i,
                    [0; 8],
                    exchange::INFORMATIONAL,
                    Flags::default(),
                    0,
                ),
                Body::Clear(vec![Payload::Notify(n)]),
            )
            .emit()
            .ok();
        }
        rng.fill(&mut self.cky_r).ok()?;
        let mut b = Vec::new();
        sa.emit(&mut b).ok()?;
        self.sa_i_b = b;
        let t = sa.proposals[0].transforms[0].clone();
        let get = |ty| t.attr(ty).and_then(Attribute::as_integer).unwrap();
        self.encr = Some(Encr::AesCbc(
            ike_core::crypto::AesKeySize::from_bits(get(oakley_attr::KEY_LENGTH) as u16).unwrap(),
        ));
        self.prf = Some(prf_of_oakley(get(oakley_attr::HASH)));
        self.group = KeGroup::from_iana(get(oakley_attr::GROUP_DESCRIPTION) as u16);
        let mut chosen = sa.clone();
        chosen.proposals[0].transforms = vec![t];
        let m = Message::new(
            self.header(exchange::MAIN, false, 0),
            Body::Clear(vec![
                Payload::Sa(chosen),
                Payload::VendorId(VendorIdPayload {
                    id: ike_core::ikev1::VID_NATT_RFC3947.to_vec(),
                }),
                Payload::VendorId(VendorIdPayload {
                    id: ike_core::ikev1::VID_DPD.to_vec(),
                }),
            ]),
        );
        m.emit().ok()
    }

    fn mm3(&mut self, pl: &[Payload], rng: &mut dyn Rng) -> Option<Vec<u8>> {
        for x in pl {
            match x {
                Payload::Ke(k) => self.gxi = k.data.clone(),
                Payload::Nonce(n) => self.ni = n.nonce.clone(),
                _ => {}
            }
        }
        let dh = p().start_ke(self.group?, rng).ok()?;
        self.gxr = dh.public_value().to_vec();
        let gxy = dh.complete(&self.gxi).ok()?;
        self.nr = vec![0; 32];
        rng.fill(&mut self.nr).ok()?;
        let prf = self.prf?;
        let skeyid = keys::skeyid_psk(p(), prf, &self.psk, &self.ni, &self.nr).ok()?;
        self.keys = Some(
            Phase1Keys::derive(
                p(),
                prf,
                skeyid,
                gxy.as_bytes(),
                &self.cky_i,
                &self.cky_r,
                self.encr?.key_len(),
            )
            .ok()?,
        );
        self.iv = iv_chain::phase1_iv(hash_of(prf), &self.gxi, &self.gxr, BLOCK).ok()?;
        self.dh = Some(dh);
        let m = Message::new(
            self.header(exchange::MAIN, false, 0),
            Body::Clear(vec![
                Payload::Ke(KePayload {
                    data: self.gxr.clone(),
                }),
                Payload::Nonce(NoncePayload {
                    nonce: self.nr.clone(),
                }),
                // No NAT in the simulation: hashes that match nothing are not needed, the
                // initiator only looks for a NAT when both are present.
            ]),
        );
        m.emit().ok()
    }

    fn mm5(&mut self, data: &[u8]) -> Option<Vec<u8>> {
        let Some((pl, _, next)) = self.decrypt(data, &self.iv.clone()) else {
            self.hash_mismatch = true;
            return None;
        };
        let (Some(Payload::Id(id)), Some(Payload::Hash(hash))) = (pl.first(), pl.get(1)) else {
            self.hash_mismatch = true;
            return None;
        };
        let prf = self.prf?;
        let k = self.keys.as_ref()?;
        let mut id_b = Vec::new();
        id.emit(&mut id_b).ok()?;
        let x = keys::MainModeHashInput {
            gxi: &self.gxi,
            gxr: &self.gxr,
            cky_i: &self.cky_i,
            cky_r: &self.cky_r,
            sa_i_b: &self.sa_i_b,
        };
        let want = keys::main_mode_hash(p(), prf, &k.skeyid, &x, true, &id_b).ok()?;
        if want.as_bytes() != hash.hash.as_slice() {
            self.hash_mismatch = true;
            return None;
        }
        let our_id = IdPayload {
            id_type: 2,
            protocol_id: 0,
            port: 0,
            data: b"server.example".to_vec(),
        };
        let mut ir_b = Vec::new();
        our_id.emit(&mut ir_b).ok()?;
        let hr = keys::main_mode_hash(p(), prf, &k.skeyid, &x, false, &ir_b).ok()?;
        let mut hr = hr.as_bytes().to_vec();
        if self.bad_hash_r {
            hr[0] ^= 1;
        }
        let (out, next2) = self.encrypt(
            self.header(exchange::MAIN, true, 0),
            &[Payload::Id(our_id), Payload::Hash(HashPayload { hash: hr })],
            &next,
        );
        let _ = next;
        self.iv = next2;
        self.established = true;
        Some(out)
    }

    fn quick(&mut self, h: &Header, data: &[u8], rng: &mut dyn Rng) -> Option<Vec<u8>> {
        if !self.established {
            return None;
        }
        let prf = self.prf?;
        if let Some(q) = self.quick.clone() {
            if q.0 == h.message_id {
                return self.quick3(data, q);
            }
        }
        self.quick_requests += 1;
        if self.ignore_quick {
            return None;
        }
        let iv = iv_chain::phase2_iv(hash_of(prf), &self.iv, h.message_id, BLOCK).ok()?;
        let (pl, rest, next) = self.decrypt(data, &iv)?;
        let k = self.keys.as_ref()?;
        let Payload::Hash(h1) = &pl[0] else {
            return None;
        };
        let want = keys::quick_hash1(p(), prf, &k.skeyid_a, h.message_id, &rest).ok()?;
        assert_eq!(want.as_bytes(), h1.hash.as_slice(), "HASH(1)");
        let mut sa: Option<SaPayload> = None;
        let mut ni = Vec::new();
        let mut ke = None;
        let mut ids = Vec::new();
        for x in &pl[1..] {
            match x {
                Payload::Sa(s) => sa = Some(s.clone()),
                Payload::Nonce(n) => ni = n.nonce.clone(),
                Payload::Ke(k) => ke = Some(k.data.clone()),
                Payload::Id(i) => ids.push(i.clone()),
                _ => {}
            }
        }
        let mut sa = sa?;
        let their_spi = u32::from_be_bytes(sa.proposals[0].spi.clone().try_into().ok()?);
        let t = sa.proposals[0].transforms[0].clone();
        let mut our_spi_b = [0u8; 4];
        rng.fill(&mut our_spi_b).ok()?;
        let our_spi = u32::from_be_bytes(our_spi_b);
        sa.proposals[0].spi = our_spi_b.to_vec();
        sa.proposals[0].transforms = vec![t.clone()];
        let mut nr = vec![0u8; 32];
        rng.fill(&mut nr).ok()?;
        let mut rest_out = vec![
            Payload::Sa(sa),
            Payload::Nonce(NoncePayload { nonce: nr.clone() }),
        ];
        let mut gqm = None;
        if let Some(ke) = ke {
            let g = t
                .attr(ipsec_attr::GROUP_DESCRIPTION)
                .and_then(Attribute::as_integer)?;
            let dh = p().start_ke(KeGroup::from_iana(g as u16)?, rng).ok()?;
            gqm = Some(dh.complete(&ke).ok()?.as_bytes().to_vec());
            rest_out.push(Payload::Ke(KePayload {
                data: dh.public_value().to_vec(),
            }));
        }
        rest_out.extend(ids.into_iter().map(Payload::Id));
        let (_, rest_b) = emit_payload_chain(&rest_out).ok()?;
        let h2 = keys::quick_hash2(p(), prf, &k.skeyid_a, h.message_id, &ni, &rest_b).ok()?;
        let mut all = vec![Payload::Hash(HashPayload {
            hash: h2.as_bytes().to_vec(),
        })];
        all.extend(rest_out);
        let (out, next2) = self.encrypt(
            self.header(exchange::QUICK, true, h.message_id),
            &all,
            &next,
        );
        self.quick = Some((h.message_id, next2, ni, nr, our_spi, their_spi, gqm));
        Some(out)
    }

    fn quick3(&mut self, data: &[u8], q: QuickState) -> Option<Vec<u8>> {
        let prf = self.prf?;
        let (pl, _, _) = self.decrypt(data, &q.1)?;
        let k = self.keys.as_ref()?;
        let Payload::Hash(h3) = &pl[0] else {
            return None;
        };
        let want = keys::quick_hash3(p(), prf, &k.skeyid_a, q.0, &q.2, &q.3).ok()?;
        assert_eq!(want.as_bytes(), h3.hash.as_slice(), "HASH(3)");
        // 32 octets: enough for AES-256 or AES-128 with HMAC-SHA2-256 key material checks.
        let km = |spi| {
            keys::keymat(
                p(),
                prf,
                &k.skeyid_d,
                q.6.as_deref(),
                protocol::ESP,
                spi,
                &q.2,
                &q.3,
                64,
            )
            .unwrap()
            .as_bytes()
            .to_vec()
        };
        // The initiator's inbound SA is the one whose SPI it chose (their_spi).
        self.keymat = Some((q.5, km(q.5), q.4, km(q.4)));
        None
    }

    fn info(&mut self, h: &Header, data: &[u8]) {
        let Some(prf) = self.prf else { return };
        let Ok(iv) = iv_chain::phase2_iv(hash_of(prf), &self.iv, h.message_id, BLOCK) else {
            return;
        };
        let Some((pl, rest, _)) = self.decrypt(data, &iv) else {
            return;
        };
        let k = self.keys.as_ref().unwrap();
        let Payload::Hash(hh) = &pl[0] else { return };
        let want = keys::info_hash(p(), prf, &k.skeyid_a, h.message_id, &rest).unwrap();
        assert_eq!(want.as_bytes(), hh.hash.as_slice(), "Informational HASH");
        self.informationals += 1;
        for x in &pl[1..] {
            if let Payload::Delete(d) = x {
                for s in &d.spis {
                    self.deletes.push((d.protocol_id, s.clone()));
                }
            }
        }
    }

    /// A protected Informational from the responder carrying `body` (a Delete or Notify).
    pub fn informational(&self, body: Payload, mid: u32) -> Vec<u8> {
        let prf = self.prf.unwrap();
        let k = self.keys.as_ref().unwrap();
        let (_, rest) = emit_payload_chain(std::slice::from_ref(&body)).unwrap();
        let hash = keys::info_hash(p(), prf, &k.skeyid_a, mid, &rest).unwrap();
        let iv = iv_chain::phase2_iv(hash_of(prf), &self.iv, mid, BLOCK).unwrap();
        self.encrypt(
            self.header(exchange::INFORMATIONAL, true, mid),
            &[
                Payload::Hash(HashPayload {
                    hash: hash.as_bytes().to_vec(),
                }),
                body,
            ],
            &iv,
        )
        .0
    }

    /// The ISAKMP SPI (both cookies) for Deletes of the ISAKMP SA.
    pub fn isakmp_spi(&self) -> Vec<u8> {
        [self.cky_i, self.cky_r].concat()
    }

    /// A DOI for payloads built by tests.
    pub const DOI: u32 = doi::IPSEC;
}

/// Silences "unused" for NAT-D payloads the responder does not send.
#[allow(dead_code)]
fn _natd(_: NatDPayload) {}
