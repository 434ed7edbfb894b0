//! `psimon frontier`: the Pareto frontier between the predictive IV of the features kept
//! and the IV (J) of a protected attribute in their bins, from a development sample; each
//! point with both sums' SEs, plain and robust (the protected term's upper confidence
//! bound held under the bound). Table, JSON or an HTML page with the chart.

use std::path::PathBuf;

use anyhow::{Result, bail};
use serde_json::{Value, json};

use super::binned_read::read_binned;
use super::fmt::{emit, num, table};
use crate::binning::{BaselineFile, BinSpec};
use crate::frontier::{FeatureBins, Objective, Point, Rows, Variant, frontier, variants};
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
    /// Baseline file: its scorecard bins are the candidates' starting bins.
    #[arg(long)]
    baseline: PathBuf,
    /// Development sample (.csv or .jsonl) with the target and the protected attribute.
    #[arg(long)]
    input: PathBuf,
    #[arg(long)]
    target: String,
    #[arg(long)]
    bad_value: Option<String>,
    #[arg(long)]
    model: Option<String>,
    /// Only these features (default: all of the model's but `score`).
    #[arg(long, value_delimiter = ',')]
    features: Option<Vec<String>>,
    /// The protected attribute's column.
    #[arg(long)]
    protected: String,
    /// Its reference group's value.
    #[arg(long)]
    reference: String,
    /// The protected groups' values (default: every value but the reference).
    #[arg(long, value_delimiter = ',')]
    groups: Option<Vec<String>>,
    /// The bounds on the protected IV to trace (default: `--points` from 0 to the protected
    /// IV of the unconstrained choice).
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
        let file = BaselineFile::load(&self.baseline)?;
        let mut model = super::report_cmd::select_model(
            &file,
            self.model.as_deref(),
            self.features.as_deref(),
        )?;
        if self.features.is_none() {
            model
                .features
                .retain(|f| f.name != crate::config::SCORE_FEATURE);
        }
        let read = read_binned(
            &self.input,
            &model,
            &self.target,
            self.bad_value.as_deref(),
            Some(&self.protected),
        )?;
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
            None => self.default_bounds(rows, &all, plain)?,
        };
        let doc = json!({
            "psimon_version": env!("CARGO_PKG_VERSION"),
            "input": self.input.display().to_string(),
            "rows": read.sample.rows.len(),
            "protected": {"column": self.protected, "reference": self.reference,
                "protected_rows": group.iter().filter(|g| **g == Some(true)).count(),
                "reference_rows": group.iter().filter(|g| **g == Some(false)).count()},
            "alpha": self.alpha,
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
                    self.input.display(),
                    self.protected
                );
            }
        }
        Ok(group)
    }

    /// `--points` bounds from 0 to the protected IV the unconstrained choice has.
    fn default_bounds(
        &self,
        rows: Rows<'_>,
        all: &[Variant],
        plain: Objective,
    ) -> Result<Vec<f64>> {
        let top = frontier(rows, all, &[f64::MAX], plain)?;
        let max = top[0].protected_iv.value;
        let n = self.points.max(2);
        Ok((0..n).map(|i| max * i as f64 / (n - 1) as f64).collect())
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

fn render(doc: &Value) -> String {
    let mut out = format!(
        "frontier of {} rows: {} protected, {} reference ({} = {})\n",
        doc["rows"],
        doc["protected"]["protected_rows"],
        doc["protected"]["reference_rows"],
        doc["protected"]["column"].as_str().unwrap_or(""),
        doc["protected"]["reference"].as_str().unwrap_or("")
    );
    for (key, title) in [
        ("frontier", "protected IV at most the bound"),
        (
            "robust_frontier",
            "robust: the protected IVs' upper bounds at most the bound",
        ),
    ] {
        out.push_str(&format!("\n{title}:\n"));
        let rows: Vec<Vec<String>> = doc[key]
            .as_array()
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .map(|p| {
                let f = |a: &str, b: &str| p[a][b].as_f64().unwrap_or(f64::NAN);
                let names: Vec<&str> = p["features"]
                    .as_array()
                    .map_or(&[][..], Vec::as_slice)
                    .iter()
                    .filter_map(Value::as_str)
                    .collect();
                vec![
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
                    names.join(", "),
                ]
            })
            .collect();
        out.push_str(&table(
            &[
                "bound",
                "predictive IV",
                "protected IV",
                "upper bound",
                "features kept",
            ],
            &rows,
        ));
    }
    out
}
