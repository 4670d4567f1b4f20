//! Internal errors of the exchanges and the SA code. Whose fault it is decides what happens:
//! only the peer's faults are answered with a notify; our own (random generator, crypto,
//! local state) are reported as what they are ([`Failure::Local`]).

use core::fmt;

use super::failure::{Failure, LocalFault};
use crate::crypto::CryptoError;
use crate::ids::notify;

/// An error inside an exchange or the SA code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum IkeError {
    /// The peer sent something wrong; where an answer is due it carries `notify`.
    Peer {
        /// The error notify type that answers it (INVALID_SYNTAX, NO_PROPOSAL_CHOSEN, ...).
        notify: u16,
        /// What was wrong.
        detail: String,
    },
    /// Our own fault: nothing the peer did, never answered as if it were.
    Local {
        /// Which part of ours failed.
        fault: LocalFault,
        /// What failed.
        detail: String,
    },
}

impl IkeError {
    /// A malformed or unexpected message of the peer (INVALID_SYNTAX).
    pub(crate) fn syntax(detail: impl Into<String>) -> Self {
        IkeError::Peer {
            notify: notify::INVALID_SYNTAX,
            detail: detail.into(),
        }
    }

    /// A request of the peer refused with `notify`.
    pub(crate) fn refused(notify: u16, detail: impl Into<String>) -> Self {
        IkeError::Peer {
            notify,
            detail: detail.into(),
        }
    }

    /// Our random generator failed.
    pub(crate) fn rng(detail: impl fmt::Display) -> Self {
        IkeError::local(LocalFault::Rng, detail)
    }

    /// A cryptographic operation of ours failed.
    pub(crate) fn crypto(detail: impl fmt::Display) -> Self {
        IkeError::local(LocalFault::Crypto, detail)
    }

    /// Our own state or configuration does not allow the step.
    pub(crate) fn state(detail: impl fmt::Display) -> Self {
        IkeError::local(LocalFault::State, detail)
    }

    fn local(fault: LocalFault, detail: impl fmt::Display) -> Self {
        IkeError::Local {
            fault,
            detail: detail.to_string(),
        }
    }

    /// The same error with `what` (the step that failed) in front of its detail.
    pub(crate) fn context(self, what: &str) -> Self {
        match self {
            IkeError::Peer { notify, detail } => IkeError::Peer {
                notify,
                detail: format!("{what}: {detail}"),
            },
            IkeError::Local { fault, detail } => IkeError::Local {
                fault,
                detail: format!("{what}: {detail}"),
            },
        }
    }

    /// What was wrong, without whose fault it was.
    pub(crate) fn detail(&self) -> &str {
        match self {
            IkeError::Peer { detail, .. } | IkeError::Local { detail, .. } => detail,
        }
    }

    /// The notify that answers this error, if it is the peer's fault.
    pub(crate) fn notify(&self) -> Option<u16> {
        match self {
            IkeError::Peer { notify, .. } => Some(*notify),
            IkeError::Local { .. } => None,
        }
    }

    /// An error of the peer's key exchange value: the peer's fault when the value is bad,
    /// ours otherwise.
    pub(crate) fn from_peer_ke(e: CryptoError) -> Self {
        match e {
            CryptoError::InvalidPublicValue(_) | CryptoError::InvalidSharedSecret => {
                IkeError::syntax(e.to_string())
            }
            other => IkeError::from(other),
        }
    }
}

impl From<CryptoError> for IkeError {
    /// A crypto error of our own operation (the random generator or anything else).
    fn from(e: CryptoError) -> Self {
        match e {
            CryptoError::RngFailure => IkeError::rng(e),
            other => IkeError::crypto(other),
        }
    }
}

impl fmt::Display for IkeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IkeError::Peer { detail, .. } => f.write_str(detail),
            IkeError::Local { fault, detail } => write!(f, "{fault}: {detail}"),
        }
    }
}

impl std::error::Error for IkeError {}

impl From<IkeError> for Failure {
    fn from(e: IkeError) -> Self {
        match e {
            IkeError::Peer { detail, .. } => Failure::ProtocolError(detail),
            IkeError::Local { fault, detail } => Failure::Local { fault, detail },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_peer_faults_carry_a_notify() {
        assert_eq!(
            IkeError::syntax("bad").notify(),
            Some(notify::INVALID_SYNTAX)
        );
        let rng = IkeError::from(CryptoError::RngFailure);
        assert_eq!(rng.notify(), None);
        let f = Failure::from(rng);
        assert!(matches!(
            f,
            Failure::Local {
                fault: LocalFault::Rng,
                ..
            }
        ));
        assert_eq!(f.notify_type(), None);
        assert!(f.to_string().contains("random number generator"), "{f}");
        let ke = IkeError::from_peer_ke(CryptoError::InvalidPublicValue("off curve"));
        assert_eq!(ke.notify(), Some(notify::INVALID_SYNTAX));
        let ke = IkeError::from_peer_ke(CryptoError::RngFailure);
        assert_eq!(ke.notify(), None);
    }
}
