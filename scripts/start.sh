#!/usr/bin/env bash
# Sets up a fresh Debian/Ubuntu machine and starts localeval: installs the catalog's
# toolchains, builds the release binary, checks the host (`localeval doctor`), then runs
# the service when this build has one, or a first program in the sandbox.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
scripts/setup.sh
cargo build --release --locked
bin=target/release/localeval
"$bin" doctor
if "$bin" serve --help >/dev/null 2>&1; then
  exec "$bin" serve "$@"
fi
echo 'print("hello from the sandbox")' | "$bin" run --lang python --code "$(cat)"
