//! Errors of proposal parsing and negotiation.
//!
//! Parse errors name the offending token, the 1-based proposal number and the whole setting
//! (`ike=...` / `esp=...`), and carry a suggestion when the token looks like a typo of a name
//! we know. Negotiation errors carry what the peer offered, formatted in strongSwan syntax, so
//! that the user can be told which proposals the gateway wants.

use super::registry::{transform_type_name, TransformKind};
use super::Protocol;

fn did_you_mean(s: &Option<String>) -> String {
    match s {
        Some(name) => format!("; did you mean {name}?"),
        None => String::new(),
    }
}

fn join(list: &[String]) -> String {
    if list.is_empty() {
        "nothing".to_owned()
    } else {
        list.join(", ")
    }
}

fn join_types(list: &[u8]) -> String {
    list.iter()
        .map(|t| transform_type_name(*t))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A proposal string (Libreswan or strongSwan syntax) or a neutral transform list could not be
/// turned into a [`super::Proposal`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProposalError {
    /// The whole setting is empty.
    #[error("the {protocol} proposal list is empty")]
    EmptyList {
        /// IKE or ESP.
        protocol: Protocol,
    },
    /// A proposal between commas is empty.
    #[error("proposal {proposal} of {input} is empty")]
    EmptyProposal {
        /// 1-based proposal number.
        proposal: usize,
        /// The setting, e.g. `ike=aes128-sha1,,aes256-sha256`.
        input: String,
    },
    /// A field (between `-`, `;` or `+`) is empty.
    #[error("empty {field} in proposal {proposal} of {input}")]
    EmptyField {
        /// Which field was expected there.
        field: TransformKind,
        /// 1-based proposal number.
        proposal: usize,
        /// The setting.
        input: String,
    },
    /// A name nobody knows.
    #[error(
        "unknown algorithm \"{token}\" in proposal {proposal} of {input}{}",
        did_you_mean(.suggestion)
    )]
    UnknownAlgorithm {
        /// The token as written.
        token: String,
        /// The field the token stands in, when the syntax tells.
        field: Option<TransformKind>,
        /// 1-based proposal number.
        proposal: usize,
        /// The setting.
        input: String,
        /// A close known name.
        suggestion: Option<String>,
    },
    /// A name Libreswan or strongSwan knows but that we do not implement.
    #[error("algorithm \"{token}\" in proposal {proposal} of {input} is not supported: {reason}")]
    NotSupported {
        /// The token as written.
        token: String,
        /// Why (weak, not implemented...).
        reason: &'static str,
        /// 1-based proposal number.
        proposal: usize,
        /// The setting.
        input: String,
    },
    /// A cipher with a key length it does not have.
    #[error(
        "invalid key length {bits} in \"{token}\" (proposal {proposal} of {input}): {valid}{}",
        did_you_mean(.suggestion)
    )]
    InvalidKeyLength {
        /// The token as written.
        token: String,
        /// The key length found.
        bits: u32,
        /// What is valid, in words.
        valid: String,
        /// 1-based proposal number.
        proposal: usize,
        /// The setting.
        input: String,
        /// A corrected name.
        suggestion: Option<String>,
    },
    /// A known name in the wrong place, e.g. a KE group where the PRF belongs.
    #[error(
        "\"{token}\" is a {found} but a {expected} is expected there (proposal {proposal} of {input}){}",
        hint.map(|h| format!("; {h}")).unwrap_or_default()
    )]
    WrongPlace {
        /// The token as written.
        token: String,
        /// What it is.
        found: TransformKind,
        /// What the position wants.
        expected: TransformKind,
        /// 1-based proposal number.
        proposal: usize,
        /// The setting.
        input: String,
        /// How to fix it.
        hint: Option<&'static str>,
    },
    /// Something left over or not allowed at this point.
    #[error("unexpected \"{token}\" in proposal {proposal} of {input}: {reason}")]
    Unexpected {
        /// The token as written.
        token: String,
        /// Why it is not allowed.
        reason: &'static str,
        /// 1-based proposal number.
        proposal: usize,
        /// The setting.
        input: String,
    },
    /// AEAD and classic ciphers in one proposal.
    #[error(
        "proposal {proposal} of {input} mixes the AEAD cipher \"{aead}\" with the non-AEAD cipher \"{classic}\"; put them in separate proposals"
    )]
    MixedAead {
        /// The AEAD token.
        aead: String,
        /// The classic token.
        classic: String,
        /// 1-based proposal number.
        proposal: usize,
        /// The setting.
        input: String,
    },
    /// A mandatory transform is missing.
    #[error("proposal {proposal} of {input} has no {field}: {hint}")]
    Missing {
        /// What is missing.
        field: TransformKind,
        /// How to fix it.
        hint: &'static str,
        /// 1-based proposal number.
        proposal: usize,
        /// The setting.
        input: String,
    },
    /// A neutral transform list has a transform type we cannot represent.
    #[error("{} transforms are not supported", transform_type_name(*ttype))]
    UnsupportedTransformType {
        /// The IANA transform type.
        ttype: u8,
    },
    /// A neutral transform list has a key length on a transform that takes none.
    #[error("unexpected key length {key_len} on {} {id}", transform_type_name(*ttype))]
    UnexpectedKeyLength {
        /// The IANA transform type.
        ttype: u8,
        /// The transform id.
        id: u16,
        /// The key length found.
        key_len: u16,
    },
    /// A proposal built in code is not valid for its protocol.
    #[error("invalid {protocol} proposal {proposal}: {reason}")]
    Invalid {
        /// IKE or ESP.
        protocol: Protocol,
        /// 1-based proposal number within its set (1 for a lone proposal).
        proposal: usize,
        /// What is wrong.
        reason: String,
    },
}

