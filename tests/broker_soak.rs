//! The single-broker soak of issue 16, run by hand (ignored by default): one broker,
//! restarted (kill -9, then started on its data) `ROUNDS` times and frozen with SIGSTOP
//! for longer than the consumer's session time-out `ROUNDS` times, at random moments,
//! while applications stream in. psimon must never exit, must count again within a minute
//! of every recovery (no stall), and at the end its windows and dead letters equal an
//! uninterrupted run's.
//!
//! ```sh
//! PSIMON_CLUSTER_NODES=1 PSIMON_CLUSTER_PORT=19192 scripts/kafka-cluster.sh start
//! cargo test --release --test broker_soak -- --ignored --nocapture
//! PSIMON_CLUSTER_NODES=1 PSIMON_CLUSTER_PORT=19192 scripts/kafka-cluster.sh stop
//! ```
//! `PSIMON_SOAK_ROUNDS` (default 10) sets the number of restarts and of freezes.

mod common;

use std::time::{Duration, Instant};

use common::cluster::*;
use common::kafka::*;
use common::*;

/// The consumer's session time-out in this test (a freeze must outlast it).
const SESSION_MS: u64 = 10_000;

/// A kept directory (`Path` access like a `TempDir`).
struct KeepDir(std::path::PathBuf);

impl KeepDir {
    fn path(&self) -> &std::path::Path {
        &self.0
    }
}

/// Messages in the input topic (the sum of its partitions' high watermarks).
fn input_size(topic: &str) -> i64 {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    let c: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", brokers())
        .create()
        .unwrap();
    (0..3)
        .filter_map(|p| c.fetch_watermarks(topic, p, Duration::from_secs(5)).ok())
        .map(|(_, high)| high)
        .sum()
}

fn consumed(m: &Monitor) -> f64 {
    metric(&m.metrics(), "psimon_events_consumed_total").unwrap_or(0.0)
}

#[test]
#[ignore = "a soak of several minutes on its own single-node cluster; run by hand"]
fn broker_restarts_and_freezes_never_stop_psimon() {
    let cluster = Cluster::with_env(&[
        ("PSIMON_CLUSTER_NODES", "1"),
        ("PSIMON_CLUSTER_PORT", "19192"),
    ]);
    use_brokers(&cluster.brokers);
    let rounds: u64 = std::env::var("PSIMON_SOAK_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    // Kept after the run (its psimon log is `psimon.log` there): a soak's failure is read
    // from the log.
    let dir = tempfile::tempdir().unwrap();
    eprintln!("files and log in {}", dir.path().display());
    let dir = KeepDir(dir.keep());
    let base = built_baseline(dir.path());
    let topics = Topics::with_partitions("soak", 3);
    let extra = format!("\n[kafka.properties]\n\"session.timeout.ms\" = \"{SESSION_MS}\"\n");
    let port = free_port();
    let config = write_config(dir.path(), &topics, port, &base, &extra);
    let mut monitor = Monitor::spawn(&config, port, &[("PSIMON_KAFKA__INSTANCE_ID", "soak-1")]);
    monitor.wait_ready();
    let mut seed = (now_ms() as u64) | 1;
    eprintln!("seed {seed}, {rounds} restarts and {rounds} freezes");
    // 1,000 applications per second for the whole soak.
    let count = 1_000 * (rounds * 2 * 30 + 30);
    let input = topics.input.clone();
    let t0 = now_ms() - 60_000;
    let producer = std::thread::spawn(move || loadgen_at_rate(&input, count, 0.0, 51, t0, 1_000));
    let started = Instant::now();
    for round in 1..=rounds * 2 {
        let wait = Duration::from_millis(3_000 + xorshift(&mut seed) % 15_000);
        let until = Instant::now() + wait;
        while Instant::now() < until {
            monitor.assert_alive("between failures");
            std::thread::sleep(Duration::from_millis(200));
        }
        let before = consumed(&monitor);
        if round % 2 == 1 {
            eprintln!(
                "{:>5.0} s: kill -9 and restart of the broker",
                started.elapsed().as_secs_f64()
            );
            cluster.kill(1);
            std::thread::sleep(Duration::from_millis(xorshift(&mut seed) % 5_000));
            cluster.restart(1);
        } else {
            let frozen = Duration::from_millis(SESSION_MS + 2_000 + xorshift(&mut seed) % 5_000);
            eprintln!(
                "{:>5.0} s: SIGSTOP of the broker for {frozen:?}",
                started.elapsed().as_secs_f64()
            );
            cluster.freeze(1);
            std::thread::sleep(frozen);
            cluster.thaw(1);
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        while consumed(&monitor) <= before {
            monitor.assert_alive("after a broker failure");
            assert!(
                Instant::now() < deadline,
                "psimon stalled: nothing consumed within 60 s of the broker's recovery ({} consumed, {} in the input topic; /readyz {:?}; log {})",
                consumed(&monitor),
                input_size(&topics.input),
                http_get(port, "/readyz"),
                config.with_extension("log").display()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
    producer
        .join()
        .expect("loadgen rode out the broker failures");
    let total = count as f64;
    let deadline = Instant::now() + Duration::from_secs(240);
    while consumed(&monitor) < total && Instant::now() < deadline {
        monitor.assert_alive("while catching up");
        std::thread::sleep(Duration::from_millis(300));
    }
    // The uninterrupted run.
    let ref_topics = topics.other_group("soak-ref");
    let ref_dir = dir.path().join("ref");
    std::fs::create_dir_all(&ref_dir).unwrap();
    let ref_port = free_port();
    let ref_config = write_config(&ref_dir, &ref_topics, ref_port, &base, "");
    let mut reference = Monitor::start(&ref_config, ref_port);
    wait_for(
        "the reference to consume all",
        Duration::from_secs(240),
        || consumed(&reference) == total,
    );
    std::thread::sleep(Duration::from_millis(3500));
    let expected = comparable(&reference.drift());
    let deadline = Instant::now() + Duration::from_secs(120);
    while comparable(&monitor.drift()) != expected && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(300));
    }
    let m = monitor.metrics();
    eprintln!(
        "after {:.0} s: worker restarts fenced {:?} failed {:?}, transactions aborted {:?}",
        started.elapsed().as_secs_f64(),
        metric(&m, "psimon_worker_restarts_total{cause=\"fenced\"}"),
        metric(&m, "psimon_worker_restarts_total{cause=\"failed\"}"),
        metric(&m, "psimon_transactions_total{result=\"aborted\"}"),
    );
    assert_eq!(
        comparable(&monitor.drift()),
        expected,
        "the windows equal the uninterrupted run's"
    );
    monitor.assert_alive("at the end");
    monitor.terminate();
    reference.terminate();
}
