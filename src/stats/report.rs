//! PSI and IV as users see them: the divergence of `divergence.rs` plus the SEs, intervals
//! and tests of `inference.rs`, under the field names of STATISTICS.md sec. 8.
//! `psi` and `iv` share one code path so that IV(g, b) == PSI(g, b) to the last bit.

use serde::Serialize;

use super::divergence::{Divergence, jeffreys};
use super::error::StatsError;
use super::inference::{Evidence, Inference, ToleranceTest, infer, tolerance_test, z_two_sided};

/// Default significance level (95% intervals, 5% tests).
pub const DEFAULT_ALPHA: f64 = 0.05;
/// Default PSI tolerance for the test H0: PSI <= tau.
pub const DEFAULT_PSI_TAU: f64 = 0.1;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PsiOptions {
    pub alpha: f64,
    pub tau: f64,
    /// Treat the baseline as a population quantity: drop its variance, `n_eff = A`.
    pub baseline_fixed: bool,
}

impl Default for PsiOptions {
    fn default() -> Self {
        Self {
            alpha: DEFAULT_ALPHA,
            tau: DEFAULT_PSI_TAU,
            baseline_fixed: false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IvOptions {
    pub alpha: f64,
    /// Tolerance for H0: IV <= tau (e.g. a fairness limit); no tolerance test when `None`.
    pub tau: Option<f64>,
}

impl Default for IvOptions {
    fn default() -> Self {
        Self {
            alpha: DEFAULT_ALPHA,
            tau: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PsiStats {
    pub k: usize,
    pub dropped_bins: Vec<usize>,
    #[serde(rename = "A")]
    pub current_total: f64,
    #[serde(rename = "E")]
    pub baseline_total: f64,
    pub baseline_fixed: bool,
    pub n_eff: f64,
    pub p_current: Vec<f64>,
    pub q_baseline: Vec<f64>,
    pub log_ratio: Vec<f64>,
    pub contrib: Vec<f64>,
    pub psi: f64,
    pub se_two_sample: f64,
    pub se_baseline_fixed: f64,
    #[serde(flatten)]
    pub inference: Inference,
    #[serde(flatten)]
    pub tolerance: ToleranceTest,
}

impl PsiStats {
    /// Whether the z form of the tolerance test (`tau_pvalue`) is within its validity,
    /// `n_eff * tau >= 4 (k-1)^2` (STATISTICS.md sec. 4.2); where it is not, read
    /// `tau_pvalue_ncx2`, which holds its size everywhere.
    pub fn tau_pvalue_valid(&self) -> bool {
        let k1 = self.k.saturating_sub(1) as f64;
        self.n_eff * self.tolerance.tau >= 4.0 * k1 * k1
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IvStats {
    pub k: usize,
    pub dropped_bins: Vec<usize>,
    #[serde(rename = "G")]
    pub goods_total: f64,
    #[serde(rename = "B")]
    pub bads_total: f64,
    pub n_eff: f64,
    pub p_goods: Vec<f64>,
    pub q_bads: Vec<f64>,
    pub woe: Vec<f64>,
    pub woe_se: Vec<f64>,
    pub woe_ci_lower: Vec<f64>,
    pub woe_ci_upper: Vec<f64>,
    pub contrib: Vec<f64>,
    pub iv: f64,
    #[serde(flatten)]
    pub inference: Inference,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub tolerance: Option<ToleranceTest>,
}

fn check_alpha(alpha: f64) -> Result<(), StatsError> {
    if alpha > 0.0 && alpha < 1.0 {
        Ok(())
    } else {
        Err(StatsError::InvalidAlpha(alpha))
    }
}

fn check_tau(tau: f64) -> Result<(), StatsError> {
    if tau.is_finite() && tau >= 0.0 {
        Ok(())
    } else {
        Err(StatsError::InvalidTau(tau))
    }
}

fn two_sample_n_eff(d: &Divergence) -> f64 {
    d.x_total * d.y_total / (d.x_total + d.y_total)
}

/// PSI of the current window against the baseline, over the same bins.
pub fn psi(current: &[f64], baseline: &[f64], opts: PsiOptions) -> Result<PsiStats, StatsError> {
    check_alpha(opts.alpha)?;
    check_tau(opts.tau)?;
    let d = jeffreys(current, baseline, "current", "baseline")?;
    let se_two_sample = (d.var_x + d.var_y).sqrt();
    let se_baseline_fixed = d.var_x.sqrt();
    let (se, n_eff) = if opts.baseline_fixed {
        (se_baseline_fixed, d.x_total)
    } else {
        (se_two_sample, two_sample_n_eff(&d))
    };
    let ev = Evidence {
        value: d.value,
        se,
        n_eff,
        k: d.k,
    };
    Ok(PsiStats {
        inference: infer(ev, opts.alpha),
        tolerance: tolerance_test(ev, opts.tau),
        k: d.k,
        dropped_bins: d.dropped_bins,
        current_total: d.x_total,
        baseline_total: d.y_total,
        baseline_fixed: opts.baseline_fixed,
        n_eff,
        p_current: d.p,
        q_baseline: d.q,
        log_ratio: d.log_ratio,
        contrib: d.contrib,
        psi: d.value,
        se_two_sample,
        se_baseline_fixed,
    })
}

/// IV of a binned feature from its good and bad counts, with WoE per bin (goods over bads).
pub fn iv(goods: &[f64], bads: &[f64], opts: IvOptions) -> Result<IvStats, StatsError> {
    check_alpha(opts.alpha)?;
    if let Some(tau) = opts.tau {
        check_tau(tau)?;
    }
    let d = jeffreys(goods, bads, "goods", "bads")?;
    let n_eff = two_sample_n_eff(&d);
    let ev = Evidence {
        value: d.value,
        se: (d.var_x + d.var_y).sqrt(),
        n_eff,
        k: d.k,
    };
    let z = z_two_sided(opts.alpha);
    let (g, b) = (d.x_total, d.y_total);
    let woe_se: Vec<f64> =
        d.p.iter()
            .zip(&d.q)
            .map(|(p, q)| ((1.0 - p) / (g * p) + (1.0 - q) / (b * q)).sqrt())
            .collect();
    let woe_ci_lower = d
        .log_ratio
        .iter()
        .zip(&woe_se)
        .map(|(w, s)| w - z * s)
        .collect();
    let woe_ci_upper = d
        .log_ratio
        .iter()
        .zip(&woe_se)
        .map(|(w, s)| w + z * s)
        .collect();
    Ok(IvStats {
        inference: infer(ev, opts.alpha),
        tolerance: opts.tau.map(|tau| tolerance_test(ev, tau)),
        k: d.k,
        dropped_bins: d.dropped_bins,
        goods_total: g,
        bads_total: b,
        n_eff,
        p_goods: d.p,
        q_bads: d.q,
        woe: d.log_ratio,
        woe_se,
        woe_ci_lower,
        woe_ci_upper,
        contrib: d.contrib,
        iv: d.value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_bin_left_has_tolerance_p_values_of_one() {
        // Both windows fall in one bin (the others empty in both): T = 0, df = 0.
        let s = psi(&[0.0, 40.0, 0.0], &[0.0, 60.0, 0.0], PsiOptions::default()).unwrap();
        assert_eq!(s.k, 1);
        assert_eq!(s.tolerance.tau_pvalue_ncx2, 1.0, "P(X >= 0) = 1 (sec. 4.2)");
        assert_eq!(s.tolerance.tau_pvalue, 1.0);
        assert_eq!(s.inference.chi2_pvalue, 1.0);
    }

    #[test]
    fn the_shown_estimate_lies_in_its_interval_and_the_bound_agrees_with_the_test() {
        let base = [2500.0, 2500.0, 2500.0, 2500.0];
        let mut rejected = [0, 0];
        // From no shift to a large one, on a small and a large window.
        for scale in [0.04, 1.0] {
            for shift in 0..12 {
                let d = 180.0 * f64::from(shift);
                let current: Vec<f64> = [2500.0 + d, 2500.0, 2500.0, 2500.0 - d]
                    .iter()
                    .map(|x| x * scale)
                    .collect();
                let p = psi(&current, &base, PsiOptions::default()).unwrap();
                let i = &p.inference;
                assert!(
                    i.ci_ncx2_lower <= i.median_unbiased && i.median_unbiased <= i.ci_ncx2_upper,
                    "{p:?}"
                );
                assert!(
                    i.ci_ncx2_lower <= i.ncx2_lower_bound
                        && i.ncx2_lower_bound <= i.median_unbiased
                );
                // "PSI <= tau" rejected at alpha exactly when the one-sided bound is above tau.
                let t = &p.tolerance;
                assert_eq!(
                    t.tau_pvalue_ncx2 <= 0.05,
                    i.ncx2_lower_bound > t.tau,
                    "{p:?}"
                );
                rejected[usize::from(t.tau_pvalue_ncx2 <= 0.05)] += 1;
            }
        }
        assert!(
            rejected[0] > 3 && rejected[1] > 3,
            "both sides: {rejected:?}"
        );
    }

    #[test]
    fn the_p_value_of_j_below_tau_keeps_its_digits_when_small() {
        // Two groups of 50,000 alike: J ~ 0, far below tau = 0.02 (n_eff tau = 500).
        let g = [12_500.0, 12_500.0, 12_500.0, 12_500.0];
        let opts = IvOptions {
            alpha: 0.05,
            tau: Some(0.02),
        };
        let g2 = [12_600.0, 12_400.0, 12_500.0, 12_500.0];
        let t = iv(&g2, &g, opts).unwrap().tolerance.unwrap();
        assert_eq!(
            1.0 - t.tau_pvalue_ncx2,
            0.0,
            "the complement has lost every digit"
        );
        assert!(t.below_tau_pvalue_ncx2 > 0.0 && t.below_tau_pvalue_ncx2 < 1e-50);
        // Where both are moderate they are complements.
        let h = iv(
            &[130.0, 100.0, 100.0, 70.0],
            &[100.0, 100.0, 100.0, 100.0],
            opts,
        )
        .unwrap();
        let t = h.tolerance.unwrap();
        assert!(
            (t.below_tau_pvalue_ncx2 + t.tau_pvalue_ncx2 - 1.0).abs() < 1e-12,
            "{t:?}"
        );
    }

    #[test]
    fn the_z_tolerance_test_is_marked_outside_its_validity() {
        // 20 bins, 500 against 500: n_eff tau = 25 < 4 * 19^2.
        let small: Vec<f64> = vec![25.0; 20];
        let s = psi(&small, &small, PsiOptions::default()).unwrap();
        assert!(!s.tau_pvalue_valid());
        // 4 bins, 5,000 against 5,000: 250 >= 36.
        let big: Vec<f64> = vec![1250.0; 4];
        assert!(
            psi(&big, &big, PsiOptions::default())
                .unwrap()
                .tau_pvalue_valid()
        );
    }
}
