//! The IKE header (RFC 7296 §3.1).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                       IKE SA Initiator's SPI                  |
//! |                                                               |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                       IKE SA Responder's SPI                  |
//! |                                                               |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |  Next Payload | MjVer | MnVer | Exchange Type |     Flags     |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                          Message ID                           |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                            Length                             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use super::error::WireError;
use super::reader::{put_u32, Reader};

/// The header flags (RFC 7296 §3.1). Reserved bits are ignored on receipt and sent as zero.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Flags {
    /// I (Initiator, bit 3): set by the original initiator of the IKE SA.
    pub initiator: bool,
    /// V (Version, bit 4): the sender can speak a higher major version.
    pub version: bool,
    /// R (Response, bit 5): the message is a response.
    pub response: bool,
}

impl Flags {
    /// The I bit.
    pub const INITIATOR: u8 = 0x08;
    /// The V bit.
    pub const VERSION: u8 = 0x10;
    /// The R bit.
    pub const RESPONSE: u8 = 0x20;

    /// Decodes the flags octet, ignoring reserved bits.
    pub fn from_byte(b: u8) -> Self {
        Self {
            initiator: b & Self::INITIATOR != 0,
            version: b & Self::VERSION != 0,
            response: b & Self::RESPONSE != 0,
        }
    }

    /// Encodes the flags octet (reserved bits zero).
    pub fn to_byte(self) -> u8 {
        let mut b = 0;
        if self.initiator {
            b |= Self::INITIATOR;
        }
        if self.version {
            b |= Self::VERSION;
        }
        if self.response {
            b |= Self::RESPONSE;
        }
        b
    }
}

/// The flags octet of a 28-octet header: IKEv2's [`Flags`] or ISAKMP's
/// [`crate::v1::wire::Flags`].
pub trait HeaderFlags: Copy {
    /// Decodes the flags octet, ignoring reserved bits.
    fn from_byte(b: u8) -> Self;
    /// Encodes the flags octet (reserved bits zero).
    fn to_byte(self) -> u8;
}

impl HeaderFlags for Flags {
    fn from_byte(b: u8) -> Self {
        Flags::from_byte(b)
    }
    fn to_byte(self) -> u8 {
        Flags::to_byte(self)
    }
}

/// The fixed 28-octet header IKEv2 (RFC 7296 §3.1) and ISAKMP (RFC 2408 §3.1, whose
/// cookies are the SPIs) share, with the flags `F` of the version: [`Header`] for IKEv2,
/// [`crate::v1::wire::Header`] for IKEv1.
///
/// When a whole message is emitted, `length` (and, for a message in the clear,
/// `next_payload`) is computed from the payloads and the values stored here are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GenericHeader<F> {
    /// IKE SA Initiator's SPI (ISAKMP: the initiator cookie).
    pub spi_i: [u8; 8],
    /// IKE SA Responder's SPI (all zero in the first request of the exchange that makes it).
    pub spi_r: [u8; 8],
    /// Type of the first payload ([`crate::ids::payload`], [`crate::v1::ids::payload`]); 0
    /// for none.
    pub next_payload: u8,
    /// Major version (2 for IKEv2, 1 for ISAKMP).
    pub major_version: u8,
    /// Minor version (0; IKEv2 ignores it on receipt).
    pub minor_version: u8,
    /// Exchange type ([`crate::ids::exchange`], [`crate::v1::ids::exchange`]).
    pub exchange_type: u8,
    /// The flags (IKEv2: I, V and R; ISAKMP: E, C and A).
    pub flags: F,
    /// Message ID.
    pub message_id: u32,
    /// Length of the whole message, header included.
    pub length: u32,
}

/// The IKEv2 header.
pub type Header = GenericHeader<Flags>;

impl Header {
    /// A header for IKEv2 (version 2.0) with zero `next_payload` and `length`.
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
            major_version: 2,
            minor_version: 0,
            exchange_type,
            flags,
            message_id,
            length: 0,
        }
    }
}

/// Length of the 28-octet header in octets.
const HEADER_LEN: usize = 28;

impl<F: HeaderFlags> GenericHeader<F> {
    /// Length of the header in octets.
    pub const LEN: usize = HEADER_LEN;

    /// Reads the first 28 octets of `bytes` as a header.
    ///
    /// Neither the version nor the length is checked here (so an `INVALID_MAJOR_VERSION`
    /// answer can still quote the SPIs); the message parsers ([`crate::wire::Message::parse`],
    /// [`crate::v1::wire::Message::parse`]) check both.
    pub fn parse(bytes: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(bytes);
        let spi_i = r.array::<8>()?;
        let spi_r = r.array::<8>()?;
        let next_payload = r.u8()?;
        let version = r.u8()?;
        let exchange_type = r.u8()?;
        let flags = F::from_byte(r.u8()?);
        let message_id = r.u32()?;
        let length = r.u32()?;
        Ok(Self {
            spi_i,
            spi_r,
            next_payload,
            major_version: version >> 4,
            minor_version: version & 0x0f,
            exchange_type,
            flags,
            message_id,
            length,
        })
    }

    /// The 28 header octets, using the stored `next_payload` and `length`.
    ///
    /// Versions are truncated to their 4-bit fields.
    pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let mut out = Vec::with_capacity(Self::LEN);
        self.emit(&mut out);
        let mut arr = [0u8; HEADER_LEN];
        for (dst, src) in arr.iter_mut().zip(out) {
            *dst = src;
        }
        arr
    }

    /// Appends the 28 header octets to `out`, using the stored `next_payload` and `length`.
    pub fn emit(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.spi_i);
        out.extend_from_slice(&self.spi_r);
        out.push(self.next_payload);
        out.push(((self.major_version & 0x0f) << 4) | (self.minor_version & 0x0f));
        out.push(self.exchange_type);
        out.push(self.flags.to_byte());
        put_u32(out, self.message_id);
        put_u32(out, self.length);
    }
}
