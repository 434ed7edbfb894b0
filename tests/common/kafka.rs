//! Helpers for the tests against the real broker started by `scripts/kafka.sh start`:
//! unique topic names, a psimon child process with its config, HTTP reads, kcat.
#![allow(dead_code)]

use std::io::Write;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The brokers of this test binary when it is not the single broker (`use_brokers`).
static BROKERS: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Makes every helper of this test binary talk to `brokers` (e.g. the three-node cluster
/// of `scripts/kafka-cluster.sh`) instead of the single broker.
pub fn use_brokers(brokers: &str) {
    let set = BROKERS.get_or_init(|| brokers.to_string());
    assert_eq!(set, brokers, "one broker list per test binary");
}

pub fn brokers() -> String {
    let b = BROKERS.get().cloned().unwrap_or_else(|| {
        std::env::var("PSIMON_TEST_BROKERS").unwrap_or_else(|_| "127.0.0.1:9092".into())
    });
    // Any node answering will do (on the cluster, one may be down on purpose).
    let answers = b.split(',').any(|addr| {
        TcpStream::connect_timeout(&addr.parse().expect("host:port"), Duration::from_secs(2))
            .is_ok()
    });
    assert!(
        answers,
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

/// `GET path` on 127.0.0.1:port: (status, body); `None` when there is no answer.
pub fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    http_get_with(port, path, None)
}

/// `GET path` with an optional `Authorization` header, through the HTTP client psimon
/// itself uses (ureq): (status, body) whatever the status.
pub fn http_get_with(port: u16, path: &str, authorization: Option<&str>) -> Option<(u16, String)> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into();
    let mut request = agent.get(format!("http://127.0.0.1:{port}{path}"));
    if let Some(a) = authorization {
        request = request.header("Authorization", a);
    }
    let mut response = request.call().ok()?;
    let status = response.status().as_u16();
    let body = response.body_mut().read_to_string().ok()?;
    Some((status, body))
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
        Self::with_partitions(name, 1)
    }

    /// Unique names; the input topic has `partitions` partitions.
    pub fn with_partitions(name: &str, partitions: i32) -> Self {
        let t = Self {
            input: unique(&format!("{name}-in")),
            drift: unique(&format!("{name}-drift")),
            dlq: unique(&format!("{name}-dlq")),
            group: unique(&format!("{name}-group")),
        };
        create_topics_with(&[
            (&t.input, partitions, &[]),
            (&t.drift, 1, &[]),
            (&t.dlq, 1, &[]),
        ]);
        t
    }

    /// The same topics, read by another consumer group (with a state topic of its own).
    pub fn other_group(&self, name: &str) -> Self {
        Self {
            input: self.input.clone(),
            drift: unique(&format!("{name}-drift")),
            dlq: unique(&format!("{name}-dlq")),
            group: unique(&format!("{name}-group")),
        }
        .created_outputs()
    }

    fn created_outputs(self) -> Self {
        create_topics(&[&self.drift, &self.dlq]);
        self
    }
}

/// A topic to create: name, partitions, topic configs.
pub type TopicSpec<'a> = (&'a str, i32, &'a [(&'a str, &'a str)]);

pub fn create_topics(names: &[&str]) {
    let specs: Vec<TopicSpec<'_>> = names.iter().map(|n| (*n, 1, &[][..])).collect();
    create_topics_with(&specs);
}

