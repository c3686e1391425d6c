//! **serve --grpc-listen**: the gRPC adapter. Its wire types ([`wire`], generated from
//! proto/) become the same requests as HTTP's, and pass the same admission: the API token,
//! the per-client rate limit, the pool and queue, the limits, then the audit log, the
//! history and the metrics (docs/ARCHITECTURE.md "The pipeline").
//!
//! ```text
//! TCP ─► h2 ─► admission (token, rate limit, metrics) ─► service ─► admit ─► pool ─► launcher
//! ```
//!
//! Besides `localeval.v1.Sandbox` and the seed's `executor.CodeExecutor`, the listener
//! serves `grpc.health.v1.Health` (without a token, for probes) and server reflection.

mod services;
pub mod wire;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tonic::{Code, Status};
use tonic_health::server::HealthReporter;
use tonic_health::ServingStatus;
use tonic_types::{ErrorDetails, StatusExt};

use super::{ApiError, ServerError, Shared};
use services::{CodeExecutorService, SandboxService};
use wire::executor::code_executor_server::CodeExecutorServer;
use wire::v1::sandbox_server::SandboxServer;

/// The methods that run programs: the rate limit applies to these.
const EXECUTION_METHODS: [&str; 4] = [
    "/localeval.v1.Sandbox/Execute",
    "/localeval.v1.Sandbox/ExecuteStream",
    "/localeval.v1.Sandbox/Judge",
    "/executor.CodeExecutor/Execute",
];

/// Health answers without a token: probes (kubelet's gRPC probe, grpc_health_probe) carry
/// none, and it tells only SERVING or NOT_SERVING.
const HEALTH_PREFIX: &str = "/grpc.health.v1.Health/";

/// What the services and the admission layer share beyond the HTTP side's state.
pub struct Grpc {
    pub state: Shared,
    /// Set when the service was asked to stop: new executions are UNAVAILABLE.
    stopping: AtomicBool,
}

impl Grpc {
    /// The gRPC status of an HTTP-side refusal.
    fn status(&self, e: ApiError) -> Status {
        let code = match e.status.as_u16() {
            400 | 404 | 422 => Code::InvalidArgument,
            401 => Code::Unauthenticated,
            403 => Code::PermissionDenied,
            413 | 429 => Code::ResourceExhausted,
            // The pool refuses with 503 when it is full or closed; closed is shutdown.
            503 if self.stopping() => Code::Unavailable,
            503 => Code::ResourceExhausted,
            _ => Code::Internal,
        };
        match e.retry_after {
            Some(secs) => with_retry(code, e.message, Duration::from_secs(secs.max(1))),
            None => Status::new(code, e.message),
        }
    }

    fn stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }
}

/// A status carrying `google.rpc.RetryInfo`, which gRPC clients read to back off.
fn with_retry(code: Code, message: impl Into<String>, delay: Duration) -> Status {
    Status::with_error_details(code, message, ErrorDetails::with_retry_info(Some(delay)))
}

/// A running gRPC listener.
pub struct Listener {
    grpc: Arc<Grpc>,
    health: HealthReporter,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), tonic::transport::Error>>,
}

