//! The psimon command line: parses arguments and hands over to `psimon::cli`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

use psimon::binning::build::Method;
use psimon::cli::{
    baseline_cmd, demo_cmd, generate_cmd, loadgen_cmd, logging, report_cmd, run_cmd, stats_cmd,
};
use psimon::stats::{DEFAULT_ALPHA, DEFAULT_PSI_TAU, PsiOptions};

#[derive(Parser)]
#[command(
    name = "psimon",
    version,
    about = "Drift monitor for credit-risk scorecards: PSI, WoE and IV with standard errors, intervals and tests"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum MethodArg {
    Quantile,
    Stumps,
}

#[derive(Clone, Copy, ValueEnum, PartialEq)]
enum Format {
    Json,
    Table,
}

#[derive(Subcommand)]
enum Command {
    /// The streaming monitor: consume applications from Kafka, serve metrics, publish drift events.
    Run {
        #[arg(long)]
        config: PathBuf,
    },
    /// Check a run config and its baselines; lists every problem with its path.
    CheckConfig { config: PathBuf },
    /// Try psimon with nothing installed: an embedded Kafka, generated applications with a
    /// drift after a minute, the full streaming monitor and a live table.
    Demo {
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
    },
    /// PSI and/or IV of bin counts you already have (JSON cases in, JSON or a table out).
    Stats {
        /// A case object, a list of cases, or {"cases": [...]}.
        #[arg(long)]
        input: PathBuf,
        #[arg(long, value_enum, default_value = "json")]
        format: Format,
    },
    /// Build a baseline (bins and development counts) from a sample.
    Baseline {
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
        #[arg(long, default_value_t = psimon::binning::population::DEFAULT_POPULATION_BINS)]
        population_bins: usize,
        /// Merge bins until WoE is monotone (needs --target).
        #[arg(long)]
        monotone: bool,
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
    },
    /// Write a synthetic credit-application sample (.csv or .jsonl) to try psimon on.
    Generate {
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 10_000)]
        rows: u64,
        /// Population shift from 0 (development-like) to 1.
        #[arg(long, default_value_t = 0.0)]
        shift: f64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// 20 numeric features f00..f19 instead of the credit application.
        #[arg(long)]
        wide: bool,
        /// Add a protected attribute, column `group` (A 70%, B 30%), with group B's bureau
        /// scores this many points lower (0: no difference).
        #[arg(long)]
        protected_gap: Option<f64>,
        /// Share of rows whose outcome is redrawn at random: weakens every feature's
        /// relation to the outcome (an IV drop to detect).
        #[arg(long, default_value_t = 0.0)]
        label_noise: f64,
    },
    /// Produce synthetic application events to a Kafka topic (load generator).
    Loadgen {
        #[arg(long, default_value = "127.0.0.1:9092")]
        brokers: String,
        #[arg(long, default_value = "applications")]
        topic: String,
        #[arg(long, default_value_t = 100_000)]
        count: u64,
        /// Events per second; 0 for as fast as possible.
        #[arg(long, default_value_t = 0)]
        rate: u64,
        #[arg(long, default_value_t = 0.0)]
        shift: f64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long, default_value = "retail_v3")]
        model: String,
        /// 20 numeric features f00..f19 at the top level.
        #[arg(long)]
        wide: bool,
        /// Event time of the first event, epoch ms (default: now).
        #[arg(long)]
        start_ms: Option<i64>,
        /// Event time between consecutive events, ms.
        #[arg(long, default_value_t = 1)]
        step_ms: i64,
        /// Create the topic with this many partitions if it does not exist.
        #[arg(long)]
        partitions: Option<i32>,
        /// Also produce each application's outcome (`outcome` 1 bad / 0 good, keyed and
        /// identified by the application id) to this topic.
        #[arg(long)]
        outcomes_topic: Option<String>,
        /// Outcome time after the application time.
        #[arg(long, default_value = "90d", value_parser = humantime::parse_duration)]
        outcome_delay: std::time::Duration,
        /// Share of applications whose outcome is produced (the rest never get one).
        #[arg(long, default_value_t = 1.0)]
        outcome_share: f64,
        /// Produce only the outcomes (of the applications the same seed and count produced).
        #[arg(long, requires = "outcomes_topic")]
        only_outcomes: bool,
        /// Share of outcomes redrawn at random (an IV drop to detect).
        #[arg(long, default_value_t = 0.0, requires = "outcomes_topic")]
        label_noise: f64,
        /// Add a protected attribute `applicant.group` (A 70%, B 30%) with group B's
        /// bureau scores this many points lower.
        #[arg(long)]
        protected_gap: Option<f64>,
        /// json, or avro (the Confluent wire format; needs --registry).
        #[arg(long, default_value = "json", value_parser = ["json", "avro"])]
        format: String,
        /// Confluent-compatible schema registry to register the Avro schema with.
        #[arg(long, required_if_eq("format", "avro"))]
        registry: Option<String>,
        /// From this event on, write with an evolved schema (a second schema id).
        #[arg(long, requires = "registry")]
        evolve_at: Option<u64>,
        /// A librdkafka property of the producer and the admin client, as kcat's -X
        /// (e.g. `-X security.protocol=SASL_SSL`, `-X compression.type=zstd`); repeatable.
        #[arg(short = 'X', long = "property", value_name = "KEY=VALUE")]
        properties: Vec<String>,
    },
    /// Batch PSI (and IV with --target) of a sample against a baseline.
    Report {
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
        format: Format,
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
        multiple_testing: psimon::stats::Adjustment,
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
        #[arg(long, default_value_t = psimon::fairness::DEFAULT_FAIRNESS_TAU)]
        fairness_tau: f64,
        /// Drift state warning: the PSI interval's lower end above this (and significant).
        #[arg(long, default_value_t = psimon::evaluate::DEFAULT_WARNING_PSI)]
        warning_psi: f64,
        /// Drift state alert: likewise above this.
        #[arg(long, default_value_t = psimon::evaluate::DEFAULT_ALERT_PSI)]
        alert_psi: f64,
        /// iv_drop warning: this share of the development IV lost (with --target).
        #[arg(long, default_value_t = psimon::evaluate::DEFAULT_WARNING_IV_DROP)]
        warning_iv_drop: f64,
        /// iv_drop alert: this share of the development IV lost.
        #[arg(long, default_value_t = psimon::evaluate::DEFAULT_ALERT_IV_DROP)]
        alert_iv_drop: f64,
    },
}

