//! Pulls from a real registry on loopback (Debian's docker-registry, images pushed with
//! skopeo from umoci layouts by scripts/build-test-images.sh). Skipped loudly without the
//! tools, unless LOCALEVAL_TESTS_MUST_RUN=1.

mod image_support;

use std::path::Path;
use std::sync::{Arc, Mutex};

use image_support::{is_root, skip, Registry};
use localeval::image::reference::Credentials;
use localeval::image::{ImageError, PullEvent, PullOptions, PullProgress, Store};
use localeval::rootfs::RootBase;

#[derive(Default)]
struct Events(Mutex<Vec<PullEvent>>);

impl PullProgress for Events {
    fn event(&self, event: &PullEvent) {
        self.0.lock().unwrap().push(event.clone());
    }
}

impl Events {
    fn take(&self) -> Vec<PullEvent> {
        std::mem::take(&mut self.0.lock().unwrap())
    }
}

fn pull(
    store: &Store,
    reference: &str,
    options: &PullOptions,
) -> Result<localeval::image::ImageRecord, ImageError> {
    store.pull_blocking(reference, options, Arc::new(Events::default()))
}

fn store_entries(store: &Store, sub: &str) -> Vec<String> {
    let mut v: Vec<_> = std::fs::read_dir(store.root().join(sub))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    v.sort();
    v
}

fn root_dir(store: &Store, reference: &str) -> std::path::PathBuf {
    let plan = store.rootfs_plan(reference).unwrap();
    match plan.base {
        RootBase::Directory { path } => path,
        other => panic!("not a directory root: {other:?}"),
    }
}

#[test]
fn busybox_pulls_unpacks_and_is_ready_for_the_jail() {
    let Some(registry) = Registry::start(None) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("store")).unwrap();
    let reference = registry.reference("busybox");
    let record = pull(&store, &reference, &PullOptions::default()).unwrap();
    assert!(record.digest.starts_with("sha256:"));
    assert_eq!(
        record.config.env,
        vec![("PATH".to_string(), "/bin".to_string())],
        "LD_PRELOAD kept"
    );
    let plan = store.rootfs_plan(&reference).unwrap();
    assert_eq!(plan.digest.as_deref(), Some(record.digest.as_str()));
    assert_eq!(plan.name, reference);
    let root = root_dir(&store, &reference);
    assert_eq!(
        std::fs::read_to_string(root.join("hello")).unwrap(),
        "hello-from-busybox\n"
    );
    assert!(std::fs::read_to_string(root.join("etc/passwd"))
        .unwrap()
        .contains("sandbox:x:1000:1000"));
    // The store is private, and its records know the image by reference and by digest.
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(store.root())
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o700
    );
    for private in ["blobs", "tmp", "locks"] {
        let mode = std::fs::metadata(store.root().join(private))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700, "{private}");
    }
    assert_eq!(store.find(&record.digest).unwrap().reference, reference);
    assert!(store.list().unwrap()[0].last_used.is_some());
    // Pulling again reuses everything.
    let events = Arc::new(Events::default());
    store
        .pull_blocking(&reference, &PullOptions::default(), events.clone())
        .unwrap();
    let events = events.take();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, PullEvent::Done { cached: true, .. })),
        "{events:?}"
    );
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, PullEvent::BlobStart { .. })),
        "{events:?}"
    );
}

#[test]
fn whiteouts_and_opaque_dirs_of_a_layered_image_apply() {
    let Some(registry) = Registry::start(None) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let reference = registry.reference("layered");
    let record = pull(&store, &reference, &PullOptions::default()).unwrap();
    assert_eq!(record.layers.len(), 3);
    let root = root_dir(&store, &reference);
    assert!(root.join("data/keep").exists());
    assert!(
        !root.join("data/gone").exists(),
        "the whiteout did not delete data/gone"
    );
    assert!(
        !root.join("opq/old1").exists() && !root.join("opq/old2").exists(),
        "opaque dir kept lower files"
    );
    assert_eq!(
        std::fs::read_to_string(root.join("opq/new")).unwrap(),
        "new\n"
    );
    assert!(!root.join("data/.wh.gone").exists() && !root.join("opq/.wh..wh..opq").exists());
}

