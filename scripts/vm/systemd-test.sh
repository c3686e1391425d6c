#!/usr/bin/env bash
# The systemd part of the VM test (issue 17), called by scripts/vm-test.sh with the binary
# and the unpacked kernel: boots Debian bookworm with systemd as PID 1 on the same
# cgroup-v2-only kernel (cgroup_no_v1=all), from a root built with mmdebstrap (cached by its
# package list in $LOCALEVAL_VM_CACHE), and runs scripts/vm/systemd-checks.sh inside: the
# root unit and the user unit, installed with `localeval install-unit`, each checked
# through HTTP (scripts/vm/service-checks.sh) with memory and pids enforced by cgroup v2.
#
# Usage: systemd-test.sh LOCALEVAL-BINARY KERNEL-DIR CACHE-DIR
# Environment: LOCALEVAL_VM_SYSTEMD_TIMEOUT (seconds for the VM, default 900),
#   LOCALEVAL_VM_ACCEL (tcg), LOCALEVAL_VM_VERBOSE, LOCALEVAL_VM_SYSTEMD_LOG (serial log).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
bin=$1 kdir=$2 cache=$3
timeout_s=${LOCALEVAL_VM_SYSTEMD_TIMEOUT:-900}
accel=${LOCALEVAL_VM_ACCEL:-tcg}
mirror=${LOCALEVAL_IMAGE_MIRROR:-http://deb.debian.org/debian}
say() { printf 'vm-systemd: %s\n' "$*" >&2; }
die() { printf 'vm-systemd: error: %s\n' "$*" >&2; exit 2; }
command -v mmdebstrap >/dev/null || die "mmdebstrap is missing (scripts/setup.sh --tests installs it)"

packages="systemd,systemd-sysv,dbus,libpam-systemd,curl,jq,procps,python3-minimal"
key=$(printf '%s\n' "$packages" v1 | sha256sum | cut -c1-12)
tarball="$cache/systemd-root-$key.tar"
mkdir -p "$cache"
if [ ! -s "$tarball" ]; then
    t0=$(date +%s)
    say "building the Debian root with mmdebstrap ($packages)"
    mkdir -p "$cache/debs"
    mmdebstrap --variant=minbase --include="$packages" \
        --aptopt='APT::Install-Recommends "false"' \
        --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
        --dpkgopt='path-exclude=/usr/share/locale/*' \
        --skip=essential/unlink \
        --setup-hook='mkdir -p "$1"/var/cache/apt/archives/' \
        --setup-hook="sync-in $cache/debs /var/cache/apt/archives/" \
        --customize-hook="sync-out /var/cache/apt/archives $cache/debs" \
        --customize-hook='rm -f "$1"/var/cache/apt/archives/*.deb' \
        --customize-hook='chroot "$1" useradd -m -u 1000 -s /bin/bash runner' \
        bookworm "$tarball.tmp.tar" "deb $mirror bookworm main" \
        > "$cache/systemd-root.log" 2>&1 || { tail -n 30 "$cache/systemd-root.log" >&2; die "mmdebstrap failed"; }
    mv "$tarball.tmp.tar" "$tarball"
    say "root built in $(( $(date +%s) - t0 ))s"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/localeval-vm-systemd.XXXXXX")
trap 'rm -rf "$work"' EXIT
root="$work/root"
mkdir -p "$root"
tar -C "$root" -xf "$tarball"
install -m 755 "$bin" "$root/usr/local/bin/localeval"
install -m 755 "$here/systemd-init.sh" "$root/init"
install -m 755 "$here/systemd-checks.sh" "$root/usr/local/bin/vm-systemd-checks"
install -m 755 "$here/service-checks.sh" "$root/usr/local/bin/service-checks"
mkdir -p "$root/newroot"
echo localeval-vm > "$root/etc/hostname"
# The checks write to the serial console; nothing else does.
for unit in serial-getty@ttyS0.service getty@tty1.service systemd-timesyncd.service apt-daily.timer apt-daily-upgrade.timer; do
    ln -sf /dev/null "$root/etc/systemd/system/$unit"
done
cat > "$root/etc/systemd/system/vm-checks.service" <<UNIT
[Unit]
Description=localeval deployment checks (scripts/vm/systemd-checks.sh)
After=multi-user.target
[Service]
Type=oneshot
Environment=VM_VERBOSE=${LOCALEVAL_VM_VERBOSE:-}
ExecStart=/usr/local/bin/vm-systemd-checks
ExecStopPost=/usr/bin/systemctl poweroff --no-block -ff
StandardOutput=tty
StandardError=tty
TTYPath=/dev/ttyS0
[Install]
WantedBy=multi-user.target
UNIT
mkdir -p "$root/etc/systemd/system/multi-user.target.wants"
ln -sf ../vm-checks.service "$root/etc/systemd/system/multi-user.target.wants/vm-checks.service"
(cd "$root" && find . -print0 | cpio --null -o -H newc --quiet) > "$work/initramfs.cpio"
say "initramfs: $(du -h "$work/initramfs.cpio" | cut -f1), accel $accel"

# no_timer_check: under TCG on a busy host the kernel's IO-APIC timer check can fail and
# panic at boot ("IO-APIC + timer doesn't work"); the emulated timer is fine.
log="${LOCALEVAL_VM_SYSTEMD_LOG:-$work/serial.log}"
start=$(date +%s)
set +e
timeout --foreground -k 10 "$timeout_s" qemu-system-x86_64 \
    -accel "$accel" -m 3072 -smp 2 -nographic -no-reboot \
    -kernel "$kdir/vmlinuz" -initrd "$work/initramfs.cpio" \
    -append "console=ttyS0 cgroup_no_v1=all systemd.unified_cgroup_hierarchy=1 no_timer_check panic=-1 quiet loglevel=3 systemd.show_status=0 rdinit=/init" \
    </dev/null 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
elapsed=$(( $(date +%s) - start ))
if [ "$status" = 124 ] || [ "$status" = 137 ]; then
    say "FAIL: the VM run exceeded ${timeout_s}s (LOCALEVAL_VM_SYSTEMD_TIMEOUT) and was killed"
    exit 1
fi
grep -q 'systemd-checks: starting' "$log" || { say "FAIL: systemd did not start the checks"; exit 1; }
final="$(tr -d '\r' < "$log" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -n 1 || true)"
[ -n "$final" ] || { say "FAIL: no final 'N passed, N failed' line (the checks did not finish)"; exit 1; }
say "systemd VM run took ${elapsed}s: $final"
[ "$(echo "$final" | awk '{ print $3 }')" = 0 ]
