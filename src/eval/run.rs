//! **run**: the orchestration of an evaluation. Problems are loaded and their time limits
//! calibrated on this host (max(floor, factor × the reference solution's time), as careful
//! harnesses do); each model is checked (and pulled); then every (model, problem, sample)
//! is generated, extracted, turned into test programs and judged in the sandbox, with
//! bounded concurrency per backend and for the sandbox. Everything lands in the store as
//! it happens, so a run that is killed resumes where it stopped.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::backend::{Backend, BackendConfig, BackendError, GenPrompt, GenRequest, SamplingParams};
use super::dataset::{self, DatasetSpec, Problem, PromptStyle};
use super::extract::extract_code;
use super::grade::{judge_test, sample_verdict, test_programs, TestProgram, TestVerdict};
use super::sandbox::{ExecJob, ExecResult, Sandbox, SandboxError};
use super::store::{
    cache_key, GenerationRow, RunProblem, SampleDetail, SampleRow, Store, StoreError,
};

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Dataset(#[from] dataset::DatasetError),
    #[error("model {model}: {source}")]
    Backend {
        model: String,
        #[source]
        source: BackendError,
    },
    #[error(transparent)]
    Sandbox(#[from] SandboxError),
    #[error("run {run_id}: the run's configuration does not parse: {why}")]
    BadConfig { run_id: String, why: String },
    #[error("run {run_id} is incomplete: {failed} samples failed ({first}); resume it with --resume {run_id}")]
    Incomplete {
        run_id: String,
        failed: usize,
        first: String,
    },
    #[error("a worker of the run stopped: {0}")]
    Join(String),
    #[error("run {run_id} was cancelled; resume it with --resume {run_id}")]
    Cancelled { run_id: String },
}

/// How time limits are chosen.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimePolicy {
    /// Measure the reference solution here and scale it.
    pub calibrate: bool,
    pub floor_ms: u64,
    pub factor: f64,
    /// The limit of a problem with no usable reference (and no limit of its own).
    pub default_ms: u64,
    /// No limit is larger.
    pub max_ms: u64,
}

impl Default for TimePolicy {
    fn default() -> Self {
        TimePolicy {
            calibrate: true,
            floor_ms: 1_000,
            factor: 3.0,
            default_ms: 10_000,
            max_ms: 60_000,
        }
    }
}

impl TimePolicy {
    /// max(floor, factor × reference), at most `max_ms`.
    pub fn limit_for(&self, reference_ms: u64) -> u64 {
        let scaled = (self.factor * reference_ms as f64).ceil() as u64;
        scaled.max(self.floor_ms).min(self.max_ms)
    }
}

/// Everything that defines a run; stored with it, so a resume asks the same questions.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunConfig {
    /// A dataset spec (`humaneval:PATH`, `problems`, ...).
    pub dataset: String,
    pub language: Option<String>,
    pub style: Option<PromptStyle>,
    pub models: Vec<String>,
    pub backend: BackendConfig,
    /// Pull a model the server lacks (Ollama).
    pub pull: bool,
    pub samples: u32,
    pub ks: Vec<u64>,
    pub params: SamplingParams,
    pub system_prompt: Option<String>,
    pub time: TimePolicy,
    pub memory_mb: u64,
    /// Only the first N problems.
    pub limit: Option<usize>,
}

impl RunConfig {
    pub fn new(dataset: &str, models: Vec<String>, backend: BackendConfig) -> RunConfig {
        RunConfig {
            dataset: dataset.to_string(),
            language: None,
            style: None,
            models,
            backend,
            pull: true,
            samples: 1,
            ks: vec![1, 5, 10],
            params: SamplingParams::default(),
            system_prompt: None,
            time: TimePolicy::default(),
            memory_mb: 512,
            limit: None,
        }
    }
}

/// Counters of a run in progress, shared with the CLI's bars and the HTTP endpoint.
#[derive(Debug)]
pub struct Progress {
    pub total: AtomicU64,
    pub done: AtomicU64,
    /// Samples already done when this process took the run over (resume).
    pub resumed: AtomicU64,
    pub passed: AtomicU64,
    pub generation_requests: AtomicU64,
    pub cached_generations: AtomicU64,
    pub executions: AtomicU64,
    pub cached_executions: AtomicU64,
    pub failed: AtomicU64,
    phase: Mutex<String>,
    started: Instant,
}

