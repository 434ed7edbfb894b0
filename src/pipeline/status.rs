//! What a counting worker tells the rest of the process: why each life of it ended and
//! what heals that (`Ending`, `Life`), whether it is restarting or stopped for good, and a
//! heartbeat of its thread. Written by the worker's thread and its client callbacks, read
//! by the supervisor for `/readyz` and the decision to exit; no logic beyond that.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::Duration;

use tracing::error;

use super::consumer::now_ms;
use super::heal::Remedy;

/// Why one life of a worker ends, and what heals it.
#[derive(Debug, Clone)]
pub struct Ending {
    pub remedy: Remedy,
    pub why: String,
    /// Ended by a fence (the producer's epoch or the consumer's instance id taken over).
    pub fence: bool,
}

/// How one life of a worker went.
pub struct Life {
    /// Why it ended (`None`: it was stopped).
    pub ending: Option<Ending>,
    /// It saw the cluster fail (`heal::is_outage`).
    pub outage: bool,
    /// It joined the group: it worked, so the next restart needs no back-off.
    pub joined: bool,
}

/// What a worker tells the rest of the process. `joined` and the ending are per life of
/// the worker (reset when it restarts); `restarting` and `fatal` are for `/readyz`.
#[derive(Default)]
pub struct ConsumerStatus {
    /// The group was joined (a first assignment, possibly empty, arrived).
    pub joined: AtomicBool,
    /// Why this life ends (the first reason wins).
    ending: Mutex<Option<Ending>>,
    /// This life saw the cluster fail (`heal::is_outage`): a fence that follows is the
    /// outage's, not a twin's.
    pub(super) outage: AtomicBool,
    /// Whether `ending` is set: what the consuming loop checks per batch, without a lock.
    failed: AtomicBool,
    /// Set while the worker restarts: why.
    restarting: Mutex<Option<String>>,
    /// Set when the worker stopped for good (nothing heals it): why.
    fatal: Mutex<Option<String>>,
    /// The worker stopped for good because another live instance uses its id.
    pub twin: AtomicBool,
    /// The partitions of this life that make no progress, described (`stall`).
    stalled: Mutex<Option<String>>,
    /// When the worker's thread last showed progress (epoch ms): every turn of the
    /// consuming loop and of a restart. A thread stuck inside a Kafka client call (seen:
    /// librdkafka's `send_offsets_to_transaction` waiting without end after a broker freeze)
    /// stops beating; the supervisor ends the process rather than stall silently.
    beat_ms: AtomicI64,
}

impl ConsumerStatus {
    /// Ends this life of the worker; `remedy` says whether it restarts or stops.
    pub fn end(&self, remedy: Remedy, why: String, fence: bool) {
        error!(reason = %why, ?remedy, "the consumer stops");
        if let Ok(mut f) = self.ending.lock() {
            f.get_or_insert(Ending { remedy, why, fence });
        }
        self.failed.store(true, Ordering::Release);
    }

    /// A panic while counting poisoned the owner's lock: a new life starts from the last
    /// checkpoint.
    pub fn owner_poisoned(&self) {
        self.end(
            Remedy::Restart,
            "the partition owner's lock is poisoned (a panic while counting)".into(),
            false,
        );
    }

    /// Sets (or clears, with `None`) the description of this life's stalled partitions.
    pub fn set_stalled(&self, what: Option<String>) {
        if let Ok(mut s) = self.stalled.lock() {
            *s = what;
        }
    }

    /// Why some partition of this worker makes no progress, if one does not.
    pub fn stalled(&self) -> Option<String> {
        self.stalled.lock().ok().and_then(|s| s.clone())
    }

    pub fn has_failed(&self) -> bool {
        self.failed.load(Ordering::Acquire)
    }

    /// The worker's thread is making progress.
    pub fn beat(&self) {
        self.beat_ms.store(now_ms(), Ordering::Relaxed);
    }

    /// How long since the last beat (none yet: zero).
    pub fn since_beat(&self) -> Duration {
        let last = self.beat_ms.load(Ordering::Relaxed);
        if last == 0 {
            return Duration::ZERO;
        }
        Duration::from_millis(now_ms().saturating_sub(last).max(0) as u64)
    }

    /// How the last life went, and resets the per-life flags for the next one.
    pub fn take_life(&self) -> Life {
        let life = Life {
            ending: self.ending.lock().ok().and_then(|mut e| e.take()),
            outage: self.outage.swap(false, Ordering::Relaxed),
            joined: self.joined.swap(false, Ordering::Relaxed),
        };
        self.failed.store(false, Ordering::Release);
        life
    }

    pub fn set_restarting(&self, why: Option<String>) {
        if let Ok(mut r) = self.restarting.lock() {
            *r = why;
        }
    }

    pub fn restarting(&self) -> Option<String> {
        self.restarting.lock().ok().and_then(|r| r.clone())
    }

    /// The worker stops for good.
    pub fn set_fatal(&self, why: String, twin: bool) {
        error!(reason = %why, "the worker stops for good");
        self.twin.store(twin, Ordering::Relaxed);
        if let Ok(mut f) = self.fatal.lock() {
            f.get_or_insert(why);
        }
    }

    pub fn fatal(&self) -> Option<String> {
        self.fatal.lock().ok().and_then(|f| f.clone())
    }
}
