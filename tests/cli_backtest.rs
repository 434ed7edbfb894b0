//! `psimon report --target --score`: the back-testing of a score on a sample against the
//! baseline's development, recomputed offline from the rows (own binning, AUC by counting
//! every good-bad pair, bands' counts and development bad rates from the baseline file);
//! a sample whose outcomes were redrawn at random (`generate --label-noise`) raises the
//! gini_decline alert, an intact one does not; a categorical or unknown --score is refused.

mod common;

use common::*;
use serde_json::Value;

fn report(base: &std::path::Path, input: &std::path::Path, score: &str) -> Value {
    let out = ok(&[
        "report",
        "--baseline",
        path_str(base),
        "--input",
        path_str(input),
        "--target",
        "bad",
        "--score",
        score,
        "--format",
        "json",
    ]);
    serde_json::from_str(&out).unwrap()
}

/// Goods and bads per bin of `feature`, binned offline from the CSV rows.
fn offline(csv: &std::path::Path, feature: &Value) -> (Vec<f64>, Vec<f64>) {
    let mut reader = csv::Reader::from_path(csv).unwrap();
    let header = reader.headers().unwrap().clone();
    let col = header
        .iter()
        .position(|h| h == feature["name"].as_str().unwrap())
        .unwrap();
    let bad = header.iter().position(|h| h == "bad").unwrap();
    let (mut goods, mut bads) = (Vec::new(), Vec::new());
    for row in reader.records() {
        let row = row.unwrap();
        let v = Some(row[col].to_string()).filter(|s| !s.is_empty());
        if &row[bad] == "1" {
            bads.push(v)
        } else {
            goods.push(v)
        }
    }
    (
        offline_counts(feature, &goods),
        offline_counts(feature, &bads),
    )
}

