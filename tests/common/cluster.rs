//! The local cluster of `scripts/kafka-cluster.sh` for the failover tests: its brokers,
//! killing, restarting, freezing and thawing a node, and finding which node leads a
//! partition or coordinates a transactional id or a group (as the brokers compute it:
//! Java's `String.hashCode`, made non-negative, modulo the internal topic's 50 partitions).
#![allow(dead_code)]

use std::process::Command;
use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};

fn script(env: &[(&str, &str)], args: &[&str]) -> String {
    let root = env!("CARGO_MANIFEST_DIR");
    let out = Command::new(format!("{root}/scripts/kafka-cluster.sh"))
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("scripts/kafka-cluster.sh runs");
    assert!(
        out.status.success(),
        "scripts/kafka-cluster.sh {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A cluster started by `scripts/kafka-cluster.sh start` with `env` (its port and nodes).
pub struct Cluster {
    env: Vec<(String, String)>,
    pub brokers: String,
}

impl Cluster {
    /// The cluster with the script's defaults (three nodes from port 19092), which must be
    /// running: `scripts/test.sh` starts it.
    pub fn running() -> Self {
        Self::with_env(&[])
    }

    pub fn with_env(env: &[(&str, &str)]) -> Self {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let c = Self {
            brokers: String::new(),
            env,
        };
        let status = Command::new(format!(
            "{}/scripts/kafka-cluster.sh",
            env!("CARGO_MANIFEST_DIR")
        ))
        .arg("status")
        .envs(c.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .status()
        .unwrap();
        assert!(
            status.success(),
            "no local Kafka cluster: start it with `scripts/kafka-cluster.sh start` (the README's test command does)"
        );
        let brokers = c.run(&["brokers"]);
        Self { brokers, ..c }
    }

    fn run(&self, args: &[&str]) -> String {
        let env: Vec<(&str, &str)> = self
            .env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        script(&env, args)
    }

    pub fn nodes(&self) -> i32 {
        self.brokers.split(',').count() as i32
    }

    pub fn kill(&self, node: i32) {
        self.run(&["kill", &node.to_string()]);
    }

    /// Starts a killed node again on its data and waits until it answers.
    pub fn restart(&self, node: i32) {
        self.run(&["restart", &node.to_string()]);
    }

    pub fn freeze(&self, node: i32) {
        self.run(&["freeze", &node.to_string()]);
    }

    pub fn thaw(&self, node: i32) {
        self.run(&["thaw", &node.to_string()]);
    }

    /// The node leading `topic`/`partition` (asked until a leader is known).
    pub fn leader(&self, topic: &str, partition: i32) -> i32 {
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", &self.brokers)
            .create()
            .unwrap();
        let start = Instant::now();
        loop {
            let leader = consumer
                .fetch_metadata(Some(topic), Duration::from_secs(5))
                .ok()
                .and_then(|m| {
                    m.topics().first().and_then(|t| {
                        t.partitions()
                            .iter()
                            .find(|p| p.id() == partition)
                            .map(|p| p.leader())
                    })
                })
                .filter(|l| *l > 0);
            if let Some(l) = leader {
                return l;
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "no leader of {topic}/{partition} within 60 s"
            );
            std::thread::sleep(Duration::from_millis(300));
        }
    }

    /// The transaction coordinator of `transactional_id`.
    pub fn txn_coordinator(&self, transactional_id: &str) -> i32 {
        self.leader("__transaction_state", internal_partition(transactional_id))
    }

    /// The group coordinator of `group`.
    pub fn group_coordinator(&self, group: &str) -> i32 {
        self.leader("__consumer_offsets", internal_partition(group))
    }
}

/// The partition of `__transaction_state` or `__consumer_offsets` for an id: Java's
/// `Utils.abs(id.hashCode()) % 50`.
pub fn internal_partition(id: &str) -> i32 {
    let hash = id
        .encode_utf16()
        .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)));
    (hash & 0x7fff_ffff) % 50
}
