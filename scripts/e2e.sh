#!/usr/bin/env bash
# make e2e: virtual machines network-boot through Kiln the way a rack does.
#
# Two network namespaces. The rack: a bridge with one tap per guest, where
# `kiln serve --dhcp proxy` runs (HTTP, TFTP on port 69, proxyDHCP on 67 and
# 4011). The site: a separate host linked to the rack's bridge by a veth
# pair, running dnsmasq as the site's DHCP server with addresses only: no
# boot file, no PXE service, no TFTP. Only Kiln's proxyDHCP answers tell the
# firmware what to boot. QEMU guests run under software emulation (iPXE
# hangs under KVM on these machines):
#   SeaBIOS with the iPXE NIC ROM: iPXE is told http://kiln/boot.ipxe at once;
#   OVMF (UEFI) with no NIC ROM: EDK2's own PXE client takes Kiln's offer,
#     asks again on port 4011, fetches ipxe.efi over TFTP, which chains on;
#   OVMF with its PXE turned off: UEFI HTTP Boot fetches ipxe.efi from
#     /assets over HTTP;
# then /boot.ipxe -> /ipxe matched by MAC -> kernel and initramfs from
# /assets -> the initramfs (busybox, built here) brings up virtio-net with
# udhcpc, fetches the Ignition URL from its kernel command line, prints the
# config between markers on the serial console and powers off.
# The booting guests must print exactly what `kiln render ignition` gives
# for their MAC. Three more are broken on purpose (a first stage that does
# not exist, a MAC no group matches in a catalog without a default group,
# an Ignition template that fails) and must fail at that stage, with a
# message naming it. Everything is bounded in time and removed on every
# exit path.
set -uo pipefail
KILN=$(realpath "${1:?usage: e2e.sh path/to/kiln}")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" -ne 0 ]; then exec sudo -E bash "$0" "$KILN"; fi

GUEST_SECONDS=${E2E_GUEST_SECONDS:-240}
CACHE="$ROOT/.build/e2e-cache"
WORK=$(mktemp -d /tmp/kiln-e2e.XXXXXX)
NS="kiln-e2e-$$"
SITE_NS="kiln-e2e-site-$$"
SERVER=10.33.0.1
SITE=10.33.0.2
STARTED=$(date +%s.%N)
PIDS=()

elapsed() { python3 -c "import time; print(f'{time.time() - $STARTED:6.1f}')"; }
say() { echo "[$(elapsed)s] $*"; }
fail() { say "FAIL: $*"; exit 1; }

# E2E_KEEP_INVENTORY=FILE keeps the rack's inventory for `make run` to show in
# its dashboard (see docs/dashboard.md). SQLite's backup copies it whole,
# write-ahead log included; the destination's old log goes first.
keep_inventory() {
    [ -n "${E2E_KEEP_INVENTORY:-}" ] && [ -f "$WORK/data/state/inventory.sqlite" ] || return 0
    mkdir -p "$(dirname "$E2E_KEEP_INVENTORY")"
    rm -f "$E2E_KEEP_INVENTORY" "$E2E_KEEP_INVENTORY-wal" "$E2E_KEEP_INVENTORY-shm"
    python3 -c 'import sqlite3, sys; source = sqlite3.connect(sys.argv[1]); target = sqlite3.connect(sys.argv[2]); source.backup(target); target.close()' \
        "$WORK/data/state/inventory.sqlite" "$E2E_KEEP_INVENTORY" && echo "e2e: the rack's inventory is kept in $E2E_KEEP_INVENTORY"
}

cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
    # Whatever still runs in the namespace (a process that outlived its
    # parent) goes too, or the namespace would live on with it.
    ip netns pids "$NS" 2>/dev/null | xargs -r kill -9 2>/dev/null
    ip netns pids "$SITE_NS" 2>/dev/null | xargs -r kill -9 2>/dev/null
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
    keep_inventory
    ip netns del "$NS" 2>/dev/null
    ip netns del "$SITE_NS" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for tool in qemu-system-x86_64 dnsmasq busybox cpio gzip ip dpkg-deb apt-get; do
    command -v "$tool" >/dev/null || fail "setup: $tool is not installed (make e2e installs it)"
