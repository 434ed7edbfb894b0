//! The consumer loop, on a thread of its own: poll, decode, count into the partition's
//! state, dead-letter what cannot be counted, and store offsets only for messages that are
//! fully processed (committed by librdkafka's auto-commit, and once more at shutdown).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::statistics::Statistics;
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{ClientContext, Offset, TopicPartitionList};
use tracing::{info, warn};

use super::producer::{OutputProducer, Source};
use crate::event::Decoder;
use crate::output::metrics::Metrics;
use crate::window::{Counted, PartitionState, WindowSpec};

/// Counting state of every assigned partition, by topic then partition (a lookup by `&str`
/// needs no allocation on the hot path).
pub type Partitions = Arc<Mutex<HashMap<String, HashMap<i32, PartitionState>>>>;

pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Rebalances, errors and statistics of the consumer.
pub struct MonitorContext {
    pub partitions: Partitions,
    pub shapes: Vec<Vec<usize>>,
    pub windows: Vec<WindowSpec>,
    pub metrics: Metrics,
    pub broker_down: Arc<AtomicBool>,
    pub assigned: Mutex<HashSet<(String, i32)>>,
    /// Set at shutdown: the revocation of a closing consumer keeps the counts for the final
    /// evaluation.
    pub closing: AtomicBool,
    last_error_log: Mutex<(Option<Instant>, Duration)>,
}

impl MonitorContext {
    pub fn new(
        partitions: Partitions,
        shapes: Vec<Vec<usize>>,
        windows: Vec<WindowSpec>,
        metrics: Metrics,
        broker_down: Arc<AtomicBool>,
    ) -> Self {
        Self {
            partitions,
            shapes,
            windows,
            metrics,
            broker_down,
            assigned: Mutex::new(HashSet::new()),
            closing: AtomicBool::new(false),
            last_error_log: Mutex::new((None, Duration::from_secs(1))),
        }
    }
}

impl ClientContext for MonitorContext {
    fn error(&self, error: KafkaError, reason: &str) {
        if matches!(
            error.rdkafka_error_code(),
            Some(RDKafkaErrorCode::AllBrokersDown)
        ) {
            self.broker_down.store(true, Ordering::Relaxed);
            self.metrics.ready.set(0);
        }
        // librdkafka retries by itself; log with a doubling interval so an outage does not
        // flood the log.
        if let Ok(mut last) = self.last_error_log.lock() {
            let due = last.0.is_none_or(|t| t.elapsed() >= last.1);
            if due {
                warn!(error = %error, reason, retry_log_interval_s = last.1.as_secs(), "Kafka client error; librdkafka keeps retrying");
                last.1 = (last.1 * 2).min(Duration::from_secs(300));
                last.0 = Some(Instant::now());
            }
        }
    }

    fn stats(&self, stats: Statistics) {
        for (topic, t) in &stats.topics {
            for (partition, p) in &t.partitions {
                if *partition >= 0 && p.consumer_lag >= 0 {
                    self.metrics
                        .consumer_lag
                        .with_label_values(&[topic, &partition.to_string()])
                        .set(p.consumer_lag);
                }
            }
        }
    }
}

impl ConsumerContext for MonitorContext {
    fn post_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        let (Ok(mut parts), Ok(mut assigned)) = (self.partitions.lock(), self.assigned.lock())
        else {
            return;
        };
        match rebalance {
            Rebalance::Assign(tpl) => {
                for e in tpl.elements() {
                    parts
                        .entry(e.topic().to_string())
                        .or_default()
                        .entry(e.partition())
                        .or_insert_with(|| PartitionState::new(&self.shapes, &self.windows));
                    assigned.insert((e.topic().to_string(), e.partition()));
                }
                info!(partitions = tpl.count(), "partitions assigned");
            }
            Rebalance::Revoke(tpl) => {
                // The counts of a revoked partition leave with it (a later stage checkpoints them).
                let closing = self.closing.load(Ordering::Relaxed);
                for e in tpl.elements() {
                    if !closing && let Some(topic) = parts.get_mut(e.topic()) {
                        topic.remove(&e.partition());
                    }
                    assigned.remove(&(e.topic().to_string(), e.partition()));
                }
                info!(partitions = tpl.count(), "partitions revoked");
            }
            Rebalance::Error(e) => warn!(error = %e, "rebalance error"),
        }
        self.metrics.assigned_partitions.set(assigned.len() as i64);
    }
}

/// Offsets of processed messages not yet stored, per partition (a handful: a short list).
#[derive(Default)]
struct PendingOffsets(Vec<(String, i32, i64)>);

