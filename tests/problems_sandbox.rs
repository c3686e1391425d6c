//! The project's own problem set (`data/problems.json`): every reference solution, in every
//! language it has one for, passes every test of its problem when judged in the sandbox
//! (through the service's judge endpoint: compile once, run each test in a fresh sandbox).

mod server_support;

use std::sync::{Arc, Mutex};

use serde_json::{json, Value};
use server_support::*;

#[test]
fn every_reference_solution_passes_every_test_in_the_sandbox() {
    if !require_sandbox("problem set references") {
        return;
    }
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/data/problems.json"))
        .expect("data/problems.json");
    let set: Value = serde_json::from_str(&text).expect("problems.json is JSON");
    let problems = set["problems"].as_array().expect("a problems array");
    assert!(problems.len() >= 60, "the set has at least 60 problems");

    let mut jobs = Vec::new();
    for problem in problems {
        let id = problem["id"].as_str().unwrap().to_string();
        let solutions = problem["solutions"].as_object().unwrap();
        for language in ["python", "go"] {
            assert!(
                solutions.contains_key(language),
                "{id} has no {language} reference"
            );
        }
        let tests: Vec<Value> = problem["tests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| json!({"input": t["input"], "expected_output": t["output"]}))
            .collect();
        assert!(tests.len() >= 5, "{id} has fewer than 5 tests");
        for (language, code) in solutions {
            jobs.push((
                format!("{id}/{language}"),
                json!({
                    "language": language,
                    "code": code,
                    "tests": tests,
                    "compare": "whitespace",
                    // The host may be busy: the references are judged for correctness
                    // here, not for speed.
                    "timeout_ms": 20_000,
                    "memory_limit_mb": 512,
                }),
            ));
        }
    }

    let server = Server::start(&["--max-concurrent", "4", "--max-queue", "64"]);
    let jobs = Arc::new(Mutex::new(jobs));
    let failures = Arc::new(Mutex::new(Vec::new()));
    let judged = Arc::new(Mutex::new(0usize));
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let (jobs, failures, judged) = (jobs.clone(), failures.clone(), judged.clone());
            let url = server.url("/api/v1/judge");
            std::thread::spawn(move || {
                let client = reqwest::blocking::Client::builder()
                    .timeout(std::time::Duration::from_secs(600))
                    .build()
                    .unwrap();
                loop {
                    let Some((name, body)) = jobs.lock().unwrap().pop() else {
                        return;
                    };
                    let answer: Value = match client.post(&url).json(&body).send() {
                        Ok(response) => response.json().unwrap_or(Value::Null),
                        Err(e) => json!({"error": e.to_string()}),
                    };
                    *judged.lock().unwrap() += 1;
                    if answer["verdict"] != "AC" {
                        let first_bad = answer["tests"]
                            .as_array()
                            .and_then(|t| t.iter().find(|t| t["verdict"] != "AC").cloned());
                        failures.lock().unwrap().push(format!(
                            "{name}: {} {}",
                            answer["verdict"],
                            first_bad.unwrap_or_else(|| answer.clone())
                        ));
                    }
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().unwrap();
    }
    let failures = failures.lock().unwrap();
    eprintln!(
        "judged {} reference solutions in the sandbox",
        judged.lock().unwrap()
    );
    assert!(
        failures.is_empty(),
        "{} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    server.assert_no_sandbox_left();
}
