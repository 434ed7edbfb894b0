//! `psimon pack`: a period's monitoring pack from a running deployment (its config), as a
//! bundle: `pack.json`, `pack.html`, `pack.pdf`, the manifest (hashes of every file, of the
//! config and of the baselines) and its signature. `psimon pack verify DIR` checks one.

use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow, bail};

use super::bundle::{Documents, VerifyCli, write_bundle};
use super::fmt::emit;
use crate::pipeline::pack::{PackRequest, collect};

#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub(crate) struct PackCli {
    #[command(subcommand)]
    action: Option<PackAction>,
    /// The deployment's config (`psimon run --config`): brokers, topics, baselines.
    #[arg(long)]
    config: Option<PathBuf>,
    /// The model packed (default: the only one).
    #[arg(long)]
    model: Option<String>,
    /// The time window (`[[windows]]` name) whose stored panes make the period; it must be
    /// at least as long as the period, as panes older than the window are deleted.
    #[arg(long)]
    window: Option<String>,
    /// The period's start: RFC 3339, or a duration before now ("7d").
    #[arg(long)]
    from: Option<String>,
    /// The period's end (default: now): RFC 3339, or a duration before now.
    #[arg(long)]
    to: Option<String>,
    /// Where the bundle is written.
    #[arg(long)]
    out_dir: Option<PathBuf>,
    /// Sign the manifest with this Ed25519 private key (PKCS#8 PEM).
    #[arg(long)]
    sign: Option<PathBuf>,
}

#[derive(clap::Subcommand)]
enum PackAction {
    /// Check a pack: every file's hash and, with --public-key, the signature.
    Verify(VerifyCli),
}

/// An instant: RFC 3339, or a duration before `now_ms`.
fn instant(text: &str, now_ms: i64, flag: &str) -> Result<i64> {
    if let Some(ms) = crate::event::parse_rfc3339(text) {
        return Ok(ms);
    }
    let ago = humantime::parse_duration(text)
        .map_err(|_| anyhow!("{flag} {text}: neither RFC 3339 nor a duration such as 7d"))?;
    Ok(now_ms - ago.as_millis() as i64)
}

impl PackCli {
    /// The config, for the log format.
    pub(crate) fn config(&self) -> Option<&Path> {
        self.config.as_deref()
    }

    pub(crate) fn run(self) -> Result<()> {
        if let Some(PackAction::Verify(v)) = self.action {
            return v.run();
        }
        let (Some(config_path), Some(window), Some(from), Some(out_dir)) =
            (&self.config, &self.window, &self.from, &self.out_dir)
        else {
            bail!(
                "psimon pack needs --config, --window, --from and --out-dir (or: psimon pack verify DIR)"
            );
        };
        let (config, plan) = super::run_cmd::load(config_path)?;
        let model = match &self.model {
            Some(m) => m.clone(),
            None if plan.models.len() == 1 => plan.models[0].name.clone(),
            None => bail!("--model: the config has several models"),
        };
        let now = time::OffsetDateTime::now_utc();
        let now_ms = (now.unix_timestamp_nanos() / 1_000_000) as i64;
        let period = (
            instant(from, now_ms, "--from")?,
            self.to
                .as_deref()
                .map_or(Ok(now_ms), |t| instant(t, now_ms, "--to"))?,
        );
        if period.0 >= period.1 {
            bail!("--from must lie before --to");
        }
        let request = PackRequest {
            model: &model,
            window,
            period,
            generated_at: super::report_cmd::timestamp(now),
        };
        let doc = collect(&config, &plan, &request)?;
        let base = config_path.parent().unwrap_or(Path::new("."));
        let baselines: Vec<(String, PathBuf)> = (config.models.iter())
            .map(|m| (format!("baseline of {}", m.name), base.join(&m.baseline)))
            .collect();
        let mut inputs: Vec<(&str, &Path)> = vec![("config", config_path.as_path())];
        inputs.extend(baselines.iter().map(|(n, b)| (n.as_str(), b.as_path())));
        let docs = Documents {
            stem: "pack",
            json: &doc,
            html: crate::render::pack_html(&doc),
        };
        let files = write_bundle(out_dir, &docs, &inputs, self.sign.as_deref())?;
        let names: Vec<String> = files
            .iter()
            .map(|f| f.display().to_string() + "\n")
            .collect();
        Ok(emit(&names.concat())?)
    }
}
