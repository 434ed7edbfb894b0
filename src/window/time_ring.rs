//! A sliding time window as a ring of panes of `slide` each, `length / slide` of them.
//!
//! Panes are keyed by `floor(event_time / slide)`. The window's head pane follows the
//! watermark, the latest event time seen minus `allowed_lateness`: events up to that much
//! behind the newest one still land in their pane. An event whose pane is older than the
//! oldest pane of the window is late: counted as such, not binned. Panes newer than the
//! head (inside the lateness) are kept and are part of the window too.

use std::collections::BTreeMap;

use super::pane::{Changes, Pane};

#[derive(Debug, Clone)]
pub struct TimeRing {
    slide_ms: i64,
    panes_in_window: i64,
    lateness_ms: i64,
    shape: Vec<usize>,
    panes: BTreeMap<i64, Pane>,
    max_event_ms: Option<i64>,
    changes: Changes,
}

impl TimeRing {
    pub fn new(length_ms: i64, slide_ms: i64, lateness_ms: i64, shape: &[usize]) -> Self {
        Self {
            slide_ms,
            panes_in_window: (length_ms / slide_ms).max(1),
            lateness_ms,
            shape: shape.to_vec(),
            panes: BTreeMap::new(),
            max_event_ms: None,
            changes: Changes::default(),
        }
    }

    /// A ring holding `panes` (restored from a checkpoint): the watermark is the newest
    /// event time they hold; panes already outside the window are dropped (and reported as
    /// such by the next [`TimeRing::take_changes`]).
    pub fn restore(
        length_ms: i64,
        slide_ms: i64,
        lateness_ms: i64,
        shape: &[usize],
        panes: Vec<(i64, Pane)>,
    ) -> Self {
        let mut r = Self::new(length_ms, slide_ms, lateness_ms, shape);
        for (id, pane) in panes {
            if pane.counts.applications() > 0 {
                r.max_event_ms = r.max_event_ms.max(Some(pane.max_ms));
            }
            r.panes.insert(id, pane);
        }
        if let Some(oldest) = r.oldest_pane() {
            r.drop_before(oldest);
        }
        r
    }

    pub fn pane_of(slide_ms: i64, ms: i64) -> i64 {
        ms.div_euclid(slide_ms)
    }

    /// The head pane of the window, from the watermark.
    pub fn head(&self) -> Option<i64> {
        self.max_event_ms
            .map(|m| Self::pane_of(self.slide_ms, m - self.lateness_ms))
    }

    fn oldest_pane(&self) -> Option<i64> {
        self.head().map(|h| h - self.panes_in_window + 1)
    }

    fn drop_before(&mut self, oldest: i64) {
        let kept = self.panes.split_off(&oldest);
        for id in std::mem::replace(&mut self.panes, kept).into_keys() {
            self.changes.drop_pane(id);
        }
    }

    /// Counts an event at `event_ms`; `false` if it is late.
    pub fn add(&mut self, event_ms: i64, bins: &[u16]) -> bool {
        if self.max_event_ms.is_none_or(|m| event_ms > m) {
            self.max_event_ms = Some(event_ms);
            if let Some(oldest) = self.oldest_pane()
                && self
                    .panes
                    .first_key_value()
                    .is_some_and(|(k, _)| *k < oldest)
            {
                // Panes that fell out of the window are dropped: memory stays bounded.
                self.drop_before(oldest);
            }
        }
        let pane = Self::pane_of(self.slide_ms, event_ms);
        if self.oldest_pane().is_some_and(|oldest| pane < oldest) {
            return false;
        }
        let shape = &self.shape;
        self.panes
            .entry(pane)
            .or_insert_with(|| Pane::new(shape))
            .add(event_ms, bins);
        self.changes.touch(pane);
        true
    }

    pub fn pane(&self, id: i64) -> Option<&Pane> {
        self.panes.get(&id)
    }

    pub fn panes(&self) -> impl Iterator<Item = (i64, &Pane)> {
        self.panes.iter().map(|(k, p)| (*k, p))
    }

    /// The panes written and dropped since the last call.
    pub fn take_changes(&mut self) -> Changes {
        std::mem::take(&mut self.changes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn total(r: &TimeRing) -> u64 {
        r.panes().map(|(_, p)| p.counts.applications()).sum()
    }

    #[test]
    fn window_slides_and_late_events_are_refused() {
        // 4 panes of 10 ms, no lateness.
        let mut r = TimeRing::new(40, 10, 0, &[2]);
        assert!(r.add(5, &[0]));
        assert!(r.add(15, &[1]));
        assert!(r.add(39, &[1]));
        assert_eq!(r.head(), Some(3));
        assert!(r.add(55, &[0])); // head 5: window panes 2..=5
        assert!(!r.add(15, &[0]), "pane 1 is out of the window");
        assert_eq!(total(&r), 2);
        let ch = r.take_changes();
        assert_eq!(ch.changed.iter().copied().collect::<Vec<_>>(), vec![3, 5]);
        assert_eq!(ch.dropped.iter().copied().collect::<Vec<_>>(), vec![0, 1]);
        assert!(r.take_changes().is_empty());
    }

    #[test]
    fn lateness_holds_the_head_back_and_newer_panes_are_kept() {
        let mut r = TimeRing::new(20, 10, 15, &[1]);
        r.add(100, &[0]);
        assert_eq!(r.head(), Some(8)); // watermark 85
        assert!(r.add(75, &[0]), "within the lateness");
        assert!(!r.add(65, &[0]));
        assert_eq!(
            total(&r),
            2,
            "pane 10, ahead of the head, is part of the ring"
        );
    }

    #[test]
    fn restore_rebuilds_the_watermark_and_drops_stale_panes() {
        let mut r = TimeRing::new(40, 10, 0, &[2]);
        for t in [5, 15, 25, 35, 45] {
            r.add(t, &[1]);
        }
        let panes: Vec<(i64, Pane)> = [0i64, 1, 2, 3, 4]
            .iter()
            .map(|&id| {
                let mut p = Pane::new(&[2]);
                p.add(id * 10 + 5, &[1]);
                (id, p)
            })
            .collect();
        let mut restored = TimeRing::restore(40, 10, 0, &[2], panes);
        assert_eq!(restored.head(), r.head());
        assert_eq!(total(&restored), total(&r));
        assert_eq!(
            restored
                .take_changes()
                .dropped
                .into_iter()
                .collect::<Vec<_>>(),
            vec![0]
        );
        assert!(!restored.add(5, &[0]), "late after restore as before");
    }
}
