//! `psimon report`: batch PSI (and IV with a target) of a sample file against a baseline.
//! Streams the file: memory does not grow with its size.

use crate::stats::{DEFAULT_ALPHA, DEFAULT_PSI_TAU};
use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::{Result, anyhow, bail};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Value, json};

use super::fmt::{TableStyle, emit};
use super::model_choice::select_model;
use crate::binning::{BaselineFile, BinError, ModelBaseline};
use crate::data::error::excerpt;
use crate::data::target::TargetClasses;
use crate::data::{DataError, RowReader};
use crate::evaluate::batch::{BatchCounter, FeatureReport};
use crate::evaluate::{DriftState, ShareThresholds, Thresholds, iv_drop_state, next_state};
use crate::stats::{Adjustment, IvChange, PsiOptions, PsiStats, adjust};

mod backtest;
mod divergences;
mod document;
mod fairness;
mod points;
mod text;
use backtest::{BacktestArgs, backtest_json, backtest_report, render_backtest};
pub(crate) use document::{ReportFormat, timestamp};
pub(crate) use fairness::FairnessArgs;
use fairness::{FairnessPlan, fairness_json, fairness_plan, fairness_result, render_fairness};
use text::render;

pub(crate) struct ReportArgs {
    pub baseline: PathBuf,
    pub input: PathBuf,
    pub model: Option<String>,
    pub features: Option<Vec<String>>,
    pub target: Option<String>,
    pub bad_value: Option<String>,
    pub format: ReportFormat,
    pub psi: PsiOptions,
    pub multiple_testing: Adjustment,
    pub fairness: Option<FairnessArgs>,
    /// Relative IV drops for the `iv_drop` warning and alert.
    pub iv_drop: (f64, f64),
    /// The back-tested score feature (`--score`) and the `gini_decline` thresholds.
    pub score: Option<String>,
    /// The scorecard's scaling (`--scaling`): the PDs calibration tests against.
    pub scaling: Option<crate::evaluate::ScoreScaling>,
    /// Write a bundle into this directory (`--out-dir`), signed with the key (`--sign`).
    pub bundle: Option<(PathBuf, Option<PathBuf>)>,
    pub gini_decline: (f64, f64),
    /// PSI thresholds of the drift state, as `[evaluation] warning_psi` and `alert_psi`.
    pub warning_psi: f64,
    pub alert_psi: f64,
    /// Add the divergence family of each series (`--divergences`).
    pub divergences: bool,
    /// A scorecard's points per bin (`--points`): characteristic analysis in points.
    pub points: Option<PathBuf>,
}

/// The drift state the monitor would give this PSI on its first evaluation (the stream's
/// rule without its hysteresis: a batch has no earlier state).
fn state_of(p: &PsiStats, q: f64, a: &ReportArgs) -> DriftState {
    let t = Thresholds {
        alpha: a.psi.alpha,
        warning_psi: a.warning_psi,
        alert_psi: a.alert_psi,
        clear_ratio: 1.0,
        min_applications: 1,
        multiple_testing: a.multiple_testing,
    };
    next_state(DriftState::Ok, p, q, &t)
}

/// Thresholds on a share lost, for a batch (no earlier state: no hysteresis to apply).
fn shares((warning, alert): (f64, f64)) -> ShareThresholds {
    ShareThresholds {
        warning,
        alert,
        clear_ratio: 1.0,
    }
}

/// The `iv_drop` state the monitor would give this change on its first evaluation.
fn iv_drop_of(c: &IvChange, a: &ReportArgs) -> DriftState {
    iv_drop_state(DriftState::Ok, c, shares(a.iv_drop))
}

/// The features' no-drift p-values adjusted together (`None` where PSI failed).
fn adjusted(reports: &[FeatureReport], method: Adjustment) -> Vec<Option<f64>> {
    let raw: Vec<f64> = reports
        .iter()
        .filter_map(|r| r.psi.as_ref().ok().map(|p| p.inference.chi2_pvalue))
        .collect();
    let mut q = adjust(&raw, method).into_iter();
    reports
        .iter()
        .map(|r| r.psi.as_ref().ok().and_then(|_| q.next()))
        .collect()
}

