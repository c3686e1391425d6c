//! The HTTP surface against a real server and real sandboxes: every request shape and its
//! exact response shape, every error case, streaming, the judge, history, metrics.

mod server_support;

use serde_json::{json, Value};
use server_support::*;

fn server() -> Option<Server> {
    require_sandbox("server_api").then(|| Server::start(&[]))
}

#[test]
fn execute_answers_with_the_older_fields_and_the_full_outcome() {
    let Some(s) = server() else { return };
    let (status, r) = post(
        &s,
        "/execute",
        &json!({"language": "python", "source_code": "print(6*7)", "timeout_ms": 5000}),
    );
    assert_eq!(status, 200, "{r}");
    assert_eq!(keys(&r), EXECUTE_FIELDS);
    assert_eq!(r["stdout"], "42\n");
    assert_eq!(r["stderr"], "");
    assert_eq!(r["exit_code"], 0);
    assert_eq!(r["error"], "");
    assert_eq!(r["process_status"], "completed");
    assert_eq!(r["status"], "success");
    assert_eq!(r["verdict"], "OK");
    assert_eq!(r["timeout"], false);
    assert_eq!(r["memory_exceeded"], false);
    assert!(r["execution_time_ms"].as_u64().is_some());
    assert!(r["memory_used_mb"].as_u64().unwrap() > 0, "{r}");
    assert_eq!(r["localeval"]["verdict"], "OK");
    assert_eq!(r["localeval"]["provenance"]["rootfs"], "host");
    assert_eq!(
        r["localeval"]["provenance"]["enforced"]["limits"]["wall_ms"],
        5000
    );
    assert_eq!(r["execution_id"].as_str().unwrap().len(), 36);

    // The /api/v1 shape: code, input, timeout_seconds, memory_limit_mb, cpu_limit.
    let (status, r) = post(
        &s,
        "/api/v1/execute",
        &json!({"language": "javascript",
                "code": "process.stdout.write(require('fs').readFileSync(0,'utf8').toUpperCase())",
                "input": "abc", "timeout_seconds": 5, "memory_limit_mb": 256, "cpu_limit": 0.5}),
    );
    assert_eq!(status, 200, "{r}");
    assert_eq!(keys(&r), EXECUTE_FIELDS);
    assert_eq!(r["stdout"], "ABC");
    let limits = &r["localeval"]["provenance"]["enforced"]["limits"];
    assert_eq!(limits["memory_bytes"], 256u64 << 20);
    assert_eq!(limits["cpu_millis"], 500);
    assert_eq!(limits["wall_ms"], 5000);

    // `timeout` in seconds, a limit far above the maximum is clamped, not refused.
    let (status, r) = post(
        &s,
        "/api/v1/execute",
        &json!({"language": "bash", "code": "echo $((1+2))", "timeout": 100000}),
    );
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["stdout"], "3\n");
    assert_eq!(
        r["localeval"]["provenance"]["enforced"]["limits"]["wall_ms"],
        60000
    );
}

#[test]
fn generated_code_may_be_fenced_or_a_dict_literal() {
    let Some(s) = server() else { return };
    for generated in [
        "print('gen')",
        "```python\nprint('gen')\n```",
        "Here is the answer:\n```py\nprint('gen')\n```\nDone.",
        "{'generated_code': 'print(\\'gen\\')'}",
        "{\"generated_code\": \"```python\\nprint('gen')\\n```\"}",
    ] {
        let (status, r) = post(
            &s,
            "/execute",
            &json!({"language": "python", "generated_code": generated, "timeout": 10}),
        );
        assert_eq!(status, 200, "{generated:?}: {r}");
        assert_eq!(r["stdout"], "gen\n", "{generated:?}: {r}");
    }
    // No language: Python, as the older /execute service.
    let (status, r) = post(&s, "/execute", &json!({"code": "print('default')"}));
    assert_eq!((status, r["stdout"].as_str()), (200, Some("default\n")));
}

