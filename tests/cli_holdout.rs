//! Honest development figures: `psimon baseline --holdout F` chooses the bins on one part
//! of the sample and reports IV, SE, interval and p-value on the rest. With the target
//! permuted (no feature carries information), the holdout p-values reject at about alpha,
//! while the in-sample ones, computed on the rows that chose the bins, reject more often.

mod common;

use common::*;
use serde_json::Value;

/// The sample with its `bad` column shuffled by a seeded LCG (the same file every run).
fn permuted_target(src: &std::path::Path, dst: &std::path::Path, seed: u64) {
    let text = std::fs::read_to_string(src).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let col = header.split(',').position(|h| h == "bad").unwrap();
    let mut rows: Vec<Vec<String>> = lines
        .map(|l| l.split(',').map(String::from).collect())
        .collect();
    let mut targets: Vec<String> = rows.iter().map(|r| r[col].clone()).collect();
    let mut x = 0x2545_f491_4f6c_dd1d_u64 ^ seed.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    for i in (1..targets.len()).rev() {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let j = ((x >> 33) as usize) % (i + 1);
        targets.swap(i, j);
    }
    for (r, t) in rows.iter_mut().zip(targets) {
        r[col] = t;
    }
    let mut out = String::from(header);
    out.push('\n');
    for r in rows {
        out.push_str(&r.join(","));
        out.push('\n');
    }
    std::fs::write(dst, out).unwrap();
}

fn p_values(figures: &str) -> Vec<f64> {
    let doc: Value = serde_json::from_str(figures).unwrap();
    doc["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["iv"]["chi2_pvalue"].as_f64())
        .collect()
}

#[test]
fn holdout_p_values_hold_their_size_under_a_permuted_target() {
    let dir = tempfile::tempdir().unwrap();
    let dev = generate(dir.path(), "dev.csv", 6_000, 0.0, 41);
    let perm = dir.path().join("permuted.csv");
    let base = dir.path().join("b.json");
    let run = |extra: &[&str]| {
        let mut args = vec![
            "baseline",
            "--input",
            path_str(&perm),
            "--target",
            "bad",
            "--method",
            "stumps",
            "--special-values",
            "-999",
            "--out",
            path_str(&base),
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        ok(&args)
    };
    // A new permutation and a new split each time: independent tests under no association.
    let (mut tests, mut rejected) = (0, 0);
    let (mut in_tests, mut in_rejected) = (0, 0);
    for seed in 1..=25u64 {
        permuted_target(&dev, &perm, seed);
        let s = seed.to_string();
        let ps = p_values(&run(&["--holdout", "0.3", "--seed", &s]));
        tests += ps.len();
        rejected += ps.iter().filter(|p| **p < 0.05).count();
        if seed <= 10 {
            let ps = p_values(&run(&[]));
            in_tests += ps.len();
            in_rejected += ps.iter().filter(|p| **p < 0.05).count();
        }
    }
    eprintln!(
        "permuted target: holdout rejects {rejected} of {tests} ({:.1}%); in-sample {in_rejected} of {in_tests}",
        100.0 * rejected as f64 / tests as f64,
    );
    assert!(tests >= 150, "{tests} tests");
    assert!(
        (rejected as f64) <= 0.08 * tests as f64,
        "holdout p-values reject {rejected} of {tests} with no information in the target"
    );
    assert!(
        in_rejected * tests > 2 * rejected * in_tests,
        "in-sample p-values (bins chosen on the same rows) reject far more often"
    );
    // The file keeps the counts of every row, whatever the split.
    let file: Value = serde_json::from_str(&std::fs::read_to_string(&base).unwrap()).unwrap();
    assert_eq!(file["models"][0]["applications"], 6_000);
    let figures: Value = serde_json::from_str(&run(&["--holdout", "0.25"])).unwrap();
    assert_eq!(figures["figures"], "holdout");
    assert_eq!(figures["figure_rows"], 1_500);
    let counted: u64 = figures["features"][0]["counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_u64().unwrap())
        .sum();
    assert_eq!(
        counted, 1_500,
        "the printed figures count the holdout rows only"
    );
}
