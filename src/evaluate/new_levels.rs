//! Levels of a categorical feature never seen in development, counted by name in a batch:
//! a sample's Other bin may hold a level that is new (a product launched, a code changed)
//! rather than one of the rare development levels Other held. Bounded: at most
//! `MAX_NAMED` distinct new levels are named, the rest counted together. Pure.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use crate::binning::{BinSpec, FeatureBaseline};
use crate::data::Cell;
use crate::data::cell::canonical_level;

/// Distinct new levels kept by name; further ones are counted together.
const MAX_NAMED: usize = 10_000;
/// New levels shown in a report, the most frequent first.
const TOP: usize = 5;

/// The counting of one categorical feature's new levels.
#[derive(Debug, Clone)]
pub(crate) struct NewLevels {
    known: HashSet<String>,
    other_bin: usize,
    named: HashMap<String, u64>,
    unnamed: u64,
}

/// What a report says of a feature's new levels.
#[derive(Debug, Clone, Serialize)]
pub struct NewLevelSummary {
    /// Rows whose level was never seen in development, and their share of all rows.
    pub rows: u64,
    pub share: f64,
    /// The most frequent new levels: level, rows, share.
    pub top: Vec<(String, u64, f64)>,
}

impl NewLevels {
    /// For a categorical feature whose development levels are all known: its groups and
    /// the members of its Other bin (`None` for a baseline that held rare levels in Other
    /// without naming them: a rare level could not be told from a new one).
    pub(crate) fn for_feature(f: &FeatureBaseline) -> Option<Self> {
        let BinSpec::Categorical { levels } = &f.bins else {
            return None;
        };
        let other_bin = levels.len();
        if f.other_levels.is_empty() && f.counts.get(other_bin).copied().unwrap_or(0) > 0 {
            return None;
        }
        let known = levels
            .iter()
            .flatten()
            .chain(&f.other_levels)
            .map(|l| canonical_level(l).into_owned())
            .collect();
        Some(Self {
            known,
            other_bin,
            named: HashMap::new(),
            unnamed: 0,
        })
    }

    /// Counts the row's cell, binned to `bin`, when its level is new; `cell` is read only
    /// for rows in Other.
    pub(crate) fn note<'a>(&mut self, bin: usize, cell: impl FnOnce() -> Cell<'a>) {
        if bin != self.other_bin {
            return;
        }
        let Some(level) = cell().as_level() else {
            return;
        };
        if self.known.contains(level.as_ref()) {
            return;
        }
        self.add(level.as_ref(), 1);
    }

    /// `n` more rows of `level`: named while there is room, else counted together.
    fn add(&mut self, level: &str, n: u64) {
        let room = self.named.len() < MAX_NAMED;
        match self.named.get_mut(level) {
            Some(m) => *m += n,
            None if room => {
                self.named.insert(level.to_string(), n);
            }
            None => self.unnamed += n,
        }
    }

    pub(crate) fn merge(&mut self, other: &NewLevels) {
        for (level, &n) in &other.named {
            self.add(level, n);
        }
        self.unnamed += other.unnamed;
    }

    /// The new levels among `rows` rows; `None` when there were none.
    pub(crate) fn summary(&self, rows: u64) -> Option<NewLevelSummary> {
        let total = self.named.values().sum::<u64>() + self.unnamed;
        if total == 0 || rows == 0 {
            return None;
        }
        let share = |n: u64| n as f64 / rows as f64;
        let mut top: Vec<(&String, &u64)> = self.named.iter().collect();
        top.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        Some(NewLevelSummary {
            rows: total,
            share: share(total),
            top: top
                .into_iter()
                .take(TOP)
                .map(|(l, &n)| (l.clone(), n, share(n)))
                .collect(),
        })
    }
}
