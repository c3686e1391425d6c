//! cgroups: a driver for v2, one for v1 (hybrid and legacy hosts), and the rlimit fallback
//! where neither can be had. Chosen once at startup; reported in every result.
//!
//! Sandbox cgroups are always created inside the cgroup this process runs in (the
//! delegation model, docs/ARCHITECTURE.md "Limits"): never outside it, and no process is ever moved out
//! of it. Every function takes the cgroupfs root and the proc texts as parameters, so the
//! parsing and layout logic is tested against a temp dir.

use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::limits::Limits;
use crate::outcome::Enforcement;

#[derive(Debug, thiserror::Error)]
pub enum CgroupError {
    #[error("cgroup {step}: {op} {path}: {source}")]
    Io {
        step: &'static str,
        op: &'static str,
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cgroup mode {0:?} was asked for, but {1}")]
    Unavailable(String, String),
    #[error("unknown cgroup mode {0:?} (use v2, v1 or none)")]
    UnknownMode(String),
    #[error("cgroup {path} still has processes after the run ended: {pids}")]
    NotEmpty { path: String, pids: String },
}

fn io_err(
    step: &'static str,
    op: &'static str,
    path: &Path,
) -> impl FnOnce(std::io::Error) -> CgroupError {
    let path = path.display().to_string();
    move |source| CgroupError::Io {
        step,
        op,
        path,
        source,
    }
}

/// The CPU bandwidth period; the quota is the limit's share of it.
const CPU_PERIOD_US: u64 = 100_000;

fn write_file(step: &'static str, path: &Path, value: &str) -> Result<(), CgroupError> {
    std::fs::write(path, value).map_err(io_err(step, "write", path))
}

/// A v2 hierarchy usable for sandboxes.
#[derive(Clone, Debug)]
pub struct V2 {
    /// The directory run cgroups are created in: this process's own cgroup.
    pub parent: PathBuf,
    /// Controllers enabled for children (`memory`, `pids`, `cpu`).
    pub controllers: Vec<String>,
    /// Where this process moved itself to (a leaf below `parent`), if it had to.
    pub supervisor_leaf: Option<PathBuf>,
    /// Controllers this process enabled in `parent`'s subtree_control (undone at exit).
    pub enabled_here: Vec<String>,
}

/// v1 hierarchies usable for sandboxes: each controller's own-cgroup directory.
#[derive(Clone, Debug, Default)]
pub struct V1 {
    pub memory: Option<PathBuf>,
    pub cpu: Option<PathBuf>,
    pub cpuacct: Option<PathBuf>,
    pub pids: Option<PathBuf>,
    /// Why a controller is missing, for doctor and provenance.
    pub missing: Vec<String>,
}

/// The cgroup driver of this host.
#[derive(Clone, Debug)]
pub enum Cgroups {
    V2(V2),
    V1(V1),
    /// No usable cgroup: limits fall back to rlimits, and every result says so.
    None {
        reason: String,
    },
}

/// A cgroup2 or v1 mount from mountinfo: mount point, fstype, super options.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CgroupMount {
    pub mount_point: PathBuf,
    pub v2: bool,
    pub controllers: Vec<String>,
}

/// Parses the cgroup mounts out of `/proc/self/mountinfo`.
pub fn parse_mountinfo(text: &str) -> Vec<CgroupMount> {
    let mut mounts = Vec::new();
    for line in text.lines() {
        let Some((left, right)) = line.split_once(" - ") else {
            continue;
        };
        let fields: Vec<&str> = left.split(' ').collect();
        let right: Vec<&str> = right.split(' ').collect();
        if fields.len() < 5 || right.len() < 3 {
            continue;
        }
        let mount_point = PathBuf::from(fields[4].replace("\\040", " "));
        match right[0] {
            "cgroup2" => mounts.push(CgroupMount {
                mount_point,
                v2: true,
                controllers: Vec::new(),
            }),
            "cgroup" => {
                let known = ["memory", "cpu", "cpuacct", "pids", "freezer"];
                let controllers = right[2]
                    .split(',')
                    .filter(|o| known.contains(o))
                    .map(str::to_string)
                    .collect();
                mounts.push(CgroupMount {
                    mount_point,
                    v2: false,
                    controllers,
                })
            }
            _ => {}
        }
    }
    mounts
}

/// Parses `/proc/self/cgroup`: (controllers, path) per line; v2 has empty controllers.
pub fn parse_proc_cgroup(text: &str) -> Vec<(Vec<String>, String)> {
    text.lines()
        .filter_map(|line| {
            let mut parts = line.splitn(3, ':');
            let _id = parts.next()?;
            let controllers = parts.next()?;
            let path = parts.next()?;
            Some((
                controllers
                    .split(',')
                    .filter(|c| !c.is_empty())
                    .map(str::to_string)
                    .collect(),
                path.to_string(),
            ))
        })
        .collect()
}

const NEEDED_V2: [&str; 3] = ["memory", "pids", "cpu"];
const SUPERVISOR_LEAF: &str = "localeval-supervisor";

