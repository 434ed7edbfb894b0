//! The transactional producer of the consumer thread: state records (panes, tombstones,
//! offsets, drift states) and dead letters go out in one Kafka transaction together with the
//! consumed input offsets. A transaction opens at the first record and closes at the next
//! checkpoint; if it fails, nothing in it happened (read_committed readers never see it).
//!
//! Errors are sorted by `heal`: a commit whose outcome is unknown (a time-out, a
//! coordinator moving) is retried for up to the transaction time-out; an abortable error
//! aborts (`TxnError::Aborted`: the owner rewinds); a fenced or failed producer is
//! `Fatal` (the worker is restarted with a new one); what nothing heals is `Stop`. A call
//! that librdkafka never returns from (its coordinator requests can ignore their time-out)
//! is abandoned at twice its time-out (`abandon`): `Hung`, and the worker restarts with a
//! new producer, as for `Fatal`.

use std::sync::Arc;
use std::time::Duration;

use rdkafka::config::ClientConfig;
use rdkafka::consumer::ConsumerGroupMetadata;
use rdkafka::error::{KafkaError, KafkaResult, RDKafkaErrorCode};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{BaseRecord, DeliveryResult, Producer, ProducerContext, ThreadedProducer};
use rdkafka::{ClientContext, TopicPartitionList};
use tracing::warn;

use super::abandon::{Hung, bounded};
use super::heal::{self, Remedy};
use super::ports::TxnSink;
pub(crate) use super::txn_error::{Source, TxnError};
use crate::kafka::log::LogThrottle;
use crate::output::metrics::Metrics;

const DEAD_LETTER: usize = 0;
const STATE: usize = 1;
const DRIFT_EVENT: usize = 2;

/// Headers and key room kept free below `dead_letter_max_bytes` when truncating.
const DLQ_OVERHEAD: usize = 2048;

/// The default `transaction.timeout.ms`: longer than a broker failover (a session time-out
/// of up to 30 s for the dead broker to be noticed, then a leader election and the
/// transaction coordinator's log loading, 6.5-12.5 s measured on three local brokers), so
/// that the coordinator does not abort (and fence) a transaction that is only waiting for
/// the cluster. It also bounds how long a commit is retried and how long a record may wait
/// for delivery (librdkafka caps `message.timeout.ms` at it).
pub(crate) const TRANSACTION_TIMEOUT_MS: u64 = 60_000;

/// How long one transactional call (init, send offsets, commit, abort) may take before it
/// is retried; one that has not returned after twice that is abandoned.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

pub(crate) struct TxnContext {
    metrics: Metrics,
    log: LogThrottle,
}

impl ClientContext for TxnContext {
    fn log(&self, level: rdkafka::config::RDKafkaLogLevel, fac: &str, log_message: &str) {
        self.log.log(level, fac, log_message);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        self.log.error(&error, reason);
    }
}

impl ProducerContext for TxnContext {
    type DeliveryOpaque = usize;

    fn delivery(&self, result: &DeliveryResult<'_>, kind: usize) {
        match (result, kind) {
            (Ok(_), DEAD_LETTER) => self.metrics.flow.dlq_messages.inc(),
            (Ok(_), DRIFT_EVENT) => self.metrics.flow.drift_events_published.inc(),
            (Ok(_), _) => {}
            (Err((e, _)), DRIFT_EVENT) => {
                self.metrics.flow.drift_events_failed.inc();
                warn!(error = %e, "a drift event was not delivered; the transaction will abort and it goes into the next");
            }
            (Err((e, _)), DEAD_LETTER) => {
                self.metrics.flow.dlq_errors.inc();
                warn!(error = %e, "a dead letter was not delivered; the transaction will abort and the input is re-read");
            }
            (Err((e, _)), _) => {
                warn!(error = %e, "a state record was not delivered; the transaction will abort and the input is re-read");
            }
        }
    }
}

/// The topics a worker's transactions write to.
#[derive(Debug, Clone)]
pub(crate) struct TxnTopics {
    pub state: String,
    pub dead_letter: String,
    pub drift: String,
    /// Larger dead letters are truncated.
    pub dead_letter_max_bytes: usize,
}

type Client = ThreadedProducer<TxnContext>;

pub(crate) struct TxnProducer {
    /// Shared with the thread of a call in progress, which keeps it if the call hangs.
    producer: Arc<Client>,
    metrics: Metrics,
    open: bool,
    state_topic: String,
    dlq_topic: String,
    drift_topic: String,
    dlq_max_bytes: usize,
    /// How long a transactional call whose outcome is unknown is retried.
    retry_for: Duration,
    /// How long one call may take (librdkafka's time-out); abandoned after twice that.
    call_timeout: Duration,
    /// Set once a call was abandoned: the producer is never used again.
    hung: Option<Hung>,
}

