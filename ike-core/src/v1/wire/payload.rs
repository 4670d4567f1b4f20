//! The [`Payload`] enum and the per-type dispatch.

use super::cfg::AttrPayload;
use super::data::{
    HashPayload, KePayload, NatDPayload, NoncePayload, SigPayload, UnknownPayload, VendorIdPayload,
};
use super::id_cert::{CertPayload, CertReqPayload, IdPayload, NatOaPayload};
use super::notify::{DeletePayload, NotifyPayload};
use super::sa::SaPayload;
use crate::v1::ids::payload as pt;
use crate::wire::WireError;

/// One ISAKMP payload, typed by kind.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Payload {
    /// Security Association (1), with its Proposal (2) and Transform (3) payloads.
    Sa(SaPayload),
    /// Key Exchange (4).
    Ke(KePayload),
    /// Identification (5).
    Id(IdPayload),
    /// Certificate (6).
    Cert(CertPayload),
    /// Certificate Request (7).
    CertReq(CertReqPayload),
    /// Hash (8).
    Hash(HashPayload),
    /// Signature (9).
    Sig(SigPayload),
    /// Nonce (10).
    Nonce(NoncePayload),
    /// Notification (11).
    Notify(NotifyPayload),
    /// Delete (12).
    Delete(DeletePayload),
    /// Vendor ID (13).
    VendorId(VendorIdPayload),
    /// Attribute (14, Mode Config).
    Attr(AttrPayload),
    /// NAT Discovery (20, RFC 3947).
    NatD(NatDPayload),
    /// NAT Original Address (21, RFC 3947).
    NatOa(NatOaPayload),
    /// Any other type, including the pre-RFC NAT-T drafts' 130/131 and IKEv1
    /// fragmentation's 132.
    Unknown(UnknownPayload),
}

impl Payload {
    /// The payload type number ([`crate::v1::ids::payload`]).
    pub fn payload_type(&self) -> u8 {
        match self {
            Self::Sa(_) => pt::SA,
            Self::Ke(_) => pt::KE,
            Self::Id(_) => pt::ID,
            Self::Cert(_) => pt::CERT,
            Self::CertReq(_) => pt::CERTREQ,
            Self::Hash(_) => pt::HASH,
            Self::Sig(_) => pt::SIG,
            Self::Nonce(_) => pt::NONCE,
            Self::Notify(_) => pt::NOTIFY,
            Self::Delete(_) => pt::DELETE,
            Self::VendorId(_) => pt::VENDOR_ID,
            Self::Attr(_) => pt::ATTR,
            Self::NatD(_) => pt::NAT_D,
            Self::NatOa(_) => pt::NAT_OA,
            Self::Unknown(u) => u.payload_type,
        }
    }

    /// Parses one payload body of type `ptype` (after the generic payload header).
    ///
    /// Proposal and Transform payloads outside an SA payload are malformed; types this codec
    /// does not know become [`Payload::Unknown`] (ISAKMP has no critical bit). A body too short
    /// for the payload's fixed fields is reported as [`WireError::BadLength`].
    pub fn parse(ptype: u8, body: &[u8]) -> Result<Self, WireError> {
        let p = match ptype {
            pt::SA => SaPayload::parse(body).map(Self::Sa),
            pt::PROPOSAL | pt::TRANSFORM => Err(WireError::Malformed {
                payload: ptype,
                reason: "proposal or transform payload outside an SA payload",
            }),
            pt::KE => KePayload::parse(body).map(Self::Ke),
            pt::ID => IdPayload::parse(body).map(Self::Id),
            pt::CERT => CertPayload::parse(body).map(Self::Cert),
            pt::CERTREQ => CertReqPayload::parse(body).map(Self::CertReq),
            pt::HASH => HashPayload::parse(body).map(Self::Hash),
            pt::SIG => SigPayload::parse(body).map(Self::Sig),
            pt::NONCE => NoncePayload::parse(body).map(Self::Nonce),
            pt::NOTIFY => NotifyPayload::parse(body).map(Self::Notify),
            pt::DELETE => DeletePayload::parse(body).map(Self::Delete),
            pt::VENDOR_ID => VendorIdPayload::parse(body).map(Self::VendorId),
            pt::ATTR => AttrPayload::parse(body).map(Self::Attr),
            pt::NAT_D => NatDPayload::parse(body).map(Self::NatD),
            pt::NAT_OA => NatOaPayload::parse(body).map(Self::NatOa),
            _ => Ok(Self::Unknown(UnknownPayload {
                payload_type: ptype,
                body: body.to_vec(),
            })),
        };
        p.map_err(|e| match e {
            WireError::Truncated { .. } => WireError::BadLength {
                payload: ptype,
                len: body.len().saturating_add(4),
            },
            e => e,
        })
    }

    /// Appends the payload body (without the generic payload header).
    pub fn emit_body(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        match self {
            Self::Sa(p) => p.emit(out),
            Self::Ke(p) => p.emit(out),
            Self::Id(p) => p.emit(out),
            Self::Cert(p) => p.emit(out),
            Self::CertReq(p) => p.emit(out),
            Self::Hash(p) => p.emit(out),
            Self::Sig(p) => p.emit(out),
            Self::Nonce(p) => p.emit(out),
            Self::Notify(p) => p.emit(out),
            Self::Delete(p) => p.emit(out),
            Self::VendorId(p) => p.emit(out),
            Self::Attr(p) => p.emit(out),
            Self::NatD(p) => p.emit(out),
            Self::NatOa(p) => p.emit(out),
            Self::Unknown(p) => match p.payload_type {
                pt::NONE | pt::PROPOSAL | pt::TRANSFORM => Err(WireError::Unencodable(
                    "unknown payload with type 0, 2 or 3",
                )),
                pt::SA..=pt::ATTR | pt::NAT_D | pt::NAT_OA => {
                    Err(WireError::Unencodable("unknown payload with a known type"))
                }
                _ => {
                    out.extend_from_slice(&p.body);
                    Ok(())
                }
            },
        }
    }
}
