//! The content-addressed image store.
//!
//! ```text
//! <root>/                  0700, like everything below it, owned by the service user
//!   blobs/sha256/<hex>     verified blobs (indexes, manifests, configs, layers)
//!   roots/<hex>            unpacked roots, by manifest digest, ready for the jail
//!   tmp/                   partial downloads (<hex>.partial, kept for resuming), unpacks
//!   locks/                 flock files: blob-<hex>, root-<hex>, use-<hex>, gc, index,
//!                          each removed when its last holder lets go (`LockFile`)
//!   images.json            the records: reference -> manifest, config summary, last use
//!                          (to the minute: `Store::record_use`)
//! ```
//!
//! A root appears under `roots/` only by an atomic rename of a fully unpacked and prepared
//! temporary directory, so nothing there is ever half done. Pulls take the `gc` lock shared
//! and each blob's and root's lock exclusive, so concurrent pulls of one image wait for
//! each other and then find the work done; `gc` takes it exclusive.

use std::collections::HashSet;
use std::fs::File;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use rustix::fs::FlockOperation;
use serde::{Deserialize, Serialize};

use super::reference::{
    check_digest, docker_config_credentials, docker_config_path, Credentials, ImageRef,
};
use super::registry::{Descriptor, Manifest, Remote};
use super::unpack::{self, UnpackLimits, UnpackStats};
use super::{env_is_allowed, host_architecture, ImageError};
use crate::rootfs::{resolve_working_dir, RootfsPlan, IMAGE_WORKDIR_ENV};

/// How a store is set up.
#[derive(Clone, Debug)]
pub struct StoreOptions {
    pub limits: UnpackLimits,
    /// Largest compressed blob accepted.
    pub max_blob_bytes: u64,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            limits: UnpackLimits::default(),
            max_blob_bytes: 8 << 30,
        }
    }
}

/// How one pull talks to the registry.
#[derive(Clone, Debug, Default)]
pub struct PullOptions {
    /// Allow plain HTTP to a registry that is not on loopback.
    pub insecure: bool,
    /// Basic credentials; when none, the Docker config file is consulted.
    pub credentials: Option<Credentials>,
    /// The Docker config file to read credentials from (default `~/.docker/config.json`).
    pub docker_config: Option<PathBuf>,
    /// The platform's architecture (default: this host's).
    pub architecture: Option<String>,
}

/// What a pull reports as it goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PullEvent {
    /// The manifest is known: its digest, layer count and compressed size.
    Resolved {
        digest: String,
        layers: usize,
        bytes: u64,
    },
    /// A blob download starts (or resumes from `resumed_from` bytes kept from before).
    BlobStart {
        digest: String,
        size: u64,
        resumed_from: u64,
    },
    BlobProgress {
        digest: String,
        done: u64,
        size: u64,
    },
    /// A blob is in the store (`cached`: it already was).
    BlobDone {
        digest: String,
        cached: bool,
    },
    Unpacking {
        digest: String,
    },
    Done {
        digest: String,
        cached: bool,
    },
}

/// Receives pull events (a CLI progress bar, the server's progress stream).
pub trait PullProgress: Send + Sync {
    fn event(&self, event: &PullEvent);
}

/// Progress that goes nowhere.
pub struct NoProgress;
impl PullProgress for NoProgress {
    fn event(&self, _: &PullEvent) {}
}

/// The parts of an image config the store honours, already made safe.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ImageConfig {
    /// `Env` without `LD_*` and the other loader/libc variables, and without malformed
    /// entries.
    pub env: Vec<(String, String)>,
    /// `WorkingDir` as written; checked against the unpacked root when a run is planned
    /// ([`crate::rootfs::resolve_working_dir`]).
    pub working_dir: Option<String>,
    /// `User`, unless it names root (never honoured as root).
    pub user: Option<String>,
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
    pub architecture: String,
    pub os: String,
}

