//! `psimon run --config FILE` and `psimon check-config FILE`.

use crate::config::Repartition;
use std::path::Path;
use std::path::PathBuf;

use anyhow::{Result, anyhow};

use super::config_secrets;
use super::fmt::emit;
use crate::config::{self, Config};
use crate::evaluate::{Binning, FeatureMeta};
use crate::kafka::props as kafka_props;
use crate::pipeline::{Plan, run};

/// Reads, overrides from the environment, validates, and loads the baselines; every problem
/// is listed, those of the file's values and of its baseline files in one list.
pub(crate) fn load(path: &Path) -> Result<(Config, Plan)> {
    let text = std::fs::read_to_string(path).map_err(|e| anyhow!("{}: {e}", path.display()))?;
    let env: Vec<(String, String)> = std::env::vars().collect();
    // Before anything is printed: every secret of the file and the environment.
    config_secrets::register_written(&text, &env);
    let mut checked = config::check(&text, &env).map_err(|e| anyhow!("{}: {e}", path.display()))?;
    // The secret files into the Kafka properties, then librdkafka's view of them.
    if let Some(c) = checked.config.as_mut() {
        let mut problems =
            config_secrets::read_files(&c.kafka.secret_files, &mut c.kafka.properties);
        problems.extend(kafka_props::problems(&c.kafka.properties));
        let h = &c.http;
        for (path, file) in [
            ("http.tls_cert_file", &h.tls_cert_file),
            ("http.tls_key_file", &h.tls_key_file),
            ("http.bearer_token_file", &h.bearer_token_file),
        ] {
            if let Some(f) = file
                && let Err(e) = std::fs::File::open(f)
            {
                problems.push(format!(
                    "{path} = \"{}\": cannot be read: {}",
                    f.display(),
                    e.kind()
                ));
            }
        }
        checked.add(problems);
    }
    let base_dir = path.parent().unwrap_or(Path::new("."));
    // The baselines are read even when the file has other problems, so that one run
    // shows them all.
    let plan = match &checked.config {
        Some(c) => match Plan::build(c, base_dir) {
            Ok(plan) => Some(plan),
            Err(problems) => {
                checked.add(problems);
                None
            }
        },
        None => None,
    };
    let problems = checked.problems().to_vec();
    match (checked.into_result(), plan) {
        (Ok(config), Some(plan)) => Ok((config, plan)),
        _ => Err(anyhow!(
            "{}: the config has {} problem(s):\n  {}",
            path.display(),
            problems.len(),
            problems.join("\n  ")
        )),
    }
}

pub(crate) fn check(path: &Path) -> Result<()> {
    let (config, plan) = load(path)?;
    let series: Vec<&FeatureMeta> = plan.models.iter().flat_map(|m| &m.features).collect();
    let population = series
        .iter()
        .filter(|f| f.binning == Binning::Population)
        .count();
    emit(&format!(
        "{}: ok — {} model(s), {} monitored feature(s) ({} series, {} on population bins), {} window(s), input {:?}, drift topic {}, dead letters {}, state topic {}, instance id {}\n",
        path.display(),
        plan.models.len(),
        series.len() - population,
        series.len(),
        population,
        plan.windows.len(),
        config.kafka.input_topics,
        config.kafka.drift_topic,
        config.kafka.dead_letter_topic,
        config.state_topic(),
        crate::pipeline::run::instance_id(&config)
    ))?;
    emit(&format!(
        "counting: {}, prefetch {} MiB in all\n",
        config.kafka.workers.map_or_else(
            || format!(
                "one worker per core ({}), at most one per input partition",
                std::thread::available_parallelism().map_or(1, |n| n.get())
            ),
            |w| format!("{w} worker(s)")
        ),
        config.kafka.prefetch_bytes >> 20
    ))?;
    if let (crate::config::InputFormat::Avro, Some(r)) =
        (config.input.format, &config.input.schema_registry)
    {
        emit(&format!(
            "input: Avro in the Confluent wire format, writer schemas from {}{}\n",
            r.url,
            if r.username.is_some() {
                " (basic auth)"
            } else {
                ""
            }
        ))?;
    }
    if let Some(o) = &plan.outcomes {
        emit(&format!(
            "outcomes: {} joined with the applications by application id ({}; {}), {} outcome window(s), join store in {}, changelog {}\n",
            o.topic,
            config
                .outcomes
                .as_ref()
                .and_then(|c| c.id.as_deref())
                .map_or("the message key".to_string(), |p| format!("at {p}")),
            match o.repartition {
                Repartition::Always =>
                    format!("always repartitioned through {}", o.repartition_topic),
                Repartition::Auto => format!(
                    "repartitioned through {} if the partition counts differ",
                    o.repartition_topic
                ),
                Repartition::Never =>
                    "never repartitioned: the topics must be co-partitioned".into(),
            },
            o.windows.len(),
            o.store_dir.display(),
            crate::join::changelog_topic(&config.kafka.group_id)
        ))?;
    }
    for f in &plan.fairness {
        let model = &plan.models[f.model];
        emit(&format!(
            "fairness {}: {} of model {} across {} group(s) against the reference group, tau {}, in {} window(s)\n",
            f.name,
            model.features[f.feature].name,
            model.name,
            f.groups.len(),
            f.tau,
            plan.windows.len()
        ))?;
    }
    Ok(())
}

pub(crate) fn run_monitor(path: &Path) -> Result<()> {
    let (config, plan) = load(path)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(run(config, plan, shutdown_signal(), None))
}

/// Resolves on SIGINT or SIGTERM.
pub(crate) async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

/// The arguments of `psimon run`.
#[derive(clap::Args)]
pub(crate) struct RunCli {
    #[arg(long)]
    config: PathBuf,
}

/// The arguments of `psimon check-config`.
#[derive(clap::Args)]
pub(crate) struct CheckConfigCli {
    config: PathBuf,
}

impl RunCli {
    pub(super) fn config(&self) -> &Path {
        &self.config
    }

    pub(super) fn run(self) -> Result<()> {
        run_monitor(&self.config)
    }
}

impl CheckConfigCli {
    pub(super) fn config(&self) -> &Path {
        &self.config
    }

    pub(super) fn run(self) -> Result<()> {
        check(&self.config)
    }
}
