//! The wire types of the HTTP surface: one execution request that accepts every field name
//! the older services used, and one response that carries the union of their fields plus
//! the full localeval outcome under `localeval`. Everything here is pure (no I/O), so the
//! lowering from the wire into an [`ExecRequest`] is unit-tested without a server.

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::limits::LimitRequest;
use crate::outcome::{Outcome, Verdict};
use crate::plan::{ExecRequest, WorkspaceFile};

/// The language a request without one gets (the older `/execute` service ran Python only).
pub const DEFAULT_LANGUAGE: &str = "python";

/// What is wrong with a request's fields (always a 400).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WireError {
    #[error("{field} must be a positive number, got {value}")]
    NotPositive { field: &'static str, value: String },
    #[error("file {name:?}: encoding must be \"utf8\" or \"base64\", got {encoding:?}")]
    BadEncoding { name: String, encoding: String },
    #[error("file {name:?}: content is not valid base64: {why}")]
    BadBase64 { name: String, why: String },
    #[error("the request has no language")]
    NoLanguage,
    #[error("{field}: unknown value {value}")]
    UnknownValue { field: &'static str, value: String },
}

/// A JSON error body: `{"error": "..."}`, as the older services sent.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    pub error: String,
}

/// An error answer of `POST /execute`: NVIDIA's sandbox fields besides `error`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ExecuteErrorBody {
    pub error: String,
    /// Always `error`.
    pub process_status: String,
    /// Always empty.
    pub stdout: String,
    /// The message of `error`.
    pub stderr: String,
}

/// Limits in the library's own units, for clients that want more than a timeout. Every one
/// is clamped to the server's maxima.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WireLimits {
    pub wall_ms: Option<u64>,
    pub cpu_ms: Option<u64>,
    pub memory_bytes: Option<u64>,
    /// CPU bandwidth in thousandths of a CPU.
    pub cpu_millis: Option<u32>,
    pub pids: Option<u32>,
    pub output_bytes: Option<u64>,
    pub tmpfs_bytes: Option<u64>,
    pub file_size_bytes: Option<u64>,
    pub open_files: Option<u32>,
}

impl From<WireLimits> for LimitRequest {
    fn from(w: WireLimits) -> LimitRequest {
        LimitRequest {
            wall_ms: w.wall_ms,
            cpu_ms: w.cpu_ms,
            memory_bytes: w.memory_bytes,
            cpu_millis: w.cpu_millis,
            pids: w.pids,
            output_bytes: w.output_bytes,
            tmpfs_bytes: w.tmpfs_bytes,
            file_size_bytes: w.file_size_bytes,
            open_files: w.open_files,
            tmpfs_inodes: None,
        }
    }
}

/// A file for the workspace.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FileIn {
    /// Path relative to the workspace (`src/Util.java`): no `.` or `..` component, no empty
    /// one, not absolute, at most 1024 bytes and 16 components.
    #[serde(alias = "path")]
    #[schema(min_length = 1, max_length = 1024)]
    pub name: String,
    pub content: String,
    /// `utf8` (default) or `base64`.
    #[serde(default)]
    pub encoding: Option<String>,
    #[serde(default)]
    pub executable: bool,
}

impl FileIn {
    pub fn to_workspace_file(&self) -> Result<WorkspaceFile, WireError> {
        let content = match self
            .encoding
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("utf8" | "utf-8" | "text") => self.content.as_bytes().to_vec(),
            Some("base64") => base64::engine::general_purpose::STANDARD
                .decode(self.content.trim())
                .map_err(|e| WireError::BadBase64 {
                    name: self.name.clone(),
                    why: e.to_string(),
                })?,
            Some(other) => {
                return Err(WireError::BadEncoding {
                    name: self.name.clone(),
                    encoding: other.to_string(),
                })
            }
        };
        Ok(WorkspaceFile {
            path: self.name.clone(),
            content,
            executable: self.executable,
        })
    }
}