/// One image in the store.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ImageRecord {
    /// The normalized reference it was pulled by.
    pub reference: String,
    /// The platform manifest's digest: the rootfs digest in every result's provenance.
    pub digest: String,
    /// The index it was picked from, if any.
    pub index_digest: Option<String>,
    pub config_digest: String,
    pub layers: Vec<String>,
    /// Compressed bytes (config and layers).
    pub size: u64,
    /// Bytes of regular files unpacked.
    pub unpacked_bytes: u64,
    pub config: ImageConfig,
    /// Unix seconds.
    pub pulled_at: u64,
    pub last_used: Option<u64>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Index {
    images: Vec<ImageRecord>,
}

/// What `gc` removed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct GcReport {
    pub roots: Vec<String>,
    pub blobs: Vec<String>,
    pub bytes: u64,
}

/// A shared hold on an image root while a sandbox uses it: `gc` and `rmi` never remove a
/// root someone holds, in this process or another.
pub struct Lease {
    _lock: LockFile,
}

/// A held `flock` on a file in `locks/`, which removes the file when it is released and no
/// one else holds it, so `locks/` does not grow with every blob and root ever pulled.
///
/// Removing a lock file safely needs every taker to follow one rule: after `flock`
/// returns, the path must still name the inode that was locked (`fstat` of the descriptor
/// against `stat` of the path); otherwise the file was unlinked by the holder before (who
/// then released it) and the taker starts over with a fresh file. With that rule:
/// - an exclusive holder unlinks the file while it still holds the lock (no one else can
///   hold that inode then, and anyone waiting on it will find it unlinked and retry);
/// - a shared holder releases its lock, then takes the lock exclusive without waiting on a
///   fresh descriptor (only when the file still exists) and unlinks it if that succeeds and
///   the path still names it; if another holder is there, that one removes it later.
pub(crate) struct LockFile {
    file: Option<File>,
    path: PathBuf,
    exclusive: bool,
}

impl LockFile {
    fn is_current(file: &File, path: &Path) -> bool {
        use std::os::unix::fs::MetadataExt;
        match (file.metadata(), std::fs::metadata(path)) {
            (Ok(held), Ok(named)) => held.dev() == named.dev() && held.ino() == named.ino(),
            _ => false,
        }
    }

    /// Takes the lock at `path` (creating the file), retrying while the file it locked was
    /// removed by its previous holder.
    fn acquire(path: &Path, op: FlockOperation) -> std::io::Result<LockFile> {
        let exclusive = matches!(
            op,
            FlockOperation::LockExclusive | FlockOperation::NonBlockingLockExclusive
        );
        loop {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(path)?;
            match rustix::fs::flock(&file, op) {
                Ok(()) => {}
                Err(rustix::io::Errno::INTR) => continue,
                Err(e) => return Err(e.into()),
            }
            if LockFile::is_current(&file, path) {
                return Ok(LockFile {
                    file: Some(file),
                    path: path.to_path_buf(),
                    exclusive,
                });
            }
        }
    }
}

