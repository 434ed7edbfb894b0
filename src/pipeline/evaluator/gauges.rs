//! A sink of the evaluation: the Prometheus gauges of every series. Reads an
//! [`Evaluation`]; computes nothing.

use super::backtest::ScoreBacktest;
use super::evaluation::{Evaluation, OutcomeWindowEvaluation, WindowEvaluation};
use super::fairness::FairnessWindowEvaluation;
use crate::evaluate::ModelMeta;
use crate::output::backtest_metrics::BacktestMetrics;
use crate::output::metrics::Metrics;
use crate::output::series_metrics::SeriesMetrics;
use crate::pipeline::plan::{FairnessPlan, Plan};

/// Sets every gauge the evaluation has a value for.
pub(super) fn record(metrics: &Metrics, plan: &Plan, e: &Evaluation) {
    for (model, me) in plan.models.iter().zip(&e.models) {
        for ((wname, _), we) in plan.windows.iter().zip(&me.windows) {
            window(&metrics.series, model, wname, we);
            if let Some(Ok(e)) = &we.expected {
                metrics.backtest.record_expected(&[&model.name, wname], e);
            }
        }
        if let Some(o) = &plan.outcomes {
            for ((wname, _), ow) in o.windows.iter().zip(&me.outcome_windows) {
                outcome_window(&metrics.series, model, wname, ow);
                if let Some(sb) = &ow.backtest {
                    backtest(&metrics.backtest, model, wname, sb);
                }
            }
        }
    }
    for (c, ce) in plan.fairness.iter().zip(&e.fairness) {
        for ((wname, _), fw) in plan.windows.iter().zip(&ce.windows) {
            fairness_window(metrics, &plan.models[c.model], c, wname, fw);
        }
    }
    metrics
        .last_evaluation_timestamp
        .set(e.at_ms as f64 / 1000.0);
}

fn window(metrics: &SeriesMetrics, model: &ModelMeta, wname: &str, we: &WindowEvaluation) {
    metrics
        .window_applications
        .with_label_values(&[&model.name, wname])
        .set(we.coverage.applications as i64);
    for (f, share) in &we.new_levels {
        let meta = &model.features[*f];
        let labels = [&model.name, &meta.name, wname, meta.binning.as_str()];
        let gauges = &metrics.new_levels;
        let applications = gauges.applications.with_label_values(&labels);
        applications.set(share.new as i64);
        if let Some(s) = share.share {
            gauges.share.with_label_values(&labels).set(s);
        }
    }
    for f in &we.features {
        let meta = &model.features[f.eval.feature];
        let labels = [
            model.name.as_str(),
            meta.name.as_str(),
            wname,
            meta.binning.as_str(),
        ];
        metrics
            .feature_missing_ratio
            .with_label_values(&labels)
            .set(f.eval.missing_ratio);
        let (Ok(psi), Some(v)) = (&f.eval.psi, &f.verdict) else {
            continue;
        };
        metrics.record_psi(&labels, psi);
        metrics.divergence.record(&labels, &f.eval.divergences);
        metrics
            .feature_psi_p_value_adjusted
            .with_label_values(&labels)
            .set(v.p_adjusted);
        metrics
            .feature_drift_state
            .with_label_values(&labels)
            .set(v.state as i64);
    }
}

fn outcome_window(
    metrics: &SeriesMetrics,
    model: &ModelMeta,
    wname: &str,
    ow: &OutcomeWindowEvaluation,
) {
    for (outcome, n) in [("good", ow.goods), ("bad", ow.bads)] {
        metrics
            .window_outcomes
            .with_label_values(&[&model.name, wname, outcome])
            .set(n as i64);
    }
    for s in &ow.series {
        let meta = &model.features[s.feature];
        let labels = [
            model.name.as_str(),
            meta.name.as_str(),
            wname,
            meta.binning.as_str(),
        ];
        if let Ok(iv) = &s.iv {
            let inf = &iv.inference;
            for (gauge, value) in [
                (&metrics.feature_iv, iv.iv),
                (&metrics.feature_iv_stderr, inf.se),
                (&metrics.feature_iv_ci_ncx2_lower, inf.ci_ncx2_lower),
                (&metrics.feature_iv_ci_ncx2_upper, inf.ci_ncx2_upper),
                (&metrics.feature_iv_p_value, inf.chi2_pvalue),
            ] {
                gauge.with_label_values(&labels).set(value);
            }
        }
        if let (Some(c), Some(state)) = (&s.change, s.drop_state) {
            metrics
                .feature_iv_drop
                .with_label_values(&labels)
                .set(c.drop);
            metrics
                .feature_iv_drop_state
                .with_label_values(&labels)
                .set(state as i64);
        }
    }
}

fn backtest(metrics: &BacktestMetrics, model: &ModelMeta, wname: &str, sb: &ScoreBacktest) {
    let labels = [model.name.as_str(), wname];
    let r = &sb.result;
    if let Ok(d) = &r.discrimination {
        metrics.record_discrimination(&labels, d);
    }
    if let (Some(d), Some((_, state))) = (&r.decline, sb.verdict) {
        metrics
            .gini_decline
            .with_label_values(&labels)
            .set(d.decline);
        metrics
            .gini_decline_state
            .with_label_values(&labels)
            .set(state as i64);
    }
    if let (Ok(c), Some(score)) = (&r.calibration, &model.score) {
        let names = &model.features[score.feature].labels;
        let bands: Vec<&str> = r.bands.iter().map(|&i| names[i].as_str()).collect();
        metrics.record_calibration(&labels, &bands, c);
    }
}

fn fairness_window(
    metrics: &Metrics,
    model: &ModelMeta,
    c: &FairnessPlan,
    wname: &str,
    fw: &FairnessWindowEvaluation,
) {
    let gauges = &metrics.fairness;
    let names = std::iter::once(&c.reference).chain(&c.groups);
    let sums = std::iter::once(&fw.reference).chain(fw.groups.iter().map(|g| &g.counts));
    for (name, n) in names.zip(sums) {
        gauges
            .applications
            .with_label_values(&[&model.name, &c.name, wname, name])
            .set(n.iter().sum::<f64>() as i64);
    }
    for g in fw.groups.iter().filter(|_| fw.evaluated) {
        let (Ok(stats), Some(state)) = (&g.stats, g.state) else {
            continue;
        };
        let labels = [
            model.name.as_str(),
            c.name.as_str(),
            wname,
            &c.groups[g.group],
        ];
        gauges.record(&labels, stats);
        gauges.state.with_label_values(&labels).set(state as i64);
    }
}
