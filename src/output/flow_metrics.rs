//! What flows through: messages consumed, counted, late and invalid (by reason); dead
//! letters; drift events delivered; each fetched partition's lag and whether it stalls.

use prometheus::{IntCounter, IntCounterVec, IntGaugeVec, Registry};

use super::register::{counter, int_gauge_vec, labelled_counter};
use crate::event::InvalidReason;

#[derive(Clone)]
pub struct FlowMetrics {
    pub events_consumed: IntCounter,
    pub events_counted: IntCounter,
    pub events_invalid: IntCounterVec,
    pub events_late: IntCounter,
    pub dlq_messages: IntCounter,
    pub dlq_errors: IntCounter,
    pub drift_events_published: IntCounter,
    pub drift_events_failed: IntCounter,
    pub consumer_lag: IntGaugeVec,
    pub partition_stalled: IntGaugeVec,
}

impl FlowMetrics {
    pub(super) fn register(r: &Registry) -> Self {
        Self {
            events_consumed: counter(
                r,
                "psimon_events_consumed_total",
                "Messages consumed from the input topics.",
            ),
            events_counted: counter(
                r,
                "psimon_events_counted_total",
                "Events binned into at least one window.",
            ),
            events_invalid: {
                let reasons: Vec<&str> = InvalidReason::ALL.iter().map(|r| r.as_str()).collect();
                labelled_counter(
                    r,
                    (
                        "psimon_events_invalid_total",
                        "Messages that could not be counted, by reason (each also goes to the dead-letter topic).",
                    ),
                    "reason",
                    &reasons,
                )
            },
            events_late: counter(
                r,
                "psimon_events_late_total",
                "Events older than every window: counted as late, not binned.",
            ),
            dlq_messages: counter(
                r,
                "psimon_dlq_messages_total",
                "Messages sent to the dead-letter topic.",
            ),
            dlq_errors: counter(
                r,
                "psimon_dlq_errors_total",
                "Dead-letter messages that could not be sent.",
            ),
            drift_events_published: counter(
                r,
                "psimon_drift_events_published_total",
                "Drift events delivered to the drift topic.",
            ),
            drift_events_failed: counter(
                r,
                "psimon_drift_events_failed_total",
                "Drift events that could not be delivered.",
            ),
            consumer_lag: int_gauge_vec(
                r,
                "psimon_kafka_consumer_lag",
                "Messages of the partition not yet consumed: its last stable offset less the consumer's position (librdkafka statistics, every 5 s).",
                &["topic", "partition"],
            ),
            partition_stalled: int_gauge_vec(
                r,
                "psimon_kafka_partition_stalled",
                "1 while a partition this instance fetches has messages waiting and its position has not moved for 30 s (a batch that cannot be read: /readyz says why), else 0.",
                &["topic", "partition"],
            ),
        }
    }
}
