# Sourced by scripts/e2e.sh and scripts/bmc-libvirt.sh (never run): the guests'
# kernel and initramfs. The caller defines say and fail.
#
# guest_assets DEST CACHE WORK: writes DEST/vmlinuz (Debian's cloud kernel,
# downloaded once into CACHE and unpacked, not installed) and
# DEST/initramfs.gz (busybox and the virtio-net modules; built in WORK): it
# brings up eth0 with udhcpc, fetches the URL in kiln.ignition= from its
# kernel command line, prints it between KILN-E2E-IGNITION-BEGIN and -END on
# the console, and reboots.
guest_assets() {
    local dest=$1 CACHE=$2 tree=$3/initramfs KERNEL_PACKAGE KROOT KVERSION module found
    mkdir -p "$CACHE"
    KERNEL_PACKAGE=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
    [ -n "$KERNEL_PACKAGE" ] || fail "setup: apt knows no linux-image-cloud-amd64 (run apt-get update)"
    if [ ! -d "$CACHE/$KERNEL_PACKAGE" ]; then
        (cd "$CACHE" && apt-get download "$KERNEL_PACKAGE" >/dev/null 2>&1) || fail "setup: apt-get download $KERNEL_PACKAGE failed"
        dpkg-deb -x "$CACHE/$KERNEL_PACKAGE"_*.deb "$CACHE/$KERNEL_PACKAGE.tmp" && mv "$CACHE/$KERNEL_PACKAGE.tmp" "$CACHE/$KERNEL_PACKAGE"
        rm -f "$CACHE/$KERNEL_PACKAGE"_*.deb
    fi
    KROOT="$CACHE/$KERNEL_PACKAGE"
    KVERSION=$(ls "$KROOT/lib/modules")
    say "kernel: $KERNEL_PACKAGE ($KVERSION)"

    mkdir -p "$dest" "$tree"/{bin,dev,proc,sys,tmp,etc,modules}
    cp "$KROOT/boot/vmlinuz-$KVERSION" "$dest/vmlinuz"
    for module in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci failover net_failover virtio_net; do
        found=$(find "$KROOT/lib/modules/$KVERSION" -name "$module.ko*" | head -1)
        [ -n "$found" ] || fail "setup: module $module is not in $KERNEL_PACKAGE"
        case "$found" in
            *.ko.xz) xz -dc "$found" >"$tree/modules/$module.ko" ;;
            *.ko.zst) zstd -qdc "$found" >"$tree/modules/$module.ko" ;;
            *) cp "$found" "$tree/modules/" ;;
        esac
    done
    cp "$(command -v busybox)" "$tree/bin/busybox"
    mknod "$tree/dev/console" c 5 1
    cat >"$tree/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
dmesg -n 1
echo "KILN-E2E stage=init"
arg() { sed -n "s/.*$1=\([^ ]*\).*/\1/p" /proc/cmdline; }
# Module load order differs between kernel builds: retry until all load.
for round in 1 2 3 4 5 6 7 8; do
    missing=0
    for module in /modules/*.ko; do
        name=$(basename "$module" .ko)
        grep -q "^$name " /proc/modules || insmod "$module" 2>/dev/null || missing=1
    done
    [ "$missing" = 0 ] && break
done
for i in $(seq 1 100); do [ -e /sys/class/net/eth0 ] && break; sleep 0.1; done
ip link set lo up
ip link set eth0 up
if ! udhcpc -i eth0 -f -q -n -t 20 -T 1 -s /etc/udhcpc.sh >/dev/null 2>&1; then
    echo "KILN-E2E FAIL stage=guest-dhcp"
    reboot -f
fi
echo "KILN-E2E profile=$(arg kiln.profile) address=$(ip -4 -o addr show eth0 | awk '{print $4}')"
if wget -q -O /tmp/ignition.json "$(arg kiln.ignition)"; then
    echo "KILN-E2E-IGNITION-BEGIN"
    cat /tmp/ignition.json
    echo
    echo "KILN-E2E-IGNITION-END"
else
    echo "KILN-E2E FAIL stage=ignition"
fi
sync
reboot -f
INIT
    cat >"$tree/etc/udhcpc.sh" <<'DHCP'
#!/bin/sh
[ "$1" = bound ] || [ "$1" = renew ] || exit 0
ip addr add "$ip/${mask:-24}" dev "$interface"
[ -n "$router" ] && ip route add default via "${router%% *}" dev "$interface"
exit 0
DHCP
    chmod +x "$tree/init" "$tree/etc/udhcpc.sh"
    (cd "$tree" && find . | cpio -o -H newc --quiet | gzip -1) >"$dest/initramfs.gz" || fail "setup: building the initramfs failed"
}
