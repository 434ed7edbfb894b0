//! The fairness frontier: the MIP's choice against brute force, the SE of a sum of IVs
//! against a bootstrap of the rows, and `psimon frontier` on a generated sample with a
//! planted proxy of the protected attribute (which must go first as the bound tightens).

mod common;

use common::*;
use psimon::data::synth::Rng;
use psimon::frontier::{FeatureBins, Objective, Rows, Variant, select, sum_with_se, variants};
use psimon::stats::{IvOptions, iv};
use serde_json::Value;

/// Rows of five features of 4 ordinary bins and a Missing bin: f0 and f3 follow the
/// applicant's latent risk (so they move together within each outcome), f1 the group, f2
/// the outcome and the group, f4 weakly the outcome. 30% protected.
fn sample(n: usize, seed: u64) -> (Vec<Vec<u16>>, Vec<bool>, Vec<Option<bool>>) {
    let mut rng = Rng::new(seed);
    let (mut bins, mut bad, mut group) = (vec![], vec![], vec![]);
    for _ in 0..n {
        let protected = rng.chance(0.3);
        let risk = rng.normal() + if protected { 0.3 } else { 0.0 };
        let is_bad = rng.chance(1.0 / (1.0 + (-(risk * 1.2 - 1.5)).exp()));
        let band = |x: f64| -> u16 { (x.clamp(-1.99, 1.99) + 2.0).floor() as u16 };
        let g = if protected { 1.0 } else { -0.5 };
        let b = if is_bad { 0.8 } else { -0.2 };
        bins.push(vec![
            band(0.9 * risk + 0.6 * rng.normal()),
            band(g + 0.7 * rng.normal()),
            band(0.5 * b + 0.5 * g + 0.8 * rng.normal()),
            band(0.6 * risk + 0.8 * rng.normal()),
            band(0.2 * b + rng.normal()),
        ]);
        bad.push(is_bad);
        group.push(Some(protected));
    }
    (bins, bad, group)
}

fn features() -> Vec<FeatureBins> {
    (0..5)
        .map(|f| FeatureBins {
            name: format!("f{f}"),
            labels: vec![
                "a".into(),
                "b".into(),
                "c".into(),
                "d".into(),
                "MISSING".into(),
            ],
            ordinary: 4,
        })
        .collect()
}

/// The best objective over every choice of at most one variant per feature.
fn brute_force(all: &[Variant], bound: f64, robust: bool, z: f64) -> f64 {
    let by_feature: Vec<Vec<usize>> = (0..5)
        .map(|f| (0..all.len()).filter(|&i| all[i].feature == f).collect())
        .collect();
    let mut best = 0.0f64;
    let mut pick = [0usize; 5]; // 0: none, k: the (k-1)-th variant
    loop {
        let (mut gain, mut load) = (0.0, 0.0);
        for f in 0..5 {
            if pick[f] > 0 {
                let v = &all[by_feature[f][pick[f] - 1]];
                gain += v.predictive_iv.value;
                load += v.protected_iv.value + if robust { z * v.protected_iv.se } else { 0.0 };
            }
        }
        if load <= bound + 1e-12 {
            best = best.max(gain);
        }
        let mut f = 0;
        while f < 5 {
            pick[f] += 1;
            if pick[f] <= by_feature[f].len() {
                break;
            }
            pick[f] = 0;
            f += 1;
        }
        if f == 5 {
            return best;
        }
    }
}

#[test]
fn the_mip_finds_the_best_choice_at_every_bound() {
    let (bins, bad, group) = sample(6000, 3);
    let rows = Rows {
        bins: &bins,
        bad: &bad,
        group: &group,
    };
    let all = variants(rows, &features(), 2);
    assert!(all.len() > 8, "merges were proposed: {}", all.len());
    let z = 1.645;
    for robust in [false, true] {
        for bound in [0.0, 0.005, 0.02, 0.05, 0.1, 0.2, 0.4, 1.0, 5.0] {
            let chosen = select(&all, bound, Objective { z, robust }).unwrap();
            let gain: f64 = chosen.iter().map(|&i| all[i].predictive_iv.value).sum();
            let best = brute_force(&all, bound, robust, z);
            assert!(
                (gain - best).abs() < 1e-9,
                "bound {bound} robust {robust}: {gain} vs {best}"
            );
            let features: Vec<usize> = chosen.iter().map(|&i| all[i].feature).collect();
            let mut unique = features.clone();
            unique.dedup();
            assert_eq!(features, unique, "one variant per feature");
        }
    }
}

/// The IVs of `chosen` on the rows `idx` (with repeats), each variant's groups fixed.
fn sums_on(
    bins: &[Vec<u16>],
    bad: &[bool],
    group: &[Option<bool>],
    idx: &[usize],
    chosen: &[&Variant],
) -> (f64, f64) {
    let mut pred = 0.0;
    let mut prot = 0.0;
    for v in chosen {
        let n = v.labels.len();
        let mut c = [vec![0.0; n], vec![0.0; n], vec![0.0; n], vec![0.0; n]];
        for &r in idx {
            let g = v.groups[bins[r][v.feature] as usize];
            c[usize::from(bad[r])][g] += 1.0;
            c[if group[r] == Some(true) { 2 } else { 3 }][g] += 1.0;
        }
        pred += iv(&c[0], &c[1], IvOptions::default()).unwrap().iv;
        prot += iv(&c[2], &c[3], IvOptions::default()).unwrap().iv;
    }
    (pred, prot)
}

