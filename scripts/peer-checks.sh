#!/usr/bin/env bash
# Checks the built `kiln` binary as an operator uses it: CLI exit codes and
# messages, `kiln serve` configured from KILN_* variables, SIGHUP reload,
# clean SIGTERM shutdown. Real processes, curl as the client, loopback only.
set -uo pipefail
KILN=${1:?usage: peer-checks.sh path/to/kiln}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d)
SERVER_PID=""
passed=0
failed=0

cleanup() {
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

check() {  # check NAME COMMAND...: passes when the command succeeds
    local name=$1; shift
    if "$@" >"$WORK/out" 2>&1; then
        passed=$((passed + 1)); echo "ok   $name"
    else
        failed=$((failed + 1)); echo "FAIL $name"; sed 's/^/     /' "$WORK/out" | head -20
    fi
}

exit_is() {  # exit_is CODE COMMAND...
    local want=$1; shift
    "$@"; local got=$?
    [ "$got" -eq "$want" ] || { echo "exit status $got, wanted $want"; return 1; }
}

contains() {  # contains TEXT COMMAND...: command output contains TEXT
    local text=$1; shift
    local output; output=$("$@" 2>&1)
    grep -qF -- "$text" <<<"$output" || { echo "output lacks: $text"; echo "$output"; return 1; }
}

log_has() {  # log_has TEXT [LOG]: the server log shows TEXT within 2 s (info lines are flushed every 100 ms)
    local log=${2:-$WORK/serve.log}
    for _ in $(seq 1 20); do grep -qF -- "$1" "$log" && return 0; sleep 0.1; done
    echo "log lacks: $1"; cat "$log"; return 1
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
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
KILN_DATA_PATH="$WORK/data" KILN_ASSETS_PATH="$WORK/assets" KILN_ADDRESS="127.0.0.1:$PORT" KILN_LOG_LEVEL=info \
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
check "each request is logged with labels, group and profile" \
    log_has "GET /ipxe status=200 labels=mac=52:54:00:12:34:56 group=node1 profile=flatcar-node1"

# SIGHUP reloads at once (the poller would too, within a second: look for the reason).
sed -i 's/"flatcar.autologin",/"flatcar.autologin", "reloaded.by=sighup",/' "$WORK/data/profiles/flatcar-node1.json"
kill -HUP "$SERVER_PID"
for _ in $(seq 1 30); do curl -sf "http://127.0.0.1:$PORT/ipxe?mac=52-54-00-12-34-56" | grep -q reloaded.by=sighup && break; sleep 0.1; done
check "SIGHUP reloads the data directory" contains "reloaded.by=sighup" curl -sf "http://127.0.0.1:$PORT/ipxe?mac=52-54-00-12-34-56"
check "the SIGHUP reload is logged" log_has "reason=SIGHUP"

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

echo
echo "peer-checks: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
