//! `psimon run`: creates or checks the state topic, loads the global table, starts the
//! HTTP server, the consumer thread (which restores and owns its partitions) and the
//! evaluation interval, supervises them, and on shutdown stops them in order within the
//! deadline: stop consuming (final checkpoint), evaluate once more, flush, stop HTTP.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use rdkafka::config::ClientConfig;
use serde_json::Value;
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

use super::clock::now_ms;
use super::evaluator::{Evaluator, Published, TickInput};
use super::owner::DriftOutbox;
use super::plan::Plan;
use super::supervision::{FENCED_EXIT_AFTER, Seen, assess, ends_process};
use super::txn::TxnProducer;
use super::worker::{self, JoinTopics, Worker, WorkerEnv, default_workers, worker_instance};
use crate::config::Config;
use crate::join::changelog_topic;
use crate::kafka::log as kafka_log;
use crate::output::http::{HttpState, serve, serve_health, serve_tls};
use crate::output::http_auth::HttpAuth;
use crate::output::http_tls;
use crate::output::metrics::Metrics;
use crate::state::reader::StateReader;
use crate::state::topic::{
    TopicError, ensure_repartition_topic, ensure_state_topic, outcome_partitions,
};

/// What `/readyz` says until the state table is loaded.
const STARTING: &str = "starting: loading the state table";

/// Called after every evaluation with its JSON and the drift events it published.
pub(crate) type OnEvaluation = Box<dyn FnMut(&Value, &[Published]) + Send>;

/// The credentials of `/metrics` and `/api/*` (the token file read and its token kept out
/// of all output).
fn http_auth(config: &Config) -> Result<HttpAuth> {
    let token = match &config.http.bearer_token_file {
        None => None,
        Some(path) => {
            let t = std::fs::read_to_string(path)
                .with_context(|| format!("reading http.bearer_token_file {}", path.display()))?;
            let t = t.trim().to_string();
            crate::config::secrets::register(&t);
            Some(t)
        }
    };
    Ok(HttpAuth::new(config.http.basic_auth_users.clone(), token))
}

/// The HTTP endpoints on `http.address` (over TLS when configured) and, with
/// `http.health_address`, the probes on a listener of their own; a send on the returned
/// channel stops both.
async fn start_http(config: &Config, http_state: &Arc<HttpState>) -> Result<Http> {
    let listener = tokio::net::TcpListener::bind(&config.http.address)
        .await
        .with_context(|| format!("binding the HTTP address {}", config.http.address))?;
    info!(address = %listener.local_addr()?, "serving /metrics, /livez, /readyz, /api/v1/drift");
    let (http_stop_tx, http_stop_rx) = oneshot::channel::<()>();
    let (health_stop_tx, health_stop_rx) = oneshot::channel::<()>();
    if let Some(address) = &config.http.health_address {
        let health = tokio::net::TcpListener::bind(address)
            .await
            .with_context(|| format!("binding the health address {address}"))?;
        info!(address = %health.local_addr()?, "serving /livez and /readyz on their own listener");
        tokio::spawn(serve_health(health, Arc::clone(http_state), async {
            let _ = health_stop_rx.await;
        }));
    }
    // The health listener stops with the main one.
    let stopped = async move {
        let _ = http_stop_rx.await;
        let _ = health_stop_tx.send(());
    };
    let http_task = match (&config.http.tls_cert_file, &config.http.tls_key_file) {
        (Some(cert), Some(key)) => {
            let tls = http_tls::acceptor(cert, key)
                .map_err(|e| anyhow::anyhow!("the HTTP server's TLS: {e}"))?;
            tokio::spawn(serve_tls(listener, Arc::clone(http_state), stopped, tls))
        }
        _ => tokio::spawn(serve(listener, Arc::clone(http_state), stopped)),
    };
    Ok(Http {
        stop: http_stop_tx,
        task: http_task,
    })
}

