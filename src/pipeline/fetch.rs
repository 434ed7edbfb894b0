//! How much the consumer fetches ahead: `[kafka] prefetch_bytes` turned into librdkafka's
//! settings. librdkafka holds fetched messages in one queue per consumer, bounded by
//! `queued.max.messages.kbytes` (payload bytes) and per partition by `queued.min.messages`
//! (a count), and may exceed the byte bound by one fetch response (`fetch.max.bytes`).
//! Each queued message also costs librdkafka bookkeeping the byte bound does not see, and a
//! fetched buffer lives until its last message is consumed: measured on 2,000,000 small
//! events (260 bytes, 12 partitions), resident memory grew by about 2.9 bytes per byte of
//! queue-and-fetch budget, and more with larger fetches of smaller messages. So the budget
//! librdkafka is given is a third of `prefetch_bytes`, in fetches of at most 1 MiB per
//! partition, and `prefetch_bytes` bounds what the prefetch really holds. Pure.

pub use crate::config::DEFAULT_PREFETCH_BYTES;

/// Bytes a queued message is assumed to take at least (payload and bookkeeping), for the
/// per-partition count bound.
const MESSAGE_FLOOR_BYTES: u64 = 512;

/// The librdkafka settings for `prefetch_bytes` over `partitions` assigned partitions
/// (`partitions` unknown before assignment: the subscription's partition count).
pub fn prefetch_settings(prefetch_bytes: u64, partitions: u64) -> Vec<(&'static str, String)> {
    let bytes = prefetch_bytes.max(1 << 20);
    // A sixth for the queue, a twelfth for one fetch response in flight: a third in all,
    // which the measured overhead turns into about the whole of `prefetch_bytes`.
    let queue = bytes / 6;
    let queue_kbytes = (queue / 1024).max(1);
    let fetch = (bytes / 12).clamp(64 << 10, 50 << 20);
    // At most 1 MiB per partition and response: the fetched messages' bookkeeping is what
    // outgrows the byte bounds (1,000,000 outcomes of ~100 bytes, one partition: peak 246 MiB
    // with 8 MiB fetches, 76 MiB with 1 MiB, at the same rate).
    let partition_fetch = (bytes / 64).clamp(64 << 10, 1 << 20);
    let per_partition_messages = (queue / MESSAGE_FLOOR_BYTES / partitions.max(1)).max(1000);
    vec![
        ("queued.max.messages.kbytes", queue_kbytes.to_string()),
        ("queued.min.messages", per_partition_messages.to_string()),
        ("fetch.max.bytes", fetch.to_string()),
        ("max.partition.fetch.bytes", partition_fetch.to_string()),
        ("fetch.queue.backoff.ms", "5".to_string()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bounds_follow_the_bytes() {
        let s = prefetch_settings(96 << 20, 4);
        let get = |k: &str| s.iter().find(|(n, _)| *n == k).unwrap().1.clone();
        assert_eq!(get("queued.max.messages.kbytes"), "16384");
        assert_eq!(get("fetch.max.bytes"), (8u64 << 20).to_string());
        assert_eq!(get("queued.min.messages"), "8192");
        assert_eq!(get("max.partition.fetch.bytes"), (1u64 << 20).to_string());
        // Many partitions: each keeps at least a thousand messages ahead.
        let s = prefetch_settings(96 << 20, 64);
        let get = |k: &str| s.iter().find(|(n, _)| *n == k).unwrap().1.clone();
        assert_eq!(get("queued.min.messages"), "1000");
        // A tiny setting still lets the consumer work.
        let s = prefetch_settings(1, 1);
        assert!(s.iter().all(|(_, v)| v.parse::<u64>().unwrap() >= 1));
    }
}
