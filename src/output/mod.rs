//! What psimon publishes: drift events (CloudEvents JSON), Prometheus metrics, and the
//! HTTP endpoints that serve them.

pub mod cloudevent;
pub mod fairness_event;
pub mod fairness_metrics;
pub mod http;
pub mod http_auth;
pub mod http_tls;
pub mod latency;
pub mod metrics;
