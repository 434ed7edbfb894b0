//! `psimon report --points scorecard.csv`: characteristic analysis in points. Reads the
//! points per bin `psimon scorecard` writes (columns feature, bin, label, ..., points),
//! checks them against the baseline's scorecard bins (every problem listed), and gives
//! each feature's mean points now against the baseline, with the shift's SE.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use super::super::fmt::{TableStyle, num, table_as};
use crate::binning::ModelBaseline;
use crate::evaluate::Binning;
use crate::evaluate::batch::FeatureReport;
use crate::evaluate::characteristic::{Characteristic, characteristic};
use crate::stats::PsiOptions;

/// Per feature, the points of each of its scorecard bins.
pub(super) type Points = BTreeMap<String, Vec<f64>>;

/// Reads and checks `path` against `model`'s scorecard bins.
pub(super) fn read(path: &Path, model: &ModelBaseline) -> Result<Points> {
    let mut r =
        csv::Reader::from_path(path).with_context(|| format!("reading {}", path.display()))?;
    let header: Vec<String> = r.headers()?.iter().map(String::from).collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .with_context(|| format!("{}: no column \"{name}\"", path.display()))
    };
    let (cf, cb, cl, cp) = (col("feature")?, col("bin")?, col("label")?, col("points")?);
    let mut rows: BTreeMap<String, Vec<(usize, String, f64)>> = BTreeMap::new();
    for (i, rec) in r.records().enumerate() {
        let rec = rec?;
        let line = i + 2;
        let field = |c: usize| rec.get(c).unwrap_or("").to_string();
        let bin: usize = field(cb)
            .parse()
            .with_context(|| format!("{}: line {line}: bin is not a number", path.display()))?;
        let points: f64 = field(cp)
            .parse()
            .with_context(|| format!("{}: line {line}: points is not a number", path.display()))?;
        rows.entry(field(cf))
            .or_default()
            .push((bin, field(cl), points));
    }
    let mut problems = Vec::new();
    let mut out = Points::new();
    for (feature, bins) in rows {
        let Some(f) = model.features.iter().find(|f| f.name == feature) else {
            problems.push(format!(
                "feature \"{feature}\" is not in the baseline's model \"{}\"",
                model.name
            ));
            continue;
        };
        let mut points = vec![f64::NAN; f.labels.len()];
        for (bin, label, p) in bins {
            match f.labels.get(bin) {
                Some(l) if *l == label => points[bin] = p,
                Some(l) => problems.push(format!(
                    "{feature} bin {bin}: label \"{label}\", the baseline's is \"{l}\""
                )),
                None => problems.push(format!(
                    "{feature} bin {bin}: the baseline's bins stop at {}",
                    f.labels.len() - 1
                )),
            }
        }
        if let Some(b) = points.iter().position(|p| p.is_nan()) {
            problems.push(format!(
                "{feature} bin {b} (\"{}\"): no points",
                f.labels[b]
            ));
        }
        out.insert(feature, points);
    }
    if !problems.is_empty() {
        bail!(
            "{} does not fit the baseline:\n  {}",
            path.display(),
            problems.join("\n  ")
        );
    }
    Ok(out)
}

/// The characteristic of a scorecard series with points.
pub(super) fn of(r: &FeatureReport, points: &Points, psi: PsiOptions) -> Option<Characteristic> {
    if r.binning != Binning::Scorecard {
        return None;
    }
    let p = points.get(&r.name)?;
    let (current, baseline) = (r.current_counts(), r.baseline_counts());
    characteristic(&current, &baseline, p, psi.alpha, psi.baseline_fixed)
}

/// Adds `characteristic` to each feature of the report document `doc` that has points.
pub(super) fn attach(doc: &mut Value, reports: &[FeatureReport], points: &Points, psi: PsiOptions) {
    let features = doc["features"].as_array_mut().into_iter().flatten();
    for (v, r) in features.zip(reports) {
        if let Some(c) = of(r, points, psi) {
            v["characteristic"] = json!(c);
        }
    }
}

/// One row per feature with points, and the mean score's move in all.
pub(super) fn render(
    reports: &[FeatureReport],
    points: &Points,
    psi: PsiOptions,
    style: TableStyle,
) -> String {
    let mut total = 0.0;
    let rows: Vec<Vec<String>> = reports
        .iter()
        .filter_map(|r| Some((r, of(r, points, psi)?)))
        .map(|(r, c)| {
            total += c.shift;
            vec![
                r.name.clone(),
                num(c.baseline_points),
                num(c.current_points),
                num(c.shift),
                num(c.se),
                format!("[{}, {}]", num(c.ci_lower), num(c.ci_upper)),
            ]
        })
        .collect();
    format!(
        "\nCharacteristic analysis in points (mean points per application):\n{}mean score moved by {} points in all (the features' shifts are not independent: no SE for the sum)\n",
        table_as(
            style,
            &["feature", "baseline", "now", "shift", "± SE", "interval"],
            &rows
        ),
        num(total)
    )
}
