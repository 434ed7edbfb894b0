//! The pack's inputs, pure: the stored panes read from the state topic, what the pack is
//! of, and the panes of a period merged. Shared by the document (`doc.rs`) and its
//! outcome and fairness parts (`extra.rs`).

use crate::pipeline::plan::Plan;
use crate::state::PartitionId;
use crate::window::{CountMatrix, Pane};

/// One stored pane of the model's window: its partition, its id, its counts and its
/// checkpoint (the partition's next offset when it was last written).
pub(crate) struct StoredPane {
    pub part: PartitionId,
    pub id: i64,
    pub pane: Pane,
    pub as_of: i64,
}

/// Every stored pane the pack reads: the model's drift set in the pack's window, each of
/// its fairness checks' (index in `plan.fairness`) in the same window, and each time
/// outcome window's (index in the outcome plan, its slide).
#[derive(Default)]
pub(crate) struct PackPanes {
    pub drift: Vec<StoredPane>,
    pub fairness: Vec<(usize, Vec<StoredPane>)>,
    pub outcomes: Vec<(usize, i64, Vec<StoredPane>)>,
}

/// What the pack is of and when it was made.
pub(crate) struct PackScope<'a> {
    pub plan: &'a Plan,
    pub model: usize,
    /// Index of the time window in `plan.windows`, and its slide.
    pub window: usize,
    pub slide_ms: i64,
    /// The period asked for, `[from, to)`; only whole panes inside it are counted.
    pub period: (i64, i64),
    pub generated_at: String,
}

/// Whether the pane's whole slide lies in `[from, to)`.
pub(super) fn whole_in(p: &StoredPane, slide_ms: i64, (from, to): (i64, i64)) -> bool {
    p.id * slide_ms >= from && (p.id + 1) * slide_ms <= to
}

/// The panes of a window of slide `slide_ms` that lie wholly in `period`, merged over
/// partitions and panes into one matrix of `shape`, and how many distinct panes that is.
pub(super) fn merged_in_period(
    panes: &[StoredPane],
    shape: &[usize],
    slide_ms: i64,
    period: (i64, i64),
) -> (CountMatrix, usize) {
    let mut total = CountMatrix::new(shape);
    let mut ids: Vec<i64> = Vec::new();
    for p in panes.iter().filter(|p| whole_in(p, slide_ms, period)) {
        total.merge(&p.pane.counts);
        ids.push(p.id);
    }
    ids.sort_unstable();
    ids.dedup();
    (total, ids.len())
}
