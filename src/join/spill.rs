//! The join store's records on disk for one partition: append-only segment files of at most
//! 16 MiB, each record addressed by a 32-bit location (segment slot and offset). Owns the
//! files, the append buffer, and per segment how many of its records are live and the
//! earliest deadline among them; not which record is live (the index says) nor what a
//! record means (the store does).
//!
//! The files are scratch: the store is rebuilt from the changelog on every assignment, so
//! nothing here is synced or recovered; the OS page cache, not the process, holds what is
//! read often.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::PathBuf;

/// A segment's size limit: offsets in 4-byte units fit 22 bits.
const SEGMENT_BYTES: u32 = 16 << 20;
const OFFSET_BITS: u32 = 22;
/// Segment slots per partition (10 bits of a location): 16 GiB of records.
const SLOTS: usize = 1 << (32 - OFFSET_BITS);
/// Appended bytes are written to the file in pieces of this size.
const FLUSH_BYTES: usize = 64 << 10;
/// Record header: id length and body length, two little-endian u16.
const HEADER: usize = 4;
/// A first read takes this much, enough for most records.
const FIRST_READ: usize = 128;

/// A segment as a scan reads it: its bytes, and per record its location and where its id
/// and body are in the bytes.
pub(crate) struct Scanned {
    pub raw: Vec<u8>,
    pub records: Vec<(u32, std::ops::Range<usize>, std::ops::Range<usize>)>,
}

/// One record read back: its id and body, as slices of the log's scratch buffer.
pub(crate) struct Record<'a> {
    pub id: &'a [u8],
    pub body: &'a [u8],
}

struct Segment {
    file: File,
    path: PathBuf,
    /// Bytes in the file; later bytes are in `buf`.
    flushed: u32,
    buf: Vec<u8>,
    live: u32,
    live_bytes: u32,
    total_bytes: u32,
    /// The earliest deadline among the live records, per clock (may be earlier than it
    /// is after removals: a scan makes it exact).
    min_deadline: [i64; 2],
    /// Under a quarter live: to be compacted at the next expiry.
    sparse: bool,
}

impl Segment {
    fn len(&self) -> u32 {
        self.flushed + self.buf.len() as u32
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if !self.buf.is_empty() {
            self.file.write_all_at(&self.buf, u64::from(self.flushed))?;
            self.flushed += self.buf.len() as u32;
            self.buf.clear();
        }
        Ok(())
    }

    /// `len` bytes at `offset`, from the file or the unflushed buffer, into `out`.
    fn read(&self, offset: u32, len: usize, out: &mut Vec<u8>) -> std::io::Result<()> {
        out.clear();
        let end = (offset as usize + len).min(self.len() as usize);
        let mut at = offset as usize;
        if at < self.flushed as usize {
            let upto = end.min(self.flushed as usize);
            out.resize(upto - at, 0);
            self.file.read_exact_at(out, at as u64)?;
            at = upto;
        }
        if at < end {
            let from = at - self.flushed as usize;
            out.extend_from_slice(&self.buf[from..from + (end - at)]);
        }
        Ok(())
    }
}

fn padded(n: usize) -> usize {
    (n + 3) & !3
}

fn location(slot: usize, offset: u32) -> u32 {
    ((slot as u32) << OFFSET_BITS) | (offset >> 2)
}

fn split(loc: u32) -> (usize, u32) {
    (
        (loc >> OFFSET_BITS) as usize,
        (loc & ((1 << OFFSET_BITS) - 1)) << 2,
    )
}

/// The id and body lengths in the header at the start of `raw`.
fn lengths(raw: &[u8]) -> Option<(usize, usize)> {
    let h = raw.get(..HEADER)?;
    let id_len = usize::from(u16::from_le_bytes([h[0], h[1]]));
    Some((id_len, usize::from(u16::from_le_bytes([h[2], h[3]]))))
}

/// Parses the record at the start of `raw`: (id, body, bytes taken with padding).
fn parse(raw: &[u8]) -> Option<(&[u8], &[u8], usize)> {
    let (id_len, body_len) = lengths(raw)?;
    let id = raw.get(HEADER..HEADER + id_len)?;
    let body = raw.get(HEADER + id_len..HEADER + id_len + body_len)?;
    Some((id, body, padded(HEADER + id_len + body_len)))
}

#[derive(Debug, thiserror::Error)]
pub enum SpillError {
    #[error("join store file: {0}")]
    Io(#[from] std::io::Error),
    #[error("join store: a record of {0} bytes is too long")]
    TooLong(usize),
    #[error("join store: all {SLOTS} segments of a partition are in use")]
    Full,
    #[error("join store: a stored record is damaged")]
    Damaged,
}

/// The segments of one partition.
pub(crate) struct Spill {
    dir: PathBuf,
    slots: Vec<Option<Segment>>,
    active: Option<usize>,
    next_file: u64,
    scratch: Vec<u8>,
}

impl Spill {
    pub(crate) fn new(dir: PathBuf) -> Self {
        Self {
            dir,
            slots: (0..SLOTS).map(|_| None).collect(),
            active: None,
            next_file: 0,
            scratch: Vec::new(),
        }
    }

