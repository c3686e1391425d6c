#!/bin/sh
# The checks of the VM test (issue 3), run as PID 1's child inside the VM as root.
# Prints one line per check, `PASS name` or `FAIL name` followed by the check's full output
# indented, then exactly `N passed, N failed`.
#
# Every localeval invocation runs alone in a fresh cgroup made for it, the way a systemd
# service with Delegate=yes would start: root creates /sys/fs/cgroup/<svc>, moves the
# process in, (for the rootless checks) chowns it to the user, and after the process is gone
# looks at what it left and removes the tree, as systemd does when a unit stops.
export PATH=/usr/bin:/usr/sbin
CG=/sys/fs/cgroup
LEV=/usr/bin/localeval
RUNNER_UID=1000
# A finished CLI run leaves nothing in its own service cgroup: localeval removes its run
# cgroups and undoes its supervisor leaf (jail/cgroup.rs restore).
# No single localeval invocation may take longer than this (a hung run must not eat the
# whole VM budget: the checks after it still report).
LEV_RUN_TIMEOUT="${LOCALEVAL_VM_RUN_TIMEOUT:-60}"

passed=0
failed=0
out=/tmp/check.out
leftovers=/tmp/leftover-cgroups
: > "$leftovers"
svc_seq=0

selected() {
    [ -z "$VM_CHECKS" ] && return 0
    for c in $VM_CHECKS; do [ "$c" = "$1" ] && return 0; done
    return 1
}

# check NAME FUNCTION [ARGS]: runs FUNCTION, its output kept and shown only on failure.
check() {
    name="$1"; shift
    selected "$name" || return 0
    if "$@" > "$out" 2>&1; then
        echo "PASS $name"
        [ -n "$VM_VERBOSE" ] && sed 's/^/    /' "$out"
        passed=$((passed + 1))
    else
        echo "FAIL $name"
        sed 's/^/    /' "$out"
        failed=$((failed + 1))
    fi
}

fail() { echo "$*"; return 1; }

# ---- helpers -----------------------------------------------------------------------------

# The cgroup tree as a sorted list of directories.
cgroup_tree() { (cd "$CG" && find . -type d | sort); }

# rmdir a cgroup tree depth-first.
remove_cgroup_tree() {
    [ -d "$1" ] || return 0
    find "$1" -depth -type d -exec rmdir {} \; 2>/dev/null
    [ ! -d "$1" ]
}

# The helper that starts a command as a service in cgroup SVC would: moves itself into SVC,
# then (for the rootless modes) becomes uid 1000.   as-svc SVC MODE COMMAND ARGS...
cat > /tmp/as-svc <<'EOS'
#!/bin/sh
svc="$1" mode="$2"; shift 2
echo $$ > "$svc/cgroup.procs" || { echo "as-svc: cannot move into $svc" >&2; exit 125; }
[ "$mode" = root ] && exec "$@"
# busybox su reads options anywhere on its command line: pass the command as one quoted string.
cmd=
for a in "$@"; do
    cmd="$cmd '$(printf '%s' "$a" | sed "s/'/'\\\\''/g")'"
done
exec su -s /bin/sh runner -c "cd /home/runner && exec $cmd"
EOS
chmod 755 /tmp/as-svc

# new_svc MODE NAME: creates the service cgroup /sys/fs/cgroup/NAME; for MODE delegated,
# hands it to uid 1000 as systemd's Delegate=yes does.
new_svc() {
    local svc="$CG/$2"
    mkdir "$svc" || return 1
    if [ "$1" = delegated ]; then
        chown "$RUNNER_UID:$RUNNER_UID" "$svc" "$svc/cgroup.procs" \
            "$svc/cgroup.subtree_control" "$svc/cgroup.threads" || return 1
    fi
    echo "$svc"
}