/// One execution request, accepted by `POST /execute`, `POST /api/v1/execute` and the
/// streaming endpoint. Unknown fields are ignored so that older clients keep working.
#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
pub struct ExecuteRequest {
    /// Catalog language name or alias; `python` when absent.
    pub language: Option<String>,
    /// The program (first of `source_code`, `code`, `generated_code` that is given).
    pub source_code: Option<String>,
    pub code: Option<String>,
    /// Raw code, a dict literal with a `generated_code` key (JSON or Python style), or a
    /// markdown fenced block (the fence is stripped).
    pub generated_code: Option<String>,
    /// Wall-clock limit in milliseconds (clamped to the server's maximum).
    #[schema(exclusive_minimum = 0)]
    pub timeout_ms: Option<f64>,
    /// Wall-clock limit in seconds (clamped to the server's maximum).
    #[schema(exclusive_minimum = 0)]
    pub timeout_seconds: Option<f64>,
    /// Wall-clock limit in seconds (alias of `timeout_seconds`). `POST /execute` requires
    /// a timeout with `generated_code` (NVIDIA's sandbox does).
    #[schema(exclusive_minimum = 0)]
    pub timeout: Option<f64>,
    /// Standard input.
    #[serde(alias = "stdin")]
    pub input: Option<String>,
    /// Memory limit in MiB (clamped to the server's maximum).
    #[schema(exclusive_minimum = 0)]
    pub memory_limit_mb: Option<f64>,
    /// CPU cores (e.g. 0.5; clamped to the server's maximum).
    #[schema(exclusive_minimum = 0)]
    pub cpu_limit: Option<f64>,
    /// Extra workspace files (at most 256 with the code's own file; no two where one is
    /// the directory of another).
    #[serde(default)]
    #[schema(max_items = 255)]
    pub files: Vec<FileIn>,
    /// Workspace files to return after the run (base64, size-capped).
    #[serde(default)]
    pub return_files: Vec<String>,
    /// Limits in the library's units.
    pub limits: Option<WireLimits>,
    /// A pulled image to run on instead of the language's root filesystem; only images the
    /// server's configuration lists in `images` (none by default), else 400.
    pub image: Option<String>,
}

fn positive(field: &'static str, value: Option<f64>) -> Result<Option<f64>, WireError> {
    match value {
        Some(v) if !(v.is_finite() && v > 0.0) => Err(WireError::NotPositive {
            field,
            value: v.to_string(),
        }),
        other => Ok(other),
    }
}

/// Converts a float to u64 saturating (the plan clamps it to the maxima afterwards).
fn saturating_u64(v: f64) -> u64 {
    if v >= u64::MAX as f64 {
        u64::MAX
    } else {
        v.round().max(1.0) as u64
    }
}

impl ExecuteRequest {
    /// The program text, whichever field carried it.
    pub fn program(&self) -> String {
        let given = |s: &Option<String>| s.as_ref().filter(|s| !s.trim().is_empty()).cloned();
        given(&self.source_code)
            .or_else(|| given(&self.code))
            .or_else(|| {
                self.generated_code
                    .as_deref()
                    .map(extract_generated_code)
                    .filter(|s| !s.trim().is_empty())
            })
            .unwrap_or_default()
    }

    pub fn language_name(&self) -> String {
        self.language
            .as_deref()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .unwrap_or(DEFAULT_LANGUAGE)
            .to_string()
    }

    /// The request in the library's terms (limits still unclamped: the plan clamps).
    pub fn to_exec_request(&self) -> Result<ExecRequest, WireError> {
        let mut limits: LimitRequest = self.limits.unwrap_or_default().into();
        let wall_ms = match (
            positive("timeout_ms", self.timeout_ms)?,
            positive("timeout_seconds", self.timeout_seconds)?,
            positive("timeout", self.timeout)?,
        ) {
            (Some(ms), _, _) => Some(saturating_u64(ms)),
            (None, Some(s), _) | (None, None, Some(s)) => Some(saturating_u64(s * 1000.0)),
            (None, None, None) => None,
        };
        if let Some(ms) = wall_ms {
            // A client that asks for a timeout means the program may use that much time.
            limits.wall_ms = Some(ms);
            limits.cpu_ms = Some(limits.cpu_ms.unwrap_or(ms));
        }
        if let Some(mb) = positive("memory_limit_mb", self.memory_limit_mb)? {
            limits.memory_bytes = Some(saturating_u64(mb * (1u64 << 20) as f64));
        }
        if let Some(cpus) = positive("cpu_limit", self.cpu_limit)? {
            let millis = saturating_u64(cpus * 1000.0).min(u32::MAX as u64) as u32;
            limits.cpu_millis = Some(millis);
        }
        let files = self
            .files
            .iter()
            .map(FileIn::to_workspace_file)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ExecRequest {
            language: Some(self.language_name()),
            command: None,
            code: Some(self.program()),
            files,
            stdin: self.input.clone().unwrap_or_default().into_bytes(),
            limits,
            compile_limits: LimitRequest::default(),
            return_files: self.return_files.clone(),
            image: self
                .image
                .as_deref()
                .map(str::trim)
                .filter(|i| !i.is_empty())
                .map(str::to_string),
        })
    }
}