impl Listener {
    /// Serves gRPC on `listener` until [`Listener::stop`].
    pub async fn start(
        state: Shared,
        listener: tokio::net::TcpListener,
    ) -> Result<Listener, ServerError> {
        let grpc = Arc::new(Grpc {
            state: state.clone(),
            stopping: AtomicBool::new(false),
        });
        let limit = state.config.body_limit;
        let sandbox =
            SandboxServer::new(SandboxService(grpc.clone())).max_decoding_message_size(limit);
        let seed = CodeExecutorServer::new(CodeExecutorService(grpc.clone()))
            .max_decoding_message_size(limit);
        // Both reflection versions: grpcurl asks v1 first, grpcio's client only v1alpha.
        let reflection = || {
            tonic_reflection::server::Builder::configure()
                .register_encoded_file_descriptor_set(wire::DESCRIPTORS)
                .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        };
        let reflection_error = |e| ServerError::Config(format!("gRPC reflection: {e}"));
        let reflection_v1 = reflection().build_v1().map_err(reflection_error)?;
        let reflection_v1alpha = reflection().build_v1alpha().map_err(reflection_error)?;
        let (health, health_service) = tonic_health::server::health_reporter();
        health.set_serving::<SandboxServer<SandboxService>>().await;
        health
            .set_serving::<CodeExecutorServer<CodeExecutorService>>()
            .await;

        let routes = tonic::service::Routes::new(sandbox)
            .add_service(seed)
            .add_service(reflection_v1)
            .add_service(reflection_v1alpha)
            .add_service(health_service)
            .into_axum_router()
            .layer(axum::middleware::from_fn_with_state(
                grpc.clone(),
                admission,
            ));

        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        // No Nagle: the builder's tcp_nodelay applies only to listeners tonic binds itself,
        // and without it a unary answer's frames wait for the client's delayed ACK (40 ms).
        let incoming =
            tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true));
        let server = tonic::transport::Server::builder()
            .add_routes(routes.into())
            .serve_with_incoming_shutdown(incoming, async {
                let _ = stopped.await;
            });
        Ok(Listener {
            grpc,
            health,
            stop,
            task: tokio::spawn(server),
        })
    }

    /// The service was asked to stop: health turns NOT_SERVING and new executions are
    /// refused (UNAVAILABLE), while the listener stays up for the grace period.
    pub async fn stopping(&self) {
        self.grpc.stopping.store(true, Ordering::SeqCst);
        self.health
            .set_service_status("", ServingStatus::NotServing)
            .await;
        self.health
            .set_not_serving::<SandboxServer<SandboxService>>()
            .await;
        self.health
            .set_not_serving::<CodeExecutorServer<CodeExecutorService>>()
            .await;
    }

    /// Stops listening; calls in flight get up to `grace` to finish.
    pub async fn stop(self, grace: Duration) {
        let _ = self.stop.send(());
        match tokio::time::timeout(grace, self.task).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(e))) => tracing::error!(error = %e, "the gRPC listener failed"),
            Ok(Err(e)) => tracing::error!(error = %e, "the gRPC listener task failed"),
            Err(_) => tracing::warn!("gRPC calls still open after the grace period: dropped"),
        }
    }
}

/// Binds the gRPC address (before serving, so that a taken port fails the start).
pub async fn bind(addr: SocketAddr) -> Result<tokio::net::TcpListener, ServerError> {
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| ServerError::Listen { addr, source })
}

/// The client's address, as tonic's listener records it.
fn client_addr(extensions: &axum::http::Extensions) -> Option<SocketAddr> {
    extensions
        .get::<tonic::transport::server::TcpConnectInfo>()
        .and_then(|info| info.remote_addr())
}

/// Token, then rate limit (execution methods only), then the call; every call is counted
/// by method and status code.
async fn admission(State(grpc): State<Arc<Grpc>>, request: Request, next: Next) -> Response {
    let method = request.uri().path().to_string();
    let state = &grpc.state;
    let open = method.starts_with(HEALTH_PREFIX);
    let refusal = if !open && !super::token_accepted(state, request.headers()) {
        Some(Status::unauthenticated(
            "missing or wrong API token: send metadata authorization: Bearer <token>",
        ))
    } else if EXECUTION_METHODS.contains(&method.as_str()) && grpc.stopping() {
        Some(Status::unavailable("the server is shutting down"))
    } else if let (true, Some(limiter), Some(client)) = (
        EXECUTION_METHODS.contains(&method.as_str()),
        &state.limiter,
        client_addr(request.extensions()),
    ) {
        limiter
            .check(client.ip())
            .err()
            .map(|wait| with_retry(Code::ResourceExhausted, "Too many requests", wait))
    } else {
        None
    };
    let response = match refusal {
        Some(status) => status.into_http(),
        None => {
            let response = match client_deadline(&request) {
                Some(deadline) => tokio::time::timeout(deadline, next.run(request))
                    .await
                    .unwrap_or_else(|_| {
                        Status::deadline_exceeded("the client's deadline passed").into_http()
                    }),
                None => next.run(request).await,
            };
            oversized_is_resource_exhausted(response, state.config.body_limit)
        }
    };
    state.metrics.record_grpc(&method, response_code(&response));
    response
}