pub(crate) fn run(a: ReportArgs) -> Result<()> {
    check_args(&a)?;
    let file = BaselineFile::load(&a.baseline)?;
    let model = monitored_model(&file, &a)?;
    let mut columns: Vec<String> = model.features.iter().map(|f| f.name.clone()).collect();
    if let Some(t) = &a.target {
        columns.push(t.clone());
    }
    let mut fairness = match &a.fairness {
        Some(f) => Some(fairness_plan(
            f,
            &select_model(&file, a.model.as_deref(), None)?,
            &mut columns,
        )?),
        None => None,
    };
    let points = match &a.points {
        Some(path) => Some(points::read(path, &model)?),
        None => None,
    };
    let counted = count_sample(&a, &model, &columns, fairness.as_mut())?;
    let reports = counted.counter.finish(&model, a.psi, a.target.is_some());
    let fairness = match (fairness, &a.fairness) {
        (Some(fp), Some(fa)) => Some(fairness_result(fp, fa, a.psi.alpha)?),
        _ => None,
    };
    let backtest = backtest_report(&model, &reports, &backtest_args(&a))?;
    let summary = Summary {
        file: &file,
        model: &model,
        args: &a,
        rows: counted.counter.rows(),
        rows_with_target: counted.counter.rows_with_target(),
        missing_target: counted.missing_target,
        style: a.format.style(),
        generated: document::timestamp(time::OffsetDateTime::now_utc()),
    };
    if a.format == ReportFormat::Csv && a.bundle.is_none() {
        return Ok(emit(&document::csv(&summary, &reports)?)?);
    }
    if matches!(a.format, ReportFormat::Json | ReportFormat::Html) || a.bundle.is_some() {
        let mut doc = to_json(&summary, &reports);
        if let Some(p) = &points {
            points::attach(&mut doc, &reports, p, a.psi);
        }
        if let Some(f) = &fairness {
            doc["fairness"] = fairness_json(f);
        }
        if let Some(b) = &backtest {
            doc["backtest"] = backtest_json(b);
        }
        if let Some((dir, key)) = &a.bundle {
            return write_report_bundle(&a, dir, key.as_deref(), &doc);
        }
        if a.format == ReportFormat::Html {
            return Ok(emit(&crate::render::report_html(&doc))?);
        }
        emit(&(serde_json::to_string_pretty(&doc)? + "\n"))?;
    } else {
        emit(&render(&summary, &reports))?;
        if a.divergences {
            emit(&divergences::render(&reports, a.psi, summary.style))?;
        }
        if let Some(p) = &points {
            emit(&points::render(&reports, p, a.psi, summary.style))?;
        }
        if let Some(b) = &backtest {
            emit(&render_backtest(
                b,
                a.psi.alpha,
                a.multiple_testing,
                summary.style,
            ))?;
        }
        if let Some(f) = &fairness {
            emit(&render_fairness(f, summary.style))?;
        }
    }
    Ok(())
}

/// The report as a bundle in `dir` (signed with `key`); prints the files written.
fn write_report_bundle(
    a: &ReportArgs,
    dir: &std::path::Path,
    key: Option<&std::path::Path>,
    doc: &Value,
) -> Result<()> {
    let inputs = [
        ("baseline", a.baseline.as_path()),
        ("sample", a.input.as_path()),
    ];
    let docs = super::bundle::Documents {
        stem: "report",
        json: doc,
        html: crate::render::report_html(doc),
    };
    let files = super::bundle::write_bundle(dir, &docs, &inputs, key)?;
    let names: Vec<String> = files
        .iter()
        .map(|f| f.display().to_string() + "\n")
        .collect();
    Ok(emit(&names.concat())?)
}

fn backtest_args(a: &ReportArgs) -> BacktestArgs<'_> {
    BacktestArgs {
        score: a.score.as_deref(),
        scaling: a.scaling.as_ref(),
        alpha: a.psi.alpha,
        method: a.multiple_testing,
        thresholds: shares(a.gini_decline),
    }
}

/// Refuses thresholds that cannot work.
fn check_args(a: &ReportArgs) -> Result<()> {
    if !(a.psi.alpha > 0.0 && a.psi.alpha < 1.0) {
        bail!(
            "--alpha must lie strictly between 0 and 1, got {}",
            a.psi.alpha
        );
    }
    if !(a.psi.tau.is_finite() && a.psi.tau >= 0.0) {
        bail!("--tau must be finite and non-negative, got {}", a.psi.tau);
    }
    if !(a.warning_psi > 0.0 && a.warning_psi < a.alert_psi && a.alert_psi.is_finite()) {
        bail!(
            "--warning-psi and --alert-psi need 0 < warning < alert, got {} and {}",
            a.warning_psi,
            a.alert_psi
        );
    }
    for (what, of, (w, al)) in [
        ("iv-drop", "IV", a.iv_drop),
        ("gini-decline", "Gini", a.gini_decline),
    ] {
        if !(w > 0.0 && w < al && al <= 1.0) {
            bail!(
                "--warning-{what} and --alert-{what} are shares of the development {of} with 0 < warning < alert <= 1, got {w} and {al}"
            );
        }
    }
    Ok(())
}

