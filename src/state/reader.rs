//! The thread that reads the whole state topic (read_committed, every partition, from the
//! beginning) into the global table, and tells when the table has caught up with what is
//! committed. Every instance runs one; evaluation and restore read the table, never the
//! consumer's live counts.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};
use thiserror::Error;
use tracing::{debug, warn};

use super::table::GlobalTable;
use crate::kafka::log::QuietContext;
use prometheus::{IntCounter, IntGauge};

#[derive(Debug, Error)]
pub(crate) enum ReaderError {
    #[error("reading the state topic {topic}: {source}")]
    Kafka { topic: String, source: KafkaError },
    #[error("the state topic {topic} was not read up to its committed end within {waited:?}")]
    Timeout { topic: String, waited: Duration },
}

/// The back-off before the `attempt`-th retry of a query: 100 ms doubling up to 3.2 s.
fn retry_after(attempt: u32) -> Duration {
    Duration::from_millis(100 << attempt.min(5))
}

pub(crate) struct StateReader {
    topic: String,
    partitions: i32,
    consumer: Arc<BaseConsumer<QuietContext>>,
    /// A second client for end-offset queries: the reading client's connection is busy
    /// with long-polling fetches (a broker answers one request per connection at a time).
    query: BaseConsumer<QuietContext>,
    table: Arc<RwLock<GlobalTable>>,
    /// Per state partition: the offset up to which records are applied to the table.
    applied: Arc<Mutex<HashMap<i32, i64>>>,
    stop: Arc<AtomicBool>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

/// What the reader counts: records applied, records refused, panes in the table.
#[derive(Clone)]
pub(crate) struct ReaderMetrics {
    pub(crate) records_read: IntCounter,
    pub(crate) records_invalid: IntCounter,
    pub(crate) table_panes: IntGauge,
}

impl StateReader {
    pub(crate) fn start(
        base: &ClientConfig,
        topic: &str,
        partitions: i32,
        metrics: ReaderMetrics,
    ) -> Result<Arc<Self>, ReaderError> {
        let kafka = |source| ReaderError::Kafka {
            topic: topic.to_string(),
            source,
        };
        let mut cfg = base.clone();
        cfg.set("group.id", format!("{topic}.reader"))
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("isolation.level", "read_committed")
            .set("auto.offset.reset", "earliest");
        let consumer: Arc<BaseConsumer<QuietContext>> = Arc::new(
            cfg.create_with_context(QuietContext::default())
                .map_err(kafka)?,
        );
        let query = cfg
            .create_with_context(QuietContext::default())
            .map_err(kafka)?;
        let mut tpl = TopicPartitionList::new();
        for p in 0..partitions {
            tpl.add_partition_offset(topic, p, Offset::Beginning)
                .map_err(kafka)?;
        }
        consumer.assign(&tpl).map_err(kafka)?;
        let reader = Arc::new(Self {
            topic: topic.to_string(),
            partitions,
            consumer,
            query,
            table: Arc::new(RwLock::new(GlobalTable::default())),
            applied: Arc::new(Mutex::new(HashMap::new())),
            stop: Arc::new(AtomicBool::new(false)),
            thread: Mutex::new(None),
        });
        let r = Arc::clone(&reader);
        let handle = std::thread::Builder::new()
            .name("psimon-state".into())
            .spawn(move || r.read_loop(&metrics))
            .map_err(|e| ReaderError::Kafka {
                topic: topic.to_string(),
                source: KafkaError::ClientCreation(e.to_string()),
            })?;
        *reader.thread.lock().unwrap_or_else(|e| e.into_inner()) = Some(handle);
        Ok(reader)
    }

    pub(crate) fn table(&self) -> &Arc<RwLock<GlobalTable>> {
        &self.table
    }

    pub(crate) fn topic(&self) -> &str {
        &self.topic
    }

    pub(crate) fn partitions(&self) -> i32 {
        self.partitions
    }

