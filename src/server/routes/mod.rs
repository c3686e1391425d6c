//! The routes, their layers, and the OpenAPI document generated from the handlers' types.

pub mod evals;
pub mod execute;
pub mod history;
pub mod images;
pub mod info;
pub mod judge;

use axum::extract::{DefaultBodyLimit, Request};
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::RequestBodyTimeoutLayer;
use utoipa::OpenApi;

use super::{ApiError, Shared};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "localeval",
        description = "Runs untrusted code in a per-execution Linux sandbox. Every route needs \
                       `Authorization: Bearer <token>` when the server has a token."
    ),
    paths(
        execute::execute,
        execute::execute_v1,
        super::stream::execute_stream,
        judge::judge,
        history::list,
        history::get,
        info::ping,
        info::health,
        info::health_v1,
        info::config,
        info::stats,
        info::languages,
        info::metrics,
        evals::start,
        evals::list,
        evals::get,
        evals::events,
        evals::report,
        evals::resume,
        evals::cancel,
        images::pull,
        images::list,
    ),
    components(schemas(
        super::wire::ExecuteRequest,
        super::wire::ExecuteResponse,
        super::wire::ErrorBody,
        super::wire::ExecuteErrorBody,
        super::wire::FileIn,
        super::wire::WireLimits,
        super::stream::StreamEvent,
        super::judge::JudgeRequest,
        super::judge::JudgeResponse,
        super::judge::JudgeTest,
        super::judge::TestResult,
        super::judge::TestVerdict,
        super::judge::CompareMode,
        super::history::ExecutionSummary,
        super::history::ExecutionPage,
        super::history::ExecutionRecord,
        super::metrics::JsonCounters,
        evals::EvalRequest,
        evals::EvalBackend,
        evals::EvalStyle,
        evals::EvalStatus,
        evals::EvalProgress,
        evals::EvalList,
        images::PullRequest,
        images::PullLine,
        crate::image::ImageRecord,
        crate::image::ImageConfig,
    ))
)]
pub struct ApiDoc;

/// The OpenAPI document.
pub async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

async fn not_found(request: Request) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        format!("no route for {} {}", request.method(), request.uri().path()),
    )
}

async fn method_not_allowed(request: Request) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        format!(
            "{} is not allowed on {}",
            request.method(),
            request.uri().path()
        ),
    )
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    ApiError::internal("internal server error (a handler panicked; see the server log)")
        .into_response()
}

pub fn router(state: Shared) -> Router {
    let executions = Router::new()
        .route("/execute", post(execute::execute))
        .route("/api/v1/execute", post(execute::execute_v1))
        .route(
            "/api/v1/execute/stream",
            post(super::stream::execute_stream),
        )
        .route("/api/v1/judge", post(judge::judge))
        .route("/api/v1/evals", post(evals::start))
        .route("/api/v1/evals/{id}/resume", post(evals::resume))
        .route("/api/v1/evals/{id}/cancel", post(evals::cancel))
        .route("/api/v1/images/pull", post(images::pull))
        .route_layer(from_fn_with_state(state.clone(), super::rate_limit));
    Router::new()
        .merge(executions)
        .route("/ping", get(info::ping))
        .route("/health", get(info::health))
        .route("/api/v1/health", get(info::health_v1))
        .route("/api/v1/config", get(info::config))
        .route("/api/v1/stats", get(info::stats))
        .route("/api/v1/languages", get(info::languages))
        .route("/api/v1/executions", get(history::list))
        .route("/api/v1/executions/{id}", get(history::get))
        .route("/api/v1/evals", get(evals::list))
        .route("/api/v1/evals/{id}", get(evals::get))
        .route("/api/v1/evals/{id}/events", get(evals::events))
        .route("/api/v1/evals/{id}/report", get(evals::report))
        .route("/api/v1/images", get(images::list))
        .route("/metrics", get(info::metrics))
        .route("/openapi.json", get(openapi))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(state.config.body_limit))
        .layer(RequestBodyTimeoutLayer::new(state.config.body_timeout))
        .layer(from_fn_with_state(state.clone(), super::require_token))
        // The console's pages and assets: no token (they hold no secret; the page sends
        // the token with each API call it makes).
        .merge(super::console::router())
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(from_fn_with_state(state.clone(), super::record_metrics))
        .layer(axum::middleware::from_fn(execute::execute_error_fields))
        .with_state(state)
}
