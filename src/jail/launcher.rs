//! The launcher: a single-threaded process forked once at startup, before any runtime
//! thread exists, that forks one supervisor per run (docs/ARCHITECTURE.md "The process model": the tokio
//! server never forks a sandbox itself).
//!
//! Per run, the client makes a socket pair and passes one end to the launcher (SCM_RIGHTS),
//! followed by the run's [`SandboxShape`]. The launcher hands the socket to a supervisor
//! whose sandbox of that shape is already built (or being built), or else forks one that
//! builds it now; the supervisor reads the spec, runs the jail, streams output chunks back
//! and ends with the report, then tears the sandbox down. For each recent shape the
//! launcher keeps `ready_sandboxes` supervisors building ahead, so a run finds its
//! namespaces, mounts, cgroup placement and seccomp filter in place. A client that goes
//! away (the server shut down or died) makes the supervisor kill its run and clean up.

use std::io::{Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::sync::{Arc, Mutex};

use super::supervise::{self, Sandbox};
use super::{Host, JailError, JailReport, RunCancel, Runner, SandboxShape, SetupError, Stream};
use crate::limits::Limits;
use crate::outcome::StepOutcome;
use crate::plan::JailSpec;
use crate::sys;

/// How many different shapes the launcher keeps sandboxes built ahead for.
const READY_SHAPES: usize = 2;

const FRAME_STDOUT: u8 = 1;
const FRAME_STDERR: u8 = 2;
const FRAME_REPORT: u8 = 3;
/// The supervisor's pid, sent first: if the supervisor dies without a report, the client
/// cleans up the run cgroup named after it.
const FRAME_SUPERVISOR: u8 = 4;

/// A handle on the launcher process; clone it freely. `run` blocks: call it from a
/// blocking thread (`tokio::task::spawn_blocking`).
#[derive(Clone)]
pub struct Launcher {
    inner: Arc<Inner>,
}

struct Inner {
    /// The socket to the launcher; taken (closed) by [`Launcher::shutdown`].
    control: Mutex<Option<OwnedFd>>,
    host: Host,
    pid: libc::pid_t,
    in_flight: Mutex<Vec<(u64, OwnedFd)>>,
    next_id: std::sync::atomic::AtomicU64,
}

impl Launcher {
    /// Forks the launcher. Must be called while this process is still single-threaded.
    pub fn start(host: Host) -> Result<Launcher, JailError> {
        let (ours, theirs) = sys::socketpair().map_err(|source| SetupError {
            step: "start launcher".into(),
            source,
        })?;
        match sys::fork().map_err(|source| SetupError {
            step: "start launcher".into(),
            source,
        })? {
            None => {
                drop(ours);
                launcher_main(theirs, &host)
            }
            Some(pid) => {
                drop(theirs);
                Ok(Launcher {
                    inner: Arc::new(Inner {
                        control: Mutex::new(Some(ours)),
                        host,
                        pid,
                        in_flight: Mutex::new(Vec::new()),
                        next_id: Default::default(),
                    }),
                })
            }
        }
    }

    /// The host the launcher's sandboxes run on.
    pub fn host(&self) -> &Host {
        &self.inner.host
    }

    pub fn pid(&self) -> libc::pid_t {
        self.inner.pid
    }

    /// Stops the launcher: no new runs; it exits once it sees its socket close, and this
    /// waits for that. Runs already in flight finish in their own supervisors (cancel them
    /// first with [`Launcher::cancel_all`] to end them now).
    pub fn shutdown(&self) {
        let control = self
            .inner
            .control
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if control.is_some() {
            drop(control);
            let _ = sys::wait4(self.inner.pid, 0);
        }
    }

    /// Makes every run in flight stop now: each supervisor sees its client hang up, kills
    /// its sandbox and cleans up; each `run` call returns an IE report.
    pub fn cancel_all(&self) {
        let in_flight = self
            .inner
            .in_flight
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        for (_, fd) in in_flight.iter() {
            // SHUT_RDWR wakes the blocked reader here and the supervisor there.
            sys::shutdown_socket(fd);
        }
    }

    fn try_run(
        &self,
        spec: &JailSpec,
        cancel: Option<&RunCancel>,
        on_output: &mut dyn FnMut(Stream, &[u8]),
    ) -> Result<JailReport, String> {
        if cancel.is_some_and(RunCancel::is_cancelled) {
            // Before the launcher hears of it: no supervisor, no sandbox.
            return Err(RunCancel::MESSAGE.to_string());
        }
        let (ours, theirs) = sys::socketpair().map_err(|e| e.to_string())?;
        let shape = postcard::to_stdvec(&SandboxShape::of(spec)).map_err(|e| e.to_string())?;
        {
            let control = self.inner.control.lock().unwrap_or_else(|e| e.into_inner());
            let control = control
                .as_ref()
                .ok_or("the launcher is shut down: no new runs")?;
            sys::send_fd(control, theirs.as_raw_fd())
                .and_then(|()| sys::write_all(control, &(shape.len() as u32).to_le_bytes()))
                .and_then(|()| sys::write_all(control, &shape))
                .map_err(|e| format!("the launcher is gone: {e}"))?;
        }
        drop(theirs);
        let id = self
            .inner
            .next_id
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let registered = sys::dup_cloexec(ours.as_raw_fd()).map_err(|e| e.to_string())?;
        let cancellable = match cancel {
            Some(_) => Some(sys::dup_cloexec(ours.as_raw_fd()).map_err(|e| e.to_string())?),
            None => None,
        };
        self.inner
            .in_flight
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((id, registered));
        if let (Some(cancel), Some(socket)) = (cancel, cancellable) {
            cancel.attach(socket);
        }
        let mut supervisor = None;
        let result = exchange(UnixStream::from(ours), spec, &mut supervisor, on_output);
        if let Some(cancel) = cancel {
            cancel.detach();
        }
        if let (Err(_), Some(pid)) = (&result, supervisor) {
            // The supervisor ended without a report: if it died (kill -9), nobody else
            // removes its run cgroup, nor kills what may be left in it.
            self.inner.host.cgroups.reap(pid);
        }
        let result = match result {
            Err(_) if cancel.is_some_and(RunCancel::is_cancelled) => {
                Err(RunCancel::MESSAGE.to_string())
            }
            other => other,
        };
        self.inner
            .in_flight
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|(i, _)| *i != id);
        result
    }
}

