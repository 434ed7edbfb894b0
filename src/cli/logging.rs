//! The log on standard error: text (colours only on a terminal) or JSON lines, every line
//! redacted of secrets (`crate::config::secrets`). The embedded join store's INFO chatter is at
//! warn unless `RUST_LOG` asks for it.
//!
//! The format comes from `PSIMON_LOG__FORMAT`, else from the `[log]` table of the config of
//! `run` / `check-config` (read here, before the config is checked, so that its problems
//! are logged in that format), else text.

use std::io::IsTerminal;
use std::path::Path;

use crate::config::LogFormat;

/// The default filter.
const DEFAULT_FILTER: &str = "info";

/// The format asked for by the environment, else by the config file at `config`.
pub(crate) fn format(config: Option<&Path>, env: Option<String>) -> LogFormat {
    let from_text = |s: &str| match s.trim().to_ascii_lowercase().as_str() {
        "json" => Some(LogFormat::Json),
        "text" => Some(LogFormat::Text),
        _ => None,
    };
    if let Some(f) = env.as_deref().and_then(from_text) {
        return f;
    }
    config
        .and_then(|p| std::fs::read_to_string(p).ok())
        .and_then(|t| t.parse::<toml::Table>().ok())
        .and_then(|doc| doc.get("log")?.get("format")?.as_str().and_then(from_text))
        .unwrap_or_default()
}

/// Installs the subscriber (once per process) and the redacting panic hook.
pub(crate) fn init(format: LogFormat) {
    crate::config::secrets::redact_panics();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(DEFAULT_FILTER));
    let builder = tracing_subscriber::fmt()
        .with_writer(|| crate::config::secrets::RedactedStderr)
        .with_env_filter(filter);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.with_ansi(std::io::stderr().is_terminal()).init(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_environment_wins_then_the_config_then_text() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("c.toml");
        std::fs::write(&config, "[log]\nformat = \"json\"\n").unwrap();
        assert_eq!(format(Some(&config), None), LogFormat::Json);
        assert_eq!(format(Some(&config), Some("text".into())), LogFormat::Text);
        assert_eq!(format(None, Some("JSON".into())), LogFormat::Json);
        assert_eq!(format(None, None), LogFormat::Text);
        assert_eq!(
            format(Some(&dir.path().join("missing")), None),
            LogFormat::Text
        );
    }
}
