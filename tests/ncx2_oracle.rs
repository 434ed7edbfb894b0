//! The noncentral chi-square functions against a 50-digit oracle (tests/data/ncx2_oracle.py):
//! both tails across df 1-197, noncentrality 0.5-4,000 and t from 9 standard deviations
//! below the mean to 30 above (values down to about 1e-290 compared relatively), and the
//! inversion in the noncentrality that the headline interval uses.

use psimon::stats::special::{ncx2_cdf, ncx2_lambda_for_cdf, ncx2_sf};
use serde_json::Value;

fn oracle() -> Value {
    serde_json::from_str(include_str!("data/ncx2_oracle.json")).expect("oracle JSON")
}

fn num(v: &Value) -> f64 {
    match v {
        Value::String(s) => s.parse().expect("a number"),
        other => other.as_f64().expect("a number"),
    }
}

/// Relative difference where the expected value is representable with room to spare,
/// absolute below (the reference tolerance of ncx2 outputs has a 1e-12 absolute part).
fn off(got: f64, expected: f64) -> f64 {
    if expected.abs() > 1e-290 {
        (got - expected).abs() / expected.abs()
    } else {
        (got - expected).abs()
    }
}

#[test]
fn both_tails_match_the_oracle() {
    let data = oracle();
    let cases = data["tails"].as_array().unwrap();
    assert!(cases.len() > 150);
    let mut failures = Vec::new();
    for c in cases {
        let (df, lam, t) = (num(&c["df"]), num(&c["lambda"]), num(&c["t"]));
        let (cdf, sf) = (num(&c["cdf"]), num(&c["sf"]));
        let (got_cdf, got_sf) = (ncx2_cdf(df, lam, t), ncx2_sf(df, lam, t));
        // 1e-9: statrs's incomplete gamma anchoring the walk is good to about 1e-10 at these sizes.
        if off(got_cdf, cdf) > 1e-9 || off(got_sf, sf) > 1e-9 {
            failures.push(format!(
                "df {df} lambda {lam} t {t}: cdf {got_cdf:e} vs {cdf:e}, sf {got_sf:e} vs {sf:e}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_inversion_matches_the_oracle() {
    let data = oracle();
    for c in data["inversions"].as_array().unwrap() {
        let (df, t, target, lam) = (
            num(&c["df"]),
            num(&c["t"]),
            num(&c["target"]),
            num(&c["lambda"]),
        );
        let got = ncx2_lambda_for_cdf(df, t, target);
        // The reference tolerance of the interval: 1e-6 relative plus 1e-12.
        assert!(
            (got - lam).abs() <= 1e-8 * lam + 1e-12,
            "df {df} t {t} target {target}: {got} vs {lam}"
        );
    }
}
