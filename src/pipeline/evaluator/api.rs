//! A sink of the evaluation: the JSON of `/api/v1/drift` (documented in
//! docs/interfaces.md). Reads an [`Evaluation`]; computes nothing.

use serde_json::{Value, json};

use super::backtest::ScoreBacktest;
use super::evaluation::{Evaluation, FeatureResult, OutcomeWindowEvaluation, WindowEvaluation};
use super::fairness::{CheckEvaluation, FairnessWindowEvaluation};
use crate::evaluate::ModelMeta;
use crate::evaluate::outcome::SeriesIv;
use crate::fairness::words::{group_error, j_json};
use crate::output::cloudevent::rfc3339;
use crate::pipeline::plan::{FairnessPlan, Plan};
use crate::stats::divergence::per_bin;
use crate::stats::{Expected, StatsError};

pub(super) fn to_json(plan: &Plan, e: &Evaluation) -> Value {
    let models: Vec<Value> = plan
        .models
        .iter()
        .zip(&e.models)
        .map(|(model, me)| {
            let windows: Vec<Value> = plan
                .windows
                .iter()
                .zip(&me.windows)
                .map(|((wname, _), we)| window(plan, model, wname, we))
                .collect();
            let mut v = json!({
                "model": model.name,
                "baseline_id": model.baseline_id,
                "windows": windows,
            });
            if let Some(o) = &plan.outcomes {
                let windows = o.windows.iter().zip(&me.outcome_windows);
                v["outcome_windows"] = windows
                    .map(|((wname, _), ow)| outcome_window(model, wname, ow))
                    .collect();
            }
            v
        })
        .collect();
    let fairness: Vec<Value> = plan
        .fairness
        .iter()
        .zip(&e.fairness)
        .map(|(c, ce)| check(plan, c, ce))
        .collect();
    let t = &plan.thresholds;
    json!({
        "evaluated_at": rfc3339(e.at_ms),
        "thresholds": {
            "alpha": t.alpha,
            "warning_psi": t.warning_psi,
            "alert_psi": t.alert_psi,
            "clear_ratio": t.clear_ratio,
            "min_applications": t.min_applications,
            "multiple_testing": t.multiple_testing.as_str(),
        },
        "models": models,
        "fairness": fairness,
    })
}

fn window(plan: &Plan, model: &ModelMeta, wname: &str, we: &WindowEvaluation) -> Value {
    let c = &we.coverage;
    json!({
        "window": wname,
        "applications": c.applications,
        "partitions": c.partitions,
        "evaluated": we.evaluated,
        "min_applications": plan.thresholds.min_applications,
        "window_start": c.bounds.map(|b| rfc3339(b.0)),
        "window_end": c.bounds.map(|b| rfc3339(b.1)),
        "features": we.features.iter().map(|f| feature(model, f)).collect::<Vec<_>>(),
        "expected": we.expected.as_ref().map(expected),
        "new_levels": we.new_levels.iter().map(|(f, share)| {
            let mut v = serde_json::to_value(share).unwrap_or(Value::Null);
            v["feature"] = json!(model.features[*f].name);
            v
        }).collect::<Vec<_>>(),
    })
}

/// The score mix's expected figures, or why there are none.
fn expected(e: &Result<Expected, StatsError>) -> Value {
    match e {
        Ok(e) => serde_json::to_value(e).unwrap_or(Value::Null),
        Err(err) => json!({ "error": err.to_string() }),
    }
}

fn feature(model: &ModelMeta, f: &FeatureResult) -> Value {
    let (meta, fe) = (&model.features[f.eval.feature], &f.eval);
    let (Ok(psi), Some(v)) = (&fe.psi, &f.verdict) else {
        let error = fe.psi.as_ref().err().map(|e| e.to_string());
        return json!({ "feature": meta.name, "binning": meta.binning, "error": error });
    };
    let mut out = json!({
        "feature": meta.name,
        "binning": meta.binning,
        "state": v.state,
        "p_value_adjusted": v.p_adjusted,
        "tau_pvalue_valid": psi.tau_pvalue_valid(),
        "applications": fe.applications,
        "missing_ratio": fe.missing_ratio,
        "psi": psi,
        "bins": fe.bins,
    });
    if !fe.divergences.is_empty() {
        out["divergences"] = json!(fe.divergences);
    }
    out
}