/// Negotiation failed (responder side) or the peer's answer is not acceptable (initiator
/// side).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NegotiationError {
    /// None of the peer's proposals is acceptable: answer NO_PROPOSAL_CHOSEN (responder) or
    /// report that the gateway's proposals do not match ours.
    #[error(
        "no proposal chosen: the peer offered {} and we accept {}{}",
        join(.offered),
        join(.ours),
        if .mismatched.is_empty() { String::new() } else {
            format!(" (nothing in common for: {})", join_types(.mismatched))
        }
    )]
    NoProposalChosen {
        /// The peer's proposals in strongSwan syntax, in the peer's order.
        offered: Vec<String>,
        /// Our proposals in strongSwan syntax.
        ours: Vec<String>,
        /// Transform types for which no transform offered in any peer proposal is in any of
        /// ours: the likely culprit (e.g. the gateway insists on modp1024).
        mismatched: Vec<u8>,
    },
    /// The responder's proposal number does not name a proposal we sent.
    #[error("the responder chose proposal number {number}, but we sent {count} proposals")]
    ResponseUnknownNumber {
        /// The number in the answer.
        number: u8,
        /// How many we sent.
        count: usize,
    },
    /// The responder answered with another protocol.
    #[error("the responder answered with protocol {got}, expected {expected}")]
    ResponseProtocolMismatch {
        /// What we proposed (1 = IKE, 3 = ESP).
        expected: u8,
        /// What came back.
        got: u8,
    },
    /// The responder's proposal has not exactly one transform of a type.
    #[error(
        "the responder's proposal has {count} {} transforms; exactly one is required",
        transform_type_name(*ttype)
    )]
    ResponseTransformCount {
        /// The transform type.
        ttype: u8,
        /// How many there are.
        count: usize,
    },
    /// The responder's proposal lacks a mandatory transform.
    #[error("the responder's proposal has no {}", transform_type_name(*ttype))]
    ResponseMissingTransform {
        /// The transform type.
        ttype: u8,
    },
    /// The responder chose something we did not propose.
    #[error("the responder chose {chosen}, which we did not propose (we proposed {})", join(.ours))]
    ResponseNotProposed {
        /// The answer in strongSwan syntax.
        chosen: String,
        /// What we sent, in strongSwan syntax.
        ours: Vec<String>,
    },
    /// The peer asked (INVALID_KE_PAYLOAD) for a key exchange method we do not have.
    #[error("the peer requires key exchange method {requested}, which is not configured (we have {})", join(.ours))]
    KeNotConfigured {
        /// The group the peer wants, as a strongSwan token.
        requested: String,
        /// Our groups, as strongSwan tokens.
        ours: Vec<String>,
    },
}
