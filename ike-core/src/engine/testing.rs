//! Test and fuzzing access to an IKE SA's SK ciphers, so that a harness can forge protected
//! messages under real keys. Compiled only with the `fuzzing` feature (the ike-core tests and
//! the fuzz crate enable it); a normal build has no way to read keys out of the engine.

use super::{Engine, IkeSaHandle};
use crate::crypto::{default_provider, Role, SkCipher};

/// The SK ciphers and SPIs of one IKE SA (see [`Engine::fuzzing_sk_ciphers`]).
#[derive(Debug)]
pub struct FuzzingSkCiphers {
    /// Whether the engine is the IKE SA's original initiator.
    pub initiator: bool,
    /// The initiator's SPI.
    pub spi_i: [u8; 8],
    /// The responder's SPI.
    pub spi_r: [u8; 8],
    /// Protects messages sent by the initiator.
    pub i_to_r: SkCipher,
    /// Protects messages sent by the responder.
    pub r_to_i: SkCipher,
}

impl Engine {
    /// The handles of every IKE SA the engine holds.
    #[doc(hidden)]
    pub fn fuzzing_sa_handles(&self) -> Vec<IkeSaHandle> {
        self.sas.keys().copied().collect()
    }

    /// The SK ciphers of an IKE SA whose keys are derived (`None` before IKE_SA_INIT ends).
    #[doc(hidden)]
    pub fn fuzzing_sk_ciphers(&self, handle: IkeSaHandle) -> Option<FuzzingSkCiphers> {
        let sa = self.sas.get(&handle)?;
        let keys = sa.keys.as_ref()?;
        let (i_to_r, r_to_i) = keys
            .sk
            .sk_ciphers(default_provider(), &keys.suite, Role::Initiator)
            .ok()?;
        Some(FuzzingSkCiphers {
            initiator: sa.initiator,
            spi_i: sa.spi_i,
            spi_r: sa.spi_r,
            i_to_r,
            r_to_i,
        })
    }
}
