//! Upgrading: a state topic written by the previous release (psimon 0.1.0) is restored by
//! this one. The fixture in `tests/data/state-0.1.0/` holds what 0.1.0 wrote after counting
//! 600 applications (its state records, with the input topic's name as `{input}`), the
//! input it read, its config and its baseline; `write_the_0_1_0_fixture` below made it with
//! the 0.1.0 binary. The test puts the records and the input back on the real broker under
//! fresh names and starts this psimon: it must take the counts over without re-reading
//! anything, count what comes next, and end with the windows of a run of its own over the
//! whole input. The one documented difference: new-level counts (a set 0.1.0 did not
//! have) start at the upgrade, so they cover the applications counted since.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::kafka::*;
use common::*;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use serde_json::{Value, json};

const FIXTURE: &str = "tests/data/state-0.1.0";
/// Applications 0.1.0 counted before its state was taken.
const BEFORE: u64 = 600;
/// Applications produced after the upgrade.
const AFTER: u64 = 400;
const PARTITIONS: i32 = 2;
/// Both before and after: a feature drifts, and 0.1.0 leaves its published state.
const SHIFT: f64 = 0.6;
const START_MS: i64 = 1_700_000_000_000;

/// One record of a topic: partition, key, value (`None`: a tombstone).
type Record = (i32, Option<Vec<u8>>, Option<Vec<u8>>);

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// Every committed record of `topic`, partition by partition.
fn read_all(topic: &str, partitions: i32) -> Vec<Record> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers())
        .set("group.id", unique("fixture-reader"))
        .set("isolation.level", "read_committed")
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    let mut records = Vec::new();
    for p in 0..partitions {
        let (_, end) = consumer
            .fetch_watermarks(topic, p, Duration::from_secs(10))
            .unwrap();
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition_offset(topic, p, Offset::Beginning)
            .unwrap();
        consumer.assign(&tpl).unwrap();
        // Transaction markers take offsets too: read until the position passes the end.
        let mut position = 0;
        while position < end {
            match consumer.poll(Duration::from_secs(1)) {
                Some(Ok(m)) => {
                    position = m.offset() + 1;
                    records.push((
                        p,
                        m.key().map(<[u8]>::to_vec),
                        m.payload().map(<[u8]>::to_vec),
                    ));
                }
                Some(Err(e)) => panic!("reading {topic}: {e}"),
                None => {
                    position = consumer
                        .position()
                        .unwrap()
                        .find_partition(topic, p)
                        .and_then(|e| e.offset().to_raw())
                        .unwrap_or(position)
                        .max(position)
                }
            }
        }
    }
    records
}

fn write_records(topic: &str, records: &[Record]) {
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", brokers())
        .create()
        .unwrap();
    for (p, key, value) in records {
        let mut r: BaseRecord<'_, [u8], [u8]> = BaseRecord::to(topic).partition(*p);
        if let Some(k) = key {
            r = r.key(k.as_slice());
        }
        if let Some(v) = value {
            r = r.payload(v.as_slice());
        }
        producer.send(r).map_err(|(e, _)| e).unwrap();
        producer.poll(Duration::ZERO);
    }
    producer.flush(Duration::from_secs(30)).unwrap();
}

/// JSON lines; values as text (the input's JSON) or in hex (the state's binary values).
fn to_lines(records: &[Record], as_text: bool) -> String {
    records
        .iter()
        .map(|(p, k, v)| {
            let line = match v {
                Some(v) if as_text => {
                    json!({"partition": p, "key": key_text(k), "text": std::str::from_utf8(v).unwrap()})
                }
                _ => json!({"partition": p, "key": key_text(k), "hex": v.as_ref().map(|v| hex(v))}),
            };
            format!("{line}\n")
        })
        .collect()
}

fn key_text(key: &Option<Vec<u8>>) -> Option<String> {
    key.as_ref().map(|k| String::from_utf8(k.clone()).unwrap())
}

fn from_lines(text: &str) -> Vec<Record> {
    text.lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (
                v["partition"].as_i64().unwrap() as i32,
                v["key"].as_str().map(|k| k.as_bytes().to_vec()),
                match (v["text"].as_str(), v["hex"].as_str()) {
                    (Some(text), _) => Some(text.as_bytes().to_vec()),
                    (None, hex) => hex.map(unhex),
                },
            )
        })
        .collect()
}

