//! `POST /api/v1/judge`: compile once, run N test cases, per-test verdicts.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{ConnectInfo, State};
use axum::Json;

use crate::jail::RunCancel;
use crate::limits::LimitRequest;
use crate::plan::{plan, ExecRequest};
use crate::server::history::{now_ms, AuditLine, ExecutionSummary};
use crate::server::judge::{judge as run_judge, JudgeRequest, JudgeResponse, TestVerdict};
use crate::server::routes::execute::{code_sha256, new_id, record_history};
use crate::server::wire::{ErrorBody, FileIn};
use crate::server::{ApiError, ApiJson, Shared};

/// Compiles once, runs every test case in a fresh sandbox, and compares outputs.
#[utoipa::path(
    post,
    path = "/api/v1/judge",
    request_body = JudgeRequest,
    responses(
        (status = 200, description = "Per-test verdicts", body = JudgeResponse),
        (status = 400, description = "Bad request", body = ErrorBody),
        (status = 429, description = "Too many requests from this client", body = ErrorBody),
        (status = 503, description = "Every slot and the queue are taken; see Retry-After", body = ErrorBody),
    )
)]
pub async fn judge(
    State(state): State<Shared>,
    ConnectInfo(client): ConnectInfo<std::net::SocketAddr>,
    ApiJson(request): ApiJson<JudgeRequest>,
) -> Result<Json<JudgeResponse>, ApiError> {
    let client = client.ip().to_string();
    judge_request(&state, request, &client, "/api/v1/judge", Arc::default())
        .await
        .map(Json)
}

/// A judge request of any protocol, from its checks to the history: `endpoint` names it in
/// the audit log and the history; `cancel` ends its runs early.
pub async fn judge_request(
    state: &Shared,
    request: JudgeRequest,
    client: &str,
    endpoint: &str,
    cancel: Arc<RunCancel>,
) -> Result<JudgeResponse, ApiError> {
    if request.tests.is_empty() {
        return Err(ApiError::bad_request("tests cannot be empty"));
    }
    if request.tests.len() > state.config.max_judge_tests {
        return Err(ApiError::bad_request(format!(
            "too many tests: {} (at most {})",
            request.tests.len(),
            state.config.max_judge_tests
        )));
    }
    let mut limits: LimitRequest = request.limits.unwrap_or_default().into();
    if let Some(ms) = request.timeout_ms {
        if ms == 0 {
            return Err(ApiError::bad_request(
                "timeout_ms must be a positive number, got 0",
            ));
        }
        limits.wall_ms = Some(ms);
        limits.cpu_ms = Some(limits.cpu_ms.unwrap_or(ms));
    }
    if let Some(mb) = request.memory_limit_mb {
        limits.memory_bytes = Some(mb.saturating_mul(1 << 20));
    }
    let files = request
        .files
        .iter()
        .map(FileIn::to_workspace_file)
        .collect::<Result<Vec<_>, _>>()?;
    let exec = ExecRequest {
        language: Some(request.language.clone()),
        code: Some(request.code.clone()),
        files,
        limits,
        ..Default::default()
    };
    let plan = plan(&exec, &state.policy)?;
    let language = plan.language.clone().unwrap_or_default();
    let slot = state.pool.acquire().await?;
    let runner = state.runner.clone();
    let id = new_id();
    let judge_id = id.clone();
    let started = Instant::now();
    let run_limits = plan.run.limits;
    let hold = super::execute::hold_root(state, &plan)?;
    let response = tokio::task::spawn_blocking(move || {
        let _slot = slot;
        let _hold = hold;
        run_judge(judge_id, &plan, &request, &*runner, &cancel)
    })
    .await
    .map_err(|e| ApiError::internal(format!("the judge task failed: {e}")))?;

    for test in response
        .tests
        .iter()
        .filter(|t| t.verdict != TestVerdict::SKIPPED)
    {
        let verdict = test.execution_verdict.as_deref().unwrap_or("IE");
        state
            .metrics
            .record_execution(&language, verdict, test.time_ms as f64 / 1000.0);
    }
    let hash = code_sha256(&exec.code.unwrap_or_default());
    state.audit.write(&AuditLine {
        ts_ms: now_ms(),
        execution_id: &id,
        endpoint,
        client,
        language: &language,
        code_sha256: &hash,
        verdict: &response.verdict,
        usage: None,
        limits: Some(&run_limits),
    });
    let summary = ExecutionSummary {
        execution_id: id,
        created_at_ms: now_ms(),
        endpoint: endpoint.to_string(),
        client: client.to_string(),
        language,
        verdict: response.verdict.clone(),
        code_sha256: hash,
        wall_ms: started.elapsed().as_millis() as u64,
        peak_memory_bytes: response
            .tests
            .iter()
            .map(|t| t.memory_bytes)
            .max()
            .unwrap_or(0),
    };
    record_history(state, summary, &response).await;
    Ok(response)
}
