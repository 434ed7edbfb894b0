//! The join's entries on disk: an embedded LSM store (fjall) with two keyspaces, the
//! entries by (partition, id) and an index by the event time at which each expires. Owns
//! the store's layout and the apply/expire/restore operations; not Kafka (the caller writes
//! every change to the changelog topic, which is what survives), not the clock.
//!
//! Why fjall: pending applications are written once each, at the event rate, and mostly
//! read once; an LSM tree takes such writes at memory speed and keeps only its block cache
//! in memory, so 10 million pending applications cost disk, not RAM. It is pure Rust
//! (no C++ toolchain, unlike RocksDB), maintained, and has atomic cross-keyspace batches.
//! Its own journal is not relied on: after an unclean stop the caller clears a partition
//! and restores it from the changelog, as Kafka Streams does with EOS.

use std::path::Path;

use fjall::{Database, Keyspace, KeyspaceCreateOptions};

use super::record::Entry;
use super::step::{Arrival, JoinEvent, step};

/// A keyspace's memtable is flushed to disk at this size (fjall's default is 64 MiB): with
/// the block cache, this bounds the store's memory whatever the number of pending entries.
const MEMTABLE: u64 = 16 << 20;

/// How long entries live, in event time.
#[derive(Debug, Clone, Copy)]
pub struct Deadlines {
    /// A pending application (and a join marker) lives until an outcome this much later in
    /// application time has been seen on its partition.
    pub horizon_ms: i64,
    /// An early outcome waits until applications this much later than it have been seen.
    pub grace_ms: i64,
}

/// Entries removed by `expire`, by kind, with the ids (for the changelog's tombstones).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Expired {
    /// Applications whose outcome never came within the horizon.
    pub applications: u64,
    /// Outcomes whose application never came within the grace: unknown ids.
    pub outcomes: u64,
    /// Join markers past the horizon (a repeat can no longer be told from a new outcome).
    pub markers: u64,
    pub ids: Vec<Vec<u8>>,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("join store: {0}")]
    Fjall(#[from] fjall::Error),
    #[error("join store: a stored entry is damaged: {0}")]
    Damaged(String),
}

/// Which watermark a deadline is compared with.
#[derive(Clone, Copy)]
enum Clock {
    /// The newest outcome time seen on the partition (pending applications, markers).
    Outcomes = 0,
    /// The newest application time seen on the partition (early outcomes).
    Applications = 1,
}

pub struct PendingStore {
    db: Database,
    entries: Keyspace,
    deadlines: Keyspace,
    limits: Deadlines,
}

fn entry_key(partition: i32, id: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(4 + id.len());
    k.extend_from_slice(&(partition as u32).to_be_bytes());
    k.extend_from_slice(id);
    k
}

/// Order-preserving bytes of an i64 (sign bit flipped, big-endian).
fn time_bytes(ms: i64) -> [u8; 8] {
    ((ms as u64) ^ (1 << 63)).to_be_bytes()
}

fn deadline_prefix(partition: i32, clock: Clock) -> Vec<u8> {
    let mut k = Vec::with_capacity(13);
    k.extend_from_slice(&(partition as u32).to_be_bytes());
    k.push(clock as u8);
    k
}

fn deadline_key(partition: i32, clock: Clock, at_ms: i64, id: &[u8]) -> Vec<u8> {
    let mut k = deadline_prefix(partition, clock);
    k.extend_from_slice(&time_bytes(at_ms));
    k.extend_from_slice(id);
    k
}

impl PendingStore {
    /// Opens (or creates) the store in `dir`, with a block cache of `cache_bytes`.
    pub fn open(dir: &Path, limits: Deadlines, cache_bytes: u64) -> Result<Self, StoreError> {
        let db = Database::builder(dir)
            .cache_size(cache_bytes)
            .manual_journal_persist(true)
            .open()?;
        let options = || KeyspaceCreateOptions::default().max_memtable_size(MEMTABLE);
        let entries = db.keyspace("entries", options)?;
        let deadlines = db.keyspace("deadlines", options)?;
        Ok(Self {
            db,
            entries,
            deadlines,
            limits,
        })
    }

    fn deadline(&self, e: &Entry) -> (Clock, i64) {
        let l = self.limits;
        match e {
            Entry::Pending(a) => (Clock::Outcomes, a.app_ms.saturating_add(l.horizon_ms)),
            Entry::Joined { app_ms } => (Clock::Outcomes, app_ms.saturating_add(l.horizon_ms)),
            Entry::Early(o) => (Clock::Applications, o.outcome_ms.saturating_add(l.grace_ms)),
        }
    }

