//! Evaluations started over HTTP (`/api/v1/evals`): the runs of the eval harness
//! ([`crate::eval::run`]), with their results in the server's evaluation store and their
//! executions on this server's own launcher, through its bounded pool.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::eval::dataset::DatasetSpec;
use tokio_util::sync::CancellationToken;

use crate::eval::run::{Evaluation, Progress, RunError, RunSummary};
use crate::eval::sandbox::{BoxFuture, ExecJob, ExecResult, LocalSandbox, Sandbox, SandboxError};
use crate::eval::store::{Store, StoreError};
use crate::plan::plan;
use crate::server::history::{now_ms, AuditLine};
use crate::server::pool::PoolError;
use crate::server::Shared;

/// The endpoint name eval executions carry in the audit log and metrics.
pub const EVAL_ENDPOINT: &str = "/api/v1/evals";

#[derive(Debug, thiserror::Error)]
pub enum EvalsError {
    #[error("cannot open the evaluation store {path}: {source}")]
    Open {
        path: String,
        #[source]
        source: StoreError,
    },
    #[error("the dataset path {path} is not under a directory this server allows: add its directory to [evals] dataset_dirs (or --eval-dataset-dir){allowed}")]
    DatasetNotAllowed { path: String, allowed: String },
    #[error("cannot read the dataset {path}: {source}")]
    DatasetMissing {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{running} evaluations are running, the most this server runs at once; retry later")]
    Busy { running: usize },
    #[error("evaluation {0} is already running")]
    AlreadyRunning(String),
    #[error("evaluation {id} is not running here (it is {status}); only a running evaluation can be cancelled")]
    NotRunning { id: String, status: String },
    #[error(transparent)]
    Run(#[from] RunError),
}

/// A run started (or resumed) by this process.
struct Live {
    progress: Arc<Progress>,
    handle: tokio::task::JoinHandle<Result<RunSummary, RunError>>,
    cancel: CancellationToken,
}

/// The evaluation store and the runs this server is executing.
pub struct Evals {
    pub store: Arc<Store>,
    live: Mutex<HashMap<String, Live>>,
    max_running: usize,
    dataset_dirs: Vec<PathBuf>,
}

impl Evals {
    pub fn open(
        path: &str,
        max_running: usize,
        dataset_dirs: Vec<PathBuf>,
    ) -> Result<Evals, EvalsError> {
        let store = if path == ":memory:" {
            Store::in_memory()
        } else {
            Store::open(Path::new(path))
        }
        .map_err(|source| EvalsError::Open {
            path: path.to_string(),
            source,
        })?;
        Ok(Evals {
            store: Arc::new(store),
            live: Mutex::new(HashMap::new()),
            max_running,
            dataset_dirs,
        })
    }

    fn live(&self) -> std::sync::MutexGuard<'_, HashMap<String, Live>> {
        self.live.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs executing now.
    pub fn running(&self) -> usize {
        self.live()
            .values()
            .filter(|l| !l.handle.is_finished())
            .count()
    }

    /// Whether `id` is executing in this process now.
    pub fn is_running(&self, id: &str) -> bool {
        self.live().get(id).is_some_and(|l| !l.handle.is_finished())
    }

    /// The live progress of a run this process started, running or finished.
    pub fn progress(&self, id: &str) -> Option<Arc<Progress>> {
        self.live().get(id).map(|l| l.progress.clone())
    }

    /// Refuses dataset files outside the allowed directories (the built-in set, which has
    /// no path of its own, is always allowed).
    pub fn check_dataset(&self, spec_text: &str, spec: &DatasetSpec) -> Result<(), EvalsError> {
        let path = spec.path();
        if !spec_text.contains(':') {
            // The built-in set, relative to the server's working directory.
            return match std::fs::metadata(path) {
                Ok(_) => Ok(()),
                Err(source) => Err(EvalsError::DatasetMissing {
                    path: path.display().to_string(),
                    source,
                }),
            };
        }
        let canonical = path
            .canonicalize()
            .map_err(|source| EvalsError::DatasetMissing {
                path: path.display().to_string(),
                source,
            })?;
        let allowed = self
            .dataset_dirs
            .iter()
            .filter_map(|d| d.canonicalize().ok())
            .any(|d| canonical.starts_with(d));
        if allowed {
            return Ok(());
        }
        Err(EvalsError::DatasetNotAllowed {
            path: path.display().to_string(),
            allowed: if self.dataset_dirs.is_empty() {
                " (none is configured)".into()
            } else {
                format!(
                    " (allowed: {})",
                    self.dataset_dirs
                        .iter()
                        .map(|d| d.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            },
        })
    }

    fn admit(&self) -> Result<(), EvalsError> {
        let running = self.running();
        if running >= self.max_running {
            return Err(EvalsError::Busy { running });
        }
        Ok(())
    }

    fn evaluation(state: &Shared) -> (Arc<Evaluation>, Arc<Progress>) {
        let progress = Arc::new(Progress::default());
        let eval = Arc::new(Evaluation {
            store: state.evals.store.clone(),
            sandbox: Arc::new(ServerSandbox::new(state.clone())),
            progress: progress.clone(),
        });
        (eval, progress)
    }

    /// Starts a new run in the background; its id.
    pub fn start(
        state: &Shared,
        config: &crate::eval::run::RunConfig,
    ) -> Result<String, EvalsError> {
        let evals = &state.evals;
        evals.admit()?;
        let (eval, progress) = Self::evaluation(state);
        let cancel = CancellationToken::new();
        let (id, handle) = crate::eval::run::start_run(eval, config, cancel.clone())?;
        evals.live().insert(
            id.clone(),
            Live {
                progress,
                handle,
                cancel,
            },
        );
        Ok(id)
    }

    /// Resumes a stored run that is not running here.
    pub fn resume(state: &Shared, id: &str) -> Result<(), EvalsError> {
        let evals = &state.evals;
        if evals.is_running(id) {
            return Err(EvalsError::AlreadyRunning(id.to_string()));
        }
        evals.admit()?;
        let (eval, progress) = Self::evaluation(state);
        let cancel = CancellationToken::new();
        let handle = crate::eval::run::resume_run(eval, id, cancel.clone())?;
        evals.live().insert(
            id.to_string(),
            Live {
                progress,
                handle,
                cancel,
            },
        );
        Ok(())
    }

    /// Cancels a run executing here and waits (at most `wait`) until it has stopped and is
    /// stored as `cancelled`. Whether it stopped in time.
    pub async fn cancel(&self, id: &str, wait: Duration) -> Result<bool, EvalsError> {
        let cancel = match self.live().get(id) {
            Some(l) if !l.handle.is_finished() => l.cancel.clone(),
            _ => {
                let status = self
                    .store
                    .run(id)
                    .map(|r| r.status)
                    .map_err(|e| EvalsError::Run(RunError::Store(e)))?;
                return Err(EvalsError::NotRunning {
                    id: id.to_string(),
                    status: if status == "running" {
                        "interrupted".into()
                    } else {
                        status
                    },
                });
            }
        };
        cancel.cancel();
        let until = Instant::now() + wait;
        while self.is_running(id) {
            if Instant::now() >= until {
                return Ok(false);
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Ok(true)
    }

    /// Stops every run (shutdown); they stay resumable.
    pub fn abort_all(&self) {
        for live in self.live().values() {
            live.handle.abort();
        }
    }
}

/// Runs an evaluation's test programs on this server's launcher, each holding a slot of
/// the server's pool like any HTTP execution (so evaluations and clients share the
/// server's capacity), counted in its metrics and audit log.
pub struct ServerSandbox {
    state: Shared,
    local: LocalSandbox,
}

impl ServerSandbox {
    pub fn new(state: Shared) -> ServerSandbox {
        let local = LocalSandbox {
            runner: state.runner.clone(),
            policy: Arc::new(state.policy.clone()),
            parallelism: state.config.max_concurrent,
        };
        ServerSandbox { state, local }
    }

    async fn slot(&self) -> Result<crate::server::pool::Slot, SandboxError> {
        loop {
            match self.state.pool.acquire().await {
                Ok(slot) => return Ok(slot),
                Err(PoolError::Closed) => {
                    return Err(SandboxError::Unavailable(
                        "the server is shutting down".into(),
                    ))
                }
                // Busy with other clients' work: an evaluation waits its turn.
                Err(PoolError::QueueFull { .. } | PoolError::QueueTimeout(_)) => {
                    tokio::time::sleep(Duration::from_millis(200)).await
                }
            }
        }
    }
}

impl Sandbox for ServerSandbox {
    fn execute<'a>(&'a self, job: &'a ExecJob) -> BoxFuture<'a, Result<ExecResult, SandboxError>> {
        Box::pin(async move {
            let request = LocalSandbox::request(job);
            let plan = plan(&request, &self.state.policy)?;
            let slot = self.slot().await?;
            let runner = self.state.runner.clone();
            let started = Instant::now();
            let limits = plan.run.limits;
            let outcome = tokio::task::spawn_blocking(move || {
                let _slot = slot;
                crate::execute::execute(&plan, &*runner, &mut |_, _| {})
            })
            .await
            .map_err(|e| SandboxError::Join(e.to_string()))?;
            let verdict = outcome.verdict.code();
            self.state.metrics.record_execution(
                &job.language,
                verdict,
                started.elapsed().as_secs_f64(),
            );
            let id = crate::server::routes::execute::new_id();
            let code_sha256 = crate::server::routes::execute::code_sha256(&job.code);
            self.state.audit.write(&AuditLine {
                ts_ms: now_ms(),
                execution_id: &id,
                endpoint: EVAL_ENDPOINT,
                client: "eval",
                language: &job.language,
                code_sha256: &code_sha256,
                verdict,
                usage: Some(&outcome.usage),
                limits: Some(&limits),
            });
            Ok(ExecResult::from_outcome(&outcome))
        })
    }

    fn rootfs_identity(&self, language: &str) -> String {
        self.local.rootfs_identity(language)
    }

    fn describe(&self) -> String {
        format!(
            "the server's jail ({} at once)",
            self.state.config.max_concurrent
        )
    }

    fn parallelism(&self) -> usize {
        self.state.config.max_concurrent
    }
}
