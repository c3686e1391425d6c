//! `/api/v1/evals`: start an evaluation (the options of `localeval eval`), watch its
//! progress (polling, or a stream of NDJSON / server-sent events), fetch its report (JSON,
//! Markdown, HTML), list runs, cancel a running one (`POST .../cancel`, like `.../resume`:
//! an action on the run, which stays in the store), resume an interrupted or cancelled run.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::eval::backend::{normalize_ollama_host, BackendConfig, BackendKind};
use crate::eval::dataset::{DatasetSpec, PromptStyle};
use crate::eval::run::{run_config, ProgressSnapshot, RunConfig, RunError};
use crate::eval::store::StoreError;
use crate::server::evals::{Evals, EvalsError};
use crate::server::wire::ErrorBody;
use crate::server::{ApiError, ApiJson, Shared};

use super::history::int64_param;

/// Samples per problem one request may ask for.
pub const MAX_SAMPLES: u32 = 1000;

#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum EvalBackend {
    /// Ollama's native API (`/api/chat`, `/api/generate`).
    #[default]
    Ollama,
    /// An OpenAI-compatible server (`/v1/chat/completions`, `/v1/completions`).
    Openai,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum EvalStyle {
    Chat,
    Completion,
}

/// An evaluation to start: the options of `localeval eval`, with the same defaults.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvalRequest {
    /// Models to evaluate (several: a comparison).
    pub models: Vec<String>,
    /// `problems` (the built-in set), or `problems:PATH`, `humaneval:PATH`, `mbpp:PATH`,
    /// `multipl-e:PATH`, `humaneval-x:PATH` with PATH under a directory the server allows.
    #[serde(default)]
    pub dataset: Option<String>,
    #[serde(default)]
    pub backend: Option<EvalBackend>,
    /// Model server base URL (Ollama: the server's `OLLAMA_HOST`, default
    /// http://localhost:11434).
    #[serde(default)]
    pub url: Option<String>,
    /// Samples per problem (n), default 1.
    #[serde(default)]
    pub samples: Option<u32>,
    /// The k of pass@k, default [1, 5, 10] (only k ≤ n are reported).
    #[serde(default)]
    pub k: Option<Vec<u64>>,
    /// Answer language, for sets that have several.
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    pub style: Option<EvalStyle>,
    /// Default 0.2.
    #[serde(default)]
    pub temperature: Option<f64>,
    /// Default 0.95.
    #[serde(default)]
    pub top_p: Option<f64>,
    /// Default 1234.
    #[serde(default)]
    pub seed: Option<u64>,
    /// Default 1024.
    #[serde(default)]
    pub max_tokens: Option<u32>,
    /// A system prompt for chat-style problems.
    #[serde(default)]
    pub system: Option<String>,
    /// Generations in flight at once on the backend (default 2).
    #[serde(default)]
    pub concurrency: Option<usize>,
    /// Longest one generation may take, in seconds (default 300).
    #[serde(default)]
    pub gen_timeout_secs: Option<u64>,
    /// Retries of a generation after transient failures (default 3).
    #[serde(default)]
    pub retries: Option<u32>,
    /// Pull a model the (Ollama) server lacks (default true).
    #[serde(default)]
    pub pull: Option<bool>,
    /// Stream the model's answers (default true); false asks for whole answers.
    #[serde(default)]
    pub stream: Option<bool>,
    /// Calibrate time limits on this host from the reference solutions (default true).
    #[serde(default)]
    pub calibrate: Option<bool>,
    /// Calibrated limit = max(floor, factor × reference time); defaults 1000 ms and 3.
    #[serde(default)]
    pub time_floor_ms: Option<u64>,
    #[serde(default)]
    pub time_factor: Option<f64>,
    /// Memory of each execution (default 512, clamped to the server's maximum).
    #[serde(default)]
    pub memory_mb: Option<u64>,
    /// Only the first N problems.
    #[serde(default)]
    pub limit: Option<usize>,
}

