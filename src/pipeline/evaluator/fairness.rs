//! The evaluation's part for the `[[fairness]]` checks, pure: per check and window of its
//! model, each monitored group against the reference (the `evaluate::fairness` core) and
//! its transitions, kept in the state topic under the check's set
//! (`drift/<model>~fairness~<check>/<window>/<group>`) for the next publisher.

use super::book::StateBook;
use super::shared::{Context, Coverage, Transition};
use crate::fairness::evaluate::{GroupFairness, evaluate_fairness, fairness_next_state};
use crate::output::fairness_event::{FairnessTransition, fairness_event, fairness_key};
use crate::pipeline::plan::{FairnessPlan, Plan};
use crate::state::codec::DriftKey;
use crate::state::{MergedWindow, SetId};

/// One check: one evaluation per `[[windows]]` entry.
#[derive(Debug)]
pub(crate) struct CheckEvaluation {
    pub windows: Vec<FairnessWindowEvaluation>,
}

#[derive(Debug)]
pub(crate) struct FairnessWindowEvaluation {
    pub coverage: Coverage,
    /// Applications of every group, the reference's included.
    pub total: u64,
    pub reference: Vec<f64>,
    /// Every monitored group (shown only when `evaluated`).
    pub groups: Vec<GroupFairness>,
    /// Whether the window holds `min_applications` of the check's groups.
    pub evaluated: bool,
}

/// Every check on every window of its model; the transitions of evaluated windows.
pub(super) fn evaluate_checks(
    plan: &Plan,
    merged: &[Vec<MergedWindow>],
    book: &StateBook,
    cx: Context<'_>,
    transitions: &mut Vec<Transition>,
) -> Vec<CheckEvaluation> {
    plan.fairness
        .iter()
        .map(|c| CheckEvaluation {
            windows: (0..plan.windows.len())
                .map(|w| check_window(plan, c, w, &merged[c.set][w], book, cx, transitions))
                .collect(),
        })
        .collect()
}

fn check_window(
    plan: &Plan,
    c: &FairnessPlan,
    w: usize,
    mw: &MergedWindow,
    book: &StateBook,
    cx: Context<'_>,
    transitions: &mut Vec<Transition>,
) -> FairnessWindowEvaluation {
    let t = &plan.thresholds;
    let counts = mw.counts.feature(0);
    let total: u64 = counts.iter().sum();
    let (reference, mut groups) = evaluate_fairness(counts, c.bins, c.tau, t.alpha);
    let evaluated = total >= t.min_applications;
    let model = &plan.models[c.model];
    let wname = &plan.windows[w].0;
    for g in groups.iter_mut().filter(|_| evaluated) {
        let (Ok(stats), Some(level)) = (&g.stats, g.state) else {
            continue;
        };
        let group = &c.groups[g.group];
        let series = DriftKey {
            set: SetId::fairness(&model.name, &c.name),
            window: wname.clone(),
            series: vec![group.clone()],
        };
        let previous = book.get(&series, &model.baseline_id);
        let j = stats.inference.median_unbiased;
        let state = fairness_next_state(previous, level, j, c.tau, t.clear_ratio);
        g.state = Some(state);
        if previous == state {
            continue;
        }
        let event = fairness_event(&FairnessTransition {
            source: cx.source,
            model: &model.name,
            check: &c.name,
            feature: &model.features[c.feature].name,
            window: wname,
            group,
            reference: &c.reference,
            baseline_id: &model.baseline_id,
            previous,
            state,
            stats,
            tau: c.tau,
            alpha: t.alpha,
            bounds: mw.bounds,
            now_ms: cx.now_ms,
        });
        transitions.push(Transition {
            series,
            baseline_id: model.baseline_id.clone(),
            previous,
            state,
            event_key: fairness_key(&model.name, &c.name),
            event,
        });
    }
    FairnessWindowEvaluation {
        coverage: Coverage::of(mw),
        total,
        reference,
        groups,
        evaluated,
    }
}