/// What a failed transactional call means (`heal`'s table); a retriable error that is not
/// retried (a send) aborts.
fn classify(e: KafkaError) -> TxnError {
    let (code, flags) = heal::code_and_flags(&e);
    match heal::txn_remedy(code, flags) {
        Remedy::Retry | Remedy::Abort => TxnError::Aborted(e),
        Remedy::Restart => TxnError::Fatal(e),
        Remedy::Stop => TxnError::Stop(e),
    }
}

/// Calls `f` until it succeeds, fails for good, hangs, or `retry_for` has passed;
/// retriable errors (`heal`'s `Retry`) are retried with a back-off.
fn retrying<T>(
    what: &str,
    retry_for: Duration,
    mut f: impl FnMut() -> Result<KafkaResult<T>, Hung>,
) -> Result<T, TxnError> {
    let start = std::time::Instant::now();
    let mut attempt = 0;
    loop {
        match f()? {
            Ok(v) => return Ok(v),
            Err(e) => {
                let (code, flags) = heal::code_and_flags(&e);
                let retry = heal::txn_remedy(code, flags) == Remedy::Retry
                    && start.elapsed() + heal::backoff(attempt) < retry_for;
                if !retry {
                    return Err(classify(e));
                }
                warn!(error = %e, attempt, "{what} failed; retrying");
                std::thread::sleep(heal::backoff(attempt));
                attempt += 1;
            }
        }
    }
}

impl TxnProducer {
    /// Creates the producer and initialises its transactions, which fences any earlier
    /// producer with the same `transactional_id` and aborts what it left open.
    pub(crate) fn new(
        base: &ClientConfig,
        transactional_id: &str,
        topics: &TxnTopics,
        metrics: Metrics,
    ) -> Result<Self, TxnError> {
        Self::with_call_timeout(base, transactional_id, topics, metrics, CALL_TIMEOUT)
    }

    /// `new` with another time-out per transactional call.
    pub(crate) fn with_call_timeout(
        base: &ClientConfig,
        transactional_id: &str,
        topics: &TxnTopics,
        metrics: Metrics,
        call_timeout: Duration,
    ) -> Result<Self, TxnError> {
        let mut cfg = base.clone();
        cfg.set("transactional.id", transactional_id)
            .set("enable.idempotence", "true");
        let txn_timeout = TRANSACTION_TIMEOUT_MS.to_string();
        crate::kafka::props::set_defaults(
            &mut cfg,
            [
                ("linger.ms", "5"),
                ("transaction.timeout.ms", txn_timeout.as_str()),
                ("compression.type", "lz4"),
            ],
        );
        let retry_for = cfg
            .get("transaction.timeout.ms")
            .and_then(|v| v.parse().ok())
            .map_or(
                Duration::from_millis(TRANSACTION_TIMEOUT_MS),
                Duration::from_millis,
            );
        let producer: Client = cfg
            .create_with_context(TxnContext {
                metrics: metrics.clone(),
                log: LogThrottle::default(),
            })
            .map_err(classify)?;
        let mut this = Self {
            producer: Arc::new(producer),
            metrics,
            open: false,
            state_topic: topics.state.clone(),
            dlq_topic: topics.dead_letter.clone(),
            drift_topic: topics.drift.clone(),
            dlq_max_bytes: topics.dead_letter_max_bytes,
            retry_for,
            call_timeout,
            hung: None,
        };
        this.call("initialising transactions", |p, t| p.init_transactions(t))?;
        Ok(this)
    }

    /// A transactional call, retried as `retrying` says, each attempt abandoned when it
    /// has not returned after twice the call time-out (then the producer is never used
    /// again).
    fn call<T: Send + 'static>(
        &mut self,
        what: &'static str,
        f: impl Fn(&Client, Duration) -> KafkaResult<T> + Send + Sync + 'static,
    ) -> Result<T, TxnError> {
        self.usable()?;
        let (f, timeout) = (Arc::new(f), self.call_timeout);
        let result = retrying(what, self.retry_for, || {
            let f = Arc::clone(&f);
            bounded(&self.producer, what, timeout * 2, move |p| f(p, timeout))
        });
        if let Err(TxnError::Hung(h)) = &result {
            warn!(error = %h, "a transactional call hangs; the producer is given up");
            self.hung = Some(h.clone());
        }
        result
    }

    /// `Hung` once a call was abandoned: the producer is never used again.
    fn usable(&self) -> Result<(), TxnError> {
        match &self.hung {
            Some(h) => Err(TxnError::Hung(h.clone())),
            None => Ok(()),
        }
    }

    fn begin(&mut self) -> Result<(), TxnError> {
        self.usable()?;
        if !self.open {
            self.producer.begin_transaction().map_err(classify)?;
            self.open = true;
        }
        Ok(())
    }

    fn send(&mut self, mut record: BaseRecord<'_, [u8], [u8], usize>) -> Result<(), TxnError> {
        self.begin()?;
        loop {
            match self.producer.send(record) {
                Ok(()) => return Ok(()),
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), r)) => {
                    record = r;
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err((e, _)) => return Err(classify(e)),
            }
        }
    }

    /// The two calls of a commit: the consumed offsets (if any), then the commit itself.
    fn offsets_and_commit(
        &mut self,
        offsets: TopicPartitionList,
        group: ConsumerGroupMetadata,
    ) -> Result<(), TxnError> {
        if offsets.count() > 0 {
            let group = Arc::new(group);
            self.call("adding the offsets to the transaction", move |p, t| {
                p.send_offsets_to_transaction(&offsets, &group, t)
            })?;
        }
        self.call("committing the transaction", |p, t| p.commit_transaction(t))
    }
}

