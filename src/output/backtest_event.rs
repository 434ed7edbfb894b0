//! A `gini_decline` transition as a CloudEvent (type `dev.psimon.gini_decline.transition`):
//! the score ranks goods above bads less well (or as well again) than at development. In
//! the envelope and with the replay-stable id of the drift events. Pure.

use serde_json::{Value, json};

use super::cloudevent::{envelope, rfc3339, transition_id};
use crate::evaluate::{Backtest, Binning, DriftState, ShareThresholds};
use crate::state::series::segment;
use crate::stats::{Calibration, Discrimination, GiniDecline};

pub(crate) const GINI_DECLINE_EVENT_TYPE: &str = "dev.psimon.gini_decline.transition";
pub(crate) const CALIBRATION_EVENT_TYPE: &str = "dev.psimon.calibration.transition";

/// Everything a `gini_decline` event says.
pub(crate) struct GiniDeclineTransition<'a> {
    pub source: &'a str,
    pub model: &'a str,
    pub feature: &'a str,
    pub window: &'a str,
    pub baseline_id: &'a str,
    pub previous: DriftState,
    pub state: DriftState,
    pub now: &'a Discrimination,
    pub decline: &'a GiniDecline,
    pub backtest: &'a Backtest,
    pub thresholds: ShareThresholds,
    pub alpha: f64,
    pub bounds: Option<(i64, i64)>,
    pub now_ms: i64,
}

/// The Kafka key of a `gini_decline` event: the model's back-testing stays in order.
pub(crate) fn gini_decline_key(model: &str) -> String {
    format!("{model}/discrimination")
}

pub(crate) fn gini_decline_event(t: &GiniDeclineTransition<'_>) -> Value {
    let window_end = t.bounds.map(|b| b.1);
    let id = transition_id(
        "gini_decline\u{1f}",
        (t.model, t.feature, Binning::Scorecard, t.window),
        window_end,
        (t.previous, t.state),
        t.baseline_id,
    );
    let (n, d) = (t.now, t.decline);
    let data = json!({
        "model": t.model,
        "feature": t.feature,
        "window": t.window,
        "previous_state": t.previous,
        "state": t.state,
        "statistic": "gini",
        "value": n.gini,
        "se": n.gini_se,
        "ci_lower": n.gini_ci_lower,
        "ci_upper": n.gini_ci_upper,
        "auc": n.auc,
        "auc_se": n.auc_se,
        "ks": n.ks,
        "gini_development": d.gini_development,
        "decline": d.decline,
        "decline_se": d.decline_se,
        "decline_pvalue": d.pvalue,
        "decline_pvalue_one_sample": d.pvalue_one_sample,
        "relative_decline": d.relative_decline,
        "relative_decline_lower": d.relative_decline_lower,
        "thresholds": {
            "warning_gini_decline": t.thresholds.warning,
            "alert_gini_decline": t.thresholds.alert,
            "alpha": t.alpha,
        },
        "goods": n.goods,
        "bads": n.bads,
        "unranked": t.backtest.unranked,
        "window_start": t.bounds.map(|b| rfc3339(b.0)),
        "window_end": window_end.map(rfc3339),
        "baseline_id": t.baseline_id,
    });
    envelope(
        &id,
        t.source,
        GINI_DECLINE_EVENT_TYPE,
        &format!(
            "{}/{}/{}/discrimination",
            segment(t.model),
            segment(t.feature),
            segment(t.window)
        ),
        t.now_ms,
        data,
    )
}

/// Everything a calibration event says: the worst band's light moved.
pub(crate) struct CalibrationTransition<'a> {
    pub source: &'a str,
    pub model: &'a str,
    pub feature: &'a str,
    pub window: &'a str,
    pub baseline_id: &'a str,
    pub previous: DriftState,
    pub state: DriftState,
    pub calibration: &'a Calibration,
    /// The label of each tested band, in the calibration's order.
    pub bands: &'a [&'a str],
    pub alpha: f64,
    pub bounds: Option<(i64, i64)>,
    pub now_ms: i64,
}

/// The Kafka key of a calibration event.
pub(crate) fn calibration_key(model: &str) -> String {
    format!("{model}/calibration")
}

pub(crate) fn calibration_event(t: &CalibrationTransition<'_>) -> Value {
    let window_end = t.bounds.map(|b| b.1);
    let id = transition_id(
        "calibration\u{1f}",
        (t.model, t.feature, Binning::Scorecard, t.window),
        window_end,
        (t.previous, t.state),
        t.baseline_id,
    );
    let c = t.calibration;
    let bands: Vec<Value> = t
        .bands
        .iter()
        .zip(&c.bands)
        .map(|(label, b)| {
            json!({
                "band": label,
                "applications": b.applications,
                "bads": b.bads,
                "bad_rate": b.bad_rate,
                "pd": b.pd,
                "pvalue": b.pvalue,
                "p_adjusted": b.p_adjusted,
                "light": b.light,
            })
        })
        .collect();
    let data = json!({
        "model": t.model,
        "feature": t.feature,
        "window": t.window,
        "previous_state": t.previous,
        "state": t.state,
        "light": c.light,
        "hosmer_lemeshow": c.hosmer_lemeshow,
        "hl_df": c.hl_df,
        "hl_pvalue": c.hl_pvalue,
        "alpha": t.alpha,
        "bands": bands,
        "window_start": t.bounds.map(|b| rfc3339(b.0)),
        "window_end": window_end.map(rfc3339),
        "baseline_id": t.baseline_id,
    });
    envelope(
        &id,
        t.source,
        CALIBRATION_EVENT_TYPE,
        &format!(
            "{}/{}/{}/calibration",
            segment(t.model),
            segment(t.feature),
            segment(t.window)
        ),
        t.now_ms,
        data,
    )
}
