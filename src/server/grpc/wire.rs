//! The gRPC wire types, generated from proto/ by build.rs, and their lowering: a gRPC
//! request becomes the same [`ExecRequest`] (or judge request) an HTTP request becomes, and
//! the same [`wire::ExecuteResponse`] comes back out as a gRPC message. Pure (no I/O), so
//! every mapping is unit-tested without a server.

use std::collections::HashMap;

use base64::Engine as _;

use crate::outcome::{Captured, Enforcement, LimitsHit, Provenance, StepOutcome, Usage, Verdict};
use crate::plan::{ExecRequest, WorkspaceFile};
use crate::server::judge::{self, CompareMode, TestVerdict};
use crate::server::wire::{self as http, FileIn, WireError, WireLimits};

/// `proto/executor.proto`: the seed code-executor's service.
#[allow(clippy::all)]
pub mod executor {
    tonic::include_proto!("executor");
}

/// `proto/localeval/v1/localeval.proto`.
#[allow(clippy::all)]
pub mod v1 {
    tonic::include_proto!("localeval.v1");
}

/// Both files' descriptors (encoded), for server reflection.
pub const DESCRIPTORS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/descriptors.bin"));

/// A seed request in the HTTP API's terms. Proto3 cannot tell 0 from unset: 0 is the
/// server's default, as in the seed; a negative number is refused like over HTTP.
pub fn seed_request(r: executor::ExecuteRequest) -> http::ExecuteRequest {
    let set = |v: f64| (v != 0.0).then_some(v);
    http::ExecuteRequest {
        language: Some(r.language),
        code: Some(r.code),
        input: Some(r.input),
        timeout_seconds: set(r.timeout_seconds as f64),
        memory_limit_mb: set(r.memory_limit_mb as f64),
        cpu_limit: set(r.cpu_limit),
        ..Default::default()
    }
}

pub fn seed_response(r: http::ExecuteResponse) -> executor::ExecuteResponse {
    executor::ExecuteResponse {
        stdout: r.stdout,
        stderr: r.stderr,
        exit_code: r.exit_code,
        timeout: r.timeout,
        memory_exceeded: r.memory_exceeded,
        execution_time_ms: saturating_i64(r.execution_time_ms),
        memory_used_mb: saturating_i64(r.memory_used_mb),
        error: r.error,
        execution_id: r.execution_id,
        verdict: r.verdict,
    }
}

fn saturating_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn wire_limits(l: v1::Limits) -> WireLimits {
    WireLimits {
        wall_ms: l.wall_ms,
        cpu_ms: l.cpu_ms,
        memory_bytes: l.memory_bytes,
        cpu_millis: l.cpu_millis,
        pids: l.pids,
        output_bytes: l.output_bytes,
        tmpfs_bytes: l.tmpfs_bytes,
        file_size_bytes: l.file_size_bytes,
        open_files: l.open_files,
    }
}

fn non_empty(s: String) -> Option<String> {
    (!s.trim().is_empty()).then_some(s)
}

/// A localeval.v1 request in the library's terms (through the HTTP request's lowering, so
/// that defaults and checks are the same; stdin and files are bytes here, kept exactly).
pub fn exec_request(r: v1::ExecuteRequest) -> Result<ExecRequest, WireError> {
    let request = http::ExecuteRequest {
        language: Some(r.language),
        code: Some(r.code),
        limits: r.limits.map(wire_limits),
        return_files: r.return_files,
        image: non_empty(r.image),
        ..Default::default()
    };
    let mut exec = request.to_exec_request()?;
    exec.stdin = r.stdin;
    exec.files = r
        .files
        .into_iter()
        .map(|f| WorkspaceFile {
            path: f.name,
            content: f.content,
            executable: f.executable,
        })
        .collect();
    Ok(exec)
}

pub fn verdict(v: Verdict) -> v1::Verdict {
    match v {
        Verdict::Ok => v1::Verdict::Ok,
        Verdict::RuntimeError => v1::Verdict::Re,
        Verdict::Signalled => v1::Verdict::Sg,
        Verdict::TimeLimit => v1::Verdict::Tle,
        Verdict::MemoryLimit => v1::Verdict::Mle,
        Verdict::OutputLimit => v1::Verdict::Ole,
        Verdict::BlockedSyscall => v1::Verdict::Sys,
        Verdict::CompileError => v1::Verdict::Ce,
        Verdict::InternalError => v1::Verdict::Ie,
    }
}

/// A verdict given by its code (`OK`, `TLE`, ...), as the judge reports them.
fn verdict_of_code(code: &str) -> v1::Verdict {
    [
        Verdict::Ok,
        Verdict::RuntimeError,
        Verdict::Signalled,
        Verdict::TimeLimit,
        Verdict::MemoryLimit,
        Verdict::OutputLimit,
        Verdict::BlockedSyscall,
        Verdict::CompileError,
        Verdict::InternalError,
    ]
    .into_iter()
    .find(|v| v.code() == code)
    .map(verdict)
    .unwrap_or(v1::Verdict::Unspecified)
}

