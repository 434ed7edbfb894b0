//! What the running configuration expects to find in the state topic: each set of series'
//! identity (model and kind), bin shape and fingerprint (baseline id, features and their
//! bin counts), each window's name, definition and fingerprint. A stored pane whose fingerprints differ belongs to an
//! older definition and is not used. Pure.

use super::codec::{PaneKey, PaneRecord, PartitionId, StateKey, fingerprint};
use super::series::{SetId, SetKind};
use crate::window::{Pane, WindowSpec};

/// A set of series counted together: one pane holds all of their bins.
#[derive(Debug, Clone)]
pub struct SetLayout {
    pub id: SetId,
    pub baseline_id: String,
    /// Bins per series.
    pub shape: Vec<usize>,
    pub fingerprint: u64,
}

impl SetLayout {
    /// `baseline_id` is stored in every pane and covered by the fingerprint with the series
    /// and their bin counts: the baseline file's id for a drift set; for the other kinds,
    /// text that also holds what else gives the counts their meaning.
    pub fn new(id: SetId, baseline_id: &str, features: &[(String, usize)]) -> Self {
        let mut text = format!("{baseline_id}|");
        for (f, bins) in features {
            text.push_str(&format!("{f}:{bins},"));
        }
        Self {
            id,
            baseline_id: baseline_id.to_string(),
            shape: features.iter().map(|(_, b)| *b).collect(),
            fingerprint: fingerprint(&text),
        }
    }
}

#[derive(Debug, Clone)]
pub struct WindowLayout {
    pub name: String,
    pub spec: WindowSpec,
    pub fingerprint: u64,
    /// An outcome window (`[[outcomes.windows]]`): it counts the outcome sets only, and
    /// the other windows every other set.
    pub outcomes: bool,
}

impl WindowLayout {
    pub fn new(name: &str, spec: WindowSpec) -> Self {
        Self {
            name: name.to_string(),
            fingerprint: fingerprint(&spec.canonical()),
            spec,
            outcomes: false,
        }
    }

    pub fn of_outcomes(name: &str, spec: WindowSpec) -> Self {
        Self {
            outcomes: true,
            ..Self::new(name, spec)
        }
    }
}

#[derive(Debug, Clone)]
pub struct StateLayout {
    pub sets: Vec<SetLayout>,
    pub windows: Vec<WindowLayout>,
    /// A partition whose newest event time is this far behind the newest of all does not
    /// hold the time windows back (epoch ms).
    pub idle_timeout_ms: i64,
    /// The input topics: panes of other topics (removed from the config) are not merged.
    pub input_topics: Vec<String>,
}

impl StateLayout {
    /// Whether window `window` applies to set `set` (has rings and panes): outcome windows
    /// to the outcome sets, the other windows to the other sets.
    pub fn applies(&self, set: usize, window: usize) -> bool {
        (self.sets[set].id.kind == SetKind::Outcomes) == self.windows[window].outcomes
    }

    pub fn shapes(&self) -> Vec<Vec<usize>> {
        self.sets.iter().map(|m| m.shape.clone()).collect()
    }

    pub fn specs(&self) -> Vec<WindowSpec> {
        self.windows.iter().map(|w| w.spec.clone()).collect()
    }

    pub fn set_index(&self, id: &SetId) -> Option<usize> {
        self.sets.iter().position(|m| &m.id == id)
    }

    pub fn window_index(&self, name: &str) -> Option<usize> {
        self.windows.iter().position(|w| w.name == name)
    }

    /// The key of pane `pane` of `(set, window)` of input partition `part`.
    pub fn pane_key(&self, part: &PartitionId, set: usize, window: usize, pane: i64) -> StateKey {
        StateKey::Pane(PaneKey {
            set: self.sets[set].id.clone(),
            window: self.windows[window].name.clone(),
            part: part.clone(),
            pane,
        })
    }

    /// A pane of `(set, window)` as stored, checkpointed with the partition's next offset
    /// `as_of`.
    pub fn pane_record(&self, set: usize, window: usize, as_of: i64, pane: &Pane) -> PaneRecord {
        PaneRecord {
            model_fingerprint: self.sets[set].fingerprint,
            window_fingerprint: self.windows[window].fingerprint,
            baseline_id: self.sets[set].baseline_id.clone(),
            as_of,
            min_ms: pane.min_ms,
            max_ms: pane.max_ms,
            applications: pane.counts.applications(),
            counts: pane.counts.flat().to_vec(),
        }
    }
}
