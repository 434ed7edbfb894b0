//! The evaluation's back-testing of a model's score in one outcome window, pure: the
//! `evaluate::backtest` core on the score's goods and bads, and the `gini_decline`
//! transition, kept in the state topic under the model's outcome set at the series
//! `[score, "discrimination"]` (`drift/<model>~outcomes/<window>/score/discrimination`).

use super::book::StateBook;
use super::shared::{Context, Transition};
use crate::evaluate::outcome::SeriesIv;
use crate::evaluate::{Backtest, DriftState, ModelMeta, backtest, gini_decline_state};
use crate::output::backtest_event::{GiniDeclineTransition, gini_decline_event, gini_decline_key};
use crate::pipeline::plan::Plan;
use crate::state::SetId;
use crate::state::codec::DriftKey;

/// The score's back-testing in one outcome window and its state.
#[derive(Debug)]
pub(crate) struct ScoreBacktest {
    pub result: Backtest,
    /// The published state before and after, when there is a development to compare with.
    pub verdict: Option<(DriftState, DriftState)>,
}

/// The series under which the `gini_decline` state of `model`'s window is kept.
pub(super) fn series_key(model: &ModelMeta, window: &str) -> Option<DriftKey> {
    let score = model.score.as_ref()?;
    let mut series = model.features[score.feature].series_path();
    series.push("discrimination".into());
    Some(DriftKey {
        set: SetId::outcomes(&model.name),
        window: window.to_string(),
        series,
    })
}

/// Back-tests `model`'s score on the outcome window's `series`; pushes a transition.
pub(super) fn score_backtest(
    plan: &Plan,
    model: &ModelMeta,
    (wname, bounds): (&str, Option<(i64, i64)>),
    series: &[SeriesIv],
    book: &StateBook,
    cx: Context<'_>,
    transitions: &mut Vec<Transition>,
) -> Option<ScoreBacktest> {
    let (score, o) = (model.score.as_ref()?, plan.outcomes.as_ref()?);
    let s = series.iter().find(|s| s.feature == score.feature)?;
    let t = &plan.thresholds;
    let result = backtest(score, &s.goods, &s.bads, t.alpha, t.multiple_testing);
    let (Some(decline), Ok(now)) = (&result.decline, &result.discrimination) else {
        return Some(ScoreBacktest {
            result,
            verdict: None,
        });
    };
    let key_of = series_key(model, wname)?;
    let previous = book.get(&key_of, &model.baseline_id);
    let state = gini_decline_state(previous, decline, o.gini_decline);
    if state != previous {
        let event = gini_decline_event(&GiniDeclineTransition {
            source: cx.source,
            model: &model.name,
            feature: &model.features[score.feature].name,
            window: wname,
            baseline_id: &model.baseline_id,
            previous,
            state,
            now,
            decline,
            backtest: &result,
            thresholds: o.gini_decline,
            alpha: t.alpha,
            bounds,
            now_ms: cx.now_ms,
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
    Some(ScoreBacktest {
        verdict: Some((previous, state)),
        result,
    })
}
