//! The deployment files: the Prometheus alert rules pass `promtool check rules` and their
//! unit tests (`promtool test rules`); the example config passes `psimon check-config`.

mod common;

use std::process::Command;

/// `promtool` in deploy/prometheus, where the rules and their tests are.
fn promtool(args: &[&str]) {
    common::promtool(std::path::Path::new("deploy/prometheus"), args);
}

#[test]
fn alert_rules_are_valid_and_fire_as_tested() {
    promtool(&["check", "rules", "psimon-alerts.yml"]);
    promtool(&["test", "rules", "psimon-alerts.test.yml"]);
}

#[test]
fn the_example_config_and_its_baseline_check_out() {
    let out = common::ok(&["check-config", "config/psimon.example.toml"]);
    assert!(
        out.contains(
            "ok — 1 model(s), 8 monitored feature(s) (16 series, 8 on population bins), 2 window(s)"
        ),
        "{out}"
    );
    // `population_bins = false` watches the scorecard's bins only.
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        "config/baseline.example.json",
        dir.path().join("baseline.example.json"),
    )
    .unwrap();
    let text = std::fs::read_to_string("config/psimon.example.toml")
        .unwrap()
        .replace(
            "baseline = \"baseline.example.json\"",
            "baseline = \"baseline.example.json\"\npopulation_bins = false",
        );
    let config = dir.path().join("scorecard-only.toml");
    std::fs::write(&config, text).unwrap();
    let out = common::ok(&["check-config", config.to_str().unwrap()]);
    assert!(
        out.contains("8 monitored feature(s) (8 series, 0 on population bins)"),
        "{out}"
    );
}

#[test]
fn check_config_lists_every_problem_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("baseline.json");
    std::fs::copy("config/baseline.example.json", &base).unwrap();
    let text = std::fs::read_to_string("config/psimon.example.toml")
        .unwrap()
        .replace(
            "dead_letter_topic = \"psimon.dlq\"",
            "dead_letter_topic = \"psimon.drift\"",
        )
        .replace(
            "address = \"127.0.0.1:9464\"",
            "address = \"not an address\"",
        )
        .replace("slide = \"15m\"", "slide = \"7m\"")
        .replace("alert_psi = 0.25", "alert_psi = 0.05")
        .replace(
            "commit_interval = \"1s\"",
            "commit_interval = \"1000000000y\"",
        )
        .replace(
            "region = \"/applicant/region\"",
            "region = \"applicant.region\"\nsalary = \"/applicant/salary\"",
        )
        .replace(
            "baseline = \"baseline.example.json\"",
            "baseline = \"baseline.json\"",
        );
    let config = dir.path().join("bad.toml");
    std::fs::write(&config, text).unwrap();
    let err = common::fails_with(&["check-config", config.to_str().unwrap()], "problem(s)");
    for needle in [
        "kafka.dead_letter_topic = \"psimon.drift\": must differ from kafka.drift_topic",
        "http.address = \"not an address\"",
        "windows[0].length",
        "evaluation.alert_psi = 0.05: must be above evaluation.warning_psi",
        "mapping.features.region = \"applicant.region\": is not a JSON pointer",
        "state.commit_interval",
        "is longer than 100 years",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in:\n{err}");
    }
    // With the file's own problems fixed, the baseline cross-check names the unknown feature.
    let text = std::fs::read_to_string("config/psimon.example.toml")
        .unwrap()
        .replace(
            "region = \"/applicant/region\"",
            "region = \"/applicant/region\"\nsalary = \"/applicant/salary\"",
        )
        .replace(
            "baseline = \"baseline.example.json\"",
            "baseline = \"baseline.json\"",
        );
    std::fs::write(&config, text).unwrap();
    common::fails_with(
        &["check-config", config.to_str().unwrap()],
        "mapping.features.salary: feature \"salary\" is not in the baseline of model \"retail_v3\"",
    );
    // Environment overrides apply before validation.
    let out = Command::new(env!("CARGO_BIN_EXE_psimon"))
        .args(["check-config", config.to_str().unwrap()])
        .env("PSIMON_EVALUATION__MIN_APPLICATIONS", "0")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("evaluation.min_applications = 0"));
}

