//! **backend**: the model servers the harness asks for answers — Ollama's native API and
//! any OpenAI-compatible server (vLLM, llama.cpp server, LM Studio, Ollama's `/v1`).
//!
//! Each backend checks the server and the model before a run (and Ollama pulls a missing
//! model), then generates one sample per request. Transient failures (connection errors,
//! 5xx, 429, malformed or truncated answers, timeouts) are retried with exponential backoff;
//! the others (unknown model, bad request) fail at once with a message saying what to do.

pub mod ollama;
pub mod openai;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error("cannot reach the model server at {url}: {why}{hint}")]
    Unreachable {
        url: String,
        why: String,
        hint: &'static str,
    },
    #[error("model {model:?} is not on the server at {url} (it has: {available}){hint}")]
    ModelMissing {
        model: String,
        url: String,
        available: String,
        hint: &'static str,
    },
    #[error("pulling model {model:?} failed: {why}")]
    PullFailed { model: String, why: String },
    #[error("the model server answered HTTP {status}: {message}")]
    Http { status: u16, message: String },
    #[error("the model server sent an answer that is not understood: {0}")]
    Malformed(String),
    #[error("the model server's answer ended early: {0}")]
    Truncated(String),
    #[error("the model server failed while answering: {0}")]
    MidStream(String),
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("cannot use the CA certificate file {path}: {why}")]
    CaCert { path: String, why: String },
    #[error("the TLS connection to {url} failed: {why}{hint}")]
    Tls {
        url: String,
        why: String,
        hint: &'static str,
    },
}

/// What to do about a certificate the client does not trust.
const TLS_HINT: &str = "; if the server's certificate is self-signed or from a private CA, pass that CA with --ca-cert FILE (or LOCALEVAL_CA_CERT), or add it to the system's store (/usr/local/share/ca-certificates, then update-ca-certificates)";

/// An error with its causes (reqwest's own message leaves them out: "error sending
/// request" says nothing of the certificate that was refused).
pub(crate) fn with_causes(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let part = s.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = s.source();
    }
    text
}

impl BackendError {
    /// Whether trying again may help.
    pub fn retryable(&self) -> bool {
        match self {
            BackendError::Http { status, .. } => *status == 429 || *status >= 500,
            BackendError::Unreachable { .. }
            | BackendError::Malformed(_)
            | BackendError::Truncated(_)
            | BackendError::MidStream(_)
            | BackendError::Timeout(_) => true,
            BackendError::ModelMissing { .. }
            | BackendError::PullFailed { .. }
            | BackendError::CaCert { .. }
            | BackendError::Tls { .. } => false,
        }
    }

    pub(crate) fn from_reqwest(
        url: &str,
        timeout: Duration,
        e: reqwest::Error,
        hint: &'static str,
    ) -> BackendError {
        let why = with_causes(&e);
        if e.is_timeout() {
            BackendError::Timeout(timeout)
        } else if e.is_connect() && why.contains("certificate") {
            BackendError::Tls {
                url: url.to_string(),
                why,
                hint: TLS_HINT,
            }
        } else if e.is_body() || e.is_decode() {
            BackendError::Truncated(why)
        } else {
            BackendError::Unreachable {
                url: url.to_string(),
                why,
                hint,
            }
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    Ollama,
    Openai,
}

impl BackendKind {
    pub fn name(self) -> &'static str {
        match self {
            BackendKind::Ollama => "ollama",
            BackendKind::Openai => "openai",
        }
    }
}

/// How to reach a backend and how hard to try.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BackendConfig {
    pub kind: BackendKind,
    /// Base URL (`http://localhost:11434`, `http://127.0.0.1:8080`); for OpenAI-compatible
    /// servers without the `/v1`.
    pub url: String,
    #[serde(skip_serializing)]
    pub api_key: Option<String>,
    /// Longest a single generation may take.
    pub timeout_ms: u64,
    /// Tries after the first one, for transient failures.
    pub retries: u32,
    /// First backoff; doubled on each retry.
    pub backoff_ms: u64,
    /// Generations in flight at once on this backend.
    pub concurrency: usize,
    /// Stream answers: server-sent events from OpenAI-compatible servers, NDJSON from
    /// Ollama. On by default: every server named above streams, and a stream shows a
    /// dead server (cut connection, error event) the moment it happens.
    #[serde(default = "streaming_default")]
    pub stream: bool,
    /// PEM file of CA certificates trusted besides the system's store (a self-signed
    /// local server); https then works with it as with any public certificate.
    #[serde(default)]
    pub ca_cert: Option<PathBuf>,
}

