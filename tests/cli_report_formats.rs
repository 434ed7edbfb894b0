//! `psimon report` as a validator files it: every format (table, JSON, Markdown, CSV)
//! states psimon's version, when it was made, the baseline, alpha, the thresholds and the
//! multiple-testing method; the CSV and Markdown rows are the JSON's series; with a target
//! the per-bin tables show bad rate and WoE at development and now.

mod common;

use common::*;
use serde_json::Value;

fn report(base: &std::path::Path, input: &std::path::Path, format: &str) -> String {
    ok(&[
        "report",
        "--baseline",
        path_str(base),
        "--input",
        path_str(input),
        "--target",
        "bad",
        "--format",
        format,
        "--multiple-testing",
        "by",
        "--warning-psi",
        "0.12",
    ])
}

#[test]
fn every_format_states_what_was_run_on_what() {
    let dir = tempfile::tempdir().unwrap();
    let dev = generate(dir.path(), "dev.csv", 8_000, 0.0, 1);
    let base = dir.path().join("base.json");
    stumps_baseline(&dev, &base);
    let cur = generate(dir.path(), "cur.csv", 3_000, 0.4, 2);
    let doc: Value = serde_json::from_str(&report(&base, &cur, "json")).unwrap();
    assert_eq!(doc["psimon_version"], env!("CARGO_PKG_VERSION"));
    let made = doc["generated_at"].as_str().unwrap();
    assert!(made.len() == 20 && made.ends_with('Z'), "{made}");
    assert_eq!(doc["settings"]["multiple_testing"], "by");
    assert_eq!(doc["settings"]["warning_psi"], 0.12);
    let id = doc["baseline_id"].as_str().unwrap();
    let series = doc["features"].as_array().unwrap();

    let text = report(&base, &cur, "table");
    for needle in [
        format!("psimon {} report, made ", env!("CARGO_PKG_VERSION")),
        format!("baseline {id}"),
        "alpha 0.05, tau 0.1, multiple testing by; drift warning/alert at PSI 0.12/0.25".into(),
        "bad rate dev  bad rate now  WoE dev  WoE now".into(),
    ] {
        assert!(text.contains(&needle), "{needle} in\n{text}");
    }

    let md = report(&base, &cur, "markdown");
    assert!(md.starts_with("# psimon report\n"), "{md}");
    assert!(md.contains(&format!("- baseline {id}")), "{md}");
    let summary_rows = md
        .lines()
        .skip_while(|l| !l.starts_with("| feature |"))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .count();
    assert_eq!(summary_rows, series.len(), "{md}");

    // CSV: one row per series, the same figures as the JSON, the header in columns.
    let csv_text = report(&base, &cur, "csv");
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let header = reader.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), series.len());
    for row in &rows {
        assert_eq!(&row[col("baseline_id")], id);
        assert_eq!(&row[col("multiple_testing")], "by");
        let s = series
            .iter()
            .find(|s| s["feature"] == row[col("feature")] && s["binning"] == row[col("binning")])
            .unwrap();
        let psi: f64 = row[col("psi")].parse().unwrap();
        assert_eq!(psi, s["psi"]["psi"].as_f64().unwrap());
        let bound: f64 = row[col("psi_lower_bound")].parse().unwrap();
        assert_eq!(bound, s["psi"]["ncx2_lower_bound"].as_f64().unwrap());
        assert_eq!(&row[col("state")], s["state"].as_str().unwrap());
    }
    // The per-bin outcomes in JSON: development and sample goods and bads.
    let score = series
        .iter()
        .find(|s| s["feature"] == "bureau_score" && s["binning"] == "scorecard")
        .unwrap();
    assert!(
        score["bins"][0]["baseline_goods"].as_u64().is_some(),
        "{score}"
    );
    assert!(score["bins"][0]["goods"].as_u64().is_some(), "{score}");
}
