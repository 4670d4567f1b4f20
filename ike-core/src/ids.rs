//! IANA "Internet Key Exchange Version 2 (IKEv2) Parameters" registry numbers.
//!
//! Plain `u8`/`u16` constants grouped by registry, so the wire codec can carry unknown values
//! unchanged while the rest of the engine names the ones it understands.

/// Exchange types (RFC 7296 §3.1 and later RFCs).
pub mod exchange {
    /// IKE_SA_INIT.
    pub const IKE_SA_INIT: u8 = 34;
    /// IKE_AUTH.
    pub const IKE_AUTH: u8 = 35;
    /// CREATE_CHILD_SA.
    pub const CREATE_CHILD_SA: u8 = 36;
    /// INFORMATIONAL.
    pub const INFORMATIONAL: u8 = 37;
    /// IKE_SESSION_RESUME (RFC 5723).
    pub const IKE_SESSION_RESUME: u8 = 38;
    /// IKE_INTERMEDIATE (RFC 9242).
    pub const IKE_INTERMEDIATE: u8 = 43;
    /// IKE_FOLLOWUP_KE (RFC 9370).
    pub const IKE_FOLLOWUP_KE: u8 = 44;
}

/// Payload types (RFC 7296 §3.2, RFC 7383).
pub mod payload {
    /// No next payload.
    pub const NONE: u8 = 0;
    /// Security Association.
    pub const SA: u8 = 33;
    /// Key Exchange.
    pub const KE: u8 = 34;
    /// Identification - Initiator.
    pub const IDI: u8 = 35;
    /// Identification - Responder.
    pub const IDR: u8 = 36;
    /// Certificate.
    pub const CERT: u8 = 37;
    /// Certificate Request.
    pub const CERTREQ: u8 = 38;
    /// Authentication.
    pub const AUTH: u8 = 39;
    /// Nonce.
    pub const NONCE: u8 = 40;
    /// Notify.
    pub const NOTIFY: u8 = 41;
    /// Delete.
    pub const DELETE: u8 = 42;
    /// Vendor ID.
    pub const VENDOR_ID: u8 = 43;
    /// Traffic Selector - Initiator.
    pub const TSI: u8 = 44;
    /// Traffic Selector - Responder.
    pub const TSR: u8 = 45;
    /// Encrypted and Authenticated.
    pub const SK: u8 = 46;
    /// Configuration.
    pub const CP: u8 = 47;
    /// Extensible Authentication.
    pub const EAP: u8 = 48;
    /// Encrypted and Authenticated Fragment (RFC 7383).
    pub const SKF: u8 = 53;
}

/// Transform types (RFC 7296 §3.3.2, RFC 9370).
pub mod transform_type {
    /// Encryption algorithm (ENCR).
    pub const ENCR: u8 = 1;
    /// Pseudorandom function (PRF).
    pub const PRF: u8 = 2;
    /// Integrity algorithm (INTEG).
    pub const INTEG: u8 = 3;
    /// Key exchange method (KE, formerly D-H group).
    pub const KE: u8 = 4;
    /// Extended sequence numbers (ESN).
    pub const ESN: u8 = 5;
    /// First additional key exchange (RFC 9370); ADDKE2..7 are 7..12.
    pub const ADDKE1: u8 = 6;
}

/// Encryption algorithm transform ids.
pub mod encr {
    /// 3DES-CBC.
    pub const DES3: u16 = 3;
    /// AES-CBC (key length attribute required).
    pub const AES_CBC: u16 = 12;
    /// AES-CTR.
    pub const AES_CTR: u16 = 13;
    /// AES-GCM with an 8-octet ICV.
    pub const AES_GCM_8: u16 = 18;
    /// AES-GCM with a 12-octet ICV.
    pub const AES_GCM_12: u16 = 19;
    /// AES-GCM with a 16-octet ICV.
    pub const AES_GCM_16: u16 = 20;
    /// ChaCha20-Poly1305 (RFC 7634).
    pub const CHACHA20_POLY1305: u16 = 28;
}

/// Pseudorandom function transform ids.
pub mod prf {
    /// HMAC-MD5.
    pub const HMAC_MD5: u16 = 1;
    /// HMAC-SHA1.
    pub const HMAC_SHA1: u16 = 2;
    /// AES128-XCBC.
    pub const AES128_XCBC: u16 = 4;
    /// HMAC-SHA2-256.
    pub const HMAC_SHA2_256: u16 = 5;
    /// HMAC-SHA2-384.
    pub const HMAC_SHA2_384: u16 = 6;
    /// HMAC-SHA2-512.
    pub const HMAC_SHA2_512: u16 = 7;
}

