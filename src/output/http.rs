//! The HTTP endpoints: `/metrics`, `/livez`, `/readyz` and `/api/v1/drift` (the latest
//! evaluation as JSON, per-bin detail included). `serve(listener, state, shutdown)` so tests
//! bind port 0 and stop cleanly.

use std::sync::{Arc, RwLock};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use serde_json::Value;
use tokio::net::TcpListener;

use super::metrics::Metrics;

/// What the endpoints read; shared with the pipeline.
pub struct HttpState {
    pub metrics: Metrics,
    /// The latest evaluation, as served by `/api/v1/drift`.
    pub latest: RwLock<Value>,
    /// Why the instance is not ready; `None` when it is.
    not_ready: RwLock<Option<String>>,
}

impl HttpState {
    pub fn new(metrics: Metrics) -> Arc<Self> {
        Arc::new(Self {
            metrics,
            latest: RwLock::new(serde_json::json!({ "evaluated_at": null, "windows": [] })),
            not_ready: RwLock::new(Some("starting".into())),
        })
    }

    pub fn set_ready(&self) {
        self.metrics.ready.set(1);
        if let Ok(mut r) = self.not_ready.write() {
            *r = None;
        }
    }

    pub fn set_not_ready(&self, why: &str) {
        self.metrics.ready.set(0);
        if let Ok(mut r) = self.not_ready.write() {
            *r = Some(why.to_string());
        }
    }

    fn readiness(&self) -> Option<String> {
        self.not_ready
            .read()
            .map(|r| r.clone())
            .unwrap_or_else(|_| Some("readiness unknown".into()))
    }
}

pub fn router(state: Arc<HttpState>) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/livez", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/api/v1/drift", get(drift))
        .with_state(state)
}

async fn metrics(State(s): State<Arc<HttpState>>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        s.metrics.render(),
    )
}

async fn readyz(State(s): State<Arc<HttpState>>) -> impl IntoResponse {
    match s.readiness() {
        None => (StatusCode::OK, "ready\n".to_string()),
        Some(why) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {why}\n"),
        ),
    }
}

async fn drift(State(s): State<Arc<HttpState>>) -> impl IntoResponse {
    let body = s
        .latest
        .read()
        .map(|v| v.to_string())
        .unwrap_or_else(|_| "{}".into());
    ([(header::CONTENT_TYPE, "application/json")], body)
}

/// Serves until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    state: Arc<HttpState>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}
