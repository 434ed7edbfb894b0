//! The text and Markdown report's own tables: the summary of every series, IV against
//! development, and each series' bins (with bad rate and WoE when outcomes are known).
//! Reads the figures; computes none.

use super::super::fmt::{TableStyle, estimate_cells, num, pct, pval, table_as};
use super::{Summary, adjusted, document, iv_drop_of, state_of};
use crate::evaluate::batch::FeatureReport;
use crate::stats::divergence::per_bin;

/// IV now against development, per feature with baseline outcomes.
fn render_iv_change(s: &Summary<'_>, reports: &[FeatureReport]) -> String {
    let (w, a) = s.args.iv_drop;
    let share = |x: Option<f64>| x.map_or("n/a".into(), pct);
    let rows: Vec<Vec<String>> = reports
        .iter()
        .filter_map(|r| {
            let c = r.iv_change.as_ref()?;
            Some(vec![
                r.name.clone(),
                num(c.iv_development),
                num(c.iv_current),
                num(c.iv_development_debiased),
                num(c.iv_current_debiased),
                format!("{} ± {}", num(c.drop), num(c.drop_se)),
                share(c.relative_drop),
                share(c.relative_drop_lower_bound),
                pval(c.drop_pvalue),
                iv_drop_of(c, s.args).as_str().to_uppercase(),
            ])
        })
        .collect();
    if rows.is_empty() {
        return String::new();
    }
    let bound = format!("share ≥ ({})", pct(1.0 - s.args.psi.alpha));
    let mut out = document::heading(s.style, "IV against development");
    out.push_str(&table_as(
        s.style,
        &[
            "feature",
            "dev IV",
            "IV now",
            "dev debiased",
            "now debiased",
            "drop ± SE",
            "share lost",
            &bound,
            "p(no drop)",
            "iv_drop",
        ],
        &rows,
    ));
    out.push_str(&format!(
        "debiased: each IV less its noise floor (k-1)/n_eff (a small sample's IV is inflated and would hide a drop); drop = dev debiased - now debiased; share lost = drop / dev debiased, n/a when the development IV does not show information (its test of IV = 0 does not reject at alpha: nothing to lose); {bound}: its one-sided lower bound, which decides iv_drop: WARNING above {}, ALERT above {}.\n",
        pct(w),
        pct(a)
    ));
    out
}

pub(super) fn render(s: &Summary<'_>, reports: &[FeatureReport]) -> String {
    let mut out = document::header(s);
    let q = adjusted(reports, s.args.multiple_testing);
    let mut order: Vec<(&FeatureReport, Option<f64>)> = reports.iter().zip(q).collect();
    let psi_of = |r: &FeatureReport| r.psi.as_ref().map_or(f64::NEG_INFINITY, |p| p.psi);
    order.sort_by(|a, b| psi_of(b.0).total_cmp(&psi_of(a.0)));
    let with_iv = s.args.target.is_some();
    let rows: Vec<Vec<String>> = order
        .iter()
        .map(|(r, q)| summary_row(s, r, *q, with_iv))
        .collect();
    // The p-value of H0: PSI <= tau, named by its hypothesis: a small value shows PSI > tau.
    let tau = format!("p(PSI<={})", num(s.args.psi.tau));
    let adj = format!("q ({})", s.args.multiple_testing.as_str());
    let bound = format!("PSI ≥ ({})", pct(1.0 - s.args.psi.alpha));
    let mut header = vec![
        "feature",
        "binning",
        "bins",
        "PSI",
        "± SE",
        "CI (ncx2)",
        "chi2 p",
        adj.as_str(),
        "floor",
        bound.as_str(),
        tau.as_str(),
        "state",
        "missing",
    ];
    if with_iv {
        header.push("IV ± SE");
    }
    out.push_str(&table_as(s.style, &header, &rows));
    out.push_str(&format!(
        "\nPSI: the median-unbiased estimate, which belongs to the interval (the plug-in PSI is in the JSON). CI (ncx2): {} noncentral chi-square interval. chi2 p: test of no drift; {adj}: adjusted for the {} series tested together. floor: PSI expected with no drift, (k-1)/n_eff. ",
        pct(1.0 - s.args.psi.alpha),
        reports.len()
    ));
    out.push_str(&format!(
        "{bound}: one-sided lower confidence bound. {tau}: p-value of H0: PSI <= tau (noncentral); at most alpha exactly when {bound} is above tau. state: as the monitor decides it, WARNING when {adj} is at most {} and {bound} is above {} (--warning-psi), ALERT likewise above {} (--alert-psi). binning: the scorecard's bins (did the model's inputs move) or the baseline's population bins (did the population change).\n",
        s.args.psi.alpha,
        num(s.args.warning_psi),
        num(s.args.alert_psi)
    ));
    if let Some(t) = &s.args.target {
        out.push_str(&format!(
            "target {t}: {} rows with an outcome, {} without\n",
            s.rows_with_target, s.missing_target
        ));
        out.push_str(&render_iv_change(s, reports));
    }
    for (r, _) in order {
        out.push_str(&bins_table(s.style, r));
    }
    out
}