/// AUC over the first `ranked` bins by counting pairs: a good above a bad wins, a tie half.
fn pair_auc(goods: &[f64], bads: &[f64], ranked: usize) -> f64 {
    let (mut wins, mut pairs) = (0.0, 0.0);
    for (i, g) in goods[..ranked].iter().enumerate() {
        for (j, b) in bads[..ranked].iter().enumerate() {
            pairs += g * b;
            wins += g
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
    wins / pairs
}

fn score_feature(base: &std::path::Path) -> Value {
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(base).unwrap()).unwrap();
    doc["models"][0]["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "bureau_score")
        .unwrap()
        .clone()
}

#[test]
fn back_testing_equals_an_offline_count_and_a_lost_ranking_alerts() {
    let dir = tempfile::tempdir().unwrap();
    let dev = generate(dir.path(), "dev.csv", 20_000, 0.0, 1);
    let base = dir.path().join("base.json");
    stumps_baseline(&dev, &base);
    let f = score_feature(&base);
    let ranked = f["edges"].as_array().unwrap().len() + 1;
    let intact = generate(dir.path(), "cur.csv", 20_000, 0.3, 2);
    let doc = report(&base, &intact, "bureau_score");
    let b = &doc["backtest"];
    assert_eq!(b["higher_score_is_riskier"], false);
    let (goods, bads) = offline(&intact, &f);
    let auc = pair_auc(&goods, &bads, ranked);
    let got = b["discrimination"]["auc"].as_f64().unwrap();
    assert!((got - auc).abs() < 1e-12, "{got} vs {auc}");
    let unranked: f64 = goods[ranked..].iter().chain(&bads[ranked..]).sum();
    assert_eq!(b["unranked"].as_f64(), Some(unranked));
    assert_eq!(b["state"], "ok", "{b}");
    // Each band: the sample's counts and, as its PD, the development bad rate.
    let dev_rate = |i: usize| {
        let (g, d) = (
            f["goods"][i].as_f64().unwrap(),
            f["bads"][i].as_f64().unwrap(),
        );
        d / (g + d)
    };
    let bands = b["calibration"]["bands"].as_array().unwrap();
    assert_eq!(bands.len(), ranked);
    for (i, band) in bands.iter().enumerate() {
        assert_eq!(band["applications"].as_f64(), Some(goods[i] + bads[i]));
        assert_eq!(band["bads"].as_f64(), Some(bads[i]));
        assert_eq!(band["pd"].as_f64(), Some(dev_rate(i)));
        assert_eq!(band["label"], f["labels"][i]);
    }
    assert_eq!(b["calibration"]["hl_df"].as_u64(), Some(ranked as u64));

    // 60% of the outcomes redrawn: the ranking is mostly gone, the bands' bad rates even out.
    let noisy = dir.path().join("noisy.csv");
    ok(&[
        "generate",
        "--out",
        path_str(&noisy),
        "--rows",
        "20000",
        "--seed",
        "3",
        "--label-noise",
        "0.6",
    ]);
    let b = report(&base, &noisy, "bureau_score")["backtest"].clone();
    assert_eq!(b["state"], "alert", "{b}");
    assert!(
        b["gini_decline"]["relative_decline_lower"]
            .as_f64()
            .unwrap()
            > 0.2,
        "{b}"
    );
    assert_eq!(b["calibration"]["light"], "red", "{b}");
    let text = ok(&[
        "report",
        "--baseline",
        path_str(&base),
        "--input",
        path_str(&noisy),
        "--target",
        "bad",
        "--score",
        "bureau_score",
    ]);
    assert!(text.contains("gini_decline: ALERT"), "{text}");
    assert!(text.contains("Hosmer-Lemeshow"), "{text}");
}

#[test]
fn a_score_must_be_a_numeric_feature_of_the_model() {
    let dir = tempfile::tempdir().unwrap();
    let dev = generate(dir.path(), "dev.csv", 5_000, 0.0, 1);
    let base = dir.path().join("base.json");
    stumps_baseline(&dev, &base);
    let args = |score: &'static str| {
        [
            "report",
            "--baseline",
            path_str(&base),
            "--input",
            path_str(&dev),
            "--target",
            "bad",
            "--score",
            score,
        ]
        .map(String::from)
    };
    let run = |score| {
        let a = args(score);
        fails_with(&a.iter().map(String::as_str).collect::<Vec<_>>(), score)
    };
    assert!(run("region").contains("categorical"));
    assert!(run("nope").contains("no feature"));
    // Without --score and without a feature named score: no back-testing, no error.
    let out = ok(&[
        "report",
        "--baseline",
        path_str(&base),
        "--input",
        path_str(&dev),
        "--target",
        "bad",
        "--format",
        "json",
    ]);
    assert!(serde_json::from_str::<Value>(&out).unwrap()["backtest"].is_null());
}

/// Before outcomes: the expected bad rate of a sample under the development bad rates,
/// with no --target; a shifted (riskier) sample is expected to cost more, and once its
/// outcomes are known the realised bad rate lies within the expected one's noise.
#[test]
fn a_riskier_sample_is_expected_to_cost_more_and_outcomes_bear_it_out() {
    let dir = tempfile::tempdir().unwrap();
    let dev = generate(dir.path(), "dev.csv", 20_000, 0.0, 1);
    let base = dir.path().join("base.json");
    stumps_baseline(&dev, &base);
    let expected = |input: &std::path::Path| {
        let out = ok(&[
            "report",
            "--baseline",
            path_str(&base),
            "--input",
            path_str(input),
            "--score",
            "bureau_score",
            "--format",
            "json",
        ]);
        let doc: Value = serde_json::from_str(&out).unwrap();
        assert!(
            doc["backtest"]["discrimination"].is_null(),
            "no outcomes without --target"
        );
        doc["backtest"]["expected"].clone()
    };
    let like = expected(&generate(dir.path(), "like.csv", 10_000, 0.0, 5));
    let shifted_csv = generate(dir.path(), "shifted.csv", 10_000, 0.8, 6);
    let shifted = expected(&shifted_csv);
    let rate = |e: &Value| e["bad_rate"].as_f64().unwrap();
    let se = |e: &Value| e["bad_rate_se"].as_f64().unwrap();
    assert!(
        rate(&shifted) > rate(&like) + 4.0 * se(&shifted).hypot(se(&like)),
        "{like} {shifted}"
    );
    // With the outcomes: the realised bad rate of the same bins within 3 SEs of both.
    let (goods, bads) = offline(&shifted_csv, &score_feature(&base));
    let realised =
        bads.iter().sum::<f64>() / (goods.iter().sum::<f64>() + bads.iter().sum::<f64>());
    let noise = se(&shifted).hypot((realised * (1.0 - realised) / 10_000.0).sqrt());
    assert!(
        (realised - rate(&shifted)).abs() < 3.0 * noise,
        "{realised} vs {shifted}"
    );
}

/// `--scaling`: each band is calibrated against the mean PD the scaling promises across it
/// (recomputed here by Simpson's rule on the band, closed at min_score / max_score), and
/// the Jeffreys p-value is the Beta(D + 1/2, N - D + 1/2) distribution function there. A
/// scaling that promises a tenth of the risk is red; bad numbers are refused, all at once.
#[test]
fn a_scaling_gives_each_band_the_pd_it_promises() {
    let dir = tempfile::tempdir().unwrap();
    let dev = generate(dir.path(), "dev.csv", 20_000, 0.0, 1);
    let base = dir.path().join("base.json");
    stumps_baseline(&dev, &base);
    let f = score_feature(&base);
    let edges: Vec<f64> = serde_json::from_value(f["edges"].clone()).unwrap();
    let cur = generate(dir.path(), "cur.csv", 20_000, 0.0, 2);
    let (goods, bads) = offline(&cur, &f);
    let args = |scaling: &str| -> Vec<String> {
        [
            "report",
            "--baseline",
            path_str(&base),
            "--input",
            path_str(&cur),
            "--target",
            "bad",
            "--score",
            "bureau_score",
            "--scaling",
            scaling,
            "--format",
            "json",
        ]
        .map(String::from)
        .to_vec()
    };
    let run = |scaling: &str| -> Value {
        let a = args(scaling);
        serde_json::from_str(&ok(&a.iter().map(String::as_str).collect::<Vec<_>>())).unwrap()
    };
    let refused = |scaling: &str, needle: &str| -> String {
        let a = args(scaling);
        fails_with(&a.iter().map(String::as_str).collect::<Vec<_>>(), needle)
    };
    let doc =
        run("base_score=680,base_odds=10,points_to_double_odds=60,min_score=300,max_score=850");
    assert_eq!(doc["settings"]["scaling"]["base_odds"], 10.0);
    let c = &doc["backtest"]["calibration"];
    assert_eq!(c["pd_source"], "scaling");
    let pds = scaled_band_pds((680.0, 10.0, 60.0), &edges, (300.0, 850.0));
    let bands = c["bands"].as_array().unwrap();
    assert_eq!(bands.len(), pds.len());
    for (i, (band, expected)) in bands.iter().zip(&pds).enumerate() {
        let got = band["pd"].as_f64().unwrap();
        assert!(
            (got - expected).abs() < 1e-10 * expected,
            "band {i}: {got} vs {expected}"
        );
        let p = jeffreys_pvalue(goods[i] + bads[i], bads[i], *expected);
        let got_p = band["pvalue"].as_f64().unwrap();
        assert!((got_p - p).abs() < 1e-9, "band {i}: p {got_p} vs {p}");
    }
    // Odds ten times better than the sample shows: far too low a PD in every band.
    let optimistic = run("base_score=680,base_odds=100,points_to_double_odds=60");
    assert_eq!(optimistic["backtest"]["calibration"]["light"], "red");
    let e = refused("base_score=680,base_odds=0", "--scaling");
    assert!(e.contains("points_to_double_odds is missing"), "{e}");
    assert!(e.contains("base_odds must be a positive number"), "{e}");
    let cut = format!(
        "base_score=680,base_odds=10,points_to_double_odds=60,min_score={}",
        edges[0] + 1.0
    );
    let e = refused(&cut, "min_score must be below the first bin edge");
    assert!(e.contains("bureau_score"), "{e}");
}
