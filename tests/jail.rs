//! Every promise of the jail, each shown by submitting a program to the real binary and
//! checking the outcome — and that nothing of the run is left behind.

mod common;

use common::*;

#[test]
fn a_command_runs_as_the_unprivileged_sandbox_user() {
    if !require_sandbox("uid") {
        return;
    }
    let run = run_json(&[
        "--",
        "/bin/sh",
        "-c",
        "id -u; id -g; id -G; cat /proc/self/uid_map",
    ]);
    assert_eq!(verdict(&run), "OK", "{}", run.outcome);
    let lines: Vec<&str> = stdout(&run).lines().collect();
    assert_eq!(
        &lines[..3],
        &["1000", "1000", "1000"],
        "no supplementary groups"
    );
    let map: Vec<&str> = lines[3].split_whitespace().collect();
    assert_eq!(map[0], "1000");
    let host_uid: u64 = map[1].parse().unwrap();
    assert_ne!(host_uid, 0, "a sandbox uid maps to host root");
    assert_eq!(map[2], "1", "exactly one id is mapped");
    assert_eq!(
        run.outcome["provenance"]["host_uid"].as_u64(),
        Some(host_uid)
    );
}

#[test]
fn capabilities_are_empty_with_no_new_privs_and_seccomp() {
    if !require_sandbox("caps") {
        return;
    }
    let run = run_json(&["--", "/bin/cat", "/proc/self/status"]);
    assert_eq!(verdict(&run), "OK", "{}", run.outcome);
    let status = stdout(&run);
    for field in ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"] {
        let line = status.lines().find(|l| l.starts_with(field)).unwrap();
        assert!(line.ends_with("0000000000000000"), "{line}");
    }
    assert!(status.contains("NoNewPrivs:\t1"), "{status}");
    assert!(status.contains("Seccomp:\t2"), "{status}");
    // The profile's allow-list and denials are compiled into one filter.
    assert!(status.contains("Seccomp_filters:\t1"), "{status}");
}

#[test]
fn no_network_a_host_loopback_listener_is_unreachable() {
    if !require_sandbox("network") {
        return;
    }
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let code = format!(
        "import socket\ntry:\n  socket.create_connection(('127.0.0.1', {port}), timeout=2)\n  print('connected')\nexcept OSError as e:\n  print('refused', e.errno)\nimport os\nprint(sorted(os.listdir('/sys/class/net')) if os.path.exists('/sys/class/net') else 'no-sys')"
    );
    let run = run_json(&["--lang", "python", "--code", &code]);
    assert_eq!(verdict(&run), "OK", "{}", run.outcome);
    assert!(stdout(&run).starts_with("refused"), "{}", stdout(&run));
    assert!(
        listener.accept().is_err(),
        "the host listener got a connection"
    );
    let run = run_json(&[
        "--",
        "/bin/sh",
        "-c",
        "cat /proc/net/dev | tail -n +3 | cut -d: -f1",
    ]);
    assert_eq!(stdout(&run).split_whitespace().collect::<Vec<_>>(), ["lo"]);
    // The sandbox's own loopback works: a server and a client inside one run.
    let code = "import socket, threading\n\
s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(1)\n\
def serve():\n  c, _ = s.accept(); c.sendall(b'pong'); c.close()\n\
threading.Thread(target=serve).start()\n\
c = socket.create_connection(s.getsockname()); print(c.recv(4).decode())\n";
    let run = run_json(&["--lang", "python", "--code", code]);
    assert_eq!(stdout(&run), "pong\n", "{}", run.outcome);
}

