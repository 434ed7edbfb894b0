//! Delayed outcomes joined with their applications on the real broker: co-partitioned
//! topics of 3 partitions, outcomes produced beside their applications (so many arrive
//! first), repeated outcomes, outcomes for ids that never applied, values that are neither
//! good nor bad. The windowed IV, WoE and SE per feature equal an offline join (own join
//! by key, own binning from the baseline file, the core) of the same messages read back
//! with kcat; repeats count once, unknown ids are counted after the grace, bad values are
//! dead-lettered. Then a kill -9 mid-stream: after the restart the window holds every
//! outcome exactly once (0 lost, 0 double). The back-testing of bureau_score (AUC, SE, KS)
//! equals the core on the offline join, before and after the kill; outcomes that lost their
//! relation raise the iv_drop and gini_decline events.

mod common;

use std::collections::HashMap;
use std::process::Command;
use std::time::Duration;

use common::kafka::*;
use common::*;
use psimon::stats::{IvOptions, discrimination, iv};
use serde_json::Value;

const START_MS: i64 = 1_700_000_000_000;
const MAPPING: &[(&str, &str)] = &[
    ("income", "/applicant/income"),
    ("age", "/applicant/age"),
    ("debt_to_income", "/applicant/debt_to_income"),
    ("bureau_score", "/bureau/score"),
    ("utilisation", "/bureau/utilisation"),
    ("delinquencies", "/bureau/delinquencies"),
    ("employment_type", "/applicant/employment_type"),
    ("region", "/applicant/region"),
];

fn outcomes_section(topic: &str) -> String {
    format!(
        r#"
[outcomes]
topic = "{topic}"
outcome = "/outcome"
outcome_time = "/observed_at"
bad_values = ["1"]
good_values = ["0"]
horizon = "400d"
grace = "1d"
store_dir = "join-store"
score_feature = "bureau_score"

[[outcomes.windows]]
kind = "count"
name = "all_outcomes"
size = 1000000
panes = 10
"#
    )
}

/// The scorecard scaling of `windowed_iv_equals_an_offline_join`: 680 points at 10:1,
/// 60 points to double the odds, scores from 300 to 850.
const SCALING: &str = "
[outcomes.scaling]
base_score = 680
base_odds = 10
points_to_double_odds = 60
min_score = 300
max_score = 850
";

/// Produces `count` applications and their outcomes (a share of 0.8) with loadgen.
fn produce(apps: &str, outcomes: &str, count: u64, seed: u64, rate: u64) {
    produce_with(apps, outcomes, count, seed, rate, 0.0);
}

