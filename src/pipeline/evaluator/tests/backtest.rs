//! The evaluation of the score's back-testing without Kafka: discrimination and its
//! `gini_decline` state, calibration against development or a scaling, and the figures
//! expected before outcomes arrive.

use super::*;

/// The outcome window's counts: every series' goods and bads as `goods_bads(series)`.
fn outcome_window(plan: &Plan, goods_bads: impl Fn(usize) -> (Vec<f64>, Vec<f64>)) -> MergedWindow {
    let set = plan.outcomes.as_ref().unwrap().set_of(0);
    let shape = &plan.layout.sets[set].shape;
    let mut flat = Vec::new();
    let mut n = 0;
    for f in 0..shape.len() {
        let (g, b) = goods_bads(f);
        n = (g.iter().sum::<f64>() + b.iter().sum::<f64>()) as u64;
        flat.extend(g.iter().chain(&b).map(|&x| x as u64));
    }
    MergedWindow {
        counts: CountMatrix::from_flat(shape, flat, n).unwrap(),
        bounds: Some((0, 1)),
        partitions: 1,
    }
}

#[test]
fn a_score_that_no_longer_ranks_alerts_under_its_discrimination_series() {
    let plan = plan();
    let o = plan.outcomes.as_ref().unwrap();
    let model = &plan.models[0];
    let score = model.score.as_ref().unwrap();
    assert_eq!(model.features[score.feature].name, "bureau_score");
    let dev = score.development.as_ref().unwrap();
    assert!(dev.gini > 0.2, "{dev:?}");
    let mut merged = snapshot(&plan, |_| window(&plan, 0, 20_000, like_baseline));
    // Series without development counts (population bins): the baseline for both.
    let development = |f: usize| {
        let meta = &model.features[f];
        let both = (meta.baseline.clone(), meta.baseline.clone());
        meta.development.clone().unwrap_or(both)
    };
    // Ten times the development goods and bads: the ranking held, nothing to publish.
    let scaled = |f: usize| {
        let (g, b) = development(f);
        (
            g.iter().map(|x| 10.0 * x).collect(),
            b.iter().map(|x| 10.0 * x).collect(),
        )
    };
    merged[o.set_of(0)][o.window_of(0)] = outcome_window(&plan, scaled);
    let e = run(&plan, &merged, &StateBook::default());
    let bt = e.models[0].outcome_windows[0].backtest.as_ref().unwrap();
    let now = bt.result.discrimination.as_ref().unwrap();
    assert!((now.gini - dev.gini).abs() < 1e-12, "{now:?}");
    assert_eq!(bt.verdict, Some((DriftState::Ok, DriftState::Ok)));
    assert_eq!(
        bt.calibration_verdict,
        Some((DriftState::Ok, DriftState::Ok))
    );
    let c = bt.result.calibration.as_ref().unwrap();
    assert!(c.bands.iter().all(|b| b.p_adjusted > 0.3), "{c:?}");
    // The bads redrawn at random over the bins of the goods: no ranking left.
    let flat = |f: usize| {
        let (g, b) = scaled(f);
        let share = b.iter().sum::<f64>() / g.iter().sum::<f64>();
        let b2 = g.iter().map(|x| (x * share).round()).collect();
        (g, b2)
    };
    merged[o.set_of(0)][o.window_of(0)] = outcome_window(&plan, flat);
    let e = run(&plan, &merged, &StateBook::default());
    let t: Vec<_> = e
        .transitions
        .iter()
        .filter(|t| t.event["type"] == GINI_DECLINE_EVENT_TYPE)
        .collect();
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].state, DriftState::Alert);
    assert_eq!(
        StateKey::Drift(t[0].series.clone()).encode(),
        "drift/retail_v3~outcomes/all_outcomes/bureau_score/discrimination"
    );
    assert_eq!(t[0].event_key, "retail_v3/discrimination");
    // The safe bands now default at the average rate, far above their PDs: red.
    let c: Vec<_> = e
        .transitions
        .iter()
        .filter(|t| t.event["type"] == CALIBRATION_EVENT_TYPE)
        .collect();
    assert_eq!(c.len(), 1);
    assert_eq!(
        (c[0].state, c[0].event_key.as_str()),
        (DriftState::Alert, "retail_v3/calibration")
    );
    assert_eq!(c[0].event["data"]["light"], "red");
    assert_eq!(
        StateKey::Drift(c[0].series.clone()).encode(),
        "drift/retail_v3~outcomes/all_outcomes/bureau_score/calibration"
    );
    assert_eq!(t[0].event["data"]["gini_development"], dev.gini);
    let json = api::to_json(&plan, &e);
    let b = &json["models"][0]["outcome_windows"][0]["backtest"];
    assert_eq!(b["state"], "alert");
    assert_eq!(b["feature"], "bureau_score");
    assert!(
        b["discrimination"]["gini"].as_f64().unwrap().abs() < 0.02,
        "{b}"
    );
}