#[test]
fn the_host_platform_is_picked_from_an_index() {
    let Some(registry) = Registry::start(None) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let reference = registry.reference("multi");
    let host = localeval::image::host_architecture();
    if host != "amd64" && host != "arm64" {
        skip(&format!(
            "the test index has amd64 and arm64 only, this host is {host}"
        ));
        return;
    }
    let record = pull(&store, &reference, &PullOptions::default()).unwrap();
    assert!(record.index_digest.is_some());
    assert_eq!(record.config.architecture, host);
    let root = root_dir(&store, &reference);
    assert_eq!(
        std::fs::read_to_string(root.join("platform")).unwrap(),
        format!("{host}\n")
    );
    // Another architecture is picked when asked, and refused when absent.
    let other = if host == "amd64" { "arm64" } else { "amd64" };
    let options = PullOptions {
        architecture: Some(other.into()),
        ..Default::default()
    };
    let record2 = pull(&store, &reference, &options).unwrap();
    assert_ne!(record2.digest, record.digest);
    let options = PullOptions {
        architecture: Some("s390x".into()),
        ..Default::default()
    };
    let err = pull(&store, &reference, &options).unwrap_err();
    assert!(matches!(err, ImageError::NoPlatform { .. }), "{err}");
    assert!(err.to_string().contains("linux/amd64"), "{err}");
    // By digest too.
    let by_digest = format!("127.0.0.1:{}/multi@{}", registry.port, record.digest);
    assert_eq!(
        pull(&store, &by_digest, &PullOptions::default())
            .unwrap()
            .digest,
        record.digest
    );
}

#[test]
fn basic_auth_from_options_and_docker_config() {
    let Some(registry) = Registry::start(Some("tester:s3cret")) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("store")).unwrap();
    let reference = registry.reference("busybox");
    let no_config = PullOptions {
        docker_config: Some(dir.path().join("none.json")),
        ..Default::default()
    };
    let err = pull(&store, &reference, &no_config).unwrap_err();
    assert!(matches!(err, ImageError::Registry { .. }), "{err}");
    let wrong = PullOptions {
        credentials: Credentials::parse("tester:wrong"),
        ..no_config.clone()
    };
    assert!(pull(&store, &reference, &wrong).is_err());
    assert!(store.list().unwrap().is_empty());
    let right = PullOptions {
        credentials: Credentials::parse("tester:s3cret"),
        ..no_config.clone()
    };
    pull(&store, &reference, &right).unwrap();
    // The same through a Docker config file, in a fresh store.
    let config = dir.path().join("config.json");
    let auth = base64_encode(b"tester:s3cret");
    std::fs::write(
        &config,
        format!(
            r#"{{"auths":{{"127.0.0.1:{}":{{"auth":"{auth}"}}}}}}"#,
            registry.port
        ),
    )
    .unwrap();
    let store2 = Store::open(dir.path().join("store2")).unwrap();
    let options = PullOptions {
        docker_config: Some(config),
        ..Default::default()
    };
    pull(&store2, &reference, &options).unwrap();
}

fn base64_encode(data: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(data)
}

#[test]
fn plain_http_is_refused_for_a_registry_off_loopback() {
    // Nothing listens there; the point is that no plain-HTTP request is made: the client
    // insists on HTTPS and fails on the TLS handshake or connection, not on HTTP.
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let reference = localeval::image::ImageRef::parse("registry.invalid:5000/x:y").unwrap();
    assert!(!reference.is_loopback());
    let err = pull(&store, "registry.invalid:5000/x:y", &PullOptions::default()).unwrap_err();
    assert!(err.to_string().contains("https://"), "{err}");
}

