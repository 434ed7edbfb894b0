//! The join's store on its own (no Kafka): applications and outcomes arriving in shuffled
//! order, outcomes before their applications, repeated outcomes, outcomes for ids that never
//! apply, applications that never get an outcome. The joined counts equal an offline join
//! of the same generated data; what expires is counted by kind; replaying the changelog the
//! monitor would write (batches of new applications, records under ids, watermarks),
//! compacted as Kafka compacts it, into an empty store rebuilds the same entries, also with
//! expiry under way and ids used again.

use std::collections::HashMap;

use psimon::data::synth::Rng;
use psimon::join::batch::{Batcher, Records, Watermarks, batch_id, watermarks_key};
use psimon::join::{
    Arrival, Deadlines, Entry, JoinEvent, OutcomeSeen, PendingApp, PendingStore, Restored,
    apply_record,
};

const DAY: i64 = 86_400_000;

struct Case {
    id: u64,
    app: Option<PendingApp>,
    /// (bad, outcome time, repeats)
    outcome: Option<(bool, i64, u32)>,
}

fn generate(n: u64, seed: u64) -> Vec<Case> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|id| {
            let app_ms = 1_700_000_000_000 + id as i64 * 60_000;
            let has_app = rng.uniform() < 0.9;
            let has_outcome = rng.uniform() < 0.7;
            let bins = vec![(rng.uniform() * 5.0) as u16, (rng.uniform() * 3.0) as u16];
            Case {
                id,
                app: has_app.then_some(PendingApp {
                    model: 0,
                    app_ms,
                    bins,
                }),
                outcome: has_outcome.then(|| {
                    let bad = rng.uniform() < 0.2;
                    let delay = (rng.uniform() * 90.0) as i64 * DAY;
                    let repeats = if rng.uniform() < 0.1 { 2 } else { 1 };
                    (bad, app_ms + delay, repeats)
                }),
            }
        })
        .collect()
}

/// Every arrival of the cases, shuffled, so that some outcomes come before their
/// applications.
fn arrivals(cases: &[Case], seed: u64) -> Vec<(u64, Arrival)> {
    let mut out = Vec::new();
    for c in cases {
        if let Some(a) = &c.app {
            out.push((c.id, Arrival::Application(a.clone())));
        }
        if let Some((bad, ms, repeats)) = c.outcome {
            for _ in 0..repeats {
                out.push((
                    c.id,
                    Arrival::Outcome(OutcomeSeen {
                        bad,
                        outcome_ms: ms,
                    }),
                ));
            }
        }
    }
    let mut rng = Rng::new(seed);
    for i in (1..out.len()).rev() {
        let j = (rng.uniform() * (i + 1) as f64) as usize;
        out.swap(i, j.min(i));
    }
    out
}

type Counts = HashMap<(u16, u16, bool), u64>;

fn count(counts: &mut Counts, app: &PendingApp, bad: bool) {
    for (s, &b) in app.bins.iter().enumerate() {
        *counts.entry((s as u16, b, bad)).or_default() += 1;
    }
}

