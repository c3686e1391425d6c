//! The parent side of the clone: prepares the run, clones the sandbox's init, writes its id
//! maps and places it in its cgroup, then feeds stdin, drains stdout and stderr
//! concurrently, enforces the wall-clock, CPU and output limits, and turns what happened
//! into a verdict. Runs in a single-threaded process (the CLI, or a launcher's child).

use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

use super::cgroup::RunCgroup;
use super::inside::{self, ChildFailure, ChildSide, InitReport};
use super::{AtStep, Host, JailProvenance, JailReport, SandboxShape, SetupError, Stream};
use crate::limits::Limits;
use crate::outcome::{
    Captured, EnforcedLimits, Enforcement, LimitsHit, ReturnedFile, StepOutcome, Usage, Verdict,
};
use crate::plan::JailSpec;
use crate::rootfs::{SANDBOX_GID, SANDBOX_UID};
use crate::sys::{self, Forked, SysError};

/// Why the supervisor killed a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KillReason {
    Wall,
    Cpu,
    Output,
    /// The client went away (the service is shutting down, or died).
    Cancelled,
}

/// Runs `spec` from this (single-threaded) process, cleanup included; the run is cancelled
/// when `abort` becomes readable or hangs up.
pub fn run_supervised(
    host: &Host,
    spec: &JailSpec,
    abort: Option<RawFd>,
    on_output: &mut dyn FnMut(Stream, &[u8]),
) -> JailReport {
    let result =
        build_and_run(host, spec, abort, on_output).and_then(|(result, host_uid, teardown)| {
            teardown.finish()?;
            Ok((result, host_uid))
        });
    report(host, spec, result)
}

/// What a run's provenance says of this host before the run has a host uid of its own.
pub fn provenance(host: &Host, limits: &Limits) -> JailProvenance {
    JailProvenance {
        cgroup_mode: host.cgroups.mode().to_string(),
        enforced: enforcement(host, limits),
        seccomp_profile_sha256: host.seccomp.profile_sha256.clone(),
        rootless: host.rootless,
        host_uid: host.own_uid,
        weakened: weaknesses(host),
    }
}

/// How each limit is enforced on this host.
pub fn enforcement(host: &Host, limits: &Limits) -> EnforcedLimits {
    let cg = host.cgroups.enforcement();
    EnforcedLimits {
        limits: *limits,
        wall: Enforcement::Supervisor,
        cpu_time: match cg.cpu_time {
            Enforcement::Rlimit => Enforcement::Rlimit,
            _ => Enforcement::Supervisor,
        },
        memory: cg.memory,
        cpu_quota: cg.cpu_quota,
        pids: cg.pids,
        output: Enforcement::Supervisor,
        tmpfs: Enforcement::Mount,
        file_size: Enforcement::Rlimit,
        open_files: Enforcement::Rlimit,
    }
}

fn weaknesses(host: &Host) -> Vec<String> {
    let mut weak = host.cgroups.weaknesses();
    if host.rootless {
        weak.push(
            "rootless: every run shares the invoking user's host uid (no per-run uid)".into(),
        );
        weak.push(
            "rootless: the invoking user's supplementary groups stay (setgroups is denied in an unprivileged user namespace)"
                .into(),
        );
    }
    weak
}

/// A held slot: a distinct host uid for this run while the lock file stays locked.
struct Slot {
    host_id: u32,
    _lock: Option<OwnedFd>,
}

fn acquire_slot(host: &Host) -> Result<Slot, SetupError> {
    if host.rootless {
        return Ok(Slot {
            host_id: host.own_uid,
            _lock: None,
        });
    }
    let step = "acquire uid slot";
    let dir = &host.config.slot_dir;
    std::fs::create_dir_all(dir)
        .map_err(|e| io_error("mkdir", &dir.display().to_string(), e))
        .at(step)?;
    let start = sys::getpid() as u32 % host.config.slots;
    for i in 0..host.config.slots {
        let slot = (start + i) % host.config.slots;
        let path = dir.join(format!("{slot}.lock"));
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| io_error("open", &path.display().to_string(), e))
            .at(step)?;
        let fd: OwnedFd = file.into();
        if sys::try_flock(&fd).at(step)? {
            return Ok(Slot {
                host_id: host.config.uid_base + slot,
                _lock: Some(fd),
            });
        }
    }
    Err(SetupError {
        step: step.into(),
        source: SysError {
            call: "flock".into(),
            args: format!(
                "all {} slots in {} are busy",
                host.config.slots,
                dir.display()
            ),
            errno: libc::EBUSY,
        },
    })
}

fn io_error(call: &str, args: &str, e: std::io::Error) -> SysError {
    SysError {
        call: call.into(),
        args: args.into(),
        errno: e.raw_os_error().unwrap_or(libc::EIO),
    }
}