impl TxnSink for TxnProducer {
    type Group = ConsumerGroupMetadata;

    fn is_open(&self) -> bool {
        self.open
    }

    /// A state record for state partition `partition` (`None`: a tombstone).
    fn state(&mut self, partition: i32, key: &str, value: Option<&[u8]>) -> Result<(), TxnError> {
        self.metrics.state.records_written.inc();
        self.metrics
            .state
            .bytes_written
            .inc_by((key.len() + value.map_or(0, <[u8]>::len)) as u64);
        let topic = self.state_topic.clone();
        let mut record: BaseRecord<'_, [u8], [u8], usize> =
            BaseRecord::with_opaque_to(&topic, STATE)
                .partition(partition)
                .key(key.as_bytes());
        if let Some(v) = value {
            record = record.payload(v);
        }
        self.send(record)
    }

    /// A drift event (CloudEvents JSON) under its `model/feature` key, committed with the
    /// drift state it reports.
    fn drift_event(&mut self, key: &str, json: &str) -> Result<(), TxnError> {
        let headers = OwnedHeaders::new().insert(Header {
            key: "content-type",
            value: Some("application/cloudevents+json; charset=UTF-8"),
        });
        let topic = self.drift_topic.clone();
        let record: BaseRecord<'_, [u8], [u8], usize> =
            BaseRecord::with_opaque_to(&topic, DRIFT_EVENT)
                .key(key.as_bytes())
                .payload(json.as_bytes())
                .headers(headers);
        self.send(record)
    }

    /// A record of the join store's changelog topic (`None`: a tombstone).
    fn changelog(
        &mut self,
        topic: &str,
        partition: i32,
        key: &[u8],
        value: Option<&[u8]>,
    ) -> Result<(), TxnError> {
        self.metrics.state.records_written.inc();
        self.metrics
            .state
            .bytes_written
            .inc_by((key.len() + value.map_or(0, <[u8]>::len)) as u64);
        let mut record: BaseRecord<'_, [u8], [u8], usize> =
            BaseRecord::with_opaque_to(topic, STATE)
                .partition(partition)
                .key(key);
        if let Some(v) = value {
            record = record.payload(v);
        }
        self.send(record)
    }

    /// A record forwarded to `topic` (the outcome repartition topic) with its original
    /// Kafka timestamp.
    fn forward(
        &mut self,
        topic: &str,
        partition: i32,
        key: &[u8],
        payload: &[u8],
        timestamp_ms: i64,
    ) -> Result<(), TxnError> {
        let record: BaseRecord<'_, [u8], [u8], usize> = BaseRecord::with_opaque_to(topic, STATE)
            .partition(partition)
            .key(key)
            .payload(payload)
            .timestamp(timestamp_ms);
        self.send(record)
    }

    /// A dead letter: the original key and payload (truncated, with the original size in a
    /// header, when it would not fit the dead-letter topic).
    fn dead_letter(
        &mut self,
        key: Option<&[u8]>,
        payload: Option<&[u8]>,
        reason: &str,
        detail: &str,
        src: &Source<'_>,
    ) -> Result<(), TxnError> {
        let partition = src.partition.to_string();
        let offset = src.offset.to_string();
        let mut headers = OwnedHeaders::new()
            .insert(Header {
                key: "psimon.reason",
                value: Some(reason),
            })
            .insert(Header {
                key: "psimon.detail",
                value: Some(detail),
            })
            .insert(Header {
                key: "psimon.source.topic",
                value: Some(src.topic),
            })
            .insert(Header {
                key: "psimon.source.partition",
                value: Some(&partition),
            })
            .insert(Header {
                key: "psimon.source.offset",
                value: Some(&offset),
            });
        let key_len = key.map_or(0, <[u8]>::len);
        let room = self
            .dlq_max_bytes
            .saturating_sub(DLQ_OVERHEAD + key_len + detail.len() + src.topic.len());
        let mut payload = payload;
        if let Some(p) = payload
            && p.len() > room
        {
            let original = p.len().to_string();
            headers = headers
                .insert(Header {
                    key: "psimon.original.size",
                    value: Some(&original),
                })
                .insert(Header {
                    key: "psimon.truncated",
                    value: Some("true"),
                });
            payload = Some(&p[..room]);
        }
        let topic = self.dlq_topic.clone();
        let mut record: BaseRecord<'_, [u8], [u8], usize> =
            BaseRecord::with_opaque_to(&topic, DEAD_LETTER).headers(headers);
        if let Some(k) = key {
            record = record.key(k);
        }
        if let Some(p) = payload {
            record = record.payload(p);
        }
        self.send(record)
    }

