//! `[state]` and `[shutdown]`: the state topic, checkpoints, restores and the stop deadline.

use std::time::Duration;

use serde::Deserialize;

use super::durations::humantime_serde_compat;

/// The durable state: a compacted Kafka topic written in transactions.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateConfig {
    /// The compacted state topic; default `<group_id>.psimon-state`.
    #[serde(default)]
    pub topic: Option<String>,
    /// How often the changed panes, dead letters and input offsets are committed in one
    /// transaction. Shorter: less to re-read after a crash, more transactions.
    #[serde(default = "default_commit_interval", with = "humantime_serde_compat")]
    pub commit_interval: Duration,
    /// A partition whose newest event time is this far behind the newest of all partitions
    /// does not hold time windows back.
    #[serde(default = "default_idle_timeout", with = "humantime_serde_compat")]
    pub idle_timeout: Duration,
    /// How long a newly assigned partition may wait for the state table to catch up.
    #[serde(default = "default_restore_timeout", with = "humantime_serde_compat")]
    pub restore_timeout: Duration,
}

impl Default for StateConfig {
    fn default() -> Self {
        Self {
            topic: None,
            commit_interval: default_commit_interval(),
            idle_timeout: default_idle_timeout(),
            restore_timeout: default_restore_timeout(),
        }
    }
}

fn default_commit_interval() -> Duration {
    Duration::from_secs(1)
}

fn default_idle_timeout() -> Duration {
    Duration::from_secs(300)
}

fn default_restore_timeout() -> Duration {
    Duration::from_secs(60)
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShutdownConfig {
    /// On SIGINT/SIGTERM: stop consuming, evaluate once more, flush, commit, stop HTTP,
    /// all within this time.
    #[serde(default = "default_deadline", with = "humantime_serde_compat")]
    pub deadline: Duration,
}

impl Default for ShutdownConfig {
    fn default() -> Self {
        Self {
            deadline: default_deadline(),
        }
    }
}

fn default_deadline() -> Duration {
    Duration::from_secs(10)
}
