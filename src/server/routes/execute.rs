//! `POST /execute` and `POST /api/v1/execute`: one request type, one response type.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use axum::Json;
use sha2::{Digest, Sha256};
use tokio::sync::mpsc::UnboundedSender;

use crate::jail::{RunCancel, Stream};
use crate::outcome::Outcome;
use crate::plan::{plan, ExecRequest, Plan};
use crate::server::history::{now_ms, AuditLine, ExecutionSummary};
use crate::server::pool::Slot;
use crate::server::wire::{ErrorBody, ExecuteErrorBody, ExecuteRequest, ExecuteResponse};
use crate::server::{ApiError, ApiJson, Shared};

pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

pub fn code_sha256(code: &str) -> String {
    hex::encode(Sha256::digest(code.as_bytes()))
}

/// A request that passed every check and holds an execution slot.
pub struct Admitted {
    pub plan: Plan,
    pub slot: Slot,
    pub language: String,
    pub code_sha256: String,
}

/// Lowers a request into a plan and waits for a slot (in the bounded queue).
pub async fn admit(state: &Shared, request: &ExecuteRequest) -> Result<Admitted, ApiError> {
    admit_exec(state, request.to_exec_request()?).await
}

/// [`admit`] for a request already in the library's terms.
pub async fn admit_exec(state: &Shared, exec: ExecRequest) -> Result<Admitted, ApiError> {
    let plan = plan(&exec, &state.policy)?;
    let slot = state.pool.acquire().await?;
    Ok(Admitted {
        language: plan.language.clone().unwrap_or_default(),
        code_sha256: code_sha256(exec.code.as_deref().unwrap_or_default()),
        plan,
        slot,
    })
}

/// Holds the plan's image root (if it runs on one) against `gc`/`rmi` while it runs.
pub fn hold_root(state: &Shared, plan: &Plan) -> Result<Option<Box<dyn Send + Sync>>, ApiError> {
    match (&state.policy.images, &plan.rootfs.digest) {
        (Some(images), Some(digest)) => images
            .hold(digest)
            .map(Some)
            .map_err(|e| ApiError::internal(format!("cannot hold the image root: {e}"))),
        _ => Ok(None),
    }
}

/// Runs an admitted execution on a blocking thread; output chunks go to `output` as they
/// are produced. The slot moves into the blocking task, so it stays taken while the
/// sandbox runs even if the client has gone away.
pub async fn run_admitted(
    state: &Shared,
    admitted: Admitted,
    endpoint: &str,
    client: &str,
    output: Option<UnboundedSender<(Stream, Vec<u8>)>>,
) -> Result<ExecuteResponse, ApiError> {
    run_admitted_cancellable(state, admitted, endpoint, client, output, Arc::default()).await
}

/// [`run_admitted`], which `cancel` can end early (its sandbox killed, the outcome IE, the
/// slot freed); the cancelled run is still counted, audited and kept in the history.
pub async fn run_admitted_cancellable(
    state: &Shared,
    admitted: Admitted,
    endpoint: &str,
    client: &str,
    output: Option<UnboundedSender<(Stream, Vec<u8>)>>,
    cancel: Arc<RunCancel>,
) -> Result<ExecuteResponse, ApiError> {
    let Admitted {
        plan,
        slot,
        language,
        code_sha256,
    } = admitted;
    let runner = state.runner.clone();
    let started = Instant::now();
    let limits = plan.run.limits;
    let hold = hold_root(state, &plan)?;
    let outcome: Outcome = tokio::task::spawn_blocking(move || {
        let _slot = slot;
        let _hold = hold;
        crate::execute::execute_cancellable(&plan, &*runner, &cancel, &mut |stream, bytes| {
            if let Some(tx) = &output {
                // The receiver may be gone (client disconnected): the run goes on.
                let _ = tx.send((stream, bytes.to_vec()));
            }
        })
    })
    .await
    .map_err(|e| ApiError::internal(format!("the execution task failed: {e}")))?;
    let seconds = started.elapsed().as_secs_f64();
    let verdict = outcome.verdict.code();
    state.metrics.record_execution(&language, verdict, seconds);
    let id = new_id();
    state.audit.write(&AuditLine {
        ts_ms: now_ms(),
        execution_id: &id,
        endpoint,
        client,
        language: &language,
        code_sha256: &code_sha256,
        verdict,
        usage: Some(&outcome.usage),
        limits: Some(&limits),
    });
    let summary = ExecutionSummary {
        execution_id: id.clone(),
        created_at_ms: now_ms(),
        endpoint: endpoint.to_string(),
        client: client.to_string(),
        language,
        verdict: verdict.to_string(),
        code_sha256,
        wall_ms: outcome.usage.wall_ms,
        peak_memory_bytes: outcome.usage.peak_memory_bytes,
    };
    let response = ExecuteResponse::from_outcome(id, outcome);
    record_history(state, summary, &response).await;
    Ok(response)
}

