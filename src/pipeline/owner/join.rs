//! The outcome join's part of the owner: applications and outcomes of partition p meet in
//! the on-disk store, every change of which goes to the changelog topic inside the open
//! transaction; joined applications are counted into the outcome windows of the outcome
//! topic's partition p; expiry at each checkpoint; the store rebuilt from the changelog on
//! assignment and after an abort. Only the consumer thread calls this.

use std::collections::HashMap;

use tracing::info;

use super::{Owner, OwnerError};
use crate::join::partitioner::partition_of;
use crate::join::{Arrival, JoinEvent, OutcomeSeen, PendingApp, PendingStore, restore_partition};
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
        }
    }
}

impl<S: TxnSink, R: StateSource> Owner<S, R> {
    /// The join's record of an application counted on `partition` (the same partition
    /// number of the outcome topic holds its outcome): it waits for its outcome, or joins
    /// one that came first.
    pub(crate) fn join_application(
        &mut self,
        partition: i32,
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
        self.arrive(partition, key, Arrival::Application(app))
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
        self.arrive(partition, key, Arrival::Outcome(outcome))?;
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

    /// Applies an arrival to the store, logs the change and counts a join.
    fn arrive(&mut self, partition: i32, key: &[u8], arrival: Arrival) -> Result<(), OwnerError> {
        let Some(join) = self.join.as_mut() else {
            return Ok(());
        };
        let (event, change) = join
            .store
            .arrive(partition, key, arrival)
            .map_err(|e| OwnerError::Restore(e.to_string()))?;
        if let Some(bytes) = change {
            self.txn
                .changelog(&join.changelog, partition, key, Some(&bytes))?;
        }
        let result = match event {
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

    /// Removes the join's entries whose time is up on every owned outcome partition, with
    /// tombstones in the changelog.
    pub(super) fn expire_joins(&mut self) -> Result<(), OwnerError> {
        let Some(join) = self.join.as_mut() else {
            return Ok(());
        };
        let owned: Vec<i32> = self
            .parts
            .get(&join.outcome_topic)
            .map(|t| t.keys().copied().collect())
            .unwrap_or_default();
        for p in owned {
            let app_wm = join.app_watermark.get(&p).copied().unwrap_or(i64::MIN);
            let out_wm = join.outcome_watermark.get(&p).copied().unwrap_or(i64::MIN);
            if app_wm == i64::MIN && out_wm == i64::MIN {
                continue;
            }
            let expired = join
                .store
                .expire(p, app_wm, out_wm)
                .map_err(|e| OwnerError::Restore(e.to_string()))?;
            for id in &expired.ids {
                self.txn.changelog(&join.changelog, p, id, None)?;
            }
            if !expired.ids.is_empty()
                && let Some(owned) = self
                    .parts
                    .get_mut(&join.outcome_topic)
                    .and_then(|t| t.get_mut(&p))
            {
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
        }
        Ok(())
    }

    /// Rebuilds the store's partitions of the outcome partitions in `parts` from the
    /// changelog.
    pub(super) fn restore_joins(&mut self, parts: &[PartitionId]) -> Result<(), OwnerError> {
        let Some(join) = self.join.as_mut() else {
            return Ok(());
        };
        for part in parts.iter().filter(|p| p.topic == join.outcome_topic) {
            let n = restore_partition(
                &join.base,
                &join.changelog,
                part.partition,
                &join.store,
                self.restore_timeout,
            )
            .map_err(|e| OwnerError::Restore(e.to_string()))?;
            join.app_watermark.remove(&part.partition);
            join.outcome_watermark.remove(&part.partition);
            info!(
                partition = part.partition,
                records = n,
                "join store restored from its changelog"
            );
        }
        Ok(())
    }
}
