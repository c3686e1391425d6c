//! The one module with `unsafe` code: thin wrappers over the system calls the jail, the
//! supervisor and the launcher make. Each wrapper returns a [`SysError`] that names the
//! call, its arguments and the errno, e.g. `mount("tmpfs", "/tmp", "tmpfs", 0x6, "size=1m")
//! => EPERM (Operation not permitted)`.
//!
//! Nothing here decides policy; the callers do. Every `unsafe` block says why it holds.

use std::ffi::{CStr, CString};
use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};

/// A failed system call: which one, with which arguments, and the errno.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SysError {
    pub call: String,
    pub args: String,
    pub errno: i32,
}

impl std::fmt::Display for SysError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}({}) => {} ({})",
            self.call,
            self.args,
            errno_name(self.errno),
            std::io::Error::from_raw_os_error(self.errno)
        )
    }
}

impl std::error::Error for SysError {}

pub type SysResult<T> = Result<T, SysError>;

fn last_errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

fn fail<T>(call: &str, args: String) -> SysResult<T> {
    Err(SysError {
        call: call.to_string(),
        args,
        errno: last_errno(),
    })
}

/// Checks a C-style return value: -1 means failure with errno set.
fn check(ret: libc::c_long, call: &str, args: impl FnOnce() -> String) -> SysResult<libc::c_long> {
    if ret == -1 {
        fail(call, args())
    } else {
        Ok(ret)
    }
}

/// The symbolic name of an errno value.
pub fn errno_name(errno: i32) -> &'static str {
    match errno {
        libc::EPERM => "EPERM",
        libc::ENOENT => "ENOENT",
        libc::ESRCH => "ESRCH",
        libc::EINTR => "EINTR",
        libc::EIO => "EIO",
        libc::E2BIG => "E2BIG",
        libc::ENOEXEC => "ENOEXEC",
        libc::EBADF => "EBADF",
        libc::ECHILD => "ECHILD",
        libc::EAGAIN => "EAGAIN",
        libc::ENOMEM => "ENOMEM",
        libc::EACCES => "EACCES",
        libc::EFAULT => "EFAULT",
        libc::EBUSY => "EBUSY",
        libc::EEXIST => "EEXIST",
        libc::EXDEV => "EXDEV",
        libc::ENOTDIR => "ENOTDIR",
        libc::EISDIR => "EISDIR",
        libc::EINVAL => "EINVAL",
        libc::EMFILE => "EMFILE",
        libc::EFBIG => "EFBIG",
        libc::ENOSPC => "ENOSPC",
        libc::EROFS => "EROFS",
        libc::EPIPE => "EPIPE",
        libc::ERANGE => "ERANGE",
        libc::ENAMETOOLONG => "ENAMETOOLONG",
        libc::ENOSYS => "ENOSYS",
        libc::ENOTEMPTY => "ENOTEMPTY",
        libc::ELOOP => "ELOOP",
        libc::EOVERFLOW => "EOVERFLOW",
        libc::EAFNOSUPPORT => "EAFNOSUPPORT",
        libc::ECONNREFUSED => "ECONNREFUSED",
        libc::ENETUNREACH => "ENETUNREACH",
        libc::EUSERS => "EUSERS",
        _ => "errno",
    }
}

fn cstr(s: &str) -> CString {
    CString::new(s).unwrap_or_else(|_| CString::new(s.replace('\0', "\\0")).expect("no NUL left"))
}

fn cpath(p: &std::path::Path) -> CString {
    use std::os::unix::ffi::OsStrExt;
    CString::new(p.as_os_str().as_bytes()).unwrap_or_else(|_| cstr("<path with NUL>"))
}

// ---------------------------------------------------------------------------------------
// Processes

/// Namespaces a sandbox gets (cgroup comes later, after the parent has placed the child).
pub const CLONE_SANDBOX_NAMESPACES: u64 = (libc::CLONE_NEWUSER
    | libc::CLONE_NEWNS
    | libc::CLONE_NEWPID
    | libc::CLONE_NEWNET
    | libc::CLONE_NEWIPC
    | libc::CLONE_NEWUTS) as u64;

/// The two sides of a clone.
pub enum Forked {
    Parent { pid: libc::pid_t, pidfd: OwnedFd },
    Child,
}

/// The number of threads of this process, from `/proc/self/task`.
pub fn thread_count() -> usize {
    std::fs::read_dir("/proc/self/task")
        .map(|d| d.count())
        .unwrap_or(usize::MAX)
}

/// `struct clone_args` of clone3(2) (Linux 5.3; `cgroup` since 5.7).
#[repr(C)]
#[derive(Default)]
struct CloneArgs {
    flags: u64,
    pidfd: u64,
    child_tid: u64,
    parent_tid: u64,
    exit_signal: u64,
    stack: u64,
    stack_size: u64,
    tls: u64,
    set_tid: u64,
    set_tid_size: u64,
    cgroup: u64,
}

const CLONE_INTO_CGROUP: u64 = 0x2_0000_0000;