/// The config of the fixture with this run's names filled in.
fn config_from_template(dir: &Path, t: &Topics, port: u16) -> PathBuf {
    let text = std::fs::read_to_string(Path::new(FIXTURE).join("psimon.toml.in"))
        .unwrap()
        .replace("{brokers}", &brokers())
        .replace("{group}", &t.group)
        .replace("{input}", &t.input)
        .replace("{drift}", &t.drift)
        .replace("{dlq}", &t.dlq)
        .replace("{port}", &port.to_string());
    std::fs::copy(
        Path::new(FIXTURE).join("baseline.json"),
        dir.join("baseline.json"),
    )
    .unwrap();
    let path = dir.join("psimon.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// The windows without their `new_levels`, and these as (applications, new) per window
/// and feature.
fn without_new_levels(mut models: Value) -> (Value, Vec<(u64, u64)>) {
    let mut levels = Vec::new();
    for w in models[0]["windows"].as_array_mut().unwrap() {
        let taken = w.as_object_mut().unwrap().remove("new_levels").unwrap();
        for l in taken.as_array().unwrap() {
            let n = |field: &str| l[field].as_u64().unwrap();
            levels.push((n("applications"), n("new")));
        }
    }
    (models, levels)
}

fn counted(m: &Monitor) -> f64 {
    metric(&m.metrics(), "psimon_events_counted_total").unwrap_or(0.0)
}

fn applications(m: &Monitor) -> u64 {
    window_applications(&m.drift(), "last_100000").unwrap_or(0)
}

#[test]
fn a_state_topic_written_by_0_1_0_is_restored_and_counting_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let t = Topics::with_partitions("upgrade", PARTITIONS);
    let input = std::fs::read_to_string(Path::new(FIXTURE).join("input.jsonl")).unwrap();
    write_records(&t.input, &from_lines(&input));
    let state_topic = format!("{}.psimon-state", t.group);
    create_topics_with(&[(&state_topic, PARTITIONS, &[("cleanup.policy", "compact")])]);
    let state = std::fs::read_to_string(Path::new(FIXTURE).join("state.jsonl"))
        .unwrap()
        .replace("{input}", &t.input);
    let records = from_lines(&state);
    let drift_states = records
        .iter()
        .filter(|(_, k, _)| k.as_ref().is_some_and(|k| k.starts_with(b"drift/")))
        .count();
    assert!(drift_states > 0, "the fixture holds published drift states");
    write_records(&state_topic, &records);

    let port = free_port();
    let config = config_from_template(dir.path(), &t, port);
    let m = Monitor::start(&config, port);
    wait_for("0.1.0's counts restored", Duration::from_secs(60), || {
        applications(&m) == BEFORE
    });
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(counted(&m), 0.0, "re-read what 0.1.0 had counted");
    let exposition = m.metrics();
    for gone in [
        "psimon_state_records_invalid_total",
        "psimon_state_panes_discarded_total",
    ] {
        assert_eq!(metric(&exposition, gone).unwrap_or(0.0), 0.0, "{gone}");
    }

    loadgen(&t.input, AFTER, SHIFT, 18, START_MS + BEFORE as i64);
    wait_for(
        "the new applications counted",
        Duration::from_secs(60),
        || counted(&m) == AFTER as f64 && applications(&m) == BEFORE + AFTER,
    );

    // This version alone over the whole input, in a group of its own.
    let fresh_topics = t.other_group("upgrade-fresh");
    let fresh_dir = dir.path().join("fresh");
    std::fs::create_dir_all(&fresh_dir).unwrap();
    let fresh_port = free_port();
    let fresh_config = config_from_template(&fresh_dir, &fresh_topics, fresh_port);
    let fresh = Monitor::start(&fresh_config, fresh_port);
    wait_for(
        "the fresh run counted everything",
        Duration::from_secs(60),
        || counted(&fresh) == (BEFORE + AFTER) as f64 && applications(&fresh) == BEFORE + AFTER,
    );
    std::thread::sleep(Duration::from_millis(2500));
    let (expected, fresh_levels) = without_new_levels(comparable(&fresh.drift()));
    assert!(
        fresh_levels
            .iter()
            .all(|(apps, new)| (*apps, *new) == (BEFORE + AFTER, 0)),
        "{fresh_levels:?}"
    );
    let mut last = Value::Null;
    let mut levels = Vec::new();
    let same = (0..40).any(|_| {
        (last, levels) = without_new_levels(comparable(&m.drift()));
        if last == expected {
            return true;
        }
        std::thread::sleep(Duration::from_millis(250));
        false
    });
    assert!(
        same,
        "restored from 0.1.0 differs from a fresh run:\nexpected {expected}\ngot {last}"
    );
    assert!(
        !levels.is_empty() && levels.iter().all(|(apps, new)| (*apps, *new) == (AFTER, 0)),
        "new levels are counted from the upgrade on: {levels:?}"
    );
    // The feature whose state 0.1.0 had published (employment_type: its drift records)
    // drifts the same way after the upgrade: the fresh run announces it, the upgraded one
    // knows it was announced (other features may cross a threshold with the new data).
    let announced = |topic: &str| -> Vec<String> {
        kcat_read_committed(topic, "%s\n")
            .iter()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter_map(|e| e["subject"].as_str().map(String::from))
            .filter(|s| s.starts_with("retail_v3/employment_type/"))
            .collect()
    };
    wait_for(
        "the fresh run's announcement",
        Duration::from_secs(30),
        || !announced(&fresh_topics.drift).is_empty(),
    );
    let again = announced(&t.drift);
    assert!(
        again.is_empty(),
        "announced again after the upgrade: {again:?}"
    );
}

/// Makes the fixture with psimon 0.1.0 (`git worktree add /tmp/v010 v0.1.0`, `cargo build
/// --release` there): `PSIMON_OLD=/tmp/v010/target/release/psimon cargo test --release
/// --test state_upgrade -- --ignored`. Needs the broker of `scripts/kafka.sh`.
#[test]
#[ignore]
fn write_the_0_1_0_fixture() {
    let old = PathBuf::from(std::env::var("PSIMON_OLD").expect("PSIMON_OLD: psimon 0.1.0"));
    // 0.1.0's --version is one line; later ones list the librdkafka build's features.
    let version = std::process::Command::new(&old)
        .arg("--version")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        "psimon 0.1.0",
        "PSIMON_OLD is not psimon 0.1.0"
    );
    let dir = tempfile::tempdir().unwrap();
    let base = built_baseline(dir.path());
    let t = Topics::with_partitions("fixture", PARTITIONS);
    loadgen(&t.input, BEFORE, SHIFT, 17, START_MS);
    let port = free_port();
    let config = write_config(dir.path(), &t, port, &base, "");
    let m = Monitor::spawn_binary(&old, &config, port, &[]);
    m.wait_ready();
    wait_for("0.1.0 counted the input", Duration::from_secs(60), || {
        applications(&m) == BEFORE
    });
    wait_for("0.1.0's drift events", Duration::from_secs(30), || {
        !kcat_read_committed(&t.drift, "%s\n").is_empty()
    });
    std::thread::sleep(Duration::from_secs(3));
    let mut m = m;
    m.terminate();

    let out = Path::new(FIXTURE);
    std::fs::create_dir_all(out).unwrap();
    let template = std::fs::read_to_string(&config)
        .unwrap()
        .replace(&brokers(), "{brokers}")
        .replace(&t.group, "{group}")
        .replace(&t.input, "{input}")
        .replace(&t.drift, "{drift}")
        .replace(&t.dlq, "{dlq}")
        .replace(&format!("127.0.0.1:{port}"), "127.0.0.1:{port}");
    std::fs::write(out.join("psimon.toml.in"), template).unwrap();
    std::fs::copy(dir.path().join("baseline.json"), out.join("baseline.json")).unwrap();
    std::fs::write(
        out.join("input.jsonl"),
        to_lines(&read_all(&t.input, PARTITIONS), true),
    )
    .unwrap();
    let state = to_lines(
        &read_all(&format!("{}.psimon-state", t.group), PARTITIONS),
        false,
    );
    std::fs::write(out.join("state.jsonl"), state.replace(&t.input, "{input}")).unwrap();
}
