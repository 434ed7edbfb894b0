//! `psimon baseline`: bins from a development sample, written as a baseline file, with the
//! IV table (or, without a target, the bins) printed for review.

use super::Format;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use super::fmt::{emit, estimate_cells, num, pct, table};
use crate::binning::build::{BuildParams, Method, build_model, recount};
use crate::binning::stumps::StumpParams;
use crate::binning::{BaselineFile, FeatureBaseline, ModelBaseline};
use crate::data::RowReader;
use crate::data::sample::{DevSample, SampleRequest, load_sample};
use crate::stats::divergence::per_bin;
use crate::stats::{IvOptions, iv};

pub(crate) struct BaselineArgs {
    pub input: PathBuf,
    pub out: PathBuf,
    pub model: String,
    pub target: Option<String>,
    pub bad_value: Option<String>,
    pub features: Option<Vec<String>>,
    pub categorical: Vec<String>,
    pub special_values: Vec<f64>,
    pub method: Method,
    pub max_bins: usize,
    pub min_bin_share: f64,
    pub population_bins: usize,
    pub monotone: bool,
    /// The score column, binned by a stump fit of its own (`--score`).
    pub score: Option<String>,
    /// Share of the sample held out for the printed figures.
    pub holdout: Option<f64>,
    pub seed: u64,
    /// Print the figures as JSON instead of tables.
    pub json: bool,
}

