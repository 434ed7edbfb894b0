//! What makes a `psimon report` fileable: its formats (table, JSON, Markdown, CSV), and the
//! header every format carries: psimon's version, the date, the baseline and sample, alpha,
//! the thresholds and the multiple-testing method. The statistics are elsewhere.

use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::super::fmt::TableStyle;
use super::{ReportArgs, Summary, adjusted, iv_drop_of, state_of};
use crate::evaluate::batch::FeatureReport;

/// `--format`: how the report is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ReportFormat {
    /// Aligned text tables.
    Table,
    Json,
    /// The text report with Markdown tables and headings, for a validation file.
    Markdown,
    /// One row per series with the report's header in columns.
    Csv,
    /// One self-contained page (inline CSS and SVG, no script) of the JSON document.
    Html,
}

impl ReportFormat {
    pub(super) fn style(self) -> TableStyle {
        match self {
            ReportFormat::Markdown => TableStyle::Markdown,
            _ => TableStyle::Text,
        }
    }
}

/// When the report was made (UTC), as RFC 3339 seconds.
pub(crate) fn timestamp(at: OffsetDateTime) -> String {
    at.replace_nanosecond(0)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

/// The thresholds and settings every format states.
pub(super) fn settings(a: &ReportArgs) -> Value {
    json!({
        "alpha": a.psi.alpha,
        "tau": a.psi.tau,
        "baseline_fixed": a.psi.baseline_fixed,
        "multiple_testing": a.multiple_testing.as_str(),
        "warning_psi": a.warning_psi,
        "alert_psi": a.alert_psi,
        "warning_iv_drop": a.iv_drop.0,
        "alert_iv_drop": a.iv_drop.1,
        "warning_gini_decline": a.gini_decline.0,
        "alert_gini_decline": a.gini_decline.1,
        "scaling": a.scaling,
    })
}

/// The header of the text and Markdown reports.
pub(super) fn header(s: &Summary<'_>) -> String {
    let a = s.args;
    let (title, item) = match s.style {
        TableStyle::Markdown => ("# psimon report\n\n", "- "),
        TableStyle::Text => ("", ""),
    };
    format!(
        "{title}{item}psimon {} report, made {} (UTC)\n{item}baseline {}  model {}\n{item}sample {}: {} rows\n{item}alpha {}, tau {}, multiple testing {}; drift warning/alert at PSI {}/{}, iv_drop at {}/{} and gini_decline at {}/{} of the development figure lost\n\n",
        env!("CARGO_PKG_VERSION"),
        s.generated,
        s.file.id,
        s.model.name,
        a.input.display(),
        s.rows,
        a.psi.alpha,
        a.psi.tau,
        a.multiple_testing.as_str(),
        a.warning_psi,
        a.alert_psi,
        a.iv_drop.0,
        a.iv_drop.1,
        a.gini_decline.0,
        a.gini_decline.1,
    )
}

/// A heading in the report's style.
pub(super) fn heading(style: TableStyle, text: &str) -> String {
    match style {
        TableStyle::Markdown => format!("\n### {text}\n"),
        TableStyle::Text => format!("\n{text}\n"),
    }
}

const CSV_COLUMNS: [&str; 22] = [
    "psimon_version",
    "generated_at",
    "baseline_id",
    "model",
    "input",
    "rows",
    "alpha",
    "multiple_testing",
    "warning_psi",
    "alert_psi",
    "feature",
    "binning",
    "bins",
    "psi",
    "psi_median_unbiased",
    "se",
    "ci_ncx2_lower",
    "ci_ncx2_upper",
    "psi_lower_bound",
    "chi2_pvalue",
    "p_value_adjusted",
    "state",
];

/// One row per series; the header's fields repeated in columns, so any CSV reader keeps
/// them with the figures.
pub(super) fn csv(s: &Summary<'_>, reports: &[FeatureReport]) -> anyhow::Result<String> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let mut header: Vec<&str> = CSV_COLUMNS.to_vec();
    header.extend([
        "null_mean",
        "tau_pvalue_ncx2",
        "missing_ratio",
        "iv",
        "iv_se",
        "iv_drop",
    ]);
    w.write_record(&header)?;
    let a = s.args;
    let q = adjusted(reports, a.multiple_testing);
    for (r, q) in reports.iter().zip(q) {
        let mut row = vec![
            env!("CARGO_PKG_VERSION").to_string(),
            s.generated.clone(),
            s.file.id.clone(),
            s.model.name.clone(),
            a.input.display().to_string(),
            s.rows.to_string(),
            text(a.psi.alpha),
            a.multiple_testing.as_str().to_string(),
            text(a.warning_psi),
            text(a.alert_psi),
            r.name.clone(),
            r.binning.as_str().to_string(),
            r.bins.len().to_string(),
        ];
        row.extend(psi_cells(r, q, a));
        row.push(text(r.missing_ratio));
        row.extend(iv_cells(r, a));
        w.write_record(&row)?;
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}

/// A number as CSV cell: shortest round-trip form, exponent for tiny and huge values.
fn text(x: f64) -> String {
    format!("{x:?}")
}

fn psi_cells(r: &FeatureReport, q: Option<f64>, a: &ReportArgs) -> Vec<String> {
    let Ok(p) = &r.psi else {
        return vec![String::new(); 11];
    };
    let i = &p.inference;
    vec![
        text(p.psi),
        text(i.median_unbiased),
        text(i.se),
        text(i.ci_ncx2_lower),
        text(i.ci_ncx2_upper),
        text(i.ncx2_lower_bound),
        text(i.chi2_pvalue),
        q.map_or(String::new(), text),
        q.map_or(String::new(), |q| state_of(p, q, a).as_str().to_string()),
        text(i.null_mean),
        text(p.tolerance.tau_pvalue_ncx2),
    ]
}

fn iv_cells(r: &FeatureReport, a: &ReportArgs) -> Vec<String> {
    let iv = r.iv.as_ref().and_then(|iv| iv.as_ref().ok());
    let drop = r.iv_change.as_ref().map(|c| iv_drop_of(c, a));
    vec![
        iv.map_or(String::new(), |iv| text(iv.iv)),
        iv.map_or(String::new(), |iv| text(iv.inference.se)),
        drop.map_or(String::new(), |d| d.as_str().to_string()),
    ]
}
