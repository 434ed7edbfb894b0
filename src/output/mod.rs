//! What psimon publishes: drift events (CloudEvents JSON), Prometheus metrics, and the
//! HTTP endpoints that serve them.

pub(crate) mod backtest_event;
pub(crate) mod backtest_metrics;
pub mod cloudevent;
pub(crate) mod fairness_event;
pub(crate) mod fairness_metrics;
pub mod flow_metrics;
pub mod http;
pub(crate) mod http_auth;
pub(crate) mod http_tls;
pub(crate) mod latency;
pub mod metrics;
mod register;
pub mod series_metrics;
pub mod state_metrics;
