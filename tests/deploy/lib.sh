# Shared by tests/deploy/container.sh and tests/deploy/compose.sh (sourced, not run).
# Prints "ok NAME" / "NOT OK NAME" lines; `finish` prints "N passed, N failed" and exits.

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
passed=0
failed=0
t_start=$(date +%s)
# One time for every build of a run (scripts/build-image.sh takes the last commit's time
# otherwise, and a commit during a run would change the root tarball's cache key).
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$repo" log -1 --format=%ct 2>/dev/null || echo 1700000000)}
export SOURCE_DATE_EPOCH

say() { printf '%s: %s\n' "$suite" "$*" >&2; }

# The suite cannot run on this host: a skip, or a failure under LOCALEVAL_TESTS_MUST_RUN=1.
skip() {
    if [ "${LOCALEVAL_TESTS_MUST_RUN:-}" = 1 ]; then
        echo "NOT OK $suite: cannot run: $* (LOCALEVAL_TESTS_MUST_RUN=1)"
        echo "0 passed, 1 failed"
        exit 1
    fi
    echo "SKIP $suite: $*"
    exit 0
}

ok() { echo "ok $1"; passed=$((passed + 1)); }
not_ok() { echo "NOT OK $1${2:+: $2}"; failed=$((failed + 1)); }

# check NAME COMMAND...: passes when the command exits 0; its output is shown on failure.
check() {
    local name=$1 out
    shift
    if out=$("$@" 2>&1); then
        ok "$name"
        [ -n "${VERBOSE:-}" ] && printf '%s\n' "$out" | sed 's/^/    /'
    else
        not_ok "$name"
        printf '%s\n' "$out" | tail -n 30 | sed 's/^/    /'
    fi
    return 0
}

# Counts the ok / NOT OK lines of scripts/vm/service-checks.sh (shown as they come).
service_checks() { # PREFIX URL ENFORCEMENT LANGUAGES...
    local prefix=$1 line
    shift
    while IFS= read -r line; do
        echo "$line"
        case $line in
        "ok "*) passed=$((passed + 1)) ;;
        "NOT OK "*) failed=$((failed + 1)) ;;
        esac
    done < <(CHECK_PREFIX="$prefix" bash "$repo/scripts/vm/service-checks.sh" "$@")
}

finish() {
    say "took $(($(date +%s) - t_start))s"
    echo "$passed passed, $failed failed"
    [ "$failed" = 0 ]
    exit
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_health() { # URL TOKEN [SECONDS]
    local deadline=$(($(date +%s) + ${3:-60}))
    while [ "$(date +%s)" -lt "$deadline" ]; do
        curl -sf --max-time 2 -H "Authorization: Bearer $2" "$1/api/v1/health" >/dev/null && return 0
        sleep 0.5
    done
    echo "no healthy answer from $1 within ${3:-60}s"
    return 1
}

# What this host needs podman to do differently; none of it is an option localeval needs
# (README "Install" names these), so it goes into a containers.conf(5) of the test, leaving
# the run options exactly the documented ones:
#  - crun refuses a hybrid cgroup host with a controller on the v2 hierarchy ("cgroups in
#    hybrid mode not supported"): runc is used there;
#  - without CAP_SYS_RESOURCE (some CI sandboxes drop it), rootful podman cannot raise
#    RLIMIT_NOFILE/RLIMIT_NPROC to its defaults: the limits are set to values it may set.
podman_host_conf() { # FILE
    local runtime="" ulimits=""
    if [ "$(stat -f -c %T /sys/fs/cgroup)" != cgroup2fs ]; then
        runtime='runtime = "runc"'
    fi
    # CapEff bit 24 is CAP_SYS_RESOURCE (capability.h).
    local cap
    cap=$(awk '/^CapEff/ { print $2 }' /proc/self/status)
    if [ $((0x$cap >> 24 & 1)) = 0 ]; then
        ulimits='default_ulimits = ["nofile=16384:16384", "nproc=16384:16384"]'
    fi
    printf '[containers]\n%s\n[engine]\n%s\n' "$ulimits" "$runtime" >"$1"
    chmod 0644 "$1"
    [ -n "$runtime$ulimits" ] && say "host settings for podman: $runtime $ulimits"
    return 0
}

# An unprivileged user for rootless podman, with subordinate ids and a runtime directory.
rootless_user() { # NAME
    local u=$1 uid
    id "$u" >/dev/null 2>&1 || useradd -m -s /bin/bash "$u"
    grep -q "^$u:" /etc/subuid || usermod --add-subuids 300000-365535 "$u"
    grep -q "^$u:" /etc/subgid || usermod --add-subgids 300000-365535 "$u"
    uid=$(id -u "$u")
    install -d -m 0700 -o "$u" -g "$u" "/run/user/$uid"
    # slirp4netns needs /dev/net/tun; udev makes it 0666 (50-udev-default.rules), a host
    # without udev may have it 0600.
    if [ -c /dev/net/tun ] && [ "$(stat -c %a /dev/net/tun)" = 600 ]; then
        chmod 0666 /dev/net/tun
        say "made /dev/net/tun 0666 (udev's mode) for slirp4netns"
    fi
}

as_user() { # NAME COMMAND...
    local u=$1
    shift
    runuser -u "$u" -- env -C "$(getent passwd "$u" | cut -d: -f6)" HOME="$(getent passwd "$u" | cut -d: -f6)" \
        XDG_RUNTIME_DIR="/run/user/$(id -u "$u")" CONTAINERS_CONF="$CONTAINERS_CONF" "$@"
}

# A loopback Debian docker-registry (distribution) in DIR; sets registry and registry_pid.
start_registry() { # DIR
    local dir=$1 port
    port=$(free_port)
    mkdir -p "$dir/data"
    cat >"$dir/config.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $dir/data
http:
  addr: 127.0.0.1:$port
EOF
    docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 &
    registry_pid=$!
    registry=127.0.0.1:$port
    for _ in $(seq 1 50); do
        curl -sf "http://$registry/v2/" >/dev/null && return 0
        sleep 0.2
    done
    cat "$dir/log" >&2
    return 1
}
