//! A client call that may never return, run on a thread of its own and abandoned at a limit.
//!
//! librdkafka's coordinator requests ignore their time-out (librdkafka #5456, #5511, open in
//! 2.12): after a broker freeze, `send_offsets_to_transaction` was seen waiting for good, its
//! worker holding the owner lock, so nothing was counted until the stuck watchdog ended the
//! process. A call through `bounded` that overruns its limit returns `Hung` instead; the
//! caller then gives the client up (a new transactional producer fences it), and the stuck
//! thread keeps the last reference to the client, so dropping it never blocks the worker.
//! Each abandoned call leaks one thread and one client, so the process counts them and stops
//! past `MAX_ABANDONED` (the orchestrator starts it afresh).
//!
//! Owns no client and no policy beyond that count: what a hang means is `txn`'s to say.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{RecvTimeoutError, sync_channel};
use std::time::Duration;

use thiserror::Error;

/// Abandoned calls a process tolerates before it stops (each leaks a thread and a client).
pub(super) const MAX_ABANDONED: usize = 3;

static ABANDONED: AtomicUsize = AtomicUsize::new(0);

/// A call that did not return within its limit (or whose thread could not run it).
#[derive(Debug, Clone, Error)]
#[error("{call} did not return within {limit:?} (abandoned; {abandoned} so far in this process)")]
pub(crate) struct Hung {
    pub call: &'static str,
    pub limit: Duration,
    /// Calls abandoned by this process so far, this one included.
    pub abandoned: usize,
}

impl Hung {
    /// Too many leaked threads and clients: the process should start afresh.
    pub(crate) fn too_many(&self) -> bool {
        self.abandoned > MAX_ABANDONED
    }
}

/// Runs `f(target)` on a new thread and waits at most `limit` for it.
pub(super) fn bounded<P, R>(
    target: &Arc<P>,
    call: &'static str,
    limit: Duration,
    f: impl FnOnce(&P) -> R + Send + 'static,
) -> Result<R, Hung>
where
    P: Send + Sync + 'static,
    R: Send + 'static,
{
    let (tx, rx) = sync_channel(1);
    let target = Arc::clone(target);
    let spawned = std::thread::Builder::new()
        .name("psimon-client-call".into())
        .spawn(move || {
            // The receiver is gone when the call was abandoned: nobody wants the result.
            let _ = tx.send(f(&target));
        });
    let waited = match spawned {
        Ok(_) => rx.recv_timeout(limit),
        Err(_) => Err(RecvTimeoutError::Disconnected),
    };
    waited.map_err(|_| Hung {
        call,
        limit,
        abandoned: ABANDONED.fetch_add(1, Ordering::Relaxed) + 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;

    #[test]
    fn a_call_that_returns_in_time_gives_its_result() {
        let target = Arc::new(20);
        let r = bounded(&target, "adding", Duration::from_secs(5), |t| t + 1);
        assert_eq!(r.unwrap(), 21);
    }

    #[test]
    fn a_call_that_overruns_is_abandoned_and_keeps_its_target_alive() {
        let target = Arc::new(AtomicBool::new(false));
        let release = Arc::new(AtomicBool::new(false));
        let r = Arc::clone(&release);
        let hung = bounded(&target, "waiting", Duration::from_millis(50), move |t| {
            while !r.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(5));
            }
            t.store(true, Ordering::Relaxed);
        })
        .unwrap_err();
        assert_eq!(hung.call, "waiting");
        assert!(hung.abandoned >= 1);
        assert!(
            hung.to_string()
                .contains("waiting did not return within 50ms")
        );
        // The abandoned thread still holds the target and finishes with it when released.
        assert_eq!(Arc::strong_count(&target), 2);
        release.store(true, Ordering::Relaxed);
        while Arc::strong_count(&target) > 1 {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(target.load(Ordering::Relaxed));
    }

    #[test]
    fn more_than_the_tolerated_abandoned_calls_is_too_many() {
        let h = |abandoned| Hung {
            call: "c",
            limit: Duration::ZERO,
            abandoned,
        };
        assert!(!h(MAX_ABANDONED).too_many());
        assert!(h(MAX_ABANDONED + 1).too_many());
    }
}
