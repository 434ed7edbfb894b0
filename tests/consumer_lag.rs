//! `psimon_kafka_consumer_lag` of a consumer that really lags, on the real broker, and the
//! `PsimonConsumerLag` alert evaluated (by `promtool test rules`) over the series exactly
//! as psimon exported them. psimon is slowed down the way a lagging consumer is: a
//! 300,000-event backlog in small producer batches, fetched one batch at a time
//! (`max.partition.fetch.bytes = 1`). The lag it exports is checked against the broker's
//! own end offset and psimon's count; once it has caught up, the lag is 0 and the alert
//! resolves.

mod common;

use std::time::Duration;

use common::kafka::*;
use common::*;

const BACKLOG: u64 = 300_000;
/// The alert's threshold (deploy/prometheus/psimon-alerts.yml).
const THRESHOLD: f64 = 100_000.0;

/// The lag series of one scrape: (the line's labels, value).
fn lag_series(exposition: &str) -> Vec<(String, f64)> {
    exposition
        .lines()
        .filter_map(|l| l.strip_prefix("psimon_kafka_consumer_lag{"))
        .filter_map(|l| {
            let (labels, value) = l.rsplit_once("} ")?;
            Some((labels.to_string(), value.parse().ok()?))
        })
        .collect()
}

#[test]
fn a_lagging_consumer_exports_its_lag_and_the_alert_fires_on_it() {
    let dir = tempfile::tempdir().unwrap();
    let base = built_baseline(dir.path());
    let t = Topics::with_partitions("lag", 1);
    loadgen_with(
        &t.input,
        BACKLOG,
        0.0,
        7,
        now_ms() - 3_600_000,
        &["-X", "batch.size=1500", "-X", "linger.ms=0"],
    );
    let port = free_port();
    let slow = "[kafka.properties]\n\"max.partition.fetch.bytes\" = \"1\"\n";
    let config = write_config(dir.path(), &t, port, &base, slow);
    let m = Monitor::start(&config, port);

    // While it lags: the exported lag is the backlog psimon had not taken yet when
    // librdkafka last reported (every 5 s): never more than the backlog, never less than
    // what is left now (give or take the batch being counted).
    let mut lagging = None;
    wait_for(
        "a lag above the alert's threshold",
        Duration::from_secs(120),
        || {
            let before = metric(&m.metrics(), "psimon_events_counted_total").unwrap_or(0.0);
            let series = lag_series(&m.metrics());
            let after = metric(&m.metrics(), "psimon_events_counted_total").unwrap_or(0.0);
            match series.as_slice() {
                [(labels, lag)] if *lag > THRESHOLD => {
                    assert!(
                        *lag <= BACKLOG as f64 && *lag >= BACKLOG as f64 - after - 1_000.0,
                        "lag {lag} with {before}..{after} of {BACKLOG} counted"
                    );
                    assert!(
                        labels.contains(&format!("topic=\"{}\"", t.input)),
                        "{labels}"
                    );
                    lagging = Some((labels.clone(), *lag));
                    true
                }
                _ => {
                    assert!(
                        after < BACKLOG as f64,
                        "caught up without ever lagging by {THRESHOLD}"
                    );
                    false
                }
            }
        },
    );
    let (labels, lag) = lagging.unwrap();

    wait_for("the backlog counted", Duration::from_secs(120), || {
        metric(&m.metrics(), "psimon_events_counted_total") == Some(BACKLOG as f64)
    });
    let mut caught_up = Vec::new();
    wait_for("a lag of 0", Duration::from_secs(30), || {
        caught_up = lag_series(&m.metrics());
        caught_up.iter().all(|(_, v)| *v == 0.0) && !caught_up.is_empty()
    });
    assert_eq!(caught_up[0].0, labels);

    // The alert over these series as Prometheus stores them (it adds the job and instance
    // of the scrape): firing after 10 minutes of the lag seen, resolved at 0.
    let series =
        format!("psimon_kafka_consumer_lag{{{labels},job=\"psimon\",instance=\"psimon-0:9464\"}}");
    let tests = format!(
        r#"  - interval: 1m
    input_series:
      - series: '{series}'
        values: '{lag}x12 0x5'
    alert_rule_test:
      - eval_time: 5m
        alertname: PsimonConsumerLag
        exp_alerts: []
      - eval_time: 11m
        alertname: PsimonConsumerLag
        exp_alerts:
          - exp_labels:
              instance: psimon-0:9464
              severity: ticket
            exp_annotations:
              summary: "psimon psimon-0:9464 is more than 100,000 applications behind"
      - eval_time: 15m
        alertname: PsimonConsumerLag
        exp_alerts: []
"#
    );
    promtool_test_rules(dir.path(), &tests);
}
