//! Layer extraction that follows docs/SECURITY.md §2.3: every entry is created relative to a
//! directory fd, component by component, never following a symlink; whiteouts and opaque
//! directories are applied with fd-relative removals; device nodes are skipped; setuid,
//! setgid and every xattr are dropped; entry count, bytes, path length and depth are capped.
//! The `tar` crate only iterates entries (it resolves GNU long names and PAX overrides);
//! nothing here calls its `unpack`/`unpack_in`.

use std::collections::HashSet;
use std::ffi::OsStr;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use rustix::fs::{AtFlags, FileType, Mode, OFlags, Timestamps};
use rustix::io::Errno;

use super::ImageError;

/// Caps against decompression bombs and hostile archives, per image (all layers together).
#[derive(Clone, Debug)]
pub struct UnpackLimits {
    /// Entries of all layers together.
    pub max_entries: u64,
    /// Uncompressed bytes of regular files of all layers together.
    pub max_bytes: u64,
    /// Bytes of one entry's path (after PAX and GNU long-name overrides).
    pub max_path_len: usize,
    /// Components of one entry's path.
    pub max_depth: usize,
}

impl Default for UnpackLimits {
    fn default() -> Self {
        UnpackLimits {
            max_entries: 500_000,
            max_bytes: 8 << 30,
            max_path_len: 4096,
            max_depth: 128,
        }
    }
}

/// Counters shared by all layers of one image.
#[derive(Debug, Default)]
pub struct UnpackStats {
    pub entries: u64,
    pub bytes: u64,
    /// Entries skipped on purpose (device nodes, fifos, unknown types).
    pub skipped: u64,
}

const WHITEOUT: &[u8] = b".wh.";
const OPAQUE: &[u8] = b".wh..wh..opq";

fn io_err(what: impl Into<String>, errno: Errno) -> ImageError {
    ImageError::Unpack {
        what: what.into(),
        source: std::io::Error::from(errno),
    }
}

fn bad(entry: &[u8], why: impl Into<String>) -> ImageError {
    ImageError::BadLayer {
        entry: String::from_utf8_lossy(entry).into_owned(),
        why: why.into(),
    }
}

/// Splits an archive path into checked components: no NUL, not absolute, no `..`, within
/// the length and depth caps. `.` and empty components are dropped; the root itself is the
/// empty list.
pub fn split_path<'a>(raw: &'a [u8], limits: &UnpackLimits) -> Result<Vec<&'a OsStr>, ImageError> {
    if raw.contains(&0) {
        return Err(bad(raw, "path contains NUL"));
    }
    if raw.len() > limits.max_path_len {
        return Err(bad(
            &raw[..64],
            format!("path longer than {} bytes", limits.max_path_len),
        ));
    }
    if raw.first() == Some(&b'/') {
        return Err(bad(raw, "absolute path"));
    }
    let mut out = Vec::new();
    for component in raw.split(|b| *b == b'/') {
        match component {
            b"" | b"." => continue,
            b".." => return Err(bad(raw, "`..` component")),
            c if c.len() > 255 => {
                return Err(bad(&raw[..64], "path component longer than 255 bytes"))
            }
            c => out.push(OsStr::from_bytes(c)),
        }
    }
    if out.len() > limits.max_depth {
        return Err(bad(
            raw,
            format!("deeper than {} components", limits.max_depth),
        ));
    }
    Ok(out)
}

fn open_dir_nofollow(parent: impl AsFd, name: &OsStr) -> Result<OwnedFd, Errno> {
    rustix::fs::openat(
        parent,
        name,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )
}

/// Opens the image root being built.
pub fn open_root(path: &Path) -> Result<OwnedFd, ImageError> {
    rustix::fs::open(
        path,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| io_err(format!("open {}", path.display()), e))
}

