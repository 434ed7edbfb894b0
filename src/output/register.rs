//! Creating a metric and registering it in one call, for the metric sets of `output`.
//! A name or label set that prometheus refuses is a programming error: it panics at start.

use prometheus::{
    Gauge, GaugeVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry,
};

use super::latency::LatencySummary;

pub(super) fn gauge_vec(r: &Registry, name: &str, help: &str, labels: &[&str]) -> GaugeVec {
    let g = GaugeVec::new(Opts::new(name, help), labels).expect("valid metric");
    r.register(Box::new(g.clone())).expect("registered once");
    g
}

pub(super) fn int_gauge_vec(r: &Registry, name: &str, help: &str, labels: &[&str]) -> IntGaugeVec {
    let g = IntGaugeVec::new(Opts::new(name, help), labels).expect("valid metric");
    r.register(Box::new(g.clone())).expect("registered once");
    g
}

pub(super) fn int_gauge(r: &Registry, name: &str, help: &str) -> IntGauge {
    let g = IntGauge::new(name, help).expect("valid metric");
    r.register(Box::new(g.clone())).expect("registered once");
    g
}

/// A counter by `result`, with every result exported from the start (at 0), so that
/// rates and alerts see the series before the first event of its kind.
pub(super) fn results_counter(
    r: &Registry,
    name: &str,
    help: &str,
    results: &[&str],
) -> IntCounterVec {
    let c = counter_vec(r, name, help, &["result"]);
    for result in results {
        c.with_label_values(&[result]);
    }
    c
}

pub(super) fn counter_vec(r: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    let c = IntCounterVec::new(Opts::new(name, help), labels).expect("valid metric");
    r.register(Box::new(c.clone())).expect("registered once");
    c
}

pub(super) fn counter(r: &Registry, name: &str, help: &str) -> IntCounter {
    let c = IntCounter::new(name, help).expect("valid metric");
    r.register(Box::new(c.clone())).expect("registered once");
    c
}

pub(super) fn gauge(r: &Registry, name: &str, help: &str) -> Gauge {
    let g = Gauge::new(name, help).expect("valid metric");
    r.register(Box::new(g.clone())).expect("registered once");
    g
}

pub(super) fn latency(r: &Registry, name: &str, help: &str) -> LatencySummary {
    let l = LatencySummary::new(name, help);
    r.register(Box::new(l.clone())).expect("registered once");
    l
}

/// A counter by `label`, every one of `values` exported from the start (at 0).
pub(super) fn labelled_counter(
    r: &Registry,
    (name, help): (&str, &str),
    label: &str,
    values: &[&str],
) -> IntCounterVec {
    let c = counter_vec(r, name, help, &[label]);
    for v in values {
        c.with_label_values(&[v]);
    }
    c
}
