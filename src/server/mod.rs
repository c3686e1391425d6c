//! **serve**: the HTTP service. Requests (wire types) become plans, plans run through the
//! launcher in a bounded pool, outcomes become the older services' responses.
//!
//! ```text
//! TCP ─► metrics ─► auth ─► body limits ─► route ─► rate limit ─► plan ─► pool ─► launcher
//! ```
//!
//! The launcher is started before the tokio runtime exists ([`serve`]), so no sandbox is
//! ever forked from a multithreaded process.

pub mod config;
pub mod console;
pub mod evals;
pub mod grpc;
pub mod history;
pub mod http;
pub mod judge;
pub mod metrics;
pub mod notify;
pub mod pool;
pub mod ratelimit;
pub mod routes;
pub mod stream;
pub mod wire;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequest, MatchedPath, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::jail::launcher::Launcher;
use crate::jail::{Host, HostConfig, JailError, Runner};
use crate::plan::{PlanError, Policy};

use config::{ServeArgs, ServerConfig};
use history::{Audit, History, HistoryError};
use metrics::Metrics;
use pool::{Pool, PoolError};
use ratelimit::ClientLimiter;
use wire::{ErrorBody, WireError};

/// Errors of starting and running the service.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("configuration: {0}")]
    Config(String),
    #[error("cannot start the sandbox launcher: {0}")]
    Jail(#[from] JailError),
    #[error(transparent)]
    History(#[from] HistoryError),
    #[error(transparent)]
    Evals(#[from] evals::EvalsError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("{what}: {source}")]
    Io {
        what: &'static str,
        #[source]
        source: std::io::Error,
    },
}

/// What the host gives the sandboxes, as `/health` reports it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct HostInfo {
    /// `v2`, `v1` or `none`.
    pub cgroup_mode: String,
    /// Rootless (user namespaces as an ordinary user) or as root.
    pub rootless: bool,
    pub uid: u32,
    /// Isolation properties this host cannot give, each with the reason.
    pub weakened: Vec<String>,
}

impl HostInfo {
    pub fn from_host(host: &Host) -> HostInfo {
        HostInfo {
            cgroup_mode: host.cgroups.mode().to_string(),
            rootless: host.rootless,
            uid: host.own_uid,
            weakened: host.cgroups.weaknesses(),
        }
    }
}

/// Everything the handlers share.
pub struct AppState {
    pub config: ServerConfig,
    pub policy: Policy,
    pub runner: Arc<dyn Runner + Send + Sync>,
    pub pool: Pool,
    pub metrics: Metrics,
    pub history: History,
    pub audit: Audit,
    pub limiter: Option<ClientLimiter>,
    pub host: HostInfo,
    pub started: Instant,
    /// Evaluations started over HTTP.
    pub evals: evals::Evals,
    /// The image store `policy` resolves images in, when it has one (pulls and listings
    /// over HTTP).
    pub image_store: Option<crate::image::Store>,
}

pub type Shared = Arc<AppState>;

impl AppState {
    pub fn new(
        config: ServerConfig,
        policy: Policy,
        runner: Arc<dyn Runner + Send + Sync>,
        host: HostInfo,
    ) -> Result<AppState, ServerError> {
        let image_store = match policy.images {
            Some(_) => Some(config.image_store()?),
            None => None,
        };
        Ok(AppState {
            image_store,
            pool: Pool::new(
                config.max_concurrent,
                config.max_queue,
                config.queue_timeout,
            ),
            metrics: Metrics::new(),
            history: History::open(&config.history_path, config.history)?,
            audit: Audit::open(&config.audit)?,
            evals: evals::Evals::open(
                &config.eval_db,
                config.eval_max_running,
                config.eval_dataset_dirs.clone(),
            )?,
            limiter: config.rate_limit.map(ClientLimiter::new),
            config,
            policy,
            runner,
            host,
            started: Instant::now(),
        })
    }
}

/// An error response: `{"error": "..."}` with its status, and `Retry-After` where a retry
/// can help.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            axum::Json(ErrorBody {
                error: self.message,
            }),
        )
            .into_response();
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
        }
        response
    }
}

impl From<WireError> for ApiError {
    fn from(e: WireError) -> ApiError {
        ApiError::bad_request(e.to_string())
    }
}

impl From<PlanError> for ApiError {
    fn from(e: PlanError) -> ApiError {
        // Every plan error is about the request (or a language this server does not
        // serve): the older services answered 400 with the message.
        ApiError::bad_request(e.to_string())
    }
}

impl From<PoolError> for ApiError {
    fn from(e: PoolError) -> ApiError {
        ApiError {
            status: StatusCode::SERVICE_UNAVAILABLE,
            message: e.to_string(),
            retry_after: Some(match e {
                PoolError::Closed => 30,
                _ => 1,
            }),
        }
    }
}

