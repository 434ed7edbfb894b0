//! The join store rebuilt from its changelog on the real broker: committed transactions
//! are restored, an aborted one is not, tombstones remove entries, stale local entries are
//! cleared first, and other partitions are left alone.

mod common;

use std::time::Duration;

use common::kafka::{brokers, create_topics_with, unique};
use psimon::join::batch::{BatchBuf, Watermarks, batch_id, batch_key, watermarks_key};
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
    let send = |p: i32, id: &[u8], value: Option<Vec<u8>>| {
        let mut rec = BaseRecord::<[u8], Vec<u8>>::to(&topic).partition(p).key(id);
        if let Some(v) = value.as_ref() {
            rec = rec.payload(v);
        }
        producer.send(rec).map_err(|(e, _)| e).unwrap();
    };
    producer.begin_transaction().unwrap();
    send(0, b"a", Some(pending(1).encode()));
    send(0, b"b", Some(pending(2).encode()));
    send(0, b"c", Some(pending(3).encode()));
    send(1, b"d", Some(pending(4).encode()));
    // Batches, as the monitor writes them: g and h wait, i waits (long ago), then h is
    // joined (its marker in a later batch).
    let mut first = BatchBuf::new(batch_id(100, false));
    for (id, ms) in [(&b"g"[..], 7), (b"h", 8), (b"i", -5_000)] {
        first.push(id, &pending(ms).encode());
    }
    let mut second = BatchBuf::new(batch_id(40, true));
    second.push(b"h", &Entry::Joined { app_ms: 8 }.encode());
    send(0, &batch_key(first.id), Some(first.value().to_vec()));
    send(0, &batch_key(second.id), Some(second.value().to_vec()));
    let marks = Watermarks {
        applications: 50,
        outcomes: 0,
    };
    send(0, watermarks_key(), Some(marks.encode()));
    producer.commit_transaction(timeout).unwrap();
    producer.begin_transaction().unwrap();
    send(0, b"a", Some(Entry::Joined { app_ms: 1 }.encode()));
    send(0, b"b", None);
    send(
        0,
        b"f",
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
    send(0, b"c", None);
    send(0, b"e", Some(pending(5).encode()));
    producer.flush(timeout).unwrap();
    producer.abort_transaction(timeout).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let mut store = PendingStore::open(
        dir.path(),
        Deadlines {
            horizon_ms: 1_000,
            grace_ms: 1_000,
        },
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
    let restored = restore_partition(&base, &topic, 0, &mut store, timeout).unwrap();
    assert_eq!(restored.records, 9, "the committed records of partition 0");
    assert_eq!(restored.watermarks, Some(marks));
    // What the owner does next: drop what a batch still holds but had expired.
    let e = store.expire(0, marks.applications, marks.outcomes).unwrap();
    assert_eq!((e.applications, e.released), (1, vec![]), "i, long expired");
    assert_eq!(store.get(0, b"g").unwrap(), Some(pending(7)));
    assert_eq!(
        store.get(0, b"h").unwrap(),
        Some(Entry::Joined { app_ms: 8 })
    );
    assert_eq!(store.get(0, b"i").unwrap(), None);
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
    assert_eq!(store.count(0).unwrap(), 5);
    // Partition 1 is not touched by restoring partition 0, and restores on its own.
    assert_eq!(store.count(1).unwrap(), 1);
    assert_eq!(
        restore_partition(&base, &topic, 1, &mut store, timeout)
            .unwrap()
            .records,
        1
    );
    assert_eq!(store.get(1, b"d").unwrap(), Some(pending(4)));
    assert_eq!(store.get(1, b"other").unwrap(), None);
    // Expiry uses the restored index: every pending entry and marker is past its horizon.
    let e = store.expire(0, 10_000, 10_000).unwrap();
    assert_eq!((e.applications, e.markers, e.outcomes), (2, 2, 1));
    let mut released = e.released;
    released.sort();
    assert_eq!(
        released,
        vec![batch_id(40, true), batch_id(100, false)],
        "nothing of either batch is left"
    );
}
