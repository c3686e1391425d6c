#!/usr/bin/env bash
# Test images and a loopback registry for the image-store tests (tests/image_*.rs).
#
#   build-test-images.sh build           build the OCI layouts (cached) and print their directory
#   build-test-images.sh serve DIR [USER:PASS]
#                                        start Debian's docker-registry (distribution v2) on
#                                        127.0.0.1 and a free port, storage and config in DIR,
#                                        basic auth (htpasswd) when USER:PASS is given, bearer
#                                        tokens when LOCALEVAL_TEST_TOKEN_REALM (token URL) and
#                                        LOCALEVAL_TEST_TOKEN_BUNDLE (PEM certificate the
#                                        tokens are signed for) are set (service
#                                        localeval-test, issuer localeval-test-issuer); prints
#                                        "PORT PID" once it answers
#   build-test-images.sh restart DIR     start the registry of DIR again on the same port
#   build-test-images.sh push PORT [USER:PASS]
#                                        push every test image into the registry on PORT
#
# Images (pushed as 127.0.0.1:PORT/NAME:latest):
#   busybox   busybox-static as /bin/busybox with sh, echo, cat, ls links; one layer
#   layered   busybox plus two layers: /data/{keep,gone}, /opq/{old1,old2}, then a layer
#             with a whiteout for /data/gone and an opaque /opq holding only /opq/new
#   multi     an image index with linux/amd64 and linux/arm64 entries; /platform names one
#   workdir   busybox with WorkingDir /proc/self/root (must be ignored, with a note)
#   big       busybox plus a 32 MiB incompressible layer (interrupted-pull and disk-full tests)
#   python    Debian bookworm minbase + python3-minimal, only when LOCALEVAL_TEST_DEBIAN=1
#             (debootstrap against the configured apt mirror; cached; measured 96 s cold on a
#             2-core VM); pushed only when LOCALEVAL_TEST_PUSH_PYTHON=1
#
# Needs (Debian packages): docker-registry skopeo umoci busybox-static apache2-utils python3
# (and debootstrap for the python image). The layouts are cached in
# ${LOCALEVAL_TEST_IMAGES:-/var/tmp/localeval-test-images}.
set -euo pipefail

CACHE=${LOCALEVAL_TEST_IMAGES:-/var/tmp/localeval-test-images}
LAYOUT="$CACHE/layout-v2"
STAMP="$CACHE/layout.v2.done"

