//! The streaming shell around the pure core: the plan built from config and baselines, the
//! Kafka consumer loop, the producer of dead letters and drift events, the evaluation tick
//! and the orchestration of start and ordered shutdown.

pub mod consumer;
pub mod evaluator;
pub mod plan;
pub mod producer;
pub mod run;

pub use plan::Plan;
pub use run::run;
