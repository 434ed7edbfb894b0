//! How application events are encoded: JSON, or Avro with a schema registry.

use std::time::Duration;

use serde::Deserialize;

use super::durations::humantime_serde_compat;

/// How application events are encoded.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputConfig {
    #[serde(default)]
    pub format: InputFormat,
    /// The Confluent-compatible schema registry of Avro input.
    #[serde(default)]
    pub schema_registry: Option<RegistryConfig>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InputFormat {
    #[default]
    Json,
    /// The Confluent wire format: magic byte, schema id, Avro datum.
    Avro,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistryConfig {
    /// Base URL of the Confluent-compatible API (`GET {url}/schemas/ids/{id}`), e.g.
    /// `http://registry:8081` or Apicurio's `http://apicurio:8080/apis/ccompat/v7`.
    pub url: String,
    /// Basic authentication (both or neither).
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    /// Timeout of one request; an unreachable registry is retried, never skipped.
    #[serde(default = "default_registry_timeout", with = "humantime_serde_compat")]
    pub timeout: Duration,
}

fn default_registry_timeout() -> Duration {
    Duration::from_secs(10)
}
