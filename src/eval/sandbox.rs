//! **sandbox** for the harness: where a test program runs. In-process through the jail
//! (the default), or on remote `localeval serve` instances (`--sandbox-url`), spread by
//! load. Both implement [`Sandbox`], so the orchestration does not care which.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::jail::Runner;
use crate::limits::LimitRequest;
use crate::outcome::{Outcome, Verdict};
use crate::plan::{plan, ExecRequest, Policy};

/// Output kept per stream in the results database.
pub const KEPT_OUTPUT: usize = 64 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("cannot plan the test program: {0}")]
    Plan(#[from] crate::plan::PlanError),
    #[error("sandbox {url}: {why}")]
    Remote { url: String, why: String },
    #[error("the sandbox worker stopped: {0}")]
    Join(String),
    #[error("the sandbox is unavailable: {0}")]
    Unavailable(String),
}

/// One test program to run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecJob {
    pub language: String,
    pub code: String,
    pub stdin: String,
    pub wall_ms: u64,
    pub memory_bytes: Option<u64>,
}

/// What the harness keeps of one execution.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecResult {
    pub verdict: Verdict,
    pub exit_code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub wall_ms: u64,
    pub cpu_ms: u64,
    pub peak_memory_bytes: u64,
    /// `host` or the image reference, and the image digest where there is one.
    pub rootfs: String,
    pub rootfs_digest: Option<String>,
    /// The wall-clock limit the run had.
    pub wall_limit_ms: u64,
    pub error: Option<String>,
}