need() {
    for tool in "$@"; do
        command -v "$tool" >/dev/null || {
            echo "build-test-images.sh: $tool is missing (apt-get install docker-registry skopeo umoci busybox-static apache2-utils debootstrap)" >&2
            exit 3
        }
    done
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Repack the bundle of $1 (image:tag) after a change.
repack() { umoci repack --refresh-bundle --image "$LAYOUT:$1" "$CACHE/bundle-$1"; }

build() {
    need umoci python3 tar
    [ -e "$STAMP" ] && { echo "$LAYOUT"; return; }
    rm -rf "$LAYOUT" "$CACHE"/bundle-* "$CACHE"/layer-*
    mkdir -p "$CACHE"
    umoci init --layout "$LAYOUT"

    # busybox
    umoci new --image "$LAYOUT:busybox"
    umoci config --image "$LAYOUT:busybox" --os linux --architecture amd64 \
        --config.env PATH=/bin --config.env LD_PRELOAD=/evil.so --config.workingdir /
    umoci unpack --image "$LAYOUT:busybox" "$CACHE/bundle-busybox" >/dev/null
    local root="$CACHE/bundle-busybox/rootfs"
    mkdir -p "$root/bin" "$root/etc"
    cp /bin/busybox "$root/bin/busybox"
    for applet in sh echo cat ls id; do ln -s busybox "$root/bin/$applet"; done
    echo "root:x:0:0:root:/root:/bin/sh" >"$root/etc/passwd"
    echo hello-from-busybox >"$root/hello"
    repack busybox

    # layered: busybox + files, then a hand-made layer with whiteouts and an opaque dir
    umoci copy "$LAYOUT:busybox" "$LAYOUT:layered" 2>/dev/null || \
        skopeo copy "oci:$LAYOUT:busybox" "oci:$LAYOUT:layered" >/dev/null
    umoci unpack --image "$LAYOUT:layered" "$CACHE/bundle-layered" >/dev/null
    root="$CACHE/bundle-layered/rootfs"
    mkdir -p "$root/data" "$root/opq"
    echo keep >"$root/data/keep"
    echo gone >"$root/data/gone"
    echo old1 >"$root/opq/old1"
    echo old2 >"$root/opq/old2"
    repack layered
    local stage="$CACHE/layer-whiteouts"
    mkdir -p "$stage/data" "$stage/opq"
    : >"$stage/data/.wh.gone"
    : >"$stage/opq/.wh..wh..opq"
    echo new >"$stage/opq/new"
    tar --numeric-owner --owner=0 --group=0 -C "$stage" -cf "$CACHE/layer-whiteouts.tar" data opq
    umoci raw add-layer --image "$LAYOUT:layered" "$CACHE/layer-whiteouts.tar"

    # multi: two single-platform images and an index over them
    for arch in amd64 arm64; do
        skopeo copy "oci:$LAYOUT:busybox" "oci:$LAYOUT:multi-$arch" >/dev/null
        umoci unpack --image "$LAYOUT:multi-$arch" "$CACHE/bundle-multi-$arch" >/dev/null
        echo "$arch" >"$CACHE/bundle-multi-$arch/rootfs/platform"
        repack "multi-$arch"
        umoci config --image "$LAYOUT:multi-$arch" --os linux --architecture "$arch"
    done
    python3 - "$LAYOUT" <<'EOF'
import hashlib, json, os, sys
layout = sys.argv[1]
top = json.load(open(os.path.join(layout, "index.json")))
entries = []
for arch in ("amd64", "arm64"):
    desc = next(m for m in top["manifests"]
                if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == f"multi-{arch}")
    d = {k: desc[k] for k in ("mediaType", "digest", "size")}
    d["platform"] = {"architecture": arch, "os": "linux"}
    if arch == "arm64":
        d["platform"]["variant"] = "v8"
    entries.append(d)
# an attestation-like entry that must never be picked
entries.append({**{k: entries[0][k] for k in ("mediaType", "digest", "size")},
                "platform": {"architecture": "unknown", "os": "unknown"}})
# arm64 first, so that picking the first entry would be wrong on amd64 hosts
entries = [entries[1], entries[0], entries[2]]
index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
         "manifests": entries}
data = json.dumps(index).encode()
digest = hashlib.sha256(data).hexdigest()
open(os.path.join(layout, "blobs", "sha256", digest), "wb").write(data)
top["manifests"].append({"mediaType": "application/vnd.oci.image.index.v1+json",
                         "digest": "sha256:" + digest, "size": len(data),
                         "annotations": {"org.opencontainers.image.ref.name": "multi"}})
json.dump(top, open(os.path.join(layout, "index.json"), "w"))
EOF

    # workdir: busybox whose config's WorkingDir leaves the root (/proc/self/root)
    skopeo copy "oci:$LAYOUT:busybox" "oci:$LAYOUT:workdir" >/dev/null
    umoci config --image "$LAYOUT:workdir" --config.workingdir /proc/self/root

    # big: a 32 MiB layer of random bytes (gzip cannot shrink it)
    skopeo copy "oci:$LAYOUT:busybox" "oci:$LAYOUT:big" >/dev/null
    umoci unpack --image "$LAYOUT:big" "$CACHE/bundle-big" >/dev/null
    head -c 33554432 /dev/urandom >"$CACHE/bundle-big/rootfs/random.bin"
    repack big

    rm -rf "$CACHE"/bundle-* "$CACHE"/layer-whiteouts
    touch "$STAMP"
    echo "$LAYOUT"
}

