//! What the consumer thread owns: the counting state of its assigned partitions and the
//! open transaction. Every commit interval the changed panes, tombstones for dropped panes,
//! each partition's next offset and the dead letters since the last checkpoint go out in
//! one transaction with the consumed offsets. On assignment a partition is restored from
//! the global table before its first message is counted; on revocation it is checkpointed
//! first. After an aborted transaction every owned partition is restored and re-read from
//! its last checkpoint, so nothing is lost or counted twice.
//!
//! With `[outcomes]` it also owns the join (`Join`, in `owner/join.rs`): applications and
//! outcomes of partition p meet in the on-disk store, whose changes go out in the same
//! transactions.
//!
//! Only the consumer thread touches this (the rebalance callbacks run on it too); the
//! evaluator reads the global table, never these counts.
//!
//! **The commit rule: no offset ahead of its state, ever.** Offsets are only committed by
//! `checkpoint`, in the transaction that holds every change of the owned counts since the
//! last commit. The moment a transaction fails the owned counts are no longer the last
//! checkpoint plus the open transaction (changes already drained into the aborted
//! transaction are gone from both), so the owner is *diverged*: `checkpoint` refuses to
//! commit anything, on every path (the commit interval, a revocation, the final checkpoint
//! at shutdown, the close of a retired worker), until `rewind` has restored every owned
//! partition from the state topic. A rewind that fails leaves the owner diverged; a worker
//! that gives up calls `retire`, which drops its partitions without committing, and the
//! next owner restores them from the last committed checkpoint.

use rustc_hash::FxHashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rdkafka::error::KafkaError;
use rdkafka::{Offset, TopicPartitionList};
use tracing::{info, warn};

use super::heal::Remedy;
use super::plan::Plan;
use super::txn::{Source, TxnError, TxnProducer};
use crate::event::Extra;
use crate::output::metrics::Metrics;

mod gate;
mod join;
use super::ports::{Positions, StateSource, TxnSink};
use crate::state::codec::{PaneKey, encode_drift, encode_offset, encode_pane};
use crate::state::reader::StateReader;
use crate::state::table::Restored;
use crate::state::{PartitionId, StateKey};
use crate::window::{Counted, PartitionState};
use gate::CommitGate;
pub(crate) use join::Join;

struct Owned {
    state: PartitionState,
    /// The next offset to count; `None` until the first message when there is no checkpoint.
    next_offset: Option<i64>,
    dirty: bool,
}

pub(crate) use super::outbox::{DriftEvent, DriftOutbox, Handover};

pub(crate) struct Owner<S: TxnSink = TxnProducer, R: StateSource = StateReader> {
    plan: Arc<Plan>,
    /// Per topic and partition (looked up per message: a fast hash, not SipHash).
    parts: FxHashMap<String, FxHashMap<i32, Owned>>,
    txn: S,
    reader: Arc<R>,
    stale: Vec<PaneKey>,
    drift_outbox: DriftOutbox,
    restore_timeout: Duration,
    metrics: Metrics,
    publisher_partition: PartitionId,
    publisher: Arc<AtomicBool>,
    /// How many partitions this owner holds (the supervisor sums the workers').
    assigned: Arc<AtomicUsize>,
    offset_reset_latest: bool,
    buf: Vec<u8>,
    join: Option<Join>,
    /// Whether the owned counts may be committed (the module's commit rule).
    gate: CommitGate,
}

/// Why the owner could not go on.
#[derive(Debug, thiserror::Error)]
pub(crate) enum OwnerError {
    #[error(transparent)]
    Txn(#[from] TxnError),
    #[error("restoring partitions from the state topic: {0}")]
    Restore(String),
    /// A commit was refused: the owned counts diverged from the last checkpoint and are not
    /// restored yet.
    #[error("nothing is committed until the owned partitions are restored: {0}")]
    Diverged(String),
}

impl OwnerError {
    /// What heals it (`heal`'s table): a transaction error by its kind; a refused commit
    /// or a failed restore by rewinding again.
    pub(crate) fn remedy(&self) -> Remedy {
        match self {
            OwnerError::Txn(t) => t.remedy(),
            OwnerError::Restore(_) | OwnerError::Diverged(_) => Remedy::Abort,
        }
    }
}

pub(crate) struct OwnerParts<S: TxnSink = TxnProducer, R: StateSource = StateReader> {
    pub plan: Arc<Plan>,
    pub txn: S,
    pub reader: Arc<R>,
    pub drift_outbox: DriftOutbox,
    pub restore_timeout: Duration,
    pub metrics: Metrics,
    pub publisher_partition: PartitionId,
    pub publisher: Arc<AtomicBool>,
    pub assigned: Arc<AtomicUsize>,
    pub offset_reset_latest: bool,
    pub join: Option<Join>,
}

impl<S: TxnSink, R: StateSource> Owner<S, R> {
    pub(crate) fn new(p: OwnerParts<S, R>) -> Self {
        Self {
            plan: p.plan,
            parts: FxHashMap::default(),
            txn: p.txn,
            reader: p.reader,
            stale: Vec::new(),
            drift_outbox: p.drift_outbox,
            restore_timeout: p.restore_timeout,
            metrics: p.metrics,
            publisher_partition: p.publisher_partition,
            publisher: p.publisher,
            assigned: p.assigned,
            offset_reset_latest: p.offset_reset_latest,
            buf: Vec::with_capacity(4096),
            join: p.join,
            gate: CommitGate::default(),
        }
    }