impl Default for Progress {
    fn default() -> Self {
        Progress {
            total: AtomicU64::new(0),
            done: AtomicU64::new(0),
            resumed: AtomicU64::new(0),
            passed: AtomicU64::new(0),
            generation_requests: AtomicU64::new(0),
            cached_generations: AtomicU64::new(0),
            executions: AtomicU64::new(0),
            cached_executions: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            phase: Mutex::new("starting".into()),
            started: Instant::now(),
        }
    }
}

/// A copy of the counters at one moment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProgressSnapshot {
    pub phase: String,
    pub total: u64,
    pub done: u64,
    pub passed: u64,
    pub failed: u64,
    pub generation_requests: u64,
    pub cached_generations: u64,
    pub executions: u64,
    pub cached_executions: u64,
    pub elapsed_secs: f64,
    /// Remaining time at the pace of this process so far.
    pub eta_secs: Option<f64>,
}

impl Progress {
    pub fn set_phase(&self, phase: &str) {
        *self.phase.lock().unwrap_or_else(|p| p.into_inner()) = phase.to_string();
    }

    pub fn snapshot(&self) -> ProgressSnapshot {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let elapsed = self.started.elapsed().as_secs_f64();
        let (total, done) = (get(&self.total), get(&self.done));
        let fresh = done.saturating_sub(get(&self.resumed));
        let eta = (fresh > 0).then(|| elapsed / fresh as f64 * total.saturating_sub(done) as f64);
        ProgressSnapshot {
            phase: self.phase.lock().unwrap_or_else(|p| p.into_inner()).clone(),
            total,
            done,
            passed: get(&self.passed),
            failed: get(&self.failed),
            generation_requests: get(&self.generation_requests),
            cached_generations: get(&self.cached_generations),
            executions: get(&self.executions),
            cached_executions: get(&self.cached_executions),
            elapsed_secs: elapsed,
            eta_secs: eta,
        }
    }
}

/// What a run needs besides its configuration.
pub struct Evaluation {
    pub store: Arc<Store>,
    pub sandbox: Arc<dyn Sandbox>,
    pub progress: Arc<Progress>,
}

/// A new run id: time-ordered and unique enough for one machine.
pub fn new_run_id() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    format!(
        "run-{}-{:06x}",
        now.as_secs(),
        (now.subsec_nanos() ^ std::process::id()) & 0xff_ffff
    )
}

/// Creates a run in the store and returns its id.
pub fn create_run(store: &Store, config: &RunConfig) -> Result<String, RunError> {
    let id = new_run_id();
    let json = serde_json::to_string(config).map_err(|e| RunError::BadConfig {
        run_id: id.clone(),
        why: e.to_string(),
    })?;
    store.create_run(&id, &json)?;
    Ok(id)
}

/// The stored configuration of a run.
pub fn run_config(store: &Store, run_id: &str) -> Result<RunConfig, RunError> {
    let row = store.run(run_id)?;
    serde_json::from_str(&row.config).map_err(|e| RunError::BadConfig {
        run_id: run_id.to_string(),
        why: e.to_string(),
    })
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    pub run_id: String,
    pub progress: ProgressSnapshot,
}

/// The prompt a model gets for a problem.
pub fn gen_prompt(problem: &Problem, system: Option<&str>) -> GenPrompt {
    match problem.style {
        PromptStyle::Completion => GenPrompt::Completion {
            prompt: problem.prompt.clone(),
            stop: problem.stop.clone(),
        },
        PromptStyle::Chat => {
            let user = match &problem.judge {
                dataset::Judge::Program { .. }
                    if problem.entry_point.is_some() && !problem.prompt.contains("```") =>
                {
                    let lang = super::extract::fence_language(&problem.language);
                    format!(
                        "Complete the following {} code. Reply with the whole function in one ```{lang} code block.\n\n```{lang}\n{}\n```",
                        dataset::language_title(&problem.language),
                        problem.prompt.trim_end()
                    )
                }
                _ => problem.prompt.clone(),
            };
            GenPrompt::Chat {
                system: system.map(str::to_string),
                user,
            }
        }
    }
}