/// Like `fork`, into new namespaces, returning a pidfd of the child to the parent. With
/// `cgroup` (a cgroup v2 directory), the child starts in that cgroup (clone3
/// `CLONE_INTO_CGROUP`): no migration afterwards, and nothing of it ever runs outside.
/// `Ok(None)` when the kernel cannot clone into a cgroup (before 5.7): place it afterwards.
///
/// Refuses to run in a multithreaded process (docs/ARCHITECTURE.md "The process model": after a fork of a
/// multithreaded process only async-signal-safe calls are allowed, and the child code here
/// allocates).
pub fn clone_process(namespaces: u64, cgroup: Option<RawFd>) -> SysResult<Option<Forked>> {
    let threads = thread_count();
    if threads != 1 {
        return Err(SysError {
            call: "clone".into(),
            args: format!("threads = {threads} (the forking process must be single-threaded)"),
            errno: libc::EINVAL,
        });
    }
    let mut pidfd: libc::c_int = -1;
    let ret = match cgroup {
        Some(dir) => {
            let args = CloneArgs {
                flags: namespaces | libc::CLONE_PIDFD as u64 | CLONE_INTO_CGROUP,
                pidfd: &mut pidfd as *mut libc::c_int as u64,
                exit_signal: libc::SIGCHLD as u64,
                cgroup: dir as u64,
                ..CloneArgs::default()
            };
            // SAFETY: clone3 with a zero stack behaves like fork: the child continues on a
            // copy of the parent's stack. The process is single-threaded (checked above), so
            // the child's copy of every lock and allocator is consistent. `args` and `pidfd`
            // outlive the call.
            let ret = unsafe {
                libc::syscall(
                    libc::SYS_clone3,
                    &args as *const CloneArgs,
                    std::mem::size_of::<CloneArgs>(),
                )
            };
            if ret == -1 && matches!(last_errno(), libc::ENOSYS | libc::E2BIG) {
                return Ok(None);
            }
            ret
        }
        None => {
            let flags = namespaces | libc::CLONE_PIDFD as u64 | libc::SIGCHLD as u64;
            // SAFETY: as above, for clone with a null stack.
            unsafe {
                libc::syscall(
                    libc::SYS_clone,
                    flags,
                    std::ptr::null_mut::<libc::c_void>(),
                    &mut pidfd as *mut libc::c_int,
                    std::ptr::null_mut::<libc::c_void>(),
                    0usize,
                )
            }
        }
    };
    match ret {
        -1 => fail(
            if cgroup.is_some() { "clone3" } else { "clone" },
            format!("namespaces={namespaces:#x}, into cgroup fd {cgroup:?}"),
        ),
        0 => Ok(Some(Forked::Child)),
        pid => Ok(Some(Forked::Parent {
            pid: pid as libc::pid_t,
            // SAFETY: with CLONE_PIDFD the kernel stored a new, owned fd in `pidfd`.
            pidfd: unsafe { OwnedFd::from_raw_fd(pidfd) },
        })),
    }
}

/// Plain `fork` in a single-threaded process.
pub fn fork() -> SysResult<Option<libc::pid_t>> {
    if thread_count() != 1 {
        return Err(SysError {
            call: "fork".into(),
            args: "the forking process must be single-threaded".into(),
            errno: libc::EINVAL,
        });
    }
    // SAFETY: single-threaded (checked above), so the child's copy of the process state is
    // consistent and it may allocate.
    match unsafe { libc::fork() } {
        -1 => fail("fork", String::new()),
        0 => Ok(None),
        pid => Ok(Some(pid)),
    }
}

/// Ends the process at once, without running destructors or atexit handlers (the forked
/// child must not flush the parent's buffers twice).
pub fn exit_now(code: i32) -> ! {
    // SAFETY: _exit is always safe to call; it does not return.
    unsafe { libc::_exit(code) }
}

/// Resource use of waited-for children.
#[derive(Clone, Copy, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct ChildUsage {
    pub user_us: u64,
    pub system_us: u64,
    pub max_rss_kib: u64,
}

fn usage_of(r: &libc::rusage) -> ChildUsage {
    let us = |t: libc::timeval| t.tv_sec as u64 * 1_000_000 + t.tv_usec as u64;
    ChildUsage {
        user_us: us(r.ru_utime),
        system_us: us(r.ru_stime),
        max_rss_kib: r.ru_maxrss.max(0) as u64,
    }
}

/// `wait4(pid, flags)`: `Ok(None)` when WNOHANG finds nothing yet.
pub fn wait4(pid: libc::pid_t, flags: i32) -> SysResult<Option<(libc::pid_t, i32, ChildUsage)>> {
    let mut status = 0;
    // SAFETY: rusage is plain old data; zeroed is a valid value.
    let mut rusage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: status and rusage are valid for writes for the duration of the call.
        let ret = unsafe { libc::wait4(pid, &mut status, flags, &mut rusage) };
        match ret {
            -1 if last_errno() == libc::EINTR => continue,
            -1 => return fail("wait4", format!("{pid}, {flags:#x}")),
            0 => return Ok(None),
            p => return Ok(Some((p, status, usage_of(&rusage)))),
        }
    }
}

/// Resource use of all waited-for children of this process.
pub fn children_usage() -> ChildUsage {
    // SAFETY: rusage is plain old data; zeroed is a valid value.
    let mut rusage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: rusage is valid for writes.
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut rusage) };
    usage_of(&rusage)
}

pub fn kill(pid: libc::pid_t, signal: i32) -> SysResult<()> {
    // SAFETY: kill has no memory effects.
    check(unsafe { libc::kill(pid, signal) } as _, "kill", || {
        format!("{pid}, {signal}")
    })?;
    Ok(())
}

/// `pidfd_open(pid, 0)`: a handle on the process that has `pid` now.
pub fn pidfd_open(pid: libc::pid_t) -> SysResult<OwnedFd> {
    // SAFETY: pidfd_open takes integers only and returns a new fd or -1.
    let ret = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    check(ret, "pidfd_open", || format!("{pid}, 0"))?;
    // SAFETY: the fd was just returned by the kernel and is owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(ret as RawFd) })
}

/// Sends a signal through a pidfd (no pid reuse race).
pub fn pidfd_send_signal(pidfd: &OwnedFd, signal: i32) -> SysResult<()> {
    // SAFETY: the fd is a valid pidfd owned by the caller; the siginfo pointer may be null.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_pidfd_send_signal,
            pidfd.as_raw_fd(),
            signal,
            std::ptr::null::<libc::siginfo_t>(),
            0,
        )
    };
    check(ret, "pidfd_send_signal", || {
        format!("{}, {signal}", pidfd.as_raw_fd())
    })?;
    Ok(())
}

pub fn getpid() -> libc::pid_t {
    // SAFETY: getpid has no memory effects.
    unsafe { libc::getpid() }
}

pub fn geteuid() -> u32 {
    // SAFETY: geteuid has no memory effects.
    unsafe { libc::geteuid() }
}

pub fn getegid() -> u32 {
    // SAFETY: getegid has no memory effects.
    unsafe { libc::getegid() }
}

pub fn setsid() -> SysResult<()> {
    // SAFETY: setsid has no memory effects.
    check(unsafe { libc::setsid() } as _, "setsid", String::new)?;
    Ok(())
}

