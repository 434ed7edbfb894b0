//! What a counting worker tells the rest of the process: why each life of it ended and
//! what heals that (`Ending`, `Life`, for the worker itself), its [`Report`] for the
//! supervisor on a watch channel (joining, counting, restarting or stopped for good, and
//! its stalled partitions), and a heartbeat of its thread (a thread stuck in a client call
//! can send nothing: the supervisor judges the heartbeat's age). Written by the worker's
//! thread and its client callbacks; no logic beyond that.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::Duration;

use tokio::sync::watch;
use tracing::error;

use super::clock::now_ms;
use super::heal::Remedy;

/// Why one life of a worker ends, and what heals it.
#[derive(Debug, Clone)]
pub(crate) struct Ending {
    pub remedy: Remedy,
    pub why: String,
    /// Ended by a fence (the producer's epoch or the consumer's instance id taken over).
    pub fence: bool,
}

/// How one life of a worker went.
pub(crate) struct Life {
    /// Why it ended (`None`: it was stopped).
    pub ending: Option<Ending>,
    /// It saw the cluster fail (`heal::is_outage`).
    pub outage: bool,
    /// It joined the group: it worked, so the next restart needs no back-off.
    pub joined: bool,
}

/// Where a worker is, for `/readyz` and the decision to exit.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) enum Phase {
    /// Waiting for its first assignment in this life.
    #[default]
    Joining,
    /// In the group, counting what it is assigned.
    Counting,
    /// Between two lives: why.
    Restarting(String),
    /// Stopped for good (nothing heals it): why, and whether because another live
    /// instance uses its id.
    Stopped { why: String, twin: bool },
}

/// What a worker shows the supervisor, sent at every change.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Report {
    pub phase: Phase,
    /// The partitions of this life that make no progress, described (`stall`).
    pub stalled: Option<String>,
}

/// What a worker tells the rest of the process. The ending is per life of the worker
/// (reset when it restarts); the report is the supervisor's, and its phase also says
/// whether this life joined the group (counting).
pub(crate) struct ConsumerStatus {
    /// Why this life ends (the first reason wins).
    ending: Mutex<Option<Ending>>,
    /// This life saw the cluster fail (`heal::is_outage`): a fence that follows is the
    /// outage's, not a twin's.
    pub(super) outage: AtomicBool,
    /// Whether `ending` is set: what the consuming loop checks per batch, without a lock.
    failed: AtomicBool,
    report: watch::Sender<Report>,
    /// When the worker's thread last showed progress (epoch ms): every turn of the
    /// consuming loop and of a restart. A thread stuck inside a Kafka client call (seen:
    /// librdkafka's `send_offsets_to_transaction` waiting without end after a broker freeze)
    /// stops beating; the supervisor ends the process rather than stall silently.
    beat_ms: AtomicI64,
}

impl Default for ConsumerStatus {
    fn default() -> Self {
        Self {
            ending: Mutex::new(None),
            outage: AtomicBool::new(false),
            failed: AtomicBool::new(false),
            report: watch::Sender::new(Report::default()),
            beat_ms: AtomicI64::new(0),
        }
    }
}

impl ConsumerStatus {
    /// The worker's reports, from the current one on.
    pub(crate) fn subscribe(&self) -> watch::Receiver<Report> {
        self.report.subscribe()
    }

    /// The group was joined: a first assignment (possibly empty) arrived in this life.
    pub(crate) fn set_joined(&self) {
        self.set_phase(|p| matches!(p, Phase::Joining), Phase::Counting);
    }

    /// Moves to `next` when the current phase is one `from` accepts (a worker stopped for
    /// good stays stopped).
    fn set_phase(&self, from: impl Fn(&Phase) -> bool, next: Phase) {
        self.report.send_if_modified(|r| {
            let moves = from(&r.phase) && r.phase != next;
            if moves {
                r.phase = next;
            }
            moves
        });
    }

    /// Ends this life of the worker; `remedy` says whether it restarts or stops.
    pub(crate) fn end(&self, remedy: Remedy, why: String, fence: bool) {
        error!(reason = %why, ?remedy, "the consumer stops");
        if let Ok(mut f) = self.ending.lock() {
            f.get_or_insert(Ending { remedy, why, fence });
        }
        self.failed.store(true, Ordering::Release);
    }

    /// A panic while counting poisoned the owner's lock: a new life starts from the last
    /// checkpoint.
    pub(crate) fn owner_poisoned(&self) {
        self.end(
            Remedy::Restart,
            "the partition owner's lock is poisoned (a panic while counting)".into(),
            false,
        );
    }

    /// Sets (or clears, with `None`) the description of this life's stalled partitions.
    pub(crate) fn set_stalled(&self, what: Option<String>) {
        self.report.send_if_modified(|r| {
            let changed = r.stalled != what;
            r.stalled = what;
            changed
        });
    }

    pub(crate) fn has_failed(&self) -> bool {
        self.failed.load(Ordering::Acquire)
    }

    /// The worker's thread is making progress.
    pub(crate) fn beat(&self) {
        self.beat_ms.store(now_ms(), Ordering::Relaxed);
    }

    /// How long since the last beat (none yet: zero).
    pub(crate) fn since_beat(&self) -> Duration {
        let last = self.beat_ms.load(Ordering::Relaxed);
        if last == 0 {
            return Duration::ZERO;
        }
        Duration::from_millis(now_ms().saturating_sub(last).max(0) as u64)
    }

    /// How the last life went, and resets the per-life flags for the next one.
    pub(crate) fn take_life(&self) -> Life {
        let ending = self.ending.lock().ok().and_then(|mut e| e.take());
        let outage = self.outage.swap(false, Ordering::Relaxed);
        // A life that joined is counting; the next one joins again.
        let mut joined = false;
        self.report.send_if_modified(|r| {
            joined = r.phase == Phase::Counting;
            if joined {
                r.phase = Phase::Joining;
            }
            joined
        });
        self.failed.store(false, Ordering::Release);
        Life {
            ending,
            outage,
            joined,
        }
    }

    /// The worker is between two lives (`Some(why)`), or starts a new one (`None`: it
    /// joins the group again).
    pub(crate) fn set_restarting(&self, why: Option<String>) {
        let alive = |p: &Phase| !matches!(p, Phase::Stopped { .. });
        match why {
            Some(why) => self.set_phase(alive, Phase::Restarting(why)),
            None => self.set_phase(alive, Phase::Joining),
        }
    }

    /// The worker stops for good (the first reason wins).
    pub(crate) fn set_fatal(&self, why: String, twin: bool) {
        error!(reason = %why, "the worker stops for good");
        self.set_phase(
            |p| !matches!(p, Phase::Stopped { .. }),
            Phase::Stopped { why, twin },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_life_joined_when_it_was_counting_and_the_next_one_joins_again() {
        let status = ConsumerStatus::default();
        let reports = status.subscribe();
        assert!(!status.take_life().joined, "never assigned");
        status.set_joined();
        assert_eq!(reports.borrow().phase, Phase::Counting);
        assert!(status.take_life().joined);
        assert_eq!(reports.borrow().phase, Phase::Joining);
        assert!(
            !status.take_life().joined,
            "the next life has not joined yet"
        );
        // Stopped for good stays stopped, and did not join.
        status.set_fatal("refused".into(), false);
        status.set_joined();
        status.set_restarting(None);
        assert!(matches!(reports.borrow().phase, Phase::Stopped { .. }));
        assert!(!status.take_life().joined);
    }
}