#[test]
fn host_files_secrets_and_environment_are_invisible() {
    if !require_sandbox("host files") {
        return;
    }
    let marker = "LOCALEVAL_TEST_SECRET_7f3a";
    // Things that exist on the host, so that their absence inside means something.
    std::fs::write("/tmp/localeval-host-file", "host").unwrap();
    for path in ["/root", "/run", "/etc/shadow", "/tmp/localeval-host-file"] {
        assert!(
            std::path::Path::new(path).exists(),
            "{path} is missing on this host"
        );
    }
    let output = std::process::Command::new(binary())
        .args(["run", "--json", "--", "/bin/sh", "-c"])
        .arg("env; for p in /home /root /run /var/run /etc/shadow /etc/ssh /etc/ssl/private /tmp/localeval-host-file; do [ -e $p ] && echo EXISTS $p; done; ls -A /tmp | wc -l")
        .env(marker, "leaked")
        .output()
        .unwrap();
    let outcome: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let text = outcome["stdout"]["text"].as_str().unwrap();
    assert!(
        !text.contains(marker),
        "the server's environment reached the sandbox"
    );
    assert!(!text.contains("EXISTS"), "{text}");
    assert!(text.contains("PATH=/usr/local/bin:/usr/bin:/bin"), "{text}");
    assert_eq!(
        text.lines().last(),
        Some("0"),
        "the sandbox /tmp is a fresh empty tmpfs"
    );
    let _ = std::fs::remove_file("/tmp/localeval-host-file");
}

#[test]
fn the_root_and_host_binds_are_read_only_and_proc_is_masked() {
    if !require_sandbox("read-only") {
        return;
    }
    let script = "for p in /usr/x /etc/x /x /proc/sys/kernel/x; do touch $p 2>/dev/null && echo WROTE $p; done; \
                  echo 1 > /proc/sys/kernel/core_pattern 2>/dev/null && echo WROTE core_pattern; \
                  for f in kcore keys timer_list sched_debug; do [ -e /proc/$f ] && echo masked $f $(wc -c < /proc/$f); done; \
                  readlink /proc/1/exe || echo exe-hidden; \
                  ls /dev | tr '\\n' ' '; echo; touch /workspace/ok /tmp/ok && echo scratch-writable";
    let run = run_json(&["--", "/bin/sh", "-c", script]);
    let text = stdout(&run);
    assert!(!text.contains("WROTE"), "{text}");
    let masked: Vec<&str> = text.lines().filter(|l| l.starts_with("masked")).collect();
    assert!(!masked.is_empty(), "{text}");
    for line in masked {
        assert!(line.ends_with(" 0"), "not masked: {line}");
    }
    assert!(
        text.contains("exe-hidden"),
        "init's /proc/1/exe must be out of reach: {text}"
    );
    assert!(text.contains("scratch-writable"), "{text}");
    let devices: Vec<&str> = text
        .lines()
        .find(|l| l.contains("null"))
        .unwrap()
        .split_whitespace()
        .collect();
    for d in &devices {
        assert!(
            [
                "fd", "full", "null", "random", "shm", "stderr", "stdin", "stdout", "urandom",
                "zero"
            ]
            .contains(d),
            "unexpected /dev entry {d}"
        );
    }
}

#[test]
fn a_blocked_syscall_fails_with_eperm_and_an_allowed_one_works() {
    if !require_sandbox("seccomp") {
        return;
    }
    let code = "import os, ctypes, errno\n\
libc = ctypes.CDLL(None, use_errno=True)\n\
def call(nr, *a):\n  r = libc.syscall(nr, *a)\n  return r if r >= 0 else -ctypes.get_errno()\n\
print('ptrace', call(101, 0, 0, 0, 0))\n\
print('unshare', call(272, 0x10000000))\n\
print('mount', call(165, 0, 0, 0, 0, 0))\n\
print('clone3', call(435, 0, 0))\n\
print('io_uring_setup', call(425, 1, 0))\n\
print('getpid', call(39) > 0)\n";
    let run = run_json(&["--lang", "python", "--code", code]);
    assert_eq!(verdict(&run), "OK", "{}", run.outcome);
    let text = stdout(&run);
    assert!(text.contains("ptrace -1\n"), "ptrace: EPERM\n{text}");
    assert!(text.contains("unshare -1\n"), "unshare: EPERM\n{text}");
    assert!(text.contains("mount -1\n"), "mount: EPERM\n{text}");
    assert!(text.contains("clone3 -38\n"), "clone3: ENOSYS\n{text}");
    assert!(
        text.contains("io_uring_setup -38\n"),
        "io_uring: ENOSYS\n{text}"
    );
    assert!(text.contains("getpid True"), "{text}");
}