    /// Why nothing may be committed now (`None`: the counts are consistent).
    pub(crate) fn diverged(&self) -> Option<&str> {
        self.gate.refusal()
    }

    /// The worker gives up its partitions without committing anything (best-effort abort
    /// of the open transaction); the next owner restores them from the last checkpoint.
    pub(crate) fn retire(&mut self, why: &str) {
        self.gate.retire(&format!("retired: {why}"));
        if let Err(e) = self.txn.abort() {
            warn!(error = %e, "aborting the open transaction of a retired worker");
        }
        self.parts.clear();
        self.stale.clear();
        self.update_publisher();
    }

    /// Whether the message at `offset` of `topic/partition` is already in the owned state
    /// (below the partition's next offset): a message polled before a rebalance that gave
    /// the partition back from its checkpoint, delivered again after it. Counting it again
    /// would count it twice.
    pub(crate) fn already_counted(&self, topic: &str, partition: i32, offset: i64) -> bool {
        self.parts
            .get(topic)
            .and_then(|t| t.get(&partition))
            .and_then(|o| o.next_offset)
            .is_some_and(|next| offset < next)
    }

    pub(crate) fn assigned(&self) -> usize {
        self.parts.values().map(FxHashMap::len).sum()
    }

    /// Counts a decoded event of `topic/partition` at `offset` into its model's windows and
    /// and into the other sets of `extra` (fairness checks, new levels); `None` if the
    /// partition is not (any more) owned.
    pub(crate) fn count(
        &mut self,
        topic: &str,
        partition: i32,
        offset: i64,
        (model, event_ms): (usize, i64),
        (bins, extra): (&[u16], &Extra),
        late_in: &mut [bool],
    ) -> Option<Counted> {
        let owned = self.parts.get_mut(topic)?.get_mut(&partition)?;
        let counted = owned.state.add(model, event_ms, bins, late_in);
        for &(target, bin) in &extra.groups {
            owned.state.add(target, event_ms, &[bin], late_in);
        }
        if let Some(target) = extra.levels {
            owned
                .state
                .add(target, event_ms, &extra.new_levels, late_in);
        }
        owned.next_offset = Some(offset + 1);
        owned.dirty = true;
        Some(counted)
    }

    /// Dead-letters a message inside the open transaction and counts it by reason
    /// (`psimon_events_invalid_total`); `Ok(false)` if the partition is not owned (its next
    /// owner will).
    pub(crate) fn dead_letter(
        &mut self,
        key: Option<&[u8]>,
        payload: Option<&[u8]>,
        (reason, detail): (&str, &str),
        src: &Source<'_>,
    ) -> Result<bool, TxnError> {
        let Some(owned) = self
            .parts
            .get_mut(src.topic)
            .and_then(|t| t.get_mut(&src.partition))
        else {
            return Ok(false);
        };
        self.txn.dead_letter(key, payload, reason, detail, src)?;
        owned.next_offset = Some(src.offset + 1);
        owned.dirty = true;
        self.metrics
            .flow
            .events_invalid
            .with_label_values(&[reason])
            .inc();
        Ok(true)
    }

    /// Writes every change since the last checkpoint and commits it with the offsets;
    /// refused while the owner is diverged. Any failure diverges it.
    pub(crate) fn checkpoint(
        &mut self,
        consumer: &impl Positions<S::Group>,
    ) -> Result<(), OwnerError> {
        if let Some(why) = self.gate.refusal() {
            return Err(OwnerError::Diverged(why.to_string()));
        }
        let outbox = self.drift_outbox.take();
        let result = self.write_checkpoint(consumer, &outbox);
        if let Err(e) = &result {
            self.gate.diverge(|| format!("a checkpoint failed: {e}"));
            // The drift states go into the next transaction (before any handed over since).
            self.drift_outbox.put_back(outbox);
        }
        result.map_err(OwnerError::Txn)
    }

