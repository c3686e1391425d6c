//! Layer extraction against every vector of docs/SECURITY.md §2.3, with hand-built tars. Each
//! test unpacks into `<tmp>/root` next to a canary tree `<tmp>/canary` that hostile entries
//! aim at; passing means the canary is untouched and nothing appeared outside the root.

mod image_support;

use std::io::Read;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use image_support::{snapshot, Tar};
use localeval::image::unpack::{apply_layer, open_root, prepare_root, UnpackLimits, UnpackStats};
use localeval::image::ImageError;

struct Scene {
    base: tempfile::TempDir,
    canary_before: Vec<String>,
}

impl Scene {
    fn new() -> Scene {
        let base = tempfile::tempdir().unwrap();
        std::fs::create_dir(base.path().join("root")).unwrap();
        let canary = base.path().join("canary");
        std::fs::create_dir_all(canary.join("sub")).unwrap();
        std::fs::write(canary.join("secret"), "canary secret").unwrap();
        std::fs::write(canary.join("sub/file"), "canary file").unwrap();
        std::fs::set_permissions(&canary, std::fs::Permissions::from_mode(0o750)).unwrap();
        let canary_before = snapshot(&canary);
        Scene {
            base,
            canary_before,
        }
    }

    fn root(&self) -> PathBuf {
        self.base.path().join("root")
    }

    fn canary(&self) -> String {
        self.base.path().join("canary").display().to_string()
    }

    fn apply_with(&self, layer: &[u8], limits: &UnpackLimits) -> Result<UnpackStats, ImageError> {
        let root = open_root(&self.root()).unwrap();
        let mut stats = UnpackStats::default();
        apply_layer(&root, layer, limits, &mut stats).map(|_| stats)
    }

    fn apply(&self, layer: &[u8]) -> Result<UnpackStats, ImageError> {
        self.apply_with(layer, &UnpackLimits::default())
    }

