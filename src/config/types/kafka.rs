//! `[kafka]`: brokers, topics, group, workers, fetch and message bounds, librdkafka properties.

use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KafkaConfig {
    /// `bootstrap.servers`.
    pub brokers: String,
    #[serde(default = "default_group")]
    pub group_id: String,
    pub input_topics: Vec<String>,
    pub drift_topic: String,
    pub dead_letter_topic: String,
    /// Larger payloads are dead-lettered as `oversized`.
    #[serde(default = "default_max_bytes")]
    pub max_message_bytes: usize,
    /// Dead letters larger than this (key, payload and headers) carry a truncated payload
    /// and the header `psimon.original.size`; keep it within the dead-letter topic's
    /// `max.message.bytes` and the producer's `message.max.bytes`.
    #[serde(default = "default_dlq_max_bytes")]
    pub dead_letter_max_bytes: usize,
    /// This instance's stable name: `group.instance.id` (static membership) and the base of
    /// `transactional.id`. Default: the host name (the pod name in Kubernetes). Two live
    /// instances must never share it.
    #[serde(default)]
    pub instance_id: Option<String>,
    /// Bytes of messages the consumer may hold fetched ahead of counting, over all its
    /// partitions: the bound on memory whatever the backlog (`pipeline::fetch` turns it into
    /// librdkafka's queue and fetch sizes).
    #[serde(default = "default_prefetch_bytes")]
    pub prefetch_bytes: u64,
    /// Counting threads, each a consumer group member owning its partitions; default one
    /// per core, at most one per input partition.
    #[serde(default)]
    pub workers: Option<usize>,
    /// librdkafka properties, passed through unchanged (SASL, SSL, fetch sizes ...).
    #[serde(default)]
    pub properties: BTreeMap<String, String>,
    /// librdkafka properties whose value is read from a file (a mounted Secret): property
    /// name to path; the content, one trailing newline removed, is the value. Read by the
    /// shell when the config is loaded (`cli::config_secrets`).
    #[serde(default)]
    pub secret_files: BTreeMap<String, std::path::PathBuf>,
}

fn default_group() -> String {
    "psimon".into()
}

/// `[kafka] prefetch_bytes` by default: 64 MiB ahead. Measured with
/// `PARTITIONS=12 scripts/join-throughput.sh 2000000` (small events, one core): peak
/// resident memory 101 MiB counting, 201 MiB restoring 2,000,000 pending applications and
/// joining their outcomes, at the rates of 96 MiB (whose peaks were 146 and 263 MiB);
/// 32 MiB gave 69 and 160 MiB, 5-7% slower.
pub const DEFAULT_PREFETCH_BYTES: u64 = 64 << 20;

fn default_prefetch_bytes() -> u64 {
    DEFAULT_PREFETCH_BYTES
}

fn default_max_bytes() -> usize {
    1 << 20
}

fn default_dlq_max_bytes() -> usize {
    1_000_000
}