/// The client's deadline (the `grpc-timeout` header: at most 8 digits and a unit, as gRPC
/// over HTTP/2 defines it), 5 ms early. tonic's transport enforces the same header from
/// outside this layer and answers CANCELLED ("Timeout expired"); ending the call here first
/// gives the client DEADLINE_EXCEEDED, the code gRPC defines for a deadline. Dropping the
/// call's future kills its sandbox (services.rs, `CancelOnDrop`).
fn client_deadline(request: &Request) -> Option<Duration> {
    let text = request.headers().get("grpc-timeout")?.to_str().ok()?;
    let (digits, unit) = text.split_at(text.len().checked_sub(1)?);
    if digits.is_empty() || digits.len() > 8 {
        return None;
    }
    let value: u64 = digits.parse().ok()?;
    let timeout = match unit {
        "H" => Duration::from_secs(value * 3600),
        "M" => Duration::from_secs(value * 60),
        "S" => Duration::from_secs(value),
        "m" => Duration::from_millis(value),
        "u" => Duration::from_micros(value),
        "n" => Duration::from_nanos(value),
        _ => return None,
    };
    Some(timeout.saturating_sub(Duration::from_millis(5)))
}

/// The status of a response that ended before its body (trailers-only), else OK: a
/// streaming call's final status is not known here.
fn response_code(response: &Response) -> i32 {
    response
        .headers()
        .get("grpc-status")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// tonic refuses a request message over the size limit with OUT_OF_RANGE; gRPC's own
/// implementations (and clients' retry policies) say RESOURCE_EXHAUSTED for it
/// (grpc/doc/statuscodes.md), so the answer is rewritten, with the limit named.
fn oversized_is_resource_exhausted(mut response: Response, limit: usize) -> Response {
    let headers = response.headers();
    let oversized = headers.get("grpc-status").map(HeaderValue::as_bytes) == Some(b"11".as_slice())
        && headers
            .get("grpc-message")
            .and_then(|m| m.to_str().ok())
            .is_some_and(|m| {
                m.contains("message%20length%20too%20large")
                    || m.contains("message length too large")
            });
    if oversized {
        let status = Status::resource_exhausted(format!(
            "the request message is larger than the limit of {limit} bytes (--body-limit)"
        ));
        let replaced: Response = status.into_http();
        let headers = response.headers_mut();
        for name in ["grpc-status", "grpc-message"] {
            headers.remove(name);
            if let Some(value) = replaced.headers().get(name) {
                headers.insert(name, value.clone());
            }
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tonics_oversized_message_answer_becomes_resource_exhausted() {
        let tonic_answer: Response = Status::out_of_range(
            "Error, decoded message length too large: found 9 bytes, the limit is: 4 bytes",
        )
        .into_http();
        let answer = oversized_is_resource_exhausted(tonic_answer, 4);
        assert_eq!(response_code(&answer), Code::ResourceExhausted as i32);
        let message = answer.headers()["grpc-message"].to_str().unwrap();
        assert!(message.contains("limit%20of%204%20bytes"), "{message}");
        let other: Response = Status::out_of_range("something else").into_http();
        let other = oversized_is_resource_exhausted(other, 4);
        assert_eq!(response_code(&other), Code::OutOfRange as i32);
    }

    #[test]
    fn the_client_deadline_is_read_from_grpc_timeout_5_ms_early() {
        let with = |value: &str| {
            let request = Request::builder()
                .header("grpc-timeout", value)
                .body(axum::body::Body::empty())
                .unwrap();
            client_deadline(&request)
        };
        assert_eq!(with("1500m"), Some(Duration::from_millis(1495)));
        assert_eq!(with("2S"), Some(Duration::from_millis(1995)));
        assert_eq!(with("1M"), Some(Duration::from_millis(59_995)));
        assert_eq!(with("3m"), Some(Duration::ZERO));
        assert_eq!(with("123456789S"), None);
        assert_eq!(with("S"), None);
        assert_eq!(with("10x"), None);
        let none = Request::builder().body(axum::body::Body::empty()).unwrap();
        assert_eq!(client_deadline(&none), None);
    }
}
