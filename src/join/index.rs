//! The join store's in-memory index: per partition, a 32-bit fingerprint of each stored id
//! beside the location of its newest record on disk (8 bytes a slot, plus hashbrown's
//! control byte). Fingerprints collide (one id in 4 billion is a false candidate per
//! lookup), so the index only names candidates: the store reads each candidate's record
//! and compares the id. Owns no I/O.

use hashbrown::HashTable;

/// One stored id: its fingerprint and where its record is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Slot {
    fp: u32,
    loc: u32,
}

/// The table's hash of a fingerprint (already uniform; spread over all 64 bits, since
/// hashbrown takes its control bits from the top).
fn spread(fp: u32) -> u64 {
    u64::from(fp).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

#[derive(Default)]
pub(crate) struct Index {
    table: HashTable<Slot>,
}

impl Index {
    /// The locations stored under fingerprint `fp`.
    pub(crate) fn candidates(&self, fp: u32) -> impl Iterator<Item = u32> + '_ {
        self.table
            .iter_hash(spread(fp))
            .filter(move |s| s.fp == fp)
            .map(|s| s.loc)
    }

    pub(crate) fn insert(&mut self, fp: u32, loc: u32) {
        self.table
            .insert_unique(spread(fp), Slot { fp, loc }, |s| spread(s.fp));
    }

    /// Whether the record at `loc` is the one an id of fingerprint `fp` points to.
    pub(crate) fn contains(&self, fp: u32, loc: u32) -> bool {
        self.table
            .find(spread(fp), |s| *s == Slot { fp, loc })
            .is_some()
    }

    /// Points the id at `from` to `to` (`None`: removes it). False if `from` is not stored.
    pub(crate) fn relocate(&mut self, fp: u32, from: u32, to: Option<u32>) -> bool {
        let here = |s: &Slot| *s == Slot { fp, loc: from };
        match to {
            // The hash is the fingerprint's alone: the slot changes in place.
            Some(loc) => self
                .table
                .find_mut(spread(fp), here)
                .map(|s| s.loc = loc)
                .is_some(),
            None => self
                .table
                .find_entry(spread(fp), here)
                .map(|e| e.remove())
                .is_ok(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.table.len()
    }

    /// Bytes the table takes (slots and control bytes).
    pub(crate) fn memory_bytes(&self) -> usize {
        self.table.capacity() * (std::mem::size_of::<Slot>() + 1)
    }

    pub(crate) fn clear(&mut self) {
        self.table = HashTable::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colliding_fingerprints_keep_every_location() {
        let mut ix = Index::default();
        ix.insert(7, 100);
        ix.insert(7, 200);
        ix.insert(8, 300);
        let mut c: Vec<u32> = ix.candidates(7).collect();
        c.sort();
        assert_eq!(c, vec![100, 200]);
        assert!(ix.relocate(7, 100, Some(150)));
        assert!(ix.contains(7, 150) && !ix.contains(7, 100));
        assert!(ix.relocate(7, 200, None));
        assert!(!ix.relocate(7, 200, None));
        assert_eq!(ix.candidates(7).collect::<Vec<_>>(), vec![150]);
        assert_eq!(ix.len(), 2);
    }
}