/// Creates topics as (name, partitions, topic configs).
pub fn create_topics_with(specs: &[TopicSpec<'_>]) {
    use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
    use rdkafka::client::DefaultClientContext;
    let admin: AdminClient<DefaultClientContext> = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", brokers())
        .create()
        .unwrap();
    let topics: Vec<NewTopic<'_>> = specs
        .iter()
        .map(|(n, p, configs)| {
            configs.iter().fold(
                // The broker's default: 1 on the single broker, 3 on the cluster.
                NewTopic::new(n, *p, TopicReplication::Fixed(-1)),
                |t, (k, v)| t.set(k, v),
            )
        })
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

/// One test's psimon deployment: a directory, a baseline built in it, its topics (input,
/// drift, dead letters, group) and a free HTTP port.
pub struct Deployment {
    pub dir: tempfile::TempDir,
    pub base: PathBuf,
    pub topics: Topics,
    pub port: u16,
}

impl Deployment {
    /// Topics named after `name`, the input with `partitions` partitions.
    pub fn new(name: &str, partitions: i32) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let base = super::built_baseline(dir.path());
        Self {
            base,
            topics: Topics::with_partitions(name, partitions),
            port: free_port(),
            dir,
        }
    }

    /// A further topic of `partitions` partitions (its name unique, from `name`).
    pub fn topic(&self, name: &str, partitions: i32) -> String {
        let topic = unique(name);
        create_topics_with(&[(&topic, partitions, &[])]);
        topic
    }

    /// Writes the deployment's config with `extra` appended; its path.
    pub fn config(&self, extra: &str) -> PathBuf {
        write_config(self.dir.path(), &self.topics, self.port, &self.base, extra)
    }

    /// `psimon run` of the config with `extra`: the monitor and the config's path.
    pub fn start(&self, extra: &str) -> (Monitor, PathBuf) {
        let config = self.config(extra);
        (Monitor::start(&config, self.port), config)
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
        mapping = psimon::cli::demo::EVENT_MAPPING,
    );
    let path = dir.join("psimon.toml");
    std::fs::write(&path, text).unwrap();
    path
}

pub struct Monitor {
    pub child: Child,
    pub port: u16,
    /// Where its log goes (`<config>.log`).
    pub log: PathBuf,
}

impl Monitor {
    pub fn start(config: &Path, port: u16) -> Self {
        let m = Self::spawn(config, port, &[]);
        m.wait_ready();
        m
    }

    /// Starts `psimon run` with extra environment variables; does not wait. Its log is
    /// appended to `<config>.log`.
    pub fn spawn(config: &Path, port: u16, env: &[(&str, &str)]) -> Self {
        Self::spawn_binary(Path::new(env!("CARGO_BIN_EXE_psimon")), config, port, env)
    }

    /// `spawn` with another psimon binary (an older release's).
    pub fn spawn_binary(binary: &Path, config: &Path, port: u16, env: &[(&str, &str)]) -> Self {
        let log_path = config.with_extension("log");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .unwrap();
        let child = Command::new(binary)
            .args(["run", "--config", config.to_str().unwrap()])
            .env("RUST_LOG", "info")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("psimon starts");
        Self {
            child,
            port,
            log: log_path,
        }
    }

    /// Panics, with the last lines of its log, if psimon has exited by itself.
    pub fn assert_alive(&mut self, when: &str) {
        if let Some(status) = self.child.try_wait().unwrap() {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            panic!(
                "psimon exited by itself ({status}) {when}; last log lines:\n{}",
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            );
        }
    }

    pub fn wait_ready(&self) {
        wait_for("/readyz", Duration::from_secs(60), || {
            matches!(http_get(self.port, "/readyz"), Some((200, _)))
        });
    }

    /// The latest evaluation of `/api/v1/drift`.
    pub fn drift(&self) -> serde_json::Value {
        http_get(self.port, "/api/v1/drift")
            .and_then(|(_, b)| serde_json::from_str(&b).ok())
            .unwrap_or(serde_json::Value::Null)
    }

    /// kill -9.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
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
        if std::thread::panicking() {
            print_log_once(&self.log);
        }
    }
}

/// A failed test shows what psimon logged (once per log file: a restarted monitor appends
/// to the same one), so that a failure seen only in CI can be understood from its output.
fn print_log_once(path: &Path) {
    static PRINTED: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());
    let mut printed = PRINTED.lock().unwrap_or_else(|e| e.into_inner());
    if printed.iter().any(|p| p == path) {
        return;
    }
    printed.push(path.to_path_buf());
    let log = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = log.lines().collect();
    let tail = &lines[lines.len().saturating_sub(80)..];
    eprintln!(
        "--- the last {} lines of psimon's log ({}) ---\n{}\n--- end of psimon's log ---",
        tail.len(),
        path.display(),
        tail.join("\n")
    );
}

