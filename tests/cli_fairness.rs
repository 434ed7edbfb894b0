//! `psimon report --fairness`: J of a feature's bins between each protected group and the
//! reference group, on generated samples with a known score gap between groups
//! (`generate --protected-gap`). The 95% noncentral interval covers the true J (estimated
//! on a sample 100 times larger) in about 95% of repeated samples; with no gap the
//! tolerance test shows J below tau; the figures equal the IV core applied offline.

mod common;

use common::*;
use psimon::stats::{IvOptions, iv};
use serde_json::Value;

fn baseline(dir: &std::path::Path) -> std::path::PathBuf {
    let dev = generate(dir, "dev.csv", 20_000, 0.0, 1);
    let out = dir.join("base.json");
    ok(&[
        "baseline",
        "--input",
        path_str(&dev),
        "--out",
        path_str(&out),
        "--features",
        "bureau_score,income",
        "--special-values",
        "-999",
    ]);
    out
}

fn grouped(
    dir: &std::path::Path,
    name: &str,
    rows: u64,
    gap: f64,
    seed: u64,
) -> std::path::PathBuf {
    let path = dir.join(name);
    ok(&[
        "generate",
        "--out",
        path_str(&path),
        "--rows",
        &rows.to_string(),
        "--seed",
        &seed.to_string(),
        "--protected-gap",
        &gap.to_string(),
    ]);
    path
}

