//! Helpers for the image tests: raw tar building (names the `tar` crate's builder would
//! refuse), and a loopback registry started by scripts/build-test-images.sh.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Tests that need a host feature skip loudly, unless LOCALEVAL_TESTS_MUST_RUN=1.
pub fn skip(why: &str) {
    if std::env::var("LOCALEVAL_TESTS_MUST_RUN").as_deref() == Ok("1") {
        panic!("LOCALEVAL_TESTS_MUST_RUN=1 but: {why}");
    }
    eprintln!("SKIPPED: {why}");
}

pub fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// A tar stream written entry by entry, with raw names.
#[derive(Default)]
pub struct Tar {
    buf: Vec<u8>,
}

impl Tar {
    pub fn new() -> Tar {
        Tar::default()
    }

    fn pad(&mut self) {
        let rem = self.buf.len() % 512;
        if rem != 0 {
            self.buf.resize(self.buf.len() + 512 - rem, 0);
        }
    }

    /// A PAX extended header applying to the next entry.
    pub fn pax(&mut self, records: &[(&str, &[u8])]) -> &mut Tar {
        let mut body = Vec::new();
        for (key, value) in records {
            let rest = 1 + key.len() + 1 + value.len() + 1;
            let mut len = rest + 1;
            while len.to_string().len() + rest != len {
                len += 1;
            }
            body.extend_from_slice(format!("{len} {key}=").as_bytes());
            body.extend_from_slice(value);
            body.push(b'\n');
        }
        self.entry_raw(
            b"pax",
            tar::EntryType::XHeader,
            0o644,
            b"",
            &body,
            None,
            (0, 0),
        )
    }

    #[allow(clippy::too_many_arguments)]
    pub fn entry_raw(
        &mut self,
        name: &[u8],
        kind: tar::EntryType,
        mode: u32,
        link: &[u8],
        data: &[u8],
        declared_size: Option<u64>,
        dev: (u32, u32),
    ) -> &mut Tar {
        if name.len() > 100 {
            self.pax(&[("path", name)]);
            return self.entry_raw(
                b"long-name-placeholder",
                kind,
                mode,
                link,
                data,
                declared_size,
                dev,
            );
        }
        if link.len() > 100 {
            self.pax(&[("linkpath", link)]);
            return self.entry_raw(
                name,
                kind,
                mode,
                b"long-link-placeholder",
                data,
                declared_size,
                dev,
            );
        }
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(kind);
        h.set_mode(mode);
        h.set_size(declared_size.unwrap_or(data.len() as u64));
        h.set_mtime(1_700_000_000);
        h.set_uid(0);
        h.set_gid(0);
        h.as_old_mut().name[..name.len()].copy_from_slice(name);
        h.as_old_mut().linkname[..link.len()].copy_from_slice(link);
        if dev != (0, 0) {
            h.set_device_major(dev.0).unwrap();
            h.set_device_minor(dev.1).unwrap();
        }
        h.set_cksum();
        self.buf.extend_from_slice(h.as_bytes());
        self.buf.extend_from_slice(data);
        self.pad();
        self
    }

    pub fn file(&mut self, name: &str, data: &[u8]) -> &mut Tar {
        self.file_mode(name, data, 0o644)
    }

    pub fn file_mode(&mut self, name: &str, data: &[u8], mode: u32) -> &mut Tar {
        self.entry_raw(
            name.as_bytes(),
            tar::EntryType::Regular,
            mode,
            b"",
            data,
            None,
            (0, 0),
        )
    }

    pub fn dir(&mut self, name: &str, mode: u32) -> &mut Tar {
        self.entry_raw(
            name.as_bytes(),
            tar::EntryType::Directory,
            mode,
            b"",
            b"",
            None,
            (0, 0),
        )
    }

    pub fn symlink(&mut self, name: &str, target: &str) -> &mut Tar {
        self.entry_raw(
            name.as_bytes(),
            tar::EntryType::Symlink,
            0o777,
            target.as_bytes(),
            b"",
            None,
            (0, 0),
        )
    }

    pub fn hardlink(&mut self, name: &str, target: &str) -> &mut Tar {
        self.entry_raw(
            name.as_bytes(),
            tar::EntryType::Link,
            0o644,
            target.as_bytes(),
            b"",
            None,
            (0, 0),
        )
    }

    pub fn finish(&mut self) -> Vec<u8> {
        let mut out = std::mem::take(&mut self.buf);
        out.extend_from_slice(&[0u8; 1024]);
        out
    }

    pub fn gzip(&mut self) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(&self.finish()).unwrap();
        enc.finish().unwrap()
    }
}