/// The response of every execution endpoint: the union of the older services' fields, and
/// the complete localeval outcome under `localeval`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ExecuteResponse {
    pub execution_id: String,
    /// `success`, `failed`, `timeout`, `memory_exceeded`, `compile_error` or `error`.
    pub status: String,
    /// `completed` (the program exited 0), `timeout`, or `error` (it failed: a non-zero
    /// exit, an uncaught exception, a signal, a limit, a compile error, or it could not run).
    pub process_status: String,
    /// The localeval verdict: OK, RE, SG, TLE, MLE, OLE, SYS, CE, IE.
    pub verdict: String,
    pub stdout: String,
    pub stderr: String,
    /// The program's exit status; when it did not exit by itself: 124 after a timeout,
    /// 128 + N when signal N killed it, -1 when it never ran.
    pub exit_code: i32,
    /// What went wrong, when something did other than a non-zero exit; `""` otherwise.
    pub error: String,
    pub timeout: bool,
    pub memory_exceeded: bool,
    pub execution_time_ms: u64,
    /// Peak memory in MiB, rounded up (an integer: Go clients decode it into an `int64`).
    pub memory_used_mb: u64,
    /// The full outcome: compile step, usage, truncation, returned files, provenance.
    #[schema(value_type = Object)]
    pub localeval: Outcome,
}

/// The older `status` string of a verdict.
pub fn status_of(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Ok => "success",
        Verdict::RuntimeError
        | Verdict::Signalled
        | Verdict::OutputLimit
        | Verdict::BlockedSyscall => "failed",
        Verdict::TimeLimit => "timeout",
        Verdict::MemoryLimit => "memory_exceeded",
        Verdict::CompileError => "compile_error",
        Verdict::InternalError => "error",
    }
}

/// The older `process_status` string of a verdict: NVIDIA's sandbox answers `error` for an
/// uncaught exception or a non-zero exit (a client that reads only the status must see the
/// failure), `timeout` for a timeout, `completed` only when the program exited 0.
pub fn process_status_of(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Ok => "completed",
        Verdict::TimeLimit => "timeout",
        Verdict::RuntimeError
        | Verdict::Signalled
        | Verdict::MemoryLimit
        | Verdict::OutputLimit
        | Verdict::BlockedSyscall
        | Verdict::CompileError
        | Verdict::InternalError => "error",
    }
}

/// Exit status of a timeout, as `timeout(1)` and `localeval run` give it.
pub const TIMEOUT_EXIT_CODE: i32 = 124;

/// The older `exit_code`, always a number (the seed clients decode it into an integer):
/// the program's own status, else 124 after a timeout, 128 + N for signal N, -1 when the
/// program never ran.
pub fn exit_code_of(outcome: &Outcome) -> i32 {
    match (outcome.exit_code, outcome.signal) {
        _ if outcome.verdict == Verdict::TimeLimit => TIMEOUT_EXIT_CODE,
        (Some(code), _) => code,
        (None, Some(signal)) => 128 + signal,
        (None, None) => -1,
    }
}

/// Bytes to whole MiB, rounded up (a program that used any memory shows at least 1).
pub fn mib_rounded_up(bytes: u64) -> u64 {
    bytes.div_ceil(1 << 20)
}

