#!/usr/bin/env bash
# The hardened-runner test (issue 3): prove localeval's limits on a cgroup-v2-only kernel.
#
# Boots Debian's cloud kernel under qemu (TCG, no disk) with cgroup_no_v1=all and an
# initramfs built here from busybox-static, the localeval binary and the shared libraries it
# needs, runs scripts/vm/checks.sh inside as root and as an unprivileged user, and exits
# non-zero on any failed check, a boot failure, a missing final line or a timeout. Then
# boots Debian with systemd as PID 1 on the same kernel and starts the systemd units
# (scripts/vm/systemd-test.sh, issue 17).
#
# Usage: scripts/vm-test.sh [PATH-TO-LOCALEVAL]
#   The binary is, in order: the argument, $LOCALEVAL_BIN, or a fresh
#   `cargo build --release` of this repository ($CARGO_TARGET_DIR honoured).
# Environment:
#   LOCALEVAL_VM_CACHE    cache of the unpacked kernel (default ${XDG_CACHE_HOME:-~/.cache}/localeval/vm)
#   LOCALEVAL_VM_TIMEOUT  seconds for the whole VM run, boot included (default 600)
#   LOCALEVAL_VM_ACCEL    qemu accelerator (default tcg, which runs anywhere)
#   LOCALEVAL_VM_CHECKS   space-separated check names to run (default: all)
#   LOCALEVAL_VM_RUN_TIMEOUT  seconds one localeval invocation may take in the VM (default 60)
#   LOCALEVAL_VM_VERBOSE  non-empty: show the output of passing checks too
#   LOCALEVAL_VM_LOG      where the serial log is kept (default: a temporary file)
#   LOCALEVAL_VM_SYSTEMD  0: leave out the second VM, Debian with systemd as PID 1 booted on
#                         the same kernel to start the systemd units (scripts/vm/systemd-test.sh)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
cache="${LOCALEVAL_VM_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/localeval/vm}"
vm_timeout="${LOCALEVAL_VM_TIMEOUT:-600}"
accel="${LOCALEVAL_VM_ACCEL:-tcg}"
kernel_meta=linux-image-cloud-amd64

say() { printf 'vm-test: %s\n' "$*" >&2; }
die() { printf 'vm-test: error: %s\n' "$*" >&2; exit 2; }

# --- host packages -----------------------------------------------------------------------
# Each command we need, and the Debian package that provides it.
need=(qemu-system-x86_64:qemu-system-x86 busybox:busybox-static cpio:cpio jq:jq
      timeout:coreutils ldd:libc-bin apt-get:apt dpkg:dpkg mmdebstrap:mmdebstrap)
missing=()
for pair in "${need[@]}"; do
    cmd="${pair%%:*}" pkg="${pair##*:}"
    if [ "$cmd" = busybox ]; then
        # The static one: the dynamic busybox package would need its libraries in the VM.
        dpkg -s busybox-static >/dev/null 2>&1 || missing+=("$pkg")
    elif ! command -v "$cmd" >/dev/null 2>&1; then
        missing+=("$pkg")
    fi
done
if [ "${#missing[@]}" -gt 0 ]; then
    [ "$(id -u)" = 0 ] || die "missing packages ${missing[*]}: run 'sudo apt-get install -y ${missing[*]}'"
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "${missing[@]}" >&2 \
        || { apt-get -o DPkg::Lock::Timeout=600 update >&2 \
             && apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "${missing[@]}" >&2; } \
        || die "could not install ${missing[*]}"
fi
busybox_bin=/bin/busybox
[ -x "$busybox_bin" ] || busybox_bin="$(command -v busybox)"
file -b "$busybox_bin" 2>/dev/null | grep -q dynamic && die "$busybox_bin is dynamically linked: install busybox-static"

# --- the localeval binary ----------------------------------------------------------------
bin="${1:-${LOCALEVAL_BIN:-}}"
if [ -z "$bin" ]; then
    say "building localeval (cargo build --release)"
    (cd "$repo" && cargo build --release --bin localeval >&2) || die "cargo build failed"
    bin="${CARGO_TARGET_DIR:-$repo/target}/release/localeval"
fi
[ -x "$bin" ] || die "no executable localeval at $bin"
bin="$(realpath "$bin")"

