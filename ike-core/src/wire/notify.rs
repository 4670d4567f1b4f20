//! Notify (RFC 7296 §3.10) and Delete (RFC 7296 §3.11) payloads.

use super::error::WireError;
use super::reader::{len_u16, len_u8, put_u16, Reader};
use crate::ids::{notify, payload};

/// Notify payload body.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NotifyPayload {
    /// Protocol id of the SA concerned ([`crate::ids::protocol`]); 0 when no SA is concerned.
    pub protocol_id: u8,
    /// SPI of the SA concerned (empty for IKE SA notifications).
    pub spi: Vec<u8>,
    /// Notify message type ([`crate::ids::notify`]).
    pub notify_type: u16,
    /// Notification data.
    pub data: Vec<u8>,
}

impl NotifyPayload {
    /// A notification with no protocol and no SPI.
    pub fn new(notify_type: u16, data: Vec<u8>) -> Self {
        Self {
            protocol_id: 0,
            spi: Vec::new(),
            notify_type,
            data,
        }
    }

    /// An AUTH_LIFETIME notification (RFC 4478 §3): the lifetime in seconds, four octets in
    /// network order.
    pub fn auth_lifetime(secs: u32) -> Self {
        Self::new(notify::AUTH_LIFETIME, secs.to_be_bytes().to_vec())
    }

    /// The seconds of an AUTH_LIFETIME notification; an error when its data is not exactly
    /// four octets (or it is another notification).
    pub fn auth_lifetime_secs(&self) -> Result<u32, WireError> {
        if self.notify_type != notify::AUTH_LIFETIME {
            return Err(WireError::Malformed {
                payload: payload::NOTIFY,
                reason: "not an AUTH_LIFETIME notify",
            });
        }
        <[u8; 4]>::try_from(self.data.as_slice())
            .map(u32::from_be_bytes)
            .map_err(|_| WireError::Malformed {
                payload: payload::NOTIFY,
                reason: "AUTH_LIFETIME data is not 4 octets",
            })
    }

    /// True for error types (below 16384).
    pub fn is_error(&self) -> bool {
        self.notify_type <= notify::ERROR_MAX
    }

    /// Parses the payload body (after the generic payload header).
    pub fn parse(body: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(body);
        let protocol_id = r.u8()?;
        let spi_size = r.u8()?;
        let notify_type = r.u16()?;
        let spi = r
            .take(usize::from(spi_size))
            .map_err(|_| WireError::BadLength {
                payload: payload::NOTIFY,
                len: body.len(),
            })?
            .to_vec();
        let data = r.rest().to_vec();
        Ok(Self {
            protocol_id,
            spi,
            notify_type,
            data,
        })
    }

    /// Appends the payload body.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        out.push(self.protocol_id);
        out.push(len_u8(self.spi.len(), "notify SPI over 255 octets")?);
        put_u16(out, self.notify_type);
        out.extend_from_slice(&self.spi);
        out.extend_from_slice(&self.data);
        Ok(())
    }
}

/// Delete payload body.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DeletePayload {
    /// Protocol id ([`crate::ids::protocol`]): IKE (SPI size 0, no SPIs), AH or ESP.
    pub protocol_id: u8,
    /// Size of each SPI (0 for IKE, 4 for ESP/AH).
    pub spi_size: u8,
    /// The SPIs, each `spi_size` octets.
    pub spis: Vec<Vec<u8>>,
}

impl DeletePayload {
    /// Deletes the IKE SA the message belongs to.
    pub fn ike() -> Self {
        Self {
            protocol_id: crate::ids::protocol::IKE,
            spi_size: 0,
            spis: Vec::new(),
        }
    }

    /// Deletes Child SAs of `protocol_id` (ESP or AH) by their 4-octet inbound SPIs.
    pub fn child(protocol_id: u8, spis: &[u32]) -> Self {
        Self {
            protocol_id,
            spi_size: 4,
            spis: spis.iter().map(|s| s.to_be_bytes().to_vec()).collect(),
        }
    }

    /// Parses the payload body (after the generic payload header).
    ///
    /// `SPI Size * Num of SPIs` must equal the rest of the body; a zero SPI size requires a
    /// zero count (so a tiny payload cannot claim 65535 empty SPIs).
    pub fn parse(body: &[u8]) -> Result<Self, WireError> {
        let bad = WireError::BadLength {
            payload: payload::DELETE,
            len: body.len(),
        };
        let mut r = Reader::new(body);
        let protocol_id = r.u8()?;
        let spi_size = r.u8()?;
        let count = usize::from(r.u16()?);
        let rest = r.rest();
        if spi_size == 0 {
            if count != 0 || !rest.is_empty() {
                return Err(bad);
            }
            return Ok(Self {
                protocol_id,
                spi_size,
                spis: Vec::new(),
            });
        }
        if count.checked_mul(usize::from(spi_size)) != Some(rest.len()) {
            return Err(bad);
        }
        let spis = rest
            .chunks_exact(usize::from(spi_size))
            .map(<[u8]>::to_vec)
            .collect();
        Ok(Self {
            protocol_id,
            spi_size,
            spis,
        })
    }

    /// Appends the payload body. Every SPI must be `spi_size` octets long.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        if self
            .spis
            .iter()
            .any(|s| s.len() != usize::from(self.spi_size))
        {
            return Err(WireError::Unencodable(
                "delete SPI length differs from SPI size",
            ));
        }
        if self.spi_size == 0 && !self.spis.is_empty() {
            return Err(WireError::Unencodable("delete with SPI size 0 lists SPIs"));
        }
        out.push(self.protocol_id);
        out.push(self.spi_size);
        put_u16(out, len_u16(self.spis.len(), "more than 65535 SPIs")?);
        for s in &self.spis {
            out.extend_from_slice(s);
        }
        Ok(())
    }
}