/// Nesting depth of a JSON text's arrays and objects (strings skipped), counted without
/// parsing, so that a deeply nested body is refused before serde recurses into it.
pub fn json_depth(bytes: &[u8]) -> usize {
    let (mut depth, mut max, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for &b in bytes {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// A JSON body whose every failure (too large, too deep, not UTF-8, wrong types) is a 4xx
/// with a JSON error body, never a 500.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<Shared> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &Shared) -> Result<Self, Self::Rejection> {
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|rejection| {
                let status = rejection.status();
                if status == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::new(
                        status,
                        format!(
                            "request body is larger than the limit of {} bytes",
                            state.config.body_limit
                        ),
                    )
                } else {
                    ApiError::new(
                        status,
                        format!("cannot read the request body: {}", rejection.body_text()),
                    )
                }
            })?;
        if json_depth(&bytes) > state.config.json_depth {
            return Err(ApiError::bad_request(format!(
                "the JSON body is nested more than {} levels deep",
                state.config.json_depth
            )));
        }
        serde_json::from_slice(&bytes)
            .map(ApiJson)
            .map_err(|e| ApiError::bad_request(format!("invalid JSON request: {e}")))
    }
}

/// The client's address.
pub fn client_ip(request: &Request) -> IpAddr {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::from([127, 0, 0, 1]))
}

/// Counts every response by route and status (outermost layer, so refusals count too).
pub async fn record_metrics(State(state): State<Shared>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let response = next.run(request).await;
    state
        .metrics
        .record_request(&route, response.status().as_u16());
    response
}

fn digest(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

fn presented_token(headers: &HeaderMap) -> Option<&str> {
    if let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let value = value.trim();
        if let Some(token) = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
        {
            return Some(token.trim());
        }
    }
    headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// Whether a request's headers carry the API token, or none is configured (HTTP headers
/// and gRPC metadata alike).
pub fn token_accepted(state: &AppState, headers: &HeaderMap) -> bool {
    match &state.config.token {
        // Comparing digests keeps the comparison's time independent of where they differ.
        Some(expected) => {
            presented_token(headers).is_some_and(|given| digest(given) == digest(expected))
        }
        None => true,
    }
}

/// Every request must carry the API token when one is configured.
pub async fn require_token(State(state): State<Shared>, request: Request, next: Next) -> Response {
    if !token_accepted(&state, request.headers()) {
        let mut response = ApiError::new(
            StatusCode::UNAUTHORIZED,
            "missing or wrong API token: send Authorization: Bearer <token>",
        )
        .into_response();
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return response;
    }
    next.run(request).await
}

/// Per-client rate limit of the execution routes.
pub async fn rate_limit(State(state): State<Shared>, request: Request, next: Next) -> Response {
    if let Some(limiter) = &state.limiter {
        if let Err(wait) = limiter.check(client_ip(&request)) {
            return ApiError {
                status: StatusCode::TOO_MANY_REQUESTS,
                message: "Too many requests".to_string(),
                retry_after: Some(wait.as_secs_f64().ceil() as u64),
            }
            .into_response();
        }
    }
    next.run(request).await
}

async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "cannot listen for SIGTERM");
            return std::future::pending().await;
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => tracing::info!("SIGINT: shutting down"),
        _ = term.recv() => tracing::info!("SIGTERM: shutting down"),
    }
}

/// Serves until SIGINT/SIGTERM on an already bound listener; returns once in-flight
/// executions have finished, or once the grace period is over and the executions still
/// running, cancelled by `cancel_runs`, have been answered (IE): every accepted request gets
/// an answer.
pub async fn run(
    state: Shared,
    listener: tokio::net::TcpListener,
    grpc: Option<&grpc::Listener>,
    cancel_runs: impl Fn(),
) -> Result<(), ServerError> {
    let app = routes::router(state.clone());
    let grace = state.config.shutdown_grace;
    let signalled = Arc::new(tokio::sync::Notify::new());
    let notify = signalled.clone();
    let forget = state.clone();
    let forgetter = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            if let Some(l) = &forget.limiter {
                l.forget_idle();
            }
        }
    });
    let server = http::serve(listener, app, state.config.header_timeout, async move {
        shutdown_signal().await;
        self::notify::stopping();
        notify.notify_one();
    });
    let deadline = async {
        signalled.notified().await;
        if let Some(grpc) = grpc {
            grpc.stopping().await;
        }
        let deadline = tokio::time::Instant::now() + grace;
        tokio::time::sleep_until(deadline).await;
        deadline
    };
    tokio::pin!(server, deadline);
    let started_waiting = tokio::select! {
        () = &mut server => None,
        _ = &mut deadline => Some(()),
    };
    forgetter.abort();
    if let Some(grpc) = grpc {
        // Again, for when the HTTP side finished before the deadline future saw the signal.
        grpc.stopping().await;
    }
    // Evaluations stop where they are (their results are stored; they resume later).
    state.evals.abort_all();
    state.pool.close();
    if started_waiting.is_none() {
        // Connections are done; executions whose clients went away may still run.
        let until = tokio::time::Instant::now() + grace;
        while state.pool.running() > 0 && tokio::time::Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let left = state.pool.running();
    if left > 0 {
        tracing::warn!(
            running = left,
            grace_secs = grace.as_secs_f64(),
            "shutdown grace period over: killing the executions still running"
        );
    }
    if started_waiting.is_some() {
        // The connections are still open: cancel what runs, and keep serving them until
        // each cancelled run's answer is written (dropping the server now would close them
        // unanswered).
        cancel_runs();
        if tokio::time::timeout(Duration::from_secs(10), &mut server)
            .await
            .is_err()
        {
            tracing::error!("connections still open 10 s after the grace period; closing them");
        }
    } else if left == 0 {
        tracing::info!("all executions finished; stopped");
    }
    Ok(())
}