# --- the kernel: Debian's cloud kernel, cached -------------------------------------------
# The metapackage only depends on the versioned image package; resolve that name.
resolve_kernel_pkg() {
    apt-cache depends "$kernel_meta" 2>/dev/null \
        | awk '$1 == "Depends:" && $2 ~ /^linux-image-.*-cloud-amd64$/ { print $2; exit }'
}
kpkg="$(resolve_kernel_pkg || true)"
if [ -z "$kpkg" ]; then
    say "apt lists do not know $kernel_meta; running apt-get update"
    apt-get -o DPkg::Lock::Timeout=600 update >&2 || true
    kpkg="$(resolve_kernel_pkg || true)"
fi
if [ -z "$kpkg" ]; then
    # No package lists (offline): use the newest kernel already cached, if any.
    kpkg="$(ls -1 "$cache" 2>/dev/null | grep -E '^linux-image-.*-cloud-amd64$' | sort -V | tail -n 1 || true)"
    [ -n "$kpkg" ] || die "cannot resolve $kernel_meta with apt-cache and nothing is cached in $cache"
    say "using cached $kpkg (could not ask apt)"
fi
kdir="$cache/$kpkg"
if [ ! -f "$kdir/.complete" ]; then
    say "fetching $kpkg into $kdir"
    mkdir -p "$cache"
    tmp="$(mktemp -d "$cache/.fetch.XXXXXX")"
    (cd "$tmp" && apt-get -o APT::Sandbox::User=root download "$kpkg" >&2) || { rm -rf "$tmp"; die "apt-get download $kpkg failed"; }
    dpkg -x "$tmp"/"$kpkg"_*.deb "$tmp/x" || { rm -rf "$tmp"; die "dpkg -x failed"; }
    rm -rf "$kdir"
    mkdir -p "$kdir"
    cp "$tmp"/x/boot/vmlinuz-* "$kdir/vmlinuz"
    cp "$tmp"/x/boot/config-* "$kdir/config"
    # Keep the modules tree (uncompressed .ko files) for the few things that are modules.
    mv "$tmp"/x/lib/modules/* "$kdir/modules"
    rm -rf "$tmp"
    touch "$kdir/.complete"
    # Older kernels are not needed any more.
    for old in "$cache"/linux-image-*-cloud-amd64; do
        [ "$old" = "$kdir" ] || rm -rf "$old"
    done
fi

# What the checks rely on must be built in (the VM has no module loader set up beyond insmod).
for opt in CGROUPS MEMCG CGROUP_PIDS CGROUP_SCHED CFS_BANDWIDTH CPUSETS BLK_CGROUP \
           CGROUP_HUGETLB USER_NS PID_NS NET_NS IPC_NS UTS_NS BLK_DEV_INITRD TMPFS \
           DEVTMPFS SERIAL_8250_CONSOLE SECCOMP_FILTER BINFMT_SCRIPT PROC_FS SYSFS; do
    grep -qx "CONFIG_$opt=y" "$kdir/config" || die "$kpkg lacks CONFIG_$opt=y (the VM test needs it built in)"
done

# --- the initramfs ---------------------------------------------------------------------
work="$(mktemp -d "${TMPDIR:-/tmp}/localeval-vm.XXXXXX")"
cleanup() { rm -rf "$work"; }
trap cleanup EXIT
root="$work/root"
# A merged-/usr layout: the sandbox's host profile binds /usr, /bin, /lib, /lib64 from here.
mkdir -p "$root"/{usr/bin,usr/sbin,usr/lib/x86_64-linux-gnu,usr/lib64,etc,proc,sys,dev,tmp,root,home/runner,run,newroot,lib/modules}
ln -s usr/bin "$root/bin"
ln -s usr/sbin "$root/sbin"
ln -s usr/lib64 "$root/lib64"
# /lib stays a directory for lib/modules; its multiarch dir points into /usr/lib.
ln -s ../usr/lib/x86_64-linux-gnu "$root/lib/x86_64-linux-gnu"
chmod 1777 "$root/tmp"

cp "$busybox_bin" "$root/usr/bin/busybox"
for applet in $("$busybox_bin" --list); do
    case "$applet" in busybox|init|linuxrc) continue ;; esac
    ln -s busybox "$root/usr/bin/$applet"
done

# Copy an executable and every shared library ldd names, at their real paths under /usr.
copy_with_libs() { # src dest-in-root
    local src="$1" dest="$2"
    if command -v objcopy >/dev/null 2>&1 && objcopy --strip-debug "$src" "$root$dest" 2>/dev/null; then
        :
    else
        cp "$src" "$root$dest"
    fi
    chmod 755 "$root$dest"
    { ldd "$src" 2>/dev/null || true; } | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }' | sed 's/(0x.*//' |
    while read -r lib; do
        [ -e "$lib" ] || continue
        local real; real="$(realpath "$lib")"
        # Put it under /usr (merged /usr), keeping the name the loader asks for.
        local target="${lib#/usr}"; target="/usr$target"
        mkdir -p "$root$(dirname "$target")"
        [ -e "$root$target" ] || cp "$real" "$root$target"
    done
}
copy_with_libs "$bin" /usr/bin/localeval
copy_with_libs "$(command -v jq)" /usr/bin/jq

