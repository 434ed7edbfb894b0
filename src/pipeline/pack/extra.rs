//! The pack's outcome windows (IV per series, its drop, the score's back-testing) and
//! fairness checks over the period, pure, in the shapes `report --format json` gives
//! them so that one renderer shows both.

use serde_json::{Value, json};

use super::panes::{PackScope, StoredPane, merged_in_period};
use crate::evaluate::outcome::evaluate_outcomes;
use crate::evaluate::{DriftState, backtest, gini_decline_state, iv_drop_state};
use crate::fairness::evaluate::evaluate_fairness;
use crate::fairness::words::{group_error, j_json};

/// Each fairness check of the model (`checks`: index in `plan.fairness` and its stored
/// panes in the pack's window) over the period.
pub(super) fn fairness_json(
    scope: &PackScope<'_>,
    checks: &[(usize, Vec<StoredPane>)],
) -> Vec<Value> {
    let plan = scope.plan;
    checks
        .iter()
        .map(|(i, panes)| {
            let c = &plan.fairness[*i];
            let shape = [(1 + c.groups.len()) * c.bins];
            let (counts, _) = merged_in_period(panes, &shape, scope.slide_ms, scope.period);
            let cells = counts.feature(0);
            let (reference, groups) =
                evaluate_fairness(cells, c.bins, c.tau, plan.thresholds.alpha);
            let groups: Vec<Value> = groups
                .iter()
                .map(|g| {
                    let name = &c.groups[g.group];
                    let mut v = json!({
                        "group": name,
                        "rows": g.counts.iter().sum::<f64>(),
                        "state": g.state,
                        "below_tau": g.state.map(|s| s == DriftState::Ok),
                    });
                    match &g.stats {
                        Ok(s) => v["j"] = j_json(s),
                        Err(e) => v["error"] = json!(group_error(e, name, &c.reference)),
                    }
                    v
                })
                .collect();
            json!({
                "check": c.name,
                "column": c.name,
                "feature": plan.models[c.model].features[c.feature].name,
                "reference": c.reference,
                "reference_rows": reference.iter().sum::<f64>(),
                "tau": c.tau,
                "groups": groups,
            })
        })
        .collect()
}

