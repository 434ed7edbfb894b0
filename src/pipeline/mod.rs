//! The streaming shell around the pure core: the plan built from config and baselines, the
//! Kafka consumer loop and the partitions it owns, the transactions of state and dead
//! letters, the producer of drift events, the evaluation tick, supervision and the
//! orchestration of start and ordered shutdown.

mod abandon;
pub mod client_build;
pub(crate) mod consumer;
pub mod evaluator;
pub mod fetch;
mod fetch_watch;
pub(crate) mod heal;
pub(crate) mod kafka_log;
mod outbox;
pub(crate) mod owner;
pub mod plan;
pub mod producer;
pub(crate) mod registry;
pub mod run;
mod stall;
mod status;
mod supervision;
pub(crate) mod txn;
pub mod worker;

pub use plan::Plan;
pub use run::run;
