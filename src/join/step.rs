//! The join's state machine for one application id: what an arriving application or outcome
//! does to the stored entry, and what it means for the counts. Pure; `store` applies it.
//!
//! - An application with nothing stored waits (`Pending`); if its outcome came first
//!   (`Early`), they join at once.
//! - An outcome joins a pending application; with nothing stored it waits for its
//!   application (`Early`, at most `grace` of application time); after a join (`Joined`) or
//!   beside another early outcome it is a duplicate and counts nothing.
//! - A repeated application keeps the first one.

use super::record::{Entry, OutcomeSeen, PendingApp};

/// What arrived for an id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arrival {
    Application(PendingApp),
    Outcome(OutcomeSeen),
}

/// What the arrival means for the counts and the metrics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JoinEvent {
    /// An application now waits for its outcome.
    Waiting,
    /// An outcome now waits for its application.
    EarlyOutcome,
    /// Application and outcome met: count the application's bins as good or bad.
    Joined { app: PendingApp, bad: bool },
    /// An outcome for an id already joined, or a second early outcome: counted once.
    DuplicateOutcome,
    /// An application id seen before: the first one stays.
    DuplicateApplication,
}

/// The new entry for the id (`None`: none) and what happened.
pub fn step(existing: Option<Entry>, arrival: Arrival) -> (Option<Entry>, JoinEvent) {
    match (existing, arrival) {
        (None, Arrival::Application(app)) => (Some(Entry::Pending(app)), JoinEvent::Waiting),
        (None, Arrival::Outcome(o)) => (Some(Entry::Early(o)), JoinEvent::EarlyOutcome),
        (Some(Entry::Early(o)), Arrival::Application(app)) => joined(app, o.bad),
        (Some(Entry::Pending(app)), Arrival::Outcome(o)) => joined(app, o.bad),
        (Some(e @ (Entry::Early(_) | Entry::Joined { .. })), Arrival::Outcome(_)) => {
            (Some(e), JoinEvent::DuplicateOutcome)
        }
        (Some(e @ (Entry::Pending(_) | Entry::Joined { .. })), Arrival::Application(_)) => {
            (Some(e), JoinEvent::DuplicateApplication)
        }
    }
}

fn joined(app: PendingApp, bad: bool) -> (Option<Entry>, JoinEvent) {
    (
        Some(Entry::Joined { app_ms: app.app_ms }),
        JoinEvent::Joined { app, bad },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(ms: i64) -> PendingApp {
        PendingApp {
            model: 0,
            app_ms: ms,
            bins: vec![1, 2],
        }
    }

    fn outcome(bad: bool) -> OutcomeSeen {
        OutcomeSeen {
            bad,
            outcome_ms: 100,
        }
    }

    #[test]
    fn either_order_joins_once() {
        let (e, ev) = step(None, Arrival::Application(app(5)));
        assert_eq!(ev, JoinEvent::Waiting);
        let (e, ev) = step(e, Arrival::Outcome(outcome(true)));
        assert_eq!(
            ev,
            JoinEvent::Joined {
                app: app(5),
                bad: true
            }
        );
        let (e, ev) = step(e, Arrival::Outcome(outcome(false)));
        assert_eq!(ev, JoinEvent::DuplicateOutcome);
        assert_eq!(e, Some(Entry::Joined { app_ms: 5 }));

        let (e, ev) = step(None, Arrival::Outcome(outcome(false)));
        assert_eq!(ev, JoinEvent::EarlyOutcome);
        let (e, ev) = step(e, Arrival::Outcome(outcome(true)));
        assert_eq!(ev, JoinEvent::DuplicateOutcome);
        let (e, ev) = step(e, Arrival::Application(app(7)));
        // The first outcome decides.
        assert_eq!(
            ev,
            JoinEvent::Joined {
                app: app(7),
                bad: false
            }
        );
        let (_, ev) = step(e, Arrival::Application(app(8)));
        assert_eq!(ev, JoinEvent::DuplicateApplication);
    }
}
