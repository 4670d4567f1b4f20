//! The recording backend: answers SPI allocations and records every other operation without
//! touching the kernel (IKE-only interop tests; chosen only by an explicit `record`).

use super::api::Kernel;
use ike_core::crypto::Rng;
use ike_core::engine::{KernelEvent, KernelOp};

/// Allocates SPIs from the RNG and records the other operations (no data plane).
pub struct RecordingKernel {
    rng: Box<dyn Rng + Send>,
    /// One line per executed operation (no key material: keys print as redacted); the most
    /// recent [`RecordingKernel::LOG_LINES`] only, so a long-running responder stays bounded.
    pub log: Vec<String>,
}

impl RecordingKernel {
    /// How many operation lines the log keeps.
    pub const LOG_LINES: usize = 4096;

    /// A recording kernel drawing SPIs from `rng`.
    pub fn new(rng: Box<dyn Rng + Send>) -> Self {
        RecordingKernel {
            rng,
            log: Vec::new(),
        }
    }
}

impl Kernel for RecordingKernel {
    fn execute(&mut self, op: &KernelOp) -> Option<KernelEvent> {
        if self.log.len() >= Self::LOG_LINES {
            self.log.drain(..Self::LOG_LINES / 2);
        }
        self.log.push(describe(op));
        match op {
            KernelOp::AllocateSpi { request, .. } => {
                let mut b = [0u8; 4];
                loop {
                    if let Err(e) = self.rng.fill(&mut b) {
                        return Some(KernelEvent::OpFailed {
                            request: *request,
                            error: e.to_string(),
                        });
                    }
                    let spi = u32::from_be_bytes(b);
                    // SPIs 0..=255 are reserved (RFC 4303).
                    if spi > 255 {
                        return Some(KernelEvent::SpiAllocated {
                            request: *request,
                            spi,
                        });
                    }
                }
            }
            _ => None,
        }
    }
}

/// A transform's kernel name, or its IANA id where the kernel has none.
fn alg_or_id(id: u16, name: fn(u16) -> Option<&'static str>) -> String {
    name(id).map_or_else(|| format!("id{id}"), str::to_owned)
}

/// A one-line description of an operation, without keys.
pub fn describe(op: &KernelOp) -> String {
    match op {
        KernelOp::AllocateSpi { src, dst, .. } => format!("allocate-spi {src} -> {dst}"),
        KernelOp::InstallSa {
            reqid,
            spi,
            direction,
            src,
            dst,
            mode,
            encap,
            cipher,
            ..
        } => {
            let alg = match cipher {
                ike_core::engine::EspCipher::Aead {
                    transform_id,
                    icv_bits,
                    ..
                } => {
                    let name = alg_or_id(*transform_id, super::esp_alg::aead_name);
                    format!("{name}/{icv_bits}")
                }
                ike_core::engine::EspCipher::Separate {
                    encr_id,
                    integ_id,
                    trunc_bits,
                    ..
                } => {
                    let encr = alg_or_id(*encr_id, super::esp_alg::encr_name);
                    let integ = alg_or_id(*integ_id, super::esp_alg::integ_name);
                    format!("{encr}+{integ}/{trunc_bits}")
                }
            };
            format!(
                "install-sa {direction:?} spi 0x{spi:08x} reqid {reqid} {src} -> {dst} {mode:?} {alg}{}",
                encap.map(|e| format!(" encap {}:{}", e.sport, e.dport)).unwrap_or_default()
            )
        }
        KernelOp::DeleteSa { spi, src, dst, .. } => {
            format!("delete-sa spi 0x{spi:08x} {src} -> {dst}")
        }
        KernelOp::InstallPolicy {
            reqid,
            dir,
            src_ts,
            dst_ts,
            mode,
            ..
        } => format!(
            "install-policy {dir:?} reqid {reqid} {}-{} -> {}-{} {mode:?}",
            src_ts.start_addr, src_ts.end_addr, dst_ts.start_addr, dst_ts.end_addr
        ),
        KernelOp::DeletePolicy {
            reqid,
            dir,
            src_ts,
            dst_ts,
            ..
        } => format!(
            "delete-policy {dir:?} reqid {reqid} {}-{} -> {}-{}",
            src_ts.start_addr, src_ts.end_addr, dst_ts.start_addr, dst_ts.end_addr
        ),
        KernelOp::MigrateSa {
            reqid,
            spi_in,
            spi_out,
            old_local,
            old_remote,
            new_local,
            new_remote,
            encap,
            ..
        } => format!(
            "migrate-sa reqid {reqid} spi 0x{spi_in:08x}/0x{spi_out:08x} {old_local} -> {old_remote} now {new_local} -> {new_remote}{}",
            encap.map(|e| format!(" encap {}:{}", e.sport, e.dport)).unwrap_or_default()
        ),
    }
}
