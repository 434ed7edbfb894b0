//! The evaluation without Kafka: the pure `evaluate` on windows built in memory from the
//! example config and its baseline (with an outcome window and a fairness check added),
//! the book's hysteresis across evaluations, and the shell's hand-over to the outbox.

use std::path::Path;
use std::sync::{Arc, RwLock};

use super::book::StateBook;
use super::evaluation::{Context, Evaluation, evaluate};
use super::{Evaluator, TickInput, api};
use crate::evaluate::DriftState;
use crate::output::backtest_event::{CALIBRATION_EVENT_TYPE, GINI_DECLINE_EVENT_TYPE};
use crate::output::cloudevent::{EVENT_TYPE, IV_DROP_EVENT_TYPE};
use crate::output::metrics::Metrics;
use crate::pipeline::outbox::DriftOutbox;
use crate::pipeline::plan::Plan;
use crate::state::codec::{DriftKey, DriftRecord, StateKey, encode_drift};
use crate::state::{GlobalTable, MergedWindow, SetId};
use crate::window::CountMatrix;

const EXTRA: &str = r#"
[outcomes]
topic = "outcomes"
outcome = "/outcome"
bad_values = ["1"]
good_values = ["0"]
horizon = "400d"
score_feature = "bureau_score"

[[outcomes.windows]]
kind = "count"
name = "all_outcomes"
size = 100000
panes = 4

[[fairness]]
name = "by_group"
attribute = "/applicant/group"
reference = "A"
groups = ["b/2"]
feature = "bureau_score"
"#;

fn plan() -> Plan {
    plan_with("").unwrap()
}

/// The plan of the example config, `EXTRA` and `more`, or its problems.
fn plan_with(more: &str) -> Result<Plan, Vec<String>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
    let text = std::fs::read_to_string(dir.join("psimon.example.toml")).unwrap() + EXTRA + more;
    let config = crate::config::load(&text, &[]).map_err(|e| vec![e.to_string()])?;
    Plan::build(&config, &dir)
}

/// `n` applications spread over each series' bins as `shares(series, baseline)` says.
fn window(
    plan: &Plan,
    set: usize,
    n: u64,
    shares: impl Fn(usize, &[f64]) -> Vec<f64>,
) -> MergedWindow {
    let shape = &plan.layout.sets[set].shape;
    let model = &plan.models[0];
    let mut flat = Vec::new();
    for (f, &bins) in shape.iter().enumerate() {
        let base = model
            .features
            .get(f)
            .map_or(vec![1.0; bins], |m| m.baseline.clone());
        let s = shares(f, &base);
        let total: f64 = s.iter().sum();
        flat.extend(s.iter().map(|x| (x / total * n as f64).round() as u64));
    }
    MergedWindow {
        counts: CountMatrix::from_flat(shape, flat, n).unwrap(),
        bounds: Some((0, 1)),
        partitions: 1,
    }
}

/// The baseline's shares, every series.
fn like_baseline(_: usize, base: &[f64]) -> Vec<f64> {
    base.to_vec()
}

/// Series `moved` with its first bin's share multiplied by 20; the others as the baseline.
fn moved(moved: usize) -> impl Fn(usize, &[f64]) -> Vec<f64> {
    move |f, base| {
        let mut s = base.to_vec();
        if f == moved {
            s[0] *= 20.0;
        }
        s
    }
}

/// Every set and window of the layout: drift windows from `drift`, the others empty.
fn snapshot(plan: &Plan, drift: impl Fn(usize) -> MergedWindow) -> Vec<Vec<MergedWindow>> {
    let layout = &plan.layout;
    (0..layout.sets.len())
        .map(|s| {
            (0..layout.windows.len())
                .map(|w| {
                    if s == 0 && layout.applies(s, w) {
                        drift(w)
                    } else {
                        MergedWindow::empty(&layout.sets[s].shape)
                    }
                })
                .collect()
        })
        .collect()
}