fn streaming_default() -> bool {
    true
}

impl BackendConfig {
    pub fn new(kind: BackendKind, url: &str) -> BackendConfig {
        BackendConfig {
            kind,
            url: url.trim_end_matches('/').to_string(),
            api_key: None,
            timeout_ms: 300_000,
            retries: 3,
            backoff_ms: 500,
            concurrency: 2,
            stream: true,
            ca_cert: None,
        }
    }

    /// The HTTP client of this backend: TLS through rustls, trusting the system's CA store
    /// (`/etc/ssl/certs`, so corporate CAs work) plus `ca_cert`; `timeout` bounds a whole
    /// request, body included.
    pub(crate) fn http_client(
        &self,
        timeout: Option<Duration>,
    ) -> Result<reqwest::Client, BackendError> {
        let mut builder = reqwest::Client::builder().connect_timeout(Duration::from_secs(10));
        if let Some(t) = timeout {
            builder = builder.timeout(t);
        }
        if let Some(path) = &self.ca_cert {
            let failed = |why: String| BackendError::CaCert {
                path: path.display().to_string(),
                why,
            };
            let pem = std::fs::read(path).map_err(|e| failed(e.to_string()))?;
            let certs =
                reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| failed(with_causes(&e)))?;
            if certs.is_empty() {
                return Err(failed(
                    "no PEM certificate in it (-----BEGIN CERTIFICATE-----)".into(),
                ));
            }
            builder = builder.tls_certs_merge(certs);
        }
        builder.build().map_err(|e| BackendError::CaCert {
            path: self
                .ca_cert
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "(none: the system store only)".into()),
            why: with_causes(&e),
        })
    }

    /// Ollama at `OLLAMA_HOST` (or the default), with `http://` added where missing.
    pub fn ollama_from_env() -> BackendConfig {
        let host = std::env::var("OLLAMA_HOST").unwrap_or_default();
        BackendConfig::new(BackendKind::Ollama, &normalize_ollama_host(&host))
    }
}

/// `OLLAMA_HOST` as Ollama reads it: empty → `http://localhost:11434`, a bare host or
/// `host:port` gets `http://` and the default port.
pub fn normalize_ollama_host(host: &str) -> String {
    let host = host.trim().trim_end_matches('/');
    if host.is_empty() {
        return "http://localhost:11434".into();
    }
    let (scheme, rest) = match host.split_once("://") {
        Some((s, r)) => (s, r),
        None => ("http", host),
    };
    let rest = if rest.contains(':') {
        rest.to_string()
    } else {
        format!("{rest}:11434")
    };
    let rest = rest.replace("0.0.0.0", "127.0.0.1");
    format!("{scheme}://{rest}")
}

/// A backend's HTTP client, or why it could not be built (a bad `ca_cert`), reported by
/// every request: the backend itself is always built, the run's first step says what is wrong.
pub(crate) struct Http(Result<reqwest::Client, (String, String)>);

impl Http {
    pub(crate) fn new(config: &BackendConfig, timeout: Option<Duration>) -> Http {
        Http(config.http_client(timeout).map_err(|e| match e {
            BackendError::CaCert { path, why } => (path, why),
            other => (String::new(), other.to_string()),
        }))
    }

    pub(crate) fn client(&self) -> Result<&reqwest::Client, BackendError> {
        self.0.as_ref().map_err(|(path, why)| BackendError::CaCert {
            path: path.clone(),
            why: why.clone(),
        })
    }
}

/// The sampling settings of a run (part of the generation cache key).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SamplingParams {
    pub temperature: f64,
    pub top_p: Option<f64>,
    /// Sample `i` uses `seed + i`, so samples differ and a rerun asks the same questions.
    pub seed: Option<u64>,
    pub max_tokens: u32,
}

impl Default for SamplingParams {
    fn default() -> Self {
        SamplingParams {
            temperature: 0.2,
            top_p: Some(0.95),
            seed: Some(1234),
            max_tokens: 1024,
        }
    }
}

/// What the model is asked.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "style")]
pub enum GenPrompt {
    Chat {
        system: Option<String>,
        user: String,
    },
    Completion {
        prompt: String,
        stop: Vec<String>,
    },
}

