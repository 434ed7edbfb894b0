//! psimon: a drift monitor for credit-risk scorecards.
//!
//! # Layout
//! From the pure core up; a module imports only from the floors below it.
//! - [`stats`]: pure statistics: PSI, WoE, IV with SE, intervals and tests; the bin-count
//!   calculator of `psimon stats` ([`stats::calc`]).
//! - [`window`]: per-partition pane rings (time and count windows) and what changed in them.
//! - [`data`]: streaming rows of CSV and JSON Lines samples, the missing-value rules, and
//!   synthetic credit applications ([`data::synth`]).
//! - [`binning`]: bin specs, the baseline file, and the builders of bins.
//! - [`evaluate`]: PSI per feature and window, the drift and iv_drop states (pure); batch
//!   PSI/IV of a sample ([`evaluate::batch`]).
//! - [`fairness`]: J of a feature between a group and a reference, and the fairness states.
//! - [`event`]: decoding application events (JSON pointers, Avro) into bins, or a reason.
//! - [`config`]: the `psimon run` configuration: TOML, environment overrides, validation,
//!   and the secrets it registers for redaction ([`config::secrets`]).
//! - [`kafka`]: what every Kafka client shares: librdkafka properties, its log, its build.
//! - [`state`]: the durable state: typed series, the compacted state topic and its codec,
//!   the global table every instance reads, restore and the merge of windows.
//! - [`join`]: the outcome join's store and changelog.
//! - [`scorecard`]: a logistic regression on the baseline's bins (WoE or one-hot) scaled
//!   to points.
//! - [`frontier`]: the features and bin merges that maximise predictive IV under a bound
//!   on a protected attribute's IV, traced over bounds (a MIP).
//! - [`render`]: HTML pages of a report document and of the latest evaluation (pure).
//! - [`output`]: drift events (CloudEvents), Prometheus metrics, HTTP endpoints.
//! - [`pipeline`]: the streaming shell: workers, their owners and transactions, the
//!   evaluation, supervision, `run`.
//! - [`cli`]: the commands, each with its arguments, and the demo.
#![warn(unreachable_pub)]

pub mod binning;
pub mod cli;
pub mod config;
pub mod data;
pub mod evaluate;
pub mod event;
pub mod fairness;
pub mod frontier;
pub mod join;
pub(crate) mod kafka;
pub mod output;
pub mod pipeline;
pub mod render;
pub mod scorecard;
pub mod state;
pub mod stats;
pub mod window;