/// The exact bytes of a captured stream.
fn output(c: Captured) -> v1::Output {
    let data = match c.base64 {
        Some(b64) => base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap_or_else(|_| c.text.into_bytes()),
        None => c.text.into_bytes(),
    };
    v1::Output {
        data,
        truncated: c.truncated,
        total_bytes: c.bytes,
    }
}

fn usage(u: Usage) -> v1::Usage {
    v1::Usage {
        wall_ms: u.wall_ms,
        cpu_ms: u.cpu_ms,
        peak_memory_bytes: u.peak_memory_bytes,
    }
}

fn limits_hit(h: LimitsHit) -> v1::LimitsHit {
    v1::LimitsHit {
        wall: h.wall,
        cpu: h.cpu,
        memory: h.memory,
        pids: h.pids,
        output: h.output,
        file_size: h.file_size,
    }
}

fn step(s: StepOutcome) -> v1::Step {
    v1::Step {
        verdict: verdict(s.verdict).into(),
        exit_code: s.exit_code,
        signal: s.signal,
        stdout: Some(output(s.stdout)),
        stderr: Some(output(s.stderr)),
        usage: Some(usage(s.usage)),
        limits_hit: Some(limits_hit(s.limits_hit)),
        error: s.error.unwrap_or_default(),
    }
}

fn enforcement_name(e: Enforcement) -> &'static str {
    match e {
        Enforcement::CgroupV2 => "cgroup-v2",
        Enforcement::CgroupV1 => "cgroup-v1",
        Enforcement::Rlimit => "rlimit",
        Enforcement::Supervisor => "supervisor",
        Enforcement::Mount => "mount",
        Enforcement::NotEnforced => "not-enforced",
    }
}

fn provenance(p: Provenance) -> v1::Provenance {
    let e = &p.enforced;
    let l = e.limits;
    let enforcement: HashMap<String, String> = [
        ("wall", e.wall),
        ("cpu_time", e.cpu_time),
        ("memory", e.memory),
        ("cpu_quota", e.cpu_quota),
        ("pids", e.pids),
        ("output", e.output),
        ("tmpfs", e.tmpfs),
        ("file_size", e.file_size),
        ("open_files", e.open_files),
    ]
    .into_iter()
    .map(|(name, how)| (name.to_string(), enforcement_name(how).to_string()))
    .collect();
    v1::Provenance {
        rootfs: p.rootfs,
        rootfs_digest: p.rootfs_digest.unwrap_or_default(),
        rootfs_notes: p.rootfs_notes,
        cgroup_mode: p.cgroup_mode,
        limits: Some(v1::EffectiveLimits {
            wall_ms: l.wall_ms,
            cpu_ms: l.cpu_ms,
            memory_bytes: l.memory_bytes,
            cpu_millis: l.cpu_millis,
            pids: l.pids,
            output_bytes: l.output_bytes,
            tmpfs_bytes: l.tmpfs_bytes,
            tmpfs_inodes: l.tmpfs_inodes,
            file_size_bytes: l.file_size_bytes,
            open_files: l.open_files,
        }),
        enforcement,
        seccomp_profile_sha256: p.seccomp_profile_sha256,
        rootless: p.rootless,
        host_uid: p.host_uid,
        weakened: p.weakened,
        localeval_version: p.localeval_version,
    }
}

/// The full outcome of an execution, typed.
pub fn execute_response(r: http::ExecuteResponse) -> v1::ExecuteResponse {
    let o = r.localeval;
    v1::ExecuteResponse {
        execution_id: r.execution_id,
        verdict: verdict(o.verdict).into(),
        exit_code: o.exit_code,
        signal: o.signal,
        stdout: Some(output(o.stdout)),
        stderr: Some(output(o.stderr)),
        usage: Some(usage(o.usage)),
        limits_hit: Some(limits_hit(o.limits_hit)),
        compile: o.compile.map(|c| step(*c)),
        files: o
            .files
            .into_iter()
            .map(|f| v1::ReturnedFile {
                name: f.name,
                content: f
                    .base64
                    .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
                    .unwrap_or_default(),
                error: f.error.unwrap_or_default(),
            })
            .collect(),
        error: o.error.unwrap_or_default(),
        provenance: Some(provenance(o.provenance)),
    }
}

/// A judge request in the HTTP judge's terms.
pub fn judge_request(r: v1::JudgeRequest) -> Result<judge::JudgeRequest, WireError> {
    let compare = match v1::CompareMode::try_from(r.compare) {
        Ok(v1::CompareMode::Unspecified | v1::CompareMode::Whitespace) => CompareMode::Whitespace,
        Ok(v1::CompareMode::Exact) => CompareMode::Exact,
        Ok(v1::CompareMode::Float) => CompareMode::Float,
        Err(_) => {
            return Err(WireError::UnknownValue {
                field: "compare",
                value: r.compare.to_string(),
            })
        }
    };
    Ok(judge::JudgeRequest {
        language: r.language,
        code: r.code,
        files: r
            .files
            .into_iter()
            .map(|f| FileIn {
                name: f.name,
                content: base64::engine::general_purpose::STANDARD.encode(f.content),
                encoding: Some("base64".into()),
                executable: f.executable,
            })
            .collect(),
        tests: r
            .tests
            .into_iter()
            .map(|t| judge::JudgeTest {
                name: non_empty(t.name),
                stdin: t.stdin,
                expected_output: t.expected_output,
            })
            .collect(),
        compare,
        float_tolerance: r.float_tolerance,
        stop_at_first_failure: r.stop_at_first_failure,
        timeout_ms: None,
        memory_limit_mb: None,
        limits: r.limits.map(wire_limits),
    })
}

