//! `psimon loadgen`: produces synthetic application events to a Kafka topic, for trying
//! `psimon run` and for the end-to-end throughput measurement. Bounded by `--count`.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use rdkafka::config::ClientConfig;
use std::sync::atomic::{AtomicU64, Ordering};

use rdkafka::ClientContext;
use rdkafka::producer::{BaseRecord, DeliveryResult, Producer, ProducerContext, ThreadedProducer};

use super::fmt::emit;
use super::loadgen_avro::Registered;
use crate::data::synth::{Rng, application, application_grouped, wide_columns, wide_row};

pub(crate) struct LoadgenArgs {
    pub brokers: String,
    /// librdkafka properties (`key=value`) of the producer and the admin client.
    pub properties: Vec<String>,
    pub topic: String,
    pub count: u64,
    /// Events per second; 0 for as fast as possible.
    pub rate: u64,
    pub shift: f64,
    pub seed: u64,
    pub model: String,
    /// 20 numeric features f00..f19 at the top level instead of the credit application.
    pub wide: bool,
    /// Event time of the first event (epoch ms; default now), advancing `step_ms` per event.
    pub start_ms: Option<i64>,
    pub step_ms: i64,
    /// Create the topic with this many partitions when it is missing.
    pub partitions: Option<i32>,
    /// Also produce each application's outcome.
    pub outcomes: Option<OutcomeArgs>,
    /// Add a protected attribute `applicant.group` (A 70%, B 30%; B's bureau scores this
    /// many points lower).
    pub protected_gap: Option<f64>,
    /// Avro in the Confluent wire format instead of JSON.
    pub avro: Option<AvroArgs>,
}

/// `--format avro --registry URL [--evolve-at N]`.
pub(crate) struct AvroArgs {
    pub registry: String,
    /// From this event on, the evolved writer schema (a second schema id).
    pub evolve_at: Option<u64>,
}

/// `--outcomes-topic T [--outcome-delay 90d] [--outcome-share 1]`.
pub(crate) struct OutcomeArgs {
    pub topic: String,
    /// Outcome time after the application time.
    pub delay_ms: i64,
    /// Share of applications that get an outcome (the rest never do).
    pub share: f64,
    /// Produce the outcomes only (the applications of the same seed were produced before).
    pub only: bool,
    /// Share of outcomes redrawn at random (the development bad rate): weakens every
    /// feature's relation to the outcome, an IV drop to detect.
    pub label_noise: f64,
}

/// Counts messages the broker did not take (after librdkafka's retries): test data with a
/// silent gap would make every comparison built on it wrong.
#[derive(Default)]
struct Undelivered(AtomicU64);

impl ClientContext for Undelivered {}

impl ProducerContext for Undelivered {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        if let Err((e, _)) = result
            && self.0.fetch_add(1, Ordering::Relaxed) == 0
        {
            eprintln!("loadgen: a message was not delivered: {e}");
        }
    }
}

/// The client config: the brokers, then each `key=value` property.
fn client_config(brokers: &str, properties: &[String]) -> Result<ClientConfig> {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", brokers);
    for p in properties {
        let Some((k, v)) = p.split_once('=') else {
            anyhow::bail!("-X {p}: expected KEY=VALUE");
        };
        c.set(k.trim(), v.trim());
    }
    Ok(c)
}

