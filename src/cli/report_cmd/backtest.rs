//! `psimon report --target`: the back-testing of the score (`--score FEATURE`, default
//! `score` when the model has it) on the sample: discrimination against development with
//! the `gini_decline` state, and calibration by score band, as a table and as JSON. The
//! statistics are `crate::evaluate::backtest`, as the monitor computes them.

use anyhow::{Result, bail};
use serde_json::{Value, json};

use super::super::fmt::{num, pct, pval, table};
use crate::binning::{BinSpec, ModelBaseline};
use crate::evaluate::batch::FeatureReport;
use crate::evaluate::{
    Backtest, Binning, DriftState, ScoreMeta, ShareThresholds, backtest, gini_decline_state,
};
use crate::stats::{Adjustment, Calibration, Discrimination};

/// The score's back-testing on the sample.
pub(super) struct BacktestReport {
    feature: String,
    labels: Vec<String>,
    meta: ScoreMeta,
    result: Backtest,
    state: Option<DriftState>,
    thresholds: ShareThresholds,
}

/// What `--score`, `--alpha`, the adjustment and the thresholds ask for.
pub(super) struct BacktestArgs<'a> {
    pub score: Option<&'a str>,
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
    if !matches!(f.bins, BinSpec::Numeric { .. }) {
        bail!("--score {name}: the feature is categorical; a score has numeric bins");
    }
    let goods: Option<Vec<f64>> = r.bins.iter().map(|b| b.goods.map(|x| x as f64)).collect();
    let bads: Option<Vec<f64>> = r.bins.iter().map(|b| b.bads.map(|x| x as f64)).collect();
    let (Some(goods), Some(bads)) = (goods, bads) else {
        return Ok(None);
    };
    let to_f64 = |v: &Vec<u64>| v.iter().map(|&x| x as f64).collect::<Vec<f64>>();
    let dev = f
        .goods
        .as_ref()
        .zip(f.bads.as_ref())
        .map(|(g, b)| (to_f64(g), to_f64(b)));
    let dev_ref = dev.as_ref().map(|(g, b)| (g.as_slice(), b.as_slice()));
    let meta = ScoreMeta::from_development(0, f.bins.regular_bins(), dev_ref, a.alpha);
    let result = backtest(&meta, &goods, &bads, a.alpha, a.method);
    let state = result
        .decline
        .as_ref()
        .map(|d| gini_decline_state(DriftState::Ok, d, a.thresholds));
    Ok(Some(BacktestReport {
        feature: name.to_string(),
        labels: f.labels.clone(),
        meta,
        result,
        state,
        thresholds: a.thresholds,
    }))
}

pub(super) fn backtest_json(b: &BacktestReport) -> Value {
    let r = &b.result;
    let calibration = r.calibration.as_ref().ok().map(|c| {
        let bands: Vec<Value> = r
            .bands
            .iter()
            .zip(&c.bands)
            .map(|(&i, band)| {
                let mut v = serde_json::to_value(band).unwrap_or(Value::Null);
                v["label"] = json!(b.labels.get(i));
                v
            })
            .collect();
        json!({
            "hosmer_lemeshow": c.hosmer_lemeshow,
            "hl_df": c.hl_df,
            "hl_pvalue": c.hl_pvalue,
            "light": c.light,
            "bands": bands,
        })
    });
    json!({
        "feature": b.feature,
        "higher_score_is_riskier": b.meta.reversed,
        "unranked": r.unranked,
        "development": b.meta.development,
        "discrimination": r.discrimination.as_ref().ok(),
        "discrimination_error": r.discrimination.as_ref().err().map(|e| e.to_string()),
        "gini_decline": r.decline,
        "state": b.state,
        "thresholds": { "warning_gini_decline": b.thresholds.warning, "alert_gini_decline": b.thresholds.alert },
        "calibration": calibration,
        "calibration_error": r.calibration.as_ref().err().map(|e| e.to_string()),
    })
}

pub(super) fn render_backtest(b: &BacktestReport, alpha: f64, method: Adjustment) -> String {
    let r = &b.result;
    let direction = if b.meta.reversed {
        "a higher score is riskier"
    } else {
        "a higher score is safer"
    };
    let mut out = format!(
        "\nBack-testing of {} (ranked as development ranks it: {direction}; {} applications in special-value and missing bins not ranked)\n",
        b.feature, r.unranked
    );
    let mut rows = Vec::new();
    if let Some(d) = &b.meta.development {
        rows.push(discrimination_row("development", d));
    }
    match &r.discrimination {
        Ok(d) => rows.push(discrimination_row("sample", d)),
        Err(e) => out.push_str(&format!("no discrimination on the sample: {e}\n")),
    }
    let ci = format!("{} CI", pct(1.0 - alpha));
    out.push_str(&table(
        &[
            "", "AUC", "± SE", &ci, "Gini", "± SE", &ci, "KS", "goods", "bads",
        ],
        &rows,
    ));
    if let (Some(d), Some(state)) = (&r.decline, b.state) {
        let share = |x: Option<f64>| x.map_or("-".into(), pct);
        out.push_str(&format!(
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
        ));
    }
    match &r.calibration {
        Ok(c) => out.push_str(&render_calibration(b, c, alpha, method)),
        Err(e) => out.push_str(&format!("no calibration: {e}\n")),
    }
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
    c: &Calibration,
    alpha: f64,
    method: Adjustment,
) -> String {
    let rows: Vec<Vec<String>> = b
        .result
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
    let mut out = format!(
        "\nCalibration by score band (PD: the band's development bad rate; Jeffreys test, small p: the band defaults above its PD; AMBER at {q} <= {alpha}, RED at <= {})\n",
        alpha / 10.0
    );
    out.push_str(&table(
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