printf '/usr/lib/x86_64-linux-gnu\n/lib/x86_64-linux-gnu\n' > "$root/etc/ld.so.conf"
ldconfig -r "$root" 2>/dev/null || say "ldconfig -r failed (the loader's default paths will do)"

cat > "$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
runner:x:1000:1000:runner:/home/runner:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat > "$root/etc/group" <<'EOF'
root:x:0:
runner:x:1000:
nogroup:x:65534:
EOF
printf 'runner:100000:65536\n' > "$root/etc/subuid"
printf 'runner:100000:65536\n' > "$root/etc/subgid"
echo localeval-vm > "$root/etc/hostname"
chown 1000:1000 "$root/home/runner"

# The few modules the jail may want (overlayfs is a module in the cloud kernel).
for mod in fs/overlayfs/overlay.ko; do
    src="$kdir/modules/kernel/$mod"
    [ -f "$src" ] && mkdir -p "$root/lib/modules" && cp "$src" "$root/lib/modules/"
done

install -m 755 "$here/vm/init.sh" "$root/init"
install -m 755 "$here/vm/checks.sh" "$root/usr/bin/vm-checks"
{
    printf 'VM_CHECKS=%q\n' "${LOCALEVAL_VM_CHECKS:-}"
    printf 'VM_VERBOSE=%q\n' "${LOCALEVAL_VM_VERBOSE:-}"
    printf 'LOCALEVAL_VM_RUN_TIMEOUT=%q\n' "${LOCALEVAL_VM_RUN_TIMEOUT:-60}"
} > "$root/etc/vm-test.env"

(cd "$root" && find . -print0 | cpio --null -o -H newc --quiet) > "$work/initramfs.cpio"
say "initramfs: $(du -h "$work/initramfs.cpio" | cut -f1), kernel $kpkg, accel $accel"

# --- boot --------------------------------------------------------------------------------
log="${LOCALEVAL_VM_LOG:-$work/serial.log}"
start=$(date +%s)
set +e
timeout --foreground -k 10 "$vm_timeout" qemu-system-x86_64 \
    -accel "$accel" -m 2048 -smp 2 -nographic -no-reboot \
    -kernel "$kdir/vmlinuz" -initrd "$work/initramfs.cpio" \
    -append "console=ttyS0 cgroup_no_v1=all panic=-1 quiet rdinit=/init" \
    </dev/null 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
elapsed=$(( $(date +%s) - start ))

if [ "$status" = 124 ] || [ "$status" = 137 ]; then
    say "FAIL: the VM run exceeded ${vm_timeout}s (LOCALEVAL_VM_TIMEOUT) and was killed"
    exit 1
fi
[ "$status" = 0 ] || say "qemu exited with status $status"
grep -q 'vm-init: booted' "$log" || { say "FAIL: the VM did not boot (no init marker in the serial log)"; exit 1; }
final="$(tr -d '\r' < "$log" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -n 1 || true)"
[ -n "$final" ] || { say "FAIL: no final 'N passed, N failed' line (the checks did not finish)"; exit 1; }
failed="$(echo "$final" | awk '{ print $3 }')"
say "VM run took ${elapsed}s: $final"
[ "$failed" = 0 ] || exit 1
[ "$status" = 0 ] || exit 1

# --- the systemd VM (issue 17) ----------------------------------------------------------
# The same kernel with Debian's systemd as PID 1: the root and user units, started for real
# (scripts/vm/systemd-test.sh; README "Install" says what it costs). LOCALEVAL_VM_SYSTEMD=0
# leaves it out.
if [ "${LOCALEVAL_VM_SYSTEMD:-1}" != 0 ]; then
    bash "$here/vm/systemd-test.sh" "$bin" "$kdir" "$cache" || { say "FAIL: the systemd VM test failed"; exit 1; }
fi
