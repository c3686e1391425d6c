//! The root filesystem of a sandbox: the host profile (a read-only view of the host's
//! `/usr` and friends with a curated `/etc`) or a prepared directory such as an unpacked OCI
//! image. The jail takes either without knowing which; both get the same per-run `/tmp`,
//! workspace, `/proc` and `/dev` on top.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The host profile description the binary ships with.
pub const BUILTIN_HOST_PROFILE: &str = include_str!("../rootfs/host-profile.toml");

/// Name and ids of the user the program runs as inside every sandbox.
pub const SANDBOX_USER: &str = "sandbox";
pub const SANDBOX_UID: u32 = 1000;
pub const SANDBOX_GID: u32 = 1000;
pub const SANDBOX_HOSTNAME: &str = "localeval";
/// The per-run workspace: the program's current directory, holding the submitted files.
pub const WORKSPACE: &str = "/workspace";

#[derive(Debug, thiserror::Error)]
pub enum RootfsError {
    #[error("cannot parse the host profile {source_name}: {message}")]
    Parse {
        source_name: String,
        message: String,
    },
    #[error("host profile: {path} must be an absolute path without `..`")]
    BadPath { path: String },
    #[error("host profile: cannot inspect {path}: {source}")]
    Inspect {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("host profile: {path} is never exposed to a sandbox ({why})")]
    Forbidden { path: String, why: &'static str },
    #[error("image root {path} is not ready: {what} is missing (the image store prepares it)")]
    ImageNotPrepared { path: String, what: String },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HostProfileFile {
    binds: Vec<String>,
    etc: Vec<String>,
}

/// How the jail builds the new root, decided before the first fork.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RootBase {
    /// A fresh tmpfs root holding read-only binds of host paths, symlinks and generated
    /// files. The host profile.
    Composed {
        /// Host directories bound read-only at the same path.
        binds: Vec<PathBuf>,
        /// Symlinks recreated as they are on the host (`/bin -> usr/bin`).
        symlinks: Vec<(PathBuf, PathBuf)>,
        /// Entries of the host's `/etc` bound read-only at the same path.
        etc_binds: Vec<PathBuf>,
        /// Files written into the new `/etc` (name, content).
        etc_files: Vec<(String, Vec<u8>)>,
    },
    /// A prepared directory bound read-only as the root: it already holds the mount points
    /// (`proc dev tmp workspace`) and an `/etc/passwd` that names the sandbox user.
    Directory { path: PathBuf },
}

/// The root filesystem of one execution, and what provenance says of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RootfsPlan {
    /// `host`, or the image reference.
    pub name: String,
    /// The image's manifest digest; none for the host profile.
    pub digest: Option<String>,
    pub base: RootBase,
    /// Environment the root filesystem asks for (an image's `Env`, already filtered).
    pub env: Vec<(String, String)>,
    /// What of the root's own settings was not honoured, and why (an image's `WorkingDir`
    /// that leaves the root, say); copied into every result's provenance.
    /// (No `skip_serializing_if`: the spec goes to the supervisor in postcard, which
    /// is not self-describing.)
    #[serde(default)]
    pub notes: Vec<String>,
}

/// The variable an image's `WorkingDir` is exposed as, once checked (see
/// [`resolve_working_dir`]); the program itself always starts in the workspace.
pub const IMAGE_WORKDIR_ENV: &str = "LOCALEVAL_IMAGE_WORKDIR";

/// Top-level directories of every root that the jail replaces with per-run mounts: a
/// `WorkingDir` there would name something the image does not control.
const REPLACED_AT_RUN_TIME: &[&str] = &["proc", "dev", "sys", "tmp", "workspace"];

/// Resolves an image's `WorkingDir` inside the unpacked root `root`, as it will be after
/// pivot_root, without ever leaving it: the path must be absolute, without `..`, not under
/// a directory the jail replaces (`/proc`, `/dev`, `/sys`, `/tmp`, `/workspace`), and every
/// component must be a real directory of the root (a symlink is not followed: it could
/// point anywhere once the sandbox runs). Returns the normalized path, or why not.
pub fn resolve_working_dir(root: &Path, working_dir: &str) -> Result<String, String> {
    if working_dir.contains('\0') {
        return Err("contains a NUL byte".into());
    }
    if !working_dir.starts_with('/') {
        return Err("is not an absolute path".into());
    }
    let mut normalized = Vec::new();
    for component in working_dir.split('/') {
        match component {
            "" | "." => {}
            ".." => return Err("contains a `..` component".into()),
            c => normalized.push(c),
        }
    }
    if let Some(first) = normalized.first() {
        if REPLACED_AT_RUN_TIME.contains(first) {
            return Err(format!(
                "is under /{first}, which the sandbox replaces with its own"
            ));
        }
    }
    let mut here = root.to_path_buf();
    for component in &normalized {
        here.push(component);
        match std::fs::symlink_metadata(&here) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(format!(
                    "goes through the symlink {}, which is not followed",
                    here.strip_prefix(root).unwrap_or(&here).display()
                ))
            }
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => return Err("is not a directory in the image".into()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err("does not exist in the image".into())
            }
            Err(e) => return Err(format!("cannot be inspected: {e}")),
        }
    }
    Ok(format!("/{}", normalized.join("/")))
}

