//! `psimon run` against the real Apache Kafka broker of `scripts/kafka.sh`, with topics of
//! their own per test: PSI on /metrics and /api/v1/drift equals the statistics core applied
//! offline to the same events; drift events and dead letters are read back with kcat; the
//! exposition passes promtool; SIGTERM stops the monitor in time with offsets committed.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::kafka::*;
use common::*;
use psimon::data::synth::{Rng, application};
use psimon::stats::{PsiOptions, psi};
use serde_json::Value;

const MODEL: &str = "retail_v3";

/// The feature values of the events `psimon loadgen` produces for (count, shift, seed).
fn offline_values(count: u64, shift: f64, seed: u64) -> Vec<Vec<(&'static str, Option<String>)>> {
    let mut rng = Rng::new(seed);
    (0..count)
        .map(|_| {
            let a = application(&mut rng, shift);
            let num = |v: Option<f64>| v.map(|x| x.to_string());
            vec![
                ("income", num(a.income)),
                ("age", num(Some(a.age))),
                ("debt_to_income", num(Some(a.debt_to_income))),
                ("bureau_score", num(Some(a.bureau_score))),
                ("utilisation", num(a.utilisation)),
                ("delinquencies", num(Some(a.delinquencies))),
                ("employment_type", a.employment_type.map(String::from)),
                ("region", Some(a.region.to_string())),
            ]
        })
        .collect()
}

fn close(got: f64, exp: f64) -> bool {
    (got - exp).abs() <= 1e-9 * exp.abs() + 1e-15
}

