//! `psimon frontier`: the Pareto frontier between the predictive IV of the features kept
//! and the IV (J) of a protected attribute in their bins, from a development sample; each
//! point with both sums' SEs, plain and robust (the protected term's upper confidence
//! bound held under the bound). Table, JSON or an HTML page with the chart.

use anyhow::{Result, bail};
use serde_json::{Value, json};

use super::binned_read::DevSample;
use super::fmt::{emit, num, table};
use crate::binning::BinSpec;
use crate::frontier::{FeatureBins, Objective, Point, Rows, Variant, frontier, select, variants};
use crate::stats::DEFAULT_ALPHA;
use crate::stats::special::normal_upper_quantile;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum FrontierFormat {
    Table,
    Json,
    Html,
}

/// The arguments of `psimon frontier`.
#[derive(clap::Args)]
pub(crate) struct FrontierCli {
    #[command(flatten)]
    sample: DevSample,
    /// The protected attribute's column.
    #[arg(long)]
    protected: String,
    /// Its reference group's value.
    #[arg(long)]
    reference: String,
    /// The protected groups' values (default: every value but the reference).
    #[arg(long, value_delimiter = ',')]
    groups: Option<Vec<String>>,
    /// The bounds on the protected IV to trace (default: 0 and `--points` - 1 bounds
    /// doubling up to the protected IV of the unconstrained choice).
    #[arg(long, value_delimiter = ',')]
    bounds: Option<Vec<f64>>,
    #[arg(long, default_value_t = 11)]
    points: usize,
    /// Most merges of adjacent bins tried per feature (0: whole features only).
    #[arg(long, default_value_t = 8)]
    max_merges: usize,
    /// One-sided level of the robust variant's upper bound and of the points' bounds.
    #[arg(long, default_value_t = DEFAULT_ALPHA)]
    alpha: f64,
    #[arg(long, value_enum, default_value = "table")]
    format: FrontierFormat,
}

impl FrontierCli {
    pub(super) fn run(self) -> Result<()> {
        if !(self.alpha > 0.0 && self.alpha < 1.0) {
            bail!("--alpha must lie in (0, 1), got {}", self.alpha);
        }
        let model = self.sample.model()?;
        let read = self.sample.read(&model, Some(&self.protected))?;
        let group = self.groups_of(read.protected.as_deref().unwrap_or_default())?;
        let rows = Rows {
            bins: &read.sample.rows,
            bad: &read.sample.bad,
            group: &group,
        };
        let features: Vec<FeatureBins> = model
            .features
            .iter()
            .map(|f| FeatureBins {
                name: f.name.clone(),
                labels: f.labels.clone(),
                ordinary: match &f.bins {
                    BinSpec::Numeric { edges, .. } => edges.len() + 1,
                    BinSpec::Categorical { levels } => levels.len(),
                },
            })
            .collect();
        let all = variants(rows, &features, self.max_merges);
        let z = normal_upper_quantile(self.alpha);
        let plain = Objective { z, robust: false };
        let robust = Objective { z, robust: true };
        let bounds = match &self.bounds {
            Some(b) => b.clone(),
            None => self.default_bounds(&all, plain)?,
        };
        let doc = json!({
            "psimon_version": env!("CARGO_PKG_VERSION"),
            "input": self.sample.input.display().to_string(),
            "rows": read.sample.rows.len(),
            "protected": {"column": self.protected, "reference": self.reference,
                "protected_rows": group.iter().filter(|g| **g == Some(true)).count(),
                "reference_rows": group.iter().filter(|g| **g == Some(false)).count()},
            "alpha": self.alpha,
            "features": features.iter().map(|f| &f.name).collect::<Vec<_>>(),
            "variants": all,
            "frontier": points_json(&all, &frontier(rows, &all, &bounds, plain)?),
            "robust_frontier": points_json(&all, &frontier(rows, &all, &bounds, robust)?),
        });
        match self.format {
            FrontierFormat::Json => emit(&(serde_json::to_string_pretty(&doc)? + "\n"))?,
            FrontierFormat::Table => emit(&render(&doc))?,
            FrontierFormat::Html => emit(&crate::render::frontier_html(&doc))?,
        }
        Ok(())
    }

    /// Per row: protected (true), reference (false) or neither (missing, or a value
    /// outside `--groups`).
    fn groups_of(&self, values: &[Option<String>]) -> Result<Vec<Option<bool>>> {
        let group: Vec<Option<bool>> = values
            .iter()
            .map(|v| {
                let v = v.as_deref()?;
                if v == self.reference {
                    Some(false)
                } else {
                    let listed = self
                        .groups
                        .as_ref()
                        .is_none_or(|g| g.iter().any(|x| x == v));
                    listed.then_some(true)
                }
            })
            .collect();
        for (side, name) in [
            (false, "the reference group"),
            (true, "the protected groups"),
        ] {
            if !group.contains(&Some(side)) {
                bail!(
                    "{}: no row of {name} in column \"{}\"",
                    self.sample.input.display(),
                    self.protected
                );
            }
        }
        Ok(group)
    }