/// Issue 10's four-runs-for-four-mistakes file: parse problems (a misspelt key, a bad
/// duration, a number where a duration goes, an unknown enum value), value problems (a
/// broker string, an override from the environment), and the baseline files' problems (a
/// missing file, a feature the baseline lacks) come in one run, values as written.
#[test]
fn check_config_lists_parse_value_and_baseline_problems_in_one_run() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        "config/baseline.example.json",
        dir.path().join("baseline.example.json"),
    )
    .unwrap();
    let text = std::fs::read_to_string("config/psimon.example.toml")
        .unwrap()
        .replace("brokers = \"127.0.0.1:9092\"", "brokers = \"this is not a broker list\"")
        .replace("group_id = \"psimon\"", "grup_id = \"psimon\"")
        .replace("slide = \"15m\"", "slide = \"-15s\"")
        .replace("interval = \"15s\"", "interval = 15")
        .replace("multiple_testing = \"bh\"", "multiple_testing = \"bhh\"")
        .replace("length = \"24h\"", "length = \"1d\"")
        .replace("size = 10000", "size = 10001")
        .replace(
            "region = \"/applicant/region\"",
            "region = \"/applicant/region\"\nshoe_size = \"/applicant/shoe\"",
        )
        .replace(
            "baseline = \"baseline.example.json\"",
            "baseline = \"baseline.example.json\"\n[[models]]\nname = \"retail_v4\"\nbaseline = \"missing.json\"",
        );
    let config = dir.path().join("bad.toml");
    std::fs::write(&config, text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_psimon"))
        .args(["check-config", config.to_str().unwrap()])
        .env("PSIMON_HTTP__ADDRESS", "nowhere")
        // Not an override: scripts/kafka.sh's own variable.
        .env("PSIMON_KAFKA_PORT", "9999")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    for needle in [
        "kafka.grup_id: unknown key; did you mean `group_id`?",
        "windows[0].slide = \"-15s\": not a duration",
        "evaluation.interval = 15: a bare number has no unit",
        "evaluation.multiple_testing = \"bhh\": unknown variant `bhh`",
        "did you mean `bh`?",
        "kafka.brokers = \"this is not a broker list\": it is not host:port",
        "http.address = \"nowhere\": is not an address such as 127.0.0.1:9464 (set by the environment variable PSIMON_HTTP__ADDRESS)",
        "windows[1].size = 10001: must be a positive multiple of windows[1].panes",
        "mapping.features.shoe_size: feature \"shoe_size\" is not in the baseline of model \"retail_v3\"",
        "models[1].baseline = \"missing.json\"",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in:\n{err}");
    }
    // A problem of a value psimon stood in for is not shown (the slide was unreadable, so
    // the length's multiple-of-slide check would be about the stand-in), nor anything of
    // PSIMON_KAFKA_PORT.
    assert!(!err.contains("windows[0].length"), "{err}");
    assert!(
        !err.contains("kafka.port") && !err.contains("kafka_port"),
        "{err}"
    );
    assert!(err.contains("the config has 9 problem(s)"), "{err}");
}

#[test]
fn the_grafana_dashboard_queries_parse_and_use_only_exported_metrics() {
    let dash: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string("deploy/grafana/psimon-dashboard.json").unwrap(),
    )
    .unwrap();
    let families = std::fs::read_to_string("tests/golden/metric_families.txt").unwrap();
    let panels: Vec<&serde_json::Value> = dash["panels"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["type"] != "row")
        .collect();
    let mut exprs = Vec::new();
    for p in &panels {
        let title = p["title"].as_str().unwrap();
        assert!(
            p["description"].as_str().is_some_and(|d| d.len() > 40),
            "panel {title:?} has no description"
        );
        for t in p["targets"].as_array().unwrap() {
            let e = t["expr"].as_str().unwrap();
            // A state or light shown is shown by its word (a value mapping), never as
            // 0/1/2 (counting the series in a state shows no state).
            if e.starts_with("max by") && (e.contains("_state{") || e.contains("_light{")) {
                let text = p.to_string();
                assert!(
                    text.contains("\"text\":\"OK\"") || text.contains("\"text\":\"GREEN\""),
                    "panel {title:?} shows a state without its words"
                );
            }
            exprs.push(e.to_string());
        }
    }
    assert!(exprs.len() >= 30, "{} queries", exprs.len());
    // The PSI chart shows the top series by PSI (the `top` variable), not every series.
    assert!(
        exprs.iter().any(|e| e.starts_with(
            "topk($top, max by (model, feature, window, binning) (psimon_feature_psi{"
        )),
        "no top-k PSI chart"
    );
    let vars: Vec<&str> = dash["templating"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert!(vars.contains(&"top"), "{vars:?}");
    // The p-value column is named as adjusted.
    assert!(dash.to_string().contains("p-value (adjusted)"));
    for needed in [
        "psimon_ready",
        "psimon_transactions_total",
        "psimon_feature_iv",
        "psimon_fairness_j",
        "psimon_score_gini",
        "psimon_score_calibration_light",
    ] {
        assert!(
            exprs.iter().any(|e| e.contains(needed)),
            "no panel reads {needed}"
        );
    }
    let mut rules = String::from("groups:\n  - name: dashboard\n    rules:\n");
    for (i, e) in exprs.iter().enumerate() {
        // Every psimon_* name in a query is a metric psimon exports (or a summary's quantile series).
        for name in e
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|w| w.starts_with("psimon_"))
        {
            assert!(
                families.lines().any(|f| f == name),
                "the dashboard uses {name}, which psimon does not export"
            );
        }
        // Grafana puts the variable's value in place of `$top`.
        let e = e.replace("$top", "10");
        rules.push_str(&format!(
            "      - record: dashboard:query_{i}\n        expr: '{}'\n",
            e.replace('\'', "''")
        ));
    }
    // promtool parses each query as PromQL.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("dashboard-rules.yml"), rules).unwrap();
    common::promtool(dir.path(), &["check", "rules", "dashboard-rules.yml"]);
}

