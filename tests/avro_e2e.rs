//! Avro input on the real broker with a real schema registry (Apicurio Registry's
//! Confluent-compatible API, started by `scripts/registry.sh`): the same applications
//! produced as JSON and as Avro (two writer schema ids: the schema evolves halfway) give
//! the same bin counts and the same PSI, bit for bit; messages that are not the wire
//! format, name an unknown schema id or hold a broken datum are dead-lettered with their
//! reason. With the registry unreachable, counting waits (nothing is counted, nothing
//! dead-lettered); when a second replica joins then, the first is killed (kill -9) and
//! restarts with the registry back, every event is counted once between the two.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use common::kafka::*;
use common::*;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};

const START_MS: i64 = 1_700_000_000_000;

fn registry_url() -> String {
    let url = std::env::var("PSIMON_TEST_REGISTRY")
        .unwrap_or_else(|_| "http://127.0.0.1:18081/apis/ccompat/v7".into());
    let ok = ureq::get(&format!("{url}/subjects"))
        .call()
        .is_ok_and(|r| r.status() == 200);
    assert!(
        ok,
        "no schema registry at {url}: start one with `scripts/registry.sh start` (the README's test command does)"
    );
    url
}

fn avro_section(url: &str) -> String {
    format!(
        "[input]\nformat = \"avro\"\n[input.schema_registry]\nurl = \"{url}\"\ntimeout = \"2s\"\n"
    )
}

/// Raw messages, bytes as they are (kcat's -P takes text lines).
fn produce_raw(topic: &str, messages: &[(&str, Vec<u8>)]) {
    let producer: BaseProducer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", brokers())
        .create()
        .unwrap();
    for (key, payload) in messages {
        producer
            .send(BaseRecord::to(topic).key(*key).payload(payload))
            .unwrap();
    }
    producer.flush(Duration::from_secs(10)).unwrap();
}

fn counted(m: &Monitor) -> f64 {
    metric(&m.metrics(), "psimon_events_counted_total").unwrap_or(0.0)
}

fn invalid(m: &Monitor, reason: &str) -> f64 {
    metric(
        &m.metrics(),
        &format!("psimon_events_invalid_total{{reason=\"{reason}\"}}"),
    )
    .unwrap_or(0.0)
}

/// The count window's applications in the latest evaluation.
fn evaluated(m: &Monitor) -> u64 {
    window_applications(&m.drift(), "last_100000").unwrap_or(0)
}

#[test]
fn avro_and_json_of_the_same_events_give_the_same_psi_and_bad_messages_their_reasons() {
    let url = registry_url();
    let dir = tempfile::tempdir().unwrap();
    let base = built_baseline(dir.path());
    let json = Topics::with_partitions("avro-json", 3);
    let avro = Topics::with_partitions("avro-avro", 3);
    loadgen_with(&json.input, 6_000, 0.4, 9, START_MS, &[]);
    loadgen_with(
        &avro.input,
        6_000,
        0.4,
        9,
        START_MS,
        &[
            "--format",
            "avro",
            "--registry",
            &url,
            "--evolve-at",
            "3000",
        ],
    );
    // The first writer schema's id, from the registry, for a broken datum under it.
    let subject = format!("{}-value", avro.input);
    let latest: serde_json::Value = serde_json::from_str(
        &ureq::get(&format!("{url}/subjects/{subject}/versions/1"))
            .call()
            .unwrap()
            .body_mut()
            .read_to_string()
            .unwrap(),
    )
    .unwrap();
    let v1 = latest["id"].as_u64().unwrap() as u32;
    let mut truncated = vec![0u8];
    truncated.extend_from_slice(&v1.to_be_bytes());
    truncated.extend_from_slice(&[0x0a, b'a', b'p']); // a string cut short
    let mut unknown = vec![0u8];
    unknown.extend_from_slice(&2_000_000_000u32.to_be_bytes());
    unknown.extend_from_slice(&[0, 0]);
    produce_raw(
        &avro.input,
        &[
            ("bad-1", b"{\"model\": \"retail_v3\"}".to_vec()),
            ("bad-2", unknown),
            ("bad-3", truncated),
        ],
    );

    let (pj, pa) = (free_port(), free_port());
    let dj = dir.path().join("json");
    let da = dir.path().join("avro");
    std::fs::create_dir_all(&dj).unwrap();
    std::fs::create_dir_all(&da).unwrap();
    let mj = Monitor::start(&write_config(&dj, &json, pj, &base, ""), pj);
    let ma = Monitor::start(
        &write_config(&da, &avro, pa, &base, &avro_section(&url)),
        pa,
    );
    wait_for("both to count 6,000", Duration::from_secs(90), || {
        counted(&mj) >= 6_000.0 && counted(&ma) >= 6_000.0
    });
    wait_for("both to evaluate 6,000", Duration::from_secs(60), || {
        evaluated(&mj) == 6_000 && evaluated(&ma) == 6_000
    });
    assert_eq!(counted(&ma), 6_000.0);
    let (cj, ca) = (comparable(&mj.drift()), comparable(&ma.drift()));
    assert!(cj[0]["windows"][0]["features"].as_array().unwrap().len() >= 8);
    assert_eq!(cj, ca, "JSON and Avro of the same events differ");

    assert_eq!(invalid(&ma, "invalid_avro"), 2.0);
    assert_eq!(invalid(&ma, "unknown_schema"), 1.0);
    let m = ma.metrics();
    let requests = |result: &str| {
        metric(
            &m,
            &format!("psimon_schema_registry_requests_total{{result=\"{result}\"}}"),
        )
        .unwrap_or(0.0)
    };
    // Two writer schemas (each fetched once per worker at most) and the unknown id.
    assert!(requests("ok") >= 2.0 && requests("ok") <= 4.0, "{m}");
    assert!(requests("unknown") >= 1.0, "{m}");
    assert_eq!(requests("error"), 0.0);
    // The dead letters carry their reasons, read by kcat.
    wait_for("3 dead letters", Duration::from_secs(20), || {
        kcat_read_committed(&avro.dlq, "%k %h\\n").len() >= 3
    });
    let letters = kcat_read_committed(&avro.dlq, "%k %h\\n").join("\n");
    for (key, reason) in [
        ("bad-1", "invalid_avro"),
        ("bad-2", "unknown_schema"),
        ("bad-3", "invalid_avro"),
    ] {
        assert!(
            letters
                .lines()
                .any(|l| l.starts_with(key) && l.contains(&format!("psimon.reason={reason}"))),
            "{key} {reason} in\n{letters}"
        );
    }
}

