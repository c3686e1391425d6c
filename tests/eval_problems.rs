//! End to end: the project's stdin/stdout problem format, chat answers with prose and
//! fences from the OpenAI-compatible double, two models compared, Python and Go judged by
//! the real jail.

mod common;
mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use support::{Answer, Asked};

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/eval/problems-mini.json"
);

fn fixture() -> Value {
    serde_json::from_str(&std::fs::read_to_string(FIXTURE).unwrap()).unwrap()
}

/// "good" answers with the reference solution inside a chatty reply (with a think section
/// and a usage example in another block); "bad" gets sum-two right and the rest wrong, one
/// of them too slow.
fn script(language: &'static str) -> support::Script {
    let problems = fixture()["problems"].as_array().unwrap().clone();
    Arc::new(move |a: &Asked| {
        let p = problems
            .iter()
            .find(|p| a.prompt.contains(p["title"].as_str().unwrap()))
            .expect("the prompt names the problem");
        let id = p["id"].as_str().unwrap();
        let solution = p["solutions"][language].as_str().unwrap();
        let good = format!(
            "<think>Maybe ```{language}\nbroken(\n``` no.</think>Here is my solution:\n\n```{language}\n{solution}```\n\nRun it:\n```bash\necho 1 2 | prog\n```\n"
        );
        let text = match (a.model.as_str(), id) {
            ("good", _) | ("bad", "sum-two") => good,
            ("bad", "average") if language == "python" => "```python\nprint(2)\n```".into(),
            ("bad", "average") => {
                "```go\npackage main\nimport \"fmt\"\nfunc main() { fmt.Println(2) }\n```".into()
            }
            ("bad", _) if language == "python" => "```python\nwhile True:\n    pass\n```".into(),
            ("bad", _) => "```go\npackage main\nfunc main() { for {} }\n```".into(),
            _ => String::new(),
        };
        Answer::Text(text)
    })
}

async fn eval(url: &str, dir: &Path, language: &str) -> Value {
    let mut c = Command::new(common::binary());
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
            language,
            "--samples",
            "2",
            "--k",
            "1,2",
            "--json",
            "--quiet",
        ])
        .args(["--time-floor-ms", "1000"])
        .arg("--db")
        .arg(dir.join("db.sqlite"))
        .arg("--out")
        .arg(dir.join("report"))
        .env("LOCALEVAL_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let out = tokio::task::spawn_blocking(move || c.output().unwrap())
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&std::fs::read_to_string(dir.join("report/report.json")).unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stdio_problems_in_python_and_go_with_two_models_compared() {
    if !common::require_sandbox("stdio_problems_in_python_and_go") {
        return;
    }
    for language in ["python", "go"] {
        let double = support::start(&["good", "bad"], &[], script(language)).await;
        let dir = tempfile::tempdir().unwrap();
        let started = std::time::Instant::now();
        let r = eval(&double.url, dir.path(), language).await;
        eprintln!("{language}: {:?}", started.elapsed());
        let good = &r["models"][0];
        let bad = &r["models"][1];
        assert_eq!(good["model"], "good");
        assert_eq!(
            (good["samples"].as_u64(), good["passed"].as_u64()),
            (Some(6), Some(6)),
            "{language}: {}",
            good["verdicts"]
        );
        assert_eq!(good["pass_at_k"][0]["mean"], 1.0);
        assert_eq!(good["pass_at_k"][1]["k"], 2);
        // bad: sum-two passes; average is a wrong answer; reverse-words loops until its limit.
        assert_eq!(bad["passed"], 2, "{language}: {}", bad["verdicts"]);
        assert_eq!(bad["verdicts"]["WA"], 2);
        assert_eq!(bad["verdicts"]["TLE"], 2);
        let third = 2.0 / 6.0;
        assert!((bad["timeout_share"].as_f64().unwrap() - third).abs() < 1e-12);
        assert!((bad["pass_at_k"][0]["mean"].as_f64().unwrap() - 1.0 / 3.0).abs() < 1e-12);
        let c = &r["comparisons"][0];
        assert_eq!(c["only_a"], serde_json::json!(["average", "reverse-words"]));
        assert_eq!(c["only_b"], serde_json::json!([]));
        // Per category: strings 1 vs 0.
        let cats: Vec<&Value> = bad["categories"].as_array().unwrap().iter().collect();
        assert!(cats
            .iter()
            .any(|c| c["category"] == "strings" && c["pass_at_k"] == 0.0));
        // Calibrated limits: max(floor, 3 × reference), and the TLE verdicts ran into them.
        for p in r["problems"].as_array().unwrap() {
            let limit = p["time_limit_ms"].as_u64().unwrap();
            assert!((1000..=60_000).contains(&limit), "{p}");
            assert!(
                p["calibration"].as_str().unwrap().starts_with("reference"),
                "{p}"
            );
        }
        assert_eq!(double.hits("/v1/chat/completions"), 12);
        let html = std::fs::read_to_string(dir.path().join("report/report.html")).unwrap();
        assert!(
            html.contains("<svg") && html.contains("pass@k per model") && !html.contains("<script")
        );
        let md = std::fs::read_to_string(dir.path().join("report/report.md")).unwrap();
        assert!(md.contains("| good | 6 | 6 |"), "{md}");
        assert!(
            md.contains("solved by good only (2): average, reverse-words"),
            "{md}"
        );
        drop(double);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[test]
fn the_shipped_problem_set_loads_in_python_and_go() {
    use localeval::eval::dataset::{load, DatasetSpec};
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/data/problems.json");
    for language in ["python", "go"] {
        let set = load(&DatasetSpec::Problems(path.into()), Some(language), None).unwrap();
        assert!(set.problems.len() >= 60, "{}", set.problems.len());
        for p in &set.problems {
            assert!(p.reference.is_some(), "{}: no {language} reference", p.id);
            assert!(
                !p.categories.is_empty() && p.difficulty.is_some(),
                "{}",
                p.id
            );
        }
    }
}