impl PendingOffsets {
    fn processed(&mut self, topic: &str, partition: i32, offset: i64) {
        match self
            .0
            .iter_mut()
            .find(|(t, p, _)| *p == partition && t == topic)
        {
            Some((_, _, o)) => *o = (*o).max(offset),
            None => self.0.push((topic.to_string(), partition, offset)),
        }
    }

    fn store(&mut self, consumer: &BaseConsumer<MonitorContext>) {
        if self.0.is_empty() {
            return;
        }
        let mut tpl = TopicPartitionList::new();
        for (t, p, o) in self.0.drain(..) {
            // The committed offset is the next one to read.
            let _ = tpl.add_partition_offset(&t, p, Offset::Offset(o + 1));
        }
        if let Err(e) = consumer.store_offsets(&tpl) {
            // A partition revoked meanwhile cannot store; its next owner re-reads.
            warn!(error = %e, "could not store offsets");
        }
    }
}

/// Consumes until `stop` is set, then stores and commits the processed offsets.
pub fn consume_loop(
    consumer: &BaseConsumer<MonitorContext>,
    decoder: &Decoder,
    producer: &OutputProducer,
    stop: &AtomicBool,
) {
    let ctx = consumer.context();
    let metrics = &ctx.metrics;
    let windows = ctx.windows.len();
    let mut bins: Vec<u16> = Vec::with_capacity(64);
    let mut late_in = vec![false; windows];
    let mut pending = PendingOffsets::default();
    let mut delays: Vec<f64> = Vec::with_capacity(4096);
    let mut last_store = Instant::now();
    // The wall clock, read once per 64 messages: delays are reported in milliseconds.
    let mut now = now_ms();
    let mut since_clock = 0u32;
    while !stop.load(Ordering::Relaxed) {
        let Some(result) = consumer.poll(Duration::from_millis(100)) else {
            flush_batch(consumer, &mut pending, &mut delays, metrics);
            now = now_ms();
            continue;
        };
        let msg = match result {
            Ok(m) => m,
            Err(e) => {
                ctx.error(e, "poll");
                continue;
            }
        };
        if ctx.broker_down.swap(false, Ordering::Relaxed) {
            info!("broker reachable again");
        }
        metrics.events_consumed.inc();
        let (topic, partition, offset) = (msg.topic(), msg.partition(), msg.offset());
        let payload = msg.payload().unwrap_or_default();
        match decoder.decode(payload, &mut bins) {
            Ok(decoded) => {
                since_clock += 1;
                if since_clock >= 64 {
                    now = now_ms();
                    since_clock = 0;
                }
                let event_ms = decoded
                    .event_time_ms
                    .or_else(|| msg.timestamp().to_millis())
                    .unwrap_or(now);
                let counted = match ctx.partitions.lock() {
                    Ok(mut parts) => parts
                        .get_mut(topic)
                        .and_then(|t| t.get_mut(&partition))
                        .map(|state| state.add(decoded.model, event_ms, &bins, &mut late_in)),
                    Err(_) => None,
                };
                match counted {
                    Some(Counted::Counted) => {
                        metrics.events_counted.inc();
                        delays.push((now - event_ms) as f64 / 1000.0);
                    }
                    Some(Counted::Late) => metrics.events_late.inc(),
                    // Not assigned any more (revoked meanwhile): leave it to the next owner.
                    None => continue,
                }
            }
            Err(bad) => {
                metrics
                    .events_invalid
                    .with_label_values(&[bad.reason.as_str()])
                    .inc();
                producer.dead_letter(
                    msg.key(),
                    msg.payload(),
                    bad.reason.as_str(),
                    &bad.detail,
                    &Source {
                        topic,
                        partition,
                        offset,
                    },
                );
            }
        }
        pending.processed(topic, partition, offset);
        if delays.len() >= 4096 || last_store.elapsed() >= Duration::from_millis(200) {
            flush_batch(consumer, &mut pending, &mut delays, metrics);
            last_store = Instant::now();
        }
    }
    flush_batch(consumer, &mut pending, &mut delays, metrics);
    ctx.closing.store(true, Ordering::Relaxed);
    match consumer.commit_consumer_state(CommitMode::Sync) {
        Ok(()) => info!("offsets committed"),
        Err(KafkaError::ConsumerCommit(RDKafkaErrorCode::NoOffset)) => {}
        Err(e) => warn!(error = %e, "final offset commit failed"),
    }
}

fn flush_batch(
    consumer: &BaseConsumer<MonitorContext>,
    pending: &mut PendingOffsets,
    delays: &mut Vec<f64>,
    metrics: &Metrics,
) {
    pending.store(consumer);
    if !delays.is_empty() {
        metrics.event_processing_delay.observe_many(delays);
        delays.clear();
    }
}
