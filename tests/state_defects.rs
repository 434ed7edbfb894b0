//! Defects found in review, each fixed with a test on the real broker: messages larger
//! than the producer's limit are dead-lettered (truncated, original size in a header) and
//! never skipped; an event time far in the future is dead-lettered and moves no watermark;
//! two live instances with one instance id say so on `/readyz`.

mod common;

use std::time::Duration;

use common::kafka::*;
use common::*;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{Offset, TopicPartitionList};

fn committed(group: &str, topic: &str) -> Offset {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers())
        .set("group.id", group)
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition(topic, 0);
    let c = consumer
        .committed_offsets(tpl, Duration::from_secs(10))
        .unwrap();
    c.elements()[0].offset()
}

#[test]
fn two_megabyte_messages_are_dead_lettered_truncated_and_never_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let base = built_baseline(dir.path());
    let topics = Topics::new("big");
    // An input topic that accepts 2 MB messages (the dead-letter topic keeps the default).
    let input = unique("big-in-3mb");
    create_topics_with(&[(&input, 1, &[("max.message.bytes", "3000000")])]);
    let topics = Topics { input, ..topics };
    let port = free_port();
    let config = write_config(dir.path(), &topics, port, &base, "");
    let monitor = Monitor::start(&config, port);

    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", brokers())
        .set("message.max.bytes", "3000000")
        .create()
        .unwrap();
    let big = format!("{{\"pad\":\"{}\"}}", "x".repeat(2_000_000 - 10));
    assert_eq!(big.len(), 2_000_000);
    for i in 0..5 {
        let key = format!("big-{i}");
        producer
            .send(BaseRecord::to(&topics.input).key(&key).payload(&big))
            .unwrap();
    }
    producer.flush(Duration::from_secs(30)).unwrap();
    loadgen(&topics.input, 100, 0.0, 61, now_ms() - 60_000);
    wait_for(
        "105 consumed and committed",
        Duration::from_secs(60),
        || committed(&topics.group, &topics.input) == Offset::Offset(105),
    );
    let m = monitor.metrics();
    assert_eq!(
        metric(&m, "psimon_events_invalid_total{reason=\"oversized\"}"),
        Some(5.0)
    );
    assert_eq!(metric(&m, "psimon_events_counted_total"), Some(100.0));
    let letters = kcat_read_committed(&topics.dlq, "%k %S %h\\n");
    assert_eq!(letters.len(), 5, "{letters:?}");
    for l in &letters {
        let mut parts = l.splitn(3, ' ');
        let (key, size, headers) = (
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap(),
        );
        assert!(key.starts_with("big-"), "{l}");
        let size: usize = size.parse().unwrap();
        assert!(
            size > 900_000 && size < 1_000_000,
            "truncated payload of {size} bytes"
        );
        assert!(
            headers.contains("psimon.original.size=2000000"),
            "{headers}"
        );
        assert!(headers.contains("psimon.truncated=true"), "{headers}");
        assert!(headers.contains("psimon.reason=oversized"), "{headers}");
    }
}

#[test]
fn an_event_far_in_the_future_is_dead_lettered_and_moves_no_watermark() {
    let dir = tempfile::tempdir().unwrap();
    let base = built_baseline(dir.path());
    let topics = Topics::new("future");
    let port = free_port();
    let config = write_config(dir.path(), &topics, port, &base, "");
    let monitor = Monitor::start(&config, port);
    let t0 = now_ms() - 10 * 60 * 1000;
    loadgen(&topics.input, 500, 0.0, 71, t0);
    let mut rng = psimon::data::synth::Rng::new(9);
    let future = psimon::data::synth::application(&mut rng, 0.0)
        .to_event(9_999, "retail_v3", now_ms() + 10 * 24 * 3600 * 1000)
        .to_string();
    kcat_produce(&topics.input, &[("app-future", &future)]);
    loadgen(&topics.input, 500, 0.0, 72, t0 + 500);
    wait_for("1,000 in the time window", Duration::from_secs(60), || {
        window_applications(&monitor.drift(), "1h") == Some(1_000)
    });
    let m = monitor.metrics();
    assert_eq!(
        metric(&m, "psimon_events_invalid_total{reason=\"invalid_time\"}"),
        Some(1.0)
    );
    assert_eq!(
        metric(&m, "psimon_events_late_total"),
        Some(0.0),
        "nothing after it is late"
    );
    let letters = kcat_read_committed(&topics.dlq, "%k %h\\n");
    assert_eq!(letters.len(), 1);
    assert!(
        letters[0].starts_with("app-future ") && letters[0].contains("psimon.reason=invalid_time")
    );
}

