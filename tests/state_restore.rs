//! Restore and changes on the real broker: a restarted instance serves its restored
//! windows (new-level shares included) before any new event arrives; a window whose definition changed and a model
//! whose baseline changed start empty (with a metric), the others keep their counts.

mod common;

use std::time::Duration;

use common::kafka::*;
use common::*;

const MODEL: &str = "retail_v3";

/// Starts psimon and waits for its first evaluation.
fn start_evaluated(config: &std::path::Path, port: u16) -> Monitor {
    let m = Monitor::start(config, port);
    wait_for("a first evaluation", Duration::from_secs(30), || {
        !m.drift()["evaluated_at"].is_null()
    });
    m
}

#[test]
fn restart_serves_restored_windows_and_changed_definitions_start_empty() {
    let dir = tempfile::tempdir().unwrap();
    let base = built_baseline(dir.path());
    let topics = Topics::with_partitions("restore", 3);
    let port = free_port();
    let config = write_config(dir.path(), &topics, port, &base, "");
    let mut monitor = Monitor::start(&config, port);
    loadgen(&topics.input, 20_000, 0.3, 51, now_ms() - 15 * 60 * 1000);
    produce_new_level(
        &topics.input,
        500,
        "gig_worker",
        53,
        now_ms() - 10 * 60 * 1000,
    );
    wait_for("20,500 in both windows", Duration::from_secs(60), || {
        let d = monitor.drift();
        window_applications(&d, "1h") == Some(20_500)
            && window_applications(&d, "last_100000") == Some(20_500)
    });
    new_levels_are_counted(&monitor);
    let before = comparable(&monitor.drift());
    monitor.terminate();

    // Restart: the first evaluation, with no new event, has the same windows.
    let mut monitor = start_evaluated(&config, port);
    let m = monitor.metrics();
    assert_eq!(
        comparable(&monitor.drift()),
        before,
        "restored windows before any new event"
    );
    assert_eq!(
        metric(&m, "psimon_events_consumed_total"),
        Some(0.0),
        "nothing re-read"
    );
    assert!(metric(&m, "psimon_state_panes_restored_total").unwrap() > 0.0);
    monitor.terminate();

    // Another definition of the count window under the same name: it starts empty, the
    // time window keeps its counts.
    let text = std::fs::read_to_string(&config).unwrap();
    let changed = text.replacen("size = 100000\npanes = 10", "size = 100000\npanes = 20", 1);
    assert_ne!(text, changed);
    std::fs::write(&config, &changed).unwrap();
    let mut monitor = start_evaluated(&config, port);
    let d = monitor.drift();
    assert_eq!(
        window_applications(&d, "1h"),
        Some(20_500),
        "the unchanged window keeps its counts"
    );
    assert_eq!(
        window_applications(&d, "last_100000"),
        Some(0),
        "the changed window starts empty"
    );
    let discarded =
        format!("psimon_state_panes_discarded_total{{model=\"{MODEL}\",window=\"last_100000\"}}");
    assert!(metric(&monitor.metrics(), &discarded).unwrap_or(0.0) > 0.0);
    monitor.terminate();

    // Another baseline (another id): every window of the model starts empty.
    let dev2 = generate(dir.path(), "dev2.csv", 20_000, 0.0, 2);
    let base2 = dir.path().join("built-baseline-2.json");
    stumps_baseline(&dev2, &base2);
    std::fs::copy(&base2, dir.path().join("baseline.json")).unwrap();
    let mut monitor = start_evaluated(&config, port);
    let d = monitor.drift();
    assert_eq!(
        window_applications(&d, "1h"),
        Some(0),
        "a new baseline starts empty"
    );
    assert_eq!(window_applications(&d, "last_100000"), Some(0));
    let discarded_1h =
        format!("psimon_state_panes_discarded_total{{model=\"{MODEL}\",window=\"1h\"}}");
    assert!(metric(&monitor.metrics(), &discarded_1h).unwrap_or(0.0) > 0.0);
    // And counts again from there.
    loadgen(&topics.input, 1_000, 0.0, 52, now_ms() - 5 * 60 * 1000);
    wait_for("1,000 new in both windows", Duration::from_secs(60), || {
        let d = monitor.drift();
        window_applications(&d, "1h") == Some(1_000)
            && window_applications(&d, "last_100000") == Some(1_000)
    });
    monitor.terminate();
    // The discarded panes were deleted (tombstones): a restart restores none of them.
    let mut monitor = start_evaluated(&config, port);
    assert_eq!(window_applications(&monitor.drift(), "1h"), Some(1_000));
    assert_eq!(
        metric(&monitor.metrics(), &discarded_1h).unwrap_or(0.0),
        0.0,
        "the stale panes were deleted from the state topic"
    );
    monitor.terminate();
}

/// The 500 applications of a level development never saw are counted as new, in both
/// windows, on `/api/v1/drift` and `/metrics`; the synthetic ones have none.
fn new_levels_are_counted(monitor: &Monitor) {
    let d = monitor.drift();
    let exposition = monitor.metrics();
    for w in d["models"][0]["windows"].as_array().unwrap() {
        let levels = w["new_levels"].as_array().unwrap();
        let names: Vec<&str> = levels
            .iter()
            .map(|l| l["feature"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            ["employment_type", "region"],
            "the categorical features"
        );
        let (employment, region) = (&levels[0], &levels[1]);
        assert_eq!(employment["new"], 500);
        assert_eq!(employment["applications"], 20_500);
        let share = 500.0 / 20_500.0;
        assert!((employment["share"].as_f64().unwrap() - share).abs() < 1e-12);
        assert!(employment["ci_lower"].as_f64().unwrap() < share);
        assert!(employment["ci_upper"].as_f64().unwrap() > share);
        assert_eq!(region["new"], 0);
        let labels = |f: &str| {
            format!(
                "{{binning=\"scorecard\",feature=\"{f}\",model=\"{MODEL}\",window=\"{}\"}}",
                w["window"].as_str().unwrap()
            )
        };
        let gauge = |name: &str, f: &str| metric(&exposition, &format!("{name}{}", labels(f)));
        let got = gauge("psimon_feature_new_level_share", "employment_type").unwrap();
        assert!((got - share).abs() < 1e-12, "{got}");
        assert_eq!(
            gauge("psimon_feature_new_level_applications", "employment_type"),
            Some(500.0)
        );
        assert_eq!(gauge("psimon_feature_new_level_share", "region"), Some(0.0));
    }
}
