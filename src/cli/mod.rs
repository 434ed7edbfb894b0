//! The command-line shell: [`main`] parses the arguments (each command's own module
//! derives them) and hands over; each command reads its files, calls the pure core and
//! prints. Errors go up as `anyhow` with their context and are printed redacted.

pub(crate) mod baseline_cmd;
mod binned_read;
pub(crate) mod bundle;
mod config_secrets;
pub mod demo;
pub(crate) mod demo_cmd;
pub(crate) mod fmt;
pub(crate) mod frontier_cmd;
pub(crate) mod generate_cmd;
pub(crate) mod loadgen_avro;
pub(crate) mod loadgen_cmd;
pub(crate) mod logging;
mod model_choice;
pub(crate) mod pack_cmd;
pub(crate) mod report_cmd;
pub(crate) mod run_cmd;
pub(crate) mod scorecard_cmd;
pub(crate) mod stats_cmd;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

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

/// How a command prints its figures.
#[derive(Clone, Copy, ValueEnum, PartialEq)]
enum Format {
    Json,
    Table,
}

#[derive(Subcommand)]
enum Command {
    /// The streaming monitor: consume applications from Kafka, serve metrics, publish drift events.
    Run(run_cmd::RunCli),
    /// Check a run config and its baselines; lists every problem with its path.
    CheckConfig(run_cmd::CheckConfigCli),
    /// Try psimon with nothing installed: an embedded Kafka, generated applications with a
    /// drift after a minute, the full streaming monitor and a live table.
    Demo(demo_cmd::DemoCli),
    /// PSI and/or IV of bin counts you already have (JSON cases in, JSON or a table out).
    Stats(stats_cmd::StatsCli),
    /// Build a baseline (bins and development counts) from a sample.
    Baseline(baseline_cmd::BaselineCli),
    /// Write a synthetic credit-application sample (.csv or .jsonl) to try psimon on.
    Generate(generate_cmd::GenerateCli),
    /// Produce synthetic application events to a Kafka topic (load generator).
    Loadgen(loadgen_cmd::LoadgenCli),
    /// Batch PSI (and IV with --target) of a sample against a baseline.
    Report(report_cmd::ReportCli),
    /// Check a report bundle (`report --out-dir`): every file's hash and its signature.
    Verify(bundle::VerifyCli),
    /// A period's monitoring pack from a running deployment: read from its state and drift
    /// topics, written as a bundle (JSON, HTML, PDF, manifest, signature).
    Pack(pack_cmd::PackCli),
    /// Fit a scorecard on the baseline's bins (logistic regression on WoE and on one-hot
    /// bins), scale it to points, and report both encodings' AUC and Gini with intervals.
    Scorecard(scorecard_cmd::ScorecardCli),
    /// The features (and bin merges) that keep the most predictive IV under a bound on a
    /// protected attribute's IV, traced over bounds: the fairness frontier, plain and robust.
    Frontier(frontier_cmd::FrontierCli),
}

/// The psimon command line.
pub fn main() -> ExitCode {
    // `--version` also says what this build's librdkafka supports (TLS, SASL, codecs).
    let matches = Cli::command()
        .long_version(crate::kafka::build::long_version().leak() as &str)
        .get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => e.exit(),
    };
    let config_path = match &cli.command {
        Command::Run(a) => Some(a.config()),
        Command::CheckConfig(a) => Some(a.config()),
        Command::Pack(a) => a.config(),
        _ => None,
    };
    logging::init(logging::format(
        config_path,
        std::env::var("PSIMON_LOG__FORMAT").ok(),
    ));
    let result = match cli.command {
        Command::Run(a) => a.run(),
        Command::CheckConfig(a) => a.run(),
        Command::Demo(a) => a.run(),
        Command::Stats(a) => a.run(),
        Command::Baseline(a) => a.run(),
        Command::Generate(a) => a.run(),
        Command::Loadgen(a) => a.run(),
        Command::Report(a) => a.run(),
        Command::Verify(a) => a.run(),
        Command::Pack(a) => a.run(),
        Command::Scorecard(a) => a.run(),
        Command::Frontier(a) => a.run(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // librdkafka echoes property values in its errors: no secret goes out.
            eprintln!(
                "error: {}",
                crate::config::secrets::redact(&format!("{e:#}"))
            );
            ExitCode::FAILURE
        }
    }
}