/// Blocks `signals` for this (single-threaded) process and returns a signalfd that becomes
/// readable when one of them arrives (signalfd(2)). A child's signal mask is reset before
/// it execs anything of the user's.
pub fn signalfd_for(signals: &[i32]) -> SysResult<OwnedFd> {
    // SAFETY: the set is initialised by sigemptyset before use and outlives the calls.
    let fd = unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for &signal in signals {
            libc::sigaddset(&mut set, signal);
        }
        libc::sigprocmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        libc::signalfd(-1, &set, libc::SFD_CLOEXEC | libc::SFD_NONBLOCK)
    };
    if fd == -1 {
        return fail("signalfd", format!("{signals:?}"));
    }
    // SAFETY: signalfd returned a new fd that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Restores the default action of a signal (a forked child must not inherit ignores).
pub fn default_signal(signal: i32) {
    // SAFETY: SIG_DFL is a valid disposition for any catchable signal.
    unsafe { libc::signal(signal, libc::SIG_DFL) };
}

pub fn ignore_signal(signal: i32) {
    // SAFETY: SIG_IGN is a valid disposition for any catchable signal.
    unsafe { libc::signal(signal, libc::SIG_IGN) };
}

/// Unblocks every signal (a forked child must not inherit a blocked mask).
pub fn unblock_all_signals() {
    // SAFETY: the set is initialised by sigemptyset before use.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigprocmask(libc::SIG_SETMASK, &set, std::ptr::null_mut());
    }
}

// ---------------------------------------------------------------------------------------
// prctl, ids, capabilities, rlimits

fn prctl(option: i32, arg: libc::c_ulong, name: &str) -> SysResult<()> {
    // SAFETY: the options used here take integer arguments only.
    let ret = unsafe { libc::prctl(option, arg, 0, 0, 0) };
    check(ret as _, "prctl", || format!("{name}, {arg}"))?;
    Ok(())
}

pub fn set_parent_death_signal(signal: i32) -> SysResult<()> {
    prctl(libc::PR_SET_PDEATHSIG, signal as _, "PR_SET_PDEATHSIG")
}

pub fn set_dumpable(dumpable: bool) -> SysResult<()> {
    prctl(libc::PR_SET_DUMPABLE, dumpable as _, "PR_SET_DUMPABLE")
}

pub fn set_keep_caps(keep: bool) -> SysResult<()> {
    prctl(libc::PR_SET_KEEPCAPS, keep as _, "PR_SET_KEEPCAPS")
}

pub fn set_no_new_privs() -> SysResult<()> {
    // SAFETY: integer arguments only.
    let ret = unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) };
    check(ret as _, "prctl", || "PR_SET_NO_NEW_PRIVS, 1".into())?;
    Ok(())
}

/// Locks the securebits so that no later execve or setuid can give capabilities back.
pub fn lock_securebits() -> SysResult<()> {
    // SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
    // SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE |
    // SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED (capabilities(7)).
    let bits: libc::c_ulong = 0x01 | 0x02 | 0x04 | 0x08 | 0x20 | 0x40 | 0x80;
    prctl(libc::PR_SET_SECUREBITS, bits, "PR_SET_SECUREBITS")
}

/// The highest capability number this kernel knows.
pub fn last_capability() -> u32 {
    std::fs::read_to_string("/proc/sys/kernel/cap_last_cap")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(40)
}

/// Empties the bounding and ambient sets.
pub fn drop_bounding_and_ambient(last_cap: u32) -> SysResult<()> {
    for cap in 0..=last_cap {
        // SAFETY: integer arguments only.
        let ret = unsafe { libc::prctl(libc::PR_CAPBSET_DROP, cap as libc::c_ulong, 0, 0, 0) };
        if ret == -1 && last_errno() != libc::EINVAL {
            return fail("prctl", format!("PR_CAPBSET_DROP, {cap}"));
        }
    }
    // SAFETY: integer arguments only.
    let ret = unsafe {
        libc::prctl(
            libc::PR_CAP_AMBIENT,
            libc::PR_CAP_AMBIENT_CLEAR_ALL as libc::c_ulong,
            0,
            0,
            0,
        )
    };
    check(ret as _, "prctl", || {
        "PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL".into()
    })?;
    Ok(())
}

