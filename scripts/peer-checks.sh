#!/usr/bin/env bash
# Checks the built `kiln` binary as an operator uses it: CLI exit codes and
# messages, `kiln serve` configured from KILN_* variables, SIGHUP reload,
# clean SIGTERM shutdown. Real processes, curl as the client, loopback only.
set -uo pipefail
KILN=${1:?usage: peer-checks.sh path/to/kiln}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$(dirname "$0")/lib.sh"  # free_port, check, exit_is, contains
WORK=$(mktemp -d)
SERVER_PID=""
passed=0
failed=0

cleanup() {
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

log_has() {  # log_has TEXT [LOG]: the server log shows TEXT within 2 s (info lines are flushed every 100 ms)
    local log=${2:-$WORK/serve.log}
    for _ in $(seq 1 20); do grep -qF -- "$1" "$log" && return 0; sleep 0.1; done
    echo "log lacks: $1"; cat "$log"; return 1
}

# --- CLI ----------------------------------------------------------------------
check "kiln --help lists the commands" contains "validate" "$KILN" --help
for sub in serve match validate; do
    check "kiln $sub --help" contains "--data-path" "$KILN" "$sub" --help
done
check "example data validates" exit_is 0 "$KILN" validate --data-path "$ROOT/profiles"

mkdir -p "$WORK/broken/groups" "$WORK/broken/profiles"
printf '{\n  "profile": "p",\n  "selector": {"mac": 1}\n}\n' >"$WORK/broken/groups/a.json"
printf '{"id": "p"' >"$WORK/broken/profiles/p.json"
check "validate exits 1 on errors" exit_is 1 "$KILN" validate --data-path "$WORK/broken"
check "validate names file, line and column" contains "groups/a.json:3:23: error: selector.mac must be a string" "$KILN" validate --data-path "$WORK/broken"
check "validate reads KILN_DATA_PATH" contains "profiles/p.json:1:11: error" env KILN_DATA_PATH="$WORK/broken" "$KILN" validate

check "match picks the demo machine's group" contains "group:   node1" "$KILN" match --data-path "$ROOT/profiles" mac=52-54-00-12-34-56
check "match explains the losers" contains "default  matches, but has 0 selectors" "$KILN" match --data-path "$ROOT/profiles" mac=52:54:00:12:34:56

# --- Butane ---------------------------------------------------------------------
check "kiln butane --help" contains "--files-dir" "$KILN" butane --help
printf 'variant: fcos\nversion: 1.4.0\nstorage:\n  files:\n    - path: /etc/motd\n      mode: 0644\n      contents:\n        local: motd\n' >"$WORK/motd.bu"
check "kiln butane output passes ignition-validate (stdin, --files-dir)" \
    bash -c '"$0" butane --files-dir "$1/profiles/files" <"$2" >"$3" && ignition-validate "$3"' "$KILN" "$ROOT" "$WORK/motd.bu" "$WORK/motd.ign"
check "kiln butane -o writes the same bytes" bash -c '"$0" butane -d "$1/profiles/files" -o "$3" "$2" && cmp "$3" "$4"' "$KILN" "$ROOT" "$WORK/motd.bu" "$WORK/motd-o.ign" "$WORK/motd.ign"
check "kiln butane refuses local files without --files-dir (exit 1)" exit_is 1 "$KILN" butane "$WORK/motd.bu"
printf 'variant: fcos\nversion: 1.4.0\nstorage:\n  fils: []\n' >"$WORK/typo.bu"
check "kiln butane warns about an unknown key with its line" contains "line 4 column 3: storage.fils: unknown key" "$KILN" butane "$WORK/typo.bu"
check "kiln butane --strict fails on it (exit 1)" exit_is 1 "$KILN" butane --strict "$WORK/typo.bu"
check "kiln butane exits 2 on an unreadable file" exit_is 2 "$KILN" butane "$WORK/does-not-exist.bu"
check "kiln butane -s (upstream's short --strict) fails on it (exit 1)" exit_is 1 "$KILN" butane -s "$WORK/typo.bu"
check "kiln butane --check writes nothing for a good config" \
    bash -c 'out=$("$0" butane -c -d "$1/profiles/files" "$2") && [ -z "$out" ]' "$KILN" "$ROOT" "$WORK/motd.bu"
check "kiln butane --check -o leaves no file" \
    bash -c '"$0" butane --check -d "$1/profiles/files" -o "$3" "$2" && [ ! -e "$3" ]' "$KILN" "$ROOT" "$WORK/motd.bu" "$WORK/check-o.ign"
check "kiln butane --check still fails a broken config (exit 1)" exit_is 1 "$KILN" butane --check "$WORK/motd.bu"
check "kiln butane -r (upstream's --raw) gives the same Ignition" \
    bash -c '"$0" butane -r -p -d "$1/profiles/files" "$2" | python3 -c "import json,sys; a=json.load(sys.stdin); b=json.load(open(sys.argv[1])); sys.exit(a != b)" "$3"' "$KILN" "$ROOT" "$WORK/motd.bu" "$WORK/motd.ign"
SHARED_PAIRS="$ROOT/../shared/fixtures/butane-pairs"
if [ -d "$SHARED_PAIRS" ]; then
    for bu in "$SHARED_PAIRS"/*.bu; do
        check "upstream pair $(basename "$bu") passes ignition-validate" \
            bash -c '"$0" butane --strict -d "$1" "$2" >"$3" && ignition-validate "$3"' "$KILN" "$SHARED_PAIRS" "$bu" "$WORK/pair.ign"
    done
else
    echo "skip: ../shared/fixtures is absent, upstream Butane pairs not checked"
fi

mkdir -p "$WORK/nodefault/groups" "$WORK/nodefault/profiles"
echo '{"profile": "p", "selector": {"mac": "52:54:00:12:34:56"}}' >"$WORK/nodefault/groups/a.json"
echo '{}' >"$WORK/nodefault/profiles/p.json"
check "match exits 1 when nothing matches" exit_is 1 "$KILN" match --data-path "$WORK/nodefault" mac=52:54:00:00:00:01
check "match exits 2 when the data does not load" exit_is 2 "$KILN" match --data-path "$WORK/broken" mac=52:54:00:00:00:01
check "match refuses a malformed MAC" contains "malformed MAC address mac=zz" "$KILN" match --data-path "$ROOT/profiles" mac=zz
mkdir -p "$WORK/badtemplate/groups" "$WORK/badtemplate/profiles" "$WORK/badtemplate/generic"
echo '{"profile": "p"}' >"$WORK/badtemplate/groups/a.json"
echo '{"generic_id": "g.txt"}' >"$WORK/badtemplate/profiles/p.json"
printf 'ok\n{{if .x}}never closed\n' >"$WORK/badtemplate/generic/g.txt"
check "validate reports a template that does not parse" contains "generic/g.txt:2:1: error: template: unexpected EOF" "$KILN" validate --data-path "$WORK/badtemplate"
check "render exits 1 when the profile lacks the config" exit_is 1 "$KILN" render cloud --data-path "$ROOT/profiles" mac=52:54:00:12:34:56
check "render exits 2 when a template does not parse" exit_is 2 "$KILN" render generic --data-path "$WORK/badtemplate"
check "serve refuses a bad address" contains "is not host:port" "$KILN" serve --data-path "$ROOT/profiles" --address nonsense
check "serve refuses a bad TFTP address" contains "TFTP address \"69\" is not host:port" "$KILN" serve --data-path "$ROOT/profiles" --tftp-address 69
check "serve refuses a TFTP block size out of range" contains "outside 8-65464" "$KILN" serve --data-path "$ROOT/profiles" --tftp-max-blksize 70000

# --- serve --------------------------------------------------------------------
cp -r "$ROOT/profiles" "$WORK/data"
mkdir -p "$WORK/assets"
echo "asset" >"$WORK/assets/a.txt"
mkdir -p "$WORK/assets/ipxe"
head -c 70000 /dev/urandom >"$WORK/assets/ipxe/undionly.kpxe"
PORT=$(free_port)
TFTP_PORT=$(free_port)
KILN_DATA_PATH="$WORK/data" KILN_ASSETS_PATH="$WORK/assets" KILN_ADDRESS="127.0.0.1:$PORT" KILN_LOG_LEVEL=info KILN_INVENTORY=on \
    KILN_TFTP_ADDRESS="127.0.0.1:$TFTP_PORT" "$KILN" serve >"$WORK/serve.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done

check "serve answers /healthz" contains "ok" curl -sf "http://127.0.0.1:$PORT/healthz"
check "serve answers /ipxe for node1" contains "flatcar.autologin" curl -sf "http://127.0.0.1:$PORT/ipxe?mac=52-54-00-12-34-56"
check "serve translates node1's Butane template to Ignition JSON" contains '"source":"data:,node1.example.com"' curl -sf "http://127.0.0.1:$PORT/ignition?mac=52:54:00:12:34:56"
for what in ipxe grub metadata ignition; do
    check "kiln render $what prints what serve answers" cmp \
        <(curl -sf "http://127.0.0.1:$PORT/$what?mac=52:54:00:12:34:56") <("$KILN" render "$what" --data-path "$WORK/data" mac=52:54:00:12:34:56)
done
check "serve answers /assets from KILN_ASSETS_PATH" contains "asset" curl -sf "http://127.0.0.1:$PORT/assets/a.txt"
check "TFTP serves the assets directory (tftp-hpa)" tftp 127.0.0.1 "$TFTP_PORT" -m binary -c get a.txt "$WORK/a.tftp"
check "what TFTP sent is the file" cmp "$WORK/a.tftp" "$WORK/assets/a.txt"
check "TFTP resolves a bare iPXE name in ipxe/ (curl, blksize 1468)" \
    curl -sf --tftp-blksize 1468 "tftp://127.0.0.1:$TFTP_PORT/undionly.kpxe" -o "$WORK/undionly.kpxe"
check "and it arrives intact" cmp "$WORK/undionly.kpxe" "$WORK/assets/ipxe/undionly.kpxe"
check "TFTP transfers are logged" log_has "tftp transfer complete"
check "TFTP refuses a traversal with error 2" contains "Error code 2" tftp 127.0.0.1 "$TFTP_PORT" -c get ../secret "$WORK/secret"
check "and logs the refusal" log_has "error_code=2 file=../secret"
check "TFTP traffic is in /metrics" contains "kiln_tftp_transfers_completed_total 2" curl -sf "http://127.0.0.1:$PORT/metrics"
check "each request is logged with labels, group, profile and client address" \
    log_has "GET /ipxe status=200 labels=mac=52:54:00:12:34:56 group=node1 profile=flatcar-node1 client=127.0.0.1"

# The inventory: every machine that asked, with its stage and events.
for _ in $(seq 1 20); do "$KILN" machines --data-path "$WORK/data" 2>/dev/null | grep -q "^52:54:00:12:34:56 " && break; sleep 0.1; done
check "kiln machines lists the machine that asked, with its group and profile" \
    contains "node1            flatcar-node1" "$KILN" machines --data-path "$WORK/data"
check "kiln machine shows its timeline" contains "http ipxe        200 /ipxe" "$KILN" machine --data-path "$WORK/data" 52-54-00-12-34-56
check "kiln machines --stage filters" exit_is 0 bash -c '! "$0" machines --data-path "$1" --stage kernel | grep -q 52:54:00:12:34:56' "$KILN" "$WORK/data"
check "kiln machines refuses an unknown stage" contains "is not one of discovered, firmware, ipxe, kernel, initrd, config" "$KILN" machines --data-path "$WORK/data" --stage booted
check "kiln machine exits 1 for a machine never seen" exit_is 1 "$KILN" machine --data-path "$WORK/data" 52:54:00:00:00:42
check "kiln machines exits 2 where there is no inventory" exit_is 2 "$KILN" machines --state-path "$WORK/no-state"
check "inventory writes are counted in /metrics" contains "kiln_inventory_events_written_total" curl -sf "http://127.0.0.1:$PORT/metrics"

# SIGHUP reloads at once (the poller would too, within a second: look for the reason).
sed -i 's/"flatcar.autologin",/"flatcar.autologin", "reloaded.by=sighup",/' "$WORK/data/profiles/flatcar-node1.json"
kill -HUP "$SERVER_PID"
for _ in $(seq 1 30); do curl -sf "http://127.0.0.1:$PORT/ipxe?mac=52-54-00-12-34-56" | grep -q reloaded.by=sighup && break; sleep 0.1; done
check "SIGHUP reloads the data directory" contains "reloaded.by=sighup" curl -sf "http://127.0.0.1:$PORT/ipxe?mac=52-54-00-12-34-56"
check "the SIGHUP reload is logged" log_has "reason=SIGHUP"

# A template that warns (a misspelt key) is logged with the request, once per load.
printf '{"id": "warn", "profile": "warn", "selector": {"mac": "52:54:00:99:99:99"}, "metadata": {"hostname": "w1"}}' >"$WORK/data/groups/warn.json"
printf '{"id": "warn", "ignition_id": "warn.yaml"}' >"$WORK/data/profiles/warn.json"
printf 'variant: fcos\nversion: 1.5.0\nstorage:\n  fils: []\n  files:\n    - path: /etc/hostname\n      contents:\n        inline: {{.hostname}}\n' >"$WORK/data/ignition/warn.yaml"
# Until the reload, the example data's default group answers for this MAC.
for _ in $(seq 1 30); do curl -sf "http://127.0.0.1:$PORT/ignition?mac=52-54-00-99-99-99" | grep -q 'data:,w1' && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$PORT/ignition?mac=52-54-00-99-99-99" >/dev/null
check "a Butane warning is logged with the request that met it" \
    log_has "status=200 labels=mac=52:54:00:99:99:99 group=warn profile=warn butane_warnings=ignition/warn.yaml (as rendered for this machine): warning: line 4 column 3: storage.fils: unknown key"
check "once, not once per request" test "$(grep -c 'butane_warnings=' "$WORK/serve.log")" -eq 1
check "kiln render prints it on standard error, the config alone on standard output" \
    bash -c '"$0" render ignition --data-path "$1" mac=52-54-00-99-99-99 2>"$2" | python3 -c "import json,sys; json.load(sys.stdin)" && grep -q "storage.fils: unknown key" "$2"' "$KILN" "$WORK/data" "$WORK/render-warn.err"

printf '{ "id": "node1", ' >"$WORK/data/groups/node1.json"
check "a broken file is logged with its position" log_has "groups/node1.json:1:"
check "and the last good version keeps serving" contains "reloaded.by=sighup" curl -sf "http://127.0.0.1:$PORT/ipxe?mac=52-54-00-12-34-56"

kill -TERM "$SERVER_PID"
stopped=1
for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || { stopped=0; break; }; sleep 0.1; done
check "SIGTERM stops the server within 5 s" test "$stopped" -eq 0
wait "$SERVER_PID"; status=$?
SERVER_PID=""
check "and it exits 0" test "$status" -eq 0

# An empty TFTP address turns TFTP off.
PORT2=$(free_port)
"$KILN" serve --data-path "$ROOT/profiles" --assets-path "$WORK/assets" --address "127.0.0.1:$PORT2" --tftp-address "" >"$WORK/serve2.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT2/healthz" >/dev/null && break; sleep 0.1; done
check "--tftp-address '' turns TFTP off" log_has "tftp disabled" "$WORK/serve2.log"
kill -TERM "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null; SERVER_PID=""

# --- Container Linux Configs ---------------------------------------------------
check "kiln ct --help names ct's flags" contains "--files-dir" "$KILN" ct --help
printf 'passwd:\n  users:\n    - name: core\n      ssh_authorized_keys: [ssh-ed25519 AAAA k]\n' >"$WORK/core.yaml"
check "kiln ct takes ct's single-dash flags and writes Ignition 2.2.0" \
    contains '{"ignition":{"config":{},"security":{"tls":{}},"timeouts":{},"version":"2.2.0"},"networkd":{},"passwd":{"users":[{"name":"core","sshAuthorizedKeys":["ssh-ed25519 AAAA k"]}]},"storage":{},"systemd":{}}' \
    "$KILN" ct -in-file "$WORK/core.yaml"
check "--ignition-version 2.3.0 writes Flatcar's version" contains '"version":"2.3.0"' "$KILN" ct --in-file "$WORK/core.yaml" --ignition-version 2.3.0
printf 'etcd:\n  name: "{HOSTNAME}"\n' >"$WORK/etcd.yaml"
check "dynamic data without --platform exits 1 and says why" contains "platform must be specified to use templating" "$KILN" ct --in-file "$WORK/etcd.yaml"
check "with --platform ec2 it becomes coreos-metadata's variable" contains 'COREOS_EC2_HOSTNAME' "$KILN" ct --in-file "$WORK/etcd.yaml" --platform ec2
check "an unknown platform is a usage error" exit_is 64 "$KILN" ct --in-file "$WORK/etcd.yaml" --platform mars
echo '{"kept": true}' >"$WORK/ct-out.json"
check "a config that does not translate leaves --out-file untouched (exit 1)" exit_is 1 "$KILN" ct --in-file "$WORK/etcd.yaml" --out-file "$WORK/ct-out.json"
check "and the old file is intact" contains '{"kept": true}' cat "$WORK/ct-out.json"
check "an unreadable input exits 2" exit_is 2 "$KILN" ct --in-file "$WORK/missing.yaml"
# A matchbox v0.9 data directory (profiles naming CLC templates) serves unchanged.
PORT3=$(free_port)
"$KILN" serve --data-path "$ROOT/Tests/Fixtures/matchbox-v0.9" --state-path "$WORK/v09-state" --address "127.0.0.1:$PORT3" --tftp-address "" \
    >"$WORK/serve3.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT3/healthz" >/dev/null && break; sleep 0.1; done
check "a matchbox v0.9 etcd3 node gets Ignition 2.2.0 from its CLC template" \
    contains '"version":"2.2.0"},"networkd":{},"passwd":{},"storage":{},"systemd":{"units":[{"dropins":[{"contents":"[Service]\nEnvironment=\"ETCD_IMAGE_TAG=v3.2.0\"\nEnvironment=\"ETCD_NAME=node1\"' \
    curl -sf "http://127.0.0.1:$PORT3/ignition?mac=52:54:00:a1:9c:ae"
check "kiln render ignition prints what serve answers for the installer" cmp \
    <(curl -sf "http://127.0.0.1:$PORT3/ignition?mac=52:54:00:00:00:01") \
    <("$KILN" render ignition --data-path "$ROOT/Tests/Fixtures/matchbox-v0.9" mac=52:54:00:00:00:01)
check "/cloud answers 404 for a CLC, as matchbox did" contains "404" \
    curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT3/cloud?mac=52:54:00:00:00:01"
check "with the reason" contains "neither a cloud-config" curl -s "http://127.0.0.1:$PORT3/cloud?mac=52:54:00:00:00:01"
kill -TERM "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null; SERVER_PID=""

# --- Limits: no client can starve the rest ---------------------------------------
PORT4=$(free_port)
TFTP_PORT4=$(free_port)
"$KILN" serve --data-path "$ROOT/profiles" --assets-path "$WORK/assets" --state-path "$WORK/limits-state" --address "127.0.0.1:$PORT4" \
    --tftp-address "127.0.0.1:$TFTP_PORT4" --http-header-timeout 10 >"$WORK/serve4.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT4/healthz" >/dev/null && break; sleep 0.1; done
check "serve raises its open-file limit and logs it" log_has "open-file limit" "$WORK/serve4.log"
check "and logs its HTTP limits" log_has "max_connections=" "$WORK/serve4.log"
check "5,000 held connections, a new request, TFTP, timeouts and a slow reader (limits_checks.py)" \
    timeout 180 python3 "$ROOT/scripts/limits_checks.py" "$PORT4" "$TFTP_PORT4" "$SERVER_PID" 10 "$WORK"
sed 's/^/     /' "$WORK/out"
check "the closed connections are counted in /metrics" contains "kiln_http_connections_timed_out_total" curl -sf "http://127.0.0.1:$PORT4/metrics"
kill -TERM "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null; SERVER_PID=""
rm -f "$WORK/assets/big.img"
check "serve refuses a header timeout that is not a number" contains "KILN_HTTP_HEADER_TIMEOUT" \
    env KILN_HTTP_HEADER_TIMEOUT=soon "$KILN" serve --data-path "$ROOT/profiles" --address "127.0.0.1:$(free_port)" --tftp-address ""

# --- ISO images -----------------------------------------------------------------
# libarchive lays images out through a temporary file: nothing may be left in
# TMPDIR, after success or failure, from the CLI or the server.
mkdir -p "$WORK/tmp" "$WORK/iso"
export_tmp() { env TMPDIR="$WORK/tmp" "$@"; }
label_is() {  # label_is LABEL FILE: blkid's low-level probe reads LABEL
    local got; got=$(blkid -p -s LABEL -o value "$2")
    [ "$got" = "$1" ] || { echo "label $got, wanted $1"; return 1; }
}
check "kiln iso --help lists configdrive and netboot" contains "netboot" "$KILN" iso --help
check "iso configdrive writes an OpenStack drive" export_tmp "$KILN" iso configdrive --data-path "$ROOT/profiles" -o "$WORK/iso/c2.iso" mac=52:54:00:12:34:56
check "whose label reads back as config-2 (blkid -p)" label_is config-2 "$WORK/iso/c2.iso"
check "iso configdrive --format cidata writes a NoCloud seed" export_tmp "$KILN" iso configdrive --data-path "$ROOT/profiles" --format cidata -o "$WORK/iso/nc.iso" mac=52:54:00:12:34:56
check "whose label reads back as cidata (blkid -p)" label_is cidata "$WORK/iso/nc.iso"
check "its user data is what kiln render ignition gives" bash -c '
    xorriso -osirrox on -indev "$1" -extract /openstack/latest/user_data "$2/ud" >/dev/null 2>&1 &&
    "$0" render ignition --data-path "$3/profiles" mac=52:54:00:12:34:56 | cmp - "$2/ud"' "$KILN" "$WORK/iso/c2.iso" "$WORK/iso" "$ROOT"
check "iso configdrive exits 2 when the output cannot be written" exit_is 2 export_tmp "$KILN" iso configdrive --data-path "$ROOT/profiles" -o "$WORK/iso/missing-dir/x.iso" mac=52:54:00:12:34:56
check "iso configdrive exits 2 with libarchive's reason when TMPDIR is unusable" contains "Couldn't create temporary file" env TMPDIR="$WORK/nonexistent" "$KILN" iso configdrive --data-path "$ROOT/profiles" -o "$WORK/iso/never.iso" mac=52:54:00:12:34:56
check "and leaves no output file" test ! -e "$WORK/iso/never.iso"
check "iso configdrive exits 1 when nothing matches" exit_is 1 export_tmp "$KILN" iso configdrive --data-path "$WORK/nodefault" -o "$WORK/iso/none.iso" mac=52:54:00:00:00:01
check "iso netboot refuses a server that is not a URL" contains "is not an http:// or https:// URL" "$KILN" iso netboot --server 10.0.0.1 -o "$WORK/iso/n.iso"
check "iso netboot names the missing boot loader's package" contains "Debian package isolinux" "$KILN" iso netboot --server http://10.0.0.1:8080 --isolinux "$WORK/nope.bin" -o "$WORK/iso/n.iso"

PORT3=$(free_port)
env TMPDIR="$WORK/tmp" "$KILN" serve --data-path "$ROOT/profiles" --assets-path "$ROOT/assets" --address "127.0.0.1:$PORT3" --tftp-address "" >"$WORK/serve3.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT3/healthz" >/dev/null && break; sleep 0.1; done
check "GET /configdrive.iso serves a config-2 drive" curl -sf -o "$WORK/iso/h-c2.iso" "http://127.0.0.1:$PORT3/configdrive.iso?mac=52-54-00-12-34-56"
check "the same bytes as kiln iso configdrive, apart from creation times" bash -c 'cmp -l "$0" "$1" | wc -l | awk "{exit !(\$1 < 200)}"' "$WORK/iso/c2.iso" "$WORK/iso/h-c2.iso"
check "GET /configdrive.iso?format=cidata is labelled cidata" bash -c 'curl -sf -o "$1" "$0" && [ "$(blkid -p -s LABEL -o value "$1")" = cidata ]' "http://127.0.0.1:$PORT3/configdrive.iso?mac=52-54-00-12-34-56&format=cidata" "$WORK/iso/h-nc.iso"
check "a bad format answers 400" contains "400" curl -s -o /dev/null -w "%{http_code}" "http://127.0.0.1:$PORT3/configdrive.iso?mac=52-54-00-12-34-56&format=udf"
check "GET /netboot.iso serves the network-boot CD" curl -sf -o "$WORK/iso/net.iso" "http://127.0.0.1:$PORT3/netboot.iso"
check "TMPDIR holds nothing after the CLI's and the server's images" bash -c '[ -z "$(ls -A "$0")" ] || { ls -la "$0"; exit 1; }' "$WORK/tmp"
kill -TERM "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null; SERVER_PID=""

# --- Installer ISOs ------------------------------------------------------------------
FIXTURE="$ROOT/../shared/fixtures/coreos-iso/embed-areas-2023-07.x86_64.iso.xz"
if [ -f "$FIXTURE" ]; then
    xz -dc "$FIXTURE" >"$WORK/iso/live.iso"
    echo '{"ignition":{"version":"3.3.0"}}' >"$WORK/iso/small.ign"
    check "iso show reads a shipped ISO: default arguments, nothing embedded" contains "ignition: (none embedded)" "$KILN" iso show "$WORK/iso/live.iso"
    check "iso installer embeds a config and appends arguments" "$KILN" iso installer --base "$WORK/iso/live.iso" --ignition "$WORK/iso/small.ign" --kargs-append console=ttyS0 --dest-device /dev/sda -o "$WORK/iso/custom.iso"
    check "iso show prints the appended argument" contains "ignition.platform.id=metal console=ttyS0" "$KILN" iso show "$WORK/iso/custom.iso"
    check "and the live config that installs to /dev/sda" contains "/etc/coreos/installer.d/0000-kiln.yaml" "$KILN" iso show --ignition-only "$WORK/iso/custom.iso"
    check "the ISO keeps its size" test "$(stat -c %s "$WORK/iso/custom.iso")" -eq "$(stat -c %s "$WORK/iso/live.iso")"
    check "iso installer renders the machine's config from the data directory" bash -c '
        "$0" iso installer --base "$1/live.iso" --data-path "$2/profiles" -o "$1/node1.iso" mac=52:54:00:12:34:56 &&
        "$0" iso show --ignition-only "$1/node1.iso" | cmp - <("$0" render ignition --data-path "$2/profiles" mac=52:54:00:12:34:56)' "$KILN" "$WORK/iso" "$ROOT"
    check "iso reset restores the shipped bytes (sha256)" bash -c '"$0" iso reset "$1" && [ "$(sha256sum <"$1")" = "$(sha256sum <"$2")" ]' "$KILN" "$WORK/iso/custom.iso" "$WORK/iso/live.iso"
    head -c 400000 /dev/urandom | base64 -w0 | sed 's/^/{"ignition":{"version":"3.3.0"},"x":"/; s/$/"}/' >"$WORK/iso/huge.ign"
    check "an oversized config exits 2 and says how big the area is" contains "embed area holds 262144" "$KILN" iso installer --base "$WORK/iso/live.iso" --ignition "$WORK/iso/huge.ign" -o "$WORK/iso/huge.iso"
    check "and writes nothing, not even a temporary file" bash -c '[ ! -e "$0/huge.iso" ] && ! ls -A "$0" | grep -q kiln-' "$WORK/iso"
    check "a base that is not a CoreOS live ISO is refused" contains "has no CoreOS embed area" "$KILN" iso installer --base "$WORK/iso/c2.iso" --ignition "$WORK/iso/small.ign" -o "$WORK/iso/x.iso"
    check "iso installer needs --ignition or labels (exit 64)" exit_is 64 "$KILN" iso installer --base "$WORK/iso/live.iso" -o "$WORK/iso/x.iso"
else
    echo "skip installer ISO checks: ../shared/fixtures is absent"
fi

# The network-boot CD boots for real: QEMU (software emulation, no KVM) boots
# ISOLINUX from the CD, iPXE gets an address from QEMU's user-mode network and
# fetches /boot.ipxe and then /ipxe from a Kiln on loopback (10.0.2.2 from the
# guest). Bounded: 120 s.
if command -v qemu-system-x86_64 >/dev/null; then
    PORT4=$(free_port)
    "$KILN" serve --data-path "$ROOT/profiles" --assets-path "$ROOT/assets" --address "127.0.0.1:$PORT4" --tftp-address "" >"$WORK/serve4.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT4/healthz" >/dev/null && break; sleep 0.1; done
    "$KILN" iso netboot --server "http://10.0.2.2:$PORT4" -o "$WORK/iso/qemu.iso"
    started=$SECONDS
    timeout 120 qemu-system-x86_64 -machine accel=tcg -m 256 -cdrom "$WORK/iso/qemu.iso" -boot d -display none -monitor none \
        -serial "file:$WORK/qemu-serial.log" -no-reboot \
        -netdev "user,id=n0" -device "e1000,netdev=n0,mac=52:54:00:12:34:56" >"$WORK/qemu.log" 2>&1 &
    QEMU_PID=$!
    booted=1
    for _ in $(seq 1 1200); do
        grep -q "GET /ipxe status=200 labels=mac=52:54:00:12:34:56" "$WORK/serve4.log" && { booted=0; break; }
        kill -0 "$QEMU_PID" 2>/dev/null || break
        sleep 0.1
    done
    echo "     (QEMU reached /ipxe after $((SECONDS - started)) s)"
    kill "$QEMU_PID" 2>/dev/null; wait "$QEMU_PID" 2>/dev/null
    check "QEMU boots the CD: ISOLINUX, iPXE, DHCP, then GET /boot.ipxe" log_has "GET /boot.ipxe status=200" "$WORK/serve4.log"
    check "and GET /ipxe for its MAC, matched to node1's profile" bash -c '[ "$0" -eq 0 ] && grep -q "GET /ipxe status=200 labels=mac=52:54:00:12:34:56.*group=node1 profile=flatcar-node1" "$1" || { cat "$1" "$2"; exit 1; }' "$booted" "$WORK/serve4.log" "$WORK/qemu.log"
    kill -TERM "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null; SERVER_PID=""
else
    failed=$((failed + 1)); echo "FAIL qemu-system-x86_64 is not installed: make test installs qemu-system-x86"
fi


# --- proxyDHCP --------------------------------------------------------------------
head -c 4096 /dev/urandom >"$WORK/assets/ipxe/ipxe.efi"
cp -r "$ROOT/profiles" "$WORK/dhcpdata"  # the example data as shipped; earlier checks broke $WORK/data on purpose
check "kiln dhcp explain: x86-64 UEFI gets ipxe.efi" \
    contains "file:    ipxe.efi" "$KILN" dhcp explain --data-path "$WORK/dhcpdata" --assets-path "$WORK/assets" mac=52:54:00:12:34:56 arch=7
check "kiln dhcp explain: a BIOS ROM is told to skip discovery" \
    contains "option 43: 6 1 8 255" "$KILN" dhcp explain --data-path "$WORK/dhcpdata" --assets-path "$WORK/assets" mac=52:54:00:12:34:56 arch=0
check "kiln dhcp explain: iPXE gets the boot script, not another iPXE" \
    contains "file:    http://192.0.2.1:8080/boot.ipxe" "$KILN" dhcp explain --data-path "$WORK/dhcpdata" mac=52:54:00:12:34:56 arch=7 user-class=iPXE
check "kiln dhcp explain: UEFI HTTP Boot gets an absolute URL" \
    contains "file:    http://192.0.2.1:8080/assets/ipxe/ipxe.efi" "$KILN" dhcp explain --data-path "$WORK/dhcpdata" --assets-path "$WORK/assets" \
    mac=52:54:00:12:34:56 arch=16 vendor-class=HTTPClient:Arch:00016:UNDI:003000
check "kiln dhcp explain exits 1 for a machine no group selects" exit_is 1 "$KILN" dhcp explain --data-path "$WORK/nodefault" mac=52:54:00:00:00:01
check "and says why" contains "answer:  none: no group" "$KILN" dhcp explain --data-path "$WORK/nodefault" mac=52:54:00:00:00:01
check "kiln dhcp explain refuses a bad key" contains "unknown key \"color\"" "$KILN" dhcp explain --data-path "$WORK/dhcpdata" mac=52:54:00:12:34:56 color=red
check "serve refuses a bad --dhcp mode" contains "is not off or proxy" "$KILN" serve --data-path "$WORK/dhcpdata" --dhcp maybe
check "serve refuses a malformed --dhcp-bootfile" contains "is not ARCH=FILE" "$KILN" serve --data-path "$WORK/dhcpdata" --dhcp proxy --dhcp-interface lo --dhcp-bootfile snponly.efi

if [ "$(id -u)" -ne 0 ]; then
    echo "skip live proxyDHCP checks: binding to an interface needs root"
else
    DHCP_PORT=$(free_port)
    PXE_PORT=$(free_port)
    DHCP_HTTP=$(free_port)
    "$KILN" serve --data-path "$WORK/dhcpdata" --assets-path "$WORK/assets" --address "127.0.0.1:$DHCP_HTTP" --tftp-address '' \
        --dhcp proxy --dhcp-interface lo --dhcp-server-address 127.0.0.1 --dhcp-ports "$DHCP_PORT,$PXE_PORT" >"$WORK/dhcp.log" 2>&1 &
    DHCP_PID=$!
    for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$DHCP_HTTP/healthz" >/dev/null && break; sleep 0.1; done
    check "proxyDHCP ACKs an EDK2 REQUEST on its PXE port with ipxe.efi" \
        contains "op=2 type=5 file=ipxe.efi server=127.0.0.1 class=PXEClient" python3 "$ROOT/scripts/dhcp-probe.py" 127.0.0.1 "$PXE_PORT" uefi-request
    check "and logs what it offered" log_has "dhcp: ACK to mac=52:54:00:12:34:56 arch=7 vendor_class=PXEClient:Arch:00007:UNDI:003000 user_class=- REQUEST port=4011: file=ipxe.efi" "$WORK/dhcp.log"
    check "ordinary DHCP gets no answer" contains "no answer" python3 "$ROOT/scripts/dhcp-probe.py" 127.0.0.1 "$DHCP_PORT" ordinary 1
    check "DHCP packets are counted in /metrics" \
        contains 'kiln_dhcp_packets_total{type="REQUEST",result="ack"} 1' curl -sf "http://127.0.0.1:$DHCP_HTTP/metrics"
    check "and so are the ones left alone" \
        contains 'kiln_dhcp_packets_total{type="other",result="ignored"} 1' curl -sf "http://127.0.0.1:$DHCP_HTTP/metrics"
    # A second proxy on the same ports must refuse to start, naming the port.
    check "serve exits 1 when the DHCP port is taken" exit_is 1 timeout 20 "$KILN" serve --data-path "$WORK/dhcpdata" --address "127.0.0.1:$(free_port)" \
        --tftp-address '' --dhcp proxy --dhcp-interface lo --dhcp-server-address 127.0.0.1 --dhcp-ports "$DHCP_PORT,$PXE_PORT"
    check "and says which port and what to do" contains "dhcp: UDP port $DHCP_PORT is already in use on this host" \
        timeout 20 "$KILN" serve --data-path "$WORK/dhcpdata" --address "127.0.0.1:$(free_port)" \
        --tftp-address '' --dhcp proxy --dhcp-interface lo --dhcp-server-address 127.0.0.1 --dhcp-ports "$DHCP_PORT,$PXE_PORT"
    kill "$DHCP_PID" 2>/dev/null; wait "$DHCP_PID" 2>/dev/null
fi

echo
echo "peer-checks: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
