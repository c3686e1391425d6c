//! Faults inside one run, through the real binary: a FIFO named in return_files, the
//! signal reported for a limit kill, threads where memory is an rlimit (issue 11, Medium
//! and Low). Cost: about 2 s.

mod common;

use common::*;

#[test]
fn a_fifo_named_in_return_files_is_refused_at_once_and_said_so() {
    if !require_sandbox("fifo in return_files") {
        return;
    }
    // Opening the FIFO for reading would block until the wall limit (10 s here).
    let run = run_json(&[
        "--timeout",
        "10s",
        "--return",
        "pipe",
        "--return",
        "ok.txt",
        "--",
        "/bin/sh",
        "-c",
        "mkfifo pipe; echo hi > ok.txt",
    ]);
    assert_eq!(verdict(&run), "OK", "{}", run.outcome);
    assert!(
        run.outcome["usage"]["wall_ms"].as_u64().unwrap() < 5000,
        "{}",
        run.outcome
    );
    let files = run.outcome["files"].as_array().expect("files");
    let file = |name: &str| files.iter().find(|f| f["name"] == name).cloned();
    assert_eq!(file("ok.txt").unwrap()["base64"], "aGkK", "{}", run.outcome);
    let pipe = file("pipe").expect("the FIFO is listed");
    assert!(pipe["base64"].is_null());
    assert!(
        pipe["error"].as_str().unwrap().contains("FIFO"),
        "{}",
        run.outcome
    );
}

#[test]
fn a_program_killed_at_its_time_limit_reports_the_signal_sent() {
    if !require_sandbox("signal at the time limit") {
        return;
    }
    let run = run_json(&["--timeout", "300ms", "--", "/bin/sleep", "5"]);
    assert_eq!(verdict(&run), "TLE", "{}", run.outcome);
    assert_eq!(run.outcome["signal"], 9, "SIGKILL: {}", run.outcome);
    assert!(run.outcome["exit_code"].is_null());
}

/// Starting a thread works where memory is enforced by RLIMIT_DATA (rootless, no cgroup)
/// as well as under a memory cgroup (as root): glibc sizes thread stacks by RLIMIT_STACK.
#[test]
fn threads_start_rootless_and_as_root() {
    if !require_sandbox("threads") {
        return;
    }
    let programs: [(&str, &str); 2] = [
        (
            "python",
            "import threading\nt = threading.Thread(target=print, args=('thread',))\nt.start()\nt.join()",
        ),
        (
            "javascript",
            "const { Worker } = require('worker_threads');\nnew Worker(\"console.log('thread')\", { eval: true });",
        ),
    ];
    let mut failures = Vec::new();
    for user in [None, Some((65534, 65534))] {
        for (language, code) in programs {
            let run = run_json_as(
                &["--memory", "512M", "--lang", language, "--code", code],
                user,
            );
            if verdict(&run) != "OK" || stdout(&run).trim() != "thread" {
                failures.push(format!("{language} as {user:?}: {}", run.outcome));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// runc's masked /proc paths and their siblings read as empty, as root and rootless.
#[test]
fn host_revealing_proc_files_read_empty_as_root_and_rootless() {
    if !require_sandbox("masked /proc files") {
        return;
    }
    let script = "for f in keys key-users interrupts softirqs config.gz; do \
                  if [ -e /proc/$f ]; then printf '%s %s\\n' $f $(wc -c < /proc/$f); fi; done";
    for user in [None, Some((65534, 65534))] {
        let run = run_json_as(&["--", "/bin/sh", "-c", script], user);
        assert_eq!(verdict(&run), "OK", "{}", run.outcome);
        let out = stdout(&run);
        assert!(
            out.contains("key-users 0") && out.contains("softirqs 0"),
            "{user:?}: {out}"
        );
        for line in out.lines() {
            assert!(line.ends_with(" 0"), "{user:?}: readable: {line}");
        }
    }
}