done
[ -e /dev/net/tun ] || fail "setup: /dev/net/tun is missing"
OVMF_CODE=/usr/share/OVMF/OVMF_CODE_4M.fd
OVMF_VARS=/usr/share/OVMF/OVMF_VARS_4M.fd
for file in "$OVMF_CODE" "$OVMF_VARS" /usr/lib/ipxe/ipxe.efi; do
    [ -f "$file" ] || fail "setup: $file is missing (make e2e installs ovmf and ipxe)"
done

# --- Assets: kernel, initramfs (scripts/guest-assets.sh), the TFTP first stage.
. "$ROOT/scripts/guest-assets.sh"
mkdir -p "$WORK/assets"
guest_assets "$WORK/assets" "$CACHE" "$WORK"
mkdir -p "$WORK/assets/ipxe"
cp /usr/lib/ipxe/ipxe.efi "$WORK/assets/ipxe/ipxe.efi"
say "assets: vmlinuz $(stat -c %s "$WORK/assets/vmlinuz") bytes, initramfs $(stat -c %s "$WORK/assets/initramfs.gz") bytes (busybox and 8 virtio modules)"

# --- Data: two machines with their own profiles, and broken ones. -------------
mkdir -p "$WORK/data"/{groups,profiles,ignition}
# initrd= names the initrd for the kernel's EFI stub, which loads it from
# ipxe.efi's virtual file system under UEFI; BIOS boots ignore it.
profile() {  # profile ID IGNITION [EXTRA-JSON-FIELDS]
    cat >"$WORK/data/profiles/$1.json" <<JSON
{"id": "$1", "boot": {"kernel": "/assets/vmlinuz", "initrd": ["/assets/initramfs.gz"],
  "args": ["initrd=initramfs.gz", "console=ttyS0", "loglevel=1", "panic=-1", "kiln.profile=$1", "kiln.ignition=http://$SERVER:8080/ignition?mac=\${mac:hexhyp}"]},
 "ignition_id": "$2"${3:+, $3}}
JSON
}
group() { echo "{\"id\": \"$1\", \"profile\": \"$2\", \"selector\": {\"mac\": \"$3\"}, \"metadata\": {\"hostname\": \"$1.rack.example\"}}" >"$WORK/data/groups/$1.json"; }
profile e2e-worker worker.yaml
profile e2e-storage storage.yaml
profile e2e-broken broken.yaml
profile e2e-missing worker.yaml '"dhcp_bootfile": "no-such-first-stage.efi"'
cat >"$WORK/data/ignition/worker.yaml" <<'YAML'
variant: fcos
version: 1.5.0
storage:
  files:
    - path: /etc/hostname
      mode: 0644
      contents:
        inline: {{.hostname}}
systemd:
  units:
    - name: worker.service
      enabled: true
      contents: |
        [Service]
        ExecStart=/usr/bin/echo worker {{.request.query.mac}}
        [Install]
        WantedBy=multi-user.target
YAML
cat >"$WORK/data/ignition/storage.yaml" <<'YAML'
variant: flatcar
version: 1.1.0
storage:
  files:
    - path: /etc/hostname
      contents:
        inline: {{.hostname}}
  directories:
    - path: /var/lib/storage
YAML
printf 'variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /etc/{{.no_such_key}}\n' >"$WORK/data/ignition/broken.yaml"