    /// Appends a record; returns its location. `deadline` is (clock, time) of its entry.
    pub(crate) fn append(
        &mut self,
        id: &[u8],
        body: &[u8],
        deadline: (usize, i64),
    ) -> Result<u32, SpillError> {
        let size = Self::size(id, body);
        let (Ok(id_len), Ok(body_len)) = (u16::try_from(id.len()), u16::try_from(body.len()))
        else {
            return Err(SpillError::TooLong(size));
        };
        let slot = self.active_with_room(size as u32)?;
        let seg = self.slots[slot].as_mut().ok_or(SpillError::Damaged)?;
        let offset = seg.len();
        seg.buf.extend_from_slice(&id_len.to_le_bytes());
        seg.buf.extend_from_slice(&body_len.to_le_bytes());
        seg.buf.extend_from_slice(id);
        seg.buf.extend_from_slice(body);
        seg.buf
            .resize(seg.buf.len() + size - (HEADER + id.len() + body.len()), 0);
        seg.live += 1;
        seg.live_bytes += size as u32;
        seg.total_bytes += size as u32;
        let (clock, at) = deadline;
        seg.min_deadline[clock] = seg.min_deadline[clock].min(at);
        if seg.buf.len() >= FLUSH_BYTES {
            seg.flush()?;
        }
        Ok(location(slot, offset))
    }

    /// The active segment, a new one when `size` more bytes would not fit.
    fn active_with_room(&mut self, size: u32) -> Result<usize, SpillError> {
        if let Some(slot) = self.active {
            let seg = self.slots[slot].as_mut().ok_or(SpillError::Damaged)?;
            if seg.len() + size <= SEGMENT_BYTES {
                return Ok(slot);
            }
            seg.flush()?;
            seg.buf = Vec::new();
        }
        let slot = self
            .slots
            .iter()
            .position(Option::is_none)
            .ok_or(SpillError::Full)?;
        std::fs::create_dir_all(&self.dir)?;
        let path = self.dir.join(format!("{:08}.seg", self.next_file));
        self.next_file += 1;
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)?;
        self.slots[slot] = Some(Segment {
            file,
            path,
            flushed: 0,
            buf: Vec::with_capacity(FLUSH_BYTES),
            live: 0,
            live_bytes: 0,
            total_bytes: 0,
            min_deadline: [i64::MAX; 2],
            sparse: false,
        });
        self.active = Some(slot);
        Ok(slot)
    }