#[test]
fn a_corrupted_blob_is_refused_and_leaves_nothing() {
    let Some(registry) = Registry::start(None) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let reference = registry.reference("busybox");
    // Find the layer through a first store, then corrupt it in the registry's storage.
    let probe = Store::open(dir.path().join("probe")).unwrap();
    let layer = pull(&probe, &reference, &PullOptions::default())
        .unwrap()
        .layers[0]
        .clone();
    let file = registry.blob_file(&layer);
    let mut data = std::fs::read(&file).unwrap();
    let middle = data.len() / 2;
    data[middle] ^= 0xff;
    std::fs::write(&file, &data).unwrap();
    let store = Store::open(dir.path().join("fresh")).unwrap();
    drop(probe);
    let err = pull(&store, &reference, &PullOptions::default()).unwrap_err();
    assert!(matches!(err, ImageError::DigestMismatch { .. }), "{err}");
    assert!(!store.blob_path(&layer).exists());
    assert_eq!(store_entries(&store, "roots"), Vec::<String>::new());
    assert!(
        store_entries(&store, "tmp")
            .iter()
            .all(|n| !n.contains(".partial")),
        "{:?}",
        store_entries(&store, "tmp")
    );
    assert!(store.list().unwrap().is_empty());
}

/// Kills the registry once more than `after` bytes of a blob of at least `min_size` arrived.
struct Killer {
    registry: Mutex<Option<Registry>>,
    after: u64,
    min_size: u64,
    killed: Mutex<bool>,
}

impl PullProgress for Killer {
    fn event(&self, event: &PullEvent) {
        if let PullEvent::BlobProgress { done, size, .. } = event {
            let mut killed = self.killed.lock().unwrap();
            if *size >= self.min_size && *done > self.after && !*killed {
                self.registry.lock().unwrap().as_mut().unwrap().kill();
                *killed = true;
            }
        }
    }
}

#[test]
fn a_pull_interrupted_by_the_registry_dying_resumes() {
    let Some(registry) = Registry::start(None) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let reference = registry.reference("big");
    let killer = Arc::new(Killer {
        registry: Mutex::new(Some(registry)),
        after: 4 << 20,
        min_size: 16 << 20,
        killed: Mutex::new(false),
    });
    let err = store
        .pull_blocking(&reference, &PullOptions::default(), killer.clone())
        .unwrap_err();
    assert!(
        *killer.killed.lock().unwrap(),
        "the registry was never killed"
    );
    assert!(matches!(err, ImageError::Registry { .. }), "{err}");
    assert_eq!(store_entries(&store, "roots"), Vec::<String>::new());
    let partial: Vec<_> = store_entries(&store, "tmp")
        .into_iter()
        .filter(|n| n.ends_with(".partial"))
        .collect();
    assert_eq!(partial.len(), 1, "the partial download was not kept");
    let kept = std::fs::metadata(store.root().join("tmp").join(&partial[0]))
        .unwrap()
        .len();
    assert!(kept > 0);
    // The registry comes back on the same port; the pull resumes where it stopped.
    let mut registry = killer.registry.lock().unwrap().take().unwrap();
    registry.restart();
    let events = Arc::new(Events::default());
    let record = store
        .pull_blocking(&reference, &PullOptions::default(), events.clone())
        .unwrap();
    let resumed: Vec<u64> = events
        .take()
        .iter()
        .filter_map(|e| match e {
            PullEvent::BlobStart { resumed_from, .. } if *resumed_from > 0 => Some(*resumed_from),
            _ => None,
        })
        .collect();
    assert_eq!(
        resumed,
        vec![kept],
        "the download did not resume from the kept bytes"
    );
    let root = root_dir(&store, &reference);
    assert_eq!(
        std::fs::metadata(root.join("random.bin")).unwrap().len(),
        32 << 20
    );
    assert!(record.layers.iter().all(|l| store.blob_path(l).exists()));
    drop(registry);
}

#[test]
fn concurrent_pulls_of_one_image_download_each_blob_once() {
    let Some(registry) = Registry::start(None) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let reference = registry.reference("big");
    let events = Arc::new(Events::default());
    let handles: Vec<_> = (0..3)
        .map(|_| {
            let store = Store::open(dir.path()).unwrap();
            let reference = reference.clone();
            let events = events.clone();
            std::thread::spawn(move || {
                store
                    .pull_blocking(&reference, &PullOptions::default(), events)
                    .unwrap()
            })
        })
        .collect();
    let records: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert!(records.iter().all(|r| r.digest == records[0].digest));
    let starts = events
        .take()
        .iter()
        .filter(|e| matches!(e, PullEvent::BlobStart { .. }))
        .count();
    assert_eq!(
        starts,
        1 + records[0].layers.len(),
        "blobs downloaded more than once"
    );
    assert_eq!(store_entries(&store, "roots").len(), 1);
    assert_eq!(store.list().unwrap().len(), 1);
    assert_eq!(
        store_entries(&store, "locks"),
        Vec::<String>::new(),
        "lock files left behind"
    );
}

