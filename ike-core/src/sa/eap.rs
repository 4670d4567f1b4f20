//! What an IKE SA remembers while EAP runs inside IKE_AUTH (RFC 7296 §2.16): from the first
//! IKE_AUTH message until the AUTH payloads computed with the EAP method's key.

use crate::crypto::Secret;
use crate::wire::{IdPayload, Payload};

/// The values of one MS-CHAPv2 run (RFC 2759).
#[derive(Debug, Clone)]
pub(crate) struct MsChapRun {
    /// The server's challenge.
    pub auth_challenge: [u8; 16],
    /// The authenticator response the server must send (`S=`), or sent.
    pub auth_response: [u8; 20],
    /// Initiator: the server proved it knows the password (its `S=` matched).
    pub server_verified: bool,
}

/// EAP state of an IKE SA, either side.
#[derive(Debug, Clone, Default)]
pub(crate) struct EapState {
    /// Initiator: the responder's IDr from its first answer, after its AUTH was verified.
    pub peer_id: Option<IdPayload>,
    /// EAP succeeded: the AUTH payloads that follow are computed with `key`.
    pub succeeded: bool,
    /// The key for the AUTH payloads: the method's MSK, or `None` for methods without one
    /// (then SK_pi / SK_pr, RFC 7296 §2.16).
    pub msk: Option<Secret>,
    /// The MS-CHAPv2 run, once a challenge was sent or answered.
    pub mschap: Option<MsChapRun>,
    /// Responder: the EAP-MD5 challenge sent.
    pub md5_challenge: Option<[u8; 16]>,
    /// Initiator: a method answered a request of the gateway (GTC), so an EAP-Success may end
    /// the method.
    pub answered: bool,
    /// Initiator: why the gateway refused us (its method's failure message), reported when
    /// the EAP-Failure comes.
    pub refused: Option<String>,
    /// Responder: the initiator's first IKE_AUTH request (IDi, SA, TS, CP), used once EAP
    /// succeeded.
    pub first: Vec<Payload>,
    /// Responder: the identifier of the EAP request in flight.
    pub identifier: u8,
    /// Responder: the EAP identity the initiator gave.
    pub user: Option<String>,
    /// Responder: the password check failed; the next EAP response ends the IKE SA.
    pub failed: bool,
}
