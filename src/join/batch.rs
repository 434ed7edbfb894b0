//! The join changelog's records other than one id's entry: a batch of entries (pending
//! applications and join markers, in the order they happened: one record for many, so that
//! the changelog costs a record per batch rather than per application and per outcome) and
//! the partition's watermarks (so that a restore can drop what a batch still holds but
//! expired). Their keys begin with `\0psimon-`, which the
//! join refuses in application ids (binary ids, as Kafka's LongSerializer writes them,
//! begin with a zero byte too: only this prefix is taken). Pure: no I/O.
//!
//! Batch value: a version byte (2), then per application its id and its `Entry` bytes,
//! each as a varint length and the bytes. Watermarks value: a version byte (3), the newest
//! application and outcome times seen, zig-zag varints.

use std::collections::HashMap;

use super::store::Log;
use crate::state::codec::{CodecError, Reader, put_prefixed, put_varint, zigzag};

/// A batch is written once it holds this many entries or `BATCH_BYTES`.
const BATCH_ENTRIES: usize = 2048;
const BATCH_BYTES: usize = 256 << 10;

/// Changelog records to write, in order: (key, value), `None` a tombstone.
pub type Records = Vec<(Vec<u8>, Option<Vec<u8>>)>;

const RESERVED: &[u8] = b"\0psimon-";
const BATCH_KEY: &[u8] = b"\0psimon-batch:";
const WATERMARKS_KEY: &[u8] = b"\0psimon-watermarks";
const BATCH_VERSION: u8 = 2;
const WATERMARKS_VERSION: u8 = 3;

/// Whether `id` is refused as an application id: the changelog's own keys begin so.
pub fn is_reserved(id: &[u8]) -> bool {
    id.starts_with(RESERVED)
}

/// What a changelog key names.
#[derive(Debug, PartialEq, Eq)]
pub enum Key<'a> {
    /// One application id's entry.
    Id(&'a [u8]),
    /// A batch, named by `batch_id` of its first entry.
    Batch(i64),
    Watermarks,
    /// A reserved key this version does not know.
    Unknown,
}

/// A batch's id: the offset of its first entry, and whether that is the offset of an
/// outcome (the outcome topic's offsets) or of an application.
pub fn batch_id(offset: i64, outcome: bool) -> i64 {
    (offset << 1) | i64::from(outcome)
}

pub fn batch_key(id: i64) -> Vec<u8> {
    let mut k = BATCH_KEY.to_vec();
    k.extend_from_slice(&id.to_be_bytes());
    k
}

pub fn watermarks_key() -> &'static [u8] {
    WATERMARKS_KEY
}

pub fn key(raw: &[u8]) -> Key<'_> {
    if !is_reserved(raw) {
        return Key::Id(raw);
    }
    if raw == WATERMARKS_KEY {
        return Key::Watermarks;
    }
    match raw.strip_prefix(BATCH_KEY).map(<[u8; 8]>::try_from) {
        Some(Ok(b)) => Key::Batch(i64::from_be_bytes(b)),
        _ => Key::Unknown,
    }
}

/// A batch being filled: entries of one partition, named by `batch_id` of the first.
#[derive(Debug)]
pub struct BatchBuf {
    pub id: i64,
    pub len: usize,
    value: Vec<u8>,
}

impl BatchBuf {
    pub fn new(id: i64) -> Self {
        Self {
            id,
            len: 0,
            value: vec![BATCH_VERSION],
        }
    }

    pub fn push(&mut self, id: &[u8], entry: &[u8]) {
        put_prefixed(&mut self.value, id);
        put_prefixed(&mut self.value, entry);
        self.len += 1;
    }

    pub fn bytes(&self) -> usize {
        self.value.len()
    }

    pub fn value(&self) -> &[u8] {
        &self.value
    }
}

/// What the join logs, per partition: entries into the open batch (written when full or
/// flushed), the rest under their ids, a tombstone for a batch none of whose entries is
/// current any more. `pending(b)` is the store's count for batch `b`.
#[derive(Debug, Default)]
pub struct Batcher {
    open: HashMap<i32, BatchBuf>,
}

impl Batcher {
    /// The batch an entry of `partition` goes into; a new one is named `id`.
    pub fn batch_at(&mut self, partition: i32, id: i64) -> i64 {
        self.open
            .entry(partition)
            .or_insert_with(|| BatchBuf::new(id))
            .id
    }