#[test]
fn lock_files_are_removed_after_pulls_failed_pulls_leases_and_gc() {
    let Some(registry) = Registry::start(None) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let no_locks = |when: &str| {
        assert_eq!(
            store_entries(&store, "locks"),
            Vec::<String>::new(),
            "lock files left {when}"
        )
    };
    let busybox = registry.reference("busybox");
    let record = pull(&store, &busybox, &PullOptions::default()).unwrap();
    no_locks("after a pull");
    pull(&store, &busybox, &PullOptions::default()).unwrap();
    no_locks("after a pull that found everything there");
    let err = pull(
        &store,
        &format!("127.0.0.1:{}/no-such-image:1", registry.port),
        &PullOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(err, ImageError::Registry { .. }), "{err}");
    no_locks("after a failed pull");
    // A lease holds its lock file while it lives; dropping it removes the file, and a gc
    // that ran meanwhile neither removed the leased root nor left its own locks.
    let lease = store.lease(&record.digest).unwrap();
    let hex = record.digest.trim_start_matches("sha256:");
    assert_eq!(store_entries(&store, "locks"), vec![format!("use-{hex}")]);
    store.remove(&busybox).unwrap();
    assert!(store.root_path(&record.digest).exists());
    assert_eq!(store_entries(&store, "locks"), vec![format!("use-{hex}")]);
    drop(lease);
    no_locks("after a lease ended");
    assert_eq!(store.gc(&[]).unwrap().roots, vec![record.digest.clone()]);
    no_locks("after gc");
    // Two leases at once: the file goes with the last one.
    pull(&store, &busybox, &PullOptions::default()).unwrap();
    let (a, b) = (
        store.lease(&record.digest).unwrap(),
        store.lease(&record.digest).unwrap(),
    );
    drop(a);
    assert_eq!(store_entries(&store, "locks"), vec![format!("use-{hex}")]);
    drop(b);
    no_locks("after two leases ended");
}

/// The inode and modification time of `images.json`: a rewrite (always a rename of a new
/// file) changes the inode.
fn index_identity(store: &Store) -> (u64, std::time::SystemTime) {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(store.root().join("images.json")).unwrap();
    (meta.ino(), meta.modified().unwrap())
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[test]
fn using_an_image_records_last_use_without_rewriting_the_index_every_run() {
    let Some(registry) = Registry::start(None) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let reference = registry.reference("busybox");
    pull(&store, &reference, &PullOptions::default()).unwrap();
    assert_eq!(store.list().unwrap()[0].last_used, None);
    // The first use records it.
    let before = index_identity(&store);
    store.rootfs_plan(&reference).unwrap();
    let after_first = index_identity(&store);
    assert_ne!(before.0, after_first.0, "the first use was not recorded");
    let used = store.list().unwrap()[0].last_used.expect("a last use");
    assert!(unix_now() - used < 5, "{used}");
    // Uses within the granularity write nothing.
    for _ in 0..5 {
        store.rootfs_plan(&reference).unwrap();
    }
    assert_eq!(
        index_identity(&store),
        after_first,
        "images.json was rewritten by a run right after another"
    );
    // A recorded use older than the granularity (or in the future, after the clock was set
    // back) is brought up to date by the next use.
    let granularity = localeval::image::store::LAST_USE_GRANULARITY_SECS;
    for stale in [unix_now() - granularity - 1, unix_now() + 3600] {
        let path = store.root().join("images.json");
        let mut index: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        index["images"][0]["last_used"] = stale.into();
        std::fs::write(&path, serde_json::to_vec(&index).unwrap()).unwrap();
        let before = index_identity(&store);
        store.rootfs_plan(&reference).unwrap();
        assert_ne!(index_identity(&store).0, before.0, "stale {stale} kept");
        let used = store.list().unwrap()[0].last_used.unwrap();
        assert!(used.abs_diff(unix_now()) < 5, "{used}");
    }
    // `localeval images` shows it.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_localeval"))
        .args(["images", "--store", store.root().to_str().unwrap()])
        .env("LOCALEVAL_LOG", "warn")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.starts_with(&reference))
        .unwrap_or_else(|| panic!("{reference} not listed: {text}"));
    assert!(line.trim_end().ends_with("s ago"), "{line}");
}

