//! Which levels of a categorical feature development saw: the members of its groups and
//! of its Other bin. A level outside them is new since development (a product launched, a
//! code changed) rather than one of the rare development levels Other held. Both the
//! stream's decoder and the batch report ask it; neither counts anything here. Pure.

use std::borrow::Cow;
use std::collections::HashSet;

use super::{BinSpec, FeatureBaseline};
use crate::data::Cell;
use crate::data::cell::canonical_level;

/// The development levels a categorical feature's Other bin holds.
#[derive(Debug, Clone)]
pub struct KnownLevels {
    other_bin: usize,
    /// Canonical members of Other; a level of a group is binned to that group, so a row
    /// in Other is new exactly when its level is not one of these.
    other: HashSet<String>,
}

impl KnownLevels {
    /// `None` for a numeric feature, and for a baseline that held rare levels in Other
    /// without naming them (written before `other_levels`): a rare level could not be told
    /// from a new one.
    pub fn of(f: &FeatureBaseline) -> Option<Self> {
        let BinSpec::Categorical { levels } = &f.bins else {
            return None;
        };
        let other_bin = levels.len();
        if f.other_levels.is_empty() && f.counts.get(other_bin).copied().unwrap_or(0) > 0 {
            return None;
        }
        let other = f
            .other_levels
            .iter()
            .map(|l| canonical_level(l).into_owned())
            .collect();
        Some(Self { other_bin, other })
    }

    /// The level of a row binned to `bin` when development never saw it; `cell` is read
    /// only for rows in Other, so the usual row costs one comparison.
    pub fn new_level<'a>(
        &self,
        bin: usize,
        cell: impl FnOnce() -> Cell<'a>,
    ) -> Option<Cow<'a, str>> {
        if bin != self.other_bin {
            return None;
        }
        cell()
            .as_level()
            .filter(|l| !self.other.contains(l.as_ref()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::binning::Binner;

    fn feature(other_levels: &[&str], other_count: u64) -> FeatureBaseline {
        let mut f: FeatureBaseline = serde_json::from_value(serde_json::json!({
            "name": "purpose",
            "type": "categorical",
            "levels": [["car"], ["furniture", "radio"]],
            "labels": ["car", "furniture,radio", "Other", "Missing"],
            "counts": [50, 40, other_count, 3],
        }))
        .unwrap();
        f.other_levels = other_levels.iter().map(|s| s.to_string()).collect();
        f
    }

    #[test]
    fn a_level_is_new_only_outside_the_groups_and_the_named_other_members() {
        let f = feature(&["education", "1"], 7);
        let known = KnownLevels::of(&f).unwrap();
        let binner = Binner::new(f.bins.clone());
        let new = |cell: Cell<'_>| {
            let bin = binner.bin_cell(cell).unwrap();
            known.new_level(bin, || cell).map(|l| l.into_owned())
        };
        assert_eq!(new(Cell::Text("car")), None);
        assert_eq!(new(Cell::Text("radio")), None);
        assert_eq!(
            new(Cell::Text("education")),
            None,
            "a rare development level"
        );
        assert_eq!(
            new(Cell::Number(1.0)),
            None,
            "the level \"1\" however it is spelled"
        );
        assert_eq!(new(Cell::Text(" 1.0 ")), None);
        assert_eq!(new(Cell::Missing), None, "missing is not a level");
        assert_eq!(new(Cell::Text("crypto")), Some("crypto".to_string()));
        assert_eq!(new(Cell::Number(2.0)), Some("2".to_string()));
    }

    #[test]
    fn unknown_when_other_held_unnamed_levels_or_the_feature_is_numeric() {
        assert!(KnownLevels::of(&feature(&[], 7)).is_none());
        let empty_other = KnownLevels::of(&feature(&[], 0)).unwrap();
        assert_eq!(
            empty_other.new_level(2, || Cell::Text("crypto")).as_deref(),
            Some("crypto")
        );
        let mut numeric = feature(&[], 0);
        numeric.bins = BinSpec::Numeric {
            edges: vec![1.0],
            special_values: vec![],
        };
        assert!(KnownLevels::of(&numeric).is_none());
    }
}
