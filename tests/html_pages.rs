//! The HTML pages opened in a real headless Chromium (Debian's, installed by
//! `scripts/install-test-tools.sh`): `psimon report --format html` and the live page `/` of
//! a monitor on the real broker. Every number a table shows carries its JSON pointer and
//! value; after Chromium has parsed the page, each must equal the JSON document
//! (`report --format json`, `/api/v1/drift`) at that pointer, and each state badge must
//! say its state. Chromium logs no console message (no script error, no blocked resource
//! under the live page's Content-Security-Policy). Screenshots are kept in
//! `target/artefacts/` for CI.

mod common;

use std::time::Duration;

use common::kafka::*;
use common::*;
use serde_json::Value;

#[test]
fn the_html_report_shows_the_numbers_of_the_json_report() {
    let dir = tempfile::tempdir().unwrap();
    let dev = generate(dir.path(), "dev.csv", 20_000, 0.0, 1);
    let cur = generate(dir.path(), "cur.csv", 5_000, 0.5, 2);
    let base = dir.path().join("base.json");
    stumps_baseline(&dev, &base);
    let args = |format: &str| {
        ok(&[
            "report",
            "--baseline",
            path_str(&base),
            "--input",
            path_str(&cur),
            "--target",
            "bad",
            "--score",
            "bureau_score",
            "--fairness",
            "region",
            "--reference",
            "north",
            "--fairness-feature",
            "bureau_score",
            "--divergences",
            "--format",
            format,
        ])
    };
    let doc: Value = serde_json::from_str(&args("json")).unwrap();
    let page = dir.path().join("report.html");
    std::fs::write(&page, args("html")).unwrap();
    let url = format!("file://{}", page.display());
    let dom = dom(&url);
    let numbers = equals_json(&dom, &doc, &["/generated_at"]);
    let features = doc["features"].as_array().unwrap();
    // Per series its verdict row and every bin's shares, interval, count and part.
    let bins: usize = features
        .iter()
        .map(|f| f["bins"].as_array().unwrap().len())
        .sum();
    assert!(numbers > 6 * bins, "{numbers} numbers for {bins} bins");
    for (i, f) in features.iter().enumerate() {
        assert!(dom.contains(&format!("id=\"series-{i}\"")), "{f}");
        let state = f["state"].as_str().unwrap();
        assert!(
            dom.contains(&format!(
                "data-json=\"/features/{i}/state\">{}</span>",
                state.to_uppercase()
            )),
            "series {i}: {state}"
        );
    }
    for pointer in [
        "/backtest/discrimination/auc",
        "/backtest/calibration/bands/0/pd",
        "/backtest/calibration/hosmer_lemeshow",
        "/fairness/groups/0/j/median_unbiased",
        "/features/0/bins/0/current_ci_upper",
        "/features/0/divergences/hellinger/se",
    ] {
        assert!(
            dom.contains(&format!("data-json=\"{pointer}\"")),
            "{pointer} is not shown"
        );
    }
    assert!(!dom.contains("<script"), "no script in the report");
    screenshot(&url, "report.png");
}

#[test]
fn the_frontier_page_shows_the_numbers_of_its_json() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("fair.csv");
    ok(&[
        "generate",
        "--out",
        path_str(&data),
        "--rows",
        "10000",
        "--seed",
        "3",
        "--protected-gap",
        "30",
        "--proxy",
    ]);
    let base = dir.path().join("base.json");
    ok(&[
        "baseline",
        "--input",
        path_str(&data),
        "--target",
        "bad",
        "--out",
        path_str(&base),
    ]);
    let args = |format: &str| {
        ok(&[
            "frontier",
            "--baseline",
            path_str(&base),
            "--input",
            path_str(&data),
            "--target",
            "bad",
            "--protected",
            "group",
            "--reference",
            "A",
            "--features",
            "bureau_score,debt_to_income,delinquencies,region",
            "--format",
            format,
        ])
    };
    let doc: Value = serde_json::from_str(&args("json")).unwrap();
    let page = dir.path().join("frontier.html");
    std::fs::write(&page, args("html")).unwrap();
    let url = format!("file://{}", page.display());
    let dom = dom(&url);
    let points = doc["frontier"].as_array().unwrap().len()
        + doc["robust_frontier"].as_array().unwrap().len();
    let numbers = equals_json(&dom, &doc, &[]);
    assert_eq!(numbers, 6 * points, "six numbers per point");
    assert!(dom.contains("<svg") && dom.contains("predictive IV against protected IV"));
    assert!(!dom.contains("<script"));
    screenshot(&url, "frontier.png");
}

#[test]
fn the_live_page_shows_the_latest_evaluation() {
    let dir = tempfile::tempdir().unwrap();
    let base = built_baseline(dir.path());
    let topics = Topics::new("live");
    let port = free_port();
    let config = write_config(dir.path(), &topics, port, &base, "");
    let monitor = Monitor::start(&config, port);
    loadgen(&topics.input, 3_000, 0.6, 71, now_ms() - 5 * 60 * 1000);
    produce_new_level(
        &topics.input,
        100,
        "gig_worker",
        72,
        now_ms() - 4 * 60 * 1000,
    );
    wait_for(
        "3,100 applications evaluated",
        Duration::from_secs(60),
        || window_applications(&monitor.drift(), "1h") == Some(3_100),
    );
    std::thread::sleep(Duration::from_millis(1500));
    let url = format!("http://127.0.0.1:{port}/");
    let dom = dom(&url);
    let api = monitor.drift();
    let numbers = equals_json(&dom, &api, &["/evaluated_at"]);
    let features = api["models"][0]["windows"][0]["features"]
        .as_array()
        .unwrap()
        .len();
    assert!(
        numbers > 5 * features,
        "{numbers} numbers for {features} series"
    );
    assert!(dom.contains("http-equiv=\"refresh\""));
    assert!(dom.contains("data-json=\"/models/0/windows/0/new_levels/0/share\""));
    assert!(!dom.contains("gig_worker"), "the stream names no level");
    let shot = screenshot(&url, "live.png");
    eprintln!("live page screenshot: {}", shot.display());
    drop(monitor);
}
