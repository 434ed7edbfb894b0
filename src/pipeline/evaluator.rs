//! The evaluation tick, a thin shell: takes a snapshot of the global table (every model's
//! windows merged over all partitions, so every replica computes the same, and the drift
//! states last published), hands it to the pure [`evaluation::evaluate`], and gives the
//! result to its sinks: the gauges, `/api/v1/drift`, and on the one publishing instance the
//! outbox, which commits each transition's event with its state in the next transaction
//! so that the next publisher continues from it.

mod api;
mod backtest;
mod book;
pub(crate) mod evaluation;
mod fairness;
mod gauges;
mod shared;
#[cfg(test)]
mod tests;

use std::sync::{Arc, RwLock};

use std::time::Instant;

use serde_json::Value;
use tracing::debug;

use super::owner::{DriftEvent, DriftOutbox, Handover};
use super::plan::Plan;
use crate::output::metrics::Metrics;
use crate::state::codec::DriftRecord;
use crate::state::{GlobalTable, MergedWindow, merge_window};
use book::StateBook;
use evaluation::{Context, Evaluation, Transition};

/// A published transition, for callers that show them (the demo).
#[derive(Debug, Clone)]
pub struct Published {
    pub key: String,
    pub event: Value,
}

pub(crate) struct Evaluator {
    plan: Arc<Plan>,
    source: String,
    /// The published states: the publisher's own, or what the publisher wrote to the state
    /// topic. Another replica shows the state it would move to, without keeping it.
    book: StateBook,
    /// Transitions published here, for the next transaction (drift topic and state topic
    /// together).
    outbox: DriftOutbox,
    synced_once: bool,
}

/// Where one evaluation reads and publishes.
pub(crate) struct TickInput<'a> {
    pub table: &'a RwLock<GlobalTable>,
    pub metrics: &'a Metrics,
    /// Whether this instance publishes drift events (it owns the publishing partition).
    pub publishing: bool,
    pub now_ms: i64,
}

impl Evaluator {
    pub(crate) fn new(plan: Arc<Plan>, source: &str, outbox: DriftOutbox) -> Self {
        Self {
            plan,
            source: source.to_string(),
            book: StateBook::default(),
            outbox,
            synced_once: false,
        }
    }

    /// One evaluation at wall-clock `now_ms`; returns the JSON of `/api/v1/drift` and the
    /// drift events published.
    pub(crate) fn tick(&mut self, input: &TickInput<'_>) -> (Value, Vec<Published>) {
        let started = Instant::now();
        let Some(merged) = self.snapshot(input.table, input.publishing) else {
            return (Value::Null, Vec::new());
        };
        let cx = Context {
            source: &self.source,
            now_ms: input.now_ms,
        };
        let evaluation = evaluation::evaluate(&self.plan, &merged, &self.book, cx);
        gauges::record(input.metrics, &self.plan, &evaluation);
        let json = api::to_json(&self.plan, &evaluation);
        let published = if input.publishing {
            self.publish(evaluation)
        } else {
            Vec::new()
        };
        input
            .metrics
            .evaluation_duration
            .observe(started.elapsed().as_secs_f64());
        (json, published)
    }

    /// Merges the windows and takes the published states as this instance's own: always
    /// while another instance publishes, once at the start when this one does. Holds the
    /// table's read lock meanwhile; `None` if the lock is poisoned.
    fn snapshot(
        &mut self,
        table: &RwLock<GlobalTable>,
        publishing: bool,
    ) -> Option<Vec<Vec<MergedWindow>>> {
        let t = table.read().ok()?;
        let layout = &self.plan.layout;
        // Only the pairs that have rings (outcome windows apply to outcome sets only); the
        // others stay empty.
        let merged = (0..layout.sets.len())
            .map(|m| {
                (0..layout.windows.len())
                    .map(|w| {
                        if layout.applies(m, w) {
                            merge_window(&t, layout, m, w)
                        } else {
                            MergedWindow::empty(&layout.sets[m].shape)
                        }
                    })
                    .collect()
            })
            .collect();
        if !(publishing && self.synced_once) {
            self.synced_once = true;
            self.book.take(t.drift_states());
        }
        Some(merged)
    }

    /// Keeps every transition's state and hands it to the next transaction: its drift
    /// event to the drift topic and its state to the state topic, committed together, so
    /// that the event is published exactly once (a crash before the commit loses both, and
    /// the next publisher, which continues from the state topic, publishes it again once).
    fn publish(&mut self, evaluation: Evaluation) -> Vec<Published> {
        let mut published = Vec::with_capacity(evaluation.transitions.len());
        let mut handed = Vec::with_capacity(evaluation.transitions.len());
        for t in evaluation.transitions {
            let Transition {
                series,
                baseline_id,
                previous: t_previous,
                state,
                event_key,
                event,
            } = t;
            debug!(series = ?series, from = t_previous.as_str(), to = state.as_str(), "handing a state transition over");
            self.book.set(series.clone(), state, &baseline_id);
            handed.push(Handover {
                key: series,
                record: DriftRecord {
                    state: state as u8,
                    baseline_id,
                },
                event: DriftEvent {
                    key: event_key.clone(),
                    json: event.to_string(),
                },
            });
            published.push(Published {
                key: event_key,
                event,
            });
        }
        self.outbox.hand_over(handed);
        published
    }
}