fn join_cgroup(mount: &Path, cgroup_path: &str) -> PathBuf {
    mount.join(cgroup_path.trim_start_matches('/'))
}

/// Whether this user can create cgroups in `path`: write permission on the directory
/// (ownership for a delegated subtree, a read-only mount for none).
fn is_writable_dir(path: &Path) -> bool {
    path.is_dir() && crate::sys::can_write(path)
}

impl Cgroups {
    /// Detects the driver from this process's `/proc/self/{mountinfo,cgroup}`.
    pub fn detect(forced: Option<&str>) -> Result<Cgroups, CgroupError> {
        let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
        let own = std::fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
        Cgroups::detect_from(&mountinfo, &own, forced, std::process::id())
    }

    /// Detects the driver from the given proc texts (the test seam).
    pub fn detect_from(
        mountinfo: &str,
        own: &str,
        forced: Option<&str>,
        pid: u32,
    ) -> Result<Cgroups, CgroupError> {
        let mounts = parse_mountinfo(mountinfo);
        let own = parse_proc_cgroup(own);
        let v2_attempt = || -> Result<V2, String> {
            let mount = mounts
                .iter()
                .find(|m| m.v2)
                .ok_or("no cgroup2 filesystem is mounted")?;
            let (_, path) = own
                .iter()
                .find(|(c, _)| c.is_empty())
                .ok_or("this process has no cgroup v2 path")?;
            let dir = join_cgroup(&mount.mount_point, path);
            V2::prepare(&dir, pid)
        };
        let v1_attempt = || -> Result<V1, String> {
            let mut v1 = V1::default();
            for controller in ["memory", "cpu", "cpuacct", "pids"] {
                let found = mounts
                    .iter()
                    .find(|m| !m.v2 && m.controllers.iter().any(|c| c == controller))
                    .and_then(|m| {
                        own.iter()
                            .find(|(cs, _)| cs.iter().any(|c| c == controller))
                            .map(|(_, p)| join_cgroup(&m.mount_point, p))
                    });
                match found {
                    Some(dir) if is_writable_dir(&dir) => match controller {
                        "memory" => v1.memory = Some(dir),
                        "cpu" => v1.cpu = Some(dir),
                        "cpuacct" => v1.cpuacct = Some(dir),
                        _ => v1.pids = Some(dir),
                    },
                    Some(dir) => v1.missing.push(format!(
                        "{controller}: {} is not writable by this user",
                        dir.display()
                    )),
                    None => v1.missing.push(format!("{controller}: no v1 hierarchy")),
                }
            }
            if v1.memory.is_none() && v1.pids.is_none() && v1.cpu.is_none() {
                return Err(format!(
                    "no writable v1 controller ({})",
                    v1.missing.join("; ")
                ));
            }
            Ok(v1)
        };
        match forced {
            Some("v2") => v2_attempt()
                .map(Cgroups::V2)
                .map_err(|why| CgroupError::Unavailable("v2".into(), why)),
            Some("v1") => v1_attempt()
                .map(Cgroups::V1)
                .map_err(|why| CgroupError::Unavailable("v1".into(), why)),
            Some("none") => Ok(Cgroups::None {
                reason: "cgroups turned off by configuration".into(),
            }),
            Some(other) => Err(CgroupError::UnknownMode(other.to_string())),
            None => match v2_attempt() {
                Ok(v2) => Ok(Cgroups::V2(v2)),
                Err(v2_why) => match v1_attempt() {
                    Ok(v1) => Ok(Cgroups::V1(v1)),
                    Err(v1_why) => Ok(Cgroups::None {
                        reason: format!("v2: {v2_why}; v1: {v1_why}"),
                    }),
                },
            },
        }
    }

