//! The evaluation as a value: one pure function from the plan, the merged windows of a
//! snapshot of the global table and the book of published states to every series'
//! statistics, state and transition (with its drift event). No gauges, no Kafka, no clock:
//! the sinks (gauges, `/api/v1/drift`, the outbox) read what this returns.

use super::backtest::{ScoreBacktest, score_backtest};
use super::book::StateBook;
use super::fairness::{CheckEvaluation, evaluate_checks};
pub(crate) use super::shared::{Context, Coverage, Transition};
use crate::evaluate::new_levels::NewLevelShare;
use crate::evaluate::outcome::{SeriesIv, evaluate_outcomes};
use crate::evaluate::{
    DriftState, FeatureEval, ModelMeta, evaluate_window, expected_of, iv_drop_state, next_state,
};
use crate::output::cloudevent::{
    IvDropTransition, Transition as DriftTransition, drift_event, iv_drop_event, key,
};
use crate::pipeline::plan::Plan;
use crate::state::codec::DriftKey;
use crate::state::{MergedWindow, SetId};
use crate::stats::{Expected, StatsError, adjust};

/// Every series of the plan evaluated at `at_ms`.
#[derive(Debug)]
pub(crate) struct Evaluation {
    pub at_ms: i64,
    /// One per model of the plan, in order.
    pub models: Vec<ModelEvaluation>,
    /// One per fairness check of the plan, in order.
    pub fairness: Vec<CheckEvaluation>,
    /// Every series whose state differs from the book's, in the order their events are
    /// published: per model its windows then its outcome windows, then the checks.
    pub transitions: Vec<Transition>,
}

#[derive(Debug)]
pub(crate) struct ModelEvaluation {
    /// One per `[[windows]]` entry.
    pub windows: Vec<WindowEvaluation>,
    /// One per outcome window (none without `[outcomes]`).
    pub outcome_windows: Vec<OutcomeWindowEvaluation>,
}

#[derive(Debug)]
pub(crate) struct WindowEvaluation {
    pub coverage: Coverage,
    /// Whether the window holds `min_applications`; its features are empty if not.
    pub evaluated: bool,
    pub features: Vec<FeatureResult>,
    /// What the window's score mix is expected to cost under the development bad rates
    /// (a score with development goods and bads; evaluated windows only).
    pub expected: Option<Result<Expected, StatsError>>,
    /// Per watched categorical feature (index in the model's features), the share of
    /// applications with a level new since development; every window, evaluated or not.
    pub new_levels: Vec<(usize, NewLevelShare)>,
}

/// One series' PSI and, when it has one, its state.
#[derive(Debug)]
pub(crate) struct FeatureResult {
    pub eval: FeatureEval,
    /// `None` when PSI could not be computed (`eval.psi` holds why).
    pub verdict: Option<Verdict>,
}

/// A series' state: the published one before this evaluation and the one it moves to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Verdict {
    /// The no-drift p-value adjusted across the window's features.
    pub p_adjusted: f64,
    pub previous: DriftState,
    pub state: DriftState,
}

#[derive(Debug)]
pub(crate) struct OutcomeWindowEvaluation {
    pub coverage: Coverage,
    pub goods: f64,
    pub bads: f64,
    pub series: Vec<SeriesIv>,
    /// The score's back-testing, when the model monitors `score`.
    pub backtest: Option<ScoreBacktest>,
}

/// Evaluates every series. `merged[set][window]` are the layout's merged windows.
pub(crate) fn evaluate(
    plan: &Plan,
    merged: &[Vec<MergedWindow>],
    book: &StateBook,
    cx: Context<'_>,
) -> Evaluation {
    let mut transitions = Vec::new();
    let models = plan
        .models
        .iter()
        .enumerate()
        .map(|(m, model)| ModelEvaluation {
            windows: (0..plan.windows.len())
                .map(|w| WindowEvaluation {
                    new_levels: new_levels_in(plan, m, w, merged),
                    ..window(plan, m, w, &merged[m][w], book, cx, &mut transitions)
                })
                .collect(),
            outcome_windows: outcome_windows(plan, model, m, merged, book, cx, &mut transitions),
        })
        .collect();
    let fairness = evaluate_checks(plan, merged, book, cx, &mut transitions);
    Evaluation {
        at_ms: cx.now_ms,
        models,
        fairness,
        transitions,
    }
}

