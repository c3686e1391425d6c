//! `localeval install-unit`: installs the systemd units of deploy/systemd (root service or
//! user service) with the default configuration, or lays out a package tree (`--root`).
//! README "Install" lists the exact commands; the VM test (scripts/vm/systemd-checks.sh)
//! runs them under systemd.

use std::path::{Path, PathBuf};

/// The root service unit, as shipped.
pub const ROOT_UNIT: &str = include_str!("../deploy/systemd/localeval.service");
/// The user service unit, as shipped.
pub const USER_UNIT: &str = include_str!("../deploy/systemd/localeval-user.service");
/// The default configuration of both units.
pub const CONFIG: &str = include_str!("../deploy/systemd/config.toml");
/// Where the shipped units expect the binary.
pub const UNIT_BINARY: &str = "/usr/local/bin/localeval";

#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error("install-unit: {what} {path}: {source}")]
    Io {
        what: &'static str,
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("install-unit: {0}")]
    Refused(String),
    #[error("install-unit: `{command}` failed ({status}); run it by hand to see why")]
    Systemctl { command: String, status: String },
}

/// What to install, lowered from the command line.
#[derive(Clone, Debug)]
pub enum Target {
    /// /etc/systemd/system/localeval.service, /etc/localeval/config.toml, the binary at
    /// /usr/local/bin/localeval (copied there when it runs from elsewhere).
    System,
    /// ~/.config/systemd/user/localeval.service and ~/.config/localeval/config.toml; the
    /// unit runs this very binary.
    User { config_home: PathBuf },
    /// A package tree under DIR: usr/local/bin/localeval, etc/systemd/system/,
    /// usr/lib/systemd/user/, etc/localeval/config.toml, usr/share/doc/localeval/.
    Package { root: PathBuf },
}

/// One file written (or left alone because it existed), for the command's report.
#[derive(Clone, Debug)]
pub struct Installed {
    pub path: PathBuf,
    pub written: bool,
}

/// The user unit with its ExecStart pointing at `binary`.
pub fn user_unit_for(binary: &Path) -> String {
    USER_UNIT.replace(UNIT_BINARY, &binary.display().to_string())
}

fn write(path: &Path, text: &[u8], mode: u32, overwrite: bool) -> Result<Installed, InstallError> {
    use std::os::unix::fs::PermissionsExt;
    let io = |what, source| InstallError::Io {
        what,
        path: path.display().to_string(),
        source,
    };
    if !overwrite && path.exists() {
        return Ok(Installed {
            path: path.to_path_buf(),
            written: false,
        });
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| io("creating the directory of", e))?;
    }
    // Written beside, then renamed: a running binary or a unit being read is never torn.
    let tmp = path.with_extension("install-tmp");
    std::fs::write(&tmp, text).map_err(|e| io("writing", e))?;
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(mode))
        .map_err(|e| io("setting the mode of", e))?;
    std::fs::rename(&tmp, path).map_err(|e| io("renaming into", e))?;
    Ok(Installed {
        path: path.to_path_buf(),
        written: true,
    })
}

