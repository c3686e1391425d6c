//! What one execution produced: one schema for every language and every front end (CLI,
//! HTTP, eval). docs/ARCHITECTURE.md "The pipeline" (outcome).

use serde::{Deserialize, Serialize};

/// The verdict of an execution. The user's program failing (RE, SG, TLE, MLE, OLE, SYS, CE)
/// and the sandbox failing (IE) are never confused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Verdict {
    /// Exited with status 0.
    #[serde(rename = "OK")]
    Ok,
    /// Exited with a non-zero status.
    #[serde(rename = "RE")]
    RuntimeError,
    /// Killed by a signal it did not ask for from a limit (e.g. SIGSEGV, SIGABRT).
    #[serde(rename = "SG")]
    Signalled,
    /// Wall-clock or CPU time limit reached.
    #[serde(rename = "TLE")]
    TimeLimit,
    /// Memory limit reached (the cgroup's out-of-memory killer acted).
    #[serde(rename = "MLE")]
    MemoryLimit,
    /// Output limit reached on stdout or stderr.
    #[serde(rename = "OLE")]
    OutputLimit,
    /// Killed for a forbidden system call (SIGSYS from the seccomp filter).
    #[serde(rename = "SYS")]
    BlockedSyscall,
    /// The compile step failed; the program never ran.
    #[serde(rename = "CE")]
    CompileError,
    /// The sandbox could not be built or supervised; the program's result is unknown.
    #[serde(rename = "IE")]
    InternalError,
}

impl Verdict {
    pub fn code(self) -> &'static str {
        match self {
            Verdict::Ok => "OK",
            Verdict::RuntimeError => "RE",
            Verdict::Signalled => "SG",
            Verdict::TimeLimit => "TLE",
            Verdict::MemoryLimit => "MLE",
            Verdict::OutputLimit => "OLE",
            Verdict::BlockedSyscall => "SYS",
            Verdict::CompileError => "CE",
            Verdict::InternalError => "IE",
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

// Captured, ReturnedFile and StepOutcome cross the launcher's socket in postcard, which is
// not self-describing: their fields are never skipped.

/// One captured stream. `text` is the kept bytes as UTF-8, invalid sequences replaced by
/// U+FFFD; when that replacement happened, `base64` carries the exact bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Captured {
    pub text: String,
    pub base64: Option<String>,
    /// More was written than the limit kept.
    pub truncated: bool,
    /// Bytes the program wrote to the stream (kept or not), as far as they were read.
    pub bytes: u64,
}

impl Captured {
    pub fn from_bytes(kept: &[u8], total: u64, truncated: bool) -> Captured {
        use base64::Engine as _;
        let (text, base64) = match std::str::from_utf8(kept) {
            Ok(text) => (text.to_string(), None),
            Err(_) => (
                String::from_utf8_lossy(kept).into_owned(),
                Some(base64::engine::general_purpose::STANDARD.encode(kept)),
            ),
        };
        Captured {
            text,
            base64,
            truncated,
            bytes: total,
        }
    }
}

/// Which limits were reached during a run (several can be, e.g. pids then time).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimitsHit {
    pub wall: bool,
    pub cpu: bool,
    pub memory: bool,
    pub pids: bool,
    pub output: bool,
    pub file_size: bool,
}

/// Measured use of one jailed program.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub wall_ms: u64,
    pub cpu_ms: u64,
    /// Peak memory of the run as a group where a cgroup measured it, otherwise the largest
    /// resident set of one process (see provenance).
    pub peak_memory_bytes: u64,
}

/// A file the request asked to get back from the workspace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnedFile {
    pub name: String,
    /// Base64 of the content, absent when `error` says why it could not be read.
    pub base64: Option<String>,
    pub error: Option<String>,
}

/// The result of one jailed program (a compile step or a run step).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepOutcome {
    pub verdict: Verdict,
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
    pub stdout: Captured,
    pub stderr: Captured,
    pub usage: Usage,
    pub limits_hit: LimitsHit,
    /// For IE: what failed, naming the step, the system call, its arguments and errno.
    pub error: Option<String>,
}

