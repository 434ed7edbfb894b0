//! The supervisor's decisions, pure: from what each worker last reported (its phase and
//! stalled partitions, whether its thread ended, how long since it beat), whether the state
//! reader ended and whether the broker answers, why `/readyz` is 503 and whether (and why)
//! the process ends. No clock and no threads: the caller passes the times.

use std::time::{Duration, Instant};

use super::status::{Phase, Report};

/// How long a worker's thread may show no progress before the process ends (the
/// orchestrator restarts it; the state survives): longer than any wait psimon makes on
/// purpose (a restore waits up to `restore_timeout`, a commit is retried up to the
/// transaction time-out), as librdkafka's `max.poll.interval.ms` (5 min).
pub(super) const STUCK_AFTER: Duration = Duration::from_secs(300);

/// How long an instance with a live twin stays up (not ready, saying why) before it exits.
pub(super) const FENCED_EXIT_AFTER: Duration = Duration::from_secs(30);

/// One worker as the supervisor last saw it.
#[derive(Debug, Clone)]
pub(super) struct Seen<'a> {
    pub name: &'a str,
    pub report: Report,
    pub thread_ended: bool,
    pub since_beat: Duration,
}

/// What the supervisor concludes.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Health {
    /// Why `/readyz` is 503, if it is.
    pub not_ready: Option<String>,
    /// A worker stopped for good, a thread ended or is stuck, or the state reader died.
    pub ended: bool,
    /// A worker stopped for good because another live instance uses its id.
    pub twin: bool,
}

