//! A partition whose batches cannot be read shows on `/readyz` and on
//! `psimon_kafka_partition_stalled`, naming the partition and the consume error, while the
//! other partitions are counted. The batch is made unreadable for real: the first gzip
//! batch of partition 1 is corrupted in the broker's log file (the broker serves it from
//! the page cache as it is), so librdkafka fails to decompress it at every fetch.

mod common;

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use common::kafka::*;
use common::*;

const EVENTS: u64 = 4_000;
/// A v2 record batch's header; the (compressed) records follow it.
const BATCH_HEADER: u64 = 61;

fn segment(topic: &str, partition: i32) -> PathBuf {
    let out = Command::new("scripts/kafka.sh")
        .arg("data-dir")
        .output()
        .unwrap();
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
        .join(format!("{topic}-{partition}"))
        .join("00000000000000000000.log")
}

/// Overwrites 16 bytes inside the gzip stream of the segment's first batch.
fn corrupt_first_batch(path: &PathBuf) {
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .unwrap();
    let mut header = [0u8; BATCH_HEADER as usize];
    file.read_exact(&mut header).unwrap();
    let attributes = u16::from_be_bytes([header[21], header[22]]);
    assert_eq!(attributes & 0x7, 1, "the first batch is gzip");
    let length = u32::from_be_bytes([header[8], header[9], header[10], header[11]]) as u64;
    assert!(length > 200, "a batch of several records");
    file.seek(SeekFrom::Start(BATCH_HEADER + 40)).unwrap();
    file.write_all(&[0xA5; 16]).unwrap();
    file.sync_all().unwrap();
}

#[test]
fn a_partition_whose_batches_cannot_be_read_is_named_on_readyz_and_a_metric() {
    let dir = tempfile::tempdir().unwrap();
    let base = built_baseline(dir.path());
    let t = Topics::with_partitions("stall", 2);
    loadgen_with(
        &t.input,
        EVENTS,
        0.0,
        3,
        now_ms() - 60_000,
        &["-X", "compression.codec=gzip"],
    );
    corrupt_first_batch(&segment(&t.input, 1));

    let port = free_port();
    let config = write_config(dir.path(), &t, port, &base, "");
    let m = Monitor::spawn(&config, port, &[]);
    let stalled = format!(
        "psimon_kafka_partition_stalled{{partition=\"1\",topic=\"{}\"}}",
        t.input
    );
    wait_for(
        "partition 1 reported stalled",
        Duration::from_secs(90),
        || metric(&m.metrics(), &stalled) == Some(1.0),
    );
    let exposition = m.metrics();
    let healthy = stalled.replace("partition=\"1\"", "partition=\"0\"");
    assert_eq!(
        metric(&exposition, &healthy),
        Some(0.0),
        "partition 0 reads:\n{exposition}"
    );
    let counted = metric(&exposition, "psimon_events_counted_total").unwrap_or(0.0);
    assert!(
        counted > 0.0 && counted < EVENTS as f64,
        "partition 0 counted, partition 1 not: {counted}"
    );
    // The supervisor reads the workers' status on its own tick.
    let mut body = String::new();
    wait_for("/readyz 503", Duration::from_secs(10), || {
        let (status, text) = http_get(port, "/readyz").unwrap();
        body = text;
        status == 503
    });
    assert!(
        body.contains(&format!("partition {} [1] is stalled", t.input))
            && body.contains("message(s) waiting")
            && body.contains("last consume error: Decompression (codec 0x1)"),
        "{body}"
    );
    // The alert over the series as psimon exported them (Prometheus adds the instance).
    let series = stalled.replacen('{', "{instance=\"psimon-0:9464\",", 1);
    let tests = format!(
        r#"  - interval: 1m
    input_series:
      - series: '{series}'
        values: '1x10'
    alert_rule_test:
      - eval_time: 6m
        alertname: PsimonPartitionStalled
        exp_alerts:
          - exp_labels:
              severity: page
              instance: psimon-0:9464
              topic: {topic}
              partition: "1"
            exp_annotations:
              summary: "psimon psimon-0:9464 cannot read {topic} [1]: see its /readyz"
"#,
        topic = t.input
    );
    promtool_test_rules(dir.path(), &tests);
    // Nothing of it was dead-lettered or skipped: the messages wait where they are.
    let invalid = exposition
        .lines()
        .filter(|l| l.starts_with("psimon_events_invalid_total"))
        .filter_map(|l| l.rsplit_once(' ')?.1.parse::<f64>().ok())
        .sum::<f64>();
    assert_eq!(invalid, 0.0);
}