    pub fn mode(&self) -> &'static str {
        match self {
            Cgroups::V2(_) => "v2",
            Cgroups::V1(_) => "v1",
            Cgroups::None { .. } => "none",
        }
    }

    /// How memory, CPU quota, CPU time and pids are enforced under this driver.
    pub fn enforcement(&self) -> CgroupEnforcement {
        match self {
            Cgroups::V2(v2) => {
                let has = |c: &str| v2.controllers.iter().any(|x| x == c);
                let e = |c| {
                    if has(c) {
                        Enforcement::CgroupV2
                    } else {
                        Enforcement::Rlimit
                    }
                };
                CgroupEnforcement {
                    memory: e("memory"),
                    pids: e("pids"),
                    cpu_quota: if has("cpu") {
                        Enforcement::CgroupV2
                    } else {
                        Enforcement::NotEnforced
                    },
                    cpu_time: if has("cpu") {
                        Enforcement::CgroupV2
                    } else {
                        Enforcement::Rlimit
                    },
                }
            }
            Cgroups::V1(v1) => CgroupEnforcement {
                memory: if v1.memory.is_some() {
                    Enforcement::CgroupV1
                } else {
                    Enforcement::Rlimit
                },
                pids: if v1.pids.is_some() {
                    Enforcement::CgroupV1
                } else {
                    Enforcement::Rlimit
                },
                cpu_quota: if v1.cpu.is_some() {
                    Enforcement::CgroupV1
                } else {
                    Enforcement::NotEnforced
                },
                cpu_time: if v1.cpuacct.is_some() {
                    Enforcement::CgroupV1
                } else {
                    Enforcement::Rlimit
                },
            },
            Cgroups::None { .. } => CgroupEnforcement {
                memory: Enforcement::Rlimit,
                pids: Enforcement::Rlimit,
                cpu_quota: Enforcement::NotEnforced,
                cpu_time: Enforcement::Rlimit,
            },
        }
    }

    /// What this driver cannot do, one reason each (for provenance and doctor).
    pub fn weaknesses(&self) -> Vec<String> {
        match self {
            Cgroups::V2(v2) => NEEDED_V2
                .iter()
                .filter(|c| !v2.controllers.iter().any(|x| x == *c))
                .map(|c| format!("cgroup v2 controller {c} is not delegated to this service"))
                .collect(),
            Cgroups::V1(v1) => v1.missing.iter().map(|m| format!("cgroup v1 {m}")).collect(),
            Cgroups::None { reason } => vec![format!(
                "no cgroup: memory and pids are per-process rlimits, CPU quota is not enforced ({reason})"
            )],
        }
    }

    /// Creates the run cgroup `name` with `limits` applied.
    pub fn create(&self, name: &str, limits: &Limits) -> Result<RunCgroup, CgroupError> {
        match self {
            Cgroups::V2(v2) => v2.create(name, limits),
            Cgroups::V1(v1) => v1.create(name, limits),
            Cgroups::None { .. } => Ok(RunCgroup {
                v2: false,
                dirs: Vec::new(),
                v2_controllers: Vec::new(),
            }),
        }
    }

    /// The directories run cgroups are made in, one per hierarchy (v1 cpu and cpuacct may
    /// be one directory).
    fn run_parents(&self) -> Vec<(Controller, &PathBuf)> {
        match self {
            Cgroups::V2(v2) => vec![(Controller::All, &v2.parent)],
            Cgroups::V1(v1) => [
                (Controller::Memory, &v1.memory),
                (Controller::Pids, &v1.pids),
                (Controller::Cpu, &v1.cpu),
                (Controller::CpuAcct, &v1.cpuacct),
            ]
            .into_iter()
            .filter_map(|(c, p)| p.as_ref().map(|p| (c, p)))
            .collect(),
            Cgroups::None { .. } => Vec::new(),
        }
    }

    /// The run cgroup of the supervisor `pid`, as far as it exists.
    fn run_of(&self, pid: u32) -> RunCgroup {
        let name = run_name(pid);
        RunCgroup {
            v2: matches!(self, Cgroups::V2(_)),
            dirs: self
                .run_parents()
                .into_iter()
                .map(|(c, parent)| (c, parent.join(&name)))
                .filter(|(_, dir)| dir.is_dir())
                .collect(),
            v2_controllers: Vec::new(),
        }
    }

    /// Cleans up after a supervisor that died without tearing its run down (kill -9): once
    /// its pid is gone, kills whatever is left in its run cgroup and removes it. Returns
    /// whether a cgroup was removed. A supervisor still alive is left alone.
    pub fn reap(&self, supervisor: u32) -> bool {
        // The peer's socket closes as the process exits, a moment before its pid goes.
        let deadline = Instant::now() + Duration::from_secs(1);
        while process_alive(supervisor) {
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        let run = self.run_of(supervisor);
        if !run.is_real() {
            return false;
        }
        run.kill();
        match run.remove() {
            Ok(()) => {
                tracing::warn!(
                    supervisor,
                    "removed the run cgroup of a supervisor that died"
                );
                true
            }
            Err(error) => {
                tracing::error!(supervisor, %error, "run cgroup of a dead supervisor left behind");
                false
            }
        }
    }

    /// Cleans up the run cgroups of every supervisor of this user that was killed before it
    /// could (its pid is gone): kills what is left in them and removes them. Only run
    /// cgroups below this process's own cgroup are looked at, and only those owned by this
    /// user (another user's are theirs to clean, and could not be removed anyway).
    pub fn sweep_stale(&self) {
        use std::os::unix::fs::MetadataExt;
        let own_uid = crate::sys::geteuid();
        let mut stale = Vec::new();
        for (_, parent) in self.run_parents() {
            let Ok(entries) = std::fs::read_dir(parent) else {
                continue;
            };
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                let Some(pid) = name
                    .strip_prefix("localeval-run-")
                    .and_then(|p| p.parse::<u32>().ok())
                else {
                    continue;
                };
                let owned = entry.metadata().is_ok_and(|m| m.uid() == own_uid);
                if owned && !stale.contains(&pid) && !process_alive(pid) {
                    stale.push(pid);
                }
            }
        }
        for pid in stale {
            self.reap(pid);
        }
    }

    /// Undoes what startup did to this process's own cgroup (v2: the supervisor leaf and
    /// the controllers it enabled), so that nothing of localeval is left behind.
    pub fn restore(&self) {
        if let Cgroups::V2(v2) = self {
            v2.restore();
        }
    }
}

