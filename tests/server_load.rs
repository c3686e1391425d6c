//! 200 concurrent requests of mixed languages against one server: every one answered with
//! its own program's output, no error, and no sandbox left behind.

mod server_support;

use serde_json::{json, Value};
use server_support::*;

#[test]
fn two_hundred_concurrent_mixed_language_requests_all_succeed() {
    if !require_sandbox("200 concurrent requests") {
        return;
    }
    let s = Server::start(&["--max-concurrent", "8", "--max-queue", "256"]);
    let program = |i: usize| -> (Value, String) {
        let expected = format!("r{i}\n");
        let body = match i % 5 {
            0 => json!({"language": "python", "code": format!("print('r{i}')")}),
            1 => json!({"language": "javascript", "code": format!("console.log('r{i}')")}),
            2 => json!({"language": "bash", "code": format!("echo r{i}")}),
            3 => json!({"language": "ruby", "code": format!("puts 'r{i}'")}),
            _ if i % 10 == 4 => json!({"language": "c",
                    "code": format!("#include <stdio.h>\nint main(){{puts(\"r{i}\");}}")}),
            _ => json!({"language": "python", "input": format!("r{i}"),
                    "code": "import sys; print(sys.stdin.read())"}),
        };
        (body, expected)
    };
    let handles: Vec<_> = (0..200)
        .map(|i| {
            let url = s.url(if i % 2 == 0 {
                "/execute"
            } else {
                "/api/v1/execute"
            });
            let (body, expected) = program(i);
            std::thread::spawn(move || {
                let response = client().post(url).json(&body).send();
                let response = response.unwrap_or_else(|e| panic!("request {i}: {e}"));
                let status = response.status().as_u16();
                let r: Value = response.json().unwrap();
                (i, status, r, expected)
            })
        })
        .collect();
    let mut failures = Vec::new();
    for handle in handles {
        let (i, status, r, expected) = handle.join().unwrap();
        if status != 200 || r["verdict"] != "OK" || r["stdout"] != expected.as_str() {
            failures.push(format!(
                "{i}: {status} {}",
                r.to_string().chars().take(400).collect::<String>()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failed: {failures:#?}",
        failures.len()
    );
    let (_, stats) = get(&s, "/api/v1/stats");
    assert_eq!(
        (stats["running"].as_u64(), stats["queued"].as_u64()),
        (Some(0), Some(0))
    );
    assert_eq!(stats["total_executions"], 200);
    s.assert_no_sandbox_left();
}
