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

use crate::wire::{GenericHeader, HeaderFlags};

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

impl HeaderFlags for Flags {
    fn from_byte(b: u8) -> Self {
        Flags::from_byte(b)
    }
    fn to_byte(self) -> u8 {
        Flags::to_byte(self)
    }
}

/// The fixed 28-octet ISAKMP header: the IKEv2 header's layout (the cookies are its SPIs,
/// [`crate::wire::GenericHeader`]) with ISAKMP's [`Flags`].
pub type Header = GenericHeader<Flags>;

impl Header {
    /// A version 1.0 header with zero `next_payload` and `length`.
    pub fn new(
        spi_i: [u8; 8],
        spi_r: [u8; 8],
        exchange_type: u8,
        flags: Flags,
        message_id: u32,
    ) -> Self {
        Self {
            spi_i,
            spi_r,
            next_payload: 0,
            major_version: 1,
            minor_version: 0,
            exchange_type,
            flags,
            message_id,
            length: 0,
        }
    }
}
