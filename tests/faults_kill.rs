//! kill -9 of each process role while a program sleeps: the CLI, one server supervisor,
//! the launcher and the server. Nothing of the run may outlive the role that owned it:
//! within a second its processes, its mount namespace, its uid slot lock and (where a
//! process of localeval is left to notice) its cgroups are gone (issue 11, High).
//!
//! Cost: about 1 s of sandbox time per test (the programs sleep until killed).

mod common;
mod server_support;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use server_support::{descendants, parent_of, processes_with, run_cgroups_of, Server};

/// Everything a run is made of on the host.
#[derive(Debug)]
struct RunTrace {
    /// The program, the sandbox's init and the supervisor.
    program: u32,
    init: u32,
    supervisor: u32,
    mount_ns: PathBuf,
    cgroups: Vec<PathBuf>,
}

/// Waits until the program whose command line contains `marker` runs in its sandbox, and
/// traces its run.
fn trace(marker: &str) -> RunTrace {
    let until = Instant::now() + Duration::from_secs(30);
    loop {
        // The program is `sleep MARKER`; its parent is the init, whose parent is the
        // supervisor. Only the program's own command line has the marker first.
        let found = processes_with(marker).into_iter().find(|p| {
            std::fs::read(format!("/proc/{p}/cmdline"))
                .is_ok_and(|c| c.starts_with(b"sleep\0") || c.starts_with(b"/bin/sleep\0"))
        });
        if let Some(program) = found {
            // The init is the program's farthest ancestor in the program's pid namespace.
            let ns = |p: u32| std::fs::read_link(format!("/proc/{p}/ns/pid")).ok();
            let mut init = program;
            while let Some(parent) = parent_of(init).filter(|p| ns(*p) == ns(program)) {
                init = parent;
            }
            let supervisor = parent_of(init).expect("the init has a parent");
            let mount_ns = std::fs::read_link(format!("/proc/{init}/ns/mnt")).expect("ns link");
            return RunTrace {
                program,
                init,
                supervisor,
                mount_ns,
                cgroups: run_cgroups_of(program),
            };
        }
        assert!(Instant::now() < until, "the program {marker} never started");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Alive, as opposed to gone or a zombie (exited, waiting for its reaper).
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| s.rsplit_once(") ").map(|(_, r)| r.to_string()))
        .is_some_and(|rest| !rest.starts_with('Z') && !rest.starts_with('X'))
}

/// Whether any live process is in the mount namespace `ns`.
fn mount_ns_in_use(ns: &PathBuf) -> bool {
    std::fs::read_dir("/proc")
        .expect("/proc")
        .flatten()
        .any(|e| {
            e.file_name()
                .to_string_lossy()
                .parse::<u32>()
                .is_ok_and(alive)
                && std::fs::read_link(e.path().join("ns/mnt")).is_ok_and(|l| l == *ns)
        })
}

/// Locks (the uid slot's flock) held in the name of any of `pids`.
fn locks_of(pids: &[u32]) -> Vec<String> {
    let text = std::fs::read_to_string("/proc/locks").unwrap_or_default();
    text.lines()
        .filter(|line| {
            line.split_whitespace()
                .nth(4)
                .and_then(|p| p.parse::<u32>().ok())
                .is_some_and(|p| pids.contains(&p))
        })
        .map(str::to_string)
        .collect()
}

/// What of the run is still there: processes, its mount namespace, slot locks, cgroups.
fn leftovers(run: &RunTrace, check_cgroups: bool) -> Vec<String> {
    let mut left = Vec::new();
    for (role, pid) in [
        ("program", run.program),
        ("init", run.init),
        ("supervisor", run.supervisor),
    ] {
        if alive(pid) {
            left.push(format!("{role} {pid} alive"));
        }
    }
    if mount_ns_in_use(&run.mount_ns) {
        left.push(format!("mount namespace {:?} in use", run.mount_ns));
    }
    for lock in locks_of(&[run.program, run.init, run.supervisor]) {
        left.push(format!("lock {lock}"));
    }
    if check_cgroups {
        for dir in run.cgroups.iter().filter(|d| d.exists()) {
            left.push(format!("cgroup {}", dir.display()));
        }
    }
    left
}

