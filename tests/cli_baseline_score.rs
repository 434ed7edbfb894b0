//! `psimon baseline --score COLUMN`: a scorecard's score carries the other features'
//! information, so in the joint stump fit it takes the rounds and leaves them without a
//! split (they fall back to quantile bins). With `--score` it is fit on its own and the
//! others keep their stump bins. The sample is generated, with a score column computed
//! from the same drivers the outcome is drawn from.

mod common;

use common::*;
use serde_json::Value;

/// `dev.csv` with a `score` column: 600 points less 40 per unit of the outcome's logit
/// (bureau score, debt-to-income, delinquencies, unemployment: the generator's drivers).
fn with_score(dev: &std::path::Path, out: &std::path::Path) {
    let mut reader = csv::Reader::from_path(dev).unwrap();
    let header = reader.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (bureau, dti, delinq, emp) = (
        col("bureau_score"),
        col("debt_to_income"),
        col("delinquencies"),
        col("employment_type"),
    );
    let mut writer = csv::Writer::from_path(out).unwrap();
    let mut names: Vec<&str> = header.iter().collect();
    names.push("score");
    writer.write_record(&names).unwrap();
    for row in reader.records() {
        let row = row.unwrap();
        let b: f64 = row[bureau].parse().unwrap();
        let b = if b == -999.0 { 600.0 } else { b };
        let logit = -2.4 - (b - 680.0) / 45.0
            + 2.0 * (row[dti].parse::<f64>().unwrap() - 0.3)
            + 0.35 * row[delinq].parse::<f64>().unwrap()
            + if &row[emp] == "unemployed" { 0.8 } else { 0.0 };
        let mut cells: Vec<String> = row.iter().map(String::from).collect();
        cells.push(format!("{:.0}", 600.0 - 40.0 * logit));
        writer.write_record(&cells).unwrap();
    }
    writer.flush().unwrap();
}

/// Each feature's bins (the scorecard bins' spec as written) by name.
fn bins(base: &std::path::Path) -> Vec<(String, Value)> {
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(base).unwrap()).unwrap();
    doc["models"][0]["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let spec = ["edges", "levels", "special_values"].map(|k| f[k].clone());
            (
                f["name"].as_str().unwrap().to_string(),
                Value::from(spec.to_vec()),
            )
        })
        .collect()
}

fn baseline(input: &std::path::Path, out: &std::path::Path, score: bool) {
    let mut args = vec![
        "baseline",
        "--input",
        path_str(input),
        "--target",
        "bad",
        "--method",
        "stumps",
        "--special-values",
        "-999",
        "--out",
        path_str(out),
    ];
    if score {
        args.extend(["--score", "score"]);
    }
    ok(&args);
}

#[test]
fn the_score_is_fit_on_its_own_and_the_features_keep_their_own_bins() {
    let dir = tempfile::tempdir().unwrap();
    let dev = generate(dir.path(), "dev.csv", 20_000, 0.0, 1);
    let scored = dir.path().join("scored.csv");
    with_score(&dev, &scored);
    let path = |n: &str| dir.path().join(n);
    baseline(&dev, &path("none.json"), false);
    baseline(&scored, &path("joint.json"), false);
    baseline(&scored, &path("apart.json"), true);
    ok(&[
        "baseline",
        "--input",
        path_str(&scored),
        "--target",
        "bad",
        "--method",
        "stumps",
        "--features",
        "score",
        "--out",
        path_str(&path("alone.json")),
    ]);
    let (none, joint, apart) = (
        bins(&path("none.json")),
        bins(&path("joint.json")),
        bins(&path("apart.json")),
    );
    // In the joint fit the score changes other features' bins (their splits are chosen on
    // what the score left over).
    let moved: Vec<&String> = none
        .iter()
        .zip(&joint)
        .filter(|(a, b)| a.1 != b.1)
        .map(|(a, _)| &a.0)
        .collect();
    assert!(!moved.is_empty(), "the joint fit changed no feature's bins");
    // Fit apart: every other feature has the bins it has without a score column, and the
    // score the bins of a fit of its own.
    assert_eq!(
        &apart[..none.len()],
        &none[..],
        "the features' bins with --score"
    );
    assert_eq!(
        apart.last(),
        bins(&path("alone.json")).last(),
        "the score's bins"
    );
    eprintln!("bins changed by the score in the joint fit: {moved:?}");
    // --score names a feature column and needs stumps.
    fails_with(
        &[
            "baseline",
            "--input",
            path_str(&scored),
            "--target",
            "bad",
            "--method",
            "stumps",
            "--score",
            "nope",
            "--out",
            path_str(&path("x.json")),
        ],
        "--score nope: not a feature column",
    );
    fails_with(
        &[
            "baseline",
            "--input",
            path_str(&scored),
            "--target",
            "bad",
            "--score",
            "score",
            "--out",
            path_str(&path("x.json")),
        ],
        "needs --method stumps",
    );
}

