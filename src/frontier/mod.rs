//! The fairness frontier of the paper: which features (and which merges of their bins) to
//! keep so that the predictive IV is largest while the IV of a protected attribute stays
//! under a bound, as a mixed-integer program, traced over a range of bounds. Pure: binned
//! rows in, frontier points out; the CLI reads the sample and prints or renders.
//!
//! The objective adds the features' IVs: exact for features independent given the outcome
//! (the naive-Bayes scorecard), an approximation otherwise, as in the paper. Each point's
//! sums carry delta-method SEs that account for the features being measured on the same
//! rows (`uncertainty`).
//!
//! - `candidates`: each feature's variants: its bins, then a greedy path of adjacent merges.
//! - `solve`: the multiple-choice knapsack as a MIP (good_lp with microlp).
//! - `uncertainty`: the SE of a sum of IVs over the same rows.

mod candidates;
mod solve;
mod uncertainty;

use serde::Serialize;

pub use candidates::{FeatureBins, Variant, variants};
pub use solve::{Objective, select};
pub use uncertainty::sum_with_se;

/// The rows: each one's bin per feature, its outcome, and whether it belongs to the
/// protected group (`Some(true)`), the reference group (`Some(false)`) or neither.
#[derive(Debug, Clone, Copy)]
pub struct Rows<'a> {
    pub bins: &'a [Vec<u16>],
    pub bad: &'a [bool],
    pub group: &'a [Option<bool>],
}

/// A value and its standard error.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    pub value: f64,
    pub se: f64,
}

/// One point of the frontier: the bound, the variants chosen, and both sums.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Point {
    pub bound: f64,
    /// Indices into the variant list.
    pub chosen: Vec<usize>,
    pub predictive_iv: Estimate,
    pub protected_iv: Estimate,
    /// The one-sided `1 - alpha` upper confidence bound of the protected IV.
    pub protected_iv_upper: f64,
}

/// The frontier over `bounds`: at each bound the best selection (plain or robust), then
/// its sums with their SEs. Consecutive bounds that choose the same variants are kept
/// (the table shows where the choice changes).
pub fn frontier(
    rows: Rows<'_>,
    all: &[Variant],
    bounds: &[f64],
    objective: Objective,
) -> Result<Vec<Point>, solve::SolveError> {
    let z = objective.z;
    bounds
        .iter()
        .map(|&bound| {
            let chosen = select(all, bound, objective)?;
            let picked: Vec<&Variant> = chosen.iter().map(|&i| &all[i]).collect();
            let (predictive_iv, protected_iv) = sum_with_se(rows, &picked);
            Ok(Point {
                bound,
                chosen,
                predictive_iv,
                protected_iv,
                protected_iv_upper: protected_iv.value + z * protected_iv.se,
            })
        })
        .collect()
}
