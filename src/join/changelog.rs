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
    #[error("join changelog {topic}[{partition}]: not read to its end within {waited:?}")]
    Timeout {
        topic: String,
        partition: i32,
        waited: Duration,
    },
}

/// Replaces `partition` of the store with the changelog's committed content. Returns the
/// records applied.
pub fn restore_partition(
    base: &ClientConfig,
    topic: &str,
    partition: i32,
    store: &PendingStore,
    timeout: Duration,
) -> Result<u64, ChangelogError> {
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
        .set("auto.offset.reset", "earliest");
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
    if end <= 0 {
        return Ok(0);
    }
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(topic, partition, Offset::Beginning)
        .map_err(kafka)?;
    consumer.assign(&tpl).map_err(kafka)?;
    let started = Instant::now();
    let mut applied = 0u64;
    loop {
        match consumer.poll(Duration::from_millis(50)) {
            Some(Ok(msg)) => {
                let id = msg.key().unwrap_or_default();
                store.restore(partition, id, msg.payload())?;
                applied += 1;
                if msg.offset() + 1 >= end {
                    return Ok(applied);
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
                    return Ok(applied);
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
