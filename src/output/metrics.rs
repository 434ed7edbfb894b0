//! Every Prometheus metric psimon exports, behind one typed struct registered in an explicit
//! registry (no globals). Names follow the metric table of docs/interfaces.md.

use prometheus::{Encoder, Gauge, IntCounterVec, IntGauge, IntGaugeVec, Registry, TextEncoder};

use super::backtest_metrics::BacktestMetrics;
use super::fairness_metrics::FairnessMetrics;
use super::flow_metrics::FlowMetrics;
use super::latency::LatencySummary;
use super::register::{
    gauge, int_gauge, int_gauge_vec, labelled_counter, latency, results_counter,
};
use super::series_metrics::SeriesMetrics;
use super::state_metrics::StateMetrics;

#[derive(Clone)]
pub struct Metrics {
    pub registry: Registry,
    pub last_evaluation_timestamp: Gauge,
    pub evaluation_duration: LatencySummary,
    pub event_processing_delay: LatencySummary,
    pub assigned_partitions: IntGauge,
    pub ready: IntGauge,
    pub transactions: IntCounterVec,
    pub worker_restarts: IntCounterVec,
    pub drift_publisher: IntGauge,
    pub instance_info: IntGaugeVec,
    pub outcomes: IntCounterVec,
    pub flow: FlowMetrics,
    pub state: StateMetrics,
    pub series: SeriesMetrics,
    pub fairness: FairnessMetrics,
    pub backtest: BacktestMetrics,
    pub schema_registry_requests: IntCounterVec,
    pub schemas_cached: IntGauge,
}

/// The `result` label of `psimon_schema_registry_requests_total`.
pub const REGISTRY_RESULTS: [&str; 4] = ["ok", "unknown", "refused", "error"];

/// What happened to outcomes and applications in the join: the `result` label of
/// `psimon_outcomes_total`.
pub const OUTCOME_RESULTS: [&str; 8] = [
    "joined",
    "waiting_for_application",
    "duplicate",
    "unknown_application",
    "expired_application",
    "application_without_key",
    "not_co_partitioned",
    "repartitioned",
];

impl Metrics {
    /// The state reader's counters.
    pub(crate) fn state_reader(&self) -> crate::state::reader::ReaderMetrics {
        crate::state::reader::ReaderMetrics {
            records_read: self.state.records_read.clone(),
            records_invalid: self.state.records_invalid.clone(),
            table_panes: self.state.table_panes.clone(),
        }
    }
}

impl Metrics {
    pub fn new() -> Self {
        let r = Registry::new();
        let build = int_gauge_vec(
            &r,
            "psimon_build_info",
            "psimon version; always 1.",
            &["version"],
        );
        build.with_label_values(&[env!("CARGO_PKG_VERSION")]).set(1);
        #[cfg(target_os = "linux")]
        r.register(Box::new(
            prometheus::process_collector::ProcessCollector::for_self(),
        ))
        .expect("registered once");
        Self {
            last_evaluation_timestamp: gauge(
                &r,
                "psimon_last_evaluation_timestamp_seconds",
                "Unix time of the last evaluation.",
            ),
            evaluation_duration: latency(
                &r,
                "psimon_evaluation_duration_seconds",
                "Duration of one evaluation of all models, windows and features.",
            ),
            event_processing_delay: latency(
                &r,
                "psimon_event_processing_delay_seconds",
                "Delay from an event's time (its own timestamp, else the Kafka timestamp) to its counting.",
            ),
            assigned_partitions: int_gauge(
                &r,
                "psimon_assigned_partitions",
                "Input partitions assigned to this instance.",
            ),
            ready: int_gauge(
                &r,
                "psimon_ready",
                "1 when ready (as /readyz): the group joined, the state table caught up, the broker reachable, the consumer alive.",
            ),
            transactions: labelled_counter(
                &r,
                (
                    "psimon_transactions_total",
                    "Kafka transactions of state, dead letters and offsets, by result.",
                ),
                "result",
                &["committed", "aborted"],
            ),
            worker_restarts: labelled_counter(
                &r,
                (
                    "psimon_worker_restarts_total",
                    "Counting workers restarted with new Kafka clients, by cause (fenced: the producer or consumer was fenced, e.g. after a broker outage; failed: the producer failed for good or restoring kept failing).",
                ),
                "cause",
                &["fenced", "failed"],
            ),
            instance_info: int_gauge_vec(
                &r,
                "psimon_instance_info",
                "This instance's kafka.instance_id and group; always 1 (to tell replicas apart when several are scraped).",
                &["instance_id", "group_id"],
            ),
            drift_publisher: int_gauge(
                &r,
                "psimon_drift_publisher",
                "1 on the one instance that publishes drift events (the owner of the first input topic's partition 0).",
            ),
            outcomes: results_counter(
                &r,
                "psimon_outcomes_total",
                "The outcome join by result: joined, waiting_for_application (an outcome before its application), duplicate (counted once), unknown_application (no application within the grace), expired_application (no outcome within the horizon), application_without_key, not_co_partitioned.",
                &OUTCOME_RESULTS,
            ),
            flow: FlowMetrics::register(&r),
            state: StateMetrics::register(&r),
            series: SeriesMetrics::register(&r),
            fairness: FairnessMetrics::register(&r),
            backtest: BacktestMetrics::register(&r),
            schema_registry_requests: results_counter(
                &r,
                "psimon_schema_registry_requests_total",
                "Schema lookups of Avro input by result: ok (cached from now on), unknown (the registry does not know the id: unknown_schema), refused (not an Avro schema psimon reads: invalid_avro), error (no answer; retried while consumption waits).",
                &REGISTRY_RESULTS,
            ),
            schemas_cached: int_gauge(
                &r,
                "psimon_schemas_cached",
                "Writer schemas (and refused ids) in the schema cache of Avro input.",
            ),
            registry: r,
        }
    }

    /// The gauges of one feature's evaluated PSI; `labels` are model, feature, window, binning.
    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut buf)
            .expect("text encoding cannot fail");
        String::from_utf8(buf).unwrap_or_default()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}