    fn read_loop(&self, metrics: &ReaderMetrics) {
        while !self.stop.load(Ordering::Relaxed) {
            match self.consumer.poll(Duration::from_millis(50)) {
                Some(Ok(msg)) => {
                    let key = msg.key().unwrap_or_default();
                    let result = match self.table.write() {
                        Ok(mut t) => t.apply(key, msg.payload()),
                        Err(_) => panic!("the global table's lock is poisoned"),
                    };
                    match result {
                        Ok(()) => metrics.records_read.inc(),
                        Err(e) => {
                            metrics.records_invalid.inc();
                            warn!(partition = msg.partition(), offset = msg.offset(), error = %e, "skipping a state record");
                        }
                    }
                    if let Ok(mut a) = self.applied.lock() {
                        a.insert(msg.partition(), msg.offset() + 1);
                    }
                }
                Some(Err(e)) => warn!(error = %e, "reading the state topic"),
                None => {
                    // Idle: everything fetched is applied; the position also covers the
                    // transaction markers that follow the last record.
                    if let (Ok(pos), Ok(mut a)) = (self.consumer.position(), self.applied.lock()) {
                        for e in pos.elements() {
                            if let Offset::Offset(o) = e.offset() {
                                let v = a.entry(e.partition()).or_insert(o);
                                *v = (*v).max(o);
                            }
                        }
                    }
                    if let Ok(t) = self.table.read() {
                        metrics.table_panes.set(t.pane_count() as i64);
                    }
                }
            }
        }
    }

    /// Waits until the table holds everything committed to the state topic at the time of
    /// the call (its last stable offsets).
    pub(crate) fn wait_caught_up(&self, timeout: Duration) -> Result<(), ReaderError> {
        let start = Instant::now();
        // One ListOffsets request for every partition (timestamp -1: the end); as a
        // read_committed client it answers with the last stable offsets.
        let mut query = TopicPartitionList::new();
        for p in 0..self.partitions {
            let _ = query.add_partition_offset(&self.topic, p, Offset::End);
        }
        let kafka = |source| ReaderError::Kafka {
            topic: self.topic.clone(),
            source,
        };
        // A broker failing over answers with transient errors (unknown partition, no
        // leader, transport): asked again until the time-out, never a failure on the spot.
        let mut attempt = 0;
        let ends = loop {
            let left = timeout.saturating_sub(start.elapsed());
            match self.end_offsets(query.clone(), left.max(Duration::from_millis(100))) {
                Ok(ends) => break ends,
                Err(e) if start.elapsed() + retry_after(attempt) < timeout => {
                    debug!(error = %e, attempt, "asking for the state topic's end offsets again");
                    std::thread::sleep(retry_after(attempt));
                    attempt += 1;
                }
                Err(e) => return Err(kafka(e)),
            }
        };
        let queried = start.elapsed();
        loop {
            let done = self.applied.lock().is_ok_and(|a| {
                ends.iter()
                    .all(|(p, end)| *end <= 0 || a.get(p).is_some_and(|o| o >= end))
            });
            if done {
                debug!(ends = ?ends, query_ms = queried.as_millis() as u64, total_ms = start.elapsed().as_millis() as u64, "state table caught up");
                return Ok(());
            }
            if start.elapsed() >= timeout {
                return Err(ReaderError::Timeout {
                    topic: self.topic.clone(),
                    waited: timeout,
                });
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// The last stable offset of every partition in `query`.
    fn end_offsets(
        &self,
        query: TopicPartitionList,
        timeout: Duration,
    ) -> Result<Vec<(i32, i64)>, KafkaError> {
        let answer = self.query.offsets_for_times(query, timeout)?;
        let mut ends = Vec::with_capacity(self.partitions as usize);
        for e in answer.elements() {
            e.error()?;
            match e.offset() {
                Offset::Offset(o) => ends.push((e.partition(), o)),
                other => ends.push((
                    e.partition(),
                    if other == Offset::End { i64::MAX } else { 0 },
                )),
            }
        }
        Ok(ends)
    }

    /// Whether the broker answers a metadata request within `timeout`.
    pub(crate) fn broker_reachable(&self, timeout: Duration) -> bool {
        self.query
            .fetch_metadata(Some(&self.topic), timeout)
            .is_ok()
    }

    /// Whether the reading thread has ended (it only does when stopped or on a panic).
    pub(crate) fn is_finished(&self) -> bool {
        self.thread
            .lock()
            .ok()
            .is_some_and(|t| t.as_ref().is_some_and(JoinHandle::is_finished))
    }

    pub(crate) fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.thread.lock().ok().and_then(|mut t| t.take()) {
            let _ = h.join();
        }
    }
}