#[repr(C)]
struct CapHeader {
    version: u32,
    pid: i32,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

const LINUX_CAPABILITY_VERSION_3: u32 = 0x2008_0522;

/// Sets the effective, permitted and inheritable sets: all to `permitted` bits, or empty.
fn capset(effective: [u32; 2], permitted: [u32; 2]) -> SysResult<()> {
    let header = CapHeader {
        version: LINUX_CAPABILITY_VERSION_3,
        pid: 0,
    };
    let data = [
        CapData {
            effective: effective[0],
            permitted: permitted[0],
            inheritable: 0,
        },
        CapData {
            effective: effective[1],
            permitted: permitted[1],
            inheritable: 0,
        },
    ];
    // SAFETY: header and two data structs of the v3 layout are valid for reads.
    let ret = unsafe { libc::syscall(libc::SYS_capset, &header, data.as_ptr()) };
    check(ret, "capset", || {
        format!("effective={effective:x?}, permitted={permitted:x?}")
    })?;
    Ok(())
}

fn capget() -> SysResult<([u32; 2], [u32; 2])> {
    let mut header = CapHeader {
        version: LINUX_CAPABILITY_VERSION_3,
        pid: 0,
    };
    let mut data = [CapData::default(); 2];
    // SAFETY: header and two data structs of the v3 layout are valid for writes.
    let ret = unsafe { libc::syscall(libc::SYS_capget, &mut header, data.as_mut_ptr()) };
    check(ret, "capget", String::new)?;
    Ok((
        [data[0].effective, data[1].effective],
        [data[0].permitted, data[1].permitted],
    ))
}

/// Makes every permitted capability effective again (after a uid change with KEEPCAPS).
pub fn raise_effective_to_permitted() -> SysResult<()> {
    let (_, permitted) = capget()?;
    capset(permitted, permitted)
}

/// Empties the effective, permitted and inheritable sets.
pub fn clear_capabilities() -> SysResult<()> {
    capset([0, 0], [0, 0])
}

pub fn setgroups_empty() -> SysResult<()> {
    // SAFETY: a zero-length list with a null pointer is valid.
    let ret = unsafe { libc::setgroups(0, std::ptr::null()) };
    check(ret as _, "setgroups", || "0, []".into())?;
    Ok(())
}

pub fn setresgid(gid: u32) -> SysResult<()> {
    // SAFETY: integer arguments only.
    let ret = unsafe { libc::setresgid(gid, gid, gid) };
    check(ret as _, "setresgid", || format!("{gid}, {gid}, {gid}"))?;
    Ok(())
}

pub fn setresuid(uid: u32) -> SysResult<()> {
    // SAFETY: integer arguments only.
    let ret = unsafe { libc::setresuid(uid, uid, uid) };
    check(ret as _, "setresuid", || format!("{uid}, {uid}, {uid}"))?;
    Ok(())
}

pub fn setrlimit(resource: i32, name: &str, soft: u64, hard: u64) -> SysResult<()> {
    let limit = libc::rlimit {
        rlim_cur: soft,
        rlim_max: hard,
    };
    // SAFETY: limit is a valid rlimit struct. The resource is one of libc's constants.
    let ret = unsafe { libc::setrlimit(resource as _, &limit) };
    check(ret as _, "setrlimit", || format!("{name}, {soft}, {hard}"))?;
    Ok(())
}

pub fn getrlimit(resource: i32) -> (u64, u64) {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: limit is valid for writes.
    unsafe { libc::getrlimit(resource as _, &mut limit) };
    (limit.rlim_cur, limit.rlim_max)
}

pub fn sethostname(name: &str) -> SysResult<()> {
    // SAFETY: the pointer and length describe `name`'s bytes.
    let ret = unsafe { libc::sethostname(name.as_ptr().cast(), name.len()) };
    check(ret as _, "sethostname", || format!("{name:?}"))?;
    Ok(())
}

pub fn unshare(flags: i32, name: &str) -> SysResult<()> {
    // SAFETY: integer argument only.
    check(unsafe { libc::unshare(flags) } as _, "unshare", || {
        name.to_string()
    })?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Mounts and files

/// `mount(2)` with readable arguments in the error.
pub fn mount(
    source: &str,
    target: &std::path::Path,
    fstype: Option<&str>,
    flags: libc::c_ulong,
    data: Option<&str>,
) -> SysResult<()> {
    let c_source = cstr(source);
    let c_target = cpath(target);
    let c_fstype = fstype.map(cstr);
    let c_data = data.map(cstr);
    // SAFETY: every pointer is a valid NUL-terminated string or null, alive for the call.
    let ret = unsafe {
        libc::mount(
            c_source.as_ptr(),
            c_target.as_ptr(),
            c_fstype.as_ref().map_or(std::ptr::null(), |s| s.as_ptr()),
            flags,
            c_data
                .as_ref()
                .map_or(std::ptr::null(), |s| s.as_ptr().cast()),
        )
    };
    check(ret as _, "mount", || {
        format!(
            "{source:?}, {:?}, {:?}, {flags:#x}, {:?}",
            target.display().to_string(),
            fstype.unwrap_or("NULL"),
            data.unwrap_or("NULL")
        )
    })?;
    Ok(())
}

pub const MOUNT_ATTR_RDONLY: u64 = 0x1;
pub const MOUNT_ATTR_NOSUID: u64 = 0x2;
pub const MOUNT_ATTR_NODEV: u64 = 0x4;
pub const MOUNT_ATTR_NOEXEC: u64 = 0x8;

#[repr(C)]
struct MountAttr {
    attr_set: u64,
    attr_clr: u64,
    propagation: u64,
    userns_fd: u64,
}

/// `mount_setattr(AT_FDCWD, path, AT_RECURSIVE?, {attr_set})`: makes a mount and, with
/// `recursive`, every mount below it read-only etc. in one call (docs/SECURITY.md 2.2).
pub fn mount_setattr(path: &std::path::Path, recursive: bool, attr_set: u64) -> SysResult<()> {
    let c_path = cpath(path);
    let attr = MountAttr {
        attr_set,
        attr_clr: 0,
        propagation: 0,
        userns_fd: 0,
    };
    let flags = if recursive { libc::AT_RECURSIVE } else { 0 };
    // SAFETY: the path is NUL-terminated and attr is a valid mount_attr of the given size.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_mount_setattr,
            libc::AT_FDCWD,
            c_path.as_ptr(),
            flags,
            &attr as *const MountAttr,
            std::mem::size_of::<MountAttr>(),
        )
    };
    check(ret, "mount_setattr", || {
        format!(
            "{:?}, recursive={recursive}, set={attr_set:#x}",
            path.display().to_string()
        )
    })?;
    Ok(())
}

pub fn umount_detach(target: &std::path::Path) -> SysResult<()> {
    let c = cpath(target);
    // SAFETY: the path is NUL-terminated.
    let ret = unsafe { libc::umount2(c.as_ptr(), libc::MNT_DETACH) };
    check(ret as _, "umount2", || {
        format!("{:?}, MNT_DETACH", target.display().to_string())
    })?;
    Ok(())
}

/// `pivot_root(".", ".")`: the new root is the current directory and the old one is
/// stacked on top of it, to be detached at once (pivot_root(2), "new_root and put_old may
/// be the same directory").
pub fn pivot_root_here() -> SysResult<()> {
    let dot = cstr(".");
    // SAFETY: both arguments are the same NUL-terminated string.
    let ret = unsafe { libc::syscall(libc::SYS_pivot_root, dot.as_ptr(), dot.as_ptr()) };
    check(ret, "pivot_root", || "\".\", \".\"".into())?;
    Ok(())
}

pub fn chdir(path: &std::path::Path) -> SysResult<()> {
    let c = cpath(path);
    // SAFETY: the path is NUL-terminated.
    check(unsafe { libc::chdir(c.as_ptr()) } as _, "chdir", || {
        format!("{:?}", path.display().to_string())
    })?;
    Ok(())
}

pub fn mkdir(path: &std::path::Path, mode: u32) -> SysResult<()> {
    let c = cpath(path);
    // SAFETY: the path is NUL-terminated.
    let ret = unsafe { libc::mkdir(c.as_ptr(), mode) };
    if ret == -1 && last_errno() != libc::EEXIST {
        return fail(
            "mkdir",
            format!("{:?}, {mode:o}", path.display().to_string()),
        );
    }
    Ok(())
}

