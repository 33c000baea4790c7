#!/usr/bin/env bash
# make bench: Kiln on etcd against Kiln on a data directory. One etcd
# member on loopback holds the example catalog with 1,000 extra groups; two
# Kiln replicas serve it from etcd (--store) and one serves the same files
# from a directory. wrk asks /ipxe of the etcd-backed replica and of the
# directory-backed one in interleaved rounds, alternating which goes first
# (medians; the catalog is in memory either way: target >= 0.95x). Then a
# second etcd-backed replica starts, and 50 group writes through the first
# are each timed until the second serves them: p50 and p99.
set -euo pipefail
KILN=${1:?usage: bench_store.sh path/to/kiln}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$(dirname "$0")/bench-common.sh"  # WORK, PIDS, cleanup, free_port, median, wrk_errors
command -v etcd >/dev/null || { echo "store bench: etcd is missing (apt-get install etcd-server)"; exit 1; }
ROUNDS=${BENCH_ROUNDS:-5}
SECONDS_PER_RUN=${BENCH_SECONDS:-8}
CONNECTIONS=${BENCH_CONNECTIONS:-64}

CLIENT=$(free_port); PEER=$(free_port)
etcd --name bench --data-dir "$WORK/etcd" --listen-client-urls "http://127.0.0.1:$CLIENT" --advertise-client-urls "http://127.0.0.1:$CLIENT" \
    --listen-peer-urls "http://127.0.0.1:$PEER" --initial-advertise-peer-urls "http://127.0.0.1:$PEER" \
    --initial-cluster "bench=http://127.0.0.1:$PEER" --log-level error >"$WORK/etcd.log" 2>&1 &
PIDS+=($!)
STORE="etcd://127.0.0.1:$CLIENT/kiln"
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$CLIENT/health" >/dev/null 2>&1 && break; sleep 0.1; done

cp -r "$ROOT/profiles" "$WORK/data"
rm -rf "$WORK/data/state" "$WORK/data/files"
python3 - "$WORK/data" <<'PY'
import json, sys
for i in range(1000):
    mac = "52:54:01:00:%02x:%02x" % (i >> 8, i & 255)
    json.dump({"id": f"bench{i:04d}", "profile": "flatcar-live", "selector": {"mac": mac}}, open(f"{sys.argv[1]}/groups/bench{i:04d}.json", "w"))
PY
"$KILN" store import "$WORK/data" "$STORE" >/dev/null
"$KILN" token add bench --scope write --tokens-file "$WORK/tokens" >"$WORK/token"

# serve NAME FLAGS...: a Kiln on free ports; sets NAME_HTTP and NAME_API.
serve() {
    local name=$1; shift
    local http api; http=$(free_port); api=$(free_port)
    "$KILN" serve --address "127.0.0.1:$http" --tftp-address "" --api-address "127.0.0.1:$api" --api-tokens "$WORK/tokens" \
        --state-path "$WORK/state-$name" --log-level warning "$@" >"$WORK/$name.log" 2>&1 &
    PIDS+=($!)
    for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$http/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
    printf -v "${name}_HTTP" '%s' "$http"
    printf -v "${name}_API" '%s' "$api"
}
serve etcd_a --store "$STORE" --data-path "$WORK/unused"
serve dir --data-path "$WORK/data"

cat >"$WORK/macs.lua" <<'LUA'
local i = 0
request = function()
  i = i + 1
  local n = i % 1000
  return wrk.format(nil, string.format("/ipxe?mac=52-54-01-00-%02x-%02x", n // 256, n % 256))
end
LUA
rate() {
    wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" -s "$WORK/macs.lua" "$1" >"$WORK/wrk.out" 2>&1
    wrk_errors
    awk '/Requests\/sec/ {print int($2)}' "$WORK/wrk.out"
}
ETCD_RATES=""; DIR_RATES=""
# Which goes first alternates, so neither always runs on a warmer machine.
for round in $(seq 1 "$ROUNDS"); do
    if [ $((round % 2)) -eq 1 ]; then
        ETCD_RATES+="$(rate "http://127.0.0.1:$etcd_a_HTTP") "
        DIR_RATES+="$(rate "http://127.0.0.1:$dir_HTTP") "
    else
        DIR_RATES+="$(rate "http://127.0.0.1:$dir_HTTP") "
        ETCD_RATES+="$(rate "http://127.0.0.1:$etcd_a_HTTP") "
    fi
done
etcd_rate=$(median "$ETCD_RATES"); dir_rate=$(median "$DIR_RATES")
ratio=$(python3 -c "print(f'{$etcd_rate / $dir_rate:.2f}')")
verdict=$(python3 -c "print('met' if $etcd_rate / $dir_rate >= 0.95 else 'MISSED')")
echo "Store: /ipxe, 1,010 groups, wrk -t2 -c$CONNECTIONS -d${SECONDS_PER_RUN}s, median of $ROUNDS interleaved rounds"
echo "  Kiln on a data directory  $dir_rate req/s  ($DIR_RATES)"
echo "  Kiln on etcd (--store)    $etcd_rate req/s  ($ETCD_RATES)"
echo "  ratio ${ratio}x (target >= 0.95: $verdict)"

# The second replica starts only now: during the rates it would have taken CPU
# (applying replica a's events) from the replica being measured, on the same 2 cores.
serve etcd_b --store "$STORE" --data-path "$WORK/unused"
python3 - "$etcd_a_API" "$etcd_b_HTTP" "$(cat "$WORK/token")" <<'PY'
import json, statistics, sys, time, urllib.request, urllib.error
api, http, token = sys.argv[1], sys.argv[2], sys.argv[3]
delays = []
for i in range(50):
    mac = "52:54:02:00:00:%02x" % i
    body = json.dumps({"id": f"lag{i:02d}", "profile": "flatcar-live", "selector": {"mac": mac}}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{api}/api/v1/groups/lag{i:02d}", data=body, method="PUT",
                                     headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=10).read()
    written = time.monotonic()
    deadline = written + 5
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{http}/ipxe?mac={mac}", timeout=2).read()
            break
        except urllib.error.HTTPError:
            time.sleep(0.001)
    delays.append(time.monotonic() - written)
delays.sort()
p99 = delays[min(len(delays) - 1, int(len(delays) * 0.99))]
print(f"  write on replica a -> served by replica b: p50 {statistics.median(delays) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms (50 writes; target: within 1 s)")
PY
