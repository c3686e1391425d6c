#!/bin/sh
# PID 1 of the VM test (scripts/vm-test.sh). Runs twice:
#  1. on the initramfs (rootfs): copies itself and everything else to a tmpfs and
#     switch_root's into it, because pivot_root(2) refuses a root that is rootfs and the
#     sandbox pivot_roots;
#  2. on the tmpfs root: mounts proc, sys, dev and cgroup2 (v2 only: the kernel runs with
#     cgroup_no_v1=all), runs the checks, and powers off.
export PATH=/usr/bin:/usr/sbin
export HOME=/root

halt_now() {
    sync
    poweroff -f
    # poweroff should not return; if it does, make the kernel stop (panic=-1 + -no-reboot).
    echo o > /proc/sysrq-trigger 2>/dev/null
    exit 1
}

if [ ! -e /.tmpfs-root ]; then
    mount -t tmpfs -o mode=0755 tmpfs /newroot || { echo "vm-init: FAIL mounting the tmpfs root"; halt_now; }
    for entry in /* /.[!.]*; do
        [ -e "$entry" ] || [ -L "$entry" ] || continue
        case "$entry" in /newroot|/proc|/sys|/dev) continue ;; esac
        cp -a "$entry" /newroot/ || { echo "vm-init: FAIL copying $entry to the tmpfs root"; halt_now; }
    done
    mkdir -p /newroot/proc /newroot/sys /newroot/dev /newroot/newroot
    touch /newroot/.tmpfs-root
    exec switch_root /newroot /init
    echo "vm-init: FAIL switch_root"
    halt_now
fi

mount -t proc -o nosuid,nodev,noexec proc /proc
mount -t sysfs -o nosuid,nodev,noexec sysfs /sys
mount -t devtmpfs -o nosuid,mode=0755 devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts -o nosuid,noexec,newinstance,ptmxmode=0666,mode=0620 devpts /dev/pts
mount -t tmpfs -o nosuid,nodev,mode=1777 tmpfs /dev/shm
mount -t tmpfs -o nosuid,nodev,mode=1777 tmpfs /tmp
mount -t tmpfs -o nosuid,nodev,mode=0755 tmpfs /run
# The same options systemd uses on a unified host.
mount -t cgroup2 -o nosuid,nodev,noexec,nsdelegate cgroup2 /sys/fs/cgroup \
    || echo "vm-init: could not mount cgroup2"
for c in $(cat /sys/fs/cgroup/cgroup.controllers 2>/dev/null); do
    echo "+$c" > /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || echo "vm-init: could not enable controller $c"
done
# Kernel messages (an OOM kill report) must not cut through the check lines.
echo 1 > /proc/sys/kernel/printk
hostname -F /etc/hostname
ip link set lo up 2>/dev/null
for m in /lib/modules/*.ko; do
    [ -f "$m" ] && insmod "$m" 2>/dev/null
done

read -r up _ < /proc/uptime
echo "vm-init: booted in ${up}s (kernel $(uname -r))"

[ -f /etc/vm-test.env ] && . /etc/vm-test.env
export VM_CHECKS VM_VERBOSE LOCALEVAL_VM_RUN_TIMEOUT
/usr/bin/vm-checks
echo "vm-init: checks exited with status $?"
halt_now