/// Runs (or resumes) the run `run_id` to its end.
pub async fn execute_run(eval: &Evaluation, run_id: &str) -> Result<RunSummary, RunError> {
    let result = execute_run_inner(eval, run_id).await;
    let (status, message) = match &result {
        Ok(_) => ("complete", None),
        Err(RunError::Incomplete { .. }) => {
            ("incomplete", result.as_ref().err().map(|e| e.to_string()))
        }
        Err(e) => ("failed", Some(e.to_string())),
    };
    eval.store.set_status(run_id, status, message.as_deref())?;
    eval.progress.set_phase(status);
    result
}

async fn execute_run_inner(eval: &Evaluation, run_id: &str) -> Result<RunSummary, RunError> {
    let config = run_config(&eval.store, run_id)?;
    eval.store.set_status(run_id, "running", None)?;
    let progress = &eval.progress;

    // Problems, with their time limits: calibrated once, then fixed for the run.
    let mut problems = eval.store.problems(run_id)?;
    if problems.is_empty() {
        progress.set_phase("loading problems");
        let spec = DatasetSpec::parse(&config.dataset)?;
        let mut set = dataset::load(&spec, config.language.as_deref(), config.style)?;
        if let Some(limit) = config.limit {
            set.problems.truncate(limit);
        }
        progress.set_phase("calibrating time limits");
        problems = calibrate(eval, &config, set.problems).await?;
        eval.store.put_problems(run_id, &problems)?;
    }

    let mut backend_config = config.backend.clone();
    if backend_config.api_key.is_none() {
        backend_config.api_key = std::env::var("OPENAI_API_KEY")
            .ok()
            .filter(|k| !k.is_empty());
    }
    let backend = Arc::new(Backend::new(backend_config));
    for model in &config.models {
        progress.set_phase(&format!("checking model {model}"));
        let info = backend
            .prepare(model, config.pull, &|p| {
                progress.set_phase(&match (p.completed, p.total) {
                    (Some(c), Some(t)) if t > 0 => {
                        format!("pulling {model}: {} {}%", p.status, c * 100 / t)
                    }
                    _ => format!("pulling {model}: {}", p.status),
                });
            })
            .await
            .map_err(|source| RunError::Backend {
                model: model.clone(),
                source,
            })?;
        eval.store.put_model(
            run_id,
            model,
            &serde_json::to_string(&info).unwrap_or_default(),
        )?;
    }

    let total = config.models.len() as u64 * problems.len() as u64 * config.samples as u64;
    progress.total.store(total, Ordering::Relaxed);
    progress.set_phase("sampling and judging");
    let gen_slots = Arc::new(Semaphore::new(config.backend.concurrency.max(1)));
    let exec_slots = Arc::new(Semaphore::new(eval.sandbox.parallelism().max(1)));
    // The counters of what is already done are set before any sample task starts: a task
    // that finishes at once (cached) must add to them, not be overwritten by them.
    let mut jobs = Vec::new();
    let mut already = 0;
    for model in &config.models {
        for rp in &problems {
            for index in 0..config.samples {
                if eval
                    .store
                    .has_sample(run_id, model, &rp.problem.id, index)?
                {
                    already += 1;
                    continue;
                }
                jobs.push(SampleJob {
                    run_id: run_id.to_string(),
                    model: model.clone(),
                    problem: Arc::new(rp.clone()),
                    index,
                    params: config.params.clone(),
                    system: config.system_prompt.clone(),
                    memory_mb: config.memory_mb,
                });
            }
        }
    }
    progress.resumed.store(already, Ordering::Relaxed);
    progress.done.store(already, Ordering::Relaxed);
    let passed_before = eval
        .store
        .samples(run_id)?
        .iter()
        .filter(|s| s.passed)
        .count() as u64;
    progress.passed.store(passed_before, Ordering::Relaxed);

    let mut tasks = JoinSet::new();
    for job in jobs {
        let (store, sandbox, progress, backend) = (
            eval.store.clone(),
            eval.sandbox.clone(),
            eval.progress.clone(),
            backend.clone(),
        );
        let (gen_slots, exec_slots) = (gen_slots.clone(), exec_slots.clone());
        tasks.spawn(async move {
            let r = sample(
                &job,
                &store,
                sandbox.as_ref(),
                &backend,
                &progress,
                &gen_slots,
                &exec_slots,
            )
            .await;
            (job.model, job.problem.problem.id.clone(), job.index, r)
        });
    }

    let mut failures = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let (model, problem, index, result) = joined.map_err(|e| RunError::Join(e.to_string()))?;
        if let Err(e) = result {
            tracing::warn!(%model, %problem, index, error = %e, "sample failed");
            progress.failed.fetch_add(1, Ordering::Relaxed);
            failures.push(format!("{model} {problem} #{index}: {e}"));
        }
    }
    if !failures.is_empty() {
        return Err(RunError::Incomplete {
            run_id: run_id.to_string(),
            failed: failures.len(),
            first: failures[0].clone(),
        });
    }
    Ok(RunSummary {
        run_id: run_id.to_string(),
        progress: progress.snapshot(),
    })
}

