//! The join's entries on disk: per partition, the records in append-only scratch segment
//! files (`spill`) and an in-memory index of id fingerprints to their newest record
//! (`index`, 9 bytes a slot). Owns the apply/expire/restore operations and which batch of
//! the changelog each pending application came in; not Kafka (the caller writes every
//! change to the changelog topic, which is what survives), not the clock.
//!
//! Why not an LSM tree (fjall until 0.2): pending applications are written once each, at the
//! event rate, and mostly read once; fjall took 3.8 us to store one and 6.5 us to join one
//! (`cargo bench --bench join`), which made the monitor four times slower with the join on.
//! Here a stored application costs an append to a buffer and an index insert, a join one
//! positioned read (the page cache holds recent segments). The price is the index: about
//! 10-18 bytes of memory per stored id (hashbrown's load factor), 20-36 MB for 2 million.
//! Nothing here survives a restart: every assignment rebuilds the store from the changelog,
//! as Kafka Streams does with EOS after an unclean stop.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::path::{Path, PathBuf};

use super::index::Index;
use super::record::Entry;
use super::spill::{Spill, SpillError};
use super::step::{Arrival, JoinEvent, step};

/// The batch of a pending entry logged on its own (not in a changelog batch).
const NO_BATCH: i64 = i64::MIN;

/// How long entries live, in event time.
#[derive(Debug, Clone, Copy)]
pub struct Deadlines {
    /// A pending application (and a join marker) lives until an outcome this much later in
    /// application time has been seen on its partition.
    pub horizon_ms: i64,
    /// An early outcome waits until applications this much later than it have been seen.
    pub grace_ms: i64,
}

/// Entries removed by `expire`, by kind, with what the changelog must drop.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Expired {
    /// Applications whose outcome never came within the horizon.
    pub applications: u64,
    /// Outcomes whose application never came within the grace: unknown ids.
    pub outcomes: u64,
    /// Join markers past the horizon (a repeat can no longer be told from a new outcome).
    pub markers: u64,
    /// Ids logged on their own: a tombstone each.
    pub ids: Vec<Vec<u8>>,
    /// Changelog batches none of whose applications is pending any more.
    pub released: Vec<i64>,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Spill(#[from] SpillError),
    #[error("join store: a stored entry is damaged: {0}")]
    Damaged(String),
}

/// Which watermark a deadline is compared with (the index into the watermarks).
#[derive(Clone, Copy)]
enum Clock {
    /// The newest outcome time seen on the partition (pending applications, markers).
    Outcomes = 0,
    /// The newest application time seen on the partition (early outcomes).
    Applications = 1,
}

/// What an arrival asks the changelog to record.
#[derive(Debug, PartialEq, Eq)]
pub enum Log {
    /// Nothing changed.
    Nothing,
    /// The id's new entry, logged under its id.
    Entry(Vec<u8>),
    /// A new pending application, to be logged in the caller's open batch.
    Batched(Vec<u8>),
}

/// The outcome of an arrival.
#[derive(Debug)]
pub struct Arrived {
    pub event: JoinEvent,
    pub log: Log,
    /// A batch none of whose entries is current any more (its changelog record can go).
    pub released: Option<i64>,
}

/// A live record found by a scan: location, id, body and deadline (clock, time).
type Live<'a> = (u32, &'a [u8], &'a [u8], (usize, i64));

/// A stored record found for an id.
struct Found {
    loc: u32,
    size: usize,
    batch: i64,
    entry: Entry,
}

struct Part {
    index: Index,
    spill: Spill,
}

pub struct PendingStore {
    dir: PathBuf,
    parts: HashMap<i32, Part>,
    limits: Deadlines,
    hasher: hashbrown::DefaultHashBuilder,
    /// Per (partition, batch): its entries that are still their id's entry.
    batches: HashMap<(i32, i64), u32>,
    body: Vec<u8>,
}

fn body_of(batch: i64, entry: &[u8], out: &mut Vec<u8>) {
    out.clear();
    out.extend_from_slice(&batch.to_le_bytes());
    out.extend_from_slice(entry);
}

