//! The global table: the state topic read as a table (the last value of every key), on
//! every instance. Restores a partition's counting state from it and tells which stored
//! panes are stale. Pure: records go in as bytes; the reader thread feeds it.

use std::collections::BTreeMap;

use super::codec::{
    CodecError, DriftKey, DriftRecord, PaneKey, PaneRecord, PartitionId, StateKey, decode_drift,
    decode_offset, decode_pane,
};
use super::layout::StateLayout;
use crate::window::{CountMatrix, Pane, PartitionState};

#[derive(Debug, Default, Clone)]
pub struct GlobalTable {
    panes: BTreeMap<PaneKey, PaneRecord>,
    offsets: BTreeMap<PartitionId, i64>,
    drift: BTreeMap<DriftKey, DriftRecord>,
}

/// A partition's state rebuilt from the table.
#[derive(Debug)]
pub struct Restored {
    pub state: PartitionState,
    /// Where to resume reading the input; `None` if the table has no checkpoint for it.
    pub next_offset: Option<i64>,
    /// Stored panes of the partition that no window of this configuration uses (another
    /// definition, baseline or shape): the new owner deletes them.
    pub stale: Vec<PaneKey>,
    pub panes: usize,
}

/// The table holds part of a transaction that is still being applied: a pane newer than
/// the partition's offset record. Ask again shortly.
#[derive(Debug, PartialEq)]
pub struct Incomplete;

impl GlobalTable {
    /// Applies one record of the state topic (`None`: a tombstone).
    pub fn apply(&mut self, key: &[u8], value: Option<&[u8]>) -> Result<(), CodecError> {
        match (StateKey::decode(key)?, value) {
            (StateKey::Pane(k), Some(v)) => {
                self.panes.insert(k, decode_pane(v)?);
            }
            (StateKey::Pane(k), None) => {
                self.panes.remove(&k);
            }
            (StateKey::Offset(p), Some(v)) => {
                self.offsets.insert(p, decode_offset(v)?);
            }
            (StateKey::Offset(p), None) => {
                self.offsets.remove(&p);
            }
            (StateKey::Drift(k), Some(v)) => {
                self.drift.insert(k, decode_drift(v)?);
            }
            (StateKey::Drift(k), None) => {
                self.drift.remove(&k);
            }
        }
        Ok(())
    }

    pub fn pane_count(&self) -> usize {
        self.panes.len()
    }

    pub fn offset(&self, part: &PartitionId) -> Option<i64> {
        self.offsets.get(part).copied()
    }

    pub fn drift_states(&self) -> &BTreeMap<DriftKey, DriftRecord> {
        &self.drift
    }

    /// The stored panes of `(model, window)` over all partitions that match the layout's
    /// fingerprints, as panes of the model's shape.
    pub fn window_panes<'a>(
        &'a self,
        layout: &'a StateLayout,
        model: usize,
        window: usize,
    ) -> Vec<(&'a PaneKey, Pane)> {
        self.window_records(layout, model, window)
            .filter_map(|(k, r)| to_pane(r, &layout.sets[model].shape).map(|p| (k, p)))
            .collect()
    }

    /// The same with each pane's checkpoint: the partition's next offset when the pane
    /// was last written (its counts come from the offsets below it).
    pub fn window_panes_as_of<'a>(
        &'a self,
        layout: &'a StateLayout,
        model: usize,
        window: usize,
    ) -> Vec<(&'a PaneKey, Pane, i64)> {
        self.window_records(layout, model, window)
            .filter_map(|(k, r)| to_pane(r, &layout.sets[model].shape).map(|p| (k, p, r.as_of)))
            .collect()
    }

    fn window_records<'a>(
        &'a self,
        layout: &'a StateLayout,
        model: usize,
        window: usize,
    ) -> impl Iterator<Item = (&'a PaneKey, &'a PaneRecord)> + 'a {
        let (m, w) = (&layout.sets[model], &layout.windows[window]);
        let start = PaneKey {
            set: m.id.clone(),
            window: w.name.clone(),
            part: PartitionId {
                topic: String::new(),
                partition: i32::MIN,
            },
            pane: i64::MIN,
        };
        self.panes
            .range(start..)
            .take_while(move |(k, _)| k.set == m.id && k.window == w.name)
            .filter(move |(k, r)| {
                r.model_fingerprint == m.fingerprint
                    && r.window_fingerprint == w.fingerprint
                    && layout.input_topics.contains(&k.part.topic)
            })
    }

    /// Rebuilds `part`'s state as of its last checkpoint in the table.
    pub fn restore(
        &self,
        part: &PartitionId,
        layout: &StateLayout,
    ) -> Result<Restored, Incomplete> {
        let next_offset = self.offset(part);
        let mut by_ring: BTreeMap<(usize, usize), Vec<(i64, Pane)>> = BTreeMap::new();
        let mut stale = Vec::new();
        let mut panes = 0;
        for (k, r) in self.panes.iter().filter(|(k, _)| &k.part == part) {
            if next_offset.is_none_or(|o| r.as_of > o) {
                return Err(Incomplete);
            }
            let slot = layout.set_index(&k.set).zip(layout.window_index(&k.window));
            let fits = slot.and_then(|(m, w)| {
                let (ml, wl) = (&layout.sets[m], &layout.windows[w]);
                (r.model_fingerprint == ml.fingerprint && r.window_fingerprint == wl.fingerprint)
                    .then(|| to_pane(r, &ml.shape))
                    .flatten()
                    .map(|p| ((m, w), p))
            });
            match fits {
                Some((slot, pane)) => {
                    by_ring.entry(slot).or_default().push((k.pane, pane));
                    panes += 1;
                }
                None => stale.push(k.clone()),
            }
        }
        let applies = |m, w| layout.applies(m, w);
        let state = PartitionState::restore(&layout.shapes(), &layout.specs(), applies, |m, w| {
            by_ring.remove(&(m, w)).unwrap_or_default()
        });
        Ok(Restored {
            state,
            next_offset,
            stale,
            panes,
        })
    }
}