/// How the cgroup-backed limits are enforced.
#[derive(Clone, Copy, Debug)]
pub struct CgroupEnforcement {
    pub memory: Enforcement,
    pub pids: Enforcement,
    pub cpu_quota: Enforcement,
    pub cpu_time: Enforcement,
}

impl V2 {
    /// Makes `dir` (this process's own cgroup) ready to hold sandbox cgroups: moves this
    /// process into a leaf if it must (no internal processes rule, cgroups(7)) and enables
    /// the controllers for children.
    fn prepare(dir: &Path, pid: u32) -> Result<V2, String> {
        let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap_or_default();
        let available: Vec<String> = read("cgroup.controllers")
            .split_whitespace()
            .map(str::to_string)
            .collect();
        let controllers: Vec<String> = NEEDED_V2
            .iter()
            .filter(|c| available.iter().any(|a| a == *c))
            .map(|c| c.to_string())
            .collect();
        if controllers.is_empty() {
            return Err(format!(
                "{} offers none of the controllers memory, pids, cpu (cgroup.controllers: {:?})",
                dir.display(),
                available.join(" ")
            ));
        }
        if !is_writable_dir(dir) {
            return Err(format!(
                "{} is not writable by this user (no delegated subtree)",
                dir.display()
            ));
        }
        let enabled: Vec<String> = read("cgroup.subtree_control")
            .split_whitespace()
            .map(str::to_string)
            .collect();
        let to_enable: Vec<String> = controllers
            .iter()
            .filter(|c| !enabled.contains(c))
            .cloned()
            .collect();
        // Only non-root cgroups have cgroup.type; the root is exempt from the no internal
        // processes rule.
        let is_root = !dir.join("cgroup.type").exists();
        let mut supervisor_leaf = None;
        let procs = read("cgroup.procs");
        if !to_enable.is_empty() && !is_root && !procs.trim().is_empty() {
            let leaf = dir.join(SUPERVISOR_LEAF);
            std::fs::create_dir_all(&leaf).map_err(|e| format!("mkdir {}: {e}", leaf.display()))?;
            std::fs::write(leaf.join("cgroup.procs"), pid.to_string())
                .map_err(|e| format!("moving this process into {}: {e}", leaf.display()))?;
            supervisor_leaf = Some(leaf);
        }
        let mut enabled_here = Vec::new();
        for c in &to_enable {
            if let Err(e) = std::fs::write(dir.join("cgroup.subtree_control"), format!("+{c}")) {
                let leftover = read("cgroup.procs");
                let v2 = V2 {
                    parent: dir.to_path_buf(),
                    controllers: Vec::new(),
                    supervisor_leaf: supervisor_leaf.clone(),
                    enabled_here: enabled_here.clone(),
                };
                v2.restore();
                return Err(format!(
                    "enabling {c} in {}/cgroup.subtree_control: {e} (other processes in this cgroup: {})",
                    dir.display(),
                    leftover.split_whitespace().collect::<Vec<_>>().join(",")
                ));
            }
            enabled_here.push(c.clone());
        }
        Ok(V2 {
            parent: dir.to_path_buf(),
            controllers,
            supervisor_leaf,
            enabled_here,
        })
    }

    fn create(&self, name: &str, limits: &Limits) -> Result<RunCgroup, CgroupError> {
        let dir = self.parent.join(name);
        std::fs::create_dir(&dir).map_err(io_err("create", "mkdir", &dir))?;
        let run = RunCgroup {
            v2: true,
            dirs: vec![(Controller::All, dir.clone())],
            v2_controllers: self.controllers.clone(),
        };
        let has = |c: &str| self.controllers.iter().any(|x| x == c);
        let apply = || -> Result<(), CgroupError> {
            if has("memory") {
                let swap = dir.join("memory.swap.max");
                if swap.exists() {
                    write_file("limit swap", &swap, "0")?;
                }
                // Kill the whole group on OOM: a run is one unit (docs/SECURITY.md 2.4).
                write_file("oom group", &dir.join("memory.oom.group"), "1")?;
            }
            run.set_limits(limits)
        };
        if let Err(e) = apply() {
            let _ = run.remove();
            return Err(e);
        }
        Ok(run)
    }