/// Integrity algorithm transform ids.
pub mod integ {
    /// None (used with AEAD ciphers).
    pub const NONE: u16 = 0;
    /// HMAC-MD5-96.
    pub const HMAC_MD5_96: u16 = 1;
    /// HMAC-SHA1-96.
    pub const HMAC_SHA1_96: u16 = 2;
    /// AES-XCBC-96.
    pub const AES_XCBC_96: u16 = 5;
    /// HMAC-SHA2-256-128.
    pub const HMAC_SHA2_256_128: u16 = 12;
    /// HMAC-SHA2-384-192.
    pub const HMAC_SHA2_384_192: u16 = 13;
    /// HMAC-SHA2-512-256.
    pub const HMAC_SHA2_512_256: u16 = 14;
}

/// Key exchange method transform ids (D-H groups and KEMs).
pub mod ke {
    /// None (no PFS in a Child SA proposal).
    pub const NONE: u16 = 0;
    /// 768-bit MODP group.
    pub const MODP768: u16 = 1;
    /// 1024-bit MODP group.
    pub const MODP1024: u16 = 2;
    /// 1536-bit MODP group.
    pub const MODP1536: u16 = 5;
    /// 2048-bit MODP group.
    pub const MODP2048: u16 = 14;
    /// 3072-bit MODP group.
    pub const MODP3072: u16 = 15;
    /// 4096-bit MODP group.
    pub const MODP4096: u16 = 16;
    /// 6144-bit MODP group.
    pub const MODP6144: u16 = 17;
    /// 8192-bit MODP group.
    pub const MODP8192: u16 = 18;
    /// 256-bit random ECP group (NIST P-256).
    pub const ECP256: u16 = 19;
    /// 384-bit random ECP group (NIST P-384).
    pub const ECP384: u16 = 20;
    /// 521-bit random ECP group (NIST P-521).
    pub const ECP521: u16 = 21;
    /// Curve25519.
    pub const CURVE25519: u16 = 31;
    /// Curve448.
    pub const CURVE448: u16 = 32;
    /// ML-KEM-512.
    pub const MLKEM512: u16 = 35;
    /// ML-KEM-768.
    pub const MLKEM768: u16 = 36;
    /// ML-KEM-1024.
    pub const MLKEM1024: u16 = 37;
}

/// Extended sequence numbers transform ids.
pub mod esn {
    /// No extended sequence numbers.
    pub const NO: u16 = 0;
    /// Extended sequence numbers.
    pub const YES: u16 = 1;
}

/// Transform attribute types.
pub mod transform_attr {
    /// Key length in bits (TV format).
    pub const KEY_LENGTH: u16 = 14;
}

/// Security protocol ids (proposal substructure, Notify, Delete).
pub mod protocol {
    /// IKE.
    pub const IKE: u8 = 1;
    /// AH.
    pub const AH: u8 = 2;
    /// ESP.
    pub const ESP: u8 = 3;
}

/// Identification types (RFC 7296 §3.5).
pub mod id_type {
    /// IPv4 address.
    pub const IPV4_ADDR: u8 = 1;
    /// Fully qualified domain name.
    pub const FQDN: u8 = 2;
    /// RFC 822 e-mail address.
    pub const RFC822_ADDR: u8 = 3;
    /// IPv6 address.
    pub const IPV6_ADDR: u8 = 5;
    /// DER-encoded ASN.1 X.500 distinguished name.
    pub const DER_ASN1_DN: u8 = 9;
    /// DER-encoded ASN.1 X.500 general name.
    pub const DER_ASN1_GN: u8 = 10;
    /// Opaque key id.
    pub const KEY_ID: u8 = 11;
    /// NULL identity (RFC 7619).
    pub const NULL: u8 = 13;
}

/// Authentication methods (RFC 7296 §3.8, RFC 7427, RFC 4754).
pub mod auth_method {
    /// RSA digital signature (PKCS#1 v1.5 with SHA-1).
    pub const RSA_SIG: u8 = 1;
    /// Shared key message integrity code.
    pub const PSK: u8 = 2;
    /// DSS digital signature.
    pub const DSS_SIG: u8 = 3;
    /// ECDSA with SHA-256 on the P-256 curve.
    pub const ECDSA_256: u8 = 9;
    /// ECDSA with SHA-384 on the P-384 curve.
    pub const ECDSA_384: u8 = 10;
    /// ECDSA with SHA-512 on the P-521 curve.
    pub const ECDSA_521: u8 = 11;
    /// NULL authentication (RFC 7619).
    pub const NULL: u8 = 13;
    /// Digital signature (RFC 7427).
    pub const DIGITAL_SIGNATURE: u8 = 14;
}

