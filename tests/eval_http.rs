//! Evaluations over HTTP, end to end: real `localeval serve` processes on loopback ports,
//! the OpenAI-compatible model double, the real jail.
//! - `/api/v1/evals`: start a run, stream and poll its progress, fetch its report, list,
//!   resume; every bad request is a 400 with a JSON error.
//! - `POST /api/v1/evals/{id}/cancel`: a run stops within a bound, nothing of it is left
//!   running, it is stored as cancelled with its partial report, and it resumes.
//! - `localeval eval --sandbox-url A --sandbox-url B`: executions spread over two servers,
//!   the same scores as the in-process run.
//! - `localeval eval` against an https model server: with `--ca-cert`, and without it.

mod server_support;
mod support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use server_support::{client, get, post, processes_with, require_sandbox, run_cgroups_of, Server};
use support::{Answer, Asked};

const FIXTURE_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/eval");
const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/eval/problems-mini.json"
);

/// "good" answers every problem with its reference solution; "bad" gets sum-two right,
/// prints a wrong average (WA) and exits with status 3 on reverse-words (RE).
fn script() -> support::Script {
    let fixture: Value = serde_json::from_str(&std::fs::read_to_string(FIXTURE).unwrap()).unwrap();
    let problems = fixture["problems"].as_array().unwrap().clone();
    Arc::new(move |a: &Asked| {
        let p = problems
            .iter()
            .find(|p| a.prompt.contains(p["title"].as_str().unwrap()))
            .expect("the prompt names the problem");
        let solution = p["solutions"]["python"].as_str().unwrap();
        let text = match (a.model.as_str(), p["id"].as_str().unwrap()) {
            ("good", _) | ("bad", "sum-two") => {
                format!("Here you go:\n\n```python\n{solution}```\n")
            }
            ("bad", "average") => "```python\nprint(2)\n```".into(),
            _ => "```python\nimport sys\nsys.exit(3)\n```".into(),
        };
        Answer::Text(text)
    })
}

/// The model double on its own runtime (the test thread stays free for blocking calls).
fn double() -> (tokio::runtime::Runtime, support::Double) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let double = rt.block_on(support::start(&["good", "bad"], &[], script()));
    (rt, double)
}

/// What both models must score on the mini set (n = 2 per problem).
fn assert_expected_scores(scores: &Value) {
    let good = &scores[0];
    let bad = &scores[1];
    assert_eq!(good["model"], "good", "{scores}");
    assert_eq!(
        (good["samples"].as_u64(), good["passed"].as_u64()),
        (Some(6), Some(6)),
        "{good}"
    );
    assert_eq!(good["pass_at_k"][0]["mean"], 1.0, "{good}");
    assert_eq!(bad["model"], "bad");
    assert_eq!(bad["passed"], 2, "{bad}");
    assert_eq!(bad["verdicts"]["WA"], 2, "{bad}");
    assert_eq!(bad["verdicts"]["RE"], 2, "{bad}");
    assert!((bad["pass_at_k"][0]["mean"].as_f64().unwrap() - 1.0 / 3.0).abs() < 1e-12);
}

/// The time-free scores of a JSON report (as `Report::scores` computes them).
fn scores_of(report: &Value) -> Value {
    let models = report["models"].as_array().unwrap();
    json!(models
        .iter()
        .map(|m| json!({
            "model": m["model"], "samples": m["samples"], "passed": m["passed"],
            "pass_at_k": m["pass_at_k"], "verdicts": m["verdicts"],
            "problems": m["problems"], "categories": m["categories"],
        }))
        .collect::<Vec<_>>())
}

fn get_text(server: &Server, path: &str) -> (u16, String, String) {
    let r = client().get(server.url(path)).send().unwrap();
    let status = r.status().as_u16();
    let ctype = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, ctype, r.text().unwrap())
}

fn stats_executions(server: &Server) -> u64 {
    let (status, stats) = get(server, "/api/v1/stats");
    assert_eq!(status, 200);
    stats["total_executions"].as_u64().unwrap()
}