# name MAC address firmware expected-profile expected-failure-stage
# firmware: bios (SeaBIOS, iPXE NIC ROM), uefi (OVMF's own PXE), http (OVMF's
# UEFI HTTP Boot). The site's dnsmasq gives each its address, nothing else.
GUESTS="
worker   52:54:00:e2:e0:0a 10.33.0.10 bios e2e-worker  -
uefi     52:54:00:e2:e0:0b 10.33.0.11 uefi e2e-storage -
httpboot 52:54:00:e2:e0:0f 10.33.0.15 http e2e-worker  -
notftp   52:54:00:e2:e0:0c 10.33.0.12 uefi e2e-missing tftp
nogroup  52:54:00:e2:e0:0d 10.33.0.13 bios -           proxy
badign   52:54:00:e2:e0:0e 10.33.0.14 bios e2e-broken  ignition
"
GUEST_COUNT=$(grep -c . <<<"$GUESTS")
group worker e2e-worker 52:54:00:e2:e0:0a
group uefi e2e-storage 52:54:00:e2:e0:0b
group httpboot e2e-worker 52:54:00:e2:e0:0f
group notftp e2e-missing 52:54:00:e2:e0:0c
group badign e2e-broken 52:54:00:e2:e0:0e
"$KILN" validate --data-path "$WORK/data" >/dev/null || fail "setup: the test's data directory does not validate"

# --- The network: a namespace with a bridge, a tap per guest. -----------------
ip netns add "$NS" || fail "network: cannot create namespace $NS"
ip netns add "$SITE_NS" || fail "network: cannot create namespace $SITE_NS"
in_ns() { ip netns exec "$NS" "$@"; }
in_site() { ip netns exec "$SITE_NS" "$@"; }
in_ns ip link set lo up
in_ns ip link add br0 type bridge
in_ns ip addr add "$SERVER/24" dev br0
in_ns ip link set br0 up
# The site's DHCP server is another host on the rack's network.
in_ns ip link add veth-rack type veth peer name veth-site netns "$SITE_NS"
in_ns ip link set veth-rack master br0
in_ns ip link set veth-rack up
in_site ip link set lo up
in_site ip addr add "$SITE/24" dev veth-site
in_site ip link set veth-site up
while read -r name mac address firmware profile failure; do
    [ -n "$name" ] || continue
    in_ns ip tuntap add dev "tap-$name" mode tap
    in_ns ip link set "tap-$name" master br0
    in_ns ip link set "tap-$name" up
done <<<"$GUESTS"
say "network: rack namespace $NS (bridge br0 $SERVER/24, $GUEST_COUNT taps), site namespace $SITE_NS ($SITE/24 on a veth into br0)"

"$KILN" token add e2e --scope write --tokens-file "$WORK/api-tokens" >"$WORK/api.token" || fail "setup: kiln token add failed"
ip netns exec "$NS" "$KILN" serve --data-path "$WORK/data" --assets-path "$WORK/assets" --address "$SERVER:8080" --tftp-address "$SERVER:69" \
    --dhcp proxy --dhcp-interface br0 --inventory on --api-address 127.0.0.1:8081 --api-tokens "$WORK/api-tokens" >"$WORK/kiln.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do in_ns curl -sf "http://$SERVER:8080/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
in_ns curl -sf "http://$SERVER:8080/healthz" >/dev/null || { cat "$WORK/kiln.log"; fail "kiln: did not start"; }
# Info lines reach the log within 100 ms: wait a little for this one.
for _ in $(seq 1 30); do grep -q "dhcp proxy listening" "$WORK/kiln.log" && break; sleep 0.1; done
grep -q "dhcp proxy listening" "$WORK/kiln.log" || { cat "$WORK/kiln.log"; fail "kiln: proxyDHCP is not listening"; }
say "kiln: serving HTTP on $SERVER:8080, TFTP on $SERVER:69, proxyDHCP on br0 (67 and 4011)"

DNSMASQ_ARGS=(--no-daemon --port=0 --interface=veth-site --bind-interfaces --except-interface=lo --user=root
    --dhcp-range=10.33.0.100,10.33.0.150,255.255.255.0,1h --dhcp-leasefile="$WORK/leases" --pid-file="$WORK/dnsmasq.pid"
    --log-dhcp --log-facility=-)
while read -r name mac address firmware profile failure; do
    [ -n "$name" ] || continue
    # An address per MAC, so the logs can be read by address; nothing about booting.
    DNSMASQ_ARGS+=(--dhcp-host="$mac,$address")
