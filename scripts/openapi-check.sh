#!/usr/bin/env bash
# Checks /openapi.json against a running `localeval serve` (loopback only):
#   1. openapi-spec-validator (PyPI): the document is valid OpenAPI 3;
#   2. schemathesis (PyPI): property-based requests to every route, each answer checked
#      against the document (status codes, content types, headers, schemas) and never a 5xx.
# Zero failures or it exits non-zero. Bounded: SCHEMATHESIS_MAX_EXAMPLES per operation
# (default 200: about 5,300 requests, 40 s on 2 cores) and OPENAPI_CHECK_TIMEOUT seconds for
# the fuzzing (default 600; running out of time is a failure).
# Routes that reach out of the host are left out of the fuzzing: starting an evaluation
# (it calls the model server the request names) and pulling an image (a registry).
# Usage: scripts/openapi-check.sh [path/to/localeval]   (as root: the runs need sandboxes)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${1:-target/release/localeval}"
VENV="target/openapi-venv"
MAX_EXAMPLES="${SCHEMATHESIS_MAX_EXAMPLES:-200}"
TIMEOUT="${OPENAPI_CHECK_TIMEOUT:-600}"

if [ ! -x "$VENV/bin/schemathesis" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "openapi-spec-validator==0.9.0" "schemathesis==4.32.5"
fi

work=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# A fresh server on a free loopback port; no rate limit (the fuzzer sends many requests),
# short run limits so that generated programs end quickly.
mkfifo "$work/out"
printf '[limits.run]\nwall = "2s"\n[limits.max]\nwall = "3s"\n' >"$work/serve.toml"
"$BIN" serve --listen 127.0.0.1:0 --rate-limit off --audit-log off --config "$work/serve.toml" \
  >"$work/out" 2>"$work/server.log" &
server_pid=$!
read -r -t 30 line <"$work/out"
URL="${line#localeval listening on }"
case "$URL" in http://127.0.0.1:*) ;; *) echo "unexpected first line: $line" >&2; exit 1 ;; esac
cat "$work/out" >/dev/null &

curl -sf "$URL/openapi.json" -o "$work/openapi.json"
echo "== openapi-spec-validator"
"$VENV/bin/openapi-spec-validator" "$work/openapi.json"

echo "== schemathesis ($MAX_EXAMPLES examples per operation, at most ${TIMEOUT}s)"
start=$(date +%s)
timeout --signal=INT "$TIMEOUT" "$VENV/bin/schemathesis" run "$work/openapi.json" \
  --url "$URL" \
  --checks all \
  --exclude-checks positive_data_acceptance,use_after_free,ensure_resource_availability,ignored_auth,object_level_authorization \
  --max-examples "$MAX_EXAMPLES" \
  --exclude-operation-id start_eval \
  --exclude-operation-id pull_image \
  --generation-deterministic \
  --no-color
echo "schemathesis: $(( $(date +%s) - start ))s"
