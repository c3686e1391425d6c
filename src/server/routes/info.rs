//! Liveness, health, configuration, statistics, languages and metrics.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use crate::limits::Limits;
use crate::server::config::RateLimit;
use crate::server::metrics::JsonCounters;
use crate::server::{HostInfo, Shared};

#[derive(Serialize, ToSchema)]
pub struct Ping {
    /// Always `ok`.
    pub status: String,
}

/// Liveness: `{"status":"ok"}`.
#[utoipa::path(get, path = "/ping", responses((status = 200, body = Ping)))]
pub async fn ping() -> Json<Ping> {
    Json(Ping {
        status: "ok".into(),
    })
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `healthy` (what the seed 002 clients check for), or `degraded` when the host cannot
    /// give some isolation (see `host.weakened`).
    pub status: String,
    /// `true` unless `status` is `degraded`.
    pub healthy: bool,
    pub version: String,
    pub uptime_seconds: u64,
    /// How sandboxes are isolated and limited on this host.
    pub host: HostInfo,
    /// The same as `host.cgroup_mode`, for clients that look for it at the top.
    pub cgroup_mode: String,
    pub isolation: Vec<String>,
    pub running: usize,
    pub queued: usize,
    pub languages: Vec<String>,
}

fn health_of(state: &Shared) -> Health {
    let weakened = !state.host.weakened.is_empty() || state.host.cgroup_mode == "none";
    Health {
        status: if weakened { "degraded" } else { "healthy" }.into(),
        healthy: !weakened,
        version: crate::VERSION.into(),
        uptime_seconds: state.started.elapsed().as_secs(),
        cgroup_mode: state.host.cgroup_mode.clone(),
        isolation: isolation(&state.host),
        host: state.host.clone(),
        running: state.pool.running(),
        queued: state.pool.waiting(),
        languages: state
            .policy
            .catalog
            .languages()
            .map(|l| l.name.clone())
            .collect(),
    }
}

fn isolation(host: &HostInfo) -> Vec<String> {
    let mut v: Vec<String> = ["user", "mount", "pid", "net", "ipc", "uts"]
        .iter()
        .map(|ns| format!("namespace:{ns}"))
        .collect();
    v.push("seccomp".into());
    v.push("no_new_privs".into());
    v.push(format!("cgroup:{}", host.cgroup_mode));
    v.push(if host.rootless { "rootless" } else { "root" }.into());
    v
}

/// Health, with the host's isolation and cgroup mode.
#[utoipa::path(get, path = "/health", responses((status = 200, body = Health)))]
pub async fn health(State(state): State<Shared>) -> Json<Health> {
    Json(health_of(&state))
}

/// Health, with the host's isolation and cgroup mode.
#[utoipa::path(get, path = "/api/v1/health", responses((status = 200, body = Health)))]
pub async fn health_v1(State(state): State<Shared>) -> Json<Health> {
    Json(health_of(&state))
}

#[derive(Serialize, ToSchema)]
pub struct EffectiveConfig {
    /// The most any request may get.
    #[schema(value_type = Object)]
    pub max_limits: Limits,
    /// What a run gets when the request asks for nothing.
    #[schema(value_type = Object)]
    pub default_limits: Limits,
    #[schema(value_type = Object)]
    pub compile_limits: Limits,
    pub languages: Vec<LanguageInfo>,
    /// Absent when rate limiting is off.
    #[schema(value_type = Option<Object>)]
    pub rate_limit: Option<RateLimit>,
    pub max_concurrent: usize,
    pub max_queue: usize,
    pub body_limit_bytes: usize,
    pub json_depth: usize,
    pub max_judge_tests: usize,
    pub auth_required: bool,
    pub shutdown_grace_ms: u64,
}

/// The effective limits and languages.
#[utoipa::path(get, path = "/api/v1/config", responses((status = 200, body = EffectiveConfig)))]
pub async fn config(State(state): State<Shared>) -> Json<EffectiveConfig> {
    let c = &state.config;
    Json(EffectiveConfig {
        max_limits: c.maxima,
        default_limits: c.run_defaults,
        compile_limits: c.compile_defaults,
        languages: language_list(&state),
        rate_limit: c.rate_limit,
        max_concurrent: c.max_concurrent,
        max_queue: c.max_queue,
        body_limit_bytes: c.body_limit,
        json_depth: c.json_depth,
        max_judge_tests: c.max_judge_tests,
        auth_required: c.token.is_some(),
        shutdown_grace_ms: c.shutdown_grace.as_millis() as u64,
    })
}

#[derive(Serialize, ToSchema)]
pub struct Stats {
    pub total_requests: u64,
    pub total_errors: u64,
    pub total_executions: u64,
    pub running: usize,
    pub queued: usize,
    pub uptime_seconds: u64,
}

/// Request and execution counters, running and queued executions.
#[utoipa::path(get, path = "/api/v1/stats", responses((status = 200, body = Stats)))]
pub async fn stats(State(state): State<Shared>) -> Json<Stats> {
    let c = state.metrics.counters();
    Json(Stats {
        total_requests: c.total_requests,
        total_errors: c.total_errors,
        total_executions: c.total_executions,
        running: state.pool.running(),
        queued: state.pool.waiting(),
        uptime_seconds: state.started.elapsed().as_secs(),
    })
}

