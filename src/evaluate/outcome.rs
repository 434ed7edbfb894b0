//! Windowed IV of one model's joined outcomes: per series, the goods and bads per bin (the
//! outcome window's counts hold each series' bins twice: goods, then bads), IV with SE,
//! intervals and tests by the same core as `psimon stats`, and against the development IV
//! the drop (the `iv_drop` state needs the published one: the evaluation sets it). Pure.

use crate::evaluate::{DriftState, ModelMeta};
use crate::stats::{IvChange, IvOptions, IvStats, StatsError, iv, iv_change};
use crate::window::CountMatrix;

/// One series' windowed IV.
#[derive(Debug, Clone)]
pub(crate) struct SeriesIv {
    /// Index of the series in the model's features.
    pub feature: usize,
    pub goods: Vec<f64>,
    pub bads: Vec<f64>,
    pub iv: Result<IvStats, StatsError>,
    pub change: Option<IvChange>,
    /// The `iv_drop` state, set by the evaluation from the published one (hysteresis).
    pub drop_state: Option<DriftState>,
}

/// Every series of `model` on the outcome window's `counts`.
pub(crate) fn evaluate_outcomes(
    model: &ModelMeta,
    counts: &CountMatrix,
    alpha: f64,
) -> Vec<SeriesIv> {
    let opts = IvOptions { alpha, tau: None };
    model
        .features
        .iter()
        .enumerate()
        .map(|(f, meta)| {
            let both = counts.feature(f);
            let k = both.len() / 2;
            let goods: Vec<f64> = both[..k].iter().map(|&c| c as f64).collect();
            let bads: Vec<f64> = both[k..].iter().map(|&c| c as f64).collect();
            let now = iv(&goods, &bads, opts);
            let change = match (&now, &meta.development_iv) {
                (Ok(n), Some(d)) => Some(iv_change(d, n, alpha)),
                _ => None,
            };
            SeriesIv {
                feature: f,
                goods,
                bads,
                iv: now,
                change,
                drop_state: None,
            }
        })
        .collect()
}