#[test]
fn outcome_config_mistakes_are_listed_with_their_paths() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        "config/baseline.example.json",
        dir.path().join("baseline.example.json"),
    )
    .unwrap();
    let text = std::fs::read_to_string("config/psimon.example.toml").unwrap()
        + r#"
[outcomes]
topic = "applications"
id = "application_id"
repartition = "never"
outcome = "outcome"
bad_values = ["1"]
good_values = ["1"]
horizon = "0s"
warning_iv_drop = 0.6
alert_iv_drop = 0.5

[[outcomes.windows]]
kind = "count"
name = "last_10000"
size = 10
panes = 3
"#;
    let config = dir.path().join("outcomes.toml");
    std::fs::write(&config, text).unwrap();
    let err = common::fails_with(&["check-config", config.to_str().unwrap()], "problem(s)");
    for needle in [
        "outcomes.topic = \"applications\": must differ from the input",
        "outcomes.outcome = \"outcome\": is not a JSON pointer",
        "outcomes.id = \"application_id\": is not a JSON pointer",
        "outcomes.repartition = \"never\": outcomes.id reads the id from the payload",
        "outcomes.good_values = \"1\": is also in outcomes.bad_values",
        "outcomes.horizon = \"0s\": must be positive",
        "outcomes.alert_iv_drop = 0.5",
        "outcomes.windows[0].size = 10: must be a positive multiple of outcomes.windows[0].panes",
        "outcomes.windows[0].name = \"last_10000\": is also the name of a [[windows]] entry",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in:\n{err}");
    }
}

#[test]
fn fairness_config_mistakes_are_listed_with_their_paths() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        "config/baseline.example.json",
        dir.path().join("baseline.example.json"),
    )
    .unwrap();
    let text = std::fs::read_to_string("config/psimon.example.toml").unwrap()
        + r#"
[[fairness]]
name = "age band"
model = "no_such_model"
attribute = "applicant/age_band"
reference = "25-60"
groups = ["under_25", "25-60", "under_25"]
feature = "favourite_colour"
tau = 0

[[fairness]]
name = "gender"
attribute = "/applicant/gender"
reference = "F"
groups = []
"#;
    let config = dir.path().join("fairness.toml");
    std::fs::write(&config, text).unwrap();
    let err = common::fails_with(&["check-config", config.to_str().unwrap()], "problem(s)");
    for needle in [
        "fairness[0].name = \"age band\": use letters, digits",
        "fairness[0].model = \"no_such_model\": is not a configured model",
        "fairness[0].attribute = \"applicant/age_band\": is not a JSON pointer",
        "fairness[0].groups[1] = \"25-60\": is the reference group",
        "fairness[0].groups[2] = \"under_25\": is listed twice",
        "fairness[0].feature = \"favourite_colour\": is not mapped",
        "fairness[0].tau = 0: must be positive",
        "fairness[1].groups = []: give at least one monitored group",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in:\n{err}");
    }
}
