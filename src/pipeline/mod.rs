//! The streaming shell around the pure core: the plan built from config and baselines, the
//! Kafka consumer loop and the partitions it owns, the transactions of state and dead
//! letters, the producer of drift events, the evaluation tick, supervision and the
//! orchestration of start and ordered shutdown, and the monitoring pack of a period read
//! back from the state topic (`pack`).

mod abandon;
pub(crate) mod clock;
pub(crate) mod consumer;
pub(crate) mod evaluator;
pub mod fetch;
mod fetch_watch;
pub(crate) mod heal;
mod outbox;
pub(crate) mod owner;
pub(crate) mod pack;
pub(crate) mod plan;
mod ports;
pub(crate) mod producer;
pub(crate) mod registry;
pub(crate) mod run;
mod stall;
mod status;
mod supervision;
pub(crate) mod txn;
mod txn_error;
pub(crate) mod worker;

pub use plan::Plan;
pub use run::run;