/// The rlimits of the program: backstops where a cgroup enforces the group limit, the
/// enforcement itself where none can be had (and then said so in provenance).
fn rlimits(host: &Host, limits: &Limits) -> Vec<(i32, &'static str, u64, u64)> {
    let cap = |resource: i32, wanted: u64| wanted.min(sys::getrlimit(resource).1);
    let cg = host.cgroups.enforcement();
    let cpu_seconds = limits.cpu_ms.div_ceil(1000) + u64::from(cg.cpu_time != Enforcement::Rlimit);
    // glibc sizes every new thread's stack by RLIMIT_STACK, and a thread stack counts
    // against RLIMIT_DATA: where RLIMIT_DATA bounds memory (no memory cgroup) a stack limit
    // as large as the memory limit makes every pthread_create fail, so the stack keeps the
    // usual 8 MiB there (issue 11). Under a memory cgroup deep recursion may use it all.
    let stack = if cg.memory == Enforcement::Rlimit {
        limits.memory_bytes.min(8 << 20)
    } else {
        limits.memory_bytes.min(1 << 30)
    };
    let mut set = vec![
        (libc::RLIMIT_CORE as i32, "RLIMIT_CORE", 0, 0),
        (
            libc::RLIMIT_NOFILE as i32,
            "RLIMIT_NOFILE",
            cap(libc::RLIMIT_NOFILE as i32, limits.open_files as u64),
            cap(libc::RLIMIT_NOFILE as i32, limits.open_files as u64),
        ),
        (
            libc::RLIMIT_FSIZE as i32,
            "RLIMIT_FSIZE",
            cap(libc::RLIMIT_FSIZE as i32, limits.file_size_bytes),
            cap(libc::RLIMIT_FSIZE as i32, limits.file_size_bytes),
        ),
        (
            libc::RLIMIT_STACK as i32,
            "RLIMIT_STACK",
            cap(libc::RLIMIT_STACK as i32, stack),
            cap(libc::RLIMIT_STACK as i32, stack),
        ),
        (libc::RLIMIT_RTPRIO as i32, "RLIMIT_RTPRIO", 0, 0),
        (libc::RLIMIT_NICE as i32, "RLIMIT_NICE", 0, 0),
        (
            libc::RLIMIT_MEMLOCK as i32,
            "RLIMIT_MEMLOCK",
            cap(libc::RLIMIT_MEMLOCK as i32, 64 << 10),
            cap(libc::RLIMIT_MEMLOCK as i32, 64 << 10),
        ),
        (
            libc::RLIMIT_MSGQUEUE as i32,
            "RLIMIT_MSGQUEUE",
            cap(libc::RLIMIT_MSGQUEUE as i32, 64 << 10),
            cap(libc::RLIMIT_MSGQUEUE as i32, 64 << 10),
        ),
        (
            libc::RLIMIT_CPU as i32,
            "RLIMIT_CPU",
            cap(libc::RLIMIT_CPU as i32, cpu_seconds),
            cap(libc::RLIMIT_CPU as i32, cpu_seconds + 1),
        ),
    ];
    if cg.memory == Enforcement::Rlimit {
        // No memory cgroup: the data segment limit is the closest per-process bound that
        // does not break runtimes reserving address space (RLIMIT_AS breaks the JVM, Go).
        let bytes = cap(libc::RLIMIT_DATA as i32, limits.memory_bytes);
        set.push((libc::RLIMIT_DATA as i32, "RLIMIT_DATA", bytes, bytes));
    }
    if cg.pids == Enforcement::Rlimit {
        // No pids cgroup: RLIMIT_NPROC counts every process of the host uid. As root each
        // run has its own uid; rootless the user's other processes count too.
        let existing = if host.rootless {
            processes_of_uid(host.own_uid)
        } else {
            0
        };
        let n = cap(libc::RLIMIT_NPROC as i32, existing + limits.pids as u64 + 1);
        set.push((libc::RLIMIT_NPROC as i32, "RLIMIT_NPROC", n, n));
    }
    set
}

fn processes_of_uid(uid: u32) -> u64 {
    use std::os::unix::fs::MetadataExt;
    std::fs::read_dir("/proc")
        .map(|d| {
            d.filter_map(Result::ok)
                .filter(|e| {
                    e.file_name()
                        .to_string_lossy()
                        .bytes()
                        .all(|b| b.is_ascii_digit())
                })
                .filter(|e| e.metadata().map(|m| m.uid() == uid).unwrap_or(false))
                .count() as u64
        })
        .unwrap_or(0)
}

