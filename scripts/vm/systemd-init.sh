#!/bin/sh
# Stage one of the systemd VM (scripts/vm/systemd-test.sh): the initramfs is the whole
# Debian root; copy it to a tmpfs and hand over to systemd as PID 1 there, because
# pivot_root(2) refuses a root that is rootfs and every sandbox pivot_roots.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t tmpfs -o mode=0755,size=90% tmpfs /newroot || { echo "vm-init: FAIL mounting the tmpfs root"; exec sh; }
for entry in /* /.[!.]*; do
    [ -e "$entry" ] || [ -L "$entry" ] || continue
    case "$entry" in /newroot|/proc|/sys|/dev|/init) continue ;; esac
    cp -a "$entry" /newroot/ || { echo "vm-init: FAIL copying $entry"; exec sh; }
done
mkdir -p /newroot/proc /newroot/sys /newroot/dev /newroot/run /newroot/tmp
echo "vm-init: booted, starting systemd"
exec switch_root /newroot /lib/systemd/systemd
