//! The join store's changelog: a compacted topic `<group_id>.psimon-join`, partitioned as
//! the outcome topic, keyed by application id, each value an `Entry` (a tombstone once the
//! entry is gone). The consumer thread writes it inside the checkpoint transactions, so
//! what it holds, read `read_committed`, is exactly the store of the last checkpoint; this
//! module rebuilds one partition of the local store from it (after an unclean stop, a
//! rebalance or an aborted transaction), as Kafka Streams restores a state store.

use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};

use super::batch::{self, Key, Watermarks};
use super::store::{PendingStore, StoreError};
use crate::kafka::log::QuietContext;

/// The changelog topic of a consumer group.
pub fn changelog_topic(group_id: &str) -> String {
    format!("{group_id}.psimon-join")
}

#[derive(Debug, thiserror::Error)]
pub enum ChangelogError {
    #[error("join changelog {topic}[{partition}]: {source}")]
    Kafka {
        topic: String,
        partition: i32,
        source: rdkafka::error::KafkaError,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("join changelog {topic}[{partition}] at offset {offset}: {what}")]
    Damaged {
        topic: String,
        partition: i32,
        offset: i64,
        what: String,
    },
    #[error("join changelog {topic}[{partition}]: not read to its end within {waited:?}")]
    Timeout {
        topic: String,
        partition: i32,
        waited: Duration,
    },
}

/// What a restore read besides the entries.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Restored {
    /// Records applied.
    pub records: u64,
    /// The watermarks of the last checkpoint, if the changelog has them.
    pub watermarks: Option<Watermarks>,
    /// Batches whose applications are none of them pending any more.
    pub released: Vec<i64>,
}

/// Replaces `partition` of the store with the changelog's committed content.
pub fn restore_partition(
    base: &ClientConfig,
    topic: &str,
    partition: i32,
    store: &mut PendingStore,
    timeout: Duration,
) -> Result<Restored, ChangelogError> {
    let kafka = |source| ChangelogError::Kafka {
        topic: topic.to_string(),
        partition,
        source,
    };
    let mut cfg = base.clone();
    cfg.set("group.id", format!("{topic}.restore"))
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("isolation.level", "read_committed")
        .set("auto.offset.reset", "earliest")
        // A small prefetch: librdkafka's defaults (64 MiB queued, 100,000 messages) came
        // on top of the input's prefetch; the records are batches of up to 256 KiB, so a
        // few MiB keep the replay fed (measured: a million pending restored and the first
        // outcome joined 5.5-6 s after the process started, `scripts/join-throughput.sh`).
        .set("queued.max.messages.kbytes", "8192")
        .set("queued.min.messages", "64")
        .set("fetch.max.bytes", "4194304")
        .set("max.partition.fetch.bytes", "4194304");
    let consumer: BaseConsumer<QuietContext> = cfg
        .create_with_context(QuietContext::default())
        .map_err(kafka)?;
    // As a read_committed client, ListOffsets answers with the last stable offset.
    let mut query = TopicPartitionList::new();
    query
        .add_partition_offset(topic, partition, Offset::End)
        .map_err(kafka)?;
    let end = consumer
        .offsets_for_times(query, timeout)
        .map_err(kafka)?
        .elements()
        .first()
        .and_then(|e| match e.offset() {
            Offset::Offset(o) => Some(o),
            _ => None,
        })
        .unwrap_or(0);
    store.clear_partition(partition)?;
    let mut restored = Restored::default();
    if end <= 0 {
        return Ok(restored);
    }
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(topic, partition, Offset::Beginning)
        .map_err(kafka)?;
    consumer.assign(&tpl).map_err(kafka)?;
    let started = Instant::now();
    loop {
        match consumer.poll(Duration::from_millis(50)) {
            Some(Ok(msg)) => {
                let key = msg.key().unwrap_or_default();
                apply_record(store, partition, key, msg.payload(), &mut restored).map_err(
                    |what| ChangelogError::Damaged {
                        topic: topic.to_string(),
                        partition,
                        offset: msg.offset(),
                        what,
                    },
                )?;
                if msg.offset() + 1 >= end {
                    return Ok(restored);
                }
            }
            Some(Err(e)) => return Err(kafka(e)),
            None => {
                // The position also passes the transaction markers after the last record.
                let caught_up = consumer.position().is_ok_and(|pos| {
                    pos.elements()
                        .iter()
                        .any(|e| matches!(e.offset(), Offset::Offset(o) if o >= end))
                });
                if caught_up {
                    return Ok(restored);
                }
            }
        }
        if started.elapsed() >= timeout {
            return Err(ChangelogError::Timeout {
                topic: topic.to_string(),
                partition,
                waited: timeout,
            });
        }
    }
}

/// Applies one changelog record to the store (the restore's step; public for tests that
/// replay a changelog without a broker).
pub fn apply_record(
    store: &mut PendingStore,
    partition: i32,
    key: &[u8],
    value: Option<&[u8]>,
    restored: &mut Restored,
) -> Result<(), String> {
    restored.records += 1;
    let released = match (batch::key(key), value) {
        (Key::Id(id), value) => store
            .restore(partition, id, value)
            .map_err(|e| e.to_string())?,
        (Key::Batch(b), Some(v)) => {
            for (id, entry) in batch::decode_batch(v).map_err(|e| e.to_string())? {
                let r = store
                    .restore_batched(partition, b, id, entry)
                    .map_err(|e| e.to_string())?;
                restored.released.extend(r);
            }
            None
        }
        // A batch dropped: what it held has been joined or has expired, which the records
        // logged under their ids and the watermarks tell.
        (Key::Batch(_), None) => None,
        (Key::Watermarks, Some(v)) => {
            restored.watermarks = Some(Watermarks::decode(v).map_err(|e| e.to_string())?);
            None
        }
        (Key::Watermarks, None) => None,
        (Key::Unknown, _) => return Err("a record of a newer psimon".into()),
    };
    restored.released.extend(released);
    Ok(())
}
