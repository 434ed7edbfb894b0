//! `psimon report --divergences`: the divergence family of each series (current sample
//! against the baseline, on the series' bins), in the JSON document and as a text table.
//! Only assembles; the statistics are `stats::family`'s.

use serde_json::Value;

use super::super::fmt::{TableStyle, num, pval, table_as};
use crate::evaluate::batch::FeatureReport;
use crate::stats::family::by_name;
use crate::stats::{DivergenceStats, FamilyOptions, PsiOptions, family};

/// The family of one series, or `None` when its counts cannot give one (an empty sample:
/// the PSI's error says why).
fn of(r: &FeatureReport, psi: PsiOptions) -> Option<Vec<DivergenceStats>> {
    let (current, baseline) = (r.current_counts(), r.baseline_counts());
    let opts = FamilyOptions {
        alpha: psi.alpha,
        second_fixed: psi.baseline_fixed,
    };
    family(&current, &baseline, opts).ok()
}

/// `{measure: {value, se, ...}}` of one series, as `psimon stats --divergences` writes it.
pub(super) fn json(r: &FeatureReport, psi: PsiOptions) -> Option<Value> {
    of(r, psi).map(|stats| by_name(&stats))
}

/// One row per series and measure: value, SE, interval and the no-drift p-value.
pub(super) fn render(reports: &[FeatureReport], psi: PsiOptions, style: TableStyle) -> String {
    let rows: Vec<Vec<String>> = reports
        .iter()
        .filter_map(|r| Some((r, of(r, psi)?)))
        .flat_map(|(r, stats)| {
            stats.into_iter().map(move |s| {
                vec![
                    series_name(r),
                    s.measure.name().to_string(),
                    num(s.value),
                    num(s.se),
                    format!("[{}, {}]", num(s.ci_lower), num(s.ci_upper)),
                    pval(s.chi2_pvalue),
                ]
            })
        })
        .collect();
    format!(
        "\nDivergences of now against the baseline (p = now, q = baseline):\n{}",
        table_as(
            style,
            &[
                "feature",
                "measure",
                "value",
                "± SE",
                "interval",
                "p (no drift)"
            ],
            &rows
        )
    )
}

fn series_name(r: &FeatureReport) -> String {
    match r.binning {
        crate::evaluate::Binning::Scorecard => r.name.clone(),
        crate::evaluate::Binning::Population => format!("{} (population)", r.name),
    }
}
