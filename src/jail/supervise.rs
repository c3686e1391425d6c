//! The parent side of the clone: prepares the run, clones the sandbox's init, writes its id
//! maps and places it in its cgroup, then feeds stdin, drains stdout and stderr
//! concurrently, enforces the wall-clock, CPU and output limits, and turns what happened
//! into a verdict. Runs in a single-threaded process (the CLI, or a launcher's child).

use std::ffi::CString;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

use super::cgroup::RunCgroup;
use super::inside::{self, ChildFailure, ChildSide, InitReport};
use super::{AtStep, Host, JailProvenance, JailReport, SetupError, Stream};
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

/// Runs `spec` from this (single-threaded) process; the run is cancelled when `abort`
/// becomes readable or hangs up.
pub fn run_supervised(
    host: &Host,
    spec: &JailSpec,
    abort: Option<RawFd>,
    on_output: &mut dyn FnMut(Stream, &[u8]),
) -> JailReport {
    let mut provenance = provenance(host, &spec.limits);
    match supervise(host, spec, abort, on_output, &mut provenance) {
        Ok((step, files, missing)) => JailReport {
            step,
            files,
            missing,
            provenance,
        },
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
            cap(libc::RLIMIT_STACK as i32, limits.memory_bytes.min(1 << 30)),
            cap(libc::RLIMIT_STACK as i32, limits.memory_bytes.min(1 << 30)),
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

fn to_cstrings(items: impl IntoIterator<Item = String>) -> Vec<CString> {
    items
        .into_iter()
        .map(|s| CString::new(s).expect("plans carry no NUL bytes (checked by the planner)"))
        .collect()
}

/// The pipes between the supervisor and the sandbox.
struct Pipes {
    sync: (OwnedFd, OwnedFd),
    error: (OwnedFd, OwnedFd),
    report: (OwnedFd, OwnedFd),
    stdin: (OwnedFd, OwnedFd),
    stdout: (OwnedFd, OwnedFd),
    stderr: (OwnedFd, OwnedFd),
}

fn supervise(
    host: &Host,
    spec: &JailSpec,
    abort: Option<RawFd>,
    on_output: &mut dyn FnMut(Stream, &[u8]),
    provenance: &mut JailProvenance,
) -> Result<
    (
        StepOutcome,
        Vec<crate::plan::WorkspaceFile>,
        Vec<ReturnedFile>,
    ),
    SetupError,
> {
    let slot = acquire_slot(host)?;
    provenance.host_uid = slot.host_id;
    let cgroup = host
        .cgroups
        .create(&format!("localeval-run-{}", sys::getpid()), &spec.limits)
        .map_err(|e| SetupError {
            step: "create cgroup".into(),
            source: SysError {
                call: "cgroup".into(),
                args: e.to_string(),
                errno: libc::EIO,
            },
        })?;
    let result = clone_and_supervise(host, spec, &slot, &cgroup, abort, on_output);
    cgroup.kill();
    if let Err(e) = cgroup.remove() {
        tracing::error!(error = %e, "run cgroup left behind");
        return Err(SetupError {
            step: "remove cgroup".into(),
            source: SysError {
                call: "rmdir".into(),
                args: e.to_string(),
                errno: libc::EBUSY,
            },
        });
    }
    result
}

fn clone_and_supervise(
    host: &Host,
    spec: &JailSpec,
    slot: &Slot,
    cgroup: &RunCgroup,
    abort: Option<RawFd>,
    on_output: &mut dyn FnMut(Stream, &[u8]),
) -> Result<
    (
        StepOutcome,
        Vec<crate::plan::WorkspaceFile>,
        Vec<ReturnedFile>,
    ),
    SetupError,
> {
    let step = "create pipes";
    let pipes = Pipes {
        sync: sys::pipe().at(step)?,
        error: sys::pipe().at(step)?,
        report: sys::pipe().at(step)?,
        stdin: sys::pipe().at(step)?,
        stdout: sys::pipe().at(step)?,
        stderr: sys::pipe().at(step)?,
    };
    sys::set_pipe_size(pipes.stdout.1.as_raw_fd(), 1 << 20);
    sys::set_pipe_size(pipes.stderr.1.as_raw_fd(), 1 << 20);
    let argv = to_cstrings(spec.argv.iter().cloned());
    let env = to_cstrings(spec.env.iter().map(|(k, v)| format!("{k}={v}")));
    let rlimits = rlimits(host, &spec.limits);

    let (pid, pidfd) = match sys::clone_process(sys::CLONE_SANDBOX_NAMESPACES).at("clone")? {
        Forked::Child => inside::init_main(ChildSide {
            spec,
            host,
            sync_read: pipes.sync.0,
            error_write: pipes.error.1,
            report_write: pipes.report.1,
            stdio: Some([pipes.stdin.0, pipes.stdout.1, pipes.stderr.1]),
            argv,
            env,
            rlimits,
            parent_fds: vec![
                pipes.sync.1,
                pipes.error.0,
                pipes.report.0,
                pipes.stdin.1,
                pipes.stdout.0,
                pipes.stderr.0,
            ],
        }),
        Forked::Parent { pid, pidfd } => (pid, pidfd),
    };
    // The parent keeps only its own ends.
    let Pipes {
        sync,
        error,
        report,
        stdin,
        stdout,
        stderr,
    } = pipes;
    drop((sync.0, error.1, report.1, stdin.0, stdout.1, stderr.1));
    let (sync_write, error_read, report_read) = (sync.1, error.0, report.0);

    if let Err(e) = place_child(host, slot, cgroup, pid) {
        // Closing the sync pipe without a byte makes the child exit before doing anything.
        drop(sync_write);
        let _ = sys::pidfd_send_signal(&pidfd, libc::SIGKILL);
        let _ = sys::wait4(pid, 0);
        return Err(e);
    }
    sys::write_all(&sync_write, b"g").at("release child")?;
    drop(sync_write);
    let started = Instant::now();

    let mut watch = Watch::new(spec, stdin.1, stdout.0, stderr.0, report_read);
    let kill_reason = watch.run(&pidfd, cgroup, spec, started, abort, on_output)?;
    let (_, init_status, init_usage) = sys::wait4(pid, 0)
        .at("reap init")?
        .expect("a blocking wait returns the child");
    let wall_ms = started.elapsed().as_millis() as u64;
    watch.drain(on_output);

    let mut failure_bytes = Vec::new();
    let _ = sys::set_nonblocking(error_read.as_raw_fd());
    let _ = sys::read_to_end(&error_read, &mut failure_bytes);
    let failure: Option<ChildFailure> = postcard::from_bytes(&failure_bytes).ok();
    let init_report: Option<InitReport> = watch.init_report();
    let stats = cgroup.stats();

    if let Some(ChildFailure::Setup(setup)) = failure {
        return Err(setup);
    }
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
                .unwrap_or_else(|| (init_usage.user_us + init_usage.system_us) / 1000),
            peak_memory_bytes: stats
                .peak_memory_bytes
                .unwrap_or(init_usage.max_rss_kib * 1024),
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
    if step.signal == Some(libc::SIGXFSZ) {
        step.limits_hit.file_size = true;
    }
    if step.signal == Some(libc::SIGXCPU) {
        step.limits_hit.cpu = true;
    }
    step.verdict = verdict(&step, kill_reason, stats.oom_killed, status.is_some());
    if kill_reason == Some(KillReason::Cancelled) {
        step.error = Some(
            "the run was cancelled: its client went away or the service is shutting down".into(),
        );
    } else if step.verdict == Verdict::InternalError {
        step.error = Some(format!(
            "the sandbox's init ended without a report (wait status {init_status:#x})"
        ));
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
    Ok((step, files, missing))
}

/// Writes the child's uid/gid maps and puts it in the run's cgroup, before it runs
/// anything (DESIGN.md: parent places the child in its cgroup, then writes the maps).
fn place_child(host: &Host, slot: &Slot, cgroup: &RunCgroup, pid: i32) -> Result<(), SetupError> {
    cgroup.add(pid).map_err(|e| SetupError {
        step: "place child in cgroup".into(),
        source: SysError {
            call: "write".into(),
            args: e.to_string(),
            errno: libc::EIO,
        },
    })?;
    let proc = format!("/proc/{pid}");
    let write = |file: &str, content: String| {
        let path = format!("{proc}/{file}");
        std::fs::write(&path, &content)
            .map_err(|e| io_error("write", &format!("{path:?}, {content:?}"), e))
            .at("write id maps")
    };
    // One id inside, one unprivileged id outside: never host uid 0 (SECURITY.md 1).
    let (uid, gid) = if host.rootless {
        (host.own_uid, host.own_gid)
    } else {
        (slot.host_id, slot.host_id)
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
}

impl StreamBuffer {
    fn captured(&self) -> Captured {
        Captured::from_bytes(&self.kept, self.total, self.total > self.cap)
    }

    /// Reads what is there; returns false at end of file.
    fn pump(&mut self, stream: Stream, on_output: &mut dyn FnMut(Stream, &[u8])) -> bool {
        let Some(fd) = &self.fd else { return false };
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
                Err(e) if e.errno == libc::EAGAIN => return true,
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
            },
            stderr: StreamBuffer {
                fd: Some(stderr),
                kept: Vec::new(),
                total: 0,
                cap,
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
            if init_exited {
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

    /// Reads what is left once every process of the run is gone: every write end is
    /// closed, so this never waits.
    fn drain(&mut self, on_output: &mut dyn FnMut(Stream, &[u8])) {
        self.stdin = None;
        while self.stdout.pump(Stream::Stdout, on_output) {}
        while self.stderr.pump(Stream::Stderr, on_output) {}
        while self.report.is_some() {
            self.pump_report();
        }
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