done <<<"$GUESTS"
ip netns exec "$SITE_NS" dnsmasq "${DNSMASQ_ARGS[@]}" >"$WORK/dnsmasq.log" 2>&1 &
PIDS+=($!)
sleep 0.5
kill -0 "${PIDS[-1]}" 2>/dev/null || { cat "$WORK/dnsmasq.log"; fail "dnsmasq: did not start"; }
grep -qE "dhcp-boot|pxe-service|enable-tftp" <<<"${DNSMASQ_ARGS[*]}" && fail "setup: the site's DHCP server must carry no boot options"
say "dnsmasq: the site's DHCP server on $SITE, addresses only (no boot file, no PXE service, no TFTP)"

# --- Boot. -------------------------------------------------------------------
declare -A QEMU STAGE DONE RESULT BEGAN EXITED
start_guest() {  # start_guest NAME MAC FIRMWARE SERIAL-FILE: powers a guest on; sets QEMU[NAME]
    local name=$1 mac=$2 firmware=$3 serial=$4
    case "$firmware" in
        bios) FIRMWARE=(-machine pc,accel=tcg)
              NIC="virtio-net-pci,netdev=n0,mac=$mac,bootindex=1" ;;
        uefi|http)
              # romfile= leaves the NIC without iPXE: EDK2's own network stack boots.
              cp "$OVMF_VARS" "$WORK/$name.vars"
              FIRMWARE=(-machine q35,accel=tcg -drive "if=pflash,format=raw,unit=0,readonly=on,file=$OVMF_CODE"
                        -drive "if=pflash,format=raw,unit=1,file=$WORK/$name.vars")
              NIC="virtio-net-pci,netdev=n0,mac=$mac,romfile=,bootindex=1"
              if [ "$firmware" = http ]; then
                  FIRMWARE+=(-fw_cfg name=opt/org.tianocore/IPv4PXESupport,string=n -fw_cfg name=opt/org.tianocore/IPv6PXESupport,string=n)
              fi ;;
    esac
    ip netns exec "$NS" qemu-system-x86_64 "${FIRMWARE[@]}" -m 256 -smp 1 -display none -monitor none -no-reboot \
        -serial "file:$serial" \
        -netdev "tap,id=n0,ifname=tap-$name,script=no,downscript=no" \
        -device "$NIC" >"$WORK/$name.qemu" 2>&1 &
    QEMU[$name]=$!
    PIDS+=($!)
}
while read -r name mac address firmware profile failure; do
    [ -n "$name" ] || continue
    start_guest "$name" "$mac" "$firmware" "$WORK/$name.serial"
    BEGAN[$name]=$(date +%s)
    STAGE[$name]=""
done <<<"$GUESTS"
say "qemu: $GUEST_COUNT guests powered on"