impl Drop for LockFile {
    fn drop(&mut self) {
        let Some(file) = self.file.take() else { return };
        if self.exclusive {
            // The path names this inode (checked when taken, and only a holder of its
            // exclusive lock unlinks it): unlink, then release.
            let _ = std::fs::remove_file(&self.path);
            drop(file);
            return;
        }
        drop(file);
        let Ok(file) = std::fs::OpenOptions::new().write(true).open(&self.path) else {
            return;
        };
        if rustix::fs::flock(&file, FlockOperation::NonBlockingLockExclusive).is_ok()
            && LockFile::is_current(&file, &self.path)
        {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// The image store.
#[derive(Clone)]
pub struct Store {
    root: PathBuf,
    options: StoreOptions,
}

/// How stale a recorded last use may get before a use rewrites it (see
/// `Store::record_use`).
pub const LAST_USE_GRANULARITY_SECS: u64 = 60;

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn hex_of(digest: &str) -> &str {
    digest.strip_prefix("sha256:").unwrap_or(digest)
}

impl Store {
    /// `/var/lib/localeval/images` for root, `$XDG_DATA_HOME/localeval/images` (or
    /// `~/.local/share/localeval/images`) otherwise.
    pub fn default_root() -> PathBuf {
        if rustix::process::geteuid().is_root() {
            return PathBuf::from("/var/lib/localeval/images");
        }
        let base = std::env::var_os("XDG_DATA_HOME")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
            .unwrap_or_else(|| PathBuf::from("/tmp"));
        base.join("localeval/images")
    }

    pub fn open(root: impl AsRef<Path>) -> Result<Store, ImageError> {
        Store::open_with(root, StoreOptions::default())
    }

    /// Opens (creating) a store; its directories are 0700.
    pub fn open_with(root: impl AsRef<Path>, options: StoreOptions) -> Result<Store, ImageError> {
        let root = root.as_ref().to_path_buf();
        let store = Store { root, options };
        for dir in ["", "blobs/sha256", "roots", "tmp", "locks"] {
            let path = store.root.join(dir);
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&path)
                .map_err(|e| store.err(&path, "create directory", e))?;
        }
        // Every directory is 0700, also for stores made before (CVE-2021-41091: unpacked
        // roots must not be reachable by other host users). The jail opens an image root
        // here, as the service user, before it enters the sandbox's user namespace.
        for dir in ["", "roots"] {
            let path = store.root.join(dir);
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o700))
                .map_err(|e| store.err(&path, "chmod 0700", e))?;
        }
        Ok(store)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn err(&self, path: &Path, what: &str, source: std::io::Error) -> ImageError {
        ImageError::Store {
            path: path.display().to_string(),
            what: what.to_string(),
            source,
        }
    }

    pub fn blob_path(&self, digest: &str) -> PathBuf {
        self.root.join("blobs/sha256").join(hex_of(digest))
    }

    /// Where the unpacked root of a manifest lives (present only once complete).
    pub fn root_path(&self, digest: &str) -> PathBuf {
        self.root.join("roots").join(hex_of(digest))
    }

    fn lock(&self, name: &str, op: FlockOperation) -> Result<LockFile, ImageError> {
        let path = self.root.join("locks").join(name);
        LockFile::acquire(&path, op).map_err(|e| self.err(&path, "lock", e))
    }

    async fn lock_async(&self, name: String, op: FlockOperation) -> Result<LockFile, ImageError> {
        let store = self.clone();
        tokio::task::spawn_blocking(move || store.lock(&name, op))
            .await
            .expect("lock task")
    }

    fn write_atomic(&self, path: &Path, bytes: &[u8]) -> Result<(), ImageError> {
        static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let tmp = self.root.join("tmp").join(format!(
            "write-{}-{}-{}",
            std::process::id(),
            SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        ));
        // Written and flushed to disk before the rename, so that after a crash the path
        // holds either the old or the new content, never a truncated file.
        let written = std::fs::File::create(&tmp).and_then(|mut f| {
            std::io::Write::write_all(&mut f, bytes)?;
            f.sync_all()
        });
        written.map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            self.err(&tmp, "write", e)
        })?;
        std::fs::rename(&tmp, path).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            self.err(path, "rename into place", e)
        })?;
        if let Some(dir) = path.parent() {
            // The rename itself made durable; a failure here loses nothing already there.
            if let Ok(dir) = File::open(dir) {
                let _ = dir.sync_all();
            }
        }
        Ok(())
    }

    fn read_index(&self) -> Result<Index, ImageError> {
        let path = self.root.join("images.json");
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                self.err(
                    &path,
                    "parse",
                    std::io::Error::new(std::io::ErrorKind::InvalidData, e),
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Index::default()),
            Err(e) => Err(self.err(&path, "read", e)),
        }
    }

    fn update_index<T>(&self, f: impl FnOnce(&mut Index) -> T) -> Result<T, ImageError> {
        let _lock = self.lock("index", FlockOperation::LockExclusive)?;
        let mut index = self.read_index()?;
        let out = f(&mut index);
        let bytes = serde_json::to_vec_pretty(&index).expect("index serializes");
        self.write_atomic(&self.root.join("images.json"), &bytes)?;
        Ok(out)
    }

    /// Every image in the store.
    pub fn list(&self) -> Result<Vec<ImageRecord>, ImageError> {
        Ok(self.read_index()?.images)
    }

    /// Finds an image by reference (normalized or as written), by digest, or by a digest
    /// prefix of at least 12 hex digits.
    pub fn find(&self, name: &str) -> Result<ImageRecord, ImageError> {
        let images = self.list()?;
        let parsed = ImageRef::parse(name).ok();
        let normalized = parsed.as_ref().map(|r| r.to_string());
        if let Some(r) = images
            .iter()
            .find(|r| r.reference == name || Some(&r.reference) == normalized.as_ref())
        {
            return Ok(r.clone());
        }
        // A reference pinned by digest (`repo@sha256:…`, as catalogs should write them)
        // names the image of that repository pulled by any tag, by its manifest or index.
        if let Some(wanted) = parsed.as_ref().filter(|p| p.digest().is_some()) {
            let same_repository = |r: &&ImageRecord| {
                ImageRef::parse(&r.reference).is_ok_and(|pulled| {
                    pulled.registry() == wanted.registry()
                        && pulled.repository() == wanted.repository()
                })
            };
            let digest = wanted.digest();
            if let Some(r) = images
                .iter()
                .filter(same_repository)
                .find(|r| Some(r.digest.as_str()) == digest || r.index_digest.as_deref() == digest)
            {
                return Ok(r.clone());
            }
        }
        let hex = hex_of(name);
        if hex.len() >= 12 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            let hits: Vec<_> = images
                .iter()
                .filter(|r| hex_of(&r.digest).starts_with(hex))
                .collect();
            let digests: HashSet<_> = hits.iter().map(|r| &r.digest).collect();
            match digests.len() {
                0 => {}
                1 => return Ok(hits[0].clone()),
                _ => return Err(ImageError::Ambiguous(name.to_string())),
            }
        }
        Err(ImageError::NotFound(name.to_string()))
    }

    /// The root filesystem plan for a pulled image; records its use.
    pub fn rootfs_plan(&self, name: &str) -> Result<RootfsPlan, ImageError> {
        let record = self.find(name)?;
        let path = self.root_path(&record.digest);
        let mut plan = RootfsPlan::directory(
            &record.reference,
            Some(record.digest.clone()),
            &path,
            record.config.env.clone(),
        )?;
        if let Some(working_dir) = &record.config.working_dir {
            // The program starts in the workspace (its files are there and catalog commands
            // name them relative to it); a WorkingDir that stays inside the root is exposed.
            match resolve_working_dir(&path, working_dir) {
                Ok(resolved) => {
                    plan.env.retain(|(k, _)| k != IMAGE_WORKDIR_ENV);
                    plan.env.push((IMAGE_WORKDIR_ENV.to_string(), resolved));
                }
                Err(why) => plan.notes.push(format!(
                    "image WorkingDir {working_dir:?} ignored: it {why}"
                )),
            }
        }
        self.record_use(&record)?;
        Ok(plan)
    }

    /// Records that an image was used, at most once per [`LAST_USE_GRANULARITY_SECS`].
    ///
    /// Last use lives in `images.json` with the rest of the record, and rewriting that file
    /// (under the index lock, then an fsync'd write and an atomic rename) for every run
    /// would serialize runs on one lock and cost a disk flush each. So a use whose record
    /// already says it was used within the granularity (and not in the future: a clock set
    /// back is corrected) writes nothing: `images` shows last use to the minute, which is
    /// what `gc` decisions and people need, and a run pays one read of the file it already
    /// read to find the image. When it does write, the rename keeps the file whole even if
    /// the process or the machine dies mid-write.
    fn record_use(&self, record: &ImageRecord) -> Result<(), ImageError> {
        let t = now();
        let fresh = |last: Option<u64>| {
            last.is_some_and(|last| last <= t && t - last < LAST_USE_GRANULARITY_SECS)
        };
        if fresh(record.last_used) {
            return Ok(());
        }
        let mut changed = false;
        let index_path = self.root.join("images.json");
        let _lock = self.lock("index", FlockOperation::LockExclusive)?;
        let mut index = self.read_index()?;
        for r in index
            .images
            .iter_mut()
            .filter(|r| r.digest == record.digest && !fresh(r.last_used))
        {
            r.last_used = Some(t);
            changed = true;
        }
        if changed {
            let bytes = serde_json::to_vec_pretty(&index).expect("index serializes");
            self.write_atomic(&index_path, &bytes)?;
        }
        Ok(())
    }

    /// Holds an image root against `gc`/`rmi` until the lease is dropped.
    pub fn lease(&self, digest: &str) -> Result<Lease, ImageError> {
        let hex = check_digest(digest).map_err(|why| ImageError::BadReference {
            reference: digest.to_string(),
            why,
        })?;
        Ok(Lease {
            _lock: self.lock(&format!("use-{hex}"), FlockOperation::LockShared)?,
        })
    }

    /// Pulls an image (resuming and reusing what is already in the store) and returns its
    /// record once its root is unpacked and prepared.
    pub async fn pull(
        &self,
        reference: &str,
        options: &PullOptions,
        progress: Arc<dyn PullProgress>,
    ) -> Result<ImageRecord, ImageError> {
        let reference = ImageRef::parse(reference)?;
        let _gc = self
            .lock_async("gc".into(), FlockOperation::LockShared)
            .await?;
        let credentials = match &options.credentials {
            Some(c) => Some(c.clone()),
            None => match options.docker_config.clone().or_else(docker_config_path) {
                Some(path) => docker_config_credentials(&path, reference.registry())?,
                None => None,
            },
        };
        let remote = Remote::new(&reference, credentials, options.insecure)?;
        if !reference.is_loopback() && options.insecure {
            tracing::warn!(
                registry = reference.registry(),
                "plain HTTP to a registry, as asked"
            );
        }
        let arch = options
            .architecture
            .clone()
            .unwrap_or_else(|| host_architecture().to_string());
        let (index, manifest) = remote.resolve(&arch).await?;
        let total: u64 = std::iter::once(&manifest.config)
            .chain(&manifest.layers)
            .map(|d| d.size as u64)
            .sum();
        progress.event(&PullEvent::Resolved {
            digest: manifest.digest.clone(),
            layers: manifest.layers.len(),
            bytes: total,
        });
        if let Some((bytes, digest)) = &index {
            self.put_small_blob(digest, bytes)?;
        }
        self.put_small_blob(&manifest.digest, &manifest.bytes)?;

        for desc in std::iter::once(&manifest.config).chain(&manifest.layers) {
            self.fetch_blob(&remote, desc, progress.as_ref()).await?;
        }
        let config_bytes = std::fs::read(self.blob_path(&manifest.config.digest))
            .map_err(|e| self.err(&self.blob_path(&manifest.config.digest), "read config", e))?;
        let config = parse_config(&reference.to_string(), &config_bytes)?;
        if config.os != "linux" || config.architecture != arch {
            return Err(ImageError::BadConfig {
                reference: reference.to_string(),
                why: format!(
                    "the image is for {}/{}, this host runs linux/{arch}",
                    config.os, config.architecture
                ),
            });
        }

        let root_path = self.root_path(&manifest.digest);
        let cached = root_path.exists();
        let unpacked_bytes = if cached {
            self.list()?
                .iter()
                .find(|r| r.digest == manifest.digest)
                .map_or(0, |r| r.unpacked_bytes)
        } else {
            progress.event(&PullEvent::Unpacking {
                digest: manifest.digest.clone(),
            });
            let store = self.clone();
            let m = manifest.clone();
            tokio::task::spawn_blocking(move || store.unpack(&m))
                .await
                .expect("unpack task")?
        };
        let record = ImageRecord {
            reference: reference.to_string(),
            digest: manifest.digest.clone(),
            index_digest: index.map(|(_, d)| d),
            config_digest: manifest.config.digest.clone(),
            layers: manifest.layers.iter().map(|l| l.digest.clone()).collect(),
            size: total,
            unpacked_bytes,
            config,
            pulled_at: now(),
            last_used: None,
        };
        let record = self.update_index(|index| {
            let last_used = index
                .images
                .iter()
                .find(|r| r.reference == record.reference)
                .and_then(|r| r.last_used);
            index.images.retain(|r| r.reference != record.reference);
            let record = ImageRecord {
                last_used,
                ..record
            };
            index.images.push(record.clone());
            record
        })?;
        progress.event(&PullEvent::Done {
            digest: manifest.digest.clone(),
            cached,
        });
        Ok(record)
    }

    fn put_small_blob(&self, digest: &str, bytes: &[u8]) -> Result<(), ImageError> {
        let path = self.blob_path(digest);
        if !path.exists() {
            self.write_atomic(&path, bytes)?;
        }
        Ok(())
    }

    async fn fetch_blob(
        &self,
        remote: &Remote,
        desc: &Descriptor,
        progress: &dyn PullProgress,
    ) -> Result<(), ImageError> {
        let size = desc.size as u64;
        if size > self.options.max_blob_bytes {
            return Err(ImageError::BlobTooLarge {
                digest: desc.digest.clone(),
                size,
                cap: self.options.max_blob_bytes,
            });
        }
        let dest = self.blob_path(&desc.digest);
        let done = |cached| PullEvent::BlobDone {
            digest: desc.digest.clone(),
            cached,
        };
        if dest.exists() {
            progress.event(&done(true));
            return Ok(());
        }
        let hex = hex_of(&desc.digest).to_string();
        let _lock = self
            .lock_async(format!("blob-{hex}"), FlockOperation::LockExclusive)
            .await?;
        if dest.exists() {
            progress.event(&done(true));
            return Ok(());
        }
        let partial = self.root.join("tmp").join(format!("{hex}.partial"));
        let mut started = false;
        let digest = desc.digest.clone();
        let mut on_bytes = |done: u64, resumed_from: u64| {
            if !started {
                started = true;
                progress.event(&PullEvent::BlobStart {
                    digest: digest.clone(),
                    size,
                    resumed_from,
                });
            }
            progress.event(&PullEvent::BlobProgress {
                digest: digest.clone(),
                done,
                size,
            });
        };
        remote
            .fetch_blob(desc, &partial, &dest, &mut on_bytes)
            .await?;
        progress.event(&done(false));
        Ok(())
    }

    /// Unpacks a manifest's layers into a fresh temporary directory, prepares it for the
    /// jail and renames it into place. Returns the bytes unpacked.
    fn unpack(&self, manifest: &Manifest) -> Result<u64, ImageError> {
        let hex = hex_of(&manifest.digest).to_string();
        let _lock = self.lock(&format!("root-{hex}"), FlockOperation::LockExclusive)?;
        let dest = self.root_path(&manifest.digest);
        if dest.exists() {
            return Ok(0);
        }
        let tmp =
            self.root
                .join("tmp")
                .join(format!("unpack-{hex}-{}-{}", std::process::id(), now()));
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&tmp)
            .map_err(|e| self.err(&tmp, "create unpack directory", e))?;
        let result = (|| {
            let root = unpack::open_root(&tmp)?;
            let mut stats = UnpackStats::default();
            for layer in &manifest.layers {
                let path = self.blob_path(&layer.digest);
                let file = File::open(&path).map_err(|e| self.err(&path, "open layer", e))?;
                unpack::apply_layer(&root, file, &self.options.limits, &mut stats)?;
            }
            unpack::prepare_root(&root)?;
            std::fs::rename(&tmp, &dest)
                .map_err(|e| self.err(&dest, "rename root into place", e))?;
            Ok(stats.bytes)
        })();
        if result.is_err() {
            self.remove_dir(&tmp);
        }
        result
    }

    fn remove_dir(&self, path: &Path) {
        let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
            return;
        };
        if let Ok(parent) = unpack::open_root(parent) {
            if let Err(e) = unpack::remove_at(&parent, name) {
                tracing::warn!(path = %path.display(), error = %e, "cannot remove");
            }
        }
    }

    /// Forgets an image reference (or every reference of a digest) and removes what no
    /// other image needs. Returns the records removed.
    pub fn remove(&self, name: &str) -> Result<Vec<ImageRecord>, ImageError> {
        let record = self.find(name)?;
        let normalized = ImageRef::parse(name).ok().map(|r| r.to_string());
        let by_digest =
            !(record.reference == name || Some(&record.reference) == normalized.as_ref());
        let removed = self.update_index(|index| {
            let (gone, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut index.images)
                .into_iter()
                .partition(|r| {
                    if by_digest {
                        r.digest == record.digest
                    } else {
                        r.reference == record.reference
                    }
                });
            index.images = kept;
            gone
        })?;
        self.gc(&[])?;
        Ok(removed)
    }

    /// Removes roots and blobs no record references, except the roots in `in_use` and
    /// those leased, and clears `tmp/` (incomplete unpacks and partial downloads). Waits for
    /// running pulls to finish.
    pub fn gc(&self, in_use: &[String]) -> Result<GcReport, ImageError> {
        let _gc = self.lock("gc", FlockOperation::LockExclusive)?;
        let index = self.read_index()?;
        let mut keep_roots: HashSet<String> = index
            .images
            .iter()
            .map(|r| hex_of(&r.digest).to_string())
            .collect();
        keep_roots.extend(in_use.iter().map(|d| hex_of(d).to_string()));
        let mut keep_blobs: HashSet<String> = HashSet::new();
        for r in &index.images {
            keep_blobs.insert(hex_of(&r.digest).into());
            keep_blobs.insert(hex_of(&r.config_digest).into());
            keep_blobs.extend(r.layers.iter().map(|l| hex_of(l).to_string()));
            if let Some(i) = &r.index_digest {
                keep_blobs.insert(hex_of(i).into());
            }
        }
        let mut report = GcReport::default();
        let roots_dir = self.root.join("roots");
        for name in self.dir_names(&roots_dir)? {
            if keep_roots.contains(&name) {
                continue;
            }
            // Leased by a running sandbox (here or in another process): keep it.
            let lock = self.lock(
                &format!("use-{name}"),
                FlockOperation::NonBlockingLockExclusive,
            );
            if lock.is_err() {
                continue;
            }
            // Renamed out of roots/ first, so it never looks complete while going away.
            let doomed = self.root.join("tmp").join(format!("gc-{name}"));
            std::fs::rename(roots_dir.join(&name), &doomed)
                .map_err(|e| self.err(&doomed, "move root out", e))?;
            self.remove_dir(&doomed);
            report.roots.push(format!("sha256:{name}"));
        }
        // Roots kept because in use keep their blobs too, when their manifest is here.
        for hex in keep_roots.clone() {
            if let Ok(bytes) = std::fs::read(self.root.join("blobs/sha256").join(&hex)) {
                keep_blobs.insert(hex.clone());
                if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&bytes) {
                    let digests = v["layers"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .chain(std::iter::once(&v["config"]))
                        .filter_map(|d| d["digest"].as_str());
                    keep_blobs.extend(digests.map(|d| hex_of(d).to_string()));
                }
            }
        }
        let blobs_dir = self.root.join("blobs/sha256");
        for name in self.dir_names(&blobs_dir)? {
            if keep_blobs.contains(&name) {
                continue;
            }
            let path = blobs_dir.join(&name);
            report.bytes += std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            std::fs::remove_file(&path).map_err(|e| self.err(&path, "remove blob", e))?;
            report.blobs.push(format!("sha256:{name}"));
        }
        let tmp = self.root.join("tmp");
        for name in self.dir_names(&tmp)? {
            self.remove_dir(&tmp.join(name));
        }
        Ok(report)
    }

    fn dir_names(&self, dir: &Path) -> Result<Vec<String>, ImageError> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(|e| self.err(dir, "list", e))? {
            let entry = entry.map_err(|e| self.err(dir, "list", e))?;
            if let Some(name) = entry.file_name().to_str() {
                out.push(name.to_string());
            }
        }
        Ok(out)
    }

    /// A blocking pull for callers without a runtime (builds a current-thread one).
    pub fn pull_blocking(
        &self,
        reference: &str,
        options: &PullOptions,
        progress: Arc<dyn PullProgress>,
    ) -> Result<ImageRecord, ImageError> {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| self.err(&self.root, "start a runtime", e))?
            .block_on(self.pull(reference, options, progress))
    }
}

