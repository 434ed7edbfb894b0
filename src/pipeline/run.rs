//! `psimon run`: starts the HTTP server, the consumer thread and the evaluation interval,
//! and on shutdown stops them in order within the deadline: stop consuming (the consumer
//! commits its offsets), evaluate once more, flush the producer, stop HTTP.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use serde_json::Value;
use tokio::sync::oneshot;
use tracing::{info, warn};

use super::consumer::{MonitorContext, Partitions, consume_loop, now_ms};
use super::evaluator::{Evaluator, Published};
use super::plan::Plan;
use super::producer::OutputProducer;
use crate::config::Config;
use crate::output::http::{HttpState, serve};
use crate::output::metrics::Metrics;

/// Called after every evaluation with its JSON and the drift events it published.
pub type OnEvaluation = Box<dyn FnMut(&Value, &[Published]) + Send>;

/// librdkafka settings shared by the consumer and the producer.
fn client_config(config: &Config) -> ClientConfig {
    let mut cfg = ClientConfig::new();
    cfg.set("bootstrap.servers", &config.kafka.brokers);
    for (k, v) in &config.kafka.properties {
        cfg.set(k, v);
    }
    cfg
}

pub async fn run(
    config: Config,
    plan: Plan,
    shutdown: impl Future<Output = ()> + Send,
    mut on_evaluation: Option<OnEvaluation>,
) -> Result<()> {
    let plan = Arc::new(plan);
    let metrics = Metrics::new();
    let http_state = HttpState::new(metrics.clone());

    let listener = tokio::net::TcpListener::bind(&config.http.address)
        .await
        .with_context(|| format!("binding the HTTP address {}", config.http.address))?;
    info!(address = %listener.local_addr()?, "serving /metrics, /livez, /readyz, /api/v1/drift");
    let (http_stop_tx, http_stop_rx) = oneshot::channel::<()>();
    let http_task = tokio::spawn(serve(listener, Arc::clone(&http_state), async {
        let _ = http_stop_rx.await;
    }));

    let base = client_config(&config);
    let producer = Arc::new(
        OutputProducer::new(
            &base,
            metrics.clone(),
            &config.kafka.dead_letter_topic,
            &config.kafka.drift_topic,
        )
        .context("creating the Kafka producer")?,
    );
    let partitions: Partitions = Arc::new(Mutex::new(HashMap::new()));
    let broker_down = Arc::new(AtomicBool::new(false));
    let context = MonitorContext::new(
        Arc::clone(&partitions),
        plan.shapes.clone(),
        plan.window_specs(),
        metrics.clone(),
        Arc::clone(&broker_down),
    );
    let mut ccfg = base.clone();
    ccfg.set("group.id", &config.kafka.group_id)
        .set("partition.assignment.strategy", "cooperative-sticky")
        .set("enable.auto.offset.store", "false")
        .set("enable.auto.commit", "true")
        .set("auto.commit.interval.ms", "1000")
        .set("statistics.interval.ms", "5000");
    // Defaults for a consumer that reads everything: larger fetches, a deeper prefetch
    // queue (128 MB) and a short back-off when it is full. librdkafka's own (1 MB per
    // partition fetch, 1 s back-off) left a single consumer idle most of the time: about
    // 120,000 applications/s here instead of over 300,000. Any of them can be set under
    // [kafka.properties].
    for (k, v) in [
        ("auto.offset.reset", "earliest"),
        ("max.partition.fetch.bytes", "16777216"),
        ("queued.min.messages", "500000"),
        ("queued.max.messages.kbytes", "131072"),
        ("fetch.queue.backoff.ms", "5"),
    ] {
        if !config.kafka.properties.contains_key(k) {
            ccfg.set(k, v);
        }
    }
    let consumer: BaseConsumer<MonitorContext> = ccfg
        .create_with_context(context)
        .context("creating the Kafka consumer")?;
    let topics: Vec<&str> = config
        .kafka
        .input_topics
        .iter()
        .map(String::as_str)
        .collect();
    consumer
        .subscribe(&topics)
        .context("subscribing to the input topics")?;
    info!(topics = ?topics, group = %config.kafka.group_id, "consuming");

    let stop = Arc::new(AtomicBool::new(false));
    let consumer_thread = {
        let (plan, producer, stop) = (Arc::clone(&plan), Arc::clone(&producer), Arc::clone(&stop));
        std::thread::Builder::new()
            .name("psimon-consumer".into())
            .spawn(move || {
                consume_loop(&consumer, &plan.decoder, &producer, &stop);
                // The consumer is dropped here, after its final commit: it leaves the group.
            })
            .context("starting the consumer thread")?
    };

    let mut evaluator = Evaluator::new(
        Arc::clone(&plan),
        &format!("psimon/{}", config.kafka.group_id),
    );
    let mut tick = tokio::time::interval(config.evaluation.interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut readiness = tokio::time::interval(Duration::from_millis(250));
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            _ = readiness.tick() => {
                let ready = metrics.assigned_partitions.get() > 0 && !broker_down.load(Ordering::Relaxed);
                metrics.ready.set(i64::from(ready));
            }
            _ = tick.tick() => {
                evaluate(&mut evaluator, &partitions, &metrics, &producer, &http_state, &mut on_evaluation);
            }
        }
    }

    let deadline = Instant::now() + config.shutdown.deadline;
    info!(
        deadline_s = config.shutdown.deadline.as_secs_f64(),
        "shutting down"
    );
    metrics.ready.set(0);
    stop.store(true, Ordering::Relaxed);
    let joined = tokio::task::spawn_blocking(move || consumer_thread.join());
    if tokio::time::timeout(deadline.saturating_duration_since(Instant::now()), joined)
        .await
        .is_err()
    {
        warn!("the consumer did not stop before the deadline");
    }
    evaluate(
        &mut evaluator,
        &partitions,
        &metrics,
        &producer,
        &http_state,
        &mut on_evaluation,
    );
    let remaining = deadline.saturating_duration_since(Instant::now());
    let p = Arc::clone(&producer);
    let _ = tokio::task::spawn_blocking(move || p.flush(remaining)).await;
    let _ = http_stop_tx.send(());
    let remaining = deadline
        .saturating_duration_since(Instant::now())
        .max(Duration::from_millis(100));
    let _ = tokio::time::timeout(remaining, http_task).await;
    info!("stopped");
    Ok(())
}

fn evaluate(
    evaluator: &mut Evaluator,
    partitions: &Partitions,
    metrics: &Metrics,
    producer: &OutputProducer,
    http: &HttpState,
    on_evaluation: &mut Option<OnEvaluation>,
) {
    let (json, published) = tokio::task::block_in_place(|| {
        evaluator.tick(partitions, metrics, Some(producer), now_ms())
    });
    if let Some(cb) = on_evaluation.as_mut() {
        cb(&json, &published);
    }
    if let Ok(mut latest) = http.latest.write() {
        *latest = json;
    }
}
