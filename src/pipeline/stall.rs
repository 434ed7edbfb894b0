//! Which fetched partitions make no progress: messages are waiting (the last stable offset
//! is above the position) and the position has not moved for a while. Seen: a batch
//! librdkafka cannot decompress is fetched again and again, the position never passes it,
//! and only the log said so while `/readyz` stayed 200. Fed with librdkafka's statistics
//! (every 5 s) and the consumer's errors; pure (the time is passed in), no I/O.

use std::collections::HashMap;
use std::time::Duration;

/// How long a partition with messages waiting may keep its position before it is stalled.
pub(super) const STALLED_AFTER: Duration = Duration::from_secs(30);

/// A gap between two reports longer than this tells nothing about progress: the worker
/// did not poll (it waited for the schema registry, or restarted), so the clock restarts.
const MAX_GAP_MS: i64 = 15_000;

/// A consume error older than this is not given as the cause of a stall.
const ERROR_RECENT_MS: i64 = 60_000;

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Stalled {
    pub topic: String,
    pub partition: i32,
    /// Messages waiting behind the position.
    pub waiting: i64,
    /// Since when the position has not moved (epoch ms).
    pub since_ms: i64,
    /// The last consume error, if one came recently (rust-rdkafka does not say which
    /// partition an error is about).
    pub why: Option<String>,
}

impl Stalled {
    /// One line for `/readyz` and the log.
    pub(super) fn describe(&self, now_ms: i64) -> String {
        let mut text = format!(
            "partition {} [{}] is stalled: {} message(s) waiting, none taken for {} s",
            self.topic,
            self.partition,
            self.waiting,
            (now_ms - self.since_ms).max(0) / 1000
        );
        if let Some(why) = &self.why {
            text.push_str(&format!(" (last consume error: {why})"));
        }
        text
    }
}

struct Progress {
    position: i64,
    waiting: i64,
    since_ms: i64,
    seen_ms: i64,
}

#[derive(Default)]
pub(super) struct Stalls {
    partitions: HashMap<(String, i32), Progress>,
    last_error: Option<(i64, String, bool)>,
}

impl Stalls {
    /// A report of one fetched partition: its position and last stable offset.
    pub(super) fn observe(
        &mut self,
        topic: &str,
        partition: i32,
        position: i64,
        end: i64,
        now_ms: i64,
    ) {
        let waiting = (end - position).max(0);
        let key = (topic.to_string(), partition);
        match self.partitions.get_mut(&key) {
            Some(p) => {
                let moved = p.position != position || waiting == 0;
                if moved || now_ms - p.seen_ms > MAX_GAP_MS {
                    p.since_ms = now_ms;
                }
                p.position = position;
                p.waiting = waiting;
                p.seen_ms = now_ms;
            }
            None => {
                self.partitions.insert(
                    key,
                    Progress {
                        position,
                        waiting,
                        since_ms: now_ms,
                        seen_ms: now_ms,
                    },
                );
            }
        }
    }

    /// The partition is no longer fetched here; false if it was not (another worker's).
    pub(super) fn forget(&mut self, topic: &str, partition: i32) -> bool {
        self.partitions
            .remove(&(topic.to_string(), partition))
            .is_some()
    }

    /// A consume error, the likely cause of a stall that follows. A `detailed` one (with
    /// librdkafka's reason) is not replaced by a bare one within `ERROR_RECENT_MS`.
    pub(super) fn error(&mut self, why: String, detailed: bool, now_ms: i64) {
        let keep = self
            .last_error
            .as_ref()
            .is_some_and(|(at, _, was_detailed)| {
                *was_detailed && !detailed && now_ms - at <= ERROR_RECENT_MS
            });
        if !keep {
            self.last_error = Some((now_ms, why, detailed));
        }
    }

    /// The partitions stalled at `now_ms`, in topic and partition order.
    pub(super) fn stalled(&self, now_ms: i64) -> Vec<Stalled> {
        let why = self
            .last_error
            .as_ref()
            .filter(|(at, _, _)| now_ms - at <= ERROR_RECENT_MS)
            .map(|(_, why, _)| why.clone());
        let mut stalled: Vec<Stalled> = self
            .partitions
            .iter()
            .filter(|(_, p)| {
                p.waiting > 0 && now_ms - p.since_ms >= STALLED_AFTER.as_millis() as i64
            })
            .map(|((topic, partition), p)| Stalled {
                topic: topic.clone(),
                partition: *partition,
                waiting: p.waiting,
                since_ms: p.since_ms,
                why: why.clone(),
            })
            .collect();
        stalled.sort_by(|a, b| (&a.topic, a.partition).cmp(&(&b.topic, b.partition)));
        stalled
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1000;

    /// Reports every 5 s of a partition whose position is `position(t)`, up to `until`.
    fn feed(stalls: &mut Stalls, until: i64, end: i64, position: impl Fn(i64) -> i64) {
        for t in (0..=until).step_by(5 * S as usize) {
            stalls.observe("in", 0, position(t), end, t);
        }
    }

    #[test]
    fn a_position_that_stays_with_messages_waiting_is_stalled_after_30_s() {
        let mut stalls = Stalls::default();
        feed(&mut stalls, 25 * S, 900, |_| 100);
        assert!(stalls.stalled(25 * S).is_empty(), "25 s is not yet stalled");
        stalls.error("Decompression failed".into(), true, 27 * S);
        stalls.error("BadCompression".into(), false, 28 * S);
        feed(&mut stalls, 30 * S, 900, |_| 100);
        let s = stalls.stalled(30 * S);
        assert_eq!(s.len(), 1);
        assert_eq!((s[0].partition, s[0].waiting, s[0].since_ms), (0, 800, 0));
        assert_eq!(
            s[0].describe(31 * S),
            "partition in [0] is stalled: 800 message(s) waiting, none taken for 31 s (last consume error: Decompression failed)"
        );
    }

    #[test]
    fn progress_no_backlog_a_gap_or_an_old_error_are_no_stall_or_no_cause() {
        // Slow but moving.
        let mut stalls = Stalls::default();
        feed(&mut stalls, 120 * S, 1_000_000, |t| t / S);
        assert!(stalls.stalled(120 * S).is_empty());
        // Idle: nothing waiting.
        let mut stalls = Stalls::default();
        feed(&mut stalls, 120 * S, 100, |_| 100);
        assert!(stalls.stalled(120 * S).is_empty());
        // No reports for a minute (no polling: the registry wait), then the same position:
        // the clock starts again from the report after the gap.
        let mut stalls = Stalls::default();
        stalls.observe("in", 0, 100, 900, 0);
        for t in (60..=85).step_by(5) {
            stalls.observe("in", 0, 100, 900, t * S);
        }
        assert!(stalls.stalled(85 * S).is_empty());
        stalls.observe("in", 0, 100, 900, 90 * S);
        assert_eq!(stalls.stalled(90 * S).len(), 1);
        // A stall with an error of long ago has no cause given; a forgotten one is gone.
        stalls.error("old".into(), false, 0);
        assert_eq!(stalls.stalled(90 * S)[0].why, None);
        assert!(stalls.forget("in", 0));
        assert!(!stalls.forget("in", 0), "only what this worker fetched");
        assert!(stalls.stalled(90 * S).is_empty());
    }
}
