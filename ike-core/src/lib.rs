//! `ike-core`: a sans-IO IKEv2 engine (RFC 7296).
//!
//! The crate performs no I/O: no sockets, clocks, threads or netlink. Time and randomness are
//! injected by the caller; datagrams to send, timers, kernel operations and events are polled
//! out as data. This makes two engines testable against each other in memory.
//!
//! Layout:
//! - [`ids`]: IANA registry numbers (exchange, payload, transform, notify types).
//! - [`wire`]: message and payload codecs; parsers validate every length and never panic.
//! - [`crypto`]: the crypto provider trait (aws-lc-rs, MODP via crypto-bigint) and key
//!   derivation (prf+, SKEYSEED, KEYMAT, AUTH).
//! - [`proposal`]: transform registry, Libreswan and strongSwan proposal syntaxes, negotiation.
//! - [`ts`]: traffic selectors, narrowing (RFC 7296 §2.9), CIDR conversion, address pools.
//! - `api` (private; public through [`engine`]): the engine's vocabulary (config, events,
//!   kernel operations, failures, identities, time, secrets), below the engine, the
//!   exchanges and the SA code so that none of them imports a higher layer; `ctx`: the
//!   per-call context (output queues, RNG, leases) handed to the exchanges.
//! - [`ikev1`]: IKEv1 Main Mode (PSK) and Quick Mode as initiator, over the [`v1`] codec.
//! - [`engine`]: the sans-IO engine itself.

pub(crate) mod api;
pub mod cookie;
pub mod crypto;
pub(crate) mod ctx;
pub mod engine;
pub(crate) mod exchange;
pub mod fragment;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod ids;
pub mod ikev1;
pub mod natt;
pub mod proposal;
pub(crate) mod sa;
pub mod ts;
pub mod v1;
pub mod wire;
