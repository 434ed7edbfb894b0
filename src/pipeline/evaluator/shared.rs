//! What the evaluations of drift, outcomes and fairness share: what a window's merged
//! panes cover, the context of an evaluation, and a state change to publish. Pure.

use serde_json::Value;

use crate::evaluate::DriftState;
use crate::state::MergedWindow;
use crate::state::codec::DriftKey;

/// What the merged panes of a window cover.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Coverage {
    pub applications: u64,
    pub partitions: usize,
    /// Oldest event time counted and the newest + 1 ms (half-open), when any.
    pub bounds: Option<(i64, i64)>,
}

impl Coverage {
    pub(crate) fn of(mw: &MergedWindow) -> Self {
        Self {
            applications: mw.counts.applications(),
            partitions: mw.partitions,
            bounds: mw.bounds,
        }
    }
}

/// A state change to publish: the event and, for the state topic, the series' new state.
#[derive(Debug, Clone)]
pub(crate) struct Transition {
    pub series: DriftKey,
    pub baseline_id: String,
    pub previous: DriftState,
    pub state: DriftState,
    /// The drift topic's message key and the CloudEvent.
    pub event_key: String,
    pub event: Value,
}

/// Where the event says it comes from and when.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Context<'a> {
    pub source: &'a str,
    pub now_ms: i64,
}
