//! Sandboxes built ahead: the service keeps sandboxes ready for the shape of recent runs,
//! a run takes one of them, and every run still gets its own namespaces, tmpfs and uid.

mod server_support;

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use server_support::*;

/// Prints the run's network, mount and pid namespaces and what `/tmp` holds, then leaves a
/// file in `/tmp` for the next run to (not) find.
const PROBE: &str = "import os\n\
print(os.readlink('/proc/self/ns/net'), os.readlink('/proc/self/ns/mnt'), os.readlink('/proc/self/ns/pid'), sorted(os.listdir('/tmp')))\n\
open('/tmp/left-by-a-run', 'w').write('x')\n";

fn uid_of(pid: u32) -> Option<u32> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("Uid:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Host uids of the sandboxes waiting below the server: each a supervisor (a child of the
/// launcher) whose one child, the sandbox's init, has no child of its own (no program).
fn ready_sandbox_uids(server: &Server) -> Vec<u32> {
    let below = server.descendants();
    let Some(launcher) = below
        .iter()
        .copied()
        .find(|p| parent_of(*p) == Some(server.pid))
    else {
        return Vec::new();
    };
    let mut uids = Vec::new();
    for supervisor in below.iter().filter(|p| parent_of(**p) == Some(launcher)) {
        let under = descendants(*supervisor);
        if let [init] = under[..] {
            if let Some(uid) = uid_of(init).filter(|uid| *uid != 0) {
                uids.push(uid);
            }
        }
    }
    uids
}

fn run(server: &Server) -> Value {
    let (status, body) = post(
        server,
        "/api/v1/execute",
        &json!({"language": "python", "code": PROBE}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["verdict"], "OK", "{body}");
    body
}

#[test]
fn runs_take_sandboxes_built_ahead_and_each_is_fresh() {
    if !require_sandbox("sandboxes built ahead") {
        return;
    }
    let s = Server::start(&[]);
    let first = run(&s);

    // After a run, sandboxes of its shape are built ahead and wait, each with its own slot
    // uid (as root).
    let until = Instant::now() + Duration::from_secs(20);
    let mut ready = ready_sandbox_uids(&s);
    while ready.len() < 2 && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(50));
        ready = ready_sandbox_uids(&s);
    }
    assert!(
        ready.len() >= 2,
        "no sandboxes were built ahead after the first run (found uids {ready:?})"
    );
    let second = run(&s);
    let second_uid = second["localeval"]["provenance"]["host_uid"]
        .as_u64()
        .unwrap() as u32;
    assert!(
        ready.contains(&second_uid),
        "the second run (host uid {second_uid}) did not take a sandbox built ahead ({ready:?})"
    );

    // Each run is in fresh namespaces with a fresh /tmp.
    let third = run(&s);
    let probe = |r: &Value| -> Vec<String> {
        r["stdout"]
            .as_str()
            .unwrap()
            .split_whitespace()
            .map(str::to_string)
            .collect()
    };
    let (a, b, c) = (probe(&first), probe(&second), probe(&third));
    for i in 0..3 {
        assert!(
            a[i] != b[i] && b[i] != c[i] && a[i] != c[i],
            "namespace {i} shared between runs: {a:?} {b:?} {c:?}"
        );
    }
    for r in [&a, &b, &c] {
        assert_eq!(r[3], "[]", "a run found another run's /tmp: {r:?}");
    }
    let uids: Vec<u64> = [&first, &second, &third]
        .iter()
        .map(|r| r["localeval"]["provenance"]["host_uid"].as_u64().unwrap())
        .collect();
    assert!(
        uids[0] != uids[1] && uids[1] != uids[2],
        "consecutive runs shared a host uid: {uids:?}"
    );

    // A run of another shape (a bigger tmpfs) builds its own sandbox and is just as right.
    let (status, other) = post(
        &s,
        "/api/v1/execute",
        &json!({"language": "python", "code": PROBE,
                "limits": {"tmpfs_bytes": 128 << 20}}),
    );
    assert_eq!(status, 200, "{other}");
    assert_eq!(other["verdict"], "OK", "{other}");

    s.assert_no_sandbox_left();
    // Stopping the service tears the ready sandboxes down: no cgroup, no process left.
    s.signal("TERM");
    let mut s = s;
    assert!(
        s.wait(Duration::from_secs(20)).is_some(),
        "the service did not stop"
    );
    let leftover: Vec<String> = std::fs::read_dir("/sys/fs/cgroup/pids")
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("localeval-run-"))
                .collect()
        })
        .unwrap_or_default();
    let ours: Vec<&String> = leftover
        .iter()
        .filter(|n| {
            n.trim_start_matches("localeval-run-")
                .parse::<u32>()
                .is_ok_and(|pid| !std::path::Path::new(&format!("/proc/{pid}")).exists())
        })
        .collect();
    assert!(ours.is_empty(), "run cgroups left after stopping: {ours:?}");
}
