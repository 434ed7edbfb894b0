//! The configuration structs, their defaults and what each field means.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub kafka: KafkaConfig,
    #[serde(default)]
    pub http: HttpConfig,
    pub mapping: MappingConfig,
    pub models: Vec<ModelConfig>,
    pub windows: Vec<WindowConfig>,
    #[serde(default)]
    pub evaluation: EvaluationConfig,
    #[serde(default)]
    pub shutdown: ShutdownConfig,
    #[serde(default)]
    pub state: StateConfig,
    /// Delayed good/bad outcomes joined with their applications (windowed IV).
    #[serde(default)]
    pub outcomes: Option<OutcomesConfig>,
    /// Fairness checks of a model's score (or another feature) across a protected attribute.
    #[serde(default)]
    pub fairness: Vec<FairnessConfig>,
    #[serde(default)]
    pub input: InputConfig,
    #[serde(default)]
    pub log: LogConfig,
}

/// The log on standard error.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    /// `text` (default) or `json` (one object per line, for log shippers). Read before the
    /// rest of the config, so that its problems are logged in the chosen format.
    #[serde(default)]
    pub format: LogFormat,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// How application events are encoded.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputConfig {
    #[serde(default)]
    pub format: InputFormat,
    /// The Confluent-compatible schema registry of Avro input.
    #[serde(default)]
    pub schema_registry: Option<RegistryConfig>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InputFormat {
    #[default]
    Json,
    /// The Confluent wire format: magic byte, schema id, Avro datum.
    Avro,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistryConfig {
    /// Base URL of the Confluent-compatible API (`GET {url}/schemas/ids/{id}`), e.g.
    /// `http://registry:8081` or Apicurio's `http://apicurio:8080/apis/ccompat/v7`.
    pub url: String,
    /// Basic authentication (both or neither).
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    /// Timeout of one request; an unreachable registry is retried, never skipped.
    #[serde(default = "default_registry_timeout", with = "humantime_serde_compat")]
    pub timeout: Duration,
}

fn default_registry_timeout() -> Duration {
    Duration::from_secs(10)
}

/// One fairness check (STATISTICS.md sec. 6): per window of the model's `[[windows]]`,
/// for each monitored group, J between the feature's bin distribution in that group and in
/// the reference group, with SE, interval and the tolerance test of "J < tau". The
/// attribute's values appear nowhere but as the configured group names.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FairnessConfig {
    /// The check's name: the `check` label of its metrics.
    pub name: String,
    /// The model whose applications are checked; default: the only model.
    #[serde(default)]
    pub model: Option<String>,
    /// JSON pointer of the protected attribute in the application event.
    pub attribute: String,
    /// The attribute's value of the reference group (text; numbers and booleans are
    /// matched by value: `"1"` matches `1` and `1.0`).
    pub reference: String,
    /// The attribute's values of the monitored groups; applications with other values (or
    /// none) are not counted in the check.
    pub groups: Vec<String>,
    /// The monitored feature (scorecard bins); default `score`.
    #[serde(default = "default_fairness_feature")]
    pub feature: String,
    /// The largest acceptable J; the check is ok when "J < tau" is shown at `alpha`.
    #[serde(default = "default_fairness_tau")]
    pub tau: f64,
}

/// The name under which `mapping.score` is monitored; the baseline must have it.
pub const SCORE_FEATURE: &str = "score";

fn default_fairness_feature() -> String {
    SCORE_FEATURE.to_string()
}

fn default_fairness_tau() -> f64 {
    crate::fairness::DEFAULT_FAIRNESS_TAU
}