pub fn symlink(target: &std::path::Path, link: &std::path::Path) -> SysResult<()> {
    let (t, l) = (cpath(target), cpath(link));
    // SAFETY: both paths are NUL-terminated.
    let ret = unsafe { libc::symlink(t.as_ptr(), l.as_ptr()) };
    check(ret as _, "symlink", || {
        format!(
            "{:?}, {:?}",
            target.display().to_string(),
            link.display().to_string()
        )
    })?;
    Ok(())
}

/// Creates `path` as a new file (never through a symlink) with `content` and `mode`.
pub fn write_new_file(path: &std::path::Path, content: &[u8], mode: u32) -> SysResult<()> {
    let c = cpath(path);
    let name = || path.display().to_string();
    // SAFETY: the path is NUL-terminated.
    let fd = unsafe {
        libc::open(
            c.as_ptr(),
            libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW | libc::O_CLOEXEC,
            mode,
        )
    };
    if fd == -1 {
        return fail(
            "open",
            format!("{:?}, O_CREAT|O_EXCL|O_NOFOLLOW, {mode:o}", name()),
        );
    }
    // SAFETY: open returned a new fd that nothing else owns.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    write_all(&fd, content).map_err(|mut e| {
        e.args = format!("{:?}: {}", name(), e.args);
        e
    })?;
    // SAFETY: the fd is valid; fchmod sets the mode past the umask.
    let ret = unsafe { libc::fchmod(fd.as_raw_fd(), mode) };
    check(ret as _, "fchmod", || format!("{:?}, {mode:o}", name()))?;
    Ok(())
}

/// Device numbers of a path (stat without following symlinks): (mode, rdev major, minor).
pub fn stat_device(path: &std::path::Path) -> SysResult<(u32, u32, u32)> {
    let c = cpath(path);
    // SAFETY: stat is plain old data; zeroed is valid; the path is NUL-terminated.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: as above; st is valid for writes.
    let ret = unsafe { libc::lstat(c.as_ptr(), &mut st) };
    check(ret as _, "lstat", || {
        format!("{:?}", path.display().to_string())
    })?;
    Ok((st.st_mode, libc::major(st.st_rdev), libc::minor(st.st_rdev)))
}

#[repr(C)]
struct OpenHow {
    flags: u64,
    mode: u64,
    resolve: u64,
}

const RESOLVE_NO_XDEV: u64 = 0x01;
const RESOLVE_NO_MAGICLINKS: u64 = 0x02;
const RESOLVE_NO_SYMLINKS: u64 = 0x04;
const RESOLVE_BENEATH: u64 = 0x08;

/// Opens `relative` below the directory `dir` for reading with `openat2(RESOLVE_BENEATH |
/// RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV)`: no link is followed and
/// nothing outside `dir` can be reached (docs/SECURITY.md, "host code following sandbox-made
/// links").
pub fn open_beneath(dir: RawFd, relative: &str, directory: bool) -> SysResult<OwnedFd> {
    let mut flags = libc::O_RDONLY | libc::O_CLOEXEC | libc::O_NOFOLLOW;
    if directory {
        flags |= libc::O_DIRECTORY;
    }
    openat2_beneath(dir, relative, flags)
}

/// The same resolution as [`open_beneath`], as an `O_PATH` handle: nothing of the file is
/// opened (a FIFO does not block, a device is not touched) until its type is known.
pub fn open_path_beneath(dir: RawFd, relative: &str) -> SysResult<OwnedFd> {
    openat2_beneath(
        dir,
        relative,
        libc::O_PATH | libc::O_CLOEXEC | libc::O_NOFOLLOW,
    )
}

/// Opens the very file an `O_PATH` handle refers to for reading, without blocking (through
/// its `/proc/self/fd` link, so no path is resolved again).
pub fn reopen_for_reading(handle: &OwnedFd) -> SysResult<OwnedFd> {
    let path = format!("/proc/self/fd/{}", handle.as_raw_fd());
    let c = cstr(&path);
    // SAFETY: the path is NUL-terminated; open returns a new fd or -1.
    let fd = unsafe {
        libc::open(
            c.as_ptr(),
            libc::O_RDONLY | libc::O_CLOEXEC | libc::O_NONBLOCK | libc::O_NOCTTY,
        )
    };
    check(fd as _, "open", || format!("{path:?}, O_RDONLY|O_NONBLOCK"))?;
    // SAFETY: open returned a new fd that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn openat2_beneath(dir: RawFd, relative: &str, flags: i32) -> SysResult<OwnedFd> {
    let c = cstr(relative);
    let flags = flags as u64;
    let how = OpenHow {
        flags,
        mode: 0,
        resolve: RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
    };
    // SAFETY: the path is NUL-terminated and `how` is a valid open_how of the given size.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_openat2,
            dir,
            c.as_ptr(),
            &how as *const OpenHow,
            std::mem::size_of::<OpenHow>(),
        )
    };
    let fd = check(ret, "openat2", || {
        format!("{dir}, {relative:?}, RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS|RESOLVE_NO_MAGICLINKS|RESOLVE_NO_XDEV")
    })?;
    // SAFETY: openat2 returned a new fd that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}

/// Kind and size of an open file.
pub fn fstat_kind(fd: &OwnedFd) -> SysResult<(u32, u64)> {
    // SAFETY: stat is plain old data; zeroed is valid.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: the fd is valid and st is valid for writes.
    let ret = unsafe { libc::fstat(fd.as_raw_fd(), &mut st) };
    check(ret as _, "fstat", || fd.as_raw_fd().to_string())?;
    Ok((st.st_mode & libc::S_IFMT, st.st_size as u64))
}