/// Certificate encodings (RFC 7296 §3.6).
pub mod cert_encoding {
    /// X.509 certificate - signature.
    pub const X509_SIGNATURE: u8 = 4;
    /// Hash and URL of X.509 certificate.
    pub const HASH_URL_X509: u8 = 12;
}

/// Traffic selector types (RFC 7296 §3.13.1).
pub mod ts_type {
    /// IPv4 address range.
    pub const IPV4_ADDR_RANGE: u8 = 7;
    /// IPv6 address range.
    pub const IPV6_ADDR_RANGE: u8 = 8;
}

/// Configuration payload types (RFC 7296 §3.15).
pub mod cfg_type {
    /// CFG_REQUEST.
    pub const REQUEST: u8 = 1;
    /// CFG_REPLY.
    pub const REPLY: u8 = 2;
    /// CFG_SET.
    pub const SET: u8 = 3;
    /// CFG_ACK.
    pub const ACK: u8 = 4;
}

/// Configuration attribute types (RFC 7296 §3.15.1, RFC 8598).
pub mod cfg_attr {
    /// INTERNAL_IP4_ADDRESS.
    pub const INTERNAL_IP4_ADDRESS: u16 = 1;
    /// INTERNAL_IP4_NETMASK.
    pub const INTERNAL_IP4_NETMASK: u16 = 2;
    /// INTERNAL_IP4_DNS.
    pub const INTERNAL_IP4_DNS: u16 = 3;
    /// INTERNAL_IP4_NBNS.
    pub const INTERNAL_IP4_NBNS: u16 = 4;
    /// INTERNAL_IP4_DHCP.
    pub const INTERNAL_IP4_DHCP: u16 = 6;
    /// APPLICATION_VERSION.
    pub const APPLICATION_VERSION: u16 = 7;
    /// INTERNAL_IP6_ADDRESS.
    pub const INTERNAL_IP6_ADDRESS: u16 = 8;
    /// INTERNAL_IP6_DNS.
    pub const INTERNAL_IP6_DNS: u16 = 10;
    /// INTERNAL_IP6_DHCP.
    pub const INTERNAL_IP6_DHCP: u16 = 12;
    /// INTERNAL_IP4_SUBNET.
    pub const INTERNAL_IP4_SUBNET: u16 = 13;
    /// SUPPORTED_ATTRIBUTES.
    pub const SUPPORTED_ATTRIBUTES: u16 = 14;
    /// INTERNAL_IP6_SUBNET.
    pub const INTERNAL_IP6_SUBNET: u16 = 15;
    /// INTERNAL_DNS_DOMAIN (RFC 8598).
    pub const INTERNAL_DNS_DOMAIN: u16 = 25;
    /// INTERNAL_DNSSEC_TA (RFC 8598).
    pub const INTERNAL_DNSSEC_TA: u16 = 26;
}