#[test]
fn verdicts_map_to_the_older_status_fields() {
    let Some(s) = server() else { return };
    let run = |language: &str, code: &str, extra: Value| {
        let mut body = json!({"language": language, "code": code});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (status, r) = post(&s, "/api/v1/execute", &body);
        assert_eq!(status, 200, "{r}");
        r
    };
    let r = run("python", "import sys; print('x'); sys.exit(3)", json!({}));
    assert_eq!(
        (
            r["verdict"].as_str(),
            r["status"].as_str(),
            r["process_status"].as_str()
        ),
        (Some("RE"), Some("failed"), Some("error"))
    );
    assert_eq!(r["exit_code"], 3);
    assert_eq!(r["stdout"], "x\n");

    let r = run("python", "while True: pass", json!({"timeout_ms": 500}));
    assert_eq!(r["verdict"], "TLE", "{r}");
    assert_eq!(r["process_status"], "timeout");
    assert_eq!(r["status"], "timeout");
    assert_eq!(r["timeout"], true);
    assert!(r["error"].as_str().unwrap().contains("time limit"));

    let r = run(
        "python",
        "x = bytearray(400 << 20)\nprint(len(x))",
        json!({"memory_limit_mb": 64}),
    );
    assert_eq!(r["verdict"], "MLE", "{r}");
    assert_eq!(r["memory_exceeded"], true);
    assert_eq!(r["status"], "memory_exceeded");

    let r = run("c", "int main() { return syntax error; }", json!({}));
    assert_eq!(r["verdict"], "CE", "{r}");
    assert_eq!(r["process_status"], "error");
    assert_eq!(r["status"], "compile_error");
    assert!(r["stderr"].as_str().unwrap().contains("error"), "{r}");
    assert!(r["error"]
        .as_str()
        .unwrap()
        .starts_with("compilation failed"));

    let r = run(
        "python",
        "print('y' * 100000)",
        json!({"limits": {"output_bytes": 1000}}),
    );
    assert_eq!(r["verdict"], "OLE", "{r}");
    assert_eq!(r["localeval"]["stdout"]["truncated"], true);
}

