//! `psimon baseline` then `psimon report` on generated samples with a known shift; the
//! report's numbers are checked against an independent offline binning of the same rows.

mod common;

use common::*;
use psimon::stats::{PsiOptions, psi};
use serde_json::Value;

fn read_csv(path: &std::path::Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap().split(',').map(String::from).collect();
    let rows = lines
        .map(|l| l.split(',').map(String::from).collect())
        .collect();
    (header, rows)
}

#[test]
fn baseline_then_report_matches_offline_computation() {
    let dir = tempfile::tempdir().unwrap();
    let dev = generate(dir.path(), "dev.csv", 20_000, 0.0, 11);
    let cur = generate(dir.path(), "cur.csv", 5_000, 0.6, 12);
    let base = dir.path().join("base.json");
    let table = stumps_baseline(&dev, &base);
    assert!(table.contains("bureau_score"), "{table}");
    let baseline: Value = serde_json::from_str(&std::fs::read_to_string(&base).unwrap()).unwrap();
    assert_eq!(baseline["version"], 2);
    let model = &baseline["models"][0];
    assert_eq!(model["applications"], 20_000);
    for f in model["features"].as_array().unwrap() {
        let total: u64 = f["counts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_u64().unwrap())
            .sum();
        assert_eq!(total, 20_000, "{} counts every row once", f["name"]);
    }

    let out = ok(&[
        "report",
        "--baseline",
        path_str(&base),
        "--input",
        path_str(&cur),
        "--target",
        "bad",
        "--format",
        "json",
    ]);
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["rows"], 5_000);
    assert_eq!(report["baseline_id"], baseline["id"]);

    let (header, rows) = read_csv(&cur);
    // Every series, scorecard and population bins, against the core applied offline to the
    // bins the baseline file holds.
    let series = |name: &str, binning: &str| {
        report["features"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["feature"] == name && f["binning"] == binning)
            .unwrap_or_else(|| panic!("no {binning} series for {name}"))
            .clone()
    };
    for name in ["bureau_score", "employment_type", "utilisation", "region"] {
        let col = header.iter().position(|h| h == name).unwrap();
        let values: Vec<Option<String>> = rows
            .iter()
            .map(|r| (!r[col].is_empty()).then(|| r[col].clone()))
            .collect();
        let feature = model["features"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == name)
            .unwrap();
        let mut binnings = vec![("scorecard", feature.clone())];
        match feature.get("population") {
            Some(p) => binnings.push(("population", p.clone())),
            // Population bins equal to the scorecard bins are not written: one series.
            None => assert!(
                report["features"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|f| f["feature"] != name || f["binning"] == "scorecard"),
                "{name}: a population series without population bins"
            ),
        }
        for (binning, bins) in binnings {
            let current = offline_counts(&bins, &values);
            let base_counts: Vec<f64> = serde_json::from_value(bins["counts"].clone()).unwrap();
            let expected = psi(&current, &base_counts, PsiOptions::default()).unwrap();
            let got = series(name, binning);
            let got_counts: Vec<f64> = got["bins"]
                .as_array()
                .unwrap()
                .iter()
                .map(|b| b["current_count"].as_f64().unwrap())
                .collect();
            assert_eq!(got_counts, current, "{name} ({binning}): bin counts");
            assert_eq!(
                got["psi"]["psi"].as_f64().unwrap(),
                expected.psi,
                "{name} ({binning}): PSI"
            );
            assert_eq!(
                got["psi"]["se"].as_f64().unwrap(),
                expected.inference.se,
                "{name} ({binning}): SE"
            );
            assert_eq!(
                got["psi"]["chi2_pvalue"].as_f64().unwrap(),
                expected.inference.chi2_pvalue
            );
        }
    }
    // The population bins keep every level of at least 5% apart (the demo shows a shift
    // that the scorecard's merged levels hide; tests/demo.rs).
    let employment = model["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "employment_type")
        .unwrap();
    // (Where the scorecard bins keep them apart already, no population bins are written.)
    let watched = employment.get("population").unwrap_or(employment);
    let levels: Vec<Vec<String>> = serde_json::from_value(watched["levels"].clone()).unwrap();
    assert!(levels.iter().all(|l| l.len() == 1), "{levels:?}");
    assert!(levels.iter().any(|l| l[0] == "self_employed"));
    let p = |name: &str| {
        report["features"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["feature"] == name)
            .unwrap()["psi"]["chi2_pvalue"]
            .as_f64()
            .unwrap()
    };
    // The generator shifts scores, income and employment; it leaves region and age alone.
    assert!(p("bureau_score") < 1e-10 && p("income") < 1e-10 && p("employment_type") < 1e-6);
    assert!(
        p("region") > 1e-3 && p("age") > 1e-3,
        "region {} age {}",
        p("region"),
        p("age")
    );
    assert!(report["features"][0]["iv"]["iv"].as_f64().is_some());
}

#[test]
fn baselines_are_deterministic_and_work_from_jsonl() {
    let dir = tempfile::tempdir().unwrap();
    let csv = generate(dir.path(), "dev.csv", 3_000, 0.0, 5);
    let jsonl = generate(dir.path(), "dev.jsonl", 3_000, 0.0, 5);
    let build = |input: &std::path::Path, out: &str| {
        let out = dir.path().join(out);
        ok(&[
            "baseline",
            "--input",
            path_str(input),
            "--target",
            "bad",
            "--method",
            "quantile",
            "--features",
            "income,bureau_score,employment_type",
            "--special-values",
            "-999",
            "--out",
            path_str(&out),
        ]);
        std::fs::read_to_string(out).unwrap()
    };
    let a = build(&csv, "a.json");
    assert_eq!(a, build(&csv, "b.json"), "same input, same file");
    assert_eq!(
        a,
        build(&jsonl, "c.json"),
        "CSV and JSONL of the same rows give the same baseline"
    );
    let report = ok(&[
        "report",
        "--baseline",
        path_str(&dir.path().join("a.json")),
        "--input",
        path_str(&jsonl),
    ]);
    assert!(report.contains("income"), "{report}");
}

#[test]
fn quantile_bins_without_a_target() {
    let dir = tempfile::tempdir().unwrap();
    let dev = generate(dir.path(), "dev.csv", 5_000, 0.0, 3);
    let base = dir.path().join("base.json");
    let out = ok(&[
        "baseline",
        "--input",
        path_str(&dev),
        "--features",
        "age,region",
        "--max-bins",
        "5",
        "--out",
        path_str(&base),
    ]);
    assert!(
        out.contains("age (7 bins, quantile)") || out.contains("age (6 bins, quantile)"),
        "{out}"
    );
    let b: Value = serde_json::from_str(&std::fs::read_to_string(&base).unwrap()).unwrap();
    let age = &b["models"][0]["features"][0];
    let edges = age["edges"].as_array().unwrap();
    assert!(edges.len() <= 4);
    // Each ordinary bin holds about a fifth of the rows.
    for c in &age["counts"].as_array().unwrap()[..edges.len() + 1] {
        let share = c.as_f64().unwrap() / 5000.0;
        assert!((0.1..0.3).contains(&share), "{share}");
    }
}

/// `report` adjusts the features' no-drift p-values together: checked against the
/// formulas of STATISTICS.md sec. 4.3 recomputed here from the raw p-values.
#[test]
fn report_adjusts_p_values_for_the_features_tested_together() {
    let dir = tempfile::tempdir().unwrap();
    let dev = generate(dir.path(), "dev.csv", 20_000, 0.0, 21);
    let cur = generate(dir.path(), "cur.csv", 3_000, 0.3, 22);
    let base = dir.path().join("base.json");
    stumps_baseline(&dev, &base);
    let report = |method: &str| -> Value {
        let out = ok(&[
            "report",
            "--baseline",
            path_str(&base),
            "--input",
            path_str(&cur),
            "--format",
            "json",
            "--multiple-testing",
            method,
        ]);
        serde_json::from_str(&out).unwrap()
    };
    let pairs = |r: &Value| -> Vec<(f64, f64)> {
        r["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["psi"]["chi2_pvalue"].as_f64().unwrap(),
                    f["p_value_adjusted"].as_f64().unwrap(),
                )
            })
            .collect()
    };
    let bonferroni = report("bonferroni");
    assert_eq!(bonferroni["multiple_testing"], "bonferroni");
    let m = pairs(&bonferroni).len() as f64;
    for (p, q) in pairs(&bonferroni) {
        assert!(
            (q - (m * p).min(1.0)).abs() <= 1e-12 * q.max(1e-300),
            "{p} -> {q}"
        );
    }
    // BH: q_(i) = min over j >= i of m p_(j) / j, by sorting here.
    let bh = pairs(&report("bh"));
    let mut sorted: Vec<f64> = bh.iter().map(|(p, _)| *p).collect();
    sorted.sort_by(f64::total_cmp);
    for (p, q) in &bh {
        let i = sorted.iter().position(|x| x == p).unwrap();
        let expected = (i..sorted.len())
            .map(|j| (m * sorted[j] / (j + 1) as f64).min(1.0))
            .fold(1.0f64, f64::min);
        assert!(
            (q - expected).abs() <= 1e-12 * expected.max(1e-300),
            "{p} -> {q}, expected {expected}"
        );
        assert!(q >= p);
    }
    for (p, q) in pairs(&report("none")) {
        assert_eq!(p, q);
    }
    let bad = psimon(&[
        "report",
        "--baseline",
        path_str(&base),
        "--input",
        path_str(&cur),
        "--multiple-testing",
        "holm",
    ]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not a multiple-testing adjustment"));
}

