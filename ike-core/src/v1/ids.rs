//! ISAKMP / IKEv1 registry numbers (RFC 2407, RFC 2408, RFC 2409, RFC 3947,
//! draft-dukes-ike-mode-cfg).

/// ISAKMP payload types (RFC 2408 §3.1, RFC 3947 §3-§5, draft-dukes-ike-mode-cfg §3.2).
pub mod payload {
    /// No next payload.
    pub const NONE: u8 = 0;
    /// Security Association.
    pub const SA: u8 = 1;
    /// Proposal (only inside an SA payload).
    pub const PROPOSAL: u8 = 2;
    /// Transform (only inside a Proposal payload).
    pub const TRANSFORM: u8 = 3;
    /// Key Exchange.
    pub const KE: u8 = 4;
    /// Identification.
    pub const ID: u8 = 5;
    /// Certificate.
    pub const CERT: u8 = 6;
    /// Certificate Request.
    pub const CERTREQ: u8 = 7;
    /// Hash.
    pub const HASH: u8 = 8;
    /// Signature.
    pub const SIG: u8 = 9;
    /// Nonce.
    pub const NONCE: u8 = 10;
    /// Notification.
    pub const NOTIFY: u8 = 11;
    /// Delete.
    pub const DELETE: u8 = 12;
    /// Vendor ID.
    pub const VENDOR_ID: u8 = 13;
    /// Attribute (Mode Config, draft-dukes-ike-mode-cfg).
    pub const ATTR: u8 = 14;
    /// NAT Discovery (RFC 3947).
    pub const NAT_D: u8 = 20;
    /// NAT Original Address (RFC 3947).
    pub const NAT_OA: u8 = 21;
}

/// ISAKMP exchange types (RFC 2408 §3.1, RFC 2409 §5, draft-dukes-ike-mode-cfg).
pub mod exchange {
    /// Identity Protection: IKE Main Mode.
    pub const MAIN: u8 = 2;
    /// Aggressive Mode.
    pub const AGGRESSIVE: u8 = 4;
    /// Informational.
    pub const INFORMATIONAL: u8 = 5;
    /// Transaction (Mode Config, XAUTH).
    pub const TRANSACTION: u8 = 6;
    /// Quick Mode.
    pub const QUICK: u8 = 32;
    /// New Group Mode.
    pub const NEW_GROUP: u8 = 33;
}

/// Domains of Interpretation.
pub mod doi {
    /// The generic ISAKMP DOI.
    pub const ISAKMP: u32 = 0;
    /// The Internet IP Security DOI (RFC 2407).
    pub const IPSEC: u32 = 1;
}

/// IPsec DOI situation bits (RFC 2407 §4.2).
pub mod situation {
    /// SIT_IDENTITY_ONLY: what every IKEv1 implementation sends.
    pub const IDENTITY_ONLY: u32 = 0x01;
    /// SIT_SECRECY: labeled-domain secrecy fields follow.
    pub const SECRECY: u32 = 0x02;
    /// SIT_INTEGRITY: labeled-domain integrity fields follow.
    pub const INTEGRITY: u32 = 0x04;
}

/// Protocol identifiers of proposals, notifications and deletes (RFC 2407 §4.4.1).
pub mod protocol {
    /// PROTO_ISAKMP.
    pub const ISAKMP: u8 = 1;
    /// PROTO_IPSEC_AH.
    pub const AH: u8 = 2;
    /// PROTO_IPSEC_ESP.
    pub const ESP: u8 = 3;
    /// PROTO_IPCOMP.
    pub const IPCOMP: u8 = 4;
}

/// Phase 1 (Oakley) SA attribute classes (RFC 2409 Appendix A).
pub mod oakley_attr {
    /// Encryption Algorithm (basic).
    pub const ENCRYPTION: u16 = 1;
    /// Hash Algorithm (basic).
    pub const HASH: u16 = 2;
    /// Authentication Method (basic).
    pub const AUTH_METHOD: u16 = 3;
    /// Group Description (basic).
    pub const GROUP_DESCRIPTION: u16 = 4;
    /// Life Type (basic).
    pub const LIFE_TYPE: u16 = 11;
    /// Life Duration (variable).
    pub const LIFE_DURATION: u16 = 12;
    /// PRF (basic).
    pub const PRF: u16 = 13;
    /// Key Length (basic).
    pub const KEY_LENGTH: u16 = 14;
}

/// IPsec (Phase 2) SA attribute classes (RFC 2407 §4.5).
pub mod ipsec_attr {
    /// SA Life Type (basic).
    pub const LIFE_TYPE: u16 = 1;
    /// SA Life Duration (variable).
    pub const LIFE_DURATION: u16 = 2;
    /// Group Description (basic): the PFS group.
    pub const GROUP_DESCRIPTION: u16 = 3;
    /// Encapsulation Mode (basic).
    pub const ENCAPSULATION_MODE: u16 = 4;
    /// Authentication Algorithm (basic).
    pub const AUTH_ALGORITHM: u16 = 5;
    /// Key Length (basic).
    pub const KEY_LENGTH: u16 = 6;
}

/// Mode Config (ATTR payload) message types (draft-dukes-ike-mode-cfg §3.2).
pub mod cfg {
    /// ISAKMP_CFG_REQUEST.
    pub const REQUEST: u8 = 1;
    /// ISAKMP_CFG_REPLY.
    pub const REPLY: u8 = 2;
    /// ISAKMP_CFG_SET.
    pub const SET: u8 = 3;
    /// ISAKMP_CFG_ACK.
    pub const ACK: u8 = 4;
}

/// Identification types (RFC 2407 §4.6.2.1).
pub mod id_type {
    /// ID_IPV4_ADDR.
    pub const IPV4_ADDR: u8 = 1;
    /// ID_FQDN.
    pub const FQDN: u8 = 2;
    /// ID_USER_FQDN.
    pub const USER_FQDN: u8 = 3;
    /// ID_IPV4_ADDR_SUBNET.
    pub const IPV4_ADDR_SUBNET: u8 = 4;
    /// ID_IPV6_ADDR.
    pub const IPV6_ADDR: u8 = 5;
    /// ID_IPV6_ADDR_SUBNET.
    pub const IPV6_ADDR_SUBNET: u8 = 6;
    /// ID_IPV4_ADDR_RANGE.
    pub const IPV4_ADDR_RANGE: u8 = 7;
    /// ID_IPV6_ADDR_RANGE.
    pub const IPV6_ADDR_RANGE: u8 = 8;
    /// ID_DER_ASN1_DN.
    pub const DER_ASN1_DN: u8 = 9;
    /// ID_KEY_ID.
    pub const KEY_ID: u8 = 11;
}
