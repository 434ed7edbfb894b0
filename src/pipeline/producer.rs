//! One Kafka producer for dead letters and drift events; delivery reports update the
//! metrics. Dead letters keep the original key and payload; headers carry the reason, a
//! short detail and the source topic, partition and offset.

use std::time::Duration;

use rdkafka::ClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::error::KafkaError;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{BaseRecord, DeliveryResult, Producer, ProducerContext, ThreadedProducer};
use tracing::warn;

use crate::output::metrics::Metrics;

const DEAD_LETTER: usize = 0;
const DRIFT_EVENT: usize = 1;

pub struct DeliveryContext {
    metrics: Metrics,
}

impl ClientContext for DeliveryContext {}

impl ProducerContext for DeliveryContext {
    type DeliveryOpaque = usize;

    fn delivery(&self, result: &DeliveryResult<'_>, kind: usize) {
        match (result, kind) {
            (Ok(_), DEAD_LETTER) => self.metrics.dlq_messages.inc(),
            (Ok(_), _) => self.metrics.drift_events_published.inc(),
            (Err((e, _)), DEAD_LETTER) => {
                self.metrics.dlq_errors.inc();
                warn!(error = %e, "a dead-letter message could not be delivered");
            }
            (Err((e, _)), _) => {
                self.metrics.drift_events_failed.inc();
                warn!(error = %e, "a drift event could not be delivered");
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

pub struct OutputProducer {
    producer: ThreadedProducer<DeliveryContext>,
    metrics: Metrics,
    dlq_topic: String,
    drift_topic: String,
}

impl OutputProducer {
    pub fn new(
        base: &ClientConfig,
        metrics: Metrics,
        dlq_topic: &str,
        drift_topic: &str,
    ) -> Result<Self, KafkaError> {
        let mut cfg = base.clone();
        for (k, v) in [("enable.idempotence", "true"), ("linger.ms", "5")] {
            if cfg.get(k).is_none() {
                cfg.set(k, v);
            }
        }
        let producer = cfg.create_with_context(DeliveryContext {
            metrics: metrics.clone(),
        })?;
        Ok(Self {
            producer,
            metrics,
            dlq_topic: dlq_topic.to_string(),
            drift_topic: drift_topic.to_string(),
        })
    }

    /// Queues a dead letter; the payload and key are sent unchanged.
    pub fn dead_letter(
        &self,
        key: Option<&[u8]>,
        payload: Option<&[u8]>,
        reason: &str,
        detail: &str,
        src: &Source<'_>,
    ) {
        let partition = src.partition.to_string();
        let offset = src.offset.to_string();
        let headers = OwnedHeaders::new()
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
        let mut record: BaseRecord<'_, [u8], [u8], usize> =
            BaseRecord::with_opaque_to(&self.dlq_topic, DEAD_LETTER).headers(headers);
        if let Some(k) = key {
            record = record.key(k);
        }
        if let Some(p) = payload {
            record = record.payload(p);
        }
        self.send(record, "dead letter");
    }

    /// Queues a drift event (CloudEvents JSON) under its `model/feature` key.
    pub fn drift_event(&self, key: &str, json: &str) {
        let headers = OwnedHeaders::new().insert(Header {
            key: "content-type",
            value: Some("application/cloudevents+json; charset=UTF-8"),
        });
        let record: BaseRecord<'_, [u8], [u8], usize> =
            BaseRecord::with_opaque_to(&self.drift_topic, DRIFT_EVENT)
                .key(key.as_bytes())
                .payload(json.as_bytes())
                .headers(headers);
        self.send(record, "drift event");
    }

    fn send(&self, mut record: BaseRecord<'_, [u8], [u8], usize>, what: &str) {
        // A full local queue clears as deliveries complete: wait briefly rather than drop.
        for _ in 0..100 {
            match self.producer.send(record) {
                Ok(()) => return,
                Err((
                    KafkaError::MessageProduction(rdkafka::types::RDKafkaErrorCode::QueueFull),
                    r,
                )) => {
                    record = r;
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err((e, r)) => {
                    warn!(error = %e, "could not queue a {what}");
                    self.count_failure(r.delivery_opaque);
                    return;
                }
            }
        }
        warn!("the producer queue stayed full; a {what} was dropped");
        self.count_failure(record.delivery_opaque);
    }

    fn count_failure(&self, kind: usize) {
        if kind == DEAD_LETTER {
            self.metrics.dlq_errors.inc();
        } else {
            self.metrics.drift_events_failed.inc();
        }
    }

    /// Waits for queued messages to be delivered.
    pub fn flush(&self, timeout: Duration) {
        if let Err(e) = self.producer.flush(timeout) {
            warn!(error = %e, "not every message was delivered before the deadline");
        }
    }
}

/// Queues a record, waiting while librdkafka's local queue is full (load generators).
pub fn send_waiting<C: ProducerContext>(
    producer: &ThreadedProducer<C>,
    mut record: BaseRecord<'_, str, str, C::DeliveryOpaque>,
) -> Result<(), KafkaError> {
    loop {
        match producer.send(record) {
            Ok(()) => return Ok(()),
            Err((
                KafkaError::MessageProduction(rdkafka::types::RDKafkaErrorCode::QueueFull),
                r,
            )) => {
                record = r;
                std::thread::sleep(Duration::from_millis(5));
            }
            Err((e, _)) => return Err(e),
        }
    }
}
