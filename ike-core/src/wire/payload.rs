//! The [`Payload`] enum and the per-type dispatch.

use super::basic::{EapPayload, KePayload, NoncePayload, UnknownPayload, VendorIdPayload};
use super::cp::CpPayload;
use super::error::WireError;
use super::id_cert_auth::{AuthPayload, CertPayload, CertReqPayload, IdPayload};
use super::notify::{DeletePayload, NotifyPayload};
use super::sa::SaPayload;
use super::sk::{SkPayload, SkfPayload};
use super::ts::TsPayload;
use crate::ids::payload as pt;

/// One IKEv2 payload, typed by kind.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Payload {
    /// Security Association (33).
    Sa(SaPayload),
    /// Key Exchange (34).
    Ke(KePayload),
    /// Identification - Initiator (35).
    IdI(IdPayload),
    /// Identification - Responder (36).
    IdR(IdPayload),
    /// Certificate (37).
    Cert(CertPayload),
    /// Certificate Request (38).
    CertReq(CertReqPayload),
    /// Authentication (39).
    Auth(AuthPayload),
    /// Nonce (40).
    Nonce(NoncePayload),
    /// Notify (41).
    Notify(NotifyPayload),
    /// Delete (42).
    Delete(DeletePayload),
    /// Vendor ID (43).
    VendorId(VendorIdPayload),
    /// Traffic Selector - Initiator (44).
    TsI(TsPayload),
    /// Traffic Selector - Responder (45).
    TsR(TsPayload),
    /// Encrypted and Authenticated (46); only as the last payload of a message.
    Sk(SkPayload),
    /// Configuration (47).
    Cp(CpPayload),
    /// Extensible Authentication (48).
    Eap(EapPayload),
    /// Encrypted and Authenticated Fragment (53); only as the last payload of a message.
    Skf(SkfPayload),
    /// Any other type (non-critical when parsed).
    Unknown(UnknownPayload),
}

impl Payload {
    /// The payload type number ([`crate::ids::payload`]).
    pub fn payload_type(&self) -> u8 {
        match self {
            Self::Sa(_) => pt::SA,
            Self::Ke(_) => pt::KE,
            Self::IdI(_) => pt::IDI,
            Self::IdR(_) => pt::IDR,
            Self::Cert(_) => pt::CERT,
            Self::CertReq(_) => pt::CERTREQ,
            Self::Auth(_) => pt::AUTH,
            Self::Nonce(_) => pt::NONCE,
            Self::Notify(_) => pt::NOTIFY,
            Self::Delete(_) => pt::DELETE,
            Self::VendorId(_) => pt::VENDOR_ID,
            Self::TsI(_) => pt::TSI,
            Self::TsR(_) => pt::TSR,
            Self::Sk(_) => pt::SK,
            Self::Cp(_) => pt::CP,
            Self::Eap(_) => pt::EAP,
            Self::Skf(_) => pt::SKF,
            Self::Unknown(u) => u.payload_type,
        }
    }

    /// True for SK and SKF.
    pub fn is_encrypted(&self) -> bool {
        matches!(self, Self::Sk(_) | Self::Skf(_))
    }

    /// Parses one payload body of type `ptype`.
    ///
    /// `next_payload` and `critical` come from the generic payload header (the former is
    /// kept only by SK/SKF, where it names the first inner payload). Unknown types yield
    /// [`WireError::UnsupportedCritical`] when `critical`, else [`Payload::Unknown`]. A body
    /// too short for the payload's fixed fields is reported as [`WireError::BadLength`].
    pub fn parse(
        ptype: u8,
        next_payload: u8,
        critical: bool,
        body: &[u8],
    ) -> Result<Self, WireError> {
        let p = match ptype {
            pt::SA => SaPayload::parse(body).map(Self::Sa),
            pt::KE => KePayload::parse(body).map(Self::Ke),
            pt::IDI => IdPayload::parse(body).map(Self::IdI),
            pt::IDR => IdPayload::parse(body).map(Self::IdR),
            pt::CERT => CertPayload::parse(body).map(Self::Cert),
            pt::CERTREQ => CertReqPayload::parse(body).map(Self::CertReq),
            pt::AUTH => AuthPayload::parse(body).map(Self::Auth),
            pt::NONCE => NoncePayload::parse(body).map(Self::Nonce),
            pt::NOTIFY => NotifyPayload::parse(body).map(Self::Notify),
            pt::DELETE => DeletePayload::parse(body).map(Self::Delete),
            pt::VENDOR_ID => VendorIdPayload::parse(body).map(Self::VendorId),
            pt::TSI => TsPayload::parse(body).map(Self::TsI),
            pt::TSR => TsPayload::parse(body).map(Self::TsR),
            pt::SK => SkPayload::parse(next_payload, body).map(Self::Sk),
            pt::CP => CpPayload::parse(body).map(Self::Cp),
            pt::EAP => EapPayload::parse(body).map(Self::Eap),
            pt::SKF => SkfPayload::parse(next_payload, body).map(Self::Skf),
            _ if critical => Err(WireError::UnsupportedCritical(ptype)),
            _ => Ok(Self::Unknown(UnknownPayload {
                payload_type: ptype,
                critical: false,
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
            Self::IdI(p) | Self::IdR(p) => p.emit(out),
            Self::Cert(p) => p.emit(out),
            Self::CertReq(p) => p.emit(out),
            Self::Auth(p) => p.emit(out),
            Self::Nonce(p) => p.emit(out),
            Self::Notify(p) => p.emit(out),
            Self::Delete(p) => p.emit(out),
            Self::VendorId(p) => p.emit(out),
            Self::TsI(p) | Self::TsR(p) => p.emit(out),
            Self::Sk(p) => p.emit(out),
            Self::Cp(p) => p.emit(out),
            Self::Eap(p) => p.emit(out),
            Self::Skf(p) => p.emit(out),
            Self::Unknown(p) => {
                out.extend_from_slice(&p.body);
                Ok(())
            }
        }
    }

    /// The critical bit to send: only unknown payloads carry one (RFC 7296 §3.2 says the bit
    /// concerns payloads the receiver may not know; ours are all sent non-critical).
    pub fn critical(&self) -> bool {
        matches!(self, Self::Unknown(u) if u.critical)
    }
}
