//! The consumer loop, on a thread of its own: poll, decode, count into the owned partition's
//! state, dead-letter what cannot be counted, and every commit interval checkpoint it all
//! in one transaction (`Owner`). The rebalance callbacks (restore on assignment, checkpoint
//! on revocation) run on this thread too, inside `poll`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::error::KafkaError;
use rdkafka::message::{BorrowedMessage, Message};
use rdkafka::statistics::Statistics;
use rdkafka::types::{RDKafkaErrorCode, RDKafkaRespErr};
use rdkafka::{ClientContext, TopicPartitionList};
use tracing::{info, warn};

use super::clock::now_ms;
use super::fetch_watch::FetchWatch;
use super::heal::{self, Remedy};
use super::owner::{Owner, OwnerError};
use super::registry::Registry;
use super::status::ConsumerStatus;
use super::txn::Source;
use crate::event::outcome::OutcomeDecoder;
use crate::event::{Decoder, Extra, InvalidReason};
use crate::join::{OutcomeSeen, PendingApp};
use crate::kafka::log::LogThrottle;
use crate::output::metrics::Metrics;
use crate::window::Counted;

/// Rebalances, errors and statistics of the consumer; owns the partitions' state.
pub(crate) struct MonitorContext {
    pub owner: Mutex<Owner>,
    pub metrics: Metrics,
    /// librdkafka reported every broker down; cleared (with a log line) by the next message.
    broker_down: AtomicBool,
    pub status: Arc<ConsumerStatus>,
    pub transactional_id: String,
    log: LogThrottle,
    /// Lag and stalled partitions, from the statistics and the consume errors.
    watch: FetchWatch,
}

impl MonitorContext {
    pub(crate) fn new(
        owner: Owner,
        metrics: Metrics,
        status: Arc<ConsumerStatus>,
        transactional_id: String,
    ) -> Self {
        Self {
            owner: Mutex::new(owner),
            watch: FetchWatch::new(&metrics, Arc::clone(&status)),
            metrics,
            broker_down: AtomicBool::new(false),
            status,
            transactional_id,
            log: LogThrottle::default(),
        }
    }

    /// Ends this life of the worker because of `e`: restarted (a fenced or failed producer,
    /// a restore that kept failing) unless nothing heals it.
    fn failed(&self, e: OwnerError) {
        match &e {
            OwnerError::Txn(t) if t.is_fenced() => self.status.end(
                Remedy::Restart,
                format!(
                    "fenced (transactional.id {}): another live instance uses this kafka.instance_id, or the cluster fenced this one after an outage: {e}",
                    self.transactional_id
                ),
                true,
            ),
            _ => {
                let remedy = match e.remedy() {
                    Remedy::Stop => Remedy::Stop,
                    _ => Remedy::Restart,
                };
                self.status.end(remedy, e.to_string(), false)
            }
        }
    }
}

impl ClientContext for MonitorContext {
    fn log(&self, level: rdkafka::config::RDKafkaLogLevel, fac: &str, log_message: &str) {
        self.log.log(level, fac, log_message);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        if error.rdkafka_error_code().is_some_and(heal::is_outage) {
            self.status.outage.store(true, Ordering::Relaxed);
        }
        self.watch.error(&error, reason);
        match error.rdkafka_error_code() {
            Some(RDKafkaErrorCode::AllBrokersDown) => {
                self.broker_down.store(true, Ordering::Relaxed)
            }
            // Fatal for this consumer: a twin's join, or this member's own rejoin after its
            // session expired in an outage. A new consumer tells which (`heal::FenceRecord`).
            Some(RDKafkaErrorCode::FencedInstanceId) => self.status.end(
                Remedy::Restart,
                format!(
                    "fenced (group.instance.id of transactional.id {}): another live instance uses this kafka.instance_id, or this member's session expired in an outage",
                    self.transactional_id
                ),
                true,
            ),
            // Members with different assignors cannot share a group (psimon 0.1.0 used
            // cooperative-sticky): librdkafka retries the join, this says why it fails
            // (once per process; the error itself goes on being logged, rate-limited).
            Some(RDKafkaErrorCode::InconsistentGroupProtocol) => {
                static SAID: AtomicBool = AtomicBool::new(false);
                if !SAID.swap(true, Ordering::Relaxed) {
                    warn!(
                        "cannot join the consumer group: its members use another partition assignor (psimon 0.1.0 used cooperative-sticky); stop every replica of the older version, then start this one (CHANGELOG.md)"
                    )
                }
            }
            _ => {}
        }
        self.log.error(&error, reason);
    }