#[test]
fn a_fork_bomb_is_contained_by_the_pids_limit() {
    if !require_sandbox("fork bomb") {
        return;
    }
    // A name of this test process's own, so that another suite running at the same time
    // cannot be mistaken for a survivor.
    let name = format!("bomb{}", std::process::id());
    let script = format!("{name}() {{ {name} | {name} & }}; {name}; sleep 100");
    let run = run_json(&[
        "--pids",
        "32",
        "--timeout",
        "3s",
        "--",
        "/bin/bash",
        "-c",
        &script,
    ]);
    assert!(
        ["TLE", "RE", "OK"].contains(&verdict(&run)),
        "a fork bomb ends by the limits: {}",
        run.outcome
    );
    assert_eq!(run.outcome["limits_hit"]["pids"], true, "{}", run.outcome);
    assert!(processes_with(&name).is_empty());
}

#[test]
fn a_memory_hog_gets_mle_with_peak_memory_near_the_limit() {
    if !require_sandbox("memory") {
        return;
    }
    let run = run_json(&[
        "--memory",
        "64M",
        "--lang",
        "python",
        "--code",
        "x = bytearray(0)\nwhile True: x += b'x' * (1 << 20)",
    ]);
    assert_eq!(verdict(&run), "MLE", "{}", run.outcome);
    assert_eq!(run.outcome["limits_hit"]["memory"], true);
    let peak = run.outcome["usage"]["peak_memory_bytes"].as_u64().unwrap();
    assert!(peak > 48 << 20 && peak <= 66 << 20, "peak {peak}");
}

#[test]
fn a_sleeping_grandchild_dies_at_the_timeout_and_nothing_survives() {
    if !require_sandbox("timeout") {
        return;
    }
    let started = std::time::Instant::now();
    let run = run_json(&[
        "--timeout",
        "1s",
        "--",
        "/bin/sh",
        "-c",
        "(sleep 4242.5 &) ; (setsid sleep 4243.5 &) ; sleep 4244.5",
    ]);
    assert_eq!(verdict(&run), "TLE", "{}", run.outcome);
    assert_eq!(run.outcome["limits_hit"]["wall"], true);
    assert!(started.elapsed() < std::time::Duration::from_secs(4));
    let wall = run.outcome["usage"]["wall_ms"].as_u64().unwrap();
    assert!((1000..1500).contains(&wall), "wall {wall}");
    for marker in ["4242.5", "4243.5", "4244.5"] {
        assert!(processes_with(marker).is_empty(), "sleep {marker} survived");
    }
}

#[test]
fn a_cpu_spinner_gets_tle_at_the_cpu_time_limit() {
    if !require_sandbox("cpu") {
        return;
    }
    let run = run_json(&[
        "--cpu-time",
        "500ms",
        "--timeout",
        "10s",
        "--",
        "/bin/sh",
        "-c",
        "while :; do :; done",
    ]);
    assert_eq!(verdict(&run), "TLE", "{}", run.outcome);
    assert_eq!(run.outcome["limits_hit"]["cpu"], true, "{}", run.outcome);
    let cpu = run.outcome["usage"]["cpu_ms"].as_u64().unwrap();
    assert!((500..1000).contains(&cpu), "cpu {cpu}");
}

#[test]
fn an_output_flood_is_truncated_flagged_and_ole() {
    if !require_sandbox("output") {
        return;
    }
    let run = run_json(&["--output", "64K", "--", "/usr/bin/yes", "flood"]);
    assert_eq!(verdict(&run), "OLE", "{}", run.outcome);
    assert_eq!(run.outcome["stdout"]["truncated"], true);
    assert_eq!(stdout(&run).len(), 64 << 10);
    assert!(run.outcome["stdout"]["bytes"].as_u64().unwrap() > 64 << 10);
}

#[test]
fn both_streams_are_drained_concurrently() {
    if !require_sandbox("streams") {
        return;
    }
    // 4 MiB to each stream, interleaved: a supervisor reading one stream at a time
    // deadlocks here.
    let run = run_json(&[
        "--output", "8M", "--lang", "python", "--code",
        "import sys\nfor i in range(64):\n  sys.stdout.write('o' * 65536); sys.stderr.write('e' * 65536)\n",
    ]);
    assert_eq!(verdict(&run), "OK", "{}", run.outcome["error"]);
    assert_eq!(run.outcome["stdout"]["bytes"], 4 << 20);
    assert_eq!(run.outcome["stderr"]["bytes"], 4 << 20);
}

