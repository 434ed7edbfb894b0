//! The gauges of every series: PSI with its SE, intervals and tests, the drift state,
//! missing ratio and new-level share per feature and window, windowed IV and its drop with outcomes, and the
//! applications and outcomes per window. Set by the evaluator's gauge sink only.

use prometheus::{GaugeVec, IntGaugeVec, Registry};

use super::register::{gauge_vec, int_gauge_vec};
use crate::stats::{DivergenceStats, PsiStats};

/// `binning` tells a feature's scorecard bins from its population bins.
pub(super) const FEATURE_LABELS: &[&str] = &["model", "feature", "window", "binning"];

#[derive(Clone)]
pub struct SeriesMetrics {
    pub feature_psi: GaugeVec,
    pub feature_psi_stderr: GaugeVec,
    pub feature_psi_ci_lower: GaugeVec,
    pub feature_psi_ci_upper: GaugeVec,
    pub feature_psi_ci_ncx2_lower: GaugeVec,
    pub feature_psi_ci_ncx2_upper: GaugeVec,
    pub feature_psi_lower_bound: GaugeVec,
    pub feature_psi_p_value: GaugeVec,
    pub feature_psi_p_value_adjusted: GaugeVec,
    pub feature_psi_noise_floor: GaugeVec,
    pub feature_drift_state: IntGaugeVec,
    pub feature_missing_ratio: GaugeVec,
    pub new_levels: NewLevelMetrics,
    pub window_applications: IntGaugeVec,
    pub feature_iv: GaugeVec,
    pub feature_iv_stderr: GaugeVec,
    pub feature_iv_ci_ncx2_lower: GaugeVec,
    pub feature_iv_ci_ncx2_upper: GaugeVec,
    pub feature_iv_p_value: GaugeVec,
    pub feature_iv_drop: GaugeVec,
    pub feature_iv_drop_state: IntGaugeVec,
    pub window_outcomes: IntGaugeVec,
    pub divergence: DivergenceMetrics,
}

impl SeriesMetrics {
    pub(super) fn register(r: &Registry) -> Self {
        let fg = |name: &str, help: &str| gauge_vec(r, name, help, FEATURE_LABELS);
        Self {
            feature_psi: fg(
                "psimon_feature_psi",
                "PSI of the feature's current window against its baseline.",
            ),
            feature_psi_stderr: fg(
                "psimon_feature_psi_stderr",
                "Delta-method standard error of the PSI.",
            ),
            feature_psi_ci_lower: fg(
                "psimon_feature_psi_ci_lower",
                "Lower end of the PSI's normal confidence interval (cut at 0).",
            ),
            feature_psi_ci_upper: fg(
                "psimon_feature_psi_ci_upper",
                "Upper end of the PSI's normal confidence interval.",
            ),
            feature_psi_ci_ncx2_lower: fg(
                "psimon_feature_psi_ci_ncx2_lower",
                "Lower end of the PSI's noncentral chi-square interval.",
            ),
            feature_psi_ci_ncx2_upper: fg(
                "psimon_feature_psi_ci_ncx2_upper",
                "Upper end of the PSI's noncentral chi-square interval.",
            ),
            feature_psi_lower_bound: fg(
                "psimon_feature_psi_lower_bound",
                "One-sided (1 - alpha) noncentral lower confidence bound of the PSI: the drift state compares it with warning_psi and alert_psi.",
            ),
            feature_psi_p_value: fg(
                "psimon_feature_psi_p_value",
                "p-value of the chi-square test of no drift.",
            ),
            feature_psi_p_value_adjusted: fg(
                "psimon_feature_psi_p_value_adjusted",
                "No-drift p-value adjusted for the features evaluated together ([evaluation] multiple_testing); the drift state uses it.",
            ),
            feature_psi_noise_floor: fg(
                "psimon_feature_psi_noise_floor",
                "PSI expected with no drift, (k-1)/n_eff.",
            ),
            feature_drift_state: int_gauge_vec(
                r,
                "psimon_feature_drift_state",
                "Drift state: 0 ok, 1 warning, 2 alert.",
                FEATURE_LABELS,
            ),
            feature_missing_ratio: fg(
                "psimon_feature_missing_ratio",
                "Share of the window's applications with the feature missing.",
            ),
            new_levels: NewLevelMetrics::register(r),
            window_applications: int_gauge_vec(
                r,
                "psimon_window_applications",
                "Applications in the window at the last evaluation.",
                &["model", "window"],
            ),
            feature_iv: fg(
                "psimon_feature_iv",
                "IV of the feature's joined outcomes in the outcome window (goods over bads).",
            ),
            feature_iv_stderr: fg(
                "psimon_feature_iv_stderr",
                "Delta-method standard error of the windowed IV.",
            ),
            feature_iv_ci_ncx2_lower: fg(
                "psimon_feature_iv_ci_ncx2_lower",
                "Lower end of the windowed IV's noncentral chi-square interval.",
            ),
            feature_iv_ci_ncx2_upper: fg(
                "psimon_feature_iv_ci_ncx2_upper",
                "Upper end of the windowed IV's noncentral chi-square interval.",
            ),
            feature_iv_p_value: fg(
                "psimon_feature_iv_p_value",
                "p-value of the chi-square test that the feature does not separate goods from bads in the window.",
            ),
            feature_iv_drop: fg(
                "psimon_feature_iv_drop",
                "Development IV minus windowed IV, each less its noise floor (positive: information lost).",
            ),
            feature_iv_drop_state: int_gauge_vec(
                r,
                "psimon_feature_iv_drop_state",
                "0 ok, 1 warning, 2 alert: the share of the development IV lost (interval's lower end against [outcomes] warning_iv_drop / alert_iv_drop, with the one-sided test).",
                FEATURE_LABELS,
            ),
            window_outcomes: int_gauge_vec(
                r,
                "psimon_window_outcomes",
                "Joined outcomes in the outcome window at the last evaluation, by outcome (good, bad).",
                &["model", "window", "outcome"],
            ),
            divergence: DivergenceMetrics::register(r),
        }
    }

