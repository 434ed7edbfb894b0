//! The join store rebuilt from its changelog on the real broker: committed transactions
//! are restored, an aborted one is not, tombstones remove entries, stale local entries are
//! cleared first, and other partitions are left alone.

mod common;

use std::time::Duration;

use common::kafka::{brokers, create_topics_with, unique};
use psimon::join::{Deadlines, Entry, OutcomeSeen, PendingApp, PendingStore, restore_partition};
use rdkafka::config::ClientConfig;
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};

fn pending(ms: i64) -> Entry {
    Entry::Pending(PendingApp {
        model: 0,
        app_ms: ms,
        bins: vec![1, 2, 3],
    })
}

#[test]
fn restore_reads_committed_changes_only() {
    let topic = unique("join-changelog");
    create_topics_with(&[(&topic, 2, &[("cleanup.policy", "compact")])]);
    let producer: ThreadedProducer<DefaultProducerContext> = ClientConfig::new()
        .set("bootstrap.servers", brokers())
        .set("transactional.id", unique("join-changelog-txn"))
        .create()
        .unwrap();
    let timeout = Duration::from_secs(30);
    producer.init_transactions(timeout).unwrap();
    let send = |p: i32, id: &str, value: Option<Vec<u8>>| {
        let mut rec = BaseRecord::<str, Vec<u8>>::to(&topic).partition(p).key(id);
        if let Some(v) = value.as_ref() {
            rec = rec.payload(v);
        }
        producer.send(rec).map_err(|(e, _)| e).unwrap();
    };
    producer.begin_transaction().unwrap();
    send(0, "a", Some(pending(1).encode()));
    send(0, "b", Some(pending(2).encode()));
    send(0, "c", Some(pending(3).encode()));
    send(1, "d", Some(pending(4).encode()));
    producer.commit_transaction(timeout).unwrap();
    producer.begin_transaction().unwrap();
    send(0, "a", Some(Entry::Joined { app_ms: 1 }.encode()));
    send(0, "b", None);
    send(
        0,
        "f",
        Some(
            Entry::Early(OutcomeSeen {
                bad: true,
                outcome_ms: 9,
            })
            .encode(),
        ),
    );
    producer.commit_transaction(timeout).unwrap();
    producer.begin_transaction().unwrap();
    send(0, "c", None);
    send(0, "e", Some(pending(5).encode()));
    producer.flush(timeout).unwrap();
    producer.abort_transaction(timeout).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let store = PendingStore::open(
        dir.path(),
        Deadlines {
            horizon_ms: 1_000,
            grace_ms: 1_000,
        },
        8 << 20,
    )
    .unwrap();
    // A stale local entry (from before an unclean stop) must not survive the restore.
    store
        .restore(0, b"stale", Some(&pending(0).encode()))
        .unwrap();
    store
        .restore(1, b"other", Some(&pending(0).encode()))
        .unwrap();

    let mut base = ClientConfig::new();
    base.set("bootstrap.servers", brokers());
    let applied = restore_partition(&base, &topic, 0, &store, timeout).unwrap();
    assert_eq!(applied, 6, "the committed records of partition 0");
    assert_eq!(
        store.get(0, b"a").unwrap(),
        Some(Entry::Joined { app_ms: 1 })
    );
    assert_eq!(store.get(0, b"b").unwrap(), None);
    assert_eq!(
        store.get(0, b"c").unwrap(),
        Some(pending(3)),
        "the tombstone was aborted"
    );
    assert_eq!(store.get(0, b"e").unwrap(), None, "aborted");
    assert!(matches!(store.get(0, b"f").unwrap(), Some(Entry::Early(_))));
    assert_eq!(store.get(0, b"stale").unwrap(), None);
    assert_eq!(store.count(0).unwrap(), 3);
    // Partition 1 is not touched by restoring partition 0, and restores on its own.
    assert_eq!(store.count(1).unwrap(), 1);
    assert_eq!(
        restore_partition(&base, &topic, 1, &store, timeout).unwrap(),
        1
    );
    assert_eq!(store.get(1, b"d").unwrap(), Some(pending(4)));
    assert_eq!(store.get(1, b"other").unwrap(), None);
    // Expiry uses the restored index: every pending entry and marker is past its horizon.
    let e = store.expire(0, 10_000, 10_000).unwrap();
    assert_eq!((e.applications, e.markers, e.outcomes), (1, 1, 1));
}
