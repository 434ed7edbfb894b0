//! `psimon pack`: a period's monitoring pack from a running deployment, read from Kafka
//! only (the state topic as the monitor keeps it, the drift topic, the input's
//! watermarks); it writes nothing to Kafka and joins no consumer group of the monitor's.
//! The document itself is `pack/doc.rs`, pure.

mod doc;
mod extra;
mod panes;

use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use serde_json::Value;

use super::plan::Plan;
use crate::config::Config;
use crate::output::metrics::Metrics;
use crate::state::GlobalTable;
use crate::state::reader::StateReader;
use crate::state::{PartitionId, SetId};
use crate::window::WindowSpec;
use doc::{Watermarks, pack_doc};
use panes::{PackPanes, PackScope, StoredPane};

const TIMEOUT: Duration = Duration::from_secs(30);

/// What to pack: a model, one of its time windows, the period `[from, to)` (epoch ms).
pub(crate) struct PackRequest<'a> {
    pub model: &'a str,
    pub window: &'a str,
    pub period: (i64, i64),
    pub generated_at: String,
}

/// The pack document of `request`, read from the deployment `config` describes.
pub(crate) fn collect(config: &Config, plan: &Plan, request: &PackRequest<'_>) -> Result<Value> {
    let model = (plan.models.iter())
        .position(|m| m.name == request.model)
        .ok_or_else(|| anyhow!("--model {}: no such model in the config", request.model))?;
    let window = (plan.windows.iter())
        .position(|(n, _)| n == request.window)
        .ok_or_else(|| anyhow!("--window {}: no such [[windows]] entry", request.window))?;
    let WindowSpec::Time { slide_ms, .. } = plan.windows[window].1 else {
        bail!(
            "--window {}: a count window has no period; pack a time window",
            request.window
        );
    };
    let base = super::run::client_config(config);
    // One client for metadata, watermarks and, last (it assigns partitions), the drift topic.
    let consumer = reader(&base)?;
    let table = state_table(config, &base, &consumer)?;
    let panes = pack_panes(&table, plan, model, window)?;
    let watermarks = watermarks(&consumer, &config.kafka.input_topics)?;
    let events = drift_events(&consumer, &config.kafka.drift_topic, request)?;
    let scope = PackScope {
        plan,
        model,
        window,
        slide_ms,
        period: request.period,
        generated_at: request.generated_at.clone(),
    };
    Ok(pack_doc(&scope, panes, &watermarks, events))
}

/// A consumer that joins no group: assigned partitions only, read_committed.
fn reader(base: &ClientConfig) -> Result<BaseConsumer> {
    let mut cfg = base.clone();
    cfg.set("group.id", "psimon-pack")
        .set("enable.auto.commit", "false")
        .set("isolation.level", "read_committed")
        .set("auto.offset.reset", "earliest");
    cfg.create().context("creating a Kafka consumer")
}

fn partitions(consumer: &BaseConsumer, topic: &str) -> Result<i32> {
    let md = consumer
        .fetch_metadata(Some(topic), TIMEOUT)
        .with_context(|| format!("reading the metadata of {topic}"))?;
    let n = md.topics().first().map_or(0, |t| t.partitions().len());
    if n == 0 {
        bail!("topic {topic} does not exist (is this the deployment's config?)");
    }
    Ok(n as i32)
}

/// The state topic read up to its last stable offsets.
fn state_table(
    config: &Config,
    base: &ClientConfig,
    consumer: &BaseConsumer,
) -> Result<GlobalTable> {
    let topic = config.state_topic();
    let n = partitions(consumer, &topic)?;
    let state = StateReader::start(base, &topic, n, Metrics::new().state_reader())
        .context("reading the state topic")?;
    let caught_up = state.wait_caught_up(TIMEOUT);
    let table = state
        .table()
        .read()
        .map_err(|_| anyhow!("state table poisoned"))?
        .clone();
    state.stop();
    caught_up.context("reading the state topic")?;
    Ok(table)
}