/// The pipes between the supervisor and the sandbox.
struct Pipes {
    order: (OwnedFd, OwnedFd),
    error: (OwnedFd, OwnedFd),
    report: (OwnedFd, OwnedFd),
    stdin: (OwnedFd, OwnedFd),
    stdout: (OwnedFd, OwnedFd),
    stderr: (OwnedFd, OwnedFd),
}

/// What one run produced, before it becomes a report.
pub type RunResult = (
    StepOutcome,
    Vec<crate::plan::WorkspaceFile>,
    Vec<ReturnedFile>,
);

/// How long a sandbox may take to build before the supervisor gives up on it.
const BUILD_TIMEOUT: Duration = Duration::from_secs(30);

/// A sandbox built and waiting for its run: its init has every namespace, mount, dropped
/// capability and the seccomp filter in place, sits in the run's cgroup, and blocks reading
/// its [`RunOrder`](inside::RunOrder). Dropping it unused ends the init and cleans up.
pub struct Sandbox {
    shape: SandboxShape,
    /// The limits the cgroup holds now.
    applied: Limits,
    host_uid: u32,
    order: OwnedFd,
    error: OwnedFd,
    report: OwnedFd,
    stdin: OwnedFd,
    stdout: OwnedFd,
    stderr: OwnedFd,
    teardown: Teardown,
}

/// What is left of a run once its result is known: the init to reap, the cgroup to remove,
/// the slot to release. `finish` does it; dropping it does it too, and logs any failure.
pub struct Teardown {
    held: Option<(Slot, RunCgroup, libc::pid_t, OwnedFd)>,
}

impl Teardown {
    fn cgroup(&self) -> &RunCgroup {
        &self.held.as_ref().expect("held until finished").1
    }

    fn pidfd(&self) -> &OwnedFd {
        &self.held.as_ref().expect("held until finished").3
    }

    /// Kills what is left of the sandbox, waits for its init and removes the cgroup. An
    /// error means something of the run survived in the cgroup.
    pub fn finish(mut self) -> Result<(), SetupError> {
        self.release()
    }

    fn release(&mut self) -> Result<(), SetupError> {
        let Some((slot, cgroup, pid, pidfd)) = self.held.take() else {
            return Ok(());
        };
        // The init exits on its own once it has reported; the signal only makes sure.
        let _ = sys::pidfd_send_signal(&pidfd, libc::SIGKILL);
        let _ = sys::wait4(pid, 0);
        cgroup.kill();
        let removed = cgroup.remove().map_err(|e| SetupError {
            step: "remove cgroup".into(),
            source: SysError {
                call: "rmdir".into(),
                args: e.to_string(),
                errno: libc::EBUSY,
            },
        });
        drop(slot);
        removed
    }
}

impl Drop for Teardown {
    fn drop(&mut self) {
        if let Err(error) = self.release() {
            tracing::error!(%error, "run cgroup left behind");
        }
    }
}