    /// The canary is untouched, nothing but `root` and `canary` exists beside it, and every
    /// non-symlink path in the root really lives inside the root.
    fn assert_contained(&self) {
        assert_eq!(
            snapshot(&self.base.path().join("canary")),
            self.canary_before,
            "canary changed"
        );
        let mut names: Vec<_> = std::fs::read_dir(self.base.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(
            names,
            ["canary", "root"],
            "something appeared beside the root"
        );
        let root = self.root().canonicalize().unwrap();
        fn walk(root: &Path, dir: &Path) {
            for e in std::fs::read_dir(dir).unwrap() {
                let path = e.unwrap().path();
                let meta = std::fs::symlink_metadata(&path).unwrap();
                if meta.file_type().is_symlink() {
                    let parent = path.parent().unwrap().canonicalize().unwrap();
                    assert!(parent.starts_with(root), "{} outside", path.display());
                    continue;
                }
                assert!(
                    path.canonicalize().unwrap().starts_with(root),
                    "{} outside",
                    path.display()
                );
                if meta.is_dir() {
                    walk(root, &path);
                }
            }
        }
        walk(&root, &root);
    }

    fn refused(&self, layer: &[u8], expect: &str) {
        match self.apply(layer) {
            Err(e) => assert!(
                e.to_string().contains(expect),
                "error `{e}` does not mention `{expect}`"
            ),
            Ok(_) => panic!("layer accepted, expected an error about `{expect}`"),
        }
        self.assert_contained();
    }
}

#[test]
fn dotdot_and_absolute_names_are_refused() {
    for name in ["../escape", "/abs/path", "a/../../x", "./../x"] {
        let s = Scene::new();
        s.refused(&Tar::new().file(name, b"x").finish(), "");
    }
}

#[test]
fn a_file_through_a_symlink_to_outside_is_refused() {
    let s = Scene::new();
    let layer = Tar::new()
        .symlink("s", &s.canary())
        .file("s/pwn", b"pwned")
        .finish();
    s.refused(&layer, "symlink");
    assert!(!Path::new(&s.canary()).join("pwn").exists());
}

#[test]
fn directories_through_a_dotdot_symlink_are_refused() {
    let s = Scene::new();
    let layer = Tar::new()
        .symlink("s", "..")
        .file("s/x/y/z", b"pwned")
        .finish();
    s.refused(&layer, "symlink");
}

#[test]
fn a_directory_entry_over_a_symlink_does_not_chmod_its_target() {
    let s = Scene::new();
    let layer = Tar::new()
        .symlink("d", &s.canary())
        .dir("d", 0o777)
        .finish();
    s.apply(&layer).unwrap();
    s.assert_contained();
    let meta = std::fs::symlink_metadata(s.root().join("d")).unwrap();
    assert!(
        meta.is_dir(),
        "the symlink was replaced by a real directory"
    );
}

#[test]
fn hardlinks_to_outside_or_to_symlinks_are_refused() {
    let s = Scene::new();
    s.refused(&Tar::new().hardlink("h", "/etc/passwd").finish(), "outside");
    let s = Scene::new();
    s.refused(
        &Tar::new().hardlink("h", "../../outside").finish(),
        "outside",
    );
    let s = Scene::new();
    let secret = format!("{}/secret", s.canary());
    s.refused(
        &Tar::new().symlink("s", &secret).hardlink("h", "s").finish(),
        "not an extracted regular file",
    );
    let s = Scene::new();
    s.refused(
        &Tar::new().dir("d", 0o755).hardlink("h", "d").finish(),
        "not an extracted regular file",
    );
    let s = Scene::new();
    s.refused(
        &Tar::new().hardlink("h", "missing").finish(),
        "not an extracted",
    );
    let s = Scene::new();
    s.refused(
        &Tar::new().hardlink("h", "no/such/dir").finish(),
        "not extracted",
    );
}

#[test]
fn a_file_after_a_symlink_of_the_same_name_replaces_the_link() {
    let s = Scene::new();
    let secret = format!("{}/secret", s.canary());
    s.apply(&Tar::new().symlink("f", &secret).file("f", b"mine").finish())
        .unwrap();
    s.assert_contained();
    assert_eq!(std::fs::read(s.root().join("f")).unwrap(), b"mine");
    assert!(!std::fs::symlink_metadata(s.root().join("f"))
        .unwrap()
        .file_type()
        .is_symlink());
}

#[test]
fn a_file_after_a_hardlink_of_the_same_name_leaves_the_link_target_alone() {
    let s = Scene::new();
    let layer = Tar::new()
        .file("x", b"original")
        .hardlink("h", "x")
        .file("h", b"new")
        .finish();
    s.apply(&layer).unwrap();
    s.assert_contained();
    assert_eq!(std::fs::read(s.root().join("x")).unwrap(), b"original");
    assert_eq!(std::fs::read(s.root().join("h")).unwrap(), b"new");
}

#[test]
fn a_valid_hardlink_shares_the_inode() {
    let s = Scene::new();
    s.apply(
        &Tar::new()
            .file("a/x", b"data")
            .hardlink("b", "a/x")
            .finish(),
    )
    .unwrap();
    s.assert_contained();
    let a = std::fs::metadata(s.root().join("a/x")).unwrap();
    let b = std::fs::metadata(s.root().join("b")).unwrap();
    assert_eq!(a.ino(), b.ino());
}

#[test]
fn malformed_whiteouts_are_refused() {
    for name in ["d/.wh.", "d/.wh..", "d/.wh...", ".wh.../x"] {
        let s = Scene::new();
        s.refused(
            &Tar::new().dir("d", 0o755).file(name, b"").finish(),
            "whiteout",
        );
    }
}

#[test]
fn whiteouts_and_opaque_dirs_through_a_symlinked_parent_are_refused() {
    let s = Scene::new();
    s.refused(
        &Tar::new()
            .symlink("s", &s.canary())
            .file("s/.wh.secret", b"")
            .finish(),
        "symlink",
    );
    let s = Scene::new();
    s.refused(
        &Tar::new()
            .symlink("s", &s.canary())
            .file("s/.wh..wh..opq", b"")
            .finish(),
        "symlink",
    );
    let s = Scene::new();
    let layer = Tar::new()
        .symlink("s", &s.canary())
        .file("s/sub/.wh..wh..opq", b"")
        .finish();
    s.refused(&layer, "symlink");
}

#[test]
fn whiteouts_remove_lower_files_and_opaque_dirs_keep_their_own_layer() {
    let s = Scene::new();
    let lower = Tar::new()
        .file("data/keep", b"k")
        .file("data/gone", b"g")
        .file("data/tree/deep/x", b"x")
        .file("opq/old", b"o")
        .finish();
    s.apply(&lower).unwrap();
    let upper = Tar::new()
        .file("data/.wh.gone", b"")
        .file("data/.wh.tree", b"")
        .dir("opq", 0o755)
        .file("opq/new", b"n")
        .file("opq/.wh..wh..opq", b"")
        .file("absent/.wh.nothing", b"")
        .finish();
    s.apply(&upper).unwrap();
    s.assert_contained();
    let root = s.root();
    assert!(root.join("data/keep").exists());
    assert!(!root.join("data/gone").exists());
    assert!(!root.join("data/tree").exists());
    assert!(!root.join("opq/old").exists());
    assert_eq!(std::fs::read(root.join("opq/new")).unwrap(), b"n");
    assert!(
        !root.join("absent").exists(),
        "a whiteout created its parent"
    );
    for e in walkdir(&root) {
        assert!(!e.contains(".wh."), "whiteout {e} materialised");
    }
}

fn walkdir(dir: &Path) -> Vec<String> {
    snapshot(dir)
}

#[test]
fn a_symlink_named_dot_or_slash_is_refused() {
    for name in [".", "./", "/"] {
        let s = Scene::new();
        s.refused(&Tar::new().symlink(name, &s.canary()).finish(), "");
    }
}

#[test]
fn device_nodes_are_never_created() {
    let s = Scene::new();
    let mut tar = Tar::new();
    tar.entry_raw(
        b"dev/mem",
        tar::EntryType::Char,
        0o666,
        b"",
        b"",
        None,
        (1, 1),
    );
    tar.entry_raw(
        b"dev/sda",
        tar::EntryType::Block,
        0o666,
        b"",
        b"",
        None,
        (8, 0),
    );
    let stats = s.apply(&tar.finish()).unwrap();
    s.assert_contained();
    assert_eq!(stats.skipped, 2);
    assert!(!s.root().join("dev/mem").exists());
    assert!(!s.root().join("dev/sda").exists());
}

#[test]
fn setuid_and_setgid_bits_are_dropped() {
    let s = Scene::new();
    let layer = Tar::new()
        .file_mode("bin/su", b"\x7fELF", 0o4755)
        .file_mode("bin/wall", b"\x7fELF", 0o2755)
        .dir("shared", 0o2775)
        .finish();
    s.apply(&layer).unwrap();
    s.assert_contained();
    assert_eq!(
        std::fs::metadata(s.root().join("bin/su")).unwrap().mode() & 0o7777,
        0o755
    );
    assert_eq!(
        std::fs::metadata(s.root().join("bin/wall")).unwrap().mode() & 0o7777,
        0o755
    );
    assert_eq!(
        std::fs::metadata(s.root().join("shared")).unwrap().mode() & 0o7777,
        0o775
    );
}

#[test]
fn capability_and_overlay_xattrs_are_dropped() {
    let s = Scene::new();
    let mut tar = Tar::new();
    tar.pax(&[
        (
            "SCHILY.xattr.security.capability",
            b"\x01\x00\x00\x02\xff\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
        ),
        ("SCHILY.xattr.trusted.overlay.redirect", b"/etc"),
        ("SCHILY.xattr.user.kept", b"fine"),
    ]);
    tar.file("bin/ping", b"\x7fELF");
    s.apply(&tar.finish()).unwrap();
    s.assert_contained();
    let mut buf = vec![0u8; 1024];
    let n = rustix::fs::llistxattr(s.root().join("bin/ping"), &mut buf).unwrap();
    let names = String::from_utf8_lossy(&buf[..n]);
    assert!(!names.contains("security.capability"), "{names}");
    assert!(!names.contains("trusted."), "{names}");
}

#[test]
fn a_ten_gib_file_is_refused_before_it_is_written() {
    let s = Scene::new();
    let mut tar = Tar::new();
    tar.entry_raw(
        b"bomb",
        tar::EntryType::Regular,
        0o644,
        b"",
        b"",
        Some(10 << 30),
        (0, 0),
    );
    s.refused(&tar.finish(), "uncompressed bytes");
    assert!(!s.root().join("bomb").exists());
}

#[test]
fn a_gzip_bomb_stops_at_the_byte_cap() {
    let s = Scene::new();
    let layer = Tar::new().file("zeros", &vec![0u8; 2 << 20]).gzip();
    assert!(
        layer.len() < 64 << 10,
        "the test layer is a bomb: {} bytes compressed",
        layer.len()
    );
    let limits = UnpackLimits {
        max_bytes: 1 << 20,
        ..Default::default()
    };
    let err = s.apply_with(&layer, &limits).unwrap_err();
    assert!(matches!(err, ImageError::TooLarge(_)), "{err}");
    s.assert_contained();
}

/// A plain tar of `count` directory entries named `d`, generated as it is read.
struct ManyEntries {
    left: u64,
    block: [u8; 512],
    tail: usize,
}

impl Read for ManyEntries {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            if self.tail == 0 {
                return Ok(0);
            }
            let n = buf.len().min(self.tail);
            buf[..n].fill(0);
            self.tail -= n;
            return Ok(n);
        }
        let n = buf.len().min(512);
        buf[..n].copy_from_slice(&self.block[..n]);
        if n == 512 {
            self.left -= 1;
        }
        Ok(n)
    }
}