# lev MODE ARGS...: runs localeval ARGS in a fresh service cgroup.
#   MODE root       as root, in /sys/fs/cgroup/lev-svc-N
#   MODE delegated  as uid 1000, in /sys/fs/cgroup/lev-svc-N delegated to it (Delegate=yes)
#   MODE plain      as uid 1000, in /sys/fs/cgroup/lev-svc-N owned by root (no delegation)
# stdout of localeval goes to /tmp/lev.json, stderr to /tmp/lev.err; prints the exit status
# and how long it took, and records cgroups it left behind in $leftovers.
lev() {
    local lev_mode="$1" svc t0 t1 left procs; shift
    svc_seq=$((svc_seq + 1))
    svc=$(new_svc "$lev_mode" "lev-svc-$svc_seq") || return 1
    t0=$(cut -d' ' -f1 /proc/uptime)
    timeout -k 5 "$LEV_RUN_TIMEOUT" /tmp/as-svc "$svc" "$lev_mode" "$LEV" "$@" > /tmp/lev.json 2> /tmp/lev.err
    lev_status=$?
    t1=$(cut -d' ' -f1 /proc/uptime)
    lev_secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
    # What did it leave? Nothing is expected.
    left=$(cd "$svc" && find . -mindepth 1 -type d | sort | tr '\n' ' ')
    procs=$(find "$svc" -name cgroup.procs -exec cat {} \; | tr '\n' ' ')
    lev_left_procs=$(echo "$procs" | awk 'NF { printf "%d processes (pids %s%s)", NF, $1, (NF > 1 ? " ... " $NF : "") }')
    [ -n "$left$procs" ] && echo "run $svc_seq ($lev_mode: $*): left cgroups [$left] processes [$lev_left_procs]" >> "$leftovers"
    # The unit stops: kill what is left, remove the tree.
    [ -n "$procs" ] && { echo 1 > "$svc/cgroup.kill"; sleep 0.2; }
    remove_cgroup_tree "$svc" || echo "run $svc_seq: could not remove $svc" >> "$leftovers"
    echo "localeval $* -> exit $lev_status in ${lev_secs}s"
    awk -v s="$lev_secs" -v t="$LEV_RUN_TIMEOUT" 'BEGIN { exit !(s >= t) }' &&
        echo "NOT OK: localeval did not return within ${LEV_RUN_TIMEOUT}s and was killed"
    return 0
}

show_run() {
    echo "--- stdout (json) ---"; cat /tmp/lev.json
    echo "--- stderr ---"; cat /tmp/lev.err
}

# j FILTER: jq on the last run's JSON, raw output.
j() { jq -r "$1" /tmp/lev.json 2>/dev/null; }

# expect DESCRIPTION JQ-BOOLEAN-FILTER
expect() {
    if ! jq -e -s 'length == 1 and (.[0] | type == "object")' /tmp/lev.json > /dev/null 2>&1; then
        echo "NOT OK: $1 (no JSON object on stdout)"
        bad=1
    elif jq -e "$2" /tmp/lev.json > /dev/null 2>&1; then
        echo "ok: $1"
    else
        echo "NOT OK: $1 ($2)"
        bad=1
    fi
}

# between DESCRIPTION VALUE LOW HIGH (numbers, decimals allowed)
between() {
    if awk -v v="$2" -v lo="$3" -v hi="$4" 'BEGIN { exit !(v != "" && v + 0 >= lo && v + 0 <= hi) }'; then
        echo "ok: $1 = $2 in [$3, $4]"
    else
        echo "NOT OK: $1 = $2, expected in [$3, $4]"
        bad=1
    fi
}

count_procs() { # pattern
    ps -o pid,args | grep -v grep | grep -c -- "$1"
}

# ---- the VM itself -----------------------------------------------------------------------

check_tmpfs_root() {
    fs=$(stat -f -c %T /)
    echo "root filesystem type: $fs"
    [ "$fs" = tmpfs ] || fail "/ is not a tmpfs: the init did not switch roots"
    # pivot_root from a new mount namespace, as the jail does.
    unshare -m sh -c '
        set -e
        mount --make-rprivate /
        mkdir -p /tmp/pr && mount -t tmpfs pr /tmp/pr
        mkdir /tmp/pr/old /tmp/pr/bin && cp /usr/bin/busybox /tmp/pr/bin/
        cd /tmp/pr && pivot_root . old
        /bin/busybox umount -l /old
        /bin/busybox echo pivot_root ok
    ' || fail "pivot_root in a new mount namespace failed"
}

