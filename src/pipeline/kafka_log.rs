//! librdkafka's own log lines and client errors, throttled: while a broker is down it
//! repeats the same complaint several times a second. Each kind is logged at once, then
//! with a doubling interval (1 s up to 5 min) and the number of repeats left out; after a
//! quiet minute the interval starts again at 1 s.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rdkafka::config::RDKafkaLogLevel;
use rdkafka::error::KafkaError;
use tracing::{debug, info, warn};

const FIRST: Duration = Duration::from_secs(1);
const MAX: Duration = Duration::from_secs(300);
const QUIET: Duration = Duration::from_secs(60);

struct Kind {
    logged: Instant,
    seen: Instant,
    interval: Duration,
    suppressed: u64,
}

#[derive(Default)]
pub struct LogThrottle {
    kinds: Mutex<HashMap<String, Kind>>,
}

impl LogThrottle {
    /// `Some(repeats left out)` when a line of `kind` is due at `now`.
    pub fn due(&self, kind: &str, now: Instant) -> Option<u64> {
        let mut kinds = self.kinds.lock().ok()?;
        match kinds.get_mut(kind) {
            Some(k) if now.duration_since(k.seen) < QUIET => {
                k.seen = now;
                if now.duration_since(k.logged) >= k.interval {
                    let left_out = std::mem::take(&mut k.suppressed);
                    k.logged = now;
                    k.interval = (k.interval * 2).min(MAX);
                    Some(left_out)
                } else {
                    k.suppressed += 1;
                    None
                }
            }
            _ => {
                kinds.insert(
                    kind.to_string(),
                    Kind {
                        logged: now,
                        seen: now,
                        interval: FIRST,
                        suppressed: 0,
                    },
                );
                Some(0)
            }
        }
    }

    pub fn log(&self, level: RDKafkaLogLevel, fac: &str, message: &str) {
        match level {
            RDKafkaLogLevel::Debug => debug!(target: "librdkafka", fac, "{message}"),
            RDKafkaLogLevel::Info | RDKafkaLogLevel::Notice => {
                info!(target: "librdkafka", fac, "{message}")
            }
            _ => {
                if let Some(left_out) = self.due(&format!("log:{fac}"), Instant::now()) {
                    warn!(target: "librdkafka", fac, repeats_left_out = left_out, "{message}");
                }
            }
        }
    }

    pub fn error(&self, error: &KafkaError, reason: &str) {
        let kind = format!("error:{:?}", error.rdkafka_error_code());
        if let Some(left_out) = self.due(&kind, Instant::now()) {
            warn!(error = %error, reason, repeats_left_out = left_out, "Kafka client error; librdkafka keeps retrying");
        }
    }
}

/// A client context that only throttles logs (the state reader, admin clients).
#[derive(Default)]
pub struct QuietContext {
    log: LogThrottle,
}

impl rdkafka::ClientContext for QuietContext {
    fn log(&self, level: RDKafkaLogLevel, fac: &str, log_message: &str) {
        self.log.log(level, fac, log_message);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        self.log.error(&error, reason);
    }
}

impl rdkafka::consumer::ConsumerContext for QuietContext {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_are_logged_with_a_doubling_interval() {
        let t = LogThrottle::default();
        let t0 = Instant::now();
        let mut logged = Vec::new();
        // One complaint every 100 ms for 20 s.
        for i in 0..200u64 {
            let now = t0 + Duration::from_millis(100 * i);
            if let Some(left_out) = t.due("k", now) {
                logged.push((i, left_out));
            }
        }
        // At 0, 1 s, 3 s, 7 s, 15 s.
        assert_eq!(
            logged.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
            vec![0, 10, 30, 70, 150]
        );
        assert_eq!(logged[1].1, 9);
        assert_eq!(logged[4].1, 79);
        // After a quiet minute it starts over.
        assert_eq!(t.due("k", t0 + Duration::from_secs(100)), Some(0));
    }
}
