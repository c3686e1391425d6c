//! `/openapi.json` from a real server: the mistakes a validator and a schema-driven fuzzer
//! found (query parameters declared in the path, duplicate operation ids, streaming routes
//! documented as JSON, bounds missing) stay fixed. The full validation (PyPI's
//! openapi-spec-validator) and the fuzzing (schemathesis) run in scripts/openapi-check.sh.

mod server_support;

use std::collections::BTreeSet;

use serde_json::Value;
use server_support::*;

fn document() -> Option<Value> {
    if !require_sandbox("compat_openapi") {
        return None;
    }
    let s = Server::start(&[]);
    let (status, doc) = get(&s, "/openapi.json");
    assert_eq!(status, 200);
    Some(doc)
}

fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            out.push((path.clone(), method.clone(), op.clone()));
        }
    }
    out
}

#[test]
fn the_document_is_consistent() {
    let Some(doc) = document() else { return };
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let ops = operations(&doc);
    assert!(ops.len() >= 22, "{} operations", ops.len());

    // Operation ids are unique.
    let mut ids = BTreeSet::new();
    for (path, method, op) in &ops {
        let id = op["operationId"]
            .as_str()
            .unwrap_or_else(|| panic!("{method} {path}"));
        assert!(ids.insert(id.to_string()), "duplicate operationId {id}");
    }

    // Path parameters are exactly the templated ones; the rest are query parameters.
    for (path, method, op) in &ops {
        let templated: BTreeSet<String> = path
            .split('/')
            .filter_map(|p| p.strip_prefix('{').and_then(|p| p.strip_suffix('}')))
            .map(str::to_string)
            .collect();
        let mut in_path = BTreeSet::new();
        for p in op["parameters"].as_array().into_iter().flatten() {
            let name = p["name"].as_str().unwrap().to_string();
            match p["in"].as_str().unwrap() {
                "path" => {
                    assert_eq!(p["required"], true, "{method} {path} {name}");
                    in_path.insert(name);
                }
                "query" => assert!(
                    [
                        "limit",
                        "offset",
                        "interval_ms",
                        "format",
                        "language",
                        "verdict",
                        "endpoint"
                    ]
                    .contains(&name.as_str()),
                    "{method} {path}: unexpected query parameter {name}"
                ),
                "header" => {}
                other => panic!("{method} {path} {name} in {other}"),
            }
        }
        assert_eq!(templated, in_path, "{method} {path}");
    }
    let query = |path: &str, name: &str| {
        doc["paths"][path]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{path} {name}"))
            .clone()
    };
    assert_eq!(query("/api/v1/executions", "limit")["in"], "query");
    assert_eq!(query("/api/v1/evals", "offset")["in"], "query");
    assert_eq!(
        query("/api/v1/evals/{id}/events", "interval_ms")["in"],
        "query"
    );
    assert_eq!(query("/api/v1/evals/{id}/report", "format")["in"], "query");

    // Streaming routes say what they send.
    let media = |path: &str, method: &str| -> BTreeSet<String> {
        doc["paths"][path][method]["responses"]["200"]["content"]
            .as_object()
            .unwrap_or_else(|| panic!("{method} {path}"))
            .keys()
            .cloned()
            .collect()
    };
    let streams = BTreeSet::from([
        "application/x-ndjson".to_string(),
        "text/event-stream".into(),
    ]);
    assert_eq!(media("/api/v1/execute/stream", "post"), streams);
    assert_eq!(media("/api/v1/evals/{id}/events", "get"), streams);
    assert_eq!(
        media("/api/v1/images/pull", "post"),
        BTreeSet::from(["application/x-ndjson".to_string()])
    );
    assert!(media("/metrics", "get").contains("application/openmetrics-text"));
    assert!(media("/api/v1/evals/{id}/report", "get").contains("text/html"));

    // The bounds the server enforces.
    let request = &doc["components"]["schemas"]["ExecuteRequest"]["properties"];
    for field in [
        "timeout",
        "timeout_ms",
        "timeout_seconds",
        "memory_limit_mb",
        "cpu_limit",
    ] {
        assert_eq!(
            request[field]["exclusiveMinimum"].as_f64(),
            Some(0.0),
            "ExecuteRequest.{field}: {}",
            request[field]
        );
    }
    assert_eq!(request["files"]["maxItems"], 255);
    let judge = &doc["components"]["schemas"]["JudgeRequest"]["properties"];
    assert_eq!(judge["tests"]["minItems"], 1);
    let response = &doc["components"]["schemas"]["ExecuteResponse"]["properties"];
    assert_eq!(response["memory_used_mb"]["type"], "integer");
    assert_eq!(response["exit_code"]["type"], "integer");
    assert_eq!(response["error"]["type"], "string");
}

/// Query integers are documented as `int64` from 0: the largest is answered, one past it is
/// a 400 (schemathesis found `offset=9223372036854775808` answered 200 with the first page,
/// and `interval_ms=-1` answered with a 400 the document did not list).
#[test]
fn query_integers_past_int64_are_400_as_documented() {
    if !require_sandbox("compat_openapi") {
        return;
    }
    let s = Server::start(&[]);
    let (_, doc) = get(&s, "/openapi.json");
    let max = i64::MAX as u64;
    for (path, name) in [
        ("/api/v1/executions", "offset"),
        ("/api/v1/executions", "limit"),
        ("/api/v1/evals", "offset"),
        ("/api/v1/evals", "limit"),
        ("/api/v1/evals/no-such-run/events", "interval_ms"),
    ] {
        let template = path.replace("no-such-run", "{id}");
        let responses = &doc["paths"][&template]["get"]["responses"];
        assert!(responses["400"].is_object(), "{template}: {responses}");
        let (status, r) = get(&s, &format!("{path}?{name}={}", max + 1));
        assert_eq!(status, 400, "{path} {name}: {r}");
        assert!(r["error"].as_str().unwrap().contains(name), "{r}");
        let (status, r) = get(&s, &format!("{path}?{name}=-1"));
        assert_eq!(status, 400, "{path} {name}=-1: {r}");
        // The largest documented value is accepted (the run does not exist: 404).
        let (status, r) = get(&s, &format!("{path}?{name}={max}"));
        let wanted = if path.contains("no-such-run") {
            404
        } else {
            200
        };
        assert_eq!(status, wanted, "{path} {name}={max}: {r}");
    }
    // An offset past the end is an empty page, never the first one.
    let (status, r) = post(
        &s,
        "/api/v1/execute",
        &serde_json::json!({"language": "bash", "code": "echo 1"}),
    );
    assert_eq!(status, 200, "{r}");
    let (_, page) = get(&s, &format!("/api/v1/executions?offset={max}"));
    assert_eq!(page["items"], serde_json::json!([]), "{page}");
}