check_cgroup2() {
    fs=$(stat -f -c %T "$CG")
    echo "$CG: $fs"
    [ "$fs" = cgroup2fs ] || fail "$CG is not cgroup2"
    v1=$(grep -c ' cgroup ' /proc/mounts)
    [ "$v1" = 0 ] || fail "cgroup v1 hierarchies are mounted: $(grep ' cgroup ' /proc/mounts)"
    grep -q 'cgroup_no_v1=all' /proc/cmdline || fail "kernel not booted with cgroup_no_v1=all"
    echo "controllers: $(cat $CG/cgroup.controllers)"
    echo "subtree_control: $(cat $CG/cgroup.subtree_control)"
    for c in cpuset cpu io memory hugetlb pids; do
        grep -qw "$c" "$CG/cgroup.controllers" || fail "controller $c is missing"
        grep -qw "$c" "$CG/cgroup.subtree_control" || fail "controller $c is not enabled for children"
    done
    [ -e "$CG/lev-probe" ] && rmdir "$CG/lev-probe"
    mkdir "$CG/lev-probe" && for f in memory.max memory.peak memory.swap.max cpu.max pids.max cgroup.kill; do
        [ -e "$CG/lev-probe/$f" ] || { rmdir "$CG/lev-probe"; fail "$f is missing in a child cgroup"; }
    done
    rmdir "$CG/lev-probe"
}

check_userns() {
    echo "kernel.unprivileged_userns_clone = $(cat /proc/sys/kernel/unprivileged_userns_clone 2>/dev/null || echo absent)"
    echo "user.max_user_namespaces = $(cat /proc/sys/user/max_user_namespaces)"
    got=$(su -s /bin/sh runner -c 'id -u; unshare -Ur id -u') || fail "unshare -Ur as uid $RUNNER_UID failed: $got"
    echo "$got"
    [ "$(echo "$got" | tr '\n' ' ')" = "$RUNNER_UID 0 " ] || fail "expected uid $RUNNER_UID, then 0 inside the user namespace"
}

# ---- localeval: the limits ---------------------------------------------------------------

# doctor MODE
check_doctor() {
    lev "$1" doctor --json
    show_run
    bad=0
    expect "doctor prints JSON" '. != null'
    case "$1" in
        root|delegated) want=v2 ;;
        plain) want=none ;;
    esac
    expect "cgroup mode is $want" ".cgroup_mode == \"$want\""
    expect "the sandbox works" '.sandbox.ok == true'
    if [ "$want" = v2 ]; then
        expect "memory, pids, cpu quota by cgroup v2" \
            '.enforced.memory == "cgroup-v2" and .enforced.pids == "cgroup-v2" and .enforced.cpu_quota == "cgroup-v2"'
    fi
    [ "$bad" = 0 ]
}

# enforced_by MODE: how limits must be enforced in this mode
want_enforcement() {
    case "$1" in
        root|delegated) echo cgroup-v2 ;;
        *) echo none ;;
    esac
}

common_expectations() { # MODE
    if [ "$1" = plain ]; then
        expect "cgroup mode none" '.provenance.cgroup_mode == "none"'
    else
        expect "cgroup mode v2" '.provenance.cgroup_mode == "v2"'
    fi
    if [ "$1" = root ]; then
        expect "not rootless" '.provenance.rootless == false'
    else
        expect "rootless as uid 1000" '.provenance.rootless == true and .provenance.host_uid == 1000'
    fi
}

