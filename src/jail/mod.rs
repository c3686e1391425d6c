//! **jail**: one program in one fresh sandbox.
//!
//! The supervisor ([`supervise`], the parent side) validates nothing further — the plan is
//! already complete — creates the run's cgroup, clones the sandbox's init into new user,
//! mount, pid, net, ipc and uts namespaces, writes its uid/gid maps, places it in the
//! cgroup, and then feeds stdin, drains stdout and stderr, and enforces the wall-clock, CPU
//! and output limits. The init ([`inside`], the child side) builds the root filesystem,
//! pivots into it, and forks the program, which drops every privilege and installs seccomp
//! last before `execve`. When the program ends, the init kills whatever is left, hands back
//! the files asked for, and exits: the kernel then kills everything left in the pid
//! namespace, so nothing of a run survives its result.

pub mod cgroup;
mod inside;
pub mod launcher;
pub mod seccomp;
mod supervise;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::outcome::{EnforcedLimits, ReturnedFile, StepOutcome};
use crate::plan::{JailSpec, WorkspaceFile};
use crate::rootfs::{RootBase, RootfsPlan};
use crate::sys::SysError;

pub use supervise::enforcement;

/// Which output stream a chunk came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// Runs jail specs. The launcher (for multithreaded callers such as the server) and
/// [`InProcess`] (for the single-threaded CLI) both implement it.
pub trait Runner {
    /// Runs one program in one fresh sandbox; `on_output` sees each kept chunk of output as
    /// it is produced. Never fails: a sandbox that cannot be built is a report with the
    /// verdict IE.
    fn run(&self, spec: &JailSpec, on_output: &mut dyn FnMut(Stream, &[u8])) -> JailReport;

    /// [`Runner::run`], which `cancel` can end early: the sandbox is killed and cleaned up
    /// and the report is IE. A runner that cannot be cancelled (the default) ignores it.
    fn run_cancellable(
        &self,
        spec: &JailSpec,
        _cancel: &RunCancel,
        on_output: &mut dyn FnMut(Stream, &[u8]),
    ) -> JailReport {
        self.run(spec, on_output)
    }
}

/// Ends one run from another thread (a gRPC client that went away or whose deadline
/// passed). The launcher attaches the run's socket while the run is in flight; cancelling
/// shuts that socket down, which the supervisor sees as its client hanging up: it kills the
/// sandbox and cleans up (jail/launcher.rs), exactly as at shutdown.
#[derive(Debug, Default)]
pub struct RunCancel {
    state: std::sync::Mutex<CancelState>,
}

#[derive(Debug, Default)]
struct CancelState {
    cancelled: bool,
    socket: Option<std::os::fd::OwnedFd>,
}

impl RunCancel {
    /// The error of a run that was cancelled.
    pub const MESSAGE: &'static str =
        "the run was cancelled: its client went away or its deadline passed";

    fn state(&self) -> std::sync::MutexGuard<'_, CancelState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Cancels the run in flight, if any, and every later one through this handle.
    pub fn cancel(&self) {
        let mut state = self.state();
        state.cancelled = true;
        if let Some(socket) = &state.socket {
            crate::sys::shutdown_socket(socket);
        }
    }

    pub fn is_cancelled(&self) -> bool {
        self.state().cancelled
    }

    /// The run's socket while it is in flight (shut down at once when already cancelled).
    pub(crate) fn attach(&self, socket: std::os::fd::OwnedFd) {
        let mut state = self.state();
        if state.cancelled {
            crate::sys::shutdown_socket(&socket);
        }
        state.socket = Some(socket);
    }

    pub(crate) fn detach(&self) {
        self.state().socket = None;
    }
}

/// What a sandbox is built from before its run is known: the root filesystem and the sizes
/// of the scratch tmpfs mounts. A run can use a sandbox built ahead when the shapes match.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxShape {
    pub rootfs: RootfsPlan,
    pub tmpfs_bytes: u64,
    pub tmpfs_inodes: u64,
}

impl SandboxShape {
    pub fn of(spec: &JailSpec) -> SandboxShape {
        SandboxShape {
            rootfs: spec.rootfs.clone(),
            tmpfs_bytes: spec.limits.tmpfs_bytes,
            tmpfs_inodes: spec.limits.tmpfs_inodes,
        }
    }

    /// Whether sandboxes of this shape may be built ahead: only on the host profile. An
    /// image root is bound when its run starts, under the hold the run takes against `gc`.
    pub fn can_build_ahead(&self) -> bool {
        matches!(self.rootfs.base, RootBase::Composed { .. })
    }
}

/// Where the isolation of one run came from, for the result's provenance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JailProvenance {
    pub cgroup_mode: String,
    pub enforced: EnforcedLimits,
    pub seccomp_profile_sha256: String,
    pub rootless: bool,
    pub host_uid: u32,
    pub weakened: Vec<String>,
}

