//! What a transaction's failure is and what heals it, and where a dead letter came from:
//! shared by the transactional producer and the ports the owner talks through.

use rdkafka::error::KafkaError;
use thiserror::Error;

use super::abandon::Hung;
use super::heal::{self, Remedy};

#[derive(Debug, Error)]
pub(crate) enum TxnError {
    /// The transaction was aborted (or could not be committed): re-read from the last
    /// committed checkpoint.
    #[error("the transaction failed and was aborted: {0}")]
    Aborted(KafkaError),
    /// This producer cannot go on: fenced (by a newer instance with the same id, or by the
    /// coordinator after a time-out), or another fatal error. A new producer heals it.
    #[error("the transactional producer is fenced or failed for good: {0}")]
    Fatal(KafkaError),
    /// Nothing heals it: authorisation denied, an unsupported broker, a refused config.
    #[error("the transactional producer cannot work with this cluster: {0}")]
    Stop(KafkaError),
    /// A call never returned: the producer is given up, as a fatal one is.
    #[error("the transactional producer hangs: {0}")]
    Hung(Hung),
}

impl From<Hung> for TxnError {
    fn from(h: Hung) -> Self {
        TxnError::Hung(h)
    }
}

impl TxnError {
    pub(crate) fn is_fenced(&self) -> bool {
        matches!(self, TxnError::Fatal(e) if heal::is_fence(e))
    }

    pub(crate) fn remedy(&self) -> Remedy {
        match self {
            TxnError::Aborted(_) => Remedy::Abort,
            TxnError::Fatal(_) => Remedy::Restart,
            TxnError::Stop(_) => Remedy::Stop,
            TxnError::Hung(h) if h.too_many() => Remedy::Stop,
            TxnError::Hung(_) => Remedy::Restart,
        }
    }
}

/// Where a dead letter came from.
pub(crate) struct Source<'a> {
    pub topic: &'a str,
    pub partition: i32,
    pub offset: i64,
}
