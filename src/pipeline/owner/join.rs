//! The outcome join's part of the owner: applications and outcomes of partition p meet in
//! the on-disk store, every change of which goes to the changelog topic inside the open
//! transaction; joined applications are counted into the outcome windows of the outcome
//! topic's partition p; expiry at each checkpoint; the store rebuilt from the changelog on
//! assignment and after an abort. Only the consumer thread calls this.
//!
//! Pending applications and join markers are logged in batches (one changelog record for up
//! to 2,048 entries of a partition, written when full and at every checkpoint), early
//! outcomes under their ids; a batch gets a tombstone once none of its entries is current.
//! The partition's watermarks are logged at every checkpoint that moved them, so that a
//! restore drops what a live batch still holds but had expired.

use std::collections::HashMap;

use tracing::info;

use super::{Owner, OwnerError};
use crate::join::batch::{self, Batcher, Watermarks};
use crate::join::partitioner::partition_of;
use crate::join::{
    Arrival, Expired, JoinEvent, OutcomeSeen, PendingApp, PendingStore, Restored, restore_partition,
};
use crate::pipeline::ports::{StateSource, TxnSink};
use crate::state::PartitionId;

/// The outcome join's part of the owner: the on-disk store (one for all partitions), its
/// changelog topic, and per partition the newest application and outcome times seen (the
/// watermarks that expire entries; unknown after a restore, so nothing expires until
/// events arrive).
pub(crate) struct Join {
    pub store: PendingStore,
    pub changelog: String,
    pub outcome_topic: String,
    /// Client settings for restoring the store from the changelog.
    pub base: rdkafka::config::ClientConfig,
    app_watermark: HashMap<i32, i64>,
    outcome_watermark: HashMap<i32, i64>,
    late_in: Vec<bool>,
    /// The open batches of new pending applications.
    batcher: Batcher,
    /// Records to write (reused).
    records: batch::Records,
    /// Per partition, the watermarks last logged.
    logged: HashMap<i32, Watermarks>,
    /// Per partition, changelog keys to drop at the next checkpoint (found by a restore).
    carry: HashMap<i32, Vec<Vec<u8>>>,
}

impl Join {
    pub(crate) fn new(
        store: PendingStore,
        changelog: String,
        outcome_topic: String,
        base: rdkafka::config::ClientConfig,
    ) -> Self {
        Self {
            store,
            changelog,
            outcome_topic,
            base,
            app_watermark: HashMap::new(),
            outcome_watermark: HashMap::new(),
            late_in: Vec::new(),
            batcher: Batcher::default(),
            records: Vec::new(),
            logged: HashMap::new(),
            carry: HashMap::new(),
        }
    }
}

impl<S: TxnSink, R: StateSource> Owner<S, R> {
    /// The join's record of an application counted at `offset` of `partition` (the same
    /// partition number of the outcome topic holds its outcome): it waits for its outcome,
    /// or joins one that came first.
    pub(crate) fn join_application(
        &mut self,
        (partition, offset): (i32, i64),
        key: Option<&[u8]>,
        app: PendingApp,
    ) -> Result<(), OwnerError> {
        let Some(join) = self.join.as_mut() else {
            return Ok(());
        };
        let Some(key) = key.filter(|k| !k.is_empty()) else {
            self.metrics
                .outcomes
                .with_label_values(&["application_without_key"])
                .inc();
            return Ok(());
        };
        let owns_outcomes = self
            .parts
            .get(&join.outcome_topic)
            .is_some_and(|t| t.contains_key(&partition));
        if !owns_outcomes {
            self.metrics
                .outcomes
                .with_label_values(&["not_co_partitioned"])
                .inc();
            return Ok(());
        }
        let wm = join.app_watermark.entry(partition).or_insert(i64::MIN);
        *wm = (*wm).max(app.app_ms);
        let batch = batch::batch_id(offset, false);
        self.arrive(partition, key, Arrival::Application(app), Some(batch))
    }

    /// An outcome at `offset` of the outcome topic's `partition`. `Ok(false)`: not owned.
    pub(crate) fn join_outcome(
        &mut self,
        partition: i32,
        offset: i64,
        key: &[u8],
        outcome: OutcomeSeen,
    ) -> Result<bool, OwnerError> {
        let Some(join) = self.join.as_mut() else {
            return Ok(false);
        };
        let Some(owned) = self
            .parts
            .get_mut(&join.outcome_topic)
            .and_then(|t| t.get_mut(&partition))
        else {
            return Ok(false);
        };
        owned.next_offset = Some(offset + 1);
        owned.dirty = true;
        let wm = join.outcome_watermark.entry(partition).or_insert(i64::MIN);
        *wm = (*wm).max(outcome.outcome_ms);
        let batch = batch::batch_id(offset, true);
        self.arrive(partition, key, Arrival::Outcome(outcome), Some(batch))?;
        Ok(true)
    }