    /// Waits (briefly) until this process is alone in its leaf — the launcher and the
    /// supervisors are gone — then disables the controllers it enabled, moves itself back
    /// and removes the leaf. The order matters: a cgroup with controllers enabled for its
    /// children cannot hold processes, and a cgroup with processes cannot be removed.
    fn restore(&self) {
        if let Some(leaf) = &self.supervisor_leaf {
            let me = std::process::id().to_string();
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                let procs = std::fs::read_to_string(leaf.join("cgroup.procs")).unwrap_or_default();
                if procs.split_whitespace().all(|p| p == me) || Instant::now() >= deadline {
                    if Instant::now() >= deadline {
                        tracing::warn!(leaf = %leaf.display(), %procs, "processes still in the supervisor cgroup");
                    }
                    break;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        for c in self.enabled_here.iter().rev() {
            if let Err(e) =
                std::fs::write(self.parent.join("cgroup.subtree_control"), format!("-{c}"))
            {
                tracing::warn!(controller = %c, error = %e, "cannot disable a controller localeval enabled");
            }
        }
        if let Some(leaf) = &self.supervisor_leaf {
            if self.enabled_here.len() == self.controllers.len() || self.controllers.is_empty() {
                let _ = std::fs::write(
                    self.parent.join("cgroup.procs"),
                    std::process::id().to_string(),
                );
                if let Err(e) = std::fs::remove_dir(leaf) {
                    tracing::warn!(leaf = %leaf.display(), error = %e, "supervisor cgroup left behind");
                }
            }
        }
    }
}

impl V1 {
    fn create(&self, name: &str, limits: &Limits) -> Result<RunCgroup, CgroupError> {
        let mut run = RunCgroup {
            v2: false,
            dirs: Vec::new(),
            v2_controllers: Vec::new(),
        };
        let result = (|| -> Result<(), CgroupError> {
            if let Some(parent) = &self.memory {
                let dir = parent.join(name);
                std::fs::create_dir(&dir).map_err(io_err("create", "mkdir", &dir))?;
                run.dirs.push((Controller::Memory, dir.clone()));
                let swappiness = dir.join("memory.swappiness");
                if swappiness.exists() {
                    let _ = std::fs::write(&swappiness, "0");
                }
            }
            if let Some(parent) = &self.pids {
                let dir = parent.join(name);
                std::fs::create_dir(&dir).map_err(io_err("create", "mkdir", &dir))?;
                run.dirs.push((Controller::Pids, dir));
            }
            if let Some(parent) = &self.cpu {
                let dir = parent.join(name);
                std::fs::create_dir(&dir).map_err(io_err("create", "mkdir", &dir))?;
                run.dirs.push((Controller::Cpu, dir.clone()));
                write_file(
                    "limit cpu",
                    &dir.join("cpu.cfs_period_us"),
                    &CPU_PERIOD_US.to_string(),
                )?;
            }
            if let Some(parent) = &self.cpuacct {
                let dir = parent.join(name);
                if self.cpu.as_ref().map(|c| c.join(name)) != Some(dir.clone()) {
                    std::fs::create_dir(&dir).map_err(io_err("create", "mkdir", &dir))?;
                }
                run.dirs.push((Controller::CpuAcct, dir));
            }
            run.set_limits(limits)
        })();
        if let Err(e) = result {
            let _ = run.remove();
            return Err(e);
        }
        Ok(run)
    }
}

/// The name of the run cgroup of the supervisor `pid`.
pub fn run_name(pid: u32) -> String {
    format!("localeval-run-{pid}")
}

/// Whether `pid` is a live process (a zombie is not: it has exited).
fn process_alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the command name's closing parenthesis.
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| !rest.starts_with('Z') && !rest.starts_with('X')),
        Err(_) => false,
    }
}

