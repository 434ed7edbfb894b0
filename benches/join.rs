//! The join store with 1 million applications pending: outcomes joined per second on one
//! core, applications stored per second, and what the million pending cost in memory and
//! on disk (printed before the timings). Ids are 16-byte texts, 20 series per application.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use psimon::join::{Arrival, Deadlines, JoinEvent, OutcomeSeen, PendingApp, PendingStore};

/// Pending applications loaded first (`JOIN_PENDING` overrides, e.g. to show that memory
/// does not grow with them).
fn pending() -> u64 {
    std::env::var("JOIN_PENDING")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000)
}
const SERIES: usize = 20;

fn id(n: u64) -> Vec<u8> {
    format!("app-{n:012}").into_bytes()
}

fn app(n: u64) -> Arrival {
    Arrival::Application(PendingApp {
        model: 0,
        app_ms: 1_700_000_000_000 + n as i64,
        bins: (0..SERIES)
            .map(|s| ((n as usize + s) % 10) as u16)
            .collect(),
    })
}

fn outcome(n: u64) -> Arrival {
    Arrival::Outcome(OutcomeSeen {
        bad: n.is_multiple_of(7),
        outcome_ms: 1_708_000_000_000 + n as i64,
    })
}

/// The changelog batch of application `n`, as the monitor fills them.
fn batch(n: u64) -> Option<i64> {
    Some((n / 2048 * 2048) as i64)
}

fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let limits = Deadlines {
        horizon_ms: 400 * 86_400_000,
        grace_ms: 86_400_000,
    };
    let mut store = PendingStore::open(dir.path(), limits).expect("the store opens");
    let rss_before = rss_bytes();
    let started = Instant::now();
    let pending = pending();
    for n in 0..pending {
        store.arrive(0, &id(n), app(n), batch(n)).expect("stored");
    }
    let load = started.elapsed();
    // Let the background flushes and compactions settle before measuring the disk.
    std::thread::sleep(Duration::from_secs(3));
    println!(
        "join store: {pending} pending applications stored in {:.2} s ({:.0}/s); disk {:.1} MB; \
         resident memory +{:.1} MB (index {:.1} MB)",
        load.as_secs_f64(),
        pending as f64 / load.as_secs_f64(),
        store.disk_bytes() as f64 / 1e6,
        rss_bytes().saturating_sub(rss_before) as f64 / 1e6,
        store.memory_bytes() as f64 / 1e6,
    );

    let mut group = c.benchmark_group("join_with_1m_pending");
    group.sample_size(10);
    let mut next = pending;
    group.bench_function("outcome_joins", |b| {
        b.iter_custom(|iters| {
            // Fresh applications for the outcomes to join (not timed), so that every timed
            // outcome finds its application among more than a million pending.
            let first = next;
            for n in first..first + iters {
                store.arrive(0, &id(n), app(n), batch(n)).expect("stored");
            }
            next += iters;
            let t = Instant::now();
            for n in first..first + iters {
                let event = store
                    .arrive(0, &id(n), outcome(n), None)
                    .expect("joined")
                    .event;
                debug_assert!(matches!(event, JoinEvent::Joined { .. }));
                black_box(event);
            }
            t.elapsed()
        })
    });
    group.bench_function("application_stored", |b| {
        b.iter_custom(|iters| {
            let first = next;
            next += iters;
            let t = Instant::now();
            for n in first..first + iters {
                black_box(store.arrive(0, &id(n), app(n), batch(n)).expect("stored"));
            }
            t.elapsed()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