impl StepOutcome {
    /// A step that never produced output: `verdict` and why.
    pub fn without_output(verdict: Verdict, error: Option<String>) -> StepOutcome {
        StepOutcome {
            verdict,
            exit_code: None,
            signal: None,
            stdout: Captured::default(),
            stderr: Captured::default(),
            usage: Usage::default(),
            limits_hit: LimitsHit::default(),
            error,
        }
    }

    /// A step whose sandbox failed: the program's result is unknown.
    pub fn internal_error(message: String) -> StepOutcome {
        StepOutcome::without_output(Verdict::InternalError, Some(message))
    }
}

/// How a limit is enforced on this host, or that it is not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Enforcement {
    CgroupV2,
    CgroupV1,
    /// A per-process rlimit: weaker than a group limit, and said so.
    Rlimit,
    /// The supervisor measures and kills.
    Supervisor,
    /// A tmpfs mount option.
    Mount,
    NotEnforced,
}

/// The limits of a step and how each one was enforced.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnforcedLimits {
    pub limits: crate::limits::Limits,
    pub wall: Enforcement,
    pub cpu_time: Enforcement,
    pub memory: Enforcement,
    pub cpu_quota: Enforcement,
    pub pids: Enforcement,
    pub output: Enforcement,
    pub tmpfs: Enforcement,
    pub file_size: Enforcement,
    pub open_files: Enforcement,
}

/// Where and how a result was produced, so that two results can be compared honestly.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    /// `host` for the host profile, or the image reference and digest.
    pub rootfs: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rootfs_digest: Option<String>,
    /// Settings of the root filesystem (an image's `WorkingDir`, say) that were not
    /// honoured, each with the reason.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rootfs_notes: Vec<String>,
    /// `v2`, `v1` or `none`.
    pub cgroup_mode: String,
    pub enforced: EnforcedLimits,
    /// sha256 of the seccomp profile file the filters were compiled from.
    pub seccomp_profile_sha256: String,
    /// Rootless (an ordinary user with user namespaces) or as root.
    pub rootless: bool,
    /// Host uid the program ran as.
    pub host_uid: u32,
    /// Isolation properties this host could not give, each with the reason.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub weakened: Vec<String>,
    pub localeval_version: String,
}

/// The result of one execution: the run step, and the compile step where the language has one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    pub verdict: Verdict,
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
    pub stdout: Captured,
    pub stderr: Captured,
    pub usage: Usage,
    pub limits_hit: LimitsHit,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compile: Option<Box<StepOutcome>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<ReturnedFile>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub provenance: Provenance,
}

impl Outcome {
    /// The outcome of an execution whose run step is `step`.
    pub fn from_step(
        step: StepOutcome,
        compile: Option<StepOutcome>,
        files: Vec<ReturnedFile>,
        provenance: Provenance,
    ) -> Outcome {
        Outcome {
            verdict: step.verdict,
            exit_code: step.exit_code,
            signal: step.signal,
            stdout: step.stdout,
            stderr: step.stderr,
            usage: step.usage,
            limits_hit: step.limits_hit,
            compile: compile.map(Box::new),
            files,
            error: step.error,
            provenance,
        }
    }

    /// The outcome of an execution whose compile step failed: the program never ran.
    pub fn compile_failed(compile: StepOutcome, provenance: Provenance) -> Outcome {
        let verdict = if compile.verdict == Verdict::InternalError {
            Verdict::InternalError
        } else {
            Verdict::CompileError
        };
        let run = StepOutcome::without_output(verdict, compile.error.clone());
        Outcome::from_step(run, Some(compile), Vec::new(), provenance)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_utf8_is_replaced_and_kept_exactly_in_base64() {
        let c = Captured::from_bytes(b"ok\xff", 3, false);
        assert_eq!(c.text, "ok\u{fffd}");
        assert_eq!(c.base64.as_deref(), Some("b2v/"));
        let c = Captured::from_bytes(b"fine", 10, true);
        assert!(c.base64.is_none() && c.truncated && c.bytes == 10);
    }

    #[test]
    fn verdicts_serialize_as_their_codes() {
        assert_eq!(
            serde_json::to_string(&Verdict::TimeLimit).unwrap(),
            "\"TLE\""
        );
        assert_eq!(Verdict::MemoryLimit.code(), "MLE");
    }
}