    /// The record at `loc`.
    pub(crate) fn read(&mut self, loc: u32) -> Result<Record<'_>, SpillError> {
        let (slot, offset) = split(loc);
        let seg = self
            .slots
            .get(slot)
            .and_then(Option::as_ref)
            .ok_or(SpillError::Damaged)?;
        seg.read(offset, FIRST_READ, &mut self.scratch)?;
        if parse(&self.scratch).is_none() {
            let (id_len, body_len) = lengths(&self.scratch).ok_or(SpillError::Damaged)?;
            seg.read(offset, HEADER + id_len + body_len, &mut self.scratch)?;
        }
        let (id, body, _) = parse(&self.scratch).ok_or(SpillError::Damaged)?;
        Ok(Record { id, body })
    }

    /// The record at `loc` is no longer live: `bytes` is its padded size. A sealed segment
    /// with nothing live goes at once (joined applications free their segments as soon as
    /// the last one is joined, not a horizon later).
    pub(crate) fn release(&mut self, loc: u32, bytes: usize) -> Result<(), SpillError> {
        let (slot, _) = split(loc);
        let sealed = self.active != Some(slot);
        let seg = self.slots[slot].as_mut().ok_or(SpillError::Damaged)?;
        seg.live = seg.live.saturating_sub(1);
        seg.live_bytes = seg.live_bytes.saturating_sub(bytes as u32);
        if sealed && seg.live == 0 {
            self.drop_segment(slot);
        } else if sealed && seg.live_bytes < seg.total_bytes / 4 {
            seg.sparse = true;
        }
        Ok(())
    }

    /// The padded size of a record of `id` and `body`.
    pub(crate) fn size(id: &[u8], body: &[u8]) -> usize {
        padded(HEADER + id.len() + body.len())
    }

    /// Segments holding a live record whose deadline may be before `watermarks` (per
    /// clock), and segments under a quarter live (to compact) once dead records take more
    /// than half the files and a segment besides. (Joined applications mostly leave
    /// segments wholly dead, which go without a read: compacting at once would copy the
    /// last quarter of each segment about to die.)
    pub(crate) fn due(&self, watermarks: [i64; 2]) -> Vec<usize> {
        let segments = || self.slots.iter().flatten();
        let total: u64 = segments().map(|s| u64::from(s.total_bytes)).sum();
        let live: u64 = segments().map(|s| u64::from(s.live_bytes)).sum();
        let compact = total > 2 * live + u64::from(SEGMENT_BYTES);
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.as_ref().map(|s| (i, s)))
            .filter(|(_, s)| {
                (compact && s.sparse)
                    || (s.live > 0 && (0..2).any(|c| s.min_deadline[c] < watermarks[c]))
            })
            .map(|(i, _)| i)
            .collect()
    }

    /// Every record of segment `slot`.
    pub(crate) fn records(&self, slot: usize) -> Result<Scanned, SpillError> {
        let seg = self.slots[slot].as_ref().ok_or(SpillError::Damaged)?;
        let mut raw = Vec::new();
        seg.read(0, seg.len() as usize, &mut raw)?;
        let mut records = Vec::with_capacity(seg.live as usize);
        let mut at = 0;
        while at < raw.len() {
            let (id, body, taken) = parse(&raw[at..]).ok_or(SpillError::Damaged)?;
            let id_at = at + HEADER;
            let body_at = id_at + id.len();
            records.push((
                location(slot, at as u32),
                id_at..body_at,
                body_at..body_at + body.len(),
            ));
            at += taken;
        }
        Ok(Scanned { raw, records })
    }

    /// After a scan: the segment's exact earliest deadlines; drops it when nothing in it
    /// is live. Returns whether it is worth compacting (under a quarter live, not active).
    pub(crate) fn rescanned(&mut self, slot: usize, min_deadline: [i64; 2]) -> bool {
        let active = self.active == Some(slot);
        let Some(seg) = self.slots[slot].as_mut() else {
            return false;
        };
        seg.min_deadline = min_deadline;
        if seg.live == 0 && !active {
            self.drop_segment(slot);
            return false;
        }
        !active && seg.live_bytes < seg.total_bytes / 4
    }

    /// Deletes segment `slot` (its live records must have moved).
    pub(crate) fn drop_segment(&mut self, slot: usize) {
        if let Some(seg) = self.slots[slot].take() {
            // Scratch files: one that cannot be removed now goes with the directory.
            let _ = std::fs::remove_file(&seg.path);
        }
        if self.active == Some(slot) {
            self.active = None;
        }
    }

    /// Deletes every segment.
    pub(crate) fn clear(&mut self) {
        for slot in 0..SLOTS {
            self.drop_segment(slot);
        }
    }

    /// Bytes in the segment files and their buffers.
    pub(crate) fn disk_bytes(&self) -> u64 {
        self.slots
            .iter()
            .flatten()
            .map(|s| u64::from(s.len()))
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_read_back_across_flushes_and_segments() {
        let dir = tempfile::tempdir().unwrap();
        let mut spill = Spill::new(dir.path().join("p0"));
        let body = vec![9u8; 300];
        let len = |n: usize| if n.is_multiple_of(1000) { 300 } else { 290 };
        let size = |n: usize| Spill::size(n.to_string().as_bytes(), &body[..len(n)]);
        // About 40 MiB: three segments, most of them flushed.
        let locs: Vec<u32> = (0..130_000usize)
            .map(|n| {
                let id = n.to_string();
                spill
                    .append(id.as_bytes(), &body[..len(n)], (0, 5))
                    .unwrap()
            })
            .collect();
        for (n, &loc) in locs.iter().enumerate().step_by(997) {
            let r = spill.read(loc).unwrap();
            assert_eq!(r.id, n.to_string().as_bytes());
            assert_eq!(r.body.len(), len(n));
        }
        assert_eq!(spill.due([6, i64::MIN]), vec![0, 1, 2]);
        assert_eq!(spill.due([5, i64::MIN]), Vec::<usize>::new());
        let live = |s: &Spill, slot: usize| s.slots[slot].as_ref().unwrap().live as usize;
        assert_eq!(spill.records(0).unwrap().records.len(), live(&spill, 0));
        let in_slot = |slot: usize| -> Vec<usize> {
            (0..locs.len())
                .filter(|&n| split(locs[n]).0 == slot)
                .collect()
        };
        for n in in_slot(0) {
            spill.release(locs[n], size(n)).unwrap();
        }
        assert!(
            spill.slots[0].is_none(),
            "an empty sealed segment is deleted"
        );
        let second = in_slot(1);
        for &n in &second[..second.len() * 9 / 10] {
            spill.release(locs[n], size(n)).unwrap();
        }
        // Not yet due: dead records do not take half the files and a segment besides.
        assert_eq!(spill.due([i64::MIN; 2]), Vec::<usize>::new());
        for n in in_slot(2) {
            spill.release(locs[n], size(n)).unwrap();
        }
        assert!(
            spill.slots[2].is_some(),
            "the active segment stays, empty or not"
        );
        assert_eq!(spill.due([i64::MIN; 2]), vec![1], "a sparse segment is due");
        assert!(spill.rescanned(1, [i64::MAX; 2]), "and worth compacting");
        assert!(!spill.rescanned(2, [i64::MAX; 2]), "the active one is not");
        spill.clear();
        assert_eq!(spill.disk_bytes(), 0);
    }
}
