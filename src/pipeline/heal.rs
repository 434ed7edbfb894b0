//! What heals: the table that sorts a Kafka client error into what psimon does about it,
//! and the rule that tells a live twin from a fence that followed a broker outage. Pure:
//! no clients, no clock (times are passed in).
//!
//! The table follows librdkafka's own classification of transactional errors
//! (`rd_kafka_error_is_retriable`, `_txn_requires_abort`, `_is_fatal`) and Kafka Streams'
//! handling of the same errors: a retriable error is retried, an abortable one aborts the
//! transaction and re-processes from the last commit (Streams' task corruption), a fenced or
//! otherwise fatal producer is replaced together with its consumer and the worker's state
//! (Streams' `TaskMigratedException` and `REPLACE_THREAD`), and only what no retry can cure
//! (authorisation, an unsupported broker, a config the client refuses, a live twin) stops
//! the process.

use std::time::Duration;

use rdkafka::error::{KafkaError, RDKafkaErrorCode as Code};

/// What to do about an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Remedy {
    /// Transient (a broker or leader moving, a coordinator loading, a time-out): the same
    /// call again after a back-off.
    Retry,
    /// The transaction cannot commit: abort it, rewind every owned partition to its last
    /// checkpoint and go on.
    Abort,
    /// This worker's clients cannot go on (the producer is fenced or failed for good, the
    /// consumer was fenced, a restore kept failing): drop its state without committing,
    /// make new clients and rejoin the group; the partitions restore from the state topic.
    Restart,
    /// Nothing here heals it: say why on `/readyz` and in the log, then exit non-zero.
    Stop,
}

/// Errors that no retry, abort or new client cures.
fn cannot_heal(code: Code) -> bool {
    matches!(
        code,
        Code::TopicAuthorizationFailed
            | Code::GroupAuthorizationFailed
            | Code::ClusterAuthorizationFailed
            | Code::TransactionalIdAuthorizationFailed
            | Code::SaslAuthenticationFailed
            | Code::Authentication
            | Code::UnsupportedVersion
            | Code::UnsupportedForMessageFormat
            | Code::UnsupportedFeature
            | Code::InvalidConfig
            | Code::InvalidArgument
            | Code::UnsupportedSASLMechanism
            | Code::InvalidTransactionTimeout
    )
}

/// Transient errors: brokers, leaders and coordinators moving, time-outs, transport.
fn transient(code: Code) -> bool {
    matches!(
        code,
        Code::UnknownTopicOrPartition
            | Code::UnknownPartition
            | Code::LeaderNotAvailable
            | Code::NotLeaderForPartition
            | Code::NotCoordinator
            | Code::CoordinatorNotAvailable
            | Code::CoordinatorLoadInProgress
            | Code::NotEnoughReplicas
            | Code::NotEnoughReplicasAfterAppend
            | Code::RequestTimedOut
            | Code::NetworkException
            | Code::BrokerTransportFailure
            | Code::AllBrokersDown
            | Code::OperationTimedOut
            | Code::MessageTimedOut
            | Code::TimedOutQueue
            | Code::Resolve
            | Code::WaitingForCoordinator
            | Code::ConcurrentTransactions
            | Code::DestroyBroker
            | Code::Retry
            | Code::FetchSessionIdNotFound
            | Code::InvalidFetchSessionEpoch
            | Code::OffsetNotAvailable
            | Code::KafkaStorageError
            | Code::UnstableOffsetCommit
            | Code::RebalanceInProgress
            | Code::PreferredLeaderNotAvailable
            | Code::ThrottlingQuotaExceeded
    )
}

/// Errors that mean this producer's or consumer's identity was taken over.
fn fenced(code: Code) -> bool {
    matches!(
        code,
        Code::Fenced
            | Code::ProducerFenced
            | Code::InvalidProducerEpoch
            | Code::FencedInstanceId
            | Code::InvalidProducerIdMapping
            | Code::UnknownProducerId
            | Code::OutOfOrderSequenceNumber
    )
}