/// Runs `run_id` like [`execute_run`] until `cancel` fires; then the run stops where it
/// is and is stored as `cancelled` (resumable like any unfinished run). Stopping is
/// dropping the run's future: its sample tasks are aborted (their `JoinSet`s drop) and
/// their requests to the model server closed; test programs already in the sandbox run to
/// their end within their limits (the jail has no per-run kill) and their results are
/// dropped. The status is written before this returns, so whoever waits for the run sees
/// `cancelled`, never a run that looks interrupted.
pub async fn execute_run_until(
    eval: &Evaluation,
    run_id: &str,
    cancel: &CancellationToken,
) -> Result<RunSummary, RunError> {
    tokio::select! {
        biased;
        _ = cancel.cancelled() => {
            let e = RunError::Cancelled { run_id: run_id.to_string() };
            eval.store.set_status(run_id, "cancelled", Some(&e.to_string()))?;
            eval.progress.set_phase("cancelled");
            tracing::info!(run_id, "evaluation cancelled");
            Err(e)
        }
        result = execute_run(eval, run_id) => result,
    }
}

/// Starts a run in the background (for the HTTP server): the id at once, the progress
/// through `eval.progress`, the end through the handle. `cancel` stops it (see
/// [`execute_run_until`]); aborting the handle is a kill. Either way the run resumes
/// later with [`execute_run`].
pub fn start_run(
    eval: Arc<Evaluation>,
    config: &RunConfig,
    cancel: CancellationToken,
) -> Result<
    (
        String,
        tokio::task::JoinHandle<Result<RunSummary, RunError>>,
    ),
    RunError,
> {
    let id = create_run(&eval.store, config)?;
    let run_id = id.clone();
    let handle = tokio::spawn(async move { execute_run_until(&eval, &run_id, &cancel).await });
    Ok((id, handle))
}

/// Resumes a stored run in the background; see [`start_run`].
pub fn resume_run(
    eval: Arc<Evaluation>,
    run_id: &str,
    cancel: CancellationToken,
) -> Result<tokio::task::JoinHandle<Result<RunSummary, RunError>>, RunError> {
    run_config(&eval.store, run_id)?;
    let run_id = run_id.to_string();
    Ok(tokio::spawn(async move {
        execute_run_until(&eval, &run_id, &cancel).await
    }))
}

struct SampleJob {
    run_id: String,
    model: String,
    problem: Arc<RunProblem>,
    index: u32,
    params: SamplingParams,
    system: Option<String>,
    memory_mb: u64,
}

/// Runs one test program through the execution cache.
#[allow(clippy::too_many_arguments)]
async fn execute_cached(
    store: &Store,
    sandbox: &dyn Sandbox,
    progress: &Progress,
    slots: &Semaphore,
    language: &str,
    program: &TestProgram,
    wall_ms: u64,
    memory_mb: u64,
) -> Result<(String, ExecResult), RunError> {
    let limits = json!({"wall_ms": wall_ms, "memory_mb": memory_mb});
    let key = cache_key(&json!([
        language,
        program.code,
        program.stdin,
        sandbox.rootfs_identity(language),
        limits
    ]));
    if let Some(cached) = store.execution(&key)? {
        progress.cached_executions.fetch_add(1, Ordering::Relaxed);
        return Ok((key, cached));
    }
    let _slot = slots
        .acquire()
        .await
        .expect("the semaphore is never closed");
    let job = ExecJob {
        language: language.to_string(),
        code: program.code.clone(),
        stdin: program.stdin.clone(),
        wall_ms,
        memory_bytes: Some(memory_mb << 20),
    };
    let result = sandbox.execute(&job).await?;
    progress.executions.fetch_add(1, Ordering::Relaxed);
    store.put_execution(&key, language, &limits, &result)?;
    Ok((key, result))
}

