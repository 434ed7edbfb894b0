//! The Jeffreys divergence of two count vectors with +0.5 smoothing, and its delta-method
//! variance components (STATISTICS.md sec. 1-3). PSI and IV are both this one computation;
//! nothing here knows which of the two it is computing.

use super::error::StatsError;

/// Smoothed shares, per-bin terms and variance parts of `J(x, y)` over the kept bins.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Divergence {
    /// Number of bins kept (bins empty in both vectors are dropped).
    pub k: usize,
    /// 0-based input indices of the dropped bins.
    pub dropped_bins: Vec<usize>,
    /// Observed totals (not smoothed).
    pub x_total: f64,
    pub y_total: f64,
    /// Smoothed shares `(x_i + 0.5) / (X + 0.5 k)` and `(y_i + 0.5) / (Y + 0.5 k)`.
    pub p: Vec<f64>,
    pub q: Vec<f64>,
    /// `w_i = ln(p_i / q_i)`.
    pub log_ratio: Vec<f64>,
    /// `d_i = (p_i - q_i) w_i`.
    pub contrib: Vec<f64>,
    /// `J = sum d_i`.
    pub value: f64,
    /// Delta-method variance from the first sample (`V_x`) and the second (`V_y`).
    pub var_x: f64,
    pub var_y: f64,
    /// Per kept bin, the influence of one observation of each sample: `c_i = w_i - q_i/p_i`
    /// (`dJ/dp_i` less 1) and `u_i = w_i + p_i/q_i` (`1 - dJ/dq_i`). `V_x` is their
    /// variance under `p` over `X`, `V_y` likewise; a sum of divergences sums them.
    pub grad_x: Vec<f64>,
    pub grad_y: Vec<f64>,
}

fn check_counts(vector: &'static str, counts: &[f64]) -> Result<f64, StatsError> {
    super::error::check_counts(vector, counts)?;
    let total: f64 = counts.iter().sum();
    if total == 0.0 {
        return Err(StatsError::ZeroTotal { vector });
    }
    Ok(total)
}

/// Computes `J(x, y)`. `x_name`/`y_name` only label errors ("current", "goods", ...).
pub(crate) fn jeffreys(
    x: &[f64],
    y: &[f64],
    x_name: &'static str,
    y_name: &'static str,
) -> Result<Divergence, StatsError> {
    if x.len() != y.len() {
        return Err(StatsError::LengthMismatch {
            first: x.len(),
            second: y.len(),
        });
    }
    if x.is_empty() {
        return Err(StatsError::Empty);
    }
    let x_total = check_counts(x_name, x)?;
    let y_total = check_counts(y_name, y)?;

    let dropped_bins: Vec<usize> = (0..x.len()).filter(|&i| x[i] + y[i] == 0.0).collect();
    let kept: Vec<usize> = (0..x.len()).filter(|&i| x[i] + y[i] != 0.0).collect();
    let k = kept.len();
    let half_k = 0.5 * k as f64;
    let x_den = x_total + half_k;
    let y_den = y_total + half_k;
    let p: Vec<f64> = kept.iter().map(|&i| (x[i] + 0.5) / x_den).collect();
    let q: Vec<f64> = kept.iter().map(|&i| (y[i] + 0.5) / y_den).collect();
    // One ln of the ratio (not ln p - ln q): exact zero for equal shares, less rounding.
    let log_ratio: Vec<f64> = p.iter().zip(&q).map(|(pi, qi)| (pi / qi).ln()).collect();
    let contrib: Vec<f64> = (0..k).map(|i| (p[i] - q[i]) * log_ratio[i]).collect();
    let value = contrib.iter().sum();

    // Centred two-pass variances: near no drift every c_i is about -1 and a one-pass
    // `sum p c^2 - c_bar^2` would cancel catastrophically.
    let c: Vec<f64> = (0..k).map(|i| log_ratio[i] - q[i] / p[i]).collect();
    let u: Vec<f64> = (0..k).map(|i| log_ratio[i] + p[i] / q[i]).collect();
    let var_x = centred_variance(&p, &c) / x_total;
    let var_y = centred_variance(&q, &u) / y_total;

    Ok(Divergence {
        k,
        dropped_bins,
        x_total,
        y_total,
        p,
        q,
        log_ratio,
        contrib,
        value,
        var_x,
        var_y,
        grad_x: c,
        grad_y: u,
    })
}

/// A per-kept-bin vector (`p`, `woe`, `contrib`, ...) spread over all `bins` input bins:
/// `None` at the bins dropped as empty in both vectors.
pub(crate) fn per_bin<T: Clone>(kept: &[T], dropped: &[usize], bins: usize) -> Vec<Option<T>> {
    let mut values = kept.iter();
    (0..bins)
        .map(|b| {
            if dropped.contains(&b) {
                None
            } else {
                values.next().cloned()
            }
        })
        .collect()
}

/// `sum_i w_i (v_i - v_bar)^2` with `v_bar = sum_i w_i v_i` (weights sum to 1). The mean is
/// divided by the computed sum of the weights, which is 1 up to rounding: then a constant
/// `v` (no drift, p = q) gives exactly `v_bar = v` and a variance of exactly 0.
pub(crate) fn centred_variance(weights: &[f64], values: &[f64]) -> f64 {
    let total: f64 = weights.iter().sum();
    let mean: f64 = weights.iter().zip(values).map(|(w, v)| w * v).sum::<f64>() / total;
    weights
        .iter()
        .zip(values)
        .map(|(w, v)| w * (v - mean) * (v - mean))
        .sum()
}
