//! gRPC (`serve --grpc-listen`): a Python client generated at test time from proto/ with
//! grpcio-tools (tests/grpc/client.py) calls every RPC of localeval.v1 and of the seed's
//! CodeExecutor, health and reflection, against a real server; each scenario here starts its
//! own server. The client's venv comes from `scripts/setup.sh --tests` (pinned versions,
//! under target/); without it the tests skip, or fail with LOCALEVAL_TESTS_MUST_RUN=1.

mod server_support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use server_support::*;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The venv's python, when the venv is there.
fn python(test: &str) -> Option<PathBuf> {
    let python = repo().join("target/grpc-venv/bin/python");
    let ready = python.exists()
        && Command::new(&python)
            .args([
                "-c",
                "import grpc_tools, grpc_health, grpc_reflection, grpc_status",
            ])
            .status()
            .is_ok_and(|s| s.success());
    if ready {
        return Some(python);
    }
    let why = format!("{test}: no gRPC client venv at target/grpc-venv (scripts/setup.sh --tests)");
    if std::env::var("LOCALEVAL_TESTS_MUST_RUN").is_ok_and(|v| v == "1") {
        panic!("LOCALEVAL_TESTS_MUST_RUN=1 but {why}");
    }
    eprintln!("SKIPPED {why}");
    None
}

/// Runs one client scenario; panics with its output when it fails.
fn client(server: &Server, grpc: &str, scenario: &str, extra: &[&str]) -> String {
    let python = python(scenario).expect("checked by the caller");
    let out = repo().join("target/grpc-gen").join(scenario);
    let pid = server.pid.to_string();
    let output = Command::new(python)
        .arg(repo().join("tests/grpc/client.py"))
        .arg("--proto")
        .arg(repo().join("proto"))
        .arg("--out")
        .arg(&out)
        .args(["--grpc", grpc, "--http", &server.base, "--pid", &pid])
        .args(extra)
        .arg(scenario)
        .output()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.contains(&format!("{scenario}: ok")),
        "client scenario {scenario} failed:\n{stdout}\n{stderr}"
    );
    stdout
}

fn ready(test: &str) -> bool {
    require_sandbox(test) && python(test).is_some()
}

#[test]
fn every_rpc_of_both_services_with_health_history_and_metrics() {
    if !ready("every_rpc") {
        return;
    }
    let audit = std::env::temp_dir().join(format!("localeval-grpc-audit-{}", std::process::id()));
    let audit_arg = audit.to_string_lossy().into_owned();
    let (server, grpc) = Server::start_grpc(&["--audit-log", &audit_arg]);
    client(&server, &grpc, "every_rpc", &[]);
    server.assert_no_sandbox_left();
    // The audit log has a line per execution, named by its gRPC method.
    let lines = std::fs::read_to_string(&audit).unwrap_or_default();
    let _ = std::fs::remove_file(&audit);
    for method in [
        "/executor.CodeExecutor/Execute",
        "/localeval.v1.Sandbox/Execute",
        "/localeval.v1.Sandbox/ExecuteStream",
        "/localeval.v1.Sandbox/Judge",
    ] {
        assert!(
            lines.contains(method),
            "no audit line for {method}:\n{lines}"
        );
    }
}

#[test]
fn the_token_is_required_in_metadata_except_for_health() {
    if !ready("token") {
        return;
    }
    let (server, grpc) = Server::start_grpc(&["--token", "grpc-secret"]);
    client(&server, &grpc, "token", &["--token", "grpc-secret"]);
}

#[test]
fn reflection_lists_the_services() {
    if !ready("reflection") {
        return;
    }
    let (server, grpc) = Server::start_grpc(&[]);
    let out = client(&server, &grpc, "reflection", &[]);
    assert!(out.contains("grpc.reflection"), "{out}");
}

#[test]
fn bad_input_is_a_typed_status() {
    if !ready("bad_input") {
        return;
    }
    let (server, grpc) = Server::start_grpc(&["--body-limit", "64K"]);
    client(&server, &grpc, "bad_input", &[]);
}

#[test]
fn a_deadline_ends_the_run_and_frees_its_slot() {
    if !ready("deadline") {
        return;
    }
    let (server, grpc) = Server::start_grpc(&["--max-concurrent", "1"]);
    let out = client(&server, &grpc, "deadline", &[]);
    assert!(out.contains(r#""verdict": "IE""#), "{out}");
    server.assert_no_sandbox_left();
}

#[test]
fn a_full_pool_is_resource_exhausted_with_retry_info() {
    if !ready("busy") {
        return;
    }
    let (server, grpc) = Server::start_grpc(&["--max-concurrent", "1", "--max-queue", "0"]);
    client(&server, &grpc, "busy", &[]);
}

#[test]
fn the_rate_limit_applies_to_grpc_executions() {
    if !ready("rate_limit") {
        return;
    }
    let (server, grpc) = Server::start_grpc(&["--rate-limit", "6", "--rate-burst", "1"]);
    client(&server, &grpc, "rate_limit", &[]);
}

#[test]
fn an_abandoned_stream_leaves_nothing_behind() {
    if !ready("abandon") {
        return;
    }
    let (server, grpc) = Server::start_grpc(&[]);
    client(&server, &grpc, "abandon", &[]);
    // The program sleeps 60 s: a sandbox still running it fails this within 10 s.
    server.assert_no_sandbox_left();
    // Its run is kept as cut short (IE), not left to its limit.
    let until = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let (status, runs) = get(&server, "/api/v1/executions?limit=1");
        assert_eq!(status, 200, "{runs}");
        if runs.to_string().contains("\"IE\"") {
            break;
        }
        assert!(std::time::Instant::now() < until, "no IE run: {runs}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn shutdown_turns_health_not_serving_while_runs_finish() {
    if !ready("shutdown") {
        return;
    }
    let (mut server, grpc) = Server::start_grpc(&["--shutdown-grace", "20s"]);
    client(&server, &grpc, "shutdown", &[]);
    let status = server
        .wait(Duration::from_secs(30))
        .expect("the server exits after the run");
    assert!(status.success(), "{status:?}");
}