#[test]
fn the_join_equals_an_offline_join_and_expiry_is_counted_by_kind() {
    let dir = tempfile::tempdir().unwrap();
    let limits = Deadlines {
        horizon_ms: 400 * DAY,
        grace_ms: DAY,
    };
    let mut store = PendingStore::open(dir.path(), limits).unwrap();
    let cases = generate(20_000, 1);
    let mut got = Counts::new();
    let mut events: HashMap<&'static str, u64> = HashMap::new();
    let mut log = Changelog::default();
    for (offset, (id, arrival)) in arrivals(&cases, 2).into_iter().enumerate() {
        let event = log.arrive(&mut store, offset as i64, &id.to_be_bytes(), arrival);
        let kind = match event {
            JoinEvent::Joined { app, bad } => {
                count(&mut got, &app, bad);
                "joined"
            }
            JoinEvent::Waiting => "waiting",
            JoinEvent::EarlyOutcome => "early",
            JoinEvent::DuplicateOutcome => "duplicate_outcome",
            JoinEvent::DuplicateApplication => "duplicate_application",
        };
        *events.entry(kind).or_default() += 1;
    }

    // Offline: the ids with both sides, counted by their outcome.
    let mut want = Counts::new();
    let (mut joined, mut duplicates, mut unmatched_apps, mut unknown) = (0, 0, 0, 0);
    for c in &cases {
        match (&c.app, c.outcome) {
            (Some(a), Some((bad, _, repeats))) => {
                count(&mut want, a, bad);
                joined += 1;
                duplicates += u64::from(repeats - 1);
            }
            (Some(_), None) => unmatched_apps += 1,
            (None, Some((_, _, repeats))) => {
                unknown += 1;
                duplicates += u64::from(repeats - 1);
            }
            (None, None) => {}
        }
    }
    assert_eq!(got, want, "joined counts per series, bin and outcome");
    assert_eq!(events["joined"], joined);
    assert_eq!(events["duplicate_outcome"], duplicates);
    assert!(
        events["early"] > 100,
        "some outcomes came first: {events:?}"
    );

    // Compacted changelog replayed into an empty store: the same entries.
    log.flush(&store);
    let restored_dir = tempfile::tempdir().unwrap();
    let mut restored = log.restore(restored_dir.path(), limits);
    let ids: Vec<Vec<u8>> = cases.iter().map(|c| c.id.to_be_bytes().to_vec()).collect();
    assert_same(&mut store, &mut restored, &ids);

    // Far later watermarks: every application without an outcome expires, every outcome
    // without an application is unknown, every join marker goes.
    let late = 1_700_000_000_000 + 20_000 * 60_000 + 500 * DAY;
    for s in [&mut store, &mut restored] {
        let expired = s.expire(0, late, late).unwrap();
        assert_eq!(expired.applications, unmatched_apps);
        assert_eq!(expired.outcomes, unknown);
        assert_eq!(expired.markers, joined);
        assert_eq!(s.count(0).unwrap(), 0);
    }
}

#[test]
fn expiry_follows_the_watermarks_and_partitions_are_apart() {
    let dir = tempfile::tempdir().unwrap();
    let limits = Deadlines {
        horizon_ms: 10 * DAY,
        grace_ms: DAY,
    };
    let mut store = PendingStore::open(dir.path(), limits).unwrap();
    let app = |ms| {
        Arrival::Application(PendingApp {
            model: 0,
            app_ms: ms,
            bins: vec![1],
        })
    };
    store.arrive(0, b"a", app(0), None).unwrap();
    store.arrive(1, b"a", app(0), Some(0)).unwrap();
    store
        .arrive(
            0,
            b"early",
            Arrival::Outcome(OutcomeSeen {
                bad: true,
                outcome_ms: 5 * DAY,
            }),
            None,
        )
        .unwrap();
    // Outcomes up to day 9 seen: the application (deadline day 10) still waits.
    let e = store.expire(0, 0, 9 * DAY).unwrap();
    assert_eq!((e.applications, e.outcomes), (0, 0));
    // Applications up to day 6 + 1 ms: the early outcome (deadline day 6) is unknown.
    let e = store.expire(0, 6 * DAY + 1, 9 * DAY).unwrap();
    assert_eq!((e.applications, e.outcomes), (0, 1));
    let e = store.expire(0, 6 * DAY + 1, 10 * DAY + 1).unwrap();
    assert_eq!((e.applications, e.outcomes), (1, 0));
    // Partition 1 is untouched until cleared.
    assert_eq!(store.count(1).unwrap(), 1);
    store.clear_partition(1).unwrap();
    assert_eq!(store.count(1).unwrap(), 0);
}

/// The changelog of partition 0 as the monitor writes it, and its replay.
#[derive(Default)]
struct Changelog {
    records: Records,
    batcher: Batcher,
}