/// A categorical feature whose stump bins keep every level apart has population bins equal
/// to them: they are written once (no second series watching the same bins).
#[test]
fn population_bins_equal_to_the_scorecard_bins_are_not_written_twice_and_other_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("grades.csv");
    let mut text = String::from("grade,noise,bad\n");
    for i in 0..6000u32 {
        // Two rare grades (2% and 1%) that the scorecard bins put in OTHER.
        let grade = match i % 100 {
            0 | 1 => "D",
            2 => "E",
            _ => ["A", "B", "C"][(i % 3) as usize],
        };
        let rate = [3, 10, 40][(i % 3) as usize];
        let bad = u32::from((i * 7919 + 13) % 100 < rate);
        text.push_str(&format!("{grade},{},{bad}\n", (i * 31) % 97));
    }
    std::fs::write(&csv, text).unwrap();
    let base = dir.path().join("base.json");
    ok(&[
        "baseline",
        "--input",
        path_str(&csv),
        "--target",
        "bad",
        "--method",
        "stumps",
        "--out",
        path_str(&base),
    ]);
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&base).unwrap()).unwrap();
    let features = doc["models"][0]["features"].as_array().unwrap();
    let grade = features.iter().find(|f| f["name"] == "grade").unwrap();
    assert_eq!(grade["levels"].as_array().unwrap().len(), 3, "{grade}");
    assert!(grade.get("population").is_none(), "{grade}");
    let noise = features.iter().find(|f| f["name"] == "noise").unwrap();
    assert!(noise.get("population").is_some(), "{noise}");
    // OTHER's development members are listed, the most frequent first, in the file, the
    // baseline's table and the report (text and JSON).
    assert_eq!(
        grade["other_levels"],
        serde_json::json!(["D", "E"]),
        "{grade}"
    );
    let listed = "OTHER holds the development levels too rare for a bin: D, E";
    let table = ok(&[
        "baseline",
        "--input",
        path_str(&csv),
        "--target",
        "bad",
        "--method",
        "stumps",
        "--out",
        path_str(&dir.path().join("again.json")),
    ]);
    assert!(table.contains(listed), "{table}");
    let args = [
        "report",
        "--baseline",
        path_str(&base),
        "--input",
        path_str(&csv),
        "--target",
        "bad",
    ];
    let text = ok(&args);
    assert!(text.contains(listed), "{text}");
    let json: Value =
        serde_json::from_str(&ok(&[&args[..], &["--format", "json"]].concat())).unwrap();
    let g = json["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["feature"] == "grade")
        .unwrap();
    assert_eq!(g["other_levels"], serde_json::json!(["D", "E"]));
    assert!(
        g.get("new_levels").is_none(),
        "the development sample has no new level"
    );

    // A sample with a level never seen (F, 30%) and the rare E: F is named as new, E not.
    let current = dir.path().join("current.csv");
    let mut text = String::from("grade,noise,bad\n");
    for i in 0..1000u32 {
        let grade = match i % 10 {
            0..=2 => "F",
            3 => "E",
            _ => "A",
        };
        text.push_str(&format!("{grade},{},0\n", i % 97));
    }
    std::fs::write(&current, text).unwrap();
    let args = [
        "report",
        "--baseline",
        path_str(&base),
        "--input",
        path_str(&current),
    ];
    let out = ok(&args);
    assert!(
        out.contains("levels never seen in development: 30.0% of rows (F 30.0%)"),
        "{out}"
    );
    let json: Value =
        serde_json::from_str(&ok(&[&args[..], &["--format", "json"]].concat())).unwrap();
    let g = json["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["feature"] == "grade")
        .unwrap();
    assert_eq!(g["new_levels"]["rows"], 300);
    assert_eq!(g["new_levels"]["top"][0]["level"], "F");
}
