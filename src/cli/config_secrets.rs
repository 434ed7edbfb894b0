//! The secrets of a `psimon run` config, found before anything is printed, and the secret
//! files read into the Kafka properties. Every secret value is registered with
//! `crate::config::secrets`, which redacts it from all output.
//!
//! A value is secret when its property's name says so (`secrets::is_secret_key`), when
//! librdkafka does not know the property (a typo may hide a password: `sasl.pasword`), or
//! when it comes from a secret file; so is the schema registry's password.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::config::secrets;
use crate::kafka::props as kafka_props;

/// Registers the secrets written in the config `text` and in the `PSIMON_*` overrides of
/// `env`; a config that does not parse is scanned as far as it does.
pub(super) fn register_written(text: &str, env: &[(String, String)]) {
    if let Ok(doc) = text.parse::<toml::Table>() {
        let table = |v: Option<&toml::Value>| v.and_then(toml::Value::as_table).cloned();
        let kafka = table(doc.get("kafka"));
        if let Some(props) = table(kafka.as_ref().and_then(|k| k.get("properties"))) {
            for (k, v) in &props {
                if secret_property(k) {
                    register_value(v);
                }
            }
        }
        let input = table(doc.get("input"));
        let registry = table(input.as_ref().and_then(|i| i.get("schema_registry")));
        if let Some(p) = registry.as_ref().and_then(|r| r.get("password")) {
            register_value(p);
        }
    }
    for (name, value) in env {
        let Some(path) = name.strip_prefix("PSIMON_") else {
            continue;
        };
        let secret = match path.split_once("KAFKA__PROPERTIES__") {
            Some((_, key)) => secret_property(&key.to_ascii_lowercase()),
            None => path
                .rsplit("__")
                .next()
                .is_some_and(|last| secrets::is_secret_key(&last.to_ascii_lowercase())),
        };
        if secret {
            secrets::register(value);
        }
    }
}

fn secret_property(key: &str) -> bool {
    secrets::is_secret_key(key) || !kafka_props::is_known(key)
}

fn register_value(v: &toml::Value) {
    match v {
        toml::Value::String(s) => secrets::register(s),
        other => secrets::register(&other.to_string()),
    }
}

/// Reads each secret file into `properties` (registering its content as a secret);
/// returns the problems, each with its path.
pub(super) fn read_files(
    files: &BTreeMap<String, PathBuf>,
    properties: &mut BTreeMap<String, String>,
) -> Vec<String> {
    let mut problems = Vec::new();
    for (key, path) in files {
        let at = format!("kafka.secret_files.\"{key}\" = \"{}\"", path.display());
        if properties.contains_key(key) {
            problems.push(format!(
                "{at}: \"{key}\" is also set in [kafka.properties]; give it in one place"
            ));
            continue;
        }
        match std::fs::read_to_string(path) {
            Ok(content) => {
                let value = content
                    .strip_suffix('\n')
                    .map(|c| c.strip_suffix('\r').unwrap_or(c))
                    .unwrap_or(&content);
                secrets::register(value);
                if value.is_empty() {
                    problems.push(format!("{at}: the file is empty"));
                } else if value.len() < secrets::MIN_LEN {
                    problems.push(format!(
                        "{at}: shorter than {} characters (too short to be a secret, or to be kept out of the log)",
                        secrets::MIN_LEN
                    ));
                }
                properties.insert(key.clone(), value.to_string());
            }
            Err(e) => problems.push(format!("{at}: cannot be read: {}", e.kind())),
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_of_the_file_and_the_environment_are_registered() {
        let text = r#"
[kafka.properties]
"sasl.password" = "file-pass-1234"
"sasl.username" = "not-a-secret-user"
"sasl.pasword" = "typo-pass-5678"
[input.schema_registry]
url = "http://r"
username = "u"
password = "registry-pass-90"
"#;
        let env = vec![
            (
                "PSIMON_KAFKA__PROPERTIES__SASL.PASWORD".to_string(),
                "Sup3rS3cret!-env".to_string(),
            ),
            (
                "PSIMON_INPUT__SCHEMA_REGISTRY__PASSWORD".to_string(),
                "env-registry-pass".to_string(),
            ),
        ];
        register_written(text, &env);
        let out = secrets::redact(
            "file-pass-1234 typo-pass-5678 registry-pass-90 Sup3rS3cret!-env env-registry-pass not-a-secret-user",
        );
        assert_eq!(
            out,
            "[redacted] [redacted] [redacted] [redacted] [redacted] not-a-secret-user"
        );
    }

    #[test]
    fn the_charts_environment_override_names_a_secret_file() {
        let text = std::fs::read_to_string("config/psimon.example.toml").unwrap();
        let env = vec![(
            "PSIMON_KAFKA__SECRET_FILES__SASL.PASSWORD".to_string(),
            "/etc/psimon/kafka-sasl/password".to_string(),
        )];
        let checked = crate::config::check(&text, &env).unwrap();
        let config = checked.config.unwrap();
        assert_eq!(
            config.kafka.secret_files["sasl.password"],
            PathBuf::from("/etc/psimon/kafka-sasl/password")
        );
    }

    #[test]
    fn secret_files_become_properties_and_their_problems_are_listed() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("pw");
        std::fs::write(&good, "from-a-file-123\n").unwrap();
        let files: BTreeMap<String, PathBuf> = [
            ("sasl.password".to_string(), good),
            ("ssl.key.password".to_string(), dir.path().join("missing")),
        ]
        .into();
        let mut props = BTreeMap::new();
        let problems = read_files(&files, &mut props);
        assert_eq!(props["sasl.password"], "from-a-file-123");
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].starts_with("kafka.secret_files.\"ssl.key.password\" = \"")
                && problems[0].ends_with(": cannot be read: entity not found"),
            "{problems:?}"
        );
        assert_eq!(secrets::redact("x from-a-file-123 y"), "x [redacted] y");
    }
}
