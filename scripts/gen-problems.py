#!/usr/bin/env python3
"""Build data/problems.json from the problem definitions in scripts/problemdefs/.

The definitions are the source of truth: each problem has a statement, hand-written
small tests (most with the expected output written by hand) and a deterministic
generator for its larger tests. Expected outputs that are not written by hand are
computed by running the problem's Python reference solution; hand-written ones are
checked against it, so a mistake in either stops the build.

Usage: python3 scripts/gen-problems.py [--out data/problems.json]
Standard library only; the output is byte-for-byte reproducible.
"""
import argparse
import json
import os
import random
import subprocess
import sys
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from problemdefs import ALL_MODULES  # noqa: E402

DIFFICULTIES = ("easy", "medium", "hard")
LANGS = ("python", "go", "javascript", "cpp")
MIN_TESTS = 5


def run_python(src, stdin, pid):
    p = subprocess.run([sys.executable, "-c", src], input=stdin.encode(),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    if p.returncode != 0:
        sys.exit(f"{pid}: python reference failed (exit {p.returncode}):\n{p.stderr.decode()}")
    return p.stdout.decode()


def norm(s):
    lines = [ln.rstrip() for ln in s.replace("\r\n", "\n").split("\n")]
    while lines and lines[-1] == "":
        lines.pop()
    return "\n".join(lines)


def build_problem(d):
    pid = d["id"]
    rng = random.Random(zlib.crc32(pid.encode()))
    raw = list(d["tests"])
    for g in d.get("gen", []):
        raw.append((g(rng), None))
    if len(raw) < MIN_TESTS:
        sys.exit(f"{pid}: only {len(raw)} tests")
    assert d["difficulty"] in DIFFICULTIES, pid
    tests = []
    for inp, want in raw:
        if not inp.endswith("\n"):
            inp += "\n"
        got = run_python(d["python"], inp, pid)
        if want is not None:
            if not want.endswith("\n"):
                want += "\n"
            if norm(got) != norm(want):
                sys.exit(f"{pid}: hand-written expected output differs from the python "
                         f"reference\ninput:\n{inp[:500]}\nexpected:\n{want[:500]}\ngot:\n{got[:500]}")
        tests.append({"input": inp, "output": norm(got) + "\n"})
    ex = tests[0]
    statement = d["statement"].strip() + (
        "\n\nExample input:\n" + ex["input"] + "\nExample output:\n" + ex["output"])
    sols = {}
    for lang in LANGS:
        if d.get(lang):
            sols[lang] = d[lang].strip() + "\n"
    assert "python" in sols and "go" in sols, pid
    return {
        "id": pid,
        "title": d["title"],
        "statement": statement,
        "categories": d["categories"],
        "difficulty": d["difficulty"],
        "time_limit_ms": d.get("time_limit_ms", 2000),
        "memory_limit_mb": d.get("memory_limit_mb", 256),
        "tests": tests,
        "solutions": sols,
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(HERE, "..", "data", "problems.json"))
    ap.add_argument("--only", help="build only problems whose id contains this (for debugging; "
                    "prints instead of writing)")
    args = ap.parse_args()
    defs = [d for m in ALL_MODULES for d in m.PROBLEMS]
    ids = [d["id"] for d in defs]
    dup = {i for i in ids if ids.count(i) > 1}
    if dup:
        sys.exit(f"duplicate ids: {sorted(dup)}")
    if args.only:
        for d in defs:
            if args.only in d["id"]:
                p = build_problem(d)
                print(p["id"], len(p["tests"]), "tests ok")
        return
    problems = [build_problem(d) for d in defs]
    doc = {"version": 1, "problems": problems}
    with open(args.out, "w") as f:
        json.dump(doc, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"wrote {len(problems)} problems to {os.path.normpath(args.out)}")


if __name__ == "__main__":
    main()
