//! `[evaluation]`: the interval, alpha, the PSI thresholds and multiple testing.

use std::time::Duration;

use serde::Deserialize;

use super::durations::humantime_serde_compat;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvaluationConfig {
    #[serde(default = "default_interval", with = "humantime_serde_compat")]
    pub interval: Duration,
    /// A window is evaluated only with at least this many applications.
    #[serde(default = "default_min_apps")]
    pub min_applications: u64,
    /// Significance level of intervals and tests.
    #[serde(default = "default_alpha")]
    pub alpha: f64,
    /// PSI above which (by its CI's lower bound, significantly) a feature is in warning.
    #[serde(default = "default_warning")]
    pub warning_psi: f64,
    /// PSI above which (by its CI's lower bound, significantly) a feature is in alert.
    #[serde(default = "default_alert")]
    pub alert_psi: f64,
    /// A state clears once PSI falls below `clear_ratio` x its threshold (hysteresis).
    #[serde(default = "default_clear_ratio")]
    pub clear_ratio: f64,
    /// Bins listed as "moved most" in drift events.
    #[serde(default = "default_top_bins")]
    pub top_bins: usize,
    /// Adjustment of the no-drift p-values of the features evaluated together (per model
    /// and window): "bh" (Benjamini-Hochberg), "by" (Benjamini-Yekutieli), "bonferroni",
    /// "none".
    #[serde(default)]
    pub multiple_testing: crate::stats::Adjustment,
}

impl Default for EvaluationConfig {
    fn default() -> Self {
        Self {
            interval: default_interval(),
            min_applications: default_min_apps(),
            alpha: default_alpha(),
            warning_psi: default_warning(),
            alert_psi: default_alert(),
            clear_ratio: default_clear_ratio(),
            top_bins: default_top_bins(),
            multiple_testing: crate::stats::Adjustment::default(),
        }
    }
}

fn default_interval() -> Duration {
    Duration::from_secs(15)
}
fn default_min_apps() -> u64 {
    500
}
fn default_alpha() -> f64 {
    0.05
}
fn default_warning() -> f64 {
    crate::evaluate::DEFAULT_WARNING_PSI
}
fn default_alert() -> f64 {
    crate::evaluate::DEFAULT_ALERT_PSI
}
fn default_clear_ratio() -> f64 {
    0.8
}
fn default_top_bins() -> usize {
    3
}
