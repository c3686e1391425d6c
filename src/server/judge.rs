//! The native judge endpoint: compile once, run N test cases in fresh sandboxes, compare
//! each output with the expected one, and give per-test verdicts with time and memory.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::jail::{RunCancel, Runner};
use crate::outcome::{StepOutcome, Verdict};
use crate::plan::Plan;

use super::wire::{FileIn, WireLimits};

/// How a program's output is compared with the expected output.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CompareMode {
    /// Byte for byte.
    Exact,
    /// The same sequence of whitespace-separated tokens.
    #[default]
    Whitespace,
    /// Like `whitespace`, but tokens that are both numbers may differ by the tolerance.
    Float,
}

#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JudgeTest {
    /// A label for the test (defaults to its index).
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, alias = "input")]
    pub stdin: String,
    #[serde(alias = "expected")]
    pub expected_output: String,
}

/// `POST /api/v1/judge`.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JudgeRequest {
    pub language: String,
    #[serde(alias = "source_code")]
    pub code: String,
    #[serde(default)]
    pub files: Vec<FileIn>,
    /// At least one; at most the server's `max_judge_tests` (256 by default).
    #[schema(min_items = 1)]
    pub tests: Vec<JudgeTest>,
    #[serde(default)]
    pub compare: CompareMode,
    /// Absolute and relative tolerance of `float` comparison (default 1e-6).
    #[serde(default)]
    pub float_tolerance: Option<f64>,
    /// Stop at the first test that is not AC; the rest are reported as skipped.
    #[serde(default)]
    pub stop_at_first_failure: bool,
    /// Per-test wall-clock limit in milliseconds.
    #[serde(default)]
    pub timeout_ms: Option<u64>,
    #[serde(default)]
    pub memory_limit_mb: Option<u64>,
    /// Per-test limits in the library's units.
    #[serde(default)]
    pub limits: Option<WireLimits>,
}

/// The verdict of one test case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum TestVerdict {
    /// Accepted: ran to exit status 0 and the output matched.
    AC,
    /// Wrong answer: ran to exit status 0 and the output did not match.
    WA,
    TLE,
    MLE,
    /// Runtime error: non-zero exit, a signal, or a forbidden system call.
    RE,
    OLE,
    /// The sandbox failed; the program's result is unknown.
    IE,
    /// Not run (an earlier test failed and `stop_at_first_failure` was set).
    SKIPPED,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct TestResult {
    pub index: usize,
    pub name: String,
    pub verdict: TestVerdict,
    /// The execution verdict underneath (OK, RE, SG, TLE, ...), absent when skipped.
    pub execution_verdict: Option<String>,
    pub exit_code: Option<i32>,
    pub time_ms: u64,
    pub cpu_ms: u64,
    pub memory_bytes: u64,
    pub stdout: String,
    pub stderr: String,
    pub stdout_truncated: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct JudgeResponse {
    pub judge_id: String,
    /// AC when every test passed; CE when compilation failed; IE when a sandbox failed;
    /// otherwise the verdict of the first failing test.
    pub verdict: String,
    pub passed: usize,
    pub total: usize,
    /// The compile step, when the language has one.
    #[schema(value_type = Option<Object>)]
    pub compile: Option<StepOutcome>,
    pub tests: Vec<TestResult>,
}

/// The default tolerance of `float` comparison.
pub const DEFAULT_FLOAT_TOLERANCE: f64 = 1e-6;

/// Whether `actual` matches `expected` under `mode`.
pub fn outputs_match(mode: CompareMode, expected: &str, actual: &str, tolerance: f64) -> bool {
    match mode {
        CompareMode::Exact => expected == actual,
        CompareMode::Whitespace => expected.split_whitespace().eq(actual.split_whitespace()),
        CompareMode::Float => {
            let mut e = expected.split_whitespace();
            let mut a = actual.split_whitespace();
            loop {
                match (e.next(), a.next()) {
                    (None, None) => return true,
                    (Some(x), Some(y)) if tokens_match(x, y, tolerance) => {}
                    _ => return false,
                }
            }
        }
    }
}

fn tokens_match(expected: &str, actual: &str, tolerance: f64) -> bool {
    if expected == actual {
        return true;
    }
    match (expected.parse::<f64>(), actual.parse::<f64>()) {
        (Ok(x), Ok(y)) if x.is_finite() && y.is_finite() => {
            let diff = (x - y).abs();
            diff <= tolerance || diff <= tolerance * x.abs()
        }
        _ => false,
    }
}

/// The test verdict of a run step whose output compared as `matched`.
pub fn test_verdict(run: Verdict, matched: bool) -> TestVerdict {
    match run {
        Verdict::Ok if matched => TestVerdict::AC,
        Verdict::Ok => TestVerdict::WA,
        Verdict::TimeLimit => TestVerdict::TLE,
        Verdict::MemoryLimit => TestVerdict::MLE,
        Verdict::OutputLimit => TestVerdict::OLE,
        Verdict::RuntimeError | Verdict::Signalled | Verdict::BlockedSyscall => TestVerdict::RE,
        Verdict::CompileError | Verdict::InternalError => TestVerdict::IE,
    }
}

fn verdict_code(v: TestVerdict) -> &'static str {
    match v {
        TestVerdict::AC => "AC",
        TestVerdict::WA => "WA",
        TestVerdict::TLE => "TLE",
        TestVerdict::MLE => "MLE",
        TestVerdict::RE => "RE",
        TestVerdict::OLE => "OLE",
        TestVerdict::IE => "IE",
        TestVerdict::SKIPPED => "SKIPPED",
    }
}

