//! The evaluation tick: merges every model's windows over all partitions from the global
//! table (so every replica computes the same), computes PSI per feature (the pure
//! `evaluate` core), updates the gauges, drives the drift state machine and, on the one
//! publishing instance, publishes one drift event per transition and hands the new state to
//! the next transaction so that the next publisher continues from it.

mod fairness;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Instant;

use serde_json::{Value, json};

use super::owner::{DriftEvent, DriftOutbox, Handover};
use super::plan::Plan;
use crate::evaluate::outcome::{SeriesIv, evaluate_outcomes};
use crate::evaluate::{
    DriftState, FeatureEval, FeatureMeta, ModelMeta, evaluate_window, next_state,
};
use crate::output::cloudevent::{
    IvDropTransition, Transition, drift_event, iv_drop_event, key, rfc3339,
};
use crate::output::metrics::Metrics;
use crate::state::codec::{DriftKey, DriftRecord};
use crate::state::{GlobalTable, MergedWindow, merge_window};
use crate::stats::adjust;

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
    /// `iv_drop` state per (model, outcome window, feature), published as the PSI states.
    iv_states: HashMap<(usize, usize, usize), DriftState>,
    /// Fairness state per (check, window, monitored group), published as the PSI states.
    fairness_states: HashMap<(usize, usize, usize), DriftState>,
    /// Transitions published here: each drift event with its state, for the next
    /// transaction (drift topic and state topic together).
    outbox: DriftOutbox,
    synced_once: bool,
}

/// Where one evaluation reads and publishes.
pub struct TickInput<'a> {
    pub table: &'a RwLock<GlobalTable>,
    pub metrics: &'a Metrics,
    /// Whether this instance publishes drift events (it owns the publishing partition).
    pub publishing: bool,
    pub now_ms: i64,
}

impl Evaluator {
    pub fn new(plan: Arc<Plan>, source: &str, outbox: DriftOutbox) -> Self {
        Self {
            plan,
            source: source.to_string(),
            states: HashMap::new(),
            iv_states: HashMap::new(),
            fairness_states: HashMap::new(),
            outbox,
            synced_once: false,
        }
    }

    /// Hands a transition to the next transaction: its drift event to the drift topic and
    /// its state to the state topic, committed together, so that the event is published
    /// exactly once (a crash before the commit loses both, and the next publisher, which
    /// continues from the state topic, publishes it again once).
    fn hand_over(
        &self,
        (model, window, series): (String, &str, Vec<String>),
        state: DriftState,
        baseline_id: &str,
        (event_key, event): (&str, &Value),
    ) {
        if let Ok(mut outbox) = self.outbox.lock() {
            outbox.push(Handover {
                key: DriftKey {
                    model,
                    window: window.to_string(),
                    series,
                },
                record: DriftRecord {
                    state: state as u8,
                    baseline_id: baseline_id.to_string(),
                },
                event: DriftEvent {
                    key: event_key.to_string(),
                    json: event.to_string(),
                },
            });
        }
    }

    /// Merges the windows (briefly holding the table's read lock); also returns the drift
    /// states last published by any instance.
    fn merge(
        &self,
        table: &RwLock<GlobalTable>,
    ) -> (Vec<Vec<MergedWindow>>, Vec<(DriftKey, DriftRecord)>) {
        let Ok(t) = table.read() else {
            return (Vec::new(), Vec::new());
        };
        let layout = &self.plan.layout;
        // Only the pairs that have rings (outcome windows apply to outcome models only);
        // the others stay empty.
        let merged = (0..layout.models.len())
            .map(|m| {
                (0..layout.windows.len())
                    .map(|w| {
                        if layout.applies(m, w) {
                            merge_window(&t, layout, m, w)
                        } else {
                            MergedWindow::empty(&layout.models[m].shape)
                        }
                    })
                    .collect()
            })
            .collect();
        let drift = t
            .drift_states()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        (merged, drift)
    }

    /// Takes the published drift states as this instance's own: always while another
    /// instance publishes, once at the start when this one does.
    fn sync_states(&mut self, published: Vec<(DriftKey, DriftRecord)>, publishing: bool) {
        if publishing && self.synced_once {
            return;
        }
        self.synced_once = true;
        let plan = Arc::clone(&self.plan);
        for (k, rec) in published {
            let state = match rec.state {
                2 => DriftState::Alert,
                1 => DriftState::Warning,
                _ => DriftState::Ok,
            };
            if self.sync_fairness_state(&k, &rec, state) {
                continue;
            }
            // An `iv_drop` state: the model's outcome windows.
            if let (Some(name), Some(o)) = (k.model.strip_suffix("~outcomes"), &plan.outcomes) {
                let Some(m) = plan.models.iter().position(|m| m.name == name) else {
                    continue;
                };
                let model = &plan.models[m];
                if let (Some(w), Some(f)) = (
                    o.windows.iter().position(|(n, _)| *n == k.window),
                    model
                        .features
                        .iter()
                        .position(|f| f.series_path() == k.series),
                ) && rec.baseline_id == model.baseline_id
                {
                    self.iv_states.insert((m, w, f), state);
                }
                continue;
            }
            let Some(m) = plan.models.iter().position(|m| m.name == k.model) else {
                continue;
            };
            let model = &plan.models[m];
            let (Some(w), Some(f)) = (
                plan.windows.iter().position(|(n, _)| *n == k.window),
                model
                    .features
                    .iter()
                    .position(|f| f.series_path() == k.series),
            ) else {
                continue;
            };
            if rec.baseline_id != model.baseline_id {
                continue;
            }
            self.states.insert((m, w, f), state);
        }
    }