/// Counters of a run.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize, ToSchema)]
pub struct EvalProgress {
    /// What the run does now (`loading problems`, `sampling and judging`, `complete`...).
    pub phase: String,
    /// Samples in the run (models × problems × n); 0 until the problems are loaded.
    pub total: u64,
    /// Samples judged.
    pub done: u64,
    pub passed: u64,
    /// Samples that failed (generation or sandbox errors; resumable).
    pub failed: u64,
    pub generation_requests: u64,
    pub cached_generations: u64,
    /// Executions run by this server for the run (in this process).
    pub executions: u64,
    pub cached_executions: u64,
    /// Seconds since this process started (or resumed) the run.
    pub elapsed_secs: Option<f64>,
    /// Remaining seconds at the pace so far.
    pub eta_secs: Option<f64>,
}

impl From<ProgressSnapshot> for EvalProgress {
    fn from(s: ProgressSnapshot) -> EvalProgress {
        EvalProgress {
            phase: s.phase,
            total: s.total,
            done: s.done,
            passed: s.passed,
            failed: s.failed,
            generation_requests: s.generation_requests,
            cached_generations: s.cached_generations,
            executions: s.executions,
            cached_executions: s.cached_executions,
            elapsed_secs: Some(s.elapsed_secs),
            eta_secs: s.eta_secs,
        }
    }
}

/// A run and where it stands.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, ToSchema)]
pub struct EvalStatus {
    pub id: String,
    /// `running`, `complete`, `incomplete` (some samples failed; resumable), `failed`,
    /// `cancelled` (stopped by `POST .../cancel`; resumable), or `interrupted` (stopped
    /// mid-run, e.g. by a restart; resumable).
    pub status: String,
    /// Why the run failed or is incomplete.
    pub message: Option<String>,
    pub created_ms: i64,
    pub finished_ms: Option<i64>,
    pub dataset: String,
    pub language: Option<String>,
    pub models: Vec<String>,
    pub samples: u32,
    pub progress: EvalProgress,
    /// Where the report is (`?format=json|markdown|html`).
    pub report: String,
}

/// Runs, newest first.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct EvalList {
    pub runs: Vec<EvalStatus>,
    /// Runs in the store.
    pub total: u64,
    pub limit: u64,
    pub offset: u64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Runs per page (default 50, at most 500).
    pub limit: Option<u64>,
    pub offset: Option<u64>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    /// `json` (default), `markdown` (or `md`), `html`.
    #[param(pattern = "^(json|markdown|md|html)$")]
    pub format: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EventsQuery {
    /// Milliseconds between two progress lines (default 1000, 100 to 60000).
    pub interval_ms: Option<u64>,
}

impl From<EvalsError> for ApiError {
    fn from(e: EvalsError) -> ApiError {
        match &e {
            EvalsError::DatasetNotAllowed { .. } | EvalsError::DatasetMissing { .. } => {
                ApiError::bad_request(e.to_string())
            }
            EvalsError::Busy { .. } => ApiError {
                status: StatusCode::SERVICE_UNAVAILABLE,
                message: e.to_string(),
                retry_after: Some(30),
            },
            EvalsError::AlreadyRunning(_) | EvalsError::NotRunning { .. } => {
                ApiError::new(StatusCode::CONFLICT, e.to_string())
            }
            EvalsError::Run(r) => run_error(r),
            EvalsError::Open { .. } => ApiError::internal(e.to_string()),
        }
    }
}

fn run_error(e: &RunError) -> ApiError {
    match e {
        RunError::Store(StoreError::NoRun(id)) => ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no evaluation with id {id:?}"),
        ),
        RunError::Dataset(_) => ApiError::bad_request(e.to_string()),
        _ => ApiError::internal(e.to_string()),
    }
}

