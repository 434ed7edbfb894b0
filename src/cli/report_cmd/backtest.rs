//! `psimon report --target`: the back-testing of the score (`--score FEATURE`, default
//! `score` when the model has it) on the sample: discrimination against development with
//! the `gini_decline` state, and calibration by score band, as a table and as JSON. The
//! statistics are `crate::evaluate::backtest`, as the monitor computes them.

use anyhow::{Result, bail};
use serde_json::{Value, json};

use super::super::fmt::{TableStyle, num, pct, pval, table_as};
use super::document::heading;
use crate::binning::{BinSpec, ModelBaseline};
use crate::evaluate::batch::FeatureReport;
use crate::evaluate::{
    Backtest, Binning, DriftState, PdSource, ScoreMeta, ScoreScaling, ShareThresholds, backtest,
    expected_of, gini_decline_state,
};
use crate::stats::{Adjustment, Calibration, Discrimination, Expected, GiniDecline, StatsError};

/// The score's back-testing on the sample.
pub(super) struct BacktestReport {
    feature: String,
    labels: Vec<String>,
    meta: ScoreMeta,
    /// With outcomes (`--target`).
    result: Option<Backtest>,
    /// Under the development bad rates (a baseline with outcomes).
    expected: Option<Result<Expected, StatsError>>,
    /// The sample's realised IV of the score, and its goods and bads in the bins the
    /// expected figures cover (with `--target`).
    realised_iv: Option<f64>,
    realised: Option<(f64, f64)>,
    state: Option<DriftState>,
    thresholds: ShareThresholds,
}

/// What `--score`, `--alpha`, the adjustment and the thresholds ask for.
pub(super) struct BacktestArgs<'a> {
    pub score: Option<&'a str>,
    pub scaling: Option<&'a ScoreScaling>,
    pub alpha: f64,
    pub method: Adjustment,
    pub thresholds: ShareThresholds,
}

/// The back-testing of the score; `None` without a score feature (unless `--score` names
/// one: then it must be a numeric feature of the model) or without outcomes.
pub(super) fn backtest_report(
    model: &ModelBaseline,
    reports: &[FeatureReport],
    a: &BacktestArgs<'_>,
) -> Result<Option<BacktestReport>> {
    let name = a.score.unwrap_or(crate::config::SCORE_FEATURE);
    let f = model.features.iter().find(|f| f.name == name);
    let r = reports
        .iter()
        .find(|r| r.name == name && r.binning == Binning::Scorecard);
    let (Some(f), Some(r)) = (f, r) else {
        if a.score.is_some() {
            bail!("--score {name}: the model has no feature of that name");
        }
        return Ok(None);
    };
    let BinSpec::Numeric { edges, .. } = &f.bins else {
        bail!("--score {name}: the feature is categorical; a score has numeric bins");
    };
    let goods: Option<Vec<f64>> = r.bins.iter().map(|b| b.goods.map(|x| x as f64)).collect();
    let bads: Option<Vec<f64>> = r.bins.iter().map(|b| b.bads.map(|x| x as f64)).collect();
    let to_f64 = |v: &Vec<u64>| v.iter().map(|&x| x as f64).collect::<Vec<f64>>();
    let dev = f
        .goods
        .as_ref()
        .zip(f.bads.as_ref())
        .map(|(g, b)| (to_f64(g), to_f64(b)));
    let dev_ref = dev.as_ref().map(|(g, b)| (g.as_slice(), b.as_slice()));
    let mut meta = ScoreMeta::from_development(0, f.bins.regular_bins(), dev_ref, a.alpha);
    if let Some(scaling) = a.scaling {
        let cut = scaling.edge_problems(edges);
        if !cut.is_empty() {
            let why: Vec<String> = cut.iter().map(|(f, w)| format!("{f} {w}")).collect();
            bail!("--scaling: {} of {name}", why.join("; "));
        }
        meta = meta.with_scaling(edges, scaling);
    }
    let current = r.current_counts();
    let expected = expected_of(&meta, dev.as_ref(), &current);
    let predicted = |i: usize| dev.as_ref().is_some_and(|(g, b)| g[i] + b[i] > 0.0);
    let realised = goods.as_ref().zip(bads.as_ref()).map(|(g, b)| {
        let sum = |v: &[f64]| (0..v.len()).filter(|&i| predicted(i)).map(|i| v[i]).sum();
        (sum(g), sum(b))
    });
    let result = goods
        .zip(bads)
        .map(|(g, b)| backtest(&meta, &g, &b, a.alpha, a.method));
    if result.is_none() && expected.is_none() {
        return Ok(None);
    }
    let state = result
        .as_ref()
        .and_then(|r| r.decline.as_ref())
        .map(|d| gini_decline_state(DriftState::Ok, d, a.thresholds));
    Ok(Some(BacktestReport {
        feature: name.to_string(),
        labels: f.labels.clone(),
        meta,
        result,
        expected,
        realised_iv: r
            .iv
            .as_ref()
            .and_then(|iv| iv.as_ref().ok())
            .map(|iv| iv.iv),
        realised,
        state,
        thresholds: a.thresholds,
    }))
}

