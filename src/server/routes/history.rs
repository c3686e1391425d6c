//! `GET /api/v1/executions` (paged, newest first) and `GET /api/v1/executions/{id}`.

use std::sync::Arc;

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::server::history::{ExecutionPage, ExecutionRecord, ListFilter};
use crate::server::wire::ErrorBody;
use crate::server::{ApiError, Shared};

/// The largest page.
pub const MAX_PAGE: u64 = 500;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// Items per page (default 50, at most 500).
    pub limit: Option<u64>,
    /// Items to skip.
    pub offset: Option<u64>,
    /// Only executions in this language (the catalog's name).
    pub language: Option<String>,
    /// Only executions with this verdict (`OK`, `WA`, `TLE`...).
    pub verdict: Option<String>,
    /// Only executions of this endpoint (`/api/v1/execute`, `/api/v1/evals`...).
    pub endpoint: Option<String>,
}

/// A query integer as `/openapi.json` documents it (`format: int64`, at least 0): a value
/// past `i64::MAX` is a 400, not clamped, so that the answer matches the document (the
/// OpenAPI check, scripts/openapi-check.sh, found `offset=9223372036854775808` answered 200).
pub fn int64_param(name: &str, value: Option<u64>) -> Result<Option<u64>, ApiError> {
    match value {
        Some(v) if v > i64::MAX as u64 => Err(ApiError::bad_request(format!(
            "{name} must be at most {}",
            i64::MAX
        ))),
        v => Ok(v),
    }
}

/// Past executions, newest first, optionally only those of a language, verdict or
/// endpoint (`total` counts the selected ones).
#[utoipa::path(
    get,
    path = "/api/v1/executions",
    operation_id = "list_executions",
    params(PageQuery),
    responses((status = 200, body = ExecutionPage), (status = 400, body = ErrorBody))
)]
pub async fn list(
    State(state): State<Shared>,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Json<ExecutionPage>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let limit = int64_param("limit", q.limit)?.unwrap_or(50).min(MAX_PAGE);
    let offset = int64_param("offset", q.offset)?.unwrap_or(0);
    let filter = ListFilter {
        language: q.language.filter(|s| !s.is_empty()),
        verdict: q.verdict.filter(|s| !s.is_empty()),
        endpoint: q.endpoint.filter(|s| !s.is_empty()),
    };
    let state = Arc::clone(&state);
    tokio::task::spawn_blocking(move || state.history.list_filtered(limit, offset, &filter))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
        .map(Json)
        .map_err(|e| ApiError::internal(e.to_string()))
}

/// One past execution with its full response.
#[utoipa::path(
    get,
    path = "/api/v1/executions/{id}",
    operation_id = "get_execution",
    params(("id" = String, Path, description = "The execution id")),
    responses((status = 200, body = ExecutionRecord), (status = 404, body = ErrorBody))
)]
pub async fn get(
    State(state): State<Shared>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<ExecutionRecord>, ApiError> {
    let Path(id) = id.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let lookup = id.clone();
    let state = Arc::clone(&state);
    tokio::task::spawn_blocking(move || state.history.get(&lookup))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
        .map_err(|e| ApiError::internal(e.to_string()))?
        .map(Json)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                format!("no execution with id {id:?}"),
            )
        })
}
