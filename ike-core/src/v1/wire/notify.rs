//! Notification and Delete payloads (RFC 2408 §3.14, §3.15).

use crate::v1::ids::payload;
use crate::wire::{len_u16, len_u8, put_u16, put_u32, Reader, WireError};

/// Notification payload (RFC 2408 §3.14).
///
/// ```text
/// DOI (4) | Protocol-ID | SPI Size | Notify Message Type (2) | SPI | Notification Data
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NotifyPayload {
    /// Domain of Interpretation.
    pub doi: u32,
    /// Protocol id ([`crate::v1::ids::protocol`]).
    pub protocol_id: u8,
    /// SPI (the two cookies, 16 octets, for ISAKMP; 4 octets for ESP/AH; often empty).
    pub spi: Vec<u8>,
    /// Notify message type (errors below 16384, status above; DPD R-U-THERE is 36136).
    pub notify_type: u16,
    /// Notification data.
    pub data: Vec<u8>,
}

impl NotifyPayload {
    /// Parses the payload body (after the generic payload header).
    pub fn parse(body: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(body);
        let doi = r.u32()?;
        let protocol_id = r.u8()?;
        let spi_size = r.u8()?;
        let notify_type = r.u16()?;
        let spi = r.take(usize::from(spi_size))?.to_vec();
        Ok(Self {
            doi,
            protocol_id,
            spi,
            notify_type,
            data: r.rest().to_vec(),
        })
    }

    /// Appends the payload body.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        put_u32(out, self.doi);
        out.push(self.protocol_id);
        out.push(len_u8(self.spi.len(), "notify SPI over 255 octets")?);
        put_u16(out, self.notify_type);
        out.extend_from_slice(&self.spi);
        out.extend_from_slice(&self.data);
        Ok(())
    }
}

/// Delete payload (RFC 2408 §3.15).
///
/// ```text
/// DOI (4) | Protocol-Id | SPI Size | # of SPIs (2) | SPIs
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DeletePayload {
    /// Domain of Interpretation.
    pub doi: u32,
    /// Protocol id ([`crate::v1::ids::protocol`]).
    pub protocol_id: u8,
    /// Size of each SPI (16 for ISAKMP: the two cookies; 4 for ESP/AH).
    pub spi_size: u8,
    /// The SPIs, each `spi_size` octets.
    pub spis: Vec<Vec<u8>>,
}

impl DeletePayload {
    /// Parses the payload body (after the generic payload header).
    ///
    /// The SPIs must exactly fill the rest of the body; an SPI size of 0 with SPIs listed is
    /// refused as malformed.
    pub fn parse(body: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(body);
        let doi = r.u32()?;
        let protocol_id = r.u8()?;
        let spi_size = r.u8()?;
        let count = usize::from(r.u16()?);
        if spi_size == 0 && count > 0 {
            return Err(WireError::Malformed {
                payload: payload::DELETE,
                reason: "SPIs of size 0",
            });
        }
        let mut spis = Vec::new();
        for _ in 0..count {
            spis.push(r.take(usize::from(spi_size))?.to_vec());
        }
        r.finish()?;
        Ok(Self {
            doi,
            protocol_id,
            spi_size,
            spis,
        })
    }

    /// Appends the payload body.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        if self
            .spis
            .iter()
            .any(|s| s.len() != usize::from(self.spi_size))
        {
            return Err(WireError::Unencodable("delete SPI of the wrong size"));
        }
        if self.spi_size == 0 && !self.spis.is_empty() {
            return Err(WireError::Unencodable("delete SPIs of size 0"));
        }
        put_u32(out, self.doi);
        out.push(self.protocol_id);
        out.push(self.spi_size);
        put_u16(out, len_u16(self.spis.len(), "more than 65535 SPIs")?);
        for s in &self.spis {
            out.extend_from_slice(s);
        }
        Ok(())
    }
}