/// The flags librdkafka attaches to a transactional error (all false for other errors).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct TxnFlags {
    pub fatal: bool,
    pub retriable: bool,
    pub requires_abort: bool,
}

/// The remedy for an error of a transactional call (begin, send, send offsets, commit,
/// abort) with librdkafka's flags.
pub(crate) fn txn_remedy(code: Code, flags: TxnFlags) -> Remedy {
    if cannot_heal(code) {
        Remedy::Stop
    } else if flags.fatal || fenced(code) {
        Remedy::Restart
    } else if flags.requires_abort {
        Remedy::Abort
    } else if flags.retriable || transient(code) {
        Remedy::Retry
    } else {
        // Unknown and not fatal: aborting is always safe, the input is re-read.
        Remedy::Abort
    }
}

/// The code and flags of any `KafkaError`.
pub(crate) fn code_and_flags(e: &KafkaError) -> (Code, TxnFlags) {
    match e {
        KafkaError::Transaction(t) => (
            t.code(),
            TxnFlags {
                fatal: t.is_fatal(),
                retriable: t.is_retriable(),
                requires_abort: t.txn_requires_abort(),
            },
        ),
        other => (
            other.rdkafka_error_code().unwrap_or(Code::Unknown),
            TxnFlags::default(),
        ),
    }
}

/// Whether an error is a fence (the producer's epoch or the consumer's instance id taken
/// over by someone, perhaps this very process rejoining after an outage).
pub(crate) fn is_fence(e: &KafkaError) -> bool {
    fenced(code_and_flags(e).0)
}

/// Errors that mean the cluster could not be reached or answered too late: a life that
/// saw one and then was fenced was fenced by the outage (its session expired, its
/// transaction timed out), not by a twin.
pub(crate) fn is_outage(code: Code) -> bool {
    matches!(
        code,
        Code::BrokerTransportFailure
            | Code::AllBrokersDown
            | Code::OperationTimedOut
            | Code::RequestTimedOut
            | Code::NetworkException
            | Code::Resolve
            | Code::MessageTimedOut
            | Code::TimedOutQueue
            | Code::CoordinatorNotAvailable
            | Code::NotCoordinator
    )
}

/// How many fences in a row, each ending a worker life shorter than `SHORT_LIFE` that saw
/// no outage, prove a live twin: two instances with one `kafka.instance_id` fence each
/// other within seconds, over and over, while the cluster answers; a fence after a broker
/// outage follows errors of the outage, and the next life is long.
pub(crate) const TWIN_FENCES: u32 = 3;
pub(crate) const SHORT_LIFE: Duration = Duration::from_secs(60);

/// The fences of one worker, to tell a live twin from a fence that heals by rejoining.
#[derive(Debug, Default)]
pub(crate) struct FenceRecord {
    short_in_a_row: u32,
}

impl FenceRecord {
    /// A worker life of `lived` ended by a fence (`outage`: it saw the cluster fail):
    /// `true` when that proves a live twin.
    pub(crate) fn fenced(&mut self, lived: Duration, outage: bool) -> bool {
        if lived < SHORT_LIFE && !outage {
            self.short_in_a_row += 1;
        } else {
            self.short_in_a_row = 0;
        }
        self.short_in_a_row >= TWIN_FENCES
    }

    /// A worker life ended otherwise (or is known healthy): the count starts over.
    pub(crate) fn other(&mut self) {
        self.short_in_a_row = 0;
    }
}