/// A listing of a tree (path, kind, mode, content or link target), to tell whether it
/// changed.
pub fn snapshot(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for path in entries {
            let meta = std::fs::symlink_metadata(&path).unwrap();
            use std::os::unix::fs::MetadataExt;
            let rel = path.strip_prefix(base).unwrap().display().to_string();
            if meta.file_type().is_symlink() {
                out.push(format!(
                    "{rel} -> {}",
                    std::fs::read_link(&path).unwrap().display()
                ));
            } else if meta.is_dir() {
                out.push(format!("{rel}/ {:o}", meta.mode()));
                walk(base, &path, out);
            } else {
                let data = std::fs::read(&path).unwrap();
                out.push(format!(
                    "{rel} {:o} {:?}",
                    meta.mode(),
                    String::from_utf8_lossy(&data)
                ));
            }
        }
    }
    walk(dir, dir, &mut out);
    out
}

/// A registry from scripts/build-test-images.sh, killed on drop.
pub struct Registry {
    pub dir: tempfile::TempDir,
    pub port: u16,
    pid: u32,
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/build-test-images.sh")
}

fn run_script(args: &[&str]) -> Result<String, String> {
    run_script_with(args, &RegistryOptions::default())
}

/// How a test registry is set up.
#[derive(Default)]
pub struct RegistryOptions<'a> {
    /// Basic auth `user:password` (htpasswd).
    pub basic: Option<&'a str>,
    /// Bearer tokens: the token server's URL (realm) and the PEM certificate bundle the
    /// registry trusts token signatures from.
    pub token: Option<(&'a str, &'a Path)>,
    /// Build (debootstrap, cached) and push the Debian python image too.
    pub python: bool,
}

fn script_env(command: &mut Command, options: &RegistryOptions) {
    if let Some((realm, bundle)) = options.token {
        command
            .env("LOCALEVAL_TEST_TOKEN_REALM", realm)
            .env("LOCALEVAL_TEST_TOKEN_BUNDLE", bundle);
    }
    if options.python {
        command
            .env("LOCALEVAL_TEST_DEBIAN", "1")
            .env("LOCALEVAL_TEST_PUSH_PYTHON", "1");
    }
}

fn run_script_with(args: &[&str], options: &RegistryOptions) -> Result<String, String> {
    let mut command = Command::new("bash");
    command.arg(script()).args(args);
    script_env(&mut command, options);
    let out = command
        .output()
        .map_err(|e| format!("cannot run {}: {e}", script().display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} {args:?} failed ({}): {}",
            script().display(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn have(tool: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

impl Registry {
    /// Builds the test images (cached), starts a registry and pushes them. `None` (after a
    /// loud skip) when the tools are missing.
    pub fn start(auth: Option<&str>) -> Option<Registry> {
        Registry::start_with(RegistryOptions {
            basic: auth,
            ..Default::default()
        })
    }

    pub fn start_with(options: RegistryOptions) -> Option<Registry> {
        let mut tools = vec!["docker-registry", "skopeo", "umoci", "python3"];
        if options.python {
            tools.push("debootstrap");
        }
        for tool in tools {
            if !have(tool) {
                skip(&format!("{tool} is not installed (apt-get install docker-registry skopeo umoci busybox-static apache2-utils debootstrap)"));
                return None;
            }
        }
        static BUILD: std::sync::Mutex<()> = std::sync::Mutex::new(());
        {
            let _guard = BUILD.lock().unwrap_or_else(|e| e.into_inner());
            run_script_with(&["build"], &options).expect("building the test images");
        }
        let dir = tempfile::tempdir().unwrap();
        let mut args = vec!["serve", dir.path().to_str().unwrap()];
        if let Some(auth) = options.basic {
            args.push(auth);
        }
        let out = run_script_with(&args, &options).expect("starting the registry");
        let mut words = out.split_whitespace();
        let port: u16 = words.next().unwrap().parse().unwrap();
        let pid: u32 = words.next().unwrap().parse().unwrap();
        let registry = Registry { dir, port, pid };
        let port_s = port.to_string();
        let mut args = vec!["push", port_s.as_str()];
        if let Some(auth) = options.basic {
            args.push(auth);
        }
        run_script_with(&args, &options).expect("pushing the test images");
        Some(registry)
    }

    pub fn reference(&self, name: &str) -> String {
        format!("127.0.0.1:{}/{name}:latest", self.port)
    }

    pub fn kill(&mut self) {
        let _ = Command::new("kill")
            .arg("-9")
            .arg(self.pid.to_string())
            .status();
        // Reap it (it is not our child: the script started it) by waiting until it is gone.
        for _ in 0..100 {
            if !Path::new(&format!("/proc/{}", self.pid)).exists()
                || std::fs::read_to_string(format!("/proc/{}/stat", self.pid))
                    .map(|s| s.contains(") Z "))
                    .unwrap_or(true)
            {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }

    pub fn restart(&mut self) {
        let out = run_script(&["restart", self.dir.path().to_str().unwrap()])
            .expect("restarting the registry");
        self.pid = out.split_whitespace().nth(1).unwrap().parse().unwrap();
    }

    /// The registry's stored file for a blob.
    pub fn blob_file(&self, digest: &str) -> PathBuf {
        let hex = digest.trim_start_matches("sha256:");
        self.dir
            .path()
            .join("storage/docker/registry/v2/blobs/sha256")
            .join(&hex[..2])
            .join(hex)
            .join("data")
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        self.kill();
    }
}
