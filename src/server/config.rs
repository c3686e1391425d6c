//! The server's configuration: one TOML file, then environment variables, then flags (each
//! later source overrides the earlier). Raw settings are lowered once into a validated
//! [`ServerConfig`]; everything after works with that.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::catalog::{Catalog, CatalogLimits};
use crate::image::Store;
use crate::limits::{parse_duration_ms, parse_size_bytes, Limits};
use crate::plan::{Policy, RequestImages};

use super::history::HistoryBounds;
use super::ServerError;

/// `localeval serve` flags. Each one can also come from the environment variable named
/// with it, and from the configuration file.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct ServeArgs {
    /// Configuration file (TOML).
    #[arg(long, env = "LOCALEVAL_CONFIG")]
    pub config: Option<PathBuf>,
    /// Address to listen on (default 127.0.0.1:8080).
    #[arg(long, env = "LOCALEVAL_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Also serve gRPC (proto/, README "gRPC") on this address; off by default.
    #[arg(long, env = "LOCALEVAL_GRPC_LISTEN")]
    pub grpc_listen: Option<SocketAddr>,
    /// API token every request must carry (`Authorization: Bearer TOKEN` or `X-API-Key`).
    #[arg(long, env = "LOCALEVAL_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Allow listening on a non-loopback address without a token.
    #[arg(long)]
    pub insecure_no_auth: bool,
    /// Executions per minute per client IP, or `off`.
    #[arg(long, env = "LOCALEVAL_RATE_LIMIT")]
    pub rate_limit: Option<String>,
    /// Burst of executions per client IP above the steady rate.
    #[arg(long, env = "LOCALEVAL_RATE_BURST")]
    pub rate_burst: Option<u32>,
    /// Executions running at once.
    #[arg(long, env = "LOCALEVAL_MAX_CONCURRENT")]
    pub max_concurrent: Option<usize>,
    /// Executions waiting for a free slot; more get 503 with Retry-After.
    #[arg(long, env = "LOCALEVAL_MAX_QUEUE")]
    pub max_queue: Option<usize>,
    /// Execution history database (SQLite file; `:memory:` keeps it in memory).
    #[arg(long, env = "LOCALEVAL_HISTORY")]
    pub history: Option<String>,
    /// Audit log: a file path, `stderr`, or `off`.
    #[arg(long, env = "LOCALEVAL_AUDIT_LOG")]
    pub audit_log: Option<String>,
    /// How long in-flight executions may finish after SIGINT/SIGTERM (e.g. 30s).
    #[arg(long, env = "LOCALEVAL_SHUTDOWN_GRACE")]
    pub shutdown_grace: Option<String>,
    /// Language catalog file (TOML) replacing the built-in one (the CLI's `--catalog`).
    #[arg(skip)]
    pub catalog: Option<PathBuf>,
    /// Image store directory (the CLI's `--store`).
    #[arg(skip)]
    pub store: Option<PathBuf>,
    /// Largest request body (e.g. 10M).
    #[arg(long, env = "LOCALEVAL_BODY_LIMIT")]
    pub body_limit: Option<String>,
    /// Evaluation results database of `/api/v1/evals` (SQLite file; `:memory:` keeps it in
    /// memory). Default: `evals.sqlite` next to the history file, in memory when the
    /// history is.
    #[arg(long, env = "LOCALEVAL_EVAL_DB")]
    pub eval_db: Option<String>,
    /// A directory whose dataset files `/api/v1/evals` may read (repeatable).
    #[arg(long = "eval-dataset-dir")]
    pub eval_dataset_dirs: Vec<PathBuf>,
}

