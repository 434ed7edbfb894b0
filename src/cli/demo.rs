//! The zero-install demo: an embedded Kafka (librdkafka's mock cluster), a generator of
//! realistic applications with a drift injected on a few features after a while, and the
//! full `run` pipeline against it. No table printing here: the CLI shows what this yields.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use rdkafka::config::ClientConfig;
use rdkafka::mocking::MockCluster;
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};

use crate::binning::BaselineFile;
use crate::binning::build::{BuildParams, Method, build_model};
use crate::binning::population::DEFAULT_POPULATION_BINS;
use crate::binning::stumps::StumpParams;
use crate::config::{self, Config};
use crate::data::sample::{SampleRequest, load_sample};
use crate::data::synth::{COLUMNS, NO_HIT, Rng, application_grouped};
use crate::pipeline::clock::now_ms;

pub const INPUT_TOPIC: &str = "applications";
pub const DRIFT_TOPIC: &str = "psimon.drift";
pub const DLQ_TOPIC: &str = "psimon.dlq";
/// The state topic of the demo's group (`<group_id>.psimon-state`).
pub const STATE_TOPIC: &str = "psimon-demo.psimon-state";
/// Outcomes of the demo's applications (bad or good), produced a few seconds after them.
pub const OUTCOME_TOPIC: &str = "loan.outcomes";
/// The join's changelog (created up front: the mock cluster's admin API is partial).
pub const JOIN_TOPIC: &str = "psimon-demo.psimon-join";
/// Applications whose outcome is produced this many applications later (a delay of a few
/// seconds at the demo's rates); one in ten never gets one.
const OUTCOME_LAG: u64 = 6_000;
pub const MODEL: &str = "retail_v3";

/// The `[mapping]` of events written by `Application::to_event` (the demo, `psimon
/// loadgen`, the tests): id, time, model and the eight credit features.
pub const EVENT_MAPPING: &str = r#"[mapping]
id = "/application_id"
event_time = "/submitted_at"
model = "/model"
[mapping.features]
income = "/applicant/income"
age = "/applicant/age"
debt_to_income = "/applicant/debt_to_income"
bureau_score = "/bureau/score"
utilisation = "/bureau/utilisation"
delinquencies = "/bureau/delinquencies"
employment_type = "/applicant/employment_type"
region = "/applicant/region"
"#;

pub struct DemoOptions {
    pub http: String,
    pub rate: u64,
    pub drift_after: Duration,
    pub shift: f64,
    pub interval: Duration,
}

/// Builds the demo's baseline (stumps on 20,000 synthetic development applications) in `dir`.
pub fn build_baseline(dir: &Path) -> Result<std::path::PathBuf> {
    let dev = dir.join("development.csv");
    crate::cli::generate_cmd::run(&dev, 20_000, 0.0, 1)?;
    let features: Vec<String> = COLUMNS
        .iter()
        .filter(|c| **c != "bad")
        .map(|c| c.to_string())
        .collect();
    let sample = load_sample(
        &dev,
        &SampleRequest {
            features: &features,
            categorical: &[],
            target: Some("bad"),
            bad_value: None,
        },
    )?;
    let params = BuildParams {
        method: Method::Stumps,
        max_bins: 10,
        min_bin_share: 0.05,
        monotone: true,
        special_values: vec![NO_HIT],
        stumps: StumpParams::default(),
        population_bins: DEFAULT_POPULATION_BINS,
        score: None,
    };
    let model = build_model(MODEL, &sample, Some("bad"), &params)?;
    let path = dir.join("baseline.json");
    BaselineFile::new(vec![model]).save(&path)?;
    Ok(path)
}