fn exchange(
    mut stream: UnixStream,
    spec: &JailSpec,
    supervisor: &mut Option<u32>,
    on_output: &mut dyn FnMut(Stream, &[u8]),
) -> Result<JailReport, String> {
    let bytes = postcard::to_stdvec(spec).map_err(|e| e.to_string())?;
    stream
        .write_all(&(bytes.len() as u64).to_le_bytes())
        .and_then(|_| stream.write_all(&bytes))
        .map_err(|e| format!("sending the spec to the supervisor: {e}"))?;
    loop {
        let mut header = [0u8; 5];
        stream
            .read_exact(&mut header)
            .map_err(|e| format!("the supervisor ended without a report: {e}"))?;
        let len = u32::from_le_bytes(header[1..5].try_into().expect("4 bytes")) as usize;
        let mut body = vec![0u8; len];
        stream
            .read_exact(&mut body)
            .map_err(|e| format!("reading from the supervisor: {e}"))?;
        match header[0] {
            FRAME_STDOUT => on_output(Stream::Stdout, &body),
            FRAME_STDERR => on_output(Stream::Stderr, &body),
            FRAME_REPORT => return postcard::from_bytes(&body).map_err(|e| e.to_string()),
            FRAME_SUPERVISOR if body.len() == 4 => {
                *supervisor = Some(u32::from_le_bytes(body[..4].try_into().expect("4 bytes")))
            }
            other => return Err(format!("unknown frame {other} from the supervisor")),
        }
    }
}

impl Runner for Launcher {
    fn run(&self, spec: &JailSpec, on_output: &mut dyn FnMut(Stream, &[u8])) -> JailReport {
        self.report(spec, self.try_run(spec, None, on_output))
    }

    fn run_cancellable(
        &self,
        spec: &JailSpec,
        cancel: &RunCancel,
        on_output: &mut dyn FnMut(Stream, &[u8]),
    ) -> JailReport {
        self.report(spec, self.try_run(spec, Some(cancel), on_output))
    }
}

impl Launcher {
    fn report(&self, spec: &JailSpec, result: Result<JailReport, String>) -> JailReport {
        match result {
            Ok(report) => report,
            // The run never reached a supervisor, or it was cancelled.
            Err(message) => JailReport {
                step: StepOutcome::internal_error(message),
                files: Vec::new(),
                missing: Vec::new(),
                provenance: super::supervise::provenance(&self.inner.host, &spec.limits),
            },
        }
    }
}