/// Runs a store call on a blocking thread (SQLite).
async fn blocking<T: Send + 'static>(
    state: &Shared,
    f: impl FnOnce(&Shared) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let state = Arc::clone(state);
    tokio::task::spawn_blocking(move || f(&state))
        .await
        .map_err(|e| ApiError::internal(format!("the store task failed: {e}")))?
}

fn positive_finite(name: &str, v: Option<f64>) -> Result<(), ApiError> {
    match v {
        Some(x) if !x.is_finite() || x < 0.0 => Err(ApiError::bad_request(format!(
            "{name} must be a finite number ≥ 0, not {x}"
        ))),
        _ => Ok(()),
    }
}

/// Checks a request and lowers it into the run's configuration (the CLI's defaults).
pub fn run_config_of(state: &Shared, r: &EvalRequest) -> Result<RunConfig, ApiError> {
    let models: Vec<String> = r.models.iter().map(|m| m.trim().to_string()).collect();
    if models.is_empty() || models.iter().any(String::is_empty) {
        return Err(ApiError::bad_request(
            "give at least one model in \"models\" (no empty names)",
        ));
    }
    let samples = r.samples.unwrap_or(1);
    if !(1..=MAX_SAMPLES).contains(&samples) {
        return Err(ApiError::bad_request(format!(
            "samples must be between 1 and {MAX_SAMPLES}"
        )));
    }
    let ks = r.k.clone().unwrap_or_else(|| vec![1, 5, 10]);
    if ks.is_empty() || ks.contains(&0) {
        return Err(ApiError::bad_request("k must list values of at least 1"));
    }
    positive_finite("temperature", r.temperature)?;
    positive_finite("top_p", r.top_p)?;
    positive_finite("time_factor", r.time_factor)?;
    if r.time_factor == Some(0.0) {
        return Err(ApiError::bad_request("time_factor must be above 0"));
    }
    if r.memory_mb == Some(0) {
        return Err(ApiError::bad_request("memory_mb must be at least 1"));
    }
    let concurrency = r.concurrency.unwrap_or(2);
    if !(1..=64).contains(&concurrency) {
        return Err(ApiError::bad_request(
            "concurrency must be between 1 and 64",
        ));
    }
    let dataset = r.dataset.clone().unwrap_or_else(|| "problems".into());
    let spec = DatasetSpec::parse(&dataset).map_err(|e| ApiError::bad_request(e.to_string()))?;
    state.evals.check_dataset(&dataset, &spec)?;
    if let Some(language) = &r.language {
        if state.policy.catalog.get(language).is_none() {
            return Err(ApiError::bad_request(format!(
                "unsupported language: {language}"
            )));
        }
    }
    let kind = match r.backend.unwrap_or_default() {
        EvalBackend::Ollama => BackendKind::Ollama,
        EvalBackend::Openai => BackendKind::Openai,
    };
    let url = match (&r.url, kind) {
        (Some(u), BackendKind::Ollama) => normalize_ollama_host(u),
        (Some(u), _) => u.clone(),
        (None, BackendKind::Ollama) => BackendConfig::ollama_from_env().url,
        (None, BackendKind::Openai) => {
            return Err(ApiError::bad_request(
                "an openai backend needs \"url\" (the server's base URL)",
            ))
        }
    };
    match reqwest::Url::parse(&url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => {}
        _ => {
            return Err(ApiError::bad_request(format!(
                "url must be an http(s) URL, not {url:?}"
            )))
        }
    }
    let mut backend = BackendConfig::new(kind, &url);
    backend.timeout_ms = r.gen_timeout_secs.unwrap_or(300).max(1) * 1000;
    backend.retries = r.retries.unwrap_or(3).min(10);
    backend.concurrency = concurrency;
    backend.stream = r.stream.unwrap_or(true);
    // https model servers with a private CA: the server's operator names the CA file (a
    // client cannot point the server at files of its own choosing).
    backend.ca_cert = std::env::var_os("LOCALEVAL_CA_CERT")
        .filter(|v| !v.is_empty())
        .map(std::path::PathBuf::from);
    let mut config = RunConfig::new(&dataset, models, backend);
    config.language = r.language.clone();
    config.style = r.style.map(|s| match s {
        EvalStyle::Chat => PromptStyle::Chat,
        EvalStyle::Completion => PromptStyle::Completion,
    });
    config.pull = r.pull.unwrap_or(true);
    config.samples = samples;
    config.ks = ks;
    config.params.temperature = r.temperature.unwrap_or(0.2);
    config.params.top_p = Some(r.top_p.unwrap_or(0.95));
    config.params.seed = Some(r.seed.unwrap_or(1234));
    config.params.max_tokens = r.max_tokens.unwrap_or(1024);
    config.system_prompt = r.system.clone();
    config.time.calibrate = r.calibrate.unwrap_or(true);
    config.time.floor_ms = r.time_floor_ms.unwrap_or(1000);
    config.time.factor = r.time_factor.unwrap_or(3.0);
    config.memory_mb = r.memory_mb.unwrap_or(512);
    config.limit = r.limit;
    Ok(config)
}

