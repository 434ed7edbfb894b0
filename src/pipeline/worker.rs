//! One counting worker of a `psimon run` process: a consumer group member of its own (its
//! own `group.instance.id` and `transactional.id`, its join store directory, its share of
//! the prefetch), owning the partitions the group assigns it, on a thread of its own. With
//! `[kafka] workers = N` a process runs N of them, as Kafka Streams runs stream threads:
//! each is exactly what a separate instance would be, so the state topic, the checkpoints
//! and the rebalances need nothing new; the evaluator reads what all of them checkpoint.
//!
//! A worker lives in *lives*: when its clients cannot go on (a fenced or failed producer,
//! a fenced consumer, a restore that kept failing; `heal::Remedy::Restart`) the life ends,
//! its partitions are given up without any commit (`Owner::retire`), and a new life makes
//! a new transactional producer (fencing the old epoch) and a new consumer with the same
//! ids, which gets the partitions back and restores them from the state topic, as Kafka
//! Streams replaces a stream thread. Only what nothing heals, or a live twin, ends it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use anyhow::{Context, Result};
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use tracing::{info, warn};

use super::consumer::{Input, LoopSettings, MonitorContext, OutcomeRoute, consume_loop};
use super::fetch::prefetch_settings;
use super::heal::{self, FenceRecord, Remedy};
use super::owner::{DriftOutbox, Join, Owner, OwnerParts};
use super::plan::Plan;
use super::registry::Registry;
use super::status::{ConsumerStatus, Report};
use super::supervision::Seen;
use super::txn::{TxnError, TxnProducer, TxnTopics};
use crate::config::Config;
use crate::join::{PendingStore, changelog_topic};
use crate::output::metrics::Metrics;
use crate::state::PartitionId;
use crate::state::reader::StateReader;

/// The default worker count: one per core, at most one per input partition.
pub(crate) fn default_workers(partitions: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    cores.min(partitions).max(1)
}

/// Worker `i`'s name: the instance id itself for the first worker (so that a one-worker
/// process keeps the ids it always had), `<instance>-w<i>` for the others.
pub(crate) fn worker_instance(instance: &str, i: usize) -> String {
    if i == 0 {
        instance.to_string()
    } else {
        format!("{instance}-w{i}")
    }
}

/// The transactional id of worker `name`.
pub(crate) fn transactional_id(config: &Config, name: &str) -> String {
    format!("psimon-{}-{name}", config.kafka.group_id)
}

/// The topics of every worker's transactions.
pub(crate) fn txn_topics(config: &Config) -> TxnTopics {
    TxnTopics {
        state: config.state_topic(),
        dead_letter: config.kafka.dead_letter_topic.clone(),
        drift: config.kafka.drift_topic.clone(),
        dead_letter_max_bytes: config.kafka.dead_letter_max_bytes,
    }
}

/// The consumer config of worker `name` for `partitions` subscribed partitions and a
/// prefetch of `prefetch_bytes`.
fn consumer_config(
    config: &Config,
    base: &ClientConfig,
    name: &str,
    partitions: u64,
    prefetch_bytes: u64,
) -> ClientConfig {
    let mut ccfg = base.clone();
    ccfg.set("group.id", &config.kafka.group_id)
        // Static membership: a restarted instance gets its partitions back at once.
        .set("group.instance.id", name)
        .set("partition.assignment.strategy", assignment_strategy(config))
        .set("enable.auto.offset.store", "false")
        .set("enable.auto.commit", "false")
        .set("isolation.level", "read_committed")
        .set("statistics.interval.ms", "5000");
    // Prefetch bounded by [kafka] prefetch_bytes (memory whatever the backlog) with large
    // fetches and a short back-off when the queue is full: librdkafka's own (1 MB per
    // partition fetch, 1 s back-off) left a single consumer idle most of the time. Any of
    // them can be set under [kafka.properties].
    let fetch = prefetch_settings(prefetch_bytes, partitions);
    let fixed = [
        ("auto.offset.reset", "earliest"),
        ("session.timeout.ms", "30000"),
    ];
    crate::kafka::props::set_defaults(
        &mut ccfg,
        fetch.iter().map(|(k, v)| (*k, v.as_str())).chain(fixed),
    );
    ccfg
}