#[test]
fn a_million_entries_are_refused() {
    let s = Scene::new();
    let mut h = tar::Header::new_ustar();
    h.set_entry_type(tar::EntryType::Directory);
    h.set_path("d/").unwrap();
    h.set_mode(0o755);
    h.set_size(0);
    h.set_cksum();
    let mut block = [0u8; 512];
    block.copy_from_slice(h.as_bytes());
    let layer = ManyEntries {
        left: 1_000_000,
        block,
        tail: 1024,
    };
    let root = open_root(&s.root()).unwrap();
    let mut stats = UnpackStats::default();
    let err = apply_layer(
        &root,
        std::io::BufReader::with_capacity(512, layer),
        &UnpackLimits::default(),
        &mut stats,
    )
    .unwrap_err();
    assert!(err.to_string().contains("entries"), "{err}");
    s.assert_contained();
}

#[test]
fn overlong_names_are_refused() {
    let s = Scene::new();
    s.refused(&Tar::new().file(&"n".repeat(4096), b"").finish(), "255");
    let s = Scene::new();
    let long = ["abcdefgh"; 512].join("/");
    s.refused(&Tar::new().file(&long, b"").finish(), "longer than");
}

#[test]
fn a_pax_path_override_to_dotdot_is_refused() {
    let s = Scene::new();
    let mut tar = Tar::new();
    tar.pax(&[("path", b"../x")]);
    tar.file("innocent", b"pwned");
    s.refused(&tar.finish(), "..");
    let s = Scene::new();
    let mut tar = Tar::new();
    tar.pax(&[("linkpath", b"../../etc/passwd")]);
    tar.hardlink("innocent", "x");
    s.refused(&tar.finish(), "outside");
}