impl Changelog {
    fn arrive(
        &mut self,
        store: &mut PendingStore,
        offset: i64,
        id: &[u8],
        a: Arrival,
    ) -> JoinEvent {
        let outcome = matches!(a, Arrival::Outcome(_));
        let batch = self.batcher.batch_at(0, batch_id(offset, outcome));
        let arrived = store.arrive(0, id, a, Some(batch)).unwrap();
        self.batcher.log(
            (0, id),
            (arrived.log, arrived.released),
            |b| store.batch_pending(0, b),
            &mut self.records,
        );
        arrived.event
    }

    fn flush(&mut self, store: &PendingStore) {
        self.batcher
            .flush(0, |b| store.batch_pending(0, b), &mut self.records);
    }

    /// An expiry at a checkpoint: the open batch, the tombstones, the watermarks.
    fn expire(&mut self, store: &mut PendingStore, w: Watermarks) -> u64 {
        self.flush(store);
        let e = store.expire(0, w.applications, w.outcomes).unwrap();
        for id in e.ids {
            self.records.push((id, None));
        }
        for b in e.released {
            self.batcher.release(0, b, &mut self.records);
        }
        self.records
            .push((watermarks_key().to_vec(), Some(w.encode())));
        e.applications + e.outcomes + e.markers
    }

    /// The newest record per key, tombstones dropped, in offset order.
    fn compacted(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut last: HashMap<&[u8], usize> = HashMap::new();
        for (i, (k, _)) in self.records.iter().enumerate() {
            last.insert(k, i);
        }
        let mut keep: Vec<usize> = last.into_values().collect();
        keep.sort();
        keep.into_iter()
            .filter_map(|i| {
                let (k, v) = &self.records[i];
                v.clone().map(|v| (k.clone(), v))
            })
            .collect()
    }

    /// An empty store rebuilt from the compacted changelog, as a restore does it.
    fn restore(&self, dir: &std::path::Path, limits: Deadlines) -> PendingStore {
        let mut store = PendingStore::open(dir, limits).unwrap();
        let mut r = Restored::default();
        for (k, v) in self.compacted() {
            apply_record(&mut store, 0, &k, Some(&v), &mut r).unwrap();
        }
        if let Some(w) = r.watermarks {
            store.expire(0, w.applications, w.outcomes).unwrap();
        }
        assert_eq!(r.watermarks, self.watermarks_logged());
        store
    }

    fn watermarks_logged(&self) -> Option<Watermarks> {
        self.records
            .iter()
            .rev()
            .find(|(k, _)| k == watermarks_key())
            .and_then(|(_, v)| v.as_deref().map(|v| Watermarks::decode(v).unwrap()))
    }
}

fn assert_same(a: &mut PendingStore, b: &mut PendingStore, ids: &[Vec<u8>]) {
    assert_eq!(a.count(0).unwrap(), b.count(0).unwrap(), "entries stored");
    for id in ids {
        assert_eq!(a.get(0, id).unwrap(), b.get(0, id).unwrap(), "id {id:?}");
    }
}

