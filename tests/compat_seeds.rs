//! The older services' clients against a real `localeval serve`: each documented request
//! and response shape and error, with real clients where the difference is in the client
//! (curl, Go's net/http and encoding/json, Prometheus's scrape header). README
//! ("Compatibility") lists every route and every deliberate difference.

mod server_support;

use std::io::{Read, Write};
use std::process::Command;

use serde_json::{json, Value};
use server_support::*;

fn server() -> Option<Server> {
    require_sandbox("compat_seeds").then(|| Server::start(&[]))
}

/// One GET over a fresh connection with exactly `headers`; status, content type, body.
fn raw_get(s: &Server, path: &str, headers: &[&str]) -> (u16, String, String) {
    let address = s.base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    let mut request = format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n");
    for h in headers {
        request.push_str(h);
        request.push_str("\r\n");
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).unwrap();
    let answer = String::from_utf8(answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let content_type = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-type:")
                .map(|v| v.trim().to_string())
        })
        .unwrap_or_default();
    (status, content_type, body.to_string())
}

/// Prometheus 2.x's scrape `Accept` header (scrape/scrape.go, `scrapeAcceptHeader`).
const PROMETHEUS_2_ACCEPT: &str = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
/// Prometheus 3.x's, with the protobuf format first.
const PROMETHEUS_3_ACCEPT: &str = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.6,application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1";

#[test]
fn metrics_are_json_for_curl_and_go_and_text_for_prometheus() {
    let Some(s) = server() else { return };
    // The exact requests: curl 7.88 (`Accept: */*`), Go's http.Get (no Accept).
    for headers in [
        &["User-Agent: curl/7.88.1", "Accept: */*"][..],
        &["User-Agent: Go-http-client/1.1", "Accept-Encoding: gzip"][..],
        &["Accept: application/json"][..],
    ] {
        let (status, content_type, body) = raw_get(&s, "/metrics", headers);
        assert_eq!(status, 200);
        assert!(
            content_type.starts_with("application/json"),
            "{headers:?}: {content_type}"
        );
        let counters: Value = serde_json::from_str(&body).unwrap();
        assert!(counters["total_requests"].is_u64(), "{body}");
        assert!(counters["total_errors"].is_u64(), "{body}");
    }
    for (accept, wanted) in [
        (PROMETHEUS_2_ACCEPT, "application/openmetrics-text"),
        (PROMETHEUS_3_ACCEPT, "application/openmetrics-text"),
        ("text/plain;version=0.0.4", "text/plain"),
        ("text/plain", "text/plain"),
    ] {
        let (status, content_type, body) = raw_get(&s, "/metrics", &[&format!("Accept: {accept}")]);
        assert_eq!(status, 200);
        assert!(content_type.starts_with(wanted), "{accept}: {content_type}");
        assert!(
            body.contains("# TYPE localeval_http_requests counter"),
            "{body}"
        );
        assert!(body.contains("localeval_running_sandboxes"), "{body}");
    }
    // The real curl binary, as the seed's README shows it.
    let out = Command::new("curl")
        .args(["-s", &s.url("/metrics")])
        .output()
        .expect("curl runs");
    let counters: Value = serde_json::from_slice(&out.stdout).expect("curl gets JSON");
    assert!(counters["total_requests"].as_u64().unwrap() >= 1);
}