fn clip(mut s: String) -> String {
    if s.len() > KEPT_OUTPUT {
        let mut end = KEPT_OUTPUT;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

impl ExecResult {
    pub fn from_outcome(o: &Outcome) -> ExecResult {
        ExecResult {
            verdict: o.verdict,
            exit_code: o.exit_code,
            stdout: clip(o.stdout.text.clone()),
            stderr: clip(if o.verdict == Verdict::CompileError {
                o.compile
                    .as_ref()
                    .map(|c| format!("{}{}", c.stdout.text, c.stderr.text))
                    .unwrap_or_default()
            } else {
                o.stderr.text.clone()
            }),
            wall_ms: o.usage.wall_ms,
            cpu_ms: o.usage.cpu_ms,
            peak_memory_bytes: o.usage.peak_memory_bytes,
            rootfs: o.provenance.rootfs.clone(),
            rootfs_digest: o.provenance.rootfs_digest.clone(),
            wall_limit_ms: o.provenance.enforced.limits.wall_ms,
            error: o.error.clone(),
        }
    }
}

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Runs test programs.
pub trait Sandbox: Send + Sync {
    fn execute<'a>(&'a self, job: &'a ExecJob) -> BoxFuture<'a, Result<ExecResult, SandboxError>>;
    /// What the root filesystem of `language` is here (`host`, or an image digest): part of
    /// the execution cache key, so that a result is never reused on another image.
    fn rootfs_identity(&self, language: &str) -> String;
    /// A line for reports.
    fn describe(&self) -> String;
    /// How many executions this sandbox runs well at once.
    fn parallelism(&self) -> usize;
}

/// The jail of this process, through a [`Runner`] (the launcher).
pub struct LocalSandbox {
    pub runner: Arc<dyn Runner + Send + Sync>,
    pub policy: Arc<Policy>,
    pub parallelism: usize,
}

impl LocalSandbox {
    /// The sandbox request of a test program.
    pub fn request(job: &ExecJob) -> ExecRequest {
        ExecRequest {
            language: Some(job.language.clone()),
            code: Some(job.code.clone()),
            stdin: job.stdin.as_bytes().to_vec(),
            limits: LimitRequest {
                wall_ms: Some(job.wall_ms),
                cpu_ms: Some(job.wall_ms),
                memory_bytes: job.memory_bytes,
                ..Default::default()
            },
            ..Default::default()
        }
    }
}

impl Sandbox for LocalSandbox {
    fn execute<'a>(&'a self, job: &'a ExecJob) -> BoxFuture<'a, Result<ExecResult, SandboxError>> {
        Box::pin(async move {
            let plan = plan(&Self::request(job), &self.policy)?;
            let runner = self.runner.clone();
            tokio::task::spawn_blocking(move || {
                let outcome = crate::execute::execute(&plan, runner.as_ref(), &mut |_, _| {});
                ExecResult::from_outcome(&outcome)
            })
            .await
            .map_err(|e| SandboxError::Join(e.to_string()))
        })
    }

    fn rootfs_identity(&self, language: &str) -> String {
        let probe = ExecRequest {
            language: Some(language.to_string()),
            code: Some("x".into()),
            ..Default::default()
        };
        match plan(&probe, &self.policy) {
            Ok(p) => format!("{}@{}", p.rootfs.name, p.rootfs.digest.unwrap_or_default()),
            Err(e) => format!("unplannable: {e}"),
        }
    }

    fn describe(&self) -> String {
        format!("in-process jail ({} at once)", self.parallelism)
    }

    fn parallelism(&self) -> usize {
        self.parallelism
    }
}

/// `localeval serve` instances reached over HTTP (`POST /api/v1/execute`); each job goes
/// to the instance with the fewest executions in flight.
pub struct RemoteSandbox {
    urls: Vec<String>,
    in_flight: Vec<AtomicUsize>,
    client: reqwest::Client,
    per_instance: usize,
}

#[derive(Serialize)]
struct WireRequest<'a> {
    language: &'a str,
    code: &'a str,
    input: &'a str,
    timeout_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    memory_limit_mb: Option<f64>,
}

#[derive(Deserialize)]
struct WireResponse {
    #[serde(default)]
    verdict: Option<Verdict>,
    #[serde(default)]
    stdout: String,
    #[serde(default)]
    stderr: String,
    #[serde(default)]
    exit_code: Option<i32>,
    #[serde(default)]
    timeout: bool,
    #[serde(default)]
    memory_exceeded: bool,
    #[serde(default)]
    execution_time_ms: u64,
    #[serde(default)]
    error: Option<String>,
    /// The full outcome, where the server sends it.
    #[serde(default)]
    localeval: Option<Outcome>,
}

impl RemoteSandbox {
    /// `per_instance` executions at most in flight on each instance.
    pub fn new(urls: Vec<String>, per_instance: usize) -> RemoteSandbox {
        let in_flight = urls.iter().map(|_| AtomicUsize::new(0)).collect();
        RemoteSandbox {
            urls: urls
                .into_iter()
                .map(|u| u.trim_end_matches('/').to_string())
                .collect(),
            in_flight,
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(600))
                .build()
                .expect("a plain HTTP client builds"),
            per_instance: per_instance.max(1),
        }
    }

    async fn execute_on(&self, i: usize, job: &ExecJob) -> Result<ExecResult, SandboxError> {
        let url = &self.urls[i];
        let err = |why: String| SandboxError::Remote {
            url: url.clone(),
            why,
        };
        let body = WireRequest {
            language: &job.language,
            code: &job.code,
            input: &job.stdin,
            timeout_ms: job.wall_ms as f64,
            memory_limit_mb: job.memory_bytes.map(|b| b as f64 / (1 << 20) as f64),
        };
        let response = self
            .client
            .post(format!("{url}/api/v1/execute"))
            .json(&body)
            .send()
            .await
            .map_err(|e| err(e.to_string()))?;
        let status = response.status();
        let text = response.text().await.map_err(|e| err(e.to_string()))?;
        if !status.is_success() {
            return Err(err(format!(
                "HTTP {status}: {}",
                text.chars().take(500).collect::<String>()
            )));
        }
        let w: WireResponse = serde_json::from_str(&text).map_err(|e| {
            err(format!(
                "unexpected response ({e}): {}",
                text.chars().take(200).collect::<String>()
            ))
        })?;
        if let Some(o) = &w.localeval {
            return Ok(ExecResult::from_outcome(o));
        }
        let verdict = w.verdict.unwrap_or(if w.timeout {
            Verdict::TimeLimit
        } else if w.memory_exceeded {
            Verdict::MemoryLimit
        } else if w.exit_code == Some(0) {
            Verdict::Ok
        } else {
            Verdict::RuntimeError
        });
        Ok(ExecResult {
            verdict,
            exit_code: w.exit_code,
            stdout: clip(w.stdout),
            stderr: clip(w.stderr),
            wall_ms: w.execution_time_ms,
            cpu_ms: 0,
            peak_memory_bytes: 0,
            rootfs: "remote".into(),
            rootfs_digest: None,
            wall_limit_ms: job.wall_ms,
            error: w.error,
        })
    }
}

impl Sandbox for RemoteSandbox {
    fn execute<'a>(&'a self, job: &'a ExecJob) -> BoxFuture<'a, Result<ExecResult, SandboxError>> {
        Box::pin(async move {
            let i = (0..self.urls.len())
                .min_by_key(|&i| self.in_flight[i].load(Ordering::Relaxed))
                .expect("at least one sandbox URL");
            self.in_flight[i].fetch_add(1, Ordering::Relaxed);
            let result = self.execute_on(i, job).await;
            self.in_flight[i].fetch_sub(1, Ordering::Relaxed);
            result
        })
    }

    fn rootfs_identity(&self, language: &str) -> String {
        // The remote's image is not known before a run; the URLs stand for it.
        format!("remote:{}:{language}", self.urls.join(","))
    }

    fn describe(&self) -> String {
        format!("remote: {}", self.urls.join(", "))
    }

    fn parallelism(&self) -> usize {
        self.urls.len() * self.per_instance
    }
}