#[test]
fn version_1_baselines_still_load_with_scorecard_bins_only() {
    // Written by psimon before population bins (d55d1ad): `baseline --max-bins 5`.
    let v1 = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/baseline_v1.json");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&v1).unwrap()).unwrap();
    assert_eq!(doc["version"], 1);
    let dir = tempfile::tempdir().unwrap();
    let cur = generate(dir.path(), "cur.csv", 1_000, 0.5, 4);
    let out = ok(&[
        "report",
        "--baseline",
        path_str(&v1),
        "--input",
        path_str(&cur),
        "--format",
        "json",
    ]);
    let report: Value = serde_json::from_str(&out).unwrap();
    // The id is unchanged: the content hash of a file without population bins.
    assert_eq!(report["baseline_id"], doc["id"]);
    let features = report["features"].as_array().unwrap();
    assert_eq!(
        features.len(),
        doc["models"][0]["features"].as_array().unwrap().len()
    );
    assert!(features.iter().all(|f| f["binning"] == "scorecard"));
    // A version-1 file that claims population bins is refused, with the path.
    let mut bad = doc.clone();
    bad["models"][0]["features"][0]["population"] = bad["models"][0]["features"][0].clone();
    let bad_path = dir.path().join("bad.json");
    std::fs::write(&bad_path, serde_json::to_string(&bad).unwrap()).unwrap();
    fails_with(
        &[
            "report",
            "--baseline",
            path_str(&bad_path),
            "--input",
            path_str(&cur),
        ],
        "population bins need version 2",
    );
}

