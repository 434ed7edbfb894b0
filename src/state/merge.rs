//! Windows over all partitions, from the global table: what every replica evaluates, so
//! that all of them report the same numbers. Pure.
//!
//! Time windows: each partition's watermark is its newest event time; partitions more than
//! `idle_timeout` behind the newest are idle and ignored; the window ends at the lowest
//! watermark of the others (less `allowed_lateness`) and holds every pane from `length`
//! before that on, including panes ahead of it, so every counted event is visible.
//! Count windows: the newest panes of all partitions (by their newest event time) until
//! they hold `size` applications. Bounds are the event times the chosen panes really hold.

use std::collections::BTreeMap;

use super::codec::PartitionId;
use super::layout::StateLayout;
use super::table::GlobalTable;
use crate::window::{CountMatrix, Pane, TimeRing, WindowSpec};

/// The counts of one model's window over all partitions.
#[derive(Debug, Clone)]
pub struct MergedWindow {
    pub counts: CountMatrix,
    /// The oldest event time counted and the newest + 1 ms (epoch ms; half-open), when any.
    pub bounds: Option<(i64, i64)>,
    /// Input partitions that contributed panes.
    pub partitions: usize,
}

impl MergedWindow {
    /// No counts (a window that does not apply to the model).
    pub fn empty(shape: &[usize]) -> Self {
        Self {
            counts: CountMatrix::new(shape),
            bounds: None,
            partitions: 0,
        }
    }
}

pub fn merge_window(
    table: &GlobalTable,
    layout: &StateLayout,
    model: usize,
    window: usize,
) -> MergedWindow {
    let shape = &layout.sets[model].shape;
    let panes = table.window_panes(layout, model, window);
    let chosen: Vec<(&PartitionId, &Pane)> = match layout.windows[window].spec {
        WindowSpec::Time {
            length_ms,
            slide_ms,
            lateness_ms,
        } => {
            let mut watermarks: BTreeMap<&PartitionId, i64> = BTreeMap::new();
            for (k, p) in panes.iter().filter(|(_, p)| p.counts.applications() > 0) {
                let w = watermarks.entry(&k.part).or_insert(i64::MIN);
                *w = (*w).max(p.max_ms);
            }
            let newest = watermarks.values().copied().max();
            let low = newest.and_then(|n| {
                watermarks
                    .values()
                    .copied()
                    .filter(|w| *w >= n.saturating_sub(layout.idle_timeout_ms))
                    .min()
            });
            match low {
                None => Vec::new(),
                Some(low) => {
                    let head = TimeRing::pane_of(slide_ms, low - lateness_ms);
                    let oldest = head - (length_ms / slide_ms).max(1) + 1;
                    panes
                        .iter()
                        .filter(|(k, _)| k.pane >= oldest)
                        .map(|(k, p)| (&k.part, p))
                        .collect()
                }
            }
        }
        WindowSpec::Count { size, .. } => {
            let mut sorted: Vec<_> = panes.iter().collect();
            // Newest first; ties in a fixed order so that every replica picks the same.
            sorted.sort_by(|(ka, a), (kb, b)| b.max_ms.cmp(&a.max_ms).then_with(|| ka.cmp(kb)));
            let mut held = 0;
            let mut out = Vec::new();
            for (k, p) in sorted {
                if held >= size {
                    break;
                }
                held += p.counts.applications();
                out.push((&k.part, p));
            }
            out
        }
    };
    let mut counts = CountMatrix::new(shape);
    let (mut first, mut last) = (i64::MAX, i64::MIN);
    let mut parts: Vec<&PartitionId> = Vec::new();
    for (part, p) in chosen {
        if p.counts.applications() == 0 {
            continue;
        }
        counts.merge(&p.counts);
        first = first.min(p.min_ms);
        last = last.max(p.max_ms);
        parts.push(part);
    }
    parts.sort();
    parts.dedup();
    MergedWindow {
        counts,
        bounds: (last >= first).then(|| (first, last.saturating_add(1))),
        partitions: parts.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::layout::{SetLayout, WindowLayout};
    use crate::state::series::SetId;
    use crate::state::table::tests::checkpoint;
    use crate::window::PartitionState;

    fn layout(lateness_ms: i64) -> StateLayout {
        StateLayout {
            sets: vec![SetLayout::new(SetId::drift("m"), "b", &[("f".into(), 3)])],
            windows: vec![
                WindowLayout::new(
                    "t",
                    WindowSpec::Time {
                        length_ms: 100,
                        slide_ms: 10,
                        lateness_ms,
                    },
                ),
                WindowLayout::new("c", WindowSpec::Count { size: 60, panes: 6 }),
            ],
            idle_timeout_ms: 1_000,
            input_topics: vec!["in".into()],
        }
    }

    fn part(p: i32) -> PartitionId {
        PartitionId {
            topic: "in".into(),
            partition: p,
        }
    }

    #[test]
    fn merge_over_partitions_equals_counting_all_events_in_the_window() {
        let layout = layout(0);
        let mut table = GlobalTable::default();
        let mut a = PartitionState::new(&layout.shapes(), &layout.specs());
        let mut b = PartitionState::new(&layout.shapes(), &layout.specs());
        let mut late = [false; 2];
        let mut expected = [0u64; 3];
        for t in 0..300i64 {
            let bin = (t % 3) as u16;
            let s = if t % 2 == 0 { &mut a } else { &mut b };
            s.add(0, t, &[bin], &mut late);
            if t >= 200 {
                expected[bin as usize] += 1;
            }
        }
        checkpoint(&mut table, &layout, &part(0), &mut a, 150);
        checkpoint(&mut table, &layout, &part(1), &mut b, 150);
        let merged = merge_window(&table, &layout, 0, 0);
        assert_eq!(merged.counts.feature(0), &expected);
        assert_eq!(merged.bounds, Some((200, 300)));
        assert_eq!(merged.partitions, 2);

        let count = merge_window(&table, &layout, 0, 1);
        assert_eq!(count.counts.applications(), 60);
        assert_eq!(
            count.bounds,
            Some((240, 300)),
            "the oldest event, not the pane's newest"
        );

        // A topic no longer configured as input does not count.
        let mut other = layout.clone();
        other.input_topics = vec!["another".into()];
        assert_eq!(merge_window(&table, &other, 0, 0).counts.applications(), 0);
    }

    #[test]
    fn events_inside_the_lateness_are_visible_and_an_idle_partition_holds_nothing_back() {
        let layout = layout(25);
        let mut table = GlobalTable::default();
        let mut a = PartitionState::new(&layout.shapes(), &layout.specs());
        let mut idle = PartitionState::new(&layout.shapes(), &layout.specs());
        let mut late = [false; 2];
        idle.add(0, 5, &[0], &mut late);
        for t in 5_000..5_300i64 {
            a.add(0, t, &[1], &mut late);
        }
        checkpoint(&mut table, &layout, &part(0), &mut a, 300);
        checkpoint(&mut table, &layout, &part(1), &mut idle, 1);
        let merged = merge_window(&table, &layout, 0, 0);
        // Watermark 5299 - 25 = 5274: head pane 527, panes 518..; 5180..5299 counted.
        assert_eq!(merged.counts.feature(0), &[0, 120, 0]);
        assert_eq!(merged.bounds, Some((5_180, 5_300)));
    }
}