/// The baseline's model with the features asked for. A baseline built without --target
/// monitors every column, the outcome too: with --target that column is the outcome, not
/// a feature.
fn monitored_model(file: &BaselineFile, a: &ReportArgs) -> Result<ModelBaseline> {
    let mut model = select_model(file, a.model.as_deref(), a.features.as_deref())?;
    if let Some(t) = &a.target
        && model.features.iter().any(|f| &f.name == t)
    {
        model.features.retain(|f| &f.name != t);
        tracing::warn!(
            "the baseline monitors \"{t}\" as a feature (it was built without --target); as the --target column it is left out of the features"
        );
        if model.features.is_empty() {
            bail!("--target {t}: the baseline has no feature but the target");
        }
    }
    Ok(model)
}

/// The sample's counts per bin (and goods and bads, with a target).
struct Counted {
    counter: BatchCounter,
    missing_target: u64,
}

/// Reads the sample once: every row binned, its target class, the fairness check's cells.
/// `columns` are the features, then the target when there is one, then the check's.
fn count_sample(
    a: &ReportArgs,
    model: &ModelBaseline,
    columns: &[String],
    mut fairness: Option<&mut FairnessPlan>,
) -> Result<Counted> {
    let nf = model.features.len();
    let bad_value = a
        .bad_value
        .clone()
        .or_else(|| model.target.as_ref().map(|t| t.bad_value.clone()));
    let mut reader = RowReader::open(&a.input, columns)?;
    let progress = progress_bar(&a.input);
    let mut counter = BatchCounter::new(model);
    let mut classes = TargetClasses::default();
    let mut missing_target = 0u64;
    while let Some(row) = reader.next_row()? {
        let line = row.line();
        // Text in a numeric feature's column: the error names the line and the column.
        let not_a_number = |column: usize| {
            let text = row
                .cell(column)
                .as_level()
                .map(|t| t.into_owned())
                .unwrap_or_default();
            value_error(
                &a.input,
                line,
                &columns[column],
                format!("{} is not a number", excerpt(&text)),
            )
        };
        let mut is_bad = None;
        if let Some(t) = &a.target {
            match row.cell(nf).as_level() {
                None => missing_target += 1,
                Some(level) => {
                    classes
                        .observe(&level, line)
                        .map_err(|e| value_error(&a.input, line, t, e.to_string()))?;
                    // Without a bad value the target must be 0/1 or false/true (checked
                    // below, once all values are seen).
                    is_bad = Some(match &bad_value {
                        Some(b) => level.as_ref() == b.as_str(),
                        None => level == "1" || level == "true",
                    });
                }
            }
        }
        counter
            .add_row(|i| row.cell(i), is_bad)
            .map_err(|e| match e.error {
                BinError::NotANumber => not_a_number(e.feature),
            })?;
        if let Some(fp) = fairness.as_deref_mut() {
            fp.add(&row).map_err(not_a_number)?;
        }
        if counter.rows().is_multiple_of(8192) {
            progress.set_position(reader.bytes_read());
        }
    }
    progress.finish_and_clear();
    if let Some(t) = &a.target {
        classes
            .bad_class(bad_value.as_deref())
            .map_err(|e| anyhow!("{}: column \"{t}\": {e}", a.input.display()))?;
    }
    Ok(Counted {
        counter,
        missing_target,
    })
}

fn value_error(path: &std::path::Path, line: u64, column: &str, message: String) -> DataError {
    DataError::Value {
        path: path.to_path_buf(),
        line,
        column: column.to_string(),
        message,
    }
}

fn progress_bar(input: &std::path::Path) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let len = std::fs::metadata(input).map(|m| m.len()).unwrap_or(0);
    let bar = ProgressBar::new(len);
    if let Ok(style) =
        ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}")
    {
        bar.set_style(style);
    }
    bar
}

struct Summary<'a> {
    file: &'a BaselineFile,
    model: &'a ModelBaseline,
    args: &'a ReportArgs,
    rows: u64,
    rows_with_target: u64,
    missing_target: u64,
    /// How tables are written (text or Markdown).
    style: TableStyle,
    /// When the report was made (RFC 3339, UTC).
    generated: String,
}