fn parse_body(body: &[u8]) -> Result<(i64, Entry), StoreError> {
    let damaged = |e: String| StoreError::Damaged(e);
    let batch = body
        .get(..8)
        .and_then(|b| b.try_into().ok())
        .map(i64::from_le_bytes)
        .ok_or_else(|| damaged("short record".into()))?;
    let entry = Entry::decode(&body[8..]).map_err(|e| damaged(e.to_string()))?;
    Ok((batch, entry))
}

impl PendingStore {
    /// Opens an empty store in `dir` (whatever a previous process left there is removed).
    pub fn open(dir: &Path, limits: Deadlines) -> Result<Self, StoreError> {
        if dir.exists() {
            std::fs::remove_dir_all(dir).map_err(SpillError::from)?;
        }
        std::fs::create_dir_all(dir).map_err(SpillError::from)?;
        Ok(Self {
            dir: dir.to_path_buf(),
            parts: HashMap::new(),
            limits,
            hasher: hashbrown::DefaultHashBuilder::default(),
            batches: HashMap::new(),
            body: Vec::new(),
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

    fn fingerprint(&self, id: &[u8]) -> u32 {
        (self.hasher.hash_one(id) >> 32) as u32
    }

    fn part(&mut self, partition: i32) -> &mut Part {
        let dir = &self.dir;
        self.parts.entry(partition).or_insert_with(|| Part {
            index: Index::default(),
            spill: Spill::new(dir.join(format!("p{partition}"))),
        })
    }

    /// The record stored for `id` on `partition`, if any.
    fn find(&mut self, partition: i32, id: &[u8]) -> Result<Option<Found>, StoreError> {
        let fp = self.fingerprint(id);
        let Part { index, spill } = self.part(partition);
        for loc in index.candidates(fp) {
            let r = spill.read(loc)?;
            if r.id == id {
                let size = Spill::size(r.id, r.body);
                let (batch, entry) = parse_body(r.body)?;
                return Ok(Some(Found {
                    loc,
                    size,
                    batch,
                    entry,
                }));
            }
        }
        Ok(None)
    }

    /// The entry stored for `id` on `partition`.
    pub fn get(&mut self, partition: i32, id: &[u8]) -> Result<Option<Entry>, StoreError> {
        Ok(self.find(partition, id)?.map(|f| f.entry))
    }

    /// Replaces what `old` stored for the id with `new`: the entry, its encoded bytes and
    /// its batch (for a pending entry). Returns the batch released by the replacement.
    fn put(
        &mut self,
        partition: i32,
        id: &[u8],
        old: Option<&Found>,
        new: Option<(&Entry, &[u8], i64)>,
    ) -> Result<Option<i64>, StoreError> {
        let fp = self.fingerprint(id);
        let mut released = None;
        if let Some(o) = old {
            let part = self.part(partition);
            part.spill.release(o.loc, o.size)?;
            if !matches!(new, Some((_, _, b)) if b == o.batch) {
                released = self.unbatch(partition, o);
            }
        }
        let Some((entry, bytes, batch)) = new else {
            if let Some(o) = old {
                self.part(partition).index.relocate(fp, o.loc, None);
            }
            return Ok(released);
        };
        let deadline = self.deadline(entry);
        let mut body = std::mem::take(&mut self.body);
        body_of(batch, bytes, &mut body);
        let part = self.part(partition);
        let loc = part
            .spill
            .append(id, &body, (deadline.0 as usize, deadline.1));
        self.body = body;
        let loc = loc?;
        let part = self.part(partition);
        match old {
            Some(o) => {
                part.index.relocate(fp, o.loc, Some(loc));
            }
            None => part.index.insert(fp, loc),
        }
        if batch != NO_BATCH && old.is_none_or(|o| o.batch != batch) {
            *self.batches.entry((partition, batch)).or_default() += 1;
        }
        Ok(released)
    }

    /// `found` leaves its batch: the batch, when no application of it is pending any more.
    fn unbatch(&mut self, partition: i32, found: &Found) -> Option<i64> {
        if found.batch == NO_BATCH {
            return None;
        }
        let key = (partition, found.batch);
        let n = self.batches.get_mut(&key)?;
        *n = n.saturating_sub(1);
        if *n > 0 {
            return None;
        }
        self.batches.remove(&key);
        Some(found.batch)
    }

    /// Entries of `batch` on `partition` that are still their id's entry.
    pub fn batch_pending(&self, partition: i32, batch: i64) -> u32 {
        self.batches.get(&(partition, batch)).copied().unwrap_or(0)
    }

    /// Applies an arrival for `id` on `partition`. The new entry goes into `batch` when
    /// there is one (`Log::Batched`), unless it is an early outcome or the id is logged
    /// under its id already.
    pub fn arrive(
        &mut self,
        partition: i32,
        id: &[u8],
        arrival: Arrival,
        batch: Option<i64>,
    ) -> Result<Arrived, StoreError> {
        let old = self.find(partition, id)?;
        let (new, event) = step(old.as_ref().map(|f| f.entry.clone()), arrival);
        if new.as_ref() == old.as_ref().map(|f| &f.entry) {
            return Ok(Arrived {
                event,
                log: Log::Nothing,
                released: None,
            });
        }
        // An early outcome, and whatever follows an entry logged under its id, is logged
        // under its id: an id changes between the two only once removed (at a checkpoint),
        // so the changelog keeps each id's records in the order they happened.
        let batch = match (&new, &old, batch) {
            (Some(Entry::Early(_)), _, _) | (_, _, None) => NO_BATCH,
            (_, Some(o), _) if o.batch == NO_BATCH => NO_BATCH,
            (_, _, Some(b)) => b,
        };
        let bytes = new.as_ref().map(Entry::encode).unwrap_or_default();
        let new = new.as_ref().map(|e| (e, bytes.as_slice(), batch));
        let released = self.put(partition, id, old.as_ref(), new)?;
        let log = if batch == NO_BATCH {
            Log::Entry(bytes)
        } else {
            Log::Batched(bytes)
        };
        Ok(Arrived {
            event,
            log,
            released,
        })
    }

    /// Removes the entries of `partition` whose time is up: pending applications and join
    /// markers once `outcome_watermark` passes their application time plus the horizon,
    /// early outcomes once `app_watermark` passes their outcome time plus the grace. Only
    /// segments whose earliest deadline has passed are read; one left under a quarter live
    /// is compacted into the active segment.
    pub fn expire(
        &mut self,
        partition: i32,
        app_watermark: i64,
        outcome_watermark: i64,
    ) -> Result<Expired, StoreError> {
        let watermarks = [outcome_watermark, app_watermark];
        let mut out = Expired::default();
        let due = self.part(partition).spill.due(watermarks);
        for slot in due {
            let scanned = self.part(partition).spill.records(slot)?;
            let mut earliest = [i64::MAX; 2];
            let mut live = Vec::new();
            for (loc, id_at, body_at) in scanned.records {
                let (id, body) = (&scanned.raw[id_at], &scanned.raw[body_at]);
                let fp = self.fingerprint(id);
                if !self.part(partition).index.contains(fp, loc) {
                    continue;
                }
                let (batch, entry) = parse_body(body)?;
                let (clock, at) = self.deadline(&entry);
                if at >= watermarks[clock as usize] {
                    earliest[clock as usize] = earliest[clock as usize].min(at);
                    live.push((loc, id, body, (clock as usize, at)));
                    continue;
                }
                let size = Spill::size(id, body);
                let found = Found {
                    loc,
                    size,
                    batch,
                    entry,
                };
                self.count_expired(partition, id, &found, &mut out);
                self.put(partition, id, Some(&found), None)?;
            }
            if self.part(partition).spill.rescanned(slot, earliest) {
                self.compact(partition, slot, &live)?;
            }
        }
        Ok(out)
    }

    fn count_expired(&mut self, partition: i32, id: &[u8], found: &Found, out: &mut Expired) {
        match found.entry {
            Entry::Pending(_) => out.applications += 1,
            Entry::Joined { .. } => out.markers += 1,
            Entry::Early(_) => out.outcomes += 1,
        }
        match self.unbatch_preview(partition, found) {
            Some(b) => out.released.push(b),
            None if found.batch == NO_BATCH => out.ids.push(id.to_vec()),
            None => {}
        }
    }

    /// Whether removing `found` releases its batch (the release itself is `put`'s).
    fn unbatch_preview(&self, partition: i32, found: &Found) -> Option<i64> {
        let batched = found.batch != NO_BATCH;
        (batched && self.batch_pending(partition, found.batch) == 1).then_some(found.batch)
    }

    /// Moves the live records of segment `slot` (location, id, body, deadline) to the
    /// active segment and deletes it.
    fn compact(
        &mut self,
        partition: i32,
        slot: usize,
        live: &[Live<'_>],
    ) -> Result<(), StoreError> {
        for &(loc, id, body, deadline) in live {
            let fp = self.fingerprint(id);
            let part = self.part(partition);
            let moved = part.spill.append(id, body, deadline)?;
            part.index.relocate(fp, loc, Some(moved));
        }
        self.part(partition).spill.drop_segment(slot);
        Ok(())
    }

    /// Applies a changelog record logged under its id while restoring: the entry's bytes,
    /// or `None` (removed). Returns a batch this releases, if any.
    pub fn restore(
        &mut self,
        partition: i32,
        id: &[u8],
        value: Option<&[u8]>,
    ) -> Result<Option<i64>, StoreError> {
        let old = self.find(partition, id)?;
        let new = value
            .map(Entry::decode)
            .transpose()
            .map_err(|e| StoreError::Damaged(e.to_string()))?;
        if old.is_none() && new.is_none() {
            return Ok(None);
        }
        // The bytes read are stored as they are (they decoded): no encoding again.
        let new = new.as_ref().zip(value).map(|(e, v)| (e, v, NO_BATCH));
        self.put(partition, id, old.as_ref(), new)
    }

    /// Applies one entry of a changelog batch while restoring. The entries of a partition's
    /// batches are in the order they happened, and an id logged in batches is never logged
    /// under its id at the same time: so the entry replaces whatever is stored. (An entry
    /// that a compacted-away batch had replaced comes back here; it has the deadline of
    /// what replaced it, and the watermarks drop it after the restore.)
    pub fn restore_batched(
        &mut self,
        partition: i32,
        batch: i64,
        id: &[u8],
        entry: &[u8],
    ) -> Result<Option<i64>, StoreError> {
        let old = self.find(partition, id)?;
        let new = Entry::decode(entry).map_err(|e| StoreError::Damaged(e.to_string()))?;
        if matches!(new, Entry::Early(_)) {
            return Err(StoreError::Damaged("a batch holds an early outcome".into()));
        }
        self.put(partition, id, old.as_ref(), Some((&new, entry, batch)))
    }

    /// Drops everything of `partition` (before restoring it from the changelog).
    pub fn clear_partition(&mut self, partition: i32) -> Result<(), StoreError> {
        if let Some(mut part) = self.parts.remove(&partition) {
            part.spill.clear();
            part.index.clear();
        }
        self.batches.retain(|(p, _), _| *p != partition);
        Ok(())
    }

    /// Entries stored for `partition`.
    pub fn count(&self, partition: i32) -> Result<u64, StoreError> {
        Ok(self
            .parts
            .get(&partition)
            .map_or(0, |p| p.index.len() as u64))
    }

    /// Bytes the store takes on disk.
    pub fn disk_bytes(&self) -> u64 {
        self.parts.values().map(|p| p.spill.disk_bytes()).sum()
    }

    /// Bytes the store's index takes in memory.
    pub fn memory_bytes(&self) -> u64 {
        self.parts
            .values()
            .map(|p| p.index.memory_bytes() as u64)
            .sum()
    }
}
