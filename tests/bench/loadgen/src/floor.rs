//! The crypto floor of one responder handshake (IKE SA + first Child SA, X25519,
//! AES-GCM-256, PRF-HMAC-SHA256, PSK): the primitives alone, each timed in its own loop with
//! the thread CPU clock, through ike-core's crypto provider (aws-lc-rs). Also the responder
//! engine's own cost per handshake in memory (no sockets, no runtime), which sits between the
//! floor and the full service.

use std::hint::black_box;
use std::net::SocketAddr;
use std::time::Duration;

use ike_core::crypto::AesKeySize;
use ike_core::crypto::{
    auth, default_provider, ChildSaKeys, Encr, EspSuite, IkeSaKeyInputs, IkeSaKeys, KeGroup, Prf,
    Rng, Role, SystemRng,
};
use ike_core::engine::{Engine, EngineConfig};

use crate::common::{initiator_conn, responder_cfg, thread_cpu, us, Pump, PSK};

/// Options of `ike-bench floor`.
#[derive(Debug, clap::Args)]
pub struct Opts {
    /// Iterations of each primitive loop.
    #[arg(long, default_value_t = 2000)]
    pub iterations: u32,
    /// In-memory handshakes for the engine's own cost.
    #[arg(long, default_value_t = 1000)]
    pub handshakes: u32,
}

/// Runs the loops and prints one `key=value` result line.
pub fn run(o: &Opts) -> Result<(), String> {
    let (engine, sizes) = engine_cost(o.handshakes)?;
    let f = floor(o.iterations, &sizes)?;
    println!(
        "floor_us={:.2} x25519_us={:.2} nonce_us={:.2} kdf_us={:.2} aead_us={:.2} auth_us={:.2} \
         child_kdf_us={:.2} engine_us={:.2} engine_init_us={:.2} engine_auth_us={:.2} \
         engine_poll_timeout_us={:.2} init_req={} init_resp={} auth_req={} auth_resp={}",
        f.total(),
        f.x25519,
        f.nonce,
        f.kdf,
        f.aead,
        f.auth,
        f.child_kdf,
        engine.init + engine.auth,
        engine.init,
        engine.auth,
        engine.poll,
        sizes.init_req,
        sizes.init_resp,
        sizes.auth_req,
        sizes.auth_resp,
    );
    Ok(())
}

/// Datagram sizes of one handshake.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sizes {
    /// IKE_SA_INIT request.
    pub init_req: usize,
    /// IKE_SA_INIT response.
    pub init_resp: usize,
    /// IKE_AUTH request.
    pub auth_req: usize,
    /// IKE_AUTH response.
    pub auth_resp: usize,
}

struct EngineCost {
    init: f64,
    auth: f64,
    poll: f64,
}

fn engine_cost(handshakes: u32) -> Result<(EngineCost, Sizes), String> {
    let resp_addr: SocketAddr = "192.0.2.1:500".parse().map_err(|e| format!("{e}"))?;
    let resp = Engine::new(
        EngineConfig {
            responders: vec![responder_cfg()?],
            max_ike_sas: 1_000_000,
            ..EngineConfig::default()
        },
        Box::new(SystemRng::new()),
    );
    let mut pump = Pump::new(resp, resp_addr);
    let mut init_t = Duration::ZERO;
    let mut auth_t = Duration::ZERO;
    let mut poll_t = Duration::ZERO;
    let mut sizes = Sizes::default();
    let n = handshakes.max(1);
    for i in 0..n {
        // every initiator its own address, as in the UDP benchmark
        let ip = std::net::Ipv4Addr::from(0x0a01_0000u32 + i);
        let from = SocketAddr::new(ip.into(), 500);
        let conn = initiator_conn(resp_addr, from.ip(), None)?;
        let mut init = Engine::new(EngineConfig::default(), Box::new(SystemRng::new()));
        let costs = pump.establish(&mut init, from, conn, true)?;
        let [(c_init, req0, resp0), (c_auth, req1, resp1)] = costs.as_slice() else {
            return Err(format!("expected 2 exchanges, got {}", costs.len()));
        };
        init_t += c_init.handle;
        auth_t += c_auth.handle;
        poll_t += c_init.poll_timeout + c_auth.poll_timeout;
        sizes = Sizes {
            init_req: *req0,
            init_resp: *resp0,
            auth_req: *req1,
            auth_resp: *resp1,
        };
    }
    let per = |d: Duration| us(d) / f64::from(n);
    Ok((
        EngineCost {
            init: per(init_t) + per(poll_t) / 2.0,
            auth: per(auth_t) + per(poll_t) / 2.0,
            poll: per(poll_t),
        },
        sizes,
    ))
}

/// Per-handshake costs of the primitives (µs).
pub struct Floor {
    /// X25519 key generation plus the shared secret.
    pub x25519: f64,
    /// The responder's nonce (32 random bytes).
    pub nonce: f64,
    /// SKEYSEED, prf+ for the seven SK_* keys, the two SK AEAD key schedules.
    pub kdf: f64,
    /// Decrypting the IKE_AUTH request and encrypting the response.
    pub aead: f64,
    /// Checking the initiator's PSK AUTH and computing ours (MACed IDs included).
    pub auth: f64,
    /// KEYMAT of the first Child SA (prf+).
    pub child_kdf: f64,
}

