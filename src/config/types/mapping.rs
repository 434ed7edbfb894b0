//! `[mapping]` and `[[models]]`: where a model's fields are in an event, and its baseline.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

use super::durations::humantime_serde_compat;

/// Where the fields of an application event are: JSON pointers (RFC 6901), e.g.
/// `/applicant/income` for a nested field.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MappingConfig {
    /// The application id (used in dead-letter details only).
    #[serde(default)]
    pub id: Option<String>,
    /// Event time: RFC 3339 text or epoch milliseconds; without it, the Kafka timestamp.
    #[serde(default)]
    pub event_time: Option<String>,
    /// The model the application was scored by; without it, every event is for `default_model`.
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub default_model: Option<String>,
    /// The scorecard's score, monitored as the feature `score` of the baseline.
    #[serde(default)]
    pub score: Option<String>,
    /// Feature name (as in the baseline) -> pointer.
    pub features: BTreeMap<String, String>,
    /// An event time further ahead of its Kafka timestamp than this is dead-lettered as
    /// `invalid_time`: it would move the watermark for good.
    #[serde(default = "default_time_skew", with = "humantime_serde_compat")]
    pub max_time_skew: Duration,
}

fn default_time_skew() -> Duration {
    Duration::from_secs(3600)
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelConfig {
    /// The model's name as it appears in events.
    pub name: String,
    /// Baseline file.
    pub baseline: String,
    /// Model name inside the baseline file (default: `name`, or the file's only model).
    #[serde(default)]
    pub baseline_model: Option<String>,
    /// Also watch the baseline's population bins (where it has them): a second series per
    /// feature, `binning = "population"`. Off halves the per-feature series.
    #[serde(default = "yes")]
    pub population_bins: bool,
    /// Divergences published beside PSI for every series of this model, by name
    /// (`jensen_shannon`, `hellinger`, `kl_pq`, `kl_qp`, `chi_square`): each adds five
    /// gauges per series and window, so the cardinality stays a choice. None by default.
    #[serde(default)]
    pub divergences: Vec<String>,
}

fn yes() -> bool {
    true
}
