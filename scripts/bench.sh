#!/usr/bin/env bash
# make bench: wrk against Kiln's /ipxe with 10, 1,000 and 10,000 groups and
# against nginx serving a static file of the same size, in one run, on
# loopback; and, to show where the ceiling is, the same bytes from a
# one-route Hummingbird server and from bare SwiftNIO (HelloServers). Prints
# requests/s, the ratios the issues set as targets, and Kiln's RSS at 10,000
# groups.
set -euo pipefail
KILN=${1:?usage: bench.sh path/to/release/kiln [path/to/release/HelloServers]}
HELLO=${2:-$(dirname "$KILN")/HelloServers}
SECONDS_PER_RUN=${BENCH_SECONDS:-8}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
. "$(dirname "$0")/bench-common.sh"  # WORK, cleanup on exit (Kiln and PIDS), start_kiln, lib.sh
chmod 755 "$WORK"  # nginx's workers run as another user and must read the static file

# Data directories: N groups each selecting one MAC, plus a default; one profile.
python3 - "$WORK" <<'PY'
import json, os, sys
work = sys.argv[1]
profile = {"id": "bench", "boot": {"kernel": "/assets/flatcar/flatcar_production_pxe.vmlinuz",
    "initrd": ["/assets/flatcar/flatcar_production_pxe_image.cpio.gz"],
    "args": ["initrd=flatcar_production_pxe_image.cpio.gz", "flatcar.config.url=http://10.0.0.1:8080/ignition?uuid=${uuid}&mac=${mac:hexhyp}", "flatcar.first_boot=yes"]}}
