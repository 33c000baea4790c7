#!/usr/bin/env bash
# make bmc-libvirt: a machine that only its BMC can boot. A libvirt domain
# (QEMU under software emulation, no disk, no PXE) stands behind sushy-tools'
# Redfish emulator on its libvirt driver, the BMC emulator OpenStack Ironic
# tests with. Everything runs in a network namespace made here: libvirtd (in
# its own mount namespace, so its qemu.conf is this test's and the host's is
# untouched), sushy-emulator, and `kiln serve` with the API. Through
# `kiln bmc` only:
#   add (the machine is enrolled before it ever boots), facts (the domain's
#   NIC), power on and off (the domain's state follows), boot once from PXE
#   (the domain's boot device follows), then install-iso --netboot-cd: the
#   emulator fetches Kiln's /netboot.iso and mounts it, the domain boots it,
#   iPXE chains to Kiln (QEMU's user network reaches the namespace's
#   addresses), the kernel and initramfs fetch the machine's Ignition, the
#   inventory shows stage config, and Kiln ejects the media by itself.
# Every wait is bounded; every process, the domain and the pool are removed on
# every exit path.
set -uo pipefail
KILN=$(realpath "${1:?usage: bmc-libvirt.sh path/to/kiln}")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" -ne 0 ]; then exec sudo -E bash "$0" "$KILN"; fi

