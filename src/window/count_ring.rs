//! "The last N applications" as a ring of `panes` panes of `N / panes` applications each.

use std::collections::VecDeque;

use super::matrix::CountMatrix;

#[derive(Debug, Clone)]
pub struct CountRing {
    pane_size: u64,
    max_panes: usize,
    shape: Vec<usize>,
    /// Oldest first; each pane with the latest event time it holds (for the merge order).
    panes: VecDeque<(CountMatrix, i64)>,
}

impl CountRing {
    pub fn new(size: u64, panes: u64, shape: &[usize]) -> Self {
        Self {
            pane_size: (size / panes.max(1)).max(1),
            max_panes: panes.max(1) as usize,
            shape: shape.to_vec(),
            panes: VecDeque::new(),
        }
    }

    pub fn add(&mut self, event_ms: i64, bins: &[u16]) {
        let full = self
            .panes
            .back()
            .is_none_or(|(m, _)| m.applications() >= self.pane_size);
        if full {
            if self.panes.len() == self.max_panes {
                self.panes.pop_front();
            }
            self.panes
                .push_back((CountMatrix::new(&self.shape), event_ms));
        }
        let (m, last) = self.panes.back_mut().expect("pushed above");
        m.add(bins);
        *last = (*last).max(event_ms);
    }

    /// Panes, newest first, with their latest event times.
    pub fn panes_newest_first(&self) -> impl Iterator<Item = &(CountMatrix, i64)> {
        self.panes.iter().rev()
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
        let total: u64 = r.panes_newest_first().map(|(m, _)| m.applications()).sum();
        assert_eq!(total, 9, "4 full panes of 2 and the current one with 1");
        assert_eq!(r.panes_newest_first().next().unwrap().1, 36);
    }
}
