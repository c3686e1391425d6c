"""Shared pieces for the problem definitions (see scripts/gen-problems.py)."""

# Prepended to every JavaScript solution: whitespace-separated tokens of stdin.
JS = ("const T=require('fs').readFileSync(0,'utf8').split(/\\s+/).filter(s=>s.length>0);"
      "let P=0;const next=()=>T[P++];const num=()=>Number(T[P++]);\n")
# Prepended to every C++ solution.
CPP = "#include <bits/stdc++.h>\nusing namespace std;\ntypedef long long ll;\n"


def ints(xs):
    return " ".join(str(x) for x in xs)


def rand_ints(rng, n, lo, hi):
    return [rng.randint(lo, hi) for _ in range(n)]


def arr_input(xs, *extra):
    """'n\\nxs\\n' followed by extra lines."""
    s = f"{len(xs)}\n{ints(xs)}\n"
    for e in extra:
        s += f"{e}\n"
    return s


def word(rng, lo, hi, alphabet="abcdefghijklmnopqrstuvwxyz"):
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(lo, hi)))


def P(**kw):
    kw.setdefault("gen", [])
    return kw
