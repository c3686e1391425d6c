//! End to end: MultiPL-E and HumanEval-X problems in each language the multi-language
//! loader claims (Go, JavaScript, Java, C++, Rust), through the real `localeval eval`
//! binary, the Ollama test double as three "models" (a correct completion, a wrong one and
//! one that does not compile) and the real jail. The fixtures are hand-written in the
//! shapes of the real sets (tests/fixtures/eval/multipl-e/, humaneval-x-*.jsonl).

mod common;
mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use localeval::eval::dataset::{load, DatasetError, DatasetSpec};
use localeval::eval::store::Store;
use support::{Answer, Asked};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/eval")
        .join(name)
}

/// What each model answers to a prompt: `(marker in the prompt, good, bad, broken)`.
type Answers = &'static [(&'static str, &'static str, &'static str, &'static str)];

fn script(answers: Answers) -> support::Script {
    Arc::new(move |a: &Asked| {
        let (_, good, bad, broken) = answers
            .iter()
            .find(|(marker, ..)| a.prompt.contains(marker))
            .unwrap_or_else(|| panic!("no scripted answer for prompt:\n{}", a.prompt));
        Answer::Text(
            match a.model.as_str() {
                "good" => good,
                "bad" => bad,
                _ => broken,
            }
            .to_string(),
        )
    })
}

