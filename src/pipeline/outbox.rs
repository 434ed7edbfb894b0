//! The drift outbox: the transitions the publishing evaluator handed over, waiting for the
//! next transaction of any worker of this instance, which commits each event to the drift
//! topic with its state to the state topic. Owns the hand-over and nothing else.
//!
//! Not a channel, by choice: a checkpoint that fails must put what it took back in front
//! (the next transaction commits them, before anything handed over since), and any worker
//! may commit them, so the states reach Kafka while the worker that owns the publishing
//! partition restarts. One lock, taken once per evaluation and once per checkpoint.

use std::sync::{Arc, Mutex};

use crate::state::codec::{DriftKey, DriftRecord};

/// A drift event (CloudEvents JSON) under its key.
#[derive(Debug, Clone)]
pub(crate) struct DriftEvent {
    pub key: String,
    pub json: String,
}

/// A transition the publishing evaluator hands to the next transaction: its state for the
/// state topic and its event for the drift topic, committed together.
#[derive(Debug, Clone)]
pub(crate) struct Handover {
    pub key: DriftKey,
    pub record: DriftRecord,
    pub event: DriftEvent,
}

/// Transitions waiting for the next transaction of any worker; clones share it.
#[derive(Debug, Clone, Default)]
pub(crate) struct DriftOutbox(Arc<Mutex<Vec<Handover>>>);

impl DriftOutbox {
    /// Adds transitions after those waiting.
    pub(crate) fn hand_over(&self, items: impl IntoIterator<Item = Handover>) {
        let mut waiting = self.0.lock().unwrap_or_else(|p| p.into_inner());
        waiting.extend(items);
    }

    /// Everything waiting, in order, for one transaction.
    pub(crate) fn take(&self) -> Vec<Handover> {
        let mut waiting = self.0.lock().unwrap_or_else(|p| p.into_inner());
        std::mem::take(&mut *waiting)
    }

    /// What a failed transaction took, back in front of what was handed over since.
    pub(crate) fn put_back(&self, items: Vec<Handover>) {
        let mut waiting = self.0.lock().unwrap_or_else(|p| p.into_inner());
        waiting.splice(0..0, items);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::SetId;

    fn handover(n: u8) -> Handover {
        Handover {
            key: DriftKey {
                set: SetId::drift("m"),
                window: "w".into(),
                series: vec![format!("f{n}")],
            },
            record: DriftRecord {
                state: n % 3,
                baseline_id: "b".into(),
            },
            event: DriftEvent {
                key: format!("m/f{n}"),
                json: "{}".into(),
            },
        }
    }

    #[test]
    fn what_a_failed_transaction_took_goes_back_in_front() {
        let outbox = DriftOutbox::default();
        let other = outbox.clone();
        outbox.hand_over([handover(1), handover(2)]);
        let taken = other.take();
        assert_eq!(taken.len(), 2);
        assert!(outbox.take().is_empty());
        outbox.hand_over([handover(3)]);
        other.put_back(taken);
        let order: Vec<String> = outbox.take().into_iter().map(|h| h.event.key).collect();
        assert_eq!(order, ["m/f1", "m/f2", "m/f3"]);
    }
}