/// Walks `dirs` from `root` without following symlinks. Missing directories are created
/// (0755) when `create`; otherwise `Ok(None)` says the path does not exist. A component that
/// is a symlink or not a directory is an error: nothing is ever created through a link.
fn walk(
    root: &OwnedFd,
    dirs: &[&OsStr],
    create: bool,
    entry: &[u8],
) -> Result<Option<OwnedFd>, ImageError> {
    let mut fd = rustix::io::dup(root).map_err(|e| io_err("dup", e))?;
    for name in dirs {
        fd = match open_dir_nofollow(&fd, name) {
            Ok(next) => next,
            Err(Errno::NOENT) if create => {
                match rustix::fs::mkdirat(&fd, *name, Mode::from_raw_mode(0o755)) {
                    Ok(()) | Err(Errno::EXIST) => {}
                    Err(e) => return Err(io_err(format!("mkdir {}", name.to_string_lossy()), e)),
                }
                open_dir_nofollow(&fd, name)
                    .map_err(|e| io_err(format!("open {}", name.to_string_lossy()), e))?
            }
            Err(Errno::NOENT) => return Ok(None),
            Err(Errno::LOOP) | Err(Errno::NOTDIR) => {
                return Err(bad(
                    entry,
                    format!(
                        "goes through `{}`, which is a symlink or not a directory",
                        name.to_string_lossy()
                    ),
                ))
            }
            Err(e) => return Err(io_err(format!("open {}", name.to_string_lossy()), e)),
        };
    }
    Ok(Some(fd))
}

fn file_type_at(parent: &OwnedFd, name: &OsStr) -> Result<Option<FileType>, Errno> {
    match rustix::fs::statat(parent, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(st) => Ok(Some(FileType::from_raw_mode(st.st_mode))),
        Err(Errno::NOENT) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Removes `name` in `parent` whatever it is, without following links.
pub fn remove_at(parent: &OwnedFd, name: &OsStr) -> Result<(), ImageError> {
    match file_type_at(parent, name).map_err(|e| io_err("stat", e))? {
        None => Ok(()),
        Some(FileType::Directory) => remove_tree(parent, name),
        Some(_) => rustix::fs::unlinkat(parent, name, AtFlags::empty())
            .map_err(|e| io_err(format!("unlink {}", name.to_string_lossy()), e)),
    }
}

/// Removes a directory tree fd-relatively, never following a symlink.
pub fn remove_tree(parent: &OwnedFd, name: &OsStr) -> Result<(), ImageError> {
    let dir = match open_dir_nofollow(parent, name) {
        Ok(dir) => dir,
        Err(Errno::NOENT) => return Ok(()),
        Err(e) => return Err(io_err(format!("open {}", name.to_string_lossy()), e)),
    };
    // Rootless: a 0555 directory of the image must become writable to be emptied.
    let _ = rustix::fs::fchmod(&dir, Mode::from_raw_mode(0o700));
    empty_dir(&dir, &|_| false)?;
    rustix::fs::unlinkat(parent, name, AtFlags::REMOVEDIR)
        .map_err(|e| io_err(format!("rmdir {}", name.to_string_lossy()), e))
}

/// Removes every child of `dir` for which `keep` is false.
fn empty_dir(dir: &OwnedFd, keep: &dyn Fn(&OsStr) -> bool) -> Result<(), ImageError> {
    let mut names = Vec::new();
    {
        let mut reader = rustix::fs::Dir::read_from(dir).map_err(|e| io_err("readdir", e))?;
        for entry in reader.by_ref() {
            let entry = entry.map_err(|e| io_err("readdir", e))?;
            let name = entry.file_name().to_bytes();
            if name != b"." && name != b".." {
                names.push(name.to_vec());
            }
        }
    }
    for name in names {
        let name = OsStr::from_bytes(&name);
        if !keep(name) {
            remove_at(dir, name)?;
        }
    }
    Ok(())
}

fn join(components: &[&OsStr]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, c) in components.iter().enumerate() {
        if i > 0 {
            out.push(b'/');
        }
        out.extend_from_slice(c.as_bytes());
    }
    out
}

/// Decompresses by magic number (layers are often mislabelled): gzip, zstd or plain tar.
pub fn decompressed<'a, R: Read + 'a>(reader: R) -> Result<Box<dyn Read + 'a>, ImageError> {
    let mut reader = BufReader::with_capacity(1 << 16, reader);
    let head = reader
        .fill_buf()
        .map_err(|source| ImageError::Unpack {
            what: "read layer".into(),
            source,
        })?
        .to_vec();
    Ok(if head.starts_with(&[0x1f, 0x8b]) {
        Box::new(flate2::bufread::MultiGzDecoder::new(reader))
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Box::new(
            zstd::stream::read::Decoder::with_buffer(reader).map_err(|source| {
                ImageError::Unpack {
                    what: "zstd".into(),
                    source,
                }
            })?,
        )
    } else {
        Box::new(reader)
    })
}

