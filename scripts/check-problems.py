#!/usr/bin/env python3
"""Check data/problems.json: run every reference solution on every test, on the host.

No sandbox: this is for the project's own, trusted reference solutions. Needs python3,
go (go build, with GOCACHE in a temporary directory), node and g++ on PATH for the
languages being checked.

Prints one line per failure and a final line "N passed, N failed" (one unit = one
solution on one test; a compile error counts as a failure of each of its tests).
Exits 1 on any failure, 2 on a usage or environment error.

Usage: python3 scripts/check-problems.py [--lang python,go] [--problem ID] [--jobs N]
"""
import argparse
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_FILE = os.path.join(HERE, "..", "data", "problems.json")
LANGS = ("python", "go", "javascript", "cpp")
SOURCE_NAME = {"python": "main.py", "go": "main.go", "javascript": "main.js", "cpp": "main.cpp"}
TOOL = {"python": "python3", "go": "go", "javascript": "node", "cpp": "g++"}


def norm(s):
    lines = [ln.rstrip() for ln in s.replace("\r\n", "\n").split("\n")]
    while lines and lines[-1] == "":
        lines.pop()
    return "\n".join(lines)


def first_diff(got, want):
    g, w = got.split("\n"), want.split("\n")
    for i in range(max(len(g), len(w))):
        a = g[i] if i < len(g) else "<missing>"
        b = w[i] if i < len(w) else "<missing>"
        if a != b:
            return f"line {i + 1}: got {a[:60]!r}, want {b[:60]!r}"
    return "?"


def build(lang, src, workdir, env):
    """Returns (argv, error). error is None on success."""
    path = os.path.join(workdir, SOURCE_NAME[lang])
    with open(path, "w") as f:
        f.write(src)
    if lang == "python":
        return [sys.executable if os.path.basename(sys.executable).startswith("python3")
                else "python3", path], None
    if lang == "javascript":
        return ["node", path], None
    exe = os.path.join(workdir, "prog")
    if lang == "go":
        cmd = ["go", "build", "-o", exe, path]
    else:
        cmd = ["g++", "-O2", "-std=c++17", "-o", exe, path]
    p = subprocess.run(cmd, cwd=workdir, env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=300)
    if p.returncode != 0:
        msg = " | ".join(l for l in p.stdout.decode(errors="replace").splitlines() if l.strip())
        return None, "compile error: " + msg[:400]
    return [exe], None


def check_solution(problem, lang, tmproot, env):
    """Returns (passed, [failure lines])."""
    pid = problem["id"]
    workdir = tempfile.mkdtemp(prefix=f"{pid}-{lang}-", dir=tmproot)
    tests = problem["tests"]
    try:
        argv, err = build(lang, problem["solutions"][lang], workdir, env)
    except subprocess.TimeoutExpired:
        argv, err = None, "compile timed out"
    if err:
        return 0, [f"FAIL {pid} [{lang}] {err}"] + \
            [f"FAIL {pid} [{lang}] test {i}: not run (no binary)" for i in range(1, len(tests))]
    # Generous wall limit: the host is shared and this is a correctness check, not timing.
    limit = max(10.0, 5 * problem.get("time_limit_ms", 2000) / 1000.0)
    passed, failures = 0, []
    for i, t in enumerate(tests):
        try:
            p = subprocess.run(argv, input=t["input"].encode(), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=limit, cwd=workdir, env=env)
        except subprocess.TimeoutExpired:
            failures.append(f"FAIL {pid} [{lang}] test {i}: timed out after {limit:.0f}s")
            continue
        if p.returncode != 0:
            err = " | ".join(l for l in p.stderr.decode(errors="replace").splitlines() if l.strip())
            failures.append(f"FAIL {pid} [{lang}] test {i}: exit {p.returncode}: {err[-300:]}")
            continue
        got, want = norm(p.stdout.decode(errors="replace")), norm(t["output"])
        if got != want:
            failures.append(f"FAIL {pid} [{lang}] test {i}: wrong answer ({first_diff(got, want)})")
            continue
        passed += 1
    shutil.rmtree(workdir, ignore_errors=True)
    return passed, failures


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--file", default=DEFAULT_FILE)
    ap.add_argument("--lang", help="comma-separated languages to check (default: all of "
                    + ", ".join(LANGS) + ")")
    ap.add_argument("--problem", action="append", help="only this problem id (repeatable)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args()

    langs = LANGS
    if args.lang:
        langs = tuple(l.strip() for l in args.lang.split(",") if l.strip())
        bad = [l for l in langs if l not in LANGS]
        if bad:
            print(f"unknown language(s): {', '.join(bad)}; known: {', '.join(LANGS)}",
                  file=sys.stderr)
            return 2
    for l in langs:
        if shutil.which(TOOL[l]) is None:
            print(f"{TOOL[l]} is not on PATH (needed for --lang {l}); install it or "
                  f"restrict the languages with --lang", file=sys.stderr)
            return 2
    with open(args.file) as f:
        doc = json.load(f)
    problems = doc["problems"]
    if args.problem:
        problems = [p for p in problems if p["id"] in args.problem]
        if not problems:
            print("no such problem: " + ", ".join(args.problem), file=sys.stderr)
            return 2

    tmproot = tempfile.mkdtemp(prefix="check-problems-")
    env = dict(os.environ)
    env["GOCACHE"] = os.path.join(tmproot, "gocache")
    env["GOPATH"] = os.path.join(tmproot, "gopath")
    env["GO111MODULE"] = "off"
    env["GOFLAGS"] = ""
    total_pass = total_fail = 0
    try:
        jobs = [(p, l) for p in problems for l in langs if l in p["solutions"]]
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as ex:
            futs = [ex.submit(check_solution, p, l, tmproot, env) for p, l in jobs]
            for fut in futs:
                passed, failures = fut.result()
                total_pass += passed
                total_fail += len(failures)
                for line in failures:
                    print(line, flush=True)
    finally:
        shutil.rmtree(tmproot, ignore_errors=True)
    print(f"{total_pass} passed, {total_fail} failed")
    return 1 if total_fail else 0


if __name__ == "__main__":
    sys.exit(main())
