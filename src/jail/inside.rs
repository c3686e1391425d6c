//! The child side of the clone: the sandbox's init (pid 1 of the new pid namespace) and the
//! program it forks. Everything here runs inside the new namespaces, in a single-threaded
//! process, and reports failures to the supervisor as typed messages over a pipe.

use std::ffi::CString;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{AtStep, Host, SandboxShape, SetupError};
use crate::plan::{Collect, JailSpec, WorkspaceFile};
use crate::rootfs::{RootBase, SANDBOX_GID, SANDBOX_HOSTNAME, SANDBOX_UID};
use crate::sys::{self, ChildUsage, SysError};

/// Where the new root is assembled, inside the private mount namespace (the host's `/tmp`
/// is covered, not touched).
const NEW_ROOT: &str = "/tmp";

/// Exit status of an init that failed to build the sandbox (hakoniwa's convention: 125
/// means the sandbox failed, not the program).
pub const SETUP_FAILED: i32 = 125;

/// Files under `/proc` hidden behind `/dev/null` (docs/SECURITY.md 2.2): runc's maskedPaths
/// (kcore, keys, latency_stats, timer_list, timer_stats, sched_debug, interrupts), with
/// sysrq-trigger masked rather than only read-only, and beyond runc: `key-users` (the
/// host's key quotas per uid, the sibling of `keys`), `softirqs` (per-CPU interrupt counts,
/// the sibling of `interrupts`, a side channel) and `config.gz` (the host kernel's build
/// configuration). Left writable on purpose, as in runc: `/proc/self/oom_score_adj` (a
/// process may only raise its own score without CAP_SYS_RESOURCE, which nothing here has),
/// `/proc/self/uid_map` and `gid_map` (written once by the supervisor; any later write is
/// EPERM, user_namespaces(7)) and `/proc/1/attr/current` (a label change is the LSM's to
/// allow, and with no LSM loaded the write fails with EINVAL).
const MASKED_PROC_FILES: &[&str] = &[
    "kcore",
    "keys",
    "key-users",
    "latency_stats",
    "timer_list",
    "timer_stats",
    "sched_debug",
    "interrupts",
    "softirqs",
    "config.gz",
    "sysrq-trigger",
];
/// Directories under `/proc` hidden behind an empty read-only tmpfs.
const MASKED_PROC_DIRS: &[&str] = &["acpi", "asound", "scsi"];
/// Directories under `/proc` made read-only.
const READONLY_PROC: &[&str] = &["bus", "fs", "irq", "sys"];
/// Device nodes bound from the host into the minimal `/dev`, with their (major, minor).
const DEVICES: &[(&str, u32, u32)] = &[
    ("null", 1, 3),
    ("zero", 1, 5),
    ("full", 1, 7),
    ("random", 1, 8),
    ("urandom", 1, 9),
];

/// What the child learned went wrong, sent to the supervisor.
#[derive(Debug, Serialize, Deserialize)]
pub enum ChildFailure {
    /// A sandbox setup step failed: an internal error, never the program's failure.
    Setup(SetupError),
    /// Every confinement was in place but the program could not be executed (missing,
    /// not executable): the user's command failed.
    Exec { path: String, error: SysError },
}

/// What the init reports when the program has ended.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct InitReport {
    /// The program's raw wait status.
    pub status: Option<i32>,
    /// Resource use of the program and every process the init reaped.
    pub usage: ChildUsage,
    pub files: Vec<WorkspaceFile>,
    pub missing: Vec<(String, String)>,
}

/// The run a built sandbox is given: sent by the supervisor once the init says it is ready
/// (a sandbox may be built ahead, before its run is known).
#[derive(Debug, Serialize, Deserialize)]
pub struct RunOrder {
    pub spec: JailSpec,
    /// The program's rlimits: (resource, name, soft, hard).
    pub rlimits: Vec<(i32, String, u64, u64)>,
}