impl ExecuteResponse {
    pub fn from_outcome(execution_id: String, outcome: Outcome) -> ExecuteResponse {
        let v = outcome.verdict;
        let compile_stderr = outcome
            .compile
            .as_ref()
            .map(|c| c.stderr.text.clone())
            .unwrap_or_default();
        let error = match v {
            Verdict::Ok | Verdict::RuntimeError => None,
            Verdict::Signalled => Some(format!(
                "killed by signal {}",
                outcome.signal.unwrap_or_default()
            )),
            Verdict::TimeLimit => Some("time limit exceeded".to_string()),
            Verdict::MemoryLimit => Some("memory limit exceeded".to_string()),
            Verdict::OutputLimit => Some("output limit exceeded".to_string()),
            Verdict::BlockedSyscall => Some("killed for a forbidden system call".to_string()),
            Verdict::CompileError => Some(if compile_stderr.is_empty() {
                "compilation failed".to_string()
            } else {
                format!("compilation failed: {compile_stderr}")
            }),
            Verdict::InternalError => Some(
                outcome
                    .error
                    .clone()
                    .unwrap_or_else(|| "internal error".to_string()),
            ),
        };
        let stderr = if v == Verdict::CompileError {
            compile_stderr
        } else {
            outcome.stderr.text.clone()
        };
        ExecuteResponse {
            execution_id,
            status: status_of(v).to_string(),
            process_status: process_status_of(v).to_string(),
            verdict: v.code().to_string(),
            stdout: outcome.stdout.text.clone(),
            stderr,
            exit_code: exit_code_of(&outcome),
            error: error.unwrap_or_default(),
            timeout: v == Verdict::TimeLimit,
            memory_exceeded: v == Verdict::MemoryLimit || outcome.limits_hit.memory,
            execution_time_ms: outcome.usage.wall_ms,
            memory_used_mb: mib_rounded_up(outcome.usage.peak_memory_bytes),
            localeval: outcome,
        }
    }
}

/// `generated_code` as the older service accepted it: raw code, a dict literal with a
/// `generated_code` key (JSON or Python literal style), or a markdown fenced block.
pub fn extract_generated_code(text: &str) -> String {
    let trimmed = text.trim();
    if trimmed.starts_with('{') && trimmed.ends_with('}') && trimmed.contains("generated_code") {
        if let Ok(serde_json::Value::Object(map)) = serde_json::from_str(trimmed) {
            if let Some(serde_json::Value::String(code)) = map.get("generated_code") {
                return strip_code_fence(code);
            }
        }
        if let Some(code) = python_dict_value(trimmed, "generated_code") {
            return strip_code_fence(&code);
        }
    }
    strip_code_fence(text)
}

fn fence_marker(line: &str) -> Option<&'static str> {
    let l = line.trim_start();
    if l.starts_with("```") {
        Some("```")
    } else if l.starts_with("~~~") {
        Some("~~~")
    } else {
        None
    }
}

/// The content of the first markdown fenced block, when the text starts with one or has
/// prose around one; otherwise the text as it is.
pub fn strip_code_fence(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let Some(open) = lines.iter().position(|l| fence_marker(l).is_some()) else {
        return text.to_string();
    };
    let marker = fence_marker(lines[open]).expect("found above");
    let close = lines[open + 1..]
        .iter()
        .position(|l| l.trim() == marker)
        .map(|i| open + 1 + i);
    let starts_with_fence = lines[..open].iter().all(|l| l.trim().is_empty());
    match close {
        Some(close) => lines[open + 1..close].join("\n") + "\n",
        // An unterminated fence at the start (a truncated LLM answer): the rest is code.
        None if starts_with_fence => lines[open + 1..].join("\n") + "\n",
        // A stray fence in the middle of code (e.g. inside a string literal): not markdown.
        None => text.to_string(),
    }
}

/// Finds `'key': <string literal>` (or with double quotes) in a Python dict literal and
/// decodes the literal.
fn python_dict_value(text: &str, key: &str) -> Option<String> {
    for quote in ['\'', '"'] {
        let needle = format!("{quote}{key}{quote}");
        let Some(at) = text.find(&needle) else {
            continue;
        };
        let rest = text[at + needle.len()..].trim_start();
        let rest = rest.strip_prefix(':')?.trim_start();
        return python_string_literal(rest);
    }
    None
}