#[test]
fn psi_matches_offline_computation_and_drift_events_follow_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let base = built_baseline(dir.path());
    let topics = Topics::new("e2e");
    let port = free_port();
    let config = write_config(dir.path(), &topics, port, &base, "");
    let monitor = Monitor::start(&config, port);

    // 2,000 applications like the development sample, then 8,000 shifted ones, all within
    // the last hour of event time.
    let t0 = now_ms() - 10 * 60 * 1000;
    loadgen(&topics.input, 2_000, 0.0, 21, t0);
    loadgen(&topics.input, 8_000, 1.0, 22, t0 + 2_000);
    wait_for(
        "10,000 events counted and evaluated",
        Duration::from_secs(120),
        || {
            let m = monitor.metrics();
            metric(&m, "psimon_events_counted_total") == Some(10_000.0)
                && metric(
                    &m,
                    &format!(
                        "psimon_window_applications{{model=\"{MODEL}\",window=\"last_100000\"}}"
                    ),
                ) == Some(10_000.0)
                && metric(
                    &m,
                    &format!("psimon_window_applications{{model=\"{MODEL}\",window=\"1h\"}}"),
                ) == Some(10_000.0)
        },
    );
    // One more evaluation so that every gauge reflects the full windows.
    std::thread::sleep(Duration::from_millis(1500));
    let exposition = monitor.metrics();
    let (_, drift_json) = http_get(port, "/api/v1/drift").unwrap();
    let drift: Value = serde_json::from_str(&drift_json).unwrap();

    let baseline_doc: Value =
        serde_json::from_str(&std::fs::read_to_string(&base).unwrap()).unwrap();
    let features = baseline_doc["models"][0]["features"].as_array().unwrap();
    let mut events = offline_values(2_000, 0.0, 21);
    events.extend(offline_values(8_000, 1.0, 22));
    for feature in features {
        let name = feature["name"].as_str().unwrap();
        let values: Vec<Option<String>> = events
            .iter()
            .map(|e| e.iter().find(|(n, _)| *n == name).unwrap().1.clone())
            .collect();
        // Each feature twice: under the scorecard's bins and under its population bins.
        for (binning, bins) in [
            ("scorecard", feature.clone()),
            ("population", feature["population"].clone()),
        ] {
            assert!(bins["counts"].is_array(), "{name}: no {binning} bins");
            let current = offline_counts(&bins, &values);
            let base_counts: Vec<f64> = serde_json::from_value(bins["counts"].clone()).unwrap();
            let expected = psi(&current, &base_counts, PsiOptions::default()).unwrap();
            for window in ["1h", "last_100000"] {
                let labels = format!(
                    "{{binning=\"{binning}\",feature=\"{name}\",model=\"{MODEL}\",window=\"{window}\"}}"
                );
                let got = metric(&exposition, &format!("psimon_feature_psi{labels}"))
                    .unwrap_or_else(|| panic!("no PSI for {labels}"));
                assert!(
                    close(got, expected.psi),
                    "{labels}: /metrics PSI {got} vs offline {}",
                    expected.psi
                );
                let se =
                    metric(&exposition, &format!("psimon_feature_psi_stderr{labels}")).unwrap();
                assert!(
                    close(se, expected.inference.se),
                    "{labels}: SE {se} vs {}",
                    expected.inference.se
                );
                let p =
                    metric(&exposition, &format!("psimon_feature_psi_p_value{labels}")).unwrap();
                assert!(
                    (p - expected.inference.chi2_pvalue).abs()
                        <= 1e-7 * expected.inference.chi2_pvalue + 1e-15,
                    "{labels}: p {p}"
                );
                let w = drift["models"][0]["windows"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|w| w["window"] == window)
                    .unwrap();
                assert_eq!(w["applications"], 10_000);
                let f = w["features"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|f| f["feature"] == name && f["binning"] == binning)
                    .unwrap();
                assert!(close(f["psi"]["psi"].as_f64().unwrap(), expected.psi));
                assert!(close(
                    f["psi"]["ci_ncx2_upper"].as_f64().unwrap(),
                    expected.inference.ci_ncx2_upper
                ));
                let counts: Vec<f64> = f["bins"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|b| b["current_count"].as_f64().unwrap())
                    .collect();
                assert_eq!(counts, current, "{labels}: bin counts");
            }
        }
    }

    // (d) the exposition is valid for Prometheus.
    let mut promtool = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool is installed (Debian package prometheus)");
    std::io::Write::write_all(promtool.stdin.as_mut().unwrap(), exposition.as_bytes()).unwrap();
    let out = promtool.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool check metrics: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    // (b) the shifted bureau score raised a drift event, read back with kcat.
    let key = format!("{MODEL}/bureau_score");
    let mut lines = String::new();
    wait_for(
        "a drift event for bureau_score",
        Duration::from_secs(30),
        || {
            lines = kcat_read(&topics.drift, "%k\t%s\n");
            lines.lines().any(|l| l.starts_with(&format!("{key}\t")))
        },
    );
    let event: Value = lines
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .filter(|(k, _)| *k == key)
        .map(|(_, v)| serde_json::from_str(v).unwrap())
        .find(|e: &Value| e["data"]["previous_state"] == "ok")
        .expect("a transition out of ok");
    assert_eq!(event["specversion"], "1.0");
    assert_eq!(event["type"], "dev.psimon.drift.transition");
    assert_eq!(event["datacontenttype"], "application/json");
    assert_eq!(
        event["dataschema"],
        "urn:psimon:schema:dev.psimon.drift.transition:2"
    );
    assert!(
        event["subject"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{key}/"))
    );
    let id = event["id"].as_str().unwrap();
    assert!(
        id.len() == 32 && id.chars().all(|c| c.is_ascii_hexdigit()),
        "{id}"
    );
    assert!(
        time::OffsetDateTime::parse(
            event["time"].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339
        )
        .is_ok()
    );
    let data = &event["data"];
    assert!(["warning", "alert"].contains(&data["state"].as_str().unwrap()));
    for field in [
        "value",
        "se",
        "ci_lower",
        "ci_upper",
        "chi2_pvalue",
        "null_mean",
        "applications",
        "baseline_applications",
        "n_eff",
        "window_start",
        "window_end",
        "baseline_id",
        "top_bins",
        "thresholds",
        "binning",
    ] {
        assert!(!data[field].is_null(), "data.{field} is missing: {data}");
    }
    assert_eq!(data["baseline_id"], baseline_doc["id"]);
    assert!(
        data["ci_lower"].as_f64().unwrap() > data["thresholds"]["warning_psi"].as_f64().unwrap()
    );
    assert!(!data["top_bins"].as_array().unwrap().is_empty());
}

