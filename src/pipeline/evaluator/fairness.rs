//! The evaluator's part for the `[[fairness]]` checks: per check and window of its model,
//! each monitored group against the reference (the pure `evaluate::fairness` core), the
//! gauges, the `fairness` section of `/api/v1/drift`, and on the publishing instance one
//! event per state transition, kept in the state topic as
//! `drift/<model>~fairness~<check>/<window>/<group>` for the next publisher.

use serde_json::{Value, json};

use super::{Evaluator, Published, TickInput};
use crate::evaluate::DriftState;
use crate::evaluate::fairness::evaluate_fairness;
use crate::output::cloudevent::rfc3339;
use crate::output::fairness_event::{FairnessTransition, fairness_event, fairness_key};
use crate::state::MergedWindow;
use crate::state::codec::{DriftKey, DriftRecord};

/// The state-topic model name of a check's states.
pub(super) fn state_model(model: &str, check: &str) -> String {
    format!("{model}~fairness~{check}")
}

impl Evaluator {
    /// Takes a published fairness state (`model` is `<model>~fairness~<check>`); false if
    /// the key is not a fairness check's.
    pub(super) fn sync_fairness_state(
        &mut self,
        key: &DriftKey,
        rec: &DriftRecord,
        state: DriftState,
    ) -> bool {
        let Some((model, check)) = key.model.split_once("~fairness~") else {
            return false;
        };
        let plan = &self.plan;
        let found = plan.fairness.iter().enumerate().find_map(|(f, c)| {
            let m = &plan.models[c.model];
            (c.name == check && m.name == model && m.baseline_id == rec.baseline_id).then(|| {
                let w = plan.windows.iter().position(|(n, _)| *n == key.window)?;
                let g = c
                    .groups
                    .iter()
                    .position(|g| key.series == std::slice::from_ref(g))?;
                Some((f, w, g))
            })?
        });
        if let Some(at) = found {
            self.fairness_states.insert(at, state);
        }
        true
    }

    /// Every check on every window of its model: gauges, JSON, and (publishing) events.
    pub(super) fn tick_fairness(
        &mut self,
        merged: &[Vec<MergedWindow>],
        input: &TickInput<'_>,
        published: &mut Vec<Published>,
    ) -> Value {
        let plan = std::sync::Arc::clone(&self.plan);
        let t = &plan.thresholds;
        let gauges = &input.metrics.fairness;
        let mut checks = Vec::new();
        for (f, c) in plan.fairness.iter().enumerate() {
            let model = &plan.models[c.model];
            let feature = &model.features[c.feature].name;
            let mut windows = Vec::new();
            for (w, (wname, _)) in plan.windows.iter().enumerate() {
                let Some(mw) = merged.get(c.layout_model).and_then(|x| x.get(w)) else {
                    continue;
                };
                let counts = mw.counts.feature(0);
                let total: u64 = counts.iter().sum();
                let (reference, groups) = evaluate_fairness(counts, c.bins, c.tau, t.alpha);
                let names = std::iter::once(&c.reference).chain(&c.groups);
                let sums = std::iter::once(&reference).chain(groups.iter().map(|g| &g.counts));
                for (name, n) in names.zip(sums) {
                    gauges
                        .applications
                        .with_label_values(&[&model.name, &c.name, wname, name])
                        .set(n.iter().sum::<f64>() as i64);
                }
                let evaluated = total >= t.min_applications;
                let mut groups_json = Vec::new();
                for g in groups.iter().filter(|_| evaluated) {
                    let gname = &c.groups[g.group];
                    let labels = [model.name.as_str(), c.name.as_str(), wname, gname];
                    let mut v = json!({
                        "group": gname,
                        "applications": g.counts.iter().sum::<f64>(),
                        "counts": g.counts,
                    });
                    let (Ok(stats), Some(state)) = (&g.stats, g.state) else {
                        v["error"] = json!(g.stats.as_ref().err().map(|e| e.to_string()));
                        groups_json.push(v);
                        continue;
                    };
                    gauges.record(&labels, stats);
                    gauges.state.with_label_values(&labels).set(state as i64);
                    v["state"] = json!(state);
                    v["j"] = serde_json::to_value(stats).unwrap_or(Value::Null);
                    groups_json.push(v);
                    // Transitions are published (and kept) by the publishing instance only.
                    if !input.publishing {
                        continue;
                    }
                    let prev = self
                        .fairness_states
                        .insert((f, w, g.group), state)
                        .unwrap_or_default();
                    if prev == state {
                        continue;
                    }
                    let event = fairness_event(&FairnessTransition {
                        source: &self.source,
                        model: &model.name,
                        check: &c.name,
                        feature,
                        window: wname,
                        group: gname,
                        reference: &c.reference,
                        baseline_id: &model.baseline_id,
                        previous: prev,
                        state,
                        stats,
                        tau: c.tau,
                        alpha: t.alpha,
                        bounds: mw.bounds,
                        now_ms: input.now_ms,
                    });
                    let k = fairness_key(&model.name, &c.name);
                    self.hand_over(
                        (
                            state_model(&model.name, &c.name),
                            wname,
                            vec![gname.clone()],
                        ),
                        state,
                        &model.baseline_id,
                        (&k, &event),
                    );
                    published.push(Published { key: k, event });
                }
                windows.push(json!({
                    "window": wname,
                    "applications": total,
                    "reference_applications": reference.iter().sum::<f64>(),
                    "evaluated": evaluated,
                    "window_start": mw.bounds.map(|b| rfc3339(b.0)),
                    "window_end": mw.bounds.map(|b| rfc3339(b.1)),
                    "groups": groups_json,
                }));
            }
            checks.push(json!({
                "check": c.name,
                "model": model.name,
                "feature": feature,
                "reference_group": c.reference,
                "tau": c.tau,
                "windows": windows,
            }));
        }
        Value::Array(checks)
    }
}