    fn stats(&self, stats: Statistics) {
        self.watch.stats(&stats);
    }
}

impl ConsumerContext for MonitorContext {
    fn rebalance(
        &self,
        consumer: &BaseConsumer<Self>,
        err: RDKafkaRespErr,
        tpl: &mut TopicPartitionList,
    ) {
        let Ok(mut owner) = self.owner.lock() else {
            self.status.owner_poisoned();
            return;
        };
        match err {
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS => {
                if let Err(e) = owner.assign(tpl) {
                    // Not owned, so never counted nor committed here: a new life of this
                    // worker gets them again and restores them.
                    drop(owner);
                    self.failed(e);
                }
                if let Err(e) = consumer.assign(tpl) {
                    self.status
                        .end(Remedy::Restart, format!("assigning partitions: {e}"), false);
                }
                self.status.set_joined();
                info!(partitions = tpl.count(), "partitions assigned");
            }
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS => {
                let lost = consumer.assignment_lost();
                let r = owner.revoke(consumer, tpl, lost);
                drop(owner);
                // A failed rewind leaves the owner diverged: the loop rewinds again.
                if let Err(e) = r
                    && e.remedy() != Remedy::Abort
                {
                    self.failed(e);
                }
                if let Err(e) = consumer.unassign() {
                    warn!(error = %e, "unassigning partitions");
                }
                info!(partitions = tpl.count(), lost, "partitions revoked");
            }
            other => {
                let code: RDKafkaErrorCode = other.into();
                warn!(error = %code, "rebalance error");
                let _ = consumer.unassign();
            }
        }
    }
}

/// Where outcome messages go. Outcomes of `source` are joined where they are when
/// `forward_partitions` is `None` (`joined` is `source`); otherwise they are forwarded to
/// `joined`, the repartition topic, keyed by application id in the partition Java's
/// default partitioner gives that id, and joined when they come back from it.
pub(crate) struct OutcomeRoute<'a> {
    pub source: &'a str,
    pub joined: &'a str,
    pub forward_partitions: Option<i32>,
    pub decoder: &'a OutcomeDecoder,
}

impl OutcomeRoute<'_> {
    /// Whether messages of `topic` are outcomes (JSON whatever the input format).
    pub(crate) fn is_outcome_topic(&self, topic: &str) -> bool {
        topic == self.source || topic == self.joined
    }
}

/// How application events are read: JSON, or Avro with the registry's writer schemas.
#[derive(Clone, Copy)]
pub(crate) struct Input<'a> {
    pub decoder: &'a Decoder,
    pub registry: Option<&'a Registry>,
}

pub(crate) struct LoopSettings {
    pub commit_interval: Duration,
    /// Windows per model (the length of the per-event lateness flags).
    pub windows: usize,
    /// Event times further than this ahead of the Kafka timestamp are invalid (ms).
    pub max_time_skew_ms: i64,
}

