//! Helpers for the tests against the real broker started by `scripts/kafka.sh start`:
//! unique topic names, a psimon child process with its config, HTTP reads, kcat.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub fn brokers() -> String {
    let b = std::env::var("PSIMON_TEST_BROKERS").unwrap_or_else(|_| "127.0.0.1:9092".into());
    let addr = b.split(',').next().unwrap_or_default().to_string();
    assert!(
        TcpStream::connect_timeout(&addr.parse().expect("host:port"), Duration::from_secs(2))
            .is_ok(),
        "no Kafka broker at {b}: start one with `scripts/kafka.sh start` (the README's test command does)"
    );
    b
}

/// A name no other test run uses.
pub fn unique(prefix: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{prefix}-{}-{nanos}", std::process::id())
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `GET path` on 127.0.0.1:port: (status, body).
pub fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut raw = String::new();
    s.read_to_string(&mut raw).ok()?;
    let (head, body) = raw.split_once("\r\n\r\n")?;
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, body.to_string()))
}

/// The value of a metric line (`name{labels} value`) in an exposition.
pub fn metric(exposition: &str, series: &str) -> Option<f64> {
    exposition
        .lines()
        .find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

pub fn wait_for(what: &str, timeout: Duration, mut ok: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ok() {
        assert!(
            start.elapsed() < timeout,
            "timed out after {timeout:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

pub struct Topics {
    pub input: String,
    pub drift: String,
    pub dlq: String,
    pub group: String,
}

impl Topics {
    /// Unique names, with the three topics created on the broker (one partition each).
    pub fn new(name: &str) -> Self {
        let t = Self {
            input: unique(&format!("{name}-in")),
            drift: unique(&format!("{name}-drift")),
            dlq: unique(&format!("{name}-dlq")),
            group: unique(&format!("{name}-group")),
        };
        create_topics(&[&t.input, &t.drift, &t.dlq]);
        t
    }
}

pub fn create_topics(names: &[&str]) {
    use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
    use rdkafka::client::DefaultClientContext;
    let admin: AdminClient<DefaultClientContext> = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", brokers())
        .create()
        .unwrap();
    let topics: Vec<NewTopic<'_>> = names
        .iter()
        .map(|n| NewTopic::new(n, 1, TopicReplication::Fixed(1)))
        .collect();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let results = rt
        .block_on(admin.create_topics(&topics, &AdminOptions::new()))
        .unwrap();
    for r in results {
        r.unwrap_or_else(|(t, e)| panic!("creating topic {t}: {e}"));
    }
}

/// Writes a config for `psimon run` into `dir` (with the baseline copied beside it).
pub fn write_config(
    dir: &Path,
    topics: &Topics,
    port: u16,
    baseline: &Path,
    extra: &str,
) -> PathBuf {
    std::fs::copy(baseline, dir.join("baseline.json")).unwrap();
    let text = format!(
        r#"
[kafka]
brokers = "{brokers}"
group_id = "{group}"
input_topics = ["{input}"]
drift_topic = "{drift}"
dead_letter_topic = "{dlq}"
max_message_bytes = 4000

[http]
address = "127.0.0.1:{port}"

{mapping}

[[models]]
name = "retail_v3"
baseline = "baseline.json"

[[windows]]
kind = "time"
name = "1h"
length = "1h"
slide = "1m"

[[windows]]
kind = "count"
name = "last_100000"
size = 100000
panes = 10

[evaluation]
interval = "1s"
min_applications = 200
{extra}
"#,
        brokers = brokers(),
        group = topics.group,
        input = topics.input,
        drift = topics.drift,
        dlq = topics.dlq,
        mapping = psimon::demo::EVENT_MAPPING,
    );
    let path = dir.join("psimon.toml");
    std::fs::write(&path, text).unwrap();
    path
}

pub struct Monitor {
    pub child: Child,
    pub port: u16,
}

impl Monitor {
    pub fn start(config: &Path, port: u16) -> Self {
        let log = std::fs::File::create(config.with_extension("log")).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_psimon"))
            .args(["run", "--config", config.to_str().unwrap()])
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("psimon starts");
        let m = Self { child, port };
        wait_for("/readyz", Duration::from_secs(60), || {
            matches!(http_get(port, "/readyz"), Some((200, _)))
        });
        m
    }

    pub fn metrics(&self) -> String {
        http_get(self.port, "/metrics")
            .map(|(_, b)| b)
            .unwrap_or_default()
    }

    /// SIGTERM, then wait; returns how long it took to exit.
    pub fn terminate(&mut self) -> Duration {
        let start = Instant::now();
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let exit = self.child.wait().unwrap();
        assert!(exit.success(), "psimon exited with {exit}");
        start.elapsed()
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Produces synthetic applications with `psimon loadgen`.
pub fn loadgen(topic: &str, count: u64, shift: f64, seed: u64, start_ms: i64) {
    let out = Command::new(env!("CARGO_BIN_EXE_psimon"))
        .args([
            "loadgen",
            "--brokers",
            &brokers(),
            "--topic",
            topic,
            "--count",
            &count.to_string(),
            "--shift",
            &shift.to_string(),
            "--seed",
            &seed.to_string(),
            "--start-ms",
            &start_ms.to_string(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "loadgen: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Produces raw messages (`key\tpayload` lines) with kcat, an independent client.
pub fn kcat_produce(topic: &str, lines: &[(&str, &str)]) {
    let mut child = Command::new("kcat")
        .args(["-b", &brokers(), "-t", topic, "-P", "-K", "\t"])
        .stdin(Stdio::piped())
        .spawn()
        .expect("kcat is installed (Debian package kcat)");
    {
        let stdin = child.stdin.as_mut().unwrap();
        for (k, v) in lines {
            writeln!(stdin, "{k}\t{v}").unwrap();
        }
    }
    assert!(child.wait().unwrap().success());
}

/// Reads a whole topic with kcat in the given format (`-f`).
pub fn kcat_read(topic: &str, format: &str) -> String {
    let out = Command::new("kcat")
        .args([
            "-b",
            &brokers(),
            "-t",
            topic,
            "-C",
            "-e",
            "-q",
            "-o",
            "beginning",
            "-f",
            format,
        ])
        .output()
        .expect("kcat is installed");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}