fn to_pane(r: &PaneRecord, shape: &[usize]) -> Option<Pane> {
    Some(Pane {
        counts: CountMatrix::from_flat(shape, r.counts.clone(), r.applications)?,
        min_ms: r.min_ms,
        max_ms: r.max_ms,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::state::codec::{encode_offset, encode_pane};
    use crate::state::layout::{SetLayout, WindowLayout};
    use crate::state::series::SetId;
    use crate::window::WindowSpec;

    pub(crate) fn layout() -> StateLayout {
        StateLayout {
            sets: vec![SetLayout::new(SetId::drift("m"), "b1", &[("f".into(), 2)])],
            windows: vec![
                WindowLayout::new(
                    "t",
                    WindowSpec::Time {
                        length_ms: 40,
                        slide_ms: 10,
                        lateness_ms: 0,
                    },
                ),
                WindowLayout::new("c", WindowSpec::Count { size: 4, panes: 2 }),
            ],
            idle_timeout_ms: 1000,
            input_topics: vec!["in".into()],
        }
    }

    /// Writes `state`'s changes into `table` as the checkpoint at `next_offset`.
    pub(crate) fn checkpoint(
        table: &mut GlobalTable,
        layout: &StateLayout,
        part: &PartitionId,
        state: &mut PartitionState,
        next_offset: i64,
    ) {
        let mut buf = Vec::new();
        let mut records = Vec::new();
        state.drain_changes(|m, w, id, pane| {
            let key = layout.pane_key(part, m, w, id);
            let value = pane.map(|p| {
                encode_pane(&layout.pane_record(m, w, next_offset, p), &mut buf);
                buf.clone()
            });
            records.push((key.encode(), value));
        });
        for (k, v) in records {
            table.apply(k.as_bytes(), v.as_deref()).unwrap();
        }
        let k = StateKey::Offset(part.clone()).encode();
        table
            .apply(k.as_bytes(), Some(&encode_offset(next_offset)))
            .unwrap();
    }

    #[test]
    fn restore_continues_exactly_as_the_uninterrupted_state() {
        let layout = layout();
        let part = PartitionId {
            topic: "in".into(),
            partition: 0,
        };
        let mut table = GlobalTable::default();
        let mut live = PartitionState::new(&layout.shapes(), &layout.specs());
        let mut late = [false; 2];
        for t in 0..50i64 {
            live.add(0, t * 3, &[(t % 2) as u16], &mut late);
            if t % 7 == 0 {
                checkpoint(&mut table, &layout, &part, &mut live, t + 1);
            }
        }
        checkpoint(&mut table, &layout, &part, &mut live, 50);
        let mut restored = table.restore(&part, &layout).unwrap();
        assert_eq!(restored.next_offset, Some(50));
        assert!(restored.stale.is_empty());
        for t in 50..90i64 {
            let a = live.add(0, t * 3, &[(t % 2) as u16], &mut late);
            let b = restored.state.add(0, t * 3, &[(t % 2) as u16], &mut late);
            assert_eq!(a, b);
        }
        let owned = |s: &PartitionState| {
            s.panes()
                .into_iter()
                .map(|(m, w, id, p)| (m, w, id, p.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(owned(&live), owned(&restored.state));
    }

    proptest::proptest! {
        /// Checkpoint at random points, "crash" at a random point (work after the last
        /// checkpoint is lost), restore, re-process from the checkpoint's offset: the state
        /// ends exactly as an uninterrupted run's, late events included.
        #[test]
        fn crash_restore_and_replay_equal_the_uninterrupted_run(
            events in proptest::collection::vec((0i64..400, 0u16..2), 1..300),
            checkpoints in proptest::collection::vec(proptest::prelude::any::<bool>(), 300),
            crash_at in 0usize..300,
        ) {
            let layout = layout();
            let part = PartitionId { topic: "in".into(), partition: 0 };
            let run = |s: &mut PartitionState, from: usize, to: usize, table: Option<&mut GlobalTable>| {
                let mut table = table;
                let mut outcomes = Vec::new();
                for (i, (t, bin)) in events.iter().enumerate().take(to).skip(from) {
                    outcomes.push(s.add(0, *t, &[*bin], &mut [false; 2]));
                    if checkpoints[i] && let Some(t) = table.as_deref_mut() {
                        checkpoint(t, &layout, &part, s, i as i64 + 1);
                    }
                }
                outcomes
            };
            let mut uninterrupted = PartitionState::new(&layout.shapes(), &layout.specs());
            let expected = run(&mut uninterrupted, 0, events.len(), None);

            let crash_at = crash_at.min(events.len());
            let mut table = GlobalTable::default();
            let mut first = PartitionState::new(&layout.shapes(), &layout.specs());
            let _ = run(&mut first, 0, crash_at, Some(&mut table));
            let mut restored = table.restore(&part, &layout).unwrap();
            let resume = restored.next_offset.unwrap_or(0) as usize;
            let replayed = run(&mut restored.state, resume, events.len(), None);
            proptest::prop_assert_eq!(&replayed[..], &expected[resume..]);
            let owned = |s: &PartitionState| {
                s.panes().into_iter().map(|(m, w, id, p)| (m, w, id, p.clone())).collect::<Vec<_>>()
            };
            proptest::prop_assert_eq!(owned(&restored.state), owned(&uninterrupted));
        }
    }

    #[test]
    fn a_pane_ahead_of_the_offset_record_is_incomplete_and_stale_panes_are_listed() {
        let layout = layout();
        let part = PartitionId {
            topic: "in".into(),
            partition: 3,
        };
        let mut table = GlobalTable::default();
        let mut s = PartitionState::new(&layout.shapes(), &layout.specs());
        s.add(0, 5, &[1], &mut [false; 2]);
        checkpoint(&mut table, &layout, &part, &mut s, 1);
        // Half of the next checkpoint: a pane, not yet the offset.
        s.add(0, 6, &[1], &mut [false; 2]);
        let mut half = GlobalTable::default();
        checkpoint(&mut half, &layout, &part, &mut s, 2);
        let key = StateKey::Pane(PaneKey {
            set: SetId::drift("m"),
            window: "t".into(),
            part: part.clone(),
            pane: 0,
        })
        .encode();
        let mut buf = Vec::new();
        let rec = half.panes.values().next().unwrap().clone();
        encode_pane(&rec, &mut buf);
        table.apply(key.as_bytes(), Some(&buf)).unwrap();
        assert_eq!(table.restore(&part, &layout).err(), Some(Incomplete));

        // Another window definition: its panes are stale, the rest restores.
        let mut changed = layout.clone();
        changed.windows[0] = WindowLayout::new(
            "t",
            WindowSpec::Time {
                length_ms: 80,
                slide_ms: 10,
                lateness_ms: 0,
            },
        );
        let r = half.restore(&part, &changed).unwrap();
        assert_eq!(r.stale.len(), 1);
        assert_eq!(r.stale[0].window, "t");
        assert_eq!(r.panes, 1);
    }
}
