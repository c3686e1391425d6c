//! The web console in a real browser: Debian's `chromium` and `chromium-driver`, driven by
//! Selenium (PyPI, pinned, in the venv scripts/setup.sh --tests makes under
//! target/console-venv) through tests/console/browser.py, against a real `localeval
//! serve` with a token and the Ollama stand-in (tests/support):
//! - the playground runs code and its output is read from the page while the program
//!   still runs (streamed), then the verdict;
//! - program output with `<img onerror>` and `<script>`, and a model answer with
//!   `<script>`, stay text: nothing executes, no element is made;
//! - the executions page lists and filters the history;
//! - an evaluation started from the form reaches 100% over SSE; its report opens and the
//!   failed sample's stderr is found by clicking through the heatmap; two runs compare;
//! - a slow run is cancelled from its page and resumed to 100%;
//! - images and health pages render; the token is in no URL; no CSP violation is logged.
//!
//! Screenshots of each page go to target/console-screenshots (CI artefacts; copies in
//! docs/screenshots). Time-boxed: the browser script is killed after `TIME_BOX`.

mod image_support;
mod server_support;
mod support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use server_support::{require_sandbox, Server};
use support::{Answer, Asked};

const FIXTURE_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/eval");
const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/eval/problems-mini.json"
);
/// The pages the main scenario takes a picture of (the pull test takes `images`).
const PAGES: [&str; 7] = [
    "playground",
    "executions",
    "evaluation",
    "report",
    "evaluations",
    "compare",
    "health",
];
const TOKEN: &str = "browser-test-token-8c2e71";
/// The longest the browser part may take (it takes about 30 s on 2 cores).
const TIME_BOX: Duration = Duration::from_secs(240);

/// Skips (loudly), or fails under LOCALEVAL_TESTS_MUST_RUN=1, when a tool is missing.
fn require(test: &str, what: &str, path: &Path) -> bool {
    if path.exists() {
        return true;
    }
    let why = format!(
        "{test}: {what} not found at {} (scripts/setup.sh --tests installs it)",
        path.display()
    );
    if std::env::var("LOCALEVAL_TESTS_MUST_RUN").is_ok_and(|v| v == "1") {
        panic!("LOCALEVAL_TESTS_MUST_RUN=1 but {why}");
    }
    eprintln!("SKIPPED {why}");
    false
}

/// "good" answers each problem with its reference solution ("slow" too, in 2 s); "evil" answers with markup
/// around code that writes markup to stderr and fails. Each answer takes a moment, so
/// that the progress moves while the page watches.
fn script() -> support::Script {
    let fixture: Value = serde_json::from_str(&std::fs::read_to_string(FIXTURE).unwrap()).unwrap();
    let problems = fixture["problems"].as_array().unwrap().clone();
    Arc::new(move |a: &Asked| {
        let p = problems
            .iter()
            .find(|p| a.prompt.contains(p["title"].as_str().unwrap()))
            .expect("the prompt names the problem");
        let solution = p["solutions"]["python"].as_str().unwrap();
        if a.model == "slow" {
            return Answer::Slow(
                Duration::from_secs(2),
                format!("```python\n{solution}```\n"),
            );
        }
        let text = if a.model == "good" {
            format!("```python\n{solution}```\n")
        } else {
            "<script>window.__xss='answer'</script><img src=z onerror=\"window.__xss='answer'\">\n\
             ```python\nimport sys\n\
             sys.stderr.write('EVIL-STDERR <img src=x onerror=\"window.__xss=4\">\\n')\n\
             sys.exit(1)\n```\n"
                .to_string()
        };
        Answer::Slow(Duration::from_millis(300), text)
    })
}

