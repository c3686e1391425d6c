//! Shared by the server tests: a real `localeval serve` on a loopback port (port 0, read
//! back from its first line of output), a real HTTP client, and the checks that nothing of
//! a sandbox is left behind.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub struct Server {
    child: Option<Child>,
    pub base: String,
    pub pid: u32,
}

impl Server {
    /// `localeval serve --listen 127.0.0.1:0 ARGS` (rate limiting off and the audit log off
    /// unless ARGS say otherwise), once it listens.
    pub fn start(args: &[&str]) -> Server {
        Server::spawn(args, 1).0
    }

    /// [`Server::start`] with `--grpc-listen 127.0.0.1:0`; also the gRPC address (from the
    /// server's second line of output).
    pub fn start_grpc(args: &[&str]) -> (Server, String) {
        let args: Vec<&str> = ["--grpc-listen", "127.0.0.1:0"]
            .into_iter()
            .chain(args.iter().copied())
            .collect();
        let (server, lines) = Server::spawn(&args, 2);
        let grpc = lines[1]
            .trim()
            .strip_prefix("localeval gRPC listening on ")
            .unwrap_or_else(|| panic!("unexpected second line from localeval serve: {lines:?}"))
            .to_string();
        (server, grpc)
    }

    /// Starts the server and reads its first `lines` lines of output; the rest is drained.
    fn spawn(args: &[&str], lines: usize) -> (Server, Vec<String>) {
        let mut command = Command::new(env!("CARGO_BIN_EXE_localeval"));
        command.args(["serve", "--listen", "127.0.0.1:0"]);
        if !args.contains(&"--rate-limit") {
            command.args(["--rate-limit", "off"]);
        }
        if !args.contains(&"--audit-log") {
            command.args(["--audit-log", "off"]);
        }
        let mut child = command
            .args(args)
            .env("LOCALEVAL_LOG", "warn")
            .env_remove("LOCALEVAL_TOKEN")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the localeval binary runs");
        let pid = child.id();
        let stdout = child.stdout.take().expect("piped");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut read = Vec::new();
            for _ in 0..lines {
                let mut line = String::new();
                let _ = reader.read_line(&mut line);
                read.push(line);
            }
            let _ = tx.send(read);
            // Kept open: a server writing to a closed pipe would fail.
            let _ = std::io::copy(&mut reader, &mut std::io::sink());
        });
        let read = rx
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("localeval serve {args:?} did not start listening"));
        let base = read[0]
            .trim()
            .strip_prefix("localeval listening on ")
            .unwrap_or_else(|| panic!("unexpected first line from localeval serve: {read:?}"))
            .to_string();
        let server = Server {
            child: Some(child),
            base,
            pid,
        };
        (server, read)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Sends `signal` (e.g. "TERM") to the server.
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([format!("-{signal}"), self.pid.to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -{signal} {} failed", self.pid);
    }

    /// Waits for the server to exit; its exit status, or None after `timeout`.
    pub fn wait(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let child = self.child.as_mut()?;
        let until = Instant::now() + timeout;
        while Instant::now() < until {
            if let Some(status) = child.try_wait().expect("try_wait") {
                self.child = None;
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// Processes below the server (the launcher, supervisors and sandboxes).
    pub fn descendants(&self) -> Vec<u32> {
        descendants(self.pid)
    }

    /// Waits until no run is left below the server: only the launcher and the sandboxes it
    /// keeps built ahead — each a supervisor with one idle init that has no child (no
    /// program), at most `MAX_READY` of them (ready_sandboxes × recent shapes).
    pub fn assert_no_sandbox_left(&self) {
        const MAX_READY: usize = 8;
        let until = Instant::now() + Duration::from_secs(10);
        loop {
            let below = self.descendants();
            let launcher = below
                .iter()
                .copied()
                .find(|p| parent_of(*p) == Some(self.pid));
            let supervisors: Vec<u32> = below
                .iter()
                .copied()
                .filter(|p| launcher.is_some() && parent_of(*p) == launcher)
                .collect();
            let only_ready = supervisors.len() <= MAX_READY
                && supervisors.iter().all(|s| {
                    let under = descendants(*s);
                    under.len() <= 1 && under.iter().all(|init| descendants(*init).is_empty())
                })
                && below.len()
                    == 1 + supervisors.len()
                        + supervisors
                            .iter()
                            .map(|s| descendants(*s).len())
                            .sum::<usize>();
            if below.len() <= 1 || only_ready {
                return;
            }
            if Instant::now() > until {
                let described: Vec<String> = below.iter().map(|p| describe(*p)).collect();
                panic!("processes left below the server: {described:?}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

pub fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may contain spaces: parse after the last ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    rest.split(' ').nth(1)?.parse().ok()
}

fn describe(pid: u32) -> String {
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    format!(
        "{pid}: {}",
        String::from_utf8_lossy(&cmdline).replace('\0', " ")
    )
}

pub fn descendants(root: u32) -> Vec<u32> {
    let mut parents = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        if let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() {
            if let Some(ppid) = parent_of(pid) {
                parents.push((pid, ppid));
            }
        }
    }
    let mut found = vec![root];
    let mut i = 0;
    while i < found.len() {
        let p = found[i];
        found.extend(parents.iter().filter(|(_, pp)| *pp == p).map(|(c, _)| *c));
        i += 1;
    }
    found.remove(0);
    found
}

/// Pids of live processes whose command line contains `marker`.
pub fn processes_with(marker: &str) -> Vec<u32> {
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
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

/// The run cgroup directories process `pid` is in (v2 or each v1 hierarchy).
pub fn run_cgroups_of(pid: u32) -> Vec<std::path::PathBuf> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap_or_default();
    let mut dirs = Vec::new();
    for line in text.lines() {
        let mut parts = line.splitn(3, ':');
        let (_, controllers, path) = match (parts.next(), parts.next(), parts.next()) {
            (Some(a), Some(b), Some(c)) => (a, b, c),
            _ => continue,
        };
        if !path.contains("localeval-run") {
            continue;
        }
        let base = if controllers.is_empty() {
            std::path::PathBuf::from("/sys/fs/cgroup")
        } else {
            std::path::PathBuf::from("/sys/fs/cgroup").join(controllers)
        };
        let dir = base.join(path.trim_start_matches('/'));
        if dir.is_dir() {
            dirs.push(dir);
        }
    }
    dirs
}

pub fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(180))
        .build()
        .expect("an HTTP client")
}

/// POSTs `body` (JSON) to `path`; the status and the JSON answer.
pub fn post(server: &Server, path: &str, body: &Value) -> (u16, Value) {
    let response = client()
        .post(server.url(path))
        .json(body)
        .send()
        .unwrap_or_else(|e| panic!("POST {path}: {e}"));
    let status = response.status().as_u16();
    let text = response.text().expect("a body");
    let json = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("POST {path} -> {status}: not JSON ({e}): {text}"));
    (status, json)
}

/// POSTs raw bytes; the status, headers and body text.
pub fn post_raw(
    server: &Server,
    path: &str,
    body: Vec<u8>,
) -> (u16, reqwest::header::HeaderMap, String) {
    let response = client()
        .post(server.url(path))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .unwrap_or_else(|e| panic!("POST {path}: {e}"));
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.text().unwrap_or_default())
}

pub fn get(server: &Server, path: &str) -> (u16, Value) {
    let response = client()
        .get(server.url(path))
        .send()
        .unwrap_or_else(|e| panic!("GET {path}: {e}"));
    let status = response.status().as_u16();
    let text = response.text().expect("a body");
    let json = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("GET {path} -> {status}: not JSON ({e}): {text}"));
    (status, json)
}

/// The sorted keys of a JSON object.
pub fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .cloned()
        .collect();
    k.sort();
    k
}

