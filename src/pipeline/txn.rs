//! The transactional producer of the consumer thread: state records (panes, tombstones,
//! offsets, drift states) and dead letters go out in one Kafka transaction together with the
//! consumed input offsets. A transaction opens at the first record and closes at the next
//! checkpoint; if it fails, nothing in it happened (read_committed readers never see it).

use std::time::Duration;

use rdkafka::config::ClientConfig;
use rdkafka::consumer::ConsumerGroupMetadata;
use rdkafka::error::{KafkaError, RDKafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{BaseRecord, DeliveryResult, Producer, ProducerContext, ThreadedProducer};
use rdkafka::{ClientContext, TopicPartitionList};
use thiserror::Error;
use tracing::warn;

use super::kafka_log::LogThrottle;
use crate::output::metrics::Metrics;

const DEAD_LETTER: usize = 0;
const STATE: usize = 1;

/// Headers and key room kept free below `dead_letter_max_bytes` when truncating.
const DLQ_OVERHEAD: usize = 2048;

#[derive(Debug, Error)]
pub enum TxnError {
    /// The transaction was aborted (or could not be committed): re-read from the last
    /// committed checkpoint.
    #[error("the transaction failed and was aborted: {0}")]
    Aborted(KafkaError),
    /// This producer cannot go on: fenced by a newer instance with the same id, or another
    /// fatal error.
    #[error("the transactional producer is fenced or failed for good: {0}")]
    Fatal(KafkaError),
}

impl TxnError {
    pub fn is_fenced(&self) -> bool {
        matches!(self, TxnError::Fatal(e) if matches!(e.rdkafka_error_code(), Some(RDKafkaErrorCode::Fenced | RDKafkaErrorCode::ProducerFenced | RDKafkaErrorCode::InvalidProducerEpoch)))
    }
}

pub struct TxnContext {
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
            (Ok(_), DEAD_LETTER) => self.metrics.dlq_messages.inc(),
            (Ok(_), _) => {}
            (Err((e, _)), DEAD_LETTER) => {
                self.metrics.dlq_errors.inc();
                warn!(error = %e, "a dead letter was not delivered; the transaction will abort and the input is re-read");
            }
            (Err((e, _)), _) => {
                warn!(error = %e, "a state record was not delivered; the transaction will abort and the input is re-read");
            }
        }
    }
}

/// Where a dead letter came from.
pub struct Source<'a> {
    pub topic: &'a str,
    pub partition: i32,
    pub offset: i64,
}

pub struct TxnProducer {
    producer: ThreadedProducer<TxnContext>,
    metrics: Metrics,
    open: bool,
    state_topic: String,
    dlq_topic: String,
    dlq_max_bytes: usize,
    timeout: Duration,
}

fn classify(e: KafkaError) -> TxnError {
    let fatal = match &e {
        KafkaError::Transaction(t) => t.is_fatal(),
        _ => false,
    };
    if fatal {
        TxnError::Fatal(e)
    } else {
        TxnError::Aborted(e)
    }
}

fn txn_error(e: &KafkaError) -> Option<&RDKafkaError> {
    match e {
        KafkaError::Transaction(t) => Some(t),
        _ => None,
    }
}

impl TxnProducer {
    /// Creates the producer and initialises its transactions, which fences any earlier
    /// producer with the same `transactional_id` and aborts what it left open.
    pub fn new(
        base: &ClientConfig,
        transactional_id: &str,
        state_topic: &str,
        dlq_topic: &str,
        dlq_max_bytes: usize,
        metrics: Metrics,
    ) -> Result<Self, KafkaError> {
        let mut cfg = base.clone();
        cfg.set("transactional.id", transactional_id)
            .set("enable.idempotence", "true");
        for (k, v) in [
            ("linger.ms", "5"),
            ("transaction.timeout.ms", "10000"),
            ("compression.type", "lz4"),
        ] {
            if cfg.get(k).is_none() {
                cfg.set(k, v);
            }
        }
        let timeout = Duration::from_secs(30);
        let producer: ThreadedProducer<TxnContext> = cfg.create_with_context(TxnContext {
            metrics: metrics.clone(),
            log: LogThrottle::default(),
        })?;
        producer.init_transactions(timeout)?;
        Ok(Self {
            producer,
            metrics,
            open: false,
            state_topic: state_topic.to_string(),
            dlq_topic: dlq_topic.to_string(),
            dlq_max_bytes,
            timeout,
        })
    }

    pub fn is_open(&self) -> bool {
        self.open
    }

    fn begin(&mut self) -> Result<(), TxnError> {
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

    /// A state record for state partition `partition` (`None`: a tombstone).
    pub fn state(
        &mut self,
        partition: i32,
        key: &str,
        value: Option<&[u8]>,
    ) -> Result<(), TxnError> {
        self.metrics.state_records_written.inc();
        self.metrics
            .state_bytes_written
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

    /// A record of the join store's changelog topic (`None`: a tombstone).
    pub fn changelog(
        &mut self,
        topic: &str,
        partition: i32,
        key: &[u8],
        value: Option<&[u8]>,
    ) -> Result<(), TxnError> {
        self.metrics.state_records_written.inc();
        self.metrics
            .state_bytes_written
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
    pub fn forward(
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
    pub fn dead_letter(
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

    /// Adds the consumed offsets and commits. On failure the transaction is aborted.
    pub fn commit(
        &mut self,
        offsets: &TopicPartitionList,
        group: &ConsumerGroupMetadata,
    ) -> Result<(), TxnError> {
        self.begin()?;
        let result = (|| {
            if offsets.count() > 0 {
                self.producer
                    .send_offsets_to_transaction(offsets, group, self.timeout)?;
            }
            self.producer.commit_transaction(self.timeout)
        })();
        match result {
            Ok(()) => {
                self.open = false;
                self.metrics
                    .transactions
                    .with_label_values(&["committed"])
                    .inc();
                Ok(())
            }
            Err(e) => {
                let retriable = txn_error(&e).is_some_and(|t| t.is_retriable());
                if retriable {
                    // A time-out: the outcome is unknown until a retry tells.
                    if self.producer.commit_transaction(self.timeout).is_ok() {
                        self.open = false;
                        self.metrics
                            .transactions
                            .with_label_values(&["committed"])
                            .inc();
                        return Ok(());
                    }
                }
                let err = classify(e);
                if let TxnError::Aborted(_) = err {
                    self.abort()?;
                }
                Err(err)
            }
        }
    }

    /// Aborts the open transaction, if any.
    pub fn abort(&mut self) -> Result<(), TxnError> {
        if self.open {
            self.metrics
                .transactions
                .with_label_values(&["aborted"])
                .inc();
            self.producer
                .abort_transaction(self.timeout)
                .map_err(TxnError::Fatal)?;
            self.open = false;
        }
        Ok(())
    }
}