#[test]
fn the_console_works_in_a_real_browser() {
    if !require_sandbox("console_browser") {
        return;
    }
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let python = repo.join("target/console-venv/bin/python");
    let chromium = PathBuf::from("/usr/bin/chromium");
    let chromedriver = PathBuf::from("/usr/bin/chromedriver");
    if !require("console_browser", "Selenium's venv", &python)
        || !require("console_browser", "chromium", &chromium)
        || !require("console_browser", "chromedriver", &chromedriver)
    {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("evals.sqlite");
    let server = Server::start(&[
        "--token",
        TOKEN,
        "--eval-dataset-dir",
        FIXTURE_DIR,
        "--eval-db",
        db.to_str().unwrap(),
    ]);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let double = rt.block_on(support::start(&["good", "evil", "slow"], &[], script()));
    let out = repo.join("target/console-screenshots");
    std::fs::create_dir_all(&out).unwrap();
    for page in PAGES {
        let _ = std::fs::remove_file(out.join(format!("{page}.png")));
    }
    let result = browse(&python, &server, &double.url, &out, None);

    // What the page showed, checked again here.
    assert_eq!(result["streamed_before_result"], true);
    assert_eq!(result["playground_stdout"], "first line\nsecond line\n");
    assert_eq!(result["playground_verdict"], "OK");
    assert!(result["xss_stdout"]
        .as_str()
        .unwrap()
        .contains("<img src=x onerror=\"window.__xss=1\">"));
    let percents: Vec<&str> = result["eval_percents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert_eq!(percents.last(), Some(&"100%"), "{percents:?}");
    assert!(result["report_stderr"]
        .as_str()
        .unwrap()
        .contains("EVIL-STDERR <img src=x onerror=\"window.__xss=4\">"));
    assert_eq!(result["answer_shown"], true);
    assert_eq!(result["report_scripts"], 0);
    assert_ne!(result["cancelled_at"], "100%");
    assert_eq!(
        result["resumed_percents"]
            .as_array()
            .unwrap()
            .last()
            .unwrap(),
        "100%"
    );
    assert_eq!(result["csp_violations"], serde_json::json!([]));
    assert!(result["urls_checked"].as_u64().unwrap() >= 20);
    for page in PAGES {
        let png = std::fs::read(out.join(format!("{page}.png"))).unwrap();
        assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000, "{page}");
    }
    // The evaluation asked the stand-in through Ollama's API.
    assert!(
        double.hits("/api/chat") >= 6,
        "{}",
        double.hits("/api/chat")
    );
    drop(server);
}

/// Runs tests/console/browser.py (time-boxed) against `server`; what it printed as RESULT,
/// after checking that it succeeded.
fn browse(
    python: &Path,
    server: &Server,
    model_url: &str,
    out: &Path,
    pull: Option<&str>,
) -> Value {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let started = Instant::now();
    let mut command = Command::new(python);
    command
        .arg(repo.join("tests/console/browser.py"))
        .env("CONSOLE_BASE", &server.base)
        .env("CONSOLE_TOKEN", TOKEN)
        .env("CONSOLE_FIXTURE", FIXTURE)
        .env("CONSOLE_MODEL_URL", model_url)
        .env("CONSOLE_OUT", out)
        .env("CHROMIUM", "/usr/bin/chromium")
        .env("CHROMEDRIVER", "/usr/bin/chromedriver")
        // Selenium must not look for drivers or browsers on the network.
        .env("SE_OFFLINE", "true")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if let Some(image) = pull {
        command.env("CONSOLE_PULL", image);
    }
    let mut child = command.spawn().expect("the venv's python runs");
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut result = None;
        for line in BufReader::new(stdout).lines() {
            let line = line.unwrap_or_default();
            eprintln!("browser: {line}");
            if let Some(json) = line.strip_prefix("RESULT ") {
                result = serde_json::from_str::<Value>(json).ok();
            }
        }
        result
    });
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > TIME_BOX {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the browser test took longer than {TIME_BOX:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let elapsed = started.elapsed();
    let result = reader
        .join()
        .unwrap()
        .expect("the script printed its RESULT");
    eprintln!(
        "console browser test: {elapsed:?}; steps {}",
        result["steps"]
    );
    assert!(status.success(), "{}", result["error"]);
    assert_eq!(result["ok"], true);
    result
}

#[test]
fn the_console_pulls_an_image_with_progress() {
    if !require_sandbox("console_browser_pull") {
        return;
    }
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let python = repo.join("target/console-venv/bin/python");
    if !require("console_browser_pull", "Selenium's venv", &python)
        || !require(
            "console_browser_pull",
            "chromium",
            Path::new("/usr/bin/chromium"),
        )
        || !require(
            "console_browser_pull",
            "chromedriver",
            Path::new("/usr/bin/chromedriver"),
        )
    {
        return;
    }
    let Some(registry) = image_support::Registry::start(None) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let config = dir.path().join("serve.toml");
    std::fs::write(
        &config,
        format!("images = [\"127.0.0.1:{}/busybox\"]\n", registry.port),
    )
    .unwrap();
    let server = Server::start(&[
        "--token",
        TOKEN,
        "--store",
        store.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
    ]);
    let out = repo.join("target/console-screenshots");
    std::fs::create_dir_all(&out).unwrap();
    let _ = std::fs::remove_file(out.join("images.png"));
    let image = registry.reference("busybox");
    let result = browse(&python, &server, "http://127.0.0.1:9", &out, Some(&image));
    let status = result["pull_status"].as_str().unwrap();
    assert!(
        status.starts_with(&format!("pulled {image} (sha256:")),
        "{status}"
    );
    assert_eq!(
        result["pull_progress"].as_array().unwrap().last().unwrap(),
        1.0
    );
    let log = result["pull_log"].as_str().unwrap();
    for status in ["pulling manifest", "resolved", "downloaded", "success"] {
        assert!(log.contains(&format!("\"status\":\"{status}\"")), "{log}");
    }
    assert!(result["store_text"].as_str().unwrap().contains("busybox"));
    let png = std::fs::read(out.join("images.png")).unwrap();
    assert!(png.starts_with(b"\x89PNG"));
}