#[test]
fn large_stdin_round_trips() {
    if !require_sandbox("stdin") {
        return;
    }
    let input: String = (0..200_000).map(|i| format!("{i}\n")).collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("in.txt");
    std::fs::write(&path, &input).unwrap();
    let run = run_json(&[
        "--output",
        "4M",
        "--stdin",
        path.to_str().unwrap(),
        "--",
        "/bin/cat",
    ]);
    assert_eq!(verdict(&run), "OK");
    assert_eq!(stdout(&run), input);
}

#[test]
fn the_workspace_tmpfs_is_capped_and_file_size_is_limited() {
    if !require_sandbox("tmpfs") {
        return;
    }
    let run = run_json(&[
        "--tmpfs",
        "1M",
        "--",
        "/bin/sh",
        "-c",
        "dd if=/dev/zero of=/workspace/big bs=64k count=64 2>&1; wc -c < /workspace/big",
    ]);
    assert!(
        stdout(&run).contains("No space left on device"),
        "{}",
        stdout(&run)
    );
    let written: u64 = stdout(&run).lines().last().unwrap().trim().parse().unwrap();
    assert!(written <= 1 << 20, "{written} bytes in a 1 MiB tmpfs");
    let run = run_json(&[
        "--file-size",
        "100K",
        "--",
        "/bin/dd",
        "if=/dev/zero",
        "of=/tmp/f",
        "bs=1000",
        "count=200",
    ]);
    assert_eq!(
        run.outcome["limits_hit"]["file_size"], true,
        "{}",
        run.outcome
    );
    assert_eq!(verdict(&run), "OLE");
}

#[test]
fn a_missing_program_is_the_users_error_not_the_sandboxes() {
    if !require_sandbox("missing program") {
        return;
    }
    let run = run_json(&["--", "/no/such/program"]);
    assert_eq!(verdict(&run), "RE", "{}", run.outcome);
    assert_eq!(run.outcome["exit_code"], 127);
    assert!(run.outcome["stderr"]["text"]
        .as_str()
        .unwrap()
        .contains("ENOENT"));
}

#[test]
fn returned_files_come_back_and_links_are_not_followed() {
    if !require_sandbox("files") {
        return;
    }
    let run = run_json(&[
        "--return",
        "out.txt",
        "--return",
        "link",
        "--return",
        "missing",
        "--",
        "/bin/sh",
        "-c",
        "echo result > out.txt; ln -s /etc/passwd link",
    ]);
    let files = run.outcome["files"].as_array().unwrap();
    let find = |n: &str| files.iter().find(|f| f["name"] == n).unwrap();
    assert_eq!(find("out.txt")["base64"], "cmVzdWx0Cg==");
    assert!(
        find("link")["error"].as_str().unwrap().contains("link"),
        "{}",
        find("link")
    );
    assert!(find("missing")["error"]
        .as_str()
        .unwrap()
        .contains("no such"));
}

#[test]
fn a_compile_error_is_ce_and_the_program_never_runs() {
    if !require_sandbox("compile error") {
        return;
    }
    let run = run_json(&["--lang", "c", "--code", "int main(void) { return nope; }"]);
    assert_eq!(verdict(&run), "CE", "{}", run.outcome);
    assert!(run.outcome["compile"]["stderr"]["text"]
        .as_str()
        .unwrap()
        .contains("nope"));
}