#[test]
fn population_bins_follow_the_options() {
    let dir = tempfile::tempdir().unwrap();
    let dev = generate(dir.path(), "dev.csv", 4_000, 0.0, 6);
    let base = dir.path().join("base.json");
    ok(&[
        "baseline",
        "--input",
        path_str(&dev),
        "--out",
        path_str(&base),
        "--special-values",
        "-999",
        "--population-bins",
        "4",
    ]);
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&base).unwrap()).unwrap();
    let feature = |name: &str| {
        doc["models"][0]["features"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == name)
            .unwrap()
            .clone()
    };
    let score = feature("bureau_score")["population"].clone();
    assert_eq!(score["edges"].as_array().unwrap().len(), 3, "{score}");
    assert_eq!(score["special_values"], serde_json::json!([-999.0]));
    let counts: Vec<u64> = serde_json::from_value(score["counts"].clone()).unwrap();
    assert_eq!(counts.iter().sum::<u64>(), 4_000);
    // Equal-frequency: the four ranges hold about a quarter of the ordinary rows each.
    let ordinary: u64 = counts[..4].iter().sum();
    for c in &counts[..4] {
        assert!(
            (*c as f64 - ordinary as f64 / 4.0).abs() < 0.02 * ordinary as f64,
            "{counts:?}"
        );
    }
    // --population-bins 0 writes none.
    let none = dir.path().join("none.json");
    ok(&[
        "baseline",
        "--input",
        path_str(&dev),
        "--out",
        path_str(&none),
        "--population-bins",
        "0",
    ]);
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&none).unwrap()).unwrap();
    assert!(
        doc["models"][0]["features"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f.get("population").is_none())
    );
}

