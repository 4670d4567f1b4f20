//! The test PKI of `tests/vectors/certs/` (made by its gen.sh) for the simulations that
//! authenticate with certificates.

/// Wall-clock time of the simulations (2026-12-23): inside the validity of the test PKI and
/// after expired.pem ended (see tests/vectors/certs/gen.sh).
pub const WALL: u64 = 1_798_000_000;

/// The contents of `tests/vectors/certs/<name>`.
pub fn der(name: &str) -> Vec<u8> {
    let p = format!("{}/tests/vectors/certs/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&p).unwrap_or_else(|e| panic!("{p}: {e}"))
}
