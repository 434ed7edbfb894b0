//! The counting state of one input partition: for every model and window, its ring. The
//! unit that is checkpointed to the state topic and moves between instances with the
//! partition's offsets.

use super::count_ring::CountRing;
use super::pane::{Changes, Pane};
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

impl WindowSpec {
    /// Text that changes whenever the definition does (the state topic's check that a
    /// restored pane belongs to the same window).
    pub fn canonical(&self) -> String {
        match self {
            WindowSpec::Time {
                length_ms,
                slide_ms,
                lateness_ms,
            } => format!("time:{length_ms}:{slide_ms}:{lateness_ms}"),
            WindowSpec::Count { size, panes } => format!("count:{size}:{panes}"),
        }
    }
}

#[derive(Debug, Clone)]
enum Ring {
    Time(TimeRing),
    Count(CountRing),
}

impl Ring {
    fn new(spec: &WindowSpec, shape: &[usize], panes: Vec<(i64, Pane)>) -> Self {
        match *spec {
            WindowSpec::Time {
                length_ms,
                slide_ms,
                lateness_ms,
            } => Ring::Time(TimeRing::restore(
                length_ms,
                slide_ms,
                lateness_ms,
                shape,
                panes,
            )),
            WindowSpec::Count { size, panes: n } => {
                Ring::Count(CountRing::restore(size, n, shape, panes))
            }
        }
    }
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
    /// `rings[model][window]`; `None` where the window does not apply to the model (the
    /// outcome windows apply to the outcome models only, and the others to the others).
    rings: Vec<Vec<Option<Ring>>>,
}

impl PartitionState {
    /// `shapes[model]` lists the bin count of each monitored feature of that model.
    pub fn new(shapes: &[Vec<usize>], windows: &[WindowSpec]) -> Self {
        Self::restore(shapes, windows, |_, _| true, |_, _| Vec::new())
    }

    /// A state holding the panes `panes(model, window)` returns (from a checkpoint), with
    /// rings where `applies(model, window)`.
    pub fn restore(
        shapes: &[Vec<usize>],
        windows: &[WindowSpec],
        applies: impl Fn(usize, usize) -> bool,
        mut panes: impl FnMut(usize, usize) -> Vec<(i64, Pane)>,
    ) -> Self {
        let rings = shapes
            .iter()
            .enumerate()
            .map(|(m, shape)| {
                windows
                    .iter()
                    .enumerate()
                    .map(|(w, spec)| applies(m, w).then(|| Ring::new(spec, shape, panes(m, w))))
                    .collect()
            })
            .collect();
        Self { rings }
    }

    /// Counts one decoded event into every window of its model; `late_in` gets, per
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
            let Some(ring) = ring else {
                late_in[w] = false;
                continue;
            };
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

    /// Calls `f(model, window, pane id, pane)` for every pane written (`Some`) or dropped
    /// (`None`) since the last call.
    pub fn drain_changes(&mut self, mut f: impl FnMut(usize, usize, i64, Option<&Pane>)) {
        for (m, rings) in self.rings.iter_mut().enumerate() {
            for (w, ring) in rings.iter_mut().enumerate() {
                let Some(ring) = ring else { continue };
                let changes: Changes = match ring {
                    Ring::Time(r) => r.take_changes(),
                    Ring::Count(r) => r.take_changes(),
                };
                for id in changes.dropped {
                    f(m, w, id, None);
                }
                for id in changes.changed {
                    let pane = match &*ring {
                        Ring::Time(r) => r.pane(id),
                        Ring::Count(r) => r.pane(id),
                    };
                    f(m, w, id, pane);
                }
            }
        }
    }

    /// Every pane held, as `(model, window, pane id, pane)`.
    pub fn panes(&self) -> Vec<(usize, usize, i64, &Pane)> {
        let mut out = Vec::new();
        for (m, rings) in self.rings.iter().enumerate() {
            for (w, ring) in rings.iter().enumerate() {
                match ring {
                    None => {}
                    Some(Ring::Time(r)) => out.extend(r.panes().map(|(id, p)| (m, w, id, p))),
                    Some(Ring::Count(r)) => out.extend(r.panes().map(|(id, p)| (m, w, id, p))),
                }
            }
        }
        out
    }
}