/// Entry names of an open directory (`.` and `..` left out), with whether each is a
/// directory, a regular file or something else (d_type).
pub fn read_dir_fd(dir: &OwnedFd) -> SysResult<Vec<(String, u8)>> {
    // fdopendir takes ownership of the fd it is given, so give it a duplicate.
    let dup = dup_cloexec(dir.as_raw_fd())?;
    // SAFETY: dup is a valid directory fd that fdopendir now owns.
    let stream = unsafe { libc::fdopendir(dup.as_raw_fd()) };
    if stream.is_null() {
        return fail("fdopendir", dir.as_raw_fd().to_string());
    }
    std::mem::forget(dup);
    let mut entries = Vec::new();
    loop {
        // SAFETY: stream is a valid DIR*; readdir returns null at the end.
        let entry = unsafe { libc::readdir(stream) };
        if entry.is_null() {
            break;
        }
        // SAFETY: a non-null dirent from readdir has a NUL-terminated d_name.
        let (name, kind) = unsafe {
            (
                CStr::from_ptr((*entry).d_name.as_ptr())
                    .to_string_lossy()
                    .into_owned(),
                (*entry).d_type,
            )
        };
        if name != "." && name != ".." {
            entries.push((name, kind));
        }
    }
    // SAFETY: stream is valid and closed once.
    unsafe { libc::closedir(stream) };
    Ok(entries)
}

pub const DT_DIR: u8 = libc::DT_DIR;
pub const DT_REG: u8 = libc::DT_REG;

/// Opens a directory as an `O_PATH` handle: a reference that a later bind mount can use as
/// its source through `/proc/self/fd/N`, whatever the caller's credentials are by then.
pub fn open_path_dir(path: &std::path::Path) -> SysResult<OwnedFd> {
    let c = cpath(path);
    // SAFETY: the path is NUL-terminated.
    let fd = unsafe {
        libc::open(
            c.as_ptr(),
            libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC | libc::O_NOFOLLOW,
        )
    };
    if fd == -1 {
        return fail(
            "open",
            format!(
                "{:?}, O_PATH|O_DIRECTORY|O_NOFOLLOW",
                path.display().to_string()
            ),
        );
    }
    // SAFETY: open returned a new fd that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

pub fn open_dir(path: &std::path::Path) -> SysResult<OwnedFd> {
    let c = cpath(path);
    // SAFETY: the path is NUL-terminated.
    let fd = unsafe {
        libc::open(
            c.as_ptr(),
            libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
        )
    };
    if fd == -1 {
        return fail(
            "open",
            format!("{:?}, O_DIRECTORY", path.display().to_string()),
        );
    }
    // SAFETY: open returned a new fd that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

// ---------------------------------------------------------------------------------------
// File descriptors, pipes, poll

/// A pipe with both ends close-on-exec: (read, write).
pub fn pipe() -> SysResult<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: fds is valid for two ints.
    let ret = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) };
    check(ret as _, "pipe2", || "O_CLOEXEC".into())?;
    // SAFETY: pipe2 returned two new fds that nothing else owns.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

pub fn set_nonblocking(fd: RawFd) -> SysResult<()> {
    // SAFETY: fcntl on a caller-owned fd with integer arguments.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    check(flags as _, "fcntl", || format!("{fd}, F_GETFL"))?;
    // SAFETY: as above.
    let ret = unsafe { libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) };
    check(ret as _, "fcntl", || format!("{fd}, F_SETFL, O_NONBLOCK"))?;
    Ok(())
}

/// Grows a pipe's buffer (fewer wake-ups when a program writes a lot).
pub fn set_pipe_size(fd: RawFd, bytes: i32) {
    // SAFETY: fcntl on a caller-owned fd with integer arguments; failure is harmless.
    unsafe { libc::fcntl(fd, libc::F_SETPIPE_SZ, bytes) };
}

pub fn dup_cloexec(fd: RawFd) -> SysResult<OwnedFd> {
    // SAFETY: fcntl on a caller-owned fd with integer arguments.
    let new = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 0) };
    check(new as _, "fcntl", || format!("{fd}, F_DUPFD_CLOEXEC"))?;
    // SAFETY: a new fd that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(new) })
}

/// `dup2(from, to)`: the new `to` is not close-on-exec.
pub fn dup2(from: RawFd, to: RawFd) -> SysResult<()> {
    // SAFETY: dup2 on fds the caller owns; `to` is replaced atomically.
    check(unsafe { libc::dup2(from, to) } as _, "dup2", || {
        format!("{from}, {to}")
    })?;
    Ok(())
}

/// `dup3(from, to, O_CLOEXEC)`: `to` becomes a close-on-exec copy of `from`.
pub fn dup3_cloexec(from: RawFd, to: RawFd) -> SysResult<()> {
    // SAFETY: dup3 on fds the caller owns; `to` is replaced atomically.
    let ret = unsafe { libc::dup3(from, to, libc::O_CLOEXEC) };
    check(ret as _, "dup3", || format!("{from}, {to}, O_CLOEXEC"))?;
    Ok(())
}

/// Closes every fd from `first` up (close_range(2), Linux 5.9).
pub fn close_from(first: u32) -> SysResult<()> {
    // SAFETY: integer arguments; the caller does not use the closed fds afterwards.
    let ret = unsafe { libc::syscall(libc::SYS_close_range, first, u32::MAX, 0) };
    check(ret, "close_range", || format!("{first}, ~0, 0"))?;
    Ok(())
}

/// Reads what is there: `Ok(0)` at end of file, `Err(EAGAIN)` when nothing is ready.
pub fn read(fd: RawFd, buf: &mut [u8]) -> SysResult<usize> {
    loop {
        // SAFETY: buf is valid for writes of its length.
        let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
        if n == -1 && last_errno() == libc::EINTR {
            continue;
        }
        return check(n as _, "read", || fd.to_string()).map(|n| n as usize);
    }
}

/// Writes what fits: `Err(EAGAIN)` when a non-blocking pipe is full.
pub fn write(fd: RawFd, buf: &[u8]) -> SysResult<usize> {
    loop {
        // SAFETY: buf is valid for reads of its length.
        let n = unsafe { libc::write(fd, buf.as_ptr().cast(), buf.len()) };
        if n == -1 && last_errno() == libc::EINTR {
            continue;
        }
        return check(n as _, "write", || format!("{fd}, {} bytes", buf.len())).map(|n| n as usize);
    }
}