/// Notify message types (RFC 7296 §3.10.1 and later RFCs).
pub mod notify {
    /// UNSUPPORTED_CRITICAL_PAYLOAD.
    pub const UNSUPPORTED_CRITICAL_PAYLOAD: u16 = 1;
    /// INVALID_IKE_SPI.
    pub const INVALID_IKE_SPI: u16 = 4;
    /// INVALID_MAJOR_VERSION.
    pub const INVALID_MAJOR_VERSION: u16 = 5;
    /// INVALID_SYNTAX.
    pub const INVALID_SYNTAX: u16 = 7;
    /// INVALID_MESSAGE_ID.
    pub const INVALID_MESSAGE_ID: u16 = 9;
    /// INVALID_SPI.
    pub const INVALID_SPI: u16 = 11;
    /// NO_PROPOSAL_CHOSEN.
    pub const NO_PROPOSAL_CHOSEN: u16 = 14;
    /// INVALID_KE_PAYLOAD.
    pub const INVALID_KE_PAYLOAD: u16 = 17;
    /// AUTHENTICATION_FAILED.
    pub const AUTHENTICATION_FAILED: u16 = 24;
    /// SINGLE_PAIR_REQUIRED.
    pub const SINGLE_PAIR_REQUIRED: u16 = 34;
    /// NO_ADDITIONAL_SAS.
    pub const NO_ADDITIONAL_SAS: u16 = 35;
    /// INTERNAL_ADDRESS_FAILURE.
    pub const INTERNAL_ADDRESS_FAILURE: u16 = 36;
    /// FAILED_CP_REQUIRED.
    pub const FAILED_CP_REQUIRED: u16 = 37;
    /// TS_UNACCEPTABLE.
    pub const TS_UNACCEPTABLE: u16 = 38;
    /// INVALID_SELECTORS.
    pub const INVALID_SELECTORS: u16 = 39;
    /// TEMPORARY_FAILURE.
    pub const TEMPORARY_FAILURE: u16 = 43;
    /// CHILD_SA_NOT_FOUND.
    pub const CHILD_SA_NOT_FOUND: u16 = 44;
    /// STATE_NOT_FOUND (RFC 9370): an IKE_FOLLOWUP_KE for an exchange the responder does not
    /// know (any more).
    pub const STATE_NOT_FOUND: u16 = 47;
    /// Highest error type; status types start at 16384.
    pub const ERROR_MAX: u16 = 16383;
    /// INITIAL_CONTACT.
    pub const INITIAL_CONTACT: u16 = 16384;
    /// AUTH_LIFETIME (RFC 4478): seconds until the sender wants the IKE SA reauthenticated.
    pub const AUTH_LIFETIME: u16 = 16403;
    /// SET_WINDOW_SIZE.
    pub const SET_WINDOW_SIZE: u16 = 16385;
    /// ADDITIONAL_TS_POSSIBLE.
    pub const ADDITIONAL_TS_POSSIBLE: u16 = 16386;
    /// IPCOMP_SUPPORTED.
    pub const IPCOMP_SUPPORTED: u16 = 16387;
    /// NAT_DETECTION_SOURCE_IP.
    pub const NAT_DETECTION_SOURCE_IP: u16 = 16388;
    /// NAT_DETECTION_DESTINATION_IP.
    pub const NAT_DETECTION_DESTINATION_IP: u16 = 16389;
    /// COOKIE.
    pub const COOKIE: u16 = 16390;
    /// USE_TRANSPORT_MODE.
    pub const USE_TRANSPORT_MODE: u16 = 16391;
    /// HTTP_CERT_LOOKUP_SUPPORTED.
    pub const HTTP_CERT_LOOKUP_SUPPORTED: u16 = 16392;
    /// REKEY_SA.
    pub const REKEY_SA: u16 = 16393;
    /// ESP_TFC_PADDING_NOT_SUPPORTED.
    pub const ESP_TFC_PADDING_NOT_SUPPORTED: u16 = 16394;
    /// NON_FIRST_FRAGMENTS_ALSO.
    pub const NON_FIRST_FRAGMENTS_ALSO: u16 = 16395;
    /// MOBIKE_SUPPORTED (RFC 4555).
    pub const MOBIKE_SUPPORTED: u16 = 16396;
    /// ADDITIONAL_IP4_ADDRESS (RFC 4555).
    pub const ADDITIONAL_IP4_ADDRESS: u16 = 16397;
    /// ADDITIONAL_IP6_ADDRESS (RFC 4555).
    pub const ADDITIONAL_IP6_ADDRESS: u16 = 16398;
    /// NO_ADDITIONAL_ADDRESSES (RFC 4555).
    pub const NO_ADDITIONAL_ADDRESSES: u16 = 16399;
    /// UPDATE_SA_ADDRESSES (RFC 4555).
    pub const UPDATE_SA_ADDRESSES: u16 = 16400;
    /// COOKIE2 (RFC 4555).
    pub const COOKIE2: u16 = 16401;
    /// NO_NATS_ALLOWED (RFC 4555).
    pub const NO_NATS_ALLOWED: u16 = 16402;
    /// EAP_ONLY_AUTHENTICATION (RFC 5998).
    pub const EAP_ONLY_AUTHENTICATION: u16 = 16417;
    /// IKEV2_FRAGMENTATION_SUPPORTED (RFC 7383).
    pub const IKEV2_FRAGMENTATION_SUPPORTED: u16 = 16430;
    /// SIGNATURE_HASH_ALGORITHMS (RFC 7427).
    pub const SIGNATURE_HASH_ALGORITHMS: u16 = 16431;
    /// INTERMEDIATE_EXCHANGE_SUPPORTED (RFC 9242).
    pub const INTERMEDIATE_EXCHANGE_SUPPORTED: u16 = 16438;
    /// ADDITIONAL_KEY_EXCHANGE (RFC 9370): links IKE_FOLLOWUP_KE exchanges to their
    /// CREATE_CHILD_SA.
    pub const ADDITIONAL_KEY_EXCHANGE: u16 = 16441;
}

/// Hash algorithms for RFC 7427 signatures (SIGNATURE_HASH_ALGORITHMS).
pub mod hash_alg {
    /// SHA1.
    pub const SHA1: u16 = 1;
    /// SHA2-256.
    pub const SHA2_256: u16 = 2;
    /// SHA2-384.
    pub const SHA2_384: u16 = 3;
    /// SHA2-512.
    pub const SHA2_512: u16 = 4;
    /// Identity (used with Ed25519/Ed448).
    pub const IDENTITY: u16 = 5;
}