    /// Logs what an arrival for `id` changed (`log`) and the batch it released.
    pub fn log(
        &mut self,
        (partition, id): (i32, &[u8]),
        (log, released): (Log, Option<i64>),
        pending: impl Fn(i64) -> u32,
        out: &mut Records,
    ) {
        match log {
            Log::Nothing => {}
            Log::Entry(bytes) => out.push((id.to_vec(), Some(bytes))),
            Log::Batched(bytes) => {
                let full = self.open.get_mut(&partition).is_some_and(|b| {
                    b.push(id, &bytes);
                    b.len >= BATCH_ENTRIES || b.bytes() >= BATCH_BYTES
                });
                if full {
                    self.flush(partition, &pending, out);
                }
            }
        }
        if let Some(b) = released {
            self.release(partition, b, out);
        }
    }

    /// A tombstone for batch `b` (the open batch, not written yet, needs none).
    pub fn release(&mut self, partition: i32, b: i64, out: &mut Records) {
        if self.open.get(&partition).map(|buf| buf.id) != Some(b) {
            out.push((batch_key(b), None));
        }
    }

    /// Writes the partition's open batch, unless none of its entries is current any more
    /// (then it was never written and needs no tombstone).
    pub fn flush(&mut self, partition: i32, pending: impl Fn(i64) -> u32, out: &mut Records) {
        if let Some(buf) = self.open.remove(&partition)
            && buf.len > 0
            && pending(buf.id) > 0
        {
            out.push((batch_key(buf.id), Some(buf.value)));
        }
    }

    /// Partitions with an open batch.
    pub fn open_partitions(&self) -> Vec<i32> {
        self.open.keys().copied().collect()
    }

    /// Forgets the partition's open batch (its store is rebuilt from the changelog).
    pub fn discard(&mut self, partition: i32) {
        self.open.remove(&partition);
    }
}

/// One entry of a batch: the id and its `Entry` bytes.
pub type BatchEntry<'a> = (&'a [u8], &'a [u8]);

/// The entries of a batch's value.
pub fn decode_batch(raw: &[u8]) -> Result<Vec<BatchEntry<'_>>, CodecError> {
    let mut r = Reader::new(raw);
    let version = r.byte()?;
    if version != BATCH_VERSION {
        return Err(CodecError::Version(version));
    }
    let mut out = Vec::new();
    while !r.at_end() {
        let id = r.prefixed()?;
        out.push((id, r.prefixed()?));
    }
    Ok(out)
}

/// The newest application and outcome times seen on a partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Watermarks {
    pub applications: i64,
    pub outcomes: i64,
}

impl Watermarks {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![WATERMARKS_VERSION];
        put_varint(&mut out, zigzag(self.applications));
        put_varint(&mut out, zigzag(self.outcomes));
        out
    }

    pub fn decode(raw: &[u8]) -> Result<Self, CodecError> {
        let mut r = Reader::new(raw);
        let version = r.byte()?;
        if version != WATERMARKS_VERSION {
            return Err(CodecError::Version(version));
        }
        let w = Self {
            applications: r.zigzag()?,
            outcomes: r.zigzag()?,
        };
        r.finish()?;
        Ok(w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_values_round_trip() {
        assert_eq!(key(b"app-1"), Key::Id(b"app-1"));
        assert_eq!(key(&batch_key(-3)), Key::Batch(-3));
        assert_eq!(key(&batch_key(1 << 40)), Key::Batch(1 << 40));
        assert_eq!(key(watermarks_key()), Key::Watermarks);
        assert_eq!(key(b"\0psimon-other"), Key::Unknown);
        assert_eq!(key(b"\0other"), Key::Id(b"\0other"));
        assert_eq!(key(&7u64.to_be_bytes()), Key::Id(&7u64.to_be_bytes()));
        assert!(is_reserved(&batch_key(0)) && is_reserved(b"\0psimon-x"));
        assert!(!is_reserved(b"") && !is_reserved(b"\0\0\0\x07") && !is_reserved(b"a\0"));
        let mut b = BatchBuf::new(7);
        b.push(b"a", &[1, 2, 3]);
        b.push(b"", &[]);
        b.push(&[0xff; 200], &[9; 130]);
        let got = decode_batch(b.value()).unwrap();
        assert_eq!(got.len(), 3);
        assert_eq!(got[0], (&b"a"[..], &[1u8, 2, 3][..]));
        assert_eq!(got[2].1.len(), 130);
        assert!(decode_batch(&b.value()[..b.bytes() - 1]).is_err());
        let w = Watermarks {
            applications: -5,
            outcomes: 1_796_025_600_000,
        };
        assert_eq!(Watermarks::decode(&w.encode()), Ok(w));
        assert!(Watermarks::decode(&[2, 0, 0]).is_err());
    }
}