    /// One evaluation at wall-clock `now_ms`; returns the JSON of `/api/v1/drift` and the
    /// drift events published.
    pub fn tick(&mut self, input: &TickInput<'_>) -> (Value, Vec<Published>) {
        let (metrics, publishing, now_ms) = (input.metrics, input.publishing, input.now_ms);
        let started = Instant::now();
        let (merged, published_states) = self.merge(input.table);
        self.sync_states(published_states, publishing);
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
                    let evals = evaluate_window(model, &mw.counts, t.alpha);
                    // The features tested together: their no-drift p-values, adjusted.
                    let raw: Vec<f64> = evals
                        .iter()
                        .filter_map(|fe| fe.psi.as_ref().ok().map(|p| p.inference.chi2_pvalue))
                        .collect();
                    let mut adjusted = adjust(&raw, t.multiple_testing).into_iter();
                    for fe in evals {
                        let meta = &model.features[fe.feature];
                        let fname = &meta.name;
                        let binning = meta.binning;
                        let labels = [
                            model.name.as_str(),
                            fname.as_str(),
                            wname.as_str(),
                            binning.as_str(),
                        ];
                        metrics
                            .feature_missing_ratio
                            .with_label_values(&labels)
                            .set(fe.missing_ratio);
                        let Ok(psi) = &fe.psi else {
                            features_json.push(json!({ "feature": fname, "binning": binning, "error": fe.psi.as_ref().err().map(|e| e.to_string()) }));
                            continue;
                        };
                        let q = adjusted.next().unwrap_or(1.0);
                        metrics.record_psi(&labels, psi);
                        metrics
                            .feature_psi_p_value_adjusted
                            .with_label_values(&labels)
                            .set(q);
                        // The book holds published states only: the publisher's own, or
                        // what the publisher wrote to the state topic. Another replica shows
                        // the state it would move to, without keeping it.
                        let prev = self
                            .states
                            .get(&(m, w, fe.feature))
                            .copied()
                            .unwrap_or_default();
                        let state = next_state(prev, psi, q, t);
                        metrics
                            .feature_drift_state
                            .with_label_values(&labels)
                            .set(state as i64);
                        if publishing {
                            self.states.insert((m, w, fe.feature), state);
                            if state != prev {
                                let event = drift_event(&Transition {
                                    source: &self.source,
                                    model: &model.name,
                                    feature: fname,
                                    binning,
                                    window: wname,
                                    baseline_id: &model.baseline_id,
                                    baseline_applications: model.baseline_applications,
                                    previous: prev,
                                    state,
                                    eval: &fe,
                                    psi,
                                    p_adjusted: q,
                                    thresholds: t,
                                    bounds: mw.bounds,
                                    top_bins: plan.top_bins,
                                    now_ms,
                                });
                                let k = key(&model.name, fname);
                                self.hand_over(
                                    (model.name.clone(), wname, meta.series_path()),
                                    state,
                                    &model.baseline_id,
                                    (&k, &event),
                                );
                                published.push(Published { key: k, event });
                            }
                        }
                        features_json.push(feature_json(meta, &fe, state, q));
                    }
                }
                windows_json.push(json!({
                    "window": wname,
                    "applications": apps,
                    "partitions": mw.partitions,
                    "evaluated": evaluated,
                    "min_applications": t.min_applications,
                    "window_start": mw.bounds.map(|b| rfc3339(b.0)),
                    "window_end": mw.bounds.map(|b| rfc3339(b.1)),
                    "features": features_json,
                }));
            }
            let mut model_json = json!({
                "model": model.name,
                "baseline_id": model.baseline_id,
                "windows": windows_json,
            });
            if let Some(o) = &plan.outcomes {
                let mut outcome_windows = Vec::new();
                for (i, (wname, _)) in o.windows.iter().enumerate() {
                    let Some(mw) = merged
                        .get(o.first_model + m)
                        .and_then(|x| x.get(o.first_window + i))
                    else {
                        continue;
                    };
                    let (json_window, series) =
                        outcome_window(model, wname, mw, t.alpha, o.iv_drop, metrics);
                    outcome_windows.push(json_window);
                    // Transitions are published (and kept) by the publishing instance only.
                    if !publishing {
                        continue;
                    }
                    for s in &series {
                        let (Some(state), Some(change), Ok(iv)) = (s.drop_state, &s.change, &s.iv)
                        else {
                            continue;
                        };
                        let prev = self
                            .iv_states
                            .insert((m, i, s.feature), state)
                            .unwrap_or_default();
                        if state == prev {
                            continue;
                        }
                        let meta = &model.features[s.feature];
                        let event = iv_drop_event(&IvDropTransition {
                            source: &self.source,
                            model: &model.name,
                            feature: &meta.name,
                            binning: meta.binning,
                            window: wname,
                            baseline_id: &model.baseline_id,
                            previous: prev,
                            state,
                            change,
                            iv,
                            goods: s.goods.iter().sum(),
                            bads: s.bads.iter().sum(),
                            thresholds: o.iv_drop,
                            alpha: t.alpha,
                            bounds: mw.bounds,
                            now_ms,
                        });
                        let k = key(&model.name, &meta.name);
                        self.hand_over(
                            (
                                format!("{}~outcomes", model.name),
                                wname,
                                meta.series_path(),
                            ),
                            state,
                            &model.baseline_id,
                            (&k, &event),
                        );
                        published.push(Published { key: k, event });
                    }
                }
                model_json["outcome_windows"] = Value::Array(outcome_windows);
            }
            models_json.push(model_json);
        }
        let fairness_json = self.tick_fairness(&merged, input, &mut published);
        metrics
            .last_evaluation_timestamp
            .set(now_ms as f64 / 1000.0);
        metrics
            .evaluation_duration
            .observe(started.elapsed().as_secs_f64());
        (
            json!({ "evaluated_at": rfc3339(now_ms), "models": models_json, "fairness": fairness_json }),
            published,
        )
    }
}