    fn write_checkpoint(
        &mut self,
        consumer: &impl Positions<S::Group>,
        outbox: &[Handover],
    ) -> Result<(), TxnError> {
        if let Err(e) = self.expire_joins() {
            return Err(match e {
                OwnerError::Txn(t) => t,
                other => {
                    // The store failed: abort and rebuild it from the changelog.
                    warn!(error = %other, "expiring join entries");
                    TxnError::Aborted(KafkaError::Canceled)
                }
            });
        }
        let dirty = self
            .parts
            .values()
            .flat_map(|t| t.values())
            .any(|o| o.dirty);
        if !dirty && self.stale.is_empty() && outbox.is_empty() && !self.txn.is_open() {
            return Ok(());
        }
        let mut offsets = TopicPartitionList::new();
        let n = self.reader.partitions().max(1);
        let plan = Arc::clone(&self.plan);
        let layout = &plan.layout;
        for (topic, parts) in &mut self.parts {
            for (&partition, owned) in parts.iter_mut() {
                let sp = partition.rem_euclid(n);
                let part = PartitionId {
                    topic: topic.clone(),
                    partition,
                };
                let as_of = owned.next_offset.unwrap_or(0);
                let mut records: Vec<(String, Option<Vec<u8>>)> = Vec::new();
                let buf = &mut self.buf;
                owned.state.drain_changes(|m, w, id, pane| {
                    let key = layout.pane_key(&part, m, w, id).encode();
                    let value = pane.map(|p| {
                        encode_pane(&layout.pane_record(m, w, as_of, p), buf);
                        buf.clone()
                    });
                    records.push((key, value));
                });
                for (key, value) in &records {
                    self.txn.state(sp, key, value.as_deref())?;
                }
                if owned.dirty
                    && let Some(o) = owned.next_offset
                {
                    // Last of the partition's records: a reader that has it has the rest.
                    self.txn.state(
                        sp,
                        &StateKey::Offset(part).encode(),
                        Some(&encode_offset(o)),
                    )?;
                    let _ = offsets.add_partition_offset(topic, partition, Offset::Offset(o));
                }
            }
        }
        for k in std::mem::take(&mut self.stale) {
            let sp = k.part.partition.rem_euclid(n);
            self.txn.state(sp, &StateKey::Pane(k).encode(), None)?;
        }
        for h in outbox {
            self.txn.state(
                0,
                &StateKey::Drift(h.key.clone()).encode(),
                Some(&encode_drift(&h.record)),
            )?;
            self.txn.drift_event(&h.event.key, &h.event.json)?;
        }
        let Some(group) = consumer.group() else {
            return Err(TxnError::Aborted(KafkaError::Canceled));
        };
        self.txn.commit(offsets, group)?;
        for o in self.parts.values_mut().flat_map(|t| t.values_mut()) {
            o.dirty = false;
        }
        Ok(())
    }

    /// Restores `parts` from the global table once it holds everything committed so far.
    fn restore_all(
        &self,
        parts: Vec<PartitionId>,
    ) -> Result<Vec<(PartitionId, Restored)>, OwnerError> {
        self.reader
            .wait_caught_up(self.restore_timeout)
            .map_err(OwnerError::Restore)?;
        parts
            .into_iter()
            .map(|part| self.restore_one(&part).map(|r| (part, r)))
            .collect()
    }

