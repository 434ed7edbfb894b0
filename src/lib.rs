//! psimon: a drift monitor for credit-risk scorecards.
//!
//! # Layout
//! - [`batch`]: batch PSI/IV of a sample against a baseline model (`psimon report`).
//! - [`binning`]: bin specs, the baseline file, and the builders of bins.
//! - [`calc`]: the bin-count calculator of `psimon stats` (JSON cases in, results out).
//! - [`cli`]: the commands `stats`, `baseline` and `report` (file I/O and printing).
//! - [`config`]: the `psimon run` configuration: TOML, environment overrides, validation.
//! - [`data`]: streaming rows of CSV and JSON Lines samples; the missing-value rules.
//! - [`evaluate`]: one evaluation tick (pure): PSI per feature and window, drift states.
//! - [`demo`]: the zero-install demo: mock cluster, traffic with a drift, the run pipeline.
//! - [`event`]: decoding application events (JSON pointers) into bins, or an invalid reason.
//! - [`output`]: drift events (CloudEvents), Prometheus metrics, HTTP endpoints.
//! - [`pipeline`]: the streaming shell: Kafka consumer loop, producer, evaluation tick, run.
//! - [`state`]: the durable state: the compacted state topic, its codec, the global table
//!   every instance reads, restore and the merge of windows over all partitions.
//! - [`stats`]: pure statistics — PSI, WoE, IV with SE, intervals and tests.
//! - [`synth`]: synthetic credit applications (for `psimon generate`, tests and benches).
//! - [`window`]: per-partition pane rings (time and count windows) and what changed in them.
pub mod batch;
pub mod binning;
pub mod calc;
pub mod cli;
pub mod config;
pub mod data;
pub mod demo;
pub mod evaluate;
pub mod event;
pub mod fairness;
pub mod join;
pub mod kafka_props;
pub mod output;
pub mod pipeline;
pub mod secrets;
pub mod state;
pub mod stats;
pub mod synth;
pub mod window;