check_memory() { # MODE
    # awk doubles a string until the cgroup's OOM killer stops it.
    lev "$1" run --json --memory 64M --timeout 30s -- /bin/sh -c \
        'awk "BEGIN { s = \"x\"; for (i = 0; i < 40; i++) { s = s s }; print length(s) }"'
    show_run
    bad=0
    common_expectations "$1"
    expect "verdict MLE" '.verdict == "MLE"'
    expect "limits_hit.memory" '.limits_hit.memory == true'
    expect "memory enforced by cgroup v2" '.provenance.enforced.memory == "cgroup-v2"'
    expect "memory limit 64M" '.provenance.enforced.limits.memory_bytes == 67108864'
    between "peak memory (MiB)" "$(j '.usage.peak_memory_bytes / 1048576')" 48 70
    [ "$bad" = 0 ]
}

check_cpu_quota() { # MODE
    # Three spinning processes on two vCPUs, held together to half a CPU for 4 seconds.
    lev "$1" run --json --cpus 0.5 --timeout 4s -- /bin/sh -c \
        'for i in 1 2 3; do (while :; do :; done) & done; wait'
    show_run
    bad=0
    common_expectations "$1"
    expect "verdict TLE" '.verdict == "TLE"'
    expect "cpu quota enforced by cgroup v2" '.provenance.enforced.cpu_quota == "cgroup-v2"'
    expect "cpu quota 500 millis" '.provenance.enforced.limits.cpu_millis == 500'
    between "wall_ms" "$(j .usage.wall_ms)" 3900 6000
    between "cpu_ms / wall_ms" "$(j '.usage.cpu_ms / .usage.wall_ms')" 0.40 0.60
    [ "$bad" = 0 ]
}

check_fork_bomb() { # MODE
    lev "$1" run --json --pids 32 --timeout 5s -- /bin/sh -c 'f() { f | f & }; f; sleep 8'
    show_run
    bad=0
    common_expectations "$1"
    expect "limits_hit.pids" '.limits_hit.pids == true'
    expect "pids enforced by cgroup v2" '.provenance.enforced.pids == "cgroup-v2"'
    expect "pids limit 32" '.provenance.enforced.limits.pids == 32'
    between "seconds the run took" "$lev_secs" 0 20
    [ -z "$lev_left_procs" ] || { echo "NOT OK: left in the service cgroup: $lev_left_procs"; bad=1; }
    [ "$bad" = 0 ]
}

check_wall_grandchild() { # MODE
    lev "$1" run --json --timeout 2s -- /bin/sh -c 'sh -c "sleep 1007 & wait" & wait'
    show_run
    sleep 0.5
    bad=0
    common_expectations "$1"
    expect "verdict TLE" '.verdict == "TLE"'
    expect "limits_hit.wall" '.limits_hit.wall == true'
    between "wall_ms" "$(j .usage.wall_ms)" 1900 4000
    between "seconds the run took" "$lev_secs" 0 10
    left=$(count_procs 'sleep 1007')
    [ "$left" = 0 ] || { echo "NOT OK: the sleeping grandchild survived"; ps -o pid,user,args; bad=1; }
    [ "$bad" = 0 ]
}

check_orphan() { # MODE
    # The main process exits at once; a grandchild it left sleeping must not outlive the run.
    lev "$1" run --json --timeout 10s -- /bin/sh -c '(sleep 1009 > /dev/null 2>&1 &); echo done'
    show_run
    sleep 0.5
    bad=0
    expect "verdict OK" '.verdict == "OK"'
    expect "stdout done" '.stdout.text == "done\n"'
    between "seconds the run took" "$lev_secs" 0 8
    left=$(count_procs 'sleep 1009')
    [ "$left" = 0 ] || { echo "NOT OK: the orphaned grandchild survived"; ps -o pid,user,args; bad=1; }
    [ "$bad" = 0 ]
}

check_no_cgroup_left() {
    if [ -s "$leftovers" ]; then
        cat "$leftovers"
        return 1
    fi
    echo "every run so far left its service cgroup without a child cgroup or a process"
}