/// Fills `buf` from a blocking fd; `Ok(false)` when end of file comes first.
pub fn read_exact(fd: &impl AsRawFd, buf: &mut [u8]) -> SysResult<bool> {
    let mut filled = 0;
    while filled < buf.len() {
        match read(fd.as_raw_fd(), &mut buf[filled..]) {
            Ok(0) => return Ok(false),
            Ok(n) => filled += n,
            Err(e) if e.errno == libc::EINTR => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}

pub fn write_all(fd: &impl AsRawFd, mut buf: &[u8]) -> SysResult<()> {
    while !buf.is_empty() {
        let n = write(fd.as_raw_fd(), buf)?;
        buf = &buf[n..];
    }
    Ok(())
}

/// Reads until end of file (blocking).
pub fn read_to_end(fd: &impl AsRawFd, out: &mut Vec<u8>) -> SysResult<()> {
    let mut buf = [0u8; 16 * 1024];
    loop {
        match read(fd.as_raw_fd(), &mut buf)? {
            0 => return Ok(()),
            n => out.extend_from_slice(&buf[..n]),
        }
    }
}

pub const POLLIN: i16 = libc::POLLIN;
pub const POLLOUT: i16 = libc::POLLOUT;
pub const POLLHUP: i16 = libc::POLLHUP;
pub const POLLERR: i16 = libc::POLLERR;

/// `poll(fds, timeout)`; returns the revents in the same order. EINTR counts as a timeout.
pub fn poll(fds: &[(RawFd, i16)], timeout_ms: i32) -> SysResult<Vec<i16>> {
    let mut pfds: Vec<libc::pollfd> = fds
        .iter()
        .map(|&(fd, events)| libc::pollfd {
            fd,
            events,
            revents: 0,
        })
        .collect();
    // SAFETY: pfds is a valid array of pollfd of the given length.
    let ret = unsafe { libc::poll(pfds.as_mut_ptr(), pfds.len() as _, timeout_ms) };
    if ret == -1 && last_errno() != libc::EINTR {
        return fail("poll", format!("{} fds, {timeout_ms} ms", fds.len()));
    }
    Ok(pfds.iter().map(|p| p.revents).collect())
}

// ---------------------------------------------------------------------------------------
// exec

/// `execve(path, argv, envp)`; returns only on failure.
pub fn execve(path: &CStr, argv: &[CString], envp: &[CString]) -> SysError {
    let mut argv_ptrs: Vec<*const libc::c_char> = argv.iter().map(|a| a.as_ptr()).collect();
    argv_ptrs.push(std::ptr::null());
    let mut envp_ptrs: Vec<*const libc::c_char> = envp.iter().map(|e| e.as_ptr()).collect();
    envp_ptrs.push(std::ptr::null());
    // SAFETY: path, argv and envp are NUL-terminated strings in null-terminated arrays that
    // stay alive for the call.
    unsafe { libc::execve(path.as_ptr(), argv_ptrs.as_ptr(), envp_ptrs.as_ptr()) };
    SysError {
        call: "execve".into(),
        args: format!("{:?}", path.to_string_lossy()),
        errno: last_errno(),
    }
}

/// Brings the loopback interface of this network namespace up (`SIOCSIFFLAGS` with
/// `IFF_UP | IFF_RUNNING` on `lo`, netdevice(7)); a new network namespace starts with it
/// down.
pub fn bring_loopback_up() -> SysResult<()> {
    // SAFETY: socket has no memory effects.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    if fd == -1 {
        return fail("socket", "AF_INET, SOCK_DGRAM".into());
    }
    // SAFETY: socket returned a new fd that nothing else owns.
    let socket = unsafe { OwnedFd::from_raw_fd(fd) };
    // SAFETY: ifreq is plain old data; zeroed is valid before the fields are set.
    let mut request: libc::ifreq = unsafe { std::mem::zeroed() };
    for (dst, src) in request.ifr_name.iter_mut().zip(b"lo\0") {
        *dst = *src as libc::c_char;
    }
    request.ifr_ifru.ifru_flags = (libc::IFF_UP | libc::IFF_RUNNING) as libc::c_short;
    // SAFETY: the socket is valid and `request` is a valid ifreq for SIOCSIFFLAGS.
    let ret = unsafe { libc::ioctl(socket.as_raw_fd(), libc::SIOCSIFFLAGS, &request) };
    check(ret as _, "ioctl", || {
        "SIOCSIFFLAGS, lo, IFF_UP|IFF_RUNNING".into()
    })?;
    Ok(())
}

/// Whether this process may create entries in the directory `path` (access(2) `W_OK`:
/// permission bits, ownership and read-only mounts, without changing anything).
pub fn can_write(path: &std::path::Path) -> bool {
    let c = cpath(path);
    // SAFETY: the path is NUL-terminated.
    unsafe { libc::access(c.as_ptr(), libc::W_OK) == 0 }
}

/// Whether `path` is an executable regular file for the current credentials.
pub fn is_executable(path: &CStr) -> bool {
    // SAFETY: the path is NUL-terminated.
    unsafe { libc::access(path.as_ptr(), libc::X_OK) == 0 }
}

/// Installs a compiled seccomp BPF program on the calling thread (no TSYNC: the caller is
/// single-threaded). The caller sets no_new_privs first (the jail does it as its own step).
pub fn install_seccomp(program: &[crate::jail::seccomp::Instruction]) -> SysResult<()> {
    let fprog = libc::sock_fprog {
        len: program.len() as u16,
        filter: program.as_ptr() as *mut libc::sock_filter,
    };
    // SAFETY: `Instruction` is `#[repr(C)]` with the layout of `struct sock_filter`; the
    // kernel copies the program during the call and `fprog` outlives it.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            libc::SECCOMP_SET_MODE_FILTER,
            0,
            &fprog as *const libc::sock_fprog,
        )
    };
    check(ret, "seccomp", || {
        format!("SECCOMP_SET_MODE_FILTER, 0, {} instructions", program.len())
    })?;
    Ok(())
}

/// Makes a raw system call with integer arguments and returns the result or the errno.
/// Used by `localeval __probe-syscall` to check the seccomp profile rule by rule.
pub fn raw_syscall(nr: i64, args: [u64; 6]) -> Result<i64, i32> {
    // SAFETY: the probe passes integer arguments only. A pointer argument given as an
    // integer may make the kernel return EFAULT, which is an answer, not memory unsafety:
    // the kernel validates user pointers.
    let ret = unsafe { libc::syscall(nr, args[0], args[1], args[2], args[3], args[4], args[5]) };
    if ret == -1 {
        Err(last_errno())
    } else {
        Ok(ret)
    }
}