/// Creates `topic` with `partitions` partitions unless it exists.
fn create_topic(base: &ClientConfig, topic: &str, partitions: i32) -> Result<()> {
    use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
    use rdkafka::client::DefaultClientContext;
    let admin: AdminClient<DefaultClientContext> =
        base.create().context("creating the admin client")?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let new = NewTopic::new(topic, partitions, TopicReplication::Fixed(-1));
    let results = rt
        .block_on(admin.create_topics(&[new], &AdminOptions::new()))
        .context("creating the topic")?;
    for r in results {
        match r {
            Ok(_) | Err((_, rdkafka::types::RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((t, e)) => anyhow::bail!("creating topic {t}: {e}"),
        }
    }
    Ok(())
}

pub(crate) fn run(a: LoadgenArgs) -> Result<()> {
    check(&a)?;
    let writers = register_writers(&a)?;
    let base = client_config(&a.brokers, &a.properties)?;
    if let Some(p) = a.partitions {
        create_topic(&base, &a.topic, p)?;
        if let Some(o) = &a.outcomes {
            create_topic(&base, &o.topic, p)?;
        }
    }
    let producer = producer(&base)?;
    let start = Instant::now();
    let outcomes = produce_all(&a, &producer, writers.as_ref(), start)?;
    producer
        .flush(Duration::from_secs(60))
        .context("flushing")?;
    let undelivered = producer.context().0.load(Ordering::Relaxed);
    if undelivered > 0 {
        anyhow::bail!("{undelivered} message(s) were not delivered to {}", a.topic);
    }
    let secs = start.elapsed().as_secs_f64();
    if !a.outcomes.as_ref().is_some_and(|o| o.only) {
        emit(&format!(
            "produced {} events to {} in {secs:.2} s ({:.0}/s)\n",
            a.count,
            a.topic,
            a.count as f64 / secs
        ))?;
    }
    if let Some(o) = &a.outcomes {
        emit(&format!(
            "produced {outcomes} outcomes to {} (observed {} ms after their applications)\n",
            o.topic, o.delay_ms
        ))?;
    }
    Ok(())
}

/// Refuses flags that do not go together.
fn check(a: &LoadgenArgs) -> Result<()> {
    if a.wide && (a.outcomes.is_some() || a.protected_gap.is_some()) {
        anyhow::bail!(
            "--outcomes-topic and --protected-gap apply to credit applications, not to --wide"
        );
    }
    if let Some(o) = &a.outcomes
        && !(0.0..=1.0).contains(&o.share)
    {
        anyhow::bail!("--outcome-share must lie in [0, 1], got {}", o.share);
    }
    if let Some(o) = &a.outcomes
        && !(0.0..=1.0).contains(&o.label_noise)
    {
        anyhow::bail!("--label-noise must lie in [0, 1], got {}", o.label_noise);
    }
    if a.avro.is_some() && a.wide {
        anyhow::bail!("--format avro writes credit applications, not --wide events");
    }
    Ok(())
}

/// The Avro writer schemas (the evolved one with `--evolve-at`), registered under the
/// topic's value subject (TopicNameStrategy).
type Writers = (Registered, Option<Registered>);

fn register_writers(a: &LoadgenArgs) -> Result<Option<Writers>> {
    let Some(av) = &a.avro else {
        return Ok(None);
    };
    let subject = format!("{}-value", a.topic);
    let v1 = super::loadgen_avro::register(
        &av.registry,
        &subject,
        super::loadgen_avro::APPLICATION_V1,
        false,
    )?;
    let v2 = match av.evolve_at {
        Some(_) => Some(super::loadgen_avro::register(
            &av.registry,
            &subject,
            &super::loadgen_avro::application_v2(),
            true,
        )?),
        None => None,
    };
    emit(&format!(
        "writer schema ids: {}{}\n",
        v1.id,
        v2.as_ref().map_or(String::new(), |v| format!(
            ", then {} from event {}",
            v.id,
            av.evolve_at.unwrap_or(0)
        ))
    ))?;
    Ok(Some((v1, v2)))
}

/// Java's default partitioner (murmur2 of the key): the applications and outcomes of one
/// id land in the same partition number of topics with equal partition counts, as they do
/// when Java services produce them. Idempotent: a broker failing over mid-run duplicates
/// nothing (retries of a batch the broker already wrote are recognised by their sequence
/// numbers). A -X property overrides these defaults (`config_map` would hide the secrets).
fn producer(base: &ClientConfig) -> Result<ThreadedProducer<Undelivered>> {
    let mut producer_config = base.clone();
    crate::kafka::props::set_defaults(
        &mut producer_config,
        [
            ("enable.idempotence", "true"),
            ("partitioner", "murmur2_random"),
            ("linger.ms", "20"),
            ("batch.num.messages", "10000"),
            ("queue.buffering.max.messages", "1000000"),
            ("compression.type", "lz4"),
        ],
    );
    producer_config
        .create_with_context(Undelivered::default())
        .context("creating the producer")
}

/// Generates the events one after another (the same seed, the same events).
struct Generator {
    rng: Rng,
    /// The protected group and whether an outcome comes: their own stream, so that the
    /// applications are those of the same seed without them.
    side: Rng,
    names: Vec<String>,
}

impl Generator {
    /// Event `i` at `time_ms`; with outcomes, its outcome event in `outcome` (else empty).
    fn event(
        &mut self,
        a: &LoadgenArgs,
        i: u64,
        time_ms: i64,
        outcome: &mut String,
    ) -> serde_json::Value {
        outcome.clear();
        if a.wide {
            let row = wide_row(&mut self.rng, a.shift);
            let mut obj = serde_json::Map::new();
            obj.insert("model".into(), a.model.clone().into());
            obj.insert("submitted_at".into(), time_ms.into());
            for (n, v) in self.names.iter().zip(row) {
                obj.insert(n.clone(), serde_json::json!(v));
            }
            return serde_json::Value::Object(obj);
        }
        let app = match a.protected_gap {
            Some(gap) => application_grouped(&mut self.rng, &mut self.side, a.shift, gap),
            None => application(&mut self.rng, a.shift),
        };
        if let Some(o) = &a.outcomes
            && self.side.uniform() < o.share
        {
            let mut app = app.clone();
            if o.label_noise > 0.0 && self.side.uniform() < o.label_noise {
                app.bad = self.side.uniform() < crate::data::synth::DEVELOPMENT_BAD_RATE;
            }
            outcome.push_str(&app.outcome_event(i, time_ms, o.delay_ms).to_string());
        }
        app.to_event(i, &a.model, time_ms)
    }
}

/// Produces every event (and outcome) at the requested rate; the number of outcomes.
fn produce_all(
    a: &LoadgenArgs,
    producer: &ThreadedProducer<Undelivered>,
    writers: Option<&Writers>,
    start: Instant,
) -> Result<u64> {
    let mut events = Generator {
        rng: Rng::new(a.seed),
        side: Rng::new(a.seed ^ 0x9e37_79b9_7f4a_7c15),
        names: wide_columns(),
    };
    let (mut outcomes, mut outcome_buf) = (0u64, String::new());
    let (mut buf, mut avro_buf) = (String::new(), Vec::new());
    let t0 = a.start_ms.unwrap_or_else(crate::pipeline::clock::now_ms);
    for i in 0..a.count {
        let event = events.event(a, i, t0 + i as i64 * a.step_ms, &mut outcome_buf);
        let key = format!("app-{i}");
        let payload: &[u8] = match writers {
            None => {
                buf.clear();
                buf.push_str(&event.to_string());
                buf.as_bytes()
            }
            Some((v1, v2)) => {
                let evolved = a
                    .avro
                    .as_ref()
                    .and_then(|av| av.evolve_at)
                    .is_some_and(|at| i >= at);
                let writer = v2.as_ref().filter(|_| evolved).unwrap_or(v1);
                super::loadgen_avro::encode(writer, &event, &mut avro_buf)?;
                &avro_buf
            }
        };
        if !a.outcomes.as_ref().is_some_and(|o| o.only) {
            let record = BaseRecord::<str, [u8]>::to(&a.topic)
                .key(&key)
                .payload(payload);
            crate::pipeline::producer::send_waiting(producer, record).context("producing")?;
        }
        if let Some(o) = a.outcomes.as_ref().filter(|_| !outcome_buf.is_empty()) {
            let record = BaseRecord::<str, str>::to(&o.topic)
                .key(&key)
                .payload(&outcome_buf);
            crate::pipeline::producer::send_waiting(producer, record)
                .context("producing an outcome")?;
            outcomes += 1;
        }
        if a.rate > 0 {
            let due = Duration::from_secs_f64((i + 1) as f64 / a.rate as f64);
            if let Some(wait) = due.checked_sub(start.elapsed()) {
                std::thread::sleep(wait);
            }
        }
    }
    Ok(outcomes)
}

/// The arguments of `psimon loadgen`.
#[derive(clap::Args)]
pub(crate) struct LoadgenCli {
    #[arg(long, default_value = "127.0.0.1:9092")]
    brokers: String,
    #[arg(long, default_value = "applications")]
    topic: String,
    #[arg(long, default_value_t = 100_000)]
    count: u64,
    /// Events per second; 0 for as fast as possible.
    #[arg(long, default_value_t = 0)]
    rate: u64,
    #[arg(long, default_value_t = 0.0)]
    shift: f64,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    #[arg(long, default_value = "retail_v3")]
    model: String,
    /// 20 numeric features f00..f19 at the top level.
    #[arg(long)]
    wide: bool,
    /// Event time of the first event, epoch ms (default: now).
    #[arg(long)]
    start_ms: Option<i64>,
    /// Event time between consecutive events, ms.
    #[arg(long, default_value_t = 1)]
    step_ms: i64,
    /// Create the topic with this many partitions if it does not exist.
    #[arg(long)]
    partitions: Option<i32>,
    /// Also produce each application's outcome (`outcome` 1 bad / 0 good, keyed and
    /// identified by the application id) to this topic.
    #[arg(long)]
    outcomes_topic: Option<String>,
    /// Outcome time after the application time.
    #[arg(long, default_value = "90d", value_parser = humantime::parse_duration)]
    outcome_delay: std::time::Duration,
    /// Share of applications whose outcome is produced (the rest never get one).
    #[arg(long, default_value_t = 1.0)]
    outcome_share: f64,
    /// Produce only the outcomes (of the applications the same seed and count produced).
    #[arg(long, requires = "outcomes_topic")]
    only_outcomes: bool,
    /// Share of outcomes redrawn at random (an IV drop to detect).
    #[arg(long, default_value_t = 0.0, requires = "outcomes_topic")]
    label_noise: f64,
    /// Add a protected attribute `applicant.group` (A 70%, B 30%) with group B's
    /// bureau scores this many points lower.
    #[arg(long)]
    protected_gap: Option<f64>,
    /// json, or avro (the Confluent wire format; needs --registry).
    #[arg(long, default_value = "json", value_parser = ["json", "avro"])]
    format: String,
    /// Confluent-compatible schema registry to register the Avro schema with.
    #[arg(long, required_if_eq("format", "avro"))]
    registry: Option<String>,
    /// From this event on, write with an evolved schema (a second schema id).
    #[arg(long, requires = "registry")]
    evolve_at: Option<u64>,
    /// A librdkafka property of the producer and the admin client, as kcat's -X
    /// (e.g. `-X security.protocol=SASL_SSL`, `-X compression.type=zstd`); repeatable.
    #[arg(short = 'X', long = "property", value_name = "KEY=VALUE")]
    properties: Vec<String>,
}

impl LoadgenCli {
    pub(super) fn run(self) -> Result<()> {
        let outcomes = self.outcomes_topic.map(|topic| OutcomeArgs {
            topic,
            delay_ms: i64::try_from(self.outcome_delay.as_millis()).unwrap_or(i64::MAX),
            share: self.outcome_share,
            only: self.only_outcomes,
            label_noise: self.label_noise,
        });
        let avro = (self.format == "avro").then(|| AvroArgs {
            registry: self.registry.unwrap_or_default(),
            evolve_at: self.evolve_at,
        });
        run(LoadgenArgs {
            brokers: self.brokers,
            properties: self.properties,
            topic: self.topic,
            count: self.count,
            rate: self.rate,
            shift: self.shift,
            seed: self.seed,
            model: self.model,
            wide: self.wide,
            start_ms: self.start_ms,
            step_ms: self.step_ms,
            partitions: self.partitions,
            outcomes,
            protected_gap: self.protected_gap,
            avro,
        })
    }
}
