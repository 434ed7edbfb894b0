//! The counting state of one input partition: for every model and window, its ring. The
//! unit a later stage checkpoints and moves between instances with the partition's offsets.

use super::count_ring::CountRing;
use super::matrix::CountMatrix;
use super::time_ring::TimeRing;

/// A window as configured, in milliseconds.
#[derive(Debug, Clone, PartialEq)]
pub enum WindowSpec {
    Time {
        length_ms: i64,
        slide_ms: i64,
        lateness_ms: i64,
    },
    Count {
        size: u64,
        panes: u64,
    },
}

#[derive(Debug, Clone)]
enum Ring {
    Time(TimeRing),
    Count(CountRing),
}

/// Where an event went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted {
    /// Binned in at least one window.
    Counted,
    /// Too old for every window: counted as late, not binned.
    Late,
}

#[derive(Debug, Clone)]
pub struct PartitionState {
    /// `rings[model][window]`.
    rings: Vec<Vec<Ring>>,
}

impl PartitionState {
    /// `shapes[model]` lists the bin count of each monitored feature of that model.
    pub fn new(shapes: &[Vec<usize>], windows: &[WindowSpec]) -> Self {
        let rings = shapes
            .iter()
            .map(|shape| {
                windows
                    .iter()
                    .map(|w| match *w {
                        WindowSpec::Time {
                            length_ms,
                            slide_ms,
                            lateness_ms,
                        } => Ring::Time(TimeRing::new(length_ms, slide_ms, lateness_ms, shape)),
                        WindowSpec::Count { size, panes } => {
                            Ring::Count(CountRing::new(size, panes, shape))
                        }
                    })
                    .collect()
            })
            .collect();
        Self { rings }
    }

    /// Counts one decoded event into every window of its model; `late_windows` gets, per
    /// window, whether the event was late there.
    pub fn add(
        &mut self,
        model: usize,
        event_ms: i64,
        bins: &[u16],
        late_in: &mut [bool],
    ) -> Counted {
        let mut any = false;
        for (w, ring) in self.rings[model].iter_mut().enumerate() {
            let ok = match ring {
                Ring::Time(r) => r.add(event_ms, bins),
                Ring::Count(r) => {
                    r.add(event_ms, bins);
                    true
                }
            };
            late_in[w] = !ok;
            any |= ok;
        }
        if any { Counted::Counted } else { Counted::Late }
    }

    pub fn time_head(&self, model: usize, window: usize) -> Option<i64> {
        match &self.rings[model][window] {
            Ring::Time(r) => r.head(),
            Ring::Count(_) => None,
        }
    }
}

/// The merged counts of one model's window over all partitions.
#[derive(Debug, Clone)]
pub struct MergedWindow {
    pub counts: CountMatrix,
    /// Event-time bounds (epoch ms; end exclusive), when known.
    pub bounds: Option<(i64, i64)>,
}

/// Merges window `window` of `model` across `parts`. Time windows: the panes of the window
/// ending at the newest head of any partition. Count windows: the newest panes of all
/// partitions (by their latest event time) until they hold `size` applications.
pub fn merge_window(
    parts: &[&PartitionState],
    model: usize,
    window: usize,
    spec: &WindowSpec,
    shape: &[usize],
) -> MergedWindow {
    let mut counts = CountMatrix::new(shape);
    match spec {
        WindowSpec::Time { .. } => {
            let head = parts
                .iter()
                .filter_map(|p| p.time_head(model, window))
                .max();
            let mut bounds = None;
            if let Some(head) = head {
                for p in parts {
                    if let Ring::Time(r) = &p.rings[model][window] {
                        r.sum_window(head, &mut counts);
                        bounds = Some(r.bounds(head));
                    }
                }
            }
            MergedWindow { counts, bounds }
        }
        WindowSpec::Count { size, .. } => {
            let mut panes: Vec<&(CountMatrix, i64)> = parts
                .iter()
                .flat_map(|p| match &p.rings[model][window] {
                    Ring::Count(r) => r.panes_newest_first().collect::<Vec<_>>(),
                    Ring::Time(_) => Vec::new(),
                })
                .collect();
            panes.sort_by_key(|p| std::cmp::Reverse(p.1));
            let (mut first, mut last) = (i64::MAX, i64::MIN);
            for (m, t) in panes {
                if counts.applications() >= *size {
                    break;
                }
                counts.merge(m);
                first = first.min(*t);
                last = last.max(*t);
            }
            MergedWindow {
                counts,
                bounds: (last >= first).then_some((first, last + 1)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_over_partitions_equals_counting_all_events_in_the_window() {
        let spec = WindowSpec::Time {
            length_ms: 100,
            slide_ms: 10,
            lateness_ms: 0,
        };
        let shape = vec![vec![3]];
        let mut a = PartitionState::new(&shape, std::slice::from_ref(&spec));
        let mut b = PartitionState::new(&shape, std::slice::from_ref(&spec));
        let mut late = [false];
        let mut expected = [0u64; 3];
        for t in 0..300i64 {
            let bin = (t % 3) as u16;
            let part = if t % 2 == 0 { &mut a } else { &mut b };
            part.add(0, t, &[bin], &mut late);
            if t >= 200 {
                expected[bin as usize] += 1;
            }
        }
        let merged = merge_window(&[&a, &b], 0, 0, &spec, &[3]);
        assert_eq!(merged.counts.feature(0), &expected);
        assert_eq!(merged.bounds, Some((200, 300)));
    }
}