/// The same with a share `noise` of the outcomes redrawn at random.
fn produce_with(apps: &str, outcomes: &str, count: u64, seed: u64, rate: u64, noise: f64) {
    let out = Command::new(env!("CARGO_BIN_EXE_psimon"))
        .args([
            "loadgen",
            "--brokers",
            &brokers(),
            "--topic",
            apps,
            "--count",
            &count.to_string(),
            "--seed",
            &seed.to_string(),
            "--start-ms",
            &START_MS.to_string(),
            "--step-ms",
            "60000",
            "--outcomes-topic",
            outcomes,
            "--outcome-delay",
            "30d",
            "--outcome-share",
            "0.8",
            "--rate",
            &rate.to_string(),
            "--label-noise",
            &noise.to_string(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Messages of a topic as key -> JSON payload (the last one per key).
fn read_json(topic: &str) -> HashMap<String, Value> {
    kcat_read(topic, "%k\t%s\n")
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .filter_map(|(k, v)| Some((k.to_string(), serde_json::from_str(v).ok()?)))
        .collect()
}

/// The offline join: per scorecard feature, goods and bads per bin of the baseline's bins.
fn offline_iv(
    baseline: &Value,
    apps: &HashMap<String, Value>,
    outcomes: &HashMap<String, Value>,
) -> HashMap<String, (Vec<f64>, Vec<f64>)> {
    let features = baseline["models"][0]["features"].as_array().unwrap();
    let mut out = HashMap::new();
    for (name, pointer) in MAPPING {
        let f = features.iter().find(|f| f["name"] == *name).unwrap();
        let values = |bad: u64| -> Vec<Option<String>> {
            outcomes
                .iter()
                .filter(|(_, o)| o["outcome"].as_u64() == Some(bad))
                .filter_map(|(k, _)| apps.get(k))
                .map(|a| match a.pointer(pointer) {
                    None | Some(Value::Null) => None,
                    Some(Value::String(s)) => Some(s.clone()),
                    Some(v) => Some(v.to_string()),
                })
                .collect()
        };
        out.insert(
            name.to_string(),
            (offline_counts(f, &values(0)), offline_counts(f, &values(1))),
        );
    }
    out
}

fn outcome_window(drift: &Value) -> Value {
    drift["models"][0]["outcome_windows"][0].clone()
}

fn check_against_offline(window: &Value, want: &HashMap<String, (Vec<f64>, Vec<f64>)>) {
    for (name, (goods, bads)) in want {
        let f = window["features"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["feature"] == name.as_str() && f["binning"] == "scorecard")
            .unwrap();
        let got_goods: Vec<f64> = serde_json::from_value(f["goods"].clone()).unwrap();
        let got_bads: Vec<f64> = serde_json::from_value(f["bads"].clone()).unwrap();
        assert_eq!(&got_goods, goods, "{name}: goods per bin");
        assert_eq!(&got_bads, bads, "{name}: bads per bin");
        let expected = iv(goods, bads, IvOptions::default()).unwrap();
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs() + 1e-15;
        assert!(
            close(f["iv"]["iv"].as_f64().unwrap(), expected.iv),
            "{name}: IV"
        );
        assert!(
            close(f["iv"]["se"].as_f64().unwrap(), expected.inference.se),
            "{name}: SE"
        );
        let woe: Vec<f64> = serde_json::from_value(f["iv"]["woe"].clone()).unwrap();
        assert_eq!(woe.len(), expected.woe.len());
        for (a, b) in woe.iter().zip(&expected.woe) {
            assert!(close(*a, *b), "{name}: WoE {a} vs {b}");
        }
    }
}

/// A deployment on 3 partitions and its outcome topic of 3 partitions.
fn with_outcomes(name: &str) -> (Deployment, String) {
    let d = Deployment::new(name, 3);
    let outcomes = d.topic(&format!("{name}-outcomes"), 3);
    (d, outcomes)
}

#[test]
fn windowed_iv_equals_an_offline_join() {
    let (d, outcome_topic) = with_outcomes("outcomes");
    let (base, topics) = (&d.base, &d.topics);
    produce(&topics.input, &outcome_topic, 6_000, 7, 0);
    // Repeats of 50 outcomes, 20 outcomes of ids that never applied (observed early, so
    // the applications' times pass their grace), 5 values that are neither good nor bad.
    let produced = read_json(&outcome_topic);
    let mut extra: Vec<(String, String)> = produced
        .iter()
        .take(50)
        .map(|(k, v)| (k.clone(), v.to_string()))
        .collect();
    for i in 0..20 {
        extra.push((
            format!("ghost-{i}"),
            format!(
                r#"{{"application_id": "ghost-{i}", "outcome": 1, "observed_at": {START_MS}}}"#
            ),
        ));
    }
    for i in 0..5 {
        extra.push((format!("app-{i}"), r#"{"outcome": "maybe"}"#.to_string()));
    }
    kcat_produce_partitioned(&outcome_topic, &extra);

    let (monitor, _) = d.start(&(outcomes_section(&outcome_topic) + SCALING));
    let joined_all = produced.len() as f64;
    wait_for("every outcome joined", Duration::from_secs(90), || {
        let m = monitor.metrics();
        metric(&m, r#"psimon_outcomes_total{result="joined"}"#) == Some(joined_all)
            && metric(&m, r#"psimon_outcomes_total{result="unknown_application"}"#) == Some(20.0)
            && metric(
                &m,
                r#"psimon_events_invalid_total{reason="invalid_outcome"}"#,
            ) == Some(5.0)
    });
    let m = monitor.metrics();
    assert_eq!(
        metric(&m, r#"psimon_outcomes_total{result="duplicate"}"#),
        Some(50.0)
    );
    std::thread::sleep(Duration::from_millis(1500));
    let window = outcome_window(&monitor.drift());
    let apps = read_json(&topics.input);
    let baseline: Value = serde_json::from_str(&std::fs::read_to_string(base).unwrap()).unwrap();
    let want = offline_iv(&baseline, &apps, &produced);
    assert_eq!(
        window["goods"].as_f64().unwrap() + window["bads"].as_f64().unwrap(),
        joined_all
    );
    check_against_offline(&window, &want);
    check_backtest_against_offline(&window, &baseline, &want);
    check_scaled_calibration(&window, &baseline, &want);
    // The bad values are in the dead-letter topic with their reason.
    let dead = kcat_read(&topics.dlq, "%h\n");
    assert_eq!(
        dead.matches("psimon.reason=invalid_outcome").count(),
        5,
        "{dead}"
    );
}

#[test]
fn a_kill_9_mid_stream_loses_and_doubles_no_outcome() {
    let (d, outcome_topic) = with_outcomes("outcomes-kill");
    let (base, topics) = (&d.base, &d.topics);
    let (mut monitor, config) = d.start(&outcomes_section(&outcome_topic));
    monitor.wait_ready();
    // Produced while psimon runs, so that the kill falls in the middle of the join.
    let producer = {
        let (apps, outs) = (topics.input.clone(), outcome_topic.clone());
        std::thread::spawn(move || produce(&apps, &outs, 8_000, 11, 4_000))
    };
    wait_for("some outcomes joined", Duration::from_secs(60), || {
        metric(
            &monitor.metrics(),
            r#"psimon_outcomes_total{result="joined"}"#,
        )
        .is_some_and(|j| j > 500.0)
    });
    monitor.kill9();
    producer.join().unwrap();
    let monitor = Monitor::start(&config, d.port);
    check_window_against_offline(&monitor, base, &topics.input, &read_json(&outcome_topic));
}

#[test]
fn with_repartition_never_topics_that_are_not_co_partitioned_are_refused_at_start() {
    let d = Deployment::new("outcomes-mismatch", 3);
    let outcomes = d.topic("outcomes-mismatch-outcomes", 2);
    let section =
        outcomes_section(&outcomes).replace("horizon = ", "repartition = \"never\"\nhorizon = ");
    let config = d.config(&section);
    let out = Command::new(env!("CARGO_BIN_EXE_psimon"))
        .args(["run", "--config", config.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("outcomes.repartition = \"never\"")
            && err.contains(&format!(
                "{outcomes} has 2 partitions and the input topics 3"
            )),
        "{err}"
    );
}

/// Waits until the outcome window holds `outcomes` joined outcomes, then compares it with
/// the offline join of the applications of `apps` and those outcomes.
fn check_window_against_offline(
    monitor: &Monitor,
    base: &std::path::Path,
    apps: &str,
    outcomes: &HashMap<String, Value>,
) {
    let joined_all = outcomes.len() as f64;
    wait_for(
        "the window to hold every outcome",
        Duration::from_secs(90),
        || {
            let w = outcome_window(&monitor.drift());
            w["goods"].as_f64().unwrap_or(0.0) + w["bads"].as_f64().unwrap_or(0.0) == joined_all
        },
    );
    std::thread::sleep(Duration::from_millis(2500));
    let window = outcome_window(&monitor.drift());
    let baseline: Value = serde_json::from_str(&std::fs::read_to_string(base).unwrap()).unwrap();
    let want = offline_iv(&baseline, &read_json(apps), outcomes);
    check_against_offline(&window, &want);
    check_backtest_against_offline(&window, &baseline, &want);
}

/// The back-testing of bureau_score equals the core on the offline join's goods and bads
/// of its ranges (the no-hit code and Missing unranked), ranked as its development ranks.
fn check_backtest_against_offline(
    window: &Value,
    baseline: &Value,
    want: &HashMap<String, (Vec<f64>, Vec<f64>)>,
) {
    let f = bureau_score(baseline);
    let ranked = f["edges"].as_array().unwrap().len() + 1;
    let dev = |k: &str| -> Vec<f64> {
        f[k].as_array().unwrap()[..ranked]
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect()
    };
    let up = discrimination(&dev("goods"), &dev("bads"), 0.05).unwrap();
    let order = |v: &[f64]| -> Vec<f64> {
        let mut v = v[..ranked].to_vec();
        if up.auc < 0.5 {
            v.reverse();
        }
        v
    };
    let (goods, bads) = &want["bureau_score"];
    let expected = discrimination(&order(goods), &order(bads), 0.05).unwrap();
    let got = &window["backtest"]["discrimination"];
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs() + 1e-15;
    for (name, value) in [
        ("auc", expected.auc),
        ("auc_se", expected.auc_se),
        ("ks", expected.ks),
    ] {
        assert!(
            close(got[name].as_f64().unwrap(), value),
            "{name}: {got} vs {expected:?}"
        );
    }
    let unranked: f64 = goods[ranked..].iter().chain(&bads[ranked..]).sum();
    assert_eq!(window["backtest"]["unranked"].as_f64(), Some(unranked));
    assert_eq!(window["backtest"]["state"], "ok", "{}", window["backtest"]);
}

/// Each band of bureau_score is tested against the mean PD of `SCALING` across it, with the
/// Jeffreys p-value of the offline join's goods and bads.
fn check_scaled_calibration(
    window: &Value,
    baseline: &Value,
    want: &HashMap<String, (Vec<f64>, Vec<f64>)>,
) {
    let f = bureau_score(baseline);
    let edges: Vec<f64> = serde_json::from_value(f["edges"].clone()).unwrap();
    let pds = scaled_band_pds((680.0, 10.0, 60.0), &edges, (300.0, 850.0));
    let c = &window["backtest"]["calibration"];
    assert_eq!(c["pd_source"], "scaling", "{c}");
    let bands = c["bands"].as_array().unwrap();
    assert_eq!(bands.len(), pds.len());
    let (goods, bads) = &want["bureau_score"];
    for (i, (band, expected)) in bands.iter().zip(&pds).enumerate() {
        let got = band["pd"].as_f64().unwrap();
        assert!(
            (got - expected).abs() < 1e-10 * expected,
            "band {i}: {got} vs {expected}"
        );
        let (n, d) = (goods[i] + bads[i], bads[i]);
        assert_eq!(band["applications"].as_f64(), Some(n));
        let p = jeffreys_pvalue(n, d, *expected);
        assert!(
            (band["pvalue"].as_f64().unwrap() - p).abs() < 1e-9,
            "band {i}: {band}"
        );
    }
}

/// The baseline's bureau_score feature.
fn bureau_score(baseline: &Value) -> &Value {
    baseline["models"][0]["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "bureau_score")
        .unwrap()
}

#[test]
fn outcomes_on_other_partition_counts_are_repartitioned_and_survive_a_kill_9() {
    // Applications on 3 partitions, outcomes on 5: not co-partitioned.
    let d = Deployment::new("outcomes-repartition", 3);
    let outcome_topic = d.topic("outcomes-repartition-outcomes", 5);
    let (base, topics) = (&d.base, &d.topics);
    let (mut monitor, config) = d.start(&outcomes_section(&outcome_topic));
    let producer = {
        let (apps, outs) = (topics.input.clone(), outcome_topic.clone());
        std::thread::spawn(move || produce(&apps, &outs, 8_000, 13, 4_000))
    };
    wait_for("some outcomes joined", Duration::from_secs(60), || {
        metric(
            &monitor.metrics(),
            r#"psimon_outcomes_total{result="joined"}"#,
        )
        .is_some_and(|j| j > 500.0)
    });
    let m = monitor.metrics();
    assert!(
        metric(&m, r#"psimon_outcomes_total{result="repartitioned"}"#).unwrap() > 500.0,
        "outcomes go through the repartition topic"
    );
    monitor.kill9();
    producer.join().unwrap();
    let monitor = Monitor::start(&config, d.port);
    // Every outcome joined exactly once, with the numbers of the offline join (which is
    // what co-partitioned topics give: `windowed_iv_equals_an_offline_join`).
    check_window_against_offline(&monitor, base, &topics.input, &read_json(&outcome_topic));
    // The repartition topic has the applications' partition count.
    let listing = Command::new("kcat")
        .args([
            "-b",
            &brokers(),
            "-L",
            "-t",
            &format!("{}.psimon-outcomes-by-id", topics.group),
        ])
        .output()
        .unwrap();
    let listing = String::from_utf8_lossy(&listing.stdout);
    assert!(listing.contains("with 3 partitions"), "{listing}");
}

#[test]
fn outcomes_keyed_otherwise_are_joined_by_the_id_in_their_payload() {
    let (d, keyed) = with_outcomes("outcomes-by-id");
    let (base, topics) = (&d.base, &d.topics);
    produce(&topics.input, &keyed, 3_000, 17, 0);
    // The same outcomes keyed by a loan number, on a topic of 3 partitions.
    let outcome_topic = d.topic("outcomes-by-id-loans", 3);
    let produced = read_json(&keyed);
    let lines: Vec<(String, String)> = produced
        .iter()
        .enumerate()
        .map(|(i, (_, v))| (format!("loan-{i}"), v.to_string()))
        .collect();
    kcat_produce(&outcome_topic, &lines);
    let section = outcomes_section(&outcome_topic)
        .replace("outcome = ", "id = \"/application_id\"\noutcome = ");
    let (monitor, _) = d.start(&section);
    check_window_against_offline(&monitor, base, &topics.input, &produced);
}

#[test]
fn a_lost_relation_to_the_outcome_raises_an_iv_drop_event() {
    let (d, outcome_topic) = with_outcomes("outcomes-drop");
    let topics = &d.topics;
    // 70% of the outcomes redrawn at random: bureau_score keeps about a tenth of its IV.
    produce_with(&topics.input, &outcome_topic, 6_000, 5, 0, 0.7);
    let (monitor, _) = d.start(&outcomes_section(&outcome_topic));
    let series = r#"psimon_feature_iv_drop_state{binning="scorecard",feature="bureau_score",model="retail_v3",window="all_outcomes"}"#;
    wait_for(
        "bureau_score's iv_drop alert",
        Duration::from_secs(90),
        || metric(&monitor.metrics(), series) == Some(2.0),
    );
    let mut event = Value::Null;
    wait_for("the iv_drop event", Duration::from_secs(30), || {
        event = kcat_read(&topics.drift, "%s\n")
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .find(|e| {
                e["type"] == "dev.psimon.iv_drop.transition"
                    && e["data"]["feature"] == "bureau_score"
                    && e["data"]["binning"] == "scorecard"
                    && e["data"]["state"] == "alert"
            })
            .unwrap_or(Value::Null);
        !event.is_null()
    });
    // The score back-tested on the same outcomes: its ranking is mostly gone too.
    let gini_state = r#"psimon_score_gini_decline_state{model="retail_v3",window="all_outcomes"}"#;
    wait_for(
        "bureau_score's gini_decline alert",
        Duration::from_secs(30),
        || metric(&monitor.metrics(), gini_state) == Some(2.0),
    );
    let mut decline = Value::Null;
    wait_for("the gini_decline event", Duration::from_secs(30), || {
        decline = kcat_read(&topics.drift, "%k %s\n")
            .lines()
            .filter_map(|l| l.split_once(' '))
            .filter(|(k, _)| *k == "retail_v3/discrimination")
            .filter_map(|(_, v)| serde_json::from_str::<Value>(v).ok())
            .find(|e| e["type"] == "dev.psimon.gini_decline.transition")
            .unwrap_or(Value::Null);
        !decline.is_null()
    });
    // The bands' bad rates even out: the safe bands default far above their PDs.
    let calibration = kcat_read(&topics.drift, "%k %s\n")
        .lines()
        .filter_map(|l| l.split_once(' '))
        .filter(|(k, _)| *k == "retail_v3/calibration")
        .filter_map(|(_, v)| serde_json::from_str::<Value>(v).ok())
        .find(|e| {
            e["type"] == "dev.psimon.calibration.transition" && e["data"]["state"] == "alert"
        });
    let calibration = calibration.expect("a calibration alert");
    assert_eq!(calibration["data"]["light"], "red", "{calibration}");
    let g = &decline["data"];
    assert_eq!(
        (&g["previous_state"], &g["state"]),
        (&"ok".into(), &"alert".into()),
        "{g}"
    );
    assert!(g["relative_decline_lower"].as_f64().unwrap() > 0.2, "{g}");
    assert_eq!(
        decline["subject"],
        "retail_v3/bureau_score/all_outcomes/discrimination"
    );
    let d = &event["data"];
    assert_eq!(d["previous_state"], "ok");
    assert!(d["value"].as_f64().unwrap() < 0.5 * d["iv_development"].as_f64().unwrap());
    assert!(
        d["relative_drop_lower_bound"].as_f64().unwrap() > 0.5,
        "{d}"
    );
    assert_eq!(
        event["subject"], "retail_v3/bureau_score/all_outcomes",
        "{event}"
    );
}

#[test]
fn outcomes_after_the_horizon_find_no_application_and_are_counted() {
    let (d, outcome_topic) = with_outcomes("outcomes-horizon");
    let topics = &d.topics;
    let loadgen = |extra: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_psimon"))
            .args(["loadgen", "--brokers", &brokers(), "--topic", &topics.input])
            .args(["--count", "1000", "--seed", "19", "--step-ms", "60000"])
            .args(["--start-ms", &START_MS.to_string()])
            .args(extra)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    // The applications, then on every outcome partition an outcome (of an id that never
    // applied) observed 1,000 days later: past every application's 400-day horizon.
    loadgen(&[]);
    let late = START_MS + 1_000 * 86_400_000;
    let mut ghosts = Vec::new();
    for p in 0..3 {
        let key = (0..)
            .map(|i| format!("ghost-{i}"))
            .find(|k| psimon::join::partitioner::partition_of(k.as_bytes(), 3) == p)
            .unwrap();
        ghosts.push((
            key.clone(),
            format!(r#"{{"outcome": 0, "observed_at": {late}}}"#),
        ));
    }
    kcat_produce_partitioned(&outcome_topic, &ghosts);
    let (mut monitor, config) = d.start(&outcomes_section(&outcome_topic));
    wait_for("every application expired", Duration::from_secs(60), || {
        metric(
            &monitor.metrics(),
            r#"psimon_outcomes_total{result="expired_application"}"#,
        ) == Some(1000.0)
    });
    // Killed once the expiry is committed, and started again: the store is rebuilt from
    // the changelog, whose batches still hold the expired applications (their tombstones
    // are not compacted yet, and a restore reads past them); the logged watermarks drop
    // them again, without counting them twice.
    // Committed: the watermarks, logged in the transaction of the expiry, on all three
    // partitions of the join's changelog.
    let changelog = format!("{}.psimon-join", topics.group);
    wait_for("the expiry committed", Duration::from_secs(30), || {
        let keys = kcat_read_committed(&changelog, "%p %k\n");
        let mut parts: Vec<&str> = keys
            .iter()
            .filter(|l| l.ends_with("psimon-watermarks"))
            .map(|l| l.split(' ').next().unwrap_or(""))
            .collect();
        parts.sort();
        parts.dedup();
        parts.len() == 3
    });
    monitor.kill9();
    let monitor = Monitor::start(&config, d.port);
    // Now their outcomes (30 days after each application): none joins.
    loadgen(&[
        "--outcomes-topic",
        &outcome_topic,
        "--outcome-delay",
        "30d",
        "--outcome-share",
        "0.8",
        "--only-outcomes",
    ]);
    let produced = read_json(&outcome_topic).len() as f64 - 3.0;
    assert!(produced > 700.0, "{produced} outcomes");
    // (The three ghosts were counted before the restart.)
    wait_for("the late outcomes counted", Duration::from_secs(60), || {
        metric(
            &monitor.metrics(),
            r#"psimon_outcomes_total{result="waiting_for_application"}"#,
        ) == Some(produced)
    });
    let m = monitor.metrics();
    assert_eq!(
        metric(&m, r#"psimon_outcomes_total{result="joined"}"#),
        Some(0.0)
    );
    assert_eq!(
        metric(&m, r#"psimon_outcomes_total{result="expired_application"}"#).unwrap_or(0.0),
        0.0,
        "expired before the restart, not again after it"
    );
    std::thread::sleep(Duration::from_millis(1500));
    let w = outcome_window(&monitor.drift());
    assert_eq!(
        w["goods"].as_f64().unwrap() + w["bads"].as_f64().unwrap(),
        0.0
    );
}