/// A [`RunOrder`] as the supervisor sends it (the same encoding, borrowed).
#[derive(Serialize)]
pub struct RunOrderRef<'a> {
    pub spec: &'a JailSpec,
    pub rlimits: &'a [(i32, &'static str, u64, u64)],
}

/// The byte the init writes on the report pipe when the sandbox is built.
pub const READY: u8 = b'R';

/// The child's ends of the pipes, and everything else prepared before the clone.
pub struct ChildSide<'a> {
    pub shape: &'a SandboxShape,
    pub host: &'a Host,
    /// The supervisor's go-ahead byte, then the [`RunOrder`].
    pub order_read: OwnedFd,
    pub error_write: OwnedFd,
    pub report_write: OwnedFd,
    /// The program's stdin, stdout and stderr pipe ends; the init drops its copies once
    /// the program is forked, so that end of file never waits on the init.
    pub stdio: Option<[OwnedFd; 3]>,
    /// The parent's end of every pipe: closed first thing in the child.
    pub parent_fds: Vec<OwnedFd>,
    /// The run cgroup's directory the clone used; closed first thing in the child.
    pub cgroup_dir: Option<OwnedFd>,
}

/// The program's command line, environment and limits, ready for execve.
struct Program {
    spec: JailSpec,
    argv: Vec<CString>,
    env: Vec<CString>,
    rlimits: Vec<(i32, String, u64, u64)>,
}

/// The sandbox's init. Never returns.
pub fn init_main(mut child: ChildSide) -> ! {
    drop(std::mem::take(&mut child.parent_fds));
    drop(child.cgroup_dir.take());
    match build_sandbox(&child) {
        Ok((program, pid)) => {
            drop(child.stdio.take());
            supervise_program(&child, &program.spec, pid)
        }
        Err(error) => {
            send_failure(child.error_write.as_raw_fd(), &ChildFailure::Setup(error));
            sys::exit_now(SETUP_FAILED)
        }
    }
}

/// Every step that builds the sandbox and starts its program, in order
/// (docs/ARCHITECTURE.md "Inside the jail"). Everything up to `announce_ready` depends only
/// on the sandbox's shape, so a sandbox can be built ahead and wait there for its run.
fn build_sandbox(child: &ChildSide) -> Result<(Program, libc::pid_t), SetupError> {
    wait_for_supervisor(child)?; // uid/gid maps written
    die_with_supervisor(child)?; // SIGKILL when the supervisor dies
    sys::set_dumpable(false).at("make init undumpable")?; // CVE-2019-5736: /proc/1/exe, /proc/1/mem
    let root_dir = open_root_dir(child)?; // while still the service's own host id
                                          // The ids change before the mounts, not after the rlimits as a naive order would: files the
                                          // init creates in the new tmpfs mounts must be owned by an id mapped in this user
                                          // namespace (an unmapped fsuid gets EOVERFLOW). Capabilities are kept for the mounts and
                                          // dropped below, before anything of the user's runs.
    become_sandbox_user(child)?;
    // A credential change clears the parent-death signal and resets dumpability
    // (commit_creds in kernel/cred.c): both are set again after each one.
    die_with_supervisor(child)?;
    sys::set_dumpable(false).at("make init undumpable")?;
    make_mounts_private()?;
    build_root(child, root_dir)?; // tmpfs root with read-only host binds, or the image root read-only
    mount_scratch(child)?; // per-run /tmp and workspace: tmpfs with size and inode caps
    mount_dev()?; // minimal /dev: null zero full random urandom, shm
    mount_proc()?; // fresh procfs, masked and read-only paths (before pivot: mount_too_revealing)
    pivot_into_root()?; // pivot_root, old root detached
    seal_root(child)?; // the root tmpfs read-only
    sys::sethostname(SANDBOX_HOSTNAME).at("set hostname")?;
    sys::bring_loopback_up().at("bring lo up")?; // the only interface of the new net namespace
    sys::chdir(Path::new(crate::rootfs::WORKSPACE)).at("enter workspace")?;
    // The supervisor moves this process into the run's cgroup while the steps above run
    // (on cgroup v1 a move waits out an RCU grace period, ~10 ms); nothing of the user's
    // has run yet. The cgroup namespace is entered once inside, so it is rooted there.
    wait_for_supervisor(child)?; // placed in the run's cgroup
    sys::unshare(libc::CLONE_NEWCGROUP, "CLONE_NEWCGROUP").at("enter cgroup namespace")?;
    drop_all_capabilities(child, "drop capabilities")?; // every set, bounding and ambient too
    die_with_supervisor(child)?; // capset is a credential change too
    sys::set_no_new_privs().at("no_new_privs")?;
    // Seccomp is the last privileged step: what the program's process still does after
    // the fork (new session, stdio, rlimits, closing fds, execve) is all allowed by the
    // filter, so the init installs it once here and the program inherits it.
    child.host.seccomp.install().at("install seccomp")?;
    announce_ready(child)?; // the sandbox is built; it may wait here for its run
    let program = receive_order(child)?; // the run: files, command line, environment, rlimits
    write_workspace_files(&program.spec)?; // into the fresh workspace tmpfs, as the sandbox user
    let pid = fork_program(child, &program)?; // the program: session, stdio, rlimits, fds, then execve
    Ok((program, pid))
}