impl Sandbox {
    /// Builds a sandbox of `shape`, its cgroup holding `limits` until the run sets its own:
    /// takes a slot, creates the cgroup, clones the init, writes its id maps, places it in
    /// the cgroup and waits until it says the sandbox is ready. Gives up when `abort`
    /// becomes readable.
    pub fn build(
        host: &Host,
        shape: &SandboxShape,
        limits: &Limits,
        abort: Option<RawFd>,
    ) -> Result<Sandbox, SetupError> {
        let slot = acquire_slot(host)?;
        let host_uid = slot.host_id;
        let cgroup = host
            .cgroups
            .create(&super::cgroup::run_name(sys::getpid() as u32), limits)
            .map_err(|e| SetupError {
                step: "create cgroup".into(),
                source: SysError {
                    call: "cgroup".into(),
                    args: e.to_string(),
                    errno: libc::EIO,
                },
            })?;
        let step = "create pipes";
        let pipes = Pipes {
            order: sys::pipe().at(step)?,
            error: sys::pipe().at(step)?,
            report: sys::pipe().at(step)?,
            stdin: sys::pipe().at(step)?,
            stdout: sys::pipe().at(step)?,
            stderr: sys::pipe().at(step)?,
        };
        sys::set_pipe_size(pipes.stdout.1.as_raw_fd(), 1 << 20);
        sys::set_pipe_size(pipes.stderr.1.as_raw_fd(), 1 << 20);

        // On cgroup v2 the init starts in the run's cgroup; elsewhere it is moved there
        // while it builds the sandbox.
        let cgroup_dir = cgroup.v2_dir();
        let cloned = sys::clone_process(
            sys::CLONE_SANDBOX_NAMESPACES,
            cgroup_dir.as_ref().map(|fd| fd.as_raw_fd()),
        )
        .at("clone")?;
        let (cloned, placed) = match cloned {
            Some(forked) => (forked, cgroup_dir.is_some()),
            None => (
                sys::clone_process(sys::CLONE_SANDBOX_NAMESPACES, None)
                    .at("clone")?
                    .expect("a plain clone has no fallback"),
                false,
            ),
        };
        let (pid, pidfd) = match cloned {
            Forked::Child => inside::init_main(ChildSide {
                // The host cgroup directory is no business of the sandbox.
                cgroup_dir,
                shape,
                host,
                order_read: pipes.order.0,
                error_write: pipes.error.1,
                report_write: pipes.report.1,
                stdio: Some([pipes.stdin.0, pipes.stdout.1, pipes.stderr.1]),
                parent_fds: vec![
                    pipes.order.1,
                    pipes.error.0,
                    pipes.report.0,
                    pipes.stdin.1,
                    pipes.stdout.0,
                    pipes.stderr.0,
                ],
            }),
            Forked::Parent { pid, pidfd } => (pid, pidfd),
        };
        drop(cgroup_dir);
        // The parent keeps only its own ends.
        let Pipes {
            order,
            error,
            report,
            stdin,
            stdout,
            stderr,
        } = pipes;
        drop((order.0, error.1, report.1, stdin.0, stdout.1, stderr.1));
        let sandbox = Sandbox {
            shape: shape.clone(),
            applied: *limits,
            host_uid,
            order: order.1,
            error: error.0,
            report: report.0,
            stdin: stdin.1,
            stdout: stdout.0,
            stderr: stderr.0,
            teardown: Teardown {
                held: Some((slot, cgroup, pid, pidfd)),
            },
        };
        // From here on, an error drops the sandbox: the init sees its order pipe close
        // (or is killed) and the cgroup is removed.
        write_id_maps(host, host_uid, pid)?;
        sys::write_all(&sandbox.order, b"g").at("release child")?;
        // The init builds the sandbox meanwhile, and waits for the second byte before it
        // drops its capabilities and takes its run.
        if !placed {
            place_in_cgroup(sandbox.teardown.cgroup(), pid)?;
        }
        sys::write_all(&sandbox.order, b"c").at("release child")?;
        sandbox.wait_until_ready(abort)?;
        Ok(sandbox)
    }

    /// The shape this sandbox was built for.
    pub fn shape(&self) -> &SandboxShape {
        &self.shape
    }