/// The configuration file as written.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub listen: Option<SocketAddr>,
    /// The gRPC listener (none by default).
    pub grpc_listen: Option<SocketAddr>,
    pub token: Option<String>,
    #[serde(default)]
    pub insecure_no_auth: bool,
    /// Replaces the built-in language catalog.
    pub catalog: Option<PathBuf>,
    /// Only these catalog languages are served.
    pub languages: Option<Vec<String>>,
    /// The image store catalog entries naming an image resolve in (default
    /// /var/lib/localeval/images as root, $XDG_DATA_HOME/localeval/images otherwise).
    pub store: Option<PathBuf>,
    /// Images a request may name in its `image` field (pulled beforehand with
    /// `localeval pull`); none by default.
    #[serde(default)]
    pub images: Vec<String>,
    /// Registries `POST /api/v1/images/pull` may reach over plain HTTP when the request
    /// asks for `insecure` (loopback registries always may, as with `localeval pull`).
    #[serde(default)]
    pub insecure_registries: Vec<String>,
    #[serde(default)]
    pub limits: FileLimits,
    #[serde(default)]
    pub rate_limit: FileRateLimit,
    #[serde(default)]
    pub pool: FilePool,
    #[serde(default)]
    pub http: FileHttp,
    #[serde(default)]
    pub history: FileHistory,
    #[serde(default)]
    pub audit: FileAudit,
    #[serde(default)]
    pub shutdown: FileShutdown,
    #[serde(default)]
    pub evals: FileEvals,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FileLimits {
    /// The most any request may get (human units, as in the catalog).
    #[serde(default)]
    pub max: CatalogLimits,
    /// What a run gets when the request asks for nothing.
    #[serde(default)]
    pub run: CatalogLimits,
    /// What a compile step gets when neither catalog nor request say.
    #[serde(default)]
    pub compile: CatalogLimits,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FileRateLimit {
    pub enabled: Option<bool>,
    pub per_minute: Option<u32>,
    pub burst: Option<u32>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FilePool {
    pub max_concurrent: Option<usize>,
    pub max_queue: Option<usize>,
    /// How long a request may wait in the queue before it gets 503.
    pub queue_timeout: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FileHttp {
    pub body_limit: Option<String>,
    pub json_depth: Option<usize>,
    /// How long a client may take to send its request body.
    pub body_timeout: Option<String>,
    /// How long a client may take to send a request's line and headers (also how long an
    /// idle keep-alive connection stays open).
    pub header_timeout: Option<String>,
    /// Most test cases one judge request may carry.
    pub max_judge_tests: Option<usize>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FileHistory {
    pub path: Option<String>,
    /// Executions listed; the oldest are dropped beyond this.
    pub max_rows: Option<u64>,
    pub max_age_secs: Option<u64>,
    /// Total size of the full responses kept (e.g. `4M`); the oldest are dropped first.
    pub max_bytes: Option<String>,
    /// A full response larger than this (e.g. `256K`) is not kept; its summary is.
    pub max_response_bytes: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FileAudit {
    /// A file path, `stderr`, or `off`.
    pub log: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FileShutdown {
    pub grace: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FileEvals {
    /// The evaluation results database (`:memory:` keeps it in memory).
    pub path: Option<String>,
    /// Evaluations running at once; more are refused with 503.
    pub max_running: Option<usize>,
    /// Directories whose dataset files an evaluation may read; the built-in problem set is
    /// always allowed.
    pub dataset_dirs: Option<Vec<PathBuf>>,
}

/// Per-client rate limit of execution requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct RateLimit {
    pub per_minute: u32,
    pub burst: u32,
}

/// Where audit lines go.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum AuditSink {
    Off,
    Stderr,
    File(PathBuf),
}

/// The validated configuration the server runs with.
#[derive(Clone, Debug, Serialize)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    /// `None`: no gRPC listener.
    pub grpc_listen: Option<SocketAddr>,
    #[serde(skip)]
    pub token: Option<String>,
    pub insecure_no_auth: bool,
    pub catalog: Option<PathBuf>,
    pub languages: Option<Vec<String>>,
    pub store: Option<PathBuf>,
    /// Images requests may name (and `POST /api/v1/images/pull` may pull).
    pub images: Vec<String>,
    /// Registries a pull may reach over plain HTTP when asked.
    pub insecure_registries: Vec<String>,
    pub maxima: Limits,
    pub run_defaults: Limits,
    pub compile_defaults: Limits,
    /// `None`: rate limiting is off.
    pub rate_limit: Option<RateLimit>,
    pub max_concurrent: usize,
    pub max_queue: usize,
    pub queue_timeout: Duration,
    pub body_limit: usize,
    pub json_depth: usize,
    pub body_timeout: Duration,
    pub header_timeout: Duration,
    pub max_judge_tests: usize,
    pub history_path: String,
    pub history: HistoryBounds,
    pub audit: AuditSink,
    pub shutdown_grace: Duration,
    /// The evaluation results database (a file, or `:memory:`).
    pub eval_db: String,
    pub eval_max_running: usize,
    pub eval_dataset_dirs: Vec<PathBuf>,
}

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

fn bad(what: &str, why: impl std::fmt::Display) -> ServerError {
    ServerError::Config(format!("{what}: {why}"))
}

fn duration(what: &str, text: &str) -> Result<Duration, ServerError> {
    parse_duration_ms(text)
        .map(Duration::from_millis)
        .map_err(|e| bad(what, e))
}

fn limits_from(base: Limits, raw: &CatalogLimits, what: &str) -> Result<Limits, ServerError> {
    let request = raw.to_request().map_err(|e| bad(what, e))?;
    // Not clamped here: these are the server's own settings.
    let unclamped = Limits {
        wall_ms: u64::MAX,
        cpu_ms: u64::MAX,
        memory_bytes: u64::MAX,
        cpu_millis: u32::MAX,
        pids: u32::MAX,
        output_bytes: u64::MAX,
        tmpfs_bytes: u64::MAX,
        tmpfs_inodes: u64::MAX,
        file_size_bytes: u64::MAX,
        open_files: u32::MAX,
    };
    let limits = base.with_request(&request, &unclamped);
    limits.validate().map_err(|e| bad(what, e))?;
    Ok(limits)
}

/// Reads `10`, `10/min`, `10/m`, or `off`: executions per minute.
fn parse_rate(text: &str) -> Result<Option<u32>, ServerError> {
    let t = text.trim().to_ascii_lowercase();
    if matches!(t.as_str(), "off" | "none" | "0" | "false" | "disabled") {
        return Ok(None);
    }
    let number = t
        .strip_suffix("/min")
        .or_else(|| t.strip_suffix("/minute"))
        .or_else(|| t.strip_suffix("/m"))
        .unwrap_or(&t);
    number.trim().parse::<u32>().map(Some).map_err(|_| {
        bad(
            "rate limit",
            format!("cannot read {text:?}: use e.g. 10/min or off"),
        )
    })
}

/// `evals.sqlite` next to the history file; in memory when the history is.
fn default_eval_db(history_path: &str) -> String {
    if history_path == ":memory:" || history_path.is_empty() {
        return ":memory:".into();
    }
    let dir = std::path::Path::new(history_path)
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    dir.join("evals.sqlite").display().to_string()
}

impl ServerConfig {
    /// Reads the file named by `args.config` (if any) and lays the flags over it.
    pub fn load(args: &ServeArgs) -> Result<ServerConfig, ServerError> {
        let file = match &args.config {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    bad(
                        &format!("cannot read the configuration file {}", path.display()),
                        e,
                    )
                })?;
                toml::from_str::<FileConfig>(&text).map_err(|e| {
                    bad(
                        &format!("configuration file {}", path.display()),
                        e.message(),
                    )
                })?
            }
            None => FileConfig::default(),
        };
        ServerConfig::resolve(file, args)
    }

    /// The file's settings with the flags laid over them, validated.
    pub fn resolve(file: FileConfig, args: &ServeArgs) -> Result<ServerConfig, ServerError> {
        let listen = args
            .listen
            .or(file.listen)
            .unwrap_or_else(|| DEFAULT_LISTEN.parse().expect("valid default address"));
        let token = args.token.clone().or(file.token).filter(|t| !t.is_empty());
        let insecure_no_auth = args.insecure_no_auth || file.insecure_no_auth;
        let grpc_listen = args.grpc_listen.or(file.grpc_listen);
        for addr in std::iter::once(listen).chain(grpc_listen) {
            if !addr.ip().is_loopback() && token.is_none() && !insecure_no_auth {
                return Err(ServerError::Config(format!(
                    "refusing to listen on {addr} (not a loopback address) without an API token: \
                     give --token (or LOCALEVAL_TOKEN), or --insecure-no-auth to run without one"
                )));
            }
        }

        let maxima = limits_from(Limits::DEFAULT_MAXIMA, &file.limits.max, "limits.max")?;
        let run_defaults =
            limits_from(Limits::DEFAULT_RUN, &file.limits.run, "limits.run")?.clamped_to(&maxima);
        let compile_defaults = limits_from(
            Limits::DEFAULT_COMPILE,
            &file.limits.compile,
            "limits.compile",
        )?
        .clamped_to(&maxima);

        let per_minute = match &args.rate_limit {
            Some(text) => parse_rate(text)?,
            None if file.rate_limit.enabled == Some(false) => None,
            None => Some(file.rate_limit.per_minute.unwrap_or(10)),
        };
        let burst = args.rate_burst.or(file.rate_limit.burst).unwrap_or(2);
        let rate_limit = match per_minute {
            Some(0) | None => None,
            Some(per_minute) => {
                if burst == 0 {
                    return Err(bad("rate limit burst", "must be at least 1"));
                }
                Some(RateLimit { per_minute, burst })
            }
        };

        let cpus = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1);
        let max_concurrent = args
            .max_concurrent
            .or(file.pool.max_concurrent)
            .unwrap_or(cpus * 2);
        if max_concurrent == 0 {
            return Err(bad("max_concurrent", "must be at least 1"));
        }
        let max_queue = args.max_queue.or(file.pool.max_queue).unwrap_or(64);
        let queue_timeout = duration(
            "pool.queue_timeout",
            file.pool.queue_timeout.as_deref().unwrap_or("60s"),
        )?;

        let body_limit_text = args
            .body_limit
            .clone()
            .or(file.http.body_limit)
            .unwrap_or_else(|| "10M".into());
        let body_limit = parse_size_bytes(&body_limit_text).map_err(|e| bad("body limit", e))?;
        let body_limit = usize::try_from(body_limit).map_err(|e| bad("body limit", e))?;
        let json_depth = file.http.json_depth.unwrap_or(32).max(2);
        let body_timeout = duration(
            "http.body_timeout",
            file.http.body_timeout.as_deref().unwrap_or("30s"),
        )?;
        let header_timeout = duration(
            "http.header_timeout",
            file.http.header_timeout.as_deref().unwrap_or("10s"),
        )?;
        if header_timeout.is_zero() {
            return Err(bad("http.header_timeout", "must be more than 0"));
        }
        let max_judge_tests = file.http.max_judge_tests.unwrap_or(256).max(1);

        let history_path = args
            .history
            .clone()
            .or(file.history.path)
            .unwrap_or_else(|| ":memory:".into());
        let size = |what: &str, text: Option<&str>, default: u64| match text {
            Some(text) => parse_size_bytes(text).map_err(|e| bad(what, e)),
            None => Ok(default),
        };
        let defaults = HistoryBounds::DEFAULT;
        let history = HistoryBounds {
            max_rows: file.history.max_rows.unwrap_or(defaults.max_rows),
            max_age_secs: file.history.max_age_secs.unwrap_or(defaults.max_age_secs),
            max_bytes: size(
                "history.max_bytes",
                file.history.max_bytes.as_deref(),
                defaults.max_bytes,
            )?,
            max_response_bytes: size(
                "history.max_response_bytes",
                file.history.max_response_bytes.as_deref(),
                defaults.max_response_bytes,
            )?,
        };

        let audit = match args
            .audit_log
            .clone()
            .or(file.audit.log)
            .as_deref()
            .unwrap_or("stderr")
        {
            "off" | "" => AuditSink::Off,
            "stderr" | "-" => AuditSink::Stderr,
            path => AuditSink::File(PathBuf::from(path)),
        };
        let shutdown_grace = duration(
            "shutdown grace",
            args.shutdown_grace
                .as_deref()
                .or(file.shutdown.grace.as_deref())
                .unwrap_or("30s"),
        )?;

        let eval_db = args
            .eval_db
            .clone()
            .or(file.evals.path)
            .unwrap_or_else(|| default_eval_db(&history_path));
        let eval_max_running = file.evals.max_running.unwrap_or(2);
        if eval_max_running == 0 {
            return Err(bad("evals.max_running", "must be at least 1"));
        }
        let mut eval_dataset_dirs = file.evals.dataset_dirs.unwrap_or_default();
        eval_dataset_dirs.extend(args.eval_dataset_dirs.iter().cloned());
        for image in &file.images {
            crate::image::ImageRef::parse(image).map_err(|e| bad("images", e))?;
        }
        for registry in &file.insecure_registries {
            if registry.is_empty() || registry.contains('/') {
                return Err(bad(
                    "insecure_registries",
                    format!("{registry:?} is not a registry host (e.g. registry.lan:5000)"),
                ));
            }
        }

        Ok(ServerConfig {
            listen,
            grpc_listen,
            token,
            insecure_no_auth,
            catalog: args.catalog.clone().or(file.catalog),
            languages: file.languages,
            store: args.store.clone().or(file.store),
            images: file.images,
            insecure_registries: file.insecure_registries,
            maxima,
            run_defaults,
            compile_defaults,
            rate_limit,
            max_concurrent,
            max_queue,
            queue_timeout,
            body_limit,
            json_depth,
            body_timeout,
            header_timeout,
            max_judge_tests,
            history_path,
            history,
            audit,
            shutdown_grace,
            eval_db,
            eval_max_running,
            eval_dataset_dirs,
        })
    }

    /// The policy requests are planned against.
    pub fn policy(&self) -> Result<Policy, ServerError> {
        let mut policy = Policy::builtin().map_err(|e| bad("host profile", e))?;
        if let Some(path) = &self.catalog {
            policy.catalog = Catalog::load(path).map_err(|e| bad("catalog", e))?;
        }
        if let Some(names) = &self.languages {
            policy
                .catalog
                .restrict_to(names)
                .map_err(|e| bad("languages", e))?;
        }
        policy.maxima = self.maxima;
        policy.run_defaults = self.run_defaults;
        policy.compile_defaults = self.compile_defaults;
        // The HTTP surface runs catalog languages only, never arbitrary command lines.
        policy.allow_commands = false;
        policy.request_images = if self.images.is_empty() {
            RequestImages::None
        } else {
            RequestImages::Only(self.images.clone())
        };
        let catalog_needs_images = policy.catalog.languages().any(|l| l.entry.rootfs != "host");
        if catalog_needs_images || !self.images.is_empty() || self.store.is_some() {
            policy.images = Some(Arc::new(self.image_store()?));
        }
        Ok(policy)
    }

    /// The image store (opened, created if missing) at `store` or the default root.
    pub fn image_store(&self) -> Result<Store, ServerError> {
        let root = self.store.clone().unwrap_or_else(Store::default_root);
        Store::open(&root).map_err(|e| bad(&format!("image store {}", root.display()), e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(toml_text: &str, args: ServeArgs) -> Result<ServerConfig, ServerError> {
        ServerConfig::resolve(toml::from_str(toml_text).unwrap(), &args)
    }

    #[test]
    fn defaults_are_the_older_services_defaults() {
        let c = resolve("", ServeArgs::default()).unwrap();
        assert_eq!(c.listen.to_string(), DEFAULT_LISTEN);
        assert_eq!(
            c.rate_limit,
            Some(RateLimit {
                per_minute: 10,
                burst: 2
            })
        );
        assert_eq!(c.shutdown_grace, Duration::from_secs(30));
        assert_eq!(c.body_limit, 10 << 20);
        assert_eq!(c.audit, AuditSink::Stderr);
        assert_eq!(c.maxima, Limits::DEFAULT_MAXIMA);
        assert_eq!(c.header_timeout, Duration::from_secs(10));
        let c = resolve("[http]\nheader_timeout = \"2500ms\"", ServeArgs::default()).unwrap();
        assert_eq!(c.header_timeout, Duration::from_millis(2500));
        assert_eq!(c.history, HistoryBounds::DEFAULT);
        let c = resolve(
            "[history]\nmax_rows = 50\nmax_bytes = \"2M\"\nmax_response_bytes = \"8K\"",
            ServeArgs::default(),
        )
        .unwrap();
        assert_eq!(
            c.history,
            HistoryBounds {
                max_rows: 50,
                max_bytes: 2 << 20,
                max_response_bytes: 8 << 10,
                ..HistoryBounds::DEFAULT
            }
        );
    }

    #[test]
    fn a_public_address_needs_a_token_or_an_explicit_opt_out() {
        let public = ServeArgs {
            listen: Some("0.0.0.0:8080".parse().unwrap()),
            ..Default::default()
        };
        let err = resolve("", public.clone()).unwrap_err().to_string();
        assert!(err.contains("--token"), "{err}");
        assert!(resolve("token = \"s3cret\"", public.clone()).is_ok());
        let opted_out = ServeArgs {
            insecure_no_auth: true,
            ..public.clone()
        };
        assert!(resolve("", opted_out).is_ok());
        // An empty token is no token.
        let empty = ServeArgs {
            token: Some(String::new()),
            ..public
        };
        assert!(resolve("", empty).is_err());
    }

    #[test]
    fn flags_override_the_file() {
        let file = r#"
            listen = "127.0.0.1:9000"
            [rate_limit]
            per_minute = 100
            burst = 5
            [pool]
            max_concurrent = 3
            [limits.max]
            wall = "5s"
            [limits.run]
            wall = "20s"
        "#;
        let c = resolve(file, ServeArgs::default()).unwrap();
        assert_eq!(c.listen.port(), 9000);
        assert_eq!(c.rate_limit.unwrap().per_minute, 100);
        assert_eq!(c.max_concurrent, 3);
        assert_eq!(c.maxima.wall_ms, 5_000);
        // A default above the maximum is lowered to it.
        assert_eq!(c.run_defaults.wall_ms, 5_000);
        let args = ServeArgs {
            listen: Some("127.0.0.1:9001".parse().unwrap()),
            rate_limit: Some("off".into()),
            max_concurrent: Some(7),
            ..Default::default()
        };
        let c = resolve(file, args).unwrap();
        assert_eq!(c.listen.port(), 9001);
        assert_eq!(c.rate_limit, None);
        assert_eq!(c.max_concurrent, 7);
    }

    #[test]
    fn the_readme_configuration_example_is_valid() {
        let readme = include_str!("../../README.md");
        let serving = &readme[readme.find("## Serving").expect("a Serving section")..];
        let start = serving.find("```toml\n").expect("a TOML example") + 8;
        let end = start + serving[start..].find("```").expect("closed");
        let c = resolve(&serving[start..end], ServeArgs::default()).unwrap();
        assert_eq!(c.maxima.wall_ms, 30_000);
        assert_eq!(c.run_defaults.memory_bytes, 256 << 20);
        assert_eq!(c.max_concurrent, 8);
        assert_eq!(
            c.audit,
            AuditSink::File("/var/log/localeval/audit.jsonl".into())
        );
    }

    #[test]
    fn the_eval_store_defaults_next_to_the_history() {
        let c = resolve("", ServeArgs::default()).unwrap();
        assert_eq!(c.eval_db, ":memory:");
        assert_eq!(c.eval_max_running, 2);
        let c = resolve(
            "[history]\npath = \"/var/lib/localeval/history.sqlite\"\n[evals]\nmax_running = 3\ndataset_dirs = [\"/srv/sets\"]",
            ServeArgs {
                eval_dataset_dirs: vec!["/data".into()],
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(c.eval_db, "/var/lib/localeval/evals.sqlite");
        assert_eq!(c.eval_max_running, 3);
        assert_eq!(
            c.eval_dataset_dirs,
            [PathBuf::from("/srv/sets"), "/data".into()]
        );
        let args = ServeArgs {
            eval_db: Some("/tmp/e.sqlite".into()),
            ..Default::default()
        };
        assert_eq!(resolve("", args).unwrap().eval_db, "/tmp/e.sqlite");
        assert!(resolve("[evals]\nmax_running = 0", ServeArgs::default()).is_err());
    }

    #[test]
    fn bad_settings_are_refused_with_the_setting_named() {
        let err = ServerConfig::resolve(
            FileConfig::default(),
            &ServeArgs {
                rate_limit: Some("fast".into()),
                ..Default::default()
            },
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("rate limit"), "{err}");
        assert!(toml::from_str::<FileConfig>("bogus = 1").is_err());
        let err = resolve("[limits.max]\nmemory = \"1K\"", ServeArgs::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("limits.max"), "{err}");
        let err = resolve("[http]\nheader_timeout = \"0s\"", ServeArgs::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("http.header_timeout"), "{err}");
        let err = resolve("[history]\nmax_bytes = \"lots\"", ServeArgs::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("history.max_bytes"), "{err}");
        assert_eq!(parse_rate("10/min").unwrap(), Some(10));
        assert_eq!(parse_rate("OFF").unwrap(), None);
    }
}
