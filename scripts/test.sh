#!/usr/bin/env bash
# The whole test suite, from a fresh Debian/Ubuntu machine: installs what it needs, builds,
# runs the unit and integration tests (real sandboxes), and the other suites that exist.
# Run as root (the sandbox tests need it; some of them also run as uid 65534).
# LOCALEVAL_TESTS_MUST_RUN=1 turns every skip for a missing host feature into a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

scripts/setup.sh --tests

echo "== formatting and lints (every unsafe block documented: clippy::undocumented_unsafe_blocks)"
cargo fmt --all -- --check
cargo clippy --release --locked --all-targets -- -D warnings

echo "== cargo build"
cargo build --release --locked --all-targets

echo "== cargo test"
cargo test --release --locked -- --test-threads="${LOCALEVAL_TEST_THREADS:-2}"

echo "== OpenAPI: openapi-spec-validator and schemathesis against a loopback server"
# About 40 s for 200 examples per operation on 2 cores, plus about 35 s the first time
# (the pip install into target/openapi-venv); at most OPENAPI_CHECK_TIMEOUT (600 s).
bash scripts/openapi-check.sh target/release/localeval

echo "== deployment: the container image under podman, compose with Ollama (tests/deploy/)"
bash tests/deploy/container.sh
bash tests/deploy/compose.sh

if [ -f scripts/vm-test.sh ]; then
  echo "== cgroup v2 VM test"
  bash scripts/vm-test.sh target/release/localeval
fi
echo "== all suites passed"