#[test]
fn seed_000_execute_shapes_and_errors() {
    let Some(s) = server() else { return };
    let (status, r) = post(
        &s,
        "/execute",
        &json!({"language": "python", "source_code": "print('seed')", "timeout_ms": 5000}),
    );
    assert_eq!(status, 200, "{r}");
    assert_eq!(keys(&r), EXECUTE_FIELDS);
    assert_eq!(r["stdout"], "seed\n");
    assert_eq!(r["stderr"], "");
    assert_eq!(r["exit_code"], 0);
    // `error` is a string, empty on success (never null).
    assert_eq!(r["error"], "");
    assert_eq!(r["process_status"], "completed");
    // `timeout` in seconds and the `code` field.
    let (status, r) = post(
        &s,
        "/execute",
        &json!({"language": "python", "code": "print(2)", "timeout": 5}),
    );
    assert_eq!((status, r["stdout"].as_str()), (200, Some("2\n")), "{r}");
    // A timeout: exit_code a number, error says so.
    let (_, r) = post(
        &s,
        "/execute",
        &json!({"language": "python", "source_code": "while True: pass", "timeout_ms": 500}),
    );
    assert_eq!(r["process_status"], "timeout", "{r}");
    assert_eq!(r["exit_code"], 124, "{r}");
    assert!(r["error"].as_str().unwrap().contains("time limit"), "{r}");
    // The documented errors (the error text is the seed's; /execute adds NVIDIA's fields).
    let (status, r) = post(
        &s,
        "/execute",
        &json!({"language": "ruby-9", "source_code": "puts 1"}),
    );
    assert_eq!(status, 400);
    assert_eq!(r["error"], "unsupported language: ruby-9");
    let (status, r) = post(
        &s,
        "/execute",
        &json!({"language": "python", "source_code": ""}),
    );
    assert_eq!(status, 400);
    assert_eq!(r["error"], "source_code cannot be empty");
}

#[test]
fn seed_002_api_v1_shapes_and_errors() {
    let Some(s) = server() else { return };
    let (status, r) = post(
        &s,
        "/api/v1/execute",
        &json!({"language": "python", "code": "print(input()[::-1])", "input": "abc",
                "timeout_seconds": 5, "memory_limit_mb": 128, "cpu_limit": 1}),
    );
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["stdout"], "cba\n");
    assert_eq!(r["status"], "success");
    assert_eq!(r["error"], "");
    assert!(r["execution_id"].is_string());
    assert!(r["execution_time_ms"].is_u64());
    // An integer (a Go int64 field decodes it; so does a float-typed client).
    assert!(r["memory_used_mb"].is_u64(), "{r}");
    let (_, r) = post(
        &s,
        "/api/v1/execute",
        &json!({"language": "python", "code": "import time; time.sleep(5)", "timeout": 1}),
    );
    assert_eq!(
        (r["status"].as_str(), r["timeout"].as_bool()),
        (Some("timeout"), Some(true)),
        "{r}"
    );
    assert!(r["exit_code"].is_i64(), "{r}");
    let (_, r) = post(
        &s,
        "/api/v1/execute",
        &json!({"language": "python", "code": "b = bytearray(300 << 20)", "memory_limit_mb": 64}),
    );
    assert_eq!(
        (r["status"].as_str(), r["memory_exceeded"].as_bool()),
        (Some("memory_exceeded"), Some(true)),
        "{r}"
    );
    assert!(r["exit_code"].is_i64(), "{r}");
    // Errors: plain {"error": ...}.
    let (status, r) = post(
        &s,
        "/api/v1/execute",
        &json!({"language": "ruby-9", "code": "x"}),
    );
    assert_eq!(
        (status, r),
        (400, json!({"error": "unsupported language: ruby-9"}))
    );
    let (status, r) = post(
        &s,
        "/api/v1/execute",
        &json!({"language": "python", "code": ""}),
    );
    assert_eq!(
        (status, r),
        (400, json!({"error": "source_code cannot be empty"}))
    );
    // Health: {"status": "healthy", ...} on a host that enforces every limit.
    for path in ["/health", "/api/v1/health"] {
        let (status, h) = get(&s, path);
        assert_eq!(status, 200);
        let expected =
            if h["host"]["weakened"].as_array().unwrap().is_empty() && h["cgroup_mode"] != "none" {
                "healthy"
            } else {
                "degraded"
            };
        assert_eq!(h["status"], expected, "{h}");
        assert_eq!(h["healthy"], expected == "healthy", "{h}");
    }
    let (status, p) = get(&s, "/ping");
    assert_eq!((status, p), (200, json!({"status": "ok"})));
}

#[test]
fn the_rate_limit_answers_429_too_many_requests_then_recovers() {
    if !require_sandbox("compat_seeds rate limit") {
        return;
    }
    // The seeds' default: 10 a minute, burst 2. A faster rate keeps the test short.
    let s = Server::start(&["--rate-limit", "120/min", "--rate-burst", "2"]);
    let body = json!({"language": "python", "code": "print(1)"});
    let mut limited = None;
    for _ in 0..6 {
        let (status, r) = post(&s, "/api/v1/execute", &body);
        if status == 429 {
            limited = Some(r);
            break;
        }
    }
    let r = limited.expect("a 429 within 6 quick requests");
    assert_eq!(r, json!({"error": "Too many requests"}));
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let (status, r) = post(&s, "/api/v1/execute", &body);
    assert_eq!(status, 200, "{r}");
}