pub(super) fn backtest_json(b: &BacktestReport) -> Value {
    let mut v = json!({
        "feature": b.feature,
        "higher_score_is_riskier": b.meta.reversed,
        "development": b.meta.development,
        "expected": b.expected.as_ref().map(|e| match e {
            Ok(e) => serde_json::to_value(e).unwrap_or(Value::Null),
            Err(err) => json!({ "error": err.to_string() }),
        }),
        "thresholds": { "warning_gini_decline": b.thresholds.warning, "alert_gini_decline": b.thresholds.alert },
    });
    let Some(r) = &b.result else {
        return v;
    };
    let calibration = r.calibration_json(&b.labels);
    v["unranked"] = json!(r.unranked);
    v["discrimination"] = json!(r.discrimination.as_ref().ok());
    v["discrimination_error"] = json!(r.discrimination.as_ref().err().map(|e| e.to_string()));
    v["gini_decline"] = json!(r.decline);
    v["state"] = json!(b.state);
    v["calibration"] = json!(calibration);
    v["calibration_error"] = json!(r.calibration.as_ref().err().map(|e| e.to_string()));
    v
}

pub(super) fn render_backtest(
    b: &BacktestReport,
    alpha: f64,
    method: Adjustment,
    style: TableStyle,
) -> String {
    let direction = if b.meta.reversed {
        "a higher score is riskier"
    } else {
        "a higher score is safer"
    };
    let mut out = heading(
        style,
        &format!(
            "Back-testing of {} (ranked as development ranks it: {direction})",
            b.feature
        ),
    );
    out.push_str(&render_expected(b, style));
    let Some(r) = &b.result else {
        return out;
    };
    out.push_str(&format!(
        "{} applications in special-value and missing bins not ranked\n",
        r.unranked
    ));
    let mut rows = Vec::new();
    if let Some(d) = &b.meta.development {
        rows.push(discrimination_row("development", d));
    }
    match &r.discrimination {
        Ok(d) => rows.push(discrimination_row("sample", d)),
        Err(e) => out.push_str(&format!("no discrimination on the sample: {e}\n")),
    }
    let ci = format!("{} CI", pct(1.0 - alpha));
    out.push_str(&table_as(
        style,
        &[
            "", "AUC", "± SE", &ci, "Gini", "± SE", &ci, "KS", "goods", "bads",
        ],
        &rows,
    ));
    if let (Some(d), Some(state)) = (&r.decline, b.state) {
        out.push_str(&render_decline(b, d, state, alpha));
    }
    match &r.calibration {
        Ok(c) => out.push_str(&render_calibration(b, r, c, (alpha, method), style)),
        Err(e) => out.push_str(&format!("no calibration: {e}\n")),
    }
    out
}

fn render_decline(b: &BacktestReport, d: &GiniDecline, state: DriftState, alpha: f64) -> String {
    let share = |x: Option<f64>| x.map_or("-".into(), pct);
    format!(
        "Gini decline {} ± {} = {} of the development Gini, at least {} ({} one-sided bound); p {} (both samples), p {} (ECB test: development AUC taken as known). gini_decline: {} (warning above {}, alert above {} lost, by the bound)\n",
        num(d.decline),
        num(d.decline_se),
        share(d.relative_decline),
        share(d.relative_decline_lower),
        pct(1.0 - alpha),
        pval(d.pvalue),
        pval(d.pvalue_one_sample),
        state.as_str().to_uppercase(),
        pct(b.thresholds.warning),
        pct(b.thresholds.alert),
    )
}