fn run(plan: &Plan, merged: &[Vec<MergedWindow>], book: &StateBook) -> Evaluation {
    let cx = Context {
        source: "test",
        now_ms: 1_700_000_000_000,
    };
    evaluate(plan, merged, book, cx)
}

fn drift_key(plan: &Plan, w: usize, f: usize) -> DriftKey {
    DriftKey {
        set: SetId::drift("retail_v3"),
        window: plan.windows[w].0.clone(),
        series: plan.models[0].features[f].series_path(),
    }
}

#[test]
fn a_population_like_the_baseline_is_ok_and_publishes_nothing() {
    let plan = plan();
    let merged = snapshot(&plan, |_| window(&plan, 0, 20_000, like_baseline));
    let e = run(&plan, &merged, &StateBook::default());
    assert!(e.transitions.is_empty(), "{:?}", e.transitions);
    for we in &e.models[0].windows {
        assert!(we.evaluated);
        assert_eq!(we.coverage.applications, 20_000);
        assert_eq!(we.features.len(), plan.models[0].features.len());
        for f in &we.features {
            let v = f.verdict.expect("PSI computed");
            assert_eq!((v.previous, v.state), (DriftState::Ok, DriftState::Ok));
        }
    }
}

#[test]
fn a_moved_feature_alerts_once_and_the_book_holds_it_until_it_clears() {
    let plan = plan();
    let drifted = snapshot(&plan, |_| window(&plan, 0, 20_000, moved(2)));
    let mut book = StateBook::default();
    let e = run(&plan, &drifted, &book);
    // One transition per window, of the moved series only.
    let keys: Vec<String> = e.transitions.iter().map(|t| t.event_key.clone()).collect();
    let name = &plan.models[0].features[2].name;
    assert_eq!(keys, vec![format!("retail_v3/{name}"); plan.windows.len()]);
    for (w, t) in e.transitions.iter().enumerate() {
        assert_eq!(t.series, drift_key(&plan, w, 2));
        assert_eq!((t.previous, t.state), (DriftState::Ok, DriftState::Alert));
        assert_eq!(t.event["type"], EVENT_TYPE);
        assert_eq!(t.event["data"]["state"], "alert");
        assert_eq!(t.event["data"]["feature"], name.as_str());
        book.set(t.series.clone(), t.state, &t.baseline_id);
    }
    // The same data again: the state is held, nothing is published again.
    assert!(run(&plan, &drifted, &book).transitions.is_empty());
    // Back to the baseline: every window clears, from the book's alert.
    let calm = snapshot(&plan, |_| window(&plan, 0, 20_000, like_baseline));
    let e = run(&plan, &calm, &book);
    assert_eq!(e.transitions.len(), plan.windows.len());
    assert!(
        e.transitions
            .iter()
            .all(|t| t.previous == DriftState::Alert && t.state == DriftState::Ok)
    );
}

#[test]
fn a_state_published_under_another_baseline_does_not_hold() {
    let plan = plan();
    let mut book = StateBook::default();
    book.set(drift_key(&plan, 0, 2), DriftState::Alert, "sha256:older");
    let calm = snapshot(&plan, |_| window(&plan, 0, 20_000, like_baseline));
    assert!(run(&plan, &calm, &book).transitions.is_empty());
    book.set(
        drift_key(&plan, 0, 2),
        DriftState::Alert,
        &plan.models[0].baseline_id,
    );
    assert_eq!(run(&plan, &calm, &book).transitions.len(), 1);
}

#[test]
fn a_window_below_min_applications_is_not_evaluated() {
    let plan = plan();
    let few = snapshot(&plan, |_| window(&plan, 0, 100, moved(2)));
    let e = run(&plan, &few, &StateBook::default());
    assert!(e.transitions.is_empty());
    let we = &e.models[0].windows[0];
    assert!(!we.evaluated && we.features.is_empty());
    assert_eq!(we.coverage.applications, 100);
}

/// The outcome set of model 0 and the fairness check's set, by kind (no name parsing).
fn set_of(plan: &Plan, id: &SetId) -> usize {
    plan.layout.set_index(id).unwrap()
}

