//! The ISAKMP header (RFC 2408 §3.1).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! !                          Initiator                            !
//! !                            Cookie                             !
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! !                          Responder                            !
//! !                            Cookie                             !
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! !  Next Payload ! MjVer ! MnVer ! Exchange Type !     Flags     !
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! !                          Message ID                           !
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! !                            Length                             !
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use crate::wire::{put_u32, Reader, WireError};

/// The header flags (RFC 2408 §3.1). The five reserved bits are ignored on receipt and sent
/// as zero.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Flags {
    /// E (Encryption, bit 0): everything after the header is encrypted.
    pub encryption: bool,
    /// C (Commit, bit 1): key exchange synchronisation (RFC 2408 §3.1).
    pub commit: bool,
    /// A (Authentication Only, bit 2).
    pub authentication_only: bool,
}

impl Flags {
    /// The E bit.
    pub const ENCRYPTION: u8 = 0x01;
    /// The C bit.
    pub const COMMIT: u8 = 0x02;
    /// The A bit.
    pub const AUTHENTICATION_ONLY: u8 = 0x04;

    /// Decodes the flags octet, ignoring reserved bits.
    pub fn from_byte(b: u8) -> Self {
        Self {
            encryption: b & Self::ENCRYPTION != 0,
            commit: b & Self::COMMIT != 0,
            authentication_only: b & Self::AUTHENTICATION_ONLY != 0,
        }
    }

    /// Encodes the flags octet (reserved bits zero).
    pub fn to_byte(self) -> u8 {
        let mut b = 0;
        if self.encryption {
            b |= Self::ENCRYPTION;
        }
        if self.commit {
            b |= Self::COMMIT;
        }
        if self.authentication_only {
            b |= Self::AUTHENTICATION_ONLY;
        }
        b
    }
}

/// The fixed 28-octet ISAKMP header.
///
/// When a whole [`crate::v1::wire::Message`] is emitted, `length` (and, for a message in the
/// clear, `next_payload`) is computed and the value stored here is ignored.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Header {
    /// Initiator cookie.
    pub cookie_i: [u8; 8],
    /// Responder cookie (all zero in the first message of Phase 1).
    pub cookie_r: [u8; 8],
    /// Type of the first payload ([`crate::v1::ids::payload`]); 0 for none.
    pub next_payload: u8,
    /// Major version (1 for ISAKMP).
    pub major_version: u8,
    /// Minor version (0).
    pub minor_version: u8,
    /// Exchange type ([`crate::v1::ids::exchange`]).
    pub exchange_type: u8,
    /// E, C and A flags.
    pub flags: Flags,
    /// Message ID (0 in Phase 1, random in Quick Mode, Informational and Transaction).
    pub message_id: u32,
    /// Length of the whole message, header included.
    pub length: u32,
}

impl Header {
    /// Length of the ISAKMP header in octets.
    pub const LEN: usize = 28;

    /// A version 1.0 header with zero `next_payload` and `length`.
    pub fn new(
        cookie_i: [u8; 8],
        cookie_r: [u8; 8],
        exchange_type: u8,
        flags: Flags,
        message_id: u32,
    ) -> Self {
        Self {
            cookie_i,
            cookie_r,
            next_payload: 0,
            major_version: 1,
            minor_version: 0,
            exchange_type,
            flags,
            message_id,
            length: 0,
        }
    }

    /// Reads the first 28 octets of `bytes` as an ISAKMP header.
    ///
    /// Neither the version nor the length is checked here (so an answer can still quote
    /// the cookies); [`crate::v1::wire::Message::parse`] checks both.
    pub fn parse(bytes: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(bytes);
        let cookie_i = r.array::<8>()?;
        let cookie_r = r.array::<8>()?;
        let next_payload = r.u8()?;
        let version = r.u8()?;
        let exchange_type = r.u8()?;
        let flags = Flags::from_byte(r.u8()?);
        let message_id = r.u32()?;
        let length = r.u32()?;
        Ok(Self {
            cookie_i,
            cookie_r,
            next_payload,
            major_version: version >> 4,
            minor_version: version & 0x0f,
            exchange_type,
            flags,
            message_id,
            length,
        })
    }

    /// Appends the 28 header octets to `out`, using the stored `next_payload` and `length`.
    /// Versions are truncated to their 4-bit fields.
    pub fn emit(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.cookie_i);
        out.extend_from_slice(&self.cookie_r);
        out.push(self.next_payload);
        out.push(((self.major_version & 0x0f) << 4) | (self.minor_version & 0x0f));
        out.push(self.exchange_type);
        out.push(self.flags.to_byte());
        put_u32(out, self.message_id);
        put_u32(out, self.length);
    }
}
