//! Seccomp: the profile is data (`seccomp/profile.json`, one comment per rule), compiled once
//! at startup with seccompiler into two stacked filters (SECURITY.md 5.1):
//!
//! - `allow`: an allow-list; anything not on it gets ENOSYS (so runtimes fall back, and x32
//!   or foreign-ABI numbers never match); argument filters on clone, ioctl, personality and
//!   socket compare the low 32 bits.
//! - `deny`: the explicit denials, EPERM, installed last so that its errno wins.
//!
//! An architecture mismatch kills the process (seccompiler's prologue).

use std::path::Path;

use seccompiler::{BpfProgram, TargetArch};
use sha2::Digest;

/// The profile the binary ships with.
pub const BUILTIN_PROFILE: &str = include_str!("../../seccomp/profile.json");

#[derive(Debug, thiserror::Error)]
pub enum SeccompError {
    #[error("cannot read the seccomp profile {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot compile the seccomp profile {source_name}: {message}")]
    Compile {
        source_name: String,
        message: String,
    },
    #[error("the seccomp profile {source_name} has no filter named {name:?} (it needs \"allow\" and \"deny\")")]
    Missing {
        source_name: String,
        name: &'static str,
    },
    #[error("seccomp filters exist only for x86_64 and aarch64 hosts")]
    UnsupportedArch,
}

/// The compiled filters, installed in this order.
#[derive(Clone, Debug)]
pub struct Filters {
    pub allow: BpfProgram,
    pub deny: BpfProgram,
    /// sha256 of the profile text, recorded in every result's provenance.
    pub profile_sha256: String,
}

fn target_arch() -> Result<TargetArch, SeccompError> {
    match std::env::consts::ARCH {
        "x86_64" => Ok(TargetArch::x86_64),
        "aarch64" => Ok(TargetArch::aarch64),
        _ => Err(SeccompError::UnsupportedArch),
    }
}

impl Filters {
    /// Compiles the profile at `path`, or the built-in one.
    pub fn load(path: Option<&Path>) -> Result<Filters, SeccompError> {
        match path {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| SeccompError::Read {
                    path: path.display().to_string(),
                    source,
                })?;
                Filters::compile(&text, &path.display().to_string())
            }
            None => Filters::compile(BUILTIN_PROFILE, "seccomp/profile.json (built in)"),
        }
    }

    pub fn compile(text: &str, source_name: &str) -> Result<Filters, SeccompError> {
        let mut map = seccompiler::compile_from_json(text.as_bytes(), target_arch()?).map_err(
            |e| SeccompError::Compile {
                source_name: source_name.to_string(),
                message: e.to_string(),
            },
        )?;
        let mut take = |name: &'static str| {
            map.remove(name).ok_or(SeccompError::Missing {
                source_name: source_name.to_string(),
                name,
            })
        };
        Ok(Filters {
            allow: take("allow")?,
            deny: take("deny")?,
            profile_sha256: hex::encode(sha2::Sha256::digest(text.as_bytes())),
        })
    }

    /// Installs both filters on the calling (single-threaded) process: allow-list first,
    /// then the denials, so that among equal ERRNO actions the EPERM of the later one wins.
    pub fn install(&self) -> Result<(), crate::sys::SysError> {
        crate::sys::install_seccomp(&self.allow)?;
        crate::sys::install_seccomp(&self.deny)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_profile_compiles_into_two_filters() {
        let filters = Filters::load(None).unwrap();
        assert!(!filters.allow.is_empty() && !filters.deny.is_empty());
        assert_eq!(filters.profile_sha256.len(), 64);
    }

    #[test]
    fn a_profile_without_the_deny_filter_is_refused() {
        let text = r#"{"allow": {"mismatch_action": {"errno": 38}, "filter_action": "allow",
                      "filter": [{"syscall": "read"}]}}"#;
        let err = Filters::compile(text, "test").unwrap_err();
        assert!(err.to_string().contains("\"deny\""), "{err}");
    }
}