/// The fields every execution response carries (the older services' union plus ours).
pub const EXECUTE_FIELDS: [&str; 13] = [
    "error",
    "execution_id",
    "execution_time_ms",
    "exit_code",
    "localeval",
    "memory_exceeded",
    "memory_used_mb",
    "process_status",
    "status",
    "stderr",
    "stdout",
    "timeout",
    "verdict",
];

/// Whether sandbox tests can run here; skips loudly unless LOCALEVAL_TESTS_MUST_RUN=1.
pub fn require_sandbox(test: &str) -> bool {
    use std::os::unix::fs::MetadataExt;
    let root = std::fs::metadata("/proc/self")
        .map(|m| m.uid())
        .unwrap_or(1)
        == 0;
    let userns = std::fs::read_to_string("/proc/sys/user/max_user_namespaces")
        .map(|s| s.trim() != "0")
        .unwrap_or(false);
    if root && userns {
        return true;
    }
    let why = format!("{test}: needs root and user namespaces (root={root}, userns={userns})");
    if std::env::var("LOCALEVAL_TESTS_MUST_RUN").is_ok_and(|v| v == "1") {
        panic!("LOCALEVAL_TESTS_MUST_RUN=1 but {why}");
    }
    eprintln!("SKIPPED {why}");
    false
}