#[test]
fn every_catalog_language_runs_hello_world_and_reads_stdin() {
    if !require_sandbox("languages") {
        return;
    }
    let catalog = localeval::catalog::Catalog::builtin();
    let dir = tempfile::tempdir().unwrap();
    let stdin = dir.path().join("stdin.txt");
    std::fs::write(&stdin, "line one\nline two\n").unwrap();
    let mut failures = Vec::new();
    for language in catalog.languages() {
        let hello = language.entry.hello.as_deref().unwrap();
        let run = run_json(&["--lang", &language.name, "--code", hello]);
        if verdict(&run) != "OK" || stdout(&run).trim() != "hello" {
            failures.push(format!("{} hello: {}", language.name, run.outcome));
        }
        let echo = language.entry.echo.as_deref().unwrap();
        let run = run_json(&[
            "--lang",
            &language.name,
            "--code",
            echo,
            "--stdin",
            stdin.to_str().unwrap(),
        ]);
        if verdict(&run) != "OK" || stdout(&run) != "line one\nline two\n" {
            failures.push(format!("{} echo: {}", language.name, run.outcome));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn rootless_runs_work_and_say_what_they_cannot_enforce() {
    if !require_sandbox("rootless") {
        return;
    }
    let run = run_json_as(
        &["--memory", "64M", "--", "/bin/sh", "-c", "id -u"],
        Some((65534, 65534)),
    );
    assert_eq!(verdict(&run), "OK", "{} {}", run.outcome, run.stderr);
    assert_eq!(stdout(&run).trim(), "1000");
    let provenance = &run.outcome["provenance"];
    assert_eq!(provenance["rootless"], true);
    assert_eq!(provenance["host_uid"], 65534);
    // This host's cgroups are not delegated to uid 65534: the limits fall back and say so.
    assert_eq!(provenance["cgroup_mode"], "none");
    assert_eq!(provenance["enforced"]["memory"], "rlimit");
    assert_eq!(provenance["enforced"]["cpu_quota"], "not-enforced");
    assert!(!provenance["weakened"].as_array().unwrap().is_empty());
}

#[test]
fn doctor_reports_the_enforcement_as_root_and_rootless() {
    if !require_sandbox("doctor") {
        return;
    }
    let output = localeval(&["doctor", "--json"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["sandbox"]["ok"], true, "{report}");
    assert!(["v1", "v2"].contains(&report["cgroup_mode"].as_str().unwrap()));
    let rootless = &report["as_ordinary_user"];
    assert_eq!(rootless["sandbox"]["ok"], true, "{rootless}");
    assert_eq!(rootless["rootless"], true);
}

#[test]
fn concurrent_runs_get_distinct_host_uids() {
    if !require_sandbox("distinct uids") {
        return;
    }
    let handles: Vec<_> = (0..4)
        .map(|_| std::thread::spawn(|| run_json(&["--", "/bin/sleep", "0.5"])))
        .collect();
    let mut uids: Vec<u64> = handles
        .into_iter()
        .map(|h| {
            h.join().unwrap().outcome["provenance"]["host_uid"]
                .as_u64()
                .unwrap()
        })
        .collect();
    uids.sort();
    uids.dedup();
    assert_eq!(uids.len(), 4, "concurrent runs shared a host uid: {uids:?}");
}

#[test]
fn inherited_fds_do_not_reach_the_program_and_stdio_are_pipes() {
    if !require_sandbox("fds") {
        return;
    }
    // bash opens fd 7 without close-on-exec and execs localeval, which inherits it.
    let output = std::process::Command::new("/bin/bash")
        .arg("-c")
        .arg(format!(
            "exec 7</etc/hostname; exec {} run --json -- /bin/sh -c 'ls /proc/self/fd; readlink /proc/self/fd/0 /proc/self/fd/1; [ -t 0 ] || echo no-tty'",
            binary().display()
        ))
        .output()
        .unwrap();
    let outcome: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let text = outcome["stdout"]["text"].as_str().unwrap();
    let fds: Vec<&str> = text
        .lines()
        .take_while(|l| l.chars().all(|c| c.is_ascii_digit()))
        .collect();
    assert!(
        !fds.contains(&"7"),
        "an inherited fd reached the sandbox: {text}"
    );
    assert!(fds.len() <= 4, "{text}");
    assert!(text.contains("pipe:["), "{text}");
    assert!(text.contains("no-tty"), "{text}");
}

#[test]
fn a_multithreaded_spinner_is_held_to_its_cpu_quota() {
    if !require_sandbox("cpu quota") {
        return;
    }
    let run = run_json(&[
        "--cpus",
        "0.5",
        "--timeout",
        "2s",
        "--cpu-time",
        "10s",
        "--",
        "/bin/sh",
        "-c",
        "(while :; do :; done) & (while :; do :; done) & while :; do :; done",
    ]);
    assert_eq!(verdict(&run), "TLE", "{}", run.outcome);
    let provenance = &run.outcome["provenance"]["enforced"]["cpu_quota"];
    if provenance == "not-enforced" {
        panic!(
            "this host cannot enforce a CPU quota as root: {}",
            run.outcome["provenance"]
        );
    }
    let cpu = run.outcome["usage"]["cpu_ms"].as_f64().unwrap();
    let wall = run.outcome["usage"]["wall_ms"].as_f64().unwrap();
    let ratio = cpu / wall;
    // Three spinners on this machine would use up to every core (ratio 2 on 2 cores); the
    // quota holds them under half a CPU. (Other load can only lower the ratio.)
    assert!(
        (0.1..0.6).contains(&ratio),
        "cpu {cpu} ms over wall {wall} ms = {ratio}"
    );
}

#[test]
fn a_prepared_directory_root_runs_in_place_of_the_host_profile() {
    if !require_sandbox("directory root") {
        return;
    }
    let busybox = std::path::Path::new("/bin/busybox");
    if !busybox.exists() {
        assert!(
            !must_run(),
            "busybox-static is not installed (scripts/setup.sh --tests)"
        );
        eprintln!("SKIPPED directory root: no /bin/busybox");
        return;
    }
    let root = tempfile::tempdir().unwrap();
    for dir in ["bin", "proc", "dev", "tmp", "workspace", "etc"] {
        std::fs::create_dir(root.path().join(dir)).unwrap();
    }
    std::fs::copy(busybox, root.path().join("bin/busybox")).unwrap();
    std::os::unix::fs::symlink("busybox", root.path().join("bin/sh")).unwrap();
    std::fs::write(
        root.path().join("etc/passwd"),
        "sandbox:x:1000:1000::/workspace:/bin/sh\n",
    )
    .unwrap();
    std::fs::write(root.path().join("etc/group"), "sandbox:x:1000:\n").unwrap();
    std::fs::write(root.path().join("marker"), "from the image root\n").unwrap();
    let run = run_json(&[
        "--root", root.path().to_str().unwrap(), "--", "/bin/sh", "-c",
        "cat /marker; /bin/busybox ls /usr 2>&1 | head -1; /bin/busybox touch /x 2>/dev/null || echo read-only",
    ]);
    assert_eq!(verdict(&run), "OK", "{}", run.outcome);
    let text = stdout(&run);
    assert!(text.starts_with("from the image root"), "{text}");
    assert!(
        text.contains("No such file"),
        "the host's /usr is not there: {text}"
    );
    assert!(text.contains("read-only"), "{text}");
}

#[test]
fn an_interrupted_run_kills_its_sandbox_and_cleans_up() {
    if !require_sandbox("interrupt") {
        return;
    }
    for signal in ["INT", "TERM"] {
        let child = std::process::Command::new(binary())
            .args(["run", "--timeout", "60s", "--", "/bin/sleep", "4245.5"])
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let pid = child.id();
        let started = std::time::Instant::now();
        while processes_with("4245.5").len() < 2 && started.elapsed().as_secs() < 10 {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let status = std::process::Command::new("kill")
            .args([format!("-{signal}"), pid.to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let output = child.wait_with_output().unwrap();
        assert_eq!(output.status.code(), Some(130), "{signal}: {output:?}");
        assert!(started.elapsed().as_secs() < 10);
        assert!(
            processes_with("4245.5").is_empty(),
            "{signal}: the sandbox survived"
        );
        assert_nothing_left(pid);
    }
}

#[test]
fn core_dumps_are_off_and_rlimits_are_set() {
    if !require_sandbox("rlimits") {
        return;
    }
    let run = run_json(&[
        "--open-files",
        "64",
        "--",
        "/bin/bash",
        "-c",
        "ulimit -c; ulimit -Hc; ulimit -n; ulimit -r; ulimit -e",
    ]);
    assert_eq!(verdict(&run), "OK", "{}", run.outcome);
    assert_eq!(
        stdout(&run).split_whitespace().collect::<Vec<_>>(),
        ["0", "0", "64", "0", "0"],
        "core soft/hard, open files, rtprio, nice"
    );
}