fn to_json(s: &Summary<'_>, reports: &[FeatureReport]) -> Value {
    let q = adjusted(reports, s.args.multiple_testing);
    let features: Vec<Value> = reports
        .iter()
        .zip(&q)
        .map(|(r, q)| {
            let mut v = json!({
                "feature": r.name,
                "binning": r.binning,
                "type": r.kind,
                "missing_ratio": r.missing_ratio,
                "bins": r.bins,
            });
            if !r.other_levels.is_empty() {
                v["other_levels"] = json!(r.other_levels);
            }
            if let Some(n) = &r.new_levels {
                v["new_levels"] = json!({
                    "rows": n.rows,
                    "share": n.share,
                    "top": n.top.iter().map(|(level, rows, share)| json!({"level": level, "rows": rows, "share": share})).collect::<Vec<_>>(),
                });
            }
            match &r.psi {
                Ok(p) => {
                    v["psi"] = serde_json::to_value(p).unwrap_or(Value::Null);
                    v["state"] = json!(q.map(|q| state_of(p, q, s.args)));
                    v["p_value_adjusted"] = json!(q);
                    v["tau_pvalue_valid"] = json!(p.tau_pvalue_valid());
                }
                Err(e) => v["psi_error"] = json!(e.to_string()),
            }
            if let Some(c) = &r.iv_change {
                v["iv_change"] = serde_json::to_value(c).unwrap_or(Value::Null);
                v["iv_drop"] = json!(iv_drop_of(c, s.args));
            }
            if s.args.divergences
                && let Some(d) = divergences::json(r, s.args.psi)
            {
                v["divergences"] = d;
            }
            match &r.iv {
                Some(Ok(iv)) => v["iv"] = serde_json::to_value(iv).unwrap_or(Value::Null),
                Some(Err(e)) => v["iv_error"] = json!(e.to_string()),
                None => {}
            }
            v
        })
        .collect();
    let mut out = json!({
        "psimon_version": env!("CARGO_PKG_VERSION"),
        "generated_at": s.generated,
        "settings": document::settings(s.args),
        "baseline_id": s.file.id,
        "model": s.model.name,
        "input": s.args.input.display().to_string(),
        "rows": s.rows,
        "alpha": s.args.psi.alpha,
        "tau": s.args.psi.tau,
        "baseline_fixed": s.args.psi.baseline_fixed,
        "multiple_testing": s.args.multiple_testing.as_str(),
        "features": features,
    });
    if let Some(t) = &s.args.target {
        out["target"] = json!({ "column": t, "rows_with_target": s.rows_with_target, "rows_missing_target": s.missing_target });
    }
    out
}

