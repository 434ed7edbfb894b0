//! Reading a TOML document into a `Config` while collecting every parse problem, not just
//! the first: serde stops at the first unknown key, wrong type or bad duration, so each
//! failure is recorded with its path, the document is repaired (the key dropped, a bad
//! value removed so its default applies, a missing value stood in for), and it is read
//! again. The paths repaired are returned so that later checks do not report the stand-ins.
//! Pure.

use std::collections::{HashMap, HashSet};

use toml::Value;

use super::problem::{self, Problem};
use super::types::Config;

pub(super) struct Parsed {
    /// The config, when the repairs got it to parse.
    pub config: Option<Config>,
    pub problems: Vec<Problem>,
    /// Paths whose value was dropped or stood in for.
    pub repaired: Vec<String>,
}

/// Values tried in turn for a missing field until one has the field's type; "1s" is a
/// string and a duration.
fn stand_ins() -> [Value; 6] {
    [
        Value::String("1s".into()),
        Value::Array(vec![]),
        Value::Table(Default::default()),
        Value::Integer(1),
        Value::Float(1.0),
        Value::Boolean(false),
    ]
}

/// The more repairs than any file needs: a guard against a loop.
const MAX_REPAIRS: usize = 500;

pub(super) fn parse(doc: &Value) -> Parsed {
    let mut doc = doc.clone();
    let mut problems = Vec::new();
    let mut repaired: Vec<String> = Vec::new();
    // Stand-in paths and the index of the stand-in they hold.
    let mut standing: HashMap<String, usize> = HashMap::new();
    let mut seen = HashSet::new();
    for _ in 0..MAX_REPAIRS {
        let error = match serde_path_to_error::deserialize::<_, Config>(doc.clone()) {
            Ok(config) => {
                return Parsed {
                    config: Some(config),
                    problems,
                    repaired,
                };
            }
            Err(e) => e,
        };
        let path = error.path().to_string();
        // toml adds "\nin `path`" lines; the path is shown once, first.
        let message = error.into_inner().to_string();
        let message = message
            .lines()
            .next()
            .unwrap_or_default()
            .trim()
            .to_string();
        if !seen.insert((path.clone(), message.clone())) {
            break; // a repair that changed nothing
        }
        if let Some(field) = quoted_after(&message, "missing field ") {
            let at = join(&path, &field);
            if !repaired.contains(&at) {
                problems.push(Problem::new(&at, None, "is missing"));
                repaired.push(at.clone());
            }
            standing.insert(at.clone(), 0);
            if !problem::insert(&mut doc, &path, &field, stand_ins()[0].clone()) {
                break;
            }
            continue;
        }
        if let Some(key) = quoted_after(&message, "unknown field ") {
            let at = unknown_key_path(&path, &key);
            problems.push(Problem::new(&at, None, unknown_key_why(&key, &message)));
            repaired.push(at.clone());
            if !problem::remove(&mut doc, &at) {
                break;
            }
            continue;
        }
        // A wrong type, an unknown variant, a bad duration: at `path` itself.
        let variants = expected(&message);
        // An unknown enum value is repaired to the enum's first variant.
        let first_variant = message
            .starts_with("unknown variant")
            .then(|| variants.first().cloned().map(Value::String))
            .flatten();
        if let Some(i) = standing.get_mut(&path) {
            // The stand-in had the wrong type: try the next one (an enum's first variant).
            let next = first_variant.or_else(|| {
                *i += 1;
                stand_ins().get(*i).cloned()
            });
            match next {
                Some(v) if problem::replace(&mut doc, &path, v.clone()) => continue,
                _ => break,
            }
        }
        let value = problem::get(&doc, &path).map(problem::written);
        let mut why = message.clone();
        if let Some(v) = quoted_after(&message, "unknown variant ")
            && let Some(s) = suggestion(&v, &variants)
        {
            why = format!("{why}; did you mean `{s}`?");
        }
        problems.push(Problem::new(&path, value, why));
        repaired.push(path.clone());
        let fixed = match first_variant {
            Some(v) => problem::replace(&mut doc, &path, v),
            None => problem::remove(&mut doc, &path),
        };
        if !fixed {
            break;
        }
    }
    Parsed {
        config: None,
        problems,
        repaired,
    }
}

/// Inside a window the error names the table; the key is one of its keys.
fn unknown_key_path(path: &str, key: &str) -> String {
    if path.ends_with(key) {
        path.to_string()
    } else {
        join(path, key)
    }
}

/// Why `key` is refused: the known key it is closest to, else every known key here.
fn unknown_key_why(key: &str, message: &str) -> String {
    match suggestion(key, &expected(message)) {
        Some(s) => format!("unknown key; did you mean `{s}`?"),
        None => format!("unknown key (known here: {})", expected(message).join(", ")),
    }
}

