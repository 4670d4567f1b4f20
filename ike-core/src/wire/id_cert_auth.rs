//! Identification (RFC 7296 §3.5), Certificate (§3.6), Certificate Request (§3.7) and
//! Authentication (§3.8) payloads.

use super::error::WireError;
use super::reader::Reader;

/// Parses the common body layout of ID and AUTH payloads: one type octet, three reserved
/// octets, then the data.
fn parse_type_reserved_data(body: &[u8]) -> Result<(u8, Vec<u8>), WireError> {
    let mut r = Reader::new(body);
    let ty = r.u8()?;
    let _reserved = r.take(3)?;
    Ok((ty, r.rest().to_vec()))
}

/// Parses the common body layout of CERT and CERTREQ payloads: one encoding octet, then the
/// data.
fn parse_encoding_data(body: &[u8]) -> Result<(u8, Vec<u8>), WireError> {
    let mut r = Reader::new(body);
    let encoding = r.u8()?;
    Ok((encoding, r.rest().to_vec()))
}

/// Appends the common body layout of CERT and CERTREQ payloads.
fn emit_encoding_data(encoding: u8, data: &[u8], out: &mut Vec<u8>) {
    out.push(encoding);
    out.extend_from_slice(data);
}

/// Appends the common body layout of ID and AUTH payloads (reserved octets zero).
fn emit_type_reserved_data(ty: u8, data: &[u8], out: &mut Vec<u8>) {
    out.push(ty);
    out.extend_from_slice(&[0, 0, 0]);
    out.extend_from_slice(data);
}

/// IDi or IDr payload body.
///
/// The emitted body (ID type, three zero octets, data) is exactly the `RestOfInitIDPayload` /
/// `RestOfRespIDPayload` that RFC 7296 §2.15 feeds into the AUTH computation.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdPayload {
    /// ID type ([`crate::ids::id_type`]).
    pub id_type: u8,
    /// Identification data (address octets, FQDN, DER DN, ...).
    pub data: Vec<u8>,
}

impl IdPayload {
    /// Parses the payload body (after the generic payload header).
    pub fn parse(body: &[u8]) -> Result<Self, WireError> {
        let (id_type, data) = parse_type_reserved_data(body)?;
        Ok(Self { id_type, data })
    }

    /// Appends the payload body.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        emit_type_reserved_data(self.id_type, &self.data, out);
        Ok(())
    }

    /// The body octets as used in the AUTH computation (RFC 7296 §2.15).
    pub fn auth_octets(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.data.len().saturating_add(4));
        emit_type_reserved_data(self.id_type, &self.data, &mut out);
        out
    }
}

/// Certificate payload body.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CertPayload {
    /// Certificate encoding ([`crate::ids::cert_encoding`]).
    pub encoding: u8,
    /// Certificate data (DER for X.509 signature).
    pub data: Vec<u8>,
}

impl CertPayload {
    /// Parses the payload body (after the generic payload header).
    pub fn parse(body: &[u8]) -> Result<Self, WireError> {
        let (encoding, data) = parse_encoding_data(body)?;
        Ok(Self { encoding, data })
    }

    /// Appends the payload body.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        emit_encoding_data(self.encoding, &self.data, out);
        Ok(())
    }
}

/// Certificate Request payload body.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CertReqPayload {
    /// Certificate encoding ([`crate::ids::cert_encoding`]).
    pub encoding: u8,
    /// Certification authority data (for X.509: concatenated 20-octet SHA-1 hashes of CA
    /// public keys).
    pub data: Vec<u8>,
}

impl CertReqPayload {
    /// Parses the payload body (after the generic payload header).
    pub fn parse(body: &[u8]) -> Result<Self, WireError> {
        let (encoding, data) = parse_encoding_data(body)?;
        Ok(Self { encoding, data })
    }

    /// Appends the payload body.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        emit_encoding_data(self.encoding, &self.data, out);
        Ok(())
    }

    /// The 20-octet CA key hashes of an X.509 request (a trailing partial hash is ignored).
    pub fn ca_hashes(&self) -> impl Iterator<Item = &[u8]> {
        self.data.chunks_exact(20)
    }
}

/// Authentication payload body.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AuthPayload {
    /// Auth method ([`crate::ids::auth_method`]).
    pub method: u8,
    /// Authentication data (MAC or signature; for RFC 7427 it starts with the
    /// AlgorithmIdentifier length and ASN.1 object).
    pub data: Vec<u8>,
}

impl AuthPayload {
    /// Parses the payload body (after the generic payload header).
    pub fn parse(body: &[u8]) -> Result<Self, WireError> {
        let (method, data) = parse_type_reserved_data(body)?;
        Ok(Self { method, data })
    }

    /// Appends the payload body.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        emit_type_reserved_data(self.method, &self.data, out);
        Ok(())
    }
}