/// Catalog entries and requests naming an image resolve through the store; an image that
/// is not pulled yet is an error naming the `localeval pull` that fixes it (resolving never
/// pulls on a request's path).
impl crate::plan::ImageResolver for Store {
    fn resolve(&self, reference: &str) -> Result<RootfsPlan, String> {
        self.rootfs_plan(reference).map_err(|e| e.to_string())
    }

    fn hold(&self, digest: &str) -> Result<Box<dyn Send + Sync>, String> {
        let lease = self.lease(digest).map_err(|e| e.to_string())?;
        // A root removed between planning and the lease is not run on.
        if !self.root_path(digest).is_dir() {
            return Err(format!(
                "the root of {digest} was removed from the store; pull the image again"
            ));
        }
        Ok(Box::new(lease))
    }
}

/// Reads the parts of an image config the store honours, made safe.
pub fn parse_config(reference: &str, bytes: &[u8]) -> Result<ImageConfig, ImageError> {
    #[derive(Deserialize, Default)]
    #[serde(rename_all = "PascalCase")]
    struct Inner {
        #[serde(default)]
        env: Option<Vec<String>>,
        #[serde(default)]
        working_dir: Option<String>,
        #[serde(default)]
        user: Option<String>,
        #[serde(default)]
        entrypoint: Option<Vec<String>>,
        #[serde(default)]
        cmd: Option<Vec<String>>,
    }
    #[derive(Deserialize)]
    struct Outer {
        #[serde(default)]
        architecture: String,
        #[serde(default)]
        os: String,
        #[serde(default)]
        config: Option<Inner>,
    }
    let outer: Outer = serde_json::from_slice(bytes).map_err(|e| ImageError::BadConfig {
        reference: reference.to_string(),
        why: e.to_string(),
    })?;
    let inner = outer.config.unwrap_or_default();
    let env = inner
        .env
        .unwrap_or_default()
        .into_iter()
        .filter_map(|kv| {
            let (k, v) = kv.split_once('=')?;
            (env_is_allowed(k) && !v.contains('\0')).then(|| (k.to_string(), v.to_string()))
        })
        .collect();
    let user = inner.user.filter(|u| {
        let name = u.split(':').next().unwrap_or("");
        !(u.is_empty() || name == "0" || name == "root")
    });
    let working_dir = inner
        .working_dir
        .filter(|w| !w.is_empty() && !w.contains('\0') && w.len() <= 4096);
    Ok(ImageConfig {
        env,
        working_dir,
        user,
        entrypoint: inner.entrypoint.unwrap_or_default(),
        cmd: inner.cmd.unwrap_or_default(),
        architecture: outer.architecture,
        os: outer.os,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_config_is_made_safe() {
        let c = parse_config(
            "x",
            br#"{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/bin","LD_PRELOAD=/e.so",
                "LD_LIBRARY_PATH=/x","GCONV_PATH=/g","BAD NAME=1","noequals","LANG=C.UTF-8"],
                "User":"0:0","WorkingDir":"/app"}}"#,
        )
        .unwrap();
        assert_eq!(
            c.env,
            vec![
                ("PATH".into(), "/bin".into()),
                ("LANG".into(), "C.UTF-8".into())
            ]
        );
        assert_eq!(c.user, None);
        assert_eq!(c.working_dir.as_deref(), Some("/app"));
        let c = parse_config("x", br#"{"config":{"User":"node"}}"#).unwrap();
        assert_eq!(c.user.as_deref(), Some("node"));
        assert!(parse_config("x", b"not json").is_err());
    }
}
