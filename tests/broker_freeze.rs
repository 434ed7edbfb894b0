//! Readiness follows the broker's reachability with or without traffic: with the broker
//! frozen (SIGSTOP) `/readyz` turns 503 and `/livez` stays 200; once it is thawed
//! `/readyz` is 200 again without a single message. The only test of this binary, as it
//! freezes the shared broker of `scripts/kafka.sh`.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::kafka::*;
use common::*;

/// Thaws the broker whatever happens to the test.
struct Thaw(String);

impl Drop for Thaw {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-CONT", &self.0]).status();
    }
}

fn broker_pid() -> String {
    let home = std::env::var("PSIMON_KAFKA_HOME")
        .unwrap_or_else(|_| format!("{}/.cache/psimon", std::env::var("HOME").unwrap()));
    let port = brokers().rsplit(':').next().unwrap().to_string();
    let file = format!("{home}/run-{port}/broker.pid");
    std::fs::read_to_string(&file)
        .unwrap_or_else(|e| panic!("{file}: {e}; this test needs the broker of scripts/kafka.sh"))
        .trim()
        .to_string()
}

fn status(port: u16, path: &str) -> Option<u16> {
    http_get(port, path).map(|(s, _)| s)
}

#[test]
fn readiness_follows_a_frozen_broker_without_traffic() {
    let dir = tempfile::tempdir().unwrap();
    let dev = generate(dir.path(), "dev.csv", 5_000, 0.0, 1);
    let base = dir.path().join("built-baseline.json");
    stumps_baseline(&dev, &base);
    let topics = Topics::new("freeze");
    let port = free_port();
    let config = write_config(dir.path(), &topics, port, &base, "");
    let mut monitor = Monitor::start(&config, port);

    let pid = broker_pid();
    let thaw = Thaw(pid.clone());
    assert!(
        Command::new("kill")
            .args(["-STOP", &pid])
            .status()
            .unwrap()
            .success()
    );
    let frozen = Instant::now();
    wait_for(
        "/readyz 503 with the broker frozen",
        Duration::from_secs(15),
        || status(port, "/readyz") == Some(503),
    );
    eprintln!(
        "not ready {:.1} s after the freeze",
        frozen.elapsed().as_secs_f64()
    );
    assert_eq!(status(port, "/livez"), Some(200), "alive all the same");
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        status(port, "/readyz"),
        Some(503),
        "stays not ready while frozen"
    );

    drop(thaw);
    let thawed = Instant::now();
    wait_for(
        "/readyz 200 after the thaw, with no traffic",
        Duration::from_secs(20),
        || status(port, "/readyz") == Some(200),
    );
    eprintln!(
        "ready {:.1} s after the thaw",
        thawed.elapsed().as_secs_f64()
    );
    assert_eq!(
        metric(&monitor.metrics(), "psimon_events_consumed_total"),
        Some(0.0)
    );
    monitor.terminate();
}
