//! "The last N applications" as a ring of `panes` panes of `N / panes` applications each.
//! Panes carry a sequence number: the id under which they are checkpointed.

use std::collections::VecDeque;

use super::pane::{Changes, Pane};

#[derive(Debug, Clone)]
pub struct CountRing {
    pane_size: u64,
    max_panes: usize,
    shape: Vec<usize>,
    /// Oldest first, with their sequence numbers.
    panes: VecDeque<(i64, Pane)>,
    next_seq: i64,
    changes: Changes,
}

impl CountRing {
    pub fn new(size: u64, panes: u64, shape: &[usize]) -> Self {
        Self {
            pane_size: (size / panes.max(1)).max(1),
            max_panes: panes.max(1) as usize,
            shape: shape.to_vec(),
            panes: VecDeque::new(),
            next_seq: 0,
            changes: Changes::default(),
        }
    }

    /// A ring holding `panes` (restored from a checkpoint), oldest dropped beyond the ring.
    pub fn restore(size: u64, panes: u64, shape: &[usize], mut restored: Vec<(i64, Pane)>) -> Self {
        let mut r = Self::new(size, panes, shape);
        restored.sort_by_key(|(seq, _)| *seq);
        r.next_seq = restored.last().map_or(0, |(seq, _)| seq + 1);
        r.panes = restored.into();
        while r.panes.len() > r.max_panes {
            if let Some((seq, _)) = r.panes.pop_front() {
                r.changes.drop_pane(seq);
            }
        }
        r
    }

    pub fn add(&mut self, event_ms: i64, bins: &[u16]) {
        let full = self
            .panes
            .back()
            .is_none_or(|(_, p)| p.counts.applications() >= self.pane_size);
        if full {
            if self.panes.len() == self.max_panes
                && let Some((seq, _)) = self.panes.pop_front()
            {
                self.changes.drop_pane(seq);
            }
            self.panes
                .push_back((self.next_seq, Pane::new(&self.shape)));
            self.next_seq += 1;
        }
        let (seq, pane) = self.panes.back_mut().expect("pushed above");
        pane.add(event_ms, bins);
        self.changes.touch(*seq);
    }

    pub fn pane(&self, seq: i64) -> Option<&Pane> {
        self.panes.iter().find(|(s, _)| *s == seq).map(|(_, p)| p)
    }

    pub fn panes(&self) -> impl Iterator<Item = (i64, &Pane)> {
        self.panes.iter().map(|(s, p)| (*s, p))
    }

    /// The panes written and dropped since the last call.
    pub fn take_changes(&mut self) -> Changes {
        std::mem::take(&mut self.changes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_n() {
        let mut r = CountRing::new(10, 5, &[1]);
        for i in 0..37 {
            r.add(i, &[0]);
        }
        let total: u64 = r.panes().map(|(_, p)| p.counts.applications()).sum();
        assert_eq!(total, 9, "4 full panes of 2 and the current one with 1");
        let newest = r.panes().last().unwrap().1;
        assert_eq!((newest.min_ms, newest.max_ms), (36, 36));
        let ch = r.take_changes();
        assert_eq!(ch.changed.len(), 5);
        assert_eq!(ch.dropped.len(), 14);
    }

    #[test]
    fn restored_ring_continues_as_the_original() {
        let mut a = CountRing::new(10, 5, &[1]);
        for i in 0..23 {
            a.add(i, &[0]);
        }
        let saved: Vec<(i64, Pane)> = a.panes().map(|(s, p)| (s, p.clone())).collect();
        let mut b = CountRing::restore(10, 5, &[1], saved);
        for i in 23..40 {
            a.add(i, &[0]);
            b.add(i, &[0]);
        }
        let pa: Vec<_> = a.panes().map(|(s, p)| (s, p.clone())).collect();
        let pb: Vec<_> = b.panes().map(|(s, p)| (s, p.clone())).collect();
        assert_eq!(pa, pb);
    }
}