#[test]
fn bad_requests_get_exact_json_errors_never_a_500() {
    let Some(s) = server() else { return };
    // `/execute` adds NVIDIA's fields to the error (README, Compatibility); the other routes
    // answer the plain `{"error"}`.
    let nvidia_error = |message: &str| json!({"error": message, "process_status": "error", "stdout": "", "stderr": message});
    let (status, r) = post(
        &s,
        "/execute",
        &json!({"language": "cobol", "source_code": "x"}),
    );
    assert_eq!(
        (status, r),
        (400, nvidia_error("unsupported language: cobol"))
    );
    let (status, r) = post(
        &s,
        "/execute",
        &json!({"language": "python", "source_code": ""}),
    );
    assert_eq!(
        (status, r),
        (400, nvidia_error("source_code cannot be empty"))
    );
    let (status, r) = post(&s, "/api/v1/execute", &json!({"language": "python"}));
    assert_eq!(
        (status, r),
        (400, json!({"error": "source_code cannot be empty"}))
    );

    let bad_bodies: Vec<(&str, Vec<u8>)> = vec![
        ("wrong type", br#"{"language":"python","code":5}"#.to_vec()),
        (
            "timeout as a string",
            br#"{"code":"print(1)","timeout":"5"}"#.to_vec(),
        ),
        (
            "negative timeout",
            br#"{"code":"print(1)","timeout_ms":-5}"#.to_vec(),
        ),
        ("not JSON", b"print(1)".to_vec()),
        ("truncated JSON", br#"{"code":"#.to_vec()),
        ("not UTF-8", b"{\"code\":\"\xff\xfe\"}".to_vec()),
        ("an array", b"[1,2]".to_vec()),
        ("empty body", Vec::new()),
        (
            "deep nesting",
            format!(
                "{{\"code\":\"x\",\"z\":{}{}}}",
                "[".repeat(200),
                "]".repeat(200)
            )
            .into_bytes(),
        ),
        (
            "escaping path",
            br#"{"code":"print(1)","files":[{"name":"../x","content":"a"}]}"#.to_vec(),
        ),
        (
            "bad base64",
            br#"{"code":"print(1)","files":[{"name":"x","content":"@@","encoding":"base64"}]}"#
                .to_vec(),
        ),
        (
            "unknown limit",
            br#"{"code":"print(1)","limits":{"bogus":1}}"#.to_vec(),
        ),
    ];
    for (what, body) in bad_bodies {
        for path in [
            "/execute",
            "/api/v1/execute",
            "/api/v1/execute/stream",
            "/api/v1/judge",
        ] {
            let (status, _, text) = post_raw(&s, path, body.clone());
            assert_eq!(status, 400, "{what} at {path}: {text}");
            let v: Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("{what}: {text}"));
            if path == "/execute" {
                assert_eq!(v, nvidia_error(v["error"].as_str().unwrap()), "{what}");
            } else {
                assert_eq!(keys(&v), ["error"], "{what}: {text}");
            }
        }
    }

    // Larger than the body limit (10 MiB by default): 413 with a JSON error.
    let big = format!("{{\"code\":\"{}\"}}", "x".repeat(11 << 20));
    let (status, _, text) = post_raw(&s, "/execute", big.into_bytes());
    assert_eq!(status, 413, "{text}");
    assert!(text.contains("larger than the limit"), "{text}");

    let (status, r) = get(&s, "/no/such/route");
    assert_eq!(
        (status, r),
        (404, json!({"error": "no route for GET /no/such/route"}))
    );
    let (status, r) = get(&s, "/execute");
    assert_eq!(
        (status, &r),
        (405, &nvidia_error(r["error"].as_str().unwrap()))
    );
    let (status, r) = get(&s, "/api/v1/executions/nope");
    assert_eq!((status, keys(&r)), (404, vec!["error".to_string()]));
    let (status, r) = get(&s, "/api/v1/executions?limit=abc");
    assert_eq!((status, keys(&r)), (400, vec!["error".to_string()]));

    let (_, stats) = get(&s, "/api/v1/stats");
    assert!(stats["total_errors"].as_u64().unwrap() >= 48, "{stats}");
}

#[test]
fn files_go_in_and_named_files_come_back() {
    let Some(s) = server() else { return };
    let (status, r) = post(
        &s,
        "/api/v1/execute",
        &json!({
            "language": "c",
            "code": "#include \"util.h\"\n#include <stdio.h>\nint main(){ FILE*f=fopen(\"out.txt\",\"w\"); fprintf(f,\"%d\", twice(21)); fclose(f); printf(\"%d\\n\", twice(4)); return 0; }",
            "files": [
                {"name": "util.h", "content": "static int twice(int x) { return 2 * x; }\n"},
                {"name": "data/blob.bin", "content": "AAEC", "encoding": "base64"}
            ],
            "return_files": ["out.txt", "missing.txt"]
        }),
    );
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["stdout"], "8\n", "{r}");
    let files = r["localeval"]["files"].as_array().expect("returned files");
    let out = files
        .iter()
        .find(|f| f["name"] == "out.txt")
        .expect("out.txt");
    assert_eq!(out["base64"], "NDI="); // "42"
    let missing = files
        .iter()
        .find(|f| f["name"] == "missing.txt")
        .expect("missing.txt");
    assert!(missing["error"].is_string(), "{missing}");
}