fn outcome_window(model: &ModelMeta, wname: &str, ow: &OutcomeWindowEvaluation) -> Value {
    let c = &ow.coverage;
    let mut v = json!({
        "window": wname,
        "goods": ow.goods,
        "bads": ow.bads,
        "partitions": c.partitions,
        "window_start": c.bounds.map(|b| rfc3339(b.0)),
        "window_end": c.bounds.map(|b| rfc3339(b.1)),
        "features": ow.series.iter().map(|s| outcome_series(model, s)).collect::<Vec<_>>(),
    });
    if let Some(sb) = &ow.backtest {
        v["backtest"] = backtest(model, sb);
    }
    v
}

/// The score's back-testing: discrimination against development and its state, and the
/// calibration of each score band with a development bad rate.
fn backtest(model: &ModelMeta, sb: &ScoreBacktest) -> Value {
    let r = &sb.result;
    let score = model.score.as_ref().map(|s| s.feature);
    let meta = score.map(|f| &model.features[f]);
    let mut v = json!({
        "feature": meta.map(|m| &m.name),
        "unranked": r.unranked,
        "discrimination": r.discrimination.as_ref().ok(),
        "gini_decline": r.decline,
        "state": sb.verdict.map(|(_, s)| s),
        "calibration_state": sb.calibration_verdict.map(|(_, s)| s),
    });
    if let Err(e) = &r.discrimination {
        v["discrimination_error"] = json!(e.to_string());
    }
    match (
        r.calibration_json(meta.map_or(&[], |m| &m.labels)),
        &r.calibration,
    ) {
        (Some(c), _) => v["calibration"] = c,
        (None, r) => v["calibration_error"] = json!(r.as_ref().err().map(|e| e.to_string())),
    }
    v
}

/// One series' windowed IV with the WoE table per bin (null for bins dropped).
fn outcome_series(model: &ModelMeta, s: &SeriesIv) -> Value {
    let meta = &model.features[s.feature];
    let mut v = json!({
        "feature": meta.name,
        "binning": meta.binning,
        "goods": s.goods,
        "bads": s.bads,
    });
    match &s.iv {
        Ok(iv) => {
            let n = s.goods.len();
            let woe = per_bin(&iv.woe, &iv.dropped_bins, n);
            let woe_se = per_bin(&iv.woe_se, &iv.dropped_bins, n);
            let bins: Vec<Value> = (0..n)
                .map(|b| {
                    let (woe, se) = (woe[b], woe_se[b]);
                    json!({
                        "label": meta.labels.get(b),
                        "goods": s.goods[b],
                        "bads": s.bads[b],
                        "woe": woe,
                        "woe_se": se,
                    })
                })
                .collect();
            v["iv"] = serde_json::to_value(iv).unwrap_or(Value::Null);
            v["bins"] = Value::Array(bins);
        }
        Err(e) => v["error"] = json!(e.to_string()),
    }
    if let (Some(c), Some(state)) = (&s.change, s.drop_state) {
        v["iv_change"] = serde_json::to_value(c).unwrap_or(Value::Null);
        v["iv_drop"] = json!(state);
    }
    v
}

fn check(plan: &Plan, c: &FairnessPlan, ce: &CheckEvaluation) -> Value {
    let model = &plan.models[c.model];
    let windows: Vec<Value> = plan
        .windows
        .iter()
        .zip(&ce.windows)
        .map(|((wname, _), fw)| fairness_window(c, wname, fw))
        .collect();
    json!({
        "check": c.name,
        "model": model.name,
        "feature": model.features[c.feature].name,
        "reference_group": c.reference,
        "tau": c.tau,
        "windows": windows,
    })
}

fn fairness_window(c: &FairnessPlan, wname: &str, fw: &FairnessWindowEvaluation) -> Value {
    let groups: Vec<Value> = fw
        .groups
        .iter()
        .filter(|_| fw.evaluated)
        .map(|g| {
            let mut v = json!({
                "group": c.groups[g.group],
                "applications": g.counts.iter().sum::<f64>(),
                "counts": g.counts,
            });
            match (&g.stats, g.state) {
                (Ok(stats), Some(state)) => {
                    v["state"] = json!(state);
                    v["j"] = j_json(stats);
                }
                _ => {
                    let why = |e| group_error(e, &c.groups[g.group], &c.reference);
                    v["error"] = json!(g.stats.as_ref().err().map(why));
                }
            }
            v
        })
        .collect();
    let bounds = fw.coverage.bounds;
    json!({
        "window": wname,
        "applications": fw.total,
        "reference_applications": fw.reference.iter().sum::<f64>(),
        "evaluated": fw.evaluated,
        "window_start": bounds.map(|b| rfc3339(b.0)),
        "window_end": bounds.map(|b| rfc3339(b.1)),
        "groups": groups,
    })
}
