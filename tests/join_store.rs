//! The join's store on its own (no Kafka): applications and outcomes arriving in shuffled
//! order, outcomes before their applications, repeated outcomes, outcomes for ids that never
//! apply, applications that never get an outcome. The joined counts equal an offline join
//! of the same generated data; what expires is counted by kind; replaying the changelog the
//! store produced (compacted: last value per id) into an empty store rebuilds it.

use std::collections::HashMap;

use psimon::data::synth::Rng;
use psimon::join::{Arrival, Deadlines, JoinEvent, OutcomeSeen, PendingApp, PendingStore};

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
    let store = PendingStore::open(dir.path(), limits, 8 << 20).unwrap();
    let cases = generate(20_000, 1);
    let mut got = Counts::new();
    let mut events: HashMap<&'static str, u64> = HashMap::new();
    let mut changelog: HashMap<u64, Option<Vec<u8>>> = HashMap::new();
    for (id, arrival) in arrivals(&cases, 2) {
        let (event, change) = store.arrive(0, &id.to_be_bytes(), arrival).unwrap();
        if let Some(bytes) = change {
            changelog.insert(id, Some(bytes));
        }
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
    let restored_dir = tempfile::tempdir().unwrap();
    let restored = PendingStore::open(restored_dir.path(), limits, 8 << 20).unwrap();
    for (id, value) in &changelog {
        restored
            .restore(0, &id.to_be_bytes(), value.as_deref())
            .unwrap();
    }
    assert_eq!(restored.count(0).unwrap(), store.count(0).unwrap());

    // Far later watermarks: every application without an outcome expires, every outcome
    // without an application is unknown, every join marker goes.
    let late = 1_700_000_000_000 + 20_000 * 60_000 + 500 * DAY;
    for s in [&store, &restored] {
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
    let store = PendingStore::open(dir.path(), limits, 8 << 20).unwrap();
    let app = |ms| {
        Arrival::Application(PendingApp {
            model: 0,
            app_ms: ms,
            bins: vec![1],
        })
    };
    store.arrive(0, b"a", app(0)).unwrap();
    store.arrive(1, b"a", app(0)).unwrap();
    store
        .arrive(
            0,
            b"early",
            Arrival::Outcome(OutcomeSeen {
                bad: true,
                outcome_ms: 5 * DAY,
            }),
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
