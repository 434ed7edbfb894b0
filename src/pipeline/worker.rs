//! One counting worker of a `psimon run` process: a consumer group member of its own (its
//! own `group.instance.id` and `transactional.id`, its join store directory, its share of
//! the prefetch), owning the partitions the group assigns it, on a thread of its own. With
//! `[kafka] workers = N` a process runs N of them, as Kafka Streams runs stream threads:
//! each is exactly what a separate instance would be, so the state topic, the checkpoints
//! and the rebalances need nothing new; the evaluator reads what all of them checkpoint.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;

use anyhow::{Context, Result};
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use tracing::info;

use super::consumer::{
    ConsumerStatus, Input, LoopSettings, MonitorContext, OutcomeRoute, consume_loop,
};
use super::owner::{DriftOutbox, Join, Owner, OwnerParts};
use super::plan::Plan;
use super::registry::Registry;
use super::txn::TxnProducer;
use crate::config::Config;
use crate::join::{PendingStore, changelog_topic};
use crate::output::metrics::Metrics;
use crate::state::PartitionId;
use crate::state::reader::StateReader;

/// The default worker count: one per core, at most one per input partition.
pub fn default_workers(partitions: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    cores.min(partitions).max(1)
}

/// Worker `i`'s name: the instance id itself for the first worker (so that a one-worker
/// process keeps the ids it always had), `<instance>-w<i>` for the others.
pub fn worker_instance(instance: &str, i: usize) -> String {
    if i == 0 {
        instance.to_string()
    } else {
        format!("{instance}-w{i}")
    }
}

/// Where outcomes are joined: the outcome topic itself (co-partitioned), or the
/// repartition topic, to which they are forwarded among `forward_partitions` partitions.
pub struct JoinTopics {
    pub joined: String,
    pub forward_partitions: Option<i32>,
}

/// A running worker, as the supervisor sees it.
pub struct Worker {
    pub name: String,
    pub thread: JoinHandle<()>,
    pub status: Arc<ConsumerStatus>,
    /// Whether this worker owns the partition that makes it the drift publisher.
    pub publisher: Arc<AtomicBool>,
    pub assigned: Arc<AtomicUsize>,
}

/// What every worker shares.
pub struct Shared<'a> {
    pub config: &'a Config,
    pub plan: &'a Arc<Plan>,
    pub base: &'a ClientConfig,
    pub reader: &'a Arc<StateReader>,
    pub metrics: &'a Metrics,
    pub outbox: &'a DriftOutbox,
    pub join_topics: &'a Option<JoinTopics>,
    pub stop: &'a Arc<AtomicBool>,
    /// Builds the consumer config of worker `name` for `partitions` subscribed partitions
    /// and a prefetch of `bytes`.
    pub consumer_config: &'a dyn Fn(&str, u64, u64) -> ClientConfig,
    pub workers: usize,
    /// The schema registry of Avro input (shared: one cache per process).
    pub registry: &'a Option<Arc<Registry>>,
}