#[derive(Serialize, ToSchema)]
pub struct LanguageInfo {
    pub name: String,
    pub aliases: Vec<String>,
    /// `host`, or the image the language runs on.
    pub rootfs: String,
    /// The file the code is written to.
    pub file: String,
    pub compiled: bool,
    /// Libraries preinstalled besides the standard library (importable names).
    pub libraries: Vec<String>,
    /// The Debian packages that give the host profile this toolchain and its libraries.
    pub packages: Vec<String>,
}

fn language_list(state: &Shared) -> Vec<LanguageInfo> {
    state
        .policy
        .catalog
        .languages()
        .map(|l| LanguageInfo {
            name: l.name.clone(),
            aliases: l.entry.aliases.clone(),
            rootfs: l.entry.rootfs.clone(),
            file: l.entry.file.clone(),
            compiled: l.entry.compile.is_some(),
            libraries: l.entry.libraries.clone(),
            packages: l.entry.packages.clone(),
        })
        .collect()
}

#[derive(Serialize, ToSchema)]
pub struct Languages {
    pub languages: Vec<LanguageInfo>,
}

/// The languages this server runs.
#[utoipa::path(get, path = "/api/v1/languages", responses((status = 200, body = Languages)))]
pub async fn languages(State(state): State<Shared>) -> Json<Languages> {
    Json(Languages {
        languages: language_list(&state),
    })
}

/// What `GET /metrics` answers to a client's `Accept` header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetricsFormat {
    /// The older services' JSON counters: what curl (`*/*`), Go's `http.Get` (no `Accept`)
    /// and any JSON client get.
    Json,
    /// OpenMetrics text, for a client that names `application/openmetrics-text`
    /// (Prometheus does, first).
    OpenMetrics,
    /// The same exposition as `text/plain; version=0.0.4`, for a client that names
    /// `text/plain` but not OpenMetrics (older Prometheus, scrapers).
    PrometheusText,
}

/// Chooses the format from `Accept`: text only when the client names a text exposition
/// type with a quality above 0; JSON otherwise (the seed 000/001 clients send `*/*` or
/// nothing and decode JSON).
pub fn metrics_format(accept: &str) -> MetricsFormat {
    let named = |wanted: &str| {
        accept.split(',').any(|item| {
            let mut parts = item.split(';').map(str::trim);
            let media = parts.next().unwrap_or("").to_ascii_lowercase();
            let refused = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            media == wanted && !refused
        })
    };
    if named("application/openmetrics-text") {
        MetricsFormat::OpenMetrics
    } else if named("text/plain") {
        MetricsFormat::PrometheusText
    } else {
        MetricsFormat::Json
    }
}

/// The JSON counters; Prometheus or OpenMetrics text when `Accept` asks for it.
#[utoipa::path(
    get,
    path = "/metrics",
    params(
        ("Accept" = Option<String>, Header, description = "`application/openmetrics-text` or `text/plain` for the text exposition; anything else (or nothing) gets JSON"),
    ),
    responses(
        (status = 200, description = "The JSON counters by default; the text exposition when `Accept` names `application/openmetrics-text` or `text/plain`",
            content(
                (JsonCounters = "application/json"),
                (String = "application/openmetrics-text"),
                (String = "text/plain"),
            )
        ),
    )
)]
pub async fn metrics(State(state): State<Shared>, headers: HeaderMap) -> Response {
    state.metrics.queue_depth.set(state.pool.waiting() as i64);
    state.metrics.running.set(state.pool.running() as i64);
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let content_type = match metrics_format(accept) {
        MetricsFormat::Json => return Json(state.metrics.counters()).into_response(),
        MetricsFormat::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
        MetricsFormat::PrometheusText => "text/plain; version=0.0.4; charset=utf-8",
    };
    let mut response = state.metrics.encode().into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_format_follows_the_accept_header_of_each_client() {
        // curl 7/8 sends `*/*`; Go's net/http sends no Accept; both decode JSON.
        assert_eq!(metrics_format("*/*"), MetricsFormat::Json);
        assert_eq!(metrics_format(""), MetricsFormat::Json);
        assert_eq!(metrics_format("application/json"), MetricsFormat::Json);
        // Python requests' default.
        assert_eq!(metrics_format("*/*"), MetricsFormat::Json);
        // Prometheus 2.x/3.x scrape header (scrape_protocols default order).
        assert_eq!(
            metrics_format(
                "application/openmetrics-text;version=1.0.0,application/openmetrics-text;\
                 version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
            ),
            MetricsFormat::OpenMetrics
        );
        // Prometheus 2.0-2.4 and most other scrapers.
        assert_eq!(
            metrics_format("text/plain;version=0.0.4;q=1,*/*;q=0.1"),
            MetricsFormat::PrometheusText
        );
        assert_eq!(
            metrics_format("application/json, text/plain;q=0"),
            MetricsFormat::Json
        );
    }
}