/// librdkafka settings shared by every client.
pub(crate) fn client_config(config: &Config) -> ClientConfig {
    let mut cfg = ClientConfig::new();
    cfg.set("bootstrap.servers", &config.kafka.brokers);
    for (k, v) in &config.kafka.properties {
        cfg.set(k, v);
    }
    cfg
}

/// `kafka.instance_id`, else the host name (the pod name in Kubernetes).
pub(crate) fn instance_id(config: &Config) -> String {
    config
        .kafka
        .instance_id
        .clone()
        .or_else(|| std::env::var("HOSTNAME").ok().filter(|h| !h.is_empty()))
        .or_else(|| {
            std::fs::read_to_string("/proc/sys/kernel/hostname")
                .ok()
                .map(|h| h.trim().to_string())
                .filter(|h| !h.is_empty())
        })
        .unwrap_or_else(|| "psimon".into())
}

pub async fn run(
    config: Config,
    plan: Plan,
    shutdown: impl Future<Output = ()> + Send,
    mut on_evaluation: Option<OnEvaluation>,
) -> Result<()> {
    let plan = Arc::new(plan);
    let metrics = Metrics::new();
    let http_state = HttpState::with_auth(metrics.clone(), http_auth(&config)?);
    http_state.set_not_ready(STARTING);
    let http = start_http(&config, &http_state).await?;
    let base = client_config(&config);
    let instance = instance_id(&config);
    metrics
        .instance_info
        .with_label_values(&[&instance, &config.kafka.group_id])
        .set(1);
    tokio::pin!(shutdown);
    let connected = connect(
        (&config, &plan, &base, &instance),
        &metrics,
        &http_state,
        &mut shutdown,
    )
    .await?;
    let Some((reader, txns, join_topics)) = connected else {
        http.stop(Instant::now() + Duration::from_secs(2)).await;
        info!("stopped before Kafka was reachable");
        return Ok(());
    };
    info!(topic = %reader.topic(), partitions = reader.partitions(), instance = %instance, workers = txns.len(), "state table loaded");

    let outbox = DriftOutbox::default();
    let stop = CancellationToken::new();
    let env = Arc::new(WorkerEnv {
        registry: schema_registry(&config, &metrics),
        config: Arc::new(config.clone()),
        plan: Arc::clone(&plan),
        base: base.clone(),
        reader: Arc::clone(&reader),
        metrics: metrics.clone(),
        outbox: outbox.clone(),
        join_topics,
        stop: stop.clone(),
        workers: txns.len(),
    });
    let mut workers = Vec::new();
    for (i, txn) in txns.into_iter().enumerate() {
        workers.push(worker::start(&env, worker_instance(&instance, i), txn)?);
    }
    info!(workers = workers.len(), "counting workers started");
    // Whether the broker answers the readiness probe.
    let broker_ok = Arc::new(AtomicBool::new(true));
    let probe_task = spawn_broker_probe(&reader, &broker_ok);
    let mut evaluation = Evaluation {
        evaluator: Evaluator::new(
            Arc::clone(&plan),
            &format!("psimon/{}", config.kafka.group_id),
            outbox.clone(),
        ),
        reader: &reader,
        metrics: &metrics,
        http: &http_state,
        on_evaluation: &mut on_evaluation,
    };
    let failure = supervise(
        &mut workers,
        &mut evaluation,
        (&broker_ok, config.evaluation.interval),
        &mut shutdown,
    )
    .await;

    let deadline = Instant::now() + config.shutdown.deadline;
    info!(
        deadline_s = config.shutdown.deadline.as_secs_f64(),
        "shutting down"
    );
    http_state.set_not_ready("shutting down");
    stop.cancel();
    probe_task.abort();
    shut_down(workers, &mut evaluation, deadline).await;
    http.stop(deadline.max(Instant::now() + Duration::from_millis(100)))
        .await;
    info!("stopped");
    match failure {
        Some(why) => Err(anyhow!("psimon stopped because {why}")),
        None => Ok(()),
    }
}

