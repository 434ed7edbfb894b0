//! `[[windows]]` (and `[[outcomes.windows]]`): time and count windows.

use std::time::Duration;

use serde::Deserialize;

use super::durations::optional_duration;

#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "RawWindow")]
pub enum WindowConfig {
    /// A sliding time window of `length`, advancing every `slide`, as a ring of panes.
    Time {
        name: String,
        length: Duration,
        slide: Duration,
        allowed_lateness: Duration,
    },
    /// The last `size` applications, kept as `panes` panes of `size / panes`.
    Count { name: String, size: u64, panes: u64 },
}

fn default_count_panes() -> u64 {
    10
}

/// A window as written: one flat table whose `kind` says which keys belong. Read through
/// this (not serde's internally tagged enum, which buffers the table and loses the path of
/// a bad value) so that `check-config` can name `windows[0].length`, not just `windows[0]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWindow {
    kind: WindowKind,
    name: String,
    #[serde(default, with = "optional_duration")]
    length: Option<Duration>,
    #[serde(default, with = "optional_duration")]
    slide: Option<Duration>,
    #[serde(default, with = "optional_duration")]
    allowed_lateness: Option<Duration>,
    #[serde(default)]
    size: Option<u64>,
    #[serde(default)]
    panes: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum WindowKind {
    Time,
    Count,
}

impl TryFrom<RawWindow> for WindowConfig {
    type Error = String;

    /// The messages read like serde's own (`missing field`, `unknown field`), so the
    /// config check treats them as it treats those.
    fn try_from(w: RawWindow) -> Result<Self, String> {
        let missing = |key: &str| format!("missing field `{key}`");
        let foreign = |key: &str, kind: &str, keys: &str| {
            format!("unknown field `{key}` for a {kind} window, expected one of {keys}")
        };
        match w.kind {
            WindowKind::Time => {
                const KEYS: &str = "`kind`, `name`, `length`, `slide`, `allowed_lateness`";
                if w.size.is_some() {
                    return Err(foreign("size", "time", KEYS));
                }
                if w.panes.is_some() {
                    return Err(foreign("panes", "time", KEYS));
                }
                Ok(WindowConfig::Time {
                    name: w.name,
                    length: w.length.ok_or_else(|| missing("length"))?,
                    slide: w.slide.ok_or_else(|| missing("slide"))?,
                    allowed_lateness: w.allowed_lateness.unwrap_or_default(),
                })
            }
            WindowKind::Count => {
                const KEYS: &str = "`kind`, `name`, `size`, `panes`";
                for (key, set) in [
                    ("length", w.length.is_some()),
                    ("slide", w.slide.is_some()),
                    ("allowed_lateness", w.allowed_lateness.is_some()),
                ] {
                    if set {
                        return Err(foreign(key, "count", KEYS));
                    }
                }
                Ok(WindowConfig::Count {
                    name: w.name,
                    size: w.size.ok_or_else(|| missing("size"))?,
                    panes: w.panes.unwrap_or_else(default_count_panes),
                })
            }
        }
    }
}

impl WindowConfig {
    pub fn name(&self) -> &str {
        match self {
            WindowConfig::Time { name, .. } | WindowConfig::Count { name, .. } => name,
        }
    }
}