#[test]
fn outcomes_that_no_longer_separate_drop_the_iv_and_publish_under_the_outcome_set() {
    let plan = plan();
    let o = plan.outcomes.as_ref().unwrap();
    let set = set_of(&plan, &SetId::outcomes("retail_v3"));
    assert_eq!(set, o.set_of(0));
    let mut merged = snapshot(&plan, |_| window(&plan, 0, 20_000, like_baseline));
    // Goods and bads spread alike over every series' bins: no information left.
    merged[set][o.window_of(0)] = window(&plan, set, 40_000, |f, _| {
        let base = &plan.models[0].features[f].baseline;
        base.iter().chain(base).copied().collect()
    });
    let e = run(&plan, &merged, &StateBook::default());
    let ow = &e.models[0].outcome_windows[0];
    assert_eq!((ow.goods, ow.bads), (20_000.0, 20_000.0));
    let with_development = plan.models[0]
        .features
        .iter()
        .filter(|f| f.development_iv.as_ref().is_some_and(|d| d.iv > 0.05))
        .count();
    assert!(with_development > 0);
    let dropped: Vec<_> = e
        .transitions
        .iter()
        .filter(|t| t.series.set == SetId::outcomes("retail_v3"))
        .filter(|t| t.event["type"] == IV_DROP_EVENT_TYPE)
        .collect();
    assert!(!dropped.is_empty());
    for t in dropped {
        assert_eq!(t.state, DriftState::Alert);
        assert_eq!(t.series.window, "all_outcomes");
        assert_eq!(t.event["type"], IV_DROP_EVENT_TYPE);
        assert!(
            StateKey::Drift(t.series.clone())
                .encode()
                .starts_with("drift/retail_v3~outcomes/all_outcomes/")
        );
    }
}

#[test]
fn a_group_apart_from_the_reference_alerts_under_its_check_whatever_its_name() {
    let plan = plan();
    let check = &plan.fairness[0];
    let set = set_of(&plan, &SetId::fairness("retail_v3", "by_group"));
    assert_eq!(set, check.set);
    let mut merged = snapshot(&plan, |_| window(&plan, 0, 20_000, like_baseline));
    let base = &plan.models[0].features[check.feature].baseline;
    let mut group = base.clone();
    group.reverse();
    let cells: Vec<f64> = base.iter().chain(&group).copied().collect();
    for mw in &mut merged[set] {
        *mw = window(&plan, set, 20_000, |_, _| cells.clone());
    }
    let e = run(&plan, &merged, &StateBook::default());
    let fw = &e.fairness[0].windows[0];
    assert!(fw.evaluated);
    assert_eq!(fw.groups[0].state, Some(DriftState::Alert));
    let t: Vec<_> = e
        .transitions
        .iter()
        .filter(|t| t.series.set == SetId::fairness("retail_v3", "by_group"))
        .collect();
    assert_eq!(t.len(), plan.windows.len());
    assert_eq!(t[0].series.series, vec!["b/2".to_string()]);
    assert_eq!(
        StateKey::Drift(t[0].series.clone()).encode(),
        "drift/retail_v3~fairness~by_group/24h/b%2F2"
    );
    assert_eq!(t[0].event_key, "retail_v3/fairness/by_group");
}

#[test]
fn the_api_json_shows_the_evaluation() {
    let plan = plan();
    let merged = snapshot(&plan, |_| window(&plan, 0, 20_000, moved(2)));
    let e = run(&plan, &merged, &StateBook::default());
    let json = api::to_json(&plan, &e);
    let f = &json["models"][0]["windows"][0]["features"][2];
    let v = e.models[0].windows[0].features[2].verdict.unwrap();
    assert_eq!(f["state"], "alert");
    assert_eq!(f["p_value_adjusted"], v.p_adjusted);
    assert_eq!(json["models"][0]["windows"][0]["applications"], 20_000);
    assert_eq!(json["fairness"][0]["check"], "by_group");
    assert_eq!(
        json["models"][0]["outcome_windows"][0]["window"],
        "all_outcomes"
    );
}

