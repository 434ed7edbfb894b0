//! A feature's bins and the rule that puts a value in one of them.
//!
//! Bin order, which every count vector follows:
//! - numeric: the ranges `(-inf, e1)`, `[e1, e2)`, ..., `[en, +inf)` (closed on the left,
//!   so a value equal to an edge goes to the bin above it, as in a stump's `x < t` split),
//!   then one bin per special value in the order listed, then Missing;
//! - categorical: one bin per group of levels, then Other (levels not seen in development
//!   or too rare to keep), then Missing.
//!
//! Missing and special bins come last, as STATISTICS.md expects.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::data::Cell;
use crate::data::cell::canonical_level;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum BinSpec {
    Numeric {
        /// Strictly increasing, finite.
        edges: Vec<f64>,
        /// Codes such as -999 that get a bin each instead of a range.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        special_values: Vec<f64>,
    },
    Categorical {
        /// Each bin's levels.
        levels: Vec<Vec<String>>,
    },
}

/// Why a value could not be binned.
#[derive(Debug, Clone, PartialEq)]
pub enum BinError {
    /// Text in a numeric feature.
    NotANumber,
}

impl BinSpec {
    /// Number of bins including Missing (and Other, specials).
    pub fn bin_count(&self) -> usize {
        match self {
            BinSpec::Numeric {
                edges,
                special_values,
            } => edges.len() + 1 + special_values.len() + 1,
            BinSpec::Categorical { levels } => levels.len() + 2,
        }
    }

    /// Index of the Missing bin (always the last).
    pub fn missing_bin(&self) -> usize {
        self.bin_count() - 1
    }

    /// Number of ordinary bins (ranges or level groups) at the front of the vector.
    pub fn regular_bins(&self) -> usize {
        match self {
            BinSpec::Numeric { edges, .. } => edges.len() + 1,
            BinSpec::Categorical { levels } => levels.len(),
        }
    }

    /// A label per bin for tables and reports.
    pub fn labels(&self) -> Vec<String> {
        let mut out = Vec::with_capacity(self.bin_count());
        match self {
            BinSpec::Numeric {
                edges,
                special_values,
            } => {
                if edges.is_empty() {
                    out.push("all values".to_string());
                } else {
                    out.push(format!("< {}", edges[0]));
                    for w in edges.windows(2) {
                        out.push(format!("[{}, {})", w[0], w[1]));
                    }
                    out.push(format!(">= {}", edges[edges.len() - 1]));
                }
                for s in special_values {
                    out.push(format!("special {s}"));
                }
            }
            BinSpec::Categorical { levels } => {
                for group in levels {
                    out.push(group.join(" | "));
                }
                out.push("OTHER".to_string());
            }
        }
        out.push("MISSING".to_string());
        out
    }

    /// Checks the spec, returning one message per problem.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        // Bin indices travel as u16 on the hot path.
        if self.bin_count() > usize::from(u16::MAX) {
            out.push(format!(
                "{} bins: at most {} are supported",
                self.bin_count(),
                u16::MAX
            ));
        }
        match self {
            BinSpec::Numeric {
                edges,
                special_values,
            } => {
                for (i, e) in edges.iter().enumerate() {
                    if !e.is_finite() {
                        out.push(format!("edges[{i}] = {e} is not finite"));
                    }
                }
                for (i, w) in edges.windows(2).enumerate() {
                    if w[0].partial_cmp(&w[1]) != Some(std::cmp::Ordering::Less) {
                        out.push(format!(
                            "edges are not strictly increasing: edges[{i}] = {} >= edges[{}] = {}",
                            w[0],
                            i + 1,
                            w[1]
                        ));
                    }
                }
                for (i, s) in special_values.iter().enumerate() {
                    if !s.is_finite() {
                        out.push(format!("special_values[{i}] = {s} is not finite"));
                    }
                    if special_values[..i].contains(s) {
                        out.push(format!("special_values[{i}] = {s} is listed twice"));
                    }
                }
            }
            BinSpec::Categorical { levels } => {
                let mut seen = HashMap::new();
                for (i, group) in levels.iter().enumerate() {
                    if group.is_empty() {
                        out.push(format!("levels[{i}] is empty"));
                    }
                    for level in group {
                        if let Some(j) = seen.insert(canonical_level(level).into_owned(), i) {
                            out.push(format!(
                                "level \"{level}\" is in levels[{j}] and levels[{i}]"
                            ));
                        }
                    }
                }
            }
        }
        out
    }
}

/// Edges up to which a bin is found by counting rather than by a binary search.
pub(crate) const COUNTED_EDGES: usize = 32;

/// The edges at or below `v`: its bin. A branch-free count for the usual handful of edges
/// (random values make a binary search mispredict); the same bin as the search on sorted
/// edges. Over the real edges only: padding them to a fixed length for the compiler to
/// unroll measured 5% slower (`cargo bench --bench decode`).
#[inline]
pub(crate) fn count_at_or_below(edges: &[f64], v: f64) -> usize {
    edges.iter().map(|e| usize::from(*e <= v)).sum()
}

/// A spec ready to bin values fast (a level index for categorical features).
#[derive(Debug, Clone)]
pub struct Binner {
    spec: BinSpec,
    level_bin: HashMap<String, usize>,
}

