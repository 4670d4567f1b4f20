//! IKEv2 wire codec (RFC 7296 §3, RFC 7383, RFC 3948).
//!
//! Sans-IO, allocation bounded by the input, and panic-free on any input: every length read
//! from the wire is validated before use and every failure is a typed [`WireError`].
//!
//! - [`Header`]: the 28-octet IKE header.
//! - [`Payload`]: one typed struct per payload kind ([`SaPayload`], [`KePayload`],
//!   [`IdPayload`], [`CertPayload`], [`CertReqPayload`], [`AuthPayload`], [`NoncePayload`],
//!   [`NotifyPayload`], [`DeletePayload`], [`VendorIdPayload`], [`TsPayload`], [`CpPayload`],
//!   [`EapPayload`], [`SkPayload`], [`SkfPayload`], [`UnknownPayload`]); each has
//!   `parse(body)` / `emit(out)` for its body after the generic payload header.
//! - [`Message`]: `parse` / `emit` of a whole message; Next Payload chaining and all lengths
//!   are computed on emit. [`parse_payload_chain`] / [`emit_payload_chain`] handle the
//!   inner payloads of an SK payload.
//! - Encryption framing: the codec treats IV | ciphertext | ICV as opaque and exposes the
//!   exact byte ranges the crypto layer needs ([`EncryptedLayout`], [`EncryptedSections`]):
//!   the AEAD associated data (IKE header through the end of the SK/SKF payload header,
//!   RFC 5282 / RFC 7383) and the non-AEAD integrity range (everything before the ICV).
//!   [`emit_encrypted`] builds an outgoing SK/SKF message with all lengths final and the body
//!   reserved for in-place encryption; [`sk_pad`] / [`sk_unpad`] handle the padding.
//! - Port-4500 helpers (RFC 3948): [`strip_non_esp_marker`],
//!   [`add_non_esp_marker`], [`classify_udp_4500`].
//!
//! Decrypting a received message:
//! ```no_run
//! # use ike_core::wire::*;
//! # fn open(aad: &[u8], iv: &[u8], ct: &[u8], icv: &[u8]) -> Vec<u8> { unimplemented!() }
//! # fn f(datagram: &[u8]) -> Result<(), WireError> {
//! let msg = Message::parse(datagram)?;
//! if let Some(layout) = msg.encrypted_layout() {
//!     let parts = layout.split(datagram, 16, 16)?; // IV and ICV lengths of the cipher
//!     let plain = open(parts.aad, parts.iv, parts.ciphertext, parts.icv);
//!     let inner = parse_payload_chain(layout.inner_first_type, sk_unpad(&plain)?)?;
//! #   let _ = inner;
//! }
//! # Ok(()) }
//! ```

mod basic;
mod cp;
mod error;
mod header;
mod id_cert_auth;
mod message;
mod natt;
mod notify;
mod payload;
mod reader;
mod sa;
mod sk;
mod ts;

#[cfg(test)]
mod tests;

pub use basic::{EapPayload, KePayload, NoncePayload, UnknownPayload, VendorIdPayload};
pub use cp::{CfgAttribute, CpPayload};
pub use error::WireError;
pub use header::{Flags, GenericHeader, Header, HeaderFlags};
pub use id_cert_auth::{AuthPayload, CertPayload, CertReqPayload, IdPayload};
pub use message::{emit_payload_chain, parse_payload_chain, Message};
pub use natt::{
    add_non_esp_marker, classify_udp_4500, is_nat_keepalive, strip_non_esp_marker, Udp4500,
    NAT_KEEPALIVE, NON_ESP_MARKER,
};
pub use notify::{DeletePayload, NotifyPayload};
pub use payload::Payload;
pub use sa::{Attribute, AttributeValue, Proposal, SaPayload, Transform};
pub use sk::{
    emit_encrypted, sk_pad, sk_unpad, EncryptedLayout, EncryptedParts, EncryptedPartsMut,
    EncryptedSections, Fragment, SkPayload, SkfPayload,
};
pub use ts::{TrafficSelector, TsPayload};

// The checked reader and the length helpers, shared with the IKEv1 codec (`crate::v1::wire`).
pub(crate) use reader::{len_u16, len_u8, put_u16, put_u32, Reader};

/// Most payloads accepted in one message or one decrypted chain.
pub const MAX_PAYLOADS: usize = 64;
/// Most proposals accepted in one SA payload.
pub const MAX_PROPOSALS: usize = 64;
/// Most transforms accepted in one proposal.
pub const MAX_TRANSFORMS: usize = 128;
/// Most attributes accepted in one transform.
pub const MAX_TRANSFORM_ATTRIBUTES: usize = 16;
/// Most traffic selectors accepted in one TS payload.
pub const MAX_TRAFFIC_SELECTORS: usize = 128;
/// Most attributes accepted in one configuration payload.
pub const MAX_CFG_ATTRIBUTES: usize = 256;