impl GenPrompt {
    pub fn text(&self) -> &str {
        match self {
            GenPrompt::Chat { user, .. } => user,
            GenPrompt::Completion { prompt, .. } => prompt,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GenRequest {
    pub model: String,
    pub prompt: GenPrompt,
    pub params: SamplingParams,
    pub sample_index: u32,
}

impl GenRequest {
    pub fn seed(&self) -> Option<u64> {
        self.params
            .seed
            .map(|s| s.wrapping_add(self.sample_index as u64))
    }
}

/// One answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Generation {
    pub text: String,
    pub prompt_tokens: Option<u64>,
    pub completion_tokens: Option<u64>,
    /// `stop`, `length` ...
    pub finish_reason: Option<String>,
    pub elapsed_ms: u64,
    /// Requests it took (1 without retries).
    pub attempts: u32,
}

/// Progress of a model pull.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PullProgress {
    pub status: String,
    pub completed: Option<u64>,
    pub total: Option<u64>,
}

/// What a backend says about itself and the model.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelInfo {
    pub server_version: Option<String>,
    pub model: String,
    pub pulled: bool,
    pub details: Option<serde_json::Value>,
}

/// A model server.
pub enum Backend {
    Ollama(ollama::Ollama),
    OpenAi(openai::OpenAi),
}

impl Backend {
    pub fn new(config: BackendConfig) -> Backend {
        match config.kind {
            BackendKind::Ollama => Backend::Ollama(ollama::Ollama::new(config)),
            BackendKind::Openai => Backend::OpenAi(openai::OpenAi::new(config)),
        }
    }

    pub fn config(&self) -> &BackendConfig {
        match self {
            Backend::Ollama(b) => &b.config,
            Backend::OpenAi(b) => &b.config,
        }
    }

    /// Checks the server and the model; pulls a missing model where the backend can and
    /// `pull` allows.
    pub async fn prepare(
        &self,
        model: &str,
        pull: bool,
        on_progress: &(dyn Fn(PullProgress) + Send + Sync),
    ) -> Result<ModelInfo, BackendError> {
        match self {
            Backend::Ollama(b) => b.prepare(model, pull, on_progress).await,
            Backend::OpenAi(b) => b.prepare(model).await,
        }
    }

    /// One generation, retried with backoff on transient failures.
    pub async fn generate(&self, request: &GenRequest) -> Result<Generation, BackendError> {
        let config = self.config();
        let started = Instant::now();
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let result = match self {
                Backend::Ollama(b) => b.generate_once(request).await,
                Backend::OpenAi(b) => b.generate_once(request).await,
            };
            match result {
                Ok(mut g) => {
                    g.attempts = attempt;
                    g.elapsed_ms = started.elapsed().as_millis() as u64;
                    return Ok(g);
                }
                Err(e) if e.retryable() && attempt <= config.retries => {
                    let wait = config.backoff_ms.saturating_mul(1 << (attempt - 1).min(16));
                    tracing::warn!(model = %request.model, attempt, error = %e, wait_ms = wait, "generation failed; retrying");
                    tokio::time::sleep(Duration::from_millis(wait)).await;
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// The `{"error": ...}` message of an error body (Ollama's string or OpenAI's object).
pub(crate) fn error_message(body: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(body) {
        Ok(v) => match &v["error"] {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Object(o) => o
                .get("message")
                .and_then(|m| m.as_str())
                .unwrap_or(body)
                .to_string(),
            _ => body.chars().take(500).collect(),
        },
        Err(_) => body.chars().take(500).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ollama_host_forms() {
        assert_eq!(normalize_ollama_host(""), "http://localhost:11434");
        assert_eq!(normalize_ollama_host("0.0.0.0"), "http://127.0.0.1:11434");
        assert_eq!(
            normalize_ollama_host("example:1234/"),
            "http://example:1234"
        );
        assert_eq!(normalize_ollama_host("https://h:443"), "https://h:443");
    }

    #[test]
    fn error_bodies() {
        assert_eq!(
            error_message(r#"{"error":"model 'x' not found"}"#),
            "model 'x' not found"
        );
        assert_eq!(
            error_message(r#"{"error":{"message":"nope","type":"api_error"}}"#),
            "nope"
        );
        assert_eq!(error_message("plain"), "plain");
    }

    #[test]
    fn which_errors_are_retried() {
        assert!(BackendError::Http {
            status: 503,
            message: String::new()
        }
        .retryable());
        assert!(BackendError::Http {
            status: 429,
            message: String::new()
        }
        .retryable());
        assert!(!BackendError::Http {
            status: 400,
            message: String::new()
        }
        .retryable());
        assert!(BackendError::Truncated(String::new()).retryable());
        assert!(!BackendError::ModelMissing {
            model: "m".into(),
            url: "u".into(),
            available: String::new(),
            hint: ""
        }
        .retryable());
    }
}