#[test]
fn a_riskier_score_mix_is_expected_to_cost_more_before_outcomes_arrive() {
    let plan = plan();
    let model = &plan.models[0];
    let score = model.score.as_ref().unwrap().feature;
    let (g, b) = model.features[score].development.clone().unwrap();
    let dev_rate = b.iter().sum::<f64>() / (g.iter().sum::<f64>() + b.iter().sum::<f64>());
    let like = run(
        &plan,
        &snapshot(&plan, |_| window(&plan, 0, 20_000, like_baseline)),
        &StateBook::default(),
    );
    let same = like.models[0].windows[0]
        .expected
        .as_ref()
        .unwrap()
        .as_ref()
        .unwrap();
    assert!(
        (same.bad_rate - dev_rate).abs() < 3.0 * same.bad_rate_se,
        "{same:?} vs {dev_rate}"
    );
    // The riskiest score range twenty times as common.
    let e = run(
        &plan,
        &snapshot(&plan, |_| window(&plan, 0, 20_000, moved(score))),
        &StateBook::default(),
    );
    let riskier = e.models[0].windows[0]
        .expected
        .as_ref()
        .unwrap()
        .as_ref()
        .unwrap();
    assert!(
        riskier.bad_rate > same.bad_rate + 5.0 * riskier.bad_rate_se,
        "{riskier:?}"
    );
    let json = api::to_json(&plan, &e);
    assert_eq!(
        json["models"][0]["windows"][0]["expected"]["bad_rate"],
        riskier.bad_rate
    );
}

#[test]
fn a_scaling_sets_the_pds_of_the_stream_calibration() {
    let plan = plan_with(
        "\n[outcomes.scaling]\nbase_score = 680\nbase_odds = 10\npoints_to_double_odds = 60\nmin_score = 300\nmax_score = 850\n",
    )
    .unwrap();
    let model = &plan.models[0];
    let score = model.score.as_ref().unwrap();
    assert_eq!(score.pd_source, crate::evaluate::PdSource::Scaling);
    let scaling = crate::evaluate::ScoreScaling {
        base_score: 680.0,
        base_odds: 10.0,
        points_to_double_odds: 60.0,
        min_score: Some(300.0),
        max_score: Some(850.0),
    };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
    let file = crate::binning::BaselineFile::load(&dir.join("baseline.example.json")).unwrap();
    let f = (file.models[0].features.iter())
        .find(|f| f.name == "bureau_score")
        .unwrap();
    let crate::binning::BinSpec::Numeric { edges, .. } = &f.bins else {
        panic!("numeric")
    };
    let pds = scaling.band_pds(edges);
    assert_eq!(score.pd, pds.iter().map(|&p| Some(p)).collect::<Vec<_>>());
    // The stream's calibration tests each band against them, and says so.
    let o = plan.outcomes.as_ref().unwrap();
    let mut merged = snapshot(&plan, |_| window(&plan, 0, 20_000, like_baseline));
    let development = |f: usize| {
        let meta = &model.features[f];
        let both = (meta.baseline.clone(), meta.baseline.clone());
        meta.development.clone().unwrap_or(both)
    };
    merged[o.set_of(0)][o.window_of(0)] = outcome_window(&plan, development);
    let e = run(&plan, &merged, &StateBook::default());
    let bt = e.models[0].outcome_windows[0].backtest.as_ref().unwrap();
    let c = bt.result.calibration.as_ref().unwrap();
    let tested: Vec<f64> = c.bands.iter().map(|b| b.pd).collect();
    let expected: Vec<f64> = bt.result.bands.iter().map(|&i| pds[i]).collect();
    assert_eq!(tested, expected);
    let json = api::to_json(&plan, &e);
    let shown = &json["models"][0]["outcome_windows"][0]["backtest"]["calibration"];
    assert_eq!(shown["pd_source"], "scaling");
    // A score range that cuts the score's first bin, and bad numbers: every problem.
    let cut = plan_with(&format!(
        "\n[outcomes.scaling]\nbase_score = 680\nbase_odds = 10\npoints_to_double_odds = 60\nmin_score = {}\n",
        edges[0] + 1.0
    ))
    .err()
    .unwrap();
    assert!(
        cut.iter()
            .any(|p| p.starts_with("outcomes.scaling.min_score: must be below the first bin edge")),
        "{cut:?}"
    );
    let bad = plan_with(
        "\n[outcomes.scaling]\nbase_score = 680\nbase_odds = -1\npoints_to_double_odds = 0\n",
    )
    .err()
    .unwrap()
    .join("\n");
    assert!(bad.contains("outcomes.scaling.base_odds"), "{bad}");
    assert!(
        bad.contains("outcomes.scaling.points_to_double_odds"),
        "{bad}"
    );
}
