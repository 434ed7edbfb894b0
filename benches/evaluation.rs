//! One evaluation: PSI with SE, intervals and tests for 1,000 features of 20 bins, the work
//! of one scheduler tick of a large deployment. Sweeps the window size, since the
//! noncentral chi-square interval costs more as the chi-square statistic grows.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use psimon::data::synth::Rng;
use psimon::stats::{PsiOptions, psi};

const FEATURES: usize = 1_000;
const BINS: usize = 20;

/// Per feature: (current, baseline) counts, the current window drifting by a feature-specific
/// tilt so that PSI ranges from none to large.
fn windows(window: u64) -> Vec<(Vec<f64>, Vec<f64>)> {
    let mut rng = Rng::new(3);
    (0..FEATURES)
        .map(|f| {
            let tilt = 0.05 * (f % 10) as f64;
            let shares: Vec<f64> = (0..BINS).map(|b| (tilt * b as f64).exp()).collect();
            let total: f64 = shares.iter().sum();
            let draw = |rng: &mut Rng, n: u64, shares: &[f64], total: f64| -> Vec<f64> {
                let mut counts = vec![0.0; BINS];
                for _ in 0..n {
                    let mut u = rng.uniform() * total;
                    let mut b = 0;
                    while b + 1 < BINS && u >= shares[b] {
                        u -= shares[b];
                        b += 1;
                    }
                    counts[b] += 1.0;
                }
                counts
            };
            let flat = vec![1.0; BINS];
            let baseline = draw(&mut rng, 10 * window, &flat, BINS as f64);
            let current = draw(&mut rng, window, &shares, total);
            (current, baseline)
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("evaluate_1000_features_20_bins");
    group.sample_size(10);
    for window in [1_000u64, 10_000] {
        let data = windows(window);
        group.throughput(Throughput::Elements(FEATURES as u64));
        group.bench_with_input(BenchmarkId::new("window", window), &data, |b, data| {
            b.iter(|| {
                data.iter()
                    .map(|(cur, base)| {
                        psi(cur, base, PsiOptions::default())
                            .expect("valid counts")
                            .psi
                    })
                    .sum::<f64>()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
