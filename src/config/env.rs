//! Environment overrides: `PSIMON_<SECTION>__<KEY>[__<KEY>...]=value` sets that path of the
//! TOML document before it is parsed (`PSIMON_KAFKA__BROKERS=host:9092`,
//! `PSIMON_EVALUATION__ALERT_PSI=0.3`, `PSIMON_KAFKA__PROPERTIES__SASL.USERNAME=u`). Values
//! are read as TOML (numbers, booleans, arrays) and fall back to text. Pure: the
//! environment is an argument.

use toml::{Table, Value};

pub(crate) const PREFIX: &str = "PSIMON_";

/// The sections an override may set. Other `PSIMON_*` variables (`PSIMON_KAFKA_PORT` of
/// `scripts/kafka.sh`, a wrapper's `PSIMON_BIN`) are not overrides and are left alone.
pub(crate) const SECTIONS: &[&str] = &[
    "kafka",
    "http",
    "mapping",
    "evaluation",
    "shutdown",
    "state",
    "outcomes",
    "input",
    "log",
];

/// Applies the overrides in `env` to `doc`; returns the paths it set and the variables
/// that set them.
pub(crate) fn apply(
    doc: &mut Table,
    env: &[(String, String)],
) -> Result<Vec<(String, String)>, String> {
    let mut set = Vec::new();
    for (key, value) in env {
        let Some(rest) = key.strip_prefix(PREFIX) else {
            continue;
        };
        let section = rest.split_once("__").map(|(s, _)| s.to_ascii_lowercase());
        if !section.is_some_and(|s| SECTIONS.contains(&s.as_str())) {
            continue;
        }
        // Config keys and librdkafka property names are all lower case.
        let path: Vec<String> = rest.split("__").map(str::to_ascii_lowercase).collect();
        if path.iter().any(String::is_empty) {
            return Err(format!("{key}: empty path segment"));
        }
        let parsed = parse_value(value);
        let mut table = &mut *doc;
        for seg in &path[..path.len() - 1] {
            let entry = table
                .entry(seg.clone())
                .or_insert_with(|| Value::Table(Table::new()));
            table = match entry {
                Value::Table(t) => t,
                _ => return Err(format!("{key}: \"{seg}\" is not a table in the config")),
            };
        }
        table.insert(path[path.len() - 1].clone(), parsed);
        set.push((path.join("."), key.clone()));
    }
    Ok(set)
}

fn parse_value(text: &str) -> Value {
    let wrapped = format!("v = {text}");
    match wrapped.parse::<Table>() {
        Ok(mut t) => t
            .remove("v")
            .unwrap_or_else(|| Value::String(text.to_string())),
        Err(_) => Value::String(text.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_section_keys_are_overrides() {
        let mut doc: Table = "[kafka]\nbrokers = \"a:1\"\n".parse().unwrap();
        let env = vec![
            ("PSIMON_KAFKA_PORT".to_string(), "9093".to_string()),
            (
                "PSIMON_BIN".to_string(),
                "target/release/psimon".to_string(),
            ),
            ("PSIMON_TEST__BROKERS".to_string(), "x:1".to_string()),
            ("PSIMON_KAFKA__BROKERS".to_string(), "b:2".to_string()),
        ];
        assert_eq!(
            apply(&mut doc, &env).unwrap(),
            vec![(
                "kafka.brokers".to_string(),
                "PSIMON_KAFKA__BROKERS".to_string()
            )]
        );
        assert_eq!(doc["kafka"]["brokers"].as_str(), Some("b:2"));
        assert!(doc.get("test").is_none() && doc["kafka"].get("port").is_none());
    }

    #[test]
    fn overrides_set_nested_values_with_types() {
        let mut doc: Table = "[kafka]\nbrokers = \"a:1\"\n".parse().unwrap();
        let env = vec![
            ("PSIMON_KAFKA__BROKERS".to_string(), "b:2".to_string()),
            (
                "PSIMON_EVALUATION__ALERT_PSI".to_string(),
                "0.3".to_string(),
            ),
            (
                "PSIMON_KAFKA__PROPERTIES__SASL.USERNAME".to_string(),
                "u".to_string(),
            ),
            ("HOME".to_string(), "/root".to_string()),
        ];
        let set = apply(&mut doc, &env).unwrap();
        assert_eq!(set.len(), 3);
        assert_eq!(doc["kafka"]["brokers"].as_str(), Some("b:2"));
        assert_eq!(doc["evaluation"]["alert_psi"].as_float(), Some(0.3));
        assert_eq!(
            doc["kafka"]["properties"]["sasl.username"].as_str(),
            Some("u")
        );
    }
}
