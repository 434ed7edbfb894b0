//! Creating and checking the state topic: compacted, with as many partitions as the
//! largest input topic. An existing topic that is not compacted is refused (deleting old
//! panes by time would lose windows).

use std::time::Duration;

use crate::kafka::log::QuietContext;
use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, ResourceSpecifier, TopicReplication};
use rdkafka::producer::{BaseProducer, Producer};
use thiserror::Error;
use tracing::{info, warn};

#[derive(Debug, Error)]
pub(crate) enum TopicError {
    #[error("reading the metadata of topic {topic}: {source}")]
    Metadata {
        topic: String,
        source: rdkafka::error::KafkaError,
    },
    #[error("input topic {0} does not exist")]
    MissingInput(String),
    #[error("creating the state topic {topic}: {detail}")]
    Create { topic: String, detail: String },
    #[error(
        "the state topic {topic} has cleanup.policy={policy}; it must be compacted (cleanup.policy=compact) or old panes are lost by retention"
    )]
    NotCompacted { topic: String, policy: String },
    #[error(
        "outcomes are joined with applications by application id: every input topic needs the same partition count, and so does the outcome topic unless outcomes are repartitioned: {counts}"
    )]
    NotCoPartitioned { counts: String },
}

/// The partition counts of `outcome_topic` and of the input topics, which must agree among
/// themselves (applications are not repartitioned).
pub(crate) async fn outcome_partitions(
    base: &ClientConfig,
    outcome_topic: &str,
    input_topics: &[String],
    timeout: Duration,
) -> Result<(i32, i32), TopicError> {
    let reader = metadata_reader(base, outcome_topic)?;
    let mut topics = vec![outcome_topic.to_string()];
    topics.extend(input_topics.iter().cloned());
    tokio::task::spawn_blocking(move || {
        let mut counts = Vec::new();
        for t in &topics {
            match partitions(&reader, t, timeout)? {
                Some(n) => counts.push((t.clone(), n)),
                None => return Err(TopicError::MissingInput(t.clone())),
            }
        }
        let n = counts[1].1;
        if counts[1..].iter().all(|(_, c)| *c == n) {
            Ok((counts[0].1, n))
        } else {
            Err(TopicError::NotCoPartitioned {
                counts: counts
                    .iter()
                    .map(|(t, c)| format!("{t} has {c}"))
                    .collect::<Vec<_>>()
                    .join(", "),
            })
        }
    })
    .await
    .map_err(|e| TopicError::Create {
        topic: outcome_topic.to_string(),
        detail: e.to_string(),
    })?
}