/// Stores an execution in the history (on a blocking thread: SQLite writes to disk).
pub async fn record_history<T: serde::Serialize>(
    state: &Shared,
    summary: ExecutionSummary,
    response: &T,
) {
    let json = serde_json::to_string(response).unwrap_or_else(|_| "null".into());
    let state = Arc::clone(state);
    let result = tokio::task::spawn_blocking(move || state.history.record(&summary, &json)).await;
    match result {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::error!(error = %e, "cannot record the execution history"),
        Err(e) => tracing::error!(error = %e, "the history task failed"),
    }
}

async fn execute_at(
    state: Shared,
    client: std::net::SocketAddr,
    request: ExecuteRequest,
    endpoint: &str,
) -> Result<Json<ExecuteResponse>, ApiError> {
    let admitted = admit(&state, &request).await?;
    let client = client.ip().to_string();
    run_admitted(&state, admitted, endpoint, &client, None)
        .await
        .map(Json)
}

/// NVIDIA's sandbox (the `generated_code` shape) refuses a request without `timeout`
/// (`400 {"process_status": "error", ...}`); the other shapes of `/execute` default it.
fn require_timeout_with_generated_code(request: &ExecuteRequest) -> Result<(), ApiError> {
    let nvidia_shape =
        request.generated_code.is_some() && request.source_code.is_none() && request.code.is_none();
    let no_timeout = request.timeout.is_none()
        && request.timeout_ms.is_none()
        && request.timeout_seconds.is_none();
    if nvidia_shape && no_timeout {
        return Err(ApiError::bad_request("Missing required field: timeout"));
    }
    Ok(())
}

/// Gives every error answer of `/execute` the fields of NVIDIA's sandbox besides `error`:
/// `process_status: "error"`, `stdout: ""` and the message as `stderr` (its clients read
/// `process_status` of 4xx answers too). Applied outermost, so refusals by the token check,
/// the rate limit and the body limit get them as well.
pub async fn execute_error_fields(request: Request, next: Next) -> Response {
    if request.uri().path() != "/execute" {
        return next.run(request).await;
    }
    let response = next.run(request).await;
    if !(response.status().is_client_error() || response.status().is_server_error()) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, ERROR_BODY_MAX).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let Ok(serde_json::Value::Object(mut fields)) = serde_json::from_slice(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    let message = fields
        .get("error")
        .and_then(|e| e.as_str())
        .unwrap_or_default()
        .to_string();
    fields.insert("process_status".into(), "error".into());
    fields.entry("stdout").or_insert_with(|| "".into());
    fields.entry("stderr").or_insert_with(|| message.into());
    let body = serde_json::to_vec(&fields).expect("a JSON object serializes");
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(body))
}

/// Error bodies are short messages; anything longer is passed on as it is.
const ERROR_BODY_MAX: usize = 64 << 10;

/// Runs a program (the older `/execute` service's shape).
#[utoipa::path(
    post,
    path = "/execute",
    request_body = ExecuteRequest,
    responses(
        (status = 200, description = "The program ran (whatever its verdict)", body = ExecuteResponse),
        (status = 400, description = "Bad request: unsupported language, empty code, wrong types, `generated_code` without `timeout`", body = ExecuteErrorBody),
        (status = 401, description = "Missing or wrong API token", body = ExecuteErrorBody),
        (status = 413, description = "Request body too large", body = ExecuteErrorBody),
        (status = 429, description = "Too many requests from this client", body = ExecuteErrorBody),
        (status = 503, description = "Every slot and the queue are taken; see Retry-After", body = ExecuteErrorBody),
    )
)]
pub async fn execute(
    State(state): State<Shared>,
    ConnectInfo(client): ConnectInfo<std::net::SocketAddr>,
    ApiJson(request): ApiJson<ExecuteRequest>,
) -> Result<Json<ExecuteResponse>, ApiError> {
    require_timeout_with_generated_code(&request)?;
    execute_at(state, client, request, "/execute").await
}

/// Runs a program (the older `/api/v1/execute` service's shape; same request and response).
#[utoipa::path(
    post,
    path = "/api/v1/execute",
    request_body = ExecuteRequest,
    responses(
        (status = 200, description = "The program ran (whatever its verdict)", body = ExecuteResponse),
        (status = 400, description = "Bad request", body = ErrorBody),
        (status = 401, description = "Missing or wrong API token", body = ErrorBody),
        (status = 413, description = "Request body too large", body = ErrorBody),
        (status = 429, description = "Too many requests from this client", body = ErrorBody),
        (status = 503, description = "Every slot and the queue are taken; see Retry-After", body = ErrorBody),
    )
)]
pub async fn execute_v1(
    State(state): State<Shared>,
    ConnectInfo(client): ConnectInfo<std::net::SocketAddr>,
    ApiJson(request): ApiJson<ExecuteRequest>,
) -> Result<Json<ExecuteResponse>, ApiError> {
    execute_at(state, client, request, "/api/v1/execute").await
}