impl Floor {
    /// The sum.
    pub fn total(&self) -> f64 {
        self.x25519 + self.nonce + self.kdf + self.aead + self.auth + self.child_kdf
    }
}

fn timed(iterations: u32, mut f: impl FnMut() -> Result<(), String>) -> Result<f64, String> {
    // one untimed round to warm caches
    f()?;
    let t0 = thread_cpu();
    for _ in 0..iterations {
        f()?;
    }
    Ok(us(thread_cpu().saturating_sub(t0)) / f64::from(iterations.max(1)))
}

/// Measures the primitives of one responder handshake for the message sizes `s`.
pub fn floor(iterations: u32, s: &Sizes) -> Result<Floor, String> {
    let p = default_provider();
    let mut rng = SystemRng::new();
    let e = |e: ike_core::crypto::CryptoError| e.to_string();
    let suite = ike_core::crypto::IkeSuite {
        encr: Encr::AesGcm16(AesKeySize::Aes256),
        prf: Prf::HmacSha256,
        integ: None,
    };
    let esp = EspSuite {
        encr: Encr::AesGcm16(AesKeySize::Aes256),
        integ: None,
    };
    let peer = p.start_ke(KeGroup::Curve25519, &mut rng).map_err(e)?;
    let peer_pub = peer.public_value().to_vec();
    let mut ni = [0u8; 32];
    let mut nr = [0u8; 32];
    rng.fill(&mut ni).map_err(e)?;
    rng.fill(&mut nr).map_err(e)?;
    let inputs = IkeSaKeyInputs {
        ni: &ni,
        nr: &nr,
        spi_i: [1; 8],
        spi_r: [2; 8],
    };

    let x25519 = timed(iterations, || {
        let ke = p.start_ke(KeGroup::Curve25519, &mut rng).map_err(e)?;
        black_box(ke.complete(&peer_pub).map_err(e)?);
        Ok(())
    })?;
    let nonce = timed(iterations, || {
        let mut n = [0u8; 32];
        rng.fill(&mut n).map_err(e)?;
        black_box(n);
        Ok(())
    })?;
    let shared = peer
        .complete(
            p.start_ke(KeGroup::Curve25519, &mut rng)
                .map_err(e)?
                .public_value(),
        )
        .map_err(e)?;
    let kdf = timed(iterations, || {
        let keys = IkeSaKeys::derive_initial(p, &suite, &shared, &inputs).map_err(e)?;
        black_box(keys.sk_ciphers(p, &suite, Role::Responder).map_err(e)?);
        Ok(())
    })?;
    let keys = IkeSaKeys::derive_initial(p, &suite, &shared, &inputs).map_err(e)?;
    let (resp_out, resp_in) = keys.sk_ciphers(p, &suite, Role::Responder).map_err(e)?;
    let (init_out, _) = keys.sk_ciphers(p, &suite, Role::Initiator).map_err(e)?;
    // SK payload layout: IKE header (28) + SK header (4) = AAD; body = IV (8) | ciphertext
    // (plaintext + pad length octet) | ICV (16).
    let plain = |len: usize| len.saturating_sub(28 + 4 + 8 + 16 + 1).max(1);
    let aad = [0u8; 32];
    let req_plain = vec![0x5au8; plain(s.auth_req)];
    let resp_plain = vec![0xa5u8; plain(s.auth_resp)];
    let req_body = init_out.encrypt(&aad, &req_plain, &mut rng).map_err(e)?;
    let aead = timed(iterations, || {
        black_box(resp_in.decrypt(&aad, &req_body).map_err(e)?);
        black_box(resp_out.encrypt(&aad, &resp_plain, &mut rng).map_err(e)?);
        Ok(())
    })?;
    let init_req = vec![0x11u8; s.init_req.max(1)];
    let init_resp = vec![0x22u8; s.init_resp.max(1)];
    let id_i = b"\x03\0\0\0client@bench.test";
    let id_r = b"\x03\0\0\0gw@bench.test";
    let auth = timed(iterations, || {
        // the initiator's AUTH (checked) and ours (computed): each is MACed ID + 2 prf
        let oi = auth::signed_octets(p, Prf::HmacSha256, &init_req, &nr, &keys.sk_pi, id_i)
            .map_err(e)?;
        black_box(auth::psk_auth(p, Prf::HmacSha256, PSK.as_bytes(), &oi).map_err(e)?);
        let or = auth::signed_octets(p, Prf::HmacSha256, &init_resp, &ni, &keys.sk_pr, id_r)
            .map_err(e)?;
        black_box(auth::psk_auth(p, Prf::HmacSha256, PSK.as_bytes(), &or).map_err(e)?);
        Ok(())
    })?;
    let child_kdf = timed(iterations, || {
        black_box(
            ChildSaKeys::derive(p, Prf::HmacSha256, &keys.sk_d, &esp, None, &ni, &nr).map_err(e)?,
        );
        Ok(())
    })?;
    Ok(Floor {
        x25519,
        nonce,
        kdf,
        aead,
        auth,
        child_kdf,
    })
}
