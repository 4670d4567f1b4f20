//! The measuring code behind `tests/bench/run` (binaries `ike-bench` and `ike-bench-scale`).
//!
//! - [`udp`]: UDP load generator against a responder (ours or charon), measuring the
//!   responder's CPU time per established IKE SA + Child SA (P1).
//! - [`floor`]: the crypto floor of one responder handshake and the responder engine's own
//!   cost in memory (P1).
//! - [`scale`]: one responder engine holding many established IKE SAs, memory and
//!   per-message cost at each size (P4).
//!
//! Each prints `key=value` lines on stdout; `tests/bench/run` turns them into figures.

pub mod common;
pub mod floor;
pub mod scale;
pub mod udp;
