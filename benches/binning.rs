//! Binning and counting of application events with 20 numeric features: the hot path of
//! `report` (and of the streaming monitor). Throughput is in events per second.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use psimon::binning::{BinSpec, FeatureBaseline, ModelBaseline};
use psimon::data::Cell;
use psimon::data::synth::Rng;
use psimon::evaluate::batch::BatchCounter;

const FEATURES: usize = 20;

fn model() -> ModelBaseline {
    let features = (0..FEATURES)
        .map(|f| {
            // Decile edges of a standard normal, plus a special code.
            let bins = BinSpec::Numeric {
                edges: vec![
                    -1.2816, -0.8416, -0.5244, -0.2533, 0.0, 0.2533, 0.5244, 0.8416, 1.2816,
                ],
                special_values: vec![-999.0],
            };
            FeatureBaseline {
                name: format!("f{f}"),
                labels: bins.labels(),
                counts: vec![100; bins.bin_count()],
                bins,
                method: String::new(),
                goods: None,
                bads: None,
                population: None,
                other_levels: Vec::new(),
            }
        })
        .collect();
    ModelBaseline {
        name: "bench".into(),
        applications: 1200,
        target: None,
        features,
    }
}

fn events(n: usize) -> Vec<[f64; FEATURES]> {
    let mut rng = Rng::new(7);
    (0..n)
        .map(|_| {
            let mut e = [0.0; FEATURES];
            for v in &mut e {
                *v = if rng.chance(0.02) {
                    -999.0
                } else if rng.chance(0.03) {
                    f64::NAN
                } else {
                    rng.normal()
                };
            }
            e
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let model = model();
    let mut group = c.benchmark_group("bin_and_count_20_numeric");
    for n in [1_000usize, 100_000] {
        let evs = events(n);
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &evs, |b, evs| {
            b.iter(|| {
                let mut counter = BatchCounter::new(&model);
                for e in evs {
                    counter
                        .add_row(|i| Cell::Number(e[i]), None)
                        .expect("numbers bin");
                }
                counter.rows()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