# Stages in order, and the evidence for each.
stages_for() {  # stages_for FIRMWARE
    case "$1" in
        bios) echo "dhcp proxy boot.ipxe ipxe kernel initrd init ignition printed" ;;
        uefi) echo "dhcp proxy tftp boot.ipxe ipxe kernel initrd init ignition printed" ;;
        http) echo "dhcp proxy ipxe.efi boot.ipxe ipxe kernel initrd init ignition printed" ;;
    esac
}
reached() {  # reached NAME MAC ADDRESS STAGE: 0 when the logs show it
    local name=$1 mac=$2 address=$3
    case "$4" in
        dhcp) grep -q "DHCPACK(veth-site) $address $mac" "$WORK/dnsmasq.log" ;;
        proxy) grep -qE "dhcp: (OFFER|ACK) to mac=$mac " "$WORK/kiln.log" ;;
        ipxe.efi) grep -q "GET /assets/ipxe/ipxe.efi status=200.*client=$address$" "$WORK/kiln.log" ;;
        tftp) grep "tftp transfer complete" "$WORK/kiln.log" | grep -q "peer=\[IPv4\]$address/" ;;
        boot.ipxe) grep -q "GET /boot.ipxe status=200.*client=$address$" "$WORK/kiln.log" ;;
        ipxe) grep -q "GET /ipxe status=200 labels=.*mac=$mac.*client=$address$" "$WORK/kiln.log" ;;
        kernel) grep -q "GET /assets/vmlinuz status=200.*client=$address$" "$WORK/kiln.log" ;;
        initrd) grep -q "GET /assets/initramfs.gz status=200.*client=$address$" "$WORK/kiln.log" ;;
        init) grep -q "KILN-E2E stage=init" "$WORK/$name.serial" 2>/dev/null ;;
        ignition) grep -q "GET /ignition status=200.*client=$address$" "$WORK/kiln.log" ;;
        printed) grep -q "KILN-E2E-IGNITION-END" "$WORK/$name.serial" 2>/dev/null ;;
    esac
}
failure_at() {  # failure_at NAME MAC ADDRESS STAGE: prints the reason when the logs show this stage failed
    local name=$1 mac=$2 address=$3 line
    case "$4" in
        proxy) line=$(grep -E "dhcp: (no group for mac=$mac|mac=$mac .*not answering)" "$WORK/kiln.log" | head -1) ;;
        tftp) line=$(grep -E "tftp (request refused|transfer failed)" "$WORK/kiln.log" | grep "peer=\[IPv4\]$address/" | head -1) ;;
        ipxe.efi) line=$(grep -E "GET /assets/ipxe/ipxe.efi status=[45][0-9][0-9].*client=$address$" "$WORK/kiln.log" | head -1) ;;
        boot.ipxe) line=$(grep -E "GET /boot.ipxe status=[45][0-9][0-9].*client=$address$" "$WORK/kiln.log" | head -1) ;;
        ipxe) line=$(grep -E "GET /ipxe status=[45][0-9][0-9].*client=$address$" "$WORK/kiln.log" | head -1) ;;
        kernel) line=$(grep -E "GET /assets/vmlinuz status=[45][0-9][0-9].*client=$address$" "$WORK/kiln.log" | head -1) ;;
        initrd) line=$(grep -E "GET /assets/initramfs.gz status=[45][0-9][0-9].*client=$address$" "$WORK/kiln.log" | head -1) ;;
        ignition) line=$(grep -E "GET /ignition status=[45][0-9][0-9].*client=$address$" "$WORK/kiln.log" | head -1)
                  [ -n "$line" ] || line=$(grep -a "KILN-E2E FAIL stage=ignition" "$WORK/$name.serial" 2>/dev/null | head -1) ;;
        printed) line=$(grep -a "KILN-E2E FAIL" "$WORK/$name.serial" 2>/dev/null | head -1) ;;
        *) line="" ;;
    esac
    [ -n "$line" ] && echo "$line" | sed -E 's/^[0-9T:+-]+ //' | tr -d '\r'
}

deadline=$(( $(date +%s) + GUEST_SECONDS ))
remaining=$GUEST_COUNT
while [ "$remaining" -gt 0 ] && [ "$(date +%s)" -lt "$deadline" ]; do
    remaining=0
    while read -r name mac address firmware profile failure; do
        [ -n "$name" ] || continue
        [ -z "${DONE[$name]:-}" ] || continue
        for stage in $(stages_for "$firmware"); do
            case " ${STAGE[$name]} " in *" $stage "*) continue ;; esac
            if reached "$name" "$mac" "$address" "$stage"; then
                STAGE[$name]="${STAGE[$name]} $stage"
                say "$name: $stage ($(( $(date +%s) - BEGAN[$name] )) s after power-on)"
                continue
            fi
            reason=$(failure_at "$name" "$mac" "$address" "$stage")
            if [ -n "$reason" ]; then
                DONE[$name]=1; RESULT[$name]="failed at stage $stage: $reason"
                kill "${QEMU[$name]}" 2>/dev/null
            elif ! kill -0 "${QEMU[$name]}" 2>/dev/null; then
                # Kiln flushes its log every 100 ms: give the last lines
                # time to land before calling a stage missing.
                EXITED[$name]=${EXITED[$name]:-$(date +%s)}
                if [ $(( $(date +%s) - EXITED[$name] )) -ge 3 ]; then
                    DONE[$name]=1; RESULT[$name]="failed at stage $stage: the guest stopped before it (serial: $(tr -d '\r' <"$WORK/$name.serial" 2>/dev/null | grep -a KILN-E2E | tail -1))"
                fi
            fi
            break
        done
        if [ -z "${DONE[$name]:-}" ]; then
            case " ${STAGE[$name]} " in
                *" printed "*) DONE[$name]=1; RESULT[$name]="booted" ;;
                *) remaining=$((remaining + 1)) ;;
            esac
        fi
    done <<<"$GUESTS"
    sleep 0.5