/// The HTTP server's task and what stops it.
struct Http {
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Http {
    /// Stops serving, waiting for the server until `until`.
    async fn stop(self, until: Instant) {
        let _ = self.stop.send(());
        let _ =
            tokio::time::timeout(until.saturating_duration_since(Instant::now()), self.task).await;
    }
}

/// The schema registry's client, for Avro input.
fn schema_registry(config: &Config, metrics: &Metrics) -> Option<Arc<super::registry::Registry>> {
    config
        .input
        .schema_registry
        .as_ref()
        .filter(|_| config.input.format == crate::config::InputFormat::Avro)
        .map(|r| Arc::new(super::registry::Registry::new(r, metrics.clone())))
}

/// What `prepare_state` readies: the state reader, one transactional producer per
/// worker, and the join's topics.
type Connected = (Arc<StateReader>, Vec<TxnProducer>, Option<JoinTopics>);

/// Prepares the state until Kafka answers: the process stays up (live, not ready, saying
/// why) and retries with back-off. `None` when `shutdown` comes first; an error for what
/// no retry mends (a state topic that is not compacted, topics that must be co-partitioned).
async fn connect(
    (config, plan, base, instance): (&Config, &Plan, &ClientConfig, &str),
    metrics: &Metrics,
    http_state: &HttpState,
    shutdown: &mut Pin<&mut (impl Future<Output = ()> + Send)>,
) -> Result<Option<Connected>> {
    let mut backoff = Duration::from_secs(1);
    loop {
        let why = tokio::select! {
            _ = shutdown.as_mut() => return Ok(None),
            r = prepare_watched(config, plan, base, instance, metrics, http_state) => match r {
                Ok(ready) => return Ok(Some(ready)),
                Err(e) if e.downcast_ref::<TopicError>().is_some_and(|t| matches!(t, TopicError::NotCompacted { .. } | TopicError::NotCoPartitioned { .. })) => {
                    return Err(e);
                }
                Err(e) => format!("{e:#}"),
            }
        };
        warn!(error = %why, retry_in_s = backoff.as_secs(), "Kafka is not ready for psimon yet; retrying");
        http_state.set_not_ready(&kafka_log::with_last_problem(&format!(
            "waiting for Kafka: {why}"
        )));
        tokio::select! {
            _ = tokio::time::sleep(backoff) => {}
            _ = shutdown.as_mut() => return Ok(None),
        }
        backoff = (backoff * 2).min(Duration::from_secs(30));
    }
}

/// Readiness follows the broker with or without traffic: a metadata probe every second.
fn spawn_broker_probe(
    reader: &Arc<StateReader>,
    broker_ok: &Arc<AtomicBool>,
) -> tokio::task::JoinHandle<()> {
    let (r, ok_flag) = (Arc::clone(reader), Arc::clone(broker_ok));
    tokio::spawn(async move {
        loop {
            let r2 = Arc::clone(&r);
            let ok =
                tokio::task::spawn_blocking(move || r2.broker_reachable(Duration::from_secs(2)))
                    .await
                    .unwrap_or(false);
            ok_flag.store(ok, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    })
}

/// The evaluator with what each evaluation reads and where its result goes.
struct Evaluation<'a> {
    evaluator: Evaluator,
    reader: &'a Arc<StateReader>,
    metrics: &'a Metrics,
    http: &'a HttpState,
    on_evaluation: &'a mut Option<OnEvaluation>,
}

impl Evaluation<'_> {
    fn run(&mut self, publishing: bool) {
        evaluate(
            &mut self.evaluator,
            self.reader,
            self.metrics,
            publishing,
            self.http,
            self.on_evaluation,
        );
    }
}

/// Evaluates every interval and judges the workers' health at each report they send and
/// every second (a heartbeat's age, the broker probe, the twin's grace) until `shutdown`
/// or a failure that ends the process (returned).
async fn supervise(
    workers: &mut [Worker],
    evaluation: &mut Evaluation<'_>,
    (broker_ok, interval): (&AtomicBool, Duration),
    shutdown: &mut Pin<&mut (impl Future<Output = ()> + Send)>,
) -> Option<String> {
    let (metrics, http_state) = (evaluation.metrics, evaluation.http);
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut timer = tokio::time::interval(Duration::from_secs(1));
    let mut twin_since: Option<Instant> = None;
    loop {
        tokio::select! {
            _ = shutdown.as_mut() => return None,
            _ = tick.tick() => {
                let (publishing, _) = worker::publishing(workers);
                evaluation.run(publishing);
                continue;
            }
            _ = any_report(workers) => {}
            _ = timer.tick() => {}
        }
        let (publishing, assigned) = worker::publishing(workers);
        metrics.drift_publisher.set(i64::from(publishing));
        metrics.assigned_partitions.set(assigned as i64);
        let seen: Vec<Seen<'_>> = workers.iter_mut().map(Worker::seen).collect();
        let health = assess(
            &seen,
            evaluation.reader.is_finished(),
            broker_ok.load(Ordering::Relaxed),
        );
        match &health.not_ready {
            None => http_state.set_ready(),
            Some(why) => http_state.set_not_ready(&kafka_log::with_last_problem(why)),
        }
        if let Some(why) = ends_process(&health, &mut twin_since, Instant::now()) {
            if health.twin {
                error!(reason = %why, "stopping: fenced for {:?}", FENCED_EXIT_AFTER);
            } else {
                error!(reason = %why, "stopping: a component failed");
            }
            return Some(why);
        }
    }
}

/// Until some worker sends a new report (never, when none can).
async fn any_report(workers: &mut [Worker]) {
    let changes: Vec<_> = workers
        .iter_mut()
        .filter(|w| w.reports.has_changed().is_ok())
        .map(|w| Box::pin(w.reports.changed()))
        .collect();
    if changes.is_empty() {
        return std::future::pending().await;
    }
    let _ = futures_util::future::select_all(changes).await;
}

/// Stops the workers (each writes its final checkpoint), waits for the state table to see
/// it, evaluates a last time, and stops the state reader, all within `deadline`.
async fn shut_down(workers: Vec<Worker>, evaluation: &mut Evaluation<'_>, deadline: Instant) {
    let joined = tokio::task::spawn_blocking(move || {
        workers
            .into_iter()
            .map(|w| w.thread.join().is_err())
            .fold(false, |a, b| a | b)
    });
    match tokio::time::timeout(deadline.saturating_duration_since(Instant::now()), joined).await {
        Err(_) => warn!("the consumers did not stop before the deadline"),
        Ok(Ok(true)) => error!("a consumer thread panicked"),
        Ok(_) => {}
    }
    // The final evaluation sees the final checkpoint.
    let wait = deadline
        .saturating_duration_since(Instant::now())
        .min(Duration::from_secs(3));
    let r = Arc::clone(evaluation.reader);
    let _ = tokio::task::spawn_blocking(move || r.wait_caught_up(wait)).await;
    // The last evaluation publishes nothing: its drift state could no longer reach the state
    // topic, and the next publisher would publish the transition again under another id.
    evaluation.run(false);
    let r = Arc::clone(evaluation.reader);
    let _ = tokio::time::timeout(
        deadline.saturating_duration_since(Instant::now()),
        tokio::task::spawn_blocking(move || r.stop()),
    )
    .await;
}

/// Creates or checks the state topic, starts its reader, initialises transactions (which
/// fences an earlier instance with the same id) and loads the table.
async fn prepare_state(
    config: &Config,
    plan: &Plan,
    base: &ClientConfig,
    instance: &str,
    metrics: &Metrics,
) -> Result<(Arc<StateReader>, Vec<TxnProducer>, Option<JoinTopics>)> {
    let state_topic = config.state_topic();
    let partitions = ensure_state_topic(
        base,
        &state_topic,
        &config.kafka.input_topics,
        Duration::from_secs(10),
    )
    .await
    .context("preparing the state topic")?;
    let mut join_topics = None;
    if let Some(o) = &plan.outcomes {
        let (outcome_n, input_n) = outcome_partitions(
            base,
            &o.topic,
            &config.kafka.input_topics,
            Duration::from_secs(10),
        )
        .await
        .context("checking the outcome topic")?;
        let repartition = o
            .repartitions(outcome_n, input_n)
            .map_err(|counts| TopicError::NotCoPartitioned { counts })
            .context("checking the outcome topic")?;
        let joined = if repartition {
            ensure_repartition_topic(base, &o.repartition_topic, input_n, Duration::from_secs(10))
                .await
                .context("preparing the outcome repartition topic")?;
            info!(from = %o.topic, to = %o.repartition_topic, partitions = input_n, "outcomes are repartitioned by application id");
            o.repartition_topic.clone()
        } else {
            o.topic.clone()
        };
        let changelog = changelog_topic(&config.kafka.group_id);
        ensure_state_topic(
            base,
            &changelog,
            std::slice::from_ref(&joined),
            Duration::from_secs(10),
        )
        .await
        .context("preparing the join's changelog topic")?;
        info!(topic = %changelog, partitions = input_n, "join changelog ready");
        join_topics = Some(JoinTopics {
            joined,
            forward_partitions: repartition.then_some(input_n),
        });
    }
    let reader = StateReader::start(base, &state_topic, partitions, metrics.state_reader())
        .context("starting the state reader")?;
    let workers = config
        .kafka
        .workers
        .unwrap_or_else(|| default_workers(partitions.max(1) as usize));
    let mut txns = Vec::new();
    for i in 0..workers {
        let transactional_id = worker::transactional_id(config, &worker_instance(instance, i));
        let (b, tid, topics, m) = (
            base.clone(),
            transactional_id.clone(),
            worker::txn_topics(config),
            metrics.clone(),
        );
        let txn = tokio::task::spawn_blocking(move || TxnProducer::new(&b, &tid, &topics, m))
            .await?
            .with_context(|| {
                format!("initialising transactions (transactional.id {transactional_id})")
            });
        match txn {
            Ok(t) => txns.push(t),
            Err(e) => {
                reader.stop();
                return Err(e);
            }
        }
    }
    let (r, timeout) = (Arc::clone(&reader), config.state.restore_timeout);
    let loaded = tokio::task::spawn_blocking(move || r.wait_caught_up(timeout)).await?;
    if let Err(e) = loaded {
        reader.stop();
        return Err(anyhow::Error::new(e).context("loading the state table"));
    }
    Ok((reader, txns, join_topics))
}

/// `prepare_state`, with `/readyz` naming the last connection problem (a refused password,
/// a failed TLS handshake) while it waits, rather than only the step it is at.
async fn prepare_watched(
    config: &Config,
    plan: &Plan,
    base: &ClientConfig,
    instance: &str,
    metrics: &Metrics,
    http_state: &HttpState,
) -> Result<(Arc<StateReader>, Vec<TxnProducer>, Option<JoinTopics>)> {
    let prepare = prepare_state(config, plan, base, instance, metrics);
    tokio::pin!(prepare);
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            r = &mut prepare => return r,
            _ = tick.tick() => {
                if let Some(why) = kafka_log::with_problem_within(STARTING, Duration::from_secs(30)) {
                    http_state.set_not_ready(&why);
                }
            }
        }
    }
}

fn evaluate(
    evaluator: &mut Evaluator,
    reader: &StateReader,
    metrics: &Metrics,
    publishing: bool,
    http: &HttpState,
    on_evaluation: &mut Option<OnEvaluation>,
) {
    let (json, published) = tokio::task::block_in_place(|| {
        evaluator.tick(&TickInput {
            table: reader.table(),
            metrics,
            publishing,
            now_ms: now_ms(),
        })
    });
    if let Some(cb) = on_evaluation.as_mut() {
        cb(&json, &published);
    }
    if let Ok(mut latest) = http.latest.write() {
        *latest = json;
    }
}