/// Installs `target`; `binary` is this executable. Configuration files that exist are
/// kept; units and the binary are replaced.
pub fn install(target: &Target, binary: &Path) -> Result<Vec<Installed>, InstallError> {
    let read_binary = || {
        std::fs::read(binary).map_err(|source| InstallError::Io {
            what: "reading",
            path: binary.display().to_string(),
            source,
        })
    };
    let mut done = Vec::new();
    match target {
        Target::System => {
            if crate::sys::geteuid() != 0 {
                return Err(InstallError::Refused(
                    "the system unit needs root (or use --user for the rootless user unit)".into(),
                ));
            }
            let dest = Path::new(UNIT_BINARY);
            let same = std::fs::canonicalize(dest).ok() == std::fs::canonicalize(binary).ok();
            if !same {
                done.push(write(dest, &read_binary()?, 0o755, true)?);
            }
            done.push(write(
                Path::new("/etc/systemd/system/localeval.service"),
                ROOT_UNIT.as_bytes(),
                0o644,
                true,
            )?);
            done.push(write(
                Path::new("/etc/localeval/config.toml"),
                CONFIG.as_bytes(),
                0o644,
                false,
            )?);
        }
        Target::User { config_home } => {
            done.push(write(
                &config_home.join("systemd/user/localeval.service"),
                user_unit_for(binary).as_bytes(),
                0o644,
                true,
            )?);
            done.push(write(
                &config_home.join("localeval/config.toml"),
                CONFIG.as_bytes(),
                0o644,
                false,
            )?);
        }
        Target::Package { root } => {
            let at = |p: &str| root.join(p);
            done.push(write(
                &at("usr/local/bin/localeval"),
                &read_binary()?,
                0o755,
                true,
            )?);
            done.push(write(
                &at("etc/systemd/system/localeval.service"),
                ROOT_UNIT.as_bytes(),
                0o644,
                true,
            )?);
            done.push(write(
                &at("usr/lib/systemd/user/localeval.service"),
                USER_UNIT.as_bytes(),
                0o644,
                true,
            )?);
            done.push(write(
                &at("etc/localeval/config.toml"),
                CONFIG.as_bytes(),
                0o644,
                true,
            )?);
            done.push(write(
                &at("usr/share/doc/localeval/seccomp.json"),
                include_bytes!("../deploy/seccomp.json"),
                0o644,
                true,
            )?);
        }
    }
    Ok(done)
}

/// `systemctl [--user] daemon-reload`, then `enable --now localeval`.
pub fn enable_now(user: bool) -> Result<(), InstallError> {
    let scope: &[&str] = if user { &["--user"] } else { &[] };
    for args in [
        &["daemon-reload"][..],
        &["enable", "--now", "localeval"][..],
    ] {
        let mut command = std::process::Command::new("systemctl");
        command.args(scope).args(args);
        let shown = format!("systemctl {}", [scope, args].concat().join(" "));
        let status = command.status().map_err(|source| InstallError::Io {
            what: "running",
            path: shown.clone(),
            source,
        })?;
        if !status.success() {
            return Err(InstallError::Systemctl {
                command: shown,
                status: status.to_string(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_package_tree_holds_binary_units_config_and_profile() {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        std::fs::write(&bin, b"\x7fELF").unwrap();
        let root = dir.path().join("pkg");
        let done = install(&Target::Package { root: root.clone() }, &bin).unwrap();
        assert_eq!(done.len(), 5);
        for p in [
            "usr/local/bin/localeval",
            "etc/systemd/system/localeval.service",
            "usr/lib/systemd/user/localeval.service",
            "etc/localeval/config.toml",
            "usr/share/doc/localeval/seccomp.json",
        ] {
            assert!(root.join(p).is_file(), "{p} missing");
        }
        let unit =
            std::fs::read_to_string(root.join("etc/systemd/system/localeval.service")).unwrap();
        assert!(unit.contains("\nDelegate=yes\n"));
        assert!(unit.contains("\nType=notify\n"));
        assert!(unit.contains(&format!("ExecStart={UNIT_BINARY} serve")));
        // The default configuration parses as the server's configuration file.
        let config: crate::server::config::FileConfig = toml::from_str(
            &std::fs::read_to_string(root.join("etc/localeval/config.toml")).unwrap(),
        )
        .unwrap();
        assert!(config.listen.unwrap().ip().is_loopback());
    }

    #[test]
    fn the_user_unit_runs_this_binary_and_keeps_an_existing_config() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("config");
        std::fs::create_dir_all(home.join("localeval")).unwrap();
        std::fs::write(
            home.join("localeval/config.toml"),
            "listen = \"127.0.0.1:9\"\n",
        )
        .unwrap();
        let bin = PathBuf::from("/opt/x/localeval");
        let done = install(
            &Target::User {
                config_home: home.clone(),
            },
            &bin,
        )
        .unwrap();
        assert!(done[0].written);
        assert!(!done[1].written, "an existing config is kept");
        let unit = std::fs::read_to_string(home.join("systemd/user/localeval.service")).unwrap();
        assert!(unit.contains("ExecStart=/opt/x/localeval serve"), "{unit}");
        assert!(unit.contains("\nDelegate=yes\n"));
        assert_eq!(
            std::fs::read_to_string(home.join("localeval/config.toml")).unwrap(),
            "listen = \"127.0.0.1:9\"\n"
        );
    }
}