    /// Waits for the init's ready byte; its end of file means the build failed, and the
    /// error pipe says why.
    fn wait_until_ready(&self, abort: Option<RawFd>) -> Result<(), SetupError> {
        let step = "wait for the sandbox";
        let deadline = Instant::now() + BUILD_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(SetupError {
                    step: step.into(),
                    source: SysError {
                        call: "poll".into(),
                        args: format!("no ready signal within {BUILD_TIMEOUT:?}"),
                        errno: libc::ETIMEDOUT,
                    },
                });
            }
            let mut fds = vec![(self.report.as_raw_fd(), sys::POLLIN)];
            fds.extend(abort.map(|fd| (fd, sys::POLLIN)));
            let revents =
                sys::poll(&fds, left.as_millis().min(i32::MAX as u128) as i32).at(step)?;
            if revents.get(1).is_some_and(|r| *r != 0) {
                return Err(SetupError {
                    step: step.into(),
                    source: SysError {
                        call: "poll".into(),
                        args: "the run was cancelled while its sandbox was being built".into(),
                        errno: libc::ECANCELED,
                    },
                });
            }
            if revents[0] == 0 {
                continue;
            }
            let mut byte = [0u8; 1];
            return match sys::read(self.report.as_raw_fd(), &mut byte) {
                Ok(1) if byte[0] == inside::READY => Ok(()),
                _ => Err(self.build_failure()),
            };
        }
    }

    /// Why the init ended before the sandbox was ready.
    fn build_failure(&self) -> SetupError {
        let pid = self.teardown.held.as_ref().map(|h| h.2).unwrap_or(0);
        let status = sys::wait4(pid, 0).ok().flatten().map(|(_, s, _)| s);
        let mut bytes = Vec::new();
        let _ = sys::set_nonblocking(self.error.as_raw_fd());
        let _ = sys::read_to_end(&self.error, &mut bytes);
        match postcard::from_bytes::<ChildFailure>(&bytes) {
            Ok(ChildFailure::Setup(error)) => error,
            _ => SetupError {
                step: "wait for the sandbox".into(),
                source: SysError {
                    call: "read".into(),
                    args: format!(
                        "the sandbox's init ended during setup without saying why (wait status {status:?})"
                    ),
                    errno: libc::EIO,
                },
            },
        }
    }

    /// Gives the sandbox its run and supervises it until the init reports. Returns the
    /// result at once and what is left to clean up: the caller can hand the result on
    /// before the kernel tears the namespaces down.
    pub fn run(
        self,
        host: &Host,
        spec: &JailSpec,
        abort: Option<RawFd>,
        on_output: &mut dyn FnMut(Stream, &[u8]),
    ) -> Result<(RunResult, u32, Teardown), SetupError> {
        let Sandbox {
            applied,
            host_uid,
            order,
            error,
            report,
            stdin,
            stdout,
            stderr,
            teardown,
            ..
        } = self;
        let cgroup = teardown.cgroup();
        if spec.limits != applied {
            cgroup.set_limits(&spec.limits).map_err(|e| SetupError {
                step: "set the run's cgroup limits".into(),
                source: SysError {
                    call: "write".into(),
                    args: e.to_string(),
                    errno: libc::EIO,
                },
            })?;
        }
        // CPU the build itself used is not the program's.
        let cpu_before = cgroup.cpu_ms().unwrap_or(0);
        let run_order = inside::RunOrderRef {
            spec,
            rlimits: &rlimits(host, &spec.limits),
        };
        let body = postcard::to_stdvec(&run_order).map_err(|e| SetupError {
            step: "send the run".into(),
            source: SysError {
                call: "write".into(),
                args: format!("encoding the run order: {e}"),
                errno: libc::EINVAL,
            },
        })?;
        let step = "send the run";
        sys::write_all(&order, &(body.len() as u64).to_le_bytes()).at(step)?;
        sys::write_all(&order, &body).at(step)?;
        drop(order);
        let started = Instant::now();

        let mut watch = Watch::new(spec, stdin, stdout, stderr, report);
        let kill_reason = watch.run(teardown.pidfd(), cgroup, spec, started, abort, on_output)?;
        let wall_ms = started.elapsed().as_millis() as u64;
        watch.drain(on_output);

        let mut failure_bytes = Vec::new();
        let _ = sys::set_nonblocking(error.as_raw_fd());
        let _ = sys::read_to_end(&error, &mut failure_bytes);
        let failure: Option<ChildFailure> = postcard::from_bytes(&failure_bytes).ok();
        let init_report: Option<InitReport> = watch.init_report();
        let mut stats = cgroup.stats();
        stats.cpu_ms = stats.cpu_ms.map(|ms| ms.saturating_sub(cpu_before));

        if let Some(ChildFailure::Setup(setup)) = failure {
            return Err(setup);
        }
        let usage = init_report.as_ref().map(|r| r.usage).unwrap_or_default();
        let mut step = StepOutcome {
            verdict: Verdict::Ok,
            exit_code: None,
            signal: None,
            stdout: watch.stdout.captured(),
            stderr: watch.stderr.captured(),
            usage: Usage {
                wall_ms,
                cpu_ms: stats
                    .cpu_ms
                    .unwrap_or((usage.user_us + usage.system_us) / 1000),
                peak_memory_bytes: stats.peak_memory_bytes.unwrap_or(usage.max_rss_kib * 1024),
            },
            limits_hit: LimitsHit {
                wall: kill_reason == Some(KillReason::Wall),
                cpu: kill_reason == Some(KillReason::Cpu),
                memory: stats.oom_killed,
                pids: stats.pids_limit_hit,
                output: kill_reason == Some(KillReason::Output),
                file_size: false,
            },
            error: None,
        };
        if let Some(ChildFailure::Exec { path, error }) = &failure {
            let message = format!("localeval: cannot execute {path}: {error}\n");
            step.stderr = Captured::from_bytes(message.as_bytes(), message.len() as u64, false);
        }
        let status = init_report.as_ref().and_then(|r| r.status);
        if let Some(status) = status {
            if libc::WIFEXITED(status) {
                step.exit_code = Some(libc::WEXITSTATUS(status));
            } else if libc::WIFSIGNALED(status) {
                step.signal = Some(libc::WTERMSIG(status));
            }
        }
        if step.exit_code.is_none()
            && step.signal.is_none()
            && matches!(
                kill_reason,
                Some(KillReason::Wall | KillReason::Cpu | KillReason::Output)
            )
        {
            // The supervisor killed the whole sandbox, the init with it, so no wait status
            // came back: the program got the signal that was sent.
            step.signal = Some(libc::SIGKILL);
        }
        if step.signal == Some(libc::SIGXFSZ) {
            step.limits_hit.file_size = true;
        }
        if step.signal == Some(libc::SIGXCPU) {
            step.limits_hit.cpu = true;
        }
        step.verdict = verdict(&step, kill_reason, stats.oom_killed, status.is_some());
        if kill_reason == Some(KillReason::Cancelled) {
            step.error = Some(
                "the run was cancelled: its client went away or the service is shutting down"
                    .into(),
            );
        } else if step.verdict == Verdict::InternalError {
            step.error = Some("the sandbox's init ended without a report".into());
        }
        let (files, missing) = match init_report {
            Some(r) => (
                r.files,
                r.missing
                    .into_iter()
                    .map(|(name, error)| ReturnedFile {
                        name,
                        base64: None,
                        error: Some(error),
                    })
                    .collect(),
            ),
            None => (Vec::new(), Vec::new()),
        };
        Ok(((step, files, missing), host_uid, teardown))
    }
}