#[test]
fn evals_over_http_start_stream_poll_report_list_and_resume() {
    if !require_sandbox("evals_over_http") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("evals.sqlite");
    let server = Server::start(&[
        "--eval-dataset-dir",
        FIXTURE_DIR,
        "--eval-db",
        db.to_str().unwrap(),
    ]);
    let (_rt, double) = double();
    let started = Instant::now();

    let request = json!({
        "models": ["good", "bad"], "dataset": format!("problems:{FIXTURE}"),
        "backend": "openai", "url": double.url, "language": "python",
        "samples": 2, "k": [1, 2], "time_floor_ms": 1000,
    });
    let response = client()
        .post(server.url("/api/v1/evals"))
        .json(&request)
        .send()
        .unwrap();
    assert_eq!(response.status().as_u16(), 202);
    let location = response.headers()["location"].to_str().unwrap().to_string();
    let created: Value = response.json().unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("run-"), "{created}");
    assert_eq!(location, format!("/api/v1/evals/{id}"));
    assert_eq!(created["status"], "running");
    assert_eq!(created["models"], json!(["good", "bad"]));
    assert_eq!(created["report"], format!("/api/v1/evals/{id}/report"));

    // The progress stream: one line per interval, done never decreasing, the last line the
    // final state.
    let stream = client()
        .get(server.url(&format!("/api/v1/evals/{id}/events?interval_ms=100")))
        .send()
        .unwrap();
    assert_eq!(stream.status().as_u16(), 200);
    assert_eq!(stream.headers()["content-type"], "application/x-ndjson");
    let lines: Vec<Value> = BufReader::new(stream)
        .lines()
        .map(|l| serde_json::from_str(&l.unwrap()).unwrap())
        .collect();
    assert!(lines.len() >= 2, "{lines:?}");
    let done: Vec<u64> = lines
        .iter()
        .map(|l| l["progress"]["done"].as_u64().unwrap())
        .collect();
    assert!(done.windows(2).all(|w| w[0] <= w[1]), "{done:?}");
    assert!(
        lines[..lines.len() - 1]
            .iter()
            .all(|l| l["status"] == "running"),
        "{lines:?}"
    );
    let last = lines.last().unwrap();
    assert_eq!(last["status"], "complete", "{last}");
    eprintln!(
        "evaluation over HTTP: {:?}, {} progress lines",
        started.elapsed(),
        lines.len()
    );

    // Polling: the same final counters.
    let (status, run) = get(&server, &format!("/api/v1/evals/{id}"));
    assert_eq!(status, 200);
    assert_eq!(run["status"], "complete", "{run}");
    let p = &run["progress"];
    assert_eq!(
        (
            p["total"].as_u64(),
            p["done"].as_u64(),
            p["passed"].as_u64()
        ),
        (Some(12), Some(12), Some(8)),
        "{run}"
    );
    assert_eq!(p["failed"], 0);
    assert_eq!(p["eta_secs"], 0.0, "{run}");
    assert_eq!(p["phase"], "complete");
    let executions = p["executions"].as_u64().unwrap();
    assert!(executions > 0, "{run}");
    // The executions went through this server: its counters saw every one of them.
    assert_eq!(stats_executions(&server), executions);
    assert_eq!(double.hits("/v1/chat/completions"), 12);

    // The report in its three formats.
    let (status, ctype, text) =
        get_text(&server, &format!("/api/v1/evals/{id}/report?format=json"));
    assert_eq!((status, ctype.as_str()), (200, "application/json"));
    let report: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(report["run_id"], id.as_str());
    assert_eq!(report["status"], "complete");
    assert_expected_scores(&scores_of(&report));
    assert_eq!(
        report["comparisons"][0]["only_a"],
        json!(["average", "reverse-words"])
    );
    let (status, ctype, md) = get_text(
        &server,
        &format!("/api/v1/evals/{id}/report?format=markdown"),
    );
    assert_eq!(
        (status, ctype.as_str()),
        (200, "text/markdown; charset=utf-8")
    );
    assert!(md.contains("| good | 6 | 6 |"), "{md}");
    let (status, ctype, html) =
        get_text(&server, &format!("/api/v1/evals/{id}/report?format=html"));
    assert_eq!((status, ctype.as_str()), (200, "text/html; charset=utf-8"));
    assert!(html.contains("<svg") && html.contains("pass@k per model"));

    // The stream of a stopped run is its final state, here as server-sent events.
    let sse = client()
        .get(server.url(&format!("/api/v1/evals/{id}/events")))
        .header("accept", "text/event-stream")
        .send()
        .unwrap();
    assert_eq!(sse.status().as_u16(), 200);
    assert!(sse.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    let text = sse.text().unwrap();
    assert_eq!(text.matches("event: progress").count(), 1, "{text}");
    let data = text.lines().find_map(|l| l.strip_prefix("data: ")).unwrap();
    let event: Value = serde_json::from_str(data).unwrap();
    assert_eq!(
        (&event["status"], &event["progress"]["done"]),
        (&json!("complete"), &json!(12))
    );

    // The list: the run, newest first.
    let (status, list) = get(&server, "/api/v1/evals?limit=10");
    assert_eq!(status, 200);
    assert_eq!(list["total"], 1);
    assert_eq!(list["runs"][0]["id"], id.as_str());
    assert_eq!(list["runs"][0]["progress"]["done"], 12);

    // Resuming a complete run asks the model nothing again and runs nothing again.
    let (status, resumed) = post(&server, &format!("/api/v1/evals/{id}/resume"), &json!({}));
    assert_eq!(status, 202, "{resumed}");
    let until = Instant::now() + Duration::from_secs(30);
    let run = loop {
        let (_, run) = get(&server, &format!("/api/v1/evals/{id}"));
        if run["status"] != "running" {
            break run;
        }
        assert!(Instant::now() < until, "the resumed run did not end: {run}");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(run["status"], "complete", "{run}");
    assert_eq!(run["progress"]["executions"], 0, "{run}");
    assert_eq!(double.hits("/v1/chat/completions"), 12);
    assert_eq!(stats_executions(&server), executions);

    // The store is the configured file: `localeval report` reads the same run.
    let out = Command::new(env!("CARGO_BIN_EXE_localeval"))
        .args(["report", &id, "--format", "json", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let from_cli: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(scores_of(&from_cli), scores_of(&report));
    server.assert_no_sandbox_left();
}

#[test]
fn bad_eval_requests_are_400_unknown_runs_404_and_the_routes_are_in_openapi() {
    if !require_sandbox("bad_eval_requests") {
        return;
    }
    let server = Server::start(&["--eval-dataset-dir", FIXTURE_DIR]);
    let url = "http://127.0.0.1:9";
    let cases = [
        (json!({}), "models"),
        (json!({"models": []}), "at least one model"),
        (json!({"models": [""]}), "at least one model"),
        (json!({"models": "m"}), "invalid JSON request"),
        (json!({"models": ["m"], "bogus": 1}), "unknown field"),
        (
            json!({"models": ["m"], "dataset": "humaneval:/etc/passwd"}),
            "not under a directory this server allows",
        ),
        (
            json!({"models": ["m"], "dataset": format!("problems:{FIXTURE_DIR}/missing.json")}),
            "cannot read the dataset",
        ),
        (json!({"models": ["m"], "dataset": "nope:x"}), "nope:x"),
        (
            json!({"models": ["m"], "language": "cobol", "url": url}),
            "unsupported language: cobol",
        ),
        (
            json!({"models": ["m"], "samples": 0, "url": url}),
            "samples",
        ),
        (json!({"models": ["m"], "k": [0], "url": url}), "k must"),
        (
            json!({"models": ["m"], "backend": "openai"}),
            "needs \"url\"",
        ),
        (
            json!({"models": ["m"], "backend": "vllm"}),
            "invalid JSON request",
        ),
        (
            json!({"models": ["m"], "url": "ftp://example"}),
            "http(s) URL",
        ),
        (
            json!({"models": ["m"], "url": url, "temperature": -1.0}),
            "temperature",
        ),
        (
            json!({"models": ["m"], "url": url, "concurrency": 0}),
            "concurrency",
        ),
    ];
    for (body, expected) in cases {
        let (status, answer) = post(&server, "/api/v1/evals", &body);
        assert_eq!(status, 400, "{body} -> {answer}");
        let error = answer["error"]
            .as_str()
            .unwrap_or_else(|| panic!("{answer}"));
        assert!(
            error.contains(expected),
            "{body} -> {error:?} lacks {expected:?}"
        );
    }
    for path in [
        "/api/v1/evals/run-nope",
        "/api/v1/evals/run-nope/report",
        "/api/v1/evals/run-nope/events",
    ] {
        let (status, answer) = get(&server, path);
        assert_eq!(status, 404, "{path}: {answer}");
        assert!(
            answer["error"].as_str().unwrap().contains("run-nope"),
            "{answer}"
        );
    }
    let (status, answer) = post(&server, "/api/v1/evals/run-nope/resume", &json!({}));
    assert_eq!(status, 404, "{answer}");
    let (status, answer) = get(&server, "/api/v1/evals/run-nope/report?format=pdf");
    assert_eq!(status, 400, "{answer}");
    let (status, answer) = get(&server, "/api/v1/evals?limit=ten");
    assert_eq!(status, 400, "{answer}");
    let (status, list) = get(&server, "/api/v1/evals");
    assert_eq!((status, &list["runs"]), (200, &json!([])));

    let (_, doc) = get(&server, "/openapi.json");
    for path in [
        "/api/v1/evals",
        "/api/v1/evals/{id}",
        "/api/v1/evals/{id}/events",
        "/api/v1/evals/{id}/report",
        "/api/v1/evals/{id}/resume",
        "/api/v1/evals/{id}/cancel",
    ] {
        assert!(
            doc["paths"][path].is_object(),
            "{path} missing from /openapi.json"
        );
    }
    assert!(doc["paths"]["/api/v1/evals"]["post"].is_object());
    assert!(doc["paths"]["/api/v1/evals"]["get"].is_object());
    for schema in ["EvalRequest", "EvalStatus", "EvalProgress", "EvalList"] {
        assert!(
            doc["components"]["schemas"][schema].is_object(),
            "{schema} missing"
        );
    }
}

/// `localeval eval ... --json` with `extra` arguments; its output.
fn eval_cli_output(
    url: &str,
    dir: &Path,
    sandbox_urls: &[&str],
    extra: &[&str],
) -> std::process::Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_localeval"));
    c.arg("eval")
        .args([
            "--backend",
            "openai",
            "--url",
            url,
            "--model",
            "good",
            "--model",
            "bad",
        ])
        .arg("--dataset")
        .arg(format!("problems:{FIXTURE}"))
        .args([
            "--language",
            "python",
            "--samples",
            "2",
            "--k",
            "1,2",
            "--json",
            "--quiet",
        ])
        .args(["--jobs", "2"])
        .arg("--db")
        .arg(dir.join("db.sqlite"))
        .arg("--out")
        .arg(dir.join("report"))
        .args(extra)
        .env("LOCALEVAL_LOG", "warn")
        .env_remove("LOCALEVAL_CA_CERT")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for u in sandbox_urls {
        c.args(["--sandbox-url", u]);
    }
    c.output().unwrap()
}

/// `localeval eval ... --json`; its JSON summary.
fn eval_cli(url: &str, dir: &Path, sandbox_urls: &[&str]) -> Value {
    let out = eval_cli_output(url, dir, sandbox_urls, &[]);
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn eval_against_an_https_model_server_needs_its_ca() {
    if !require_sandbox("eval_against_an_https_model_server") {
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let tls = support::Tls::generate();
    let double = rt.block_on(support::start_tls(&["good", "bad"], script(), &tls));
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &tls.ca_pem).unwrap();

    // Without the CA: the run stops at the model check with a certificate error.
    let out = eval_cli_output(&double.url, &dir.path().join("plain"), &[], &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("invalid peer certificate") && stderr.contains("--ca-cert"),
        "{stderr}"
    );
    assert_eq!(double.generation_hits(), 0);

    // With it: the whole evaluation, streamed over https.
    let out = eval_cli_output(
        &double.url,
        &dir.path().join("tls"),
        &[],
        &["--ca-cert", ca.to_str().unwrap()],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["status"], "complete", "{summary}");
    assert_expected_scores(&summary["scores"]);
    assert_eq!(double.hits("/v1/chat/completions"), 12);
    assert_eq!(double.last_body()["stream"], true);
}

#[test]
fn eval_with_two_sandbox_urls_spreads_executions_and_matches_the_in_process_run() {
    if !require_sandbox("eval_with_two_sandbox_urls") {
        return;
    }
    let a = Server::start(&[]);
    let b = Server::start(&[]);
    let (_rt, double) = double();
    let dir = tempfile::tempdir().unwrap();

    let started = Instant::now();
    let remote = eval_cli(&double.url, &dir.path().join("remote"), &[&a.base, &b.base]);
    eprintln!("remote run: {:?}", started.elapsed());
    let started = Instant::now();
    let local = eval_cli(&double.url, &dir.path().join("local"), &[]);
    eprintln!("in-process run: {:?}", started.elapsed());

    assert_eq!(remote["status"], "complete", "{remote}");
    assert_expected_scores(&remote["scores"]);
    assert_eq!(remote["scores"], local["scores"]);
    let report: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("remote/report/report.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(scores_of(&report), remote["scores"]);

    // Both servers ran executions, and between them every execution of the run.
    let (on_a, on_b) = (stats_executions(&a), stats_executions(&b));
    assert!(on_a > 0 && on_b > 0, "executions: {on_a} on A, {on_b} on B");
    assert_eq!(
        on_a + on_b,
        remote["progress"]["executions"].as_u64().unwrap(),
        "{remote}"
    );
    let metrics = client()
        .get(b.url("/metrics"))
        .header("accept", "text/plain")
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        metrics.contains("language=\"python\""),
        "B's metrics lack python executions: {metrics}"
    );
    a.assert_no_sandbox_left();
    b.assert_no_sandbox_left();
}

#[test]
fn an_eval_interrupted_by_a_server_restart_resumes_to_the_same_report() {
    if !require_sandbox("an_eval_interrupted_by_a_server_restart") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("evals.sqlite");
    let args = [
        "--eval-dataset-dir",
        FIXTURE_DIR,
        "--eval-db",
        db.to_str().unwrap(),
        "--shutdown-grace",
        "2s",
    ];
    // The "bad" model is slow on reverse-words: the run is still going when the server stops.
    let inner = script();
    let slow: support::Script = Arc::new(move |a: &Asked| match inner(a) {
        Answer::Text(t) if a.model == "bad" && a.prompt.contains("Reverse the words") => {
            Answer::Slow(Duration::from_secs(3), t)
        }
        other => other,
    });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let double = rt.block_on(support::start(&["good", "bad"], &[], slow));
    let request = json!({
        "models": ["good", "bad"], "dataset": format!("problems:{FIXTURE}"),
        "backend": "openai", "url": double.url, "language": "python",
        "samples": 2, "k": [1, 2], "concurrency": 4,
    });

    let mut first = Server::start(&args);
    let (status, created) = post(&first, "/api/v1/evals", &request);
    assert_eq!(status, 202, "{created}");
    let id = created["id"].as_str().unwrap().to_string();
    let until = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, run) = get(&first, &format!("/api/v1/evals/{id}"));
        let done = run["progress"]["done"].as_u64().unwrap();
        if done >= 4 {
            assert!(done < 12, "the run ended before the restart: {run}");
            break;
        }
        assert!(Instant::now() < until, "no progress: {run}");
        std::thread::sleep(Duration::from_millis(50));
    }
    first.signal("TERM");
    assert!(
        first.wait(Duration::from_secs(20)).is_some(),
        "the server did not stop"
    );

    let second = Server::start(&args);
    let (_, run) = get(&second, &format!("/api/v1/evals/{id}"));
    assert_eq!(run["status"], "interrupted", "{run}");
    let stored = run["progress"]["done"].as_u64().unwrap();
    assert!((4..12).contains(&stored), "{run}");
    let (status, resumed) = post(&second, &format!("/api/v1/evals/{id}/resume"), &json!({}));
    assert_eq!(status, 202, "{resumed}");
    let (status, again) = post(&second, &format!("/api/v1/evals/{id}/resume"), &json!({}));
    assert_eq!(
        status, 409,
        "a running run cannot be resumed twice: {again}"
    );
    let until = Instant::now() + Duration::from_secs(40);
    let run = loop {
        let (_, run) = get(&second, &format!("/api/v1/evals/{id}"));
        if run["status"] != "running" {
            break run;
        }
        assert!(Instant::now() < until, "the resumed run did not end: {run}");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(run["status"], "complete", "{run}");
    assert_eq!(run["progress"]["done"], 12, "{run}");
    assert_eq!(run["progress"]["passed"], 8, "{run}");
    assert_eq!(run["progress"]["eta_secs"], 0.0, "{run}");
    let (_, report) = get(&second, &format!("/api/v1/evals/{id}/report"));
    assert_expected_scores(&scores_of(&report));
    // Samples judged before the restart were not generated again.
    let asked = double.hits("/v1/chat/completions") as u64;
    assert!(
        (12..=12 + (12 - stored)).contains(&asked),
        "{asked} generations for 12 samples, {stored} judged before the restart"
    );
    second.assert_no_sandbox_left();
}

#[test]
fn cancelling_an_eval_stops_it_quickly_leaves_nothing_running_and_it_resumes() {
    if !require_sandbox("cancelling_an_eval") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("evals.sqlite");
    let server = Server::start(&[
        "--eval-dataset-dir",
        FIXTURE_DIR,
        "--eval-db",
        db.to_str().unwrap(),
    ]);
    // "good" answers at once; "bad" takes a minute to answer the first time it is asked;
    // "sleepy" answers the first time with a program that sleeps 3 s under a marker
    // (in the sandbox, within the run's 5 s limit). Asked again (after the resume), both
    // answer at once.
    let marker = format!("localeval-cancel-marker-{}", std::process::id());
    let inner = script();
    let sleeper = format!(
        "```python\nimport os, sys\nos.execv(sys.executable, [sys.executable, '-c', 'import time; time.sleep(3)', '{marker}'])\n```"
    );
    let slow: support::Script = Arc::new(move |a: &Asked| match (a.model.as_str(), a.attempt) {
        ("bad", 0) => match inner(a) {
            Answer::Text(t) => Answer::Slow(Duration::from_secs(60), t),
            other => other,
        },
        ("sleepy", 0) => Answer::Text(sleeper.clone()),
        _ => inner(a),
    });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let double = rt.block_on(support::start(&["good", "bad", "sleepy"], &[], slow));
    let request = json!({
        "models": ["good", "bad", "sleepy"], "dataset": format!("problems:{FIXTURE}"),
        "backend": "openai", "url": double.url, "language": "python",
        "samples": 2, "k": [1, 2], "concurrency": 18, "time_floor_ms": 5000,
    });
    let (status, created) = post(&server, "/api/v1/evals", &request);
    assert_eq!(status, 202, "{created}");
    let id = created["id"].as_str().unwrap().to_string();

    // Mid-run: some samples judged, the slow generations in flight, a sleeper in the sandbox.
    let until = Instant::now() + Duration::from_secs(60);
    let (sleepers, cgroups) = loop {
        let (_, run) = get(&server, &format!("/api/v1/evals/{id}"));
        let pids = processes_with(&marker);
        if run["progress"]["done"].as_u64().unwrap() >= 6 && !pids.is_empty() {
            let cgroups: Vec<_> = pids.iter().flat_map(|p| run_cgroups_of(*p)).collect();
            break (pids, cgroups);
        }
        assert_eq!(run["status"], "running", "{run}");
        assert!(Instant::now() < until, "the run did not get going: {run}");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(
        double.open_answers(),
        6,
        "bad's six slow answers are in flight"
    );
    let (_, health) = get(&server, "/health");
    if health["cgroup_mode"] != "none" {
        assert!(
            !cgroups.is_empty(),
            "the sleepers' run cgroups were not found"
        );
    }
    // Someone watches the progress stream.
    let events_url = server.url(&format!("/api/v1/evals/{id}/events?interval_ms=100"));
    let watcher = std::thread::spawn(move || {
        let stream = client().get(events_url).send().unwrap();
        BufReader::new(stream)
            .lines()
            .map(|l| serde_json::from_str::<Value>(&l.unwrap()).unwrap())
            .collect::<Vec<Value>>()
    });
    std::thread::sleep(Duration::from_millis(300));

    let cancelling = Instant::now();
    let (status, cancelled) = post(&server, &format!("/api/v1/evals/{id}/cancel"), &json!({}));
    let took = cancelling.elapsed();
    assert_eq!(status, 200, "{cancelled}");
    assert_eq!(cancelled["status"], "cancelled", "{cancelled}");
    assert!(
        cancelled["message"].as_str().unwrap().contains("--resume"),
        "{cancelled}"
    );
    assert!(took < Duration::from_secs(5), "cancel took {took:?}");
    eprintln!("cancel answered in {took:?}");
    // The progress stream ended, on the cancelled state.
    let lines = watcher.join().unwrap();
    // (The status is stored just before the run's task ends: a poll in between shows it
    // once more.)
    let statuses: Vec<&str> = lines
        .iter()
        .map(|l| l["status"].as_str().unwrap())
        .collect();
    let first_cancelled = statuses.iter().position(|s| *s == "cancelled");
    assert!(
        first_cancelled.is_some_and(|i| i >= 1 && statuses.len() - i <= 2),
        "{statuses:?}"
    );
    assert!(
        statuses[..first_cancelled.unwrap()]
            .iter()
            .all(|s| *s == "running")
            && statuses[first_cancelled.unwrap()..]
                .iter()
                .all(|s| *s == "cancelled"),
        "{statuses:?}"
    );
    // Generation stopped: the slow answers were abandoned, nothing new is asked.
    let asked = double.generation_hits();
    let until = Instant::now() + Duration::from_secs(5);
    while double.open_answers() > 0 {
        assert!(
            Instant::now() < until,
            "{} answers still open",
            double.open_answers()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        double.generation_hits(),
        asked,
        "asked the model after the cancel"
    );
    // The sleepers in the sandbox end within their limit; nothing of them is left.
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        let left: Vec<u32> = sleepers
            .iter()
            .copied()
            .filter(|p| processes_with(&marker).contains(p))
            .collect();
        let dirs: Vec<_> = cgroups.iter().filter(|d| d.exists()).collect();
        if left.is_empty() && dirs.is_empty() {
            break;
        }
        assert!(
            Instant::now() < until,
            "left after the cancel: processes {left:?}, cgroups {dirs:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    eprintln!(
        "the sandbox was clear {:?} after the cancel",
        cancelling.elapsed()
    );
    server.assert_no_sandbox_left();

    // The stored run: cancelled, its partial report fetchable.
    let (_, run) = get(&server, &format!("/api/v1/evals/{id}"));
    assert_eq!(run["status"], "cancelled", "{run}");
    let done = run["progress"]["done"].as_u64().unwrap();
    assert!((6..18).contains(&done), "{run}");
    let (status, report) = get(&server, &format!("/api/v1/evals/{id}/report"));
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["status"], "cancelled");
    let models = report["models"].as_array().unwrap();
    let judged: u64 = models.iter().map(|m| m["samples"].as_u64().unwrap()).sum();
    assert_eq!(judged, done, "{report}");
    let bad = models.iter().find(|m| m["model"] == "bad").unwrap();
    assert_eq!(bad["samples"], 0, "bad never answered: {bad}");
    // Cancelling again: not running.
    let (status, again) = post(&server, &format!("/api/v1/evals/{id}/cancel"), &json!({}));
    assert_eq!(status, 409, "{again}");
    assert!(
        again["error"].as_str().unwrap().contains("cancelled"),
        "{again}"
    );
    let (status, _) = post(&server, "/api/v1/evals/run-nope/cancel", &json!({}));
    assert_eq!(status, 404);

    // Resumed, it completes, without asking again what it already had.
    let (status, resumed) = post(&server, &format!("/api/v1/evals/{id}/resume"), &json!({}));
    assert_eq!(status, 202, "{resumed}");
    let until = Instant::now() + Duration::from_secs(60);
    let run = loop {
        let (_, run) = get(&server, &format!("/api/v1/evals/{id}"));
        if run["status"] != "running" {
            break run;
        }
        assert!(Instant::now() < until, "the resumed run did not end: {run}");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(run["status"], "complete", "{run}");
    assert_eq!(run["progress"]["done"], 18, "{run}");
    // Samples judged before the cancel are not redone; of the others, only bad's six (whose
    // answers never came) are asked again, the rest reuse their stored generation.
    let p = &run["progress"];
    assert_eq!(p["generation_requests"], 6, "{run}");
    assert_eq!(
        p["cached_generations"].as_u64().unwrap() + 6,
        18 - done,
        "{run}"
    );
    let (_, report) = get(&server, &format!("/api/v1/evals/{id}/report"));
    let bad = report["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["model"] == "bad")
        .unwrap()
        .clone();
    assert_eq!(
        (bad["samples"].as_u64(), bad["passed"].as_u64()),
        (Some(6), Some(2)),
        "{bad}"
    );
    server.assert_no_sandbox_left();
}