#[test]
fn streaming_delivers_output_in_order_then_the_result() {
    let Some(s) = server() else { return };
    let body = json!({"language": "python", "code":
        "import sys, time\nfor i in range(3):\n    print(i, flush=True)\n    time.sleep(0.1)\nsys.stderr.write('done\\n')"});
    // NDJSON.
    let response = client()
        .post(s.url("/api/v1/execute/stream"))
        .json(&body)
        .send()
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "application/x-ndjson"
    );
    let text = response.text().unwrap();
    let events: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let stdout: String = events
        .iter()
        .filter(|e| e["event"] == "stdout")
        .map(|e| e["data"].as_str().unwrap())
        .collect();
    assert_eq!(stdout, "0\n1\n2\n");
    let stderr_at = events.iter().position(|e| e["event"] == "stderr").unwrap();
    let last_stdout = events.iter().rposition(|e| e["event"] == "stdout").unwrap();
    assert!(last_stdout < stderr_at, "{text}");
    let last = events.last().unwrap();
    assert_eq!(last["event"], "result", "{text}");
    assert_eq!(keys(&last["result"]), EXECUTE_FIELDS);
    assert_eq!(last["result"]["stdout"], "0\n1\n2\n");
    assert_eq!(last["result"]["verdict"], "OK");
    // The chunks came as produced: more than one stdout event for three flushed prints.
    assert!(
        events.iter().filter(|e| e["event"] == "stdout").count() >= 2,
        "{text}"
    );

    // Server-sent events.
    let response = client()
        .post(s.url("/api/v1/execute/stream"))
        .header("accept", "text/event-stream")
        .json(&json!({"language": "bash", "code": "echo one; echo two >&2"}))
        .send()
        .unwrap();
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    let text = response.text().unwrap();
    let names: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("event: "))
        .collect();
    assert_eq!(names.last(), Some(&"result"), "{text}");
    assert!(
        names.contains(&"stdout") && names.contains(&"stderr"),
        "{text}"
    );

    // A refusal before streaming keeps its status.
    let (status, r) = post(
        &s,
        "/api/v1/execute/stream",
        &json!({"language": "cobol", "code": "x"}),
    );
    assert_eq!(
        (status, r),
        (400, json!({"error": "unsupported language: cobol"}))
    );
}