done

# --- Verdicts. ---------------------------------------------------------------
failures=0
while read -r name mac address firmware profile failure; do
    [ -n "$name" ] || continue
    if [ -z "${DONE[$name]:-}" ]; then
        next=""
        for stage in $(stages_for "$firmware"); do case " ${STAGE[$name]} " in *" $stage "*) ;; *) next=$stage; break ;; esac; done
        RESULT[$name]="failed at stage $next: nothing after $GUEST_SECONDS s"
    fi
    if [ "$failure" = - ]; then
        if [ "${RESULT[$name]}" != booted ]; then
            say "FAIL $name ($mac): ${RESULT[$name]}"; failures=$((failures + 1)); continue
        fi
        booted=$(tr -d '\r' <"$WORK/$name.serial" | grep -a "KILN-E2E profile=" | sed 's/.*profile=\([^ ]*\).*/\1/')
        printed=$(tr -d '\r' <"$WORK/$name.serial" | sed -n '/^KILN-E2E-IGNITION-BEGIN$/,/^KILN-E2E-IGNITION-END$/p' | sed '1d;$d' | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}')
        expected=$("$KILN" render ignition --data-path "$WORK/data" "mac=$mac")
        if [ "$booted" != "$profile" ]; then
            say "FAIL $name ($mac): booted profile '$booted', expected $profile"; failures=$((failures + 1))
        elif [ "$printed" != "$expected" ]; then
            say "FAIL $name ($mac): the Ignition printed on its console differs from kiln render ignition mac=$mac"
            diff <(echo "$expected") <(echo "$printed") | head -5
            failures=$((failures + 1))
        else
            say "ok   $name ($mac): profile $profile booted; its console printed the $(echo -n "$printed" | wc -c)-byte Ignition that kiln render ignition gives"
        fi
    else
        case "${RESULT[$name]}" in
            "failed at stage $failure:"*) say "ok   $name ($mac), broken on purpose: ${RESULT[$name]}" ;;
            *) say "FAIL $name ($mac), broken at $failure on purpose, but: ${RESULT[$name]}"; failures=$((failures + 1)) ;;
        esac
    fi
done <<<"$GUESTS"

# --- The inventory: every machine that asked, and how far it got. -----------
sleep 2.5  # the recorder writes once a second
"$KILN" machines --data-path "$WORK/data" >"$WORK/machines.txt" 2>&1 || { cat "$WORK/machines.txt"; fail "kiln machines failed"; }
expect_stage() {  # expect_stage NAME MAC STAGE [ERROR-TEXT]
    local row; row=$(grep "^$2 " "$WORK/machines.txt")
    if [ -z "$row" ]; then
        say "FAIL $1 ($2): not in kiln machines"; failures=$((failures + 1))
    elif ! awk -v stage="$3" '{ exit !($2 == stage) }' <<<"$row"; then
        say "FAIL $1 ($2): kiln machines says stage $(awk '{print $2}' <<<"$row"), expected $3"; failures=$((failures + 1))
    elif [ -n "${4:-}" ] && ! grep -qF -- "$4" <<<"$row"; then
        say "FAIL $1 ($2): kiln machines' last error lacks: $4"; failures=$((failures + 1))
    else
        say "ok   $1 ($2): kiln machines shows stage $3${4:+ and the error}"
    fi
}
expect_stage worker 52:54:00:e2:e0:0a config
expect_stage uefi 52:54:00:e2:e0:0b config
expect_stage httpboot 52:54:00:e2:e0:0f config
expect_stage nogroup 52:54:00:e2:e0:0d discovered "no group"
expect_stage badign 52:54:00:e2:e0:0e initrd "map has no entry for key"
"$KILN" machine --data-path "$WORK/data" 52:54:00:e2:e0:0b >"$WORK/uefi-events.txt"
sed 's/^/    /' "$WORK/uefi-events.txt"
# Its events in boot order: proxyDHCP, the TFTP download, the boot script, iPXE's script, kernel, initrd, Ignition.
order=$(awk '/^  [0-9]/ { stage=$NF; if ($0 ~ / \(/) { sub(/ \(.*/, ""); stage=$NF }
         if ($3 == "dhcp") e="dhcp"; else if ($3 == "tftp" && $4 == 200) e="tftp"; else if ($3 == "boot.ipxe") e="boot.ipxe";
         else if ($3 == "ipxe") e="ipxe"; else if (stage == "kernel" && $3 == "assets") e="kernel";
         else if (stage == "initrd" && $3 == "assets") e="initrd"; else if ($3 == "ignition") e="ignition"; else next;
         if (!(e in seen)) { seen[e]=1; printf "%s ", e } }' "$WORK/uefi-events.txt")