/// Applies one layer (a tar stream, compressed or not) on top of the root `root`.
pub fn apply_layer(
    root: &OwnedFd,
    layer: impl Read,
    limits: &UnpackLimits,
    stats: &mut UnpackStats,
) -> Result<(), ImageError> {
    let mut archive = tar::Archive::new(decompressed(layer)?);
    let mut this_layer: HashSet<Vec<u8>> = HashSet::new();
    let entries = archive.entries().map_err(|source| ImageError::Unpack {
        what: "read layer".into(),
        source,
    })?;
    for entry in entries {
        let mut entry = entry.map_err(|source| ImageError::Unpack {
            what: "read layer entry".into(),
            source,
        })?;
        stats.entries += 1;
        if stats.entries > limits.max_entries {
            return Err(ImageError::TooLarge(format!(
                "more than {} entries",
                limits.max_entries
            )));
        }
        let kind = entry.header().entry_type();
        if matches!(
            kind,
            tar::EntryType::XGlobalHeader
                | tar::EntryType::XHeader
                | tar::EntryType::GNULongName
                | tar::EntryType::GNULongLink
        ) {
            continue;
        }
        let raw = entry.path_bytes().into_owned();
        let components = split_path(&raw, limits)?;
        let Some((name, dirs)) = components.split_last() else {
            // The root itself: only a directory entry may name it (its mode is set at the
            // end); a symlink named `.` or `/` would redirect later layers (CVE-2021-29136).
            if kind == tar::EntryType::Directory {
                continue;
            }
            return Err(bad(&raw, "a non-directory entry names the root"));
        };
        let name = *name;
        let name_bytes = name.as_bytes();
        if dirs.iter().any(|d| d.as_bytes().starts_with(WHITEOUT)) {
            return Err(bad(&raw, "whiteout name used as a directory"));
        }

        if name_bytes.starts_with(WHITEOUT) {
            apply_whiteout(root, dirs, name_bytes, &raw, &this_layer)?;
            continue;
        }

        let mode = entry.header().mode().unwrap_or(0o644);
        match kind {
            tar::EntryType::Directory => {
                let parent = walk(root, dirs, true, &raw)?.expect("created");
                match file_type_at(&parent, name).map_err(|e| io_err("stat", e))? {
                    Some(FileType::Directory) => {}
                    Some(_) => {
                        remove_at(&parent, name)?;
                        mkdir(&parent, name)?;
                    }
                    None => mkdir(&parent, name)?,
                }
                let dir = open_dir_nofollow(&parent, name).map_err(|e| io_err("open dir", e))?;
                // Owner keeps rwx so later entries can be written rootless; no setuid/setgid.
                rustix::fs::fchmod(&dir, Mode::from_raw_mode((mode & 0o1777) | 0o700))
                    .map_err(|e| io_err("chmod dir", e))?;
            }
            tar::EntryType::Regular | tar::EntryType::Continuous | tar::EntryType::GNUSparse => {
                let size = entry.size();
                if stats.bytes.saturating_add(size) > limits.max_bytes {
                    return Err(ImageError::TooLarge(format!(
                        "more than {} uncompressed bytes (entry {} declares {size})",
                        limits.max_bytes,
                        String::from_utf8_lossy(&raw)
                    )));
                }
                let parent = walk(root, dirs, true, &raw)?.expect("created");
                remove_at(&parent, name)?;
                let fd = rustix::fs::openat(
                    &parent,
                    name,
                    OFlags::WRONLY
                        | OFlags::CREATE
                        | OFlags::EXCL
                        | OFlags::NOFOLLOW
                        | OFlags::CLOEXEC,
                    Mode::from_raw_mode(0o600),
                )
                .map_err(|e| io_err(format!("create {}", String::from_utf8_lossy(&raw)), e))?;
                let mut file = File::from(fd);
                copy_capped(&mut entry, &mut file, limits, stats, &raw)?;
                rustix::fs::fchmod(&file, Mode::from_raw_mode(mode & 0o777))
                    .map_err(|e| io_err("chmod", e))?;
                if let Ok(mtime) = entry.header().mtime() {
                    let t = rustix::fs::Timespec {
                        tv_sec: mtime.min(i64::MAX as u64) as i64,
                        tv_nsec: 0,
                    };
                    let _ = rustix::fs::futimens(
                        &file,
                        &Timestamps {
                            last_access: t,
                            last_modification: t,
                        },
                    );
                }
            }
            tar::EntryType::Symlink => {
                let target = entry
                    .link_name_bytes()
                    .ok_or_else(|| bad(&raw, "symlink without a target"))?
                    .into_owned();
                if target.is_empty() || target.contains(&0) || target.len() > limits.max_path_len {
                    return Err(bad(&raw, "symlink target empty, too long or with NUL"));
                }
                let parent = walk(root, dirs, true, &raw)?.expect("created");
                remove_at(&parent, name)?;
                // Created verbatim: it is resolved at run time inside the sandbox.
                rustix::fs::symlinkat(OsStr::from_bytes(&target), &parent, name)
                    .map_err(|e| io_err(format!("symlink {}", String::from_utf8_lossy(&raw)), e))?;
            }
            tar::EntryType::Link => {
                let target_raw = entry
                    .link_name_bytes()
                    .ok_or_else(|| bad(&raw, "hardlink without a target"))?
                    .into_owned();
                let target = split_path(&target_raw, limits)
                    .map_err(|_| bad(&raw, "hardlink target outside the root"))?;
                let Some((target_name, target_dirs)) = target.split_last() else {
                    return Err(bad(&raw, "hardlink to the root"));
                };
                let target_parent = walk(root, target_dirs, false, &raw)?
                    .ok_or_else(|| bad(&raw, "hardlink target not extracted yet"))?;
                match file_type_at(&target_parent, target_name).map_err(|e| io_err("stat", e))? {
                    Some(FileType::RegularFile) => {}
                    _ => {
                        return Err(bad(
                            &raw,
                            "hardlink target is not an extracted regular file",
                        ))
                    }
                }
                if target == components {
                    continue;
                }
                let parent = walk(root, dirs, true, &raw)?.expect("created");
                remove_at(&parent, name)?;
                rustix::fs::linkat(
                    &target_parent,
                    *target_name,
                    &parent,
                    name,
                    AtFlags::empty(),
                )
                .map_err(|e| io_err(format!("link {}", String::from_utf8_lossy(&raw)), e))?;
            }
            // No device nodes, ever; fifos and unknown types are skipped too.
            _ => {
                stats.skipped += 1;
                continue;
            }
        }
        let path = join(&components);
        for i in 1..=components.len() {
            this_layer.insert(join(&components[..i]));
        }
        this_layer.insert(path);
    }
    Ok(())
}

