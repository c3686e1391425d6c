#!/usr/bin/env bash
# An OCI image of localeval, built from Debian packages without Docker (issue 17).
#
#   scripts/build-image.sh build VARIANT        build (cached); prints oci:LAYOUT:TAG as the last line
#   scripts/build-image.sh push VARIANT DEST    build, then copy to docker://DEST
#                                               (e.g. 127.0.0.1:5000/localeval:python; loopback
#                                               registries over plain HTTP)
#   scripts/build-image.sh load VARIANT [NAME]  build, then copy into the calling user's podman
#                                               storage as NAME (default localhost/localeval:VARIANT)
#   scripts/build-image.sh run-options          print the podman/docker run options localeval
#                                               needs in an unprivileged container, one a line
#                                               (README "Install"; deploy/compose.yaml has the same)
#
# VARIANT: full   every catalog language's toolchain (rootfs/catalog.toml "packages")
#          python python3 and bash only (the slim one)
# Both have ca-certificates: the model backends' HTTP client loads the system store even
# for plain-HTTP Ollama, and image pulls over https need it.
#
# The image: Debian bookworm (mmdebstrap, minbase) plus the packages, then one layer with
# /usr/local/bin/localeval, /etc/localeval/config.toml (deploy/container/config.toml) and
# /usr/share/localeval/packages.txt (the exact versions installed) and
# /usr/share/localeval/data/problems.json (the built-in problem set: the working directory is
# /usr/share/localeval, so an evaluation of dataset `problems` finds it). Entrypoint `localeval`,
# command `serve --config /etc/localeval/config.toml`, port 8080, volume /var/lib/localeval
# (image store, history, eval store). The server refuses to start without LOCALEVAL_TOKEN
# (it listens on 0.0.0.0 inside the container).
#
# Reproducible: file, layer and config times are SOURCE_DATE_EPOCH (default: the time of
# the last commit), tar entries sorted with numeric owners, and the package versions of a
# build are recorded in $CACHE/packages-VARIANT.txt; give that file back as
# LOCALEVAL_IMAGE_PINS to install exactly those versions again. Two builds from the same
# root tarball and binary give the same manifest digest (tests/deploy_image.sh checks it).
#
# Environment:
#   LOCALEVAL_BIN           the binary to ship (default target/release/localeval; built if absent)
#   LOCALEVAL_IMAGE_CACHE   debs, root tarballs and the OCI layout (default /var/tmp/localeval-image)
#   LOCALEVAL_IMAGE_MIRROR  Debian mirror (default http://deb.debian.org/debian)
#   LOCALEVAL_IMAGE_PINS    a packages-VARIANT.txt of an earlier build: install those versions
#   SOURCE_DATE_EPOCH       see above
#
# Needs (Debian packages, scripts/setup.sh --tests installs them): mmdebstrap umoci skopeo.
# Runs as root (mmdebstrap's root mode; device nodes in the root tarball).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
CACHE=${LOCALEVAL_IMAGE_CACHE:-/var/tmp/localeval-image}
LAYOUT="$CACHE/layout"
MIRROR=${LOCALEVAL_IMAGE_MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm

say() { printf 'build-image: %s\n' "$*" >&2; }
die() { printf 'build-image: error: %s\n' "$*" >&2; exit 2; }

need() {
    for tool in "$@"; do
        command -v "$tool" >/dev/null || die "$tool is missing (scripts/setup.sh --tests installs mmdebstrap umoci skopeo)"
    done
}

if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
    SOURCE_DATE_EPOCH=$(git -C "$repo" log -1 --format=%ct 2>/dev/null || echo 1700000000)
fi
export SOURCE_DATE_EPOCH
created=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)

# The Debian packages of a variant.
packages() {
    case $1 in
    full) sed -n 's/^packages *= *\[\(.*\)\]/\1/p' "$repo/rootfs/catalog.toml" | tr -d '",' | tr ' ' '\n'
        echo ca-certificates ;;
    python) printf '%s\n' python3 bash coreutils ca-certificates ;;
    *) die "unknown variant $1 (full or python)" ;;
    esac | awk 'NF' | sort -u
}