/// PSI of every series of model `m` in window `w`, its state and transitions.
fn window(
    plan: &Plan,
    m: usize,
    w: usize,
    mw: &MergedWindow,
    book: &StateBook,
    cx: Context<'_>,
    transitions: &mut Vec<Transition>,
) -> WindowEvaluation {
    let (model, t) = (&plan.models[m], &plan.thresholds);
    let coverage = Coverage::of(mw);
    let evaluated = coverage.applications >= t.min_applications;
    if !evaluated {
        return WindowEvaluation {
            coverage,
            evaluated,
            features: Vec::new(),
            expected: None,
            new_levels: Vec::new(),
        };
    }
    let expected = expected_in(model, mw);
    let evals = evaluate_window(model, &mw.counts, t.alpha);
    // The features tested together: their no-drift p-values, adjusted.
    let raw: Vec<f64> = evals
        .iter()
        .filter_map(|fe| fe.psi.as_ref().ok().map(|p| p.inference.chi2_pvalue))
        .collect();
    let mut adjusted = adjust(&raw, t.multiple_testing).into_iter();
    let wname = &plan.windows[w].0;
    let features = evals
        .into_iter()
        .map(|eval| {
            let Ok(psi) = &eval.psi else {
                return FeatureResult {
                    eval,
                    verdict: None,
                };
            };
            let meta = &model.features[eval.feature];
            let p_adjusted = adjusted.next().unwrap_or(1.0);
            let series = DriftKey {
                set: SetId::drift(&model.name),
                window: wname.clone(),
                series: meta.series_path(),
            };
            let previous = book.get(&series, &model.baseline_id);
            let state = next_state(previous, psi, p_adjusted, t);
            if state != previous {
                let event = drift_event(&DriftTransition {
                    source: cx.source,
                    model: &model.name,
                    feature: &meta.name,
                    binning: meta.binning,
                    window: wname,
                    baseline_id: &model.baseline_id,
                    baseline_applications: model.baseline_applications,
                    previous,
                    state,
                    eval: &eval,
                    psi,
                    p_adjusted,
                    thresholds: t,
                    bounds: mw.bounds,
                    top_bins: plan.top_bins,
                    now_ms: cx.now_ms,
                });
                transitions.push(Transition {
                    series,
                    baseline_id: model.baseline_id.clone(),
                    previous,
                    state,
                    event_key: key(&model.name, &meta.name),
                    event,
                });
            }
            let verdict = Some(Verdict {
                p_adjusted,
                previous,
                state,
            });
            FeatureResult { eval, verdict }
        })
        .collect();
    WindowEvaluation {
        coverage,
        evaluated,
        features,
        expected,
        new_levels: Vec::new(),
    }
}

/// The new-level share of each feature model `m` watches, in window `w`.
fn new_levels_in(
    plan: &Plan,
    m: usize,
    w: usize,
    merged: &[Vec<MergedWindow>],
) -> Vec<(usize, NewLevelShare)> {
    let Some(levels) = plan.levels.iter().find(|l| l.model == m) else {
        return Vec::new();
    };
    let counts = &merged[levels.set][w].counts;
    let alpha = plan.thresholds.alpha;
    (levels.features.iter().enumerate())
        .map(|(i, &f)| (f, NewLevelShare::of(counts.feature(i), alpha)))
        .collect()
}

/// What the window's score mix is expected to show under the development bad rates.
fn expected_in(model: &ModelMeta, mw: &MergedWindow) -> Option<Result<Expected, StatsError>> {
    let score = model.score.as_ref()?;
    let current: Vec<f64> = mw
        .counts
        .feature(score.feature)
        .iter()
        .map(|&c| c as f64)
        .collect();
    let development = model.features[score.feature].development.as_ref();
    expected_of(score, development, &current)
}

/// IV of every series of model `m` in each outcome window, and the `iv_drop` transitions.
fn outcome_windows(
    plan: &Plan,
    model: &ModelMeta,
    m: usize,
    merged: &[Vec<MergedWindow>],
    book: &StateBook,
    cx: Context<'_>,
    transitions: &mut Vec<Transition>,
) -> Vec<OutcomeWindowEvaluation> {
    let Some(o) = &plan.outcomes else {
        return Vec::new();
    };
    let alpha = plan.thresholds.alpha;
    let mut windows = Vec::new();
    for (i, (wname, _)) in o.windows.iter().enumerate() {
        let mw = &merged[o.set_of(m)][o.window_of(i)];
        let mut series = evaluate_outcomes(model, &mw.counts, alpha);
        let (goods, bads) = series.first().map_or((0.0, 0.0), |s| {
            (s.goods.iter().sum::<f64>(), s.bads.iter().sum::<f64>())
        });
        for s in &mut series {
            let (Some(change), Ok(iv)) = (&s.change, &s.iv) else {
                continue;
            };
            let meta = &model.features[s.feature];
            let key_of = DriftKey {
                set: SetId::outcomes(&model.name),
                window: wname.clone(),
                series: meta.series_path(),
            };
            let previous = book.get(&key_of, &model.baseline_id);
            let state = iv_drop_state(previous, change, o.iv_drop);
            s.drop_state = Some(state);
            if state == previous {
                continue;
            }
            let event = iv_drop_event(&IvDropTransition {
                source: cx.source,
                model: &model.name,
                feature: &meta.name,
                binning: meta.binning,
                window: wname,
                baseline_id: &model.baseline_id,
                previous,
                state,
                change,
                iv,
                goods: s.goods.iter().sum(),
                bads: s.bads.iter().sum(),
                thresholds: o.iv_drop,
                alpha,
                bounds: mw.bounds,
                now_ms: cx.now_ms,
            });
            transitions.push(Transition {
                series: key_of,
                baseline_id: model.baseline_id.clone(),
                previous,
                state,
                event_key: key(&model.name, &meta.name),
                event,
            });
        }
        let backtest = score_backtest(
            plan,
            model,
            (wname, mw.bounds),
            &series,
            book,
            cx,
            transitions,
        );
        windows.push(OutcomeWindowEvaluation {
            coverage: Coverage::of(mw),
            goods,
            bads,
            series,
            backtest,
        });
    }
    windows
}
