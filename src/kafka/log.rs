//! librdkafka's own log lines and client errors, throttled: while a broker is down it
//! repeats the same complaint several times a second. Each kind is logged at once, then
//! with a doubling interval (1 s up to 5 min) and the number of repeats left out; after a
//! quiet minute the interval starts again at 1 s.
//!
//! It also keeps the process's last connection problem (refused authentication, a failed
//! TLS handshake, unreachable brokers), whichever client met it, so that `/readyz` can
//! name the cause instead of the step that waits on it.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rdkafka::config::RDKafkaLogLevel;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
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
pub(crate) struct LogThrottle {
    kinds: Mutex<HashMap<String, Kind>>,
}

impl LogThrottle {
    /// `Some(repeats left out)` when a line of `kind` is due at `now`.
    pub(crate) fn due(&self, kind: &str, now: Instant) -> Option<u64> {
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

    pub(crate) fn log(&self, level: RDKafkaLogLevel, fac: &str, message: &str) {
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

    pub(crate) fn error(&self, error: &KafkaError, reason: &str) {
        if let Some(what) = error
            .rdkafka_error_code()
            .and_then(|code| connection_problem(code, reason))
        {
            record_problem(what, reason, Instant::now());
        }
        let kind = format!("error:{:?}", error.rdkafka_error_code());
        if let Some(left_out) = self.due(&kind, Instant::now()) {
            warn!(error = %error, reason, repeats_left_out = left_out, "Kafka client error; librdkafka keeps retrying");
        }
    }
}

/// A connection problem: when it was seen, its kind (`connection_problem`) and the text.
struct Problem {
    at: Instant,
    kind: &'static str,
    text: String,
}

/// The last connection problem of any client of this process.
static LAST_PROBLEM: Mutex<Option<Problem>> = Mutex::new(None);

/// How long a named cause (authentication, TLS) outranks "cannot reach the brokers", which
/// librdkafka reports after every refused connection too.
const CAUSE_KEPT: Duration = Duration::from_secs(30);

fn record_problem(kind: &'static str, reason: &str, now: Instant) {
    let Ok(mut last) = LAST_PROBLEM.lock() else {
        return;
    };
    let keep = last.as_ref().is_some_and(|old| {
        kind == UNREACHABLE && old.kind != UNREACHABLE && now.duration_since(old.at) < CAUSE_KEPT
    });
    if !keep {
        *last = Some(Problem {
            at: now,
            kind,
            text: format!("{kind}: {reason}"),
        });
    }
}

const UNREACHABLE: &str = "cannot reach the brokers";

/// What a client error says about the connection to the cluster, if anything. A failed
/// TLS handshake comes as a transport failure: its reason tells.
fn connection_problem(code: RDKafkaErrorCode, reason: &str) -> Option<&'static str> {
    let tls = [
        "SSL handshake failed",
        "certificate verify failed",
        "SSL alert",
    ];
    if tls.iter().any(|t| reason.contains(t)) && !reason.contains("SASL authentication") {
        return Some("TLS handshake failed");
    }
    match code {
        RDKafkaErrorCode::Authentication
        | RDKafkaErrorCode::SaslAuthenticationFailed
        | RDKafkaErrorCode::UnsupportedSASLMechanism => Some("authentication failed"),
        RDKafkaErrorCode::SSL => Some("TLS handshake failed"),
        RDKafkaErrorCode::BrokerTransportFailure
        | RDKafkaErrorCode::AllBrokersDown
        | RDKafkaErrorCode::Resolve => Some(UNREACHABLE),
        _ => None,
    }
}

/// The last connection problem seen within `within`, e.g. `authentication failed: ...`.
fn last_problem(within: Duration) -> Option<String> {
    let last = LAST_PROBLEM.lock().ok()?;
    let p = last.as_ref()?;
    (p.at.elapsed() <= within).then(|| p.text.clone())
}

/// `why` with the last connection problem seen within `within`, if there is one.
pub(crate) fn with_problem_within(why: &str, within: Duration) -> Option<String> {
    last_problem(within).map(|p| format!("{why} (last Kafka client error: {p})"))
}

/// `why`, with the last connection problem of the past minute when there is one.
pub(crate) fn with_last_problem(why: &str) -> String {
    with_problem_within(why, Duration::from_secs(60)).unwrap_or_else(|| why.to_string())
}

/// A client context that only throttles logs (the state reader, admin clients).
#[derive(Default)]
pub(crate) struct QuietContext {
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

/// For metadata reads through a producer client (it sends nothing).
impl rdkafka::producer::ProducerContext for QuietContext {
    type DeliveryOpaque = ();

    fn delivery(&self, _: &rdkafka::producer::DeliveryResult<'_>, _: ()) {}
}

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

    #[test]
    fn connection_problems_are_named_and_others_are_not() {
        assert_eq!(
            connection_problem(
                RDKafkaErrorCode::Authentication,
                "SASL authentication error"
            ),
            Some("authentication failed")
        );
        assert_eq!(
            connection_problem(RDKafkaErrorCode::SSL, ""),
            Some("TLS handshake failed")
        );
        assert_eq!(
            connection_problem(RDKafkaErrorCode::AllBrokersDown, "1/1 brokers are down"),
            Some("cannot reach the brokers")
        );
        assert_eq!(
            connection_problem(
                RDKafkaErrorCode::BrokerTransportFailure,
                "ssl://127.0.0.1:9095/bootstrap: SSL handshake failed: certificate verify failed"
            ),
            Some("TLS handshake failed")
        );
        assert_eq!(
            connection_problem(RDKafkaErrorCode::MessageTimedOut, ""),
            None
        );
        // "All brokers down" follows every refused connection: it does not hide the cause.
        let t0 = Instant::now();
        record_problem("authentication failed", "bad password", t0);
        record_problem(
            UNREACHABLE,
            "1/1 brokers are down",
            t0 + Duration::from_secs(1),
        );
        assert!(
            last_problem(Duration::from_secs(60))
                .unwrap()
                .starts_with("authentication failed")
        );
        let t = LogThrottle::default();
        t.error(
            &KafkaError::Global(RDKafkaErrorCode::Authentication),
            "SASL authentication error: invalid credentials",
        );
        assert!(
            with_last_problem("waiting for Kafka").contains(
                "waiting for Kafka (last Kafka client error: authentication failed: SASL authentication error"
            )
        );
    }
}
