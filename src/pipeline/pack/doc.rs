//! The pack's document, pure: the panes of one model and time window that fall in the
//! period, merged over the partitions, evaluated as a report is (every series' PSI, state
//! and bins), the trend of each series' PSI per pane, and where the counts came from: per
//! input partition the offsets below which its panes were counted. The shell
//! (`pipeline::pack`) reads the state and drift topics; nothing here does I/O.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::panes::{PackPanes, PackScope, StoredPane, whole_in};
use crate::evaluate::{DriftState, FeatureEval, evaluate_window, next_state};
use crate::output::cloudevent::rfc3339;
use crate::pipeline::plan::Plan;
use crate::state::PartitionId;
use crate::stats::adjust;
use crate::window::CountMatrix;

/// The input partitions' offsets at the time of the pack: (partition, low, high).
pub(crate) type Watermarks = Vec<(PartitionId, i64, i64)>;

/// The pack document of `panes` (those outside the period are left out), the input's
/// watermarks and the period's drift events.
pub(crate) fn pack_doc(
    scope: &PackScope<'_>,
    panes: PackPanes,
    watermarks: &Watermarks,
    events: Vec<Value>,
) -> Value {
    let (from, to) = scope.period;
    let inside: Vec<StoredPane> = panes
        .drift
        .into_iter()
        .filter(|p| whole_in(p, scope.slide_ms, scope.period))
        .collect();
    let shape = &scope.plan.shapes[scope.model];
    let mut by_pane: BTreeMap<i64, CountMatrix> = BTreeMap::new();
    let mut total = CountMatrix::new(shape);
    for p in &inside {
        total.merge(&p.pane.counts);
        by_pane
            .entry(p.id)
            .or_insert_with(|| CountMatrix::new(shape))
            .merge(&p.pane.counts);
    }
    let model = &scope.plan.models[scope.model];
    let t = &scope.plan.thresholds;
    let evals = evaluate_window(model, &total, t.alpha);
    let covered = (
        by_pane.keys().next().map(|id| id * scope.slide_ms),
        by_pane.keys().last().map(|id| (id + 1) * scope.slide_ms),
    );
    json!({
        "psimon_version": env!("CARGO_PKG_VERSION"),
        "kind": "pack",
        "generated_at": scope.generated_at,
        "settings": {
            "alpha": t.alpha,
            "multiple_testing": t.multiple_testing.as_str(),
            "warning_psi": t.warning_psi,
            "alert_psi": t.alert_psi,
        },
        "baseline_id": model.baseline_id,
        "model": model.name,
        "input": format!("Kafka: {}", offsets_topics(watermarks)),
        "rows": total.applications(),
        "period": {
            "from": rfc3339(from),
            "to": rfc3339(to),
            "window": scope.plan.windows[scope.window].0,
            "slide_ms": scope.slide_ms,
            "panes": by_pane.len(),
            "covered_from": covered.0.map(rfc3339),
            "covered_to": covered.1.map(rfc3339),
        },
        "features": features_json(scope.plan, scope.model, evals),
        "trend": trend_json(scope, &by_pane),
        "offsets": offsets_json(&inside, watermarks),
        "events": events,
        "fairness_checks": super::extra::fairness_json(scope, &panes.fairness),
        "outcome_windows": super::extra::outcomes_json(scope, &panes.outcomes),
    })
}

fn offsets_topics(watermarks: &Watermarks) -> String {
    let mut topics: Vec<&str> = watermarks
        .iter()
        .map(|(p, _, _)| p.topic.as_str())
        .collect();
    topics.dedup();
    topics.join(", ")
}

/// Every series of the period as a report shows it: PSI, state, adjusted p-value, bins.
fn features_json(plan: &Plan, model: usize, evals: Vec<FeatureEval>) -> Vec<Value> {
    let t = &plan.thresholds;
    let meta = &plan.models[model];
    let raw: Vec<f64> = evals
        .iter()
        .filter_map(|e| e.psi.as_ref().ok().map(|p| p.inference.chi2_pvalue))
        .collect();
    let mut q = adjust(&raw, t.multiple_testing).into_iter();
    evals
        .into_iter()
        .map(|e| {
            let f = &meta.features[e.feature];
            let mut v = json!({
                "feature": f.name,
                "binning": f.binning,
                "applications": e.applications,
                "missing_ratio": e.missing_ratio,
                "bins": e.bins,
            });
            match &e.psi {
                Ok(p) => {
                    let q = q.next().unwrap_or(1.0);
                    v["psi"] = serde_json::to_value(p).unwrap_or(Value::Null);
                    v["p_value_adjusted"] = json!(q);
                    v["state"] = json!(next_state(DriftState::Ok, p, q, t));
                }
                Err(err) => v["psi_error"] = json!(err.to_string()),
            }
            v
        })
        .collect()
}