/// An eager assignor, never `cooperative-sticky`: with static membership a member killed
/// between a cooperative rebalance's two phases comes back to the first phase's assignment,
/// in which the partitions being moved belong to no one, and as no rebalance follows a
/// static member's return they stayed unread until the group next changed (seen: a worker
/// waiting for the schema registry did not rejoin for the second phase, then a kill -9).
/// Every eager generation assigns every partition. The outcome join needs partition p of
/// the input and of the outcome topic on the same instance: the range assignor gives
/// co-partitioned topics the same assignment; otherwise round robin spreads the partitions
/// of several topics evenly.
fn assignment_strategy(config: &Config) -> &'static str {
    if config.outcomes.is_some() {
        "range"
    } else {
        "roundrobin"
    }
}

/// Where outcomes are joined: the outcome topic itself (co-partitioned), or the
/// repartition topic, to which they are forwarded among `forward_partitions` partitions.
pub(crate) struct JoinTopics {
    pub joined: String,
    pub forward_partitions: Option<i32>,
}

/// What every worker shares, owned (a worker's thread makes new clients in every life).
pub(crate) struct WorkerEnv {
    pub config: Arc<Config>,
    pub plan: Arc<Plan>,
    pub base: ClientConfig,
    pub reader: Arc<StateReader>,
    pub metrics: Metrics,
    pub outbox: DriftOutbox,
    pub join_topics: Option<JoinTopics>,
    /// Cancelled when the process stops: every worker ends its life with a final checkpoint.
    pub stop: CancellationToken,
    pub workers: usize,
    /// The schema registry of Avro input (shared: one cache per process).
    pub registry: Option<Arc<Registry>>,
}

/// A running worker, as the supervisor sees it.
pub(crate) struct Worker {
    pub name: String,
    pub thread: JoinHandle<()>,
    /// Its heartbeat (the reports come on `reports`).
    pub status: Arc<ConsumerStatus>,
    pub reports: watch::Receiver<Report>,
    /// Whether this worker owns the partition that makes it the drift publisher.
    pub publisher: Arc<AtomicBool>,
    pub assigned: Arc<AtomicUsize>,
}

/// What one worker's lives share.
struct Lives {
    env: Arc<WorkerEnv>,
    name: String,
    status: Arc<ConsumerStatus>,
    publisher: Arc<AtomicBool>,
    assigned: Arc<AtomicUsize>,
}

/// Starts worker `name`; its first life uses `txn` (initialised by the caller).
pub(crate) fn start(env: &Arc<WorkerEnv>, name: String, txn: TxnProducer) -> Result<Worker> {
    let lives = Lives {
        env: Arc::clone(env),
        name: name.clone(),
        status: Arc::new(ConsumerStatus::default()),
        publisher: Arc::new(AtomicBool::new(false)),
        assigned: Arc::new(AtomicUsize::new(0)),
    };
    let (status, publisher, assigned) = (
        Arc::clone(&lives.status),
        Arc::clone(&lives.publisher),
        Arc::clone(&lives.assigned),
    );
    let thread = std::thread::Builder::new()
        .name(format!("psimon-{name}"))
        .spawn(move || lives.run(txn))
        .context("starting a consumer thread")?;
    Ok(Worker {
        name,
        thread,
        reports: status.subscribe(),
        status,
        publisher,
        assigned,
    })
}

impl Worker {
    /// The worker as the supervisor sees it now (its latest report marked seen).
    pub(super) fn seen(&mut self) -> Seen<'_> {
        Seen {
            name: &self.name,
            report: self.reports.borrow_and_update().clone(),
            thread_ended: self.thread.is_finished(),
            since_beat: self.status.since_beat(),
        }
    }
}

