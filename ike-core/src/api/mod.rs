//! The engine's vocabulary: the types its public API speaks (configuration, events, kernel
//! operations, failures, identities, time, secrets).
//!
//! They live below [`crate::engine`], [`crate::exchange`] and [`crate::sa`] so that the
//! exchanges and the SA code can use them without importing the engine; the engine
//! re-exports them (`ike_core::engine::Event`, ...), which is their public path.

mod config;
mod error;
mod failure;
mod identity;
mod output;
mod retransmit;
mod secret;
mod time;

pub use config::{
    load_pem_certs, load_pem_crls, AddressPool, ChildConfig, ConfigError, ConnectionConfig,
    EapCredentials, EapMethod, EapServer, EngineConfig, Fragmentation, LocalAuth, Mode, RemoteAuth,
    RequestConfig, ResponderConfig, Revocation, ServeConfig,
};
pub(crate) use error::IkeError;
pub use failure::{AuthBy, Failure, LocalFault, Phase};
pub use identity::{Identity, IdentityParseError, PeerName};
pub use output::{
    AssignedAddress, Direction, DownReason, EspCipher, Event, IkeSaHandle, KernelEvent, KernelOp,
    KernelRequest, Lifetime, NatInfo, PathUpdate, ReceivedConfig, Transmit, UdpEncap,
};
pub use retransmit::RetransmitConfig;
pub use secret::SecretBytes;
pub use time::Time;
