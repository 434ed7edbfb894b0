//! Errors of the statistics core: invalid count vectors and parameters.
//! Every message carries the offending value so a user can find it in their input.

use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq)]
pub enum StatsError {
    #[error("the two count vectors differ in length ({first} vs {second} bins)")]
    LengthMismatch { first: usize, second: usize },
    #[error("the count vectors are empty")]
    Empty,
    #[error("{vector}[{index}] = {value} is not a finite, non-negative count")]
    InvalidCount {
        vector: &'static str,
        index: usize,
        value: f64,
    },
    #[error("the {vector} counts sum to 0")]
    ZeroTotal { vector: &'static str },
    #[error("the {vector} counts sum to less than {needed}")]
    TooFew { vector: &'static str, needed: u32 },
    #[error("pd[{index}] = {value} must lie strictly between 0 and 1")]
    InvalidPd { index: usize, value: f64 },
    #[error("alpha = {0} must lie strictly between 0 and 1")]
    InvalidAlpha(f64),
    #[error("tau = {0} must be finite and non-negative")]
    InvalidTau(f64),
}

/// The first count of `counts` that is not finite and non-negative, as an error.
pub(crate) fn check_counts(vector: &'static str, counts: &[f64]) -> Result<(), StatsError> {
    match counts
        .iter()
        .enumerate()
        .find(|(_, c)| !(c.is_finite() && **c >= 0.0))
    {
        Some((index, &value)) => Err(StatsError::InvalidCount {
            vector,
            index,
            value,
        }),
        None => Ok(()),
    }
}

/// Goods and bads over the same bins, valid counts, and a level `alpha` in (0, 1).
pub(crate) fn check_pair(goods: &[f64], bads: &[f64], alpha: f64) -> Result<(), StatsError> {
    if goods.len() != bads.len() {
        return Err(StatsError::LengthMismatch {
            first: goods.len(),
            second: bads.len(),
        });
    }
    if goods.is_empty() {
        return Err(StatsError::Empty);
    }
    if !(alpha > 0.0 && alpha < 1.0) {
        return Err(StatsError::InvalidAlpha(alpha));
    }
    check_counts("goods", goods)?;
    check_counts("bads", bads)
}