/// What one jailed program produced.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JailReport {
    pub step: StepOutcome,
    /// Files collected from the workspace after the program ended.
    pub files: Vec<WorkspaceFile>,
    /// Named files that could not be collected, with the reason.
    pub missing: Vec<ReturnedFile>,
    pub provenance: JailProvenance,
}

/// A step of sandbox setup failed: which step, and the system call that failed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("sandbox setup failed at step {step:?}: {source}")]
pub struct SetupError {
    pub step: String,
    #[source]
    pub source: SysError,
}

/// Errors of probing the host and starting the jail machinery.
#[derive(Debug, thiserror::Error)]
pub enum JailError {
    #[error(transparent)]
    Setup(#[from] SetupError),
    #[error(transparent)]
    Seccomp(#[from] seccomp::SeccompError),
    #[error(transparent)]
    Cgroup(#[from] cgroup::CgroupError),
    #[error("user namespaces are not available: {0}")]
    NoUserNamespaces(String),
}

/// Trait helper: a setup step's result with the step's name attached.
pub(crate) trait AtStep<T> {
    fn at(self, step: &str) -> Result<T, SetupError>;
}

impl<T> AtStep<T> for Result<T, SysError> {
    fn at(self, step: &str) -> Result<T, SetupError> {
        self.map_err(|source| SetupError {
            step: step.to_string(),
            source,
        })
    }
}

/// Settings of the jail machinery that a deployment may change.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct HostConfig {
    /// First host uid (and gid) of the per-slot sandbox ids when running as root.
    pub uid_base: u32,
    /// Number of slots: concurrent runs, each with its own host uid.
    pub slots: u32,
    /// Where slot locks live when running as root.
    pub slot_dir: PathBuf,
    /// The seccomp profile (JSON); `None` for the built-in one.
    pub seccomp_profile: Option<PathBuf>,
    /// Forces a cgroup mode (`v2`, `v1`, `none`) instead of detecting one.
    pub cgroup_mode: Option<String>,
    /// Sandboxes the launcher keeps built ahead, per recent shape (0: build each one when
    /// its run arrives).
    pub ready_sandboxes: u32,
}

impl Default for HostConfig {
    fn default() -> Self {
        HostConfig {
            uid_base: 2_100_000_000,
            slots: 1024,
            slot_dir: PathBuf::from("/run/localeval/slots"),
            seccomp_profile: None,
            cgroup_mode: None,
            // LOCALEVAL_READY_SANDBOXES overrides; 0 turns building ahead off.
            ready_sandboxes: std::env::var("LOCALEVAL_READY_SANDBOXES")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| {
                    std::thread::available_parallelism()
                        .map(|n| n.get() as u32)
                        .unwrap_or(2)
                        .max(2)
                }),
        }
    }
}

/// What this host gives the jail, probed once at startup before any thread or fork.
#[derive(Clone)]
pub struct Host {
    pub config: HostConfig,
    pub cgroups: cgroup::Cgroups,
    pub seccomp: seccomp::Filters,
    pub rootless: bool,
    pub own_uid: u32,
    pub own_gid: u32,
    pub last_capability: u32,
}

impl Host {
    /// Probes the host: cgroup driver, seccomp filters, identity.
    pub fn probe(config: HostConfig) -> Result<Host, JailError> {
        let own_uid = crate::sys::geteuid();
        let own_gid = crate::sys::getegid();
        let mut config = config;
        if own_uid == 0 {
            fit_uid_base(&mut config);
        }
        let seccomp = seccomp::Filters::load(config.seccomp_profile.as_deref())?;
        let cgroups = cgroup::Cgroups::detect(config.cgroup_mode.as_deref())?;
        cgroups.sweep_stale();
        Ok(Host {
            config,
            cgroups,
            seccomp,
            rootless: own_uid != 0,
            own_uid,
            own_gid,
            last_capability: crate::sys::last_capability(),
        })
    }
}

/// Runs jails by forking from the calling process, which must be single-threaded (the
/// CLI). A multithreaded caller uses the [`launcher::Launcher`].
pub struct InProcess {
    pub host: Host,
    /// When readable, the run in progress is cancelled (killed and cleaned up): the CLI
    /// passes a signalfd for SIGINT, SIGTERM and SIGHUP.
    pub cancel: Option<std::os::fd::OwnedFd>,
}

impl InProcess {
    pub fn new(host: Host) -> InProcess {
        InProcess { host, cancel: None }
    }
}

impl Runner for InProcess {
    fn run(&self, spec: &JailSpec, on_output: &mut dyn FnMut(Stream, &[u8])) -> JailReport {
        use std::os::fd::AsRawFd;
        let cancel = self.cancel.as_ref().map(|fd| fd.as_raw_fd());
        supervise::run_supervised(&self.host, spec, cancel, on_output)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    /// The peer of a socket `RunCancel` holds sees end of file once it is cancelled.
    fn peer_sees_eof(peer: std::os::fd::OwnedFd) -> bool {
        let mut stream = std::os::unix::net::UnixStream::from(peer);
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .unwrap();
        matches!(stream.read(&mut [0u8; 1]), Ok(0))
    }

    #[test]
    fn cancelling_shuts_the_attached_run_socket_down() {
        let (ours, theirs) = crate::sys::socketpair().unwrap();
        let cancel = RunCancel::default();
        cancel.attach(ours);
        assert!(!cancel.is_cancelled());
        cancel.cancel();
        assert!(cancel.is_cancelled());
        assert!(peer_sees_eof(theirs));
    }

    #[test]
    fn a_socket_attached_after_the_cancel_is_shut_down_at_once() {
        let (ours, theirs) = crate::sys::socketpair().unwrap();
        let cancel = RunCancel::default();
        cancel.cancel();
        cancel.attach(ours);
        assert!(peer_sees_eof(theirs));
    }
}

/// Root inside a rootless container (podman run by a user) owns only the ids its user
/// namespace maps, typically 0..65536 (/proc/self/uid_map, user_namespaces(7)): the default
/// per-slot ids from 2100000000 cannot be mapped there, and every run would fail at "write
/// id maps" with EPERM. Moves the slot ids to the top of the mapped range when the default
/// does not fit and the range is large enough (README "Install", the container section).
fn fit_uid_base(config: &mut HostConfig) {
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
    let (uid_map, gid_map) = (read("/proc/self/uid_map"), read("/proc/self/gid_map"));
    if uid_map.is_empty() {
        return;
    }
    let Some(base) = fitted_uid_base(&uid_map, &gid_map, config.uid_base, config.slots) else {
        return;
    };
    if base != config.uid_base {
        tracing::info!(
            from = config.uid_base,
            to = base,
            slots = config.slots,
            "the sandbox ids moved into the range this user namespace maps"
        );
        config.uid_base = base;
    }
}

/// The first slot id to use given the uid and gid maps of this process: `base` when
/// `base..base+slots` is mapped in both, else the highest block below 65534 (nobody and
/// 65535 stay free) inside one extent mapped in both, or `None` when none is large enough.
fn fitted_uid_base(uid_map: &str, gid_map: &str, base: u32, slots: u32) -> Option<u32> {
    let extents = |text: &str| -> Vec<(u64, u64)> {
        text.lines()
            .filter_map(|l| {
                let f: Vec<u64> = l
                    .split_whitespace()
                    .filter_map(|n| n.parse().ok())
                    .collect();
                (f.len() == 3).then(|| (f[0], f[0] + f[2]))
            })
            .collect()
    };
    let (uids, gids) = (extents(uid_map), extents(gid_map));
    let within =
        |set: &[(u64, u64)], lo: u64, hi: u64| set.iter().any(|&(s, e)| s <= lo && hi <= e);
    let fits = |lo: u64| {
        let hi = lo + u64::from(slots);
        within(&uids, lo, hi) && within(&gids, lo, hi)
    };
    if fits(u64::from(base)) {
        return Some(base);
    }
    // Ids below 1000 stay for the container's own system users.
    uids.iter()
        .filter_map(|&(start, end)| {
            let top = end.min(65534);
            let lo = top.checked_sub(u64::from(slots))?;
            (lo >= start.max(1000) && fits(lo)).then_some(lo)
        })
        .max()
        .and_then(|lo| u32::try_from(lo).ok())
}

#[cfg(test)]
mod uid_fit_tests {
    use super::fitted_uid_base;

    #[test]
    fn the_default_stays_where_every_id_is_mapped() {
        let all = "         0          0 4294967295\n";
        assert_eq!(
            fitted_uid_base(all, all, 2_100_000_000, 1024),
            Some(2_100_000_000)
        );
    }

    #[test]
    fn a_rootless_container_gets_the_top_of_its_range() {
        // rootless podman: root is the user, 1..65536 are the subordinate ids.
        let map = "0 1000 1\n1 100000 65536\n";
        let base = fitted_uid_base(map, map, 2_100_000_000, 1024).unwrap();
        assert_eq!(base, 65534 - 1024);
        assert!(base + 1024 <= 65534);
    }

    #[test]
    fn a_range_too_small_or_a_gid_gap_gives_none() {
        let small = "0 1000 1\n1 100000 1500\n";
        assert_eq!(fitted_uid_base(small, small, 2_100_000_000, 1024), None);
        let uids = "0 1000 1\n1 100000 65536\n";
        let gids = "0 1000 1\n1 100000 2000\n";
        assert_eq!(fitted_uid_base(uids, gids, 2_100_000_000, 1024), None);
    }
}