/// Forwards connections on `listener` to `target` (one thread per direction).
fn proxy(listener: TcpListener, target: String) {
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let Ok(server) = TcpStream::connect(&target) else {
                continue;
            };
            for (mut from, mut to) in [
                (client.try_clone().unwrap(), server.try_clone().unwrap()),
                (server, client),
            ] {
                std::thread::spawn(move || {
                    let mut buf = [0u8; 8192];
                    while let Ok(n) = from.read(&mut buf) {
                        if n == 0 || to.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                    let _ = to.shutdown(std::net::Shutdown::Write);
                });
            }
        }
    });
}

#[test]
fn an_unreachable_registry_holds_counting_back_and_loses_nothing() {
    let url = registry_url();
    let dir = tempfile::tempdir().unwrap();
    let base = built_baseline(dir.path());
    let t = Topics::with_partitions("avro-outage", 2);
    loadgen_with(
        &t.input,
        2_000,
        0.0,
        4,
        START_MS,
        &["--format", "avro", "--registry", &url],
    );
    // psimon reads the registry through a port where nothing listens yet.
    let hole = free_port();
    let path = url.split_once("//").unwrap().1.split_once('/').unwrap().1;
    let through = format!("http://127.0.0.1:{hole}/{path}");
    let replica = |id: &str| {
        let d = dir.path().join(id);
        std::fs::create_dir_all(&d).unwrap();
        let port = free_port();
        let config = write_config(&d, &t, port, &base, &avro_section(&through));
        let env = [
            ("PSIMON_KAFKA__INSTANCE_ID", id.to_string()),
            ("PSIMON_KAFKA__WORKERS", "1".to_string()),
        ];
        move || {
            let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
            Monitor::spawn(&config, port, &env)
        }
    };
    let (start_a, start_b) = (replica("avro-a"), replica("avro-b"));
    let mut a = start_a();
    a.wait_ready();
    wait_for("registry errors", Duration::from_secs(60), || {
        metric(
            &a.metrics(),
            "psimon_schema_registry_requests_total{result=\"error\"}",
        )
        .unwrap_or(0.0)
            >= 2.0
    });
    // A second replica joins while the first waits for the registry with both partitions
    // (it cannot hand one over before its wait ends), and the first is killed then. With a
    // cooperative assignor the partition being moved belonged to no one after the restart.
    let b = start_b();
    std::thread::sleep(Duration::from_secs(5));
    assert_eq!(counted(&a) + counted(&b), 0.0, "counted without its schema");
    let dead: f64 = ["invalid_avro", "unknown_schema"]
        .iter()
        .map(|r| invalid(&a, r) + invalid(&b, r))
        .sum();
    assert_eq!(dead, 0.0, "dead-lettered while the registry was away");
    a.kill9();

    // The registry comes back (the proxy opens) and the first replica restarts.
    let target = url
        .split_once("//")
        .unwrap()
        .1
        .split_once('/')
        .unwrap()
        .0
        .to_string();
    proxy(TcpListener::bind(("127.0.0.1", hole)).unwrap(), target);
    let a = start_a();
    a.wait_ready();
    wait_for("2,000 counted", Duration::from_secs(90), || {
        counted(&a) + counted(&b) >= 2_000.0
    });
    for m in [&a, &b] {
        wait_for("2,000 evaluated", Duration::from_secs(60), || {
            evaluated(m) == 2_000
        });
    }
    assert_eq!(counted(&a) + counted(&b), 2_000.0);
    let dead: f64 = ["invalid_avro", "unknown_schema"]
        .iter()
        .map(|r| invalid(&a, r) + invalid(&b, r))
        .sum();
    assert_eq!(dead, 0.0);
}