    /// The entry stored for `id` on `partition`.
    pub fn get(&self, partition: i32, id: &[u8]) -> Result<Option<Entry>, StoreError> {
        match self.entries.get(entry_key(partition, id))? {
            None => Ok(None),
            Some(raw) => Entry::decode(&raw)
                .map(Some)
                .map_err(|e| StoreError::Damaged(e.to_string())),
        }
    }

    /// Stores `new` for the id in place of `old`, index included, in one batch.
    fn replace(
        &self,
        partition: i32,
        id: &[u8],
        old: Option<&Entry>,
        new: Option<&Entry>,
    ) -> Result<(), StoreError> {
        let mut batch = self.db.batch();
        if let Some(o) = old {
            let (clock, at) = self.deadline(o);
            batch.remove(&self.deadlines, deadline_key(partition, clock, at, id));
        }
        match new {
            Some(n) => {
                batch.insert(&self.entries, entry_key(partition, id), n.encode());
                let (clock, at) = self.deadline(n);
                batch.insert(
                    &self.deadlines,
                    deadline_key(partition, clock, at, id),
                    Vec::new(),
                );
            }
            None => batch.remove(&self.entries, entry_key(partition, id)),
        }
        batch.commit()?;
        Ok(())
    }

    /// Applies an arrival for `id` on `partition`. Returns what happened and, when the
    /// stored entry changed, its new bytes (for the changelog).
    pub fn arrive(
        &self,
        partition: i32,
        id: &[u8],
        arrival: Arrival,
    ) -> Result<(JoinEvent, Option<Vec<u8>>), StoreError> {
        let old = self.get(partition, id)?;
        let (new, event) = step(old.clone(), arrival);
        if new == old {
            return Ok((event, None));
        }
        self.replace(partition, id, old.as_ref(), new.as_ref())?;
        Ok((event, new.map(|n| n.encode())))
    }

    /// Removes the entries of `partition` whose time is up: pending applications and join
    /// markers once `outcome_watermark` passes their application time plus the horizon,
    /// early outcomes once `app_watermark` passes their outcome time plus the grace.
    pub fn expire(
        &self,
        partition: i32,
        app_watermark: i64,
        outcome_watermark: i64,
    ) -> Result<Expired, StoreError> {
        let mut out = Expired::default();
        for (clock, watermark) in [
            (Clock::Outcomes, outcome_watermark),
            (Clock::Applications, app_watermark),
        ] {
            let prefix = deadline_prefix(partition, clock);
            let mut end = prefix.clone();
            end.extend_from_slice(&time_bytes(watermark));
            let mut batch = self.db.batch();
            for kv in self.deadlines.range(prefix.clone()..end) {
                let key = kv.key()?;
                let id = key.get(prefix.len() + 8..).unwrap_or_default().to_vec();
                match self.get(partition, &id)? {
                    Some(Entry::Pending(_)) => out.applications += 1,
                    Some(Entry::Joined { .. }) => out.markers += 1,
                    Some(Entry::Early(_)) => out.outcomes += 1,
                    None => {}
                }
                batch.remove(&self.deadlines, key.to_vec());
                batch.remove(&self.entries, entry_key(partition, &id));
                out.ids.push(id);
            }
            batch.commit()?;
        }
        Ok(out)
    }

    /// Applies a changelog record while restoring: the entry's bytes, or `None` (removed).
    pub fn restore(
        &self,
        partition: i32,
        id: &[u8],
        value: Option<&[u8]>,
    ) -> Result<(), StoreError> {
        let old = self.get(partition, id)?;
        let new = value
            .map(Entry::decode)
            .transpose()
            .map_err(|e| StoreError::Damaged(e.to_string()))?;
        self.replace(partition, id, old.as_ref(), new.as_ref())
    }

    /// Drops everything of `partition` (before restoring it from the changelog).
    pub fn clear_partition(&self, partition: i32) -> Result<(), StoreError> {
        let prefix = (partition as u32).to_be_bytes();
        for ks in [&self.entries, &self.deadlines] {
            let mut batch = self.db.batch();
            for kv in ks.prefix(prefix) {
                batch.remove(ks, kv.key()?.to_vec());
            }
            batch.commit()?;
        }
        Ok(())
    }

    /// Entries of `partition` (a full scan: for tests and restore checks).
    pub fn count(&self, partition: i32) -> Result<u64, StoreError> {
        let mut n = 0;
        for kv in self.entries.prefix((partition as u32).to_be_bytes()) {
            kv.key()?;
            n += 1;
        }
        Ok(n)
    }

    /// Bytes the store takes on disk.
    pub fn disk_bytes(&self) -> u64 {
        self.db.disk_space().unwrap_or(0)
    }
}
