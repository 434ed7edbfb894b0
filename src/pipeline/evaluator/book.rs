//! The book of published drift states: per series, the state last published for it and
//! the baseline it was published under. The publisher keeps its own; another replica
//! takes the state topic's. A state of another baseline does not count (the series starts
//! from ok). Pure.

use std::collections::HashMap;

use crate::evaluate::DriftState;
use crate::state::codec::{DriftKey, DriftRecord};

#[derive(Debug, Default)]
pub(crate) struct StateBook {
    states: HashMap<DriftKey, (DriftState, String)>,
}

impl StateBook {
    /// The state published for `series` under `baseline_id`; ok when none was.
    pub(crate) fn get(&self, series: &DriftKey, baseline_id: &str) -> DriftState {
        match self.states.get(series) {
            Some((state, b)) if b == baseline_id => *state,
            _ => DriftState::Ok,
        }
    }

    pub(crate) fn set(&mut self, series: DriftKey, state: DriftState, baseline_id: &str) {
        self.states.insert(series, (state, baseline_id.to_string()));
    }

    /// Takes states read from the state topic.
    pub(crate) fn take<'a>(
        &mut self,
        published: impl IntoIterator<Item = (&'a DriftKey, &'a DriftRecord)>,
    ) {
        for (k, rec) in published {
            let state = match rec.state {
                2 => DriftState::Alert,
                1 => DriftState::Warning,
                _ => DriftState::Ok,
            };
            self.set(k.clone(), state, &rec.baseline_id);
        }
    }
}