impl Binner {
    pub fn new(spec: BinSpec) -> Self {
        let mut level_bin = HashMap::new();
        if let BinSpec::Categorical { levels } = &spec {
            for (i, group) in levels.iter().enumerate() {
                for level in group {
                    // Files written before levels were canonical may spell a number
                    // another way ("1.0"): index them as they are read today.
                    level_bin.insert(canonical_level(level).into_owned(), i);
                }
            }
        }
        Self { spec, level_bin }
    }

    pub fn spec(&self) -> &BinSpec {
        &self.spec
    }

    /// The bin of a numeric value (`None` = missing).
    pub fn bin_number(&self, value: Option<f64>) -> usize {
        let BinSpec::Numeric {
            edges,
            special_values,
        } = &self.spec
        else {
            return match value {
                None => self.spec.missing_bin(),
                Some(v) => self.bin_level(Some(&crate::data::cell::format_number(v))),
            };
        };
        match value {
            None => self.spec.missing_bin(),
            Some(v) => match special_values.iter().position(|s| *s == v) {
                Some(i) => edges.len() + 1 + i,
                None if edges.len() <= COUNTED_EDGES => count_at_or_below(edges, v),
                None => edges.partition_point(|e| *e <= v),
            },
        }
    }

    /// The bin of a categorical level (`None` = missing); unknown levels go to Other.
    pub fn bin_level(&self, level: Option<&str>) -> usize {
        match level {
            None => self.spec.missing_bin(),
            Some(l) => match self.level_bin.get(canonical_level(l).as_ref()) {
                Some(&i) => i,
                None => self.spec.regular_bins(),
            },
        }
    }

    /// The bin of one cell as read from a file.
    pub fn bin_cell(&self, cell: Cell<'_>) -> Result<usize, BinError> {
        match &self.spec {
            BinSpec::Numeric { .. } => cell
                .as_number()
                .map(|v| self.bin_number(v))
                .map_err(|_| BinError::NotANumber),
            BinSpec::Categorical { .. } => Ok(self.bin_level(cell.as_level().as_deref())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numeric() -> Binner {
        Binner::new(BinSpec::Numeric {
            edges: vec![10.0, 20.0],
            special_values: vec![-999.0],
        })
    }

    #[test]
    fn numeric_bins_are_closed_on_the_left() {
        let b = numeric();
        assert_eq!(b.spec().bin_count(), 5);
        assert_eq!(b.bin_number(Some(9.99)), 0);
        assert_eq!(b.bin_number(Some(10.0)), 1);
        assert_eq!(b.bin_number(Some(19.0)), 1);
        assert_eq!(b.bin_number(Some(20.0)), 2);
        assert_eq!(b.bin_number(Some(-999.0)), 3);
        assert_eq!(b.bin_number(None), 4);
        assert_eq!(b.bin_cell(Cell::Text("NaN")), Ok(4));
        assert_eq!(b.bin_cell(Cell::Text("x")), Err(BinError::NotANumber));
        assert_eq!(
            b.spec().labels(),
            vec!["< 10", "[10, 20)", ">= 20", "special -999", "MISSING"]
        );
    }

    #[test]
    fn numeric_levels_match_however_the_baseline_spells_them() {
        let b = Binner::new(BinSpec::Categorical {
            levels: vec![vec!["1.0".into()], vec!["2".into(), "b".into()]],
        });
        assert_eq!(b.bin_level(Some("1")), 0);
        assert_eq!(b.bin_cell(Cell::Number(1.0)), Ok(0));
        assert_eq!(b.bin_cell(Cell::from_text("1.00")), Ok(0));
        assert_eq!(b.bin_cell(Cell::Number(2.0)), Ok(1));
        assert_eq!(b.bin_level(Some("3")), 2, "Other");
        let twice = BinSpec::Categorical {
            levels: vec![vec!["1.0".into()], vec!["1".into()]],
        };
        assert_eq!(twice.problems().len(), 1, "{:?}", twice.problems());
    }

    #[test]
    fn more_bins_than_the_index_holds_are_refused() {
        let spec = BinSpec::Numeric {
            edges: (0..70_000).map(f64::from).collect(),
            special_values: vec![],
        };
        assert!(spec.problems().iter().any(|p| p.contains("at most 65535")));
    }

    #[test]
    fn categorical_bins_send_unknown_levels_to_other() {
        let b = Binner::new(BinSpec::Categorical {
            levels: vec![vec!["a".into()], vec!["b".into(), "c".into()]],
        });
        assert_eq!(b.bin_cell(Cell::Text("c")), Ok(1));
        assert_eq!(b.bin_cell(Cell::Text("zzz")), Ok(2));
        assert_eq!(b.bin_cell(Cell::Missing), Ok(3));
        assert_eq!(b.bin_cell(Cell::Number(3.0)), Ok(2));
    }

    #[test]
    fn problems_are_listed() {
        let spec = BinSpec::Numeric {
            edges: vec![1.0, 1.0, f64::NAN],
            special_values: vec![-1.0, -1.0],
        };
        assert_eq!(spec.problems().len(), 4, "{:?}", spec.problems());
    }
}