/// The outcome topic and its join with the applications. Applications are keyed by the
/// application id; outcomes are joined with them by that id: read from the outcome's key
/// (co-partitioned topics) or through an internal topic keyed and partitioned by the id
/// (`repartition`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutcomesConfig {
    pub topic: String,
    /// JSON pointer of the application id in the outcome; default: the message key. With
    /// it, outcomes are repartitioned by that id (`repartition`).
    #[serde(default)]
    pub id: Option<String>,
    /// Whether outcomes go through the internal topic `<group_id>.psimon-outcomes-by-id`,
    /// keyed by the application id and with the input topics' partition count: `auto`
    /// (when `id` is set or the partition counts differ), `always`, `never` (refuse topics
    /// that are not co-partitioned).
    #[serde(default)]
    pub repartition: Repartition,
    /// JSON pointer of the outcome.
    pub outcome: String,
    /// JSON pointer of the outcome's time (epoch ms or RFC 3339); default: the Kafka
    /// timestamp.
    #[serde(default)]
    pub outcome_time: Option<String>,
    /// Outcome values (as text: `1`, `true`, `default`) that mean bad; any other value
    /// not in `good_values` is dead-lettered.
    pub bad_values: Vec<String>,
    pub good_values: Vec<String>,
    /// How long an application waits for its outcome (application time against the
    /// newest outcome time seen).
    #[serde(with = "humantime_serde_compat")]
    pub horizon: Duration,
    /// How long an outcome that came before its application waits for it.
    #[serde(default = "default_grace", with = "humantime_serde_compat")]
    pub grace: Duration,
    /// Directory of the on-disk join store (relative to the config file); default
    /// `psimon-join`. Rebuilt from the changelog topic on start.
    #[serde(default)]
    pub store_dir: Option<String>,
    /// Windows of joined outcomes, by application time (vintages) or by count.
    pub windows: Vec<WindowConfig>,
    /// `iv_drop` warning: this share of a feature's development IV lost.
    #[serde(default = "default_warning_iv_drop")]
    pub warning_iv_drop: f64,
    /// `iv_drop` alert: this share lost.
    #[serde(default = "default_alert_iv_drop")]
    pub alert_iv_drop: f64,
}

/// When outcomes are repartitioned by application id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Repartition {
    #[default]
    Auto,
    Always,
    Never,
}

fn default_warning_iv_drop() -> f64 {
    crate::evaluate::DEFAULT_WARNING_IV_DROP
}

fn default_alert_iv_drop() -> f64 {
    crate::evaluate::DEFAULT_ALERT_IV_DROP
}

fn default_grace() -> Duration {
    Duration::from_secs(24 * 3600)
}

/// The durable state: a compacted Kafka topic written in transactions.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateConfig {
    /// The compacted state topic; default `<group_id>.psimon-state`.
    #[serde(default)]
    pub topic: Option<String>,
    /// How often the changed panes, dead letters and input offsets are committed in one
    /// transaction. Shorter: less to re-read after a crash, more transactions.
    #[serde(default = "default_commit_interval", with = "humantime_serde_compat")]
    pub commit_interval: Duration,
    /// A partition whose newest event time is this far behind the newest of all partitions
    /// does not hold time windows back.
    #[serde(default = "default_idle_timeout", with = "humantime_serde_compat")]
    pub idle_timeout: Duration,
    /// How long a newly assigned partition may wait for the state table to catch up.
    #[serde(default = "default_restore_timeout", with = "humantime_serde_compat")]
    pub restore_timeout: Duration,
}

impl Default for StateConfig {
    fn default() -> Self {
        Self {
            topic: None,
            commit_interval: default_commit_interval(),
            idle_timeout: default_idle_timeout(),
            restore_timeout: default_restore_timeout(),
        }
    }
}

impl Config {
    /// The state topic's name.
    pub fn state_topic(&self) -> String {
        self.state
            .topic
            .clone()
            .unwrap_or_else(|| format!("{}.psimon-state", self.kafka.group_id))
    }
}

fn default_commit_interval() -> Duration {
    Duration::from_secs(1)
}

fn default_idle_timeout() -> Duration {
    Duration::from_secs(300)
}