# What apt installs: the names, or NAME=VERSION of every package of the pin file.
includes() {
    if [ -n "${LOCALEVAL_IMAGE_PINS:-}" ]; then
        [ -r "$LOCALEVAL_IMAGE_PINS" ] || die "LOCALEVAL_IMAGE_PINS=$LOCALEVAL_IMAGE_PINS is not readable"
        tr '\n' ',' <"$LOCALEVAL_IMAGE_PINS"
    else
        packages "$1" | tr '\n' ','
    fi
}

# The root file system of VARIANT as a tarball, cached by what goes into it.
root_tarball() {
    local variant=$1 inc key tarball
    inc=$(includes "$variant")
    key=$(printf '%s\n' "$SUITE" "$MIRROR" "$inc" "$SOURCE_DATE_EPOCH" | sha256sum | cut -c1-16)
    tarball="$CACHE/root-$variant-$key.tar"
    if [ ! -s "$tarball" ]; then
        need mmdebstrap
        mkdir -p "$CACHE/debs"
        say "mmdebstrap $SUITE ($variant: ${inc%,}); log in $CACHE/mmdebstrap-$variant.log"
        local security=${MIRROR%/debian}/debian-security
        # The debs are cached across builds (mmdebstrap(1), "sync-in"/"sync-out"); apt's
        # lists and caches leave the image (--skip defaults), the versions are recorded.
        # man1 stays: the JDK's postinst links its man page there (update-alternatives).
        mmdebstrap --variant=minbase --include="${inc%,}" \
            --aptopt='APT::Install-Recommends "false"' \
            --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
            --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
            --skip=essential/unlink \
            --setup-hook='mkdir -p "$1"/var/cache/apt/archives/' \
            --setup-hook='mkdir -p "$1"/usr/share/man/man1' \
            --setup-hook="sync-in $CACHE/debs /var/cache/apt/archives/" \
            --customize-hook="sync-out /var/cache/apt/archives $CACHE/debs" \
            --customize-hook="chroot \"\$1\" dpkg-query -W -f='\${Package}=\${Version}\n' > $CACHE/packages-$variant.txt.new" \
            --customize-hook='rm -f "$1"/var/cache/apt/archives/*.deb' \
            "$SUITE" "$tarball.tmp.tar" \
            "deb $MIRROR $SUITE main" "deb $MIRROR $SUITE-updates main" "deb $security $SUITE-security main" \
            >"$CACHE/mmdebstrap-$variant.log" 2>&1 \
            || { tail -n 30 "$CACHE/mmdebstrap-$variant.log" >&2; die "mmdebstrap failed"; }
        sort "$CACHE/packages-$variant.txt.new" >"$CACHE/packages-$variant-$key.txt"
        rm -f "$CACHE/packages-$variant.txt.new"
        mv "$tarball.tmp.tar" "$tarball"
    fi
    cp "$CACHE/packages-$variant-$key.txt" "$CACHE/packages-$variant.txt"
    echo "$tarball"
}

binary() {
    local bin=${LOCALEVAL_BIN:-$repo/target/release/localeval}
    if [ ! -x "$bin" ]; then
        say "building localeval (cargo build --release)"
        (cd "$repo" && cargo build --release --locked --bin localeval >&2) || die "cargo build failed"
    fi
    realpath "$bin"
}

# A tar of DIR with sorted names, numeric owner root, times clamped to SOURCE_DATE_EPOCH.
repro_tar() {
    tar --sort=name --mtime="@$SOURCE_DATE_EPOCH" --clamp-mtime --owner=0 --group=0 --numeric-owner \
        --format=pax --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
        -C "$1" -cf "$2" .
}