if [ "$order" = "dhcp tftp boot.ipxe ipxe kernel initrd ignition " ]; then
    say "ok   uefi: its events are in boot order: $order"
else
    say "FAIL uefi: events in the order '$order', expected dhcp tftp boot.ipxe ipxe kernel initrd ignition"; failures=$((failures + 1))
fi

# --- A discovered machine is given a profile through the API and boots it. ----
if ip netns exec "$NS" env KILN_SERVER=http://127.0.0.1:8081 KILN_TOKEN_FILE="$WORK/api.token" \
        "$KILN" assign 52:54:00:e2:e0:0d --profile e2e-worker --metadata '{"hostname": "nogroup.rack.example"}' >"$WORK/assign.txt" 2>&1; then
    say "api: $(cat "$WORK/assign.txt")"
    start_guest nogroup 52:54:00:e2:e0:0d bios "$WORK/nogroup-again.serial"
    again=$(( $(date +%s) + GUEST_SECONDS ))
    while [ "$(date +%s)" -lt "$again" ] && kill -0 "${QEMU[nogroup]}" 2>/dev/null \
          && ! grep -qa "KILN-E2E-IGNITION-END" "$WORK/nogroup-again.serial" 2>/dev/null; do sleep 0.5; done
    kill "${QEMU[nogroup]}" 2>/dev/null
    booted=$(tr -d '\r' <"$WORK/nogroup-again.serial" | grep -a "KILN-E2E profile=" | sed 's/.*profile=\([^ ]*\).*/\1/')
    sleep 2.5
    "$KILN" machines --data-path "$WORK/data" >"$WORK/machines.txt" 2>&1
    if [ "$booted" = e2e-worker ]; then
        say "ok   nogroup (52:54:00:e2:e0:0d): assigned e2e-worker through the API, rebooted, and booted it"
        expect_stage nogroup-assigned 52:54:00:e2:e0:0d config
    else
        say "FAIL nogroup (52:54:00:e2:e0:0d): assigned e2e-worker through the API, but the second boot printed profile '$booted'"
        tr -d '\r' <"$WORK/nogroup-again.serial" | tail -15
        failures=$((failures + 1))
    fi
else
    say "FAIL api: kiln assign failed: $(cat "$WORK/assign.txt")"; failures=$((failures + 1))
fi

if [ "$failures" -gt 0 ]; then
    echo "--- kiln machines"; cat "$WORK/machines.txt"
    echo "--- kiln log"; tail -40 "$WORK/kiln.log"
    echo "--- dnsmasq log"; tail -20 "$WORK/dnsmasq.log"
    for serial in "$WORK"/*.serial; do echo "--- $(basename "$serial")"; tr -d '\r' <"$serial" | tail -15; done
    fail "$failures guest(s) did not end as expected"
fi
say "e2e: 3 guests (SeaBIOS iPXE, UEFI PXE, UEFI HTTP Boot) booted through Kiln's proxyDHCP, 3 broken guests failed at the stage broken, and the discovered one booted after kiln assign"