fn default_restore_timeout() -> Duration {
    Duration::from_secs(60)
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShutdownConfig {
    /// On SIGINT/SIGTERM: stop consuming, evaluate once more, flush, commit, stop HTTP,
    /// all within this time.
    #[serde(default = "default_deadline", with = "humantime_serde_compat")]
    pub deadline: Duration,
}

impl Default for ShutdownConfig {
    fn default() -> Self {
        Self {
            deadline: default_deadline(),
        }
    }
}

fn default_deadline() -> Duration {
    Duration::from_secs(10)
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KafkaConfig {
    /// `bootstrap.servers`.
    pub brokers: String,
    #[serde(default = "default_group")]
    pub group_id: String,
    pub input_topics: Vec<String>,
    pub drift_topic: String,
    pub dead_letter_topic: String,
    /// Larger payloads are dead-lettered as `oversized`.
    #[serde(default = "default_max_bytes")]
    pub max_message_bytes: usize,
    /// Dead letters larger than this (key, payload and headers) carry a truncated payload
    /// and the header `psimon.original.size`; keep it within the dead-letter topic's
    /// `max.message.bytes` and the producer's `message.max.bytes`.
    #[serde(default = "default_dlq_max_bytes")]
    pub dead_letter_max_bytes: usize,
    /// This instance's stable name: `group.instance.id` (static membership) and the base of
    /// `transactional.id`. Default: the host name (the pod name in Kubernetes). Two live
    /// instances must never share it.
    #[serde(default)]
    pub instance_id: Option<String>,
    /// Bytes of messages the consumer may hold fetched ahead of counting, over all its
    /// partitions: the bound on memory whatever the backlog (`pipeline::fetch` turns it into
    /// librdkafka's queue and fetch sizes).
    #[serde(default = "default_prefetch_bytes")]
    pub prefetch_bytes: u64,
    /// Counting threads, each a consumer group member owning its partitions; default one
    /// per core, at most one per input partition.
    #[serde(default)]
    pub workers: Option<usize>,
    /// librdkafka properties, passed through unchanged (SASL, SSL, fetch sizes ...).
    #[serde(default)]
    pub properties: BTreeMap<String, String>,
    /// librdkafka properties whose value is read from a file (a mounted Secret): property
    /// name to path; the content, one trailing newline removed, is the value. Read by the
    /// shell when the config is loaded (`cli::config_secrets`).
    #[serde(default)]
    pub secret_files: BTreeMap<String, std::path::PathBuf>,
}

fn default_group() -> String {
    "psimon".into()
}

/// `[kafka] prefetch_bytes` by default: 96 MiB ahead. Measured with
/// `scripts/throughput.sh` (2,000,000 events of 20 features, one core): peak resident
/// memory 176 MB on 12 partitions and 142 MB on one, at 515-545k events/s; 24 MiB gave
/// 61 MB at 453k/s, 128 MiB 220 MB at 524k/s.
pub const DEFAULT_PREFETCH_BYTES: u64 = 96 << 20;

fn default_prefetch_bytes() -> u64 {
    DEFAULT_PREFETCH_BYTES
}

fn default_max_bytes() -> usize {
    1 << 20
}

fn default_dlq_max_bytes() -> usize {
    1_000_000
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    #[serde(default = "default_address")]
    pub address: String,
    /// A listener of its own for `/livez` and `/readyz` (the kubelet's probes), so that
    /// clients filling the main listener's connection limit cannot fail the probes.
    #[serde(default)]
    pub health_address: Option<String>,
    /// Users allowed to read `/metrics` and `/api/*` with basic authentication: name to
    /// bcrypt hash (as Prometheus' web config has them; `htpasswd -nbBC 10 user pw`).
    #[serde(default)]
    pub basic_auth_users: BTreeMap<String, String>,
    /// A file holding a bearer token that also admits to `/metrics` and `/api/*`.
    #[serde(default)]
    pub bearer_token_file: Option<std::path::PathBuf>,
    /// HTTPS on `address`: the certificate chain and its key (PEM), read again when they
    /// change on disk. `health_address` stays plain HTTP for the kubelet's probes.
    #[serde(default)]
    pub tls_cert_file: Option<std::path::PathBuf>,
    #[serde(default)]
    pub tls_key_file: Option<std::path::PathBuf>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            address: default_address(),
            health_address: None,
            basic_auth_users: BTreeMap::new(),
            bearer_token_file: None,
            tls_cert_file: None,
            tls_key_file: None,
        }
    }
}