/// Runs the tests of one answer, stopping at the first failure.
#[allow(clippy::too_many_arguments)]
async fn judge_answer(
    store: &Store,
    sandbox: &dyn Sandbox,
    progress: &Progress,
    slots: &Semaphore,
    rp: &RunProblem,
    code: &str,
    wall_ms: u64,
    memory_mb: u64,
) -> Result<(Vec<TestVerdict>, usize, Vec<String>, Vec<ExecResult>), RunError> {
    let problem = &rp.problem;
    let programs = test_programs(problem, code, &store.seal_key()?);
    let total = programs.len();
    let mut verdicts = Vec::new();
    let mut keys = Vec::new();
    let mut results = Vec::new();
    for program in &programs {
        if program.code.trim().is_empty() {
            verdicts.push(TestVerdict {
                verdict: "NOCODE".into(),
                passed: false,
                wall_ms: 0,
            });
            break;
        }
        let (key, result) = execute_cached(
            store,
            sandbox,
            progress,
            slots,
            &problem.language,
            program,
            wall_ms,
            memory_mb,
        )
        .await?;
        let verdict = judge_test(problem, program, &result);
        let passed = verdict.passed;
        verdicts.push(verdict);
        keys.push(key);
        results.push(result);
        if !passed {
            break;
        }
    }
    Ok((verdicts, total, keys, results))
}

async fn sample(
    job: &SampleJob,
    store: &Store,
    sandbox: &dyn Sandbox,
    backend: &Backend,
    progress: &Progress,
    gen_slots: &Semaphore,
    exec_slots: &Semaphore,
) -> Result<(), RunError> {
    let problem = &job.problem.problem;
    let prompt = gen_prompt(problem, job.system.as_deref());
    let backend_name = backend.config().kind.name();
    let key = cache_key(&json!([
        backend_name,
        job.model,
        prompt,
        job.params,
        job.index
    ]));
    let generation = match store.generation(&key)? {
        Some(row) => {
            progress.cached_generations.fetch_add(1, Ordering::Relaxed);
            row.generation
        }
        None => {
            let _slot = gen_slots
                .acquire()
                .await
                .expect("the semaphore is never closed");
            let request = GenRequest {
                model: job.model.clone(),
                prompt: prompt.clone(),
                params: job.params.clone(),
                sample_index: job.index,
            };
            let g = backend
                .generate(&request)
                .await
                .map_err(|source| RunError::Backend {
                    model: job.model.clone(),
                    source,
                })?;
            progress
                .generation_requests
                .fetch_add(g.attempts as u64, Ordering::Relaxed);
            store.put_generation(&GenerationRow {
                key: key.clone(),
                backend: backend_name.to_string(),
                model: job.model.clone(),
                prompt: serde_json::to_string(&prompt).unwrap_or_default(),
                params: serde_json::to_string(&job.params).unwrap_or_default(),
                sample_index: job.index,
                generation: g.clone(),
            })?;
            g
        }
    };
    let echo = (problem.style == PromptStyle::Completion).then_some(problem.prompt.as_str());
    let extracted = extract_code(
        &generation.text,
        &problem.language,
        problem.entry_point.as_deref(),
        echo,
    );
    let (tests, total, execution_keys, results) = judge_answer(
        store,
        sandbox,
        progress,
        exec_slots,
        &job.problem,
        &extracted.code,
        job.problem.time_limit_ms,
        job.memory_mb,
    )
    .await?;
    let verdict = sample_verdict(&tests, total);
    let passed = verdict == "OK";
    let detail = SampleDetail::of(
        problem,
        &extracted.code,
        &tests,
        &results,
        &execution_keys,
        job.memory_mb,
        &store.seal_key()?,
    );
    store.put_sample(&SampleRow {
        run_id: job.run_id.clone(),
        model: job.model.clone(),
        problem_id: problem.id.clone(),
        sample_index: job.index,
        generation_key: key,
        extracted: extracted.code,
        extraction: extracted.how.to_string(),
        verdict,
        passed,
        tests,
        tests_total: total,
        execution_keys,
        detail: Some(detail),
    })?;
    if passed {
        progress.passed.fetch_add(1, Ordering::Relaxed);
    }
    progress.done.fetch_add(1, Ordering::Relaxed);
    Ok(())
}

