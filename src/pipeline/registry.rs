//! The schema registry client of Avro input (Confluent-compatible API: `GET
//! {url}/schemas/ids/{id}`), with the cache of writer schemas by id. Schemas are immutable
//! per id, so each is fetched once. It owns the I/O the pure decoder must not do, and is
//! called before the owner is locked: an unreachable registry is retried (the consumer
//! waits, nothing is skipped or dead-lettered), while an id the registry does not know
//! is a fact about the message (`unknown_schema`).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

use apache_avro::Schema;

use crate::event::avro::WriterSchema;
use base64::Engine;
use tracing::{info, warn};

use crate::config::RegistryConfig;
use crate::event::{Invalid, InvalidReason, invalid};
use crate::output::metrics::Metrics;

/// A schema id as the registry answered it.
#[derive(Clone)]
enum Entry {
    Schema(Arc<WriterSchema>),
    /// Not a usable writer schema: unknown to the registry, not Avro, or not parsable.
    Refused(InvalidReason, String),
}

pub(crate) struct Registry {
    base: String,
    authorization: Option<String>,
    agent: ureq::Agent,
    cache: RwLock<HashMap<u32, Entry>>,
    metrics: Metrics,
}

/// Why one request gave no answer to cache.
struct Unavailable(String);

impl Registry {
    pub(crate) fn new(config: &RegistryConfig, metrics: Metrics) -> Self {
        let authorization = config.username.as_ref().map(|u| {
            let pair = format!("{u}:{}", config.password.as_deref().unwrap_or_default());
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(pair)
            )
        });
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(config.timeout))
            .http_status_as_error(false)
            .build()
            .into();
        Self {
            base: config.url.trim_end_matches('/').to_string(),
            authorization,
            agent,
            cache: RwLock::new(HashMap::new()),
            metrics,
        }
    }

    /// The writer schema of `id` from the cache, or why there is none (`ensure` first).
    pub(crate) fn schema(&self, id: u32) -> Result<Arc<WriterSchema>, Invalid> {
        let cache = self.cache.read().unwrap_or_else(|e| e.into_inner());
        match cache.get(&id) {
            Some(Entry::Schema(s)) => Ok(Arc::clone(s)),
            Some(Entry::Refused(reason, why)) => Err(invalid(*reason, why.clone())),
            None => Err(invalid(
                InvalidReason::UnknownSchema,
                format!("schema id {id} was not fetched"),
            )),
        }
    }

    /// Fetches every id of `ids` not yet cached, retrying while the registry cannot answer
    /// (doubling the wait up to 30 s) until it does or `stop` is set. False if stopped.
    /// `alive` is called at every attempt: the wait is deliberate, and the watchdog of
    /// stuck Kafka calls must not take a long registry outage for one.
    pub(crate) fn ensure(
        &self,
        ids: impl IntoIterator<Item = u32>,
        stop: &CancellationToken,
        alive: impl Fn(),
    ) -> bool {
        // A batch is mostly one schema id: look each run of it up once, not per message.
        let mut last = None;
        for id in ids {
            if last.replace(id) == Some(id) {
                continue;
            }
            if self
                .cache
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .contains_key(&id)
            {
                continue;
            }
            let mut wait = Duration::from_millis(200);
            let mut failed = false;
            let entry = loop {
                alive();
                match self.fetch(id) {
                    Ok(entry) => break entry,
                    Err(Unavailable(why)) => {
                        self.metrics
                            .schema_registry_requests
                            .with_label_values(&["error"])
                            .inc();
                        warn!(
                            "schema registry: schema id {id}: {why}; retrying in {wait:?} (consumption waits)"
                        );
                        failed = true;
                        if !sleep_unless_stopped(wait, stop) {
                            return false;
                        }
                        wait = (wait * 2).min(Duration::from_secs(30));
                    }
                }
            };
            if failed {
                info!("schema registry answered for schema id {id}");
            }
            let result = match &entry {
                Entry::Schema(_) => "ok",
                Entry::Refused(InvalidReason::UnknownSchema, _) => "unknown",
                Entry::Refused(..) => "refused",
            };
            self.metrics
                .schema_registry_requests
                .with_label_values(&[result])
                .inc();
            let mut cache = self.cache.write().unwrap_or_else(|e| e.into_inner());
            cache.insert(id, entry);
            self.metrics.schemas_cached.set(cache.len() as i64);
        }
        true
    }

    fn fetch(&self, id: u32) -> Result<Entry, Unavailable> {
        let url = format!("{}/schemas/ids/{id}", self.base);
        let mut request = self.agent.get(&url).header(
            "Accept",
            "application/vnd.schemaregistry.v1+json, application/json",
        );
        if let Some(a) = &self.authorization {
            request = request.header("Authorization", a);
        }
        let mut response = request
            .call()
            .map_err(|e| Unavailable(format!("GET {url}: {e}")))?;
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .read_to_string()
            .map_err(|e| Unavailable(format!("GET {url}: reading the answer: {e}")))?;
        match status {
            200 => Ok(parse_answer(id, &body)),
            // 40403 is "schema not found"; a 404 of the whole path means a wrong url,
            // which no message can fix, so it is retried (and logged) like an outage.
            404 if body.contains("40403") || body.contains("\"error_code\":404") => {
                Ok(Entry::Refused(
                    InvalidReason::UnknownSchema,
                    format!("schema id {id} is not in the registry"),
                ))
            }
            s => Err(Unavailable(format!(
                "GET {url}: HTTP {s} {}",
                body.chars().take(200).collect::<String>()
            ))),
        }
    }
}