/// The arguments of `psimon report`.
#[derive(clap::Args)]
pub(crate) struct ReportCli {
    #[arg(long)]
    baseline: PathBuf,
    /// Sample: .csv (with a header) or .jsonl.
    #[arg(long)]
    input: PathBuf,
    /// Model of the baseline file (needed when it holds several).
    #[arg(long)]
    model: Option<String>,
    /// Only these features (default: all of the model's).
    #[arg(long, value_delimiter = ',')]
    features: Option<Vec<String>>,
    /// Outcome column of the sample: adds IV and WoE per feature.
    #[arg(long)]
    target: Option<String>,
    /// The target value that marks a bad outcome (default: the baseline's).
    #[arg(long)]
    bad_value: Option<String>,
    #[arg(long, value_enum, default_value = "table")]
    format: ReportFormat,
    /// Significance level of intervals and tests.
    #[arg(long, default_value_t = DEFAULT_ALPHA)]
    alpha: f64,
    /// Tolerance of the test H0: PSI <= tau.
    #[arg(long, default_value_t = DEFAULT_PSI_TAU)]
    tau: f64,
    /// Treat the baseline as a population (fixed-baseline SE, n_eff = sample size).
    #[arg(long)]
    baseline_fixed: bool,
    /// Adjustment of the features' no-drift p-values: bh, by, bonferroni, none.
    #[arg(long, default_value = "bh")]
    multiple_testing: crate::stats::Adjustment,
    /// Protected attribute column: adds, per group, J of the fairness feature's bins
    /// against the reference group (the paper's IV of a protected attribute).
    #[arg(long, requires = "reference")]
    fairness: Option<String>,
    /// The reference group's value of --fairness.
    #[arg(long, requires = "fairness")]
    reference: Option<String>,
    /// The groups compared with the reference (default: every other value).
    #[arg(long, value_delimiter = ',', requires = "fairness")]
    groups: Option<Vec<String>>,
    /// The feature whose bins are compared (default: `score`).
    #[arg(long, requires = "fairness")]
    fairness_feature: Option<String>,
    /// Largest acceptable J: "below tau" is shown when H0: J >= tau is rejected.
    #[arg(long, default_value_t = crate::fairness::DEFAULT_FAIRNESS_TAU)]
    fairness_tau: f64,
    /// Drift state warning: the PSI interval's lower end above this (and significant).
    #[arg(long, default_value_t = crate::evaluate::DEFAULT_WARNING_PSI)]
    warning_psi: f64,
    /// Drift state alert: likewise above this.
    #[arg(long, default_value_t = crate::evaluate::DEFAULT_ALERT_PSI)]
    alert_psi: f64,
    /// iv_drop warning: this share of the development IV lost (with --target).
    #[arg(long, default_value_t = crate::evaluate::DEFAULT_WARNING_IV_DROP)]
    warning_iv_drop: f64,
    /// iv_drop alert: this share of the development IV lost.
    #[arg(long, default_value_t = crate::evaluate::DEFAULT_ALERT_IV_DROP)]
    alert_iv_drop: f64,
    /// The score feature back-tested with --target (AUC, Gini, KS, calibration by band);
    /// default `score` when the model has it.
    #[arg(long)]
    score: Option<String>,
    /// The scorecard's scaling, to calibrate each score band against the PD it promises
    /// instead of its development bad rate:
    /// "base_score=600,base_odds=50,points_to_double_odds=20[,min_score=300,max_score=850]".
    #[arg(long, requires = "target")]
    scaling: Option<crate::evaluate::ScoreScaling>,
    /// Write the report as a bundle into this directory instead of printing it:
    /// report.json, report.html, report.pdf (with Chromium) and MANIFEST.json with the
    /// SHA-256 of each, of the baseline and of the sample.
    #[arg(long)]
    out_dir: Option<PathBuf>,
    /// Sign the bundle's manifest with this Ed25519 private key (PKCS#8 PEM, as `openssl
    /// genpkey -algorithm ed25519` writes it): MANIFEST.sig.
    #[arg(long, requires = "out_dir")]
    sign: Option<PathBuf>,
    /// gini_decline warning: this share of the development Gini lost (with --target).
    #[arg(long, default_value_t = crate::evaluate::DEFAULT_WARNING_GINI_DECLINE)]
    warning_gini_decline: f64,
    /// gini_decline alert: this share of the development Gini lost.
    #[arg(long, default_value_t = crate::evaluate::DEFAULT_ALERT_GINI_DECLINE)]
    alert_gini_decline: f64,
    /// Add Jensen-Shannon, Hellinger, KL both ways and chi-square of each series, each
    /// with its SE, interval and no-drift test, on the same bins as PSI.
    #[arg(long)]
    divergences: bool,
    /// A scorecard's points per bin, as `psimon scorecard --out` writes them: adds the
    /// characteristic analysis in points (each feature's mean points now against the
    /// baseline, with the shift's SE).
    #[arg(long)]
    points: Option<PathBuf>,
}

impl ReportCli {
    pub(super) fn run(self) -> Result<()> {
        let fairness = self.fairness.map(|column| FairnessArgs {
            column,
            reference: self.reference.unwrap_or_default(),
            groups: self.groups,
            feature: self.fairness_feature,
            tau: self.fairness_tau,
        });
        run(ReportArgs {
            baseline: self.baseline,
            input: self.input,
            model: self.model,
            features: self.features,
            target: self.target,
            bad_value: self.bad_value,
            format: self.format,
            psi: crate::stats::PsiOptions {
                alpha: self.alpha,
                tau: self.tau,
                baseline_fixed: self.baseline_fixed,
            },
            multiple_testing: self.multiple_testing,
            fairness,
            iv_drop: (self.warning_iv_drop, self.alert_iv_drop),
            score: self.score,
            scaling: self.scaling,
            bundle: self.out_dir.map(|dir| (dir, self.sign)),
            gini_decline: (self.warning_gini_decline, self.alert_gini_decline),
            warning_psi: self.warning_psi,
            alert_psi: self.alert_psi,
            divergences: self.divergences,
            points: self.points,
        })
    }
}
