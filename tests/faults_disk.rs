//! A full disk, made real with a small tmpfs: what a user relies on stays true (issue 11).
//! Cost: well under 1 s.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use localeval::server::config::AuditSink;
use localeval::server::history::{Audit, AuditLine};

/// A tmpfs of `size` mounted on a fresh directory, unmounted when dropped.
struct SmallTmpfs {
    dir: tempfile::TempDir,
}

impl SmallTmpfs {
    /// None (after saying why) where this process cannot mount.
    fn mount(size: &str, test: &str) -> Option<SmallTmpfs> {
        if !common::require_sandbox(test) {
            return None;
        }
        let dir = tempfile::tempdir().expect("a temp dir");
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .status()
            .expect("mount runs");
        assert!(status.success(), "mount -t tmpfs on {:?}", dir.path());
        Some(SmallTmpfs { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for SmallTmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

fn line(id: &str) -> AuditLine<'_> {
    AuditLine {
        ts_ms: 1,
        execution_id: id,
        endpoint: "/execute",
        client: "127.0.0.1",
        language: "python",
        code_sha256: "ff",
        verdict: "OK",
        usage: None,
        limits: None,
    }
}

fn assert_whole_lines(path: &PathBuf) -> usize {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(
        text.is_empty() || text.ends_with('\n'),
        "torn tail: {text:?}"
    );
    for l in text.lines() {
        serde_json::from_str::<serde_json::Value>(l)
            .unwrap_or_else(|e| panic!("not a whole record ({e}): {l:?}"));
    }
    text.lines().count()
}

#[test]
fn the_audit_log_keeps_whole_lines_on_a_full_disk() {
    let Some(disk) = SmallTmpfs::mount("16k", "audit log on a full disk") else {
        return;
    };
    let path = disk.path().join("audit.log");
    let audit = Audit::open(&AuditSink::File(path.clone())).unwrap();
    // Records of 1000-odd bytes: a 16 KiB disk fills in the middle of one.
    let ids: Vec<String> = (0..40)
        .map(|i| format!("{i:04}{}", "x".repeat(1000)))
        .collect();
    let mut lines = 0;
    for id in &ids {
        audit.write(&line(id));
        lines = assert_whole_lines(&path);
    }
    assert!(lines < ids.len(), "the disk never filled ({lines} lines)");
    // Space comes back: the next record starts its own line.
    let before = std::fs::metadata(&path).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(before / 2)
        .unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let cut = text.rfind('\n').map_or(0, |i| i + 1);
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(cut as u64)
        .unwrap();
    audit.write(&line("after"));
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.ends_with("\n") && text.lines().last().unwrap().contains("\"after\""));
    assert_whole_lines(&path);
}

#[test]
fn a_corrupted_history_file_stops_the_start_with_one_clear_cause_and_is_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.sqlite");
    let garbage: Vec<u8> = (0..8192u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(&path, &garbage).unwrap();
    let out = Command::new(common::binary())
        .args(["serve", "--listen", "127.0.0.1:0", "--history"])
        .arg(&path)
        .env("LOCALEVAL_LOG", "error")
        .output()
        .expect("localeval runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(125), "{stderr}");
    assert!(out.stdout.is_empty(), "it started: {:?}", out.stdout);
    assert_eq!(
        stderr.matches("not a database").count(),
        1,
        "the cause once: {stderr}"
    );
    assert!(stderr.contains(&path.display().to_string()), "{stderr}");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        garbage,
        "the file was changed"
    );
}