fn default_address() -> String {
    "127.0.0.1:9464".into()
}

/// Where the fields of an application event are: JSON pointers (RFC 6901), e.g.
/// `/applicant/income` for a nested field.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MappingConfig {
    /// The application id (used in dead-letter details only).
    #[serde(default)]
    pub id: Option<String>,
    /// Event time: RFC 3339 text or epoch milliseconds; without it, the Kafka timestamp.
    #[serde(default)]
    pub event_time: Option<String>,
    /// The model the application was scored by; without it, every event is for `default_model`.
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub default_model: Option<String>,
    /// The scorecard's score, monitored as the feature `score` of the baseline.
    #[serde(default)]
    pub score: Option<String>,
    /// Feature name (as in the baseline) -> pointer.
    pub features: BTreeMap<String, String>,
    /// An event time further ahead of its Kafka timestamp than this is dead-lettered as
    /// `invalid_time`: it would move the watermark for good.
    #[serde(default = "default_time_skew", with = "humantime_serde_compat")]
    pub max_time_skew: Duration,
}

fn default_time_skew() -> Duration {
    Duration::from_secs(3600)
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelConfig {
    /// The model's name as it appears in events.
    pub name: String,
    /// Baseline file.
    pub baseline: String,
    /// Model name inside the baseline file (default: `name`, or the file's only model).
    #[serde(default)]
    pub baseline_model: Option<String>,
    /// Also watch the baseline's population bins (where it has them): a second series per
    /// feature, `binning = "population"`. Off halves the per-feature series.
    #[serde(default = "yes")]
    pub population_bins: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "RawWindow")]
pub enum WindowConfig {
    /// A sliding time window of `length`, advancing every `slide`, as a ring of panes.
    Time {
        name: String,
        length: Duration,
        slide: Duration,
        allowed_lateness: Duration,
    },
    /// The last `size` applications, kept as `panes` panes of `size / panes`.
    Count { name: String, size: u64, panes: u64 },
}

fn default_count_panes() -> u64 {
    10
}

/// A window as written: one flat table whose `kind` says which keys belong. Read through
/// this (not serde's internally tagged enum, which buffers the table and loses the path of
/// a bad value) so that `check-config` can name `windows[0].length`, not just `windows[0]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWindow {
    kind: WindowKind,
    name: String,
    #[serde(default, with = "optional_duration")]
    length: Option<Duration>,
    #[serde(default, with = "optional_duration")]
    slide: Option<Duration>,
    #[serde(default, with = "optional_duration")]
    allowed_lateness: Option<Duration>,
    #[serde(default)]
    size: Option<u64>,
    #[serde(default)]
    panes: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum WindowKind {
    Time,
    Count,
}

impl TryFrom<RawWindow> for WindowConfig {
    type Error = String;

    /// The messages read like serde's own (`missing field`, `unknown field`), so the
    /// config check treats them as it treats those.
    fn try_from(w: RawWindow) -> Result<Self, String> {
        let missing = |key: &str| format!("missing field `{key}`");
        let foreign = |key: &str, kind: &str, keys: &str| {
            format!("unknown field `{key}` for a {kind} window, expected one of {keys}")
        };
        match w.kind {
            WindowKind::Time => {
                const KEYS: &str = "`kind`, `name`, `length`, `slide`, `allowed_lateness`";
                if w.size.is_some() {
                    return Err(foreign("size", "time", KEYS));
                }
                if w.panes.is_some() {
                    return Err(foreign("panes", "time", KEYS));
                }
                Ok(WindowConfig::Time {
                    name: w.name,
                    length: w.length.ok_or_else(|| missing("length"))?,
                    slide: w.slide.ok_or_else(|| missing("slide"))?,
                    allowed_lateness: w.allowed_lateness.unwrap_or_default(),
                })
            }
            WindowKind::Count => {
                const KEYS: &str = "`kind`, `name`, `size`, `panes`";
                for (key, set) in [
                    ("length", w.length.is_some()),
                    ("slide", w.slide.is_some()),
                    ("allowed_lateness", w.allowed_lateness.is_some()),
                ] {
                    if set {
                        return Err(foreign(key, "count", KEYS));
                    }
                }
                Ok(WindowConfig::Count {
                    name: w.name,
                    size: w.size.ok_or_else(|| missing("size"))?,
                    panes: w.panes.unwrap_or_else(default_count_panes),
                })
            }
        }
    }
}