/// One feature's line of the summary table.
fn summary_row(s: &Summary<'_>, r: &FeatureReport, q: Option<f64>, with_iv: bool) -> Vec<String> {
    let mut row = vec![
        r.name.clone(),
        r.binning.as_str().to_string(),
        r.bins.len().to_string(),
    ];
    match &r.psi {
        Ok(p) => row.extend(estimate_cells(&p.inference).into_iter().chain([
            q.map_or(String::new(), pval),
            num(p.inference.null_mean),
            num(p.inference.ncx2_lower_bound),
            pval(p.tolerance.tau_pvalue_ncx2),
            q.map_or(String::new(), |q| {
                state_of(p, q, s.args).as_str().to_uppercase()
            }),
        ])),
        Err(e) => row.extend([
            format!("error: {e}"),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
        ]),
    }
    row.push(pct(r.missing_ratio));
    if with_iv {
        row.push(match &r.iv {
            Some(Ok(iv)) => format!("{} ± {}", num(iv.iv), num(iv.inference.se)),
            Some(Err(e)) => format!("error: {e}"),
            None => "-".into(),
        });
    }
    row
}

/// One feature's bins: baseline and current counts and shares, each bin's contribution.
fn bins_table(style: TableStyle, r: &FeatureReport) -> String {
    let mut out = document::heading(style, &format!("{} ({} bins)", r.name, r.binning.as_str()));
    let outcomes = outcome_columns(r);
    let rows: Vec<Vec<String>> = r
        .bins
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let mut row = vec![
                b.label.clone(),
                b.baseline_count.to_string(),
                pct(b.baseline_share),
                b.current_count.to_string(),
                pct(b.current_share),
                b.contrib.map_or("dropped".into(), num),
            ];
            if let Some(columns) = &outcomes {
                row.extend(columns.iter().map(|c| c[i].clone()));
            }
            row
        })
        .collect();
    let mut header = vec!["bin", "baseline", "share", "current", "share", "contrib"];
    if outcomes.is_some() {
        header.extend(["bad rate dev", "bad rate now", "WoE dev", "WoE now"]);
    }
    out.push_str(&table_as(style, &header, &rows));
    out.push_str(&crate::cli::baseline_cmd::other_members(&r.other_levels));
    if let Some(n) = &r.new_levels {
        let top: Vec<String> = n
            .top
            .iter()
            .map(|(level, _, share)| format!("{level} {}", pct(*share)))
            .collect();
        out.push_str(&format!(
            "levels never seen in development: {} of rows ({})\n",
            pct(n.share),
            top.join(", ")
        ));
    }
    out
}

/// With a target and development outcomes: per bin the bad rate and WoE at development
/// and now (WoE as the IV core smooths it; `-` for a bin it dropped).
fn outcome_columns(r: &FeatureReport) -> Option<[Vec<String>; 4]> {
    let (Some(Ok(now)), Some(dev)) = (&r.iv, &r.development_iv) else {
        return None;
    };
    let rate = |g: f64, b: f64| {
        if g + b > 0.0 {
            pct(b / (g + b))
        } else {
            "-".into()
        }
    };
    let woe = |s: &crate::stats::IvStats| -> Vec<String> {
        per_bin(&s.woe, &s.dropped_bins, r.bins.len())
            .into_iter()
            .map(|w| w.map_or("-".into(), |w| format!("{w:.3}")))
            .collect()
    };
    let count = |x: Option<u64>| x.unwrap_or(0) as f64;
    let dev_rate = r
        .bins
        .iter()
        .map(|b| rate(count(b.baseline_goods), count(b.baseline_bads)))
        .collect();
    let now_rate = r
        .bins
        .iter()
        .map(|b| rate(count(b.goods), count(b.bads)))
        .collect();
    Some([dev_rate, now_rate, woe(dev), woe(now)])
}
