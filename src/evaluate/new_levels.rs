//! Levels of a categorical feature never seen in development: counted by name in a batch
//! (a sample's Other bin may hold a level that is new, a product launched or a code
//! changed, rather than one of the rare development levels Other held; bounded: at most
//! `MAX_NAMED` distinct new levels are named, the rest counted together), and as a share
//! with its interval in a stream window, which counts them without names. Pure.

use std::collections::HashMap;

use serde::Serialize;

use crate::binning::{FeatureBaseline, KnownLevels};
use crate::data::Cell;
use crate::stats::jeffreys_interval;

/// Distinct new levels kept by name; further ones are counted together.
const MAX_NAMED: usize = 10_000;
/// New levels shown in a report, the most frequent first.
const TOP: usize = 5;

/// The counting of one categorical feature's new levels.
#[derive(Debug, Clone)]
pub(crate) struct NewLevels {
    known: KnownLevels,
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
    /// For a categorical feature whose development levels are all known (`KnownLevels`).
    pub(crate) fn for_feature(f: &FeatureBaseline) -> Option<Self> {
        Some(Self {
            known: KnownLevels::of(f)?,
            named: HashMap::new(),
            unnamed: 0,
        })
    }

    /// Counts the row's cell, binned to `bin`, when its level is new; `cell` is read only
    /// for rows in Other.
    pub(crate) fn note<'a>(&mut self, bin: usize, cell: impl FnOnce() -> Cell<'a>) {
        if let Some(level) = self.known.new_level(bin, cell) {
            self.add(level.as_ref(), 1);
        }
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

/// A window's share of applications with a level new since development: the stream
/// counts two cells per watched feature (known or missing, new).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct NewLevelShare {
    pub applications: u64,
    pub new: u64,
    /// `None` for an empty window.
    pub share: Option<f64>,
    /// The equal-tailed `1 - alpha` Jeffreys interval of the share.
    pub ci_lower: Option<f64>,
    pub ci_upper: Option<f64>,
}

impl NewLevelShare {
    /// From a watched feature's cells `[known, new]`.
    pub(crate) fn of(cells: &[u64], alpha: f64) -> Self {
        let (known, new) = (cells[0], cells[1]);
        let applications = known + new;
        let ci =
            (applications > 0).then(|| jeffreys_interval(applications as f64, new as f64, alpha));
        Self {
            applications,
            new,
            share: (applications > 0).then(|| new as f64 / applications as f64),
            ci_lower: ci.map(|c| c.0),
            ci_upper: ci.map(|c| c.1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Against scipy.stats.beta.ppf(q, d + 1/2, n - d + 1/2).
    #[test]
    fn the_share_and_its_jeffreys_interval() {
        let s = NewLevelShare::of(&[963, 37], 0.05);
        assert_eq!((s.applications, s.new, s.share), (1000, 37, Some(0.037)));
        assert!((s.ci_lower.unwrap() - 0.026605478868512316).abs() < 1e-9);
        assert!((s.ci_upper.unwrap() - 0.050067301597938645).abs() < 1e-9);
        let none = NewLevelShare::of(&[100, 0], 0.05);
        assert_eq!(none.share, Some(0.0));
        assert!((none.ci_upper.unwrap() - 0.02474527001526989).abs() < 1e-9);
        let empty = NewLevelShare::of(&[0, 0], 0.05);
        assert_eq!((empty.share, empty.ci_upper), (None, None));
    }
}