impl WindowConfig {
    pub fn name(&self) -> &str {
        match self {
            WindowConfig::Time { name, .. } | WindowConfig::Count { name, .. } => name,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvaluationConfig {
    #[serde(default = "default_interval", with = "humantime_serde_compat")]
    pub interval: Duration,
    /// A window is evaluated only with at least this many applications.
    #[serde(default = "default_min_apps")]
    pub min_applications: u64,
    /// Significance level of intervals and tests.
    #[serde(default = "default_alpha")]
    pub alpha: f64,
    /// PSI above which (by its CI's lower bound, significantly) a feature is in warning.
    #[serde(default = "default_warning")]
    pub warning_psi: f64,
    /// PSI above which (by its CI's lower bound, significantly) a feature is in alert.
    #[serde(default = "default_alert")]
    pub alert_psi: f64,
    /// A state clears once PSI falls below `clear_ratio` x its threshold (hysteresis).
    #[serde(default = "default_clear_ratio")]
    pub clear_ratio: f64,
    /// Bins listed as "moved most" in drift events.
    #[serde(default = "default_top_bins")]
    pub top_bins: usize,
    /// Adjustment of the no-drift p-values of the features evaluated together (per model
    /// and window): "bh" (Benjamini-Hochberg), "by" (Benjamini-Yekutieli), "bonferroni",
    /// "none".
    #[serde(default)]
    pub multiple_testing: crate::stats::Adjustment,
}

impl Default for EvaluationConfig {
    fn default() -> Self {
        Self {
            interval: default_interval(),
            min_applications: default_min_apps(),
            alpha: default_alpha(),
            warning_psi: default_warning(),
            alert_psi: default_alert(),
            clear_ratio: default_clear_ratio(),
            top_bins: default_top_bins(),
            multiple_testing: crate::stats::Adjustment::default(),
        }
    }
}

fn default_interval() -> Duration {
    Duration::from_secs(15)
}
fn default_min_apps() -> u64 {
    500
}
fn default_alpha() -> f64 {
    0.05
}
fn default_warning() -> f64 {
    crate::evaluate::DEFAULT_WARNING_PSI
}
fn default_alert() -> f64 {
    crate::evaluate::DEFAULT_ALERT_PSI
}
fn default_clear_ratio() -> f64 {
    0.8
}
fn default_top_bins() -> usize {
    3
}

/// Durations as text: "15s", "24h", "1h 30m".
mod humantime_serde_compat {
    use serde::Deserializer;
    use serde::de::{Error, Visitor};
    use std::fmt;
    use std::time::Duration;

    struct Text;

    impl Visitor<'_> for Text {
        type Value = Duration;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a duration as text with a unit, like \"15s\"")
        }

        fn visit_str<E: Error>(self, text: &str) -> Result<Duration, E> {
            humantime::parse_duration(text).map_err(|e| {
                E::custom(format!("not a duration ({e}); write e.g. \"15s\", \"24h\""))
            })
        }

        fn visit_i64<E: Error>(self, _: i64) -> Result<Duration, E> {
            Err(E::custom(
                "a bare number has no unit; write a duration as text, e.g. \"15s\", \"24h\"",
            ))
        }

        fn visit_u64<E: Error>(self, v: u64) -> Result<Duration, E> {
            self.visit_i64(v as i64)
        }

        fn visit_f64<E: Error>(self, v: f64) -> Result<Duration, E> {
            self.visit_i64(v as i64)
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        d.deserialize_any(Text)
    }
}

mod optional_duration {
    use serde::Deserializer;
    use std::time::Duration;

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Duration>, D::Error> {
        super::humantime_serde_compat::deserialize(d).map(Some)
    }
}