/// Asserts that nothing of `run` is left within `limit` of now.
fn assert_gone_within(run: &RunTrace, limit: Duration, check_cgroups: bool, what: &str) {
    let start = Instant::now();
    loop {
        let left = leftovers(run, check_cgroups);
        if left.is_empty() {
            eprintln!("{what}: all gone in {:?}", start.elapsed());
            return;
        }
        assert!(
            start.elapsed() < limit,
            "{what}: {:?} after kill -9, still left: {left:?}",
            limit
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn kill9(pid: u32) {
    let status = Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill -9 {pid}");
}

/// A marker unique to this test process and call.
fn marker(tag: u32) -> String {
    // sleep takes a fractional number of seconds: 600.<pid><tag> never ends in a test.
    format!("600.{}{tag}", std::process::id())
}

#[test]
fn kill_9_of_the_cli_leaves_nothing_and_the_next_start_removes_its_cgroups() {
    if !common::require_sandbox("kill -9 of the CLI") {
        return;
    }
    let marker = marker(1);
    let mut cli = Command::new(common::binary())
        .args(["run", "--json", "--timeout", "60s", "--", "sleep", &marker])
        .env("LOCALEVAL_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("localeval runs");
    let run = trace(&marker);
    assert_eq!(run.supervisor, cli.id(), "the CLI supervises its run");
    kill9(cli.id());
    let _ = cli.wait();
    assert_gone_within(&run, Duration::from_secs(1), false, "CLI");
    // Nobody of localeval was left to remove the cgroups: the next start does.
    let next = common::run_json(&["--", "/bin/true"]);
    assert_eq!(next.outcome["verdict"], "OK", "{}", next.outcome);
    assert_gone_within(&run, Duration::ZERO, true, "CLI, after the next start");
}

/// The thread waiting for a request's answer: its status and JSON, or why there is none.
type Answer = std::thread::JoinHandle<Result<(u16, serde_json::Value), String>>;

/// Starts a server and a run that sleeps in it; the run's trace and the answer's thread.
fn server_with_a_sleeping_run(tag: u32) -> (Server, RunTrace, Answer) {
    let server = Server::start(&[]);
    let marker = marker(tag);
    let url = server.url("/api/v1/execute");
    let body =
        json!({"language": "bash", "code": format!("sleep {marker}"), "timeout_seconds": 60});
    let answer = std::thread::spawn(move || {
        let response = server_support::client()
            .post(url)
            .json(&body)
            .send()
            .map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let value = response.json().map_err(|e| e.to_string())?;
        Ok((status, value))
    });
    let run = trace(&marker);
    assert!(
        descendants(server.pid).contains(&run.supervisor),
        "the supervisor {} is below the server {}",
        run.supervisor,
        server.pid
    );
    (server, run, answer)
}

#[test]
fn kill_9_of_a_supervisor_leaves_nothing_and_the_request_is_answered() {
    if !server_support::require_sandbox("kill -9 of a supervisor") {
        return;
    }
    let (server, run, answer) = server_with_a_sleeping_run(2);
    kill9(run.supervisor);
    assert_gone_within(&run, Duration::from_secs(1), true, "supervisor");
    let (status, body) = answer.join().unwrap().expect("the request is answered");
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["localeval"]["verdict"], "IE", "{body}");
    // The server still runs programs.
    let (status, body) = server_support::post(
        &server,
        "/api/v1/execute",
        &json!({"language": "bash", "code": "echo again"}),
    );
    assert_eq!((status, body["stdout"].as_str()), (200, Some("again\n")));
}

#[test]
fn kill_9_of_the_server_leaves_nothing() {
    if !server_support::require_sandbox("kill -9 of the server") {
        return;
    }
    let (server, run, answer) = server_with_a_sleeping_run(3);
    let launcher = parent_of(run.supervisor).expect("the supervisor has a parent");
    let below = descendants(server.pid);
    kill9(server.pid);
    assert_gone_within(&run, Duration::from_secs(1), true, "server");
    let start = Instant::now();
    while below.iter().any(|p| alive(*p)) {
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "processes of the killed server {} left (launcher {launcher}): {:?}",
            server.pid,
            below.iter().filter(|p| alive(**p)).collect::<Vec<_>>()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(answer.join().unwrap().is_err(), "a dead server answered");
}

#[test]
fn kill_9_of_the_launcher_lets_runs_in_flight_finish_and_leaves_nothing() {
    if !server_support::require_sandbox("kill -9 of the launcher") {
        return;
    }
    let server = Server::start(&[]);
    let url = server.url("/api/v1/execute");
    let marker = marker(4);
    // The program sleeps until the marker file's sandbox is traced, then a little more.
    let body = json!({"language": "bash", "code": format!("sleep 0.{}; echo done", &marker[4..]), "timeout_seconds": 60});
    let answer = std::thread::spawn(move || {
        let response = server_support::client().post(url).json(&body).send();
        response.map(|r| (r.status().as_u16(), r.json::<serde_json::Value>().ok()))
    });
    let run = trace(&format!("0.{}", &marker[4..]));
    let launcher = parent_of(run.supervisor).expect("the supervisor has a parent");
    assert_eq!(
        parent_of(launcher),
        Some(server.pid),
        "the launcher's parent"
    );
    let ready: Vec<u32> = descendants(launcher)
        .into_iter()
        .filter(|p| parent_of(*p) == Some(launcher) && *p != run.supervisor)
        .collect();
    kill9(launcher);
    // The run in flight has its own connection to the server: it finishes and is answered.
    let (status, body) = answer.join().unwrap().expect("the request is answered");
    assert_eq!(status, 200);
    let body = body.expect("a JSON answer");
    assert_eq!(body["stdout"], "done\n", "{body}");
    assert_gone_within(
        &run,
        Duration::from_secs(1),
        true,
        "launcher, run in flight",
    );
    // Supervisors building ahead lost their launcher: they tear their sandboxes down.
    let start = Instant::now();
    while ready.iter().any(|p| alive(*p)) {
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "supervisors built ahead left: {ready:?}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn every_request_accepted_is_answered_when_the_shutdown_grace_period_ends() {
    if !server_support::require_sandbox("answers at the end of the grace period") {
        return;
    }
    let mut server = Server::start(&["--shutdown-grace", "1s", "--max-concurrent", "8"]);
    let marker = marker(5);
    let answers: Vec<_> = (0..8)
        .map(|_| {
            let url = server.url("/api/v1/execute");
            let body = json!({"language": "bash", "code": format!("sleep {marker}"), "timeout_seconds": 60});
            std::thread::spawn(move || {
                let response = server_support::client()
                    .post(url)
                    .json(&body)
                    .send()
                    .map_err(|e| e.to_string())?;
                let status = response.status().as_u16();
                let value: serde_json::Value = response.json().map_err(|e| e.to_string())?;
                Ok::<_, String>((status, value))
            })
        })
        .collect();
    let until = Instant::now() + Duration::from_secs(30);
    while processes_with(&marker).len() < 8 {
        assert!(Instant::now() < until, "the eight runs did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    server.signal("TERM");
    for answer in answers {
        let (status, body) = answer
            .join()
            .unwrap()
            .expect("an accepted request is answered");
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["localeval"]["verdict"], "IE", "{body}");
    }
    let status = server
        .wait(Duration::from_secs(20))
        .expect("the server exits");
    assert!(status.success(), "{status:?}");
}
