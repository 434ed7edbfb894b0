//! The evaluation's back-testing of a model's score in one outcome window, pure: the
//! `evaluate::backtest` core on the score's goods and bads, and the `gini_decline` and
//! calibration transitions, kept in the state topic under the model's outcome set at the
//! series `[score, "discrimination"]` and `[score, "calibration"]`
//! (`drift/<model>~outcomes/<window>/score/discrimination`).

use super::book::StateBook;
use super::shared::{Context, Transition};
use crate::evaluate::outcome::SeriesIv;
use crate::evaluate::{
    Backtest, DriftState, ModelMeta, backtest, calibration_state, gini_decline_state,
};
use crate::output::backtest_event::{
    CalibrationTransition, GiniDeclineTransition, calibration_event, calibration_key,
    gini_decline_event, gini_decline_key,
};
use crate::pipeline::plan::Plan;
use crate::state::SetId;
use crate::state::codec::DriftKey;

/// The score's back-testing in one outcome window and its state.
#[derive(Debug)]
pub(crate) struct ScoreBacktest {
    pub result: Backtest,
    /// The `gini_decline` state before and after, when there is a development to compare.
    pub verdict: Option<(DriftState, DriftState)>,
    /// The calibration state (the worst band's light) before and after.
    pub calibration_verdict: Option<(DriftState, DriftState)>,
}

/// The series under which a back-testing state of `model`'s window is kept: `part` is
/// `discrimination` (the `gini_decline` state) or `calibration`.
pub(super) fn series_key(model: &ModelMeta, window: &str, part: &str) -> Option<DriftKey> {
    let score = model.score.as_ref()?;
    let mut series = model.features[score.feature].series_path();
    series.push(part.into());
    Some(DriftKey {
        set: SetId::outcomes(&model.name),
        window: window.to_string(),
        series,
    })
}

/// Where and when a window is back-tested, for its events.
struct Place<'a> {
    model: &'a ModelMeta,
    window: &'a str,
    bounds: Option<(i64, i64)>,
    cx: Context<'a>,
}

/// Back-tests `model`'s score on the outcome window's `series`; pushes its transitions.
pub(super) fn score_backtest(
    plan: &Plan,
    model: &ModelMeta,
    (wname, bounds): (&str, Option<(i64, i64)>),
    series: &[SeriesIv],
    book: &StateBook,
    cx: Context<'_>,
    transitions: &mut Vec<Transition>,
) -> Option<ScoreBacktest> {
    let score = model.score.as_ref()?;
    plan.outcomes.as_ref()?;
    let s = series.iter().find(|s| s.feature == score.feature)?;
    let t = &plan.thresholds;
    let result = backtest(score, &s.goods, &s.bads, t.alpha, t.multiple_testing);
    let place = Place {
        model,
        window: wname,
        bounds,
        cx,
    };
    let verdict = discrimination(plan, &place, &result, book, transitions);
    let calibration_verdict = calibration(plan, &place, &result, book, transitions);
    Some(ScoreBacktest {
        result,
        verdict,
        calibration_verdict,
    })
}

/// The `gini_decline` state and its transition, when there is a development to compare.
fn discrimination(
    plan: &Plan,
    at: &Place<'_>,
    result: &Backtest,
    book: &StateBook,
    transitions: &mut Vec<Transition>,
) -> Option<(DriftState, DriftState)> {
    let (o, t, model) = (plan.outcomes.as_ref()?, &plan.thresholds, at.model);
    let (Some(decline), Ok(now)) = (&result.decline, &result.discrimination) else {
        return None;
    };
    let key_of = series_key(model, at.window, "discrimination")?;
    let previous = book.get(&key_of, &model.baseline_id);
    let state = gini_decline_state(previous, decline, o.gini_decline);
    if state != previous {
        let score = model.score.as_ref()?;
        let event = gini_decline_event(&GiniDeclineTransition {
            source: at.cx.source,
            model: &model.name,
            feature: &model.features[score.feature].name,
            window: at.window,
            baseline_id: &model.baseline_id,
            previous,
            state,
            now,
            decline,
            backtest: result,
            thresholds: o.gini_decline,
            alpha: t.alpha,
            bounds: at.bounds,
            now_ms: at.cx.now_ms,
        });
        transitions.push(Transition {
            series: key_of,
            baseline_id: model.baseline_id.clone(),
            previous,
            state,
            event_key: gini_decline_key(&model.name),
            event,
        });
    }
    Some((previous, state))
}

/// The calibration state (the worst band's traffic light: green ok, amber warning, red
/// alert, with hysteresis on the worst band's adjusted p-value) and its transition.
fn calibration(
    plan: &Plan,
    at: &Place<'_>,
    result: &Backtest,
    book: &StateBook,
    transitions: &mut Vec<Transition>,
) -> Option<(DriftState, DriftState)> {
    let (model, c) = (at.model, result.calibration.as_ref().ok()?);
    let key_of = series_key(model, at.window, "calibration")?;
    let previous = book.get(&key_of, &model.baseline_id);
    let worst = c.bands.iter().map(|b| b.p_adjusted).fold(1.0, f64::min);
    let t = &plan.thresholds;
    let state = calibration_state(previous, worst, t.alpha, t.clear_ratio);
    if state != previous {
        let score = model.score.as_ref()?;
        let labels = &model.features[score.feature].labels;
        let event = calibration_event(&CalibrationTransition {
            source: at.cx.source,
            model: &model.name,
            feature: &model.features[score.feature].name,
            window: at.window,
            baseline_id: &model.baseline_id,
            previous,
            state,
            calibration: c,
            bands: &result
                .bands
                .iter()
                .map(|&i| labels[i].as_str())
                .collect::<Vec<_>>(),
            alpha: plan.thresholds.alpha,
            bounds: at.bounds,
            now_ms: at.cx.now_ms,
        });
        transitions.push(Transition {
            series: key_of,
            baseline_id: model.baseline_id.clone(),
            previous,
            state,
            event_key: calibration_key(&model.name),
            event,
        });
    }
    Some((previous, state))
}