#[test]
fn gzip_zstd_and_plain_layers_unpack_alike() {
    let plain = Tar::new()
        .file("a/b", b"content")
        .symlink("l", "a/b")
        .finish();
    let gz = Tar::new()
        .file("a/b", b"content")
        .symlink("l", "a/b")
        .gzip();
    let zst = zstd::encode_all(&plain[..], 3).unwrap();
    let mut seen = Vec::new();
    for layer in [plain.clone(), gz, zst] {
        let s = Scene::new();
        s.apply(&layer).unwrap();
        s.assert_contained();
        seen.push(snapshot(&s.root()));
    }
    assert_eq!(seen[0], seen[1]);
    assert_eq!(seen[0], seen[2]);
    assert!(seen[0].iter().any(|l| l.contains("l -> a/b")));
}

#[test]
fn a_prepared_root_has_mount_points_and_the_sandbox_user() {
    let s = Scene::new();
    let layer = Tar::new()
        .file(
            "etc/passwd",
            b"root:x:0:0:root:/root:/bin/sh\nsandbox:x:0:0:evil:/:/bin/sh\n",
        )
        .symlink("tmp", &s.canary())
        .symlink("etc/group", &format!("{}/secret", s.canary()))
        .finish();
    s.apply(&layer).unwrap();
    prepare_root(&open_root(&s.root()).unwrap()).unwrap();
    s.assert_contained();
    let root = s.root();
    for dir in ["proc", "dev", "tmp", "workspace"] {
        assert!(
            std::fs::symlink_metadata(root.join(dir)).unwrap().is_dir(),
            "{dir}"
        );
    }
    let passwd = std::fs::read_to_string(root.join("etc/passwd")).unwrap();
    assert_eq!(
        passwd,
        "root:x:0:0:root:/root:/bin/sh\nsandbox:x:1000:1000:sandbox:/workspace:/bin/sh\n"
    );
    let group = std::fs::read_to_string(root.join("etc/group")).unwrap();
    assert_eq!(group, "sandbox:x:1000:\n");
    localeval::rootfs::RootfsPlan::directory("t", None, &root, vec![]).unwrap();
}