/// The registry's answer for a schema id: `{"schema": "...", "schemaType": ...,
/// "references": [...]}`.
fn parse_answer(id: u32, body: &str) -> Entry {
    let refused = |why: String| Entry::Refused(InvalidReason::InvalidAvro, why);
    let Ok(doc) = serde_json::from_str::<serde_json::Value>(body) else {
        return refused(format!("schema id {id}: the registry's answer is not JSON"));
    };
    let kind = doc["schemaType"].as_str().unwrap_or("AVRO");
    if kind != "AVRO" {
        return refused(format!("schema id {id} is a {kind} schema, not Avro"));
    }
    if doc["references"].as_array().is_some_and(|r| !r.is_empty()) {
        return refused(format!(
            "schema id {id} refers to other schemas, which psimon does not read"
        ));
    }
    let Some(text) = doc["schema"].as_str() else {
        return refused(format!("schema id {id}: the answer has no schema"));
    };
    match Schema::parse_str(text) {
        Ok(s) => match WriterSchema::new(s) {
            Ok(w) => Entry::Schema(Arc::new(w)),
            Err(e) => refused(format!("schema id {id}: {e}")),
        },
        Err(e) => refused(format!("schema id {id} is not a valid Avro schema ({e})")),
    }
}

/// Sleeps `d` in short steps; false if `stop` was set meanwhile.
fn sleep_unless_stopped(d: Duration, stop: &CancellationToken) -> bool {
    let step = Duration::from_millis(50);
    let mut left = d;
    while !left.is_zero() {
        if stop.is_cancelled() {
            return false;
        }
        let s = left.min(step);
        std::thread::sleep(s);
        left -= s;
    }
    !stop.is_cancelled()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_read_as_avro_or_refused_with_a_reason() {
        let ok = parse_answer(
            1,
            r#"{"schema": "{\"type\": \"record\", \"name\": \"A\", \"fields\": []}"}"#,
        );
        assert!(matches!(ok, Entry::Schema(_)));
        for (body, want) in [
            (r#"{"schema": "{}", "schemaType": "JSON"}"#, "a JSON schema"),
            (
                r#"{"schema": "\"int\"", "references": [{"name": "x"}]}"#,
                "refers to other",
            ),
            (
                r#"{"schema": "{\"type\": \"nope\"}"}"#,
                "not a valid Avro schema",
            ),
            ("<html>", "not JSON"),
        ] {
            match parse_answer(7, body) {
                Entry::Refused(InvalidReason::InvalidAvro, why) => {
                    assert!(why.contains(want), "{why}")
                }
                _ => panic!("{body} was accepted"),
            }
        }
    }

    #[test]
    fn an_unreachable_registry_is_retried_alive_until_stopped_and_caches_nothing() {
        // A port nothing listens on: every attempt is refused at once.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let config = RegistryConfig {
            url: format!("http://127.0.0.1:{port}"),
            username: None,
            password: None,
            timeout: Duration::from_secs(1),
        };
        let registry = Registry::new(&config, Metrics::new());
        let stop = CancellationToken::new();
        let attempts = std::sync::atomic::AtomicUsize::new(0);
        let fetched = registry.ensure([5, 5, 5], &stop, || {
            if attempts.fetch_add(1, std::sync::atomic::Ordering::Relaxed) == 2 {
                stop.cancel();
            }
        });
        assert!(!fetched, "stopped, so not fetched");
        assert_eq!(
            attempts.load(std::sync::atomic::Ordering::Relaxed),
            3,
            "alive at every attempt"
        );
        assert!(matches!(
            registry.schema(5),
            Err(i) if i.reason == InvalidReason::UnknownSchema
        ));
    }
}