/// The printed figures as JSON: per feature its bins and, with a target, its IV object.
fn figures_json(model: &ModelBaseline, figures: &str, rows: usize, figure_rows: usize) -> String {
    let to_f64 = |v: &[u64]| v.iter().map(|&c| c as f64).collect::<Vec<_>>();
    let features: Vec<serde_json::Value> = model
        .features
        .iter()
        .map(|f| {
            let iv = match (&f.goods, &f.bads) {
                (Some(g), Some(b)) => iv(&to_f64(g), &to_f64(b), IvOptions::default())
                    .ok()
                    .and_then(|s| serde_json::to_value(s).ok()),
                _ => None,
            };
            serde_json::json!({
                "name": f.name,
                "method": f.method,
                "labels": f.labels,
                "counts": f.counts,
                "iv": iv,
            })
        })
        .collect();
    let doc = serde_json::json!({
        "model": model.name,
        "rows": rows,
        "figures": figures,
        "figure_rows": figure_rows,
        "features": features,
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}

pub(crate) fn run(a: BaselineArgs) -> Result<()> {
    let features = feature_columns(&a)?;
    let req = SampleRequest {
        features: &features,
        categorical: &a.categorical,
        target: a.target.as_deref(),
        bad_value: a.bad_value.as_deref(),
    };
    let sample = load_sample(&a.input, &req)?;
    let params = BuildParams {
        method: a.method,
        max_bins: a.max_bins,
        min_bin_share: a.min_bin_share,
        monotone: a.monotone,
        special_values: a.special_values.clone(),
        stumps: StumpParams::default(),
        population_bins: a.population_bins,
        score: a.score.clone(),
    };
    let model = match a.holdout {
        None => {
            let model = build_model(&a.model, &sample, a.target.as_deref(), &params)?;
            if a.json {
                emit(&figures_json(&model, "in-sample", sample.rows, sample.rows))?;
            } else {
                emit(&render(
                    &model,
                    "in-sample: the bins were chosen on these rows, so the p-values are optimistic; --holdout F reports them on rows the binning never saw",
                    sample.rows,
                ))?;
            }
            model
        }
        Some(f) => with_holdout(&a, &sample, &params, f)?,
    };
    let file = BaselineFile::new(vec![model]);
    file.save(&a.out)?;
    if !a.json {
        let population: Vec<String> = file.models[0]
            .features
            .iter()
            .filter_map(|f| {
                f.population
                    .as_ref()
                    .map(|p| format!("{} {}", f.name, p.bins.bin_count()))
            })
            .collect();
        if !population.is_empty() {
            emit(&format!(
                "population bins (PSI watches these too, labelled binning=population): {}\n",
                population.join(", ")
            ))?;
        }
        emit(&(format!("baseline {} written to {}", file.id, a.out.display()) + "\n"))?;
    }
    Ok(())
}

/// The feature columns: the ones asked for, else every column but the target; refuses
/// flags that need a target without one.
fn feature_columns(a: &BaselineArgs) -> Result<Vec<String>> {
    let features = match &a.features {
        Some(f) => f.clone(),
        None => all_columns(&a.input, a.target.as_deref())?,
    };
    if features.is_empty() {
        bail!("{}: no feature columns", a.input.display());
    }
    if let Some(t) = &a.target
        && features.contains(t)
    {
        bail!("the target \"{t}\" is also listed as a feature");
    }
    if a.method == Method::Stumps && a.target.is_none() {
        bail!("--method stumps needs a target (--target COLUMN)");
    }
    if a.monotone && a.target.is_none() {
        bail!("--monotone needs a target (--target COLUMN)");
    }
    if let Some(score) = &a.score
        && !features.contains(score)
    {
        bail!(
            "--score {score}: not a feature column (features: {})",
            features.join(", ")
        );
    }
    if a.score.is_some() && a.method != Method::Stumps {
        bail!("--score keeps the score out of the joint stump fit: it needs --method stumps");
    }
    Ok(features)
}

/// Bins chosen on the rest of the sample, figures printed for the held-out share `f`; the
/// model of every row's counts in those bins.
fn with_holdout(
    a: &BaselineArgs,
    sample: &DevSample,
    params: &BuildParams,
    f: f64,
) -> Result<ModelBaseline> {
    if !(f > 0.0 && f < 1.0) {
        bail!("--holdout must lie strictly between 0 and 1, got {f}");
    }
    let (train, hold) = sample.split_holdout(f, a.seed);
    if train.is_empty() || hold.is_empty() {
        bail!("--holdout {f} leaves an empty part of {} rows", sample.rows);
    }
    let chosen = build_model(
        &a.model,
        &sample.subset(&train),
        a.target.as_deref(),
        params,
    )?;
    let held = recount(&chosen, &sample.subset(&hold));
    if a.json {
        emit(&figures_json(&held, "holdout", sample.rows, hold.len()))?;
    } else {
        emit(&render(
            &held,
            &format!(
                "holdout: bins chosen on {} rows, figures on the other {} ({}, seed {}); the file keeps the counts of all {} rows",
                train.len(),
                hold.len(),
                pct(f),
                a.seed,
                sample.rows
            ),
            sample.rows,
        ))?;
    }
    Ok(recount(&chosen, sample))
}

/// Every column of the file but the target: the CSV header, or the first JSON object's keys.
fn all_columns(path: &Path, target: Option<&str>) -> Result<Vec<String>> {
    let names = match RowReader::csv_headers(path)? {
        Some(h) => h,
        None => {
            let text =
                std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
            let mut first = String::new();
            std::io::BufRead::read_line(&mut std::io::BufReader::new(text), &mut first)?;
            let obj: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&first)
                .with_context(|| format!("{}, line 1: not a JSON object", path.display()))?;
            obj.keys().cloned().collect()
        }
    };
    Ok(names
        .into_iter()
        .filter(|n| Some(n.as_str()) != target)
        .collect())
}

fn render(model: &ModelBaseline, figures: &str, rows: usize) -> String {
    let mut out = format!(
        "model {}: {} applications, {} features\n",
        model.name,
        rows,
        model.features.len()
    );
    match &model.target {
        Some(t) => {
            out.push_str(&format!(
                "target {}: bad = \"{}\", good = \"{}\"\n\n",
                t.column, t.bad_value, t.good_value
            ));
            out.push_str(&format!("figures {figures}\n\n"));
            out.push_str(&iv_table(model));
        }
        None => {
            out.push('\n');
            for f in &model.features {
                out.push_str(&format!(
                    "{} ({} bins, {})\n",
                    f.name,
                    f.counts.len(),
                    f.method
                ));
                let total: u64 = f.counts.iter().sum();
                let rows: Vec<Vec<String>> = f
                    .labels
                    .iter()
                    .zip(&f.counts)
                    .map(|(l, &c)| vec![l.clone(), c.to_string(), pct(c as f64 / total as f64)])
                    .collect();
                out.push_str(&table(&["bin", "count", "share"], &rows));
                out.push('\n');
            }
        }
    }
    out
}

/// Features by IV, then each feature's bins with WoE ± SE.
fn iv_table(model: &ModelBaseline) -> String {
    let to_f64 = |v: &[u64]| v.iter().map(|&c| c as f64).collect::<Vec<_>>();
    let mut scored: Vec<(&FeatureBaseline, Option<crate::stats::IvStats>)> = model
        .features
        .iter()
        .map(|f| {
            let stats = match (&f.goods, &f.bads) {
                (Some(g), Some(b)) => iv(&to_f64(g), &to_f64(b), IvOptions::default()).ok(),
                _ => None,
            };
            (f, stats)
        })
        .collect();
    scored.sort_by(|a, b| {
        let v = |s: &Option<crate::stats::IvStats>| s.as_ref().map_or(f64::NEG_INFINITY, |s| s.iv);
        v(&b.1).total_cmp(&v(&a.1))
    });
    let rows: Vec<Vec<String>> = scored
        .iter()
        .map(|(f, s)| match s {
            Some(s) => {
                let mut row = vec![f.name.clone(), f.counts.len().to_string()];
                row.extend(estimate_cells(&s.inference));
                row.push(f.method.clone());
                row
            }
            None => vec![
                f.name.clone(),
                f.counts.len().to_string(),
                "-".into(),
                "-".into(),
                "-".into(),
                "-".into(),
                f.method.clone(),
            ],
        })
        .collect();
    let mut out = table(
        &[
            "feature",
            "bins",
            "IV",
            "± SE",
            "95% CI (ncx2)",
            "chi2 p",
            "binning",
        ],
        &rows,
    );
    for (f, s) in &scored {
        let Some(s) = s else { continue };
        out.push_str(&format!(
            "\n{}  IV {} ± {}\n",
            f.name,
            num(s.iv),
            num(s.inference.se)
        ));
        let goods = f.goods.as_deref().unwrap_or_default();
        let bads = f.bads.as_deref().unwrap_or_default();
        let woe = per_bin(&s.woe, &s.dropped_bins, f.counts.len());
        let woe_se = per_bin(&s.woe_se, &s.dropped_bins, f.counts.len());
        let rows: Vec<Vec<String>> = (0..f.counts.len())
            .map(|b| {
                let mut row = vec![
                    f.labels[b].clone(),
                    f.counts[b].to_string(),
                    goods[b].to_string(),
                    bads[b].to_string(),
                ];
                match (woe[b], woe_se[b]) {
                    (Some(w), Some(se)) => row.extend([num(w), num(se)]),
                    _ => row.extend(["-".to_string(), "-".to_string()]),
                }
                row
            })
            .collect();
        out.push_str(&table(
            &["bin", "count", "goods", "bads", "WoE", "± SE"],
            &rows,
        ));
        out.push_str(&other_members(&f.other_levels));
    }
    out.push('\n');
    out
}

/// What a categorical feature's OTHER bin held at development, when anything.
pub(super) fn other_members(levels: &[String]) -> String {
    if levels.is_empty() {
        String::new()
    } else {
        format!(
            "OTHER holds the development levels too rare for a bin: {}\n",
            levels.join(", ")
        )
    }
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum MethodArg {
    Quantile,
    Stumps,
}

/// The arguments of `psimon baseline`.
#[derive(clap::Args)]
pub(crate) struct BaselineCli {
    /// Development sample: .csv (with a header) or .jsonl.
    #[arg(long)]
    input: PathBuf,
    /// Where to write the baseline file.
    #[arg(long)]
    out: PathBuf,
    /// Name of the model in the baseline file.
    #[arg(long, default_value = "default")]
    model: String,
    /// Outcome column (two values); enables WoE/IV and the stumps method.
    #[arg(long)]
    target: Option<String>,
    /// The target value that marks a bad outcome (default: 1 of 0/1, true of false/true).
    #[arg(long)]
    bad_value: Option<String>,
    /// Feature columns (default: every column but the target).
    #[arg(long, value_delimiter = ',')]
    features: Option<Vec<String>>,
    /// Columns to treat as categorical even if their values are numbers.
    #[arg(long, value_delimiter = ',')]
    categorical: Vec<String>,
    /// Codes of numeric features that get a bin each, e.g. -999,-1.
    #[arg(long, value_delimiter = ',', allow_negative_numbers = true)]
    special_values: Vec<f64>,
    #[arg(long, value_enum, default_value = "quantile")]
    method: MethodArg,
    /// Most ordinary bins per feature (Missing, Other and special bins come on top).
    #[arg(long, default_value_t = 10)]
    max_bins: usize,
    /// Least share of a feature's ordinary rows a bin must hold.
    #[arg(long, default_value_t = 0.05)]
    min_bin_share: f64,
    /// Most equal-frequency population bins per numeric feature, written next to the
    /// scorecard bins (categorical: every level of at least --min-bin-share); 0: none.
    #[arg(long, default_value_t = crate::binning::population::DEFAULT_POPULATION_BINS)]
    population_bins: usize,
    /// Merge bins until WoE is monotone (needs --target).
    #[arg(long)]
    monotone: bool,
    /// The scorecard's score column: binned by a stump fit of its own, so that it does not
    /// take the joint fit's rounds from the other features (with --method stumps).
    #[arg(long)]
    score: Option<String>,
    /// Choose the bins on the rest and report IV, SE, interval and p-value on this share
    /// of the sample (seeded, stratified by the target); the file keeps full counts.
    #[arg(long)]
    holdout: Option<f64>,
    /// Seed of the holdout split.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// How the figures are printed (the baseline file is written either way).
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

impl BaselineCli {
    pub(super) fn run(self) -> Result<()> {
        run(BaselineArgs {
            input: self.input,
            out: self.out,
            model: self.model,
            target: self.target,
            bad_value: self.bad_value,
            features: self.features,
            categorical: self.categorical,
            special_values: self.special_values,
            method: match self.method {
                MethodArg::Quantile => Method::Quantile,
                MethodArg::Stumps => Method::Stumps,
            },
            max_bins: self.max_bins,
            min_bin_share: self.min_bin_share,
            population_bins: self.population_bins,
            monotone: self.monotone,
            score: self.score,
            holdout: self.holdout,
            seed: self.seed,
            json: self.format == Format::Json,
        })
    }
}