    /// 0, then bounds doubling up to the protected IV the unconstrained choice has: the
    /// tolerances that matter (0.02-0.1) are seen even where one feature's protected IV
    /// is in the tens.
    fn default_bounds(&self, all: &[Variant], plain: Objective) -> Result<Vec<f64>> {
        // The unconstrained choice's protected IV: no SE needed, so no pass over the rows.
        let max: f64 = select(all, f64::MAX, plain)?
            .iter()
            .map(|&i| all[i].protected_iv.value)
            .sum();
        let n = self.points.max(2);
        let mut bounds = vec![0.0];
        bounds.extend((0..n - 1).map(|i| max / 2f64.powi((n - 2 - i) as i32)));
        Ok(bounds)
    }
}

/// The points with the chosen variants named: `feature` or `feature (k bins)` when merged.
fn points_json(all: &[Variant], points: &[Point]) -> Value {
    Value::Array(
        points
            .iter()
            .map(|p| {
                let mut v = serde_json::to_value(p).unwrap_or(Value::Null);
                v["features"] = json!(
                    p.chosen
                        .iter()
                        .map(|&i| variant_name(&all[i]))
                        .collect::<Vec<_>>()
                );
                v
            })
            .collect(),
    )
}

fn variant_name(v: &Variant) -> String {
    let merged = v.labels.len() < v.groups.len();
    if merged {
        format!("{} ({} bins)", v.name, v.labels.len())
    } else {
        v.name.clone()
    }
}

/// Of the kept names (`feature` or `feature (k bins)`), those merged; and the features of
/// `all` not kept at all.
fn changes<'a>(all: &'a [String], kept: &[&'a str]) -> (Vec<&'a str>, Vec<&'a str>) {
    let merged = kept
        .iter()
        .copied()
        .filter(|k| k.ends_with(" bins)"))
        .collect();
    let base = |k: &str| k.split(" (").next().unwrap_or(k).to_string();
    let kept_features: Vec<String> = kept.iter().map(|k| base(k)).collect();
    let left_out = all
        .iter()
        .filter(|f| !kept_features.contains(f))
        .map(String::as_str)
        .collect();
    (merged, left_out)
}

/// One frontier as a table of each point's sums, then per point what it leaves out and
/// merges (the text does not fit a column).
fn frontier_table(points: &[Value], all: &[String]) -> String {
    let mut notes = String::new();
    let rows: Vec<Vec<String>> = points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let f = |a: &str, b: &str| p[a][b].as_f64().unwrap_or(f64::NAN);
            let kept: Vec<&str> = p["features"]
                .as_array()
                .map_or(&[][..], Vec::as_slice)
                .iter()
                .filter_map(Value::as_str)
                .collect();
            let (merged, left_out) = changes(all, &kept);
            let left_out = if left_out.len() == all.len() {
                "every feature".to_string()
            } else if left_out.is_empty() {
                "none".to_string()
            } else {
                left_out.join(", ")
            };
            notes.push_str(&format!("  {}: left out {left_out}", i + 1));
            if !merged.is_empty() {
                notes.push_str(&format!("; merged {}", merged.join(", ")));
            }
            notes.push('\n');
            vec![
                (i + 1).to_string(),
                num(p["bound"].as_f64().unwrap_or(f64::NAN)),
                format!(
                    "{} ± {}",
                    num(f("predictive_iv", "value")),
                    num(f("predictive_iv", "se"))
                ),
                format!(
                    "{} ± {}",
                    num(f("protected_iv", "value")),
                    num(f("protected_iv", "se"))
                ),
                num(p["protected_iv_upper"].as_f64().unwrap_or(f64::NAN)),
            ]
        })
        .collect();
    table(
        &[
            "point",
            "bound",
            "predictive IV",
            "protected IV",
            "upper bound",
        ],
        &rows,
    ) + &notes
}

fn render(doc: &Value) -> String {
    let all: Vec<String> = doc["features"]
        .as_array()
        .map_or(&[][..], Vec::as_slice)
        .iter()
        .filter_map(|f| f.as_str().map(String::from))
        .collect();
    let mut out = format!(
        "frontier of {} rows: {} protected, {} reference ({} = {}); features: {}\n",
        doc["rows"],
        doc["protected"]["protected_rows"],
        doc["protected"]["reference_rows"],
        doc["protected"]["column"].as_str().unwrap_or(""),
        doc["protected"]["reference"].as_str().unwrap_or(""),
        all.join(", ")
    );
    for (key, title) in [
        ("frontier", "protected IV at most the bound"),
        (
            "robust_frontier",
            "robust: the protected IVs' upper bounds at most the bound",
        ),
    ] {
        out.push_str(&format!("\n{title}:\n"));
        let points = doc[key].as_array().map_or(&[][..], Vec::as_slice);
        out.push_str(&frontier_table(points, &all));
    }
    out
}