for n in (10, 1000, 10000):
    d = f"{work}/data-{n}"
    os.makedirs(f"{d}/groups"); os.makedirs(f"{d}/profiles")
    json.dump(profile, open(f"{d}/profiles/bench.json", "w"))
    json.dump({"id": "default", "profile": "bench"}, open(f"{d}/groups/default.json", "w"))
    for i in range(n):
        mac = "52:54:%02x:%02x:%02x:%02x" % ((i >> 24) & 255, (i >> 16) & 255, (i >> 8) & 255, i & 255)
        json.dump({"id": f"node{i:05d}", "profile": "bench", "selector": {"mac": mac}, "metadata": {"i": i}},
                  open(f"{d}/groups/node{i:05d}.json", "w"))
    # wrk cycles through up to 1,000 of the group MACs, hyphenated as iPXE sends them.
    with open(f"{d}/macs.lua", "w") as f:
        macs = ["52-54-%02x-%02x-%02x-%02x" % ((i >> 24) & 255, (i >> 16) & 255, (i >> 8) & 255, i & 255) for i in range(0, n, max(1, n // 1000))]
        f.write("local macs = {" + ",".join('"%s"' % m for m in macs) + "}\nlocal i = 0\n")
        f.write('request = function()\n  i = i + 1\n  return wrk.format(nil, "/ipxe?uuid=&mac=" .. macs[(i % #macs) + 1] .. "&domain=&hostname=&serial=&arch=x86_64")\nend\n')
PY

rate() {  # rate URL [wrk args...]: prints requests/s
    local url=$1; shift
    wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" --latency "$@" "$url" >"$WORK/wrk.out" 2>&1
    wrk_errors
    awk '/Requests\/sec/ {print int($2)}' "$WORK/wrk.out"
}

# serve_groups N LOGLEVEL: starts Kiln on the data directory with N groups,
# TFTP on its default address; sets KILN_PID and PORT.
serve_groups() { start_kiln "$WORK" "$WORK/data-$1" --log-level "$2"; }

# nginx: a static file the size of Kiln's /ipxe answer.
serve_groups 10 warning
curl -sf "http://127.0.0.1:$PORT/ipxe?mac=52-54-00-00-00-01" >"$WORK/ipxe.txt"
kill "$KILN_PID"; wait "$KILN_PID" 2>/dev/null || true
SIZE=$(stat -c %s "$WORK/ipxe.txt")
mkdir -p "$WORK/www"
cp "$WORK/ipxe.txt" "$WORK/www/ipxe.txt"
NPORT=$(free_port)
cat >"$WORK/nginx.conf" <<CONF
daemon off;
worker_processes auto;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events { worker_connections 4096; }
http {
    access_log off;
    server { listen 127.0.0.1:$NPORT; root $WORK/www; }
}
CONF
nginx -c "$WORK/nginx.conf" -p "$WORK" &
PIDS+=($!)
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$NPORT/ipxe.txt" >/dev/null 2>&1 && break; sleep 0.1; done
cmp -s <(curl -sf "http://127.0.0.1:$NPORT/ipxe.txt") "$WORK/ipxe.txt" || { echo "nginx does not serve the file; see $WORK/nginx-error.log" >&2; cat "$WORK/nginx-error.log" >&2; exit 1; }

ROUNDS=${BENCH_ROUNDS:-3}
# Rounds take turns between the servers so drift in the machine's speed
# falls on all alike; medians of the rounds. Each Kiln runs only for its own
# slot, so no idle server's reloader polls in the background of another's.

echo "wrk -t2 -c$CONNECTIONS -d${SECONDS_PER_RUN}s on loopback, median of $ROUNDS interleaved rounds; client and servers share $(nproc) cores"
echo "response body: $SIZE bytes (Kiln /ipxe) and the same bytes as a static file (nginx)"
echo
declare -A RATES P99S
CONFIGS="10 info 1000 inventory 10000"
[ -z "${BENCH_BASELINE:-}" ] || CONFIGS="baseline $CONFIGS"
HELLOS=""
if [ -x "$HELLO" ]; then HELLOS="hummingbird nio"; else echo "($HELLO not built: no Hummingbird or SwiftNIO ceiling this run)"; fi
# serve_hello KIND: HelloServers on a free port with the /ipxe answer's bytes; sets HELLO_PID and HPORT.
serve_hello() {
    HPORT=$(free_port)
    "$HELLO" "$1" "$HPORT" "$WORK/ipxe.txt" >"$WORK/hello.log" 2>&1 &
    HELLO_PID=$!
    for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$HPORT/ipxe" >/dev/null 2>&1 && return 0; sleep 0.1; done
    echo "HelloServers $1 did not start:"; cat "$WORK/hello.log"; return 1
}
CANDIDATE=$KILN
for round in $(seq 1 "$ROUNDS"); do
    RATES[nginx]+="$(rate "http://127.0.0.1:$NPORT/ipxe.txt") "; P99S[nginx]+="$(p99) "
    for kind in $HELLOS; do
        serve_hello "$kind"
        PIDS+=("$HELLO_PID")
        RATES[$kind]+="$(rate "http://127.0.0.1:$HPORT/" -s "$WORK/data-10/macs.lua") "; P99S[$kind]+="$(p99) "
        kill "$HELLO_PID"; wait "$HELLO_PID" 2>/dev/null || true
    done
    for config in $CONFIGS; do
        groups=$config level=warning KILN=$CANDIDATE inventory=off
        [ "$config" = info ] && groups=10 level=info
        # The inventory beside 1,000 groups, so it keeps 1,000 machines.
        [ "$config" = inventory ] && groups=1000 inventory=on
        [ "$config" = baseline ] && groups=10 KILN=$BENCH_BASELINE
        if [ "$config" = baseline ]; then KILN_INVENTORY=off serve_groups "$groups" "$level"; else KILN_INVENTORY=$inventory serve_groups "$groups" "$level"; fi
        RATES[$config]+="$(rate "http://127.0.0.1:$PORT/" -s "$WORK/data-$groups/macs.lua") "
        P99S[$config]+="$(p99) "
        if [ "$config" = 10000 ]; then
            RSS_KB=$(awk '/VmRSS/ {print $2}' "/proc/$KILN_PID/status")
            HWM_KB=$(awk '/VmHWM/ {print $2}' "/proc/$KILN_PID/status")
        fi
        kill "$KILN_PID"; wait "$KILN_PID" 2>/dev/null || true
    done
done
KILN=$CANDIDATE
median_text() { python3 -c "import sys; v=sorted(sys.argv[1:], key=lambda x: float(x.rstrip('msu'))*(1000 if x.endswith('ms') else 1 if x.endswith('us') else 1e6)); print(v[len(v)//2])" $1; }
declare -A MEDIAN
for key in nginx 10 info 1000 inventory 10000; do MEDIAN[$key]=$(median "${RATES[$key]}"); done
printf "%-44s %8s req/s  p99 %s\n" "nginx $(nginx -v 2>&1 | sed 's/.*nginx\///') static file" "${MEDIAN[nginx]}" "$(median_text "${P99S[nginx]}")"
for kind in $HELLOS; do
    MEDIAN[$kind]=$(median "${RATES[$kind]}")
    label="Hummingbird, one route, the same bytes"; [ "$kind" = nio ] && label="SwiftNIO HTTP/1, no framework, the same bytes"
    printf "%-44s %8s req/s  p99 %s\n" "$label" "${MEDIAN[$kind]}" "$(median_text "${P99S[$kind]}")"
done
printf "%-44s %8s req/s  p99 %s\n" "kiln /ipxe, 10 groups (log level warning)" "${MEDIAN[10]}" "$(median_text "${P99S[10]}")"
printf "%-44s %8s req/s  p99 %s\n" "kiln /ipxe, 10 groups (every request logged)" "${MEDIAN[info]}" "$(median_text "${P99S[info]}")"
printf "%-44s %8s req/s  p99 %s\n" "kiln /ipxe, 1000 groups (log level warning)" "${MEDIAN[1000]}" "$(median_text "${P99S[1000]}")"
printf "%-44s %8s req/s  p99 %s\n" "kiln /ipxe, 1000 groups, inventory on" "${MEDIAN[inventory]}" "$(median_text "${P99S[inventory]}")"
printf "%-44s %8s req/s  p99 %s\n" "kiln /ipxe, 10000 groups (log level warning)" "${MEDIAN[10000]}" "$(median_text "${P99S[10000]}")"

ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }
verdict() { python3 -c "print('met' if $1 $2 $3 else 'MISSED')"; }
R_NGINX=$(ratio "${MEDIAN[10]}" "${MEDIAN[nginx]}")
R_INFO=$(ratio "${MEDIAN[info]}" "${MEDIAN[nginx]}")
R_SCALE=$(ratio "${MEDIAN[10000]}" "${MEDIAN[10]}")
R_INVENTORY=$(ratio "${MEDIAN[inventory]}" "${MEDIAN[1000]}")
RSS_MB=$(python3 -c "print(f'{$RSS_KB / 1024:.1f}')")
HWM_MB=$(python3 -c "print(f'{$HWM_KB / 1024:.1f}')")
echo
echo "kiln /ipxe, every request logged (the default) vs nginx static: ${R_INFO}x  (target >= 0.7: $(verdict "$R_INFO" '>=' 0.7)); log level warning ${R_NGINX}x ($(verdict "$R_NGINX" '>=' 0.7))"
for kind in $HELLOS; do
    echo "  ceiling: $kind vs nginx $(ratio "${MEDIAN[$kind]}" "${MEDIAN[nginx]}")x; kiln /ipxe (logged) vs $kind $(ratio "${MEDIAN[info]}" "${MEDIAN[$kind]}")x"
done
echo "kiln /ipxe at 10,000 groups vs 10 groups:      ${R_SCALE}x  (target >= 0.9: $(verdict "$R_SCALE" '>=' 0.9))"
echo "kiln /ipxe, 1000 machines, inventory on vs off: ${R_INVENTORY}x  (target >= 0.9: $(verdict "$R_INVENTORY" '>=' 0.9))"
if [ -n "${BENCH_BASELINE:-}" ]; then
    MEDIAN[baseline]=$(median "${RATES[baseline]}")
    R_AB=$(ratio "${MEDIAN[10]}" "${MEDIAN[baseline]}")
    echo "kiln /ipxe at 10 groups vs the baseline build: ${R_AB}x  (${MEDIAN[10]} vs ${MEDIAN[baseline]} req/s, baseline p99 $(median_text "${P99S[baseline]}"); $BENCH_BASELINE; no slower than 0.97: $(verdict "$R_AB" '>=' 0.97))"
fi
echo "kiln RSS at 10,000 groups after a run:         ${RSS_MB} MB, peak ${HWM_MB} MB  (target < 100 MB: $(verdict "$HWM_MB" '<' 100))"