fn mkdir(parent: &OwnedFd, name: &OsStr) -> Result<(), ImageError> {
    rustix::fs::mkdirat(parent, name, Mode::from_raw_mode(0o700))
        .map_err(|e| io_err(format!("mkdir {}", name.to_string_lossy()), e))
}

fn copy_capped(
    from: &mut impl Read,
    to: &mut File,
    limits: &UnpackLimits,
    stats: &mut UnpackStats,
    entry: &[u8],
) -> Result<(), ImageError> {
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = from.read(&mut buf).map_err(|source| ImageError::Unpack {
            what: format!("read {}", String::from_utf8_lossy(entry)),
            source,
        })?;
        if n == 0 {
            return Ok(());
        }
        stats.bytes += n as u64;
        if stats.bytes > limits.max_bytes {
            return Err(ImageError::TooLarge(format!(
                "more than {} uncompressed bytes",
                limits.max_bytes
            )));
        }
        to.write_all(&buf[..n])
            .map_err(|source| ImageError::Unpack {
                what: format!("write {}", String::from_utf8_lossy(entry)),
                source,
            })?;
    }
}

fn apply_whiteout(
    root: &OwnedFd,
    dirs: &[&OsStr],
    name: &[u8],
    raw: &[u8],
    this_layer: &HashSet<Vec<u8>>,
) -> Result<(), ImageError> {
    if name == OPAQUE {
        // The directory keeps what this layer put there; lower layers' content goes.
        let Some(dir) = walk(root, dirs, true, raw)? else {
            return Ok(());
        };
        let prefix = join(dirs);
        return empty_dir(&dir, &|child| {
            let mut path = prefix.clone();
            if !path.is_empty() {
                path.push(b'/');
            }
            path.extend_from_slice(child.as_bytes());
            this_layer.contains(&path)
        });
    }
    let target = &name[WHITEOUT.len()..];
    if target.is_empty() || target == b"." || target == b".." || target.contains(&b'/') {
        return Err(bad(raw, "malformed whiteout"));
    }
    if target.starts_with(WHITEOUT) {
        // aufs metadata (.wh..wh.plnk and friends): never materialised, nothing to remove.
        return Ok(());
    }
    let Some(parent) = walk(root, dirs, false, raw)? else {
        return Ok(());
    };
    remove_at(&parent, OsStr::from_bytes(target))
}