/// Builds a sandbox for `spec` and runs it (the cold path: nothing was built ahead).
pub fn build_and_run(
    host: &Host,
    spec: &JailSpec,
    abort: Option<RawFd>,
    on_output: &mut dyn FnMut(Stream, &[u8]),
) -> Result<(RunResult, u32, Teardown), SetupError> {
    Sandbox::build(host, &SandboxShape::of(spec), &spec.limits, abort)?
        .run(host, spec, abort, on_output)
}

/// The report of a run, or of a run that could not be had.
pub fn report(
    host: &Host,
    spec: &JailSpec,
    result: Result<(RunResult, u32), SetupError>,
) -> JailReport {
    let mut provenance = provenance(host, &spec.limits);
    match result {
        Ok(((step, files, missing), host_uid)) => {
            provenance.host_uid = host_uid;
            JailReport {
                step,
                files,
                missing,
                provenance,
            }
        }
        Err(error) => {
            tracing::error!(%error, "sandbox setup failed");
            JailReport {
                step: StepOutcome::internal_error(error.to_string()),
                files: Vec::new(),
                missing: Vec::new(),
                provenance,
            }
        }
    }
}

/// Puts the child in the run's cgroup, before anything of the user's runs in it (the init
/// builds the sandbox meanwhile and waits for the word before it takes its run).
fn place_in_cgroup(cgroup: &RunCgroup, pid: i32) -> Result<(), SetupError> {
    cgroup.add(pid).map_err(|e| SetupError {
        step: "place child in cgroup".into(),
        source: SysError {
            call: "write".into(),
            args: e.to_string(),
            errno: libc::EIO,
        },
    })
}

/// Writes the child's uid/gid maps, before it does anything.
fn write_id_maps(host: &Host, host_id: u32, pid: i32) -> Result<(), SetupError> {
    let proc = format!("/proc/{pid}");
    let write = |file: &str, content: String| {
        let path = format!("{proc}/{file}");
        std::fs::write(&path, &content)
            .map_err(|e| io_error("write", &format!("{path:?}, {content:?}"), e))
            .at("write id maps")
    };
    // One id inside, one unprivileged id outside: never host uid 0 (docs/SECURITY.md 1).
    let (uid, gid) = if host.rootless {
        (host.own_uid, host.own_gid)
    } else {
        (host_id, host_id)
    };
    write("uid_map", format!("{SANDBOX_UID} {uid} 1\n"))?;
    if host.rootless {
        write("setgroups", "deny".into())?;
    }
    write("gid_map", format!("{SANDBOX_GID} {gid} 1\n"))
}

/// One captured stream: what was kept, how much was seen.
struct StreamBuffer {
    fd: Option<OwnedFd>,
    kept: Vec<u8>,
    total: u64,
    cap: u64,
    /// The last read found nothing ready (the writers are still open).
    would_block: bool,
}

impl StreamBuffer {
    fn captured(&self) -> Captured {
        Captured::from_bytes(&self.kept, self.total, self.total > self.cap)
    }

    /// Reads what is there; returns false at end of file.
    fn pump(&mut self, stream: Stream, on_output: &mut dyn FnMut(Stream, &[u8])) -> bool {
        let Some(fd) = &self.fd else { return false };
        self.would_block = false;
        let mut buf = [0u8; 64 * 1024];
        loop {
            match sys::read(fd.as_raw_fd(), &mut buf) {
                Ok(0) => {
                    self.fd = None;
                    return false;
                }
                Ok(n) => {
                    self.total += n as u64;
                    let room = self.cap.saturating_sub(self.kept.len() as u64) as usize;
                    let keep = &buf[..n.min(room)];
                    if !keep.is_empty() {
                        self.kept.extend_from_slice(keep);
                        on_output(stream, keep);
                    }
                    if n < buf.len() {
                        return true;
                    }
                }
                Err(e) if e.errno == libc::EAGAIN => {
                    self.would_block = true;
                    return true;
                }
                Err(_) => {
                    self.fd = None;
                    return false;
                }
            }
        }
    }
}