/// Arms the parent-death signal (SIGKILL), then checks that the supervisor did not die
/// before it was armed: a signal armed after the parent's death never comes. In a new pid
/// namespace `getppid` says 0 whoever the parent is, so the check is the supervisor's end
/// of the order pipe: only the supervisor holds it, and it hangs up when the supervisor
/// dies (prctl(2) PR_SET_PDEATHSIG; the pid namespace dies with this init).
fn die_with_supervisor(child: &ChildSide) -> Result<(), SetupError> {
    sys::set_parent_death_signal(libc::SIGKILL).at("die with the supervisor")?;
    let revents = sys::poll(&[(child.order_read.as_raw_fd(), 0)], 0).at("check the supervisor")?;
    if revents[0] & (sys::POLLHUP | sys::POLLERR) != 0 {
        sys::exit_now(SETUP_FAILED);
    }
    Ok(())
}

/// Blocks until the supervisor says go (once the uid/gid maps are written, once this
/// process is in its cgroup). End of file means the supervisor gave up: exit without doing
/// anything.
fn wait_for_supervisor(child: &ChildSide) -> Result<(), SetupError> {
    let mut byte = [0u8; 1];
    match sys::read(child.order_read.as_raw_fd(), &mut byte).at("wait for supervisor")? {
        1 => Ok(()),
        _ => sys::exit_now(SETUP_FAILED),
    }
}

fn announce_ready(child: &ChildSide) -> Result<(), SetupError> {
    sys::write_all(&child.report_write, &[READY]).at("announce the sandbox is ready")
}

/// Reads the run (length-prefixed postcard). End of file means the sandbox was built ahead
/// and is not wanted: exit without doing anything.
fn receive_order(child: &ChildSide) -> Result<Program, SetupError> {
    let step = "receive the run";
    let fd = &child.order_read;
    let mut len = [0u8; 8];
    if !sys::read_exact(fd, &mut len).at(step)? {
        sys::exit_now(0);
    }
    let mut body = vec![0u8; u64::from_le_bytes(len) as usize];
    if !sys::read_exact(fd, &mut body).at(step)? {
        sys::exit_now(0);
    }
    let order: RunOrder = postcard::from_bytes(&body).map_err(|e| SetupError {
        step: step.into(),
        source: SysError {
            call: "read".into(),
            args: format!("a malformed run order: {e}"),
            errno: libc::EINVAL,
        },
    })?;
    let cstrings = |items: Vec<String>| -> Vec<CString> {
        items
            .into_iter()
            .map(|s| CString::new(s).expect("plans carry no NUL bytes (checked by the planner)"))
            .collect()
    };
    Ok(Program {
        argv: cstrings(order.spec.argv.clone()),
        env: cstrings(
            order
                .spec
                .env
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect(),
        ),
        rlimits: order.rlimits,
        spec: order.spec,
    })
}