/// The run config of the demo: the mock cluster's address, the example mapping.
pub fn demo_config(brokers: &str, opts: &DemoOptions) -> Result<Config> {
    let text = format!(
        r#"
[kafka]
brokers = "{brokers}"
group_id = "psimon-demo"
input_topics = ["{INPUT_TOPIC}"]
drift_topic = "{DRIFT_TOPIC}"
dead_letter_topic = "{DLQ_TOPIC}"
[http]
address = "{http}"
{EVENT_MAPPING}
[[models]]
name = "{MODEL}"
baseline = "baseline.json"
[[windows]]
kind = "time"
name = "2m"
length = "2m"
slide = "10s"
[[windows]]
kind = "count"
name = "last_5000"
size = 5000
panes = 10
[evaluation]
interval = "{interval}ms"
min_applications = 500
[outcomes]
topic = "{OUTCOME_TOPIC}"
outcome = "/outcome"
outcome_time = "/observed_at"
bad_values = ["1"]
good_values = ["0"]
horizon = "30d"
grace = "1h"
store_dir = "join-store"
score_feature = "bureau_score"
[[outcomes.windows]]
kind = "count"
name = "last_5000_outcomes"
size = 5000
panes = 10
[[fairness]]
name = "group"
attribute = "/applicant/group"
reference = "A"
groups = ["B"]
feature = "bureau_score"
"#,
        http = opts.http,
        interval = opts.interval.as_millis(),
    );
    config::load(&text, &[]).map_err(|e| anyhow::anyhow!("the demo config: {e}"))
}

/// The embedded broker with the demo's topics (3 input partitions).
pub fn mock_cluster() -> Result<MockCluster<'static, DefaultProducerContext>> {
    let cluster = MockCluster::new(1).context("starting librdkafka's mock cluster")?;
    cluster.create_topic(INPUT_TOPIC, 3, 1)?;
    cluster.create_topic(DRIFT_TOPIC, 1, 1)?;
    cluster.create_topic(DLQ_TOPIC, 1, 1)?;
    cluster.create_topic(STATE_TOPIC, 3, 1)?;
    cluster.create_topic(OUTCOME_TOPIC, 3, 1)?;
    cluster.create_topic(JOIN_TOPIC, 3, 1)?;
    Ok(cluster)
}

/// Produces applications at `rate` per second until `stop`; the population shifts by
/// `shift` once `drift_after` has passed. Returns how many it produced.
pub fn generate(
    brokers: &str,
    opts: &DemoOptions,
    stop: Arc<AtomicBool>,
    drifting: Arc<AtomicBool>,
) -> Result<u64> {
    let producer: ThreadedProducer<DefaultProducerContext> = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("linger.ms", "10")
        .create()
        .context("creating the demo's producer")?;
    let mut rng = Rng::new(42);
    let mut side = Rng::new(43);
    // The protected attribute (A 70%, B 30%, no score gap): a stream of its own, so the
    // applications are those of the other demos.
    let mut groups = Rng::new(44);
    // Outcomes still to come: (application number, bad), oldest first.
    let mut pending: std::collections::VecDeque<(u64, bool)> = Default::default();
    let start = Instant::now();
    let mut n = 0u64;
    while !stop.load(Ordering::Relaxed) {
        let shift = if start.elapsed() >= opts.drift_after {
            drifting.store(true, Ordering::Relaxed);
            opts.shift
        } else {
            0.0
        };
        let app = application_grouped(&mut rng, &mut groups, shift, 0.0);
        let payload = app.to_event(n, MODEL, now_ms()).to_string();
        let key = format!("app-{n}");
        crate::pipeline::producer::send_waiting(
            &producer,
            BaseRecord::<str, str>::to(INPUT_TOPIC)
                .key(&key)
                .payload(&payload),
        )
        .context("producing demo traffic")?;
        if side.uniform() < 0.9 {
            pending.push_back((n, app.bad));
        }
        // The outcome of an application OUTCOME_LAG applications ago, keyed by its id (the
        // same key, hence the same partition, as the application).
        while let Some(&(id, bad)) = pending.front() {
            if id + OUTCOME_LAG > n {
                break;
            }
            pending.pop_front();
            let key = format!("app-{id}");
            let outcome = serde_json::json!({
                "application_id": key,
                "outcome": u8::from(bad),
                "observed_at": now_ms(),
            })
            .to_string();
            crate::pipeline::producer::send_waiting(
                &producer,
                BaseRecord::<str, str>::to(OUTCOME_TOPIC)
                    .key(&key)
                    .payload(&outcome),
            )
            .context("producing demo outcomes")?;
        }
        n += 1;
        let due = Duration::from_secs_f64(n as f64 / opts.rate.max(1) as f64);
        if let Some(wait) = due.checked_sub(start.elapsed()) {
            std::thread::sleep(wait);
        }
    }
    let _ = producer.flush(Duration::from_secs(5));
    Ok(n)
}
