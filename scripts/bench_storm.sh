#!/usr/bin/env bash
# make bench: a boot storm. N machines boot at once on loopback (BootStorm,
# one thread each): TFTP undionly.kpxe, /boot.ipxe, /ipxe?mac=, an 8 MiB
# kernel and a 64 MiB initrd, /ignition?mac= (a templated Butane config).
# Against the same storm on the static baseline a site could build with no
# logic at all: dnsmasq serving TFTP and nginx serving every answer as a
# pre-rendered file (picked by $arg_mac) and the kernel and initrd with
# sendfile. N = 100 and 1,000, rounds interleaved, medians.
# Targets: total time <= 1.1x the baseline; no failures; p99 of /ipxe and
# /ignition < 50 ms; Kiln's CPU seconds per GiB of kernel and initrd <= 1.2x
# nginx's.
set -euo pipefail
KILN=${1:?usage: bench_storm.sh path/to/release/kiln path/to/BootStorm}
STORM=${2:?usage: bench_storm.sh path/to/release/kiln path/to/BootStorm}
ROUNDS=${BENCH_ROUNDS:-3}
SIZES=${BENCH_STORM_SIZES:-"100 1000"}
. "$(dirname "$0")/bench-common.sh"
command -v nginx >/dev/null || { echo "bench_storm: nginx is not installed (nginx-light)"; exit 1; }
command -v dnsmasq >/dev/null || { echo "bench_storm: dnsmasq is not installed (dnsmasq-base)"; exit 1; }

ASSETS=$WORK/assets
mkdir -p "$ASSETS/storm" "$ASSETS/ipxe" "$WORK/data/groups" "$WORK/data/profiles" "$WORK/data/ignition"
head -c $((8 << 20)) /dev/urandom >"$ASSETS/storm/vmlinuz"
head -c $((64 << 20)) /dev/urandom >"$ASSETS/storm/initrd.img"
if [ -f /usr/lib/ipxe/undionly.kpxe ]; then cp /usr/lib/ipxe/undionly.kpxe "$ASSETS/undionly.kpxe"; else head -c 70000 /dev/urandom >"$ASSETS/undionly.kpxe"; fi
cat >"$WORK/data/profiles/storm.json" <<'EOF'
{"id": "storm", "boot": {"kernel": "/assets/storm/vmlinuz", "initrd": ["/assets/storm/initrd.img"],
 "args": ["initrd=initrd.img", "ignition.firstboot", "ignition.platform.id=metal", "ignition.config.url=http://10.0.0.1:8080/ignition?mac=${mac:hexhyp}"]},
 "ignition_id": "storm.yaml"}
EOF
echo '{"id": "storm", "profile": "storm", "metadata": {"cluster": "rack1", "ssh_key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA ops@example"}}' >"$WORK/data/groups/storm.json"
cat >"$WORK/data/ignition/storm.yaml" <<'EOF'
variant: fcos
version: 1.5.0
passwd:
  users:
    - name: core
      ssh_authorized_keys: ["{{.ssh_key}}"]
storage:
  files:
    - path: /etc/hostname
      mode: 0644
      contents:
        inline: node-{{.request.query.mac}}
    - path: /etc/kiln/machine.env
      mode: 0600
      contents:
        inline: |
          CLUSTER={{.cluster}}
          MAC={{.request.query.mac}}
EOF

# Kiln: request log and inventory on, as shipped (log level info).
TFTP_KILN=$(free_port)
start_kiln "$ASSETS" "$WORK/data" --tftp-address "127.0.0.1:$TFTP_KILN" --state-path "$WORK/state"
MAX_N=$(echo $SIZES | tr ' ' '\n' | sort -n | tail -1)

# The baseline's files: every machine's /ipxe and /ignition as Kiln renders them.
mkdir -p "$WORK/static/ipxe" "$WORK/static/ignition"
curl -sf "http://127.0.0.1:$PORT/boot.ipxe" -o "$WORK/static/boot.ipxe"
python3 - "$PORT" "$WORK/static" "$MAX_N" <<'PY'
import sys, urllib.request
port, static, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
for base in (0x525400000000, 0x525401000000):
    for i in range(count):
        value = base + i
        mac = "-".join(f"{(value >> (8 * k)) & 255:02x}" for k in reversed(range(6)))
        for what in ("ipxe", "ignition"):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/{what}?mac={mac}") as answer:
                open(f"{static}/{what}/{mac}", "wb").write(answer.read())
