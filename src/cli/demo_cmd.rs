//! `psimon demo`: the streaming monitor on an embedded Kafka with generated traffic and a
//! drift after a minute, shown as a live table; `--batch` runs the batch tools instead.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context, Result};
use serde_json::Value;

use super::baseline_cmd::{self, BaselineArgs};
use super::fmt::{emit, num, pval, table};
use super::generate_cmd;
use super::report_cmd::{self, ReportArgs};
use super::run_cmd::shutdown_signal;
use crate::binning::build::Method;
use crate::cli::demo::{DemoOptions, build_baseline, demo_config, generate, mock_cluster};
use crate::pipeline::evaluator::Published;
use crate::pipeline::{Plan, run};
use crate::stats::PsiOptions;

/// Where a demo writes its files: `--dir` (kept), else a temporary directory removed when
/// the demo ends (the baseline, the samples and the join store: about 1 MB a run).
pub(crate) struct DemoDir {
    path: std::path::PathBuf,
    /// The temporary directory, removed when dropped (None: `--dir`, kept).
    temp: Option<tempfile::TempDir>,
}

impl DemoDir {
    pub(crate) fn new(keep_in: Option<std::path::PathBuf>, prefix: &str) -> Result<Self> {
        match keep_in {
            Some(path) => {
                std::fs::create_dir_all(&path)
                    .with_context(|| format!("creating {}", path.display()))?;
                Ok(Self { path, temp: None })
            }
            None => {
                let temp = tempfile::Builder::new()
                    .prefix(prefix)
                    .tempdir()
                    .context("creating a temporary directory")?;
                Ok(Self {
                    path: temp.path().to_path_buf(),
                    temp: Some(temp),
                })
            }
        }
    }

    /// What becomes of the files, for the last line.
    fn fate(&self) -> String {
        match self.temp {
            Some(_) => "its files are removed (--dir DIR keeps them)".into(),
            None => format!("files kept in {}", self.path.display()),
        }
    }
}

/// The windows of the demo's config in words, for the header.
fn windows_line(config: &crate::config::Config) -> String {
    use crate::config::WindowConfig;
    let words: Vec<String> = config
        .windows
        .iter()
        .map(|w| match w {
            WindowConfig::Time {
                name,
                length,
                slide,
                ..
            } => format!(
                "{name} (the last {} of event time, sliding every {})",
                humantime::format_duration(*length),
                humantime::format_duration(*slide)
            ),
            WindowConfig::Count { name, size, .. } => {
                format!("{name} (the last {size} applications)")
            }
        })
        .collect();
    format!("windows: {}", words.join("; "))
}