/// Makes sure the repartition topic exists with `wanted` partitions (created with
/// `cleanup.policy=delete` and 7 days' retention: a record is needed until its outcome is
/// joined, which the consumer's checkpoint records).
pub(crate) async fn ensure_repartition_topic(
    base: &ClientConfig,
    topic: &str,
    wanted: i32,
    timeout: Duration,
) -> Result<(), TopicError> {
    let admin = metadata_admin(base, topic)?;
    let (a, t) = (metadata_reader(base, topic)?, topic.to_string());
    let existing = tokio::task::spawn_blocking(move || partitions(&a, &t, timeout))
        .await
        .map_err(|e| TopicError::Create {
            topic: topic.to_string(),
            detail: e.to_string(),
        })??;
    match existing {
        Some(n) if n == wanted => return Ok(()),
        Some(n) => {
            return Err(TopicError::NotCoPartitioned {
                counts: format!(
                    "the repartition topic {topic} has {n}, the input topics {wanted} (delete it to have it created anew)"
                ),
            });
        }
        None => {}
    }
    let opts = AdminOptions::new().request_timeout(Some(timeout));
    let new = NewTopic::new(topic, wanted, TopicReplication::Fixed(-1))
        .set("cleanup.policy", "delete")
        .set("retention.ms", "604800000");
    let created = admin
        .create_topics(&[new], &opts)
        .await
        .map_err(|e| TopicError::Create {
            topic: topic.to_string(),
            detail: e.to_string(),
        })?;
    for r in created {
        match r {
            Ok(_) => info!(
                topic,
                partitions = wanted,
                "created the outcome repartition topic"
            ),
            Err((_, rdkafka::types::RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((t, e)) => {
                return Err(TopicError::Create {
                    topic: t,
                    detail: e.to_string(),
                });
            }
        }
    }
    Ok(())
}

/// A client (admin, or `MetadataReader`) whose metadata requests do not create topics (as
/// the broker's default policy would); `topic` labels its error.
fn quiet_client<T>(base: &ClientConfig, topic: &str) -> Result<T, TopicError>
where
    T: rdkafka::config::FromClientConfigAndContext<QuietContext>,
{
    let mut cfg = base.clone();
    cfg.set("allow.auto.create.topics", "false");
    cfg.create_with_context(QuietContext::default())
        .map_err(|source| TopicError::Metadata {
            topic: topic.to_string(),
            source,
        })
}

fn metadata_admin(
    base: &ClientConfig,
    topic: &str,
) -> Result<AdminClient<QuietContext>, TopicError> {
    quiet_client(base, topic)
}

/// A client for metadata reads. Not the admin client: nothing polls an admin client's main
/// queue, so its connection errors (a refused password, a failed TLS handshake) would never
/// reach the log or `/readyz`; this one is polled after each read.
fn metadata_reader(base: &ClientConfig, topic: &str) -> Result<MetadataReader, TopicError> {
    quiet_client(base, topic)
}

type MetadataReader = BaseProducer<QuietContext>;

/// Partitions of `topic`, `None` if it does not exist.
fn partitions(
    reader: &MetadataReader,
    topic: &str,
    timeout: Duration,
) -> Result<Option<i32>, TopicError> {
    let md = reader.client().fetch_metadata(Some(topic), timeout);
    // Delivers the client's logs and errors of the read to its context (one event per
    // turn of the poll loop, until the deadline).
    reader.poll(Duration::from_millis(50));
    let md = md.map_err(|source| TopicError::Metadata {
        topic: topic.to_string(),
        source,
    })?;
    Ok(md
        .topics()
        .iter()
        .find(|t| t.name() == topic && t.error().is_none() && !t.partitions().is_empty())
        .map(|t| t.partitions().len() as i32))
}

/// Makes sure the state topic exists and is compacted; returns its partition count.
pub(crate) async fn ensure_state_topic(
    base: &ClientConfig,
    state_topic: &str,
    input_topics: &[String],
    timeout: Duration,
) -> Result<i32, TopicError> {
    let admin = metadata_admin(base, state_topic)?;
    let (a, topic, inputs) = (
        metadata_reader(base, state_topic)?,
        state_topic.to_string(),
        input_topics.to_vec(),
    );
    let (existing, wanted) = tokio::task::spawn_blocking(move || {
        let mut wanted = 1;
        for t in &inputs {
            match partitions(&a, t, timeout)? {
                Some(n) => wanted = wanted.max(n),
                None => return Err(TopicError::MissingInput(t.clone())),
            }
        }
        Ok((partitions(&a, &topic, timeout)?, wanted))
    })
    .await
    .map_err(|e| TopicError::Create {
        topic: state_topic.to_string(),
        detail: e.to_string(),
    })??;
    let opts = AdminOptions::new().request_timeout(Some(timeout));
    if let Some(n) = existing {
        // Bounded: some Kafka-compatible servers (librdkafka's mock cluster) never answer.
        let describe =
            AdminOptions::new().request_timeout(Some(timeout.min(Duration::from_secs(2))));
        match admin
            .describe_configs(&[ResourceSpecifier::Topic(state_topic)], &describe)
            .await
        {
            Ok(results) => {
                for r in results.into_iter().flatten() {
                    if let Some(policy) = r.get("cleanup.policy").and_then(|e| e.value.clone())
                        && !policy.contains("compact")
                    {
                        return Err(TopicError::NotCompacted {
                            topic: state_topic.to_string(),
                            policy,
                        });
                    }
                }
            }
            Err(e) => {
                warn!(topic = state_topic, error = %e, "could not read the state topic's config; not checked")
            }
        }
        if n < wanted {
            warn!(
                topic = state_topic,
                partitions = n,
                input_partitions = wanted,
                "the state topic has fewer partitions than the input; it works, with less parallel restore"
            );
        }
        return Ok(n);
    }
    let new = NewTopic::new(state_topic, wanted, TopicReplication::Fixed(-1))
        .set("cleanup.policy", "compact")
        .set("min.compaction.lag.ms", "60000")
        .set("segment.ms", "3600000");
    let created = admin
        .create_topics(&[new], &opts)
        .await
        .map_err(|e| TopicError::Create {
            topic: state_topic.to_string(),
            detail: e.to_string(),
        })?;
    for r in created {
        match r {
            Ok(_) => info!(
                topic = state_topic,
                partitions = wanted,
                "created the compacted state topic"
            ),
            Err((_, rdkafka::types::RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((t, e)) => {
                return Err(TopicError::Create {
                    topic: t,
                    detail: e.to_string(),
                });
            }
        }
    }
    Ok(wanted)
}