/// Where a run stands: the live counters of a run this process executes, otherwise what
/// the store holds.
fn status_of(state: &Shared, id: &str) -> Result<EvalStatus, ApiError> {
    let store = &state.evals.store;
    // Whether the run's task is alive is read before its row: a run stores its final
    // status before its task ends, so a row read after the task ended is final (read the
    // other way round, a run finishing in between would look interrupted).
    let running_here = state.evals.is_running(id);
    let row = store.run(id).map_err(|e| run_error(&RunError::Store(e)))?;
    let config = run_config(store, id).map_err(|e| run_error(&e))?;
    let status = if row.status == "running" && !running_here {
        "interrupted".to_string()
    } else {
        row.status.clone()
    };
    let progress = match state.evals.progress(id) {
        Some(p) => EvalProgress::from(p.snapshot()),
        None => {
            let store_err = |e| run_error(&RunError::Store(e));
            let problems = store.problems(id).map_err(store_err)?.len() as u64;
            let samples = store.samples(id).map_err(store_err)?;
            EvalProgress {
                phase: status.clone(),
                total: config.models.len() as u64 * problems * config.samples as u64,
                done: samples.len() as u64,
                passed: samples.iter().filter(|s| s.passed).count() as u64,
                ..EvalProgress::default()
            }
        }
    };
    Ok(EvalStatus {
        id: row.id.clone(),
        status,
        message: row.message,
        created_ms: row.created_ms,
        finished_ms: row.finished_ms,
        dataset: config.dataset,
        language: config.language,
        models: config.models,
        samples: config.samples,
        progress,
        report: format!("/api/v1/evals/{}/report", row.id),
    })
}

fn accepted(status: EvalStatus) -> Response {
    let location = HeaderValue::from_str(&format!("/api/v1/evals/{}", status.id)).ok();
    let mut response = (StatusCode::ACCEPTED, Json(status)).into_response();
    if let Some(l) = location {
        response.headers_mut().insert(header::LOCATION, l);
    }
    response
}

/// Starts an evaluation in the background: models solve the problems, this server's
/// sandbox judges, pass@k is reported.
#[utoipa::path(
    post,
    path = "/api/v1/evals",
    operation_id = "start_eval",
    request_body = EvalRequest,
    responses(
        (status = 202, description = "Started; poll the run, or stream its progress", body = EvalStatus),
        (status = 400, description = "Bad request: no model, bad dataset or path, unsupported language, wrong types", body = ErrorBody),
        (status = 401, description = "Missing or wrong API token", body = ErrorBody),
        (status = 429, description = "Too many requests from this client", body = ErrorBody),
        (status = 503, description = "The most evaluations this server runs at once are running; see Retry-After", body = ErrorBody),
    )
)]
pub async fn start(
    State(state): State<Shared>,
    ApiJson(request): ApiJson<EvalRequest>,
) -> Result<Response, ApiError> {
    let config = run_config_of(&state, &request)?;
    let id = Evals::start(&state, &config)?;
    let status = blocking(&state, move |s| status_of(s, &id)).await?;
    Ok(accepted(status))
}