/// Time limits of the problems: the reference solution runs once here with a generous
/// limit; the problem's limit becomes max(floor, factor × its slowest test).
pub async fn calibrate(
    eval: &Evaluation,
    config: &RunConfig,
    problems: Vec<Problem>,
) -> Result<Vec<RunProblem>, RunError> {
    let policy = config.time.clone();
    let slots = Arc::new(Semaphore::new(eval.sandbox.parallelism().max(1)));
    let mut tasks = JoinSet::new();
    for (i, problem) in problems.into_iter().enumerate() {
        let declared = problem.time_limit_ms;
        let fallback = RunProblem {
            time_limit_ms: declared.unwrap_or(policy.default_ms).min(policy.max_ms),
            calibration: Some(match declared {
                Some(_) => "the problem's own limit (no calibration)".into(),
                None => "default limit (no calibration)".into(),
            }),
            problem,
        };
        if !policy.calibrate || fallback.problem.reference.is_none() {
            if policy.calibrate {
                let mut f = fallback;
                f.calibration =
                    Some("no reference solution in this language: default limit".into());
                tasks.spawn(async move { Ok::<_, RunError>((i, f)) });
            } else {
                tasks.spawn(async move { Ok((i, fallback)) });
            }
            continue;
        }
        let (store, sandbox, progress, slots, policy) = (
            eval.store.clone(),
            eval.sandbox.clone(),
            eval.progress.clone(),
            slots.clone(),
            policy.clone(),
        );
        let memory_mb = fallback
            .problem
            .memory_limit_mb
            .unwrap_or(config.memory_mb)
            .max(config.memory_mb);
        tasks.spawn(async move {
            let reference = fallback.problem.reference.clone().unwrap_or_default();
            let (verdicts, total, _, results) = judge_answer(
                &store,
                sandbox.as_ref(),
                &progress,
                &slots,
                &fallback,
                &reference,
                policy.max_ms,
                memory_mb,
            )
            .await?;
            let verdict = sample_verdict(&verdicts, total);
            if verdict != "OK" {
                let mut f = fallback;
                f.calibration = Some(format!("the reference solution failed here ({verdict}): default limit"));
                tracing::warn!(problem = %f.problem.id, %verdict, "reference solution failed during calibration");
                return Ok((i, f));
            }
            let slowest = results.iter().map(|r| r.wall_ms).max().unwrap_or(0);
            let limit = policy.limit_for(slowest);
            Ok((
                i,
                RunProblem {
                    time_limit_ms: limit,
                    calibration: Some(format!(
                        "reference {slowest} ms × {} → {limit} ms (floor {} ms)",
                        policy.factor, policy.floor_ms
                    )),
                    problem: fallback.problem,
                },
            ))
        });
    }
    let mut out = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        out.push(joined.map_err(|e| RunError::Join(e.to_string()))??);
    }
    out.sort_by_key(|(i, _)| *i);
    Ok(out.into_iter().map(|(_, p)| p).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calibrated_limits() {
        let p = TimePolicy::default();
        assert_eq!(p.limit_for(40), 1_000, "floor");
        assert_eq!(p.limit_for(700), 2_100, "factor");
        assert_eq!(p.limit_for(100_000), 60_000, "cap");
    }

    #[test]
    fn run_ids_are_distinct() {
        let a = new_run_id();
        std::thread::sleep(std::time::Duration::from_millis(2));
        assert_ne!(a, new_run_id());
        assert!(a.starts_with("run-"));
    }
}