/// The shell: the publisher hands each transition to the outbox once and keeps its own
/// book; another replica takes the published states from the table every time.
#[test]
fn the_publisher_hands_each_transition_over_once_and_a_follower_reads_the_table() {
    let plan = Arc::new(plan());
    let table = RwLock::new(GlobalTable::default());
    let metrics = Metrics::new();
    let outbox = DriftOutbox::default();
    let mut publisher = Evaluator::new(Arc::clone(&plan), "test", outbox.clone());
    let input = |publishing| TickInput {
        table: &table,
        metrics: &metrics,
        publishing,
        now_ms: 1_700_000_000_000,
    };
    // An empty table: nothing evaluated, nothing published.
    let (json, published) = publisher.tick(&input(true));
    assert!(published.is_empty());
    assert_eq!(json["models"][0]["windows"][0]["evaluated"], false);
    // A state in the table is the follower's previous state; the publisher, past its first
    // tick, keeps its own book.
    let key = drift_key(&plan, 0, 2);
    let record = DriftRecord {
        state: DriftState::Alert as u8,
        baseline_id: plan.models[0].baseline_id.clone(),
    };
    table
        .write()
        .unwrap()
        .apply(
            StateKey::Drift(key.clone()).encode().as_bytes(),
            Some(&encode_drift(&record)),
        )
        .unwrap();
    let mut follower = Evaluator::new(Arc::clone(&plan), "test", DriftOutbox::default());
    follower.tick(&input(false));
    assert_eq!(
        follower.book.get(&key, &record.baseline_id),
        DriftState::Alert
    );
    assert_eq!(
        publisher.book.get(&key, &record.baseline_id),
        DriftState::Ok
    );
    assert!(outbox.take().is_empty());
    // The publisher's transitions: each handed over once, with its state, and kept.
    let drifted = snapshot(&plan, |_| window(&plan, 0, 20_000, moved(2)));
    let e = run(&plan, &drifted, &publisher.book);
    let expected: Vec<_> = e
        .transitions
        .iter()
        .map(|t| (t.series.clone(), t.event_key.clone()))
        .collect();
    assert_eq!(expected.len(), plan.windows.len());
    let published = publisher.publish(e);
    assert_eq!(published.len(), expected.len());
    let handed = outbox.take();
    assert_eq!(handed.len(), expected.len());
    for (h, (series, event_key)) in handed.iter().zip(&expected) {
        assert_eq!((&h.key, &h.event.key), (series, event_key));
        assert_eq!(h.record.state, DriftState::Alert as u8);
        assert_eq!(h.record.baseline_id, plan.models[0].baseline_id);
        assert!(h.event.json.contains("\"alert\""));
    }
    assert!(run(&plan, &drifted, &publisher.book).transitions.is_empty());
    assert_eq!(
        metrics
            .registry
            .gather()
            .iter()
            .find(|f| f.name() == "psimon_last_evaluation_timestamp_seconds")
            .map(|f| f.get_metric()[0].get_gauge().get_value()),
        Some(1_700_000_000.0)
    );
}

