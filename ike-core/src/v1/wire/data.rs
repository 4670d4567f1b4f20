//! Payloads whose body is one opaque octet string: KE, HASH, SIG, Nonce, Vendor ID and NAT-D
//! (RFC 2408 §3.7, §3.11-§3.13, §3.16; RFC 3947 §3.2), and unknown payloads.

use crate::wire::WireError;

macro_rules! data_payload {
    ($(#[$doc:meta])* $name:ident, $field:ident, $min:expr, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $name {
            #[doc = $what]
            pub $field: Vec<u8>,
        }

        impl $name {
            /// Parses the payload body (after the generic payload header).
            #[allow(unused_comparisons)]
            pub fn parse(body: &[u8]) -> Result<Self, WireError> {
                if body.len() < $min {
                    return Err(WireError::Truncated {
                        need: $min,
                        have: body.len(),
                    });
                }
                Ok(Self {
                    $field: body.to_vec(),
                })
            }

            /// Appends the payload body.
            #[allow(unused_comparisons)]
            pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
                if self.$field.len() < $min {
                    return Err(WireError::Unencodable(concat!(stringify!($name), " too short")));
                }
                out.extend_from_slice(&self.$field);
                Ok(())
            }
        }
    };
}

data_payload!(
    /// Key Exchange payload (RFC 2408 §3.7): the Diffie-Hellman public value.
    KePayload, data, 1, "Key exchange data (g^x, padded to the group's length)."
);
data_payload!(
    /// Hash payload (RFC 2408 §3.11): HASH_I / HASH_R, or HASH(1..3) of Quick Mode.
    HashPayload, hash, 1, "The hash value."
);
data_payload!(
    /// Signature payload (RFC 2408 §3.12): SIG_I / SIG_R.
    SigPayload, signature, 1, "The signature value."
);
data_payload!(
    /// Nonce payload (RFC 2408 §3.13). RFC 2409 §5 asks for 8 to 256 octets; the codec only
    /// refuses an empty nonce and leaves the range to the exchange.
    NoncePayload, nonce, 1, "The nonce."
);
data_payload!(
    /// Vendor ID payload (RFC 2408 §3.16): NAT-T, DPD, XAUTH, fragmentation, ... markers.
    VendorIdPayload, id, 0, "The vendor id (usually a hash)."
);
data_payload!(
    /// NAT Discovery payload (RFC 3947 §3.2): HASH(CKY-I | CKY-R | IP | Port).
    NatDPayload, hash, 1, "The NAT-D hash."
);

/// A payload of a type this codec does not know (kept so that it can be skipped, logged or
/// answered with INVALID-PAYLOAD-TYPE by the exchange).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UnknownPayload {
    /// The payload type from the previous Next Payload field.
    pub payload_type: u8,
    /// The body after the generic payload header.
    pub body: Vec<u8>,
}
