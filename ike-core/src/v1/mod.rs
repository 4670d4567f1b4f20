//! IKEv1 (ISAKMP, RFC 2408; IKE, RFC 2409): the codec and the Phase 1 / Phase 2 IV chain.
//!
//! - [`ids`]: ISAKMP numbers (payload and exchange types, DOI, attribute classes, Mode Config).
//! - [`wire`]: message and payload codecs; parsers validate every length and never panic.
//! - [`iv_chain`]: the CBC IV chain of RFC 2409 Appendix B as pure functions over a hash
//!   the caller passes in (this module imports no crypto).

pub mod ids;
pub mod iv_chain;
pub mod wire;