/// Makes an unpacked root ready for the jail: real directories `proc dev tmp workspace` at
/// the top (a symlink there would redirect the jail's mounts), a real `etc` whose `passwd`
/// and `group` name the sandbox user, and a 0755 root.
pub fn prepare_root(root: &OwnedFd) -> Result<(), ImageError> {
    use crate::rootfs::{SANDBOX_GID, SANDBOX_UID, SANDBOX_USER, WORKSPACE};
    for (name, mode) in [
        ("proc", 0o555),
        ("dev", 0o755),
        ("tmp", 0o1777),
        ("workspace", 0o755),
        ("etc", 0o755),
    ] {
        let name = OsStr::new(name);
        match file_type_at(root, name).map_err(|e| io_err("stat", e))? {
            Some(FileType::Directory) => {}
            Some(_) => {
                remove_at(root, name)?;
                mkdir(root, name)?;
            }
            None => mkdir(root, name)?,
        }
        if name != "etc" {
            let dir = open_dir_nofollow(root, name).map_err(|e| io_err("open", e))?;
            rustix::fs::fchmod(&dir, Mode::from_raw_mode(mode)).map_err(|e| io_err("chmod", e))?;
        }
    }
    let etc = open_dir_nofollow(root, OsStr::new("etc")).map_err(|e| io_err("open etc", e))?;
    let user_line =
        format!("{SANDBOX_USER}:x:{SANDBOX_UID}:{SANDBOX_GID}:sandbox:{WORKSPACE}:/bin/sh\n");
    let group_line = format!("{SANDBOX_USER}:x:{SANDBOX_GID}:\n");
    for (file, line) in [("passwd", user_line), ("group", group_line)] {
        let name = OsStr::new(file);
        let existing = match file_type_at(&etc, name).map_err(|e| io_err("stat", e))? {
            Some(FileType::RegularFile) => {
                let fd = rustix::fs::openat(
                    &etc,
                    name,
                    OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                    Mode::empty(),
                )
                .map_err(|e| io_err(format!("open etc/{file}"), e))?;
                let mut text = String::new();
                File::from(fd)
                    .take(1 << 20)
                    .read_to_string(&mut text)
                    .map_err(|source| ImageError::Unpack {
                        what: format!("read etc/{file}"),
                        source,
                    })?;
                text
            }
            _ => String::new(),
        };
        // Keep every line but any earlier `sandbox` entry; ours names uid/gid 1000.
        let mut text: String = existing
            .lines()
            .filter(|l| l.split(':').next() != Some(SANDBOX_USER))
            .map(|l| format!("{l}\n"))
            .collect();
        text.push_str(&line);
        remove_at(&etc, name)?;
        let fd = rustix::fs::openat(
            &etc,
            name,
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o644),
        )
        .map_err(|e| io_err(format!("create etc/{file}"), e))?;
        let mut out = File::from(fd);
        out.write_all(text.as_bytes())
            .map_err(|source| ImageError::Unpack {
                what: format!("write etc/{file}"),
                source,
            })?;
        rustix::fs::fchmod(&out, Mode::from_raw_mode(0o644)).map_err(|e| io_err("chmod", e))?;
    }
    rustix::fs::fchmod(root, Mode::from_raw_mode(0o755)).map_err(|e| io_err("chmod root", e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_with_dotdot_absolute_or_nul_are_refused() {
        let limits = UnpackLimits::default();
        for bad_path in [
            &b"../escape"[..],
            b"/abs/path",
            b"a/../../x",
            b"a/\0b",
            b"a/..",
        ] {
            assert!(
                split_path(bad_path, &limits).is_err(),
                "{bad_path:?} accepted"
            );
        }
        assert_eq!(split_path(b"./a//b/./c", &limits).unwrap(), ["a", "b", "c"]);
        assert!(split_path(b"./", &limits).unwrap().is_empty());
        assert!(split_path(&[b'a'; 4097], &limits).is_err());
        assert!(split_path(&[b'a'; 256], &limits).is_err());
        assert!(split_path("a/".repeat(129).as_bytes(), &limits).is_err());
    }
}
