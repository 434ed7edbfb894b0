//! The divergence family (src/stats/family.rs) against scipy (tests/data/divergence_oracle.py:
//! values from scipy's functions, SEs from numerical gradients of them, p-values from
//! scipy.stats.chi2), and a Monte Carlo of each interval's coverage of the true divergence.

use psimon::data::synth::Rng;
use psimon::stats::{DivergenceStats, FamilyOptions, Measure, family};
use serde_json::Value;

fn oracle() -> Value {
    serde_json::from_str(include_str!("data/divergence_oracle.json")).expect("oracle JSON")
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn close(got: f64, want: f64, rel: f64) -> bool {
    (got - want).abs() <= rel * want.abs().max(1e-300) || (got - want).abs() < 1e-15
}

#[test]
fn every_member_equals_scipy_on_the_reference_cases() {
    let data = oracle();
    let cases = data["cases"].as_array().unwrap();
    assert!(cases.len() >= 7);
    let mut failures = Vec::new();
    for c in cases {
        let opts = FamilyOptions {
            alpha: c["alpha"].as_f64().unwrap(),
            second_fixed: c["second_fixed"].as_bool().unwrap(),
        };
        let got = family(&floats(&c["first"]), &floats(&c["second"]), opts).unwrap();
        assert_eq!(got.len(), 5);
        for s in &got {
            let want = &c["expected"][s.measure.name()];
            let f = |k: &str| want[k].as_f64().unwrap();
            // Values and tests to 1e-10; SEs to 1e-6 (the oracle's gradients are numerical).
            let checks = [
                ("value", s.value, f("value"), 1e-10),
                ("chi2_stat", s.chi2_stat, f("chi2_stat"), 1e-10),
                ("chi2_pvalue", s.chi2_pvalue, f("chi2_pvalue"), 1e-8),
                ("se", s.se, f("se"), 1e-6),
                ("ci_upper", s.ci_upper, f("ci_upper"), 1e-6),
                ("ci_lower", s.ci_lower, f("ci_lower"), 1e-5),
            ];
            for (field, g, w, tol) in checks {
                if !close(g, w, tol) {
                    failures.push(format!(
                        "{} {} {field}: {g} vs {w}",
                        c["id"],
                        s.measure.name()
                    ));
                }
            }
            assert_eq!(s.chi2_df as u64, want["chi2_df"].as_u64().unwrap());
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// `n` draws from the shares `probs` (inverse CDF).
fn multinomial(rng: &mut Rng, probs: &[f64], n: usize) -> Vec<f64> {
    let mut cdf = Vec::with_capacity(probs.len());
    let mut acc = 0.0;
    for p in probs {
        acc += p;
        cdf.push(acc);
    }
    let mut counts = vec![0.0; probs.len()];
    for _ in 0..n {
        let u = rng.uniform() * acc;
        let i = cdf.partition_point(|c| *c <= u).min(probs.len() - 1);
        counts[i] += 1.0;
    }
    counts
}

/// The true divergences of the population shares (no smoothing), in `Measure::ALL`'s order.
fn truth(p: &[f64], q: &[f64]) -> Vec<f64> {
    let big = |a: &[f64], b: &[f64]| -> Vec<f64> {
        family(
            &a.iter().map(|x| x * 1e12).collect::<Vec<_>>(),
            &b.iter().map(|x| x * 1e12).collect::<Vec<_>>(),
            FamilyOptions {
                alpha: 0.05,
                second_fixed: true,
            },
        )
        .unwrap()
        .iter()
        .map(|s| s.value)
        .collect()
    };
    big(p, q)
}

struct Cell {
    name: &'static str,
    p: Vec<f64>,
    q: Vec<f64>,
    n: usize,
    m: usize,
}

fn cells() -> Vec<Cell> {
    let flat = vec![0.1; 10];
    let tilted: Vec<f64> = (0..10).map(|i| 0.1 + 0.012 * (i as f64 - 4.5)).collect();
    let strong: Vec<f64> = (0..10).map(|i| 0.1 + 0.018 * (i as f64 - 4.5)).collect();
    let skewed = vec![0.02, 0.05, 0.08, 0.1, 0.15, 0.2, 0.15, 0.1, 0.1, 0.05];
    vec![
        Cell {
            name: "10 bins, moderate, 2000/2000",
            p: tilted.clone(),
            q: flat.clone(),
            n: 2000,
            m: 2000,
        },
        Cell {
            name: "10 bins, strong, 1000/5000",
            p: strong,
            q: flat.clone(),
            n: 1000,
            m: 5000,
        },
        Cell {
            name: "10 bins, skewed base, 5000/5000",
            p: tilted,
            q: skewed,
            n: 5000,
            m: 5000,
        },
    ]
}

/// Coverage of the normal interval over `reps` replicates of each cell, per measure.
fn coverage(cell: &Cell, reps: usize, seed: u64) -> Vec<(Measure, f64)> {
    let mut rng = Rng::new(seed);
    let truth = truth(&cell.p, &cell.q);
    let mut covered = [0usize; 5];
    let opts = FamilyOptions {
        alpha: 0.05,
        second_fixed: false,
    };
    for _ in 0..reps {
        let x = multinomial(&mut rng, &cell.p, cell.n);
        let y = multinomial(&mut rng, &cell.q, cell.m);
        let stats: Vec<DivergenceStats> = family(&x, &y, opts).unwrap();
        for (i, s) in stats.iter().enumerate() {
            covered[i] += usize::from(s.ci_lower <= truth[i] && truth[i] <= s.ci_upper);
        }
    }
    Measure::ALL
        .iter()
        .zip(covered)
        .map(|(m, c)| (*m, c as f64 / reps as f64))
        .collect()
}

#[test]
fn each_interval_covers_the_true_divergence_in_a_monte_carlo() {
    // 2,000 replicates: a coverage's Monte Carlo SD is 0.005, so 0.925-0.97 is about four
    // SDs from 0.95 each way; an SE off by 20% either way falls outside (0.90 / 0.98).
    let mut report = Vec::new();
    let mut failures = Vec::new();
    for (i, cell) in cells().iter().enumerate() {
        for (m, rate) in coverage(cell, 2000, 7 + i as u64) {
            report.push(format!("{:<34} {:<15} {rate:.3}", cell.name, m.name()));
            if !(0.925..=0.97).contains(&rate) {
                failures.push(format!("{} {}: {rate}", cell.name, m.name()));
            }
        }
    }
    println!("{}", report.join("\n"));
    assert!(failures.is_empty(), "{failures:#?}\n{}", report.join("\n"));
}

#[test]
fn the_no_drift_tests_hold_their_size() {
    // Both windows from the same shares: each test rejects at 5% about 5% of the time.
    let q = vec![0.02, 0.05, 0.08, 0.1, 0.15, 0.2, 0.15, 0.1, 0.1, 0.05];
    let mut rng = Rng::new(99);
    let reps = 2000;
    let mut rejected = [0usize; 5];
    for _ in 0..reps {
        let x = multinomial(&mut rng, &q, 2000);
        let y = multinomial(&mut rng, &q, 3000);
        let opts = FamilyOptions {
            alpha: 0.05,
            second_fixed: false,
        };
        for (i, s) in family(&x, &y, opts).unwrap().iter().enumerate() {
            rejected[i] += usize::from(s.chi2_pvalue < 0.05);
        }
    }
    let rates: Vec<f64> = rejected.iter().map(|r| *r as f64 / reps as f64).collect();
    println!("size at 5%: {rates:?}");
    for r in rates {
        assert!((0.03..=0.07).contains(&r), "{r}");
    }
}
