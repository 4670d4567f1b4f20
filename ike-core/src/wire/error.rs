//! Errors of the wire codec.

use thiserror::Error;

/// Why a message, payload or substructure could not be parsed or emitted.
///
/// Parsing never panics: every malformed input maps to one of these variants. Variants that
/// carry a payload type let the engine answer with the right notify (for example
/// [`WireError::UnsupportedCritical`] maps to `UNSUPPORTED_CRITICAL_PAYLOAD` with the type as
/// notification data, RFC 7296 §2.5; most others map to `INVALID_SYNTAX`).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WireError {
    /// A fixed-size field or a declared length ran past the end of the available bytes.
    #[error("truncated: need {need} octets, have {have}")]
    Truncated {
        /// Octets the field needs.
        need: usize,
        /// Octets that were left.
        have: usize,
    },
    /// A payload's length field is smaller than its fixed part or larger than the bytes left.
    #[error("bad length {len} in payload type {payload}")]
    BadLength {
        /// Payload type whose length is wrong.
        payload: u8,
        /// The length found (payload length field, or the body length when the body does not
        /// fit the payload's fixed layout).
        len: usize,
    },
    /// The IKE header's length field does not equal the datagram length.
    #[error("IKE header says {header} octets but the datagram has {datagram}")]
    LengthMismatch {
        /// Length field of the IKE header.
        header: u32,
        /// Length of the datagram given to the parser.
        datagram: usize,
    },
    /// The IKE header's major version is not 2 (RFC 7296 §3.1: drop, and optionally answer
    /// with `INVALID_MAJOR_VERSION`; [`crate::wire::Header::parse`] still reads the SPIs).
    #[error("unsupported IKE version {major}.{minor}")]
    BadVersion {
        /// Major version found.
        major: u8,
        /// Minor version found.
        minor: u8,
    },
    /// An unknown payload type with the critical bit set (RFC 7296 §2.5): the message must be
    /// rejected with `UNSUPPORTED_CRITICAL_PAYLOAD` carrying this type.
    #[error("unsupported critical payload type {0}")]
    UnsupportedCritical(u8),
    /// More payloads in one message or chain than [`crate::wire::MAX_PAYLOADS`].
    #[error("too many payloads (limit {0})")]
    TooManyPayloads(usize),
    /// More substructures (proposals, transforms, attributes, selectors, ...) than allowed.
    #[error("too many {what} (limit {limit})")]
    TooMany {
        /// What overflowed.
        what: &'static str,
        /// The limit.
        limit: usize,
    },
    /// Bytes left over after the last payload or substructure.
    #[error("{len} trailing octets")]
    TrailingData {
        /// Number of unexpected octets.
        len: usize,
    },
    /// A substructure inside a payload is inconsistent (flags, counts, sizes).
    #[error("malformed payload type {payload}: {reason}")]
    Malformed {
        /// Payload type containing the problem.
        payload: u8,
        /// What is wrong.
        reason: &'static str,
    },
    /// A traffic selector type other than IPv4/IPv6 address range.
    #[error("unsupported traffic selector type {0}")]
    UnsupportedTsType(u8),
    /// A traffic selector with an impossible range or a wrong length.
    #[error("invalid traffic selector: {0}")]
    BadTrafficSelector(&'static str),
    /// An SK or SKF payload that is not the last payload of the message (RFC 7296 §3.14,
    /// RFC 7383 §2.5).
    #[error("encrypted payload type {0} is not the last payload")]
    EncryptedNotLast(u8),
    /// An SK or SKF payload inside a decrypted payload chain.
    #[error("encrypted payload type {0} nested inside an encrypted payload")]
    NestedEncrypted(u8),
    /// An SKF payload whose fragment number is 0 or exceeds the total (RFC 7383 §2.5).
    #[error("bad fragment {number}/{total}")]
    BadFragment {
        /// Fragment Number field.
        number: u16,
        /// Total Fragments field.
        total: u16,
    },
    /// Decrypted SK content whose Pad Length exceeds the content.
    #[error("pad length {pad} exceeds decrypted length {len}")]
    BadPadding {
        /// Pad Length octet.
        pad: usize,
        /// Decrypted content length (including the Pad Length octet).
        len: usize,
    },
    /// A port-4500 datagram that is neither IKE (non-ESP marker), ESP nor a NAT-keepalive.
    #[error("malformed UDP-encapsulated datagram of {0} octets")]
    BadUdpEncapsulation(usize),
    /// The value cannot be encoded (a length or count does not fit its field, sizes
    /// disagree); the emitter refuses rather than produce a message the peer cannot parse.
    #[error("cannot encode: {0}")]
    Unencodable(&'static str),
}