    /// Forwards an outcome at `offset` of the outcome topic's `partition` to the repartition
    /// topic (the join's topic), keyed by application `id`, in the partition of that id
    /// among `partitions`, with its Kafka timestamp: inside the open transaction, with the
    /// outcome topic's offset. `Ok(false)`: the partition is not owned.
    pub(crate) fn forward_outcome(
        &mut self,
        (partition, offset): (i32, i64),
        id: &[u8],
        payload: &[u8],
        (timestamp_ms, partitions): (i64, i32),
    ) -> Result<bool, OwnerError> {
        let Some(join) = self.join.as_ref() else {
            return Ok(false);
        };
        let source = &self.plan.outcomes.as_ref().map(|o| o.topic.clone());
        let Some(owned) = source
            .as_ref()
            .and_then(|t| self.parts.get_mut(t))
            .and_then(|t| t.get_mut(&partition))
        else {
            return Ok(false);
        };
        owned.next_offset = Some(offset + 1);
        owned.dirty = true;
        let to = partition_of(id, partitions);
        self.txn
            .forward(&join.outcome_topic, to, id, payload, timestamp_ms)?;
        self.metrics
            .outcomes
            .with_label_values(&["repartitioned"])
            .inc();
        Ok(true)
    }

    /// Applies an arrival to the store, logs the change and counts a join. Its entry goes
    /// into the partition's open batch, named `batch` if it opens one.
    fn arrive(
        &mut self,
        partition: i32,
        key: &[u8],
        arrival: Arrival,
        batch: Option<i64>,
    ) -> Result<(), OwnerError> {
        let Some(join) = self.join.as_mut() else {
            return Ok(());
        };
        if batch::is_reserved(key) {
            self.metrics
                .outcomes
                .with_label_values(&["reserved_id"])
                .inc();
            return Ok(());
        }
        let batch = batch.map(|b| join.batcher.batch_at(partition, b));
        let arrived = join
            .store
            .arrive(partition, key, arrival, batch)
            .map_err(|e| OwnerError::Restore(e.to_string()))?;
        let store = &join.store;
        join.batcher.log(
            (partition, key),
            (arrived.log, arrived.released),
            |b| store.batch_pending(partition, b),
            &mut join.records,
        );
        write_records(&mut self.txn, &join.changelog, partition, &mut join.records)?;
        let result = match arrived.event {
            JoinEvent::Joined { app, bad } => {
                self.count_joined(partition, &app, bad);
                "joined"
            }
            JoinEvent::EarlyOutcome => "waiting_for_application",
            JoinEvent::DuplicateOutcome => "duplicate",
            JoinEvent::Waiting | JoinEvent::DuplicateApplication => return Ok(()),
        };
        self.metrics.outcomes.with_label_values(&[result]).inc();
        Ok(())
    }

    /// Writes the open batch of every partition.
    fn flush_batches(&mut self) -> Result<(), OwnerError> {
        let Some(join) = self.join.as_mut() else {
            return Ok(());
        };
        let store = &join.store;
        for p in join.batcher.open_partitions() {
            join.batcher
                .flush(p, |b| store.batch_pending(p, b), &mut join.records);
            write_records(&mut self.txn, &join.changelog, p, &mut join.records)?;
        }
        Ok(())
    }

    /// Counts a joined application into the outcome windows of the outcome partition:
    /// each series' bin, shifted past the goods' bins when the outcome is bad.
    fn count_joined(&mut self, partition: i32, app: &PendingApp, bad: bool) {
        let (Some(join), Some(outcomes)) = (self.join.as_mut(), self.plan.outcomes.as_ref()) else {
            return;
        };
        let layout = &self.plan.layout;
        let model = outcomes.set_of(usize::from(app.model));
        let Some(shape) = layout.sets.get(usize::from(app.model)).map(|m| &m.shape) else {
            return;
        };
        let bins: Vec<u16> = app
            .bins
            .iter()
            .zip(shape)
            .map(|(&b, &k)| if bad { b + k as u16 } else { b })
            .collect();
        join.late_in.resize(layout.windows.len(), false);
        if let Some(owned) = self
            .parts
            .get_mut(&join.outcome_topic)
            .and_then(|t| t.get_mut(&partition))
        {
            owned.state.add(model, app.app_ms, &bins, &mut join.late_in);
            owned.dirty = true;
        }
    }

    /// Writes the open batches, then removes the join's entries whose time is up on every
    /// owned outcome partition, with tombstones in the changelog, and logs the watermarks
    /// that moved.
    pub(super) fn expire_joins(&mut self) -> Result<(), OwnerError> {
        let Some(join) = self.join.as_ref() else {
            return Ok(());
        };
        let owned: Vec<i32> = self
            .parts
            .get(&join.outcome_topic)
            .map(|t| t.keys().copied().collect())
            .unwrap_or_default();
        self.flush_batches()?;
        for p in owned {
            self.expire_partition(p)?;
        }
        if let Some(join) = self.join.as_mut() {
            join.carry.clear();
        }
        Ok(())
    }

