//! `[[fairness]]` on the real broker: applications with a protected attribute
//! (`loadgen --protected-gap`, group B's bureau scores lower than group A's) on 3
//! partitions. The per-group bin counts, J and SE in `/api/v1/drift` equal an offline
//! computation (own binning from the baseline file, the core) on the same messages read
//! back with kcat; with a 30-point gap the noncentral interval covers the true J (from
//! 400,000 generated rows) and the check alerts, publishing a fairness event; with no gap
//! the tolerance test shows J < tau (state ok). Values of the attribute outside the
//! configured groups appear neither in metrics nor in the log. After a kill -9 the
//! restarted instance shows the same counts (restored from the state topic).

mod common;

use std::process::Command;
use std::time::Duration;

use common::kafka::*;
use common::*;
use psimon::fairness::compare;
use serde_json::Value;

const START_MS: i64 = 1_700_000_000_000;
const SECRET: &str = "undisclosed-group-7";

fn fairness_section() -> &'static str {
    r#"
[[fairness]]
name = "group_b"
attribute = "/applicant/group"
reference = "A"
groups = ["B"]
feature = "bureau_score"
"#
}

fn produce(topic: &str, count: u64, gap: f64, seed: u64) {
    let out = Command::new(env!("CARGO_BIN_EXE_psimon"))
        .args([
            "loadgen",
            "--brokers",
            &brokers(),
            "--topic",
            topic,
            "--count",
            &count.to_string(),
            "--seed",
            &seed.to_string(),
            "--start-ms",
            &START_MS.to_string(),
            "--protected-gap",
            &gap.to_string(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The check's window `last_100000` in `/api/v1/drift`.
fn check_window(drift: &Value) -> Value {
    drift["fairness"][0]["windows"]
        .as_array()
        .and_then(|w| w.iter().find(|w| w["window"] == "last_100000"))
        .cloned()
        .unwrap_or(Value::Null)
}

/// Offline: bureau_score binned by the baseline's scorecard bins per group, from the
/// messages as kcat reads them.
fn offline(topic: &str, baseline: &std::path::Path) -> (Vec<f64>, Vec<f64>) {
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(baseline).unwrap()).unwrap();
    let feature = doc["models"][0]["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "bureau_score")
        .unwrap()
        .clone();
    let events: Vec<Value> = kcat_read(topic, "%s\n")
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let values = |group: &str| -> Vec<Option<String>> {
        events
            .iter()
            .filter(|e| e.pointer("/applicant/group").and_then(Value::as_str) == Some(group))
            .map(|e| match e.pointer("/bureau/score") {
                None | Some(Value::Null) => None,
                Some(v) => Some(v.to_string()),
            })
            .collect()
    };
    (
        offline_counts(&feature, &values("B")),
        offline_counts(&feature, &values("A")),
    )
}

/// Runs psimon on `count` applications with `gap`; returns the check's window once every
/// application is counted, with the monitor still running.
fn run(name: &str, count: u64, gap: f64, seed: u64) -> (Monitor, Value, Topics, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let base = built_baseline(dir.path());
    let topics = Topics::with_partitions(name, 3);
    produce(&topics.input, count, gap, seed);
    // Applications whose attribute is in no configured group: not counted in the check.
    let stray = format!(
        r#"{{"model":"retail_v3","applicant":{{"group":"{SECRET}","income":1000}},"bureau":{{"score":600}}}}"#
    );
    kcat_produce(&topics.input, &[("stray-1", &stray), ("stray-2", &stray)]);
    let port = free_port();
    let config = write_config(dir.path(), &topics, port, &base, fairness_section());
    let monitor = Monitor::start(&config, port);
    let total = count as f64 + 2.0;
    wait_for("every application counted", Duration::from_secs(90), || {
        let w = check_window(&monitor.drift());
        metric(&monitor.metrics(), "psimon_events_counted_total") == Some(total)
            && w["applications"].as_f64() == Some(count as f64)
    });
    std::thread::sleep(Duration::from_millis(1200));
    let window = check_window(&monitor.drift());
    let (want_b, want_a) = offline(&topics.input, &dir.path().join("baseline.json"));
    let got_b: Vec<f64> = serde_json::from_value(window["groups"][0]["counts"].clone()).unwrap();
    assert_eq!(got_b, want_b, "group B's bins");
    assert_eq!(
        window["reference_applications"].as_f64().unwrap(),
        want_a.iter().sum::<f64>()
    );
    let (want, _, _) = compare(&want_b, &want_a, 0.02, 0.05);
    let want = want.unwrap();
    let j = &window["groups"][0]["j"];
    assert_eq!(j["j"].as_f64().unwrap(), want.iv, "J");
    assert_eq!(j["se"].as_f64().unwrap(), want.inference.se, "SE");
    assert_eq!(
        j["ci_ncx2_lower"].as_f64().unwrap(),
        want.inference.ci_ncx2_lower
    );
    let metrics = monitor.metrics();
    assert!(
        !metrics.contains(SECRET),
        "attribute values stay out of /metrics"
    );
    (monitor, window, topics, dir)
}

/// J between groups B and A on 400,000 generated rows (its SE is about 0.004).
fn true_j(dir: &std::path::Path, gap: f64) -> f64 {
    let base = dir.join("baseline.json");
    let big = dir.join("big.csv");
    ok(&[
        "generate",
        "--out",
        path_str(&big),
        "--rows",
        "400000",
        "--seed",
        "99",
        "--protected-gap",
        &gap.to_string(),
    ]);
    let out = ok(&[
        "report",
        "--baseline",
        path_str(&base),
        "--input",
        path_str(&big),
        "--fairness",
        "group",
        "--reference",
        "A",
        "--fairness-feature",
        "bureau_score",
        "--format",
        "json",
    ]);
    let doc: Value = serde_json::from_str(&out).unwrap();
    doc["fairness"]["groups"][0]["j"]["j"].as_f64().unwrap()
}

#[test]
fn a_score_gap_between_groups_alerts_and_the_interval_covers_the_true_j() {
    // One sample: its interval covers the truth with probability 0.95 (the coverage over
    // 40 samples is `cli_fairness`'s test of the same core). Seeds 21-23 cover; seed 11
    // draws J 0.301 [0.237, 0.358] against the true 0.229, the 1-in-20 miss.
    let seed = 21;
    let (mut monitor, window, topics, dir) = run("fairness-gap", 6_000, 30.0, seed);
    let group = &window["groups"][0];
    let truth = true_j(dir.path(), 30.0);
    let (lo, hi) = (
        group["j"]["ci_ncx2_lower"].as_f64().unwrap(),
        group["j"]["ci_ncx2_upper"].as_f64().unwrap(),
    );
    eprintln!("J {} [{lo}, {hi}], true J {truth}", group["j"]["j"]);
    assert!(lo <= truth && truth <= hi, "[{lo}, {hi}] covers {truth}");
    assert_eq!(group["state"], "alert", "J far above tau 0.02 is shown");
    let labels = r#"{check="group_b",group="B",model="retail_v3",window="last_100000"}"#;
    wait_for("the fairness event", Duration::from_secs(30), || {
        kcat_read(&topics.drift, "%s\n").contains("dev.psimon.fairness.transition")
    });
    let events = kcat_read(&topics.drift, "%k\t%s\n");
    let event: Value = events
        .lines()
        .filter(|l| l.contains("dev.psimon.fairness.transition") && l.contains("last_100000"))
        .filter_map(|l| serde_json::from_str(l.split_once('\t')?.1).ok())
        .next()
        .expect("a fairness event for the count window");
    assert_eq!(event["subject"], "retail_v3/fairness/group_b/B/last_100000");
    assert_eq!(event["data"]["state"], "alert");
    assert_eq!(event["data"]["reference_group"], "A");
    assert_eq!(event["data"]["value"], group["j"]["j"]);
    let m = monitor.metrics();
    assert_eq!(
        metric(&m, &format!("psimon_fairness_state{labels}")),
        Some(2.0)
    );
    // kill -9, restart: the same counts, from the state topic.
    monitor.kill9();
    let config = dir.path().join("psimon.toml");
    let port = free_port();
    let text = std::fs::read_to_string(&config).unwrap().replace(
        &format!("127.0.0.1:{}", monitor.port),
        &format!("127.0.0.1:{port}"),
    );
    std::fs::write(&config, text).unwrap();
    let again = Monitor::start(&config, port);
    wait_for("the restored window", Duration::from_secs(60), || {
        check_window(&again.drift())["groups"][0]["counts"] == group["counts"]
    });
    let log = std::fs::read_to_string(config.with_extension("log")).unwrap();
    assert!(
        !log.contains(SECRET),
        "attribute values stay out of the log"
    );
}

#[test]
fn with_no_gap_the_tolerance_test_shows_j_below_tau() {
    let (monitor, window, _topics, _dir) = run("fairness-none", 20_000, 0.0, 12);
    let group = &window["groups"][0];
    eprintln!(
        "J {} [{}, {}], p(J >= tau) {}",
        group["j"]["j"],
        group["j"]["ci_ncx2_lower"],
        group["j"]["ci_ncx2_upper"],
        group["j"]["below_tau_pvalue_ncx2"]
    );
    assert_eq!(group["state"], "ok", "J < 0.02 shown");
    let labels = r#"{check="group_b",group="B",model="retail_v3",window="last_100000"}"#;
    let m = monitor.metrics();
    assert_eq!(
        metric(&m, &format!("psimon_fairness_state{labels}")),
        Some(0.0)
    );
    assert!(metric(&m, &format!("psimon_fairness_below_tau_p_value{labels}")).unwrap() < 0.05);
}

/// A group whose name holds the state key's separator (`b/2/c`): its published state is
/// read back after an ordinary restart (no invalid state record), so its transition is
/// announced once, not again by the restarted instance.
#[test]
fn a_group_named_with_slashes_is_announced_once_through_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let base = built_baseline(dir.path());
    let source = Topics::new("fairness-slash-src");
    produce(&source.input, 6_000, 30.0, 21);
    let topics = Topics::with_partitions("fairness-slash", 3);
    let lines: Vec<(String, String)> = kcat_read(&source.input, "%k\t%s\n")
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(k, v)| {
            (
                k.to_string(),
                v.replace("\"group\":\"B\"", "\"group\":\"b/2/c\""),
            )
        })
        .collect();
    assert!(lines.iter().any(|(_, v)| v.contains("b/2/c")));
    let pairs: Vec<(&str, &str)> = lines
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    kcat_produce_partitioned(&topics.input, &pairs);
    let section = fairness_section().replace("groups = [\"B\"]", "groups = [\"b/2/c\"]");
    let port = free_port();
    let config = write_config(dir.path(), &topics, port, &base, &section);

    let announced = || -> Vec<String> {
        kcat_read_committed(&topics.drift, "%s\n")
            .into_iter()
            .filter(|l| l.contains("dev.psimon.fairness.transition"))
            .collect()
    };
    let mut first = Monitor::start(&config, port);
    wait_for(
        "the group's alert announced",
        Duration::from_secs(90),
        || check_window(&first.drift())["groups"][0]["state"] == "alert" && !announced().is_empty(),
    );
    std::thread::sleep(Duration::from_secs(3));
    let before = announced();
    first.terminate();

    let again = Monitor::start(&config, port);
    wait_for("the restored window", Duration::from_secs(60), || {
        check_window(&again.drift())["groups"][0]["state"] == "alert"
    });
    std::thread::sleep(Duration::from_secs(5)); // several evaluations
    let m = again.metrics();
    assert_eq!(
        metric(&m, "psimon_state_records_invalid_total").unwrap_or(0.0),
        0.0,
        "every state record decoded"
    );
    assert_eq!(announced(), before, "announced again after a restart");
    // The subject's segments escape `/` as the state keys do: it stays unambiguous.
    for e in &before {
        let event: Value = serde_json::from_str(e).unwrap();
        assert_eq!(event["data"]["group"], "b/2/c");
        assert!(
            event["subject"]
                .as_str()
                .unwrap()
                .starts_with("retail_v3/fairness/group_b/b%2F2%2Fc/"),
            "{}",
            event["subject"]
        );
    }
}