/// One outcome window of a model: windowed IV per series (gauges and JSON, with the WoE
/// table per bin).
fn outcome_window(
    model: &ModelMeta,
    wname: &str,
    mw: &MergedWindow,
    alpha: f64,
    iv_drop: (f64, f64),
    metrics: &Metrics,
) -> (Value, Vec<SeriesIv>) {
    let series = evaluate_outcomes(model, &mw.counts, alpha, iv_drop);
    let (goods, bads) = series.first().map_or((0.0, 0.0), |s| {
        (s.goods.iter().sum::<f64>(), s.bads.iter().sum::<f64>())
    });
    for (outcome, n) in [("good", goods), ("bad", bads)] {
        metrics
            .window_outcomes
            .with_label_values(&[&model.name, wname, outcome])
            .set(n as i64);
    }
    let features: Vec<Value> = series
        .iter()
        .map(|s| {
            let meta = &model.features[s.feature];
            let labels = [
                model.name.as_str(),
                meta.name.as_str(),
                wname,
                meta.binning.as_str(),
            ];
            let mut v = json!({
                "feature": meta.name,
                "binning": meta.binning,
                "goods": s.goods,
                "bads": s.bads,
            });
            match &s.iv {
                Ok(iv) => {
                    for (gauge, value) in [
                        (&metrics.feature_iv, iv.iv),
                        (&metrics.feature_iv_stderr, iv.inference.se),
                        (
                            &metrics.feature_iv_ci_ncx2_lower,
                            iv.inference.ci_ncx2_lower,
                        ),
                        (
                            &metrics.feature_iv_ci_ncx2_upper,
                            iv.inference.ci_ncx2_upper,
                        ),
                        (&metrics.feature_iv_p_value, iv.inference.chi2_pvalue),
                    ] {
                        gauge.with_label_values(&labels).set(value);
                    }
                    // The WoE table per bin, with the labels (null for bins dropped).
                    let mut kept = 0;
                    let bins: Vec<Value> = (0..s.goods.len())
                        .map(|b| {
                            let (woe, se) = if iv.dropped_bins.contains(&b) {
                                (None, None)
                            } else {
                                kept += 1;
                                (iv.woe.get(kept - 1), iv.woe_se.get(kept - 1))
                            };
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
                metrics
                    .feature_iv_drop
                    .with_label_values(&labels)
                    .set(c.drop);
                metrics
                    .feature_iv_drop_state
                    .with_label_values(&labels)
                    .set(state as i64);
                v["iv_change"] = serde_json::to_value(c).unwrap_or(Value::Null);
                v["iv_drop"] = json!(state);
            }
            v
        })
        .collect();
    let json_window = json!({
        "window": wname,
        "goods": goods,
        "bads": bads,
        "partitions": mw.partitions,
        "window_start": mw.bounds.map(|b| rfc3339(b.0)),
        "window_end": mw.bounds.map(|b| rfc3339(b.1)),
        "features": features,
    });
    (json_window, series)
}

fn feature_json(meta: &FeatureMeta, fe: &FeatureEval, state: DriftState, p_adjusted: f64) -> Value {
    json!({
        "feature": meta.name,
        "binning": meta.binning,
        "state": state,
        "p_value_adjusted": p_adjusted,
        "tau_pvalue_valid": fe.psi.as_ref().ok().map(|p| p.tau_pvalue_valid()),
        "applications": fe.applications,
        "missing_ratio": fe.missing_ratio,
        "psi": fe.psi.as_ref().ok(),
        "bins": fe.bins,
    })
}