fn become_sandbox_user(child: &ChildSide) -> Result<(), SetupError> {
    let step = "become sandbox user";
    if !child.host.rootless {
        // Rootless runs cannot drop supplementary groups: setgroups is denied in a user
        // namespace an unprivileged user made (user_namespaces(7)); provenance says so.
        sys::setgroups_empty().at(step)?;
    }
    sys::set_keep_caps(true).at(step)?;
    sys::setresgid(SANDBOX_GID).at(step)?;
    sys::setresuid(SANDBOX_UID).at(step)?;
    sys::set_keep_caps(false).at(step)?;
    sys::raise_effective_to_permitted().at(step)
}

fn make_mounts_private() -> Result<(), SetupError> {
    sys::mount(
        "none",
        Path::new("/"),
        None,
        libc::MS_REC | libc::MS_PRIVATE,
        None,
    )
    .at("make mounts private")
}

fn new_root(relative: impl AsRef<Path>) -> PathBuf {
    Path::new(NEW_ROOT).join(
        relative
            .as_ref()
            .strip_prefix("/")
            .unwrap_or(relative.as_ref()),
    )
}

const RO_NOSUID_NODEV: u64 =
    sys::MOUNT_ATTR_RDONLY | sys::MOUNT_ATTR_NOSUID | sys::MOUNT_ATTR_NODEV;

fn bind_readonly(source: &Path, target: &Path, step: &str) -> Result<(), SetupError> {
    sys::mount(
        &source.display().to_string(),
        target,
        None,
        libc::MS_BIND | libc::MS_REC,
        None,
    )
    .at(step)?;
    sys::mount_setattr(target, true, RO_NOSUID_NODEV).at(step)
}

/// For a directory root (an image in the store, 0700 and owned by the service user): an
/// `O_PATH` handle opened before the ids change, when this process still has the service's
/// host id and so may traverse the store. Opened after the clone, so that the handle's
/// mount is in this mount namespace (a bind of a foreign namespace's mount is EINVAL).
fn open_root_dir(child: &ChildSide) -> Result<Option<OwnedFd>, SetupError> {
    match &child.shape.rootfs.base {
        RootBase::Directory { path } => Ok(Some(sys::open_path_dir(path).at("open image root")?)),
        RootBase::Composed { .. } => Ok(None),
    }
}

fn build_root(child: &ChildSide, root_dir: Option<OwnedFd>) -> Result<(), SetupError> {
    let root = Path::new(NEW_ROOT);
    match &child.shape.rootfs.base {
        RootBase::Directory { .. } => {
            let fd = root_dir.expect("a directory root is opened first");
            let source = PathBuf::from(format!("/proc/self/fd/{}", fd.as_raw_fd()));
            bind_readonly(&source, root, "bind image root")?;
        }
        RootBase::Composed {
            binds,
            symlinks,
            etc_binds,
            etc_files,
        } => {
            let step = "compose host profile root";
            sys::mount(
                "tmpfs",
                root,
                Some("tmpfs"),
                libc::MS_NOSUID | libc::MS_NODEV,
                Some("size=4m,nr_inodes=4096,mode=0755"),
            )
            .at(step)?;
            for dir in binds {
                let target = new_root(dir);
                sys::mkdir(&target, 0o755).at(step)?;
                bind_readonly(dir, &target, "bind host directory")?;
            }
            for (link, target) in symlinks {
                sys::symlink(target, &new_root(link)).at(step)?;
            }
            sys::mkdir(&new_root("etc"), 0o755).at(step)?;
            for (name, content) in etc_files {
                sys::write_new_file(&new_root("etc").join(name), content, 0o644).at(step)?;
            }
            for entry in etc_binds {
                let target = new_root(entry);
                match std::fs::symlink_metadata(entry) {
                    Ok(m) if m.file_type().is_symlink() => {
                        let link = std::fs::read_link(entry).unwrap_or_default();
                        sys::symlink(&link, &target).at(step)?;
                        continue;
                    }
                    Ok(m) if m.is_dir() => sys::mkdir(&target, 0o755).at(step)?,
                    Ok(_) => sys::write_new_file(&target, b"", 0o644).at(step)?,
                    Err(_) => continue,
                }
                bind_readonly(entry, &target, "bind /etc entry")?;
            }
            for dir in ["proc", "dev", "tmp", "workspace"] {
                sys::mkdir(&new_root(dir), 0o755).at(step)?;
            }
        }
    }
    Ok(())
}