/// A small deterministic generator (xorshift) for fault moments; print the seed.
pub fn xorshift(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

/// The dead-letter topic read read_committed, sorted: the headers name the source
/// partition and offset, so identical input gives identical lines.
pub fn dead_letters(topic: &str) -> Vec<String> {
    let mut lines = kcat_read_committed(topic, "%k\\t%s\\t%h\\n");
    lines.sort();
    lines
}

/// Produces synthetic applications with `psimon loadgen`.
pub fn loadgen(topic: &str, count: u64, shift: f64, seed: u64, start_ms: i64) {
    loadgen_with(topic, count, shift, seed, start_ms, &[]);
}

/// The same at `rate` events per second.
pub fn loadgen_at_rate(topic: &str, count: u64, shift: f64, seed: u64, start_ms: i64, rate: u64) {
    loadgen_with(
        topic,
        count,
        shift,
        seed,
        start_ms,
        &["--rate", &rate.to_string()],
    );
}

pub fn loadgen_with(topic: &str, count: u64, shift: f64, seed: u64, start_ms: i64, extra: &[&str]) {
    loadgen_via(&brokers(), topic, (count, shift, seed, start_ms), extra);
}

/// `psimon loadgen` to `brokers` (a secured listener with `-X` properties in `extra`):
/// `count` applications shifted by `shift`, of stream `seed`, from `start_ms`.
pub fn loadgen_via(
    brokers: &str,
    topic: &str,
    (count, shift, seed, start_ms): (u64, f64, u64, i64),
    extra: &[&str],
) {
    let out = Command::new(env!("CARGO_BIN_EXE_psimon"))
        .args([
            "loadgen",
            "--brokers",
            brokers,
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
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "loadgen: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Produces with kcat `count` synthetic applications (of stream `seed`, one ms apart from
/// `start_ms`) whose employment type is `level`, a level development never saw.
pub fn produce_new_level(topic: &str, count: u64, level: &str, seed: u64, start_ms: i64) {
    let mut rng = psimon::data::synth::Rng::new(seed);
    let lines: Vec<(String, String)> = (0..count)
        .map(|i| {
            let a = psimon::data::synth::application(&mut rng, 0.0);
            let mut event = a.to_event(seed * 1_000_000 + i, "retail_v3", start_ms + i as i64);
            event["applicant"]["employment_type"] = serde_json::json!(level);
            (format!("new-{seed}-{i}"), event.to_string())
        })
        .collect();
    kcat_produce_partitioned(topic, &lines);
}

/// Produces raw messages (`key\tpayload` lines) with kcat, an independent client.
pub fn kcat_produce<K: AsRef<str>, V: AsRef<str>>(topic: &str, lines: &[(K, V)]) {
    kcat_produce_with(topic, lines, &[]);
}

/// The same, partitioned as Java producers do (murmur2 of the key), like `psimon loadgen`.
pub fn kcat_produce_partitioned<K: AsRef<str>, V: AsRef<str>>(topic: &str, lines: &[(K, V)]) {
    kcat_produce_with(topic, lines, &["-X", "partitioner=murmur2_random"]);
}

/// Produces `key<TAB>value` lines with kcat and `extra` arguments.
fn kcat_produce_with<K: AsRef<str>, V: AsRef<str>>(topic: &str, lines: &[(K, V)], extra: &[&str]) {
    let mut child = Command::new("kcat")
        .args(["-b", &brokers(), "-t", topic, "-P", "-K", "\t"])
        .args(extra)
        .stdin(Stdio::piped())
        .spawn()
        .expect("kcat is installed (Debian package kcat)");
    {
        let stdin = child.stdin.as_mut().unwrap();
        for (k, v) in lines {
            writeln!(stdin, "{}\t{}", k.as_ref(), v.as_ref()).unwrap();
        }
    }
    assert!(child.wait().unwrap().success());
}

/// Reads a whole topic with kcat in the given format (`-f`).
pub fn kcat_read(topic: &str, format: &str) -> String {
    kcat_consume(topic, format, &[])
}

fn kcat_consume(topic: &str, format: &str, extra: &[&str]) -> String {
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
        .args(extra)
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

/// What must be equal between two runs over the same events: every model's windows with
/// their applications, bounds and, per feature, the bin counts and the PSI object (the
/// drift state, which depends on the history of evaluations, and the time are left out).
/// The applications of the first model's window `window` in a `/api/v1/drift` answer.
pub fn window_applications(drift: &serde_json::Value, window: &str) -> Option<u64> {
    drift["models"][0]["windows"]
        .as_array()?
        .iter()
        .find(|w| w["window"] == window)?["applications"]
        .as_u64()
}

pub fn comparable(drift: &serde_json::Value) -> serde_json::Value {
    let mut v = drift["models"].clone();
    if let Some(models) = v.as_array_mut() {
        for m in models {
            if let Some(windows) = m["windows"].as_array_mut() {
                for w in windows {
                    if let Some(features) = w["features"].as_array_mut() {
                        for f in features {
                            if let Some(o) = f.as_object_mut() {
                                o.remove("state");
                            }
                        }
                    }
                }
            }
        }
    }
    v
}

/// Reads a whole topic with kcat as a read_committed consumer, one line per message.
pub fn kcat_read_committed(topic: &str, format: &str) -> Vec<String> {
    kcat_consume(topic, format, &["-X", "isolation.level=read_committed"])
        .lines()
        .map(String::from)
        .collect()
}
