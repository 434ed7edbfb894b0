//! What librdkafka's statistics and consume errors say about the partitions one consumer
//! fetches: their lag (`psimon_kafka_consumer_lag`) and whether they are stalled
//! (`psimon_kafka_partition_stalled`, the worker's status for `/readyz`, a log line). The
//! decisions are `stall`'s (pure); this publishes them. Called from the consumer's client
//! callbacks; it never touches the partitions' state.

use std::sync::{Arc, Mutex};

use prometheus::IntGaugeVec;
use rdkafka::error::KafkaError;
use rdkafka::statistics::Statistics;
use rdkafka::types::RDKafkaErrorCode;
use tracing::warn;

use super::clock::now_ms;
use super::stall::Stalls;
use super::status::ConsumerStatus;
use crate::output::metrics::Metrics;

pub(super) struct FetchWatch {
    stalls: Mutex<Stalls>,
    /// `psimon_kafka_consumer_lag` and `psimon_kafka_partition_stalled`.
    lag: IntGaugeVec,
    stalled: IntGaugeVec,
    status: Arc<ConsumerStatus>,
}

impl FetchWatch {
    /// For a new life of a worker, which fetches anew.
    pub(super) fn new(metrics: &Metrics, status: Arc<ConsumerStatus>) -> Self {
        status.set_stalled(None);
        Self {
            stalls: Mutex::new(Stalls::default()),
            lag: metrics.flow.consumer_lag.clone(),
            stalled: metrics.flow.partition_stalled.clone(),
            status,
        }
    }

    /// A client error: one about a batch that cannot be read is kept as the likely cause
    /// of a stall (librdkafka's reason names the offset and the codec).
    pub(super) fn error(&self, error: &KafkaError, reason: &str) {
        let unreadable = matches!(
            error.rdkafka_error_code(),
            Some(
                RDKafkaErrorCode::BadCompression
                    | RDKafkaErrorCode::BadMessage
                    | RDKafkaErrorCode::InvalidMessage
                    | RDKafkaErrorCode::UnsupportedCompressionType
            )
        );
        if unreadable && let Ok(mut stalls) = self.stalls.lock() {
            // The same error comes through `poll` too, without librdkafka's words.
            match reason {
                "poll" => stalls.error(error.to_string(), false, now_ms()),
                _ => stalls.error(reason.to_string(), true, now_ms()),
            }
        }
    }

    /// A statistics report (every 5 s).
    pub(super) fn stats(&self, stats: &Statistics) {
        let now = now_ms();
        let Ok(mut stalls) = self.stalls.lock() else {
            return;
        };
        let mut fetched = Vec::new();
        for (topic, t) in &stats.topics {
            for (partition, p) in &t.partitions {
                let labels = [topic.as_str(), &partition.to_string()];
                // Before the first message is passed on, the next offset to fetch is where
                // the application stands (a partition stuck at its first batch has no other).
                let position = if p.app_offset >= 0 {
                    p.app_offset
                } else {
                    p.next_offset
                };
                match position_lag(*partition, &p.fetch_state, position, p.ls_offset) {
                    Some(lag) => {
                        self.lag.with_label_values(&labels).set(lag);
                        stalls.observe(topic, *partition, position, p.ls_offset, now);
                        fetched.push((topic.clone(), *partition));
                    }
                    // Not this worker's any more: no stale figure. (Every partition of the
                    // topic is in the statistics; another worker's are left to it.)
                    None if *partition >= 0
                        && p.fetch_state == "none"
                        && stalls.forget(topic, *partition) =>
                    {
                        let _ = self.lag.remove_label_values(&labels);
                        let _ = self.stalled.remove_label_values(&labels);
                    }
                    None => {}
                }
            }
        }
        self.report(&stalls, &fetched, now);
    }

    /// Publishes the stalled partitions (metric, `/readyz`, one log line when one starts).
    fn report(&self, stalls: &Stalls, fetched: &[(String, i32)], now: i64) {
        let stalled = stalls.stalled(now);
        for (topic, partition) in fetched {
            let this = stalled
                .iter()
                .find(|s| &s.topic == topic && s.partition == *partition);
            let gauge = self
                .stalled
                .with_label_values(&[topic.as_str(), &partition.to_string()]);
            if let Some(s) = this
                && gauge.get() == 0
            {
                warn!("{}", s.describe(now));
            }
            gauge.set(i64::from(this.is_some()));
        }
        let text = stalled.first().map(|s| {
            let more = stalled.len() - 1;
            let text = s.describe(now);
            if more > 0 {
                format!("{text}; and {more} more partition(s)")
            } else {
                text
            }
        });
        self.status.set_stalled(text);
    }
}

/// Messages not yet consumed of a partition this consumer fetches: its last stable offset
/// (the end a read_committed reader sees) less its position. librdkafka's own
/// `consumer_lag` counts from the group's committed offset, which psimon commits through
/// its transactions, so librdkafka reports -1 there.
fn position_lag(partition: i32, fetch_state: &str, position: i64, end: i64) -> Option<i64> {
    (partition >= 0 && fetch_state == "active" && position >= 0 && end >= 0)
        .then(|| (end - position).max(0))
}

#[cfg(test)]
mod tests {
    use super::position_lag;

    #[test]
    fn lag_is_the_stable_end_less_the_position_of_a_fetched_partition() {
        assert_eq!(position_lag(0, "active", 900, 1_000), Some(100));
        assert_eq!(position_lag(0, "active", 1_000, 1_000), Some(0));
        // A transaction's markers can put the position past the last stable offset.
        assert_eq!(position_lag(0, "active", 1_002, 1_000), Some(0));
        // Nothing consumed yet, unknown end, not fetched, the internal partition -1.
        assert_eq!(position_lag(0, "active", -1001, 1_000), None);
        assert_eq!(position_lag(0, "active", 5, -1), None);
        assert_eq!(position_lag(0, "none", 5, 10), None);
        assert_eq!(position_lag(-1, "active", 5, 10), None);
    }
}