fn join(path: &str, key: &str) -> String {
    if path == "." || path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// The first `word` in backquotes after `prefix` at the start of `message`.
fn quoted_after(message: &str, prefix: &str) -> Option<String> {
    let rest = message.strip_prefix(prefix)?.strip_prefix('`')?;
    rest.split_once('`').map(|(w, _)| w.to_string())
}

/// The backquoted names after "expected" in serde's messages.
fn expected(message: &str) -> Vec<String> {
    let Some((_, list)) = message.split_once("expected ") else {
        return Vec::new();
    };
    list.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

/// The known name closest to a misspelt one, if any is close.
fn suggestion(word: &str, known: &[String]) -> Option<String> {
    known
        .iter()
        .map(|k| (strsim::damerau_levenshtein(word, k), k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 4) || strsim::jaro_winkler(word, k) >= 0.9)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> Parsed {
        parse(&Value::Table(text.parse().unwrap()))
    }

    const MINIMAL: &str = r#"
[kafka]
brokers = "127.0.0.1:9092"
input_topics = ["applications"]
drift_topic = "drift"
dead_letter_topic = "dlq"
[mapping]
features = { age = "/age" }
[[models]]
name = "m"
baseline = "b.json"
[[windows]]
kind = "time"
name = "1h"
length = "1h"
slide = "5m"
"#;

    #[test]
    fn a_valid_document_parses_with_no_problems() {
        let p = parsed(MINIMAL);
        assert!(p.config.is_some() && p.problems.is_empty() && p.repaired.is_empty());
    }

    #[test]
    fn every_parse_problem_is_listed_with_its_path_in_one_run() {
        let text = MINIMAL
            .replace("brokers =", "brokerz =")
            .replace("length = \"1h\"", "lenght = \"1h\"")
            .replace("slide = \"5m\"", "slide = \"-15s\"")
            .replace("[mapping]", "[mapping]\nmax_time_skew = 5")
            + "[evaluation]\nmultiple_testing = \"bhh\"\n";
        let p = parsed(&text);
        let shown: Vec<String> = p.problems.iter().map(|p| p.to_string()).collect();
        let has = |s: &str| shown.iter().any(|p| p.starts_with(s));
        assert!(
            has("kafka.brokerz: unknown key; did you mean `brokers`?"),
            "{shown:#?}"
        );
        assert!(has("kafka.brokers: is missing"), "{shown:#?}");
        assert!(
            has("windows[0].lenght: unknown key; did you mean `length`?"),
            "{shown:#?}"
        );
        assert!(
            has("windows[0].slide = \"-15s\": not a duration"),
            "{shown:#?}"
        );
        assert!(
            has("mapping.max_time_skew = 5: a bare number has no unit"),
            "{shown:#?}"
        );
        assert!(has("windows[0].length: is missing"), "{shown:#?}");
        assert!(
            has("evaluation.multiple_testing = \"bhh\": unknown variant"),
            "{shown:#?}"
        );
        assert!(
            shown.iter().any(|p| p.contains("did you mean `bh`")),
            "{shown:#?}"
        );
        // The stand-ins got it parsed, so the value checks and file checks can run too.
        assert!(p.config.is_some());
        assert!(p.repaired.contains(&"kafka.brokers".to_string()));
    }

    #[test]
    fn missing_sections_and_a_wrong_window_kind_are_stood_in_for() {
        let p = parsed("[[windows]]\nkind = \"tim\"\nname = \"w\"\nsize = 5\n");
        let shown: Vec<String> = p.problems.iter().map(|p| p.to_string()).collect();
        for want in [
            "kafka: is missing",
            "mapping: is missing",
            "models: is missing",
        ] {
            assert!(shown.iter().any(|s| s == want), "{want} in {shown:#?}");
        }
        assert!(
            shown.iter().any(
                |s| s.starts_with("windows[0].kind = \"tim\": unknown variant")
                    && s.contains("did you mean `time`")
            ),
            "{shown:#?}"
        );
        // Repaired to a time window, `size` does not belong to it.
        assert!(
            shown
                .iter()
                .any(|s| s.starts_with("windows[0].size: unknown key")),
            "{shown:#?}"
        );
    }

    #[test]
    fn suggestions_are_offered_only_for_close_names() {
        let known: Vec<String> = ["brokers", "group_id", "input_topics"]
            .map(String::from)
            .to_vec();
        assert_eq!(suggestion("brokerz", &known).as_deref(), Some("brokers"));
        assert_eq!(
            suggestion("input_topic", &known).as_deref(),
            Some("input_topics")
        );
        assert_eq!(suggestion("port", &known), None);
    }
}