fn mount_scratch(child: &ChildSide) -> Result<(), SetupError> {
    let shape = child.shape;
    let options = |mode: &str| {
        format!(
            "size={},nr_inodes={},mode={mode},uid={SANDBOX_UID},gid={SANDBOX_GID}",
            shape.tmpfs_bytes, shape.tmpfs_inodes
        )
    };
    let flags = libc::MS_NOSUID | libc::MS_NODEV;
    sys::mount(
        "tmpfs",
        &new_root("tmp"),
        Some("tmpfs"),
        flags,
        Some(&options("1777")),
    )
    .at("mount /tmp")?;
    sys::mount(
        "tmpfs",
        &new_root(crate::rootfs::WORKSPACE),
        Some("tmpfs"),
        flags,
        Some(&options("0755")),
    )
    .at("mount workspace")
}

fn write_workspace_files(spec: &JailSpec) -> Result<(), SetupError> {
    let workspace = PathBuf::from(crate::rootfs::WORKSPACE);
    let step = "write workspace files";
    for file in &spec.files {
        // Paths were validated by the planner (relative, no `..`); the workspace is a fresh
        // tmpfs that nothing of the user's has touched yet. The root is pivoted and sealed:
        // only the workspace tmpfs, owned by the sandbox user, is writable.
        let path = workspace.join(&file.path);
        let mut parent = workspace.clone();
        if let Some(dirs) = Path::new(&file.path).parent() {
            for component in dirs.components() {
                parent.push(component);
                sys::mkdir(&parent, 0o755).at(step)?;
            }
        }
        let mode = if file.executable { 0o755 } else { 0o644 };
        sys::write_new_file(&path, &file.content, mode).at(step)?;
    }
    Ok(())
}

fn mount_dev() -> Result<(), SetupError> {
    let step = "build /dev";
    let dev = new_root("dev");
    sys::mount(
        "tmpfs",
        &dev,
        Some("tmpfs"),
        libc::MS_NOSUID | libc::MS_NOEXEC,
        Some("size=64k,nr_inodes=64,mode=0755"),
    )
    .at(step)?;
    for (name, major, minor) in DEVICES {
        let host = Path::new("/dev").join(name);
        let (mode, ma, mi) = sys::stat_device(&host).at(step)?;
        if mode & libc::S_IFMT != libc::S_IFCHR || (ma, mi) != (*major, *minor) {
            return Err(SetupError {
                step: step.into(),
                source: SysError {
                    call: "lstat".into(),
                    args: format!(
                        "{:?} is not the character device {major}:{minor}",
                        host.display().to_string()
                    ),
                    errno: libc::EINVAL,
                },
            });
        }
        let target = dev.join(name);
        sys::write_new_file(&target, b"", 0o666).at(step)?;
        sys::mount(
            &host.display().to_string(),
            &target,
            None,
            libc::MS_BIND,
            None,
        )
        .at(step)?;
    }
    for (link, target) in [
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
    ] {
        sys::symlink(Path::new(target), &dev.join(link)).at(step)?;
    }
    let shm = dev.join("shm");
    sys::mkdir(&shm, 0o1777).at(step)?;
    sys::mount(
        "tmpfs",
        &shm,
        Some("tmpfs"),
        libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
        Some(&format!(
            "size=16m,nr_inodes=1024,mode=1777,uid={SANDBOX_UID},gid={SANDBOX_GID}"
        )),
    )
    .at(step)?;
    sys::mount_setattr(&dev, false, sys::MOUNT_ATTR_RDONLY | sys::MOUNT_ATTR_NOSUID).at(step)
}