/// The stored panes of layout set `set` in layout window `window`.
fn panes_of(table: &GlobalTable, plan: &Plan, set: usize, window: usize) -> Vec<StoredPane> {
    table
        .window_panes_as_of(&plan.layout, set, window)
        .into_iter()
        .map(|(k, pane, as_of)| StoredPane {
            part: k.part.clone(),
            id: k.pane,
            pane,
            as_of,
        })
        .collect()
}

/// The model's drift panes and its fairness checks' in the window, and its time outcome
/// windows' panes.
fn pack_panes(table: &GlobalTable, plan: &Plan, model: usize, window: usize) -> Result<PackPanes> {
    let layout = &plan.layout;
    let set = layout
        .set_index(&SetId::drift(&plan.models[model].name))
        .ok_or_else(|| anyhow!("no drift set"))?;
    let w = layout
        .window_index(&plan.windows[window].0)
        .ok_or_else(|| anyhow!("no such window in the layout"))?;
    let fairness = (plan.fairness.iter().enumerate())
        .filter(|(_, c)| c.model == model)
        .map(|(i, c)| (i, panes_of(table, plan, c.set, w)))
        .collect();
    let outcomes = plan.outcomes.iter().flat_map(|o| {
        o.windows
            .iter()
            .enumerate()
            .filter_map(move |(i, (_, spec))| match spec {
                WindowSpec::Time { slide_ms, .. } => {
                    Some((i, *slide_ms, o.set_of(model), o.window_of(i)))
                }
                WindowSpec::Count { .. } => None,
            })
    });
    Ok(PackPanes {
        drift: panes_of(table, plan, set, w),
        fairness,
        outcomes: outcomes
            .map(|(i, slide, s, ow)| (i, slide, panes_of(table, plan, s, ow)))
            .collect(),
    })
}

/// Each input partition's low and high watermarks now.
fn watermarks(consumer: &BaseConsumer, topics: &[String]) -> Result<Watermarks> {
    let mut out = Vec::new();
    for topic in topics {
        for p in 0..partitions(consumer, topic)? {
            let (low, high) = consumer
                .fetch_watermarks(topic, p, TIMEOUT)
                .with_context(|| format!("watermarks of {topic}/{p}"))?;
            let part = PartitionId {
                topic: topic.clone(),
                partition: p,
            };
            out.push((part, low, high));
        }
    }
    Ok(out)
}

/// The drift topic's committed events of the model whose time lies in the period.
fn drift_events(consumer: &BaseConsumer, topic: &str, r: &PackRequest<'_>) -> Result<Vec<Value>> {
    let n = partitions(consumer, topic)?;
    let mut tpl = TopicPartitionList::new();
    let mut ends = Vec::new();
    for p in 0..n {
        tpl.add_partition_offset(topic, p, Offset::Beginning)?;
        let (_, high) = consumer.fetch_watermarks(topic, p, TIMEOUT)?;
        ends.push(high);
    }
    consumer.assign(&tpl)?;
    let mut events = Vec::new();
    let deadline = Instant::now() + TIMEOUT;
    let done = |c: &BaseConsumer| {
        (0..n).all(|p| {
            let pos = c.position().ok().and_then(|tpl| {
                tpl.find_partition(topic, p)
                    .and_then(|e| e.offset().to_raw())
            });
            ends[p as usize] == 0 || pos.is_some_and(|o| o >= ends[p as usize])
        })
    };
    while !done(consumer) && Instant::now() < deadline {
        let Some(msg) = consumer.poll(Duration::from_millis(200)) else {
            continue;
        };
        let msg = msg.context("reading the drift topic")?;
        let Some(event) = msg
            .payload()
            .and_then(|p| serde_json::from_slice::<Value>(p).ok())
        else {
            continue;
        };
        let at = event["time"].as_str().and_then(crate::event::parse_rfc3339);
        let in_period = at.is_some_and(|t| t >= r.period.0 && t < r.period.1);
        if in_period && event["data"]["model"] == r.model {
            events.push(event);
        }
    }
    Ok(events)
}