/// The sample's expected figures under the development bad rates and, with outcomes,
/// the realised ones beside them.
fn render_expected(b: &BacktestReport, style: TableStyle) -> String {
    let Some(e) = &b.expected else {
        return String::new();
    };
    let e = match e {
        Ok(e) => e,
        Err(err) => return format!("no expected figures: {err}\n"),
    };
    let mut rows = vec![vec![
        "expected".to_string(),
        format!("{} ± {}", pct(e.bad_rate), pct(e.bad_rate_se)),
        format!("{} ± {}", num(e.gini), num(e.gini_se)),
        format!("{} ± {}", num(e.iv), num(e.iv_se)),
    ]];
    if let (Some(r), Some((goods, bads))) = (&b.result, b.realised)
        && let Ok(d) = &r.discrimination
    {
        let rate = bads / (goods + bads);
        let rate_se = (rate * (1.0 - rate) / (goods + bads)).sqrt();
        rows.push(vec![
            "realised".to_string(),
            format!("{} ± {}", pct(rate), pct(rate_se)),
            format!("{} ± {}", num(d.gini), num(d.gini_se)),
            b.realised_iv.map_or("-".into(), num),
        ]);
    }
    let mut out = format!(
        "Expected of the sample's score mix if each score bin keeps its development bad rate ({} applications{}):\n",
        e.applications,
        if e.unpredicted > 0.0 {
            format!(
                "; {} in bins without development applications not predicted",
                e.unpredicted
            )
        } else {
            String::new()
        }
    );
    out.push_str(&table_as(style, &["", "bad rate", "Gini", "IV"], &rows));
    out
}

fn discrimination_row(name: &str, d: &Discrimination) -> Vec<String> {
    vec![
        name.to_string(),
        num(d.auc),
        num(d.auc_se),
        format!("[{}, {}]", num(d.auc_ci_lower), num(d.auc_ci_upper)),
        num(d.gini),
        num(d.gini_se),
        format!("[{}, {}]", num(d.gini_ci_lower), num(d.gini_ci_upper)),
        num(d.ks),
        format!("{}", d.goods),
        format!("{}", d.bads),
    ]
}

fn render_calibration(
    b: &BacktestReport,
    r: &Backtest,
    c: &Calibration,
    (alpha, method): (f64, Adjustment),
    style: TableStyle,
) -> String {
    let rows: Vec<Vec<String>> = r
        .bands
        .iter()
        .zip(&c.bands)
        .map(|(&i, band)| {
            vec![
                b.labels.get(i).cloned().unwrap_or_default(),
                format!("{}", band.applications),
                format!("{}", band.bads),
                band.bad_rate.map_or("-".into(), pct),
                format!("[{}, {}]", pct(band.ci_lower), pct(band.ci_upper)),
                pct(band.pd),
                pval(band.pvalue),
                pval(band.p_adjusted),
                band.light.as_str().to_uppercase(),
            ]
        })
        .collect();
    let q = format!("q ({})", method.as_str());
    let mut out = heading(style, "Calibration by score band");
    let pd = match r.pd_source {
        PdSource::Development => "the band's development bad rate",
        PdSource::Scaling => "the mean PD across the band of the scorecard's scaling (--scaling)",
    };
    out.push_str(&format!(
        "PD: {pd}; Jeffreys test, small p: the band defaults above its PD; AMBER at {q} <= {alpha}, RED at <= {}\n",
        alpha / 10.0
    ));
    out.push_str(&table_as(
        style,
        &[
            "band",
            "applications",
            "bads",
            "bad rate",
            "Jeffreys CI",
            "PD",
            "p",
            &q,
            "light",
        ],
        &rows,
    ));
    out.push_str(&format!(
        "Hosmer-Lemeshow chi2 {} on {} bands, p {}\n",
        num(c.hosmer_lemeshow),
        c.hl_df,
        pval(c.hl_pvalue)
    ));
    out
}