/// Directories the host profile must never expose, whatever a profile file says.
const FORBIDDEN: &[(&str, &str)] = &[
    ("/run", "host service sockets"),
    ("/var/run", "host service sockets"),
    ("/tmp", "other users' files and sockets"),
    ("/home", "users' files"),
    ("/root", "root's files"),
    ("/etc", "host secrets; only curated entries are bound"),
    ("/proc", "a fresh procfs is mounted instead"),
    ("/sys", "host kernel knobs"),
    ("/dev", "a minimal /dev is built instead"),
    ("/var", "host state"),
];

const FORBIDDEN_ETC: &[(&str, &str)] = &[
    ("shadow", "password hashes"),
    ("gshadow", "password hashes"),
    ("ssh", "host keys"),
    ("ssl", "private keys"),
    ("sudoers", "host policy"),
];

impl RootfsPlan {
    /// The host profile, read from its description and checked against the host.
    pub fn host_profile(description: &str, source_name: &str) -> Result<RootfsPlan, RootfsError> {
        let file: HostProfileFile =
            toml::from_str(description).map_err(|e| RootfsError::Parse {
                source_name: source_name.to_string(),
                message: e.to_string(),
            })?;
        let mut binds = Vec::new();
        let mut symlinks = Vec::new();
        for entry in &file.binds {
            let path = checked_absolute(entry)?;
            if let Some((_, why)) = FORBIDDEN
                .iter()
                .find(|(f, _)| path.starts_with(f) || Path::new(f).starts_with(&path))
            {
                return Err(RootfsError::Forbidden {
                    path: entry.clone(),
                    why,
                });
            }
            match std::fs::symlink_metadata(&path) {
                Ok(meta) if meta.file_type().is_symlink() => {
                    let target =
                        std::fs::read_link(&path).map_err(|source| RootfsError::Inspect {
                            path: entry.clone(),
                            source,
                        })?;
                    symlinks.push((path, target));
                }
                Ok(meta) if meta.is_dir() => binds.push(path),
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => {
                    return Err(RootfsError::Inspect {
                        path: entry.clone(),
                        source,
                    })
                }
            }
        }
        let mut etc_binds = Vec::new();
        for entry in &file.etc {
            if entry.contains('/') && !entry.starts_with("ssl/certs") || entry.contains("..") {
                return Err(RootfsError::BadPath {
                    path: format!("/etc/{entry}"),
                });
            }
            if let Some((_, why)) = FORBIDDEN_ETC
                .iter()
                .find(|(f, _)| entry == f || entry.starts_with(&format!("{f}/")))
                .filter(|_| !entry.starts_with("ssl/certs"))
            {
                return Err(RootfsError::Forbidden {
                    path: format!("/etc/{entry}"),
                    why,
                });
            }
            let path = Path::new("/etc").join(entry);
            if path.exists() {
                etc_binds.push(path);
            }
        }
        Ok(RootfsPlan {
            name: "host".to_string(),
            digest: None,
            base: RootBase::Composed {
                binds,
                symlinks,
                etc_binds,
                etc_files: generated_etc(),
            },
            env: Vec::new(),
            notes: Vec::new(),
        })
    }

    /// The built-in host profile.
    pub fn builtin_host_profile() -> Result<RootfsPlan, RootfsError> {
        RootfsPlan::host_profile(BUILTIN_HOST_PROFILE, "rootfs/host-profile.toml (built in)")
    }

    /// A prepared directory (an unpacked image) as the root.
    pub fn directory(
        name: &str,
        digest: Option<String>,
        path: &Path,
        env: Vec<(String, String)>,
    ) -> Result<RootfsPlan, RootfsError> {
        for needed in ["proc", "dev", "tmp", "workspace", "etc/passwd", "etc/group"] {
            if std::fs::symlink_metadata(path.join(needed)).is_err() {
                return Err(RootfsError::ImageNotPrepared {
                    path: path.display().to_string(),
                    what: needed.to_string(),
                });
            }
        }
        Ok(RootfsPlan {
            name: name.to_string(),
            digest,
            base: RootBase::Directory {
                path: path.to_path_buf(),
            },
            env,
            notes: Vec::new(),
        })
    }
}