GUEST_SECONDS=${E2E_GUEST_SECONDS:-240}
CACHE="$ROOT/.build/e2e-cache"
WORK=$(mktemp -d /tmp/kiln-bmc-libvirt.XXXXXX)
NS="kiln-bmc-$$"
DOMAIN="kiln-bmc-$$"
MAC=52:54:00:e2:b0:01
SERVER=10.34.0.1
STARTED=$(date +%s.%N)
PIDS=()
failures=0
VIRSH=(virsh -q -c qemu:///system)

elapsed() { python3 -c "import time; print(f'{time.time() - $STARTED:6.1f}')"; }
say() { echo "[$(elapsed)s] $*"; }
fail() { say "FAIL: $*"; exit 1; }
ok() { say "ok   $*"; }
bad() { say "FAIL $*"; failures=$((failures + 1)); }

cleanup() {
    "${VIRSH[@]}" destroy "$DOMAIN" >/dev/null 2>&1
    "${VIRSH[@]}" undefine "$DOMAIN" >/dev/null 2>&1
    [ -n "${POOL_OURS:-}" ] && "${VIRSH[@]}" pool-destroy default >/dev/null 2>&1
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
    # sushy-emulator ignores SIGTERM; whatever else outlived its parent goes too.
    ip netns pids "$NS" 2>/dev/null | xargs -r kill -9 2>/dev/null
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
    ip netns del "$NS" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for tool in libvirtd virsh qemu-system-x86_64 busybox cpio ip unshare curl; do
    command -v "$tool" >/dev/null || fail "setup: $tool is not installed (make bmc-libvirt installs it)"
done
SUSHY=$(command -v sushy-emulator || echo /root/.pyenv/shims/sushy-emulator)
[ -x "$SUSHY" ] || fail "setup: sushy-emulator is not installed (make bmc-libvirt installs sushy-tools with pip)"
python3 -c 'import libvirt' 2>/dev/null || fail "setup: libvirt-python is not installed (make bmc-libvirt installs it with pip)"
if "${VIRSH[@]}" version >/dev/null 2>&1; then
    fail "setup: a libvirtd already answers on qemu:///system; this test starts its own (stop the other first)"
fi

. "$ROOT/scripts/guest-assets.sh"
guest_assets "$WORK/data/assets" "$CACHE" "$WORK"
mkdir -p "$WORK/data"/{groups,profiles,ignition}
cat >"$WORK/data/profiles/bmc-worker.json" <<JSON
{"id": "bmc-worker", "boot": {"kernel": "/assets/vmlinuz", "initrd": ["/assets/initramfs.gz"],
  "args": ["console=ttyS0", "loglevel=1", "panic=-1", "kiln.profile=bmc-worker", "kiln.ignition=http://$SERVER:8080/ignition?mac=\${mac:hexhyp}"]},
 "ignition_id": "worker.yaml"}
JSON
echo "{\"id\": \"bmc-worker\", \"profile\": \"bmc-worker\", \"selector\": {\"mac\": \"$MAC\"}}" >"$WORK/data/groups/bmc-worker.json"
printf 'variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /etc/hostname\n      contents:\n        inline: bmc-worker\n' \
    >"$WORK/data/ignition/worker.yaml"
"$KILN" validate --data-path "$WORK/data" >/dev/null || fail "setup: the test's data directory does not validate"

# --- The namespace: its loopback carries Kiln's address too. ----------------------
ip netns add "$NS" || fail "network: cannot create namespace $NS"
in_ns() { ip netns exec "$NS" "$@"; }
in_ns ip link set lo up
in_ns ip addr add "$SERVER/32" dev lo || fail "network: cannot add $SERVER to the namespace's loopback"

# --- libvirtd, with this test's qemu.conf: QEMU as root with no relabelling, its
# output to files (no virtlogd). The domain's user network is QEMU's own
# (slirp), so guests reach $SERVER through the namespace.
mkdir -p "$WORK/libvirt" "$WORK/pool"
cat >"$WORK/libvirt/qemu.conf" <<'CONF'
user = "root"
group = "root"
dynamic_ownership = 0
remember_owner = 0
security_driver = "none"
stdio_handler = "file"
CONF
printf 'log_outputs="3:file:%s"\n' "$WORK/libvirt/libvirtd.log" >"$WORK/libvirt/libvirtd.conf"
in_ns unshare -m sh -c "mount --bind '$WORK/libvirt/qemu.conf' /etc/libvirt/qemu.conf && exec libvirtd --config '$WORK/libvirt/libvirtd.conf'" \
    >"$WORK/libvirt/stdout.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do "${VIRSH[@]}" version >/dev/null 2>&1 && break; sleep 0.1; done
"${VIRSH[@]}" version >/dev/null 2>&1 || { cat "$WORK/libvirt/stdout.log"; fail "libvirtd: did not answer within 10 s"; }
# sushy-tools' libvirt driver keeps the images it is given in the pool named default.
"${VIRSH[@]}" pool-info default >/dev/null 2>&1 && fail "setup: libvirt already has a storage pool named default"
"${VIRSH[@]}" pool-create-as default dir --target "$WORK/pool" >/dev/null || fail "libvirt: cannot create the storage pool"
POOL_OURS=1
cat >"$WORK/domain.xml" <<XML
<domain type='qemu'>
  <name>$DOMAIN</name>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>
  <features><acpi/></features>
  <on_reboot>restart</on_reboot>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='cdrom'><driver name='qemu' type='raw'/><target dev='hdc' bus='ide'/><readonly/></disk>
    <interface type='user'><mac address='$MAC'/><model type='virtio'/></interface>
    <serial type='file'><source path='$WORK/guest.serial'/><target port='0'/></serial>
  </devices>
</domain>
XML
"${VIRSH[@]}" define "$WORK/domain.xml" >/dev/null || fail "libvirt: cannot define the domain"
say "libvirt: domain $DOMAIN (no disk, a CD drive, QEMU's user network) in namespace $NS"

in_ns "$SUSHY" --libvirt-uri qemu:///system -i 127.0.0.1 -p 8000 >"$WORK/sushy.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 150); do in_ns curl -sf -o /dev/null http://127.0.0.1:8000/redfish/v1/ && break; sleep 0.1; done
in_ns curl -sf -o /dev/null http://127.0.0.1:8000/redfish/v1/ || { cat "$WORK/sushy.log"; fail "sushy-emulator: did not answer within 15 s"; }

"$KILN" token add bmc --scope write --tokens-file "$WORK/api-tokens" >"$WORK/api.token" || fail "setup: kiln token add failed"
in_ns "$KILN" serve --data-path "$WORK/data" --address "$SERVER:8080" --tftp-address "" --inventory on \
    --api-address 127.0.0.1:8081 --api-tokens "$WORK/api-tokens" --bmc-shutdown-grace 5 >"$WORK/kiln.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do in_ns curl -sf -o /dev/null "http://$SERVER:8080/healthz" && break; sleep 0.1; done
in_ns curl -sf -o /dev/null "http://$SERVER:8080/healthz" || { cat "$WORK/kiln.log"; fail "kiln: did not start"; }
say "sushy-emulator on 127.0.0.1:8000 (libvirt driver); kiln serving $SERVER:8080, API on 127.0.0.1:8081"

bmc() { in_ns env KILN_SERVER=http://127.0.0.1:8081 KILN_TOKEN_FILE="$WORK/api.token" "$KILN" bmc "$@"; }
state() { "${VIRSH[@]}" domstate "$DOMAIN" 2>/dev/null | head -1; }
wait_for() {  # wait_for SECONDS COMMAND...: COMMAND succeeds within SECONDS
    local until=$(( $(date +%s) + $1 )); shift
    while ! "$@" >/dev/null 2>&1; do [ "$(date +%s)" -lt "$until" ] || return 1; sleep 0.5; done
}
stage_is() { "$KILN" machines --data-path "$WORK/data" 2>/dev/null | awk -v mac="$1" -v stage="$2" '$1 == mac && $2 == stage { found=1 } END { exit !found }'; }

printf 'password\n' >"$WORK/bmc.password"
if bmc add "$MAC" --url http://127.0.0.1:8000 --username admin --password-file "$WORK/bmc.password" >"$WORK/out" 2>&1; then
    ok "kiln bmc add: $(cat "$WORK/out")"
else
    bad "kiln bmc add: $(cat "$WORK/out")"
fi
if wait_for 5 stage_is "$MAC" discovered; then ok "the machine is enrolled (stage discovered) before it ever booted"; else bad "the machine was not enrolled"; fi
if bmc facts "$MAC" >"$WORK/out" 2>&1 && grep -q "nics: *$MAC" "$WORK/out"; then
    ok "kiln bmc facts: the domain's NIC $MAC, $(grep hardware "$WORK/out" | sed 's/ \+/ /g')"
else
    bad "kiln bmc facts: $(cat "$WORK/out")"
fi
if bmc power "$MAC" on >"$WORK/out" 2>&1 && [ "$(state)" = running ]; then ok "kiln bmc power on: $(head -1 "$WORK/out"); the domain is running"
else bad "kiln bmc power on: $(cat "$WORK/out"); the domain is $(state)"; fi
if bmc power "$MAC" off >"$WORK/out" 2>&1 && [ "$(state)" = "shut off" ]; then ok "kiln bmc power off: $(head -1 "$WORK/out"); the domain is shut off"
else bad "kiln bmc power off: $(cat "$WORK/out"); the domain is $(state)"; fi
# The driver names the boot device in the domain's definition: <boot dev='network'/>, or a boot order on the NIC.
boots_from_network() { "${VIRSH[@]}" dumpxml --inactive "$DOMAIN" | tr -d '\n' | grep -qE "<boot dev='network'/>|<interface type='user'>.{0,300}<boot order='1'/>"; }
if bmc boot "$MAC" pxe >"$WORK/out" 2>&1 && boots_from_network; then
    ok "kiln bmc boot pxe: the domain boots from the network next"
else
    bad "kiln bmc boot pxe: $(cat "$WORK/out"); $("${VIRSH[@]}" dumpxml --inactive "$DOMAIN" | grep -E "<boot|<interface")"
fi

BEGAN=$(date +%s)
if bmc install-iso "$MAC" --netboot-cd >"$WORK/out" 2>&1 && "${VIRSH[@]}" dumpxml "$DOMAIN" | grep -q "<source file=.*netboot"; then
    ok "kiln bmc install-iso --netboot-cd: $(head -1 "$WORK/out")"
else
    bad "kiln bmc install-iso: $(cat "$WORK/out")"
fi
if wait_for "$GUEST_SECONDS" stage_is "$MAC" config; then
    ok "the domain booted Kiln's CD, chained to Kiln and fetched its Ignition: stage config $(( $(date +%s) - BEGAN )) s after install-iso"
else
    bad "the domain did not reach config within $GUEST_SECONDS s"
fi
# The driver ejects from the domain's definition; the running domain keeps the disc until it next starts.
if wait_for 20 bash -c "! ${VIRSH[*]} dumpxml --inactive '$DOMAIN' | grep -q '<source file='"; then
    ok "Kiln ejected the media once the machine reached config"
else
    bad "the media is still inserted: $("${VIRSH[@]}" dumpxml --inactive "$DOMAIN" | grep "<source file=")"
fi
if wait_for 5 bash -c "! env KILN_SERVER=http://127.0.0.1:8081 KILN_TOKEN_FILE='$WORK/api.token' ip netns exec '$NS' '$KILN' bmc show '$MAC' | grep -q 'to eject'"; then
    ok "kiln bmc show owes no eject"
else
    bad "kiln bmc show still owes an eject"
fi
# The recorder writes about once a second: wait for the eject's event before reading the timeline.
wait_for 10 bash -c "'$KILN' machine --data-path '$WORK/data' '$MAC' | grep -qF 'eject media (the machine reached config)'"
"$KILN" machine --data-path "$WORK/data" "$MAC" >"$WORK/machine.txt" 2>&1
for action in "bmc added" "read facts" "power on" "power off" "boot once pxe" install-iso "eject media (the machine reached config)" "GET /ignition" ; do
    case "$action" in
        "GET /ignition") grep -q " ignition .* 200 /ignition" "$WORK/machine.txt" && ok "the timeline has the Ignition fetch" || bad "the timeline lacks the Ignition fetch" ;;
        *) grep -qF " bmc         200 $action" "$WORK/machine.txt" && ok "the timeline has: $action" || bad "the timeline lacks: $action" ;;
    esac
done
grep -q "KILN-E2E-IGNITION-END" "$WORK/guest.serial" 2>/dev/null && ok "the guest printed its Ignition on its console" \
    || bad "the guest's console has no Ignition: $(tr -d '\r' <"$WORK/guest.serial" 2>/dev/null | tail -5)"
if grep -qF password "$WORK/kiln.log"; then bad "the BMC's password is in Kiln's log"; else ok "the BMC's password is not in Kiln's log"; fi

if [ "$failures" -gt 0 ]; then
    echo "--- kiln machine"; cat "$WORK/machine.txt"
    echo "--- kiln log"; tail -40 "$WORK/kiln.log"
    echo "--- sushy log"; tail -20 "$WORK/sushy.log"
    echo "--- guest console"; tr -d '\r' <"$WORK/guest.serial" 2>/dev/null | tail -20
    fail "$failures check(s) failed"
fi
say "bmc-libvirt: a disk-less domain was enrolled, powered, pointed at PXE and installed from Kiln's CD through its Redfish BMC, and the CD ejected"