/// The group B row of `report --fairness group --reference A` on `input`.
fn fairness(base: &std::path::Path, input: &std::path::Path) -> Value {
    let out = ok(&[
        "report",
        "--baseline",
        path_str(base),
        "--input",
        path_str(input),
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
    assert_eq!(doc["fairness"]["groups"].as_array().unwrap().len(), 1);
    doc["fairness"]["groups"][0].clone()
}

#[test]
fn the_interval_covers_the_true_divergence_between_groups() {
    let dir = tempfile::tempdir().unwrap();
    let base = baseline(dir.path());
    // 30 score points (half a standard deviation) lower for group B.
    let big = grouped(dir.path(), "big.csv", 400_000, 30.0, 99);
    let truth = fairness(&base, &big)["j"]["j"].as_f64().unwrap();
    assert!(truth > 0.15 && truth < 0.35, "true J {truth}");
    let mut covered = 0;
    let runs = 40;
    for seed in 0..runs {
        let sample = grouped(dir.path(), "s.csv", 4_000, 30.0, 1_000 + seed);
        let g = fairness(&base, &sample);
        let (lo, hi) = (
            g["j"]["ci_ncx2_lower"].as_f64().unwrap(),
            g["j"]["ci_ncx2_upper"].as_f64().unwrap(),
        );
        if lo <= truth && truth <= hi {
            covered += 1;
        }
        assert!(
            g["above_tau"].as_bool().unwrap(),
            "J {truth} far above 0.02"
        );
    }
    eprintln!("fairness interval covered the true J {truth} in {covered} of {runs} samples");
    // 95% nominal; 34 of 40 is 2.4 binomial SDs below.
    assert!(covered >= 34, "covered {covered} of {runs}");
}

#[test]
fn with_no_gap_the_tolerance_test_shows_j_below_tau_and_numbers_match_offline() {
    let dir = tempfile::tempdir().unwrap();
    let base = baseline(dir.path());
    let mut below = 0;
    for seed in 0..10 {
        let sample = grouped(dir.path(), "s.csv", 20_000, 0.0, 2_000 + seed);
        let g = fairness(&base, &sample);
        if g["below_tau"].as_bool().unwrap() {
            below += 1;
        }
        assert!(!g["above_tau"].as_bool().unwrap());
        if seed == 0 {
            // Offline: the feature's bins counted per group from the CSV, through the core.
            let doc: Value =
                serde_json::from_str(&std::fs::read_to_string(&base).unwrap()).unwrap();
            let feature = doc["models"][0]["features"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["name"] == "bureau_score")
                .unwrap()
                .clone();
            let text = std::fs::read_to_string(&sample).unwrap();
            let mut lines = text.lines();
            let header: Vec<&str> = lines.next().unwrap().split(',').collect();
            let (score, group) = (
                header.iter().position(|h| *h == "bureau_score").unwrap(),
                header.iter().position(|h| *h == "group").unwrap(),
            );
            let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
            let values = |g: &str| -> Vec<Option<String>> {
                rows.iter()
                    .filter(|r| r[group] == g)
                    .map(|r| Some(r[score].to_string()))
                    .collect()
            };
            let (b, a) = (
                offline_counts(&feature, &values("B")),
                offline_counts(&feature, &values("A")),
            );
            let want = iv(
                &b,
                &a,
                IvOptions {
                    alpha: 0.05,
                    tau: Some(0.02),
                },
            )
            .unwrap();
            let got = &g["j"];
            assert_eq!(got["j"].as_f64().unwrap(), want.iv);
            assert_eq!(
                got["group_applications"].as_f64(),
                Some(b.iter().sum::<f64>())
            );
            assert_eq!(
                got["reference_applications"].as_f64(),
                Some(a.iter().sum::<f64>())
            );
            assert!(
                got.get("G").is_none() && got.get("p_goods").is_none(),
                "{got}"
            );
            assert_eq!(got["se"].as_f64().unwrap(), want.inference.se);
            assert_eq!(g["rows"].as_u64().unwrap() as f64, b.iter().sum::<f64>());
        }
    }
    eprintln!("J shown below 0.02 in {below} of 10 samples with no gap");
    assert!(below >= 9, "J shown below 0.02 in {below} of 10 samples");
}

#[test]
fn fairness_mistakes_are_explained() {
    let dir = tempfile::tempdir().unwrap();
    let base = baseline(dir.path());
    let sample = grouped(dir.path(), "s.csv", 500, 0.0, 3);
    fails_with(
        &[
            "report",
            "--baseline",
            path_str(&base),
            "--input",
            path_str(&sample),
            "--fairness",
            "group",
            "--reference",
            "C",
            "--fairness-feature",
            "bureau_score",
        ],
        "--reference C: no row of the sample has group = C (values seen: A (",
    );
    fails_with(
        &[
            "report",
            "--baseline",
            path_str(&base),
            "--input",
            path_str(&sample),
            "--fairness",
            "group",
            "--reference",
            "A",
        ],
        "name one with --fairness-feature",
    );
}

/// A group with no rows says so in group words; the reference group's rows are stated
/// even when no group could be compared.
#[test]
fn an_empty_group_says_so_and_the_reference_keeps_its_rows() {
    let dir = tempfile::tempdir().unwrap();
    let base = baseline(dir.path());
    let sample = grouped(dir.path(), "s.csv", 500, 0.0, 3);
    let args = |format: &'static str| {
        [
            "report",
            "--baseline",
            path_str(&base),
            "--input",
            path_str(&sample),
            "--fairness",
            "group",
            "--reference",
            "A",
            "--groups",
            "Z",
            "--fairness-feature",
            "bureau_score",
            "--format",
            format,
        ]
        .map(String::from)
    };
    let run = |format| {
        let a = args(format);
        ok(&a.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let doc: serde_json::Value = serde_json::from_str(&run("json")).unwrap();
    let f = &doc["fairness"];
    let reference_rows = f["reference_rows"].as_u64().unwrap();
    assert!(reference_rows > 100, "{f}");
    assert_eq!(
        f["groups"][0]["error"], "group Z has no applications here",
        "{f}"
    );
    let text = run("table");
    assert!(text.contains("group Z has no applications here"), "{text}");
    assert!(
        text.contains(&format!("reference group ({reference_rows} rows)")),
        "{text}"
    );
    assert!(!text.contains("goods"), "{text}");
}