/// Runs `localeval eval` on `dataset` with the three models; returns each (model, problem)
/// verdict and, for failures, what the sandbox said.
async fn verdicts(dataset: &str, answers: Answers) -> BTreeMap<(String, String), String> {
    let double = support::start(&["good", "bad", "broken"], &[], script(answers)).await;
    let dir = tempfile::tempdir().unwrap();
    let mut c = Command::new(common::binary());
    c.arg("eval")
        .args(["--backend", "ollama", "--url", &double.url])
        .args(["--model", "good", "--model", "bad", "--model", "broken"])
        .args(["--dataset", dataset, "--no-calibrate", "--json", "--quiet"])
        .arg("--db")
        .arg(dir.path().join("db.sqlite"))
        .arg("--out")
        .arg(dir.path().join("report"))
        .env("LOCALEVAL_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let out = tokio::task::spawn_blocking(move || c.output().unwrap())
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{dataset}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let store = Store::open(&dir.path().join("db.sqlite")).unwrap();
    let run = store.runs().unwrap()[0].id.clone();
    let mut found = BTreeMap::new();
    for s in store.samples(&run).unwrap() {
        let detail = if s.passed {
            String::new()
        } else {
            store
                .executions_by_key(&s.execution_keys)
                .unwrap()
                .first()
                .map(|e| format!(" ({:?}: {})", e.verdict, e.stderr.trim()))
                .unwrap_or_default()
        };
        eprintln!(
            "{dataset} {} {}: {}{detail}",
            s.model, s.problem_id, s.verdict
        );
        found.insert((s.model, s.problem_id), s.verdict);
    }
    found
}

fn expect(found: &BTreeMap<(String, String), String>, model: &str, problem: &str, verdict: &str) {
    let got = found
        .get(&(model.to_string(), problem.to_string()))
        .unwrap_or_else(|| panic!("no sample of {model} on {problem}: {found:?}"));
    assert_eq!(got, verdict, "{model} on {problem}: {found:?}");
}

const GO: Answers = &[(
    "func below_zero",
    // A completion model runs on past the function: the stop sequences cut it there.
    "    balance := 0\n    for _, op := range operations {\n        balance += op\n        if balance < 0 {\n            return true\n        }\n    }\n    return false\n}\n\nfunc main() {\n    below_zero(nil)\n}\n",
    "    return false\n}\n",
    "    return 0\n}\n",
)];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multipl_e_go_runs_as_a_go_test_file() {
    if !common::require_sandbox("multipl_e_go") {
        return;
    }
    let path = fixture("multipl-e/humaneval-go.jsonl");
    let set = load(&DatasetSpec::MultiLanguage(path.clone()), None, None).unwrap();
    assert_eq!(set.problems[0].language, "go-test");
    let found = verdicts(&format!("multipl-e:{}", path.display()), GO).await;
    let id = "HumanEval_3_below_zero";
    expect(&found, "good", id, "OK");
    // The test binary exits 1 when a test fails.
    expect(&found, "bad", id, "RE");
    expect(&found, "broken", id, "CE");
}

const JS: Answers = &[(
    "function below_zero",
    "  let balance = 0;\n  for (const op of operations) {\n    balance += op;\n    if (balance < 0) {\n      return true;\n    }\n  }\n  return false;\n}\n",
    "  return false;\n}\n",
    "  return (;\n}\n",
)];

const CPP: Answers = &[(
    "bool below_zero",
    "\n    long balance = 0;\n    for (long op : operations) {\n        balance += op;\n        if (balance < 0) return true;\n    }\n    return false;\n}\n",
    "\n    return false;\n}\n",
    "\n    return nope;\n}\n",
)];

const RUST: Answers = &[(
    "fn below_zero",
    "\n    let mut balance = 0;\n    for op in operations {\n        balance += op;\n        if balance < 0 {\n            return true;\n        }\n    }\n    false\n}\n",
    "\n    false\n}\n",
    "\n    0\n}\n",
)];

const JAVA: Answers = &[
    (
        "belowZero(ArrayList<Long> operations)",
        "\n        long balance = 0;\n        for (long op : operations) {\n            balance += op;\n            if (balance < 0) return true;\n        }\n        return false;\n    }\n",
        // Passes unless assertions are enabled, as MultiPL-E's harness enables them.
        "\n        return false;\n    }\n",
        "\n        return 0;\n    }\n",
    ),
    (
        "sumProduct(ArrayList<Long> numbers)",
        "\n        long sum = 0, product = 1;\n        for (long n : numbers) {\n            sum += n;\n            product *= n;\n        }\n        return Pair.with(sum, product);\n    }\n",
        "\n        return Pair.with(0l, 1l);\n    }\n",
        "\n        return 0;\n    }\n",
    ),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multipl_e_javascript_cpp_rust_and_java() {
    if !common::require_sandbox("multipl_e_languages") {
        return;
    }
    for (file, answers, compiled) in [
        ("humaneval-js.jsonl", JS, false),
        ("humaneval-cpp.jsonl", CPP, true),
        ("humaneval-rs.jsonl", RUST, true),
        ("humaneval-java.jsonl", JAVA, true),
    ] {
        let path = fixture(&format!("multipl-e/{file}"));
        let found = verdicts(&format!("multipl-e:{}", path.display()), answers).await;
        let problems: Vec<String> = found.keys().map(|(_, p)| p.clone()).collect();
        assert!(!problems.is_empty(), "{file}");
        for problem in &problems {
            expect(&found, "good", problem, "OK");
            let bad = &found[&("bad".to_string(), problem.clone())];
            assert!(
                bad == "RE" || bad == "SG",
                "{file} bad {problem}: {bad} (a failed assertion ends the program)"
            );
            let broken = &found[&("broken".to_string(), problem.clone())];
            if compiled {
                assert_eq!(broken, "CE", "{file} broken {problem}");
            } else {
                // A syntax error in JavaScript is found when the program runs.
                assert_eq!(broken, "RE", "{file} broken {problem}");
            }
        }
    }
}

const HUMANEVAL_X: Answers = &[
    (
        "bool below_zero(vector<int> operations){",
        "    int num=0;\n    for (int i=0;i<operations.size();i++)\n    {\n        num+=operations[i];\n        if (num<0) return true;\n    }\n    return false;\n}\n",
        "    return false;\n}\n",
        "    return nope;\n}\n",
    ),
    (
        "const belowZero = (operations) => {",
        "  var balance = 0;\n  for (const op of operations) {\n    balance += op;\n    if (balance < 0) {\n      return true;\n    }\n  }\n  return false;\n}\n\n",
        // console.assert only prints "Assertion failed": the program still exits 0.
        "  return false\n}\n",
        "  return (\n}\n",
    ),
    (
        "public boolean belowZero(List<Integer> operations) {",
        "        int balance = 0;\n\n        for (int op : operations) {\n            balance += op;\n            if (balance < 0) {\n                return true;\n            }\n        }\n\n        return false;\n    }\n}",
        "        return false;\n    }\n}",
        "        return 0;\n    }\n}",
    ),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn humaneval_x_cpp_javascript_and_java() {
    if !common::require_sandbox("humaneval_x_languages") {
        return;
    }
    let path = fixture("humaneval-x-mini.jsonl");
    let found = verdicts(&format!("humaneval-x:{}", path.display()), HUMANEVAL_X).await;
    for id in ["CPP/3", "JavaScript/3", "Java/3"] {
        expect(&found, "good", id, "OK");
    }
    expect(&found, "bad", "CPP/3", "SG");
    expect(&found, "bad", "JavaScript/3", "WA");
    expect(&found, "bad", "Java/3", "RE");
    expect(&found, "broken", "CPP/3", "CE");
    expect(&found, "broken", "JavaScript/3", "RE");
    expect(&found, "broken", "Java/3", "CE");
}

#[test]
fn humaneval_x_go_and_rust_are_refused_with_the_reason() {
    for (file, id, needs) in [
        (
            "humaneval-x-go.jsonl",
            "Go/3",
            "github.com/stretchr/testify/assert",
        ),
        ("humaneval-x-rust.jsonl", "Rust/3", "rand, regex, md5"),
    ] {
        let e = load(&DatasetSpec::MultiLanguage(fixture(file)), None, None).unwrap_err();
        assert!(
            matches!(&e, DatasetError::Unjudgeable { id: i, .. } if i == id),
            "{e}"
        );
        let message = e.to_string();
        assert!(message.contains(needs), "{message}");
        assert!(message.contains("MultiPL-E"), "{message}");
    }
}
