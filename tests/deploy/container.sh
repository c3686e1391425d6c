#!/usr/bin/env bash
# The container test (issue 17; README "Install", the container section): builds the OCI
# image with scripts/build-image.sh (mmdebstrap + umoci, no Docker), checks two builds give
# the same manifest digest, pushes it to a loopback Debian docker-registry, pulls it from
# there with rootful podman and with rootless podman as an unprivileged user, runs it with
# only the documented options (scripts/build-image.sh run-options), serves, runs programs in
# each language of the variant, checks the memory, pids and wall-clock limits, stops it
# (SIGTERM, exit 0); and takes each option away in turn to check `localeval doctor` in the
# container names what is missing.
#
# Usage: tests/deploy/container.sh   (as root; scripts/test.sh runs it)
# Environment:
#   LOCALEVAL_DEPLOY_VARIANTS   image variants to test (default "python"; "full python" adds
#                               every catalog language: about 10 more minutes cold)
#   LOCALEVAL_BIN               the binary to put in the image (default target/release/localeval)
#   LOCALEVAL_DEPLOY_TIMEOUT    seconds for the whole suite (default 1500)
#   LOCALEVAL_TESTS_MUST_RUN=1  a missing tool or host feature fails instead of skipping
set -uo pipefail
suite=deploy-container
# shellcheck source=tests/deploy/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root (rootful podman, mmdebstrap, and a user for rootless podman)"
for tool in podman skopeo umoci mmdebstrap docker-registry runuser newuidmap slirp4netns curl jq python3; do
    command -v "$tool" >/dev/null || skip "$tool is missing (scripts/setup.sh --tests installs it)"
done
if [ -z "${DEPLOY_TIMEBOXED:-}" ]; then
    DEPLOY_TIMEBOXED=1 exec timeout -k 20 "${LOCALEVAL_DEPLOY_TIMEOUT:-1500}" bash "$0" "$@"
fi

variants=${LOCALEVAL_DEPLOY_VARIANTS:-python}
token=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
work=$(mktemp -d /var/tmp/localeval-deploy.XXXXXX)
chmod 0755 "$work"
tag=$$-$RANDOM
user=localeval-podman
names=()
cleanup() {
    for n in "${names[@]}"; do
        podman rm -f -t 0 "$n" >/dev/null 2>&1
        as_user "$user" podman rm -f -t 0 "$n" >/dev/null 2>&1
    done
    [ -n "${registry_pid:-}" ] && kill "$registry_pid" 2>/dev/null
    for v in $variants; do
        podman rmi -f "${registry:-}/localeval:$v-$tag" >/dev/null 2>&1
        as_user "$user" podman rmi -f "${registry:-}/localeval:$v-$tag" >/dev/null 2>&1
    done
    rm -rf "$work"
}
trap cleanup EXIT

export CONTAINERS_CONF=$work/containers.conf
podman_host_conf "$CONTAINERS_CONF"
# The run options, with the profile where the unprivileged user can read it.
install -m 0644 "$repo/deploy/seccomp.json" "$work/seccomp.json"
mapfile -t opts < <(bash "$repo/scripts/build-image.sh" run-options | sed "s|=$repo/deploy/seccomp.json|=$work/seccomp.json|")
say "run options: ${opts[*]}"
if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then enforcement=cgroup-v2; else enforcement=rlimit; fi

languages() {
    case $1 in
    full) echo bash python c cpp javascript go java rust ruby php ;;
    *) echo bash python ;;
    esac
}

# Runs the image as a service, checks it, stops it. ENGINE is "podman" or "as_user USER podman".
serve_and_check() { # LABEL VARIANT IMAGE ENGINE...
    local label=$1 variant=$2 image=$3 port name
    shift 3
    port=$(free_port)
    name=localeval-test-$label-$tag
    names+=("$name")
    check "$label.pull" "$@" pull -q --tls-verify=false "$image"
    if ! check "$label.run" "$@" run -d --name "$name" -p "127.0.0.1:$port:8080" \
        -e LOCALEVAL_TOKEN="$token" -e LOCALEVAL_RATE_LIMIT=off "${opts[@]}" "$image"; then
        return
    fi
    if ! wait_health "http://127.0.0.1:$port" "$token" 60 >/dev/null; then
        not_ok "$label.healthy" "$("$@" logs "$name" 2>&1 | tail -n 20)"
        return
    fi
    ok "$label.healthy"
    # shellcheck disable=SC2046
    LOCALEVAL_TOKEN=$token service_checks "$label." "http://127.0.0.1:$port" "$enforcement" $(languages "$variant")
    check "$label.doctor" doctor_clean "$name" "$@"
    local t0=$SECONDS
    check "$label.stop" "$@" stop -t 10 "$name"
    check "$label.stopped-by-sigterm" stopped_cleanly "$name" $((SECONDS - t0)) "$@"
    "$@" rm -f "$name" >/dev/null 2>&1
}

