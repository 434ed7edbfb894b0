//! The evaluation tick: merges every model's windows across partitions, computes PSI per
//! feature (the pure `evaluate` core), updates the gauges, drives the drift state machine
//! and publishes one drift event per transition.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use serde_json::{Value, json};

use super::consumer::Partitions;
use super::plan::Plan;
use super::producer::OutputProducer;
use crate::evaluate::{DriftState, FeatureEval, evaluate_window, next_state};
use crate::output::cloudevent::{Transition, drift_event, key, rfc3339};
use crate::output::metrics::Metrics;
use crate::window::partition::{MergedWindow, merge_window};

/// A published transition, for callers that show them (the demo).
#[derive(Debug, Clone)]
pub struct Published {
    pub key: String,
    pub event: Value,
}

pub struct Evaluator {
    plan: Arc<Plan>,
    source: String,
    /// Drift state per (model, window, feature).
    states: HashMap<(usize, usize, usize), DriftState>,
}

impl Evaluator {
    pub fn new(plan: Arc<Plan>, source: &str) -> Self {
        Self {
            plan,
            source: source.to_string(),
            states: HashMap::new(),
        }
    }

    /// Merges the windows (briefly holding the partitions' lock).
    fn merge(&self, partitions: &Partitions) -> Vec<Vec<MergedWindow>> {
        let Ok(parts) = partitions.lock() else {
            return Vec::new();
        };
        let refs: Vec<&crate::window::PartitionState> =
            parts.values().flat_map(|t| t.values()).collect();
        (0..self.plan.models.len())
            .map(|m| {
                self.plan
                    .windows
                    .iter()
                    .enumerate()
                    .map(|(w, (_, spec))| merge_window(&refs, m, w, spec, &self.plan.shapes[m]))
                    .collect()
            })
            .collect()
    }

    /// One evaluation at wall-clock `now_ms`; returns the JSON of `/api/v1/drift` and the
    /// drift events published.
    pub fn tick(
        &mut self,
        partitions: &Partitions,
        metrics: &Metrics,
        producer: Option<&OutputProducer>,
        now_ms: i64,
    ) -> (Value, Vec<Published>) {
        let started = Instant::now();
        let merged = self.merge(partitions);
        let plan = Arc::clone(&self.plan);
        let t = &plan.thresholds;
        let mut published = Vec::new();
        let mut models_json = Vec::new();
        for (m, model) in plan.models.iter().enumerate() {
            let mut windows_json = Vec::new();
            for (w, (wname, _)) in plan.windows.iter().enumerate() {
                let Some(mw) = merged.get(m).and_then(|x| x.get(w)) else {
                    continue;
                };
                let apps = mw.counts.applications();
                metrics
                    .window_applications
                    .with_label_values(&[&model.name, wname])
                    .set(apps as i64);
                let evaluated = apps >= t.min_applications;
                let mut features_json = Vec::new();
                if evaluated {
                    for fe in evaluate_window(model, &mw.counts, t.alpha) {
                        let fname = &model.features[fe.feature].name;
                        let labels = [model.name.as_str(), fname.as_str(), wname.as_str()];
                        metrics
                            .feature_missing_ratio
                            .with_label_values(&labels)
                            .set(fe.missing_ratio);
                        let Ok(psi) = &fe.psi else {
                            features_json.push(json!({ "feature": fname, "error": fe.psi.as_ref().err().map(|e| e.to_string()) }));
                            continue;
                        };
                        metrics.record_psi(&labels, psi);
                        let slot = self.states.entry((m, w, fe.feature)).or_default();
                        let prev = *slot;
                        let state = next_state(prev, psi, t);
                        *slot = state;
                        metrics
                            .feature_drift_state
                            .with_label_values(&labels)
                            .set(state as i64);
                        if state != prev {
                            let event = drift_event(&Transition {
                                source: &self.source,
                                model: &model.name,
                                feature: fname,
                                window: wname,
                                baseline_id: &model.baseline_id,
                                baseline_applications: model.baseline_applications,
                                previous: prev,
                                state,
                                eval: &fe,
                                psi,
                                thresholds: t,
                                bounds: mw.bounds,
                                top_bins: plan.top_bins,
                                now_ms,
                            });
                            let k = key(&model.name, fname);
                            if let Some(p) = producer {
                                p.drift_event(&k, &event.to_string());
                            }
                            published.push(Published { key: k, event });
                        }
                        features_json.push(feature_json(fname, &fe, state));
                    }
                }
                windows_json.push(json!({
                    "window": wname,
                    "applications": apps,
                    "evaluated": evaluated,
                    "min_applications": t.min_applications,
                    "window_start": mw.bounds.map(|b| rfc3339(b.0)),
                    "window_end": mw.bounds.map(|b| rfc3339(b.1)),
                    "features": features_json,
                }));
            }
            models_json.push(json!({
                "model": model.name,
                "baseline_id": model.baseline_id,
                "windows": windows_json,
            }));
        }
        metrics
            .last_evaluation_timestamp
            .set(now_ms as f64 / 1000.0);
        metrics
            .evaluation_duration
            .observe(started.elapsed().as_secs_f64());
        (
            json!({ "evaluated_at": rfc3339(now_ms), "models": models_json }),
            published,
        )
    }
}

fn feature_json(name: &str, fe: &FeatureEval, state: DriftState) -> Value {
    json!({
        "feature": name,
        "state": state,
        "applications": fe.applications,
        "missing_ratio": fe.missing_ratio,
        "psi": fe.psi.as_ref().ok(),
        "bins": fe.bins,
    })
}
