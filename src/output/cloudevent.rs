//! Drift events as CloudEvents 1.0 in structured JSON mode. Pure: the transition and the
//! time come in, the JSON goes out. The `id` is a hash of what identifies the transition
//! (model, feature, binning, window, window end, states, baseline), so a replayed
//! evaluation yields the same id and consumers can drop duplicates.

use crate::state::series::segment;
use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::evaluate::{Binning, DriftState, FeatureEval, ShareThresholds, Thresholds};
use crate::stats::{IvChange, IvStats, PsiStats};

pub const EVENT_TYPE: &str = "dev.psimon.drift.transition";
/// The type of an `iv_drop` transition: a feature lost (or regained) its separating power.
pub const IV_DROP_EVENT_TYPE: &str = "dev.psimon.iv_drop.transition";

/// Everything an `iv_drop` event says.
pub struct IvDropTransition<'a> {
    pub source: &'a str,
    pub model: &'a str,
    pub feature: &'a str,
    pub binning: Binning,
    pub window: &'a str,
    pub baseline_id: &'a str,
    pub previous: DriftState,
    pub state: DriftState,
    pub change: &'a IvChange,
    pub iv: &'a IvStats,
    pub goods: f64,
    pub bads: f64,
    /// Shares of the development IV lost for warning and alert.
    pub thresholds: ShareThresholds,
    pub alpha: f64,
    pub bounds: Option<(i64, i64)>,
    pub now_ms: i64,
}

/// What a series appends to its identity and subject: nothing for scorecard bins (they keep
/// the ids and subjects they had before population bins), `/population` otherwise.
fn series_suffix(binning: Binning) -> &'static str {
    match binning {
        Binning::Scorecard => "",
        Binning::Population => "/population",
    }
}

/// The event id: a hash of what identifies a transition (`prefix` tells event types
/// apart), so that a replayed evaluation yields the same id.
pub(super) fn transition_id(
    prefix: &str,
    series: (&str, &str, Binning, &str),
    window_end: Option<i64>,
    states: (DriftState, DriftState),
    baseline_id: &str,
) -> String {
    let (model, feature, binning, window) = series;
    let identity = format!(
        "{prefix}{model}\u{1f}{feature}{}\u{1f}{window}\u{1f}{}\u{1f}{}\u{1f}{}\u{1f}{baseline_id}",
        series_suffix(binning),
        window_end.map_or("none".to_string(), |e| e.to_string()),
        states.0.as_str(),
        states.1.as_str(),
    );
    let digest = Sha256::digest(identity.as_bytes());
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// An `iv_drop` transition as a CloudEvent; the id hashes what identifies it, as for drift
/// events.
pub fn iv_drop_event(t: &IvDropTransition<'_>) -> Value {
    let window_end = t.bounds.map(|b| b.1);
    let suffix = series_suffix(t.binning);
    let id = transition_id(
        "iv_drop\u{1f}",
        (t.model, t.feature, t.binning, t.window),
        window_end,
        (t.previous, t.state),
        t.baseline_id,
    );
    let c = t.change;
    let data = json!({
            "model": t.model,
            "feature": t.feature,
            "binning": t.binning,
            "window": t.window,
            "previous_state": t.previous,
            "state": t.state,
            "statistic": "iv",
            "value": t.iv.iv,
            "se": t.iv.inference.se,
            "median_unbiased": t.iv.inference.median_unbiased,
            "ci_ncx2_lower": t.iv.inference.ci_ncx2_lower,
            "ci_ncx2_upper": t.iv.inference.ci_ncx2_upper,
            "iv_development": c.iv_development,
            "iv_development_debiased": c.iv_development_debiased,
            "iv_current_debiased": c.iv_current_debiased,
            "drop": c.drop,
            "drop_se": c.drop_se,
            "drop_ci_lower": c.drop_ci_lower,
            "drop_ci_upper": c.drop_ci_upper,
            "drop_pvalue": c.drop_pvalue,
            "relative_drop": c.relative_drop,
            "relative_drop_lower_bound": c.relative_drop_lower_bound,
            "thresholds": {
                "warning_iv_drop": t.thresholds.warning,
                "alert_iv_drop": t.thresholds.alert,
                "clear_ratio": t.thresholds.clear_ratio,
                "alpha": t.alpha,
            },
            "goods": t.goods,
            "bads": t.bads,
            "window_start": t.bounds.map(|b| rfc3339(b.0)),
            "window_end": window_end.map(rfc3339),
            "baseline_id": t.baseline_id,
    });
    envelope(
        &id,
        t.source,
        IV_DROP_EVENT_TYPE,
        &format!(
            "{}/{}/{}{suffix}",
            segment(t.model),
            segment(t.feature),
            segment(t.window)
        ),
        t.now_ms,
        data,
    )
}

/// Everything a drift event says.
pub struct Transition<'a> {
    pub source: &'a str,
    pub model: &'a str,
    pub feature: &'a str,
    /// Scorecard or population bins.
    pub binning: Binning,
    pub window: &'a str,
    pub baseline_id: &'a str,
    pub baseline_applications: u64,
    pub previous: DriftState,
    pub state: DriftState,
    pub eval: &'a FeatureEval,
    pub psi: &'a PsiStats,
    /// The no-drift p-value adjusted for the features tested together.
    pub p_adjusted: f64,
    pub thresholds: &'a Thresholds,
    /// Window bounds, epoch ms (end exclusive).
    pub bounds: Option<(i64, i64)>,
    pub top_bins: usize,
    /// Evaluation time, epoch ms.
    pub now_ms: i64,
}