fn mount_proc() -> Result<(), SetupError> {
    let step = "mount /proc";
    let proc = new_root("proc");
    sys::mount(
        "proc",
        &proc,
        Some("proc"),
        libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
        None,
    )
    .at(step)?;
    let null = new_root("dev/null");
    for name in MASKED_PROC_FILES {
        let target = proc.join(name);
        if target.exists() {
            sys::mount(
                &null.display().to_string(),
                &target,
                None,
                libc::MS_BIND,
                None,
            )
            .at("mask /proc file")?;
        }
    }
    for name in MASKED_PROC_DIRS {
        let target = proc.join(name);
        if target.is_dir() {
            sys::mount(
                "tmpfs",
                &target,
                Some("tmpfs"),
                libc::MS_RDONLY | libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
                Some("size=0,nr_inodes=1,mode=0555"),
            )
            .at("mask /proc directory")?;
        }
    }
    for name in READONLY_PROC {
        let target = proc.join(name);
        if target.exists() {
            sys::mount(
                &target.display().to_string(),
                &target,
                None,
                libc::MS_BIND | libc::MS_REC,
                None,
            )
            .at("make /proc path read-only")?;
            sys::mount_setattr(&target, true, RO_NOSUID_NODEV | sys::MOUNT_ATTR_NOEXEC)
                .at("make /proc path read-only")?;
        }
    }
    Ok(())
}

fn pivot_into_root() -> Result<(), SetupError> {
    let step = "pivot_root";
    sys::chdir(Path::new(NEW_ROOT)).at(step)?;
    sys::pivot_root_here().at(step)?;
    sys::umount_detach(Path::new(".")).at("detach old root")?;
    sys::chdir(Path::new("/")).at(step)
}

fn seal_root(child: &ChildSide) -> Result<(), SetupError> {
    if let RootBase::Composed { .. } = child.shape.rootfs.base {
        sys::mount_setattr(Path::new("/"), false, RO_NOSUID_NODEV).at("make root read-only")?;
    }
    Ok(())
}

fn drop_all_capabilities(child: &ChildSide, step: &str) -> Result<(), SetupError> {
    sys::lock_securebits().at(step)?;
    sys::drop_bounding_and_ambient(child.host.last_capability).at(step)?;
    sys::clear_capabilities().at(step)
}

fn fork_program(child: &ChildSide, program: &Program) -> Result<libc::pid_t, SetupError> {
    match sys::fork().at("fork program")? {
        Some(pid) => Ok(pid),
        None => exec_program(child, program),
    }
}

/// The program's side, already under the init's seccomp filter and without capabilities:
/// the last unprivileged steps, then execve. Never returns.
fn exec_program(child: &ChildSide, program: &Program) -> ! {
    let mut error_fd = child.error_write.as_raw_fd();
    let failure = match confine_program(child, program, &mut error_fd) {
        Ok((path, exec_error)) => ChildFailure::Exec {
            path,
            error: exec_error,
        },
        Err(setup) => ChildFailure::Setup(setup),
    };
    let code = match &failure {
        ChildFailure::Exec { error, .. } if error.errno == libc::ENOENT => 127,
        ChildFailure::Exec { .. } => 126,
        ChildFailure::Setup(_) => SETUP_FAILED,
    };
    send_failure(error_fd, &failure);
    sys::exit_now(code)
}