/// Decodes the Python string literal at the start of `text` (optional r/u prefix; single,
/// double or triple quotes; the usual escapes).
fn python_string_literal(text: &str) -> Option<String> {
    let (raw, body) = match text.as_bytes().first()? {
        b'r' | b'R' => (true, &text[1..]),
        b'u' | b'U' => (false, &text[1..]),
        _ => (false, text),
    };
    let quote = ["'''", "\"\"\"", "'", "\""]
        .into_iter()
        .find(|q| body.starts_with(q))?;
    let mut chars = body[quote.len()..].chars().peekable();
    let mut out = String::new();
    let mut consumed = String::new();
    loop {
        let c = chars.next()?;
        consumed.push(c);
        if c == '\\' {
            let e = chars.next()?;
            consumed.push(e);
            if raw {
                out.push('\\');
                out.push(e);
                continue;
            }
            match e {
                '\n' => {}
                '\\' => out.push('\\'),
                '\'' => out.push('\''),
                '"' => out.push('"'),
                'n' => out.push('\n'),
                'r' => out.push('\r'),
                't' => out.push('\t'),
                'a' => out.push('\x07'),
                'b' => out.push('\x08'),
                'f' => out.push('\x0c'),
                'v' => out.push('\x0b'),
                'x' | 'u' | 'U' => {
                    let len = match e {
                        'x' => 2,
                        'u' => 4,
                        _ => 8,
                    };
                    let hex: String = (0..len).filter_map(|_| chars.next()).collect();
                    let ch = u32::from_str_radix(&hex, 16)
                        .ok()
                        .and_then(char::from_u32)?;
                    out.push(ch);
                }
                '0'..='7' => {
                    let mut oct = e.to_string();
                    while oct.len() < 3 && chars.peek().is_some_and(|c| ('0'..='7').contains(c)) {
                        oct.push(chars.next().expect("peeked"));
                    }
                    out.push(char::from_u32(u32::from_str_radix(&oct, 8).ok()?)?);
                }
                other => {
                    out.push('\\');
                    out.push(other);
                }
            }
            continue;
        }
        out.push(c);
        if out.ends_with(quote) {
            out.truncate(out.len() - quote.len());
            return Some(out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> ExecuteRequest {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn every_older_field_name_is_accepted() {
        let r = parse(r#"{"language":"python","source_code":"print(1)","timeout_ms":1500}"#);
        let e = r.to_exec_request().unwrap();
        assert_eq!(e.code.as_deref(), Some("print(1)"));
        assert_eq!(e.limits.wall_ms, Some(1500));
        let r = parse(
            r#"{"language":"js","code":"x","input":"in","timeout_seconds":2,
                "memory_limit_mb":128,"cpu_limit":0.5,"extra_field":true}"#,
        );
        let e = r.to_exec_request().unwrap();
        assert_eq!(e.language.as_deref(), Some("js"));
        assert_eq!(e.stdin, b"in");
        assert_eq!(e.limits.wall_ms, Some(2000));
        assert_eq!(e.limits.cpu_ms, Some(2000));
        assert_eq!(e.limits.memory_bytes, Some(128 << 20));
        assert_eq!(e.limits.cpu_millis, Some(500));
        let r = parse(r#"{"generated_code":"print(2)","timeout":3}"#);
        let e = r.to_exec_request().unwrap();
        assert_eq!(e.language.as_deref(), Some("python"));
        assert_eq!(e.code.as_deref(), Some("print(2)"));
        assert_eq!(e.limits.wall_ms, Some(3000));
        let r = parse(r#"{"language":"python","code":"x","stdin":"s"}"#);
        assert_eq!(r.to_exec_request().unwrap().stdin, b"s");
    }

    #[test]
    fn bad_numbers_and_files_are_refused() {
        for body in [
            r#"{"code":"x","timeout_ms":0}"#,
            r#"{"code":"x","timeout":-1}"#,
            r#"{"code":"x","memory_limit_mb":0}"#,
        ] {
            assert!(matches!(
                parse(body).to_exec_request(),
                Err(WireError::NotPositive { .. })
            ));
        }
        // Wrong types are a deserialization error (the route turns it into a 400).
        assert!(serde_json::from_str::<ExecuteRequest>(r#"{"code":5}"#).is_err());
        assert!(serde_json::from_str::<ExecuteRequest>(r#"{"timeout":"5"}"#).is_err());
        let r = parse(r#"{"code":"x","files":[{"name":"a","content":"!!","encoding":"base64"}]}"#);
        assert!(matches!(
            r.to_exec_request(),
            Err(WireError::BadBase64 { .. })
        ));
        let r = parse(r#"{"code":"x","files":[{"name":"a","content":"x","encoding":"rot13"}]}"#);
        assert!(matches!(
            r.to_exec_request(),
            Err(WireError::BadEncoding { .. })
        ));
        // A huge timeout is not an error here: the plan clamps it to the maximum.
        let r = parse(r#"{"code":"x","timeout":1e300}"#);
        assert_eq!(r.to_exec_request().unwrap().limits.wall_ms, Some(u64::MAX));
    }

    #[test]
    fn files_decode_from_utf8_and_base64() {
        let r = parse(
            r#"{"code":"x","files":[{"name":"a.txt","content":"hi"},
                {"path":"b.bin","content":"AAEC","encoding":"base64","executable":true}]}"#,
        );
        let e = r.to_exec_request().unwrap();
        assert_eq!(e.files[0].content, b"hi");
        assert_eq!(e.files[1].path, "b.bin");
        assert_eq!(e.files[1].content, vec![0, 1, 2]);
        assert!(e.files[1].executable);
    }

    #[test]
    fn generated_code_is_raw_a_dict_literal_or_a_fenced_block() {
        assert_eq!(extract_generated_code("print(1)"), "print(1)");
        assert_eq!(
            extract_generated_code("```python\nprint(1)\nprint(2)\n```"),
            "print(1)\nprint(2)\n"
        );
        assert_eq!(
            extract_generated_code("Here you go:\n\n```py\nx = 1\n```\nThat's it."),
            "x = 1\n"
        );
        assert_eq!(extract_generated_code("~~~\ncode\n~~~"), "code\n");
        // A truncated answer: the fence never closes.
        assert_eq!(extract_generated_code("```python\nprint(3)"), "print(3)\n");
        // Code that merely contains a fence in a string stays as it is.
        let code = "s = '''\n```\n'''\nprint(s)";
        assert_eq!(extract_generated_code(code), code);
        assert_eq!(
            extract_generated_code(r#"{"generated_code": "print(\"hi\")\nprint(2)"}"#),
            "print(\"hi\")\nprint(2)"
        );
        assert_eq!(
            extract_generated_code(r"{'generated_code': 'print(\'hi\')\nx = \x41'}"),
            "print('hi')\nx = A"
        );
        assert_eq!(
            extract_generated_code("{'generated_code': \"\"\"a = 1\nb = 'q'\"\"\", 'other': 1}"),
            "a = 1\nb = 'q'"
        );
        assert_eq!(
            extract_generated_code("{'generated_code': '```python\\nprint(5)\\n```'}"),
            "print(5)\n"
        );
        assert_eq!(
            extract_generated_code(r"{'generated_code': r'a\nb'}"),
            r"a\nb"
        );
        // A dict-looking program that is not one stays as it is.
        let code = "{'generated_code': broken";
        assert_eq!(extract_generated_code(code), code);
    }

    #[test]
    fn the_first_non_empty_code_field_wins() {
        let r = parse(r#"{"source_code":"  ","code":"B","generated_code":"C"}"#);
        assert_eq!(r.program(), "B");
        let r = parse(r#"{"source_code":"","generated_code":"```\nC\n```"}"#);
        assert_eq!(r.program(), "C\n");
        let r = parse(r#"{"language":"python"}"#);
        assert_eq!(r.program(), "");
    }

    #[test]
    fn older_status_strings_follow_the_verdict() {
        assert_eq!(status_of(Verdict::Ok), "success");
        assert_eq!(process_status_of(Verdict::Ok), "completed");
        // NVIDIA's sandbox: an uncaught exception or a non-zero exit is `error`.
        assert_eq!(process_status_of(Verdict::RuntimeError), "error");
        assert_eq!(process_status_of(Verdict::Signalled), "error");
        assert_eq!(process_status_of(Verdict::MemoryLimit), "error");
        assert_eq!(process_status_of(Verdict::OutputLimit), "error");
        assert_eq!(process_status_of(Verdict::BlockedSyscall), "error");
        assert_eq!(process_status_of(Verdict::TimeLimit), "timeout");
        assert_eq!(process_status_of(Verdict::CompileError), "error");
        assert_eq!(process_status_of(Verdict::InternalError), "error");
        assert_eq!(status_of(Verdict::MemoryLimit), "memory_exceeded");
    }
}
