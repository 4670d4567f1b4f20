//! The crypto layer: a [`CryptoProvider`] trait with one aws-lc-rs implementation (MODP via
//! crypto-bigint), and the IKEv2 protocol computations written once on top of it.
//!
//! - [`algorithms`]: ENCR/PRF/INTEG/KE enums with IANA ids and sizes; [`IkeSuite`], [`EspSuite`].
//! - [`rng`]: the injected [`Rng`] ([`SystemRng`] for production, [`DeterministicRng`] and
//!   [`FixedRng`] for tests).
//! - [`dh`] / MODP: [`KeyExchange`] (public value in KE payload format, [`SharedSecret`]).
//! - [`sk_cipher`]: [`SkCipher`] for SK/SKF payload bodies (AES-GCM-16, ChaCha20-Poly1305,
//!   AES-CBC + HMAC), [`SkLayout`] for lengths.
//! - [`prf`]: prf and prf+; [`keys`]: SKEYSEED, SK_*, rekey, Child SA KEYMAT.
//! - [`auth`]: signed octets, PSK AUTH, RFC 7427/4754 signature AUTH.
//! - [`eap_md5`]: the EAP-MD5-Challenge response (RFC 3748 §5.4).
//! - [`mschapv2`]: MS-CHAPv2 responses and its EAP master session key (RFC 2759, RFC 3079).
//! - [`signature`]: [`SigningKey`], [`SignatureScheme`]; [`asn1_alg_id`]: RFC 7427
//!   AlgorithmIdentifiers and SPKI/PKCS#8 key types; [`pem`]: PEM to DER.
//!
//! Secrets live in [`Secret`] / [`SharedSecret`] (zeroized on drop, constant-time equality,
//! redacted `Debug`).

pub mod algorithms;
pub mod asn1_alg_id;
pub mod auth;
mod aws_lc;
mod der;
pub mod dh;
pub mod eap_md5;
mod error;
pub mod keys;
pub mod mlkem;
mod modp;
pub mod mschapv2;
pub mod pem;
pub mod prf;
pub mod provider;
pub mod rng;
mod secret;
pub mod signature;
pub mod sk_cipher;

pub use algorithms::{AesKeySize, Encr, EspSuite, HashAlg, IkeSuite, Integ, KeGroup, Prf};
pub use auth::{AuthData, SignatureAuth};
pub use aws_lc::{default_provider, AwsLcProvider, AWS_LC_PROVIDER};
pub use dh::KeyExchange;
pub use error::CryptoError;
pub use keys::{ChildSaKeys, DirectionalKeys, IkeSaKeyInputs, IkeSaKeys, Role};
pub use modp::modp_prime;
pub use provider::{Aead, CbcCipher, CryptoProvider, HmacKey};
pub use rng::{DeterministicRng, FixedRng, Rng, SystemRng};
pub use secret::{Secret, SharedSecret};
pub use signature::{EcCurve, PrivateKeyDer, PublicKeyType, SignatureScheme, SigningKey};
pub use sk_cipher::{SkCipher, SkLayout};