    /// Adds the consumed offsets and commits. A commit whose outcome is unknown is retried
    /// (calling it again is how librdkafka tells); on an abortable error the transaction is
    /// aborted and `Aborted` returned.
    fn commit(
        &mut self,
        offsets: TopicPartitionList,
        group: ConsumerGroupMetadata,
    ) -> Result<(), TxnError> {
        self.begin()?;
        let result = self.offsets_and_commit(offsets, group);
        match result {
            Ok(()) => {
                self.open = false;
                self.metrics
                    .transactions
                    .with_label_values(&["committed"])
                    .inc();
                Ok(())
            }
            Err(err) => {
                if let TxnError::Aborted(_) = err {
                    self.abort()?;
                }
                Err(err)
            }
        }
    }

    /// Aborts the open transaction, if any.
    fn abort(&mut self) -> Result<(), TxnError> {
        if self.open {
            self.metrics
                .transactions
                .with_label_values(&["aborted"])
                .inc();
            // An abort that fails with an abortable error is retried too: it is the call
            // that does the epoch bump those errors ask for.
            self.call("aborting the transaction", |p, t| p.abort_transaction(t))
                .map_err(|e| match e {
                    TxnError::Aborted(e) | TxnError::Fatal(e) => TxnError::Fatal(e),
                    other => other,
                })?;
            self.open = false;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    //! librdkafka's mock cluster (in process, no broker): a group coordinator that goes
    //! down during a transaction makes `send_offsets_to_transaction` wait past its
    //! time-out (librdkafka #5456); the worker must get its thread back.
    use super::*;
    use rdkafka::consumer::{BaseConsumer, Consumer};
    use rdkafka::mocking::{MockCluster, MockCoordinator};
    use std::time::Instant;

    fn topics() -> TxnTopics {
        TxnTopics {
            state: "state".into(),
            dead_letter: "dlq".into(),
            drift: "drift".into(),
            dead_letter_max_bytes: 1 << 20,
        }
    }

    #[test]
    fn a_send_offsets_that_hangs_is_abandoned_and_the_producer_given_up() {
        let cluster = MockCluster::new(3).unwrap();
        cluster.create_topic("state", 1, 3).unwrap();
        cluster.create_topic("in", 1, 3).unwrap();
        cluster
            .coordinator(MockCoordinator::Transaction("txn".into()), 1)
            .unwrap();
        cluster
            .coordinator(MockCoordinator::Group("g".into()), 2)
            .unwrap();
        let mut base = ClientConfig::new();
        base.set("bootstrap.servers", cluster.bootstrap_servers());
        let call_timeout = Duration::from_secs(2);
        let mut txn =
            TxnProducer::with_call_timeout(&base, "txn", &topics(), Metrics::new(), call_timeout)
                .unwrap();
        let consumer: BaseConsumer = base.clone().set("group.id", "g").create().unwrap();
        let group = consumer.group_metadata().unwrap();
        txn.state(0, "k", Some(b"v")).unwrap();
        cluster.broker_down(2).unwrap();
        let mut offsets = TopicPartitionList::new();
        offsets
            .add_partition_offset("in", 0, rdkafka::Offset::Offset(7))
            .unwrap();
        let start = Instant::now();
        let err = txn.commit(offsets, group).unwrap_err();
        let took = start.elapsed();
        assert!(matches!(err, TxnError::Hung(_)), "{err}");
        assert_eq!(err.remedy(), Remedy::Restart);
        assert!(took < call_timeout * 4, "took {took:?}");
        // Given up: every later call says so at once, the abort of its retirement too.
        assert!(matches!(txn.abort(), Err(TxnError::Hung(_))));
        assert!(matches!(txn.state(0, "k", None), Err(TxnError::Hung(_))));
        // Dropping it does not wait for the abandoned call.
        let start = Instant::now();
        drop(txn);
        assert!(start.elapsed() < Duration::from_secs(1));
    }
}