/// The supervisor's view of a running sandbox.
struct Watch {
    stdin: Option<OwnedFd>,
    stdin_data: Vec<u8>,
    stdin_written: usize,
    stdout: StreamBuffer,
    stderr: StreamBuffer,
    report: Option<OwnedFd>,
    report_bytes: Vec<u8>,
}

impl Watch {
    fn new(
        spec: &JailSpec,
        stdin: OwnedFd,
        stdout: OwnedFd,
        stderr: OwnedFd,
        report: OwnedFd,
    ) -> Watch {
        for fd in [&stdin, &stdout, &stderr, &report] {
            let _ = sys::set_nonblocking(fd.as_raw_fd());
        }
        let cap = spec.limits.output_bytes;
        Watch {
            stdin: if spec.stdin.is_empty() {
                None
            } else {
                Some(stdin)
            },
            stdin_data: spec.stdin.clone(),
            stdin_written: 0,
            stdout: StreamBuffer {
                fd: Some(stdout),
                kept: Vec::new(),
                total: 0,
                cap,
                would_block: false,
            },
            stderr: StreamBuffer {
                fd: Some(stderr),
                kept: Vec::new(),
                total: 0,
                cap,
                would_block: false,
            },
            report: Some(report),
            report_bytes: Vec::new(),
        }
    }

    /// Polls until the init exits; kills the run when a limit is reached.
    fn run(
        &mut self,
        pidfd: &OwnedFd,
        cgroup: &RunCgroup,
        spec: &JailSpec,
        started: Instant,
        abort: Option<RawFd>,
        on_output: &mut dyn FnMut(Stream, &[u8]),
    ) -> Result<Option<KillReason>, SetupError> {
        let limits = &spec.limits;
        let deadline = started + Duration::from_millis(limits.wall_ms);
        let cpu_watch = cgroup.is_real() && cgroup.cpu_ms().is_some();
        let mut next_cpu_check = started + Duration::from_millis(5);
        let mut killed: Option<KillReason> = None;
        let kill = |reason: KillReason, killed: &mut Option<KillReason>| {
            if killed.is_none() {
                *killed = Some(reason);
                let _ = sys::pidfd_send_signal(pidfd, libc::SIGKILL);
                cgroup.kill();
            }
        };
        loop {
            let now = Instant::now();
            let mut wake = deadline;
            if cpu_watch && killed.is_none() {
                wake = wake.min(next_cpu_check);
            }
            let timeout_ms = if killed.is_some() {
                50
            } else {
                wake.saturating_duration_since(now)
                    .as_millis()
                    .min(i32::MAX as u128) as i32
            };
            let mut fds = vec![(pidfd.as_raw_fd(), sys::POLLIN)];
            let watch_abort = abort.filter(|_| killed.is_none());
            let slots = [
                watch_abort.map(|fd| (fd, sys::POLLIN)),
                self.stdout
                    .fd
                    .as_ref()
                    .map(|f| (f.as_raw_fd(), sys::POLLIN)),
                self.stderr
                    .fd
                    .as_ref()
                    .map(|f| (f.as_raw_fd(), sys::POLLIN)),
                self.report.as_ref().map(|f| (f.as_raw_fd(), sys::POLLIN)),
                self.stdin.as_ref().map(|f| (f.as_raw_fd(), sys::POLLOUT)),
            ];
            fds.extend(slots.iter().flatten().copied());
            let revents = sys::poll(&fds, timeout_ms).at("poll sandbox")?;
            let mut ready = revents.iter().skip(1);
            let init_exited = revents[0] != 0;
            if slots[0].is_some() && *ready.next().unwrap_or(&0) != 0 {
                kill(KillReason::Cancelled, &mut killed);
            }
            if slots[1].is_some() && *ready.next().unwrap_or(&0) != 0 {
                self.stdout.pump(Stream::Stdout, on_output);
            }
            if slots[2].is_some() && *ready.next().unwrap_or(&0) != 0 {
                self.stderr.pump(Stream::Stderr, on_output);
            }
            if slots[3].is_some() && *ready.next().unwrap_or(&0) != 0 {
                self.pump_report();
            }
            if slots[4].is_some() && *ready.next().unwrap_or(&0) != 0 {
                self.feed_stdin();
            }
            if self.stdout.total > self.stdout.cap || self.stderr.total > self.stderr.cap {
                kill(KillReason::Output, &mut killed);
            }
            // The init reports once every other process of the run is gone: the result is
            // known, and the init's own exit (the namespaces' teardown) need not be waited.
            if init_exited || self.report_complete() {
                return Ok(killed);
            }
            let now = Instant::now();
            if now >= deadline {
                kill(KillReason::Wall, &mut killed);
            }
            if cpu_watch && killed.is_none() && now >= next_cpu_check {
                let used = cgroup.cpu_ms().unwrap_or(0);
                if used >= limits.cpu_ms {
                    kill(KillReason::Cpu, &mut killed);
                } else {
                    // The earliest the limit can be reached, at the CPU quota's pace.
                    let pace = (limits.cpu_millis as u64).clamp(1000, 2000 * 64);
                    let left_ms = (limits.cpu_ms - used) * 1000 / pace;
                    next_cpu_check = now + Duration::from_millis(left_ms.clamp(2, 250));
                }
            }
        }
    }

