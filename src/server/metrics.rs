//! Prometheus metrics (`GET /metrics`), and the older JSON counters
//! `{"total_requests","total_errors"}` (the same path with `Accept: application/json`).

use std::sync::atomic::{AtomicU64, Ordering};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub route: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct GrpcLabels {
    /// `/package.Service/Method`.
    pub method: String,
    /// The gRPC status code (0 = OK).
    pub code: i32,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ExecutionLabels {
    pub language: String,
    pub verdict: String,
}

/// The older services' counters.
#[derive(Clone, Copy, Debug, Serialize, ToSchema)]
pub struct JsonCounters {
    pub total_requests: u64,
    pub total_errors: u64,
    pub total_executions: u64,
}

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    grpc_requests: Family<GrpcLabels, Counter>,
    executions: Family<ExecutionLabels, Counter>,
    execution_seconds: Histogram,
    pub queue_depth: Gauge,
    pub running: Gauge,
    total_requests: AtomicU64,
    total_errors: AtomicU64,
    total_executions: AtomicU64,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("localeval");
        let requests = Family::<RequestLabels, Counter>::default();
        let grpc_requests = Family::<GrpcLabels, Counter>::default();
        let executions = Family::<ExecutionLabels, Counter>::default();
        let execution_seconds = Histogram::new([
            0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
        ]);
        let queue_depth = Gauge::default();
        let running = Gauge::default();
        registry.register(
            "http_requests",
            "HTTP requests by route and status",
            requests.clone(),
        );
        registry.register(
            "grpc_requests",
            "gRPC calls by method and status code",
            grpc_requests.clone(),
        );
        registry.register(
            "executions",
            "Executions by language and verdict",
            executions.clone(),
        );
        registry.register(
            "execution_duration_seconds",
            "Wall-clock time of executions, queueing excluded",
            execution_seconds.clone(),
        );
        registry.register(
            "queue_depth",
            "Execution requests waiting for a free slot",
            queue_depth.clone(),
        );
        registry.register(
            "running_sandboxes",
            "Executions running now",
            running.clone(),
        );
        Metrics {
            registry,
            requests,
            grpc_requests,
            executions,
            execution_seconds,
            queue_depth,
            running,
            total_requests: AtomicU64::new(0),
            total_errors: AtomicU64::new(0),
            total_executions: AtomicU64::new(0),
        }
    }

    pub fn record_request(&self, route: &str, status: u16) {
        self.requests
            .get_or_create(&RequestLabels {
                route: route.to_string(),
                status,
            })
            .inc();
        self.total_requests.fetch_add(1, Ordering::Relaxed);
        if status >= 400 {
            self.total_errors.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// A gRPC call; the older JSON counters count it as a request (an error unless OK).
    pub fn record_grpc(&self, method: &str, code: i32) {
        self.grpc_requests
            .get_or_create(&GrpcLabels {
                method: method.to_string(),
                code,
            })
            .inc();
        self.total_requests.fetch_add(1, Ordering::Relaxed);
        if code != 0 {
            self.total_errors.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub fn record_execution(&self, language: &str, verdict: &str, seconds: f64) {
        self.executions
            .get_or_create(&ExecutionLabels {
                language: language.to_string(),
                verdict: verdict.to_string(),
            })
            .inc();
        self.execution_seconds.observe(seconds);
        self.total_executions.fetch_add(1, Ordering::Relaxed);
    }

    pub fn counters(&self) -> JsonCounters {
        JsonCounters {
            total_requests: self.total_requests.load(Ordering::Relaxed),
            total_errors: self.total_errors.load(Ordering::Relaxed),
            total_executions: self.total_executions.load(Ordering::Relaxed),
        }
    }

    /// The Prometheus text exposition.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String cannot fail");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_and_executions_are_counted() {
        let m = Metrics::new();
        m.record_request("/execute", 200);
        m.record_request("/execute", 400);
        m.record_execution("python", "OK", 0.2);
        m.record_grpc("/localeval.v1.Sandbox/Execute", 0);
        m.record_grpc("/localeval.v1.Sandbox/Execute", 3);
        let c = m.counters();
        assert_eq!(
            (c.total_requests, c.total_errors, c.total_executions),
            (4, 2, 1)
        );
        let text = m.encode();
        assert!(
            text.contains(r#"localeval_http_requests_total{route="/execute",status="400"} 1"#),
            "{text}"
        );
        assert!(text.contains(r#"localeval_executions_total{language="python",verdict="OK"} 1"#));
        assert!(text.contains("localeval_execution_duration_seconds_bucket"));
        assert!(
            text.contains(r#"localeval_grpc_requests_total{method="/localeval.v1.Sandbox/Execute",code="3"} 1"#),
            "{text}"
        );
        assert!(text.contains("localeval_running_sandboxes"));
    }
}
