//! `psimon run` against the secured listeners of `scripts/kafka.sh` (a throw-away CA):
//! SASL_SSL with SCRAM-SHA-512 and mutual TLS. Over each, psimon counts every event (input
//! produced with every codec: none, gzip, snappy, lz4, zstd), dead-letters a bad one,
//! publishes drift events, checkpoints in transactions (a restart restores the windows
//! without counting again); a wrong password or an untrusted certificate is named on
//! `/readyz` while psimon stays up and retries, and the planted secret is in no output.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::kafka::*;
use common::*;

const MODEL: &str = "retail_v3";
const SASL_SSL: &str = "127.0.0.1:9094";
const MTLS: &str = "127.0.0.1:9095";
const CODECS: [&str; 5] = ["none", "gzip", "snappy", "lz4", "zstd"];

/// Where `scripts/kafka.sh` keeps the CA, the certificates and the SCRAM password.
fn tls_dir() -> PathBuf {
    let out = Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/kafka.sh"))
        .arg("tls-dir")
        .output()
        .unwrap();
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

fn tls(file: &str) -> String {
    tls_dir().join(file).to_str().unwrap().to_string()
}

fn scram(password: &str) -> Vec<(String, String)> {
    [
        ("security.protocol", "SASL_SSL"),
        ("sasl.mechanisms", "SCRAM-SHA-512"),
        ("sasl.username", "psimon"),
        ("sasl.password", password),
        ("ssl.ca.location", &tls("ca.pem")),
    ]
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .to_vec()
}

fn mutual_tls(ca: &str, cert: &str) -> Vec<(String, String)> {
    [
        ("security.protocol", "SSL"),
        ("ssl.ca.location", &tls(ca)),
        ("ssl.certificate.location", &tls(&format!("{cert}.pem"))),
        ("ssl.key.location", &tls(&format!("{cert}.key"))),
    ]
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .to_vec()
}

fn password() -> String {
    std::fs::read_to_string(tls_dir().join("scram-password"))
        .unwrap()
        .trim()
        .to_string()
}

/// The config of `write_config`, connecting to `brokers` with `props`.
fn secured_config(
    dir: &Path,
    topics: &Topics,
    port: u16,
    brokers: &str,
    props: &[(String, String)],
) -> PathBuf {
    let base = built_baseline(dir);
    let path = write_config(dir, topics, port, &base, "");
    let mut text = std::fs::read_to_string(&path).unwrap().replace(
        "brokers = \"127.0.0.1:9092\"",
        &format!("brokers = \"{brokers}\""),
    );
    text.push_str("\n[kafka.properties]\n");
    for (k, v) in props {
        text.push_str(&format!("\"{k}\" = \"{v}\"\n"));
    }
    std::fs::write(&path, text).unwrap();
    path
}

/// `psimon loadgen` over a secured listener with `codec`.
fn secured_loadgen(
    brokers: &str,
    props: &[(String, String)],
    (topic, count, shift, seed, start_ms): (&str, u64, f64, u64, i64),
    codec: &str,
) {
    let mut x = vec![format!("compression.type={codec}")];
    x.extend(props.iter().map(|(k, v)| format!("{k}={v}")));
    let extra: Vec<&str> = x.iter().flat_map(|p| ["-X", p.as_str()]).collect();
    loadgen_via(brokers, topic, (count, shift, seed, start_ms), &extra);
}

fn window(monitor: &Monitor) -> Option<f64> {
    metric(
        &monitor.metrics(),
        &format!("psimon_window_applications{{model=\"{MODEL}\",window=\"last_100000\"}}"),
    )
}

/// Streams `per_codec` applications with each codec (the last two shifted, so that drift
/// is found) and one bad message through a psimon connected with `props`, then restarts it.
fn counts_publishes_and_restores(name: &str, brokers: &str, props: &[(String, String)]) {
    let dir = tempfile::tempdir().unwrap();
    let topics = Topics::new(name);
    let port = free_port();
    let config = secured_config(dir.path(), &topics, port, brokers, props);
    let mut monitor = Monitor::start(&config, port);
    let per_codec = 1_000u64;
    let t0 = now_ms() - 10 * 60 * 1000;
    for (i, codec) in CODECS.iter().enumerate() {
        let shift = if i >= 3 { 1.5 } else { 0.0 };
        let start = t0 + (i as i64) * 1_000;
        secured_loadgen(
            brokers,
            props,
            (&topics.input, per_codec, shift, 40 + i as u64, start),
            codec,
        );
    }
    kcat_produce(&topics.input, &[("bad-1", "{not json")]);
    let total = per_codec * CODECS.len() as u64;
    wait_for(
        "every event counted, the bad one dead-lettered",
        Duration::from_secs(120),
        || {
            metric(&monitor.metrics(), "psimon_events_counted_total") == Some(total as f64)
                && window(&monitor) == Some(total as f64)
                && dead_letters(&topics.dlq).len() == 1
        },
    );
    // The lag gauge (from the position and the last stable offset) is there, and nil.
    let lag = format!(
        "psimon_kafka_consumer_lag{{partition=\"0\",topic=\"{}\"}}",
        topics.input
    );
    wait_for(
        "the consumer lag gauge at 0",
        Duration::from_secs(30),
        || metric(&monitor.metrics(), &lag) == Some(0.0),
    );
    wait_for(
        "a drift event on the drift topic",
        Duration::from_secs(60),
        || !kcat_read_committed(&topics.drift, "%s").is_empty(),
    );
    monitor.terminate();
    // The windows come back from the state topic, written in transactions over the same
    // secured connection; nothing is counted twice.
    let monitor = Monitor::start(&config, port);
    wait_for("the windows restored", Duration::from_secs(60), || {
        window(&monitor) == Some(total as f64)
    });
    let m = monitor.metrics();
    assert_eq!(
        metric(&m, "psimon_events_counted_total").unwrap_or(0.0),
        0.0
    );
}

#[test]
fn over_sasl_ssl_with_scram_every_codec_is_counted_checkpointed_and_published() {
    counts_publishes_and_restores("sasl", SASL_SSL, &scram(&password()));
}

#[test]
fn over_mutual_tls_every_codec_is_counted_checkpointed_and_published() {
    counts_publishes_and_restores("mtls", MTLS, &mutual_tls("ca.pem", "client"));
}

/// psimon with `props` stays up, not ready, and `/readyz` names `cause`; `secret` is in
/// none of its output.
fn refused(name: &str, brokers: &str, props: &[(String, String)], cause: &str, secret: &str) {
    let dir = tempfile::tempdir().unwrap();
    let topics = Topics::new(name);
    let port = free_port();
    let config = secured_config(dir.path(), &topics, port, brokers, props);
    let mut monitor = Monitor::spawn(&config, port, &[]);
    let mut last = None;
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !last
        .as_ref()
        .is_some_and(|(_, b): &(u16, String)| b.contains(cause))
    {
        if std::time::Instant::now() > deadline {
            let log = std::fs::read_to_string(&monitor.log).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(15).collect();
            panic!(
                "/readyz did not name '{cause}' within 60 s; it said {last:?}; log:\n{}",
                tail.join("\n")
            );
        }
        std::thread::sleep(Duration::from_millis(500));
        last = http_get(port, "/readyz");
    }
    assert_eq!(last.unwrap().0, 503);
    // Retried, not a crash loop: still up 10 s later.
    std::thread::sleep(Duration::from_secs(10));
    monitor.assert_alive("after a refused connection");
    let (_, body) = http_get(port, "/readyz").unwrap();
    assert!(body.contains(cause), "{body}");
    let log = std::fs::read_to_string(&monitor.log).unwrap();
    assert!(!secret.is_empty());
    assert!(!log.contains(secret), "the secret is in the log");
    assert!(!body.contains(secret), "the secret is on /readyz");
}

#[test]
fn a_wrong_password_is_named_on_readyz_and_retried() {
    let planted = "Wr0ng-PLANTED-s3cret";
    refused(
        "wrongpw",
        SASL_SSL,
        &scram(planted),
        "authentication failed",
        planted,
    );
}

#[test]
fn an_untrusted_broker_or_client_certificate_is_named_on_readyz_and_retried() {
    // The client trusts another CA than the broker's.
    refused(
        "untrusted",
        MTLS,
        &mutual_tls("other-ca.pem", "client"),
        "TLS handshake failed",
        "-----BEGIN",
    );
    // The broker does not trust the client's certificate.
    refused(
        "stranger",
        MTLS,
        &mutual_tls("ca.pem", "stranger"),
        "TLS handshake failed",
        "-----BEGIN",
    );
}

/// Every SASL mechanism of the test broker, through psimon's own client (`loadgen`):
/// SCRAM-SHA-256, PLAIN and OAUTHBEARER with unsecured JWTs (no identity provider here).
#[test]
fn every_sasl_mechanism_of_the_test_broker_connects() {
    let pw = password();
    let ca = tls("ca.pem");
    let props = |kv: &[(&str, &str)]| -> Vec<(String, String)> {
        let mut v = vec![
            ("security.protocol".to_string(), "SASL_SSL".to_string()),
            ("ssl.ca.location".to_string(), ca.clone()),
        ];
        v.extend(kv.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        v
    };
    for (mechanism, extra) in [
        (
            "SCRAM-SHA-256",
            props(&[
                ("sasl.mechanisms", "SCRAM-SHA-256"),
                ("sasl.username", "psimon"),
                ("sasl.password", &pw),
            ]),
        ),
        (
            "PLAIN",
            props(&[
                ("sasl.mechanisms", "PLAIN"),
                ("sasl.username", "psimon-plain"),
                ("sasl.password", &pw),
            ]),
        ),
        (
            "OAUTHBEARER",
            props(&[
                ("sasl.mechanisms", "OAUTHBEARER"),
                ("enable.sasl.oauthbearer.unsecure.jwt", "true"),
                ("sasl.oauthbearer.config", "principal=psimon"),
            ]),
        ),
    ] {
        let topic = unique(&format!("mech-{}", mechanism.to_lowercase()));
        create_topics(&[&topic]);
        secured_loadgen(SASL_SSL, &extra, (&topic, 200, 0.0, 7, now_ms()), "lz4");
        let n = kcat_read_committed(&topic, "%o\n").len();
        assert_eq!(n, 200, "{mechanism}: {n} of 200 read back");
    }
}
