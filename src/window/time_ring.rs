//! A sliding time window as a ring of panes of `slide` each, `length / slide` of them.
//!
//! Panes are keyed by `floor(event_time / slide)`. The window's newest pane (the head)
//! follows the watermark, the latest event time seen minus `allowed_lateness`: events up to
//! that much behind the newest one still land in their pane. An event whose pane is older
//! than the oldest pane of the window is late: counted as such, not binned.

use std::collections::BTreeMap;

use super::matrix::CountMatrix;

#[derive(Debug, Clone)]
pub struct TimeRing {
    slide_ms: i64,
    panes_in_window: i64,
    lateness_ms: i64,
    shape: Vec<usize>,
    panes: BTreeMap<i64, CountMatrix>,
    max_event_ms: Option<i64>,
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
        }
    }

    fn pane_of(&self, ms: i64) -> i64 {
        ms.div_euclid(self.slide_ms)
    }

    /// The newest pane of the window, from the watermark.
    pub fn head(&self) -> Option<i64> {
        self.max_event_ms
            .map(|m| self.pane_of(m - self.lateness_ms))
    }

    /// Counts an event at `event_ms`; `false` if it is late.
    pub fn add(&mut self, event_ms: i64, bins: &[u16]) -> bool {
        let pane = self.pane_of(event_ms);
        if self.max_event_ms.is_none_or(|m| event_ms > m) {
            self.max_event_ms = Some(event_ms);
            let oldest = self.head().expect("set above") - self.panes_in_window + 1;
            // Panes that fell out of the window are dropped: memory stays bounded.
            self.panes = self.panes.split_off(&oldest);
        }
        let oldest = self.head().expect("an event was seen") - self.panes_in_window + 1;
        if pane < oldest {
            return false;
        }
        let shape = &self.shape;
        self.panes
            .entry(pane)
            .or_insert_with(|| CountMatrix::new(shape))
            .add(bins);
        true
    }

    /// Adds the panes `[head - n + 1, head]` of this ring into `into`.
    pub fn sum_window(&self, head: i64, into: &mut CountMatrix) {
        for (_, m) in self.panes.range(head - self.panes_in_window + 1..=head) {
            into.merge(m);
        }
    }

    /// Start and end (epoch ms, end exclusive) of the window whose newest pane is `head`.
    pub fn bounds(&self, head: i64) -> (i64, i64) {
        (
            (head - self.panes_in_window + 1) * self.slide_ms,
            (head + 1) * self.slide_ms,
        )
    }

    pub fn pane_count(&self) -> usize {
        self.panes.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let mut m = CountMatrix::new(&[2]);
        r.sum_window(5, &mut m);
        assert_eq!(m.feature(0), &[1, 1]);
        assert_eq!(r.bounds(5), (20, 60));
        assert!(r.pane_count() <= 4);
    }

    #[test]
    fn lateness_holds_the_head_back() {
        let mut r = TimeRing::new(20, 10, 15, &[1]);
        r.add(100, &[0]);
        assert_eq!(r.head(), Some(8)); // watermark 85
        assert!(r.add(75, &[0]), "within the lateness");
        assert!(!r.add(65, &[0]));
    }
}