#[test]
fn a_second_live_instance_with_the_same_id_is_reported_on_readyz() {
    let dir = tempfile::tempdir().unwrap();
    let base = built_baseline(dir.path());
    let topics = Topics::new("twin");
    let (dir_a, dir_b) = (dir.path().join("a"), dir.path().join("b"));
    std::fs::create_dir_all(&dir_a).unwrap();
    std::fs::create_dir_all(&dir_b).unwrap();
    let env = [("PSIMON_KAFKA__INSTANCE_ID", "twin")];
    let (port_a, port_b) = (free_port(), free_port());
    let a = Monitor::spawn(
        &write_config(&dir_a, &topics, port_a, &base, ""),
        port_a,
        &env,
    );
    a.wait_ready();
    let b = Monitor::spawn(
        &write_config(&dir_b, &topics, port_b, &base, ""),
        port_b,
        &env,
    );
    loadgen(&topics.input, 1_000, 0.0, 81, now_ms() - 60_000);
    wait_for(
        "one of the twins to report the clash",
        Duration::from_secs(60),
        || {
            [port_a, port_b].iter().any(|p| {
                http_get(*p, "/readyz").is_some_and(|(status, body)| {
                    status == 503 && body.contains("another live instance") && body.contains("twin")
                })
            })
        },
    );
    // Fencing each other over and over with the cluster answering, one of them gives the
    // verdict: a live twin (then it exits after 30 s).
    wait_for(
        "one of the twins to conclude it has a live twin",
        Duration::from_secs(120),
        || {
            [port_a, port_b].iter().any(|p| {
                http_get(*p, "/readyz").is_some_and(|(status, body)| {
                    status == 503 && body.contains("times in a row") && body.contains("twin")
                })
            })
        },
    );
    drop((a, b));
}

#[test]
fn a_dead_letter_the_broker_refuses_never_lets_the_offset_pass() {
    let dir = tempfile::tempdir().unwrap();
    let base = built_baseline(dir.path());
    let topics = Topics::new("dlqfail");
    // A dead-letter topic that refuses anything over 20 kB: a 60 kB dead letter fails on
    // the broker, after it was queued.
    let dlq = unique("dlqfail-dlq-20k");
    create_topics_with(&[(&dlq, 1, &[("max.message.bytes", "20000")])]);
    let topics = Topics { dlq, ..topics };
    let port = free_port();
    let config = write_config(dir.path(), &topics, port, &base, "");
    let monitor = Monitor::start(&config, port);
    loadgen(&topics.input, 100, 0.0, 91, now_ms() - 60_000);
    wait_for("the first 100 committed", Duration::from_secs(60), || {
        committed(&topics.group, &topics.input) == Offset::Offset(100)
    });
    // 60 kB of pseudo-random letters: too large even LZ4-compressed.
    let mut x = 0x9e37_79b9_u64;
    let big: String = (0..60_000)
        .map(|_| {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            char::from(b'a' + ((x >> 33) % 26) as u8)
        })
        .collect();
    kcat_produce(&topics.input, &[("too-big-to-dead-letter", &big)]);
    loadgen(&topics.input, 100, 0.0, 92, now_ms() - 30_000);
    wait_for("aborted transactions", Duration::from_secs(30), || {
        metric(
            &monitor.metrics(),
            "psimon_transactions_total{result=\"aborted\"}",
        )
        .is_some_and(|n| n >= 2.0)
    });
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        committed(&topics.group, &topics.input),
        Offset::Offset(100),
        "no offset passes the message that could not be dead-lettered"
    );
    assert_eq!(
        window_applications(&monitor.drift(), "1h"),
        Some(100),
        "the events after it are re-read, never counted twice nor committed"
    );
    assert!(kcat_read_committed(&topics.dlq, "%k\\n").is_empty());
}
