//! Every Prometheus metric psimon exports, behind one typed struct registered in an explicit
//! registry (no globals). Names follow the metric table of docs/interfaces.md.

use prometheus::{
    Encoder, Gauge, GaugeVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry,
    TextEncoder,
};

use super::fairness_metrics::FairnessMetrics;
use super::latency::LatencySummary;
use super::register::{counter, counter_vec, gauge_vec, int_gauge, int_gauge_vec, results_counter};
use crate::event::InvalidReason;
use crate::stats::PsiStats;

#[derive(Clone)]
pub struct Metrics {
    pub registry: Registry,
    pub feature_psi: GaugeVec,
    pub feature_psi_stderr: GaugeVec,
    pub feature_psi_ci_lower: GaugeVec,
    pub feature_psi_ci_upper: GaugeVec,
    pub feature_psi_ci_ncx2_lower: GaugeVec,
    pub feature_psi_ci_ncx2_upper: GaugeVec,
    pub feature_psi_p_value: GaugeVec,
    pub feature_psi_p_value_adjusted: GaugeVec,
    pub feature_psi_noise_floor: GaugeVec,
    pub feature_drift_state: IntGaugeVec,
    pub feature_missing_ratio: GaugeVec,
    pub window_applications: IntGaugeVec,
    pub events_consumed: IntCounter,
    pub events_counted: IntCounter,
    pub events_invalid: IntCounterVec,
    pub events_late: IntCounter,
    pub dlq_messages: IntCounter,
    pub dlq_errors: IntCounter,
    pub drift_events_published: IntCounter,
    pub drift_events_failed: IntCounter,
    pub last_evaluation_timestamp: Gauge,
    pub evaluation_duration: LatencySummary,
    pub event_processing_delay: LatencySummary,
    pub consumer_lag: IntGaugeVec,
    pub partition_stalled: IntGaugeVec,
    pub assigned_partitions: IntGauge,
    pub ready: IntGauge,
    pub state_records_read: IntCounter,
    pub state_records_invalid: IntCounter,
    pub state_table_panes: IntGauge,
    pub state_records_written: IntCounter,
    pub state_bytes_written: IntCounter,
    pub transactions: IntCounterVec,
    pub worker_restarts: IntCounterVec,
    pub state_restore_duration: Gauge,
    pub state_panes_restored: IntCounter,
    pub state_panes_discarded: IntCounterVec,
    pub drift_publisher: IntGauge,
    pub instance_info: IntGaugeVec,
    pub outcomes: IntCounterVec,
    pub feature_iv: GaugeVec,
    pub feature_iv_stderr: GaugeVec,
    pub feature_iv_ci_ncx2_lower: GaugeVec,
    pub feature_iv_ci_ncx2_upper: GaugeVec,
    pub feature_iv_p_value: GaugeVec,
    pub feature_iv_drop: GaugeVec,
    pub feature_iv_drop_state: IntGaugeVec,
    pub window_outcomes: IntGaugeVec,
    pub fairness: FairnessMetrics,
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

/// `binning` tells a feature's scorecard bins from its population bins.
const FEATURE_LABELS: &[&str] = &["model", "feature", "window", "binning"];

impl Metrics {
    /// The state reader's counters.
    pub(crate) fn state_reader(&self) -> crate::state::reader::ReaderMetrics {
        crate::state::reader::ReaderMetrics {
            records_read: self.state_records_read.clone(),
            records_invalid: self.state_records_invalid.clone(),
            table_panes: self.state_table_panes.clone(),
        }
    }
}

impl Metrics {
    pub fn new() -> Self {
        let r = Registry::new();
        let fg = |name: &str, help: &str| gauge_vec(&r, name, help, FEATURE_LABELS);
        let events_invalid = IntCounterVec::new(
            Opts::new("psimon_events_invalid_total", "Messages that could not be counted, by reason (each also goes to the dead-letter topic)."),
            &["reason"],
        )
        .expect("valid metric");
        r.register(Box::new(events_invalid.clone()))
            .expect("registered once");
        for reason in InvalidReason::ALL {
            events_invalid.with_label_values(&[reason.as_str()]);
        }
        let last_evaluation_timestamp = Gauge::new(
            "psimon_last_evaluation_timestamp_seconds",
            "Unix time of the last evaluation.",
        )
        .expect("valid metric");
        r.register(Box::new(last_evaluation_timestamp.clone()))
            .expect("registered once");
        let evaluation_duration = LatencySummary::new(
            "psimon_evaluation_duration_seconds",
            "Duration of one evaluation of all models, windows and features.",
        );
        r.register(Box::new(evaluation_duration.clone()))
            .expect("registered once");
        let event_processing_delay = LatencySummary::new(
            "psimon_event_processing_delay_seconds",
            "Delay from an event's time (its own timestamp, else the Kafka timestamp) to its counting.",
        );
        r.register(Box::new(event_processing_delay.clone()))
            .expect("registered once");
        let assigned_partitions = IntGauge::new(
            "psimon_assigned_partitions",
            "Input partitions assigned to this instance.",
        )
        .expect("valid metric");
        r.register(Box::new(assigned_partitions.clone()))
            .expect("registered once");
        let ready = IntGauge::new(
            "psimon_ready",
            "1 when ready (as /readyz): the group joined, the state table caught up, the broker reachable, the consumer alive.",
        )
        .expect("valid metric");
        r.register(Box::new(ready.clone()))
            .expect("registered once");
        let build = IntGaugeVec::new(
            Opts::new("psimon_build_info", "psimon version; always 1."),
            &["version"],
        )
        .expect("valid metric");
        r.register(Box::new(build.clone()))
            .expect("registered once");
        build.with_label_values(&[env!("CARGO_PKG_VERSION")]).set(1);
        #[cfg(target_os = "linux")]
        r.register(Box::new(
            prometheus::process_collector::ProcessCollector::for_self(),
        ))
        .expect("registered once");
        Self {
            feature_psi: fg(
                "psimon_feature_psi",
                "PSI of the feature's current window against its baseline.",
            ),
            feature_psi_stderr: fg(
                "psimon_feature_psi_stderr",
                "Delta-method standard error of the PSI.",
            ),
            feature_psi_ci_lower: fg(
                "psimon_feature_psi_ci_lower",
                "Lower end of the PSI's normal confidence interval (cut at 0).",
            ),
            feature_psi_ci_upper: fg(
                "psimon_feature_psi_ci_upper",
                "Upper end of the PSI's normal confidence interval.",
            ),
            feature_psi_ci_ncx2_lower: fg(
                "psimon_feature_psi_ci_ncx2_lower",
                "Lower end of the PSI's noncentral chi-square interval.",
            ),
            feature_psi_ci_ncx2_upper: fg(
                "psimon_feature_psi_ci_ncx2_upper",
                "Upper end of the PSI's noncentral chi-square interval.",
            ),
            feature_psi_p_value: fg(
                "psimon_feature_psi_p_value",
                "p-value of the chi-square test of no drift.",
            ),
            feature_psi_p_value_adjusted: fg(
                "psimon_feature_psi_p_value_adjusted",
                "No-drift p-value adjusted for the features evaluated together ([evaluation] multiple_testing); the drift state uses it.",
            ),
            feature_psi_noise_floor: fg(
                "psimon_feature_psi_noise_floor",
                "PSI expected with no drift, (k-1)/n_eff.",
            ),
            feature_drift_state: int_gauge_vec(
                &r,
                "psimon_feature_drift_state",
                "Drift state: 0 ok, 1 warning, 2 alert.",
                FEATURE_LABELS,
            ),
            feature_missing_ratio: fg(
                "psimon_feature_missing_ratio",
                "Share of the window's applications with the feature missing.",
            ),
            window_applications: int_gauge_vec(
                &r,
                "psimon_window_applications",
                "Applications in the window at the last evaluation.",
                &["model", "window"],
            ),
            events_consumed: counter(
                &r,
                "psimon_events_consumed_total",
                "Messages consumed from the input topics.",
            ),
            events_counted: counter(
                &r,
                "psimon_events_counted_total",
                "Events binned into at least one window.",
            ),
            events_invalid,
            events_late: counter(
                &r,
                "psimon_events_late_total",
                "Events older than every window: counted as late, not binned.",
            ),
            dlq_messages: counter(
                &r,
                "psimon_dlq_messages_total",
                "Messages sent to the dead-letter topic.",
            ),
            dlq_errors: counter(
                &r,
                "psimon_dlq_errors_total",
                "Dead-letter messages that could not be sent.",
            ),
            drift_events_published: counter(
                &r,
                "psimon_drift_events_published_total",
                "Drift events delivered to the drift topic.",
            ),
            drift_events_failed: counter(
                &r,
                "psimon_drift_events_failed_total",
                "Drift events that could not be delivered.",
            ),
            consumer_lag: int_gauge_vec(
                &r,
                "psimon_kafka_consumer_lag",
                "Messages of the partition not yet consumed: its last stable offset less the consumer's position (librdkafka statistics, every 5 s).",
                &["topic", "partition"],
            ),
            partition_stalled: int_gauge_vec(
                &r,
                "psimon_kafka_partition_stalled",
                "1 while a partition this instance fetches has messages waiting and its position has not moved for 30 s (a batch that cannot be read: /readyz says why), else 0.",
                &["topic", "partition"],
            ),
            last_evaluation_timestamp,
            evaluation_duration,
            event_processing_delay,
            assigned_partitions,
            ready,
            state_records_read: counter(
                &r,
                "psimon_state_records_read_total",
                "Records of the state topic applied to the global table.",
            ),
            state_records_invalid: counter(
                &r,
                "psimon_state_records_invalid_total",
                "Records of the state topic that could not be read (another format version, damage); skipped.",
            ),
            state_table_panes: int_gauge(
                &r,
                "psimon_state_table_panes",
                "Panes in the global table (all partitions, models and windows).",
            ),
            state_records_written: counter(
                &r,
                "psimon_state_records_written_total",
                "Pane, tombstone and offset records written to the state topic.",
            ),
            state_bytes_written: counter(
                &r,
                "psimon_state_bytes_written_total",
                "Bytes (keys and values) written to the state topic.",
            ),
            transactions: {
                let t = counter_vec(
                    &r,
                    "psimon_transactions_total",
                    "Kafka transactions of state, dead letters and offsets, by result.",
                    &["result"],
                );
                for result in ["committed", "aborted"] {
                    t.with_label_values(&[result]);
                }
                t
            },
            worker_restarts: {
                let t = counter_vec(
                    &r,
                    "psimon_worker_restarts_total",
                    "Counting workers restarted with new Kafka clients, by cause (fenced: the producer or consumer was fenced, e.g. after a broker outage; failed: the producer failed for good or restoring kept failing).",
                    &["cause"],
                );
                for cause in ["fenced", "failed"] {
                    t.with_label_values(&[cause]);
                }
                t
            },
            state_restore_duration: {
                let g = Gauge::new(
                    "psimon_state_restore_duration_seconds",
                    "Duration of the last restore of assigned partitions from the state topic.",
                )
                .expect("valid metric");
                r.register(Box::new(g.clone())).expect("registered once");
                g
            },
            state_panes_restored: counter(
                &r,
                "psimon_state_panes_restored_total",
                "Panes restored from the state topic on assignment.",
            ),
            state_panes_discarded: counter_vec(
                &r,
                "psimon_state_panes_discarded_total",
                "Stored panes not restored because their window definition, baseline or features changed (or were removed).",
                &["model", "window"],
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
            feature_iv: fg(
                "psimon_feature_iv",
                "IV of the feature's joined outcomes in the outcome window (goods over bads).",
            ),
            feature_iv_stderr: fg(
                "psimon_feature_iv_stderr",
                "Delta-method standard error of the windowed IV.",
            ),
            feature_iv_ci_ncx2_lower: fg(
                "psimon_feature_iv_ci_ncx2_lower",
                "Lower end of the windowed IV's noncentral chi-square interval.",
            ),
            feature_iv_ci_ncx2_upper: fg(
                "psimon_feature_iv_ci_ncx2_upper",
                "Upper end of the windowed IV's noncentral chi-square interval.",
            ),
            feature_iv_p_value: fg(
                "psimon_feature_iv_p_value",
                "p-value of the chi-square test that the feature does not separate goods from bads in the window.",
            ),
            feature_iv_drop: fg(
                "psimon_feature_iv_drop",
                "Development IV minus windowed IV, each less its noise floor (positive: information lost).",
            ),
            feature_iv_drop_state: int_gauge_vec(
                &r,
                "psimon_feature_iv_drop_state",
                "0 ok, 1 warning, 2 alert: the share of the development IV lost (interval's lower end against [outcomes] warning_iv_drop / alert_iv_drop, with the one-sided test).",
                FEATURE_LABELS,
            ),
            window_outcomes: int_gauge_vec(
                &r,
                "psimon_window_outcomes",
                "Joined outcomes in the outcome window at the last evaluation, by outcome (good, bad).",
                &["model", "window", "outcome"],
            ),
            fairness: FairnessMetrics::register(&r),
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
    pub fn record_psi(&self, labels: &[&str], psi: &PsiStats) {
        let inf = &psi.inference;
        for (gauge, value) in [
            (&self.feature_psi, psi.psi),
            (&self.feature_psi_stderr, inf.se),
            (&self.feature_psi_ci_lower, inf.ci_lower),
            (&self.feature_psi_ci_upper, inf.ci_upper),
            (&self.feature_psi_ci_ncx2_lower, inf.ci_ncx2_lower),
            (&self.feature_psi_ci_ncx2_upper, inf.ci_ncx2_upper),
            (&self.feature_psi_p_value, inf.chi2_pvalue),
            (&self.feature_psi_noise_floor, inf.null_mean),
        ] {
            gauge.with_label_values(labels).set(value);
        }
    }

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