/// Each time outcome window (`windows`: index in the outcome plan, its slide and its
/// stored panes) over the period: IV per series with its drop, and the score's
/// back-testing.
pub(super) fn outcomes_json(
    scope: &PackScope<'_>,
    windows: &[(usize, i64, Vec<StoredPane>)],
) -> Vec<Value> {
    let plan = scope.plan;
    let Some(o) = &plan.outcomes else {
        return Vec::new();
    };
    let model = &plan.models[scope.model];
    let alpha = plan.thresholds.alpha;
    let shape: Vec<usize> = plan.shapes[scope.model].iter().map(|k| 2 * k).collect();
    windows
        .iter()
        .map(|(i, slide, panes)| {
            let (counts, n) = merged_in_period(panes, &shape, *slide, scope.period);
            let series = evaluate_outcomes(model, &counts, alpha);
            let features: Vec<Value> = series
                .iter()
                .map(|s| {
                    let meta = &model.features[s.feature];
                    json!({
                        "feature": meta.name,
                        "binning": meta.binning,
                        "goods": s.goods.iter().sum::<f64>(),
                        "bads": s.bads.iter().sum::<f64>(),
                        "iv": s.iv.as_ref().ok(),
                        "iv_change": s.change,
                        "iv_drop": s.change.as_ref().map(|c| iv_drop_state(DriftState::Ok, c, o.iv_drop)),
                    })
                })
                .collect();
            let mut v = json!({
                "window": o.windows[*i].0,
                "panes": n,
                "features": features,
            });
            let score = model.score.as_ref();
            if let Some((score, s)) = score.zip(score.and_then(|sc| series.iter().find(|s| s.feature == sc.feature))) {
                let b = backtest(score, &s.goods, &s.bads, alpha, plan.thresholds.multiple_testing);
                let state = b.decline.as_ref().map(|d| gini_decline_state(DriftState::Ok, d, o.gini_decline));
                v["backtest"] = json!({
                    "feature": model.features[score.feature].name,
                    "higher_score_is_riskier": score.reversed,
                    "development": score.development,
                    "unranked": b.unranked,
                    "discrimination": b.discrimination.as_ref().ok(),
                    "gini_decline": b.decline,
                    "state": state,
                    "calibration": b.calibration_json(&model.features[score.feature].labels),
                });
            }
            v
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::pipeline::plan::Plan;
    use crate::state::PartitionId;
    use crate::stats::{IvOptions, iv};
    use crate::window::{CountMatrix, Pane};

    const OUTCOMES: &str = r#"
[outcomes]
topic = "outcomes"
outcome = "/outcome"
bad_values = ["1"]
good_values = ["0"]
horizon = "400d"
score_feature = "bureau_score"

[[outcomes.windows]]
kind = "time"
name = "vintage"
length = "30d"
slide = "1d"
"#;

    /// A pane of the outcome set: each series' development goods and bads (its baseline
    /// counts for series without them), times `scale`.
    fn outcome_pane(plan: &Plan, scale: u64) -> Pane {
        let shape: Vec<usize> = plan.shapes[0].iter().map(|k| 2 * k).collect();
        let mut flat = Vec::new();
        for f in &plan.models[0].features {
            let (g, b) = f
                .development
                .clone()
                .unwrap_or((f.baseline.clone(), f.baseline.clone()));
            flat.extend(g.iter().chain(&b).map(|x| *x as u64 * scale));
        }
        let n = flat.iter().sum::<u64>() / shape.len() as u64;
        Pane {
            counts: CountMatrix::from_flat(&shape, flat, n).unwrap(),
            min_ms: 0,
            max_ms: 0,
        }
    }

    #[test]
    fn the_period_outcomes_give_iv_and_back_testing_as_the_core_computes_them() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
        let text = std::fs::read_to_string(dir.join("psimon.example.toml")).unwrap() + OUTCOMES;
        let plan = Plan::build(&crate::config::load(&text, &[]).unwrap(), &dir).unwrap();
        let day = 86_400_000;
        let scope = PackScope {
            plan: &plan,
            model: 0,
            window: 0,
            slide_ms: 60_000,
            period: (10 * day, 12 * day),
            generated_at: "now".into(),
        };
        let stored = |id: i64, scale: u64| StoredPane {
            part: PartitionId {
                topic: "in".into(),
                partition: 0,
            },
            id,
            pane: outcome_pane(&plan, scale),
            as_of: 1,
        };
        // Days 10 and 11 are in the period, day 12 is not.
        let windows = vec![(0, day, vec![stored(10, 1), stored(11, 2), stored(12, 50)])];
        let out = outcomes_json(&scope, &windows);
        assert_eq!(out[0]["window"], "vintage");
        assert_eq!(out[0]["panes"], 2);
        let score = plan.models[0].score.as_ref().unwrap();
        let meta = &plan.models[0].features[score.feature];
        let (g, b) = meta.development.clone().unwrap();
        let triple = |v: &[f64]| v.iter().map(|x| 3.0 * x).collect::<Vec<f64>>();
        let want = iv(&triple(&g), &triple(&b), IvOptions::default()).unwrap();
        let got = out[0]["features"][score.feature]["iv"]["iv"]
            .as_f64()
            .unwrap();
        assert!((got - want.iv).abs() < 1e-12, "{got} vs {}", want.iv);
        let bt = &out[0]["backtest"];
        assert_eq!(bt["feature"], "bureau_score");
        let dev = score.development.as_ref().unwrap();
        let now = bt["discrimination"]["auc"].as_f64().unwrap();
        assert!(
            (now - dev.auc).abs() < 1e-12,
            "three times development ranks as it"
        );
        assert_eq!(bt["state"], "ok");
        assert!(
            bt["calibration"]["bands"]
                .as_array()
                .is_some_and(|b| !b.is_empty())
        );
    }
}
