//! `[[fairness]]`: a feature's bins compared across a protected attribute's groups.

use serde::Deserialize;

/// One fairness check (STATISTICS.md sec. 6): per window of the model's `[[windows]]`,
/// for each monitored group, J between the feature's bin distribution in that group and in
/// the reference group, with SE, interval and the tolerance test of "J < tau". The
/// attribute's values appear nowhere but as the configured group names.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FairnessConfig {
    /// The check's name: the `check` label of its metrics.
    pub name: String,
    /// The model whose applications are checked; default: the only model.
    #[serde(default)]
    pub model: Option<String>,
    /// JSON pointer of the protected attribute in the application event.
    pub attribute: String,
    /// The attribute's value of the reference group (text; numbers and booleans are
    /// matched by value: `"1"` matches `1` and `1.0`).
    pub reference: String,
    /// The attribute's values of the monitored groups; applications with other values (or
    /// none) are not counted in the check.
    pub groups: Vec<String>,
    /// The monitored feature (scorecard bins); default `score`.
    #[serde(default = "default_fairness_feature")]
    pub feature: String,
    /// The largest acceptable J; the check is ok when "J < tau" is shown at `alpha`.
    #[serde(default = "default_fairness_tau")]
    pub tau: f64,
}

/// The name under which `mapping.score` is monitored; the baseline must have it.
pub const SCORE_FEATURE: &str = "score";

fn default_fairness_feature() -> String {
    SCORE_FEATURE.to_string()
}

fn default_fairness_tau() -> f64 {
    crate::fairness::DEFAULT_FAIRNESS_TAU
}
