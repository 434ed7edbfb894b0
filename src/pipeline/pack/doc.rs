//! The pack's document, pure: the panes of one model and time window that fall in the
//! period, merged over the partitions, evaluated as a report is (every series' PSI, state
//! and bins), the trend of each series' PSI per pane, and where the counts came from: per
//! input partition the offsets below which its panes were counted. The shell
//! (`pipeline::pack`) reads the state and drift topics; nothing here does I/O.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::evaluate::{DriftState, FeatureEval, evaluate_window, next_state};
use crate::output::cloudevent::rfc3339;
use crate::pipeline::plan::Plan;
use crate::state::PartitionId;
use crate::stats::adjust;
use crate::window::{CountMatrix, Pane};

/// One stored pane of the model's window: its partition, its id, its counts and its
/// checkpoint (the partition's next offset when it was last written).
pub(crate) struct StoredPane {
    pub part: PartitionId,
    pub id: i64,
    pub pane: Pane,
    pub as_of: i64,
}

/// What the pack is of and when it was made.
pub(crate) struct PackScope<'a> {
    pub plan: &'a Plan,
    pub model: usize,
    /// Index of the time window in `plan.windows`, and its slide.
    pub window: usize,
    pub slide_ms: i64,
    /// The period asked for, `[from, to)`; only whole panes inside it are counted.
    pub period: (i64, i64),
    pub generated_at: String,
}

/// The input partitions' offsets at the time of the pack: (partition, low, high).
pub(crate) type Watermarks = Vec<(PartitionId, i64, i64)>;

/// The pack document of `panes` (every stored pane of the model's window; those outside
/// the period are left out), the input's watermarks and the period's drift events.
pub(crate) fn pack_doc(
    scope: &PackScope<'_>,
    panes: Vec<StoredPane>,
    watermarks: &Watermarks,
    events: Vec<Value>,
) -> Value {
    let (from, to) = scope.period;
    let inside: Vec<StoredPane> = panes
        .into_iter()
        .filter(|p| p.id * scope.slide_ms >= from && (p.id + 1) * scope.slide_ms <= to)
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