build() {
    local variant=$1 tag="localeval-$1" root bin app
    need umoci tar
    root=$(root_tarball "$variant")
    bin=$(binary)
    mkdir -p "$CACHE"
    app=$(mktemp -d "$CACHE/app.XXXXXX")
    chmod 0755 "$app"
    install -D -m 0755 "$bin" "$app/usr/local/bin/localeval"
    # The release profile keeps debug info (over 100 MB); the image does not need it.
    if command -v objcopy >/dev/null; then objcopy --strip-debug "$app/usr/local/bin/localeval"; fi
    install -D -m 0644 "$repo/data/problems.json" "$app/usr/share/localeval/data/problems.json"
    install -D -m 0644 "$repo/deploy/container/config.toml" "$app/etc/localeval/config.toml"
    install -D -m 0755 "$repo/deploy/container/healthcheck" "$app/usr/local/bin/localeval-healthcheck"
    install -D -m 0644 "$CACHE/packages-$variant.txt" "$app/usr/share/localeval/packages.txt"
    install -d -m 0755 "$app/var/lib/localeval"
    repro_tar "$app" "$app.tar"
    [ -d "$LAYOUT" ] || umoci init --layout "$LAYOUT"
    umoci rm --image "$LAYOUT:$tag" 2>/dev/null || true
    umoci new --image "$LAYOUT:$tag"
    local h=(--history.created "$created" --history.author localeval)
    umoci raw add-layer --image "$LAYOUT:$tag" "${h[@]}" \
        --history.created_by "mmdebstrap --variant=minbase $SUITE ($variant)" "$root"
    umoci raw add-layer --image "$LAYOUT:$tag" "${h[@]}" \
        --history.created_by "localeval $(git -C "$repo" describe --always --dirty 2>/dev/null || echo unknown)" "$app.tar"
    umoci config --image "$LAYOUT:$tag" --no-history --created "$created" --author localeval \
        --os linux --architecture amd64 \
        --config.env PATH=/usr/local/bin:/usr/bin:/bin --config.env LOCALEVAL_LOG=info \
        --config.entrypoint /usr/local/bin/localeval \
        --config.cmd serve --config.cmd --config --config.cmd /etc/localeval/config.toml \
        --config.workingdir /usr/share/localeval --config.volume /var/lib/localeval \
        --config.exposedports 8080/tcp --config.stopsignal SIGTERM \
        --config.label org.opencontainers.image.title="localeval ($variant)" \
        --config.label org.opencontainers.image.created="$created"
    umoci gc --layout "$LAYOUT"
    rm -rf "$app" "$app.tar"
    say "image $tag: manifest $(manifest_digest "$tag")"
    echo "oci:$LAYOUT:$tag"
}

manifest_digest() {
    python3 -c '
import json, sys
for m in json.load(open(sys.argv[1] + "/index.json"))["manifests"]:
    if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == sys.argv[2]:
        print(m["digest"])' "$LAYOUT" "$1"
}

run_options() {
    # The least localeval needs in an unprivileged container (no --privileged, no engine
    # socket, no host PID or network namespace), each found by taking it away
    # (tests/deploy_container.sh; `localeval doctor` names the one missing):
    #  - seccomp: deploy/seccomp.json is the engine's default profile plus sethostname (each
    #    sandbox names its own UTS namespace; the default allows it only with CAP_SYS_ADMIN).
    #    unshare/clone of namespaces and mount are allowed by podman's default already, not
    #    by Docker's: the profile allows them (they act inside the new user namespace).
    #  - /proc not masked: the kernel refuses a fresh proc mount in a user namespace while
    #    parts of /proc are over-mounted (fs/namespace.c, mnt_already_visible).
    #  - a private cgroup namespace: the container's own cgroup at /sys/fs/cgroup (where
    #    the host delegates one, limits are cgroup v2; elsewhere rlimits, said in provenance).
    printf '%s\n' "--security-opt=seccomp=$repo/deploy/seccomp.json" \
        "--security-opt=unmask=/proc/*" "--cgroupns=private"
}

case ${1:-} in
build)
    [ -n "${2:-}" ] || die "build needs a variant (full or python)"
    build "$2"
    ;;
push)
    [ -n "${3:-}" ] || die "push needs a variant and a destination (HOST:PORT/NAME:TAG)"
    need skopeo
    build "$2" >/dev/null
    tls=()
    case $3 in 127.0.0.1:* | localhost:* | \[::1\]:*) tls=(--dest-tls-verify=false) ;; esac
    skopeo copy -q "${tls[@]}" "oci:$LAYOUT:localeval-$2" "docker://$3"
    echo "docker://$3"
    ;;
load)
    [ -n "${2:-}" ] || die "load needs a variant (full or python)"
    need skopeo
    build "$2" >/dev/null
    name=${3:-localhost/localeval:$2}
    skopeo copy -q "oci:$LAYOUT:localeval-$2" "containers-storage:$name"
    echo "$name"
    ;;
run-options) run_options ;;
*)
    sed -n '2,40p' "$0"
    exit 2
    ;;
esac