/// Resumes an interrupted or incomplete evaluation (cached generations and executions are
/// reused).
#[utoipa::path(
    post,
    path = "/api/v1/evals/{id}/resume",
    operation_id = "resume_eval",
    params(("id" = String, Path, description = "The run id")),
    responses(
        (status = 202, body = EvalStatus),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The run is running", body = ErrorBody),
        (status = 503, body = ErrorBody),
    )
)]
pub async fn resume(
    State(state): State<Shared>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let Path(id) = id.map_err(|e| ApiError::bad_request(e.body_text()))?;
    Evals::resume(&state, &id)?;
    let status = blocking(&state, move |s| status_of(s, &id)).await?;
    Ok(accepted(status))
}

/// Longest a cancel request waits for the run to stop.
const CANCEL_WAIT: Duration = Duration::from_secs(10);

/// Cancels a running evaluation: generation stops at once (requests to the model are
/// dropped), no new test program starts, those already in the sandbox end within their
/// limits. The run is stored as `cancelled` with what it had done (its report stays
/// available) and its progress stream ends with that status; resume it later with
/// `POST .../resume`.
#[utoipa::path(
    post,
    path = "/api/v1/evals/{id}/cancel",
    operation_id = "cancel_eval",
    params(("id" = String, Path, description = "The run id")),
    responses(
        (status = 200, description = "Cancelled: the run's final status", body = EvalStatus),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The run is not running here", body = ErrorBody),
    )
)]
pub async fn cancel(
    State(state): State<Shared>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<EvalStatus>, ApiError> {
    let Path(id) = id.map_err(|e| ApiError::bad_request(e.body_text()))?;
    if !state.evals.cancel(&id, CANCEL_WAIT).await? {
        return Err(ApiError::internal(format!(
            "evaluation {id} was told to stop but is still running after {CANCEL_WAIT:?}; see the server log"
        )));
    }
    blocking(&state, move |s| status_of(s, &id).map(Json)).await
}

/// Evaluations in the store, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/evals",
    operation_id = "list_evals",
    params(ListQuery),
    responses((status = 200, body = EvalList), (status = 400, body = ErrorBody))
)]
pub async fn list(
    State(state): State<Shared>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<EvalList>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let limit = int64_param("limit", q.limit)?
        .unwrap_or(50)
        .min(super::history::MAX_PAGE);
    let offset = int64_param("offset", q.offset)?.unwrap_or(0);
    blocking(&state, move |s| {
        let mut rows = s
            .evals
            .store
            .runs()
            .map_err(|e| run_error(&RunError::Store(e)))?;
        rows.reverse();
        let total = rows.len() as u64;
        let runs = rows
            .iter()
            .skip(offset as usize)
            .take(limit as usize)
            .map(|r| status_of(s, &r.id))
            .collect::<Result<_, _>>()?;
        Ok(Json(EvalList {
            runs,
            total,
            limit,
            offset,
        }))
    })
    .await
}

