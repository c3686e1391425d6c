#!/usr/bin/python3
"""Service memory over many executions (issue 7: "flat over 10,000 executions").
Standard library only, run with Debian's /usr/bin/python3, as root (the sandbox needs it).

Starts `localeval serve` on a loopback port, sends N small executions at a bounded
concurrency over keep-alive connections, and samples the serve process every EVERY
executions: RSS (and its anonymous part), threads, and the history's row count. Prints
the timeline as a table, and as JSON with --json.

    scripts/bench/memory.py --localeval target/release/localeval
    scripts/bench/memory.py --localeval BIN -n 10000 -c 4 --every 500
    scripts/bench/memory.py --localeval BIN --env MALLOC_ARENA_MAX=2      # test a hypothesis
    scripts/bench/memory.py --localeval BIN --output-bytes 20000           # bigger outputs
    scripts/bench/memory.py --localeval BIN --serve-arg=--config --serve-arg=FILE
"""

import argparse
import http.client
import json
import os
import subprocess
import sys
import threading
import time


def status_fields(pid):
    """VmRSS, RssAnon, RssFile, Threads of /proc/PID/status (kB; threads as a count)."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "RssAnon", "RssFile", "Threads", "VmHWM"):
                out[key] = int(value.split()[0])
    return out


def request(conn, method, path, body=None):
    headers = {"content-type": "application/json"} if body is not None else {}
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    return response.status, response.read()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--localeval", required=True, help="the localeval binary")
    p.add_argument("-n", type=int, default=10_000, help="executions to send (default 10000)")
    p.add_argument("-c", type=int, default=4, help="concurrency, 1-8 (default 4)")
    p.add_argument("--every", type=int, default=500, help="sample every this many executions")
    p.add_argument("--language", default="bash", choices=["bash", "python"])
    p.add_argument("--output-bytes", type=int, default=0,
                   help="each run prints this many bytes (default: a tiny output)")
    p.add_argument("--env", action="append", default=[], help="KEY=VALUE for the server")
    p.add_argument("--serve-arg", action="append", default=[], help="extra `serve` argument")
    p.add_argument("--json", action="store_true", help="also print the timeline as JSON")
    args = p.parse_args()
    conc = max(1, min(8, args.c))

    if args.output_bytes:
        code = (f"head -c {args.output_bytes} /dev/zero | tr '\\0' x" if args.language == "bash"
                else f"print('x' * {args.output_bytes})")
    else:
        code = "true" if args.language == "bash" else "print(1)"
    body = json.dumps({"language": args.language, "code": code}).encode()

    env = dict(os.environ, LOCALEVAL_LOG="warn")
    env.pop("LOCALEVAL_TOKEN", None)
    for kv in args.env:
        k, _, v = kv.partition("=")
        env[k] = v
    server = subprocess.Popen(
        [args.localeval, "serve", "--listen", "127.0.0.1:0", "--rate-limit", "off",
         "--audit-log", "off", "--max-concurrent", "8", "--max-queue", "64", *args.serve_arg],
        stdout=subprocess.PIPE, env=env)
    try:
        line = server.stdout.readline().decode().strip()
        prefix = "localeval listening on http://"
        if not line.startswith(prefix):
            sys.exit(f"memory.py: unexpected first line from localeval serve: {line!r}")
        host, _, port = line[len(prefix):].rpartition(":")
        port = int(port)
        if host not in ("127.0.0.1", "[::1]"):
            sys.exit("memory.py: the server must listen on loopback")

        lock = threading.Lock()
        state = {"sent": 0, "done": 0, "bad": 0, "why": ""}
        samples = []
        t0 = time.time()

        def sample(executions):
            s = status_fields(server.pid)
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            _, page = request(c, "GET", "/api/v1/executions?limit=1")
            c.close()
            samples.append({"executions": executions, "secs": round(time.time() - t0, 1),
                            "rss_kb": s["VmRSS"], "anon_kb": s.get("RssAnon", 0),
                            "threads": s["Threads"], "hwm_kb": s["VmHWM"],
                            "history_rows": json.loads(page)["total"],
                            "load1": os.getloadavg()[0]})

        time.sleep(0.5)
        sample(0)
        next_sample = [args.every]

        def worker():
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            while True:
                with lock:
                    if state["sent"] >= args.n:
                        break
                    state["sent"] += 1
                try:
                    status, text = request(conn, "POST", "/api/v1/execute", body)
                    r = json.loads(text)
                    ok = status == 200 and r.get("verdict") == "OK"
                except (OSError, http.client.HTTPException, ValueError) as e:
                    ok, status, r = False, 0, {"error": str(e)}
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                with lock:
                    state["done"] += 1
                    if not ok:
                        state["bad"] += 1
                        state["why"] = f"{status} {str(r)[:300]}"
                    done = state["done"]
                    if done >= next_sample[0]:
                        next_sample[0] += args.every
                        sample(done)
            conn.close()

        threads = [threading.Thread(target=worker) for _ in range(conc)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if samples[-1]["executions"] != state["done"]:
            sample(state["done"])
        time.sleep(2)
        idle_after = status_fields(server.pid)["VmRSS"]
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()

    print(f"# localeval serve memory: {args.n} x {args.language} {code!r} at concurrency {conc}, "
          f"env {args.env or 'default'}, serve args {args.serve_arg or 'default'}; "
          f"{state['bad']} failed{(' (last: ' + state['why'] + ')') if state['bad'] else ''}")
    print("| executions | secs | RSS MB | anon MB | threads | history rows | load1 |")
    print("|---|---|---|---|---|---|---|")
    for s in samples:
        print(f"| {s['executions']} | {s['secs']} | {s['rss_kb'] / 1024:.1f} | {s['anon_kb'] / 1024:.1f} "
              f"| {s['threads']} | {s['history_rows']} | {s['load1']:.1f} |")
    print(f"peak RSS {samples[-1]['hwm_kb'] / 1024:.1f} MB; RSS 2 s after the last execution "
          f"{idle_after / 1024:.1f} MB")
    if args.json:
        print(json.dumps({"samples": samples, "failed": state["bad"], "idle_after_kb": idle_after}))
    return 1 if state["bad"] else 0


if __name__ == "__main__":
    sys.exit(main())