/// Returns only if execve failed: the resolved path and the error.
/// `error_fd` follows the error pipe when it moves to fd 3.
fn confine_program(
    child: &ChildSide,
    program: &Program,
    error_fd: &mut RawFd,
) -> Result<(String, SysError), SetupError> {
    sys::set_parent_death_signal(libc::SIGKILL).at("die with init")?;
    reset_signals();
    sys::setsid().at("new session")?; // no controlling terminal (TIOCSTI, CVE-2017-5226)
    connect_stdio(child)?;
    set_rlimits(program)?;
    close_inherited_fds(*error_fd)?;
    *error_fd = 3;
    let path = resolve_program(program);
    let error = sys::execve(&path, &program.argv, &program.env);
    Ok((path.to_string_lossy().into_owned(), error))
}

fn reset_signals() {
    for signal in 1..32 {
        if signal != libc::SIGKILL && signal != libc::SIGSTOP {
            sys::default_signal(signal);
        }
    }
    sys::unblock_all_signals();
}

fn connect_stdio(child: &ChildSide) -> Result<(), SetupError> {
    let step = "connect stdio pipes";
    let stdio = child
        .stdio
        .as_ref()
        .expect("the program's stdio is set up before the fork");
    for (target, fd) in stdio.iter().enumerate() {
        sys::dup2(fd.as_raw_fd(), target as RawFd).at(step)?;
    }
    Ok(())
}

fn set_rlimits(program: &Program) -> Result<(), SetupError> {
    for (resource, name, soft, hard) in &program.rlimits {
        sys::setrlimit(*resource, name, *soft, *hard).at("set rlimits")?;
    }
    Ok(())
}

/// Closes every fd but stdio and the error pipe (CVE-2024-21626: no host fd may reach the
/// program). The error pipe is close-on-exec and closes at execve.
fn close_inherited_fds(keep: RawFd) -> Result<(), SetupError> {
    let step = "close inherited fds";
    if keep != 3 {
        sys::dup3_cloexec(keep, 3).at(step)?;
    }
    sys::close_from(4).at(step)
}

/// Finds the program on the plan's PATH inside the new root (execvpe would search the
/// init's own environment, which is the server's).
fn resolve_program(run: &Program) -> CString {
    let program = run.argv[0].to_bytes();
    if program.contains(&b'/') {
        return run.argv[0].clone();
    }
    let path_var = run
        .spec
        .env
        .iter()
        .find(|(k, _)| k == "PATH")
        .map(|(_, v)| v.as_str())
        .unwrap_or("/usr/bin:/bin");
    for dir in path_var.split(':').filter(|d| !d.is_empty()) {
        let mut candidate = dir.as_bytes().to_vec();
        candidate.push(b'/');
        candidate.extend_from_slice(program);
        if let Ok(c) = CString::new(candidate) {
            if sys::is_executable(&c) {
                return c;
            }
        }
    }
    run.argv[0].clone()
}

/// Waits for the program, then ends every other process of the run, collects the files
/// asked for, reports, and exits — which takes the whole pid namespace down.
fn supervise_program(child: &ChildSide, spec: &JailSpec, program: libc::pid_t) -> ! {
    let mut report = InitReport::default();
    loop {
        match sys::wait4(-1, 0) {
            Ok(Some((pid, status, _))) if pid == program => {
                report.status = Some(status);
                break;
            }
            Ok(_) => continue,
            Err(_) => break,
        }
    }
    // kill(-1) from a pid namespace's init signals every other process in it.
    let _ = sys::kill(-1, libc::SIGKILL);
    while let Ok(Some(_)) = sys::wait4(-1, 0) {}
    report.usage = sys::children_usage();
    collect_files(spec, &mut report);
    let bytes = postcard::to_stdvec(&report).unwrap_or_default();
    let _ = sys::write_all(&child.report_write, &(bytes.len() as u64).to_le_bytes());
    let _ = sys::write_all(&child.report_write, &bytes);
    sys::exit_now(0)
}