/// SIGKILLs every process listed in `dir`'s `cgroup.procs` until it lists none, or until
/// `deadline`. Each pid is pinned with a pidfd and checked to still be in this cgroup
/// before the signal, so a pid reused since the listing is never hit.
fn kill_members(dir: &Path, deadline: Instant) {
    let Some(name) = dir.file_name().map(|n| format!("/{}", n.to_string_lossy())) else {
        return;
    };
    loop {
        let procs = std::fs::read_to_string(dir.join("cgroup.procs")).unwrap_or_default();
        let pids: Vec<i32> = procs
            .split_whitespace()
            .filter_map(|p| p.parse().ok())
            .collect();
        if pids.is_empty() || Instant::now() >= deadline {
            return;
        }
        for pid in pids {
            let Ok(pidfd) = crate::sys::pidfd_open(pid) else {
                continue;
            };
            let member = std::fs::read_to_string(format!("/proc/{pid}/cgroup"))
                .is_ok_and(|text| text.lines().any(|line| line.ends_with(&name)));
            if member {
                let _ = crate::sys::pidfd_send_signal(&pidfd, libc::SIGKILL);
            }
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Controller {
    All,
    Memory,
    Pids,
    Cpu,
    CpuAcct,
}

/// What a run's cgroup measured.
#[derive(Clone, Copy, Debug, Default)]
pub struct CgroupStats {
    pub peak_memory_bytes: Option<u64>,
    pub oom_killed: bool,
    pub pids_limit_hit: bool,
    pub cpu_ms: Option<u64>,
}

/// The cgroup (v2) or cgroups (v1, one per controller) of one run.
#[derive(Debug)]
pub struct RunCgroup {
    v2: bool,
    dirs: Vec<(Controller, PathBuf)>,
    /// v2: the controllers enabled for run cgroups (`memory`, `pids`, `cpu`).
    v2_controllers: Vec<String>,
}

fn read_key(text: &str, key: &str) -> Option<u64> {
    text.lines().find_map(|line| {
        let mut parts = line.split_whitespace();
        (parts.next()? == key).then(|| parts.next()?.parse().ok())?
    })
}

impl RunCgroup {
    /// Whether any cgroup holds the run.
    pub fn is_real(&self) -> bool {
        !self.dirs.is_empty()
    }

    fn dir(&self, controller: Controller) -> Option<&Path> {
        self.dirs
            .iter()
            .find(|(c, _)| *c == Controller::All || *c == controller)
            .map(|(_, d)| d.as_path())
    }

    /// The v2 cgroup's directory, opened for clone3 `CLONE_INTO_CGROUP`.
    pub fn v2_dir(&self) -> Option<OwnedFd> {
        if !self.v2 {
            return None;
        }
        let dir = self.dir(Controller::All)?;
        std::fs::File::open(dir).ok().map(OwnedFd::from)
    }

    /// Writes the memory, pids and CPU limits (again: a sandbox built ahead gets its run's
    /// limits when the run arrives).
    pub fn set_limits(&self, limits: &Limits) -> Result<(), CgroupError> {
        let quota = (limits.cpu_millis as u64 * CPU_PERIOD_US / 1000).max(1000);
        if self.v2 {
            let Some(dir) = self.dir(Controller::All) else {
                return Ok(());
            };
            let has = |c: &str| self.v2_controllers.iter().any(|x| x == c);
            if has("memory") {
                let bytes = limits.memory_bytes.to_string();
                write_file("limit memory", &dir.join("memory.max"), &bytes)?;
            }
            if has("pids") {
                write_file(
                    "limit pids",
                    &dir.join("pids.max"),
                    &limits.pids.to_string(),
                )?;
            }
            if has("cpu") {
                let max = format!("{quota} {CPU_PERIOD_US}");
                write_file("limit cpu", &dir.join("cpu.max"), &max)?;
            }
            return Ok(());
        }
        if let Some(dir) = self
            .dirs
            .iter()
            .find(|(c, _)| *c == Controller::Memory)
            .map(|(_, d)| d)
        {
            // Memory+swap equal to memory means no swap at all. v1 keeps memory at most
            // memory+swap at every write, so the order depends on the direction.
            let bytes = limits.memory_bytes.to_string();
            let limit = dir.join("memory.limit_in_bytes");
            let memsw = dir.join("memory.memsw.limit_in_bytes");
            let current: u64 = std::fs::read_to_string(&limit)
                .ok()
                .and_then(|t| t.trim().parse().ok())
                .unwrap_or(u64::MAX);
            let has_memsw = memsw.exists();
            if has_memsw && limits.memory_bytes > current {
                write_file("limit swap", &memsw, &bytes)?;
            }
            write_file("limit memory", &limit, &bytes)?;
            if has_memsw {
                write_file("limit swap", &memsw, &bytes)?;
            }
        }
        if let Some(dir) = self
            .dirs
            .iter()
            .find(|(c, _)| *c == Controller::Pids)
            .map(|(_, d)| d)
        {
            write_file(
                "limit pids",
                &dir.join("pids.max"),
                &limits.pids.to_string(),
            )?;
        }
        if let Some(dir) = self
            .dirs
            .iter()
            .find(|(c, _)| *c == Controller::Cpu)
            .map(|(_, d)| d)
        {
            write_file(
                "limit cpu",
                &dir.join("cpu.cfs_quota_us"),
                &quota.to_string(),
            )?;
        }
        Ok(())
    }

    /// Puts `pid` into every cgroup of the run (before it runs anything of the user's).
    pub fn add(&self, pid: i32) -> Result<(), CgroupError> {
        let mut seen = Vec::new();
        for (_, dir) in &self.dirs {
            if seen.contains(&dir) {
                continue;
            }
            seen.push(dir);
            let procs = dir.join("cgroup.procs");
            write_file("place", &procs, &pid.to_string())?;
        }
        Ok(())
    }

    /// CPU time of every process of the run so far.
    pub fn cpu_ms(&self) -> Option<u64> {
        if self.v2 {
            let text = std::fs::read_to_string(self.dir(Controller::Cpu)?.join("cpu.stat")).ok()?;
            read_key(&text, "usage_usec").map(|us| us / 1000)
        } else {
            let text =
                std::fs::read_to_string(self.dir(Controller::CpuAcct)?.join("cpuacct.usage"))
                    .ok()?;
            text.trim().parse::<u64>().ok().map(|ns| ns / 1_000_000)
        }
    }

    pub fn stats(&self) -> CgroupStats {
        let read = |c: Controller, f: &str| {
            self.dir(c)
                .and_then(|d| std::fs::read_to_string(d.join(f)).ok())
        };
        let mut stats = CgroupStats {
            cpu_ms: self.cpu_ms(),
            ..Default::default()
        };
        if self.v2 {
            stats.peak_memory_bytes =
                read(Controller::Memory, "memory.peak").and_then(|t| t.trim().parse().ok());
            if let Some(events) = read(Controller::Memory, "memory.events") {
                stats.oom_killed = read_key(&events, "oom_kill").unwrap_or(0) > 0
                    || read_key(&events, "oom_group_kill").unwrap_or(0) > 0;
            }
            if let Some(events) = read(Controller::Pids, "pids.events") {
                stats.pids_limit_hit = read_key(&events, "max").unwrap_or(0) > 0;
            }
        } else {
            if self.dirs.iter().any(|(c, _)| *c == Controller::Memory) {
                stats.peak_memory_bytes = read(Controller::Memory, "memory.max_usage_in_bytes")
                    .and_then(|t| t.trim().parse().ok());
                if let Some(oom) = read(Controller::Memory, "memory.oom_control") {
                    stats.oom_killed = read_key(&oom, "oom_kill").unwrap_or(0) > 0;
                }
            }
            if self.dirs.iter().any(|(c, _)| *c == Controller::Pids) {
                if let Some(events) = read(Controller::Pids, "pids.events") {
                    stats.pids_limit_hit = read_key(&events, "max").unwrap_or(0) > 0;
                }
            }
        }
        stats
    }

    /// Kills every process of the run: v2 `cgroup.kill` (Linux 5.14); on v1, or without
    /// `cgroup.kill`, SIGKILL to every member until none is left. The v1 driver joins no
    /// freezer, and needs none: every member is in the sandbox's pid namespace, and killing
    /// its init kills the whole namespace at once (pid_namespaces(7)); the pids limit bounds
    /// what can fork meanwhile.
    pub fn kill(&self) {
        if self.v2 {
            if let Some(dir) = self.dir(Controller::All) {
                if std::fs::write(dir.join("cgroup.kill"), "1").is_ok() {
                    return;
                }
            }
        }
        let deadline = Instant::now() + Duration::from_secs(1);
        let mut seen = Vec::new();
        for (_, dir) in &self.dirs {
            if !seen.contains(&dir) {
                seen.push(dir);
                kill_members(dir, deadline);
            }
        }
    }

    /// Removes the run's cgroups. A cgroup that still holds a process after a short grace
    /// is an error: it would mean something of the run survived.
    pub fn remove(&self) -> Result<(), CgroupError> {
        let deadline = Instant::now() + Duration::from_secs(2);
        let mut first_error = None;
        let mut seen = Vec::new();
        for (_, dir) in self.dirs.iter().rev() {
            if seen.contains(&dir) {
                continue;
            }
            seen.push(dir);
            loop {
                match std::fs::remove_dir(dir) {
                    Ok(()) => break,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => break,
                    Err(e)
                        if e.raw_os_error() == Some(libc::EBUSY) && Instant::now() < deadline =>
                    {
                        std::thread::sleep(Duration::from_millis(2));
                    }
                    Err(e) => {
                        let pids =
                            std::fs::read_to_string(dir.join("cgroup.procs")).unwrap_or_default();
                        first_error.get_or_insert(if pids.trim().is_empty() {
                            CgroupError::Io {
                                step: "remove",
                                op: "rmdir",
                                path: dir.display().to_string(),
                                source: e,
                            }
                        } else {
                            CgroupError::NotEmpty {
                                path: dir.display().to_string(),
                                pids: pids.split_whitespace().collect::<Vec<_>>().join(","),
                            }
                        });
                        break;
                    }
                }
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HYBRID_MOUNTINFO: &str = "\
30 25 0:26 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755
31 30 0:27 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw
34 30 0:30 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,memory
35 30 0:31 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,cpu,cpuacct
36 30 0:32 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:16 - cgroup cgroup rw,pids
";

    #[test]
    fn mountinfo_yields_v1_controllers_and_the_v2_mount() {
        let mounts = parse_mountinfo(HYBRID_MOUNTINFO);
        assert_eq!(mounts.len(), 4);
        assert!(mounts[0].v2);
        assert_eq!(
            mounts[0].mount_point,
            PathBuf::from("/sys/fs/cgroup/unified")
        );
        assert_eq!(mounts[2].controllers, vec!["cpu", "cpuacct"]);
    }

    #[test]
    fn proc_cgroup_lines_parse() {
        let own = parse_proc_cgroup("4:memory:/svc/a\n2:cpu,cpuacct:/\n0::/user.slice\n");
        assert_eq!(own[0], (vec!["memory".to_string()], "/svc/a".to_string()));
        assert_eq!(own[1].0, vec!["cpu", "cpuacct"]);
        assert_eq!(own[2], (vec![], "/user.slice".to_string()));
    }

    #[test]
    fn v2_limits_are_written_into_a_fake_cgroupfs() {
        let root = tempfile::tempdir().unwrap();
        let parent = root.path().join("svc");
        std::fs::create_dir(&parent).unwrap();
        let v2 = V2 {
            parent: parent.clone(),
            controllers: vec!["memory".into(), "pids".into(), "cpu".into()],
            supervisor_leaf: None,
            enabled_here: vec![],
        };
        let limits = Limits {
            memory_bytes: 64 << 20,
            pids: 32,
            cpu_millis: 500,
            ..Limits::DEFAULT_RUN
        };
        let run = v2.create("run-1", &limits).unwrap();
        let read = |f: &str| std::fs::read_to_string(parent.join("run-1").join(f)).unwrap();
        assert_eq!(read("memory.max"), (64u64 << 20).to_string());
        assert_eq!(read("memory.oom.group"), "1");
        assert_eq!(read("pids.max"), "32");
        assert_eq!(read("cpu.max"), "50000 100000");
        // A sandbox built ahead gets its run's limits when the run arrives.
        run.set_limits(&Limits {
            memory_bytes: 128 << 20,
            pids: 16,
            cpu_millis: 2000,
            ..limits
        })
        .unwrap();
        assert_eq!(read("memory.max"), (128u64 << 20).to_string());
        assert_eq!(read("pids.max"), "16");
        assert_eq!(read("cpu.max"), "200000 100000");
        std::fs::write(
            parent.join("run-1/memory.events"),
            "low 0\noom 1\noom_kill 1\noom_group_kill 1\n",
        )
        .unwrap();
        std::fs::write(parent.join("run-1/pids.events"), "max 3\n").unwrap();
        std::fs::write(
            parent.join("run-1/cpu.stat"),
            "usage_usec 123456\nuser_usec 1\n",
        )
        .unwrap();
        let stats = run.stats();
        assert!(stats.oom_killed && stats.pids_limit_hit);
        assert_eq!(stats.cpu_ms, Some(123));
    }

    #[test]
    fn v1_limits_are_written_per_controller() {
        let root = tempfile::tempdir().unwrap();
        let mk = |c: &str| {
            let d = root.path().join(c);
            std::fs::create_dir(&d).unwrap();
            d
        };
        let v1 = V1 {
            memory: Some(mk("memory")),
            cpu: Some(mk("cpu")),
            cpuacct: Some(mk("cpuacct")),
            pids: Some(mk("pids")),
            missing: vec![],
        };
        let limits = Limits {
            memory_bytes: 1 << 20 << 6,
            cpu_millis: 1500,
            ..Limits::DEFAULT_RUN
        };
        let run = v1.create("run", &limits).unwrap();
        let read = |f: &str| std::fs::read_to_string(root.path().join(f)).unwrap();
        assert_eq!(
            read("memory/run/memory.limit_in_bytes"),
            (64u64 << 20).to_string()
        );
        assert_eq!(read("cpu/run/cpu.cfs_quota_us"), "150000");
        assert_eq!(
            read("pids/run/pids.max"),
            Limits::DEFAULT_RUN.pids.to_string()
        );
        std::fs::write(
            root.path().join("memory/run/memory.oom_control"),
            "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n",
        )
        .unwrap();
        std::fs::write(
            root.path().join("cpuacct/run/cpuacct.usage"),
            "2500000000\n",
        )
        .unwrap();
        let stats = run.stats();
        assert!(stats.oom_killed);
        assert_eq!(stats.cpu_ms, Some(2500));
    }

    #[test]
    fn the_sweep_removes_only_this_users_run_cgroups_of_dead_supervisors() {
        let root = tempfile::tempdir().unwrap();
        let pids = root.path().join("pids");
        std::fs::create_dir(&pids).unwrap();
        let me = std::process::id();
        // No process has a pid above the kernel's limit (4194304).
        let dead = 999_999_999u32;
        for name in [
            run_name(me),
            run_name(dead),
            run_name(dead - 1),
            "other".into(),
        ] {
            std::fs::create_dir(pids.join(name)).unwrap();
        }
        let foreign = pids.join(run_name(dead - 1));
        let own_uid = crate::sys::geteuid();
        if own_uid == 0 {
            std::os::unix::fs::chown(&foreign, Some(65534), None).unwrap();
        }
        let v1 = Cgroups::V1(V1 {
            pids: Some(pids.clone()),
            ..V1::default()
        });
        v1.sweep_stale();
        assert!(pids.join(run_name(me)).is_dir(), "a live supervisor's run");
        assert!(pids.join("other").is_dir(), "not a run cgroup");
        assert!(
            !pids.join(run_name(dead)).exists(),
            "a dead supervisor's run"
        );
        // (Only root can give a directory away; otherwise the "foreign" one is ours.)
        assert_eq!(
            foreign.exists(),
            own_uid == 0,
            "another user's run is left to its user"
        );
    }

    #[test]
    fn forcing_an_unknown_mode_is_an_error() {
        assert!(matches!(
            Cgroups::detect_from("", "", Some("v3"), 1),
            Err(CgroupError::UnknownMode(_))
        ));
        assert!(matches!(
            Cgroups::detect_from("", "", Some("none"), 1),
            Ok(Cgroups::None { .. })
        ));
        assert!(Cgroups::detect_from("", "", Some("v2"), 1).is_err());
    }
}