impl Lives {
    /// Lives one after another until stopped or stopped for good.
    fn run(self, first: TxnProducer) {
        let mut txn = Some(first);
        let mut fences = FenceRecord::default();
        let mut attempt = 0u32;
        while !self.env.stop.is_cancelled() {
            self.status.beat();
            let producer = match txn.take().map_or_else(|| self.new_txn(), Ok) {
                Ok(p) => p,
                Err(e) => {
                    let why = format!("initialising transactions: {e:#}");
                    if e.downcast_ref::<TxnError>()
                        .is_some_and(|t| t.remedy() == Remedy::Stop)
                    {
                        self.status.set_fatal(why, false);
                        return;
                    }
                    self.pause(&why, &mut attempt);
                    continue;
                }
            };
            let born = Instant::now();
            let consumer = match self.consumer(producer) {
                Ok(c) => c,
                Err(e) => {
                    self.status.set_fatal(format!("{e:#}"), false);
                    return;
                }
            };
            self.status.set_restarting(None);
            self.live(&consumer);
            let life = self.status.take_life();
            if let Some(ending) = &life.ending
                && let Ok(mut owner) = consumer.context().owner.lock()
            {
                owner.retire(&ending.why);
            }
            // Closing the consumer revokes its partitions: a retired owner has none.
            drop(consumer);
            let Some(ending) = life.ending else { return };
            if ending.remedy == Remedy::Stop {
                self.status.set_fatal(ending.why, false);
                return;
            }
            let lived = born.elapsed();
            if !ending.fence {
                fences.other();
            } else if fences.fenced(lived, life.outage) {
                self.status.set_fatal(
                    format!(
                        "fenced {} times in a row, each less than {:?} after rejoining with the cluster answering: another live instance uses kafka.instance_id {} (it must be unique per instance); last: {}",
                        heal::TWIN_FENCES, heal::SHORT_LIFE, self.name, ending.why
                    ),
                    true,
                );
                return;
            }
            self.env
                .metrics
                .worker_restarts
                .with_label_values(&[if ending.fence { "fenced" } else { "failed" }])
                .inc();
            if life.joined || lived > heal::SHORT_LIFE {
                attempt = 0;
            }
            self.pause(&format!("restarting after: {}", ending.why), &mut attempt);
        }
    }