PY
NGINX_PORT=$(free_port)
mkdir -p "$WORK/nginx"
# nginx's workers run as nobody: let them read what they serve.
chmod 755 "$WORK"
chmod -R a+rX "$WORK/static" "$ASSETS"
cat >"$WORK/nginx/nginx.conf" <<EOF
worker_processes auto;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log;
events { worker_connections 4096; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 10000;
    default_type application/octet-stream;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        root $WORK/static;
        location = /boot.ipxe { default_type text/plain; }
        location = /ipxe { default_type text/plain; try_files /ipxe/\$arg_mac =404; }
        location = /ignition { default_type application/json; try_files /ignition/\$arg_mac =404; }
        location /assets/ { alias $ASSETS/; }
    }
}
EOF
nginx -c "$WORK/nginx/nginx.conf" -g "daemon off;" &
PIDS+=($!)
NGINX_PID=$!
dnsmasq --keep-in-foreground --port=0 --enable-tftp --tftp-root="$ASSETS" --conf-file=/dev/null --listen-address=127.0.0.1 --bind-interfaces \
    --user=root --pid-file="$WORK/dnsmasq.pid" --log-facility="$WORK/dnsmasq.log" --tftp-max=4096 &
PIDS+=($!)
DNSMASQ_PID=$!
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$NGINX_PORT/boot.ipxe" >/dev/null 2>&1 && break; sleep 0.1; done
tftp 127.0.0.1 69 -m binary -c get undionly.kpxe "$WORK/check.kpxe" && cmp -s "$WORK/check.kpxe" "$ASSETS/undionly.kpxe" \
    || { echo "bench_storm: dnsmasq does not serve TFTP on 127.0.0.1:69"; exit 1; }

# CPU seconds (user + system) of a process and its threads, and of nginx's workers.
cpu_of() { awk '{print ($14 + $15) / 100}' "/proc/$1/stat"; }
cpu_sum() { local total=0; for pid in "$@"; do total=$(python3 -c "print($total + $(cpu_of "$pid"))"); done; echo "$total"; }
nginx_pids() { echo "$NGINX_PID $(pgrep -P "$NGINX_PID" | tr '\n' ' ')"; }
peak_rss_mib() { awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }

run() {  # run NAME N HTTP_PORT TFTP_PORT MAC_BASE PIDS...: one storm; prints its JSON with the servers' CPU seconds added
    local name=$1 n=$2 http=$3 tftp=$4 base=$5; shift 5
    local before after
    before=$(cpu_sum "$@")
    "$STORM" --http "127.0.0.1:$http" --tftp "127.0.0.1:$tftp" --machines "$n" --mac-base "$base" --timeout 300 >"$WORK/storm.json" || true
    after=$(cpu_sum "$@")
    python3 -c "import json,sys; d=json.load(open('$WORK/storm.json')); d['server_cpu_seconds']=$after-$before; print(json.dumps(d))"
}

echo "boot storm on loopback: TFTP undionly.kpxe ($(stat -c %s "$ASSETS/undionly.kpxe") bytes), /boot.ipxe, /ipxe, 8 MiB kernel, 64 MiB initrd, /ignition (templated Butane); $ROUNDS interleaved rounds, medians; $(nproc) cores"
echo "baseline: nginx $(nginx -v 2>&1 | sed 's/.*\///') (sendfile, pre-rendered answers by \$arg_mac) + dnsmasq $(dnsmasq --version | head -1 | awk '{print $3}') TFTP"
for n in $SIZES; do
    : >"$WORK/kiln-$n.jsonl"; : >"$WORK/base-$n.jsonl"
    for round in $(seq 1 "$ROUNDS"); do
        # Alternate who goes first; each storm uses MACs of its own range.
        if [ $((round % 2)) -eq 1 ]; then
            run kiln "$n" "$PORT" "$TFTP_KILN" 52:54:00:00:00:00 "$KILN_PID" >>"$WORK/kiln-$n.jsonl"
            run base "$n" "$NGINX_PORT" 69 52:54:01:00:00:00 $(nginx_pids) "$DNSMASQ_PID" >>"$WORK/base-$n.jsonl"
        else
            run base "$n" "$NGINX_PORT" 69 52:54:01:00:00:00 $(nginx_pids) "$DNSMASQ_PID" >>"$WORK/base-$n.jsonl"
            run kiln "$n" "$PORT" "$TFTP_KILN" 52:54:00:00:00:00 "$KILN_PID" >>"$WORK/kiln-$n.jsonl"
        fi
    done
