//! How much the consumer fetches ahead: `[kafka] prefetch_bytes` turned into librdkafka's
//! settings. librdkafka holds fetched messages in one queue per consumer, bounded by
//! `queued.max.messages.kbytes` (payload bytes) and per partition by `queued.min.messages`
//! (a count), and may exceed the byte bound by one fetch response (`fetch.max.bytes`).
//! Each queued message also costs librdkafka about 250 bytes of bookkeeping, which the
//! byte bound does not see; so the count bound is derived from the bytes too. Pure.

pub use crate::config::DEFAULT_PREFETCH_BYTES;

/// Bytes a queued message is assumed to take at least (payload and bookkeeping), for the
/// per-partition count bound.
const MESSAGE_FLOOR_BYTES: u64 = 512;

/// The librdkafka settings for `prefetch_bytes` over `partitions` assigned partitions
/// (`partitions` unknown before assignment: the subscription's partition count).
pub fn prefetch_settings(prefetch_bytes: u64, partitions: u64) -> Vec<(&'static str, String)> {
    let bytes = prefetch_bytes.max(1 << 20);
    // Half for the queue, a quarter for one fetch response in flight.
    let queue_kbytes = (bytes / 2 / 1024).max(1);
    let fetch = (bytes / 4).clamp(64 << 10, 50 << 20);
    let per_partition_messages = (bytes / 2 / MESSAGE_FLOOR_BYTES / partitions.max(1)).max(1000);
    vec![
        ("queued.max.messages.kbytes", queue_kbytes.to_string()),
        ("queued.min.messages", per_partition_messages.to_string()),
        ("fetch.max.bytes", fetch.to_string()),
        ("max.partition.fetch.bytes", fetch.min(16 << 20).to_string()),
        ("fetch.queue.backoff.ms", "5".to_string()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bounds_follow_the_bytes() {
        let s = prefetch_settings(24 << 20, 12);
        let get = |k: &str| s.iter().find(|(n, _)| *n == k).unwrap().1.clone();
        assert_eq!(get("queued.max.messages.kbytes"), "12288");
        assert_eq!(get("fetch.max.bytes"), (6u64 << 20).to_string());
        assert_eq!(get("queued.min.messages"), "2048");
        // A tiny setting still lets the consumer work.
        let s = prefetch_settings(1, 1);
        assert!(s.iter().all(|(_, v)| v.parse::<u64>().unwrap() >= 1));
    }
}
