//! From a divergence value and its SE to intervals and tests (STATISTICS.md sec. 4-6):
//! the normal, log and noncentral chi-square intervals, the chi-square no-drift test,
//! the noise floor and the tolerance test. Shared verbatim by PSI and IV.

use serde::Serialize;

use super::special::{
    chi2_sf, ncx2_cdf, ncx2_lambda_for_cdf, ncx2_sf, normal_sf, normal_upper_quantile,
};

/// Intervals and the no-drift test of one divergence value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Inference {
    pub se: f64,
    pub ci_lower: f64,
    pub ci_upper: f64,
    pub ci_log_lower: f64,
    pub ci_log_upper: f64,
    pub ci_ncx2_lower: f64,
    pub ci_ncx2_upper: f64,
    /// The estimate that belongs to the noncentral interval: the noncentrality whose
    /// median is the observed statistic, over `n_eff` (0 when the statistic is below the
    /// central law's median). Median-unbiased, and inside the interval by construction;
    /// tables show it beside the interval, the plug-in value stays in the JSON.
    pub median_unbiased: f64,
    /// The one-sided `1 - alpha` noncentral lower confidence bound: the bound every state
    /// compares with its threshold (above it is the one-sided test of "at most the
    /// threshold" rejecting at alpha).
    pub ncx2_lower_bound: f64,
    pub chi2_stat: f64,
    pub chi2_df: usize,
    pub chi2_pvalue: f64,
    pub null_mean: f64,
}

/// The tolerance test H0: J <= tau, in its z and noncentral forms.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ToleranceTest {
    pub tau: f64,
    /// `None` (JSON null) when SE = 0.
    pub tau_z: Option<f64>,
    pub tau_pvalue: f64,
    pub tau_pvalue_ncx2: f64,
    /// p-value of the opposite hypothesis H0: J >= tau (noncentral): the lower tail
    /// `P(X <= T)` at noncentrality `n_eff tau`, computed as such (not `1 - tau_pvalue_ncx2`,
    /// which loses every digit when small). Below alpha shows J < tau.
    pub below_tau_pvalue_ncx2: f64,
}

/// What the inference needs to know of a divergence.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Evidence {
    pub value: f64,
    pub se: f64,
    pub n_eff: f64,
    /// Bins kept; the test has `k - 1` degrees of freedom.
    pub k: usize,
}

impl Evidence {
    /// Degrees of freedom of the no-drift test, `k - 1`.
    fn df(&self) -> usize {
        self.k.saturating_sub(1)
    }

    /// `T = n_eff * J`; 0 with a single bin (df = 0).
    fn chi2_stat(&self) -> f64 {
        if self.df() == 0 {
            0.0
        } else {
            self.n_eff * self.value
        }
    }
}

/// Two-sided normal quantile `z = Phi^-1(1 - alpha/2)`.
pub(crate) fn z_two_sided(alpha: f64) -> f64 {
    normal_upper_quantile(alpha / 2.0)
}

/// The log interval `value exp(± z SE / value)`; (0, 0) for a value of 0.
pub(crate) fn log_interval(value: f64, se: f64, z: f64) -> (f64, f64) {
    if value > 0.0 {
        let spread = z * se / value;
        (value * (-spread).exp(), value * spread.exp())
    } else {
        (0.0, 0.0)
    }
}

/// The p-value of the chi-square test of no drift, `P(X >= T)` on `df` degrees of freedom;
/// 1 with a single bin (`df = 0`: nothing can differ).
pub(crate) fn no_drift_pvalue(df: usize, chi2_stat: f64) -> f64 {
    if df == 0 {
        1.0
    } else {
        chi2_sf(df as f64, chi2_stat)
    }
}

pub(crate) fn infer(ev: Evidence, alpha: f64) -> Inference {
    let Evidence {
        value, se, n_eff, ..
    } = ev;
    let z = z_two_sided(alpha);
    let df = ev.df();
    let dff = df as f64;
    let chi2_stat = ev.chi2_stat();
    let (ci_log_lower, ci_log_upper) = log_interval(value, se, z);
    // The noncentrality at which the observed statistic sits at quantile 1 - q, per n_eff.
    let at = |q: f64| {
        if df == 0 {
            0.0
        } else {
            ncx2_lambda_for_cdf(dff, chi2_stat, q) / n_eff
        }
    };
    let (ci_ncx2_lower, ci_ncx2_upper) = (at(1.0 - alpha / 2.0), at(alpha / 2.0));
    Inference {
        se,
        ci_lower: (value - z * se).max(0.0),
        ci_upper: value + z * se,
        ci_log_lower,
        ci_log_upper,
        ci_ncx2_lower,
        ci_ncx2_upper,
        median_unbiased: at(0.5),
        ncx2_lower_bound: at(1.0 - alpha),
        chi2_stat,
        chi2_df: df,
        chi2_pvalue: no_drift_pvalue(df, chi2_stat),
        null_mean: dff / n_eff,
    }
}

pub(crate) fn tolerance_test(ev: Evidence, tau: f64) -> ToleranceTest {
    let Evidence {
        value, se, n_eff, ..
    } = ev;
    let (tau_z, tau_pvalue) = if se > 0.0 {
        let z = (value - tau) / se;
        (Some(z), normal_sf(z))
    } else {
        (None, if value <= tau { 1.0 } else { 0.0 })
    };
    ToleranceTest {
        tau,
        tau_z,
        tau_pvalue,
        // One bin left: T = 0 and P(X >= 0) = 1 (sec. 4.2); the survival function would
        // give P(X > 0), which leaves out the noncentral law's mass at 0.
        tau_pvalue_ncx2: if ev.df() == 0 {
            1.0
        } else {
            ncx2_sf(ev.df() as f64, n_eff * tau, ev.chi2_stat())
        },
        // One bin: nothing can differ, J = 0 < tau is certain.
        below_tau_pvalue_ncx2: if ev.df() == 0 {
            0.0
        } else {
            ncx2_cdf(ev.df() as f64, n_eff * tau, ev.chi2_stat())
        },
    }
}
