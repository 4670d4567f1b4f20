//! IKEv1 / ISAKMP wire codec (RFC 2408 §3, RFC 2409, RFC 3947 NAT-D / NAT-OA,
//! draft-dukes-ike-mode-cfg Attribute payload).
//!
//! Sans-IO, allocation bounded by the input, and panic-free on any input: every length read
//! from the wire is validated before use and every failure is a typed
//! [`WireError`] (the IKEv2 codec's error type: its variants fit).
//!
//! - [`Header`]: the 28-octet ISAKMP header (cookies, version 1.0, exchange type, E/C/A flags).
//! - [`Payload`]: one typed struct per payload kind ([`SaPayload`] with [`Proposal`] and
//!   [`Transform`] and their basic/variable [`Attribute`]s, [`KePayload`], [`IdPayload`],
//!   [`CertPayload`], [`CertReqPayload`], [`HashPayload`], [`SigPayload`], [`NoncePayload`],
//!   [`NotifyPayload`], [`DeletePayload`], [`VendorIdPayload`], [`AttrPayload`] (Mode
//!   Config), [`NatDPayload`], [`NatOaPayload`], [`UnknownPayload`]); each has
//!   `parse(body)` / `emit(out)` for its body after the generic payload header.
//! - [`Message`]: `parse` / `emit` of a whole message; Next Payload chaining, lengths and the
//!   E flag are computed on emit. With the E flag set the body is kept as ciphertext
//!   ([`Body::Encrypted`]); [`split_encrypted`] checks and splits it for the crypto layer,
//!   [`parse_decrypted`] reads the decrypted chain (padding of any length and content after
//!   the last payload), [`pad_plaintext`] pads an outgoing chain with zeros.
//! - The IV chain that goes with the encryption is in [`crate::v1::iv_chain`].
//!
//! Decrypting a received message:
//! ```no_run
//! # use ike_core::v1::wire::*;
//! # fn cbc_decrypt(iv: &[u8], ct: &[u8]) -> Vec<u8> { unimplemented!() }
//! # fn f(datagram: &[u8], iv: &[u8]) -> Result<(), WireError> {
//! let msg = Message::parse(datagram)?;
//! if let Body::Encrypted { first_payload, .. } = msg.body {
//!     let parts = split_encrypted(datagram, 16)?; // AES block size
//!     let plain = cbc_decrypt(iv, parts.ciphertext);
//!     let chain = parse_decrypted(first_payload, &plain)?;
//!     let next_iv = parts.last_block(16); // IV of the next message of this exchange
//! #   let _ = (chain, next_iv);
//! }
//! # Ok(()) }
//! ```

mod attr;
mod cfg;
mod data;
mod encrypted;
mod header;
mod id_cert;
mod message;
mod notify;
mod payload;
mod sa;

#[cfg(test)]
mod tests;

/// The error type, shared with the IKEv2 codec.
pub use crate::wire::WireError;
pub use attr::{Attribute, AttributeValue};
pub use cfg::AttrPayload;
pub use data::{
    HashPayload, KePayload, NatDPayload, NoncePayload, SigPayload, UnknownPayload, VendorIdPayload,
};
pub use encrypted::{pad_plaintext, split_encrypted, EncryptedParts, ENCRYPTED_OFFSET};
pub use header::{Flags, Header};
pub use id_cert::{CertPayload, CertReqPayload, IdPayload, NatOaPayload};
pub use message::{
    emit_payload_chain, parse_decrypted, parse_payload_chain, Body, DecryptedChain, Message,
    MAX_CLEAR_PADDING,
};
pub use notify::{DeletePayload, NotifyPayload};
pub use payload::Payload;
pub use sa::{Proposal, SaPayload, Transform};

/// Most payloads accepted in one message or one decrypted chain.
pub const MAX_PAYLOADS: usize = 64;
/// Most proposals accepted in one SA payload.
pub const MAX_PROPOSALS: usize = 64;
/// Most transforms accepted in one proposal (IKEv1 offers every combination as a transform).
pub const MAX_TRANSFORMS: usize = 255;
/// Most attributes accepted in one transform.
pub const MAX_TRANSFORM_ATTRIBUTES: usize = 32;
/// Most attributes accepted in one Attribute (Mode Config) payload.
pub const MAX_CFG_ATTRIBUTES: usize = 256;
