//! `[kafka] workers`: one process counting with several consumer group members (each its
//! own transactional id and partitions) gives the windows of a one-worker run on the same
//! input, also when it is killed with SIGKILL while events stream in and restarted.

mod common;

use std::time::Duration;

use common::kafka::*;
use common::*;

const HALF: u64 = 100_000;

#[test]
fn three_workers_count_what_one_counts_through_a_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let base = built_baseline(dir.path());
    let topics = Topics::with_partitions("workers", 4);
    let t0 = now_ms() - 10 * 60 * 1000;
    loadgen(&topics.input, HALF, 0.0, 41, t0);

    // Three workers; the second half streams in at 25,000/s and the process is killed
    // with SIGKILL in the middle of it.
    let three_dir = dir.path().join("three");
    std::fs::create_dir_all(&three_dir).unwrap();
    let port = free_port();
    let config = write_config(&three_dir, &topics, port, &base, "");
    let env = [
        ("PSIMON_KAFKA__WORKERS", "3"),
        ("PSIMON_KAFKA__INSTANCE_ID", "workers-1"),
    ];
    let mut three = Monitor::spawn(&config, port, &env);
    three.wait_ready();
    wait_for(
        "all four partitions assigned",
        Duration::from_secs(60),
        || metric(&three.metrics(), "psimon_assigned_partitions") == Some(4.0),
    );
    let input = topics.input.clone();
    let producer = std::thread::spawn(move || {
        loadgen_at_rate(&input, HALF, 0.4, 42, t0 + HALF as i64, 25_000)
    });
    wait_for("the stream half counted", Duration::from_secs(60), || {
        metric(&three.metrics(), "psimon_events_counted_total")
            .is_some_and(|n| n > (HALF + HALF / 2) as f64)
    });
    three.kill9();
    let three = Monitor::spawn(&config, port, &env);
    producer.join().unwrap();
    three.wait_ready();

    // One worker over the same input, in a group of its own.
    let one_topics = topics.other_group("workers-one");
    let one_dir = dir.path().join("one");
    std::fs::create_dir_all(&one_dir).unwrap();
    let one_port = free_port();
    let one_config = write_config(&one_dir, &one_topics, one_port, &base, "");
    let mut one = Monitor::spawn(&one_config, one_port, &[("PSIMON_KAFKA__WORKERS", "1")]);
    one.wait_ready();
    wait_for(
        "one worker to count everything",
        Duration::from_secs(120),
        || metric(&one.metrics(), "psimon_events_counted_total") == Some((2 * HALF) as f64),
    );
    std::thread::sleep(Duration::from_millis(3500));
    let expected = comparable(&one.drift());
    one.terminate();
    assert_eq!(
        expected[0]["windows"][0]["applications"],
        serde_json::Value::from(2 * HALF)
    );

    let mut last = serde_json::Value::Null;
    let converged = (0..400).any(|_| {
        std::thread::sleep(Duration::from_millis(300));
        last = comparable(&three.drift());
        last == expected
    });
    assert!(
        converged,
        "three workers after a kill -9 differ from one worker:\nexpected {}\ngot {}",
        expected[0]["windows"], last[0]["windows"]
    );
}