/// The back-off before the `attempt`-th retry (0-based): 250 ms doubling up to 30 s.
pub(crate) fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(250u64.saturating_mul(1 << attempt.min(7))).min(Duration::from_secs(30))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NONE: TxnFlags = TxnFlags {
        fatal: false,
        retriable: false,
        requires_abort: false,
    };

    /// The table of the closing note, as librdkafka flags its errors.
    #[test]
    fn the_error_table() {
        let abortable = TxnFlags {
            requires_abort: true,
            ..NONE
        };
        let retriable = TxnFlags {
            retriable: true,
            ..NONE
        };
        let fatal = TxnFlags {
            fatal: true,
            ..NONE
        };
        let rows = [
            // Records timed out during a failover: librdkafka asks for an abort with an
            // epoch bump, which abort_transaction does.
            (Code::MessageTimedOut, abortable, Remedy::Abort),
            (Code::BrokerTransportFailure, abortable, Remedy::Abort),
            (Code::InvalidTransactionalState, abortable, Remedy::Abort),
            // Commit or send-offsets that timed out: the outcome is unknown, call again.
            (Code::OperationTimedOut, retriable, Remedy::Retry),
            (Code::CoordinatorLoadInProgress, retriable, Remedy::Retry),
            (Code::NotCoordinator, NONE, Remedy::Retry),
            (Code::UnknownTopicOrPartition, NONE, Remedy::Retry),
            (Code::LeaderNotAvailable, NONE, Remedy::Retry),
            (Code::NotEnoughReplicas, NONE, Remedy::Retry),
            // The producer cannot go on: a new one (and a rejoin) heals it.
            (Code::ProducerFenced, fatal, Remedy::Restart),
            (Code::InvalidProducerEpoch, NONE, Remedy::Restart),
            (Code::InvalidTransactionalState, fatal, Remedy::Restart),
            (Code::Fenced, fatal, Remedy::Restart),
            // Nothing heals these.
            (
                Code::TransactionalIdAuthorizationFailed,
                fatal,
                Remedy::Stop,
            ),
            (Code::TopicAuthorizationFailed, abortable, Remedy::Stop),
            (Code::UnsupportedVersion, NONE, Remedy::Stop),
            // Unknown, not fatal: abort and re-read.
            (Code::Unknown, NONE, Remedy::Abort),
        ];
        for (code, flags, want) in rows {
            assert_eq!(txn_remedy(code, flags), want, "{code:?} with {flags:?}");
        }
    }

    #[test]
    fn a_fence_after_an_outage_is_not_a_twin() {
        let mut r = FenceRecord::default();
        // Long lives ended by fences (one per broker outage): never a twin.
        for _ in 0..10 {
            assert!(!r.fenced(Duration::from_secs(300), false));
        }
        // Short lives fenced after errors of an outage (freezes in quick succession).
        for _ in 0..10 {
            assert!(!r.fenced(Duration::from_secs(20), true));
        }
        // Two quick fences, then a long life: still not.
        assert!(!r.fenced(Duration::from_secs(5), false));
        assert!(!r.fenced(Duration::from_secs(5), false));
        assert!(!r.fenced(Duration::from_secs(120), false));
        assert!(!r.fenced(Duration::from_secs(5), false));
        // An outage between quick fences starts over too.
        assert!(!r.fenced(Duration::from_secs(5), false));
        assert!(!r.fenced(Duration::from_secs(5), true));
        assert!(!r.fenced(Duration::from_secs(5), false));
        // A life ended otherwise starts over.
        r.other();
        assert!(!r.fenced(Duration::from_secs(5), false));
        assert!(!r.fenced(Duration::from_secs(5), false));
    }

    #[test]
    fn fences_in_quick_succession_are_a_live_twin() {
        let mut r = FenceRecord::default();
        assert!(!r.fenced(Duration::from_secs(4), false));
        assert!(!r.fenced(Duration::from_secs(6), false));
        assert!(r.fenced(Duration::from_secs(3), false));
    }

    #[test]
    fn backoff_doubles_to_thirty_seconds() {
        assert_eq!(backoff(0), Duration::from_millis(250));
        assert_eq!(backoff(1), Duration::from_millis(500));
        assert_eq!(backoff(6), Duration::from_secs(16));
        assert_eq!(backoff(7), Duration::from_secs(30));
        assert_eq!(backoff(40), Duration::from_secs(30));
    }
}