#[test]
fn a_compacted_changelog_restores_the_store_while_entries_expire_and_ids_return() {
    let dir = tempfile::tempdir().unwrap();
    let limits = Deadlines {
        horizon_ms: 30 * DAY,
        grace_ms: 2 * DAY,
    };
    let mut store = PendingStore::open(dir.path(), limits).unwrap();
    let mut rng = Rng::new(9);
    let mut log = Changelog::default();
    let mut w = Watermarks {
        applications: i64::MIN,
        outcomes: i64::MIN,
    };
    let (mut expired, mut joined) = (0, 0);
    // 3,000 ids used over 300 days, an application an hour: ids come back after their
    // first life expired; outcomes 0-60 days late, some before their applications.
    let mut arrivals: Vec<(i64, u64, Arrival)> = Vec::new();
    for n in 0..7_200u64 {
        let app_ms = n as i64 * 3_600_000;
        let id = n % 3_000;
        let bins = vec![(n % 5) as u16, (n % 3) as u16];
        let app = PendingApp {
            model: 0,
            app_ms,
            bins,
        };
        arrivals.push((app_ms, id, Arrival::Application(app)));
        if rng.uniform() < 0.6 {
            let delay = ((rng.uniform() - 0.05) * 60.0 * DAY as f64) as i64;
            let o = OutcomeSeen {
                bad: rng.uniform() < 0.2,
                outcome_ms: app_ms + delay,
            };
            arrivals.push((app_ms + delay, id, Arrival::Outcome(o)));
        }
    }
    // The stream ends with the last application: outcomes after it have not come yet.
    arrivals.retain(|(t, _, _)| *t < 7_200 * 3_600_000);
    arrivals.sort_by_key(|(t, _, _)| *t);
    for (offset, (t, id, a)) in arrivals.into_iter().enumerate() {
        match &a {
            Arrival::Application(_) => w.applications = w.applications.max(t),
            Arrival::Outcome(_) => w.outcomes = w.outcomes.max(t),
        }
        if matches!(
            log.arrive(&mut store, offset as i64, &id.to_be_bytes(), a),
            JoinEvent::Joined { .. }
        ) {
            joined += 1;
        }
        if offset % 500 == 499 {
            expired += log.expire(&mut store, w);
        }
    }
    expired += log.expire(&mut store, w);
    assert!(
        expired > 2_000 && joined > 2_000,
        "expired {expired}, joined {joined}"
    );
    let ids: Vec<Vec<u8>> = (0..3_000u64).map(|i| i.to_be_bytes().to_vec()).collect();
    let restored_dir = tempfile::tempdir().unwrap();
    let mut restored = log.restore(restored_dir.path(), limits);
    assert_same(&mut store, &mut restored, &ids);
    assert!(
        ids.iter()
            .any(|id| matches!(store.get(0, id).unwrap(), Some(Entry::Pending(_)))),
        "some applications still wait"
    );
}

#[test]
fn sparse_segments_are_compacted_and_their_live_entries_stay_readable() {
    let dir = tempfile::tempdir().unwrap();
    let limits = Deadlines {
        horizon_ms: 400 * DAY,
        grace_ms: DAY,
    };
    let mut store = PendingStore::open(dir.path(), limits).unwrap();
    let app = |n: u64| PendingApp {
        model: 0,
        app_ms: n as i64,
        bins: (0..200).map(|s| ((n + s) % 10) as u16).collect(),
    };
    // About 45 MB of pending applications (of 200 series each): three segments.
    let n = 200_000u64;
    for i in 0..n {
        store
            .arrive(0, &i.to_be_bytes(), Arrival::Application(app(i)), Some(0))
            .unwrap();
    }
    let disk_full = store.disk_bytes();
    // Nine in ten joined: their markers go to the active segment, the segments of the
    // applications are left under a quarter live, and dead records take most of the files.
    let outcome = Arrival::Outcome(OutcomeSeen {
        bad: false,
        outcome_ms: 1,
    });
    for i in (0..n).filter(|i| i % 10 != 0) {
        let a = store
            .arrive(0, &i.to_be_bytes(), outcome.clone(), None)
            .unwrap();
        assert!(matches!(a.event, JoinEvent::Joined { .. }));
    }
    let before = store.disk_bytes();
    let e = store.expire(0, 0, 0).unwrap();
    assert_eq!((e.applications, e.markers, e.outcomes), (0, 0, 0));
    assert!(
        store.disk_bytes() < before,
        "compaction freed {before} -> {} bytes (full {disk_full})",
        store.disk_bytes()
    );
    for i in (0..n).step_by(7) {
        let want = if i % 10 != 0 {
            Entry::Joined { app_ms: i as i64 }
        } else {
            Entry::Pending(app(i))
        };
        assert_eq!(
            store.get(0, &i.to_be_bytes()).unwrap(),
            Some(want),
            "id {i}"
        );
    }
    assert_eq!(store.count(0).unwrap(), n);
}