/// Runs a judge request whose program has been planned (blocking: call it from a blocking
/// thread). Compiles once, then runs each test in a fresh sandbox.
pub fn judge(
    judge_id: String,
    plan: &Plan,
    request: &JudgeRequest,
    runner: &dyn Runner,
    cancel: &RunCancel,
) -> JudgeResponse {
    let tolerance = request
        .float_tolerance
        .filter(|t| t.is_finite() && *t >= 0.0)
        .unwrap_or(DEFAULT_FLOAT_TOLERANCE);
    let skipped = |index: usize, test: &JudgeTest| TestResult {
        index,
        name: test.name.clone().unwrap_or_else(|| index.to_string()),
        verdict: TestVerdict::SKIPPED,
        execution_verdict: None,
        exit_code: None,
        time_ms: 0,
        cpu_ms: 0,
        memory_bytes: 0,
        stdout: String::new(),
        stderr: String::new(),
        stdout_truncated: false,
    };

    let mut compiled = None;
    let mut compile = None;
    if let Some(spec) = plan.compile_spec() {
        let report = runner.run_cancellable(&spec, cancel, &mut |_, _| {});
        let verdict = report.step.verdict;
        compile = Some(report.step);
        if verdict != Verdict::Ok {
            let overall = if verdict == Verdict::InternalError {
                "IE"
            } else {
                "CE"
            };
            return JudgeResponse {
                judge_id,
                verdict: overall.to_string(),
                passed: 0,
                total: request.tests.len(),
                compile,
                tests: request
                    .tests
                    .iter()
                    .enumerate()
                    .map(|(i, t)| skipped(i, t))
                    .collect(),
            };
        }
        compiled = Some(report.files);
    }

    let mut results = Vec::with_capacity(request.tests.len());
    let mut first_failure: Option<TestVerdict> = None;
    for (index, test) in request.tests.iter().enumerate() {
        if first_failure.is_some() && request.stop_at_first_failure {
            results.push(skipped(index, test));
            continue;
        }
        let mut spec = plan.run_spec(compiled.clone());
        spec.stdin = test.stdin.as_bytes().to_vec();
        let report = runner.run_cancellable(&spec, cancel, &mut |_, _| {});
        let step = report.step;
        let matched = step.verdict == Verdict::Ok
            && !step.stdout.truncated
            && outputs_match(
                request.compare,
                &test.expected_output,
                &step.stdout.text,
                tolerance,
            );
        let verdict = test_verdict(step.verdict, matched);
        if verdict != TestVerdict::AC && first_failure.is_none() {
            first_failure = Some(verdict);
        }
        results.push(TestResult {
            index,
            name: test.name.clone().unwrap_or_else(|| index.to_string()),
            verdict,
            execution_verdict: Some(step.verdict.code().to_string()),
            exit_code: step.exit_code,
            time_ms: step.usage.wall_ms,
            cpu_ms: step.usage.cpu_ms,
            memory_bytes: step.usage.peak_memory_bytes,
            stdout: step.stdout.text,
            stderr: step.stderr.text,
            stdout_truncated: step.stdout.truncated,
        });
    }
    let passed = results
        .iter()
        .filter(|r| r.verdict == TestVerdict::AC)
        .count();
    JudgeResponse {
        judge_id,
        verdict: verdict_code(first_failure.unwrap_or(TestVerdict::AC)).to_string(),
        passed,
        total: request.tests.len(),
        compile,
        tests: results,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_comparison_is_byte_for_byte() {
        assert!(outputs_match(CompareMode::Exact, "1 2\n", "1 2\n", 0.0));
        assert!(!outputs_match(CompareMode::Exact, "1 2\n", "1 2", 0.0));
        assert!(!outputs_match(CompareMode::Exact, "1 2\n", "1  2\n", 0.0));
    }

    #[test]
    fn whitespace_comparison_ignores_spacing_but_not_tokens() {
        let m = |e, a| outputs_match(CompareMode::Whitespace, e, a, 0.0);
        assert!(m("1 2\n3\n", "1   2 3"));
        assert!(m("", "\n\n"));
        assert!(!m("1 2", "1 2 3"));
        assert!(!m("12", "1 2"));
        assert!(!m("1.0", "1"));
    }

    #[test]
    fn float_comparison_uses_absolute_or_relative_tolerance() {
        let m = |e, a| outputs_match(CompareMode::Float, e, a, 1e-6);
        assert!(m("0.3333333", "0.33333333333"));
        assert!(m("1.0 yes", "1 yes"));
        assert!(m("1e9", "1000000000.5"));
        assert!(!m("0.33", "0.34"));
        assert!(!m("yes", "no"));
        assert!(!m("1.0", "1.0 2.0"));
        assert!(!m("nan", "inf"));
    }

    #[test]
    fn run_verdicts_map_to_test_verdicts() {
        assert_eq!(test_verdict(Verdict::Ok, true), TestVerdict::AC);
        assert_eq!(test_verdict(Verdict::Ok, false), TestVerdict::WA);
        assert_eq!(test_verdict(Verdict::TimeLimit, false), TestVerdict::TLE);
        assert_eq!(test_verdict(Verdict::MemoryLimit, false), TestVerdict::MLE);
        assert_eq!(test_verdict(Verdict::Signalled, false), TestVerdict::RE);
        assert_eq!(test_verdict(Verdict::OutputLimit, false), TestVerdict::OLE);
        assert_eq!(test_verdict(Verdict::InternalError, false), TestVerdict::IE);
    }

    #[test]
    fn judge_requests_accept_the_documented_shape() {
        let r: JudgeRequest = serde_json::from_str(
            r#"{"language":"python","code":"x","compare":"float",
                "tests":[{"input":"1","expected":"2"},{"stdin":"","expected_output":""}]}"#,
        )
        .unwrap();
        assert_eq!(r.compare, CompareMode::Float);
        assert_eq!(r.tests[0].stdin, "1");
        assert!(serde_json::from_str::<JudgeRequest>(
            r#"{"language":"python","code":"x","tests":[],"compare":"fuzzy"}"#
        )
        .is_err());
    }
}
