//! Discrimination and calibration against an offline oracle on the same bins
//! (tests/data/backtest_oracle.py: scikit-learn's roc_auc_score and a pairwise DeLong on the
//! expanded data, scipy's ks_2samp, beta and chi2), and a Monte Carlo of the AUC interval's
//! coverage at two sample sizes.

use psimon::data::synth::Rng;
use psimon::stats::{Adjustment, Development, calibration, discrimination, expected};
use serde_json::Value;

fn oracle() -> Value {
    serde_json::from_str(include_str!("data/backtest_oracle.json")).expect("oracle JSON")
}

fn num(v: &Value) -> f64 {
    match v {
        Value::String(s) => s.parse().expect("a number"),
        other => other.as_f64().expect("a number"),
    }
}

fn counts(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(num).collect()
}

fn close(got: f64, want: f64, rel: f64) -> bool {
    (got - want).abs() <= rel * want.abs().max(1e-300)
}

#[test]
fn discrimination_matches_scikit_learn_and_a_pairwise_delong() {
    let data = oracle();
    let cases = data["discrimination"].as_array().unwrap();
    assert!(cases.len() >= 8);
    for c in cases {
        let (goods, bads) = (counts(&c["goods"]), counts(&c["bads"]));
        let d = discrimination(&goods, &bads, 0.05).unwrap();
        let (auc, se, ks) = (num(&c["auc"]), num(&c["auc_se"]), num(&c["ks"]));
        assert!(
            close(d.auc, auc, 1e-12),
            "auc {} vs {auc} on {goods:?} {bads:?}",
            d.auc
        );
        assert!(
            close(d.auc_se, se, 1e-9),
            "se {} vs {se} on {goods:?} {bads:?}",
            d.auc_se
        );
        assert!(
            close(d.ks, ks, 1e-12),
            "ks {} vs {ks} on {goods:?} {bads:?}",
            d.ks
        );
        assert!(close(d.gini, 2.0 * auc - 1.0, 1e-12) || (d.gini.abs() < 1e-12));
    }
}

#[test]
fn calibration_matches_scipy() {
    let data = oracle();
    for c in data["calibration"].as_array().unwrap() {
        let (goods, bads, pd) = (counts(&c["goods"]), counts(&c["bads"]), counts(&c["pd"]));
        let alpha = num(&c["alpha"]);
        let got = calibration(&goods, &bads, &pd, alpha, Adjustment::None).unwrap();
        for (b, want) in got.bands.iter().zip(c["bands"].as_array().unwrap()) {
            if b.applications == 0.0 {
                continue;
            }
            for (name, g) in [
                ("pvalue", b.pvalue),
                ("ci_lower", b.ci_lower),
                ("ci_upper", b.ci_upper),
            ] {
                let w = num(&want[name]);
                assert!(close(g, w, 1e-9), "{name} {g:e} vs {w:e} in {c}");
            }
            assert_eq!(b.p_adjusted, b.pvalue);
        }
        let hl = num(&c["hosmer_lemeshow"]);
        assert!(
            close(got.hosmer_lemeshow, hl, 1e-12),
            "{} vs {hl}",
            got.hosmer_lemeshow
        );
        assert_eq!(got.hl_df as u64, c["hl_df"].as_u64().unwrap());
        let p = num(&c["hl_pvalue"]);
        assert!(close(got.hl_pvalue, p, 1e-9), "{} vs {p}", got.hl_pvalue);
    }
}

/// Applications drawn over bins with `shares`: counts per bin.
fn draw(rng: &mut Rng, shares: &[f64], n: usize) -> Vec<f64> {
    let mut counts = vec![0.0; shares.len()];
    for _ in 0..n {
        let mut u = rng.uniform();
        let bin = shares.iter().position(|s| {
            u -= s;
            u < 0.0
        });
        counts[bin.unwrap_or(shares.len() - 1)] += 1.0;
    }
    counts
}

/// The AUC of the populations themselves: goods' bins against bads' bins, ties half.
fn true_auc(good: &[f64], bad: &[f64]) -> f64 {
    let mut auc = 0.0;
    for (i, g) in good.iter().enumerate() {
        for (j, b) in bad.iter().enumerate() {
            auc += g
                * b
                * if i > j {
                    1.0
                } else if i == j {
                    0.5
                } else {
                    0.0
                };
        }
    }
    auc
}

#[test]
fn the_auc_interval_covers_the_true_auc() {
    // A ten-band scorecard: goods lean to the safe bands, bads to the risky ones (AUC ~0.75).
    let good = [0.03, 0.04, 0.06, 0.08, 0.1, 0.12, 0.13, 0.14, 0.15, 0.15];
    let bad = [0.2, 0.16, 0.14, 0.12, 0.1, 0.08, 0.07, 0.06, 0.04, 0.03];
    let truth = true_auc(&good, &bad);
    assert!(truth > 0.7 && truth < 0.8, "{truth}");
    let mut rng = Rng::new(7);
    for (goods, bads) in [(150, 30), (4000, 400)] {
        let runs = 2000;
        let covered = (0..runs)
            .filter(|_| {
                let d = discrimination(
                    &draw(&mut rng, &good, goods),
                    &draw(&mut rng, &bad, bads),
                    0.05,
                )
                .unwrap();
                d.auc_ci_lower <= truth && truth <= d.auc_ci_upper
            })
            .count();
        let coverage = covered as f64 / runs as f64;
        eprintln!("{goods} goods, {bads} bads: 95% interval covered {coverage}");
        assert!(coverage >= 0.93, "{goods}/{bads}: coverage {coverage}");
    }
}

/// Binomial draw: `n` trials of chance `p`.
fn binomial(rng: &mut Rng, n: usize, p: f64) -> f64 {
    (0..n).filter(|_| rng.chance(p)).count() as f64
}

#[test]
fn the_expected_figures_vary_as_their_standard_errors_say() {
    // Current population over six score bands, development of 400 applications per band.
    let shares = [0.1, 0.15, 0.2, 0.25, 0.2, 0.1];
    let rates = [0.4, 0.25, 0.15, 0.08, 0.04, 0.02];
    let mut rng = Rng::new(11);
    let (mut aucs, mut ses, mut rates_seen, mut rate_ses) = (vec![], vec![], vec![], vec![]);
    for _ in 0..1500 {
        let current = draw(&mut rng, &shares, 3000);
        let bads: Vec<f64> = rates.iter().map(|&r| binomial(&mut rng, 400, r)).collect();
        let goods: Vec<f64> = bads.iter().map(|b| 400.0 - b).collect();
        let dev = Development {
            goods: &goods,
            bads: &bads,
            ranked: 6,
            reversed: false,
        };
        let e = expected(&current, &dev).unwrap();
        aucs.push(e.auc);
        ses.push(e.auc_se);
        rates_seen.push(e.bad_rate);
        rate_ses.push(e.bad_rate_se);
    }
    let sd = |v: &[f64]| {
        let m = v.iter().sum::<f64>() / v.len() as f64;
        (v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (v.len() - 1) as f64).sqrt()
    };
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    for (name, values, errors) in [("AUC", &aucs, &ses), ("bad rate", &rates_seen, &rate_ses)] {
        let ratio = mean(errors) / sd(values);
        eprintln!("expected {name}: mean SE / SD over draws = {ratio:.3}");
        assert!((0.9..1.1).contains(&ratio), "{name}: {ratio}");
    }
}
