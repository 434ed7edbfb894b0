//! The configuration structs, their defaults and what each field means, a file per
//! section.

mod durations;
mod evaluation;
mod fairness;
mod http;
mod input;
mod kafka;
mod mapping;
mod outcomes;
mod state;
mod windows;

pub use evaluation::*;
pub use fairness::*;
pub use http::*;
pub use input::*;
pub use kafka::*;
pub use mapping::*;
pub use outcomes::*;
pub use state::*;
pub use windows::*;

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub kafka: KafkaConfig,
    #[serde(default)]
    pub http: HttpConfig,
    pub mapping: MappingConfig,
    pub models: Vec<ModelConfig>,
    pub windows: Vec<WindowConfig>,
    #[serde(default)]
    pub evaluation: EvaluationConfig,
    #[serde(default)]
    pub shutdown: ShutdownConfig,
    #[serde(default)]
    pub state: StateConfig,
    /// Delayed good/bad outcomes joined with their applications (windowed IV).
    #[serde(default)]
    pub outcomes: Option<OutcomesConfig>,
    /// Fairness checks of a model's score (or another feature) across a protected attribute.
    #[serde(default)]
    pub fairness: Vec<FairnessConfig>,
    #[serde(default)]
    pub input: InputConfig,
    #[serde(default)]
    pub log: LogConfig,
}

/// The log on standard error.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    /// `text` (default) or `json` (one object per line, for log shippers). Read before the
    /// rest of the config, so that its problems are logged in the chosen format.
    #[serde(default)]
    pub format: LogFormat,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

impl Config {
    /// The state topic's name.
    pub fn state_topic(&self) -> String {
        self.state
            .topic
            .clone()
            .unwrap_or_else(|| format!("{}.psimon-state", self.kafka.group_id))
    }
}
