#!/usr/bin/env bash
# make bench: config-drive ISOs per second, made by Kiln in process
# (ConfigDriveBench) and over HTTP (GET /configdrive.iso under wrk, a
# different machine each request), against genisoimage spawned once per
# ISO on the same files (`genisoimage -J -r -V config-2`), in one run.
# Target: >= 5x genisoimage.
set -euo pipefail
KILN=${1:?usage: bench_iso.sh path/to/release/kiln path/to/ConfigDriveBench}
BENCH=${2:?usage: bench_iso.sh path/to/release/kiln path/to/ConfigDriveBench}
SPAWNS=${BENCH_SPAWNS:-300}
BUILDS=${BENCH_BUILDS:-3000}
SECONDS_PER_RUN=${BENCH_SECONDS:-8}
ROUNDS=${BENCH_ROUNDS:-3}
. "$(dirname "$0")/bench-common.sh"

# 500 machines, each with its own Butane-rendered Ignition and metadata.
python3 - "$WORK" <<'PY'
import json, os, sys
d = f"{sys.argv[1]}/data"
for sub in ("groups", "profiles", "ignition"):
    os.makedirs(f"{d}/{sub}")
json.dump({"id": "node", "ignition_id": "node.yaml"}, open(f"{d}/profiles/node.json", "w"))
open(f"{d}/ignition/node.yaml", "w").write("""variant: fcos
version: 1.4.0
passwd:
  users:
    - name: core
      ssh_authorized_keys:
{{- range .ssh_authorized_keys}}
        - {{.}}
{{- end}}
storage:
  files:
    - path: /etc/hostname
      mode: 0644
      contents:
        inline: {{.hostname}}
systemd:
  units:
    - name: agent.service
      enabled: true
      contents: |
        [Service]
        ExecStart=/usr/bin/agent --node {{.hostname}} --mac {{.request.query.mac}}
        [Install]
        WantedBy=multi-user.target
""")
macs = []
for i in range(500):
    mac = "52:54:00:00:%02x:%02x" % (i >> 8, i & 255)
    macs.append(mac.replace(":", "-"))
    json.dump({"id": f"node{i:03d}", "profile": "node", "selector": {"mac": mac},
               "metadata": {"hostname": f"node{i:03d}.rack1.example.com", "uuid": "6d0c1f5e-0000-4000-8000-%012d" % i,
                            "ssh_authorized_keys": [f"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA{i:040d} ops@example"]}},
              open(f"{d}/groups/node{i:03d}.json", "w"))
with open(f"{sys.argv[1]}/drive.lua", "w") as f:
    f.write("local macs = {" + ",".join('"%s"' % m for m in macs) + "}\nlocal i = 0\n")
    f.write('request = function()\n  i = i + 1\n  return wrk.format(nil, "/configdrive.iso?mac=" .. macs[(i % #macs) + 1])\nend\n')
PY

# The files both makers are given: one machine's drive, as Kiln lays it out.
"$KILN" iso configdrive --data-path "$WORK/data" -o "$WORK/one.iso" mac=52:54:00:00:00:07
xorriso -osirrox on -indev "$WORK/one.iso" -extract / "$WORK/tree" >/dev/null 2>&1
chmod -R u+w "$WORK/tree"
echo "files: $(cd "$WORK/tree" && find . -type f -printf "%P (%s bytes) " | sort)"

start_kiln "$WORK"
curl -sf "http://127.0.0.1:$PORT/configdrive.iso?mac=52-54-00-00-00-07" -o "$WORK/http.iso"
[ "$(blkid -p -s LABEL -o value "$WORK/http.iso")" = config-2 ] || { echo "GET /configdrive.iso did not give a config-2 drive"; exit 1; }

genisoimage_rate() {
    python3 - "$WORK" "$SPAWNS" <<'PY'
import subprocess, sys, time
work, count = sys.argv[1], int(sys.argv[2])
start = time.perf_counter()
for _ in range(count):
    subprocess.run(["genisoimage", "-quiet", "-J", "-r", "-V", "config-2", "-o", f"{work}/g.iso", f"{work}/tree"], check=True)
print(f"{count / (time.perf_counter() - start):.1f}")
PY
}
inprocess_rate() { "$BENCH" "$WORK/tree" config-2 "$BUILDS" | awk '{printf "%.1f", $1 / $2}'; }
http_rate() {
    wrk -t2 -c16 -d"${SECONDS_PER_RUN}s" -s "$WORK/drive.lua" "http://127.0.0.1:$PORT/" >"$WORK/wrk.out" 2>&1
    wrk_errors
    awk '/Requests\/sec/ {printf "%.1f", $2}' "$WORK/wrk.out"
}
G="" P="" H=""
for _ in $(seq 1 "$ROUNDS"); do
    G+="$(genisoimage_rate) "; P+="$(inprocess_rate) "; H+="$(http_rate) "
done
GEN=$(median "$G" .0f); INP=$(median "$P" .0f); HTTP=$(median "$H" .0f)
genisoimage -version 2>&1 | head -1 | sed 's/^/peer: /'
echo "median of $ROUNDS interleaved rounds; config-2 drives of the same files"
printf "%-58s %8s ISOs/s\n" "genisoimage -J -r -V config-2, a process per ISO" "$GEN"
printf "%-58s %8s ISOs/s\n" "Kiln in process (libarchive, ConfigDriveBench)" "$INP"
printf "%-58s %8s ISOs/s\n" "Kiln GET /configdrive.iso, wrk -c16, 500 machines" "$HTTP"
echo
for name in "in process:$INP" "over HTTP:$HTTP"; do
    rate=${name#*:}
    python3 -c "r = $rate / $GEN; print(f'Kiln ${name%%:*} vs genisoimage: {r:.1f}x  (target >= 5: ' + ('met' if r >= 5 else 'MISSED') + ')')"
done