fn main() -> ExitCode {
    // `--version` also says what this build's librdkafka supports (TLS, SASL, codecs).
    let matches = Cli::command()
        .long_version(psimon::pipeline::client_build::long_version().leak() as &str)
        .get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => e.exit(),
    };
    let config_path = match &cli.command {
        Command::Run { config } | Command::CheckConfig { config } => Some(config.as_path()),
        _ => None,
    };
    logging::init(logging::format(
        config_path,
        std::env::var("PSIMON_LOG__FORMAT").ok(),
    ));
    let result = match cli.command {
        Command::Demo {
            batch: true, dir, ..
        } => demo_cmd::run_batch(dir),
        Command::Demo {
            http,
            rate,
            drift_after,
            interval,
            duration,
            batch: false,
            dir,
        } => demo_cmd::run_streaming(
            psimon::demo::DemoOptions {
                http,
                rate,
                drift_after,
                shift: 0.8,
                interval,
            },
            duration,
            dir,
        ),
        Command::Run { config } => run_cmd::run_monitor(&config),
        Command::CheckConfig { config } => run_cmd::check(&config),
        Command::Generate {
            out,
            rows,
            shift,
            seed,
            wide,
            protected_gap,
            label_noise,
        } => generate_cmd::write_sample(&out, rows, shift, seed, wide, protected_gap, label_noise),
        Command::Loadgen {
            brokers,
            topic,
            count,
            rate,
            shift,
            seed,
            model,
            wide,
            start_ms,
            step_ms,
            partitions,
            outcomes_topic,
            outcome_delay,
            outcome_share,
            only_outcomes,
            label_noise,
            protected_gap,
            format,
            registry,
            evolve_at,
            properties,
        } => loadgen_cmd::run(loadgen_cmd::LoadgenArgs {
            brokers,
            properties,
            topic,
            count,
            rate,
            shift,
            seed,
            model,
            wide,
            start_ms,
            step_ms,
            partitions,
            outcomes: outcomes_topic.map(|topic| loadgen_cmd::OutcomeArgs {
                topic,
                delay_ms: i64::try_from(outcome_delay.as_millis()).unwrap_or(i64::MAX),
                share: outcome_share,
                only: only_outcomes,
                label_noise,
            }),
            protected_gap,
            avro: (format == "avro").then(|| loadgen_cmd::AvroArgs {
                registry: registry.unwrap_or_default(),
                evolve_at,
            }),
        }),
        Command::Stats { input, format } => stats_cmd::run(&input, format == Format::Table),
        Command::Baseline {
            input,
            out,
            model,
            target,
            bad_value,
            features,
            categorical,
            special_values,
            method,
            max_bins,
            min_bin_share,
            population_bins,
            monotone,
            holdout,
            seed,
            format,
        } => baseline_cmd::run(baseline_cmd::BaselineArgs {
            input,
            out,
            model,
            target,
            bad_value,
            features,
            categorical,
            special_values,
            method: match method {
                MethodArg::Quantile => Method::Quantile,
                MethodArg::Stumps => Method::Stumps,
            },
            max_bins,
            min_bin_share,
            population_bins,
            monotone,
            holdout,
            seed,
            json: format == Format::Json,
        }),
        Command::Report {
            baseline,
            input,
            model,
            features,
            target,
            bad_value,
            format,
            alpha,
            tau,
            baseline_fixed,
            multiple_testing,
            fairness,
            reference,
            groups,
            fairness_feature,
            fairness_tau,
            warning_iv_drop,
            alert_iv_drop,
            warning_psi,
            alert_psi,
        } => report_cmd::run(report_cmd::ReportArgs {
            baseline,
            input,
            model,
            features,
            target,
            bad_value,
            json: format == Format::Json,
            psi: PsiOptions {
                alpha,
                tau,
                baseline_fixed,
            },
            multiple_testing,
            fairness: fairness.map(|column| report_cmd::FairnessArgs {
                column,
                reference: reference.unwrap_or_default(),
                groups,
                feature: fairness_feature,
                tau: fairness_tau,
            }),
            iv_drop: (warning_iv_drop, alert_iv_drop),
            warning_psi,
            alert_psi,
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // librdkafka echoes property values in its errors: no secret goes out.
            eprintln!("error: {}", psimon::secrets::redact(&format!("{e:#}")));
            ExitCode::FAILURE
        }
    }
}