    pub fn record_psi(&self, labels: &[&str], psi: &PsiStats) {
        let inf = &psi.inference;
        for (gauge, value) in [
            (&self.feature_psi, psi.psi),
            (&self.feature_psi_stderr, inf.se),
            (&self.feature_psi_ci_lower, inf.ci_lower),
            (&self.feature_psi_ci_upper, inf.ci_upper),
            (&self.feature_psi_ci_ncx2_lower, inf.ci_ncx2_lower),
            (&self.feature_psi_ci_ncx2_upper, inf.ci_ncx2_upper),
            (&self.feature_psi_lower_bound, inf.ncx2_lower_bound),
            (&self.feature_psi_p_value, inf.chi2_pvalue),
            (&self.feature_psi_noise_floor, inf.null_mean),
        ] {
            gauge.with_label_values(labels).set(value);
        }
    }
}

/// The divergences a model asks for beside PSI (`[[models]] divergences`), one series per
/// measure: the feature's labels and `measure`.
#[derive(Clone)]
pub struct DivergenceMetrics {
    value: GaugeVec,
    stderr: GaugeVec,
    ci_lower: GaugeVec,
    ci_upper: GaugeVec,
    p_value: GaugeVec,
}

const DIVERGENCE_LABELS: &[&str] = &["model", "feature", "window", "binning", "measure"];

impl DivergenceMetrics {
    fn register(r: &Registry) -> Self {
        let g = |name: &str, help: &str| gauge_vec(r, name, help, DIVERGENCE_LABELS);
        Self {
            value: g(
                "psimon_feature_divergence",
                "A divergence of the feature's current window from its baseline, on PSI's bins and smoothing (measure: jensen_shannon, hellinger, kl_pq, kl_qp, chi_square; opt-in per model).",
            ),
            stderr: g(
                "psimon_feature_divergence_stderr",
                "Delta-method standard error of the divergence.",
            ),
            ci_lower: g(
                "psimon_feature_divergence_ci_lower",
                "Lower end of the divergence's normal confidence interval (cut at 0).",
            ),
            ci_upper: g(
                "psimon_feature_divergence_ci_upper",
                "Upper end of the divergence's normal confidence interval.",
            ),
            p_value: g(
                "psimon_feature_divergence_p_value",
                "p-value of the divergence's chi-square test of no drift.",
            ),
        }
    }

    /// The feature's labels (`FEATURE_LABELS`) and each divergence's measure.
    pub fn record(&self, feature_labels: &[&str], stats: &[DivergenceStats]) {
        for s in stats {
            let mut labels = feature_labels.to_vec();
            labels.push(s.measure.name());
            for (gauge, value) in [
                (&self.value, s.value),
                (&self.stderr, s.se),
                (&self.ci_lower, s.ci_lower),
                (&self.ci_upper, s.ci_upper),
                (&self.p_value, s.chi2_pvalue),
            ] {
                gauge.with_label_values(&labels).set(value);
            }
        }
    }
}

/// The new-level gauges of the categorical features watched.
#[derive(Clone)]
pub struct NewLevelMetrics {
    pub share: GaugeVec,
    pub applications: IntGaugeVec,
}

impl NewLevelMetrics {
    fn register(r: &Registry) -> Self {
        Self {
            share: gauge_vec(
                r,
                "psimon_feature_new_level_share",
                "Share of the window's applications whose level of this categorical feature development never saw (not one of the levels its bins or its Other bin held).",
                FEATURE_LABELS,
            ),
            applications: int_gauge_vec(
                r,
                "psimon_feature_new_level_applications",
                "Applications in the window whose level of this categorical feature development never saw.",
                FEATURE_LABELS,
            ),
        }
    }
}