    /// Restores `part` from the global table, waiting while a transaction is half applied.
    fn restore_one(&self, part: &PartitionId) -> Result<Restored, OwnerError> {
        let start = Instant::now();
        loop {
            let table =
                self.reader.table().read().map_err(|_| {
                    OwnerError::Restore("the global table's lock is poisoned".into())
                })?;
            if let Ok(r) = table.restore(part, &self.plan.layout) {
                return Ok(r);
            }
            drop(table);
            if start.elapsed() > self.restore_timeout {
                return Err(OwnerError::Restore(format!(
                    "{}/{}: the state topic holds panes newer than the partition's offset record for over {:?}",
                    part.topic, part.partition, self.restore_timeout
                )));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn adopt(&mut self, part: PartitionId, r: Restored) {
        for k in &r.stale {
            self.metrics
                .state
                .panes_discarded
                .with_label_values(&[&k.set.to_string(), &k.window])
                .inc();
        }
        if !r.stale.is_empty() {
            let mut names: Vec<String> = r
                .stale
                .iter()
                .map(|k| format!("{}/{}", k.set, k.window))
                .collect();
            names.sort();
            names.dedup();
            info!(topic = %part.topic, partition = part.partition, panes = r.stale.len(), windows = ?names,
                "stored panes of a changed or removed window, baseline or feature set are discarded; those windows start empty");
        }
        self.metrics.state.panes_restored.inc_by(r.panes as u64);
        self.stale.extend(r.stale);
        self.parts.entry(part.topic).or_default().insert(
            part.partition,
            Owned {
                state: r.state,
                next_offset: r.next_offset,
                dirty: false,
            },
        );
    }

    /// Restores the newly assigned partitions and sets where each resumes in `tpl`.
    pub(crate) fn assign(&mut self, tpl: &mut TopicPartitionList) -> Result<(), OwnerError> {
        if tpl.count() == 0 {
            return Ok(());
        }
        let start = Instant::now();
        let wanted: Vec<PartitionId> = tpl
            .elements()
            .iter()
            .map(|e| PartitionId {
                topic: e.topic().to_string(),
                partition: e.partition(),
            })
            .collect();
        let mut panes = 0;
        self.restore_joins(&wanted)?;
        for (part, r) in self.restore_all(wanted)? {
            panes += r.panes;
            if let Some(o) = r.next_offset {
                let _ = tpl.set_partition_offset(&part.topic, part.partition, Offset::Offset(o));
            }
            self.adopt(part, r);
        }
        let took = start.elapsed();
        self.metrics.state.restore_duration.set(took.as_secs_f64());
        info!(
            partitions = tpl.count(),
            panes,
            took_ms = took.as_millis() as u64,
            "restored assigned partitions from the state topic"
        );
        self.update_publisher();
        Ok(())
    }

    /// Checkpoints, then lets the revoked partitions go. `lost`: the group already gave
    /// them away, so nothing is committed for them.
    pub(crate) fn revoke(
        &mut self,
        consumer: &impl Positions<S::Group>,
        tpl: &TopicPartitionList,
        lost: bool,
    ) -> Result<(), OwnerError> {
        let committed = if lost {
            self.gate.diverge(|| "partitions lost".into());
            self.txn.abort().map(|_| false).map_err(OwnerError::Txn)
        } else {
            self.checkpoint(consumer).map(|_| true)
        };
        for e in tpl.elements() {
            if let Some(t) = self.parts.get_mut(e.topic()) {
                t.remove(&e.partition());
            }
        }
        self.update_publisher();
        match committed {
            Ok(true) => Ok(()),
            Err(e) if e.remedy() != Remedy::Abort => Err(e),
            // The rest is rewound (a revoked partition's next owner restores it itself).
            Ok(false) | Err(_) => self.rewind(consumer),
        }
    }

    /// After an aborted transaction: every owned partition back to its last checkpoint.
    /// Only a rewind that restored every owned partition makes the owner consistent again.
    pub(crate) fn rewind(&mut self, consumer: &impl Positions<S::Group>) -> Result<(), OwnerError> {
        self.gate.diverge(|| "a transaction was aborted".into());
        self.restore_owned(consumer)?;
        self.gate.restored();
        Ok(())
    }

    fn restore_owned(&mut self, consumer: &impl Positions<S::Group>) -> Result<(), OwnerError> {
        self.txn.abort()?;
        self.stale.clear();
        if self.assigned() == 0 {
            return Ok(());
        }
        warn!(
            partitions = self.assigned(),
            "rewinding to the last committed checkpoint"
        );
        let owned: Vec<PartitionId> = self
            .parts
            .iter()
            .flat_map(|(t, ps)| {
                ps.keys().map(|p| PartitionId {
                    topic: t.clone(),
                    partition: *p,
                })
            })
            .collect();
        self.restore_joins(&owned)?;
        for (part, r) in self.restore_all(owned)? {
            let resume = match r.next_offset {
                Some(o) => Offset::Offset(o),
                None => self.uncheckpointed_start(consumer, &part),
            };
            if let Err(e) = consumer.seek(&part.topic, part.partition, resume) {
                return Err(OwnerError::Restore(format!(
                    "seeking {}/{} back to {resume:?}: {e}",
                    part.topic, part.partition
                )));
            }
            self.adopt(part, r);
        }
        Ok(())
    }

    /// Where a partition without any checkpoint starts: the group's committed offset, else
    /// `auto.offset.reset`.
    fn uncheckpointed_start(
        &self,
        consumer: &impl Positions<S::Group>,
        part: &PartitionId,
    ) -> Offset {
        match consumer.committed(&part.topic, part.partition) {
            Some(o @ Offset::Offset(_)) => o,
            _ if self.offset_reset_latest => Offset::End,
            _ => Offset::Beginning,
        }
    }

    fn update_publisher(&self) {
        let mine = self
            .parts
            .get(&self.publisher_partition.topic)
            .is_some_and(|t| t.contains_key(&self.publisher_partition.partition));
        if self.publisher.swap(mine, Ordering::Relaxed) != mine {
            info!(
                publisher = mine,
                "drift event publishing {}",
                if mine { "taken over" } else { "handed over" }
            );
        }
        self.assigned.store(self.assigned(), Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests;