/// A Go client, as the seed 002 clients are: `http.Get`/`http.Post` and `encoding/json`
/// into typed structs (`int64` memory, `int` exit code, `string` error).
const GO_CLIENT: &str = r#"package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
)

type Execution struct {
	ExecutionID     string `json:"execution_id"`
	Status          string `json:"status"`
	Stdout          string `json:"stdout"`
	Stderr          string `json:"stderr"`
	ExitCode        int    `json:"exit_code"`
	Timeout         bool   `json:"timeout"`
	MemoryExceeded  bool   `json:"memory_exceeded"`
	ExecutionTimeMs int64  `json:"execution_time_ms"`
	MemoryUsedMb    int64  `json:"memory_used_mb"`
	Error           string `json:"error"`
}

type Health struct {
	Status string `json:"status"`
}

type Counters struct {
	TotalRequests int64 `json:"total_requests"`
	TotalErrors   int64 `json:"total_errors"`
}

func must(err error) {
	if err != nil {
		fmt.Println("FAIL", err)
		os.Exit(1)
	}
}

func execute(base, code string, timeout float64) Execution {
	body, _ := json.Marshal(map[string]any{"language": "python", "code": code, "timeout_seconds": timeout})
	resp, err := http.Post(base+"/api/v1/execute", "application/json", bytes.NewReader(body))
	must(err)
	defer resp.Body.Close()
	var e Execution
	must(json.NewDecoder(resp.Body).Decode(&e))
	return e
}

func main() {
	base := os.Args[1]
	resp, err := http.Get(base + "/health")
	must(err)
	var h Health
	must(json.NewDecoder(resp.Body).Decode(&h))
	resp, err = http.Get(base + "/metrics")
	must(err)
	var c Counters
	must(json.NewDecoder(resp.Body).Decode(&c))
	ok := execute(base, "print('go client')", 5)
	slow := execute(base, "while True: pass", 0.5)
	fmt.Printf("health=%s requests>0=%v\n", h.Status, c.TotalRequests > 0)
	fmt.Printf("ok=%s %q error=%q memory>0=%v\n", ok.Status, ok.Stdout, ok.Error, ok.MemoryUsedMb > 0)
	fmt.Printf("slow=%s timeout=%v exit=%d\n", slow.Status, slow.Timeout, slow.ExitCode)
}
"#;

#[test]
fn a_go_client_decodes_every_answer_into_typed_fields() {
    let Some(s) = server() else { return };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.go"), GO_CLIENT).unwrap();
    let out = Command::new("go")
        .args(["run", "main.go", &s.base])
        .current_dir(dir.path())
        .env("GO111MODULE", "off")
        .env("GOFLAGS", "-buildvcs=false")
        .output()
        .expect("go runs (scripts/setup.sh installs golang-go)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let healthy = get(&s, "/health").1["status"].as_str().unwrap().to_string();
    assert_eq!(
        stdout,
        format!(
            "health={healthy} requests>0=true\nok=success \"go client\\n\" error=\"\" memory>0=true\n\
             slow=timeout timeout=true exit=124\n"
        )
    );
}

#[test]
fn two_files_where_one_is_the_directory_of_the_other_are_a_400() {
    let Some(s) = server() else { return };
    for files in [
        json!([{"name": "a", "content": "1"}, {"name": "a/b", "content": "2"}]),
        json!([{"name": "d/x/y", "content": "1"}, {"name": "d/x", "content": "2"}]),
    ] {
        let (status, r) = post(
            &s,
            "/api/v1/execute",
            &json!({"language": "python", "code": "print(1)", "files": files}),
        );
        assert_eq!(status, 400, "{r}");
        assert!(
            r["error"]
                .as_str()
                .unwrap()
                .contains("as a file and as the directory"),
            "{r}"
        );
    }
    s.assert_no_sandbox_left();
}