/// The health of the process; the first reason in order of gravity is the one shown.
pub(super) fn assess(workers: &[Seen<'_>], reader_ended: bool, broker_ok: bool) -> Health {
    let stopped = workers.iter().find_map(|w| match &w.report.phase {
        Phase::Stopped { why, .. } => Some(format!("{}: {why}", w.name)),
        _ => None,
    });
    let twin = workers
        .iter()
        .any(|w| matches!(w.report.phase, Phase::Stopped { twin: true, .. }));
    let thread_ended = workers
        .iter()
        .find(|w| w.thread_ended)
        .map(|w| format!("the consumer thread of {} ended unexpectedly", w.name));
    let stuck = workers
        .iter()
        .find(|w| w.since_beat > STUCK_AFTER && !w.thread_ended)
        .map(|w| {
            format!(
                "the consumer thread of {} made no progress for {} s (stuck in a Kafka client call)",
                w.name,
                w.since_beat.as_secs()
            )
        });
    let restarting = workers.iter().find_map(|w| match &w.report.phase {
        Phase::Restarting(why) => Some(format!("{}: {why}", w.name)),
        _ => None,
    });
    let not_ready = stopped
        .clone()
        .or(thread_ended.clone())
        .or(stuck.clone())
        .or_else(|| reader_ended.then(|| "the state reader thread ended unexpectedly".into()))
        .or_else(|| (!broker_ok).then(|| "the Kafka broker does not answer".into()))
        .or(restarting)
        .or_else(|| workers.iter().find_map(|w| w.report.stalled.clone()))
        .or_else(|| {
            (!workers.iter().all(|w| w.report.phase == Phase::Counting))
                .then(|| "joining the consumer group".into())
        });
    Health {
        not_ready,
        ended: stopped.is_some() || thread_ended.is_some() || stuck.is_some() || reader_ended,
        twin,
    }
}

/// Why the process ends now, if it does. A worker stopped for good by a live twin keeps the
/// process up, not ready, for [`FENCED_EXIT_AFTER`] so that the clash is visible on
/// `/readyz`, then the process exits non-zero; any other worker stopped for good, or a
/// thread that ended, ends it at once. Workers that restart (a fence after an outage, a
/// failed producer) keep the process up, not ready while they restart.
pub(super) fn ends_process(
    health: &Health,
    twin_since: &mut Option<Instant>,
    now: Instant,
) -> Option<String> {
    let why = || health.not_ready.clone().unwrap_or_default();
    if health.twin {
        let since = *twin_since.get_or_insert(now);
        (now.duration_since(since) >= FENCED_EXIT_AFTER).then(why)
    } else {
        health.ended.then(why)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(name: &str, phase: Phase) -> Seen<'_> {
        Seen {
            name,
            report: Report {
                phase,
                stalled: None,
            },
            thread_ended: false,
            since_beat: Duration::from_millis(10),
        }
    }

    #[test]
    fn counting_workers_and_an_answering_broker_are_ready() {
        let h = assess(
            &[seen("w0", Phase::Counting), seen("w1", Phase::Counting)],
            false,
            true,
        );
        assert_eq!(
            h,
            Health {
                not_ready: None,
                ended: false,
                twin: false
            }
        );
        assert_eq!(ends_process(&h, &mut None, Instant::now()), None);
    }

    #[test]
    fn a_worker_still_joining_or_restarting_is_not_ready_and_does_not_end_the_process() {
        let h = assess(
            &[seen("w0", Phase::Counting), seen("w1", Phase::Joining)],
            false,
            true,
        );
        assert_eq!(h.not_ready.as_deref(), Some("joining the consumer group"));
        let h = assess(
            &[
                seen("w0", Phase::Restarting("restarting the worker: x".into())),
                seen("w1", Phase::Joining),
            ],
            false,
            true,
        );
        assert_eq!(h.not_ready.as_deref(), Some("w0: restarting the worker: x"));
        assert!(!h.ended);
        assert_eq!(ends_process(&h, &mut None, Instant::now()), None);
    }

    #[test]
    fn a_stalled_partition_and_a_silent_broker_are_named() {
        let mut w = seen("w0", Phase::Counting);
        w.report.stalled = Some("partition apps/1 stalled".into());
        let h = assess(std::slice::from_ref(&w), false, true);
        assert_eq!(h.not_ready.as_deref(), Some("partition apps/1 stalled"));
        // The broker outranks a stall; neither ends the process.
        let h = assess(&[w], false, false);
        assert_eq!(
            h.not_ready.as_deref(),
            Some("the Kafka broker does not answer")
        );
        assert!(!h.ended);
    }

    #[test]
    fn a_worker_stopped_for_good_a_dead_thread_a_stuck_one_or_a_dead_reader_end_it_at_once() {
        let now = Instant::now();
        let stopped = seen(
            "w1",
            Phase::Stopped {
                why: "refused".into(),
                twin: false,
            },
        );
        let mut dead = seen("w2", Phase::Counting);
        dead.thread_ended = true;
        let mut stuck = seen("w3", Phase::Counting);
        stuck.since_beat = STUCK_AFTER + Duration::from_secs(1);
        for (workers, reader_ended, why) in [
            (vec![seen("w0", Phase::Counting), stopped.clone()], false, "w1: refused".to_string()),
            (vec![dead.clone()], false, "the consumer thread of w2 ended unexpectedly".into()),
            (
                vec![stuck.clone()],
                false,
                "the consumer thread of w3 made no progress for 301 s (stuck in a Kafka client call)".into(),
            ),
            (vec![seen("w0", Phase::Counting)], true, "the state reader thread ended unexpectedly".into()),
            // The gravest first: stopped before a dead thread before a stuck one.
            (vec![stuck, dead, stopped], false, "w1: refused".into()),
        ] {
            let h = assess(&workers, reader_ended, true);
            assert!(h.ended && !h.twin, "{h:?}");
            assert_eq!(ends_process(&h, &mut None, now), Some(why));
        }
    }

    #[test]
    fn a_live_twin_is_shown_for_thirty_seconds_then_ends_the_process() {
        let twin = seen(
            "w0",
            Phase::Stopped {
                why: "fenced 3 times".into(),
                twin: true,
            },
        );
        let h = assess(&[twin], false, true);
        assert!(h.twin && h.ended);
        let start = Instant::now();
        let mut since = None;
        assert_eq!(ends_process(&h, &mut since, start), None);
        assert_eq!(
            ends_process(&h, &mut since, start + Duration::from_secs(29)),
            None
        );
        assert_eq!(
            ends_process(&h, &mut since, start + FENCED_EXIT_AFTER),
            Some("w0: fenced 3 times".into())
        );
    }
}
