//! What the running configuration expects to find in the state topic: each model's name,
//! bin shape and fingerprint (baseline id, features and their bin counts), each window's
//! name, definition and fingerprint. A stored pane whose fingerprints differ belongs to an
//! older definition and is not used. Pure.

use super::codec::{PaneKey, PaneRecord, PartitionId, StateKey, fingerprint};
use crate::window::{Pane, WindowSpec};

#[derive(Debug, Clone)]
pub struct ModelLayout {
    pub name: String,
    pub baseline_id: String,
    /// Bins per monitored feature.
    pub shape: Vec<usize>,
    pub fingerprint: u64,
}

impl ModelLayout {
    pub fn new(name: &str, baseline_id: &str, features: &[(String, usize)]) -> Self {
        let mut text = format!("{baseline_id}|");
        for (f, bins) in features {
            text.push_str(&format!("{f}:{bins},"));
        }
        Self {
            name: name.to_string(),
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
}

impl WindowLayout {
    pub fn new(name: &str, spec: WindowSpec) -> Self {
        Self {
            name: name.to_string(),
            fingerprint: fingerprint(&spec.canonical()),
            spec,
        }
    }
}

#[derive(Debug, Clone)]
pub struct StateLayout {
    pub models: Vec<ModelLayout>,
    pub windows: Vec<WindowLayout>,
    /// A partition whose newest event time is this far behind the newest of all does not
    /// hold the time windows back (epoch ms).
    pub idle_timeout_ms: i64,
    /// The input topics: panes of other topics (removed from the config) are not merged.
    pub input_topics: Vec<String>,
    /// With outcomes: the first outcome model and the first outcome window. Outcome
    /// windows apply to outcome models only, the other windows to the other models.
    pub outcome_split: Option<(usize, usize)>,
}

impl StateLayout {
    /// Whether window `window` applies to model `model` (has rings and panes).
    pub fn applies(&self, model: usize, window: usize) -> bool {
        match self.outcome_split {
            None => true,
            Some((m, w)) => (model >= m) == (window >= w),
        }
    }

    pub fn shapes(&self) -> Vec<Vec<usize>> {
        self.models.iter().map(|m| m.shape.clone()).collect()
    }

    pub fn specs(&self) -> Vec<WindowSpec> {
        self.windows.iter().map(|w| w.spec.clone()).collect()
    }

    pub fn model_index(&self, name: &str) -> Option<usize> {
        self.models.iter().position(|m| m.name == name)
    }

    pub fn window_index(&self, name: &str) -> Option<usize> {
        self.windows.iter().position(|w| w.name == name)
    }

    /// The key of pane `pane` of `(model, window)` of input partition `part`.
    pub fn pane_key(&self, part: &PartitionId, model: usize, window: usize, pane: i64) -> StateKey {
        StateKey::Pane(PaneKey {
            model: self.models[model].name.clone(),
            window: self.windows[window].name.clone(),
            part: part.clone(),
            pane,
        })
    }

    /// A pane of `(model, window)` as stored, checkpointed with the partition's next offset
    /// `as_of`.
    pub fn pane_record(&self, model: usize, window: usize, as_of: i64, pane: &Pane) -> PaneRecord {
        PaneRecord {
            model_fingerprint: self.models[model].fingerprint,
            window_fingerprint: self.windows[window].fingerprint,
            baseline_id: self.models[model].baseline_id.clone(),
            as_of,
            min_ms: pane.min_ms,
            max_ms: pane.max_ms,
            applications: pane.counts.applications(),
            counts: pane.counts.flat().to_vec(),
        }
    }
}