/// Consumes until `stop` is set (then checkpoints once more) or the consumer cannot go on
/// (the reason is in the context's status).
pub(crate) fn consume_loop(
    consumer: &BaseConsumer<MonitorContext>,
    input: Input<'_>,
    outcomes: Option<OutcomeRoute<'_>>,
    stop: &CancellationToken,
    settings: &LoopSettings,
) {
    let ctx = consumer.context();
    let metrics = &ctx.metrics;
    let mut s = Scratch {
        bins: Vec::with_capacity(64),
        extra: Extra::default(),
        late_in: vec![false; settings.windows],
        delays: Vec::with_capacity(4096),
        tally: Tally::default(),
        now: now_ms(),
    };
    let mut last_checkpoint = Instant::now();
    // Messages already fetched are taken up to BATCH at a time and counted under one lock
    // of the owner (never held while polling: the rebalance callbacks run in `poll` and
    // take it). The wall clock is read once per batch.
    let mut batch: Vec<BorrowedMessage<'_>> = Vec::with_capacity(BATCH);
    let mut rewinds = Rewinds::default();
    while !stop.is_cancelled() && !ctx.status.has_failed() {
        ctx.status.beat();
        fill_batch(consumer, &mut batch);
        s.now = now_ms();
        if !schemas_known(&batch, input, outcomes.as_ref(), stop, ctx) {
            break; // stopping: the batch is not counted, and re-read after a restart
        }
        if !batch.is_empty() {
            if ctx.broker_down.load(Ordering::Relaxed)
                && ctx.broker_down.swap(false, Ordering::Relaxed)
            {
                info!("broker reachable again");
            }
            let result = match ctx.owner.lock() {
                // Diverged: nothing is counted until the rewind, which re-reads the batch.
                Ok(owner) if owner.diverged().is_some() => Ok(()),
                Ok(mut owner) => batch.iter().try_for_each(|msg| {
                    handle(&mut owner, msg, input, outcomes.as_ref(), settings, &mut s)
                }),
                Err(_) => {
                    ctx.status.owner_poisoned();
                    break;
                }
            };
            // After an error the rest of the batch is dropped: a rewind re-reads it.
            batch.clear();
            if let Err(e) = result {
                recover(consumer, e, &mut rewinds);
            }
        }
        heal(consumer, &mut rewinds, false);
        s.tally.flush(metrics);
        if s.delays.len() >= 4096 {
            metrics.event_processing_delay.observe_many(&s.delays);
            s.delays.clear();
        }
        if last_checkpoint.elapsed() >= settings.commit_interval {
            checkpoint(consumer, &mut s.delays, &mut rewinds);
            last_checkpoint = Instant::now();
        }
    }
    s.tally.flush(metrics);
    // A failed worker commits nothing on its way out (it is retired: its partitions'
    // next owner restores them); a diverged owner refuses the final checkpoint itself.
    if !ctx.status.has_failed() {
        if checkpoint(consumer, &mut s.delays, &mut rewinds) {
            info!("final checkpoint committed");
        } else {
            warn!(
                "no final checkpoint: the owned counts are not restored; the next owner re-reads from the last checkpoint"
            );
        }
    }
}

/// Waits up to 100 ms for a message, then takes what is already fetched, up to BATCH.
fn fill_batch<'c>(
    consumer: &'c BaseConsumer<MonitorContext>,
    batch: &mut Vec<BorrowedMessage<'c>>,
) {
    let ctx = consumer.context();
    match consumer.poll(Duration::from_millis(100)) {
        None => {}
        Some(Ok(m)) => batch.push(m),
        Some(Err(e)) => ctx.error(e, "poll"),
    }
    while !batch.is_empty() && batch.len() < BATCH {
        match consumer.poll(Duration::ZERO) {
            None => break,
            Some(Ok(m)) => batch.push(m),
            Some(Err(e)) => {
                ctx.error(e, "poll");
                break;
            }
        }
    }
}