/// The Kafka key of a drift event: one feature's events stay in order.
pub fn key(model: &str, feature: &str) -> String {
    format!("{model}/{feature}")
}

pub fn rfc3339(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

#[derive(Serialize)]
struct TopBin<'a> {
    label: &'a str,
    baseline_share: f64,
    current_share: f64,
    contrib: f64,
}

pub fn drift_event(t: &Transition<'_>) -> Value {
    let window_end = t.bounds.map(|b| b.1);
    let series_suffix = series_suffix(t.binning);
    let id = transition_id(
        "",
        (t.model, t.feature, t.binning, t.window),
        window_end,
        (t.previous, t.state),
        t.baseline_id,
    );
    let p = t.psi;
    let top: Vec<TopBin<'_>> = t
        .eval
        .top_bins(t.top_bins)
        .into_iter()
        .map(|b| TopBin {
            label: &b.label,
            baseline_share: b.baseline_share,
            current_share: b.current_share,
            contrib: b.contrib.unwrap_or(0.0),
        })
        .collect();
    let data = json!({
            "model": t.model,
            "feature": t.feature,
            "binning": t.binning,
            "window": t.window,
            "previous_state": t.previous,
            "state": t.state,
            "statistic": "psi",
            "value": p.psi,
            "se": p.inference.se,
            "ci_lower": p.inference.ci_lower,
            "ci_upper": p.inference.ci_upper,
            "median_unbiased": p.inference.median_unbiased,
            "ncx2_lower_bound": p.inference.ncx2_lower_bound,
            "ci_ncx2_lower": p.inference.ci_ncx2_lower,
            "ci_ncx2_upper": p.inference.ci_ncx2_upper,
            "chi2_pvalue": p.inference.chi2_pvalue,
            "p_value_adjusted": t.p_adjusted,
            "null_mean": p.inference.null_mean,
            "thresholds": {
                "warning_psi": t.thresholds.warning_psi,
                "alert_psi": t.thresholds.alert_psi,
                "alpha": t.thresholds.alpha,
                "clear_ratio": t.thresholds.clear_ratio,
                "multiple_testing": t.thresholds.multiple_testing.as_str(),
            },
            "applications": t.eval.applications,
            "baseline_applications": t.baseline_applications,
            "n_eff": p.n_eff,
            "window_start": t.bounds.map(|b| rfc3339(b.0)),
            "window_end": window_end.map(rfc3339),
            "baseline_id": t.baseline_id,
            "top_bins": top,
    });
    envelope(
        &id,
        t.source,
        EVENT_TYPE,
        &format!(
            "{}/{}/{}{series_suffix}",
            segment(t.model),
            segment(t.feature),
            segment(t.window)
        ),
        t.now_ms,
        data,
    )
}

/// The version of each event type's `data`: raised whenever a field is renamed, removed or
/// changes meaning (CHANGELOG.md lists each change), so that a consumer can tell which
/// schema an event follows. Drift and iv_drop data are at 2 since the field renames of
/// 0.1.0 (`stderr` -> `se`, `p_value` -> `chi2_pvalue`, ...).
fn data_version(kind: &str) -> u32 {
    match kind {
        EVENT_TYPE => 2,
        // 3: relative_drop_ci_lower (two-sided) became relative_drop_lower_bound (one-sided).
        IV_DROP_EVENT_TYPE => 3,
        _ => 1,
    }
}

/// The `dataschema` URI of an event type: `urn:psimon:schema:<type>:<version>`.
pub fn dataschema(kind: &str) -> String {
    format!("urn:psimon:schema:{kind}:{}", data_version(kind))
}

/// A CloudEvents 1.0 envelope in structured JSON mode around `data`.
pub(super) fn envelope(
    id: &str,
    source: &str,
    kind: &str,
    subject: &str,
    now_ms: i64,
    data: Value,
) -> Value {
    json!({
        "specversion": "1.0",
        "id": id,
        "source": source,
        "type": kind,
        "subject": subject,
        "time": rfc3339(now_ms),
        "datacontenttype": "application/json",
        "dataschema": dataschema(kind),
        "data": data,
    })
}