#[test]
fn the_se_of_a_sum_agrees_with_a_bootstrap_of_the_rows() {
    let (bins, bad, group) = sample(5000, 4);
    let rows = Rows {
        bins: &bins,
        bad: &bad,
        group: &group,
    };
    let all = variants(rows, &features(), 0);
    // f0, f2 and f3: f0 and f3 correlated within each outcome.
    let chosen: Vec<&Variant> = [0, 2, 3]
        .iter()
        .map(|&f| all.iter().find(|v| v.feature == f).unwrap())
        .collect();
    let (pred, prot) = sum_with_se(rows, &chosen);
    let mut rng = Rng::new(11);
    let reps = 400;
    let draws: Vec<(f64, f64)> = (0..reps)
        .map(|_| {
            let idx: Vec<usize> = (0..bins.len())
                .map(|_| (rng.uniform() * bins.len() as f64) as usize)
                .collect();
            sums_on(&bins, &bad, &group, &idx, &chosen)
        })
        .collect();
    let sd = |k: fn(&(f64, f64)) -> f64| {
        let m = draws.iter().map(k).sum::<f64>() / reps as f64;
        (draws.iter().map(|d| (k(d) - m).powi(2)).sum::<f64>() / (reps - 1) as f64).sqrt()
    };
    let (sd_pred, sd_prot) = (sd(|d| d.0), sd(|d| d.1));
    println!(
        "SE {} vs bootstrap {sd_pred}; protected {} vs {sd_prot}",
        pred.se, prot.se
    );
    // 400 bootstrap replicates: their SD is within about 7% of the truth (2 SDs).
    assert!(
        (pred.se / sd_pred - 1.0).abs() < 0.15,
        "{} vs {sd_pred}",
        pred.se
    );
    assert!(
        (prot.se / sd_prot - 1.0).abs() < 0.15,
        "{} vs {sd_prot}",
        prot.se
    );
    // Ignoring the features' correlation within an outcome would understate the SE.
    let alone: f64 = chosen
        .iter()
        .map(|v| v.predictive_iv.se.powi(2))
        .sum::<f64>()
        .sqrt();
    assert!(pred.se > alone * 1.05, "{} vs independent {alone}", pred.se);
}

#[test]
fn the_planted_proxy_goes_first_as_the_bound_tightens() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("fair.csv");
    ok(&[
        "generate",
        "--out",
        path_str(&data),
        "--rows",
        "20000",
        "--seed",
        "8",
        "--protected-gap",
        "30",
        "--proxy",
    ]);
    let base = dir.path().join("base.json");
    let features = "income,age,debt_to_income,bureau_score,utilisation,delinquencies,employment_type,region,postcode";
    ok(&[
        "baseline",
        "--input",
        path_str(&data),
        "--target",
        "bad",
        "--features",
        features,
        "--out",
        path_str(&base),
    ]);
    let args = [
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
    ];
    let doc: Value =
        serde_json::from_str(&ok(
            &[&args[..], &["--format", "json", "--points", "21"]].concat()
        ))
        .unwrap();
    for key in ["frontier", "robust_frontier"] {
        let points = doc[key].as_array().unwrap();
        let kept = |p: &Value, name: &str| {
            p["features"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f.as_str().unwrap().starts_with(name))
        };
        // Unconstrained, everything is kept, the proxy too.
        assert!(
            kept(points.last().unwrap(), "postcode"),
            "{}",
            points.last().unwrap()
        );
        // The tightest bound that still keeps bureau_score no longer keeps the proxy.
        let tight = points.iter().find(|p| kept(p, "bureau_score")).unwrap();
        assert!(!kept(tight, "postcode"), "{key}: {tight}");
        // More room never loses predictive IV; the bound holds (robust: the upper bound).
        for w in points.windows(2) {
            let v = |p: &Value| p["predictive_iv"]["value"].as_f64().unwrap();
            assert!(v(&w[1]) >= v(&w[0]) - 1e-12);
        }
        for p in points {
            let limit = p["bound"].as_f64().unwrap() + 1e-9;
            let value = p["protected_iv"]["value"].as_f64().unwrap();
            assert!(value <= limit, "{p}");
        }
    }
    let table = ok(&args);
    assert!(
        table.contains("robust: the protected IVs' upper bounds"),
        "{table}"
    );
    let html = ok(&[&args[..], &["--format", "html"]].concat());
    assert!(html.contains("<svg") && html.contains("Robust frontier"));
    fails_with(
        &[&args[..9], &["--reference", "C"]].concat(),
        "no row of the reference group",
    );
}