    /// Says why on `/readyz` and waits the `attempt`-th back-off (cut short by a stop).
    fn pause(&self, why: &str, attempt: &mut u32) {
        let wait = heal::backoff(*attempt);
        warn!(worker = %self.name, reason = %why, retry_in_ms = wait.as_millis() as u64, "the worker restarts");
        self.status
            .set_restarting(Some(format!("restarting the worker: {why}")));
        *attempt += 1;
        let until = Instant::now() + wait;
        while Instant::now() < until && !self.env.stop.is_cancelled() {
            self.status.beat();
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// A new transactional producer: fences this worker's earlier one and aborts what it
    /// left open.
    fn new_txn(&self) -> Result<TxnProducer> {
        let (env, tid) = (&self.env, transactional_id(&self.env.config, &self.name));
        TxnProducer::new(
            &env.base,
            &tid,
            &txn_topics(&env.config),
            env.metrics.clone(),
        )
        .map_err(anyhow::Error::new)
    }

    /// This life's consumer, subscribed, with an owner of no partitions yet.
    fn consumer(&self, txn: TxnProducer) -> Result<BaseConsumer<MonitorContext>> {
        let (env, name) = (&self.env, &self.name);
        let (config, plan) = (&*env.config, &env.plan);
        let join = match &plan.outcomes {
            None => None,
            Some(o) => {
                // The store of this worker; rebuilt from the changelog on every assignment.
                let dir = o.store_dir.join(name);
                std::fs::create_dir_all(&dir).with_context(|| {
                    format!("creating the join store directory {}", dir.display())
                })?;
                let store = PendingStore::open(&dir, o.deadlines)
                    .with_context(|| format!("opening the join store in {}", dir.display()))?;
                let joined = env.join_topics.as_ref().map_or(&o.topic, |j| &j.joined);
                Some(Join::new(
                    store,
                    changelog_topic(&config.kafka.group_id),
                    joined.clone(),
                    env.base.clone(),
                ))
            }
        };
        let owner = Owner::new(OwnerParts {
            join,
            plan: Arc::clone(plan),
            txn,
            reader: Arc::clone(&env.reader),
            drift_outbox: env.outbox.clone(),
            restore_timeout: config.state.restore_timeout,
            metrics: env.metrics.clone(),
            publisher_partition: PartitionId {
                topic: config.kafka.input_topics[0].clone(),
                partition: 0,
            },
            publisher: Arc::clone(&self.publisher),
            assigned: Arc::clone(&self.assigned),
            offset_reset_latest: config
                .kafka
                .properties
                .get("auto.offset.reset")
                .is_some_and(|v| matches!(v.as_str(), "latest" | "largest" | "end")),
        });
        let context = MonitorContext::new(
            owner,
            env.metrics.clone(),
            Arc::clone(&self.status),
            transactional_id(config, name),
        );
        let topics = self.topics();
        // Partitions subscribed (at most): the count bound of the prefetch is per partition;
        // the prefetch bytes are shared among the workers.
        let subscribed = env.reader.partitions().max(1) as u64 * topics.len() as u64;
        let prefetch = config.kafka.prefetch_bytes / env.workers.max(1) as u64;
        let consumer: BaseConsumer<MonitorContext> =
            consumer_config(config, &env.base, name, subscribed, prefetch)
                .create_with_context(context)
                .context("creating the Kafka consumer")?;
        let refs: Vec<&str> = topics.iter().map(String::as_str).collect();
        consumer
            .subscribe(&refs)
            .context("subscribing to the input topics")?;
        info!(worker = %name, topics = ?topics, group = %config.kafka.group_id, "consuming");
        Ok(consumer)
    }

    /// The topics this worker subscribes to: the input, the outcomes and, when outcomes
    /// are repartitioned, the repartition topic.
    fn topics(&self) -> Vec<String> {
        let env = &self.env;
        let mut topics: Vec<String> = env.config.kafka.input_topics.clone();
        if let Some(o) = &env.plan.outcomes {
            topics.push(o.topic.clone());
        }
        if let Some(j) = env
            .join_topics
            .as_ref()
            .filter(|j| j.forward_partitions.is_some())
        {
            topics.push(j.joined.clone());
        }
        topics
    }

    /// One life: consumes until stopped or until the life ends (its status says why).
    fn live(&self, consumer: &BaseConsumer<MonitorContext>) {
        let (env, plan) = (&self.env, &self.env.plan);
        let settings = LoopSettings {
            commit_interval: env.config.state.commit_interval,
            windows: plan.layout.windows.len(),
            max_time_skew_ms: env.config.mapping.max_time_skew.as_millis() as i64,
        };
        let source = plan.outcomes.as_ref().map(|o| o.topic.clone());
        let joined = env
            .join_topics
            .as_ref()
            .map(|j| (j.joined.clone(), j.forward_partitions));
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
            registry: env.registry.as_deref(),
        };
        consume_loop(consumer, input, outcomes, &env.stop, &settings);
    }
}

/// Whether any worker is the drift publisher; the assigned partitions of all.
pub(crate) fn publishing(workers: &[Worker]) -> (bool, usize) {
    (
        workers.iter().any(|w| w.publisher.load(Ordering::Relaxed)),
        workers
            .iter()
            .map(|w| w.assigned.load(Ordering::Relaxed))
            .sum(),
    )
}
