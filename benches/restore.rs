//! Restoring state from the state topic: 12 partitions x 96 panes (a 24 h window sliding
//! every 15 min) x 20 features x 12 bins. `apply` is what the state reader does with the
//! topic's records (decode into the global table); `restore` rebuilds the 12 partitions'
//! rings from the table, as an assignment does.

use criterion::{Criterion, criterion_group, criterion_main};
use psimon::state::SetId;
use psimon::state::codec::{PaneKey, PaneRecord, encode_offset, encode_pane};
use psimon::state::layout::{SetLayout, StateLayout, WindowLayout};
use psimon::state::{GlobalTable, PartitionId, StateKey};
use psimon::window::WindowSpec;

const PARTITIONS: i32 = 12;
const PANES: i64 = 96;
const FEATURES: usize = 20;
const BINS: usize = 12;
const SLIDE_MS: i64 = 15 * 60 * 1000;

fn layout() -> StateLayout {
    let features: Vec<(String, usize)> =
        (0..FEATURES).map(|f| (format!("f{f:02}"), BINS)).collect();
    StateLayout {
        sets: vec![SetLayout::new(SetId::drift("m"), "sha256:bench", &features)],
        windows: vec![WindowLayout::new(
            "24h",
            WindowSpec::Time {
                length_ms: PANES * SLIDE_MS,
                slide_ms: SLIDE_MS,
                lateness_ms: 0,
            },
        )],
        idle_timeout_ms: 300_000,
        input_topics: vec!["applications".into()],
    }
}

/// The state topic's records: every pane and each partition's offset.
fn records(layout: &StateLayout) -> Vec<(String, Vec<u8>)> {
    let first = 1_795_900_000_000 / SLIDE_MS;
    let mut out = Vec::new();
    let mut buf = Vec::new();
    for p in 0..PARTITIONS {
        let part = PartitionId {
            topic: "applications".into(),
            partition: p,
        };
        for pane in first..first + PANES {
            let counts: Vec<u64> = (0..FEATURES * BINS)
                .map(|i| 50 + (i as u64 * 37 + pane as u64) % 400)
                .collect();
            let rec = PaneRecord {
                model_fingerprint: layout.sets[0].fingerprint,
                window_fingerprint: layout.windows[0].fingerprint,
                baseline_id: layout.sets[0].baseline_id.clone(),
                as_of: 1_000_000,
                min_ms: pane * SLIDE_MS,
                max_ms: pane * SLIDE_MS + SLIDE_MS - 1,
                applications: counts[..BINS].iter().sum(),
                counts,
            };
            encode_pane(&rec, &mut buf);
            let key = StateKey::Pane(PaneKey {
                set: SetId::drift("m"),
                window: "24h".into(),
                part: part.clone(),
                pane,
            });
            out.push((key.encode(), buf.clone()));
        }
        out.push((StateKey::Offset(part).encode(), encode_offset(1_000_000)));
    }
    out
}

fn bench(c: &mut Criterion) {
    let layout = layout();
    let recs = records(&layout);
    let bytes: usize = recs.iter().map(|(k, v)| k.len() + v.len()).sum();
    eprintln!("{} records, {} bytes in the state topic", recs.len(), bytes);
    let mut group = c.benchmark_group("restore_12x96x20x12");
    group.bench_function("apply", |b| {
        b.iter(|| {
            let mut t = GlobalTable::default();
            for (k, v) in &recs {
                t.apply(k.as_bytes(), Some(v)).unwrap();
            }
            t
        })
    });
    let mut table = GlobalTable::default();
    for (k, v) in &recs {
        table.apply(k.as_bytes(), Some(v)).unwrap();
    }
    group.bench_function("restore", |b| {
        b.iter(|| {
            (0..PARTITIONS)
                .map(|p| {
                    let part = PartitionId {
                        topic: "applications".into(),
                        partition: p,
                    };
                    table.restore(&part, &layout).unwrap().panes
                })
                .sum::<usize>()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
