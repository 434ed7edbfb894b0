//! Latency distributions recorded with HdrHistogram and exported as Prometheus summaries
//! (quantiles, sum and count) through a custom collector.

use std::sync::{Arc, Mutex};

use hdrhistogram::Histogram;
use prometheus::core::{Collector, Desc};
use prometheus::proto::{Metric, MetricFamily, MetricType, Quantile, Summary};

const QUANTILES: [f64; 4] = [0.5, 0.9, 0.99, 0.999];

/// A histogram of durations in microseconds (1 us to 1 h, 3 significant digits), shown in
/// seconds.
#[derive(Clone)]
pub struct LatencySummary {
    name: String,
    help: String,
    inner: Arc<Mutex<(Histogram<u64>, f64)>>,
    desc: Desc,
}

impl LatencySummary {
    pub fn new(name: &str, help: &str) -> Self {
        let hist = Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid bounds");
        Self {
            name: name.to_string(),
            help: help.to_string(),
            inner: Arc::new(Mutex::new((hist, 0.0))),
            desc: Desc::new(
                name.to_string(),
                help.to_string(),
                vec![],
                Default::default(),
            )
            .expect("valid metric name"),
        }
    }

    /// Records a duration in seconds (negative values, clock skew, count as 0).
    pub fn observe(&self, seconds: f64) {
        let us = (seconds.max(0.0) * 1e6).round() as u64;
        if let Ok(mut g) = self.inner.lock() {
            g.0.saturating_record(us.max(1));
            g.1 += seconds.max(0.0);
        }
    }

    /// Records many at once (one lock), in seconds.
    pub fn observe_many(&self, seconds: &[f64]) {
        if let Ok(mut g) = self.inner.lock() {
            for &s in seconds {
                let us = (s.max(0.0) * 1e6).round() as u64;
                g.0.saturating_record(us.max(1));
                g.1 += s.max(0.0);
            }
        }
    }
}

impl Collector for LatencySummary {
    fn desc(&self) -> Vec<&Desc> {
        vec![&self.desc]
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let Ok(g) = self.inner.lock() else {
            return Vec::new();
        };
        let mut summary = Summary::default();
        summary.set_sample_count(g.0.len());
        summary.set_sample_sum(g.1);
        let quantiles = QUANTILES
            .iter()
            .map(|&q| {
                let mut x = Quantile::default();
                x.set_quantile(q);
                x.set_value(if g.0.is_empty() {
                    0.0
                } else {
                    g.0.value_at_quantile(q) as f64 / 1e6
                });
                x
            })
            .collect();
        summary.set_quantile(quantiles);
        let mut m = Metric::default();
        m.set_summary(summary);
        let mut family = MetricFamily::default();
        family.set_name(self.name.clone());
        family.set_help(self.help.clone());
        family.set_field_type(MetricType::SUMMARY);
        family.set_metric(vec![m]);
        vec![family]
    }
}