pub(crate) fn run_streaming(
    opts: DemoOptions,
    duration: Option<Duration>,
    keep_in: Option<std::path::PathBuf>,
) -> Result<()> {
    let dir = DemoDir::new(keep_in, "psimon-demo-")?;
    emit("psimon demo: building a baseline from 20,000 synthetic development applications...\n")?;
    build_baseline(&dir.path)?;
    let cluster = mock_cluster()?;
    let brokers = cluster.bootstrap_servers();
    let config = demo_config(&brokers, &opts)?;
    let plan = Plan::build(&config, &dir.path).map_err(|p| anyhow::anyhow!("{}", p.join("\n")))?;
    // Shown above every screen: a redraw must not wipe what to open and when drift starts.
    let intro = format!(
        "embedded Kafka (mock cluster) at {brokers}; {} applications/s; drift on income, bureau score and employment after {}s\n\
         page: http://{}/   metrics: http://{}/metrics   JSON: http://{}/api/v1/drift   Ctrl-C stops\n{}; evaluated every {}\n\n",
        opts.rate,
        opts.drift_after.as_secs(),
        config.http.address,
        config.http.address,
        config.http.address,
        windows_line(&config),
        humantime::format_duration(config.evaluation.interval)
    );
    emit(&intro)?;

    let stop = Arc::new(AtomicBool::new(false));
    let drifting = Arc::new(AtomicBool::new(false));
    let generator = {
        let (brokers, stop, drifting) = (brokers.clone(), Arc::clone(&stop), Arc::clone(&drifting));
        let gen_opts = DemoOptions {
            http: String::new(),
            ..opts
        };
        std::thread::spawn(move || generate(&brokers, &gen_opts, stop, drifting))
    };
    let interactive = std::io::stdout().is_terminal();
    let mut events_seen: Vec<String> = Vec::new();
    let drifting_view = Arc::clone(&drifting);
    let on_eval = Box::new(move |latest: &Value, published: &[Published]| {
        events_seen.extend(published.iter().map(|p| event_line(&p.event)));
        let screen = render(latest, &events_seen, drifting_view.load(Ordering::Relaxed));
        let _ = emit(&if interactive {
            format!("\x1b[2J\x1b[H{intro}{screen}")
        } else {
            screen
        });
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let result = runtime.block_on(async {
        let shutdown = async move {
            match duration {
                Some(d) => {
                    tokio::select! { _ = tokio::time::sleep(d) => {}, _ = shutdown_signal() => {} }
                }
                None => shutdown_signal().await,
            }
        };
        run(config, plan, shutdown, Some(on_eval)).await
    });
    stop.store(true, Ordering::Relaxed);
    let produced = generator
        .join()
        .map_err(|_| anyhow::anyhow!("the generator panicked"))??;
    drop(cluster);
    // A demo that could not start (its HTTP port taken, say) ends with that error alone.
    result?;
    emit(&format!(
        "\ndemo stopped after {produced} applications; {}\n",
        dir.fate()
    ))?;
    Ok(())
}

/// One published event as a line: time, subject, the transition, the statistic with its
/// interval, then what decided it (drift: the adjusted p-value; iv_drop: the development
/// IV; fairness: the p-value of J >= tau).
fn event_line(event: &Value) -> String {
    let d = &event["data"];
    let f = |k: &str| d[k].as_f64().unwrap_or(f64::NAN);
    let (kind, name, decided) = match d["statistic"].as_str() {
        Some("iv") => (
            "iv_drop ",
            "IV",
            format!("(development {})", num(f("iv_development"))),
        ),
        Some("j") => (
            "fairness ",
            "J",
            format!("p(J >= tau) {}", pval(f("below_tau_p_value"))),
        ),
        _ => ("", "PSI", format!(" q {}", pval(f("p_value_adjusted")))),
    };
    format!(
        "{}  {}  {kind}{} -> {}  {name} {} [{}, {}] {decided}  (id {})",
        event["time"].as_str().unwrap_or_default(),
        event["subject"].as_str().unwrap_or_default(),
        d["previous_state"].as_str().unwrap_or_default(),
        d["state"].as_str().unwrap_or_default(),
        num(d["median_unbiased"].as_f64().unwrap_or(f("value"))),
        num(f("ci_ncx2_lower")),
        num(f("ci_ncx2_upper")),
        event["id"].as_str().map_or("", |id| &id[..id.len().min(8)]),
    )
}

/// The back-tested score per outcome window: Gini now against development, its state,
/// and the calibration's worst band.
fn render_backtest(latest: &Value) -> String {
    let mut rows = Vec::new();
    for m in latest["models"].as_array().into_iter().flatten() {
        for w in m["outcome_windows"].as_array().into_iter().flatten() {
            let b = &w["backtest"];
            let d = &b["discrimination"];
            if d.is_null() {
                continue;
            }
            let g = |v: &Value, k: &str| v[k].as_f64().map_or("-".into(), num);
            rows.push(vec![
                b["feature"].as_str().unwrap_or_default().to_string(),
                w["window"].as_str().unwrap_or_default().to_string(),
                format!("{} ± {}", g(d, "gini"), g(d, "gini_se")),
                format!("[{}, {}]", g(d, "gini_ci_lower"), g(d, "gini_ci_upper")),
                g(&b["gini_decline"], "gini_development"),
                b["state"].as_str().unwrap_or("-").to_uppercase(),
                b["calibration"]["light"]
                    .as_str()
                    .unwrap_or("-")
                    .to_uppercase(),
            ]);
        }
    }
    if rows.is_empty() {
        return String::new();
    }
    let mut out = "
back-testing of the score (does it still rank goods above bads, and predict each band's bad rate?):\n".to_string();
    out.push_str(&table(
        &[
            "score",
            "window",
            "Gini ± SE",
            "95% CI",
            "dev Gini",
            "gini_decline",
            "calibration",
        ],
        &rows,
    ));
    out
}

/// Windowed IV of the joined outcomes (scorecard bins) against the development IV.
fn render_outcomes(latest: &Value) -> String {
    let mut rows = Vec::new();
    for m in latest["models"].as_array().into_iter().flatten() {
        for w in m["outcome_windows"].as_array().into_iter().flatten() {
            for f in w["features"].as_array().into_iter().flatten() {
                if f["binning"] != "scorecard" || f["iv"].is_null() {
                    continue;
                }
                let g = |k: &str| f["iv"][k].as_f64().unwrap_or(f64::NAN);
                rows.push(vec![
                    f["feature"].as_str().unwrap_or_default().to_string(),
                    w["window"].as_str().unwrap_or_default().to_string(),
                    format!(
                        "{:.0} / {:.0}",
                        w["goods"].as_f64().unwrap_or(0.0),
                        w["bads"].as_f64().unwrap_or(0.0)
                    ),
                    format!("{} ± {}", num(g("median_unbiased")), num(g("se"))),
                    format!("[{}, {}]", num(g("ci_ncx2_lower")), num(g("ci_ncx2_upper"))),
                    f["iv_change"]["iv_development"]
                        .as_f64()
                        .map_or("-".into(), num),
                    f["iv_drop"].as_str().unwrap_or("-").to_uppercase(),
                ]);
            }
        }
    }
    if rows.is_empty() {
        return "\nwindowed IV: waiting for outcomes (they come a few seconds after their applications)\n".into();
    }
    let mut out = "\nwindowed IV of the joined outcomes (does each feature still separate goods from bads?):\n".to_string();
    out.push_str(&table(
        &[
            "feature",
            "window",
            "goods / bads",
            "IV ± SE",
            "95% CI (ncx2)",
            "dev IV",
            "iv_drop",
        ],
        &rows,
    ));
    out
}

/// The fairness checks: J of each group against the reference group per window.
fn render_fairness(latest: &Value) -> String {
    let mut rows = Vec::new();
    for c in latest["fairness"].as_array().into_iter().flatten() {
        for w in c["windows"].as_array().into_iter().flatten() {
            for g in w["groups"].as_array().into_iter().flatten() {
                let j = |k: &str| g["j"][k].as_f64().unwrap_or(f64::NAN);
                rows.push(vec![
                    format!(
                        "{} ({})",
                        c["check"].as_str().unwrap_or_default(),
                        c["feature"].as_str().unwrap_or_default()
                    ),
                    format!(
                        "{} vs {}",
                        g["group"].as_str().unwrap_or_default(),
                        c["reference_group"].as_str().unwrap_or_default()
                    ),
                    w["window"].as_str().unwrap_or_default().to_string(),
                    format!(
                        "{:.0} / {:.0}",
                        g["applications"].as_f64().unwrap_or(0.0),
                        w["reference_applications"].as_f64().unwrap_or(0.0)
                    ),
                    format!("{} ± {}", num(j("median_unbiased")), num(j("se"))),
                    format!("[{}, {}]", num(j("ci_ncx2_lower")), num(j("ci_ncx2_upper"))),
                    pval(j("below_tau_pvalue_ncx2")),
                    g["state"].as_str().unwrap_or("-").to_uppercase(),
                ]);
            }
        }
    }
    if rows.is_empty() {
        return String::new();
    }
    let mut out =
        "\nfairness (J between groups; OK once J < tau is shown, ALERT once J > tau is):\n"
            .to_string();
    out.push_str(&table(
        &[
            "check (feature)",
            "groups",
            "window",
            "applications",
            "J ± SE",
            "95% CI (ncx2)",
            "p(J >= tau)",
            "state",
        ],
        &rows,
    ));
    out
}

fn render(latest: &Value, events: &[String], drifting: bool) -> String {
    let mut rows = Vec::new();
    for m in latest["models"].as_array().into_iter().flatten() {
        for w in m["windows"].as_array().into_iter().flatten() {
            if w["evaluated"] != Value::Bool(true) {
                rows.push(vec![
                    m["model"].as_str().unwrap_or_default().to_string(),
                    "(all)".into(),
                    String::new(),
                    w["window"].as_str().unwrap_or_default().to_string(),
                    format!(
                        "{} of {} applications",
                        w["applications"], w["min_applications"]
                    ),
                    String::new(),
                    String::new(),
                    String::new(),
                    "waiting".into(),
                ]);
                continue;
            }
            for f in w["features"].as_array().into_iter().flatten() {
                let p = &f["psi"];
                let g = |k: &str| p[k].as_f64().unwrap_or(f64::NAN);
                rows.push(vec![
                    m["model"].as_str().unwrap_or_default().to_string(),
                    f["feature"].as_str().unwrap_or_default().to_string(),
                    f["binning"].as_str().unwrap_or_default().to_string(),
                    w["window"].as_str().unwrap_or_default().to_string(),
                    format!("{} ± {}", num(g("median_unbiased")), num(g("se"))),
                    format!("[{}, {}]", num(g("ci_ncx2_lower")), num(g("ci_ncx2_upper"))),
                    num(g("ncx2_lower_bound")),
                    pval(f["p_value_adjusted"].as_f64().unwrap_or(f64::NAN)),
                    f["state"].as_str().unwrap_or_default().to_uppercase(),
                ]);
            }
        }
    }
    let mut out = format!(
        "psimon demo — evaluated at {} — population {}\n\n",
        latest["evaluated_at"].as_str().unwrap_or("-"),
        if drifting { "DRIFTING" } else { "stable" }
    );
    out.push_str(&table(
        &[
            "model",
            "feature",
            "binning",
            "window",
            "PSI ± SE",
            "95% CI (ncx2)",
            "PSI ≥ (95%)",
            "q (adjusted p)",
            "state",
        ],
        &rows,
    ));
    out.push_str("PSI: the median-unbiased estimate, inside its interval; PSI ≥: the one-sided bound the state compares with 0.1 (warning) and 0.25 (alert)\n");
    out.push_str(&render_outcomes(latest));
    out.push_str(&render_backtest(latest));
    out.push_str(&render_fairness(latest));
    out.push_str("\ndrift events published:\n");
    if events.is_empty() {
        out.push_str("  (none yet)\n");
    }
    for e in events.iter().rev().take(12).rev() {
        out.push_str(&format!("  {e}\n"));
    }
    out
}

/// The batch tour: synthetic samples, a stumps baseline, and a drift report.
pub(crate) fn run_batch(keep_in: Option<std::path::PathBuf>) -> Result<()> {
    let demo_dir = DemoDir::new(keep_in, "psimon-demo-batch-")?;
    let dir = demo_dir.path.clone();
    let dev = dir.join("development.csv");
    let cur = dir.join("current.csv");
    let base = dir.join("baseline.json");
    // Each step prints the command that reproduces it exactly (the arguments not printed
    // are the commands' defaults).
    emit(&format!(
        "== psimon generate --out {} --rows 20000 --seed 1\n== psimon generate --out {} --rows 5000 --shift 0.5 --seed 2\n",
        dev.display(),
        cur.display()
    ))?;
    generate_cmd::run(&dev, 20_000, 0.0, 1)?;
    generate_cmd::run(&cur, 5_000, 0.5, 2)?;
    emit(&format!(
        "== psimon baseline --input {} --out {} --model demo --target bad --method stumps --monotone --special-values -999 --holdout 0.3 --seed 1\n\n",
        dev.display(),
        base.display()
    ))?;
    baseline_cmd::run(BaselineArgs {
        input: dev,
        out: base.clone(),
        model: "demo".into(),
        target: Some("bad".into()),
        bad_value: None,
        features: None,
        categorical: Vec::new(),
        special_values: vec![crate::data::synth::NO_HIT],
        method: Method::Stumps,
        max_bins: 10,
        min_bin_share: 0.05,
        population_bins: crate::binning::population::DEFAULT_POPULATION_BINS,
        monotone: true,
        score: None,
        holdout: Some(0.3),
        seed: 1,
        json: false,
    })?;
    emit(&format!(
        "\n== psimon report --baseline {} --input {} --target bad --score bureau_score\n\n",
        base.display(),
        cur.display()
    ))?;
    report_cmd::run(ReportArgs {
        baseline: base,
        input: cur,
        model: None,
        features: None,
        target: Some("bad".into()),
        bad_value: None,
        format: report_cmd::ReportFormat::Table,
        psi: PsiOptions::default(),
        multiple_testing: crate::stats::Adjustment::Bh,
        fairness: None,
        iv_drop: (
            crate::evaluate::DEFAULT_WARNING_IV_DROP,
            crate::evaluate::DEFAULT_ALERT_IV_DROP,
        ),
        score: Some("bureau_score".into()),
        scaling: None,
        bundle: None,
        gini_decline: (
            crate::evaluate::DEFAULT_WARNING_GINI_DECLINE,
            crate::evaluate::DEFAULT_ALERT_GINI_DECLINE,
        ),
        warning_psi: crate::evaluate::DEFAULT_WARNING_PSI,
        alert_psi: crate::evaluate::DEFAULT_ALERT_PSI,
        divergences: false,
        points: None,
    })?;
    emit(&format!("\ndemo done; {}\n", demo_dir.fate()))?;
    Ok(())
}

/// The arguments of `psimon demo`.
#[derive(clap::Args)]
pub(crate) struct DemoCli {
    /// Address of /metrics and /api/v1/drift.
    #[arg(long, default_value = "127.0.0.1:9464")]
    http: String,
    /// Applications per second.
    #[arg(long, default_value_t = 2000)]
    rate: u64,
    /// When the population starts to drift.
    #[arg(long, default_value = "60s", value_parser = humantime::parse_duration)]
    drift_after: std::time::Duration,
    /// Evaluation interval.
    #[arg(long, default_value = "5s", value_parser = humantime::parse_duration)]
    interval: std::time::Duration,
    /// Stop by itself after this long (default: at Ctrl-C).
    #[arg(long, value_parser = humantime::parse_duration)]
    duration: Option<std::time::Duration>,
    /// The batch tour instead: samples, a baseline and a drift report.
    #[arg(long)]
    batch: bool,
    /// Write the demo's files (baseline, samples, join store) here and keep them
    /// (default: a temporary directory, removed at the end).
    #[arg(long)]
    dir: Option<PathBuf>,
}

impl DemoCli {
    pub(super) fn run(self) -> Result<()> {
        if self.batch {
            return run_batch(self.dir);
        }
        run_streaming(
            crate::cli::demo::DemoOptions {
                http: self.http,
                rate: self.rate,
                drift_after: self.drift_after,
                shift: 0.8,
                interval: self.interval,
            },
            self.duration,
            self.dir,
        )
    }
}
