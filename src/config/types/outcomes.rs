//! `[outcomes]`: the outcome join, its windows and its iv_drop thresholds.

use std::time::Duration;

use serde::Deserialize;

use super::durations::humantime_serde_compat;
use super::windows::WindowConfig;

/// The outcome topic and its join with the applications. Applications are keyed by the
/// application id; outcomes are joined with them by that id: read from the outcome's key
/// (co-partitioned topics) or through an internal topic keyed and partitioned by the id
/// (`repartition`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutcomesConfig {
    pub topic: String,
    /// JSON pointer of the application id in the outcome; default: the message key. With
    /// it, outcomes are repartitioned by that id (`repartition`).
    #[serde(default)]
    pub id: Option<String>,
    /// Whether outcomes go through the internal topic `<group_id>.psimon-outcomes-by-id`,
    /// keyed by the application id and with the input topics' partition count: `auto`
    /// (when `id` is set or the partition counts differ), `always`, `never` (refuse topics
    /// that are not co-partitioned).
    #[serde(default)]
    pub repartition: Repartition,
    /// JSON pointer of the outcome.
    pub outcome: String,
    /// JSON pointer of the outcome's time (epoch ms or RFC 3339); default: the Kafka
    /// timestamp.
    #[serde(default)]
    pub outcome_time: Option<String>,
    /// Outcome values (as text: `1`, `true`, `default`) that mean bad; any other value
    /// not in `good_values` is dead-lettered.
    pub bad_values: Vec<String>,
    pub good_values: Vec<String>,
    /// How long an application waits for its outcome (application time against the
    /// newest outcome time seen).
    #[serde(with = "humantime_serde_compat")]
    pub horizon: Duration,
    /// How long an outcome that came before its application waits for it.
    #[serde(default = "default_grace", with = "humantime_serde_compat")]
    pub grace: Duration,
    /// Directory of the on-disk join store (relative to the config file); default
    /// `psimon-join`. Rebuilt from the changelog topic on start.
    #[serde(default)]
    pub store_dir: Option<String>,
    /// Windows of joined outcomes, by application time (vintages) or by count.
    pub windows: Vec<WindowConfig>,
    /// `iv_drop` warning: this share of a feature's development IV lost.
    #[serde(default = "default_warning_iv_drop")]
    pub warning_iv_drop: f64,
    /// `iv_drop` alert: this share lost.
    #[serde(default = "default_alert_iv_drop")]
    pub alert_iv_drop: f64,
    /// The monitored feature (scorecard bins, numeric) whose ranking and calibration are
    /// back-tested; default `score` (`mapping.score`) when the model monitors it.
    #[serde(default)]
    pub score_feature: Option<String>,
    /// `gini_decline` warning (back-testing of `score`): this share of the development
    /// Gini lost, shown by the decline's one-sided lower bound.
    #[serde(default = "default_warning_gini_decline")]
    pub warning_gini_decline: f64,
    /// `gini_decline` alert: this share lost.
    #[serde(default = "default_alert_gini_decline")]
    pub alert_gini_decline: f64,
    /// The scorecard's scaling: when given, each score band is calibrated against the PD
    /// it promises instead of its development bad rate.
    #[serde(default)]
    pub scaling: Option<crate::evaluate::ScoreScaling>,
}

/// When outcomes are repartitioned by application id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Repartition {
    #[default]
    Auto,
    Always,
    Never,
}

fn default_warning_iv_drop() -> f64 {
    crate::evaluate::DEFAULT_WARNING_IV_DROP
}

fn default_alert_iv_drop() -> f64 {
    crate::evaluate::DEFAULT_ALERT_IV_DROP
}

fn default_warning_gini_decline() -> f64 {
    crate::evaluate::DEFAULT_WARNING_GINI_DECLINE
}

fn default_alert_gini_decline() -> f64 {
    crate::evaluate::DEFAULT_ALERT_GINI_DECLINE
}

fn default_grace() -> Duration {
    Duration::from_secs(24 * 3600)
}