fn collect_files(spec: &JailSpec, report: &mut InitReport) {
    let Ok(workspace) = sys::open_dir(Path::new(crate::rootfs::WORKSPACE)) else {
        return;
    };
    let mut budget = spec.collect_max_bytes;
    match &spec.collect {
        Collect::Nothing => {}
        Collect::Named(names) => {
            for name in names {
                match read_beneath(&workspace, name, &mut budget) {
                    Ok(content) => report.files.push(WorkspaceFile {
                        path: name.clone(),
                        content,
                        executable: false,
                    }),
                    Err(why) => report.missing.push((name.clone(), why)),
                }
            }
        }
        Collect::Workspace => {
            let mut pending = vec![String::new()];
            while let Some(dir) = pending.pop() {
                let fd = if dir.is_empty() {
                    sys::dup_cloexec(workspace.as_raw_fd())
                } else {
                    sys::open_beneath(workspace.as_raw_fd(), &dir, true)
                };
                let Ok(fd) = fd else { continue };
                let Ok(entries) = sys::read_dir_fd(&fd) else {
                    continue;
                };
                for (name, kind) in entries {
                    let path = if dir.is_empty() {
                        name
                    } else {
                        format!("{dir}/{name}")
                    };
                    if kind == sys::DT_DIR && path.matches('/').count() < 15 {
                        pending.push(path);
                    } else if kind == sys::DT_REG && report.files.len() < crate::plan::MAX_FILES {
                        if let Ok(content) = read_beneath(&workspace, &path, &mut budget) {
                            report.files.push(WorkspaceFile {
                                path,
                                content,
                                executable: true,
                            });
                        }
                    }
                }
            }
        }
    }
}

/// Reads a regular file below the workspace without following any link. The type is
/// checked on an `O_PATH` handle before anything is opened: a FIFO would block the open (and
/// the run until its wall limit), a device could act on being opened.
fn read_beneath(workspace: &OwnedFd, name: &str, budget: &mut u64) -> Result<Vec<u8>, String> {
    let handle =
        sys::open_path_beneath(workspace.as_raw_fd(), name).map_err(|e| match e.errno {
            libc::ENOENT => "no such file".to_string(),
            libc::ELOOP | libc::EXDEV => "is a symbolic link; links are not followed".to_string(),
            _ => e.to_string(),
        })?;
    let (kind, _) = sys::fstat_kind(&handle).map_err(|e| e.to_string())?;
    if kind != libc::S_IFREG {
        return Err(format!(
            "is a {}; only regular files are returned",
            file_kind_name(kind)
        ));
    }
    let fd = sys::reopen_for_reading(&handle).map_err(|e| e.to_string())?;
    let (kind, size) = sys::fstat_kind(&fd).map_err(|e| e.to_string())?;
    if kind != libc::S_IFREG {
        return Err("not a regular file".into());
    }
    if size > *budget {
        return Err(format!(
            "{size} bytes is more than the {budget} bytes left to return"
        ));
    }
    let mut content = Vec::with_capacity(size as usize);
    sys::read_to_end(&fd, &mut content).map_err(|e| e.to_string())?;
    content.truncate(*budget as usize);
    *budget -= content.len() as u64;
    Ok(content)
}

/// What a file of type `kind` (`st_mode & S_IFMT`) is called in messages.
fn file_kind_name(kind: u32) -> &'static str {
    match kind {
        libc::S_IFDIR => "directory",
        libc::S_IFIFO => "FIFO (named pipe)",
        libc::S_IFSOCK => "socket",
        libc::S_IFCHR => "character device",
        libc::S_IFBLK => "block device",
        libc::S_IFLNK => "symbolic link",
        _ => "special file",
    }
}

fn send_failure(error_fd: RawFd, failure: &ChildFailure) {
    if let Ok(bytes) = postcard::to_stdvec(failure) {
        let _ = sys::write(error_fd, &bytes);
    }
}