done
python3 - "$WORK" "$SIZES" "$(peak_rss_mib "$KILN_PID")" <<'PY'
import json, statistics, sys
work, sizes, kiln_rss = sys.argv[1], sys.argv[2].split(), sys.argv[3]
GIB = 1 << 30
def load(path):
    return [json.loads(line) for line in open(path) if line.strip()]
def median(values):
    return statistics.median(values) if values else float("nan")
def verdict(ok):
    return "met" if ok else "MISSED"
for n in sizes:
    kiln, base = load(f"{work}/kiln-{n}.jsonl"), load(f"{work}/base-{n}.jsonl")
    print(f"\nN = {n} machines ({len(kiln)} rounds each)")
    print(f"{'':26} {'kiln':>12} {'nginx+dnsmasq':>14}")
    rows = [("total time (s)", "total_seconds"), ("last config at (s)", "last_config_seconds")]
    for label, key in rows:
        print(f"{label:26} {median([r[key] for r in kiln]):12.2f} {median([r[key] for r in base]):14.2f}")
    for stage in ("tftp", "boot.ipxe", "ipxe", "kernel", "initrd", "ignition"):
        k = [r["stages"].get(stage, {}) for r in kiln]
        b = [r["stages"].get(stage, {}) for r in base]
        print(f"{stage + ' p50/p99 (ms)':26} {median([s.get('p50_ms', 0) for s in k]):6.1f}/{median([s.get('p99_ms', 0) for s in k]):<6.1f}"
              f" {median([s.get('p50_ms', 0) for s in b]):7.1f}/{median([s.get('p99_ms', 0) for s in b]):<6.1f}")
    print(f"{'failures (all rounds)':26} {sum(r['failures'] for r in kiln):12d} {sum(r['failures'] for r in base):14d}")
    for r in kiln + base:
        for example in r.get("failure_examples", [])[:2]:
            print(f"  failure: {example}")
    print(f"{'GiB moved':26} {median([r['bytes'] for r in kiln]) / GIB:12.2f} {median([r['bytes'] for r in base]) / GIB:14.2f}")
    print(f"{'server CPU (s)':26} {median([r['server_cpu_seconds'] for r in kiln]):12.2f} {median([r['server_cpu_seconds'] for r in base]):14.2f}")
    print(f"{'generator CPU (s)':26} {median([r['generator_cpu_seconds'] for r in kiln]):12.2f} {median([r['generator_cpu_seconds'] for r in base]):14.2f}")
    payload = int(n) * (72 << 20) / GIB
    k_cpu = median([r["server_cpu_seconds"] for r in kiln]) / payload
    b_cpu = median([r["server_cpu_seconds"] for r in base]) / payload
    ratio = median([r["total_seconds"] for r in kiln]) / median([r["total_seconds"] for r in base])
    fails = sum(r["failures"] for r in kiln)
    ipxe99 = median([r["stages"].get("ipxe", {}).get("p99_ms", 1e9) for r in kiln])
    ign99 = median([r["stages"].get("ignition", {}).get("p99_ms", 1e9) for r in kiln])
    print(f"targets: total {ratio:.2f}x the baseline (<= 1.1: {verdict(ratio <= 1.1)}); failures {fails} (0: {verdict(fails == 0)}); "
          f"p99 /ipxe {ipxe99:.1f} ms, /ignition {ign99:.1f} ms (< 50: {verdict(ipxe99 < 50 and ign99 < 50)}); "
          f"CPU per GiB {k_cpu:.2f} s vs nginx+dnsmasq {b_cpu:.2f} s = {k_cpu / b_cpu if b_cpu else float('inf'):.2f}x (<= 1.2: {verdict(b_cpu and k_cpu / b_cpu <= 1.2)})")
print(f"\nkiln peak RSS over the whole run: {kiln_rss} MiB")
PY