/// Avro: the batch's writer schemas are fetched before the owner is locked, so an
/// unreachable registry stalls this worker only (and loses nothing); false when stopping
/// meanwhile.
fn schemas_known(
    batch: &[BorrowedMessage<'_>],
    input: Input<'_>,
    outcomes: Option<&OutcomeRoute<'_>>,
    stop: &CancellationToken,
    ctx: &MonitorContext,
) -> bool {
    let Some(registry) = input.registry.filter(|_| !batch.is_empty()) else {
        return true;
    };
    let ids = batch
        .iter()
        .filter(|m| !outcomes.is_some_and(|r| r.is_outcome_topic(m.topic())))
        .filter_map(|m| crate::event::avro::unframe(m.payload().unwrap_or_default()).ok())
        .map(|f| f.schema_id);
    registry.ensure(ids, stop, || ctx.status.beat())
}

/// Rewinds of a diverged owner: how many failed in a row and when the next is due.
#[derive(Default)]
struct Rewinds {
    failed: u32,
    next_at: Option<Instant>,
}

/// Failed rewinds in a row (each waits up to `restore_timeout` for the state topic) after
/// which the worker is restarted instead.
const MAX_REWINDS: u32 = 5;

/// Messages counted under one lock of the owner.
const BATCH: usize = 64;

/// The consuming loop's buffers, reused for every message.
struct Scratch {
    bins: Vec<u16>,
    extra: Extra,
    late_in: Vec<bool>,
    delays: Vec<f64>,
    tally: Tally,
    /// The wall clock (epoch ms) at the batch.
    now: i64,
}

/// One message, with the owner locked: an outcome, or an application counted (and kept
/// for the join), or a dead letter. Messages already in the state are skipped.
fn handle(
    owner: &mut Owner,
    msg: &BorrowedMessage<'_>,
    input: Input<'_>,
    outcomes: Option<&OutcomeRoute<'_>>,
    settings: &LoopSettings,
    s: &mut Scratch,
) -> Result<(), OwnerError> {
    s.tally.consumed += 1;
    let (topic, partition, offset) = (msg.topic(), msg.partition(), msg.offset());
    if owner.already_counted(topic, partition, offset) {
        return Ok(());
    }
    let payload = msg.payload().unwrap_or_default();
    let kafka_ms = msg.timestamp().to_millis();
    if let Some(route) = outcomes
        && (topic == route.source || topic == route.joined)
    {
        let forward = route.forward_partitions.filter(|_| topic == route.source);
        return outcome(owner, route, forward, msg, kafka_ms.unwrap_or(s.now));
    }
    let decoded = match input.registry {
        None => input
            .decoder
            .decode_with(payload, &mut s.bins, &mut s.extra),
        Some(registry) => input.decoder.decode_avro_with(
            payload,
            &|id| registry.schema(id),
            &mut s.bins,
            &mut s.extra,
        ),
    };
    let decoded = decoded.and_then(|d| match (d.event_time_ms, kafka_ms) {
            (Some(t), Some(k)) if t > k.saturating_add(settings.max_time_skew_ms) => {
                Err(crate::event::Invalid {
                    reason: InvalidReason::InvalidTime,
                    detail: format!(
                        "event time {t} ms is {} s ahead of the Kafka timestamp {k} ms (mapping.max_time_skew)",
                        (t - k) / 1000
                    ),
                })
            }
            _ => Ok(d),
        });
    match decoded {
        Ok(d) => {
            let event_ms = d.event_time_ms.or(kafka_ms).unwrap_or(s.now);
            let counted = owner.count(
                topic,
                partition,
                offset,
                (d.model, event_ms),
                (&s.bins, &s.extra),
                &mut s.late_in,
            );
            match counted {
                Some(Counted::Counted) => {
                    s.tally.counted += 1;
                    s.delays.push((s.now - event_ms) as f64 / 1000.0);
                }
                Some(Counted::Late) => s.tally.late += 1,
                // Not assigned any more (revoked meanwhile): left to the next owner.
                None => {}
            }
            if outcomes.is_some() && counted.is_some() {
                let app = PendingApp {
                    model: d.model as u16,
                    app_ms: event_ms,
                    bins: s.bins.clone(),
                };
                owner.join_application((partition, offset), msg.key(), app)?;
            }
            Ok(())
        }
        Err(bad) => {
            let src = Source {
                topic,
                partition,
                offset,
            };
            owner.dead_letter(
                msg.key(),
                msg.payload(),
                (bad.reason.as_str(), &bad.detail),
                &src,
            )?;
            Ok(())
        }
    }
}

/// Events consumed, counted and late since the last flush.
#[derive(Default)]
struct Tally {
    consumed: u64,
    counted: u64,
    late: u64,
}

impl Tally {
    fn flush(&mut self, metrics: &Metrics) {
        for (counter, n) in [
            (&metrics.flow.events_consumed, self.consumed),
            (&metrics.flow.events_counted, self.counted),
            (&metrics.flow.events_late, self.late),
        ] {
            if n > 0 {
                counter.inc_by(n);
            }
        }
        *self = Tally::default();
    }
}

/// One outcome message: joined where it is, forwarded to the repartition topic among
/// `forward` partitions, or dead-lettered with its reason.
fn outcome(
    owner: &mut Owner,
    route: &OutcomeRoute<'_>,
    forward: Option<i32>,
    msg: &BorrowedMessage<'_>,
    kafka_ms: i64,
) -> Result<(), OwnerError> {
    let (topic, partition, offset) = (msg.topic(), msg.partition(), msg.offset());
    let key = msg.key().filter(|k| !k.is_empty());
    let payload = msg.payload().unwrap_or_default();
    let decoded = route.decoder.decode_with_id(payload).and_then(|(o, id)| {
        // The id: read from the payload (then repartitioned), else the key.
        match (id, key) {
            (Some(id), _) => Ok((o, id.into_bytes())),
            (None, Some(k)) => Ok((o, k.to_vec())),
            (None, None) => Err(crate::event::Invalid {
                reason: InvalidReason::InvalidOutcome,
                detail: "no message key (the application id)".into(),
            }),
        }
    });
    match decoded {
        Ok((o, id)) => {
            let outcome_ms = o.time_ms.unwrap_or(kafka_ms);
            match forward {
                Some(n) => owner
                    .forward_outcome((partition, offset), &id, payload, (kafka_ms, n))
                    .map(|_| ()),
                None => owner
                    .join_outcome(
                        partition,
                        offset,
                        &id,
                        OutcomeSeen {
                            bad: o.bad,
                            outcome_ms,
                        },
                    )
                    .map(|_| ()),
            }
        }
        Err(bad) => {
            owner.dead_letter(
                msg.key(),
                msg.payload(),
                (bad.reason.as_str(), &bad.detail),
                &Source {
                    topic,
                    partition,
                    offset,
                },
            )?;
            Ok(())
        }
    }
}

/// Checkpoints the owner; `false` if nothing could be committed.
fn checkpoint(
    consumer: &BaseConsumer<MonitorContext>,
    delays: &mut Vec<f64>,
    rewinds: &mut Rewinds,
) -> bool {
    let ctx = consumer.context();
    if !delays.is_empty() {
        ctx.metrics.event_processing_delay.observe_many(delays);
        delays.clear();
    }
    let result = match ctx.owner.lock() {
        Ok(mut owner) => owner.checkpoint(consumer),
        Err(_) => {
            ctx.status.owner_poisoned();
            return false;
        }
    };
    match result {
        Ok(()) => true,
        // Already waiting for a rewind: `heal` is on it.
        Err(OwnerError::Diverged(_)) => false,
        Err(e) => {
            recover(consumer, e, rewinds);
            false
        }
    }
}

/// After a failed transaction: rewind to the last checkpoint at once (an abort), or end
/// this life of the worker (a fenced or failed producer, or nothing heals it).
fn recover(consumer: &BaseConsumer<MonitorContext>, e: OwnerError, rewinds: &mut Rewinds) {
    match e.remedy() {
        Remedy::Abort | Remedy::Retry => {
            warn!(error = %e, "transaction aborted; re-reading from the last checkpoint");
            heal(consumer, rewinds, true);
        }
        _ => consumer.context().failed(e),
    }
}

/// Rewinds a diverged owner when a rewind is due (`now`: at once); a rewind that fails
/// for a transient reason is tried again with a back-off, `MAX_REWINDS` times in a row,
/// then the worker restarts. Nothing is counted or committed meanwhile.
fn heal(consumer: &BaseConsumer<MonitorContext>, rewinds: &mut Rewinds, now: bool) {
    if !now && rewinds.next_at.is_some_and(|t| Instant::now() < t) {
        return;
    }
    let ctx = consumer.context();
    let result = match ctx.owner.lock() {
        // Consistent (also after a rewind in a rebalance callback): nothing to heal.
        Ok(owner) if !now && owner.diverged().is_none() => {
            *rewinds = Rewinds::default();
            return;
        }
        Ok(mut owner) => owner.rewind(consumer),
        Err(_) => return,
    };
    match result {
        Ok(()) => {
            if rewinds.failed > 0 {
                info!(
                    attempts = rewinds.failed + 1,
                    "rewound to the last checkpoint"
                );
            }
            *rewinds = Rewinds::default();
        }
        Err(e) if e.remedy() == Remedy::Abort && rewinds.failed < MAX_REWINDS => {
            let wait = heal::backoff(rewinds.failed);
            warn!(error = %e, retry_in_ms = wait.as_millis() as u64, "rewinding to the last checkpoint failed; nothing is counted or committed until it succeeds");
            rewinds.failed += 1;
            rewinds.next_at = Some(Instant::now() + wait);
        }
        Err(e) => {
            *rewinds = Rewinds::default();
            ctx.failed(e);
        }
    }
}
