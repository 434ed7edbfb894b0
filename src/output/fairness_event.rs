//! A fairness check's state transition as a CloudEvent (type
//! `dev.psimon.fairness.transition`), in the envelope and with the replay-stable id of the
//! drift events. Pure. It names the configured groups only.

use crate::state::series::segment;
use serde_json::{Value, json};

use super::cloudevent::{envelope, rfc3339, transition_id};
use crate::evaluate::{Binning, DriftState};
use crate::stats::IvStats;

pub(crate) const FAIRNESS_EVENT_TYPE: &str = "dev.psimon.fairness.transition";

/// Everything a fairness event says.
pub(crate) struct FairnessTransition<'a> {
    pub source: &'a str,
    pub model: &'a str,
    pub check: &'a str,
    pub feature: &'a str,
    pub window: &'a str,
    pub group: &'a str,
    pub reference: &'a str,
    pub baseline_id: &'a str,
    pub previous: DriftState,
    pub state: DriftState,
    pub stats: &'a IvStats,
    pub tau: f64,
    pub alpha: f64,
    pub bounds: Option<(i64, i64)>,
    pub now_ms: i64,
}

/// The Kafka key of a fairness event: one check's events stay in order.
pub(crate) fn fairness_key(model: &str, check: &str) -> String {
    format!("{model}/fairness/{check}")
}

pub(crate) fn fairness_event(t: &FairnessTransition<'_>) -> Value {
    let window_end = t.bounds.map(|b| b.1);
    let series = format!("{}/{}", t.check, t.group);
    let id = transition_id(
        "fairness\u{1f}",
        (t.model, &series, Binning::Scorecard, t.window),
        window_end,
        (t.previous, t.state),
        t.baseline_id,
    );
    let s = t.stats;
    let tau_p = s.tolerance.as_ref().map(|x| x.tau_pvalue_ncx2);
    let below_p = s.tolerance.as_ref().map(|x| x.below_tau_pvalue_ncx2);
    let data = json!({
        "model": t.model,
        "check": t.check,
        "feature": t.feature,
        "window": t.window,
        "group": t.group,
        "reference_group": t.reference,
        "previous_state": t.previous,
        "state": t.state,
        "statistic": "j",
        "value": s.iv,
        "se": s.inference.se,
        "median_unbiased": s.inference.median_unbiased,
        "ci_ncx2_lower": s.inference.ci_ncx2_lower,
        "ci_ncx2_upper": s.inference.ci_ncx2_upper,
        "chi2_pvalue": s.inference.chi2_pvalue,
        "tau": t.tau,
        "below_tau_p_value": below_p,
        "above_tau_p_value": tau_p,
        "alpha": t.alpha,
        "applications": s.goods_total,
        "reference_applications": s.bads_total,
        "window_start": t.bounds.map(|b| rfc3339(b.0)),
        "window_end": window_end.map(rfc3339),
        "baseline_id": t.baseline_id,
    });
    envelope(
        &id,
        t.source,
        FAIRNESS_EVENT_TYPE,
        &format!(
            "{}/fairness/{}/{}/{}",
            segment(t.model),
            segment(t.check),
            segment(t.group),
            segment(t.window)
        ),
        t.now_ms,
        data,
    )
}
