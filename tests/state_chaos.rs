//! Exactly-once state on the real broker: 1,000,000 applications (and bad messages, and
//! applications of a level development never saw) on 6 partitions, psimon killed with
//! SIGKILL five times at random moments and restarted each time. At the end every window's
//! bin counts, PSI objects and new-level counts, and the dead-letter topic read
//! read_committed, equal those of an uninterrupted run over the same input.

mod common;

use std::time::{Duration, Instant};

use common::kafka::*;
use common::*;
use serde_json::Value;

const TOTAL_GOOD: u64 = 1_000_000;
const BAD_PER_BATCH: usize = 30;
const NEW_LEVEL: u64 = 3_000;

fn bad_messages(tag: &str) -> Vec<(String, String)> {
    (0..BAD_PER_BATCH)
        .map(|i| {
            let payload = match i % 3 {
                0 => format!("{{not json {tag}-{i}"),
                1 => format!("{{\"model\":\"retail_v3\",\"submitted_at\":\"{tag}-{i}\"}}"),
                _ => "[1,2,3]".to_string(),
            };
            (format!("bad-{tag}-{i}"), payload)
        })
        .collect()
}

fn produce_bad(topic: &str, tag: &str) {
    let msgs = bad_messages(tag);
    let refs: Vec<(&str, &str)> = msgs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    kcat_produce(topic, &refs);
}

#[test]
fn five_kill_9s_lose_nothing_and_count_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let base = built_baseline(dir.path());
    let topics = Topics::with_partitions("chaos", 6);
    let t0 = now_ms() - 20 * 60 * 1000;
    produce_bad(&topics.input, "a");
    loadgen(&topics.input, TOTAL_GOOD / 2, 0.0, 31, t0);
    produce_bad(&topics.input, "b");
    produce_new_level(&topics.input, NEW_LEVEL, "gig_worker", 33, t0 + 1_000);
    loadgen(
        &topics.input,
        TOTAL_GOOD / 2,
        0.5,
        32,
        t0 + (TOTAL_GOOD / 2) as i64,
    );
    let total = TOTAL_GOOD + NEW_LEVEL + 2 * BAD_PER_BATCH as u64;

    // The uninterrupted run, in a consumer group (and state topic) of its own.
    let ref_topics = topics.other_group("chaos-ref");
    let ref_dir = dir.path().join("ref");
    std::fs::create_dir_all(&ref_dir).unwrap();
    let port = free_port();
    let config = write_config(&ref_dir, &ref_topics, port, &base, "");
    let mut reference = Monitor::start(&config, port);
    wait_for(
        "the uninterrupted run to consume everything",
        Duration::from_secs(180),
        || metric(&reference.metrics(), "psimon_events_consumed_total") == Some(total as f64),
    );
    // A checkpoint, its read-back and an evaluation.
    std::thread::sleep(Duration::from_millis(3500));
    let expected = comparable(&reference.drift());
    reference.terminate();
    let window = &expected[0]["windows"][0];
    assert_eq!(
        window["applications"],
        Value::from(TOTAL_GOOD + NEW_LEVEL),
        "the reference holds every good event"
    );
    assert_eq!(window["new_levels"][0]["feature"], "employment_type");
    assert_eq!(window["new_levels"][0]["new"], NEW_LEVEL);

    // The same input, killed five times.
    let chaos_dir = dir.path().join("chaos");
    std::fs::create_dir_all(&chaos_dir).unwrap();
    let port = free_port();
    let config = write_config(&chaos_dir, &topics, port, &base, "");
    let env = [("PSIMON_KAFKA__INSTANCE_ID", "chaos-1")];
    let mut seed = (now_ms() as u64) | 1;
    eprintln!("kill moments seed: {seed}");
    let mut monitor = Monitor::spawn(&config, port, &env);
    monitor.wait_ready();
    let started = Instant::now();
    for kill in 1..=5 {
        let wait = Duration::from_millis(100 + xorshift(&mut seed) % 900);
        std::thread::sleep(wait);
        let counted = metric(&monitor.metrics(), "psimon_events_consumed_total").unwrap_or(0.0);
        eprintln!("kill -9 #{kill} after {wait:?} ({counted} consumed by this process)");
        monitor.kill9();
        monitor = Monitor::spawn(&config, port, &env);
        monitor.wait_ready();
    }
    let deadline = Instant::now() + Duration::from_secs(180);
    let (converged, last) = loop {
        let now = comparable(&monitor.drift());
        if now == expected || Instant::now() > deadline {
            break (now == expected, now);
        }
        std::thread::sleep(Duration::from_millis(300));
    };
    eprintln!(
        "chaos run converged {:.1} s after the first start",
        started.elapsed().as_secs_f64()
    );
    assert!(
        converged,
        "after 5 kill -9s the windows differ from the uninterrupted run's:\nexpected {}\ngot {}",
        expected[0]["windows"], last[0]["windows"]
    );
    // Nothing more arrives later (no double counting on the way).
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(comparable(&monitor.drift()), expected);
    monitor.terminate();

    let dlq_ref = dead_letters(&ref_topics.dlq);
    let dlq_chaos = dead_letters(&topics.dlq);
    assert_eq!(
        dlq_ref.len(),
        2 * BAD_PER_BATCH,
        "the reference dead-letters every bad message once"
    );
    assert_eq!(
        dlq_chaos, dlq_ref,
        "dead letters (read_committed) equal the uninterrupted run's"
    );
}
