//! One pane: the counts of the applications it holds and the event times they span. The
//! unit that is checkpointed to the state topic and merged into windows.

use super::matrix::CountMatrix;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pane {
    pub counts: CountMatrix,
    /// Oldest and newest event time counted (epoch ms); meaningless while empty.
    pub min_ms: i64,
    pub max_ms: i64,
}

impl Pane {
    pub fn new(shape: &[usize]) -> Self {
        Self {
            counts: CountMatrix::new(shape),
            min_ms: i64::MAX,
            max_ms: i64::MIN,
        }
    }

    pub fn add(&mut self, event_ms: i64, bins: &[u16]) {
        self.counts.add(bins);
        self.min_ms = self.min_ms.min(event_ms);
        self.max_ms = self.max_ms.max(event_ms);
    }
}

/// Which panes of a ring changed since the last checkpoint: written (`changed`) or gone
/// (`dropped`). A pane id is a time pane's index or a count pane's sequence number.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    pub changed: std::collections::BTreeSet<i64>,
    pub dropped: std::collections::BTreeSet<i64>,
}

impl Changes {
    pub fn touch(&mut self, pane: i64) {
        self.changed.insert(pane);
        self.dropped.remove(&pane);
    }

    pub fn drop_pane(&mut self, pane: i64) {
        self.changed.remove(&pane);
        self.dropped.insert(pane);
    }

    pub fn is_empty(&self) -> bool {
        self.changed.is_empty() && self.dropped.is_empty()
    }
}
