//! `psimon scorecard`'s core: a logistic regression on the baseline's bins, encoded as WoE
//! or one-hot, scaled to points per bin, and the AUC of the resulting scores. Pure: binned
//! rows in, a scorecard and figures out; the CLI reads the sample and writes the files.
//!
//! - `logistic`: the IRLS fit.
//! - `encode`: a binned row as a design row under either encoding.
//! - `points`: the scaling (points to double the odds, base score at base odds).
//! - `assess`: AUC and Gini with DeLong intervals of the scores of some rows.

pub mod assess;
pub mod encode;
pub mod logistic;
pub mod points;

pub use assess::assess;
pub use encode::{BinnedSample, Encoding};
pub use points::{BinPoints, Scaling, Scorecard, build};