check_twenty_runs() { # MODE
    local svc i bad=0 ok=0 ref
    # One service cgroup for all 20 runs, each run alone in it as a service's process would
    # be: the tree (and the service cgroup's subtree_control) must be as before after each.
    svc=$(new_svc "$1" "lev-twenty-$1") || return 1
    ref=$(cgroup_tree; cat "$svc/cgroup.subtree_control")
    i=0
    while [ $i -lt 20 ]; do
        i=$((i + 1))
        timeout -k 5 "$LEV_RUN_TIMEOUT" /tmp/as-svc "$svc" "$1" "$LEV" run --json --memory 32M \
            --timeout 5s -- /bin/echo "run$i" > /tmp/lev.json 2> /tmp/lev.err
        if jq -e --arg want "run$i" '.verdict == "OK" and .stdout.text == $want + "\n"' /tmp/lev.json > /dev/null 2>&1; then
            ok=$((ok + 1))
        else
            echo "NOT OK: run $i:"; show_run
            bad=1
        fi
        now=$(cgroup_tree; cat "$svc/cgroup.subtree_control")
        if [ "$now" != "$ref" ]; then
            echo "NOT OK: the cgroup tree after run $i differs from before the first run:"
            echo "$ref" > /tmp/tree.ref; echo "$now" > /tmp/tree.now
            diff /tmp/tree.ref /tmp/tree.now
            bad=1
            break
        fi
    done
    echo "$ok of $i runs OK; the cgroup tree was the same after each"
    expect "cgroup mode v2 in the last run" '.provenance.cgroup_mode == "v2"'
    remove_cgroup_tree "$svc" || { echo "NOT OK: could not remove $svc"; bad=1; }
    [ "$bad" = 0 ]
}

check_fallback() {
    # uid 1000 in a cgroup it does not own: no cgroup can be had, the run still works, and
    # the provenance says which limits fell back.
    lev plain run --json --memory 64M --timeout 5s -- /bin/echo hello
    show_run
    bad=0
    common_expectations plain
    expect "verdict OK" '.verdict == "OK"'
    expect "stdout hello" '.stdout.text == "hello\n"'
    expect "memory fell back (rlimit or not-enforced)" \
        '.provenance.enforced.memory == "rlimit" or .provenance.enforced.memory == "not-enforced"'
    expect "cpu quota fell back" '.provenance.enforced.cpu_quota != "cgroup-v2"'
    expect "pids fell back" '.provenance.enforced.pids != "cgroup-v2"'
    expect "the weakened list says so" '(.provenance.weakened | length) > 0'
    [ "$bad" = 0 ]
}

# ---- run them ----------------------------------------------------------------------------

echo "vm-checks: starting"
tree_before=$(cgroup_tree)
check vm.tmpfs-root check_tmpfs_root
check vm.cgroup2 check_cgroup2
check vm.userns check_userns

if [ -x "$LEV" ] && "$LEV" --help 2>/dev/null | grep -qw run && "$LEV" --help 2>/dev/null | grep -qw doctor; then
    for mode in root delegated; do
        check "$mode.doctor" check_doctor "$mode"
        check "$mode.memory" check_memory "$mode"
        check "$mode.cpu-quota" check_cpu_quota "$mode"
        check "$mode.fork-bomb" check_fork_bomb "$mode"
        check "$mode.wall-grandchild" check_wall_grandchild "$mode"
        check "$mode.orphan" check_orphan "$mode"
        check "$mode.no-cgroup-left" check_no_cgroup_left
        : > "$leftovers"
        check "$mode.twenty-runs" check_twenty_runs "$mode"
    done
    check plain.doctor check_doctor plain
    check plain.fallback check_fallback
    check vm.cgroup-tree-restored sh -c '[ "$1" = "$(cd /sys/fs/cgroup && find . -type d | sort)" ] || { echo "before:"; echo "$1"; echo "after:"; cd /sys/fs/cgroup && find . -type d | sort; exit 1; }' sh "$tree_before"
else
    echo "FAIL localeval"
    echo "    $LEV has no 'run' and 'doctor' subcommands:"
    "$LEV" --help 2>&1 | sed 's/^/    /'
    failed=$((failed + 1))
fi

echo "$passed passed, $failed failed"
