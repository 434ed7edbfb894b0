//! The HTTP endpoints: `/metrics`, `/livez`, `/readyz`, `/api/v1/drift` (the latest
//! evaluation as JSON, per-bin detail included) and `/` (the same as a page). `serve(listener, state, shutdown)` so tests
//! bind port 0 and stop cleanly.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use hyper_util::service::TowerToHyperService;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;
use tracing::warn;

use super::http_auth::HttpAuth;
use super::metrics::Metrics;

/// What the endpoints read; shared with the pipeline.
pub struct HttpState {
    pub metrics: Metrics,
    /// The latest evaluation, as served by `/api/v1/drift`.
    pub latest: RwLock<Value>,
    /// Why the instance is not ready; `None` when it is.
    not_ready: RwLock<Option<String>>,
    /// Who may read `/metrics` and `/api/*`.
    auth: HttpAuth,
}

impl HttpState {
    pub fn new(metrics: Metrics) -> Arc<Self> {
        Self::with_auth(metrics, HttpAuth::default())
    }

    pub fn with_auth(metrics: Metrics, auth: HttpAuth) -> Arc<Self> {
        Arc::new(Self {
            metrics,
            latest: RwLock::new(serde_json::json!({ "evaluated_at": null, "windows": [] })),
            not_ready: RwLock::new(Some("starting".into())),
            auth,
        })
    }

    /// `Some(401)` when the request's credentials do not admit it.
    fn denied(&self, headers: &HeaderMap) -> Option<axum::response::Response> {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        (!self.auth.admits(given)).then(|| {
            (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Basic realm=\"psimon\"")],
                "unauthorized\n",
            )
                .into_response()
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
        .route("/", get(page))
        .with_state(state)
}

/// The probes alone, for a listener of their own (`[http] health_address`).
pub fn health_router(state: Arc<HttpState>) -> Router {
    Router::new()
        .route("/livez", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .with_state(state)
}

async fn metrics(State(s): State<Arc<HttpState>>, headers: HeaderMap) -> axum::response::Response {
    if let Some(denied) = s.denied(&headers) {
        return denied;
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        s.metrics.render(),
    )
        .into_response()
}

async fn readyz(State(s): State<Arc<HttpState>>) -> impl IntoResponse {
    match s.readiness() {
        None => (StatusCode::OK, "ready\n".to_string()),
        Some(why) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {}\n", crate::config::secrets::redact(&why)),
        ),
    }
}

/// The live page: the latest evaluation rendered, behind the same authentication as
/// `/api/*`; no script may run on it and nothing may be fetched by it.
async fn page(State(s): State<Arc<HttpState>>, headers: HeaderMap) -> axum::response::Response {
    if let Some(denied) = s.denied(&headers) {
        return denied;
    }
    let body = s
        .latest
        .read()
        .map(|v| crate::render::live_html(&v))
        .unwrap_or_default();
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        body,
    )
        .into_response()
}

async fn drift(State(s): State<Arc<HttpState>>, headers: HeaderMap) -> axum::response::Response {
    if let Some(denied) = s.denied(&headers) {
        return denied;
    }
    let body = s
        .latest
        .read()
        .map(|v| v.to_string())
        .unwrap_or_else(|_| "{}".into());
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// Bounds on what clients can hold: a connection that has not sent a whole request head
/// within `header_read_timeout` is closed, and at most `max_connections` are open at once
/// (more are closed at once), so idle or slow clients cannot exhaust file descriptors.
#[derive(Debug, Clone, Copy)]
pub struct HttpLimits {
    pub max_connections: usize,
    pub header_read_timeout: Duration,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            max_connections: 128,
            header_read_timeout: Duration::from_secs(10),
        }
    }
}

/// Serves until `shutdown` resolves, with the default limits.
pub async fn serve(
    listener: TcpListener,
    state: Arc<HttpState>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, state, shutdown, HttpLimits::default()).await
}

pub async fn serve_with(
    listener: TcpListener,
    state: Arc<HttpState>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    limits: HttpLimits,
) -> std::io::Result<()> {
    serve_app(listener, router(state), shutdown, limits, None).await
}

/// `serve`, over TLS with `tls` (`http_tls::acceptor`).
pub async fn serve_tls(
    listener: TcpListener,
    state: Arc<HttpState>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    tls: TlsAcceptor,
) -> std::io::Result<()> {
    serve_app(
        listener,
        router(state),
        shutdown,
        HttpLimits::default(),
        Some(tls),
    )
    .await
}

/// `/livez` and `/readyz` alone on `listener`, with the default limits.
pub async fn serve_health(
    listener: TcpListener,
    state: Arc<HttpState>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_app(
        listener,
        health_router(state),
        shutdown,
        HttpLimits::default(),
        None,
    )
    .await
}

async fn serve_app(
    listener: TcpListener,
    app: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    limits: HttpLimits,
    tls: Option<TlsAcceptor>,
) -> std::io::Result<()> {
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(e) => {
                        // Out of file descriptors and the like: back off instead of spinning.
                        warn!(error = %e, "accepting an HTTP connection");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
                    drop(stream);
                    continue;
                };
                let (app, watcher, tls) = (app.clone(), graceful.watcher(), tls.clone());
                tokio::spawn(async move {
                    match tls {
                        None => serve_conn(stream, app, limits, watcher).await,
                        // The handshake counts against the same time-out as a request head.
                        Some(tls) => {
                            let handshake = tokio::time::timeout(limits.header_read_timeout, tls.accept(stream));
                            if let Ok(Ok(stream)) = handshake.await {
                                serve_conn(stream, app, limits, watcher).await;
                            }
                        }
                    }
                    drop(permit);
                });
            }
        }
    }
    let _ = tokio::time::timeout(Duration::from_secs(2), graceful.shutdown()).await;
    Ok(())
}

/// One connection, plain or TLS, until it closes or the server shuts down.
async fn serve_conn<S>(stream: S, app: Router, limits: HttpLimits, watcher: Watcher)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let conn = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .serve_connection(TokioIo::new(stream), TowerToHyperService::new(app));
    let _ = watcher.watch(conn).await;
}