# doctor in the running container: the sandbox works and nothing is to be added.
doctor_clean() { # NAME ENGINE...
    local name=$1 out
    shift
    out=$("$@" exec "$name" localeval doctor --json 2>/dev/null)
    jq -e '.sandbox.ok and .container.advice == []' <<<"$out" >/dev/null || { echo "$out" | head -c 3000; return 1; }
}

# Stopped by SIGTERM within the grace (not killed at podman's 10 s), exit status 0.
stopped_cleanly() { # NAME SECONDS ENGINE...
    local name=$1 took=$2 code
    shift 2
    code=$("$@" inspect -f '{{.State.ExitCode}}' "$name")
    echo "stop took ${took}s, exit code $code"
    [ "$took" -lt 9 ] && [ "$code" = 0 ] || return 1
    # The log driver may hand over the last lines a moment after the container exited
    # (rootless podman, seen once in CI): look again for a few seconds.
    local try
    for try in 1 2 3 4 5; do
        "$@" logs "$name" 2>&1 | grep -q 'SIGTERM: shutting down' && return 0
        sleep 1
    done
    echo "no 'SIGTERM: shutting down' in the container's log"
    return 1
}

# `localeval doctor` in a container lacking one option: the sandbox fails, the advice names it.
doctor_names() { # LABEL IMAGE JQ-FILTER OPTIONS...
    local label=$1 image=$2 filter=$3
    shift 3
    check "$label" sh -c "podman run --rm $(printf '%q ' "$@") $image doctor --json 2>/dev/null | tee $work/doctor.json | jq -e '.sandbox.ok == false and ($filter)' || cat $work/doctor.json"
}

start_registry "$work/registry" || { not_ok registry.start; finish; }
ok registry.start
for v in $variants; do
    t0=$SECONDS
    check "image.$v.build-and-push" bash "$repo/scripts/build-image.sh" push "$v" "$registry/localeval:$v-$tag"
    say "image $v: built and pushed in $((SECONDS - t0))s"
done
# Reproducible: the same root tarball and binary give the same manifest digest (checked on
# the python image where it is tested: layering the full one twice costs minutes).
first_variant=${variants%% *}
case " $variants " in *" python "*) first_variant=python ;; esac
digest() { bash "$repo/scripts/build-image.sh" build "$1" 2>&1 | sed -n 's/.*manifest \(sha256:[0-9a-f]*\).*/\1/p'; }
d1=$(digest "$first_variant")
d2=$(digest "$first_variant")
check "image.$first_variant.reproducible" sh -c "echo '$d1 = $d2'; [ -n '$d1' ] && [ '$d1' = '$d2' ]"

rootless_user "$user"
for v in $variants; do
    t0=$SECONDS
    serve_and_check "rootful.$v" "$v" "$registry/localeval:$v-$tag" podman
    say "rootful $v: $((SECONDS - t0))s"
    t0=$SECONDS
    serve_and_check "rootless.$v" "$v" "$registry/localeval:$v-$tag" as_user "$user" podman
    say "rootless $v: $((SECONDS - t0))s"
done

# Each option taken away: the sandbox cannot be built and doctor says which option to add.
img="$registry/localeval:$first_variant-$tag"
seccomp_opt=${opts[0]} unmask_opt=${opts[1]} cgroupns_opt=${opts[2]}
doctor_names doctor.without-seccomp-profile "$img" '.container.advice | any(contains("seccomp"))' \
    "$unmask_opt" "$cgroupns_opt"
doctor_names doctor.with-proc-masked "$img" '.container.advice | any(contains("/proc is masked"))' \
    "$seccomp_opt" "$cgroupns_opt"
check nothing-left sh -c "podman ps -a --format '{{.Names}}' | grep -- '-$tag\$' && exit 1; as_user $user podman ps -a --format '{{.Names}}' | grep -- '-$tag\$' && exit 1; exit 0"
finish
