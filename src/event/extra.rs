//! What an event adds to sets other than its model's drift set: the cell of each fairness
//! check whose group it is in, and, per categorical feature whose development levels are
//! all known, whether its level is new since development. The decoder fills it; the owner
//! counts it. Pure; no level is ever copied out of the event.

use crate::binning::KnownLevels;

/// The new-level check of one model: the features it watches and where they are counted.
pub struct LevelField {
    pub model: usize,
    /// The state layout's set of the model's new levels: one series of two cells (known,
    /// new) per watched feature, in the order of `features`.
    pub target: usize,
    /// Watched features: index in the model's features and their known levels.
    pub features: Vec<(usize, KnownLevels)>,
}

/// One event's extra counts, reused from event to event.
#[derive(Debug, Default)]
pub struct Extra {
    /// `(set, cell)`: a fairness check's layout set and the cell it counts the event in.
    pub groups: Vec<(usize, u16)>,
    /// The model's new-levels set, when it has one, and per watched feature the cell of
    /// the event: 0 a known level (or missing), 1 a new level.
    pub levels: Option<usize>,
    pub new_levels: Vec<u16>,
}

impl Extra {
    pub(crate) fn clear(&mut self) {
        self.groups.clear();
        self.levels = None;
        self.new_levels.clear();
    }
}