#[test]
fn rmi_and_gc_remove_what_no_image_needs_but_not_what_is_leased() {
    let Some(registry) = Registry::start(None) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let busybox = pull(
        &store,
        &registry.reference("busybox"),
        &PullOptions::default(),
    )
    .unwrap();
    let layered = pull(
        &store,
        &registry.reference("layered"),
        &PullOptions::default(),
    )
    .unwrap();
    // They share the busybox layer.
    assert_eq!(busybox.layers[0], layered.layers[0]);
    assert!(store.gc(&[]).unwrap().blobs.is_empty());
    let lease = store.lease(&layered.digest).unwrap();
    let removed = store.remove(&registry.reference("layered")).unwrap();
    assert_eq!(removed.len(), 1);
    assert!(
        store.root_path(&layered.digest).exists(),
        "a leased root was removed"
    );
    assert!(store.blob_path(&busybox.layers[0]).exists());
    drop(lease);
    let report = store.gc(&[]).unwrap();
    assert_eq!(report.roots, vec![layered.digest.clone()]);
    assert!(!store.root_path(&layered.digest).exists());
    assert!(!store.blob_path(&layered.layers[2]).exists());
    assert!(
        store.blob_path(&busybox.layers[0]).exists(),
        "a shared layer was removed"
    );
    assert!(store.rootfs_plan(&registry.reference("busybox")).is_ok());
    assert!(matches!(
        store.rootfs_plan(&registry.reference("layered")),
        Err(ImageError::NotFound(_))
    ));
    // In use by digest (a running sandbox the caller knows of) keeps a root with no record.
    store.remove(&busybox.digest).unwrap();
    let _ = store.gc(&[]);
    assert!(store.list().unwrap().is_empty());
    assert_eq!(store_entries(&store, "roots"), Vec::<String>::new());
}

fn mount_tmpfs(path: &Path, size: &str) -> bool {
    std::fs::create_dir_all(path).unwrap();
    std::process::Command::new("mount")
        .args([
            "-t",
            "tmpfs",
            "-o",
            &format!("size={size},mode=0700"),
            "tmpfs",
        ])
        .arg(path)
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

struct Unmount<'a>(&'a Path);
impl Drop for Unmount<'_> {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(self.0).status();
    }
}

#[test]
fn a_full_disk_fails_cleanly_while_downloading_and_while_unpacking() {
    if !is_root() {
        skip("mounting a small tmpfs needs root");
        return;
    }
    let Some(registry) = Registry::start(None) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let reference = registry.reference("big");
    // 20 MiB: the 32 MiB layer cannot even be downloaded. 48 MiB: it can, but the root
    // cannot be unpacked next to it.
    for (size, stage) in [("20m", "download"), ("48m", "unpack")] {
        let mnt = dir.path().join(size);
        if !mount_tmpfs(&mnt, size) {
            skip("cannot mount a tmpfs");
            return;
        }
        let _unmount = Unmount(&mnt);
        let store = Store::open(mnt.join("store")).unwrap();
        let err = pull(&store, &reference, &PullOptions::default()).unwrap_err();
        let text = format!("{err} {:?}", std::error::Error::source(&err));
        assert!(
            text.contains("No space left") || text.contains("os error 28"),
            "{stage}: {text}"
        );
        assert_eq!(
            store_entries(&store, "roots"),
            Vec::<String>::new(),
            "{stage}: half an image"
        );
        assert!(store.list().unwrap().is_empty(), "{stage}");
        assert!(
            store_entries(&store, "tmp")
                .iter()
                .all(|n| !n.starts_with("unpack-")),
            "{stage}: an unpack directory was left"
        );
    }
}