#[test]
fn with_target_a_baseline_built_without_one_does_not_report_the_target_as_a_feature() {
    let dir = tempfile::tempdir().unwrap();
    let dev = generate(dir.path(), "dev.csv", 5_000, 0.0, 1);
    let cur = generate(dir.path(), "cur.csv", 3_000, 0.5, 2);
    let base = dir.path().join("b.json");
    ok(&[
        "baseline",
        "--input",
        path_str(&dev),
        "--out",
        path_str(&base),
    ]);
    let out = psimon(&[
        "report",
        "--baseline",
        path_str(&base),
        "--input",
        path_str(&cur),
        "--target",
        "bad",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report = stdout(&out);
    assert!(
        !report.lines().any(|l| l.starts_with("bad ")),
        "the target is not a feature row:\n{report}"
    );
    assert!(report.lines().any(|l| l.starts_with("bureau_score ")));
    assert!(
        stderr(&out).contains("left out of the features"),
        "{}",
        stderr(&out)
    );
}

/// The report's state is the monitor's rule (significant after adjustment, and the
/// interval's lower end above the threshold), recomputed here from the report's own
/// numbers for every series, with thresholds chosen so that all three states occur. The
/// table shows the same states; the JSON names a feature `feature` and its missing share
/// `missing_ratio`, as `/api/v1/drift` does.
#[test]
fn report_states_follow_the_monitors_rule_and_field_names_match_the_api() {
    let dir = tempfile::tempdir().unwrap();
    let dev = generate(dir.path(), "dev.csv", 20_000, 0.0, 11);
    let cur = generate(dir.path(), "cur.csv", 5_000, 0.6, 12);
    let base = dir.path().join("base.json");
    stumps_baseline(&dev, &base);
    let args = |format: &str| {
        vec![
            "report".to_string(),
            "--baseline".into(),
            path_str(&base).into(),
            "--input".into(),
            path_str(&cur).into(),
            "--format".into(),
            format.into(),
            "--warning-psi".into(),
            "0.01".into(),
            "--alert-psi".into(),
            "0.1".into(),
        ]
    };
    let json = args("json");
    let report: Value =
        serde_json::from_str(&ok(&json.iter().map(String::as_str).collect::<Vec<_>>())).unwrap();
    let mut seen = std::collections::BTreeMap::new();
    for f in report["features"].as_array().unwrap() {
        assert!(
            f.get("name").is_none() && f.get("missing_share").is_none(),
            "{f}"
        );
        assert!(f["missing_ratio"].as_f64().is_some(), "{f}");
        let lower = f["psi"]["ci_ncx2_lower"].as_f64().unwrap();
        let q = f["p_value_adjusted"].as_f64().unwrap();
        let p = f["psi"]["chi2_pvalue"].as_f64().unwrap();
        let significant = q <= 0.05 && p < 0.05;
        let want = if significant && lower > 0.1 {
            "alert"
        } else if significant && lower > 0.01 {
            "warning"
        } else {
            "ok"
        };
        assert_eq!(f["state"], want, "{f}");
        seen.insert(
            (
                f["feature"].as_str().unwrap().to_string(),
                f["binning"].as_str().unwrap().to_string(),
            ),
            want.to_uppercase(),
        );
    }
    let kinds: std::collections::BTreeSet<&String> = seen.values().collect();
    assert_eq!(kinds.len(), 3, "all three states should occur: {seen:?}");
    let table = ok(&args("table").iter().map(String::as_str).collect::<Vec<_>>());
    for ((feature, binning), state) in &seen {
        let line = table
            .lines()
            .find(|l| {
                let w: Vec<&str> = l.split_whitespace().collect();
                w.len() > 2 && w[0] == feature && w[1] == binning
            })
            .unwrap_or_else(|| panic!("{feature} {binning} in\n{table}"));
        // The state is the column before the last (missing).
        let words: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(words[words.len() - 2], state, "{line}");
    }
}

#[test]
fn report_divergences_are_those_of_the_series_counts() {
    let dir = tempfile::tempdir().unwrap();
    let dev = generate(dir.path(), "dev.csv", 10_000, 0.0, 21);
    let cur = generate(dir.path(), "cur.csv", 4_000, 0.6, 22);
    let base = dir.path().join("base.json");
    stumps_baseline(&dev, &base);
    let args = [
        "report",
        "--baseline",
        path_str(&base),
        "--input",
        path_str(&cur),
    ];
    let json = ok(&[&args[..], &["--divergences", "--format", "json"]].concat());
    let report: Value = serde_json::from_str(&json).unwrap();
    let mut checked = 0;
    for f in report["features"].as_array().unwrap() {
        let bins = f["bins"].as_array().unwrap();
        let count = |k: &str| -> Vec<f64> { bins.iter().map(|b| b[k].as_f64().unwrap()).collect() };
        let (x, y) = (count("current_count"), count("baseline_count"));
        // Offline: the kept bins, +0.5 smoothing, KL(now || baseline) and Pearson's chi2.
        let kept: Vec<usize> = (0..x.len()).filter(|&i| x[i] + y[i] > 0.0).collect();
        let k = kept.len() as f64;
        let (sx, sy): (f64, f64) = (x.iter().sum(), y.iter().sum());
        let p: Vec<f64> = kept
            .iter()
            .map(|&i| (x[i] + 0.5) / (sx + 0.5 * k))
            .collect();
        let q: Vec<f64> = kept
            .iter()
            .map(|&i| (y[i] + 0.5) / (sy + 0.5 * k))
            .collect();
        let kl: f64 = p.iter().zip(&q).map(|(p, q)| p * (p / q).ln()).sum();
        let chi: f64 = p.iter().zip(&q).map(|(p, q)| (p - q).powi(2) / q).sum();
        let d = &f["divergences"];
        let got = |m: &str| d[m]["value"].as_f64().unwrap();
        assert!(
            (got("kl_pq") - kl).abs() <= 1e-12 * kl.max(1e-12),
            "{}",
            f["feature"]
        );
        assert!((got("chi_square") - chi).abs() <= 1e-12 * chi.max(1e-12));
        // Every member tests the same hypothesis as PSI: the same degrees of freedom.
        assert_eq!(d["hellinger"]["chi2_df"], f["psi"]["chi2_df"]);
        checked += 1;
    }
    assert!(checked >= 8, "{checked} series");
    // The shifted sample moves bureau_score: every member finds it.
    let score = report["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["feature"] == "bureau_score" && f["binning"] == "scorecard")
        .unwrap();
    for (m, v) in score["divergences"].as_object().unwrap() {
        assert!(v["chi2_pvalue"].as_f64().unwrap() < 1e-6, "{m}: {v}");
    }
    let table = ok(&[&args[..], &["--divergences"]].concat());
    assert!(
        table.contains("Divergences of now against the baseline"),
        "{table}"
    );
    let html = ok(&[&args[..], &["--divergences", "--format", "html"]].concat());
    assert!(html.contains("jensen_shannon"));
    // Without the flag, nothing changes.
    let plain: Value =
        serde_json::from_str(&ok(&[&args[..], &["--format", "json"]].concat())).unwrap();
    assert!(plain["features"][0].get("divergences").is_none());
}