#[test]
fn the_judge_compiles_once_and_gives_per_test_verdicts() {
    let Some(s) = server() else { return };
    let code = r#"#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main() {
    long a, b;
    if (scanf("%ld %ld", &a, &b) != 2) return 1;
    if (a == 7) for (;;) {}
    if (a == 8) { char *p = malloc(400 << 20); memset(p, 1, 400 << 20); printf("%c", p[9]); }
    if (a == 9) { for (;;) fputs("flood flood flood\n", stdout); }
    if (a == 6) return 4;
    printf("%ld\n", a + b);
    return 0;
}"#;
    let body = json!({
        "language": "c", "code": code, "timeout_ms": 1000, "memory_limit_mb": 64,
        "limits": {"output_bytes": 4096},
        "tests": [
            {"input": "1 2", "expected_output": "3"},
            {"input": "2 2", "expected_output": "5"},
            {"input": "7 0", "expected_output": "7"},
            {"input": "8 0", "expected_output": "8"},
            {"input": "6 0", "expected_output": "6"},
            {"input": "9 0", "expected_output": "9"},
            {"name": "spaces", "stdin": "10 10", "expected": "  20  \n\n"}
        ]
    });
    let (status, r) = post(&s, "/api/v1/judge", &body);
    assert_eq!(status, 200, "{r}");
    let verdicts: Vec<&str> = r["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["verdict"].as_str().unwrap())
        .collect();
    assert_eq!(
        verdicts,
        ["AC", "WA", "TLE", "MLE", "RE", "OLE", "AC"],
        "{r}"
    );
    assert_eq!(r["verdict"], "WA");
    assert_eq!(
        (r["passed"].as_u64(), r["total"].as_u64()),
        (Some(2), Some(7))
    );
    assert_eq!(r["compile"]["verdict"], "OK");
    assert_eq!(r["tests"][6]["name"], "spaces");
    let first = &r["tests"][0];
    assert!(first["time_ms"].as_u64().is_some() && first["memory_bytes"].as_u64().unwrap() > 0);

    // Stop at the first failure: the rest are skipped.
    let mut stop = body.clone();
    stop["stop_at_first_failure"] = json!(true);
    let (_, r) = post(&s, "/api/v1/judge", &stop);
    let verdicts: Vec<&str> = r["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["verdict"].as_str().unwrap())
        .collect();
    assert_eq!(verdicts[..3], ["AC", "WA", "SKIPPED"], "{r}");

    // Exact comparison refuses what whitespace comparison accepts; float tolerates.
    let py = json!({"language": "python", "code": "print(input().strip() + ' ')", "compare": "exact",
                    "tests": [{"input": "a", "expected_output": "a \n"}, {"input": "a", "expected_output": "a\n"}]});
    let (_, r) = post(&s, "/api/v1/judge", &py);
    assert_eq!(r["tests"][0]["verdict"], "AC", "{r}");
    assert_eq!(r["tests"][1]["verdict"], "WA", "{r}");
    let float = json!({"language": "python", "code": "print(1/3)", "compare": "float",
                       "tests": [{"expected_output": "0.333333"}, {"expected_output": "0.3334"}]});
    let (_, r) = post(&s, "/api/v1/judge", &float);
    assert_eq!(r["tests"][0]["verdict"], "AC", "{r}");
    assert_eq!(r["tests"][1]["verdict"], "WA", "{r}");

    // A compile error: CE, nothing runs.
    let ce = json!({"language": "cpp", "code": "int main( {", "tests": [{"expected_output": ""}]});
    let (_, r) = post(&s, "/api/v1/judge", &ce);
    assert_eq!(r["verdict"], "CE", "{r}");
    assert_eq!(r["tests"][0]["verdict"], "SKIPPED");

    let (status, r) = post(
        &s,
        "/api/v1/judge",
        &json!({"language": "python", "code": "x", "tests": []}),
    );
    assert_eq!(
        (status, r),
        (400, json!({"error": "tests cannot be empty"}))
    );
}

#[test]
fn info_routes_history_metrics_and_openapi() {
    let Some(s) = server() else { return };
    let (status, r) = get(&s, "/ping");
    assert_eq!((status, r), (200, json!({"status": "ok"})));
    for path in ["/health", "/api/v1/health"] {
        let (status, r) = get(&s, path);
        assert_eq!(status, 200);
        assert!(
            ["v1", "v2", "none"].contains(&r["cgroup_mode"].as_str().unwrap()),
            "{r}"
        );
        assert_eq!(r["host"]["cgroup_mode"], r["cgroup_mode"]);
        assert!(r["isolation"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i == "seccomp"));
        assert!(r["languages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l == "python"));
    }
    let (_, c) = get(&s, "/api/v1/config");
    assert_eq!(c["max_limits"]["wall_ms"], 60000);
    assert_eq!(c["default_limits"]["wall_ms"], 10000);
    assert_eq!(c["rate_limit"], Value::Null);
    assert_eq!(c["auth_required"], false);
    assert!(c["languages"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l["name"] == "go" && l["compiled"] == true));
    let (_, l) = get(&s, "/api/v1/languages");
    assert_eq!(l["languages"], c["languages"]);

    let mut ids = Vec::new();
    for i in 0..3 {
        let (_, r) = post(&s, "/execute", &json!({"code": format!("print({i})")}));
        ids.push(r["execution_id"].as_str().unwrap().to_string());
    }
    let (status, page) = get(&s, "/api/v1/executions?limit=2");
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["total"], 3);
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    assert_eq!(page["items"][0]["execution_id"], ids[2].as_str());
    let (_, page2) = get(&s, "/api/v1/executions?limit=2&offset=2");
    assert_eq!(page2["items"][0]["execution_id"], ids[0].as_str());
    let (status, one) = get(&s, &format!("/api/v1/executions/{}", ids[1]));
    assert_eq!(status, 200);
    assert_eq!(one["language"], "python");
    assert_eq!(one["verdict"], "OK");
    assert_eq!(one["response"]["stdout"], "1\n");

    let text = client()
        .get(s.url("/metrics"))
        .header("accept", "text/plain")
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        text.contains(r#"localeval_executions_total{language="python",verdict="OK"} 3"#),
        "{text}"
    );
    assert!(text.contains(r#"localeval_http_requests_total{route="/execute",status="200"} 3"#));
    assert!(text.contains("localeval_execution_duration_seconds_bucket"));
    assert!(text.contains("localeval_queue_depth"));
    assert!(text.contains("localeval_running_sandboxes"));
    let counters: Value = client()
        .get(s.url("/metrics"))
        .header("accept", "application/json")
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert!(
        counters["total_requests"].as_u64().unwrap() >= 9,
        "{counters}"
    );
    assert_eq!(counters["total_errors"], 0);

    let (status, doc) = get(&s, "/openapi.json");
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/execute",
        "/api/v1/execute",
        "/api/v1/execute/stream",
        "/api/v1/judge",
        "/ping",
        "/metrics",
        "/api/v1/executions/{id}",
    ] {
        assert!(
            doc["paths"][path].is_object(),
            "{path} missing from the OpenAPI document"
        );
    }
    let props = &doc["components"]["schemas"]["ExecuteResponse"]["properties"];
    for field in EXECUTE_FIELDS {
        assert!(props[field].is_object(), "ExecuteResponse.{field} missing");
    }
}

#[test]
fn the_history_keeps_full_responses_within_its_byte_bounds() {
    if !require_sandbox("history bounds") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("serve.toml");
    // A small response is about 1.2 KB: three fit in 4K.
    std::fs::write(
        &config,
        "[history]\nmax_bytes = \"4K\"\nmax_response_bytes = \"2K\"\n",
    )
    .unwrap();
    let s = Server::start(&["--config", config.to_str().unwrap()]);
    let mut ids = Vec::new();
    for i in 0..5 {
        let (status, r) = post(&s, "/execute", &json!({"code": format!("print({i})")}));
        assert_eq!(status, 200, "{r}");
        ids.push(r["execution_id"].as_str().unwrap().to_string());
    }
    let (_, big) = post(&s, "/execute", &json!({"code": "print('x' * 3000)"}));
    assert_eq!(big["verdict"], "OK", "{big}");
    let (_, page) = get(&s, "/api/v1/executions?limit=10");
    assert_eq!(page["total"], 6, "every execution is listed: {page}");
    assert_eq!(page["items"][0]["execution_id"], big["execution_id"]);
    // Larger than max_response_bytes: its summary only, and nothing else was evicted.
    let (status, one) = get(
        &s,
        &format!(
            "/api/v1/executions/{}",
            big["execution_id"].as_str().unwrap()
        ),
    );
    assert_eq!((status, &one["verdict"]), (200, &json!("OK")));
    assert_eq!(one["response"], Value::Null, "{one}");
    // The newest small ones keep their full response, within 4K; the oldest lost theirs.
    let responses: Vec<Value> = ids
        .iter()
        .map(|id| get(&s, &format!("/api/v1/executions/{id}")).1["response"].clone())
        .collect();
    let kept = responses.iter().filter(|r| !r.is_null()).count();
    assert!((1..5).contains(&kept), "{kept} of 5 kept: {responses:?}");
    assert!(responses[..5 - kept].iter().all(Value::is_null));
    let mut kept_bytes = 0;
    for (i, r) in responses.iter().enumerate().skip(5 - kept) {
        assert_eq!(r["stdout"], format!("{i}\n"), "execution {i}: {r}");
        kept_bytes += r.to_string().len();
    }
    assert!(kept_bytes <= 4096, "{kept_bytes} bytes kept");
    // A dropped response leaves its summary.
    let dropped = get(&s, &format!("/api/v1/executions/{}", ids[4 - kept])).1;
    assert_eq!(dropped["verdict"], "OK");
}
