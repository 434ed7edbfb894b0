//! What the owner talks to, as traits: its transactional sink (the producer of state,
//! dead letters, drift events and offsets), the consumer's positions and group, and the
//! global state table it restores from. The real ones are `TxnProducer`, `BaseConsumer`
//! and `StateReader`; the owner's tests put a fake log in their place (committed records
//! applied to a table, aborted ones dropped) and drive the exactly-once rules without a
//! broker, as Kafka Streams' TopologyTestDriver does. No logic lives here.

use std::sync::RwLock;
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext, ConsumerGroupMetadata};
use rdkafka::error::KafkaError;
use rdkafka::{Offset, TopicPartitionList};

use super::txn_error::{Source, TxnError};
use crate::state::reader::StateReader;
use crate::state::table::GlobalTable;

/// One transaction at a time: records go in, then `commit` with the consumed offsets, or
/// `abort`.
pub(crate) trait TxnSink {
    /// What identifies the consumer group member whose offsets are committed.
    type Group;
    fn is_open(&self) -> bool;
    /// A state record (`None`: a tombstone) for state partition `partition`.
    fn state(&mut self, partition: i32, key: &str, value: Option<&[u8]>) -> Result<(), TxnError>;
    fn changelog(
        &mut self,
        topic: &str,
        partition: i32,
        key: &[u8],
        value: Option<&[u8]>,
    ) -> Result<(), TxnError>;
    fn forward(
        &mut self,
        topic: &str,
        partition: i32,
        key: &[u8],
        payload: &[u8],
        timestamp_ms: i64,
    ) -> Result<(), TxnError>;
    fn dead_letter(
        &mut self,
        key: Option<&[u8]>,
        payload: Option<&[u8]>,
        reason: &str,
        detail: &str,
        src: &Source<'_>,
    ) -> Result<(), TxnError>;
    fn drift_event(&mut self, key: &str, json: &str) -> Result<(), TxnError>;
    fn commit(&mut self, offsets: TopicPartitionList, group: Self::Group) -> Result<(), TxnError>;
    fn abort(&mut self) -> Result<(), TxnError>;
}

/// The consumer's side: its group metadata and where it reads.
pub(crate) trait Positions<G> {
    /// `None` when the consumer is not (any more) in a group.
    fn group(&self) -> Option<G>;
    fn seek(&self, topic: &str, partition: i32, offset: Offset) -> Result<(), KafkaError>;
    /// The group's committed offset of a partition, if any.
    fn committed(&self, topic: &str, partition: i32) -> Option<Offset>;
}

impl<C: ConsumerContext> Positions<ConsumerGroupMetadata> for BaseConsumer<C> {
    fn group(&self) -> Option<ConsumerGroupMetadata> {
        self.group_metadata()
    }

    fn seek(&self, topic: &str, partition: i32, offset: Offset) -> Result<(), KafkaError> {
        Consumer::seek(self, topic, partition, offset, Duration::from_secs(10))
    }

    fn committed(&self, topic: &str, partition: i32) -> Option<Offset> {
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition(topic, partition);
        self.committed_offsets(tpl, Duration::from_secs(10))
            .ok()
            .and_then(|t| t.find_partition(topic, partition).map(|e| e.offset()))
    }
}

/// The global table of everything committed to the state topic.
pub(crate) trait StateSource {
    /// The state topic's partition count.
    fn partitions(&self) -> i32;
    /// Waits until the table holds everything committed so far.
    fn wait_caught_up(&self, timeout: Duration) -> Result<(), String>;
    fn table(&self) -> &RwLock<GlobalTable>;
}

impl StateSource for StateReader {
    fn partitions(&self) -> i32 {
        StateReader::partitions(self)
    }

    fn wait_caught_up(&self, timeout: Duration) -> Result<(), String> {
        StateReader::wait_caught_up(self, timeout).map_err(|e| e.to_string())
    }

    fn table(&self) -> &RwLock<GlobalTable> {
        StateReader::table(self)
    }
}