/// `localeval serve`: reads the configuration, probes the host and starts the launcher
/// while the process is still single-threaded, then builds the runtime and serves. After
/// SIGINT/SIGTERM and the grace period, whatever still runs is killed through the
/// launcher, and the host's cgroup is restored: nothing of a sandbox survives the service.
pub fn serve(args: &ServeArgs, host_config: HostConfig) -> Result<(), ServerError> {
    let config = ServerConfig::load(args)?;
    let policy = config.policy()?;
    let host = Host::probe(host_config)?;
    let host_info = HostInfo::from_host(&host);
    // Before any thread exists: the launcher forks every sandbox from here on.
    let launcher = Launcher::start(host)?;
    let result = serve_with(config, policy, host_info, &launcher);
    launcher.shutdown();
    launcher.host().cgroups.restore();
    result
}

fn serve_with(
    config: ServerConfig,
    policy: Policy,
    host_info: HostInfo,
    launcher: &Launcher,
) -> Result<(), ServerError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|source| ServerError::Io {
            what: "building the async runtime",
            source,
        })?;
    let listen = config.listen;
    if config.token.is_none() && !listen.ip().is_loopback() {
        tracing::warn!(%listen, "serving without an API token on a non-loopback address (--insecure-no-auth)");
    }
    let state = Arc::new(AppState::new(
        config,
        policy,
        Arc::new(launcher.clone()),
        host_info,
    )?);
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|source| ServerError::Listen {
                addr: listen,
                source,
            })?;
        let local = listener.local_addr().map_err(|source| ServerError::Io {
            what: "reading the bound address",
            source,
        })?;
        // Scripts and tests read this line to learn the port (with --listen 127.0.0.1:0).
        println!("localeval listening on http://{local}");
        tracing::info!(%local, "listening");
        let grpc = match state.config.grpc_listen {
            Some(addr) => {
                let listener = grpc::bind(addr).await?;
                let local = listener.local_addr().map_err(|source| ServerError::Io {
                    what: "reading the bound gRPC address",
                    source,
                })?;
                // As above, for the gRPC port (with --grpc-listen 127.0.0.1:0).
                println!("localeval gRPC listening on {local}");
                tracing::info!(%local, "gRPC listening");
                Some(grpc::Listener::start(state.clone(), listener).await?)
            }
            None => None,
        };
        notify::ready(local);
        let watchdog = notify::spawn_watchdog();
        run(state.clone(), listener, grpc.as_ref(), || {
            launcher.cancel_all()
        })
        .await?;
        if let Some(w) = watchdog {
            w.abort();
        }
        if state.pool.running() > 0 {
            // Each supervisor sees its client hang up, kills its sandbox and cleans up;
            // each blocked run returns (IE) and frees its slot.
            launcher.cancel_all();
            let until = tokio::time::Instant::now() + Duration::from_secs(10);
            while state.pool.running() > 0 && tokio::time::Instant::now() < until {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        if let Some(grpc) = grpc {
            // Calls whose runs just ended send their answers; then the listener closes.
            grpc.stop(Duration::from_secs(5)).await;
        }
        Ok::<(), ServerError>(())
    })?;
    runtime.shutdown_timeout(Duration::from_secs(1));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_depth_counts_nesting_outside_strings() {
        assert_eq!(json_depth(b"{}"), 1);
        assert_eq!(json_depth(br#"{"a":[1,{"b":2}]}"#), 3);
        assert_eq!(json_depth(br#"{"a":"[[[[{{{\"]]"}"#), 1);
        assert_eq!(json_depth(b"1"), 0);
        let deep = "[".repeat(1000) + &"]".repeat(1000);
        assert_eq!(json_depth(deep.as_bytes()), 1000);
    }

    #[test]
    fn tokens_are_read_from_bearer_or_api_key_headers() {
        let mut h = HeaderMap::new();
        assert_eq!(presented_token(&h), None);
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer abc"),
        );
        assert_eq!(presented_token(&h), Some("abc"));
        let mut h = HeaderMap::new();
        h.insert("x-api-key", HeaderValue::from_static("xyz"));
        assert_eq!(presented_token(&h), Some("xyz"));
    }
}