    fn feed_stdin(&mut self) {
        let Some(fd) = &self.stdin else { return };
        let rest = &self.stdin_data[self.stdin_written..];
        match sys::write(fd.as_raw_fd(), &rest[..rest.len().min(64 * 1024)]) {
            Ok(n) => {
                self.stdin_written += n;
                if self.stdin_written >= self.stdin_data.len() {
                    self.stdin = None;
                }
            }
            Err(e) if e.errno == libc::EAGAIN => {}
            // EPIPE: the program does not read its stdin. Nothing to do.
            Err(_) => self.stdin = None,
        }
    }

    fn pump_report(&mut self) {
        let Some(fd) = &self.report else { return };
        let mut buf = [0u8; 64 * 1024];
        loop {
            match sys::read(fd.as_raw_fd(), &mut buf) {
                Ok(0) => {
                    self.report = None;
                    return;
                }
                Ok(n) => self.report_bytes.extend_from_slice(&buf[..n]),
                Err(e) if e.errno == libc::EAGAIN => return,
                Err(_) => {
                    self.report = None;
                    return;
                }
            }
        }
    }

    /// Whether the init's whole report has arrived.
    fn report_complete(&self) -> bool {
        let bytes = &self.report_bytes;
        bytes.len() >= 8
            && bytes.len() as u64 >= 8 + u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes"))
    }

    /// Reads what is left once every process of the run is gone. Every write end of the
    /// output pipes is closed by then, so this ends at once; the bound only guards against
    /// a writer that should not exist.
    fn drain(&mut self, on_output: &mut dyn FnMut(Stream, &[u8])) {
        self.stdin = None;
        if self.report_complete() {
            self.report = None;
        }
        let deadline = Instant::now() + Duration::from_secs(2);
        loop {
            // Read each stream until it ends or has nothing more ready.
            while self.stdout.pump(Stream::Stdout, on_output) && !self.stdout.would_block {}
            while self.stderr.pump(Stream::Stderr, on_output) && !self.stderr.would_block {}
            if self.report.is_some() {
                self.pump_report();
                if self.report_complete() {
                    self.report = None;
                }
            }
            let open: Vec<(RawFd, i16)> = [&self.stdout.fd, &self.stderr.fd, &self.report]
                .into_iter()
                .flatten()
                .map(|fd| (fd.as_raw_fd(), sys::POLLIN))
                .collect();
            let left = deadline.saturating_duration_since(Instant::now());
            if open.is_empty() || left.is_zero() {
                break;
            }
            let _ = sys::poll(&open, left.as_millis() as i32);
        }
        self.stdout.fd = None;
        self.stderr.fd = None;
        self.report = None;
    }

    fn init_report(&self) -> Option<InitReport> {
        let bytes = &self.report_bytes;
        if bytes.len() < 8 {
            return None;
        }
        let len = u64::from_le_bytes(bytes[..8].try_into().ok()?) as usize;
        postcard::from_bytes(bytes.get(8..8 + len)?).ok()
    }
}

/// The verdict, from the most specific cause to the least.
fn verdict(
    step: &StepOutcome,
    killed: Option<KillReason>,
    oom_killed: bool,
    program_ended: bool,
) -> Verdict {
    match killed {
        Some(KillReason::Cancelled) => return Verdict::InternalError,
        Some(KillReason::Output) => return Verdict::OutputLimit,
        Some(KillReason::Wall | KillReason::Cpu) => return Verdict::TimeLimit,
        None => {}
    }
    if oom_killed {
        return Verdict::MemoryLimit;
    }
    if !program_ended {
        return Verdict::InternalError;
    }
    match (step.exit_code, step.signal) {
        (Some(0), _) => Verdict::Ok,
        (Some(_), _) => Verdict::RuntimeError,
        (None, Some(libc::SIGSYS)) => Verdict::BlockedSyscall,
        (None, Some(libc::SIGXCPU)) => Verdict::TimeLimit,
        (None, Some(libc::SIGXFSZ)) => Verdict::OutputLimit,
        (None, Some(_)) => Verdict::Signalled,
        (None, None) => Verdict::InternalError,
    }
}