#[test]
fn the_new_level_share_of_each_watched_feature_is_shown_in_every_window() {
    let plan = plan();
    let levels = &plan.levels[0];
    let features = &plan.models[0].features;
    let names: Vec<&str> = (levels.features.iter())
        .map(|&f| features[f].name.as_str())
        .collect();
    assert_eq!(names, ["employment_type", "region"]);
    // Too few applications for PSI: the share is shown all the same.
    let mut merged = snapshot(&plan, |_| window(&plan, 0, 200, like_baseline));
    let shape = &plan.layout.sets[levels.set].shape;
    assert_eq!(shape, &vec![2, 2]);
    for mw in merged[levels.set].iter_mut() {
        *mw = MergedWindow {
            counts: CountMatrix::from_flat(shape, vec![150, 50, 200, 0], 200).unwrap(),
            bounds: Some((0, 1)),
            partitions: 1,
        };
    }
    let e = run(&plan, &merged, &StateBook::default());
    let we = &e.models[0].windows[0];
    assert!(!we.evaluated);
    let shares: Vec<(usize, u64, Option<f64>)> = (we.new_levels.iter())
        .map(|(f, s)| (*f, s.new, s.share))
        .collect();
    assert_eq!(
        shares,
        vec![
            (levels.features[0], 50, Some(0.25)),
            (levels.features[1], 0, Some(0.0))
        ]
    );
    let json = api::to_json(&plan, &e);
    let shown = &json["models"][0]["windows"][0]["new_levels"];
    assert_eq!(shown[0]["feature"], "employment_type");
    assert_eq!(shown[0]["share"], 0.25);
    assert!(shown[0]["ci_lower"].as_f64().unwrap() < 0.25);
    assert!(shown[0]["ci_upper"].as_f64().unwrap() > 0.25);
    assert_eq!(shown[1]["new"], 0);
}

mod backtest;

/// The example config with `divergences` set on its model.
fn plan_with_divergences(names: &str) -> Result<Plan, Vec<String>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
    let text = std::fs::read_to_string(dir.join("psimon.example.toml")).unwrap();
    let line = "name = \"retail_v3\"\n";
    assert!(text.contains(line));
    let text = text.replacen(line, &format!("{line}divergences = {names}\n"), 1);
    let config = crate::config::load(&text, &[]).map_err(|e| vec![e.to_string()])?;
    Plan::build(&config, &dir)
}

#[test]
fn the_divergences_a_model_names_are_evaluated_and_gauged() {
    let with = plan_with_divergences(r#"["hellinger", "jensen_shannon"]"#).unwrap();
    let merged = snapshot(&with, |_| window(&with, 0, 20_000, moved(2)));
    let e = run(&with, &merged, &StateBook::default());
    let f = &e.models[0].windows[0].features[2];
    let names: Vec<&str> = f
        .eval
        .divergences
        .iter()
        .map(|d| d.measure.name())
        .collect();
    assert_eq!(names, ["jensen_shannon", "hellinger"]);
    assert!(f.eval.divergences.iter().all(|d| d.chi2_pvalue < 1e-6));
    let metrics = Metrics::new();
    super::gauges::record(&metrics, &with, &e);
    let text = metrics.render();
    let meta = &with.models[0].features[2];
    let needle = format!(
        "psimon_feature_divergence{{binning=\"{}\",feature=\"{}\",measure=\"hellinger\",model=\"retail_v3\",window=\"{}\"}} {}",
        meta.binning.as_str(),
        meta.name,
        with.windows[0].0,
        f.eval.divergences[1].value
    );
    assert!(text.contains(&needle), "{needle} not in\n{text}");
    assert!(!text.contains("measure=\"kl_pq\""), "only the named ones");
    let json = api::to_json(&with, &e);
    let api_f = &json["models"][0]["windows"][0]["features"][2];
    assert_eq!(api_f["divergences"][1]["measure"], "hellinger");
    // Without the setting: none computed, none gauged.
    let plain = plan();
    let e = run(
        &plain,
        &snapshot(&plain, |_| window(&plain, 0, 20_000, moved(2))),
        &StateBook::default(),
    );
    assert!(
        e.models[0].windows[0].features[2]
            .eval
            .divergences
            .is_empty()
    );
}

#[test]
fn a_divergence_psimon_does_not_know_is_a_problem_with_its_path() {
    let problems = plan_with_divergences(r#"["hellinger", "wasserstein", "hellinger"]"#)
        .err()
        .expect("problems");
    let all = problems.join("\n");
    assert!(
        all.contains("models[0].divergences[1] = \"wasserstein\": not a divergence"),
        "{all}"
    );
    assert!(
        all.contains("models[0].divergences[2] = \"hellinger\": named twice"),
        "{all}"
    );
}