fn checked_absolute(entry: &str) -> Result<PathBuf, RootfsError> {
    let path = PathBuf::from(entry);
    if !path.is_absolute()
        || path
            .components()
            .any(|c| matches!(c, std::path::Component::ParentDir))
    {
        return Err(RootfsError::BadPath {
            path: entry.to_string(),
        });
    }
    Ok(path)
}

/// The files of the curated `/etc`: the sandbox user and nothing of the host's.
pub fn generated_etc() -> Vec<(String, Vec<u8>)> {
    vec![
        (
            "passwd".into(),
            format!(
                "root:x:0:0:root:/nonexistent:/usr/sbin/nologin\n\
                 {SANDBOX_USER}:x:{SANDBOX_UID}:{SANDBOX_GID}:sandbox:{WORKSPACE}:/bin/sh\n\
                 nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
            )
            .into_bytes(),
        ),
        (
            "group".into(),
            format!("root:x:0:\n{SANDBOX_USER}:x:{SANDBOX_GID}:\nnogroup:x:65534:\n").into_bytes(),
        ),
        (
            "hosts".into(),
            format!("127.0.0.1 localhost {SANDBOX_HOSTNAME}\n::1 localhost ip6-localhost\n")
                .into_bytes(),
        ),
        (
            "hostname".into(),
            format!("{SANDBOX_HOSTNAME}\n").into_bytes(),
        ),
        (
            "nsswitch.conf".into(),
            b"passwd: files\ngroup: files\nhosts: files\n".to_vec(),
        ),
        (
            "resolv.conf".into(),
            b"# no network inside the sandbox\n".to_vec(),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_profile_binds_usr_and_never_secrets() {
        let plan = RootfsPlan::builtin_host_profile().unwrap();
        let RootBase::Composed {
            binds, etc_binds, ..
        } = &plan.base
        else {
            panic!("host profile is composed")
        };
        assert!(binds.contains(&PathBuf::from("/usr")));
        for bind in binds.iter().chain(etc_binds) {
            for secret in ["/etc/shadow", "/etc/ssh", "/root", "/home", "/run", "/tmp"] {
                assert!(!bind.starts_with(secret), "{} exposed", bind.display());
            }
        }
    }

    #[test]
    fn a_working_dir_resolves_only_to_a_real_directory_inside_the_root() {
        let root = tempfile::tempdir().unwrap();
        let r = root.path();
        std::fs::create_dir_all(r.join("app/src")).unwrap();
        std::fs::create_dir_all(r.join("proc/self")).unwrap();
        std::fs::write(r.join("file"), b"x").unwrap();
        std::os::unix::fs::symlink("/etc", r.join("escape")).unwrap();
        std::os::unix::fs::symlink("app", r.join("inside")).unwrap();
        assert_eq!(resolve_working_dir(r, "/").unwrap(), "/");
        assert_eq!(resolve_working_dir(r, "/app").unwrap(), "/app");
        assert_eq!(resolve_working_dir(r, "//app/./src/").unwrap(), "/app/src");
        for (bad, why) in [
            ("app", "absolute"),
            ("/app/../etc", ".."),
            ("/../../etc", ".."),
            ("/proc/self", "/proc"),
            ("/workspace", "/workspace"),
            ("/tmp", "/tmp"),
            ("/escape", "symlink"),
            ("/inside/src", "symlink"),
            ("/file", "not a directory"),
            ("/missing", "does not exist"),
            ("/a\0b", "NUL"),
        ] {
            let err = resolve_working_dir(r, bad).unwrap_err();
            assert!(err.contains(why), "{bad:?}: {err}");
        }
    }

    #[test]
    fn a_profile_naming_a_forbidden_path_is_refused() {
        for (binds, etc) in [
            ("[\"/run\"]", "[]"),
            ("[\"/\"]", "[]"),
            ("[\"/home/x\"]", "[]"),
            ("[]", "[\"shadow\"]"),
            ("[]", "[\"ssh\"]"),
            ("[]", "[\"../root\"]"),
        ] {
            let text = format!("binds = {binds}\netc = {etc}\n");
            assert!(
                RootfsPlan::host_profile(&text, "test").is_err(),
                "{text} accepted"
            );
        }
    }
}