/// Starts worker `name` with its transactional producer `txn`.
pub fn start(shared: &Shared<'_>, name: String, txn: TxnProducer) -> Result<Worker> {
    let (config, plan) = (shared.config, shared.plan);
    let join = match &plan.outcomes {
        None => None,
        Some(o) => {
            // The store of this worker; rebuilt from the changelog on every assignment.
            let dir = o.store_dir.join(&name);
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("creating the join store directory {}", dir.display()))?;
            let store = PendingStore::open(&dir, o.deadlines, 64 << 20)
                .with_context(|| format!("opening the join store in {}", dir.display()))?;
            let joined = shared.join_topics.as_ref().map_or(&o.topic, |j| &j.joined);
            Some(Join::new(
                store,
                changelog_topic(&config.kafka.group_id),
                joined.clone(),
                shared.base.clone(),
            ))
        }
    };
    let publisher = Arc::new(AtomicBool::new(false));
    let assigned = Arc::new(AtomicUsize::new(0));
    let owner = Owner::new(OwnerParts {
        join,
        plan: Arc::clone(plan),
        txn,
        reader: Arc::clone(shared.reader),
        drift_outbox: Arc::clone(shared.outbox),
        restore_timeout: config.state.restore_timeout,
        metrics: shared.metrics.clone(),
        publisher_partition: PartitionId {
            topic: config.kafka.input_topics[0].clone(),
            partition: 0,
        },
        publisher: Arc::clone(&publisher),
        assigned: Arc::clone(&assigned),
        offset_reset_latest: config
            .kafka
            .properties
            .get("auto.offset.reset")
            .is_some_and(|v| matches!(v.as_str(), "latest" | "largest" | "end")),
    });
    let status = Arc::new(ConsumerStatus::default());
    let transactional_id = format!("psimon-{}-{name}", config.kafka.group_id);
    let context = MonitorContext::new(
        owner,
        shared.metrics.clone(),
        Arc::clone(&status),
        transactional_id,
    );
    let mut topics: Vec<String> = config.kafka.input_topics.clone();
    if let Some(o) = &plan.outcomes {
        topics.push(o.topic.clone());
    }
    if let Some(j) = shared
        .join_topics
        .as_ref()
        .filter(|j| j.forward_partitions.is_some())
    {
        topics.push(j.joined.clone());
    }
    // Partitions subscribed (at most): the count bound of the prefetch is per partition;
    // the prefetch bytes are shared among the workers.
    let subscribed = shared.reader.partitions().max(1) as u64 * topics.len() as u64;
    let prefetch = config.kafka.prefetch_bytes / shared.workers.max(1) as u64;
    let consumer: BaseConsumer<MonitorContext> =
        (shared.consumer_config)(&name, subscribed, prefetch)
            .create_with_context(context)
            .context("creating the Kafka consumer")?;
    let refs: Vec<&str> = topics.iter().map(String::as_str).collect();
    consumer
        .subscribe(&refs)
        .context("subscribing to the input topics")?;
    info!(worker = %name, topics = ?topics, group = %config.kafka.group_id, "consuming");
    let settings = LoopSettings {
        commit_interval: config.state.commit_interval,
        windows: plan.layout.windows.len(),
        max_time_skew_ms: config.mapping.max_time_skew.as_millis() as i64,
    };
    let (plan, stop) = (Arc::clone(plan), Arc::clone(shared.stop));
    let registry = shared.registry.clone();
    let (source, joined) = (
        plan.outcomes.as_ref().map(|o| o.topic.clone()),
        shared
            .join_topics
            .as_ref()
            .map(|j| (j.joined.clone(), j.forward_partitions)),
    );
    let thread = std::thread::Builder::new()
        .name(format!("psimon-{name}"))
        .spawn(move || {
            let outcomes = plan
                .outcomes
                .as_ref()
                .zip(source.as_ref().zip(joined.as_ref()))
                .map(|(o, (source, (joined, forward)))| OutcomeRoute {
                    source,
                    joined,
                    forward_partitions: *forward,
                    decoder: &o.decoder,
                });
            let input = Input {
                decoder: &plan.decoder,
                registry: registry.as_deref(),
            };
            consume_loop(&consumer, input, outcomes, &stop, &settings);
            // Dropping the consumer closes it (a static member does not leave the group:
            // a restart within the session timeout gets its partitions back).
        })
        .context("starting a consumer thread")?;
    Ok(Worker {
        name,
        thread,
        status,
        publisher,
        assigned,
    })
}

/// Whether any worker is the drift publisher; the assigned partitions of all.
pub fn publishing(workers: &[Worker]) -> (bool, usize) {
    (
        workers.iter().any(|w| w.publisher.load(Ordering::Relaxed)),
        workers
            .iter()
            .map(|w| w.assigned.load(Ordering::Relaxed))
            .sum(),
    )
}