/// A supervisor whose sandbox is built (or being built) ahead, waiting for a run socket.
struct Ready {
    shape: Vec<u8>,
    pid: libc::pid_t,
    socket: OwnedFd,
}

/// The launcher process: receives one socket per run and hands it to a supervisor.
fn launcher_main(control: OwnedFd, host: &Host) -> ! {
    let _ = sys::set_parent_death_signal(libc::SIGKILL);
    // Supervisors are reaped by the kernel; the launcher waits only for ready ones at exit.
    sys::ignore_signal(libc::SIGCHLD);
    sys::ignore_signal(libc::SIGPIPE);
    sys::ignore_signal(libc::SIGINT);
    sys::ignore_signal(libc::SIGTERM);
    let mut ready: Vec<Ready> = Vec::new();
    // Most recent first.
    let mut shapes: Vec<Vec<u8>> = Vec::new();
    loop {
        let run_socket = match sys::recv_fd(&control) {
            Ok(Some(fd)) => fd,
            // The server closed its end (shut down or died): no more runs.
            Ok(None) => stop_ready_and_exit(ready, 0),
            Err(e) if e.errno == libc::EINTR => continue,
            Err(_) => stop_ready_and_exit(ready, 1),
        };
        let Some(shape) = read_shape(&control) else {
            stop_ready_and_exit(ready, 1)
        };
        hand_over(host, &mut ready, run_socket, &shape);
        shapes.retain(|s| *s != shape);
        shapes.insert(0, shape);
        shapes.truncate(READY_SHAPES);
        // Sandboxes of shapes no longer recent are dropped: their supervisors see the
        // socket close, tear down and exit.
        ready.retain(|r| shapes.contains(&r.shape));
        build_ahead(host, &mut ready, &shapes[0]);
    }
}

fn read_shape(control: &OwnedFd) -> Option<Vec<u8>> {
    let mut len = [0u8; 4];
    if !sys::read_exact(control, &mut len).ok()? {
        return None;
    }
    let mut shape = vec![0u8; u32::from_le_bytes(len) as usize];
    sys::read_exact(control, &mut shape).ok()?.then_some(shape)
}

/// Gives the run to a supervisor with a sandbox of its shape, or forks one that builds it.
fn hand_over(host: &Host, ready: &mut Vec<Ready>, run_socket: OwnedFd, shape: &[u8]) {
    while let Some(i) = ready.iter().position(|r| r.shape == shape) {
        let supervisor = ready.remove(i);
        if sys::send_fd(&supervisor.socket, run_socket.as_raw_fd()).is_ok() {
            return;
        }
        // That supervisor is gone (its build failed): try the next one.
    }
    match sys::fork() {
        Ok(None) => {
            forget_inherited(ready);
            match sys::keep_only(run_socket) {
                Ok(run_socket) => supervisor_main(run_socket, host, None),
                Err(_) => sys::exit_now(1),
            }
        }
        Ok(Some(_)) => {}
        Err(e) => tracing::error!(error = %e, "launcher cannot fork a supervisor"),
    }
}

/// Forks supervisors that build sandboxes of `shape` until `ready_sandboxes` wait for it.
fn build_ahead(host: &Host, ready: &mut Vec<Ready>, shape: &[u8]) {
    let Ok(decoded) = postcard::from_bytes::<SandboxShape>(shape) else {
        return;
    };
    if !decoded.can_build_ahead() {
        return;
    }
    while ready.iter().filter(|r| r.shape == shape).count() < host.config.ready_sandboxes as usize {
        let Ok((ours, theirs)) = sys::socketpair() else {
            return;
        };
        match sys::fork() {
            Ok(None) => {
                forget_inherited(ready);
                match sys::keep_only(theirs) {
                    Ok(theirs) => ready_supervisor_main(theirs, host, decoded),
                    Err(_) => sys::exit_now(1),
                }
            }
            Ok(Some(pid)) => ready.push(Ready {
                shape: shape.to_vec(),
                pid,
                socket: ours,
            }),
            Err(e) => {
                tracing::error!(error = %e, "launcher cannot fork a supervisor");
                return;
            }
        }
    }
}

/// In a forked supervisor: the launcher's sockets (the control socket, the ready
/// supervisors') are closed by [`sys::keep_only`]; their handles here must never close
/// those numbers again.
fn forget_inherited(ready: &mut Vec<Ready>) {
    std::mem::forget(std::mem::take(ready));
}