    fn expire_partition(&mut self, p: i32) -> Result<(), OwnerError> {
        let Some(join) = self.join.as_mut() else {
            return Ok(());
        };
        let mut written = 0;
        for key in join.carry.remove(&p).unwrap_or_default() {
            self.txn.changelog(&join.changelog, p, &key, None)?;
            written += 1;
        }
        let marks = Watermarks {
            applications: join.app_watermark.get(&p).copied().unwrap_or(i64::MIN),
            outcomes: join.outcome_watermark.get(&p).copied().unwrap_or(i64::MIN),
        };
        let expired = if marks.applications == i64::MIN && marks.outcomes == i64::MIN {
            Default::default()
        } else {
            join.store
                .expire(p, marks.applications, marks.outcomes)
                .map_err(|e| OwnerError::Restore(e.to_string()))?
        };
        for key in dropped_keys(&expired) {
            self.txn.changelog(&join.changelog, p, &key, None)?;
            written += 1;
        }
        let removed = expired.applications + expired.outcomes + expired.markers > 0;
        if (written > 0 || removed) && join.logged.get(&p) != Some(&marks) {
            // Logged with the expiry it made: a restore drops what a batch still holds of
            // it. Watermarks that removed nothing need no record.
            let key = batch::watermarks_key();
            self.txn
                .changelog(&join.changelog, p, key, Some(&marks.encode()))?;
            join.logged.insert(p, marks);
            written += 1;
        }
        if written > 0
            && let Some(owned) = self
                .parts
                .get_mut(&join.outcome_topic)
                .and_then(|t| t.get_mut(&p))
        {
            // The changelog records need a commit, which a clean partition would not get.
            owned.dirty = true;
        }
        self.metrics
            .outcomes
            .with_label_values(&["expired_application"])
            .inc_by(expired.applications);
        self.metrics
            .outcomes
            .with_label_values(&["unknown_application"])
            .inc_by(expired.outcomes);
        Ok(())
    }

    /// Rebuilds the store's partitions of the outcome partitions in `parts` from the
    /// changelog, with the watermarks of the last checkpoint; entries a batch still holds
    /// but that had expired are dropped again (not counted twice).
    pub(super) fn restore_joins(&mut self, parts: &[PartitionId]) -> Result<(), OwnerError> {
        let Some(join) = self.join.as_mut() else {
            return Ok(());
        };
        let topic = join.outcome_topic.clone();
        for part in parts.iter().filter(|p| p.topic == topic) {
            let p = part.partition;
            join.batcher.discard(p);
            join.carry.remove(&p);
            let restored = restore_partition(
                &join.base,
                &join.changelog,
                p,
                &mut join.store,
                self.restore_timeout,
            )
            .map_err(|e| OwnerError::Restore(e.to_string()))?;
            let carry = join.settle(p, &restored)?;
            info!(
                partition = p,
                records = restored.records,
                pending = join.store.count(p).unwrap_or(0),
                "join store restored from its changelog"
            );
            join.carry.insert(p, carry);
        }
        Ok(())
    }
}

/// Writes `records` (key, value or tombstone) to the changelog's `partition`, emptying it.
fn write_records(
    txn: &mut impl TxnSink,
    changelog: &str,
    partition: i32,
    records: &mut batch::Records,
) -> Result<(), OwnerError> {
    for (k, v) in records.drain(..) {
        txn.changelog(changelog, partition, &k, v.as_deref())?;
    }
    Ok(())
}

/// The changelog keys an expiry drops: the ids logged on their own, the batches released.
fn dropped_keys(expired: &Expired) -> impl Iterator<Item = Vec<u8>> + '_ {
    let batches = expired.released.iter().map(|&b| batch::batch_key(b));
    expired.ids.iter().cloned().chain(batches)
}

impl Join {
    /// After partition `p` was restored: its watermarks back, what had expired dropped.
    /// Returns the changelog keys to drop at the next checkpoint.
    fn settle(&mut self, p: i32, restored: &Restored) -> Result<Vec<Vec<u8>>, OwnerError> {
        self.app_watermark.remove(&p);
        self.outcome_watermark.remove(&p);
        self.logged.remove(&p);
        let mut carry: Vec<Vec<u8>> = restored
            .released
            .iter()
            .map(|&b| batch::batch_key(b))
            .collect();
        if let Some(w) = restored.watermarks {
            self.app_watermark.insert(p, w.applications);
            self.outcome_watermark.insert(p, w.outcomes);
            self.logged.insert(p, w);
            let expired = self
                .store
                .expire(p, w.applications, w.outcomes)
                .map_err(|e| OwnerError::Restore(e.to_string()))?;
            carry.extend(dropped_keys(&expired));
        }
        Ok(carry)
    }
}
