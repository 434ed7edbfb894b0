//! `psimon report --target` against the baseline's development IV: the drop, its SE and
//! the `iv_drop` state, on generated samples whose outcome relation is intact or weakened
//! (`generate --label-noise`). The figures equal the IV core and `iv_change` applied
//! offline to the baseline's goods/bads and to the sample's counts.

mod common;

use common::*;
use psimon::stats::{IvOptions, iv, iv_change};
use serde_json::Value;

fn report(base: &std::path::Path, input: &std::path::Path) -> Value {
    let out = ok(&[
        "report",
        "--baseline",
        path_str(base),
        "--input",
        path_str(input),
        "--target",
        "bad",
        "--format",
        "json",
    ]);
    serde_json::from_str(&out).unwrap()
}

fn noisy(dir: &std::path::Path, noise: f64, seed: u64) -> std::path::PathBuf {
    let path = dir.join(format!("cur-{seed}.csv"));
    ok(&[
        "generate",
        "--out",
        path_str(&path),
        "--rows",
        "20000",
        "--seed",
        &seed.to_string(),
        "--label-noise",
        &noise.to_string(),
    ]);
    path
}

fn feature<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["feature"] == name && f["binning"] == "scorecard")
        .unwrap()
}

#[test]
fn a_weakened_outcome_relation_alerts_and_an_intact_one_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let dev = generate(dir.path(), "dev.csv", 20_000, 0.0, 1);
    let base = dir.path().join("base.json");
    stumps_baseline(&dev, &base);

    // Intact: no feature's iv_drop alerts in any of 8 samples (a warning at most rarely).
    let mut raised = 0;
    for seed in 0..8 {
        let doc = report(&base, &noisy(dir.path(), 0.0, 100 + seed));
        for f in doc["features"].as_array().unwrap() {
            if f.get("iv_drop").is_some() && f["iv_drop"] != "ok" {
                raised += 1;
                assert_ne!(f["iv_drop"], "alert", "{}", f["feature"]);
            }
        }
    }
    assert!(raised <= 2, "{raised} warnings in 8 intact samples");

    // 60% of outcomes redrawn at random: about 84% of the score's information is lost.
    let weak = noisy(dir.path(), 0.6, 200);
    let doc = report(&base, &weak);
    let score = feature(&doc, "bureau_score");
    assert_eq!(score["iv_drop"], "alert", "{}", score["iv_change"]);
    let rel = score["iv_change"]["relative_drop"].as_f64().unwrap();
    assert!(rel > 0.6 && rel < 0.95, "relative drop {rel}");

    // Offline: the development IV from the file's goods/bads; the current goods and bads
    // binned independently from the CSV; the comparison recomputed.
    let baseline: Value = serde_json::from_str(&std::fs::read_to_string(&base).unwrap()).unwrap();
    let bf = baseline["models"][0]["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "bureau_score")
        .unwrap()
        .clone();
    let to_f64 = |v: &Value| -> Vec<f64> { serde_json::from_value(v.clone()).unwrap() };
    let dev_iv = iv(
        &to_f64(&bf["goods"]),
        &to_f64(&bf["bads"]),
        IvOptions::default(),
    )
    .unwrap();
    let text = std::fs::read_to_string(&weak).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (score_col, bad_col) = (col("bureau_score"), col("bad"));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    let values = |bad: &str| -> Vec<Option<String>> {
        rows.iter()
            .filter(|r| r[bad_col] == bad)
            .map(|r| (!r[score_col].is_empty()).then(|| r[score_col].to_string()))
            .collect()
    };
    let now_iv = iv(
        &offline_counts(&bf, &values("0")),
        &offline_counts(&bf, &values("1")),
        IvOptions::default(),
    )
    .unwrap();
    assert_eq!(score["iv"]["iv"].as_f64().unwrap(), now_iv.iv);
    let want = iv_change(&dev_iv, &now_iv, 0.05);
    let got = &score["iv_change"];
    assert_eq!(got["drop"].as_f64().unwrap(), want.drop);
    assert_eq!(got["drop_se"].as_f64().unwrap(), want.drop_se);
    assert_eq!(got["iv_development"].as_f64().unwrap(), dev_iv.iv);
}
