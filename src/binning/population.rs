//! Population bins: per feature, bins for watching whether the applicant population changed,
//! chosen without the target. They sit next to the scorecard's bins, which answer "did the
//! model's inputs move" and may merge levels that a population shift moves apart (the
//! demo's `self_employed | student | salaried`). Pure: a column in, a bin spec out.

use std::collections::HashMap;

use super::quantile::quantile_edges;
use super::spec::BinSpec;
use crate::data::sample::{Column, ColumnValues, MISSING_CODE};

/// Default number of equal-frequency bins of a numeric feature (`--population-bins`).
pub(crate) const DEFAULT_POPULATION_BINS: usize = 10;

/// The population bins of `column`:
/// - numeric: up to `bins` equal-frequency ranges over the ordinary values, plus a bin per
///   special value present (`specials`) and Missing;
/// - categorical: a bin per level holding at least `min_share` of the non-missing rows
///   (most frequent first, ties by name), plus Other and Missing.
pub(crate) fn population_bins(
    column: &Column,
    specials: &[f64],
    bins: usize,
    min_share: f64,
) -> BinSpec {
    match &column.values {
        ColumnValues::Numeric(values) => {
            let mut ordinary: Vec<f64> = values
                .iter()
                .copied()
                .filter(|v| !v.is_nan() && !specials.contains(v))
                .collect();
            ordinary.sort_by(f64::total_cmp);
            BinSpec::Numeric {
                edges: quantile_edges(&ordinary, bins),
                special_values: specials
                    .iter()
                    .copied()
                    .filter(|s| values.contains(s))
                    .collect(),
            }
        }
        ColumnValues::Categorical { codes, levels } => {
            let mut counts: HashMap<u32, u64> = HashMap::new();
            for &c in codes.iter().filter(|&&c| c != MISSING_CODE) {
                *counts.entry(c).or_default() += 1;
            }
            let total: u64 = counts.values().sum();
            let mut kept: Vec<(u64, &str)> = counts
                .iter()
                .filter(|&(_, &n)| total > 0 && n as f64 >= min_share * total as f64)
                .map(|(&c, &n)| (n, levels[c as usize].as_str()))
                .collect();
            kept.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(b.1)));
            BinSpec::Categorical {
                levels: kept.into_iter().map(|(_, l)| vec![l.to_string()]).collect(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_deciles_with_specials_apart() {
        let mut values: Vec<f64> = (0..100).map(f64::from).collect();
        values.extend([-999.0; 5]);
        values.push(f64::NAN);
        let column = Column {
            name: "x".into(),
            values: ColumnValues::Numeric(values),
        };
        let spec = population_bins(&column, &[-999.0, -1.0], 10, 0.01);
        assert_eq!(
            spec,
            BinSpec::Numeric {
                edges: vec![10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0],
                special_values: vec![-999.0],
            }
        );
    }

    #[test]
    fn every_level_above_the_share_gets_a_bin() {
        // a: 50, b: 30, c: 18, d: 2 (below 5%), and missing rows, which do not count.
        let mut codes = vec![0u32; 50];
        codes.extend([1; 30]);
        codes.extend([2; 18]);
        codes.extend([3; 2]);
        codes.extend([MISSING_CODE; 40]);
        let column = Column {
            name: "x".into(),
            values: ColumnValues::Categorical {
                codes,
                levels: vec!["a".into(), "b".into(), "c".into(), "d".into()],
            },
        };
        let spec = population_bins(&column, &[], 10, 0.05);
        assert_eq!(
            spec,
            BinSpec::Categorical {
                levels: vec![vec!["a".into()], vec!["b".into()], vec!["c".into()]],
            }
        );
    }
}
