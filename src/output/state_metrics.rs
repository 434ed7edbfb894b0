//! The state topic's metrics: records read into the global table and refused, panes in
//! it, records and bytes written, and what restoring a partition did.

use prometheus::{Gauge, IntCounter, IntCounterVec, IntGauge, Registry};

use super::register::{counter, counter_vec, int_gauge};

#[derive(Clone)]
pub struct StateMetrics {
    pub records_read: IntCounter,
    pub records_invalid: IntCounter,
    pub table_panes: IntGauge,
    pub records_written: IntCounter,
    pub bytes_written: IntCounter,
    pub restore_duration: Gauge,
    pub panes_restored: IntCounter,
    pub panes_discarded: IntCounterVec,
}

impl StateMetrics {
    pub(super) fn register(r: &Registry) -> Self {
        Self {
            records_read: counter(
                r,
                "psimon_state_records_read_total",
                "Records of the state topic applied to the global table.",
            ),
            records_invalid: counter(
                r,
                "psimon_state_records_invalid_total",
                "Records of the state topic that could not be read (another format version, damage); skipped.",
            ),
            table_panes: int_gauge(
                r,
                "psimon_state_table_panes",
                "Panes in the global table (all partitions, models and windows).",
            ),
            records_written: counter(
                r,
                "psimon_state_records_written_total",
                "Pane, tombstone and offset records written to the state topic.",
            ),
            bytes_written: counter(
                r,
                "psimon_state_bytes_written_total",
                "Bytes (keys and values) written to the state topic.",
            ),
            restore_duration: {
                let g = Gauge::new(
                    "psimon_state_restore_duration_seconds",
                    "Duration of the last restore of assigned partitions from the state topic.",
                )
                .expect("valid metric");
                r.register(Box::new(g.clone())).expect("registered once");
                g
            },
            panes_restored: counter(
                r,
                "psimon_state_panes_restored_total",
                "Panes restored from the state topic on assignment.",
            ),
            panes_discarded: counter_vec(
                r,
                "psimon_state_panes_discarded_total",
                "Stored panes not restored because their window definition, baseline or features changed (or were removed).",
                &["model", "window"],
            ),
        }
    }
}