/// Per pane of the period: its applications and each series' PSI with its interval.
fn trend_json(scope: &PackScope<'_>, by_pane: &BTreeMap<i64, CountMatrix>) -> Vec<Value> {
    let model = &scope.plan.models[scope.model];
    let alpha = scope.plan.thresholds.alpha;
    by_pane
        .iter()
        .map(|(id, counts)| {
            let series: Vec<Value> = evaluate_window(model, counts, alpha)
                .into_iter()
                .map(|e| {
                    let f = &model.features[e.feature];
                    let p = e.psi.as_ref().ok();
                    json!({
                        "feature": f.name,
                        "binning": f.binning,
                        "psi": p.map(|p| p.psi),
                        "median_unbiased": p.map(|p| p.inference.median_unbiased),
                        "ci_ncx2_lower": p.map(|p| p.inference.ci_ncx2_lower),
                        "ci_ncx2_upper": p.map(|p| p.inference.ci_ncx2_upper),
                    })
                })
                .collect();
            json!({
                "pane_start": rfc3339(id * scope.slide_ms),
                "pane_end": rfc3339((id + 1) * scope.slide_ms),
                "applications": counts.applications(),
                "series": series,
            })
        })
        .collect()
}

/// Per input partition: the watermarks at the time of the pack and the offset below which
/// every counted event of the period lies (the newest checkpoint of its panes): reading
/// `[low_watermark, counted_below)` and keeping the events whose time falls in the covered
/// panes recounts the period.
fn offsets_json(inside: &[StoredPane], watermarks: &Watermarks) -> Vec<Value> {
    watermarks
        .iter()
        .map(|(part, low, high)| {
            let below = inside
                .iter()
                .filter(|p| &p.part == part)
                .map(|p| p.as_of)
                .max();
            let applications: u64 = inside
                .iter()
                .filter(|p| &p.part == part)
                .map(|p| p.pane.counts.applications())
                .sum();
            json!({
                "topic": part.topic,
                "partition": part.partition,
                "low_watermark": low,
                "high_watermark": high,
                "counted_below": below,
                "applications": applications,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::window::Pane;

    fn plan() -> Plan {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
        let text = std::fs::read_to_string(dir.join("psimon.example.toml")).unwrap();
        let config = crate::config::load(&text, &[]).unwrap();
        Plan::build(&config, &dir).unwrap()
    }

    /// A pane of `n` applications in every series' first bin.
    fn pane(plan: &Plan, n: u64) -> Pane {
        let shape = &plan.shapes[0];
        let mut counts = CountMatrix::new(shape);
        for _ in 0..n {
            counts.add(&vec![0; shape.len()]);
        }
        Pane {
            counts,
            min_ms: 0,
            max_ms: 0,
        }
    }

    fn part(p: i32) -> PartitionId {
        PartitionId {
            topic: "in".into(),
            partition: p,
        }
    }

    #[test]
    fn whole_panes_of_the_period_are_merged_and_their_newest_checkpoint_is_stated() {
        let plan = plan();
        let scope = PackScope {
            plan: &plan,
            model: 0,
            window: 0,
            slide_ms: 1000,
            period: (10_500, 14_000),
            generated_at: "now".into(),
        };
        let stored = |p: i32, id: i64, n: u64, as_of: i64| StoredPane {
            part: part(p),
            id,
            pane: pane(&plan, n),
            as_of,
        };
        let panes = vec![
            stored(0, 10, 5, 40), // starts before the period: out
            stored(0, 11, 7, 50),
            stored(1, 11, 3, 20),
            stored(0, 13, 2, 90),
            stored(1, 14, 9, 99), // ends after the period: out
        ];
        let marks = vec![(part(0), 0, 100), (part(1), 4, 120)];
        let panes = PackPanes {
            drift: panes,
            ..PackPanes::default()
        };
        let doc = pack_doc(&scope, panes, &marks, Vec::new());
        assert_eq!(doc["rows"], 12);
        assert_eq!(doc["period"]["panes"], 2);
        assert_eq!(doc["period"]["covered_from"], rfc3339(11_000));
        assert_eq!(doc["period"]["covered_to"], rfc3339(14_000));
        let trend: Vec<u64> = (doc["trend"].as_array().unwrap().iter())
            .map(|p| p["applications"].as_u64().unwrap())
            .collect();
        assert_eq!(trend, vec![10, 2]);
        let offsets = &doc["offsets"];
        assert_eq!(offsets[0]["counted_below"], 90);
        assert_eq!(offsets[0]["applications"], 9);
        assert_eq!(
            (
                offsets[1]["counted_below"].clone(),
                offsets[1]["low_watermark"].clone()
            ),
            (json!(20), json!(4))
        );
        let f = &doc["features"][0];
        assert_eq!(f["bins"][0]["current_count"], 12);
        assert!(
            f["psi"]["psi"].as_f64().unwrap() > 0.5,
            "all in one bin: {f}"
        );
        assert_eq!(f["state"], "alert");
    }
}