/// One evaluation: its status, progress counters and ETA.
#[utoipa::path(
    get,
    path = "/api/v1/evals/{id}",
    operation_id = "get_eval",
    params(("id" = String, Path, description = "The run id")),
    responses((status = 200, body = EvalStatus), (status = 404, body = ErrorBody))
)]
pub async fn get(
    State(state): State<Shared>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<EvalStatus>, ApiError> {
    let Path(id) = id.map_err(|e| ApiError::bad_request(e.body_text()))?;
    blocking(&state, move |s| status_of(s, &id).map(Json)).await
}

/// The progress of an evaluation as it goes: one [`EvalStatus`] per interval while it
/// runs, ending with its final status. NDJSON, or server-sent events (`progress` events)
/// with `Accept: text/event-stream`.
#[utoipa::path(
    get,
    path = "/api/v1/evals/{id}/events",
    operation_id = "eval_events",
    params(("id" = String, Path, description = "The run id"), EventsQuery),
    responses(
        (status = 200, description = "EvalStatus lines (NDJSON), or `progress` events (SSE, with `Accept: text/event-stream`) whose data is an EvalStatus; the last one is the run's state once it stopped",
            content(
                (EvalStatus = "application/x-ndjson"),
                (String = "text/event-stream"),
            )
        ),
        (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody),
    )
)]
pub async fn events(
    State(state): State<Shared>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
    query: Result<Query<EventsQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Path(id) = id.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let Query(q) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let interval_ms = int64_param("interval_ms", q.interval_ms)?.unwrap_or(1000);
    let interval = Duration::from_millis(interval_ms.clamp(100, 60_000));
    // A missing run is a 404 before the stream starts.
    {
        let id = id.clone();
        blocking(&state, move |s| status_of(s, &id)).await?;
    }
    // (first line, stream over)
    let stream = futures_util::stream::unfold((true, false), move |(first, over)| {
        let state = state.clone();
        let id = id.clone();
        async move {
            if over {
                return None;
            }
            if !first {
                tokio::time::sleep(interval).await;
            }
            // Checked before reading the status: once the run has stopped, the status read
            // after is its final one.
            let stopped = !state.evals.is_running(&id);
            let line = match blocking(&state, move |s| status_of(s, &id)).await {
                Ok(status) => serde_json::to_value(&status).unwrap_or_default(),
                // The run vanished or the store failed: say so and stop.
                Err(e) => return Some((serde_json::json!({"error": e.message}), (false, true))),
            };
            Some((line, (false, stopped)))
        }
    });
    let sse = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/event-stream"));
    if sse {
        let events = stream.map(|v| {
            let name = if v.get("error").is_some() {
                "error"
            } else {
                "progress"
            };
            Ok::<_, Infallible>(Event::default().event(name).data(v.to_string()))
        });
        return Ok(Sse::new(events).into_response());
    }
    let body =
        Body::from_stream(stream.map(|v| Ok::<_, Infallible>(Bytes::from(format!("{v}\n")))));
    let mut response = body.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-ndjson"),
    );
    Ok(response)
}

/// The report of an evaluation (what it has so far while it runs): JSON (the report's
/// full data), Markdown, or a self-contained HTML page with charts.
#[utoipa::path(
    get,
    path = "/api/v1/evals/{id}/report",
    operation_id = "eval_report",
    params(("id" = String, Path, description = "The run id"), ReportQuery),
    responses(
        (status = 200, description = "The report: JSON, Markdown or HTML as `format` says",
            content(
                (Object = "application/json"),
                (String = "text/markdown"),
                (String = "text/html"),
            )
        ),
        (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody),
    )
)]
pub async fn report(
    State(state): State<Shared>,
    id: Result<Path<String>, PathRejection>,
    query: Result<Query<ReportQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Path(id) = id.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let Query(q) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let format = q.format.unwrap_or_else(|| "json".into());
    let content_type = match format.as_str() {
        "json" => "application/json",
        "markdown" | "md" => "text/markdown; charset=utf-8",
        "html" => "text/html; charset=utf-8",
        other => {
            return Err(ApiError::bad_request(format!(
                "unknown report format {other:?}: use json, markdown or html"
            )))
        }
    };
    let body = blocking(&state, move |s| {
        let report = crate::eval::report::build(&s.evals.store, &id).map_err(|e| run_error(&e))?;
        Ok(match format.as_str() {
            "json" => report.to_json(),
            "html" => report.to_html(),
            _ => report.to_markdown(),
        })
    })
    .await?;
    Ok(([(header::CONTENT_TYPE, content_type)], body).into_response())
}
