//! Scale-out on the real broker: three replicas in one group on six partitions, each
//! restarted (SIGTERM, start) while traffic flows. Every replica's `/api/v1/drift` equals a
//! single instance's over the same events; exactly one replica publishes drift events, and
//! each transition is published once (a duplicate would carry the same id).

mod common;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::kafka::*;
use common::*;
use serde_json::Value;

struct Replica {
    config: PathBuf,
    port: u16,
    id: String,
    monitor: Monitor,
}

impl Replica {
    fn start(dir: &Path, topics: &Topics, base: &Path, id: &str) -> Self {
        let d = dir.join(id);
        std::fs::create_dir_all(&d).unwrap();
        let port = free_port();
        let config = write_config(&d, topics, port, base, "");
        let monitor = Monitor::spawn(&config, port, &[("PSIMON_KAFKA__INSTANCE_ID", id)]);
        Self {
            config,
            port,
            id: id.to_string(),
            monitor,
        }
    }

    fn restart(&mut self) {
        self.monitor.terminate();
        self.monitor = Monitor::spawn(
            &self.config,
            self.port,
            &[("PSIMON_KAFKA__INSTANCE_ID", &self.id)],
        );
        self.monitor.wait_ready();
    }
}

#[test]
fn three_replicas_through_a_rolling_restart_report_what_one_instance_reports() {
    let dir = tempfile::tempdir().unwrap();
    let base = built_baseline(dir.path());
    let topics = Topics::with_partitions("scale", 6);
    let mut replicas: Vec<Replica> = ["a", "b", "c"]
        .iter()
        .map(|id| Replica::start(dir.path(), &topics, &base, id))
        .collect();
    for r in &replicas {
        r.monitor.wait_ready();
    }

    // 100,000 applications like development, then 200,000 shifted ones, at 40,000/s.
    let t0 = now_ms() - 30 * 60 * 1000;
    let input = topics.input.clone();
    let traffic = std::thread::spawn(move || {
        loadgen_at_rate(&input, 100_000, 0.0, 41, t0, 40_000);
        loadgen_at_rate(&input, 200_000, 1.0, 42, t0 + 100_000, 40_000);
    });
    for r in &mut replicas {
        std::thread::sleep(Duration::from_millis(1200));
        r.restart();
    }
    traffic.join().unwrap();

    // One instance of another group over the same input.
    let ref_topics = topics.other_group("scale-ref");
    let ref_dir = dir.path().join("ref");
    std::fs::create_dir_all(&ref_dir).unwrap();
    let port = free_port();
    let config = write_config(&ref_dir, &ref_topics, port, &base, "");
    let mut single = Monitor::start(&config, port);
    wait_for(
        "the single instance to consume everything",
        Duration::from_secs(120),
        || metric(&single.metrics(), "psimon_events_consumed_total") == Some(300_000.0),
    );
    std::thread::sleep(Duration::from_millis(3500));
    let expected = comparable(&single.drift());
    single.terminate();
    assert_eq!(
        expected[0]["windows"][0]["applications"],
        Value::from(300_000)
    );

    for r in &replicas {
        let mut last = Value::Null;
        let same = (0..300).any(|_| {
            last = comparable(&r.monitor.drift());
            let done = last == expected;
            if !done {
                std::thread::sleep(Duration::from_millis(200));
            }
            done
        });
        assert!(
            same,
            "replica {} differs from the single instance:\nexpected {}\ngot {}",
            r.id, expected[0]["windows"], last[0]["windows"]
        );
    }
    let publishers: f64 = replicas
        .iter()
        .map(|r| metric(&r.monitor.metrics(), "psimon_drift_publisher").unwrap_or(0.0))
        .sum();
    assert_eq!(
        publishers, 1.0,
        "exactly one replica publishes drift events"
    );

    // Each transition once: per subject, deduplicated by id, states form one chain.
    let events: Vec<Value> = kcat_read(&topics.drift, "%s\n")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        events
            .iter()
            .any(|e| e["subject"].as_str().unwrap().contains("bureau_score")),
        "the shift of bureau_score is published"
    );
    let mut seen = HashSet::new();
    let mut last_state: HashMap<String, String> = HashMap::new();
    for e in &events {
        let id = e["id"].as_str().unwrap().to_string();
        if !seen.insert(id.clone()) {
            continue; // a duplicate with the same id: consumers drop it
        }
        let subject = e["subject"].as_str().unwrap().to_string();
        let (prev, state) = (
            e["data"]["previous_state"].as_str().unwrap(),
            e["data"]["state"].as_str().unwrap(),
        );
        let before = last_state.get(&subject).map_or("ok", String::as_str);
        assert_eq!(
            prev, before,
            "{subject}: transition {prev} -> {state} (id {id}) after {before}: published twice under different ids"
        );
        last_state.insert(subject, state.to_string());
    }
    for r in &mut replicas {
        r.monitor.terminate();
    }
}