// ---------------------------------------------------------------------------------------
// The launcher's socket: passing one fd per run

/// A connected pair of unix stream sockets, both close-on-exec.
pub fn socketpair() -> SysResult<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: fds is valid for two ints.
    let ret = unsafe {
        libc::socketpair(
            libc::AF_UNIX,
            libc::SOCK_STREAM | libc::SOCK_CLOEXEC,
            0,
            fds.as_mut_ptr(),
        )
    };
    check(ret as _, "socketpair", || {
        "AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC".into()
    })?;
    // SAFETY: socketpair returned two new fds that nothing else owns.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

const CMSG_SPACE_ONE_FD: usize = 24; // CMSG_SPACE(sizeof(int)) on 64-bit Linux

/// In a freshly forked child: moves `fd` to 3 and closes every fd above it, so that nothing
/// the parent held open (other children's sockets) stays open here. Handles the parent
/// kept for other fds must not be dropped in the child.
pub fn keep_only(fd: OwnedFd) -> SysResult<OwnedFd> {
    let raw = fd.into_raw_fd();
    if raw != 3 {
        dup3_cloexec(raw, 3)?;
        // SAFETY: `raw` came from an OwnedFd given up above; it is closed exactly once.
        unsafe { libc::close(raw) };
    }
    close_from(4)?;
    // SAFETY: fd 3 now holds the socket, and nothing else owns that number.
    Ok(unsafe { OwnedFd::from_raw_fd(3) })
}

/// Sends one byte and one fd over a unix socket (SCM_RIGHTS).
pub fn send_fd(socket: &OwnedFd, fd: RawFd) -> SysResult<()> {
    let mut byte = [1u8];
    let mut iov = libc::iovec {
        iov_base: byte.as_mut_ptr().cast(),
        iov_len: 1,
    };
    let mut control = [0u8; CMSG_SPACE_ONE_FD];
    // SAFETY: msghdr is plain old data; zeroed is valid before the fields are set.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    msg.msg_controllen = control.len();
    // SAFETY: msg points at a control buffer large enough for one fd; CMSG_FIRSTHDR is
    // non-null for it, and CMSG_DATA has room for one int.
    let ret = unsafe {
        let cmsg = libc::CMSG_FIRSTHDR(&msg);
        (*cmsg).cmsg_level = libc::SOL_SOCKET;
        (*cmsg).cmsg_type = libc::SCM_RIGHTS;
        (*cmsg).cmsg_len = libc::CMSG_LEN(std::mem::size_of::<RawFd>() as u32) as usize;
        std::ptr::write_unaligned(libc::CMSG_DATA(cmsg).cast::<RawFd>(), fd);
        libc::sendmsg(socket.as_raw_fd(), &msg, libc::MSG_NOSIGNAL)
    };
    check(ret as _, "sendmsg", || {
        format!("{}, SCM_RIGHTS [{fd}]", socket.as_raw_fd())
    })?;
    Ok(())
}

/// Receives one fd sent by [`send_fd`]; `Ok(None)` when the other end has closed.
pub fn recv_fd(socket: &OwnedFd) -> SysResult<Option<OwnedFd>> {
    let mut byte = [0u8];
    let mut iov = libc::iovec {
        iov_base: byte.as_mut_ptr().cast(),
        iov_len: 1,
    };
    let mut control = [0u8; CMSG_SPACE_ONE_FD];
    // SAFETY: msghdr is plain old data; zeroed is valid before the fields are set.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    msg.msg_controllen = control.len();
    loop {
        // SAFETY: msg describes valid buffers; MSG_CMSG_CLOEXEC marks the received fd.
        let n = unsafe { libc::recvmsg(socket.as_raw_fd(), &mut msg, libc::MSG_CMSG_CLOEXEC) };
        if n == -1 && last_errno() == libc::EINTR {
            continue;
        }
        check(n as _, "recvmsg", || socket.as_raw_fd().to_string())?;
        if n == 0 {
            return Ok(None);
        }
        break;
    }
    // SAFETY: the kernel filled msg; CMSG_FIRSTHDR returns null when there is no control
    // message, and a SCM_RIGHTS message with one fd holds one int at CMSG_DATA.
    unsafe {
        let cmsg = libc::CMSG_FIRSTHDR(&msg);
        if cmsg.is_null()
            || (*cmsg).cmsg_level != libc::SOL_SOCKET
            || (*cmsg).cmsg_type != libc::SCM_RIGHTS
        {
            return Err(SysError {
                call: "recvmsg".into(),
                args: "expected one SCM_RIGHTS fd".into(),
                errno: libc::EINVAL,
            });
        }
        let fd = std::ptr::read_unaligned(libc::CMSG_DATA(cmsg).cast::<RawFd>());
        Ok(Some(OwnedFd::from_raw_fd(fd)))
    }
}

/// `shutdown(fd, SHUT_RDWR)`: wakes every reader and writer of a socket.
pub fn shutdown_socket(fd: &OwnedFd) {
    // SAFETY: shutdown on a caller-owned socket fd; failure is harmless.
    unsafe { libc::shutdown(fd.as_raw_fd(), libc::SHUT_RDWR) };
}

/// An exclusive, non-blocking `flock` on an open file; released when the fd closes.
pub fn try_flock(fd: &OwnedFd) -> SysResult<bool> {
    // SAFETY: flock on a caller-owned fd with integer arguments.
    let ret = unsafe { libc::flock(fd.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if ret == -1 {
        if last_errno() == libc::EWOULDBLOCK {
            return Ok(false);
        }
        return fail("flock", format!("{}, LOCK_EX|LOCK_NB", fd.as_raw_fd()));
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_call_the_arguments_and_the_errno() {
        let err = mkdir(std::path::Path::new("/nonexistent-dir/x"), 0o755).unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("mkdir(\"/nonexistent-dir/x\", 755) => ENOENT"),
            "{text}"
        );
    }

    #[test]
    fn clone_refuses_a_multithreaded_process() {
        let _t = std::thread::spawn(|| std::thread::sleep(std::time::Duration::from_secs(1)));
        match clone_process(0, None) {
            Err(e) => assert!(e.args.contains("single-threaded"), "{e}"),
            Ok(_) => panic!("clone from a multithreaded test process must be refused"),
        }
    }
}