#[test]
fn malformed_messages_are_dead_lettered_and_the_monitor_carries_on() {
    let dir = tempfile::tempdir().unwrap();
    let base = built_baseline(dir.path());
    let topics = Topics::new("dlq");
    let port = free_port();
    let config = write_config(dir.path(), &topics, port, &base, "");
    let monitor = Monitor::start(&config, port);

    let big = format!("{{\"model\":\"{MODEL}\",\"pad\":\"{}\"}}", "x".repeat(5000));
    let bad: Vec<(&str, &str, &str)> = vec![
        ("k1", "{not json", "invalid_json"),
        ("k2", "[1,2]", "not_an_object"),
        ("k3", r#"{"model":"nope"}"#, "unknown_model"),
        (
            "k4",
            r#"{"model":"retail_v3","applicant":{"income":"lots"}}"#,
            "wrong_type",
        ),
        (
            "k5",
            r#"{"model":"retail_v3","bureau":{"score":"Infinity"}}"#,
            "non_finite",
        ),
        ("k6", r#"{"applicant":{"income":1}}"#, "missing_field"),
        ("k7", &big, "oversized"),
        (
            "k8",
            r#"{"model":"retail_v3","submitted_at":"yesterday"}"#,
            "invalid_time",
        ),
    ];
    kcat_produce(
        &topics.input,
        &bad.iter().map(|(k, v, _)| (*k, *v)).collect::<Vec<_>>(),
    );
    loadgen(&topics.input, 1_000, 0.0, 5, now_ms());
    wait_for("1,008 messages consumed", Duration::from_secs(60), || {
        metric(&monitor.metrics(), "psimon_events_consumed_total") == Some(1_008.0)
    });
    let m = monitor.metrics();
    let value = |s: &str| metric(&m, s).unwrap_or_else(|| panic!("no {s}"));
    let mut invalid = 0.0;
    for (_, _, reason) in &bad {
        let n = value(&format!(
            "psimon_events_invalid_total{{reason=\"{reason}\"}}"
        ));
        assert_eq!(n, 1.0, "{reason}");
        invalid += n;
    }
    assert_eq!(
        value("psimon_events_counted_total"),
        1_000.0,
        "the valid events after the bad ones are counted"
    );
    assert_eq!(
        value("psimon_events_consumed_total"),
        value("psimon_events_counted_total") + value("psimon_events_late_total") + invalid
    );

    let mut dead = String::new();
    wait_for("8 dead letters", Duration::from_secs(30), || {
        dead = kcat_read(&topics.dlq, "%k\u{1}%h\u{1}%s\n");
        dead.lines().count() >= 8
    });
    assert_eq!(
        metric(&monitor.metrics(), "psimon_dlq_messages_total"),
        Some(8.0)
    );
    for (key, payload, reason) in &bad {
        let line = dead
            .lines()
            .find(|l| l.starts_with(&format!("{key}\u{1}")))
            .unwrap_or_else(|| panic!("no dead letter for {key}"));
        let parts: Vec<&str> = line.splitn(3, '\u{1}').collect();
        assert_eq!(parts[2], *payload, "{key}: the payload is unchanged");
        let headers = parts[1];
        assert!(
            headers.contains(&format!("psimon.reason={reason}")),
            "{key}: {headers}"
        );
        assert!(
            headers.contains(&format!("psimon.source.topic={}", topics.input)),
            "{key}: {headers}"
        );
        assert!(
            headers.contains("psimon.source.partition=0")
                && headers.contains("psimon.source.offset="),
            "{key}: {headers}"
        );
        assert!(headers.contains("psimon.detail="));
        assert!(
            !headers.contains("lots"),
            "details carry no payload content: {headers}"
        );
    }
}

#[test]
fn sigterm_stops_within_the_deadline_with_offsets_committed() {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    use rdkafka::{ClientConfig, Offset, TopicPartitionList};

    let dir = tempfile::tempdir().unwrap();
    let base = built_baseline(dir.path());
    let topics = Topics::new("stop");
    let port = free_port();
    let config = write_config(
        dir.path(),
        &topics,
        port,
        &base,
        "\n[shutdown]\ndeadline = \"10s\"\n",
    );
    let mut monitor = Monitor::start(&config, port);
    loadgen(&topics.input, 3_000, 0.0, 9, now_ms());
    wait_for("3,000 events consumed", Duration::from_secs(60), || {
        metric(&monitor.metrics(), "psimon_events_consumed_total") == Some(3_000.0)
    });
    let took = monitor.terminate();
    assert!(
        took < Duration::from_secs(15),
        "SIGTERM took {took:?} against a 10 s deadline"
    );

    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers())
        .set("group.id", &topics.group)
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition(&topics.input, 0);
    let committed = consumer
        .committed_offsets(tpl, Duration::from_secs(10))
        .unwrap();
    let offset = committed.elements()[0].offset();
    assert_eq!(
        offset,
        Offset::Offset(3_000),
        "every consumed message's offset is committed"
    );
}

#[test]
fn a_broker_that_is_down_leaves_the_monitor_alive_and_not_ready() {
    let dir = tempfile::tempdir().unwrap();
    let base = built_baseline(dir.path());
    let topics = Topics::new("down");
    let port = free_port();
    let config = write_config(dir.path(), &topics, port, &base, "");
    // Point it at a port where no broker listens.
    let text = std::fs::read_to_string(&config).unwrap().replacen(
        &format!("brokers = \"{}\"", brokers()),
        "brokers = \"127.0.0.1:1\"",
        1,
    );
    std::fs::write(&config, text).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_psimon"))
        .args(["run", "--config", config.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for("/livez", Duration::from_secs(30), || {
        matches!(http_get(port, "/livez"), Some((200, _)))
    });
    for _ in 0..5 {
        assert_eq!(http_get(port, "/readyz").map(|r| r.0), Some(503));
        assert!(
            child.try_wait().unwrap().is_none(),
            "psimon must keep running"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(child.wait().unwrap().success());
}
