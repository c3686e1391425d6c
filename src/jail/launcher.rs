//! The launcher: a single-threaded process forked once at startup, before any runtime
//! thread exists, that forks one supervisor per run (DESIGN.md "Process model": the tokio
//! server never forks a sandbox itself).
//!
//! Per run, the client makes a socket pair and passes one end to the launcher (SCM_RIGHTS);
//! the launcher forks a supervisor that reads the spec from it, runs the jail, streams
//! output chunks back and ends with the report. A client that goes away (the server shut
//! down or died) makes the supervisor kill its run and clean up.

use std::io::{Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::sync::{Arc, Mutex};

use super::supervise::run_supervised;
use super::{Host, JailError, JailReport, Runner, SetupError, Stream};
use crate::outcome::StepOutcome;
use crate::plan::JailSpec;
use crate::sys;

const FRAME_STDOUT: u8 = 1;
const FRAME_STDERR: u8 = 2;
const FRAME_REPORT: u8 = 3;

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
        on_output: &mut dyn FnMut(Stream, &[u8]),
    ) -> Result<JailReport, String> {
        let (ours, theirs) = sys::socketpair().map_err(|e| e.to_string())?;
        {
            let control = self.inner.control.lock().unwrap_or_else(|e| e.into_inner());
            let control = control
                .as_ref()
                .ok_or("the launcher is shut down: no new runs")?;
            sys::send_fd(control, theirs.as_raw_fd())
                .map_err(|e| format!("the launcher is gone: {e}"))?;
        }
        drop(theirs);
        let id = self
            .inner
            .next_id
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let registered = sys::dup_cloexec(ours.as_raw_fd()).map_err(|e| e.to_string())?;
        self.inner
            .in_flight
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((id, registered));
        let result = exchange(UnixStream::from(ours), spec, on_output);
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
            other => return Err(format!("unknown frame {other} from the supervisor")),
        }
    }
}

impl Runner for Launcher {
    fn run(&self, spec: &JailSpec, on_output: &mut dyn FnMut(Stream, &[u8])) -> JailReport {
        match self.try_run(spec, on_output) {
            Ok(report) => report,
            // The run never reached a supervisor.
            Err(message) => JailReport {
                step: StepOutcome::internal_error(message),
                files: Vec::new(),
                missing: Vec::new(),
                provenance: super::supervise::provenance(&self.inner.host, &spec.limits),
            },
        }
    }
}

/// The launcher process: receives one socket per run and forks a supervisor for it.
fn launcher_main(control: OwnedFd, host: &Host) -> ! {
    let _ = sys::set_parent_death_signal(libc::SIGKILL);
    // Supervisors are reaped by the kernel; the launcher never waits.
    sys::ignore_signal(libc::SIGCHLD);
    sys::ignore_signal(libc::SIGPIPE);
    sys::ignore_signal(libc::SIGINT);
    sys::ignore_signal(libc::SIGTERM);
    loop {
        match sys::recv_fd(&control) {
            Ok(Some(run_socket)) => match sys::fork() {
                Ok(None) => {
                    drop(control);
                    supervisor_main(run_socket, host)
                }
                Ok(Some(_)) => drop(run_socket),
                Err(e) => {
                    tracing::error!(error = %e, "launcher cannot fork a supervisor");
                }
            },
            // The server closed its end (shut down or died): no more runs.
            Ok(None) => sys::exit_now(0),
            Err(e) if e.errno == libc::EINTR => continue,
            Err(_) => sys::exit_now(1),
        }
    }
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

/// One run's supervisor (a child of the launcher, single-threaded).
fn supervisor_main(run_socket: OwnedFd, host: &Host) -> ! {
    sys::default_signal(libc::SIGCHLD);
    let mut stream = UnixStream::from(run_socket);
    let spec: JailSpec = {
        let mut len = [0u8; 8];
        let mut body = Vec::new();
        let ok = stream.read_exact(&mut len).is_ok() && {
            body.resize(u64::from_le_bytes(len) as usize, 0);
            stream.read_exact(&mut body).is_ok()
        };
        match ok.then(|| postcard::from_bytes(&body).ok()).flatten() {
            Some(spec) => spec,
            None => sys::exit_now(1),
        }
    };
    let mut writer = stream.try_clone().unwrap_or_else(|_| sys::exit_now(1));
    let abort = stream.as_raw_fd();
    let report = run_supervised(host, &spec, Some(abort), &mut |s, bytes| {
        let kind = match s {
            Stream::Stdout => FRAME_STDOUT,
            Stream::Stderr => FRAME_STDERR,
        };
        write_frame(&mut writer, kind, bytes);
    });
    if let Ok(bytes) = postcard::to_stdvec(&report) {
        write_frame(&mut writer, FRAME_REPORT, &bytes);
    }
    sys::exit_now(0)
}