/// Stops the ready supervisors (they see their socket close, tear down and exit), waits for
/// them, and exits.
fn stop_ready_and_exit(ready: Vec<Ready>, code: i32) -> ! {
    let pids: Vec<libc::pid_t> = ready.iter().map(|r| r.pid).collect();
    drop(ready);
    for pid in pids {
        // SIGCHLD is ignored: the wait ends when the child is gone, with ECHILD.
        let _ = sys::wait4(pid, 0);
    }
    sys::exit_now(code)
}

fn write_frame(stream: &mut UnixStream, kind: u8, body: &[u8]) -> bool {
    let mut header = [0u8; 5];
    header[0] = kind;
    header[1..5].copy_from_slice(&(body.len() as u32).to_le_bytes());
    stream
        .write_all(&header)
        .and_then(|_| stream.write_all(body))
        .is_ok()
}

/// A supervisor that builds a sandbox of `shape` ahead, then waits for its run.
fn ready_supervisor_main(launcher: OwnedFd, host: &Host, shape: SandboxShape) -> ! {
    sys::default_signal(libc::SIGCHLD);
    // The cgroup holds the most a run may ask for until the run sets its own limits.
    let sandbox = Sandbox::build(host, &shape, &Limits::DEFAULT_MAXIMA, None);
    if let Err(error) = &sandbox {
        tracing::error!(%error, "building a sandbox ahead failed; its run will build its own");
    }
    match sys::recv_fd(&launcher) {
        Ok(Some(run_socket)) => {
            drop(launcher);
            supervisor_main(run_socket, host, sandbox.ok())
        }
        // The launcher dropped this sandbox or is exiting: tear down (the drop) and exit.
        _ => {
            drop(sandbox);
            sys::exit_now(0)
        }
    }
}

/// One run's supervisor (a child of the launcher, single-threaded): reads the spec, runs it
/// on the sandbox built ahead when its shape fits, else on a new one, sends the report, then
/// tears the sandbox down.
fn supervisor_main(run_socket: OwnedFd, host: &Host, built: Option<Sandbox>) -> ! {
    sys::default_signal(libc::SIGCHLD);
    let mut stream = UnixStream::from(run_socket);
    if !write_frame(
        &mut stream,
        FRAME_SUPERVISOR,
        &(sys::getpid() as u32).to_le_bytes(),
    ) {
        sys::exit_now(1);
    }
    let spec: JailSpec = {
        let mut len = [0u8; 8];
        let mut body = Vec::new();
        let ok = stream.read_exact(&mut len).is_ok() && {
            body.resize(u64::from_le_bytes(len) as usize, 0);
            stream.read_exact(&mut body).is_ok()
        };
        match ok.then(|| postcard::from_bytes(&body).ok()).flatten() {
            Some(spec) => spec,
            // The client went away before its spec came (cancelled, or the server stopped):
            // a sandbox built ahead is torn down (the drop), not left behind.
            None => {
                drop(built);
                sys::exit_now(1)
            }
        }
    };
    let mut writer = stream.try_clone().unwrap_or_else(|_| sys::exit_now(1));
    let abort = stream.as_raw_fd();
    let mut on_output = |s: Stream, bytes: &[u8]| {
        let kind = match s {
            Stream::Stdout => FRAME_STDOUT,
            Stream::Stderr => FRAME_STDERR,
        };
        write_frame(&mut writer, kind, bytes);
    };
    // A sandbox of another shape is dropped (torn down) before a new one is built.
    let built = built.filter(|sandbox| *sandbox.shape() == SandboxShape::of(&spec));
    let result = match built {
        Some(sandbox) => sandbox.run(host, &spec, Some(abort), &mut on_output),
        None => supervise::build_and_run(host, &spec, Some(abort), &mut on_output),
    };
    let (result, teardown) = match result {
        Ok((result, host_uid, teardown)) => (Ok((result, host_uid)), Some(teardown)),
        Err(error) => (Err(error), None),
    };
    let report = supervise::report(host, &spec, result);
    if let Ok(bytes) = postcard::to_stdvec(&report) {
        write_frame(&mut stream, FRAME_REPORT, &bytes);
    }
    drop(stream);
    if let Some(teardown) = teardown {
        if let Err(error) = teardown.finish() {
            tracing::error!(%error, "run cgroup left behind");
        }
    }
    sys::exit_now(0)
}