fn test_verdict(v: TestVerdict) -> v1::TestVerdict {
    match v {
        TestVerdict::AC => v1::TestVerdict::Ac,
        TestVerdict::WA => v1::TestVerdict::Wa,
        TestVerdict::TLE => v1::TestVerdict::Tle,
        TestVerdict::MLE => v1::TestVerdict::Mle,
        TestVerdict::RE => v1::TestVerdict::Re,
        TestVerdict::OLE => v1::TestVerdict::Ole,
        TestVerdict::IE => v1::TestVerdict::Ie,
        TestVerdict::SKIPPED => v1::TestVerdict::Skipped,
    }
}

fn saturating_u32(v: usize) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

pub fn judge_response(r: judge::JudgeResponse) -> v1::JudgeResponse {
    v1::JudgeResponse {
        judge_id: r.judge_id,
        verdict: r.verdict,
        passed: saturating_u32(r.passed),
        total: saturating_u32(r.total),
        compile: r.compile.map(step),
        tests: r
            .tests
            .into_iter()
            .map(|t| v1::TestResult {
                index: saturating_u32(t.index),
                name: t.name,
                verdict: test_verdict(t.verdict).into(),
                execution_verdict: t
                    .execution_verdict
                    .as_deref()
                    .map(verdict_of_code)
                    .unwrap_or(v1::Verdict::Unspecified)
                    .into(),
                exit_code: t.exit_code,
                time_ms: t.time_ms,
                cpu_ms: t.cpu_ms,
                memory_bytes: t.memory_bytes,
                stdout: t.stdout,
                stderr: t.stderr,
                stdout_truncated: t.stdout_truncated,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_zeroes_are_defaults_and_negatives_are_refused() {
        let request = seed_request(executor::ExecuteRequest {
            language: "python".into(),
            code: "print(1)".into(),
            input: "x".into(),
            timeout_seconds: 0,
            memory_limit_mb: 256,
            cpu_limit: 0.0,
        });
        assert_eq!(request.timeout_seconds, None);
        assert_eq!(request.memory_limit_mb, Some(256.0));
        assert_eq!(request.cpu_limit, None);
        let exec = request.to_exec_request().unwrap();
        assert_eq!(exec.stdin, b"x");
        assert_eq!(exec.limits.memory_bytes, Some(256 << 20));
        let negative = seed_request(executor::ExecuteRequest {
            timeout_seconds: -1,
            ..Default::default()
        });
        assert!(matches!(
            negative.to_exec_request(),
            Err(WireError::NotPositive {
                field: "timeout_seconds",
                ..
            })
        ));
    }

    #[test]
    fn v1_requests_keep_stdin_and_files_as_bytes() {
        let exec = exec_request(v1::ExecuteRequest {
            language: String::new(),
            code: "print(1)".into(),
            stdin: vec![0xff, 0x00],
            limits: Some(v1::Limits {
                wall_ms: Some(1500),
                ..Default::default()
            }),
            files: vec![v1::File {
                name: "data.bin".into(),
                content: vec![0xfe],
                executable: false,
            }],
            ..Default::default()
        })
        .unwrap();
        assert_eq!(exec.language.as_deref(), Some(http::DEFAULT_LANGUAGE));
        assert_eq!(exec.stdin, vec![0xff, 0x00]);
        assert_eq!(exec.limits.wall_ms, Some(1500));
        assert_eq!(exec.files[0].content, vec![0xfe]);
    }

    #[test]
    fn captured_streams_come_back_as_their_exact_bytes() {
        let c = Captured::from_bytes(b"ok\xff", 3, false);
        assert_eq!(output(c).data, b"ok\xff");
        let c = Captured::from_bytes(b"fine", 10, true);
        let o = output(c);
        assert_eq!(
            (o.data.as_slice(), o.truncated, o.total_bytes),
            (&b"fine"[..], true, 10)
        );
    }

    #[test]
    fn every_verdict_code_maps_to_its_enum_value() {
        assert_eq!(verdict_of_code("TLE"), v1::Verdict::Tle);
        assert_eq!(verdict_of_code("IE"), v1::Verdict::Ie);
        assert_eq!(verdict_of_code("??"), v1::Verdict::Unspecified);
    }

    #[test]
    fn unknown_compare_modes_are_refused() {
        let request = v1::JudgeRequest {
            compare: 42,
            ..Default::default()
        };
        assert!(judge_request(request).is_err());
    }
}
