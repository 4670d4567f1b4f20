//! State of RFC 9370 additional key exchanges after a CREATE_CHILD_SA (IKE_FOLLOWUP_KE,
//! §2.2.4): what our request negotiated until its last key exchange is done, and what the
//! peer's request negotiated until its last IKE_FOLLOWUP_KE arrives.

use crate::crypto::SharedSecret;
use crate::proposal::Proposal;
use crate::wire::TrafficSelector;

use super::keys::KePrivate;
use super::CcsWait;

/// What the CREATE_CHILD_SA creates once every key exchange is done.
#[derive(Debug)]
pub(crate) enum FollowupFor {
    /// A new IKE SA (our rekey of the IKE SA): its SPIs and algorithms.
    Ike {
        spi_i: [u8; 8],
        spi_r: [u8; 8],
        chosen: Proposal,
    },
    /// A rekeyed Child SA (ours): what `create_child` installs at the end.
    Child {
        old_spi_in: u32,
        new_spi_in: u32,
        spi_out: u32,
        chosen: Proposal,
        tsi: Vec<TrafficSelector>,
        tsr: Vec<TrafficSelector>,
    },
}

/// Our CREATE_CHILD_SA answered, its additional key exchanges under way (initiator).
#[derive(Debug)]
pub(crate) struct FollowupOut {
    pub what: FollowupFor,
    pub ni: Vec<u8>,
    pub nr: Vec<u8>,
    /// SK(0), SK(1), ... so far.
    pub shared: Vec<SharedSecret>,
    /// The key exchanges still to run: (ADDKE transform type, method).
    pub pending: Vec<(u8, u16)>,
    /// The responder's ADDITIONAL_KEY_EXCHANGE data, echoed in the next request.
    pub link: Vec<u8>,
    /// The key exchange in flight.
    pub ke: Option<KePrivate>,
}

/// What the peer's CREATE_CHILD_SA creates once its last IKE_FOLLOWUP_KE arrives.
#[derive(Debug)]
pub(crate) enum FollowupThen {
    /// A new IKE SA (the peer's rekey of the IKE SA).
    Ike {
        spi_i: [u8; 8],
        spi_r: [u8; 8],
        chosen: Box<Proposal>,
    },
    /// A rekeyed Child SA (the peer's), answered with our inbound SPI.
    Child { wait: Box<CcsWait>, spi_in: u32 },
}

/// The peer's CREATE_CHILD_SA answered, waiting for its IKE_FOLLOWUP_KE requests (responder).
#[derive(Debug)]
pub(crate) struct FollowupIn {
    pub then: FollowupThen,
    pub ni: Vec<u8>,
    pub nr: Vec<u8>,
    pub shared: Vec<SharedSecret>,
    pub pending: Vec<(u8, u16)>,
    /// The ADDITIONAL_KEY_EXCHANGE data we sent last.
    pub link: Vec<u8>,
    /// When the state is dropped if the next IKE_FOLLOWUP_KE has not come (RFC 9370 §2.2.4
    /// asks the responder to give up after a while; 5 to 20 s is suggested).
    pub deadline: crate::api::Time,
}