build_python() {
    need debootstrap umoci
    local done="$CACHE/python.v2.done"
    [ -e "$done" ] && return
    if [ ! -e "$CACHE/debian-rootfs/usr/bin/python3" ]; then
        rm -rf "$CACHE/debian-rootfs.tmp"
        debootstrap --variant=minbase --include=python3-minimal bookworm \
            "$CACHE/debian-rootfs.tmp" >"$CACHE/debootstrap.log" 2>&1
        mv "$CACHE/debian-rootfs.tmp" "$CACHE/debian-rootfs"
    fi
    umoci new --image "$LAYOUT:python"
    umoci config --image "$LAYOUT:python" --os linux --architecture amd64 \
        --config.env PATH=/usr/local/bin:/usr/bin:/bin --config.workingdir /
    umoci unpack --image "$LAYOUT:python" "$CACHE/bundle-python" >/dev/null
    # device nodes from debootstrap stay out (the store would skip them anyway)
    tar -C "$CACHE/debian-rootfs" --exclude=./dev/* --exclude=./proc/* --exclude=./sys/* -cf - . |
        tar -C "$CACHE/bundle-python/rootfs" -xf -
    repack python
    rm -rf "$CACHE/bundle-python"
    touch "$done"
}

write_config() {
    local dir=$1 port=$2 auth=${3:-}
    mkdir -p "$dir/storage"
    {
        echo "version: 0.1"
        echo "log: {level: error}"
        echo "storage:"
        echo "  filesystem: {rootdirectory: $dir/storage}"
        echo "  delete: {enabled: true}"
        echo "http: {addr: 127.0.0.1:$port}"
        if [ -n "$auth" ]; then
            echo "auth:"
            echo "  htpasswd: {realm: localeval-test, path: $dir/htpasswd}"
        elif [ -n "${LOCALEVAL_TEST_TOKEN_REALM:-}" ]; then
            echo "auth:"
            echo "  token:"
            echo "    realm: $LOCALEVAL_TEST_TOKEN_REALM"
            echo "    service: localeval-test"
            echo "    issuer: localeval-test-issuer"
            echo "    rootcertbundle: $LOCALEVAL_TEST_TOKEN_BUNDLE"
        fi
    } >"$dir/config.yml"
    echo "$port" >"$dir/port"
    if [ -n "$auth" ]; then
        need htpasswd
        htpasswd -Bbn "${auth%%:*}" "${auth#*:}" >"$dir/htpasswd"
    fi
}

start() {
    local dir=$1 port
    port=$(cat "$dir/port")
    setsid docker-registry serve "$dir/config.yml" >>"$dir/registry.log" 2>&1 &
    local pid=$!
    echo "$pid" >"$dir/pid"
    for _ in $(seq 1 100); do
        if python3 -c "import urllib.request,sys
try: urllib.request.urlopen('http://127.0.0.1:$port/v2/', timeout=1)
except urllib.error.HTTPError: pass
except Exception: sys.exit(1)" 2>/dev/null; then
            echo "$port $pid"
            return
        fi
        kill -0 "$pid" 2>/dev/null || { cat "$dir/registry.log" >&2; exit 1; }
        sleep 0.1
    done
    echo "registry on port $port did not answer" >&2
    kill "$pid"
    exit 1
}

push() {
    need skopeo
    local port=$1 auth=${2:-} creds=()
    [ -n "$auth" ] && creds=(--dest-creds "$auth")
    local names=(busybox layered workdir big)
    if [ "${LOCALEVAL_TEST_PUSH_PYTHON:-0}" = 1 ] && [ -e "$CACHE/python.v2.done" ]; then
        names+=(python)
    fi
    for name in "${names[@]}"; do
        skopeo copy -q --dest-tls-verify=false "${creds[@]}" \
            "oci:$LAYOUT:$name" "docker://127.0.0.1:$port/$name:latest"
    done
    skopeo copy -q --all --dest-tls-verify=false "${creds[@]}" \
        "oci:$LAYOUT:multi" "docker://127.0.0.1:$port/multi:latest"
}

case ${1:-} in
build)
    build >/dev/null
    if [ "${LOCALEVAL_TEST_DEBIAN:-0}" = 1 ]; then build_python; fi
    echo "$LAYOUT"
    ;;
serve)
    need docker-registry python3
    write_config "$2" "$(free_port)" "${3:-}"
    start "$2"
    ;;
restart) start "$2" ;;
push) push "$2" "${3:-}" ;;
*)
    sed -n '2,30p' "$0"
    exit 2
    ;;
esac
