//! The (idempotent, not transactional) producer of drift events, used by the publishing
//! instance's evaluator; delivery reports update the metrics. Dead letters go out in the
//! consumer's transactions instead (`txn`).

use std::time::Duration;

use rdkafka::ClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::error::KafkaError;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{BaseRecord, DeliveryResult, Producer, ProducerContext, ThreadedProducer};
use tracing::warn;

use super::kafka_log::LogThrottle;
use crate::output::metrics::Metrics;

const DRIFT_EVENT: usize = 1;

pub struct DeliveryContext {
    metrics: Metrics,
    log: LogThrottle,
}

impl ClientContext for DeliveryContext {
    fn log(&self, level: rdkafka::config::RDKafkaLogLevel, fac: &str, log_message: &str) {
        self.log.log(level, fac, log_message);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        self.log.error(&error, reason);
    }
}

impl ProducerContext for DeliveryContext {
    type DeliveryOpaque = usize;

    fn delivery(&self, result: &DeliveryResult<'_>, kind: usize) {
        let _ = kind;
        match result {
            Ok(_) => self.metrics.drift_events_published.inc(),
            Err((e, _)) => {
                self.metrics.drift_events_failed.inc();
                warn!(error = %e, "a drift event could not be delivered");
            }
        }
    }
}

pub struct OutputProducer {
    producer: ThreadedProducer<DeliveryContext>,
    metrics: Metrics,
    drift_topic: String,
}

impl OutputProducer {
    pub fn new(
        base: &ClientConfig,
        metrics: Metrics,
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
            log: LogThrottle::default(),
        })?;
        Ok(Self {
            producer,
            metrics,
            drift_topic: drift_topic.to_string(),
        })
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

    fn count_failure(&self, _kind: usize) {
        self.metrics.drift_events_failed.inc();
    }

    /// Waits for queued messages to be delivered.
    pub fn flush(&self, timeout: Duration) {
        if let Err(e) = self.producer.flush(timeout) {
            warn!(error = %e, "not every message was delivered before the deadline");
        }
    }
}

/// Queues a record, waiting while librdkafka's local queue is full (load generators).
pub fn send_waiting<C: ProducerContext, P: rdkafka::message::ToBytes + ?Sized>(
    producer: &ThreadedProducer<C>,
    mut record: BaseRecord<'_, str, P, C::DeliveryOpaque>,
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
